/* SPDX-License-Identifier: MIT */
/* hv_hypercall.h: hypercall dispatch table and the handlers' signatures. */
#ifndef PVISOR_HYPERVISOR_HV_HYPERCALL_H
#define PVISOR_HYPERVISOR_HV_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

struct hv_vcpu;

/* A handler returns 0/positive, or a negative Xen errno. HV_HC_NORESULT
 * means "the handler set the registers itself" (iret). */
#define HV_HC_NORESULT (-0x7fffffffL)

typedef long (*hv_hc_fn)(struct hv_vcpu *v, uint64_t a1, uint64_t a2,
                         uint64_t a3, uint64_t a4, uint64_t a5);

struct hv_hypercall {
    const char *name;
    hv_hc_fn fn;
    bool multicall_ok; /* may appear inside a multicall batch */
};

/* Dispatch hypercall nr for v (regs fetched here, result written to rax). */
void hv_hypercall(struct hv_vcpu *v, uint32_t nr);
/* Look up a handler; NULL if nr is not implemented. */
const struct hv_hypercall *hv_hypercall_lookup(uint64_t nr);
/* Fast-notify slow path (port had no ioeventfd). */
void hv_notify_slow(struct hv_vcpu *v, uint32_t port);
int hv_vcpu_regs(struct hv_vcpu *v);

/* Handlers living in other files. */
long hv_do_sched_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3,
                    uint64_t a4, uint64_t a5);
long hv_do_set_timer_op(struct hv_vcpu *v, uint64_t timeout, uint64_t a2,
                        uint64_t a3, uint64_t a4, uint64_t a5);
long hv_do_vcpu_op(struct hv_vcpu *v, uint64_t cmd, uint64_t vcpuid,
                   uint64_t arg, uint64_t a4, uint64_t a5);
long hv_do_mmu_update(struct hv_vcpu *v, uint64_t reqs, uint64_t count,
                      uint64_t done, uint64_t domid, uint64_t a5);
long hv_do_update_va_mapping(struct hv_vcpu *v, uint64_t va, uint64_t val,
                             uint64_t flags, uint64_t a4, uint64_t a5);
long hv_do_mmuext_op(struct hv_vcpu *v, uint64_t ops, uint64_t count,
                     uint64_t done, uint64_t domid, uint64_t a5);
long hv_do_set_trap_table(struct hv_vcpu *v, uint64_t table, uint64_t a2,
                          uint64_t a3, uint64_t a4, uint64_t a5);
long hv_do_iret(struct hv_vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t a5);
long hv_do_evtchn_hc(struct hv_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3,
                     uint64_t a4, uint64_t a5);

#endif
