/* SPDX-License-Identifier: MIT */
/* bench_guest.c: the bench guest kernel; cmdline `mode=` picks the test. */
#include <guestkit/guestkit.h>

#include "compute.h"

/* `reps` times N null hypercalls (xen_version), timed with pvclock. */
static int run_hypercall(void)
{
    long n = gk_cmdline_int("n", 20000);
    long reps = gk_cmdline_int("reps", 1);
    long ver = 0;

    if (n <= 0 || reps <= 0)
        return 2;
    for (long i = 0; i < 1000; i++) /* warm-up */
        ver = HYPERVISOR_xen_version(XENVER_version, NULL);
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = gk_monotonic_ns(), t1;

        for (long i = 0; i < n; i++)
            ver = HYPERVISOR_xen_version(XENVER_version, NULL);
        t1 = gk_monotonic_ns();
        gk_printf("bench: mode=hypercall n=%ld total_ns=%lu version=0x%lx\n", n,
                  t1 - t0, ver);
    }
    return ver > 0 ? 0 : 1;
}

/* xen_version(XENVER_version) through Xen's `syscall` transport. */
static long syscall_xen_version(void)
{
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)__HYPERVISOR_xen_version),
                       "D"((long)XENVER_version), "S"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}

/* `reps` times N null hypercalls made with an inline `syscall`. */
static int run_syscall(void)
{
    long n = gk_cmdline_int("n", 20000);
    long reps = gk_cmdline_int("reps", 1);
    long ver = 0;

    if (n <= 0 || reps <= 0)
        return 2;
    for (long i = 0; i < 100; i++) /* warm-up */
        ver = syscall_xen_version();
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = gk_monotonic_ns(), t1;

        for (long i = 0; i < n; i++)
            ver = syscall_xen_version();
        t1 = gk_monotonic_ns();
        gk_printf("bench: mode=syscall n=%ld total_ns=%lu version=0x%lx\n", n,
                  t1 - t0, ver);
    }
    return ver == HYPERVISOR_xen_version(XENVER_version, NULL) ? 0 : 1;
}

/* The shared compute kernel, `reps` times, each timed with pvclock. */
static int run_compute(void)
{
    long rounds = gk_cmdline_int("rounds", (long)BENCH_COMPUTE_ROUNDS);
    long reps = gk_cmdline_int("reps", 3);

    if (rounds <= 0 || reps <= 0)
        return 2;
    for (long i = 0; i < reps; i++) {
        uint64_t t0 = gk_monotonic_ns();
        uint64_t sum = bench_compute((uint64_t)rounds);
        uint64_t t1 = gk_monotonic_ns();

        gk_printf("bench: mode=compute where=guest rounds=%ld ns=%lu "
                  "checksum=0x%016lx\n",
                  rounds, t1 - t0, sum);
    }
    return 0;
}

/* ---- mode=evtchn: round trips to a dom0 echo program ---- */

#define EV_WAIT_NS 5000000000ULL /* give up on a lost event after 5 s */

/*
 * Wait until `port` (masked, so no upcall takes the event away) is
 * pending, sleeping in SCHEDOP_poll, then clear it. 0, or -1 on timeout.
 */
static int ev_wait(evtchn_port_t port, uint64_t timeout_ns)
{
    struct shared_info *s = gk_shared_info;
    uint64_t deadline = gk_monotonic_ns() + timeout_ns;

    while (!gk_test_bit(port, s->evtchn_pending)) {
        struct sched_poll sp = {
            .ports = (uint64_t)(unsigned long)&port,
            .nr_ports = 1,
            .timeout = deadline,
        };

        if (gk_monotonic_ns() >= deadline)
            return -1;
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
    }
    gk_clear_bit(port, s->evtchn_pending);
    return 0;
}

/* n round trips: notify dom0 (fast: pvisor_notify, slow: EVTCHNOP_send),
 * then sleep until the echo comes back. Returns the elapsed ns, 0 on a
 * lost event. */
static uint64_t ev_round_trips(evtchn_port_t port, long n, int slow)
{
    uint64_t t0 = gk_monotonic_ns();

    for (long i = 0; i < n; i++) {
        if (slow) {
            struct evtchn_send op = { .port = port };

            HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
        } else {
            HYPERVISOR_pvisor_notify(port);
        }
        if (ev_wait(port, EV_WAIT_NS) < 0) {
            gk_printf("bench: mode=evtchn error: no echo after %ld round "
                      "trips\n",
                      i);
            return 0;
        }
    }
    return gk_monotonic_ns() - t0;
}

/*
 * Allocate a port for dom0, announce it, wait until dom0 bound it and
 * said hello (one event), then `reps` times n fast-path and n slow-path
 * round trips, each batch timed with pvclock.
 */
