// SPDX-License-Identifier: MIT
/* hv_mgmt.c: the management protocol server (framed protobuf, unix socket). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvmgmt.pb-c.h"

#include "hv.h"
#include "hv_mgmt.h"
#include "hv_mgmt_int.h"
#include "pvd_daemon.h"

static int listen_fd = -1;
static int wake_fd = -1;
static char sock_path[108];
const char *hv_mgmt_run_dir;
uint64_t hv_mgmt_start_ns;
static struct client *clients[MAX_CLIENTS];
static struct grave graves[GRAVE_NR];
static unsigned grave_next;

static void mgmt_wake(void)
{
    uint64_t one = 1;
    ssize_t n = write(wake_fd, &one, sizeof(one));
    (void)n;
}

static void record_grave(struct hv_domain *d)
{
    struct grave *g = &graves[grave_next++ % GRAVE_NR];
    uint64_t start, n;

    free(g->crash_report);
    free(g->console);
    memset(g, 0, sizeof(*g));
    g->used = true;
    g->domid = d->domid;
    snprintf(g->name, sizeof(g->name), "%s", d->name);
    pthread_mutex_lock(&d->lock);
    g->reason = d->shutdown_reason;
    g->code = d->shutdown_code;
    g->stops = d->stops;
    g->state = d->state == HV_DOM_RUNNING ? HV_DOM_DYING : (int)d->state;
    g->crash_report = d->crash_report ? strdup(d->crash_report) : NULL;
    start = d->con.end > HV_CONSOLE_BUF ? d->con.end - HV_CONSOLE_BUF : 0;
    n = d->con.end - start;
    g->console = malloc(n ? n : 1);
    if (g->console) {
        for (uint64_t i = 0; i < n; i++)
            g->console[i] = d->con.buf[(start + i) % HV_CONSOLE_BUF];
        g->console_len = n;
    }
    g->console_end = d->con.end;
    pthread_mutex_unlock(&d->lock);
}

struct grave *hv_mgmt_find_grave(uint32_t domid)
{
    struct grave *best = NULL;
    for (unsigned i = 0; i < GRAVE_NR; i++) {
        unsigned k = (grave_next + GRAVE_NR - 1 - i) % GRAVE_NR;
        if (graves[k].used && graves[k].domid == domid) {
            best = &graves[k];
            break;
        }
    }
    return best;
}

int hv_mgmt_init(const char *dir, char *err, size_t errlen)
{
    struct epoll_event ev = { .events = EPOLLIN };

    hv_mgmt_run_dir = dir;
    hv_mgmt_start_ns = hv_now_ns();
    if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/pvisor.sock", dir) >=
        sizeof(sock_path)) {
        snprintf(err, errlen, "run directory path too long: %s", dir);
        return -ENAMETOOLONG;
    }
    /* A live pvisor's socket is refused, a stale one replaced. */
    listen_fd = pvd_unix_listen(sock_path);
    if (listen_fd == -EADDRINUSE) {
        listen_fd = -1;
        snprintf(err, errlen, "another pvisor is serving %s", sock_path);
        return -EADDRINUSE;
    }
    if (listen_fd < 0) {
        int e = listen_fd;
        listen_fd = -1;
        snprintf(err, errlen, "%s: %s", sock_path, strerror(-e));
        return e;
    }
    ev.data.u64 = HV_EPOLL_LISTEN;
    if (epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
        return -errno;
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ev.data.u64 = HV_EPOLL_WAKE;
    if (wake_fd < 0 || epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) < 0)
        return -errno;
    hv_notify_mgmt = mgmt_wake;
    hv_on_destroy = record_grave;
    return 0;
}

void hv_mgmt_fini(void)
{
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        if (clients[i])
            hv_mgmt_client_close(i);
    for (unsigned i = 0; i < GRAVE_NR; i++) {
        free(graves[i].crash_report);
        free(graves[i].console);
    }
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(sock_path);
    }
    if (wake_fd >= 0)
        close(wake_fd);
    hv_notify_mgmt = NULL;
    hv_on_destroy = NULL;
}

