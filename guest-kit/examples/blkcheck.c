/* SPDX-License-Identifier: MIT */
/* blkcheck.c: writes patterns to a PV disk, flushes, reads back, verifies. */
#include <guestkit/blkfront.h>
#include <guestkit/guestkit.h>

/*
 * Word w (0..63) of sector s holds (seed << 56) | (s << 8) | w, so the
 * host can check the image (scripts/blkcheck-verify.py,
 * tests/integration/test_block.c) knowing only the seed and the regions
 * below.
 *
 * cmdline: dev=xvda seed=N mode=check|verify|ro|loop|hotplug|bench
 *   check    write every region, flush ("written and flushed"), read back
 *   verify   read back only (the image holds seed N's pattern)
 *   ro       verify, then a write must fail with -XEN_EROFS
 *   loop     check with seed N+1, N+2, ... ("pass K OK (seed S)") until
 *            the key data/blkcheck-stop exists or passes=K passes ran
 *   hotplug  wait (wait=SECS, default 30) for dev to be attached, check
 *            it, then read one sector every 50 ms until the device closes
 *   bench    mb=N (sequential MiB), secs=N (random IOPS run), qd=N
 * inplace=1 (check, verify, bench): the data buffers come from
 * gk_blk_buffer_alloc, so the backend reads and writes them in place;
 * the counts of ring requests in place and in all are printed at the end.
 */

struct region {
    uint64_t sector, count; /* count 0: the last sector of the disk */
};

static const struct region regions[] = {
    { 0, 1 },       /* one sector */
    { 1, 7 },       /* rest of the first page */
    { 9, 16 },      /* two pages, not page aligned */
    { 100, 88 },    /* 11 segments: the direct maximum */
    { 300, 96 },    /* 12 pages: indirect */
    { 1000, 2048 }, /* 1 MiB: 256 indirect segments */
    { 4000, 4096 }, /* 2 MiB: several ring requests */
    { 0, 0 },       /* the last sector */
};

#define ASYNC_N    64 /* 4 KiB writes in flight together */
#define ASYNC_BASE 12000

static uint64_t seed;
static int inplace;

/* 2^order pages for data: in-place memory of the device if inplace=1. */
static void *data_pages(struct gk_blk *b, unsigned int order)
{
    return inplace ? gk_blk_buffer_alloc(b, (size_t)GK_PAGE_SIZE << order)
                   : gk_alloc_pages(order);
}

static void fill(uint64_t *p, uint64_t sector, uint64_t count)
{
    for (uint64_t s = 0; s < count; s++)
        for (uint64_t w = 0; w < 64; w++)
            p[s * 64 + w] = (seed << 56) | ((sector + s) << 8) | w;
}

static int check(const uint64_t *p, uint64_t sector, uint64_t count)
{
    for (uint64_t s = 0; s < count; s++)
        for (uint64_t w = 0; w < 64; w++) {
            uint64_t want = (seed << 56) | ((sector + s) << 8) | w;
            if (p[s * 64 + w] != want) {
                gk_printf("blkcheck: MISMATCH sector %lu word %lu: got "
                          "%016lx want %016lx\n",
                          (unsigned long)(sector + s), (unsigned long)w,
                          (unsigned long)p[s * 64 + w], (unsigned long)want);
                return -1;
            }
        }
    return 0;
}

struct async_state {
    struct gk_thread *t;
    int left;
    int errors;
};

static void async_done(struct gk_blk_io *io)
{
    struct async_state *a = io->arg;

    if (io->status)
        a->errors++;
    if (--a->left == 0)
        gk_thread_wake(a->t);
}

