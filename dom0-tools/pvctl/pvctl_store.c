// SPDX-License-Identifier: MIT
/* pvctl_store.c: the toolstack's xenstore part: domain keys, introduce. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pvctl.h"
#include "xenstore.h"

struct xs_handle *pvctl_xs_open(const char *cmd, bool warn)
{
    struct xs_handle *xs;

    /* -r RUNDIR also locates pvstored unless XENSTORED_PATH says. */
    if (pvctl_opts.run_dir && !getenv("XENSTORED_PATH"))
        setenv("PVISOR_RUN_DIR", pvctl_opts.run_dir, 1);
    xs = xs_open(0);
    if (!xs && warn)
        fprintf(stderr,
                "pvctl: %s: warning: xenstore not available: %s "
                "(is pvstored running? 'pvhost start' starts it)\n",
                cmd, strerror(errno));
    return xs;
}

static void uuid4(char out[37])
{
    uint8_t b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)clock();
        for (int i = 0; i < 16; i++)
            b[i] = (uint8_t)(t >> ((i % 8) * 8)) ^ (uint8_t)rand();
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/* Writes fmt-formatted value to base/key in t. */
static bool put(struct xs_handle *xs, xs_transaction_t t, const char *base,
                const char *key, const char *val)
{
    char path[256];

    snprintf(path, sizeof(path), "%s%s%s", base, *key ? "/" : "", key);
    return xs_write(xs, t, path, val, (unsigned)strlen(val));
}

static bool perm(struct xs_handle *xs, xs_transaction_t t, const char *base,
                 const char *key, struct xs_permissions *p, unsigned nr)
{
    char path[256];

    snprintf(path, sizeof(path), "%s%s%s", base, *key ? "/" : "", key);
    return xs_mkdir(xs, t, path) && xs_set_permissions(xs, t, path, p, nr);
}

/*
 * The keys xl writes for a PV domain (libxl__domain_make and
 * libxl__build_post), in one transaction.
 */
static bool write_keys(struct xs_handle *xs, xs_transaction_t t, uint32_t domid,
                       const char *name, uint64_t memory_kb, uint32_t vcpus,
                       uint64_t mfn, uint32_t port, const char *vm)
{
    /* The directory is dom0's and readable by the guest; the guest owns
     * the parts it writes to. */
    struct xs_permissions ro[2] = { { 0, XS_PERM_NONE },
                                    { domid, XS_PERM_READ } };
    struct xs_permissions rw[1] = { { domid, XS_PERM_NONE } };
    static const char *const guest_owned[] = {
        "device",
        "data",
        "drivers",
        "feature",
        "attr",
        "error",
        "control/shutdown",
        "control/feature-poweroff",
        "control/feature-reboot",
        "control/feature-suspend",
        "control/sysrq",
    };
    char dom[64], buf[64];
    bool ok;

    snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
    ok = perm(xs, t, dom, "", ro, 2) && perm(xs, t, vm, "", ro, 2) &&
         put(xs, t, vm, "uuid", vm + 4) && put(xs, t, vm, "name", name);
    snprintf(buf, sizeof(buf), "%lld", (long long)time(NULL));
    ok = ok && put(xs, t, vm, "start_time", buf) && put(xs, t, dom, "vm", vm) &&
         put(xs, t, dom, "name", name);
    snprintf(buf, sizeof(buf), "%u", domid);
    ok = ok && put(xs, t, dom, "domid", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)memory_kb);
    ok = ok && put(xs, t, dom, "memory/static-max", buf) &&
         put(xs, t, dom, "memory/target", buf);
    for (uint32_t i = 0; ok && i < vcpus; i++) {
        char key[32];
        snprintf(key, sizeof(key), "cpu/%u/availability", i);
        ok = put(xs, t, dom, key, "online");
    }
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)mfn);
    ok = ok && put(xs, t, dom, "store/ring-ref", buf);
    snprintf(buf, sizeof(buf), "%u", port);
    ok = ok && put(xs, t, dom, "store/port", buf) &&
         perm(xs, t, dom, "control", ro, 2);
    for (size_t i = 0; ok && i < sizeof(guest_owned) / sizeof(*guest_owned);
         i++)
        ok = perm(xs, t, dom, guest_owned[i], rw, 1);
    return ok;
}

