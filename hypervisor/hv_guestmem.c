// SPDX-License-Identifier: MIT
/* hv_guestmem.c: page-table walks and bounds-checked guest copies. */
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/pvisor.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"

bool hv_gpa_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len)
{
    return gpa <= mem_size && len <= mem_size - gpa;
}

int hv_pt_walk(const struct hv_aspace *as, uint64_t gva, unsigned acc, int stop,
               struct hv_walk *w)
{
    uint64_t table = as->cr3 & HV_PTE_ADDR;

    if (!hv_guest_va_ok(gva))
        return -XEN_EFAULT;
    for (int level = 4; level >= stop && level >= 1; level--) {
        unsigned idx = (gva >> (12 + 9 * (unsigned)(level - 1))) & 511;
        uint64_t e;

        if (!hv_gpa_range_ok(as->size, table, HV_PAGE_SIZE))
            return -XEN_EFAULT;
        e = __atomic_load_n((uint64_t *)(as->mem + table) + idx,
                            __ATOMIC_ACQUIRE);
        w->level = level;
        w->entry_gpa = table + idx * 8;
        w->entry = e;
        if (!(e & HV_PTE_P) || (level == 4 && (e & HV_PTE_PS)))
            return -XEN_EFAULT; /* PS is reserved in an L4 entry */
        if ((acc & HV_ACC_USER) && !(e & HV_PTE_U))
            return -XEN_EFAULT;
        if ((acc & HV_ACC_WRITE) && !(e & HV_PTE_RW))
            return -XEN_EFAULT;
        if (level == 1 || ((level == 2 || level == 3) && (e & HV_PTE_PS)))
            return 0; /* a leaf: the entry maps gva's frame */
        table = e & HV_PTE_ADDR;
    }
    return 0;
}

int hv_gva_to_gpa(const struct hv_aspace *as, uint64_t gva, unsigned acc,
                  uint64_t *gpa)
{
    struct hv_walk w;
    int rc = hv_pt_walk(as, gva, acc, 1, &w);

    if (rc)
        return rc;
    uint64_t mask = (1ULL << (12 + 9 * (unsigned)(w.level - 1))) - 1;
    uint64_t pa = (w.entry & HV_PTE_ADDR & ~mask) | (gva & mask);

    if (!hv_gpa_range_ok(as->size, pa & ~(HV_PAGE_SIZE - 1), HV_PAGE_SIZE))
        return -XEN_EFAULT;
    *gpa = pa;
    return 0;
}

static int aspace_copy(const struct hv_aspace *as, uint64_t gva, void *buf,
                       size_t len, bool to_guest)
{
    uint8_t *p = buf;

    if (len > HV_COPY_MAX)
        return -XEN_EFAULT;
    if (len && gva + len - 1 < gva)
        return -XEN_EFAULT;
    while (len) {
        uint64_t gpa;
        size_t chunk = HV_PAGE_SIZE - (gva & (HV_PAGE_SIZE - 1));
        int rc;

        if (chunk > len)
            chunk = len;
        rc = hv_gva_to_gpa(as, gva, HV_ACC_USER | (to_guest ? HV_ACC_WRITE : 0),
                           &gpa);
        if (rc)
            return rc;
        if (to_guest)
            memcpy(as->mem + gpa, p, chunk);
        else
            memcpy(p, as->mem + gpa, chunk);
        p += chunk;
        gva += chunk;
        len -= chunk;
    }
    return 0;
}

int hv_aspace_read(const struct hv_aspace *as, void *dst, uint64_t gva,
                   size_t len)
{
    return aspace_copy(as, gva, dst, len, false);
}

int hv_aspace_write(const struct hv_aspace *as, uint64_t gva, const void *src,
                    size_t len)
{
    return aspace_copy(as, gva, (void *)src, len, true);
}

struct hv_aspace hv_vcpu_aspace(struct hv_vcpu *v)
{
    struct hv_aspace as = { v->d->mem, v->d->mem_size, v->cr3 };
    return as;
}

int hv_copy_from_guest(struct hv_vcpu *v, void *dst, uint64_t gva, size_t len)
{
    struct hv_aspace as = hv_vcpu_aspace(v);
    return hv_aspace_read(&as, dst, gva, len);
}

int hv_copy_to_guest(struct hv_vcpu *v, uint64_t gva, const void *src,
                     size_t len)
{
    struct hv_aspace as = hv_vcpu_aspace(v);
    return hv_aspace_write(&as, gva, src, len);
}
