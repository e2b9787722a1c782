// SPDX-License-Identifier: MIT
/* test_block.c: the block split driver: blkfront, pv-blkback, block-*. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

#define IMG_BYTES   (16u << 20)
#define IMG_SECTORS (IMG_BYTES / 512)
#define XVDA        51712u
#define XVDB        51728u
#define XVDC        51744u

/*
 * What blkcheck (guest-kit/examples/blkcheck.c) writes: these regions,
 * count 0 being the last sector, then ASYNC_N 8-sector writes at
 * ASYNC_BASE + i * 24. Word w of sector s holds (seed << 56) | (s << 8) | w,
 * little-endian.
 */
static const struct {
    uint64_t sector, count;
} regions[] = {
    { 0, 1 },    { 1, 7 },       { 9, 16 },      { 100, 88 },
    { 300, 96 }, { 1000, 2048 }, { 4000, 4096 }, { 0, 0 },
};
#define ASYNC_N         64
#define ASYNC_BASE      12000
#define WRITTEN_SECTORS 6865 /* what blkcheck reports for the above */

static uint64_t pattern(uint64_t seed, uint64_t s, uint64_t w)
{
    return (seed << 56) | (s << 8) | w;
}

/* Calls fn(sector, count) for every extent blkcheck writes. */
static void for_each_extent(uint64_t sectors,
                            void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
        fn(regions[i].count ? regions[i].sector : sectors - 1,
           regions[i].count ? regions[i].count : 1, arg);
    for (uint64_t i = 0; i < ASYNC_N; i++)
        fn(ASYNC_BASE + i * 24, 8, arg);
}

