// SPDX-License-Identifier: MIT
/* cmd_save.c: pvctl save and restore (docs/save-format.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/xen.h>

#include "dev_disk.h"
#include "dev_vif.h"
#include "pvctl.h"
#include "save_cmd.h"
#include "save_image.h"
#include "xenstore.h"

#define SAVE_DEFAULT_SECS 30
#define PROGRESS_EVERY    512 /* pages */

/* ---- output with a running checksum ---- */

struct out {
    FILE *f;
    uint64_t sum;
    int err; /* first errno */
};

static void out_write(struct out *o, const void *p, size_t n)
{
    if (o->err)
        return;
    o->sum = save_fnv(o->sum, p, n);
    if (fwrite(p, 1, n, o->f) != n)
        o->err = errno ? errno : EIO;
}

static void progress(const char *what, uint64_t done, uint64_t total, bool end)
{
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\r%s: %" PRIu64 "/%" PRIu64 " pages%s", what, done, total,
            end ? "\n" : "");
}

/* The non-zero pages of the memfd, found in its data extents only. */
int save_list_pages(int fd, const uint8_t *mem, uint64_t size, uint64_t **pfns,
                    uint64_t *nr)
{
    static const uint8_t zero[PV_SAVE_PAGE];
    uint64_t *l = malloc((size / PV_SAVE_PAGE) * sizeof(*l) + 1);
    off_t pos = 0;

    if (!l)
        return -ENOMEM;
    *nr = 0;
    while ((uint64_t)pos < size) {
        off_t data = lseek(fd, pos, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t)hole > size)
            hole = (off_t)size;
        for (uint64_t pfn = (uint64_t)data / PV_SAVE_PAGE;
             pfn * PV_SAVE_PAGE < (uint64_t)hole; pfn++)
            if (memcmp(mem + pfn * PV_SAVE_PAGE, zero, PV_SAVE_PAGE))
                l[(*nr)++] = pfn;
        pos = hole;
    }
    *pfns = l;
    return 0;
}

/* Asks the guest to suspend and waits until it did (1), timed out (0). */
int save_suspend_guest(const char *cmd, struct pvc_handle *h,
                       struct xs_handle *xs, uint32_t domid, unsigned secs)
{
    char path[64];
    struct timespec t0, t1;

    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    if (!xs_write(xs, XBT_NULL, path, "suspend", 7)) {
        int e = errno;
        pvctl_err(cmd, "writing %s: %s", path, strerror(e));
        return -e;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pvc_domain_info info;
        int e = pvc_domain_wait(h, domid, 250, &info);

        if (e == 0) {
            bool susp = info.state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN &&
                        info.shutdown_reason ==
                            PVMGMT__SHUTDOWN_REASON__SHUTDOWN_SUSPEND;
            Pvmgmt__DomainState st = info.state;
            pvc_domain_info_clear(&info);
            if (susp)
                return 1;
            pvctl_err(cmd, "domain %u stopped (%s) instead of suspending",
                      domid, pvc_state_name(st));
            return -ECANCELED;
        }
        if (e != -ETIMEDOUT) {
            pvctl_call_failed(cmd, h, e, "waiting for the suspend");
            return e;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= (time_t)secs)
            break;
    }
    /* Take the request back: a late guest must not suspend unwatched. */
    xs_write(xs, XBT_NULL, path, "", 0);
    return 0;
}

