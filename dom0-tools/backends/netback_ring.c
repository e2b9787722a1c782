// SPDX-License-Identifier: MIT
/* netback_ring.c: netif tx/rx rings: hostile-proof take, copy, answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netback.h"

#define PAGE 4096u

/* Checks req_prod of either ring: at most a ring ahead of our answers and
 * never behind what we consumed. */
#define PROD_BAD(r, prod)                   \
    (RING_REQUEST_PROD_OVERFLOW(r, prod) || \
     (RING_IDX)((prod) - (r)->req_cons) > RING_SIZE(r))

int be_net_tx_take(struct netif_tx_back_ring *r, struct be_net_txpkt *pk)
{
    RING_IDX prod = PVABI_RING_LOAD(r->sring->req_prod);
    RING_IDX i = r->req_cons, avail;
    struct netif_tx_request slot;
    uint32_t rest = 0;
    bool more, extra;

    if (PROD_BAD(r, prod))
        return -EPROTO;
    pvabi_ring_rmb(); /* the slots after the index */
    avail = prod - r->req_cons;
    if (!avail)
        return 0;
    memset(pk, 0, offsetof(struct be_net_txpkt, data));
    pk->first = i;

    /* the first slot: the whole packet's size */
    RING_COPY_REQUEST(r, i, &slot);
    i++;
    pk->nslots = 1;
    pk->ndata = 1;
    pk->data[0] = slot;
    pk->size = slot.size;
    more = slot.flags & NETTXF_more_data;
    extra = slot.flags & NETTXF_extra_info;
    if (slot.size < 14)
        pk->status = -EINVAL; /* shorter than an Ethernet header */

    /* extra-info slots follow the first one */
    while (extra) {
        struct netif_extra_info x;
        struct netif_tx_request raw;

        if ((RING_IDX)(i - r->req_cons) >= avail)
            goto incomplete;
        /* an extra-info slot is the same 12 bytes read another way */
        RING_COPY_REQUEST(r, i, &raw);
        _Static_assert(sizeof(x) <= sizeof(raw), "extra fits a slot");
        memcpy(&x, &raw, sizeof(x));
        i++;
        pk->nslots++;
        pk->nextra++;
        /* we offer no GSO: a frontend must not send it */
        if (x.type == XEN_NETIF_EXTRA_TYPE_NONE ||
            x.type == XEN_NETIF_EXTRA_TYPE_GSO ||
            x.type >= XEN_NETIF_EXTRA_TYPE_MAX)
            pk->status = -EINVAL;
        extra = x.flags & XEN_NETIF_EXTRA_FLAG_MORE;
        if (pk->nslots > BE_NET_MAX_TX_SLOTS)
            pk->status = -EINVAL;
    }
    /* then the data slots of a scattered packet */
    while (more) {
        if ((RING_IDX)(i - r->req_cons) >= avail)
            goto incomplete;
        RING_COPY_REQUEST(r, i, &slot);
        i++;
        pk->nslots++;
        more = slot.flags & NETTXF_more_data;
        if (pk->ndata >= BE_NET_MAX_TX_SLOTS) {
            pk->status = -E2BIG;
            continue; /* consume the rest, answer errors */
        }
        pk->data[pk->ndata++] = slot;
        rest += slot.size;
    }
    /* the first slot carries what the others do not */
    if (rest > pk->size)
        pk->status = -EINVAL;
    else
        pk->data[0].size = (uint16_t)(pk->size - rest);
    for (unsigned int k = 0; k < pk->ndata && !pk->status; k++)
        if ((uint32_t)pk->data[k].offset + pk->data[k].size > PAGE ||
            (k && !pk->data[k].size))
            pk->status = -EINVAL;
    r->req_cons = i;
    return 1;
incomplete:
    /* the frontend has not published the whole packet yet; one that can
     * never be finished is a protocol error */
    if (avail >= RING_SIZE(r))
        return -EPROTO;
    return 0;
}

int be_net_dev_init(struct be_net_dev *d, uint32_t domid, void *tx_sring,
                    void *rx_sring, bool rx_notify,
                    const struct be_net_ops *ops, void *ctx)
{
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->ops = ops;
    d->ctx = ctx;
    d->rx_notify = rx_notify;
    BACK_RING_INIT(&d->tx, (struct netif_tx_sring *)tx_sring, XEN_PAGE_SIZE);
    BACK_RING_INIT(&d->rx, (struct netif_rx_sring *)rx_sring, XEN_PAGE_SIZE);
    d->txbuf = malloc(BE_NET_TX_BUF);
    d->rxbuf = malloc((size_t)BE_NET_BATCH * BE_NET_RX_FRAME_MAX);
    d->pk = calloc(BE_NET_BATCH, sizeof(*d->pk));
    d->segs =
        calloc((size_t)BE_NET_BATCH * BE_NET_MAX_TX_SLOTS, sizeof(*d->segs));
    if (!d->txbuf || !d->rxbuf || !d->pk || !d->segs) {
        be_net_dev_destroy(d);
        return -ENOMEM;
    }
    return 0;
}

