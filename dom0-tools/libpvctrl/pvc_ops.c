// SPDX-License-Identifier: MIT
/* pvc_ops.c: typed wrappers for each management request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvc_internal.h"

/*
 * Sends req and checks that a successful response carries result_case
 * `want` (NOT_SET for requests without a result). Frees the response on
 * failure; on success the caller frees *resp.
 */
static int call_expect(struct pvc_handle *h, Pvmgmt__Request *req,
                       Pvmgmt__Response__ResultCase want,
                       Pvmgmt__Response **resp)
{
    int err = pvc_call(h, req, resp, NULL, 0, NULL);

    if (err) {
        if (*resp)
            pvmgmt__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return err;
    }
    if (want != PVMGMT__RESPONSE__RESULT__NOT_SET &&
        (*resp)->result_case != want) {
        pvc_set_error(h,
                      "pvisor's response lacks the expected result "
                      "(got case %d, wanted %d)",
                      (*resp)->result_case, want);
        pvmgmt__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return -EPROTO;
    }
    return 0;
}

int pvc_call_expect(struct pvc_handle *h, Pvmgmt__Request *req,
                    Pvmgmt__Response__ResultCase want, Pvmgmt__Response **resp)
{
    return call_expect(h, req, want, resp);
}

static int call_noresult(struct pvc_handle *h, Pvmgmt__Request *req)
{
    Pvmgmt__Response *resp;
    int err = call_expect(h, req, PVMGMT__RESPONSE__RESULT__NOT_SET, &resp);

    if (!err)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_hello(struct pvc_handle *h, const char *client_name, char *version,
              size_t version_len)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__Hello hello = PVMGMT__HELLO__INIT;
    Pvmgmt__Response *resp;
    int err;

    hello.client = (char *)(client_name ? client_name : "libpvctrl");
    req.op_case = PVMGMT__REQUEST__OP_HELLO;
    req.hello = &hello;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_HELLO, &resp);
    if (err)
        return err;
    if (resp->hello->protocol_version != PVC_PROTOCOL_VERSION) {
        pvc_set_error(h, "pvisor speaks protocol version %u, this client %u",
                      resp->hello->protocol_version, PVC_PROTOCOL_VERSION);
        err = -EPROTONOSUPPORT;
    }
    if (version && version_len)
        pvc_sanitize_copy(version, version_len, resp->hello->pvisor_version);
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_domain_create(struct pvc_handle *h, const struct pvc_create_args *a,
                      uint32_t *domid)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainCreate c = PVMGMT__DOMAIN_CREATE__INIT;
    Pvmgmt__Response *resp;
    int err;

    if (!a->name)
        return -EINVAL;
    c.name = (char *)a->name;
    c.memory_kb = a->memory_kb;
    c.vcpus = a->vcpus;
    c.on_poweroff = a->on_poweroff;
    c.on_reboot = a->on_reboot;
    c.on_crash = a->on_crash;
    c.cmdline = (char *)(a->cmdline ? a->cmdline : "");
    c.max_evtchn = a->max_evtchn;
    c.platform = (char *)(a->platform ? a->platform : "");
    req.op_case = PVMGMT__REQUEST__OP_CREATE;
    req.create = &c;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_CREATE, &resp);
    if (err)
        return err;
    *domid = resp->create->domid;
    pvmgmt__response__free_unpacked(resp, NULL);
    if (*domid == 0 || *domid == PVC_DOMID_ALL) {
        pvc_set_error(h, "pvisor returned invalid domid %u", *domid);
        return -EPROTO;
    }
    return 0;
}

static int domref_call(struct pvc_handle *h, Pvmgmt__Request__OpCase op,
                       uint32_t domid)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainRef ref = PVMGMT__DOMAIN_REF__INIT;

    ref.domid = domid;
    req.op_case = op;
    req.destroy = &ref; /* every DomainRef member shares the union */
    return call_noresult(h, &req);
}

int pvc_domain_destroy(struct pvc_handle *h, uint32_t domid)
{
    return domref_call(h, PVMGMT__REQUEST__OP_DESTROY, domid);
}

