/* SPDX-License-Identifier: MIT */
/* xenbus.c: xenstore ring transport, request/reply matching, watches. */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

/*
 * Threads: callers write whole requests to the ring (one writer at a time,
 * a sleeping lock) and block until the "xenbus" reader thread, woken by
 * the store's event channel, finds the reply with their req_id. Watch
 * events go to their watch's queue, or to the "xenwatch" thread that runs
 * callbacks (callbacks may make requests, so they cannot run in the
 * reader). All shared state below is guarded by xb_lock, taken with events
 * masked; a thread is only woken while xb_lock is held and only ever reads
 * its completion flag under xb_lock, so it cannot exit (and free the
 * structure the waker uses) in between.
 */
struct request {
    struct request *next;
    uint32_t req_id;
    struct gk_thread *waiter;
    int done;
    uint32_t type;
    uint32_t len;
    char *body; /* NULL if the reply did not fit in memory */
};

struct event {
    struct event *next;
    struct gk_xenbus_watch *w;
    char *body; /* "path\0token\0" */
};

struct gk_xenbus_watch {
    struct gk_xenbus_watch *next;
    char *path;
    char token[16];
    gk_xenbus_watch_fn fn;
    void *data;
    struct event *q_head, *q_tail; /* events of a callback-less watch */
    struct gk_thread *waiter;
    int running; /* callback executing in xenwatch */
    int dead;    /* unwatched: free when not running */
};

struct lock_waiter {
    struct lock_waiter *next;
    struct gk_thread *t;
    int granted;
};

static struct xenstore_domain_interface *ring;
static evtchn_port_t store_port;
static int connected, broken, reported;
static uint64_t timeout_ns;

static gk_spinlock_t xb_lock = GK_SPINLOCK_INIT;
static struct request *pending;
static uint32_t next_req_id = 1;
static struct gk_xenbus_watch *watches;
static uint32_t next_token;
static struct event *ev_head, *ev_tail; /* for xenwatch */
static struct gk_thread *reader_thread, *watch_thread;
static struct gk_thread *space_waiter; /* writer waiting for room */
static int wr_held;
static struct lock_waiter *wr_head, *wr_tail;

static void notify(void)
{
    /* pvisor's notify extension: an ioeventfd can take it in the host
     * kernel when the store is a dom0 process. */
    HYPERVISOR_pvisor_notify(store_port);
}

static void store_event(evtchn_port_t port, void *data)
{
    unsigned long flags;

    (void)port;
    (void)data;
    if (reader_thread)
        gk_thread_wake(reader_thread);
    flags = gk_spin_lock_irqsave(&xb_lock);
    if (space_waiter)
        gk_thread_wake(space_waiter);
    gk_spin_unlock_irqrestore(&xb_lock, flags);
}

/* The writer lock: held across a whole message, which may have to wait
 * for ring space, so it sleeps instead of spinning. */
static void wr_lock(void)
{
    struct lock_waiter me = { NULL, gk_current(), 0 };
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);

    if (!wr_held) {
        wr_held = 1;
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        return;
    }
    if (wr_tail)
        wr_tail->next = &me;
    else
        wr_head = &me;
    wr_tail = &me;
    gk_spin_unlock_irqrestore(&xb_lock, flags);
    for (;;) {
        int granted;

        flags = gk_spin_lock_irqsave(&xb_lock);
        granted = me.granted;
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (granted)
            return;
        gk_thread_block();
    }
}

static void wr_unlock(void)
{
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
    struct lock_waiter *n = wr_head;

    if (n) {
        wr_head = n->next;
        if (!wr_head)
            wr_tail = NULL;
        n->granted = 1; /* ownership passes directly: wr_held stays 1 */
        gk_thread_wake(n->t);
    } else {
        wr_held = 0;
    }
    gk_spin_unlock_irqrestore(&xb_lock, flags);
}

/*
 * Append len bytes to the request ring (writer lock held), waiting for
 * room. Returns 0, -XEN_EIO on impossible indexes, -XEN_ETIMEDOUT if the
 * deadline (0 = none) passes; *wrote counts the bytes already produced.
 */