static int write_image(const char *cmd, struct pvc_handle *h, uint32_t domid,
                       FILE *f, const struct save_config *cfg,
                       const uint8_t *state, size_t state_len)
{
    struct pv_save_header hd = { .version = PV_SAVE_VERSION };
    struct pv_save_trailer tr = { .magic = PV_SAVE_END_MAGIC };
    struct pv_state_dom sd;
    struct start_info si;
    struct out o = { f, SAVE_FNV_INIT, 0 };
    static char config[SAVE_DISKS_MAX * (SAVE_DISK_SPEC_MAX + 8) + 1024];
    char what[64];
    uint64_t size, *pfns = NULL, nr = 0;
    uint8_t *mem;
    int fd, e, clen;

    clen = save_config_format(cfg, config, sizeof(config));
    if (clen < 0)
        return pvctl_err(cmd, "config too long"), clen;
    memcpy(&sd, state, sizeof(sd));
    e = pvc_map_memory(h, domid, &fd, &size);
    if (e)
        return pvctl_call_failed(cmd, h, e, "mapping domain memory"), e;
    mem = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        e = -errno;
        close(fd);
        return pvctl_err(cmd, "mapping memory: %s", strerror(-e)), e;
    }
    if (size != sd.mem_size || sd.start_info_gpa > size - sizeof(si)) {
        e = -EPROTO;
        pvctl_err(cmd, "pvisor's state and memory disagree");
        goto out;
    }
    memcpy(&si, mem + sd.start_info_gpa, sizeof(si));
    e = save_list_pages(fd, mem, size, &pfns, &nr);
    if (e) {
        pvctl_err(cmd, "out of memory");
        goto out;
    }
    memcpy(hd.magic, PV_SAVE_MAGIC, sizeof(hd.magic));
    hd.header_size = sizeof(hd);
    hd.mem_size = size;
    hd.nr_vcpus = cfg->vcpus;
    hd.nr_pages = nr;
    hd.config_size = (uint32_t)clen;
    hd.state_size = (uint32_t)state_len;
    /* The guest may have written start_info: keep what is plausible. */
    if (si.store_mfn < size / PV_SAVE_PAGE && si.store_evtchn) {
        hd.store_pfn = si.store_mfn;
        hd.store_port = si.store_evtchn;
    }
    if (si.console.domU.mfn < size / PV_SAVE_PAGE && si.console.domU.evtchn) {
        hd.console_pfn = si.console.domU.mfn;
        hd.console_port = si.console.domU.evtchn;
    }
    snprintf(hd.platform, sizeof(hd.platform), "%s", cfg->platform);
    hd.saved_ns = (uint64_t)time(NULL) * 1000000000ULL;
    out_write(&o, &hd, sizeof(hd));
    out_write(&o, config, (size_t)clen);
    out_write(&o, state, state_len);
    snprintf(what, sizeof(what), "Saving domain %u", domid);
    for (uint64_t i = 0; i < nr && !o.err; i++) {
        struct pv_save_page pr = { pfns[i] };
        out_write(&o, &pr, sizeof(pr));
        out_write(&o, mem + pfns[i] * PV_SAVE_PAGE, PV_SAVE_PAGE);
        if (i % PROGRESS_EVERY == 0)
            progress(what, i, nr, false);
    }
    tr.checksum = o.sum;
    out_write(&o, &tr, sizeof(tr));
    if (!o.err && fflush(f))
        o.err = errno;
    if (!o.err && fsync(fileno(f)) && errno != EINVAL && errno != EROFS)
        o.err = errno;
    progress(what, nr, nr, true);
    e = -o.err;
out:
    free(pfns);
    munmap(mem, size);
    close(fd);
    return e;
}

int save_read_info(const char *cmd, struct pvc_handle *h, uint32_t domid,
                   struct save_config *cfg)
{
    struct pvc_domain_info *l = NULL;
    size_t n = 0;
    int e = pvc_domain_list(h, domid, &l, &n);

    if (e || n != 1) {
        pvctl_call_failed(cmd, h, e ? e : -ESRCH, "listing the domain");
        pvc_domain_info_free(l, n);
        return e ? e : -ESRCH;
    }
    if (l[0].state != PVMGMT__DOMAIN_STATE__STATE_RUNNING &&
        l[0].state != PVMGMT__DOMAIN_STATE__STATE_BLOCKED) {
        pvctl_err(cmd, "domain %u is %s: only a running domain can be saved",
                  domid, pvc_state_name(l[0].state));
        e = -EBUSY;
    }
    snprintf(cfg->name, sizeof(cfg->name), "%s", l[0].name);
    cfg->memory_kb = l[0].memory_kb;
    cfg->vcpus = l[0].vcpus;
    cfg->on_poweroff = (int)l[0].on_poweroff;
    cfg->on_reboot = (int)l[0].on_reboot;
    cfg->on_crash = (int)l[0].on_crash;
    snprintf(cfg->platform, sizeof(cfg->platform), "%s", l[0].platform);
    pvc_domain_info_free(l, n);
    return e;
}

