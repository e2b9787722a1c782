/* SPDX-License-Identifier: MIT */
/* xen.h: core x86_64 PV guest ABI: hypercalls, shared pages, MMU ops. */
#ifndef PVISOR_ABI_PVABI_XEN_H
#define PVISOR_ABI_PVABI_XEN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Register convention (x86_64). The guest calls the 32-byte stub at
 * hypercall_page + nr * 32. The hypercall number travels in rax; up to five
 * arguments go in rdi, rsi, rdx, r10 and r8 (r10 replaces rcx, which the
 * SYSCALL-style entry would clobber). The result comes back in rax: zero or
 * a positive value on success, -XEN_Exxx on failure. Every other register
 * is preserved. Pointer arguments are guest virtual addresses.
 */

/* Hypercall numbers. Gaps (11, 43..47) are unused in Xen too. */
#define __HYPERVISOR_set_trap_table                0
#define __HYPERVISOR_mmu_update                    1
#define __HYPERVISOR_set_gdt                       2
#define __HYPERVISOR_stack_switch                  3
#define __HYPERVISOR_set_callbacks                 4
#define __HYPERVISOR_fpu_taskswitch                5
#define __HYPERVISOR_sched_op_compat               6
#define __HYPERVISOR_platform_op                   7
#define __HYPERVISOR_set_debugreg                  8
#define __HYPERVISOR_get_debugreg                  9
#define __HYPERVISOR_update_descriptor             10
#define __HYPERVISOR_memory_op                     12
#define __HYPERVISOR_multicall                     13
#define __HYPERVISOR_update_va_mapping             14
#define __HYPERVISOR_set_timer_op                  15
#define __HYPERVISOR_event_channel_op_compat       16
#define __HYPERVISOR_xen_version                   17
#define __HYPERVISOR_console_io                    18
#define __HYPERVISOR_physdev_op_compat             19
#define __HYPERVISOR_grant_table_op                20
#define __HYPERVISOR_vm_assist                     21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret                          23
#define __HYPERVISOR_vcpu_op                       24
#define __HYPERVISOR_set_segment_base              25
#define __HYPERVISOR_mmuext_op                     26
#define __HYPERVISOR_xsm_op                        27
#define __HYPERVISOR_nmi_op                        28
#define __HYPERVISOR_sched_op                      29
#define __HYPERVISOR_callback_op                   30
#define __HYPERVISOR_xenoprof_op                   31
#define __HYPERVISOR_event_channel_op              32
#define __HYPERVISOR_physdev_op                    33
#define __HYPERVISOR_hvm_op                        34
#define __HYPERVISOR_sysctl                        35
#define __HYPERVISOR_domctl                        36
#define __HYPERVISOR_kexec_op                      37
#define __HYPERVISOR_tmem_op                       38
#define __HYPERVISOR_argo_op                       39
#define __HYPERVISOR_xenpmu_op                     40
#define __HYPERVISOR_dm_op                         41
#define __HYPERVISOR_hypfs_op                      42
/* Reserved for architecture-specific use. */
#define __HYPERVISOR_arch_0 48
#define __HYPERVISOR_arch_1 49
#define __HYPERVISOR_arch_2 50
#define __HYPERVISOR_arch_3 51
#define __HYPERVISOR_arch_4 52
#define __HYPERVISOR_arch_5 53
#define __HYPERVISOR_arch_6 54
#define __HYPERVISOR_arch_7 55

/* Basic types. On x86_64 Xen's `unsigned long` fields are 64 bits. */
typedef uint16_t domid_t;
typedef uint64_t xen_pfn_t;
typedef uint64_t xen_ulong_t;
typedef uint64_t xen_callback_t; /* x86_64: a plain code address */

/* Domain ids at and above DOMID_FIRST_RESERVED name special owners. */
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF           0x7FF0U /* the calling domain */
#define DOMID_IO             0x7FF1U /* owner of I/O (MMIO) pages */
#define DOMID_XEN            0x7FF2U /* owner of hypervisor pages */
#define DOMID_COW            0x7FF3U /* owner of shared (CoW) pages */
#define DOMID_INVALID        0x7FF4U /* "no domain" */
#define DOMID_IDLE           0x7FFFU /* the idle domain */
#define DOMID_MASK           0x7FFFU

/* vcpu_info slots in shared_info; more vCPUs need VCPUOP_register_vcpu_info. */
#define XEN_LEGACY_MAX_VCPUS 32
#define MAX_VIRT_CPUS        XEN_LEGACY_MAX_VCPUS

