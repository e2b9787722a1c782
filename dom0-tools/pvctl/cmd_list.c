// SPDX-License-Identifier: MIT
/* cmd_list.c: pvctl list and uptime. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"

/* Collects the domains named on the command line, or all of them. */
static int collect(const char *cmd, struct pvc_handle *h, int nr_doms,
                   char **doms, struct pvc_domain_info **out, size_t *nr)
{
    struct pvc_domain_info *all = NULL, *one;
    size_t n_all = 0, n_one;
    uint32_t domid;
    int e;

    if (nr_doms == 0) {
        e = pvc_domain_list(h, PVC_DOMID_ALL, out, nr);
        if (e)
            pvctl_call_failed(cmd, h, e, "listing domains");
        return e;
    }
    all = calloc((size_t)nr_doms, sizeof(*all));
    if (!all)
        return -ENOMEM;
    for (int i = 0; i < nr_doms; i++) {
        e = pvctl_resolve(cmd, h, doms[i], &domid);
        if (!e) {
            e = pvc_domain_list(h, domid, &one, &n_one);
            if (!e && n_one != 1) {
                pvc_domain_info_free(one, n_one);
                e = -ESRCH;
                pvctl_err(cmd, "%s: no such domain", doms[i]);
            } else if (e) {
                pvctl_call_failed(cmd, h, e, doms[i]);
            }
        }
        if (e) {
            pvc_domain_info_free(all, n_all);
            return e;
        }
        all[n_all++] = one[0]; /* moves the owned pointers */
        free(one);
    }
    *out = all;
    *nr = n_all;
    return 0;
}

static void print_long(const struct pvc_domain_info *d)
{
    printf("domid: %u\nname: %s\nstate: %s\n", d->domid, d->name,
           pvc_state_name(d->state));
    if (d->state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN)
        printf("shutdown_reason: %s\nshutdown_code: %u\n",
               pvc_shutdown_reason_name(d->shutdown_reason), d->shutdown_code);
    printf("memory_kb: %llu\nhost_memory_kb: %llu\nvcpus: %u\n"
           "vcpus_online: %u\ncpu_time: %.3f s\nuptime: %.3f s\n"
           "on_poweroff: %s\non_reboot: %s\non_crash: %s\nrestarts: %u\n"
           "built: %s\n",
           (unsigned long long)d->memory_kb,
           (unsigned long long)d->host_memory_kb, d->vcpus, d->vcpus_online,
           d->cpu_time_ns / 1e9, d->uptime_ns / 1e9,
           pvc_action_name(d->on_poweroff), pvc_action_name(d->on_reboot),
           pvc_action_name(d->on_crash), d->restarts, d->built ? "yes" : "no");
    printf("current_memory_kb: %llu\nmax_memory_kb: %llu\n",
           (unsigned long long)d->current_memory_kb,
           (unsigned long long)d->max_memory_kb);
    if (d->platform[0])
        printf("platform: %s\n", d->platform);
    for (size_t i = 0; i < d->nr_vcpu; i++) {
        const struct pvc_vcpu_info *v = &d->vcpu[i];
        printf("vcpu %u: online %s, blocked %s, cpu_time %.3f s, "
               "hypercalls %llu, exits %llu, upcalls %llu, traps %llu\n",
               v->id, v->online ? "yes" : "no", v->blocked ? "yes" : "no",
               v->cpu_time_ns / 1e9, (unsigned long long)v->hypercalls,
               (unsigned long long)v->exits, (unsigned long long)v->upcalls,
               (unsigned long long)v->traps);
    }
    if (d->nr_hc) {
        printf("hypercall_counts:");
        for (size_t i = 0; i < d->nr_hc; i++)
            printf("%s %s=%llu", i ? "," : "",
                   d->hc[i].name[0] ? d->hc[i].name : "unknown",
                   (unsigned long long)d->hc[i].count);
        printf("\n");
    }
    if (*d->crash_report) {
        const char *p = d->crash_report;
        printf("crash_report:\n");
        while (*p) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            printf("    %.*s\n", len, p);
            p += len + (nl ? 1 : 0);
        }
    }
}

int pvctl_cmd_list(int argc, char **argv)
{
    struct pvc_domain_info *d = NULL;
    struct pvc_handle *h;
    bool lng = false;
    size_t nr = 0;
    int opt, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "l")) != -1) {
        if (opt != 'l')
            return pvctl_usage("list");
        lng = true;
    }
    if (pvctl_connect("list", &h))
        return PVCTL_ERR;
    if (collect("list", h, argc - optind, argv + optind, &d, &nr))
        goto out;
    if (!lng)
        printf("Name                                        ID   Mem VCPUs"
               "\tState\tTime(s)\n");
    for (size_t i = 0; i < nr; i++) {
        char st[7];

        if (lng) {
            printf("%s", i ? "\n" : "");
            print_long(&d[i]);
            continue;
        }
        pvctl_state_string(d[i].state, st);
        printf("%-40s %5u %5lu %5u     %s %8.1f\n", d[i].name, d[i].domid,
               (unsigned long)(d[i].memory_kb / 1024), d[i].vcpus_online, st,
               d[i].cpu_time_ns / 1e9);
    }
    rc = PVCTL_OK;
out:
    pvc_domain_info_free(d, nr);
    pvc_close(h);
    return rc;
}

int pvctl_cmd_uptime(int argc, char **argv)
{
    struct pvc_domain_info *d = NULL;
    struct pvc_handle *h;
    size_t nr = 0;
    int rc = PVCTL_ERR;

    if (pvctl_connect("uptime", &h))
        return PVCTL_ERR;
    if (collect("uptime", h, argc - 1, argv + 1, &d, &nr))
        goto out;
    printf("Name                                ID Uptime\n");
    for (size_t i = 0; i < nr; i++) {
        unsigned long long s = d[i].uptime_ns / 1000000000ull;
        unsigned long long days = s / 86400;

        printf("%-33s %4u ", d[i].name, d[i].domid);
        if (days)
            printf("%llu day%s, ", days, days == 1 ? "" : "s");
        printf("%2llu:%02llu:%02llu\n", s / 3600 % 24, s / 60 % 60, s % 60);
    }
    rc = PVCTL_OK;
out:
    pvc_domain_info_free(d, nr);
    pvc_close(h);
    return rc;
}
