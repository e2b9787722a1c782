// SPDX-License-Identifier: MIT
/* hv_vcpu.c: the vCPU thread: KVM_RUN loop, exits, kicks, block, upcalls. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"
#include "hv_trap.h"

void hv_vcpu_kick(struct hv_vcpu *v)
{
    if (!v)
        return;
    /* Dekker pair with the vCPU thread: it publishes in_guest before it
     * checks kicked; we publish kicked before we check in_guest. One of us
     * sees the other, and a signal that arrives before KVM_RUN stays
     * pending (blocked outside KVM_RUN) and makes KVM_RUN return EINTR. */
    atomic_store(&v->kicked, 1);
    if (atomic_load(&v->in_guest) && v->thread_started)
        pthread_kill(v->thread, HV_SIG_KICK);
}

void hv_vcpu_wake_locked(struct hv_vcpu *v)
{
    (void)v;
    pthread_cond_broadcast(&v->d->cond);
}

int hv_vcpu_regs(struct hv_vcpu *v)
{
    if (v->regs_valid || v->regs_dirty)
        return 0;
    if (ioctl(v->fd, KVM_GET_REGS, &v->regs) < 0)
        return -errno;
    v->regs_valid = true;
    return 0;
}

static struct vcpu_info *vinfo(struct hv_vcpu *v)
{
    struct shared_info *sh =
        (struct shared_info *)(v->d->mem + v->d->shared_info_gpa);
    return &sh->vcpu_info[v->id];
}

bool hv_vcpu_upcall_pending(struct hv_vcpu *v)
{
    struct vcpu_info *vi = vinfo(v);
    return __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE);
}

