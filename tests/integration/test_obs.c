// SPDX-License-Identifier: MIT
/* test_obs.c: pvctl top, trace, vcpu-list, vcpu-pin and sched-credit. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/* Starts tests/guests/spin (CPU-bound, never stops) as NAME; its domid. */
static int start_spin(const char *name)
{
    struct hx_run r;
    unsigned id = 0;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create",
                        hx_fmt("%s/tests/guests/spin.cfg", hx.root),
                        hx_fmt("name=\"%s\"", name),
                        hx_fmt("kernel=\"%s\"", hx_guest_elf("spin")),
                        NULL) == 0,
               "run pvctl create");
    HX_REQUIRE_OK(&r, "create spin");
    const char *p = strstr(r.err, "(id=");
    HX_REQUIRE(p && sscanf(p, "(id=%u)", &id) == 1, "domid in: %s", r.err);
    return (int)id;
}

/* The row of `pvctl top -b` for NAME in frame text, NULL if none. */
static const char *top_row(const char *frame, const char *name)
{
    const char *p = frame;
    size_t n = strlen(name);

    while ((p = strstr(p, name))) {
        if ((p == frame || p[-1] == ' ') && p[n] == ' ')
            return p;
        p += n;
    }
    return NULL;
}

static void test_top_batch(void)
{
    struct hx_run r;
    double cpu_s = 0, cpu_pct = 0, hc = 0, ex = 0;
    unsigned id = 0;
    char st[8];

    start_spin("it-top");
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "top", "-b", "-d", "0.5", "-n", "2", NULL) == 0,
        "run pvctl top");
    HX_REQUIRE_OK(&r, "top -b");
    HX_CHECK(hx_count(r.out, "pvctl top -") == 2, "two frames: %s", r.out);
    HX_CHECK(strstr(r.out, "HCALLS/s") && strstr(r.out, "EXITS/s") &&
                 strstr(r.out, "CPU(%)") && strstr(r.out, "NETTX(k)"),
             "header: %s", r.out);
    /* The second frame's row. */
    const char *second =
        strstr(strstr(r.out, "pvctl top -") + 1, "pvctl top -");
    HX_REQUIRE(second, "second frame: %s", r.out);
    const char *row = top_row(second, "it-top");
    HX_REQUIRE(row, "a row for it-top: %s", r.out);
    HX_REQUIRE(sscanf(row, "it-top %u %7s %lf %lf %*u %*u %*u %lf %lf", &id, st,
                      &cpu_s, &cpu_pct, &hc, &ex) == 6,
               "row: %.200s", row);
    HX_CHECK(cpu_s > 0 && cpu_pct > 0, "CPU used: %.200s", row);
    HX_CHECK(hc > 0 && ex >= hc, "hypercalls and exits per second: %.200s",
             row);
}

/* list -l: counters by hypercall number, traps per vCPU. */
static void test_list_counts(void)
{
    struct hx_run r;

    start_spin("it-cnt");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "trace", "-n", "1", "it-cnt", NULL) == 0,
               "run pvctl trace"); /* the guest made its calls by now */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "list", "-l", "it-cnt", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "list -l");
    const char *hc = strstr(r.out, "hypercall_counts: ");
    unsigned long long n = 0;
    const char *xv = hc ? strstr(hc, "xen_version=") : NULL;
    HX_CHECK(xv && sscanf(xv, "xen_version=%llu", &n) == 1 && n >= 1,
             "xen_version counted: %s", r.out);
    HX_CHECK(strstr(r.out, ", traps 0\n") != NULL, "traps: %s", r.out);
}

