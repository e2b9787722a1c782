// SPDX-License-Identifier: MIT
/* test_console.c: pv-consoled's ring handling, history and control parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cons_core.h"
#include "unit.h"

static struct xencons_interface *new_page(struct be_cons_ring *r)
{
    struct xencons_interface *p = calloc(1, 4096);

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    be_cons_ring_init(r, p);
    return p;
}

/* The guest side of the out ring, as a frontend writes it. */
static void guest_put(struct xencons_interface *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p->out[MASK_XENCONS_IDX(p->out_prod + i, p->out)] = s[i];
    p->out_prod += (XENCONS_RING_IDX)n;
}

static void test_ring_read_basic(void)
{
    struct be_cons_ring r;
    struct xencons_interface *p = new_page(&r);
    char buf[64];

    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), 0);
    guest_put(p, "hello\n", 6);
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), 6);
    CU_ASSERT_NSTRING_EQUAL(buf, "hello\n", 6);
    CU_ASSERT_EQUAL(p->out_cons, 6);
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), 0);
    free(p);
}

static void test_ring_read_wrap(void)
{
    struct be_cons_ring r;
    struct xencons_interface *p = new_page(&r);
    char data[2048], buf[4096];

    /* Indices near 2^32 and data across the end of the buffer. */
    p->out_prod = p->out_cons = 0xfffffc00u;
    be_cons_ring_init(&r, p);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    guest_put(p, data, sizeof(data)); /* exactly full */
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, 100), 100);
    CU_ASSERT_EQUAL(memcmp(buf, data, 100), 0);
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), 1948);
    CU_ASSERT_EQUAL(memcmp(buf, data + 100, 1948), 0);
    CU_ASSERT_EQUAL(p->out_cons, 0xfffffc00u + 2048);
    free(p);
}

static void test_ring_read_hostile(void)
{
    struct be_cons_ring r;
    struct xencons_interface *p = new_page(&r);
    char buf[4096];

    p->out_prod = sizeof(p->out) + 1; /* more than the ring */
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), -EPROTO);
    CU_ASSERT_EQUAL(p->out_cons, 0); /* nothing consumed */
    p->out_prod = 0xffffffffu;       /* "behind" the consumer */
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), -EPROTO);
    /* A guest rewriting out_cons cannot make us read beyond prod. */
    p->out_prod = 10;
    p->out_cons = 0x80000000u;
    CU_ASSERT_EQUAL(be_cons_ring_read(&r, buf, sizeof(buf)), 10);
    CU_ASSERT_EQUAL(r.out_cons, 10);
    free(p);
}

static void test_ring_write(void)
{
    struct be_cons_ring r;
    struct xencons_interface *p = new_page(&r);
    char big[2000];

    memset(big, 'x', sizeof(big));
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, "abc", 3), 3);
    CU_ASSERT_EQUAL(p->in_prod, 3);
    CU_ASSERT_NSTRING_EQUAL(p->in, "abc", 3);
    /* Only the free space is used. */
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, big, sizeof(big)), 1021);
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, "z", 1), 0);
    p->in_cons = 1000; /* the guest read some */
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, big, sizeof(big)), 1000);
    CU_ASSERT_EQUAL(p->in_prod, 2024);
    free(p);
}

static void test_ring_write_hostile(void)
{
    struct be_cons_ring r;
    struct xencons_interface *p = new_page(&r);

    p->in_cons = 5; /* ahead of our in_prod */
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, "a", 1), -EPROTO);
    p->in_cons = 0x40000000u;
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, "a", 1), -EPROTO);
    /* A scribbled in_prod is ignored: ours is authoritative. */
    p->in_cons = 0;
    p->in_prod = 0x12345678u;
    CU_ASSERT_EQUAL(be_cons_ring_write(&r, "a", 1), 1);
    CU_ASSERT_EQUAL(p->in_prod, 1);
    free(p);
}

