// SPDX-License-Identifier: MIT
/* pvd_sandbox.c: no_new_privs, capabilities and a seccomp allow-list. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pvd_sandbox.h"

static const char *const names[] = {
#include "pvd_syscall_names.h"
};

const char *pvd_syscall_name(long nr)
{
    if (nr < 0 || (size_t)nr >= sizeof(names) / sizeof(names[0]))
        return NULL;
    return names[nr];
}

/* ---- the SIGSYS handler: async-signal-safe, allowed calls only ---- */

static int sigsys_fd = 2;
static char sigsys_who[64];

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, unsigned long v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at < cap)
        buf[at++] = tmp[--n];
    return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    const char *name = pvd_syscall_name(si->si_syscall);
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    char line[160];
    size_t n = 0;

    (void)uc;
    n = put(line, n, sizeof(line), sigsys_who);
    n = put_num(line, n, sizeof(line), (unsigned long)getpid());
    n = put(line, n, sizeof(line), "]: sandbox: forbidden system call ");
    n = put_num(line, n, sizeof(line), (unsigned long)si->si_syscall);
    n = put(line, n, sizeof(line), " (");
    n = put(line, n, sizeof(line), name ? name : "unknown");
    n = put(line, n, sizeof(line), "), killed\n");
    if (write(sigsys_fd, line, n) < 0) {
        /* nothing more to say */
    }
    /* Die of SIGSYS, so that the parent sees why. */
    sigaction(sig, &dfl, NULL);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    _exit(128 + sig);
}

/* ---- capabilities ---- */

static int last_cap(void)
{
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    int n = 40;

    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 40;
        fclose(f);
    }
    return n;
}

static int drop_caps(uint64_t keep, char *err, size_t errlen)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    int last = last_cap();

    if (syscall(SYS_capget, &h, data) < 0) {
        snprintf(err, errlen, "capget: %s", strerror(errno));
        return -errno;
    }
    for (int c = 0; c <= last && c < 64; c++) {
        if (keep & (1ULL << c))
            continue;
        /* EINVAL: a capability this kernel does not know; EPERM: we
         * could never have it (no CAP_SETPCAP), so nothing to drop. */
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL &&
            errno != EPERM) {
            snprintf(err, errlen,
                     "dropping capability %d from the bounding "
                     "set: %s",
                     c, strerror(errno));
            return -errno;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
        errno != EINVAL) {
        snprintf(err, errlen, "clearing ambient capabilities: %s",
                 strerror(errno));
        return -errno;
    }
    for (int i = 0; i < 2; i++) {
        uint32_t k = (uint32_t)(keep >> (32 * i));
        data[i].effective &= k;
        data[i].permitted &= k;
        data[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &h, data) < 0) {
        snprintf(err, errlen, "capset: %s", strerror(errno));
        return -errno;
    }
    return 0;
}

/* ---- the seccomp filter ---- */

extern const int pvd_base_syscalls[];
extern const int pvd_handler_syscalls[];

static bool entered;

bool pvd_sandbox_active(void)
{
    return entered;
}

static size_t count(const int *list)
{
    size_t n = 0;

    while (list && list[n] >= 0)
        n++;
    return n;
}

