/* SPDX-License-Identifier: MIT */
/* pvd_sandbox.h: the sandbox every pvisor daemon enters after start-up. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_SANDBOX_H
#define PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/*
 * What one daemon may do once it serves requests. Each daemon's profile
 * lives in pvd_profiles.c, next to the others, so that a reviewer sees
 * every allow-list in one place and the unit tests can enter each one.
 */
struct pvd_sandbox {
    const char *name;    /* the daemon, for the log line */
    const int *syscalls; /* allowed besides the base set, ended by -1 */
    uint64_t caps;       /* capabilities kept: 1 << CAP_X bits */
};

extern const struct pvd_sandbox pvd_sandbox_pvstored;
extern const struct pvd_sandbox pvd_sandbox_consoled;
extern const struct pvd_sandbox pvd_sandbox_blkback;
extern const struct pvd_sandbox pvd_sandbox_netback;
extern const struct pvd_sandbox pvd_sandbox_skelback;
/* pv-blkback's per-domain workers (be_worker.h). */
extern const struct pvd_sandbox pvd_sandbox_blkback_worker;

/* The profiles above, NULL-terminated (tests, docs). */
extern const struct pvd_sandbox *const pvd_sandboxes[];

/*
 * Enters sb for the rest of the process's life, for every thread
 * (existing ones included): no_new_privs; the bounding, ambient,
 * inheritable, permitted and effective capability sets cut to sb->caps;
 * and a seccomp filter that allows the base set (pvd_profiles.c) and
 * sb->syscalls on x86_64 only. Any other system call is not run: a line
 * "NAME[PID]: sandbox: forbidden system call N (name), killed" goes to
 * log_fd and the process dies of SIGSYS.
 *
 * The environment variable PVD_SANDBOX=off skips everything but
 * no_new_privs, with a warning in err (for debugging a daemon under
 * strace or gdb; never set by pvhost). Returns 0 (err "" or the warning)
 * or -errno with err saying which step failed.
 */
int pvd_sandbox_enter(const struct pvd_sandbox *sb, int log_fd, char *err,
                      size_t errlen);

/* "execve" for 59; NULL if unknown. */
const char *pvd_syscall_name(long nr);

#endif
