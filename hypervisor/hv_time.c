// SPDX-License-Identifier: MIT
/* hv_time.c: pvclock (vcpu_time_info), wallclock, and vCPU timers. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/xen.h>

#include "hv.h"

int hv_epoll_fd = -1;

uint64_t hv_tsc_khz;

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t hv_tsc_khz_measure(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = rdtsc();
    usleep(50000);
    uint64_t t1 = rdtsc();
    clock_gettime(CLOCK_MONOTONIC, &b);
    uint64_t ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL +
                  (uint64_t)(b.tv_nsec - a.tv_nsec);
    return ns ? (t1 - t0) * 1000000ULL / ns : 1000000;
}

uint64_t hv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t hv_system_time(struct hv_domain *d)
{
    return hv_now_ns() - d->boot_mono_ns;
}

void hv_time_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
    /* Find shift so that the scaled tick rate lies in (1e9, 2e9], then
     * mul = 2^32 * 1e9 / rate fits in 32 bits. */
    uint64_t rate = tsc_hz;
    int s = 0;

    if (!rate)
        rate = 1000000000ULL;
    while (rate > 2000000000ULL) {
        rate >>= 1;
        s--;
    }
    while (rate <= 1000000000ULL) {
        rate <<= 1;
        s++;
    }
    *mul = (uint32_t)((1000000000ULL << 32) / rate);
    *shift = (int8_t)s;
}

static bool have_shared(struct hv_domain *d)
{
    return d->mem && d->shared_info_gpa;
}

void hv_time_init_domain(struct hv_domain *d)
{
    hv_time_restore_domain(d, 0);
}

void hv_time_restore_domain(struct hv_domain *d, uint64_t sys_ns)
{
    struct timespec rt;
    uint64_t now;

    d->boot_mono_ns = hv_now_ns() - sys_ns;
    if (!have_shared(d))
        return;
    clock_gettime(CLOCK_REALTIME, &rt);
    now = hv_system_time(d);
    /* Wallclock at system time 0. */
    uint64_t wall =
        (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec - now;
    struct shared_info *sh = hv_shared_info(d);
    d->wc_version = __atomic_load_n(&sh->wc_version, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&sh->wc_version, d->wc_version, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sh->wc_sec = (uint32_t)(wall / 1000000000ULL);
    sh->wc_sec_hi = (uint32_t)((wall / 1000000000ULL) >> 32);
    sh->wc_nsec = (uint32_t)(wall % 1000000000ULL);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    d->wc_version++;
    __atomic_store_n(&sh->wc_version, d->wc_version, __ATOMIC_RELEASE);
}

void hv_time_update_vcpu(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    struct vcpu_time_info *t;
    uint32_t mul;
    int8_t shift;
    uint64_t tsc, sys;

    v->last_timer_update = hv_now_ns();
    if (!have_shared(d))
        return;
    tsc = d->plat->guest_tsc(v);
    sys = hv_system_time(d);
    hv_time_scale(hv_tsc_khz * 1000, &mul, &shift);
    t = &hv_shared_info(d)->vcpu_info[v->id].time;
    v->time_version = (__atomic_load_n(&t->version, __ATOMIC_RELAXED) + 1) | 1;
    __atomic_store_n(&t->version, v->time_version, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = tsc;
    t->system_time = sys;
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t->version, v->time_version + 1, __ATOMIC_RELEASE);
    v->tsc_anchor = tsc;
    v->sys_anchor = sys;
}

int hv_timer_init(struct hv_vcpu *v)
{
    struct epoll_event ev = { 0 };

    v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (v->timer_fd < 0)
        return -errno;
    ev.events = EPOLLIN;
    ev.data.u64 = HV_EPOLL_TIMER | ((uint64_t)v->d->domid << 8) | v->id;
    if (hv_epoll_fd >= 0 &&
        epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, v->timer_fd, &ev) < 0)
        return -errno;
    return 0;
}

void hv_timer_rearm(struct hv_vcpu *v)
{
    struct itimerspec its;
    uint64_t next = v->singleshot_deadline;

    if (v->periodic_period && (!next || v->periodic_next < next))
        next = v->periodic_next;
    memset(&its, 0, sizeof(its));
    if (next) {
        uint64_t abs = v->d->boot_mono_ns + next;
        if (abs == 0)
            abs = 1;
        its.it_value.tv_sec = (time_t)(abs / 1000000000ULL);
        its.it_value.tv_nsec = (long)(abs % 1000000000ULL);
    }
    if (v->timer_fd >= 0)
        timerfd_settime(v->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void hv_timer_fire(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    uint64_t cnt, now;
    ssize_t n = read(v->timer_fd, &cnt, sizeof(cnt));
    (void)n;

    pthread_mutex_lock(&d->lock);
    now = hv_system_time(d);
    bool fire = false;
    if (v->singleshot_deadline && now >= v->singleshot_deadline) {
        v->singleshot_deadline = 0;
        fire = true;
    }
    if (v->periodic_period && now >= v->periodic_next) {
        while (v->periodic_next <= now)
            v->periodic_next += v->periodic_period;
        fire = true;
    }
    if (fire && d->built && d->state == HV_DOM_RUNNING)
        hv_evtchn_send_virq_locked(v, 0 /* VIRQ_TIMER */);
    hv_timer_rearm(v);
    pthread_mutex_unlock(&d->lock);
}