/* A sparse, zeroed image of IMG_BYTES in the test's directory. */
static const char *img_create(const char *name)
{
    const char *path = hx_fmt("%s/%s", hx.dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    HX_REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
    HX_REQUIRE(ftruncate(fd, IMG_BYTES) == 0, "truncate %s: %s", path,
               strerror(errno));
    close(fd);
    return path;
}

/* The whole image, in a buffer the next call reuses; fails the test if
 * it cannot be read. */
static const uint8_t *img_read(const char *path)
{
    static uint8_t buf[IMG_BYTES];
    size_t done = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && st.st_size == IMG_BYTES;

    while (ok && done < IMG_BYTES) {
        ssize_t n = pread(fd, buf + done, IMG_BYTES - done, (off_t)done);

        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    HX_REQUIRE(ok && done == IMG_BYTES, "%s: missing, or not %u bytes", path,
               IMG_BYTES);
    return buf;
}

struct mark_arg {
    uint8_t *written; /* one byte per sector */
    uint8_t *img;     /* for fill_extent: the image to write into */
    uint64_t seed;
};

static void mark_extent(uint64_t sector, uint64_t count, void *arg)
{
    struct mark_arg *m = arg;

    memset(m->written + sector, 1, count);
}

static void fill_extent(uint64_t sector, uint64_t count, void *arg)
{
    struct mark_arg *m = arg;

    for (uint64_t s = sector; s < sector + count; s++)
        for (uint64_t w = 0; w < 64; w++) {
            uint64_t v = pattern(m->seed, s, w);

            for (int b = 0; b < 8; b++)
                m->img[s * 512 + w * 8 + (uint64_t)b] = (uint8_t)(v >> 8 * b);
        }
}

/*
 * Checks the image as scripts/blkcheck-verify.py does, and more: every
 * sector blkcheck writes holds seed's pattern, every other sector is
 * still zero. Returns the number of pattern sectors, or -1 with why.
 */
static long img_verify(const char *path, uint64_t seed, char *why, size_t len)
{
    static uint8_t written[IMG_SECTORS];
    struct mark_arg m = { written, NULL, seed };
    const uint8_t *img = img_read(path);
    long good = 0;

    memset(written, 0, sizeof(written));
    for_each_extent(IMG_SECTORS, mark_extent, &m);
    for (uint64_t s = 0; s < IMG_SECTORS; s++) {
        const uint8_t *p = img + s * 512;

        for (uint64_t w = 0; w < 64; w++) {
            uint64_t v = 0, want = written[s] ? pattern(seed, s, w) : 0;

            for (int b = 7; b >= 0; b--)
                v = v << 8 | p[w * 8 + (uint64_t)b];
            if (v != want) {
                snprintf(why, len,
                         "%s: sector %llu word %llu: %016llx, want %016llx "
                         "(%s)",
                         path, (unsigned long long)s, (unsigned long long)w,
                         (unsigned long long)v, (unsigned long long)want,
                         written[s] ? "written by blkcheck" : "never written");
                return -1;
            }
        }
        good += written[s];
    }
    return good;
}

/* Fails the test unless the image holds exactly seed's pattern. */
static void expect_image(const char *path, uint64_t seed)
{
    char why[512] = "";
    long n = img_verify(path, seed, why, sizeof(why));

    HX_CHECK(n == WRITTEN_SECTORS, "image check (seed %llu): %s",
             (unsigned long long)seed,
             n < 0 ? why : hx_fmt("%ld sectors, want %d", n, WRITTEN_SECTORS));
}

/*
 * Boots blkcheck as NAME with cmdline CMDLINE and the given disk list
 * (xl syntax), kept after it powers off. Returns the domid.
 */
static int blk_create(const char *name, const char *cmdline, const char *disk)
{
    const char *ov[] = { hx_fmt("cmdline=\"%s\"", cmdline),
                         hx_fmt("disk=%s", disk), "on_poweroff=\"preserve\"",
                         "on_crash=\"preserve\"", NULL };
    struct hx_run r;
    int id = hx_create(&r, "blkcheck", name, ov);

    HX_REQUIRE(id > 0, "create blkcheck %s: exit %d%s: %s", name, r.exit_code,
               r.timed_out ? " (timed out)" : "", r.err);
    return id;
}

static const char *disk_rw(const char *vdev, const char *img)
{
    return hx_fmt("['format=raw, vdev=%s, access=rw, target=%s']", vdev, img);
}

/* The domain must have powered off with code. */
static void expect_exit(const char *name, int code)
{
    struct hx_dominfo w = hx_wait(name, 60);

    HX_CHECK(w.found && !strcmp(w.state, "shutdown") &&
                 !strcmp(w.reason, "poweroff") && w.code == code,
             "%s: want 'shutdown (poweroff, code %d)', got '%s'; console:\n%s",
             name, code, w.text ? w.text : "", hxe_console_log(name));
}

/*
 * Boots blkcheck as NAME on image img (xvda) with CMDLINE, which must end
 * in its "verified OK" line and power off with 0. Returns its console
 * log; the domid goes to *id if id is not NULL.
 */
static const char *blkcheck_ok(const char *name, const char *cmdline,
                               const char *img, int *id)
{
    int domid = blk_create(name, cmdline, disk_rw("xvda", img));
    const char *log;

    if (id)
        *id = domid;
    expect_exit(name, 0);
    log = hxe_console_log(name);
    HX_CHECK(strstr(log, "blkcheck: 6865 sectors verified OK\n") != NULL,
             "%s (%s) read everything back:\n%s", name, cmdline, log);
    return log;
}

/* Waits (60 s at most: sanitizer builds are slow) for a console line. */
static const char *expect_log(const char *name, const char *line)
{
    const char *t = hxe_wait_log(name, line, 60000);

    HX_REQUIRE(t != NULL, "console of %s never showed '%s':\n%s", name, line,
               hxe_console_log(name));
    return t;
}

static const char *be_dir(int domid, unsigned devid)
{
    return hx_fmt("/local/domain/0/backend/vbd/%d/%u", domid, devid);
}

static const char *fe_dir(int domid, unsigned devid)
{
    return hx_fmt("/local/domain/%d/device/vbd/%u", domid, devid);
}

/* Polls a store key until it reads value (10 s at most). */
static bool wait_store(const char *path, const char *value)
{
    unsigned long long deadline = hxe_now_ms() + 10000;

    for (;;) {
        const char *v = hxe_store_read(path);

        if (v && !strcmp(v, value))
            return true;
        if (hxe_now_ms() >= deadline)
            return false;
        hx_sleep_ms(50);
    }
}

static pid_t read_pidfile(const char *name)
{
    const char *path = hx_fmt("%s/%s", hx.dir, name);
    FILE *f = fopen(path, "r");
    long pid = 0;

    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

/* kill -9 the daemon of pidfile NAME and waits until it is gone. */
static pid_t kill9(const char *pidfile)
{
    pid_t pid = read_pidfile(pidfile);

    HX_REQUIRE(hx_pid_running(pid), "%s: no live pid (%d)", pidfile, (int)pid);
    HX_REQUIRE(kill(pid, SIGKILL) == 0, "kill -9 %d: %s", (int)pid,
               strerror(errno));
    for (int i = 0; i < 500 && hx_pid_running(pid); i++)
        hx_sleep_ms(20);
    HX_REQUIRE(!hx_pid_running(pid), "%s (pid %d) survived kill -9", pidfile,
               (int)pid);
    return pid;
}

static bool blkback_alive(void)
{
    return hx_pid_running(read_pidfile("pv-blkback.pid"));
}

/* pv-blkback started as pvhost starts it (dom0-tools/pvhost). */
static void blkback_start(void)
{
    const char *bin = hx_fmt("%s/bin/pv-blkback", hx.build);
    const char *argv[] = { bin,          "--run-dir",
                           hx.dir,       "--daemon",
                           "--pidfile",  hx_fmt("%s/pv-blkback.pid", hx.dir),
                           "--log-file", hx_fmt("%s/pv-blkback.log", hx.dir),
                           NULL };
    struct hx_run r;

    HX_REQUIRE(hx_exec(&r, HX_CMD_MS, NULL, NULL, argv) == 0, "run %s", bin);
    HX_REQUIRE_OK(&r, "pv-blkback --daemon");
    HX_REQUIRE(blkback_alive(), "the new pv-blkback runs");
}

/* A text file (up to 1 MiB), "" if it cannot be read. Never NULL. */
static const char *slurp(const char *path)
{
    char *buf = hx_fmt("%*s", 1 << 20, "");
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, (1 << 20) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static const char *blkback_log(void)
{
    return slurp(hx_fmt("%s/pv-blkback.log", hx.dir));
}

/* The open flags of the file descriptor of pid that refers to path, or
 * -1 if it has none. */
static long fd_flags(pid_t pid, const char *path);

/* The pv-blkback worker (a child of pid) of domid: it runs as uid
 * 1900000000 + domid. 0 if none. */
static pid_t blk_worker_of(pid_t pid, int domid)
{
    const char *kids =
        slurp(hx_fmt("/proc/%d/task/%d/children", (int)pid, (int)pid));
    const char *want = hx_fmt("Uid:\t%u\t", 1900000000u + (unsigned)domid);
    char *end;

    for (const char *p = kids; p && *p;) {
        long kid = strtol(p, &end, 10);
        if (end == p)
            break;
        p = end;
        if (strstr(slurp(hx_fmt("/proc/%ld/status", kid)), want))
            return (pid_t)kid;
    }
    return 0;
}

/*
 * Containment: each domain's vbds are served by a worker of its own that
 * maps no other domain's memory and holds no descriptor of it, runs as
 * its own unprivileged uid, and whose pvisor connection is refused the
 * other domain (the unit test "a connection bound to one domain").
 */
static void expect_contained(const int *ids, int n)
{
    pid_t parent = read_pidfile("pv-blkback.pid");

    for (int i = 0; i < n; i++) {
        pid_t w = blk_worker_of(parent, ids[i]);
        const char *maps, *status;

        HX_CHECK(w > 0 && w != parent, "d%d has a worker of its own", ids[i]);
        HX_CHECK(w <= 0 || strstr(slurp(hx_fmt("/proc/%d/maps", (int)w)),
                                  hx_fmt("/memfd:pvisor-d%d ", ids[i])),
                 "d%d's worker maps its ring", ids[i]);
        if (w <= 0)
            continue;
        HX_CHECK(!strstr(slurp(hx_fmt("/proc/%d/maps", (int)parent)),
                         "memfd:pvisor-d"),
                 "the supervisor maps no guest memory");
        maps = slurp(hx_fmt("/proc/%d/maps", (int)w));
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            HX_CHECK(!strstr(maps, hx_fmt("/memfd:pvisor-d%d ", ids[j])),
                     "d%d's worker %d maps d%d's memory:\n%s", ids[i], (int)w,
                     ids[j], maps);
            HX_CHECK(
                fd_flags(w, hx_fmt("/memfd:pvisor-d%d (deleted)", ids[j])) < 0,
                "d%d's worker %d holds d%d's memory fd", ids[i], (int)w,
                ids[j]);
        }
        status = slurp(hx_fmt("/proc/%d/status", (int)w));
        HX_CHECK(strstr(status, hx_fmt("Uid:\t%u\t", 1900000000u + ids[i])) &&
                     strstr(status, "CapEff:\t0000000000000000") &&
                     strstr(status, "Seccomp:\t2") &&
                     strstr(status, "NoNewPrivs:\t1"),
                 "d%d's worker runs as uid 1900000000+domid, no "
                 "capabilities, seccomp:\n%s",
                 ids[i], status);
    }
}

static long fd_flags(pid_t pid, const char *path)
{
    const char *dir = hx_fmt("/proc/%d/fd", (int)pid);
    DIR *d = pid > 0 ? opendir(dir) : NULL;
    struct dirent *e;
    long flags = -1;

    while (d && flags < 0 && (e = readdir(d)) != NULL) {
        char link[PATH_MAX];
        ssize_t len =
            readlink(hx_fmt("%s/%s", dir, e->d_name), link, sizeof(link) - 1);
        const char *info;

        if (len <= 0)
            continue;
        link[len] = '\0';
        if (strcmp(link, path))
            continue;
        info = strstr(slurp(hx_fmt("/proc/%d/fdinfo/%s", (int)pid, e->d_name)),
                      "flags:");
        if (info)
            flags = strtol(info + 6, NULL, 8);
    }
    if (d)
        closedir(d);
    return flags;
}

/* No error line and no sanitizer report in pv-blkback's log. */
static void expect_clean_blkback_log(void)
{
    const char *log = blkback_log();

    HX_CHECK(!strstr(log, "] err:") && !strstr(log, "Sanitizer") &&
                 !strstr(log, "runtime error"),
             "pv-blkback.log has errors:\n%s", log);
}

/* One row of `pvctl block-list`. */
struct blk_row {
    bool found;
    int fe_state, evtchn, ring_ref, be_state;
    const char *text; /* the whole output */
};

static struct blk_row block_list(const char *dom, unsigned devid)
{
    struct blk_row row = { false, -1, -1, -1, -1, "" };
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-list", dom, NULL) == 0,
               "run pvctl block-list");
    HX_REQUIRE_OK(&r, "pvctl block-list");
    row.text = r.out;
    for (const char *p = r.out; p && *p;) {
        unsigned id;
        int be_id;

        if (sscanf(p, "%u %d %*s %d %d %d %d", &id, &be_id, &row.fe_state,
                   &row.evtchn, &row.ring_ref, &row.be_state) == 6 &&
            id == devid) {
            row.found = true;
            return row;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return row;
}

/* Neither of the device's directories exists (any more). */
static void expect_gone(int domid, unsigned devid)
{
    struct hx_run r;

    HX_CHECK(!hxe_store_read(fe_dir(domid, devid)) &&
                 !hxe_store_read(be_dir(domid, devid)),
             "the directories of vbd %u are gone:\n%s", devid,
             hx_pvctl(&r, HX_CMD_MS, "store", "ls",
                      hx_fmt("/local/domain/%d/device", domid), NULL) == 0
                 ? hx_fmt("%s%s", r.out, blkback_log())
                 : "");
}

/* The domain is alive: running or blocked. */
static void expect_running(const char *name, const char *after)
{
    struct hx_dominfo d = hx_dominfo(name);

    HX_CHECK(d.found &&
                 (!strcmp(d.state, "running") || !strcmp(d.state, "blocked")),
             "%s keeps running after %s: '%s'", name, after, d.text);
}

/*
 * Waits (10 s) for pv-blkback's "disconnected" line of domain `domid` and
 * reads its segment and iovec counts. false if it did not appear.
 */
static bool disconnect_counts(int domid, unsigned long long *segs,
                              unsigned long long *iovs)
{
    const char *tag = hx_fmt("d%d vbd %u: disconnected (", domid, XVDA);

    for (int i = 0; i < 200; i++) {
        const char *p = strstr(blkback_log(), tag);
        if (p && (p = strstr(p, "MiB written, ")) &&
            sscanf(p, "MiB written, %llu segments in %llu iovecs", segs,
                   iovs) == 2)
            return true;
        hx_sleep_ms(50);
    }
    return false;
}

/* 1. check mode: write, flush, read back in the guest; verify on the host. */
static void test_blkcheck_verify(void)
{
    const char *img = img_create("verify.img");
    int id;
    const char *log =
        blkcheck_ok("it-blkcheck", "dev=xvda seed=42 mode=check", img, &id);

    HX_CHECK(strstr(log, "blkcheck: xvda: 32768 sectors of 512 bytes, "
                         "read-write, flush 1, persistent 1,") != NULL,
             "blkcheck sees a 16 MiB read-write disk with flush and "
             "persistent grants:\n%s",
             log);
    HX_CHECK(strstr(log, "blkcheck: 6865 sectors written and flushed (seed "
                         "42)\n") != NULL,
             "blkcheck wrote and flushed:\n%s", log);
    expect_image(img, 42);
    /*
     * blkfront reuses its pool pages in the same order, so each request's
     * pages are adjacent in pv-blkback's persistent mapping: the 1 and
     * 2 MiB requests (256 segments each) reach the disk as one iovec
     * each. Without that the iovecs are nearly as many as the segments.
     */
    unsigned long long segs = 0, iovs = 0;
    bool seen = disconnect_counts(id, &segs, &iovs);
    HX_CHECK(seen && segs > 1500 && iovs * 4 < segs,
             "pv-blkback merged the segments of blkcheck's requests: %llu "
             "segments in %llu iovecs:\n%s",
             segs, iovs, blkback_log());
    /* a second guest reads back what the first wrote */
    blkcheck_ok("it-blkverify", "dev=xvda seed=42 mode=verify", img, NULL);
}

/* pv-blkback publishes its counters (statistics/) and pvctl top shows them. */
static void test_stats(void)
{
    const char *img = img_create("stats.img");
    const char *wr = NULL;
    unsigned long long rd_k = 0, wr_k = 0;
    struct hx_run r;
    int id;

    blkcheck_ok("it-blkstats", "dev=xvda seed=7 mode=check", img, &id);
    /* The domain is preserved, its disk still connected: the counters
     * arrive within a second of the last request. */
    for (int i = 0; i < 100; i++) {
        wr =
            hxe_store_read(hx_fmt("%s/statistics/wr_bytes", be_dir(id, 51712)));
        if (wr && strtoull(wr, NULL, 10) >= 6865ULL * 512)
            break;
        hx_sleep_ms(100);
    }
    HX_REQUIRE(wr && strtoull(wr, NULL, 10) >= 6865ULL * 512,
               "statistics/wr_bytes covers blkcheck's 6865 sectors: %s",
               wr ? wr : "(none)");
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "top", "-b", "-d", "0.2", "-n", "1", NULL) == 0,
        "run pvctl top");
    HX_REQUIRE_OK(&r, "top");
    const char *row = strstr(r.out, "it-blkstat");
    HX_REQUIRE(row, "a row for it-blkstats: %s", r.out);
    HX_CHECK(sscanf(row,
                    "it-blkstat %*u %*s %*f %*f %*u %*u %*u %*f %*f %*f "
                    "%*s %*s %llu %llu",
                    &rd_k, &wr_k) == 2 &&
                 rd_k >= 6865 / 2 && wr_k >= 6865 / 2,
             "VBDRD/VBDWR in KiB: %s", r.out);
}

/* 2. access=ro: the guest sees a read-only disk; the image stays as it was. */
static void test_readonly(void)
{
    static uint8_t written[IMG_SECTORS], want[IMG_BYTES];
    const char *img = img_create("ro.img");
    struct mark_arg m = { written, want, 9 };
    const char *log;
    long flags;
    int id, fd;

    memset(want, 0, sizeof(want));
    for_each_extent(IMG_SECTORS, fill_extent, &m);
    fd = open(img, O_WRONLY | O_CLOEXEC);
    HX_CHECK(fd >= 0 && pwrite(fd, want, IMG_BYTES, 0) == IMG_BYTES,
             "write %s: %s", img, strerror(errno));
    if (fd >= 0)
        close(fd);

    id = blk_create(
        "it-blkro", "dev=xvda seed=9 mode=ro",
        hx_fmt("['format=raw, vdev=xvda, access=ro, target=%s']", img));
    expect_exit("it-blkro", 0);
    log = hxe_console_log("it-blkro");
    HX_CHECK(strstr(log, "32768 sectors of 512 bytes, read-only,") != NULL,
             "the guest sees a read-only disk:\n%s", log);
    HX_CHECK(strstr(log, "blkcheck: 6865 sectors verified OK\n") != NULL,
             "the guest reads the host's pattern:\n%s", log);
    HX_CHECK(strstr(log, "blkcheck: write to the read-only device: -30\n") &&
                 strstr(log, "blkcheck: discard on the read-only device: "
                             "-30\n"),
             "writes fail with -XEN_EROFS:\n%s", log);
    HX_CHECK(
        hxe_store_read(hx_fmt("%s/mode", be_dir(id, XVDA))) &&
            !strcmp(hxe_store_read(hx_fmt("%s/mode", be_dir(id, XVDA))), "r"),
        "backend mode is 'r'");
    HX_CHECK(
        hxe_store_read(hx_fmt("%s/info", be_dir(id, XVDA))) &&
            !strcmp(hxe_store_read(hx_fmt("%s/info", be_dir(id, XVDA))), "4"),
        "backend info is 4 (VDISK_READONLY)");

    /* its pv-blkback worker holds the image open read-only (the domain
     * is kept); the supervisor closed its copy once handed over */
    flags = fd_flags(blk_worker_of(read_pidfile("pv-blkback.pid"), id), img);
    HX_CHECK(flags >= 0 && (flags & O_ACCMODE) == O_RDONLY,
             "pv-blkback's worker has %s open read-only: flags 0%lo", img,
             flags);
    HX_CHECK(fd_flags(read_pidfile("pv-blkback.pid"), img) < 0,
             "the supervisor does not keep %s open", img);

    HX_CHECK(!memcmp(img_read(img), want, IMG_BYTES),
             "the read-only image changed");
    hxe_destroy("it-blkro");
}

/* 3. block-attach, block-list, block-detach on a running guest. */
static void test_hotplug(void)
{
    const char *img = img_create("hot.img"), *img2 = img_create("idle.img");
    const char *missing = hx_fmt("%s/missing.img", hx.dir);
    struct hx_run r;
    struct blk_row row;
    const char *dom = "it-blkhot";
    int id;

    id = blk_create(dom, "dev=xvdb seed=7 mode=hotplug wait=120", "[]");
    expect_log(dom, "blkcheck: waiting for xvdb\n");

    /* a file that does not exist: a clear error, nothing written */
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "block-attach", dom,
                 hx_fmt("format=raw, vdev=xvdb, access=rw, target=%s", missing),
                 NULL) == 0,
        "run pvctl block-attach");
    HX_CHECK(r.exit_code != 0 && strstr(r.err, missing) &&
                 strstr(r.err, "xvdb") && hx_contains_ci(r.err, "no such file"),
             "attaching a missing file fails naming it: exit %d: '%s'",
             r.exit_code, r.err);
    HX_CHECK(!hxe_store_read(be_dir(id, XVDB)), "no backend dir was written");
    expect_running(dom, "a failed attach");

    /* a device the guest never opens: listed, then detached at once */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-attach", dom,
                        hx_fmt("vdev=xvdc, target=%s", img2), NULL) == 0,
               "run pvctl block-attach");
    HX_REQUIRE_OK(&r, "pvctl block-attach xvdc");
    HX_CHECK(wait_store(hx_fmt("%s/state", be_dir(id, XVDC)), "2"),
             "the backend offers xvdc (InitWait)");
    row = block_list(dom, XVDC);
    HX_CHECK(row.found && row.fe_state == 1 && row.be_state == 2,
             "block-list shows xvdc unopened (1/2):\n%s", row.text);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-detach", dom, "xvdc", NULL) == 0,
               "run pvctl block-detach");
    HX_CHECK(r.exit_code == 0 && !*r.err,
             "detaching an unused device is clean: exit %d: '%s'", r.exit_code,
             r.err);

    /* the real one: the guest opens it, writes and checks it */
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "block-attach", dom,
                 hx_fmt("format=raw, vdev=xvdb, access=rw, target=%s", img),
                 NULL) == 0,
        "run pvctl block-attach");
    HX_REQUIRE_OK(&r, "pvctl block-attach xvdb");
    expect_log(dom, "blkcheck: xvdb attached: 32768 sectors\n");
    expect_log(dom, "blkcheck: 6865 sectors verified OK\n");
    row = block_list(dom, XVDB);
    HX_CHECK(row.found && row.fe_state == 4 && row.be_state == 4 &&
                 row.evtchn > 0 && row.ring_ref >= 0,
             "block-list shows xvdb connected (4/4):\n%s", row.text);
    HX_CHECK(!block_list(dom, XVDC).found, "xvdc is gone from block-list");

    /* the same vdev again: a clear error; the device keeps working */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-attach", dom,
                        hx_fmt("vdev=xvdb, target=%s", img2), NULL) == 0,
               "run pvctl block-attach");
    HX_CHECK(
        r.exit_code != 0 && strstr(r.err, "xvdb") && strstr(r.err, "already"),
        "a duplicate vdev fails naming it: exit %d: '%s'", r.exit_code, r.err);
    expect_running(dom, "a duplicate attach");
    row = block_list(dom, XVDB);
    HX_CHECK(row.found && row.fe_state == 4 && row.be_state == 4,
             "xvdb still connected:\n%s", row.text);
    HX_CHECK(
        hxe_store_read(hx_fmt("%s/params", be_dir(id, XVDB))) &&
            !strcmp(hxe_store_read(hx_fmt("%s/params", be_dir(id, XVDB))), img),
        "params still names the first image");

    /* detach: the guest sees the device close, both directories go */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-detach", dom, "xvdb", NULL) == 0,
               "run pvctl block-detach");
    HX_CHECK(r.exit_code == 0 && !*r.err, "block-detach: exit %d: '%s'",
             r.exit_code, r.err);
    row = block_list(dom, XVDB);
    HX_CHECK(!row.found, "block-list no longer shows xvdb:\n%s", row.text);
    expect_log(dom, "blkcheck: xvdb closed (-19)\n");
    expect_exit(dom, 0);
    /* after the guest's last word: it must not have recreated anything */
    HX_CHECK(!hxe_store_read(fe_dir(id, XVDB)) &&
                 !hxe_store_read(hx_fmt("%s/state", fe_dir(id, XVDB))),
             "the frontend directory is gone");
    HX_CHECK(!hxe_store_read(be_dir(id, XVDB)), "the backend dir is gone");
    HX_CHECK(!hxe_store_read(fe_dir(id, XVDC)) &&
                 !hxe_store_read(be_dir(id, XVDC)),
             "xvdc's directories are gone");
    expect_image(img, 7);
    expect_clean_blkback_log();
    hxe_destroy(dom);
}

