// SPDX-License-Identifier: MIT
/* fuzz_store_socket.c: pvstored's dispatcher fed socket streams. */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "store.h"

/*
 * Three socket clients (dom0, and two connections that act for domains 5
 * and 6, as rings do) send whatever the input says, in pieces of any size
 * (so headers and payloads split anywhere); each piece is processed and
 * the replies drained. INTRODUCE works, through a fake host whose rings
 * are plain memory, so guest connections appear too. A fresh store per
 * input. Input: repeated [client byte][length u16][bytes].
 */

struct mem {
    const uint8_t *in;
    size_t in_len, in_off;
};

static ssize_t mem_read(struct store_conn *c, void *buf, size_t len)
{
    struct mem *m = c->priv;
    size_t n = m->in_len - m->in_off;

    if (n > len)
        n = len;
    memcpy(buf, m->in + m->in_off, n);
    m->in_off += n;
    return (ssize_t)n;
}

static ssize_t mem_write(struct store_conn *c, const void *buf, size_t len)
{
    (void)c;
    (void)buf;
    return (ssize_t)len; /* the client reads everything at once */
}

static void mem_destroy(struct store_conn *c)
{
    free(c->priv);
}

static const struct store_transport mem_tp = {
    .name = "fuzz",
    .read = mem_read,
    .write = mem_write,
    .destroy = mem_destroy,
};

static struct xenstore_domain_interface *pages[64];

static void no_notify(struct store_ring *r)
{
    (void)r;
}

static int fake_introduce(struct store *s, uint32_t domid, uint64_t mfn,
                          uint32_t port, struct store_conn **out)
{
    struct store_ring r = { 0 };

    (void)mfn;
    if (domid >= 64)
        return -EINVAL;
    if (!pages[domid] && !(pages[domid] = calloc(1, 4096)))
        return -ENOMEM;
    memset(pages[domid], 0, 4096);
    r.intf = pages[domid];
    r.port = port;
    r.notify = no_notify;
    *out = store_ring_conn_new(s, domid, &r);
    return *out ? 0 : -ENOMEM;
}

static const struct store_host_ops fake_host = { fake_introduce };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t ids[3] = { 0, 5, 6 };
    struct fz f = { data, size };
    struct store_conn *c[3];
    struct mem *m[3];
    struct store *st;

    store_log_set_fd(-1);
    st = store_new();
    if (!st)
        return 0;
    st->host = &fake_host;
    for (int i = 0; i < 3; i++) {
        m[i] = calloc(1, sizeof(*m[i]));
        c[i] = m[i] ? store_conn_new(st, &mem_tp, m[i], -1, ids[i]) : NULL;
        if (!c[i])
            abort();
    }
    while (f.n) {
        unsigned k = fz_u8(&f) % 3;
        size_t len = fz_u16(&f) % 8192;

        if (len > f.n)
            len = f.n;
        m[k]->in = f.p;
        m[k]->in_len = len;
        m[k]->in_off = 0;
        f.p += len;
        f.n -= len;
        for (int round = 0; round < 64 && !c[k]->dead; round++) {
            store_conn_process(c[k], STORE_BATCH);
            store_conn_flush(c[k]);
            if (!c[k]->more && m[k]->in_off == m[k]->in_len)
                break;
        }
        m[k]->in = NULL;
        m[k]->in_len = m[k]->in_off = 0;
        /* Guest rings the input introduced: serve what they hold. */
        for (struct store_conn *g = st->conns; g; g = g->next)
            if (g->tp != &mem_tp && !g->dead) {
                store_conn_process(g, STORE_BATCH);
                store_conn_flush(g);
            }
        if (c[k]->dead) /* a fatal error for that client: a new one */
            break;
    }
    store_free(st);
    return 0;
}
