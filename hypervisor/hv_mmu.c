// SPDX-License-Identifier: MIT
/* hv_mmu.c: mmu_update, update_va_mapping, mmuext_op on the guest's tables. */
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"

#define MMU_BATCH_MAX 4096

/* pvisor edited page tables from outside the guest: the platform makes
 * this vCPU see them (KVM: an MMU context reset; proc: host mappings). */
void hv_vcpu_flush_tlb(struct hv_vcpu *v)
{
    v->d->plat->flush_tlb(v);
}

void hv_domain_flush_tlb_all(struct hv_domain *d, struct hv_vcpu *self)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *o = d->vcpus[i];
        if (o == self) {
            hv_vcpu_flush_tlb(o);
            continue;
        }
        atomic_store(&o->tlb_flush, 1);
        hv_vcpu_kick(o);
    }
}

/* A new PTE value may only name guest RAM (never pvisor's area). */
static bool pte_ok(struct hv_domain *d, uint64_t val)
{
    if (!(val & HV_PTE_P))
        return true;
    uint64_t frame = val & HV_PTE_ADDR;
    return hv_gpa_range_ok(d->mem_size, frame, HV_PAGE_SIZE) ||
           hv_gnttab_is_priv_frame(d, frame >> HV_PAGE_SHIFT);
}

/* Slot 255 of an L4 that some vCPU of the domain runs on (any vCPU:
 * one vCPU may edit the tables another one uses). */
static bool is_l4_slot_entry(struct hv_vcpu *v, uint64_t gpa)
{
    struct hv_domain *d = v->d;

    if ((gpa & (HV_PAGE_SIZE - 1)) / 8 != PV_PRIV_L4_SLOT)
        return false;
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *o = d->vcpus[i];
        if (o && (gpa & ~(HV_PAGE_SIZE - 1)) ==
                     (__atomic_load_n(&o->cr3, __ATOMIC_RELAXED) & HV_PTE_ADDR))
            return true;
    }
    return false;
}

bool hv_mmu_priv_slot_ok(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    uint64_t l4 = v->cr3 & HV_PTE_ADDR;
    uint64_t want = (HV_PRIV_GPA + HV_PRIV_L3 * HV_PAGE_SIZE) | HV_PTE_P |
                    HV_PTE_RW | HV_PTE_U;
    uint64_t e;

    if (!hv_gpa_range_ok(d->mem_size, l4, HV_PAGE_SIZE))
        return false;
    e = __atomic_load_n((uint64_t *)(d->mem + l4) + PV_PRIV_L4_SLOT,
                        __ATOMIC_ACQUIRE);
    /* The CPU may set the accessed bit; nothing else may change. */
    return (e & ~(HV_PTE_A | HV_PTE_D)) == want;
}

static int write_pte(struct hv_vcpu *v, uint64_t gpa, uint64_t val)
{
    struct hv_domain *d = v->d;

    if ((gpa & 7) || !hv_gpa_range_ok(d->mem_size, gpa, 8))
        return -XEN_EINVAL;
    if (!pte_ok(d, val))
        return -XEN_EPERM;
    if (is_l4_slot_entry(v, gpa))
        return -XEN_EPERM;
    __atomic_store_n((uint64_t *)(d->mem + gpa), val, __ATOMIC_RELEASE);
    return 0;
}

long hv_do_mmu_update(struct hv_vcpu *v, uint64_t reqs, uint64_t count,
                      uint64_t done, uint64_t domid, uint64_t a5)
{
    uint32_t n = 0;
    long rc = 0;

    if ((domid & 0xffff) != DOMID_SELF && domid != v->d->domid)
        return -XEN_EPERM;
    if (count > MMU_BATCH_MAX)
        return -XEN_EINVAL;
    for (; n < count; n++) {
        struct mmu_update u;
        rc = hv_copy_from_guest(v, &u, reqs + n * sizeof(u), sizeof(u));
        if (rc)
            break;
        switch (u.ptr & 3) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
            rc = write_pte(v, u.ptr & ~3ULL, u.val);
            break;
        case MMU_MACHPHYS_UPDATE:
            /* mfn == pfn: the m2p is the identity; accept valid frames. */
            rc =
                (u.ptr >> 12) < v->d->mem_size / HV_PAGE_SIZE ? 0 : -XEN_EINVAL;
            break;
        default:
            rc = -XEN_ENOSYS;
            break;
        }
        if (rc)
            break;
    }
    if (n) {
        v->d->plat->mmu_resync(v->d);
        hv_domain_flush_tlb_all(v->d, v);
    }
    if (done) {
        long wrc = hv_copy_to_guest(v, done, &n, sizeof(n));
        if (wrc && !rc)
            rc = wrc;
    }
    return rc;
}

/* Find the gpa of the L1 entry that maps va (4 KiB mappings only); the
 * entry itself may be anything, the tables above it must be present. */