/* The number of the last "pass N OK (seed S)" line; *seed gets S. */
static long last_pass(const char *log, unsigned long *seed)
{
    long last = 0;

    for (const char *p = strstr(log, "blkcheck: pass "); p;
         p = strstr(p + 1, "blkcheck: pass ")) {
        long n;
        unsigned long s;

        if (sscanf(p, "blkcheck: pass %ld OK (seed %lu)", &n, &s) == 2) {
            last = n;
            *seed = s;
        }
    }
    return last;
}

/* blkcheck inplace=1's last line "blkcheck: N of M ring requests in
 * place": false if it is not in log. */
static bool in_place_counts(const char *log, unsigned long *n,
                            unsigned long *all)
{
    const char *p = strstr(log, " ring requests in place");

    while (p && p > log && p[-1] != '\n')
        p--;
    return p && sscanf(p, "blkcheck: %lu of %lu ring", n, all) == 2;
}

/*
 * 4. kill -9 pv-blkback under I/O, start a new one: the guests carry on,
 * one copying through blkfront's pool, one on in-place buffers (its
 * requests in flight name the buffer's own grants, which the new backend
 * maps afresh).
 */
static void test_backend_restart(void)
{
    static const char *const doms[] = { "it-blkrestart", "it-blkinplace" };
    static const char *const cmdlines[] = {
        "dev=xvda seed=20 mode=loop",
        "dev=xvda seed=40 mode=loop inplace=1",
    };
    const char *img[2], *state[2], *log;
    unsigned long seed = 0;
    struct hx_run r;
    long pass;
    pid_t old;
    int id[2];

    for (int i = 0; i < 2; i++) {
        img[i] = img_create(hx_fmt("restart%d.img", i));
        id[i] = blk_create(doms[i], cmdlines[i], disk_rw("xvda", img[i]));
        state[i] = hx_fmt("%s/state", be_dir(id[i], XVDA));
    }
    for (int i = 0; i < 2; i++) {
        expect_log(doms[i], "blkcheck: pass 2 OK");
        HX_CHECK(wait_store(state[i], "4"),
                 "%s: backend Connected before the restart", doms[i]);
    }
    expect_contained(id, 2);

    old = kill9("pv-blkback.pid");
    blkback_start();
    HX_CHECK(read_pidfile("pv-blkback.pid") != old, "a new pv-blkback pid");
    for (int i = 0; i < 2; i++) {
        expect_log(doms[i], "blkfront: device/vbd/51712: backend restarted, "
                            "reconnecting\n");
        HX_CHECK(wait_store(state[i], "4"),
                 "%s: backend Connected again: state '%s'", doms[i],
                 hxe_store_read(state[i]) ? hxe_store_read(state[i])
                                          : "(missing)");
        HX_CHECK(wait_store(hx_fmt("%s/state", fe_dir(id[i], XVDA)), "4"),
                 "%s: frontend Connected again", doms[i]);
    }

    for (int i = 0; i < 2; i++) {
        /* two whole passes after the reconnection was seen */
        pass = last_pass(hxe_console_log(doms[i]), &seed);
        expect_log(doms[i], hx_fmt("blkcheck: pass %ld OK", pass + 2));
        HX_REQUIRE(
            hx_pvctl(&r, HX_CMD_MS, "store", "write",
                     hx_fmt("/local/domain/%d/data/blkcheck-stop", id[i]), "1",
                     NULL) == 0,
            "run pvctl store write");
        HX_REQUIRE_OK(&r, "pvctl store write data/blkcheck-stop");
        expect_exit(doms[i], 0);
        log = hxe_console_log(doms[i]);
        HX_CHECK(!strstr(log, "failed") && !strstr(log, "MISMATCH"),
                 "%s: no pass failed:\n%s", doms[i], log);
        pass = last_pass(log, &seed);
        HX_CHECK(pass >= 4, "%s: passes: %ld", doms[i], pass);
        unsigned long n = 0, all = 0;
        bool counted = in_place_counts(log, &n, &all);
        HX_CHECK(i == 0 || (counted && n > 100),
                 "%s: its requests went in place: %lu of %lu", doms[i], n, all);
        expect_image(img[i], seed);
        hxe_destroy(doms[i]);
    }
    HX_CHECK(blkback_alive(), "the new pv-blkback still runs");
    expect_clean_blkback_log();
}

