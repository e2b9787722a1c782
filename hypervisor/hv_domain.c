// SPDX-License-Identifier: MIT
/* hv_domain.c: the domain table, life cycle, boot snapshot and console. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/xen.h>
#include <pvabi/sched.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_obs.h"
#include "hv_trap.h"

static pthread_mutex_t domains_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t domains_rw = PTHREAD_RWLOCK_INITIALIZER;

void hv_domains_rdlock(void)
{
    pthread_rwlock_rdlock(&domains_rw);
}

void hv_domains_unlock(void)
{
    pthread_rwlock_unlock(&domains_rw);
}
static struct hv_domain *domains[HV_MAX_DOMAINS];
static uint32_t next_domid = HV_DOMID_FIRST;
static unsigned nr_domains;
static void snapshot_take(struct hv_domain *d);
int hv_reap_fd = -1;
void (*hv_notify_mgmt)(void);
void (*hv_on_destroy)(struct hv_domain *d);
void (*hv_on_domid_reserved)(uint32_t domid);

int hv_domains_init(void)
{
    hv_reap_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return hv_reap_fd < 0 ? -errno : 0;
}

void hv_domain_request_reap(void)
{
    uint64_t one = 1;
    ssize_t n = write(hv_reap_fd, &one, sizeof(one));
    (void)n;
}

struct hv_domain *hv_domain_find(uint32_t domid)
{
    struct hv_domain *d = NULL;

    pthread_mutex_lock(&domains_lock);
    if (domid < HV_MAX_DOMAINS && domains[domid] && domains[domid]->listed)
        d = domains[domid];
    pthread_mutex_unlock(&domains_lock);
    return d;
}

/* Any domain with that name, complete or still being created. */
static bool name_taken(const char *name)
{
    bool taken = false;

    pthread_mutex_lock(&domains_lock);
    for (unsigned i = 0; i < HV_MAX_DOMAINS && !taken; i++)
        taken = domains[i] && strcmp(domains[i]->name, name) == 0;
    pthread_mutex_unlock(&domains_lock);
    return taken;
}

int hv_domain_insert(struct hv_domain *d)
{
    int rc = 0;

    if (d->domid == 0 || d->domid >= HV_MAX_DOMAINS)
        return -EINVAL;
    pthread_mutex_lock(&domains_lock);
    if (domains[d->domid]) {
        rc = -EEXIST;
    } else {
        d->listed = true;
        domains[d->domid] = d;
    }
    pthread_mutex_unlock(&domains_lock);
    return rc;
}

void hv_domain_remove(struct hv_domain *d)
{
    pthread_rwlock_wrlock(&domains_rw);
    pthread_mutex_lock(&domains_lock);
    if (d->domid < HV_MAX_DOMAINS && domains[d->domid] == d)
        domains[d->domid] = NULL;
    pthread_mutex_unlock(&domains_lock);
    pthread_rwlock_unlock(&domains_rw);
}

struct hv_domain *hv_domain_by_name(const char *name)
{
    struct hv_domain *d = NULL;

    pthread_mutex_lock(&domains_lock);
    for (unsigned i = 0; i < HV_MAX_DOMAINS && !d; i++)
        if (domains[i] && domains[i]->listed &&
            strcmp(domains[i]->name, name) == 0)
            d = domains[i];
    pthread_mutex_unlock(&domains_lock);
    return d;
}

struct hv_domain *hv_domain_next(uint32_t after)
{
    struct hv_domain *d = NULL;

    pthread_mutex_lock(&domains_lock);
    for (uint32_t i = after + 1; i < HV_MAX_DOMAINS && !d; i++)
        if (domains[i] && domains[i]->listed)
            d = domains[i];
    pthread_mutex_unlock(&domains_lock);
    return d;
}

