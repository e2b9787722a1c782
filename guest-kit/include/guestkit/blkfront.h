/* SPDX-License-Identifier: MIT */
/* blkfront.h: the PV block frontend: open a vbd, read, write, flush. */
#ifndef PVISOR_GUEST_KIT_BLKFRONT_H
#define PVISOR_GUEST_KIT_BLKFRONT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A virtual block device served by a backend over Xen's blkif ring.
 * Sectors are always 512 bytes. All calls but gk_blk_submit_nowait may
 * block the calling thread (never from event handlers). Errors are
 * negative Xen errnos: -XEN_ENODEV (no such device / backend gone),
 * -XEN_EINVAL (range), -XEN_EROFS (read-only device), -XEN_EIO (the
 * backend answered BLKIF_RSP_ERROR), -XEN_EOPNOTSUPP (operation not
 * offered), -XEN_ETIMEDOUT (backend never connected).
 *
 * When the backend restarts, the driver reconnects on its own and issues
 * again every request that was not answered; callers see only a delay.
 */
struct gk_blk;

struct gk_blk_info {
    uint32_t devid; /* 51712 for xvda */
    uint64_t sectors;
    uint32_t sector_size; /* 512 */
    uint32_t info;        /* VDISK_* bits */
    int readonly;
    int flush; /* 1: flush-cache or barrier offered */
    int discard;
    int persistent;    /* persistent grants in use */
    uint32_t max_segs; /* pages per ring request (11 or indirect) */
};

/*
 * Opens "xvda".."xvdz", a devid ("51712") or "device/vbd/51712": the
 * xenbus handshake with its backend (grant the ring, allocate the event
 * channel, one transaction for ring-ref/event-channel/protocol/state),
 * then waits up to 10 s for the backend to connect. *out receives the
 * handle. Returns 0 or a negative Xen errno.
 */
int gk_blk_open(const char *name, struct gk_blk **out);

/* Closes the device (waits for requests in flight, then the xenbus
 * Closing/Closed handshake) and frees it. NULL is ignored. */
void gk_blk_close(struct gk_blk *b);

/* Size and features, valid after gk_blk_open. */
const struct gk_blk_info *gk_blk_info(const struct gk_blk *b);

enum gk_blk_op { GK_BLK_READ, GK_BLK_WRITE, GK_BLK_FLUSH, GK_BLK_DISCARD };

/*
 * An asynchronous request, owned by the caller until `done` runs. done
 * runs in event-handler context (it may wake threads, must not block or
 * call gk_blk_submit; gk_blk_submit_nowait is fine) with io->status set
 * to 0 or a negative Xen errno. A request of any length is split into
 * ring requests as needed.
 */
struct gk_blk_io {
    enum gk_blk_op op;
    uint64_t sector;
    uint64_t nr_sectors; /* READ/WRITE/DISCARD */
    void *buf;           /* nr_sectors * 512 bytes, any alignment */
    void (*done)(struct gk_blk_io *io);
    void *arg;  /* for the caller */
    int status; /* OUT */
    /* private */
    unsigned int pending;
    struct gk_blk_io *next_done;
};

/* Queues io (blocking while the ring or the page pool is full).
 * Returns 0 (done will run) or a negative Xen errno (it will not). */
int gk_blk_submit(struct gk_blk *b, struct gk_blk_io *io);

/* As gk_blk_submit but -XEN_EAGAIN instead of blocking (nothing queued). */
int gk_blk_submit_nowait(struct gk_blk *b, struct gk_blk_io *io);

/* Synchronous forms: 0 or a negative Xen errno. */
int gk_blk_read(struct gk_blk *b, uint64_t sector, uint64_t nr_sectors,
                void *buf);
int gk_blk_write(struct gk_blk *b, uint64_t sector, uint64_t nr_sectors,
                 const void *buf);
/* Makes every completed write durable (BLKIF_OP_FLUSH_DISKCACHE, else
 * WRITE_BARRIER; 0 at once if the backend offers neither). */
int gk_blk_flush(struct gk_blk *b);
int gk_blk_discard(struct gk_blk *b, uint64_t sector, uint64_t nr_sectors);

/*
 * Plugging: between gk_blk_plug and gk_blk_unplug, submissions are put on
 * the ring but not published, so a burst of requests costs the backend
 * one wake-up (and the guest at most one notification) instead of one
 * each. Data copied through the pool is held back only up to 128 KiB:
 * beyond, it is published at once, so the backend works while the next
 * request is copied. Plugs nest; hold one only around a burst of
 * submissions (other threads' requests wait for the unplug too). Not
 * from event handlers.
 */
void gk_blk_plug(struct gk_blk *b);
void gk_blk_unplug(struct gk_blk *b);

/*
 * In-place buffers (like io_uring's registered buffers): returns `bytes`
 * (rounded up to a power-of-two number of pages) of zeroed, page-aligned
 * memory granted to the backend for the device's life. A read or write
 * whose buf is page aligned and lies wholly in one such buffer skips the
 * copy through the driver's page pool: the backend reads and writes the
 * buffer itself, as the host kernel does with O_DIRECT. So, as with
 * O_DIRECT, do not change a buffer under a write in flight nor use it
 * under a read in flight. Up to 8 buffers and 4 MiB per device; they are
 * freed by gk_blk_close. Needs persistent grants (gk_blk_info()->persistent):
 * without them the memory works but is copied like any other. NULL: no
 * memory, or the limits reached. Not from event handlers.
 */
void *gk_blk_buffer_alloc(struct gk_blk *b, size_t bytes);

/* Processes answers already on the ring now, as the event handler does
 * (for callers that poll; never needed for correctness). */
void gk_blk_poll(struct gk_blk *b);

/* Counters. */
struct gk_blk_stats {
    uint64_t requests, responses, notifies, reconnects, errors;
    uint64_t in_place; /* ring requests on in-place buffers (no copy) */
};
void gk_blk_stats(const struct gk_blk *b, struct gk_blk_stats *st);

#endif /* PVISOR_GUEST_KIT_BLKFRONT_H */
