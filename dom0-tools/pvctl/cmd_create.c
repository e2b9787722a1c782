// SPDX-License-Identifier: MIT
/* cmd_create.c: pvctl create: config, DomainCreate, build, setup, unpause. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cfg.h"
#include "dev_disk.h"
#include "dev_vif.h"
#include "pvctl.h"
#include "pvevtchn.h"
#include "pvguest.h"
#include "xenstore.h"

static const char *const CMD = "create";

/* Parses CFG plus overrides into *d; prints errors and warnings. */
static int load_config(const char *path, char **overrides, int nr,
                       struct cfg_domain *d, struct disk_list *disks,
                       struct vif_list *vifs)
{
    char err[CFG_ERR_MAX];
    struct cfg c;
    int e;

    cfg_init(&c);
    e = cfg_parse_file(&c, path, err, sizeof(err));
    for (int i = 0; !e && i < nr; i++)
        e = cfg_apply_override(&c, overrides[i], i + 1, err, sizeof(err));
    if (!e)
        e = cfg_domain_from(&c, d, err, sizeof(err));
    if (!e)
        e = disk_list_from_cfg(&c, disks, err, sizeof(err));
    if (!e)
        e = vif_list_from_cfg(&c, vifs, err, sizeof(err));
    if (!e && vif_cmdline_add_ip(&d->cmdline, vifs)) {
        snprintf(err, sizeof(err), "out of memory");
        e = -ENOMEM;
    }
    for (size_t i = 0; i < c.nr_warnings; i++)
        fprintf(stderr, "%s\n", c.warnings[i]);
    if (e)
        pvctl_err(CMD, "%s", err);
    cfg_free(&c);
    return e;
}

/*
 * Allocates the guest's xenstore event channel (an unbound port of domid
 * for dom0). Returns the port, or 0 (after one warning) when it cannot.
 */
static uint32_t store_port(uint32_t domid)
{
    pvevtchn *evh = pvevtchn_open(pvctl_opts.run_dir);
    int port;

    if (!evh) {
        fprintf(stderr,
                "pvctl: %s: warning: xenstore not available: "
                "event channels: %s\n",
                CMD, strerror(errno));
        return 0;
    }
    port = pvevtchn_alloc_unbound_for(evh, domid, 0);
    pvevtchn_close(evh);
    if (port <= 0) {
        fprintf(stderr,
                "pvctl: %s: warning: xenstore not available: "
                "allocating its event channel: %s\n",
                CMD, strerror(port < 0 ? -port : EINVAL));
        return 0;
    }
    return (uint32_t)port;
}

/* Maps the domain's RAM, writes the image (with the xenstore port in
 * start_info), sends DomainSetup. Stores the xenstore ring's frame. */
static int build_domain(struct pvc_handle *h, uint32_t domid,
                        const struct pvg_image *img, const struct cfg_domain *d,
                        uint32_t xs_port, uint64_t *store_mfn)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    uint64_t size;
    void *mem;
    int fd, e;

    e = pvc_map_memory(h, domid, &fd, &size);
    if (e)
        return pvctl_call_failed(CMD, h, e, "mapping domain memory"), e;
    if (size != d->memory_mb << 20) {
        pvctl_err(CMD, "pvisor gave %llu bytes of memory, asked for %llu",
                  (unsigned long long)size,
                  (unsigned long long)(d->memory_mb << 20));
        close(fd);
        return -EPROTO;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        e = -errno;
        pvctl_err(CMD, "mapping %llu bytes of domain memory: %s",
                  (unsigned long long)size, strerror(-e));
        close(fd);
        return e;
    }
    e = pvg_build(img, mem, size, d->cmdline, &lay, err, sizeof(err));
    if (!e && xs_port && (e = pvg_set_store_evtchn(mem, size, &lay, xs_port)))
        snprintf(err, sizeof(err), "start_info outside guest memory");
    if (!e)
        *store_mfn = lay.store_gpa / PVG_PAGE_SIZE;
    munmap(mem, size);
    close(fd);
    if (e) {
        pvctl_err(CMD, "%s", err);
        return e;
    }
    if (lay.cmdline_truncated)
        fprintf(stderr,
                "pvctl: %s: warning: cmdline longer than %u bytes, "
                "truncated\n",
                CMD, PVG_CMDLINE_MAX - 1);
    if (pvctl_opts.verbose)
        fprintf(stderr,
                "pvctl: %s: image 0x%llx-0x%llx, start_info 0x%llx, "
                "page tables 0x%llx (%llu frames), entry 0x%llx\n",
                CMD, (unsigned long long)lay.image_start_gpa,
                (unsigned long long)lay.image_end_gpa,
                (unsigned long long)lay.start_info_gpa,
                (unsigned long long)lay.pt_base_gpa,
                (unsigned long long)lay.nr_pt_frames,
                (unsigned long long)lay.entry_va);
    e = pvc_domain_setup(h, &(struct pvc_setup_args){
                                .domid = domid,
                                .hypercall_page_gpa = lay.hypercall_page_gpa,
                                .shared_info_gpa = lay.shared_info_gpa,
                                .start_info_gpa = lay.start_info_gpa,
                                .pt_base_gpa = lay.pt_base_gpa,
                                .entry_va = lay.entry_va,
                                .stack_va = lay.stack_va,
                                .start_info_va = lay.start_info_va,
                                .virt_base = lay.virt_base,
                            });
    if (e)
        pvctl_call_failed(CMD, h, e, "setting up the domain");
    return e;
}

