/* SPDX-License-Identifier: MIT */
/* pingd.c: a networked guest: answers ARP and ping, serves UDP echo. */
#include <guestkit/guestkit.h>
#include <guestkit/net.h>
#include <guestkit/netfront.h>

/*
 * cmdline (all optional):
 *   ip=A.B.C.D/N   our address (else the vif's `ip` key from the toolstack)
 *   gw=A.B.C.D     gateway; vif=N (default 0); port=N UDP echo (default 7)
 *   peer=A.B.C.D rounds=N   client: N echo round trips with peer's port,
 *                  prints "pingd: N udp round trips OK" and powers off
 *   bench=sink [sport=9] [secs=N]  count datagrams to sport, report
 *                  when idle (for N s; 0: forever)
 *   bench=blast peer=IP [dport=9] [size=N] [secs=N]  send as fast as the
 *                  ring allows; size is the UDP payload
 *   secs=N         without a client or bench mode: power off after N s
 */

static struct gk_netfront *nf;

static int xmit(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    return gk_netfront_send(nf, frame, len);
}

static void rx(void *arg, const void *frame, size_t len)
{
    (void)arg;
    gk_net_input(frame, len);
}

/* UDP echo: the payload goes back to where it came from. */
static void echo(uint32_t src, uint16_t sport, uint16_t dport, const void *data,
                 size_t len, void *arg)
{
    (void)arg;
    gk_udp_sendto(dport, src, sport, data, len);
}

/* ---- client mode ---- */

static struct gk_thread *client_thread;
static volatile uint32_t got_seq;

static void client_rx(uint32_t src, uint16_t sport, uint16_t dport,
                      const void *data, size_t len, void *arg)
{
    const uint8_t *p = data;

    (void)src;
    (void)sport;
    (void)dport;
    (void)arg;
    if (len >= 4) {
        __atomic_store_n(&got_seq,
                         (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                             (uint32_t)p[2] << 8 | p[3],
                         __ATOMIC_RELEASE);
        gk_thread_wake(client_thread);
    }
}

static int run_client(uint32_t peer, uint16_t port, long rounds)
{
    uint8_t msg[64];
    uint64_t total_ns = 0;
    long ok = 0;

    client_thread = gk_current();
    gk_udp_bind(gk_udp_ephemeral_port(), client_rx, NULL);
    for (long r = 1; r <= rounds; r++) {
        int done = 0;
        for (int attempt = 0; attempt < 10 && !done; attempt++) {
            uint64_t t0 = gk_monotonic_ns(), deadline = t0 + 500000000ull;
            uint32_t seq = (uint32_t)r;
            msg[0] = (uint8_t)(seq >> 24);
            msg[1] = (uint8_t)(seq >> 16);
            msg[2] = (uint8_t)(seq >> 8);
            msg[3] = (uint8_t)seq;
            gk_snprintf((char *)msg + 4, sizeof(msg) - 4, "pingd round %ld", r);
            int rc = gk_udp_send(peer, port, msg, sizeof(msg));
            if (rc < 0 && rc != -XEN_EAGAIN) {
                gk_printf("pingd: send failed (%d)\n", rc);
                return 1;
            }
            while (__atomic_load_n(&got_seq, __ATOMIC_ACQUIRE) != seq &&
                   gk_monotonic_ns() < deadline)
                gk_thread_block_until(deadline);
            if (__atomic_load_n(&got_seq, __ATOMIC_ACQUIRE) == seq) {
                total_ns += gk_monotonic_ns() - t0;
                done = 1;
            }
        }
        if (!done) {
            gk_printf("pingd: round %ld: no answer from the peer\n", r);
            return 1;
        }
        ok++;
    }
    gk_printf("pingd: %ld udp round trips OK (avg %lu us)\n", ok,
              (unsigned long)(total_ns / (uint64_t)ok / 1000));
    return 0;
}

/* ---- bench modes ---- */

static volatile uint64_t sink_pkts, sink_bytes, sink_first, sink_last;

static void sink_rx(uint32_t src, uint16_t sport, uint16_t dport,
                    const void *data, size_t len, void *arg)
{
    uint64_t now = gk_monotonic_ns();

    (void)src;
    (void)sport;
    (void)dport;
    (void)data;
    (void)arg;
    if (!sink_pkts)
        sink_first = now;
    sink_last = now;
    sink_pkts++;
    sink_bytes += len;
}

static int run_sink(uint16_t port, long secs)
{
    uint64_t end = gk_monotonic_ns() + secs * 1000000000ull;

    gk_udp_bind(port, sink_rx, NULL);
    gk_printf("pingd: sink on udp port %u\n", port);
    while (secs <= 0 || gk_monotonic_ns() < end) {
        gk_msleep(200);
        uint64_t p = sink_pkts;
        if (p && gk_monotonic_ns() - sink_last > 1000000000ull) {
            uint64_t us = (sink_last - sink_first) / 1000;
            gk_printf("pingd: sink: %lu packets %lu bytes in %lu us\n",
                      (unsigned long)p, (unsigned long)sink_bytes,
                      (unsigned long)us);
            /* each burst is reported on its own */
            sink_pkts = sink_bytes = 0;
        }
    }
    return 0;
}

static int run_blast(uint32_t peer, uint16_t port, size_t size, long secs)
{
    static uint8_t buf[GK_UDP_MAX_PAYLOAD];
    uint64_t t0, end, sent = 0;
    int rc;

    if (size > GK_UDP_MAX_PAYLOAD)
        size = GK_UDP_MAX_PAYLOAD;
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)i;
    /* resolve the peer first (that datagram waits for ARP); to a port
     * next to the sink's so that it does not count */
    gk_udp_send(peer, (uint16_t)(port + 1), buf, size);
    gk_msleep(200);
    t0 = gk_monotonic_ns();
    end = t0 + (uint64_t)secs * 1000000000ull;
    while (gk_monotonic_ns() < end) {
        for (int k = 0; k < 64; k++) {
            rc = gk_udp_send(peer, port, buf, size);
            if (rc == -XEN_EAGAIN) {
                if (gk_netfront_wait_tx(nf) < 0)
                    return 1;
            } else if (rc < 0) {
                gk_printf("pingd: blast: send failed (%d)\n", rc);
                return 1;
            } else {
                sent++;
            }
        }
    }
    t0 = gk_monotonic_ns() - t0;
    gk_printf("pingd: blast: %lu packets of %lu bytes in %lu us\n",
              (unsigned long)sent, (unsigned long)size,
              (unsigned long)(t0 / 1000));
    return 0;
}