int pvc_bind_domain(struct pvc_handle *h, uint32_t domid)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__BindDomain b = PVMGMT__BIND_DOMAIN__INIT;

    b.domid = domid;
    req.op_case = PVMGMT__REQUEST__OP_BIND_DOMAIN;
    req.bind_domain = &b;
    return call_noresult(h, &req);
}

int pvc_domain_pause(struct pvc_handle *h, uint32_t domid)
{
    return domref_call(h, PVMGMT__REQUEST__OP_PAUSE, domid);
}

int pvc_domain_unpause(struct pvc_handle *h, uint32_t domid)
{
    return domref_call(h, PVMGMT__REQUEST__OP_UNPAUSE, domid);
}

int pvc_domain_shutdown(struct pvc_handle *h, uint32_t domid,
                        Pvmgmt__ShutdownReason reason)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainShutdown s = PVMGMT__DOMAIN_SHUTDOWN__INIT;

    s.domid = domid;
    s.reason = reason;
    req.op_case = PVMGMT__REQUEST__OP_SHUTDOWN;
    req.shutdown = &s;
    return call_noresult(h, &req);
}

void pvc_domain_info_clear(struct pvc_domain_info *info)
{
    if (!info)
        return;
    free(info->crash_report);
    free(info->vcpu);
    info->crash_report = NULL;
    info->vcpu = NULL;
    info->nr_vcpu = 0;
}

void pvc_domain_info_free(struct pvc_domain_info *infos, size_t nr)
{
    if (!infos)
        return;
    for (size_t i = 0; i < nr; i++)
        pvc_domain_info_clear(&infos[i]);
    free(infos);
}

/* Copies one untrusted DomainInfo; bounds strings and the vCPU array. */
static int copy_info(struct pvc_handle *h, struct pvc_domain_info *d,
                     const Pvmgmt__DomainInfo *s)
{
    size_t rlen;

    memset(d, 0, sizeof(*d));
    if (s->n_vcpu > 4096) {
        pvc_set_error(h, "pvisor listed %zu vCPUs for domain %u", s->n_vcpu,
                      s->domid);
        return -EPROTO;
    }
    d->domid = s->domid;
    pvc_sanitize_copy(d->name, sizeof(d->name), s->name);
    d->state = s->state;
    d->shutdown_reason = s->shutdown_reason;
    d->shutdown_code = s->shutdown_code;
    d->memory_kb = s->memory_kb;
    d->vcpus = s->vcpus;
    d->vcpus_online = s->vcpus_online;
    d->cpu_time_ns = s->cpu_time_ns;
    d->uptime_ns = s->uptime_ns;
    d->on_poweroff = s->on_poweroff;
    d->on_reboot = s->on_reboot;
    d->on_crash = s->on_crash;
    d->restarts = s->restarts;
    d->built = s->built;
    d->host_memory_kb = s->host_memory_kb;
    pvc_sanitize_copy(d->platform, sizeof(d->platform), s->platform);
    rlen = s->crash_report ? strnlen(s->crash_report, 65536) : 0;
    d->crash_report = malloc(rlen + 1);
    if (!d->crash_report)
        return -ENOMEM;
    pvc_sanitize_copy(d->crash_report, rlen + 1, s->crash_report);
    if (s->n_vcpu) {
        d->vcpu = calloc(s->n_vcpu, sizeof(*d->vcpu));
        if (!d->vcpu) {
            pvc_domain_info_clear(d);
            return -ENOMEM;
        }
    }
    d->nr_vcpu = s->n_vcpu;
    for (size_t i = 0; i < s->n_vcpu; i++) {
        const Pvmgmt__VcpuInfo *v = s->vcpu[i];
        d->vcpu[i] = (struct pvc_vcpu_info){
            .id = v->id,
            .online = v->online,
            .blocked = v->blocked,
            .cpu_time_ns = v->cpu_time_ns,
            .hypercalls = v->hypercalls,
            .exits = v->exits,
            .upcalls = v->upcalls,
            .traps = v->traps,
            .tid = v->tid,
            .affinity_all = v->n_affinity == 0,
        };
        for (size_t c = 0; c < v->n_affinity; c++)
            if (v->affinity[c] < 1024)
                d->vcpu[i].affinity[v->affinity[c] / 64] |=
                    1ULL << (v->affinity[c] % 64);
    }
    for (size_t i = 0; i < s->n_hypercall_counts && d->nr_hc < PVC_HC_MAX;
         i++) {
        const Pvmgmt__HypercallCount *c = s->hypercall_counts[i];
        struct pvc_hc_count *o = &d->hc[d->nr_hc++];
        o->nr = c->nr;
        pvc_sanitize_copy(o->name, sizeof(o->name), c->name);
        o->count = c->count;
    }
    d->sched_weight = s->sched_weight;
    d->sched_cap = s->sched_cap;
    d->current_memory_kb = s->current_memory_kb;
    d->max_memory_kb = s->max_memory_kb;
    return 0;
}

