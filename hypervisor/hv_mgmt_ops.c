// SPDX-License-Identifier: MIT
/* hv_mgmt_ops.c: one handler per management request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <pvabi/event_channel.h>

#include "hv.h"
#include "hv_mgmt_int.h"

static Pvmgmt__DomainState pb_state(enum hv_dom_state s)
{
    switch (s) {
    case HV_DOM_RUNNING:
        return PVMGMT__DOMAIN_STATE__STATE_RUNNING;
    case HV_DOM_BLOCKED:
        return PVMGMT__DOMAIN_STATE__STATE_BLOCKED;
    case HV_DOM_PAUSED:
        return PVMGMT__DOMAIN_STATE__STATE_PAUSED;
    case HV_DOM_SHUTDOWN:
        return PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN;
    case HV_DOM_CRASHED:
        return PVMGMT__DOMAIN_STATE__STATE_CRASHED;
    case HV_DOM_DYING:
        return PVMGMT__DOMAIN_STATE__STATE_DYING;
    }
    return PVMGMT__DOMAIN_STATE__STATE_UNSPECIFIED;
}

static uint64_t host_rss_kb(struct hv_domain *d)
{
    /* Pages of guest RAM and of the private area (both memfds) actually
     * backed by host memory. */
    struct stat st;
    uint64_t kb = 0;
    if (d->mem_fd >= 0 && fstat(d->mem_fd, &st) == 0)
        kb += (uint64_t)st.st_blocks / 2;
    if (d->priv_fd >= 0 && fstat(d->priv_fd, &st) == 0)
        kb += (uint64_t)st.st_blocks / 2;
    return kb;
}

/* Fill info (strings point into d or static storage; vcpu array malloc'd). */
static void fill_info(struct hv_domain *d, Pvmgmt__DomainInfo *info)
{
    pvmgmt__domain_info__init(info);
    info->domid = d->domid;
    info->name = d->name;
    info->state = pb_state(hv_domain_state(d));
    pthread_mutex_lock(&d->lock);
    info->shutdown_reason = (Pvmgmt__ShutdownReason)d->shutdown_reason;
    info->shutdown_code = d->shutdown_code;
    info->crash_report = d->crash_report ? strdup(d->crash_report) : NULL;
    info->restarts = d->restarts;
    info->built = d->built;
    pthread_mutex_unlock(&d->lock);
    info->memory_kb = d->mem_size >> 10;
    info->vcpus = d->nr_vcpus;
    info->uptime_ns = hv_now_ns() - d->created_ns;
    info->on_poweroff = (Pvmgmt__Action)d->on_poweroff;
    info->on_reboot = (Pvmgmt__Action)d->on_reboot;
    info->on_crash = (Pvmgmt__Action)d->on_crash;
    info->host_memory_kb = host_rss_kb(d);
    info->platform = (char *)d->plat->name;
    info->vcpu = calloc(d->nr_vcpus, sizeof(*info->vcpu));
    if (!info->vcpu)
        return;
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        Pvmgmt__VcpuInfo *vi = malloc(sizeof(*vi));
        if (!vi)
            break;
        pvmgmt__vcpu_info__init(vi);
        vi->id = i;
        vi->online = v->online;
        vi->blocked = v->blocked;
        vi->cpu_time_ns = hv_vcpu_cpu_ns(v);
        vi->hypercalls = atomic_load(&v->st_hypercalls);
        vi->exits = atomic_load(&v->st_exits);
        vi->upcalls = atomic_load(&v->st_upcalls);
        info->cpu_time_ns += vi->cpu_time_ns;
        info->vcpus_online += v->online;
        info->vcpu[info->n_vcpu++] = vi;
    }
    hv_mgmt_obs_fill(d, info);
}

static void free_info(Pvmgmt__DomainInfo *info)
{
    hv_mgmt_obs_free(info);
    for (size_t i = 0; i < info->n_vcpu; i++)
        free(info->vcpu[i]);
    free(info->vcpu);
    if (info->crash_report != (char *)protobuf_c_empty_string)
        free(info->crash_report);
}

static void fill_grave(struct grave *g, Pvmgmt__DomainInfo *info)
{
    pvmgmt__domain_info__init(info);
    info->domid = g->domid;
    info->name = g->name;
    info->state = pb_state((enum hv_dom_state)g->state);
    info->shutdown_reason = (Pvmgmt__ShutdownReason)g->reason;
    info->shutdown_code = g->code;
    info->crash_report = g->crash_report ? strdup(g->crash_report) : NULL;
}

