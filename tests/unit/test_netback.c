// SPDX-License-Identifier: MIT
/* test_netback.c: netback rings against hostile frontends; guest IP parsing. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <guestkit/net.h>

#include "net_internal.h"

#include "netback.h"
#include "unit.h"

/* ---- a fake guest: granted pages, a TAP that records ---- */

#define DOMID  7
#define NPAGES 8

static uint8_t *pages[NPAGES]; /* gref i -> pages[i] */
static void *tx_sring, *rx_sring;
static uint8_t tap_out[4][70000];
static size_t tap_len[4];
static unsigned int tap_n;
static uint8_t tap_in[4][2000];
static size_t tap_in_len[4];
static unsigned int tap_in_n, tap_in_pos;
static unsigned int notifies;

static int16_t fake_ref(uint32_t domid, uint32_t ref, uint8_t **p)
{
    if (domid != DOMID)
        return GNTST_bad_domain;
    if (ref >= NPAGES)
        return GNTST_bad_gntref;
    *p = pages[ref];
    return GNTST_okay;
}

static int fake_copy(void *ctx, struct pvgnttab_copy_seg *segs, uint32_t n)
{
    (void)ctx;
    for (uint32_t i = 0; i < n; i++) {
        struct pvgnttab_copy_seg *s = &segs[i];
        uint8_t *src = s->source.virt, *dst = s->dest.virt;
        s->status = GNTST_okay;
        if (s->source.is_ref)
            s->status = fake_ref(s->source.domid, s->source.ref, &src);
        if (!s->status && s->dest.is_ref)
            s->status = fake_ref(s->dest.domid, s->dest.ref, &dst);
        if (!s->status && ((uint32_t)s->source.offset + s->len > 4096 ||
                           (uint32_t)s->dest.offset + s->len > 4096))
            s->status = GNTST_bad_copy_arg;
        if (!s->status)
            memcpy(dst + (s->dest.is_ref ? s->dest.offset : 0),
                   src + (s->source.is_ref ? s->source.offset : 0), s->len);
    }
    return 0;
}

static int fake_write(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    if (tap_n < 4) {
        memcpy(tap_out[tap_n], frame, len);
        tap_len[tap_n++] = len;
    }
    return 0;
}

static int fake_read(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    if (tap_in_pos >= tap_in_n)
        return -EAGAIN;
    size_t n = tap_in_len[tap_in_pos];
    memcpy(buf, tap_in[tap_in_pos++], n < len ? n : len);
    return (int)(n < len ? n : len);
}

static void fake_notify(void *ctx)
{
    (void)ctx;
    notifies++;
}

static const struct be_net_ops fake_ops = { fake_copy, fake_write, fake_read,
                                            fake_notify };

static struct be_net_dev dev;
static netif_tx_front_ring_t ftx;
static netif_rx_front_ring_t frx;

static void setup(void)
{
    for (int i = 0; i < NPAGES; i++) {
        if (!pages[i])
            pages[i] = malloc(4096);
        for (int k = 0; k < 4096; k++)
            pages[i][k] = (uint8_t)(i * 16 + k);
    }
    if (!tx_sring) {
        tx_sring = aligned_alloc(4096, 4096);
        rx_sring = aligned_alloc(4096, 4096);
    }
    SHARED_RING_INIT((struct netif_tx_sring *)tx_sring);
    SHARED_RING_INIT((struct netif_rx_sring *)rx_sring);
    FRONT_RING_INIT(&ftx, (struct netif_tx_sring *)tx_sring, 4096);
    FRONT_RING_INIT(&frx, (struct netif_rx_sring *)rx_sring, 4096);
    tap_n = tap_in_n = tap_in_pos = notifies = 0;
    CU_ASSERT_EQUAL_FATAL(
        be_net_dev_init(&dev, DOMID, tx_sring, rx_sring, true, &fake_ops, NULL),
        0);
}