static int ring_write(const void *data, uint32_t len, uint64_t deadline,
                      uint32_t *wrote)
{
    const char *src = data;

    while (len) {
        XENSTORE_RING_IDX cons = GK_READ_ONCE(ring->req_cons);
        XENSTORE_RING_IDX prod = GK_READ_ONCE(ring->req_prod);
        uint32_t avail;

        if (prod - cons > XENSTORE_RING_SIZE)
            return -XEN_EIO;
        if (prod - cons == XENSTORE_RING_SIZE) {
            unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
            int full;

            space_waiter = gk_current();
            gk_spin_unlock_irqrestore(&xb_lock, flags);
            gk_mb();
            full =
                GK_READ_ONCE(ring->req_prod) - GK_READ_ONCE(ring->req_cons) ==
                XENSTORE_RING_SIZE;
            if (full) {
                if (deadline)
                    gk_thread_block_until(deadline);
                else
                    gk_thread_block();
            }
            flags = gk_spin_lock_irqsave(&xb_lock);
            space_waiter = NULL;
            gk_spin_unlock_irqrestore(&xb_lock, flags);
            if (full && deadline && gk_monotonic_ns() >= deadline)
                return -XEN_ETIMEDOUT;
            continue;
        }
        avail = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
        if (XENSTORE_RING_SIZE - (prod - cons) < avail)
            avail = XENSTORE_RING_SIZE - (prod - cons);
        if (avail > len)
            avail = len;
        /* Write the data only after reading the consumer index. */
        gk_mb();
        memcpy(ring->req + MASK_XENSTORE_IDX(prod), src, avail);
        /* The store must not see the new producer before the data. */
        gk_wmb();
        GK_WRITE_ONCE(ring->req_prod, prod + avail);
        notify();
        src += avail;
        len -= avail;
        *wrote += avail;
    }
    return 0;
}

/* Take len bytes from the reply ring (reader thread only), waiting. */
static int ring_read(void *data, uint32_t len)
{
    char *dst = data;

    while (len) {
        XENSTORE_RING_IDX cons = GK_READ_ONCE(ring->rsp_cons);
        XENSTORE_RING_IDX prod = GK_READ_ONCE(ring->rsp_prod);
        uint32_t avail;

        if (prod - cons > XENSTORE_RING_SIZE)
            return -XEN_EIO;
        if (prod == cons) {
            gk_thread_block(); /* store_event() wakes us */
            continue;
        }
        /* Read the data only after reading the producer index. */
        gk_rmb();
        avail = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
        if (prod - cons < avail)
            avail = prod - cons;
        if (avail > len)
            avail = len;
        if (dst) {
            memcpy(dst, ring->rsp + MASK_XENSTORE_IDX(cons), avail);
            dst += avail;
        }
        /* Finish copying out before the store may reuse the space. */
        gk_mb();
        GK_WRITE_ONCE(ring->rsp_cons, cons + avail);
        notify();
        len -= avail;
    }
    return 0;
}

static void complete(const struct xsd_sockmsg *h, char *body)
{
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
    struct request **pp = &pending;

    while (*pp && (*pp)->req_id != h->req_id)
        pp = &(*pp)->next;
    if (*pp) {
        struct request *rq = *pp;

        *pp = rq->next;
        rq->type = h->type;
        rq->len = h->len;
        rq->body = body;
        rq->done = 1;
        gk_thread_wake(rq->waiter);
        body = NULL;
    }
    gk_spin_unlock_irqrestore(&xb_lock, flags);
    gk_free(body); /* a reply nobody waits for (timed out) */
}

static void queue_event(char *body, uint32_t len)
{
    size_t plen = strnlen(body, len);
    const char *token = body + plen + 1;
    struct event *ev = gk_malloc(sizeof(*ev));
    struct gk_xenbus_watch *w;
    unsigned long flags;

    if (!ev || plen + 1 >= len) {
        gk_free(ev);
        gk_free(body);
        return;
    }
    ev->next = NULL;
    ev->body = body;
    flags = gk_spin_lock_irqsave(&xb_lock);
    for (w = watches; w; w = w->next)
        if (!w->dead && strcmp(w->token, token) == 0)
            break;
    if (w) {
        ev->w = w;
        if (w->fn) {
            if (ev_tail)
                ev_tail->next = ev;
            else
                ev_head = ev;
            ev_tail = ev;
            gk_thread_wake(watch_thread);
        } else {
            if (w->q_tail)
                w->q_tail->next = ev;
            else
                w->q_head = ev;
            w->q_tail = ev;
            if (w->waiter)
                gk_thread_wake(w->waiter);
        }
        ev = NULL;
    }
    gk_spin_unlock_irqrestore(&xb_lock, flags);
    if (ev) {
        gk_free(ev->body);
        gk_free(ev);
    }
}

