// SPDX-License-Identifier: MIT
/* test_gnttab.c: grant validation for dom0 maps and GNTTABOP_copy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/grant_table.h>
#include <pvabi/xen.h>

#include "../../hypervisor/hv_arch.h"
#include "fake_domain.h"
#include "unit.h"

#define G        FAKE_SCRATCH_GPA
#define DATA_PFN 0x20u /* a frame the guest grants */

static struct hv_domain *dom;

static struct grant_entry_v1 *gent(uint32_t ref)
{
    return (struct grant_entry_v1 *)(dom->priv + HV_PRIV_GNT * HV_PAGE_SIZE) +
           ref;
}

/* GNTTABOP_setup_table through the hypercall path. */
static int16_t setup_frames(uint32_t nr, uint64_t *frame0)
{
    struct gnttab_setup_table st = { DOMID_SELF, nr, 0, FAKE_VA(G + 0x100) };
    uint64_t frames[HV_GNT_MAX_FRAMES + 1] = { 0 };

    memcpy(fake_gpa(dom, G), &st, sizeof(st));
    long rc = fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                             GNTTABOP_setup_table, FAKE_VA(G), 1, 0, 0);
    CU_ASSERT_EQUAL(rc, 0);
    memcpy(&st, fake_gpa(dom, G), sizeof(st));
    memcpy(frames, fake_gpa(dom, G + 0x100),
           (nr <= HV_GNT_MAX_FRAMES ? nr : 0) * sizeof(uint64_t));
    if (frame0)
        *frame0 = frames[0];
    return st.status;
}

static void setup(void)
{
    dom = fake_domain_new(1, 64);
    CU_ASSERT_FATAL(dom != NULL);
    CU_ASSERT_EQUAL_FATAL(setup_frames(1, NULL), GNTST_okay);
}

static void teardown(void)
{
    fake_domain_free(dom);
    dom = NULL;
}

static void grant(uint32_t ref, uint16_t domid, uint32_t frame, uint16_t flags)
{
    struct grant_entry_v1 *e = gent(ref);
    e->frame = frame;
    e->domid = domid;
    e->flags = flags;
}

static void test_setup_table(void)
{
    uint64_t f0 = 0;

    setup();
    CU_ASSERT_EQUAL(setup_frames(2, &f0), GNTST_okay);
    /* Frames are pvisor's, outside RAM, and the guest may map them. */
    CU_ASSERT_EQUAL(f0, (HV_PRIV_GPA >> 12) + HV_PRIV_GNT);
    CU_ASSERT(hv_gnttab_is_priv_frame(dom, f0));
    CU_ASSERT_FALSE(hv_gnttab_is_priv_frame(dom, 5));
    CU_ASSERT_EQUAL(dom->gnt_frames, 2);
    CU_ASSERT_EQUAL(setup_frames(HV_GNT_MAX_FRAMES + 1, NULL),
                    GNTST_general_error);
    /* A bad frame list pointer is a fault, not a crash. */
    struct gnttab_setup_table st = { DOMID_SELF, 1, 0, 0x0000800000000000 };
    memcpy(fake_gpa(dom, G), &st, sizeof(st));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_setup_table, FAKE_VA(G), 1, 0, 0),
                    -XEN_EFAULT);
    teardown();
}

