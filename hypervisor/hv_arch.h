/* SPDX-License-Identifier: MIT */
/* hv_arch.h: x86_64 facts pvisor relies on: PTE bits, selectors, private area. */
#ifndef PVISOR_HYPERVISOR_HV_ARCH_H
#define PVISOR_HYPERVISOR_HV_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include <pvabi/pvisor.h>

#define HV_PTE_P    (1ULL << 0)
#define HV_PTE_RW   (1ULL << 1)
#define HV_PTE_U    (1ULL << 2)
#define HV_PTE_A    (1ULL << 5)
#define HV_PTE_D    (1ULL << 6)
#define HV_PTE_PS   (1ULL << 7)
#define HV_PTE_NX   (1ULL << 63)
#define HV_PTE_ADDR 0x000ffffffffff000ULL

/* A canonical x86_64 address (48-bit: bits 63..47 all equal). */
static inline bool hv_canonical(uint64_t va)
{
    uint64_t top = va >> 47;

    return top == 0 || top == 0x1ffff;
}

/* Canonical and outside pvisor's L4 slot: an address a guest may own. */
static inline bool hv_guest_va_ok(uint64_t va)
{
    return hv_canonical(va) && ((va >> 39) & 511) != PV_PRIV_L4_SLOT;
}

/* Xen's flat x86_64 PV selectors. */
#define HV_SEL_CS32 0xe023
#define HV_SEL_DS   0xe02b /* FLAT_RING3_SS64 / DS32 */
#define HV_SEL_CS64 0xe033
#define HV_SEL_TSS  0xe040 /* pvisor's 16-byte TSS descriptor */
/* DPL0 selectors `syscall` loads on VT-x/SVM (STAR[47:32]); only the
 * syscall stub ever runs with them. */
#define HV_SEL_CS0 0xe008
#define HV_SEL_SS0 0xe010

/* IOPL=3, IF, reserved bit 1. */
#define HV_RFLAGS_INIT      0x3202ULL
#define HV_RFLAGS_USER_MASK 0x0000000000254dd5ULL /* bits a guest may set */

/*
 * The private area is guest-physical memory outside guest RAM, mapped by
 * pvisor's L4 slot 255 (PV_PRIV_L4_SLOT) at PV_PRIV_VA. Page numbers inside it:
 */
#define HV_PRIV_GPA       (1ULL << 38)
#define HV_PRIV_L3        0
#define HV_PRIV_L2        1
#define HV_PRIV_L1        2
#define HV_PRIV_GDT       3  /* 16 pages: 64 KiB */
#define HV_PRIV_TSS       19 /* 3 pages: TSS + 8 KiB I/O bitmap */
#define HV_PRIV_STUBS     22 /* default exception stubs, U|RO */
#define HV_PRIV_SYSCALL   23 /* the `syscall` entry stub (LSTAR), U|RO */
#define HV_PRIV_IDT       24 /* one IDT page per vCPU */
#define HV_PRIV_GNT       (HV_PRIV_IDT + 32) /* grant table frames */
#define HV_GNT_MAX_FRAMES 32
#define HV_PRIV_PAGES     (HV_PRIV_GNT + HV_GNT_MAX_FRAMES)
#define HV_TSS_LIMIT      (104 + 8192) /* includes the trailing 0xff byte */
#define HV_STUB_SIZE      16

#endif
