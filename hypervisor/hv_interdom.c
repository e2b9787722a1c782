// SPDX-License-Identifier: MIT
/* hv_interdom.c: event channels between domains, and dom0's eventfd ports. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pvabi/errno.h>

#include "hv.h"

/*
 * dom0 (the host's processes) has no shared_info: each of its ports is a
 * pair of eventfds owned by one management connection. in_fd is signalled
 * when the guest end sends (by pvisor, or by the host kernel through
 * the platform's notify fast path, KVM_IOEVENTFD on KVM); pvisor polls out_fd
 * and turns dom0's writes into pending bits on the guest end.
 */
struct dom0_port {
    bool used;
    bool bound;
    int owner; /* management connection slot */
    uint32_t remote_dom;
    uint32_t remote_port; /* when bound */
    int in_fd, out_fd;
    bool ioeventfd;
};

static pthread_mutex_t dom0_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dom0_port dom0_ports[HV_DOM0_MAX_PORTS];

int hv_ioeventfd(struct hv_domain *d, uint32_t gport, int fd, bool assign)
{
    if (!d->plat || !d->plat->notify_fd)
        return -EOPNOTSUPP;
    return d->plat->notify_fd(d, gport, fd, assign);
}

static void signal_fd(int fd)
{
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof(one));
    (void)n;
}

void hv_evtchn_deliver(uint32_t from_dom, uint32_t from_port, uint32_t dom,
                       uint32_t port)
{
    if (dom == 0) {
        pthread_mutex_lock(&dom0_lock);
        if (port < HV_DOM0_MAX_PORTS && dom0_ports[port].used &&
            dom0_ports[port].bound && dom0_ports[port].remote_dom == from_dom &&
            dom0_ports[port].remote_port == from_port)
            signal_fd(dom0_ports[port].in_fd);
        pthread_mutex_unlock(&dom0_lock);
        return;
    }
    hv_domains_rdlock();
    struct hv_domain *d = hv_domain_find(dom);
    if (d) {
        pthread_mutex_lock(&d->lock);
        if (port < d->max_evtchn &&
            d->evtchn[port].state == HV_ECS_INTERDOMAIN &&
            d->evtchn[port].remote_dom == from_dom &&
            d->evtchn[port].remote_port == from_port)
            hv_evtchn_set_pending_locked(d, port);
        pthread_mutex_unlock(&d->lock);
    }
    hv_domains_unlock();
}

static void dom0_free(uint32_t p)
{
    struct dom0_port *dp = &dom0_ports[p];

    if (dp->out_fd >= 0) {
        epoll_ctl(hv_epoll_fd, EPOLL_CTL_DEL, dp->out_fd, NULL);
        close(dp->out_fd);
    }
    if (dp->in_fd >= 0)
        close(dp->in_fd);
    memset(dp, 0, sizeof(*dp));
    dp->in_fd = dp->out_fd = -1;
}

/* Returns a port, -EDQUOT when remote has HV_DOM0_PORTS_PER_DOM already,
 * -ENOSPC when the table is full, or -errno. dom0_lock held. */
static int dom0_alloc(int owner, uint32_t remote, int fds[2])
{
    unsigned of_remote = 0;

    for (uint32_t p = 1; p < HV_DOM0_MAX_PORTS; p++)
        of_remote += dom0_ports[p].used && dom0_ports[p].remote_dom == remote;
    if (of_remote >= HV_DOM0_PORTS_PER_DOM)
        return -EDQUOT;
    for (uint32_t p = 1; p < HV_DOM0_MAX_PORTS; p++) {
        struct dom0_port *dp = &dom0_ports[p];
        if (dp->used)
            continue;
        dp->in_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        dp->out_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (dp->in_fd < 0 || dp->out_fd < 0) {
            int e = errno;
            dom0_free(p);
            return -e;
        }
        struct epoll_event ev = { .events = EPOLLIN,
                                  .data.u64 = HV_EPOLL_DOM0EVT | p };
        if (epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, dp->out_fd, &ev) < 0) {
            int e = errno;
            dom0_free(p);
            return -e;
        }
        dp->used = true;
        dp->owner = owner;
        dp->remote_dom = remote;
        fds[0] = dp->in_fd;
        fds[1] = dp->out_fd;
        return (int)p;
    }
    return -ENOSPC;
}

