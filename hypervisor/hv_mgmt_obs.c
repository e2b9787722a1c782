// SPDX-License-Identifier: MIT
/* hv_mgmt_obs.c: management requests for counters, trace and placement. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "hv_hypercall.h"
#include "hv_mgmt_int.h"
#include "hv_obs.h"

#define TRACE_DEFAULT_RECORDS 256
#define TRACE_MAX_RECORDS     1024
#define TRACE_MAX_SUBS        64          /* domains one connection may trace */
#define TRACE_LINGER_NS       20000000ULL /* batch records for 20 ms */

void hv_mgmt_obs_fill(struct hv_domain *d, Pvmgmt__DomainInfo *info)
{
    uint64_t counts[PV_HYPERCALL_MAX] = { 0 };
    size_t n = 0;

    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < info->n_vcpu && i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        Pvmgmt__VcpuInfo *vi = info->vcpu[i];

        vi->tid = (uint32_t)atomic_load(&v->tid);
        vi->traps = atomic_load(&v->st_traps);
        for (unsigned nr = 0; nr < PV_HYPERCALL_MAX; nr++)
            counts[nr] +=
                atomic_load_explicit(&v->st_hc[nr], memory_order_relaxed);
        if (!v->affinity_set || CPU_COUNT(&v->affinity) == 0)
            continue;
        vi->affinity =
            calloc((size_t)CPU_COUNT(&v->affinity), sizeof(*vi->affinity));
        if (!vi->affinity)
            continue;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &v->affinity))
                vi->affinity[vi->n_affinity++] = (uint32_t)c;
    }
    info->sched_weight = d->sched_weight;
    info->sched_cap = d->sched_cap;
    pthread_mutex_unlock(&d->lock);
    info->current_memory_kb = hv_balloon_current_pages(d) * 4;
    info->max_memory_kb = hv_balloon_max_pages(d) * 4;

    for (unsigned nr = 0; nr < PV_HYPERCALL_MAX; nr++)
        n += counts[nr] != 0;
    if (!n)
        return;
    info->hypercall_counts = calloc(n, sizeof(*info->hypercall_counts));
    if (!info->hypercall_counts)
        return;
    for (unsigned nr = 0; nr < PV_HYPERCALL_MAX; nr++) {
        const struct hv_hypercall *hc;
        Pvmgmt__HypercallCount *hcnt;

        if (!counts[nr] || !(hcnt = malloc(sizeof(*hcnt))))
            continue;
        pvmgmt__hypercall_count__init(hcnt);
        hc = hv_hypercall_lookup(nr);
        hcnt->nr = nr;
        hcnt->name = (char *)(hc ? hc->name : "");
        hcnt->count = counts[nr];
        info->hypercall_counts[info->n_hypercall_counts++] = hcnt;
    }
}

void hv_mgmt_obs_free(Pvmgmt__DomainInfo *info)
{
    for (size_t i = 0; i < info->n_vcpu; i++) {
        if (!info->vcpu[i])
            continue;
        free(info->vcpu[i]->affinity);
        info->vcpu[i]->affinity = NULL;
        info->vcpu[i]->n_affinity = 0;
    }
    for (size_t i = 0; i < info->n_hypercall_counts; i++)
        free(info->hypercall_counts[i]);
    free(info->hypercall_counts);
    info->hypercall_counts = NULL;
    info->n_hypercall_counts = 0;
}

static void reply(struct client *c, uint64_t id, Pvmgmt__Response *rsp)
{
    rsp->version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp->id = id;
    hv_mgmt_send_response(c, rsp, NULL, 0);
}

/* ---- trace ---- */

static struct trace_sub *find_sub(struct client *c, struct hv_domain *d)
{
    for (struct trace_sub *s = c->trace_subs; s; s = s->next)
        if (s->domid == d->domid && s->created_ns == d->created_ns)
            return s;
    return NULL;
}

bool hv_mgmt_trace_try(struct client *c, struct longpoll *p, bool force)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__TraceReadReply r = PVMGMT__TRACE_READ_REPLY__INIT;
    struct hv_domain *d = hv_domain_find(p->domid);
    struct hv_trace_rec *recs;
    Pvmgmt__TraceRecord *pr, **pp;
    uint64_t next, lost;
    size_t n;

    if (!d || d->created_ns != p->stops_ns) {
        r.gone = true;
        r.next_seq = p->offset;
        rsp.result_case = PVMGMT__RESPONSE__RESULT_TRACE_READ;
        rsp.trace_read = &r;
        reply(c, p->id, &rsp);
        return true;
    }
    recs = calloc(p->max_bytes, sizeof(*recs));
    if (!recs) {
        hv_mgmt_send_error(c, p->id, ENOMEM, "trace: out of memory");
        return true;
    }
    uint64_t now = hv_now_ns();
    bool may_wait = !force && (!p->deadline || now < p->deadline);
    n = hv_trace_read(d, p->offset, recs, p->max_bytes,
                      may_wait && !p->lingered, &next, &lost);
    if (n == 0 && lost == 0 && may_wait) {
        free(recs);
        return false;
    }
    /* A few records: wait a moment for more, so that a busy domain costs
     * one reply per batch rather than one per hypercall. */
    if (n < p->max_bytes && may_wait && !p->lingered) {
        p->lingered = true;
        if (!p->deadline || p->deadline > now + TRACE_LINGER_NS)
            p->deadline = now + TRACE_LINGER_NS;
        free(recs);
        return false;
    }
    pr = calloc(n ? n : 1, sizeof(*pr));
    pp = calloc(n ? n : 1, sizeof(*pp));
    uint64_t *args = calloc(n ? n * 5 : 1, sizeof(*args));
    if (!pr || !pp || !args) {
        free(pr);
        free(pp);
        free(args);
        free(recs);
        hv_mgmt_send_error(c, p->id, ENOMEM, "trace: out of memory");
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        const struct hv_hypercall *hc = hv_hypercall_lookup(recs[i].nr);
        pvmgmt__trace_record__init(&pr[i]);
        pr[i].seq = recs[i].seq;
        pr[i].time_ns = recs[i].time_ns;
        pr[i].vcpu = recs[i].vcpu;
        pr[i].nr = recs[i].nr;
        pr[i].name = (char *)(hc ? hc->name : "");
        memcpy(&args[i * 5], recs[i].args, 5 * sizeof(*args));
        pr[i].args = &args[i * 5];
        pr[i].n_args = 5;
        pr[i].result = recs[i].res;
        pr[i].latency_ns = recs[i].latency_ns;
        pr[i].in_multicall = recs[i].in_multicall;
        pp[i] = &pr[i];
    }
    r.record = pp;
    r.n_record = n;
    r.next_seq = next;
    r.lost = lost;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_TRACE_READ;
    rsp.trace_read = &r;
    reply(c, p->id, &rsp);
    free(pr);
    free(pp);
    free(args);
    free(recs);
    return true;
}

