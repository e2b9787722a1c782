// SPDX-License-Identifier: MIT
/* fake_platform.c: a platform that runs nothing, for unit tests. */
#include <errno.h>
#include <string.h>

#include "fake_domain.h"

struct fake_platform_calls fake_platform_calls;

static int f_init(struct hv_platform *p, char *err, size_t errlen)
{
    return 0;
}

static int f_domain_create(struct hv_domain *d, char *err, size_t errlen)
{
    return 0;
}

static void f_domain_destroy(struct hv_domain *d)
{
}

static int f_vcpu_create(struct hv_vcpu *v)
{
    return 0;
}

static int f_thread_start(struct hv_vcpu *v)
{
    return 0;
}

static void f_thread_stop(struct hv_vcpu *v)
{
}

static int f_vcpu_reset(struct hv_vcpu *v, uint64_t cr3, uint64_t rip,
                        uint64_t rsp, uint64_t rsi)
{
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rip = rip;
    v->regs.rsp = rsp;
    v->regs.rsi = rsi;
    v->regs_valid = true;
    v->cr3 = cr3;
    fake_platform_calls.vcpu_reset++;
    return 0;
}

static int f_vcpu_run(struct hv_vcpu *v, struct hv_exit *ex)
{
    ex->kind = HV_EXIT_NONE;
    return 0;
}

static int f_get_regs(struct hv_vcpu *v)
{
    return 0; /* the fake's registers are always valid */
}

static void f_kick(struct hv_vcpu *v)
{
    fake_platform_calls.kick++;
}

static int f_install_l4_slot(struct hv_domain *d, uint64_t cr3)
{
    if ((cr3 & (HV_PAGE_SIZE - 1)) || cr3 >= d->mem_size)
        return -EINVAL;
    return 0;
}

static int f_set_cr3(struct hv_vcpu *v, uint64_t cr3)
{
    v->cr3 = cr3;
    return 0;
}

static int f_mmu_resync(struct hv_domain *d)
{
    fake_platform_calls.mmu_resync++;
    return 0;
}

static void f_flush_tlb(struct hv_vcpu *v)
{
    fake_platform_calls.flush_tlb++;
}

static void f_set_trap(struct hv_vcpu *v, unsigned vec, uint64_t addr,
                       unsigned dpl)
{
    fake_platform_calls.set_trap++;
    if (v->id < 2 && vec < 256)
        fake_platform_calls.trap[v->id][vec] = addr;
}

static int f_set_segbase(struct hv_vcpu *v, int which, uint64_t base)
{
    return 0;
}

static int f_get_cr2(struct hv_vcpu *v, uint64_t *cr2)
{
    *cr2 = fake_platform_calls.cr2;
    return 0;
}

static uint64_t f_guest_tsc(struct hv_vcpu *v)
{
    return 0;
}

static void f_fill_hypercall_page(uint8_t *page)
{
    memset(page, 0xcc, HV_PAGE_SIZE);
}

static int f_notify_fd(struct hv_domain *d, uint32_t gport, int fd, bool assign)
{
    return -EOPNOTSUPP;
}

static uint64_t f_guest_cpu_ns(struct hv_vcpu *v)
{
    return fake_platform_calls.guest_cpu_ns;
}

struct hv_platform fake_platform = {
    .name = "fake",
    .flavour = "fake",
    .user_cs = 0xe033,
    .user_ss = 0xe02b,
    .available = true,
    .init = f_init,
    .domain_create = f_domain_create,
    .domain_destroy = f_domain_destroy,
    .vcpu_create = f_vcpu_create,
    .vcpu_thread_start = f_thread_start,
    .vcpu_thread_stop = f_thread_stop,
    .vcpu_reset = f_vcpu_reset,
    .vcpu_run = f_vcpu_run,
    .get_regs = f_get_regs,
    .kick = f_kick,
    .install_l4_slot = f_install_l4_slot,
    .set_cr3 = f_set_cr3,
    .mmu_resync = f_mmu_resync,
    .flush_tlb = f_flush_tlb,
    .set_trap = f_set_trap,
    .set_segbase = f_set_segbase,
    .get_cr2 = f_get_cr2,
    .guest_tsc = f_guest_tsc,
    .fill_hypercall_page = f_fill_hypercall_page,
    .notify_fd = f_notify_fd,
    .guest_cpu_ns = f_guest_cpu_ns,
};
