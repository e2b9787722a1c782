/* SPDX-License-Identifier: MIT */
/* entry.S: event upcall entry with re-enable race fixup, traps, switch. */
#include <guestkit/percpu.h>

/* vcpu_info fields (pvabi/xen.h, pinned by its static assertions). */
#define VI_UPCALL_PENDING   0
#define VI_UPCALL_MASK      1

/*
 * Event upcall. pvisor delivers it like Xen's bounce frame: it aligns rsp
 * down to 16, pushes ss, rsp, rflags, cs, rip, then r11 and rcx, sets
 * this vCPU's evtchn_upcall_mask and jumps here. So on entry
 *
 *     rsp -> [rcx, r11, rip, cs, rflags, rsp, ss]      (7 quadwords)
 *
 * with events masked. rcx and r11 are saved already, so they are free.
 *
 * Exit: restore the other registers, then in the critical region unmask
 * events, re-check evtchn_upcall_pending, and leave with
 * `reload rcx/r11; drop them; iretq`. Between the unmask and the iretq
 * another upcall can land on top of this frame. Left alone, each such
 * upcall would nest one frame deeper, without bound under an event storm.
 * Instead the nested entry notices (its interrupted rip lies in
 * [.Lcrit_start, .Lcrit_end)), throws its own frame away and processes
 * events on behalf of the outer frame, which becomes its frame again.
 * Where the outer frame is depends on how far the exit got; see
 * .Lfixup below.
 */
    .text
    .globl gk_upcall_entry
    .type gk_upcall_entry, @function
gk_upcall_entry:
    mov 16(%rsp), %rcx              /* interrupted rip */
    lea .Lcrit_start(%rip), %r11
    cmp %r11, %rcx
    jb .Lprocess
    lea .Lcrit_end(%rip), %r11
    cmp %r11, %rcx
    jb .Lfixup

.Lprocess:
    /* rsp -> [rcx, r11, rip, ...]; all other GPRs hold the interrupted
     * values; events are masked. */
    incq %gs:GK_CPU_UPCALLS
    push %rdi
    push %rsi
    push %rdx
    push %rax
    push %r8
    push %r9
    push %r10
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    call gk_evtchn_do_upcall        /* rsp is 16-aligned here */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    pop %rdx
    pop %rsi
    pop %rdi

    /*
     * Critical region. Let S be the value of rsp here (the outer frame,
     * rcx slot first). A nested upcall can arrive only after (a) has
     * cleared the mask:
     *
     *   interrupted at      rsp    rcx,r11 real values in   outer frame
     *   (b) (c) (d) (e) (f) S      outer frame slots        at S, intact
     *   (h)                 S      outer frame slots        at S, intact
     *   (g) iretq           S+16   nested frame's slots     at S, its rcx/
     *                                                       r11 slots may be
     *                                                       overwritten
     */
.Lcrit_start:
    mov %gs:GK_CPU_VCPU_INFO, %r11
    movb $0, VI_UPCALL_MASK(%r11)           /* (a) unmask */
    cmpb $0, VI_UPCALL_PENDING(%r11)        /* (b) raised meanwhile? */
    jne .Lagain                             /* (c) */
    mov (%rsp), %rcx                        /* (d) */
    mov 8(%rsp), %r11                       /* (e) */
    lea 16(%rsp), %rsp                      /* (f) */
.Liret:
    iretq                                   /* (g) */
.Lagain:
    movb $1, VI_UPCALL_MASK(%r11)           /* (h) mask again */
.Lcrit_end:
    jmp .Lprocess

    /*
     * A nested upcall interrupted the critical region. Its own frame is at
     * rsp: [rcx, r11, rip, cs, rflags, rsp = S', ss], where S' is the
     * interrupted rsp. Events are masked again (pvisor set the mask).
     */
.Lfixup:
    incq %gs:GK_CPU_FIXUPS
    lea .Liret(%rip), %r11
    cmp %r11, %rcx
    je 1f
    /*
     * (b)-(f), (h): rcx/r11 were not yet dropped, the outer frame is
     * intact at S' and holds the real rcx/r11; every other register
     * holds the interrupted values. Drop the nested frame.
     */
    mov 40(%rsp), %rsp
    jmp .Lprocess
1:
    /*
     * (g): rcx/r11 were reloaded and rsp moved past their slots, so the
     * outer frame's rip..ss start at S' and the real rcx/r11 are the
     * ones the nested frame saved. Rebuild the outer rcx/r11 slots at
     * [S'-16, S') from them. Only the nested frame's top slots (its rsp
     * and ss) can share that range: its rcx/r11 slots lie at or below
     * S' - 48, and S' is loaded before anything is written.
     */
    mov 40(%rsp), %r11              /* S' */
    mov 8(%rsp), %rcx               /* real r11 */
    mov %rcx, -8(%r11)
    mov (%rsp), %rcx                /* real rcx */
    mov %rcx, -16(%r11)
    lea -16(%r11), %rsp
    jmp .Lprocess
    .size gk_upcall_entry, . - gk_upcall_entry

/*
 * Exception entries. The CPU delivers them at CPL3 through the IDT gate
 * with the hardware frame [error code], rip, cs, rflags, rsp, ss. Each
 * stub makes the frame uniform (a zero error code where the CPU pushes
 * none), pushes the vector, and joins gk_trap_common, which saves the
 * GPRs as a struct gk_regs and calls gk_trap_dispatch(regs).
 */
.macro TRAP_NOERR vec
    .balign 16
gk_trap_\vec:
    pushq $0
    pushq $\vec
    jmp gk_trap_common
.endm

.macro TRAP_ERR vec
    .balign 16
gk_trap_\vec:
    pushq $\vec
    jmp gk_trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21

    .type gk_trap_common, @function
gk_trap_common:
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rax
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi                  /* struct gk_regs *, 16-aligned */
    call gk_trap_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    add $16, %rsp                   /* vector, error code */
    iretq
    .size gk_trap_common, . - gk_trap_common

/* Entry address per vector (0: guest-kit leaves the vector to pvisor). */
    .section .rodata
    .balign 8
    .globl gk_trap_entries
    .type gk_trap_entries, @object
gk_trap_entries:
    .quad gk_trap_0, gk_trap_1, 0, gk_trap_3
    .quad gk_trap_4, gk_trap_5, gk_trap_6, gk_trap_7
    .quad gk_trap_8, 0, gk_trap_10, gk_trap_11
    .quad gk_trap_12, gk_trap_13, gk_trap_14, 0
    .quad gk_trap_16, gk_trap_17, gk_trap_18, gk_trap_19
    .quad gk_trap_20, gk_trap_21
    .size gk_trap_entries, . - gk_trap_entries
    .text

/*
 * gk_arch_switch(uint64_t *prev_sp, uint64_t next_sp): cooperative
 * context switch. Only callee-saved registers need saving; the kernel
 * is built without SSE, so there is no FPU state to carry.
 */
    .globl gk_arch_switch
    .type gk_arch_switch, @function
gk_arch_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size gk_arch_switch, . - gk_arch_switch

/* A new thread's first return lands here with r12 = its struct gk_thread. */
    .globl gk_thread_trampoline
    .type gk_thread_trampoline, @function
gk_thread_trampoline:
    xor %ebp, %ebp
    mov %r12, %rdi
    and $-16, %rsp
    call gk_thread_start_c
1:  ud2
    jmp 1b
    .size gk_thread_trampoline, . - gk_thread_trampoline

    .section .note.GNU-stack, "", @progbits
