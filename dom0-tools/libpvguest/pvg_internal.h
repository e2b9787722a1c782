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

/* Which Xen notes an image had. */
struct pvg_notes_seen {
    bool entry, virt_base, any;
};

/*
 * Walks the ELF notes in p[0..len) (inside the image's bytes) and stores
 * the Xen ones in img. where names the segment or section in messages.
 * Returns 0, -ENOEXEC (malformed note) or -EINVAL (bad Xen note value).
 */
int pvg_parse_notes(struct pvg_image *img, struct pvg_notes_seen *seen,
                    const uint8_t *p, uint64_t len, const char *where,
                    char *err, size_t errlen);

/* The legacy "KEY=VALUE,..." string of a __xen_guest section. */
int pvg_parse_xen_guest(struct pvg_image *img, struct pvg_notes_seen *seen,
                        const uint8_t *p, uint64_t len, char *err,
                        size_t errlen);

#endif /* PVISOR_DOM0_TOOLS_LIBPVGUEST_PVG_INTERNAL_H */
