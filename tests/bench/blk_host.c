// SPDX-License-Identifier: MIT
/* blk_host.c: host O_DIRECT baseline for the block bench (io_uring, same I/O). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * blk-host FILE MB SECS QD SEQQD [thp]: the same three runs as the
 * blkcheck guest's bench mode (1 MiB sequential write, 1 MiB sequential
 * read, 4 KiB random read for SECS seconds), with O_DIRECT, printed in the
 * same "blkbench: ..." format. The buffer is plain posix_memalign memory,
 * or with "thp" 2 MiB-aligned and madvised into transparent huge pages
 * (physically contiguous: few, large segments per request).
 */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int run(struct io_uring *ring, int fd, uint64_t size, int write,
               size_t bs, int random, unsigned int qd, uint64_t total,
               uint64_t secs, uint8_t *buf, const char *label)
{
    uint64_t span = size / bs, issued = 0, done = 0, next = 0;
    uint64_t t0 = now_ns(), end = t0 + secs * 1000000000ull, ns;
    unsigned int inflight = 0, slot = 0;

    for (;;) {
        int more = total ? issued < total : now_ns() < end;
        while (more && inflight < qd) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
            uint64_t blk = random ? rng() % span : next++ % span;
            uint8_t *p = buf + (size_t)slot * bs;
            if (write)
                io_uring_prep_write(sqe, fd, p, (unsigned)bs, blk * bs);
            else
                io_uring_prep_read(sqe, fd, p, (unsigned)bs, blk * bs);
            slot = (slot + 1) % qd;
            inflight++;
            issued++;
            more = total ? issued < total : now_ns() < end;
        }
        if (!more && !inflight)
            break;
        struct io_uring_cqe *cqe;
        int e = io_uring_submit_and_wait(ring, 1);
        if (e < 0) {
            fprintf(stderr, "blk-host: io_uring: %s\n", strerror(-e));
            return -1;
        }
        while (io_uring_peek_cqe(ring, &cqe) == 0) {
            if (cqe->res != (int)bs) {
                fprintf(stderr, "blk-host: I/O failed: %d\n", cqe->res);
                return -1;
            }
            io_uring_cqe_seen(ring, cqe);
            inflight--;
            done++;
        }
    }
    ns = now_ns() - t0;
    if (random)
        printf("blkbench: %s %llu IOPS (%llu requests in %llu ms, qd %u)\n",
               label, (unsigned long long)(done * 1000000000ull / ns),
               (unsigned long long)done, (unsigned long long)(ns / 1000000),
               qd);
    else
        printf("blkbench: %s %llu MB/s (%llu MiB in %llu ms, qd %u)\n", label,
               (unsigned long long)(done * bs * 1000ull / ns),
               (unsigned long long)(done * bs >> 20),
               (unsigned long long)(ns / 1000000), qd);
    return 0;
}

/* KiB of this process's memory in transparent huge pages, -1 unknown. */
static long long anon_huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    struct io_uring ring;
    struct stat st;
    uint8_t *buf;
    int fd, rc;

    int thp = argc == 7 && !strcmp(argv[6], "thp");

    if (argc != 6 && !thp) {
        fprintf(stderr, "usage: blk-host FILE MB SECS QD SEQQD [thp]\n");
        return 2;
    }
    uint64_t mb = strtoull(argv[2], NULL, 10);
    uint64_t secs = strtoull(argv[3], NULL, 10);
    unsigned int qd = (unsigned)atoi(argv[4]), sqd = (unsigned)atoi(argv[5]);
    fd = open(argv[1], O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "blk-host: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (qd < 1 || qd > 64 || sqd < 1 || sqd > 16 ||
        posix_memalign((void **)&buf, thp ? 2u << 20 : 4096, 16u << 20) ||
        io_uring_queue_init(128, &ring, 0) < 0) {
        fprintf(stderr, "blk-host: bad arguments or out of memory\n");
        return 1;
    }
    if (thp)
        madvise(buf, 16u << 20, MADV_HUGEPAGE); /* a hint: may be refused */
    memset(buf, 0x5a, 16u << 20);
    if (thp)
        printf("blkbench: thp-kb %lld\n", anon_huge_kb());
    rc = run(&ring, fd, (uint64_t)st.st_size, 1, 1 << 20, 0, sqd, mb, 0, buf,
             "seq-write") ||
         fdatasync(fd) ||
         run(&ring, fd, (uint64_t)st.st_size, 0, 1 << 20, 0, sqd, mb, 0, buf,
             "seq-read") ||
         run(&ring, fd, (uint64_t)st.st_size, 0, 4096, 1, qd, 0, secs, buf,
             "rand-read-4k");
    io_uring_queue_exit(&ring);
    free(buf);
    close(fd);
    return rc ? 1 : 0;
}
