// SPDX-License-Identifier: MIT
/* dev_vif.c: vif specs, the vif xenstore directories, network-* commands. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "dev_vif.h"
#include "pvctl.h"
#include "xenstore.h"

/* xx:xx:xx:xx:xx:xx, unicast. */
static bool mac_valid(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    /* the low bit of the first octet marks multicast */
    return (strtoul(s, NULL, 16) & 1) == 0;
}

/* a.b.c.d or a.b.c.d/N */
static bool ip_valid(const char *s)
{
    unsigned int a, b, c, d, p = 24;
    char tail;
    int n = sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail);

    if (n != 4 && n != 5)
        return false;
    if (n == 4 && strchr(s, '/'))
        return false;
    for (const char *q = s; *q; q++)
        if (!isdigit((unsigned char)*q) && *q != '.' && *q != '/')
            return false;
    return a < 256 && b < 256 && c < 256 && d < 256 && p >= 1 && p <= 32 &&
           (a | b | c | d) != 0;
}

static bool ifname_valid(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > 15)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

/* The keys whose value is a checked string copied into the spec. */
struct str_key {
    const char *key;
    bool (*valid)(const char *v);
    size_t off, size; /* the field in struct vif_spec */
    const char *want; /* "KEY 'V' is not <want>" */
};

#define STR_KEY(k, fn, want)                        \
    {                                               \
#k, fn, offsetof(struct vif_spec, k),       \
            sizeof(((struct vif_spec *)0)->k), want \
    }
#define IFNAME "an interface name (1..15 of [A-Za-z0-9._-])"

static const struct str_key str_keys[] = {
    STR_KEY(mac, mac_valid, "a unicast xx:xx:xx:xx:xx:xx"),
    STR_KEY(bridge, ifname_valid, IFNAME),
    STR_KEY(ip, ip_valid, "an IPv4 address a.b.c.d or a.b.c.d/N"),
    STR_KEY(vifname, ifname_valid, IFNAME),
};

static const struct str_key *str_key(const char *k)
{
    for (size_t i = 0; i < sizeof(str_keys) / sizeof(str_keys[0]); i++)
        if (!strcmp(k, str_keys[i].key))
            return &str_keys[i];
    return NULL;
}

int vif_parse_spec(const char *spec, struct vif_spec *o, char *err,
                   size_t errlen)
{
    char *copy = strdup(spec);
    int e = 0;

    memset(o, 0, sizeof(*o));
    o->devid = VIF_DEVID_AUTO;
    if (!copy)
        return -ENOMEM;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && !e;
         tok = strtok_r(NULL, ",", &save)) {
        char *kv = pvctl_trim(tok), *eq = strchr(kv, '='), *k, *v;
        if (!*kv)
            continue;
        if (!eq) {
            e = pvctl_spec_fail(err, errlen, "'%s' is not key=value", kv);
            break;
        }
        *eq = '\0';
        k = pvctl_trim(kv);
        v = pvctl_trim(eq + 1);
        const struct str_key *sk = str_key(k);

        if (sk) {
            if (!sk->valid(v))
                e = pvctl_spec_fail(err, errlen, "%s '%s' is not %s", k, v,
                                    sk->want);
            else
                snprintf((char *)o + sk->off, sk->size, "%s", v);
        } else if (!strcmp(k, "devid")) {
            char *end;
            unsigned long x = strtoul(v, &end, 10);
            if (!*v || *end || x > 255)
                e = pvctl_spec_fail(err, errlen, "devid '%s' is not 0..255", v);
            else
                o->devid = (uint32_t)x;
        } else if (!strcmp(k, "type")) {
            if (strcmp(v, "vif") && strcmp(v, "ioemu"))
                e = pvctl_spec_fail(err, errlen,
                                    "type '%s' not supported (vif)", v);
        } else if (!strcmp(k, "backend")) {
            if (strcmp(v, "0") && strcmp(v, "Domain-0"))
                e = pvctl_spec_fail(err, errlen,
                                    "backend '%s' not supported (only "
                                    "dom0's pv-netback)",
                                    v);
        } else if (!strcmp(k, "model") || !strcmp(k, "script")) {
            /* no emulated NICs, no hotplug scripts: pv-netback does it */
        } else {
            e = pvctl_spec_fail(err, errlen,
                                "unknown key '%s' (mac, bridge, ip, "
                                "vifname, devid)",
                                k);
        }
    }
    free(copy);
    return e;
}

