/* SPDX-License-Identifier: MIT */
/* xenbus_ops.c: xenstore operations on top of gk_xenbus_request(). */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

#define TXN_RETRIES 64

static int domid_cache = -1;
static char home[32];

void gk_xenbus_ops_resume(void)
{
    domid_cache = -1; /* a restore gives a new domid */
    home[0] = '\0';
}

/* A request whose payload is the NUL-terminated path, then `extra`. */
static int path_op(gk_xbt_t t, uint32_t type, const char *path,
                   const void *extra, size_t extra_len, char **reply,
                   uint32_t *reply_len)
{
    struct gk_xs_iov iov[2] = {
        { path, strlen(path) + 1 },
        { extra, extra_len },
    };

    return gk_xenbus_request(t, type, iov, extra ? 2 : 1, reply, reply_len);
}

int gk_xenbus_read(gk_xbt_t t, const char *path, char **value)
{
    uint32_t len = 0;
    char *v = NULL;
    int rc = path_op(t, XS_READ, path, NULL, 0, &v, &len);

    if (rc < 0)
        return rc;
    if (value)
        *value = v;
    else
        gk_free(v);
    return (int)len;
}

int gk_xenbus_read_str(gk_xbt_t t, const char *path, char *buf, size_t len)
{
    char *v;
    int rc = gk_xenbus_read(t, path, &v);

    if (rc < 0)
        return rc;
    if (len)
        gk_strlcpy(buf, v, len);
    gk_free(v);
    return rc;
}

int gk_xenbus_read_int(gk_xbt_t t, const char *path, long *val)
{
    char buf[32];
    const char *end;
    int rc = gk_xenbus_read_str(t, path, buf, sizeof(buf));

    if (rc < 0)
        return rc;
    if (!buf[0] || rc >= (int)sizeof(buf))
        return -XEN_EINVAL;
    *val = gk_strtol(buf, &end, 10);
    return *end ? -XEN_EINVAL : 0;
}

int gk_xenbus_write(gk_xbt_t t, const char *path, const char *value)
{
    /* The value is not NUL-terminated on the wire. An empty value still
     * needs a second piece so path_op does not drop it: length 0. */
    struct gk_xs_iov iov[2] = {
        { path, strlen(path) + 1 },
        { value, strlen(value) },
    };

    return gk_xenbus_request(t, XS_WRITE, iov, 2, NULL, NULL);
}

int gk_xenbus_printf(gk_xbt_t t, const char *path, const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    gk_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return gk_xenbus_write(t, path, buf);
}

int gk_xenbus_mkdir(gk_xbt_t t, const char *path)
{
    return path_op(t, XS_MKDIR, path, NULL, 0, NULL, NULL);
}

int gk_xenbus_rm(gk_xbt_t t, const char *path)
{
    return path_op(t, XS_RM, path, NULL, 0, NULL, NULL);
}

int gk_xenbus_directory(gk_xbt_t t, const char *path, char ***names,
                        unsigned int *n)
{
    uint32_t len = 0, count = 0;
    char *body, *p, **out;
    int rc = path_op(t, XS_DIRECTORY, path, NULL, 0, &body, &len);

    if (rc < 0)
        return rc;
    /* Each name ends with a NUL; a last name without one still counts. */
    for (uint32_t i = 0; i < len; i++)
        if (body[i] == '\0')
            count++;
    if (len && body[len - 1] != '\0')
        count++;
    out = gk_malloc(count * sizeof(char *) + len + 1);
    if (!out) {
        gk_free(body);
        return -XEN_ENOMEM;
    }
    p = (char *)(out + count);
    memcpy(p, body, len);
    p[len] = '\0';
    for (uint32_t i = 0; i < count; i++) {
        out[i] = p;
        p += strlen(p) + 1;
    }
    gk_free(body);
    *names = out;
    *n = count;
    return 0;
}

int gk_xenbus_set_perms(gk_xbt_t t, const char *path,
                        const struct gk_xs_perm *perms, unsigned int n)
{
    char buf[512];
    size_t off = 0;

    /* Each permission is "<letter><domid>\0", the owner first. */
    for (unsigned int i = 0; i < n; i++) {
        char c = perms[i].perm;

        if (c != 'n' && c != 'r' && c != 'w' && c != 'b')
            return -XEN_EINVAL;
        if (off + 8 > sizeof(buf))
            return -XEN_E2BIG;
        off += (size_t)gk_snprintf(buf + off, sizeof(buf) - off, "%c%u", c,
                                   perms[i].domid) +
               1;
    }
    if (!n)
        return -XEN_EINVAL;
    return path_op(t, XS_SET_PERMS, path, buf, off, NULL, NULL);
}

int gk_xenbus_transaction_start(gk_xbt_t *t)
{
    struct gk_xs_iov iov = { "", 1 };
    const char *end;
    char *id;
    long v;
    int rc;

    rc =
        gk_xenbus_request(GK_XBT_NIL, XS_TRANSACTION_START, &iov, 1, &id, NULL);
    if (rc < 0)
        return rc;
    v = gk_strtol(id, &end, 10);
    rc = (*end || v <= 0) ? -XEN_EIO : 0;
    gk_free(id);
    if (rc == 0)
        *t = (gk_xbt_t)v;
    return rc;
}

int gk_xenbus_transaction_end(gk_xbt_t t, int abort)
{
    struct gk_xs_iov iov = { abort ? "F" : "T", 2 };

    return gk_xenbus_request(t, XS_TRANSACTION_END, &iov, 1, NULL, NULL);
}

int gk_xenbus_transaction(int (*fn)(gk_xbt_t t, void *arg), void *arg)
{
    for (int i = 0; i < TXN_RETRIES; i++) {
        gk_xbt_t t;
        int rc = gk_xenbus_transaction_start(&t);

        if (rc < 0)
            return rc;
        rc = fn(t, arg);
        if (rc < 0) {
            gk_xenbus_transaction_end(t, 1);
            return rc;
        }
        rc = gk_xenbus_transaction_end(t, 0);
        if (rc != -XEN_EAGAIN)
            return rc;
    }
    return -XEN_EAGAIN;
}

int gk_xenbus_domid(void)
{
    long v;
    int rc;

    if (domid_cache >= 0)
        return domid_cache;
    rc = gk_xenbus_read_int(GK_XBT_NIL, "domid", &v);
    if (rc < 0)
        return rc;
    if (v < 0 || v >= DOMID_FIRST_RESERVED)
        return -XEN_EINVAL;
    domid_cache = (int)v;
    return domid_cache;
}

int gk_xenbus_get_self_path(char *buf, size_t len)
{
    char id[16];
    char *path;
    int domid, rc;

    if (!home[0]) {
        domid = gk_xenbus_domid();
        if (domid < 0)
            return domid;
        gk_snprintf(id, sizeof(id), "%d", domid);
        struct gk_xs_iov iov = { id, strlen(id) + 1 };
        rc = gk_xenbus_request(GK_XBT_NIL, XS_GET_DOMAIN_PATH, &iov, 1, &path,
                               NULL);
        if (rc < 0)
            return rc;
        if (strlen(path) >= sizeof(home)) {
            gk_free(path);
            return -XEN_E2BIG;
        }
        gk_strlcpy(home, path, sizeof(home));
        gk_free(path);
    }
    if (len)
        gk_strlcpy(buf, home, len);
    return (int)strlen(home);
}
