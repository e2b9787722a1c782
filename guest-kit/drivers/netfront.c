/* SPDX-License-Identifier: MIT */
/* netfront.c: PV network frontend: xenbus handshake, netif tx and rx rings. */
#include <guestkit/guestkit.h>
#include <guestkit/net.h>
#include <guestkit/netfront.h>
#include <guestkit/xenbus.h>
#include <pvabi/io/netif.h>
#include <pvabi/io/xenbus.h>

#define NR_TX              NETIF_TX_RING_SIZE /* 256 slots, one buffer each */
#define NR_RX              NETIF_RX_RING_SIZE
#define TX_BUF             2048u /* two transmit buffers a page */
#define TX_PAGES           (NR_TX * TX_BUF / 4096u)
#define CONNECT_TIMEOUT_NS 10000000000ull
#define CLOSE_TIMEOUT_NS   5000000000ull
#define RX_BATCH           64

enum phase { PH_INIT, PH_WAIT_CONNECT, PH_CONNECTED, PH_CLOSED };

struct gk_netfront {
    struct gk_netfront_info info;
    char node[32]; /* device/vif/<handle> */
    domid_t be_id;
    gk_netfront_rx_fn rx;
    void *rx_arg;
    gk_spinlock_t lock;
    /* rings */
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx_ring;
    struct netif_tx_sring *tx_sring;
    struct netif_rx_sring *rx_sring;
    int tx_ref, rx_ref; /* -1: none */
    evtchn_port_t port;
    int connected;
    /* transmit buffers: id i is page i/2, half i%2 */
    uint8_t *tx_page[TX_PAGES];
    int tx_page_ref[TX_PAGES];
    uint16_t tx_free[NR_TX];
    unsigned int nr_tx_free;
    uint8_t tx_busy[NR_TX];
    struct gk_thread *tx_waiter;
    /* receive buffers, one page per id */
    uint8_t *rx_page[NR_RX];
    int rx_page_ref[NR_RX];
    /* xenbus */
    struct gk_xenbus_watch *watch;
    struct gk_thread *state_thread;
    int state_event;
    enum phase phase;
    int user_closing;
    int thread_done;
    struct gk_thread *opener;
    struct gk_netfront_stats st;
    struct gk_resume_hook resume;
    int resumed; /* reconnecting after a resume: announce once connected */
};

/* Takes back the transmit slots the backend answered (lock held). */
static void tx_reclaim(struct gk_netfront *nf)
{
    RING_IDX rp, i;

    if (!nf->tx_sring)
        return;
    rp = PVABI_RING_LOAD(nf->tx_sring->rsp_prod);
    pvabi_ring_rmb();
    if (RING_RESPONSE_PROD_OVERFLOW(&nf->tx, rp))
        return; /* bogus backend: ignore it */
    for (i = nf->tx.rsp_cons; i != rp; i++) {
        struct netif_tx_response r;

        RING_COPY_RESPONSE(&nf->tx, i, &r);
        if (r.status == NETIF_RSP_NULL || r.id >= NR_TX || !nf->tx_busy[r.id])
            continue;
        if (r.status != NETIF_RSP_OKAY)
            nf->st.tx_errors++;
        nf->tx_busy[r.id] = 0;
        nf->tx_free[nf->nr_tx_free++] = r.id;
    }
    nf->tx.rsp_cons = rp;
}

static void rx_post(struct gk_netfront *nf, uint16_t id)
{
    struct netif_rx_request *req =
        RING_GET_REQUEST(&nf->rx_ring, nf->rx_ring.req_prod_pvt);

    req->id = id;
    req->pad = 0;
    req->gref = (grant_ref_t)nf->rx_page_ref[id];
    nf->rx_ring.req_prod_pvt++;
}

static void rx_push(struct gk_netfront *nf)
{
    int notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx_ring, notify);
    if (notify) {
        nf->st.rx_notifies++;
        HYPERVISOR_pvisor_notify(nf->port);
    }
}

