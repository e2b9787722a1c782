/* SPDX-License-Identifier: MIT */
/* grant_table.h: grant table v1 entries and HYPERVISOR_grant_table_op. */
#ifndef PVISOR_ABI_PVABI_GRANT_TABLE_H
#define PVISOR_ABI_PVABI_GRANT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/*
 * A domain shares one of its frames by filling a grant entry in its own
 * grant table and passing the entry's index (grant_ref_t) to the peer. The
 * granting domain writes frame and domid first, then flags (with a write
 * barrier between); the hypervisor sets GTF_reading/GTF_writing while the
 * peer has the frame mapped or is copying.
 */
typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

struct grant_entry_v1 {
    uint16_t flags; /* GTF_* */
    domid_t domid;  /* the peer allowed to use this grant */
    uint32_t frame; /* granted frame number */
};
typedef struct grant_entry_v1 grant_entry_v1_t;
_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");
_Static_assert(offsetof(struct grant_entry_v1, frame) == 4,
               "grant_entry_v1.frame");

/* Entries the toolstack fills before the guest starts. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0
#define GNTTAB_RESERVED_XENSTORE   1

/* grant_entry_v1.flags: type in bits 0-1. */
#define GTF_invalid         (0U << 0) /* unused entry */
#define GTF_permit_access   (1U << 0) /* peer may map or copy frame */
#define GTF_accept_transfer (2U << 0) /* peer may transfer a frame in */
#define GTF_transitive      (3U << 0) /* v2 only */
#define GTF_type_mask       (3U << 0)

/* Flags for GTF_permit_access. */
#define _GTF_readonly (2)
#define GTF_readonly  (1U << _GTF_readonly) /* peer: read only */
#define _GTF_reading  (3)
#define GTF_reading   (1U << _GTF_reading) /* set while in use */
#define _GTF_writing  (4)
#define GTF_writing   (1U << _GTF_writing) /* set while writable */
#define _GTF_PWT      (5)
#define GTF_PWT       (1U << _GTF_PWT) /* cache attributes */
#define _GTF_PCD      (6)
#define GTF_PCD       (1U << _GTF_PCD)
#define _GTF_PAT      (7)
#define GTF_PAT       (1U << _GTF_PAT)
#define _GTF_sub_page (8)
#define GTF_sub_page  (1U << _GTF_sub_page) /* v2 only */

/* Flags for GTF_accept_transfer. */
#define _GTF_transfer_committed (2)
#define GTF_transfer_committed  (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed (3)
#define GTF_transfer_completed  (1U << _GTF_transfer_completed)

/* HYPERVISOR_grant_table_op(cmd, arg, count): arg is an array of `count`. */
#define GNTTABOP_map_grant_ref     0
#define GNTTABOP_unmap_grant_ref   1
#define GNTTABOP_setup_table       2
#define GNTTABOP_dump_table        3
#define GNTTABOP_transfer          4
#define GNTTABOP_copy              5
#define GNTTABOP_query_size        6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version       8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version       10
#define GNTTABOP_swap_grant_ref    11
#define GNTTABOP_cache_flush       12

/* Map a peer's grant at host_addr (or into the PTE it names). */
struct gnttab_map_grant_ref {
    uint64_t host_addr;    /* IN: VA, or PTE MA with contains_pte */
    uint32_t flags;        /* IN: GNTMAP_* */
    grant_ref_t ref;       /* IN */
    domid_t dom;           /* IN: the granting domain */
    int16_t status;        /* OUT: GNTST_* */
    grant_handle_t handle; /* OUT: for unmap */
    uint64_t dev_bus_addr; /* OUT: with GNTMAP_device_map */
};
typedef struct gnttab_map_grant_ref gnttab_map_grant_ref_t;
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32,
               "gnttab_map_grant_ref");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dev_bus_addr) == 24,
               "gnttab_map_grant_ref.dev_bus_addr");

struct gnttab_unmap_grant_ref {
    uint64_t host_addr;    /* IN */
    uint64_t dev_bus_addr; /* IN */
    grant_handle_t handle; /* IN */
    int16_t status;        /* OUT: GNTST_* */
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24,
               "gnttab_unmap_grant_ref");

/* Size the caller's table and learn its frames. */
struct gnttab_setup_table {
    domid_t dom;         /* IN */
    uint32_t nr_frames;  /* IN */
    int16_t status;      /* OUT: GNTST_* */
    uint64_t frame_list; /* IN: guest address of xen_pfn_t[nr_frames] */
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "gnttab_setup_table");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16,
               "gnttab_setup_table.frame_list");

/* Print the table to the hypervisor log (debugging). */
struct gnttab_dump_table {
    domid_t dom;    /* IN */
    int16_t status; /* OUT: GNTST_* */
};
typedef struct gnttab_dump_table gnttab_dump_table_t;
_Static_assert(sizeof(struct gnttab_dump_table) == 4, "gnttab_dump_table");

