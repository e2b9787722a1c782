// SPDX-License-Identifier: MIT
/* net_host.c: UDP blast and sink for the network bench's host side. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 *   net-host sink PORT SECS          count datagrams to PORT; stops SECS
 *                                    after start or 1 s after the last one
 *   net-host blast IP PORT SIZE SECS send SIZE-byte datagrams for SECS
 * Both print "PACKETS BYTES MICROSECONDS" (payload bytes; sink: first to
 * last datagram).
 */

#define BATCH 64

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int sink(int port, int secs)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    static char bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct timeval tv = { 0, 100000 };
    uint64_t pkts = 0, bytes = 0, first = 0, last = 0, start = now_us();
    int s = socket(AF_INET, SOCK_DGRAM, 0), rcv = 8 << 20;

    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("net-host: sink");
        return 1;
    }
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof(bufs[i]);
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int n = recvmmsg(s, msgs, BATCH, 0, NULL);
        uint64_t t = now_us();
        if (n > 0) {
            if (!pkts)
                first = t;
            last = t;
            pkts += (uint64_t)n;
            for (int i = 0; i < n; i++)
                bytes += msgs[i].msg_len;
        }
        if ((pkts && t - last > 1000000) ||
            t - start > (uint64_t)secs * 1000000)
            break;
    }
    printf("%llu %llu %llu\n", (unsigned long long)pkts,
           (unsigned long long)bytes, (unsigned long long)(last - first));
    close(s);
    return 0;
}

static int blast(const char *ip, int port, int size, int secs)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    static char buf[65536];
    struct mmsghdr msgs[BATCH];
    struct iovec iov = { buf, (size_t)size };
    uint64_t pkts = 0, start, end;
    int s = socket(AF_INET, SOCK_DGRAM, 0);

    if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 ||
        connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("net-host: blast");
        return 1;
    }
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    start = now_us();
    end = start + (uint64_t)secs * 1000000u;
    while (now_us() < end) {
        int n = sendmmsg(s, msgs, BATCH, 0);
        if (n > 0)
            pkts += (uint64_t)n;
        else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
                 errno != ECONNREFUSED)
            break;
    }
    printf("%llu %llu %llu\n", (unsigned long long)pkts,
           (unsigned long long)(pkts * (uint64_t)size),
           (unsigned long long)(now_us() - start));
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "sink"))
        return sink(atoi(argv[2]), atoi(argv[3]));
    if (argc == 6 && !strcmp(argv[1], "blast"))
        return blast(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: net-host sink PORT SECS | "
                    "blast IP PORT SIZE SECS\n");
    return 2;
}