int pvc_domain_list(struct pvc_handle *h, uint32_t domid,
                    struct pvc_domain_info **infos, size_t *nr)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainRef ref = PVMGMT__DOMAIN_REF__INIT;
    Pvmgmt__Response *resp;
    Pvmgmt__ListReply *l;
    struct pvc_domain_info *arr = NULL;
    size_t i;
    int err;

    *infos = NULL;
    *nr = 0;
    ref.domid = domid;
    req.op_case = PVMGMT__REQUEST__OP_LIST;
    req.list = &ref;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_LIST, &resp);
    if (err)
        return err;
    l = resp->list;
    /* Domain 0 is asked for as 0, which the protocol reads as "all" (an
     * absent field): keep only its entry. */
    if (domid == 0) {
        size_t k = 0;

        for (i = 0; i < l->n_domain; i++)
            if (l->domain[i]->domid == 0)
                l->domain[k++] = l->domain[i];
        for (i = k; i < l->n_domain; i++)
            pvmgmt__domain_info__free_unpacked(l->domain[i], NULL);
        l->n_domain = k;
    }
    if (l->n_domain > 65536 || (domid != PVC_DOMID_ALL && l->n_domain > 1)) {
        pvc_set_error(h, "pvisor listed %zu domains", l->n_domain);
        err = -EPROTO;
        goto out;
    }
    if (l->n_domain) {
        arr = calloc(l->n_domain, sizeof(*arr));
        if (!arr) {
            err = -ENOMEM;
            goto out;
        }
    }
    for (i = 0; i < l->n_domain; i++) {
        err = copy_info(h, &arr[i], l->domain[i]);
        if (err) {
            pvc_domain_info_free(arr, i);
            goto out;
        }
    }
    *infos = arr;
    *nr = l->n_domain;
out:
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_domain_resolve(struct pvc_handle *h, const char *dom, uint32_t *domid)
{
    struct pvc_domain_info *infos;
    size_t nr, i;
    char *end;
    int err;

    if (!dom || !*dom) {
        pvc_set_error(h, "empty domain name");
        return -EINVAL;
    }
    if (dom[0] >= '0' && dom[0] <= '9') {
        unsigned long v;

        errno = 0;
        v = strtoul(dom, &end, 10);
        if (*end == '\0' && errno == 0 && v < PVC_DOMID_ALL) {
            err = pvc_domain_list(h, (uint32_t)v, &infos, &nr);
            if (err == -ESRCH || (!err && nr == 0)) {
                pvc_domain_info_free(infos, nr);
                pvc_set_error(h, "no domain with id %lu", v);
                return -ESRCH;
            }
            if (err)
                return err;
            pvc_domain_info_free(infos, nr);
            *domid = (uint32_t)v;
            return 0;
        }
    }
    err = pvc_domain_list(h, PVC_DOMID_ALL, &infos, &nr);
    if (err)
        return err;
    err = -ESRCH;
    for (i = 0; i < nr; i++) {
        if (strcmp(infos[i].name, dom) == 0) {
            *domid = infos[i].domid;
            err = 0;
            break;
        }
    }
    pvc_domain_info_free(infos, nr);
    if (err)
        pvc_set_error(h, "no domain named '%.*s'", PVC_NAME_MAX, dom);
    return err;
}

