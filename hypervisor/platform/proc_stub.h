/* SPDX-License-Identifier: MIT */
/* proc_stub.h: where the proc platform's stub lives in a guest's process. */
#ifndef PVISOR_HYPERVISOR_PLATFORM_PROC_STUB_H
#define PVISOR_HYPERVISOR_PLATFORM_PROC_STUB_H

/*
 * The stub is a tiny static program (proc_stub.S) linked inside pvisor's
 * L4 slot 255, which guests may not map: its text is read-only and
 * executable, nothing else of it matters after start-up. Descriptors it
 * starts with: 3 guest RAM, 4 the private area, 5 a pipe whose end it
 * closes once its threads exist and its seccomp filter is on.
 */
#define PROC_STUB_BASE      0x7fe000000000
#define PROC_STUB_GADGET    (PROC_STUB_BASE + 0x0)  /* syscall; int3 */
#define PROC_STUB_PARK      (PROC_STUB_BASE + 0x10) /* pause(), forever */
#define PROC_STUB_CAP_HDR   (PROC_STUB_BASE + 0x20) /* capset header */
#define PROC_STUB_CAP_NONE  (PROC_STUB_BASE + 0x28) /* capset data: none */
#define PROC_STUB_CAP_RAWIO (PROC_STUB_BASE + 0x40) /* CAP_SYS_RAWIO */
#define PROC_STUB_TEXT_SIZE 0x1000

#define PROC_FD_RAM   3
#define PROC_FD_PRIV  4
#define PROC_FD_READY 5

#endif
