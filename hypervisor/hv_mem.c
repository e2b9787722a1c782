// SPDX-License-Identifier: MIT
/* hv_mem.c: a domain's guest RAM file and private area, on every platform. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hv.h"
#include "hv_arch.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

const char *hv_mem_path;

/*
 * Guest RAM: an anonymous memfd, or with --mem-path an unnamed file
 * (O_TMPFILE) in that directory. A tmpfs mounted with huge=always gives
 * guest RAM in 2 MiB host pages: a guest's I/O buffers are then physically
 * contiguous, so a backend's O_DIRECT I/O on them reaches the disk in a
 * few large segments instead of 4 KiB ones. Not a hugetlbfs: the dom0
 * services map single 4 KiB pages of guest RAM (grants, rings), which a
 * hugetlbfs file refuses.
 */
static int guest_ram_fd(const char *name)
{
    if (!hv_mem_path)
        return memfd_create(name, MFD_CLOEXEC);
    return open(hv_mem_path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

/* At start-up: a directory where guest RAM files can be made. */
int hv_mem_path_check(const char *dir, char *err, size_t errlen)
{
    struct statfs fs;
    struct stat st;
    int fd;

    if (stat(dir, &st) < 0) {
        snprintf(err, errlen, "--mem-path %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--mem-path %s: not a directory", dir);
        return -1;
    }
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen,
                 "--mem-path %s: cannot make unnamed files there (%s); "
                 "use a tmpfs mount",
                 dir, strerror(errno));
        return -1;
    }
    close(fd);
    if (statfs(dir, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC) {
        snprintf(err, errlen,
                 "--mem-path %s: a hugetlbfs cannot be mapped page by page "
                 "by the dom0 services; use a tmpfs mounted huge=always",
                 dir);
        return -1;
    }
    if (statfs(dir, &fs) == 0 && fs.f_type != TMPFS_MAGIC)
        log_warn("--mem-path %s is not a tmpfs: guest RAM there is written "
                 "back to its disk",
                 dir);
    return 0;
}

int hv_domain_mem_create(struct hv_domain *d, char *err, size_t errlen)
{
    char memname[32];
    int e;

    snprintf(memname, sizeof(memname), "pvisor-d%u", d->domid);
    d->mem_fd = guest_ram_fd(memname);
    if (d->mem_fd < 0 || ftruncate(d->mem_fd, (off_t)d->mem_size) < 0) {
        e = errno;
        snprintf(err, errlen, "guest memory file for %llu KiB%s%s: %s",
                 (unsigned long long)(d->mem_size >> 10),
                 hv_mem_path ? " in " : "", hv_mem_path ? hv_mem_path : "",
                 strerror(e));
        return -e;
    }
    d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->mem_fd, 0);
    if (d->mem == MAP_FAILED) {
        e = errno;
        d->mem = NULL;
        snprintf(err, errlen, "mmap guest memory: %s", strerror(e));
        return -e;
    }
    /* The private area is a file too: a platform that runs guests in
     * another process maps its grant frames from it. */
    snprintf(memname, sizeof(memname), "pvisor-d%u-priv", d->domid);
    d->priv_size = HV_PRIV_PAGES * HV_PAGE_SIZE;
    d->priv_fd = memfd_create(memname, MFD_CLOEXEC);
    if (d->priv_fd < 0 || ftruncate(d->priv_fd, (off_t)d->priv_size) < 0) {
        e = errno;
        snprintf(err, errlen, "private area file: %s", strerror(e));
        return -e;
    }
    d->priv = mmap(NULL, d->priv_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   d->priv_fd, 0);
    if (d->priv == MAP_FAILED) {
        e = errno;
        d->priv = NULL;
        snprintf(err, errlen, "mmap private area: %s", strerror(e));
        return -e;
    }
    return 0;
}

void hv_domain_mem_destroy(struct hv_domain *d)
{
    if (d->mem)
        munmap(d->mem, d->mem_size);
    if (d->priv)
        munmap(d->priv, d->priv_size);
    if (d->mem_fd >= 0)
        close(d->mem_fd);
    if (d->priv_fd >= 0)
        close(d->priv_fd);
    d->mem = d->priv = NULL;
    d->mem_fd = d->priv_fd = -1;
}
