/* SPDX-License-Identifier: MIT */
/* clock.c: prints its pvclock time at a steady pace, for the host to time. */
#include <guestkit/guestkit.h>

/*
 * `n` lines "clock: N <ns>" (default 81), `ms` apart (default 50), each
 * with gk_monotonic_ns() read just before it is written, then "clock:
 * done". The host timestamps the lines as they arrive and compares the
 * two clocks over the whole run.
 */
int main(void)
{
    long n = gk_cmdline_int("n", 81), ms = gk_cmdline_int("ms", 50);
    uint64_t start = gk_monotonic_ns();

    for (long i = 0; i < n; i++) {
        gk_sleep_until(start + (uint64_t)(i * ms) * GK_NSEC_PER_MSEC);
        gk_printf("clock: %ld %lu\n", i, (unsigned long)gk_monotonic_ns());
    }
    gk_printf("clock: done\n");
    return 0;
}
