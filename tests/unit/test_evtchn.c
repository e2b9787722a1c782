// SPDX-License-Identifier: MIT
/* test_evtchn.c: event channels in a domain and between domains. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <pvabi/errno.h>
#include <pvabi/event_channel.h>
#include <pvabi/xen.h>

#include "../../hypervisor/hv_arch.h"
#include "fake_domain.h"
#include "unit.h"

#define MAX_PORTS 64
#define G         FAKE_SCRATCH_GPA

static struct hv_domain *dom;
static struct shared_info *sh;

static void setup(void)
{
    dom = fake_domain_new(2, MAX_PORTS);
    CU_ASSERT_FATAL(dom != NULL);
    sh = fake_shared(dom);
}

static void teardown(void)
{
    fake_domain_free(dom);
    dom = NULL;
    sh = NULL;
}

static bool pending(uint32_t port)
{
    return (sh->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void mask(uint32_t port)
{
    sh->evtchn_mask[port / 64] |= 1ULL << (port % 64);
}

/* What a guest does before scanning: clear its view of pending events. */
static void guest_ack(void)
{
    memset(sh->evtchn_pending, 0, sizeof(sh->evtchn_pending));
    for (unsigned i = 0; i < 2; i++) {
        sh->vcpu_info[i].evtchn_upcall_pending = 0;
        sh->vcpu_info[i].evtchn_pending_sel = 0;
    }
}

static long alloc_unbound(uint32_t *port)
{
    struct evtchn_alloc_unbound a = { DOMID_SELF, DOMID_SELF, 0 };
    long rc = hv_evtchn_op(dom, EVTCHNOP_alloc_unbound, &a);

    *port = a.port;
    return rc;
}

static long bind_interdomain(uint32_t remote, uint32_t *port)
{
    struct evtchn_bind_interdomain a = { DOMID_SELF, remote, 0 };
    long rc = hv_evtchn_op(dom, EVTCHNOP_bind_interdomain, &a);

    *port = a.local_port;
    return rc;
}

static long bind_virq(uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_virq a = { virq, vcpu, 0 };
    long rc = hv_evtchn_op(dom, EVTCHNOP_bind_virq, &a);

    *port = a.port;
    return rc;
}

static long bind_ipi(uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_ipi a = { vcpu, 0 };
    long rc = hv_evtchn_op(dom, EVTCHNOP_bind_ipi, &a);

    *port = a.port;
    return rc;
}

static long port_op(unsigned cmd, uint32_t port)
{
    struct evtchn_send s = { port }; /* close/send/unmask share a layout */

    return hv_evtchn_op(dom, cmd, &s);
}

static long status(uint32_t port, struct evtchn_status *st)
{
    memset(st, 0xff, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    return hv_evtchn_op(dom, EVTCHNOP_status, st);
}

/* A connected loopback pair a <-> b, with the bind's event acked. */
static void make_pair(uint32_t *a, uint32_t *b)
{
    CU_ASSERT_EQUAL_FATAL(alloc_unbound(a), 0);
    CU_ASSERT_EQUAL_FATAL(bind_interdomain(*a, b), 0);
    guest_ack();
}

static void test_loopback_send(void)
{
    uint32_t a, b;

    setup();
    CU_ASSERT_EQUAL(alloc_unbound(&a), 0);
    CU_ASSERT_EQUAL(a, 1);
    CU_ASSERT_EQUAL(bind_interdomain(a, &b), 0);
    CU_ASSERT_EQUAL(b, 2);
    /* Binding raises the new port once, as Xen does. */
    CU_ASSERT_TRUE(pending(b));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 1);
    guest_ack();

    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, b), 0);
    CU_ASSERT_TRUE(pending(a));
    CU_ASSERT_FALSE(pending(b));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_pending_sel, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[1].evtchn_upcall_pending, 0);
    CU_ASSERT_TRUE(hv_evtchn_is_pending(dom, a));
    CU_ASSERT_TRUE(hv_vcpu_upcall_pending(dom->vcpus[0]));
    sh->vcpu_info[0].evtchn_upcall_mask = 1;
    CU_ASSERT_FALSE(hv_vcpu_upcall_pending(dom->vcpus[0]));
    sh->vcpu_info[0].evtchn_upcall_mask = 0;

    guest_ack();
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, a), 0);
    CU_ASSERT_TRUE(pending(b));
    CU_ASSERT_FALSE(pending(a));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 1);
    teardown();
}

