/* SPDX-License-Identifier: MIT */
/* xs-loop.c: guest-kit's xenbus client against a small in-guest store. */
#include <guestkit/guestkit.h>

/*
 * The guest serves a xenstore ring itself: a page, and an event channel
 * looped back within the domain (alloc_unbound to itself, then
 * bind_interdomain). A server thread implements enough of the protocol
 * (READ, WRITE, MKDIR, RM, DIRECTORY, SET_PERMS, WATCH, UNWATCH, WATCH
 * events, TRANSACTION_START/END with one forced EAGAIN, GET_DOMAIN_PATH)
 * for gk_xenbus_attach() to run the real client over it: ring wrap-around,
 * request ids, blocking threads (also on vCPU 1 with vcpus >= 2), watches
 * both ways, the transaction retry, and finally guest-kit's
 * control/shutdown handling. Lines: "xs-loop: N/N checks passed", then
 * "guest-kit: shutdown requested (poweroff)".
 */
#define SELF        "/local/domain/7"
#define MAX_NODES   128
#define MAX_WATCHES 16

struct node {
    char *path, *value;
};
struct swatch {
    char path[128], token[32];
};

static struct xenstore_domain_interface *ring;
static evtchn_port_t srv_port;
static struct node nodes[MAX_NODES];
static struct swatch swatches[MAX_WATCHES];
static int commits, conflict;
static int checks, passed;

static void check(int ok, const char *what, long got)
{
    checks++;
    if (ok)
        passed++;
    else
        gk_printf("xs-loop: FAIL %s (got %ld)\n", what, got);
}

/* ---- the store side ---- */

static void srv_read(void *buf, uint32_t len)
{
    char *d = buf;

    while (len) {
        uint32_t cons = GK_READ_ONCE(ring->req_cons);
        uint32_t prod = GK_READ_ONCE(ring->req_prod);
        uint32_t n;

        if (prod == cons) {
            gk_wait_event(srv_port);
            continue;
        }
        gk_rmb();
        n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
        if (n > prod - cons)
            n = prod - cons;
        if (n > len)
            n = len;
        memcpy(d, ring->req + MASK_XENSTORE_IDX(cons), n);
        gk_mb();
        GK_WRITE_ONCE(ring->req_cons, cons + n);
        gk_evtchn_send(srv_port);
        d += n;
        len -= n;
    }
}

static void srv_write(const void *buf, uint32_t len)
{
    const char *s = buf;

    while (len) {
        uint32_t cons = GK_READ_ONCE(ring->rsp_cons);
        uint32_t prod = GK_READ_ONCE(ring->rsp_prod);
        uint32_t n;

        if (prod - cons == XENSTORE_RING_SIZE) {
            gk_wait_event(srv_port);
            continue;
        }
        n = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
        if (n > XENSTORE_RING_SIZE - (prod - cons))
            n = XENSTORE_RING_SIZE - (prod - cons);
        if (n > len)
            n = len;
        gk_mb();
        memcpy(ring->rsp + MASK_XENSTORE_IDX(prod), s, n);
        gk_wmb();
        GK_WRITE_ONCE(ring->rsp_prod, prod + n);
        gk_evtchn_send(srv_port);
        s += n;
        len -= n;
    }
}

static void reply(uint32_t type, uint32_t id, const void *p, uint32_t len)
{
    struct xsd_sockmsg h = { type, id, 0, len };

    srv_write(&h, sizeof(h));
    srv_write(p, len);
}

static void reply_err(uint32_t id, const char *e)
{
    reply(XS_ERROR, id, e, (uint32_t)strlen(e) + 1);
}

static void canon(const char *p, char *out, size_t len)
{
    if (p[0] == '/')
        gk_strlcpy(out, p, len);
    else
        gk_snprintf(out, len, "%s/%s", SELF, p);
}

static struct node *find(const char *abs)
{
    for (int i = 0; i < MAX_NODES; i++)
        if (nodes[i].path && strcmp(nodes[i].path, abs) == 0)
            return &nodes[i];
    return NULL;
}