/* The domain's vifs, as xl specs (mac, bridge, ip, vifname, devid). */
static int read_vifs(const char *cmd, struct xs_handle *xs, uint32_t domid,
                     struct save_config *cfg)
{
    static const char *const keys[] = { "mac", "bridge", "ip", "vifname" };
    char path[96];
    unsigned n = 0;
    char **devs;

    snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", domid);
    devs = xs_directory(xs, XBT_NULL, path, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        char *spec = cfg->vifs[cfg->nr_vifs];
        size_t len = 0;

        if (cfg->nr_vifs == SAVE_VIFS_MAX) {
            pvctl_err(cmd, "domain %u has more than %u vifs", domid,
                      SAVE_VIFS_MAX);
            free(devs);
            return -EINVAL;
        }
        len = (size_t)snprintf(spec, SAVE_DISK_SPEC_MAX, "devid=%s", devs[i]);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            char key[160], *v;
            snprintf(key, sizeof(key), "%s/%s/%s", path, devs[i], keys[k]);
            v = xs_read(xs, XBT_NULL, key, NULL);
            if (v && v[0] && len < SAVE_DISK_SPEC_MAX)
                len += (size_t)snprintf(spec + len, SAVE_DISK_SPEC_MAX - len,
                                        ", %s=%s", keys[k], v);
            free(v);
        }
        if (len >= SAVE_DISK_SPEC_MAX) {
            pvctl_err(cmd, "vif %s of domain %u: its spec is too long", devs[i],
                      domid);
            free(devs);
            return -EINVAL;
        }
        cfg->nr_vifs++;
    }
    free(devs);
    return 0;
}

/*
 * The domain's disks, as xl specs, into cfg (restore attaches them to the
 * new domain: the same backing files). Other devices are not carried yet:
 * refuse rather than lose them.
 */
int save_read_devices(const char *cmd, struct xs_handle *xs, uint32_t domid,
                      struct save_config *cfg)
{
    char path[96];
    unsigned n = 0;
    char **types, **devs;

    snprintf(path, sizeof(path), "/local/domain/%u/device", domid);
    types = xs_directory(xs, XBT_NULL, path, &n);
    for (unsigned i = 0; types && i < n; i++) {
        char sub[128];
        unsigned m = 0;

        if (!strcmp(types[i], "vbd") || !strcmp(types[i], "vif"))
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, types[i]);
        devs = xs_directory(xs, XBT_NULL, sub, &m);
        free(devs);
        if (m) {
            pvctl_err(cmd,
                      "domain %u has %u %s device(s): saving those is not "
                      "supported yet (disks are)",
                      domid, m, types[i]);
            free(types);
            return -EOPNOTSUPP;
        }
    }
    free(types);
    snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", domid);
    n = 0;
    devs = xs_directory(xs, XBT_NULL, path, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        char key[160], *params, *mode, *dev;
        int len;

        snprintf(key, sizeof(key), "%s/%s/params", path, devs[i]);
        params = xs_read(xs, XBT_NULL, key, NULL);
        snprintf(key, sizeof(key), "%s/%s/mode", path, devs[i]);
        mode = xs_read(xs, XBT_NULL, key, NULL);
        snprintf(key, sizeof(key), "%s/%s/dev", path, devs[i]);
        dev = xs_read(xs, XBT_NULL, key, NULL);
        len = -1;
        if (params && mode && dev && cfg->nr_disks < SAVE_DISKS_MAX)
            len = snprintf(cfg->disks[cfg->nr_disks], SAVE_DISK_SPEC_MAX,
                           "format=raw, vdev=%s, access=%s, target=%s", dev,
                           strcmp(mode, "r") ? "rw" : "ro", params);
        free(params);
        free(mode);
        free(dev);
        if (len < 0 || len >= (int)SAVE_DISK_SPEC_MAX) {
            pvctl_err(cmd, "disk %s of domain %u: cannot record it (%s)",
                      devs[i], domid,
                      len < 0 ? "its backend keys are missing"
                              : "its spec is too long");
            free(devs);
            return -EINVAL;
        }
        cfg->nr_disks++;
    }
    free(devs);
    return read_vifs(cmd, xs, domid, cfg);
}