unsigned hv_domain_count(void)
{
    return nr_domains;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 63 || strcmp(name, "Domain-0") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void domain_free(struct hv_domain *d)
{
    if (d->plat)
        d->plat->domain_destroy(d);
    hv_domain_mem_destroy(d);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        if (v->timer_fd >= 0)
            close(v->timer_fd);
        free(v);
    }
    for (size_t i = 0; i < d->snap_nr; i++)
        free(d->snap[i].data);
    free(d->snap);
    hv_evtchn_fini(d);
    hv_gnttab_fini(d);
    hv_trace_fini(d);
    hv_sched_domain_gone(d);
    hv_balloon_fini(d);
    free(d->crash_report);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}

int hv_domain_create(const char *name, uint64_t mem_kb, unsigned vcpus,
                     enum hv_action on_poweroff, enum hv_action on_reboot,
                     enum hv_action on_crash, unsigned max_evtchn,
                     struct hv_platform *plat, struct hv_domain **out,
                     char *err, size_t errlen)
{
    struct hv_domain *d;
    uint32_t domid = 0;
    int rc;

    if (!name_ok(name)) {
        snprintf(err, errlen,
                 "name '%s': want 1..63 characters of "
                 "[A-Za-z0-9_.-] (and not Domain-0)",
                 name);
        return -EINVAL;
    }
    if (mem_kb < 1024 || (mem_kb & 3) || mem_kb > (64ULL << 20)) {
        snprintf(err, errlen,
                 "memory %llu KiB: want a multiple of 4 KiB "
                 "between 1 MiB and 64 GiB",
                 (unsigned long long)mem_kb);
        return -EINVAL;
    }
    if (vcpus < 1 || vcpus > PV_MAX_VCPUS) {
        snprintf(err, errlen, "vcpus %u: want 1..%d", vcpus, PV_MAX_VCPUS);
        return -EINVAL;
    }
    if (on_poweroff > HV_ACTION_PRESERVE || on_reboot > HV_ACTION_PRESERVE ||
        on_crash > HV_ACTION_PRESERVE) {
        snprintf(err, errlen, "unknown on_* action");
        return -EINVAL;
    }
    if (max_evtchn == 0)
        max_evtchn = HV_DEFAULT_MAX_EVTCHN;
    if (max_evtchn > HV_NR_EVTCHN_2L) {
        snprintf(err, errlen, "max_evtchn %u: the 2-level ABI has %d ports",
                 max_evtchn, HV_NR_EVTCHN_2L);
        return -EINVAL;
    }
    if (!plat)
        plat = hv_platform_default;
    if (!plat || !plat->available) {
        snprintf(err, errlen, "platform %s is not usable on this host",
                 plat ? plat->name : "(none)");
        return -ENODEV;
    }
    if (name_taken(name)) {
        snprintf(err, errlen, "a domain named '%s' already exists", name);
        return -EEXIST;
    }

    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    d->mem_fd = d->priv_fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&d->cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->mem_size = mem_kb << 10;
    d->on_poweroff = on_poweroff;
    d->on_reboot = on_reboot;
    d->on_crash = on_crash;
    d->state = HV_DOM_RUNNING;
    d->paused = true;
    d->created_ns = hv_now_ns();

    pthread_mutex_lock(&domains_lock);
    for (unsigned tries = 0; tries < HV_MAX_DOMAINS; tries++) {
        uint32_t cand = next_domid;
        next_domid =
            next_domid + 1 >= HV_MAX_DOMAINS ? HV_DOMID_FIRST : next_domid + 1;
        if (!domains[cand]) {
            domid = cand;
            break;
        }
    }
    if (domid)
        domains[domid] = d; /* reserved; not listed until complete */
    pthread_mutex_unlock(&domains_lock);
    if (!domid) {
        snprintf(err, errlen, "no free domain id (%d domains)",
                 HV_MAX_DOMAINS - 1);
        domain_free(d);
        return -ENOSPC;
    }
    d->domid = domid;
    if (hv_on_domid_reserved)
        hv_on_domid_reserved(domid);

    d->nr_vcpus = vcpus; /* vcpus[] fill in below; the platform counts */
    rc = hv_domain_mem_create(d, err, errlen);
    if (rc)
        goto fail;
    d->plat = plat;
    rc = plat->domain_create(d, err, errlen);
    if (rc)
        goto fail;
    rc = hv_evtchn_init(d, max_evtchn);
    if (rc) {
        snprintf(err, errlen, "event channel table: %s", strerror(-rc));
        goto fail;
    }
    for (unsigned i = 0; i < vcpus; i++) {
        struct hv_vcpu *v = calloc(1, sizeof(*v));
        if (!v) {
            rc = -ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        v->d = d;
        v->id = i;
        v->timer_fd = -1;
        d->vcpus[i] = v;
        rc = plat->vcpu_create(v);
        if (!rc)
            rc = hv_timer_init(v);
        if (rc) {
            snprintf(err, errlen, "vCPU %u: %s", i, strerror(-rc));
            goto fail;
        }
    }
    hv_time_init_domain(d);
    for (unsigned i = 0; i < vcpus; i++) {
        rc = hv_vcpu_start(d->vcpus[i]);
        if (rc) {
            snprintf(err, errlen, "vCPU %u thread: %s", i, strerror(-rc));
            goto fail;
        }
    }
    pthread_mutex_lock(&domains_lock);
    d->listed = true;
    nr_domains++;
    pthread_mutex_unlock(&domains_lock);
    log_info("d%u: created '%s', %llu KiB, %u vCPU(s), platform %s", domid,
             name, (unsigned long long)mem_kb, vcpus, plat->name);
    *out = d;
    return 0;

fail:
    hv_vcpu_stop_all(d);
    /* As in destroy: no other domain's vCPU may be touching d past this
     * point (it was never listed, so none found it). */
    pthread_rwlock_wrlock(&domains_rw);
    pthread_mutex_lock(&domains_lock);
    domains[domid] = NULL;
    pthread_mutex_unlock(&domains_lock);
    pthread_rwlock_unlock(&domains_rw);
    domain_free(d);
    return rc;
}

void hv_domain_destroy(struct hv_domain *d)
{
    uint32_t domid = d->domid;

    pthread_mutex_lock(&d->lock);
    d->dying = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    hv_vcpu_stop_all(d);
    /* No other domain's vCPU may be touching d past this point. */
    pthread_rwlock_wrlock(&domains_rw);
    pthread_mutex_lock(&domains_lock);
    domains[domid] = NULL;
    nr_domains--;
    pthread_mutex_unlock(&domains_lock);
    hv_interdom_domain_gone(d);
    pthread_rwlock_unlock(&domains_rw);
    log_info("d%u: destroyed", domid);
    if (hv_on_destroy)
        hv_on_destroy(d);
    domain_free(d);
    if (hv_notify_mgmt)
        hv_notify_mgmt();
}

int hv_domain_pause(struct hv_domain *d, bool pause)
{
    /*
     * The boot snapshot is taken at the first unpause, not at setup: the
     * toolstack may still patch start_info in between (event channels of
     * the console and xenstore), and a restart must see those too. The
     * vCPUs are parked until paused is cleared below.
     */
    if (!pause && d->built && !d->snap_taken &&
        (d->on_poweroff == HV_ACTION_RESTART ||
         d->on_reboot == HV_ACTION_RESTART ||
         d->on_crash == HV_ACTION_RESTART)) {
        snapshot_take(d);
        d->snap_taken = true;
        log_info("d%u: boot snapshot: %zu pages", d->domid, d->snap_nr);
    }
    pthread_mutex_lock(&d->lock);
    if (!pause && !d->built) {
        pthread_mutex_unlock(&d->lock);
        return -ENOEXEC;
    }
    d->paused = pause;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        hv_vcpu_kick(d->vcpus[i]);
    if (hv_notify_mgmt)
        hv_notify_mgmt();
    return 0;
}

static const char *reason_name(unsigned r)
{
    static const char *const n[] = { "poweroff", "reboot",   "suspend",
                                     "crash",    "watchdog", "soft_reset" };
    return r < 6 ? n[r] : "unknown";
}

void hv_domain_shutdown(struct hv_domain *d, unsigned reason)
{
    pthread_mutex_lock(&d->lock);
    if (d->state == HV_DOM_RUNNING) {
        d->state = reason == SHUTDOWN_crash ? HV_DOM_CRASHED : HV_DOM_SHUTDOWN;
        d->shutdown_reason = reason;
        d->shutdown_code = d->shutdown_code_set ? d->pending_shutdown_code : 0;
        d->action_pending = true;
        d->stops++;
        pthread_cond_broadcast(&d->cond);
        log_info("d%u: shutdown (%s, code %u)", d->domid, reason_name(reason),
                 d->shutdown_code);
    }
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        hv_vcpu_kick(d->vcpus[i]);
    hv_domain_request_reap();
}

void hv_domain_crash(struct hv_domain *d, const char *report)
{
    pthread_mutex_lock(&d->lock);
    if (d->state == HV_DOM_RUNNING) {
        free(d->crash_report);
        d->crash_report = strdup(report);
        d->state = HV_DOM_CRASHED;
        d->shutdown_reason = SHUTDOWN_crash;
        d->shutdown_code = 0;
        d->action_pending = true;
        d->stops++;
        pthread_cond_broadcast(&d->cond);
    }
    pthread_mutex_unlock(&d->lock);
    log_err("d%u: crashed: %s", d->domid, report);
    {
        char line[256];
        int n = snprintf(line, sizeof(line),
                         "\n[pvisor] d%u crashed; see 'pvctl dmesg' or "
                         "'pvctl list -l'\n",
                         d->domid);
        hv_console_append(d, line, (size_t)n);
    }
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        hv_vcpu_kick(d->vcpus[i]);
    hv_domain_request_reap();
}

enum hv_dom_state hv_domain_state(struct hv_domain *d)
{
    enum hv_dom_state s;
    unsigned online = 0, blocked = 0;

    pthread_mutex_lock(&d->lock);
    if (d->dying)
        s = HV_DOM_DYING;
    else if (d->state != HV_DOM_RUNNING)
        s = d->state;
    else if (d->paused)
        s = HV_DOM_PAUSED;
    else {
        for (unsigned i = 0; i < d->nr_vcpus; i++) {
            if (d->vcpus[i]->online) {
                online++;
                blocked += d->vcpus[i]->blocked;
            }
        }
        s = online && blocked == online ? HV_DOM_BLOCKED : HV_DOM_RUNNING;
    }
    pthread_mutex_unlock(&d->lock);
    return s;
}

void hv_console_append(struct hv_domain *d, const char *buf, size_t len)
{
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < len; i++)
        d->con.buf[(d->con.end + i) % HV_CONSOLE_BUF] = buf[i];
    d->con.end += len;
    pthread_mutex_unlock(&d->lock);
    if (hv_notify_mgmt)
        hv_notify_mgmt();
}

