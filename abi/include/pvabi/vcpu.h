/* SPDX-License-Identifier: MIT */
/* vcpu.h: HYPERVISOR_vcpu_op: vCPU bring-up, timers, runstate, vcpu_info. */
#ifndef PVISOR_ABI_PVABI_VCPU_H
#define PVISOR_ABI_PVABI_VCPU_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/* HYPERVISOR_vcpu_op(cmd, vcpuid, arg) */
#define VCPUOP_initialise                     0 /* vcpu_guest_context */
#define VCPUOP_up                             1 /* arg unused */
#define VCPUOP_down                           2 /* arg unused */
#define VCPUOP_is_up                          3 /* returns 1 or 0 */
#define VCPUOP_get_runstate_info              4 /* vcpu_runstate_info */
#define VCPUOP_register_runstate_memory_area  5
#define VCPUOP_set_periodic_timer             6
#define VCPUOP_stop_periodic_timer            7 /* arg unused */
#define VCPUOP_set_singleshot_timer           8
#define VCPUOP_stop_singleshot_timer          9 /* arg unused */
#define VCPUOP_register_vcpu_info             10
#define VCPUOP_send_nmi                       11 /* arg unused */
#define VCPUOP_get_physid                     12
#define VCPUOP_register_vcpu_time_memory_area 13

/* Scheduler state of a vCPU. */
#define RUNSTATE_running  0 /* on a physical CPU */
#define RUNSTATE_runnable 1 /* ready, waiting for a CPU */
#define RUNSTATE_blocked  2 /* waiting for an event */
#define RUNSTATE_offline  3 /* down or paused */

/* Set in state_entry_time while the hypervisor rewrites a registered copy
 * (with VMASST_TYPE_runstate_update_flag). */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

struct vcpu_runstate_info {
    int32_t state;             /* RUNSTATE_* */
    uint64_t state_entry_time; /* system time (ns) the state began */
    uint64_t time[4];          /* ns spent in each RUNSTATE_* */
};
typedef struct vcpu_runstate_info vcpu_runstate_info_t;
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info");
_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8,
               "runstate.state_entry_time");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16,
               "runstate.time");

/* Ask for runstate updates at a guest virtual address. */
struct vcpu_register_runstate_memory_area {
    union {
        uint64_t p; /* guest address of a vcpu_runstate_info */
    } addr;
};
typedef struct vcpu_register_runstate_memory_area
    vcpu_register_runstate_memory_area_t;
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8,
               "register_runstate_memory_area");

struct vcpu_set_periodic_timer {
    uint64_t period_ns;
};
typedef struct vcpu_set_periodic_timer vcpu_set_periodic_timer_t;
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8,
               "set_periodic_timer");

/* One-shot VIRQ_TIMER at an absolute system time. */
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags; /* VCPU_SSHOTTMR_* */
};
typedef struct vcpu_set_singleshot_timer vcpu_set_singleshot_timer_t;
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16,
               "set_singleshot_timer");
_Static_assert(offsetof(struct vcpu_set_singleshot_timer, flags) == 8,
               "set_singleshot_timer.flags");

/* Fail with -XEN_ETIME if the deadline has already passed (advisory). */
#define _VCPU_SSHOTTMR_future 0
#define VCPU_SSHOTTMR_future  (1U << _VCPU_SSHOTTMR_future)

/* Move this vCPU's vcpu_info to (mfn, offset); it must not cross a page. */
struct vcpu_register_vcpu_info {
    uint64_t mfn;
    uint32_t offset;
    uint32_t rsvd; /* must be zero */
};
typedef struct vcpu_register_vcpu_info vcpu_register_vcpu_info_t;
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16,
               "register_vcpu_info");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, offset) == 8,
               "register_vcpu_info.offset");

struct vcpu_get_physid {
    uint64_t phys_id; /* low 32: APIC id, high 32: ACPI id */
};
typedef struct vcpu_get_physid vcpu_get_physid_t;
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "get_physid");

#define xen_vcpu_physid_to_x86_apicid(physid) ((uint32_t)(physid))
#define xen_vcpu_physid_to_x86_acpiid(physid) ((uint32_t)((physid) >> 32))

/* Ask for a second copy of vcpu_time_info at a guest virtual address. */
struct vcpu_register_time_memory_area {
    union {
        uint64_t p; /* guest address of a vcpu_time_info */
    } addr;
};
typedef struct vcpu_register_time_memory_area vcpu_register_time_memory_area_t;
_Static_assert(sizeof(struct vcpu_register_time_memory_area) == 8,
               "register_time_memory_area");

#endif /* PVISOR_ABI_PVABI_VCPU_H */
