/* SPDX-License-Identifier: MIT */
/* abi_layout.h: rows of the tables that compare Xen's ABI headers with ours. */
#ifndef PVISOR_TESTS_UNIT_ABI_LAYOUT_H
#define PVISOR_TESTS_UNIT_ABI_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Which header group a row belongs to (one CUnit test per group). */
enum abi_group {
    ABI_G_XEN,   /* xen.h, errno.h, elfnote.h */
    ABI_G_SCHED, /* sched.h, vcpu.h, event_channel.h */
    ABI_G_MEM,   /* memory.h, version.h, callback.h */
    ABI_G_GNT,   /* grant_table.h */
    ABI_G_IO,    /* io/ (all) */
    ABI_G_COUNT
};

/* One fact: "sizeof T", "T.field", "sizeof T.field", "signed T" or a
 * constant's name, and its value. */
struct abi_layout_entry {
    enum abi_group group;
    const char *name;
    int64_t value;
};

struct abi_string_entry {
    enum abi_group group;
    const char *name;
    const char *value;
};

/* Compile-time facts, each table ending with a { 0, NULL, 0 } row. Both are
 * expanded from abi_layout_list.inc, one with Xen's headers, one with ours. */
extern const struct abi_layout_entry abi_layout_xen[];
extern const struct abi_layout_entry abi_layout_ours[];

/*
 * Run-time facts: drive the ring macros through the same script on a real
 * shared ring, and collect string constants. Each fills at most `max` rows
 * of `out` and returns the number of rows it wanted to write.
 */
size_t abi_runtime_xen(struct abi_layout_entry *out, size_t max);
size_t abi_runtime_ours(struct abi_layout_entry *out, size_t max);
size_t abi_strings_xen(struct abi_string_entry *out, size_t max);
size_t abi_strings_ours(struct abi_string_entry *out, size_t max);

/* Row builders for abi_layout_list.inc, which (re)defines ABI_GROUP. */
#define ABI_SZ(T) { ABI_GROUP, "sizeof " #T, (int64_t)sizeof(T) },
#define ABI_F(T, f)                                    \
    { ABI_GROUP, #T "." #f, (int64_t)offsetof(T, f) }, \
        { ABI_GROUP, "sizeof " #T "." #f, (int64_t)sizeof(((T *)0)->f) },
#define ABI_C(c)   { ABI_GROUP, #c, (int64_t)(c) },
#define ABI_SGN(T) { ABI_GROUP, "signed " #T, (int64_t) !((T)-1 > (T)0) },
#define ABI_FSGN(T, f)                \
    { ABI_GROUP, "signed " #T "." #f, \
      (int64_t) !((__typeof__(((T *)0)->f))-1 > 0) },

/* A fact whose spelling differs: `ours` on our side, `xen` on Xen's. */
#if defined(ABI_SIDE_OURS)
#define ABI_ALIAS(name, ours, xen) { ABI_GROUP, name, (int64_t)(ours) },
#elif defined(ABI_SIDE_XEN)
#define ABI_ALIAS(name, ours, xen) { ABI_GROUP, name, (int64_t)(xen) },
#endif

#endif /* PVISOR_TESTS_UNIT_ABI_LAYOUT_H */
