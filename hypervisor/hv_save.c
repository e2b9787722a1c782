// SPDX-License-Identifier: MIT
/* hv_save.c: save, resume and restore a suspended domain's state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/save.h>
#include <pvabi/sched.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_save.h"
#include "hv_trap.h"

_Static_assert(sizeof(struct pv_state_regs) == sizeof(struct hv_regs),
               "pv_state_regs mirrors hv_regs");
_Static_assert(PV_STATE_VIRQS == HV_NR_VIRQS, "virqs");
_Static_assert(PV_STATE_GNT_MAX == HV_GNT_MAX_FRAMES, "grant frames");

bool hv_save_suspended(struct hv_domain *d)
{
    bool s;

    pthread_mutex_lock(&d->lock);
    s = d->built && !d->dying && d->state == HV_DOM_SHUTDOWN &&
        d->shutdown_reason == SHUTDOWN_suspend;
    pthread_mutex_unlock(&d->lock);
    return s;
}

static bool in_slot255(uint64_t va)
{
    return va < (1ULL << 47) && (va >> 39) == 255;
}

/*
 * If r (of vCPU v) stands inside the hypercall page, finish the stub as
 * the CPU would: what follows the transport instruction in every stub
 * pvisor writes is some of `pop %r11`, `pop %rcx` and `ret`. Anything
 * else is an error (the guest wrote its hypercall page).
 */
static int unwind_stub(struct hv_vcpu *v, struct hv_regs *r, char *err,
                       size_t errlen)
{
    struct hv_domain *d = v->d;
    struct hv_aspace as = { d->mem, d->mem_size, v->cr3 };
    uint64_t gpa;

    if (d->hypercall_page_gpa == PV_NO_HYPERCALL_PAGE)
        return 0;
    if (hv_gva_to_gpa(&as, r->rip, 0, &gpa) ||
        (gpa & ~(HV_PAGE_SIZE - 1)) != d->hypercall_page_gpa)
        return 0;
    for (int step = 0; step < 4; step++) {
        uint8_t b[2];
        uint64_t val;
        uint64_t off = r->rip & (HV_PAGE_SIZE - 1);

        memcpy(b, d->mem + d->hypercall_page_gpa + off,
               off + 1 < HV_PAGE_SIZE ? 2 : 1);
        if (b[0] != 0xc3 && b[0] != 0x59 && !(b[0] == 0x41 && b[1] == 0x5b))
            break;
        if (hv_aspace_read(&as, &val, r->rsp, sizeof(val))) {
            snprintf(err, errlen,
                     "vCPU %u: stack 0x%llx unreadable while leaving the "
                     "hypercall page",
                     v->id, (unsigned long long)r->rsp);
            return -EFAULT;
        }
        r->rsp += 8;
        if (b[0] == 0xc3) {
            r->rip = val;
            return 0;
        }
        if (b[0] == 0x59) {
            r->rcx = val;
            r->rip += 1;
        } else {
            r->r11 = val;
            r->rip += 2;
        }
    }
    snprintf(err, errlen,
             "vCPU %u stopped at 0x%llx inside the hypercall page, not "
             "after a stub's transport instruction",
             v->id, (unsigned long long)r->rip);
    return -EINVAL;
}

