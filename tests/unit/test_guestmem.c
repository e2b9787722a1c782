// SPDX-License-Identifier: MIT
/* test_guestmem.c: guest page-table walks and checked copies, table driven. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/pvisor.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_arch.h"
#include "../../hypervisor/hv_guestmem.h"
#include "unit.h"

/*
 * A 4 MiB fake guest RAM. Page tables come from a bump allocator starting
 * at page 1 (the L4); data frames are chosen by each mapping.
 */
#define RAM_SIZE   (4ULL << 20)
#define PAGE       HV_PAGE_SIZE
#define FLAGS      (HV_PTE_P | HV_PTE_RW | HV_PTE_U)
#define L4_GPA     0x1000ULL
#define TABLES_END 0x40000ULL /* tables live in [L4_GPA, here) */

/* Mappings made by build(): */
#define VA_A      0x0000000040000000ULL /* -> frame 0x40000 */
#define GPA_A     0x40000ULL
#define VA_B      (VA_A + PAGE) /* -> frame 0x50000, not GPA_A+4K */
#define GPA_B     0x50000ULL
#define VA_RO     (VA_A + 2 * PAGE) /* -> frame 0x41000, no RW */
#define GPA_RO    0x41000ULL
#define VA_2M     0x0000000080000000ULL /* 2 MiB PS page -> 0x200000 */
#define GPA_2M    0x200000ULL
#define VA_1G     0x00000000c0000000ULL /* 1 GiB PS page -> 0 */
#define VA_BIG    0x0000000100000000ULL /* 257 pages -> 0x100000.. */
#define GPA_BIG   0x100000ULL
#define BIG_PAGES 257
#define VA_HI     0xffffffff80000000ULL /* -> frame 0x42000 */
#define GPA_HI    0x42000ULL
#define VA_S256   0xffff800000000000ULL /* L4 slot 256 -> frame 0x43000 */
#define GPA_S256  0x43000ULL
#define VA_LAST   0xfffffffffffff000ULL /* -> frame 0x44000 */
#define GPA_LAST  0x44000ULL
#define VA_ZERO   0x0ULL /* -> frame 0x45000 */
#define GPA_ZERO  0x45000ULL
#define GPA_PRIV  0x46000ULL /* what slot 255 maps */

struct fake_as {
    struct hv_aspace as;
    uint64_t next_table;
};

static uint64_t *entry_at(struct fake_as *f, uint64_t table, unsigned idx)
{
    return (uint64_t *)(f->as.mem + table) + idx;
}

static uint64_t new_table(struct fake_as *f)
{
    uint64_t t = f->next_table;

    f->next_table += PAGE;
    CU_ASSERT_FATAL(f->next_table <= TABLES_END);
    memset(f->as.mem + t, 0, PAGE);
    return t;
}

/* The entry that maps va at 'level' (4..1), creating tables above it. */
static uint64_t *walk_create(struct fake_as *f, uint64_t va, int level)
{
    uint64_t table = L4_GPA;

    for (int l = 4; l > level; l--) {
        uint64_t *e = entry_at(f, table, (va >> (12 + 9 * (l - 1))) & 511);
        if (!(*e & HV_PTE_P))
            *e = new_table(f) | FLAGS;
        table = *e & HV_PTE_ADDR;
    }
    return entry_at(f, table, (va >> (12 + 9 * (level - 1))) & 511);
}

static void map(struct fake_as *f, uint64_t va, uint64_t gpa, int level,
                uint64_t flags)
{
    *walk_create(f, va, level) = gpa | flags;
}

static void build(struct fake_as *f)
{
    f->as.size = RAM_SIZE;
    f->as.cr3 = L4_GPA;
    f->next_table = L4_GPA;
    memset(f->as.mem, 0, RAM_SIZE);
    new_table(f); /* the L4 */
    map(f, VA_A, GPA_A, 1, FLAGS);
    map(f, VA_B, GPA_B, 1, FLAGS);
    map(f, VA_RO, GPA_RO, 1, HV_PTE_P | HV_PTE_U);
    map(f, VA_2M, GPA_2M, 2, FLAGS | HV_PTE_PS);
    map(f, VA_1G, 0, 3, FLAGS | HV_PTE_PS);
    for (unsigned i = 0; i < BIG_PAGES; i++)
        map(f, VA_BIG + i * PAGE, GPA_BIG + i * PAGE, 1, FLAGS);
    map(f, VA_HI, GPA_HI, 1, FLAGS);
    map(f, VA_S256, GPA_S256, 1, FLAGS);
    map(f, VA_LAST, GPA_LAST, 1, FLAGS);
    map(f, VA_ZERO, GPA_ZERO, 1, FLAGS);
    /* A guest-made mapping of pvisor's slot, to be refused anyway. */
    map(f, PV_PRIV_VA, GPA_PRIV, 1, FLAGS);
}