static void put_tx(uint32_t gref, uint16_t off, uint16_t flags, uint16_t id,
                   uint16_t size)
{
    struct netif_tx_request *r = RING_GET_REQUEST(&ftx, ftx.req_prod_pvt++);

    r->gref = gref;
    r->offset = off;
    r->flags = flags;
    r->id = id;
    r->size = size;
}

static struct netif_tx_response tx_rsp(unsigned int i)
{
    return *RING_GET_RESPONSE(&ftx, i);
}

static void test_tx_good(void)
{
    setup();
    put_tx(1, 100, 0, 42, 60);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_n, 1);
    CU_ASSERT_EQUAL(tap_len[0], 60);
    CU_ASSERT(memcmp(tap_out[0], pages[1] + 100, 60) == 0);
    CU_ASSERT_EQUAL(tx_rsp(0).id, 42);
    CU_ASSERT_EQUAL(tx_rsp(0).status, NETIF_RSP_OKAY);
    CU_ASSERT_EQUAL(((struct netif_tx_sring *)tx_sring)->rsp_prod, 1);
    be_net_dev_destroy(&dev);
}

/* Each malformed single packet: answered ERROR, nothing reaches the TAP,
 * the next good packet still goes through. */
static void test_tx_malformed(void)
{
    static const struct {
        uint32_t gref;
        uint16_t off, size;
    } bad[] = {
        { 1, 0, 10 },     /* shorter than an Ethernet header */
        { 1, 4000, 200 }, /* crosses the page end */
        { 1, 4096, 14 },  /* offset at the end */
        { 99, 0, 60 },    /* ref not granted */
        { 1, 0, 65535 },  /* whole packet claims 64 KiB in one page */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup();
        put_tx(bad[i].gref, bad[i].off, 0, 5, bad[i].size);
        put_tx(2, 0, 0, 6, 64);
        RING_PUSH_REQUESTS(&ftx);
        CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
        CU_ASSERT_EQUAL(tx_rsp(0).id, 5);
        CU_ASSERT_EQUAL(tx_rsp(0).status, NETIF_RSP_ERROR);
        CU_ASSERT_EQUAL(tx_rsp(1).status, NETIF_RSP_OKAY);
        CU_ASSERT_EQUAL(tap_n, 1);
        CU_ASSERT_EQUAL(tap_len[0], 64);
        CU_ASSERT_FALSE(dev.broken);
        be_net_dev_destroy(&dev);
    }
}

static void test_tx_multislot(void)
{
    setup();
    /* 100 bytes: 40 in the first slot, 60 in the second */
    put_tx(1, 0, NETTXF_more_data, 1, 100);
    put_tx(2, 10, 0, 2, 60);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL_FATAL(tap_n, 1);
    CU_ASSERT_EQUAL(tap_len[0], 100);
    CU_ASSERT(memcmp(tap_out[0], pages[1], 40) == 0);
    CU_ASSERT(memcmp(tap_out[0] + 40, pages[2] + 10, 60) == 0);
    CU_ASSERT_EQUAL(tx_rsp(0).status, NETIF_RSP_OKAY);
    CU_ASSERT_EQUAL(tx_rsp(1).id, 2);
    be_net_dev_destroy(&dev);

    /* the other slots claim more than the whole packet */
    setup();
    put_tx(1, 0, NETTXF_more_data, 1, 50);
    put_tx(2, 0, 0, 2, 60);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_n, 0);
    CU_ASSERT_EQUAL(tx_rsp(0).status, NETIF_RSP_ERROR);
    CU_ASSERT_EQUAL(tx_rsp(1).status, NETIF_RSP_ERROR);
    be_net_dev_destroy(&dev);

    /* more slots than a backend must accept */
    setup();
    put_tx(1, 0, NETTXF_more_data, 0, 2000);
    for (int i = 1; i < 25; i++)
        put_tx(1, 0, i < 24 ? NETTXF_more_data : 0, (uint16_t)i, 20);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_n, 0);
    CU_ASSERT_EQUAL(((struct netif_tx_sring *)tx_sring)->rsp_prod, 25);
    for (unsigned int i = 0; i < 25; i++)
        CU_ASSERT_EQUAL(tx_rsp(i).status, NETIF_RSP_ERROR);
    be_net_dev_destroy(&dev);
}

