/* SPDX-License-Identifier: MIT */
/* hv_obs.h: hypercall trace, vCPU placement and cgroup v2 scheduling. */
#ifndef PVISOR_HYPERVISOR_HV_OBS_H
#define PVISOR_HYPERVISOR_HV_OBS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_domain;
struct hv_vcpu;

/* ---- hv_trace.c: the live hypercall trace ---- */

#define HV_TRACE_RING 4096 /* records kept per domain */

struct hv_trace_rec {
    uint64_t seq;
    uint64_t time_ns; /* domain system time at entry */
    uint64_t latency_ns;
    uint64_t args[5];
    int64_t res;
    uint32_t vcpu, nr;
    bool in_multicall; /* an entry of a multicall batch */
};

/*
 * Main thread: one more listener for d. The first makes the ring; from
 * then on every hypercall of d is recorded. Returns 0 or -ENOMEM.
 * *next_seq gets the sequence number the next record will carry.
 */
int hv_trace_subscribe(struct hv_domain *d, uint64_t *next_seq);
/* Main thread: one listener less; recording stops with the last one. */
void hv_trace_unsubscribe(struct hv_domain *d);

/*
 * vCPU thread, only while d->trace_listeners != 0: appends one record
 * (args as they were at entry, t0 = hv_now_ns() at entry) and wakes a
 * waiting reader.
 */
void hv_trace_record(struct hv_vcpu *v, uint32_t nr, const uint64_t args[5],
                     long res, uint64_t t0, bool in_multicall);

/*
 * Copies up to max records from sequence number seq on into out. Sets
 * *next (seq to continue from) and *lost (records overwritten before the
 * reader got them). With arm, a later record wakes the management thread
 * (set it before parking a reader). Returns the number copied.
 */
size_t hv_trace_read(struct hv_domain *d, uint64_t seq,
                     struct hv_trace_rec *out, size_t max, bool arm,
                     uint64_t *next, uint64_t *lost);

/* Frees the ring (domain teardown, no vCPU thread running). */
void hv_trace_fini(struct hv_domain *d);

/* ---- hv_place.c: vCPU affinity and cgroup v2 scheduling ---- */

#define HV_VCPU_ALL 0xffffffffu

/*
 * vCPU thread, at its start: records its tid, applies the stored affinity
 * and moves it into its domain's cgroup when cgroup v2 scheduling works.
 */
void hv_vcpu_place_self(struct hv_vcpu *v);
/* vCPU thread, as it ends. */
void hv_vcpu_unplace_self(struct hv_vcpu *v);

/*
 * Pins vCPU `vcpu` of d (HV_VCPU_ALL: all) to the CPUs in set (NULL: any
 * CPU pvisor may use). Every CPU must be one pvisor may run on. 0 or
 * -errno with err.
 */
int hv_vcpu_pin(struct hv_domain *d, unsigned vcpu, const cpu_set_t *set,
                char *err, size_t errlen);

/*
 * Sets (when set_*) and reports d's weight (1..10000, cgroup cpu.weight)
 * and cap (percent of one CPU, 0 = none, up to 100 * host CPUs) through
 * its cgroup, which path receives. 0 or -errno with a precise err (e.g.
 * no cgroup v2, no cpu controller, not writable).
 */
int hv_sched_credit(struct hv_domain *d, bool set_weight, unsigned weight,
                    bool set_cap, unsigned cap, unsigned *weight_out,
                    unsigned *cap_out, char *path, size_t pathlen, char *err,
                    size_t errlen);

/* Removes d's cgroup (domain teardown, after its threads ended). */
void hv_sched_domain_gone(struct hv_domain *d);

/* ---- hv_balloon.c: memory the guest gives back and takes again ---- */

/*
 * XENMEM_decrease_reservation / populate_physmap for v's own domain, with
 * a host copy of the reservation. Order-0 extents only. Returns the number
 * of extents done (less than asked when one is refused, as Xen does) or a
 * negative Xen errno when none could be read.
 */
long hv_balloon_decrease(struct hv_vcpu *v, uint64_t arg);
long hv_balloon_populate(struct hv_vcpu *v, uint64_t arg);
/* Pages the domain holds now, and the most it may hold (d->lock not held). */
uint64_t hv_balloon_current_pages(struct hv_domain *d);
uint64_t hv_balloon_max_pages(struct hv_domain *d);
/* mem-max: 0, or -EINVAL with err (above the domain's memory, < 1 MiB). */
int hv_balloon_set_max(struct hv_domain *d, uint64_t max_kb, char *err,
                       size_t errlen);
/* Restart (all memory back) and teardown. */
void hv_balloon_reset(struct hv_domain *d);
void hv_balloon_fini(struct hv_domain *d);

#endif /* PVISOR_HYPERVISOR_HV_OBS_H */
