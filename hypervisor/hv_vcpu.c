// SPDX-License-Identifier: MIT
/* hv_vcpu.c: the vCPU thread: run loop, exits, kicks, block, upcalls. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"
#include "hv_obs.h"
#include "hv_trap.h"
#include "pvd_sandbox.h"

void hv_vcpu_kick(struct hv_vcpu *v)
{
    if (!v)
        return;
    /* Dekker pair with the vCPU thread: it publishes in_guest before it
     * checks kicked; we publish kicked before we check in_guest. One of us
     * sees the other; the platform's kick makes a vCPU that is about to
     * enter, or inside, the guest come back (KVM: a signal that stays
     * pending outside KVM_RUN; proc: a signal that stops the traced
     * guest thread). */
    atomic_store(&v->kicked, 1);
    if (atomic_load(&v->in_guest) && v->thread_started)
        v->d->plat->kick(v);
}

void hv_vcpu_wake_locked(struct hv_vcpu *v)
{
    (void)v;
    pthread_cond_broadcast(&v->d->cond);
}

int hv_vcpu_regs(struct hv_vcpu *v)
{
    int rc;

    if (v->regs_valid || v->regs_dirty)
        return 0;
    rc = v->d->plat->get_regs(v);
    if (rc)
        return rc;
    v->regs_valid = true;
    return 0;
}

bool hv_vcpu_upcall_pending(struct hv_vcpu *v)
{
    struct vcpu_info *vi = hv_vcpu_info(v);
    return __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE);
}

/* Xen's bounce frame: see docs/architecture.md "Transport and events". */
static int deliver_upcall(struct hv_vcpu *v)
{
    struct vcpu_info *vi = hv_vcpu_info(v);
    uint64_t frame[7];
    uint64_t rsp;
    int rc;

    if (!v->event_callback || !hv_vcpu_upcall_pending(v))
        return 0;
    rc = hv_vcpu_regs(v);
    if (rc)
        return rc;
    if (v->d->plat->in_transport_stub && v->d->plat->in_transport_stub(v))
        return 0; /* one exit away from its caller: deliver after it */
    rsp = v->regs.rsp & ~15ULL;
    frame[0] = v->regs.rcx;
    frame[1] = v->regs.r11;
    frame[2] = v->regs.rip;
    frame[3] = v->d->plat->user_cs; /* saved upcall mask (0), bits 32..39 */
    frame[4] = v->regs.rflags;
    frame[5] = v->regs.rsp;
    frame[6] = v->d->plat->user_ss;
    if (rsp < sizeof(frame) ||
        hv_copy_to_guest(v, rsp - sizeof(frame), frame, sizeof(frame))) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "cannot deliver an event upcall: guest "
                 "stack 0x%llx is not writable",
                 (unsigned long long)v->regs.rsp);
        hv_domain_crash(v->d, msg);
        return -EFAULT;
    }
    __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_RELEASE);
    v->regs.rsp = rsp - sizeof(frame);
    v->regs.rip = v->event_callback;
    v->regs_dirty = true;
    atomic_fetch_add_explicit(&v->st_upcalls, 1, memory_order_relaxed);
    return 0;
}

/* d->lock held. */
static bool poll_satisfied(struct hv_vcpu *v, uint64_t now_sys)
{
    if (v->poll_deadline && now_sys >= v->poll_deadline)
        return true;
    for (unsigned i = 0; i < v->poll_nr; i++)
        if (hv_evtchn_is_pending(v->d, v->poll_ports[i]))
            return true;
    return false;
}

static void timespec_after_ns(struct timespec *ts, uint64_t ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    uint64_t t = (uint64_t)ts->tv_nsec + ns % 1000000000ULL;
    ts->tv_sec += (time_t)(ns / 1000000000ULL + t / 1000000000ULL);
    ts->tv_nsec = (long)(t % 1000000000ULL);
}

/*
 * Wait (d->lock held) until the vCPU may enter the guest. Returns false if
 * the thread must exit.
 */
static bool wait_runnable(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;

    for (;;) {
        if (d->dying || d->stop_threads)
            return false;
        if (d->paused || d->state != HV_DOM_RUNNING || !v->online) {
            pthread_cond_wait(&d->cond, &d->lock);
            continue;
        }
        if (!v->blocked)
            return true;
        if (v->poll_active) {
            uint64_t now = hv_system_time(d);
            if (poll_satisfied(v, now) || hv_vcpu_upcall_pending(v)) {
                v->blocked = v->poll_active = false;
                return true;
            }
            if (v->poll_deadline) {
                struct timespec ts;
                timespec_after_ns(&ts, v->poll_deadline - now);
                pthread_cond_timedwait(&d->cond, &d->lock, &ts);
            } else {
                pthread_cond_wait(&d->cond, &d->lock);
            }
            continue;
        }
        if (__atomic_load_n(&hv_vcpu_info(v)->evtchn_upcall_pending,
                            __ATOMIC_ACQUIRE)) {
            v->blocked = false;
            return true;
        }
        pthread_cond_wait(&d->cond, &d->lock);
    }
}

static void crash_exit(struct hv_vcpu *v, const char *what)
{
    char report[2048];
    hv_trap_describe(v, what, report, sizeof(report));
    hv_domain_crash(v->d, report);
}

