// SPDX-License-Identifier: MIT
/* pvg_layout.c: plan and write guest RAM (image, start_info, p2m, tables). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pvabi/pvisor.h>
#include <pvabi/xen.h>

#include "pvg_internal.h"

#define PG               ((uint64_t)PVG_PAGE_SIZE)
#define PG_ROUND_UP(x)   (((x) + PG - 1) & ~(PG - 1))
#define PTE_FLAGS        0x7ull /* present, writable, user */
#define LOWER_HALF_END   0x0000800000000000ull
#define UPPER_HALF       0xffff800000000000ull
#define PRIV_END         (PV_PRIV_VA + (1ull << 39) - 1)
#define START_INFO_MAGIC "xen-3.0-x86_64"

/* Number of aligned 2^shift blocks the range [first, last] touches. */
static uint64_t span(uint64_t first, uint64_t last, unsigned shift)
{
    return (last >> shift) - (first >> shift) + 1;
}

static int check_virt_base(const struct pvg_image *img, uint64_t mem_size,
                           char *err, size_t errlen)
{
    uint64_t vb = img->virt_base, last;

    if (vb & (PG - 1))
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "virt_base 0x%llx "
                        "is not 4 KiB aligned",
                        (unsigned long long)vb);
    if (pvg_add_overflows(vb, mem_size - 1, &last))
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "virt_base 0x%llx "
                        "+ memory 0x%llx wraps around the address space",
                        (unsigned long long)vb, (unsigned long long)mem_size);
    if (!(last < LOWER_HALF_END || vb >= UPPER_HALF))
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "mapping memory at "
                        "virt_base 0x%llx-0x%llx leaves the canonical "
                        "address space",
                        (unsigned long long)vb, (unsigned long long)last);
    if (vb <= PRIV_END && last >= PV_PRIV_VA)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "mapping memory at "
                        "virt_base 0x%llx-0x%llx overlaps pvisor's area "
                        "0x%llx-0x%llx (L4 slot %d)",
                        (unsigned long long)vb, (unsigned long long)last,
                        PV_PRIV_VA, PRIV_END, PV_PRIV_L4_SLOT);
    return 0;
}

int pvg_layout_plan(const struct pvg_image *img, uint64_t mem_size,
                    struct pvg_layout *lay, char *err, size_t errlen)
{
    uint64_t vb = img->virt_base, last, cur, end;
    int e;

    memset(lay, 0, sizeof(*lay));
    if (mem_size == 0 || mem_size % PG)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "memory size 0x%llx "
                        "is not a non-zero multiple of 4 KiB",
                        (unsigned long long)mem_size);
    e = check_virt_base(img, mem_size, err, errlen);
    if (e)
        return e;
    /* From here on every address is below 2^48: no sum can overflow. */
    last = vb + mem_size - 1;
    for (size_t i = 0; i < img->nr_segments; i++) {
        const struct pvg_segment *s = &img->seg[i];
        uint64_t gpa = s->vaddr - vb; /* vaddr >= vb checked by parse */

        if (gpa >= mem_size - PG || s->memsz > mem_size - PG - gpa)
            return pvg_fail(err, errlen, img->name, -ENOMEM,
                            "segment at "
                            "p_vaddr 0x%llx (gpa 0x%llx, 0x%llx bytes) lies "
                            "outside guest memory (%llu KiB)",
                            (unsigned long long)s->vaddr,
                            (unsigned long long)gpa,
                            (unsigned long long)s->memsz,
                            (unsigned long long)(mem_size >> 10));
    }
    lay->mem_size = mem_size;
    /*
     * shared_info is the last page of RAM, outside the guest's
     * pseudo-physical pages [0, nr_pages): like Xen's, it is not the
     * guest's memory, so a kernel that hands all of [0, nr_pages) to its
     * allocator (GRUB does) never puts data where pvisor writes.
     */
    lay->nr_pages = mem_size / PG - 1;
    lay->shared_info_gpa = mem_size - PG;
    lay->virt_base = vb;
    lay->image_start_gpa = img->image_start - vb;
    lay->image_end_gpa = img->image_end - vb;
    cur = lay->image_end_gpa;
    lay->start_info_gpa = cur;
    lay->console_gpa = cur + PG;
    lay->store_gpa = cur + 2 * PG;
    lay->p2m_gpa = cur + 3 * PG;
    lay->nr_p2m_frames = PG_ROUND_UP(lay->nr_pages * 8) / PG;
    lay->stack_gpa = lay->p2m_gpa + lay->nr_p2m_frames * PG;
    lay->pt_base_gpa = lay->stack_gpa + PVG_STACK_SIZE;
    lay->nr_l3 = span(vb, last, 39);
    lay->nr_l2 = span(vb, last, 30);
    lay->nr_l1 = span(vb, last, 21);
    lay->nr_pt_frames = 1 + lay->nr_l3 + lay->nr_l2 + lay->nr_l1;
    lay->first_free_gpa = lay->pt_base_gpa + lay->nr_pt_frames * PG;
    end = lay->first_free_gpa + PG; /* and shared_info */
    if (end > mem_size)
        return pvg_fail(
            err, errlen, img->name, -ENOMEM,
            "image needs %llu "
            "KiB but domain has %llu KiB (kernel %llu KiB, "
            "p2m %llu KiB, stack %u KiB, page tables %llu KiB)",
            (unsigned long long)(end >> 10),
            (unsigned long long)(mem_size >> 10),
            (unsigned long long)((lay->image_end_gpa - lay->image_start_gpa) >>
                                 10),
            (unsigned long long)(lay->nr_p2m_frames * 4), PVG_STACK_SIZE >> 10,
            (unsigned long long)(lay->nr_pt_frames * 4));
    lay->hypercall_page_gpa = img->has_hypercall_page ? img->hypercall_page - vb
                                                      : PV_NO_HYPERCALL_PAGE;
    lay->entry_va = img->entry;
    lay->stack_va = vb + lay->stack_gpa + PVG_STACK_SIZE;
    lay->start_info_va = vb + lay->start_info_gpa;
    return 0;
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
    memcpy(mem + gpa, &v, sizeof(v));
}