int pvctl_cmd_save(int argc, char **argv)
{
    static const char *const CMD = "save";
    static struct save_config cfg;
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    unsigned secs = SAVE_DEFAULT_SECS;
    bool checkpoint = false, suspended = false;
    uint8_t *state = NULL;
    size_t state_len = 0;
    struct stat st;
    bool regular;
    uint32_t domid;
    FILE *f = NULL;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "ct:")) != -1) {
        if (opt == 'c') {
            checkpoint = true;
        } else if (opt == 't' && xs_parse_u32(optarg, &secs) && secs >= 1 &&
                   secs <= 3600) {
            continue;
        } else {
            if (opt == 't')
                pvctl_err(CMD, "-t wants seconds (1..3600), got '%s'", optarg);
            return pvctl_usage(CMD);
        }
    }
    if (optind != argc - 2)
        return pvctl_usage(CMD);
    if (pvctl_open_dom_store(CMD, argv[optind], &h, &xs, &domid))
        goto out;
    if (save_read_info(CMD, h, domid, &cfg) ||
        save_read_devices(CMD, xs, domid, &cfg))
        goto out;
    /* Before the guest stops: a file we cannot write costs it nothing. */
    f = fopen(argv[optind + 1], "w");
    if (!f) {
        pvctl_err(CMD, "%s: %s", argv[optind + 1], strerror(errno));
        goto out;
    }
    regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    e = save_suspend_guest(CMD, h, xs, domid, secs);
    if (e == 0)
        pvctl_err(CMD,
                  "domain %u did not suspend within %u s (its kernel ignores "
                  "control/shutdown = \"suspend\"?); it keeps running",
                  domid, secs);
    if (e <= 0)
        goto fail;
    suspended = true;
    e = pvc_save_state(h, domid, &state, &state_len);
    if (e) {
        pvctl_call_failed(CMD, h, e, "reading the domain's state");
        goto fail;
    }
    e = write_image(CMD, h, domid, f, &cfg, state, state_len);
    if (e) {
        if (e != -EPROTO && e != -ENOMEM)
            pvctl_err(CMD, "writing %s: %s", argv[optind + 1], strerror(-e));
        goto fail;
    }
    e = fclose(f) ? -errno : 0;
    f = NULL;
    if (e) {
        pvctl_err(CMD, "closing %s: %s", argv[optind + 1], strerror(-e));
        goto fail;
    }
    if (checkpoint) {
        e = pvc_resume(h, domid);
        if (e) {
            pvctl_call_failed(CMD, h, e, "resuming the domain");
            goto out;
        }
    } else {
        e = pvc_domain_destroy(h, domid);
        if (e) {
            pvctl_call_failed(CMD, h, e, "destroying the saved domain");
            goto out;
        }
        disk_forget_all(xs, domid);
        vif_forget_all(xs, domid);
        pvctl_store_forget(xs, domid);
    }
    fprintf(stderr, "Saved domain %u (%s) to %s%s\n", domid, cfg.name,
            argv[optind + 1], checkpoint ? "; it keeps running" : "");
    rc = PVCTL_OK;
    goto out;
fail:
    if (f) {
        fclose(f);
        f = NULL;
    }
    if (regular)
        unlink(argv[optind + 1]);
    if (suspended) {
        e = pvc_resume(h, domid);
        if (e)
            pvctl_call_failed(CMD, h, e, "resuming the domain after the error");
        else
            fprintf(stderr, "pvctl: %s: domain %u resumed; it keeps running\n",
                    CMD, domid);
    }
out:
    if (f)
        fclose(f);
    free(state);
    xs_close(xs);
    pvc_close(h);
    return rc;
}

/* ---- restore ---- */

/* The image in memory: mapped when it is a file, read otherwise. */
static int load_file(const char *cmd, const char *path, uint8_t **buf,
                     size_t *size, bool *mapped)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    struct stat st;
    size_t cap = 1 << 20, n = 0;
    uint8_t *b;

    if (fd < 0)
        return pvctl_err(cmd, "%s: %s", path, strerror(errno)), -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        b = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (b != MAP_FAILED) {
            *buf = b;
            *size = (size_t)st.st_size;
            *mapped = true;
            if (fd)
                close(fd);
            return 0;
        }
    }
    b = malloc(cap);
    for (;;) {
        if (!b)
            break;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            pvctl_err(cmd, "reading %s: %s", path, strerror(errno));
            free(b);
            if (fd)
                close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fd)
        close(fd);
    if (!b)
        return pvctl_err(cmd, "%s: out of memory", path), -1;
    *buf = b;
    *size = n;
    *mapped = false;
    return 0;
}

