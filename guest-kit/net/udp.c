/* SPDX-License-Identifier: MIT */
/* udp.c: UDP: port bindings, checked input, datagrams out. */
#include "net_internal.h"

#define UDP_HLEN 8
#define HDRS     (GK_ETH_HLEN + 20)

/* The checksum over the pseudo header and the datagram. */
static uint16_t udp_csum(uint32_t src, uint32_t dst, const uint8_t *u,
                         size_t len)
{
    uint8_t ph[12];

    net_put32(ph, src);
    net_put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = IPPROTO_UDP_;
    net_put16(ph + 10, (uint16_t)len);
    return net_csum_fold(net_csum_add(net_csum_add(0, ph, sizeof(ph)), u, len));
}

static struct udp_binding *find(uint16_t port)
{
    for (unsigned int i = 0; i < UDP_BINDINGS; i++)
        if (gk_net_state.udp[i].port == port)
            return &gk_net_state.udp[i];
    return NULL;
}

void udp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len,
               unsigned long *flags)
{
    struct net_state *n = &gk_net_state;
    struct udp_binding *b;
    unsigned int ulen;
    uint16_t sport, dport;
    gk_udp_rx_fn cb;
    void *arg;

    if (len < UDP_HLEN) {
        n->st.rx_bad++;
        return;
    }
    ulen = net_get16(p + 4);
    if (ulen < UDP_HLEN || ulen > len ||
        (net_get16(p + 6) && udp_csum(src, dst, p, ulen) != 0)) {
        n->st.rx_bad++;
        return;
    }
    sport = net_get16(p);
    dport = net_get16(p + 2);
    b = dport ? find(dport) : NULL;
    if (!b) {
        n->st.udp_no_port++;
        return;
    }
    n->st.udp_rx++;
    cb = b->cb;
    arg = b->arg;
    gk_net_unlock(*flags);
    cb(src, sport, dport, p + UDP_HLEN, ulen - UDP_HLEN, arg);
    *flags = gk_net_lock();
}

int gk_udp_bind(uint16_t port, gk_udp_rx_fn cb, void *arg)
{
    unsigned long flags;
    struct udp_binding *b;
    int rc = 0;

    if (!port || !cb)
        return -XEN_EINVAL;
    flags = gk_net_lock();
    if (find(port)) {
        rc = -XEN_EADDRINUSE;
    } else if (!(b = find(0))) {
        rc = -XEN_ENOSPC;
    } else {
        b->cb = cb;
        b->arg = arg;
        b->port = port;
    }
    gk_net_unlock(flags);
    return rc;
}

int gk_udp_unbind(uint16_t port)
{
    unsigned long flags;
    struct udp_binding *b;
    int rc = 0;

    if (!port)
        return -XEN_EINVAL;
    flags = gk_net_lock();
    b = find(port);
    if (b)
        memset(b, 0, sizeof(*b));
    else
        rc = -XEN_ENOENT;
    gk_net_unlock(flags);
    return rc;
}

int gk_udp_sendto(uint16_t src_port, uint32_t ip, uint16_t port,
                  const void *data, size_t len)
{
    struct net_state *n = &gk_net_state;
    uint8_t f[GK_ETH_FRAME_MAX];
    uint8_t *u = f + HDRS;
    unsigned long flags;
    uint16_t sum;
    int rc;

    if (!port || len > GK_UDP_MAX_PAYLOAD)
        return len > GK_UDP_MAX_PAYLOAD ? -XEN_EMSGSIZE : -XEN_EINVAL;
    flags = gk_net_lock();
    if (!n->up) {
        gk_net_unlock(flags);
        return -XEN_ENOTCONN;
    }
    net_put16(u, src_port ? src_port : n->ephemeral);
    net_put16(u + 2, port);
    net_put16(u + 4, (uint16_t)(UDP_HLEN + len));
    net_put16(u + 6, 0);
    memcpy(u + UDP_HLEN, data, len);
    sum = udp_csum(n->ip, ip, u, UDP_HLEN + len);
    net_put16(u + 6, sum ? sum : 0xffff);
    rc = ip_output(f, ip, IPPROTO_UDP_, UDP_HLEN + len);
    if (rc == 0)
        n->st.udp_tx++;
    gk_net_unlock(flags);
    return rc;
}

int gk_udp_send(uint32_t ip, uint16_t port, const void *data, size_t len)
{
    return gk_udp_sendto(0, ip, port, data, len);
}

uint16_t gk_udp_ephemeral_port(void)
{
    return gk_net_state.ephemeral;
}