/* 2-level event channels: 64 selector bits x 64 bits per word. */
#define NR_EVENT_CHANNELS (64 * 64)

/* ------------------------------------------------------------------ */
/* x86_64 segment selectors: every PV ring runs on Xen's flat GDT slots. */

#define FLAT_RING3_CS32 0xe023 /* GDT entry 260 */
#define FLAT_RING3_CS64 0xe033 /* GDT entry 262 */
#define FLAT_RING3_DS32 0xe02b /* GDT entry 261 */
#define FLAT_RING3_DS64 0x0000 /* null selector */
#define FLAT_RING3_SS32 0xe02b /* GDT entry 261 */
#define FLAT_RING3_SS64 0xe02b /* GDT entry 261 */

/* The kernel and user spaces of a 64-bit PV guest share the ring-3 slots. */
#define FLAT_KERNEL_DS64 FLAT_RING3_DS64
#define FLAT_KERNEL_DS32 FLAT_RING3_DS32
#define FLAT_KERNEL_DS   FLAT_KERNEL_DS64
#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_CS32 FLAT_RING3_CS32
#define FLAT_KERNEL_CS   FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_KERNEL_SS32 FLAT_RING3_SS32
#define FLAT_KERNEL_SS   FLAT_KERNEL_SS64
#define FLAT_USER_DS64   FLAT_RING3_DS64
#define FLAT_USER_DS32   FLAT_RING3_DS32
#define FLAT_USER_DS     FLAT_USER_DS64
#define FLAT_USER_CS64   FLAT_RING3_CS64
#define FLAT_USER_CS32   FLAT_RING3_CS32
#define FLAT_USER_CS     FLAT_USER_CS64
#define FLAT_USER_SS64   FLAT_RING3_SS64
#define FLAT_USER_SS32   FLAT_RING3_SS32
#define FLAT_USER_SS     FLAT_USER_SS64

/* GDT pages from this index on belong to the hypervisor. */
#define FIRST_RESERVED_GDT_PAGE  14
#define FIRST_RESERVED_GDT_BYTE  (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/* Virtual range reserved for the hypervisor (L4 slots 256..271). */
#define __HYPERVISOR_VIRT_START 0xFFFF800000000000
#define __HYPERVISOR_VIRT_END   0xFFFF880000000000
#define HYPERVISOR_VIRT_START   0xFFFF800000000000UL
#define HYPERVISOR_VIRT_END     0xFFFF880000000000UL
#define MACH2PHYS_VIRT_START    0xFFFF800000000000UL
#define MACH2PHYS_VIRT_END      0xFFFF804000000000UL

/* set_segment_base selectors. */
#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3 /* load user %gs from base[15:0] */

/* cr3 values hold a frame number shifted into place. */
#define xen_pfn_to_cr3(pfn) ((uint64_t)(pfn) << 12)
#define xen_cr3_to_pfn(cr3) ((uint64_t)(cr3) >> 12)

/* One virtual IDT entry for set_trap_table (a zero `address` ends a list). */
struct trap_info {
    uint8_t vector;
    uint8_t flags; /* 0-1: DPL that may raise it; 2: mask events */
    uint16_t cs;
    uint64_t address;
};
typedef struct trap_info trap_info_t;
_Static_assert(sizeof(struct trap_info) == 16, "trap_info");
_Static_assert(offsetof(struct trap_info, address) == 8, "trap_info.address");

#define TI_GET_DPL(ti)      ((ti)->flags & 3)
#define TI_GET_IF(ti)       ((ti)->flags & 4)
#define TI_SET_DPL(ti, dpl) ((ti)->flags |= (uint8_t)(dpl))
#define TI_SET_IF(ti, on)   ((ti)->flags |= (uint8_t)((!!(on)) << 2))

/* Full register file of a vCPU (x86_64 PV). */
struct cpu_user_regs {
    uint64_t r15;
    uint64_t r14;
    uint64_t r13;
    uint64_t r12;
    uint64_t rbp;
    uint64_t rbx;
    uint64_t r11;
    uint64_t r10;
    uint64_t r9;
    uint64_t r8;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rsi;
    uint64_t rdi;
    uint32_t error_code;   /* hypervisor-private */
    uint32_t entry_vector; /* hypervisor-private */
    uint64_t rip;
    uint16_t cs, _pad0[1];
    uint8_t saved_upcall_mask; /* event mask at the time of the trap */
    uint8_t _pad1[3];
    uint64_t rflags; /* IF mirrors !saved_upcall_mask */
    uint64_t rsp;
    uint16_t ss, _pad2[3];
    uint16_t es, _pad3[3];
    uint16_t ds, _pad4[3];
    uint16_t fs, _pad5[3];
    uint16_t gs, _pad6[3];
};
typedef struct cpu_user_regs cpu_user_regs_t;
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs");
_Static_assert(offsetof(struct cpu_user_regs, rdi) == 112, "regs.rdi");
_Static_assert(offsetof(struct cpu_user_regs, rip) == 128, "regs.rip");
_Static_assert(offsetof(struct cpu_user_regs, saved_upcall_mask) == 140,
               "regs.saved_upcall_mask");
