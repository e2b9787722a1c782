// SPDX-License-Identifier: MIT
/* store_tree.c: the node tree: copy-on-write nodes, permissions, quotas. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* ---- domains and accounting ---- */

struct store_domain *store_domain_find(struct store *st, uint32_t domid)
{
    return domid < STORE_DOMID_LIMIT ? st->doms[domid] : NULL;
}

struct store_domain *store_domain_get(struct store *st, uint32_t domid)
{
    struct store_domain *d;

    if (domid >= STORE_DOMID_LIMIT)
        return NULL;
    d = st->doms[domid];
    if (d)
        return d;
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->domid = domid;
    d->target = UINT32_MAX;
    st->doms[domid] = d;
    return d;
}

static int ledger_get(const struct store_ledger *l, uint32_t domid)
{
    for (unsigned i = 0; l && i < l->nr; i++)
        if (l->e[i].domid == domid)
            return l->e[i].delta;
    return 0;
}

static int ledger_add(struct store_ledger *l, uint32_t domid, int delta)
{
    for (unsigned i = 0; i < l->nr; i++) {
        if (l->e[i].domid == domid) {
            l->e[i].delta += delta;
            return 0;
        }
    }
    if (l->nr == l->cap) {
        unsigned cap = l->cap ? l->cap * 2 : 4;
        void *e = realloc(l->e, cap * sizeof(l->e[0]));
        if (!e)
            return -ENOMEM;
        l->e = e;
        l->cap = cap;
    }
    l->e[l->nr].domid = domid;
    l->e[l->nr].delta = delta;
    l->nr++;
    return 0;
}

void store_ledger_apply(struct store *st, struct store_ledger *l)
{
    for (unsigned i = 0; i < l->nr; i++) {
        struct store_domain *d = store_domain_get(st, l->e[i].domid);
        if (d)
            d->nr_nodes += l->e[i].delta;
    }
    l->nr = 0;
}

void store_ledger_free(struct store_ledger *l)
{
    free(l->e);
    memset(l, 0, sizeof(*l));
}

/* Nodes domid owns as the view sees them (main count + pending delta). */
static int nodes_of(struct store_view *v, uint32_t domid)
{
    const struct store_domain *d = store_domain_find(v->st, domid);

    return (d ? d->nr_nodes : 0) + ledger_get(v->ledger, domid);
}

/* ---- permissions ---- */

bool store_privileged(const struct store_conn *c)
{
    return c->domid == 0;
}

unsigned store_perm_of(const struct store_conn *c,
                       const struct store_perm *perms, unsigned nr)
{
    uint32_t target = c->dom ? c->dom->target : UINT32_MAX;

    if (store_privileged(c) || perms[0].domid == c->domid ||
        perms[0].domid == target)
        return STORE_PERM_BOTH;
    for (unsigned i = 1; i < nr; i++)
        if (perms[i].domid == c->domid || perms[i].domid == target)
            return perms[i].perm;
    return perms[0].perm;
}

int store_perm_parse(const char *s, struct store_perm *p)
{
    unsigned long v = 0;

    switch (s[0]) {
    case 'n':
        p->perm = STORE_PERM_NONE;
        break;
    case 'r':
        p->perm = STORE_PERM_READ;
        break;
    case 'w':
        p->perm = STORE_PERM_WRITE;
        break;
    case 'b':
        p->perm = STORE_PERM_BOTH;
        break;
    default:
        return -EINVAL;
    }
    if (!s[1])
        return -EINVAL;
    for (const char *q = s + 1; *q; q++) {
        if (*q < '0' || *q > '9' || q - s > 6)
            return -EINVAL;
        v = v * 10 + (unsigned long)(*q - '0');
    }
    if (v >= STORE_DOMID_LIMIT)
        return -EINVAL;
    p->domid = (uint32_t)v;
    return 0;
}

int store_perm_format(const struct store_perm *p, char *buf, size_t len)
{
    return snprintf(buf, len, "%c%u", "nrwb"[p->perm & 3], p -> domid);
}

/* ---- nodes ---- */

static struct store_node *node_new(const char *name, size_t nlen)
{
    struct store_node *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    n->refs = 1;
    n->name = strndup(name, nlen);
    if (!n->name) {
        free(n);
        return NULL;
    }
    return n;
}

void store_node_put(struct store_node *n)
{
    if (!n || --n->refs > 0)
        return;
    for (unsigned i = 0; i < n->nr_child; i++)
        store_node_put(n->child[i]);
    free(n->child);
    free(n->perms);
    free(n->value);
    free(n->name);
    free(n);
}

