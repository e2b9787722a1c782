/* SPDX-License-Identifier: MIT */
/* skelif.h: the "skel" example split-driver protocol (pvisor's, not Xen's). */
#ifndef PVISOR_ABI_PVABI_IO_SKELIF_H
#define PVISOR_ABI_PVABI_IO_SKELIF_H

/*
 * This is NOT a Xen protocol: no Xen guest or backend speaks it. It is the
 * smallest complete split driver, written to be read next to the tutorial
 * in docs/split-drivers.md ("Writing your own frontend and backend"):
 * guest-kit/examples/skelfront.c is its frontend, pv-skelback
 * (dom0-tools/backends/skelback.c) its backend.
 *
 * The frontend sends requests carrying up to SKEL_DATA_MAX bytes; the
 * backend answers each one with the same bytes, ASCII letters uppercased,
 * in request order (a backend that completes requests out of order would
 * need the frontend to match responses by id instead).
 *
 * xenstore (device type "skel"):
 *   frontend dir /local/domain/<id>/device/skel/<devid>:
 *     backend, backend-id, state       (written by the toolstack)
 *     ring-ref, event-channel, state   (written by the frontend)
 *   backend dir /local/domain/0/backend/skel/<id>/<devid>:
 *     frontend, frontend-id, online, state   (written by the toolstack)
 *     state, error                           (written by the backend)
 */

#include <stdint.h>

#include "ring.h"

/* Largest payload of one request or response. */
#define SKEL_DATA_MAX 48

/* skel_response.status */
#define SKEL_RSP_OKAY  0
#define SKEL_RSP_ERROR (-1) /* never sent by pv-skelback; check anyway */

struct skel_request {
    uint32_t id;  /* chosen by the frontend, echoed in the response */
    uint32_t len; /* bytes used in data, 0..SKEL_DATA_MAX */
    uint8_t data[SKEL_DATA_MAX];
};
_Static_assert(sizeof(struct skel_request) == 56, "skel_request");

struct skel_response {
    uint32_t id;    /* the request's id */
    int32_t status; /* SKEL_RSP_* */
    uint32_t len;   /* bytes used in data, 0..SKEL_DATA_MAX */
    uint8_t data[SKEL_DATA_MAX];
};
_Static_assert(sizeof(struct skel_response) == 60, "skel_response");

/*
 * struct skel_sring (the shared page), skel_front_ring_t, skel_back_ring_t.
 * A 60-byte slot gives (4096 - 64) / 60 = 67, rounded down to 64 slots.
 */
DEFINE_RING_TYPES(skel, struct skel_request, struct skel_response);

#define SKEL_RING_SIZE __CONST_RING_SIZE(skel, XEN_PAGE_SIZE)
_Static_assert(SKEL_RING_SIZE == 64, "skel ring size");

#endif /* PVISOR_ABI_PVABI_IO_SKELIF_H */
