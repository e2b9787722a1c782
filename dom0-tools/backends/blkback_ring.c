// SPDX-License-Identifier: MIT
/* blkback_ring.c: taking blkif requests off a hostile ring and checking them. */
#include <errno.h>
#include <string.h>

#include "blkback.h"

int be_blk_ring_take(struct blkif_back_ring *r, struct blkif_request *out)
{
    RING_IDX prod = PVABI_RING_LOAD(r->sring->req_prod);

    /* A producer more than a ring ahead of our answers, or behind what we
     * already consumed, is impossible for an honest frontend. */
    if (RING_REQUEST_PROD_OVERFLOW(r, prod) ||
        (RING_IDX)(prod - r->req_cons) > RING_SIZE(r))
        return -EPROTO;
    pvabi_ring_rmb(); /* read the slots after the index */
    if (r->req_cons == prod || RING_REQUEST_CONS_OVERFLOW(r, r->req_cons))
        return 0;
    RING_COPY_REQUEST(r, r->req_cons, out);
    r->req_cons++;
    return 1;
}

static int parse_rw(const struct blkif_request *s, struct be_blk_req *o,
                    unsigned int min_segs)
{
    unsigned int n = s->nr_segments;

    if (n < min_segs || n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return -EINVAL;
    o->nr_segs = (uint16_t)n;
    o->sector = s->sector_number;
    memcpy(o->seg, s->seg, n * sizeof(o->seg[0]));
    return 0;
}

int be_blk_parse(const struct blkif_request *slot,
                 const struct be_blk_limits *lim, struct be_blk_req *out)
{
    out->id = slot->id;
    out->operation = slot->operation;
    out->flush_after = false;
    out->nr_sectors = 0;
    out->nr_segs = 0;
    out->nr_indirect = 0;

    switch (slot->operation) {
    case BLKIF_OP_READ:
        out->kind = BE_BLK_READ;
        return parse_rw(slot, out, 1);
    case BLKIF_OP_WRITE:
        out->kind = BE_BLK_WRITE;
        return lim->readonly ? -EROFS : parse_rw(slot, out, 1);
    case BLKIF_OP_WRITE_BARRIER:
    case BLKIF_OP_FLUSH_DISKCACHE:
        /* With segments: a write that must be durable when answered. */
        if (slot->nr_segments && lim->readonly)
            return -EROFS;
        out->kind = slot->nr_segments ? BE_BLK_WRITE : BE_BLK_FLUSH;
        out->flush_after = slot->nr_segments != 0;
        return parse_rw(slot, out, 0);
    case BLKIF_OP_DISCARD: {
        struct blkif_request_discard dis;

        if (!lim->discard)
            return -EOPNOTSUPP;
        if (lim->readonly)
            return -EROFS;
        memcpy(&dis, slot, sizeof(dis));
        out->kind = BE_BLK_DISCARD;
        out->sector = dis.sector_number;
        out->nr_sectors = dis.nr_sectors;
        if (dis.nr_sectors == 0 || dis.nr_sectors > lim->sectors ||
            dis.sector_number > lim->sectors - dis.nr_sectors)
            return -EINVAL;
        return 0;
    }
    case BLKIF_OP_INDIRECT: {
        struct blkif_request_indirect ind;
        unsigned int pages;

        if (!lim->max_indirect_segs)
            return -EOPNOTSUPP;
        memcpy(&ind, slot, sizeof(ind));
        if (ind.indirect_op == BLKIF_OP_READ)
            out->kind = BE_BLK_READ;
        else if (ind.indirect_op == BLKIF_OP_WRITE)
            out->kind = BE_BLK_WRITE;
        else
            return -EINVAL;
        if (out->kind == BE_BLK_WRITE && lim->readonly)
            return -EROFS;
        if (ind.nr_segments == 0 || ind.nr_segments > lim->max_indirect_segs ||
            ind.nr_segments > BE_BLK_MAX_SEGS)
            return -EINVAL;
        pages = (ind.nr_segments + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) /
                BLKIF_SEGS_PER_INDIRECT_FRAME;
        out->nr_segs = ind.nr_segments;
        out->nr_indirect = (uint8_t)pages;
        out->sector = ind.sector_number;
        memcpy(out->indirect_grefs, ind.indirect_grefs,
               pages * sizeof(ind.indirect_grefs[0]));
        return 0;
    }
    default:
        return -EOPNOTSUPP;
    }
}

void be_blk_copy_indirect(struct be_blk_req *req, void *const *pages)
{
    unsigned int left = req->nr_segs, done = 0;

    for (unsigned int p = 0; p < req->nr_indirect && left; p++) {
        unsigned int n = left < BLKIF_SEGS_PER_INDIRECT_FRAME
                             ? left
                             : BLKIF_SEGS_PER_INDIRECT_FRAME;
        /* The frontend may rewrite the page meanwhile: one copy, and only
         * the copy is checked and used. */
        memcpy(&req->seg[done], pages[p], n * sizeof(req->seg[0]));
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        done += n;
        left -= n;
    }
}

int be_blk_check_segs(struct be_blk_req *req, const struct be_blk_limits *lim)
{
    uint64_t n = 0;

    if (req->kind == BE_BLK_DISCARD)
        return 0; /* checked by be_blk_parse */
    for (unsigned int i = 0; i < req->nr_segs; i++) {
        const struct blkif_request_segment *s = &req->seg[i];
        if (s->last_sect > 7 || s->first_sect > s->last_sect)
            return -EINVAL;
        n += (uint64_t)(s->last_sect - s->first_sect) + 1;
    }
    if (n > lim->sectors || req->sector > lim->sectors - n)
        return -EINVAL;
    req->nr_sectors = n;
    return 0;
}
