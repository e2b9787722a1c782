// SPDX-License-Identifier: MIT
/* consoled.c: pv-consoled, the console backend: options, loop, clients. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "be_common.h"
#include "pvd_sandbox.h"
#include "cons_daemon.h"

#define TICK_MS          1000 /* domain deaths, console_io */
#define TICK_ATTACHED_MS 250  /* faster while someone watches */

static const char usage[] =
    "usage: pv-consoled [options]\n"
    "\n"
    "The console backend of pvisor: drains each guest's console ring into\n"
    "RUNDIR/console/NAME.log and serves 'pvctl console' on\n"
    "RUNDIR/pv-consoled.sock. Normally started by 'pvhost start'.\n"
    "\n"
    "  -r, --run-dir DIR      run directory (default $PVISOR_RUN_DIR or\n"
    "                         /run/pvisor); pvisor's socket is found here\n"
    "  -d, --daemon           detach once the socket is listening\n"
    "  -p, --pidfile FILE     write the daemon's pid to FILE\n"
    "  -l, --log-file FILE    append log lines to FILE (default: stderr)\n"
    "  -L, --log-level LEVEL  err, warn, info (default) or debug\n"
    "      --rate BYTES/MS    read at most BYTES of a guest's console ring\n"
    "                         per MS milliseconds (default 64K/100; 0: no\n"
    "                         limit)\n"
    "      --log-max SIZE     rotate NAME.log to NAME.log.1 at SIZE bytes\n"
    "                         (K, M suffixes; default 8M; 0: never)\n"
    "  -h, --help             this text\n";

/* epoll tags for the fds that are not clients. */
static char tag_listen, tag_signal, tag_evtchn, tag_rate;

int cons_watch_evtchn(struct consd *d, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_evtchn };

    return epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void set_events(struct consd *d, struct cons_client *c)
{
    uint32_t want = 0;
    struct epoll_event ev;

    if (c->dead)
        return;
    if (!c->close_after_flush &&
        (!c->dom || c->dom->inq_len < sizeof(c->dom->inq)))
        want |= EPOLLIN;
    if (c->out_len)
        want |= EPOLLOUT;
    if (want == c->ep_events)
        return;
    ev.events = want;
    ev.data.ptr = c;
    if (epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->ep_events = want;
}

void cons_dom_update_attachers(struct consd *d, struct cons_dom *dom)
{
    for (struct cons_client *c = dom->attachers; c; c = c->dnext)
        set_events(d, c);
}

/* Writes queued output; marks the client dead on errors. */
static void client_flush(struct cons_client *c)
{
    size_t done = 0;

    while (done < c->out_len) {
        ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            c->dead = true;
            break;
        }
        done += (size_t)n;
    }
    memmove(c->out, c->out + done, c->out_len - done);
    c->out_len -= done;
    if (!c->out_len && c->close_after_flush)
        c->dead = true;
}

