/* SPDX-License-Identifier: MIT */
/* remap.c: change a live mapping and check the vCPU sees the new frame. */
#include <guestkit/guestkit.h>

/*
 * Three ways a PV kernel changes one of its own mappings: update_va_mapping
 * with UVMF_INVLPG, mmu_update plus MMUEXT_INVLPG_LOCAL, and a direct PTE
 * write plus MMUEXT_TLB_FLUSH_LOCAL; then guest-kit's gk_map_page and
 * gk_unmap_page (the access after an unmap must fault). Each time the
 * virtual address was touched first, so a stale translation would show the
 * old frame.
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

/* Page faults on the guard page: counted, then the page is mapped back
 * (fault_pfn) so the faulting load is retried and completes. */
static volatile unsigned long fault_va;
static volatile uint64_t fault_pfn;
static volatile int faults;

static int on_page_fault(struct gk_regs *regs)
{
    (void)regs;
    if (!fault_va)
        return 0;
    faults++;
    gk_map_page(fault_va, fault_pfn, GK_PTE_DEFAULT);
    fault_va = 0;
    return 1;
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

    /* guest-kit's own calls (direct PTE writes when the page tables are
     * writable, as pvisor advertises): map another frame, unmap (the next
     * access must fault), map back. */
    gk_map_page((unsigned long)c, fb >> 12, GK_PTE_DEFAULT);
    ok += check("gk_map_page", c, 0xbbbb);
    gk_trap_set_handler(14, on_page_fault);
    fault_pfn = (orig & 0xffffffffff000ULL) >> 12;
    fault_va = (unsigned long)c;
    (void)*c; /* mapped: no fault */
    int before = faults;
    gk_unmap_page((unsigned long)c);
    fault_va = (unsigned long)c;
    uint64_t v = *c; /* faults once; the handler maps c back */
    gk_trap_set_handler(14, NULL);
    gk_printf("remap: %-40s %s (%d fault(s), then read 0x%lx)\n",
              "gk_unmap_page: the next access faults",
              faults - before == 1 && v == 0xcccc ? "ok" : "WRONG",
              faults - before, (unsigned long)v);
    ok += faults - before == 1 && v == 0xcccc;

    gk_printf("remap: %d/7 checks passed\n", ok);
    return ok == 7 ? 0 : 1;
}
