// SPDX-License-Identifier: MIT
/* test_sandbox.c: each daemon's sandbox profile, entered in a child. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* True when sb allows nr beyond the base set. */
static bool profile_allows(const struct pvd_sandbox *sb, int nr)
{
    for (const int *c = sb->syscalls; c && *c >= 0; c++)
        if (*c == nr)
            return true;
    return false;
}

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

static const struct unit_test tests[] = {
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