int vif_list_from_cfg(const struct cfg *c, struct vif_list *out, char *err,
                      size_t errlen)
{
    char why[256];
    int rc0;
    const struct cfg_entry *e = cfg_get_list(
        c, "vif", VIF_MAX, "[ 'mac=00:16:3e:00:00:02, bridge=pvbr0' ]", err,
        errlen, &rc0);

    out->nr = 0;
    if (!e)
        return rc0;
    for (size_t i = 0; i < e->val.nr_items; i++) {
        struct vif_spec *v = &out->v[out->nr];
        int rc = vif_parse_spec(e->val.items[i], v, why, sizeof(why));
        if (rc == -ENOMEM)
            return rc;
        if (rc)
            return pvctl_spec_fail(err, errlen, "%s:%d: vif: '%s': %s", e->file,
                                   e->line, e->val.items[i], why);
        /* as xl: the list position is the device number */
        if (v->devid == VIF_DEVID_AUTO)
            v->devid = (uint32_t)i;
        for (size_t j = 0; j < out->nr; j++)
            if (out->v[j].devid == v->devid)
                return pvctl_spec_fail(err, errlen,
                                       "%s:%d: vif: devid %u used twice",
                                       e->file, e->line, v->devid);
        out->nr++;
    }
    return 0;
}

int vif_cmdline_add_ip(char **cmdline, const struct vif_list *l)
{
    const char *cl = *cmdline ? *cmdline : "";
    char *n;

    if (!l->nr || !l->v[0].ip[0])
        return 0;
    /* a word starting with ip= wins over the vif's */
    for (const char *p = strstr(cl, "ip="); p; p = strstr(p + 1, "ip="))
        if (p == cl || p[-1] == ' ')
            return 0;
    if (asprintf(&n, "%s%sip=%s%s", cl, *cl ? " " : "", l->v[0].ip,
                 strchr(l->v[0].ip, '/') ? "" : "/24") < 0)
        return -ENOMEM;
    free(*cmdline);
    *cmdline = n;
    return 0;
}

static bool vif_keys(struct xs_handle *xs, uint32_t t, const char *fe,
                     const char *be, const void *arg)
{
    const struct vif_spec *v = arg;
    bool ok = xs_printf_key(xs, t, fe, "handle", "%u", v->devid) &&
              xs_printf_key(xs, t, fe, "mac", "%s", v->mac) &&
              xs_printf_key(xs, t, be, "handle", "%u", v->devid) &&
              xs_printf_key(xs, t, be, "mac", "%s", v->mac) &&
              xs_printf_key(xs, t, be, "bridge", "%s", v->bridge) &&
              xs_printf_key(xs, t, be, "type", "vif");

    if (ok && v->ip[0])
        ok = xs_printf_key(xs, t, be, "ip", "%s", v->ip);
    if (ok && v->vifname[0])
        ok = xs_printf_key(xs, t, be, "vifname", "%s", v->vifname);
    return ok;
}

/* Xen's OUI and three random bytes, as xl picks them. */
static void random_mac(char *out, size_t len)
{
    unsigned char r[3] = { 0 };
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
        unsigned int x = (unsigned int)time(NULL) ^ (unsigned int)getpid();
        r[0] = (unsigned char)x;
        r[1] = (unsigned char)(x >> 8);
        r[2] = (unsigned char)(x >> 16);
    }
    if (fd >= 0)
        close(fd);
    snprintf(out, len, "00:16:3e:%02x:%02x:%02x", r[0] & 0x7f, r[1], r[2]);
}

static uint32_t free_devid(struct xs_handle *xs, uint32_t domid)
{
    char dir[96];
    unsigned int n = 0;
    char **devs;
    uint32_t id = 0;

    snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", domid);
    devs = xs_directory(xs, XBT_NULL, dir, &n);
    for (bool used = true; used && id < 256;) {
        used = false;
        for (unsigned int i = 0; devs && i < n; i++)
            if (strtoul(devs[i], NULL, 10) == id &&
                strspn(devs[i], "0123456789") == strlen(devs[i]))
                used = true;
        if (used)
            id++;
    }
    free(devs);
    return id;
}

int vif_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
               struct vif_spec *v)
{
    char what[32];
    int e;

