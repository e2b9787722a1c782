/* SPDX-License-Identifier: MIT */
/* netback.h: pv-netback's ring engine: tx and rx rings, validation, copies. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_H
#define PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/io/netif.h>

#include "pvgnttab.h"

/*
 * This layer knows the netif rings and nothing of pvisor, xenstore or TAP
 * devices: grant copies, the TAP and notifications are reached through
 * struct be_net_ops, so the unit tests drive it with a fake guest.
 *
 * Both ring pages belong to a possibly hostile frontend. Each request slot
 * is copied once (RING_COPY_REQUEST) and only the copy is read; req_prod
 * is checked against what it may legally be. A malformed transmit packet
 * is answered NETIF_RSP_ERROR on each of its slots (NETIF_RSP_NULL on its
 * extra-info slots) and dropped; a grant that does not copy fails that
 * packet (tx) or that buffer (rx) only. Impossible ring indices mark the
 * device broken: the caller disconnects that frontend, nothing else.
 */

/* Data slots one transmit packet may use (Xen's minimum a backend must
 * accept); more is an error. */
#define BE_NET_MAX_TX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* Packets handled per grant-copy batch. */
#define BE_NET_BATCH 64
/* Bytes of transmit data copied per batch before it is cut short. */
#define BE_NET_TX_BUF (BE_NET_BATCH * 2048 + 65536)
/* Packets one kick handles before it lets other devices run. */
#define BE_NET_BUDGET 256
/* Largest frame put on the rx ring (one page, no feature-sg on rx). */
#define BE_NET_RX_FRAME_MAX 4096

struct be_net_ops {
    /* Grant copies (pvgnttab_grant_copy semantics: per-segment status,
     * GNTST_okay = 0). Returns 0 or -errno (then every segment failed). */
    int (*copy)(void *ctx, struct pvgnttab_copy_seg *segs, uint32_t n);
    /* Puts one frame on the host side. 0 or -errno (frame dropped). */
    int (*tap_write)(void *ctx, const void *frame, size_t len);
    /* Takes one frame from the host side into buf: its length, -EAGAIN
     * when none is waiting, or another -errno. A length of len means the
     * frame may have been cut (it is dropped). */
    int (*tap_read)(void *ctx, void *buf, size_t len);
    /* Notifies the frontend's event channel. */
    void (*notify)(void *ctx);
};

struct be_net_stats {
    uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
    uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
    uint64_t notifies, copy_calls;
};

/* One transmit packet after be_net_tx_take(). */
struct be_net_txpkt {
    RING_IDX first;  /* ring index of its first slot */
    uint16_t nslots; /* every slot it used (extras included) */
    uint16_t ndata;  /* data slots kept in data[] */
    uint16_t nextra; /* extra-info slots after the first */
    uint32_t size;   /* the first slot's size: whole packet */
    int status;      /* 0, or why it is refused (-EINVAL...) */
    struct netif_tx_request data[BE_NET_MAX_TX_SLOTS]; /* copies; data[0]
                                 * .size is trimmed to its own bytes */
};

/* One connected vif: both rings, mapped by the caller. */
struct be_net_dev {
    uint32_t domid;
    const struct be_net_ops *ops;
    void *ctx;
    struct netif_tx_back_ring tx;
    struct netif_rx_back_ring rx;
    bool broken;                    /* hostile indices: stop, disconnect */
    bool rx_notify;                 /* frontend offered feature-rx-notify */
    uint8_t *txbuf;                 /* BE_NET_TX_BUF */
    uint8_t *rxbuf;                 /* BE_NET_BATCH * BE_NET_RX_FRAME_MAX */
    struct be_net_txpkt *pk;        /* BE_NET_BATCH */
    struct pvgnttab_copy_seg *segs; /* BE_NET_BATCH * BE_NET_MAX_TX_SLOTS */
    struct be_net_stats st;
};

/*
 * Gathers the next transmit packet (its slots copied once each) into *pk
 * and advances req_cons past it. Returns 1 (taken; pk->status says
 * whether it is well formed), 0 (nothing, or a packet whose slots are not
 * all published yet) or -EPROTO (impossible indices, or an unfinished
 * packet filling the whole ring).
 */
int be_net_tx_take(struct netif_tx_back_ring *r, struct be_net_txpkt *pk);

/*
 * Attaches to the mapped ring pages of domid (both stay the caller's).
 * Returns 0 or -ENOMEM.
 */
int be_net_dev_init(struct be_net_dev *d, uint32_t domid, void *tx_sring,
                    void *rx_sring, bool rx_notify,
                    const struct be_net_ops *ops, void *ctx);

/* Frees what be_net_dev_init allocated. */
void be_net_dev_destroy(struct be_net_dev *d);

/*
 * Transmit side: takes every packet the frontend queued, copies each out
 * of its grants (one copy call per batch), writes it with tap_write and
 * answers each slot; notifies when the frontend asked. Returns 0 (ring
 * empty), 1 (BE_NET_BUDGET packets done and more queued: kick again
 * later) or -EPROTO once the device is broken.
 */
int be_net_tx_kick(struct be_net_dev *d);

/*
 * Receive side: while the frontend has posted buffers, reads frames with
 * tap_read and copies each into one buffer (grant copy), answering it.
 * Returns 1 when the host side is drained, 2 when BE_NET_BUDGET frames
 * were moved (more may wait), 0 when the frontend has no buffer left
 * (stop reading; its next notification means more), or -EPROTO once the
 * device is broken.
 */
int be_net_rx_kick(struct be_net_dev *d);

/* True when the frontend posted at least one receive buffer not used. */
bool be_net_rx_has_buffers(struct be_net_dev *d);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_H */