static void test_tx_extra_info(void)
{
    struct netif_extra_info *x;

    /* GSO was never offered: the packet is refused, the extra gets NULL */
    setup();
    put_tx(1, 0, NETTXF_extra_info, 1, 60);
    x = (struct netif_extra_info *)RING_GET_REQUEST(&ftx, ftx.req_prod_pvt++);
    memset(x, 0, sizeof(struct netif_tx_request));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;
    put_tx(2, 0, 0, 3, 64);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tx_rsp(0).status, NETIF_RSP_ERROR);
    CU_ASSERT_EQUAL(tx_rsp(1).status, NETIF_RSP_NULL);
    CU_ASSERT_EQUAL(tx_rsp(2).status, NETIF_RSP_OKAY);
    CU_ASSERT_EQUAL(tap_n, 1);
    be_net_dev_destroy(&dev);
}

static void test_tx_hostile_indices(void)
{
    struct netif_tx_sring *s;

    setup();
    s = tx_sring;
    s->req_prod = 1000; /* far more than a ring ahead */
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), -EPROTO);
    CU_ASSERT_TRUE(dev.broken);
    CU_ASSERT_EQUAL(tap_n, 0);
    be_net_dev_destroy(&dev);

    /* an unfinished packet waits; finishing it lets it through */
    setup();
    put_tx(1, 0, NETTXF_more_data, 1, 100);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_n, 0);
    CU_ASSERT_EQUAL(dev.tx.req_cons, 0);
    put_tx(2, 0, 0, 2, 50);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_n, 1);
    be_net_dev_destroy(&dev);

    /* a whole ring of more_data can never end */
    setup();
    for (int i = 0; i < 256; i++)
        put_tx(1, 0, NETTXF_more_data, (uint16_t)i, 20);
    RING_PUSH_REQUESTS(&ftx);
    CU_ASSERT_EQUAL(be_net_tx_kick(&dev), -EPROTO);
    be_net_dev_destroy(&dev);
}

static void test_rx(void)
{
    struct netif_rx_request *r;

    setup();
    tap_in_len[0] = 60;
    memset(tap_in[0], 0xab, 60);
    tap_in_len[1] = 70;
    memset(tap_in[1], 0xcd, 70);
    tap_in_n = 2;
    /* no buffers: nothing taken, ask for a notification */
    CU_ASSERT_EQUAL(be_net_rx_kick(&dev), 0);
    CU_ASSERT_EQUAL(tap_in_pos, 0);
    CU_ASSERT_EQUAL(((struct netif_rx_sring *)rx_sring)->req_event, 1);
    r = RING_GET_REQUEST(&frx, frx.req_prod_pvt++);
    r->id = 9;
    r->gref = 3;
    r = RING_GET_REQUEST(&frx, frx.req_prod_pvt++);
    r->id = 10;
    r->gref = 77; /* not granted */
    RING_PUSH_REQUESTS(&frx);
    CU_ASSERT_EQUAL(be_net_rx_kick(&dev), 0);
    CU_ASSERT_EQUAL(RING_GET_RESPONSE(&frx, 0)->id, 9);
    CU_ASSERT_EQUAL(RING_GET_RESPONSE(&frx, 0)->status, 60);
    CU_ASSERT(memcmp(pages[3], tap_in[0], 60) == 0);
    CU_ASSERT_EQUAL(RING_GET_RESPONSE(&frx, 1)->id, 10);
    CU_ASSERT_EQUAL(RING_GET_RESPONSE(&frx, 1)->status, NETIF_RSP_ERROR);
    CU_ASSERT_TRUE(notifies > 0);
    ((struct netif_rx_sring *)rx_sring)->req_prod = 5000;
    CU_ASSERT_EQUAL(be_net_rx_kick(&dev), -EPROTO);
    be_net_dev_destroy(&dev);
}

