/* SPDX-License-Identifier: MIT */
/* skelfront.c: the frontend of the "skel" example split driver. */
#include <guestkit/guestkit.h>
#include <pvabi/io/skelif.h>
#include <pvabi/io/xenbus.h>

/*
 * Teaching code, read it next to docs/split-drivers.md ("Writing your own
 * frontend and backend"); pv-skelback (dom0-tools/backends/skelback.c) is
 * the other end, pvabi/io/skelif.h the protocol. Command line:
 *
 *   rounds=N   requests to send and check (default 100)
 *   evil=prod  publish an impossible req_prod instead
 *   evil=len   send one request whose len exceeds its slot instead
 *
 * Exit status 0 when the N round trips were right and the device closed
 * (with evil=: when the backend disconnected us), else 1 after a line
 * "skelfront: ..." that says why.
 */
#define DEV     "device/skel/0" /* relative to /local/domain/<self> */
#define WAIT_NS (10ull * 1000000000ull)

static struct {
    char be[128]; /* the backend's directory */
    domid_t be_id;
    struct gk_xenbus_watch *watch; /* on <be>/state */
    skel_front_ring_t ring;
    grant_ref_t ref;
    evtchn_port_t port;
    struct gk_thread *main;
    int self;       /* our domid */
    unsigned kicks; /* notifications sent */
} sk;

static void set_state(int state)
{
    gk_xenbus_printf(GK_XBT_NIL, DEV "/state", "%d", state);
}

static long backend_state(void)
{
    char path[160];
    long st;

    gk_snprintf(path, sizeof(path), "%s/state", sk.be);
    return gk_xenbus_read_int(GK_XBT_NIL, path, &st) < 0 ? -1 : st;
}

/*
 * Wait (10 s at most) until the backend's state is `want`; stop early if
 * it closes while we wait for an earlier state. Returns the last state.
 */
static long wait_backend(long want)
{
    uint64_t deadline = gk_monotonic_ns() + WAIT_NS;
    long st;

    for (;;) {
        st = backend_state();
        if (st == want ||
            (want < XenbusStateClosing && st >= XenbusStateClosing))
            return st;
        if (gk_xenbus_wait_watch(sk.watch, NULL, 0, deadline) < 0)
            return backend_state();
    }
}

/* The backend's notification: runs in the upcall, may only wake us. */
static void on_event(evtchn_port_t port, void *main_thread)
{
    (void)port;
    gk_thread_wake(main_thread);
}

/* ring-ref, event-channel and Initialised in one transaction. */
static int publish(gk_xbt_t t, void *unused)
{
    int rc = gk_xenbus_printf(t, DEV "/ring-ref", "%u", sk.ref);

    (void)unused;
    if (rc >= 0)
        rc = gk_xenbus_printf(t, DEV "/event-channel", "%u", sk.port);
    if (rc >= 0)
        rc = gk_xenbus_printf(t, DEV "/state", "%d", XenbusStateInitialised);
    return rc;
}

/* Allocate and grant the ring page, allocate the channel, publish both. */
static int setup(void)
{
    skel_sring_t *s = gk_alloc_pages(0);
    int ref, port, rc;

    if (!s) {
        gk_printf("skelfront: out of memory for the ring page\n");
        return -1;
    }
    SHARED_RING_INIT(s); /* indices 0, req_event = rsp_event = 1 */
    FRONT_RING_INIT(&sk.ring, s, XEN_PAGE_SIZE);
    ref = gk_grant_access(sk.be_id, gk_virt_to_pfn(s), 0);
    port = gk_evtchn_alloc_unbound(sk.be_id, on_event, sk.main);
    if (ref < 0 || port < 0) {
        gk_printf("skelfront: grant %d / alloc_unbound %d failed\n", ref, port);
        return -1;
    }
    sk.ref = (grant_ref_t)ref;
    sk.port = (evtchn_port_t)port;
    rc = gk_xenbus_transaction(publish, NULL);
    if (rc < 0) {
        gk_printf("skelfront: writing %s: error %d\n", DEV, rc);
        return -1;
    }
    return 0;
}