int hv_save_state(struct hv_domain *d, uint8_t **out, size_t *len, char *err,
                  size_t errlen)
{
    size_t nprivgnt = 0, sz;
    struct pv_state_dom *sd;
    uint8_t *buf, *p;
    int rc;

    if (!hv_save_suspended(d)) {
        snprintf(err, errlen, "domain %u is not suspended", d->domid);
        return -EBUSY;
    }
    /* Each thread leaves v->regs holding its vCPU's registers. */
    hv_vcpu_stop_all(d);
    for (unsigned f = 0; f < d->gnt_frames; f++)
        nprivgnt += d->gnt_frame_gpa[f] == 0;
    sz = sizeof(*sd) + d->nr_vcpus * sizeof(struct pv_state_vcpu) +
         d->max_evtchn * sizeof(struct pv_state_evtchn) +
         nprivgnt * HV_PAGE_SIZE;
    buf = calloc(1, sz);
    if (!buf) {
        snprintf(err, errlen, "out of memory for %zu bytes of state", sz);
        return -ENOMEM;
    }
    sd = (struct pv_state_dom *)buf;
    pthread_mutex_lock(&d->lock);
    sd->magic = PV_STATE_MAGIC;
    sd->version = PV_STATE_VERSION;
    sd->nr_vcpus = d->nr_vcpus;
    sd->max_evtchn = d->max_evtchn;
    sd->mem_size = d->mem_size;
    sd->hypercall_page_gpa = d->hypercall_page_gpa;
    sd->shared_info_gpa = d->shared_info_gpa;
    sd->start_info_gpa = d->start_info_gpa;
    sd->system_time_ns = hv_system_time(d);
    sd->gnt_frames = d->gnt_frames;
    memcpy(sd->gnt_frame_gpa, d->gnt_frame_gpa, sizeof(sd->gnt_frame_gpa));
    p = buf + sizeof(*sd);
    rc = 0;
    for (unsigned i = 0; i < d->nr_vcpus && !rc; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        struct pv_state_vcpu *sv = (struct pv_state_vcpu *)p;
        struct hv_regs r = v->regs;

        p += sizeof(*sv);
        sv->id = i;
        sv->online = v->online;
        sv->initialised = v->initialised;
        sv->blocked = v->blocked && !v->poll_active;
        if (v->initialised) {
            rc = unwind_stub(v, &r, err, errlen);
            if (!rc && in_slot255(r.rip)) {
                snprintf(err, errlen,
                         "vCPU %u stopped inside pvisor's stub at 0x%llx", i,
                         (unsigned long long)r.rip);
                rc = -EAGAIN;
            }
        }
        memcpy(&sv->regs, &r, sizeof(r));
        sv->cr3 = v->cr3;
        sv->fs_base = v->fs_base;
        sv->gs_base_kernel = v->gs_base_kernel;
        sv->gs_base_user = v->gs_base_user;
        sv->event_callback = v->event_callback;
        sv->failsafe_callback = v->failsafe_callback;
        sv->singleshot_deadline = v->singleshot_deadline;
        sv->periodic_period = v->periodic_period;
        sv->periodic_next = v->periodic_next;
        memcpy(sv->virq_port, d->virq_port[i], sizeof(sv->virq_port));
        memcpy(sv->trap_handler, v->trap_handler, sizeof(sv->trap_handler));
        memcpy(sv->trap_dpl, v->trap_dpl, sizeof(sv->trap_dpl));
    }
    for (unsigned port = 0; port < d->max_evtchn; port++) {
        struct pv_state_evtchn *se = (struct pv_state_evtchn *)p;
        const struct hv_evtchn *c = &d->evtchn[port];

        p += sizeof(*se);
        se->state = c->state;
        se->notify_vcpu = c->notify_vcpu;
        se->virq = c->virq;
        se->remote_dom = c->remote_dom;
        se->remote_port = c->remote_port;
    }
    for (unsigned f = 0; f < d->gnt_frames; f++) {
        if (d->gnt_frame_gpa[f])
            continue;
        memcpy(p, d->priv + (HV_PRIV_GNT + f) * HV_PAGE_SIZE, HV_PAGE_SIZE);
        p += HV_PAGE_SIZE;
    }
    pthread_mutex_unlock(&d->lock);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = sz;
    log_info("d%u: state saved (%zu bytes)", d->domid, sz);
    return 0;
}

static int start_threads(struct hv_domain *d, char *err, size_t errlen)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        if (v->thread_started)
            continue;
        int rc = hv_vcpu_start(v);
        if (rc) {
            snprintf(err, errlen, "vCPU %u thread: %s", i, strerror(-rc));
            return rc;
        }
    }
    return 0;
}

