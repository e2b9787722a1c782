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
#include <unistd.h>

#include "be_common.h"
#include "pvd_sandbox.h"
#include "be_xs.h"
#include "blkback_daemon.h"
#include "xenstore.h"

enum { EV_XS, EV_EVTCHN, EV_URING, EV_SIGNAL };

static void usage(FILE *f)
{
    fprintf(f, "usage: pv-blkback [-r RUNDIR] [--daemon] [--pidfile FILE]\n"
               "                  [--log-file FILE] [--log-level LEVEL]\n"
               "Serves the vbd devices under /local/domain/0/backend/vbd\n"
               "(xenstore: $XENSTORED_PATH or RUNDIR/pvstored.sock).\n");
}

static int ep_add(int ep, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void handle_xs(struct bbd *bd)
{
    bool released = false;

    if (be_xs_watches_fired(bd->xs, &released))
        bb_rescan(bd, released);
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

static int run(struct bbd *bd, int sfd)
{
    for (;;) {
        struct epoll_event evs[8];
        int n = epoll_wait(bd->ep, evs, 8, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            switch (evs[i].data.u32) {
            case EV_XS:
                handle_xs(bd);
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
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        BE_LONG_OPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct be_opts o = { 0 };
    struct bbd bd = { .ep = -1, .uring_efd = -1 };
    int opt, sfd = -1, e, rc = 1;

    while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        e = be_opt(&o, opt, optarg, "pv-blkback");
        if (e < 0)
            return 2;
        if (e)
            continue;
        usage(opt == 'h' ? stdout : stderr);
        return opt == 'h' ? 0 : 2;
    }
    bd.run_dir = o.run_dir;
    if (be_start_log("pv-blkback", &o) < 0 || (sfd = be_start_daemon(&o)) < 0)
        return 1;

    bd.xs = xs_open(0);
    if (!bd.xs) {
        be_err("cannot reach xenstore (is pvstored running?): %s",
               strerror(errno));
        goto out;
    }
    bd.evh = pvevtchn_open(bd.run_dir);
    bd.gnt = bd.evh ? pvgnttab_open(bd.run_dir) : NULL;
    if (!bd.evh || !bd.gnt) {
        be_err("cannot reach pvisor (is it running?): %s", strerror(errno));
        goto out;
    }
    e = bb_io_init(&bd);
    if (e) {
        be_err("io_uring: %s", strerror(-e));
        goto out;
    }
    bd.ep = epoll_create1(EPOLL_CLOEXEC);
    if (bd.ep < 0 || ep_add(bd.ep, xs_fileno(bd.xs), EV_XS) ||
        ep_add(bd.ep, pvevtchn_fd(bd.evh), EV_EVTCHN) ||
        ep_add(bd.ep, bd.uring_efd, EV_URING) ||
        ep_add(bd.ep, sfd, EV_SIGNAL)) {
        be_err("epoll: %s", strerror(errno));
        goto out;
    }
    if (!be_xs_watch_root(bd.xs, "/local/domain/0/backend/vbd", "vbd")) {
        be_err("watching /local/domain/0/backend/vbd: %s", strerror(errno));
        goto out;
    }
    if (o.pidfile && (e = be_write_pidfile(o.pidfile))) {
        be_err("%s: %s", o.pidfile, strerror(-e));
        goto out;
    }
    be_info("serving /local/domain/0/backend/vbd");
    if (be_sandbox(&pvd_sandbox_blkback) < 0)
        goto out;
    be_daemon_ready();
    e = run(&bd, sfd);
    if (e)
        be_err("event loop: %s", strerror(-e));
    rc = e ? 1 : 0;
out:
    if (bd.ep >= 0 && bd.uring_efd >= 0)
        bb_vbd_free_all(&bd);
    if (bd.uring_efd >= 0)
        bb_io_fini(&bd);
    if (bd.ep >= 0)
        close(bd.ep);
    if (sfd >= 0)
        close(sfd);
    pvgnttab_close(bd.gnt);
    pvevtchn_close(bd.evh);
    xs_close(bd.xs);
    if (o.pidfile && rc == 0)
        unlink(o.pidfile);
    return rc;
}
