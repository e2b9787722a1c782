// SPDX-License-Identifier: MIT
/* test_blkback.c: pv-blkback's ring engine against hostile frontends. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blkback.h"
#include "dev_disk.h"
#include "unit.h"

#define NPAGES  64
#define BAD_REF 999

/*
 * A fake guest: its memory is a memfd of NPAGES pages (mem maps all of
 * it); grant ref r is page r, refs >= NPAGES fail to map. Maps alias the
 * pages as pvgnttab does (MAP_SHARED of the same fd), so the engine sees
 * exactly what the guest wrote.
 */
struct fake {
    uint8_t ring[4096] __attribute__((aligned(4096)));
    int memfd;
    uint8_t (*mem)[4096];
    uint8_t disk[256 * 512];
    struct be_blk_io *pending[64];
    int npending;
    int maps, unmaps, notifies, map_calls;
    int fail_submit;
};

static void *f_map(void *ctx, uint32_t domid, uint32_t count,
                   const uint32_t *refs, bool writable)
{
    struct fake *f = ctx;
    uint8_t *region;

    (void)domid;
    f->map_calls++;
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
    f->maps += (int)count;
    return region;
}

static int f_unmap(void *ctx, void *addr, uint32_t count)
{
    struct fake *f = ctx;

    f->unmaps += (int)count;
    return munmap(addr, (size_t)count * 4096) < 0 ? -errno : 0;
}

static void f_notify(void *ctx)
{
    ((struct fake *)ctx)->notifies++;
}

static int f_submit(void *ctx, struct be_blk_io *io)
{
    struct fake *f = ctx;

    if (f->fail_submit)
        return -EIO;
    f->pending[f->npending++] = io;
    return 0;
}

static const struct be_blk_ops fake_ops = { f_map, f_unmap, f_submit,
                                            f_notify };

static struct fake *F;
static struct be_blk_dev D;
static struct blkif_sring *S;
static RING_IDX prod;

/* Completes every pending I/O against f->disk synchronously. */
static void complete_all(void)
{
    for (int i = 0; i < F->npending; i++) {
        struct be_blk_io *io = F->pending[i];
        uint64_t off = io->offset;
        for (unsigned int v = 0; v < io->niov; v++) {
            if (io->kind == BE_BLK_READ)
                memcpy(io->iov[v].iov_base, F->disk + off, io->iov[v].iov_len);
            else if (io->kind == BE_BLK_WRITE)
                memcpy(F->disk + off, io->iov[v].iov_base, io->iov[v].iov_len);
            off += io->iov[v].iov_len;
        }
        be_blk_io_done(io, 0);
    }
    F->npending = 0;
}

static void setup(bool persistent, bool readonly)
{
    struct be_blk_limits lim = { .sectors = 256,
                                 .readonly = readonly,
                                 .discard = true,
                                 .max_indirect_segs = 32 };
    F = aligned_alloc(4096, sizeof(*F));
    CU_ASSERT_PTR_NOT_NULL_FATAL(F);
    memset(F, 0, sizeof(*F));
    F->memfd = memfd_create("fake-guest", MFD_CLOEXEC);
    CU_ASSERT_FATAL(F->memfd >= 0);
    CU_ASSERT_FATAL(ftruncate(F->memfd, NPAGES * 4096) == 0);
    F->mem = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                  F->memfd, 0);
    CU_ASSERT_FATAL(F->mem != MAP_FAILED);
    S = (struct blkif_sring *)F->ring;
    SHARED_RING_INIT(S);
    prod = 0;
    CU_ASSERT_EQUAL_FATAL(
        be_blk_dev_init(&D, 7, S, &lim, persistent, &fake_ops, F), 0);
}

static void teardown(void)
{
    complete_all();
    be_blk_dev_destroy(&D);
    CU_ASSERT_EQUAL(F->unmaps, F->maps); /* nothing left mapped */
    munmap(F->mem, NPAGES * 4096);
    close(F->memfd);
    free(F);
    F = NULL;
}

static struct blkif_request *slot(void)
{
    struct blkif_request *r = &S->ring[prod & 31].req;
    memset(r, 0, sizeof(*r));
    r->id = 1000 + prod;
    prod++;
    return r;
}

static void publish(void)
{
    S->req_prod = prod;
}

static struct blkif_response rsp(RING_IDX i)
{
    return S->ring[i & 31].rsp;
}