/* Interactive top on a pseudo-terminal: draws, then quits on 'q'. */
static void test_top_interactive(void)
{
    char buf[16384];
    size_t len = 0;
    int status = -1, master;
    pid_t pid;

    start_spin("it-tty");
    master = posix_openpt(O_RDWR | O_NOCTTY);
    HX_REQUIRE(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0,
               "pseudo-terminal");
    const char *slave = ptsname(master);
    HX_REQUIRE(slave, "ptsname");
    pid = fork();
    HX_REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        int fd;
        setsid();
        fd = open(slave, O_RDWR);
        if (fd < 0)
            _exit(126);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(hx.pvctl, hx.pvctl, "-r", hx.dir, "top", "-d", "0.2",
              (char *)NULL);
        _exit(127);
    }
    /* Read until the first frame is complete (10 s at most). */
    for (int i = 0; i < 200 && !strstr(buf, "q: quit"); i++) {
        struct pollfd pfd = { .fd = master, .events = POLLIN };
        if (poll(&pfd, 1, 50) > 0) {
            ssize_t n = read(master, buf + len, sizeof(buf) - 1 - len);
            if (n > 0)
                len += (size_t)n;
        }
        buf[len] = 0;
    }
    HX_CHECK(strstr(buf, "q: quit") && strstr(buf, "it-tty") &&
                 strstr(buf, "HCALLS/s") && strstr(buf, "\033[H"),
             "a frame drawn in place: %s", buf);
    HX_CHECK(write(master, "q", 1) == 1, "type q");
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        char drain[1024];
        struct pollfd pfd = { .fd = master, .events = POLLIN };
        if (poll(&pfd, 1, 50) > 0 && read(master, drain, sizeof(drain)) < 0)
            hx_sleep_ms(10);
    }
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        HX_CHECK(false, "top did not quit on 'q'");
    } else {
        HX_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                 "top quit cleanly: status 0x%x", status);
    }
    close(master);
}

static void test_top_errors(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "top", "-b", "-d", "0", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 &&
                 strstr(r.err, "delay 0 out of range 0.1..3600 seconds"),
             "bad delay: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "top", NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "use -b"), "no terminal: %s",
             r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "top", "--help", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 0 && strstr(r.out, "usage: pvctl top"), "help: %s",
             r.out);
}

static void test_trace(void)
{
    struct hx_run r;

    start_spin("it-trace");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "trace", "--filter", "xen_version", "-n",
                        "3", "it-trace", NULL) == 0,
               "run pvctl trace");
    HX_REQUIRE_OK(&r, "trace");
    HX_CHECK(strstr(r.out, "# tracing domain") != NULL, "header: %s", r.out);
    /* Decoded: sub-op name, argument, result (the guest may still be in
     * its start-up calls, XENVER_get_features, at first). */
    HX_CHECK(hx_count(r.out, " v0 xen_version(") == 3 &&
                 strstr(r.out, " v0 xen_version(version, 0x0) = 262161  "),
             "three decoded xen_version calls: %s", r.out);
    /* Nothing but the filtered hypercall. */
    HX_CHECK(hx_count(r.out, "\n") == 4, "4 lines: %s", r.out);
    /* A second listener on its own connection sees the same calls. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "trace", "-n", "2", "it-trace", NULL) ==
                   0,
               "run pvctl trace");
    HX_CHECK(r.exit_code == 0 && hx_count(r.out, "xen_version(") == 2,
             "second trace: %s %s", r.out, r.err);
}

static void test_trace_errors(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "trace", "nosuch", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "nosuch: no domain named "
                                               "'nosuch'"),
             "unknown domain: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "trace", "--filter", "bogus_op", "1",
                        NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 &&
                 strstr(r.err, "unknown hypercall name \"bogus_op\""),
             "unknown filter: %s", r.err);
}

/* Cpus_allowed_list of a host thread. */
static const char *cpus_allowed(unsigned tid)
{
    static char line[256];
    FILE *f = fopen(hx_fmt("/proc/%u/status", tid), "r");

    line[0] = 0;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "Cpus_allowed_list:", 18))
            break;
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = 0;
    return line;
}

/* CPUs pid may run on, as "0,1,..." (sched_getaffinity). */
static const char *affinity_of(pid_t pid)
{
    static char out[256];
    cpu_set_t set;

    out[0] = 0;
    if (sched_getaffinity(pid, sizeof(set), &set) != 0)
        return strerror(errno);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d",
                     out[0] ? "," : "", c);
    return out;
}

