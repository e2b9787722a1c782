// SPDX-License-Identifier: MIT
/* hv_balloon.c: guest pages given back to the host and taken again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pvabi/errno.h>
#include <pvabi/memory.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_guestmem.h"
#include "hv_obs.h"

#define BATCH 256 /* pfns copied from the guest at a time */

/*
 * The guest's own pages: all of its RAM but the shared_info page, which
 * the builder puts last, outside start_info.nr_pages (Xen's shared_info
 * is not the guest's memory either). So the balloon's count is the one
 * the guest sees, and the shared_info page can never be given back.
 */
static uint64_t nr_pages(struct hv_domain *d)
{
    uint64_t n = d->mem_size / HV_PAGE_SIZE;

    return d->built && d->shared_info_gpa == d->mem_size - HV_PAGE_SIZE ? n - 1
                                                                        : n;
}

static bool given_back(struct hv_domain *d, uint64_t pfn)
{
    return d->balloon_map && (d->balloon_map[pfn / 64] >> (pfn % 64)) & 1;
}

/* The page's host memory goes back to the host: punch it out of the RAM
 * file (the mapping then reads zeros, and a later touch gets a new page). */
static int release_page(struct hv_domain *d, uint64_t pfn)
{
    off_t off = (off_t)(pfn * HV_PAGE_SIZE);

    if (fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
                  (off_t)HV_PAGE_SIZE) == 0)
        return 0;
    /* A RAM file that cannot punch: at least drop the contents. */
    if (madvise(d->mem + off, HV_PAGE_SIZE, MADV_REMOVE) == 0)
        return 0;
    return -errno;
}

static long read_reservation(struct hv_vcpu *v, uint64_t arg,
                             struct xen_memory_reservation *r)
{
    long rc = hv_copy_from_guest(v, r, arg, sizeof(*r));

    if (rc)
        return rc;
    if (r->domid != DOMID_SELF && r->domid != v->d->domid)
        return -XEN_EPERM;
    if (r->extent_order != 0)
        return -XEN_EINVAL; /* 4 KiB pages only */
    return 0;
}

long hv_balloon_decrease(struct hv_vcpu *v, uint64_t arg)
{
    struct hv_domain *d = v->d;
    struct xen_memory_reservation r;
    xen_pfn_t pfns[BATCH];
    uint64_t done = 0;
    long rc = read_reservation(v, arg, &r);

    if (rc)
        return rc;
    while (done < r.nr_extents) {
        uint64_t n = r.nr_extents - done < BATCH ? r.nr_extents - done : BATCH;
        if (hv_copy_from_guest(v, pfns, r.extent_start + done * sizeof(*pfns),
                               n * sizeof(*pfns)))
            return done ? (long)done : -XEN_EFAULT;
        pthread_mutex_lock(&d->lock);
        if (!d->balloon_map)
            d->balloon_map = calloc((nr_pages(d) + 63) / 64, sizeof(uint64_t));
        for (uint64_t i = 0; i < n; i++) {
            uint64_t pfn = pfns[i];
            if (!d->balloon_map || pfn >= nr_pages(d) || given_back(d, pfn) ||
                pfn * HV_PAGE_SIZE == d->shared_info_gpa ||
                release_page(d, pfn) != 0) {
                pthread_mutex_unlock(&d->lock);
                return (long)done;
            }
            d->balloon_map[pfn / 64] |= 1ULL << (pfn % 64);
            d->ballooned++;
            done++;
        }
        pthread_mutex_unlock(&d->lock);
    }
    return (long)done;
}

long hv_balloon_populate(struct hv_vcpu *v, uint64_t arg)
{
    struct hv_domain *d = v->d;
    struct xen_memory_reservation r;
    xen_pfn_t pfns[BATCH];
    uint64_t done = 0;
    long rc = read_reservation(v, arg, &r);

    if (rc)
        return rc;
    while (done < r.nr_extents) {
        uint64_t n = r.nr_extents - done < BATCH ? r.nr_extents - done : BATCH;
        uint64_t ok = 0;
        if (hv_copy_from_guest(v, pfns, r.extent_start + done * sizeof(*pfns),
                               n * sizeof(*pfns)))
            return done ? (long)done : -XEN_EFAULT;
        pthread_mutex_lock(&d->lock);
        uint64_t max = d->max_pages ? d->max_pages : nr_pages(d);
        for (; ok < n; ok++) {
            uint64_t pfn = pfns[ok];
            /* mfn == pfn: only a page given back earlier can come back,
             * and only while the domain stays within mem-max. */
            if (pfn >= nr_pages(d) || !given_back(d, pfn) ||
                nr_pages(d) - d->ballooned + 1 > max)
                break;
            d->balloon_map[pfn / 64] &= ~(1ULL << (pfn % 64));
            d->ballooned--;
        }
        pthread_mutex_unlock(&d->lock);
        /* The frames granted are the pfns asked for. */
        if (ok && hv_copy_to_guest(v, r.extent_start + done * sizeof(*pfns),
                                   pfns, ok * sizeof(*pfns)))
            return done ? (long)done : -XEN_EFAULT;
        done += ok;
        if (ok < n)
            break;
    }
    return (long)done;
}

uint64_t hv_balloon_current_pages(struct hv_domain *d)
{
    pthread_mutex_lock(&d->lock);
    uint64_t n = nr_pages(d) - d->ballooned;
    pthread_mutex_unlock(&d->lock);
    return n;
}

uint64_t hv_balloon_max_pages(struct hv_domain *d)
{
    pthread_mutex_lock(&d->lock);
    /* Unset: the domain's memory, as it was created (a mem-set back to
     * it is a target the guest meets with every page it can hold). */
    uint64_t n = d->max_pages ? d->max_pages : d->mem_size / HV_PAGE_SIZE;
    pthread_mutex_unlock(&d->lock);
    return n;
}

int hv_balloon_set_max(struct hv_domain *d, uint64_t max_kb, char *err,
                       size_t errlen)
{
    if (max_kb > d->mem_size / 1024) {
        snprintf(err, errlen,
                 "%llu KiB is above the domain's memory (%llu KiB): pvisor "
                 "cannot grow a domain beyond the size it was created with",
                 (unsigned long long)max_kb,
                 (unsigned long long)(d->mem_size / 1024));
        return -EINVAL;
    }
    if (max_kb < 1024) {
        snprintf(err, errlen, "%llu KiB is below the 1024 KiB minimum",
                 (unsigned long long)max_kb);
        return -EINVAL;
    }
    pthread_mutex_lock(&d->lock);
    d->max_pages = max_kb / 4;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void hv_balloon_reset(struct hv_domain *d)
{
    pthread_mutex_lock(&d->lock);
    free(d->balloon_map);
    d->balloon_map = NULL;
    d->ballooned = 0;
    pthread_mutex_unlock(&d->lock);
}

void hv_balloon_fini(struct hv_domain *d)
{
    free(d->balloon_map);
    d->balloon_map = NULL;
}
