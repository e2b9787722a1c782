// SPDX-License-Identifier: MIT
/* cons_dom.c: pv-consoled's domains: ring, console_io, log and history. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "be_common.h"
#include "cons_daemon.h"

#define PAGE_SIZE 4096u

/* pvisor went away: every domain went with it. */
static void pvisor_lost(struct consd *d)
{
    be_warn("lost the connection to pvisor; dropping all domains");
    pvevtchn_close(d->evh);
    d->evh = NULL;
    pvc_close(d->pvc);
    d->pvc = NULL;
    d->pvc_broken = false;
    while (d->doms)
        cons_dom_drop(d, d->doms);
}

int cons_pvisor(struct consd *d)
{
    int e;

    if (d->pvc_broken)
        pvisor_lost(d);
    if (d->pvc)
        return 0;
    e = pvc_open(d->run_dir, &d->pvc);
    if (!e)
        e = pvc_hello(d->pvc, "pv-consoled", NULL, 0);
    if (e) {
        pvc_close(d->pvc);
        d->pvc = NULL;
        if (!d->pvc_warned)
            be_warn("pvisor is not reachable (%s); retrying", strerror(-e));
        d->pvc_warned = true;
        return e;
    }
    if (d->pvc_warned)
        be_info("connected to pvisor");
    d->pvc_warned = false;
    return 0;
}

/* A failed call on the pvisor connection: is the connection itself gone?
 * (Acted on at the next cons_pvisor(), never in the middle of a caller
 * that still holds a domain.) */
static void note_error(struct consd *d, int e)
{
    if (e == -ECONNRESET || e == -EPIPE || e == -EPROTO || e == -EBADF ||
        e == -ENOTCONN)
        d->pvc_broken = true;
}

struct cons_dom *cons_dom_find(struct consd *d, uint32_t domid)
{
    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        if (dom->domid == domid)
            return dom;
    return NULL;
}

struct cons_dom *cons_dom_find_name(struct consd *d, const char *name)
{
    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        if (!strcmp(dom->name, name))
            return dom;
    return NULL;
}

uint64_t cons_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void log_path(struct consd *d, const struct cons_dom *dom,
                     const char *suffix, char *path, size_t size)
{
    snprintf(path, size, "%s/%s.log%s", d->cons_dir, dom->name, suffix);
}

static void log_open(struct consd *d, struct cons_dom *dom, int flags)
{
    char path[sizeof(d->cons_dir) + BE_CONS_NAME_MAX + 8];
    struct stat st;

    log_path(d, dom, "", path, sizeof(path));
    dom->log_fd =
        open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | flags, 0640);
    if (dom->log_fd < 0) {
        be_warn("d%u: cannot open %s: %s (history only)", dom->domid, path,
                strerror(errno));
        return;
    }
    dom->log_size = fstat(dom->log_fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* NAME.log is full: it becomes NAME.log.1 (replacing the one before) and
 * a new NAME.log starts, so a domain holds at most twice log_max. */
static void log_rotate(struct consd *d, struct cons_dom *dom)
{
    char cur[sizeof(d->cons_dir) + BE_CONS_NAME_MAX + 8];
    char old[sizeof(cur) + 2];

    log_path(d, dom, "", cur, sizeof(cur));
    log_path(d, dom, ".1", old, sizeof(old));
    close(dom->log_fd);
    dom->log_fd = -1;
    if (rename(cur, old) < 0)
        be_warn("d%u: rotating %s: %s; starting it again", dom->domid, cur,
                strerror(errno));
    else
        be_info("d%u: %s.log reached %llu bytes; rotated to %s.log.1",
                dom->domid, dom->name, (unsigned long long)dom->log_size,
                dom->name);
    log_open(d, dom, O_TRUNC);
}

/* Appends to NAME.log, never letting it grow past log_max. */
static void log_append(struct consd *d, struct cons_dom *dom, const char *buf,
                       size_t len)
{
    if (d->log_max && dom->log_size && dom->log_size + len > d->log_max)
        log_rotate(d, dom);
    while (len && dom->log_fd >= 0) {
        size_t n = len;
        int e;

        if (d->log_max && dom->log_size >= d->log_max)
            log_rotate(d, dom);
        if (dom->log_fd < 0)
            return;
        if (d->log_max && n > d->log_max - dom->log_size)
            n = (size_t)(d->log_max - dom->log_size);
        e = be_write_all(dom->log_fd, buf, n);
        if (e) {
            be_warn("d%u: writing %s.log: %s; log closed", dom->domid,
                    dom->name, strerror(-e));
            close(dom->log_fd);
            dom->log_fd = -1;
            return;
        }
        dom->log_size += n;
        buf += n;
        len -= n;
    }
}

/* Output of the domain, from either channel: log, history, attachers. */
static void emit(struct consd *d, struct cons_dom *dom, const char *buf,
                 size_t len)
{
    if (!len)
        return;
    log_append(d, dom, buf, len);
    be_cons_hist_append(&dom->hist, buf, len);
    for (struct cons_client *c = dom->attachers; c; c = c->dnext)
        cons_client_send(d, c, buf, len);
}

static void notice(struct consd *d, struct cons_dom *dom, const char *what)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "\n[pv-consoled] %s\n", what);

    emit(d, dom, line, (size_t)n);
}

