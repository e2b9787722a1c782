// SPDX-License-Identifier: MIT
/* test_store.c: pvstored semantics through the wire dispatcher, the ring. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "unit.h"

/* ---- an in-memory transport ---- */

struct mem {
    char in[16384];
    size_t in_len, in_off;
    char out[65536];
    size_t out_len;
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
    struct mem *m = c->priv;
    size_t n = sizeof(m->out) - m->out_len;

    if (n > len)
        n = len;
    memcpy(m->out + m->out_len, buf, n);
    m->out_len += n;
    return (ssize_t)n;
}

static void mem_destroy(struct store_conn *c)
{
    free(c->priv);
}

static const struct store_transport mem_tp = {
    .name = "mem",
    .read = mem_read,
    .write = mem_write,
    .destroy = mem_destroy,
};

/* A test client: its connection and what came back. */
struct tc {
    struct store_conn *c;
    struct mem *m;
    char ev[64][128]; /* "path|token|" */
    int nev;
    char reply[XENSTORE_PAYLOAD_MAX + 64];
};

static struct store *st;

static void tc_init(struct tc *t, uint32_t domid)
{
    memset(t, 0, sizeof(*t));
    t->m = calloc(1, sizeof(*t->m));
    CU_ASSERT_FATAL(t->m != NULL);
    t->c = store_conn_new(st, &mem_tp, t->m, -1, domid);
    CU_ASSERT_FATAL(t->c != NULL);
}

/* "a\0b\0" -> "a|b|"; errors as "!ENAME". */
static void render(char *dst, const char *p, size_t len, bool err)
{
    size_t o = 0;

    if (err)
        dst[o++] = '!';
    for (size_t i = 0; i < len; i++)
        if (!(err && p[i] == '\0'))
            dst[o++] = p[i] ? p[i] : '|';
    dst[o] = '\0';
}

/* Moves all complete output into reply / events. */
static void collect(struct tc *t)
{
    struct mem *m = t->m;
    size_t off = 0;

    while (m->out_len - off >= sizeof(struct xsd_sockmsg)) {
        struct xsd_sockmsg h;
        memcpy(&h, m->out + off, sizeof(h));
        if (m->out_len - off < sizeof(h) + h.len)
            break;
        const char *p = m->out + off + sizeof(h);
        if (h.type == XS_WATCH_EVENT) {
            if (t->nev < 64)
                render(t->ev[t->nev++], p, h.len > 120 ? 120 : h.len, false);
        } else {
            render(t->reply, p, h.len, h.type == XS_ERROR);
        }
        off += sizeof(h) + h.len;
    }
    memmove(m->out, m->out + off, m->out_len - off);
    m->out_len -= off;
}

static void push_raw(struct tc *t, const void *p, size_t len)
{
    struct mem *m = t->m;

    if (m->in_off == m->in_len)
        m->in_off = m->in_len = 0;
    CU_ASSERT_FATAL(m->in_len + len <= sizeof(m->in));
    memcpy(m->in + m->in_len, p, len);
    m->in_len += len;
}

static void push_msg(struct tc *t, uint32_t type, uint32_t tx, const char *p,
                     size_t len)
{
    struct xsd_sockmsg h = { type, 42, tx, (uint32_t)len };

    push_raw(t, &h, sizeof(h));
    push_raw(t, p, len);
}

static void run(struct tc *t)
{
    t->reply[0] = '\0';
    store_conn_process(t->c, 1000);
    store_conn_flush(t->c);
    collect(t);
}

/* Sends type with NUL-terminated args (NULL ends them); returns reply. */
static const char *op(struct tc *t, uint32_t type, uint32_t tx, ...)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t len = 0;
    const char *a;
    va_list ap;

    va_start(ap, tx);
    while ((a = va_arg(ap, const char *))) {
        memcpy(buf + len, a, strlen(a) + 1);
        len += strlen(a) + 1;
    }
    va_end(ap);
    push_msg(t, type, tx, buf, len);
    run(t);
    return t->reply;
}

static const char *wr(struct tc *t, uint32_t tx, const char *path,
                      const char *val)
{
    char buf[XENSTORE_PAYLOAD_MAX + 8];
    size_t pl = strlen(path) + 1, vl = strlen(val);

    memcpy(buf, path, pl);
    memcpy(buf + pl, val, vl);
    push_msg(t, XS_WRITE, tx, buf, pl + vl);
    run(t);
    return t->reply;
}

static const char *rd(struct tc *t, uint32_t tx, const char *path)
{
    return op(t, XS_READ, tx, path, NULL);
}

static const char *pop_ev(struct tc *t)
{
    static char buf[128];

    if (t->nev == 0)
        return "";
    strcpy(buf, t->ev[0]);
    memmove(t->ev, t->ev + 1, sizeof(t->ev[0]) * (size_t)(--t->nev));
    return buf;
}

static int setup(void)
{
    store_log_level = STORE_LOG_ERR;
    st = store_new();
    return st ? 0 : 1;
}

static int teardown(void)
{
    store_free(st);
    st = NULL;
    return 0;
}

/* Fresh store per test. */
static void reset(void)
{
    teardown();
    setup();
}

#define EQ(a, b) CU_ASSERT_STRING_EQUAL(a, b)

/* ---- basic semantics, table driven ---- */

struct step {
    uint32_t domid; /* which client */
    uint32_t type;
    const char *a, *b, *c; /* args (WRITE: path, value) */
    const char *want;
};

