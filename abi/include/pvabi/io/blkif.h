/* SPDX-License-Identifier: MIT */
/* blkif.h: the PV block device ring protocol (x86_64 native layout). */
#ifndef PVISOR_ABI_PVABI_IO_BLKIF_H
#define PVISOR_ABI_PVABI_IO_BLKIF_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "../grant_table.h"

/* Values of the front end's "protocol" xenstore node. */
#define XEN_IO_PROTO_ABI_X86_32 "x86_32-abi"
#define XEN_IO_PROTO_ABI_X86_64 "x86_64-abi"
#define XEN_IO_PROTO_ABI_ARM    "arm-abi"
#define XEN_IO_PROTO_ABI_NATIVE XEN_IO_PROTO_ABI_X86_64

typedef uint16_t blkif_vdev_t;
typedef uint64_t blkif_sector_t; /* always 512-byte units */

/* blkif_request.operation */
#define BLKIF_OP_READ            0
#define BLKIF_OP_WRITE           1
#define BLKIF_OP_WRITE_BARRIER   2 /* "feature-barrier" */
#define BLKIF_OP_FLUSH_DISKCACHE 3 /* "feature-flush-cache" */
#define BLKIF_OP_RESERVED_1      4 /* historical, do not use */
#define BLKIF_OP_DISCARD         5 /* "feature-discard" */
#define BLKIF_OP_INDIRECT        6 /* "feature-max-indirect-segments" */

/* Segments fitting in one slot, chosen so 32 slots fill a page. */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST       11
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8

/* One page (or part of one) of an I/O: sectors first..last inclusive. */
struct blkif_request_segment {
    grant_ref_t gref;
    uint8_t first_sect, last_sect;
};
_Static_assert(sizeof(struct blkif_request_segment) == 8,
               "blkif_request_segment");

/* Read/write request (and the slot layout other requests overlay). */
struct blkif_request {
    uint8_t operation;   /* BLKIF_OP_* */
    uint8_t nr_segments; /* 1..BLKIF_MAX_SEGMENTS_PER_REQUEST */
    blkif_vdev_t handle;
    uint64_t id; /* opaque, echoed in the response */
    blkif_sector_t sector_number;
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
typedef struct blkif_request blkif_request_t;
_Static_assert(sizeof(struct blkif_request) == 112, "blkif_request");
_Static_assert(offsetof(struct blkif_request, id) == 8, "blkif_request.id");
_Static_assert(offsetof(struct blkif_request, seg) == 24, "blkif_request.seg");

/* operation == BLKIF_OP_DISCARD */
#define BLKIF_DISCARD_SECURE (1 << 0)
struct blkif_request_discard {
    uint8_t operation;
    uint8_t flag; /* BLKIF_DISCARD_SECURE or 0 */
    blkif_vdev_t handle;
    uint64_t id;
    blkif_sector_t sector_number;
    uint64_t nr_sectors;
};
typedef struct blkif_request_discard blkif_request_discard_t;
_Static_assert(sizeof(struct blkif_request_discard) == 32,
               "blkif_request_discard");

/* operation == BLKIF_OP_INDIRECT: segments live in granted pages. */
struct blkif_request_indirect {
    uint8_t operation;
    uint8_t indirect_op; /* BLKIF_OP_READ or BLKIF_OP_WRITE */
    uint16_t nr_segments;
    uint64_t id;
    blkif_sector_t sector_number;
    blkif_vdev_t handle;
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
};
typedef struct blkif_request_indirect blkif_request_indirect_t;
_Static_assert(sizeof(struct blkif_request_indirect) == 64,
               "blkif_request_indirect");
_Static_assert(offsetof(struct blkif_request_indirect, indirect_grefs) == 28,
               "blkif_request_indirect.indirect_grefs");

struct blkif_response {
    uint64_t id;       /* from the request */
    uint8_t operation; /* from the request */
    int16_t status;    /* BLKIF_RSP_* */
};
typedef struct blkif_response blkif_response_t;
_Static_assert(sizeof(struct blkif_response) == 16, "blkif_response");
_Static_assert(offsetof(struct blkif_response, status) == 10,
               "blkif_response.status");

#define BLKIF_RSP_EOPNOTSUPP -2 /* operation not supported */
#define BLKIF_RSP_ERROR      -1 /* I/O error */
#define BLKIF_RSP_OKAY       0

DEFINE_RING_TYPES(blkif, struct blkif_request, struct blkif_response);
_Static_assert(sizeof(struct blkif_sring) == 176, "blkif_sring");
_Static_assert(offsetof(struct blkif_sring, ring) == 64, "blkif_sring.ring");

/* Slots in a one-page ring. */
#define BLKIF_RING_SIZE __CONST_RING_SIZE(blkif, XEN_PAGE_SIZE)
_Static_assert(BLKIF_RING_SIZE == 32, "blkif ring size");

/* Indirect segments per granted page. */
#define BLKIF_SEGS_PER_INDIRECT_FRAME \
    (XEN_PAGE_SIZE / sizeof(struct blkif_request_segment))

/* The back end's "info" node bits. */
#define VDISK_CDROM     0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY  0x4

#endif /* PVISOR_ABI_PVABI_IO_BLKIF_H */
