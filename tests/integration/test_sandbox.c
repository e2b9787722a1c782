// SPDX-License-Identifier: MIT
/* test_sandbox.c: the dom0 daemons run sandboxed, and a refused system
 * call kills the daemon with a reason in its log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The daemons pvhost starts, and the capabilities each keeps. */
static const struct {
    const char *name;
    unsigned long long caps;
} daemons[] = {
    { "pvstored", 0 },
    { "pv-consoled", 0 },
    /* the supervisor: CAP_SETGID, CAP_SETUID to start its workers */
    { "pv-blkback", (1ULL << 6) | (1ULL << 7) },
    { "pv-netback", 1ULL << 12 /* CAP_NET_ADMIN */ },
};
#define NR_DAEMONS (sizeof(daemons) / sizeof(daemons[0]))

static pid_t daemon_pid(const char *name)
{
    FILE *f = fopen(hx_fmt("%s/%s.pid", hx.dir, name), "r");
    int pid = -1;

    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return (pid_t)pid;
}

/* The value of "Key:" in /proc/PID/status, or "" */
static const char *status_field(pid_t pid, const char *key)
{
    FILE *f = fopen(hx_fmt("/proc/%d/status", (int)pid), "r");
    char line[256];
    size_t klen = strlen(key);

    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            fclose(f);
            line[strcspn(line, "\n")] = '\0';
            return hx_fmt("%s",
                          line + klen + 1 + strspn(line + klen + 1, " \t"));
        }
    if (f)
        fclose(f);
    return "";
}

static void test_daemons_sandboxed(void)
{
    for (size_t i = 0; i < NR_DAEMONS; i++) {
        pid_t pid = daemon_pid(daemons[i].name);
        HX_REQUIRE(pid > 0 && hx_pid_running(pid), "%s: no running pid",
                   daemons[i].name);
        HX_CHECK(!strcmp(status_field(pid, "NoNewPrivs"), "1"),
                 "%s NoNewPrivs: %s", daemons[i].name,
                 status_field(pid, "NoNewPrivs"));
        HX_CHECK(!strcmp(status_field(pid, "Seccomp"), "2"),
                 "%s Seccomp: %s (2 is a filter)", daemons[i].name,
                 status_field(pid, "Seccomp"));
        unsigned long long eff =
            strtoull(status_field(pid, "CapEff"), NULL, 16);
        unsigned long long bnd =
            strtoull(status_field(pid, "CapBnd"), NULL, 16);
        HX_CHECK(eff == daemons[i].caps && (bnd & ~daemons[i].caps) == 0,
                 "%s CapEff %llx CapBnd %llx, want %llx", daemons[i].name, eff,
                 bnd, daemons[i].caps);
    }
}

/*
 * Makes a running daemon call execve: attach with ptrace while it waits
 * in a system call (its rip is just past a `syscall` instruction), point
 * rip back at that instruction with rax = 59, and let it go. The filter
 * must refuse the call, the daemon log why and die of SIGSYS.
 */
static const char *inject_execve(pid_t pid)
{
    struct user_regs_struct regs;
    int st;
    long word;

    if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
        return hx_fmt("PTRACE_ATTACH: %s", strerror(errno));
    if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
        return "no stop after PTRACE_ATTACH";
    if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
        return hx_fmt("PTRACE_GETREGS: %s", strerror(errno));
    errno = 0;
    word = ptrace(PTRACE_PEEKTEXT, pid, (void *)(regs.rip - 2), NULL);
    if (errno || (word & 0xffff) != 0x050f) {
        ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return hx_fmt("not stopped after a syscall instruction (rip %llx)",
                      (unsigned long long)regs.rip);
    }
    regs.rip -= 2;
    regs.rax = 59;                          /* execve(NULL, NULL, NULL) */
    regs.orig_rax = (unsigned long long)-1; /* no restart of the old call */
    regs.rdi = regs.rsi = regs.rdx = 0;
    if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
        return hx_fmt("PTRACE_SETREGS: %s", strerror(errno));
    if (ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0)
        return hx_fmt("PTRACE_DETACH: %s", strerror(errno));
    return NULL;
}

static void test_forbidden_call_kills(void)
{
    for (size_t i = 0; i < NR_DAEMONS; i++) {
        const char *name = daemons[i].name, *why;
        const char *log = hx_fmt("%s/%s.log", hx.dir, name);
        pid_t pid = daemon_pid(name);
        char line[512];
        bool said = false;
        FILE *f;

        HX_REQUIRE(pid > 0 && hx_pid_running(pid), "%s: no running pid", name);
        why = inject_execve(pid);
        HX_REQUIRE(!why, "%s: %s", name, why);
        for (int t = 0; t < 500 && hx_pid_running(pid); t++)
            hx_sleep_ms(10);
        HX_CHECK(!hx_pid_running(pid),
                 "%s (pid %d) survived a refused "
                 "execve",
                 name, (int)pid);
        f = fopen(log, "r");
        while (f && fgets(line, sizeof(line), f))
            said = said || strstr(line, hx_fmt("%s[%d]: sandbox: forbidden "
                                               "system call 59 (execve), "
                                               "killed",
                                               name, (int)pid));
        if (f)
            fclose(f);
        HX_CHECK(said, "%s did not log the refused execve in %s", name, log);
        /* Expected here: the fixture must not count it as a violation. */
        if (said)
            truncate(log, 0);
    }
}

static const struct integ_test tests[] = {
    { "daemons_sandboxed", test_daemons_sandboxed },
    { "forbidden_call_kills", test_forbidden_call_kills },
    { NULL, NULL },
};

const struct integ_suite integ_suite_sandbox = { "sandbox", true, tests };