static int snapshot_add(struct hv_domain *d, uint64_t pfn)
{
    struct hv_snapshot_page *n =
        realloc(d->snap, (d->snap_nr + 1) * sizeof(*n));

    if (!n)
        return -ENOMEM;
    d->snap = n;
    n[d->snap_nr].pfn = pfn;
    n[d->snap_nr].data = malloc(HV_PAGE_SIZE);
    if (!n[d->snap_nr].data)
        return -ENOMEM;
    memcpy(n[d->snap_nr].data, d->mem + pfn * HV_PAGE_SIZE, HV_PAGE_SIZE);
    d->snap_nr++;
    return 0;
}

/*
 * Keep the non-zero pages the builder wrote. Only the memfd's data extents
 * are scanned (SEEK_DATA): reading a hole of shared memory would allocate
 * it, charging the host for memory the guest never used.
 */
static void snapshot_take(struct hv_domain *d)
{
    static const uint8_t zero[HV_PAGE_SIZE];
    off_t pos = 0;

    while ((uint64_t)pos < d->mem_size) {
        off_t data = lseek(d->mem_fd, pos, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(d->mem_fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t)hole > d->mem_size)
            hole = (off_t)d->mem_size;
        for (uint64_t pfn = (uint64_t)data / HV_PAGE_SIZE;
             pfn * HV_PAGE_SIZE < (uint64_t)hole; pfn++) {
            if (memcmp(d->mem + pfn * HV_PAGE_SIZE, zero, HV_PAGE_SIZE) &&
                snapshot_add(d, pfn)) {
                log_err("d%u: out of memory for the boot snapshot", d->domid);
                return;
            }
        }
        pos = hole;
    }
}

