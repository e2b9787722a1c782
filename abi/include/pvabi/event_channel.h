/* SPDX-License-Identifier: MIT */
/* event_channel.h: event channel operations (2-level ABI) and VIRQ numbers. */
#ifndef PVISOR_ABI_PVABI_EVENT_CHANNEL_H
#define PVISOR_ABI_PVABI_EVENT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/*
 * HYPERVISOR_event_channel_op(cmd, arg): `arg` is the guest address of the
 * op struct named after the command. Port numbers are per domain.
 */
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_ipi         7
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9
#define EVTCHNOP_reset            10
#define EVTCHNOP_init_control     11 /* FIFO ABI, not provided */
#define EVTCHNOP_expand_array     12 /* FIFO ABI, not provided */
#define EVTCHNOP_set_priority     13 /* FIFO ABI, not provided */

typedef uint32_t evtchn_port_t;

/* 2-level ABI capacity: 64 words of 64 bits (see shared_info). */
#define EVTCHN_2L_NR_CHANNELS (64 * 64)

/*
 * Virtual interrupts, bound with EVTCHNOP_bind_virq. Per-vCPU VIRQs (TIMER,
 * DEBUG, XENOPROF, XENPMU) are bound per vCPU; the others are global and
 * bound on vCPU 0.
 */
#define VIRQ_TIMER      0  /* per vCPU: timer expired */
#define VIRQ_DEBUG      1  /* per vCPU: dump debug state */
#define VIRQ_CONSOLE    2  /* dom0: emergency console input */
#define VIRQ_DOM_EXC    3  /* dom0: some domain needs attention */
#define VIRQ_TBUF       4  /* dom0: trace records available */
#define VIRQ_DEBUGGER   6  /* dom0: a domain paused for debugging */
#define VIRQ_XENOPROF   7  /* per vCPU: profiling sample */
#define VIRQ_CON_RING   8  /* dom0: hypervisor console output */
#define VIRQ_PCPU_STATE 9  /* dom0: physical CPU state changed */
#define VIRQ_MEM_EVENT  10 /* dom0: memory event */
#define VIRQ_ARGO       11 /* Argo message */
#define VIRQ_ENOMEM     12 /* dom0: hypervisor heap low */
#define VIRQ_XENPMU     13 /* per vCPU: PMU interrupt */
#define VIRQ_ARCH_0     16
#define VIRQ_ARCH_1     17
#define VIRQ_ARCH_2     18
#define VIRQ_ARCH_3     19
#define VIRQ_ARCH_4     20
#define VIRQ_ARCH_5     21
#define VIRQ_ARCH_6     22
#define VIRQ_ARCH_7     23
#define NR_VIRQS        24

/* Make a port that `remote_dom` may later bind to. */
struct evtchn_alloc_unbound {
    domid_t dom, remote_dom; /* IN (dom: DOMID_SELF unless privileged) */
    evtchn_port_t port;      /* OUT */
};
typedef struct evtchn_alloc_unbound evtchn_alloc_unbound_t;
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4,
               "alloc_unbound.port");

/* Connect to an unbound port of another domain. */
struct evtchn_bind_interdomain {
    domid_t remote_dom;        /* IN */
    evtchn_port_t remote_port; /* IN */
    evtchn_port_t local_port;  /* OUT */
};
typedef struct evtchn_bind_interdomain evtchn_bind_interdomain_t;
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12,
               "bind_interdomain");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4,
               "bind_interdomain.remote_port");

struct evtchn_bind_virq {
    uint32_t virq;      /* IN: VIRQ_* */
    uint32_t vcpu;      /* IN */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_virq evtchn_bind_virq_t;
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "bind_virq");

#define BIND_PIRQ__WILL_SHARE 1
struct evtchn_bind_pirq {
    uint32_t pirq;      /* IN */
    uint32_t flags;     /* IN: BIND_PIRQ__* */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_pirq evtchn_bind_pirq_t;
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "bind_pirq");

/* Port for signalling `vcpu` of the calling domain. */
struct evtchn_bind_ipi {
    uint32_t vcpu;      /* IN */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_ipi evtchn_bind_ipi_t;
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "bind_ipi");

struct evtchn_close {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_close evtchn_close_t;
_Static_assert(sizeof(struct evtchn_close) == 4, "close");

struct evtchn_send {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_send evtchn_send_t;
_Static_assert(sizeof(struct evtchn_send) == 4, "send");

/* evtchn_status.status */
#define EVTCHNSTAT_closed      0 /* free */
#define EVTCHNSTAT_unbound     1 /* waiting for a remote bind */
#define EVTCHNSTAT_interdomain 2 /* connected to another domain's port */
#define EVTCHNSTAT_pirq        3 /* bound to a physical IRQ */
#define EVTCHNSTAT_virq        4 /* bound to a VIRQ */
#define EVTCHNSTAT_ipi         5 /* bound to a vCPU IPI */

struct evtchn_status {
    domid_t dom;        /* IN */
    evtchn_port_t port; /* IN */
    uint32_t status;    /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;      /* OUT: vCPU notified */
    union {
        struct {
            domid_t dom;
        } unbound;
        struct {
            domid_t dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u; /* OUT, by status */
};
typedef struct evtchn_status evtchn_status_t;
_Static_assert(sizeof(struct evtchn_status) == 24, "status");
_Static_assert(offsetof(struct evtchn_status, u) == 16, "status.u");

/* Deliver the port's notifications to another vCPU. */
struct evtchn_bind_vcpu {
    evtchn_port_t port; /* IN */
    uint32_t vcpu;      /* IN */
};
typedef struct evtchn_bind_vcpu evtchn_bind_vcpu_t;
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "bind_vcpu");

/* Clear the mask bit and re-raise the upcall if the port is pending. */
struct evtchn_unmask {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_unmask evtchn_unmask_t;
_Static_assert(sizeof(struct evtchn_unmask) == 4, "unmask");

/* Close every port of `dom`. */
struct evtchn_reset {
    domid_t dom; /* IN */
};
typedef struct evtchn_reset evtchn_reset_t;
_Static_assert(sizeof(struct evtchn_reset) == 2, "reset");

/* Old-style argument of event_channel_op_compat: command plus op. */
struct evtchn_op {
    uint32_t cmd;
    union {
        evtchn_alloc_unbound_t alloc_unbound;
        evtchn_bind_interdomain_t bind_interdomain;
        evtchn_bind_virq_t bind_virq;
        evtchn_bind_pirq_t bind_pirq;
        evtchn_bind_ipi_t bind_ipi;
        evtchn_close_t close;
        evtchn_send_t send;
        evtchn_status_t status;
        evtchn_bind_vcpu_t bind_vcpu;
        evtchn_unmask_t unmask;
    } u;
};
typedef struct evtchn_op evtchn_op_t;
_Static_assert(sizeof(struct evtchn_op) == 28, "evtchn_op");

#endif /* PVISOR_ABI_PVABI_EVENT_CHANNEL_H */
