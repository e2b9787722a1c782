// SPDX-License-Identifier: MIT
/* test_sandbox.c: each daemon's sandbox profile, entered in a child. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvd_sandbox.h"
#include "unit.h"

enum probe {
    PROBE_ALLOWED,
    PROBE_STATUS,
    PROBE_EXECVE,
    PROBE_FORK,
    PROBE_I386
};

/*
 * Forks a child that enters sb, writes its log to a pipe and then does
 * what probe says; returns its wait status and the log in buf.
 */
static int in_child(const struct pvd_sandbox *sb, enum probe probe, char *buf,
                    size_t len)
{
    int p[2], status = 0;
    ssize_t n, got = 0;
    pid_t pid;

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        char err[256];
        close(p[0]);
        if (pvd_sandbox_enter(sb, p[1], err, sizeof(err)) < 0) {
            dprintf(p[1], "enter failed: %s\n", err);
            _exit(3);
        }
        switch (probe) {
        case PROBE_ALLOWED:
            dprintf(p[1], "alive %d\n", getpid() == (pid_t)syscall(SYS_gettid));
            _exit(0);
        case PROBE_STATUS: {
            char line[256];
            FILE *f = fopen("/proc/self/status", "r");
            while (f && fgets(line, sizeof(line), f))
                if (write(p[1], line, strlen(line)) < 0)
                    _exit(4);
            _exit(f ? 0 : 4);
        }
        case PROBE_EXECVE: {
            char *const argv[] = { "true", NULL };
            execve("/bin/true", argv, NULL);
            _exit(4); /* not reached when the filter works */
        }
        case PROBE_FORK:
            syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
            _exit(4);
        case PROBE_I386: {
            long ret = 20; /* getpid in the i386 table */
            __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
            _exit(4);
        }
        }
        _exit(5);
    }
    close(p[1]);
    while (got < (ssize_t)len - 1 &&
           (n = read(p[0], buf + got, len - 1 - (size_t)got)) > 0)
        got += n;
    buf[got] = '\0';
    close(p[0]);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    return status;
}

#if !defined(__SANITIZE_ADDRESS__)
/* True when sb allows nr beyond the base set. */
static bool profile_allows(const struct pvd_sandbox *sb, int nr)
{
    for (const int *c = sb->syscalls; c && *c >= 0; c++)
        if (*c == nr)
            return true;
    return false;
}
#endif

static void test_profiles_allow_and_refuse(void)
{
    for (const struct pvd_sandbox *const *sb = pvd_sandboxes; *sb; sb++) {
        char log[512], want[160];
        int st;

        st = in_child(*sb, PROBE_ALLOWED, log, sizeof(log));
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CU_ASSERT_STRING_EQUAL(log, "alive 1\n");

        /* execve: refused, logged with its name, the process killed by
         * SIGSYS. */
        st = in_child(*sb, PROBE_EXECVE, log, sizeof(log));
        CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
        snprintf(want, sizeof(want), "%s[", (*sb)->name);
        CU_ASSERT(strncmp(log, want, strlen(want)) == 0);
        CU_ASSERT_PTR_NOT_NULL(
            strstr(log, "]: sandbox: forbidden system call 59 (execve), "
                        "killed\n"));

#if !defined(__SANITIZE_ADDRESS__)
        /* fork (clone without CLONE_THREAD): refused too, but for a
         * backend supervisor, which forks its workers. (Sanitizer
         * builds allow clone: LeakSanitizer's exit check needs it.) */
        if (!profile_allows(*sb, SYS_clone)) {
            st = in_child(*sb, PROBE_FORK, log, sizeof(log));
            CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
            CU_ASSERT_PTR_NOT_NULL(strstr(log, "(clone), killed"));
        }
#endif

        /* The i386 system call table: killed outright, whatever the
         * number (it would mean another call there). */
        st = in_child(*sb, PROBE_I386, log, sizeof(log));
        CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
    }
}

/* Capabilities outside a profile's set are gone from every set, the
 * bounding set included (so no later execve could bring them back). */
static unsigned long long cap_field(const char *status, const char *key)
{
    const char *s = strstr(status, key);

    return s ? strtoull(s + strlen(key), NULL, 16) : ~0ULL;
}

static void test_capabilities_dropped(void)
{
    for (const struct pvd_sandbox *const *sb = pvd_sandboxes; *sb; sb++) {
        char buf[4096];
        int st = in_child(*sb, PROBE_STATUS, buf, sizeof(buf));

        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CU_ASSERT_EQUAL(cap_field(buf, "CapEff:") & ~(*sb)->caps, 0);
        CU_ASSERT_EQUAL(cap_field(buf, "CapPrm:") & ~(*sb)->caps, 0);
        CU_ASSERT_EQUAL(cap_field(buf, "CapBnd:") & ~(*sb)->caps, 0);
        CU_ASSERT_EQUAL(cap_field(buf, "CapInh:"), 0);
        CU_ASSERT_EQUAL(cap_field(buf, "CapAmb:"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "NoNewPrivs:\t1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Seccomp:\t2"));
    }
}

static void test_syscall_names(void)
{
    CU_ASSERT_STRING_EQUAL(pvd_syscall_name(0), "read");
    CU_ASSERT_STRING_EQUAL(pvd_syscall_name(59), "execve");
    CU_ASSERT_STRING_EQUAL(pvd_syscall_name(435), "clone3");
    CU_ASSERT_PTR_NULL(pvd_syscall_name(-1));
    CU_ASSERT_PTR_NULL(pvd_syscall_name(100000));
}

