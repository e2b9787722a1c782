/* SPDX-License-Identifier: MIT */
/* heap.c: gk_malloc/gk_free: size classes on pages, whole pages beyond. */
#include <guestkit/guestkit.h>

/*
 * Every block starts with a 16-byte header, so user pointers are 16-byte
 * aligned. Small blocks come from power-of-two classes of 32..2048 bytes
 * (header included) carved out of single pages; larger requests get
 * their own 2^order pages, header at the start.
 */
#define HDR_MAGIC  0x6b67u /* "gk" */
#define HDR_SIZE   16
#define MIN_SHIFT  5 /* 32 bytes */
#define NR_CLASSES 7 /* 32 .. 2048 */
#define KIND_CLASS 0
#define KIND_PAGES 1

struct hdr {
    uint16_t magic;
    uint8_t kind;
    uint8_t index; /* class number or page order */
    uint32_t pad;
    uint64_t size; /* bytes requested, for debugging */
};
_Static_assert(sizeof(struct hdr) == HDR_SIZE, "heap header");

struct free_block {
    struct free_block *next;
};

static struct free_block *free_list[NR_CLASSES];
static gk_spinlock_t heap_lock = GK_SPINLOCK_INIT;

static int class_of(size_t total)
{
    for (int c = 0; c < NR_CLASSES; c++) {
        if (total <= (1UL << (MIN_SHIFT + c)))
            return c;
    }
    return -1;
}

/* Split a fresh page into blocks of class `c` (lock held). */
static int refill(int c)
{
    size_t bsize = 1UL << (MIN_SHIFT + c);
    char *page = gk_alloc_page();

    if (!page)
        return -1;
    for (size_t off = 0; off + bsize <= GK_PAGE_SIZE; off += bsize) {
        struct free_block *b = (struct free_block *)(page + off);

        b->next = free_list[c];
        free_list[c] = b;
    }
    return 0;
}

void *gk_malloc(size_t size)
{
    size_t total;
    struct hdr *h;
    int c;

    if (size > (1UL << 40))
        return NULL;
    total = size + HDR_SIZE;
    c = class_of(total);
    if (c >= 0) {
        unsigned long flags = gk_spin_lock_irqsave(&heap_lock);

        if (!free_list[c] && refill(c) < 0) {
            gk_spin_unlock_irqrestore(&heap_lock, flags);
            return NULL;
        }
        h = (struct hdr *)free_list[c];
        free_list[c] = free_list[c]->next;
        gk_spin_unlock_irqrestore(&heap_lock, flags);
        h->kind = KIND_CLASS;
        h->index = (uint8_t)c;
    } else {
        unsigned int order = 0;

        while ((GK_PAGE_SIZE << order) < total)
            order++;
        h = gk_alloc_pages(order);
        if (!h)
            return NULL;
        h->kind = KIND_PAGES;
        h->index = (uint8_t)order;
    }
    h->magic = HDR_MAGIC;
    h->size = size;
    return (char *)h + HDR_SIZE;
}

void *gk_calloc(size_t n, size_t size)
{
    void *p;

    if (size && n > (size_t)-1 / size)
        return NULL;
    p = gk_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void gk_free(void *ptr)
{
    struct hdr *h;

    if (!ptr)
        return;
    h = (struct hdr *)((char *)ptr - HDR_SIZE);
    if (h->magic != HDR_MAGIC)
        gk_panic("gk_free(%p): not a heap block (or freed twice)", ptr);
    h->magic = 0;
    if (h->kind == KIND_CLASS && h->index < NR_CLASSES) {
        struct free_block *b = (struct free_block *)h;
        int c = h->index;
        unsigned long flags = gk_spin_lock_irqsave(&heap_lock);

        b->next = free_list[c];
        free_list[c] = b;
        gk_spin_unlock_irqrestore(&heap_lock, flags);
    } else if (h->kind == KIND_PAGES) {
        gk_free_pages(h, h->index);
    } else {
        gk_panic("gk_free(%p): corrupt header", ptr);
    }
}