static bool page_ok(struct hv_domain *d, uint64_t gpa)
{
    return !(gpa & (HV_PAGE_SIZE - 1)) && gpa <= d->mem_size - HV_PAGE_SIZE &&
           gpa < d->mem_size;
}

/* Shared parts of first boot and restart (d->lock not held, vCPUs parked). */
static int domain_boot_state(struct hv_domain *d, char *err, size_t errlen)
{
    struct shared_info *sh = hv_shared_info(d);
    int rc;

    memset(sh, 0, HV_PAGE_SIZE);
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        sh->vcpu_info[i].evtchn_upcall_mask = 1;
    if (d->hypercall_page_gpa != PV_NO_HYPERCALL_PAGE)
        d->plat->fill_hypercall_page(d->mem + d->hypercall_page_gpa);
    rc = d->plat->install_l4_slot(d, d->boot_cr3);
    if (rc) {
        snprintf(err, errlen, "pt_base 0x%llx: not a page in guest RAM",
                 (unsigned long long)d->boot_cr3);
        return rc;
    }
    hv_time_init_domain(d);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        hv_trap_reset_vcpu(v);
        v->online = v->initialised = false;
        v->blocked = v->poll_active = false;
        v->singleshot_deadline = v->periodic_period = v->periodic_next = 0;
    }
    struct hv_vcpu *v0 = d->vcpus[0];
    rc = d->plat->vcpu_reset(v0, d->boot_cr3, d->boot_rip, d->boot_rsp,
                             d->boot_rsi);
    if (rc) {
        snprintf(err, errlen, "vCPU 0 registers: %s", strerror(-rc));
        return rc;
    }
    v0->online = v0->initialised = true;
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        hv_time_update_vcpu(d->vcpus[i]);
    return 0;
}

