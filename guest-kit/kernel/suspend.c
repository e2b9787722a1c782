/* SPDX-License-Identifier: MIT */
/* suspend.c: Xen's suspend protocol (pvctl save/restore, migrate). */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

int gk_suspend(void)
{
    struct sched_shutdown r = { SHUTDOWN_suspend };
    long rc;

    /* What we printed must reach the toolstack before we stop. */
    gk_consfront_flush(100 * GK_NSEC_PER_MSEC);
    /* Xen PV: the third argument is start_info's frame, which the
     * toolstack may rewrite while we are away. */
    rc = _gk_hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &r,
                        gk_start_info_pfn);
    if (rc < 0) {
        gk_printf("guest-kit: suspend refused (%ld)\n", rc);
        return (int)rc;
    }
    if (rc > 0) {
        gk_printf("guest-kit: suspend cancelled, running on\n");
        return 1;
    }
    /* Resumed, perhaps as another domain: what the toolstack set up for
     * us again (the store and console channels keep their ports). */
    gk_xenbus_resume();
    gk_printf("guest-kit: resumed\n");
    return 0;
}
