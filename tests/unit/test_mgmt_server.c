// SPDX-License-Identifier: MIT
/* test_mgmt_server.c: pvisor's management server: output bounds, fds. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_arch.h"
#include "../../hypervisor/hv_mgmt.h"
#include "../../hypervisor/hv_mgmt_int.h"
#include <pvabi/grant_table.h>
#include "fake_domain.h"
#include "pvctrl.h"
#include "unit.h"

static char dir[64];

static int suite_init(void)
{
    char err[256];

    snprintf(dir, sizeof(dir), "/tmp/pvisor-mgmt.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    hv_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (hv_epoll_fd < 0 || hv_mgmt_init(dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "mgmt server: %s\n", err);
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    hv_mgmt_fini();
    close(hv_epoll_fd);
    hv_epoll_fd = -1;
    rmdir(dir);
    return 0;
}

/* What pvisor's main loop does for the management sockets, until idle. */
static void run_loop(void)
{
    struct epoll_event evs[16];

    for (int round = 0; round < 100; round++) {
        int n = epoll_wait(hv_epoll_fd, evs, 16, 0);

        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            switch (tag & HV_EPOLL_TYPE_MASK) {
            case HV_EPOLL_LISTEN:
                hv_mgmt_accept();
                break;
            case HV_EPOLL_CLIENT:
                hv_mgmt_client_event((unsigned)(tag & 0xffff), evs[i].events);
                break;
            case HV_EPOLL_WAKE:
                hv_mgmt_wake(true);
                break;
            }
        }
    }
}

/* Connects a client; *slot gets its server-side slot. */
static int connect_client(unsigned *slot)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    bool used[MAX_CLIENTS];
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    CU_ASSERT_FATAL(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/pvisor.sock", dir);
    CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        used[i] = hv_mgmt_client(i) != NULL;
    run_loop();
    *slot = MAX_CLIENTS;
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        if (!used[i] && hv_mgmt_client(i))
            *slot = i;
    CU_ASSERT_FATAL(*slot < MAX_CLIENTS);
    return fd;
}

static void send_dmesg(int fd, uint64_t id)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DmesgRequest dm = PVMGMT__DMESG_REQUEST__INIT;
    uint8_t buf[64];
    size_t len;

    req.version = PVMGMT__VERSION__VERSION_CURRENT;
    req.id = id;
    req.op_case = PVMGMT__REQUEST__OP_DMESG;
    req.dmesg = &dm;
    len = pvmgmt__request__pack(&req, buf);
    CU_ASSERT_FATAL(pvc_frame_send(fd, buf, len) == 0);
}

/* Reads one response (blocking); NULL at end of stream. */
static Pvmgmt__Response *recv_response(int fd, int *fds, size_t *nfds)
{
    Pvmgmt__Response *rsp;
    uint8_t *buf;
    size_t len, nr = 0;

    if (pvc_frame_recv(fd, &buf, &len, fds, fds ? 2 : 0, &nr) != 0)
        return NULL;
    rsp = pvmgmt__response__unpack(NULL, len, buf);
    free(buf);
    if (nfds)
        *nfds = nr;
    return rsp;
}

struct reply_rec {
    uint64_t id;
    int status;
    size_t data_len;    /* DMESG data */
    bool refused;       /* the error names the unread replies */
    bool refused_limit; /* the error names the grant map limit */
    char error[200];
};

static bool last_error_ok;

struct reader {
    int fd;
    unsigned n;
    struct reply_rec *recs;
    unsigned got;
    bool done;
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;

