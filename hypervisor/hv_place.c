// SPDX-License-Identifier: MIT
/* hv_place.c: where vCPU threads run: affinity, and cgroup v2 cpu shares. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv.h"
#include "hv_obs.h"

/*
 * cgroup layout: pvisor enables the cpu controller in its own cgroup
 * (which thereby becomes a threaded root) and gives each domain a threaded
 * child pvisor-<pid>-d<domid>, into which its vCPU threads go. Set up
 * by the first sched-credit request (a host that never asks for shares
 * keeps its cgroups as they were); when that fails, it reports why. The
 * cgroup of a destroyed domain is removed; those a dead pvisor left are
 * removed by the next one that sets up.
 */
static pthread_once_t cg_once = PTHREAD_ONCE_INIT;
static atomic_bool cg_ok; /* set once cg_init succeeded */
static char cg_root[PATH_MAX];
static char cg_why[512];

#define HV_SCHED_DEFAULT_WEIGHT 256 /* Xen credit's default */

/* snprintf for paths and messages that may be cut (without the
 * compiler's truncation warning, which a long cgroup path would earn). */
static void fmt(char *dst, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(dst, len, f, ap);
    va_end(ap);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;
    int e;

    if (fd < 0)
        return -errno;
    n = write(fd, text, strlen(text));
    e = n < 0 ? errno : 0;
    close(fd);
    if (n < 0)
        return -e;
    return (size_t)n == strlen(text) ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    size_t n;

    if (!f)
        return -errno;
    n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    return 0;
}

/* The cgroup2 mount point from mountinfo; false if none. */
static bool find_cgroup2(char *mnt, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    bool found = false;

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *sep = strstr(line, " - ");
        char point[PATH_MAX];
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        /* id parent maj:min root mount-point ... */
        if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
            strlen(point) < len) {
            fmt(mnt, len, "%s", point);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* Our own cgroup v2 path ("0::/path"). */
static bool own_cgroup(char *path, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096];
    bool found = false;

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        line[strcspn(line, "\n")] = 0;
        fmt(path, len, "%s", strcmp(line + 3, "/") ? line + 3 : "");
        found = true;
    }
    fclose(f);
    return found;
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
            return true;
    return false;
}

/* Removes the (empty) domain cgroups of pvisors that are gone. */
static void remove_stale(const char *parent)
{
    DIR *dir = opendir(parent);
    struct dirent *e;

    while (dir && (e = readdir(dir))) {
        int pid;
        unsigned domid;
        char path[PATH_MAX + 256];

        if (sscanf(e->d_name, "pvisor-%d-d%u", &pid, &domid) != 2 || pid <= 0 ||
            (kill(pid, 0) != 0 && errno != ESRCH))
            continue;
        if (kill(pid, 0) == 0)
            continue;
        fmt(path, sizeof(path), "%s/%s", parent, e->d_name);
        if (rmdir(path) == 0)
            log_info("removed cgroup %s of a pvisor that is gone", path);
    }
    if (dir)
        closedir(dir);
}

