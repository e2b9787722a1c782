// SPDX-License-Identifier: MIT
/* blkback_vbd.c: pv-blkback's xenbus side: devices, features, state machine. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pvabi/io/xenbus.h>

#include "be_common.h"
#include "be_worker.h"
#include "be_xs.h"
#include "blkback_daemon.h"
#include "xenstore.h"

#define BE_ROOT "/local/domain/0/backend/vbd"

static void set_state(struct bb_vbd *v, int state)
{
    if (v->state == state)
        return;
    be_info("d%u vbd %u: state %d -> %d", v->domid, v->devid, v->state, state);
    v->state = state;
    if (!v->gone &&
        !xs_printf_key(v->bd->xs, XBT_NULL, v->be, "state", "%d", state))
        be_warn("d%u vbd %u: writing state: %s", v->domid, v->devid,
                strerror(errno));
}

static void fail_dev(struct bb_vbd *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_dev(struct bb_vbd *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    be_err("d%u vbd %u: %s", v->domid, v->devid, msg);
    if (!v->gone) {
        xs_printf_key(v->bd->xs, XBT_NULL, v->be, "hotplug-error", "%s", msg);
        xs_printf_key(v->bd->xs, XBT_NULL, v->be, "hotplug-status", "error");
    }
}

int bb_open_image(const char *params, bool ro, bool *direct)
{
    int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    int fd;

    fd = open(params, flags | O_DIRECT);
    if (fd >= 0) {
        /* a 512-byte read at a 512-aligned, not page-aligned, address */
        uint8_t *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        bool ok = buf != MAP_FAILED && pread(fd, buf + 512, 512, 512) >= 0;
        if (buf != MAP_FAILED)
            munmap(buf, 8192);
        if (!ok) {
            close(fd);
            fd = -1;
        }
    }
    *direct = fd >= 0;
    if (fd < 0) {
        fd = open(params, flags);
        if (fd < 0)
            return -errno;
    }
    return fd;
}

/* Takes the image the supervisor opened for us: its size and kind. */
static int take_image(struct bb_vbd *v, int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        goto fail;
    if (S_ISBLK(st.st_mode)) {
        uint64_t bytes;
        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
            goto fail;
        v->lim.sectors = bytes / 512;
        v->lim.discard = false;
    } else if (S_ISREG(st.st_mode)) {
        v->lim.sectors = (uint64_t)st.st_size / 512;
        v->lim.discard = true;
    } else {
        close(fd);
        return -ENOTBLK;
    }
    v->fd = fd;
    return 0;
fail:;
    int e = -errno;
    close(fd);
    return e;
}

/* The image of v, opened by the supervisor from params and mode. */
static int open_image(struct bb_vbd *v)
{
    uint32_t flags = 0;
    int fd = be_worker_open_dev(v->devid, &flags);

    if (fd < 0)
        return fd;
    v->direct = flags & BB_IMAGE_DIRECT;
    v->lim.readonly = flags & BB_IMAGE_RO;
    if (!v->direct)
        be_warn("d%u vbd %u: O_DIRECT not usable, using the page cache "
                "(flushes still fdatasync)",
                v->domid, v->devid);
    return take_image(v, fd);
}