static uint8_t *ram;
static struct fake_as fas;

static int suite_init(void)
{
    ram = aligned_alloc(PAGE, RAM_SIZE);
    if (!ram)
        return -1;
    fas.as.mem = ram;
    return 0;
}

static int suite_cleanup(void)
{
    free(ram);
    ram = NULL;
    return 0;
}

/* How a case disturbs the fresh tables before translating. */
enum edit { E_NONE, E_CLEAR, E_SET, E_REPLACE, E_CR3 };

struct xlate_case {
    const char *name;
    uint64_t gva;
    unsigned acc;
    enum edit edit;
    int level;     /* which entry of gva's walk to edit */
    uint64_t bits; /* clear/set mask, or the new entry/cr3 */
    int rc;
    uint64_t gpa; /* expected when rc == 0 */
};

#define U  HV_ACC_USER
#define W  (HV_ACC_USER | HV_ACC_WRITE)
#define EF (-XEN_EFAULT)

static const struct xlate_case xlate_cases[] = {
    { "mapped read", VA_A + 0x123, U, E_NONE, 0, 0, 0, GPA_A + 0x123 },
    { "mapped write", VA_A + 0xfff, W, E_NONE, 0, 0, 0, GPA_A + 0xfff },
    { "second page is its own frame", VA_B + 8, U, E_NONE, 0, 0, 0, GPA_B + 8 },
    { "upper half", VA_HI + 0x10, W, E_NONE, 0, 0, 0, GPA_HI + 0x10 },
    { "L4 slot 256 is guest space", VA_S256 + 1, U, E_NONE, 0, 0, 0,
      GPA_S256 + 1 },
    { "page 0 of the VA space", VA_ZERO, U, E_NONE, 0, 0, 0, GPA_ZERO },
    { "L4 not present", VA_A, U, E_CLEAR, 4, HV_PTE_P, EF, 0 },
    { "L3 not present", VA_A, U, E_CLEAR, 3, HV_PTE_P, EF, 0 },
    { "L2 not present", VA_A, U, E_CLEAR, 2, HV_PTE_P, EF, 0 },
    { "L1 not present", VA_A, U, E_CLEAR, 1, HV_PTE_P, EF, 0 },
    { "L4 without U", VA_A, U, E_CLEAR, 4, HV_PTE_U, EF, 0 },
    { "L3 without U", VA_A, U, E_CLEAR, 3, HV_PTE_U, EF, 0 },
    { "L2 without U", VA_A, U, E_CLEAR, 2, HV_PTE_U, EF, 0 },
    { "L1 without U", VA_A, U, E_CLEAR, 1, HV_PTE_U, EF, 0 },
    { "no U, supervisor access", VA_A + 4, 0, E_CLEAR, 2, HV_PTE_U, 0,
      GPA_A + 4 },
    { "L4 without RW, read", VA_A, U, E_CLEAR, 4, HV_PTE_RW, 0, GPA_A },
    { "L4 without RW, write", VA_A, W, E_CLEAR, 4, HV_PTE_RW, EF, 0 },
    { "L3 without RW, write", VA_A, W, E_CLEAR, 3, HV_PTE_RW, EF, 0 },
    { "L2 without RW, write", VA_A, W, E_CLEAR, 2, HV_PTE_RW, EF, 0 },
    { "read-only page, read", VA_RO + 7, U, E_NONE, 0, 0, 0, GPA_RO + 7 },
    { "read-only page, write", VA_RO + 7, W, E_NONE, 0, 0, EF, 0 },
    { "L1 bit 7 is PAT, not PS", VA_A + 1, U, E_SET, 1, HV_PTE_PS, 0,
      GPA_A + 1 },
    { "non-canonical low", 0x0000800000000000ULL, U, E_NONE, 0, 0, EF, 0 },
    { "non-canonical high", 0xffff7fffffffffffULL, U, E_NONE, 0, 0, EF, 0 },
    { "non-canonical bit 63 only", 0x8000000040000000ULL, U, E_NONE, 0, 0, EF,
      0 },
    { "pvisor's slot, mapped", PV_PRIV_VA + 0x10, U, E_NONE, 0, 0, EF, 0 },
    { "pvisor's slot, supervisor", PV_PRIV_VA, 0, E_NONE, 0, 0, EF, 0 },
    { "pvisor's slot, last byte", PV_PRIV_VA + (1ULL << 39) - 1, U, E_NONE, 0,
      0, EF, 0 },
    { "cr3 beyond RAM", VA_A, U, E_CR3, 0, RAM_SIZE, EF, 0 },
    { "L3 table beyond RAM", VA_A, U, E_REPLACE, 4, RAM_SIZE | FLAGS, EF, 0 },
    { "L1 table far beyond RAM", VA_A, U, E_REPLACE, 2, HV_PTE_ADDR | FLAGS, EF,
      0 },
    { "frame beyond RAM", VA_A, U, E_REPLACE, 1, RAM_SIZE | FLAGS, EF, 0 },
    { "frame is the last page", VA_A + 9, U, E_REPLACE, 1,
      (RAM_SIZE - PAGE) | FLAGS, 0, RAM_SIZE - PAGE + 9 },
    { "2 MiB page", VA_2M + 0x1234, U, E_NONE, 0, 0, 0, GPA_2M + 0x1234 },
    { "2 MiB page, last byte", VA_2M + 0x1fffff, W, E_NONE, 0, 0, 0,
      GPA_2M + 0x1fffff },
    { "2 MiB page beyond RAM", VA_2M, U, E_REPLACE, 2,
      RAM_SIZE | FLAGS | HV_PTE_PS, EF, 0 },
    { "1 GiB page inside RAM", VA_1G + 0x3ff001, U, E_NONE, 0, 0, 0, 0x3ff001 },
    { "1 GiB page past RAM", VA_1G + RAM_SIZE, U, E_NONE, 0, 0, EF, 0 },
    { "unmapped neighbour", VA_RO + PAGE, U, E_NONE, 0, 0, EF, 0 },
};