static void fill_dom0(Pvmgmt__DomainInfo *info)
{
    struct sysinfo si;
    struct rusage ru;

    pvmgmt__domain_info__init(info);
    info->domid = 0;
    info->name = (char *)"Domain-0";
    info->state = PVMGMT__DOMAIN_STATE__STATE_RUNNING;
    if (sysinfo(&si) == 0)
        info->memory_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
    info->vcpus = info->vcpus_online = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        info->cpu_time_ns =
            ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
                1000000000ULL +
            ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
                1000ULL;
    info->uptime_ns = hv_now_ns() - hv_mgmt_start_ns;
    info->built = true;
    info->crash_report = NULL;
}

static int reply_fds(struct client *c, uint64_t id, Pvmgmt__Response *rsp,
                     const int *fds, unsigned nfds)
{
    rsp->version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp->id = id;
    rsp->nr_fds = nfds;
    return hv_mgmt_send_response(c, rsp, fds, nfds);
}

static int reply(struct client *c, uint64_t id, Pvmgmt__Response *rsp, int fd)
{
    return reply_fds(c, id, rsp, &fd, fd >= 0 ? 1 : 0);
}

static void op_hello(struct client *c, uint64_t id, const Pvmgmt__Hello *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__HelloReply h = PVMGMT__HELLO_REPLY__INIT;

    (void)a; /* nothing to read: the reply says who we are */
    h.pvisor_version = (char *)HV_VERSION;
    h.protocol_version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_HELLO;
    rsp.hello = &h;
    reply(c, id, &rsp, -1);
}

static void op_create(struct client *c, uint64_t id,
                      const Pvmgmt__DomainCreate *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__DomainCreateReply r = PVMGMT__DOMAIN_CREATE_REPLY__INIT;
    struct hv_domain *d;
    char err[256] = "";
    int rc;

    if (!a) {
        hv_mgmt_send_error(c, id, EINVAL, "create: missing arguments");
        return;
    }
    struct hv_platform *plat = NULL;
    if (a->platform && a->platform[0] && strcmp(a->platform, "auto") != 0) {
        plat = hv_platform_find(a->platform);
        if (!plat) {
            hv_mgmt_send_error(c, id, EINVAL,
                               "create: platform '%.32s': not one of kvm, "
                               "proc, auto",
                               a->platform);
            return;
        }
    }
    rc = hv_domain_create(
        a->name, a->memory_kb, a->vcpus, (enum hv_action)a->on_poweroff,
        (enum hv_action)a->on_reboot, (enum hv_action)a->on_crash,
        a->max_evtchn, plat, &d, err, sizeof(err));
    if (rc) {
        hv_mgmt_send_error(c, id, -rc, "create: %s", err);
        return;
    }
    r.domid = d->domid;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_CREATE;
    rsp.create = &r;
    reply(c, id, &rsp, -1);
}

static void op_setup(struct client *c, uint64_t id,
                     const Pvmgmt__DomainSetup *a)
{
    struct hv_domain *d;
    char err[512] = "";
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    rc = hv_domain_setup(d, a->hypercall_page_gpa, a->shared_info_gpa,
                         a->start_info_gpa, a->pt_base_gpa, a->entry_va,
                         a->stack_va, a->start_info_va, err, sizeof(err));
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "d%u: %s", d->domid, err);
    else
        hv_mgmt_send_ok(c, id);
}