static int set_perms(struct store_node *n, const struct store_perm *p,
                     unsigned nr)
{
    struct store_perm *np = malloc(nr * sizeof(*np));

    if (!np)
        return -ENOMEM;
    memcpy(np, p, nr * sizeof(*np));
    free(n->perms);
    n->perms = np;
    n->nr_perms = nr;
    return 0;
}

static struct store_node *node_clone(const struct store_node *o)
{
    struct store_node *n = node_new(o->name, strlen(o->name));

    if (!n)
        return NULL;
    n->gen = o->gen;
    if (set_perms(n, o->perms, o->nr_perms))
        goto fail;
    if (o->vlen) {
        n->value = malloc(o->vlen);
        if (!n->value)
            goto fail;
        memcpy(n->value, o->value, o->vlen);
        n->vlen = o->vlen;
    }
    if (o->nr_child) {
        n->child = malloc(o->nr_child * sizeof(*n->child));
        if (!n->child)
            goto fail;
        for (unsigned i = 0; i < o->nr_child; i++) {
            n->child[i] = o->child[i];
            n->child[i]->refs++;
        }
        n->nr_child = n->cap_child = o->nr_child;
    }
    return n;
fail:
    store_node_put(n);
    return NULL;
}

/* Makes *slot exclusively ours (copying it if shared); NULL on ENOMEM. */
static struct store_node *mut(struct store_node **slot)
{
    struct store_node *n = *slot;

    if (n->refs == 1)
        return n;
    n = node_clone(n);
    if (!n)
        return NULL;
    (*slot)->refs--;
    *slot = n;
    return n;
}