static void net_event(evtchn_port_t port, void *data)
{
    struct gk_netfront *nf = data;
    uint16_t ids[RX_BATCH], lens[RX_BATCH], offs[RX_BATCH];
    unsigned long flags;
    int more = 1;

    (void)port;
    flags = gk_spin_lock_irqsave(&nf->lock);
    nf->st.events++;
    while (nf->connected && more) {
        RING_IDX rp = PVABI_RING_LOAD(nf->rx_sring->rsp_prod), i;
        unsigned int n = 0;
        int chain = 0;

        pvabi_ring_rmb();
        tx_reclaim(nf);
        if (RING_RESPONSE_PROD_OVERFLOW(&nf->rx_ring, rp)) {
            gk_printf("netfront: %s: backend published a bogus rx "
                      "rsp_prod\n",
                      nf->node);
            break;
        }
        for (i = nf->rx_ring.rsp_cons; i != rp && n < RX_BATCH; i++) {
            struct netif_rx_response r;

            RING_COPY_RESPONSE(&nf->rx_ring, i, &r);
            if (r.id >= NR_RX)
                continue; /* not ours: the slot is lost */
            ids[n] = r.id;
            lens[n] = 0;
            offs[n] = r.offset;
            /* we never offered feature-sg: a chained frame is dropped */
            if (r.status > 0 && !chain && !(r.flags & NETRXF_more_data) &&
                (uint32_t)r.offset + (uint32_t)r.status <= 4096u)
                lens[n] = (uint16_t)r.status;
            else
                nf->st.rx_errors++;
            chain = (r.flags & NETRXF_more_data) != 0;
            n++;
        }
        nf->rx_ring.rsp_cons = i;
        /* deliver unlocked: the stack may send (taking our lock) */
        gk_spin_unlock_irqrestore(&nf->lock, flags);
        for (unsigned int k = 0; k < n; k++) {
            if (!lens[k])
                continue;
            nf->st.rx_frames++;
            nf->st.rx_bytes += lens[k];
            nf->rx(nf->rx_arg, nf->rx_page[ids[k]] + offs[k], lens[k]);
        }
        flags = gk_spin_lock_irqsave(&nf->lock);
        if (!nf->connected)
            break;
        for (unsigned int k = 0; k < n; k++)
            rx_post(nf, ids[k]);
        rx_push(nf);
        if (i != rp)
            continue;
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx_ring, more);
    }
    if (nf->tx_waiter && nf->nr_tx_free) {
        gk_thread_wake(nf->tx_waiter);
        nf->tx_waiter = NULL;
    }
    gk_spin_unlock_irqrestore(&nf->lock, flags);
}

void gk_netfront_poll(struct gk_netfront *nf)
{
    net_event(nf->port, nf);
}

int gk_netfront_send(struct gk_netfront *nf, const void *frame, size_t len)
{
    struct netif_tx_request *req;
    unsigned long flags;
    uint16_t id;
    int notify;

    if (len < 14 || len > GK_NETFRONT_FRAME_MAX)
        return -XEN_EINVAL;
    flags = gk_spin_lock_irqsave(&nf->lock);
    if (!nf->connected) {
        gk_spin_unlock_irqrestore(&nf->lock, flags);
        return -XEN_ENOTCONN;
    }
    if (!nf->nr_tx_free)
        tx_reclaim(nf);
    if (!nf->nr_tx_free) {
        /* ask for a notification when the backend answers */
        nf->tx_sring->rsp_event = nf->tx.rsp_cons + 1;
        pvabi_ring_mb();
        tx_reclaim(nf);
        if (!nf->nr_tx_free) {
            nf->st.tx_busy++;
            gk_spin_unlock_irqrestore(&nf->lock, flags);
            return -XEN_EAGAIN;
        }
    }
    id = nf->tx_free[--nf->nr_tx_free];
    nf->tx_busy[id] = 1;
    memcpy(nf->tx_page[id / 2] + (id % 2) * TX_BUF, frame, len);
    req = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);
    req->gref = (grant_ref_t)nf->tx_page_ref[id / 2];
    req->offset = (uint16_t)((id % 2) * TX_BUF);
    req->flags = 0;
    req->id = id;
    req->size = (uint16_t)len;
    nf->tx.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
    nf->st.tx_frames++;
    nf->st.tx_bytes += len;
    if (notify) {
        nf->st.tx_notifies++;
        HYPERVISOR_pvisor_notify(nf->port);
    }
    gk_spin_unlock_irqrestore(&nf->lock, flags);
    return 0;
}

