/* SPDX-License-Identifier: MIT */
/* pvd_sandbox.h: the sandbox every pvisor daemon enters after start-up. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_SANDBOX_H
#define PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A system call allowed only with one argument's low 32 bits, masked,
 * equal to a value: ioctl only with KVM's numbers, execveat only on
 * descriptor 6. The kernel reads these arguments as 32-bit (int, unsigned
 * int, or clone's flags), so the high half does not matter. Several rules
 * for one call: any may allow it.
 */
struct pvd_arg_rule {
    int nr;         /* the system call; -1 ends a list */
    unsigned arg;   /* 0..5 */
    uint32_t mask;  /* of the argument's low 32 bits */
    uint32_t value; /* what the masked bits must be */
};

/*
 * What one daemon may do once it serves requests. Each daemon's profile
 * lives in pvd_profiles.c, next to the others, so that a reviewer sees
 * every allow-list in one place and the unit tests can enter each one.
 */
struct pvd_sandbox {
    const char *name;    /* the daemon, for the log line */
    const int *syscalls; /* allowed besides the base set, ended by -1 */
    uint64_t caps;       /* capabilities kept: 1 << CAP_X bits */
    /* Allowed with a condition on an argument (may be NULL). */
    const struct pvd_arg_rule *rules;
    /* A thread role's list (pvd_sandbox_narrow_thread): syscalls and rules
     * are all it may call besides the SIGSYS handler's own calls, not an
     * addition to the base set. */
    bool thread_role;
};

extern const struct pvd_sandbox pvd_sandbox_pvstored;
extern const struct pvd_sandbox pvd_sandbox_consoled;
extern const struct pvd_sandbox pvd_sandbox_blkback;
extern const struct pvd_sandbox pvd_sandbox_netback;
extern const struct pvd_sandbox pvd_sandbox_skelback;
/* pvisor: the process (its management thread, and what it spawns for the
 * proc platform before the exec), and the narrower list each vCPU thread
 * takes on itself. */
extern const struct pvd_sandbox pvd_sandbox_pvisor;
extern const struct pvd_sandbox pvd_sandbox_pvisor_vcpu;
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

/*
 * Narrows the calling thread (only) to role, a thread_role profile, on top
 * of the process's filter: both must allow a call. Threads it creates
 * afterwards inherit the narrower filter. Does nothing (returns 0) when
 * the process has not entered a sandbox or runs with PVD_SANDBOX=off, so
 * that code shared with tests may call it. Returns 0 or -errno with err
 * saying why.
 */
int pvd_sandbox_narrow_thread(const struct pvd_sandbox *role, char *err,
                              size_t errlen);

/* Whether pvd_sandbox_enter installed a filter in this process. */
bool pvd_sandbox_active(void);

/* "execve" for 59; NULL if unknown. */
const char *pvd_syscall_name(long nr);

#endif
