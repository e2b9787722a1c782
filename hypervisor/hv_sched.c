// SPDX-License-Identifier: MIT
/* hv_sched.c: sched_op, set_timer_op and vcpu_op (bring-up and timers). */
#include <sched.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"
#include "hv_trap.h"

static long sched_poll(struct hv_vcpu *v, uint64_t arg)
{
    struct hv_domain *d = v->d;
    struct sched_poll p;
    uint32_t ports[128];
    int rc;

    rc = hv_copy_from_guest(v, &p, arg, sizeof(p));
    if (rc)
        return rc;
    if (p.nr_ports > 128)
        return -XEN_EINVAL;
    rc = hv_copy_from_guest(v, ports, p.ports, p.nr_ports * sizeof(ports[0]));
    if (rc)
        return rc;
    for (unsigned i = 0; i < p.nr_ports; i++)
        if (ports[i] >= d->max_evtchn)
            return -XEN_EINVAL;
    pthread_mutex_lock(&d->lock);
    memcpy(v->poll_ports, ports, p.nr_ports * sizeof(ports[0]));
    v->poll_nr = p.nr_ports;
    v->poll_deadline = p.timeout;
    v->poll_active = true;
    v->blocked = true; /* the vCPU loop sleeps until satisfied */
    pthread_mutex_unlock(&d->lock);
    return 0;
}

long hv_do_sched_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3,
                    uint64_t a4, uint64_t a5)
{
    struct hv_domain *d = v->d;
    struct sched_shutdown sd;
    int rc;

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_block:
        /* Xen: unmask upcalls, then sleep unless something is pending. */
        __atomic_store_n(&hv_vcpu_info(v)->evtchn_upcall_mask, 0,
                         __ATOMIC_RELEASE);
        pthread_mutex_lock(&d->lock);
        v->blocked = true;
        v->poll_active = false;
        pthread_mutex_unlock(&d->lock);
        return 0;
    case SCHEDOP_shutdown:
    case SCHEDOP_shutdown_code:
        rc = hv_copy_from_guest(v, &sd, arg, sizeof(sd));
        if (rc)
            return rc;
        {
            unsigned reason = sd.reason & 0xff;
            unsigned code = (sd.reason >> PV_SHUTDOWN_CODE_SHIFT) & 0xff;
            if (reason > SHUTDOWN_MAX ||
                (sd.reason >> (PV_SHUTDOWN_CODE_SHIFT + 8)) != 0)
                return -XEN_EINVAL;
            pthread_mutex_lock(&d->lock);
            if (reason == SHUTDOWN_suspend)
                d->suspend_vcpu = v->id;
            if (code || !d->shutdown_code_set) {
                d->pending_shutdown_code = code;
                d->shutdown_code_set = code != 0;
            }
            pthread_mutex_unlock(&d->lock);
            if (cmd == SCHEDOP_shutdown)
                hv_domain_shutdown(d, reason);
        }
        return 0;
    case SCHEDOP_poll:
        return sched_poll(v, arg);
    case SCHEDOP_remote_shutdown:
    case SCHEDOP_pin_override:
        return -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}

