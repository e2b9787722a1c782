/* SPDX-License-Identifier: MIT */
/* pvg_internal.h: libpvguest internals shared by its source files. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVGUEST_PVG_INTERNAL_H
#define PVISOR_DOM0_TOOLS_LIBPVGUEST_PVG_INTERNAL_H

#include "pvguest.h"

/*
 * Formats "NAME: message" into err (if errlen) and returns code, so that
 * callers can write `return pvg_fail(...)`.
 */
int pvg_fail(char *err, size_t errlen, const char *name, int code,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* a + b into *r; true when it overflowed. */
static inline bool pvg_add_overflows(uint64_t a, uint64_t b, uint64_t *r)
{
    return __builtin_add_overflow(a, b, r);
}

#endif /* PVISOR_DOM0_TOOLS_LIBPVGUEST_PVG_INTERNAL_H */
