// SPDX-License-Identifier: MIT
/* netback_vif.c: pv-netback's vifs: xenbus states, TAP, rings, data glue. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pvabi/io/xenbus.h>

#include "be_common.h"
#include "be_xs.h"
#include "netback_daemon.h"
#include "netback_tap.h"
#include "xenstore.h"

#define BE_ROOT "/local/domain/0/backend/vif"

/* ---- data glue (struct be_net_ops) ---- */

static int op_copy(void *ctx, struct pvgnttab_copy_seg *segs, uint32_t n)
{
    struct nb_vif *v = ctx;

    return pvgnttab_grant_copy(v->nd->gnt, n, segs);
}

static int op_tap_write(void *ctx, const void *frame, size_t len)
{
    struct nb_vif *v = ctx;
    ssize_t n = write(v->tapfd, frame, len);

    return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int op_tap_read(void *ctx, void *buf, size_t len)
{
    struct nb_vif *v = ctx;
    ssize_t n = read(v->tapfd, buf, len);

    return n < 0 ? -errno : (int)n;
}

static void op_notify(void *ctx)
{
    struct nb_vif *v = ctx;

    pvevtchn_notify(v->nd->evh, (pvevtchn_port_t)v->lport);
}

static const struct be_net_ops nb_ops = {
    .copy = op_copy,
    .tap_write = op_tap_write,
    .tap_read = op_tap_read,
    .notify = op_notify,
};

/* ---- xenstore helpers ---- */

static void set_state(struct nb_vif *v, int state)
{
    if (v->state == state)
        return;
    be_info("d%u vif %u: state %d -> %d", v->domid, v->devid, v->state, state);
    v->state = state;
    if (!v->gone &&
        !xs_printf_key(v->nd->xs, XBT_NULL, v->be, "state", "%d", state))
        be_warn("d%u vif %u: writing state: %s", v->domid, v->devid,
                strerror(errno));
}

static void fail_dev(struct nb_vif *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_dev(struct nb_vif *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    be_err("d%u vif %u: %s", v->domid, v->devid, msg);
    if (!v->gone) {
        xs_printf_key(v->nd->xs, XBT_NULL, v->be, "hotplug-error", "%s", msg);
        xs_printf_key(v->nd->xs, XBT_NULL, v->be, "hotplug-status", "error");
    }
}

/* ---- TAP polling ---- */

static void tap_poll(struct nb_vif *v, bool on)
{
    struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = &v->src };

    if (v->tapfd < 0 || v->tap_polled == on)
        return;
    if (epoll_ctl(v->nd->ep, EPOLL_CTL_MOD, v->tapfd, &ev) == 0)
        v->tap_polled = on;
}

/* Creates the TAP and puts it on the bridge. 0 or -errno (reported). */
static int setup_tap(struct nb_vif *v)
{
    struct epoll_event ev = { .events = 0, .data.ptr = &v->src };
    int fd, e;

    fd = be_tap_open(v->ifname);
    if (fd < 0) {
        fail_dev(v, "creating TAP device %s: %s", v->ifname, strerror(-fd));
        return fd;
    }
    v->tapfd = fd;
    if (v->bridge[0]) {
        e = be_bridge_add(v->bridge, v->ifname, v->nd->create_bridges);
        if (e) {
            fail_dev(v, "adding %s to bridge %s: %s%s", v->ifname, v->bridge,
                     strerror(-e),
                     e == -ENODEV ? " (create it, or run pv-netback with "
                                    "--create-bridges)"
                                  : "");
            goto fail;
        }
    }
    if (epoll_ctl(v->nd->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        e = -errno;
        fail_dev(v, "epoll: %s", strerror(-e));
        goto fail;
    }
    return 0;
fail:
    close(fd);
    v->tapfd = -1;
    return e;
}

/* Writes what we offer and moves to InitWait, in one transaction. */
static int advertise(struct nb_vif *v)
{
    struct nbd *nd = v->nd;

    for (int tries = 0; tries < 16; tries++) {
        xs_transaction_t t = xs_transaction_start(nd->xs);
        bool ok;

        if (t == XBT_NULL)
            return -errno;
        ok =
            xs_printf_key(nd->xs, t, v->be, "feature-rx-copy", "1") &&
            xs_printf_key(nd->xs, t, v->be, "feature-rx-flip", "0") &&
            xs_printf_key(nd->xs, t, v->be, "feature-sg", "1") &&
            xs_printf_key(nd->xs, t, v->be, "feature-gso-tcpv4", "0") &&
            xs_printf_key(nd->xs, t, v->be, "feature-gso-tcpv6", "0") &&
            xs_printf_key(nd->xs, t, v->be, "feature-ipv6-csum-offload", "0") &&
            xs_printf_key(nd->xs, t, v->be, "feature-split-event-channels",
                          "0") &&
            xs_printf_key(nd->xs, t, v->be, "feature-multicast-control", "0") &&
            xs_printf_key(nd->xs, t, v->be, "vifname", "%s", v->ifname) &&
            xs_printf_key(nd->xs, t, v->be, "hotplug-status", "connected") &&
            xs_printf_key(nd->xs, t, v->be, "state", "%d", XenbusStateInitWait);
        if (!ok) {
            int e = errno;
            xs_transaction_end(nd->xs, t, true);
            return -e;
        }
        if (xs_transaction_end(nd->xs, t, false)) {
            be_info("d%u vif %u: state %d -> %d", v->domid, v->devid, v->state,
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

static struct nb_vif *vif_new(struct nbd *nd, uint32_t domid, uint32_t devid)
{
    struct nb_vif *v = calloc(1, sizeof(*v));
    char *fe = NULL, *bridge = NULL, *vifname = NULL;
    char tok[64], path[NB_PATH_MAX + 8];
    int e;

    if (!v)
        return NULL;
    v->nd = nd;
    v->domid = domid;
    v->devid = devid;
    v->tapfd = -1;
    v->src.kind = NB_SRC_TAP;
    v->src.vif = v;
    v->state = XenbusStateInitialising;
    snprintf(v->be, sizeof(v->be), BE_ROOT "/%u/%u", domid, devid);
    fe = xs_read_key(nd->xs, v->be, "frontend");
    if (!fe) {
        /* the toolstack is still writing the directory: next event */
        free(v);
        return NULL;
    }
    snprintf(v->fe, sizeof(v->fe), "%s", fe);
    bridge = xs_read_key(nd->xs, v->be, "bridge");
    vifname = xs_read_key(nd->xs, v->be, "vifname");
    if (vifname && vifname[0])
        snprintf(v->ifname, sizeof(v->ifname), "%s", vifname);
    else
        snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", domid, devid);
    if (bridge)
        snprintf(v->bridge, sizeof(v->bridge), "%s", bridge);
    if ((vifname && vifname[0] &&
         (strlen(vifname) >= sizeof(v->ifname) || !be_ifname_valid(vifname))) ||
        (bridge && bridge[0] &&
         (strlen(bridge) >= sizeof(v->bridge) || !be_ifname_valid(bridge)))) {
        fail_dev(v, "bad interface name (vifname '%s', bridge '%s')",
                 vifname ? vifname : "", bridge ? bridge : "");
        set_state(v, XenbusStateClosed);
    } else if (setup_tap(v) == 0) {
        be_info("d%u vif %u: %s%s%s", domid, devid, v->ifname,
                v->bridge[0] ? " on bridge " : "", v->bridge);
        e = advertise(v);
        if (e)
            fail_dev(v, "writing features: %s", strerror(-e));
    } else {
        set_state(v, XenbusStateClosed);
    }
    snprintf(tok, sizeof(tok), "fe:%u:%u", domid, devid);
    snprintf(path, sizeof(path), "%s/state", v->fe);
    v->fe_watched = xs_watch(nd->xs, path, tok);
    v->next = nd->vifs;
    nd->vifs = v;
    free(fe);
    free(bridge);
    free(vifname);
    return v;
}

static int connect_rings(struct nb_vif *v)
{
    struct nbd *nd = v->nd;
    long tx = xs_read_key_long(nd->xs, v->fe, "tx-ring-ref", -1);
    long rx = xs_read_key_long(nd->xs, v->fe, "rx-ring-ref", -1);
    long port = xs_read_key_long(nd->xs, v->fe, "event-channel", -1);
    long copy = xs_read_key_long(nd->xs, v->fe, "request-rx-copy", 0);
    bool notify = xs_read_key_long(nd->xs, v->fe, "feature-rx-notify", 0) == 1;
    uint32_t refs[2];
    int e;

    if (copy != 1) {
        fail_dev(v, "frontend did not request rx-copy (the only receive "
                    "mode offered)");
        return -EPROTONOSUPPORT;
    }
    if (tx < 0 || tx > UINT32_MAX || rx < 0 || rx > UINT32_MAX || port <= 0 ||
        port > UINT32_MAX) {
        fail_dev(v,
                 "frontend's ring refs/event-channel missing or bad "
                 "(tx-ring-ref %ld, rx-ring-ref %ld, event-channel %ld)",
                 tx, rx, port);
        return -EINVAL;
    }
    refs[0] = (uint32_t)tx;
    refs[1] = (uint32_t)rx;
    v->restarts = be_domain_restarts(nd->run_dir, v->domid);
    v->rings = pvgnttab_map_domain_grant_refs(nd->gnt, 2, v->domid, refs,
                                              PROT_READ | PROT_WRITE);
    if (!v->rings) {
        e = -errno;
        fail_dev(v, "mapping tx-ring-ref %ld / rx-ring-ref %ld: %s", tx, rx,
                 strerror(-e));
        return e;
    }
    e = pvevtchn_bind_interdomain(nd->evh, v->domid, (uint32_t)port);
    if (e < 0) {
        fail_dev(v, "binding event-channel %ld: %s", port, strerror(-e));
        goto unmap;
    }
    v->lport = e;
    e = be_net_dev_init(&v->dev, v->domid, v->rings, (uint8_t *)v->rings + 4096,
                        notify, &nb_ops, v);
    if (e)
        goto unbind;
    v->connected = true;
    tap_poll(v, true);
    be_info("d%u vif %u: connected: tx-ring-ref %ld, rx-ring-ref %ld, "
            "event-channel %ld (local %d)",
            v->domid, v->devid, tx, rx, port, v->lport);
    return 0;
unbind:
    pvevtchn_unbind(nd->evh, (pvevtchn_port_t)v->lport);
    v->lport = 0;
unmap:
    pvgnttab_unmap(nd->gnt, v->rings, 2);
    v->rings = NULL;
    return e;
}

static void disconnect(struct nb_vif *v)
{
    if (!v->connected)
        return;
    tap_poll(v, false);
    be_info("d%u vif %u: disconnected (tx %llu packets %llu errors, rx "
            "%llu packets %llu dropped)",
            v->domid, v->devid, (unsigned long long)v->dev.st.tx_packets,
            (unsigned long long)v->dev.st.tx_errors,
            (unsigned long long)v->dev.st.rx_packets,
            (unsigned long long)v->dev.st.rx_dropped);
    be_net_dev_destroy(&v->dev);
    pvevtchn_unbind(v->nd->evh, (pvevtchn_port_t)v->lport);
    v->lport = 0;
    pvgnttab_unmap(v->nd->gnt, v->rings, 2);
    v->rings = NULL;
    v->connected = false;
}

static void vif_free(struct nb_vif *v)
{
    struct nbd *nd = v->nd;
    char tok[64], path[NB_PATH_MAX + 8];

    for (struct nb_vif **pp = &nd->vifs; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    disconnect(v);
    if (v->fe_watched) {
        snprintf(tok, sizeof(tok), "fe:%u:%u", v->domid, v->devid);
        snprintf(path, sizeof(path), "%s/state", v->fe);
        xs_unwatch(nd->xs, path, tok);
    }
    if (v->tapfd >= 0) {
        if (v->bridge[0])
            be_bridge_del(v->bridge, v->ifname);
        epoll_ctl(nd->ep, EPOLL_CTL_DEL, v->tapfd, NULL);
        close(v->tapfd); /* the TAP device goes with its fd */
    }
    free(v);
}

static void vif_update(struct nb_vif *v)
{
    struct nbd *nd = v->nd;
    long online;
    int fe;

    if (v->gone) {
        vif_free(v);
        return;
    }
    if (v->connected && v->dev.broken &&
        be_domain_reset_since(nd->run_dir, v->domid, v->restarts)) {
        /* its memory was reloaded under our mappings: not hostile; the
         * new frontend starts over at Initialising */
        be_info("d%u vif %u: the domain restarted; dropping the rings of "
                "its previous run",
                v->domid, v->devid);
        disconnect(v);
    } else if (v->connected && v->dev.broken) {
        be_err("d%u vif %u: frontend published impossible ring indices; "
               "disconnecting it",
               v->domid, v->devid);
        xs_printf_key(nd->xs, XBT_NULL, v->be, "error", "bogus ring indices");
        disconnect(v);
        set_state(v, XenbusStateClosing);
    }
    online = be_xs_online(nd->xs, v->be);
    if (online < 0) {
        /* removed between the scan and now: as the rescan would find */
        be_info("d%u vif %u: backend directory removed", v->domid, v->devid);
        v->gone = true;
        vif_free(v);
        return;
    }
    if (v->tapfd < 0 && online)
        return; /* setup failed; stays Closed */
    fe = (int)xs_read_key_long(nd->xs, v->fe, "state", XenbusStateUnknown);
    if (fe != XenbusStateConnected)
        v->fe_seen_unconnected = true;
    if (!online) {
        /* detach: nothing is in flight, close at once */
        disconnect(v);
        if (v->state < XenbusStateClosing)
            set_state(v, XenbusStateClosing);
        /* a frontend that never connected will not answer Closing */
        if (fe != XenbusStateInitialised && fe != XenbusStateConnected)
            set_state(v, XenbusStateClosed);
        /*
         * The toolstack wrote Closing over our state (as libxl does) and
         * waits for Closed: say it again if we were Closed already (a
         * failed setup, a frontend that closed first).
         */
        if (v->state == XenbusStateClosed &&
            xs_read_key_long(nd->xs, v->be, "state", XenbusStateClosed) !=
                XenbusStateClosed)
            xs_printf_key(nd->xs, XBT_NULL, v->be, "state", "%d",
                          XenbusStateClosed);
        return;
    }
    switch (fe) {
    case XenbusStateUnknown:
    case XenbusStateInitialising:
    case XenbusStateInitWait:
        /* a (re)starting frontend: drop old rings, offer again */
        if (v->state == XenbusStateClosed || v->state == XenbusStateConnected ||
            v->state == XenbusStateClosing) {
            disconnect(v);
            int e = advertise(v);
            if (e)
                fail_dev(v, "writing features: %s", strerror(-e));
        }
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state != XenbusStateInitWait)
            break;
        if (fe == XenbusStateConnected && !v->fe_seen_unconnected)
            break; /* stale: from before our restart; wait for new rings */
        if (connect_rings(v) == 0) {
            set_state(v, XenbusStateConnected);
            v->need_kick = true;
        } else {
            set_state(v, XenbusStateClosing);
        }
        break;
    case XenbusStateClosing:
    case XenbusStateClosed:
        disconnect(v);
        if (fe == XenbusStateClosing && v->state != XenbusStateClosed)
            set_state(v, XenbusStateClosing);
        if (fe == XenbusStateClosed || v->state == XenbusStateClosing)
            set_state(v, XenbusStateClosed);
        break;
    default:
        break;
    }
}

struct nb_vif *nb_vif_by_port(struct nbd *nd, int port)
{
    for (struct nb_vif *v = nd->vifs; v; v = v->next)
        if (v->connected && v->lport == port)
            return v;
    return NULL;
}

static struct nb_vif *find(struct nbd *nd, uint32_t domid, uint32_t devid)
{
    for (struct nb_vif *v = nd->vifs; v; v = v->next)
        if (v->domid == domid && v->devid == devid && !v->gone)
            return v;
    return NULL;
}

static void found(void *ctx, uint32_t domid, uint32_t devid)
{
    struct nbd *nd = ctx;
    struct nb_vif *v = find(nd, domid, devid);

    if (!v)
        v = vif_new(nd, domid, devid);
    if (v)
        v->seen_scan = true;
}

void nb_rescan(struct nbd *nd, bool released)
{
    struct nb_vif *v, *next;

    be_scan_devices(nd->xs, BE_ROOT, released, found, nd);
    for (v = nd->vifs; v; v = next) {
        next = v->next;
        if (!v->seen_scan && !v->gone) {
            be_info("d%u vif %u: backend directory removed", v->domid,
                    v->devid);
            v->gone = true;
        }
        v->seen_scan = false;
        vif_update(v);
    }
}

/* Guest -> host, then host -> guest if the guest has buffers. */
static void kick(struct nb_vif *v)
{
    int rc;

    if (!v->connected)
        return;
    rc = be_net_tx_kick(&v->dev);
    if (rc == 1) {
        v->need_kick = true; /* more queued: after the others */
        v->nd->pending_kicks = true;
        rc = 0;
    }
    if (rc == 0) {
        if (be_net_rx_has_buffers(&v->dev)) {
            tap_poll(v, true);
            rc = be_net_rx_kick(&v->dev);
            if (rc == 0)
                tap_poll(v, false);
        }
    }
    if (rc < 0)
        vif_update(v);
}

void nb_tap_readable(struct nb_vif *v)
{
    int rc;

    if (!v->connected) {
        tap_poll(v, false);
        return;
    }
    rc = be_net_rx_kick(&v->dev);
    if (rc == 0)
        tap_poll(v, false); /* no buffers: wait for the guest */
    else if (rc < 0)
        vif_update(v);
}

void nb_kick_marked(struct nbd *nd)
{
    struct nb_vif *v, *next;

    nd->pending_kicks = false;
    for (v = nd->vifs; v; v = next) {
        next = v->next;
        if (!v->need_kick || v->kicked)
            continue;
        v->need_kick = false;
        v->kicked = true; /* once per pass */
        kick(v);
    }
    for (v = nd->vifs; v; v = v->next) {
        v->kicked = false;
        if (v->need_kick)
            nd->pending_kicks = true;
    }
}

void nb_vif_free_all(struct nbd *nd)
{
    while (nd->vifs) {
        struct nb_vif *v = nd->vifs;
        v->fe_watched = false;
        vif_free(v);
    }
}
