/* SPDX-License-Identifier: MIT */
/* vchan-server.c: serves a peer guest through a granted page and a channel. */
#include <guestkit/guestkit.h>

/*
 * The vchan example protocol (vchan-server.c and vchan-client.c):
 *
 * 1. The server learns the client's domid: dom0 writes
 *    /local/domain/<server>/data/vchan/peer = <client domid>; the server
 *    watches its data/vchan directory until the key appears. Without
 *    xenstore, `peer=<domid>` on the command line replaces this.
 * 2. The server grants one page of its RAM to the client (read-write) and
 *    allocates an unbound event channel for it, then writes `ring-ref` and
 *    `event-channel` under its data/vchan directory in one transaction,
 *    each with permissions "owner: server, nobody else, client: read".
 *    It prints "vchan-server: ring-ref R event-channel P for domain C".
 * 3. The client (`server=<domid>`) watches that directory until both keys
 *    are readable (or takes `ref=R port=P` from its command line), binds
 *    the channel with bind_interdomain and runs `rounds=N` (default 100)
 *    round trips. The client never maps the page: it moves data in and out
 *    with GNTTABOP_copy (dest or source = the server's grant).
 *
 * The page holds two slots of struct vchan_msg: the request at offset 0
 * (written by the client) and the reply at offset 2048 (written by the
 * server). A message is {seq, len, flags, data[len]}; seq counts from 1.
 * The client copies a whole request in one GNTTABOP_copy and notifies;
 * the server answers request `seq` with the data uppercased plus " #seq",
 * writing data, len and flags before seq, and notifies; the client copies
 * the reply out and checks seq and text. Events carry no data and may be
 * spurious (bind marks a port pending): both sides compare seq.
 * After N round trips the client sends a request with VCHAN_BYE (no
 * reply: once the server sees it, it ends its grant, retrying while the
 * hypervisor reports a copy of the client in progress) and prints
 * "vchan-client: N round trips OK"; the server prints
 * "vchan-server: served N messages"; both exit 0.
 */
#define VCHAN_REQ_OFF  0
#define VCHAN_RSP_OFF  2048
#define VCHAN_DATA_MAX (2048 - 16)
#define VCHAN_BYE      1

struct vchan_msg {
    uint32_t seq;
    uint32_t len;
    uint32_t flags;
    uint32_t pad;
    char data[VCHAN_DATA_MAX];
};

static char dir[64];

/* Wait for dom0 to name the client in data/vchan/peer. */
static int wait_for_peer(void)
{
    struct gk_xenbus_watch *w;
    char key[96];
    long peer;
    int rc;

    rc = gk_xenbus_watch(dir, NULL, NULL, &w);
    if (rc < 0)
        return rc;
    gk_snprintf(key, sizeof(key), "%s/peer", dir);
    gk_printf("vchan-server: waiting for %s\n", key);
    while ((rc = gk_xenbus_read_int(GK_XBT_NIL, key, &peer)) < 0)
        gk_xenbus_wait_watch(w, NULL, 0, 0);
    gk_xenbus_unwatch(w);
    return (int)peer;
}

struct publish {
    int self, peer, ref, port;
};

static int publish_keys(gk_xbt_t t, void *arg)
{
    struct publish *p = arg;
    struct gk_xs_perm perms[2] = {
        { (domid_t)p->self, 'n' },
        { (domid_t)p->peer, 'r' },
    };
    char key[96];
    int rc;

    gk_snprintf(key, sizeof(key), "%s/ring-ref", dir);
    rc = gk_xenbus_printf(t, key, "%d", p->ref);
    rc = rc ? rc : gk_xenbus_set_perms(t, key, perms, 2);
    gk_snprintf(key, sizeof(key), "%s/event-channel", dir);
    rc = rc ? rc : gk_xenbus_printf(t, key, "%d", p->port);
    return rc ? rc : gk_xenbus_set_perms(t, key, perms, 2);
}