static void op_list(struct client *c, uint64_t id, const Pvmgmt__DomainRef *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__ListReply l = PVMGMT__LIST_REPLY__INIT;
    /* 0 (absent in proto3) and 0xffffffff both mean every domain. */
    uint32_t want = a && a->domid ? a->domid : UINT32_MAX;
    unsigned cap = hv_domain_count() + 2;
    Pvmgmt__DomainInfo *infos = calloc(cap, sizeof(*infos));
    Pvmgmt__DomainInfo **ptrs = calloc(cap, sizeof(*ptrs));

    if (!infos || !ptrs) {
        free(infos);
        free(ptrs);
        hv_mgmt_send_error(c, id, ENOMEM, "list: out of memory");
        return;
    }
    if (want == UINT32_MAX) {
        fill_dom0(&infos[0]);
        ptrs[l.n_domain++] = &infos[0];
    }
    for (struct hv_domain *d = hv_domain_next(0); d && l.n_domain < cap;
         d = hv_domain_next(d->domid)) {
        if (want != UINT32_MAX && want != d->domid)
            continue;
        fill_info(d, &infos[l.n_domain]);
        ptrs[l.n_domain] = &infos[l.n_domain];
        l.n_domain++;
    }
    if (want != UINT32_MAX && l.n_domain == 0) {
        hv_mgmt_send_error(c, id, ESRCH, "no domain with id %u", want);
    } else {
        l.domain = ptrs;
        rsp.result_case = PVMGMT__RESPONSE__RESULT_LIST;
        rsp.list = &l;
        reply(c, id, &rsp, -1);
    }
    for (size_t i = 0; i < l.n_domain; i++)
        free_info(&infos[i]);
    free(infos);
    free(ptrs);
}

static void op_host_info(struct client *c, uint64_t id,
                         const Pvmgmt__DomainRef *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__HostInfo h = PVMGMT__HOST_INFO__INIT;
    struct sysinfo si;

    (void)a; /* domid ignored */
    h.pvisor_version = (char *)HV_VERSION;
    h.protocol_version = PVMGMT__VERSION__VERSION_CURRENT;
    h.nr_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
    if (sysinfo(&si) == 0) {
        h.total_memory_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
        h.free_memory_kb = (uint64_t)si.freeram * si.mem_unit / 1024;
    }
    h.nr_domains = hv_domain_count();
    h.kvm_api_version =
        hv_platform_kvm.available ? hv_platform_kvm.api_version : 0;
    h.kvm_flavour = hv_platform_kvm.available ? hv_platform_kvm.flavour : "";
    h.tsc_khz = hv_tsc_khz;
    h.uptime_ns = hv_now_ns() - hv_mgmt_start_ns;
    h.run_dir = (char *)hv_mgmt_run_dir;
    h.xen_major = HV_XEN_MAJOR;
    h.xen_minor = HV_XEN_MINOR;
    h.platform =
        (char *)(hv_platform_default ? hv_platform_default->name : "none");
    char *usable[2];
    h.platforms = usable;
    if (hv_platform_kvm.available)
        usable[h.n_platforms++] = (char *)hv_platform_kvm.name;
    if (hv_platform_proc.available)
        usable[h.n_platforms++] = (char *)hv_platform_proc.name;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_HOST_INFO;
    rsp.host_info = &h;
    reply(c, id, &rsp, -1);
}

static void op_dmesg(struct client *c, uint64_t id,
                     const Pvmgmt__DmesgRequest *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__DmesgReply r = PVMGMT__DMESG_REPLY__INIT;
    static char buf[256 * 1024];
    uint64_t off = a ? a->offset : 0;

    r.data.len = hv_log_read(&off, buf, sizeof(buf));
    r.data.data = (uint8_t *)buf;
    r.next_offset = off;
    if (a && a->clear)
        hv_log_clear();
    rsp.result_case = PVMGMT__RESPONSE__RESULT_DMESG;
    rsp.dmesg = &r;
    reply(c, id, &rsp, -1);
}

static void op_map_memory(struct client *c, uint64_t id,
                          const Pvmgmt__MapMemory *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__MapMemoryReply r = PVMGMT__MAP_MEMORY_REPLY__INIT;
    struct hv_domain *d;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    r.size = d->mem_size;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_MAP_MEMORY;
    rsp.map_memory = &r;
    if (reply(c, id, &rsp, d->mem_fd) == 0)
        hv_mgmt_note_memory(c, d->domid);
}

static bool stopped(enum hv_dom_state s)
{
    return s == HV_DOM_SHUTDOWN || s == HV_DOM_CRASHED || s == HV_DOM_DYING;
}