static int run_async(struct gk_blk *b, uint64_t *buf)
{
    static struct gk_blk_io ios[ASYNC_N];
    struct async_state a = { gk_current(), ASYNC_N, 0 };

    for (int i = 0; i < ASYNC_N; i++) {
        uint64_t sector = ASYNC_BASE + (uint64_t)((i * 37) % ASYNC_N) * 24;
        uint64_t *p = buf + (size_t)i * 8 * 64;
        fill(p, sector, 8);
        ios[i] = (struct gk_blk_io){ .op = GK_BLK_WRITE,
                                     .sector = sector,
                                     .nr_sectors = 8,
                                     .buf = p,
                                     .done = async_done,
                                     .arg = &a };
        if (gk_blk_submit(b, &ios[i])) {
            gk_printf("blkcheck: async submit %d failed\n", i);
            return -1;
        }
    }
    while (__atomic_load_n(&a.left, __ATOMIC_ACQUIRE))
        gk_thread_block();
    return a.errors ? -1 : 0;
}

/* Writes (if write) and reads back every region. Returns the number of
 * sectors verified, or -1 after printing why. */
static long do_check(struct gk_blk *b, int write)
{
    static uint64_t *buf;
    const struct gk_blk_info *info = gk_blk_info(b);
    uint64_t verified = 0, written = 0;
    int rc;

    if (!buf) {
        buf = data_pages(b, 10); /* 4 MiB, kept across passes */
        /* that is all the in-place memory a device gives */
        if (buf && inplace && gk_blk_buffer_alloc(b, GK_PAGE_SIZE)) {
            gk_printf("blkcheck: an in-place buffer past 4 MiB\n");
            return -1;
        }
    }
    if (!buf)
        return -1;
    if (info->sectors < ASYNC_BASE + ASYNC_N * 24) {
        gk_printf("blkcheck: disk too small (%lu sectors, need %u)\n",
                  (unsigned long)info->sectors, ASYNC_BASE + ASYNC_N * 24);
        return -1;
    }
    for (size_t i = 0; write && i < GK_ARRAY_SIZE(regions); i++) {
        uint64_t sec = regions[i].count ? regions[i].sector : info->sectors - 1;
        uint64_t n = regions[i].count ? regions[i].count : 1;
        fill(buf, sec, n);
        rc = gk_blk_write(b, sec, n, buf);
        if (rc) {
            gk_printf("blkcheck: write %lu+%lu failed: %d\n",
                      (unsigned long)sec, (unsigned long)n, rc);
            return -1;
        }
        written += n;
    }
    if (write && run_async(b, buf)) {
        gk_printf("blkcheck: async writes failed\n");
        return -1;
    }
    if (write && (rc = gk_blk_flush(b))) {
        gk_printf("blkcheck: flush failed: %d\n", rc);
        return -1;
    }
    /* from here on the host may kill the backend: all of it is durable */
    if (write)
        gk_printf("blkcheck: %lu sectors written and flushed (seed %lu)\n",
                  (unsigned long)(written + ASYNC_N * 8), (unsigned long)seed);
    /* a request past the end must fail without harm */
    if (gk_blk_read(b, info->sectors, 1, buf) != -XEN_EINVAL) {
        gk_printf("blkcheck: read past the end did not fail\n");
        return -1;
    }
    for (size_t i = 0; i < GK_ARRAY_SIZE(regions); i++) {
        uint64_t sec = regions[i].count ? regions[i].sector : info->sectors - 1;
        uint64_t n = regions[i].count ? regions[i].count : 1;
        memset(buf, 0xee, n * 512);
        rc = gk_blk_read(b, sec, n, buf);
        if (rc || check(buf, sec, n)) {
            gk_printf("blkcheck: read back %lu+%lu failed: %d\n",
                      (unsigned long)sec, (unsigned long)n, rc);
            return -1;
        }
        verified += n;
    }
    for (int i = 0; i < ASYNC_N; i++) {
        uint64_t sec = ASYNC_BASE + (uint64_t)i * 24;
        rc = gk_blk_read(b, sec, 8, buf);
        if (rc || check(buf, sec, 8)) {
            gk_printf("blkcheck: read back %lu+8 failed: %d\n",
                      (unsigned long)sec, rc);
            return -1;
        }
        verified += 8;
    }
    return (long)verified;
}

