// SPDX-License-Identifier: MIT
/* fuzz_blkback.c: pv-blkback's ring engine against a hostile frontend. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "blkback.h"
#include "fuzz.h"

/*
 * The frontend owns the shared ring page and its granted pages: the
 * input writes request slots (any bytes), any req_prod and rsp_event,
 * indirect pages and data, kicks the engine, and completes or fails the
 * I/O in flight, in any order; persistent grants on or off. Grant ref r
 * is page r of a 64-page fake guest (others fail to map). At the end,
 * everything mapped must have been unmapped.
 */
#define NPAGES 64

struct fake {
    uint8_t ring[4096] __attribute__((aligned(4096)));
    int memfd;
    uint8_t (*mem)[4096];
    uint8_t disk[64 * 512];
    struct be_blk_io *pending[64];
    int npending;
    long maps, unmaps;
};

static void *f_map(void *ctx, uint32_t domid, uint32_t count,
                   const uint32_t *refs, bool writable)
{
    struct fake *f = ctx;
    uint8_t *region;

    (void)domid;
    for (uint32_t i = 0; i < count; i++)
        if (refs[i] >= NPAGES) {
            errno = EINVAL;
            return NULL;
        }
    region = mmap(NULL, (size_t)count * 4096, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return NULL;
    for (uint32_t i = 0; i < count; i++)
        if (mmap(region + (size_t)i * 4096, 4096,
                 writable ? PROT_READ | PROT_WRITE : PROT_READ,
                 MAP_SHARED | MAP_FIXED, f->memfd,
                 (off_t)refs[i] * 4096) == MAP_FAILED) {
            munmap(region, (size_t)count * 4096);
            return NULL;
        }
    f->maps += count;
    return region;
}

static int f_unmap(void *ctx, void *addr, uint32_t count)
{
    struct fake *f = ctx;

    f->unmaps += count;
    return munmap(addr, (size_t)count * 4096) < 0 ? -errno : 0;
}

static void f_notify(void *ctx)
{
    (void)ctx;
}

static int f_submit(void *ctx, struct be_blk_io *io)
{
    struct fake *f = ctx;

    if (f->npending >= 64)
        abort(); /* more in flight than the ring has slots */
    f->pending[f->npending++] = io;
    return 0;
}

static const struct be_blk_ops ops = { f_map, f_unmap, f_submit, f_notify };

/* Completes the I/O in flight against the fake disk (reads and writes
 * touch every byte the engine handed over). */
static void complete(struct fake *f, int result)
{
    int n = f->npending;

    f->npending = 0;
    for (int i = 0; i < n; i++) {
        struct be_blk_io *io = f->pending[i];
        uint64_t off = io->offset;

        if (off + io->len > sizeof(f->disk) || io->len > sizeof(f->disk))
            abort(); /* the engine let I/O past the device's end */
        for (unsigned v = 0; v < io->niov && !result; v++) {
            if (io->kind == BE_BLK_READ)
                memcpy(io->iov[v].iov_base, f->disk + off, io->iov[v].iov_len);
            else if (io->kind == BE_BLK_WRITE)
                memcpy(f->disk + off, io->iov[v].iov_base, io->iov[v].iov_len);
            off += io->iov[v].iov_len;
        }
        be_blk_io_done(io, result);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake *f;
    struct fz fz = { data, size };
    struct blkif_sring *s;
    struct be_blk_dev dev;
    uint8_t mode = fz_u8(&fz);
    struct be_blk_limits lim = {
        .sectors = sizeof(f->disk) / 512,
        .readonly = mode & 2,
        .discard = mode & 4,
        .max_indirect_segs = (mode & 8) ? 256 : 32,
    };
    RING_IDX prod = 0;

    if (!f) {
        f = aligned_alloc(4096, sizeof(*f));
        if (!f)
            abort();
        memset(f, 0, sizeof(*f));
        f->memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
        if (f->memfd < 0 || ftruncate(f->memfd, NPAGES * 4096) < 0)
            abort();
        f->mem = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                      f->memfd, 0);
        if (f->mem == MAP_FAILED)
            abort();
    }
    memset(f->ring, 0, sizeof(f->ring));
    f->npending = 0;
    f->maps = f->unmaps = 0;
    s = (struct blkif_sring *)f->ring;
    SHARED_RING_INIT(s);
    if (be_blk_dev_init(&dev, 7, s, &lim, mode & 1, &ops, f))
        return 0;
    while (fz.n) {
        uint8_t op = fz_u8(&fz);

        switch (op % 8) {
        case 0: /* a request slot, published */
            fz_bytes(&fz, &s->ring[prod % 32].req, sizeof(s->ring[0].req));
            prod++;
            __atomic_store_n(&s->req_prod, prod, __ATOMIC_RELEASE);
            break;
        case 1: /* any producer index */
            prod = fz_u32(&fz);
            s->req_prod = prod;
            break;
        case 2: /* a slot rewritten after publication (double fetch) */
            fz_bytes(&fz, &s->ring[fz_u8(&fz) % 32].req,
                     sizeof(s->ring[0].req));
            break;
        case 3: /* page contents: indirect segment lists, data */
        {
            uint8_t *pg = f->mem[fz_u8(&fz) % NPAGES];
            size_t off = fz_u16(&fz) % 4096, len = fz_u8(&fz);

            fz_bytes(&fz, pg + off, len < 4096 - off ? len : 4096 - off);
            break;
        }
        case 4:
            complete(f, 0);
            break;
        case 5:
            complete(f, -EIO);
            break;
        case 6:
            s->rsp_event = fz_u32(&fz);
            s->req_event = fz_u32(&fz);
            break;
        default:
            break;
        }
        if (dev.broken)
            break;
        be_blk_dev_kick(&dev);
        if (dev.broken)
            break;
    }
    for (int i = 0; i < 8 && !be_blk_dev_idle(&dev); i++) {
        complete(f, 0);
        be_blk_dev_kick(&dev);
    }
    complete(f, 0);
    if (!be_blk_dev_idle(&dev))
        abort(); /* nothing in flight, yet not idle */
    be_blk_dev_destroy(&dev);
    if (f->maps != f->unmaps)
        abort(); /* a grant mapping leaked */
    return 0;
}
