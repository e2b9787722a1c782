// SPDX-License-Identifier: MIT
/* fuzz_mgmt.c: pvisor's management server fed arbitrary client bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_mgmt.h"
#include "fuzz.h"

/*
 * pvisor's management server, with its epoll loop run here, gets a new
 * connection per input and the input as the bytes that client sends:
 * frame lengths, protobuf requests (any operation; no KVM, so domain
 * creation fails cleanly and lookups find nothing), in any split. The
 * client then closes and the server must forget it.
 */
static char dir[64];

static void run_loop(void)
{
    struct epoll_event evs[16];

    for (int round = 0; round < 64; round++) {
        int n = epoll_wait(hv_epoll_fd, evs, 16, 0);

        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            switch (tag & HV_EPOLL_TYPE_MASK) {
            case HV_EPOLL_LISTEN:
                hv_mgmt_accept();
                break;
            case HV_EPOLL_CLIENT:
                hv_mgmt_client_event((unsigned)(tag & 0xffff), evs[i].events);
                break;
            case HV_EPOLL_WAKE:
                hv_mgmt_wake(true);
                break;
            default:
                break;
            }
        }
    }
}

static void drain(int fd)
{
    char buf[65536];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t off = 0;
    int fd;

    if (!dir[0]) {
        char err[256];

        hv_log_set_fd(-1);
        /* pvisor never serves without a default platform: an unusable
         * KVM here (no platform init), so creates fail cleanly. */
        hv_platform_default = &hv_platform_kvm;
        snprintf(dir, sizeof(dir), "/tmp/pvisor-fuzz.XXXXXX");
        hv_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (!mkdtemp(dir) || hv_epoll_fd < 0 ||
            hv_mgmt_init(dir, err, sizeof(err)) != 0)
            abort();
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/pvisor.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        abort();
    run_loop();
    for (int spins = 0; off < size && spins < 10000; spins++) {
        ssize_t n =
            send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            break; /* the server closed the connection */
        if (n > 0)
            off += (size_t)n;
        run_loop();
        drain(fd);
    }
    run_loop();
    drain(fd);
    close(fd);
    run_loop();
    return 0;
}
