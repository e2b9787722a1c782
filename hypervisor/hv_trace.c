// SPDX-License-Identifier: MIT
/* hv_trace.c: per-domain ring of traced hypercalls, filled only on demand. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_obs.h"

struct hv_trace {
    pthread_mutex_t lock;
    uint64_t next_seq; /* sequence number of the next record; from 1 */
    atomic_bool waiter;
    struct hv_trace_rec ring[HV_TRACE_RING];
};

int hv_trace_subscribe(struct hv_domain *d, uint64_t *next_seq)
{
    if (!d->trace) {
        struct hv_trace *t = calloc(1, sizeof(*t));
        if (!t)
            return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
        t->next_seq = 1;
        d->trace = t;
    }
    pthread_mutex_lock(&d->trace->lock);
    *next_seq = d->trace->next_seq;
    pthread_mutex_unlock(&d->trace->lock);
    /* Release: a vCPU that sees the count sees the ring. */
    atomic_fetch_add_explicit(&d->trace_listeners, 1, memory_order_release);
    return 0;
}

void hv_trace_unsubscribe(struct hv_domain *d)
{
    if (atomic_load(&d->trace_listeners) > 0)
        atomic_fetch_sub(&d->trace_listeners, 1);
}

void hv_trace_record(struct hv_vcpu *v, uint32_t nr, const uint64_t args[5],
                     long res, uint64_t t0, bool in_multicall)
{
    struct hv_domain *d = v->d;
    struct hv_trace *t;
    uint64_t now = hv_now_ns();

    atomic_thread_fence(memory_order_acquire);
    t = d->trace;
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    struct hv_trace_rec *r = &t->ring[t->next_seq % HV_TRACE_RING];
    r->seq = t->next_seq++;
    r->time_ns = t0 > d->boot_mono_ns ? t0 - d->boot_mono_ns : 0;
    r->latency_ns = now - t0;
    memcpy(r->args, args, sizeof(r->args));
    r->res = res;
    r->vcpu = v->id;
    r->nr = nr;
    r->in_multicall = in_multicall;
    pthread_mutex_unlock(&t->lock);
    if (atomic_exchange(&t->waiter, false) && hv_notify_mgmt)
        hv_notify_mgmt();
}

size_t hv_trace_read(struct hv_domain *d, uint64_t seq,
                     struct hv_trace_rec *out, size_t max, bool arm,
                     uint64_t *next, uint64_t *lost)
{
    struct hv_trace *t = d->trace;
    size_t n = 0;

    *lost = 0;
    *next = seq;
    if (!t)
        return 0;
    if (arm)
        atomic_store(&t->waiter, true);
    pthread_mutex_lock(&t->lock);
    uint64_t oldest =
        t->next_seq > HV_TRACE_RING ? t->next_seq - HV_TRACE_RING : 1;
    if (seq == 0 || seq > t->next_seq)
        seq = t->next_seq;
    if (seq < oldest) {
        *lost = oldest - seq;
        seq = oldest;
    }
    while (n < max && seq < t->next_seq) {
        out[n++] = t->ring[seq % HV_TRACE_RING];
        seq++;
    }
    pthread_mutex_unlock(&t->lock);
    *next = seq;
    return n;
}

void hv_trace_fini(struct hv_domain *d)
{
    if (!d->trace)
        return;
    pthread_mutex_destroy(&d->trace->lock);
    free(d->trace);
    d->trace = NULL;
}