int hv_domain_setup(struct hv_domain *d, uint64_t hypercall_page_gpa,
                    uint64_t shared_info_gpa, uint64_t start_info_gpa,
                    uint64_t cr3, uint64_t rip, uint64_t rsp, uint64_t rsi,
                    char *err, size_t errlen)
{
    int rc;

    if (d->built) {
        snprintf(err, errlen, "domain %u is already built", d->domid);
        return -EBUSY;
    }
    bool has_hp = hypercall_page_gpa != PV_NO_HYPERCALL_PAGE;

    if ((has_hp && !page_ok(d, hypercall_page_gpa)) ||
        !page_ok(d, shared_info_gpa) || !page_ok(d, start_info_gpa) ||
        !page_ok(d, cr3)) {
        snprintf(err, errlen,
                 "setup: hypercall page 0x%llx, shared_info "
                 "0x%llx, start_info 0x%llx and pt_base 0x%llx must be "
                 "page-aligned pages inside the %llu KiB of guest RAM",
                 (unsigned long long)hypercall_page_gpa,
                 (unsigned long long)shared_info_gpa,
                 (unsigned long long)start_info_gpa, (unsigned long long)cr3,
                 (unsigned long long)(d->mem_size >> 10));
        return -EINVAL;
    }
    if (hypercall_page_gpa == shared_info_gpa || cr3 == shared_info_gpa ||
        cr3 == hypercall_page_gpa) {
        snprintf(err, errlen,
                 "setup: hypercall page, shared_info and "
                 "pt_base must be distinct pages");
        return -EINVAL;
    }
    if (!hv_canonical(rip) || !hv_canonical(rsp) || !hv_canonical(rsi)) {
        snprintf(err, errlen,
                 "setup: entry/stack/start_info address not "
                 "canonical");
        return -EINVAL;
    }
    d->hypercall_page_gpa = hypercall_page_gpa;
    d->shared_info_gpa = shared_info_gpa;
    d->start_info_gpa = start_info_gpa;
    d->boot_cr3 = cr3;
    d->boot_rip = rip;
    d->boot_rsp = rsp;
    d->boot_rsi = rsi;
    rc = domain_boot_state(d, err, errlen);
    if (rc)
        return rc;
    pthread_mutex_lock(&d->lock);
    d->built = true;
    pthread_mutex_unlock(&d->lock);
    log_info("d%u: built: entry 0x%llx", d->domid, (unsigned long long)rip);
    return 0;
}