void hv_mgmt_op_trace_read(struct client *c, uint64_t id,
                           const Pvmgmt__TraceRead *a)
{
    struct longpoll lp = { .kind = LP_TRACE, .id = id };
    struct hv_domain *d;
    struct trace_sub *s;
    uint64_t now_seq = 0;

    if (!a) {
        hv_mgmt_send_error(c, id, EINVAL, "trace_read: missing arguments");
        return;
    }
    if (!(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    if (a->max_records > TRACE_MAX_RECORDS) {
        hv_mgmt_send_error(c, id, EINVAL,
                           "trace_read: max_records %u (want 0..%u)",
                           a->max_records, TRACE_MAX_RECORDS);
        return;
    }
    s = find_sub(c, d);
    if (!s) {
        unsigned nsubs = 0;
        for (struct trace_sub *q = c->trace_subs; q; q = q->next)
            nsubs++;
        if (nsubs >= TRACE_MAX_SUBS) {
            hv_mgmt_send_error(c, id, EBUSY,
                               "trace_read: this connection traces %u "
                               "domains already",
                               nsubs);
            return;
        }
        s = malloc(sizeof(*s));
        if (!s || hv_trace_subscribe(d, &now_seq)) {
            free(s);
            hv_mgmt_send_error(c, id, ENOMEM, "trace_read: out of memory");
            return;
        }
        s->domid = d->domid;
        s->created_ns = d->created_ns;
        s->next = c->trace_subs;
        c->trace_subs = s;
    }
    lp.domid = d->domid;
    lp.stops_ns = d->created_ns;
    lp.offset = a->seq ? a->seq : now_seq;
    lp.max_bytes = a->max_records ? a->max_records : TRACE_DEFAULT_RECORDS;
    lp.deadline = a->wait_ms ? hv_now_ns() + a->wait_ms * 1000000ULL : 0;
    if (!hv_mgmt_trace_try(c, &lp, a->wait_ms == 0))
        hv_mgmt_park(c, &lp);
}

void hv_mgmt_obs_client_gone(struct client *c)
{
    while (c->trace_subs) {
        struct trace_sub *s = c->trace_subs;
        struct hv_domain *d = hv_domain_find(s->domid);
        c->trace_subs = s->next;
        if (d && d->created_ns == s->created_ns)
            hv_trace_unsubscribe(d);
        free(s);
    }
}

/* ---- placement and scheduling ---- */

void hv_mgmt_op_vcpu_pin(struct client *c, uint64_t id,
                         const Pvmgmt__VcpuPin *a)
{
    struct hv_domain *d;
    cpu_set_t set;
    char err[256] = "";
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    CPU_ZERO(&set);
    for (size_t i = 0; i < a->n_cpus; i++) {
        if (a->cpus[i] >= CPU_SETSIZE) {
            hv_mgmt_send_error(c, id, EINVAL,
                               "vcpu_pin: host CPU %u does not exist",
                               a->cpus[i]);
            return;
        }
        CPU_SET(a->cpus[i], &set);
    }
    rc = hv_vcpu_pin(d, a->vcpu, a->n_cpus ? &set : NULL, err, sizeof(err));
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "vcpu_pin: %s", err);
    else
        hv_mgmt_send_ok(c, id);
}

void hv_mgmt_op_sched_credit(struct client *c, uint64_t id,
                             const Pvmgmt__SchedCredit *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__SchedCreditReply r = PVMGMT__SCHED_CREDIT_REPLY__INIT;
    struct hv_domain *d;
    char err[768] = "", path[4096] = "";
    unsigned w = 0, cap = 0;
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    rc = hv_sched_credit(d, a->set_weight, a->weight, a->set_cap, a->cap, &w,
                         &cap, path, sizeof(path), err, sizeof(err));
    if (rc) {
        hv_mgmt_send_error(c, id, -rc, "sched_credit: d%u: %s", d->domid, err);
        return;
    }
    r.weight = w;
    r.cap = cap;
    r.cgroup = path;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_SCHED_CREDIT;
    rsp.sched_credit = &r;
    reply(c, id, &rsp);
}

void hv_mgmt_op_mem_max(struct client *c, uint64_t id, const Pvmgmt__MemMax *a)
{
    struct hv_domain *d;
    char err[256] = "";
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    rc = hv_balloon_set_max(d, a->max_kb, err, sizeof(err));
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "mem_max: d%u: %s", d->domid, err);
    else
        hv_mgmt_send_ok(c, id);
}
