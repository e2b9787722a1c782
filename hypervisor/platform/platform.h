/* SPDX-License-Identifier: MIT */
/* platform.h: the seam between pvisor's core and what runs guest code. */
#ifndef PVISOR_HYPERVISOR_PLATFORM_PLATFORM_H
#define PVISOR_HYPERVISOR_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_domain;
struct hv_vcpu;

/* A vCPU's general registers, as the core sees them. */
struct hv_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

/* Why a vCPU came back from hv_platform.vcpu_run. */
enum hv_exit_kind {
    HV_EXIT_NONE = 0,  /* kicked or interrupted: nothing to do */
    HV_EXIT_IO,        /* `out` to one of pvisor's ports */
    HV_EXIT_HYPERCALL, /* a hypercall arrived, registers in v->regs */
    HV_EXIT_EXCEPTION, /* a guest exception pvisor must bounce or report */
    HV_EXIT_CRASH,     /* the guest cannot continue; msg says why */
};

struct hv_exit {
    enum hv_exit_kind kind;
    uint16_t port; /* IO */
    uint32_t val;  /* IO: eax; HYPERCALL: number */
    unsigned vec;  /* EXCEPTION */
    uint64_t err;  /* EXCEPTION: error code (vectors that push one) */
    uint64_t cr2;  /* EXCEPTION #PF */
    char msg[200]; /* CRASH */
};

/*
 * One platform: everything that depends on how guest code is run. The core
 * (hypercalls, events, grants, timers, crash reports, management) calls only
 * these; a platform keeps its own state behind d->plat_data/v->plat_data.
 * Guest RAM (d->mem_fd, d->mem) and the private area (d->priv_fd, d->priv)
 * are made by the core before domain_create and freed after domain_destroy.
 */
struct hv_platform {
    const char *name;          /* "kvm", "proc" */
    char flavour[32];          /* e.g. "kvm_pvm", "ptrace" */
    int api_version;           /* KVM API version; 0 elsewhere */
    uint16_t user_cs, user_ss; /* selectors in bounce frames */
    bool available;            /* init succeeded */

    /* Once at start-up; a precise error if the platform is unusable. */
    int (*init)(struct hv_platform *p, char *err, size_t errlen);
    /* Execution context of a domain (a VM, a process). */
    int (*domain_create)(struct hv_domain *d, char *err, size_t errlen);
    void (*domain_destroy)(struct hv_domain *d);
    int (*vcpu_create)(struct hv_vcpu *v);
    /* Called on the vCPU's own thread when it starts and before it ends. */
    int (*vcpu_thread_start)(struct hv_vcpu *v);
    void (*vcpu_thread_stop)(struct hv_vcpu *v);
    /* Start-of-day state: cr3, rip, rsp, rsi, flat selectors, IF. */
    int (*vcpu_reset)(struct hv_vcpu *v, uint64_t cr3, uint64_t rip,
                      uint64_t rsp, uint64_t rsi);
    /* Run until pvisor is needed; v->regs holds the registers after it
     * returns 0 (the core marks them dirty to have them written back). */
    int (*vcpu_run)(struct hv_vcpu *v, struct hv_exit *ex);
    /* Fill v->regs from the vCPU (vCPU thread, not running). */
    int (*get_regs)(struct hv_vcpu *v);
    /* Make a running vCPU return from vcpu_run soon (any thread). */
    void (*kick)(struct hv_vcpu *v);
    /* pvisor's L4 slot in a page-table base the guest installs. */
    int (*install_l4_slot)(struct hv_domain *d, uint64_t cr3);
    int (*set_cr3)(struct hv_vcpu *v, uint64_t cr3);
    /* pvisor edited page tables from outside: re-read them. */
    int (*mmu_resync)(struct hv_domain *d);
    /* vCPU thread: flush this vCPU's view of the page tables. */
    void (*flush_tlb)(struct hv_vcpu *v);
    /* Guest handler for vec (0: pvisor's default). */
    void (*set_trap)(struct hv_vcpu *v, unsigned vec, uint64_t addr,
                     unsigned dpl);
    /* which: 0 = FS, 1 = kernel GS. */
    int (*set_segbase)(struct hv_vcpu *v, int which, uint64_t base);
    int (*get_cr2)(struct hv_vcpu *v, uint64_t *cr2);
    uint64_t (*guest_tsc)(struct hv_vcpu *v);
    /* Write the 32-byte hypercall stubs that suit this platform. */
    void (*fill_hypercall_page)(uint8_t *page);
    /* Fast path for pvisor_notify on gport: signal fd without pvisor's
     * user space where the platform can (-EOPNOTSUPP: it cannot). */
    int (*notify_fd)(struct hv_domain *d, uint32_t gport, int fd, bool assign);
    /* Optional: whether v (registers fetched) is inside a transport stub
     * the platform completes at its next exit (an upcall waits for it). */
    bool (*in_transport_stub)(struct hv_vcpu *v);
    /* Optional: CPU time (ns) v's guest code has used outside pvisor's
     * vCPU thread, cumulative over the domain's life and never falling
     * (any thread). NULL where guest code runs in that thread (KVM). */
    uint64_t (*guest_cpu_ns)(struct hv_vcpu *v);
    /* Optional: the host thread (tid) that runs v's guest code where it
     * is not pvisor's vCPU thread (proc: the traced stub thread), 0 when
     * there is none; vCPU placement (affinity, cgroup) applies to it
     * too. NULL where guest code runs in the vCPU thread (KVM). */
    int (*guest_tid)(struct hv_vcpu *v);
};

extern struct hv_platform hv_platform_kvm;
extern struct hv_platform hv_platform_proc;

/* The platform new domains get when their config names none. */
extern struct hv_platform *hv_platform_default;
/* By name ("kvm", "proc"); NULL if unknown. */
struct hv_platform *hv_platform_find(const char *name);
/* Initialise the platforms; choice "kvm", "proc" or "auto". */
int hv_platforms_init(const char *choice, char *err, size_t errlen);

/* Stubs shared by platforms: Xen's `syscall` transport (rcx/r11 saved). */
void hv_fill_hypercall_page_syscall(uint8_t *page);

#endif
