// SPDX-License-Identifier: MIT
/* store_txn.c: transactions: snapshots, conflict detection, commit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/*
 * A transaction works on a snapshot (a reference to the root at its
 * start; nodes are copied on write, so neither side disturbs the other).
 * It records the generation of every node it touched when it first
 * touched it (0: absent) and logs its operations. Commit fails with
 * EAGAIN if any touched node's generation in the main tree differs, and
 * otherwise replays the log onto a copy of the main tree, swaps it in and
 * fires the watches of every change.
 */

enum txn_op_type { OP_WRITE, OP_MKDIR, OP_RM, OP_PERMS };

struct txn_op {
    enum txn_op_type type;
    char *path;
    char *value; /* write: value; perms: the list */
    size_t len;  /* bytes, or number of perms */
};

struct txn_access {
    char *path;
    uint64_t gen;
};

struct store_txn {
    struct store_txn *next;
    struct store_conn *conn;
    uint32_t id;
    struct store_node *root;
    struct store_node *base; /* the snapshot as it was at the start */
    struct store_ledger ledger;
    struct txn_access *acc;
    unsigned nr_acc, cap_acc;
    struct txn_op *ops;
    unsigned nr_ops, cap_ops;
    size_t log_bytes; /* what ops hold, counted as op_cost() does */
    int error;        /* a logging failure: the commit fails with it */
};

int store_txn_start(struct store_conn *c, uint32_t *id)
{
    struct store_txn *t;

    if (!store_privileged(c) && c->dom &&
        c->dom->nr_txns >= (int)c->st->quota.transactions)
        return -ENOSPC;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    do {
        t->id = ++c->next_txid;
    } while (t->id == 0 || store_txn_find(c, t->id));
    t->conn = c;
    t->root = c->st->root;
    t->root->refs++;
    t->base = t->root;
    t->base->refs++;
    t->next = c->txns;
    c->txns = t;
    if (c->dom)
        c->dom->nr_txns++;
    *id = t->id;
    return 0;
}

