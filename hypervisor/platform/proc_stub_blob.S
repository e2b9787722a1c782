/* SPDX-License-Identifier: MIT */
/* proc_stub_blob.S: the linked stub program, carried inside pvisor. */
    .section .rodata
    .balign 16
    .globl hv_proc_stub_elf, hv_proc_stub_elf_end
hv_proc_stub_elf:
    .incbin STUB_ELF
hv_proc_stub_elf_end:
    .section .note.GNU-stack, "", @progbits