int main(void)
{
    char buf[64], addr[16], mode[16];
    const struct gk_netfront_info *info;
    uint32_t ip = 0, gw = 0, peer = 0;
    unsigned int prefix = 24;
    struct gk_net_stats st;
    long port = gk_cmdline_int("port", 7);
    int rc;

    gk_snprintf(buf, sizeof(buf), "%ld", gk_cmdline_int("vif", 0));
    rc = gk_netfront_open(buf, rx, NULL, &nf);
    if (rc) {
        gk_printf("pingd: opening vif %s failed (%d)\n", buf, rc);
        return 1;
    }
    info = gk_netfront_info(nf);
    if (gk_cmdline_get("ip", buf, sizeof(buf)) < 0)
        gk_strlcpy(buf, info->ip, sizeof(buf));
    if (!buf[0] || gk_net_parse_addr(buf, &ip, &prefix)) {
        gk_printf("pingd: no usable address (ip=A.B.C.D/N) '%s'\n", buf);
        return 1;
    }
    if (gk_cmdline_get("gw", buf, sizeof(buf)) >= 0 &&
        gk_net_parse_addr(buf, &gw, NULL)) {
        gk_printf("pingd: bad gw=%s\n", buf);
        return 1;
    }
    rc = gk_net_configure(info->mac, ip, prefix, gw, xmit, NULL);
    if (rc) {
        gk_printf("pingd: configuring the interface failed (%d)\n", rc);
        return 1;
    }
    gk_printf("pingd: %s/%u mac %02x:%02x:%02x:%02x:%02x:%02x up\n",
              gk_net_format_addr(ip, addr, sizeof(addr)), prefix, info->mac[0],
              info->mac[1], info->mac[2], info->mac[3], info->mac[4],
              info->mac[5]);
    if (port > 0 && port < 65536)
        gk_udp_bind((uint16_t)port, echo, NULL);
    if (gk_cmdline_get("peer", buf, sizeof(buf)) >= 0 &&
        gk_net_parse_addr(buf, &peer, NULL)) {
        gk_printf("pingd: bad peer=%s\n", buf);
        return 1;
    }
    if (gk_cmdline_get("bench", mode, sizeof(mode)) >= 0) {
        if (!strcmp(mode, "sink"))
            return run_sink((uint16_t)gk_cmdline_int("sport", 9),
                            gk_cmdline_int("secs", 0));
        if (!strcmp(mode, "blast") && peer)
            return run_blast(peer, (uint16_t)gk_cmdline_int("dport", 9),
                             (size_t)gk_cmdline_int("size", 64),
                             gk_cmdline_int("secs", 5));
        gk_printf("pingd: bench=sink or bench=blast peer=IP\n");
        return 1;
    }
    gk_printf("pingd: ready (udp echo on port %ld)\n", port);
    if (peer) {
        /* give the peer a moment to come up, then talk to it */
        return run_client(peer, (uint16_t)gk_cmdline_int("pport", 7),
                          gk_cmdline_int("rounds", 10));
    }
    long secs = gk_cmdline_int("secs", 0);
    for (long s = 0; !secs || s < secs; s++) {
        gk_msleep(1000);
        if (s % 30 == 29) {
            gk_net_get_stats(&st);
            gk_printf("pingd: rx %lu tx %lu echo %lu udp %lu\n",
                      (unsigned long)st.rx_frames, (unsigned long)st.tx_frames,
                      (unsigned long)st.icmp_echo_tx, (unsigned long)st.udp_rx);
        }
    }
    gk_net_get_stats(&st);
    gk_printf("pingd: done: %lu icmp echo answered, %lu udp datagrams\n",
              (unsigned long)st.icmp_echo_tx, (unsigned long)st.udp_rx);
    gk_netfront_close(nf);
    return 0;
}