/*
 * Page tables live in pages pt_base, L3s, L2s, L1s. Table k of a level
 * covers the k-th aligned block of the virt_base range at that level.
 */
static void write_page_tables(uint8_t *mem, const struct pvg_layout *lay)
{
    uint64_t vb = lay->virt_base;
    uint64_t l3 = lay->pt_base_gpa + PG;
    uint64_t l2 = l3 + lay->nr_l3 * PG;
    uint64_t l1 = l2 + lay->nr_l2 * PG;

    memset(mem + lay->pt_base_gpa, 0, lay->nr_pt_frames * PG);
    for (uint64_t gpa = 0; gpa < lay->mem_size; gpa += PG) {
        uint64_t va = vb + gpa;
        uint64_t t3 = l3 + ((va >> 39) - (vb >> 39)) * PG;
        uint64_t t2 = l2 + ((va >> 30) - (vb >> 30)) * PG;
        uint64_t t1 = l1 + ((va >> 21) - (vb >> 21)) * PG;

        put64(mem, t1 + ((va >> 12) & 511) * 8, gpa | PTE_FLAGS);
        if (gpa != 0 && (va & ((1ull << 21) - 1)))
            continue; /* upper levels change only at a 2 MiB edge */
        put64(mem, t2 + ((va >> 21) & 511) * 8, t1 | PTE_FLAGS);
        put64(mem, t3 + ((va >> 30) & 511) * 8, t2 | PTE_FLAGS);
        put64(mem, lay->pt_base_gpa + ((va >> 39) & 511) * 8, t3 | PTE_FLAGS);
    }
}

static void write_start_info(uint8_t *mem, const struct pvg_layout *lay,
                             const char *cmdline)
{
    struct start_info si;
    size_t len = cmdline ? strlen(cmdline) : 0;

    memset(&si, 0, sizeof(si));
    memcpy(si.magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
    si.nr_pages = lay->nr_pages;
    si.shared_info = lay->shared_info_gpa;
    si.flags = 0;
    si.store_mfn = lay->store_gpa / PG;
    si.store_evtchn = 0;
    si.console.domU.mfn = lay->console_gpa / PG;
    si.console.domU.evtchn = 0;
    si.pt_base = lay->virt_base + lay->pt_base_gpa;
    si.nr_pt_frames = lay->nr_pt_frames;
    si.mfn_list = lay->virt_base + lay->p2m_gpa;
    si.first_p2m_pfn = lay->p2m_gpa / PG;
    si.nr_p2m_frames = lay->nr_p2m_frames;
    if (len > sizeof(si.cmd_line) - 1)
        len = sizeof(si.cmd_line) - 1;
    if (len)
        memcpy(si.cmd_line, cmdline, len);
    memcpy(mem + lay->start_info_gpa, &si, sizeof(si));
}

int pvg_build(const struct pvg_image *img, void *mem, uint64_t mem_size,
              const char *cmdline, struct pvg_layout *lay, char *err,
              size_t errlen)
{
    uint8_t *m = mem;
    int e;

    e = pvg_layout_plan(img, mem_size, lay, err, errlen);
    if (e)
        return e;
    for (size_t i = 0; i < img->nr_segments; i++) {
        const struct pvg_segment *s = &img->seg[i];
        uint64_t gpa = s->vaddr - lay->virt_base;

        if (s->filesz)
            memcpy(m + gpa, img->data + s->offset, s->filesz);
        memset(m + gpa + s->filesz, 0, s->memsz - s->filesz);
    }
    /* start_info, console, xenstore, p2m, stack; shared_info. */
    memset(m + lay->start_info_gpa, 0, lay->pt_base_gpa - lay->start_info_gpa);
    memset(m + lay->shared_info_gpa, 0, PG);
    for (uint64_t pfn = 0; pfn < lay->nr_pages; pfn++)
        put64(m, lay->p2m_gpa + pfn * 8, pfn);
    write_page_tables(m, lay);
    write_start_info(m, lay, cmdline);
    lay->cmdline_truncated = cmdline && strlen(cmdline) >= PVG_CMDLINE_MAX;
    return 0;
}

int pvg_set_store_evtchn(void *mem, uint64_t mem_size,
                         const struct pvg_layout *lay, uint32_t port)
{
    uint8_t *si = (uint8_t *)mem + lay->start_info_gpa;

    if (lay->start_info_gpa > mem_size ||
        mem_size - lay->start_info_gpa < sizeof(struct start_info))
        return -EINVAL;
    memcpy(si + offsetof(struct start_info, store_evtchn), &port, sizeof(port));
    return 0;
}

int pvg_set_console_evtchn(void *mem, uint64_t mem_size,
                           const struct pvg_layout *lay, uint32_t port)
{
    uint8_t *si = (uint8_t *)mem + lay->start_info_gpa;

    if (lay->start_info_gpa > mem_size ||
        mem_size - lay->start_info_gpa < sizeof(struct start_info))
        return -EINVAL;
    memcpy(si + offsetof(struct start_info, console.domU.evtchn), &port,
           sizeof(port));
    return 0;
}
