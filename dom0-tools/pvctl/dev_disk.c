// SPDX-License-Identifier: MIT
/* dev_disk.c: disk specs, the vbd xenstore directories, block-* commands. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "dev_disk.h"
#include "pvctl.h"
#include "xenstore.h"

/* Bijective base-26 letters ("a" 0, "z" 25, "aa" 26); *end after them. */
static int64_t letters_index(const char *s, const char **end)
{
    int64_t idx = 0;
    const char *p = s;

    while (*p >= 'a' && *p <= 'z' && p - s < 4) {
        idx = idx * 26 + (*p - 'a' + 1);
        p++;
    }
    *end = p;
    return p == s ? -1 : idx - 1;
}

int64_t disk_vdev_to_devid(const char *vdev)
{
    const char *p;
    int64_t idx, part = 0;
    char *end;

    if (isdigit((unsigned char)vdev[0])) {
        long long v = strtoll(vdev, &end, 10);
        return *end || v <= 0 || v >= (1LL << 30) ? -EINVAL : v;
    }
    if (!strncmp(vdev, "xvd", 3) || !strncmp(vdev, "sd", 2) ||
        !strncmp(vdev, "hd", 2)) {
        bool xvd = vdev[0] == 'x';
        idx = letters_index(vdev + (xvd ? 3 : 2), &p);
        if (idx < 0)
            return -EINVAL;
        if (*p) {
            if (!isdigit((unsigned char)*p))
                return -EINVAL;
            part = strtoll(p, &end, 10);
            if (*end || part > 255)
                return -EINVAL;
        }
        if (vdev[0] == 'h') {
            if (idx > 3 || part > 63)
                return -EINVAL;
            return ((idx < 2 ? 3 : 22) << 8) | ((idx & 1) << 6) | part;
        }
        if (idx < 16 && part < 16)
            return ((xvd ? 202 : 8) << 8) | (idx << 4) | part;
        if (idx >= (1 << 20))
            return -EINVAL;
        return (1LL << 28) | (idx << 8) | part;
    }
    return -EINVAL;
}

static int set_access(struct disk_spec *o, const char *v, char *err,
                      size_t errlen)
{
    if (!strcmp(v, "rw") || !strcmp(v, "w"))
        o->readonly = false;
    else if (!strcmp(v, "ro") || !strcmp(v, "r"))
        o->readonly = true;
    else
        return pvctl_spec_fail(err, errlen, "access '%s' is not rw or ro", v);
    return 0;
}

static int set_vdev(struct disk_spec *o, const char *v, char *err,
                    size_t errlen)
{
    int64_t id = disk_vdev_to_devid(v);

    if (id < 0 || strlen(v) >= sizeof(o->vdev))
        return pvctl_spec_fail(err, errlen,
                               "vdev '%s' is not a disk name like xvda", v);
    snprintf(o->vdev, sizeof(o->vdev), "%s", v);
    o->devid = (uint32_t)id;
    return 0;
}