static void handle_io(struct hv_vcpu *v, const struct hv_exit *ex)
{
    char msg[160];

    switch (ex->port) {
    case PV_PORT_HYPERCALL:
        hv_hypercall(v, ex->val);
        return;
    case PV_PORT_TRAP:
        hv_trap_port(v, ex->val);
        return;
    case PV_PORT_NOTIFY:
        hv_notify_slow(v, ex->val);
        return;
    }
    snprintf(msg, sizeof(msg), "out of size 4 to I/O port 0x%x", ex->port);
    crash_exit(v, msg);
}

static void handle_exit(struct hv_vcpu *v, const struct hv_exit *ex)
{
    switch (ex->kind) {
    case HV_EXIT_NONE:
        /* A kick: whatever it was for happens before the next entry. */
        atomic_store(&v->kicked, 0);
        break;
    case HV_EXIT_IO:
        handle_io(v, ex);
        break;
    case HV_EXIT_HYPERCALL:
        hv_hypercall(v, ex->val);
        break;
    case HV_EXIT_EXCEPTION:
        hv_trap_exception(v, ex->vec, ex->err, ex->cr2);
        break;
    case HV_EXIT_CRASH:
        crash_exit(v, ex->msg);
        break;
    }
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *vcpu_thread(void *arg)
{
    struct hv_vcpu *v = arg;
    struct hv_domain *d = v->d;
    uint64_t cpu0 = thread_cpu_ns();
    char why[160];
    int prc;

    /* The vCPU role's narrower filter, before anything guest-driven. */
    prc = pvd_sandbox_narrow_thread(&pvd_sandbox_pvisor_vcpu, why, sizeof(why));
    if (prc) {
        char msg[200];
        snprintf(msg, sizeof(msg), "vCPU thread sandbox: %s", why);
        hv_domain_crash(d, msg);
        return NULL;
    }
    prc = d->plat->vcpu_thread_start(v);
    if (prc) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s platform: vCPU thread start: %s",
                 d->plat->name, strerror(-prc));
        hv_domain_crash(d, msg);
        return NULL;
    }
    hv_vcpu_place_self(v);
    for (;;) {
        pthread_mutex_lock(&d->lock);
        bool go = wait_runnable(v);
        pthread_mutex_unlock(&d->lock);
        if (!go)
            break;

        if (hv_now_ns() - v->last_timer_update > 1000000000ULL)
            hv_time_update_vcpu(v);
        if (atomic_exchange(&v->tlb_flush, 0))
            hv_vcpu_flush_tlb(v);
        if (deliver_upcall(v))
            continue;
        atomic_store(&v->in_guest, 1);
        if (atomic_exchange(&v->kicked, 0)) {
            atomic_store(&v->in_guest, 0);
            continue;
        }
        struct hv_exit ex;
        int rc = d->plat->vcpu_run(v, &ex);
        atomic_store(&v->in_guest, 0);
        atomic_fetch_add_explicit(&v->st_exits, 1, memory_order_relaxed);
        if (rc) {
            char msg[96];
            snprintf(msg, sizeof(msg), "%s platform: cannot run the vCPU (%s)",
                     d->plat->name, strerror(-rc));
            crash_exit(v, msg);
            continue;
        }
        handle_exit(v, &ex);
    }
    hv_vcpu_unplace_self(v);
    /* Leave v->regs true for whoever looks next (save, resume). */
    if (v->initialised && !d->dying && hv_vcpu_regs(v))
        log_warn("d%uv%u: cannot read registers as the thread stops", d->domid,
                 v->id);
    d->plat->vcpu_thread_stop(v);
    /* Keep the total across restarts; while running it is read live. */
    atomic_store_explicit(&v->st_cpu_ns,
                          atomic_load(&v->st_cpu_ns) + thread_cpu_ns() - cpu0,
                          memory_order_relaxed);
    return NULL;
}

uint64_t hv_vcpu_cpu_ns(struct hv_vcpu *v)
{
    uint64_t total = atomic_load(&v->st_cpu_ns);
    clockid_t cid;
    struct timespec ts;

    /* The thread's own CPU clock, read from here: no cost per exit. */
    if (v->thread_started && pthread_getcpuclockid(v->thread, &cid) == 0 &&
        clock_gettime(cid, &ts) == 0)
        total += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    /* Where guest code runs in a thread of its own (proc), add its time. */
    if (v->d->plat->guest_cpu_ns)
        total += v->d->plat->guest_cpu_ns(v);
    return total;
}

int hv_vcpu_start(struct hv_vcpu *v)
{
    int rc;

    atomic_store(&v->kicked, 0);
    atomic_store(&v->in_guest, 0);
    rc = pthread_create(&v->thread, NULL, vcpu_thread, v);
    if (rc)
        return -rc;
    v->thread_started = true;
    return 0;
}

void hv_vcpu_stop_all(struct hv_domain *d)
{
    pthread_mutex_lock(&d->lock);
    d->stop_threads = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        if (!v || !v->thread_started)
            continue;
        hv_vcpu_kick(v);
        /* Keep kicking: the thread may re-enter the guest before it sees
         * stop_threads if it raced with our first kick. */
        for (;;) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
                break;
            hv_vcpu_kick(v);
            pthread_mutex_lock(&d->lock);
            pthread_cond_broadcast(&d->cond);
            pthread_mutex_unlock(&d->lock);
        }
        v->thread_started = false;
    }
    pthread_mutex_lock(&d->lock);
    d->stop_threads = false;
    pthread_mutex_unlock(&d->lock);
}
