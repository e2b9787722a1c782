// SPDX-License-Identifier: MIT
/* pvd_profiles.c: what each daemon may call once it serves requests. */
#include <linux/capability.h>
#include <sys/syscall.h>

#include "pvd_sandbox.h"

/*
 * Every daemon: memory, threads' own bookkeeping, time, signals it
 * handles, its sockets and log, and what the SIGSYS handler itself calls
 * (write, getpid, gettid, rt_sigaction, tgkill, exit_group). Found by
 * tracing every daemon through the whole integration suite and by reading
 * the code for paths the suite does not take (error paths: strerror and
 * localtime may open locale and zone files).
 */
/* clang-format off */
const int pvd_base_syscalls[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_close,
    SYS_lseek, SYS_fstat, SYS_newfstatat, SYS_openat, SYS_fcntl, SYS_dup,
    SYS_dup2, SYS_dup3, SYS_unlink, SYS_getrandom,
    /* memory */
    SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_brk,
    /* time, waiting */
    SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday,
    SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_poll, SYS_ppoll,
    SYS_futex, SYS_sched_yield,
    /* descriptors a daemon makes for itself */
    SYS_epoll_create1, SYS_eventfd2, SYS_pipe2, SYS_timerfd_create,
    SYS_timerfd_settime, SYS_timerfd_gettime,
    /* sockets to pvisor, pvstored and clients */
    SYS_socket, SYS_connect, SYS_accept4, SYS_shutdown, SYS_getsockopt,
    SYS_setsockopt, SYS_getsockname, SYS_getpeername, SYS_sendto,
    SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
    /* identity, signals, exit */
    SYS_getpid, SYS_gettid, SYS_getuid, SYS_tgkill, SYS_rt_sigaction,
    SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_restart_syscall, SYS_exit,
    SYS_exit_group,
#if defined(__SANITIZE_ADDRESS__)
    /* ASan/LSan's runtime (test builds only): its leak check at exit stops
     * the world with a traced helper thread. */
    SYS_clone, SYS_ptrace, SYS_wait4, SYS_prctl, SYS_sigaltstack,
    SYS_readlink, SYS_getppid, SYS_sched_getaffinity, SYS_prlimit64,
    SYS_getrlimit, SYS_munlock, SYS_mlock, SYS_getdents, SYS_getdents64,
    SYS_set_robust_list, SYS_open, SYS_stat, SYS_lstat, SYS_uname,
    SYS_kill, SYS_tkill, SYS_getrusage, SYS_rt_sigtimedwait,
    SYS_process_vm_readv, SYS_pipe, SYS_access, SYS_readlinkat,
#endif
    -1,
};
/* clang-format on */

/* pthread_create: clone3 only (a fork would need clone). */
#define THREADS SYS_clone3, SYS_set_robust_list, SYS_rseq

static const int pvstored_calls[] = { -1 };
const struct pvd_sandbox pvd_sandbox_pvstored = { "pvstored", pvstored_calls,
                                                  0 };

/* Log rotation: NAME.log becomes NAME.log.1. */
static const int consoled_calls[] = { SYS_rename, SYS_renameat, SYS_renameat2,
                                      -1 };
const struct pvd_sandbox pvd_sandbox_consoled = { "pv-consoled", consoled_calls,
                                                  0 };

/*
 * A backend supervisor (be_worker.c) forks one worker per domain; the
 * child keeps its filter, so the supervisor's list holds what a new
 * worker does before it enters its own, narrower profile: drop to its
 * uid, new namespaces, not dumpable, the sandbox itself (capget/capset,
 * prctl, seccomp). The supervisor keeps CAP_SETUID and CAP_SETGID for
 * the drop, and never maps guest memory.
 */
#define SUPERVISOR                                                             \
    SYS_clone, SYS_wait4, SYS_kill, SYS_close_range, SYS_socketpair,           \
        SYS_setgroups, SYS_setresuid, SYS_setresgid, SYS_geteuid, SYS_unshare, \
        SYS_prctl, SYS_capget, SYS_capset, SYS_seccomp, SYS_getppid
#define SUPERVISOR_CAPS ((1ULL << CAP_SETUID) | (1ULL << CAP_SETGID))

/* io_uring for the disks; BLKGETSIZE64 on a block device. */
/* clang-format off */
#define BLKBACK_WORKER                                                    \
    THREADS, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, \
        SYS_ioctl, SYS_fallocate, SYS_fdatasync, SYS_fsync
static const int blkback_calls[] = { SUPERVISOR, BLKBACK_WORKER, -1 };
static const int blkback_worker_calls[] = { BLKBACK_WORKER, -1 };
/* clang-format on */
const struct pvd_sandbox pvd_sandbox_blkback = { "pv-blkback", blkback_calls,
                                                 SUPERVISOR_CAPS };
/* The worker: its disks' fds and its domain's grants, nothing else. */
const struct pvd_sandbox pvd_sandbox_blkback_worker = { "pv-blkback worker",
                                                        blkback_worker_calls,
                                                        0 };

/* TAP devices and bridges: ioctls that need CAP_NET_ADMIN. */
static const int netback_calls[] = { THREADS, SYS_ioctl, -1 };
const struct pvd_sandbox pvd_sandbox_netback = { "pv-netback", netback_calls,
                                                 1ULL << CAP_NET_ADMIN };

static const int skelback_calls[] = { THREADS, -1 };
const struct pvd_sandbox pvd_sandbox_skelback = { "pv-skelback", skelback_calls,
                                                  0 };

const struct pvd_sandbox *const pvd_sandboxes[] = {
    &pvd_sandbox_pvstored,
    &pvd_sandbox_consoled,
    &pvd_sandbox_blkback,
    &pvd_sandbox_netback,
    &pvd_sandbox_skelback,
    &pvd_sandbox_blkback_worker,
    NULL,
};
