// SPDX-License-Identifier: MIT
/* be_worker.c: the supervisor and one worker process per frontend domain. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "be_common.h"
#include "be_worker.h"
#include "be_xs.h"
#include "pvd_sandbox.h"

#define ROOT_FMT "/local/domain/0/backend/%s"

/* Worker -> supervisor: "open device devid"; the answer carries the fd. */
struct wreq {
    uint32_t devid;
};
struct wrsp {
    int32_t err; /* 0 or a positive errno */
    uint32_t flags;
};

/* ---- the worker's side ---- */

static int w_chan = -1;
static uint32_t w_domid;
static pid_t w_parent;

bool be_worker_domid(uint32_t *domid)
{
    if (w_chan < 0)
        return false;
    *domid = w_domid;
    return true;
}

int be_worker_open_dev(uint32_t devid, uint32_t *flags)
{
    struct wreq rq = { devid };
    struct wrsp rs;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &rs, sizeof(rs) };
    struct msghdr mh = { .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *cm;
    ssize_t n;
    int fd = -1;

    if (w_chan < 0)
        return -ENOTCONN;
    if (send(w_chan, &rq, sizeof(rq), MSG_NOSIGNAL) != sizeof(rq))
        return -errno;
    do
        n = recvmsg(w_chan, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    if (n != sizeof(rs) || (mh.msg_flags & MSG_CTRUNC) ||
        (rs.err == 0) != (fd >= 0)) {
        if (fd >= 0)
            close(fd);
        return n == 0 ? -ECONNRESET : -EPROTO;
    }
    if (rs.err)
        return -rs.err;
    *flags = rs.flags;
    return fd;
}

int be_worker_confine(const struct pvd_sandbox *sb)
{
    uid_t id = BE_WORKER_UID_BASE + w_domid;

    if (geteuid() == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 ||
            setresuid(id, id, id) < 0) {
            be_err("d%u: dropping to uid/gid %u: %s", w_domid, (unsigned)id,
                   strerror(errno));
            return -1;
        }
    } else {
        be_warn("d%u: not started as root: the worker keeps uid %u", w_domid,
                (unsigned)geteuid());
    }
    /* As the unprivileged user: its own user namespace, and inside it
     * empty mount, IPC, UTS and network namespaces (the TAP and the
     * sockets it holds keep working). */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                CLONE_NEWNET) < 0)
        be_warn("d%u: new namespaces refused (%s): the worker shares the "
                "host's mount, IPC and network namespaces",
                w_domid, strerror(errno));
    /* The supervisor killed (kill -9): its workers stop too (set after
     * the uid change, which clears it). */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 ||
        getppid() != w_parent || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        be_err("d%u: parent-death signal, not dumpable: %s%s", w_domid,
               strerror(errno),
               getppid() != w_parent ? " (the supervisor is gone)" : "");
        return -1;
    }
    return be_sandbox(sb);
}

bool be_worker_dir_exists(struct xs_handle *xs, const char *root,
                          uint32_t domid)
{
    char path[128];
    unsigned n;
    char **ents;

    snprintf(path, sizeof(path), "%s/%u", root, domid);
    ents = xs_directory(xs, XBT_NULL, path, &n);
    if (ents) {
        free(ents);
        return true;
    }
    return errno != ENOENT;
}

/* ---- the supervisor ---- */

struct worker {
    struct worker *next;
    uint32_t domid;
    pid_t pid;   /* 0: exited (failed kept as a record) */
    int chan;    /* our end; -1 once closed */
    bool failed; /* crashed or failed: not restarted for this domain */
    bool seen;   /* scratch for scan() */
};

static const struct be_worker_class *S_wc;
static struct xs_handle *S_xs;
static int S_ep = -1;
static struct worker *S_workers;
static char S_root[96];

enum { SRC_XS = 1, SRC_SIG, SRC_CHLD, SRC_CHAN = 16 };

static void chan_close(struct worker *w)
{
    if (w->chan < 0)
        return;
    epoll_ctl(S_ep, EPOLL_CTL_DEL, w->chan, NULL);
    close(w->chan);
    w->chan = -1;
}

/* Closes every descriptor but those in keep (the new worker's). */
static void close_except(const int *keep, size_t n)
{
    int lo = 0;

    for (;;) {
        int next = -1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= lo && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0) {
            syscall(SYS_close_range, (unsigned)lo, ~0u, 0);
            return;
        }
        if (next > lo)
            syscall(SYS_close_range, (unsigned)lo, (unsigned)next - 1, 0);
        lo = next + 1;
    }
}

