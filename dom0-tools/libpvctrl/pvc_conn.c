// SPDX-License-Identifier: MIT
/* pvc_conn.c: connection, framing and request/response matching. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvc_internal.h"

int pvc_socket_path(const char *run_dir, char *buf, size_t len)
{
    struct sockaddr_un sun;
    int n;

    if (!run_dir || !*run_dir)
        run_dir = getenv("PVISOR_RUN_DIR");
    if (!run_dir || !*run_dir)
        run_dir = PVC_DEFAULT_RUN_DIR;
    n = snprintf(buf, len, "%s/%s", run_dir, PVC_SOCKET_NAME);
    if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    return 0;
}

int pvc_open(const char *run_dir, struct pvc_handle **out)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd, err;

    *out = NULL;
    err = pvc_socket_path(run_dir, sun.sun_path, sizeof(sun.sun_path));
    if (err)
        return err;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        err = -errno;
        close(fd);
        return err;
    }
    return pvc_open_fd(fd, out);
}

int pvc_open_fd(int fd, struct pvc_handle **out)
{
    struct pvc_handle *h = calloc(1, sizeof(*h));

    *out = NULL;
    if (!h) {
        close(fd);
        return -ENOMEM;
    }
    h->fd = fd;
    h->next_id = 1;
    *out = h;
    return 0;
}

void pvc_close(struct pvc_handle *h)
{
    if (!h)
        return;
    if (h->fd >= 0)
        close(h->fd);
    free(h);
}

const char *pvc_last_error(const struct pvc_handle *h)
{
    return h ? h->err : "";
}

int pvc_fd(const struct pvc_handle *h)
{
    return h->fd;
}

void pvc_set_error(struct pvc_handle *h, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof(h->err), fmt, ap);
    va_end(ap);
}

void pvc_sanitize_copy(char *dst, size_t dstlen, const char *src)
{
    size_t i;

    if (!dstlen)
        return;
    if (!src)
        src = "";
    for (i = 0; i + 1 < dstlen && src[i]; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] =
            (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
    }
    dst[i] = '\0';
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pvc_frame_send(int fd, const void *buf, size_t len)
{
    uint8_t hdr[4];
    int err;

    if (len == 0 || len > PVC_FRAME_MAX)
        return -EINVAL;
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
    /* Header and body in one call: the peer wakes once per frame. */
    struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)buf, len } };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
    ssize_t n;

    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n < sizeof(hdr)) {
        err = write_all(fd, hdr + n, sizeof(hdr) - (size_t)n);
        n = 0;
    } else {
        n -= (ssize_t)sizeof(hdr);
        err = 0;
    }
    if (!err && (size_t)n < len)
        err = write_all(fd, (const uint8_t *)buf + n, len - (size_t)n);
    return err;
}

static void close_fds(int *fds, size_t *nr)
{
    for (size_t i = 0; i < *nr; i++)
        close(fds[i]);
    *nr = 0;
}

/*
 * Reads the 4-byte header with recvmsg so that fds attached to the first
 * byte are collected. Linux never merges data carrying SCM_RIGHTS with
 * earlier bytes, so the first recvmsg of a frame sees them.
 */
static int recv_header(int fd, uint8_t hdr[4], int *fds, size_t max_fds,
                       size_t *nr_fds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * PVC_MAX_FDS)];
    } ctl;
    size_t got = 0;
    int err = 0;

    while (got < 4) {
        struct iovec iov = { hdr + got, 4 - got };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = ctl.buf,
                              .msg_controllen = sizeof(ctl.buf) };
        struct cmsghdr *c;
        ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = -errno;
            goto fail;
        }
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            size_t cnt, i;
            int tmp;

            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (i = 0; i < cnt; i++) {
                memcpy(&tmp, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (*nr_fds < max_fds && fds)
                    fds[(*nr_fds)++] = tmp;
                else {
                    close(tmp);
                    err = -EPROTO;
                }
            }
        }
        if (msg.msg_flags & MSG_CTRUNC)
            err = -EPROTO;
        if (err)
            goto fail;
        if (n == 0) {
            err = got ? -EPROTO : -ECONNRESET;
            goto fail;
        }
        got += (size_t)n;
    }
    return 0;
fail:
    close_fds(fds, nr_fds);
    return err;
}