/* Give away a frame into a GTF_accept_transfer grant of `domid`. */
struct gnttab_transfer {
    xen_pfn_t mfn;   /* IN */
    domid_t domid;   /* IN */
    grant_ref_t ref; /* IN */
    int16_t status;  /* OUT: GNTST_* */
};
typedef struct gnttab_transfer gnttab_transfer_t;
_Static_assert(sizeof(struct gnttab_transfer) == 24, "gnttab_transfer");

/* gnttab_copy.flags: the side given by grant rather than by frame. */
#define _GNTCOPY_source_gref (0)
#define GNTCOPY_source_gref  (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref   (1)
#define GNTCOPY_dest_gref    (1 << _GNTCOPY_dest_gref)

/* Copy `len` bytes between frames or grants; neither side may cross a page. */
struct gnttab_copy_ptr {
    union {
        grant_ref_t ref; /* with GNTCOPY_*_gref */
        xen_pfn_t gmfn;  /* otherwise: a frame of `domid` */
    } u;
    domid_t domid;
    uint16_t offset;
};
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "gnttab_copy_ptr");

struct gnttab_copy {
    struct gnttab_copy_ptr source, dest; /* IN */
    uint16_t len;                        /* IN */
    uint16_t flags;                      /* IN: GNTCOPY_* */
    int16_t status;                      /* OUT: GNTST_* */
};
typedef struct gnttab_copy gnttab_copy_t;
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy");
_Static_assert(offsetof(struct gnttab_copy, len) == 32, "gnttab_copy.len");

struct gnttab_query_size {
    domid_t dom;            /* IN */
    uint32_t nr_frames;     /* OUT */
    uint32_t max_nr_frames; /* OUT */
    int16_t status;         /* OUT: GNTST_* */
};
typedef struct gnttab_query_size gnttab_query_size_t;
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size");

struct gnttab_unmap_and_replace {
    uint64_t host_addr;    /* IN */
    uint64_t new_addr;     /* IN */
    grant_handle_t handle; /* IN */
    int16_t status;        /* OUT: GNTST_* */
};
typedef struct gnttab_unmap_and_replace gnttab_unmap_and_replace_t;
_Static_assert(sizeof(struct gnttab_unmap_and_replace) == 24,
               "gnttab_unmap_and_replace");

struct gnttab_set_version {
    uint32_t version; /* IN/OUT */
};
typedef struct gnttab_set_version gnttab_set_version_t;
_Static_assert(sizeof(struct gnttab_set_version) == 4, "gnttab_set_version");

struct gnttab_get_version {
    domid_t dom; /* IN */
    uint16_t pad;
    uint32_t version; /* OUT */
};
typedef struct gnttab_get_version gnttab_get_version_t;
_Static_assert(sizeof(struct gnttab_get_version) == 8, "gnttab_get_version");

/* gnttab_map_grant_ref.flags */
#define _GNTMAP_device_map      (0)
#define GNTMAP_device_map       (1 << _GNTMAP_device_map) /* for DMA */
#define _GNTMAP_host_map        (1)
#define GNTMAP_host_map         (1 << _GNTMAP_host_map) /* for the CPU */
#define _GNTMAP_readonly        (2)
#define GNTMAP_readonly         (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map (3)
#define GNTMAP_application_map  (1 << _GNTMAP_application_map) /* user too */
#define _GNTMAP_contains_pte    (4)
#define GNTMAP_contains_pte     (1 << _GNTMAP_contains_pte) /* host_addr: PTE */
/* Bits from here up are copied into the PTE's available bits. */
#define _GNTMAP_guest_avail0    (16)
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-entry status codes (the hypercall itself returns 0). */
#define GNTST_okay              (0)
#define GNTST_general_error     (-1)
#define GNTST_bad_domain        (-2) /* unknown domain */
#define GNTST_bad_gntref        (-3) /* unknown or unsuitable grant */
#define GNTST_bad_handle        (-4) /* unknown or unsuitable handle */
#define GNTST_bad_virt_addr     (-5) /* address cannot be mapped */
#define GNTST_bad_dev_addr      (-6) /* device address cannot be unmapped */
#define GNTST_no_device_space   (-7) /* IOMMU full */
#define GNTST_permission_denied (-8)
#define GNTST_bad_page          (-9)  /* frame unsuitable */
#define GNTST_bad_copy_arg      (-10) /* copy would cross a page */
#define GNTST_address_too_big   (-11) /* transfer target too high */
#define GNTST_eagain            (-12) /* retry later */
#define GNTST_no_space          (-13) /* out of handles or similar */

/* Messages indexed by -GNTST_*. */
#define GNTTABOP_error_msgs                                                  \
    {                                                                        \
        "okay", "undefined error", "unrecognised domain id",                 \
            "invalid grant reference", "invalid mapping handle",             \
            "invalid virtual address", "invalid device address",             \
            "no spare translation slot in the I/O MMU", "permission denied", \
            "bad page", "copy arguments cross page boundary",                \
            "page address size too large", "operation not done; try again",  \
            "out of space",                                                  \
    }

#endif /* PVISOR_ABI_PVABI_GRANT_TABLE_H */