/*
 * A hard reboot while the guest does I/O: pvisor reloads the guest's
 * memory under pv-blkback's ring mapping. That is a restart, not a
 * hostile frontend: no error in the log, the rebooted guest connects
 * again and its passes succeed.
 */
static void test_reboot_during_io(void)
{
    const char *img = img_create("reboot.img");
    const char *dom = "it-blkreboot", *log;
    const char *state;
    unsigned long seed = 0;
    struct hx_run r;
    long pass;
    int id;

    id = blk_create(dom, "dev=xvda seed=30 mode=loop", disk_rw("xvda", img));
    state = hx_fmt("%s/state", be_dir(id, XVDA));
    expect_log(dom, "blkcheck: pass 2 OK");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "reboot", "-F", dom, NULL) == 0,
               "run pvctl reboot -F");
    HX_REQUIRE_OK(&r, "pvctl reboot -F");
    expect_log(dom, "[pvisor] domain restarted");
    /* the new run's own passes, after the restart line */
    {
        unsigned long long deadline = hxe_now_ms() + 30000;
        const char *after = "";

        while (hxe_now_ms() < deadline) {
            const char *l = hxe_console_log(dom);
            const char *m = strstr(l, "[pvisor] domain restarted");

            after = m ? m : "";
            if (strstr(after, "blkcheck: pass 2 OK"))
                break;
            hx_sleep_ms(100);
        }
        HX_CHECK(strstr(after, "blkcheck: pass 2 OK") != NULL,
                 "two passes after the reboot:\n%s", hxe_console_log(dom));
    }
    HX_CHECK(wait_store(state, "4"), "backend Connected again: state '%s'",
             hxe_store_read(state) ? hxe_store_read(state) : "(missing)");
    HX_CHECK(hx_dominfo(dom).domid == id, "same domid");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "store", "write",
                        hx_fmt("/local/domain/%d/data/blkcheck-stop", id), "1",
                        NULL) == 0,
               "run pvctl store write");
    HX_REQUIRE_OK(&r, "pvctl store write data/blkcheck-stop");
    expect_exit(dom, 0);
    log = hxe_console_log(dom);
    HX_CHECK(!strstr(log, "MISMATCH"), "no pass saw wrong data:\n%s", log);
    pass = last_pass(log, &seed);
    HX_CHECK(pass >= 2, "passes: %ld", pass);
    expect_image(img, seed);
    HX_CHECK(blkback_alive(), "pv-blkback survives the reboot");
    expect_clean_blkback_log();
    hxe_destroy(dom);
}