int gk_netfront_wait_tx(struct gk_netfront *nf)
{
    unsigned long flags = gk_spin_lock_irqsave(&nf->lock);

    for (;;) {
        if (!nf->connected) {
            gk_spin_unlock_irqrestore(&nf->lock, flags);
            return -XEN_ENOTCONN;
        }
        tx_reclaim(nf);
        if (nf->nr_tx_free)
            break;
        nf->tx_sring->rsp_event = nf->tx.rsp_cons + 1;
        pvabi_ring_mb();
        tx_reclaim(nf);
        if (nf->nr_tx_free)
            break;
        nf->tx_waiter = gk_current();
        gk_spin_unlock_irqrestore(&nf->lock, flags);
        gk_thread_block_until(gk_monotonic_ns() + 10000000ull);
        flags = gk_spin_lock_irqsave(&nf->lock);
    }
    gk_spin_unlock_irqrestore(&nf->lock, flags);
    return 0;
}

const struct gk_netfront_info *gk_netfront_info(const struct gk_netfront *nf)
{
    return &nf->info;
}

void gk_netfront_stats(const struct gk_netfront *nf,
                       struct gk_netfront_stats *st)
{
    *st = nf->st;
}

/* ---- xenbus ---- */

static void state_changed(struct gk_xenbus_watch *w, const char *path,
                          void *data);

/* Resumed as a new domain: follow the new backend directory (see
 * blkfront's blk_resume); its InitWait makes new rings. */
