/* SPDX-License-Identifier: MIT */
/* vchan-client.c: talks to vchan-server through its grant and a channel. */
#include <guestkit/guestkit.h>

/*
 * The protocol is described at the top of vchan-server.c. Command line:
 * `server=<domid>` (required), `rounds=N` (default 100), and without
 * xenstore `ref=<ring-ref> port=<event-channel>` as the server printed.
 */
#define VCHAN_REQ_OFF  0
#define VCHAN_RSP_OFF  2048
#define VCHAN_DATA_MAX (2048 - 16)
#define VCHAN_HDR      16
#define VCHAN_BYE      1

struct vchan_msg {
    uint32_t seq;
    uint32_t len;
    uint32_t flags;
    uint32_t pad;
    char data[VCHAN_DATA_MAX];
};

/* Read ring-ref and event-channel from the server's directory, waiting. */
static int lookup(long server, long *ref, long *port)
{
    struct gk_xenbus_watch *w;
    char dir[64], key[96];
    int rc;

    gk_snprintf(dir, sizeof(dir), "/local/domain/%ld/data/vchan", server);
    rc = gk_xenbus_watch(dir, NULL, NULL, &w);
    if (rc < 0)
        return rc;
    gk_printf("vchan-client: waiting for %s\n", dir);
    for (;;) {
        gk_snprintf(key, sizeof(key), "%s/ring-ref", dir);
        rc = gk_xenbus_read_int(GK_XBT_NIL, key, ref);
        gk_snprintf(key, sizeof(key), "%s/event-channel", dir);
        if (rc == 0)
            rc = gk_xenbus_read_int(GK_XBT_NIL, key, port);
        if (rc == 0)
            break;
        gk_xenbus_wait_watch(w, NULL, 0, 0);
    }
    gk_xenbus_unwatch(w);
    return 0;
}

/* One request/reply exchange; returns 0 or a negative errno. */
static int exchange(domid_t server, grant_ref_t ref, evtchn_port_t port,
                    struct vchan_msg *req, struct vchan_msg *rsp)
{
    int rc = gk_gnttab_copy_to_ref(server, ref, VCHAN_REQ_OFF, req,
                                   (uint16_t)(VCHAN_HDR + req->len));

    if (rc < 0)
        return rc;
    gk_evtchn_send(port);
    for (;;) {
        gk_wait_event(port);
        rc = gk_gnttab_copy_from_ref(server, ref, VCHAN_RSP_OFF, rsp,
                                     VCHAN_HDR + 256);
        if (rc < 0)
            return rc;
        if (rsp->seq == req->seq)
            return 0;
    }
}

int main(void)
{
    long server = gk_cmdline_int("server", -1);
    long rounds = gk_cmdline_int("rounds", 100);
    long ref = gk_cmdline_int("ref", -1), rport = gk_cmdline_int("port", -1);
    struct vchan_msg *req = gk_malloc(sizeof(*req));
    struct vchan_msg *rsp = gk_malloc(sizeof(*rsp));
    char want[64];
    int port = -1, rc;
    long i;

    if (server <= 0 || rounds < 0) {
        gk_printf("vchan-client: needs server=<domid> [rounds=N]\n");
        return 1;
    }
    if (ref < 0 || rport < 0) {
        if (!gk_xenbus_available()) {
            gk_printf("vchan-client: no xenstore: give ref= and port=\n");
            return 1;
        }
        rc = lookup(server, &ref, &rport);
        if (rc < 0) {
            gk_printf("vchan-client: lookup failed (%d)\n", rc);
            return 1;
        }
    }
    /* The server may not have allocated the port yet (cmdline mode). */
    for (int t = 0; t < 1500; t++) {
        port = gk_evtchn_bind_interdomain((domid_t)server, (evtchn_port_t)rport,
                                          NULL, NULL);
        if (port >= 0)
            break;
        gk_msleep(20);
    }
    if (port < 0) {
        gk_printf("vchan-client: bind_interdomain failed (%d)\n", port);
        return 1;
    }
    gk_printf("vchan-client: connected to domain %ld, ring-ref %ld, "
              "port %d\n",
              server, ref, port);
    for (i = 1; i <= rounds + 1; i++) {
        int bye = i == rounds + 1;

        memset(req, 0, VCHAN_HDR);
        req->seq = (uint32_t)i;
        req->flags = bye ? VCHAN_BYE : 0;
        req->len =
            bye ? 0
                : (uint32_t)gk_snprintf(req->data, 64, "hello vchan %ld", i);
        if (bye) {
            /* One way: the server ends its grant as soon as it sees it. */
            rc = gk_gnttab_copy_to_ref((domid_t)server, (grant_ref_t)ref,
                                       VCHAN_REQ_OFF, req, VCHAN_HDR);
            if (rc == 0)
                gk_evtchn_send((evtchn_port_t)port);
        } else {
            rc = exchange((domid_t)server, (grant_ref_t)ref,
                          (evtchn_port_t)port, req, rsp);
        }
        if (rc < 0) {
            gk_printf("vchan-client: round %ld: grant copy failed (%d)\n", i,
                      rc);
            return 1;
        }
        if (bye)
            break;
        gk_snprintf(want, sizeof(want), "HELLO VCHAN %ld #%ld", i, i);
        if (rsp->len != strlen(want) || memcmp(rsp->data, want, rsp->len)) {
            gk_printf("vchan-client: round %ld: bad reply '%.*s'\n", i,
                      (int)(rsp->len < 64 ? rsp->len : 64), rsp->data);
            return 1;
        }
        if (i == 1)
            gk_printf("vchan-client: first reply '%s'\n", want);
    }
    gk_evtchn_close((evtchn_port_t)port);
    gk_printf("vchan-client: %ld round trips OK\n", rounds);
    return 0;
}
