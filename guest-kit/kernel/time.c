/* SPDX-License-Identifier: MIT */
/* time.c: pvclock (vcpu_time_info), wall clock and vCPU timers. */
#include <guestkit/guestkit.h>

/* Scale a TSC delta to ns: shift, then 32.32 fixed-point multiply. */
static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/*
 * Read this vCPU's time record consistently: pvisor makes `version` odd
 * while it rewrites the record, so retry while it is odd or changed.
 */
static uint64_t pvclock_read(const volatile struct vcpu_time_info *t)
{
    uint32_t version, mul;
    uint64_t tsc_ts, sys, tsc;
    int8_t shift;

    do {
        version = t->version;
        gk_rmb();
        tsc_ts = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        tsc = gk_rdtsc();
        gk_rmb();
    } while ((version & 1) || version != t->version);

    /* A TSC read just before the record's timestamp counts as no time. */
    return sys + (tsc > tsc_ts ? scale_delta(tsc - tsc_ts, mul, shift) : 0);
}

uint64_t gk_monotonic_ns(void)
{
    /* Threads never migrate, so this vCPU's record is the one to read; a
     * handler that runs in between only delays the read. */
    return pvclock_read(&gk_this_vcpu_info()->time);
}

void gk_wallclock(uint64_t *sec, uint32_t *nsec)
{
    const volatile struct shared_info *s = gk_shared_info;
    uint32_t version, wsec_lo, wsec_hi, wnsec;
    uint64_t ns;

    do {
        version = s->wc_version;
        gk_rmb();
        wsec_lo = s->wc_sec;
        wsec_hi = s->wc_sec_hi;
        wnsec = s->wc_nsec;
        gk_rmb();
    } while ((version & 1) || version != s->wc_version);

    ns = gk_monotonic_ns() + wnsec;
    *sec = (((uint64_t)wsec_hi << 32) | wsec_lo) + ns / GK_NSEC_PER_SEC;
    *nsec = (uint32_t)(ns % GK_NSEC_PER_SEC);
}

int gk_set_timer(uint64_t deadline_ns)
{
    return (int)HYPERVISOR_set_timer_op(deadline_ns);
}

int gk_set_periodic_timer(uint64_t period_ns)
{
    struct vcpu_set_periodic_timer p = { period_ns };

    if (!period_ns)
        return (int)HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, gk_cpu_id(),
                                       NULL);
    return (int)HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, gk_cpu_id(), &p);
}

void gk_udelay_ns(uint64_t ns)
{
    uint64_t end = gk_monotonic_ns() + ns;

    while (gk_monotonic_ns() < end)
        gk_cpu_relax();
}