static size_t count_rules(const struct pvd_arg_rule *r)
{
    size_t n = 0;

    while (r && r[n].nr >= 0)
        n++;
    return n;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define RULE_LEN      5 /* instructions per argument rule */

/*
 * The program: the architecture and ABI checks, one equality test per
 * plain call (a match jumps to the ALLOW at the end), one block per
 * argument rule, then TRAP and ALLOW:
 *
 *   jeq nr, 0, 4; ld arg; and mask; jeq value, ALLOW, 0; ld nr
 */
static int install_filter(const int *base, const struct pvd_sandbox *sb,
                          unsigned flags, char *err, size_t errlen)
{
    size_t nb = count(base), ns = count(sb->syscalls);
    size_t nr = count_rules(sb->rules);
    size_t len = 6 + nb + ns + RULE_LEN * nr + 2, at = 0, allow = len - 1;
    struct sock_filter *f;
    struct sock_fprog prog;
    long rc;

    /* BPF jumps are 8 bits: the first test must reach the ALLOW. */
    if (allow - 6 - 1 > 255) {
        snprintf(err, errlen,
                 "%zu allowed system calls and %zu rules: too "
                 "many",
                 nb + ns, nr);
        return -E2BIG;
    }
    f = calloc(len, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* Another architecture or the x32 ABI: killed outright (the numbers
     * below mean nothing there). */
    f[at++] =
        STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[at++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                           AUDIT_ARCH_X86_64, 1, 0);
    f[at++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[at++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    f[at++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
                                           0x40000000u, 0, 1);
    f[at++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    for (size_t i = 0; i < nb + ns; i++) {
        int sys = i < nb ? base[i] : sb->syscalls[i - nb];
        f[at] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                             (uint32_t)sys, 0, 0);
        f[at].jt = (uint8_t)(allow - at - 1);
        at++;
    }
    for (size_t i = 0; i < nr; i++) {
        const struct pvd_arg_rule *r = &sb->rules[i];
        /* x86_64 is little-endian: the low half comes first. */
        uint32_t arg =
            (uint32_t)(offsetof(struct seccomp_data, args) + 8 * (r->arg % 6));
        f[at++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                               (uint32_t)r->nr, 0, 4);
        f[at++] = STMT(BPF_LD | BPF_W | BPF_ABS, arg);
        f[at++] = STMT(BPF_ALU | BPF_AND | BPF_K, r->mask);
        f[at] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                             r->value, 0, 0);
        f[at].jt = (uint8_t)(allow - at - 1);
        at++;
        f[at++] =
            STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    }
    f[at++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    f[at++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog.len = (unsigned short)at;
    prog.filter = f;
    rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    free(f);
    if (rc != 0) {
        /* rc > 0: the id of a thread that could not be synchronised. */
        snprintf(err, errlen, "seccomp: %s",
                 rc > 0 ? "a thread could not take the filter"
                        : strerror(errno));
        return rc > 0 ? -EAGAIN : -errno;
    }
    return 0;
}

static bool sandbox_off(void)
{
    const char *env = getenv("PVD_SANDBOX");

    return env && strcmp(env, "off") == 0;
}

int pvd_sandbox_narrow_thread(const struct pvd_sandbox *role, char *err,
                              size_t errlen)
{
    err[0] = '\0';
    if (!entered || sandbox_off())
        return 0;
    return install_filter(pvd_handler_syscalls, role, 0, err, errlen);
}

int pvd_sandbox_enter(const struct pvd_sandbox *sb, int log_fd, char *err,
                      size_t errlen)
{
    struct sigaction sa;
    int e;

    err[0] = '\0';
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
        return -errno;
    }
    if (sandbox_off()) {
        snprintf(err, errlen,
                 "PVD_SANDBOX=off: running without seccomp filter and with "
                 "all capabilities");
        return 0;
    }
    e = drop_caps(sb->caps, err, errlen);
    if (e)
        return e;
    sigsys_fd = log_fd >= 0 ? log_fd : 2;
    snprintf(sigsys_who, sizeof(sigsys_who), "%s[", sb->name);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    /* SA_NODEFER: the handler's own tgkill(SIGSYS) must not wait behind
     * the SIGSYS being handled. */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0) {
        snprintf(err, errlen, "SIGSYS handler: %s", strerror(errno));
        return -errno;
    }
    e = install_filter(sb->thread_role ? pvd_handler_syscalls
                                       : pvd_base_syscalls,
                       sb, SECCOMP_FILTER_FLAG_TSYNC, err, errlen);
    if (e == 0)
        entered = true;
    return e;
}
