// SPDX-License-Identifier: MIT
/* cmd_vcpu.c: pvctl vcpu-list, vcpu-pin and sched-credit. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "pvctl_obs.h"
#include "xenstore.h"

/* The host CPU a thread last ran on (/proc/TID/stat field 39), or -1. */
static int thread_cpu(uint32_t tid)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    int cpu = -1;

    if (!tid)
        return -1;
    snprintf(path, sizeof(path), "/proc/%u/stat", tid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name, which may hold spaces: from ") ". */
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 39; field++)
        p = strchr(p + 1, ' ');
    if (p)
        cpu = atoi(p + 1);
    return cpu;
}

/* "all" or a compact list such as 0-3,6. */
static void affinity_string(const struct pvc_vcpu_info *v, char *out,
                            size_t len)
{
    size_t pos = 0;
    int start = -1;

    if (v->affinity_all) {
        snprintf(out, len, "all");
        return;
    }
    out[0] = 0;
    for (int c = 0; c <= 1024 && pos < len; c++) {
        bool on = c < 1024 && (v->affinity[c / 64] >> (c % 64)) & 1;
        if (on && start < 0)
            start = c;
        if (!on && start >= 0) {
            int n = start == c - 1 ? snprintf(out + pos, len - pos, "%s%d",
                                              pos ? "," : "", start)
                                   : snprintf(out + pos, len - pos, "%s%d-%d",
                                              pos ? "," : "", start, c - 1);
            pos += n > 0 ? (size_t)n : 0;
            start = -1;
        }
    }
}

static int list_doms(const char *cmd, struct pvc_handle *h, int n, char **doms,
                     struct pvc_domain_info **d, size_t *nr)
{
    struct pvc_domain_info *all;
    int e;

    if (n == 0) {
        e = pvc_domain_list(h, PVC_DOMID_ALL, d, nr);
        if (e)
            pvctl_call_failed(cmd, h, e, "listing domains");
        return e;
    }
    all = calloc((size_t)n, sizeof(*all));
    if (!all)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        struct pvc_domain_info *one;
        size_t n_one;
        uint32_t domid;

        e = pvctl_resolve(cmd, h, doms[i], &domid);
        if (!e && (e = pvc_domain_list(h, domid, &one, &n_one)) != 0)
            pvctl_call_failed(cmd, h, e, doms[i]);
        if (!e && n_one != 1) {
            pvc_domain_info_free(one, n_one);
            pvctl_err(cmd, "%s: no such domain", doms[i]);
            e = -ESRCH;
        }
        if (e) {
            pvc_domain_info_free(all, (size_t)i);
            return e;
        }
        all[i] = one[0];
        free(one);
    }
    *d = all;
    *nr = (size_t)n;
    return 0;
}

int pvctl_cmd_vcpu_list(int argc, char **argv)
{
    struct pvc_domain_info *d = NULL;
    struct pvc_handle *h;
    size_t nr = 0;
    int rc = PVCTL_ERR;

    if (argc > 1 && argv[1][0] == '-')
        return pvctl_usage("vcpu-list");
    if (pvctl_connect("vcpu-list", &h))
        return PVCTL_ERR;
    if (list_doms("vcpu-list", h, argc - 1, argv + 1, &d, &nr))
        goto out;
    printf("%-24s %5s %4s %7s %4s %5s %9s %11s %11s  %s\n", "Name", "ID",
           "VCPU", "TID", "CPU", "State", "Time(s)", "Hypercalls", "Exits",
           "Affinity");
    for (size_t i = 0; i < nr; i++) {
        if (d[i].domid == 0)
            continue; /* dom0 is the host: no vCPU threads of pvisor */
        for (size_t j = 0; j < d[i].nr_vcpu; j++) {
            const struct pvc_vcpu_info *v = &d[i].vcpu[j];
            char aff[256], cpu[16] = "-";
            const char *st;
            int c = thread_cpu(v->tid);

            if (c >= 0 && v->online)
                snprintf(cpu, sizeof(cpu), "%d", c);
            if (!v->online)
                st = "-";
            else if (d[i].state == PVMGMT__DOMAIN_STATE__STATE_PAUSED)
                st = "p";
            else if (v->blocked)
                st = "b";
            else
                st = "r";
            affinity_string(v, aff, sizeof(aff));
            printf("%-24s %5u %4u %7u %4s %5s %9.1f %11llu %11llu  %s\n",
                   d[i].name, d[i].domid, v->id, v->tid, cpu, st,
                   v->cpu_time_ns / 1e9, (unsigned long long)v->hypercalls,
                   (unsigned long long)v->exits, aff);
        }
    }
    rc = PVCTL_OK;
out:
    pvc_domain_info_free(d, nr);
    pvc_close(h);
    return rc;
}