/* ---- the guest IP stack, built for the host ---- */

unsigned long gk_net_lock(void)
{
    return 0;
}

void gk_net_unlock(unsigned long flags)
{
    (void)flags;
}

static uint64_t now_ns = 1000;

uint64_t gk_net_now_ns(void)
{
    return now_ns;
}

static uint8_t out[8][1600];
static size_t out_len[8];
static unsigned int nout;

static int capture(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    if (nout < 8) {
        memcpy(out[nout], frame, len);
        out_len[nout] = len;
    }
    nout++;
    return 0;
}

static const uint8_t my_mac[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };
static const uint8_t peer_mac[6] = { 0x00, 0x16, 0x3e, 0, 0, 3 };
#define MY_IP   GK_IPV4(10, 0, 0, 2)
#define PEER_IP GK_IPV4(10, 0, 0, 3)

static void net_setup(void)
{
    nout = 0;
    CU_ASSERT_EQUAL_FATAL(gk_net_configure(my_mac, MY_IP, 24, 0, capture, NULL),
                          0);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static size_t make_arp(uint8_t *f, uint16_t op, uint32_t tpa)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, peer_mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    memcpy(f + 22, peer_mac, 6);
    put32(f + 28, PEER_IP);
    put32(f + 38, tpa);
    return 60;
}

/* An IPv4 frame from the peer to us with payload p. */
static size_t make_ip(uint8_t *f, uint8_t proto, const uint8_t *p, size_t plen)
{
    uint8_t *h = f + 14;

    memcpy(f, my_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    put16(f + 12, 0x0800);
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(20 + plen));
    h[8] = 64;
    h[9] = proto;
    put32(h + 12, PEER_IP);
    put32(h + 16, MY_IP);
    put16(h + 10, gk_net_checksum(h, 20));
    memcpy(h + 20, p, plen);
    return 34 + plen;
}

static size_t make_ping(uint8_t *f, uint16_t seq)
{
    uint8_t m[40];

    memset(m, 0, sizeof(m));
    m[0] = 8;
    put16(m + 4, 0x1234);
    put16(m + 6, seq);
    memcpy(m + 8, "0123456789abcdefghijklmnopqrstuv", 32);
    put16(m + 2, gk_net_checksum(m, sizeof(m)));
    return make_ip(f, 1, m, sizeof(m));
}

static void test_checksum(void)
{
    /* RFC 1071's example: the sum is ddf2, the checksum its complement */
    static const uint8_t d[] = {
        0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7
    };
    uint32_t ip;
    unsigned int pl;
    char buf[16];

    CU_ASSERT_EQUAL(gk_net_checksum(d, sizeof(d)), 0x220d);
    CU_ASSERT_EQUAL(gk_net_checksum(d, 3), (uint16_t)~0xf201);
    CU_ASSERT_EQUAL(gk_net_parse_addr("10.1.2.3/16", &ip, &pl), 0);
    CU_ASSERT_EQUAL(ip, GK_IPV4(10, 1, 2, 3));
    CU_ASSERT_EQUAL(pl, 16);
    CU_ASSERT_EQUAL(gk_net_parse_addr("10.1.2.3", &ip, &pl), 0);
    CU_ASSERT_EQUAL(pl, 24);
    CU_ASSERT_NOT_EQUAL(gk_net_parse_addr("10.1.2", &ip, &pl), 0);
    CU_ASSERT_NOT_EQUAL(gk_net_parse_addr("10.1.2.256", &ip, &pl), 0);
    CU_ASSERT_NOT_EQUAL(gk_net_parse_addr("10.1.2.3/33", &ip, &pl), 0);
    CU_ASSERT_NOT_EQUAL(gk_net_parse_addr("10.1.2.3x", &ip, &pl), 0);
    CU_ASSERT_NOT_EQUAL(gk_net_parse_addr("1.2.3.4/8", &ip, NULL), 0);
    CU_ASSERT_STRING_EQUAL(
        gk_net_format_addr(GK_IPV4(192, 168, 10, 1), buf, sizeof(buf)),
        "192.168.10.1");
}