static int l1_entry_gpa(struct hv_vcpu *v, uint64_t va, uint64_t *gpa)
{
    struct hv_aspace as = hv_vcpu_aspace(v);
    struct hv_walk w;
    uint64_t l1;

    if (hv_pt_walk(&as, va, 0, 2, &w) || w.level != 2)
        return -XEN_EINVAL; /* unmapped, or a large page maps va */
    l1 = w.entry & HV_PTE_ADDR;
    if (!hv_gpa_range_ok(as.size, l1, HV_PAGE_SIZE))
        return -XEN_EINVAL;
    *gpa = l1 + ((va >> 12) & 511) * 8;
    return 0;
}

long hv_do_update_va_mapping(struct hv_vcpu *v, uint64_t va, uint64_t val,
                             uint64_t flags, uint64_t a4, uint64_t a5)
{
    uint64_t gpa;
    int rc;

    rc = l1_entry_gpa(v, va, &gpa);
    if (rc)
        return rc;
    rc = write_pte(v, gpa, val);
    if (rc)
        return rc;
    /* The shadow resync covers every vCPU; the flush is for hardware
     * TLBs of a VM with hardware-walked tables. */
    v->d->plat->mmu_resync(v->d);
    if ((flags & UVMF_ALL) != 0)
        hv_domain_flush_tlb_all(v->d, v);
    else
        hv_vcpu_flush_tlb(v);
    return 0;
}

static bool mfn_ok(struct hv_domain *d, uint64_t mfn)
{
    return mfn < d->mem_size / HV_PAGE_SIZE;
}

long hv_do_mmuext_op(struct hv_vcpu *v, uint64_t ops, uint64_t count,
                     uint64_t done, uint64_t domid, uint64_t a5)
{
    struct hv_domain *d = v->d;
    uint32_t n = 0;
    long rc = 0;

    if ((domid & 0xffff) != DOMID_SELF && domid != d->domid)
        return -XEN_EPERM;
    if (count > MMU_BATCH_MAX)
        return -XEN_EINVAL;
    for (; n < count && !rc; n++) {
        struct mmuext_op op;
        rc = hv_copy_from_guest(v, &op, ops + n * sizeof(op), sizeof(op));
        if (rc)
            break;
        switch (op.cmd) {
        case MMUEXT_PIN_L1_TABLE:
        case MMUEXT_PIN_L2_TABLE:
        case MMUEXT_PIN_L3_TABLE:
        case MMUEXT_PIN_L4_TABLE:
        case MMUEXT_UNPIN_TABLE:
            rc = mfn_ok(d, op.arg1.mfn) ? 0 : -XEN_EINVAL;
            break;
        case MMUEXT_NEW_BASEPTR:
            if (!mfn_ok(d, op.arg1.mfn)) {
                rc = -XEN_EINVAL;
                break;
            }
            rc = d->plat->install_l4_slot(d, op.arg1.mfn << 12);
            if (!rc)
                d->plat->mmu_resync(d);
            if (!rc)
                rc = d->plat->set_cr3(v, op.arg1.mfn << 12) ? -XEN_EINVAL : 0;
            break;
        case MMUEXT_NEW_USER_BASEPTR:
            rc = op.arg1.mfn == 0 || mfn_ok(d, op.arg1.mfn) ? 0 : -XEN_EINVAL;
            break;
        case MMUEXT_TLB_FLUSH_LOCAL:
        case MMUEXT_INVLPG_LOCAL:
            hv_vcpu_flush_tlb(v);
            break;
        case MMUEXT_TLB_FLUSH_MULTI:
        case MMUEXT_INVLPG_MULTI:
        case MMUEXT_TLB_FLUSH_ALL:
        case MMUEXT_INVLPG_ALL:
            hv_domain_flush_tlb_all(d, v);
            break;
        case MMUEXT_FLUSH_CACHE:
        case MMUEXT_FLUSH_CACHE_GLOBAL:
            break;
        case MMUEXT_CLEAR_PAGE:
            if (!mfn_ok(d, op.arg1.mfn))
                rc = -XEN_EINVAL;
            else
                memset(d->mem + (op.arg1.mfn << 12), 0, HV_PAGE_SIZE);
            break;
        case MMUEXT_COPY_PAGE:
            if (!mfn_ok(d, op.arg1.mfn) || !mfn_ok(d, op.arg2.src_mfn))
                rc = -XEN_EINVAL;
            else if (op.arg1.mfn != op.arg2.src_mfn)
                memcpy(d->mem + (op.arg1.mfn << 12),
                       d->mem + (op.arg2.src_mfn << 12), HV_PAGE_SIZE);
            break;
        default:
            rc = -XEN_ENOSYS;
            break;
        }
        if (rc)
            break;
    }
    if (done) {
        long wrc = hv_copy_to_guest(v, done, &n, sizeof(n));
        if (wrc && !rc)
            rc = wrc;
    }
    return rc;
}
