// SPDX-License-Identifier: MIT
/* skelback.c: pv-skelback, the backend of the "skel" example split driver. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <pvabi/io/skelif.h>
#include <pvabi/io/xenbus.h>

#include "be_common.h"
#include "pvd_sandbox.h"
#include "be_xs.h"
#include "pvevtchn.h"
#include "pvgnttab.h"
#include "xenstore.h"

/*
 * Teaching code, read it next to docs/split-drivers.md ("Writing your own
 * frontend and backend"). One thread, one poll loop over three fds:
 * xenstore watch events, event channel notifications and SIGTERM/SIGINT.
 * Every xenstore event rescans the backend directory and re-reads the
 * frontends' states, so spurious or merged events do no harm.
 */
#define BE_ROOT  "/local/domain/0/backend/skel"
#define MAX_DEVS 64

struct dev {
    bool used, seen;
    unsigned domid, devid;
    char be[96], fe[160];  /* backend and frontend directories */
    int state;             /* the backend state we last wrote */
    skel_back_ring_t ring; /* ring.sring != NULL while connected */
    int port;              /* our end of the event channel, 0 if none */
    unsigned long served;  /* requests answered on this ring */
    unsigned long kicks;   /* notifications we sent on it */
};

static struct xs_handle *xs;
static pvevtchn *xce;
static pvgnttab *xgt;
static struct dev devs[MAX_DEVS];

/* dir/key as a number 0..UINT32_MAX, -1 if missing or not one. */
static long rd(const char *dir, const char *key)
{
    long n = xs_read_key_long(xs, dir, key, -1);

    return n >= 0 && n <= (long)UINT32_MAX ? n : -1;
}

static void wr(struct dev *d, const char *key, const char *val)
{
    if (!xs_printf_key(xs, XBT_NULL, d->be, key, "%s", val))
        be_warn("domain %u skel/%u: writing %s: %s", d->domid, d->devid, key,
                strerror(errno));
}

static void set_state(struct dev *d, int state)
{
    char v[4];

    if (d->state == state)
        return;
    be_info("domain %u skel/%u: state %d -> %d", d->domid, d->devid, d->state,
            state);
    d->state = state;
    snprintf(v, sizeof(v), "%d", state);
    wr(d, "state", v);
}

/* Drop the ring and the channel (both were the frontend's to give). */
static void disconnect(struct dev *d)
{
    if (!d->ring.sring)
        return;
    be_info("domain %u skel/%u: disconnected after %lu requests, %lu "
            "notifications",
            d->domid, d->devid, d->served, d->kicks);
    pvevtchn_unbind(xce, (pvevtchn_port_t)d->port);
    pvgnttab_unmap(xgt, d->ring.sring, 1);
    d->ring.sring = NULL;
    d->port = 0;
}

/* The frontend broke the protocol: this device (only) goes to Closing. */
static void fail(struct dev *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct dev *d, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    be_err("domain %u skel/%u: %s; disconnecting it", d->domid, d->devid, msg);
    wr(d, "error", msg);
    disconnect(d);
    set_state(d, XenbusStateClosing);
}

/* Frontend Initialised: map its ring page and bind its channel. */
static int connect_ring(struct dev *d)
{
    long ref = rd(d->fe, "ring-ref"), port = rd(d->fe, "event-channel");
    void *page;
    int lport;

    if (ref < 0 || port <= 0) {
        fail(d, "ring-ref %ld / event-channel %ld missing or bad", ref, port);
        return -1;
    }
    page = pvgnttab_map_grant_ref(xgt, d->domid, (uint32_t)ref,
                                  PROT_READ | PROT_WRITE);
    if (!page) {
        fail(d, "mapping ring-ref %ld: %s", ref, strerror(errno));
        return -1;
    }
    lport = pvevtchn_bind_interdomain(xce, d->domid, (uint32_t)port);
    if (lport < 0) {
        pvgnttab_unmap(xgt, page, 1);
        fail(d, "binding event-channel %ld: %s", port, strerror(-lport));
        return -1;
    }
    d->port = lport;
    d->served = d->kicks = 0;
    /* The frontend initialised the shared indices; we only attach. */
    BACK_RING_INIT(&d->ring, (skel_sring_t *)page, XEN_PAGE_SIZE);
    be_info("domain %u skel/%u: ring-ref %ld, event-channel %ld", d->domid,
            d->devid, ref, port);
    return 0;
}

