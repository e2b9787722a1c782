/* SPDX-License-Identifier: MIT */
/* hv_save.h: a suspended domain's state out, a new domain's state in. */
#ifndef PVISOR_HYPERVISOR_HV_SAVE_H
#define PVISOR_HYPERVISOR_HV_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_domain;

/* Whether d is suspended (SHUTDOWN_suspend, not dying). */
bool hv_save_suspended(struct hv_domain *d);
/*
 * Main thread. Stops d's vCPU threads (d must be suspended) and returns
 * its state (abi/include/pvabi/save.h) in *out (malloc'd, *len bytes).
 * vCPUs parked after a hypercall are saved as if its stub had returned,
 * so the state does not depend on the platform's hypercall page. 0 or
 * -errno with err.
 */
int hv_save_state(struct hv_domain *d, uint8_t **out, size_t *len, char *err,
                  size_t errlen);
/* Main thread: a suspended domain runs on, its suspend hypercall returning
 * 1 (cancelled), as Xen's fast resume does. 0 or -errno with err. */
int hv_save_resume(struct hv_domain *d, char *err, size_t errlen);
/*
 * Main thread: give a new, unbuilt, paused domain whose memory the client
 * wrote the state buf (untrusted: every field checked against d). The
 * domain stays paused; unpaused, it returns from its suspend hypercall
 * with 0. 0 or -errno with err naming the field.
 */
int hv_restore_state(struct hv_domain *d, const uint8_t *buf, size_t len,
                     char *err, size_t errlen);

#endif