static void nf_resume(void *arg)
{
    struct gk_netfront *nf = arg;
    struct gk_xenbus_watch *w;
    char path[128], be[sizeof(nf->info.backend)];

    gk_snprintf(path, sizeof(path), "%s/backend", nf->node);
    if (gk_xenbus_read_str(GK_XBT_NIL, path, be, sizeof(be)) < 0) {
        gk_printf("netfront: %s: no backend after resume\n", nf->node);
        return;
    }
    if (strcmp(be, nf->info.backend) != 0) {
        gk_snprintf(path, sizeof(path), "%s/state", be);
        if (gk_xenbus_watch(path, state_changed, nf, &w) < 0) {
            gk_printf("netfront: %s: cannot watch %s\n", nf->node, path);
            return;
        }
        gk_xenbus_unwatch(nf->watch);
        nf->watch = w;
        gk_strlcpy(nf->info.backend, be, sizeof(nf->info.backend));
    }
    nf->resumed = 1;
    gk_printf("netfront: %s: resumed, backend %s\n", nf->node,
              nf->info.backend);
    __atomic_store_n(&nf->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(nf->state_thread);
}

static long be_long(struct gk_netfront *nf, const char *key, long dflt)
{
    char path[128];
    long v;

    gk_snprintf(path, sizeof(path), "%s/%s", nf->info.backend, key);
    return gk_xenbus_read_int(GK_XBT_NIL, path, &v) == 0 ? v : dflt;
}

static int set_state(struct gk_netfront *nf, int state)
{
    char path[64];

    gk_snprintf(path, sizeof(path), "%s/state", nf->node);
    return gk_xenbus_printf(GK_XBT_NIL, path, "%d", state);
}

static int write_keys(gk_xbt_t t, void *arg)
{
    struct gk_netfront *nf = arg;
    char path[64];
    int rc;

#define PUT(key, ...)                                         \
    do {                                                      \
        gk_snprintf(path, sizeof(path), "%s/" key, nf->node); \
        rc = gk_xenbus_printf(t, path, __VA_ARGS__);          \
        if (rc < 0)                                           \
            return rc;                                        \
    } while (0)
    PUT("tx-ring-ref", "%d", nf->tx_ref);
    PUT("rx-ring-ref", "%d", nf->rx_ref);
    PUT("event-channel", "%u", nf->port);
    PUT("request-rx-copy", "%d", 1);
    PUT("feature-rx-notify", "%d", 1);
    PUT("feature-sg", "%d", 0);
    PUT("feature-gso-tcpv4", "%d", 0);
    PUT("feature-no-csum-offload", "%d", 1);
    PUT("state", "%d", XenbusStateInitialised);
#undef PUT
    return 0;
}

static void end_ref(int *ref, void *page)
{
    int rc;

    if (*ref < 0)
        return;
    rc = gk_end_access((grant_ref_t)*ref);
    for (int i = 0; rc == -XEN_EBUSY && i < 50; i++) {
        gk_msleep(10);
        rc = gk_end_access((grant_ref_t)*ref);
    }
    if (rc == 0 && page)
        gk_free_page(page); /* else leak it: still mapped */
    *ref = -1;
}

static void drop_rings(struct gk_netfront *nf)
{
    unsigned long flags = gk_spin_lock_irqsave(&nf->lock);

    nf->connected = 0;
    gk_spin_unlock_irqrestore(&nf->lock, flags);
    if (nf->port) {
        gk_evtchn_close(nf->port);
        nf->port = 0;
    }
    end_ref(&nf->tx_ref, nf->tx_sring);
    end_ref(&nf->rx_ref, nf->rx_sring);
    nf->tx_sring = NULL;
    nf->rx_sring = NULL;
}

/* Fresh rings and channel; every buffer free / posted again. */
static int make_rings(struct gk_netfront *nf)
{
    struct netif_tx_sring *txs = gk_alloc_page();
    struct netif_rx_sring *rxs = gk_alloc_page();
    unsigned long flags;
    int port, rc = -XEN_ENOMEM;

    if (!txs || !rxs)
        goto fail;
    nf->tx_ref = gk_grant_access(nf->be_id, gk_virt_to_pfn(txs), 0);
    nf->rx_ref = gk_grant_access(nf->be_id, gk_virt_to_pfn(rxs), 0);
    if (nf->tx_ref < 0 || nf->rx_ref < 0) {
        rc = nf->tx_ref < 0 ? nf->tx_ref : nf->rx_ref;
        goto fail;
    }
    port = gk_evtchn_alloc_unbound(nf->be_id, net_event, nf);
    if (port < 0) {
        rc = port;
        goto fail;
    }
    flags = gk_spin_lock_irqsave(&nf->lock);
    SHARED_RING_INIT(txs);
    FRONT_RING_INIT(&nf->tx, txs, XEN_PAGE_SIZE);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&nf->rx_ring, rxs, XEN_PAGE_SIZE);
    nf->tx_sring = txs;
    nf->rx_sring = rxs;
    nf->port = (evtchn_port_t)port;
    nf->nr_tx_free = 0;
    for (unsigned int i = 0; i < NR_TX; i++) {
        nf->tx_busy[i] = 0;
        nf->tx_free[nf->nr_tx_free++] = (uint16_t)(NR_TX - 1 - i);
    }
    for (unsigned int i = 0; i < NR_RX; i++)
        rx_post(nf, (uint16_t)i);
    /* published now; the backend reads them once connected */
    RING_PUSH_REQUESTS(&nf->rx_ring);
    gk_spin_unlock_irqrestore(&nf->lock, flags);
    return 0;
fail:
    if (nf->tx_ref >= 0)
        gk_end_access((grant_ref_t)nf->tx_ref);
    if (nf->rx_ref >= 0)
        gk_end_access((grant_ref_t)nf->rx_ref);
    nf->tx_ref = nf->rx_ref = -1;
    if (txs)
        gk_free_page(txs);
    if (rxs)
        gk_free_page(rxs);
    return rc;
}