static bool stopped_state(Pvmgmt__DomainState s)
{
    return s == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN ||
           s == PVMGMT__DOMAIN_STATE__STATE_CRASHED ||
           s == PVMGMT__DOMAIN_STATE__STATE_DYING;
}

/* How pvisor's own console lines (crash, restart) begin. */
#define PVISOR_LINE "\n[pvisor] "

/*
 * Pulls what the guest (and pvisor) wrote through console_io. With
 * before_ring (the guest's first ring output is about to be consumed) and
 * the domain already stopped, the lines pvisor appended when it stopped
 * come after that ring output: stop at the first of them, the next pull
 * (after the ring is drained) takes them.
 */
static void pull_console_io(struct consd *d, struct cons_dom *dom,
                            bool before_ring)
{
    for (int i = 0; i < 64 && d->pvc && !d->pvc_broken; i++) {
        struct pvc_console_chunk c;
        const char *mark = NULL;
        size_t n;
        int e = pvc_console_read(d->pvc, dom->domid, dom->io_offset, 0, 0, &c);
        if (e) {
            note_error(d, e);
            return; /* -ESRCH: gone, nothing more to read */
        }
        if (c.first_offset > dom->io_offset && dom->io_offset)
            be_warn("d%u: %llu console_io bytes overwritten before read",
                    dom->domid,
                    (unsigned long long)(c.first_offset - dom->io_offset));
        n = c.len;
        if (before_ring && c.len && stopped_state(c.state))
            mark = memmem(c.data, c.len, PVISOR_LINE, strlen(PVISOR_LINE));
        if (mark)
            n = (size_t)(mark - (const char *)c.data);
        emit(d, dom, (const char *)c.data, n);
        dom->io_offset = c.next_offset - c.len + n;
        pvc_console_chunk_free(&c);
        if (!c.len || mark)
            return;
    }
}

static void ring_disconnect(struct consd *d, struct cons_dom *dom)
{
    if (dom->lport > 0 && d->evh)
        pvevtchn_unbind(d->evh, (pvevtchn_port_t)dom->lport);
    dom->lport = 0;
    if (dom->page)
        munmap(dom->page, PAGE_SIZE);
    dom->page = NULL;
    dom->inq_len = 0;
    dom->paused = false;
}