    for (; rd->got < rd->n; rd->got++) {
        int fds[2];
        size_t nfds = 0;
        Pvmgmt__Response *r = recv_response(rd->fd, fds, &nfds);
        struct reply_rec *rec = &rd->recs[rd->got];

        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        if (!r)
            break;
        rec->id = r->id;
        rec->status = r->status;
        rec->data_len = r->dmesg ? r->dmesg->data.len : 0;
        rec->refused = r->error && strstr(r->error, "unread");
        rec->refused_limit = r->error && strstr(r->error, "limit of 262144");
        snprintf(rec->error, sizeof(rec->error), "%s",
                 r->error ? r->error : "");
        pvmgmt__response__free_unpacked(r, NULL);
    }
    __atomic_store_n(&rd->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* Reads n replies from fd on a thread while running pvisor's loop here;
 * returns how many arrived (within 30 s). */
static unsigned collect(int fd, unsigned n, struct reply_rec *recs)
{
    struct reader rd = { .fd = fd, .n = n, .recs = recs };
    pthread_t t;
    int waited = 0;

    CU_ASSERT_FATAL(pthread_create(&t, NULL, reader_main, &rd) == 0);
    while (!__atomic_load_n(&rd.done, __ATOMIC_ACQUIRE) && waited < 3000) {
        struct epoll_event ev;
        /* Block until pvisor's side has something to do, then do it. */
        if (epoll_wait(hv_epoll_fd, &ev, 1, 10) == 0)
            waited++;
        run_loop();
    }
    if (!__atomic_load_n(&rd.done, __ATOMIC_ACQUIRE))
        shutdown(fd, SHUT_RD); /* ends the reader */
    pthread_join(t, NULL);
    return rd.got;
}

/* pvisor's log full (256 KiB), so that each DMESG answers 256 KiB. */
static void fill_log(void)
{
    char line[1001];

    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = 0;
    hv_log_set_fd(-1);
    for (int i = 0; i < 300; i++)
        log_err("%s", line);
    hv_log_set_fd(2);
}

/*
 * A client that sends small requests answered with 256 KiB each and never
 * reads: pvisor stops taking its requests once OUTQ_PAUSE is queued,
 * another client is served meanwhile, and everything is answered, in
 * order, once the first one reads.
 */
static void test_never_reads(void)
{
    enum { NREQ = 200 };
    unsigned a, b;
    int fa = connect_client(&a), fb = connect_client(&b);
    static struct reply_rec recs[NREQ];

    fill_log();
    for (uint64_t i = 0; i < NREQ; i++)
        send_dmesg(fa, i);
    run_loop();
    CU_ASSERT_FATAL(hv_mgmt_client(a) != NULL);
    CU_ASSERT(hv_mgmt_client(a)->out_bytes >= OUTQ_PAUSE);
    CU_ASSERT(hv_mgmt_client(a)->out_bytes < OUTQ_PAUSE + (512u << 10));
    if (hv_mgmt_client(a)->out_bytes >= OUTQ_PAUSE + (512u << 10))
        fprintf(stderr, "queued for a client that does not read: %zu\n",
                hv_mgmt_client(a)->out_bytes);

    /* The other client is answered at once. */
    send_dmesg(fb, 77);
    CU_ASSERT_EQUAL_FATAL(collect(fb, 1, recs), 1);
    CU_ASSERT_EQUAL(recs[0].id, 77);
    CU_ASSERT_EQUAL(recs[0].status, 0);

    /* Reading resumes the first: every request answered, in order. */
    CU_ASSERT_EQUAL_FATAL(collect(fa, NREQ, recs), NREQ);
    for (unsigned i = 0; i < NREQ; i++) {
        CU_ASSERT_EQUAL(recs[i].id, i);
        CU_ASSERT_EQUAL(recs[i].status, 0);
        CU_ASSERT(recs[i].data_len > 200000);
    }
    run_loop();
    CU_ASSERT_EQUAL(hv_mgmt_client(a)->out_bytes, 0);
    close(fa);
    close(fb);
    run_loop();
    CU_ASSERT(hv_mgmt_client(a) == NULL);
}

/* Replies past OUTQ_MAX (parked long-polls answering at once) are
 * refused with ENOBUFS and a reason; earlier ones arrive intact. */
static void test_queue_cap(void)
{
    static uint8_t big[1u << 20];
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__DmesgReply dm = PVMGMT__DMESG_REPLY__INIT;
    unsigned a;
    int fa = connect_client(&a);
    struct client *c = hv_mgmt_client(a);
    unsigned sent = 0, refused = 0, got_ok = 0, got_refused = 0;
    struct reply_rec recs[12];

    dm.data.data = big;
    dm.data.len = sizeof(big);
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_DMESG;
    rsp.dmesg = &dm;
    for (unsigned i = 0; i < 12; i++) {
        size_t before = c->out_bytes;
        rsp.id = i;
        hv_mgmt_send_response(c, &rsp, NULL, 0);
        if (c->out_bytes - before > 4096)
            sent++;
        else
            refused++;
        CU_ASSERT(c->out_bytes <= OUTQ_MAX + 4096);
    }
    CU_ASSERT(sent >= 7 && sent < 12);
    CU_ASSERT_EQUAL(sent + refused, 12);
    hv_mgmt_wake(false);
    CU_ASSERT_EQUAL_FATAL(collect(fa, 12, recs), 12);
    for (unsigned i = 0; i < 12; i++) {
        CU_ASSERT_EQUAL(recs[i].id, i);
        if (recs[i].status == 0) {
            got_ok++;
            CU_ASSERT_EQUAL(recs[i].data_len, sizeof(big));
        } else {
            got_refused++;
            CU_ASSERT_EQUAL(recs[i].status, ENOBUFS);
            CU_ASSERT(recs[i].refused);
        }
    }
    CU_ASSERT_EQUAL(got_ok, sent);
    CU_ASSERT_EQUAL(got_refused, refused);
    close(fa);
    run_loop();
}

/*
 * A queued reply carries the descriptor it was queued with, even when
 * that number was closed and reused before the client read (a domain
 * destroyed meanwhile, another one created).
 */
static void test_fd_reuse(void)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__MapMemoryReply mm = PVMGMT__MAP_MEMORY_REPLY__INIT;
    Pvmgmt__Response *r;
    unsigned a;
    int fa = connect_client(&a);
    int first = memfd_create("first", MFD_CLOEXEC), second, got[2];
    char buf[8] = "";
    size_t nfds = 0;

    CU_ASSERT_FATAL(first >= 0);
    CU_ASSERT_FATAL(pwrite(first, "first", 5, 0) == 5);
    mm.size = 4096;
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.id = 5;
    rsp.nr_fds = 1;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_MAP_MEMORY;
    rsp.map_memory = &mm;
    hv_mgmt_send_response(hv_mgmt_client(a), &rsp, &first, 1);
    close(first); /* the domain is destroyed before the client reads */
    second = memfd_create("second", MFD_CLOEXEC);
    CU_ASSERT_FATAL(second >= 0);
    CU_ASSERT_FATAL(pwrite(second, "second", 6, 0) == 6);
    CU_ASSERT_EQUAL(second, first); /* the number was reused */
    hv_mgmt_wake(false);
    r = recv_response(fa, got, &nfds);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_EQUAL(r->id, 5);
    CU_ASSERT_EQUAL_FATAL(nfds, 1);
    CU_ASSERT(pread(got[0], buf, sizeof(buf) - 1, 0) == 5);
    CU_ASSERT_STRING_EQUAL(buf, "first");
    close(got[0]);
    pvmgmt__response__free_unpacked(r, NULL);
    close(second);
    close(fa);
    run_loop();
}

static uint64_t fake_created = 1;

static struct grant_entry_v1 *gent30(struct hv_domain *d, uint32_t ref)
{
    return (struct grant_entry_v1 *)(d->priv + HV_PRIV_GNT * HV_PAGE_SIZE) +
           ref;
}

static char last_error[200];

/* A request on fd naming domid (op), and its reply's status (its error
 * text in last_error). */
static int simple_req(int fd, Pvmgmt__Request__OpCase op, uint32_t domid,
                      uint64_t id)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__BindDomain b = PVMGMT__BIND_DOMAIN__INIT;
    Pvmgmt__MapMemory mm = PVMGMT__MAP_MEMORY__INIT;
    Pvmgmt__DomainRef dr = PVMGMT__DOMAIN_REF__INIT;
    Pvmgmt__EvtchnBind eb = PVMGMT__EVTCHN_BIND__INIT;
    struct reply_rec rec = { 0 };
    uint8_t buf[256];
    size_t len;

