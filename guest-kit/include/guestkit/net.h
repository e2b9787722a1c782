/* SPDX-License-Identifier: MIT */
/* net.h: guest-kit's minimal IPv4 stack: ARP, IPv4, ICMP echo, UDP. */
#ifndef PVISOR_GUEST_KIT_NET_H
#define PVISOR_GUEST_KIT_NET_H

#include <stddef.h>
#include <stdint.h>

/*
 * One Ethernet interface with one IPv4 address. No TCP, no IP
 * fragmentation (fragments are dropped, sends larger than the MTU fail
 * with -XEN_EMSGSIZE), no routing beyond one optional gateway.
 *
 * Addresses are host-order uint32_t (10.0.0.2 is 0x0a000002); ports are
 * host-order too. The stack never blocks: frames are parsed and answered
 * (ARP replies, ICMP echo replies) in whatever context calls
 * gk_net_input() - for netfront that is its event handler - and UDP
 * receive callbacks run there as well, so they must not block either
 * (gk_udp_send is fine). A send to an address not yet in the ARP cache
 * queues that one datagram, broadcasts an ARP request and returns 0; the
 * datagram leaves when the reply arrives (a newer one replaces it).
 * Functions return 0 or a negative Xen errno.
 */

#define GK_ETH_ALEN        6
#define GK_ETH_HLEN        14
#define GK_NET_MTU         1500
#define GK_ETH_FRAME_MAX   (GK_ETH_HLEN + GK_NET_MTU)
#define GK_UDP_MAX_PAYLOAD (GK_NET_MTU - 20 - 8)

#define GK_IPV4(a, b, c, d)                                                 \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | \
     (uint32_t)(d))

/* Sends one Ethernet frame (len <= GK_ETH_FRAME_MAX) on the link. Called
 * with the stack's lock held; must not block. 0 or a negative errno. */
typedef int (*gk_net_xmit_fn)(void *ctx, const void *frame, size_t len);

/*
 * Configure the interface: our MAC, address and prefix length (1..32), a
 * gateway (0: none) and the link's transmit function. Clears the ARP cache
 * and the UDP bindings. Returns 0 or -XEN_EINVAL.
 */
int gk_net_configure(const uint8_t mac[GK_ETH_ALEN], uint32_t ip,
                     unsigned int prefix, uint32_t gateway, gk_net_xmit_fn xmit,
                     void *ctx);

/* Detach from the link: later sends fail with -XEN_ENOTCONN and input
 * is ignored. */
void gk_net_down(void);

/* Gratuitous ARP: tell the link our address is at our MAC (after the
 * domain moved: pvctl restore, migrate). Nothing when not configured.
 * Returns 0 or a negative Xen errno. */
int gk_net_announce(void);

/* Our address (0 when not configured). */
uint32_t gk_net_addr(void);

/* Hand one received Ethernet frame (without FCS) to the stack. Bad or
 * unwanted frames are counted and dropped; frame is not kept. */
void gk_net_input(const void *frame, size_t len);

/*
 * Parse "a.b.c.d" or "a.b.c.d/prefix" (prefix defaults to 24 when
 * prefix is not NULL and none is given). Returns 0 or -XEN_EINVAL.
 */
int gk_net_parse_addr(const char *s, uint32_t *ip, unsigned int *prefix);

/* "a.b.c.d" into buf (16 bytes is enough); returns buf. */
char *gk_net_format_addr(uint32_t ip, char *buf, size_t len);

/* The Internet checksum (RFC 1071) of len bytes, folded and inverted. A
 * region including a correct checksum field sums to 0. */
uint16_t gk_net_checksum(const void *data, size_t len);

/*
 * UDP. A receive callback gets the sender, the ports and the payload
 * (valid only during the call). One binding per local port.
 */
typedef void (*gk_udp_rx_fn)(uint32_t src_ip, uint16_t src_port,
                             uint16_t dst_port, const void *data, size_t len,
                             void *arg);

/* Bind `port` (1..65535): datagrams to it run cb. -XEN_EADDRINUSE if
 * bound, -XEN_ENOSPC when the table (16) is full. */
int gk_udp_bind(uint16_t port, gk_udp_rx_fn cb, void *arg);
int gk_udp_unbind(uint16_t port);

/* Send len bytes (<= GK_UDP_MAX_PAYLOAD) to ip:port from src_port (0: the
 * stack's own ephemeral port). 0 when sent or queued behind ARP. */
int gk_udp_sendto(uint16_t src_port, uint32_t ip, uint16_t port,
                  const void *data, size_t len);

/* gk_udp_sendto from the ephemeral port. */
int gk_udp_send(uint32_t ip, uint16_t port, const void *data, size_t len);

/* The ephemeral source port gk_udp_send uses (bind it to get replies). */
uint16_t gk_udp_ephemeral_port(void);

/*
 * ICMP echo: the stack answers requests to our address by itself. To
 * send requests (ping from the guest), register a reply callback and call
 * gk_icmp_echo(). data (<= 1472 bytes) is echoed back by the peer.
 */
typedef void (*gk_icmp_reply_fn)(uint32_t src_ip, uint16_t id, uint16_t seq,
                                 const void *data, size_t len, void *arg);
void gk_icmp_set_reply_handler(gk_icmp_reply_fn fn, void *arg);
int gk_icmp_echo(uint32_t ip, uint16_t id, uint16_t seq, const void *data,
                 size_t len);

/* Counters. */
struct gk_net_stats {
    uint64_t rx_frames, rx_bad, rx_ignored;
    uint64_t tx_frames, tx_errors;
    uint64_t arp_rx, arp_tx, arp_queued, arp_dropped;
    uint64_t icmp_echo_rx, icmp_echo_tx;
    uint64_t udp_rx, udp_tx, udp_no_port;
};
void gk_net_get_stats(struct gk_net_stats *st);

#endif /* PVISOR_GUEST_KIT_NET_H */