static void reader_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct xsd_sockmsg h;
        char *body;

        if (ring_read(&h, sizeof(h)) < 0)
            break;
        if (h.len > XENSTORE_PAYLOAD_MAX) {
            gk_printf("guest-kit: xenstore message of %u bytes\n", h.len);
            break;
        }
        body = gk_malloc(h.len + 1);
        if (ring_read(body, h.len) < 0)
            break;
        if (!body) {
            if (h.type != XS_WATCH_EVENT)
                complete(&h, NULL);
            continue;
        }
        body[h.len] = '\0';
        if (h.type == XS_WATCH_EVENT)
            queue_event(body, h.len);
        else
            complete(&h, body);
    }
    /* Impossible indexes or sizes: the stream cannot be resynchronised. */
    gk_printf("guest-kit: xenstore ring broken, xenbus stopped\n");
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
    broken = 1;
    for (struct request *rq = pending; rq; rq = rq->next)
        gk_thread_wake(rq->waiter);
    gk_spin_unlock_irqrestore(&xb_lock, flags);
}

static void free_watch(struct gk_xenbus_watch *w)
{
    gk_free(w->path);
    gk_free(w);
}

static void watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
        struct event *ev = ev_head;
        struct gk_xenbus_watch *w = NULL;
        int drop;

        if (ev) {
            ev_head = ev->next;
            if (!ev_head)
                ev_tail = NULL;
            w = ev->w;
            w->running++;
        }
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (!ev) {
            gk_thread_block();
            continue;
        }
        w->fn(w, ev->body, w->data);
        gk_free(ev->body);
        gk_free(ev);
        flags = gk_spin_lock_irqsave(&xb_lock);
        drop = --w->running == 0 && w->dead;
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (drop)
            free_watch(w);
    }
}

/* Map an XS_ERROR payload ("ENOENT") to a negative Xen errno. */
static int xs_errno(const char *name)
{
    for (size_t i = 0; i < GK_ARRAY_SIZE(xsd_errors); i++)
        if (strcmp(name, xsd_errors[i].errstring) == 0)
            return -xsd_errors[i].errnum;
    return -XEN_EINVAL; /* as Linux does for unknown names */
}

int gk_xenbus_request(gk_xbt_t t, uint32_t type, const struct gk_xs_iov *iov,
                      unsigned int nvec, char **reply, uint32_t *reply_len)
{
    struct request rq = { .waiter = gk_current() };
    struct xsd_sockmsg h = { .type = type, .tx_id = t };
    uint64_t deadline = 0;
    uint32_t wrote = 0;
    unsigned long flags;
    size_t total = 0;
    int rc;

    if (!connected)
        return -XEN_ENODEV;
    for (unsigned int i = 0; i < nvec; i++)
        total += iov[i].len;
    if (total > XENSTORE_PAYLOAD_MAX)
        return -XEN_E2BIG;
    h.len = (uint32_t)total;
    if (timeout_ns)
        deadline = gk_monotonic_ns() + timeout_ns;

    /* Listed before it is sent, so even an immediate reply finds it. */
    flags = gk_spin_lock_irqsave(&xb_lock);
    if (broken) {
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        return -XEN_EIO;
    }
    rq.req_id = h.req_id = next_req_id++;
    rq.next = pending;
    pending = &rq;
    gk_spin_unlock_irqrestore(&xb_lock, flags);

    wr_lock();
    rc = ring_write(&h, sizeof(h), deadline, &wrote);
    for (unsigned int i = 0; i < nvec && rc == 0; i++)
        rc = ring_write(iov[i].base, (uint32_t)iov[i].len, deadline, &wrote);
    if (rc && wrote) {
        /* Half a message is in the ring: the stream is lost. */
        gk_printf("guest-kit: xenstore ring stalled mid-message\n");
        broken = 1;
    }
    wr_unlock();

    for (;;) {
        int done;

        flags = gk_spin_lock_irqsave(&xb_lock);
        done = rq.done;
        if (!done && !rc && broken)
            rc = -XEN_EIO;
        if (!done && !rc && deadline && gk_monotonic_ns() >= deadline)
            rc = -XEN_ETIMEDOUT;
        if (!done && rc) {
            struct request **pp = &pending;

            while (*pp && *pp != &rq)
                pp = &(*pp)->next;
            if (*pp)
                *pp = rq.next;
        }
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (done || rc)
            break;
        if (deadline)
            gk_thread_block_until(deadline);
        else
            gk_thread_block();
    }
    if (!rq.done)
        return rc;
    if (!rq.body)
        return -XEN_ENOMEM;
    if (rq.type == XS_ERROR) {
        rc = xs_errno(rq.body);
        gk_free(rq.body);
        return rc;
    }
    if (rq.type != type) {
        gk_free(rq.body);
        return -XEN_EIO;
    }
    if (reply_len)
        *reply_len = rq.len;
    if (reply)
        *reply = rq.body;
    else
        gk_free(rq.body);
    return 0;
}

