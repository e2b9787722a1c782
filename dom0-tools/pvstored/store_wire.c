// SPDX-License-Identifier: MIT
/* store_wire.c: the XS_* dispatch table, argument checks and handlers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define F_PATH    0x01u /* first argument is a node path */
#define F_SPECIAL 0x02u /* ... which may be "@introduceDomain" etc. */
#define F_PRIV    0x04u /* dom0 only */
#define F_TXN     0x08u /* honours tx_id */

/* One request being handled. */
struct req {
    struct store_conn *c;
    const struct xsd_sockmsg *h;
    const char *p; /* payload, NUL at p[len] */
    size_t len;
    const char *arg;                       /* the first argument as sent */
    char path[XENSTORE_ABS_PATH_MAX + 64]; /* canonical first argument */
    struct store_txn *txn;
    struct store_view view;
};

struct store_op {
    const char *name;
    int (*fn)(struct req *r); /* 0 after replying, or -errno */
    unsigned flags;
};

const char *store_wire_errname(int err)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == -err)
            return xsd_errors[i].errstring;
    return "EINVAL";
}

/* ---- replies and arguments ---- */

static int reply(struct req *r, const void *data, size_t len)
{
    return store_conn_send(r->c, r->h->type, r->h->req_id, r->h->tx_id, data,
                           len, NULL, 0);
}

static int reply_ok(struct req *r)
{
    return reply(r, "OK", 3);
}

/* Splits the payload into exactly n NUL-terminated strings. */
static int get_args(struct req *r, const char **argv, unsigned n)
{
    size_t off = 0;

    for (unsigned i = 0; i < n; i++) {
        const char *s = r->p + off;
        size_t l = strnlen(s, r->len - off);
        if (off >= r->len || off + l >= r->len)
            return -EINVAL;
        argv[i] = s;
        off += l + 1;
    }
    return off == r->len ? 0 : -EINVAL;
}

static int parse_domid(const char *s, uint32_t *out)
{
    unsigned long v = 0;

    if (!*s || strlen(s) > 5)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v >= STORE_DOMID_LIMIT)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static bool valid_chars(const char *p)
{
    for (; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' || ch == '_' ||
              ch == '@'))
            return false;
    }
    return true;
}

/* Makes in absolute (relative paths live under /local/domain/<id>) and
 * checks its syntax. Special watch paths pass when allowed. */
static int canon_path(struct req *r, const char *in, bool special)
{
    size_t len = strlen(in);

    if (in[0] == '@') {
        if (special && (strcmp(in, "@introduceDomain") == 0 ||
                        strcmp(in, "@releaseDomain") == 0)) {
            strcpy(r->path, in);
            return 0;
        }
        return -EINVAL;
    }
    if (in[0] == '/') {
        if (len > XENSTORE_ABS_PATH_MAX)
            return -EINVAL;
        memcpy(r->path, in, len + 1);
    } else {
        if (len == 0 || len > XENSTORE_REL_PATH_MAX)
            return -EINVAL;
        snprintf(r->path, sizeof(r->path), "/local/domain/%u/%s", r->c->domid,
                 in);
        len = strlen(r->path);
        if (len > XENSTORE_ABS_PATH_MAX)
            return -EINVAL;
    }
    if (!valid_chars(r->path) || strstr(r->path, "//") ||
        (len > 1 && r->path[len - 1] == '/'))
        return -EINVAL;
    return 0;
}

/* ---- node operations ---- */

static int do_read(struct req *r)
{
    const struct store_node *n;
    int e = store_tree_get(&r->view, r->c, r->path, STORE_PERM_READ, &n);

    return e ? e : reply(r, n->value, n->vlen);
}

static int write_common(struct req *r, const void *val, size_t len,
                        bool mkdir_only)
{
    int e = store_tree_write(&r->view, r->c, r->path, val, len, mkdir_only);

    if (!e && r->txn)
        e = store_txn_log_write(r->txn, r->path, val, len, mkdir_only);
    return e ? e : reply_ok(r);
}

static int do_write(struct req *r)
{
    size_t plen = strlen(r->arg) + 1;

    return write_common(r, r->p + plen, r->len - plen, false);
}

static int do_mkdir(struct req *r)
{
    const char *a[1];

    if (get_args(r, a, 1))
        return -EINVAL;
    return write_common(r, NULL, 0, true);
}

static int do_rm(struct req *r)
{
    const char *a[1];
    int e = get_args(r, a, 1);

    if (!e)
        e = store_tree_rm(&r->view, r->c, r->path);
    if (!e && r->txn)
        e = store_txn_log_rm(r->txn, r->path);
    return e ? e : reply_ok(r);
}