static void spawn(uint32_t domid, int sfd)
{
    struct worker *w = NULL;
    struct epoll_event ev = { .events = EPOLLIN };
    int sv[2];
    pid_t pid;

    for (struct worker *o = S_workers; o; o = o->next)
        if (o->domid == domid)
            w = o;
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w) {
            be_err("d%u: no memory for a worker", domid);
            return;
        }
        w->domid = domid;
        w->chan = -1;
        w->next = S_workers;
        S_workers = w;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   sv) < 0) {
        be_err("d%u: worker channel: %s", domid, strerror(errno));
        w->failed = true;
        return;
    }
    pid = fork();
    if (pid < 0) {
        be_err("d%u: starting a worker: %s", domid, strerror(errno));
        close(sv[0]);
        close(sv[1]);
        w->failed = true;
        return;
    }
    if (pid == 0) {
        int keep[] = { 0, 1, 2, be_log_fileno(), sfd, sv[1] };
        int fl = fcntl(sv[1], F_GETFL);

        close_except(keep, sizeof(keep) / sizeof(keep[0]));
        if (fl >= 0)
            fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
        w_chan = sv[1];
        w_domid = domid;
        w_parent = getppid();
        _exit(S_wc->serve(domid, sfd) & 0xff);
    }
    close(sv[1]);
    w->pid = pid;
    w->chan = sv[0];
    w->failed = false;
    ev.data.ptr = w;
    if (epoll_ctl(S_ep, EPOLL_CTL_ADD, w->chan, &ev) < 0)
        be_warn("d%u: epoll on the worker channel: %s", domid, strerror(errno));
    be_info("d%u: worker %d serves backend/%s/%u", domid, (int)pid, S_wc->type,
            domid);
}