long hv_dom0_bind_from_guest(struct hv_domain *d, uint32_t gport, uint32_t p0)
{
    long rc = 0;

    pthread_mutex_lock(&dom0_lock);
    struct dom0_port *dp = p0 < HV_DOM0_MAX_PORTS ? &dom0_ports[p0] : NULL;
    if (!dp || !dp->used || dp->bound || dp->remote_dom != d->domid) {
        rc = -XEN_EINVAL;
    } else {
        dp->bound = true;
        dp->remote_port = gport;
        dp->ioeventfd = hv_ioeventfd(d, gport, dp->in_fd, true) == 0;
    }
    pthread_mutex_unlock(&dom0_lock);
    return rc;
}

void hv_dom0_peer_closed(uint32_t p0, uint32_t domid, uint32_t gport)
{
    struct hv_domain *d = hv_domain_find(domid);

    pthread_mutex_lock(&dom0_lock);
    struct dom0_port *dp = p0 < HV_DOM0_MAX_PORTS ? &dom0_ports[p0] : NULL;
    if (dp && dp->used && dp->bound && dp->remote_dom == domid &&
        dp->remote_port == gport) {
        if (dp->ioeventfd && d)
            hv_ioeventfd(d, gport, dp->in_fd, false);
        dp->ioeventfd = false;
        dp->bound = false;
        dp->remote_port = 0;
        signal_fd(dp->in_fd); /* let the backend notice */
    }
    pthread_mutex_unlock(&dom0_lock);
}

int hv_dom0_evtchn_bind(int owner, uint32_t domid, uint32_t remote_port,
                        uint32_t *port, int fds[2], char *err, size_t errlen)
{
    struct hv_domain *d = hv_domain_find(domid);
    int p;

    if (!d || domid == 0) {
        snprintf(err, errlen, "no domain with id %u", domid);
        return -ESRCH;
    }
    pthread_mutex_lock(&d->lock);
    pthread_mutex_lock(&dom0_lock);
    if (remote_port) {
        struct hv_evtchn *c =
            remote_port < d->max_evtchn ? &d->evtchn[remote_port] : NULL;
        if (!c || c->state != HV_ECS_UNBOUND || c->remote_dom != 0) {
            pthread_mutex_unlock(&dom0_lock);
            pthread_mutex_unlock(&d->lock);
            snprintf(err, errlen,
                     "d%u port %u is not an unbound port "
                     "allocated for domain 0",
                     domid, remote_port);
            return -EINVAL;
        }
    }
    p = dom0_alloc(owner, domid, fds);
    if (p < 0) {
        pthread_mutex_unlock(&dom0_lock);
        pthread_mutex_unlock(&d->lock);
        if (p == -EDQUOT)
            snprintf(err, errlen,
                     "d%u already has %u event channels with domain 0 "
                     "(the limit per domain)",
                     domid, HV_DOM0_PORTS_PER_DOM);
        else if (p == -ENOSPC)
            snprintf(err, errlen, "all %u domain 0 event channels are in use",
                     HV_DOM0_MAX_PORTS - 1);
        else
            snprintf(err, errlen, "no free dom0 event channel: %s",
                     strerror(-p));
        return p;
    }
    if (remote_port) {
        struct hv_evtchn *c = &d->evtchn[remote_port];
        c->state = HV_ECS_INTERDOMAIN;
        c->remote_dom = 0;
        c->remote_port = (uint32_t)p;
        dom0_ports[p].bound = true;
        dom0_ports[p].remote_port = remote_port;
        dom0_ports[p].ioeventfd =
            hv_ioeventfd(d, remote_port, dom0_ports[p].in_fd, true) == 0;
        signal_fd(dom0_ports[p].in_fd); /* Xen marks the binder pending */
    }
    pthread_mutex_unlock(&dom0_lock);
    pthread_mutex_unlock(&d->lock);
    *port = (uint32_t)p;
    return 0;
}

