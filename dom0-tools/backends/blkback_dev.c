// SPDX-License-Identifier: MIT
/* blkback_dev.c: one connected blkif ring: grants, requests in flight, replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkback.h"

#define PG       4096u
#define PG_SLOTS (2 * BE_BLK_MAX_PGRANTS) /* power of two */

static unsigned int pg_hash(uint32_t ref)
{
    return (unsigned int)((ref * 2654435761u) & (PG_SLOTS - 1));
}

static void *pg_find(const struct be_blk_dev *d, uint32_t ref)
{
    for (unsigned int i = pg_hash(ref);; i = (i + 1) & (PG_SLOTS - 1)) {
        /* An empty slot ends the probe before its ref is looked at: every
         * ref value is a frontend's to choose, so no ref can mark a slot
         * empty (0xFFFFFFFF once matched empty slots, whose addr was
         * never set). */
        if (!d->pg[i].addr)
            return NULL;
        if (d->pg[i].ref == ref)
            return d->pg[i].addr;
    }
}

static void pg_insert(struct be_blk_dev *d, uint32_t ref, void *addr)
{
    unsigned int i = pg_hash(ref);

    while (d->pg[i].addr)
        i = (i + 1) & (PG_SLOTS - 1);
    d->pg[i].ref = ref;
    d->pg[i].addr = addr;
    d->nr_pg++;
}

int be_blk_dev_init(struct be_blk_dev *d, uint32_t domid, void *sring,
                    const struct be_blk_limits *lim, bool persistent,
                    const struct be_blk_ops *ops, void *ctx)
{
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->ops = ops;
    d->ctx = ctx;
    d->lim = *lim;
    d->persistent = persistent;
    BACK_RING_INIT(&d->ring, (struct blkif_sring *)sring, XEN_PAGE_SIZE);
    d->ios = calloc(RING_SIZE(&d->ring), sizeof(*d->ios));
    d->parked = malloc(sizeof(*d->parked));
    d->pg = persistent ? calloc(PG_SLOTS, sizeof(*d->pg)) : NULL;
    if (!d->ios || !d->parked || (persistent && !d->pg)) {
        free(d->ios);
        free(d->parked);
        free(d->pg);
        return -ENOMEM;
    }
    d->parked_valid = false;
    for (unsigned int i = 0; i < RING_SIZE(&d->ring); i++) {
        d->ios[i].dev = d;
        d->ios[i].next_free = d->free_ios;
        d->free_ios = &d->ios[i];
    }
    return 0;
}

static void respond(struct be_blk_dev *d, uint64_t id, uint8_t op,
                    int16_t status)
{
    struct blkif_response *rsp =
        RING_GET_RESPONSE(&d->ring, d->ring.rsp_prod_pvt);

    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    d->ring.rsp_prod_pvt++;
    if (status == BLKIF_RSP_ERROR)
        d->st.errors++;
    else if (status == BLKIF_RSP_EOPNOTSUPP)
        d->st.unsupported++;
}

static void push(struct be_blk_dev *d)
{
    int notify;

    if (d->ring.rsp_prod_pvt == d->pushed)
        return;
    d->pushed = d->ring.rsp_prod_pvt;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&d->ring, notify);
    if (notify) {
        d->st.notifies++;
        d->ops->notify(d->ctx);
    }
}