static void run_steps(const struct step *s, size_t n)
{
    struct tc *cl[8] = { 0 };
    static const uint32_t ids[8] = { 0, 5, 6, 7 };

    for (size_t i = 0; i < n; i++) {
        int k = s[i].domid == 0   ? 0
                : s[i].domid == 5 ? 1
                : s[i].domid == 6 ? 2
                                  : 3;
        if (!cl[k]) {
            cl[k] = malloc(sizeof(struct tc));
            tc_init(cl[k], ids[k]);
        }
        const char *got =
            s[i].type == XS_WRITE
                ? wr(cl[k], 0, s[i].a, s[i].b)
                : op(cl[k], s[i].type, 0, s[i].a, s[i].b, s[i].c, NULL);
        if (strcmp(got, s[i].want) != 0)
            fprintf(stderr, "\n  step %zu: got '%s' want '%s'\n", i, got,
                    s[i].want);
        CU_ASSERT_STRING_EQUAL(got, s[i].want);
    }
    for (int k = 0; k < 8; k++)
        free(cl[k]);
}

static void test_basic(void)
{
    static const struct step s[] = {
        { 0, XS_READ, "/a", NULL, NULL, "!ENOENT" },
        { 0, XS_WRITE, "/a/b/c", "v1", NULL, "OK|" },
        { 0, XS_READ, "/a/b/c", NULL, NULL, "v1" },
        { 0, XS_READ, "/a/b", NULL, NULL, "" }, /* implicit parent */
        { 0, XS_DIRECTORY, "/a", NULL, NULL, "b|" },
        { 0, XS_WRITE, "/a/b/a", "", NULL, "OK|" },
        { 0, XS_DIRECTORY, "/a/b", NULL, NULL, "a|c|" },
        { 0, XS_MKDIR, "/a/b/c", NULL, NULL, "OK|" },
        { 0, XS_READ, "/a/b/c", NULL, NULL, "v1" }, /* mkdir keeps value */
        { 0, XS_MKDIR, "/m/n", NULL, NULL, "OK|" },
        { 0, XS_DIRECTORY, "/m/n", NULL, NULL, "" },
        { 0, XS_RM, "/a/b/zz", NULL, NULL, "OK|" }, /* parent exists */
        { 0, XS_RM, "/a/q/zz", NULL, NULL, "!ENOENT" },
        { 0, XS_RM, "/a/b", NULL, NULL, "OK|" },
        { 0, XS_READ, "/a/b/c", NULL, NULL, "!ENOENT" },
        { 0, XS_DIRECTORY, "/a", NULL, NULL, "" },
        { 0, XS_RM, "/", NULL, NULL, "!EINVAL" },
        { 0, XS_READ, "a//b", NULL, NULL, "!EINVAL" },
        { 0, XS_READ, "/a/", NULL, NULL, "!EINVAL" },
        { 0, XS_READ, "/a b", NULL, NULL, "!EINVAL" },
        { 0, XS_READ, "@introduceDomain", NULL, NULL, "!EINVAL" },
        { 0, XS_WRITE, "rel/x", "r", NULL, "OK|" },
        { 0, XS_READ, "/local/domain/0/rel/x", NULL, NULL, "r" },
        { 0, XS_GET_DOMAIN_PATH, "7", NULL, NULL, "/local/domain/7|" },
        { 0, XS_GET_PERMS, "/a", NULL, NULL, "n0|" },
        { 0, XS_IS_DOMAIN_INTRODUCED, "5", NULL, NULL, "F|" },
        { 0, XS_RESUME, "5", NULL, NULL, "!ENOENT" },
        { 0, XS_RELEASE, "5", NULL, NULL, "!ENOENT" },
        { 0, XS_INTRODUCE, "0", "1", "1", "!EINVAL" },
    };

    reset();
    run_steps(s, sizeof(s) / sizeof(s[0]));
}

static void test_perms(void)
{
    static const struct step s[] = {
        { 0, XS_MKDIR, "/local/domain/5", NULL, NULL, "OK|" },
        { 0, XS_SET_PERMS, "/local/domain/5", "n5", NULL, "OK|" },
        { 5, XS_WRITE, "data/x", "hello", NULL, "OK|" },
        { 5, XS_GET_PERMS, "data/x", NULL, NULL, "n5|" },
        { 6, XS_READ, "/local/domain/5/data/x", NULL, NULL, "!EACCES" },
        { 6, XS_WRITE, "/local/domain/5/data/y", "z", NULL, "!EACCES" },
        { 0, XS_READ, "/local/domain/5/data/x", NULL, NULL, "hello" },
        { 5, XS_SET_PERMS, "data/x", "n5", "r6", "OK|" },
        { 6, XS_READ, "/local/domain/5/data/x", NULL, NULL, "hello" },
        { 6, XS_WRITE, "/local/domain/5/data/x", "no", NULL, "!EACCES" },
        { 7, XS_READ, "/local/domain/5/data/x", NULL, NULL, "!EACCES" },
        { 5, XS_SET_PERMS, "data/x", "b5", "w7", "OK|" },
        { 7, XS_WRITE, "/local/domain/5/data/x", "w", NULL, "OK|" },
        { 7, XS_READ, "/local/domain/5/data/x", NULL, NULL, "!EACCES" },
        { 6, XS_READ, "/local/domain/5/data/x", NULL, NULL, "w" },
        { 6, XS_SET_PERMS, "/local/domain/5/data/x", "b6", NULL, "!EACCES" },
        { 5, XS_SET_PERMS, "data/x", "n6", NULL, "!EPERM" },
        { 5, XS_SET_PERMS, "data/x", "x5", NULL, "!EINVAL" },
        { 5, XS_WRITE, "/tool/x", "1", NULL, "!EACCES" },
        { 5, XS_INTRODUCE, "9", "1", "1", "!EACCES" },
        { 5, XS_IS_DOMAIN_INTRODUCED, "5", NULL, NULL, "!EACCES" },
        { 0, XS_SET_PERMS, "/local/domain/5/data/x", "n6", NULL, "OK|" },
        { 5, XS_READ, "data/x", NULL, NULL, "!EACCES" },
        { 6, XS_READ, "/local/domain/5/data/x", NULL, NULL, "w" },
        /* A domain's new nodes are its own. */
        { 0, XS_SET_PERMS, "/local/domain/5/data", "n0", "b5", "OK|" },
        { 5, XS_WRITE, "data/new", "1", NULL, "OK|" },
        { 5, XS_GET_PERMS, "data/new", NULL, NULL, "n5|b5|" },
    };

    reset();
    run_steps(s, sizeof(s) / sizeof(s[0]));
    CU_ASSERT(store_domain_find(st, 5)->nr_nodes >= 2);
}

