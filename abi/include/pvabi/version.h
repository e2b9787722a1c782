/* SPDX-License-Identifier: MIT */
/* version.h: HYPERVISOR_xen_version commands and XENFEAT_* feature bits. */
#ifndef PVISOR_ABI_PVABI_VERSION_H
#define PVISOR_ABI_PVABI_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/* HYPERVISOR_xen_version(cmd, arg) */
#define XENVER_version             0  /* arg unused: (major << 16) | minor */
#define XENVER_extraversion        1  /* xen_extraversion_t */
#define XENVER_compile_info        2  /* xen_compile_info */
#define XENVER_capabilities        3  /* xen_capabilities_info_t */
#define XENVER_changeset           4  /* xen_changeset_info_t */
#define XENVER_platform_parameters 5  /* xen_platform_parameters */
#define XENVER_get_features        6  /* xen_feature_info */
#define XENVER_pagesize            7  /* arg unused: returns 4096 */
#define XENVER_guest_handle        8  /* xen_domain_handle_t */
#define XENVER_commandline         9  /* xen_commandline_t */
#define XENVER_build_id            10 /* xen_build_id */

/* Version strings are NUL-terminated within their fixed buffers. */
typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
typedef struct xen_compile_info xen_compile_info_t;
_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info");
_Static_assert(offsetof(struct xen_compile_info, compile_date) == 112,
               "xen_compile_info.compile_date");

/* Space-separated ABI names, e.g. "xen-3.0-x86_64". */
typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

typedef char xen_commandline_t[1024];

typedef uint8_t xen_domain_handle_t[16];

/* Lowest virtual address the hypervisor reserves. */
struct xen_platform_parameters {
    xen_ulong_t virt_start;
};
typedef struct xen_platform_parameters xen_platform_parameters_t;
_Static_assert(sizeof(struct xen_platform_parameters) == 8,
               "xen_platform_parameters");

/* One 32-bit word of the XENFEAT_* bitmap. */
struct xen_feature_info {
    uint32_t submap_idx; /* IN: word index */
    uint32_t submap;     /* OUT: bit n = feature (idx * 32 + n) */
};
typedef struct xen_feature_info xen_feature_info_t;
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info");

struct xen_build_id {
    uint32_t len; /* IN: size of buf, OUT: bytes written */
    unsigned char buf[];
};
typedef struct xen_build_id xen_build_id_t;
_Static_assert(sizeof(struct xen_build_id) == 4, "xen_build_id");

/* Feature bits reported by XENVER_get_features. */
#define XENFEAT_writable_page_tables       0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap    2
#define XENFEAT_supervisor_mode_kernel     3
#define XENFEAT_pae_pgdir_above_4gb        4
#define XENFEAT_mmu_pt_update_preserve_ad  5
#define XENFEAT_highmem_assist             6
#define XENFEAT_gnttab_map_avail_bits      7
#define XENFEAT_hvm_callback_vector        8
#define XENFEAT_hvm_safe_pvclock           9
#define XENFEAT_hvm_pirqs                  10
#define XENFEAT_dom0                       11
/* 12 was grant_map_identity, withdrawn. */
#define XENFEAT_memory_op_vnode_supported 13
#define XENFEAT_ARM_SMCCC_supported       14
#define XENFEAT_linux_rsdp_unrestricted   15
#define XENFEAT_not_direct_mapped         16
#define XENFEAT_direct_mapped             17
#define XENFEAT_NR_SUBMAPS                1

#endif /* PVISOR_ABI_PVABI_VERSION_H */