struct client *hv_mgmt_client(unsigned slot)
{
    return slot < MAX_CLIENTS ? clients[slot] : NULL;
}

static void frame_free(struct out_frame *f)
{
    for (unsigned i = 0; i < f->nfds; i++)
        close(f->fds[i]);
    free(f->data);
    free(f);
}

void hv_mgmt_client_close(unsigned slot)
{
    struct client *c = clients[slot];

    if (!c)
        return;
    clients[slot] = NULL;
    close(c->fd);
    hv_dom0_release_owner((int)slot);
    hv_mgmt_obs_client_gone(c);
    while (c->maps) {
        struct grant_map *m = c->maps;
        c->maps = m->next;
        struct hv_domain *d = hv_domain_find(m->domid);
        if (d)
            hv_gnttab_dom0_unmap(d, m->refs, m->n, m->writable);
        free(m);
    }
    while (c->out_head) {
        struct out_frame *f = c->out_head;
        c->out_head = f->next;
        frame_free(f);
    }
    while (c->polls) {
        struct longpoll *p = c->polls;
        c->polls = p->next;
        free(p);
    }
    free(c->rx);
    free(c);
}

void hv_mgmt_accept(void)
{
    for (;;) {
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        unsigned slot;

        if (fd < 0)
            return;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            (cred.uid != 0 && cred.uid != getuid())) {
            log_warn("mgmt: refused unprivileged peer (uid %d)", (int)cred.uid);
            close(fd);
            continue;
        }
        for (slot = 0; slot < MAX_CLIENTS && clients[slot]; slot++)
            ;
        struct client *c = slot < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
            log_warn("mgmt: too many clients; connection refused");
            close(fd);
            continue;
        }
        c->fd = fd;
        c->slot = slot;
        clients[slot] = c;
        struct epoll_event ev = { .events = EPOLLIN,
                                  .data.u64 = HV_EPOLL_CLIENT | slot };
        if (epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
            hv_mgmt_client_close(slot);
    }
}

/* Ask for EPOLLOUT while output is queued, and for EPOLLIN unless the
 * client is paused; a syscall only on a change (this runs for every
 * client after every main-loop wakeup). */
static void update_events(struct client *c)
{
    bool want = c->out_head != NULL;
    bool paused = c->out_bytes >= OUTQ_PAUSE;
    struct epoll_event ev = { .events = (paused ? 0 : EPOLLIN) |
                                        (want ? EPOLLOUT : 0),
                              .data.u64 = HV_EPOLL_CLIENT | c->slot };

    if (want == c->want_out && paused == c->paused)
        return;
    if (paused && !c->paused)
        log_debug("mgmt: client %u has %zu bytes of replies unread; "
                  "its requests wait until it reads",
                  c->slot, c->out_bytes);
    if (epoll_ctl(hv_epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0) {
        c->want_out = want;
        c->paused = paused;
    }
}

/* Returns false if the client must be closed. */
static bool flush_out(struct client *c)
{
    while (c->out_head) {
        struct out_frame *f = c->out_head;
        struct iovec iov = { f->data + f->off, f->len - f->off };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        char cbuf[CMSG_SPACE(2 * sizeof(int))];
        ssize_t n;

        if (f->off == 0 && f->nfds) {
            memset(cbuf, 0, sizeof(cbuf));
            mh.msg_control = cbuf;
            mh.msg_controllen = CMSG_SPACE(f->nfds * sizeof(int));
            struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(f->nfds * sizeof(int));
            memcpy(CMSG_DATA(cm), f->fds, f->nfds * sizeof(int));
        }
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return false;
        }
        if (n > 0 && f->off == 0) { /* the fds are on their way */
            for (unsigned i = 0; i < f->nfds; i++)
                close(f->fds[i]);
            f->nfds = 0;
        }
        f->off += (size_t)n;
        c->out_bytes -= (size_t)n;
        if (f->off < f->len)
            continue;
        c->out_head = f->next;
        if (!c->out_head)
            c->out_tail = NULL;
        frame_free(f);
    }
    update_events(c);
    return true;
}