static void state_changed(struct gk_xenbus_watch *w, const char *path,
                          void *data)
{
    struct gk_netfront *nf = data;

    (void)w;
    (void)path;
    __atomic_store_n(&nf->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(nf->state_thread);
}

static void handshake(struct gk_netfront *nf)
{
    int rc;

    if (be_long(nf, "feature-rx-copy", 0) != 1) {
        gk_printf("netfront: %s: backend does not offer feature-rx-copy\n",
                  nf->node);
        nf->phase = PH_CLOSED;
        return;
    }
    rc = make_rings(nf);
    if (!rc)
        rc = gk_xenbus_transaction(write_keys, nf);
    if (rc) {
        gk_printf("netfront: %s: handshake failed (%d)\n", nf->node, rc);
        drop_rings(nf);
        nf->phase = PH_CLOSED;
        return;
    }
    nf->phase = PH_WAIT_CONNECT;
}

static void state_thread(void *arg)
{
    struct gk_netfront *nf = arg;

    for (;;) {
        long st;

        /* Clear before reading: an event that lands after the read then
         * leaves the flag set and we look again (cleared after the read,
         * it would be lost and we would sleep on a stale state). */
        __atomic_store_n(&nf->state_event, 0, __ATOMIC_SEQ_CST);
        st = be_long(nf, "state", XenbusStateClosed);
        if (nf->user_closing && nf->phase != PH_CLOSED &&
            (st == XenbusStateClosing || st == XenbusStateClosed)) {
            drop_rings(nf);
            set_state(nf, XenbusStateClosed);
            nf->phase = PH_CLOSED;
        }
        switch (nf->phase == PH_CLOSED ? -1 : st) {
        case XenbusStateInitWait:
            if (nf->phase == PH_CONNECTED) {
                /* the backend restarted: new rings (frames in flight are
                 * lost, as on a real link) */
                drop_rings(nf);
                gk_printf("netfront: %s: backend restarted, reconnecting\n",
                          nf->node);
                nf->phase = PH_INIT;
            }
            if (nf->phase == PH_INIT)
                handshake(nf);
            break;
        case XenbusStateConnected:
            if (nf->phase == PH_WAIT_CONNECT) {
                unsigned long flags;
                set_state(nf, XenbusStateConnected);
                flags = gk_spin_lock_irqsave(&nf->lock);
                nf->connected = 1;
                gk_spin_unlock_irqrestore(&nf->lock, flags);
                nf->phase = PH_CONNECTED;
                /* anything the backend answered before we looked */
                net_event(nf->port, nf);
                if (nf->resumed) {
                    nf->resumed = 0;
                    gk_printf("netfront: %s: reconnected after resume; "
                              "gratuitous ARP %s\n",
                              nf->node,
                              gk_net_announce() == 0 ? "sent" : "not sent");
                }
            }
            break;
        case XenbusStateClosing:
        case XenbusStateClosed:
            if (nf->phase == PH_CONNECTED || nf->phase == PH_WAIT_CONNECT) {
                drop_rings(nf);
                set_state(nf, XenbusStateClosing);
                set_state(nf, XenbusStateClosed);
                nf->phase = PH_CLOSED;
            } else if (nf->phase == PH_INIT && st == XenbusStateClosed) {
                nf->phase = PH_CLOSED;
            }
            break;
        default:
            break;
        }
        if (nf->opener)
            gk_thread_wake(nf->opener);
        if (nf->phase == PH_CLOSED)
            break;
        while (!__atomic_load_n(&nf->state_event, __ATOMIC_ACQUIRE))
            gk_thread_block();
    }
    __atomic_store_n(&nf->thread_done, 1, __ATOMIC_RELEASE);
    if (nf->tx_waiter)
        gk_thread_wake(nf->tx_waiter);
    if (nf->opener)
        gk_thread_wake(nf->opener);
    gk_thread_exit();
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = *s++;
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= c - '0';
            else if (c >= 'a' && c <= 'f')
                v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                v |= c - 'A' + 10;
            else
                return -XEN_EINVAL;
        }
        mac[i] = (uint8_t)v;
        if (i < 5 && *s++ != ':')
            return -XEN_EINVAL;
    }
    return *s ? -XEN_EINVAL : 0;
}

