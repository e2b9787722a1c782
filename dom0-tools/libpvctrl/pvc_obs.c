// SPDX-License-Identifier: MIT
/* pvc_obs.c: hypercall trace, vCPU pinning and scheduling requests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvc_internal.h"

int pvc_trace_read(struct pvc_handle *h, uint32_t domid, uint64_t seq,
                   uint32_t wait_ms, struct pvc_trace_chunk *out)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__TraceRead t = PVMGMT__TRACE_READ__INIT;
    Pvmgmt__Response *resp;
    Pvmgmt__TraceReadReply *r;
    int err;

    memset(out, 0, sizeof(*out));
    t.domid = domid;
    t.seq = seq;
    t.wait_ms = wait_ms;
    t.max_records = 1024;
    req.op_case = PVMGMT__REQUEST__OP_TRACE_READ;
    req.trace_read = &t;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT_TRACE_READ, &resp);
    if (err)
        return err;
    r = resp->trace_read;
    if (r->n_record > 1024) {
        pvc_set_error(h, "pvisor sent %zu trace records (at most 1024)",
                      r->n_record);
        err = -EPROTO;
        goto out;
    }
    if (r->n_record) {
        out->rec = calloc(r->n_record, sizeof(*out->rec));
        if (!out->rec) {
            err = -ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < r->n_record; i++) {
        const Pvmgmt__TraceRecord *s = r->record[i];
        struct pvc_trace_rec *o = &out->rec[i];
        o->seq = s->seq;
        o->time_ns = s->time_ns;
        o->latency_ns = s->latency_ns;
        o->vcpu = s->vcpu;
        o->nr = s->nr;
        pvc_sanitize_copy(o->name, sizeof(o->name), s->name);
        for (size_t a = 0; a < s->n_args && a < 5; a++)
            o->args[a] = s->args[a];
        o->result = s->result;
        o->in_multicall = s->in_multicall;
    }
    out->nr = r->n_record;
    out->next_seq = r->next_seq;
    out->lost = r->lost;
    out->gone = r->gone;
out:
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_vcpu_pin(struct pvc_handle *h, uint32_t domid, uint32_t vcpu,
                 const uint32_t *cpus, size_t nr)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__VcpuPin p = PVMGMT__VCPU_PIN__INIT;
    Pvmgmt__Response *resp;
    int err;

    p.domid = domid;
    p.vcpu = vcpu;
    p.cpus = (uint32_t *)cpus;
    p.n_cpus = nr;
    req.op_case = PVMGMT__REQUEST__OP_VCPU_PIN;
    req.vcpu_pin = &p;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT__NOT_SET, &resp);
    if (!err)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_sched_credit(struct pvc_handle *h, uint32_t domid, long weight,
                     long cap, uint32_t *weight_out, uint32_t *cap_out,
                     char *cgroup, size_t cgroup_len)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__SchedCredit s = PVMGMT__SCHED_CREDIT__INIT;
    Pvmgmt__Response *resp;
    int err;

    s.domid = domid;
    s.set_weight = weight >= 0;
    s.weight = weight >= 0 ? (uint32_t)weight : 0;
    s.set_cap = cap >= 0;
    s.cap = cap >= 0 ? (uint32_t)cap : 0;
    req.op_case = PVMGMT__REQUEST__OP_SCHED_CREDIT;
    req.sched_credit = &s;
    err =
        pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT_SCHED_CREDIT, &resp);
    if (err)
        return err;
    *weight_out = resp->sched_credit->weight;
    *cap_out = resp->sched_credit->cap;
    if (cgroup && cgroup_len)
        pvc_sanitize_copy(cgroup, cgroup_len, resp->sched_credit->cgroup);
    pvmgmt__response__free_unpacked(resp, NULL);
    return 0;
}

int pvc_mem_max(struct pvc_handle *h, uint32_t domid, uint64_t max_kb)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__MemMax m = PVMGMT__MEM_MAX__INIT;
    Pvmgmt__Response *resp;
    int err;

    m.domid = domid;
    m.max_kb = max_kb;
    req.op_case = PVMGMT__REQUEST__OP_MEM_MAX;
    req.mem_max = &m;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT__NOT_SET, &resp);
    if (!err)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}
