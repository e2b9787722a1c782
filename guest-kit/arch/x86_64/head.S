/* SPDX-License-Identifier: MIT */
/* head.S: kernel entry, secondary vCPU entry, Xen ELF notes, hypercall page. */
#include <pvabi/elfnote.h>

/*
 * One note in the "Xen" namespace: 4-byte name "Xen\0", descriptor padded
 * to 4 bytes. The builder reads these from the PT_NOTE segment. String
 * notes are NUL-terminated; address notes are 8-byte values.
 */
.macro XEN_NOTE_BEGIN type
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:
.endm

.macro XEN_NOTE_END
4:  .balign 4
    .popsection
.endm

.macro XEN_NOTE_STR type, str
    XEN_NOTE_BEGIN \type
    .asciz "\str"
    XEN_NOTE_END
.endm

.macro XEN_NOTE_QUAD type, value
    XEN_NOTE_BEGIN \type
    .quad \value
    XEN_NOTE_END
.endm

    XEN_NOTE_STR XEN_ELFNOTE_GUEST_OS, "guestkit"
    XEN_NOTE_STR XEN_ELFNOTE_GUEST_VERSION, "1"
    XEN_NOTE_STR XEN_ELFNOTE_XEN_VERSION, "xen-3.0"
    XEN_NOTE_STR XEN_ELFNOTE_LOADER, "generic"
    XEN_NOTE_QUAD XEN_ELFNOTE_VIRT_BASE, _text      /* guest.lds base */
    XEN_NOTE_QUAD XEN_ELFNOTE_PADDR_OFFSET, 0       /* p_paddr = phys */
    XEN_NOTE_QUAD XEN_ELFNOTE_ENTRY, _start
    XEN_NOTE_QUAD XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page

/*
 * Entry from the builder: rsi = start_info (virtual), rsp = top of the
 * 64 KiB boot stack, all RAM mapped at the virtual base, bss already
 * zeroed. Events are masked until guest-kit unmasks them.
 */
    .section .text.head, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    cld
    mov %rsi, %rdi
    and $-16, %rsp
    xor %ebp, %ebp
    call gk_start
1:  ud2
    jmp 1b
    .size _start, . - _start

/*
 * First instruction of a secondary vCPU (VCPUOP_initialise context):
 * rdi = its struct gk_cpu, rsp = top of its boot stack.
 */
    .text
    .globl gk_secondary_entry
    .type gk_secondary_entry, @function
gk_secondary_entry:
    cld
    and $-16, %rsp
    xor %ebp, %ebp
    call gk_smp_secondary_start
1:  ud2
    jmp 1b
    .size gk_secondary_entry, . - gk_secondary_entry

/*
 * The hypercall page: pvisor overwrites it with 128 stubs of 32 bytes
 * before the kernel starts. Until then every byte pair is ud2, so a call
 * into an unfilled page faults loudly instead of running zeros.
 */
    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
    .type hypercall_page, @object
hypercall_page:
    .rept 4096 / 2
    ud2
    .endr
    .size hypercall_page, 4096

    .section .note.GNU-stack, "", @progbits