static void free_dev(struct gk_netfront *nf)
{
    for (unsigned int i = 0; i < TX_PAGES; i++)
        if (nf->tx_page[i]) {
            if (nf->tx_page_ref[i] >= 0)
                end_ref(&nf->tx_page_ref[i], nf->tx_page[i]);
            else
                gk_free_page(nf->tx_page[i]);
        }
    for (unsigned int i = 0; i < NR_RX; i++)
        if (nf->rx_page[i]) {
            if (nf->rx_page_ref[i] >= 0)
                end_ref(&nf->rx_page_ref[i], nf->rx_page[i]);
            else
                gk_free_page(nf->rx_page[i]);
        }
    gk_free(nf);
}

static int alloc_buffers(struct gk_netfront *nf)
{
    for (unsigned int i = 0; i < TX_PAGES; i++) {
        nf->tx_page_ref[i] = -1;
        nf->tx_page[i] = gk_alloc_page();
        if (!nf->tx_page[i])
            return -XEN_ENOMEM;
        nf->tx_page_ref[i] =
            gk_grant_access(nf->be_id, gk_virt_to_pfn(nf->tx_page[i]), 1);
        if (nf->tx_page_ref[i] < 0)
            return nf->tx_page_ref[i];
    }
    for (unsigned int i = 0; i < NR_RX; i++) {
        nf->rx_page_ref[i] = -1;
        nf->rx_page[i] = gk_alloc_page();
        if (!nf->rx_page[i])
            return -XEN_ENOMEM;
        nf->rx_page_ref[i] =
            gk_grant_access(nf->be_id, gk_virt_to_pfn(nf->rx_page[i]), 0);
        if (nf->rx_page_ref[i] < 0)
            return nf->rx_page_ref[i];
    }
    return 0;
}

int gk_netfront_open(const char *name, gk_netfront_rx_fn rx, void *arg,
                     struct gk_netfront **out)
{
    struct gk_netfront *nf;
    char path[64], mac[32];
    uint64_t deadline;
    long v;
    int rc;

