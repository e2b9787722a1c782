/* SPDX-License-Identifier: MIT */
/* balloon.c: dirties most of its RAM, frees it, then idles (mem-set tests). */
#include <guestkit/guestkit.h>

/*
 * Allocates pages until 3/4 of RAM is in use, writes every one (so the
 * host really backs them), frees them all again and prints "balloon:
 * touched N KiB". Then it idles; guest-kit's balloon driver follows
 * memory/target. Every second it prints "balloon: holding N KiB" when the
 * amount changed.
 */
int main(void)
{
    uint64_t want = gk_start_info.nr_pages * 3 / 4, n = 0, last = 0;
    void **pages = gk_alloc_pages(8); /* 1 MiB of pointers */
    uint64_t max = (GK_PAGE_SIZE << 8) / sizeof(void *);

    if (!pages)
        return 1;
    while (n < want && n < max) {
        void *p = gk_alloc_page();
        if (!p)
            break;
        memset(p, 0xa5, GK_PAGE_SIZE);
        pages[n++] = p;
    }
    for (uint64_t i = 0; i < n; i++)
        gk_free_page(pages[i]);
    gk_printf("balloon: touched %lu KiB\n", n * 4);
    for (;;) {
        uint64_t now = gk_balloon_pages();
        if (now != last)
            gk_printf("balloon: holding %lu KiB\n", now * 4);
        last = now;
        gk_msleep(200);
    }
    return 0;
}
