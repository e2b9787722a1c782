// SPDX-License-Identifier: MIT
/* xs_util.c: key-at-a-time helpers on top of the libxenstore API. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

static bool key_path(char *path, size_t len, const char *dir, const char *key)
{
    if ((size_t)snprintf(path, len, "%s/%s", dir, key) >= len) {
        errno = ENAMETOOLONG;
        return false;
    }
    return true;
}

char *xs_read_key(struct xs_handle *h, const char *dir, const char *key)
{
    char path[512];

    return key_path(path, sizeof(path), dir, key)
               ? xs_read(h, XBT_NULL, path, NULL)
               : NULL;
}

long xs_read_key_long(struct xs_handle *h, const char *dir, const char *key,
                      long dflt)
{
    char *s = xs_read_key(h, dir, key), *end;
    long v = dflt;

    if (s) {
        errno = 0;
        long x = strtol(s, &end, 10);
        if (!errno && end != s && !*end)
            v = x;
        free(s);
    }
    return v;
}

bool xs_printf_key(struct xs_handle *h, xs_transaction_t t, const char *dir,
                   const char *key, const char *fmt, ...)
{
    char path[512], val[4096];
    va_list ap;

    if (!key_path(path, sizeof(path), dir, key))
        return false;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    return xs_write(h, t, path, val, (unsigned)strlen(val));
}

int xs_transaction_run(struct xs_handle *h,
                       bool (*fn)(struct xs_handle *h, xs_transaction_t t,
                                  void *arg),
                       void *arg)
{
    int e = 0;

    for (int tries = 0; tries < 16; tries++) {
        xs_transaction_t t = xs_transaction_start(h);
        if (t == XBT_NULL)
            return errno;
        if (!fn(h, t, arg)) {
            e = errno;
            xs_transaction_end(h, t, true);
            return e;
        }
        if (xs_transaction_end(h, t, false))
            return 0;
        e = errno;
        if (e != EAGAIN)
            break;
    }
    return e;
}

bool xs_parse_u32(const char *s, uint32_t *out)
{
    unsigned long long v;
    char *end;

    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end || errno || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}
