// SPDX-License-Identifier: MIT
/* be_common.c: logging, daemon start-up and the unix socket of a backend. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "be_common.h"
#include "pvd_sandbox.h"

int be_log_level = BE_LOG_INFO;
static const char *log_prog = "backend";
static int log_fd = 2;
static int ready_fd = -1;

static const char *const level_names[] = { "err", "warn", "info", "debug" };

int be_log_fileno(void)
{
    return log_fd;
}

void be_log_init(const char *prog, int fd)
{
    log_prog = prog;
    log_fd = fd;
}

int be_log_to_file(const char *prog, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    be_log_init(prog, fd);
    return fd;
}

void be_log(int level, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n, m;

    if (level > be_log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof(line),
                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_prog,
                 (int)getpid(), level_names[level < 0 ? 0 : level & 3]);
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n += m < 0 ? 0 : m;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line keeps lines whole in a shared log file. */
    (void)be_write_all(log_fd, line, (size_t)n);
}

int be_sandbox(const struct pvd_sandbox *sb)
{
    char err[256];

    if (pvd_sandbox_enter(sb, log_fd, err, sizeof(err)) < 0) {
        be_err("sandbox: %s", err);
        return -1;
    }
    if (err[0])
        be_warn("sandbox: %s", err);
    else
        be_debug("sandbox: entered");
    return 0;
}

int be_log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, level_names[i]))
            return i;
    if (!strcmp(s, "error"))
        return BE_LOG_ERR;
    if (!strcmp(s, "warning"))
        return BE_LOG_WARN;
    return -1;
}

int be_daemonize(void)
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
        close(p[1]);
        ssize_t n = read(p[0], &c, 1);
        _exit(n == 1 && c == 0 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    ready_fd = p[1];
    return 0;
}

void be_daemon_ready(void)
{
    char ok = 0;
    int null;

    if (ready_fd < 0)
        return;
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (log_fd != 2)
            dup2(null, 2);
        close(null);
    }
    (void)be_write_all(ready_fd, &ok, 1);
    close(ready_fd);
    ready_fd = -1;
}

int be_write_pidfile(const char *path)
{
    char buf[32];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int n, e;

    if (fd < 0)
        return -errno;
    n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    e = be_write_all(fd, buf, (size_t)n);
    close(fd);
    return e;
}

int be_listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        goto fail;
    if (chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        e = -errno;
        unlink(path);
        close(fd);
        return e;
    }
    return fd;
fail:
    e = -errno;
    close(fd);
    return e;
}

bool be_peer_trusted(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    return cred.uid == 0 || cred.uid == getuid();
}

int be_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int be_opt(struct be_opts *o, int opt, const char *arg, const char *prog)
{
    switch (opt) {
    case 'r':
        o->run_dir = arg;
        return 1;
    case 'D':
        o->daemon = true;
        return 1;
    case 'p':
        o->pidfile = arg;
        return 1;
    case 'l':
        o->logfile = arg;
        return 1;
    case 'L':
        be_log_level = be_log_parse_level(arg);
        if (be_log_level >= 0)
            return 1;
        fprintf(stderr, "%s: bad log level '%s' (err, warn, info, debug)\n",
                prog, arg);
        return -1;
    default:
        return 0;
    }
}

int be_start_log(const char *prog, const struct be_opts *o)
{
    be_log_init(prog, 2);
    if (o->logfile && be_log_to_file(prog, o->logfile) < 0)
        return -1;
    /* xs_open() finds pvstored's socket through it */
    if (o->run_dir && !getenv("XENSTORED_PATH"))
        setenv("PVISOR_RUN_DIR", o->run_dir, 1);
    return 0;
}

int be_start_daemon(const struct be_opts *o)
{
    sigset_t sigs;
    int e, sfd;

    if (o->daemon && (e = be_daemonize()) < 0) {
        be_err("daemonizing: %s", strerror(-e));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        be_err("signalfd: %s", strerror(errno));
    return sfd;
}
