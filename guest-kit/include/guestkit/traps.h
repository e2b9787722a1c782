/* SPDX-License-Identifier: MIT */
/* traps.h: exception handlers registered with set_trap_table. */
#ifndef PVISOR_GUEST_KIT_TRAPS_H
#define PVISOR_GUEST_KIT_TRAPS_H

#include <stdint.h>

/* x86 exception vectors. */
#define GK_TRAP_DE  0 /* divide error */
#define GK_TRAP_DB  1 /* debug */
#define GK_TRAP_NMI 2
#define GK_TRAP_BP  3  /* breakpoint */
#define GK_TRAP_OF  4  /* overflow */
#define GK_TRAP_BR  5  /* bound range */
#define GK_TRAP_UD  6  /* invalid opcode */
#define GK_TRAP_NM  7  /* device not available */
#define GK_TRAP_DF  8  /* double fault */
#define GK_TRAP_TS  10 /* invalid TSS */
#define GK_TRAP_NP  11 /* segment not present */
#define GK_TRAP_SS  12 /* stack fault */
#define GK_TRAP_GP  13 /* general protection */
#define GK_TRAP_PF  14 /* page fault */
#define GK_TRAP_MF  16 /* x87 error */
#define GK_TRAP_AC  17 /* alignment check */
#define GK_TRAP_MC  18 /* machine check */
#define GK_TRAP_XM  19 /* SIMD error */
#define GK_TRAP_VE  20 /* virtualization exception */
#define GK_TRAP_CP  21 /* control protection */
#define GK_NR_TRAPS 22

/*
 * Registers at the time of an exception. The part from `rip` on is the
 * frame the CPU pushed (delivery at CPL3 through an IDT gate: no rcx/r11
 * as Xen would prepend); the entry stub adds a zero error code for
 * vectors without one, the vector number and all GPRs (same order as
 * Xen's cpu_user_regs).
 */
struct gk_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint64_t vector;
    uint64_t error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * A handler may repair the fault (e.g. move regs->rip past the faulting
 * instruction) and return 1 to resume with the modified registers, or
 * return 0 for the default action: a register dump and a crash.
 */
typedef int (*gk_trap_handler_t)(struct gk_regs *regs);

/*
 * Install `handler` for `vector` (< GK_NR_TRAPS) on all vCPUs; NULL
 * restores the default. Returns 0 or -XEN_EINVAL.
 */
int gk_trap_set_handler(unsigned int vector, gk_trap_handler_t handler);

/*
 * Give `vector` back to pvisor on the calling vCPU: exceptions then reach
 * pvisor's default stub, which crashes the domain with its own decoded
 * report (useful to show pvisor's diagnostics for a privileged
 * instruction). Returns 0 or a negative Xen errno.
 */
int gk_trap_release(unsigned int vector);

/* Print all registers, the vector, error code and (for #PF) cr2. */
void gk_dump_regs(const struct gk_regs *regs);

/* Install the trap table on the calling vCPU (boot and vCPU bring-up). */
void gk_traps_init_cpu(void);

/*
 * Fill `table` (256 entries, zero-terminated use) with guest-kit's trap
 * table, as VCPUOP_initialise wants it in vcpu_guest_context.trap_ctxt.
 */
struct trap_info;
void gk_traps_fill_ctxt(struct trap_info *table);

#endif /* PVISOR_GUEST_KIT_TRAPS_H */
