/* SPDX-License-Identifier: MIT */
/* ticker.c: VIRQ_TIMER every 100 ms for about a second, printing uptime. */
#include <guestkit/guestkit.h>

#define PERIOD_NS (100 * GK_NSEC_PER_MSEC)
#define NR_TICKS  10

struct ticker {
    volatile uint64_t ticks;
    uint64_t start;
    int periodic; /* periodic timer, else one-shot re-armed */
    struct gk_thread *waiter;
};

/* Runs in the upcall for every VIRQ_TIMER event on vCPU 0. */
static void on_tick(evtchn_port_t port, void *data)
{
    struct ticker *tk = data;

    (void)port;
    tk->ticks++;
    if (!tk->periodic && tk->ticks < NR_TICKS)
        gk_set_timer(tk->start + (tk->ticks + 1) * PERIOD_NS);
    gk_thread_wake(tk->waiter);
}

int main(void)
{
    static struct ticker tk;
    uint64_t seen = 0, elapsed;
    int rc;

    tk.waiter = gk_current();
    tk.start = gk_monotonic_ns();
    /* The scheduler bound VIRQ_TIMER at boot; take its events. */
    gk_evtchn_set_handler((evtchn_port_t)gk_timer_port(), on_tick, &tk);
    rc = gk_set_periodic_timer(PERIOD_NS);
    tk.periodic = rc == 0;
    if (!tk.periodic) {
        gk_printf("ticker: periodic timer unavailable (%d), using one-shot\n",
                  rc);
        gk_set_timer(tk.start + PERIOD_NS);
    }
    gk_printf("ticker: VIRQ_TIMER on port %d, %s timer every 100 ms\n",
              gk_timer_port(), tk.periodic ? "periodic" : "one-shot");

    while (seen < NR_TICKS) {
        uint64_t now;

        gk_thread_block(); /* woken by on_tick */
        if (tk.ticks == seen)
            continue;
        seen = tk.ticks;
        now = gk_monotonic_ns() - tk.start;
        gk_printf("ticker: tick %lu, uptime %lu.%03lu s\n", seen,
                  now / GK_NSEC_PER_SEC,
                  (now % GK_NSEC_PER_SEC) / GK_NSEC_PER_MSEC);
    }
    if (tk.periodic)
        gk_set_periodic_timer(0);
    elapsed = (gk_monotonic_ns() - tk.start) / GK_NSEC_PER_MSEC;
    gk_printf("ticker: %lu ticks in %lu ms, %lu events dispatched\n", seen,
              elapsed, gk_evtchn_count());
    if (elapsed < (NR_TICKS - 1) * 100) {
        gk_printf("ticker: FAILED: ticks came too fast\n");
        return 1;
    }
    gk_printf("ticker: done\n");
    return 0;
}
