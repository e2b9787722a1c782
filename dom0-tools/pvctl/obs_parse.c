// SPDX-License-Identifier: MIT
/* obs_parse.c: argument parsers and the hypercall trace decoder. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/pvisor.h>
#include <pvabi/xen.h>

#include "pvctl_obs.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int pvctl_parse_range(const char *what, const char *s, unsigned long min,
                      unsigned long max, unsigned long *out, char *err,
                      size_t errlen)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s < '0' || *s > '9')
        return fail(err, errlen, "%s \"%s\" is not a number", what, s ? s : "");
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end)
        return fail(err, errlen, "%s \"%s\" is not a number", what, s);
    if (errno || v < min || v > max)
        return fail(err, errlen, "%s %s out of range %lu..%lu", what, s, min,
                    max);
    *out = v;
    return 0;
}

int pvctl_parse_cpulist(const char *s, uint32_t *cpus, size_t max, size_t *nr,
                        char *err, size_t errlen)
{
    bool set[1024] = { false };
    const char *p = s;
    size_t n = 0;

    *nr = 0;
    if (!s || !*s)
        return fail(err, errlen, "empty CPU list");
    if (strcmp(s, "all") == 0)
        return 0;
    while (*p) {
        char *end;
        unsigned long a, b;

        if (*p < '0' || *p > '9')
            return fail(err, errlen, "bad CPU list \"%s\" at \"%s\"", s, p);
        a = strtoul(p, &end, 10);
        b = a;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                return fail(err, errlen, "bad CPU range in \"%s\"", s);
            b = strtoul(end + 1, &end, 10);
        }
        if (*end && *end != ',')
            return fail(err, errlen, "bad CPU list \"%s\" at \"%s\"", s, end);
        if (a > b)
            return fail(err, errlen, "CPU range %lu-%lu is backwards", a, b);
        if (b >= 1024)
            return fail(err, errlen, "CPU %lu out of range 0..1023", b);
        for (unsigned long c = a; c <= b; c++)
            set[c] = true;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return fail(err, errlen, "CPU list \"%s\" ends in a comma", s);
    }
    for (unsigned c = 0; c < 1024; c++) {
        if (!set[c])
            continue;
        if (n == max)
            return fail(err, errlen, "more than %zu CPUs in \"%s\"", max, s);
        cpus[n++] = c;
    }
    *nr = n;
    return 0;
}

int pvctl_parse_vcpu(const char *s, uint32_t *vcpu, char *err, size_t errlen)
{
    unsigned long v;

    if (s && strcmp(s, "all") == 0) {
        *vcpu = PVC_VCPU_ALL;
        return 0;
    }
    if (pvctl_parse_range("vCPU", s, 0, 4095, &v, err, errlen))
        return -EINVAL;
    *vcpu = (uint32_t)v;
    return 0;
}

int pvctl_parse_seconds(const char *s, double *out, char *err, size_t errlen)
{
    char *end;
    double v;

    if (!s || !*s)
        return fail(err, errlen, "empty delay");
    v = strtod(s, &end);
    if (*end || end == s || !isfinite(v))
        return fail(err, errlen, "delay \"%s\" is not a number of seconds", s);
    if (v < 0.1 || v > 3600)
        return fail(err, errlen, "delay %s out of range 0.1..3600 seconds", s);
    *out = v;
    return 0;
}

static const char *const hc_names[128] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table",
    [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt",
    [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks",
    [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat",
    [__HYPERVISOR_platform_op] = "platform_op",
    [__HYPERVISOR_set_debugreg] = "set_debugreg",
    [__HYPERVISOR_get_debugreg] = "get_debugreg",
    [__HYPERVISOR_update_descriptor] = "update_descriptor",
    [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall",
    [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op",
    [__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
    [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io",
    [__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
    [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist",
    [__HYPERVISOR_update_va_mapping_otherdomain] =
        "update_va_mapping_otherdomain",
    [__HYPERVISOR_iret] = "iret",
    [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base",
    [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_xsm_op] = "xsm_op",
    [__HYPERVISOR_nmi_op] = "nmi_op",
    [__HYPERVISOR_sched_op] = "sched_op",
    [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_xenoprof_op] = "xenoprof_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op",
    [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_hvm_op] = "hvm_op",
    [__HYPERVISOR_sysctl] = "sysctl",
    [__HYPERVISOR_domctl] = "domctl",
    [__HYPERVISOR_kexec_op] = "kexec_op",
    [__HYPERVISOR_tmem_op] = "tmem_op",
    [__HYPERVISOR_argo_op] = "argo_op",
    [__HYPERVISOR_xenpmu_op] = "xenpmu_op",
    [__HYPERVISOR_dm_op] = "dm_op",
    [__HYPERVISOR_hypfs_op] = "hypfs_op",
    [__HYPERVISOR_pvisor_notify] = "pvisor_notify",
};

const char *pvctl_hypercall_name(uint32_t nr, char *buf, size_t len)
{
    if (nr < 128 && hc_names[nr])
        return hc_names[nr];
    snprintf(buf, len, "hypercall_%u", nr);
    return buf;
}

int pvctl_trace_filter(const char *s, bool want[128], char *err, size_t errlen)
{
    char name[64];
    const char *p = s;

    memset(want, 0, 128 * sizeof(bool));
    if (!s || !*s)
        return fail(err, errlen, "empty filter");
    while (*p) {
        size_t n = strcspn(p, ",");
        unsigned nr;

        if (n == 0 || n >= sizeof(name))
            return fail(err, errlen, "bad filter \"%s\"", s);
        memcpy(name, p, n);
        name[n] = 0;
        for (nr = 0; nr < 128; nr++)
            if (hc_names[nr] && strcmp(hc_names[nr], name) == 0)
                break;
        if (nr == 128)
            return fail(err, errlen,
                        "unknown hypercall name \"%s\" (e.g. sched_op, "
                        "event_channel_op, memory_op, grant_table_op, "
                        "vcpu_op, set_timer_op, console_io)",
                        name);
        want[nr] = true;
        p += n;
        if (*p == ',' && !*++p)
            return fail(err, errlen, "filter \"%s\" ends in a comma", s);
    }
    return 0;
}

struct subop {
    uint32_t nr;
    uint64_t cmd;
    const char *name;
};

static const struct subop subops[] = {
    { __HYPERVISOR_sched_op, 0, "yield" },
    { __HYPERVISOR_sched_op, 1, "block" },
    { __HYPERVISOR_sched_op, 2, "shutdown" },
    { __HYPERVISOR_sched_op, 3, "poll" },
    { __HYPERVISOR_sched_op, 4, "remote_shutdown" },
    { __HYPERVISOR_sched_op, 5, "shutdown_code" },
    { __HYPERVISOR_sched_op, 6, "watchdog" },
    { __HYPERVISOR_event_channel_op, 0, "bind_interdomain" },
    { __HYPERVISOR_event_channel_op, 1, "bind_virq" },
    { __HYPERVISOR_event_channel_op, 2, "bind_pirq" },
    { __HYPERVISOR_event_channel_op, 3, "close" },
    { __HYPERVISOR_event_channel_op, 4, "send" },
    { __HYPERVISOR_event_channel_op, 5, "status" },
    { __HYPERVISOR_event_channel_op, 6, "alloc_unbound" },
    { __HYPERVISOR_event_channel_op, 7, "bind_ipi" },
    { __HYPERVISOR_event_channel_op, 8, "bind_vcpu" },
    { __HYPERVISOR_event_channel_op, 9, "unmask" },
    { __HYPERVISOR_event_channel_op, 10, "reset" },
    { __HYPERVISOR_event_channel_op, 11, "init_control" },
    { __HYPERVISOR_event_channel_op, 12, "expand_array" },
    { __HYPERVISOR_event_channel_op, 13, "set_priority" },
    { __HYPERVISOR_memory_op, 0, "increase_reservation" },
    { __HYPERVISOR_memory_op, 1, "decrease_reservation" },
    { __HYPERVISOR_memory_op, 2, "maximum_ram_page" },
    { __HYPERVISOR_memory_op, 3, "current_reservation" },
    { __HYPERVISOR_memory_op, 4, "maximum_reservation" },
    { __HYPERVISOR_memory_op, 6, "populate_physmap" },
    { __HYPERVISOR_memory_op, 7, "add_to_physmap" },
    { __HYPERVISOR_memory_op, 9, "memory_map" },
    { __HYPERVISOR_memory_op, 14, "maximum_gpfn" },
    { __HYPERVISOR_grant_table_op, 0, "map_grant_ref" },
    { __HYPERVISOR_grant_table_op, 1, "unmap_grant_ref" },
    { __HYPERVISOR_grant_table_op, 2, "setup_table" },
    { __HYPERVISOR_grant_table_op, 3, "dump_table" },
    { __HYPERVISOR_grant_table_op, 4, "transfer" },
    { __HYPERVISOR_grant_table_op, 5, "copy" },
    { __HYPERVISOR_grant_table_op, 6, "query_size" },
    { __HYPERVISOR_grant_table_op, 8, "set_version" },
    { __HYPERVISOR_grant_table_op, 10, "get_version" },
    { __HYPERVISOR_vcpu_op, 0, "initialise" },
    { __HYPERVISOR_vcpu_op, 1, "up" },
    { __HYPERVISOR_vcpu_op, 2, "down" },
    { __HYPERVISOR_vcpu_op, 3, "is_up" },
    { __HYPERVISOR_vcpu_op, 4, "get_runstate_info" },
    { __HYPERVISOR_vcpu_op, 6, "set_periodic_timer" },
    { __HYPERVISOR_vcpu_op, 7, "stop_periodic_timer" },
    { __HYPERVISOR_vcpu_op, 8, "set_singleshot_timer" },
    { __HYPERVISOR_vcpu_op, 9, "stop_singleshot_timer" },
    { __HYPERVISOR_vcpu_op, 10, "register_vcpu_info" },
    { __HYPERVISOR_xen_version, 0, "version" },
    { __HYPERVISOR_xen_version, 1, "extraversion" },
    { __HYPERVISOR_xen_version, 2, "compile_info" },
    { __HYPERVISOR_xen_version, 3, "capabilities" },
    { __HYPERVISOR_xen_version, 4, "changeset" },
    { __HYPERVISOR_xen_version, 5, "platform_parameters" },
    { __HYPERVISOR_xen_version, 6, "get_features" },
    { __HYPERVISOR_xen_version, 7, "pagesize" },
    { __HYPERVISOR_xen_version, 8, "guest_handle" },
    { __HYPERVISOR_console_io, 0, "write" },
    { __HYPERVISOR_console_io, 1, "read" },
    { __HYPERVISOR_callback_op, 0, "register" },
    { __HYPERVISOR_callback_op, 1, "unregister" },
};

static const char *subop_name(uint32_t nr, uint64_t cmd)
{
    for (size_t i = 0; i < sizeof(subops) / sizeof(subops[0]); i++)
        if (subops[i].nr == nr && subops[i].cmd == cmd)
            return subops[i].name;
    return NULL;
}

static const struct {
    int e;
    const char *name;
} xen_errnos[] = {
    { 1, "EPERM" },      { 2, "ENOENT" },  { 3, "ESRCH" },   { 5, "EIO" },
    { 9, "EBADF" },      { 11, "EAGAIN" }, { 12, "ENOMEM" }, { 13, "EACCES" },
    { 14, "EFAULT" },    { 16, "EBUSY" },  { 17, "EEXIST" }, { 19, "ENODEV" },
    { 22, "EINVAL" },    { 28, "ENOSPC" }, { 38, "ENOSYS" }, { 62, "ETIME" },
    { 75, "EOVERFLOW" },
};

static const char *errno_name(int64_t res)
{
    for (size_t i = 0; i < sizeof(xen_errnos) / sizeof(xen_errnos[0]); i++)
        if (-res == xen_errnos[i].e)
            return xen_errnos[i].name;
    return NULL;
}

void pvctl_trace_format(const struct pvc_trace_rec *r, char *out, size_t len)
{
    const uint64_t *a = r->args;
    char nbuf[32], args[160], res[48];
    const char *name =
        r->name[0] ? r->name : pvctl_hypercall_name(r->nr, nbuf, sizeof(nbuf));
    const char *sub = subop_name(r->nr, a[0]);

    switch (r->nr) {
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_event_channel_op:
    case __HYPERVISOR_memory_op:
    case __HYPERVISOR_xen_version:
    case __HYPERVISOR_callback_op:
        if (sub)
            snprintf(args, sizeof(args), "%s, 0x%llx", sub,
                     (unsigned long long)a[1]);
        else
            snprintf(args, sizeof(args), "%llu, 0x%llx",
                     (unsigned long long)a[0], (unsigned long long)a[1]);
        break;
    case __HYPERVISOR_grant_table_op:
        snprintf(args, sizeof(args), "%s%s0x%llx, count=%llu", sub ? sub : "",
                 sub ? ", " : "", (unsigned long long)a[1],
                 (unsigned long long)a[2]);
        break;
    case __HYPERVISOR_vcpu_op:
        snprintf(args, sizeof(args), "%s%s, vcpu=%llu, 0x%llx", sub ? sub : "?",
                 "", (unsigned long long)a[1], (unsigned long long)a[2]);
        break;
    case __HYPERVISOR_console_io:
        snprintf(args, sizeof(args), "%s, len=%llu, 0x%llx", sub ? sub : "?",
                 (unsigned long long)a[1], (unsigned long long)a[2]);
        break;
    case __HYPERVISOR_set_timer_op:
        snprintf(args, sizeof(args), "timeout=%llu", (unsigned long long)a[0]);
        break;
    case __HYPERVISOR_pvisor_notify:
        snprintf(args, sizeof(args), "port=%llu", (unsigned long long)a[0]);
        break;
    case __HYPERVISOR_multicall:
        snprintf(args, sizeof(args), "list=0x%llx, nr=%llu",
                 (unsigned long long)a[0], (unsigned long long)a[1]);
        break;
    case __HYPERVISOR_mmu_update:
    case __HYPERVISOR_mmuext_op:
        snprintf(args, sizeof(args), "0x%llx, count=%llu, domid=0x%llx",
                 (unsigned long long)a[0], (unsigned long long)a[1],
                 (unsigned long long)a[3]);
        break;
    case __HYPERVISOR_update_va_mapping:
        snprintf(args, sizeof(args), "va=0x%llx, pte=0x%llx, flags=0x%llx",
                 (unsigned long long)a[0], (unsigned long long)a[1],
                 (unsigned long long)a[2]);
        break;
    case __HYPERVISOR_iret:
        args[0] = 0;
        break;
    default:
        snprintf(args, sizeof(args), "0x%llx, 0x%llx, 0x%llx",
                 (unsigned long long)a[0], (unsigned long long)a[1],
                 (unsigned long long)a[2]);
        break;
    }
    const char *en = r->result < 0 ? errno_name(r->result) : NULL;
    if (r->result < 0 && r->result > -4096)
        snprintf(res, sizeof(res), "%lld%s%s%s", (long long)r->result,
                 en ? " (" : "", en ? en : "", en ? ")" : "");
    else if (r->result >= 0 && r->result < 1000000)
        snprintf(res, sizeof(res), "%lld", (long long)r->result);
    else
        snprintf(res, sizeof(res), "0x%llx", (unsigned long long)r->result);
    snprintf(out, len, "%12.6f v%u %s%s(%s) = %s  %.1f us", r->time_ns / 1e9,
             r->vcpu, r->in_multicall ? "  multicall> " : "", name, args, res,
             r->latency_ns / 1e3);
}