static void test_bind_errors(void)
{
    struct evtchn_alloc_unbound au = { 3, DOMID_SELF, 0 };
    uint32_t a, b, p;

    setup();
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_alloc_unbound, &au), -XEN_EPERM);
    CU_ASSERT_EQUAL(bind_interdomain(0, &p), -XEN_EINVAL);
    CU_ASSERT_EQUAL(bind_interdomain(MAX_PORTS, &p), -XEN_EINVAL);
    CU_ASSERT_EQUAL(bind_interdomain(5, &p), -XEN_EINVAL); /* free */
    make_pair(&a, &b);
    CU_ASSERT_EQUAL(bind_interdomain(a, &p), -XEN_EINVAL); /* taken */
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, 99, &au), -XEN_ENOSYS);
    teardown();
}

static void test_masked(void)
{
    uint32_t a, b;

    setup();
    make_pair(&a, &b);
    mask(a);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, b), 0);
    CU_ASSERT_TRUE(pending(a));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_pending_sel, 0);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 0);
    CU_ASSERT_FALSE(hv_vcpu_upcall_pending(dom->vcpus[0]));

    CU_ASSERT_EQUAL(port_op(EVTCHNOP_unmask, a), 0);
    CU_ASSERT_EQUAL(sh->evtchn_mask[0], 0);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_pending_sel, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 1);
    CU_ASSERT_TRUE(hv_vcpu_upcall_pending(dom->vcpus[0]));

    /* Unmasking a port that is not pending raises nothing. */
    guest_ack();
    mask(b);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_unmask, b), 0);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 0);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_unmask, MAX_PORTS), -XEN_EINVAL);
    teardown();
}

static void test_virq(void)
{
    uint32_t p0, p1, p;

    setup();
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 0, &p0), 0);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 0, &p), -XEN_EEXIST);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 1, &p1), 0); /* per vCPU */
    CU_ASSERT_NOT_EQUAL(p0, p1);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_CONSOLE, 1, &p), -XEN_EINVAL);
    CU_ASSERT_EQUAL(bind_virq(NR_VIRQS, 0, &p), -XEN_EINVAL);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 2, &p), -XEN_EINVAL);
    CU_ASSERT_EQUAL(dom->virq_port[0][VIRQ_TIMER], p0);
    CU_ASSERT_EQUAL(dom->virq_port[1][VIRQ_TIMER], p1);

    /* A timer VIRQ on vCPU 1 reaches vCPU 1 only. */
    pthread_mutex_lock(&dom->lock);
    hv_evtchn_send_virq_locked(dom->vcpus[1], VIRQ_TIMER);
    hv_evtchn_send_virq_locked(dom->vcpus[1], NR_VIRQS);
    pthread_mutex_unlock(&dom->lock);
    CU_ASSERT_TRUE(pending(p1));
    CU_ASSERT_FALSE(pending(p0));
    CU_ASSERT_EQUAL(sh->vcpu_info[1].evtchn_upcall_pending, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 0);
    /* VIRQ ports cannot be sent to. */
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, p0), -XEN_EINVAL);

    /* Closing frees the VIRQ for a new binding. */
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, p0), 0);
    CU_ASSERT_EQUAL(dom->virq_port[0][VIRQ_TIMER], 0);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 0, &p), 0);
    teardown();
}

