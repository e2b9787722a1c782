/* SPDX-License-Identifier: MIT */
/* gnttab.h: grant tables v1: granting frames to peers, ending, copying. */
#ifndef PVISOR_GUEST_KIT_GNTTAB_H
#define PVISOR_GUEST_KIT_GNTTAB_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

/* Frames guest-kit asks for (512 entries each; refs 0..7 are reserved). */
#define GK_GNTTAB_FRAMES 8

/*
 * Set up and map this domain's grant table (GNTTABOP_query_size, then
 * GNTTABOP_setup_table, frames mapped over a run of pages taken from the
 * page allocator; see gnttab.c for why). Called once at boot; calling it
 * again does nothing. Returns 0 or a negative Xen errno; on failure the
 * other functions return -XEN_ENODEV.
 */
int gk_gnttab_init(void);

/* How the table was placed: "physmap", "map" or "none" (see gnttab.c). */
const char *gk_gnttab_mode(void);

/* Number of entries in the table (0 before a successful init). */
unsigned int gk_gnttab_nr_entries(void);

/*
 * Grant domain `domid` access to frame `pfn` of this domain (read-only if
 * `readonly`). Takes a free ref, writes frame and domid, then (after a
 * write barrier) the flags, as Xen requires. Returns the ref (>= 8) or a
 * negative Xen errno (-XEN_ENOSPC: no free ref).
 */
int gk_grant_access(domid_t domid, uint64_t pfn, int readonly);

/*
 * End the access granted by `ref`: atomically swap the flags to 0 unless
 * the peer has the grant in use (GTF_reading/GTF_writing set by the
 * hypervisor while it maps or copies). On success the ref is freed and 0
 * returned; if in use, -XEN_EBUSY and the grant stays valid (try again
 * later; never reuse the frame meanwhile).
 */
int gk_end_access(grant_ref_t ref);

/*
 * Lower-level: fill a specific entry (a ref from gk_gnttab_alloc_ref(), or
 * one of the reserved refs 0..7), and take/return refs without touching
 * entries. gk_gnttab_grant_ref returns 0 or -XEN_EINVAL.
 */
int gk_gnttab_grant_ref(grant_ref_t ref, domid_t domid, uint64_t pfn,
                        int readonly);
int gk_gnttab_alloc_ref(void); /* ref or -XEN_ENOSPC */
void gk_gnttab_free_ref(grant_ref_t ref);

/* Current flags of one of our entries (GTF_*), for diagnostics. */
uint16_t gk_gnttab_flags(grant_ref_t ref);

/*
 * The shared entry of `ref` (NULL if out of range), for diagnostics and
 * tests. Change it only as the hypervisor would (atomically).
 */
struct grant_entry_v1 *gk_gnttab_entry(grant_ref_t ref);

/*
 * GNTTABOP_copy `n` segments (any number; issued in batches of 256). Each
 * segment's status is written back. Returns 0 if the hypercall succeeded
 * and every status is GNTST_okay, -XEN_EIO if some segment failed (look at
 * the statuses), or the hypercall's negative Xen errno.
 */
int gk_gnttab_copy(struct gnttab_copy *segs, unsigned int n);

/*
 * Copy `len` bytes from our memory at `buf` (direct-mapped RAM: heap,
 * stacks, allocated pages, the image) into `domid`'s grant `ref` at
 * `offset` / out of it into `buf`. offset + len must stay within the
 * granted page; `buf` may cross pages (split into segments). Returns 0 or
 * a negative Xen errno: a failed segment's GNTST_* status is mapped by
 * gk_gnttab_status_errno().
 */
int gk_gnttab_copy_to_ref(domid_t domid, grant_ref_t ref, uint16_t offset,
                          const void *buf, uint16_t len);
int gk_gnttab_copy_from_ref(domid_t domid, grant_ref_t ref, uint16_t offset,
                            void *buf, uint16_t len);

/*
 * Xen errno for a GNTST_* status: okay 0, bad_domain -ESRCH, bad_gntref and
 * bad_copy_arg -EINVAL, permission_denied -EPERM, bad_page -EFAULT,
 * eagain -EAGAIN, anything else -EIO.
 */
int gk_gnttab_status_errno(int16_t status);

/* Text of a GNTST_* status ("permission denied", ...). */
const char *gk_gnttab_strerror(int16_t status);

#endif /* PVISOR_GUEST_KIT_GNTTAB_H */