static void rw(uint8_t op, uint64_t sector, unsigned int nseg, uint32_t ref0)
{
    struct blkif_request *r = slot();
    r->operation = op;
    r->nr_segments = (uint8_t)nseg;
    r->sector_number = sector;
    for (unsigned int i = 0; i < nseg && i < 11; i++)
        r->seg[i] = (struct blkif_request_segment){ ref0 + i, 0, 7 };
}

/* ---- parse layer ---- */

static void test_parse_ops(void)
{
    struct be_blk_limits lim = { .sectors = 64, .max_indirect_segs = 32 };
    struct blkif_request s = { 0 };
    struct be_blk_req *r = calloc(1, sizeof(*r));

    s.operation = BLKIF_OP_READ;
    s.nr_segments = 1;
    s.seg[0] = (struct blkif_request_segment){ 1, 0, 7 };
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), 0);
    s.nr_segments = 0;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    s.nr_segments = 12;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    s.nr_segments = 255;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    s.operation = 77;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EOPNOTSUPP);
    s.operation = BLKIF_OP_RESERVED_1;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EOPNOTSUPP);
    s.operation = BLKIF_OP_DISCARD; /* not offered */
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EOPNOTSUPP);
    s.operation = BLKIF_OP_FLUSH_DISKCACHE;
    s.nr_segments = 0;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), 0);
    CU_ASSERT_EQUAL(r->kind, BE_BLK_FLUSH);
    s.nr_segments = 2;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), 0);
    CU_ASSERT_EQUAL(r->kind, BE_BLK_WRITE);
    CU_ASSERT(r->flush_after);
    lim.readonly = true;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EROFS);
    s.operation = BLKIF_OP_WRITE;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EROFS);
    s.operation = BLKIF_OP_FLUSH_DISKCACHE;
    s.nr_segments = 0; /* a flush alone is fine read-only */
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), 0);
    free(r);
}

static void test_parse_indirect(void)
{
    struct be_blk_limits lim = { .sectors = 1 << 20, .max_indirect_segs = 32 };
    struct blkif_request s = { 0 };
    struct blkif_request_indirect *ind = (void *)&s;
    struct be_blk_req *r = calloc(1, sizeof(*r));

    ind->operation = BLKIF_OP_INDIRECT;
    ind->indirect_op = BLKIF_OP_WRITE;
    ind->nr_segments = 32;
    ind->indirect_grefs[0] = 5;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), 0);
    CU_ASSERT_EQUAL(r->nr_indirect, 1);
    CU_ASSERT_EQUAL(r->nr_segs, 32);
    ind->nr_segments = 33;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    ind->nr_segments = 0;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    ind->nr_segments = 0xffff;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    ind->nr_segments = 4;
    ind->indirect_op = BLKIF_OP_INDIRECT; /* nested */
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    ind->indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EINVAL);
    lim.max_indirect_segs = 0;
    ind->indirect_op = BLKIF_OP_READ;
    CU_ASSERT_EQUAL(be_blk_parse(&s, &lim, r), -EOPNOTSUPP);
    free(r);
}

static void test_check_segs(void)
{
    struct be_blk_limits lim = { .sectors = 64 };
    struct be_blk_req *r = calloc(1, sizeof(*r));
    static const struct {
        uint8_t f, l;
        uint64_t sector;
        int ok;
    } t[] = {
        { 0, 7, 0, 1 },  { 3, 3, 63, 1 },         { 0, 7, 57, 0 },
        { 0, 8, 0, 0 },  { 5, 4, 0, 0 },          { 255, 255, 0, 0 },
        { 0, 0, 64, 0 }, { 0, 0, UINT64_MAX, 0 }, { 0, 7, UINT64_MAX - 3, 0 },
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        r->kind = BE_BLK_READ;
        r->nr_segs = 1;
        r->sector = t[i].sector;
        r->seg[0] = (struct blkif_request_segment){ 1, t[i].f, t[i].l };
        CU_ASSERT_EQUAL(be_blk_check_segs(r, &lim) == 0, t[i].ok);
    }
    free(r);
}

/* ---- ring layer ---- */