    req.version = PVMGMT__VERSION__VERSION_CURRENT;
    req.id = id;
    req.op_case = op;
    b.domid = mm.domid = dr.domid = eb.domid = domid;
    switch (op) {
    case PVMGMT__REQUEST__OP_BIND_DOMAIN:
        req.bind_domain = &b;
        break;
    case PVMGMT__REQUEST__OP_MAP_MEMORY:
        req.map_memory = &mm;
        break;
    case PVMGMT__REQUEST__OP_EVTCHN_BIND:
        req.evtchn_bind = &eb;
        break;
    default:
        req.destroy = &dr; /* every DomainRef request */
        req.list = &dr;
        break;
    }
    len = pvmgmt__request__pack(&req, buf);
    CU_ASSERT_FATAL(pvc_frame_send(fd, buf, len) == 0);
    CU_ASSERT_FATAL(collect(fd, 1, &rec) == 1);
    CU_ASSERT_EQUAL(rec.id, id);
    snprintf(last_error, sizeof(last_error), "%s", rec.error);
    return rec.status;
}

/* GrantMap of refs 0..1023 of domid on fd; the reply's status. */
static int grant_map_1024(int fd, uint32_t domid, uint64_t id)
{
    static uint32_t refs[1024];
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__GrantMap gm = PVMGMT__GRANT_MAP__INIT;
    struct reply_rec rec = { 0 };
    static uint8_t buf[8192];
    size_t len;

    for (uint32_t i = 0; i < 1024; i++)
        refs[i] = i;
    gm.domid = domid;
    gm.n_refs = 1024;
    gm.refs = refs;
    req.version = PVMGMT__VERSION__VERSION_CURRENT;
    req.id = id;
    req.op_case = PVMGMT__REQUEST__OP_GRANT_MAP;
    req.grant_map = &gm;
    len = pvmgmt__request__pack(&req, buf);
    CU_ASSERT_FATAL(pvc_frame_send(fd, buf, len) == 0);
    CU_ASSERT_FATAL(collect(fd, 1, &rec) == 1);
    CU_ASSERT_EQUAL(rec.id, id);
    snprintf(last_error, sizeof(last_error), "%s", rec.error);
    last_error_ok = rec.status != ENOSPC || rec.refused_limit;
    return rec.status;
}