static void test_dom0_map_rules(void)
{
    static const struct {
        const char *name;
        uint16_t domid, flags;
        uint32_t frame;
        uint32_t ref;
        bool writable;
        int rc;
        const char *err;
    } cases[] = {
        { "rw grant mapped rw", 0, GTF_permit_access, DATA_PFN, 8, true, 0,
          "" },
        { "ro grant mapped ro", 0, GTF_permit_access | GTF_readonly, DATA_PFN,
          9, false, 0, "" },
        { "ro grant mapped rw", 0, GTF_permit_access | GTF_readonly, DATA_PFN,
          10, true, -EPERM,
          "d7: grant ref 10: not granted to domain 0 for writing" },
        { "granted to another domain", 5, GTF_permit_access, DATA_PFN, 11,
          false, -EPERM, "d7: grant ref 11: not granted to domain 0" },
        { "not permitted", 0, GTF_invalid, DATA_PFN, 12, false, -EPERM,
          "d7: grant ref 12: not granted to domain 0" },
        { "transfer entry", 0, GTF_accept_transfer, DATA_PFN, 13, false, -EPERM,
          "d7: grant ref 13: not granted to domain 0" },
        { "frame beyond RAM", 0, GTF_permit_access, FAKE_PAGES + 3, 14, false,
          -EPERM, "d7: grant ref 14: frame outside the domain's memory" },
        { "ref beyond the table", 0, GTF_permit_access, DATA_PFN, 512, false,
          -EINVAL, "d7: grant ref 512: beyond the grant table" },
    };

    setup();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        uint64_t frame = 0;
        uint32_t ref = cases[i].ref;
        if (ref < 512)
            grant(ref, cases[i].domid, cases[i].frame, cases[i].flags);
        int rc = hv_gnttab_dom0_map(dom, &ref, 1, cases[i].writable, &frame,
                                    err, sizeof(err));
        CU_ASSERT_EQUAL(rc, cases[i].rc);
        CU_ASSERT_STRING_EQUAL(err, cases[i].err);
        if (rc != cases[i].rc || strcmp(err, cases[i].err))
            fprintf(stderr, "\n  case '%s': rc %d err '%s'\n", cases[i].name,
                    rc, err);
        if (rc == 0) {
            uint16_t f = gent(ref)->flags;
            CU_ASSERT_EQUAL(frame, DATA_PFN);
            CU_ASSERT(f & GTF_reading);
            CU_ASSERT_EQUAL(!!(f & GTF_writing), cases[i].writable);
            hv_gnttab_dom0_unmap(dom, &ref, 1, cases[i].writable);
            f = gent(ref)->flags;
            CU_ASSERT_FALSE(f & (GTF_reading | GTF_writing));
        } else if (ref < 512) {
            /* A refused map leaves no in-use bits behind. */
            CU_ASSERT_FALSE(gent(ref)->flags & (GTF_reading | GTF_writing));
        }
    }
    teardown();
}

