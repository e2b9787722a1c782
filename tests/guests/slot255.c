/* SPDX-License-Identifier: MIT */
/* slot255.c: a guest that replaces L4 slot 255 (pvisor's) by a direct write. */
#include <guestkit/guestkit.h>

/*
 * Slot 255 of every L4 maps pvisor's private area: the GDT, the IDTs and
 * the TSS the CPU uses while the guest runs. mmu_update refuses to change
 * it, but the page tables are ordinary guest RAM, so a hostile kernel can
 * write the entry itself. This one copies pvisor's L3 into a page of its
 * own (so that nothing breaks at once: every descriptor still reads the
 * same) and points slot 255 at the copy; from then on it could edit its
 * own GDT and IDT. pvisor must not run it again: the next exit ends it.
 * Lines: "slot255: replaced" then, if pvisor let it run on,
 * "slot255: still running on its own slot 255".
 */
#define SLOT 255

int main(void)
{
    uint64_t *l4 = (uint64_t *)gk_start_info.pt_base;
    uint64_t old = l4[SLOT];
    uint64_t *copy = gk_alloc_pages(0);
    uint64_t *window = gk_alloc_pages(0);
    uint64_t copy_gpa = (uint64_t)copy - GK_VIRT_BASE;

    if (!copy || !window || !(old & 1)) {
        gk_printf("slot255: cannot set up (slot 0x%lx)\n", (unsigned long)old);
        return 2;
    }
    /* Read pvisor's L3 through a mapping of our own. */
    gk_map_page((unsigned long)window, (old & 0xffffffffff000ULL) >> 12,
                GK_PTE_DEFAULT);
    for (int i = 0; i < 512; i++)
        copy[i] = window[i];
    __atomic_store_n(&l4[SLOT], copy_gpa | (old & 0xfffULL), __ATOMIC_RELEASE);
    gk_printf("slot255: replaced slot %d (0x%lx) by a copy at 0x%lx\n", SLOT,
              (unsigned long)old, (unsigned long)copy_gpa);
    for (int i = 0; i < 10; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    gk_printf("slot255: still running on its own slot 255\n");
    return 0;
}