/*
 * One connection may hold at most HV_MGMT_MAPPED_REFS_MAX refs of one
 * domain mapped: the request that would pass it gets ENOSPC naming the
 * limit, and the connection can go on (another domain, or after unmaps).
 */
/* Domain 30: a fake domain with a memfd and refs 0..1023 granted to
 * dom0 (frames in its RAM), in the domain table. */
static struct hv_domain *granting_domain_id(uint32_t domid)
{
    struct hv_domain *d = fake_domain_new(1, 64);
    struct gnttab_setup_table st = { DOMID_SELF, 2, 0,
                                     FAKE_VA(FAKE_SCRATCH_GPA + 0x100) };

    CU_ASSERT_FATAL(d != NULL);
    d->domid = domid;
    d->created_ns = domid * 1000ull + fake_created++;
    d->mem_fd = memfd_create("fake-granting", MFD_CLOEXEC);
    CU_ASSERT_FATAL(d->mem_fd >= 0);
    memcpy(fake_gpa(d, FAKE_SCRATCH_GPA), &st, sizeof(st));
    CU_ASSERT_EQUAL_FATAL(fake_hypercall(d->vcpus[0],
                                         __HYPERVISOR_grant_table_op,
                                         GNTTABOP_setup_table,
                                         FAKE_VA(FAKE_SCRATCH_GPA), 1, 0, 0),
                          0);
    for (uint32_t r = 0; r < 1024; r++) {
        struct grant_entry_v1 *e = gent30(d, r);
        e->frame = 0x20 + (r % 64);
        e->domid = 0;
        e->flags = GTF_permit_access;
    }
    CU_ASSERT_EQUAL_FATAL(hv_domain_insert(d), 0);
    return d;
}

static struct hv_domain *granting_domain(void)
{
    return granting_domain_id(30);
}

static void granting_domain_free(struct hv_domain *d)
{
    hv_domain_remove(d);
    close(d->mem_fd);
    fake_domain_free(d);
}

static void test_grant_map_limit(void)
{
    struct hv_domain *d = granting_domain();
    unsigned a, n = 0;
    int fa, rc = 0;

    fa = connect_client(&a);
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_BIND_DOMAIN, 30, 1), 0);
    while (n <= HV_MGMT_MAPPED_REFS_MAX / 1024 &&
           (rc = grant_map_1024(fa, 30, n)) == 0)
        n++;
    CU_ASSERT_EQUAL(n, HV_MGMT_MAPPED_REFS_MAX / 1024);
    CU_ASSERT_EQUAL(rc, ENOSPC);
    CU_ASSERT(last_error_ok);
    close(fa);
    run_loop(); /* the connection's maps are undone */
    CU_ASSERT_FALSE(gent30(d, 0)->flags & GTF_reading);
    granting_domain_free(d);
}