/* A global VIRQ moved to another vCPU must still be released by close. */
static void test_virq_rebound_close(void)
{
    struct evtchn_bind_vcpu bv;
    uint32_t p, q;

    setup();
    CU_ASSERT_EQUAL(bind_virq(VIRQ_CONSOLE, 0, &p), 0);
    bv.port = p;
    bv.vcpu = 1;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_bind_vcpu, &bv), 0);
    CU_ASSERT_EQUAL(dom->evtchn[p].notify_vcpu, 1);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, p), 0);
    CU_ASSERT_EQUAL(dom->virq_port[0][VIRQ_CONSOLE], 0);
    CU_ASSERT_EQUAL(dom->virq_port[1][VIRQ_CONSOLE], 0);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_CONSOLE, 0, &q), 0);
    CU_ASSERT_EQUAL(q, p);
    /* Per-vCPU VIRQs cannot move. */
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 0, &p), 0);
    bv.port = p;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL);
    bv.vcpu = 2;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_bind_vcpu, &bv), -XEN_ENOENT);
    teardown();
}

static void test_ipi(void)
{
    uint32_t p;

    setup();
    CU_ASSERT_EQUAL(bind_ipi(2, &p), -XEN_ENOENT);
    CU_ASSERT_EQUAL(bind_ipi(UINT32_MAX, &p), -XEN_ENOENT);
    CU_ASSERT_EQUAL(bind_ipi(1, &p), 0);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, p), 0);
    CU_ASSERT_TRUE(pending(p));
    CU_ASSERT_EQUAL(sh->vcpu_info[1].evtchn_upcall_pending, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[1].evtchn_pending_sel, 1);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 0);
    teardown();
}

static void test_close(void)
{
    struct evtchn_status st;
    uint32_t a, b;

    setup();
    make_pair(&a, &b);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, b), 0);
    CU_ASSERT_TRUE(pending(a));
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, a), 0);
    CU_ASSERT_FALSE(pending(a)); /* closing clears the port's bit */
    CU_ASSERT_EQUAL(status(b, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_unbound);
    CU_ASSERT_EQUAL(st.u.unbound.dom, FAKE_DOMID);
    CU_ASSERT_EQUAL(status(a, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_closed);
    /* The survivor can be bound again. */
    CU_ASSERT_EQUAL(bind_interdomain(b, &a), 0);

    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, 0), -XEN_EINVAL);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, MAX_PORTS), -XEN_EINVAL);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, UINT32_MAX), -XEN_EINVAL);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, 40), -XEN_EINVAL); /* free */
    CU_ASSERT_EQUAL(status(0, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_closed); /* still reserved */
    teardown();
}

static void test_send_unbound(void)
{
    uint32_t a;

    setup();
    CU_ASSERT_EQUAL(alloc_unbound(&a), 0);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, a), 0);
    CU_ASSERT_FALSE(pending(a));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 0);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, 0), -XEN_EINVAL);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, 30), -XEN_EINVAL);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_send, MAX_PORTS), -XEN_EINVAL);
    for (unsigned w = 0; w < 64; w++)
        CU_ASSERT_EQUAL(sh->evtchn_pending[w], 0);
    teardown();
}