/*
 * Answer every published request. The guest may rewrite the page at any
 * moment, so: read req_prod once per pass and check it, copy each slot
 * once and use only the copy, check the copy's len before using it.
 */
static void serve(struct dev *d)
{
    skel_back_ring_t *r = &d->ring;
    int more, notify;

    do {
        RING_IDX prod = PVABI_RING_LOAD(r->sring->req_prod);

        pvabi_ring_rmb(); /* see req_prod before the slots it covers */
        if (RING_REQUEST_PROD_OVERFLOW(r, prod)) {
            fail(d, "impossible req_prod %u (req_cons %u, %u slots)", prod,
                 r->req_cons, RING_SIZE(r));
            return;
        }
        /* We answer at once, so this never overruns our own responses;
         * RING_REQUEST_CONS_OVERFLOW guards a backend that answers later. */
        while (r->req_cons != prod &&
               !RING_REQUEST_CONS_OVERFLOW(r, r->req_cons)) {
            struct skel_request req;
            struct skel_response *rsp;

            RING_COPY_REQUEST(r, r->req_cons, &req);
            r->req_cons++;
            if (req.len > SKEL_DATA_MAX) {
                fail(d, "request %u: len %u > %u", req.id, req.len,
                     SKEL_DATA_MAX);
                return;
            }
            /* The response goes into the slot the request came from. */
            rsp = RING_GET_RESPONSE(r, r->rsp_prod_pvt);
            rsp->id = req.id;
            rsp->status = SKEL_RSP_OKAY;
            rsp->len = req.len;
            for (uint32_t i = 0; i < req.len; i++) {
                uint8_t c = req.data[i];
                rsp->data[i] = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
            }
            r->rsp_prod_pvt++;
            d->served++;
        }
        /* Notify only if the frontend asked (rsp_event) to hear of these. */
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, notify);
        if (notify && pvevtchn_notify(xce, (pvevtchn_port_t)d->port) == 0)
            d->kicks++;
        /* Set req_event, then look once more: no request is left behind. */
        RING_FINAL_CHECK_FOR_REQUESTS(r, more);
    } while (more);
}

/* React to the frontend's state (called on every xenstore event). */
static void update(struct dev *d)
{
    switch (rd(d->fe, "state")) {
    case XenbusStateInitialising: /* a (re)started frontend: offer again */
        if (d->state != XenbusStateInitWait) {
            disconnect(d);
            set_state(d, XenbusStateInitWait);
        }
        break;
    case XenbusStateInitialised: /* ring-ref and event-channel are there */
        if (d->state == XenbusStateInitWait && connect_ring(d) == 0) {
            set_state(d, XenbusStateConnected);
            serve(d); /* requests may have been queued before we bound */
        }
        break;
    case XenbusStateClosing: /* we hold nothing in flight: close at once */
    case XenbusStateClosed:
        disconnect(d);
        set_state(d, XenbusStateClosed);
        break;
    case -1: /* the frontend's directory went away (domain destroyed) */
        if (d->ring.sring) {
            disconnect(d);
            set_state(d, XenbusStateClosed);
        }
        break;
    default: /* InitWait, Connected: nothing to do */
        break;
    }
}

/* A device directory appeared: take it once the toolstack wrote state. */
static struct dev *add(unsigned domid, unsigned devid)
{
    struct dev *d = NULL;
    char path[256], *fe;

    for (int i = 0; i < MAX_DEVS && !d; i++)
        d = devs[i].used ? NULL : &devs[i];
    if (!d)
        return NULL;
    snprintf(d->be, sizeof(d->be), BE_ROOT "/%u/%u", domid, devid);
    snprintf(path, sizeof(path), "%s/frontend", d->be);
    fe = xs_read(xs, XBT_NULL, path, NULL);
    if (!fe || strlen(fe) >= sizeof(d->fe) || rd(d->be, "state") < 0) {
        free(fe); /* still being written: a later event brings the rest */
        return NULL;
    }
    strcpy(d->fe, fe);
    free(fe);
    d->used = true;
    d->domid = domid;
    d->devid = devid;
    d->state = XenbusStateInitialising;
    be_info("domain %u skel/%u: new device, frontend %s", domid, devid, d->fe);
    snprintf(path, sizeof(path), "%s/state", d->fe);
    if (!xs_watch(xs, path, "fe"))
        be_warn("domain %u skel/%u: watching %s: %s", domid, devid, path,
                strerror(errno));
    set_state(d, XenbusStateInitWait);
    return d;
}

