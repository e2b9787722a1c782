// SPDX-License-Identifier: MIT
/* cmd_mem.c: pvctl mem-set and mem-max (ballooning). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "pvctl_obs.h"
#include "xenstore.h"

int pvctl_parse_memsize(const char *s, uint64_t *kb, char *err, size_t errlen)
{
    char *end;
    unsigned long long v;
    uint64_t mul;

    if (!s || *s < '0' || *s > '9') {
        snprintf(err, errlen, "memory size \"%s\" is not a number", s ? s : "");
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    switch (*end) {
    case '\0':
    case 'm':
    case 'M':
        mul = 1024;
        break;
    case 'k':
    case 'K':
        mul = 1;
        break;
    case 'g':
    case 'G':
        mul = 1024 * 1024;
        break;
    default:
        mul = 0;
        break;
    }
    if (mul == 0 || (*end && end[1])) {
        snprintf(err, errlen,
                 "memory size \"%s\": want a number with an optional k, m "
                 "or g suffix (no suffix: MiB)",
                 s);
        return -EINVAL;
    }
    if (errno || v > (1ULL << 40) / mul) {
        snprintf(err, errlen, "memory size \"%s\" is too large", s);
        return -EINVAL;
    }
    *kb = v * mul;
    if (*kb % 4) {
        snprintf(err, errlen, "memory size \"%s\" is not a multiple of 4 KiB",
                 s);
        return -EINVAL;
    }
    return 0;
}

/* The one domain DOM names; prints why not. */
static int one_domain(const char *cmd, struct pvc_handle *h, const char *dom,
                      struct pvc_domain_info *out)
{
    struct pvc_domain_info *d;
    uint32_t domid;
    size_t nr;
    int e;

    if (pvctl_resolve(cmd, h, dom, &domid))
        return -ESRCH;
    if (domid == 0) {
        pvctl_err(cmd, "Domain-0 is the host; pvisor does not balloon it");
        return -EINVAL;
    }
    e = pvc_domain_list(h, domid, &d, &nr);
    if (e) {
        pvctl_call_failed(cmd, h, e, dom);
        return e;
    }
    if (nr != 1) {
        pvc_domain_info_free(d, nr);
        pvctl_err(cmd, "%s: no such domain", dom);
        return -ESRCH;
    }
    *out = d[0];
    free(d);
    return 0;
}

int pvctl_cmd_mem_set(int argc, char **argv)
{
    struct pvc_domain_info d = { 0 };
    struct pvc_handle *h;
    struct xs_handle *xs = NULL;
    char err[256], dir[64];
    uint64_t kb;
    int rc = PVCTL_ERR;

    if (argc != 3)
        return pvctl_usage("mem-set");
    if (pvctl_parse_memsize(argv[2], &kb, err, sizeof(err))) {
        pvctl_err("mem-set", "%s", err);
        return PVCTL_ERR;
    }
    if (pvctl_connect("mem-set", &h))
        return PVCTL_ERR;
    if (one_domain("mem-set", h, argv[1], &d))
        goto out;
    if (kb > d.max_memory_kb || kb < 1024) {
        pvctl_err("mem-set",
                  "%s: target %llu KiB out of range 1024..%llu KiB (mem-max)",
                  argv[1], (unsigned long long)kb,
                  (unsigned long long)d.max_memory_kb);
        goto out;
    }
    xs = pvctl_xs_open("mem-set", false);
    if (!xs) {
        pvctl_err("mem-set", "needs xenstore, where the guest's balloon "
                             "driver reads memory/target; pvstored is not "
                             "running");
        goto out;
    }
    snprintf(dir, sizeof(dir), "/local/domain/%u", d.domid);
    if (!xs_printf_key(xs, XBT_NULL, dir, "memory/target", "%llu",
                       (unsigned long long)kb)) {
        pvctl_err("mem-set", "writing %s/memory/target: %s", dir,
                  strerror(errno));
        goto out;
    }
    rc = PVCTL_OK;
out:
    if (xs)
        xs_close(xs);
    pvc_domain_info_clear(&d);
    pvc_close(h);
    return rc;
}

int pvctl_cmd_mem_max(int argc, char **argv)
{
    struct pvc_domain_info d = { 0 };
    struct pvc_handle *h;
    char err[256];
    uint64_t kb;
    int e, rc = PVCTL_ERR;

    if (argc != 3)
        return pvctl_usage("mem-max");
    if (pvctl_parse_memsize(argv[2], &kb, err, sizeof(err))) {
        pvctl_err("mem-max", "%s", err);
        return PVCTL_ERR;
    }
    if (pvctl_connect("mem-max", &h))
        return PVCTL_ERR;
    if (one_domain("mem-max", h, argv[1], &d))
        goto out;
    e = pvc_mem_max(h, d.domid, kb);
    if (e) {
        pvctl_call_failed("mem-max", h, e, argv[1]);
        goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_domain_info_clear(&d);
    pvc_close(h);
    return rc;
}
