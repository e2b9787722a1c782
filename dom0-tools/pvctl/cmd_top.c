// SPDX-License-Identifier: MIT
/* cmd_top.c: pvctl top, xentop for pvisor: per-domain rates, live or batch. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pvctl.h"
#include "pvctl_obs.h"
#include "xenstore.h"

/* What top keeps of one domain between two samples. */
struct top_dom {
    uint32_t domid;
    uint64_t uptime_ns, cpu_ns, hypercalls, exits, traps, upcalls;
    uint64_t net_tx, net_rx; /* bytes the guest sent / received */
    int nets;
    uint64_t vbd_rd, vbd_wr; /* bytes pv-blkback read / wrote for it */
    int vbds;                /* devices with published statistics */
};

struct top_sample {
    struct pvc_domain_info *d;
    size_t nr;
    struct top_dom *t;
    uint64_t when_ns;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
    (void)sig;
    top_stop = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "re");
    unsigned long long v = 0;

    if (!f)
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

/*
 * Network bytes of domid from its backends: each vif's host interface
 * (backend key vifname, a TAP device) counts what the guest sent as rx and
 * what it received as tx.
 */
static void net_stats(struct xs_handle *xs, struct top_dom *t)
{
    char dir[96], path[160];
    unsigned n = 0;
    char **devs;

    if (!xs)
        return;
    snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%u", t->domid);
    devs = xs_directory(xs, XBT_NULL, dir, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        char be[160];
        snprintf(be, sizeof(be), "%s/%s", dir, devs[i]);
        char *ifname = xs_read_key(xs, be, "vifname");
        if (!ifname)
            continue;
        if (strchr(ifname, '/') == NULL && strlen(ifname) < 32) {
            snprintf(path, sizeof(path),
                     "/sys/class/net/%s/statistics/rx_bytes", ifname);
            t->net_tx += read_u64_file(path);
            snprintf(path, sizeof(path),
                     "/sys/class/net/%s/statistics/tx_bytes", ifname);
            t->net_rx += read_u64_file(path);
            t->nets++;
        }
        free(ifname);
    }
    free(devs);
}

/* Block bytes of domid: pv-blkback publishes statistics/rd_bytes and
 * wr_bytes in each backend directory, at most once a second. */
static void vbd_stats(struct xs_handle *xs, struct top_dom *t)
{
    char dir[96];
    unsigned n = 0;
    char **devs;

    if (!xs)
        return;
    snprintf(dir, sizeof(dir), "/local/domain/0/backend/vbd/%u", t->domid);
    devs = xs_directory(xs, XBT_NULL, dir, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        char be[160];
        snprintf(be, sizeof(be), "%s/%s/statistics", dir, devs[i]);
        long rd = xs_read_key_long(xs, be, "rd_bytes", -1);
        long wr = xs_read_key_long(xs, be, "wr_bytes", -1);
        if (rd < 0 || wr < 0)
            continue;
        t->vbd_rd += (uint64_t)rd;
        t->vbd_wr += (uint64_t)wr;
        t->vbds++;
    }
    free(devs);
}

static int take_sample(struct pvc_handle *h, struct xs_handle *xs,
                       struct top_sample *s)
{
    int e;

    memset(s, 0, sizeof(*s));
    e = pvc_domain_list(h, PVC_DOMID_ALL, &s->d, &s->nr);
    if (e)
        return e;
    s->when_ns = mono_ns();
    s->t = calloc(s->nr ? s->nr : 1, sizeof(*s->t));
    if (!s->t)
        return -ENOMEM;
    for (size_t i = 0; i < s->nr; i++) {
        struct top_dom *t = &s->t[i];
        t->domid = s->d[i].domid;
        t->uptime_ns = s->d[i].uptime_ns;
        t->cpu_ns = s->d[i].cpu_time_ns;
        for (size_t j = 0; j < s->d[i].nr_vcpu; j++) {
            t->hypercalls += s->d[i].vcpu[j].hypercalls;
            t->exits += s->d[i].vcpu[j].exits;
            t->traps += s->d[i].vcpu[j].traps;
            t->upcalls += s->d[i].vcpu[j].upcalls;
        }
        if (t->domid) {
            net_stats(xs, t);
            vbd_stats(xs, t);
        }
    }
    return 0;
}