static void apply_edit(struct fake_as *f, const struct xlate_case *c)
{
    uint64_t *e;

    switch (c->edit) {
    case E_NONE:
        return;
    case E_CR3:
        f->as.cr3 = c->bits;
        return;
    default:
        break;
    }
    e = walk_create(f, c->gva, c->level);
    CU_ASSERT_FATAL((*e & HV_PTE_P) != 0);
    if (c->edit == E_CLEAR)
        *e &= ~c->bits;
    else if (c->edit == E_SET)
        *e |= c->bits;
    else
        *e = c->bits;
}

static void test_translate_table(void)
{
    size_t n = sizeof(xlate_cases) / sizeof(xlate_cases[0]);

    for (size_t i = 0; i < n; i++) {
        const struct xlate_case *c = &xlate_cases[i];
        uint64_t gpa = 0xdeadbeef;
        int rc;

        build(&fas);
        apply_edit(&fas, c);
        rc = hv_gva_to_gpa(&fas.as, c->gva, c->acc, &gpa);
        CU_ASSERT_EQUAL(rc, c->rc);
        if (c->rc == 0) {
            CU_ASSERT_EQUAL(gpa, c->gpa);
        } else {
            CU_ASSERT_EQUAL(gpa, 0xdeadbeef); /* untouched on failure */
        }
        if (rc != c->rc || (c->rc == 0 && gpa != c->gpa))
            fprintf(stderr, "\n  case '%s': rc %d gpa 0x%llx\n", c->name, rc,
                    (unsigned long long)gpa);
    }
}

static void test_read_write_simple(void)
{
    uint8_t buf[16];

    build(&fas);
    memcpy(ram + GPA_A + 100, "guest bytes", 12);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, VA_A + 100, 12), 0);
    CU_ASSERT_STRING_EQUAL((char *)buf, "guest bytes");
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_HI + 4, "host", 5), 0);
    CU_ASSERT_STRING_EQUAL((char *)ram + GPA_HI + 4, "host");
    /* The read-only page reads but does not write. */
    ram[GPA_RO] = 0x5a;
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, VA_RO, 1), 0);
    CU_ASSERT_EQUAL(buf[0], 0x5a);
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_RO, "x", 1), -XEN_EFAULT);
    CU_ASSERT_EQUAL(ram[GPA_RO], 0x5a);
}

/* VA_A and VA_B are adjacent in the guest but not in guest RAM. */
static void test_page_crossing(void)
{
    uint8_t in[16], out[16];

    build(&fas);
    for (int i = 0; i < 16; i++)
        in[i] = (uint8_t)(0xa0 + i);
    memset(ram + GPA_A + PAGE, 0xee, 8); /* the frame after GPA_A */
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_B - 8, in, 16), 0);
    CU_ASSERT_EQUAL(memcmp(ram + GPA_A + PAGE - 8, in, 8), 0);
    CU_ASSERT_EQUAL(memcmp(ram + GPA_B, in + 8, 8), 0);
    CU_ASSERT_EQUAL(ram[GPA_A + PAGE], 0xee); /* contiguous frame untouched */

    memset(out, 0, sizeof(out));
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, out, VA_B - 8, 16), 0);
    CU_ASSERT_EQUAL(memcmp(out, in, 16), 0);

    /* Crossing from a writable page into a read-only one. */
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_RO - 8, in, 16), -XEN_EFAULT);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, out, VA_RO - 8, 16), 0);
    /* Crossing into an unmapped page. */
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, out, VA_RO + PAGE - 4, 8),
                    -XEN_EFAULT);
}

