/* SPDX-License-Identifier: MIT */
/* mm.h: pfn/virtual conversions, page allocator, heap, mappings, TLB. */
#ifndef PVISOR_GUEST_KIT_MM_H
#define PVISOR_GUEST_KIT_MM_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/pvisor.h>

#define GK_PAGE_SHIFT 12
#define GK_PAGE_SIZE  (1UL << GK_PAGE_SHIFT)
#define GK_PAGE_MASK  (~(GK_PAGE_SIZE - 1))
#define GK_VIRT_BASE  PV_GUESTKIT_VIRT_BASE

/* Page table entry bits for gk_map_page(). */
#define GK_PTE_P       (1ULL << 0) /* present */
#define GK_PTE_RW      (1ULL << 1) /* writable */
#define GK_PTE_US      (1ULL << 2) /* user: the kernel runs at CPL3 */
#define GK_PTE_A       (1ULL << 5)
#define GK_PTE_D       (1ULL << 6)
#define GK_PTE_NX      (1ULL << 63)
#define GK_PTE_DEFAULT (GK_PTE_P | GK_PTE_RW | GK_PTE_US | GK_PTE_A | GK_PTE_D)

/*
 * All RAM is mapped at GK_VIRT_BASE (va = base + pfn * 4096) and machine
 * frames equal guest frames (mfn == pfn), so these are plain arithmetic.
 */
static inline uint64_t gk_virt_to_pfn(const void *va)
{
    return ((uint64_t)(uintptr_t)va - GK_VIRT_BASE) >> GK_PAGE_SHIFT;
}

static inline void *gk_pfn_to_virt(uint64_t pfn)
{
    return (void *)(uintptr_t)(GK_VIRT_BASE + (pfn << GK_PAGE_SHIFT));
}

static inline uint64_t gk_virt_to_mfn(const void *va)
{
    return gk_virt_to_pfn(va);
}

static inline void *gk_mfn_to_virt(uint64_t mfn)
{
    return gk_pfn_to_virt(mfn);
}

/* Guest-physical address of a direct-mapped pointer. */
static inline uint64_t gk_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va - GK_VIRT_BASE;
}

/*
 * Allocate 2^order contiguous, naturally aligned, zeroed pages. Returns a
 * direct-mapped pointer or NULL. Callable from any thread or handler.
 */
void *gk_alloc_pages(unsigned int order);

/* Free pages from gk_alloc_pages() with the same order. */
void gk_free_pages(void *va, unsigned int order);

static inline void *gk_alloc_page(void)
{
    return gk_alloc_pages(0);
}

static inline void gk_free_page(void *va)
{
    gk_free_pages(va, 0);
}

/*
 * Pages the domain holds now: start_info.nr_pages less those the balloon
 * driver gave back to follow xenstore memory/target (pvctl mem-set).
 */
uint64_t gk_balloon_pages(void);

/* Free pages now, and in total under the allocator. */
void gk_mm_stats(uint64_t *free_pages, uint64_t *total_pages);

/*
 * Heap: 16-byte aligned blocks. gk_malloc/gk_calloc return NULL when out
 * of memory; gk_free(NULL) does nothing; blocks are not zeroed unless
 * from gk_calloc.
 */
void *gk_malloc(size_t size);
void *gk_calloc(size_t n, size_t size);
void gk_free(void *ptr);

/*
 * Map `va` to frame `pfn` with `flags` (GK_PTE_*) through
 * update_va_mapping, flushing the entry locally. `va` must lie in the
 * boot mapping (its L1 table exists). Returns 0 or a negative Xen errno.
 */
int gk_map_page(unsigned long va, uint64_t pfn, uint64_t flags);

/* Remove the mapping of `va`. Returns 0 or a negative Xen errno. */
int gk_unmap_page(unsigned long va);

/* Flush this vCPU's TLB, or one entry. */
void gk_tlb_flush(void);
void gk_invlpg(unsigned long va);

/* Start up the allocators from start_info (called once at boot). */
void gk_mm_init(void);

#endif /* PVISOR_GUEST_KIT_MM_H */