static void test_bogus_indices(void)
{
    static const RING_IDX bad[] = { 33, 100, 0x80000000u, 0xffffffffu };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup(false, false);
        S->req_prod = bad[i];
        CU_ASSERT_EQUAL(be_blk_dev_kick(&D), -EPROTO);
        CU_ASSERT(D.broken);
        CU_ASSERT_EQUAL(F->map_calls, 0);
        teardown();
    }
    /* exactly a full ring is legal */
    setup(false, false);
    for (int i = 0; i < 32; i++)
        rw(BLKIF_OP_READ, 0, 1, 1);
    publish();
    CU_ASSERT_EQUAL(be_blk_dev_kick(&D), 0);
    CU_ASSERT_EQUAL(F->npending, 32);
    /* all answered; the frontend now claims 33 more: bogus */
    complete_all();
    S->req_prod = 32 + 33;
    CU_ASSERT_EQUAL(be_blk_dev_kick(&D), -EPROTO);
    teardown();
}

static void test_bad_requests_answered(void)
{
    setup(false, false);
    rw(BLKIF_OP_READ, 0, 0, 1);       /* no segments */
    rw(BLKIF_OP_READ, 0, 12, 1);      /* too many */
    rw(BLKIF_OP_READ, 252, 1, 1);     /* 252..259 past the end (256) */
    rw(BLKIF_OP_READ, 0, 1, BAD_REF); /* grant the guest never made */
    rw(99, 0, 1, 1);                  /* unknown op */
    struct blkif_request *r = slot(); /* last < first */
    r->operation = BLKIF_OP_WRITE;
    r->nr_segments = 1;
    r->seg[0] = (struct blkif_request_segment){ 1, 6, 2 };
    rw(BLKIF_OP_READ, 8, 2, 3); /* a good one at the end */
    publish();
    CU_ASSERT_EQUAL(be_blk_dev_kick(&D), 0);
    CU_ASSERT_EQUAL(F->npending, 1);
    complete_all();
    CU_ASSERT_EQUAL(be_blk_dev_kick(&D), 0);
    CU_ASSERT_EQUAL(S->rsp_prod, 7);
    static const int16_t want[] = { BLKIF_RSP_ERROR,      BLKIF_RSP_ERROR,
                                    BLKIF_RSP_ERROR,      BLKIF_RSP_ERROR,
                                    BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR,
                                    BLKIF_RSP_OKAY };
    for (RING_IDX i = 0; i < 7; i++) {
        CU_ASSERT_EQUAL(rsp(i).status, want[i]);
        CU_ASSERT_EQUAL(rsp(i).id, 1000 + (i < 6 ? i : 6));
    }
    CU_ASSERT(!D.broken);
    CU_ASSERT_EQUAL(F->unmaps, F->maps); /* nothing left mapped */
    teardown();
}

static void test_read_write_data(void)
{
    setup(false, false);
    memset(F->mem[2], 0xab, 4096);
    rw(BLKIF_OP_WRITE, 16, 1, 2);
    publish();
    be_blk_dev_kick(&D);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(F->disk[16 * 512], 0xab);
    CU_ASSERT_EQUAL(F->disk[24 * 512 - 1], 0xab);
    CU_ASSERT_EQUAL(F->disk[24 * 512], 0);
    rw(BLKIF_OP_READ, 16, 1, 4);
    publish();
    be_blk_dev_kick(&D);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(F->mem[4][0], 0xab);
    CU_ASSERT_EQUAL(F->mem[4][4095], 0xab);
    CU_ASSERT_EQUAL(rsp(1).status, BLKIF_RSP_OKAY);
    CU_ASSERT(F->notifies >= 1);
    teardown();
}

