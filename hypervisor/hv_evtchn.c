// SPDX-License-Identifier: MIT
/* hv_evtchn.c: event channels (Xen's 2-level ABI) within a domain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/event_channel.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"

#define HV_EVTCHNOP_NOTIFY UINT64_MAX /* internal: pvisor_notify(port) */

/* Work on another domain, done after d->lock is dropped. */
struct deferred {
    enum { DEF_NONE, DEF_DELIVER, DEF_PEER_CLOSED } kind;
    uint32_t dom, port; /* the remote end */
    uint32_t self_port;
};

int hv_evtchn_init(struct hv_domain *d, unsigned max)
{
    d->evtchn = calloc(max, sizeof(*d->evtchn));
    if (!d->evtchn)
        return -ENOMEM;
    d->max_evtchn = max;
    d->evtchn[0].state = HV_ECS_RESERVED; /* port 0 is never handed out */
    return 0;
}

void hv_evtchn_fini(struct hv_domain *d)
{
    free(d->evtchn);
    d->evtchn = NULL;
    d->max_evtchn = 0;
}

void hv_evtchn_reset(struct hv_domain *d)
{
    /*
     * A restart keeps the channels the toolstack set up with dom0 (the
     * xenstore and console channels, device channels): start_info, which
     * the boot snapshot restores, names them, and the dom0 services stay
     * bound. Everything else is closed as on a fresh boot.
     */
    for (uint32_t p = 1; p < d->max_evtchn; p++) {
        struct evtchn_close c = { p };
        uint8_t st = d->evtchn[p].state;
        if (st == HV_ECS_FREE || st == HV_ECS_RESERVED)
            continue;
        if ((st == HV_ECS_UNBOUND || st == HV_ECS_INTERDOMAIN) &&
            d->evtchn[p].remote_dom == 0)
            continue;
        (void)hv_evtchn_op(d, EVTCHNOP_close, &c);
    }
    pthread_mutex_lock(&d->lock);
    for (uint32_t p = 1; p < d->max_evtchn; p++)
        d->evtchn[p].notify_vcpu = 0;
    memset(d->virq_port, 0, sizeof(d->virq_port));
    pthread_mutex_unlock(&d->lock);
}

bool hv_evtchn_is_pending(struct hv_domain *d, uint32_t port)
{
    if (port >= d->max_evtchn || !d->built)
        return false;
    uint64_t w = __atomic_load_n(&hv_shared_info(d)->evtchn_pending[port / 64],
                                 __ATOMIC_ACQUIRE);
    return w & (1ULL << (port % 64));
}

static void mark_vcpu_pending(struct hv_vcpu *v)
{
    struct vcpu_info *vi = &hv_shared_info(v->d)->vcpu_info[v->id];

    if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_ACQ_REL))
        return;
    hv_vcpu_wake_locked(v);
    hv_vcpu_kick(v);
}

void hv_evtchn_set_pending_locked(struct hv_domain *d, uint32_t port)
{
    struct shared_info *sh;
    uint64_t bit = 1ULL << (port % 64), word = port / 64;
    struct hv_vcpu *v;

    if (port >= d->max_evtchn || !d->built)
        return;
    sh = hv_shared_info(d);
    v = d->vcpus[d->evtchn[port].notify_vcpu];
    if (__atomic_fetch_or(&sh->evtchn_pending[word], bit, __ATOMIC_ACQ_REL) &
        bit) {
        /* Already pending: a poller may still be waiting for it. */
        if (v && v->poll_active)
            hv_vcpu_wake_locked(v);
        return;
    }
    if (v && v->poll_active)
        hv_vcpu_wake_locked(v);
    if (__atomic_load_n(&sh->evtchn_mask[word], __ATOMIC_ACQUIRE) & bit)
        return;
    if (!v)
        return;
    if (__atomic_fetch_or(&sh->vcpu_info[v->id].evtchn_pending_sel,
                          1ULL << word, __ATOMIC_ACQ_REL) &
        (1ULL << word))
        return;
    mark_vcpu_pending(v);
}

void hv_evtchn_send_virq_locked(struct hv_vcpu *v, unsigned virq)
{
    uint32_t port;

    if (virq >= HV_NR_VIRQS)
        return;
    port = v->d->virq_port[v->id][virq];
    if (port)
        hv_evtchn_set_pending_locked(v->d, port);
}