static void test_vcpu_pin(void)
{
    struct hx_run r;
    unsigned tid = 0;
    pid_t stub = 0;
    int domid;

    domid = start_spin("it-pin");
    /* proc: guest code runs in the stub's thread, which is pinned too. */
    if (!strcmp(hx.platform, "proc")) {
        stub = hxe_guest_process(domid);
        HX_REQUIRE(stub > 0, "the guest's host process");
    }
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "it-pin", "0", "0", NULL) ==
                   0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "vcpu-pin");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-list", "it-pin", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "vcpu-list");
    const char *row = strstr(r.out, "\nit-pin ");
    HX_REQUIRE(row && sscanf(row, "\nit-pin %*u 0 %u", &tid) == 1 && tid,
               "vcpu-list row: %s", r.out);
    HX_CHECK(strstr(row, " r ") && strstr(row, "  0\n"),
             "running, affinity 0: %s", r.out);
    /* From the host side: the thread itself is restricted. */
    HX_CHECK(!strcmp(cpus_allowed(tid), "Cpus_allowed_list:\t0"),
             "thread %u: %s", tid, cpus_allowed(tid));
    if (stub)
        HX_CHECK(!strcmp(affinity_of(stub), "0"),
                 "the stub thread %d that runs the guest: CPUs %s", (int)stub,
                 affinity_of(stub));
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "it-pin", "all", "all", NULL) == 0,
        "run pvctl");
    HX_REQUIRE_OK(&r, "vcpu-pin all");
    HX_CHECK(strcmp(cpus_allowed(tid), "Cpus_allowed_list:\t0") != 0,
             "unpinned: %s", cpus_allowed(tid));
    if (stub)
        HX_CHECK(strcmp(affinity_of(stub), "0") != 0,
                 "the stub thread unpinned: CPUs %s", affinity_of(stub));
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-list", "it-pin", NULL) == 0,
               "run pvctl");
    HX_CHECK(strstr(r.out, "  all\n") != NULL, "affinity all: %s", r.out);
    /* Bad input. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "it-pin", "1", "0", NULL) ==
                   0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 &&
                 strstr(r.err, "has no vCPU 1 (it has 1: 0..0)"),
             "unknown vCPU: %s", r.err);
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "it-pin", "0", "1023", NULL) == 0,
        "run pvctl");
    HX_CHECK(r.exit_code == 1 &&
                 strstr(r.err, "host CPU 1023 is not one pvisor may run on"),
             "unavailable CPU: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "nosuch", "0", "0", NULL) ==
                   0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", "it-pin", "0", "0", "1", NULL) == 0,
        "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "soft affinity"),
             "soft affinity: %s", r.err);
}

static bool saw_up(const char *out, void *arg)
{
    (void)arg;
    return strstr(out, "hotplug: 2 vCPUs up") != NULL;
}

/* The state letter of vCPU `vcpu` of DOM in vcpu-list, 0 if none. */
static char vcpu_state(const char *dom, unsigned vcpu)
{
    struct hx_run r;
    char st[4] = "";

    if (hx_pvctl(&r, HX_CMD_MS, "vcpu-list", dom, NULL) != 0)
        return 0;
    const char *row = strstr(r.out, hx_fmt("\n%s ", dom));
    while (row) {
        unsigned v;
        if (sscanf(row + 1 + strlen(dom), " %*u %u %*u %*s %3s", &v, st) == 2 &&
            v == vcpu)
            return st[0];
        row = strstr(row + 1, hx_fmt("\n%s ", dom));
    }
    return 0;
}

static bool wait_vcpu_state(const char *dom, unsigned vcpu, char want)
{
    for (int i = 0; i < 200; i++) {
        char st = vcpu_state(dom, vcpu);
        if (want == '-' ? st == '-' : (st && st != '-'))
            return true;
        hx_sleep_ms(50);
    }
    return false;
}

