// SPDX-License-Identifier: MIT
/* netback_main.c: pv-netback: options, start-up and the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
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
#include "netback_daemon.h"
#include "xenstore.h"

static struct nb_src src_xs = { NB_SRC_XS, NULL };
static struct nb_src src_evtchn = { NB_SRC_EVTCHN, NULL };
static struct nb_src src_signal = { NB_SRC_SIGNAL, NULL };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pv-netback [-r RUNDIR] [--netns NAME] [--create-bridges]\n"
            "                  [--daemon] [--pidfile FILE] [--log-file FILE]\n"
            "                  [--log-level LEVEL]\n"
            "Serves the vif devices under /local/domain/0/backend/vif with\n"
            "one TAP device each, created in network namespace NAME\n"
            "(/run/netns/NAME, as `ip netns` makes) or in our own.\n");
}

static int ep_add(int ep, int fd, struct nb_src *src)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int enter_netns(const char *name)
{
    char path[256];
    int fd, e = 0;

    if (strchr(name, '/'))
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "/run/netns/%s", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (setns(fd, CLONE_NEWNET) < 0)
        e = -errno;
    close(fd);
    return e;
}

static void handle_xs(struct nbd *nd)
{
    bool released = false;

    if (be_xs_watches_fired(nd->xs, &released))
        nb_rescan(nd, released);
}

static void handle_evtchn(struct nbd *nd)
{
    int port;

    while ((port = pvevtchn_pending(nd->evh)) > 0) {
        struct nb_vif *v = nb_vif_by_port(nd, port);
        if (v)
            v->need_kick = true;
        pvevtchn_unmask(nd->evh, (pvevtchn_port_t)port);
    }
}

static bool vif_alive(struct nbd *nd, struct nb_vif *v)
{
    for (struct nb_vif *x = nd->vifs; x; x = x->next)
        if (x == v)
            return true;
    return false;
}

static int run(struct nbd *nd, int sfd)
{
    for (;;) {
        struct epoll_event evs[16];
        int n = epoll_wait(nd->ep, evs, 16, nd->pending_kicks ? 0 : -1);
        bool xs = false;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            struct nb_src *s = evs[i].data.ptr;
            switch (s->kind) {
            case NB_SRC_XS:
                xs = true; /* after the data: it may free vifs */
                break;
            case NB_SRC_EVTCHN:
                handle_evtchn(nd);
                break;
            case NB_SRC_TAP:
                if (vif_alive(nd, s->vif))
                    nb_tap_readable(s->vif);
                break;
            case NB_SRC_SIGNAL: {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    be_info("signal %u: exiting", si.ssi_signo);
                    return 0;
                }
                break;
            }
            }
        }
        nb_kick_marked(nd);
        if (xs)
            handle_xs(nd);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        BE_LONG_OPTS,
        { "netns", required_argument, NULL, 'n' },
        { "create-bridges", no_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *netns = NULL;
    struct be_opts o = { 0 };
    struct nbd nd = { .ep = -1 };
    int opt, sfd = -1, e, rc = 1;

    while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        e = be_opt(&o, opt, optarg, "pv-netback");
        if (e < 0)
            return 2;
        if (e)
            continue;
        if (opt == 'n') {
            netns = optarg;
        } else if (opt == 'B') {
            nd.create_bridges = true;
        } else {
            usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? 0 : 2;
        }
    }
    nd.run_dir = o.run_dir;
    if (be_start_log("pv-netback", &o) < 0)
        return 1;
    if (netns && (e = enter_netns(netns)) < 0) {
        be_err("network namespace %s: %s", netns, strerror(-e));
        return 1;
    }
    if ((sfd = be_start_daemon(&o)) < 0)
        return 1;

    if (access("/dev/net/tun", R_OK | W_OK) < 0)
        be_warn("/dev/net/tun: %s: every vif will fail", strerror(errno));
    nd.xs = xs_open(0);
    if (!nd.xs) {
        be_err("cannot reach xenstore (is pvstored running?): %s",
               strerror(errno));
        goto out;
    }
    nd.evh = pvevtchn_open(nd.run_dir);
    nd.gnt = nd.evh ? pvgnttab_open(nd.run_dir) : NULL;
    if (!nd.evh || !nd.gnt) {
        be_err("cannot reach pvisor (is it running?): %s", strerror(errno));
        goto out;
    }
    nd.ep = epoll_create1(EPOLL_CLOEXEC);
    if (nd.ep < 0 || ep_add(nd.ep, xs_fileno(nd.xs), &src_xs) ||
        ep_add(nd.ep, pvevtchn_fd(nd.evh), &src_evtchn) ||
        ep_add(nd.ep, sfd, &src_signal)) {
        be_err("epoll: %s", strerror(errno));
        goto out;
    }
    if (!be_xs_watch_root(nd.xs, "/local/domain/0/backend/vif", "vif")) {
        be_err("watching /local/domain/0/backend/vif: %s", strerror(errno));
        goto out;
    }
    if (o.pidfile && (e = be_write_pidfile(o.pidfile))) {
        be_err("%s: %s", o.pidfile, strerror(-e));
        goto out;
    }
    be_info("serving /local/domain/0/backend/vif%s%s",
            netns ? " in netns " : "", netns ? netns : "");
    if (be_sandbox(&pvd_sandbox_netback) < 0)
        goto out;
    be_daemon_ready();
    e = run(&nd, sfd);
    if (e)
        be_err("event loop: %s", strerror(-e));
    rc = e ? 1 : 0;
out:
    if (nd.ep >= 0)
        nb_vif_free_all(&nd);
    if (nd.ep >= 0)
        close(nd.ep);
    if (sfd >= 0)
        close(sfd);
    pvgnttab_close(nd.gnt);
    pvevtchn_close(nd.evh);
    xs_close(nd.xs);
    if (o.pidfile && rc == 0)
        unlink(o.pidfile);
    return rc;
}