    if (v->devid == VIF_DEVID_AUTO)
        v->devid = free_devid(xs, domid);
    if (!v->mac[0])
        random_mac(v->mac, sizeof(v->mac));
    snprintf(what, sizeof(what), "vif %u", v->devid);
    e = pvctl_dev_write(cmd, xs, "vif", domid, v->devid, vif_keys, v, what);
    if (e)
        return e;
    if (pvctl_opts.verbose)
        fprintf(stderr, "pvctl: %s: vif %u mac %s bridge %s ip %s\n", cmd,
                v->devid, v->mac, v->bridge[0] ? v->bridge : "-",
                v->ip[0] ? v->ip : "-");
    return 0;
}

void vif_forget_all(struct xs_handle *xs, uint32_t domid)
{
    pvctl_dev_forget_all(xs, domid, "vif");
}

int pvctl_cmd_network_attach(int argc, char **argv)
{
    static const char *const CMD = "network-attach";
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    struct vif_spec v;
    char err[256];
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    if (argc < 2)
        return pvctl_usage(CMD);
    if (vif_parse_spec(argc > 2 ? argv[2] : "", &v, err, sizeof(err))) {
        pvctl_err(CMD, "'%s': %s", argv[2], err);
        return PVCTL_ERR;
    }
    if (pvctl_open_dom_store(CMD, argv[1], &h, &xs, &domid) == 0 &&
        vif_attach(CMD, xs, domid, &v) == 0) {
        printf("%u\n", v.devid);
        rc = PVCTL_OK;
    }
    xs_close(xs);
    pvc_close(h);
    return rc;
}

/* DEV: a devid or a MAC address. */
static int find_dev(struct xs_handle *xs, uint32_t domid, const char *dev,
                    uint32_t *devid)
{
    char dir[96], fe[128];
    unsigned int n = 0;
    char **devs;
    int rc = -ENOENT;

    if (xs_parse_u32(dev, devid))
        return 0;
    snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", domid);
    devs = xs_directory(xs, XBT_NULL, dir, &n);
    for (unsigned int i = 0; devs && i < n && rc; i++) {
        snprintf(fe, sizeof(fe), "%s/%s", dir, devs[i]);
        char *mac = xs_read_key(xs, fe, "mac");
        if (mac && !strcasecmp(mac, dev) && xs_parse_u32(devs[i], devid))
            rc = 0;
        free(mac);
    }
    free(devs);
    return rc;
}

int pvctl_cmd_network_detach(int argc, char **argv)
{
    static const char *const CMD = "network-detach";
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    uint32_t domid, devid;
    char what[96];
    int rc = PVCTL_ERR;

    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    if (argc < 3)
        return pvctl_usage(CMD);
    snprintf(what, sizeof(what), "vif %s", argv[2]);
    if (pvctl_open_dom_store(CMD, argv[1], &h, &xs, &domid))
        goto out;
    if (find_dev(xs, domid, argv[2], &devid)) {
        pvctl_err(CMD, "domain %u has no vif %s", domid, argv[2]);
        goto out;
    }
    if (pvctl_dev_detach(CMD, xs, domid, "vif", devid, what) == 0)
        rc = PVCTL_OK;
out:
    xs_close(xs);
    pvc_close(h);
    return rc;
}

static void network_row(struct xs_handle *xs, const char *dev, const char *fe,
                        const char *be)
{
    char *mac = xs_read_key(xs, fe, "mac");
    char *ifn = be ? xs_read_key(xs, be, "vifname") : NULL;
    char *ip = be ? xs_read_key(xs, be, "ip") : NULL;

    printf("%-3s %-3ld %-17s %-5ld %-6ld %-5ld %-5ld %-8ld %-10s %s %s\n", dev,
           xs_read_key_long(xs, fe, "backend-id", -1), mac ? mac : "-",
           xs_read_key_long(xs, fe, "state", -1),
           xs_read_key_long(xs, fe, "event-channel", -1),
           xs_read_key_long(xs, fe, "tx-ring-ref", -1),
           xs_read_key_long(xs, fe, "rx-ring-ref", -1),
           be ? xs_read_key_long(xs, be, "state", -1) : -1, ifn ? ifn : "-",
           ip ? ip : "-", be ? be : "-");
    free(mac);
    free(ifn);
    free(ip);
}

int pvctl_cmd_network_list(int argc, char **argv)
{
    char header[160];

    snprintf(header, sizeof(header),
             "%-3s %-3s %-17s %-5s %-6s %-5s %-5s %-8s %-10s %s %s\n", "Idx",
             "BE", "Mac Addr.", "state", "evt-ch", "tx-rr", "rx-rr", "BE-state",
             "vifname", "ip", "BE-path");
    return pvctl_dev_list("network-list", argc, argv, "vif", header,
                          network_row);
}
