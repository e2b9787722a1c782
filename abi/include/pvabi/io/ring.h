/* SPDX-License-Identifier: MIT */
/* ring.h: the generic shared request/response ring used by split drivers. */
#ifndef PVISOR_ABI_PVABI_IO_RING_H
#define PVISOR_ABI_PVABI_IO_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * One shared page holds a 64-byte header and a power-of-two array of
 * slots; each slot is a union of one request and one response. The front
 * end produces requests and consumes responses, the back end the reverse.
 * Indices are free-running 32-bit counters, masked when used.
 *
 * Notification suppression: a consumer that is about to sleep sets
 * req_event (or rsp_event) to "the index after the last one I have seen";
 * a producer only needs to notify the peer when its push moves the
 * producer index past that value. The *_AND_CHECK_NOTIFY and
 * RING_FINAL_CHECK_FOR_* macros implement both halves.
 *
 * Macro names and semantics follow Xen's io/ring.h, so driver code written
 * against it reads the same.
 */

#define XEN_PAGE_SHIFT 12
#define XEN_PAGE_SIZE  4096

typedef uint32_t RING_IDX;

/*
 * Barriers. Shared indices are accessed with relaxed atomics; these fences
 * order them against the plain accesses to the slots. On x86 only the full
 * barrier costs an instruction; the others stop the compiler.
 */
#define pvabi_ring_mb()        __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define pvabi_ring_rmb()       __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define pvabi_ring_wmb()       __atomic_thread_fence(__ATOMIC_RELEASE)
#define PVABI_RING_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define PVABI_RING_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/*
 * Largest power of two not above x (x a 32-bit value, 0 for 0), written so
 * that it stays an integer constant expression for array sizes.
 */
#define PVABI_P2FLOOR_2(x) (((x)&0x2u) ? 0x2u : ((x)&0x1u))
#define PVABI_P2FLOOR_4(x) \
    (((x)&0xcu) ? (PVABI_P2FLOOR_2((x) >> 2) << 2) : PVABI_P2FLOOR_2(x))
#define PVABI_P2FLOOR_8(x) \
    (((x)&0xf0u) ? (PVABI_P2FLOOR_4((x) >> 4) << 4) : PVABI_P2FLOOR_4(x))
#define PVABI_P2FLOOR_16(x) \
    (((x)&0xff00u) ? (PVABI_P2FLOOR_8((x) >> 8) << 8) : PVABI_P2FLOOR_8(x))
#define PVABI_P2FLOOR(x)                                     \
    (((x)&0xffff0000u) ? (PVABI_P2FLOOR_16((x) >> 16) << 16) \
                       : PVABI_P2FLOOR_16(x))

/* Runtime form of PVABI_P2FLOOR. */
static inline uint32_t pvabi_ring_p2floor(uint32_t x)
{
    if (x == 0)
        return 0;
    return 1u << (31 - __builtin_clz(x));
}

