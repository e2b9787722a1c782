// SPDX-License-Identifier: MIT
/* hv_gnttab.c: grant tables v1: frames, GNTTABOP_copy, dom0 mapping pins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/grant_table.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"

#define ENTRIES_PER_FRAME (HV_PAGE_SIZE / sizeof(struct grant_entry_v1))
#define COPY_BATCH_MAX    256

static uint64_t priv_gpfn(unsigned i)
{
    return (HV_PRIV_GPA >> HV_PAGE_SHIFT) + HV_PRIV_GNT + i;
}

bool hv_gnttab_is_priv_frame(struct hv_domain *d, uint64_t gpfn)
{
    return gpfn >= priv_gpfn(0) && gpfn < priv_gpfn(HV_GNT_MAX_FRAMES);
}

void hv_gnttab_fini(struct hv_domain *d)
{
    free(d->gnt_active);
    d->gnt_active = NULL;
    d->gnt_frames = 0;
    memset(d->gnt_frame_gpa, 0, sizeof(d->gnt_frame_gpa));
}

/* The shared entry for ref, or NULL if ref is outside the table. The
 * entry lives in guest-writable memory: read it atomically, trust nothing.
 * d->lock held. */
static struct grant_entry_v1 *entry(struct hv_domain *d, uint32_t ref)
{
    unsigned f = ref / ENTRIES_PER_FRAME;
    uint8_t *page;

    if (f >= d->gnt_frames)
        return NULL;
    if (d->gnt_frame_gpa[f])
        page = d->mem + d->gnt_frame_gpa[f];
    else
        page = d->priv + (HV_PRIV_GNT + f) * HV_PAGE_SIZE;
    return (struct grant_entry_v1 *)page + ref % ENTRIES_PER_FRAME;
}

static int ensure_active(struct hv_domain *d)
{
    if (!d->gnt_active)
        d->gnt_active = calloc(HV_GNT_MAX_FRAMES * ENTRIES_PER_FRAME,
                               sizeof(*d->gnt_active));
    return d->gnt_active ? 0 : -ENOMEM;
}

/*
 * Pin ref for 'grantee' (reading, and writing if wr): the entry must permit
 * access to grantee and not be read-only for a write. Sets GTF_reading /
 * GTF_writing with compare-and-swap so a guest ending access concurrently
 * either wins (we fail) or sees the bits (it fails). Returns the frame in
 * *frame (validated against d's RAM) or a GNTST_* error. d->lock held.
 */
/* pin(): the ref is pinned UINT16_MAX times already (a GNTST_* for
 * guests: GNTST_general_error). */
#define PIN_FULL (-100)

