// SPDX-License-Identifier: MIT
/* store_conn.c: connections: message reader/writer, socket and ring. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pvd_log.h"
#include "store.h"

/* ---- logging ---- */

int store_log_level = STORE_LOG_INFO;
static int log_fd = 2;

void store_log_set_fd(int fd)
{
    log_fd = fd;
}

int store_log_fd(void)
{
    return log_fd;
}

int store_log_parse_level(const char *s)
{
    return pvd_log_parse_level(s);
}

void store_log(int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    size_t n;

    if (level > store_log_level || log_fd < 0)
        return;
    va_start(ap, fmt);
    n = pvd_log_format(buf, sizeof(buf), "pvstored", level, fmt, ap);
    va_end(ap);
    if (write(log_fd, buf, n) < 0) {
        /* nowhere left to report it */
    }
}

/* ---- connections ---- */

struct store_conn *store_conn_new(struct store *st,
                                  const struct store_transport *tp, void *priv,
                                  int fd, uint32_t domid)
{
    struct store_conn *c = calloc(1, sizeof(*c));

    if (c)
        c->in = malloc(XENSTORE_PAYLOAD_MAX + 1);
    if (!c || !c->in) {
        if (c)
            free(c->in);
        free(c);
        struct store_conn tmp = { .priv = priv, .fd = fd };
        tp->destroy(&tmp);
        return NULL;
    }
    c->st = st;
    c->tp = tp;
    c->priv = priv;
    c->fd = fd;
    c->domid = domid;
    c->dom = store_domain_get(st, domid);
    c->next = st->conns;
    st->conns = c;
    st->nr_conns++;
    return c;
}

void store_conn_destroy(struct store_conn *c)
{
    struct store *st = c->st;

    for (struct store_conn **p = &st->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            st->nr_conns--;
            break;
        }
    }
    store_txn_abort_all(c);
    store_watch_remove_all(c);
    while (c->out_head) {
        struct store_outmsg *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    if (c->dom && c->dom->conn == c)
        c->dom->conn = NULL;
    c->tp->destroy(c);
    free(c->in);
    free(c);
}

void store_conn_reset(struct store_conn *c)
{
    store_txn_abort_all(c);
    store_watch_remove_all(c);
    while (c->out_head) {
        struct store_outmsg *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
    c->out_blocked = false;
    c->in_have = 0;
}

void store_conns_reap(struct store *st)
{
    struct store_conn **p = &st->conns;

    while (*p) {
        struct store_conn *c = *p;
        if (c->dead) {
            store_conn_destroy(c); /* unlinks c from *p */
            continue;
        }
        p = &c->next;
    }
}

int store_conn_send(struct store_conn *c, uint32_t type, uint32_t req_id,
                    uint32_t tx_id, const void *a, size_t alen, const void *b,
                    size_t blen)
{
    struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)(alen + blen) };
    struct store_outmsg *m;

    if (alen + blen > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    m = malloc(sizeof(*m) + sizeof(h) + alen + blen);
    if (!m)
        return -ENOMEM;
    m->next = NULL;
    m->off = 0;
    m->len = sizeof(h) + alen + blen;
    memcpy(m->data, &h, sizeof(h));
    if (alen)
        memcpy(m->data + sizeof(h), a, alen);
    if (blen)
        memcpy(m->data + sizeof(h) + alen, b, blen);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->out_bytes += m->len;
    return 0;
}

int store_conn_send_error(struct store_conn *c, const struct xsd_sockmsg *h,
                          int err)
{
    const char *name = store_wire_errname(err);

    return store_conn_send(c, XS_ERROR, h->req_id, h->tx_id, name,
                           strlen(name) + 1, NULL, 0);
}

static void kill_conn(struct store_conn *c, const char *why, bool normal)
{
    if (!c->dead)
        store_log(normal ? STORE_LOG_DEBUG : STORE_LOG_INFO,
                  "d%u: dropping %s connection: %s", c->domid, c->tp->name,
                  why);
    c->dead = true;
}

