/* SPDX-License-Identifier: MIT */
/* pvevtchn.h: dom0 event channels (the shape of Xen's libxenevtchn). */
#ifndef PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVEVTCHN_H
#define PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVEVTCHN_H

#include <stdint.h>

/*
 * A handle owns a connection to pvisor; the ports bound through it are
 * dom0 (domain 0) ports and are closed when the handle is closed, as with
 * Xen's /dev/xen/evtchn. Each port is backed by two eventfds that pvisor
 * hands over: guest->dom0 notifications arrive on one (written by pvisor,
 * or directly by the host kernel through KVM_IOEVENTFD when the guest uses
 * pvisor_notify), dom0->guest notifications are writes to the other.
 * Functions return a port or 0 on success, a negative errno on failure.
 */
typedef struct pvevtchn pvevtchn;
typedef uint32_t pvevtchn_port_t;

/* Connect to pvisor (run_dir NULL: $PVISOR_RUN_DIR or /run/pvisor).
 * Returns NULL with errno set on failure. */
pvevtchn *pvevtchn_open(const char *run_dir);
/* Unbind every port and free the handle. NULL is ignored. */
void pvevtchn_close(pvevtchn *h);
/* Binds the handle's connection to domid (pvc_bind_domain): only its
 * ports may be bound from then on. 0 or -errno. */
int pvevtchn_bind_domain(pvevtchn *h, uint32_t domid);
/* An fd that polls readable when some bound port has a pending event. */
int pvevtchn_fd(pvevtchn *h);
/* Bind to domid's unbound port remote_port (allocated for remote dom 0).
 * Returns the local dom0 port. */
int pvevtchn_bind_interdomain(pvevtchn *h, uint32_t domid,
                              pvevtchn_port_t remote_port);
/* Allocate a dom0 port that domid may bind with EVTCHNOP_bind_interdomain. */
int pvevtchn_bind_unbound_port(pvevtchn *h, uint32_t domid);
int pvevtchn_unbind(pvevtchn *h, pvevtchn_port_t port);
/* Signal the remote end of port. */
int pvevtchn_notify(pvevtchn *h, pvevtchn_port_t port);
/* The next port with an event (consumed), or -EAGAIN if none. Ports stay
 * masked after being returned until pvevtchn_unmask(). */
int pvevtchn_pending(pvevtchn *h);
int pvevtchn_unmask(pvevtchn *h, pvevtchn_port_t port);

/* Toolstack helper: allocate an unbound port IN domid for remote_domid
 * (Xen's xc_evtchn_alloc_unbound), e.g. the xenstore or console channel
 * written into start_info. Returns the guest's port. */
int pvevtchn_alloc_unbound_for(pvevtchn *h, uint32_t domid,
                               uint32_t remote_domid);

#endif