static void console_add(const char *cmd, uint32_t domid, const char *name,
                        uint64_t pfn, uint32_t port)
{
    char req[256], reply[256];
    int fd = pvctl_consoled_connect();

    if (fd < 0) {
        fprintf(stderr,
                "pvctl: %s: warning: pv-consoled is not running; domain %u "
                "has no console ring\n",
                cmd, domid);
        return;
    }
    snprintf(req, sizeof(req), "ADD %u %s %" PRIu64 " %u", domid, name, pfn,
             port);
    if (pvctl_consoled_request(fd, req, reply, sizeof(reply)))
        fprintf(stderr,
                "pvctl: %s: warning: pv-consoled refused domain %u (%s)\n", cmd,
                domid, reply);
    close(fd);
}

static int fill_memory(const char *cmd, struct pvc_handle *h, uint32_t domid,
                       const struct save_image *im)
{
    const uint8_t *p = im->pages;
    uint64_t size, n = im->hdr->nr_pages;
    char what[64];
    uint8_t *mem;
    int fd, e;

    e = pvc_map_memory(h, domid, &fd, &size);
    if (e)
        return pvctl_call_failed(cmd, h, e, "mapping domain memory"), e;
    if (size != im->hdr->mem_size) {
        close(fd);
        pvctl_err(cmd,
                  "pvisor gave %" PRIu64 " bytes of memory, the image "
                  "holds %" PRIu64,
                  size, im->hdr->mem_size);
        return -EPROTO;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED)
        return pvctl_err(cmd, "mapping memory: %s", strerror(errno)), -ENOMEM;
    snprintf(what, sizeof(what), "Restoring domain %u", domid);
    for (uint64_t i = 0; i < n; i++) {
        struct pv_save_page pr;
        memcpy(&pr, p, sizeof(pr));
        memcpy(mem + pr.pfn * PV_SAVE_PAGE, p + sizeof(pr), PV_SAVE_PAGE);
        p += sizeof(pr) + PV_SAVE_PAGE;
        if (i % PROGRESS_EVERY == 0)
            progress(what, i, n, false);
    }
    progress(what, n, n, true);
    munmap(mem, size);
    return 0;
}

int save_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                const struct save_config *cfg, const struct save_rings *r)
{
    char err[SAVE_ERR_MAX];
    int e = 0;

    if (r->store_port && !xs) {
        pvctl_err(cmd,
                  "the guest uses xenstore: start pvstored (pvhost start)");
        return -ENOTCONN;
    }
    if (r->store_port)
        e = pvctl_store_introduce(cmd, xs, domid, cfg->name, cfg->memory_kb,
                                  cfg->vcpus, r->store_pfn, r->store_port);
    for (unsigned i = 0; !e && i < cfg->nr_disks; i++) {
        struct disk_spec ds;
        if (!xs) {
            pvctl_err(cmd, "disk needs xenstore: start pvstored");
            return -ENOTCONN;
        }
        e = disk_parse_spec(cfg->disks[i], &ds, err, sizeof(err));
        if (e) {
            pvctl_err(cmd, "disk %u '%s': %s", i, cfg->disks[i], err);
            break;
        }
        e = disk_attach(cmd, xs, domid, &ds);
        free(ds.target);
    }
    for (unsigned i = 0; !e && i < cfg->nr_vifs; i++) {
        struct vif_spec vs;
        if (!xs) {
            pvctl_err(cmd, "vif needs xenstore: start pvstored");
            return -ENOTCONN;
        }
        e = vif_parse_spec(cfg->vifs[i], &vs, err, sizeof(err));
        if (e) {
            pvctl_err(cmd, "vif %u '%s': %s", i, cfg->vifs[i], err);
            break;
        }
        e = vif_attach(cmd, xs, domid, &vs);
    }
    if (!e && r->console_port)
        console_add(cmd, domid, cfg->name, r->console_pfn, r->console_port);
    return e;
}