/* Slots that fit in `bytes` after the header, as a compile-time constant. */
#define __CONST_RING_SIZE(name, bytes)                                       \
    PVABI_P2FLOOR((uint32_t)(((bytes)-offsetof(struct name##_sring, ring)) / \
                             sizeof(((struct name##_sring *)0)->ring[0])))

/* Same, from a pointer to an existing shared ring. */
#define __RING_SIZE(s, bytes)                                                \
    pvabi_ring_p2floor(                                                      \
        (uint32_t)(((bytes) -                                                \
                    (size_t)((const char *)(s)->ring - (const char *)(s))) / \
                   sizeof((s)->ring[0])))

/*
 * DEFINE_RING_TYPES(name, req_t, rsp_t) declares:
 *   union name_sring_entry  one slot
 *   struct name_sring       the shared page (header + slots)
 *   struct name_front_ring  the front end's private view
 *   struct name_back_ring   the back end's private view
 * plus the matching _t typedefs. ring[1] keeps sizeof() equal to Xen's;
 * the array really extends to the end of the page.
 */
#define DEFINE_RING_TYPES(name, req_t, rsp_t)                           \
                                                                        \
    union name##_sring_entry {                                          \
        req_t req;                                                      \
        rsp_t rsp;                                                      \
    };                                                                  \
                                                                        \
    struct name##_sring {                                               \
        RING_IDX req_prod, req_event;                                   \
        RING_IDX rsp_prod, rsp_event;                                   \
        union {                                                         \
            struct {                                                    \
                uint8_t smartpoll_active;                               \
            } netif;                                                    \
            struct {                                                    \
                uint8_t msg;                                            \
            } tapif_user;                                               \
            uint8_t pvt_pad[4];                                         \
        } pvt;                                                          \
        uint8_t __pad[44];                                              \
        union name##_sring_entry ring[1];                               \
    };                                                                  \
                                                                        \
    struct name##_front_ring {                                          \
        RING_IDX req_prod_pvt; /* requests produced, not yet pushed */  \
        RING_IDX rsp_cons;     /* responses consumed */                 \
        uint32_t nr_ents;                                               \
        struct name##_sring *sring;                                     \
    };                                                                  \
                                                                        \
    struct name##_back_ring {                                           \
        RING_IDX rsp_prod_pvt; /* responses produced, not yet pushed */ \
        RING_IDX req_cons;     /* requests consumed */                  \
        uint32_t nr_ents;                                               \
        struct name##_sring *sring;                                     \
    };                                                                  \
                                                                        \
    typedef struct name##_sring name##_sring_t;                         \
    typedef struct name##_front_ring name##_front_ring_t;               \
    typedef struct name##_back_ring name##_back_ring_t

/* Header of every shared ring, to pin the common layout. */
struct pvabi_sring_header {
    RING_IDX req_prod, req_event;
    RING_IDX rsp_prod, rsp_event;
    uint8_t pvt_pad[4];
    uint8_t __pad[44];
};
_Static_assert(sizeof(struct pvabi_sring_header) == 64, "sring header");

/* Reset a shared ring (front end, before granting it). */
#define SHARED_RING_INIT(s)                                              \
    do {                                                                 \
        (s)->req_prod = 0;                                               \
        (s)->rsp_prod = 0;                                               \
        (s)->req_event = 1;                                              \
        (s)->rsp_event = 1;                                              \
        __builtin_memset((s)->pvt.pvt_pad, 0, sizeof((s)->pvt.pvt_pad)); \
        __builtin_memset((s)->__pad, 0, sizeof((s)->__pad));             \
    } while (0)

/* Attach a private view to a shared ring of `bytes` bytes at index i. */
#define FRONT_RING_ATTACH(r, s, i, bytes)     \
    do {                                      \
        (r)->req_prod_pvt = (i);              \
        (r)->rsp_cons = (i);                  \
        (r)->nr_ents = __RING_SIZE(s, bytes); \
        (r)->sring = (s);                     \
    } while (0)

#define FRONT_RING_INIT(r, s, bytes) FRONT_RING_ATTACH(r, s, 0, bytes)

#define XEN_FRONT_RING_INIT(r, s, bytes) \
    do {                                 \
        SHARED_RING_INIT(s);             \
        FRONT_RING_INIT(r, s, bytes);    \
    } while (0)

#define BACK_RING_ATTACH(r, s, i, bytes)      \
    do {                                      \
        (r)->rsp_prod_pvt = (i);              \
        (r)->req_cons = (i);                  \
        (r)->nr_ents = __RING_SIZE(s, bytes); \
        (r)->sring = (s);                     \
    } while (0)

#define BACK_RING_INIT(r, s, bytes) BACK_RING_ATTACH(r, s, 0, bytes)

/* Number of slots (a power of two). */
#define RING_SIZE(r) ((r)->nr_ents)

/* Front end: slots it may still fill before the ring is full. */
#define RING_FREE_REQUESTS(r) \
    (RING_SIZE(r) - ((r)->req_prod_pvt - (r)->rsp_cons))

#define RING_FULL(r) (RING_FREE_REQUESTS(r) == 0)

/* Front end: responses published but not yet consumed. */
#define XEN_RING_NR_UNCONSUMED_RESPONSES(r) \
    ((RING_IDX)(PVABI_RING_LOAD((r)->sring->rsp_prod) - (r)->rsp_cons))

/*
 * Back end: requests published but not yet consumed, capped by the slots
 * the back end has not answered yet, so that a front end publishing a
 * bogus req_prod cannot make the back end walk over its own responses.
 */
static inline RING_IDX pvabi_ring_unconsumed_requests(RING_IDX req_prod,
                                                      RING_IDX req_cons,
                                                      RING_IDX rsp_prod_pvt,
                                                      uint32_t nr_ents)
{
    RING_IDX req = req_prod - req_cons;
    RING_IDX room = nr_ents - (req_cons - rsp_prod_pvt);

    return req < room ? req : room;
}

#define XEN_RING_NR_UNCONSUMED_REQUESTS(r)                                \
    pvabi_ring_unconsumed_requests(PVABI_RING_LOAD((r)->sring->req_prod), \
                                   (r)->req_cons, (r)->rsp_prod_pvt,      \
                                   RING_SIZE(r))

/* As in Xen, these give the count (non-zero means work), not a bool. */
#define RING_HAS_UNCONSUMED_RESPONSES(r) XEN_RING_NR_UNCONSUMED_RESPONSES(r)
#define RING_HAS_UNCONSUMED_REQUESTS(r)  XEN_RING_NR_UNCONSUMED_REQUESTS(r)

/* Pointer to the slot for free-running index idx. */
#define RING_GET_REQUEST(r, idx) \
    (&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].req))
#define RING_GET_RESPONSE(r, idx) \
    (&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].rsp))