_Static_assert(offsetof(struct cpu_user_regs, rflags) == 144, "regs.rflags");
_Static_assert(offsetof(struct cpu_user_regs, gs) == 192, "regs.gs");

/* vcpu_guest_context.flags */
#define VGCF_I387_VALID                (1 << 0)
#define VGCF_IN_KERNEL                 (1 << 2)
#define _VGCF_i387_valid               0
#define VGCF_i387_valid                (1 << _VGCF_i387_valid)
#define _VGCF_in_kernel                2
#define VGCF_in_kernel                 (1 << _VGCF_in_kernel)
#define _VGCF_failsafe_disables_events 3
#define VGCF_failsafe_disables_events  (1 << _VGCF_failsafe_disables_events)
#define _VGCF_syscall_disables_events  4
#define VGCF_syscall_disables_events   (1 << _VGCF_syscall_disables_events)
#define _VGCF_online                   5
#define VGCF_online                    (1 << _VGCF_online)
#define _VGCF_in_syscall               8
#define VGCF_in_syscall                (1 << _VGCF_in_syscall)
#define VGCF_IN_SYSCALL                VGCF_in_syscall

/* Initial state of a secondary vCPU (VCPUOP_initialise). */
struct vcpu_guest_context {
    struct {
        uint8_t x[512];
    } fpu_ctxt;     /* FXSAVE image, kept 16-aligned */
    uint64_t flags; /* VGCF_* */
    struct cpu_user_regs user_regs;
    struct trap_info trap_ctxt[256];
    uint64_t ldt_base, ldt_ents; /* linear address, entry count */
    uint64_t gdt_frames[16], gdt_ents;
    uint64_t kernel_ss, kernel_sp; /* stack used on entry to the kernel */
    uint64_t ctrlreg[8];           /* cr3 = kernel L4, ctrlreg[1] = user L4 */
    uint64_t debugreg[8];
    uint64_t event_callback_eip;
    uint64_t failsafe_callback_eip;
    uint64_t syscall_callback_eip;
    uint64_t vm_assist; /* VMASST_TYPE_* bitmap */
    uint64_t fs_base;
    uint64_t gs_base_kernel;
    uint64_t gs_base_user;
};
typedef struct vcpu_guest_context vcpu_guest_context_t;
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu_guest_context");
_Static_assert(offsetof(struct vcpu_guest_context, user_regs) == 520,
               "vgc.user_regs");
_Static_assert(offsetof(struct vcpu_guest_context, trap_ctxt) == 720,
               "vgc.trap_ctxt");
_Static_assert(offsetof(struct vcpu_guest_context, ctrlreg) == 4984,
               "vgc.ctrlreg");
_Static_assert(offsetof(struct vcpu_guest_context, gs_base_user) == 5160,
               "vgc.gs_base_user");

/* Stack layout HYPERVISOR_iret consumes, lowest address first. */
struct iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct iret_context) == 72, "iret_context");

/* ------------------------------------------------------------------ */
/* Shared pages. */

/*
 * Per-vCPU time base. The writer bumps `version` to odd, updates, then bumps
 * it to even again; a reader retries while it is odd or has changed.
 * now = system_time + (((tsc - tsc_timestamp) << tsc_shift)
 *                      * tsc_to_system_mul >> 32)  (negative shift = right)
 */
struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;     /* TSC at the last update */
    uint64_t system_time;       /* ns since the domain started */
    uint32_t tsc_to_system_mul; /* 32.32 fixed point ns per (shifted) tick */
    int8_t tsc_shift;
    uint8_t flags; /* XEN_PVCLOCK_* */
    uint8_t pad1[2];
};
typedef struct vcpu_time_info vcpu_time_info_t;
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info");
_Static_assert(offsetof(struct vcpu_time_info, tsc_to_system_mul) == 24,
               "vcpu_time_info.tsc_to_system_mul");

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0)
#define XEN_PVCLOCK_GUEST_STOPPED  (1 << 1)

