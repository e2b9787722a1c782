/* SPDX-License-Identifier: MIT */
/* percpu.h: per-vCPU data reached through the kernel GS base. */
#ifndef PVISOR_GUEST_KIT_PERCPU_H
#define PVISOR_GUEST_KIT_PERCPU_H

/*
 * Offsets used by the assembly entry code (arch/x86_64/entry.S). The
 * struct below pins them with static assertions.
 */
#define GK_CPU_SELF      0
#define GK_CPU_VCPU_INFO 8
#define GK_CPU_UPCALLS   16
#define GK_CPU_FIXUPS    24

#ifndef __ASSEMBLER__

#include <stdint.h>

#include <pvabi/xen.h>
#include <pvabi/pvisor.h>

struct gk_thread;

/*
 * One per vCPU, at the vCPU's GS base (SEGBASE_GS_KERNEL), so code that
 * has no free register (the upcall exit path) can still find its own
 * vcpu_info with a %gs-relative load.
 */
struct gk_cpu {
    struct gk_cpu *self;         /* %gs:0 */
    struct vcpu_info *vcpu_info; /* this vCPU's slot in shared_info */
    uint64_t upcalls;            /* event upcalls taken */
    uint64_t fixups;             /* re-enable races fixed up */
    uint32_t id;                 /* vCPU number */
    volatile uint32_t online;    /* set once the vCPU runs its scheduler */
    struct gk_thread *current;   /* running thread */
    uint64_t trap_depth;         /* nested fatal traps (for the dump) */
};

_Static_assert(__builtin_offsetof(struct gk_cpu, self) == GK_CPU_SELF,
               "gk_cpu.self");
_Static_assert(__builtin_offsetof(struct gk_cpu, vcpu_info) == GK_CPU_VCPU_INFO,
               "gk_cpu.vcpu_info");
_Static_assert(__builtin_offsetof(struct gk_cpu, upcalls) == GK_CPU_UPCALLS,
               "gk_cpu.upcalls");
_Static_assert(__builtin_offsetof(struct gk_cpu, fixups) == GK_CPU_FIXUPS,
               "gk_cpu.fixups");

/* All vCPUs' data, indexed by vCPU number. */
extern struct gk_cpu gk_cpus[PV_MAX_VCPUS];

/* The calling vCPU's data. Threads never migrate, so this is stable. */
static inline struct gk_cpu *gk_this_cpu(void)
{
    struct gk_cpu *c;

    __asm__("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* The calling vCPU's number. */
static inline unsigned int gk_cpu_id(void)
{
    return gk_this_cpu()->id;
}

/* The calling vCPU's vcpu_info in shared_info. */
static inline struct vcpu_info *gk_this_vcpu_info(void)
{
    return gk_this_cpu()->vcpu_info;
}

#endif /* __ASSEMBLER__ */
#endif /* PVISOR_GUEST_KIT_PERCPU_H */
