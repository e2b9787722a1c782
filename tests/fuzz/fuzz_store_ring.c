// SPDX-License-Identifier: MIT
/* fuzz_store_ring.c: pvstored serving a hostile guest's xenstore ring. */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "store.h"

/*
 * dom0 introduces domain 3 (a ring in plain memory); the input then plays
 * the guest, which owns the whole page: it writes request bytes, sets any
 * index to any value, reads replies, zeroes the page (a restart) and lets
 * pvstored run, in any order. A fresh store per input.
 */

static struct xenstore_domain_interface *page;

static void no_notify(struct store_ring *r)
{
    (void)r;
}

static int fake_introduce(struct store *s, uint32_t domid, uint64_t mfn,
                          uint32_t port, struct store_conn **out)
{
    struct store_ring r = { 0 };

    (void)mfn;
    (void)domid;
    memset(page, 0, 4096);
    r.intf = page;
    r.port = port;
    r.notify = no_notify;
    *out = store_ring_conn_new(s, domid, &r);
    return *out ? 0 : -ENOMEM;
}

static const struct store_host_ops fake_host = { fake_introduce };

/* Guest side: writes len request bytes at req_prod and publishes. */
static void g_put(struct fz *f, size_t len)
{
    uint32_t prod = page->req_prod;

    for (size_t i = 0; i < len; i++)
        page->req[MASK_XENSTORE_IDX(prod + i)] = (char)fz_u8(f);
    page->req_prod = prod + (uint32_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    struct store_domain *d;
    struct store *st;

    if (!page && !(page = aligned_alloc(4096, 4096)))
        return 0;
    store_log_set_fd(-1);
    st = store_new();
    if (!st)
        return 0;
    st->host = &fake_host;
    if (store_domain_introduce(st, 3, 17, 9) || !(d = store_domain_find(st, 3)))
        abort();
    /* The keys a toolstack writes, so that requests find something. */
    while (f.n && d->conn && !d->conn->dead) {
        uint8_t op = fz_u8(&f);

        switch (op % 8) {
        case 0: /* a well-formed header and its payload */
        {
            struct xsd_sockmsg h;
            size_t plen = fz_u16(&f) % (XENSTORE_PAYLOAD_MAX + 64);

            h.type = fz_u8(&f) % (XS_TYPE_COUNT + 2);
            h.req_id = fz_u8(&f);
            h.tx_id = fz_u8(&f) % 4;
            h.len = (uint32_t)plen;
            if (plen + sizeof(h) >
                XENSTORE_RING_SIZE - (page->req_prod - page->req_cons))
                break;
            for (size_t i = 0; i < sizeof(h); i++)
                page->req[MASK_XENSTORE_IDX(page->req_prod + i)] =
                    ((char *)&h)[i];
            page->req_prod += sizeof(h);
            g_put(&f, plen);
            break;
        }
        case 1: /* raw bytes */
            g_put(&f, fz_u16(&f) % XENSTORE_RING_SIZE);
            break;
        case 2:
            page->req_prod = fz_u32(&f);
            break;
        case 3:
            page->rsp_cons = fz_u32(&f);
            break;
        case 4: /* the guest reads its replies */
            page->rsp_cons = page->rsp_prod;
            break;
        case 5:
            page->req_cons = fz_u32(&f);
            page->rsp_prod = fz_u32(&f);
            break;
        case 6: /* restarted in place */
            if (fz_u8(&f) == 0x5a)
                memset(page, 0, 4096);
            else
                page->connection = fz_u32(&f);
            break;
        default:
            break;
        }
        store_conn_process(d->conn, STORE_BATCH);
        store_conn_flush(d->conn);
    }
    store_domain_release(st, 3);
    store_free(st);
    return 0;
}
