// SPDX-License-Identifier: MIT
/* pvd_profiles.c: what each daemon may call once it serves requests. */
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
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
/* ASan/LSan's runtime (test builds only): its leak check at exit stops the
 * world with a traced helper thread. */
#define ASAN_CALLS \
    SYS_clone, SYS_ptrace, SYS_wait4, SYS_prctl, SYS_sigaltstack, \
    SYS_readlink, SYS_getppid, SYS_sched_getaffinity, SYS_prlimit64, \
    SYS_getrlimit, SYS_munlock, SYS_mlock, SYS_getdents, SYS_getdents64, \
    SYS_set_robust_list, SYS_open, SYS_stat, SYS_lstat, SYS_uname, \
    SYS_kill, SYS_tkill, SYS_getrusage, SYS_rt_sigtimedwait, \
    SYS_process_vm_readv, SYS_pipe, SYS_access, SYS_readlinkat, \
    SYS_openat, SYS_close, SYS_read, SYS_mmap, SYS_munmap, SYS_mprotect, \
    SYS_madvise, SYS_futex, SYS_sched_yield

/* What the SIGSYS handler calls: the start of every thread role's list. */
const int pvd_handler_syscalls[] = {
    SYS_write, SYS_getpid, SYS_gettid, SYS_rt_sigaction, SYS_tgkill,
    SYS_rt_sigreturn, SYS_exit_group,
#if defined(__SANITIZE_ADDRESS__)
    ASAN_CALLS,
#endif
    -1,
};

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
    ASAN_CALLS,
#endif
    -1,
};
/* clang-format on */

/* pthread_create: clone3 only (a fork would need clone). */
#define THREADS SYS_clone3, SYS_set_robust_list, SYS_rseq

static const int pvstored_calls[] = { -1 };
const struct pvd_sandbox pvd_sandbox_pvstored = { .name = "pvstored",
                                                  .syscalls = pvstored_calls,
                                                  .caps = 0 };

/* Log rotation: NAME.log becomes NAME.log.1. */
static const int consoled_calls[] = { SYS_rename, SYS_renameat, SYS_renameat2,
                                      -1 };
const struct pvd_sandbox pvd_sandbox_consoled = { .name = "pv-consoled",
                                                  .syscalls = consoled_calls,
                                                  .caps = 0 };

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
const struct pvd_sandbox pvd_sandbox_blkback = { .name = "pv-blkback",
                                                 .syscalls = blkback_calls,
                                                 .caps = SUPERVISOR_CAPS };
/* The worker: its disks' fds and its domain's grants, nothing else. */
const struct pvd_sandbox pvd_sandbox_blkback_worker = {
    .name = "pv-blkback worker", .syscalls = blkback_worker_calls, .caps = 0
};

/* TAP devices and bridges: ioctls that need CAP_NET_ADMIN. */
static const int netback_calls[] = { THREADS, SYS_ioctl, -1 };
const struct pvd_sandbox pvd_sandbox_netback = { .name = "pv-netback",
                                                 .syscalls = netback_calls,
                                                 .caps = 1ULL
                                                         << CAP_NET_ADMIN };

static const int skelback_calls[] = { THREADS, -1 };
const struct pvd_sandbox pvd_sandbox_skelback = { .name = "pv-skelback",
                                                  .syscalls = skelback_calls,
                                                  .caps = 0 };

/*
 * pvisor. Measured on both platforms over the whole integration suite,
 * per thread role; the management thread also runs what a proc domain's
 * process does before and right after its exec (the spawn runs on that
 * thread and the child inherits its filter: spawn_child in
 * platform/proc.c, _start in platform/proc_stub.S).
 */
#define KVM_IOCTL                    \
    {                                \
        SYS_ioctl, 1, 0xff00, 0xae00 \
    } /* _IO*(KVMIO = 0xAE) */
#define PROC_SPAWN_FLAGS       (CLONE_VM | CLONE_VFORK | SIGCHLD)
#define PROC_STUB_THREAD_FLAGS 0x50f00 /* proc_stub.S: CLONE_THREAD_FLAGS */
#define PROC_NOBODY            65534

/* clang-format off */
static const int pvisor_calls[] = {
    THREADS,
    /* guest RAM and files: memfds, --mem-path, save/restore images, the
     * cgroups of sched-credit */
    SYS_memfd_create, SYS_ftruncate, SYS_fallocate, SYS_pwrite64,
    SYS_preadv, SYS_pwritev, SYS_fsync, SYS_fdatasync, SYS_statx,
    SYS_statfs, SYS_fstatfs, SYS_getdents64, SYS_mkdir, SYS_mkdirat,
    SYS_rmdir, SYS_unlinkat, SYS_rename, SYS_renameat, SYS_renameat2,
    SYS_fchmod, SYS_readlink, SYS_readlinkat, SYS_sendfile,
    SYS_copy_file_range, SYS_access, SYS_faccessat, SYS_faccessat2,
    /* events, timers, signals */
    SYS_signalfd4, SYS_kill, SYS_tkill, SYS_rt_sigtimedwait,
    /* placement and accounting */
    SYS_sched_setaffinity, SYS_sched_getaffinity, SYS_getrusage,
    SYS_getcpu, SYS_sysinfo, SYS_uname, SYS_geteuid, SYS_getppid,
    SYS_bind, SYS_listen, SYS_socketpair,
    /* the proc platform: tracing and reaping the domains' processes */
    SYS_ptrace, SYS_wait4, SYS_waitid,
    /* its spawn, before the exec (arguments checked where cheap below) */
    SYS_close_range, SYS_capset, SYS_capget, SYS_setresgid,
    /* the stub's start (its own filter comes on top) */
    SYS_seccomp, SYS_pause,
    -1,
};
/* clang-format on */