    if (!strncmp(name, "device/vif/", 11))
        name += 11;
    if (name[0] < '0' || name[0] > '9' || !rx)
        return -XEN_EINVAL;
    nf = gk_calloc(1, sizeof(*nf));
    if (!nf)
        return -XEN_ENOMEM;
    gk_spin_init(&nf->lock);
    nf->rx = rx;
    nf->rx_arg = arg;
    nf->tx_ref = nf->rx_ref = -1;
    nf->info.handle = (uint32_t)gk_strtol(name, NULL, 10);
    gk_snprintf(nf->node, sizeof(nf->node), "device/vif/%u", nf->info.handle);
    gk_snprintf(path, sizeof(path), "%s/backend", nf->node);
    rc = gk_xenbus_read_str(GK_XBT_NIL, path, nf->info.backend,
                            sizeof(nf->info.backend));
    if (rc < 0)
        goto fail_free;
    gk_snprintf(path, sizeof(path), "%s/backend-id", nf->node);
    rc = gk_xenbus_read_int(GK_XBT_NIL, path, &v);
    if (rc < 0)
        goto fail_free;
    nf->be_id = (domid_t)v;
    gk_snprintf(path, sizeof(path), "%s/mac", nf->node);
    rc = gk_xenbus_read_str(GK_XBT_NIL, path, mac, sizeof(mac));
    if (rc < 0 || parse_mac(mac, nf->info.mac) || (nf->info.mac[0] & 1)) {
        gk_printf("netfront: %s: no valid mac\n", nf->node);
        rc = -XEN_EINVAL;
        goto fail_free;
    }
    gk_snprintf(path, sizeof(path), "%s/ip", nf->info.backend);
    if (gk_xenbus_read_str(GK_XBT_NIL, path, nf->info.ip, sizeof(nf->info.ip)) <
        0)
        nf->info.ip[0] = '\0';
    rc = alloc_buffers(nf);
    if (rc)
        goto fail_free;
    /* Initialising makes a backend still holding our previous rings drop
     * them and offer again. */
    set_state(nf, XenbusStateInitialising);
    nf->opener = gk_current();
    nf->state_thread = gk_thread_create("netfront", state_thread, nf);
    if (!nf->state_thread) {
        rc = -XEN_ENOMEM;
        goto fail_free;
    }
    gk_snprintf(path, sizeof(path), "%s/state", nf->info.backend);
    rc = gk_xenbus_watch(path, state_changed, nf, &nf->watch);
    if (rc < 0) {
        nf->user_closing = 1;
        goto fail_thread;
    }
    deadline = gk_monotonic_ns() + CONNECT_TIMEOUT_NS;
    while (nf->phase != PH_CONNECTED && nf->phase != PH_CLOSED &&
           gk_monotonic_ns() < deadline)
        gk_thread_block_until(deadline);
    if (nf->phase != PH_CONNECTED) {
        rc = nf->phase == PH_CLOSED ? -XEN_ENODEV : -XEN_ETIMEDOUT;
        nf->user_closing = 1;
        set_state(nf, XenbusStateClosed);
        gk_xenbus_unwatch(nf->watch);
        nf->watch = NULL;
        goto fail_thread;
    }
    nf->opener = NULL;
    nf->resume = (struct gk_resume_hook){ nf_resume, nf };
    if (gk_xenbus_resume_hook_add(&nf->resume) < 0)
        gk_printf("netfront: %s: too many devices to follow a resume\n",
                  nf->node);
    *out = nf;
    return 0;
fail_thread:
    nf->phase = PH_CLOSED;
    __atomic_store_n(&nf->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(nf->state_thread);
    while (!__atomic_load_n(&nf->thread_done, __ATOMIC_ACQUIRE))
        gk_thread_block();
    drop_rings(nf);
fail_free:
    free_dev(nf);
    return rc;
}

void gk_netfront_close(struct gk_netfront *nf)
{
    uint64_t deadline = gk_monotonic_ns() + CLOSE_TIMEOUT_NS;

    if (!nf)
        return;
    gk_xenbus_resume_hook_del(&nf->resume);
    nf->opener = gk_current();
    nf->user_closing = 1;
    set_state(nf, XenbusStateClosing);
    while (!__atomic_load_n(&nf->thread_done, __ATOMIC_ACQUIRE) &&
           gk_monotonic_ns() < deadline)
        gk_thread_block_until(deadline);
    if (!nf->thread_done) {
        nf->phase = PH_CLOSED;
        __atomic_store_n(&nf->state_event, 1, __ATOMIC_RELEASE);
        gk_thread_wake(nf->state_thread);
        while (!__atomic_load_n(&nf->thread_done, __ATOMIC_ACQUIRE))
            gk_thread_block();
        drop_rings(nf);
        set_state(nf, XenbusStateClosed);
    }
    gk_xenbus_unwatch(nf->watch);
    free_dev(nf);
}
