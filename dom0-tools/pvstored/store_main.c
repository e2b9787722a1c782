// SPDX-License-Identifier: MIT
/* store_main.c: pvstored start-up, options, daemon mode and event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pvd_daemon.h"
#include "pvd_sandbox.h"
#include "store.h"
#include "store_host.h"

static const char usage[] =
    "usage: pvstored [options]\n"
    "\n"
    "The xenstore daemon of pvisor: serves the xenstore protocol to dom0\n"
    "programs on a unix socket and to guests on their xenstore rings.\n"
    "Normally started by 'pvhost start'.\n"
    "\n"
    "  -r, --run-dir DIR      run directory (default $PVISOR_RUN_DIR or\n"
    "                         /run/pvisor); pvisor's socket is found here\n"
    "  -s, --socket PATH      listen here (default $XENSTORED_PATH, else\n"
    "                         <run-dir>/pvstored.sock)\n"
    "  -d, --daemon           detach once the socket is listening\n"
    "  -p, --pidfile FILE     write the daemon's pid to FILE\n"
    "  -l, --log-file FILE    append log lines to FILE (default: stderr)\n"
    "  -L, --log-level LEVEL  err, warn, info (default) or debug\n"
    "  -h, --help             this text\n";

/* epoll tags for the fds that are not connections. */
static char tag_listen, tag_signal, tag_evtchn;

static int ep_fd = -1;

static int ep_add(int fd, uint32_t events, void *ptr)
{
    struct epoll_event ev = { .events = events, .data.ptr = ptr };

    return epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int evtchn_ready(struct store_host *h, int fd)
{
    (void)h;
    return ep_add(fd, EPOLLIN, &tag_evtchn);
}

/* Only peers with our uid or root: every socket client is dom0. */
static void accept_clients(struct store *st, int lfd)
{
    for (;;) {
        struct ucred cred;
        socklen_t clen = sizeof(cred);
        struct store_conn *c;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR)
                store_warn("accept: %s", strerror(errno));
            return;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
            (cred.uid != 0 && cred.uid != getuid())) {
            store_warn("refusing a client with uid %d", (int)cred.uid);
            close(fd);
            continue;
        }
        c = store_conn_new(st, &store_socket_transport, NULL, fd, 0);
        if (!c) {
            store_warn("out of memory for a new client");
            continue;
        }
        c->ep_events = EPOLLIN;
        if (ep_add(fd, EPOLLIN, c)) {
            store_conn_destroy(c);
            continue;
        }
        store_debug("new client (pid %d)", (int)cred.pid);
    }
}

