/* SPDX-License-Identifier: MIT */
/* gnttab-self.c: guest-kit grant table checks within one domain. */
#include <guestkit/guestkit.h>

/*
 * Grants are made to this domain itself and exercised with GNTTABOP_copy,
 * which pvisor validates as it would for a peer. Without xenstore the
 * domain does not know its id: `self=N` on the command line, else it is
 * found by granting to 1, 2, ... until a copy is accepted.
 * Last line: "gnttab-self: N/N checks passed".
 */
static int checks, passed;

static void check(int ok, const char *what, long got)
{
    checks++;
    if (ok)
        passed++;
    else
        gk_printf("gnttab-self: FAIL %s (got %ld)\n", what, got);
}

static int find_self(uint64_t pfn)
{
    char probe[8];
    long self = gk_cmdline_int("self", -1);

    if (self >= 0)
        return (int)self;
    for (domid_t d = 1; d < 256; d++) {
        int ref = gk_grant_access(d, pfn, 0);
        int rc = gk_gnttab_copy_from_ref(DOMID_SELF, (grant_ref_t)ref, 0, probe,
                                         sizeof(probe));

        gk_end_access((grant_ref_t)ref);
        if (rc == 0)
            return d;
    }
    return -1;
}

int main(void)
{
    char *a = gk_alloc_page(), *buf = gk_malloc(8192);
    uint64_t pfn = gk_virt_to_pfn(a);
    int rc, ref, ro, self, n;
    struct grant_entry_v1 *e;
    int *refs;

    check(gk_gnttab_init() == 0, "init", 0);
    n = (int)gk_gnttab_nr_entries();
    check(n == GK_GNTTAB_FRAMES * 512, "nr_entries", n);
    self = find_self(pfn);
    check(self > 0, "own domid", self);
    gk_printf("gnttab-self: %d entries (%s), domain id %d\n", n,
              gk_gnttab_mode(), self);

    ref = gk_grant_access((domid_t)self, pfn, 0);
    check(ref == GNTTAB_NR_RESERVED_ENTRIES, "first ref", ref);
    check(gk_gnttab_flags((grant_ref_t)ref) == GTF_permit_access, "flags",
          gk_gnttab_flags((grant_ref_t)ref));
    memcpy(buf, "hello grant", 12);
    rc = gk_gnttab_copy_to_ref((domid_t)self, (grant_ref_t)ref, 100, buf, 12);
    check(rc == 0 && memcmp(a + 100, "hello grant", 12) == 0, "copy to", rc);
    memset(buf, 0, 64);
    memcpy(a + 2000, "from the page", 14);
    rc =
        gk_gnttab_copy_from_ref((domid_t)self, (grant_ref_t)ref, 2000, buf, 14);
    check(rc == 0 && strcmp(buf, "from the page") == 0, "copy from", rc);
    /* A local buffer that crosses a page becomes two segments. */
    memset(buf, 'x', 8192);
    rc = gk_gnttab_copy_to_ref((domid_t)self, (grant_ref_t)ref, 0,
                               buf + 4096 - 10 - ((uintptr_t)buf & 4095), 300);
    check(rc == 0 && a[0] == 'x' && a[299] == 'x', "split copy", rc);
    rc = gk_gnttab_copy_to_ref((domid_t)self, (grant_ref_t)ref, 4000, buf, 200);
    check(rc == -XEN_EINVAL, "copy past the granted page", rc);
    rc =
        gk_gnttab_copy_to_ref((domid_t)(self + 1), (grant_ref_t)ref, 0, buf, 8);
    check(rc < 0, "copy naming another granting domain", rc);
    rc = gk_gnttab_copy_to_ref((domid_t)self, 100000, 0, buf, 8);
    check(rc == -XEN_EINVAL, "ref beyond the table", rc);
    rc = gk_gnttab_copy_to_ref((domid_t)self, 9, 0, buf, 8);
    check(rc == -XEN_EPERM, "unused ref", rc);

    ro = gk_grant_access((domid_t)self, pfn, 1);
    rc = gk_gnttab_copy_from_ref((domid_t)self, (grant_ref_t)ro, 0, buf, 8);
    check(rc == 0, "read read-only grant", rc);
    rc = gk_gnttab_copy_to_ref((domid_t)self, (grant_ref_t)ro, 0, buf, 8);
    check(rc == -XEN_EPERM, "write read-only grant", rc);
    check(gk_end_access((grant_ref_t)ro) == 0, "end read-only", 0);

    /* A grant granted to someone else cannot be used by us. */
    ro = gk_grant_access((domid_t)(self + 1), pfn, 0);
    rc = gk_gnttab_copy_to_ref(DOMID_SELF, (grant_ref_t)ro, 0, buf, 8);
    check(rc == -XEN_EPERM, "grant for another domain", rc);
    gk_end_access((grant_ref_t)ro);

    /* In use (as the hypervisor marks it during a peer's map or copy):
     * ending must fail and leave the grant intact. */
    e = gk_gnttab_entry((grant_ref_t)ref);
    check(e && e->flags == GTF_permit_access && e->frame == pfn,
          "entry before busy", e ? e->flags : -1);
    __atomic_fetch_or(&e->flags, GTF_reading, __ATOMIC_SEQ_CST);
    rc = gk_end_access((grant_ref_t)ref);
    check(rc == -XEN_EBUSY, "end while reading", rc);
    check(gk_gnttab_flags((grant_ref_t)ref) ==
              (GTF_permit_access | GTF_reading),
          "grant kept", 0);
    __atomic_fetch_and(&e->flags, (uint16_t)~GTF_reading, __ATOMIC_SEQ_CST);
    rc = gk_end_access((grant_ref_t)ref);
    check(rc == 0, "end after use", rc);
    rc = gk_gnttab_copy_to_ref((domid_t)self, (grant_ref_t)ref, 0, buf, 8);
    check(rc == -XEN_EPERM, "copy after end", rc);

    /* Exhaust the free refs, then give them back. */
    refs = gk_malloc(sizeof(int) * (size_t)n);
    int got = 0;
    while ((rc = gk_gnttab_alloc_ref()) >= 0)
        refs[got++] = rc;
    check(got == n - GNTTAB_NR_RESERVED_ENTRIES && rc == -XEN_ENOSPC,
          "all refs", got);
    while (got)
        gk_gnttab_free_ref((grant_ref_t)refs[--got]);
    check(gk_gnttab_alloc_ref() >= GNTTAB_NR_RESERVED_ENTRIES, "ref reuse", 0);

    gk_printf("gnttab-self: %d/%d checks passed\n", passed, checks);
    return passed == checks ? 0 : 1;
}