static void free_sample(struct top_sample *s)
{
    pvc_domain_info_free(s->d, s->nr);
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static const struct top_dom *find_prev(const struct top_sample *p,
                                       const struct top_dom *t)
{
    for (size_t i = 0; i < p->nr; i++)
        /* A restart or a new domain with a reused id starts afresh. */
        if (p->t[i].domid == t->domid && p->t[i].uptime_ns <= t->uptime_ns)
            return &p->t[i];
    return NULL;
}

static double rate(uint64_t now, uint64_t before, double secs)
{
    return now >= before && secs > 0 ? (double)(now - before) / secs : 0;
}

static void print_frame(const struct top_sample *p, const struct top_sample *s)
{
    double secs = (double)(s->when_ns - p->when_ns) / 1e9;
    unsigned running = 0, blocked = 0, paused = 0, other = 0;
    time_t now = time(NULL);
    struct tm tm;
    char clock[16];

    localtime_r(&now, &tm);
    strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
    for (size_t i = 0; i < s->nr; i++) {
        if (s->d[i].domid == 0)
            continue;
        switch (s->d[i].state) {
        case PVMGMT__DOMAIN_STATE__STATE_RUNNING:
            running++;
            break;
        case PVMGMT__DOMAIN_STATE__STATE_BLOCKED:
            blocked++;
            break;
        case PVMGMT__DOMAIN_STATE__STATE_PAUSED:
            paused++;
            break;
        default:
            other++;
            break;
        }
    }
    printf("pvctl top - %s  %zu domains: %u running, %u blocked, %u paused, "
           "%u stopped  interval %.1f s\n",
           clock, s->nr ? s->nr - 1 : 0, running, blocked, paused, other, secs);
    printf("%10s %5s %6s %9s %6s %9s %10s %5s %9s %9s %8s %9s %9s\n", "NAME",
           "ID", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "HOSTMEM(k)", "VCPUS",
           "HCALLS/s", "EXITS/s", "TRAPS/s", "NETTX(k)", "NETRX(k)");
    for (size_t i = 0; i < s->nr; i++) {
        const struct pvc_domain_info *d = &s->d[i];
        const struct top_dom *t = &s->t[i];
        const struct top_dom *o = find_prev(p, t);
        struct top_dom zero = *t;
        char st[7], tx[24] = "-", rx[24] = "-", vr[24] = "-", vw[24] = "-";

        if (!o) {
            memset(&zero, 0, sizeof(zero));
            o = &zero;
        }
        pvctl_state_string(d->state, st);
        if (t->nets) {
            snprintf(tx, sizeof(tx), "%llu",
                     (unsigned long long)(t->net_tx / 1024));
            snprintf(rx, sizeof(rx), "%llu",
                     (unsigned long long)(t->net_rx / 1024));
        }
        if (t->vbds) {
            snprintf(vr, sizeof(vr), "%llu",
                     (unsigned long long)(t->vbd_rd / 1024));
            snprintf(vw, sizeof(vw), "%llu",
                     (unsigned long long)(t->vbd_wr / 1024));
        }
        printf("%10.10s %5u %6s %9.1f %6.1f %9llu %10llu %5u %9.0f %9.0f %8.0f "
               "%9s %9s %9s %9s\n",
               d->name, d->domid, st, d->cpu_time_ns / 1e9,
               rate(t->cpu_ns, o->cpu_ns, secs) / 1e7, /* ns/s -> % */
               (unsigned long long)d->memory_kb,
               (unsigned long long)d->host_memory_kb, d->vcpus_online,
               d->domid ? rate(t->hypercalls, o->hypercalls, secs) : 0,
               d->domid ? rate(t->exits, o->exits, secs) : 0,
               d->domid ? rate(t->traps, o->traps, secs) : 0, tx, rx, vr, vw);
    }
}

int pvctl_cmd_top(int argc, char **argv)
{
    struct top_sample prev = { 0 }, cur = { 0 };
    struct termios saved, raw;
    bool batch = false, tty_saved = false;
    unsigned long iters = 0, done = 0;
    double delay = 3.0;
    struct pvc_handle *h;
    struct xs_handle *xs;
    char err[256];
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "bd:n:")) != -1) {
        switch (opt) {
        case 'b':
            batch = true;
            break;
        case 'd':
            if (pvctl_parse_seconds(optarg, &delay, err, sizeof(err))) {
                pvctl_err("top", "%s", err);
                return PVCTL_ERR;
            }
            break;
        case 'n':
            if (pvctl_parse_range("iterations", optarg, 1, 1000000000, &iters,
                                  err, sizeof(err))) {
                pvctl_err("top", "%s", err);
                return PVCTL_ERR;
            }
            break;
        default:
            return pvctl_usage("top");
        }
    }
    if (optind != argc)
        return pvctl_usage("top");
    if (!batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))) {
        pvctl_err("top", "interactive mode needs a terminal on stdin and "
                         "stdout; use -b for batch output");
        return PVCTL_ERR;
    }
    if (pvctl_connect("top", &h))
        return PVCTL_ERR;
    xs = pvctl_xs_open("top", false);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (!batch && tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tty_saved = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    if (batch)
        setvbuf(stdout, NULL, _IOLBF, 0);
    e = take_sample(h, xs, &prev);
    if (e) {
        pvctl_call_failed("top", h, e, "listing domains");
        goto out;
    }
    while (!top_stop && (!iters || done < iters)) {
        /* Wait the interval; in interactive mode a key ends it early. */
        uint64_t until = mono_ns() + (uint64_t)(delay * 1e9);
        bool quit = false;
        for (uint64_t now; !top_stop && (now = mono_ns()) < until;) {
            struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
            int ms = (int)((until - now) / 1000000) + 1;
            if (batch) {
                poll(NULL, 0, ms);
                continue;
            }
            if (poll(&pfd, 1, ms) > 0) {
                char ch = 0;
                if (read(STDIN_FILENO, &ch, 1) == 1) {
                    quit = ch == 'q' || ch == 'Q';
                    break;
                }
            }
        }
        if (quit || top_stop)
            break;
        e = take_sample(h, xs, &cur);
        if (e) {
            free_sample(&cur);
            pvctl_call_failed("top", h, e, "listing domains");
            goto out;
        }
        if (!batch)
            printf("\033[H\033[2J");
        else if (done)
            printf("\n");
        print_frame(&prev, &cur);
        if (!batch)
            printf("\nq: quit, any other key: refresh\n");
        fflush(stdout);
        free_sample(&prev);
        prev = cur;
        memset(&cur, 0, sizeof(cur));
        done++;
    }
    rc = PVCTL_OK;
out:
    if (tty_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    free_sample(&prev);
    if (xs)
        xs_close(xs);
    pvc_close(h);
    return rc;
}
