/* SPDX-License-Identifier: MIT */
/* netif.h: the PV network device tx/rx ring protocol. */
#ifndef PVISOR_ABI_PVABI_IO_NETIF_H
#define PVISOR_ABI_PVABI_IO_NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "../grant_table.h"

/* Slots a back end must accept for one packet. */
#define XEN_NETIF_NR_SLOTS_MIN 18

/* Largest packet a tx request chain may describe. */
#define XEN_NETIF_MAX_TX_SIZE 0xFFFF

/* netif_tx_request.flags */
#define _NETTXF_csum_blank     (0)
#define NETTXF_csum_blank      (1U << _NETTXF_csum_blank) /* fill csum */
#define _NETTXF_data_validated (1)
#define NETTXF_data_validated  (1U << _NETTXF_data_validated)
#define _NETTXF_more_data      (2)
#define NETTXF_more_data       (1U << _NETTXF_more_data) /* more slots */
#define _NETTXF_extra_info     (3)
#define NETTXF_extra_info      (1U << _NETTXF_extra_info) /* extra follows */

/* Guest -> back end: one fragment of a packet in a granted page. */
struct netif_tx_request {
    grant_ref_t gref;
    uint16_t offset; /* within the page */
    uint16_t flags;  /* NETTXF_* */
    uint16_t id;     /* echoed in the response */
    uint16_t size;   /* first slot: whole packet; others: this */
};
typedef struct netif_tx_request netif_tx_request_t;
_Static_assert(sizeof(struct netif_tx_request) == 12, "netif_tx_request");

/* netif_extra_info.type */
#define XEN_NETIF_EXTRA_TYPE_NONE      (0)
#define XEN_NETIF_EXTRA_TYPE_GSO       (1)
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD (2)
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL (3)
#define XEN_NETIF_EXTRA_TYPE_HASH      (4)
#define XEN_NETIF_EXTRA_TYPE_MAX       (5)

/* netif_extra_info.flags */
#define _XEN_NETIF_EXTRA_FLAG_MORE (0)
#define XEN_NETIF_EXTRA_FLAG_MORE  (1U << _XEN_NETIF_EXTRA_FLAG_MORE)

/* netif_extra_info.u.gso.type */
#define XEN_NETIF_GSO_TYPE_NONE  (0)
#define XEN_NETIF_GSO_TYPE_TCPV4 (1)
#define XEN_NETIF_GSO_TYPE_TCPV6 (2)

/* Extra information occupying a request/response slot of its own. */
struct netif_extra_info {
    uint8_t type;  /* XEN_NETIF_EXTRA_TYPE_* */
    uint8_t flags; /* XEN_NETIF_EXTRA_FLAG_* */
    union {
        struct {
            uint16_t size; /* MSS */
            uint8_t type;  /* XEN_NETIF_GSO_TYPE_* */
            uint8_t pad;
            uint16_t features; /* must be 0 */
        } gso;
        struct {
            uint8_t addr[6]; /* multicast MAC */
        } mcast;
        struct {
            uint8_t type; /* hash type */
            uint8_t algorithm;
            uint8_t value[4];
        } hash;
        uint16_t pad[3];
    } u;
};
typedef struct netif_extra_info netif_extra_info_t;
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif_extra_info");
_Static_assert(offsetof(struct netif_extra_info, u) == 2, "netif_extra_info.u");

struct netif_tx_response {
    uint16_t id;
    int16_t status; /* NETIF_RSP_* */
};
typedef struct netif_tx_response netif_tx_response_t;
_Static_assert(sizeof(struct netif_tx_response) == 4, "netif_tx_response");

/* Guest offers a granted page for one received fragment. */
struct netif_rx_request {
    uint16_t id; /* echoed in the response */
    uint16_t pad;
    grant_ref_t gref;
};
typedef struct netif_rx_request netif_rx_request_t;
_Static_assert(sizeof(struct netif_rx_request) == 8, "netif_rx_request");

/* netif_rx_response.flags */
#define _NETRXF_data_validated (0)
#define NETRXF_data_validated  (1U << _NETRXF_data_validated)
#define _NETRXF_csum_blank     (1)
#define NETRXF_csum_blank      (1U << _NETRXF_csum_blank)
#define _NETRXF_more_data      (2)
#define NETRXF_more_data       (1U << _NETRXF_more_data)
#define _NETRXF_extra_info     (3)
#define NETRXF_extra_info      (1U << _NETRXF_extra_info)
#define _NETRXF_gso_prefix     (4)
#define NETRXF_gso_prefix      (1U << _NETRXF_gso_prefix)

struct netif_rx_response {
    uint16_t id;
    uint16_t offset; /* data offset in the page */
    uint16_t flags;  /* NETRXF_* */
    int16_t status;  /* < 0: NETIF_RSP_*, else bytes received */
};
typedef struct netif_rx_response netif_rx_response_t;
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif_rx_response");

DEFINE_RING_TYPES(netif_tx, struct netif_tx_request, struct netif_tx_response);
DEFINE_RING_TYPES(netif_rx, struct netif_rx_request, struct netif_rx_response);
_Static_assert(sizeof(struct netif_tx_sring) == 76, "netif_tx_sring");
_Static_assert(sizeof(struct netif_rx_sring) == 72, "netif_rx_sring");

/* Slots in one-page rings. */
#define NETIF_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, XEN_PAGE_SIZE)
#define NETIF_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, XEN_PAGE_SIZE)
_Static_assert(NETIF_TX_RING_SIZE == 256, "netif tx ring size");
_Static_assert(NETIF_RX_RING_SIZE == 256, "netif rx ring size");

/* Response status values (Xen's names, and the XEN_-prefixed ones Linux
 * uses). */
#define NETIF_RSP_DROPPED     -2
#define NETIF_RSP_ERROR       -1
#define NETIF_RSP_OKAY        0
#define NETIF_RSP_NULL        1 /* padding slot after an extra_info */
#define XEN_NETIF_RSP_DROPPED NETIF_RSP_DROPPED
#define XEN_NETIF_RSP_ERROR   NETIF_RSP_ERROR
#define XEN_NETIF_RSP_OKAY    NETIF_RSP_OKAY
#define XEN_NETIF_RSP_NULL    NETIF_RSP_NULL

#endif /* PVISOR_ABI_PVABI_IO_NETIF_H */
