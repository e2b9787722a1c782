/* SPDX-License-Identifier: MIT */
/* elfnote.h: ELF note types a PV kernel uses to describe itself to builders. */
#ifndef PVISOR_ABI_PVABI_ELFNOTE_H
#define PVISOR_ABI_PVABI_ELFNOTE_H

/*
 * Notes live in a PT_NOTE segment with owner name "Xen". Values are
 * NUL-terminated strings or native-width (8-byte) integers as noted.
 */
#define XEN_ELFNOTE_INFO               0  /* unused */
#define XEN_ELFNOTE_ENTRY              1  /* int: kernel entry VA */
#define XEN_ELFNOTE_HYPERCALL_PAGE     2  /* int: VA of the hypercall page */
#define XEN_ELFNOTE_VIRT_BASE          3  /* int: VA the image is mapped at */
#define XEN_ELFNOTE_PADDR_OFFSET       4  /* int: p_paddr - this = phys */
#define XEN_ELFNOTE_XEN_VERSION        5  /* string: required Xen version */
#define XEN_ELFNOTE_GUEST_OS           6  /* string: e.g. "linux" */
#define XEN_ELFNOTE_GUEST_VERSION      7  /* string */
#define XEN_ELFNOTE_LOADER             8  /* string: must be "generic" */
#define XEN_ELFNOTE_PAE_MODE           9  /* string: x86_32 only */
#define XEN_ELFNOTE_FEATURES           10 /* string: '|'-separated list */
#define XEN_ELFNOTE_BSD_SYMTAB         11 /* string: "yes" to load symbols */
#define XEN_ELFNOTE_HV_START_LOW       12 /* int: lowest VA hole start */
#define XEN_ELFNOTE_L1_MFN_VALID       13 /* int pairs: L1 mask, value */
#define XEN_ELFNOTE_SUSPEND_CANCEL     14 /* int: suspend cancel ok */
#define XEN_ELFNOTE_INIT_P2M           15 /* int: VA for the p2m list */
#define XEN_ELFNOTE_MOD_START_PFN      16 /* int: module pfn ok */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* int: XENFEAT_* bitmap */
#define XEN_ELFNOTE_PHYS32_ENTRY       18 /* int: 32-bit HVM entry */
#define XEN_ELFNOTE_MAX                XEN_ELFNOTE_PHYS32_ENTRY

/* Core-dump notes (not loader input). */
#define XEN_ELFNOTE_CRASH_INFO              0x1000001
#define XEN_ELFNOTE_CRASH_REGS              0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE           0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER         0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION    0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION 0x2000003

#endif /* PVISOR_ABI_PVABI_ELFNOTE_H */
