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
#include "pvd_daemon.h"
#include "pvd_log.h"
#include "pvd_sandbox.h"

int be_log_level = BE_LOG_INFO;
static const char *log_prog = "backend";
static int log_fd = 2;

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
    va_list ap;
    size_t n;

    if (level > be_log_level)
        return;
    va_start(ap, fmt);
    n = pvd_log_format(line, sizeof(line), log_prog, level, fmt, ap);
    va_end(ap);
    /* One write per line keeps lines whole in a shared log file. */
    (void)be_write_all(log_fd, line, n);
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
    return pvd_log_parse_level(s);
}

int be_daemonize(void)
{
    return pvd_daemonize();
}

void be_daemon_ready(void)
{
    (void)pvd_daemon_ready(log_fd != 2);
}

int be_write_pidfile(const char *path)
{
    return pvd_pidfile_write(path);
}

int be_listen_unix(const char *path)
{
    return pvd_unix_listen(path);
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
    return pvd_write_all(fd, buf, len);
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