/* Try to answer a console read; false if it must wait. */
static bool console_try(struct client *c, struct longpoll *p, bool force)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__ConsoleReadReply r = PVMGMT__CONSOLE_READ_REPLY__INIT;
    struct hv_domain *d = hv_domain_find(p->domid);
    uint32_t max = p->max_bytes ? p->max_bytes : 65536;
    char *buf;

    if (max > 65536)
        max = 65536;
    if (!d) {
        struct grave *g = hv_mgmt_find_grave(p->domid);
        if (!g) {
            hv_mgmt_send_error(c, p->id, ESRCH, "no domain with id %u",
                               p->domid);
            return true;
        }
        uint64_t first = g->console_end - g->console_len;
        uint64_t off = p->offset < first ? first : p->offset;
        if (off > g->console_end)
            off = g->console_end;
        uint64_t n = g->console_end - off;
        if (n > max)
            n = max;
        r.data.data = (uint8_t *)g->console + (off - first);
        r.data.len = n;
        r.next_offset = off + n;
        r.first_offset = first;
        r.state = pb_state((enum hv_dom_state)g->state);
        r.gone = r.next_offset == g->console_end;
        rsp.result_case = PVMGMT__RESPONSE__RESULT_CONSOLE_READ;
        rsp.console_read = &r;
        reply(c, p->id, &rsp, -1);
        return true;
    }
    enum hv_dom_state st = hv_domain_state(d);
    pthread_mutex_lock(&d->lock);
    uint64_t end = d->con.end;
    uint64_t first = end > HV_CONSOLE_BUF ? end - HV_CONSOLE_BUF : 0;
    uint64_t off = p->offset < first ? first : p->offset;
    if (off > end)
        off = end;
    if (off == end && !force && !stopped(st) &&
        (!p->deadline || hv_now_ns() < p->deadline)) {
        pthread_mutex_unlock(&d->lock);
        return false;
    }
    uint64_t n = end - off;
    if (n > max)
        n = max;
    buf = malloc(n ? n : 1);
    if (buf)
        for (uint64_t i = 0; i < n; i++)
            buf[i] = d->con.buf[(off + i) % HV_CONSOLE_BUF];
    pthread_mutex_unlock(&d->lock);
    if (!buf) {
        hv_mgmt_send_error(c, p->id, ENOMEM, "console: out of memory");
        return true;
    }
    r.data.data = (uint8_t *)buf;
    r.data.len = n;
    r.next_offset = off + n;
    r.first_offset = first;
    r.state = pb_state(st);
    rsp.result_case = PVMGMT__RESPONSE__RESULT_CONSOLE_READ;
    rsp.console_read = &r;
    reply(c, p->id, &rsp, -1);
    free(buf);
    return true;
}

static bool wait_try(struct client *c, struct longpoll *p, bool force)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__DomainInfo info;
    struct hv_domain *d = hv_domain_find(p->domid);
    bool timed_out = p->deadline && hv_now_ns() >= p->deadline;

    if (!d) {
        struct grave *g = hv_mgmt_find_grave(p->domid);
        if (!g) {
            hv_mgmt_send_error(c, p->id, ESRCH, "no domain with id %u",
                               p->domid);
            return true;
        }
        fill_grave(g, &info);
    } else {
        pthread_mutex_lock(&d->lock);
        bool changed = d->stops != p->stops;
        pthread_mutex_unlock(&d->lock);
        enum hv_dom_state st = hv_domain_state(d);
        if (p->until_gone)
            changed = false, st = HV_DOM_RUNNING;
        if (!changed && !stopped(st) && !force) {
            if (!timed_out)
                return false;
            hv_mgmt_send_error(c, p->id, ETIMEDOUT,
                               "d%u: still %s after "
                               "the timeout",
                               d->domid,
                               st == HV_DOM_PAUSED ? "paused" : "running");
            return true;
        }
        fill_info(d, &info);
    }
    rsp.result_case = PVMGMT__RESPONSE__RESULT_WAIT;
    rsp.wait = &info;
    reply(c, p->id, &rsp, -1);
    free_info(&info);
    return true;
}

bool hv_mgmt_longpoll_try(struct client *c, struct longpoll *p)
{
    if (p->kind == LP_TRACE)
        return hv_mgmt_trace_try(c, p, false);
    return p->kind == LP_CONSOLE ? console_try(c, p, false)
                                 : wait_try(c, p, false);
}

void hv_mgmt_park(struct client *c, struct longpoll *tmpl)
{
    unsigned n = 0;
    for (struct longpoll *q = c->polls; q; q = q->next)
        n++;
    if (n >= MAX_POLLS_PER_CLIENT) {
        hv_mgmt_send_error(c, tmpl->id, EBUSY,
                           "too many outstanding "
                           "long-polls on this connection (%u)",
                           n);
        return;
    }
    struct longpoll *p = malloc(sizeof(*p));

    if (!p) {
        hv_mgmt_send_error(c, tmpl->id, ENOMEM, "out of memory");
        return;
    }
    *p = *tmpl;
    p->next = c->polls;
    c->polls = p;
}