static void cg_init(void)
{
    char mnt[PATH_MAX], own[PATH_MAX], parent[PATH_MAX], f[PATH_MAX + 64];
    char ctl[512] = "";
    int rc;

    if (!find_cgroup2(mnt, sizeof(mnt))) {
        fmt(cg_why, sizeof(cg_why),
            "no cgroup v2 hierarchy is mounted (/proc/self/mountinfo "
            "lists no cgroup2 file system)");
        return;
    }
    if (!own_cgroup(own, sizeof(own))) {
        fmt(cg_why, sizeof(cg_why),
            "pvisor's cgroup v2 path is not in /proc/self/cgroup");
        return;
    }
    fmt(parent, sizeof(parent), "%s%s", mnt, own);
    fmt(f, sizeof(f), "%s/cgroup.controllers", parent);
    rc = read_file(f, ctl, sizeof(ctl));
    if (rc || !has_word(ctl, "cpu")) {
        fmt(cg_why, sizeof(cg_why),
            "cgroup v2 at %s does not offer the cpu controller "
            "(%s: \"%s\"%s%s); it is bound to a cgroup v1 hierarchy or "
            "not delegated",
            parent, f, ctl, rc ? ", " : "", rc ? strerror(-rc) : "");
        return;
    }
    if (access(parent, W_OK) != 0) {
        fmt(cg_why, sizeof(cg_why), "cgroup %s is not writable: %s", parent,
            strerror(errno));
        return;
    }
    rc = snprintf(cg_root, sizeof(cg_root), "%s", parent);
    if (rc < 0 || (size_t)rc >= sizeof(cg_root)) {
        fmt(cg_why, sizeof(cg_why), "cgroup path too long");
        return;
    }
    /* cpu is a threaded controller: a cgroup may enable it for threaded
     * children while it holds processes (pvisor), unless it has domain
     * children with controllers already. */
    fmt(f, sizeof(f), "%s/cgroup.subtree_control", parent);
    rc = write_file(f, "+cpu");
    if (rc) {
        fmt(cg_why, sizeof(cg_why),
            "cannot enable the cpu controller in %s: %s%s", f, strerror(-rc),
            rc == -EBUSY || rc == -EOPNOTSUPP
                ? " (that cgroup holds processes and child cgroups of its "
                  "own; start pvisor in a cgroup of its own)"
                : "");
        return;
    }
    remove_stale(parent);
    cg_ok = true;
    log_info("vCPU threads get threaded cgroups %s/pvisor-%d-d<domid>", cg_root,
             (int)getpid());
}

/* Makes d's threaded cgroup (d->lock held). 0 or -errno with err. */
static int cg_domain(struct hv_domain *d, char *dir, size_t len, char *err,
                     size_t errlen)
{
    char f[PATH_MAX + 64], w[16];
    int rc;

    if (!atomic_load(&cg_ok))
        pthread_once(&cg_once, cg_init);
    if (!atomic_load(&cg_ok)) {
        fmt(err, errlen, "%s", cg_why);
        return -EOPNOTSUPP;
    }
    fmt(dir, len, "%s/pvisor-%d-d%u", cg_root, (int)getpid(), d->domid);
    if (d->cg_made)
        return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = -errno;
        fmt(err, errlen, "cannot create cgroup %s: %s", dir, strerror(-rc));
        return rc;
    }
    fmt(f, sizeof(f), "%s/cgroup.type", dir);
    rc = write_file(f, "threaded");
    if (rc) {
        fmt(err, errlen, "cannot make %s threaded: %s", f, strerror(-rc));
        rmdir(dir);
        return rc;
    }
    fmt(f, sizeof(f), "%s/cpu.weight", dir);
    fmt(w, sizeof(w), "%u",
        d->sched_weight ? d->sched_weight : HV_SCHED_DEFAULT_WEIGHT);
    (void)write_file(f, w);
    d->cg_made = true;
    return 0;
}

static int cg_add_thread(const char *dir, int tid)
{
    char f[PATH_MAX + 64], t[32];

    fmt(f, sizeof(f), "%s/cgroup.threads", dir);
    fmt(t, sizeof(t), "%d", tid);
    return write_file(f, t);
}

/* The host thread running v's guest code outside its vCPU thread, or 0. */
static int guest_tid(struct hv_vcpu *v)
{
    return v->d->plat->guest_tid ? v->d->plat->guest_tid(v) : 0;
}