static void update_events(struct store_conn *c)
{
    uint32_t want =
        (c->out_blocked ? 0 : EPOLLIN) | (c->out_head ? EPOLLOUT : 0);
    struct epoll_event ev = { .events = want, .data.ptr = c };

    if (c->fd < 0 || c->dead || want == c->ep_events)
        return;
    if (epoll_ctl(ep_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->ep_events = want;
}

static void service(struct store_conn *c)
{
    store_conn_flush(c);
    store_conn_process(c, STORE_BATCH);
    store_conn_flush(c);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run(struct store *st, struct store_host *host, int lfd, int sfd)
{
    struct epoll_event evs[64];
    uint64_t last_poll = now_ms();
    bool busy = false;

    for (;;) {
        int n = epoll_wait(ep_fd, evs, 64, busy ? 0 : 1000);

        if (n < 0 && errno != EINTR) {
            store_err("epoll_wait: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &tag_listen) {
                accept_clients(st, lfd);
            } else if (p == &tag_signal) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    store_info("signal %u, exiting", si.ssi_signo);
                    return;
                }
            } else if (p == &tag_evtchn) {
                store_host_events(host);
            } else {
                service(p);
            }
        }
        /* Fairness: clients stopped at their batch limit go again. */
        busy = false;
        for (struct store_conn *c = st->conns; c; c = c->next) {
            if (!c->dead && (c->more || (c->out_blocked &&
                                         c->out_bytes <= STORE_OUTQ_SOFT)))
                service(c);
            busy |= !c->dead && c->more;
        }
        store_conns_reap(st);
        /* Output queued for a guest by another connection (watch events)
         * has no fd to wait on: push it into the ring now. */
        for (struct store_conn *c = st->conns; c; c = c->next)
            if (c->fd < 0 && c->out_head && !c->dead)
                store_conn_flush(c);
        for (struct store_conn *c = st->conns; c; c = c->next)
            update_events(c);
        if (now_ms() - last_poll >= 1000) {
            last_poll = now_ms();
            store_host_poll(host);
        }
    }
}

/* Enters pvstored's sandbox (pvd_sandbox.h): -1 after logging why not. */
static int sandbox(void)
{
    char err[256];

    if (pvd_sandbox_enter(&pvd_sandbox_pvstored, store_log_fd(), err,
                          sizeof(err)) < 0) {
        store_err("sandbox: %s", err);
        return -1;
    }
    if (err[0])
        store_warn("sandbox: %s", err);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "run-dir", required_argument, NULL, 'r' },
        { "socket", required_argument, NULL, 's' },
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "log-file", required_argument, NULL, 'l' },
        { "log-level", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *run_dir = getenv("PVISOR_RUN_DIR"), *sock = NULL;
    const char *pidfile = NULL, *logfile = NULL;
    char sockbuf[256];
    bool daemon_mode = false;
    struct store_host host;
    struct store *st;
    int opt, lfd, sfd, e;
    sigset_t mask;

    while ((opt = getopt_long(argc, argv, "r:s:dp:l:L:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            run_dir = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 'd':
            daemon_mode = true;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'l':
            logfile = optarg;
            break;
        case 'L':
            store_log_level = store_log_parse_level(optarg);
            if (store_log_level < 0) {
                fprintf(stderr, "pvstored: unknown log level '%s'\n", optarg);
                return 1;
            }
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 1;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 1;
    }
    if (!run_dir || !*run_dir)
        run_dir = PVC_DEFAULT_RUN_DIR;
    if (!sock)
        sock = getenv("XENSTORED_PATH");
    if (!sock || !*sock) {
        if ((size_t)snprintf(sockbuf, sizeof(sockbuf), "%s/pvstored.sock",
                             run_dir) >= sizeof(sockbuf)) {
            fprintf(stderr, "pvstored: run directory path too long\n");
            return 1;
        }
        sock = sockbuf;
    }
    if (logfile) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "pvstored: %s: %s\n", logfile, strerror(errno));
            return 1;
        }
        store_log_set_fd(fd);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    if (daemon_mode && (e = pvd_daemonize())) {
        fprintf(stderr, "pvstored: fork: %s\n", strerror(-e));
        return 1;
    }
    lfd = pvd_unix_listen(sock);
    if (lfd < 0) {
        store_err("cannot listen on %s: %s", sock, strerror(-lfd));
        fprintf(stderr, "pvstored: cannot listen on %s: %s\n", sock,
                strerror(-lfd));
        return 1;
    }
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    ep_fd = epoll_create1(EPOLL_CLOEXEC);
    st = store_new();
    if (sfd < 0 || ep_fd < 0 || !st || ep_add(lfd, EPOLLIN, &tag_listen) ||
        ep_add(sfd, EPOLLIN, &tag_signal)) {
        fprintf(stderr, "pvstored: start-up failed: %s\n", strerror(errno));
        unlink(sock);
        return 1;
    }
    store_host_init(&host, st, run_dir);
    host.evtchn_ready = evtchn_ready;
    if (pidfile && (e = pvd_pidfile_write(pidfile)))
        store_warn("pidfile %s: %s", pidfile, strerror(-e));
    store_info("listening on %s", sock);
    if (sandbox() < 0) {
        unlink(sock);
        return 1;
    }
    /* Daemonized without a log file: the log has nowhere to go. */
    if (pvd_daemon_ready(!logfile))
        store_warn("could not report readiness");
    if (daemon_mode && !logfile)
        store_log_set_fd(-1);
    run(st, &host, lfd, sfd);
    store_host_fini(&host);
    store_free(st);
    close(lfd);
    close(sfd);
    close(ep_fd);
    unlink(sock);
    pvd_pidfile_remove(pidfile);
    return 0;
}