static void test_indirect_and_persistent(void)
{
    setup(true, false);
    /* indirect page 10 lists 12 segments, pages 20..31 */
    struct blkif_request_segment *segs = (void *)F->mem[10];
    for (int i = 0; i < 12; i++)
        segs[i] = (struct blkif_request_segment){ (grant_ref_t)(20 + i), 0,
                                                  i == 11 ? 3 : 7 };
    for (int round = 0; round < 2; round++) {
        struct blkif_request *r = slot();
        struct blkif_request_indirect *ind = (void *)r;
        ind->operation = BLKIF_OP_INDIRECT;
        ind->indirect_op = BLKIF_OP_READ;
        ind->nr_segments = 12;
        ind->sector_number = 0;
        ind->indirect_grefs[0] = 10;
        publish();
        CU_ASSERT_EQUAL(be_blk_dev_kick(&D), 0);
        CU_ASSERT_EQUAL_FATAL(F->npending, 1);
        CU_ASSERT_EQUAL(F->pending[0]->len, (11 * 8 + 4) * 512);
        complete_all();
        be_blk_dev_kick(&D);
        CU_ASSERT_EQUAL(rsp((RING_IDX)round).status, BLKIF_RSP_OKAY);
    }
    /* the second round reused every mapping */
    CU_ASSERT_EQUAL(D.st.pgrant_maps, 2); /* indirect page, data pages */
    CU_ASSERT_EQUAL(D.nr_pg, 13);
    /* past the end through indirect segments: error, nothing submitted */
    for (int i = 0; i < 12; i++)
        segs[i].last_sect = 7;
    struct blkif_request_indirect *ind = (void *)slot();
    ind->operation = BLKIF_OP_INDIRECT;
    ind->indirect_op = BLKIF_OP_READ;
    ind->nr_segments = 12;
    ind->sector_number = 200; /* 200 + 96 > 256 */
    ind->indirect_grefs[0] = 10;
    publish();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(F->npending, 0);
    CU_ASSERT_EQUAL(rsp(2).status, BLKIF_RSP_ERROR);
    teardown();
}

/*
 * Every ref value is the frontend's to choose, 0xFFFFFFFF too: it must go
 * to the mapper (where pvisor checks the grant) and fail there, never
 * match an empty slot of the persistent cache. The cache is allocated the
 * way a reused allocation looks (M_PERTURB fills malloc'd memory with
 * garbage), so an engine that reads an empty slot's address uses garbage.
 */
static void test_persistent_ref_all_ones(void)
{
    static const uint32_t refs[] = { UINT32_MAX, UINT32_MAX - 1, NPAGES };

    mallopt(M_PERTURB, 0x5a);
    setup(true, false);
    mallopt(M_PERTURB, 0);
    memset(F->mem[3], 0xc3, 4096); /* another page the frontend owns */
    for (unsigned int i = 0; i < 3; i++) {
        int calls = F->map_calls;
        /* one good ref first, so the cache is not empty */
        rw(BLKIF_OP_WRITE, 0, 1, 3);
        rw(BLKIF_OP_WRITE, 8, 1, refs[i]);
        rw(BLKIF_OP_READ, 16, 1, refs[i]);
        publish();
        be_blk_dev_kick(&D);
        complete_all();
        be_blk_dev_kick(&D);
        /* errors are answered at once, the good write on completion */
        for (RING_IDX r = 3 * i; r < 3 * i + 3; r++)
            CU_ASSERT_EQUAL(rsp(r).status, rsp(r).id == 1000 + 3 * i
                                               ? BLKIF_RSP_OKAY
                                               : BLKIF_RSP_ERROR);
        CU_ASSERT(F->map_calls > calls); /* the bad ref reached the mapper */
    }
    for (unsigned int b = 8 * 512; b < 24 * 512; b++)
        if (F->disk[b]) {
            CU_FAIL("a request naming a bad ref wrote to the disk");
            break;
        }
    CU_ASSERT_EQUAL(D.nr_pg, 1);
    teardown();
}

static void test_flush_ordering(void)
{
    setup(false, false);
    rw(BLKIF_OP_WRITE, 0, 1, 1);
    struct blkif_request *f = slot();
    f->operation = BLKIF_OP_FLUSH_DISKCACHE;
    rw(BLKIF_OP_WRITE, 8, 1, 1);
    publish();
    be_blk_dev_kick(&D);
    /* the flush waits for the write before it, the write after waits too */
    CU_ASSERT_EQUAL(F->npending, 1);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL_FATAL(F->npending, 1);
    CU_ASSERT_EQUAL(F->pending[0]->kind, BE_BLK_FLUSH);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(F->npending, 1);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(S->rsp_prod, 3);
    CU_ASSERT_EQUAL(D.st.flushes, 1);
    teardown();
}

static void test_readonly_and_submit_failure(void)
{
    setup(false, true);
    rw(BLKIF_OP_WRITE, 0, 1, 1);
    rw(BLKIF_OP_READ, 0, 1, 1);
    publish();
    be_blk_dev_kick(&D);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(rsp(0).status, BLKIF_RSP_ERROR);
    CU_ASSERT_EQUAL(rsp(1).status, BLKIF_RSP_OKAY);
    F->fail_submit = 1;
    rw(BLKIF_OP_READ, 0, 1, 1);
    publish();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(rsp(2).status, BLKIF_RSP_ERROR);
    CU_ASSERT_EQUAL(F->unmaps, F->maps);
    teardown();
}