static void domain_restart(struct hv_domain *d)
{
    char err[256];

    hv_vcpu_stop_all(d);
    /*
     * Count the restart before touching memory: backends that still map
     * the old run's rings see them zeroed from here on and ask how often
     * the domain restarted, to tell a reset from a hostile frontend.
     */
    pthread_mutex_lock(&d->lock);
    d->restarts++;
    pthread_mutex_unlock(&d->lock);
    /* Zero guest RAM cheaply, then put back the boot image. */
    if (fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  (off_t)d->mem_size) < 0)
        memset(d->mem, 0, d->mem_size);
    for (size_t i = 0; i < d->snap_nr; i++)
        memcpy(d->mem + d->snap[i].pfn * HV_PAGE_SIZE, d->snap[i].data,
               HV_PAGE_SIZE);
    hv_balloon_reset(d); /* the punch above gave every page back */
    hv_evtchn_reset(d);
    pthread_mutex_lock(&d->lock);
    hv_gnttab_fini(d);
    d->state = HV_DOM_RUNNING;
    d->shutdown_code_set = false;
    d->action_pending = false;
    free(d->crash_report);
    d->crash_report = NULL;
    pthread_mutex_unlock(&d->lock);
    if (domain_boot_state(d, err, sizeof(err)) != 0) {
        log_err("d%u: restart failed: %s", d->domid, err);
        hv_domain_destroy(d);
        return;
    }
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (hv_vcpu_start(d->vcpus[i]) != 0) {
            log_err("d%u: restart: vCPU %u thread failed", d->domid, i);
            hv_domain_destroy(d);
            return;
        }
    }
    log_info("d%u: restarted (restart #%u)", d->domid, d->restarts);
    static const char msg[] = "\n[pvisor] domain restarted\n";
    hv_console_append(d, msg, sizeof(msg) - 1);
}

void hv_domains_reap(void)
{
    uint64_t cnt;
    ssize_t n = read(hv_reap_fd, &cnt, sizeof(cnt));
    (void)n;

    for (struct hv_domain *d = hv_domain_next(0); d;) {
        uint32_t id = d->domid;
        enum hv_action act = HV_ACTION_PRESERVE;
        bool pending;

        pthread_mutex_lock(&d->lock);
        pending = d->action_pending && !d->dying;
        d->action_pending = false;
        if (pending) {
            switch (d->shutdown_reason) {
            case SHUTDOWN_poweroff:
                act = d->on_poweroff;
                break;
            case SHUTDOWN_reboot:
                act = d->on_reboot;
                break;
            case SHUTDOWN_crash:
            case SHUTDOWN_watchdog:
                act = d->on_crash;
                break;
            default: /* suspend: kept for the toolstack */
                act = HV_ACTION_PRESERVE;
                break;
            }
            if (act == HV_ACTION_RESTART && !d->snap_nr) {
                log_warn("d%u: restart requested but no boot snapshot; "
                         "preserving",
                         d->domid);
                act = HV_ACTION_PRESERVE;
            }
        }
        pthread_mutex_unlock(&d->lock);
        if (pending && act == HV_ACTION_DESTROY)
            hv_domain_destroy(d);
        else if (pending && act == HV_ACTION_RESTART)
            domain_restart(d);
        d = hv_domain_next(id);
    }
    if (hv_notify_mgmt)
        hv_notify_mgmt();
}
