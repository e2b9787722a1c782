/* SPDX-License-Identifier: MIT */
/* console.c: console output: the console ring when up, else console_io. */
#include <guestkit/console.h>
#include <guestkit/hypercall.h>
#include <guestkit/mm.h>
#include <guestkit/string.h>

#include "internal.h"

/* Largest single console_io write; longer buffers go in pieces. */
#define CONSOLE_CHUNK 4096

int gk_console_write(const char *buf, size_t len)
{
    if (gk_console_ring_active())
        return gk_consfront_write(buf, len);
    while (len > 0) {
        int n = len > CONSOLE_CHUNK ? CONSOLE_CHUNK : (int)len;
        long rc = HYPERVISOR_console_io(CONSOLEIO_write, n, buf);

        if (rc < 0)
            return (int)rc;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int gk_puts(const char *s)
{
    char line[256];
    size_t n = 0;

    /* One hypercall for short lines so they stay whole on SMP. */
    while (s[n] && n < sizeof(line) - 1) {
        line[n] = s[n];
        n++;
    }
    if (!s[n]) {
        line[n++] = '\n';
        return gk_console_write(line, n);
    }
    {
        int rc = gk_console_write(s, strnlen(s, (size_t)-1));

        return rc < 0 ? rc : gk_console_write("\n", 1);
    }
}

int gk_vprintf(const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = gk_vsnprintf(small, sizeof(small), fmt, ap);
    if (n < (int)sizeof(small)) {
        gk_console_write(small, (size_t)n);
    } else {
        char *big = gk_malloc((size_t)n + 1);

        if (big) {
            gk_vsnprintf(big, (size_t)n + 1, fmt, ap2);
            gk_console_write(big, (size_t)n);
            gk_free(big);
        } else {
            gk_console_write(small, sizeof(small) - 1);
        }
    }
    va_end(ap2);
    return n;
}

int gk_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = gk_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