static void test_notification_suppression(void)
{
    setup(false, false);
    S->rsp_event = 100; /* the frontend does not want to hear yet */
    rw(BLKIF_OP_READ, 0, 1, 1);
    publish();
    be_blk_dev_kick(&D);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(S->rsp_prod, 1);
    CU_ASSERT_EQUAL(F->notifies, 0);
    /* and we asked to be told of the next request */
    CU_ASSERT_EQUAL(S->req_event, 2);
    S->rsp_event = 2;
    rw(BLKIF_OP_READ, 0, 1, 1);
    publish();
    be_blk_dev_kick(&D);
    complete_all();
    be_blk_dev_kick(&D);
    CU_ASSERT_EQUAL(F->notifies, 1);
    teardown();
}

/* ---- the toolstack's disk specs ---- */

static void test_disk_specs(void)
{
    static const struct {
        const char *vdev;
        int64_t id;
    } ids[] = {
        { "xvda", 51712 },     { "xvdb", 51728 },
        { "xvdp", 51952 },     { "xvdq", (1LL << 28) | (16 << 8) },
        { "xvda1", 51713 },    { "xvdaa", (1LL << 28) | (26 << 8) },
        { "sda", 2048 },       { "hda", 768 },
        { "hdc", 5632 },       { "51712", 51712 },
        { "xvd", -EINVAL },    { "vda", -EINVAL },
        { "xvdA", -EINVAL },   { "0", -EINVAL },
        { "xvda1x", -EINVAL },
    };
    struct disk_spec d;
    char err[256];

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        CU_ASSERT_EQUAL(disk_vdev_to_devid(ids[i].vdev), ids[i].id);
    CU_ASSERT_EQUAL(disk_parse_spec("format=raw, vdev=xvda, access=rw, "
                                    "target=/tmp/a,b.img",
                                    &d, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(d.devid, 51712);
    CU_ASSERT(!d.readonly);
    CU_ASSERT_STRING_EQUAL(d.target, "/tmp/a,b.img");
    free(d.target);
    CU_ASSERT_EQUAL(disk_parse_spec("/x.img,raw,xvdb,ro", &d, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(d.devid, 51728);
    CU_ASSERT(d.readonly);
    CU_ASSERT_STRING_EQUAL(d.target, "/x.img");
    free(d.target);
    CU_ASSERT_EQUAL(disk_parse_spec("format=qcow2, vdev=xvda, target=/x", &d,
                                    err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "qcow2"));
    CU_ASSERT_EQUAL(disk_parse_spec("vdev=xvda, access=rx, target=/x", &d, err,
                                    sizeof(err)),
                    -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "access"));
    CU_ASSERT_EQUAL(disk_parse_spec("vdev=xvda", &d, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "target"));
    CU_ASSERT_EQUAL(disk_parse_spec("target=/x", &d, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(
        disk_parse_spec("vdev=foo, target=/x", &d, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(disk_parse_spec("colour=red, vdev=xvda, target=/x", &d, err,
                                    sizeof(err)),
                    -EINVAL);
}

static const struct unit_test tests[] = {
    { "parse: operations and segment counts", test_parse_ops },
    { "parse: indirect requests", test_parse_indirect },
    { "segments: sector bounds and overflow", test_check_segs },
    { "ring: bogus indices disconnect", test_bogus_indices },
    { "ring: bad requests get BLKIF_RSP_ERROR", test_bad_requests_answered },
    { "ring: read and write reach the disk", test_read_write_data },
    { "ring: indirect + persistent grants", test_indirect_and_persistent },
    { "ring: persistent cache refuses ref 0xFFFFFFFF",
      test_persistent_ref_all_ones },
    { "ring: flush is ordered", test_flush_ordering },
    { "ring: read-only device, submit failure",
      test_readonly_and_submit_failure },
    { "ring: notification suppression", test_notification_suppression },
    { "toolstack: disk specs and vdev numbers", test_disk_specs },
    { NULL, NULL },
};

const struct unit_suite unit_suite_blkback = {
    .name = "blkback",
    .tests = tests,
};
