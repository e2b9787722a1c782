/* SPDX-License-Identifier: MIT */
/* hv_trap.h: trap table, exception stubs, iret, and crash reports. */
#ifndef PVISOR_HYPERVISOR_HV_TRAP_H
#define PVISOR_HYPERVISOR_HV_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_vcpu;

/* Clear the vCPU's handlers and point every IDT gate at pvisor's stubs. */
void hv_trap_reset_vcpu(struct hv_vcpu *v);
/* Exception stub exit: val = vector. Reflects #PF, else crashes. */
void hv_trap_port(struct hv_vcpu *v, uint32_t val);
/* Bounce an exception caught by the platform to the guest's handler (or
 * crash the domain with a report when it has none). */
void hv_trap_exception(struct hv_vcpu *v, unsigned vec, uint64_t err,
                       uint64_t cr2);
/* Write a crash report for v ('what' happened) into out. */
void hv_trap_describe(struct hv_vcpu *v, const char *what, char *out,
                      size_t len);
/* Record a hypercall in the vCPU's short trace (shown in crash reports). */
void hv_trap_trace(struct hv_vcpu *v, uint32_t nr, long res);
/* Install one trap_info entry (from set_trap_table or VCPUOP_initialise). */
int hv_trap_set(struct hv_vcpu *v, unsigned vector, unsigned flags, unsigned cs,
                uint64_t address);

#endif