static const struct pvd_arg_rule pvisor_rules[] = {
    KVM_IOCTL,
    /* the proc platform's spawn and stub (nothing else clones but
     * pthread_create, which uses clone3) */
    { SYS_clone, 0, 0xffffffff, PROC_SPAWN_FLAGS },
    { SYS_clone, 0, 0xffffffff, PROC_STUB_THREAD_FLAGS },
    { SYS_execveat, 0, 0xffffffff, 6 }, /* the stub's sealed memfd */
    { SYS_unshare, 0, 0xffffffff, CLONE_NEWIPC | CLONE_NEWUTS },
    { SYS_personality, 0, 0xffffffff, ADDR_NO_RANDOMIZE },
    { SYS_setgroups, 0, 0xffffffff, 0 },
    { SYS_setresuid, 0, 0xffffffff, PROC_NOBODY },
    { SYS_prctl, 0, 0xffffffff, PR_SET_PDEATHSIG },
    { SYS_prctl, 0, 0xffffffff, PR_CAPBSET_DROP },
    { SYS_prctl, 0, 0xffffffff, PR_SET_KEEPCAPS },
    { SYS_prctl, 0, 0xffffffff, PR_CAP_AMBIENT },
    { SYS_prctl, 0, 0xffffffff, PR_SET_NAME },
    { SYS_prctl, 0, 0xffffffff, PR_SET_NO_NEW_PRIVS },
    { -1, 0, 0, 0 },
};

/*
 * The proc platform, started as root, hands each domain's process its own
 * namespaces (CAP_SYS_ADMIN), makes it nobody (CAP_SETUID, CAP_SETGID,
 * CAP_SETPCAP) keeping CAP_SYS_RAWIO for low mappings, and then traces,
 * kicks and reaps a process of another user (CAP_SYS_PTRACE, CAP_KILL),
 * and places its threads as vcpu-pin asks (CAP_SYS_NICE).
 * KVM alone needs none of these: pvisor keeps them only while the proc
 * platform is available (hypervisor/main.c).
 */
const struct pvd_sandbox pvd_sandbox_pvisor = {
    "pvisor",
    pvisor_calls,
    (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID) |
        (1ULL << CAP_SETPCAP) | (1ULL << CAP_SYS_RAWIO) |
        (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_KILL) | (1ULL << CAP_SYS_NICE),
    pvisor_rules,
    false,
};

/*
 * A vCPU thread: runs the guest (KVM_RUN, or PTRACE_SYSEMU on the proc
 * platform), decodes its hypercalls and traps, signals event channels and
 * other vCPUs, sets timers, moves itself into its cgroup. No sockets, no
 * processes, no exec, no identity or namespace change.
 */
/* clang-format off */
static const int pvisor_vcpu_calls[] = {
    SYS_read, SYS_readv, SYS_pread64, SYS_writev, SYS_pwrite64, SYS_close,
    SYS_lseek, SYS_fstat, SYS_newfstatat, SYS_openat, SYS_fcntl,
    SYS_fallocate, /* ballooning: holes punched in guest RAM */
    SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_brk,
    SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep,
    SYS_gettimeofday, SYS_futex, SYS_sched_yield, SYS_poll, SYS_ppoll,
    SYS_epoll_ctl, SYS_timerfd_settime, SYS_timerfd_gettime, SYS_eventfd2,
    SYS_rt_sigprocmask, SYS_rt_sigtimedwait, SYS_restart_syscall, SYS_exit,
    SYS_tkill,
    SYS_sched_setaffinity, SYS_sched_getaffinity, SYS_getcpu,
    SYS_set_robust_list, SYS_rseq,
    /* the proc platform: its guest thread, and the guest's memory */
    SYS_ptrace, SYS_wait4, SYS_waitid,
    -1,
};
/* clang-format on */

static const struct pvd_arg_rule pvisor_vcpu_rules[] = {
    KVM_IOCTL,
    { -1, 0, 0, 0 },
};

const struct pvd_sandbox pvd_sandbox_pvisor_vcpu = {
    "pvisor", pvisor_vcpu_calls, 0, pvisor_vcpu_rules, true,
};

const struct pvd_sandbox *const pvd_sandboxes[] = {
    &pvd_sandbox_pvstored,    &pvd_sandbox_consoled,       &pvd_sandbox_blkback,
    &pvd_sandbox_netback,     &pvd_sandbox_skelback,       &pvd_sandbox_pvisor,
    &pvd_sandbox_pvisor_vcpu, &pvd_sandbox_blkback_worker, NULL,
};