void cons_client_send(struct consd *d, struct cons_client *c, const void *buf,
                      size_t len)
{
    if (c->dead || !len)
        return;
    if (c->out_len + len > CONS_OUTQ_MAX) {
        be_warn("console client fell %zu bytes behind; disconnecting it",
                c->out_len);
        c->dead = true;
        return;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        char *n = realloc(c->out, cap);
        if (!n) {
            c->dead = true;
            return;
        }
        c->out = n;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    client_flush(c);
    set_events(d, c);
}

void cons_client_finish(struct consd *d, struct cons_client *c)
{
    c->close_after_flush = true;
    if (!c->out_len)
        c->dead = true;
    set_events(d, c);
}

static void replyf(struct consd *d, struct cons_client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void replyf(struct consd *d, struct cons_client *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    cons_client_send(d, c, buf, (size_t)n);
}

static void attach(struct consd *d, struct cons_client *c,
                   const struct be_cons_req *r)
{
    struct cons_dom *dom = r->by_name ? cons_dom_find_name(d, r->name)
                                      : cons_dom_find(d, r->domid);
    char *hist;
    size_t n;

    if (!dom) { /* maybe created since the last tick */
        cons_dom_tick(d);
        dom = r->by_name ? cons_dom_find_name(d, r->name)
                         : cons_dom_find(d, r->domid);
    }
    if (!dom) {
        replyf(d, c, "ERR %d no such domain", ENOENT);
        return;
    }
    replyf(d, c, "OK %u %s", dom->domid, dom->name);
    hist = malloc(dom->hist.size);
    if (hist) {
        n = be_cons_hist_read(&dom->hist, hist, dom->hist.size);
        cons_client_send(d, c, hist, n);
        free(hist);
    }
    c->dom = dom;
    if (dom->stopped) {
        cons_client_finish(d, c);
        return;
    }
    c->dnext = dom->attachers;
    dom->attachers = c;
    be_debug("d%u: console attached", dom->domid);
}

static void list_domains(struct consd *d, struct cons_client *c)
{
    size_t nr = 0;

    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        nr++;
    replyf(d, c, "OK %zu", nr);
    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        replyf(d, c, "%u %s %s %s %llu", dom->domid, dom->name,
               dom->page          ? "ring"
               : dom->ring_broken ? "broken"
                                  : "console_io",
               dom->stopped ? "stopped" : "live",
               (unsigned long long)dom->hist.total);
}

static void request(struct consd *d, struct cons_client *c, const char *line,
                    size_t len)
{
    struct be_cons_req r;
    const char *why = "";
    struct cons_dom *dom;
    int e;

    if (be_cons_parse(line, len, &r, &why)) {
        replyf(d, c, "ERR %d %s", EINVAL, why);
        return;
    }
    switch (r.op) {
    case BE_CONS_ADD:
        e = cons_dom_add(d, &r, &why);
        if (e) {
            be_warn("ADD d%u: %s: %s", r.domid, why, strerror(-e));
            replyf(d, c, "ERR %d %s: %s", -e, why, strerror(-e));
        } else {
            replyf(d, c, "OK");
        }
        break;
    case BE_CONS_DEL:
        dom = cons_dom_find(d, r.domid);
        if (dom) {
            cons_dom_drop(d, dom);
            replyf(d, c, "OK");
        } else {
            replyf(d, c, "ERR %d no such domain", ENOENT);
        }
        break;
    case BE_CONS_ATTACH:
        attach(d, c, &r);
        break;
    case BE_CONS_LIST:
        list_domains(d, c);
        break;
    case BE_CONS_PING:
        replyf(d, c, "OK pv-consoled");
        break;
    }
}

/* Bytes from a control client: lines until ATTACH, then console input. */
static void client_bytes(struct consd *d, struct cons_client *c,
                         const char *buf, size_t len)
{
    while (len && !c->dead && !c->close_after_flush) {
        if (c->dom) {
            size_t n = cons_dom_input(d, c->dom, buf, len);
            if (n < len) /* the rest is dropped only if the */
                be_debug("d%u: input queue full, %zu bytes dropped",
                         c->dom->domid, len - n); /* queue is full */
            set_events(d, c);
            return;
        }
        const char *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;

        if (!c->discard_line && c->line_len + take <= BE_CONS_LINE_MAX) {
            memcpy(c->line + c->line_len, buf, take);
            c->line_len += take;
        } else if (!c->discard_line) {
            c->discard_line = true;
        }
        if (!nl)
            return;
        if (c->discard_line)
            replyf(d, c, "ERR %d line too long", EINVAL);
        else
            request(d, c, c->line, c->line_len);
        c->line_len = 0;
        c->discard_line = false;
        buf += take + 1;
        len -= take + 1;
    }
}

static void client_readable(struct consd *d, struct cons_client *c)
{
    char buf[4096];
    size_t want = sizeof(buf);
    ssize_t n;

    if (c->dom) { /* read only what the domain can take */
        want = sizeof(c->dom->inq) - c->dom->inq_len;
        if (want > sizeof(buf))
            want = sizeof(buf);
        if (!want) {
            set_events(d, c);
            return;
        }
    }
    n = recv(c->fd, buf, want, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) { /* detach, or a control client is done */
        c->dead = true;
        return;
    }
    client_bytes(d, c, buf, (size_t)n);
}

static void accept_clients(struct consd *d, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct cons_client *c;

        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR)
                be_warn("accept: %s", strerror(errno));
            return;
        }
        if (!be_peer_trusted(fd)) {
            be_warn("refusing a client of another user");
            close(fd);
            continue;
        }
        c = calloc(1, sizeof(*c));
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (!c || epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            be_warn("cannot take a new client: %s", strerror(errno));
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->ep_events = EPOLLIN;
        c->next = d->clients;
        d->clients = c;
    }
}

