// SPDX-License-Identifier: MIT
/* test_mgmt.c: libpvctrl framing and calls against a fake pvisor. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvctrl.h"
#include "unit.h"

static int sp[2]; /* sp[0]: client end, sp[1]: fake pvisor */

static void open_pair(void)
{
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
}

static void close_pair(void)
{
    if (sp[0] >= 0)
        close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
    sp[0] = sp[1] = -1;
}

/* Writes raw bytes, with fds attached to the first byte if nfds. */
static void send_raw(int fd, const void *buf, size_t len, const int *fds,
                     int nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct iovec iov = { (void *)buf, nfds ? 1 : len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (nfds) {
        struct cmsghdr *c;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    CU_ASSERT_FATAL(sendmsg(fd, &msg, 0) == (ssize_t)iov.iov_len);
    if (nfds && len > 1)
        CU_ASSERT_FATAL(write(fd, (const char *)buf + 1, len - 1) ==
                        (ssize_t)(len - 1));
}

/* Queues a framed Response on the fake pvisor's end. */
static void queue_response(Pvmgmt__Response *r, const int *fds, int nfds)
{
    size_t len = pvmgmt__response__get_packed_size(r);
    uint8_t *buf = malloc(len + 4);

    CU_ASSERT_FATAL(buf != NULL);
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    pvmgmt__response__pack(r, buf + 4);
    send_raw(sp[1], buf, len + 4, fds, nfds);
    free(buf);
}

/* Reads the request the client sent (caller frees). */
static Pvmgmt__Request *take_request(void)
{
    Pvmgmt__Request *req;
    uint8_t *buf;
    size_t len;

    CU_ASSERT_FATAL(pvc_frame_recv(sp[1], &buf, &len, NULL, 0, NULL) == 0);
    req = pvmgmt__request__unpack(NULL, len, buf);
    free(buf);
    CU_ASSERT_FATAL(req != NULL);
    return req;
}

static void test_frame_roundtrip(void)
{
    uint8_t *buf;
    size_t len, nr;
    int fds[2];

    open_pair();
    CU_ASSERT_EQUAL(pvc_frame_send(sp[0], "hello", 5), 0);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[1], &buf, &len, fds, 2, &nr), 0);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_EQUAL(nr, 0);
    CU_ASSERT(memcmp(buf, "hello", 5) == 0);
    free(buf);
    CU_ASSERT_EQUAL(pvc_frame_send(sp[0], "x", 0), -EINVAL);
    CU_ASSERT_EQUAL(pvc_frame_send(sp[0], "x", PVC_FRAME_MAX + 1), -EINVAL);
    close_pair();
}

struct big {
    int fd;
    uint8_t *p;
    size_t len;
    int rc;
};

static void *big_sender(void *arg)
{
    struct big *b = arg;
    b->rc = pvc_frame_send(b->fd, b->p, b->len);
    return NULL;
}

static void test_frame_large(void)
{
    struct big b = { .len = 3u << 20 };
    pthread_t t;
    uint8_t *buf;
    size_t len;

    open_pair();
    b.fd = sp[0];
    b.p = malloc(b.len);
    CU_ASSERT_FATAL(b.p != NULL);
    for (size_t i = 0; i < b.len; i++)
        b.p[i] = (uint8_t)(i * 7);
    CU_ASSERT_FATAL(pthread_create(&t, NULL, big_sender, &b) == 0);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[1], &buf, &len, NULL, 0, NULL), 0);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(b.rc, 0);
    CU_ASSERT_EQUAL(len, b.len);
    CU_ASSERT(buf && memcmp(buf, b.p, b.len) == 0);
    free(buf);
    free(b.p);
    close_pair();
}