/* The children's names, each NUL-terminated, in a malloc'd buffer. */
static int child_names(const struct store_node *n, char **out, size_t *len)
{
    size_t total = 0, off = 0;
    char *buf;

    for (unsigned i = 0; i < n->nr_child; i++)
        total += strlen(n->child[i]->name) + 1;
    buf = malloc(total + 1);
    if (!buf)
        return -ENOMEM;
    for (unsigned i = 0; i < n->nr_child; i++) {
        size_t l = strlen(n->child[i]->name) + 1;
        memcpy(buf + off, n->child[i]->name, l);
        off += l;
    }
    *out = buf;
    *len = total;
    return 0;
}

static int do_directory(struct req *r)
{
    const struct store_node *n;
    const char *a[1];
    size_t len;
    char *names;
    int e = get_args(r, a, 1);

    if (!e)
        e = store_tree_get(&r->view, r->c, r->path, STORE_PERM_READ, &n);
    if (!e)
        e = child_names(n, &names, &len);
    if (e)
        return e;
    e = len > XENSTORE_PAYLOAD_MAX ? -E2BIG : reply(r, names, len);
    free(names);
    return e;
}

/* "path\0offset\0" -> "<gen>\0" + names from offset (+ "\0" at the end). */
static int do_directory_part(struct req *r)
{
    const struct store_node *n;
    const char *a[2];
    char *names, *out, gen[24];
    size_t len, off, take, glen;
    int e = get_args(r, a, 2);

    if (!e)
        e = store_tree_get(&r->view, r->c, r->path, STORE_PERM_READ, &n);
    if (e)
        return e;
    if (!*a[1] || strspn(a[1], "0123456789") != strlen(a[1]) ||
        strlen(a[1]) > 9)
        return -EINVAL;
    off = strtoul(a[1], NULL, 10);
    e = child_names(n, &names, &len);
    if (e)
        return e;
    if (off > len || (off && names[off - 1] != '\0')) {
        free(names);
        return -EINVAL;
    }
    glen =
        (size_t)snprintf(gen, sizeof(gen), "%llu", (unsigned long long)n->gen) +
        1;
    /* Whole names that fit, leaving room for the final extra NUL. */
    take = 0;
    while (off + take < len) {
        size_t l = strlen(names + off + take) + 1;
        if (glen + take + l + 1 > XENSTORE_PAYLOAD_MAX)
            break;
        take += l;
    }
    out = malloc(glen + take + 1);
    if (!out) {
        free(names);
        return -ENOMEM;
    }
    memcpy(out, gen, glen);
    memcpy(out + glen, names + off, take);
    out[glen + take] = '\0';
    e = reply(r, out, glen + take + (off + take == len ? 1 : 0));
    free(out);
    free(names);
    return e;
}

static int do_get_perms(struct req *r)
{
    const struct store_node *n;
    const char *a[1];
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t off = 0;
    int e = get_args(r, a, 1);

    if (!e)
        e = store_tree_get(&r->view, r->c, r->path, STORE_PERM_READ, &n);
    if (e)
        return e;
    for (unsigned i = 0; i < n->nr_perms; i++) {
        if (off + 16 > sizeof(buf))
            return -E2BIG;
        off += (size_t)store_perm_format(&n->perms[i], buf + off,
                                         sizeof(buf) - off) +
               1;
    }
    return reply(r, buf, off);
}

static int do_set_perms(struct req *r)
{
    struct store_perm perms[XENSTORE_PAYLOAD_MAX / 2];
    size_t off = strlen(r->arg) + 1;
    unsigned nr = 0;
    int e;

    while (off < r->len) {
        const char *s = r->p + off;
        size_t l = strnlen(s, r->len - off);
        if (off + l >= r->len)
            return -EINVAL; /* not NUL-terminated */
        if (store_perm_parse(s, &perms[nr]))
            return -EINVAL;
        nr++;
        off += l + 1;
    }
    if (nr == 0)
        return -EINVAL;
    e = store_tree_set_perms(&r->view, r->c, r->path, perms, nr);
    if (!e && r->txn)
        e = store_txn_log_perms(r->txn, r->path, perms, nr);
    return e ? e : reply_ok(r);
}

/* ---- watches and transactions ---- */

static int do_watch(struct req *r)
{
    const char *a[2];
    int e = get_args(r, a, 2);

    if (!e)
        e = store_watch_add(r->c, r->path, a[0], a[1]);
    if (!e)
        e = reply_ok(r);
    if (!e) /* Xen's initial event */
        store_watch_event(r->c, a[0], a[1]);
    return e;
}

