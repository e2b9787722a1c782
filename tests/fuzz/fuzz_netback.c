// SPDX-License-Identifier: MIT
/* fuzz_netback.c: pv-netback's ring engine against a hostile frontend. */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "netback.h"

/*
 * The frontend owns both rings and its granted pages: the input writes
 * transmit requests (any bytes, chained or not), receive buffers, any
 * producer index, and page contents; the host side offers frames of any
 * length to receive. Grant refs 0..7 are the fake guest's pages, others
 * fail as pvisor would refuse them.
 */
#define DOMID  7
#define NPAGES 8

static uint8_t pages[NPAGES][4096];
static uint8_t rx_frame[BE_NET_RX_FRAME_MAX + 100];
static int rx_len = -1;

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
    static uint8_t sink[70000];

    (void)ctx;
    if (len > sizeof(sink))
        abort(); /* a frame larger than any the engine may build */
    memcpy(sink, frame, len);
    return 0;
}

static int fake_read(void *ctx, void *buf, size_t len)
{
    int n = rx_len;

    (void)ctx;
    if (n < 0)
        return -EAGAIN;
    rx_len = -1;
    if ((size_t)n > len)
        n = (int)len;
    memcpy(buf, rx_frame, (size_t)n);
    return n;
}

static void fake_notify(void *ctx)
{
    (void)ctx;
}

static const struct be_net_ops ops = { fake_copy, fake_write, fake_read,
                                       fake_notify };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t tx_page[4096] __attribute__((aligned(4096)));
    static uint8_t rx_page[4096] __attribute__((aligned(4096)));
    struct netif_tx_sring *tx = (void *)tx_page;
    struct netif_rx_sring *rx = (void *)rx_page;
    struct fz f = { data, size };
    struct be_net_dev dev;
    RING_IDX txp = 0, rxp = 0;

    memset(tx_page, 0, sizeof(tx_page));
    memset(rx_page, 0, sizeof(rx_page));
    SHARED_RING_INIT(tx);
    SHARED_RING_INIT(rx);
    rx_len = -1;
    if (be_net_dev_init(&dev, DOMID, tx, rx, fz_u8(&f) & 1, &ops, NULL))
        return 0;
    while (f.n && !dev.broken) {
        uint8_t op = fz_u8(&f);

        switch (op % 8) {
        case 0: /* a transmit request, published */
            fz_bytes(&f, &tx->ring[txp % NETIF_TX_RING_SIZE].req,
                     sizeof(tx->ring[0].req));
            txp++;
            tx->req_prod = txp;
            break;
        case 1: /* a receive buffer, published */
            fz_bytes(&f, &rx->ring[rxp % NETIF_RX_RING_SIZE].req,
                     sizeof(rx->ring[0].req));
            rxp++;
            rx->req_prod = rxp;
            break;
        case 2:
            txp = fz_u32(&f);
            tx->req_prod = txp;
            break;
        case 3:
            rxp = fz_u32(&f);
            rx->req_prod = rxp;
            break;
        case 4: /* page contents */
        {
            uint8_t *pg = pages[fz_u8(&f) % NPAGES];
            size_t off = fz_u16(&f) % 4096, len = fz_u8(&f);

            fz_bytes(&f, pg + off, len < 4096 - off ? len : 4096 - off);
            break;
        }
        case 5: /* a frame from the host */
            rx_len = fz_u16(&f) % (int)sizeof(rx_frame);
            fz_bytes(&f, rx_frame, (size_t)rx_len);
            break;
        case 6: /* a slot rewritten after publication */
            fz_bytes(&f, &tx->ring[fz_u8(&f) % NETIF_TX_RING_SIZE].req,
                     sizeof(tx->ring[0].req));
            break;
        default:
            tx->rsp_event = fz_u32(&f);
            rx->rsp_event = fz_u32(&f);
            break;
        }
        be_net_tx_kick(&dev);
        if (!dev.broken)
            be_net_rx_kick(&dev);
    }
    be_net_dev_destroy(&dev);
    return 0;
}