/* The device must be read-only: reads work, a write fails at once. */
static int do_ro(struct gk_blk *b)
{
    static uint64_t page[512];
    long n;
    int rc;

    if (!gk_blk_info(b)->readonly) {
        gk_printf("blkcheck: the device is not read-only\n");
        return -1;
    }
    n = do_check(b, 0);
    if (n < 0)
        return -1;
    gk_printf("blkcheck: %ld sectors verified OK\n", n);
    rc = gk_blk_write(b, 0, 8, page);
    gk_printf("blkcheck: write to the read-only device: %d\n", rc);
    if (rc != -XEN_EROFS)
        return -1;
    rc = gk_blk_discard(b, 0, 8);
    gk_printf("blkcheck: discard on the read-only device: %d\n", rc);
    return rc == -XEN_EROFS ? 0 : -1;
}

/* check with a new seed each pass until the toolstack says stop. */
static int do_loop(struct gk_blk *b)
{
    uint64_t base = seed;
    long passes = gk_cmdline_int("passes", 0);
    char v[8];

    for (long pass = 1; !passes || pass <= passes; pass++) {
        seed = (base + (uint64_t)pass) & 0xff;
        if (do_check(b, 1) < 0) {
            gk_printf("blkcheck: pass %ld failed\n", pass);
            return -1;
        }
        gk_printf("blkcheck: pass %ld OK (seed %lu)\n", pass,
                  (unsigned long)seed);
        if (gk_xenbus_read_str(GK_XBT_NIL, "data/blkcheck-stop", v,
                               sizeof(v)) >= 0)
            break;
        gk_msleep(20);
    }
    return 0;
}

/* A device attached while we run: use it until it is detached. */
static int do_hotplug(const char *dev, struct gk_blk **out)
{
    static uint64_t sector[64];
    uint64_t deadline = gk_monotonic_ns() +
                        (uint64_t)gk_cmdline_int("wait", 30) * 1000000000ull;
    struct gk_blk *b;
    long n;
    int rc;

    gk_printf("blkcheck: waiting for %s\n", dev);
    while ((rc = gk_blk_open(dev, &b)) == -XEN_ENOENT &&
           gk_monotonic_ns() < deadline)
        gk_msleep(50);
    if (rc) {
        gk_printf("blkcheck: opening %s failed: %d\n", dev, rc);
        return -1;
    }
    *out = b;
    gk_printf("blkcheck: %s attached: %lu sectors\n", dev,
              (unsigned long)gk_blk_info(b)->sectors);
    n = do_check(b, 1);
    if (n < 0)
        return -1;
    gk_printf("blkcheck: %ld sectors verified OK\n", n);
    /* A read the detach catches on the ring is refused (EIO, as
     * pv-blkback answers queued requests on detach); the next one must
     * find the device closed. */
    for (int refused = 0;;) {
        rc = gk_blk_read(b, 0, 1, sector);
        if (rc == -XEN_EIO && !refused++)
            gk_printf("blkcheck: %s: a read refused by the detach\n", dev);
        else if (rc)
            break;
        gk_msleep(50);
    }
    gk_printf("blkcheck: %s closed (%d)\n", dev, rc);
    return 0;
}

/* ---- bench ---- */

struct bench_state {
    struct gk_thread *t;
    unsigned int inflight;
    uint64_t free; /* bit i: ios[i] is not in flight */
    uint64_t done;
    int errors, first_error;
};

static struct gk_blk_io bench_ios[64];