int pvctl_cmd_create(int argc, char **argv)
{
    bool console = false, paused = false, quiet = false;
    struct cfg_domain d = { 0 };
    struct disk_list disks = { .nr = 0 };
    struct vif_list vifs = { .nr = 0 };
    struct pvg_image img = { 0 };
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    uint64_t store_mfn = 0;
    uint32_t xs_port = 0;
    char err[PVG_ERR_MAX];
    sigset_t block, old;
    uint32_t domid = 0;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "cpq")) != -1) {
        switch (opt) {
        case 'c':
            console = true;
            break;
        case 'p':
            paused = true;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            return pvctl_usage(CMD);
        }
    }
    if (optind >= argc)
        return pvctl_usage(CMD);
    if (!quiet)
        fprintf(stderr, "Parsing config from %s\n", argv[optind]);
    if (load_config(argv[optind], argv + optind + 1, argc - optind - 1, &d,
                    &disks, &vifs))
        goto out;
    /* Check the image before anything exists in pvisor. */
    e = pvg_image_load(d.kernel, &img, err, sizeof(err));
    if (!e) {
        struct pvg_layout lay;
        e = pvg_layout_plan(&img, d.memory_mb << 20, &lay, err, sizeof(err));
    }
    if (e) {
        pvctl_err(CMD, "%s", err);
        goto out;
    }
    if (pvctl_connect(CMD, &h))
        goto out;

    /* A half-built domain must not survive Ctrl-C: hold signals. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigprocmask(SIG_BLOCK, &block, &old);
    e = pvc_domain_create(h,
                          &(struct pvc_create_args){
                              .name = d.name,
                              .memory_kb = d.memory_mb * 1024,
                              .vcpus = d.vcpus,
                              .on_poweroff = (Pvmgmt__Action)d.on_poweroff,
                              .on_reboot = (Pvmgmt__Action)d.on_reboot,
                              .on_crash = (Pvmgmt__Action)d.on_crash,
                              .cmdline = d.cmdline,
                              .platform = d.platform,
                          },
                          &domid);
    if (e) {
        pvctl_call_failed(CMD, h, e, "creating the domain");
        goto unblock;
    }
    /* xenstore is optional: without pvstored the guest gets port 0. */
    xs = pvctl_xs_open(CMD, true);
    if (xs) {
        xs_port = store_port(domid);
        if (!xs_port) {
            xs_close(xs);
            xs = NULL;
        }
    }
    e = build_domain(h, domid, &img, &d, xs_port, &store_mfn);
    if (!e && xs)
        e = pvctl_store_introduce(CMD, xs, domid, d.name, d.memory_mb * 1024,
                                  d.vcpus, store_mfn, xs_port);
    if (!e && disks.nr && !xs) {
        pvctl_err(CMD, "disk needs xenstore: start pvstored (pvhost start)");
        e = -ENOTCONN;
    }
    for (size_t i = 0; !e && i < disks.nr; i++)
        e = disk_attach(CMD, xs, domid, &disks.d[i]);
    if (!e && vifs.nr && !xs) {
        pvctl_err(CMD, "vif needs xenstore: start pvstored (pvhost start)");
        e = -ENOTCONN;
    }
    for (size_t i = 0; !e && i < vifs.nr; i++)
        e = vif_attach(CMD, xs, domid, &vifs.v[i]);
    if (!e) /* the ring console is optional: never fails create */
        pvctl_console_setup(CMD, h, domid, d.name, &img, d.memory_mb << 20);
    if (!e && !paused) {
        e = pvc_domain_unpause(h, domid);
        if (e)
            pvctl_call_failed(CMD, h, e, "unpausing the domain");
    }
    if (e) {
        int de = pvc_domain_destroy(h, domid);
        if (de)
            pvctl_call_failed(CMD, h, de,
                              "destroying the half-built "
                              "domain");
        disk_forget_all(xs, domid);
        vif_forget_all(xs, domid);
        pvctl_store_forget(xs, domid);
        goto unblock;
    }
    rc = PVCTL_OK;
unblock:
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != PVCTL_OK)
        goto out;
    if (!quiet)
        fprintf(stderr, "Started domain %s (id=%u)%s\n", d.name, domid,
                paused ? ", paused" : "");
    if (console && pvctl_console_attach(CMD, h, domid))
        rc = PVCTL_ERR;
out:
    xs_close(xs);
    pvc_close(h);
    pvg_image_free(&img);
    cfg_domain_free(&d);
    disk_list_free(&disks);
    return rc;
}