/*
 * Copy a slot out in one go, so that a peer rewriting it meanwhile cannot
 * make the reader see two different values of a field.
 */
#define RING_COPY_REQUEST(r, idx, dst) \
    (*(dst) = *(volatile __typeof__(dst))RING_GET_REQUEST(r, idx))
#define RING_COPY_RESPONSE(r, idx, dst) \
    (*(dst) = *(volatile __typeof__(dst))RING_GET_RESPONSE(r, idx))

/* Back end: consuming request `cons` would overrun unanswered slots. */
#define RING_REQUEST_CONS_OVERFLOW(r, cons) \
    ((RING_IDX)((cons) - (r)->rsp_prod_pvt) >= RING_SIZE(r))

/* A peer's published producer index is impossible (corrupt or hostile). */
#define RING_REQUEST_PROD_OVERFLOW(r, prod) \
    ((RING_IDX)((prod) - (r)->rsp_prod_pvt) > RING_SIZE(r))
#define RING_RESPONSE_PROD_OVERFLOW(r, prod) \
    ((RING_IDX)((prod) - (r)->rsp_cons) > RING_SIZE(r))

/* Publish privately produced entries without checking for notification. */
#define RING_PUSH_REQUESTS(r)                                      \
    do {                                                           \
        pvabi_ring_wmb();                                          \
        PVABI_RING_STORE((r)->sring->req_prod, (r)->req_prod_pvt); \
    } while (0)

#define RING_PUSH_RESPONSES(r)                                     \
    do {                                                           \
        pvabi_ring_wmb();                                          \
        PVABI_RING_STORE((r)->sring->rsp_prod, (r)->rsp_prod_pvt); \
    } while (0)

/* True if moving the producer from old_prod to new_prod passed `event`. */
static inline int pvabi_ring_need_notify(RING_IDX old_prod, RING_IDX new_prod,
                                         RING_IDX event)
{
    return (RING_IDX)(new_prod - event) < (RING_IDX)(new_prod - old_prod);
}

/*
 * Publish, then decide whether the peer must be notified. The full barrier
 * makes the new producer index visible before the peer's event index is
 * read, closing the race with a consumer going to sleep.
 */
#define RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r, notify)                       \
    do {                                                                     \
        RING_IDX pvabi_old_ = PVABI_RING_LOAD((r)->sring->req_prod);         \
        RING_IDX pvabi_new_ = (r)->req_prod_pvt;                             \
        pvabi_ring_wmb();                                                    \
        PVABI_RING_STORE((r)->sring->req_prod, pvabi_new_);                  \
        pvabi_ring_mb();                                                     \
        (notify) = pvabi_ring_need_notify(                                   \
            pvabi_old_, pvabi_new_, PVABI_RING_LOAD((r)->sring->req_event)); \
    } while (0)

#define RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, notify)                      \
    do {                                                                     \
        RING_IDX pvabi_old_ = PVABI_RING_LOAD((r)->sring->rsp_prod);         \
        RING_IDX pvabi_new_ = (r)->rsp_prod_pvt;                             \
        pvabi_ring_wmb();                                                    \
        PVABI_RING_STORE((r)->sring->rsp_prod, pvabi_new_);                  \
        pvabi_ring_mb();                                                     \
        (notify) = pvabi_ring_need_notify(                                   \
            pvabi_old_, pvabi_new_, PVABI_RING_LOAD((r)->sring->rsp_event)); \
    } while (0)

/*
 * Before sleeping: if nothing is pending, ask to be notified for the next
 * entry, then look again (an entry may have arrived in between).
 */
#define RING_FINAL_CHECK_FOR_REQUESTS(r, work_to_do)                    \
    do {                                                                \
        (work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r);                 \
        if (!(work_to_do)) {                                            \
            PVABI_RING_STORE((r)->sring->req_event, (r)->req_cons + 1); \
            pvabi_ring_mb();                                            \
            (work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r);             \
        }                                                               \
    } while (0)

#define RING_FINAL_CHECK_FOR_RESPONSES(r, work_to_do)                   \
    do {                                                                \
        (work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r);                \
        if (!(work_to_do)) {                                            \
            PVABI_RING_STORE((r)->sring->rsp_event, (r)->rsp_cons + 1); \
            pvabi_ring_mb();                                            \
            (work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r);            \
        }                                                               \
    } while (0)

#endif /* PVISOR_ABI_PVABI_IO_RING_H */