static void test_watch(void)
{
    struct tc d0, g5, g6;

    reset();
    tc_init(&d0, 0);
    tc_init(&g5, 5);
    tc_init(&g6, 6);
    EQ(op(&d0, XS_WATCH, 0, "/a", "tok", NULL), "OK|");
    EQ(pop_ev(&d0), "/a|tok|"); /* initial event */
    EQ(op(&d0, XS_WATCH, 0, "/a", "tok", NULL), "!EEXIST");
    EQ(op(&d0, XS_WATCH, 0, "/a/b/c", "deep", NULL), "OK|");
    pop_ev(&d0);
    EQ(wr(&d0, 0, "/a/b", "1"), "OK|");
    EQ(pop_ev(&d0), "/a/b|tok|"); /* child of the watch */
    EQ(pop_ev(&d0), "");          /* not the deeper watch */
    EQ(wr(&d0, 0, "/ab", "1"), "OK|");
    EQ(pop_ev(&d0), ""); /* a sibling prefix */
    EQ(wr(&d0, 0, "/a", "x"), "OK|");
    EQ(pop_ev(&d0), "/a|tok|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/a", "n0", "r5", NULL), "OK|");
    EQ(pop_ev(&d0), "/a|tok|");
    EQ(op(&d0, XS_RM, 0, "/a", NULL), "OK|");
    /* Removal fires on the node and on watches below it. */
    CU_ASSERT_EQUAL(d0.nev, 2);
    CU_ASSERT(strcmp(d0.ev[0], "/a/b/c|deep|") == 0 ||
              strcmp(d0.ev[1], "/a/b/c|deep|") == 0);
    CU_ASSERT(strcmp(d0.ev[0], "/a|tok|") == 0 ||
              strcmp(d0.ev[1], "/a|tok|") == 0);
    d0.nev = 0;
    EQ(op(&d0, XS_UNWATCH, 0, "/a", "tok", NULL), "OK|");
    EQ(op(&d0, XS_UNWATCH, 0, "/a", "tok", NULL), "!ENOENT");
    EQ(wr(&d0, 0, "/a/x", "1"), "OK|");
    EQ(pop_ev(&d0), "");

    /* Relative watches report relative paths; unreadable nodes stay
     * silent. */
    EQ(op(&d0, XS_MKDIR, 0, "/local/domain/5", NULL), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL), "OK|");
    EQ(op(&g5, XS_WATCH, 0, "data", "t5", NULL), "OK|");
    EQ(pop_ev(&g5), "data|t5|");
    EQ(op(&g6, XS_WATCH, 0, "/local/domain/5/data", "t6", NULL), "OK|");
    EQ(pop_ev(&g6), "/local/domain/5/data|t6|");
    EQ(wr(&g5, 0, "data/k", "v"), "OK|");
    EQ(pop_ev(&g5), "data/k|t5|");
    EQ(pop_ev(&g6), "");
    EQ(op(&d0, XS_WATCH, 0, "@releaseDomain", "rel", NULL), "OK|");
    EQ(pop_ev(&d0), "@releaseDomain|rel|");
    EQ(op(&d0, XS_WATCH, 0, "@bogus", "x", NULL), "!EINVAL");
    EQ(op(&g5, XS_RESET_WATCHES, 0, NULL), "OK|");
    EQ(wr(&g5, 0, "data/k", "w"), "OK|");
    EQ(pop_ev(&g5), "");
}

/* Every event a watch can fire fits one message: a token too long for
 * the longest path below the watch is refused at WATCH; the longest
 * allowed token with the longest path is delivered whole. */
static void test_watch_event_size(void)
{
    static char tok[2048], path[XENSTORE_ABS_PATH_MAX + 1];
    struct tc d0, g5;
    size_t max_abs = XENSTORE_PAYLOAD_MAX - 2 - XENSTORE_ABS_PATH_MAX;
    size_t max_rel = XENSTORE_PAYLOAD_MAX - 2 -
                     (XENSTORE_ABS_PATH_MAX - strlen("/local/domain/5/"));

    reset();
    tc_init(&d0, 0);
    tc_init(&g5, 5);
    memset(tok, 't', max_abs + 1);
    EQ(op(&d0, XS_WATCH, 0, "/a", tok, NULL), "!E2BIG");
    tok[max_abs] = '\0';
    EQ(op(&d0, XS_WATCH, 0, "/a", tok, NULL), "OK|");
    CU_ASSERT_EQUAL(d0.nev, 1); /* the initial event */
    d0.nev = 0;
    /* A node path of XENSTORE_ABS_PATH_MAX bytes below /a. */
    memset(path, 'p', sizeof(path) - 1);
    path[XENSTORE_ABS_PATH_MAX] = '\0';
    memcpy(path, "/a/", 3);
    for (size_t i = 200; i < XENSTORE_ABS_PATH_MAX; i += 200)
        path[i] = '/';
    EQ(wr(&d0, 0, path, "v"), "OK|");
    CU_ASSERT_EQUAL(d0.nev, 1);
    CU_ASSERT(strncmp(d0.ev[0], "/a/ppp", 6) == 0);

    /* Relative watches: their events are shorter by the prefix. */
    EQ(op(&d0, XS_MKDIR, 0, "/local/domain/5", NULL), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL), "OK|");
    memset(tok, 'u', sizeof(tok) - 1);
    tok[max_rel + 1] = '\0';
    EQ(op(&g5, XS_WATCH, 0, "data", tok, NULL), "!E2BIG");
    tok[max_rel] = '\0';
    EQ(op(&g5, XS_WATCH, 0, "data", tok, NULL), "OK|");
    CU_ASSERT_EQUAL(g5.nev, 1);
    /* Special paths are short: a long token fits. */
    tok[2000] = '\0';
    EQ(op(&d0, XS_WATCH, 0, "@releaseDomain", tok, NULL), "OK|");
}