/* A GrantMap whose reply is refused (the client has 8 MiB unread) leaves
 * nothing mapped: the client was told it failed. */
static void test_grant_map_refused_reply(void)
{
    static uint8_t big[1u << 20];
    static uint32_t refs[4] = { 0, 1, 2, 3 };
    struct hv_domain *d = granting_domain();
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__DmesgReply dm = PVMGMT__DMESG_REPLY__INIT;
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__GrantMap gm = PVMGMT__GRANT_MAP__INIT;
    unsigned a;
    int fa = connect_client(&a);
    struct client *c = hv_mgmt_client(a);

    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_BIND_DOMAIN, 30, 1), 0);
    dm.data.data = big;
    dm.data.len = sizeof(big);
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_DMESG;
    rsp.dmesg = &dm;
    /* Unread replies up to a few bytes under OUTQ_MAX. */
    while (c->out_bytes + sizeof(big) + 64 <= OUTQ_MAX)
        CU_ASSERT_EQUAL_FATAL(hv_mgmt_send_response(c, &rsp, NULL, 0), 0);
    dm.data.len = OUTQ_MAX - c->out_bytes - 32;
    CU_ASSERT_EQUAL_FATAL(hv_mgmt_send_response(c, &rsp, NULL, 0), 0);
    gm.domid = 30;
    gm.n_refs = 4;
    gm.refs = refs;
    req.version = PVMGMT__VERSION__VERSION_CURRENT;
    req.id = 99;
    req.op_case = PVMGMT__REQUEST__OP_GRANT_MAP;
    req.grant_map = &gm;
    hv_mgmt_dispatch(c, &req); /* its reply does not fit */
    CU_ASSERT_PTR_NULL(c->maps);
    CU_ASSERT_FALSE(gent30(d, 0)->flags & GTF_reading);
    close(fa);
    run_loop();
    granting_domain_free(d);
}

/* Sends req (version and id set here) and returns the reply. */
static Pvmgmt__Response *call(int fd, Pvmgmt__Request *req, uint64_t id)
{
    uint8_t buf[256];
    size_t len;

    req->version = PVMGMT__VERSION__VERSION_CURRENT;
    req->id = id;
    len = pvmgmt__request__pack(req, buf);
    CU_ASSERT_FATAL(pvc_frame_send(fd, buf, len) == 0);
    run_loop();
    return recv_response(fd, NULL, NULL);
}

/* The request table: each case reaches its handler; a request with no
 * operation is refused by name. */
static void test_dispatch_table(void)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainRef ref = PVMGMT__DOMAIN_REF__INIT;
    Pvmgmt__Hello hello = PVMGMT__HELLO__INIT;
    Pvmgmt__Response *r;
    unsigned slot;
    int fd = connect_client(&slot);

    r = call(fd, &req, 1); /* no operation */
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->id, 1);
    CU_ASSERT_EQUAL(r->status, ENOSYS);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->error, "not supported"));
    pvmgmt__response__free_unpacked(r, NULL);

    req.op_case = PVMGMT__REQUEST__OP_HELLO;
    req.hello = &hello;
    r = call(fd, &req, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->status, 0);
    CU_ASSERT_EQUAL(r->result_case, PVMGMT__RESPONSE__RESULT_HELLO);
    pvmgmt__response__free_unpacked(r, NULL);

    ref.domid = 4242; /* a simple op on a domain that does not exist */
    req.op_case = PVMGMT__REQUEST__OP_PAUSE;
    req.pause = &ref;
    r = call(fd, &req, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->id, 3);
    CU_ASSERT_EQUAL(r->status, ESRCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->error, "4242"));
    pvmgmt__response__free_unpacked(r, NULL);

    req.op_case = PVMGMT__REQUEST__OP_HOST_INFO;
    req.host_info = &ref;
    r = call(fd, &req, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->result_case, PVMGMT__RESPONSE__RESULT_HOST_INFO);
    pvmgmt__response__free_unpacked(r, NULL);
    close(fd);
    run_loop();
}