static void test_arp(void)
{
    uint8_t f[64];
    struct gk_net_stats st;

    net_setup();
    gk_net_input(f, make_arp(f, 1, MY_IP));
    CU_ASSERT_EQUAL_FATAL(nout, 1);
    CU_ASSERT(memcmp(out[0], peer_mac, 6) == 0); /* to the asker */
    CU_ASSERT_EQUAL(out[0][20], 0);
    CU_ASSERT_EQUAL(out[0][21], 2); /* a reply */
    CU_ASSERT(memcmp(out[0] + 22, my_mac, 6) == 0);
    CU_ASSERT(memcmp(out[0] + 32, peer_mac, 6) == 0);
    /* for someone else: no answer */
    gk_net_input(f, make_arp(f, 1, GK_IPV4(10, 0, 0, 9)));
    CU_ASSERT_EQUAL(nout, 1);
    /* malformed: truncated, wrong lengths, unknown op, multicast sender */
    gk_net_get_stats(&st);
    uint64_t bad = st.rx_bad;
    make_arp(f, 1, MY_IP);
    gk_net_input(f, 30);
    make_arp(f, 1, MY_IP);
    f[18] = 8;
    gk_net_input(f, 60);
    make_arp(f, 7, MY_IP);
    gk_net_input(f, 60);
    make_arp(f, 1, MY_IP);
    f[6] = 0x01;
    gk_net_input(f, 60);
    gk_net_input(f, 5);
    gk_net_get_stats(&st);
    CU_ASSERT_EQUAL(nout, 1);
    CU_ASSERT_EQUAL(st.rx_bad - bad, 5);
}

static void test_icmp(void)
{
    uint8_t f[200];
    size_t n;

    net_setup();
    n = make_ping(f, 7);
    gk_net_input(f, n);
    CU_ASSERT_EQUAL_FATAL(nout, 1); /* sender learnt: no ARP */
    CU_ASSERT_EQUAL(out_len[0], n);
    CU_ASSERT(memcmp(out[0], peer_mac, 6) == 0);
    CU_ASSERT_EQUAL(gk_net_checksum(out[0] + 14, 20), 0);
    CU_ASSERT_EQUAL(out[0][34], 0); /* echo reply */
    CU_ASSERT_EQUAL(gk_net_checksum(out[0] + 34, n - 34), 0);
    CU_ASSERT(memcmp(out[0] + 38, f + 38, n - 38) == 0); /* id, seq, data */

    /* each corruption drops the request silently */
    for (int c = 0; c < 6; c++) {
        n = make_ping(f, 8);
        switch (c) {
        case 0:
            f[14 + 10] ^= 1;
            break; /* IP checksum */
        case 1:
            f[34 + 9] ^= 1;
            break; /* ICMP payload */
        case 2:
            put16(f + 16, 400);
            break; /* tot_len > frame */
        case 3:
            f[14] = 0x44;
            break; /* ihl 4 */
        case 4:
            f[14] = 0x65;
            break; /* version 6 */
        case 5:
            f[20] = 0x20;
            break; /* MF: fragment */
        }
        nout = 0;
        gk_net_input(f, n);
        CU_ASSERT_EQUAL(nout, 0);
        gk_net_input(f, 20); /* truncated */
        CU_ASSERT_EQUAL(nout, 0);
    }
}

static unsigned int udp_calls;
static uint8_t udp_got[64];
static size_t udp_got_len;

static void udp_cb(uint32_t src, uint16_t sport, uint16_t dport,
                   const void *data, size_t len, void *arg)
{
    (void)arg;
    CU_ASSERT_EQUAL(src, PEER_IP);
    CU_ASSERT_EQUAL(sport, 5555);
    CU_ASSERT_EQUAL(dport, 7);
    udp_calls++;
    udp_got_len = len < sizeof(udp_got) ? len : sizeof(udp_got);
    memcpy(udp_got, data, udp_got_len);
}

