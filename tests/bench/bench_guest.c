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
    for (long i = 0; i < 1000; i++)         /* warm-up */
        ver = HYPERVISOR_xen_version(XENVER_version, NULL);
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = gk_monotonic_ns(), t1;

        for (long i = 0; i < n; i++)
            ver = HYPERVISOR_xen_version(XENVER_version, NULL);
        t1 = gk_monotonic_ns();
        gk_printf("bench: mode=hypercall n=%ld total_ns=%lu version=0x%lx\n",
                  n, t1 - t0, ver);
    }
    return ver > 0 ? 0 : 1;
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
                  "checksum=0x%016lx\n", rounds, t1 - t0, sum);
    }
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
    if (!strcmp(mode, "compute"))
        return run_compute();
    if (!strcmp(mode, "idle"))
        return run_idle();
    /* mode=first (the default): the first console line, then power off. */
    gk_printf("bench: first line\n");
    return 0;
}