/*
 * A connection bound to one domain (a backend worker's) is refused every
 * other domain's memory, grants and event channels and every toolstack
 * request, each with an error naming both domains; a connection that already holds two domains' memory (the
 * toolstack's, pvstored's) cannot bind; a domid reused by a new domain is
 * not the bound one.
 */
static void test_bind_domain(void)
{
    const int MAP = PVMGMT__REQUEST__OP_MAP_MEMORY,
              BIND = PVMGMT__REQUEST__OP_BIND_DOMAIN;
    struct hv_domain *a = granting_domain_id(30), *b = granting_domain_id(31);
    unsigned sa, sb, sc;
    int fa = connect_client(&sa), fb, fc;

    CU_ASSERT_EQUAL(simple_req(fa, BIND, 30, 2), 0);
    CU_ASSERT_EQUAL(grant_map_1024(fa, 30, 3), 0);
    CU_ASSERT_EQUAL(simple_req(fa, MAP, 30, 4), 0);
    /* the other domain, by every route */
    CU_ASSERT_EQUAL(grant_map_1024(fa, 31, 5), EPERM);
    CU_ASSERT_STRING_EQUAL(last_error,
                           "connection bound to d30: grant_map of d31 "
                           "refused");
    CU_ASSERT_EQUAL(simple_req(fa, MAP, 31, 6), EPERM);
    CU_ASSERT_STRING_EQUAL(last_error,
                           "connection bound to d30: map_memory of d31 "
                           "refused");
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_EVTCHN_BIND, 31, 7),
                    EPERM);
    CU_ASSERT_EQUAL(simple_req(fa, BIND, 31, 8), EPERM);
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_LIST, 0xffffffffu, 9),
                    EPERM);
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_DESTROY, 31, 10), EPERM);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error, "not allowed"));
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_DESTROY, 30, 11), EPERM);
    CU_ASSERT_EQUAL(a->state == HV_DOM_DYING, false);
    CU_ASSERT_EQUAL(simple_req(fa, PVMGMT__REQUEST__OP_LIST, 30, 12), 0);
    CU_ASSERT_EQUAL(simple_req(fa, BIND, 30, 13), 0); /* again: no-op */

    /* pvstored's kind of connection: several domains' memory, no bind */
    fb = connect_client(&sb);
    CU_ASSERT_EQUAL(simple_req(fb, MAP, 30, 1), 0);
    CU_ASSERT_EQUAL(simple_req(fb, MAP, 31, 2), 0);
    CU_ASSERT_EQUAL(simple_req(fb, BIND, 30, 3), EPERM);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error, "already received"));
    /* one domain's memory first, then bound to that domain: fine */
    fc = connect_client(&sc);
    CU_ASSERT_EQUAL(simple_req(fc, MAP, 31, 1), 0);
    CU_ASSERT_EQUAL(simple_req(fc, BIND, 30, 2), EPERM);
    CU_ASSERT_EQUAL(simple_req(fc, BIND, 31, 3), 0);
    CU_ASSERT_EQUAL(simple_req(fc, MAP, 31, 4), 0);

    /* d31 destroyed and its domid reused: not the domain fc is bound to */
    granting_domain_free(b);
    b = granting_domain_id(31);
    CU_ASSERT_EQUAL(simple_req(fc, MAP, 31, 5), ESRCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error, "gone"));

    close(fa);
    close(fb);
    close(fc);
    run_loop();
    CU_ASSERT_FALSE(gent30(a, 0)->flags & GTF_reading);
    granting_domain_free(a);
    granting_domain_free(b);
}

static const struct unit_test tests[] = {
    { "a client that never reads", test_never_reads },
    { "replies past the queue limit", test_queue_cap },
    { "queued descriptors survive reuse", test_fd_reuse },
    { "grant refs mapped per connection", test_grant_map_limit },
    { "a refused GrantMap reply maps nothing", test_grant_map_refused_reply },
    { "every request reaches its handler", test_dispatch_table },
    { "a connection bound to one domain", test_bind_domain },
    { NULL, NULL },
};

const struct unit_suite unit_suite_mgmt_server = {
    .name = "mgmt server",
    .init = suite_init,
    .cleanup = suite_cleanup,
    .tests = tests,
};