static void test_batch_and_pins(void)
{
    uint32_t refs[3] = { 8, 9, 10 };
    uint64_t frames[3];
    char err[256];

    setup();
    grant(8, 0, DATA_PFN, GTF_permit_access);
    grant(9, 0, DATA_PFN + 1, GTF_permit_access);
    grant(10, 4, DATA_PFN + 2, GTF_permit_access); /* not for dom0 */
    /* All or nothing: the bad third ref undoes the first two. */
    CU_ASSERT_EQUAL(
        hv_gnttab_dom0_map(dom, refs, 3, true, frames, err, sizeof(err)),
        -EPERM);
    CU_ASSERT_FALSE(gent(8)->flags & (GTF_reading | GTF_writing));
    CU_ASSERT_FALSE(gent(9)->flags & (GTF_reading | GTF_writing));

    /* Two maps of one ref: bits stay until the last unmap. */
    CU_ASSERT_EQUAL(
        hv_gnttab_dom0_map(dom, refs, 2, true, frames, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(frames[1], DATA_PFN + 1);
    CU_ASSERT_EQUAL(
        hv_gnttab_dom0_map(dom, refs, 1, false, frames, err, sizeof(err)), 0);
    hv_gnttab_dom0_unmap(dom, refs, 2, true);
    CU_ASSERT(gent(8)->flags & GTF_reading);
    CU_ASSERT_FALSE(gent(8)->flags & GTF_writing);
    CU_ASSERT_FALSE(gent(9)->flags & GTF_reading);

    /* The guest's end-access protocol (swap flags to 0 only if no in-use
     * bit is set) fails while dom0 still maps the grant. */
    uint16_t *flags = &gent(8)->flags;
    uint16_t expect = GTF_permit_access;
    CU_ASSERT_FALSE(__atomic_compare_exchange_n(
        flags, &expect, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    hv_gnttab_dom0_unmap(dom, refs, 1, false);
    expect = GTF_permit_access;
    CU_ASSERT(__atomic_compare_exchange_n(flags, &expect, 0, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    teardown();
}

/* A ref mapped 65535 times is refused, precisely, instead of wrapping its
 * pin count (which would let the guest end access while it is mapped). */
static void test_pin_saturates(void)
{
    uint32_t ref = 8;
    uint64_t frame;
    char err[256] = "";

    setup();
    grant(ref, 0, DATA_PFN, GTF_permit_access);
    for (unsigned i = 0; i < UINT16_MAX; i++)
        if (hv_gnttab_dom0_map(dom, &ref, 1, true, &frame, err, sizeof(err)))
            break;
    CU_ASSERT_EQUAL(
        hv_gnttab_dom0_map(dom, &ref, 1, false, &frame, err, sizeof(err)),
        -EBUSY);
    CU_ASSERT(strstr(err, "65535") != NULL);
    /* Still mapped 65535 times: the bits stay until the last unmap. */
    for (unsigned i = 0; i < UINT16_MAX - 1; i++)
        hv_gnttab_dom0_unmap(dom, &ref, 1, true);
    CU_ASSERT(gent(ref)->flags & GTF_writing);
    hv_gnttab_dom0_unmap(dom, &ref, 1, true);
    CU_ASSERT_FALSE(gent(ref)->flags & (GTF_reading | GTF_writing));
    teardown();
}

/* One GNTTABOP_copy segment through the hypercall; returns its status. */
static int16_t copy1(struct gnttab_copy *c)
{
    memcpy(fake_gpa(dom, G), c, sizeof(*c));
    long rc = fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                             GNTTABOP_copy, FAKE_VA(G), 1, 0, 0);
    CU_ASSERT_EQUAL(rc, 0);
    memcpy(c, fake_gpa(dom, G), sizeof(*c));
    return c->status;
}

static void test_copy(void)
{
    struct gnttab_copy c;

    setup();
    memcpy(fake_gpa(dom, DATA_PFN * 4096ULL + 100), "granted bytes", 14);
    grant(8, FAKE_DOMID, DATA_PFN, GTF_permit_access | GTF_readonly);
    grant(9, FAKE_DOMID, DATA_PFN + 1, GTF_permit_access);

    /* ref (read-only, granted to ourselves) -> our own frame */
    memset(&c, 0, sizeof(c));
    c.source.u.ref = 8;
    c.source.domid = DOMID_SELF;
    c.source.offset = 100;
    c.dest.u.gmfn = DATA_PFN + 2;
    c.dest.domid = DOMID_SELF;
    c.dest.offset = 7;
    c.len = 14;
    c.flags = GNTCOPY_source_gref;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_okay);
    CU_ASSERT_STRING_EQUAL((char *)fake_gpa(dom, (DATA_PFN + 2) * 4096ULL + 7),
                           "granted bytes");
    CU_ASSERT_FALSE(gent(8)->flags & (GTF_reading | GTF_writing));

    /* Writing through a read-only grant is refused. */
    c.flags = GNTCOPY_dest_gref;
    c.dest.u.ref = 8;
    c.source.u.gmfn = DATA_PFN + 2;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_permission_denied);
    /* Crossing the end of a page. */
    c.dest.u.ref = 9;
    c.dest.offset = 4090;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_bad_copy_arg);
    /* Unknown domain. */
    c.dest.offset = 0;
    c.dest.domid = 99;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_bad_domain);
    /* A frame that is not ours. */
    c.flags = 0;
    c.dest.domid = DOMID_SELF;
    c.dest.u.gmfn = FAKE_PAGES + 10;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_bad_page);
    /* Ref beyond the table. */
    c.flags = GNTCOPY_source_gref;
    c.source.u.ref = 4000;
    c.source.domid = DOMID_SELF;
    c.dest.u.gmfn = DATA_PFN + 2;
    CU_ASSERT_EQUAL(copy1(&c), GNTST_bad_gntref);
    /* Too many segments at once. */
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_copy, FAKE_VA(G), 100000, 0, 0),
                    -XEN_EINVAL);
    teardown();
}

