/* SPDX-License-Identifier: MIT */
/* gnttab.c: grant table v1 set-up, grant/end access, free refs, copies. */
#include <guestkit/guestkit.h>
#include <guestkit/gnttab.h>

#include <pvabi/memory.h>

#define ENTRIES_PER_FRAME (GK_PAGE_SIZE / sizeof(struct grant_entry_v1))
#define COPY_BATCH        256
#define REF_END           0xffffffffU /* end of the free list */
#define REF_USED          0xfffffffeU /* next_free[] of an allocated ref */

/*
 * Where the table lives. By default guest-kit takes a naturally aligned run
 * of GK_GNTTAB_FRAMES pages from the page allocator and makes them the
 * table frames with XENMEM_add_to_physmap(XENMAPSPACE_grant_table, i,
 * pfn): the pages are already mapped (all RAM is, at the base), so no page
 * table changes and no TLB flush are involved, and no RAM is lost. A
 * GNTTABOP_setup_table afterwards must report exactly those frames.
 *
 * `gk.gnttab=map` on the command line selects Xen's classic PV path
 * instead: GNTTABOP_setup_table returns frames in pvisor's own area
 * (guest-physical 0x4000000000 and up, outside RAM) and each page of the
 * run is re-pointed at one of them with update_va_mapping (the RAM behind
 * the run stays allocated and unreachable). Under the PVM flavour of KVM
 * the remap does not reach a translation the vCPU has already cached (the
 * run was just zeroed through it), so guest-kit checks the remap with a
 * canary and falls back to add_to_physmap when it does not show.
 */
#define CANARY 0x676b2d636e617279ULL /* "gk-canary" */

static struct grant_entry_v1 *table;
static const char *mode_name = "none";
static unsigned int nr_entries;
static int init_rc = -XEN_ENODEV;
static int initialised;

/* Free refs: a singly linked list threaded through next_free[]. */
static uint32_t *next_free;
static uint32_t free_head = REF_END;
static unsigned int nr_free;
static gk_spinlock_t ref_lock = GK_SPINLOCK_INIT;

/* Point the run at `frames`; -XEN_EIO if the new mapping does not show. */
static int map_frames(void *va, const xen_pfn_t *frames, unsigned int n)
{
    volatile uint64_t *w = va;
    int rc = 0;
    unsigned int i;

    for (i = 0; i < n; i++)
        w[i * (GK_PAGE_SIZE / 8)] = CANARY;
    for (i = 0; i < n && rc == 0; i++) {
        unsigned long a = (unsigned long)va + i * GK_PAGE_SIZE;

        rc = gk_map_page(a, frames[i], GK_PTE_DEFAULT);
        if (rc == 0 && w[i * (GK_PAGE_SIZE / 8)] == CANARY)
            rc = -XEN_EIO; /* still the RAM page: stale translation */
    }
    if (rc < 0) {
        /* Put the pages we moved back on their RAM. */
        for (unsigned int k = 0; k < i; k++) {
            unsigned long b = (unsigned long)va + k * GK_PAGE_SIZE;

            gk_map_page(b, gk_virt_to_pfn((void *)b), GK_PTE_DEFAULT);
        }
    }
    return rc;
}

static int physmap_frames(void *va, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        struct xen_add_to_physmap x = {
            .domid = DOMID_SELF,
            .space = XENMAPSPACE_grant_table,
            .idx = i,
            .gpfn = gk_virt_to_pfn(va) + i,
        };
        long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);

        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

