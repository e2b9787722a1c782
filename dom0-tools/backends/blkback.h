/* SPDX-License-Identifier: MIT */
/* blkback.h: pv-blkback's ring engine: copy, validate, map, answer. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <pvabi/io/blkif.h>

/*
 * This layer knows the blkif ring and nothing of pvisor, xenstore or
 * io_uring: grant mapping, I/O and notification are reached through
 * struct be_blk_ops, so tests can drive it with a fake guest.
 *
 * The ring page belongs to a possibly hostile frontend. Every slot is
 * copied once (RING_COPY_REQUEST) and only the copy is looked at; the
 * frontend's req_prod is checked against what it may legally be; each
 * request is checked before any grant is mapped. A bad request is answered
 * BLKIF_RSP_ERROR (BLKIF_RSP_EOPNOTSUPP for an unknown operation); an
 * impossible ring index marks the device broken (the caller disconnects
 * that frontend; nothing else is affected).
 */

/* Segments of one indirect request we accept and advertise. */
#define BE_BLK_MAX_INDIRECT_SEGS 256
/* The most segments any request has (direct ones have up to 11). */
#define BE_BLK_MAX_SEGS BE_BLK_MAX_INDIRECT_SEGS
/* Indirect pages for BE_BLK_MAX_INDIRECT_SEGS segments. */
#define BE_BLK_MAX_INDIRECT_PAGES                                     \
    ((BE_BLK_MAX_INDIRECT_SEGS + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / \
     BLKIF_SEGS_PER_INDIRECT_FRAME)
/* Persistently mapped grants kept per device; beyond, map per request.
 * 16 MiB: a blkfront's pool and indirect pages (4 MiB) and its in-place
 * buffers (4 MiB), with room for a frontend that reconnects with new
 * grants. Only address space: the pages are the guest's. */
#define BE_BLK_MAX_PGRANTS 4096

/* What a device is: size and what the backend accepts. */
struct be_blk_limits {
    uint64_t sectors; /* 512-byte sectors */
    bool readonly;
    bool discard;               /* BLKIF_OP_DISCARD accepted */
    uint16_t max_indirect_segs; /* 0: BLKIF_OP_INDIRECT refused */
};

/* The I/O a request turns into. */
enum be_blk_kind { BE_BLK_READ, BE_BLK_WRITE, BE_BLK_FLUSH, BE_BLK_DISCARD };

/* A request as the copied slot says, after be_blk_parse(). */
struct be_blk_req {
    uint64_t id;
    uint8_t operation; /* the slot's BLKIF_OP_* (echoed back) */
    enum be_blk_kind kind;
    bool flush_after; /* FLUSH/BARRIER carrying data */
    uint64_t sector;
    uint64_t nr_sectors; /* after be_blk_check_segs() / discard */
    uint16_t nr_segs;
    uint8_t nr_indirect; /* indirect pages to map (0: direct) */
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    struct blkif_request_segment seg[BE_BLK_MAX_SEGS];
};

/*
 * Takes the next request from the ring into *out (one copy of the slot)
 * and advances req_cons. Returns 1 (copied), 0 (nothing to take, or no
 * slot free for its response yet) or -EPROTO when the frontend's req_prod
 * is more than a ring ahead of our responses (the caller disconnects).
 */
int be_blk_ring_take(struct blkif_back_ring *r, struct blkif_request *out);

/*
 * Checks a copied slot: operation, segment count (1..11 direct, 1..max
 * indirect, 0..11 for flush/barrier), discard range, read-only device,
 * and fills *out (segments of indirect requests come later, see below).
 * Returns 0, -EOPNOTSUPP (unknown or unsupported operation), -EROFS
 * (write to a read-only device) or -EINVAL (anything else malformed).
 * out->id and out->operation are set even on failure, for the response.
 */
int be_blk_parse(const struct blkif_request *slot,
                 const struct be_blk_limits *lim, struct be_blk_req *out);

/*
 * Copies an indirect request's segments out of its mapped indirect pages
 * (pages[i] for indirect_grefs[i]), once.
 */
void be_blk_copy_indirect(struct be_blk_req *req, void *const *pages);

/*
 * Checks every segment (first_sect <= last_sect <= 7), computes
 * nr_sectors and checks sector + nr_sectors against the device (no
 * overflow). Returns 0 or -EINVAL.
 */
int be_blk_check_segs(struct be_blk_req *req, const struct be_blk_limits *lim);

struct be_blk_dev;

/* One request in flight. The engine owns it from submit to done. */
struct be_blk_io {
    struct be_blk_dev *dev;
    enum be_blk_kind kind;
    bool flush_after;     /* fdatasync after the write succeeded */
    uint64_t offset, len; /* bytes on the device */
    unsigned int niov;
    struct iovec iov[BE_BLK_MAX_SEGS];
    /* private to the engine */
    int pending; /* completions still expected */
    int result;  /* first error, or 0 */
    /* private to this layer */
    uint64_t id;
    uint8_t operation;
    void *tmp_addr; /* per-request mapping of data pages */
    uint32_t tmp_count;
    struct be_blk_io *next_free;
};

/* What the device layer needs from its owner. ctx is be_blk_dev_init's. */
struct be_blk_ops {
    /* Maps count grants of domid contiguously (writable or read-only).
     * NULL with errno on failure. */
    void *(*map)(void *ctx, uint32_t domid, uint32_t count,
                 const uint32_t *refs, bool writable);
    /* Unmaps a region from map(). 0 or -errno. */
    int (*unmap)(void *ctx, void *addr, uint32_t count);
    /* Starts io; its completion is reported with be_blk_io_done() later
     * (never from inside submit). 0, or -errno: the request fails. */
    int (*submit)(void *ctx, struct be_blk_io *io);
    /* Notifies the frontend's event channel. */
    void (*notify)(void *ctx);
};

struct be_blk_pgrant {
    uint32_t ref;
    void *addr; /* NULL: an empty slot (a mapping is never at 0) */
};

struct be_blk_region {
    void *addr;
    uint32_t count;
};

/* Counters, for logs and tests. */
struct be_blk_stats {
    uint64_t reqs, errors, unsupported, bytes_read, bytes_written, flushes;
    uint64_t notifies, pgrant_maps, tmp_maps;
    /* data segments, and the iovecs they became (adjacent ones merge) */
    uint64_t segs, iovs;
};

/* One connected ring. */
struct be_blk_dev {
    uint32_t domid;
    const struct be_blk_ops *ops;
    void *ctx;
    struct be_blk_limits lim;
    bool persistent; /* both ends advertised feature-persistent */
    struct blkif_back_ring ring;
    bool broken;   /* hostile indices: stop, disconnect */
    bool stopping; /* take nothing new (detach, close) */
    bool refuse;   /* with stopping: fail what is queued */
    unsigned int inflight;
    struct be_blk_io *ios; /* RING slots' worth */
    struct be_blk_io *free_ios;
    /* a FLUSH/BARRIER waits for everything before it, and everything after
     * it waits for it */
    struct be_blk_req *parked; /* taken, waiting for inflight == 0 */
    bool parked_valid;
    bool ordered_inflight;
    RING_IDX pushed;           /* rsp_prod we last published */
    struct be_blk_req scratch; /* the request being parsed */
    struct be_blk_pgrant *pg;  /* open addressing, 2 * BE_BLK_MAX_PGRANTS */
    unsigned int nr_pg;
    struct be_blk_region *regions; /* persistent mappings, for teardown */
    unsigned int nr_regions, cap_regions;
    struct be_blk_stats st;
};

/*
 * Attaches to a mapped ring page (sring) of domid. persistent: keep grant
 * mappings across requests. Returns 0 or -ENOMEM. The ring page stays the
 * caller's.
 */
int be_blk_dev_init(struct be_blk_dev *d, uint32_t domid, void *sring,
                    const struct be_blk_limits *lim, bool persistent,
                    const struct be_blk_ops *ops, void *ctx);

/*
 * Takes and starts requests until the ring is empty or every slot is in
 * flight, answers the bad ones, publishes responses and notifies when the
 * frontend asked to be. Call on every event and after completions. Once
 * stopping, it starts nothing more; with refuse as well (detach), every
 * request not started yet is answered BLKIF_RSP_ERROR at once.
 * Returns 0, or -EPROTO once the device is broken (hostile indices).
 */
int be_blk_dev_kick(struct be_blk_dev *d);

/* The engine reports io's result (0 or -errno). Queues the response;
 * the next be_blk_dev_kick() publishes it. */
void be_blk_io_done(struct be_blk_io *io, int result);

/* True when nothing is in flight (detach may finish). */
bool be_blk_dev_idle(const struct be_blk_dev *d);

/* Unmaps every persistent grant and frees d's memory. Only when idle. */
void be_blk_dev_destroy(struct be_blk_dev *d);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_H */