static void test_copy_wraps(void)
{
    uint8_t buf[32];

    build(&fas);
    /* Both the last page and page 0 are mapped: only the overflow check
     * stands between a wrapping copy and success. */
    memset(ram + GPA_LAST + PAGE - 8, 0x11, 8);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, VA_LAST + PAGE - 8, 8), 0);
    CU_ASSERT_EQUAL(buf[7], 0x11);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, VA_LAST + PAGE - 8, 16),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_LAST + PAGE - 1, buf, 2),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(ram[GPA_ZERO], 0);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, UINT64_MAX, 1), 0);
    CU_ASSERT_EQUAL(buf[0], 0x11);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, buf, UINT64_MAX, 2), -XEN_EFAULT);
}

static void test_copy_limits(void)
{
    size_t max = HV_COPY_MAX;
    uint8_t *big = malloc(max + PAGE);
    uint8_t one = 0x77;

    CU_ASSERT_FATAL(big != NULL);
    build(&fas);
    for (size_t i = 0; i < max + PAGE; i++)
        ram[GPA_BIG + i] = (uint8_t)(i * 7);
    /* 257 pages are mapped, so only the limit refuses max + 1. */
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, big, VA_BIG, max), 0);
    CU_ASSERT_EQUAL(memcmp(big, ram + GPA_BIG, max), 0);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, big, VA_BIG, max + 1), -XEN_EFAULT);
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_BIG, big, max + 1),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, big, VA_BIG, SIZE_MAX),
                    -XEN_EFAULT);
    free(big);

    /* Zero length copies nothing and never faults. */
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, &one, VA_A, 0), 0);
    CU_ASSERT_EQUAL(hv_aspace_read(&fas.as, &one, VA_RO + PAGE, 0), 0);
    CU_ASSERT_EQUAL(hv_aspace_write(&fas.as, VA_RO, &one, 0), 0);
    CU_ASSERT_EQUAL(one, 0x77);
    CU_ASSERT_EQUAL(ram[GPA_RO], 0);
}

struct range_case {
    uint64_t size, gpa, len;
    bool ok;
};

static const struct range_case range_cases[] = {
    { RAM_SIZE, 0, 0, true },
    { RAM_SIZE, 0, RAM_SIZE, true },
    { RAM_SIZE, 0, RAM_SIZE + 1, false },
    { RAM_SIZE, RAM_SIZE, 0, true },
    { RAM_SIZE, RAM_SIZE, 1, false },
    { RAM_SIZE, RAM_SIZE - 1, 1, true },
    { RAM_SIZE, RAM_SIZE - 1, 2, false },
    { RAM_SIZE, RAM_SIZE + 1, 0, false },
    { RAM_SIZE, PAGE, UINT64_MAX - PAGE + 1, false }, /* gpa + len == 0 */
    { RAM_SIZE, 1, UINT64_MAX, false },
    { RAM_SIZE, UINT64_MAX, 2, false },
    { RAM_SIZE, UINT64_MAX, 0, false },
    { 0, 0, 0, true },
    { 0, 0, 1, false },
    { UINT64_MAX, UINT64_MAX, 0, true },
    { UINT64_MAX, UINT64_MAX - 1, 1, true },
    { UINT64_MAX, UINT64_MAX - 1, 2, false },
};

static void test_gpa_range(void)
{
    size_t n = sizeof(range_cases) / sizeof(range_cases[0]);

    for (size_t i = 0; i < n; i++) {
        const struct range_case *c = &range_cases[i];
        CU_ASSERT_EQUAL(hv_gpa_range_ok(c->size, c->gpa, c->len), c->ok);
    }
}

static const struct unit_test tests[] = {
    { "translate table", test_translate_table },
    { "read and write", test_read_write_simple },
    { "page-crossing copies", test_page_crossing },
    { "copies that wrap", test_copy_wraps },
    { "copy length limits", test_copy_limits },
    { "gpa range edges", test_gpa_range },
    { NULL, NULL },
};

const struct unit_suite unit_suite_guestmem = {
    "guestmem",
    suite_init,
    suite_cleanup,
    tests,
};