unsigned store_conn_process(struct store_conn *c, unsigned budget)
{
    const size_t hsz = sizeof(struct xsd_sockmsg);
    unsigned done = 0;

    c->more = false;
    if (c->tp->sync)
        c->tp->sync(c);
    while (!c->dead) {
        size_t want;
        char *dst;
        ssize_t n;

        if (c->out_bytes > STORE_OUTQ_SOFT) {
            c->out_blocked = true; /* resume once the peer reads */
            break;
        }
        c->out_blocked = false;
        if (done >= budget) {
            c->more = true;
            break;
        }
        if (c->in_have < hsz) {
            dst = (char *)&c->hdr + c->in_have;
            want = hsz - c->in_have;
        } else {
            dst = c->in + (c->in_have - hsz);
            want = c->hdr.len - (c->in_have - hsz);
        }
        if (want) {
            n = c->tp->read(c, dst, want);
            if (n < 0) {
                kill_conn(
                    c, n == -ECONNRESET ? "closed by peer" : "transport error",
                    n == -ECONNRESET);
                break;
            }
            if (n == 0)
                break;
            c->in_have += (size_t)n;
            if (c->in_have == hsz && c->hdr.len > XENSTORE_PAYLOAD_MAX) {
                store_warn("d%u: message of %u bytes exceeds %u", c->domid,
                           c->hdr.len, XENSTORE_PAYLOAD_MAX);
                kill_conn(c, "oversized message", false);
                break;
            }
            if (c->in_have < hsz || c->in_have < hsz + c->hdr.len)
                continue;
        }
        c->in[c->hdr.len] = '\0';
        c->in_have = 0;
        done++;
        if (store_wire_dispatch(c, &c->hdr, c->in))
            kill_conn(c, "protocol violation", false);
    }
    return done;
}

void store_conn_flush(struct store_conn *c)
{
    if (c->tp->sync)
        c->tp->sync(c);
    while (!c->dead && c->out_head) {
        struct store_outmsg *m = c->out_head;
        ssize_t n = c->tp->write(c, m->data + m->off, m->len - m->off);

        if (n < 0) {
            kill_conn(c, "write failed", false);
            break;
        }
        if (n == 0)
            break;
        m->off += (size_t)n;
        if (m->off < m->len)
            continue;
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->out_bytes -= m->len;
        free(m);
    }
    if (!c->dead && c->tp->kick)
        c->tp->kick(c);
}

/* ---- unix socket transport ---- */

static ssize_t sock_read(struct store_conn *c, void *buf, size_t len)
{
    ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

    if (n > 0)
        return n;
    if (n == 0)
        return -ECONNRESET;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    return -errno;
}

static ssize_t sock_write(struct store_conn *c, const void *buf, size_t len)
{
    ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    return -errno;
}

static void sock_destroy(struct store_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
}

const struct store_transport store_socket_transport = {
    .name = "socket",
    .read = sock_read,
    .write = sock_write,
    .destroy = sock_destroy,
};

/* ---- guest ring transport ---- */

/*
 * Every index on the page is the guest's to scribble on, ours included:
 * each is read once, and a producer more than a ring ahead of its
 * consumer ends the connection (with XENSTORE_ERROR_RINGIDX on the page).
 * Bytes are copied out once and parsed from our copy.
 */