static void op_console_read(struct client *c, uint64_t id,
                            const Pvmgmt__ConsoleRead *a)
{
    struct longpoll lp = { .kind = LP_CONSOLE, .id = id };

    if (!a) {
        hv_mgmt_send_error(c, id, EINVAL, "console_read: missing arguments");
        return;
    }
    lp.domid = a->domid;
    lp.offset = a->offset;
    lp.max_bytes = a->max_bytes;
    lp.deadline = a->wait_ms ? hv_now_ns() + a->wait_ms * 1000000ULL : 0;
    if (!console_try(c, &lp, a->wait_ms == 0))
        hv_mgmt_park(c, &lp);
}

static void op_wait(struct client *c, uint64_t id, const Pvmgmt__Wait *a)
{
    struct longpoll lp = { .kind = LP_WAIT, .id = id };
    struct hv_domain *d;

    if (!a) {
        hv_mgmt_send_error(c, id, EINVAL, "wait: missing arguments");
        return;
    }
    lp.domid = a->domid;
    lp.until_gone = a->until_gone;
    lp.deadline = a->timeout_ms ? hv_now_ns() + a->timeout_ms * 1000000ULL : 0;
    d = hv_domain_find(a->domid);
    if (d) {
        pthread_mutex_lock(&d->lock);
        lp.stops = d->stops;
        pthread_mutex_unlock(&d->lock);
    }
    if (!wait_try(c, &lp, false))
        hv_mgmt_park(c, &lp);
}

static void op_simple(struct client *c, uint64_t id, Pvmgmt__Request__OpCase op,
                      uint32_t domid, unsigned reason)
{
    struct hv_domain *d = hv_mgmt_lookup(c, id, domid);
    int rc = 0;

    if (!d)
        return;
    switch (op) {
    case PVMGMT__REQUEST__OP_DESTROY:
        hv_domain_destroy(d);
        break;
    case PVMGMT__REQUEST__OP_PAUSE:
        rc = hv_domain_pause(d, true);
        break;
    case PVMGMT__REQUEST__OP_UNPAUSE:
        rc = hv_domain_pause(d, false);
        if (rc) {
            hv_mgmt_send_error(c, id, ENOEXEC,
                               "d%u: not built yet (no "
                               "kernel loaded)",
                               domid);
            return;
        }
        break;
    case PVMGMT__REQUEST__OP_SHUTDOWN:
        if (reason > 5) {
            hv_mgmt_send_error(c, id, EINVAL, "shutdown reason %u unknown",
                               reason);
            return;
        }
        hv_domain_shutdown(d, reason);
        break;
    default:
        break;
    }
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "d%u: %s", domid, strerror(-rc));
    else
        hv_mgmt_send_ok(c, id);
}

static void op_evtchn_bind(struct client *c, uint64_t id,
                           const Pvmgmt__EvtchnBind *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__EvtchnBindReply r = PVMGMT__EVTCHN_BIND_REPLY__INIT;
    char err[256] = "";
    int fds[2];
    uint32_t port;
    int rc;

    if (!a) {
        hv_mgmt_send_error(c, id, EINVAL, "evtchn_bind: missing arguments");
        return;
    }
    rc = hv_dom0_evtchn_bind((int)c->slot, a->domid, a->remote_port, &port, fds,
                             err, sizeof(err));
    if (rc) {
        hv_mgmt_send_error(c, id, -rc, "evtchn_bind: %s", err);
        return;
    }
    r.port = port;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_EVTCHN_BIND;
    rsp.evtchn_bind = &r;
    reply_fds(c, id, &rsp, fds, 2);
}

static void op_evtchn_close(struct client *c, uint64_t id,
                            const Pvmgmt__EvtchnClose *a)
{
    if (!a || hv_dom0_evtchn_close((int)c->slot, a->port) != 0)
        hv_mgmt_send_error(c, id, EINVAL,
                           "evtchn_close: port %u is not "
                           "bound on this connection",
                           a ? a->port : 0);
    else
        hv_mgmt_send_ok(c, id);
}