static void test_frame_fds(void)
{
    uint8_t frame[] = { 0, 0, 0, 2, 'o', 'k' }, *buf;
    int p[2], fds[4] = { -1, -1, -1, -1 }, two[2];
    size_t len, nr = 9;
    char ch = 0;

    open_pair();
    CU_ASSERT_FATAL(pipe(p) == 0);
    send_raw(sp[1], frame, sizeof(frame), &p[1], 1);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, fds, 4, &nr), 0);
    CU_ASSERT_EQUAL(nr, 1);
    CU_ASSERT_EQUAL(len, 2);
    free(buf);
    CU_ASSERT_EQUAL(write(fds[0], "z", 1), 1);
    CU_ASSERT_EQUAL(read(p[0], &ch, 1), 1);
    CU_ASSERT_EQUAL(ch, 'z');
    close(fds[0]);
    /* More fds than the caller accepts: all closed, frame refused. */
    two[0] = p[0];
    two[1] = p[1];
    send_raw(sp[1], frame, sizeof(frame), two, 2);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, fds, 1, &nr), -EPROTO);
    CU_ASSERT_EQUAL(nr, 0);
    CU_ASSERT_PTR_NULL(buf);
    close(p[0]);
    close(p[1]);
    close_pair();
}

static void test_frame_bad(void)
{
    static const uint8_t zero[] = { 0, 0, 0, 0 };
    static const uint8_t huge[] = { 0x01, 0x00, 0x00, 0x01 };
    static const uint8_t part[] = { 0, 0, 0, 10, 'a', 'b', 'c' };
    uint8_t *buf;
    size_t len;

    open_pair();
    send_raw(sp[1], zero, sizeof(zero), NULL, 0);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, NULL, 0, NULL), -EPROTO);
    send_raw(sp[1], huge, sizeof(huge), NULL, 0);
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, NULL, 0, NULL), -EPROTO);
    close_pair();

    open_pair();
    send_raw(sp[1], part, sizeof(part), NULL, 0);
    close(sp[1]);
    sp[1] = -1;
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, NULL, 0, NULL), -EPROTO);
    close_pair();

    open_pair();
    send_raw(sp[1], part, 2, NULL, 0); /* half a header */
    close(sp[1]);
    sp[1] = -1;
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, NULL, 0, NULL), -EPROTO);
    close_pair();

    open_pair();
    close(sp[1]);
    sp[1] = -1;
    CU_ASSERT_EQUAL(pvc_frame_recv(sp[0], &buf, &len, NULL, 0, NULL),
                    -ECONNRESET);
    close_pair();
}

/* A client handle on sp[0]; the test keeps sp[1] as pvisor. */
static struct pvc_handle *client(void)
{
    struct pvc_handle *h;

    open_pair();
    CU_ASSERT_FATAL(pvc_open_fd(sp[0], &h) == 0);
    sp[0] = -1; /* owned by h now */
    return h;
}

static void hello_response(uint64_t id, uint32_t proto, Pvmgmt__HelloReply *hr,
                           Pvmgmt__Response *r)
{
    *r = (Pvmgmt__Response)PVMGMT__RESPONSE__INIT;
    *hr = (Pvmgmt__HelloReply)PVMGMT__HELLO_REPLY__INIT;
    hr->pvisor_version = "test-1";
    hr->protocol_version = proto;
    r->version = 1;
    r->id = id;
    r->result_case = PVMGMT__RESPONSE__RESULT_HELLO;
    r->hello = hr;
}

static void test_call_hello(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__HelloReply hr;
    Pvmgmt__Response r;
    Pvmgmt__Request *req;
    char ver[16];

    hello_response(1, 1, &hr, &r);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", ver, sizeof(ver)), 0);
    CU_ASSERT_STRING_EQUAL(ver, "test-1");
    req = take_request();
    CU_ASSERT_EQUAL(req->version, 1);
    CU_ASSERT_EQUAL(req->id, 1);
    CU_ASSERT_EQUAL(req->op_case, PVMGMT__REQUEST__OP_HELLO);
    CU_ASSERT_STRING_EQUAL(req->hello->client, "unit");
    pvmgmt__request__free_unpacked(req, NULL);

    /* A stale answer (id 1) is skipped, then id 2 matches. */
    hello_response(1, 1, &hr, &r);
    queue_response(&r, NULL, 0);
    hello_response(2, 2, &hr, &r);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", NULL, 0), -EPROTONOSUPPORT);
    CU_ASSERT(strstr(pvc_last_error(h), "protocol version 2") != NULL);
    pvc_close(h);
    close_pair();
}