int pvc_frame_recv(int fd, uint8_t **buf, size_t *len, int *fds, size_t max_fds,
                   size_t *nr_fds)
{
    size_t dummy = 0, n, got = 0;
    uint8_t hdr[4], *p;
    int err;

    *buf = NULL;
    *len = 0;
    if (!nr_fds)
        nr_fds = &dummy;
    *nr_fds = 0;
    if (max_fds > PVC_MAX_FDS)
        max_fds = PVC_MAX_FDS;
    err = recv_header(fd, hdr, fds, max_fds, nr_fds);
    if (err)
        return err;
    n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
        hdr[3];
    if (n == 0 || n > PVC_FRAME_MAX) {
        err = -EPROTO;
        goto fail;
    }
    p = malloc(n);
    if (!p) {
        err = -ENOMEM;
        goto fail;
    }
    while (got < n) {
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err = -errno;
            goto fail_free;
        }
        if (r == 0) {
            err = -EPROTO;
            goto fail_free;
        }
        got += (size_t)r;
    }
    *buf = p;
    *len = n;
    return 0;
fail_free:
    free(p);
fail:
    close_fds(fds, nr_fds);
    return err;
}

static int send_request(struct pvc_handle *h, Pvmgmt__Request *req)
{
    size_t len = pvmgmt__request__get_packed_size(req);
    uint8_t *buf;
    int err;

    if (len == 0 || len > PVC_FRAME_MAX) {
        pvc_set_error(h, "request of %zu bytes cannot be framed", len);
        return -EMSGSIZE;
    }
    buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    pvmgmt__request__pack(req, buf);
    err = pvc_frame_send(h->fd, buf, len);
    free(buf);
    if (err)
        pvc_set_error(h, "sending to pvisor: %s", strerror(-err));
    return err;
}

int pvc_call(struct pvc_handle *h, Pvmgmt__Request *req,
             Pvmgmt__Response **resp, int *fds, size_t max_fds, size_t *nr_fds)
{
    size_t dummy = 0;
    int err;

    *resp = NULL;
    if (!nr_fds)
        nr_fds = &dummy;
    *nr_fds = 0;
    h->err[0] = '\0';
    req->version = PVC_PROTOCOL_VERSION;
    req->id = h->next_id++;
    err = send_request(h, req);
    if (err)
        return err;
    for (;;) {
        Pvmgmt__Response *r;
        uint8_t *buf;
        size_t len;

        err = pvc_frame_recv(h->fd, &buf, &len, fds, max_fds, nr_fds);
        if (err) {
            if (err == -ECONNRESET)
                pvc_set_error(h, "pvisor closed the connection");
            else
                pvc_set_error(h, "receiving from pvisor: %s%s", strerror(-err),
                              err == -EPROTO ? " (malformed frame)" : "");
            return err;
        }
        r = pvmgmt__response__unpack(NULL, len, buf);
        free(buf);
        if (!r) {
            close_fds(fds, nr_fds);
            pvc_set_error(h, "pvisor sent an undecodable response");
            return -EPROTO;
        }
        if (r->id < req->id) {
            /* Answer to a call abandoned earlier: drop it. */
            close_fds(fds, nr_fds);
            pvmgmt__response__free_unpacked(r, NULL);
            continue;
        }
        if (r->id != req->id || r->version != PVC_PROTOCOL_VERSION) {
            pvc_set_error(
                h,
                r->id != req->id
                    ? "response id %llu does not match request id %llu"
                    : "response has protocol version %llu, expected %llu",
                (unsigned long long)(r->id != req->id ? r->id : r->version),
                (unsigned long long)(r->id != req->id ? req->id
                                                      : PVC_PROTOCOL_VERSION));
            close_fds(fds, nr_fds);
            pvmgmt__response__free_unpacked(r, NULL);
            return -EPROTO;
        }
        if (r->nr_fds != *nr_fds) {
            pvc_set_error(h, "response announces %u fds but carried %zu",
                          r->nr_fds, *nr_fds);
            close_fds(fds, nr_fds);
            pvmgmt__response__free_unpacked(r, NULL);
            return -EPROTO;
        }
        *resp = r;
        if (r->status != 0) {
            int st = r->status;
            if (st < 0 || st > 4095)
                st = EPROTO;
            pvc_sanitize_copy(h->err, sizeof(h->err),
                              r->error && *r->error ? r->error : strerror(st));
            return -st;
        }
        return 0;
    }
}