static void test_status(void)
{
    struct evtchn_status st;
    uint32_t a, b, u, v, i;

    setup();
    make_pair(&a, &b);
    CU_ASSERT_EQUAL(alloc_unbound(&u), 0);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_DEBUG, 1, &v), 0);
    CU_ASSERT_EQUAL(bind_ipi(1, &i), 0);

    CU_ASSERT_EQUAL(status(a, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_interdomain);
    CU_ASSERT_EQUAL(st.u.interdomain.dom, FAKE_DOMID);
    CU_ASSERT_EQUAL(st.u.interdomain.port, b);
    CU_ASSERT_EQUAL(st.vcpu, 0);
    CU_ASSERT_EQUAL(status(b, &st), 0);
    CU_ASSERT_EQUAL(st.u.interdomain.port, a);
    CU_ASSERT_EQUAL(status(u, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_unbound);
    CU_ASSERT_EQUAL(st.u.unbound.dom, FAKE_DOMID);
    CU_ASSERT_EQUAL(status(v, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_virq);
    CU_ASSERT_EQUAL(st.u.virq, VIRQ_DEBUG);
    CU_ASSERT_EQUAL(st.vcpu, 1);
    CU_ASSERT_EQUAL(status(i, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_ipi);
    CU_ASSERT_EQUAL(st.vcpu, 1);
    CU_ASSERT_EQUAL(status(MAX_PORTS - 1, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_closed);
    CU_ASSERT_EQUAL(status(MAX_PORTS, &st), -XEN_EINVAL);
    st.dom = 3;
    st.port = a;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_status, &st), -XEN_EPERM);
    teardown();
}

static void test_exhaustion_and_reset(void)
{
    struct evtchn_reset rs = { DOMID_SELF };
    uint32_t p, t;

    setup();
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 1, &t), 0);
    for (unsigned i = 2; i < MAX_PORTS; i++) {
        CU_ASSERT_EQUAL(bind_ipi(0, &p), 0);
        CU_ASSERT_EQUAL(p, i);
    }
    CU_ASSERT_EQUAL(bind_ipi(0, &p), -XEN_ENOSPC);
    CU_ASSERT_EQUAL(alloc_unbound(&p), -XEN_ENOSPC);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 0, &p), -XEN_ENOSPC);
    CU_ASSERT_EQUAL(port_op(EVTCHNOP_close, 17), 0);
    CU_ASSERT_EQUAL(bind_ipi(0, &p), 0);
    CU_ASSERT_EQUAL(p, 17);

    hv_evtchn_reset(dom);
    CU_ASSERT_EQUAL(dom->evtchn[0].state, HV_ECS_RESERVED);
    for (unsigned i = 1; i < MAX_PORTS; i++)
        CU_ASSERT_EQUAL(dom->evtchn[i].state, HV_ECS_FREE);
    CU_ASSERT_EQUAL(dom->virq_port[1][VIRQ_TIMER], 0);
    CU_ASSERT_EQUAL(bind_virq(VIRQ_TIMER, 1, &p), 0);
    CU_ASSERT_EQUAL(p, 1);

    /* The guest's EVTCHNOP_reset closes everything too. */
    CU_ASSERT_EQUAL(bind_ipi(1, &p), 0);
    rs.dom = 3;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_reset, &rs), -XEN_EPERM);
    rs.dom = DOMID_SELF;
    CU_ASSERT_EQUAL(hv_evtchn_op(dom, EVTCHNOP_reset, &rs), 0);
    for (unsigned i = 1; i < MAX_PORTS; i++)
        CU_ASSERT_EQUAL(dom->evtchn[i].state, HV_ECS_FREE);
    CU_ASSERT_EQUAL(dom->virq_port[1][VIRQ_TIMER], 0);
    teardown();
}

static long evtchn_hc(unsigned cmd, uint64_t arg)
{
    return fake_hypercall(dom->vcpus[0], __HYPERVISOR_event_channel_op, cmd,
                          arg, 0, 0, 0);
}

