// SPDX-License-Identifier: MIT
/* be_sandbox.c: no_new_privs and a seccomp allow-list for a dom0 daemon. */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "be_sandbox.h"

/* What every daemon does: log, allocate, handle signals, exit. */
static const int base_calls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(close),
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(tgkill),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
};

/* ASan's runtime makes system calls of its own (at exit, on a report). */
#if defined(__SANITIZE_ADDRESS__)
#define SECCOMP_IN_THIS_BUILD 0
#else
#define SECCOMP_IN_THIS_BUILD 1
#endif

static int sigsys_log_fd = 2;

/* Async-signal-safe: formats the number by hand, one write, then dies. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
    char line[96] = "sandbox: forbidden system call ";
    size_t n = strlen(line);
    char digits[12];
    int nr = si->si_syscall, k = 0;

    (void)uctx;
    if (nr < 0)
        nr = 0;
    do {
        digits[k++] = (char)('0' + nr % 10);
        nr /= 10;
    } while (nr && k < (int)sizeof(digits));
    while (k)
        line[n++] = digits[--k];
    memcpy(line + n, "; exiting\n", 10);
    n += 10;
    if (write(sigsys_log_fd, line, n) < 0) {
        /* nothing else to tell */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int be_sandbox_enter(const int *allowed, size_t n, int log_fd, int *skipped)
{
    struct sigaction sa;
    scmp_filter_ctx ctx;
    int e = 0;

    *skipped = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (!SECCOMP_IN_THIS_BUILD) {
        *skipped = 1;
        return 0;
    }
    sigsys_log_fd = log_fd;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return -errno;
    ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(base_calls) / sizeof(base_calls[0]) && !e;
         i++)
        e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, base_calls[i], 0);
    for (size_t i = 0; i < n && !e; i++)
        e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    if (!e)
        e = seccomp_load(ctx);
    seccomp_release(ctx);
    return e;
}