static void test_call_id_mismatch(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__HelloReply hr;
    Pvmgmt__Response r;

    hello_response(7, 1, &hr, &r);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", NULL, 0), -EPROTO);
    CU_ASSERT_STRING_EQUAL(pvc_last_error(h),
                           "response id 7 does not match request id 1");
    hello_response(2, 1, &hr, &r);
    r.version = 9;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", NULL, 0), -EPROTO);
    /* Missing result. */
    hello_response(3, 1, &hr, &r);
    r.result_case = PVMGMT__RESPONSE__RESULT__NOT_SET;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", NULL, 0), -EPROTO);
    /* Garbage that is not a Response. */
    send_raw(sp[1], "\0\0\0\2\xff\xff", 6, NULL, 0);
    CU_ASSERT_EQUAL(pvc_hello(h, "unit", NULL, 0), -EPROTO);
    pvc_close(h);
    close_pair();
}

static void test_call_error_status(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__Response r = PVMGMT__RESPONSE__INIT;

    r.version = 1;
    r.id = 1;
    r.status = ESRCH;
    r.error = "no domain 5\x1b[2J";
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_destroy(h, 5), -ESRCH);
    CU_ASSERT_STRING_EQUAL(pvc_last_error(h), "no domain 5?[2J");
    r.id = 2;
    r.status = 0;
    r.error = "";
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_pause(h, 5), 0);
    CU_ASSERT_STRING_EQUAL(pvc_last_error(h), "");
    pvc_close(h);
    close_pair();
}

static void test_call_map_memory(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__Response r = PVMGMT__RESPONSE__INIT;
    Pvmgmt__MapMemoryReply m = PVMGMT__MAP_MEMORY_REPLY__INIT;
    int mfd = memfd_create("unit", MFD_CLOEXEC), fd = -1;
    uint64_t size = 0;

    CU_ASSERT_FATAL(mfd >= 0);
    CU_ASSERT_FATAL(ftruncate(mfd, 1 << 20) == 0);
    r.version = 1;
    r.id = 1;
    r.nr_fds = 1;
    r.result_case = PVMGMT__RESPONSE__RESULT_MAP_MEMORY;
    r.map_memory = &m;
    m.size = 1 << 20;
    queue_response(&r, &mfd, 1);
    CU_ASSERT_EQUAL(pvc_map_memory(h, 3, &fd, &size), 0);
    CU_ASSERT_EQUAL(size, 1 << 20);
    CU_ASSERT(fd >= 0);
    if (fd >= 0)
        close(fd);
    /* Announced size larger than the file. */
    r.id = 2;
    m.size = 2 << 20;
    queue_response(&r, &mfd, 1);
    CU_ASSERT_EQUAL(pvc_map_memory(h, 3, &fd, &size), -EPROTO);
    CU_ASSERT_EQUAL(fd, -1);
    /* fd count differs from nr_fds. */
    r.id = 3;
    r.nr_fds = 2;
    m.size = 1 << 20;
    queue_response(&r, &mfd, 1);
    CU_ASSERT_EQUAL(pvc_map_memory(h, 3, &fd, &size), -EPROTO);
    /* No fd at all. */
    r.id = 4;
    r.nr_fds = 0;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_map_memory(h, 3, &fd, &size), -EPROTO);
    close(mfd);
    pvc_close(h);
    close_pair();
}

static void list_response(uint64_t id, Pvmgmt__Response *r,
                          Pvmgmt__ListReply *l, Pvmgmt__DomainInfo **ptrs,
                          Pvmgmt__DomainInfo *d, size_t n)
{
    *r = (Pvmgmt__Response)PVMGMT__RESPONSE__INIT;
    *l = (Pvmgmt__ListReply)PVMGMT__LIST_REPLY__INIT;
    r->version = 1;
    r->id = id;
    r->result_case = PVMGMT__RESPONSE__RESULT_LIST;
    r->list = l;
    l->n_domain = n;
    l->domain = ptrs;
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &d[i];
}