void be_net_dev_destroy(struct be_net_dev *d)
{
    free(d->txbuf);
    free(d->rxbuf);
    free(d->pk);
    free(d->segs);
    d->txbuf = d->rxbuf = NULL;
    d->pk = NULL;
    d->segs = NULL;
}

static void tx_respond(struct be_net_dev *d, RING_IDX idx, uint16_t id,
                       int16_t status)
{
    struct netif_tx_response *rsp =
        RING_GET_RESPONSE(&d->tx, d->tx.rsp_prod_pvt);

    (void)idx;
    rsp->id = id;
    rsp->status = status;
    d->tx.rsp_prod_pvt++;
}

/* Answers every slot of pk: data slots with status, extras NULL. */
static void tx_answer(struct be_net_dev *d, const struct be_net_txpkt *pk,
                      int16_t status)
{
    unsigned int nextra = pk->nextra;

    /* slot order on the ring: first, extras, then the other data slots */
    tx_respond(d, pk->first, pk->data[0].id, status);
    for (unsigned int k = 0; k < nextra; k++)
        tx_respond(d, pk->first + 1 + k, 0, NETIF_RSP_NULL);
    for (unsigned int k = 1; k < pk->ndata; k++)
        tx_respond(d, pk->first + nextra + k, pk->data[k].id, status);
    /* slots beyond BE_NET_MAX_TX_SLOTS (an erroneous packet): their ids
     * are lost with the copies we did not keep; answer them as errors */
    for (unsigned int k = pk->ndata + nextra; k < pk->nslots; k++)
        tx_respond(d, pk->first + k, 0, NETIF_RSP_ERROR);
}

static void push_tx(struct be_net_dev *d)
{
    int notify;

    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&d->tx, notify);
    if (notify) {
        d->st.notifies++;
        d->ops->notify(d->ctx);
    }
}

/* One batch: take, copy, write, answer. Returns packets taken or -EPROTO. */
static int tx_batch(struct be_net_dev *d)
{
    unsigned int npk = 0, nseg = 0;
    size_t off = 0;
    int rc = 0;

    while (npk < BE_NET_BATCH && off <= BE_NET_TX_BUF - 65536) {
        struct be_net_txpkt *pk = &d->pk[npk];

        rc = be_net_tx_take(&d->tx, pk);
        if (rc <= 0)
            break;
        npk++;
        if (pk->status)
            continue;
        for (unsigned int k = 0; k < pk->ndata; k++) {
            struct pvgnttab_copy_seg *s = &d->segs[nseg++];
            memset(s, 0, sizeof(*s));
            s->source.is_ref = 1;
            s->source.domid = d->domid;
            s->source.ref = pk->data[k].gref;
            s->source.offset = pk->data[k].offset;
            s->dest.virt = d->txbuf + off;
            s->len = pk->data[k].size;
            off += pk->data[k].size;
        }
    }
    if (rc < 0)
        d->broken = true;
    if (nseg) {
        d->st.copy_calls++;
        if (d->ops->copy(d->ctx, d->segs, nseg) < 0)
            for (unsigned int k = 0; k < nseg; k++)
                d->segs[k].status = GNTST_general_error;
    }
    nseg = 0;
    off = 0;
    for (unsigned int p = 0; p < npk; p++) {
        struct be_net_txpkt *pk = &d->pk[p];
        int16_t status = NETIF_RSP_OKAY;

        if (!pk->status) {
            for (unsigned int k = 0; k < pk->ndata; k++)
                if (d->segs[nseg + k].status != GNTST_okay)
                    pk->status = -EFAULT;
            nseg += pk->ndata;
        }
        if (pk->status) {
            status = NETIF_RSP_ERROR;
            d->st.tx_errors++;
        } else if (d->ops->tap_write(d->ctx, d->txbuf + off, pk->size)) {
            d->st.tx_dropped++; /* as a full wire would: still OKAY */
        } else {
            d->st.tx_packets++;
            d->st.tx_bytes += pk->size;
        }
        if (!pk->status)
            off += pk->size;
        tx_answer(d, pk, status);
    }
    if (npk)
        push_tx(d);
    return d->broken ? -EPROTO : (int)npk;
}

