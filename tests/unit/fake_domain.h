/* SPDX-License-Identifier: MIT */
/* fake_domain.h: a built domain in plain memory on the fake platform. */
#ifndef PVISOR_TESTS_UNIT_FAKE_DOMAIN_H
#define PVISOR_TESTS_UNIT_FAKE_DOMAIN_H

#include <stdint.h>

#include <pvabi/pvisor.h>
#include <pvabi/xen.h>

#include "../../hypervisor/hv.h"

/*
 * Guest RAM is FAKE_MEM_SIZE bytes, all mapped U|RW|P at FAKE_VIRT_BASE
 * (va = FAKE_VIRT_BASE + gpa) with 4 KiB pages, as the domain builder does.
 * The tables sit in the first pages; FAKE_SCRATCH_GPA onwards is free.
 */
#define FAKE_MEM_SIZE        (4ULL << 20)
#define FAKE_PAGES           (FAKE_MEM_SIZE / HV_PAGE_SIZE)
#define FAKE_VIRT_BASE       PV_GUESTKIT_VIRT_BASE
#define FAKE_L4_GPA          0x1000ULL
#define FAKE_L3_GPA          0x2000ULL
#define FAKE_L2_GPA          0x3000ULL
#define FAKE_L1_GPA          0x4000ULL /* two pages: one per 2 MiB */
#define FAKE_SHARED_INFO_GPA 0x6000ULL
#define FAKE_SCRATCH_GPA     0x10000ULL
#define FAKE_DOMID           7u
#define FAKE_VA(gpa)         (FAKE_VIRT_BASE + (uint64_t)(gpa))

/*
 * The fake platform (fake_platform.c) runs nothing; it counts the calls
 * the core makes, so tests can check the core asked for what it must.
 */
struct fake_platform_calls {
    unsigned kick, mmu_resync, flush_tlb, set_trap, vcpu_reset;
    uint64_t trap[2][256]; /* last handler set, vCPUs 0 and 1 */
    uint64_t cr2;          /* what get_cr2 reports */
    uint64_t guest_cpu_ns; /* what guest_cpu_ns reports */
};
extern struct fake_platform_calls fake_platform_calls;
extern struct hv_platform fake_platform;

/* A built, running domain with nr_vcpus vCPUs (registers valid,
 * cr3 = FAKE_L4_GPA; vCPU 0 online, the others not yet initialised) and
 * max_evtchn ports. NULL if out of memory. */
struct hv_domain *fake_domain_new(unsigned nr_vcpus, unsigned max_evtchn);
void fake_domain_free(struct hv_domain *d);

/* vCPU id of d back to the state fake_domain_new gives it. */
void fake_vcpu_reset(struct hv_vcpu *v, struct hv_domain *d, unsigned id);

/* Host pointer to guest-physical gpa. */
void *fake_gpa(struct hv_domain *d, uint64_t gpa);
struct shared_info *fake_shared(struct hv_domain *d);
/* The L1 entry that maps va (inside the linear map). */
uint64_t *fake_l1e(struct hv_domain *d, uint64_t va);

/* Map PV_PRIV_VA (pvisor's slot) to gpa in the guest's own tables, using
 * the free pages 0x7000-0x9fff: checks must refuse it even when mapped. */
void fake_map_priv_slot(struct hv_domain *d, uint64_t gpa);

/* Run hypercall nr on v with up to five arguments; returns rax. */
long fake_hypercall(struct hv_vcpu *v, uint32_t nr, uint64_t a1, uint64_t a2,
                    uint64_t a3, uint64_t a4, uint64_t a5);

#endif