static void op_evtchn_alloc_unbound(struct client *c, uint64_t id,
                                    const Pvmgmt__EvtchnAllocUnbound *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__EvtchnBindReply r = PVMGMT__EVTCHN_BIND_REPLY__INIT;
    struct evtchn_alloc_unbound arg;
    struct hv_domain *d;
    long rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    if (a->remote_domid != 0 && !hv_domain_find(a->remote_domid)) {
        hv_mgmt_send_error(c, id, ESRCH, "no domain with id %u",
                           a->remote_domid);
        return;
    }
    arg.dom = (uint16_t)d->domid;
    arg.remote_dom = (uint16_t)a->remote_domid;
    arg.port = 0;
    rc = hv_evtchn_op(d, EVTCHNOP_alloc_unbound, &arg);
    if (rc) {
        hv_mgmt_send_error(c, id, (int)-rc,
                           "d%u: cannot allocate an event "
                           "channel (%ld; limit %u ports)",
                           d->domid, rc, d->max_evtchn);
        return;
    }
    r.port = arg.port;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_EVTCHN_BIND;
    rsp.evtchn_bind = &r;
    reply(c, id, &rsp, -1);
}

static void op_grant_map(struct client *c, uint64_t id,
                         const Pvmgmt__GrantMap *a)
{
    static uint64_t next_handle = 1;
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__GrantMapReply r = PVMGMT__GRANT_MAP_REPLY__INIT;
    struct grant_map *m;
    struct hv_domain *d;
    char err[256] = "";
    uint64_t *frames;
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    if (a->n_refs == 0 || a->n_refs > 1024) {
        hv_mgmt_send_error(c, id, EINVAL,
                           "grant_map: %zu refs (want "
                           "1..1024)",
                           a->n_refs);
        return;
    }
    {
        size_t held = 0;

        for (struct grant_map *o = c->maps; o; o = o->next)
            if (o->domid == d->domid)
                held += o->n;
        if (held + a->n_refs > HV_MGMT_MAPPED_REFS_MAX) {
            hv_mgmt_send_error(c, id, ENOSPC,
                               "grant_map: this connection has %zu grant "
                               "refs of d%u mapped; %zu more would pass "
                               "the limit of %u",
                               held, d->domid, a->n_refs,
                               HV_MGMT_MAPPED_REFS_MAX);
            return;
        }
    }
    m = calloc(1, sizeof(*m) + a->n_refs * sizeof(uint32_t));
    frames = calloc(a->n_refs, sizeof(*frames));
    if (!m || !frames) {
        free(m);
        free(frames);
        hv_mgmt_send_error(c, id, ENOMEM, "grant_map: out of memory");
        return;
    }
    memcpy(m->refs, a->refs, a->n_refs * sizeof(uint32_t));
    rc = hv_gnttab_dom0_map(d, m->refs, a->n_refs, a->writable, frames, err,
                            sizeof(err));
    if (rc) {
        free(m);
        free(frames);
        hv_mgmt_send_error(c, id, -rc, "grant_map: %s", err);
        return;
    }
    m->handle = next_handle++;
    m->domid = d->domid;
    m->writable = a->writable;
    m->n = a->n_refs;
    r.handle = m->handle;
    r.frames = frames;
    r.n_frames = a->n_refs;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_GRANT_MAP;
    rsp.grant_map = &r;
    if (reply(c, id, &rsp, d->mem_fd) == 0) {
        hv_mgmt_note_memory(c, d->domid);
        m->next = c->maps;
        c->maps = m;
    } else { /* the client was told it failed: it holds nothing */
        hv_gnttab_dom0_unmap(d, m->refs, m->n, m->writable);
        free(m);
    }
    free(frames);
}

static void op_grant_unmap(struct client *c, uint64_t id,
                           const Pvmgmt__GrantUnmap *a)
{
    for (struct grant_map **pp = &c->maps; a && *pp; pp = &(*pp)->next) {
        struct grant_map *m = *pp;
        if (m->handle != a->handle)
            continue;
        *pp = m->next;
        struct hv_domain *d = hv_domain_find(m->domid);
        if (d)
            hv_gnttab_dom0_unmap(d, m->refs, m->n, m->writable);
        free(m);
        hv_mgmt_send_ok(c, id);
        return;
    }
    hv_mgmt_send_error(c, id, EINVAL, "grant_unmap: unknown handle");
}