/* The backend tree changed: a worker for every domain that has none. */
static void scan(bool released, int sfd)
{
    unsigned n = 0;
    char **doms = xs_directory(S_xs, XBT_NULL, S_root, &n);

    for (struct worker *w = S_workers; w; w = w->next)
        w->seen = false;
    for (unsigned i = 0; doms && i < n; i++) {
        uint32_t domid;
        struct worker *w;
        char path[128];

        if (!xs_parse_u32(doms[i], &domid) || domid == 0)
            continue;
        if (released && !xs_is_domain_introduced(S_xs, domid)) {
            snprintf(path, sizeof(path), "%s/%u", S_root, domid);
            be_info("d%u: domain released, removing %s", domid, path);
            xs_rm(S_xs, XBT_NULL, path);
            continue;
        }
        for (w = S_workers; w && w->domid != domid; w = w->next)
            ;
        if (w)
            w->seen = true;
        if (!w || (!w->pid && !w->failed))
            spawn(domid, sfd);
    }
    free(doms);
    /* A failed domain whose directory went away may get a new worker. */
    for (struct worker **pp = &S_workers; *pp;) {
        struct worker *w = *pp;
        if (!w->seen && !w->pid) {
            *pp = w->next;
            chan_close(w);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void reap(bool *rescan)
{
    int st;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        struct worker *w = S_workers;
        while (w && w->pid != pid)
            w = w->next;
        if (!w)
            continue;
        w->pid = 0;
        chan_close(w);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            be_info("d%u: worker %d exited: its devices are gone", w->domid,
                    (int)pid);
            *rescan = true; /* the toolstack may have re-added some */
        } else {
            w->failed = true;
            if (WIFSIGNALED(st))
                be_err("d%u: worker %d killed by signal %d (%s); not "
                       "restarted: the domain's %s devices stay down until "
                       "its backend directory is removed",
                       w->domid, (int)pid, WTERMSIG(st),
                       strsignal(WTERMSIG(st)), S_wc->type);
            else
                be_err("d%u: worker %d failed (exit status %d); not "
                       "restarted: the domain's %s devices stay down until "
                       "its backend directory is removed",
                       w->domid, (int)pid, WEXITSTATUS(st), S_wc->type);
        }
    }
}

/* One request from a worker: open its device, hand the descriptor. */
static void serve_chan(struct worker *w)
{
    struct wreq rq;
    struct wrsp rs = { 0, 0 };
    char be[160], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &rs, sizeof(rs) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recv(w->chan, &rq, sizeof(rq), MSG_TRUNC);
    int fd = -1;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) { /* the worker is going: wait for its exit status */
        chan_close(w);
        return;
    }
    if (n != sizeof(rq)) {
        be_warn("d%u: worker %d: malformed request (%zd bytes), refused",
                w->domid, (int)w->pid, n);
        rs.err = EINVAL;
    } else if (!S_wc->open_dev) {
        rs.err = ENODEV;
    } else {
        snprintf(be, sizeof(be), "%s/%u/%u", S_root, w->domid, rq.devid);
        fd = S_wc->open_dev(S_xs, be, w->domid, rq.devid, &rs.flags);
        if (fd < 0)
            rs.err = -fd;
    }
    if (fd >= 0) {
        struct cmsghdr *cm;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    if (sendmsg(w->chan, &mh, MSG_NOSIGNAL) != sizeof(rs)) {
        /* A worker that does not read its answers is not served. */
        be_err("d%u: worker %d does not take its answers (%s): stopped",
               w->domid, (int)w->pid, strerror(errno));
        if (w->pid)
            kill(w->pid, SIGKILL);
        chan_close(w);
    }
    if (fd >= 0)
        close(fd);
}

static int ep_add(int fd, uint64_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

    return epoll_ctl(S_ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGTERM each worker; wait up to 10 s for them, then SIGKILL. */
static void stop_workers(int cfd)
{
    uint64_t deadline = now_ms() + 10000;
    bool any, dummy;

    for (struct worker *w = S_workers; w; w = w->next)
        if (w->pid)
            kill(w->pid, SIGTERM);
    for (;;) {
        struct pollfd p = { cfd, POLLIN, 0 };
        struct signalfd_siginfo si;
        uint64_t now = now_ms();

        reap(&dummy);
        any = false;
        for (struct worker *w = S_workers; w; w = w->next)
            any |= w->pid != 0;
        if (!any || now >= deadline)
            break;
        if (poll(&p, 1, (int)(deadline - now)) > 0 &&
            read(cfd, &si, sizeof(si)) < 0) {
            /* nothing to do: reap() looks anyway */
        }
    }
    for (struct worker *w = S_workers; w; w = w->next)
        if (w->pid) {
            be_err("d%u: worker %d did not stop: killed", w->domid,
                   (int)w->pid);
            kill(w->pid, SIGKILL);
            waitpid(w->pid, NULL, 0);
            w->pid = 0;
        }
}

int be_supervise(const struct be_worker_class *wc, int sfd,
                 const struct pvd_sandbox *sb, const char *pidfile)
{
    sigset_t chld;
    int cfd = -1, rc = 1, e;

    S_wc = wc;
    snprintf(S_root, sizeof(S_root), ROOT_FMT, wc->type);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    cfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    S_xs = xs_open(0);
    if (!S_xs) {
        be_err("cannot reach xenstore (is pvstored running?): %s",
               strerror(errno));
        goto out;
    }
    S_ep = epoll_create1(EPOLL_CLOEXEC);
    if (cfd < 0 || S_ep < 0 || ep_add(sfd, SRC_SIG) || ep_add(cfd, SRC_CHLD)) {
        be_err("epoll/signalfd: %s", strerror(errno));
        goto out;
    }
    if (!be_xs_watch_root(S_xs, S_root, wc->type) ||
        ep_add(xs_fileno(S_xs), SRC_XS)) {
        be_err("watching %s: %s", S_root, strerror(errno));
        goto out;
    }
    if (pidfile && (e = be_write_pidfile(pidfile))) {
        be_err("%s: %s", pidfile, strerror(-e));
        goto out;
    }
    be_info("serving %s: one worker per domain", S_root);
    if (be_sandbox(sb) < 0)
        goto out;
    be_daemon_ready();
    for (;;) {
        struct epoll_event evs[16];
        bool xs = false, rescan = false;
        int n = epoll_wait(S_ep, evs, 16, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            be_err("epoll: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            struct signalfd_siginfo si;

            if (tag == SRC_XS) {
                xs = true;
            } else if (tag == SRC_SIG) {
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    be_info("signal %u: stopping the workers", si.ssi_signo);
                    rc = 0;
                    goto stop;
                }
            } else if (tag == SRC_CHLD) {
                while (read(cfd, &si, sizeof(si)) == sizeof(si))
                    ;
                reap(&rescan);
            } else {
                serve_chan(evs[i].data.ptr);
            }
        }
        if (xs) {
            bool released = false;
            if (be_xs_watches_fired(S_xs, &released))
                rescan = true;
            if (rescan)
                scan(released, sfd);
        } else if (rescan) {
            scan(false, sfd);
        }
    }
stop:
    stop_workers(cfd);
out:
    while (S_workers) {
        struct worker *w = S_workers;
        S_workers = w->next;
        chan_close(w);
        free(w);
    }
    if (S_ep >= 0)
        close(S_ep);
    if (cfd >= 0)
        close(cfd);
    xs_close(S_xs);
    if (pidfile && rc == 0)
        unlink(pidfile);
    return rc;
}