static void test_hist(void)
{
    struct be_cons_hist h;
    char out[64];

    CU_ASSERT_EQUAL(be_cons_hist_init(&h, 100), -EINVAL);
    CU_ASSERT_EQUAL_FATAL(be_cons_hist_init(&h, 16), 0);
    CU_ASSERT_EQUAL(be_cons_hist_read(&h, out, sizeof(out)), 0);
    be_cons_hist_append(&h, "0123456789", 10);
    CU_ASSERT_EQUAL(be_cons_hist_read(&h, out, sizeof(out)), 10);
    CU_ASSERT_NSTRING_EQUAL(out, "0123456789", 10);
    be_cons_hist_append(&h, "abcdefghij", 10); /* wraps: last 16 kept */
    CU_ASSERT_EQUAL(be_cons_hist_read(&h, out, sizeof(out)), 16);
    CU_ASSERT_NSTRING_EQUAL(out, "456789abcdefghij", 16);
    CU_ASSERT_EQUAL(be_cons_hist_read(&h, out, 3), 3);
    CU_ASSERT_NSTRING_EQUAL(out, "hij", 3);
    be_cons_hist_append(&h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26);
    CU_ASSERT_EQUAL(be_cons_hist_read(&h, out, sizeof(out)), 16);
    CU_ASSERT_NSTRING_EQUAL(out, "KLMNOPQRSTUVWXYZ", 16);
    CU_ASSERT_EQUAL(h.total, 46);
    be_cons_hist_free(&h);
}

static int parse(const char *s, struct be_cons_req *r)
{
    const char *why = NULL;
    int e = be_cons_parse(s, strlen(s), r, &why);

    if (e)
        CU_ASSERT_PTR_NOT_NULL(why);
    return e;
}

static void test_parse_good(void)
{
    struct be_cons_req r;

    CU_ASSERT_EQUAL_FATAL(parse("ADD 7 gk-echo 47 3", &r), 0);
    CU_ASSERT_EQUAL(r.op, BE_CONS_ADD);
    CU_ASSERT_EQUAL(r.domid, 7);
    CU_ASSERT_STRING_EQUAL(r.name, "gk-echo");
    CU_ASSERT_EQUAL(r.mfn, 47);
    CU_ASSERT_EQUAL(r.port, 3);
    CU_ASSERT_EQUAL_FATAL(parse("ADD  12  a.b_C  0x2F 0\r", &r), 0);
    CU_ASSERT_EQUAL(r.mfn, 0x2f);
    CU_ASSERT_EQUAL(r.port, 0);
    CU_ASSERT_EQUAL_FATAL(parse("DEL 32751", &r), 0);
    CU_ASSERT_EQUAL(r.op, BE_CONS_DEL);
    CU_ASSERT_EQUAL(r.domid, 0x7fef);
    CU_ASSERT_EQUAL_FATAL(parse("ATTACH 5", &r), 0);
    CU_ASSERT_FALSE(r.by_name);
    CU_ASSERT_EQUAL(r.domid, 5);
    CU_ASSERT_EQUAL_FATAL(parse("ATTACH web-1", &r), 0);
    CU_ASSERT_TRUE(r.by_name);
    CU_ASSERT_STRING_EQUAL(r.name, "web-1");
    CU_ASSERT_EQUAL(parse("LIST", &r), 0);
    CU_ASSERT_EQUAL(r.op, BE_CONS_LIST);
    CU_ASSERT_EQUAL(parse("PING", &r), 0);
}

static void test_parse_bad(void)
{
    static const char *const bad[] = {
        "",
        " ",
        "\r",
        "add 1 x 1 1",
        "FOO",
        "LIST x",
        "DEL",
        "DEL 0",     /* dom0 has no ring */
        "DEL 32752", /* reserved domids */
        "DEL -1",
        "DEL +1",
        "DEL 1x",
        "DEL 0x10",
        "DEL 99999999999999999999999",
        "ADD 1 x 1",
        "ADD 1 x 1 1 1",
        "ADD 1 a/b 1 1",
        "ADD 1 .. 1 x",
        "ADD 1 x 0x10000000000000 1", /* frame << 12 overflows */
        "ADD 1 x 0x 1",
        "ADD 1 x 1 4294967296",
        "ADD 1 0123456789012345678901234567890123456789012345678901234567"
        "890123 1 1", /* 64-character name */
        "ATTACH",
        "ATTACH a b",
        "ATTACH 0",
        "ATTACH b@d",
        "PING\tx",
        "PING\x01",
        "ATTACH caf\xc3\xa9",
    };
    struct be_cons_req r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int e = parse(bad[i], &r);
        CU_ASSERT_EQUAL(e, -EINVAL);
        if (e != -EINVAL)
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
    }
}