int pvctl_cmd_restore(int argc, char **argv)
{
    static const char *const CMD = "restore";
    char err[SAVE_ERR_MAX];
    static struct save_image im;
    struct pv_state_dom sd;
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    bool paused = false, mapped = false, console = false;
    uint8_t *buf = NULL;
    size_t size = 0;
    sigset_t block, old;
    uint32_t domid = 0;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "pc")) != -1) {
        if (opt == 'p')
            paused = true;
        else if (opt == 'c')
            console = true;
        else
            return pvctl_usage(CMD);
    }
    if (optind >= argc)
        return pvctl_usage(CMD);
    if (load_file(CMD, argv[optind], &buf, &size, &mapped))
        return PVCTL_ERR;
    e = save_image_check(buf, size, &im, err, sizeof(err));
    if (e) {
        pvctl_err(CMD, "%s: %s", argv[optind], err);
        goto out;
    }
    for (int i = optind + 1; i < argc; i++) {
        if (strncmp(argv[i], "memory_kb=", 10) == 0 ||
            strncmp(argv[i], "vcpus=", 6) == 0) {
            pvctl_err(CMD, "%s: memory and vCPUs come from the image", argv[i]);
            goto out;
        }
        if (save_config_apply(&im.cfg, argv[i], strlen(argv[i]), err,
                              sizeof(err))) {
            pvctl_err(CMD, "override %d: %s", i - optind, err);
            goto out;
        }
    }
    memcpy(&sd, im.state, sizeof(sd));
    if (pvctl_connect(CMD, &h))
        goto out;
    xs = pvctl_xs_open(CMD, true);
    if (im.hdr->store_port && !xs) {
        pvctl_err(CMD,
                  "the guest uses xenstore: start pvstored (pvhost start)");
        goto out;
    }
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigprocmask(SIG_BLOCK, &block, &old);
    e = pvc_domain_create(h,
                          &(struct pvc_create_args){
                              .name = im.cfg.name,
                              .memory_kb = im.cfg.memory_kb,
                              .vcpus = im.cfg.vcpus,
                              .on_poweroff = (Pvmgmt__Action)im.cfg.on_poweroff,
                              .on_reboot = (Pvmgmt__Action)im.cfg.on_reboot,
                              .on_crash = (Pvmgmt__Action)im.cfg.on_crash,
                              .cmdline = "",
                              .max_evtchn = sd.max_evtchn,
                              .platform = im.cfg.platform,
                          },
                          &domid);
    if (e) {
        pvctl_call_failed(CMD, h, e, "creating the domain");
        goto unblock;
    }
    e = fill_memory(CMD, h, domid, &im);
    if (!e) {
        e = pvc_restore_state(h, domid, im.state, im.hdr->state_size);
        if (e)
            pvctl_call_failed(CMD, h, e, "restoring the domain's state");
    }
    if (!e)
        e = save_attach(CMD, xs, domid, &im.cfg,
                        &(struct save_rings){
                            im.hdr->store_pfn,
                            im.hdr->console_pfn,
                            im.hdr->store_port,
                            im.hdr->console_port,
                        });
    if (!e && !paused) {
        e = pvc_domain_unpause(h, domid);
        if (e)
            pvctl_call_failed(CMD, h, e, "unpausing the domain");
    }
    if (e) {
        int de = pvc_domain_destroy(h, domid);
        if (de)
            pvctl_call_failed(CMD, h, de,
                              "destroying the half-restored domain");
        disk_forget_all(xs, domid);
        vif_forget_all(xs, domid);
        pvctl_store_forget(xs, domid);
        goto unblock;
    }
    rc = PVCTL_OK;
unblock:
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc == PVCTL_OK) {
        fprintf(stderr, "Restored domain %s (id=%u) from %s (saved on %s)%s\n",
                im.cfg.name, domid, argv[optind], im.hdr->platform,
                paused ? ", paused" : "");
        if (console && pvctl_console_attach(CMD, h, domid))
            rc = PVCTL_ERR;
    }
out:
    if (mapped)
        munmap(buf, size);
    else
        free(buf);
    xs_close(xs);
    pvc_close(h);
    return rc;
}