static int setup(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    struct gnttab_setup_table st = { .dom = DOMID_SELF };
    xen_pfn_t frames[GK_GNTTAB_FRAMES];
    unsigned int n = GK_GNTTAB_FRAMES, order = 0;
    char mode[16];
    void *va;
    long rc;

    rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
    if (rc < 0)
        return (int)rc;
    if (q.status != GNTST_okay)
        return -XEN_EPERM;
    if (q.max_nr_frames && n > q.max_nr_frames)
        n = q.max_nr_frames;
    while ((1U << order) < n)
        order++;
    va = gk_alloc_pages(order);
    if (!va)
        return -XEN_ENOMEM;
    st.nr_frames = n;
    st.frame_list = (uint64_t)(uintptr_t)frames;
    rc = -XEN_EINVAL;
    if (gk_cmdline_get("gk.gnttab", mode, sizeof(mode)) >= 0 &&
        strcmp(mode, "map") == 0) {
        rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
        if (rc == 0 && st.status != GNTST_okay)
            rc = -XEN_EINVAL;
        if (rc == 0)
            rc = map_frames(va, frames, n);
        if (rc == 0)
            mode_name = "map";
    }
    if (rc < 0) {
        rc = physmap_frames(va, n);
        if (rc == 0)
            rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
        for (unsigned int i = 0; rc == 0 && i < n; i++)
            if (st.status != GNTST_okay || frames[i] != gk_virt_to_pfn(va) + i)
                rc = -XEN_EINVAL;
        if (rc == 0)
            mode_name = "physmap";
    }
    if (rc < 0) {
        mode_name = "none";
        gk_free_pages(va, order);
        return (int)rc;
    }
    next_free = gk_calloc(n * ENTRIES_PER_FRAME, sizeof(*next_free));
    if (!next_free)
        return -XEN_ENOMEM; /* the table stays mapped; unused */
    table = va;
    nr_entries = n * ENTRIES_PER_FRAME;
    /*
     * A restarted domain gets its old frames back: clear every entry we
     * hand out. The reserved ones belong to the toolstack.
     */
    memset(&table[GNTTAB_NR_RESERVED_ENTRIES], 0,
           (nr_entries - GNTTAB_NR_RESERVED_ENTRIES) * sizeof(*table));
    for (uint32_t r = nr_entries - 1; r >= GNTTAB_NR_RESERVED_ENTRIES; r--) {
        next_free[r] = free_head;
        free_head = r;
    }
    nr_free = nr_entries - GNTTAB_NR_RESERVED_ENTRIES;
    return 0;
}

int gk_gnttab_init(void)
{
    if (!initialised) {
        initialised = 1;
        init_rc = setup();
        if (init_rc < 0)
            gk_printf("guest-kit: grant table not available (%d)\n", init_rc);
    }
    return init_rc;
}

const char *gk_gnttab_mode(void)
{
    return mode_name;
}

unsigned int gk_gnttab_nr_entries(void)
{
    return table ? nr_entries : 0;
}

int gk_gnttab_alloc_ref(void)
{
    unsigned long flags;
    int ref = -XEN_ENOSPC;

    if (!table)
        return -XEN_ENODEV;
    flags = gk_spin_lock_irqsave(&ref_lock);
    if (free_head != REF_END) {
        ref = (int)free_head;
        free_head = next_free[free_head];
        next_free[ref] = REF_USED;
        nr_free--;
    }
    gk_spin_unlock_irqrestore(&ref_lock, flags);
    return ref;
}

void gk_gnttab_free_ref(grant_ref_t ref)
{
    unsigned long flags;

    if (!table || ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries)
        return;
    flags = gk_spin_lock_irqsave(&ref_lock);
    if (next_free[ref] == REF_USED) { /* ignore a double free */
        next_free[ref] = free_head;
        free_head = ref;
        nr_free++;
    }
    gk_spin_unlock_irqrestore(&ref_lock, flags);
}