struct store_txn *store_txn_find(struct store_conn *c, uint32_t id)
{
    for (struct store_txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

void store_txn_view(struct store_txn *t, struct store_view *v)
{
    memset(v, 0, sizeof(*v));
    v->st = t->conn->st;
    v->root = &t->root;
    v->ledger = &t->ledger;
    v->txn = t;
}

int store_txn_access(struct store_txn *t, const char *path)
{
    const struct store_node *n;

    for (unsigned i = 0; i < t->nr_acc; i++)
        if (strcmp(t->acc[i].path, path) == 0)
            return 0;
    if (t->nr_acc >= STORE_TXN_ACCESS_MAX)
        return -ENOSPC;
    if (t->nr_acc == t->cap_acc) {
        unsigned cap = t->cap_acc ? t->cap_acc * 2 : 8;
        void *p = realloc(t->acc, cap * sizeof(*t->acc));
        if (!p)
            return -ENOMEM;
        t->acc = p;
        t->cap_acc = cap;
    }
    /* The generation as of the start: a node this transaction created or
     * changed itself must compare against the main tree as it was. */
    n = store_lookup(t->base, path);
    t->acc[t->nr_acc].path = strdup(path);
    if (!t->acc[t->nr_acc].path)
        return -ENOMEM;
    t->acc[t->nr_acc].gen = n ? n->gen : 0;
    t->nr_acc++;
    return 0;
}

static size_t op_cost(const char *path, size_t bytes)
{
    return sizeof(struct txn_op) + strlen(path) + 1 + bytes;
}

/*
 * Appends an operation to the log. A write to the path the previous
 * operation wrote replaces that value (a guest rewriting one key in a loop
 * holds one value, not one per write). An unprivileged transaction logs at
 * most STORE_TXN_LOG_MAX bytes. A failure here happens after the
 * operation changed the transaction's own tree, so it also dooms the
 * transaction: its commit fails with the same error.
 */
static int log_op(struct store_txn *t, enum txn_op_type type, const char *path,
                  const void *val, size_t bytes, size_t len)
{
    struct txn_op *last = t->nr_ops ? &t->ops[t->nr_ops - 1] : NULL;
    size_t cost = op_cost(path, bytes), freed = 0;
    struct txn_op *op;
    char *value = NULL;

    if (type == OP_WRITE && last && last->type == OP_WRITE &&
        strcmp(last->path, path) == 0)
        freed = op_cost(last->path, last->len);
    if (!store_privileged(t->conn) &&
        t->log_bytes - freed + cost > STORE_TXN_LOG_MAX) {
        store_debug("d%u: transaction %u: log over %u bytes", t->conn->domid,
                    t->id, STORE_TXN_LOG_MAX);
        return t->error = -ENOSPC;
    }
    if (bytes) {
        value = malloc(bytes);
        if (!value)
            return t->error = -ENOMEM;
        memcpy(value, val, bytes);
    }
    if (freed) {
        free(last->value);
        last->value = value;
        last->len = len;
        t->log_bytes = t->log_bytes - freed + cost;
        return 0;
    }
    if (t->nr_ops == t->cap_ops) {
        unsigned cap = t->cap_ops ? t->cap_ops * 2 : 8;
        void *p = realloc(t->ops, cap * sizeof(*t->ops));
        if (!p) {
            free(value);
            return t->error = -ENOMEM;
        }
        t->ops = p;
        t->cap_ops = cap;
    }
    op = &t->ops[t->nr_ops];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->len = len;
    op->value = value;
    op->path = strdup(path);
    if (!op->path) {
        free(value);
        return t->error = -ENOMEM;
    }
    t->nr_ops++;
    t->log_bytes += cost;
    return 0;
}

int store_txn_log_write(struct store_txn *t, const char *path, const void *val,
                        size_t len, bool mkdir_only)
{
    return log_op(t, mkdir_only ? OP_MKDIR : OP_WRITE, path, val, len, len);
}

int store_txn_log_rm(struct store_txn *t, const char *path)
{
    return log_op(t, OP_RM, path, NULL, 0, 0);
}

int store_txn_log_perms(struct store_txn *t, const char *path,
                        const struct store_perm *p, unsigned nr)
{
    return log_op(t, OP_PERMS, path, p, nr * sizeof(*p), nr);
}

static void txn_free(struct store_conn *c, struct store_txn *t)
{
    for (struct store_txn **p = &c->txns; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    if (c->dom)
        c->dom->nr_txns--;
    store_node_put(t->root);
    store_node_put(t->base);
    store_ledger_free(&t->ledger);
    for (unsigned i = 0; i < t->nr_acc; i++)
        free(t->acc[i].path);
    for (unsigned i = 0; i < t->nr_ops; i++) {
        free(t->ops[i].path);
        free(t->ops[i].value);
    }
    free(t->acc);
    free(t->ops);
    free(t);
}

/* Changes seen while replaying, fired once the commit has succeeded. */
struct pending {
    struct store_change *ch;
    unsigned nr, cap;
    bool oom;
};

static void collect(struct store_view *v, const struct store_change *ch)
{
    struct pending *p = v->arg;
    struct store_change *c;

    if (p->nr == p->cap) {
        unsigned cap = p->cap ? p->cap * 2 : 8;
        void *n = realloc(p->ch, cap * sizeof(*p->ch));
        if (!n) {
            p->oom = true;
            return;
        }
        p->ch = n;
        p->cap = cap;
    }
    c = &p->ch[p->nr];
    *c = *ch;
    c->path = strdup(ch->path);
    c->perms = malloc(ch->nr_perms * sizeof(*ch->perms));
    if (!c->path || !c->perms) {
        free((void *)c->path);
        free((void *)c->perms);
        p->oom = true;
        return;
    }
    memcpy((void *)c->perms, ch->perms, ch->nr_perms * sizeof(*ch->perms));
    p->nr++;
}

static void pending_free(struct pending *p)
{
    for (unsigned i = 0; i < p->nr; i++) {
        free((void *)p->ch[i].path);
        free((void *)p->ch[i].perms);
    }
    free(p->ch);
}

static int replay(struct store_view *v, struct store_conn *c,
                  const struct txn_op *op)
{
    switch (op->type) {
    case OP_WRITE:
    case OP_MKDIR:
        return store_tree_write(v, c, op->path, op->value, op->len,
                                op->type == OP_MKDIR);
    case OP_RM:
        return store_tree_rm(v, c, op->path);
    case OP_PERMS:
        return store_tree_set_perms(v, c, op->path,
                                    (const struct store_perm *)op->value,
                                    (unsigned)op->len);
    }
    return -EINVAL;
}

static int commit(struct store_conn *c, struct store_txn *t)
{
    struct store *st = c->st;
    struct store_ledger ledger = { 0 };
    struct pending pend = { 0 };
    struct store_node *root;
    struct store_view v;
    int e = 0;

    if (t->error)
        return t->error;
    for (unsigned i = 0; i < t->nr_acc; i++) {
        const struct store_node *n = store_lookup(st->root, t->acc[i].path);
        if ((n ? n->gen : 0) != t->acc[i].gen) {
            store_debug("d%u: transaction %u conflicts on %s", c->domid, t->id,
                        t->acc[i].path);
            return -EAGAIN;
        }
    }
    if (t->nr_ops == 0)
        return 0;
    root = st->root;
    root->refs++;
    memset(&v, 0, sizeof(v));
    v.st = st;
    v.root = &root;
    v.ledger = &ledger;
    v.changed = collect;
    v.arg = &pend;
    for (unsigned i = 0; !e && i < t->nr_ops; i++)
        e = replay(&v, c, &t->ops[i]);
    if (!e && pend.oom)
        e = -ENOMEM;
    if (e) {
        store_node_put(root);
        goto out;
    }
    store_node_put(st->root);
    st->root = root;
    store_ledger_apply(st, &ledger);
    for (unsigned i = 0; i < pend.nr; i++)
        store_watch_fire(st, &pend.ch[i]);
out:
    pending_free(&pend);
    store_ledger_free(&ledger);
    return e;
}

int store_txn_end(struct store_conn *c, struct store_txn *t, bool do_commit)
{
    int e = do_commit ? commit(c, t) : 0;

    txn_free(c, t);
    return e;
}

void store_txn_abort_all(struct store_conn *c)
{
    while (c->txns)
        txn_free(c, c->txns);
}