static int pin(struct hv_domain *d, uint32_t ref, uint32_t grantee, bool wr,
               uint64_t *frame)
{
    struct grant_entry_v1 *e = entry(d, ref);
    uint32_t *word;
    uint32_t old, nw;
    int tries = 0;

    if (!e || ensure_active(d))
        return GNTST_bad_gntref;
    /* The counters saturate rather than wrap (a wrapped count would
     * clear GTF_reading/GTF_writing while mappings remain). */
    if (d->gnt_active[ref].rd == UINT16_MAX ||
        (wr && d->gnt_active[ref].wr == UINT16_MAX))
        return PIN_FULL;
    word = (uint32_t *)e; /* flags (low 16) | domid (high 16) */
    old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    for (;;) {
        uint16_t flags = old & 0xffff, dom = old >> 16;
        if ((flags & GTF_type_mask) != GTF_permit_access || dom != grantee)
            return GNTST_permission_denied;
        if (wr && (flags & GTF_readonly))
            return GNTST_permission_denied;
        nw = old | GTF_reading | (wr ? GTF_writing : 0);
        if (__atomic_compare_exchange_n(word, &old, nw, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            break;
        if (++tries > 16)
            return GNTST_general_error; /* the guest keeps changing it */
    }
    *frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
    d->gnt_active[ref].rd++;
    if (wr)
        d->gnt_active[ref].wr++;
    if (*frame >= d->mem_size / HV_PAGE_SIZE) {
        /* Undo: the frame is not this domain's RAM. */
        d->gnt_active[ref].rd--;
        if (wr)
            d->gnt_active[ref].wr--;
        if (!d->gnt_active[ref].rd)
            __atomic_fetch_and(word, ~(uint32_t)GTF_reading, __ATOMIC_ACQ_REL);
        if (wr && !d->gnt_active[ref].wr)
            __atomic_fetch_and(word, ~(uint32_t)GTF_writing, __ATOMIC_ACQ_REL);
        return GNTST_bad_page;
    }
    return GNTST_okay;
}

static void unpin(struct hv_domain *d, uint32_t ref, bool wr)
{
    struct grant_entry_v1 *e = entry(d, ref);
    uint32_t *word;

    if (!e || !d->gnt_active || !d->gnt_active[ref].rd)
        return;
    word = (uint32_t *)e;
    if (wr && d->gnt_active[ref].wr && --d->gnt_active[ref].wr == 0)
        __atomic_fetch_and(word, ~(uint32_t)GTF_writing, __ATOMIC_ACQ_REL);
    if (--d->gnt_active[ref].rd == 0)
        __atomic_fetch_and(word, ~(uint32_t)GTF_reading, __ATOMIC_ACQ_REL);
}

int hv_gnttab_dom0_map(struct hv_domain *d, const uint32_t *refs, size_t n,
                       bool writable, uint64_t *frames, char *err,
                       size_t errlen)
{
    size_t i;
    int st = GNTST_okay;

    pthread_mutex_lock(&d->lock);
    for (i = 0; i < n; i++) {
        st = pin(d, refs[i], 0, writable, &frames[i]);
        if (st != GNTST_okay)
            break;
    }
    if (st != GNTST_okay) {
        for (size_t k = 0; k < i; k++)
            unpin(d, refs[k], writable);
        pthread_mutex_unlock(&d->lock);
        snprintf(err, errlen, "d%u: grant ref %u: %s", d->domid, refs[i],
                 st == GNTST_bad_gntref ? "beyond the grant table"
                 : st == GNTST_bad_page ? "frame outside the domain's memory"
                 : st == GNTST_permission_denied
                     ? (writable ? "not granted to domain 0 for writing"
                                 : "not granted to domain 0")
                 : st == PIN_FULL ? "mapped 65535 times already (the limit "
                                    "per ref)"
                                  : "entry keeps changing");
        return st == GNTST_bad_gntref ? -EINVAL
               : st == PIN_FULL       ? -EBUSY
                                      : -EPERM;
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void hv_gnttab_dom0_unmap(struct hv_domain *d, const uint32_t *refs, size_t n,
                          bool writable)
{
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < n; i++)
        unpin(d, refs[i], writable);
    pthread_mutex_unlock(&d->lock);
}

int hv_gnttab_add_to_physmap(struct hv_domain *d, uint64_t idx, uint64_t gpfn)
{
    if (idx >= HV_GNT_MAX_FRAMES ||
        !hv_gpa_range_ok(d->mem_size, gpfn << HV_PAGE_SHIFT, HV_PAGE_SIZE))
        return -XEN_EINVAL;
    pthread_mutex_lock(&d->lock);
    d->gnt_frame_gpa[idx] = gpfn << HV_PAGE_SHIFT;
    if (d->gnt_frames <= idx)
        d->gnt_frames = (unsigned)idx + 1;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static long setup_table(struct hv_vcpu *v, uint64_t arg)
{
    struct hv_domain *d = v->d;
    struct gnttab_setup_table st;
    int rc;

    rc = hv_copy_from_guest(v, &st, arg, sizeof(st));
    if (rc)
        return rc;
    if (st.dom != DOMID_SELF && st.dom != d->domid) {
        st.status = GNTST_permission_denied;
    } else if (st.nr_frames > HV_GNT_MAX_FRAMES) {
        st.status = GNTST_general_error;
    } else {
        st.status = GNTST_okay;
        for (uint32_t i = 0; i < st.nr_frames; i++) {
            uint64_t f =
                d->gnt_frame_gpa[i] ? d->gnt_frame_gpa[i] >> 12 : priv_gpfn(i);
            rc = hv_copy_to_guest(v, st.frame_list + i * sizeof(f), &f,
                                  sizeof(f));
            if (rc)
                return rc;
        }
        pthread_mutex_lock(&d->lock);
        if (d->gnt_frames < st.nr_frames)
            d->gnt_frames = st.nr_frames;
        pthread_mutex_unlock(&d->lock);
    }
    return hv_copy_to_guest(v, arg, &st, sizeof(st));
}

static long query_size(struct hv_vcpu *v, uint64_t arg)
{
    struct gnttab_query_size q;
    int rc = hv_copy_from_guest(v, &q, arg, sizeof(q));

    if (rc)
        return rc;
    if (q.dom != DOMID_SELF && q.dom != v->d->domid) {
        q.status = GNTST_permission_denied;
    } else {
        q.nr_frames = v->d->gnt_frames;
        q.max_nr_frames = HV_GNT_MAX_FRAMES;
        q.status = GNTST_okay;
    }
    return hv_copy_to_guest(v, arg, &q, sizeof(q));
}

/* One side of a copy: a granted ref of dom, or the caller's own frame. */
struct copy_end {
    struct hv_domain *d;
    uint32_t ref;
    bool is_ref;
    bool wr;
    uint64_t frame;
};

static int16_t copy_resolve(struct hv_vcpu *v, const struct gnttab_copy_ptr *p,
                            bool is_ref, bool wr, struct copy_end *ce)
{
    struct hv_domain *self = v->d;
    uint32_t dom = p->domid == DOMID_SELF ? self->domid : p->domid;

    ce->is_ref = is_ref;
    ce->wr = wr;
    if (!is_ref) {
        if (dom != self->domid)
            return GNTST_permission_denied;
        if (p->u.gmfn >= self->mem_size / HV_PAGE_SIZE)
            return GNTST_bad_page;
        ce->d = self;
        ce->frame = p->u.gmfn;
        return GNTST_okay;
    }
    ce->d = dom == self->domid ? self : hv_domain_find(dom);
    if (!ce->d || !ce->d->built)
        return GNTST_bad_domain;
    ce->ref = p->u.ref;
    pthread_mutex_lock(&ce->d->lock);
    int st = pin(ce->d, ce->ref, self->domid, wr, &ce->frame);

    if (st == PIN_FULL)
        st = GNTST_general_error;
    pthread_mutex_unlock(&ce->d->lock);
    return st;
}

static void copy_release(struct copy_end *ce)
{
    if (!ce->is_ref || !ce->d)
        return;
    pthread_mutex_lock(&ce->d->lock);
    unpin(ce->d, ce->ref, ce->wr);
    pthread_mutex_unlock(&ce->d->lock);
}

static int16_t copy_one(struct hv_vcpu *v, const struct gnttab_copy *c)
{
    struct copy_end src = { 0 }, dst = { 0 };
    int16_t st;

    if ((uint32_t)c->source.offset + c->len > HV_PAGE_SIZE ||
        (uint32_t)c->dest.offset + c->len > HV_PAGE_SIZE)
        return GNTST_bad_copy_arg;
    st = copy_resolve(v, &c->source, c->flags & GNTCOPY_source_gref, false,
                      &src);
    if (st != GNTST_okay)
        return st;
    st = copy_resolve(v, &c->dest, c->flags & GNTCOPY_dest_gref, true, &dst);
    if (st == GNTST_okay)
        memmove(dst.d->mem + dst.frame * HV_PAGE_SIZE + c->dest.offset,
                src.d->mem + src.frame * HV_PAGE_SIZE + c->source.offset,
                c->len);
    if (st == GNTST_okay)
        copy_release(&dst);
    copy_release(&src);
    return st;
}

static long grant_copy(struct hv_vcpu *v, uint64_t arg, uint64_t count)
{
    if (count > COPY_BATCH_MAX)
        return -XEN_EINVAL;
    /* Other domains stay alive while we touch their memory. */
    hv_domains_rdlock();
    for (uint64_t i = 0; i < count; i++) {
        struct gnttab_copy c;
        uint64_t a = arg + i * sizeof(c);
        int rc = hv_copy_from_guest(v, &c, a, sizeof(c));
        if (rc) {
            hv_domains_unlock();
            return rc;
        }
        c.status = copy_one(v, &c);
        rc = hv_copy_to_guest(v, a + offsetof(struct gnttab_copy, status),
                              &c.status, sizeof(c.status));
        if (rc) {
            hv_domains_unlock();
            return rc;
        }
    }
    hv_domains_unlock();
    return 0;
}

/*
 * GNTTABOP_dump_table: Xen prints the table on its console; pvisor logs
 * the entries in use (at most 32 lines) and their count. GRUB calls it.
 */
static long dump_table(struct hv_vcpu *v, uint64_t arg)
{
    struct hv_domain *d = v->d;
    struct gnttab_dump_table dt;
    unsigned used = 0, shown = 0;
    int rc = hv_copy_from_guest(v, &dt, arg, sizeof(dt));

    if (rc)
        return rc;
    if (dt.dom != DOMID_SELF && dt.dom != d->domid) {
        dt.status = GNTST_permission_denied;
        return hv_copy_to_guest(v, arg, &dt, sizeof(dt));
    }
    pthread_mutex_lock(&d->lock);
    for (uint32_t ref = 0; ref < d->gnt_frames * ENTRIES_PER_FRAME; ref++) {
        const struct grant_entry_v1 *e = entry(d, ref);
        uint32_t word = __atomic_load_n((const uint32_t *)e, __ATOMIC_RELAXED);
        uint32_t frame = __atomic_load_n(&e->frame, __ATOMIC_RELAXED);

        if (!(word & 0xffff))
            continue;
        used++;
        if (shown++ < 32)
            log_info("d%u: grant ref %u: flags 0x%x dom %u frame 0x%x",
                     d->domid, ref, word & 0xffff, word >> 16, frame);
    }
    log_info("d%u: grant table: %u frames, %u entries in use", d->domid,
             d->gnt_frames, used);
    pthread_mutex_unlock(&d->lock);
    dt.status = GNTST_okay;
    return hv_copy_to_guest(v, arg, &dt, sizeof(dt));
}

long hv_do_grant_table_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg,
                          uint64_t count, uint64_t a4, uint64_t a5)
{
    switch (cmd) {
    case GNTTABOP_setup_table:
        if (count != 1)
            return -XEN_EINVAL;
        return setup_table(v, arg);
    case GNTTABOP_query_size:
        if (count != 1)
            return -XEN_EINVAL;
        return query_size(v, arg);
    case GNTTABOP_copy:
        return grant_copy(v, arg, count);
    case GNTTABOP_dump_table:
        if (count != 1)
            return -XEN_EINVAL;
        return dump_table(v, arg);
    case GNTTABOP_get_version: {
        struct gnttab_get_version gv;
        int rc = hv_copy_from_guest(v, &gv, arg, sizeof(gv));
        if (rc)
            return rc;
        gv.version = 1;
        return hv_copy_to_guest(v, arg, &gv, sizeof(gv));
    }
    case GNTTABOP_set_version: {
        struct gnttab_set_version sv;
        int rc = hv_copy_from_guest(v, &sv, arg, sizeof(sv));
        if (rc)
            return rc;
        if (sv.version != 1)
            return -XEN_EINVAL; /* only v1 is provided */
        return 0;
    }
    default:
        return -XEN_ENOSYS;
    }
}
