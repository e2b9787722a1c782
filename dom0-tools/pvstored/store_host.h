/* SPDX-License-Identifier: MIT */
/* store_host.h: pvstored's link to pvisor (guest rings, domain deaths). */
#ifndef PVISOR_DOM0_TOOLS_PVSTORED_STORE_HOST_H
#define PVISOR_DOM0_TOOLS_PVSTORED_STORE_HOST_H

#include <stdbool.h>

#include "pvctrl.h"
#include "pvevtchn.h"
#include "store.h"

struct store_host {
    struct store *st;
    const char *run_dir;    /* NULL: libpvctrl's default */
    struct pvc_handle *pvc; /* memory maps, domain list */
    pvevtchn *evh;          /* every guest ring's channel */
    bool pvc_warned;
    /* Told the event channel fd once it exists (to poll it); 0 or -errno. */
    int (*evtchn_ready)(struct store_host *h, int fd);
    void *arg;
};

/* Installs the libpvctrl-backed introduce hook into st. */
void store_host_init(struct store_host *h, struct store *st,
                     const char *run_dir);
/* Destroys every connection of st, then closes the pvisor handles. */
void store_host_fini(struct store_host *h);
/* Handles pending event channel notifications (the evtchn fd polled). */
void store_host_events(struct store_host *h);
/* Releases introduced domains pvisor no longer has (called each second):
 * removes /local/domain/<id> and its /vm entry, fires @releaseDomain. */
void store_host_poll(struct store_host *h);

#endif /* PVISOR_DOM0_TOOLS_PVSTORED_STORE_HOST_H */