/* Arms the timer for the earliest window a paused domain waits for. */
static void rate_arm(struct consd *d)
{
    struct itimerspec its = { 0 };
    uint64_t next = 0;

    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        if (dom->paused && (!next || be_cons_rate_next(&dom->rate) < next))
            next = be_cons_rate_next(&dom->rate);
    if (next) {
        its.it_value.tv_sec = (time_t)(next / 1000);
        its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
    }
    if (d->rate_tfd >= 0 &&
        timerfd_settime(d->rate_tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        be_warn("timerfd_settime: %s", strerror(errno));
}

/* The guest produces faster than its budget: leave its port masked and
 * its ring unread until the next window (the guest's writer then waits
 * for ring space, as on a slow serial line). */
static void rate_pause(struct consd *d, struct cons_dom *dom)
{
    dom->paused = true;
    if (!dom->rate_warned)
        be_warn("d%u (%s): console output over %zu bytes in %llu ms; "
                "reading paused until the next window (logged once)",
                dom->domid, dom->name, dom->rate.budget,
                (unsigned long long)dom->rate.window_ms);
    dom->rate_warned = true;
    rate_arm(d);
}

/* Moves guest output from the ring, within the domain's budget; false
 * when the ring was bad. */
static bool drain_ring(struct consd *d, struct cons_dom *dom)
{
    char buf[2048];
    bool full;
    ssize_t n;

    if (!dom->page || dom->paused)
        return true;
    /* Output a guest wrote with console_io before its ring came up
     * precedes everything on the ring. */
    if (!dom->ring_seen && dom->ring.intf->out_prod != dom->ring.out_cons)
        pull_console_io(d, dom, true);
    /* A writer facing a full ring waits for our signal (or its own
     * timeout): give it one once there is room. */
    full = __atomic_load_n(&dom->ring.intf->out_prod, __ATOMIC_RELAXED) -
               dom->ring.out_cons >=
           sizeof(dom->ring.intf->out);
    for (;;) {
        size_t room = be_cons_rate_room(&dom->rate, cons_now_ms());

        if (!room) {
            if (__atomic_load_n(&dom->ring.intf->out_prod, __ATOMIC_RELAXED) !=
                dom->ring.out_cons)
                rate_pause(d, dom);
            break;
        }
        n = be_cons_ring_read(&dom->ring, buf,
                              room < sizeof(buf) ? room : sizeof(buf));
        if (n < 0)
            return false;
        if (!n)
            break;
        be_cons_rate_charge(&dom->rate, (size_t)n);
        dom->ring_seen = true;
        emit(d, dom, buf, (size_t)n);
        if (full && dom->page) {
            pvevtchn_notify(d->evh, (pvevtchn_port_t)dom->lport);
            full = false;
        }
    }
    return true;
}

/* Writes queued input into the ring; false when the ring was bad. */
static bool flush_input(struct consd *d, struct cons_dom *dom)
{
    ssize_t n;

    if (!dom->page || !dom->inq_len)
        return true;
    n = be_cons_ring_write(&dom->ring, dom->inq, dom->inq_len);
    if (n < 0)
        return false;
    if (n > 0) {
        memmove(dom->inq, dom->inq + n, dom->inq_len - (size_t)n);
        dom->inq_len -= (size_t)n;
        pvevtchn_notify(d->evh, (pvevtchn_port_t)dom->lport);
        cons_dom_update_attachers(d, dom);
    }
    return true;
}

/* The guest broke the ring protocol: only this console is disconnected. */
static void ring_hostile(struct consd *d, struct cons_dom *dom)
{
    struct xencons_interface *intf = dom->ring.intf;
    char what[160];

    snprintf(what, sizeof(what),
             "d%u: console ring indices out of range "
             "(out %u/%u, in %u/%u); ring disconnected",
             dom->domid, __atomic_load_n(&intf->out_prod, __ATOMIC_RELAXED),
             dom->ring.out_cons,
             __atomic_load_n(&intf->in_cons, __ATOMIC_RELAXED),
             dom->ring.in_prod);
    be_warn("%s", what);
    notice(d, dom, what);
    ring_disconnect(d, dom);
    dom->ring_broken = true;
}

static int ring_connect(struct consd *d, struct cons_dom *dom, uint64_t mfn,
                        uint32_t port, const char **why)
{
    uint64_t size;
    int fd, e;

    if (!d->evh) {
        d->evh = pvevtchn_open(d->run_dir);
        if (!d->evh) {
            e = -errno;
            return *why = "cannot open event channels in pvisor", e;
        }
        e = cons_watch_evtchn(d, pvevtchn_fd(d->evh));
        if (e) {
            pvevtchn_close(d->evh);
            d->evh = NULL;
            return *why = "cannot poll event channels", e;
        }
    }
    e = pvc_map_memory(d->pvc, dom->domid, &fd, &size);
    if (e)
        return *why = "cannot map the domain's memory", e;
    if (mfn >= size / PAGE_SIZE) {
        close(fd);
        return *why = "ring frame beyond the domain's memory", -EINVAL;
    }
    dom->page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                     (off_t)(mfn * PAGE_SIZE));
    e = dom->page == MAP_FAILED ? -errno : 0;
    close(fd);
    if (e) {
        dom->page = NULL;
        return *why = "cannot map the ring page", e;
    }
    be_cons_ring_init(&dom->ring, dom->page);
    e = pvevtchn_bind_interdomain(d->evh, dom->domid, port);
    if (e < 0) {
        munmap(dom->page, PAGE_SIZE);
        dom->page = NULL;
        return *why = "cannot bind the console event channel", e;
    }
    dom->lport = e;
    dom->mfn = mfn;
    dom->gport = port;
    dom->ring_broken = false;
    be_info("d%u (%s): console ring at frame 0x%llx, port %u (local %d)",
            dom->domid, dom->name, (unsigned long long)mfn, port, dom->lport);
    return 0;
}

static struct cons_dom *dom_new(struct consd *d, uint32_t domid,
                                const char *name)
{
    struct cons_dom *dom = calloc(1, sizeof(*dom));

    if (!dom)
        return NULL;
    if (be_cons_hist_init(&dom->hist, BE_CONS_HIST_SIZE)) {
        free(dom);
        return NULL;
    }
    dom->domid = domid;
    snprintf(dom->name, sizeof(dom->name), "%s", name);
    dom->rate.budget = d->rate_budget;
    dom->rate.window_ms = d->rate_window_ms;
    dom->rate.start_ms = cons_now_ms();
    log_open(d, dom, 0);
    dom->next = d->doms;
    d->doms = dom;
    return dom;
}

int cons_dom_add(struct consd *d, const struct be_cons_req *r, const char **why)
{
    struct cons_dom *dom = cons_dom_find(d, r->domid);
    struct pvc_domain_info *info = NULL;
    size_t nr = 0;
    bool fresh = false;
    int e;

    if (dom && (dom->page || !r->port))
        return *why = "domain already known", -EEXIST;
    if (cons_pvisor(d))
        return *why = "pvisor is not reachable", -EHOSTDOWN;
    e = pvc_domain_list(d->pvc, r->domid, &info, &nr);
    if (e || nr != 1) {
        pvc_domain_info_free(info, nr);
        note_error(d, e);
        return *why = "no such domain", -ESRCH;
    }
    if (!dom) {
        dom = dom_new(d, r->domid, r->name);
        if (!dom) {
            pvc_domain_info_free(info, nr);
            return *why = "out of memory", -ENOMEM;
        }
        fresh = true;
    }
    dom->restarts = info[0].restarts;
    pvc_domain_info_free(info, nr);
    if (r->port) {
        e = ring_connect(d, dom, r->mfn, r->port, why);
        if (e) {
            if (fresh)
                cons_dom_drop(d, dom);
            return e;
        }
    }
    be_info("d%u (%s): added%s", dom->domid, dom->name,
            r->port ? "" : " (console_io only)");
    return 0;
}

void cons_dom_drop(struct consd *d, struct cons_dom *dom)
{
    struct cons_dom **pp;

    /* Last words: one more window's budget, even when paused. */
    dom->paused = false;
    dom->rate.used = 0;
    if (dom->page && !drain_ring(d, dom))
        ring_hostile(d, dom);
    pull_console_io(d, dom, false);
    for (struct cons_client *c = dom->attachers, *n; c; c = n) {
        n = c->dnext;
        cons_client_finish(d, c);
        c->dom = NULL;
        c->dnext = NULL;
    }
    dom->attachers = NULL;
    ring_disconnect(d, dom);
    for (pp = &d->doms; *pp; pp = &(*pp)->next) {
        if (*pp == dom) {
            *pp = dom->next;
            break;
        }
    }
    be_info("d%u (%s): console closed", dom->domid, dom->name);
    if (dom->log_fd >= 0)
        close(dom->log_fd);
    be_cons_hist_free(&dom->hist);
    free(dom);
}

static struct cons_dom *dom_by_lport(struct consd *d, int lport)
{
    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        if (dom->page && dom->lport == lport)
            return dom;
    return NULL;
}

/*
 * pvisor restarts a domain in place from its boot snapshot: the ring page
 * is zeroed again, but the channels the toolstack made with dom0 stay
 * bound. Start reading the ring from index 0 again.
 */
static void dom_restarted(struct consd *d, struct cons_dom *dom,
                          uint32_t restarts)
{
    if (dom->page) {
        be_info("d%u (%s): restarted; console ring reset", dom->domid,
                dom->name);
        /* The new run starts at 0, whether or not pvisor has zeroed the
         * page yet (the restart count grows first): do not take the
         * indices of the old run from it. */
        dom->ring.intf = dom->page;
        dom->ring.out_cons = 0;
        dom->ring.in_prod = 0;
    } else {
        be_info("d%u (%s): restarted; console_io only", dom->domid, dom->name);
    }
    dom->restarts = restarts;
    dom->stopped = false;
    dom->ring_seen = false;
    pull_console_io(d, dom, false);
}

/* Has dom restarted since we looked? (A zeroed ring looks hostile.) */
static bool check_restart(struct consd *d, struct cons_dom *dom)
{
    struct pvc_domain_info *info = NULL;
    size_t nr = 0;
    bool restarted = false;

    if (!d->pvc || d->pvc_broken)
        return false;
    if (!pvc_domain_list(d->pvc, dom->domid, &info, &nr) && nr == 1 &&
        info[0].restarts != dom->restarts) {
        dom_restarted(d, dom, info[0].restarts);
        restarted = true;
    }
    pvc_domain_info_free(info, nr);
    return restarted;
}

void cons_dom_events(struct consd *d)
{
    int port;

    while (d->evh && (port = pvevtchn_pending(d->evh)) > 0) {
        struct cons_dom *dom = dom_by_lport(d, port);

        if (dom) {
            bool ok = drain_ring(d, dom) && flush_input(d, dom);
            if (!ok && dom->page && !check_restart(d, dom))
                ring_hostile(d, dom);
        }
        /* A paused domain's port stays masked until its window. */
        if (d->evh && (!dom || (dom->page && !dom->paused)))
            pvevtchn_unmask(d->evh, (pvevtchn_port_t)port);
    }
}

void cons_dom_rate_timer(struct consd *d)
{
    uint64_t now = cons_now_ms();

    for (struct cons_dom *dom = d->doms; dom; dom = dom->next) {
        if (!dom->paused || be_cons_rate_next(&dom->rate) > now)
            continue;
        dom->paused = false;
        bool ok = drain_ring(d, dom) && flush_input(d, dom);
        if (!ok && dom->page && !check_restart(d, dom))
            ring_hostile(d, dom);
        if (d->evh && dom->page && !dom->paused)
            pvevtchn_unmask(d->evh, (pvevtchn_port_t)dom->lport);
    }
    rate_arm(d);
}

size_t cons_dom_input(struct consd *d, struct cons_dom *dom, const char *buf,
                      size_t len)
{
    size_t room = sizeof(dom->inq) - dom->inq_len;

    if (!dom->page || dom->stopped)
        return len; /* nobody reads it: discard */
    if (len > room)
        len = room;
    memcpy(dom->inq + dom->inq_len, buf, len);
    dom->inq_len += len;
    if (!flush_input(d, dom) && !check_restart(d, dom))
        ring_hostile(d, dom);
    return len;
}

/* One listed domain: adopt it if new, follow restarts and stops. */
static void tick_one(struct consd *d, const struct pvc_domain_info *in)
{
    struct cons_dom *dom = cons_dom_find(d, in->domid);

    if (!dom) {
        char name[BE_CONS_NAME_MAX + 1];
        snprintf(name, sizeof(name), "%s", in->name);
        if (!be_cons_name_ok(name))
            snprintf(name, sizeof(name), "d%u", in->domid);
        dom = dom_new(d, in->domid, name);
        if (!dom)
            return;
        dom->restarts = in->restarts;
        be_info("d%u (%s): found, logging its console_io", in->domid,
                dom->name);
    }
    dom->seen = true;
    if (in->restarts != dom->restarts)
        dom_restarted(d, dom, in->restarts);
    if (dom->page && !drain_ring(d, dom) && dom->page)
        ring_hostile(d, dom);
    pull_console_io(d, dom, false);
    if (!dom->stopped && stopped_state(in->state)) {
        dom->stopped = true;
        for (struct cons_client *c = dom->attachers, *n; c; c = n) {
            n = c->dnext;
            cons_client_finish(d, c);
            c->dom = NULL;
            c->dnext = NULL;
        }
        dom->attachers = NULL;
    } else if (dom->stopped && !stopped_state(in->state)) {
        dom->stopped = false; /* unpaused after preserve, or restarted */
    }
}

void cons_dom_tick(struct consd *d)
{
    struct pvc_domain_info *info = NULL;
    size_t nr = 0;
    int e;

    if (cons_pvisor(d))
        return;
    e = pvc_domain_list(d->pvc, PVC_DOMID_ALL, &info, &nr);
    if (e) {
        note_error(d, e);
        return;
    }
    for (struct cons_dom *dom = d->doms; dom; dom = dom->next)
        dom->seen = false;
    for (size_t i = 0; i < nr; i++)
        if (info[i].domid != 0)
            tick_one(d, &info[i]);
    pvc_domain_info_free(info, nr);
    for (struct cons_dom *dom = d->doms, *n; dom; dom = n) {
        n = dom->next;
        if (!dom->seen)
            cons_dom_drop(d, dom);
    }
}

void cons_dom_fini(struct consd *d)
{
    while (d->doms)
        cons_dom_drop(d, d->doms);
    pvevtchn_close(d->evh);
    d->evh = NULL;
    pvc_close(d->pvc);
    d->pvc = NULL;
}