int hv_save_resume(struct hv_domain *d, char *err, size_t errlen)
{
    if (!hv_save_suspended(d)) {
        snprintf(err, errlen, "domain %u is not suspended", d->domid);
        return -EBUSY;
    }
    hv_vcpu_stop_all(d);
    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        if (!v->initialised)
            continue;
        /* The registers each thread left are the truth: write them back
         * (a platform may have let the vCPU run elsewhere meanwhile). */
        if (i == d->suspend_vcpu)
            v->regs.rax = 1;
        v->regs_dirty = true;
    }
    d->state = HV_DOM_RUNNING;
    d->shutdown_code_set = false;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    int rc = start_threads(d, err, errlen);
    if (rc)
        return rc;
    log_info("d%u: resumed (suspend cancelled)", d->domid);
    if (hv_notify_mgmt)
        hv_notify_mgmt();
    return 0;
}

/* ---- restore ---- */

static bool page_in(struct hv_domain *d, uint64_t gpa)
{
    return !(gpa & (HV_PAGE_SIZE - 1)) &&
           hv_gpa_range_ok(d->mem_size, gpa, HV_PAGE_SIZE);
}

#define BAD(...)                            \
    do {                                    \
        snprintf(err, errlen, __VA_ARGS__); \
        return -EINVAL;                     \
    } while (0)

static int check_dom(struct hv_domain *d, const struct pv_state_dom *sd,
                     size_t len, size_t *privgnt, char *err, size_t errlen)
{
    size_t want;

    if (sd->magic != PV_STATE_MAGIC)
        BAD("state: magic 0x%08x, expected 0x%08x", sd->magic, PV_STATE_MAGIC);
    if (sd->version != PV_STATE_VERSION)
        BAD("state: version %u, this pvisor reads %u", sd->version,
            PV_STATE_VERSION);
    if (sd->nr_vcpus != d->nr_vcpus)
        BAD("state: nr_vcpus %u, the domain has %u", sd->nr_vcpus, d->nr_vcpus);
    if (sd->max_evtchn != d->max_evtchn)
        BAD("state: max_evtchn %u, the domain has %u", sd->max_evtchn,
            d->max_evtchn);
    if (sd->mem_size != d->mem_size)
        BAD("state: mem_size %llu, the domain has %llu",
            (unsigned long long)sd->mem_size, (unsigned long long)d->mem_size);
    if (sd->hypercall_page_gpa != PV_NO_HYPERCALL_PAGE &&
        !page_in(d, sd->hypercall_page_gpa))
        BAD("state: hypercall_page_gpa 0x%llx is not a page of guest RAM",
            (unsigned long long)sd->hypercall_page_gpa);
    if (!page_in(d, sd->shared_info_gpa))
        BAD("state: shared_info_gpa 0x%llx is not a page of guest RAM",
            (unsigned long long)sd->shared_info_gpa);
    if (!page_in(d, sd->start_info_gpa))
        BAD("state: start_info_gpa 0x%llx is not a page of guest RAM",
            (unsigned long long)sd->start_info_gpa);
    if (sd->hypercall_page_gpa == sd->shared_info_gpa)
        BAD("state: hypercall page and shared_info are the same page");
    if (sd->gnt_frames > PV_STATE_GNT_MAX)
        BAD("state: gnt_frames %u, at most %u", sd->gnt_frames,
            PV_STATE_GNT_MAX);
    if (sd->pad)
        BAD("state: pad is %u, not 0", sd->pad);
    *privgnt = 0;
    for (unsigned f = 0; f < PV_STATE_GNT_MAX; f++) {
        uint64_t g = sd->gnt_frame_gpa[f];
        if (f >= sd->gnt_frames && g)
            BAD("state: gnt_frame_gpa[%u] set beyond gnt_frames %u", f,
                sd->gnt_frames);
        if (g && !page_in(d, g))
            BAD("state: gnt_frame_gpa[%u] 0x%llx is not a page of guest RAM", f,
                (unsigned long long)g);
        if (f < sd->gnt_frames && !g)
            (*privgnt)++;
    }
    want = sizeof(*sd) + sd->nr_vcpus * sizeof(struct pv_state_vcpu) +
           sd->max_evtchn * sizeof(struct pv_state_evtchn) +
           *privgnt * HV_PAGE_SIZE;
    if (len != want)
        BAD("state: %zu bytes, its header describes %zu", len, want);
    return 0;
}