static void queue_frame(struct client *c, struct out_frame *f)
{
    if (c->out_tail)
        c->out_tail->next = f;
    else
        c->out_head = f;
    c->out_tail = f;
    c->out_bytes += f->len;
}

int hv_mgmt_send_response(struct client *c, Pvmgmt__Response *rsp,
                          const int *fds, unsigned nfds)
{
    size_t len = pvmgmt__response__get_packed_size(rsp);
    struct out_frame *f;
    uint8_t *buf;

    if (nfds > 2)
        nfds = 2;
    /* Errors are small and a client has a bounded number of requests in
     * flight (it is paused at OUTQ_PAUSE), so they always fit. */
    if (rsp->status == 0 && c->out_bytes + len + 4 > OUTQ_MAX) {
        log_warn("mgmt: client %u: a %zu-byte reply refused, %zu bytes of "
                 "replies unread",
                 c->slot, len, c->out_bytes);
        hv_mgmt_send_error(c, rsp->id, ENOBUFS,
                           "reply of %zu bytes refused: %zu bytes of earlier "
                           "replies are unread (limit %u); read them first",
                           len, c->out_bytes, OUTQ_MAX);
        return -ENOBUFS;
    }
    f = calloc(1, sizeof(*f));
    buf = malloc(len + 4);
    if (!f || !buf) {
        free(f);
        free(buf);
        log_err("mgmt: out of memory for a %zu-byte response", len);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < nfds; i++) {
        f->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (f->fds[i] < 0) {
            int e = errno;
            f->nfds = i;
            frame_free(f);
            free(buf);
            log_warn("mgmt: client %u: cannot duplicate a descriptor for "
                     "its reply: %s",
                     c->slot, strerror(e));
            hv_mgmt_send_error(c, rsp->id, e,
                               "cannot pass the reply's descriptor: %s",
                               strerror(e));
            return -e;
        }
    }
    f->nfds = nfds;
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    pvmgmt__response__pack(rsp, buf + 4);
    f->data = buf;
    f->len = len + 4;
    queue_frame(c, f);
    return 0;
}

void hv_mgmt_send_error(struct client *c, uint64_t id, int status,
                        const char *fmt, ...)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.id = id;
    rsp.status = status;
    rsp.error = msg;
    hv_mgmt_send_response(c, &rsp, NULL, 0);
}

void hv_mgmt_send_ok(struct client *c, uint64_t id)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.id = id;
    hv_mgmt_send_response(c, &rsp, NULL, 0);
}

struct hv_domain *hv_mgmt_lookup(struct client *c, uint64_t id, uint32_t domid)
{
    struct hv_domain *d = hv_domain_find(domid);

    if (!d) {
        if (domid == 0)
            hv_mgmt_send_error(c, id, EPERM,
                               "domain 0 is the control domain itself");
        else
            hv_mgmt_send_error(c, id, ESRCH, "no domain with id %u", domid);
    }
    return d;
}

static void handle_frame(struct client *c, const uint8_t *buf, size_t len)
{
    Pvmgmt__Request *req = pvmgmt__request__unpack(NULL, len, buf);

    if (!req) {
        hv_mgmt_send_error(c, 0, EBADMSG,
                           "malformed request (not a valid "
                           "pvmgmt.Request message)");
        return;
    }
    if (req->version != PVMGMT__VERSION__VERSION_CURRENT) {
        hv_mgmt_send_error(c, req->id, EPROTONOSUPPORT,
                           "protocol version %u not "
                           "supported (pvisor speaks version %d)",
                           req->version, PVMGMT__VERSION__VERSION_CURRENT);
        pvmgmt__request__free_unpacked(req, NULL);
        return;
    }
    hv_mgmt_dispatch(c, req);
    pvmgmt__request__free_unpacked(req, NULL);
}

/*
 * Dispatches the complete frames in c's buffer while its output queue is
 * below OUTQ_PAUSE; the rest wait there. Returns false if c was closed.
 */
