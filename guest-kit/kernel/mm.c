/* SPDX-License-Identifier: MIT */
/* mm.c: page allocator over free RAM, page mappings, TLB flushes. */
#include <guestkit/guestkit.h>

#include "internal.h"

/*
 * A bitmap with one bit per page of the domain (set = in use), covering
 * [0, nr_pages). Pages below gk_first_free_pfn (image, start_info, rings,
 * shared_info, p2m list, boot stack, boot page tables) and the bitmap's own
 * pages start out used. Allocation is first fit for a naturally aligned
 * run, starting from a rotating hint.
 */
static uint64_t *bitmap;
static uint64_t nr_pfns;
static uint64_t free_pfns;
static uint64_t managed_pfns;
static uint64_t hint;
static gk_spinlock_t mm_lock = GK_SPINLOCK_INIT;

static int pfn_used(uint64_t pfn)
{
    return (int)((bitmap[pfn / 64] >> (pfn % 64)) & 1);
}

static void mark(uint64_t pfn, uint64_t n, int used)
{
    for (uint64_t p = pfn; p < pfn + n; p++) {
        if (used)
            bitmap[p / 64] |= 1ULL << (p % 64);
        else
            bitmap[p / 64] &= ~(1ULL << (p % 64));
    }
}

/* Is [pfn, pfn + n) entirely free? */
static int run_free(uint64_t pfn, uint64_t n)
{
    for (uint64_t p = pfn; p < pfn + n; p++) {
        if (!(p % 64) && p + 64 <= pfn + n) {
            if (bitmap[p / 64])
                return 0;
            p += 63;
            continue;
        }
        if (pfn_used(p))
            return 0;
    }
    return 1;
}

void gk_mm_init(void)
{
    uint64_t first = gk_first_free_pfn;
    uint64_t words, bm_pages;

    nr_pfns = gk_start_info.nr_pages;
    words = (nr_pfns + 63) / 64;
    bm_pages = (words * 8 + GK_PAGE_SIZE - 1) / GK_PAGE_SIZE;
    if (first + bm_pages >= nr_pfns)
        gk_panic("no free memory: first free pfn %lu of %lu", first, nr_pfns);
    bitmap = gk_pfn_to_virt(first);
    memset(bitmap, 0, bm_pages * GK_PAGE_SIZE);
    mark(0, first + bm_pages, 1);
    /* Bits past the last page stay "used" so no run reaches beyond it. */
    for (uint64_t p = nr_pfns; p < words * 64; p++)
        bitmap[p / 64] |= 1ULL << (p % 64);
    free_pfns = managed_pfns = nr_pfns - first - bm_pages;
    hint = first + bm_pages;
}

void *gk_alloc_pages(unsigned int order)
{
    uint64_t n = 1ULL << order;
    uint64_t start, pfn;
    unsigned long flags;
    void *va = NULL;

    if (order > 20)
        return NULL;
    flags = gk_spin_lock_irqsave(&mm_lock);
    if (free_pfns < n)
        goto out;
    start = (hint + n - 1) & ~(n - 1);
    for (uint64_t tried = 0; tried < nr_pfns + n; tried += n) {
        pfn = start;
        if (pfn + n > nr_pfns) {
            start = 0;
            continue;
        }
        start = pfn + n;
        if (run_free(pfn, n)) {
            mark(pfn, n, 1);
            free_pfns -= n;
            hint = pfn + n;
            va = gk_pfn_to_virt(pfn);
            break;
        }
    }
out:
    gk_spin_unlock_irqrestore(&mm_lock, flags);
    if (va)
        memset(va, 0, n * GK_PAGE_SIZE);
    return va;
}

void gk_free_pages(void *va, unsigned int order)
{
    uint64_t pfn, n = 1ULL << order;
    unsigned long flags;

    if (!va)
        return;
    pfn = gk_virt_to_pfn(va);
    if (pfn < gk_first_free_pfn || pfn + n > nr_pfns ||
        ((uint64_t)(uintptr_t)va & (GK_PAGE_SIZE - 1)))
        gk_panic("gk_free_pages(%p, %u): not an allocated run", va, order);
    flags = gk_spin_lock_irqsave(&mm_lock);
    for (uint64_t p = pfn; p < pfn + n; p++) {
        if (!pfn_used(p))
            gk_panic("gk_free_pages(%p, %u): pfn %lu already free", va, order,
                     p);
    }
    mark(pfn, n, 0);
    free_pfns += n;
    gk_spin_unlock_irqrestore(&mm_lock, flags);
}

void gk_mm_stats(uint64_t *free_pages, uint64_t *total_pages)
{
    if (free_pages)
        *free_pages = GK_READ_ONCE(free_pfns);
    if (total_pages)
        *total_pages = managed_pfns;
}

/*
 * With XENFEAT_writable_page_tables (pvisor advertises it) the page tables
 * are ordinary RAM the guest may write; a write to a table in use is
 * caught by KVM's shadow MMU like any guest write, so changing one PTE
 * costs a trapped store plus an INVLPG. update_va_mapping instead has
 * pvisor write the entry from outside, after which pvisor must make KVM
 * drop every shadow page of the domain and the guest rebuilds them all:
 * milliseconds, where this path takes tens of microseconds.
 */
static int writable_pts = -1; /* -1: not asked yet */

static int pts_writable(void)
{
    if (writable_pts < 0) {
        struct xen_feature_info fi = { .submap_idx = 0 };

        writable_pts = HYPERVISOR_xen_version(XENVER_get_features, &fi) == 0 &&
                       (fi.submap & (1U << XENFEAT_writable_page_tables)) != 0;
    }
    return writable_pts;
}

/* The L1 entry for va in the boot page tables, or NULL (not mapped by an
 * L1 table). mfn == pfn and all RAM is mapped at the base. */
static volatile uint64_t *l1_entry(unsigned long va)
{
    uint64_t *t = (uint64_t *)gk_start_info.pt_base;

    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t e = t[(va >> shift) & 511];
        uint64_t pfn = (e & 0x000ffffffffff000ULL) >> GK_PAGE_SHIFT;

        if (!(e & GK_PTE_P) || (e & (1ULL << 7)) || pfn >= nr_pfns)
            return NULL; /* absent, large page, or not our RAM */
        t = gk_pfn_to_virt(pfn);
    }
    return &t[(va >> 12) & 511];
}

static int set_pte(unsigned long va, uint64_t pte)
{
    volatile uint64_t *e;

    va &= GK_PAGE_MASK;
    if (pts_writable() && (e = l1_entry(va)) != NULL) {
        struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL,
                                .arg1.linear_addr = va };

        *e = pte;
        return (int)HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
    }
    return (int)HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG | UVMF_LOCAL);
}

int gk_map_page(unsigned long va, uint64_t pfn, uint64_t flags)
{
    return set_pte(va, (pfn << GK_PAGE_SHIFT) | flags);
}

int gk_unmap_page(unsigned long va)
{
    return set_pte(va, 0);
}

void gk_tlb_flush(void)
{
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

void gk_invlpg(unsigned long va)
{
    struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL };

    op.arg1.linear_addr = va & GK_PAGE_MASK;
    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}