static size_t make_udp(uint8_t *f, uint16_t ulen_field, int bad_sum)
{
    uint8_t u[8 + 5], ph[12];
    uint32_t sum = 0;

    put16(u, 5555);
    put16(u + 2, 7);
    put16(u + 4, ulen_field);
    put16(u + 6, 0);
    memcpy(u + 8, "hello", 5);
    put32(ph, PEER_IP);
    put32(ph + 4, MY_IP);
    ph[8] = 0;
    ph[9] = 17;
    put16(ph + 10, sizeof(u));
    for (size_t i = 0; i < sizeof(ph); i += 2)
        sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
    uint16_t c = gk_net_checksum(u, sizeof(u));
    sum += (uint16_t)~c;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(u + 6, (uint16_t)(~sum ^ (bad_sum ? 1 : 0)));
    return make_ip(f, 17, u, sizeof(u));
}

static void test_udp(void)
{
    uint8_t f[200], arp[64];

    net_setup();
    udp_calls = 0;
    CU_ASSERT_EQUAL(gk_udp_bind(7, udp_cb, NULL), 0);
    CU_ASSERT_EQUAL(gk_udp_bind(7, udp_cb, NULL), -XEN_EADDRINUSE);
    gk_net_input(f, make_udp(f, 13, 0));
    CU_ASSERT_EQUAL(udp_calls, 1);
    CU_ASSERT_EQUAL(udp_got_len, 5);
    CU_ASSERT(memcmp(udp_got, "hello", 5) == 0);
    gk_net_input(f, make_udp(f, 13, 1));  /* bad checksum */
    gk_net_input(f, make_udp(f, 200, 0)); /* length beyond datagram */
    gk_net_input(f, make_udp(f, 4, 0));   /* shorter than a header */
    CU_ASSERT_EQUAL(udp_calls, 1);
    CU_ASSERT_EQUAL(gk_udp_unbind(7), 0);
    gk_net_input(f, make_udp(f, 13, 0));
    CU_ASSERT_EQUAL(udp_calls, 1);

    /* sending to an unknown neighbour: ARP first, the datagram after */
    net_setup();
    CU_ASSERT_EQUAL(gk_udp_send(PEER_IP, 9, "abc", 3), 0);
    CU_ASSERT_EQUAL_FATAL(nout, 1);
    CU_ASSERT_EQUAL(out[0][12], 0x08);
    CU_ASSERT_EQUAL(out[0][13], 0x06);
    make_arp(arp, 2, MY_IP);
    memcpy(arp, my_mac, 6);
    gk_net_input(arp, 60);
    CU_ASSERT_EQUAL_FATAL(nout, 2);
    CU_ASSERT(memcmp(out[1], peer_mac, 6) == 0);
    CU_ASSERT_EQUAL(out[1][23], 17);
    CU_ASSERT_EQUAL(out_len[1], 14 + 20 + 8 + 3);
    CU_ASSERT_EQUAL(gk_udp_send(PEER_IP, 9, "abc", GK_UDP_MAX_PAYLOAD + 1),
                    -XEN_EMSGSIZE);
    CU_ASSERT_EQUAL(gk_udp_send(GK_IPV4(192, 168, 0, 1), 9, "x", 1),
                    -XEN_EADDRNOTAVAIL);
}

static const struct unit_test tests[] = {
    { "tx: a good packet", test_tx_good },
    { "tx: malformed packets get errors", test_tx_malformed },
    { "tx: multi-slot packets", test_tx_multislot },
    { "tx: extra info", test_tx_extra_info },
    { "tx: hostile indices", test_tx_hostile_indices },
    { "rx: buffers, bad grants, bad indices", test_rx },
    { "ip: checksum and addresses", test_checksum },
    { "ip: ARP", test_arp },
    { "ip: ICMP echo and malformed IPv4", test_icmp },
    { "ip: UDP", test_udp },
    { NULL, NULL },
};

const struct unit_suite unit_suite_netback = {
    "netback",
    NULL,
    NULL,
    tests,
};