int disk_parse_spec(const char *spec, struct disk_spec *o, char *err,
                    size_t errlen)
{
    char *copy = strdup(spec), *p, *target = NULL;
    int pos = 0, e = 0;

    memset(o, 0, sizeof(*o));
    if (!copy)
        return -ENOMEM;
    /* target= swallows the rest, commas included */
    p = strstr(copy, "target=");
    if (p && (p == copy || p[-1] == ',' || isspace((unsigned char)p[-1]))) {
        target = pvctl_trim(p + 7);
        *p = '\0';
    }
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && !e;
         tok = strtok_r(NULL, ",", &save)) {
        char *kv = pvctl_trim(tok), *eq = strchr(kv, '=');
        if (!*kv)
            continue;
        if (eq) {
            *eq = '\0';
            char *k = pvctl_trim(kv), *v = pvctl_trim(eq + 1);
            if (!strcmp(k, "format")) {
                if (strcmp(v, "raw"))
                    e = pvctl_spec_fail(err, errlen,
                                        "format '%s' not supported (only "
                                        "raw)",
                                        v);
            } else if (!strcmp(k, "vdev")) {
                e = set_vdev(o, v, err, errlen);
            } else if (!strcmp(k, "access")) {
                e = set_access(o, v, err, errlen);
            } else if (!strcmp(k, "devtype")) {
                if (strcmp(v, "disk"))
                    e = pvctl_spec_fail(err, errlen,
                                        "devtype '%s' not supported", v);
            } else if (!strcmp(k, "backend") || !strcmp(k, "backendtype") ||
                       !strcmp(k, "script")) {
                /* dom0's pv-blkback serves every disk */
            } else {
                e = pvctl_spec_fail(err, errlen, "unknown key '%s'", k);
            }
            continue;
        }
        /* positional: target, format, vdev, access */
        switch (pos++) {
        case 0:
            if (!target)
                target = kv;
            else
                e = pvctl_spec_fail(err, errlen, "target given twice");
            break;
        case 1:
            if (strcmp(kv, "raw") && strcmp(kv, "aio") && strcmp(kv, "file") &&
                strcmp(kv, "phy"))
                e = pvctl_spec_fail(err, errlen,
                                    "format '%s' not supported (only "
                                    "raw)",
                                    kv);
            break;
        case 2:
            e = set_vdev(o, kv, err, errlen);
            break;
        case 3:
            e = set_access(o, kv, err, errlen);
            break;
        default:
            e = pvctl_spec_fail(err, errlen,
                                "too many positional values at '%s'", kv);
        }
    }
    if (!e && !o->vdev[0])
        e = pvctl_spec_fail(err, errlen, "no vdev (e.g. vdev=xvda)");
    if (!e && (!target || !*target))
        e = pvctl_spec_fail(err, errlen, "no target (target=PATH)");
    if (!e) {
        const char *t = target;
        if (!strncmp(t, "aio:", 4) || !strncmp(t, "phy:", 4) ||
            !strncmp(t, "file:", 5))
            t = strchr(t, ':') + 1;
        o->target = strdup(t);
        if (!o->target)
            e = -ENOMEM;
    }
    free(copy);
    return e;
}

void disk_list_free(struct disk_list *l)
{
    for (size_t i = 0; i < l->nr; i++)
        free(l->d[i].target);
    l->nr = 0;
}

int disk_list_from_cfg(const struct cfg *c, struct disk_list *out, char *err,
                       size_t errlen)
{
    char why[256];
    int rc0;
    const struct cfg_entry *e =
        cfg_get_list(c, "disk", DISK_MAX, "[ 'vdev=xvda, target=disk.img' ]",
                     err, errlen, &rc0);

    out->nr = 0;
    if (!e)
        return rc0;
    for (size_t i = 0; i < e->val.nr_items; i++) {
        struct disk_spec *d = &out->d[out->nr];
        int rc = disk_parse_spec(e->val.items[i], d, why, sizeof(why));
        if (rc) {
            disk_list_free(out);
            if (rc == -ENOMEM)
                return rc;
            return pvctl_spec_fail(err, errlen, "%s:%d: disk: '%s': %s",
                                   e->file, e->line, e->val.items[i], why);
        }
        /* relative targets are relative to the config file */
        if (d->target[0] != '/' && e->from_file && c->dir &&
            strcmp(c->dir, ".")) {
            char *abs;
            if (asprintf(&abs, "%s/%s", c->dir, d->target) < 0) {
                free(d->target);
                disk_list_free(out);
                return -ENOMEM;
            }
            free(d->target);
            d->target = abs;
        }
        out->nr++;
        for (size_t j = 0; j + 1 < out->nr; j++)
            if (out->d[j].devid == d->devid) {
                int line = e->line;
                char vdev[32];
                snprintf(vdev, sizeof(vdev), "%s", d->vdev);
                disk_list_free(out);
                return pvctl_spec_fail(err, errlen,
                                       "%s:%d: disk: vdev %s used twice",
                                       e->file, line, vdev);
            }
    }
    return 0;
}

