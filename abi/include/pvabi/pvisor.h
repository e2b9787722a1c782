/* SPDX-License-Identifier: MIT */
/* pvisor.h: pvisor's own ABI facts (transport ports, layout, extensions). */
#ifndef PVISOR_ABI_PVABI_PVISOR_H
#define PVISOR_ABI_PVABI_PVISOR_H

#include <stdint.h>

/*
 * Transport. Each 32-byte hypercall-page stub loads the hypercall number
 * into eax and executes `out %eax, $PV_PORT_HYPERCALL`. Arguments stay in
 * rdi, rsi, rdx, r10, r8 (Xen's x86_64 convention); the result is in rax.
 * The TSS I/O bitmap lets CPL3 reach exactly these ports; any other port
 * raises #GP inside the guest.
 */
#define PV_PORT_HYPERCALL 0xe4 /* 32-bit out: eax = hypercall number */
#define PV_PORT_TRAP      0xe8 /* pvisor's default exception stubs */
#define PV_PORT_NOTIFY    0xec /* fast notify: eax = event channel port */
/*
 * The `syscall` transport: a guest kernel's `syscall` continues at
 * pvisor's one-instruction stub `out %eax, $PV_PORT_SYSCALL` (LSTAR); the
 * exit is accepted only from that stub.
 */
#define PV_PORT_SYSCALL 0xf0

#define PV_HYPERCALL_STUB_SIZE 32
/* DomainSetup's hypercall_page_gpa for a kernel without a hypercall page
 * (it makes hypercalls with `syscall`, as Xen's 64-bit PV ABI allows). */
#define PV_NO_HYPERCALL_PAGE 0xffffffffffffffffULL
#define PV_HYPERCALL_MAX     128 /* stubs in one 4 KiB page */

/*
 * Extension hypercalls (numbers Xen leaves unused).
 * pvisor_notify(port): like EVTCHNOP_send on `port` of the calling domain,
 * without an argument struct. When the port is bound to a dom0 backend the
 * stub's `out` is consumed by KVM_IOEVENTFD in the host kernel and never
 * reaches pvisor's user space. Returns 0 or -XEN_EINVAL/-XEN_ENOENT... on
 * the slow path; on the fast path it always returns 0.
 */
#define __HYPERVISOR_pvisor_notify 60

/*
 * pvisor's private area (GDT, TSS, IDTs, default exception stubs) is mapped
 * by pvisor at this guest virtual address, L4 slot 255: the top 512 GiB of
 * the lower half, in every page-table base the guest installs. Xen reserves
 * 0xffff800000000000.. (slots 256-271) instead; under the "PVM" flavour of
 * KVM those upper slots carry the host's own mappings in the shadow page
 * tables, so pvisor cannot use them. Supervisor-only except the default
 * exception stubs. Guests must leave L4 slot 255 alone.
 */
#define PV_PRIV_VA      0x00007f8000000000ULL
#define PV_PRIV_L4_SLOT 255

/* Guest virtual base that guest-kit kernels link at (from their ELF note). */
#define PV_GUESTKIT_VIRT_BASE 0xffffffff80000000ULL

/*
 * Exit codes (extension). Xen's sched_shutdown carries only a reason; pvisor
 * reads bits 8..15 of sched_shutdown.reason as an exit code that `pvctl
 * wait`/`list -l` report. Bits above 15 must be zero. A Xen guest never sets
 * them, so it always reports code 0.
 */
#define PV_SHUTDOWN_CODE_SHIFT 8
#define PV_SHUTDOWN_REASON(reason, code) \
    ((uint32_t)(reason) | ((uint32_t)((code)&0xff) << PV_SHUTDOWN_CODE_SHIFT))

/* Upper bound on vCPUs per domain (shared_info holds 32 vcpu_info). */
#define PV_MAX_VCPUS 32

#endif /* PVISOR_ABI_PVABI_PVISOR_H */