static int do_unwatch(struct req *r)
{
    const char *a[2];
    int e = get_args(r, a, 2);

    if (!e)
        e = store_watch_remove(r->c, r->path, a[1]);
    return e ? e : reply_ok(r);
}

static int do_reset_watches(struct req *r)
{
    store_watch_remove_all(r->c);
    store_txn_abort_all(r->c);
    return reply_ok(r);
}

static int do_txn_start(struct req *r)
{
    char buf[16];
    uint32_t id;
    int e;

    if (r->h->tx_id)
        return -EBUSY;
    e = store_txn_start(r->c, &id);
    if (e)
        return e;
    return store_conn_send(r->c, XS_TRANSACTION_START, r->h->req_id, 0, buf,
                           (size_t)snprintf(buf, sizeof(buf), "%u", id) + 1,
                           NULL, 0);
}

static int do_txn_end(struct req *r)
{
    const char *a[1];
    int e = get_args(r, a, 1);

    if (e || !r->txn || (strcmp(a[0], "T") && strcmp(a[0], "F")))
        return e ? e : (r->txn ? -EINVAL : -ENOENT);
    e = store_txn_end(r->c, r->txn, a[0][0] == 'T');
    r->txn = NULL;
    return e ? e : reply_ok(r);
}

/* ---- domains ---- */

int store_domain_introduce(struct store *st, uint32_t domid, uint64_t mfn,
                           uint32_t port)
{
    struct store_domain *d;
    struct store_conn *c = NULL;
    int e;

    if (domid == 0 || domid >= STORE_DOMID_LIMIT)
        return -EINVAL;
    d = store_domain_get(st, domid);
    if (!d)
        return -ENOMEM;
    if (d->introduced)
        return d->mfn == mfn && d->port == port ? 0 : -EEXIST;
    if (!st->host || !st->host->introduce)
        return -ENOSYS;
    e = st->host->introduce(st, domid, mfn, port, &c);
    if (e)
        return e;
    d->introduced = true;
    d->mfn = mfn;
    d->port = port;
    d->conn = c;
    store_info("d%u: introduced (mfn 0x%llx, port %u)", domid,
               (unsigned long long)mfn, port);
    store_watch_fire_special(st, "@introduceDomain");
    return 0;
}

int store_domain_release(struct store *st, uint32_t domid)
{
    struct store_domain *d = store_domain_find(st, domid);

    if (!d || !d->introduced)
        return -ENOENT;
    if (d->conn) {
        store_txn_abort_all(d->conn);
        store_watch_remove_all(d->conn);
        d->conn->dead = true;
        d->conn = NULL;
    }
    d->introduced = false;
    d->target = UINT32_MAX;
    store_info("d%u: released", domid);
    store_watch_fire_special(st, "@releaseDomain");
    return 0;
}

static int one_domid(struct req *r, uint32_t *domid)
{
    const char *a[1];
    int e = get_args(r, a, 1);

    return e ? e : parse_domid(a[0], domid);
}

static int do_introduce(struct req *r)
{
    const char *a[3];
    unsigned long long mfn;
    uint32_t domid, port;
    char *end;
    int e = get_args(r, a, 3);

    if (!e)
        e = parse_domid(a[0], &domid);
    if (e)
        return e;
    errno = 0;
    mfn = strtoull(a[1], &end, 10);
    if (!*a[1] || *end || errno || a[1][0] == '-')
        return -EINVAL;
    if (parse_domid(a[2], &port)) /* ports are small numbers too */
        return -EINVAL;
    e = store_domain_introduce(r->c->st, domid, mfn, port);
    return e ? e : reply_ok(r);
}

static int do_release(struct req *r)
{
    uint32_t domid;
    int e = one_domid(r, &domid);

    if (!e)
        e = store_domain_release(r->c->st, domid);
    return e ? e : reply_ok(r);
}

static int do_get_domain_path(struct req *r)
{
    char buf[40];
    uint32_t domid;
    int e = one_domid(r, &domid);

    return e ? e
             : reply(r, buf,
                     (size_t)snprintf(buf, sizeof(buf), "/local/domain/%u",
                                      domid) +
                         1);
}

static int do_is_introduced(struct req *r)
{
    const struct store_domain *d;
    uint32_t domid;
    int e = one_domid(r, &domid);

    if (e)
        return e;
    d = store_domain_find(r->c->st, domid);
    return reply(r, domid == 0 || (d && d->introduced) ? "T" : "F", 2);
}

static int do_resume(struct req *r)
{
    const struct store_domain *d;
    uint32_t domid;
    int e = one_domid(r, &domid);

    if (e)
        return e;
    d = store_domain_find(r->c->st, domid);
    return d && d->introduced ? reply_ok(r) : -ENOENT;
}