void hv_vcpu_place_self(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    char dir[PATH_MAX], err[512];
    int tid = (int)gettid(), gtid = guest_tid(v);

    pthread_mutex_lock(&d->lock);
    atomic_store(&v->tid, tid);
    if (v->affinity_set &&
        sched_setaffinity(0, sizeof(v->affinity), &v->affinity) != 0)
        log_warn("d%uv%u: cannot apply the vCPU's affinity: %s", d->domid,
                 v->id, strerror(errno));
    if (v->affinity_set && gtid &&
        sched_setaffinity(gtid, sizeof(v->affinity), &v->affinity) != 0)
        log_warn("d%uv%u: cannot apply the vCPU's affinity to its guest "
                 "thread %d: %s",
                 d->domid, v->id, gtid, strerror(errno));
    /* Only once sched-credit set the cgroups up: a host that never asks
     * for shares keeps pvisor where it was started. */
    if (atomic_load(&cg_ok) &&
        cg_domain(d, dir, sizeof(dir), err, sizeof(err)) == 0) {
        int rc = cg_add_thread(dir, tid);
        if (rc)
            log_warn("d%uv%u: cannot move the vCPU thread into %s: %s",
                     d->domid, v->id, dir, strerror(-rc));
        if (gtid && (rc = cg_add_thread(dir, gtid)) != 0)
            log_warn("d%uv%u: cannot move its guest thread %d into %s: %s",
                     d->domid, v->id, gtid, dir, strerror(-rc));
    }
    pthread_mutex_unlock(&d->lock);
}

void hv_vcpu_unplace_self(struct hv_vcpu *v)
{
    pthread_mutex_lock(&v->d->lock);
    atomic_store(&v->tid, 0);
    pthread_mutex_unlock(&v->d->lock);
}

int hv_vcpu_pin(struct hv_domain *d, unsigned vcpu, const cpu_set_t *set,
                char *err, size_t errlen)
{
    cpu_set_t allowed;
    int rc = 0;

    if (vcpu != HV_VCPU_ALL && vcpu >= d->nr_vcpus) {
        fmt(err, errlen, "d%u has no vCPU %u (it has %u: 0..%u)", d->domid,
            vcpu, d->nr_vcpus, d->nr_vcpus - 1);
        return -EINVAL;
    }
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
        rc = -errno;
        fmt(err, errlen, "reading pvisor's own affinity: %s", strerror(-rc));
        return rc;
    }
    if (set) {
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, set) && !CPU_ISSET(c, &allowed)) {
                fmt(err, errlen,
                    "host CPU %d is not one pvisor may run on "
                    "(%d CPUs allowed)",
                    c, CPU_COUNT(&allowed));
                return -EINVAL;
            }
        if (CPU_COUNT(set) == 0) {
            fmt(err, errlen, "empty CPU set");
            return -EINVAL;
        }
    }
    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        if (!v || (vcpu != HV_VCPU_ALL && i != vcpu))
            continue;
        v->affinity = set ? *set : allowed;
        v->affinity_set = set != NULL;
        int tid = atomic_load(&v->tid), gtid = guest_tid(v);
        if (tid &&
            sched_setaffinity(tid, sizeof(v->affinity), &v->affinity) != 0 &&
            !rc) {
            rc = -errno;
            fmt(err, errlen, "d%uv%u: sched_setaffinity(%d): %s", d->domid, i,
                tid, strerror(-rc));
        }
        /* proc: the stub thread that runs the guest's code, too. */
        if (gtid &&
            sched_setaffinity(gtid, sizeof(v->affinity), &v->affinity) != 0 &&
            !rc) {
            rc = -errno;
            fmt(err, errlen, "d%uv%u: sched_setaffinity(%d, guest thread): %s",
                d->domid, i, gtid, strerror(-rc));
        }
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

/*
 * Main thread, once cgroup v2 works: every domain's running vCPU threads
 * move into their domain's cgroup (from then on, threads place
 * themselves as they start). Problems are logged; the domain in question
 * reports them when asked for its shares.
 */
