// SPDX-License-Identifier: MIT
/* consoled_client.c: pvctl's side of pv-consoled (setup at create, client). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvctl.h"
#include "pvevtchn.h"
#include "pvguest.h"

int pvctl_consoled_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *dir = pvctl_opts.run_dir;
    int fd, e;

    if (!dir || !*dir)
        dir = getenv("PVISOR_RUN_DIR");
    if (!dir || !*dir)
        dir = PVC_DEFAULT_RUN_DIR;
    if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
                         "%s/pv-consoled.sock", dir) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int pvctl_consoled_request(int fd, const char *req, char *reply, size_t len)
{
    char line[300];
    size_t n = 0;
    int m;

    m = snprintf(line, sizeof(line), "%s\n", req);
    if (m < 0 || (size_t)m >= sizeof(line))
        return -EINVAL;
    for (size_t off = 0; off < (size_t)m;) {
        ssize_t w = send(fd, line + off, (size_t)m - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        off += (size_t)w;
    }
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ECONNRESET;
        if (c == '\n')
            break;
        if (n + 1 < len)
            reply[n++] = c;
    }
    reply[n] = 0;
    if (!strncmp(reply, "OK", 2))
        return 0;
    if (!strncmp(reply, "ERR ", 4)) {
        long e = strtol(reply + 4, NULL, 10);
        return e > 0 && e < 4096 ? (int)-e : -EIO;
    }
    return -EPROTO;
}

/* Writes port into the built domain's start_info (domain paused). */
static int patch_start_info(const char *cmd, struct pvc_handle *h,
                            uint32_t domid, const struct pvg_layout *lay,
                            uint32_t port)
{
    uint64_t size;
    void *mem;
    int fd, e;

    e = pvc_map_memory(h, domid, &fd, &size);
    if (e)
        return pvctl_call_failed(cmd, h, e, "mapping domain memory"), e;
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    e = mem == MAP_FAILED ? -errno : 0;
    close(fd);
    if (e)
        return e;
    e = pvg_set_console_evtchn(mem, size, lay, port);
    munmap(mem, size);
    return e;
}

void pvctl_console_setup(const char *cmd, struct pvc_handle *h, uint32_t domid,
                         const char *name, const struct pvg_image *img,
                         uint64_t mem_size)
{
    char err[PVG_ERR_MAX], req[256], reply[256];
    struct pvg_layout lay;
    pvevtchn *evh;
    int fd, port, e;

    fd = pvctl_consoled_connect();
    if (fd < 0) {
        fprintf(stderr,
                "pvctl: %s: warning: pv-consoled is not running; "
                "domain %u has no console ring (output through "
                "console_io only, no input)\n",
                cmd, domid);
        return;
    }
    /* Same plan as the build (deterministic): where the ring page is. */
    e = pvg_layout_plan(img, mem_size, &lay, err, sizeof(err));
    if (e) {
        pvctl_err(cmd, "warning: console ring: %s", err);
        goto out;
    }
    evh = pvevtchn_open(pvctl_opts.run_dir);
    if (!evh) {
        e = -errno;
        goto fail;
    }
    port = pvevtchn_alloc_unbound_for(evh, domid, 0);
    pvevtchn_close(evh);
    if (port <= 0) {
        e = port < 0 ? port : -EINVAL;
        goto fail;
    }
    snprintf(req, sizeof(req), "ADD %u %s %" PRIu64 " %d", domid, name,
             lay.console_gpa / PVG_PAGE_SIZE, port);
    e = pvctl_consoled_request(fd, req, reply, sizeof(reply));
    if (e) {
        fprintf(stderr,
                "pvctl: %s: warning: pv-consoled refused domain %u "
                "(%s); console_io only\n",
                cmd, domid, reply);
        goto out;
    }
    /* Only now: the guest must not use a ring nobody serves. */
    e = patch_start_info(cmd, h, domid, &lay, (uint32_t)port);
    if (e)
        goto fail;
    if (pvctl_opts.verbose)
        fprintf(stderr,
                "pvctl: %s: console ring at frame 0x%" PRIx64
                ", event channel %d\n",
                cmd, lay.console_gpa / PVG_PAGE_SIZE, port);
    goto out;
fail:
    fprintf(stderr,
            "pvctl: %s: warning: console ring not set up: %s; "
            "console_io only\n",
            cmd, strerror(-e));
out:
    close(fd);
}