static void test_query_and_version(void)
{
    struct gnttab_query_size q = { DOMID_SELF, 0, 0, 0 };

    setup();
    memcpy(fake_gpa(dom, G), &q, sizeof(q));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_query_size, FAKE_VA(G), 1, 0, 0),
                    0);
    memcpy(&q, fake_gpa(dom, G), sizeof(q));
    CU_ASSERT_EQUAL(q.status, GNTST_okay);
    CU_ASSERT_EQUAL(q.nr_frames, 1);
    CU_ASSERT_EQUAL(q.max_nr_frames, HV_GNT_MAX_FRAMES);
    struct gnttab_set_version sv = { 2 };
    memcpy(fake_gpa(dom, G), &sv, sizeof(sv));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_set_version, FAKE_VA(G), 1, 0, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_map_grant_ref, FAKE_VA(G), 1, 0, 0),
                    -XEN_ENOSYS);
    /* add_to_physmap moves frame 0 into guest RAM. */
    CU_ASSERT_EQUAL(hv_gnttab_add_to_physmap(dom, 0, DATA_PFN + 5), 0);
    CU_ASSERT_EQUAL(hv_gnttab_add_to_physmap(dom, 0, FAKE_PAGES + 1),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(hv_gnttab_add_to_physmap(dom, 99, DATA_PFN), -XEN_EINVAL);
    struct grant_entry_v1 *ram = fake_gpa(dom, (DATA_PFN + 5) * 4096ULL);
    ram[3].frame = DATA_PFN;
    ram[3].domid = 0;
    ram[3].flags = GTF_permit_access;
    uint32_t ref = 3;
    uint64_t frame;
    char err[128];
    CU_ASSERT_EQUAL(
        hv_gnttab_dom0_map(dom, &ref, 1, false, &frame, err, sizeof(err)), 0);
    CU_ASSERT(ram[3].flags & GTF_reading);
    hv_gnttab_dom0_unmap(dom, &ref, 1, false);
    teardown();
}

/* GNTTABOP_dump_table (GRUB calls it): status okay for itself only. */
static void test_dump_table(void)
{
    struct gnttab_dump_table dt = { DOMID_SELF, -1 };

    setup();
    grant(5, 0, DATA_PFN, GTF_permit_access);
    memcpy(fake_gpa(dom, G), &dt, sizeof(dt));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_dump_table, FAKE_VA(G), 1, 0, 0),
                    0);
    memcpy(&dt, fake_gpa(dom, G), sizeof(dt));
    CU_ASSERT_EQUAL(dt.status, GNTST_okay);
    dt.dom = (domid_t)(dom->domid + 1);
    memcpy(fake_gpa(dom, G), &dt, sizeof(dt));
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_dump_table, FAKE_VA(G), 1, 0, 0),
                    0);
    memcpy(&dt, fake_gpa(dom, G), sizeof(dt));
    CU_ASSERT_EQUAL(dt.status, GNTST_permission_denied);
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_dump_table, FAKE_VA(G), 2, 0, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(fake_hypercall(dom->vcpus[0], __HYPERVISOR_grant_table_op,
                                   GNTTABOP_dump_table, 0x1000, 1, 0, 0),
                    -XEN_EFAULT);
    teardown();
}

static const struct unit_test tests[] = {
    { "setup_table frames", test_setup_table },
    { "dom0 map validation", test_dom0_map_rules },
    { "batches, pins and end access", test_batch_and_pins },
    { "pin counts saturate", test_pin_saturates },
    { "GNTTABOP_copy", test_copy },
    { "query_size, versions, add_to_physmap", test_query_and_version },
    { "dump_table", test_dump_table },
    { NULL, NULL },
};

const struct unit_suite unit_suite_gnttab = {
    "gnttab",
    NULL,
    NULL,
    tests,
};