static void test_txn(void)
{
    struct tc a, b;
    char id1[16], id2[16];
    uint32_t t1, t2;

    reset();
    tc_init(&a, 0);
    tc_init(&b, 0);
    EQ(op(&b, XS_WATCH, 0, "/t", "w", NULL), "OK|");
    b.nev = 0;
    EQ(wr(&a, 0, "/t/x", "0"), "OK|");
    rd(&b, 0, "/t"); /* collects that event */
    b.nev = 0;
    strcpy(id1, op(&a, XS_TRANSACTION_START, 0, "", NULL));
    t1 = (uint32_t)atoi(id1);
    CU_ASSERT(t1 != 0);
    EQ(wr(&a, t1, "/t/x", "1"), "OK|");
    EQ(wr(&a, t1, "/t/new/deep", "n"), "OK|");
    /* A sibling under a parent this transaction created itself must not
     * count as a conflict with the main tree. */
    EQ(wr(&a, t1, "/t/new/sib", "s"), "OK|");
    EQ(rd(&a, t1, "/t/x"), "1"); /* sees its own write */
    EQ(rd(&a, 0, "/t/x"), "0");  /* others do not */
    EQ(rd(&b, 0, "/t/new/deep"), "!ENOENT");
    EQ(pop_ev(&b), ""); /* nothing fired yet */
    EQ(op(&a, XS_TRANSACTION_END, t1, "T", NULL), "OK|");
    EQ(rd(&b, 0, "/t/x"), "1");
    EQ(rd(&b, 0, "/t/new/deep"), "n");
    CU_ASSERT_EQUAL(b.nev, 3); /* fired at commit */
    b.nev = 0;

    /* Conflict: both read and write /t/x; the second commit fails. */
    t1 = (uint32_t)atoi(strcpy(id1, op(&a, XS_TRANSACTION_START, 0, "", NULL)));
    t2 = (uint32_t)atoi(strcpy(id2, op(&b, XS_TRANSACTION_START, 0, "", NULL)));
    EQ(rd(&a, t1, "/t/x"), "1");
    EQ(rd(&b, t2, "/t/x"), "1");
    EQ(wr(&a, t1, "/t/x", "2"), "OK|");
    EQ(wr(&b, t2, "/t/x", "3"), "OK|");
    EQ(op(&a, XS_TRANSACTION_END, t1, "T", NULL), "OK|");
    EQ(op(&b, XS_TRANSACTION_END, t2, "T", NULL), "!EAGAIN");
    EQ(rd(&b, 0, "/t/x"), "2");
    b.nev = 0;

    /* Disjoint transactions both commit; a plain write also conflicts. */
    t1 = (uint32_t)atoi(op(&a, XS_TRANSACTION_START, 0, "", NULL));
    t2 = (uint32_t)atoi(op(&b, XS_TRANSACTION_START, 0, "", NULL));
    EQ(wr(&a, t1, "/t/x", "4"), "OK|");
    EQ(wr(&b, t2, "/u/y", "5"), "OK|");
    EQ(op(&a, XS_TRANSACTION_END, t1, "T", NULL), "OK|");
    EQ(op(&b, XS_TRANSACTION_END, t2, "T", NULL), "OK|");
    t1 = (uint32_t)atoi(op(&a, XS_TRANSACTION_START, 0, "", NULL));
    EQ(rd(&a, t1, "/u/y"), "5");
    EQ(wr(&b, 0, "/u/y", "6"), "OK|");
    EQ(op(&a, XS_TRANSACTION_END, t1, "T", NULL), "!EAGAIN");
    /* Directory listings conflict with a new child. */
    t1 = (uint32_t)atoi(op(&a, XS_TRANSACTION_START, 0, "", NULL));
    EQ(op(&a, XS_DIRECTORY, t1, "/u", NULL), "y|");
    EQ(wr(&a, t1, "/v", "1"), "OK|");
    EQ(wr(&b, 0, "/u/z", "6"), "OK|");
    EQ(op(&a, XS_TRANSACTION_END, t1, "T", NULL), "!EAGAIN");
    EQ(rd(&a, 0, "/v"), "!ENOENT");
    /* Abort discards; unknown ids are ENOENT. */
    t1 = (uint32_t)atoi(op(&a, XS_TRANSACTION_START, 0, "", NULL));
    EQ(op(&a, XS_RM, t1, "/u", NULL), "OK|");
    EQ(rd(&a, t1, "/u/y"), "!ENOENT");
    EQ(op(&a, XS_TRANSACTION_END, t1, "F", NULL), "OK|");
    EQ(rd(&a, 0, "/u/y"), "6");
    EQ(rd(&a, 777, "/u/y"), "!ENOENT");
    EQ(op(&a, XS_TRANSACTION_END, 777, "T", NULL), "!ENOENT");
    EQ(op(&a, XS_TRANSACTION_END, 0, "T", NULL), "!ENOENT");
    t1 = (uint32_t)atoi(op(&a, XS_TRANSACTION_START, 0, "", NULL));
    EQ(op(&a, XS_TRANSACTION_END, t1, "X", NULL), "!EINVAL");
    EQ(op(&a, XS_TRANSACTION_START, t1, "", NULL), "!EINVAL");
    EQ(op(&a, XS_WATCH, t1, "/q", "x", NULL), "!EINVAL");
    EQ(op(&a, XS_TRANSACTION_END, t1, "F", NULL), "OK|");
}