static void test_call_list_resolve(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__DomainInfo d[2] = { PVMGMT__DOMAIN_INFO__INIT,
                                PVMGMT__DOMAIN_INFO__INIT };
    Pvmgmt__VcpuInfo v = PVMGMT__VCPU_INFO__INIT, *vp = &v;
    Pvmgmt__DomainInfo *ptrs[2];
    Pvmgmt__ListReply l;
    Pvmgmt__Response r;
    struct pvc_domain_info *infos;
    uint32_t domid = 0;
    size_t nr;

    d[0].name = "Domain-0";
    d[1].domid = 4;
    d[1].name = "web\n\x07";
    d[1].state = PVMGMT__DOMAIN_STATE__STATE_BLOCKED;
    d[1].memory_kb = 131072;
    d[1].n_vcpu = 1;
    d[1].vcpu = &vp;
    v.hypercalls = 42;
    list_response(1, &r, &l, ptrs, d, 2);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(pvc_domain_list(h, PVC_DOMID_ALL, &infos, &nr), 0);
    CU_ASSERT_EQUAL(nr, 2);
    CU_ASSERT_STRING_EQUAL(infos[0].name, "Domain-0");
    CU_ASSERT_STRING_EQUAL(infos[1].name, "web\n?");
    CU_ASSERT_EQUAL(infos[1].nr_vcpu, 1);
    CU_ASSERT_EQUAL(infos[1].vcpu[0].hypercalls, 42);
    CU_ASSERT_EQUAL(infos[1].state, PVMGMT__DOMAIN_STATE__STATE_BLOCKED);
    pvc_domain_info_free(infos, nr);

    d[1].name = "web";
    list_response(2, &r, &l, ptrs, d, 2);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_resolve(h, "web", &domid), 0);
    CU_ASSERT_EQUAL(domid, 4);
    list_response(3, &r, &l, ptrs, d, 2);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_resolve(h, "nope", &domid), -ESRCH);
    CU_ASSERT_STRING_EQUAL(pvc_last_error(h), "no domain named 'nope'");
    list_response(4, &r, &l, ptrs, &d[1], 1);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_resolve(h, "4", &domid), 0);
    /* A single-domain query answered with two domains is malformed. */
    list_response(5, &r, &l, ptrs, d, 2);
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_domain_list(h, 4, &infos, &nr), -EPROTO);
    CU_ASSERT_PTR_NULL(infos);
    pvc_close(h);
    close_pair();
}

static void test_call_console(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__Response r = PVMGMT__RESPONSE__INIT;
    Pvmgmt__ConsoleReadReply c = PVMGMT__CONSOLE_READ_REPLY__INIT;
    struct pvc_console_chunk ch;
    Pvmgmt__Request *req;

    r.version = 1;
    r.id = 1;
    r.result_case = PVMGMT__RESPONSE__RESULT_CONSOLE_READ;
    r.console_read = &c;
    c.data.data = (uint8_t *)"hi\n";
    c.data.len = 3;
    c.next_offset = 13;
    c.first_offset = 10;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_console_read(h, 2, 0, 100, 0, &ch), 0);
    CU_ASSERT_EQUAL(ch.len, 3);
    CU_ASSERT_EQUAL(ch.next_offset, 13);
    pvc_console_chunk_free(&ch);
    req = take_request();
    CU_ASSERT_EQUAL(req->op_case, PVMGMT__REQUEST__OP_CONSOLE_READ);
    CU_ASSERT_EQUAL(req->console_read->wait_ms, 100);
    pvmgmt__request__free_unpacked(req, NULL);
    /* next_offset that does not account for the data. */
    r.id = 2;
    c.next_offset = 2;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_console_read(h, 2, 13, 0, 0, &ch), -EPROTO);
    CU_ASSERT_PTR_NULL(ch.data);
    pvc_close(h);
    close_pair();
}

