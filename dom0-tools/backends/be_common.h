/* SPDX-License-Identifier: MIT */
/* be_common.h: what every dom0 backend daemon needs: log, daemon, socket. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BE_COMMON_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BE_COMMON_H

#include <stdbool.h>
#include <stddef.h>

enum be_log_level { BE_LOG_ERR, BE_LOG_WARN, BE_LOG_INFO, BE_LOG_DEBUG };

/* The current level; messages above it are dropped. */
extern int be_log_level;

/*
 * Sets the program name used as the log prefix ("pv-consoled") and the fd
 * log lines go to (default 2). The fd is not closed by the log.
 */
void be_log_init(const char *prog, int fd);

/*
 * be_log_init(prog, fd of PATH opened for appending, created 0644).
 * Returns that fd, or -1 after one line on stderr naming PATH.
 */
int be_log_to_file(const char *prog, const char *path);

/* The fd log lines go to. */
int be_log_fileno(void);

/* One line "<time> <prog>[pid] <level>: message" (newline added). */
void be_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct pvd_sandbox;
/*
 * Enters the daemon's sandbox (pvd_sandbox.h) with the log as the place
 * a forbidden system call is reported. 0 (a warning the sandbox gave is
 * logged), or -1 after logging why it could not.
 */
int be_sandbox(const struct pvd_sandbox *sb);

/* "err", "warn", "info", "debug" -> level, or -1. */
int be_log_parse_level(const char *s);

#define be_err(...)  be_log(BE_LOG_ERR, __VA_ARGS__)
#define be_warn(...) be_log(BE_LOG_WARN, __VA_ARGS__)
#define be_info(...) be_log(BE_LOG_INFO, __VA_ARGS__)
#define be_debug(...)                          \
    do {                                       \
        if (be_log_level >= BE_LOG_DEBUG)      \
            be_log(BE_LOG_DEBUG, __VA_ARGS__); \
    } while (0)

/*
 * Forks; the parent waits until the child calls be_daemon_ready() (exit
 * status 0) or exits/dies first (exit status 1). The child starts a new
 * session. Returns 0 in the child or -errno when fork/pipe fail.
 */
int be_daemonize(void);

/* Tells a be_daemonize() parent that start-up succeeded; no-op if not
 * daemonized. Also points stdin/stdout/stderr at /dev/null. */
void be_daemon_ready(void);

/*
 * The options every backend daemon takes: --run-dir DIR, --daemon,
 * --pidfile FILE, --log-file FILE, --log-level LEVEL. BE_LONG_OPTS goes
 * into a getopt_long table (<getopt.h>); be_opt() takes one result of
 * getopt_long: 1 if it was one of these, 0 if not, -1 after printing why
 * its value is bad.
 */
struct be_opts {
    const char *run_dir, *pidfile, *logfile;
    bool daemon;
};
#define BE_LONG_OPTS                                  \
    { "run-dir", required_argument, NULL, 'r' },      \
        { "daemon", no_argument, NULL, 'D' },         \
        { "pidfile", required_argument, NULL, 'p' },  \
        { "log-file", required_argument, NULL, 'l' }, \
    {                                                 \
        "log-level", required_argument, NULL, 'L'     \
    }
int be_opt(struct be_opts *o, int opt, const char *arg, const char *prog);

/*
 * Start-up in two steps, so a daemon may do its own set-up in between
 * (pv-netback enters its network namespace): be_start_log() starts the
 * log (the file if given) and points xenstore clients at the run
 * directory; be_start_daemon() daemonizes if asked, ignores SIGPIPE and
 * blocks SIGTERM, SIGINT and SIGHUP, returning a signalfd for them. Both
 * return -1 after logging why they failed.
 */
int be_start_log(const char *prog, const struct be_opts *o);
int be_start_daemon(const struct be_opts *o);

/* Writes getpid() to path. Returns 0 or -errno. */
int be_write_pidfile(const char *path);

/*
 * A listening, non-blocking, close-on-exec unix stream socket at path
 * (a stale socket file is replaced), mode 0600. Returns the fd or -errno.
 */
int be_listen_unix(const char *path);

/* True when the peer of a unix socket runs as root or as our uid. */
bool be_peer_trusted(int fd);

/* Writes all of buf to a blocking fd (retries EINTR and short writes).
 * Returns 0 or -errno. */
int be_write_all(int fd, const void *buf, size_t len);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_BE_COMMON_H */
