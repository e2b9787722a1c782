/* SPDX-License-Identifier: MIT */
/* xs_util.h: pvisor's additions to the libxenstore API (not in Xen's). */
#ifndef PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XS_UTIL_H
#define PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XS_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "xenstore.h"

/*
 * Key-at-a-time helpers for the toolstack and the backends, which read and
 * write DIR/KEY pairs all the time. Failures as in xenstore.h: NULL/false
 * with errno (ENAMETOOLONG when DIR/KEY does not fit in 511 bytes).
 */

/* DIR/KEY outside any transaction: its value (malloc'd) or NULL. */
char *xs_read_key(struct xs_handle *h, const char *dir, const char *key);

/* DIR/KEY as a whole decimal number; dflt when missing, not a number or
 * out of range. */
long xs_read_key_long(struct xs_handle *h, const char *dir, const char *key,
                      long dflt);

/* Writes DIR/KEY = printf(fmt, ...) (at most 4095 bytes) in transaction
 * t. */
bool xs_printf_key(struct xs_handle *h, xs_transaction_t t, const char *dir,
                   const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Runs fn(h, t, arg) in a transaction t, again while the daemon answers
 * EAGAIN (up to 16 times); fn returns false with errno set to give up
 * (the transaction is then aborted). 0, or the errno of what failed.
 */
int xs_transaction_run(struct xs_handle *h,
                       bool (*fn)(struct xs_handle *h, xs_transaction_t t,
                                  void *arg),
                       void *arg);

/* A whole decimal uint32_t as xenstore holds them (no sign, spaces or
 * junk), e.g. a domid or device id. */
bool xs_parse_u32(const char *s, uint32_t *out);

#endif
