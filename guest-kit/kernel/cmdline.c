/* SPDX-License-Identifier: MIT */
/* cmdline.c: key=value lookups on the kernel command line. */
#include <guestkit/kernel.h>
#include <guestkit/string.h>

const char *gk_cmdline(void)
{
    return (const char *)gk_start_info.cmd_line;
}

int gk_cmdline_get(const char *key, char *buf, size_t len)
{
    const char *p = gk_cmdline();
    size_t klen = strlen(key);

    while (*p) {
        const char *w, *v;
        size_t wlen, vlen;

        while (*p == ' ' || *p == '\t')
            p++;
        w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        wlen = (size_t)(p - w);
        if (wlen < klen || strncmp(w, key, klen) != 0)
            continue;
        if (wlen == klen) {
            v = w + klen;
            vlen = 0;
        } else if (w[klen] == '=') {
            v = w + klen + 1;
            vlen = wlen - klen - 1;
        } else {
            continue;
        }
        if (len) {
            size_t n = vlen < len - 1 ? vlen : len - 1;

            memcpy(buf, v, n);
            buf[n] = '\0';
        }
        return (int)vlen;
    }
    return -1;
}

long gk_cmdline_int(const char *key, long dflt)
{
    char val[32];
    const char *end;
    long v;

    if (gk_cmdline_get(key, val, sizeof(val)) <= 0)
        return dflt;
    v = gk_strtol(val, &end, 0);
    return *end ? dflt : v;
}