/* The reply text: the request uppercased, then " #seq". */
static uint32_t answer(const struct vchan_msg *req, struct vchan_msg *rsp)
{
    uint32_t len =
        req->len < VCHAN_DATA_MAX - 16 ? req->len : VCHAN_DATA_MAX - 16;

    for (uint32_t i = 0; i < len; i++) {
        char c = req->data[i];

        rsp->data[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    return len + (uint32_t)gk_snprintf(rsp->data + len, 16, " #%u", req->seq);
}

int main(void)
{
    struct publish pub = { .self = -1 };
    volatile struct vchan_msg *req, *rsp;
    uint32_t expected = 1, served = 0;
    char *page;
    int rc;

    pub.peer = (int)gk_cmdline_int("peer", -1);
    if (pub.peer < 0) {
        if (!gk_xenbus_available()) {
            gk_printf("vchan-server: no xenstore and no peer=<domid>\n");
            return 1;
        }
        rc = gk_xenbus_get_self_path(dir, sizeof(dir));
        if (rc < 0) {
            gk_printf("vchan-server: no home path (%d)\n", rc);
            return 1;
        }
        gk_strlcpy(dir + rc, "/data/vchan", sizeof(dir) - (size_t)rc);
        pub.self = gk_xenbus_domid();
        pub.peer = wait_for_peer();
        if (pub.peer < 0)
            return 1;
    }
    page = gk_alloc_page();
    pub.ref = gk_grant_access((domid_t)pub.peer, gk_virt_to_pfn(page), 0);
    if (!page || pub.ref < 0) {
        gk_printf("vchan-server: cannot grant a page (%d)\n", pub.ref);
        return 1;
    }
    /* The client may not exist yet when the id comes from the cmdline. */
    for (int i = 0; i < 1500; i++) {
        pub.port = gk_evtchn_alloc_unbound((domid_t)pub.peer, NULL, NULL);
        if (pub.port != -XEN_ESRCH)
            break;
        gk_msleep(20);
    }
    if (pub.port < 0) {
        gk_printf("vchan-server: alloc_unbound failed (%d)\n", pub.port);
        return 1;
    }
    gk_printf("vchan-server: ring-ref %d event-channel %d for domain %d\n",
              pub.ref, pub.port, pub.peer);
    if (dir[0]) {
        rc = gk_xenbus_transaction(publish_keys, &pub);
        if (rc < 0) {
            gk_printf("vchan-server: cannot publish (%d)\n", rc);
            return 1;
        }
    }

    req = (volatile struct vchan_msg *)(page + VCHAN_REQ_OFF);
    rsp = (volatile struct vchan_msg *)(page + VCHAN_RSP_OFF);
    for (;;) {
        uint32_t flags;

        if (req->seq != expected) {
            gk_wait_event((evtchn_port_t)pub.port);
            continue;
        }
        gk_rmb();
        flags = req->flags;
        if (flags & VCHAN_BYE)
            break;
        rsp->len =
            answer((const struct vchan_msg *)req, (struct vchan_msg *)rsp);
        rsp->flags = 0;
        served++;
        gk_wmb();
        rsp->seq = expected++;
        gk_evtchn_send((evtchn_port_t)pub.port);
    }
    /* Never reuse a page the peer may still be copying. */
    while ((rc = gk_end_access((grant_ref_t)pub.ref)) == -XEN_EBUSY)
        gk_msleep(1);
    gk_evtchn_close((evtchn_port_t)pub.port);
    if (dir[0]) {
        char key[96];

        gk_snprintf(key, sizeof(key), "%s/ring-ref", dir);
        gk_xenbus_rm(GK_XBT_NIL, key);
        gk_snprintf(key, sizeof(key), "%s/event-channel", dir);
        gk_xenbus_rm(GK_XBT_NIL, key);
    }
    gk_free_page(page);
    gk_printf("vchan-server: served %u messages\n", served);
    return 0;
}