struct arch_vcpu_info {
    uint64_t cr2; /* faulting address of the last #PF */
    uint64_t pad;
};
typedef struct arch_vcpu_info arch_vcpu_info_t;
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info");

/*
 * Per-vCPU event state. The hypervisor sets evtchn_upcall_pending and bits
 * of evtchn_pending_sel (one bit per 64-port word of evtchn_pending); the
 * guest clears them before scanning. A non-zero evtchn_upcall_mask blocks
 * upcalls (the PV equivalent of cli).
 */
struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    xen_ulong_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
typedef struct vcpu_info vcpu_info_t;
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8,
               "vcpu_info.evtchn_pending_sel");
_Static_assert(offsetof(struct vcpu_info, time) == 32, "vcpu_info.time");

struct arch_shared_info {
    uint64_t max_pfn; /* valid entries in the p2m */
    xen_pfn_t pfn_to_mfn_frame_list_list;
    uint64_t nmi_reason;
    uint64_t p2m_cr3;        /* address space of p2m_vaddr (0: unused) */
    uint64_t p2m_vaddr;      /* linear p2m list */
    uint64_t p2m_generation; /* odd while the guest edits the p2m */
};
typedef struct arch_shared_info arch_shared_info_t;
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info");

/*
 * The shared_info page. evtchn_pending/evtchn_mask hold one bit per port
 * (2-level ABI): pending is set by the hypervisor and cleared by the guest;
 * mask is owned by the guest. wc_* is the wall-clock time at system time 0,
 * versioned like vcpu_time_info.
 */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[64];
    xen_ulong_t evtchn_mask[64];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    struct arch_shared_info arch;
};
typedef struct shared_info shared_info_t;
#define xen_wc_sec_hi wc_sec_hi
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 2048,
               "shared_info.evtchn_pending");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 2560,
               "shared_info.evtchn_mask");
_Static_assert(offsetof(struct shared_info, wc_version) == 3072,
               "shared_info.wc_version");
_Static_assert(offsetof(struct shared_info, arch) == 3088, "shared_info.arch");

/*
 * start_info: the page rsi points at when the kernel starts. Addresses of
 * pages are frame numbers (mfn) or virtual addresses, as noted.
 */
#define MAX_GUEST_CMDLINE 1024
struct start_info {
    char magic[32];        /* "xen-<version>-<platform>" */
    uint64_t nr_pages;     /* pages the domain owns */
    uint64_t shared_info;  /* machine address of the shared_info page */
    uint32_t flags;        /* SIF_* */
    xen_pfn_t store_mfn;   /* xenstore ring frame */
    uint32_t store_evtchn; /* xenstore event channel */
    union {
        struct {
            xen_pfn_t mfn;   /* console ring frame */
            uint32_t evtchn; /* console event channel */
        } domU;
        struct {
            uint32_t info_off; /* offset of the console_info struct */
            uint32_t info_size;
        } dom0;
    } console;
    /* Filled only on first boot, not on resume: */
    uint64_t pt_base;      /* virtual address of the L4 table */
    uint64_t nr_pt_frames; /* frames used by the boot page tables */
    uint64_t mfn_list;     /* virtual address of the p2m list */
    uint64_t mod_start;    /* virtual address (or pfn) of a module */
    uint64_t mod_len;      /* module size in bytes */
    int8_t cmd_line[MAX_GUEST_CMDLINE];
    uint64_t first_p2m_pfn; /* first pfn of the initial p2m frames */
    uint64_t nr_p2m_frames;
};
typedef struct start_info start_info_t;
_Static_assert(sizeof(struct start_info) == 1168, "start_info");
_Static_assert(offsetof(struct start_info, flags) == 48, "start_info.flags");
_Static_assert(offsetof(struct start_info, store_mfn) == 56,
               "start_info.store_mfn");
_Static_assert(offsetof(struct start_info, console) == 72,
               "start_info.console");
_Static_assert(offsetof(struct start_info, pt_base) == 88,
               "start_info.pt_base");
_Static_assert(offsetof(struct start_info, cmd_line) == 128,
               "start_info.cmd_line");
_Static_assert(offsetof(struct start_info, nr_p2m_frames) == 1160,
               "start_info.nr_p2m_frames");

/* start_info.flags */
#define SIF_PRIVILEGED      (1 << 0)    /* domain is privileged */
#define SIF_INITDOMAIN      (1 << 1)    /* domain is the initial dom0 */
#define SIF_MULTIBOOT_MOD   (1 << 2)    /* mod_start is a multiboot list */
#define SIF_MOD_START_PFN   (1 << 3)    /* mod_start is a pfn */
#define SIF_VIRT_P2M_4TOOLS (1 << 4)    /* tools read the linear p2m */
#define SIF_PM_MASK         (0xFF << 8) /* power-management options */