/* Unlink dom0 port p from its guest end; both locks taken here. */
static void dom0_unlink(uint32_t p)
{
    uint32_t rdom, rport;
    bool bound;

    pthread_mutex_lock(&dom0_lock);
    rdom = dom0_ports[p].remote_dom;
    rport = dom0_ports[p].remote_port;
    bound = dom0_ports[p].bound;
    pthread_mutex_unlock(&dom0_lock);
    if (!bound)
        return;
    struct hv_domain *d = hv_domain_find(rdom);
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    pthread_mutex_lock(&dom0_lock);
    if (dom0_ports[p].ioeventfd)
        hv_ioeventfd(d, rport, dom0_ports[p].in_fd, false);
    dom0_ports[p].ioeventfd = false;
    if (rport < d->max_evtchn) {
        struct hv_evtchn *c = &d->evtchn[rport];
        if (c->state == HV_ECS_INTERDOMAIN && c->remote_dom == 0 &&
            c->remote_port == p) {
            c->state = HV_ECS_UNBOUND;
            c->remote_port = 0;
        }
    }
    pthread_mutex_unlock(&dom0_lock);
    pthread_mutex_unlock(&d->lock);
}

int hv_dom0_evtchn_close(int owner, uint32_t port)
{
    if (port == 0 || port >= HV_DOM0_MAX_PORTS)
        return -EINVAL;
    pthread_mutex_lock(&dom0_lock);
    bool mine = dom0_ports[port].used && dom0_ports[port].owner == owner;
    pthread_mutex_unlock(&dom0_lock);
    if (!mine)
        return -EINVAL;
    dom0_unlink(port);
    pthread_mutex_lock(&dom0_lock);
    dom0_free(port);
    pthread_mutex_unlock(&dom0_lock);
    return 0;
}

void hv_dom0_release_owner(int owner)
{
    for (uint32_t p = 1; p < HV_DOM0_MAX_PORTS; p++) {
        pthread_mutex_lock(&dom0_lock);
        bool mine = dom0_ports[p].used && dom0_ports[p].owner == owner;
        pthread_mutex_unlock(&dom0_lock);
        if (mine)
            hv_dom0_evtchn_close(owner, p);
    }
}

void hv_dom0_event(uint32_t port)
{
    uint64_t cnt;
    uint32_t rdom = 0, rport = 0;
    bool bound = false;

    pthread_mutex_lock(&dom0_lock);
    if (port < HV_DOM0_MAX_PORTS && dom0_ports[port].used) {
        ssize_t n = read(dom0_ports[port].out_fd, &cnt, sizeof(cnt));
        (void)n;
        bound = dom0_ports[port].bound;
        rdom = dom0_ports[port].remote_dom;
        rport = dom0_ports[port].remote_port;
    }
    pthread_mutex_unlock(&dom0_lock);
    if (bound)
        hv_evtchn_deliver(0, port, rdom, rport);
}

void hv_interdom_domain_gone(struct hv_domain *d)
{
    /* dom0 ports bound to d become unbound; their owners are told. */
    pthread_mutex_lock(&dom0_lock);
    for (uint32_t p = 1; p < HV_DOM0_MAX_PORTS; p++) {
        struct dom0_port *dp = &dom0_ports[p];
        if (dp->used && dp->remote_dom == d->domid) {
            if (dp->ioeventfd)
                hv_ioeventfd(d, dp->remote_port, dp->in_fd, false);
            dp->ioeventfd = false;
            dp->bound = false;
            dp->remote_port = 0;
            signal_fd(dp->in_fd);
        }
    }
    pthread_mutex_unlock(&dom0_lock);
    /* Guest peers in other domains become unbound, as in Xen. */
    for (uint32_t p = 1; p < d->max_evtchn; p++) {
        struct hv_evtchn *c = &d->evtchn[p];
        if (c->state != HV_ECS_INTERDOMAIN || c->remote_dom == 0 ||
            c->remote_dom == d->domid)
            continue;
        struct hv_domain *r = hv_domain_find(c->remote_dom);
        if (!r || r == d)
            continue;
        pthread_mutex_lock(&r->lock);
        if (c->remote_port < r->max_evtchn) {
            struct hv_evtchn *rc = &r->evtchn[c->remote_port];
            if (rc->state == HV_ECS_INTERDOMAIN && rc->remote_dom == d->domid &&
                rc->remote_port == p) {
                rc->state = HV_ECS_UNBOUND;
                rc->remote_port = 0;
            }
        }
        pthread_mutex_unlock(&r->lock);
    }
}