/* ---- pvisor: argument rules and thread roles ---- */

enum pv_probe {
    PV_KVM_IOCTL,   /* ioctl(-1, KVM_GET_API_VERSION): allowed, EBADF */
    PV_TTY_IOCTL,   /* ioctl(-1, TCGETS): refused */
    PV_EXECVEAT_FD, /* execveat(5, ...): refused (only fd 6) */
    PV_EXECVEAT_6,  /* execveat(6, ...) on a closed fd 6: allowed, EBADF */
    PV_CLONE_FORK,  /* clone(SIGCHLD): refused */
    PV_UNSHARE_NET, /* unshare(CLONE_NEWNET): refused */
    PV_SOCKET,      /* socket(): allowed to the management role */
    PV_VCPU_SOCKET, /* a thread narrowed to the vCPU role: socket() */
};

static void *vcpu_role_socket(void *arg)
{
    char err[256];

    if (pvd_sandbox_narrow_thread(&pvd_sandbox_pvisor_vcpu, err, sizeof(err)) <
        0)
        return (void *)1;
    /* The narrowed thread: killed here. */
    syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    return arg;
}

/* Enters pvisor's profile in a child, runs probe; the wait status. */
static int pvisor_child(enum pv_probe probe, char *log, size_t len)
{
    int p[2], status = 0;
    ssize_t n, got = 0;
    pid_t pid;

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        char err[256];
        long r = 0;
        close(p[0]);
        close(6);
        if (pvd_sandbox_enter(&pvd_sandbox_pvisor, p[1], err, sizeof(err)) < 0)
            _exit(3);
        switch (probe) {
        case PV_KVM_IOCTL:
            r = syscall(SYS_ioctl, -1, 0xae00, 0);
            break;
        case PV_TTY_IOCTL:
            r = syscall(SYS_ioctl, -1, TCGETS, 0);
            break;
        case PV_EXECVEAT_FD:
            r = syscall(SYS_execveat, 5, "", NULL, NULL, 0x1000);
            break;
        case PV_EXECVEAT_6:
            r = syscall(SYS_execveat, 6, "", NULL, NULL, 0x1000);
            break;
        case PV_CLONE_FORK:
            r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
            break;
        case PV_UNSHARE_NET:
            r = syscall(SYS_unshare, CLONE_NEWNET);
            break;
        case PV_SOCKET:
            r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
            break;
        case PV_VCPU_SOCKET: {
            pthread_t t;
            void *ret = NULL;
            if (pthread_create(&t, NULL, vcpu_role_socket, NULL) != 0 ||
                pthread_join(t, &ret) != 0)
                _exit(4);
            _exit(ret ? 5 : 6);
        }
        }
        /* Reached only when the call was allowed: its result. */
        _exit(r >= 0 ? 0 : errno == EBADF ? 1 : 2);
    }
    close(p[1]);
    while (got < (ssize_t)len - 1 &&
           (n = read(p[0], log + got, len - 1 - (size_t)got)) > 0)
        got += n;
    log[got] = '\0';
    close(p[0]);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    return status;
}

static bool killed_for(int st, const char *log, const char *call)
{
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS &&
           strstr(log, call) != NULL && strncmp(log, "pvisor[", 7) == 0;
}

static void test_pvisor_rules_and_roles(void)
{
    char log[512];
    int st;

    st = pvisor_child(PV_KVM_IOCTL, log, sizeof(log));
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    st = pvisor_child(PV_TTY_IOCTL, log, sizeof(log));
    CU_ASSERT(killed_for(st, log, "(ioctl), killed"));
    st = pvisor_child(PV_EXECVEAT_FD, log, sizeof(log));
    CU_ASSERT(killed_for(st, log, "(execveat), killed"));
    st = pvisor_child(PV_EXECVEAT_6, log, sizeof(log));
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
#if !defined(__SANITIZE_ADDRESS__)
    /* (Sanitizer builds allow clone for LeakSanitizer.) */
    st = pvisor_child(PV_CLONE_FORK, log, sizeof(log));
    CU_ASSERT(killed_for(st, log, "(clone), killed"));
#endif
    st = pvisor_child(PV_UNSHARE_NET, log, sizeof(log));
    CU_ASSERT(killed_for(st, log, "(unshare), killed"));
    st = pvisor_child(PV_SOCKET, log, sizeof(log));
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Only the narrowed thread lost socket(): the process dies of it. */
    st = pvisor_child(PV_VCPU_SOCKET, log, sizeof(log));
    CU_ASSERT(killed_for(st, log, "(socket), killed"));
}

/* Without a sandbox entered (tests, tools), narrowing does nothing. */
static void test_narrow_without_sandbox(void)
{
    char err[256];

    CU_ASSERT_FALSE(pvd_sandbox_active());
    CU_ASSERT_EQUAL(
        pvd_sandbox_narrow_thread(&pvd_sandbox_pvisor_vcpu, err, sizeof(err)),
        0);
}

static const struct unit_test tests[] = {
    { "pvisor: argument rules and the vCPU thread role",
      test_pvisor_rules_and_roles },
    { "narrowing a thread without a sandbox does nothing",
      test_narrow_without_sandbox },
    { "profiles allow their calls and kill on others",
      test_profiles_allow_and_refuse },
    { "capabilities outside a profile are dropped", test_capabilities_dropped },
    { "system call names", test_syscall_names },
    { NULL, NULL },
};

const struct unit_suite unit_suite_sandbox = {
    .name = "sandbox",
    .tests = tests,
};