static int check_vcpu(struct hv_domain *d, unsigned i,
                      const struct pv_state_vcpu *sv, char *err, size_t errlen)
{
    if (sv->id != i)
        BAD("state: vCPU record %u has id %u", i, sv->id);
    if (sv->online > 1 || sv->initialised > 1 || sv->blocked > 1 || sv->pad)
        BAD("state: vCPU %u: flags online %u initialised %u blocked %u pad %u",
            i, sv->online, sv->initialised, sv->blocked, sv->pad);
    if (sv->online && !sv->initialised)
        BAD("state: vCPU %u online but not initialised", i);
    if (i == 0 && !sv->initialised)
        BAD("state: vCPU 0 not initialised");
    for (unsigned q = 0; q < PV_STATE_VIRQS; q++)
        if (sv->virq_port[q] >= d->max_evtchn)
            BAD("state: vCPU %u: virq %u on port %u of %u", i, q,
                sv->virq_port[q], d->max_evtchn);
    if (!sv->initialised)
        return 0;
    if (!page_in(d, sv->cr3))
        BAD("state: vCPU %u: cr3 0x%llx is not a page of guest RAM", i,
            (unsigned long long)sv->cr3);
    if (!hv_canonical(sv->regs.rip) || !hv_canonical(sv->regs.rsp) ||
        in_slot255(sv->regs.rip))
        BAD("state: vCPU %u: rip 0x%llx / rsp 0x%llx not a guest address", i,
            (unsigned long long)sv->regs.rip, (unsigned long long)sv->regs.rsp);
    if (!hv_guest_va_ok(sv->fs_base) || !hv_guest_va_ok(sv->gs_base_kernel) ||
        (sv->event_callback && !hv_guest_va_ok(sv->event_callback)))
        BAD("state: vCPU %u: fs/gs base or event callback outside the "
            "guest's addresses",
            i);
    return 0;
}

static int check_evtchn(struct hv_domain *d, unsigned port,
                        const struct pv_state_evtchn *se, char *err,
                        size_t errlen)
{
    if (se->state > HV_ECS_IPI || se->pad)
        BAD("state: event channel %u: state %u", port, se->state);
    if ((port == 0) != (se->state == HV_ECS_RESERVED))
        BAD("state: event channel %u: state %u (only port 0 is reserved)", port,
            se->state);
    if (se->notify_vcpu >= d->nr_vcpus)
        BAD("state: event channel %u: notify_vcpu %u of %u", port,
            se->notify_vcpu, d->nr_vcpus);
    if (se->state == HV_ECS_VIRQ && se->virq >= PV_STATE_VIRQS)
        BAD("state: event channel %u: virq %u", port, se->virq);
    if ((se->state == HV_ECS_UNBOUND || se->state == HV_ECS_INTERDOMAIN) &&
        se->remote_dom >= HV_MAX_DOMAINS)
        BAD("state: event channel %u: remote domain %u", port, se->remote_dom);
    return 0;
}