int pvc_host_info(struct pvc_handle *h, struct pvc_host_info *info)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainRef ref = PVMGMT__DOMAIN_REF__INIT;
    Pvmgmt__Response *resp;
    Pvmgmt__HostInfo *hi;
    int err;

    memset(info, 0, sizeof(*info));
    req.op_case = PVMGMT__REQUEST__OP_HOST_INFO;
    req.host_info = &ref;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_HOST_INFO, &resp);
    if (err)
        return err;
    hi = resp->host_info;
    pvc_sanitize_copy(info->pvisor_version, sizeof(info->pvisor_version),
                      hi->pvisor_version);
    info->protocol_version = hi->protocol_version;
    info->nr_cpus = hi->nr_cpus;
    info->total_memory_kb = hi->total_memory_kb;
    info->free_memory_kb = hi->free_memory_kb;
    info->nr_domains = hi->nr_domains;
    info->kvm_api_version = hi->kvm_api_version;
    pvc_sanitize_copy(info->kvm_flavour, sizeof(info->kvm_flavour),
                      hi->kvm_flavour);
    info->tsc_khz = hi->tsc_khz;
    info->uptime_ns = hi->uptime_ns;
    pvc_sanitize_copy(info->run_dir, sizeof(info->run_dir), hi->run_dir);
    info->xen_major = hi->xen_major;
    pvc_sanitize_copy(info->platform, sizeof(info->platform), hi->platform);
    for (size_t i = 0; i < hi->n_platforms; i++) {
        size_t l = strlen(info->platforms);
        char one[16];
        pvc_sanitize_copy(one, sizeof(one), hi->platforms[i]);
        snprintf(info->platforms + l, sizeof(info->platforms) - l, "%s%s",
                 l ? " " : "", one);
    }
    info->xen_minor = hi->xen_minor;
    pvmgmt__response__free_unpacked(resp, NULL);
    return 0;
}

/* Duplicates untrusted bytes (len may be 0: *out = NULL). */
static int dup_bytes(const ProtobufCBinaryData *b, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!b->len)
        return 0;
    if (!b->data)
        return -EPROTO;
    *out = malloc(b->len);
    if (!*out)
        return -ENOMEM;
    memcpy(*out, b->data, b->len);
    *len = b->len;
    return 0;
}

int pvc_dmesg(struct pvc_handle *h, uint64_t offset, bool clear, uint8_t **data,
              size_t *len, uint64_t *next_offset)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DmesgRequest d = PVMGMT__DMESG_REQUEST__INIT;
    Pvmgmt__Response *resp;
    int err;

    *data = NULL;
    *len = 0;
    d.offset = offset;
    d.clear = clear;
    req.op_case = PVMGMT__REQUEST__OP_DMESG;
    req.dmesg = &d;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_DMESG, &resp);
    if (err)
        return err;
    err = dup_bytes(&resp->dmesg->data, data, len);
    *next_offset = resp->dmesg->next_offset;
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_console_read(struct pvc_handle *h, uint32_t domid, uint64_t offset,
                     uint32_t wait_ms, uint32_t max_bytes,
                     struct pvc_console_chunk *out)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__ConsoleRead c = PVMGMT__CONSOLE_READ__INIT;
    Pvmgmt__Response *resp;
    Pvmgmt__ConsoleReadReply *r;
    uint32_t limit = max_bytes ? max_bytes : 64 * 1024;
    int err;

    memset(out, 0, sizeof(*out));
    c.domid = domid;
    c.offset = offset;
    c.wait_ms = wait_ms;
    c.max_bytes = max_bytes;
    req.op_case = PVMGMT__REQUEST__OP_CONSOLE_READ;
    req.console_read = &c;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_CONSOLE_READ, &resp);
    if (err)
        return err;
    r = resp->console_read;
    /* next_offset must account exactly for the bytes returned. */
    if (r->data.len > limit || r->next_offset < r->data.len ||
        r->next_offset - r->data.len < offset) {
        pvc_set_error(h,
                      "pvisor returned an inconsistent console chunk "
                      "(%zu bytes, next offset %llu, asked from %llu)",
                      r->data.len, (unsigned long long)r->next_offset,
                      (unsigned long long)offset);
        err = -EPROTO;
        goto out;
    }
    err = dup_bytes(&r->data, &out->data, &out->len);
    out->next_offset = r->next_offset;
    out->first_offset = r->first_offset;
    out->state = r->state;
    out->gone = r->gone;
