// SPDX-License-Identifier: MIT
/* be_xs.c: xenstore helpers shared by the backends. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_common.h"
#include "be_xs.h"
#include "pvctrl.h"

int be_xs_online(struct xs_handle *xs, const char *dir)
{
    long v = xs_read_key_long(xs, dir, "online", -1);
    unsigned int len;
    void *node;

    if (v != -1)
        return v != 0;
    errno = 0;
    node = xs_read(xs, XBT_NULL, dir, &len);
    if (!node && errno == ENOENT)
        return -1;
    free(node);
    return 1; /* another error: assume it is still there */
}

bool be_xs_watch_root(struct xs_handle *xs, const char *root, const char *token)
{
    return xs_mkdir(xs, XBT_NULL, root) && xs_watch(xs, root, token) &&
           xs_watch(xs, "@releaseDomain", "release");
}

bool be_xs_watches_fired(struct xs_handle *xs, bool *released)
{
    bool any = false;
    char **w;

    while ((w = xs_check_watch(xs))) {
        if (!strcmp(w[XS_WATCH_TOKEN], "release"))
            *released = true;
        any = true;
        free(w);
    }
    return any;
}

static bool only_set;
static uint32_t only_domid;

void be_scan_only_domain(uint32_t domid)
{
    only_set = true;
    only_domid = domid;
}

bool be_xs_watch_domain(struct xs_handle *xs, const char *root, uint32_t domid,
                        const char *token)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%u", root, domid);
    return xs_watch(xs, path, token) &&
           xs_watch(xs, "@releaseDomain", "release");
}

void be_scan_devices(struct xs_handle *xs, const char *root, bool released,
                     void (*found)(void *ctx, uint32_t domid, uint32_t devid),
                     void *ctx)
{
    unsigned int ndoms = 0;
    char **doms;

    if (only_set) { /* a worker: its domain's devices, nothing removed */
        char path[256], **devs;
        unsigned int ndev = 0;
        uint32_t devid;

        snprintf(path, sizeof(path), "%s/%u", root, only_domid);
        devs = xs_directory(xs, XBT_NULL, path, &ndev);
        for (unsigned int j = 0; devs && j < ndev; j++)
            if (xs_parse_u32(devs[j], &devid))
                found(ctx, only_domid, devid);
        free(devs);
        return;
    }
    doms = xs_directory(xs, XBT_NULL, root, &ndoms);

    for (unsigned int i = 0; doms && i < ndoms; i++) {
        uint32_t domid, devid;
        char path[256];
        unsigned int ndev = 0;
        char **devs;

        if (!xs_parse_u32(doms[i], &domid))
            continue;
        snprintf(path, sizeof(path), "%s/%u", root, domid);
        if (released && !xs_is_domain_introduced(xs, domid)) {
            be_info("d%u: domain released, removing %s", domid, path);
            xs_rm(xs, XBT_NULL, path);
            continue;
        }
        devs = xs_directory(xs, XBT_NULL, path, &ndev);
        for (unsigned int j = 0; devs && j < ndev; j++)
            if (xs_parse_u32(devs[j], &devid))
                found(ctx, domid, devid);
        free(devs);
    }
    free(doms);
}

static struct pvc_handle *kept_pvc;

void be_set_pvc(struct pvc_handle *h)
{
    kept_pvc = h;
}

/* The domain's entry from pvisor: 0 or -errno. */
static int domain_info(const char *run_dir, uint32_t domid,
                       struct pvc_domain_info **info, size_t *nr)
{
    struct pvc_handle *h = kept_pvc;
    int e = h ? 0 : pvc_open(run_dir, &h);

    *info = NULL;
    *nr = 0;
    if (e)
        return e;
    e = pvc_domain_list(h, domid, info, nr);
    if (h != kept_pvc)
        pvc_close(h);
    if (!e && *nr != 1)
        e = -ESRCH;
    return e;
}

long be_domain_restarts(const char *run_dir, uint32_t domid)
{
    struct pvc_domain_info *info;
    size_t nr;
    int e = domain_info(run_dir, domid, &info, &nr);
    long r = e ? e : (long)info[0].restarts;

    pvc_domain_info_free(info, nr);
    return r;
}

bool be_domain_reset_since(const char *run_dir, uint32_t domid, long restarts)
{
    struct pvc_domain_info *info;
    size_t nr;
    bool reset = false;

    if (domain_info(run_dir, domid, &info, &nr) == 0) {
        Pvmgmt__DomainState st = info[0].state;

        reset = (restarts >= 0 && (long)info[0].restarts > restarts) ||
                (st != PVMGMT__DOMAIN_STATE__STATE_RUNNING &&
                 st != PVMGMT__DOMAIN_STATE__STATE_BLOCKED &&
                 st != PVMGMT__DOMAIN_STATE__STATE_PAUSED);
    }
    pvc_domain_info_free(info, nr);
    return reset;
}
