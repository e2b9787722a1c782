/* SPDX-License-Identifier: MIT */
/* consfront.c: console frontend over the Xen console ring (start_info). */
#include <guestkit/guestkit.h>
#include <pvabi/io/console.h>

#include "../kernel/internal.h"

#define FULL_POLL_NS     10000000ull   /* re-check a full ring each 10 ms */
#define READ_BACKSTOP_NS 1000000000ull /* a reader re-checks each second */

static struct xencons_interface *intf;
static evtchn_port_t cons_port;
static int active;
static gk_spinlock_t out_lock = GK_SPINLOCK_INIT;
static gk_spinlock_t in_lock = GK_SPINLOCK_INIT;
static struct gk_thread *reader; /* thread waiting for input */
static int last_cr;              /* readline: swallow "\n" of "\r\n" */

static void wake_reader(void)
{
    struct gk_thread *t = __atomic_load_n(&reader, __ATOMIC_SEQ_CST);

    if (t)
        gk_thread_wake(t);
}

static void cons_event(evtchn_port_t port, void *data)
{
    (void)port;
    (void)data;
    wake_reader();
}

/* The port must be the one the toolstack allocated for dom0's backend. */
static int port_usable(evtchn_port_t port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };

    if (HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) < 0)
        return 0;
    if (st.status == EVTCHNSTAT_unbound)
        return st.u.unbound.dom == 0;
    if (st.status == EVTCHNSTAT_interdomain)
        return st.u.interdomain.dom == 0;
    return 0;
}

int gk_consfront_init(void)
{
    uint64_t mfn = gk_start_info.console.domU.mfn;
    evtchn_port_t port = gk_start_info.console.domU.evtchn;

    if (!mfn || !port || mfn >= gk_start_info.nr_pages ||
        port >= EVTCHN_2L_NR_CHANNELS || !port_usable(port))
        return -XEN_ENODEV;
    intf = gk_mfn_to_virt(mfn);
    cons_port = port;
    gk_evtchn_set_handler(port, cons_event, NULL);
    gk_evtchn_unmask(port);
    __atomic_store_n(&active, 1, __ATOMIC_RELEASE);
    return 0;
}

int gk_console_ring_active(void)
{
    return __atomic_load_n(&active, __ATOMIC_ACQUIRE);
}

static void notify(void)
{
    HYPERVISOR_pvisor_notify(cons_port);
}

/*
 * The out ring is full (called with out_lock held and events masked):
 * sleep in SCHEDOP_poll until the backend signals or 10 ms pass. The
 * pending bit is cleared first so that a stale one cannot make this
 * spin; the upcall that would have seen it cannot run (events are
 * masked), so a waiting reader is woken here instead.
 */
static void wait_for_space(XENCONS_RING_IDX prod)
{
    evtchn_port_t p = cons_port;
    struct sched_poll sp = {
        .ports = (uint64_t)(unsigned long)&p,
        .nr_ports = 1,
        .timeout = gk_monotonic_ns() + FULL_POLL_NS,
    };

    gk_evtchn_clear(p);
    notify();
    if (prod - GK_READ_ONCE(intf->out_cons) >= sizeof(intf->out))
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
    if (GK_READ_ONCE(intf->in_prod) != GK_READ_ONCE(intf->in_cons))
        wake_reader();
}

int gk_consfront_write(const char *buf, size_t len)
{
    unsigned long flags = gk_spin_lock_irqsave(&out_lock);

    while (len) {
        XENCONS_RING_IDX prod = intf->out_prod;
        XENCONS_RING_IDX cons = GK_READ_ONCE(intf->out_cons);
        XENCONS_RING_IDX used = prod - cons;
        size_t n = 0;

        gk_mb();
        if (used >= sizeof(intf->out)) {
            wait_for_space(prod); /* never drop output */
            continue;
        }
        while (n < len && used < sizeof(intf->out)) {
            intf->out[MASK_XENCONS_IDX(prod, intf->out)] = buf[n++];
            prod++;
            used++;
        }
        gk_wmb(); /* data before the index */
        intf->out_prod = prod;
        buf += n;
        len -= n;
    }
    notify();
    gk_spin_unlock_irqrestore(&out_lock, flags);
    return 0;
}

/*
 * Before the domain stops: a restart zeroes guest RAM at once, so output
 * the backend has not consumed yet would be lost. Polls the port in 1 ms
 * steps (the backend need not signal) until out_cons catches up.
 */
void gk_consfront_flush(uint64_t timeout_ns)
{
    uint64_t now = gk_monotonic_ns(), deadline = now + timeout_ns;

    if (!gk_console_ring_active())
        return;
    while (GK_READ_ONCE(intf->out_cons) != GK_READ_ONCE(intf->out_prod) &&
           now < deadline) {
        evtchn_port_t p = cons_port;
        struct sched_poll sp = {
            .ports = (uint64_t)(unsigned long)&p,
            .nr_ports = 1,
            .timeout =
                now + 1000000ull < deadline ? now + 1000000ull : deadline,
        };

        notify();
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        now = gk_monotonic_ns();
    }
}

/* Takes one input byte if there is one; -1 otherwise. */
static int take_byte(void)
{
    unsigned long flags = gk_spin_lock_irqsave(&in_lock);
    XENCONS_RING_IDX cons = intf->in_cons;
    XENCONS_RING_IDX prod = GK_READ_ONCE(intf->in_prod);
    int c = -1;

    gk_rmb();
    if (prod != cons && prod - cons <= sizeof(intf->in)) {
        c = (unsigned char)intf->in[MASK_XENCONS_IDX(cons, intf->in)];
        gk_mb(); /* read before freeing the slot */
        intf->in_cons = cons + 1;
        /* Tell the backend once the ring is empty: it may have more. */
        if (cons + 1 == prod)
            notify();
    }
    gk_spin_unlock_irqrestore(&in_lock, flags);
    return c;
}

int gk_console_getc(void)
{
    if (!gk_console_ring_active())
        return -XEN_ENODEV;
    for (;;) {
        int c = take_byte();

        if (c >= 0)
            return c;
        /* Publish ourselves, then look again: an event after the look
         * finds us and its wakeup is remembered by the block. */
        __atomic_store_n(&reader, gk_current(), __ATOMIC_SEQ_CST);
        if (GK_READ_ONCE(intf->in_prod) == GK_READ_ONCE(intf->in_cons))
            gk_thread_block_until(gk_monotonic_ns() + READ_BACKSTOP_NS);
        __atomic_store_n(&reader, NULL, __ATOMIC_SEQ_CST);
    }
}

int gk_console_readline(char *buf, size_t size, int echo)
{
    size_t n = 0;

    if (!size)
        return -XEN_EINVAL;
    for (;;) {
        int c = gk_console_getc();

        if (c < 0)
            return c;
        if (c == '\n' && last_cr) { /* the "\n" of a "\r\n" */
            last_cr = 0;
            continue;
        }
        last_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            if (echo)
                gk_console_write("\n", 1);
            buf[n] = 0;
            return (int)n;
        }
        if (c == 0x7f || c == 0x08) { /* erase one character */
            if (n) {
                n--;
                if (echo)
                    gk_console_write("\b \b", 3);
            }
            continue;
        }
        if (n + 1 < size) {
            buf[n++] = (char)c;
            if (echo)
                gk_console_write(&buf[n - 1], 1);
        }
    }
}
