/* SPDX-License-Identifier: MIT */
/* balloon.c: follows memory/target by giving pages back and taking them. */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

#define TARGET_KEY "memory/target"
#define BATCH      512 /* pfns per memory_op */

/*
 * Pages handed back to the hypervisor, by pfn. Their contents are gone
 * (the host reclaimed them), so the list lives in the heap, not in them.
 */
static xen_pfn_t *held;
static uint64_t nr_held, cap_held; /* only the xenwatch thread writes */

static uint64_t total_pages(void)
{
    return gk_start_info.nr_pages;
}

static int reserve(uint64_t want)
{
    if (want <= cap_held)
        return 0;
    uint64_t cap = cap_held ? cap_held * 2 : 1024;
    while (cap < want)
        cap *= 2;
    xen_pfn_t *n = gk_malloc(cap * sizeof(*n));
    if (!n)
        return -XEN_ENOMEM;
    if (held)
        memcpy(n, held, nr_held * sizeof(*n));
    gk_free(held);
    held = n;
    cap_held = cap;
    return 0;
}

static long memory_op(unsigned int cmd, xen_pfn_t *pfns, uint64_t n)
{
    struct xen_memory_reservation r = {
        .extent_start = (uint64_t)(uintptr_t)pfns,
        .nr_extents = n,
        .extent_order = 0,
        .domid = DOMID_SELF,
    };
    return HYPERVISOR_memory_op(cmd, &r);
}

/* Give up to `n` pages back; returns how many went. */
static uint64_t shrink(uint64_t n)
{
    xen_pfn_t batch[BATCH];
    uint64_t done = 0;

    while (done < n) {
        uint64_t k = 0, want = n - done < BATCH ? n - done : BATCH;
        long rc;

        if (reserve(nr_held + want))
            break;
        while (k < want) {
            void *p = gk_alloc_page();
            if (!p)
                break;
            batch[k++] = gk_virt_to_pfn(p);
        }
        if (!k)
            break;
        rc = memory_op(XENMEM_decrease_reservation, batch, k);
        uint64_t ok = rc > 0 ? (uint64_t)rc : 0;
        memcpy(held + nr_held, batch, ok * sizeof(*batch));
        nr_held += ok;
        for (uint64_t i = ok; i < k; i++) /* refused: keep them */
            gk_free_page(gk_pfn_to_virt(batch[i]));
        done += ok;
        if (ok < k)
            break;
    }
    return done;
}

/* Take up to `n` pages back; returns how many came. */
static uint64_t grow(uint64_t n)
{
    uint64_t done = 0;

    while (done < n && nr_held) {
        uint64_t k = n - done < BATCH ? n - done : BATCH;
        if (k > nr_held)
            k = nr_held;
        xen_pfn_t *batch = held + nr_held - k;
        long rc = memory_op(XENMEM_populate_physmap, batch, k);
        uint64_t ok = rc > 0 ? (uint64_t)rc : 0;
        /* populate takes from the front of batch. */
        for (uint64_t i = 0; i < ok; i++)
            gk_free_page(gk_pfn_to_virt(batch[i]));
        memmove(batch, batch + ok, (k - ok) * sizeof(*batch));
        nr_held -= ok;
        done += ok;
        if (ok < k)
            break;
    }
    return done;
}

static void target_changed(struct gk_xenbus_watch *w, const char *path,
                           void *data)
{
    char buf[32];
    const char *end;
    long kb;

    (void)w;
    (void)path;
    (void)data;
    if (gk_xenbus_read_str(GK_XBT_NIL, TARGET_KEY, buf, sizeof(buf)) < 0)
        return;
    kb = gk_strtol(buf, &end, 10);
    if (*end || kb < 1024)
        return;
    uint64_t target = (uint64_t)kb / 4, now, before;
    if (target > total_pages())
        target = total_pages();
    now = total_pages() - nr_held;
    before = now;
    if (target < now) {
        uint64_t got = shrink(now - target);
        if (got < now - target)
            gk_printf("guest-kit: balloon: gave back %lu of %lu pages\n", got,
                      now - target);
    } else if (target > now) {
        uint64_t got = grow(target - now);
        if (got < target - now)
            gk_printf("guest-kit: balloon: took back %lu of %lu pages\n", got,
                      target - now);
    }
    now = total_pages() - nr_held;
    if (now != before)
        gk_printf("guest-kit: balloon: %lu KiB\n", now * 4);
}

static void balloon_thread(void *arg)
{
    struct gk_xenbus_watch *w;
    int rc;

    (void)arg;
    rc = gk_xenbus_watch(TARGET_KEY, target_changed, NULL, &w);
    if (rc < 0)
        gk_printf("guest-kit: cannot watch %s (%d)\n", TARGET_KEY, rc);
}

void gk_balloon_init(void)
{
    if (!gk_thread_create("xs-balloon", balloon_thread, NULL))
        gk_printf("guest-kit: cannot start the balloon driver\n");
}

uint64_t gk_balloon_pages(void)
{
    return total_pages() - __atomic_load_n(&nr_held, __ATOMIC_RELAXED);
}
