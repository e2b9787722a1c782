// SPDX-License-Identifier: MIT
/*
 * hv_mgmt_bind.c: connections bound to one domain (BindDomain).
 *
 * A backend worker serves one frontend domain. It binds its management
 * connections to that domain before it maps anything, and from then on
 * pvisor refuses it every other domain's memory, grants and event
 * channels, and every toolstack request: a worker taken over by a hostile
 * frontend reaches that frontend's memory and nothing else.
 */
#include <errno.h>

#include "hv.h"
#include "hv_mgmt_int.h"

static const char *op_name(Pvmgmt__Request__OpCase op)
{
    switch (op) {
    case PVMGMT__REQUEST__OP_MAP_MEMORY:
        return "map_memory";
    case PVMGMT__REQUEST__OP_GRANT_MAP:
        return "grant_map";
    case PVMGMT__REQUEST__OP_EVTCHN_BIND:
        return "evtchn_bind";
    case PVMGMT__REQUEST__OP_EVTCHN_ALLOC_UNBOUND:
        return "evtchn_alloc_unbound";
    case PVMGMT__REQUEST__OP_LIST:
        return "list";
    case PVMGMT__REQUEST__OP_BIND_DOMAIN:
        return "bind_domain";
    default:
        return "this request";
    }
}

/* The domain a request for a bound connection names; false when the
 * request is not one a bound connection may make. */
static bool named_domain(const Pvmgmt__Request *req, uint32_t *domid)
{
    switch (req->op_case) {
    case PVMGMT__REQUEST__OP_MAP_MEMORY:
        *domid = req->map_memory ? req->map_memory->domid : 0;
        return true;
    case PVMGMT__REQUEST__OP_GRANT_MAP:
        *domid = req->grant_map ? req->grant_map->domid : 0;
        return true;
    case PVMGMT__REQUEST__OP_EVTCHN_BIND:
        *domid = req->evtchn_bind ? req->evtchn_bind->domid : 0;
        return true;
    case PVMGMT__REQUEST__OP_EVTCHN_ALLOC_UNBOUND:
        /* only a port in its domain for dom0 */
        if (req->evtchn_alloc_unbound &&
            req->evtchn_alloc_unbound->remote_domid != 0)
            return false;
        *domid =
            req->evtchn_alloc_unbound ? req->evtchn_alloc_unbound->domid : 0;
        return true;
    case PVMGMT__REQUEST__OP_LIST: /* its own domain only, never "all" */
        *domid = req->list ? req->list->domid : 0;
        return true;
    case PVMGMT__REQUEST__OP_BIND_DOMAIN:
        *domid = req->bind_domain ? req->bind_domain->domid : 0;
        return true;
    default:
        return false;
    }
}

bool hv_mgmt_bound_gate(struct client *c, const Pvmgmt__Request *req)
{
    struct hv_domain *d;
    uint32_t domid = 0;

    if (!c->bound)
        return true;
    switch (req->op_case) {
    case PVMGMT__REQUEST__OP_HELLO:
    case PVMGMT__REQUEST__OP_HOST_INFO:
    case PVMGMT__REQUEST__OP_GRANT_UNMAP:  /* its own handles only */
    case PVMGMT__REQUEST__OP_EVTCHN_CLOSE: /* its own ports only */
        return true;
    default:
        break;
    }
    if (!named_domain(req, &domid)) {
        hv_mgmt_send_error(c, req->id, EPERM,
                           "connection bound to d%u: request type %d is "
                           "not allowed on it",
                           c->bound_domid, (int)req->op_case);
        return false;
    }
    if (domid != c->bound_domid) {
        hv_mgmt_send_error(c, req->id, EPERM,
                           "connection bound to d%u: %s of d%u refused",
                           c->bound_domid, op_name(req->op_case), domid);
        return false;
    }
    d = hv_domain_find(domid);
    if (d && d->created_ns != c->bound_created_ns) {
        hv_mgmt_send_error(c, req->id, ESRCH,
                           "connection bound to d%u: that domain is gone "
                           "(d%u is now another domain)",
                           c->bound_domid, domid);
        return false;
    }
    return true;
}

void hv_mgmt_op_bind_domain(struct client *c, uint64_t id,
                            const Pvmgmt__BindDomain *a)
{
    struct hv_domain *d;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    if (c->bound) { /* the gate let only the same domain through */
        hv_mgmt_send_ok(c, id);
        return;
    }
    if (c->got_memory &&
        (c->got_memory_several || c->memory_domid != d->domid)) {
        hv_mgmt_send_error(c, id, EPERM,
                           "bind_domain: this connection already received "
                           "the memory of d%u%s",
                           c->memory_domid,
                           c->got_memory_several ? " and others" : "");
        return;
    }
    c->bound = true;
    c->bound_domid = d->domid;
    c->bound_created_ns = d->created_ns;
    hv_mgmt_send_ok(c, id);
}

void hv_mgmt_note_memory(struct client *c, uint32_t domid)
{
    if (c->got_memory && c->memory_domid != domid)
        c->got_memory_several = true;
    c->got_memory = true;
    c->memory_domid = domid;
}