static char *dup(const char *s, size_t n)
{
    char *d = gk_malloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void fire(const char *abs)
{
    for (int i = 0; i < MAX_WATCHES; i++) {
        struct swatch *w = &swatches[i];
        char wabs[160], buf[400];
        size_t wl;
        int n;

        if (!w->token[0])
            continue;
        canon(w->path, wabs, sizeof(wabs));
        wl = strlen(wabs);
        if (strncmp(abs, wabs, wl) != 0 || (abs[wl] && abs[wl] != '/'))
            continue;
        /* Relative watches get relative paths, as xenstored does. */
        n = gk_snprintf(buf, sizeof(buf), "%s",
                        w->path[0] == '/' ? abs : abs + strlen(SELF) + 1);
        n += 1 + gk_snprintf(buf + n + 1, sizeof(buf) - (size_t)n - 1, "%s",
                             w->token);
        reply(XS_WATCH_EVENT, 0, buf, (uint32_t)n + 1);
    }
}

static void set(const char *abs, const char *v, size_t vlen)
{
    struct node *n = find(abs);

    for (int i = 0; !n && i < MAX_NODES; i++)
        if (!nodes[i].path) {
            n = &nodes[i];
            n->path = dup(abs, strlen(abs));
        }
    gk_free(n->value);
    n->value = dup(v, vlen);
    fire(abs);
}

static void handle(struct xsd_sockmsg *h, char *body)
{
    char abs[200], out[1024];
    size_t plen = strnlen(body, h->len);
    const char *arg = body + plen + 1;
    struct node *n;
    uint32_t o = 0;

    canon(body, abs, sizeof(abs));
    switch (h->type) {
    case XS_READ:
        if (!(n = find(abs)))
            return reply_err(h->req_id, "ENOENT");
        return reply(XS_READ, h->req_id, n->value, (uint32_t)strlen(n->value));
    case XS_WRITE:
        if (h->tx_id && strcmp(abs, SELF "/data/txn") == 0 && !commits++)
            conflict = 1;
        set(abs, arg, h->len - plen - 1);
        return reply(h->type, h->req_id, "OK", 3);
    case XS_MKDIR:
        if (!find(abs))
            set(abs, "", 0);
        return reply(h->type, h->req_id, "OK", 3);
    case XS_RM: {
        size_t al = strlen(abs);
        int hit = 0;

        for (int i = 0; i < MAX_NODES; i++) {
            char *p = nodes[i].path;

            if (p && strncmp(p, abs, al) == 0 && (!p[al] || p[al] == '/')) {
                gk_free(p);
                gk_free(nodes[i].value);
                nodes[i].path = nodes[i].value = NULL;
                hit = 1;
            }
        }
        if (!hit)
            return reply_err(h->req_id, "ENOENT");
        fire(abs);
        return reply(h->type, h->req_id, "OK", 3);
    }
    case XS_DIRECTORY: {
        size_t al = strlen(abs);

        for (int i = 0; i < MAX_NODES; i++) {
            char *p = nodes[i].path;

            if (p && strncmp(p, abs, al) == 0 && p[al] == '/' &&
                !strchr(p + al + 1, '/') && o + strlen(p) < sizeof(out)) {
                size_t l = strlen(p + al + 1) + 1;

                memcpy(out + o, p + al + 1, l);
                o += (uint32_t)l;
            }
        }
        return reply(h->type, h->req_id, out, o);
    }
    case XS_SET_PERMS:
        if (!find(abs))
            return reply_err(h->req_id, "ENOENT");
        if (h->len <= plen + 1 ||
            (arg[0] != 'n' && arg[0] != 'r' && arg[0] != 'w' && arg[0] != 'b'))
            return reply_err(h->req_id, "EINVAL");
        return reply(h->type, h->req_id, "OK", 3);
    case XS_WATCH:
    case XS_UNWATCH:
        for (int i = 0; i < MAX_WATCHES; i++) {
            struct swatch *w = &swatches[i];

            if (h->type == XS_WATCH && !w->token[0]) {
                gk_strlcpy(w->path, body, sizeof(w->path));
                gk_strlcpy(w->token, arg, sizeof(w->token));
                reply(h->type, h->req_id, "OK", 3);
                fire(abs); /* the initial event, after the reply */
                return;
            }
            if (h->type == XS_UNWATCH && strcmp(w->token, arg) == 0) {
                w->token[0] = '\0';
                return reply(h->type, h->req_id, "OK", 3);
            }
        }
        return reply_err(h->req_id, h->type == XS_WATCH ? "ENOSPC" : "ENOENT");
    case XS_TRANSACTION_START:
        return reply(h->type, h->req_id, "42", 3);
    case XS_TRANSACTION_END:
        /* The first transaction writing data/txn conflicts. */
        if (body[0] == 'T' && conflict) {
            conflict = 0;
            return reply_err(h->req_id, "EAGAIN");
        }
        return reply(h->type, h->req_id, "OK", 3);
    case XS_GET_DOMAIN_PATH:
        o = (uint32_t)gk_snprintf(out, sizeof(out), "/local/domain/%s", body);
        return reply(h->type, h->req_id, out, o + 1);
    default:
        return reply_err(h->req_id, "ENOSYS");
    }
}

static void server(void *arg)
{
    (void)arg;
    set(SELF "/domid", "7", 1);
    set(SELF "/name", "xs-loop", 7);
    for (;;) {
        struct xsd_sockmsg h;
        char *body;

        srv_read(&h, sizeof(h));
        body = gk_malloc(h.len + 1);
        srv_read(body, h.len);
        body[h.len] = '\0';
        handle(&h, body);
        gk_free(body);
    }
}

/* ---- the client side ---- */

static int txn_calls;

static int txn_body(gk_xbt_t t, void *arg)
{
    (void)arg;
    txn_calls++;
    return gk_xenbus_write(t, "data/txn", "done");
}

static int cb_count;

static void counting(struct gk_xenbus_watch *w, const char *path, void *d)
{
    (void)w;
    (void)path;
    (void)d;
    cb_count++;
}

static int workers_ok, workers_done;

static void worker(void *arg)
{
    long id = (long)arg;
    char path[32], val[32], got[32];
    int ok = 1;

    for (int i = 0; i < 40; i++) {
        gk_snprintf(path, sizeof(path), "data/w%ld", id);
        gk_snprintf(val, sizeof(val), "%ld-%d", id, i);
        if (gk_xenbus_write(GK_XBT_NIL, path, val) < 0 ||
            gk_xenbus_read_str(GK_XBT_NIL, path, got, sizeof(got)) < 0 ||
            strcmp(got, val) != 0)
            ok = 0;
    }
    __atomic_add_fetch(&workers_ok, ok, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&workers_done, 1, __ATOMIC_SEQ_CST);
}

int main(void)
{
    struct gk_xenbus_watch *w, *cw;
    char buf[256], **names;
    unsigned int n;
    char *big, *v;
    long val;
    int rc, a, b, nworkers = 4;

    ring = gk_alloc_page();
    a = gk_evtchn_alloc_unbound(DOMID_SELF, NULL, NULL);
    b = gk_evtchn_bind_interdomain(DOMID_SELF, (evtchn_port_t)a, NULL, NULL);
    check(a > 0 && b > 0, "loopback channel", b);
    srv_port = (evtchn_port_t)a;
    gk_thread_create("store", server, NULL);
    check(gk_xenbus_attach(ring, (evtchn_port_t)b) == 0, "attach", 0);
    gk_xenbus_set_timeout(2000ULL * GK_NSEC_PER_MSEC);

    check(gk_xenbus_domid() == 7, "domid", gk_xenbus_domid());
    rc = gk_xenbus_get_self_path(buf, sizeof(buf));
    check(rc > 0 && strcmp(buf, SELF) == 0, "self path", rc);
    gk_printf("xs-loop: self path %s\n", buf);
    check(gk_xenbus_write(GK_XBT_NIL, "data/a", "123") == 0, "write", 0);
    rc = gk_xenbus_read_int(GK_XBT_NIL, SELF "/data/a", &val);
    check(rc == 0 && val == 123, "read absolute", val);
    check(gk_xenbus_read(GK_XBT_NIL, "data/none", NULL) == -XEN_ENOENT,
          "missing key", 0);

    /* Values bigger than the ring: several wraps each way. */
    big = gk_malloc(3001);
    for (int i = 0; i < 3000; i++)
        big[i] = (char)('a' + i % 26);
    big[3000] = '\0';
    for (int i = 0; i < 3; i++) {
        rc = gk_xenbus_write(GK_XBT_NIL, "data/big", big);
        rc = rc ? rc : gk_xenbus_read(GK_XBT_NIL, "data/big", &v);
        check(rc == 3000 && strcmp(v, big) == 0, "big value", rc);
        if (rc == 3000)
            gk_free(v);
    }
    gk_free(big);
    big = gk_malloc(XENSTORE_PAYLOAD_MAX + 1);
    memset(big, 'x', XENSTORE_PAYLOAD_MAX);
    big[XENSTORE_PAYLOAD_MAX] = '\0';
    check(gk_xenbus_write(GK_XBT_NIL, "data/huge", big) == -XEN_E2BIG,
          "oversized request", 0);
    gk_free(big);

    check(gk_xenbus_mkdir(GK_XBT_NIL, "data/dir") == 0, "mkdir", 0);
    gk_xenbus_write(GK_XBT_NIL, "data/dir/x", "1");
    gk_xenbus_write(GK_XBT_NIL, "data/dir/y", "2");
    rc = gk_xenbus_directory(GK_XBT_NIL, "data/dir", &names, &n);
    check(rc == 0 && n == 2 && strcmp(names[0], "x") == 0 &&
              strcmp(names[1], "y") == 0,
          "directory", n);
    if (rc == 0)
        gk_free(names);
    check(gk_xenbus_rm(GK_XBT_NIL, "data/dir") == 0, "rm", 0);
    check(gk_xenbus_read(GK_XBT_NIL, "data/dir/x", NULL) == -XEN_ENOENT,
          "rm removes children", 0);
    {
        struct gk_xs_perm p[2] = { { 7, 'n' }, { 3, 'r' } };

        check(gk_xenbus_set_perms(GK_XBT_NIL, "data/a", p, 2) == 0, "set_perms",
              0);
    }
    rc = gk_xenbus_transaction(txn_body, NULL);
    check(rc == 0 && txn_calls == 2, "transaction retried on EAGAIN",
          txn_calls);

    /* A watch without callback: initial event, then one per change. */
    rc = gk_xenbus_watch("data/poke", NULL, NULL, &w);
    check(rc == 0, "watch", rc);
    rc = gk_xenbus_wait_watch(w, buf, sizeof(buf),
                              gk_monotonic_ns() + GK_NSEC_PER_SEC);
    check(rc == 0 && strcmp(buf, "data/poke") == 0, "initial event", rc);
    rc = gk_xenbus_wait_watch(w, buf, sizeof(buf),
                              gk_monotonic_ns() + 20 * GK_NSEC_PER_MSEC);
    check(rc == -XEN_ETIMEDOUT, "no event without change", rc);
    gk_xenbus_write(GK_XBT_NIL, "data/poke/deeper", "hi");
    rc = gk_xenbus_wait_watch(w, buf, sizeof(buf),
                              gk_monotonic_ns() + GK_NSEC_PER_SEC);
    check(rc == 0 && strcmp(buf, "data/poke/deeper") == 0, "child event", rc);

    /* A watch with a callback, run by xenwatch. */
    rc = gk_xenbus_watch(SELF "/data/cb", counting, NULL, &cw);
    check(rc == 0, "callback watch", rc);
    for (int i = 0; i < 3; i++)
        gk_xenbus_printf(GK_XBT_NIL, "data/cb", "%d", i);
    gk_msleep(20);
    check(cb_count == 4, "callbacks", cb_count);
    check(gk_xenbus_unwatch(cw) == 0, "unwatch", 0);
    gk_xenbus_write(GK_XBT_NIL, "data/cb", "after");
    gk_msleep(20);
    check(cb_count == 4, "no callback after unwatch", cb_count);
    gk_xenbus_unwatch(w);

    /* Concurrent requesters, on another vCPU as well if there is one. */
    gk_smp_init();
    for (long i = 0; i < nworkers; i++) {
        unsigned int cpu = (unsigned int)i % gk_smp_nr_cpus();

        gk_thread_create_on(cpu, "worker", worker, (void *)i);
    }
    while (__atomic_load_n(&workers_done, __ATOMIC_SEQ_CST) < nworkers)
        gk_msleep(5);
    check(workers_ok == nworkers, "concurrent requests", workers_ok);

    gk_printf("xs-loop: %d/%d checks passed (%u vCPUs)\n", passed, checks,
              gk_smp_nr_cpus());
    if (passed != checks)
        return 1;
    /* guest-kit's own control/shutdown watch takes it from here. */
    gk_xenbus_write(GK_XBT_NIL, "control/shutdown", "poweroff");
    gk_msleep(2000);
    gk_printf("xs-loop: FAIL control/shutdown was not acted on\n");
    return 2;
}
