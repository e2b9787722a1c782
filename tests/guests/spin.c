/* SPDX-License-Identifier: MIT */
/* spin.c: a CPU-bound guest that never stops (top, trace and sched tests). */
#include <guestkit/guestkit.h>

/*
 * Burns CPU without pause and makes one xen_version hypercall every
 * 2^20 iterations, so that its hypercall rate and trace are never empty.
 * Prints "spin: running" once. Runs until destroyed.
 */
int main(void)
{
    volatile uint64_t x = 0;

    gk_printf("spin: running\n");
    for (uint64_t i = 0;; i++) {
        x += i * 2654435761u;
        if ((i & 0xfffff) == 0)
            (void)HYPERVISOR_xen_version(XENVER_version, NULL);
    }
    return 0;
}
