/* SPDX-License-Identifier: MIT */
/* remap.c: change a live mapping and check the vCPU sees the new frame. */
#include <guestkit/guestkit.h>

/*
 * Three ways a PV kernel changes one of its own mappings: update_va_mapping
 * with UVMF_INVLPG, mmu_update plus MMUEXT_INVLPG_LOCAL, and a direct PTE
 * write plus MMUEXT_TLB_FLUSH_LOCAL. Each time the virtual address was
 * touched first, so a stale translation would show the old frame.
 */

static uint64_t *pte_of(uint64_t va)
{
    uint64_t *table = (uint64_t *)gk_start_info.pt_base;

    for (int level = 4; level > 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        table = (uint64_t *)(GK_VIRT_BASE + (table[idx] & 0xffffffffff000ULL));
    }
    return &table[(va >> 12) & 511];
}

static int check(const char *how, volatile uint64_t *va, uint64_t want)
{
    uint64_t got = *va;
    gk_printf("remap: %-40s %s (read 0x%lx)\n", how,
              got == want ? "ok" : "STALE", (unsigned long)got);
    return got == want;
}

int main(void)
{
    uint64_t *a = gk_alloc_pages(0), *b = gk_alloc_pages(0);
    volatile uint64_t *c = gk_alloc_pages(0);
    uint64_t *pte = pte_of((uint64_t)c);
    uint64_t orig = *pte;
    uint64_t fa = ((uint64_t)a - GK_VIRT_BASE) & ~0xfffULL;
    uint64_t fb = ((uint64_t)b - GK_VIRT_BASE) & ~0xfffULL;
    int ok = 0;

    *a = 0xaaaa;
    *b = 0xbbbb;
    *c = 0xcccc;
    ok += check("before", c, 0xcccc);

    HYPERVISOR_update_va_mapping((unsigned long)c, fa | 7, UVMF_INVLPG);
    ok += check("update_va_mapping + UVMF_INVLPG", c, 0xaaaa);

    struct mmu_update u = { ((uint64_t)pte - GK_VIRT_BASE), fb | 7 };
    HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
    struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL };
    op.arg1.linear_addr = (uint64_t)c;
    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
    ok += check("mmu_update + MMUEXT_INVLPG_LOCAL", c, 0xbbbb);

    (void)*c;
    *pte = fa | 7;
    op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
    ok += check("direct PTE write + MMUEXT_TLB_FLUSH_LOCAL", c, 0xaaaa);

    HYPERVISOR_update_va_mapping((unsigned long)c, orig, UVMF_INVLPG);
    ok += check("update_va_mapping back to the original", c, 0xcccc);

    gk_printf("remap: %d/5 checks passed\n", ok);
    return ok == 5 ? 0 : 1;
}