/* Binary search for a child named name[0..len); *idx = insertion point. */
static struct store_node *find_child(const struct store_node *n,
                                     const char *name, size_t len,
                                     unsigned *idx)
{
    unsigned lo = 0, hi = n->nr_child;

    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const char *cn = n->child[mid]->name;
        int r = strncmp(cn, name, len);
        if (r == 0 && cn[len])
            r = 1;
        if (r == 0) {
            if (idx)
                *idx = mid;
            return n->child[mid];
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (idx)
        *idx = lo;
    return NULL;
}

static int child_insert(struct store_node *n, unsigned idx,
                        struct store_node *c)
{
    if (n->nr_child == n->cap_child) {
        unsigned cap = n->cap_child ? n->cap_child * 2 : 4;
        void *p = realloc(n->child, cap * sizeof(*n->child));
        if (!p)
            return -ENOMEM;
        n->child = p;
        n->cap_child = cap;
    }
    memmove(n->child + idx + 1, n->child + idx,
            (n->nr_child - idx) * sizeof(*n->child));
    n->child[idx] = c;
    n->nr_child++;
    return 0;
}

/* Next component of *p (after '/'): sets *len, advances *p past it. */
static const char *next_comp(const char **p, size_t *len)
{
    const char *s = *p, *e;

    while (*s == '/')
        s++;
    if (!*s)
        return NULL;
    e = strchr(s, '/');
    *len = e ? (size_t)(e - s) : strlen(s);
    *p = s + *len;
    return s;
}

struct store_node *store_lookup(struct store_node *root, const char *path)
{
    struct store_node *n = root;
    const char *p = path, *c;
    size_t len;

    while (n && (c = next_comp(&p, &len)))
        n = find_child(n, c, len, NULL);
    return n;
}

/* Records path[0..len) as accessed by the view's transaction. */
static int access_prefix(struct store_view *v, const char *path, size_t len)
{
    char buf[XENSTORE_ABS_PATH_MAX + 1];

    if (!v->txn)
        return 0;
    if (len == 0)
        len = 1; /* the root */
    if (len > XENSTORE_ABS_PATH_MAX)
        return -EINVAL;
    memcpy(buf, path, len);
    buf[len] = '\0';
    return store_txn_access(v->txn, buf);
}

int store_tree_get(struct store_view *v, struct store_conn *c, const char *path,
                   unsigned want, const struct store_node **node)
{
    struct store_node *n = store_lookup(*v->root, path);
    int e = access_prefix(v, path, strlen(path));

    if (e)
        return e;
    if (!n)
        return -ENOENT;
    if ((store_perm_of(c, n->perms, n->nr_perms) & want) != want)
        return -EACCES;
    *node = n;
    return 0;
}

static void notify(struct store_view *v, const char *path,
                   const struct store_node *n, bool recursive)
{
    struct store_change ch = { path, n->perms, n->nr_perms, recursive };

    if (v->changed)
        v->changed(v, &ch);
}

/*
 * Checks a write/mkdir before changing anything: permissions on the node
 * or, when it must be created, on its deepest existing ancestor, and the
 * node quota for the nodes that will be created. *exists tells which.
 */
static int check_write(struct store_view *v, struct store_conn *c,
                       const char *path, size_t vlen, bool *exists)
{
    struct store_node *n = *v->root, *next;
    const char *p = path, *comp;
    size_t len, deep_len = 0;
    unsigned missing = 0;
    uint32_t owner;
    int e;

    if (!store_privileged(c) && vlen > v->st->quota.value_size)
        return -ENOSPC;
    while ((comp = next_comp(&p, &len))) {
        next = find_child(n, comp, len, NULL);
        if (!next) {
            missing = 1;
            while (next_comp(&p, &len))
                missing++;
            break;
        }
        n = next;
        deep_len = (size_t)(p - path);
    }
    /* The deepest existing node, and the created ones, are accessed. */
    e = access_prefix(v, path, deep_len);
    if (e)
        return e;
    if (missing) {
        e = access_prefix(v, path, strlen(path));
        if (e)
            return e;
    }
    *exists = missing == 0;
    if (!(store_perm_of(c, n->perms, n->nr_perms) & STORE_PERM_WRITE))
        return -EACCES;
    owner = c->domid;
    if (missing && !store_privileged(c) &&
        nodes_of(v, owner) + (int)missing > (int)v->st->quota.nodes)
        return -ENOSPC;
    return 0;
}

int store_tree_write(struct store_view *v, struct store_conn *c,
                     const char *path, const void *val, size_t len,
                     bool mkdir_only)
{
    struct store_node *n, *child;
    const char *p = path, *comp;
    size_t clen;
    bool exists;
    int e;

    e = check_write(v, c, path, len, &exists);
    if (e)
        return e;
    if (exists && mkdir_only)
        return 0;
    n = mut(v->root);
    if (!n)
        return -ENOMEM;
    while ((comp = next_comp(&p, &clen))) {
        unsigned idx;
        child = find_child(n, comp, clen, &idx);
        if (!child) {
            child = node_new(comp, clen);
            if (!child)
                return -ENOMEM;
            if (set_perms(child, n->perms, n->nr_perms) ||
                child_insert(n, idx, child)) {
                store_node_put(child);
                return -ENOMEM;
            }
            if (!store_privileged(c))
                child->perms[0].domid = c->domid;
            child->gen = ++v->st->gen;
            n->gen = ++v->st->gen;
            if (ledger_add(v->ledger, child->perms[0].domid, 1))
                return -ENOMEM;
            n = child;
            continue;
        }
        n = mut(&n->child[idx]);
        if (!n)
            return -ENOMEM;
    }
    if (!mkdir_only) {
        char *nv = NULL;
        if (len) {
            nv = malloc(len);
            if (!nv)
                return -ENOMEM;
            memcpy(nv, val, len);
        }
        free(n->value);
        n->value = nv;
        n->vlen = len;
        n->gen = ++v->st->gen;
    }
    notify(v, path, n, false);
    return 0;
}

static int uncount(struct store_ledger *l, const struct store_node *n)
{
    int e = ledger_add(l, n->perms[0].domid, -1);

    for (unsigned i = 0; !e && i < n->nr_child; i++)
        e = uncount(l, n->child[i]);
    return e;
}

/* Makes the nodes on path[0..plen) exclusive; returns the last one. */
static struct store_node *mut_path(struct store_view *v, const char *path,
                                   size_t plen)
{
    struct store_node *n = mut(v->root);
    const char *p = path, *comp;
    size_t len;
    unsigned idx;

    while (n && (comp = next_comp(&p, &len)) && comp < path + plen) {
        if (!find_child(n, comp, len, &idx))
            return NULL;
        n = mut(&n->child[idx]);
    }
    return n;
}

int store_tree_rm(struct store_view *v, struct store_conn *c, const char *path)
{
    struct store_node *n, *parent;
    const char *slash;
    size_t plen;
    unsigned idx;
    int e;

    if (strcmp(path, "/") == 0)
        return -EINVAL;
    slash = strrchr(path, '/');
    plen = (size_t)(slash - path);
    e = access_prefix(v, path, strlen(path));
    if (!e)
        e = access_prefix(v, path, plen);
    if (e)
        return e;
    n = store_lookup(*v->root, path);
    if (!n) {
        char buf[XENSTORE_ABS_PATH_MAX + 1];
        memcpy(buf, path, plen ? plen : 1);
        buf[plen ? plen : 1] = '\0';
        /* Removing what is not there is fine while the parent exists. */
        return store_lookup(*v->root, buf) ? 0 : -ENOENT;
    }
    if (!(store_perm_of(c, n->perms, n->nr_perms) & STORE_PERM_WRITE))
        return -EACCES;
    e = uncount(v->ledger, n);
    if (e)
        return e;
    parent = mut_path(v, path, plen);
    if (!parent)
        return -ENOMEM;
    n = find_child(parent, slash + 1, strlen(slash + 1), &idx);
    memmove(parent->child + idx, parent->child + idx + 1,
            (parent->nr_child - idx - 1) * sizeof(*parent->child));
    parent->nr_child--;
    parent->gen = ++v->st->gen;
    notify(v, path, n, true);
    store_node_put(n);
    return 0;
}

int store_tree_set_perms(struct store_view *v, struct store_conn *c,
                         const char *path, const struct store_perm *p,
                         unsigned nr)
{
    struct store_node *n = store_lookup(*v->root, path);
    uint32_t old_owner;
    int e = access_prefix(v, path, strlen(path));

    if (e)
        return e;
    if (!n)
        return -ENOENT;
    if (nr == 0)
        return -EINVAL;
    if (!store_privileged(c)) {
        if (store_perm_of(c, n->perms, n->nr_perms) != STORE_PERM_BOTH ||
            (n->perms[0].domid != c->domid &&
             n->perms[0].domid != (c->dom ? c->dom->target : UINT32_MAX)))
            return -EACCES;
        if (p[0].domid != n->perms[0].domid)
            return -EPERM;
        if (nr > v->st->quota.perms)
            return -ENOSPC;
    }
    old_owner = n->perms[0].domid;
    if (old_owner != p[0].domid) {
        if (p[0].domid != 0 && !store_privileged(c) &&
            nodes_of(v, p[0].domid) + 1 > (int)v->st->quota.nodes)
            return -ENOSPC;
    }
    /* Make the node exclusive: walk via its parent (or the root). */
    if (strcmp(path, "/") == 0) {
        n = mut(v->root);
    } else {
        const char *last = strrchr(path, '/') + 1;
        struct store_node *parent =
            mut_path(v, path, (size_t)(last - 1 - path));
        unsigned idx;
        n = NULL;
        if (parent && find_child(parent, last, strlen(last), &idx))
            n = mut(&parent->child[idx]);
    }
    if (!n || set_perms(n, p, nr))
        return -ENOMEM;
    if (old_owner != p[0].domid && (ledger_add(v->ledger, old_owner, -1) ||
                                    ledger_add(v->ledger, p[0].domid, 1)))
        return -ENOMEM;
    n->gen = ++v->st->gen;
    notify(v, path, n, false);
    return 0;
}

/* ---- the store ---- */

void store_main_view(struct store *st, struct store_view *v,
                     struct store_ledger *ledger)
{
    memset(v, 0, sizeof(*v));
    v->st = st;
    v->root = &st->root;
    v->ledger = ledger;
    v->changed = store_watch_changed;
}

struct store *store_new(void)
{
    static const char *const base[] = { "/local", "/local/domain", "/tool" };
    static const struct store_perm dom0_none = { 0, STORE_PERM_NONE };
    struct store_conn dom0 = { .domid = 0, .fd = -1 };
    struct store_ledger l = { 0 };
    struct store_view v;
    struct store *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->quota = (struct store_quota)STORE_QUOTA_DEFAULT;
    st->root = node_new("", 0);
    if (!st->root || set_perms(st->root, &dom0_none, 1) ||
        !store_domain_get(st, 0))
        goto fail;
    dom0.st = st;
    dom0.dom = st->doms[0];
    store_main_view(st, &v, &l);
    v.changed = NULL;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        if (store_tree_write(&v, &dom0, base[i], NULL, 0, true))
            goto fail;
    store_ledger_apply(st, &l);
    store_ledger_free(&l);
    return st;
fail:
    store_ledger_free(&l);
    store_free(st);
    return NULL;
}

void store_free(struct store *st)
{
    if (!st)
        return;
    while (st->conns)
        store_conn_destroy(st->conns);
    store_node_put(st->root);
    for (unsigned i = 0; i < STORE_DOMID_LIMIT; i++)
        free(st->doms[i]);
    free(st);
}