/* pvc_trace_read copies records, bounds names and refuses a flood. */
static void test_call_trace(void)
{
    struct pvc_handle *h = client();
    Pvmgmt__Response r = PVMGMT__RESPONSE__INIT;
    Pvmgmt__TraceReadReply t = PVMGMT__TRACE_READ_REPLY__INIT;
    Pvmgmt__TraceRecord rec = PVMGMT__TRACE_RECORD__INIT;
    Pvmgmt__TraceRecord *recs[1] = { &rec };
    uint64_t args[7] = { 4, 0x1000, 3, 4, 5, 6, 7 };
    char longname[100];
    struct pvc_trace_chunk ch;
    Pvmgmt__Request *req;

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    r.version = 1;
    r.id = 1;
    r.result_case = PVMGMT__RESPONSE__RESULT_TRACE_READ;
    r.trace_read = &t;
    rec.seq = 9;
    rec.nr = 32;
    rec.name = longname;
    rec.args = args;
    rec.n_args = 7; /* more than the five registers: ignored */
    rec.result = -22;
    t.record = recs;
    t.n_record = 1;
    t.next_seq = 10;
    t.lost = 2;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_trace_read(h, 3, 0, 0, &ch), 0);
    CU_ASSERT_EQUAL(ch.nr, 1);
    CU_ASSERT_EQUAL(ch.next_seq, 10);
    CU_ASSERT_EQUAL(ch.lost, 2);
    CU_ASSERT_EQUAL(ch.rec[0].nr, 32);
    CU_ASSERT_EQUAL(ch.rec[0].args[4], 5);
    CU_ASSERT_EQUAL(ch.rec[0].result, -22);
    CU_ASSERT_EQUAL(strlen(ch.rec[0].name), sizeof(ch.rec[0].name) - 1);
    free(ch.rec);
    req = take_request();
    CU_ASSERT_EQUAL(req->op_case, PVMGMT__REQUEST__OP_TRACE_READ);
    CU_ASSERT_EQUAL(req->trace_read->domid, 3);
    pvmgmt__request__free_unpacked(req, NULL);
    /* More records than any TraceRead may carry. */
    Pvmgmt__TraceRecord **many = calloc(1025, sizeof(*many));
    CU_ASSERT_FATAL(many != NULL);
    for (int i = 0; i < 1025; i++)
        many[i] = &rec;
    r.id = 2;
    t.record = many;
    t.n_record = 1025;
    queue_response(&r, NULL, 0);
    CU_ASSERT_EQUAL(pvc_trace_read(h, 3, 10, 0, &ch), -EPROTO);
    CU_ASSERT_PTR_NULL(ch.rec);
    free(many);
    pvc_close(h);
    close_pair();
}

static void test_socket_path(void)
{
    char buf[300], longdir[200];
    struct pvc_handle *h;

    CU_ASSERT_EQUAL(pvc_socket_path("/tmp/x", buf, sizeof(buf)), 0);
    CU_ASSERT_STRING_EQUAL(buf, "/tmp/x/pvisor.sock");
    memset(longdir, 'a', sizeof(longdir) - 1);
    longdir[sizeof(longdir) - 1] = '\0';
    CU_ASSERT_EQUAL(pvc_socket_path(longdir, buf, sizeof(buf)), -ENAMETOOLONG);
    CU_ASSERT_EQUAL(pvc_open("/nonexistent-pvisor-dir", &h), -ENOENT);
    CU_ASSERT_PTR_NULL(h);
}

static int suite_init(void)
{
    sp[0] = sp[1] = -1;
    return 0;
}

static const struct unit_test tests[] = {
    { "frame round trip", test_frame_roundtrip },
    { "frame of 3 MiB", test_frame_large },
    { "fd passing", test_frame_fds },
    { "zero, oversized and truncated frames", test_frame_bad },
    { "hello, stale responses, version", test_call_hello },
    { "id/version mismatch and garbage", test_call_id_mismatch },
    { "error status and text", test_call_error_status },
    { "map memory fd checks", test_call_map_memory },
    { "list and resolve", test_call_list_resolve },
    { "console read", test_call_console },
    { "trace read", test_call_trace },
    { "socket path", test_socket_path },
    { NULL, NULL },
};

const struct unit_suite unit_suite_mgmt = {
    .name = "mgmt",
    .init = suite_init,
    .cleanup = NULL,
    .tests = tests,
};