out:
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

void pvc_console_chunk_free(struct pvc_console_chunk *c)
{
    free(c->data);
    c->data = NULL;
    c->len = 0;
}

int pvc_domain_wait(struct pvc_handle *h, uint32_t domid, uint32_t timeout_ms,
                    struct pvc_domain_info *info)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__Wait w = PVMGMT__WAIT__INIT;
    Pvmgmt__Response *resp;
    int err;

    memset(info, 0, sizeof(*info));
    w.domid = domid;
    w.timeout_ms = timeout_ms;
    req.op_case = PVMGMT__REQUEST__OP_WAIT;
    req.wait = &w;
    err = call_expect(h, &req, PVMGMT__RESPONSE__RESULT_WAIT, &resp);
    if (err)
        return err;
    err = copy_info(h, info, resp->wait);
    pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_map_memory(struct pvc_handle *h, uint32_t domid, int *fd,
                   uint64_t *size)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__MapMemory m = PVMGMT__MAP_MEMORY__INIT;
    Pvmgmt__Response *resp;
    int fds[PVC_MAX_FDS];
    size_t nr = 0, i;
    struct stat st;
    int err;

    *fd = -1;
    m.domid = domid;
    req.op_case = PVMGMT__REQUEST__OP_MAP_MEMORY;
    req.map_memory = &m;
    err = pvc_call(h, &req, &resp, fds, PVC_MAX_FDS, &nr);
    if (err)
        goto out;
    if (resp->result_case != PVMGMT__RESPONSE__RESULT_MAP_MEMORY || nr != 1) {
        pvc_set_error(h,
                      "pvisor's memory map response carries %zu fds "
                      "(expected 1) or no size",
                      nr);
        err = -EPROTO;
        goto out;
    }
    *size = resp->map_memory->size;
    if (fstat(fds[0], &st) < 0) {
        err = -errno;
        pvc_set_error(h, "fstat on the domain memory fd: %s", strerror(-err));
        goto out;
    }
    if (*size == 0 || *size % 4096 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < *size) {
        pvc_set_error(h,
                      "domain memory fd is unusable (announced %llu "
                      "bytes, file holds %lld)",
                      (unsigned long long)*size, (long long)st.st_size);
        err = -EPROTO;
        goto out;
    }
    *fd = fds[0];
    nr = 0;
out:
    for (i = 0; i < nr; i++)
        close(fds[i]);
    if (resp)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_domain_setup(struct pvc_handle *h, const struct pvc_setup_args *a)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainSetup s = PVMGMT__DOMAIN_SETUP__INIT;

    s.domid = a->domid;
    s.hypercall_page_gpa = a->hypercall_page_gpa;
    s.shared_info_gpa = a->shared_info_gpa;
    s.start_info_gpa = a->start_info_gpa;
    s.pt_base_gpa = a->pt_base_gpa;
    s.entry_va = a->entry_va;
    s.stack_va = a->stack_va;
    s.start_info_va = a->start_info_va;
    s.virt_base = a->virt_base;
    req.op_case = PVMGMT__REQUEST__OP_SETUP;
    req.setup = &s;
    return call_noresult(h, &req);
}

const char *pvc_state_name(Pvmgmt__DomainState s)
{
    static const char *const names[] = {
        "unknown",  "running", "blocked", "paused",
        "shutdown", "crashed", "dying",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
                                                          : "unknown";
}

const char *pvc_shutdown_reason_name(Pvmgmt__ShutdownReason r)
{
    static const char *const names[] = {
        "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
    };
    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r]
                                                          : "unknown";
}

const char *pvc_action_name(Pvmgmt__Action a)
{
    static const char *const names[] = { "destroy", "restart", "preserve" };
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a]
                                                          : "unknown";
}
