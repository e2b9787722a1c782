/* SPDX-License-Identifier: MIT */
/* callback.h: HYPERVISOR_callback_op: registering guest entry points. */
#ifndef PVISOR_ABI_PVABI_CALLBACK_H
#define PVISOR_ABI_PVABI_CALLBACK_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

/* Entry points a PV kernel can register. */
#define CALLBACKTYPE_event               0 /* event upcall */
#define CALLBACKTYPE_failsafe            1 /* bad segment on return */
#define CALLBACKTYPE_syscall             2 /* 64-bit SYSCALL */
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi                 4
#define CALLBACKTYPE_sysenter            5 /* 32-bit SYSENTER */
#define CALLBACKTYPE_syscall32           7 /* 32-bit SYSCALL */

/* Set the vCPU's evtchn_upcall_mask while the callback runs. */
#define _CALLBACKF_mask_events 0
#define CALLBACKF_mask_events  (1U << _CALLBACKF_mask_events)

/* HYPERVISOR_callback_op(cmd, arg) */
#define CALLBACKOP_register   0 /* struct callback_register */
#define CALLBACKOP_unregister 1 /* struct callback_unregister */

struct callback_register {
    uint16_t type;          /* CALLBACKTYPE_* */
    uint16_t flags;         /* CALLBACKF_* */
    xen_callback_t address; /* guest virtual address */
};
typedef struct callback_register callback_register_t;
_Static_assert(sizeof(struct callback_register) == 16, "callback_register");
_Static_assert(offsetof(struct callback_register, address) == 8,
               "callback_register.address");

struct callback_unregister {
    uint16_t type; /* CALLBACKTYPE_* */
    uint16_t _unused;
};
typedef struct callback_unregister callback_unregister_t;
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unregister");

#endif /* PVISOR_ABI_PVABI_CALLBACK_H */
