/* SPDX-License-Identifier: MIT */
/* sched.h: HYPERVISOR_sched_op commands, arguments and shutdown reasons. */
#ifndef PVISOR_ABI_PVABI_SCHED_H
#define PVISOR_ABI_PVABI_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "event_channel.h"

/* HYPERVISOR_sched_op(cmd, arg) */
#define SCHEDOP_yield 0 /* arg unused: give up the CPU */
#define SCHEDOP_block \
    1                             /* arg unused: sleep until an event;
                                       clears evtchn_upcall_mask first */
#define SCHEDOP_shutdown        2 /* struct sched_shutdown */
#define SCHEDOP_poll            3 /* struct sched_poll */
#define SCHEDOP_remote_shutdown 4 /* struct sched_remote_shutdown */
#define SCHEDOP_shutdown_code   5 /* struct sched_shutdown: record only */
#define SCHEDOP_watchdog        6 /* struct sched_watchdog */
#define SCHEDOP_pin_override    7 /* struct sched_pin_override (dom0) */

struct sched_shutdown {
    uint32_t reason; /* SHUTDOWN_* */
};
typedef struct sched_shutdown sched_shutdown_t;
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown");

/* Block until one of `ports` is pending or the absolute timeout passes. */
struct sched_poll {
    uint64_t ports; /* guest address of evtchn_port_t[nr_ports] */
    uint32_t nr_ports;
    uint64_t timeout; /* system time in ns; 0 = none */
};
typedef struct sched_poll sched_poll_t;
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
_Static_assert(offsetof(struct sched_poll, timeout) == 16,
               "sched_poll.timeout");

struct sched_remote_shutdown {
    domid_t domain_id;
    uint32_t reason; /* SHUTDOWN_* */
};
typedef struct sched_remote_shutdown sched_remote_shutdown_t;
_Static_assert(sizeof(struct sched_remote_shutdown) == 8,
               "sched_remote_shutdown");

/* id 0 creates a watchdog (returns its id); timeout 0 destroys one. */
struct sched_watchdog {
    uint32_t id;
    uint32_t timeout; /* seconds */
};
typedef struct sched_watchdog sched_watchdog_t;
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog");

struct sched_pin_override {
    int32_t pcpu; /* negative: end the override */
};
typedef struct sched_pin_override sched_pin_override_t;
_Static_assert(sizeof(struct sched_pin_override) == 4, "sched_pin_override");

/* Shutdown reasons. */
#define SHUTDOWN_poweroff   0 /* clean exit: tear down */
#define SHUTDOWN_reboot     1 /* tear down and start again */
#define SHUTDOWN_suspend    2 /* save state, then tear down */
#define SHUTDOWN_crash      3 /* the guest reports a crash */
#define SHUTDOWN_watchdog   4 /* a watchdog expired */
#define SHUTDOWN_soft_reset 5 /* reset keeping the domain */
#define SHUTDOWN_MAX        5

#endif /* PVISOR_ABI_PVABI_SCHED_H */