long hv_do_set_timer_op(struct hv_vcpu *v, uint64_t timeout, uint64_t a2,
                        uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct hv_domain *d = v->d;

    pthread_mutex_lock(&d->lock);
    v->singleshot_deadline = timeout;
    if (timeout && timeout <= hv_system_time(d)) {
        v->singleshot_deadline = 0;
        hv_evtchn_send_virq_locked(v, VIRQ_TIMER);
    }
    hv_timer_rearm(v);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

/* Give vCPU t the register state from a vcpu_guest_context. */
static long vcpu_initialise(struct hv_vcpu *v, struct hv_vcpu *t, uint64_t arg)
{
    struct hv_domain *d = v->d;
    static __thread struct vcpu_guest_context ctx;
    uint64_t cr3;
    int rc;

    rc = hv_copy_from_guest(v, &ctx, arg, sizeof(ctx));
    if (rc)
        return rc;
    pthread_mutex_lock(&d->lock);
    bool busy = t->initialised;
    pthread_mutex_unlock(&d->lock);
    if (busy)
        return -XEN_EEXIST;
    cr3 = xen_pfn_to_cr3(xen_cr3_to_pfn(ctx.ctrlreg[3]));
    if (!hv_gpa_range_ok(d->mem_size, cr3, HV_PAGE_SIZE) ||
        !hv_guest_va_ok(ctx.user_regs.rip) ||
        !hv_guest_va_ok(ctx.user_regs.rsp) ||
        (ctx.event_callback_eip && !hv_guest_va_ok(ctx.event_callback_eip)) ||
        !hv_guest_va_ok(ctx.fs_base) || !hv_guest_va_ok(ctx.gs_base_kernel))
        return -XEN_EINVAL;
    hv_trap_reset_vcpu(t);
    for (unsigned i = 0; i < 256; i++) {
        const struct trap_info *ti = &ctx.trap_ctxt[i];
        if (ti->address &&
            hv_trap_set(t, ti->vector, ti->flags, ti->cs, ti->address))
            return -XEN_EINVAL;
    }
    t->event_callback = ctx.event_callback_eip;
    t->failsafe_callback = ctx.failsafe_callback_eip;
    t->fs_base = ctx.fs_base;
    t->gs_base_kernel = ctx.gs_base_kernel;
    t->gs_base_user = ctx.gs_base_user;
    if (d->plat->install_l4_slot(d, cr3))
        return -XEN_EINVAL;
    if (d->plat->vcpu_reset(t, cr3, ctx.user_regs.rip, ctx.user_regs.rsp,
                            ctx.user_regs.rsi))
        return -XEN_EINVAL;
    t->regs.rax = ctx.user_regs.rax;
    t->regs.rbx = ctx.user_regs.rbx;
    t->regs.rcx = ctx.user_regs.rcx;
    t->regs.rdx = ctx.user_regs.rdx;
    t->regs.rdi = ctx.user_regs.rdi;
    t->regs.rbp = ctx.user_regs.rbp;
    t->regs.r8 = ctx.user_regs.r8;
    t->regs.r9 = ctx.user_regs.r9;
    t->regs.r10 = ctx.user_regs.r10;
    t->regs.r11 = ctx.user_regs.r11;
    t->regs.r12 = ctx.user_regs.r12;
    t->regs.r13 = ctx.user_regs.r13;
    t->regs.r14 = ctx.user_regs.r14;
    t->regs.r15 = ctx.user_regs.r15;
    t->regs_valid = true;
    hv_time_update_vcpu(t);
    pthread_mutex_lock(&d->lock);
    t->initialised = true;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

long hv_do_vcpu_op(struct hv_vcpu *v, uint64_t cmd, uint64_t vcpuid,
                   uint64_t arg, uint64_t a4, uint64_t a5)
{
    struct hv_domain *d = v->d;
    struct hv_vcpu *t;
    long rc = 0;

    if (vcpuid >= d->nr_vcpus)
        return -XEN_ENOENT;
    t = d->vcpus[vcpuid];

    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(v, t, arg);
    case VCPUOP_up:
        pthread_mutex_lock(&d->lock);
        if (!t->initialised)
            rc = -XEN_EINVAL;
        else if (!t->online) {
            t->online = true;
            hv_vcpu_wake_locked(t);
        }
        pthread_mutex_unlock(&d->lock);
        return rc;
    case VCPUOP_down:
        pthread_mutex_lock(&d->lock);
        t->online = false;
        pthread_mutex_unlock(&d->lock);
        hv_vcpu_kick(t);
        return 0;
    case VCPUOP_is_up:
        return t->online ? 1 : 0;
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        rc = hv_copy_from_guest(v, &p, arg, sizeof(p));
        if (rc)
            return rc;
        if (p.period_ns < 1000000ULL)
            return -XEN_EINVAL;
        pthread_mutex_lock(&d->lock);
        t->periodic_period = p.period_ns;
        t->periodic_next = hv_system_time(d) + p.period_ns;
        hv_timer_rearm(t);
        pthread_mutex_unlock(&d->lock);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        pthread_mutex_lock(&d->lock);
        t->periodic_period = 0;
        hv_timer_rearm(t);
        pthread_mutex_unlock(&d->lock);
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer s;
        if (t != v)
            return -XEN_EINVAL;
        rc = hv_copy_from_guest(v, &s, arg, sizeof(s));
        if (rc)
            return rc;
        pthread_mutex_lock(&d->lock);
        uint64_t now = hv_system_time(d);
        if ((s.flags & VCPU_SSHOTTMR_future) && s.timeout_abs_ns < now) {
            rc = -XEN_ETIME;
        } else if (s.timeout_abs_ns <= now) {
            t->singleshot_deadline = 0;
            hv_evtchn_send_virq_locked(t, VIRQ_TIMER);
        } else {
            t->singleshot_deadline = s.timeout_abs_ns;
        }
        hv_timer_rearm(t);
        pthread_mutex_unlock(&d->lock);
        return rc;
    }
    case VCPUOP_stop_singleshot_timer:
        if (t != v)
            return -XEN_EINVAL;
        pthread_mutex_lock(&d->lock);
        t->singleshot_deadline = 0;
        hv_timer_rearm(t);
        pthread_mutex_unlock(&d->lock);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