static int do_set_target(struct req *r)
{
    struct store_domain *d;
    const char *a[2];
    uint32_t domid, target;
    int e = get_args(r, a, 2);

    if (!e)
        e = parse_domid(a[0], &domid);
    if (!e)
        e = parse_domid(a[1], &target);
    if (e)
        return e;
    d = store_domain_find(r->c->st, domid);
    if (!d || !d->introduced)
        return -ENOENT;
    d->target = target;
    return reply_ok(r);
}

static int do_control(struct req *r)
{
    if (r->len >= 6 && memcmp(r->p, "print", 6) == 0) {
        store_info("d%u: control print: %.*s", r->c->domid, (int)(r->len - 6),
                   r->p + 6);
        return reply_ok(r);
    }
    return -EINVAL;
}

static const struct store_op ops[XS_TYPE_COUNT] = {
    [XS_CONTROL] = { "CONTROL", do_control, F_PRIV },
    [XS_DIRECTORY] = { "DIRECTORY", do_directory, F_PATH | F_TXN },
    [XS_READ] = { "READ", do_read, F_PATH | F_TXN },
    [XS_GET_PERMS] = { "GET_PERMS", do_get_perms, F_PATH | F_TXN },
    [XS_WATCH] = { "WATCH", do_watch, F_PATH | F_SPECIAL },
    [XS_UNWATCH] = { "UNWATCH", do_unwatch, F_PATH | F_SPECIAL },
    [XS_TRANSACTION_START] = { "TRANSACTION_START", do_txn_start, 0 },
    [XS_TRANSACTION_END] = { "TRANSACTION_END", do_txn_end, F_TXN },
    [XS_INTRODUCE] = { "INTRODUCE", do_introduce, F_PRIV },
    [XS_RELEASE] = { "RELEASE", do_release, F_PRIV },
    [XS_GET_DOMAIN_PATH] = { "GET_DOMAIN_PATH", do_get_domain_path, 0 },
    [XS_WRITE] = { "WRITE", do_write, F_PATH | F_TXN },
    [XS_MKDIR] = { "MKDIR", do_mkdir, F_PATH | F_TXN },
    [XS_RM] = { "RM", do_rm, F_PATH | F_TXN },
    [XS_SET_PERMS] = { "SET_PERMS", do_set_perms, F_PATH | F_TXN },
    [XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED", do_is_introduced,
                                  F_PRIV },
    [XS_RESUME] = { "RESUME", do_resume, F_PRIV },
    [XS_SET_TARGET] = { "SET_TARGET", do_set_target, F_PRIV },
    [XS_RESET_WATCHES] = { "RESET_WATCHES", do_reset_watches, 0 },
    [XS_DIRECTORY_PART] = { "DIRECTORY_PART", do_directory_part,
                            F_PATH | F_TXN },
};

int store_wire_dispatch(struct store_conn *c, const struct xsd_sockmsg *h,
                        const char *payload)
{
    struct store_ledger ledger = { 0 };
    const struct store_op *op;
    struct req r;
    int e;

    if (h->type >= XS_TYPE_COUNT || !ops[h->type].fn) {
        store_debug("d%u: unknown message type %u", c->domid, h->type);
        return store_conn_send_error(c, h, -ENOSYS) == -ENOMEM ? -EPROTO : 0;
    }
    op = &ops[h->type];
    memset(&r, 0, sizeof(r));
    r.c = c;
    r.h = h;
    r.p = payload;
    r.len = h->len;
    if ((op->flags & F_PRIV) && !store_privileged(c)) {
        e = -EACCES;
        goto out;
    }
    if (h->tx_id) {
        r.txn = store_txn_find(c, h->tx_id);
        if (!(op->flags & F_TXN) || !r.txn) {
            e = r.txn ? -EINVAL : -ENOENT;
            goto out;
        }
    }
    if (op->flags & F_PATH) {
        r.arg = payload;
        if (strnlen(payload, r.len) >= r.len) {
            e = -EINVAL; /* the path is not NUL-terminated */
            goto out;
        }
        e = canon_path(&r, payload, op->flags & F_SPECIAL);
        if (e)
            goto out;
    }
    if (r.txn && h->type != XS_TRANSACTION_END)
        store_txn_view(r.txn, &r.view);
    else
        store_main_view(c->st, &r.view, &ledger);
    store_debug("d%u: %s %s", c->domid, op->name, r.arg ? r.path : "");
    e = op->fn(&r);
    store_ledger_apply(c->st, &ledger);
out:
    store_ledger_free(&ledger);
    if (e && store_conn_send_error(c, h, e) == -ENOMEM)
        return -EPROTO;
    return 0;
}
