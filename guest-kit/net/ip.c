/* SPDX-License-Identifier: MIT */
/* ip.c: IPv4 input checks and output (no options sent, no fragments). */
#include "net_internal.h"

#define IP_HLEN    20
#define IP_DF      0x4000
#define IP_MF      0x2000
#define IP_OFFMASK 0x1fff
#define IP_TTL     64

static int for_us(uint32_t dst)
{
    struct net_state *n = &gk_net_state;

    if (dst == n->ip || dst == 0xffffffffu)
        return 1;
    /* the subnet's broadcast address */
    return n->mask != 0xffffffffu && (dst & n->mask) == (n->ip & n->mask) &&
           (dst & ~n->mask) == ~n->mask;
}

void ip_input(const uint8_t *p, size_t len, const uint8_t *src_mac,
              unsigned long *flags)
{
    struct net_state *n = &gk_net_state;
    unsigned int hlen, tot;
    uint32_t src, dst;
    uint16_t frag;

    if (len < IP_HLEN || (p[0] >> 4) != 4) {
        n->st.rx_bad++;
        return;
    }
    hlen = (p[0] & 0xf) * 4u;
    tot = net_get16(p + 2);
    /* the frame may carry Ethernet padding after the datagram */
    if (hlen < IP_HLEN || hlen > len || tot < hlen || tot > len ||
        gk_net_checksum(p, hlen) != 0) {
        n->st.rx_bad++;
        return;
    }
    frag = net_get16(p + 6);
    if (frag & (IP_MF | IP_OFFMASK)) {
        n->st.rx_ignored++; /* no reassembly */
        return;
    }
    src = net_get32(p + 12);
    dst = net_get32(p + 16);
    if (!for_us(dst)) {
        n->st.rx_ignored++;
        return;
    }
    /* a sender on our subnet with a unicast source: remember its MAC, so
     * the answer needs no ARP round trip */
    if (src && src != 0xffffffffu && src != n->ip &&
        (src & n->mask) == (n->ip & n->mask)) {
        for (unsigned int i = 0; i < ARP_ENTRIES; i++)
            if (n->arp[i].ip == src && n->arp[i].resolved &&
                !memcmp(n->arp[i].mac, src_mac, GK_ETH_ALEN)) {
                n->arp[i].stamp = gk_net_now_ns();
                goto learnt;
            }
        arp_learn(src, src_mac);
    }
learnt:
    switch (p[9]) {
    case IPPROTO_ICMP_:
        icmp_input(src, dst, p + hlen, tot - hlen, flags);
        break;
    case IPPROTO_UDP_:
        udp_input(src, dst, p + hlen, tot - hlen, flags);
        break;
    default:
        n->st.rx_ignored++;
        break;
    }
}

int ip_output(uint8_t *frame, uint32_t dst, uint8_t proto, size_t plen)
{
    struct net_state *n = &gk_net_state;
    uint8_t *h = frame + GK_ETH_HLEN;
    uint32_t hop = dst;

    if (!n->up)
        return -XEN_ENOTCONN;
    if (plen > GK_NET_MTU - IP_HLEN)
        return -XEN_EMSGSIZE;
    if (!dst)
        return -XEN_EINVAL;
    if (dst != 0xffffffffu && (dst & n->mask) != (n->ip & n->mask)) {
        if (!n->gateway)
            return -XEN_EADDRNOTAVAIL; /* no route */
        hop = n->gateway;
    }
    h[0] = 0x45;
    h[1] = 0;
    net_put16(h + 2, (uint16_t)(IP_HLEN + plen));
    net_put16(h + 4, n->ip_id++);
    net_put16(h + 6, IP_DF);
    h[8] = IP_TTL;
    h[9] = proto;
    net_put16(h + 10, 0);
    net_put32(h + 12, n->ip);
    net_put32(h + 16, dst);
    net_put16(h + 10, gk_net_checksum(h, IP_HLEN));
    return arp_output(hop, frame, GK_ETH_HLEN + IP_HLEN + plen);
}