static void test_quota(void)
{
    struct tc d0, g;
    char big[64];

    reset();
    st->quota = (struct store_quota){ .nodes = 4,
                                      .watches = 2,
                                      .transactions = 1,
                                      .value_size = 16,
                                      .perms = 2 };
    tc_init(&d0, 0);
    tc_init(&g, 5);
    EQ(op(&d0, XS_MKDIR, 0, "/local/domain/5", NULL), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL), "OK|");
    memset(big, 'x', 17);
    big[17] = '\0';
    EQ(wr(&g, 0, "v", big), "!ENOSPC");
    big[16] = '\0';
    EQ(wr(&g, 0, "v", big), "OK|");
    EQ(wr(&g, 0, "a/b", ""), "OK|"); /* 4 nodes incl. the dir */
    EQ(wr(&g, 0, "c", ""), "!ENOSPC");
    EQ(op(&g, XS_RM, 0, "a", NULL), "OK|");
    EQ(wr(&g, 0, "c", ""), "OK|");
    EQ(wr(&d0, 0, "/local/domain/5/x/y/z", big), "OK|"); /* dom0 */
    EQ(op(&g, XS_WATCH, 0, "w1", "t", NULL), "OK|");
    EQ(op(&g, XS_WATCH, 0, "w2", "t", NULL), "OK|");
    EQ(op(&g, XS_WATCH, 0, "w3", "t", NULL), "!E2BIG");
    CU_ASSERT(atoi(op(&g, XS_TRANSACTION_START, 0, "", NULL)) > 0);
    EQ(op(&g, XS_TRANSACTION_START, 0, "", NULL), "!ENOSPC");
    EQ(op(&g, XS_SET_PERMS, 0, "c", "n5", "r1", "r2", NULL), "!ENOSPC");
    EQ(op(&g, XS_SET_PERMS, 0, "c", "n5", "r1", NULL), "OK|");
}

/*
 * A guest inside its quotas cannot grow pvstored through one transaction's
 * log: rewriting one key holds one value; alternating keys, MKDIR of an
 * existing node and RM of a missing child are all counted against
 * STORE_TXN_LOG_MAX; the write that crosses it fails with ENOSPC and so
 * does the commit, leaving the main tree untouched.
 */
static void test_txn_log_bound(void)
{
    static char val[2001];
    struct tc d0, g;
    uint32_t t1;
    int ok = 0, refused = 0;

    reset();
    tc_init(&d0, 0);
    tc_init(&g, 5);
    EQ(op(&d0, XS_MKDIR, 0, "/local/domain/5", NULL), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL), "OK|");
    memset(val, 'v', 2000);
    t1 = (uint32_t)atoi(op(&g, XS_TRANSACTION_START, 0, "", NULL));
    CU_ASSERT_FATAL(t1 != 0);
    for (int i = 0; i < 2000; i++) {
        val[0] = (char)('a' + i % 26);
        if (strcmp(wr(&g, t1, "k", val), "OK|") != 0) {
            CU_FAIL("rewriting one key was refused");
            break;
        }
    }
    EQ(op(&g, XS_TRANSACTION_END, t1, "T", NULL), "OK|");
    CU_ASSERT_EQUAL(rd(&g, 0, "k")[0], 'a' + 1999 % 26);
    /* Two keys in turn: refused once the log holds STORE_TXN_LOG_MAX. */
    t1 = (uint32_t)atoi(op(&g, XS_TRANSACTION_START, 0, "", NULL));
    for (int i = 0; i < 1000 && !refused; i++) {
        const char *r = wr(&g, t1, i % 2 ? "k" : "l", val);
        if (!strcmp(r, "OK|"))
            ok++;
        else if (!strcmp(r, "!ENOSPC"))
            refused++;
        else
            CU_FAIL(r);
    }
    CU_ASSERT_EQUAL(refused, 1);
    CU_ASSERT(ok * 2000 <= (int)STORE_TXN_LOG_MAX);
    CU_ASSERT(ok * 2100 >= (int)STORE_TXN_LOG_MAX / 2);
    EQ(op(&g, XS_TRANSACTION_END, t1, "T", NULL), "!ENOSPC");
    EQ(rd(&g, 0, "l"), "!ENOENT"); /* nothing of it was applied */
    /* MKDIR of an existing node and RM of a missing child count too. */
    for (int kind = 0; kind < 2; kind++) {
        refused = 0;
        t1 = (uint32_t)atoi(op(&g, XS_TRANSACTION_START, 0, "", NULL));
        for (int i = 0; i < 100000 && !refused; i++) {
            const char *r = kind ? op(&g, XS_RM, t1, "k/none", NULL)
                                 : op(&g, XS_MKDIR, t1, "k", NULL);
            if (!strcmp(r, "!ENOSPC"))
                refused++;
            else if (strcmp(r, "OK|")) {
                CU_FAIL(r);
                break;
            }
        }
        CU_ASSERT_EQUAL(refused, 1);
        EQ(op(&g, XS_TRANSACTION_END, t1, "F", NULL), "OK|");
    }
    /* dom0 is exempt, as from the other quotas. */
    t1 = (uint32_t)atoi(op(&d0, XS_TRANSACTION_START, 0, "", NULL));
    for (int i = 0; i < 300; i++)
        if (strcmp(wr(&d0, t1, i % 2 ? "/d/k" : "/d/l", val), "OK|")) {
            CU_FAIL("dom0's transaction was limited");
            break;
        }
    EQ(op(&d0, XS_TRANSACTION_END, t1, "T", NULL), "OK|");
}