struct intro {
    uint32_t domid, vcpus, port;
    const char *name, *vm;
    uint64_t memory_kb, mfn;
};

static bool intro_keys(struct xs_handle *xs, uint32_t t, void *arg)
{
    const struct intro *a = arg;

    return write_keys(xs, t, a->domid, a->name, a->memory_kb, a->vcpus, a->mfn,
                      a->port, a->vm);
}

int pvctl_store_introduce(const char *cmd, struct xs_handle *xs, uint32_t domid,
                          const char *name, uint64_t memory_kb, uint32_t vcpus,
                          uint64_t store_mfn, uint32_t port)
{
    char vm[48] = "/vm/";
    struct intro a = { domid, vcpus, port, name, vm, memory_kb, store_mfn };
    int e;

    uuid4(vm + 4);
    e = xs_transaction_run(xs, intro_keys, &a);
    if (!e && !xs_introduce_domain(xs, domid, store_mfn, port))
        e = errno;
    if (e) {
        pvctl_err(cmd, "xenstore: setting up /local/domain/%u: %s", domid,
                  strerror(e));
        pvctl_store_forget(xs, domid);
        return -e;
    }
    if (pvctl_opts.verbose)
        fprintf(stderr,
                "pvctl: %s: xenstore: /local/domain/%u, %s, store "
                "mfn 0x%llx port %u\n",
                cmd, domid, vm, (unsigned long long)store_mfn, port);
    return 0;
}

void pvctl_store_forget(struct xs_handle *xs, uint32_t domid)
{
    char path[64], *vm;

    if (!xs)
        return;
    xs_release_domain(xs, domid); /* ENOENT when never introduced */
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm = xs_read(xs, XBT_NULL, path, NULL);
    if (vm && strncmp(vm, "/vm/", 4) == 0 && !strchr(vm + 4, '/') && vm[4])
        xs_rm(xs, XBT_NULL, vm);
    free(vm);
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    xs_rm(xs, XBT_NULL, path);
}

int pvctl_open_dom_store(const char *cmd, const char *dom,
                         struct pvc_handle **h, struct xs_handle **xs,
                         uint32_t *domid)
{
    *xs = NULL;
    if (pvctl_connect(cmd, h))
        return -1;
    if (pvctl_resolve(cmd, *h, dom, domid))
        return -1;
    *xs = pvctl_xs_open(cmd, false);
    if (!*xs) {
        pvctl_err(cmd,
                  "xenstore not available: %s (is pvstored running? "
                  "'pvhost start' starts it)",
                  strerror(errno));
        return -1;
    }
    return 0;
}

bool pvctl_dev_create_dirs(struct xs_handle *xs, uint32_t t, uint32_t domid,
                           const char *fe, const char *be)
{
    struct xs_permissions fe_perms[2] = { { domid, XS_PERM_NONE },
                                          { 0, XS_PERM_READ } };
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE },
                                          { domid, XS_PERM_READ } };
    char *old = xs_read(xs, t, be, NULL);

    if (old) {
        free(old);
        errno = EEXIST;
        return false;
    }
    return xs_mkdir(xs, t, fe) && xs_set_permissions(xs, t, fe, fe_perms, 2) &&
           xs_mkdir(xs, t, be) && xs_set_permissions(xs, t, be, be_perms, 2) &&
           xs_printf_key(xs, t, fe, "backend", "%s", be) &&
           xs_printf_key(xs, t, fe, "backend-id", "0") &&
           xs_printf_key(xs, t, fe, "state", "1") &&
           xs_printf_key(xs, t, be, "frontend", "%s", fe) &&
           xs_printf_key(xs, t, be, "frontend-id", "%u", domid) &&
           xs_printf_key(xs, t, be, "online", "1") &&
           xs_printf_key(xs, t, be, "state", "1");
}

void pvctl_dev_dirs(const char *type, uint32_t domid, uint32_t devid, char *fe,
                    char *be, size_t len)
{
    snprintf(fe, len, "/local/domain/%u/device/%s/%u", domid, type, devid);
    snprintf(be, len, "/local/domain/0/backend/%s/%u/%u", type, domid, devid);
}