static int alloc_port(struct hv_domain *d)
{
    for (unsigned p = 1; p < d->max_evtchn; p++)
        if (d->evtchn[p].state == HV_ECS_FREE)
            return (int)p;
    return -XEN_ENOSPC;
}

static bool virq_is_per_vcpu(unsigned virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF ||
           virq == VIRQ_XENPMU;
}

/* All ops below run with d->lock held and take copied-in arguments. */

static long op_alloc_unbound(struct hv_domain *d,
                             struct evtchn_alloc_unbound *a)
{
    int port;

    if (a->dom != DOMID_SELF && a->dom != d->domid)
        return -XEN_EPERM;
    if (a->remote_dom != DOMID_SELF && a->remote_dom != 0 &&
        a->remote_dom != d->domid && !hv_domain_find(a->remote_dom))
        return -XEN_ESRCH;
    port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port].state = HV_ECS_UNBOUND;
    d->evtchn[port].remote_dom =
        a->remote_dom == DOMID_SELF ? d->domid : a->remote_dom;
    d->evtchn[port].notify_vcpu = 0;
    a->port = (uint32_t)port;
    return 0;
}

static long op_bind_interdomain(struct hv_domain *d,
                                struct evtchn_bind_interdomain *a)
{
    uint32_t rdom = a->remote_dom == DOMID_SELF ? d->domid : a->remote_dom;
    struct hv_evtchn *r;
    int port;

    if (rdom == 0) {
        port = alloc_port(d);
        if (port < 0)
            return port;
        long rc = hv_dom0_bind_from_guest(d, (uint32_t)port, a->remote_port);
        if (rc)
            return rc;
        d->evtchn[port].state = HV_ECS_INTERDOMAIN;
        d->evtchn[port].remote_dom = 0;
        d->evtchn[port].remote_port = a->remote_port;
        d->evtchn[port].notify_vcpu = 0;
        a->local_port = (uint32_t)port;
        hv_evtchn_set_pending_locked(d, (uint32_t)port);
        return 0;
    }
    if (rdom != d->domid)
        return -XEN_EINVAL; /* other guests: bind_interdomain_remote() */
    if (a->remote_port >= d->max_evtchn)
        return -XEN_EINVAL;
    r = &d->evtchn[a->remote_port];
    if (r->state != HV_ECS_UNBOUND || r->remote_dom != d->domid)
        return -XEN_EINVAL;
    port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port].state = HV_ECS_INTERDOMAIN;
    d->evtchn[port].remote_dom = d->domid;
    d->evtchn[port].remote_port = a->remote_port;
    d->evtchn[port].notify_vcpu = 0;
    r->state = HV_ECS_INTERDOMAIN;
    r->remote_port = (uint32_t)port;
    a->local_port = (uint32_t)port;
    hv_evtchn_set_pending_locked(d, (uint32_t)port); /* as Xen does */
    return 0;
}

static long op_bind_virq(struct hv_domain *d, struct evtchn_bind_virq *a)
{
    int port;

    if (a->virq >= HV_NR_VIRQS || a->vcpu >= d->nr_vcpus)
        return -XEN_EINVAL;
    if (!virq_is_per_vcpu(a->virq) && a->vcpu != 0)
        return -XEN_EINVAL;
    if (d->virq_port[a->vcpu][a->virq])
        return -XEN_EEXIST;
    port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port].state = HV_ECS_VIRQ;
    d->evtchn[port].virq = a->virq;
    d->evtchn[port].notify_vcpu = (uint16_t)a->vcpu;
    d->virq_port[a->vcpu][a->virq] = (uint32_t)port;
    a->port = (uint32_t)port;
    return 0;
}

