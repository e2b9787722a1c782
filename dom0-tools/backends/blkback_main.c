// SPDX-License-Identifier: MIT
/* blkback_main.c: pv-blkback: options, start-up and the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "be_common.h"
#include "pvd_sandbox.h"
#include "be_worker.h"
#include "be_xs.h"
#include "blkback_daemon.h"
#include "pvctrl.h"
#include "xenstore.h"

enum { EV_XS, EV_EVTCHN, EV_URING, EV_SIGNAL };

static void usage(FILE *f)
{
    fprintf(f, "usage: pv-blkback [-r RUNDIR] [--daemon] [--pidfile FILE]\n"
               "                  [--log-file FILE] [--log-level LEVEL]\n"
               "Serves the vbd devices under /local/domain/0/backend/vbd,\n"
               "one confined worker process per frontend domain\n"
               "(xenstore: $XENSTORED_PATH or RUNDIR/pvstored.sock).\n");
}

static int ep_add(int ep, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* False once this worker's domain has no vbds left: it is done. */
static bool handle_xs(struct bbd *bd)
{
    bool released = false;
    uint32_t domid;

    if (be_xs_watches_fired(bd->xs, &released))
        bb_rescan(bd, released);
    return bd->vbds || !be_worker_domid(&domid) ||
           be_worker_dir_exists(bd->xs, BB_ROOT, domid);
}

static void handle_evtchn(struct bbd *bd)
{
    int port;

    while ((port = pvevtchn_pending(bd->evh)) > 0) {
        struct bb_vbd *v = bb_vbd_by_port(bd, port);
        if (v)
            v->need_kick = true;
        pvevtchn_unmask(bd->evh, (pvevtchn_port_t)port);
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool any_connected(struct bbd *bd)
{
    for (struct bb_vbd *v = bd->vbds; v; v = v->next)
        if (v->connected)
            return true;
    return false;
}

static int run(struct bbd *bd, int sfd)
{
    uint64_t next_stats = 0;

    for (;;) {
        struct epoll_event evs[8];
        /* Counters go to xenstore at most once a second. */
        int n = epoll_wait(bd->ep, evs, 8, any_connected(bd) ? 1000 : -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            switch (evs[i].data.u32) {
            case EV_XS:
                if (!handle_xs(bd)) {
                    be_info("no vbds left: the worker exits");
                    return 0;
                }
                break;
            case EV_EVTCHN:
                handle_evtchn(bd);
                break;
            case EV_URING:
                bb_io_reap(bd);
                break;
            case EV_SIGNAL: {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    be_info("signal %u: exiting", si.ssi_signo);
                    return 0;
                }
                break;
            }
            }
        }
        /* completions first: they free slots for the requests */
        bb_io_reap(bd);
        bb_kick_marked(bd);
        if (now_ms() >= next_stats) {
            bb_publish_stats(bd);
            next_stats = now_ms() + 1000;
        }
    }
}

/* The supervisor: the image named by ROOT/<domid>/<devid>/params. */
static int open_dev(struct xs_handle *xs, const char *be, uint32_t domid,
                    uint32_t devid, uint32_t *flags)
{
    char *params = xs_read_key(xs, be, "params");
    char *mode = xs_read_key(xs, be, "mode");
    bool ro = mode && mode[0] == 'r', direct = false;
    int fd;

    if (!params) {
        be_warn("d%u vbd %u: no params to open", domid, devid);
        fd = -ENOENT;
    } else {
        fd = bb_open_image(params, ro, &direct);
        if (fd < 0)
            be_warn("d%u vbd %u: opening %s: %s", domid, devid, params,
                    strerror(-fd));
    }
    *flags = (direct ? BB_IMAGE_DIRECT : 0) | (ro ? BB_IMAGE_RO : 0);
    free(params);
    free(mode);
    return fd;
}

static const char *run_dir;

/* A worker: domain domid's vbds only. */
static int serve(uint32_t domid, int sfd)
{
    struct bbd bd = { .ep = -1, .uring_efd = -1, .run_dir = run_dir };
    struct pvc_handle *pvc = NULL;
    int e, rc = 1;

    be_scan_only_domain(domid);
    bd.xs = xs_open(0);
    if (!bd.xs) {
        be_err("d%u: cannot reach xenstore: %s", domid, strerror(errno));
        goto out;
    }
    bd.evh = pvevtchn_open(bd.run_dir);
    bd.gnt = bd.evh ? pvgnttab_open(bd.run_dir) : NULL;
    e = bd.gnt ? pvc_open(bd.run_dir, &pvc) : -errno;
    if (e || (e = pvevtchn_bind_domain(bd.evh, domid)) ||
        (e = pvgnttab_bind_domain(bd.gnt, domid)) ||
        (e = pvc_bind_domain(pvc, domid))) {
        be_err("d%u: pvisor: %s", domid, strerror(-e));
        goto out;
    }
    be_set_pvc(pvc);
    if (be_worker_confine(&pvd_sandbox_blkback_worker) < 0)
        goto out;
    e = bb_io_init(&bd);
    if (e) {
        be_err("d%u: io_uring: %s", domid, strerror(-e));
        goto out;
    }
    bd.ep = epoll_create1(EPOLL_CLOEXEC);
    if (bd.ep < 0 || ep_add(bd.ep, xs_fileno(bd.xs), EV_XS) ||
        ep_add(bd.ep, pvevtchn_fd(bd.evh), EV_EVTCHN) ||
        ep_add(bd.ep, bd.uring_efd, EV_URING) ||
        ep_add(bd.ep, sfd, EV_SIGNAL)) {
        be_err("d%u: epoll: %s", domid, strerror(errno));
        goto out;
    }
    if (!be_xs_watch_domain(bd.xs, BB_ROOT, domid, "vbd")) {
        be_err("d%u: watching its vbds: %s", domid, strerror(errno));
        goto out;
    }
    e = run(&bd, sfd);
    if (e)
        be_err("d%u: event loop: %s", domid, strerror(-e));
    rc = e ? 1 : 0;
out:
    if (bd.ep >= 0 && bd.uring_efd >= 0)
        bb_vbd_free_all(&bd);
    if (bd.uring_efd >= 0)
        bb_io_fini(&bd);
    if (bd.ep >= 0)
        close(bd.ep);
    pvgnttab_close(bd.gnt);
    pvevtchn_close(bd.evh);
    pvc_close(pvc);
    xs_close(bd.xs);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        BE_LONG_OPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const struct be_worker_class wc = { "vbd", open_dev, serve };
    struct be_opts o = { 0 };
    int opt, sfd = -1, e, rc;

    while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        e = be_opt(&o, opt, optarg, "pv-blkback");
        if (e < 0)
            return 2;
        if (e)
            continue;
        usage(opt == 'h' ? stdout : stderr);
        return opt == 'h' ? 0 : 2;
    }
    run_dir = o.run_dir;
    if (be_start_log("pv-blkback", &o) < 0 || (sfd = be_start_daemon(&o)) < 0)
        return 1;
    rc = be_supervise(&wc, sfd, &pvd_sandbox_blkback, o.pidfile);
    close(sfd);
    return rc;
}
