/* SPDX-License-Identifier: MIT */
/* net_internal.h: state and helpers shared by guest-kit's IPv4 stack files. */
#ifndef PVISOR_GUEST_KIT_NET_NET_INTERNAL_H
#define PVISOR_GUEST_KIT_NET_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <guestkit/net.h>
#include <pvabi/errno.h>

/*
 * The stack's files (eth, arp, ip, icmp, udp) are plain C over byte
 * buffers: they use only this header, memcpy/memset/memcmp and the two
 * hooks below, so the unit tests build them for the host. glue.c
 * provides the hooks inside a guest (a spinlock with events masked, the
 * pvclock); the tests provide their own.
 */
unsigned long gk_net_lock(void);
void gk_net_unlock(unsigned long flags);
uint64_t gk_net_now_ns(void);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#define ETH_P_IP      0x0800
#define ETH_P_ARP     0x0806
#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_  17

#define ARP_ENTRIES  16
#define ARP_RETRY_NS 1000000000ull /* re-ask an unanswered entry */
#define ARP_TTL_NS   (300ull * 1000000000ull)
#define UDP_BINDINGS 16

struct arp_entry {
    uint32_t ip; /* 0: free */
    uint8_t mac[GK_ETH_ALEN];
    int resolved;
    uint64_t stamp;       /* resolved: when learnt; else last ask */
    uint16_t pending_len; /* a frame waiting for the answer */
    uint8_t pending[GK_ETH_FRAME_MAX];
};

struct udp_binding {
    uint16_t port; /* 0: free */
    gk_udp_rx_fn cb;
    void *arg;
};

struct net_state {
    int up;
    uint8_t mac[GK_ETH_ALEN];
    uint32_t ip, mask, gateway;
    gk_net_xmit_fn xmit;
    void *ctx;
    uint16_t ip_id;
    uint16_t ephemeral;
    struct arp_entry arp[ARP_ENTRIES];
    struct udp_binding udp[UDP_BINDINGS];
    gk_icmp_reply_fn icmp_reply;
    void *icmp_arg;
    struct gk_net_stats st;
};

extern struct net_state gk_net_state;

extern const uint8_t gk_eth_broadcast[GK_ETH_ALEN];

/* Big-endian field access (frames carry no alignment guarantees). */
static inline uint16_t net_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Unfolded one's-complement sum of len bytes, added to sum. */
uint32_t net_csum_add(uint32_t sum, const void *data, size_t len);
/* Fold and invert. */
uint16_t net_csum_fold(uint32_t sum);

/* Fills the Ethernet header at frame and sends frame (lock held). */
int eth_output(uint8_t *frame, size_t len, const uint8_t *dst, uint16_t type);

/* Called with the lock held, on the payload after the Ethernet header. */
void arp_input(const uint8_t *p, size_t len);
/* Learns ip -> mac (no ARP request sent). */
void arp_learn(uint32_t ip, const uint8_t *mac);
/*
 * Sends an IPv4 frame already built at frame[0..len) (Ethernet header
 * space included) to next hop `hop`: fills the destination MAC from the
 * cache, or queues the frame and asks. 0 or a negative errno.
 */
int arp_output(uint32_t hop, uint8_t *frame, size_t len);
/* Forgets every entry. */
void arp_flush(void);

/* Lock held; p is the IP header, len the bytes after the Ethernet header;
 * src_mac the frame's sender; flags the gk_net_lock value (callbacks run
 * with the lock dropped, which updates it). */
void ip_input(const uint8_t *p, size_t len, const uint8_t *src_mac,
              unsigned long *flags);
/*
 * Builds the IPv4 header for a payload already at frame + 14 + 20
 * (plen bytes) and sends it. 0 or a negative errno.
 */
int ip_output(uint8_t *frame, uint32_t dst, uint8_t proto, size_t plen);

/* Lock held; p the ICMP message (len bytes) from src (dst: our address
 * or a broadcast). May answer. */
void icmp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len,
                unsigned long *flags);
/* Lock held on entry and exit; may drop it around the callback (flags
 * is the gk_net_lock value, updated). */
void udp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len,
               unsigned long *flags);

#endif /* PVISOR_GUEST_KIT_NET_NET_INTERNAL_H */