/* With SIF_MULTIBOOT_MOD, mod_start points at an array of these. */
struct xen_multiboot_mod_list {
    uint32_t mod_start; /* first byte of the module */
    uint32_t mod_end;   /* last byte (inclusive) */
    uint32_t cmdline;   /* NUL-terminated command line */
    uint32_t pad;
};
_Static_assert(sizeof(struct xen_multiboot_mod_list) == 16,
               "xen_multiboot_mod_list");

/* ------------------------------------------------------------------ */
/* mmu_update: `ptr` low bits carry the command, the rest an address. */

#define MMU_NORMAL_PT_UPDATE       0 /* checked *ptr = val, ptr is a MA */
#define MMU_MACHPHYS_UPDATE        1 /* m2p[ptr >> 12] = val */
#define MMU_PT_UPDATE_PRESERVE_AD  2 /* like NORMAL, keeping A/D bits */
#define MMU_PT_UPDATE_NO_TRANSLATE 3 /* like NORMAL, val never translated */

struct mmu_update {
    uint64_t ptr; /* machine address of the PTE | MMU_* */
    uint64_t val; /* new PTE contents */
};
typedef struct mmu_update mmu_update_t;
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update");

/* mmuext_op commands. */
#define MMUEXT_PIN_L1_TABLE       0
#define MMUEXT_PIN_L2_TABLE       1
#define MMUEXT_PIN_L3_TABLE       2
#define MMUEXT_PIN_L4_TABLE       3
#define MMUEXT_UNPIN_TABLE        4
#define MMUEXT_NEW_BASEPTR        5
#define MMUEXT_TLB_FLUSH_LOCAL    6
#define MMUEXT_INVLPG_LOCAL       7
#define MMUEXT_TLB_FLUSH_MULTI    8
#define MMUEXT_INVLPG_MULTI       9
#define MMUEXT_TLB_FLUSH_ALL      10
#define MMUEXT_INVLPG_ALL         11
#define MMUEXT_FLUSH_CACHE        12
#define MMUEXT_SET_LDT            13
#define MMUEXT_NEW_USER_BASEPTR   15
#define MMUEXT_CLEAR_PAGE         16
#define MMUEXT_COPY_PAGE          17
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER         19
#define MMUEXT_UNMARK_SUPER       20

struct mmuext_op {
    uint32_t cmd; /* MMUEXT_* */
    union {
        xen_pfn_t mfn;        /* pin/unpin, new baseptr, clear/copy page */
        uint64_t linear_addr; /* invlpg, set_ldt */
    } arg1;
    union {
        uint32_t nr_ents;  /* set_ldt */
        uint64_t vcpumask; /* *_MULTI: guest address of a vCPU bitmap */
        xen_pfn_t src_mfn; /* copy_page */
    } arg2;
};
typedef struct mmuext_op mmuext_op_t;
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op");
_Static_assert(offsetof(struct mmuext_op, arg1) == 8, "mmuext_op.arg1");
_Static_assert(offsetof(struct mmuext_op, arg2) == 16, "mmuext_op.arg2");

/* update_va_mapping flags: flush type in bits 0-1, scope in bit 2 or a
 * guest address of a vCPU bitmap (UVMF_MULTI). */
#define UVMF_NONE           (0UL << 0)
#define UVMF_TLB_FLUSH      (1UL << 0)
#define UVMF_INVLPG         (2UL << 0)
#define UVMF_FLUSHTYPE_MASK (3UL << 0)
#define UVMF_MULTI          (0UL << 2)
#define UVMF_LOCAL          (0UL << 2)
#define UVMF_ALL            (1UL << 2)

/* One call of a multicall batch; `result` is written back. */
struct multicall_entry {
    xen_ulong_t op, result;
    xen_ulong_t args[6];
};
typedef struct multicall_entry multicall_entry_t;
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry");
_Static_assert(offsetof(struct multicall_entry, args) == 16,
               "multicall_entry.args");

/* console_io commands. */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* vm_assist commands and types. */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_4gb_segments         0
#define VMASST_TYPE_4gb_segments_notify  1
#define VMASST_TYPE_writable_pagetables  2
#define VMASST_TYPE_pae_extended_cr3     3
#define VMASST_TYPE_architectural_iopl   4
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict           32

#endif /* PVISOR_ABI_PVABI_XEN_H */