static int add_region(struct be_blk_dev *d, void *addr, uint32_t count)
{
    if (d->nr_regions == d->cap_regions) {
        unsigned int ncap = d->cap_regions ? d->cap_regions * 2 : 16;
        struct be_blk_region *n = realloc(d->regions, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        d->regions = n;
        d->cap_regions = ncap;
    }
    d->regions[d->nr_regions].addr = addr;
    d->regions[d->nr_regions].count = count;
    d->nr_regions++;
    return 0;
}

/*
 * Persistent mode: every ref not yet known is mapped (read-write, in one
 * batch) and kept. Returns 0 when all of refs are in the cache now.
 */
static int map_persistent(struct be_blk_dev *d, const uint32_t *refs,
                          unsigned int n, void **vas)
{
    uint32_t missing[BE_BLK_MAX_SEGS];
    unsigned int nm = 0;
    uint8_t *addr;

    for (unsigned int i = 0; i < n; i++) {
        bool dup = false;
        if (pg_find(d, refs[i]))
            continue;
        for (unsigned int j = 0; j < nm && !dup; j++)
            dup = missing[j] == refs[i];
        if (!dup)
            missing[nm++] = refs[i];
    }
    if (nm) {
        if (d->nr_pg + nm > BE_BLK_MAX_PGRANTS)
            return -ENOSPC;
        addr = d->ops->map(d->ctx, d->domid, nm, missing, true);
        if (!addr)
            return -errno;
        if (add_region(d, addr, nm)) {
            d->ops->unmap(d->ctx, addr, nm);
            return -ENOMEM;
        }
        for (unsigned int j = 0; j < nm; j++)
            pg_insert(d, missing[j], addr + (size_t)j * PG);
        d->st.pgrant_maps++;
    }
    for (unsigned int i = 0; i < n; i++)
        vas[i] = pg_find(d, refs[i]);
    return 0;
}

/*
 * Page addresses for refs: from the persistent cache, or one temporary
 * mapping (*tmp, unmapped by the caller). 0 or -errno (-EFAULT-like map
 * failure: a bad ref).
 */
static int map_refs(struct be_blk_dev *d, const uint32_t *refs, unsigned int n,
                    bool writable, void **vas, void **tmp, uint32_t *tmp_count)
{
    uint8_t *addr;

    *tmp = NULL;
    *tmp_count = 0;
    if (d->persistent && map_persistent(d, refs, n, vas) == 0)
        return 0;
    addr = d->ops->map(d->ctx, d->domid, n, refs, writable);
    if (!addr)
        return errno ? -errno : -EINVAL;
    for (unsigned int i = 0; i < n; i++)
        vas[i] = addr + (size_t)i * PG;
    *tmp = addr;
    *tmp_count = n;
    d->st.tmp_maps++;
    return 0;
}

static void put_io(struct be_blk_dev *d, struct be_blk_io *io)
{
    if (io->tmp_addr)
        d->ops->unmap(d->ctx, io->tmp_addr, io->tmp_count);
    io->tmp_addr = NULL;
    io->next_free = d->free_ios;
    d->free_ios = io;
}

/* Maps and submits req. Answers it with an error itself on failure. */
static void start(struct be_blk_dev *d, struct be_blk_req *req)
{
    struct be_blk_io *io = d->free_ios;
    void *vas[BE_BLK_MAX_SEGS];
    uint32_t refs[BE_BLK_MAX_SEGS];
    void *tmp;
    uint32_t tmp_count;
    int rc;

    d->free_ios = io->next_free;
    io->kind = req->kind;
    io->flush_after = req->flush_after;
    io->id = req->id;
    io->operation = req->operation;
    io->niov = 0;
    io->offset = req->sector * 512;
    io->len = 0;
    io->tmp_addr = NULL;
    io->pending = 0;
    io->result = 0;

    if (req->nr_indirect) {
        rc = map_refs(d, req->indirect_grefs, req->nr_indirect, false, vas,
                      &tmp, &tmp_count);
        if (rc)
            goto fail;
        be_blk_copy_indirect(req, vas);
        if (tmp)
            d->ops->unmap(d->ctx, tmp, tmp_count);
    }
    rc = be_blk_check_segs(req, &d->lim);
    if (rc)
        goto fail;
    if (req->kind == BE_BLK_DISCARD)
        io->len = req->nr_sectors * 512;
    if (req->nr_segs) {
        for (unsigned int i = 0; i < req->nr_segs; i++)
            refs[i] = req->seg[i].gref;
        rc = map_refs(d, refs, req->nr_segs, req->kind == BE_BLK_READ, vas,
                      &io->tmp_addr, &io->tmp_count);
        if (rc)
            goto fail;
        for (unsigned int i = 0; i < req->nr_segs; i++) {
            const struct blkif_request_segment *s = &req->seg[i];
            uint8_t *base = (uint8_t *)vas[i] + s->first_sect * 512u;
            size_t len = (size_t)(s->last_sect - s->first_sect + 1) * 512u;
            struct iovec *prev = io->niov ? &io->iov[io->niov - 1] : NULL;

            if (prev && (uint8_t *)prev->iov_base + prev->iov_len == base)
                prev->iov_len += len;
            else
                io->iov[io->niov++] = (struct iovec){ base, len };
            io->len += len;
        }
        d->st.segs += req->nr_segs;
        d->st.iovs += io->niov;
    }
    rc = d->ops->submit(d->ctx, io);
    if (rc)
        goto fail;
    d->inflight++;
    if (req->kind == BE_BLK_FLUSH || req->flush_after)
        d->ordered_inflight = true;
    return;
fail:
    put_io(d, io);
    respond(d, req->id, req->operation, BLKIF_RSP_ERROR);
}

/* Detach: answers every request not started yet (the parked one, those
 * on the ring) with an error instead of leaving the frontend waiting. */
static void refuse_queued(struct be_blk_dev *d)
{
    struct blkif_request slot;
    int rc;

    if (d->parked_valid) {
        d->parked_valid = false;
        respond(d, d->parked->id, d->parked->operation, BLKIF_RSP_ERROR);
    }
    /* id sits at the same offset in every request layout */
    while ((rc = be_blk_ring_take(&d->ring, &slot)) == 1) {
        d->st.reqs++;
        respond(d, slot.id, slot.operation, BLKIF_RSP_ERROR);
    }
    if (rc < 0)
        d->broken = true;
}

int be_blk_dev_kick(struct be_blk_dev *d)
{
    struct blkif_request slot;
    int more, rc;

    for (;;) {
        if (d->stopping && d->refuse && !d->broken)
            refuse_queued(d);
        while (!d->broken && !d->stopping && d->free_ios &&
               !d->ordered_inflight) {
            struct be_blk_req *req = &d->scratch;

            if (d->parked_valid) {
                if (d->inflight)
                    break;
                d->parked_valid = false;
                start(d, d->parked);
                continue;
            }
            rc = be_blk_ring_take(&d->ring, &slot);
            if (rc < 0) {
                d->broken = true;
                break;
            }
            if (rc == 0)
                break;
            d->st.reqs++;
            rc = be_blk_parse(&slot, &d->lim, req);
            if (rc) {
                respond(d, req->id, req->operation,
                        rc == -EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP
                                          : BLKIF_RSP_ERROR);
                continue;
            }
            if ((req->kind == BE_BLK_FLUSH || req->flush_after) &&
                d->inflight) {
                /* ordered: after everything taken before it */
                memcpy(d->parked, req, sizeof(*req));
                d->parked_valid = true;
                break;
            }
            start(d, req);
        }
        push(d);
        if (d->broken)
            return -EPROTO;
        if ((d->stopping && !d->refuse) || !d->free_ios ||
            d->ordered_inflight || d->parked_valid)
            return 0;
        RING_FINAL_CHECK_FOR_REQUESTS(&d->ring, more);
        if (!more)
            return 0;
    }
}

void be_blk_io_done(struct be_blk_io *io, int result)
{
    struct be_blk_dev *d = io->dev;

    if (io->kind == BE_BLK_FLUSH || io->flush_after) {
        d->ordered_inflight = false;
        d->st.flushes++;
    }
    if (!result && io->kind == BE_BLK_READ)
        d->st.bytes_read += io->len;
    else if (!result && io->kind == BE_BLK_WRITE)
        d->st.bytes_written += io->len;
    uint64_t id = io->id;
    uint8_t op = io->operation;

    /* unmap first: the frontend may end its grants once answered */
    put_io(d, io);
    respond(d, id, op, result ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
    d->inflight--;
}

bool be_blk_dev_idle(const struct be_blk_dev *d)
{
    return d->inflight == 0;
}

void be_blk_dev_destroy(struct be_blk_dev *d)
{
    push(d);
    for (unsigned int i = 0; i < d->nr_regions; i++)
        d->ops->unmap(d->ctx, d->regions[i].addr, d->regions[i].count);
    free(d->regions);
    free(d->pg);
    free(d->ios);
    free(d->parked);
    d->regions = NULL;
    d->pg = NULL;
    d->ios = NULL;
    d->parked = NULL;
    d->nr_regions = d->nr_pg = 0;
}