static void place_all(void)
{
    static bool done;

    if (done || !atomic_load(&cg_ok))
        return;
    done = true;
    for (struct hv_domain *d = hv_domain_next(0); d;
         d = hv_domain_next(d->domid)) {
        char dir[PATH_MAX], err[512];

        pthread_mutex_lock(&d->lock);
        if (cg_domain(d, dir, sizeof(dir), err, sizeof(err)) == 0) {
            for (unsigned i = 0; i < d->nr_vcpus; i++) {
                int tid = d->vcpus[i] ? atomic_load(&d->vcpus[i]->tid) : 0;
                int gtid = tid ? guest_tid(d->vcpus[i]) : 0;
                if (tid && cg_add_thread(dir, tid) != 0)
                    log_warn("d%uv%u: cannot move thread %d into %s", d->domid,
                             i, tid, dir);
                if (gtid && cg_add_thread(dir, gtid) != 0)
                    log_warn("d%uv%u: cannot move guest thread %d into %s",
                             d->domid, i, gtid, dir);
            }
        } else {
            log_warn("d%u: %s", d->domid, err);
        }
        pthread_mutex_unlock(&d->lock);
    }
}

int hv_sched_credit(struct hv_domain *d, bool set_weight, unsigned weight,
                    bool set_cap, unsigned cap, unsigned *weight_out,
                    unsigned *cap_out, char *path, size_t pathlen, char *err,
                    size_t errlen)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    char f[PATH_MAX + 64], val[64];
    int rc;

    if (set_weight && (weight < 1 || weight > 10000)) {
        fmt(err, errlen,
            "weight %u out of range 1..10000 (cgroup v2 cpu.weight)", weight);
        return -EINVAL;
    }
    if (ncpu < 1)
        ncpu = 1;
    if (set_cap && cap > 100 * (unsigned)ncpu) {
        fmt(err, errlen,
            "cap %u%% out of range 0..%ld (percent of one CPU; 0 = no "
            "cap; this host has %ld CPUs)",
            cap, 100 * ncpu, ncpu);
        return -EINVAL;
    }
    if (!atomic_load(&cg_ok))
        pthread_once(&cg_once, cg_init);
    place_all();
    pthread_mutex_lock(&d->lock);
    rc = cg_domain(d, path, pathlen, err, errlen);
    if (rc)
        goto out;
    /* Threads that started before the cgroup worked join it now. */
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        int tid = d->vcpus[i] ? atomic_load(&d->vcpus[i]->tid) : 0;
        if (tid && (rc = cg_add_thread(path, tid)) != 0) {
            fmt(err, errlen, "cannot move d%uv%u (thread %d) into %s: %s",
                d->domid, i, tid, path, strerror(-rc));
            goto out;
        }
    }
    if (set_weight) {
        fmt(f, sizeof(f), "%s/cpu.weight", path);
        fmt(val, sizeof(val), "%u", weight);
        if ((rc = write_file(f, val)) != 0) {
            fmt(err, errlen, "writing %s to %s: %s", val, f, strerror(-rc));
            goto out;
        }
        d->sched_weight = weight;
    }
    if (set_cap) {
        fmt(f, sizeof(f), "%s/cpu.max", path);
        if (cap)
            fmt(val, sizeof(val), "%u 100000", cap * 1000);
        else
            fmt(val, sizeof(val), "max 100000");
        if ((rc = write_file(f, val)) != 0) {
            fmt(err, errlen, "writing \"%s\" to %s: %s", val, f, strerror(-rc));
            goto out;
        }
        d->sched_cap = cap;
    }
    *weight_out = d->sched_weight ? d->sched_weight : HV_SCHED_DEFAULT_WEIGHT;
    *cap_out = d->sched_cap;
out:
    pthread_mutex_unlock(&d->lock);
    return rc;
}

void hv_sched_domain_gone(struct hv_domain *d)
{
    char dir[PATH_MAX + 32];

    if (!d->cg_made)
        return;
    fmt(dir, sizeof(dir), "%s/pvisor-%d-d%u", cg_root, (int)getpid(), d->domid);
    if (rmdir(dir) != 0)
        log_warn("d%u: cannot remove cgroup %s: %s", d->domid, dir,
                 strerror(errno));
    d->cg_made = false;
}