/* 5. block-detach while I/O is in flight: errors for the guest, no harm. */
static void test_detach_in_flight(void)
{
    const char *img = img_create("inflight.img");
    const char *dom = "it-blkdetach", *log;
    struct hx_dominfo d;
    struct hx_run r;
    int id;

    id = blk_create(dom, "dev=xvda mode=bench mb=16 secs=600 qd=32",
                    disk_rw("xvda", img));
    /* the random-read phase keeps 32 requests in flight */
    expect_log(dom, "blkbench: seq-read ");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "block-detach", dom, "xvda", NULL) == 0,
               "run pvctl block-detach");
    HX_CHECK(r.exit_code == 0 && !*r.err, "block-detach: exit %d: '%s'",
             r.exit_code, r.err);
    log = expect_log(dom, "blkbench: rand-read-4k stopped after ");
    HX_CHECK(strstr(log, "I/O error -5") || strstr(log, "submit failed: -19"),
             "the guest reports I/O errors or a closed device:\n%s", log);
    expect_exit(dom, 1);
    log = hxe_console_log(dom);
    HX_CHECK(!strstr(log, "unanswered"),
             "the backend answered every request itself:\n%s", log);
    d = hx_dominfo(dom);
    HX_CHECK(d.found && !strcmp(d.reason, "poweroff"),
             "the guest was not crashed: '%s'", d.text);
    HX_CHECK(blkback_alive(), "pv-blkback survives the detach");
    expect_gone(id, XVDA);
    expect_clean_blkback_log();
    hxe_destroy(dom);
}

