/* SPDX-License-Identifier: MIT */
/*
 * proc_stub.S: the program a proc-platform domain's host process runs.
 * argc - 1 = number of vCPU threads, argv[0] its name. It makes the
 * threads, turns on
 * no_new_privs and a seccomp filter (on every thread) that lets only the
 * stub's own text make the few system calls pvisor injects (mmap, munmap,
 * mprotect, close, pause, exit; prctl and capset to drop privileges),
 * closes its ready pipe and parks in
 * pause(). pvisor then traces each thread and runs guest code on it.
 */
#include "proc_stub.h"

#define SYS_close      3
#define SYS_mmap       9
#define SYS_mprotect   10
#define SYS_munmap     11
#define SYS_pause      34
#define SYS_clone      56
#define SYS_capset     126
#define SYS_exit       60
#define SYS_prctl      157
#define SYS_exit_group 231
#define SYS_seccomp    317

#define CLONE_THREAD_FLAGS 0x50f00 /* VM FS FILES SIGHAND THREAD SYSVSEM */
#define PR_SET_NO_NEW_PRIVS 38
#define PR_SET_NAME 15
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_TSYNC 1

/* classic BPF */
#define LD_ABS  0x20
#define JEQ     0x15
#define JGE     0x35
#define RET     0x06
#define KILL    0x80000000 /* SECCOMP_RET_KILL_PROCESS */
#define ALLOW   0x7fff0000
#define INSN(code, jt, jf, k) .short code; .byte jt, jf; .long k

    .text
    .globl _start
gadget:                         /* PROC_STUB_GADGET: pvisor's injections */
    syscall
    int3
    .org 0x10
park:                           /* PROC_STUB_PARK */
    mov $SYS_pause, %eax
    syscall
    jmp park
    .org 0x20                   /* PROC_STUB_CAP_HDR: capset's header */
    .long 0x20080522            /* _LINUX_CAPABILITY_VERSION_3 */
    .long 0                     /* this thread */
    .org 0x28                   /* PROC_STUB_CAP_NONE: no capability */
    .fill 6, 4, 0
    .org 0x40                   /* PROC_STUB_CAP_RAWIO: CAP_SYS_RAWIO */
    .long 1 << 17, 1 << 17, 1 << 17
    .fill 3, 4, 0
    .org 0x60

_start:
    mov $SYS_prctl, %eax        /* the thread's name: argv[0] */
    mov $PR_SET_NAME, %edi
    mov 8(%rsp), %rsi
    syscall
    mov (%rsp), %r12
    dec %r12                    /* vCPU threads wanted */
    mov $1, %r13
1:  cmp %r12, %r13
    jae 2f
    lea stacks(%rip), %rsi
    mov %r13, %rax
    inc %rax
    shl $12, %rax
    add %rax, %rsi              /* top of this thread's page */
    mov $CLONE_THREAD_FLAGS, %edi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $SYS_clone, %eax
    syscall
    test %rax, %rax
    jz park                     /* the new thread */
    js die
    inc %r13
    jmp 1b
2:
    mov $SYS_prctl, %eax
    mov $PR_SET_NO_NEW_PRIVS, %edi
    mov $1, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    syscall
    test %rax, %rax
    jnz die
    sub $16, %rsp               /* struct sock_fprog */
    movq $((filter_end - filter) / 8), (%rsp)
    lea filter(%rip), %rax
    mov %rax, 8(%rsp)
    mov $SYS_seccomp, %eax
    mov $SECCOMP_SET_MODE_FILTER, %edi
    mov $SECCOMP_FILTER_FLAG_TSYNC, %esi
    mov %rsp, %rdx
    syscall
    test %rax, %rax
    jnz die
    mov $SYS_close, %eax
    mov $PROC_FD_READY, %edi
    syscall
    jmp park
die:
    mov $SYS_exit_group, %eax
    mov $1, %edi
    syscall
    ud2

    .balign 8
filter:
    INSN(LD_ABS, 0, 0, 4)                   /* arch */
    INSN(JEQ, 1, 0, 0xc000003e)             /* AUDIT_ARCH_X86_64 */
    INSN(RET, 0, 0, KILL)
    INSN(LD_ABS, 0, 0, 12)                  /* instruction pointer, high */
    INSN(JEQ, 1, 0, (PROC_STUB_BASE >> 32))
    INSN(RET, 0, 0, KILL)
    INSN(LD_ABS, 0, 0, 8)                   /* instruction pointer, low */
    INSN(JGE, 0, 1, PROC_STUB_TEXT_SIZE)
    INSN(RET, 0, 0, KILL)
    INSN(LD_ABS, 0, 0, 0)                   /* system call number */
    INSN(JEQ, 9, 0, SYS_mmap)
    INSN(JEQ, 8, 0, SYS_munmap)
    INSN(JEQ, 7, 0, SYS_mprotect)
    INSN(JEQ, 6, 0, SYS_pause)
    INSN(JEQ, 5, 0, SYS_close)
    INSN(JEQ, 4, 0, SYS_exit)
    INSN(JEQ, 3, 0, SYS_exit_group)
    INSN(JEQ, 2, 0, SYS_prctl)
    INSN(JEQ, 1, 0, SYS_capset)
    INSN(RET, 0, 0, KILL)
    INSN(RET, 0, 0, ALLOW)
filter_end:

    .bss
    .balign 4096
stacks:
    .skip 4096 * 33

    .section .note.GNU-stack, "", @progbits