static void test_hypercall_path(void)
{
    struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
    struct evtchn_bind_interdomain bi;
    struct evtchn_send sd;
    struct evtchn_status st;

    setup();
    memcpy(fake_gpa(dom, G), &au, sizeof(au));
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_alloc_unbound, FAKE_VA(G)), 0);
    memcpy(&au, fake_gpa(dom, G), sizeof(au));
    CU_ASSERT_EQUAL(au.port, 1);

    bi.remote_dom = DOMID_SELF;
    bi.remote_port = au.port;
    bi.local_port = 0;
    memcpy(fake_gpa(dom, G + 0x100), &bi, sizeof(bi));
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_bind_interdomain, FAKE_VA(G + 0x100)),
                    0);
    memcpy(&bi, fake_gpa(dom, G + 0x100), sizeof(bi));
    CU_ASSERT_EQUAL(bi.local_port, 2);
    guest_ack();

    sd.port = bi.local_port;
    memcpy(fake_gpa(dom, G + 0x200), &sd, sizeof(sd));
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_send, FAKE_VA(G + 0x200)), 0);
    CU_ASSERT_TRUE(pending(au.port));
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_pending, 1);

    /* pvisor_notify(port): a send without an argument struct. */
    guest_ack();
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_pvisor_notify,
                                   au.port, 0, 0, 0, 0),
                    0);
    CU_ASSERT_TRUE(pending(bi.local_port));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_pvisor_notify,
                                   1ULL << 32, 0, 0, 0, 0),
                    -XEN_EINVAL);

    memset(&st, 0, sizeof(st));
    st.dom = DOMID_SELF;
    st.port = au.port;
    memcpy(fake_gpa(dom, G + 0x300), &st, sizeof(st));
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_status, FAKE_VA(G + 0x300)), 0);
    memcpy(&st, fake_gpa(dom, G + 0x300), sizeof(st));
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_interdomain);
    CU_ASSERT_EQUAL(st.u.interdomain.port, bi.local_port);

    /* Bad pointers, and an op pvisor does not have. */
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_alloc_unbound, 0x0000800000000000ULL),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_send, PV_PRIV_VA), -XEN_EFAULT);
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_status, FAKE_VA(FAKE_MEM_SIZE)),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_bind_pirq, FAKE_VA(G)), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(evtchn_hc(1000, FAKE_VA(G)), -XEN_ENOSYS);

    /* An OUT field on a read-only page: the port is allocated but the
     * guest is told the copy-out failed. */
    *fake_l1e(dom, FAKE_VA(G)) &= ~HV_PTE_RW;
    CU_ASSERT_EQUAL(evtchn_hc(EVTCHNOP_alloc_unbound, FAKE_VA(G)), -XEN_EFAULT);
    teardown();
}

/* ---- between domains ---- */

static struct hv_domain *xdom_new(uint32_t domid)
{
    struct hv_domain *d = fake_domain_new(1, MAX_PORTS);

    CU_ASSERT_FATAL(d != NULL);
    d->domid = domid;
    CU_ASSERT_EQUAL_FATAL(hv_domain_insert(d), 0);
    return d;
}

static void xdom_free(struct hv_domain *d)
{
    hv_domain_remove(d);
    fake_domain_free(d);
}

