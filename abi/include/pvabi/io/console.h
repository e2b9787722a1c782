/* SPDX-License-Identifier: MIT */
/* console.h: the PV console ring page (start_info.console.domU.mfn). */
#ifndef PVISOR_ABI_PVABI_IO_CONSOLE_H
#define PVISOR_ABI_PVABI_IO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t XENCONS_RING_IDX;

/* Index into one of the byte rings below (sizes are powers of two). */
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

/*
 * Two byte rings with free-running indices. `in` carries input to the
 * guest (the console daemon produces, the guest consumes); `out` carries
 * guest output. Producers write data, then a write barrier, then the
 * producer index; the peer is notified through the console event channel.
 */
struct xencons_interface {
    char in[1024];
    char out[2048];
    XENCONS_RING_IDX in_cons, in_prod;
    XENCONS_RING_IDX out_cons, out_prod;
};
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface");
_Static_assert(offsetof(struct xencons_interface, out) == 1024,
               "xencons_interface.out");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072,
               "xencons_interface.in_cons");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084,
               "xencons_interface.out_prod");

#endif /* PVISOR_ABI_PVABI_IO_CONSOLE_H */