static bool disk_keys(struct xs_handle *xs, uint32_t t, const char *fe,
                      const char *be, const void *arg)
{
    const struct disk_spec *d = arg;

    return xs_printf_key(xs, t, fe, "virtual-device", "%u", d->devid) &&
           xs_printf_key(xs, t, fe, "device-type", "disk") &&
           xs_printf_key(xs, t, be, "params", "%s", d->target) &&
           xs_printf_key(xs, t, be, "type", "phy") &&
           xs_printf_key(xs, t, be, "mode", "%s", d->readonly ? "r" : "w") &&
           xs_printf_key(xs, t, be, "dev", "%s", d->vdev) &&
           xs_printf_key(xs, t, be, "device-type", "disk") &&
           xs_printf_key(xs, t, be, "removable", "0") &&
           xs_printf_key(xs, t, be, "bootable", "1") &&
           xs_printf_key(xs, t, be, "discard-enable", "1");
}

int disk_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                const struct disk_spec *d)
{
    char what[64];
    struct stat st;
    int e;

    if (stat(d->target, &st) < 0) {
        e = errno;
        pvctl_err(cmd, "disk %s: %s: %s", d->vdev, d->target, strerror(e));
        return -e;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        pvctl_err(cmd, "disk %s: %s: not a file or block device", d->vdev,
                  d->target);
        return -EINVAL;
    }
    snprintf(what, sizeof(what), "disk %s (device %u)", d->vdev, d->devid);
    e = pvctl_dev_write(cmd, xs, "vbd", domid, d->devid, disk_keys, d, what);
    if (e)
        return e;
    if (pvctl_opts.verbose)
        fprintf(stderr, "pvctl: %s: disk %s (%u) -> %s%s\n", cmd, d->vdev,
                d->devid, d->target, d->readonly ? " (read-only)" : "");
    return 0;
}

void disk_forget_all(struct xs_handle *xs, uint32_t domid)
{
    pvctl_dev_forget_all(xs, domid, "vbd");
}

int pvctl_cmd_block_attach(int argc, char **argv)
{
    static const char *const CMD = "block-attach";
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    struct disk_spec d = { 0 };
    char err[256];
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    if (argc < 3)
        return pvctl_usage(CMD);
    if (disk_parse_spec(argv[2], &d, err, sizeof(err))) {
        pvctl_err(CMD, "'%s': %s", argv[2], err);
        return PVCTL_ERR;
    }
    if (pvctl_open_dom_store(CMD, argv[1], &h, &xs, &domid) == 0 &&
        disk_attach(CMD, xs, domid, &d) == 0)
        rc = PVCTL_OK;
    free(d.target);
    xs_close(xs);
    pvc_close(h);
    return rc;
}

int pvctl_cmd_block_detach(int argc, char **argv)
{
    static const char *const CMD = "block-detach";
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    char what[96];
    int64_t devid;
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    if (argc < 3)
        return pvctl_usage(CMD);
    snprintf(what, sizeof(what), "block device %s", argv[2]);
    devid = disk_vdev_to_devid(argv[2]);
    if (devid < 0) {
        pvctl_err(CMD, "'%s' is not a device name or number", argv[2]);
        return PVCTL_ERR;
    }
    if (pvctl_open_dom_store(CMD, argv[1], &h, &xs, &domid) == 0 &&
        pvctl_dev_detach(CMD, xs, domid, "vbd", (uint32_t)devid, what) == 0)
        rc = PVCTL_OK;
    xs_close(xs);
    pvc_close(h);
    return rc;
}

static void block_row(struct xs_handle *xs, const char *dev, const char *fe,
                      const char *be)
{
    printf("%-10s %-3ld %-6s %-5ld %-6ld %-8ld %-8ld %s\n", dev,
           xs_read_key_long(xs, fe, "backend-id", -1), dev,
           xs_read_key_long(xs, fe, "state", -1),
           xs_read_key_long(xs, fe, "event-channel", -1),
           xs_read_key_long(xs, fe, "ring-ref", -1),
           be ? xs_read_key_long(xs, be, "state", -1) : -1, be ? be : "-");
}

int pvctl_cmd_block_list(int argc, char **argv)
{
    char header[128];

    snprintf(header, sizeof(header), "%-10s %-3s %-6s %-5s %-6s %-8s %-8s %s\n",
             "Vdev", "BE", "handle", "state", "evt-ch", "ring-ref", "BE-state",
             "BE-path");
    return pvctl_dev_list("block-list", argc, argv, "vbd", header, block_row);
}