static bool process_rx(struct client *c)
{
    unsigned slot = c->slot;
    size_t pos = 0;

    while (c->rx_len - pos >= 4 && c->out_bytes < OUTQ_PAUSE) {
        const uint8_t *p = c->rx + pos;
        uint32_t flen = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                        ((uint32_t)p[2] << 8) | p[3];
        if (flen == 0 || flen > FRAME_MAX) {
            log_warn("mgmt: client sent a frame of %u bytes; "
                     "disconnecting it",
                     flen);
            hv_mgmt_send_error(c, 0, EMSGSIZE,
                               "frame length %u outside "
                               "1..%u",
                               flen, FRAME_MAX);
            flush_out(c);
            hv_mgmt_client_close(slot);
            return false;
        }
        if (c->rx_len - pos - 4 < flen)
            break;
        handle_frame(c, p + 4, flen);
        pos += 4 + flen;
        if (!clients[slot])
            return false;
    }
    if (pos) {
        memmove(c->rx, c->rx + pos, c->rx_len - pos);
        c->rx_len -= pos;
    }
    return true;
}

/* Sends what it can and takes requests that waited for the queue to
 * drain, until neither moves. Returns false if c was closed. */
static bool service(struct client *c)
{
    unsigned slot = c->slot;

    for (;;) {
        size_t rx_len;

        if (!flush_out(c)) {
            hv_mgmt_client_close(slot);
            return false;
        }
        rx_len = c->rx_len;
        if (!process_rx(c))
            return false;
        if (c->rx_len == rx_len) /* nothing (more) it could take */
            return true;
    }
}

void hv_mgmt_client_event(unsigned slot, uint32_t events)
{
    struct client *c = slot < MAX_CLIENTS ? clients[slot] : NULL;

    if (!c)
        return;
    if (events & (EPOLLERR | EPOLLHUP)) {
        if (!(events & EPOLLIN)) {
            hv_mgmt_client_close(slot);
            return;
        }
    }
    /* A paused client's requests stay in its socket until it reads. */
    if ((events & EPOLLIN) && c->out_bytes < OUTQ_PAUSE) {
        for (;;) {
            if (c->rx_cap - c->rx_len < 65536) {
                size_t ncap = c->rx_cap ? c->rx_cap * 2 : 65536;
                if (ncap > FRAME_MAX + 4 + 65536) {
                    hv_mgmt_client_close(slot);
                    return;
                }
                uint8_t *n = realloc(c->rx, ncap);
                if (!n) {
                    hv_mgmt_client_close(slot);
                    return;
                }
                c->rx = n;
                c->rx_cap = ncap;
            }
            ssize_t n = read(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len);
            if (n == 0) {
                hv_mgmt_client_close(slot);
                return;
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN)
                    break;
                hv_mgmt_client_close(slot);
                return;
            }
            c->rx_len += (size_t)n;
        }
        if (!process_rx(c))
            return;
    }
    service(c);
}

int hv_mgmt_poll_timeout(void)
{
    uint64_t now = hv_now_ns(), best = 0;

    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        if (!clients[i])
            continue;
        for (struct longpoll *p = clients[i]->polls; p; p = p->next)
            if (p->deadline && (!best || p->deadline < best))
                best = p->deadline;
    }
    if (!best)
        return -1;
    if (best <= now)
        return 0;
    return (int)((best - now) / 1000000ULL) + 1;
}

void hv_mgmt_wake(bool from_fd)
{
    uint64_t cnt;
    if (from_fd) {
        ssize_t n = read(wake_fd, &cnt, sizeof(cnt));
        (void)n;
    }
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = clients[i];
        if (!c)
            continue;
        struct longpoll **pp = &c->polls;
        while (*pp) {
            struct longpoll *p = *pp;
            if (hv_mgmt_longpoll_try(c, p)) {
                *pp = p->next;
                free(p);
            } else {
                pp = &p->next;
            }
        }
        service(c);
    }
}