static long op_bind_ipi(struct hv_domain *d, struct evtchn_bind_ipi *a)
{
    int port;

    if (a->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    port = alloc_port(d);
    if (port < 0)
        return port;
    d->evtchn[port].state = HV_ECS_IPI;
    d->evtchn[port].notify_vcpu = (uint16_t)a->vcpu;
    a->port = (uint32_t)port;
    return 0;
}

static void clear_pending(struct hv_domain *d, uint32_t port)
{
    if (d->built)
        __atomic_fetch_and(&hv_shared_info(d)->evtchn_pending[port / 64],
                           ~(1ULL << (port % 64)), __ATOMIC_ACQ_REL);
}

static long op_close(struct hv_domain *d, uint32_t port, struct deferred *df)
{
    struct hv_evtchn *c;

    if (port == 0 || port >= d->max_evtchn)
        return -XEN_EINVAL;
    c = &d->evtchn[port];
    switch (c->state) {
    case HV_ECS_FREE:
    case HV_ECS_RESERVED:
        return -XEN_EINVAL;
    case HV_ECS_VIRQ: {
        /* A global VIRQ stays recorded under vCPU 0 when bind_vcpu moves
         * its notifications elsewhere. */
        unsigned vc = virq_is_per_vcpu(c->virq) ? c->notify_vcpu : 0;
        if (d->virq_port[vc][c->virq] == port)
            d->virq_port[vc][c->virq] = 0;
        break;
    }
    case HV_ECS_INTERDOMAIN:
        if (c->remote_dom == 0) {
            hv_dom0_peer_closed(c->remote_port, d->domid, port);
        } else if (c->remote_dom != d->domid && df) {
            df->kind = DEF_PEER_CLOSED;
            df->dom = c->remote_dom;
            df->port = c->remote_port;
            df->self_port = port;
        } else if (c->remote_dom == d->domid &&
                   c->remote_port < d->max_evtchn) {
            struct hv_evtchn *r = &d->evtchn[c->remote_port];
            if (r->state == HV_ECS_INTERDOMAIN && r->remote_port == port) {
                r->state = HV_ECS_UNBOUND;
                r->remote_dom = d->domid;
                r->remote_port = 0;
            }
        }
        break;
    default:
        break;
    }
    memset(c, 0, sizeof(*c));
    clear_pending(d, port);
    return 0;
}

static long op_send(struct hv_domain *d, uint32_t port, struct deferred *df)
{
    struct hv_evtchn *c;

    if (port >= d->max_evtchn)
        return -XEN_EINVAL;
    c = &d->evtchn[port];
    switch (c->state) {
    case HV_ECS_INTERDOMAIN:
        if (c->remote_dom == d->domid) {
            hv_evtchn_set_pending_locked(d, c->remote_port);
        } else {
            df->kind = DEF_DELIVER;
            df->dom = c->remote_dom;
            df->port = c->remote_port;
            df->self_port = port;
        }
        return 0;
    case HV_ECS_IPI:
        hv_evtchn_set_pending_locked(d, port);
        return 0;
    case HV_ECS_UNBOUND:
        return 0; /* dropped, as in Xen */
    default:
        return -XEN_EINVAL;
    }
}

static long op_status(struct hv_domain *d, struct evtchn_status *a)
{
    struct hv_evtchn *c;

    if (a->dom != DOMID_SELF && a->dom != d->domid)
        return -XEN_EPERM;
    if (a->port >= d->max_evtchn)
        return -XEN_EINVAL;
    c = &d->evtchn[a->port];
    memset(&a->u, 0, sizeof(a->u));
    a->vcpu = c->notify_vcpu;
    switch (c->state) {
    case HV_ECS_FREE:
    case HV_ECS_RESERVED:
        a->status = EVTCHNSTAT_closed;
        break;
    case HV_ECS_UNBOUND:
        a->status = EVTCHNSTAT_unbound;
        a->u.unbound.dom = (domid_t)c->remote_dom;
        break;
    case HV_ECS_INTERDOMAIN:
        a->status = EVTCHNSTAT_interdomain;
        a->u.interdomain.dom = (domid_t)c->remote_dom;
        a->u.interdomain.port = c->remote_port;
        break;
    case HV_ECS_VIRQ:
        a->status = EVTCHNSTAT_virq;
        a->u.virq = c->virq;
        break;
    case HV_ECS_IPI:
        a->status = EVTCHNSTAT_ipi;
        break;
    }
    return 0;
}

static long op_bind_vcpu(struct hv_domain *d, struct evtchn_bind_vcpu *a)
{
    struct hv_evtchn *c;

    if (a->port >= d->max_evtchn)
        return -XEN_EINVAL;
    if (a->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    c = &d->evtchn[a->port];
    switch (c->state) {
    case HV_ECS_VIRQ:
        if (virq_is_per_vcpu(c->virq))
            return -XEN_EINVAL;
        /* fall through */
    case HV_ECS_UNBOUND:
    case HV_ECS_INTERDOMAIN:
        c->notify_vcpu = (uint16_t)a->vcpu;
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

static long op_unmask(struct hv_domain *d, uint32_t port)
{
    struct shared_info *sh = hv_shared_info(d);
    uint64_t bit = 1ULL << (port % 64), word = port / 64;
    struct hv_vcpu *v;

    if (port >= d->max_evtchn)
        return -XEN_EINVAL;
    __atomic_fetch_and(&sh->evtchn_mask[word], ~bit, __ATOMIC_ACQ_REL);
    if (!(__atomic_load_n(&sh->evtchn_pending[word], __ATOMIC_ACQUIRE) & bit))
        return 0;
    v = d->vcpus[d->evtchn[port].notify_vcpu];
    if (!v)
        return 0;
    if (!(__atomic_fetch_or(&sh->vcpu_info[v->id].evtchn_pending_sel,
                            1ULL << word, __ATOMIC_ACQ_REL) &
          (1ULL << word)))
        mark_vcpu_pending(v);
    return 0;
}

/* Argument sizes of each op; 0 = not supported. */
static const size_t op_size[] = {
    [EVTCHNOP_bind_interdomain] = sizeof(struct evtchn_bind_interdomain),
    [EVTCHNOP_bind_virq] = sizeof(struct evtchn_bind_virq),
    [EVTCHNOP_close] = sizeof(struct evtchn_close),
    [EVTCHNOP_send] = sizeof(struct evtchn_send),
    [EVTCHNOP_status] = sizeof(struct evtchn_status),
    [EVTCHNOP_alloc_unbound] = sizeof(struct evtchn_alloc_unbound),
    [EVTCHNOP_bind_ipi] = sizeof(struct evtchn_bind_ipi),
    [EVTCHNOP_bind_vcpu] = sizeof(struct evtchn_bind_vcpu),
    [EVTCHNOP_unmask] = sizeof(struct evtchn_unmask),
    [EVTCHNOP_reset] = sizeof(struct evtchn_reset),
};

static void peer_closed(struct hv_domain *d, const struct deferred *df)
{
    hv_domains_rdlock();
    struct hv_domain *r = hv_domain_find(df->dom);
    if (r) {
        pthread_mutex_lock(&r->lock);
        if (df->port < r->max_evtchn) {
            struct hv_evtchn *rc = &r->evtchn[df->port];
            if (rc->state == HV_ECS_INTERDOMAIN && rc->remote_dom == d->domid &&
                rc->remote_port == df->self_port) {
                rc->state = HV_ECS_UNBOUND;
                rc->remote_port = 0;
            }
        }
        pthread_mutex_unlock(&r->lock);
    }
    hv_domains_unlock();
}

/* Bind d to an unbound port of another guest: both locks, lower id first. */
static long bind_interdomain_remote(struct hv_domain *d,
                                    struct evtchn_bind_interdomain *a)
{
    struct hv_domain *r, *first, *second;
    long rc = 0;
    int port;

    hv_domains_rdlock();
    r = hv_domain_find(a->remote_dom);
    if (!r || !r->built) {
        hv_domains_unlock();
        return -XEN_ESRCH;
    }
    first = d->domid < r->domid ? d : r;
    second = first == d ? r : d;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    struct hv_evtchn *rc_ =
        a->remote_port < r->max_evtchn ? &r->evtchn[a->remote_port] : NULL;
    if (!rc_ || rc_->state != HV_ECS_UNBOUND || rc_->remote_dom != d->domid) {
        rc = -XEN_EINVAL;
    } else if ((port = alloc_port(d)) < 0) {
        rc = port;
    } else {
        d->evtchn[port].state = HV_ECS_INTERDOMAIN;
        d->evtchn[port].remote_dom = r->domid;
        d->evtchn[port].remote_port = a->remote_port;
        d->evtchn[port].notify_vcpu = 0;
        rc_->state = HV_ECS_INTERDOMAIN;
        rc_->remote_port = (uint32_t)port;
        a->local_port = (uint32_t)port;
        hv_evtchn_set_pending_locked(d, (uint32_t)port);
    }
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    hv_domains_unlock();
    return rc;
}

/*
 * EVTCHNOP_reset closes every port as EVTCHNOP_close would, one at a time
 * (each close may have to unlink a peer in another domain, which happens
 * with d->lock dropped): a peer must never stay bound to a port that the
 * reset frees and a later bind reuses.
 */
static long reset(struct hv_domain *d, const struct evtchn_reset *a)
{
    if (a->dom != DOMID_SELF && a->dom != d->domid)
        return -XEN_EPERM;
    for (uint32_t p = 1; p < d->max_evtchn; p++) {
        struct evtchn_close c = { p };
        pthread_mutex_lock(&d->lock);
        uint8_t st = d->evtchn[p].state;
        pthread_mutex_unlock(&d->lock);
        if (st != HV_ECS_FREE && st != HV_ECS_RESERVED)
            (void)hv_evtchn_op(d, EVTCHNOP_close, &c);
    }
    return 0;
}

long hv_evtchn_op(struct hv_domain *d, uint64_t cmd, void *arg)
{
    struct deferred df = { DEF_NONE, 0, 0, 0 };
    long rc;

    if (cmd == EVTCHNOP_reset)
        return reset(d, arg);
    if (cmd == EVTCHNOP_bind_interdomain) {
        struct evtchn_bind_interdomain *b = arg;
        if (b->remote_dom != DOMID_SELF && b->remote_dom != d->domid &&
            b->remote_dom != 0)
            return bind_interdomain_remote(d, b);
    }
    pthread_mutex_lock(&d->lock);
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        rc = op_alloc_unbound(d, arg);
        break;
    case EVTCHNOP_bind_interdomain:
        rc = op_bind_interdomain(d, arg);
        break;
    case EVTCHNOP_bind_virq:
        rc = op_bind_virq(d, arg);
        break;
    case EVTCHNOP_bind_ipi:
        rc = op_bind_ipi(d, arg);
        break;
    case EVTCHNOP_close:
        rc = op_close(d, ((struct evtchn_close *)arg)->port, &df);
        break;
    case EVTCHNOP_send:
        rc = op_send(d, ((struct evtchn_send *)arg)->port, &df);
        break;
    case EVTCHNOP_status:
        rc = op_status(d, arg);
        break;
    case EVTCHNOP_bind_vcpu:
        rc = op_bind_vcpu(d, arg);
        break;
    case EVTCHNOP_unmask:
        rc = op_unmask(d, ((struct evtchn_unmask *)arg)->port);
        break;
    default:
        rc = -XEN_ENOSYS;
        break;
    }
    pthread_mutex_unlock(&d->lock);
    if (df.kind == DEF_DELIVER)
        hv_evtchn_deliver(d->domid, df.self_port, df.dom, df.port);
    else if (df.kind == DEF_PEER_CLOSED)
        peer_closed(d, &df);
    return rc;
}

long hv_do_evtchn_hc(struct hv_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3,
                     uint64_t a4, uint64_t a5)
{
    union {
        struct evtchn_send send;
        uint8_t raw[32];
    } u;
    size_t size;
    long rc;

    if (cmd == HV_EVTCHNOP_NOTIFY) {
        if (arg > UINT32_MAX)
            return -XEN_EINVAL;
        u.send.port = (uint32_t)arg;
        return hv_evtchn_op(v->d, EVTCHNOP_send, &u.send);
    }
    if (cmd >= sizeof(op_size) / sizeof(op_size[0]) || !op_size[cmd])
        return -XEN_ENOSYS;
    size = op_size[cmd];
    memset(&u, 0, sizeof(u));
    rc = hv_copy_from_guest(v, u.raw, arg, size);
    if (rc)
        return rc;
    rc = hv_evtchn_op(v->d, cmd, u.raw);
    if (rc == 0 && cmd != EVTCHNOP_send && cmd != EVTCHNOP_close &&
        cmd != EVTCHNOP_unmask && cmd != EVTCHNOP_bind_vcpu &&
        cmd != EVTCHNOP_reset) {
        int wrc = hv_copy_to_guest(v, arg, u.raw, size);
        if (wrc)
            return wrc;
    }
    return rc;
}
