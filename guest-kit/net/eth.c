/* SPDX-License-Identifier: MIT */
/* eth.c: the interface: configuration, Ethernet in/out, checksums, text. */
#include "net_internal.h"

struct net_state gk_net_state;

const uint8_t gk_eth_broadcast[GK_ETH_ALEN] = { 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff };

int gk_net_configure(const uint8_t mac[GK_ETH_ALEN], uint32_t ip,
                     unsigned int prefix, uint32_t gateway, gk_net_xmit_fn xmit,
                     void *ctx)
{
    struct net_state *n = &gk_net_state;
    unsigned long flags;

    if (!xmit || prefix < 1 || prefix > 32 || ip == 0 || (mac[0] & 1))
        return -XEN_EINVAL;
    flags = gk_net_lock();
    n->up = 0;
    memcpy(n->mac, mac, GK_ETH_ALEN);
    n->ip = ip;
    n->mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    n->gateway = gateway;
    n->xmit = xmit;
    n->ctx = ctx;
    n->ephemeral = (uint16_t)(49152 + (ip & 0x3fff));
    arp_flush();
    memset(n->udp, 0, sizeof(n->udp));
    n->up = 1;
    gk_net_unlock(flags);
    return 0;
}

void gk_net_down(void)
{
    unsigned long flags = gk_net_lock();

    gk_net_state.up = 0;
    arp_flush();
    gk_net_unlock(flags);
}

uint32_t gk_net_addr(void)
{
    return gk_net_state.up ? gk_net_state.ip : 0;
}

int eth_output(uint8_t *frame, size_t len, const uint8_t *dst, uint16_t type)
{
    struct net_state *n = &gk_net_state;
    int rc;

    memcpy(frame, dst, GK_ETH_ALEN);
    memcpy(frame + 6, n->mac, GK_ETH_ALEN);
    net_put16(frame + 12, type);
    rc = n->xmit(n->ctx, frame, len);
    if (rc < 0)
        n->st.tx_errors++;
    else
        n->st.tx_frames++;
    return rc;
}

void gk_net_input(const void *frame, size_t len)
{
    struct net_state *n = &gk_net_state;
    const uint8_t *p = frame;
    unsigned long flags;
    uint16_t type;

    flags = gk_net_lock();
    if (!n->up)
        goto out;
    n->st.rx_frames++;
    if (len < GK_ETH_HLEN || len > GK_ETH_FRAME_MAX + 4) {
        n->st.rx_bad++;
        goto out;
    }
    /* ours or broadcast; other multicast and other hosts' frames ignored */
    if (memcmp(p, n->mac, GK_ETH_ALEN) &&
        memcmp(p, gk_eth_broadcast, GK_ETH_ALEN)) {
        n->st.rx_ignored++;
        goto out;
    }
    if (p[6] & 1) { /* a multicast source is never valid */
        n->st.rx_bad++;
        goto out;
    }
    type = net_get16(p + 12);
    if (type == ETH_P_ARP)
        arp_input(p + GK_ETH_HLEN, len - GK_ETH_HLEN);
    else if (type == ETH_P_IP)
        ip_input(p + GK_ETH_HLEN, len - GK_ETH_HLEN, p + 6, &flags);
    else
        n->st.rx_ignored++;
out:
    gk_net_unlock(flags);
}

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len >= 2) {
        sum += (uint32_t)((p[0] << 8) | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t gk_net_checksum(const void *data, size_t len)
{
    /* sum in 64 bits: no overflow for any length we can be handed */
    const uint8_t *p = data;
    uint64_t sum = 0;

    while (len >= 2) {
        sum += (uint32_t)((p[0] << 8) | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int gk_net_parse_addr(const char *s, uint32_t *ip, unsigned int *prefix)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned int part = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            part = part * 10 + (unsigned int)(*s++ - '0');
            digits++;
        }
        if (!digits || digits > 3 || part > 255)
            return -XEN_EINVAL;
        v = (v << 8) | part;
        if (i < 3 && *s++ != '.')
            return -XEN_EINVAL;
    }
    if (*s == '/') {
        unsigned int pl = 0, digits = 0;
        if (!prefix)
            return -XEN_EINVAL;
        s++;
        while (*s >= '0' && *s <= '9' && digits < 3) {
            pl = pl * 10 + (unsigned int)(*s++ - '0');
            digits++;
        }
        if (!digits || pl < 1 || pl > 32 || *s)
            return -XEN_EINVAL;
        *prefix = pl;
    } else if (*s) {
        return -XEN_EINVAL;
    } else if (prefix) {
        *prefix = 24;
    }
    *ip = v;
    return 0;
}

char *gk_net_format_addr(uint32_t ip, char *buf, size_t len)
{
    char tmp[16];
    size_t o = 0;

    for (int i = 3; i >= 0; i--) {
        unsigned int b = (ip >> (i * 8)) & 0xff;
        if (b >= 100)
            tmp[o++] = (char)('0' + b / 100);
        if (b >= 10)
            tmp[o++] = (char)('0' + (b / 10) % 10);
        tmp[o++] = (char)('0' + b % 10);
        if (i)
            tmp[o++] = '.';
    }
    tmp[o] = '\0';
    if (len) {
        size_t c = o < len - 1 ? o : len - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return buf;
}

void gk_net_get_stats(struct gk_net_stats *st)
{
    unsigned long flags = gk_net_lock();

    *st = gk_net_state.st;
    gk_net_unlock(flags);
}
