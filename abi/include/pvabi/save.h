/* SPDX-License-Identifier: MIT */
/* save.h: the saved-domain image (pvctl save/restore); docs/save-format.md. */
#ifndef PVISOR_ABI_PVABI_SAVE_H
#define PVISOR_ABI_PVABI_SAVE_H

#include <stddef.h>
#include <stdint.h>

/*
 * An image is, in order and all little-endian:
 *   struct pv_save_header
 *   config    (header.config_size bytes: KEY=VALUE lines, text)
 *   state     (header.state_size bytes: pvisor's domain state, below)
 *   pages     (header.nr_pages records: struct pv_save_page + 4096 bytes,
 *              pfns strictly increasing)
 *   trailer   (struct pv_save_trailer)
 * The trailer's checksum is FNV-1a 64 over every byte before it.
 */
#define PV_SAVE_MAGIC   "PVISORSV"
#define PV_SAVE_VERSION 1
#define PV_SAVE_PAGE    4096u
/* Limits restore enforces before it allocates anything. */
#define PV_SAVE_CONFIG_MAX (64u * 1024)
#define PV_SAVE_STATE_MAX  (8u << 20)

struct pv_save_header {
    char magic[8];        /* PV_SAVE_MAGIC, no NUL */
    uint32_t version;     /* PV_SAVE_VERSION */
    uint32_t header_size; /* sizeof(struct pv_save_header) */
    uint64_t mem_size;    /* bytes of guest RAM, a multiple of 1 MiB */
    uint32_t nr_vcpus;
    uint32_t flags;       /* 0 */
    uint64_t nr_pages;    /* page records that follow */
    uint32_t config_size; /* <= PV_SAVE_CONFIG_MAX */
    uint32_t state_size;  /* <= PV_SAVE_STATE_MAX */
    uint64_t store_pfn;   /* xenstore ring (0: none) */
    uint64_t console_pfn; /* console ring (0: none) */
    uint32_t store_port;  /* guest's xenstore event channel (0: none) */
    uint32_t console_port;
    char platform[16]; /* where it ran ("kvm", "proc"), NUL-padded */
    uint64_t saved_ns; /* CLOCK_REALTIME at save, informational */
};
_Static_assert(sizeof(struct pv_save_header) == 96, "pv_save_header");

struct pv_save_page {
    uint64_t pfn;
};

struct pv_save_trailer {
    char magic[8]; /* "PVSVEND\0" */
    uint64_t checksum;
};
#define PV_SAVE_END_MAGIC "PVSVEND"
_Static_assert(sizeof(struct pv_save_trailer) == 16, "pv_save_trailer");

/*
 * pvisor's domain state (the SaveState reply, the RestoreState request):
 * struct pv_state_dom, nr_vcpus x struct pv_state_vcpu, max_evtchn x
 * struct pv_state_evtchn, then one page for each grant frame whose
 * gnt_frame_gpa is 0 (frames kept by pvisor, in order).
 */
#define PV_STATE_MAGIC   0x54535650u /* "PVST" */
#define PV_STATE_VERSION 1
#define PV_STATE_VIRQS   24
#define PV_STATE_GNT_MAX 32

struct pv_state_dom {
    uint32_t magic;
    uint32_t version;
    uint32_t nr_vcpus;
    uint32_t max_evtchn;
    uint64_t mem_size;
    uint64_t hypercall_page_gpa; /* PV_NO_HYPERCALL_PAGE: none */
    uint64_t shared_info_gpa;
    uint64_t start_info_gpa;
    uint64_t system_time_ns; /* the guest's system time when saved */
    uint32_t gnt_frames;
    uint32_t pad;
    uint64_t gnt_frame_gpa[PV_STATE_GNT_MAX]; /* 0: kept by pvisor */
};
_Static_assert(sizeof(struct pv_state_dom) == 320, "pv_state_dom");

struct pv_state_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

struct pv_state_vcpu {
    uint32_t id;
    uint8_t online, initialised, blocked, pad;
    struct pv_state_regs regs;
    uint64_t cr3, fs_base, gs_base_kernel, gs_base_user;
    uint64_t event_callback, failsafe_callback;
    uint64_t singleshot_deadline, periodic_period, periodic_next;
    uint32_t virq_port[PV_STATE_VIRQS];
    uint64_t trap_handler[256];
    uint8_t trap_dpl[256];
};
_Static_assert(sizeof(struct pv_state_vcpu) == 2624, "pv_state_vcpu");

struct pv_state_evtchn {
    uint8_t state; /* 0 free, 1 reserved, 2 unbound, 3 interdomain,
                      4 virq, 5 ipi */
    uint8_t pad;
    uint16_t notify_vcpu;
    uint32_t virq;
    uint32_t remote_dom;
    uint32_t remote_port;
};
_Static_assert(sizeof(struct pv_state_evtchn) == 16, "pv_state_evtchn");

#endif /* PVISOR_ABI_PVABI_SAVE_H */