static void test_vcpu_set(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create",
                        hx_fmt("%s/tests/guests/hotplug.cfg", hx.root),
                        "name=\"it-hp\"",
                        hx_fmt("kernel=\"%s\"", hx_guest_elf("hotplug")),
                        NULL) == 0,
               "run pvctl create");
    HX_REQUIRE_OK(&r, "create hotplug");
    const char *con = hx_console("it-hp", HX_GUEST_MS, saw_up, NULL);
    HX_REQUIRE(strstr(con, "hotplug: 2 vCPUs up"), "both vCPUs up: %s", con);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-set", "it-hp", "1", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "vcpu-set 1");
    /* pvisor's view: the guest took vCPU 1 down (VCPUOP_down). */
    HX_CHECK(wait_vcpu_state("it-hp", 1, '-'), "vCPU 1 offline");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-set", "it-hp", "2", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "vcpu-set 2");
    HX_CHECK(wait_vcpu_state("it-hp", 1, 'r'), "vCPU 1 online again");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-set", "it-hp", "3", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "3 vCPUs asked, the domain "
                                               "has 2"),
             "too many: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-set", "it-hp", "0", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "out of range"), "zero: %s",
             r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-set", "nosuch", "1", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
}

static void test_sched_errors(void)
{
    struct hx_run r;

    start_spin("it-sch");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 0 && strstr(r.out, "it-sch") &&
                 strstr(r.out, "256"),
             "listing: %s", r.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", "-d", "it-sch", "-w",
                        "0", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "weight 0 out of range "
                                               "1..10000"),
             "bad weight: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", "-d", "it-sch", "-c",
                        "100000", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "cap 100000% out of range"),
             "cap out of range: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", "-d", "nosuch", "-w",
                        "100", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", "-w", "100", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "need a domain"),
             "no domain: %s", r.err);
}

static const struct integ_test tests[] = {
    { "top_batch", test_top_batch },
    { "top_interactive", test_top_interactive },
    { "top_errors", test_top_errors },
    { "list_counts", test_list_counts },
    { "trace", test_trace },
    { "trace_errors", test_trace_errors },
    { "vcpu_pin", test_vcpu_pin },
    { "sched_errors", test_sched_errors },
    { "vcpu_set", test_vcpu_set },
    { NULL, NULL },
};

const struct integ_suite integ_suite_obs = { "obs", true, tests };

/* ---- suite sched: CPU shares through cgroup v2 ---- */

/* Why pvisor cannot place vCPU threads in cgroups here, or NULL. Mirrors
 * pvisor's own checks (hypervisor/hv_place.c). */
static const char *sched_skip(const char **facility)
{
    static char why[512];
    char line[1024], mnt[1024] = "", own[1024] = "", ctl[512] = "";
    FILE *f = fopen("/proc/self/mountinfo", "r");

    while (f && fgets(line, sizeof(line), f)) {
        char *sep = strstr(line, " - ");
        if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
            sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1)
            break;
        mnt[0] = 0;
    }
    if (f)
        fclose(f);
    *facility = "cgroup v2 with the cpu controller";
    if (!mnt[0])
        return "cgroup v2 is not mounted (no cgroup2 in /proc/self/mountinfo)";
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = 0;
            snprintf(own, sizeof(own), "%.1000s",
                     strcmp(line + 3, "/") ? line + 3 : "");
        }
    if (f)
        fclose(f);
    f = fopen(hx_fmt("%s%s/cgroup.controllers", mnt, own), "r");
    if (!f || !fgets(ctl, sizeof(ctl), f))
        ctl[0] = 0;
    if (f)
        fclose(f);
    ctl[strcspn(ctl, "\n")] = 0;
    if (!strstr(hx_fmt(" %s ", ctl), " cpu ")) {
        snprintf(why, sizeof(why),
                 "cgroup v2 cpu controller not available: %s%s/"
                 "cgroup.controllers lists \"%s\"",
                 mnt, own, ctl);
        return why;
    }
    /* pvisor, started in our cgroup, makes it a threaded root: fine for
     * the hierarchy's root, not something to do to the cgroup of whoever
     * runs the tests (a session or service scope). */
    if (own[0]) {
        *facility = "the cgroup v2 root";
        snprintf(why, sizeof(why),
                 "the tests run in cgroup %s%s, not the cgroup v2 root: "
                 "pvisor's cpu shares would turn that cgroup into a threaded "
                 "root",
                 mnt, own);
        return why;
    }
    if (access(hx_fmt("%s%s", mnt, own), W_OK) != 0) {
        *facility = "a writable cgroup v2";
        snprintf(why, sizeof(why), "cgroup %s%s is not writable", mnt, own);
        return why;
    }
    *facility = NULL;
    return NULL;
}