int gk_gnttab_grant_ref(grant_ref_t ref, domid_t domid, uint64_t pfn,
                        int readonly)
{
    struct grant_entry_v1 *e;

    if (!table)
        return -XEN_ENODEV;
    if (ref >= nr_entries || pfn > 0xffffffffULL)
        return -XEN_EINVAL;
    e = &table[ref];
    e->frame = (uint32_t)pfn;
    e->domid = domid;
    /* The peer must never see a valid type before the frame and domid. */
    gk_wmb();
    __atomic_store_n(
        &e->flags,
        (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
        __ATOMIC_RELEASE);
    return 0;
}

int gk_grant_access(domid_t domid, uint64_t pfn, int readonly)
{
    int ref = gk_gnttab_alloc_ref();
    int rc;

    if (ref < 0)
        return ref;
    rc = gk_gnttab_grant_ref((grant_ref_t)ref, domid, pfn, readonly);
    if (rc < 0) {
        gk_gnttab_free_ref((grant_ref_t)ref);
        return rc;
    }
    return ref;
}

int gk_end_access(grant_ref_t ref)
{
    uint16_t *pflags, old;

    if (!table)
        return -XEN_ENODEV;
    if (ref >= nr_entries)
        return -XEN_EINVAL;
    pflags = &table[ref].flags;
    old = __atomic_load_n(pflags, __ATOMIC_ACQUIRE);
    /*
     * The hypervisor sets GTF_reading/GTF_writing with a compare-and-swap
     * on the same word while the peer uses the frame; swapping the flags
     * to 0 only from a value without those bits means either it saw our 0
     * (and fails the peer) or we see its bits (and report busy).
     */
    do {
        if (old & (GTF_reading | GTF_writing))
            return -XEN_EBUSY;
    } while (!__atomic_compare_exchange_n(pflags, &old, 0, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    if (ref >= GNTTAB_NR_RESERVED_ENTRIES)
        gk_gnttab_free_ref(ref);
    return 0;
}

uint16_t gk_gnttab_flags(grant_ref_t ref)
{
    if (!table || ref >= nr_entries)
        return 0;
    return __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE);
}

struct grant_entry_v1 *gk_gnttab_entry(grant_ref_t ref)
{
    return table && ref < nr_entries ? &table[ref] : NULL;
}

int gk_gnttab_copy(struct gnttab_copy *segs, unsigned int n)
{
    int bad = 0;

    while (n) {
        unsigned int k = n < COPY_BATCH ? n : COPY_BATCH;
        long rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, segs, k);

        if (rc < 0)
            return (int)rc;
        for (unsigned int i = 0; i < k; i++)
            if (segs[i].status != GNTST_okay)
                bad = 1;
        segs += k;
        n -= k;
    }
    return bad ? -XEN_EIO : 0;
}

int gk_gnttab_status_errno(int16_t status)
{
    switch (status) {
    case GNTST_okay:
        return 0;
    case GNTST_bad_domain:
        return -XEN_ESRCH;
    case GNTST_bad_gntref:
    case GNTST_bad_copy_arg:
        return -XEN_EINVAL;
    case GNTST_permission_denied:
        return -XEN_EPERM;
    case GNTST_bad_page:
        return -XEN_EFAULT;
    case GNTST_eagain:
        return -XEN_EAGAIN;
    default:
        return -XEN_EIO;
    }
}

/* Copy between `buf` and (domid, ref, offset); to_ref picks the direction. */
static int copy_ref(domid_t domid, grant_ref_t ref, uint16_t offset,
                    uintptr_t buf, uint16_t len, int to_ref)
{
    struct gnttab_copy segs[2]; /* len <= 4096: at most two pages */
    unsigned int n = 0;
    uint32_t done = 0;
    int rc;

    if ((uint32_t)offset + len > GK_PAGE_SIZE)
        return -XEN_EINVAL;
    while (done < len) {
        uintptr_t a = buf + done;
        uint32_t in_page = GK_PAGE_SIZE - (a & (GK_PAGE_SIZE - 1));
        uint32_t chunk = len - done < in_page ? len - done : in_page;
        struct gnttab_copy_ptr local = {
            .u.gmfn = gk_virt_to_pfn((void *)a),
            .domid = DOMID_SELF,
            .offset = (uint16_t)(a & (GK_PAGE_SIZE - 1)),
        };
        struct gnttab_copy_ptr remote = {
            .u.ref = ref,
            .domid = domid,
            .offset = (uint16_t)(offset + done),
        };

        memset(&segs[n], 0, sizeof(segs[n]));
        segs[n].source = to_ref ? local : remote;
        segs[n].dest = to_ref ? remote : local;
        segs[n].len = (uint16_t)chunk;
        segs[n].flags = to_ref ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
        n++;
        done += chunk;
    }
    rc = gk_gnttab_copy(segs, n);
    if (rc == -XEN_EIO) {
        for (unsigned int i = 0; i < n; i++)
            if (segs[i].status != GNTST_okay)
                return gk_gnttab_status_errno(segs[i].status);
    }
    return rc;
}

int gk_gnttab_copy_to_ref(domid_t domid, grant_ref_t ref, uint16_t offset,
                          const void *buf, uint16_t len)
{
    return copy_ref(domid, ref, offset, (uintptr_t)buf, len, 1);
}

int gk_gnttab_copy_from_ref(domid_t domid, grant_ref_t ref, uint16_t offset,
                            void *buf, uint16_t len)
{
    return copy_ref(domid, ref, offset, (uintptr_t)buf, len, 0);
}

const char *gk_gnttab_strerror(int16_t status)
{
    static const char *const msgs[] = GNTTABOP_error_msgs;
    int i = -status;

    if (i < 0 || i >= (int)GK_ARRAY_SIZE(msgs))
        return "unknown grant status";
    return msgs[i];
}