/*
 * 6. After blkcheck says its writes are flushed, kill -9 the daemon of
 * pidfile; the image must hold everything.
 */
static void flush_then_kill(const char *pidfile, const char *dom)
{
    const char *img = img_create("flush.img");
    struct hx_run r;

    blk_create(dom, "dev=xvda seed=77 mode=check", disk_rw("xvda", img));
    expect_log(dom, "blkcheck: 6865 sectors written and flushed (seed 77)\n");
    kill9(pidfile);
    expect_image(img, 77);
    if (strcmp(pidfile, "pvisor.pid"))
        return;
    /* a fresh host side, so that teardown finds pvisor alive */
    {
        const char *stop[] = { hx.pvhost, "stop", "-r", hx.dir, NULL };
        const char *start[] = { hx.pvhost, "start", "-r", hx.dir, NULL };

        HX_REQUIRE(hx_exec(&r, 60000, NULL, NULL, stop) == 0, "pvhost stop");
        HX_REQUIRE(hx_exec(&r, HX_CMD_MS, NULL, NULL, start) == 0,
                   "pvhost start");
        HX_REQUIRE_OK(&r, "pvhost start after pvisor was killed");
    }
}

static void test_flush_kill_blkback(void)
{
    flush_then_kill("pv-blkback.pid", "it-blkflush");
    hxe_destroy("it-blkflush");
}