uint64_t gk_xenbus_set_timeout(uint64_t ns)
{
    uint64_t old = timeout_ns;

    timeout_ns = ns;
    return old;
}

int gk_xenbus_available(void)
{
    return connected && !broken;
}

/*
 * A domain restarted in place (on_reboot = "restart" keeps the domid) may
 * still own watches of its previous life in the store, with the tokens we
 * are about to reuse. Drop them as Linux does (XS_RESET_WATCHES); a store
 * without it answers an error, and one that does not answer within a
 * second does not hold up the boot.
 */
static void reset_watches(void)
{
    struct gk_xs_iov iov = { "", 1 };
    uint64_t old = timeout_ns;

    if (!timeout_ns || timeout_ns > GK_NSEC_PER_SEC)
        timeout_ns = GK_NSEC_PER_SEC;
    gk_xenbus_request(GK_XBT_NIL, XS_RESET_WATCHES, &iov, 1, NULL, NULL);
    timeout_ns = old;
}

#define MAX_RESUME_HOOKS 16
static const struct gk_resume_hook *resume_hooks[MAX_RESUME_HOOKS];

int gk_xenbus_resume_hook_add(const struct gk_resume_hook *h)
{
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
    int rc = -XEN_ENOSPC;

    for (unsigned i = 0; i < MAX_RESUME_HOOKS && rc; i++) {
        if (!resume_hooks[i]) {
            resume_hooks[i] = h;
            rc = 0;
        }
    }
    gk_spin_unlock_irqrestore(&xb_lock, flags);
    return rc;
}

void gk_xenbus_resume_hook_del(const struct gk_resume_hook *h)
{
    unsigned long flags = gk_spin_lock_irqsave(&xb_lock);

    for (unsigned i = 0; i < MAX_RESUME_HOOKS; i++)
        if (resume_hooks[i] == h)
            resume_hooks[i] = NULL;
    gk_spin_unlock_irqrestore(&xb_lock, flags);
}

static void run_resume_hooks(void)
{
    for (unsigned i = 0; i < MAX_RESUME_HOOKS; i++) {
        unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
        const struct gk_resume_hook *h = resume_hooks[i];
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (h)
            h->fn(h->arg);
    }
}

void gk_xenbus_resume(void)
{
    unsigned long flags;
    unsigned n = 0, i;

    if (!connected)
        return;
    gk_xenbus_ops_resume();
    /* The list may change while we ask: register by position. */
    for (i = 0;; i++) {
        struct gk_xenbus_watch *w;
        struct gk_xs_iov iov[2];
        char path[256], token[sizeof(w->token)];
        unsigned k = 0;
        int live = 0;

        flags = gk_spin_lock_irqsave(&xb_lock);
        for (w = watches; w && k < i; w = w->next)
            k++;
        if (w && !w->dead) {
            gk_strlcpy(path, w->path, sizeof(path));
            gk_strlcpy(token, w->token, sizeof(token));
            live = 1;
        }
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (!w)
            break;
        if (!live)
            continue;
        iov[0] = (struct gk_xs_iov){ path, strlen(path) + 1 };
        iov[1] = (struct gk_xs_iov){ token, strlen(token) + 1 };
        if (gk_xenbus_request(GK_XBT_NIL, XS_WATCH, iov, 2, NULL, NULL) >= 0)
            n++;
    }
    gk_printf("guest-kit: xenbus: %u watches registered again\n", n);
    run_resume_hooks();
}

int gk_xenbus_attach(struct xenstore_domain_interface *r, evtchn_port_t port)
{
    if (connected)
        return -XEN_EBUSY;
    ring = r;
    store_port = port;
    reader_thread = gk_thread_create("xenbus", reader_main, NULL);
    watch_thread = gk_thread_create("xenwatch", watch_main, NULL);
    if (!reader_thread || !watch_thread)
        gk_panic("cannot create the xenbus threads");
    gk_evtchn_set_handler(port, store_event, NULL);
    connected = 1;
    gk_evtchn_unmask(port);
    reset_watches();
    gk_control_init();
    gk_balloon_init();
    gk_hotplug_init();
    return 0;
}

