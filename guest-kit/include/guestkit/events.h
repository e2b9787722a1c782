/* SPDX-License-Identifier: MIT */
/* events.h: event channels (2-level ABI): binding, handlers, send, wait. */
#ifndef PVISOR_GUEST_KIT_EVENTS_H
#define PVISOR_GUEST_KIT_EVENTS_H

#include <stdint.h>

#include <pvabi/event_channel.h>
#include <guestkit/irq.h>

/*
 * Called from the upcall with events masked on this vCPU, on the stack of
 * whatever thread was interrupted. It may wake threads, send events and
 * print, but must not block, yield or sleep.
 */
typedef void (*gk_evtchn_handler_t)(evtchn_port_t port, void *data);

/*
 * Bind `virq` (e.g. VIRQ_TIMER) on the calling vCPU with `handler` (may be
 * NULL: then only gk_wait_event() sees the event). The port starts
 * unmasked. Returns the port or a negative Xen errno.
 */
int gk_evtchn_bind_virq(uint32_t virq, gk_evtchn_handler_t handler, void *data);

/* Bind an IPI port to the calling vCPU; others gk_evtchn_send() to it. */
int gk_evtchn_bind_ipi(gk_evtchn_handler_t handler, void *data);

/* Allocate a port that domain `remote` may bind to (for split drivers). */
int gk_evtchn_alloc_unbound(domid_t remote, gk_evtchn_handler_t handler,
                            void *data);

/*
 * Connect to port `remote_port` that domain `remote` allocated for us with
 * alloc_unbound; the new local port is bound to the calling vCPU, unmasked,
 * with `handler`. pvisor (like Xen) marks it pending once at bind time.
 * Returns the local port or a negative Xen errno.
 */
int gk_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                               gk_evtchn_handler_t handler, void *data);

/*
 * Attach `handler` to an already bound `port` and dispatch it on the
 * calling vCPU (the port must be delivered to this vCPU).
 */
void gk_evtchn_set_handler(evtchn_port_t port, gk_evtchn_handler_t handler,
                           void *data);

/* Notify `port`'s remote end. Returns 0 or a negative Xen errno. */
int gk_evtchn_send(evtchn_port_t port);

/* Close `port` and forget its handler. Returns 0 or a negative Xen errno. */
int gk_evtchn_close(evtchn_port_t port);

/* Set the port's mask bit: events stay pending but are not delivered. */
void gk_evtchn_mask(evtchn_port_t port);

/* Clear the mask bit; a pending event is delivered now. */
void gk_evtchn_unmask(evtchn_port_t port);

/* Drop a pending event on `port`. */
void gk_evtchn_clear(evtchn_port_t port);

/*
 * Block the calling thread until an event arrives on `port` (one waiter
 * per port). An event that arrived since the last wait returns at once;
 * several events in between count as one.
 */
void gk_wait_event(evtchn_port_t port);

/*
 * The dispatcher, called by the upcall entry with events masked: clears
 * evtchn_upcall_pending, then handles every pending, unmasked port bound
 * to this vCPU (clearing each before its handler runs).
 */
void gk_evtchn_do_upcall(void);

/* Total events dispatched on this vCPU. */
uint64_t gk_evtchn_count(void);

#endif /* PVISOR_GUEST_KIT_EVENTS_H */