static void test_flush_kill_pvisor(void)
{
    flush_then_kill("pvisor.pid", "it-blkflush2");
}

/*
 * 10. In-place buffers (gk_blk_buffer_alloc): blkcheck's whole check with
 * its data in them; every read and write ring request goes without the
 * pool copy, and the image holds the pattern.
 */
static void test_in_place(void)
{
    const char *img = img_create("inplace.img");
    unsigned long in_place = 0, all = 0;
    const char *log = blkcheck_ok(
        "it-inplace", "dev=xvda seed=7 mode=check inplace=1", img, NULL);
    bool found = in_place_counts(log, &in_place, &all);

    expect_image(img, 7);
    HX_CHECK(found && in_place > 100 && in_place + 1 == all,
             "all ring requests but the flush were in place: %lu of %lu:\n%s",
             in_place, all, log);
}

/* The mount test_mem_path made, undone by the suite's teardown hook. */
static char mem_dir[64];
static bool mem_mounted;

static void block_teardown(void)
{
    if (mem_mounted && umount2(mem_dir, MNT_DETACH) != 0)
        HX_CHECK(false, "umount %s: %s", mem_dir, strerror(errno));
    if (mem_dir[0])
        rmdir(mem_dir);
    mem_dir[0] = '\0';
    mem_mounted = false;
}

