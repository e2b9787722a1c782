/* SPDX-License-Identifier: MIT */
/* events.c: 2-level event channel core: dispatch, bind, send, mask, wait. */
#include <guestkit/guestkit.h>

#include "internal.h"

#define NR_PORTS EVTCHN_2L_NR_CHANNELS

/*
 * Guest-side state of a port. `cpu` is the vCPU the port notifies (ports
 * we never bound, such as the console's, default to vCPU 0); a vCPU only
 * dispatches its own ports and leaves the others pending for their owner.
 */
struct port_state {
    gk_evtchn_handler_t handler;
    void *data;
    struct gk_thread *waiter; /* thread in gk_wait_event(), or NULL */
    uint32_t fired;           /* an event arrived since the last wait */
    uint32_t cpu;
};

static struct port_state ports[NR_PORTS];
static uint64_t dispatched[PV_MAX_VCPUS];

static void deliver(evtchn_port_t port)
{
    struct port_state *ps = &ports[port];
    gk_evtchn_handler_t h = ps->handler;
    struct gk_thread *w;

    /* Publish the event before looking for a waiter; gk_wait_event()
     * does the opposite, so one of the two always sees the other. */
    __atomic_store_n(&ps->fired, 1, __ATOMIC_SEQ_CST);
    if (h)
        h(port, ps->data);
    w = __atomic_load_n(&ps->waiter, __ATOMIC_SEQ_CST);
    if (w)
        gk_thread_wake(w);
}

void gk_evtchn_do_upcall(void)
{
    struct gk_cpu *cpu = gk_this_cpu();
    struct vcpu_info *vi = cpu->vcpu_info;
    struct shared_info *s = gk_shared_info;
    uint64_t sel;

    /* Clear the summary flags first: anything raised after this point
     * sets them again and is seen by the exit path's pending check. */
    vi->evtchn_upcall_pending = 0;
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned int word = gk_ffs64(sel);
        uint64_t pend;

        sel &= sel - 1;
        pend = GK_READ_ONCE(s->evtchn_pending[word]) &
               ~GK_READ_ONCE(s->evtchn_mask[word]);
        while (pend) {
            evtchn_port_t port = word * 64 + gk_ffs64(pend);

            pend &= pend - 1;
            if (ports[port].cpu != cpu->id)
                continue;
            /* Clear before handling so a new event is never lost. */
            if (!gk_test_and_clear_bit(port, s->evtchn_pending))
                continue;
            dispatched[cpu->id]++;
            deliver(port);
        }
    }
}

void gk_evtchn_force_callback(void)
{
    struct vcpu_info *vi = gk_this_vcpu_info();
    uint8_t flags = vi->evtchn_upcall_mask;

    do {
        vi->evtchn_upcall_mask = 1;
        gk_barrier();
        while (GK_READ_ONCE(vi->evtchn_upcall_pending))
            gk_evtchn_do_upcall();
        gk_barrier();
        vi->evtchn_upcall_mask = flags;
        gk_mb();
    } while (!flags && GK_READ_ONCE(vi->evtchn_upcall_pending));
}

uint64_t gk_evtchn_count(void)
{
    return dispatched[gk_cpu_id()];
}

void gk_events_init_cpu(void)
{
    struct callback_register cb = {
        .type = CALLBACKTYPE_event,
        .flags = CALLBACKF_mask_events,
        .address = (unsigned long)gk_upcall_entry,
    };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);

    if (rc < 0)
        rc = HYPERVISOR_set_callbacks((unsigned long)gk_upcall_entry, 0, 0);
    if (rc < 0)
        gk_panic("cannot register the event callback: %ld", rc);
}

/* Record `port` as ours on this vCPU, unmasked, with no stale event. */
static int setup_port(evtchn_port_t port, gk_evtchn_handler_t handler,
                      void *data)
{
    if (port >= NR_PORTS)
        return -XEN_EINVAL;
    gk_evtchn_set_handler(port, handler, data);
    gk_evtchn_unmask(port);
    return (int)port;
}

