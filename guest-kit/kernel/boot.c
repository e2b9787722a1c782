/* SPDX-License-Identifier: MIT */
/* boot.c: kernel start-up from start_info, main thread, shutdown. */
#include <guestkit/guestkit.h>

#include "internal.h"

struct start_info gk_start_info;
uint64_t gk_start_info_pfn;
struct shared_info *gk_shared_info;
uint64_t gk_first_free_pfn;
struct gk_cpu gk_cpus[PV_MAX_VCPUS];

void gk_percpu_init(struct gk_cpu *cpu, unsigned int id)
{
    long rc;

    cpu->self = cpu;
    cpu->id = id;
    cpu->vcpu_info = &gk_shared_info->vcpu_info[id];
    /* No upcall before the entry point and handlers exist. */
    cpu->vcpu_info->evtchn_upcall_mask = 1;
    rc = HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)cpu);
    if (rc < 0) {
        /* Without a GS base nothing per-vCPU works: say so and stop. */
        static const char msg[] =
            "guest-kit: set_segment_base(GS_KERNEL) failed, stopping\n";
        struct sched_shutdown s = { SHUTDOWN_crash };

        HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);
        for (;;)
            HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
    }
}

static void main_thread(void *arg)
{
    (void)arg;
    /* Neither waits for a peer; without them main() still runs. */
    gk_gnttab_init();
    gk_xenbus_init();
    gk_exit(main());
}

void gk_start(struct start_info *si)
{
    struct gk_thread *t;

    if ((uint64_t)_text != GK_VIRT_BASE)
        gk_crash(); /* guest.lds and pvisor.h disagree on the base */
    memcpy(&gk_start_info, si, sizeof(gk_start_info));
    gk_start_info_pfn = gk_virt_to_pfn(si);
    gk_start_info.cmd_line[MAX_GUEST_CMDLINE - 1] = 0;
    /* pvisor's builder maps all RAM, shared_info included, at the base. */
    gk_shared_info = gk_pfn_to_virt(si->shared_info >> GK_PAGE_SHIFT);
    gk_first_free_pfn = gk_virt_to_pfn((void *)si->pt_base) + si->nr_pt_frames;

    gk_percpu_init(&gk_cpus[0], 0);
    gk_traps_init_cpu();
    gk_events_init_cpu();
    /* From here on output goes to the console ring if there is one. */
    gk_consfront_init();
    /* Xen starts vCPUs with a periodic tick; guest-kit is tickless. */
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    gk_mm_init();
    gk_sched_init_cpu();
    gk_cpus[0].online = 1;

    t = gk_thread_create("main", main_thread, NULL);
    if (!t)
        gk_panic("cannot create the main thread");
    gk_sched_run();
}

static __attribute__((noreturn)) void shutdown(unsigned int reason)
{
    struct sched_shutdown s = { reason };

    /* Let the console backend take the last lines (100 ms at most). */
    gk_consfront_flush(100000000ull);
    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
        /* Not reached when pvisor honours the request; do not spin hot. */
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

void gk_exit(int code)
{
    /* pvisor extension: bits 8..15 of the reason carry the exit code.
     * Record it first, so a failure on the way down still reports it. */
    uint32_t reason = PV_SHUTDOWN_REASON(SHUTDOWN_poweroff, code);
    struct sched_shutdown s = { reason };

    HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &s);
    shutdown(reason);
}

void gk_poweroff(void)
{
    gk_exit(0);
}

void gk_reboot(void)
{
    shutdown(SHUTDOWN_reboot);
}

void gk_crash(void)
{
    shutdown(SHUTDOWN_crash);
}

void gk_panic(const char *fmt, ...)
{
    char buf[384];
    va_list ap;
    int n;

    gk_irq_disable();
    n = gk_snprintf(buf, sizeof(buf), "PANIC on vCPU %u (%s): ", gk_cpu_id(),
                    gk_this_cpu()->current
                        ? gk_thread_name(gk_this_cpu()->current)
                        : "boot");
    if (n < (int)sizeof(buf)) {
        va_start(ap, fmt);
        gk_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    gk_puts(buf);
    gk_crash();
}