struct dev_write {
    uint32_t domid;
    const char *fe, *be;
    pvctl_dev_keys_fn *keys;
    const void *arg;
};

static bool dev_write_txn(struct xs_handle *xs, uint32_t t, void *arg)
{
    const struct dev_write *w = arg;

    return pvctl_dev_create_dirs(xs, t, w->domid, w->fe, w->be) &&
           w->keys(xs, t, w->fe, w->be, w->arg);
}

int pvctl_dev_write(const char *cmd, struct xs_handle *xs, const char *type,
                    uint32_t domid, uint32_t devid, pvctl_dev_keys_fn *keys,
                    const void *arg, const char *what)
{
    char fe[96], be[96];
    struct dev_write w = { domid, fe, be, keys, arg };
    int e;

    pvctl_dev_dirs(type, domid, devid, fe, be, sizeof(fe));
    e = xs_transaction_run(xs, dev_write_txn, &w);
    if (e == EEXIST)
        pvctl_err(cmd, "%s: domain %u already has it (%s)", what, domid, be);
    else if (e)
        pvctl_err(cmd, "%s: xenstore: writing %s: %s", what, be, strerror(e));
    return -e;
}

int pvctl_dev_list(const char *cmd, int argc, char **argv, const char *type,
                   const char *header, pvctl_dev_row_fn *row)
{
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    char dir[96], fe[128], key[160];
    unsigned int n = 0;
    char **devs = NULL;
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    if (argc < 2)
        return pvctl_usage(cmd);
    if (pvctl_open_dom_store(cmd, argv[1], &h, &xs, &domid))
        goto out;
    snprintf(dir, sizeof(dir), "/local/domain/%u/device/%s", domid, type);
    devs = xs_directory(xs, XBT_NULL, dir, &n);
    fputs(header, stdout);
    for (unsigned int i = 0; devs && i < n; i++) {
        snprintf(fe, sizeof(fe), "%s/%s", dir, devs[i]);
        snprintf(key, sizeof(key), "%s/backend", fe);
        char *be = xs_read(xs, XBT_NULL, key, NULL);
        row(xs, devs[i], fe, be);
        free(be);
    }
    rc = PVCTL_OK;
out:
    free(devs);
    xs_close(xs);
    pvc_close(h);
    return rc;
}

#define DETACH_TIMEOUT_MS 10000

int pvctl_dev_detach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                     const char *type, uint32_t devid, const char *what)
{
    struct timespec tick = { 0, 20 * 1000000 };
    char fe[128], be[128], *s;
    long state = 0;

    pvctl_dev_dirs(type, domid, devid, fe, be, sizeof(fe));
    s = xs_read(xs, XBT_NULL, be, NULL);
    if (!s) {
        pvctl_err(cmd, "domain %u has no %s", domid, what);
        return -1;
    }
    free(s);
    /* as xl: ask the backend to close, wait for Closed, remove the dirs */
    if (!xs_printf_key(xs, XBT_NULL, be, "online", "0") ||
        !xs_printf_key(xs, XBT_NULL, be, "state", "5")) {
        pvctl_err(cmd, "xenstore: %s: %s", be, strerror(errno));
        return -1;
    }
    for (int waited = 0; waited < DETACH_TIMEOUT_MS; waited += 20) {
        state = xs_read_key_long(xs, be, "state", 6);
        if (state == 6)
            break;
        nanosleep(&tick, NULL);
    }
    if (state != 6)
        fprintf(stderr,
                "pvctl: %s: warning: backend did not close %s within %d s "
                "(state %ld); removing it anyway\n",
                cmd, what, DETACH_TIMEOUT_MS / 1000, state);
    xs_rm(xs, XBT_NULL, fe);
    xs_rm(xs, XBT_NULL, be);
    return 0;
}

void pvctl_dev_forget_all(struct xs_handle *xs, uint32_t domid,
                          const char *type)
{
    char path[96];

    if (!xs)
        return;
    snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", type, domid);
    xs_rm(xs, XBT_NULL, path);
    snprintf(path, sizeof(path), "/local/domain/%u/device/%s", domid, type);
    xs_rm(xs, XBT_NULL, path);
}

int pvctl_spec_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

char *pvctl_trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}