int gk_xenbus_init(void)
{
    uint64_t mfn = gk_start_info.store_mfn;
    evtchn_port_t port = gk_start_info.store_evtchn;
    char opt[8];

    if (connected)
        return 0;
    /* `gk.xenstore=off` leaves the ring alone (e.g. for gk_xenbus_attach). */
    if (gk_cmdline_get("gk.xenstore", opt, sizeof(opt)) >= 0 &&
        strcmp(opt, "off") == 0)
        mfn = 0;
    if (!mfn || !port || mfn >= gk_start_info.nr_pages) {
        if (!reported)
            gk_printf("guest-kit: xenstore not available\n");
        reported = 1;
        return -XEN_ENODEV;
    }
    /* mfn == pfn, and all RAM is mapped at the base. */
    return gk_xenbus_attach(gk_mfn_to_virt(mfn), port);
}

int gk_xenbus_watch(const char *path, gk_xenbus_watch_fn fn, void *data,
                    struct gk_xenbus_watch **out)
{
    struct gk_xenbus_watch *w;
    struct gk_xs_iov iov[2];
    unsigned long flags;
    size_t plen;
    int rc;

    if (!connected)
        return -XEN_ENODEV;
    plen = strlen(path);
    w = gk_calloc(1, sizeof(*w));
    if (!w || !(w->path = gk_malloc(plen + 1))) {
        gk_free(w);
        return -XEN_ENOMEM;
    }
    memcpy(w->path, path, plen + 1);
    w->fn = fn;
    w->data = data;
    flags = gk_spin_lock_irqsave(&xb_lock);
    gk_snprintf(w->token, sizeof(w->token), "gk%u", next_token++);
    w->next = watches;
    watches = w;
    gk_spin_unlock_irqrestore(&xb_lock, flags);

    iov[0] = (struct gk_xs_iov){ w->path, plen + 1 };
    iov[1] = (struct gk_xs_iov){ w->token, strlen(w->token) + 1 };
    rc = gk_xenbus_request(GK_XBT_NIL, XS_WATCH, iov, 2, NULL, NULL);
    if (rc < 0) {
        w->dead = 1; /* never registered: unlink without XS_UNWATCH */
        gk_xenbus_unwatch(w);
        return rc;
    }
    *out = w;
    return 0;
}

int gk_xenbus_unwatch(struct gk_xenbus_watch *w)
{
    struct gk_xenbus_watch **pp;
    struct event *ev, *drop = NULL;
    unsigned long flags;
    int rc = 0;

    if (!w)
        return -XEN_EINVAL;
    if (!w->dead) {
        struct gk_xs_iov iov[2] = {
            { w->path, strlen(w->path) + 1 },
            { w->token, strlen(w->token) + 1 },
        };
        rc = gk_xenbus_request(GK_XBT_NIL, XS_UNWATCH, iov, 2, NULL, NULL);
    }
    flags = gk_spin_lock_irqsave(&xb_lock);
    w->dead = 1;
    for (pp = &watches; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    /* Drop its queued events, here and in xenwatch's queue. */
    drop = w->q_head;
    w->q_head = w->q_tail = NULL;
    for (struct event **ep = &ev_head; *ep;) {
        ev = *ep;
        if (ev->w == w) {
            *ep = ev->next;
            ev->next = drop;
            drop = ev;
        } else {
            ep = &ev->next;
        }
    }
    ev_tail = NULL;
    for (ev = ev_head; ev; ev = ev->next)
        ev_tail = ev;
    if (w->running)
        w = NULL; /* xenwatch frees it after the callback */
    gk_spin_unlock_irqrestore(&xb_lock, flags);
    while (drop) {
        ev = drop;
        drop = ev->next;
        gk_free(ev->body);
        gk_free(ev);
    }
    if (w)
        free_watch(w);
    return rc;
}

int gk_xenbus_wait_watch(struct gk_xenbus_watch *w, char *path, size_t len,
                         uint64_t deadline)
{
    for (;;) {
        unsigned long flags = gk_spin_lock_irqsave(&xb_lock);
        struct event *ev = w->q_head;

        if (ev) {
            w->q_head = ev->next;
            if (!w->q_head)
                w->q_tail = NULL;
        }
        w->waiter = ev ? NULL : gk_current();
        gk_spin_unlock_irqrestore(&xb_lock, flags);
        if (ev) {
            if (path && len)
                gk_strlcpy(path, ev->body, len);
            gk_free(ev->body);
            gk_free(ev);
            return 0;
        }
        if (deadline && gk_monotonic_ns() >= deadline) {
            flags = gk_spin_lock_irqsave(&xb_lock);
            w->waiter = NULL;
            gk_spin_unlock_irqrestore(&xb_lock, flags);
            return -XEN_ETIMEDOUT;
        }
        if (deadline)
            gk_thread_block_until(deadline);
        else
            gk_thread_block();
    }
}

const char *gk_xenbus_watch_path(const struct gk_xenbus_watch *w)
{
    return w->path;
}