static void test_malformed(void)
{
    struct tc t;
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };

    reset();
    tc_init(&t, 5);
    push_msg(&t, 99, 0, "", 0);
    run(&t);
    EQ(t.reply, "!ENOSYS");
    push_msg(&t, XS_TYPE_COUNT, 0, "", 0);
    run(&t);
    EQ(t.reply, "!ENOSYS");
    push_msg(&t, 20, 0, "", 0); /* the withdrawn number */
    run(&t);
    EQ(t.reply, "!ENOSYS");
    push_msg(&t, XS_READ, 0, "/local", 6); /* no NUL */
    run(&t);
    EQ(t.reply, "!EINVAL");
    push_msg(&t, XS_READ, 0, "", 0);
    run(&t);
    EQ(t.reply, "!EINVAL");
    push_msg(&t, XS_MKDIR, 0, "/x\0junk", 7);
    run(&t);
    EQ(t.reply, "!EINVAL");
    push_msg(&t, XS_WATCH, 0, "/x\0tok", 6); /* token without NUL */
    run(&t);
    EQ(t.reply, "!EINVAL");
    push_msg(&t, XS_GET_DOMAIN_PATH, 0, "1x\0", 3);
    run(&t);
    EQ(t.reply, "!EINVAL");
    push_msg(&t, XS_GET_DOMAIN_PATH, 0, "99999\0", 6);
    run(&t);
    EQ(t.reply, "!EINVAL");
    EQ(op(&t, XS_READ, 12345, "/local", NULL), "!ENOENT");
    {
        char longp[XENSTORE_ABS_PATH_MAX + 8];
        memset(longp, 'a', sizeof(longp));
        longp[0] = '/';
        longp[sizeof(longp) - 1] = '\0';
        EQ(op(&t, XS_READ, 0, longp, NULL), "!EINVAL");
    }
    /* A truncated header: nothing happens, the connection lives. */
    push_raw(&t, &h, 7);
    run(&t);
    EQ(t.reply, "");
    CU_ASSERT_FALSE(t.c->dead);
    /* The rest of an oversized header: that client is dropped. */
    push_raw(&t, (char *)&h + 7, sizeof(h) - 7);
    run(&t);
    CU_ASSERT_TRUE(t.c->dead);
    store_conns_reap(st);
    CU_ASSERT_PTR_NULL(st->conns);
}

static void test_fairness(void)
{
    struct tc t;
    unsigned n;

    reset();
    tc_init(&t, 0);
    for (int i = 0; i < 100; i++)
        push_msg(&t, XS_READ, 0, "/local\0", 7);
    n = store_conn_process(t.c, STORE_BATCH);
    CU_ASSERT_EQUAL(n, STORE_BATCH);
    CU_ASSERT_TRUE(t.c->more);
    while (t.c->more)
        store_conn_process(t.c, STORE_BATCH);
    CU_ASSERT_EQUAL(t.c->out_bytes, 100 * (sizeof(struct xsd_sockmsg)));
}

static void test_directory_part(void)
{
    struct tc t;
    char name[16];
    const char *r;

    reset();
    tc_init(&t, 0);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "/d/n%d", i);
        wr(&t, 0, name, "");
    }
    r = op(&t, XS_DIRECTORY_PART, 0, "/d", "0", NULL);
    CU_ASSERT(strstr(r, "|n0|n1|n2||") != NULL);
    r = op(&t, XS_DIRECTORY_PART, 0, "/d", "3", NULL);
    CU_ASSERT(strstr(r, "|n1|n2||") != NULL);
    EQ(op(&t, XS_DIRECTORY_PART, 0, "/d", "2", NULL), "!EINVAL");
    EQ(op(&t, XS_DIRECTORY_PART, 0, "/d", "99", NULL), "!EINVAL");
}

/* ---- the guest ring ---- */

static int notified;

static void count_notify(struct store_ring *r)
{
    (void)r;
    notified++;
}

static struct xenstore_domain_interface *pages[16];

static int fake_introduce(struct store *s, uint32_t domid, uint64_t mfn,
                          uint32_t port, struct store_conn **out)
{
    struct store_ring r = { 0 };

    (void)mfn;
    if (domid >= 16)
        return -EINVAL;
    if (!pages[domid])
        pages[domid] = calloc(1, 4096);
    r.intf = pages[domid];
    r.port = port;
    r.notify = count_notify;
    *out = store_ring_conn_new(s, domid, &r);
    return *out ? 0 : -ENOMEM;
}

static const struct store_host_ops fake_host = { fake_introduce };

/* Guest side: puts bytes on the request ring. */
static void g_put(struct xenstore_domain_interface *in, const void *p,
                  size_t len)
{
    for (size_t i = 0; i < len; i++)
        in->req[MASK_XENSTORE_IDX(in->req_prod + i)] = ((const char *)p)[i];
    in->req_prod += (uint32_t)len;
}

static size_t g_get(struct xenstore_domain_interface *in, char *buf, size_t max)
{
    size_t n = 0;

    while (in->rsp_cons != in->rsp_prod && n < max)
        buf[n++] = in->rsp[MASK_XENSTORE_IDX(in->rsp_cons++)];
    return n;
}

/* Guest side: one request on the ring, processed; the replies it got. */
static size_t g_request(struct store_domain *d, uint32_t type, uint32_t id,
                        const char *payload, size_t plen, char *buf, size_t max)
{
    struct xenstore_domain_interface *in = pages[d->domid];
    struct xsd_sockmsg h = { type, id, 0, (uint32_t)plen };

    g_put(in, &h, sizeof(h));
    g_put(in, payload, plen);
    store_conn_process(d->conn, STORE_BATCH);
    store_conn_flush(d->conn);
    return g_get(in, buf, max);
}

/*
 * pvisor restarts a domain in place: its memory, the store page included,
 * is zeroed under pvstored. The new run's conversation starts afresh: the
 * old run's watches are gone (registering the same one again works, and a
 * change fires it once), and replies start at index 0.
 */
