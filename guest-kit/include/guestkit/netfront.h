/* SPDX-License-Identifier: MIT */
/* netfront.h: the PV network frontend: open a vif, send and receive frames. */
#ifndef PVISOR_GUEST_KIT_NETFRONT_H
#define PVISOR_GUEST_KIT_NETFRONT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A virtual network interface served by a backend over Xen's netif tx and
 * rx rings (one page each, one event channel for both). Frames are whole
 * Ethernet frames without FCS, up to GK_NETFRONT_FRAME_MAX bytes (the
 * backend copies received frames into our pages: request-rx-copy).
 *
 * Transmit copies the frame into a page granted read-only to the backend
 * once at open; receive buffers are pages granted read-write once and
 * posted again after each frame.
 */
struct gk_netfront;

#define GK_NETFRONT_FRAME_MAX 1514

/* Receives one frame, in the event handler (must not block; may send).
 * frame is valid only during the call. */
typedef void (*gk_netfront_rx_fn)(void *arg, const void *frame, size_t len);

struct gk_netfront_info {
    uint32_t handle;  /* the vif number (device/vif/<handle>) */
    uint8_t mac[6];   /* from the frontend's `mac` key */
    char ip[32];      /* the backend's `ip` key ("" if none) */
    char backend[96]; /* backend path */
};

/*
 * Opens "0", "1"... or "device/vif/0": the xenbus handshake (grant both
 * rings, allocate the event channel, one transaction writing tx-ring-ref,
 * rx-ring-ref, event-channel, request-rx-copy, feature-rx-notify,
 * feature-sg = 0 and state Initialised; retried on conflict), then waits
 * up to 10 s for the backend to connect. rx runs for every received
 * frame. *out receives the handle. Returns 0 or a negative Xen errno
 * (-XEN_ENODEV no such vif / backend closed, -XEN_ETIMEDOUT).
 */
int gk_netfront_open(const char *name, gk_netfront_rx_fn rx, void *arg,
                     struct gk_netfront **out);

/* Closing/Closed handshake, then frees everything. NULL is ignored. */
void gk_netfront_close(struct gk_netfront *nf);

const struct gk_netfront_info *gk_netfront_info(const struct gk_netfront *nf);

/*
 * Queues one frame (copied; len 14..GK_NETFRONT_FRAME_MAX) and notifies
 * the backend when it asked to be. Never blocks: -XEN_EAGAIN when all
 * transmit slots are in use, -XEN_ENOTCONN when not connected. Any
 * context.
 */
int gk_netfront_send(struct gk_netfront *nf, const void *frame, size_t len);

/* Blocks the calling thread until a transmit slot is free (or the device
 * is gone: then returns -XEN_ENOTCONN). 0 when there is room. */
int gk_netfront_wait_tx(struct gk_netfront *nf);

/* Processes what the backend has answered, as the event handler does. */
void gk_netfront_poll(struct gk_netfront *nf);

struct gk_netfront_stats {
    uint64_t tx_frames, tx_bytes, tx_errors, tx_busy, tx_notifies;
    uint64_t rx_frames, rx_bytes, rx_errors, rx_notifies, events;
};
void gk_netfront_stats(const struct gk_netfront *nf,
                       struct gk_netfront_stats *st);

#endif /* PVISOR_GUEST_KIT_NETFRONT_H */