const struct integ_hooks integ_hooks_sched = { "sched", sched_skip, NULL,
                                               NULL };

/* utime + stime of a host thread, in clock ticks. */
static unsigned long long thread_ticks(unsigned tid)
{
    char buf[1024];
    unsigned long long ut = 0, st = 0;
    FILE *f = fopen(hx_fmt("/proc/%u/stat", tid), "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st);
    return ut + st;
}

static unsigned vcpu0_tid(const char *name)
{
    struct hx_run r;
    unsigned tid = 0;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "vcpu-list", name, NULL) == 0,
               "run pvctl");
    const char *row = strstr(r.out, hx_fmt("\n%s ", name));
    HX_REQUIRE(row && sscanf(row + 1 + strlen(name), " %*u 0 %u", &tid) == 1,
               "vcpu-list: %s", r.out);
    return tid;
}

static void test_weights(void)
{
    const char *names[2] = { "it-w256", "it-w512" };
    const char *weights[2] = { "256", "512" };
    unsigned long long t0[2], t1[2];
    unsigned tid[2];
    struct hx_run r;

    for (int i = 0; i < 2; i++) {
        int id = start_spin(names[i]);
        HX_REQUIRE(
            hx_pvctl(&r, HX_CMD_MS, "vcpu-pin", names[i], "0", "0", NULL) == 0,
            "run pvctl");
        HX_REQUIRE_OK(&r, "vcpu-pin");
        HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "-v", "sched-credit", "-d", names[i],
                            "-w", weights[i], NULL) == 0,
                   "run pvctl");
        HX_REQUIRE_OK(&r, "sched-credit");
        tid[i] = vcpu0_tid(names[i]);
        /* From the host side: the thread sits in the domain's cgroup. */
        FILE *f = fopen(hx_fmt("/proc/%u/cgroup", tid[i]), "r");
        char line[1024] = "";
        bool in = false;
        while (f && fgets(line, sizeof(line), f))
            in |= !strncmp(line, "0::", 3) &&
                  strstr(line, hx_fmt("-d%d\n", id)) != NULL;
        if (f)
            fclose(f);
        HX_CHECK(in, "thread %u of d%d in its cgroup: %s", tid[i], id, line);
    }
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "sched-credit", NULL) == 0, "run pvctl");
    HX_CHECK(strstr(r.out, "512") != NULL, "listing: %s", r.out);
    for (int i = 0; i < 2; i++)
        t0[i] = thread_ticks(tid[i]);
    /* Measure until both together used 4 s of the shared CPU. */
    long tick = sysconf(_SC_CLK_TCK);
    for (int polls = 0; polls < 600; polls++) {
        t1[0] = thread_ticks(tid[0]);
        t1[1] = thread_ticks(tid[1]);
        if ((t1[0] - t0[0]) + (t1[1] - t0[1]) >= 4ULL * (unsigned long)tick)
            break;
        hx_sleep_ms(100);
    }
    double a = (double)(t1[0] - t0[0]), b = (double)(t1[1] - t0[1]);
    HX_REQUIRE(a > 0, "the weight-256 guest ran: %.0f ticks", a);
    printf("\n    sched: weight 256 got %.2f s, weight 512 got %.2f s: "
           "ratio %.2f\n",
           a / tick, b / tick, b / a);
    HX_CHECK(b / a >= 1.5 && b / a <= 2.7,
             "CPU ratio 512:256 = %.2f (%.0f vs %.0f ticks), want 1.5..2.7",
             b / a, b, a);
}

