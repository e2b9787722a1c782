// SPDX-License-Identifier: MIT
/* pvc_evtchn.c: dom0 event channels over pvisor's eventfd pairs. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pvctrl.h"
#include "pvevtchn.h"

struct port {
    uint32_t port;
    int in_fd, out_fd;
};

struct pvevtchn {
    struct pvc_handle *h;
    int epfd;
    struct port *ports;
    size_t nr, cap;
};

pvevtchn *pvevtchn_open(const char *run_dir)
{
    pvevtchn *x = calloc(1, sizeof(*x));
    int rc;

    if (!x) {
        errno = ENOMEM;
        return NULL;
    }
    rc = pvc_open(run_dir, &x->h);
    if (rc) {
        free(x);
        errno = -rc;
        return NULL;
    }
    x->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (x->epfd < 0) {
        int e = errno;
        pvc_close(x->h);
        free(x);
        errno = e;
        return NULL;
    }
    return x;
}

int pvevtchn_bind_domain(pvevtchn *x, uint32_t domid)
{
    return pvc_bind_domain(x->h, domid);
}

void pvevtchn_close(pvevtchn *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nr; i++) {
        close(x->ports[i].in_fd);
        close(x->ports[i].out_fd);
    }
    free(x->ports);
    close(x->epfd);
    pvc_close(x->h); /* pvisor closes the ports with the connection */
    free(x);
}

int pvevtchn_fd(pvevtchn *x)
{
    return x->epfd;
}

static struct port *find(pvevtchn *x, uint32_t port)
{
    for (size_t i = 0; i < x->nr; i++)
        if (x->ports[i].port == port)
            return &x->ports[i];
    return NULL;
}

static int arm(pvevtchn *x, struct port *p, int op)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
                              .data.u32 = p->port };
    return epoll_ctl(x->epfd, op, p->in_fd, &ev) < 0 ? -errno : 0;
}

static int add_port(pvevtchn *x, uint32_t port, const int fds[2])
{
    if (x->nr == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 8;
        struct port *n = realloc(x->ports, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        x->ports = n;
        x->cap = ncap;
    }
    struct port *p = &x->ports[x->nr];
    p->port = port;
    p->in_fd = fds[0];
    p->out_fd = fds[1];
    int rc = arm(x, p, EPOLL_CTL_ADD);
    if (rc)
        return rc;
    x->nr++;
    return (int)port;
}

static int bind(pvevtchn *x, uint32_t domid, uint32_t remote_port)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__EvtchnBind b = PVMGMT__EVTCHN_BIND__INIT;
    Pvmgmt__Response *rsp = NULL;
    int fds[2] = { -1, -1 };
    size_t nfds = 0;
    int rc;

    b.domid = domid;
    b.remote_port = remote_port;
    req.op_case = PVMGMT__REQUEST__OP_EVTCHN_BIND;
    req.evtchn_bind = &b;
    rc = pvc_call(x->h, &req, &rsp, fds, 2, &nfds);
    if (rc == 0 && (nfds != 2 || !rsp->evtchn_bind))
        rc = -EPROTO;
    if (rc == 0)
        rc = add_port(x, rsp->evtchn_bind->port, fds);
    if (rc < 0)
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
    if (rsp)
        pvmgmt__response__free_unpacked(rsp, NULL);
    return rc;
}

int pvevtchn_bind_interdomain(pvevtchn *x, uint32_t domid,
                              pvevtchn_port_t remote_port)
{
    if (remote_port == 0)
        return -EINVAL;
    return bind(x, domid, remote_port);
}

int pvevtchn_bind_unbound_port(pvevtchn *x, uint32_t domid)
{
    return bind(x, domid, 0);
}

int pvevtchn_unbind(pvevtchn *x, pvevtchn_port_t port)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__EvtchnClose c = PVMGMT__EVTCHN_CLOSE__INIT;
    Pvmgmt__Response *rsp = NULL;
    struct port *p = find(x, port);
    int rc;

    if (!p)
        return -EINVAL;
    c.port = port;
    req.op_case = PVMGMT__REQUEST__OP_EVTCHN_CLOSE;
    req.evtchn_close = &c;
    rc = pvc_call(x->h, &req, &rsp, NULL, 0, NULL);
    if (rsp)
        pvmgmt__response__free_unpacked(rsp, NULL);
    epoll_ctl(x->epfd, EPOLL_CTL_DEL, p->in_fd, NULL);
    close(p->in_fd);
    close(p->out_fd);
    *p = x->ports[--x->nr];
    return rc;
}

int pvevtchn_notify(pvevtchn *x, pvevtchn_port_t port)
{
    struct port *p = find(x, port);
    uint64_t one = 1;

    if (!p)
        return -EINVAL;
    return write(p->out_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int pvevtchn_pending(pvevtchn *x)
{
    struct epoll_event ev;
    uint64_t cnt;

    for (;;) {
        int n = epoll_wait(x->epfd, &ev, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EAGAIN;
        struct port *p = find(x, ev.data.u32);
        if (!p)
            continue;
        /* Consume the count; the port stays disarmed (masked) until
         * pvevtchn_unmask, as a bound port is in Xen after delivery. */
        if (read(p->in_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
            return -errno;
        return (int)p->port;
    }
}

int pvevtchn_unmask(pvevtchn *x, pvevtchn_port_t port)
{
    struct port *p = find(x, port);

    if (!p)
        return -EINVAL;
    return arm(x, p, EPOLL_CTL_MOD);
}

int pvevtchn_alloc_unbound_for(pvevtchn *x, uint32_t domid,
                               uint32_t remote_domid)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__EvtchnAllocUnbound a = PVMGMT__EVTCHN_ALLOC_UNBOUND__INIT;
    Pvmgmt__Response *rsp = NULL;
    int rc;

    a.domid = domid;
    a.remote_domid = remote_domid;
    req.op_case = PVMGMT__REQUEST__OP_EVTCHN_ALLOC_UNBOUND;
    req.evtchn_alloc_unbound = &a;
    rc = pvc_call(x->h, &req, &rsp, NULL, 0, NULL);
    if (rc == 0)
        rc = rsp->evtchn_bind ? (int)rsp->evtchn_bind->port : -EPROTO;
    if (rsp)
        pvmgmt__response__free_unpacked(rsp, NULL);
    return rc;
}