static uint32_t ld(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * Only we write req_cons and rsp_prod; req_cons and rsp_prod keep what we
 * wrote last. Other values on the page mean the guest side started over:
 * pvisor restarted the domain in place (its memory, this page included,
 * was zeroed and reloaded: same domid, same page) or the guest wrote over
 * the page. The old conversation is over then; ring_sync resets it before
 * the next batch, and until then reads and writes do nothing.
 */
struct ring_state {
    struct store_ring r;
    bool dirty;
    uint32_t req_cons, rsp_prod;
};

static bool ring_started_over(const struct ring_state *rs)
{
    return ld(&rs->r.intf->req_cons) != rs->req_cons ||
           ld(&rs->r.intf->rsp_prod) != rs->rsp_prod;
}

static void ring_sync(struct store_conn *c)
{
    struct ring_state *rs = c->priv;

    if (!ring_started_over(rs))
        return;
    store_info("d%u: xenstore ring started over (domain restarted?): "
               "dropping its watches, transactions and unsent replies",
               c->domid);
    store_conn_reset(c);
    rs->req_cons = ld(&rs->r.intf->req_cons);
    rs->rsp_prod = ld(&rs->r.intf->rsp_prod);
    rs->r.broken = false;
    st32(&rs->r.intf->server_features, XENSTORE_SERVER_FEATURE_ERROR);
}

static ssize_t ring_broken(struct store_conn *c, struct ring_state *rs,
                           uint32_t prod, uint32_t cons)
{
    if (!rs->r.broken)
        store_warn("d%u: bad xenstore ring indices prod %u cons %u", c->domid,
                   prod, cons);
    rs->r.broken = true;
    st32(&rs->r.intf->error, XENSTORE_ERROR_RINGIDX);
    return -EPROTO;
}

static ssize_t ring_read(struct store_conn *c, void *buf, size_t len)
{
    struct ring_state *rs = c->priv;
    struct xenstore_domain_interface *in = rs->r.intf;
    uint32_t cons, prod, avail, off;
    size_t n;

    if (ring_started_over(rs))
        return 0; /* ring_sync resets the connection first */
    if (rs->r.broken)
        return -EPROTO;
    cons = ld(&in->req_cons);
    prod = ld(&in->req_prod);
    if (prod - cons > XENSTORE_RING_SIZE)
        return ring_broken(c, rs, prod, cons);
    avail = prod - cons;
    n = len < avail ? len : avail;
    if (n == 0)
        return 0;
    off = MASK_XENSTORE_IDX(cons);
    if (off + n <= XENSTORE_RING_SIZE) {
        memcpy(buf, in->req + off, n);
    } else {
        size_t first = XENSTORE_RING_SIZE - off;
        memcpy(buf, in->req + off, first);
        memcpy((char *)buf + first, in->req, n - first);
    }
    st32(&in->req_cons, cons + (uint32_t)n);
    rs->req_cons = cons + (uint32_t)n;
    rs->dirty = true;
    return (ssize_t)n;
}

static ssize_t ring_write(struct store_conn *c, const void *buf, size_t len)
{
    struct ring_state *rs = c->priv;
    struct xenstore_domain_interface *in = rs->r.intf;
    uint32_t cons, prod, space, off;
    size_t n;

    if (ring_started_over(rs))
        return 0; /* ring_sync resets the connection first */
    if (rs->r.broken)
        return -EPROTO;
    cons = ld(&in->rsp_cons);
    prod = ld(&in->rsp_prod);
    if (prod - cons > XENSTORE_RING_SIZE)
        return ring_broken(c, rs, prod, cons);
    space = XENSTORE_RING_SIZE - (prod - cons);
    n = len < space ? len : space;
    if (n == 0)
        return 0;
    off = MASK_XENSTORE_IDX(prod);
    if (off + n <= XENSTORE_RING_SIZE) {
        memcpy(in->rsp + off, buf, n);
    } else {
        size_t first = XENSTORE_RING_SIZE - off;
        memcpy(in->rsp + off, buf, first);
        memcpy(in->rsp, (const char *)buf + first, n - first);
    }
    st32(&in->rsp_prod, prod + (uint32_t)n);
    rs->rsp_prod = prod + (uint32_t)n;
    rs->dirty = true;
    return (ssize_t)n;
}

static void ring_kick(struct store_conn *c)
{
    struct ring_state *rs = c->priv;

    if (rs->dirty && rs->r.notify)
        rs->r.notify(&rs->r);
    rs->dirty = false;
}

static void ring_destroy(struct store_conn *c)
{
    struct ring_state *rs = c->priv;

    if (!rs)
        return;
    if (rs->r.release)
        rs->r.release(&rs->r);
    if (rs->r.map)
        munmap(rs->r.map, rs->r.map_len);
    free(rs);
}

const struct store_transport store_ring_transport = {
    .name = "ring",
    .read = ring_read,
    .write = ring_write,
    .kick = ring_kick,
    .destroy = ring_destroy,
    .sync = ring_sync,
};

struct store_conn *store_ring_conn_new(struct store *st, uint32_t domid,
                                       const struct store_ring *r)
{
    struct ring_state *rs = calloc(1, sizeof(*rs));

    if (!rs) {
        if (r->release)
            r->release((struct store_ring *)r);
        if (r->map)
            munmap(r->map, r->map_len);
        return NULL;
    }
    rs->r = *r;
    rs->req_cons = ld(&rs->r.intf->req_cons);
    rs->rsp_prod = ld(&rs->r.intf->rsp_prod);
    st32(&rs->r.intf->server_features, XENSTORE_SERVER_FEATURE_ERROR);
    return store_conn_new(st, &store_ring_transport, rs, -1, domid);
}

struct store_ring *store_ring_of(struct store_conn *c)
{
    return c->tp == &store_ring_transport ? c->priv : NULL;
}
