/* SPDX-License-Identifier: MIT */
/* hypercall.h: inline HYPERVISOR_* wrappers over the hypercall page. */
#ifndef PVISOR_GUEST_KIT_HYPERCALL_H
#define PVISOR_GUEST_KIT_HYPERCALL_H

#include <stdint.h>

#include <pvabi/xen.h>
#include <pvabi/pvisor.h>
#include <pvabi/errno.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/event_channel.h>
#include <pvabi/callback.h>
#include <pvabi/memory.h>
#include <pvabi/version.h>

/*
 * The 4 KiB page pvisor fills with one 32-byte stub per hypercall before
 * the kernel starts (`mov $nr,%eax; out %eax,$0xe4; ret`). Its address is
 * published in the XEN_ELFNOTE_HYPERCALL_PAGE note.
 */
extern char hypercall_page[4096];

/*
 * A hypercall is a near call into stub `nr`. Arguments travel in rdi, rsi,
 * rdx, r10 and r8, the result comes back in rax. The stub itself writes
 * only eax and pvisor preserves every other register, so the only
 * clobbers are rax (the output) and memory (pvisor may write guest
 * buffers). Arguments are evaluated into locals before the register
 * variables are bound, so no argument expression can disturb r10/r8.
 */
#define GK_HCALL_ASM(nr) "call hypercall_page + %c[gk_off]"
#define GK_HCALL_OFF(nr) [gk_off] "i"((nr)*PV_HYPERCALL_STUB_SIZE)

#define _gk_hypercall0(nr)                  \
    ({                                      \
        long gk_ret_;                       \
        __asm__ volatile(GK_HCALL_ASM(nr)   \
                         : "=a"(gk_ret_)    \
                         : GK_HCALL_OFF(nr) \
                         : "memory");       \
        gk_ret_;                            \
    })

#define _gk_hypercall1(nr, a1)                           \
    ({                                                   \
        unsigned long gk_a1_ = (unsigned long)(a1);      \
        long gk_ret_;                                    \
        __asm__ volatile(GK_HCALL_ASM(nr)                \
                         : "=a"(gk_ret_)                 \
                         : GK_HCALL_OFF(nr), "D"(gk_a1_) \
                         : "memory");                    \
        gk_ret_;                                         \
    })

#define _gk_hypercall2(nr, a1, a2)                                    \
    ({                                                                \
        unsigned long gk_a1_ = (unsigned long)(a1);                   \
        unsigned long gk_a2_ = (unsigned long)(a2);                   \
        long gk_ret_;                                                 \
        __asm__ volatile(GK_HCALL_ASM(nr)                             \
                         : "=a"(gk_ret_)                              \
                         : GK_HCALL_OFF(nr), "D"(gk_a1_), "S"(gk_a2_) \
                         : "memory");                                 \
        gk_ret_;                                                      \
    })

#define _gk_hypercall3(nr, a1, a2, a3)                                 \
    ({                                                                 \
        unsigned long gk_a1_ = (unsigned long)(a1);                    \
        unsigned long gk_a2_ = (unsigned long)(a2);                    \
        unsigned long gk_a3_ = (unsigned long)(a3);                    \
        long gk_ret_;                                                  \
        __asm__ volatile(GK_HCALL_ASM(nr)                              \
                         : "=a"(gk_ret_)                               \
                         : GK_HCALL_OFF(nr), "D"(gk_a1_), "S"(gk_a2_), \
                           "d"(gk_a3_)                                 \
                         : "memory");                                  \
        gk_ret_;                                                       \
    })

#define _gk_hypercall4(nr, a1, a2, a3, a4)                             \
    ({                                                                 \
        unsigned long gk_a1_ = (unsigned long)(a1);                    \
        unsigned long gk_a2_ = (unsigned long)(a2);                    \
        unsigned long gk_a3_ = (unsigned long)(a3);                    \
        unsigned long gk_a4_ = (unsigned long)(a4);                    \
        register unsigned long gk_r10_ __asm__("r10") = gk_a4_;        \
        long gk_ret_;                                                  \
        __asm__ volatile(GK_HCALL_ASM(nr)                              \
                         : "=a"(gk_ret_)                               \
                         : GK_HCALL_OFF(nr), "D"(gk_a1_), "S"(gk_a2_), \
                           "d"(gk_a3_), "r"(gk_r10_)                   \
                         : "memory");                                  \
        gk_ret_;                                                       \
    })

