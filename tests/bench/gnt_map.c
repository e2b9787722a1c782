// SPDX-License-Identifier: MIT
/* gnt_map.c: dom0 side of the grant bench: map+unmap per page vs memfd. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pvgnttab.h"

/*
 * usage: gntmap [-r REPS] [-b BATCHES] DOMID FIRST_REF K
 *
 * The guest granted K pages read-write to dom0 as refs FIRST_REF ..
 * FIRST_REF+K-1, each page starting with its ref (checked once, untimed).
 * Each of REPS rounds times, in this order:
 *   grant-single  K times pvgnttab_map_grant_ref + pvgnttab_unmap (1 page)
 *   grant-batch   BATCHES times one pvgnttab_map_domain_grant_refs of all
 *                 K refs + one pvgnttab_unmap
 *   memfd-single  K times mmap + munmap of one page of a K-page memfd
 *   memfd-batch   BATCHES times one mmap + munmap of all K memfd pages
 * The memfd's pages are written first, as the guest's are. Nothing is
 * touched through the mappings. One line per measurement:
 *   gntmap: mode=M pages=P total_ns=T
 */

#define PG 4096u

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void report(const char *mode, unsigned long pages, uint64_t ns)
{
    printf("gntmap: mode=%s pages=%lu total_ns=%" PRIu64 "\n", mode, pages, ns);
    fflush(stdout);
}

static int fail(const char *what, int err)
{
    fprintf(stderr, "gntmap: %s: %s\n", what, strerror(err));
    return 1;
}

/* Map all K at once and check each page's first word. */
static int verify(pvgnttab *g, uint32_t domid, const uint32_t *refs, uint32_t k)
{
    uint8_t *p = pvgnttab_map_domain_grant_refs(g, k, domid, refs,
                                                PROT_READ | PROT_WRITE);
    int rc = 0, e;

    if (!p)
        return fail("map (check)", errno);
    for (uint32_t i = 0; i < k && !rc; i++) {
        uint32_t v;

        memcpy(&v, p + (size_t)i * PG, sizeof(v));
        if (v != refs[i]) {
            fprintf(stderr, "gntmap: page of ref %u holds %u\n", refs[i], v);
            rc = 1;
        }
    }
    if ((e = pvgnttab_unmap(g, p, k)) < 0 && !rc)
        rc = fail("unmap (check)", -e);
    return rc;
}

int main(int argc, char **argv)
{
    long reps = 3, batches = 8;
    uint32_t domid, first, k, *refs;
    const int prot = PROT_READ | PROT_WRITE;
    pvgnttab *g;
    int opt, fd, rc = 0;

    while ((opt = getopt(argc, argv, "r:b:")) != -1) {
        if (opt == 'r')
            reps = strtol(optarg, NULL, 0);
        else if (opt == 'b')
            batches = strtol(optarg, NULL, 0);
        else
            goto usage;
    }
    if (argc - optind != 3 || reps <= 0 || batches <= 0)
        goto usage;
    domid = (uint32_t)strtoul(argv[optind], NULL, 0);
    first = (uint32_t)strtoul(argv[optind + 1], NULL, 0);
    k = (uint32_t)strtoul(argv[optind + 2], NULL, 0);
    if (k == 0 || k > 1024)
        goto usage;
    refs = calloc(k, sizeof(*refs));
    if (!refs)
        return fail("calloc", ENOMEM);
    for (uint32_t i = 0; i < k; i++)
        refs[i] = first + i;

    fd = memfd_create("gntmap-baseline", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)k * PG) < 0)
        return fail("memfd", errno);
    for (uint32_t i = 0; i < k; i++)
        if (pwrite(fd, &refs[i], sizeof(refs[i]), (off_t)i * PG) !=
            sizeof(refs[i]))
            return fail("memfd write", errno);

    g = pvgnttab_open(NULL);
    if (!g)
        return fail("pvgnttab_open", errno);
    if ((rc = pvgnttab_bind_domain(g, domid)) != 0) {
        pvgnttab_close(g);
        return fail("pvgnttab_bind_domain", -rc);
    }
    if (verify(g, domid, refs, k)) {
        pvgnttab_close(g);
        return 1;
    }

    for (long r = 0; r < reps && !rc; r++) {
        uint64_t t0 = now_ns();

        for (uint32_t i = 0; i < k && !rc; i++) {
            void *p = pvgnttab_map_grant_ref(g, domid, refs[i], prot);
            int e;

            if (!p)
                rc = fail("pvgnttab_map_grant_ref", errno);
            else if ((e = pvgnttab_unmap(g, p, 1)) < 0)
                rc = fail("pvgnttab_unmap", -e);
        }
        if (rc)
            break;
        report("grant-single", k, now_ns() - t0);

        t0 = now_ns();
        for (long b = 0; b < batches && !rc; b++) {
            void *p = pvgnttab_map_domain_grant_refs(g, k, domid, refs, prot);
            int e;

            if (!p)
                rc = fail("pvgnttab_map_domain_grant_refs", errno);
            else if ((e = pvgnttab_unmap(g, p, k)) < 0)
                rc = fail("pvgnttab_unmap", -e);
        }
        if (rc)
            break;
        report("grant-batch", (unsigned long)k * (unsigned long)batches,
               now_ns() - t0);

        t0 = now_ns();
        for (uint32_t i = 0; i < k && !rc; i++) {
            void *p = mmap(NULL, PG, prot, MAP_SHARED, fd, (off_t)i * PG);

            if (p == MAP_FAILED)
                rc = fail("mmap", errno);
            else
                munmap(p, PG);
        }
        if (rc)
            break;
        report("memfd-single", k, now_ns() - t0);

        t0 = now_ns();
        for (long b = 0; b < batches && !rc; b++) {
            void *p = mmap(NULL, (size_t)k * PG, prot, MAP_SHARED, fd, 0);

            if (p == MAP_FAILED)
                rc = fail("mmap", errno);
            else
                munmap(p, (size_t)k * PG);
        }
        if (!rc)
            report("memfd-batch", (unsigned long)k * (unsigned long)batches,
                   now_ns() - t0);
    }
    pvgnttab_close(g);
    close(fd);
    free(refs);
    return rc;
usage:
    fprintf(stderr, "usage: gntmap [-r REPS] [-b BATCHES] DOMID FIRST_REF "
                    "K\n");
    return 2;
}