/* Request `id`'s text into buf (SKEL_DATA_MAX bytes); returns its length. */
static uint32_t text(char *buf, uint32_t id)
{
    return (uint32_t)gk_snprintf(buf, SKEL_DATA_MAX,
                                 "skel request %u from domain %d", id, sk.self);
}

/* The backend must have answered request `id` with its text uppercased. */
static int check(const struct skel_response *rsp, uint32_t id)
{
    char want[SKEL_DATA_MAX];
    uint32_t len = text(want, id);

    for (uint32_t i = 0; i < len; i++)
        if (want[i] >= 'a' && want[i] <= 'z')
            want[i] = (char)(want[i] - 'a' + 'A');
    if (rsp->id == id && rsp->status == SKEL_RSP_OKAY && rsp->len == len &&
        !memcmp(rsp->data, want, len))
        return 0;
    gk_printf("skelfront: response %u is wrong: id %u, status %d, len %u, "
              "'%.*s'\n",
              id, rsp->id, rsp->status, rsp->len,
              (int)(rsp->len < SKEL_DATA_MAX ? rsp->len : SKEL_DATA_MAX),
              (const char *)rsp->data);
    return -1;
}

/* Send `rounds` requests, as many in flight as the ring holds. */
static int run(uint32_t rounds)
{
    skel_front_ring_t *r = &sk.ring;
    uint32_t sent = 0, done = 0;
    uint64_t deadline = gk_monotonic_ns() + WAIT_NS;
    int notify, more;

    while (done < rounds) {
        RING_IDX prod;

        /* Fill the free slots, publish them at once, and notify only if
         * the backend asked to hear of them (req_event). */
        while (sent < rounds && !RING_FULL(r)) {
            struct skel_request *req = RING_GET_REQUEST(r, r->req_prod_pvt);

            req->id = sent;
            req->len = text((char *)req->data, sent);
            r->req_prod_pvt++;
            sent++;
        }
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r, notify);
        if (notify) {
            gk_evtchn_send(sk.port);
            sk.kicks++;
        }

        /* Take what was answered. The backend is not trusted either. */
        prod = PVABI_RING_LOAD(r->sring->rsp_prod);
        pvabi_ring_rmb(); /* see rsp_prod before the slots it covers */
        if (RING_RESPONSE_PROD_OVERFLOW(r, prod)) {
            gk_printf("skelfront: impossible rsp_prod %u\n", prod);
            return -1;
        }
        if (r->rsp_cons != prod) {
            while (r->rsp_cons != prod) {
                struct skel_response rsp;

                RING_COPY_RESPONSE(r, r->rsp_cons, &rsp);
                r->rsp_cons++;
                /* skel answers in request order: this is request `done` */
                if (check(&rsp, done++) < 0)
                    return -1;
            }
            deadline = gk_monotonic_ns() + WAIT_NS;
            continue; /* refill the slots just freed */
        }
        /* Nothing new: set rsp_event, look once more, then sleep. */
        RING_FINAL_CHECK_FOR_RESPONSES(r, more);
        if (more)
            continue;
        if (gk_monotonic_ns() > deadline) {
            gk_printf("skelfront: no response for 10 s (%u of %u answered, "
                      "backend state %ld)\n",
                      done, rounds, backend_state());
            return -1;
        }
        gk_thread_block_until(deadline);
    }
    return 0;
}