int be_net_tx_kick(struct be_net_dev *d)
{
    int more;

    if (d->broken)
        return -EPROTO;
    for (unsigned int budget = BE_NET_BUDGET;;) {
        RING_IDX prod;
        int n;

        while ((n = tx_batch(d)) > 0) {
            /* a busy frontend must not starve the other devices */
            if ((unsigned int)n >= budget)
                return 1;
            budget -= (unsigned int)n;
        }
        if (n < 0)
            return n;
        prod = PVABI_RING_LOAD(d->tx.sring->req_prod);
        if (prod != d->tx.req_cons) {
            /* a packet whose last slots are not published yet: wake us
             * when the frontend publishes more */
            PVABI_RING_STORE(d->tx.sring->req_event, prod + 1);
            pvabi_ring_mb();
            if (PVABI_RING_LOAD(d->tx.sring->req_prod) == prod)
                return 0;
            continue;
        }
        RING_FINAL_CHECK_FOR_REQUESTS(&d->tx, more);
        if (!more)
            return 0;
    }
}

bool be_net_rx_has_buffers(struct be_net_dev *d)
{
    RING_IDX prod = PVABI_RING_LOAD(d->rx.sring->req_prod);

    return !PROD_BAD(&d->rx, prod) && prod != d->rx.req_cons;
}

static void push_rx(struct be_net_dev *d)
{
    int notify;

    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&d->rx, notify);
    if (notify) {
        d->st.notifies++;
        d->ops->notify(d->ctx);
    }
}

int be_net_rx_kick(struct be_net_dev *d)
{
    struct netif_rx_request reqs[BE_NET_BATCH];
    int lens[BE_NET_BATCH];

    unsigned int budget = BE_NET_BUDGET;

    if (d->broken)
        return -EPROTO;
    for (;;) {
        RING_IDX prod = PVABI_RING_LOAD(d->rx.sring->req_prod), avail;
        unsigned int n = 0, want;
        bool drained = false;

        if (PROD_BAD(&d->rx, prod)) {
            d->broken = true;
            return -EPROTO;
        }
        pvabi_ring_rmb();
        avail = prod - d->rx.req_cons;
        if (!avail) {
            int more;
            /* ask for a notification when buffers are posted */
            RING_FINAL_CHECK_FOR_REQUESTS(&d->rx, more);
            if (!more)
                return 0;
            continue;
        }
        want = avail < BE_NET_BATCH ? avail : BE_NET_BATCH;
        /* frames first: a buffer is only taken for a frame */
        while (n < want) {
            uint8_t *buf = d->rxbuf + (size_t)n * BE_NET_RX_FRAME_MAX;
            int len = d->ops->tap_read(d->ctx, buf, BE_NET_RX_FRAME_MAX);

            if (len < 0) {
                drained = true; /* -EAGAIN, or a broken TAP */
                break;
            }
            if (len < 14 || len >= BE_NET_RX_FRAME_MAX) {
                d->st.rx_dropped++;
                continue;
            }
            lens[n++] = len;
        }
        for (unsigned int k = 0; k < n; k++) {
            struct pvgnttab_copy_seg *s = &d->segs[k];

            RING_COPY_REQUEST(&d->rx, d->rx.req_cons, &reqs[k]);
            d->rx.req_cons++;
            memset(s, 0, sizeof(*s));
            s->source.virt = d->rxbuf + (size_t)k * BE_NET_RX_FRAME_MAX;
            s->dest.is_ref = 1;
            s->dest.domid = d->domid;
            s->dest.ref = reqs[k].gref;
            s->len = (uint16_t)lens[k];
        }
        if (n) {
            d->st.copy_calls++;
            if (d->ops->copy(d->ctx, d->segs, n) < 0)
                for (unsigned int k = 0; k < n; k++)
                    d->segs[k].status = GNTST_general_error;
        }
        for (unsigned int k = 0; k < n; k++) {
            struct netif_rx_response *rsp =
                RING_GET_RESPONSE(&d->rx, d->rx.rsp_prod_pvt);

            rsp->id = reqs[k].id;
            rsp->offset = 0;
            rsp->flags = 0;
            if (d->segs[k].status == GNTST_okay) {
                rsp->status = (int16_t)lens[k];
                d->st.rx_packets++;
                d->st.rx_bytes += (uint64_t)lens[k];
            } else {
                rsp->status = NETIF_RSP_ERROR;
                d->st.rx_errors++;
            }
            d->rx.rsp_prod_pvt++;
        }
        if (n)
            push_rx(d);
        if (drained)
            return 1;
        if (n >= budget)
            return 2;
        budget -= n;
    }
}
