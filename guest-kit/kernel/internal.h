/* SPDX-License-Identifier: MIT */
/* internal.h: guest-kit functions shared between its own files. */
#ifndef PVISOR_GUEST_KIT_KERNEL_INTERNAL_H
#define PVISOR_GUEST_KIT_KERNEL_INTERNAL_H

#include <stdint.h>

#include <pvabi/xen.h>
#include <guestkit/percpu.h>

/* C entry from _start: rsi's start_info, on the boot stack. */
__attribute__((noreturn)) void gk_start(struct start_info *si);

/* C entry of a secondary vCPU from gk_secondary_entry. */
__attribute__((noreturn)) void gk_smp_secondary_start(struct gk_cpu *cpu);

/* Point the GS base at `cpu` and fill its vcpu_info pointer. */
void gk_percpu_init(struct gk_cpu *cpu, unsigned int id);

/* Register the upcall entry on the calling vCPU. */
void gk_events_init_cpu(void);

/* Asm entry points (arch/x86_64). */
void gk_upcall_entry(void);
void gk_secondary_entry(void);
extern const unsigned long gk_trap_entries[]; /* per vector, 0 = none */

/*
 * Switch stacks: save callee-saved registers on the current stack, store
 * its rsp in *prev_sp, load next_sp and pop the next thread's registers.
 */
void gk_arch_switch(uint64_t *prev_sp, uint64_t next_sp);

/* First code a new thread runs (asm), calling gk_thread_start_c(r12). */
void gk_thread_trampoline(void);
struct gk_thread;
__attribute__((noreturn)) void gk_thread_start_c(struct gk_thread *t);

/* Start the control/shutdown watch (xenbus is connected). */
void gk_control_init(void);
/* Frame of the start_info page (SHUTDOWN_suspend's third argument). */
extern uint64_t gk_start_info_pfn;
/* suspend.c: suspend the domain (Xen's protocol). 0: resumed, possibly
 * in a new domain on another host; 1: cancelled (the same domain runs
 * on, a checkpoint or a failed save); < 0: a Xen errno. */
int gk_suspend(void);
/* xenbus.c: after a resume, the store is a new connection: register
 * every watch again. */
void gk_xenbus_resume(void);
/* xenbus_ops.c: forget what the store told us about ourselves. */
void gk_xenbus_ops_resume(void);
/* Starts the balloon driver (memory/target watch). */
void gk_balloon_init(void);
/* Starts the vCPU hot-plug watch (cpu/N/availability). */
void gk_hotplug_init(void);
/* Idle vCPU `cpu` (events masked, nothing to run): if it was asked to go
 * offline, takes it down until it is brought up again. Non-zero if it
 * was down (the caller looks at its run queue afresh). */
int gk_smp_idle_offline(struct gk_cpu *cpu);
/* Wake vCPU `cpu`'s idle loop. */
void gk_sched_kick_cpu(unsigned int cpu);

/* Console ring (drivers/consfront.c): start using the ring start_info
 * names, if dom0 serves it (0, else -XEN_ENODEV: console_io stays). */
int gk_consfront_init(void);
/* Write to the ring (gk_console_ring_active()); waits while it is full. */
int gk_consfront_write(const char *buf, size_t len);
/* Waits up to timeout_ns until dom0 has consumed the ring's output. */
void gk_consfront_flush(uint64_t timeout_ns);

/* Linker script symbols. */
extern char _text[], _etext[], _edata[], _end[];

#endif /* PVISOR_GUEST_KIT_KERNEL_INTERNAL_H */
