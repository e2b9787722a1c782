/* SPDX-License-Identifier: MIT */
/* arp.c: ARP for IPv4 over Ethernet: a small cache, requests and replies. */
#include "net_internal.h"

#define ARP_LEN     28
#define ARP_REQUEST 1
#define ARP_REPLY   2

void arp_flush(void)
{
    memset(gk_net_state.arp, 0, sizeof(gk_net_state.arp));
}

static struct arp_entry *lookup(uint32_t ip)
{
    for (unsigned int i = 0; i < ARP_ENTRIES; i++)
        if (gk_net_state.arp[i].ip == ip)
            return &gk_net_state.arp[i];
    return NULL;
}

/* A free entry, else the oldest one (its pending frame is dropped). */
static struct arp_entry *alloc_entry(uint32_t ip)
{
    struct arp_entry *victim = NULL;

    for (unsigned int i = 0; i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &gk_net_state.arp[i];
        if (!e->ip) {
            victim = e;
            break;
        }
        if (!victim || e->stamp < victim->stamp)
            victim = e;
    }
    if (victim->pending_len)
        gk_net_state.st.arp_dropped++;
    memset(victim, 0, sizeof(*victim) - sizeof(victim->pending));
    victim->ip = ip;
    return victim;
}

static int send_arp(uint16_t op, const uint8_t *tha, uint32_t tpa,
                    const uint8_t *eth_dst)
{
    struct net_state *n = &gk_net_state;
    uint8_t f[GK_ETH_HLEN + ARP_LEN + 18]; /* padded to 60 bytes */
    uint8_t *a = f + GK_ETH_HLEN;

    memset(f, 0, sizeof(f));
    net_put16(a, 1); /* Ethernet */
    net_put16(a + 2, ETH_P_IP);
    a[4] = GK_ETH_ALEN;
    a[5] = 4;
    net_put16(a + 6, op);
    memcpy(a + 8, n->mac, GK_ETH_ALEN);
    net_put32(a + 14, n->ip);
    memcpy(a + 18, tha, GK_ETH_ALEN);
    net_put32(a + 24, tpa);
    n->st.arp_tx++;
    return eth_output(f, sizeof(f), eth_dst, ETH_P_ARP);
}

/* Sends what waited for e's answer. */
static void flush_pending(struct arp_entry *e)
{
    if (!e->pending_len)
        return;
    memcpy(e->pending, e->mac, GK_ETH_ALEN);
    eth_output(e->pending, e->pending_len, e->mac, ETH_P_IP);
    e->pending_len = 0;
}

static int valid_unicast(const uint8_t *mac)
{
    static const uint8_t zero[GK_ETH_ALEN];

    return !(mac[0] & 1) && memcmp(mac, zero, GK_ETH_ALEN) != 0;
}

void arp_learn(uint32_t ip, const uint8_t *mac)
{
    struct arp_entry *e;

    if (!ip || !valid_unicast(mac))
        return;
    e = lookup(ip);
    if (!e)
        e = alloc_entry(ip);
    memcpy(e->mac, mac, GK_ETH_ALEN);
    e->resolved = 1;
    e->stamp = gk_net_now_ns();
    flush_pending(e);
}

void arp_input(const uint8_t *a, size_t len)
{
    struct net_state *n = &gk_net_state;
    uint32_t spa, tpa;
    uint16_t op;
    struct arp_entry *e;

    if (len < ARP_LEN || net_get16(a) != 1 || net_get16(a + 2) != ETH_P_IP ||
        a[4] != GK_ETH_ALEN || a[5] != 4) {
        n->st.rx_bad++;
        return;
    }
    op = net_get16(a + 6);
    spa = net_get32(a + 14);
    tpa = net_get32(a + 24);
    if (op != ARP_REQUEST && op != ARP_REPLY) {
        n->st.rx_bad++;
        return;
    }
    n->st.arp_rx++;
    /* RFC 826: update a sender we know; add it when the message is for
     * us. Probes (sender 0.0.0.0) and bogus sender MACs teach nothing. */
    if (spa && spa != n->ip && valid_unicast(a + 8)) {
        e = lookup(spa);
        if (e || tpa == n->ip)
            arp_learn(spa, a + 8);
    }
    if (op == ARP_REQUEST && tpa == n->ip && valid_unicast(a + 8))
        send_arp(ARP_REPLY, a + 8, spa, a + 8);
}

int arp_output(uint32_t hop, uint8_t *frame, size_t len)
{
    struct net_state *n = &gk_net_state;
    uint64_t now = gk_net_now_ns();
    struct arp_entry *e;
    static const uint8_t zero[GK_ETH_ALEN];

    if (hop == 0xffffffffu ||
        (n->mask != 0xffffffffu && (hop & ~n->mask) == ~n->mask &&
         (hop & n->mask) == (n->ip & n->mask)))
        return eth_output(frame, len, gk_eth_broadcast, ETH_P_IP);
    e = lookup(hop);
    if (e && e->resolved && now - e->stamp < ARP_TTL_NS)
        return eth_output(frame, len, e->mac, ETH_P_IP);
    if (!e) {
        e = alloc_entry(hop);
        e->stamp = 0;
    } else if (e->resolved) {
        e->resolved = 0; /* expired: ask again */
        e->stamp = 0;
    }
    /* one frame waits per entry; a newer one replaces it */
    if (e->pending_len)
        n->st.arp_dropped++;
    memcpy(e->pending, frame, len);
    e->pending_len = (uint16_t)len;
    n->st.arp_queued++;
    if (!e->stamp || now - e->stamp >= ARP_RETRY_NS) {
        e->stamp = now ? now : 1;
        send_arp(ARP_REQUEST, zero, hop, gk_eth_broadcast);
    }
    return 0;
}

int gk_net_announce(void)
{
    struct net_state *n = &gk_net_state;
    unsigned long flags = gk_net_lock();
    int rc = 0;

    /* An ARP request for our own address, its target hardware address
     * zero, broadcast: switches and neighbours learn where we are now. */
    if (n->up && n->ip)
        rc = send_arp(ARP_REQUEST, (const uint8_t[GK_ETH_ALEN]){ 0 }, n->ip,
                      gk_eth_broadcast);
    gk_net_unlock(flags);
    return rc;
}
