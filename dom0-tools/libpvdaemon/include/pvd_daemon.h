/* SPDX-License-Identifier: MIT */
/* pvd_daemon.h: start-up plumbing every pvisor daemon shares. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_DAEMON_H
#define PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Forks; the parent waits until the child calls pvd_daemon_ready() (exit
 * status 0) or exits or dies first (exit status 1). The child starts a
 * new session and keeps the close-on-exec write end of the readiness
 * pipe. Returns 0 in the child, or -errno (nothing forked, nothing left
 * open) when pipe or fork fail.
 */
int pvd_daemonize(void);

/*
 * In a pvd_daemonize() child: points stdin and stdout (and stderr when
 * null_stderr) at /dev/null, then tells the parent that start-up
 * succeeded. Returns 0, also when not daemonized, or -errno when the
 * parent could not be told.
 */
int pvd_daemon_ready(bool null_stderr);

/* Writes getpid() and a newline to path (created 0644, close-on-exec,
 * truncated). Returns 0 or -errno. */
int pvd_pidfile_write(const char *path);

/* Removes a pidfile written by pvd_pidfile_write(); NULL: nothing. */
void pvd_pidfile_remove(const char *path);

/*
 * A listening, non-blocking, close-on-exec unix stream socket at path,
 * mode 0600. A stale socket file (nobody accepts on it) is replaced; a
 * live one is left alone: -EADDRINUSE. Returns the fd or -errno
 * (-ENAMETOOLONG for a path that does not fit a sockaddr_un); on failure
 * no socket file of ours is left at path.
 */
int pvd_unix_listen(const char *path);

/* Writes all of buf to a blocking fd (retries EINTR and short writes).
 * Returns 0 or -errno. */
int pvd_write_all(int fd, const void *buf, size_t len);

#endif /* PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_DAEMON_H */