/* The device's directory is gone (or we exit): forget it. */
static void drop(struct dev *d)
{
    char path[256];

    disconnect(d);
    snprintf(path, sizeof(path), "%s/state", d->fe);
    xs_unwatch(xs, path, "fe");
    memset(d, 0, sizeof(*d));
}

/* be_scan_devices found BE_ROOT/<domid>/<devid>: mark it, add it if new. */
static void found(void *ctx, uint32_t domid, uint32_t devid)
{
    struct dev *d = NULL;

    (void)ctx;
    if (domid > 65535 || devid > 65535)
        return;
    for (int k = 0; k < MAX_DEVS && !d; k++)
        if (devs[k].used && devs[k].domid == domid && devs[k].devid == devid)
            d = &devs[k];
    if (!d)
        d = add(domid, devid);
    if (d)
        d->seen = true;
}

/* Walk BE_ROOT/<domid>/<devid>: add new devices, drop removed ones. */
static void rescan(void)
{
    for (int i = 0; i < MAX_DEVS; i++)
        devs[i].seen = false;
    be_scan_devices(xs, BE_ROOT, false, found, NULL);
    for (int i = 0; i < MAX_DEVS; i++) {
        if (devs[i].used && !devs[i].seen) {
            be_info("domain %u skel/%u: device removed", devs[i].domid,
                    devs[i].devid);
            drop(&devs[i]);
        } else if (devs[i].used) {
            update(&devs[i]);
        }
    }
}

/* Serve the devices whose frontends notified us. */
static void kicked(void)
{
    int port;

    while ((port = pvevtchn_pending(xce)) > 0) {
        for (int i = 0; i < MAX_DEVS; i++)
            if (devs[i].used && devs[i].ring.sring && devs[i].port == port)
                serve(&devs[i]);
        pvevtchn_unmask(xce, (pvevtchn_port_t)port);
    }
}

int main(int argc, char **argv)
{
    const char *run_dir = NULL;
    sigset_t sigs;
    int opt, sfd, rc = 1;

    while ((opt = getopt(argc, argv, "r:h")) != -1) {
        if (opt != 'r') {
            fprintf(opt == 'h' ? stdout : stderr,
                    "usage: pv-skelback [-r RUNDIR]\n"
                    "Serves the example devices under " BE_ROOT ";\n"
                    "logs to stderr, stops on SIGTERM or SIGINT.\n");
            return opt == 'h' ? 0 : 2;
        }
        run_dir = optarg;
    }
    be_log_init("pv-skelback", 2);
    if (run_dir) /* xs_open() finds pvstored.sock through it */
        setenv("PVISOR_RUN_DIR", run_dir, 1);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (!(xs = xs_open(0)))
        be_err("cannot reach pvstored: %s", strerror(errno));
    else if (!(xce = pvevtchn_open(run_dir)) || !(xgt = pvgnttab_open(run_dir)))
        be_err("cannot reach pvisor: %s", strerror(errno));
    else if (!xs_mkdir(xs, XBT_NULL, BE_ROOT) || !xs_watch(xs, BE_ROOT, "be"))
        be_err("watching " BE_ROOT ": %s", strerror(errno));
    else
        rc = 0;
    if (rc == 0 && be_sandbox(&pvd_sandbox_skelback) < 0)
        rc = 1;
    if (rc == 0)
        be_info("serving " BE_ROOT);
    while (rc == 0) {
        struct pollfd p[3] = { { sfd, POLLIN, 0 },
                               { xs_fileno(xs), POLLIN, 0 },
                               { pvevtchn_fd(xce), POLLIN, 0 } };
        bool released = false;

        if (poll(p, 3, -1) < 0 && errno != EINTR) {
            be_err("poll: %s", strerror(errno));
            rc = 1;
        }
        if (p[0].revents) {
            be_info("signal: exiting");
            break;
        }
        if (p[2].revents)
            kicked();
        if (be_xs_watches_fired(xs, &released))
            rescan();
    }
    for (int i = 0; i < MAX_DEVS; i++) {
        if (devs[i].used && devs[i].ring.sring) {
            disconnect(&devs[i]);
            set_state(&devs[i], XenbusStateClosed);
        }
        if (devs[i].used)
            drop(&devs[i]);
    }
    pvgnttab_close(xgt);
    pvevtchn_close(xce);
    xs_close(xs);
    close(sfd);
    return rc;
}