int pvctl_cmd_vcpu_pin(int argc, char **argv)
{
    uint32_t cpus[1024], vcpu, domid;
    struct pvc_handle *h;
    size_t ncpu = 0;
    char err[256];
    int e, rc = PVCTL_ERR;

    if (argc == 5) {
        pvctl_err("vcpu-pin",
                  "soft affinity (%s) is not supported: pvisor "
                  "pins vCPU threads with hard affinity only",
                  argv[4]);
        return PVCTL_ERR;
    }
    if (argc != 4)
        return pvctl_usage("vcpu-pin");
    if (pvctl_parse_vcpu(argv[2], &vcpu, err, sizeof(err)) ||
        pvctl_parse_cpulist(argv[3], cpus, 1024, &ncpu, err, sizeof(err))) {
        pvctl_err("vcpu-pin", "%s", err);
        return PVCTL_ERR;
    }
    if (pvctl_connect("vcpu-pin", &h))
        return PVCTL_ERR;
    if (pvctl_resolve("vcpu-pin", h, argv[1], &domid))
        goto out;
    if (domid == 0) {
        pvctl_err("vcpu-pin", "Domain-0 is the host; pin its processes with "
                              "taskset");
        goto out;
    }
    e = pvc_vcpu_pin(h, domid, vcpu, cpus, ncpu);
    if (e) {
        pvctl_call_failed("vcpu-pin", h, e, argv[1]);
        goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_sched_credit(int argc, char **argv)
{
    const char *dom = NULL;
    unsigned long w = 0, cap = 0;
    long set_w = -1, set_cap = -1;
    struct pvc_domain_info *d = NULL;
    struct pvc_handle *h;
    size_t nr = 0;
    char err[256];
    int opt, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "d:w:c:")) != -1) {
        switch (opt) {
        case 'd':
            dom = optarg;
            break;
        case 'w':
            if (pvctl_parse_range("weight", optarg, 1, 10000, &w, err,
                                  sizeof(err))) {
                pvctl_err("sched-credit", "%s", err);
                return PVCTL_ERR;
            }
            set_w = (long)w;
            break;
        case 'c':
            if (pvctl_parse_range("cap", optarg, 0, 100 * 1024, &cap, err,
                                  sizeof(err))) {
                pvctl_err("sched-credit", "%s", err);
                return PVCTL_ERR;
            }
            set_cap = (long)cap;
            break;
        default:
            return pvctl_usage("sched-credit");
        }
    }
    if (optind != argc)
        return pvctl_usage("sched-credit");
    if (!dom && (set_w >= 0 || set_cap >= 0)) {
        pvctl_err("sched-credit", "-w and -c need a domain (-d DOM)");
        return PVCTL_ERR;
    }
    if (pvctl_connect("sched-credit", &h))
        return PVCTL_ERR;
    if (set_w >= 0 || set_cap >= 0) {
        uint32_t domid, wo, co;
        char cg[512];
        int e;

        if (pvctl_resolve("sched-credit", h, dom, &domid))
            goto out;
        if (domid == 0) {
            pvctl_err("sched-credit", "Domain-0 is the host; pvisor does not "
                                      "schedule it");
            goto out;
        }
        e = pvc_sched_credit(h, domid, set_w, set_cap, &wo, &co, cg,
                             sizeof(cg));
        if (e) {
            pvctl_call_failed("sched-credit", h, e, dom);
            goto out;
        }
        if (pvctl_opts.verbose)
            printf("d%u: weight %u, cap %u (cgroup %s)\n", domid, wo, co, cg);
        rc = PVCTL_OK;
        goto out;
    }
    if (list_doms("sched-credit", h, dom ? 1 : 0, (char **)&dom, &d, &nr))
        goto out;
    printf("%-32s %5s %6s %4s\n", "Name", "ID", "Weight", "Cap");
    for (size_t i = 0; i < nr; i++) {
        if (d[i].domid == 0)
            continue;
        printf("%-32s %5u %6u %4u\n", d[i].name, d[i].domid,
               d[i].sched_weight ? d[i].sched_weight : 256, d[i].sched_cap);
    }
    rc = PVCTL_OK;
out:
    pvc_domain_info_free(d, nr);
    pvc_close(h);
    return rc;
}

struct avail {
    uint32_t domid, nr, online;
};

static bool write_avail(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    const struct avail *a = arg;
    char dir[64];

    snprintf(dir, sizeof(dir), "/local/domain/%u", a->domid);
    for (uint32_t i = 0; i < a->nr; i++) {
        char key[40];
        snprintf(key, sizeof(key), "cpu/%u/availability", i);
        if (!xs_printf_key(xs, t, dir, key, "%s",
                           i < a->online ? "online" : "offline"))
            return false;
    }
    return true;
}

int pvctl_cmd_vcpu_set(int argc, char **argv)
{
    struct pvc_domain_info *d = NULL;
    struct xs_handle *xs = NULL;
    struct pvc_handle *h;
    struct avail a;
    unsigned long n;
    size_t nr = 0;
    char err[256];
    int rc = PVCTL_ERR;

    if (argc != 3)
        return pvctl_usage("vcpu-set");
    if (pvctl_parse_range("vCPU count", argv[2], 1, 4096, &n, err,
                          sizeof(err))) {
        pvctl_err("vcpu-set", "%s", err);
        return PVCTL_ERR;
    }
    if (pvctl_connect("vcpu-set", &h))
        return PVCTL_ERR;
    if (list_doms("vcpu-set", h, 1, argv + 1, &d, &nr))
        goto out;
    if (d[0].domid == 0) {
        pvctl_err("vcpu-set", "Domain-0 is the host; pvisor does not "
                              "hot-plug its CPUs");
        goto out;
    }
    if (n > d[0].vcpus) {
        pvctl_err("vcpu-set",
                  "%s: %lu vCPUs asked, the domain has %u (its maximum, "
                  "set at creation)",
                  argv[1], n, d[0].vcpus);
        goto out;
    }
    xs = pvctl_xs_open("vcpu-set", false);
    if (!xs) {
        pvctl_err("vcpu-set", "needs xenstore, where the guest reads "
                              "cpu/N/availability; pvstored is not running");
        goto out;
    }
    a = (struct avail){ d[0].domid, d[0].vcpus, (uint32_t)n };
    int e = xs_transaction_run(xs, write_avail, &a);
    if (e != 0) {
        pvctl_err("vcpu-set", "writing cpu/N/availability of %s: %s", argv[1],
                  strerror(e));
        goto out;
    }
    rc = PVCTL_OK;
out:
    if (xs)
        xs_close(xs);
    pvc_domain_info_free(d, nr);
    pvc_close(h);
    return rc;
}