static void client_free(struct consd *d, struct cons_client *c)
{
    if (c->dom) {
        for (struct cons_client **pp = &c->dom->attachers; *pp;
             pp = &(*pp)->dnext) {
            if (*pp == c) {
                *pp = c->dnext;
                break;
            }
        }
    }
    epoll_ctl(d->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

static void reap_clients(struct consd *d)
{
    for (struct cons_client **pp = &d->clients; *pp;) {
        struct cons_client *c = *pp;
        if (c->dead) {
            *pp = c->next;
            client_free(d, c);
        } else {
            pp = &c->next;
        }
    }
}

static void run(struct consd *d, int lfd, int sfd)
{
    struct epoll_event evs[64];
    uint64_t last_tick = 0;

    for (;;) {
        bool attached = false;
        for (struct cons_client *c = d->clients; c; c = c->next)
            attached |= c->dom != NULL;
        uint64_t period = attached ? TICK_ATTACHED_MS : TICK_MS;
        uint64_t now = cons_now_ms();
        if (now - last_tick >= period) {
            cons_dom_tick(d);
            reap_clients(d);
            last_tick = now;
        }
        int timeout = (int)(last_tick + period - cons_now_ms());
        int n = epoll_wait(d->ep, evs, 64, timeout < 0 ? 0 : timeout);

        if (n < 0 && errno != EINTR) {
            be_err("epoll_wait: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &tag_listen) {
                accept_clients(d, lfd);
            } else if (p == &tag_signal) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    be_info("signal %u, exiting", si.ssi_signo);
                    return;
                }
            } else if (p == &tag_evtchn) {
                cons_dom_events(d);
            } else if (p == &tag_rate) {
                uint64_t expirations;
                if (read(d->rate_tfd, &expirations, sizeof(expirations)) < 0 &&
                    errno != EAGAIN)
                    be_warn("timerfd: %s", strerror(errno));
                cons_dom_rate_timer(d);
            } else {
                struct cons_client *c = p;
                if (c->dead)
                    continue;
                if (evs[i].events & EPOLLOUT) {
                    client_flush(c);
                    set_events(d, c);
                }
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    client_readable(d, c);
            }
        }
        reap_clients(d);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "run-dir", required_argument, NULL, 'r' },
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "log-file", required_argument, NULL, 'l' },
        { "log-level", required_argument, NULL, 'L' },
        { "rate", required_argument, NULL, 'R' },
        { "log-max", required_argument, NULL, 'M' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *pidfile = NULL, *logfile = NULL;
    struct consd d = {
        .ep = -1,
        .rate_tfd = -1,
        .rate_budget = BE_CONS_RATE_BYTES,
        .rate_window_ms = BE_CONS_RATE_WINDOW_MS,
        .log_max = CONS_LOG_MAX_DEFAULT,
    };
    char sock[512];
    bool daemon_mode = false;
    int opt, lfd, sfd, e, log_fd = 2, rc = 1;
    sigset_t mask;

    d.run_dir = getenv("PVISOR_RUN_DIR");
    while ((opt = getopt_long(argc, argv, "r:dp:l:L:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            d.run_dir = optarg;
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
            be_log_level = be_log_parse_level(optarg);
            if (be_log_level < 0) {
                fprintf(stderr, "pv-consoled: unknown log level '%s'\n",
                        optarg);
                return 1;
            }
            break;
        case 'R':
            if (be_cons_rate_parse(optarg, &d.rate_budget, &d.rate_window_ms)) {
                fprintf(stderr,
                        "pv-consoled: --rate '%s': expected BYTES/MS "
                        "(e.g. 64K/100) or 0\n",
                        optarg);
                return 1;
            }
            break;
        case 'M':
            if (be_cons_parse_size(optarg, &d.log_max) ||
                (d.log_max && d.log_max < 4096)) {
                fprintf(stderr,
                        "pv-consoled: --log-max '%s': expected a size of at "
                        "least 4K (K, M suffixes) or 0\n",
                        optarg);
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
    if (!d.run_dir || !*d.run_dir)
        d.run_dir = PVC_DEFAULT_RUN_DIR;
    if ((size_t)snprintf(sock, sizeof(sock), "%s/pv-consoled.sock",
                         d.run_dir) >= sizeof(sock) ||
        (size_t)snprintf(d.cons_dir, sizeof(d.cons_dir), "%s/console",
                         d.run_dir) >= sizeof(d.cons_dir)) {
        fprintf(stderr, "pv-consoled: run directory path too long\n");
        return 1;
    }
    be_log_init("pv-consoled", log_fd);
    if (logfile && (log_fd = be_log_to_file("pv-consoled", logfile)) < 0)
        return 1;
    if (mkdir(d.cons_dir, 0750) < 0 && errno != EEXIST) {
        fprintf(stderr, "pv-consoled: cannot create %s: %s\n", d.cons_dir,
                strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    if (daemon_mode && (e = be_daemonize())) {
        fprintf(stderr, "pv-consoled: fork: %s\n", strerror(-e));
        return 1;
    }
    lfd = be_listen_unix(sock);
    if (lfd < 0) {
        be_err("cannot listen on %s: %s", sock, strerror(-lfd));
        if (log_fd != 2)
            fprintf(stderr, "pv-consoled: cannot listen on %s: %s\n", sock,
                    strerror(-lfd));
        return 1;
    }
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    d.ep = epoll_create1(EPOLL_CLOEXEC);
    d.rate_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct epoll_event el = { .events = EPOLLIN, .data.ptr = &tag_listen };
    struct epoll_event es = { .events = EPOLLIN, .data.ptr = &tag_signal };
    struct epoll_event et = { .events = EPOLLIN, .data.ptr = &tag_rate };
    if (sfd < 0 || d.ep < 0 || d.rate_tfd < 0 ||
        epoll_ctl(d.ep, EPOLL_CTL_ADD, lfd, &el) < 0 ||
        epoll_ctl(d.ep, EPOLL_CTL_ADD, sfd, &es) < 0 ||
        epoll_ctl(d.ep, EPOLL_CTL_ADD, d.rate_tfd, &et) < 0) {
        be_err("start-up failed: %s", strerror(errno));
        goto out;
    }
    if (pidfile && (e = be_write_pidfile(pidfile)))
        be_warn("pidfile %s: %s", pidfile, strerror(-e));
    be_info("listening on %s, logs in %s; console rate %zu bytes per %llu "
            "ms, logs rotated at %llu bytes (0: no limit)",
            sock, d.cons_dir, d.rate_budget,
            (unsigned long long)d.rate_window_ms,
            (unsigned long long)d.log_max);
    if (be_sandbox(&pvd_sandbox_consoled) < 0)
        goto out;
    be_daemon_ready();
    cons_pvisor(&d);
    run(&d, lfd, sfd);
    rc = 0;
out:
    while (d.clients) {
        struct cons_client *c = d.clients;
        d.clients = c->next;
        c->dom = NULL;
        client_free(&d, c);
    }
    cons_dom_fini(&d);
    unlink(sock);
    close(lfd);
    if (sfd >= 0)
        close(sfd);
    if (d.ep >= 0)
        close(d.ep);
    if (d.rate_tfd >= 0)
        close(d.rate_tfd);
    if (log_fd != 2)
        close(log_fd);
    return rc;
}