/* Break the protocol on purpose: the backend must disconnect us. */
static int evil(const char *how)
{
    long st;

    if (!strcmp(how, "prod")) {
        /* 1000 requests published in a ring of 64 */
        PVABI_RING_STORE(sk.ring.sring->req_prod, sk.ring.req_prod_pvt + 1000);
    } else if (!strcmp(how, "len")) {
        struct skel_request *req =
            RING_GET_REQUEST(&sk.ring, sk.ring.req_prod_pvt);

        req->id = 0;
        req->len = 4096; /* the slot holds SKEL_DATA_MAX bytes */
        sk.ring.req_prod_pvt++;
        RING_PUSH_REQUESTS(&sk.ring);
    } else {
        gk_printf("skelfront: evil=%s: want evil=prod or evil=len\n", how);
        return -1;
    }
    gk_evtchn_send(sk.port);
    st = wait_backend(XenbusStateClosing);
    if (st != XenbusStateClosing) {
        gk_printf("skelfront: evil=%s: the backend did not disconnect us "
                  "(state %ld)\n",
                  how, st);
        return -1;
    }
    gk_printf("skelfront: evil=%s: the backend disconnected us\n", how);
    return 0;
}

/* Closing, wait for the backend's Closed, end the grant, Closed. */
static int close_device(void)
{
    long st;
    int rc;

    set_state(XenbusStateClosing);
    st = wait_backend(XenbusStateClosed);
    /* Closed means the backend unmapped the page: end the grant now. A
     * grant still mapped fails with -XEN_EBUSY; then the page is never
     * reused. */
    rc = gk_end_access(sk.ref);
    gk_evtchn_close(sk.port);
    set_state(XenbusStateClosed);
    if (st != XenbusStateClosed || rc < 0) {
        gk_printf("skelfront: the backend did not close the device (state "
                  "%ld, end_access %d)\n",
                  st, rc);
        return -1;
    }
    gk_printf("skelfront: closed\n");
    return 0;
}

int main(void)
{
    long rounds = gk_cmdline_int("rounds", 100), id, st;
    char how[16] = "", path[160];
    int rc;

    gk_cmdline_get("evil", how, sizeof(how));
    sk.main = gk_current();
    if (rounds < 0 || rounds > 1000000) {
        gk_printf("skelfront: rounds=%ld: want 0..1000000\n", rounds);
        return 1;
    }
    sk.self = gk_xenbus_domid();
    rc = gk_xenbus_read_str(GK_XBT_NIL, DEV "/backend", sk.be, sizeof(sk.be));
    if (rc >= 0)
        rc = gk_xenbus_read_int(GK_XBT_NIL, DEV "/backend-id", &id);
    if (rc < 0) {
        gk_printf("skelfront: cannot read " DEV "/backend and backend-id "
                  "(error %d): the toolstack did not create the device\n",
                  rc);
        return 1;
    }
    sk.be_id = (domid_t)id;
    gk_snprintf(path, sizeof(path), "%s/state", sk.be);
    rc = gk_xenbus_watch(path, NULL, NULL, &sk.watch);
    if (rc < 0) {
        gk_printf("skelfront: watching %s: error %d\n", path, rc);
        return 1;
    }
    set_state(XenbusStateInitialising);
    st = wait_backend(XenbusStateInitWait);
    if (st != XenbusStateInitWait) {
        gk_printf("skelfront: backend %s is in state %ld, not InitWait (is "
                  "pv-skelback running?)\n",
                  sk.be, st);
        return 1;
    }
    if (setup() < 0)
        return 1;
    st = wait_backend(XenbusStateConnected);
    if (st != XenbusStateConnected) {
        gk_printf("skelfront: the backend did not connect (state %ld)\n", st);
        close_device();
        return 1;
    }
    set_state(XenbusStateConnected);
    gk_printf("skelfront: connected to %s\n", sk.be);
    if (how[0]) {
        rc = evil(how);
    } else {
        rc = run((uint32_t)rounds);
        if (rc == 0)
            gk_printf("skelfront: %ld round trips OK\n"
                      "skelfront: %u notifications sent\n",
                      rounds, sk.kicks);
    }
    if (close_device() < 0 || rc < 0)
        return 1;
    return 0;
}
