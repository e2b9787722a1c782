/* SPDX-License-Identifier: MIT */
/* saver.c: a counter and a known memory pattern, for save/restore tests. */
#include <guestkit/guestkit.h>

#define AREA_PAGES 1024 /* 4 MiB */
#define PERIOD_NS  (50 * GK_NSEC_PER_MSEC)

static uint64_t area[AREA_PAGES][GK_PAGE_SIZE / 8];
static uint64_t gen[AREA_PAGES]; /* page p holds word(p, i) ^ gen[p] */

static uint64_t word(uint64_t page, uint64_t i)
{
    return (page * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL) ^
           0x5afe5afe5afe5afeULL;
}

/*
 * Fills 4 MiB with a pattern, then counts: every 50 ms it prints
 * "saver: count N ok" once every page of the pattern checked out, or
 * "saver: count N BAD page P" (and stops checking) when one did not. Each
 * tick also rewrites 16 pages with a new generation of the pattern, so
 * memory keeps changing (a page a migration or save missed shows up). Runs until shut down; "saver: start"
 * appears only once per boot.
 */
int main(void)
{
    uint64_t n = 0;

    for (uint64_t p = 0; p < AREA_PAGES; p++)
        for (uint64_t i = 0; i < GK_PAGE_SIZE / 8; i++)
            area[p][i] = word(p, i);
    gk_printf("saver: start\n");
    for (;;) {
        uint64_t bad = AREA_PAGES;

        n++;
        for (uint64_t p = 0; p < AREA_PAGES && bad == AREA_PAGES; p++)
            for (uint64_t i = 0; i < GK_PAGE_SIZE / 8; i++)
                if (area[p][i] != (word(p, i) ^ gen[p])) {
                    bad = p;
                    break;
                }
        if (bad != AREA_PAGES) {
            gk_printf("saver: count %lu BAD page %lu\n", n, bad);
            for (;;)
                gk_sleep_ns(GK_NSEC_PER_SEC);
        }
        gk_printf("saver: count %lu ok\n", n);
        for (uint64_t k = 0; k < 16; k++) {
            uint64_t p = (n * 16 + k) % AREA_PAGES;
            gen[p] = n;
            for (uint64_t i = 0; i < GK_PAGE_SIZE / 8; i++)
                area[p][i] = word(p, i) ^ n;
        }
        gk_sleep_ns(PERIOD_NS);
    }
    return 0;
}
