// SPDX-License-Identifier: MIT
/* evtchn_echo.c: dom0 end of the event channel bench: echo every event. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvevtchn.h"

/*
 * usage: evtchn-echo [-t IDLE_SECS] DOMID PORT
 *
 * Binds to the guest's unbound port PORT (allocated for dom0), drops the
 * event pvisor raises at bind time, sends the guest one "hello" event,
 * then answers each event with one notify: wait on pvevtchn_fd(),
 * pvevtchn_pending(), pvevtchn_unmask(), pvevtchn_notify(). Runs until
 * SIGTERM/SIGINT or IDLE_SECS (30) without an event; prints the number of
 * events echoed.
 */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: evtchn-echo [-t IDLE_SECS] DOMID PORT\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_signal };
    long idle_s = 30;
    unsigned long echoed = 0;
    pvevtchn *x;
    int opt, local, rc;
    uint32_t domid, rport;

    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt != 't')
            return usage();
        idle_s = strtol(optarg, NULL, 0);
    }
    if (argc - optind != 2 || idle_s <= 0)
        return usage();
    domid = (uint32_t)strtoul(argv[optind], NULL, 0);
    rport = (uint32_t)strtoul(argv[optind + 1], NULL, 0);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    x = pvevtchn_open(NULL);
    if (!x) {
        fprintf(stderr, "evtchn-echo: pvevtchn_open: %s\n", strerror(errno));
        return 1;
    }
    local = pvevtchn_bind_interdomain(x, domid, rport);
    if (local < 0) {
        fprintf(stderr, "evtchn-echo: bind d%u port %u: %s\n", domid, rport,
                strerror(-local));
        pvevtchn_close(x);
        return 1;
    }
    /* The bind-time event: consume it so it is not echoed. */
    if (pvevtchn_pending(x) == local)
        pvevtchn_unmask(x, (pvevtchn_port_t)local);
    rc = pvevtchn_notify(x, (pvevtchn_port_t)local); /* hello */
    if (rc < 0) {
        fprintf(stderr, "evtchn-echo: notify: %s\n", strerror(-rc));
        pvevtchn_close(x);
        return 1;
    }

    struct pollfd pfd = { .fd = pvevtchn_fd(x), .events = POLLIN };
    while (!stop) {
        int n = poll(&pfd, 1, (int)(idle_s * 1000));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "evtchn-echo: poll: %s\n", strerror(errno));
            break;
        }
        if (n == 0)
            break; /* idle: the guest is done */
        while ((rc = pvevtchn_pending(x)) >= 0) {
            pvevtchn_unmask(x, (pvevtchn_port_t)rc);
            if (rc == local && pvevtchn_notify(x, (pvevtchn_port_t)rc) == 0)
                echoed++;
        }
    }
    printf("evtchn-echo: echoed=%lu\n", echoed);
    pvevtchn_close(x);
    return 0;
}