static void test_parse_binary(void)
{
    char line[BE_CONS_LINE_MAX + 10];
    struct be_cons_req r;
    const char *why;

    /* NUL inside, overlong, and random bytes are refused, never read
     * past len. */
    CU_ASSERT_EQUAL(be_cons_parse("PING\0x", 6, &r, &why), -EINVAL);
    memset(line, 'A', sizeof(line));
    CU_ASSERT_EQUAL(be_cons_parse(line, sizeof(line), &r, &why), -EINVAL);
    memcpy(line, "PING", 4);
    CU_ASSERT_EQUAL(be_cons_parse(line, 4, &r, &why), 0);
    srand(1);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand() % sizeof(line);
        for (size_t j = 0; j < n; j++)
            line[j] =
                (char)(rand() % 3 ? "ADEL TCH0123x "[rand() % 14] : rand());
        (void)be_cons_parse(line, n, &r, &why);
    }
}

/* The byte budget per window: spent, then refilled by the next window. */
static void test_rate(void)
{
    struct be_cons_rate r = { .budget = 1000,
                              .window_ms = 100,
                              .start_ms = 5000 };
    struct be_cons_rate none = { 0 };

    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 5000), 1000);
    be_cons_rate_charge(&r, 600);
    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 5050), 400);
    be_cons_rate_charge(&r, 400);
    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 5099), 0);
    CU_ASSERT_EQUAL(be_cons_rate_next(&r), 5100);
    /* Overdrawn charges (a last drain) never wrap. */
    be_cons_rate_charge(&r, SIZE_MAX);
    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 5099), 0);
    /* The next window starts when it is asked for, not at 5100. */
    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 5230), 1000);
    CU_ASSERT_EQUAL(be_cons_rate_next(&r), 5330);
    /* A clock that goes back starts a window too. */
    be_cons_rate_charge(&r, 1000);
    CU_ASSERT_EQUAL(be_cons_rate_room(&r, 10), 1000);
    CU_ASSERT_EQUAL(be_cons_rate_room(&none, 0), SIZE_MAX);
    be_cons_rate_charge(&none, 1u << 30);
    CU_ASSERT_EQUAL(be_cons_rate_room(&none, 0), SIZE_MAX);
}

static void test_rate_options(void)
{
    static const char *const bad[] = {
        "",
        "64K",
        "/100",
        "64K/",
        "64K/0",
        "0/100",
        "-1/100",
        "64X/100",
        "64K/100ms",
        "64K/1K",
        "1/3600001",
        "99999999999999999999/1",
        "18014398509481984M/1",
        "0/0",
        "00",
    };
    size_t b;
    uint64_t w, v;

    CU_ASSERT_EQUAL(be_cons_rate_parse("64K/100", &b, &w), 0);
    CU_ASSERT_EQUAL(b, 65536);
    CU_ASSERT_EQUAL(w, 100);
    CU_ASSERT_EQUAL(be_cons_rate_parse("1M/1000", &b, &w), 0);
    CU_ASSERT_EQUAL(b, 1u << 20);
    CU_ASSERT_EQUAL(w, 1000);
    CU_ASSERT_EQUAL(be_cons_rate_parse("0", &b, &w), 0);
    CU_ASSERT_EQUAL(b, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int e = be_cons_rate_parse(bad[i], &b, &w);
        CU_ASSERT_EQUAL(e, -EINVAL);
        if (e != -EINVAL)
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
    }
    CU_ASSERT_EQUAL(be_cons_parse_size("8M", &v), 0);
    CU_ASSERT_EQUAL(v, 8u << 20);
    CU_ASSERT_EQUAL(be_cons_parse_size("4096", &v), 0);
    CU_ASSERT_EQUAL(v, 4096);
    CU_ASSERT_EQUAL(be_cons_parse_size("1G", &v), -EINVAL);
    CU_ASSERT_EQUAL(be_cons_parse_size("", &v), -EINVAL);
    CU_ASSERT_EQUAL(be_cons_parse_size("17592186044416M", &v), -EINVAL);
}

static const struct unit_test tests[] = {
    { "ring read", test_ring_read_basic },
    { "ring read across the wrap", test_ring_read_wrap },
    { "ring read, hostile indices", test_ring_read_hostile },
    { "ring write", test_ring_write },
    { "ring write, hostile indices", test_ring_write_hostile },
    { "history", test_hist },
    { "protocol: good requests", test_parse_good },
    { "protocol: bad requests", test_parse_bad },
    { "protocol: binary input", test_parse_binary },
    { "rate limit", test_rate },
    { "rate and size options", test_rate_options },
    { NULL, NULL },
};

const struct unit_suite unit_suite_console = {
    .name = "console",
    .tests = tests,
};
