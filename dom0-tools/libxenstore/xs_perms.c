// SPDX-License-Identifier: MIT
/* xs_perms.c: libxenstore helpers: permission strings, string counting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore.h"

bool xs_perm_to_string(const struct xs_permissions *perm, char *buffer,
                       size_t buf_len)
{
    char c;
    int n;

    switch ((int)perm->perms & (XS_PERM_READ | XS_PERM_WRITE)) {
    case XS_PERM_WRITE:
        c = 'w';
        break;
    case XS_PERM_READ:
        c = 'r';
        break;
    case XS_PERM_READ | XS_PERM_WRITE:
        c = 'b';
        break;
    default:
        c = 'n';
        break;
    }
    n = snprintf(buffer, buf_len, "%c%u", c, perm->id);
    return n >= 0 && (size_t)n < buf_len;
}

bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num,
                         const char *strings)
{
    const char *p = strings;

    for (unsigned int i = 0; i < num; i++, p += strlen(p) + 1) {
        unsigned long id;
        char *end;

        switch (*p) {
        case 'w':
            perms[i].perms = XS_PERM_WRITE;
            break;
        case 'r':
            perms[i].perms = XS_PERM_READ;
            break;
        case 'b':
            perms[i].perms = XS_PERM_READ | XS_PERM_WRITE;
            break;
        case 'n':
            perms[i].perms = XS_PERM_NONE;
            break;
        default:
            errno = EINVAL;
            return false;
        }
        errno = 0;
        id = strtoul(p + 1, &end, 10);
        if (p[1] < '0' || p[1] > '9' || *end || errno || id > 0xffffffffUL) {
            errno = EINVAL;
            return false;
        }
        perms[i].id = (unsigned int)id;
    }
    return true;
}

unsigned int xs_count_strings(const char *strings, unsigned int len)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < len; i++)
        if (strings[i] == '\0')
            n++;
    return n;
}

bool xs_path_is_subpath(const char *parent, const char *child)
{
    size_t n = strlen(parent);

    if (n && parent[n - 1] == '/')
        n--; /* "/" or "foo/" */
    return strncmp(child, parent, n) == 0 &&
           (child[n] == '\0' || child[n] == '/');
}
