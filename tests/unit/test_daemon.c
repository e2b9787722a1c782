// SPDX-License-Identifier: MIT
/* test_daemon.c: libpvdaemon's start-up plumbing (pvd_daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvd_daemon.h"
#include "pvd_log.h"
#include "unit.h"

static char dir[64];

static int init(void)
{
    strcpy(dir, "/tmp/pvd-unit-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int cleanup(void)
{
    return rmdir(dir);
}

static void path_in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void test_pidfile(void)
{
    char path[128], buf[32], want[32];
    struct stat st;
    ssize_t n;
    int fd;

    path_in_dir(path, sizeof(path), "pid");
    /* A longer old content is truncated away. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "123456789012345\n", 16), 16);
    close(fd);
    CU_ASSERT_EQUAL(pvd_pidfile_write(path), 0);
    fd = open(path, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    CU_ASSERT_FATAL(n > 0);
    buf[n] = 0;
    snprintf(want, sizeof(want), "%d\n", (int)getpid());
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    pvd_pidfile_remove(path);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    pvd_pidfile_remove(NULL);
    /* A directory that is not there: the errno comes back. */
    path_in_dir(path, sizeof(path), "none/pid");
    CU_ASSERT_EQUAL(pvd_pidfile_write(path), -ENOENT);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_unix_listen(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[128], longpath[200];
    struct stat st;
    int fd, stale, c, a;

    path_in_dir(path, sizeof(path), "s.sock");
    /* A stale socket file: bound once, nobody listening any more. */
    strcpy(sa.sun_path, path);
    stale = socket(AF_UNIX, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(stale >= 0);
    CU_ASSERT_EQUAL_FATAL(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(stale);

    fd = pvd_unix_listen(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CU_ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT(S_ISSOCK(st.st_mode));
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    /* Nobody is waiting: accept does not block. */
    CU_ASSERT_EQUAL(accept(fd, NULL, NULL), -1);
    CU_ASSERT_EQUAL(errno, EAGAIN);
    c = connect_to(path);
    CU_ASSERT(c >= 0);
    a = accept(fd, NULL, NULL);
    CU_ASSERT(a >= 0);
    if (a >= 0)
        close(a);
    if (c >= 0)
        close(c);

    /* A live socket is not stolen, and still serves. */
    CU_ASSERT_EQUAL(pvd_unix_listen(path), -EADDRINUSE);
    c = connect_to(path);
    CU_ASSERT(c >= 0);
    if (c >= 0)
        close(c);
    close(fd);
    unlink(path);

    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = 0;
    CU_ASSERT_EQUAL(pvd_unix_listen(longpath), -ENAMETOOLONG);
    path_in_dir(path, sizeof(path), "none/s.sock");
    CU_ASSERT_EQUAL(pvd_unix_listen(path), -ENOENT);
}

/* Runs pvd_daemonize() in a child; returns that child's exit status. The
 * daemon signals readiness when ready is true, else exits without. */
static int daemonize_status(bool ready)
{
    int status = -1;
    pid_t pid = fork();

    if (pid == 0) {
        if (pvd_daemonize() != 0)
            _exit(2);
        /* The daemon: a new session, then ready or not. */
        if (getsid(0) != getpid())
            _exit(3);
        if (ready && pvd_daemon_ready(false) != 0)
            _exit(4);
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void test_daemonize(void)
{
    CU_ASSERT_EQUAL(daemonize_status(true), 0);
    CU_ASSERT_EQUAL(daemonize_status(false), 1);
    /* Not daemonized: nothing to tell. */
    CU_ASSERT_EQUAL(pvd_daemon_ready(true), 0);
}

static size_t format(char *line, size_t len, int level, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = pvd_log_format(line, len, "unitd", level, fmt, ap);
    va_end(ap);
    return n;
}

/* "YYYY-MM-DDTHH:MM:SS" of t in UTC. */
static void utc(time_t t, char *buf, size_t len)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void test_log_format(void)
{
    char line[256], before[32], after[32], want[64], big[600];
    time_t t0 = time(NULL), t1;
    size_t n =
        format(line, sizeof(line), PVD_LOG_WARN, "disk %s: %d", "xvda", 42);

    t1 = time(NULL);
    utc(t0, before, sizeof(before));
    utc(t1, after, sizeof(after));
    CU_ASSERT_EQUAL(n, strlen(line));
    /* The time, to the second, is one read before or after. */
    CU_ASSERT(!strncmp(line, before, 19) || !strncmp(line, after, 19));
    CU_ASSERT_EQUAL(line[19], '.');
    CU_ASSERT_EQUAL(line[23], 'Z');
    snprintf(want, sizeof(want), " unitd[%d] warn: disk xvda: 42\n",
             (int)getpid());
    CU_ASSERT_STRING_EQUAL(line + 24, want);

    /* A message too long is cut, and the line still ends in a newline. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    n = format(line, sizeof(line), PVD_LOG_ERR, "%s", big);
    CU_ASSERT_EQUAL(n, sizeof(line) - 1);
    CU_ASSERT_EQUAL(strlen(line), n);
    CU_ASSERT_EQUAL(line[n - 1], '\n');
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "] err: xxx"));

    CU_ASSERT_EQUAL(pvd_log_parse_level("err"), PVD_LOG_ERR);
    CU_ASSERT_EQUAL(pvd_log_parse_level("warning"), PVD_LOG_WARN);
    CU_ASSERT_EQUAL(pvd_log_parse_level("info"), PVD_LOG_INFO);
    CU_ASSERT_EQUAL(pvd_log_parse_level("debug"), PVD_LOG_DEBUG);
    CU_ASSERT_EQUAL(pvd_log_parse_level("loud"), -1);
}

static const struct unit_test tests[] = {
    { "pidfile written, truncated and removed", test_pidfile },
    { "unix listen: mode, flags, stale and live sockets", test_unix_listen },
    { "daemonize waits for readiness", test_daemonize },
    { "log line: time, component, pid, level", test_log_format },
    { NULL, NULL },
};

const struct unit_suite unit_suite_daemon = {
    .name = "daemon",
    .init = init,
    .cleanup = cleanup,
    .tests = tests,
};