static void bench_done(struct gk_blk_io *io)
{
    struct bench_state *s = io->arg;

    if (io->status && !s->errors++)
        s->first_error = io->status;
    /* the submitting thread changes these too: atomically */
    __atomic_fetch_add(&s->done, 1, __ATOMIC_RELAXED);
    __atomic_fetch_or(&s->free, 1ull << (io - bench_ios), __ATOMIC_RELEASE);
    __atomic_fetch_sub(&s->inflight, 1, __ATOMIC_RELEASE);
    gk_thread_wake(s->t);
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Runs `total` requests of `nsec` sectors (sequential unless random) at
 * queue depth qd, or until `secs` pass when total is 0. An error stops
 * it: the requests in flight are waited for, the first error printed. */
static int bench_run(struct gk_blk *b, enum gk_blk_op op, uint64_t nsec,
                     int random, unsigned int qd, uint64_t total, uint64_t secs,
                     uint8_t *buf, const char *label)
{
    struct bench_state s = { gk_current(), 0, 0, 0, 0, 0 };
    uint64_t span = gk_blk_info(b)->sectors / nsec;
    uint64_t t0 = gk_monotonic_ns(), end = t0 + secs * 1000000000ull;
    uint64_t issued = 0, next = 0, ns;
    int rc = 0;

    if (qd > 64)
        qd = 64;
    s.free = qd == 64 ? ~0ull : (1ull << qd) - 1;
    for (;;) {
        int more = total ? issued < total : gk_monotonic_ns() < end;
        more = more && !rc && !__atomic_load_n(&s.errors, __ATOMIC_ACQUIRE);
        /* one burst, one publication (and at most one notification) */
        gk_blk_plug(b);
        while (more && __atomic_load_n(&s.inflight, __ATOMIC_ACQUIRE) < qd) {
            /* a free slot: completions come in any order */
            unsigned int slot = (unsigned int)__builtin_ctzll(
                __atomic_load_n(&s.free, __ATOMIC_ACQUIRE));
            struct gk_blk_io *io = &bench_ios[slot];
            uint64_t blk = random ? rng() % span : (next++ % span);
            *io = (struct gk_blk_io){ .op = op,
                                      .sector = blk * nsec,
                                      .nr_sectors = nsec,
                                      .buf = buf + (size_t)slot * nsec * 512,
                                      .done = bench_done,
                                      .arg = &s };
            __atomic_fetch_and(&s.free, ~(1ull << slot), __ATOMIC_RELAXED);
            __atomic_fetch_add(&s.inflight, 1, __ATOMIC_RELAXED);
            rc = gk_blk_submit(b, io);
            if (rc) {
                __atomic_fetch_sub(&s.inflight, 1, __ATOMIC_RELAXED);
                __atomic_fetch_or(&s.free, 1ull << slot, __ATOMIC_RELAXED);
                break;
            }
            issued++;
            more = total ? issued < total : gk_monotonic_ns() < end;
            more = more && !__atomic_load_n(&s.errors, __ATOMIC_ACQUIRE);
        }
        gk_blk_unplug(b);
        if (!more && !__atomic_load_n(&s.inflight, __ATOMIC_ACQUIRE))
            break;
        uint64_t before = __atomic_load_n(&s.done, __ATOMIC_RELAXED);
        uint64_t t1 = gk_monotonic_ns();
        gk_thread_block_until(t1 + 1000000000ull);
        if (__atomic_load_n(&s.done, __ATOMIC_RELAXED) == before &&
            gk_monotonic_ns() - t1 >= 1000000000ull) {
            struct gk_blk_stats st;
            gk_blk_stats(b, &st);
            gk_printf("blkbench: no completion for 1 s (%u in flight, %lu "
                      "requests, %lu responses); polling the ring\n",
                      s.inflight, (unsigned long)st.requests,
                      (unsigned long)st.responses);
            gk_blk_poll(b);
        }
    }
    if (rc || s.errors) {
        gk_printf("blkbench: %s stopped after %lu requests: %s %d "
                  "(%d failed)\n",
                  label, (unsigned long)s.done,
                  rc ? "submit failed:" : "I/O error", rc ? rc : s.first_error,
                  s.errors);
        return -1;
    }
    ns = gk_monotonic_ns() - t0;
    if (random)
        gk_printf("blkbench: %s %lu IOPS (%lu requests in %lu ms, qd %u)\n",
                  label, (unsigned long)(s.done * 1000000000ull / ns),
                  (unsigned long)s.done, (unsigned long)(ns / 1000000), qd);
    else
        gk_printf("blkbench: %s %lu MB/s (%lu MiB in %lu ms, qd %u)\n", label,
                  (unsigned long)(s.done * nsec * 512 * 1000ull / ns),
                  (unsigned long)(s.done * nsec * 512 >> 20),
                  (unsigned long)(ns / 1000000), qd);
    return 0;
}

static int do_bench(struct gk_blk *b)
{
    uint64_t mb = (uint64_t)gk_cmdline_int("mb", 256);
    uint64_t secs = (uint64_t)gk_cmdline_int("secs", 5);
    unsigned int qd = (unsigned int)gk_cmdline_int("qd", 32);
    unsigned int sqd = (unsigned int)gk_cmdline_int("seqqd", 4);
    /* seqqd MiB for the sequential runs, qd pages for the random one */
    uint8_t *buf = data_pages(b, 10); /* 4 MiB */
    int rc;

    if (!buf || sqd > 4 || qd > 64) {
        gk_printf("blkbench: no buffers, or seqqd > 4 or qd > 64\n");
        return -1;
    }
    if (bench_run(b, GK_BLK_WRITE, 2048, 0, sqd, mb, 0, buf, "seq-write"))
        return -1;
    rc = gk_blk_flush(b);
    if (rc) {
        gk_printf("blkbench: flush failed: %d\n", rc);
        return -1;
    }
    if (bench_run(b, GK_BLK_READ, 2048, 0, sqd, mb, 0, buf, "seq-read") ||
        bench_run(b, GK_BLK_READ, 8, 1, qd, 0, secs, buf, "rand-read-4k"))
        return -1;
    return 0;
}

int main(void)
{
    char dev[32] = "xvda", mode[16] = "check";
    struct gk_blk *b = NULL;
    long n;
    int rc;

    gk_cmdline_get("dev", dev, sizeof(dev));
    gk_cmdline_get("mode", mode, sizeof(mode));
    seed = (uint64_t)gk_cmdline_int("seed", 1) & 0xff;
    inplace = gk_cmdline_int("inplace", 0) == 1;
    if (!strcmp(mode, "hotplug")) {
        rc = do_hotplug(dev, &b);
        gk_blk_close(b);
        return rc ? 1 : 0;
    }
    rc = gk_blk_open(dev, &b);
    if (rc) {
        gk_printf("blkcheck: opening %s failed: %d\n", dev, rc);
        return 1;
    }
    const struct gk_blk_info *info = gk_blk_info(b);
    gk_printf("blkcheck: %s: %lu sectors of %u bytes, %s, flush %d, "
              "persistent %d, %u segments per request\n",
              dev, (unsigned long)info->sectors, info->sector_size,
              info->readonly ? "read-only" : "read-write", info->flush,
              info->persistent, info->max_segs);
    if (!strcmp(mode, "bench")) {
        rc = do_bench(b);
    } else if (!strcmp(mode, "ro")) {
        rc = do_ro(b);
    } else if (!strcmp(mode, "loop")) {
        rc = do_loop(b);
    } else {
        n = do_check(b, strcmp(mode, "verify") != 0);
        if (n >= 0)
            gk_printf("blkcheck: %ld sectors verified OK\n", n);
        rc = n < 0;
    }
    if (inplace) {
        struct gk_blk_stats st;
        gk_blk_stats(b, &st);
        gk_printf("blkcheck: %lu of %lu ring requests in place\n",
                  (unsigned long)st.in_place, (unsigned long)st.requests);
    }
    gk_blk_close(b);
    return rc ? 1 : 0;
}