static void test_ring_restart(void)
{
    static const char watch[] = "/local/domain/5/x\0t\0";
    struct tc d0;
    struct store_domain *d;
    struct xenstore_domain_interface *in;
    struct xsd_sockmsg h;
    char buf[2048];
    size_t n;

    reset();
    st->host = &fake_host;
    tc_init(&d0, 0);
    EQ(op(&d0, XS_INTRODUCE, 0, "5", "1", "2", NULL), "OK|");
    d = store_domain_find(st, 5);
    CU_ASSERT_FATAL(d && d->conn);
    in = pages[5];
    EQ(op(&d0, XS_WRITE, 0, "/local/domain/5/x", "1", NULL), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5/x", "n5", NULL), "OK|");

    /* the first run: a watch (its reply and its first event) */
    n = g_request(d, XS_WATCH, 1, watch, sizeof(watch) - 1, buf, sizeof(buf));
    CU_ASSERT(n >= sizeof(h));
    memcpy(&h, buf, sizeof(h));
    CU_ASSERT_EQUAL(h.type, XS_WATCH);
    /* and a request left half-sent when the domain is restarted */
    h = (struct xsd_sockmsg){ XS_READ, 9, 0, 100 };
    g_put(in, &h, sizeof(h));
    store_conn_process(d->conn, STORE_BATCH);

    memset(in, 0, 4096); /* the restart */

    n = g_request(d, XS_WATCH, 1, watch, sizeof(watch) - 1, buf, sizeof(buf));
    CU_ASSERT_FATAL(n >= sizeof(h));
    memcpy(&h, buf, sizeof(h));
    CU_ASSERT_EQUAL(h.type, XS_WATCH); /* not an error: the old one is gone */
    CU_ASSERT_EQUAL(h.req_id, 1);
    CU_ASSERT_EQUAL(in->server_features, XENSTORE_SERVER_FEATURE_ERROR);
    CU_ASSERT_FALSE(d->conn->dead);
    /* one watch, one event per change */
    EQ(op(&d0, XS_WRITE, 0, "/local/domain/5/x", "2", NULL), "OK|");
    store_conn_flush(d->conn);
    n = g_get(in, buf, sizeof(buf));
    {
        int events = 0;
        for (size_t off = 0; off + sizeof(h) <= n;) {
            memcpy(&h, buf + off, sizeof(h));
            events += h.type == XS_WATCH_EVENT;
            off += sizeof(h) + h.len;
        }
        CU_ASSERT_EQUAL(events, 1);
    }
    EQ(op(&d0, XS_RELEASE, 0, "5", NULL), "OK|");
    store_conns_reap(st);
    free(pages[5]);
    pages[5] = NULL;
}

/*
 * SET_TARGET D T (privileged): domain D gets T's rights over T's nodes, as
 * a device model has over its guest's. Refused to an unprivileged client,
 * for a domain not introduced, with bad arguments; reset by a new
 * introduction.
 */
static void test_set_target(void)
{
    struct tc d0, g6, g7;

    reset();
    st->host = &fake_host;
    tc_init(&d0, 0);
    tc_init(&g6, 6);
    tc_init(&g7, 7);
    EQ(wr(&d0, 0, "/local/domain/5/data/x", "five"), "OK|");
    EQ(op(&d0, XS_SET_PERMS, 0, "/local/domain/5/data/x", "n5", NULL), "OK|");
    EQ(rd(&g6, 0, "/local/domain/5/data/x"), "!EACCES");

    /* refused */
    EQ(op(&d0, XS_SET_TARGET, 0, "6", "5", NULL), "!ENOENT"); /* not intro */
    EQ(op(&d0, XS_INTRODUCE, 0, "6", "1", "2", NULL), "OK|");
    EQ(op(&g7, XS_SET_TARGET, 0, "7", "5", NULL), "!EACCES");
    EQ(op(&g6, XS_SET_TARGET, 0, "6", "5", NULL), "!EACCES");
    EQ(op(&d0, XS_SET_TARGET, 0, "6", NULL), "!EINVAL");
    EQ(op(&d0, XS_SET_TARGET, 0, "6", "x5", NULL), "!EINVAL");
    EQ(rd(&g6, 0, "/local/domain/5/data/x"), "!EACCES");

    /* granted: 6 acts as 5 on 5's nodes, 7 still does not */
    EQ(op(&d0, XS_SET_TARGET, 0, "6", "5", NULL), "OK|");
    EQ(rd(&g6, 0, "/local/domain/5/data/x"), "five");
    EQ(wr(&g6, 0, "/local/domain/5/data/x", "six"), "OK|");
    EQ(op(&g6, XS_SET_PERMS, 0, "/local/domain/5/data/x", "n5", "r7", NULL),
       "OK|");
    EQ(op(&g6, XS_SET_PERMS, 0, "/local/domain/5/data/x", "n6", NULL),
       "!EPERM");
    EQ(rd(&g7, 0, "/local/domain/5/data/x"), "six");
    EQ(wr(&g7, 0, "/local/domain/5/data/x", "seven"), "!EACCES");
    EQ(rd(&d0, 0, "/local/domain/5/data/x"), "six");

    /* a new introduction of 6 starts without a target */
    EQ(op(&d0, XS_RELEASE, 0, "6", NULL), "OK|");
    store_conns_reap(st);
    EQ(op(&d0, XS_INTRODUCE, 0, "6", "1", "2", NULL), "OK|");
    EQ(rd(&g6, 0, "/local/domain/5/data/x"), "!EACCES");
    EQ(op(&d0, XS_RELEASE, 0, "6", NULL), "OK|");
    store_conns_reap(st);
    free(pages[6]);
    pages[6] = NULL;
}

/* CONTROL "print" (privileged) logs its text; anything else is refused. */
static void test_control(void)
{
    static const char print[] = "print\0hello from the test";
    struct tc d0, g5;

    reset();
    tc_init(&d0, 0);
    tc_init(&g5, 5);
    push_msg(&d0, XS_CONTROL, 0, print, sizeof(print));
    run(&d0);
    EQ(d0.reply, "OK|");
    push_msg(&g5, XS_CONTROL, 0, print, sizeof(print));
    run(&g5);
    EQ(g5.reply, "!EACCES");
    EQ(op(&d0, XS_CONTROL, 0, "frobnicate", NULL), "!EINVAL");
    EQ(op(&d0, XS_CONTROL, 0, "prin", NULL), "!EINVAL");
    push_msg(&d0, XS_CONTROL, 0, "", 0);
    run(&d0);
    EQ(d0.reply, "!EINVAL");
}

static void test_ring(void)
{
    struct tc d0;
    struct store_domain *d;
    struct xenstore_domain_interface *in;
    struct xsd_sockmsg h;
    char buf[2048];
    size_t n;

    reset();
    st->host = &fake_host;
    tc_init(&d0, 0);
    EQ(op(&d0, XS_WATCH, 0, "@introduceDomain", "i", NULL), "OK|");
    EQ(op(&d0, XS_WATCH, 0, "@releaseDomain", "r", NULL), "OK|");
    d0.nev = 0;
    EQ(op(&d0, XS_INTRODUCE, 0, "3", "17", "9", NULL), "OK|");
    EQ(pop_ev(&d0), "@introduceDomain|i|");
    EQ(op(&d0, XS_INTRODUCE, 0, "3", "17", "9", NULL), "OK|");
    EQ(op(&d0, XS_INTRODUCE, 0, "3", "18", "9", NULL), "!EEXIST");
    EQ(op(&d0, XS_IS_DOMAIN_INTRODUCED, 0, "3", NULL), "T|");
    d = store_domain_find(st, 3);
    CU_ASSERT_FATAL(d && d->conn);
    in = pages[3];
    CU_ASSERT_EQUAL(in->server_features, XENSTORE_SERVER_FEATURE_ERROR);

    /* Indices near the wrap point, a message split across the end. */
    in->req_cons = in->req_prod = 0xfffffff0u;
    in->rsp_cons = in->rsp_prod = 0xfffffff8u;
    h = (struct xsd_sockmsg){ XS_GET_DOMAIN_PATH, 7, 0, 2 };
    g_put(in, &h, sizeof(h));
    g_put(in, "3", 2);
    notified = 0;
    store_conn_process(d->conn, STORE_BATCH);
    store_conn_flush(d->conn);
    CU_ASSERT(notified > 0);
    n = g_get(in, buf, sizeof(buf));
    CU_ASSERT_EQUAL(n, sizeof(h) + strlen("/local/domain/3") + 1);
    memcpy(&h, buf, sizeof(h));
    CU_ASSERT_EQUAL(h.type, XS_GET_DOMAIN_PATH);
    CU_ASSERT_EQUAL(h.req_id, 7);
    EQ(buf + sizeof(h), "/local/domain/3");

    /* A flood larger than the ring drains in pieces as the guest reads. */
    for (int i = 0; i < 40; i++) {
        h = (struct xsd_sockmsg){ XS_GET_DOMAIN_PATH, (uint32_t)i, 0, 2 };
        if (in->req_prod - in->req_cons + sizeof(h) + 2 > XENSTORE_RING_SIZE)
            break;
        g_put(in, &h, sizeof(h));
        g_put(in, "3", 2);
    }
    for (int i = 0; i < 10; i++) {
        store_conn_process(d->conn, STORE_BATCH);
        store_conn_flush(d->conn);
        g_get(in, buf, sizeof(buf));
    }
    CU_ASSERT_EQUAL(in->req_cons, in->req_prod);
    CU_ASSERT_FALSE(d->conn->dead);

    /* Hostile request indices end that connection only. */
    in->req_prod = in->req_cons + XENSTORE_RING_SIZE + 1;
    store_conn_process(d->conn, STORE_BATCH);
    CU_ASSERT_TRUE(d->conn->dead);
    CU_ASSERT_EQUAL(in->error, XENSTORE_ERROR_RINGIDX);
    CU_ASSERT_FALSE(d0.c->dead);
    EQ(op(&d0, XS_RELEASE, 0, "3", NULL), "OK|");
    EQ(pop_ev(&d0), "@releaseDomain|r|");
    EQ(op(&d0, XS_IS_DOMAIN_INTRODUCED, 0, "3", NULL), "F|");
    store_conns_reap(st);

    /* Hostile response indices too. */
    EQ(op(&d0, XS_INTRODUCE, 0, "4", "1", "2", NULL), "OK|");
    d = store_domain_find(st, 4);
    in = pages[4];
    in->rsp_prod = 5000;
    h = (struct xsd_sockmsg){ XS_GET_DOMAIN_PATH, 1, 0, 2 };
    g_put(in, &h, sizeof(h));
    g_put(in, "4", 2);
    store_conn_process(d->conn, STORE_BATCH);
    store_conn_flush(d->conn);
    CU_ASSERT_TRUE(d->conn->dead);
    /* A guest's connection carries its domid: relative paths, perms. */
    EQ(op(&d0, XS_RELEASE, 0, "4", NULL), "OK|");
    store_conns_reap(st);
    for (int i = 0; i < 16; i++) {
        free(pages[i]);
        pages[i] = NULL;
    }
}

static const struct unit_test tests[] = {
    { "basic operations", test_basic },
    { "permissions", test_perms },
    { "watches", test_watch },
    { "watch events fit one message", test_watch_event_size },
    { "transactions", test_txn },
    { "transaction log bound", test_txn_log_bound },
    { "quotas", test_quota },
    { "malformed messages", test_malformed },
    { "fairness batches", test_fairness },
    { "directory_part", test_directory_part },
    { "guest ring", test_ring },
    { "guest ring: a domain restarted in place", test_ring_restart },
    { "SET_TARGET", test_set_target },
    { "CONTROL", test_control },
    { NULL, NULL },
};

const struct unit_suite unit_suite_store = {
    "store",
    setup,
    teardown,
    tests,
};
