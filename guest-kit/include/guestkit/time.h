/* SPDX-License-Identifier: MIT */
/* time.h: pvclock system time, wall clock and the one-shot vCPU timer. */
#ifndef PVISOR_GUEST_KIT_TIME_H
#define PVISOR_GUEST_KIT_TIME_H

#include <stdint.h>

#define GK_NSEC_PER_USEC ((uint64_t)1000)
#define GK_NSEC_PER_MSEC ((uint64_t)1000000)
#define GK_NSEC_PER_SEC  ((uint64_t)1000000000)

/*
 * Nanoseconds of system time (since the domain was created), read from
 * this vCPU's vcpu_time_info with the version protocol and scaled from the
 * TSC. Costs no exit. Never goes backwards on one vCPU.
 */
uint64_t gk_monotonic_ns(void);

/*
 * Wall-clock time: seconds and nanoseconds since the Unix epoch, from
 * shared_info's wc_* (the wall clock at system time 0) plus system time.
 */
void gk_wallclock(uint64_t *sec, uint32_t *nsec);

/*
 * Arm this vCPU's one-shot timer: VIRQ_TIMER fires at system time
 * `deadline_ns` (0 cancels). A past deadline fires at once. Returns 0 or a
 * negative Xen errno.
 */
int gk_set_timer(uint64_t deadline_ns);

/* Start (period_ns > 0) or stop (0) this vCPU's periodic VIRQ_TIMER. */
int gk_set_periodic_timer(uint64_t period_ns);

/*
 * This vCPU's VIRQ_TIMER port, bound at boot by the scheduler (which needs
 * no handler on it). Attach one with gk_evtchn_set_handler() to see every
 * timer event, e.g. with gk_set_periodic_timer().
 */
int gk_timer_port(void);

/* Spin for `ns` nanoseconds without yielding (keeps the vCPU busy). */
void gk_udelay_ns(uint64_t ns);

#endif /* PVISOR_GUEST_KIT_TIME_H */