static const struct integ_test sched_tests[] = {
    { "weights", test_weights },
    { NULL, NULL },
};

const struct integ_suite integ_suite_sched = { "sched", true, sched_tests };

/* ---- suite mem: ballooning ---- */

/* host_memory_kb and current_memory_kb of `pvctl list -l DOM`. */
static bool mem_info(const char *dom, unsigned long long *host,
                     unsigned long long *cur)
{
    struct hx_run r;
    const char *h, *c;

    if (hx_pvctl(&r, HX_CMD_MS, "list", "-l", dom, NULL) != 0 ||
        r.exit_code != 0)
        return false;
    h = strstr(r.out, "host_memory_kb: ");
    c = strstr(r.out, "current_memory_kb: ");
    return h && c && sscanf(h, "host_memory_kb: %llu", host) == 1 &&
           sscanf(c, "current_memory_kb: %llu", cur) == 1;
}

/* Polls until DOM holds cur_kb (current_memory_kb); its host memory. */
static bool wait_current(const char *dom, unsigned long long cur_kb,
                         unsigned long long *host)
{
    unsigned long long cur = 0;

    for (int i = 0; i < 200; i++) {
        if (mem_info(dom, host, &cur) && cur == cur_kb)
            return true;
        hx_sleep_ms(50);
    }
    return false;
}

static bool saw_touched(const char *out, void *arg)
{
    (void)arg;
    return strstr(out, "balloon: touched") != NULL;
}

static void test_balloon(void)
{
    unsigned long long host0 = 0, host1 = 0, host2 = 0, cur = 0;
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create",
                        hx_fmt("%s/tests/guests/balloon.cfg", hx.root),
                        "name=\"it-bal\"",
                        hx_fmt("kernel=\"%s\"", hx_guest_elf("balloon")),
                        NULL) == 0,
               "run pvctl create");
    HX_REQUIRE_OK(&r, "create balloon");
    const char *con = hx_console("it-bal", HX_GUEST_MS, saw_touched, NULL);
    HX_REQUIRE(strstr(con, "balloon: touched"), "guest dirtied its RAM: %s",
               con);
    HX_REQUIRE(mem_info("it-bal", &host0, &cur), "list -l");
    /* All of its 64 MiB but the shared_info page, which the builder
     * puts last, outside the guest's own pages. */
    HX_CHECK(cur == 65532 && host0 >= 48 * 1024,
             "64 MiB held, most of it backed: current %llu, host %llu KiB", cur,
             host0);

    /* Down to 24 MiB: the host gets the pages back. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-set", "it-bal", "24m", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "mem-set 24m");
    HX_REQUIRE(wait_current("it-bal", 24576, &host1),
               "the guest ballooned down to 24576 KiB");
    /* What the host still pays is the 24 MiB the guest keeps, plus at
     * most 4 MiB the guest touches besides (kernel, page tables, its
     * heap), and at least 20 of the ~48 MiB it had dirtied came back. */
    HX_CHECK(host1 <= (24 + 4) * 1024 && host0 >= host1 + 20 * 1024,
             "host memory of the RAM file fell from %llu to %llu KiB", host0,
             host1);

    /* Up again, within mem-max. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-set", "it-bal", "40960k", NULL) ==
                   0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "mem-set 40960k");
    HX_CHECK(wait_current("it-bal", 40960, &host2),
             "the guest took memory back: 40960 KiB");

    /* mem-max below the target: growing stops there. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-max", "it-bal", "32m", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "mem-max 32m");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-set", "it-bal", "48m", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "target 49152 KiB out of "
                                               "range 1024..32768 KiB"),
             "target above mem-max: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-max", "it-bal", "128m", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "above the domain's memory"),
             "mem-max above memory: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-set", "nosuch", "8m", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "mem-set", "it-bal", "8q", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "optional k, m or g suffix"),
             "bad size: %s", r.err);
}

static const struct integ_test mem_tests[] = {
    { "balloon", test_balloon },
    { NULL, NULL },
};

const struct integ_suite integ_suite_mem = { "mem", true, mem_tests };
