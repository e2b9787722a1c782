// SPDX-License-Identifier: MIT
/* cmd_host.c: pvctl info and dmesg. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pvctl.h"

#define DMESG_MAX_ROUNDS 4096 /* bounds a pvisor that never stops */

int pvctl_cmd_info(int argc, char **argv)
{
    struct pvc_host_info hi;
    struct pvc_handle *h;
    struct utsname u;
    int e;

    if (argc != 1)
        return pvctl_usage("info");
    if (pvctl_connect("info", &h))
        return PVCTL_ERR;
    e = pvc_host_info(h, &hi);
    if (e) {
        pvctl_call_failed("info", h, e, "host info");
        pvc_close(h);
        return PVCTL_ERR;
    }
    pvc_close(h);
    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
#define LINE(k, fmt, ...) printf("%-23s: " fmt "\n", k, __VA_ARGS__)
    LINE("host", "%s", u.nodename);
    LINE("release", "%s", u.release);
    LINE("version", "%s", u.version);
    LINE("machine", "%s", u.machine);
    LINE("nr_cpus", "%u", hi.nr_cpus);
    LINE("cpu_mhz", "%llu.%03llu", (unsigned long long)(hi.tsc_khz / 1000),
         (unsigned long long)(hi.tsc_khz % 1000));
    LINE("total_memory", "%llu",
         (unsigned long long)(hi.total_memory_kb >> 10));
    LINE("free_memory", "%llu", (unsigned long long)(hi.free_memory_kb >> 10));
    LINE("xen_major", "%u", hi.xen_major);
    LINE("xen_minor", "%u", hi.xen_minor);
    LINE("xen_version", "%u.%u", hi.xen_major, hi.xen_minor);
    LINE("pvisor_version", "%s", hi.pvisor_version);
    LINE("protocol_version", "%u", hi.protocol_version);
    LINE("platform", "%s", hi.platform);
    LINE("platforms", "%s", hi.platforms);
    LINE("kvm_flavour", "%s", hi.kvm_flavour);
    LINE("kvm_api_version", "%d", hi.kvm_api_version);
    LINE("nr_domains", "%u", hi.nr_domains);
    LINE("pvisor_uptime", "%llu s",
         (unsigned long long)(hi.uptime_ns / 1000000000ull));
    LINE("run_dir", "%s", hi.run_dir);
#undef LINE
    return PVCTL_OK;
}

int pvctl_cmd_dmesg(int argc, char **argv)
{
    struct pvc_handle *h;
    uint64_t off = 0, next;
    bool clear = false;
    int opt, e = 0, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "c")) != -1) {
        if (opt != 'c')
            return pvctl_usage("dmesg");
        clear = true;
    }
    if (optind != argc)
        return pvctl_usage("dmesg");
    if (pvctl_connect("dmesg", &h))
        return PVCTL_ERR;
    for (int round = 0; round < DMESG_MAX_ROUNDS; round++) {
        uint8_t *data;
        size_t len;

        e = pvc_dmesg(h, off, false, &data, &len, &next);
        if (e)
            break;
        if (len && fwrite(data, 1, len, stdout) != len)
            e = -EIO;
        free(data);
        if (e || len == 0 || next <= off)
            break;
        off = next;
    }
    if (!e && clear) {
        uint8_t *data;
        size_t len;

        /* Anything logged since the last read is printed, then dropped. */
        e = pvc_dmesg(h, off, true, &data, &len, &next);
        if (!e && len)
            fwrite(data, 1, len, stdout);
        free(data);
    }
    if (e)
        pvctl_call_failed("dmesg", h, e, "reading pvisor's log");
    else
        rc = PVCTL_OK;
    pvc_close(h);
    return rc;
}