/* The four requests that name one domain and answer OK or an error. */
static void op_destroy(struct client *c, uint64_t id,
                       const Pvmgmt__DomainRef *a)
{
    op_simple(c, id, PVMGMT__REQUEST__OP_DESTROY, a ? a->domid : 0, 0);
}

static void op_pause(struct client *c, uint64_t id, const Pvmgmt__DomainRef *a)
{
    op_simple(c, id, PVMGMT__REQUEST__OP_PAUSE, a ? a->domid : 0, 0);
}

static void op_unpause(struct client *c, uint64_t id,
                       const Pvmgmt__DomainRef *a)
{
    op_simple(c, id, PVMGMT__REQUEST__OP_UNPAUSE, a ? a->domid : 0, 0);
}

static void op_shutdown(struct client *c, uint64_t id,
                        const Pvmgmt__DomainShutdown *a)
{
    op_simple(c, id, PVMGMT__REQUEST__OP_SHUTDOWN, a ? a->domid : 0,
              a ? (unsigned)a->reason : 0);
}

/*
 * Every request this pvisor serves, as hv_hypercalls[] lists every
 * hypercall: its case in Request's oneof, the oneof field (NULL when the
 * client sent the case without a body) and the handler, which checks it.
 */
#define MGMT_OPS(X)                                                        \
    X(HELLO, hello, op_hello)                                              \
    X(CREATE, create, op_create)                                           \
    X(DESTROY, destroy, op_destroy)                                        \
    X(PAUSE, pause, op_pause)                                              \
    X(UNPAUSE, unpause, op_unpause)                                        \
    X(SHUTDOWN, shutdown, op_shutdown)                                     \
    X(LIST, list, op_list)                                                 \
    X(HOST_INFO, host_info, op_host_info)                                  \
    X(DMESG, dmesg, op_dmesg)                                              \
    X(CONSOLE_READ, console_read, op_console_read)                         \
    X(MAP_MEMORY, map_memory, op_map_memory)                               \
    X(SETUP, setup, op_setup)                                              \
    X(WAIT, wait, op_wait)                                                 \
    X(EVTCHN_BIND, evtchn_bind, op_evtchn_bind)                            \
    X(EVTCHN_CLOSE, evtchn_close, op_evtchn_close)                         \
    X(EVTCHN_ALLOC_UNBOUND, evtchn_alloc_unbound, op_evtchn_alloc_unbound) \
    X(GRANT_MAP, grant_map, op_grant_map)                                  \
    X(GRANT_UNMAP, grant_unmap, op_grant_unmap)                            \
    X(BIND_DOMAIN, bind_domain, hv_mgmt_op_bind_domain)                    \
    X(TRACE_READ, trace_read, hv_mgmt_op_trace_read)                       \
    X(VCPU_PIN, vcpu_pin, hv_mgmt_op_vcpu_pin)                             \
    X(SCHED_CREDIT, sched_credit, hv_mgmt_op_sched_credit)                 \
    X(MEM_MAX, mem_max, hv_mgmt_op_mem_max)                                \
    X(SAVE_STATE, save_state, hv_mgmt_op_save_state)                       \
    X(RESUME, resume, hv_mgmt_op_resume)                                   \
    X(RESTORE_STATE, restore_state, hv_mgmt_op_restore_state)

typedef void mgmt_op_fn(struct client *c, const Pvmgmt__Request *req);

/* One typed call per request: the handler gets its own message type. */
#define MGMT_CALL(CASE, field, fn)                                       \
    static void call_##field(struct client *c, const Pvmgmt__Request *r) \
    {                                                                    \
        fn(c, r->id, r->field);                                          \
    }
MGMT_OPS(MGMT_CALL)

#define MGMT_ENTRY(CASE, field, fn) [PVMGMT__REQUEST__OP_##CASE] = call_##field,
static mgmt_op_fn *const mgmt_ops[] = { MGMT_OPS(MGMT_ENTRY) };

void hv_mgmt_dispatch(struct client *c, const Pvmgmt__Request *req)
{
    size_t op = (size_t)req->op_case;

    if (!hv_mgmt_bound_gate(c, req))
        return;
    if (op < sizeof(mgmt_ops) / sizeof(mgmt_ops[0]) && mgmt_ops[op]) {
        mgmt_ops[op](c, req);
        return;
    }
    hv_mgmt_send_error(c, req->id, ENOSYS,
                       "request type %d not supported by this pvisor",
                       (int)req->op_case);
}