int hv_restore_state(struct hv_domain *d, const uint8_t *buf, size_t len,
                     char *err, size_t errlen)
{
    const struct pv_state_dom *sd = (const struct pv_state_dom *)buf;
    const struct pv_state_vcpu *sv;
    const struct pv_state_evtchn *se;
    const uint8_t *gp;
    size_t privgnt;
    int rc;

    if (d->built) {
        snprintf(err, errlen, "domain %u is already built", d->domid);
        return -EBUSY;
    }
    if (len < sizeof(*sd) || ((uintptr_t)buf & 7))
        BAD("state: %zu bytes, shorter than its header (%zu)", len,
            sizeof(*sd));
    rc = check_dom(d, sd, len, &privgnt, err, errlen);
    if (rc)
        return rc;
    sv = (const struct pv_state_vcpu *)(sd + 1);
    se = (const struct pv_state_evtchn *)(sv + sd->nr_vcpus);
    gp = (const uint8_t *)(se + sd->max_evtchn);
    for (unsigned i = 0; i < sd->nr_vcpus; i++)
        if ((rc = check_vcpu(d, i, &sv[i], err, errlen)) != 0)
            return rc;
    for (unsigned p = 0; p < sd->max_evtchn; p++)
        if ((rc = check_evtchn(d, p, &se[p], err, errlen)) != 0)
            return rc;

    d->hypercall_page_gpa = sd->hypercall_page_gpa;
    d->shared_info_gpa = sd->shared_info_gpa;
    d->start_info_gpa = sd->start_info_gpa;
    /* No boot snapshot (what it would hold is no boot): on_reboot =
     * restart preserves such a domain. */
    d->snap_taken = true;
    d->boot_cr3 = sv[0].cr3;
    if (d->hypercall_page_gpa != PV_NO_HYPERCALL_PAGE)
        d->plat->fill_hypercall_page(d->mem + d->hypercall_page_gpa);
    hv_time_restore_domain(d, sd->system_time_ns);
    for (unsigned i = 0; i < sd->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        const struct pv_state_vcpu *s = &sv[i];

        hv_trap_reset_vcpu(v);
        for (unsigned vec = 0; vec < 256; vec++) {
            if (!s->trap_handler[vec])
                continue;
            if (hv_trap_set(v, vec, s->trap_dpl[vec], 0, s->trap_handler[vec]))
                BAD("state: vCPU %u: trap %u handler 0x%llx", i, vec,
                    (unsigned long long)s->trap_handler[vec]);
        }
        v->event_callback = s->event_callback;
        v->failsafe_callback = s->failsafe_callback;
        v->fs_base = s->fs_base;
        v->gs_base_kernel = s->gs_base_kernel;
        v->gs_base_user = s->gs_base_user;
        if (s->initialised) {
            if (d->plat->install_l4_slot(d, s->cr3))
                BAD("state: vCPU %u: cr3 0x%llx cannot hold pvisor's slot", i,
                    (unsigned long long)s->cr3);
            rc = d->plat->vcpu_reset(v, s->cr3, s->regs.rip, s->regs.rsp,
                                     s->regs.rsi);
            if (rc)
                BAD("state: vCPU %u: registers refused by the %s platform "
                    "(%s)",
                    i, d->plat->name, strerror(-rc));
            memcpy(&v->regs, &s->regs, sizeof(v->regs));
            v->regs_dirty = true;
            v->regs_valid = true;
        }
        pthread_mutex_lock(&d->lock);
        v->online = s->online;
        v->initialised = s->initialised;
        v->blocked = s->blocked;
        v->poll_active = false;
        v->singleshot_deadline = s->singleshot_deadline;
        v->periodic_period = s->periodic_period;
        v->periodic_next = s->periodic_next;
        memcpy(d->virq_port[i], s->virq_port, sizeof(s->virq_port));
        hv_timer_rearm(v);
        pthread_mutex_unlock(&d->lock);
        hv_time_update_vcpu(v);
    }
    pthread_mutex_lock(&d->lock);
    for (unsigned p = 0; p < sd->max_evtchn; p++) {
        struct hv_evtchn *c = &d->evtchn[p];
        c->state = se[p].state;
        c->notify_vcpu = se[p].notify_vcpu;
        c->virq = se[p].virq;
        c->remote_dom = se[p].remote_dom;
        c->remote_port = se[p].remote_port;
        /* The peers are gone: a channel the toolstack or another domain
         * bound waits, unbound, for the same peer to bind it again. */
        if (c->state == HV_ECS_INTERDOMAIN) {
            c->state = HV_ECS_UNBOUND;
            c->remote_port = 0;
        }
        if (c->state == HV_ECS_UNBOUND)
            c->remote_port = 0;
    }
    d->gnt_frames = sd->gnt_frames;
    memcpy(d->gnt_frame_gpa, sd->gnt_frame_gpa, sizeof(d->gnt_frame_gpa));
    for (unsigned f = 0; f < sd->gnt_frames; f++) {
        if (sd->gnt_frame_gpa[f])
            continue;
        memcpy(d->priv + (HV_PRIV_GNT + f) * HV_PAGE_SIZE, gp, HV_PAGE_SIZE);
        gp += HV_PAGE_SIZE;
    }
    d->built = true;
    pthread_mutex_unlock(&d->lock);
    log_info("d%u: restored (%u vCPUs, system time %llu ms)", d->domid,
             sd->nr_vcpus, (unsigned long long)(sd->system_time_ns / 1000000));
    return 0;
}
