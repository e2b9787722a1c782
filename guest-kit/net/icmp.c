/* SPDX-License-Identifier: MIT */
/* icmp.c: ICMP echo: answer requests, send requests, report replies. */
#include "net_internal.h"

#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HLEN         8
#define HDRS              (GK_ETH_HLEN + 20)

static int send_echo(uint8_t type, uint32_t dst, uint16_t id, uint16_t seq,
                     const void *data, size_t len)
{
    uint8_t f[GK_ETH_FRAME_MAX];
    uint8_t *m = f + HDRS;

    if (len > GK_NET_MTU - 20 - ICMP_HLEN)
        return -XEN_EMSGSIZE;
    m[0] = type;
    m[1] = 0;
    net_put16(m + 2, 0);
    net_put16(m + 4, id);
    net_put16(m + 6, seq);
    memcpy(m + ICMP_HLEN, data, len);
    net_put16(m + 2, gk_net_checksum(m, ICMP_HLEN + len));
    return ip_output(f, dst, IPPROTO_ICMP_, ICMP_HLEN + len);
}

void icmp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len,
                unsigned long *flags)
{
    struct net_state *n = &gk_net_state;

    if (len < ICMP_HLEN || gk_net_checksum(p, len) != 0) {
        n->st.rx_bad++;
        return;
    }
    if (p[0] == ICMP_ECHO_REQUEST && p[1] == 0) {
        n->st.icmp_echo_rx++;
        /* no answers to broadcasts (smurf) or to impossible sources */
        if (dst != n->ip || !src || src == 0xffffffffu)
            return;
        if (send_echo(ICMP_ECHO_REPLY, src, net_get16(p + 4), net_get16(p + 6),
                      p + ICMP_HLEN, len - ICMP_HLEN) == 0)
            n->st.icmp_echo_tx++;
    } else if (p[0] == ICMP_ECHO_REPLY && p[1] == 0 && n->icmp_reply) {
        gk_icmp_reply_fn fn = n->icmp_reply;
        void *arg = n->icmp_arg;

        gk_net_unlock(*flags);
        fn(src, net_get16(p + 4), net_get16(p + 6), p + ICMP_HLEN,
           len - ICMP_HLEN, arg);
        *flags = gk_net_lock();
    } else {
        n->st.rx_ignored++;
    }
}

void gk_icmp_set_reply_handler(gk_icmp_reply_fn fn, void *arg)
{
    unsigned long flags = gk_net_lock();

    gk_net_state.icmp_reply = fn;
    gk_net_state.icmp_arg = arg;
    gk_net_unlock(flags);
}

int gk_icmp_echo(uint32_t ip, uint16_t id, uint16_t seq, const void *data,
                 size_t len)
{
    unsigned long flags = gk_net_lock();
    int rc = send_echo(ICMP_ECHO_REQUEST, ip, id, seq, data, len);

    gk_net_unlock(flags);
    return rc;
}