/* Writes what we offer and moves to InitWait, in one transaction. */
static int advertise(struct bb_vbd *v)
{
    struct bbd *bd = v->bd;

    for (int tries = 0; tries < 16; tries++) {
        xs_transaction_t t = xs_transaction_start(bd->xs);
        bool ok;

        if (t == XBT_NULL)
            return -errno;
        ok =
            xs_printf_key(bd->xs, t, v->be, "sectors", "%llu",
                          (unsigned long long)v->lim.sectors) &&
            xs_printf_key(bd->xs, t, v->be, "sector-size", "512") &&
            xs_printf_key(bd->xs, t, v->be, "physical-sector-size", "512") &&
            xs_printf_key(bd->xs, t, v->be, "info", "%u",
                          v->lim.readonly ? VDISK_READONLY : 0) &&
            xs_printf_key(bd->xs, t, v->be, "feature-flush-cache", "1") &&
            xs_printf_key(bd->xs, t, v->be, "feature-barrier", "1") &&
            xs_printf_key(bd->xs, t, v->be, "feature-persistent", "1") &&
            xs_printf_key(bd->xs, t, v->be, "feature-max-indirect-segments",
                          "%u", v->lim.max_indirect_segs) &&
            xs_printf_key(bd->xs, t, v->be, "feature-discard", "%d",
                          v->lim.discard) &&
            xs_printf_key(bd->xs, t, v->be, "hotplug-status", "connected") &&
            xs_printf_key(bd->xs, t, v->be, "state", "%d", XenbusStateInitWait);
        if (ok && v->lim.discard)
            ok = xs_printf_key(bd->xs, t, v->be, "discard-granularity",
                               "4096") &&
                 xs_printf_key(bd->xs, t, v->be, "discard-alignment", "0") &&
                 xs_printf_key(bd->xs, t, v->be, "discard-secure", "0");
        if (!ok) {
            int e = errno;
            xs_transaction_end(bd->xs, t, true);
            return -e;
        }
        if (xs_transaction_end(bd->xs, t, false)) {
            be_info("d%u vbd %u: state %d -> %d", v->domid, v->devid, v->state,
                    XenbusStateInitWait);
            v->state = XenbusStateInitWait;
            v->fe_seen_unconnected = false;
            return 0;
        }
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

static struct bb_vbd *vbd_new(struct bbd *bd, uint32_t domid, uint32_t devid)
{
    struct bb_vbd *v = calloc(1, sizeof(*v));
    char *fe = NULL, *params = NULL, *mode = NULL;
    char tok[64];
    int e;

    if (!v)
        return NULL;
    v->bd = bd;
    v->domid = domid;
    v->devid = devid;
    v->fd = -1;
    v->state = XenbusStateInitialising;
    snprintf(v->be, sizeof(v->be), BE_ROOT "/%u/%u", domid, devid);
    v->lim.max_indirect_segs = BE_BLK_MAX_INDIRECT_SEGS;
    fe = xs_read_key(bd->xs, v->be, "frontend");
    params = xs_read_key(bd->xs, v->be, "params");
    mode = xs_read_key(bd->xs, v->be, "mode");
    if (!fe || !params) {
        /* the toolstack is still writing the directory: next event */
        free(v);
        v = NULL;
        goto out;
    }
    snprintf(v->fe, sizeof(v->fe), "%s", fe);
    v->lim.readonly = mode && mode[0] == 'r';
    e = open_image(v);
    if (e) {
        fail_dev(v, "opening %s: %s", params, strerror(-e));
        set_state(v, XenbusStateClosed);
    } else {
        be_info("d%u vbd %u: %s, %llu sectors, %s%s", domid, devid, params,
                (unsigned long long)v->lim.sectors,
                v->lim.readonly ? "read-only" : "read-write",
                v->direct ? ", O_DIRECT" : "");
        e = advertise(v);
        if (e)
            fail_dev(v, "writing features: %s", strerror(-e));
    }
    snprintf(tok, sizeof(tok), "fe:%u:%u", domid, devid);
    char path[BB_PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/state", v->fe);
    v->fe_watched = xs_watch(bd->xs, path, tok);
    v->next = bd->vbds;
    bd->vbds = v;
out:
    free(fe);
    free(params);
    free(mode);
    return v;
}

static int connect_ring(struct bb_vbd *v)
{
    struct bbd *bd = v->bd;
    long ref = xs_read_key_long(bd->xs, v->fe, "ring-ref", -1);
    long port = xs_read_key_long(bd->xs, v->fe, "event-channel", -1);
    long order = xs_read_key_long(bd->xs, v->fe, "ring-page-order", 0);
    char *proto = xs_read_key(bd->xs, v->fe, "protocol");
    bool persistent =
        xs_read_key_long(bd->xs, v->fe, "feature-persistent", 0) == 1;
    int e;

    if (proto && strcmp(proto, XEN_IO_PROTO_ABI_NATIVE) != 0) {
        fail_dev(v, "frontend protocol '%s' not supported (only %s)", proto,
                 XEN_IO_PROTO_ABI_NATIVE);
        free(proto);
        return -EPROTONOSUPPORT;
    }
    free(proto);
    if (ref < 0 || ref > UINT32_MAX || port <= 0 || port > UINT32_MAX ||
        order != 0) {
        fail_dev(v,
                 "frontend's ring-ref/event-channel missing or bad "
                 "(ring-ref %ld, event-channel %ld, ring-page-order %ld)",
                 ref, port, order);
        return -EINVAL;
    }
    v->restarts = be_domain_restarts(bd->run_dir, v->domid);
    v->reset_seen = false;
    v->ring_page = pvgnttab_map_grant_ref(bd->gnt, v->domid, (uint32_t)ref,
                                          PROT_READ | PROT_WRITE);
    if (!v->ring_page) {
        e = -errno;
        fail_dev(v, "mapping ring-ref %ld: %s", ref, strerror(-e));
        return e;
    }
    e = pvevtchn_bind_interdomain(bd->evh, v->domid, (uint32_t)port);
    if (e < 0) {
        fail_dev(v, "binding event-channel %ld: %s", port, strerror(-e));
        goto unmap;
    }
    v->lport = e;
    e = be_blk_dev_init(&v->dev, v->domid, v->ring_page, &v->lim, persistent,
                        &bb_ops, v);
    if (e)
        goto unbind;
    v->connected = true;
    be_info("d%u vbd %u: connected: ring-ref %ld, event-channel %ld "
            "(local %d), %spersistent grants",
            v->domid, v->devid, ref, port, v->lport, persistent ? "" : "no ");
    return 0;
unbind:
    pvevtchn_unbind(bd->evh, (pvevtchn_port_t)v->lport);
    v->lport = 0;
unmap:
    pvgnttab_unmap(bd->gnt, v->ring_page, 1);
    v->ring_page = NULL;
    return e;
}

static void publish_one(struct bb_vbd *v);

/* Stops taking requests; tears the ring down once nothing is in flight.
 * Returns true when disconnected. */
static bool disconnect(struct bb_vbd *v)
{
    if (!v->connected)
        return true;
    v->dev.stopping = true;
    if (!be_blk_dev_idle(&v->dev))
        return false;
    be_info("d%u vbd %u: disconnected (%llu requests, %llu errors, "
            "%llu MiB read, %llu MiB written, %llu segments in %llu "
            "iovecs)",
            v->domid, v->devid, (unsigned long long)v->dev.st.reqs,
            (unsigned long long)v->dev.st.errors,
            (unsigned long long)(v->dev.st.bytes_read >> 20),
            (unsigned long long)(v->dev.st.bytes_written >> 20),
            (unsigned long long)v->dev.st.segs,
            (unsigned long long)v->dev.st.iovs);
    publish_one(v); /* the last requests' counts */
    be_blk_dev_destroy(&v->dev);
    pvevtchn_unbind(v->bd->evh, (pvevtchn_port_t)v->lport);
    v->lport = 0;
    pvgnttab_unmap(v->bd->gnt, v->ring_page, 1);
    v->ring_page = NULL;
    v->connected = false;
    return true;
}

static void vbd_free(struct bb_vbd *v)
{
    struct bbd *bd = v->bd;
    char tok[64], path[BB_PATH_MAX + 8];

    for (struct bb_vbd **pp = &bd->vbds; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    if (v->fe_watched) {
        snprintf(tok, sizeof(tok), "fe:%u:%u", v->domid, v->devid);
        snprintf(path, sizeof(path), "%s/state", v->fe);
        xs_unwatch(bd->xs, path, tok);
    }
    if (v->fd >= 0)
        close(v->fd);
    free(v);
}

void bb_vbd_update(struct bb_vbd *v)
{
    struct bbd *bd = v->bd;
    long online;
    int fe;

    if (v->gone) {
        if (disconnect(v))
            vbd_free(v);
        return;
    }
    if (v->connected && v->dev.broken && !v->reset_seen &&
        be_domain_reset_since(bd->run_dir, v->domid, v->restarts)) {
        /* its memory was reloaded under our mappings: not hostile; take
         * nothing more from the old ring, let what is in flight finish
         * and disconnect; the new frontend starts over at Initialising */
        be_info("d%u vbd %u: the domain restarted; dropping the ring of its "
                "previous run",
                v->domid, v->devid);
        v->reset_seen = true;
        v->dev.stopping = true;
        v->dev.refuse = true;
        disconnect(v);
    } else if (v->connected && v->dev.broken && !v->reset_seen) {
        be_err("d%u vbd %u: frontend published impossible ring indices; "
               "disconnecting it",
               v->domid, v->devid);
        xs_printf_key(bd->xs, XBT_NULL, v->be, "error", "bogus ring indices");
        set_state(v, XenbusStateClosing);
        v->dev.stopping = true;
    }
    online = be_xs_online(bd->xs, v->be);
    if (online < 0) {
        /* removed between the scan and now: as bb_rescan would find */
        be_info("d%u vbd %u: backend directory removed", v->domid, v->devid);
        v->gone = true;
        if (disconnect(v))
            vbd_free(v);
        return;
    }
    if (v->fd < 0 && online)
        return; /* failed to open; stays Closed */
    fe = (int)xs_read_key_long(bd->xs, v->fe, "state", XenbusStateUnknown);
    v->fe_state = fe;
    if (fe != XenbusStateConnected)
        v->fe_seen_unconnected = true;

    if (!online) {
        /*
         * Detach: what is in flight finishes, what is still queued fails
         * at once, and Closed comes only once the frontend is Closed, gone
         * or never used the device: it then writes nothing more into the
         * directories the toolstack removes when it sees Closed.
         */
        bool fe_done = fe == XenbusStateUnknown ||
                       fe == XenbusStateInitialising ||
                       fe == XenbusStateInitWait || fe == XenbusStateClosed;

        /* block-detach writes Closing over the node: answer it even if
         * we were Closed before (a failed open, a frontend that closed
         * the device first) */
        if (v->state == XenbusStateClosed &&
            xs_read_key_long(bd->xs, v->be, "state", XenbusStateClosed) !=
                XenbusStateClosed)
            v->state = XenbusStateClosing;
        if (v->state < XenbusStateClosing)
            set_state(v, XenbusStateClosing);
        if (v->connected) {
            v->dev.stopping = true;
            v->dev.refuse = v->dev.refuse || !fe_done;
            v->need_kick = true;
        }
        if ((fe_done || fe == XenbusStateClosing) && disconnect(v) && fe_done)
            set_state(v, XenbusStateClosed);
        return;
    }
    switch (fe) {
    case XenbusStateUnknown:
    case XenbusStateInitialising:
    case XenbusStateInitWait:
        /* a (re)starting frontend: drop an old ring, offer again */
        if (v->state == XenbusStateClosed || v->state == XenbusStateConnected ||
            v->state == XenbusStateClosing) {
            if (!disconnect(v))
                break;
            int e = advertise(v);
            if (e)
                fail_dev(v, "writing features: %s", strerror(-e));
        }
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state == XenbusStateConnected && fe == XenbusStateInitialised &&
            be_domain_reset_since(bd->run_dir, v->domid, v->restarts)) {
            /* a restarted frontend that went straight to Initialised
             * (GRUB's does): drop the old ring, offer again, take the
             * new one below */
            if (!v->reset_seen)
                be_info("d%u vbd %u: the domain restarted and its frontend "
                        "offers a new ring",
                        v->domid, v->devid);
            v->reset_seen = true;
            if (!disconnect(v))
                break;
            int e = advertise(v);
            if (e) {
                fail_dev(v, "writing features: %s", strerror(-e));
                break;
            }
        }
        if (v->state == XenbusStateConnected && v->dev.broken)
            break;
        if (v->state != XenbusStateInitWait)
            break;
        if (fe == XenbusStateConnected && !v->fe_seen_unconnected)
            break; /* stale: from before our restart; wait for a new ring */
        if (connect_ring(v) == 0) {
            set_state(v, XenbusStateConnected);
            v->need_kick = true;
        } else {
            set_state(v, XenbusStateClosing);
        }
        break;
    case XenbusStateClosing:
        if (v->state != XenbusStateClosed)
            set_state(v, XenbusStateClosing);
        if (disconnect(v))
            set_state(v, XenbusStateClosed);
        break;
    case XenbusStateClosed:
        if (disconnect(v))
            set_state(v, XenbusStateClosed);
        break;
    default:
        break;
    }
}

struct bb_vbd *bb_vbd_by_port(struct bbd *bd, int port)
{
    for (struct bb_vbd *v = bd->vbds; v; v = v->next)
        if (v->connected && v->lport == port)
            return v;
    return NULL;
}

static struct bb_vbd *find(struct bbd *bd, uint32_t domid, uint32_t devid)
{
    for (struct bb_vbd *v = bd->vbds; v; v = v->next)
        if (v->domid == domid && v->devid == devid && !v->gone)
            return v;
    return NULL;
}

static void found(void *ctx, uint32_t domid, uint32_t devid)
{
    struct bbd *bd = ctx;
    struct bb_vbd *v = find(bd, domid, devid);

    if (!v)
        v = vbd_new(bd, domid, devid);
    if (v)
        v->seen_scan = true;
}

void bb_rescan(struct bbd *bd, bool released)
{
    struct bb_vbd *v, *next;

    be_scan_devices(bd->xs, BE_ROOT, released, found, bd);
    for (v = bd->vbds; v; v = next) {
        next = v->next;
        if (!v->seen_scan && !v->gone) {
            be_info("d%u vbd %u: backend directory removed", v->domid,
                    v->devid);
            v->gone = true;
        }
        v->seen_scan = false;
        bb_vbd_update(v);
    }
}

void bb_kick_marked(struct bbd *bd)
{
    struct bb_vbd *v, *next;

    for (v = bd->vbds; v; v = next) {
        next = v->next;
        if (!v->need_kick)
            continue;
        v->need_kick = false;
        if (v->connected && !v->dev.stopping && !v->dev.broken) {
            if (be_blk_dev_kick(&v->dev) < 0)
                bb_vbd_update(v);
        } else if (v->connected) {
            /* draining: publish responses, maybe finish a disconnect */
            be_blk_dev_kick(&v->dev);
            if (be_blk_dev_idle(&v->dev))
                bb_vbd_update(v);
        }
    }
    bb_io_flush(bd);
}

void bb_vbd_free_all(struct bbd *bd)
{
    while (bd->vbds) {
        struct bb_vbd *v = bd->vbds;
        if (v->connected) {
            /* in-flight I/O targets mapped pages: wait for it */
            while (!be_blk_dev_idle(&v->dev)) {
                io_uring_submit_and_wait(&bd->uring, 1);
                bb_io_reap(bd);
            }
            v->dev.stopping = true;
            disconnect(v);
        }
        v->fe_watched = false;
        vbd_free(v);
    }
}

/* In transaction t: the counters, unless the toolstack removed the
 * device (a backend never brings a removed directory back). */
static bool write_stats(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
    struct bb_vbd *v = arg;
    const struct be_blk_stats *st = &v->dev.st;
    char path[BB_PATH_MAX + 8];
    unsigned int len;
    char *state;

    snprintf(path, sizeof(path), "%s/state", v->be);
    state = xs_read(xs, t, path, &len);
    if (!state) {
        errno = ENOENT;
        return false;
    }
    free(state);
    return xs_printf_key(xs, t, v->be, "statistics/reqs", "%llu",
                         (unsigned long long)st->reqs) &&
           xs_printf_key(xs, t, v->be, "statistics/rd_bytes", "%llu",
                         (unsigned long long)st->bytes_read) &&
           xs_printf_key(xs, t, v->be, "statistics/wr_bytes", "%llu",
                         (unsigned long long)st->bytes_written) &&
           xs_printf_key(xs, t, v->be, "statistics/flushes", "%llu",
                         (unsigned long long)st->flushes) &&
           xs_printf_key(xs, t, v->be, "statistics/errors", "%llu",
                         (unsigned long long)st->errors);
}

static void publish_one(struct bb_vbd *v)
{
    const struct be_blk_stats *st = &v->dev.st;

    if (!v->connected || v->gone ||
        (st->reqs == v->published.reqs && st->errors == v->published.errors))
        return;
    if (xs_transaction_run(v->bd->xs, write_stats, v) == 0)
        v->published = *st;
}

void bb_publish_stats(struct bbd *bd)
{
    for (struct bb_vbd *v = bd->vbds; v; v = v->next)
        publish_one(v);
}
