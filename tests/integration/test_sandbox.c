// SPDX-License-Identifier: MIT
/* test_sandbox.c: pvisor and the dom0 daemons run sandboxed, and a refused
 * system call kills the daemon with a reason in its log. */
#include <dirent.h>
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

/* pvisor's, while the proc platform is available (none without it):
 * CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SYS_RAWIO,
 * CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_SYS_NICE (pvd_profiles.c says why). */
#define PVISOR_CAPS                                                         \
    ((1ULL << 5) | (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 17) | \
     (1ULL << 19) | (1ULL << 21) | (1ULL << 23))

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

static void test_pvisor_sandboxed(void)
{
    pid_t pid = daemon_pid("pvisor");
    unsigned long long eff, bnd;

    HX_REQUIRE(pid > 0 && hx_pid_running(pid), "pvisor: no running pid");
    HX_CHECK(!strcmp(status_field(pid, "NoNewPrivs"), "1"),
             "pvisor NoNewPrivs: %s", status_field(pid, "NoNewPrivs"));
    HX_CHECK(!strcmp(status_field(pid, "Seccomp"), "2"),
             "pvisor Seccomp: %s (2 is a filter)",
             status_field(pid, "Seccomp"));
    eff = strtoull(status_field(pid, "CapEff"), NULL, 16);
    bnd = strtoull(status_field(pid, "CapBnd"), NULL, 16);
    HX_CHECK((eff & ~PVISOR_CAPS) == 0 && (bnd & ~PVISOR_CAPS) == 0,
             "pvisor CapEff %llx CapBnd %llx, want at most %llx", eff, bnd,
             PVISOR_CAPS);
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
 * Makes a thread of a running daemon make system call nr: attach with
 * ptrace while it waits in a system call (its rip is just past a
 * `syscall` instruction), point rip back at that instruction with rax =
 * nr and zero arguments, and let it go. The filter must refuse the call,
 * the daemon log why and die of SIGSYS.
 */
static const char *inject_call(pid_t pid, long nr)
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
    regs.rax = (unsigned long long)nr;
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
        why = inject_call(pid, 59); /* execve(NULL, NULL, NULL) */
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

/* Whether pvisor.log says pid was killed for system call nr, named. */
static bool pvisor_logged(pid_t pid, long nr, const char *name)
{
    const char *want = hx_fmt("pvisor[%d]: sandbox: forbidden system call "
                              "%ld (%s), killed",
                              (int)pid, nr, name);
    FILE *f = fopen(hx_fmt("%s/pvisor.log", hx.dir), "r");
    char line[512];
    bool said = false;

    while (f && fgets(line, sizeof(line), f))
        said = said || strstr(line, want);
    if (f)
        fclose(f);
    return said;
}

/* A thread of pid other than its main thread, or 0. */
static pid_t other_thread(pid_t pid)
{
    DIR *d = opendir(hx_fmt("/proc/%d/task", (int)pid));
    struct dirent *e;
    pid_t tid = 0;

    while (d && (e = readdir(d)) != NULL) {
        long t = strtol(e->d_name, NULL, 10);
        if (t > 0 && t != pid) {
            tid = (pid_t)t;
            break;
        }
    }
    if (d)
        closedir(d);
    return tid;
}

/* Injects nr into tid of pvisor (pid), which must die of it and say so;
 * then starts the host side again for what follows. */
static void pvisor_killed_by(pid_t pid, pid_t tid, long nr, const char *name)
{
    const char *why = inject_call(tid, nr);

    HX_REQUIRE(!why, "pvisor thread %d: %s", (int)tid, why);
    for (int t = 0; t < 500 && hx_pid_running(pid); t++)
        hx_sleep_ms(10);
    HX_CHECK(!hx_pid_running(pid), "pvisor (pid %d) survived a refused %s",
             (int)pid, name);
    HX_CHECK(pvisor_logged(pid, nr, name),
             "pvisor did not log the refused %s in its log", name);
    /* Expected here: the fixture must not count it as a violation. */
    truncate(hx_fmt("%s/pvisor.log", hx.dir), 0);
    HX_REQUIRE(hx_host_restart(NULL) == 0, "host side restart: %s",
               hx.setup_error);
}

/*
 * The management thread may not exec; a vCPU thread may not even open a
 * socket, which the management thread may (its role is narrower).
 */
static void test_pvisor_forbidden_calls_kill(void)
{
    pid_t pid = daemon_pid("pvisor"), tid = 0;

    HX_REQUIRE(pid > 0 && hx_pid_running(pid), "pvisor: no running pid");
    HX_REQUIRE(hx_create(NULL, "echo", "it-sandbox", NULL) >= 0, "create echo");
    for (int t = 0; t < 500 && !(tid = other_thread(pid)); t++)
        hx_sleep_ms(10);
    HX_REQUIRE(tid > 0, "pvisor (pid %d) has no vCPU thread", (int)pid);
    pvisor_killed_by(pid, tid, 41, "socket"); /* socket(0, 0, 0) */

    pid = daemon_pid("pvisor");
    HX_REQUIRE(pid > 0 && hx_pid_running(pid), "pvisor: no running pid");
    pvisor_killed_by(pid, pid, 59, "execve");
}

static const struct integ_test tests[] = {
    { "pvisor_sandboxed", test_pvisor_sandboxed },
    { "pvisor_forbidden_calls_kill", test_pvisor_forbidden_calls_kill },
    { "daemons_sandboxed", test_daemons_sandboxed },
    { "forbidden_call_kills", test_forbidden_call_kills },
    { NULL, NULL },
};

const struct integ_suite integ_suite_sandbox = { "sandbox", true, tests };
