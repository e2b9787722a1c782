// SPDX-License-Identifier: MIT
/* pvd_daemon.c: daemonize, pidfile and listening socket for every daemon. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvd_daemon.h"
#include "pvd_log.h"

/* Write end of the readiness pipe in a pvd_daemonize() child. */
static int ready_fd = -1;

int pvd_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pvd_daemonize(void)
{
    int p[2];
    pid_t pid;
    char c = 1;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(p[0]);
        close(p[1]);
        return e;
    }
    if (pid > 0) {
        ssize_t n;

        close(p[1]);
        do
            n = read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        _exit(n == 1 && c == 0 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    pvd_log_reset_pid();
    ready_fd = p[1];
    return 0;
}

int pvd_daemon_ready(bool null_stderr)
{
    char ok = 0;
    int null, e;

    if (ready_fd < 0)
        return 0;
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null_stderr)
            dup2(null, 2);
        close(null);
    }
    e = pvd_write_all(ready_fd, &ok, 1);
    close(ready_fd);
    ready_fd = -1;
    return e;
}

int pvd_pidfile_write(const char *path)
{
    char buf[32];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int n, e;

    if (fd < 0)
        return -errno;
    n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    e = pvd_write_all(fd, buf, (size_t)n);
    if (close(fd) < 0 && !e)
        e = -errno;
    return e;
}

void pvd_pidfile_remove(const char *path)
{
    if (path)
        unlink(path);
}

int pvd_unix_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    /* Refuse to steal the socket of a live daemon. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        return -EADDRINUSE;
    }
    close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    if (chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        e = -errno;
        unlink(path);
        close(fd);
        return e;
    }
    return fd;
}