static bool xpending(struct hv_domain *d, uint32_t port)
{
    struct shared_info *s = fake_shared(d);

    return (s->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void xclear(struct hv_domain *d)
{
    memset(fake_shared(d)->evtchn_pending, 0,
           sizeof(fake_shared(d)->evtchn_pending));
}

/* A channel d:*dp <-> r:*rp, d allocating for r, r binding. */
static void xconnect(struct hv_domain *d, uint32_t *dp, struct hv_domain *r,
                     uint32_t *rp)
{
    struct evtchn_alloc_unbound a = { DOMID_SELF, r->domid, 0 };
    struct evtchn_bind_interdomain b = { d->domid, 0, 0 };

    CU_ASSERT_EQUAL_FATAL(hv_evtchn_op(d, EVTCHNOP_alloc_unbound, &a), 0);
    b.remote_port = a.port;
    CU_ASSERT_EQUAL_FATAL(hv_evtchn_op(r, EVTCHNOP_bind_interdomain, &b), 0);
    *dp = a.port;
    *rp = b.local_port;
    xclear(d);
    xclear(r);
}

static long xsend(struct hv_domain *d, uint32_t port)
{
    struct evtchn_send s = { port };

    return hv_evtchn_op(d, EVTCHNOP_send, &s);
}

/*
 * dom0 event channels with one domain are limited, so that one domain's
 * devices cannot take the whole dom0 table: the refusal names the limit,
 * and other domains still get ports.
 */
static void test_dom0_ports_per_domain(void)
{
    struct hv_domain *a = xdom_new(21), *b = xdom_new(22);
    int saved_ep = hv_epoll_fd, fds[2], rc = 0;
    uint32_t port;
    char err[256] = "";
    unsigned n = 0;

    hv_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    CU_ASSERT_FATAL(hv_epoll_fd >= 0);
    while (n <= HV_DOM0_PORTS_PER_DOM &&
           !(rc = hv_dom0_evtchn_bind(900, a->domid, 0, &port, fds, err,
                                      sizeof(err))))
        n++;
    CU_ASSERT_EQUAL(n, HV_DOM0_PORTS_PER_DOM);
    CU_ASSERT_EQUAL(rc, -EDQUOT);
    CU_ASSERT(strstr(err, "d21 already has 256 event channels") != NULL);
    CU_ASSERT_EQUAL(
        hv_dom0_evtchn_bind(901, b->domid, 0, &port, fds, err, sizeof(err)), 0);
    hv_dom0_release_owner(900);
    hv_dom0_release_owner(901);
    CU_ASSERT_EQUAL(
        hv_dom0_evtchn_bind(900, a->domid, 0, &port, fds, err, sizeof(err)), 0);
    hv_dom0_release_owner(900);
    close(hv_epoll_fd);
    hv_epoll_fd = saved_ep;
    xdom_free(a);
    xdom_free(b);
}

/*
 * A resets its channels and reuses the port it had with B for a channel
 * with C: B's old port must be unbound by the reset, and an event B sends
 * on it, or on a stale binding, must never reach the reused port.
 */
static void test_reset_unlinks_peer(void)
{
    struct hv_domain *a = xdom_new(11), *b = xdom_new(12), *c = xdom_new(13);
    struct evtchn_reset r = { DOMID_SELF };
    struct evtchn_status st = { .dom = DOMID_SELF };
    uint32_t ab, ba, ac, ca;

    xconnect(a, &ab, b, &ba);
    CU_ASSERT_EQUAL(xsend(b, ba), 0);
    CU_ASSERT_TRUE(xpending(a, ab)); /* the channel works */
    xclear(a);
    CU_ASSERT_EQUAL(hv_evtchn_op(a, EVTCHNOP_reset, &r), 0);
    st.port = ba;
    CU_ASSERT_EQUAL(hv_evtchn_op(b, EVTCHNOP_status, &st), 0);
    CU_ASSERT_EQUAL(st.status, EVTCHNSTAT_unbound);
    xconnect(a, &ac, c, &ca);
    CU_ASSERT_EQUAL(ac, ab);          /* the port is reused */
    CU_ASSERT_EQUAL(xsend(b, ba), 0); /* unbound: dropped, as in Xen */
    CU_ASSERT_FALSE(xpending(a, ac));
    /* A stale binding (as a missed unlink would leave) is refused at
     * delivery: the target does not point back at the sender. */
    b->evtchn[ba].state = HV_ECS_INTERDOMAIN;
    b->evtchn[ba].remote_dom = a->domid;
    b->evtchn[ba].remote_port = ab;
    CU_ASSERT_EQUAL(xsend(b, ba), 0);
    CU_ASSERT_FALSE(xpending(a, ac));
    CU_ASSERT_EQUAL(xsend(c, ca), 0); /* the real peer still gets through */
    CU_ASSERT_TRUE(xpending(a, ac));
    xdom_free(a);
    xdom_free(b);
    xdom_free(c);
}

static const struct unit_test tests[] = {
    { "dom0 ports per domain", test_dom0_ports_per_domain },
    { "loopback send", test_loopback_send },
    { "bind errors", test_bind_errors },
    { "masked port", test_masked },
    { "virq", test_virq },
    { "global virq moved, then closed", test_virq_rebound_close },
    { "ipi", test_ipi },
    { "close", test_close },
    { "send on unbound", test_send_unbound },
    { "status", test_status },
    { "port exhaustion and reset", test_exhaustion_and_reset },
    { "hypercall path", test_hypercall_path },
    { "reset unlinks an interdomain peer", test_reset_unlinks_peer },
    { NULL, NULL },
};

const struct unit_suite unit_suite_evtchn = {
    "evtchn",
    NULL,
    NULL,
    tests,
};