static int run_evtchn(void)
{
    long n = gk_cmdline_int("n", 2000);
    long reps = gk_cmdline_int("reps", 2);
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    struct evtchn_status st;
    evtchn_port_t port;
    long rc;

    if (n <= 0 || reps <= 0)
        return 2;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    if (rc < 0) {
        gk_printf("bench: mode=evtchn error: alloc_unbound: %ld\n", rc);
        return 1;
    }
    port = au.port;
    gk_evtchn_mask(port); /* events stay pending for SCHEDOP_poll */
    gk_evtchn_clear(port);
    gk_printf("bench: mode=evtchn port=%u\n", port);
    for (long ms = 0;; ms++) {
        st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
        if (rc == 0 && st.status == EVTCHNSTAT_interdomain)
            break;
        if (ms >= 30000) {
            gk_printf("bench: mode=evtchn error: port %u not bound by dom0 "
                      "(status %ld/%u)\n",
                      port, rc, st.status);
            return 1;
        }
        gk_msleep(1);
    }
    if (ev_wait(port, 10 * EV_WAIT_NS) < 0) {
        gk_printf("bench: mode=evtchn error: no hello from dom0\n");
        return 1;
    }
    gk_printf("bench: mode=evtchn bound remote_dom=%u remote_port=%u\n",
              st.u.interdomain.dom, st.u.interdomain.port);
    if (!ev_round_trips(port, 200, 0) || !ev_round_trips(port, 200, 1))
        return 1; /* warm-up */
    for (long r = 0; r < reps; r++) {
        for (int slow = 0; slow <= 1; slow++) {
            uint64_t ns = ev_round_trips(port, n, slow);

            if (!ns)
                return 1;
            gk_printf("bench: mode=evtchn path=%s n=%ld total_ns=%lu\n",
                      slow ? "slow" : "fast", n, ns);
        }
    }
    return 0;
}

/* ---- mode=xsread: xenstore reads of our own "name" ---- */

/* `reps` times n reads of "name" through the xenbus ring; then stay up
 * (idle) so that dom0 can read the same key. */
static int run_xsread(void)
{
    long n = gk_cmdline_int("n", 2000);
    long reps = gk_cmdline_int("reps", 3);
    char val[64];
    int len = 0;

    if (n <= 0 || reps <= 0)
        return 2;
    if (!gk_xenbus_available()) {
        gk_printf("bench: mode=xsread error: no xenstore\n");
        return 1;
    }
    for (long i = 0; i < 100 && len >= 0; i++) /* warm-up */
        len = gk_xenbus_read_str(GK_XBT_NIL, "name", val, sizeof(val));
    for (long r = 0; r < reps && len >= 0; r++) {
        uint64_t t0 = gk_monotonic_ns(), t1;

        for (long i = 0; i < n && len >= 0; i++)
            len = gk_xenbus_read_str(GK_XBT_NIL, "name", val, sizeof(val));
        t1 = gk_monotonic_ns();
        if (len >= 0)
            gk_printf("bench: mode=xsread n=%ld total_ns=%lu value=%s\n", n,
                      t1 - t0, val);
    }
    if (len < 0) {
        gk_printf("bench: mode=xsread error: read name: %d\n", len);
        return 1;
    }
    gk_printf("bench: mode=xsread done\n");
    for (;;)
        gk_thread_block();
    return 0;
}

/* ---- mode=grant: k pages granted to dom0 ---- */

/*
 * Grant k fresh pages to dom0 read-write, each holding its ref in its
 * first 4 bytes (dom0 checks), announce "first_ref count" (the refs of a
 * fresh table are consecutive; checked), then stay up (idle).
 */
static int run_grant(void)
{
    long k = gk_cmdline_int("k", 256);
    int first = -1;

    if (k <= 0 || k > 1024)
        return 2;
    for (long i = 0; i < k; i++) {
        uint32_t *page = gk_alloc_page();
        int ref;

        if (!page) {
            gk_printf("bench: mode=grant error: out of pages\n");
            return 1;
        }
        ref = gk_grant_access(0, gk_virt_to_pfn(page), 0);
        if (ref < 0 || (first >= 0 && ref != first + i)) {
            gk_printf("bench: mode=grant error: ref %d (first %d, i %ld)\n",
                      ref, first, i);
            return 1;
        }
        if (first < 0)
            first = ref;
        page[0] = (uint32_t)ref;
    }
    gk_printf("bench: mode=grant first_ref=%d count=%ld\n", first, k);
    for (;;)
        gk_thread_block();
    return 0;
}

/* Announce, then sleep forever: the scheduler blocks the vCPU. */
static int run_idle(void)
{
    gk_printf("bench: mode=idle\n");
    for (;;)
        gk_thread_block();
    return 0;
}

int main(void)
{
    char mode[32];

    if (gk_cmdline_get("mode", mode, sizeof(mode)) < 0)
        mode[0] = 0;
    if (!strcmp(mode, "hypercall"))
        return run_hypercall();
    if (!strcmp(mode, "syscall"))
        return run_syscall();
    if (!strcmp(mode, "compute"))
        return run_compute();
    if (!strcmp(mode, "idle"))
        return run_idle();
    if (!strcmp(mode, "evtchn"))
        return run_evtchn();
    if (!strcmp(mode, "xsread"))
        return run_xsread();
    if (!strcmp(mode, "grant"))
        return run_grant();
    /* mode=first (the default): the first console line, then power off. */
    gk_printf("bench: first line\n");
    return 0;
}