/* Xen's bounce frame: see docs/architecture.md "Transport and events". */
static int deliver_upcall(struct hv_vcpu *v)
{
    struct vcpu_info *vi = vinfo(v);
    uint64_t frame[7];
    uint64_t rsp;
    int rc;

    if (!v->event_callback || !hv_vcpu_upcall_pending(v))
        return 0;
    rc = hv_vcpu_regs(v);
    if (rc)
        return rc;
    if (hv_kvm_in_syscall_stub(v))
        return 0; /* one `out` from the syscall's exit: deliver after it */
    rsp = v->regs.rsp & ~15ULL;
    frame[0] = v->regs.rcx;
    frame[1] = v->regs.r11;
    frame[2] = v->regs.rip;
    frame[3] = HV_SEL_CS64; /* saved upcall mask (0) in bits 32..39 */
    frame[4] = v->regs.rflags;
    frame[5] = v->regs.rsp;
    frame[6] = HV_SEL_DS;
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
        if (__atomic_load_n(&vinfo(v)->evtchn_upcall_pending,
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

static void handle_io(struct hv_vcpu *v)
{
    struct kvm_run *r = v->run;
    uint32_t val = 0;
    char msg[160];

    if (r->io.direction == KVM_EXIT_IO_OUT && r->io.size == 4 &&
        r->io.count == 1) {
        memcpy(&val, (uint8_t *)r + r->io.data_offset, 4);
        switch (r->io.port) {
        case PV_PORT_HYPERCALL:
            hv_hypercall(v, val);
            return;
        case PV_PORT_TRAP:
            hv_trap_port(v, val);
            return;
        case PV_PORT_NOTIFY:
            hv_notify_slow(v, val);
            return;
        case PV_PORT_SYSCALL:
            hv_kvm_syscall_hypercall(v, val);
            return;
        }
    }
    snprintf(msg, sizeof(msg), "%s of size %u to I/O port 0x%x",
             r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", r->io.size,
             r->io.port);
    crash_exit(v, msg);
}

static void handle_exit(struct hv_vcpu *v)
{
    struct kvm_run *r = v->run;
    char msg[200];

    switch (r->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(v);
        break;
    case KVM_EXIT_SHUTDOWN:
        crash_exit(v, "triple fault (an exception could not be delivered: "
                      "bad stack, IDT or page tables)");
        break;
    case KVM_EXIT_MMIO:
        if (r->mmio.phys_addr >= HV_PRIV_GPA &&
            r->mmio.phys_addr < HV_PRIV_GPA + v->d->priv_size)
            snprintf(msg, sizeof(msg),
                     "%s of guest-physical 0x%llx: "
                     "pvisor's private area (GDT/IDT/TSS) is read-only",
                     r->mmio.is_write ? "write" : "read",
                     (unsigned long long)r->mmio.phys_addr);
        else
            snprintf(msg, sizeof(msg),
                     "%s of guest-physical 0x%llx outside "
                     "guest RAM (%llu KiB)",
                     r->mmio.is_write ? "write" : "read",
                     (unsigned long long)r->mmio.phys_addr,
                     (unsigned long long)(v->d->mem_size >> 10));
        crash_exit(v, msg);
        break;
    case KVM_EXIT_HLT:
        crash_exit(v, "hlt reached the host (CPL0 code?)");
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(
            msg, sizeof(msg),
            "VM entry failed (hardware reason "
            "0x%llx)",
            (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        crash_exit(v, msg);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(msg, sizeof(msg), "KVM internal error (suberror %u)",
                 r->internal.suberror);
        crash_exit(v, msg);
        break;
    default:
        snprintf(msg, sizeof(msg), "unexpected KVM exit reason %u",
                 r->exit_reason);
        crash_exit(v, msg);
        break;
    }
}

static void drain_kicks(void)
{
    static const struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, HV_SIG_KICK);
    while (sigtimedwait(&set, NULL, &zero) == HV_SIG_KICK)
        ;
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
        if (v->regs_dirty && hv_kvm_sync_regs) {
            v->run->s.regs.regs = v->regs;
            v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
            v->regs_dirty = false;
        } else if (v->regs_dirty) {
            if (ioctl(v->fd, KVM_SET_REGS, &v->regs) < 0) {
                crash_exit(v, "KVM_SET_REGS failed");
                continue;
            }
            v->regs_dirty = false;
        }

        /* Never run on an L4 whose slot 255 (GDT, IDT, TSS) the guest
         * replaced: its page tables are writable to it. */
        if (!hv_mmu_priv_slot_ok(v)) {
            crash_exit(v, "the guest changed L4 slot 255 of its page table "
                          "(pvisor's GDT, IDT and TSS; mmu_update refuses it, "
                          "a direct write is caught here)");
            continue;
        }
        atomic_store(&v->in_guest, 1);
        if (atomic_exchange(&v->kicked, 0)) {
            atomic_store(&v->in_guest, 0);
            continue;
        }
        int rc = ioctl(v->fd, KVM_RUN, 0);
        int e = errno;
        atomic_store(&v->in_guest, 0);
        if (hv_kvm_sync_regs && (v->run->kvm_dirty_regs & KVM_SYNC_X86_REGS)) {
            /* KVM returned before consuming our registers: keep them. */
            v->regs_dirty = true;
        } else if (hv_kvm_sync_regs) {
            v->regs = v->run->s.regs.regs;
            v->regs_valid = true;
        } else {
            v->regs_valid = false;
        }
        atomic_fetch_add_explicit(&v->st_exits, 1, memory_order_relaxed);
        if (rc < 0) {
            if (e == EINTR || e == EAGAIN) {
                /* The kick stays pending once KVM_RUN restores our mask;
                 * drain it, or every later KVM_RUN returns EINTR at once. */
                drain_kicks();
                atomic_store(&v->kicked, 0);
                continue;
            }
            crash_exit(v,
                       e == EFAULT ? "KVM_RUN: bad address" : "KVM_RUN failed");
            continue;
        }
        handle_exit(v);
    }
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
        /* Keep kicking: the thread may re-enter KVM_RUN before it sees
         * stop_threads if it raced with our first signal. */
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
