// SPDX-License-Identifier: MIT
/* xs_read.c: dom0 side of the xenstore bench: timed xs_read() batches. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xenstore.h"

/*
 * usage: xsread [-n N] [-r REPS] PATH
 *
 * Connects to pvstored (XENSTORED_PATH or PVISOR_RUN_DIR) as any dom0
 * program does, reads PATH 100 times to warm up, then REPS batches of N
 * xs_read() calls, each timed with CLOCK_MONOTONIC; one line per batch.
 */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One read; the value is freed. 0, or -1 with a message. */
static int read_once(struct xs_handle *h, const char *path, char *out,
                     size_t outlen)
{
    unsigned int len;
    char *v = xs_read(h, XBT_NULL, path, &len);

    if (!v) {
        fprintf(stderr, "xsread: xs_read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (out)
        snprintf(out, outlen, "%s", v);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    long n = 2000, reps = 3;
    char value[64] = "";
    struct xs_handle *h;
    const char *path;
    int opt;

    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            n = strtol(optarg, NULL, 0);
        else if (opt == 'r')
            reps = strtol(optarg, NULL, 0);
        else
            goto usage;
    }
    if (argc - optind != 1 || n <= 0 || reps <= 0)
        goto usage;
    path = argv[optind];
    h = xs_open(0);
    if (!h) {
        fprintf(stderr, "xsread: xs_open: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < 100; i++)
        if (read_once(h, path, value, sizeof(value)) < 0)
            goto fail;
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();

        for (long i = 0; i < n; i++)
            if (read_once(h, path, NULL, 0) < 0)
                goto fail;
        printf("xsread: n=%ld total_ns=%" PRIu64 " value=%s\n", n,
               now_ns() - t0, value);
        fflush(stdout);
    }
    xs_close(h);
    return 0;
fail:
    xs_close(h);
    return 1;
usage:
    fprintf(stderr, "usage: xsread [-n N] [-r REPS] PATH\n");
    return 2;
}