const struct integ_hooks integ_hooks_block = { "block", NULL, NULL,
                                               block_teardown };

/* Bytes in use on the file system of path, or -1. */
static long long fs_used(const char *path)
{
    struct statvfs v;

    if (statvfs(path, &v) != 0)
        return -1;
    return (long long)(v.f_blocks - v.f_bfree) * (long long)v.f_frsize;
}

/*
 * 9. pvisor --mem-path DIR: guest RAM lives in unnamed files there (a
 * tmpfs with 2 MiB pages when the test may mount one, else a plain
 * directory, which pvisor warns about). blkcheck works on it, and the
 * space comes back when the domain is destroyed.
 */
static void test_mem_path(void)
{
    const char *img = img_create("mem.img");
    const char *args[] = { "--mem-path", mem_dir, NULL };
    long long idle, booted, after;
    const char *maps;
    struct hx_run r;
    long pid = 0;
    FILE *f;

    snprintf(mem_dir, sizeof(mem_dir), "/tmp/pvisor-mem.XXXXXX");
    HX_REQUIRE(mkdtemp(mem_dir), "mkdtemp: %s", strerror(errno));
    mem_mounted = mount("pvisor-it-mem", mem_dir, "tmpfs", 0,
                        "huge=always,size=512m,mode=0700") == 0;
    printf("\n    guest RAM in %s (%s) ", mem_dir,
           mem_mounted ? "tmpfs, huge=always" : "a plain directory");
    HX_REQUIRE(hx_host_restart(args) == 0, "%s", hx.setup_error);
    idle = fs_used(mem_dir);
    blkcheck_ok("it-mempath", "dev=xvda seed=5 mode=check", img, NULL);
    expect_image(img, 5);
    /* pvisor maps an unnamed file of the directory ("DIR/#INODE") */
    f = fopen(hx_fmt("%s/pvisor.pid", hx.dir), "r");
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    maps = slurp(hx_fmt("/proc/%ld/maps", pid));
    HX_CHECK(pid > 0 && strstr(maps, hx_fmt("%s/#", mem_dir)),
             "pvisor (pid %ld) maps guest RAM from %s:\n%s", pid, mem_dir,
             maps);
    booted = fs_used(mem_dir);
    HX_CHECK(hx_pvctl(&r, HX_CMD_MS, "destroy", "it-mempath", NULL) == 0 &&
                 r.exit_code == 0,
             "pvctl destroy: exit %d: %s", r.exit_code, r.err);
    /* the dom0 services drop their mappings of it soon after */
    for (int i = 0; i < 100 && (after = fs_used(mem_dir)) != idle; i++)
        hx_sleep_ms(50);
    if (mem_mounted)
        HX_CHECK(booted > idle && after == idle,
                 "the domain's RAM is in %s while it exists: %lld bytes used "
                 "before boot, %lld after, %lld after destroy",
                 mem_dir, idle, booted, after);
    else
        hx_skip_part("tmpfs mount (huge=always)",
                     "the RAM-reclaim check: cannot mount a tmpfs on %s",
                     mem_dir);
}

static const struct integ_test tests[] = {
    { "blkcheck_verify", test_blkcheck_verify },
    { "stats", test_stats },
    { "readonly", test_readonly },
    { "hotplug", test_hotplug },
    { "backend_restart", test_backend_restart },
    { "reboot_during_io", test_reboot_during_io },
    { "detach_in_flight", test_detach_in_flight },
    { "flush_kill_blkback", test_flush_kill_blkback },
    { "flush_kill_pvisor", test_flush_kill_pvisor },
    { "mem_path", test_mem_path },
    { "in_place", test_in_place },
    { NULL, NULL },
};

const struct integ_suite integ_suite_block = { "block", true, tests };