void gk_evtchn_set_handler(evtchn_port_t port, gk_evtchn_handler_t handler,
                           void *data)
{
    struct port_state *ps;
    unsigned long flags;

    if (port >= NR_PORTS)
        return;
    ps = &ports[port];
    flags = gk_irq_save();
    ps->data = data;
    ps->handler = handler;
    __atomic_store_n(&ps->fired, 0, __ATOMIC_SEQ_CST);
    ps->cpu = gk_cpu_id();
    gk_irq_restore(flags);
}

int gk_evtchn_bind_virq(uint32_t virq, gk_evtchn_handler_t handler, void *data)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = gk_cpu_id() };
    unsigned long flags = gk_irq_save();
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);

    if (rc >= 0)
        rc = setup_port(op.port, handler, data);
    gk_irq_restore(flags);
    return (int)rc;
}

int gk_evtchn_bind_ipi(gk_evtchn_handler_t handler, void *data)
{
    struct evtchn_bind_ipi op = { .vcpu = gk_cpu_id() };
    unsigned long flags = gk_irq_save();
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);

    if (rc >= 0)
        rc = setup_port(op.port, handler, data);
    gk_irq_restore(flags);
    return (int)rc;
}

int gk_evtchn_alloc_unbound(domid_t remote, gk_evtchn_handler_t handler,
                            void *data)
{
    struct evtchn_alloc_unbound op = {
        .dom = DOMID_SELF,
        .remote_dom = remote,
    };
    unsigned long flags = gk_irq_save();
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    if (rc >= 0)
        rc = setup_port(op.port, handler, data);
    gk_irq_restore(flags);
    return (int)rc;
}

int gk_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                               gk_evtchn_handler_t handler, void *data)
{
    struct evtchn_bind_interdomain op = {
        .remote_dom = remote,
        .remote_port = remote_port,
    };
    unsigned long flags = gk_irq_save();
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    if (rc >= 0)
        rc = setup_port(op.local_port, handler, data);
    gk_irq_restore(flags);
    return (int)rc;
}

int gk_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int gk_evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };
    long rc;

    if (port >= NR_PORTS)
        return -XEN_EINVAL;
    gk_evtchn_mask(port);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
    gk_evtchn_set_handler(port, NULL, NULL);
    ports[port].cpu = 0;
    gk_evtchn_clear(port);
    return (int)rc;
}

void gk_evtchn_mask(evtchn_port_t port)
{
    gk_set_bit(port, gk_shared_info->evtchn_mask);
}

void gk_evtchn_clear(evtchn_port_t port)
{
    gk_clear_bit(port, gk_shared_info->evtchn_pending);
}

void gk_evtchn_unmask(evtchn_port_t port)
{
    struct shared_info *s = gk_shared_info;
    struct vcpu_info *vi;
    unsigned long flags;

    if (port >= NR_PORTS)
        return;
    gk_clear_bit(port, s->evtchn_mask);
    gk_mb();
    if (!gk_test_bit(port, s->evtchn_pending))
        return;
    if (ports[port].cpu != gk_cpu_id()) {
        /* Another vCPU's port: pvisor re-raises it over there. */
        struct evtchn_unmask op = { .port = port };

        HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
        return;
    }
    /* Ours: raise the upcall locally, as pvisor would have done. */
    flags = gk_irq_save();
    vi = gk_this_vcpu_info();
    gk_set_bit(port / 64, &vi->evtchn_pending_sel);
    vi->evtchn_upcall_pending = 1;
    gk_irq_restore(flags);
}

void gk_wait_event(evtchn_port_t port)
{
    struct port_state *ps;

    if (port >= NR_PORTS)
        return;
    ps = &ports[port];
    for (;;) {
        __atomic_store_n(&ps->waiter, gk_current(), __ATOMIC_SEQ_CST);
        if (__atomic_exchange_n(&ps->fired, 0, __ATOMIC_SEQ_CST))
            break;
        gk_thread_block();
    }
    __atomic_store_n(&ps->waiter, NULL, __ATOMIC_SEQ_CST);
}
