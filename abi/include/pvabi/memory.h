/* SPDX-License-Identifier: MIT */
/* memory.h: HYPERVISOR_memory_op: reservations, physmap, memory map. */
#ifndef PVISOR_ABI_PVABI_MEMORY_H
#define PVISOR_ABI_PVABI_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/* HYPERVISOR_memory_op(cmd, arg) */
#define XENMEM_increase_reservation     0 /* xen_memory_reservation */
#define XENMEM_decrease_reservation     1 /* xen_memory_reservation */
#define XENMEM_maximum_ram_page         2 /* arg unused: highest mfn */
#define XENMEM_current_reservation      3 /* domid_t: pages owned */
#define XENMEM_maximum_reservation      4 /* domid_t: page limit */
#define XENMEM_machphys_mfn_list        5
#define XENMEM_populate_physmap         6  /* xen_memory_reservation */
#define XENMEM_add_to_physmap           7  /* xen_add_to_physmap */
#define XENMEM_memory_map               9  /* xen_memory_map */
#define XENMEM_machine_memory_map       10 /* xen_memory_map */
#define XENMEM_exchange                 11 /* xen_memory_exchange */
#define XENMEM_machphys_mapping         12 /* xen_machphys_mapping */
#define XENMEM_set_memory_map           13
#define XENMEM_maximum_gpfn             14 /* domid_t: highest gpfn */
#define XENMEM_remove_from_physmap      15 /* xen_remove_from_physmap */
#define XENMEM_set_pod_target           16
#define XENMEM_get_pod_target           17
#define XENMEM_add_to_physmap_batch     23
#define XENMEM_claim_pages              24
#define XENMEM_machphys_compat_mfn_list 25
#define XENMEM_get_vnumainfo            26
#define XENMEM_acquire_resource         28

/* xen_memory_reservation.mem_flags */
#define XENMEMF_address_bits(x)     (x)
#define XENMEMF_get_address_bits(x) ((x)&0xffu)
#define XENMEMF_node(x)             (((x) + 1) << 8)
#define XENMEMF_get_node(x)         ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand  (1 << 16)
#define XENMEMF_exact_node_request  (1 << 17)
#define XENMEMF_exact_node(n)       (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode               (1 << 18)

/* Grow, shrink or populate a domain's memory in extents of 2^order pages. */
struct xen_memory_reservation {
    uint64_t extent_start; /* guest address of xen_pfn_t[nr_extents] */
    xen_ulong_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags; /* XENMEMF_* */
    domid_t domid;      /* DOMID_SELF unless privileged */
};
typedef struct xen_memory_reservation xen_memory_reservation_t;
_Static_assert(sizeof(struct xen_memory_reservation) == 32,
               "xen_memory_reservation");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == 24,
               "xen_memory_reservation.domid");

/* Trade `in` extents for `out` extents of the same total size. */
struct xen_memory_exchange {
    struct xen_memory_reservation in;
    struct xen_memory_reservation out;
    xen_ulong_t nr_exchanged; /* OUT; caller sets 0 */
};
typedef struct xen_memory_exchange xen_memory_exchange_t;
_Static_assert(sizeof(struct xen_memory_exchange) == 72, "xen_memory_exchange");

struct xen_memory_domain {
    domid_t domid;
};
_Static_assert(sizeof(struct xen_memory_domain) == 2, "xen_memory_domain");

struct xen_machphys_mfn_list {
    uint32_t max_extents;
    uint64_t extent_start; /* guest address of xen_pfn_t[max_extents] */
    uint32_t nr_extents;   /* OUT */
};
typedef struct xen_machphys_mfn_list xen_machphys_mfn_list_t;
_Static_assert(sizeof(struct xen_machphys_mfn_list) == 24,
               "xen_machphys_mfn_list");

/* Where the read-only m2p table is mapped in the guest. */
struct xen_machphys_mapping {
    xen_ulong_t v_start, v_end;
    xen_ulong_t max_mfn;
};
typedef struct xen_machphys_mapping xen_machphys_mapping_t;
_Static_assert(sizeof(struct xen_machphys_mapping) == 24,
               "xen_machphys_mapping");

/* Sources for XENMEM_add_to_physmap. */
#define XENMAPSPACE_shared_info  0 /* the shared_info page */
#define XENMAPSPACE_grant_table  1 /* a grant table frame */
#define XENMAPSPACE_gmfn         2 /* move one of our own frames */
#define XENMAPSPACE_gmfn_range   3 /* move `size` frames */
#define XENMAPSPACE_gmfn_foreign 4 /* another domain's frame (batch) */
#define XENMAPSPACE_dev_mmio     5 /* device MMIO (Arm only) */

/* In idx for XENMAPSPACE_grant_table: map a status frame, not an entry one. */
#define XENMAPIDX_grant_table_status 0x80000000

struct xen_add_to_physmap {
    domid_t domid;
    uint16_t size;   /* frames, for XENMAPSPACE_gmfn_range */
    uint32_t space;  /* XENMAPSPACE_* */
    xen_ulong_t idx; /* index within `space` */
    xen_pfn_t gpfn;  /* where it appears in domid's physmap */
};
typedef struct xen_add_to_physmap xen_add_to_physmap_t;
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap");
_Static_assert(offsetof(struct xen_add_to_physmap, idx) == 8,
               "xen_add_to_physmap.idx");

struct xen_remove_from_physmap {
    domid_t domid;
    xen_pfn_t gpfn;
};
typedef struct xen_remove_from_physmap xen_remove_from_physmap_t;
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16,
               "xen_remove_from_physmap");

/* The domain's pseudo-physical map, as an array of e820 entries. */
struct xen_memory_map {
    uint32_t nr_entries; /* IN: buffer capacity, OUT: entries */
    uint64_t buffer;     /* guest address of struct e820entry[] */
};
typedef struct xen_memory_map xen_memory_map_t;
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map");
_Static_assert(offsetof(struct xen_memory_map, buffer) == 8,
               "xen_memory_map.buffer");

struct xen_foreign_memory_map {
    domid_t domid;
    struct xen_memory_map map;
};
typedef struct xen_foreign_memory_map xen_foreign_memory_map_t;
_Static_assert(sizeof(struct xen_foreign_memory_map) == 24,
               "xen_foreign_memory_map");

/* BIOS INT 15h/E820 entry format, packed to 20 bytes like the BIOS's. */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_NVS      4
#define E820_UNUSABLE 5

struct e820entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* E820_* */
} __attribute__((packed));
_Static_assert(sizeof(struct e820entry) == 20, "e820entry");

#endif /* PVISOR_ABI_PVABI_MEMORY_H */