#define _gk_hypercall5(nr, a1, a2, a3, a4, a5)                         \
    ({                                                                 \
        unsigned long gk_a1_ = (unsigned long)(a1);                    \
        unsigned long gk_a2_ = (unsigned long)(a2);                    \
        unsigned long gk_a3_ = (unsigned long)(a3);                    \
        unsigned long gk_a4_ = (unsigned long)(a4);                    \
        unsigned long gk_a5_ = (unsigned long)(a5);                    \
        register unsigned long gk_r10_ __asm__("r10") = gk_a4_;        \
        register unsigned long gk_r8_ __asm__("r8") = gk_a5_;          \
        long gk_ret_;                                                  \
        __asm__ volatile(GK_HCALL_ASM(nr)                              \
                         : "=a"(gk_ret_)                               \
                         : GK_HCALL_OFF(nr), "D"(gk_a1_), "S"(gk_a2_), \
                           "d"(gk_a3_), "r"(gk_r10_), "r"(gk_r8_)      \
                         : "memory");                                  \
        gk_ret_;                                                       \
    })

/*
 * Wrappers, one per hypercall. Each returns what pvisor put in rax: 0 or a
 * positive value on success, -XEN_Exxx on failure. Pointer arguments are
 * guest virtual addresses; pvisor validates and copies them.
 */

/* Install the virtual IDT: entries end at the first zero address. */
static inline long HYPERVISOR_set_trap_table(const struct trap_info *table)
{
    return _gk_hypercall1(__HYPERVISOR_set_trap_table, table);
}

/* Apply `count` page-table updates; *done (may be NULL) gets the count done. */
static inline long HYPERVISOR_mmu_update(struct mmu_update *req,
                                         unsigned int count, unsigned int *done,
                                         domid_t dom)
{
    return _gk_hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}

/* Legacy registration of the event, failsafe and syscall entry points. */
static inline long HYPERVISOR_set_callbacks(unsigned long event,
                                            unsigned long failsafe,
                                            unsigned long syscall)
{
    return _gk_hypercall3(__HYPERVISOR_set_callbacks, event, failsafe, syscall);
}

/* XENMEM_* operations. */
static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return _gk_hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

/* Run `nr` calls in one exit; each entry's result is written back. */
static inline long HYPERVISOR_multicall(struct multicall_entry *calls,
                                        unsigned int nr)
{
    return _gk_hypercall2(__HYPERVISOR_multicall, calls, nr);
}

/* Write the L1 entry mapping `va` (which must have an L1 table). */
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte,
                                                unsigned long flags)
{
    return _gk_hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

/* One-shot VIRQ_TIMER at absolute system time `timeout` (ns); 0 cancels. */
static inline long HYPERVISOR_set_timer_op(uint64_t timeout)
{
    return _gk_hypercall1(__HYPERVISOR_set_timer_op, timeout);
}

/* XENVER_* queries. */
static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return _gk_hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

/* CONSOLEIO_write `count` bytes at `str` to the domain's console log. */
static inline long HYPERVISOR_console_io(int cmd, int count, const char *str)
{
    return _gk_hypercall3(__HYPERVISOR_console_io, cmd, count, str);
}

/*
 * Return from an exception or upcall through pvisor: `ctx` (rax, r11, rcx,
 * flags, rip, cs, rflags, rsp, ss) is the frame. The stub is entered by a
 * jump (not a call) with the frame minus rax at the stack pointer and rax
 * in %rax; it pushes rax, so pvisor finds the whole frame at rsp. pvisor
 * resumes at ctx->rip with ctx->rsp, and unmasks events if ctx->rflags has
 * IF set. Never returns. guest-kit itself returns with iretq instead.
 */
static inline __attribute__((noreturn)) void
HYPERVISOR_iret(const struct iret_context *ctx)
{
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "jmp hypercall_page + %c[gk_off]"
                     :
                     : "r"(&ctx->r11), "a"(ctx->rax),
                       GK_HCALL_OFF(__HYPERVISOR_iret)
                     : "memory");
    __builtin_unreachable();
}

/* VCPUOP_* on vCPU `vcpu` of the calling domain. */
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return _gk_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

/* Set the FS or kernel/user GS base (SEGBASE_*). */
static inline long HYPERVISOR_set_segment_base(unsigned int which,
                                               unsigned long base)
{
    return _gk_hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

/* MMUEXT_* operations (TLB flushes, pinning, new base pointer). */
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op,
                                        unsigned int count, unsigned int *done,
                                        domid_t dom)
{
    return _gk_hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom);
}

/* SCHEDOP_* (yield, block, shutdown, poll, ...). */
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
    return _gk_hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

/* CALLBACKOP_register / unregister. */
static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
    return _gk_hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

/* EVTCHNOP_* with the op struct named after the command. */
static inline long HYPERVISOR_event_channel_op(int cmd, void *op)
{
    return _gk_hypercall2(__HYPERVISOR_event_channel_op, cmd, op);
}

/* GNTTABOP_* on `count` op structs. */
static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop,
                                             unsigned int count)
{
    return _gk_hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

/* pvisor extension: EVTCHNOP_send on `port` without an argument struct. */
static inline long HYPERVISOR_pvisor_notify(evtchn_port_t port)
{
    return _gk_hypercall1(__HYPERVISOR_pvisor_notify, port);
}

#endif /* PVISOR_GUEST_KIT_HYPERCALL_H */
