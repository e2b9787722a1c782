// SPDX-License-Identifier: MIT
/* test_abi.c: checks every ABI fact of our headers against Xen's headers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "abi_layout.h"
#include "unit.h"

#define ABI_MAX_RUNTIME 256

static const char *const abi_group_names[ABI_G_COUNT] = {
    [ABI_G_XEN] = "xen.h/errno.h/elfnote.h",
    [ABI_G_SCHED] = "sched.h/vcpu.h/event_channel.h",
    [ABI_G_MEM] = "memory.h/version.h/callback.h",
    [ABI_G_GNT] = "grant_table.h",
    [ABI_G_IO] = "io/*",
};

/* Record a failure whose text names the offending entry. */
static void abi_fail(const char *fmt, const char *name, const char *a,
                     const char *b)
{
    char msg[512];

    snprintf(msg, sizeof(msg), fmt, name, a, b);
    CU_assertImplementation(CU_FALSE, __LINE__, msg, __FILE__, "", CU_FALSE);
}

static const struct abi_layout_entry *
abi_find(const struct abi_layout_entry *tab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].name, name) == 0)
            return &tab[i];
    return NULL;
}

static size_t abi_count(const struct abi_layout_entry *tab)
{
    size_t n = 0;

    while (tab[n].name)
        n++;
    return n;
}

/* Compare our rows of `group` with Xen's; returns how many were checked. */
static size_t abi_compare(const struct abi_layout_entry *ours, size_t n_ours,
                          const struct abi_layout_entry *xen, size_t n_xen,
                          enum abi_group group)
{
    size_t checked = 0;

    for (size_t i = 0; i < n_ours; i++) {
        const struct abi_layout_entry *x;
        char a[32], b[32];

        if (ours[i].group != group)
            continue;
        checked++;
        x = abi_find(xen, n_xen, ours[i].name);
        if (!x) {
            abi_fail("%s: missing on Xen's side%s%s", ours[i].name, "", "");
            continue;
        }
        if (x->value != ours[i].value) {
            snprintf(a, sizeof(a), "%" PRId64, ours[i].value);
            snprintf(b, sizeof(b), "%" PRId64, x->value);
            abi_fail("%s: ours %s, Xen %s", ours[i].name, a, b);
        }
    }
    return checked;
}

static void abi_check_group(enum abi_group group)
{
    static struct abi_layout_entry rt_ours[ABI_MAX_RUNTIME];
    static struct abi_layout_entry rt_xen[ABI_MAX_RUNTIME];
    size_t n_ours = abi_runtime_ours(rt_ours, ABI_MAX_RUNTIME);
    size_t n_xen = abi_runtime_xen(rt_xen, ABI_MAX_RUNTIME);
    size_t checked;

    CU_ASSERT_FATAL(n_ours <= ABI_MAX_RUNTIME && n_xen <= ABI_MAX_RUNTIME);
    checked = abi_compare(abi_layout_ours, abi_count(abi_layout_ours),
                          abi_layout_xen, abi_count(abi_layout_xen), group);
    checked += abi_compare(rt_ours, n_ours, rt_xen, n_xen, group);
    if (checked == 0)
        abi_fail("group %s has no entries%s%s", abi_group_names[group], "", "");
}

static void test_abi_xen(void)
{
    abi_check_group(ABI_G_XEN);
}

static void test_abi_sched_vcpu_evtchn(void)
{
    abi_check_group(ABI_G_SCHED);
}

static void test_abi_memory_version_callback(void)
{
    abi_check_group(ABI_G_MEM);
}

static void test_abi_grant_table(void)
{
    abi_check_group(ABI_G_GNT);
}

static void test_abi_io(void)
{
    abi_check_group(ABI_G_IO);
}

/* String constants: GNTTABOP_error_msgs, xsd_errors, protocol names. */
static void test_abi_strings(void)
{
    static struct abi_string_entry ours[ABI_MAX_RUNTIME];
    static struct abi_string_entry xen[ABI_MAX_RUNTIME];
    size_t n_ours = abi_strings_ours(ours, ABI_MAX_RUNTIME);
    size_t n_xen = abi_strings_xen(xen, ABI_MAX_RUNTIME);

    CU_ASSERT_FATAL(n_ours <= ABI_MAX_RUNTIME && n_xen <= ABI_MAX_RUNTIME);
    CU_ASSERT(n_ours > 0);
    for (size_t i = 0; i < n_ours; i++) {
        const struct abi_string_entry *x = NULL;

        for (size_t j = 0; j < n_xen && !x; j++)
            if (strcmp(xen[j].name, ours[i].name) == 0)
                x = &xen[j];
        if (!x)
            abi_fail("%s: missing on Xen's side%s%s", ours[i].name, "", "");
        else if (strcmp(x->value, ours[i].value) != 0)
            abi_fail("%s: ours \"%s\", Xen \"%s\"", ours[i].name, ours[i].value,
                     x->value);
    }
}

/* The tables themselves: no duplicate names, so lookups are unambiguous. */
static void test_abi_tables_unique(void)
{
    size_t n = abi_count(abi_layout_ours);

    CU_ASSERT(n == abi_count(abi_layout_xen));
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(abi_layout_ours[i].name, abi_layout_ours[j].name) == 0)
                abi_fail("%s: listed twice%s%s", abi_layout_ours[i].name, "",
                         "");
}

static const struct unit_test abi_tests[] = {
    { "tables have unique names", test_abi_tables_unique },
    { "xen.h, errno.h, elfnote.h", test_abi_xen },
    { "sched.h, vcpu.h, event_channel.h", test_abi_sched_vcpu_evtchn },
    { "memory.h, version.h, callback.h", test_abi_memory_version_callback },
    { "grant_table.h", test_abi_grant_table },
    { "io/ring, console, xs_wire, xenbus, blkif, netif", test_abi_io },
    { "string constants", test_abi_strings },
    { NULL, NULL },
};

const struct unit_suite unit_suite_abi = {
    .name = "abi",
    .init = NULL,
    .cleanup = NULL,
    .tests = abi_tests,
};
