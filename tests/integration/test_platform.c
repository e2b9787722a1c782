// SPDX-License-Identifier: MIT
/* test_platform.c: platform choice, and the proc platform's isolation. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/* pvctl info names the default platform and the usable ones. */
static void test_info(void)
{
    struct hx_run r = { .out = (char *)"", .err = (char *)"" };

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "info", NULL) == 0 && r.exit_code == 0,
               "pvctl info: %s", r.err);
    HX_CHECK(strstr(r.out, hx_fmt("platform               : %s\n",
                                  hx.platform)) != NULL,
             "info names the default platform %s: '%s'", hx.platform, r.out);
    HX_CHECK(strstr(r.out, "platforms              : ") != NULL &&
                 strstr(r.out, "proc") != NULL,
             "info lists the usable platforms: '%s'", r.out);
}

/* A domain runs where its config says; list -l shows it. */
static void test_config_key(void)
{
    const char *ov_proc[] = { "platform=\"proc\"", "on_poweroff=\"preserve\"",
                              NULL };
    const char *ov_bad[] = { "platform=\"vmware\"", NULL };
    struct hx_dominfo l;
    struct hx_run r = { .out = (char *)"", .err = (char *)"" };

    const char *ov_keep[] = { "on_poweroff=\"preserve\"", NULL };

    HX_REQUIRE(hx_create(&r, "hello", "pl-default", ov_keep) >= 0,
               "create hello: %s", r.err);
    l = hx_dominfo("pl-default");
    HX_CHECK(l.found && strstr(l.text, hx_fmt("platform: %s\n", hx.platform)),
             "list -l shows platform %s: '%s'", hx.platform, l.text);
    HX_REQUIRE(hx_create(&r, "hello", "pl-proc", ov_proc) >= 0,
               "create hello on proc: %s", r.err);
    l = hx_dominfo("pl-proc");
    HX_CHECK(l.found && strstr(l.text, "platform: proc\n"),
             "list -l shows platform proc: '%s'", l.text);
    l = hx_wait("pl-proc", 10);
    HX_CHECK(!strcmp(l.state, "shutdown") && l.code == 0,
             "hello on proc ran to its end: '%s'", l.text);
    HX_CHECK(hx_create(&r, "hello", "pl-bad", ov_bad) < 0 && r.exit_code != 0 &&
                 strstr(r.err, "platform") && strstr(r.err, "vmware"),
             "an unknown platform is refused by name: exit %d: '%s'",
             r.exit_code, r.err);
    HX_CHECK(!hx_dominfo("pl-bad").found, "no domain pl-bad was made");
}

static const char *read_text(const char *path)
{
    static char buf[16384];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (!f)
        return buf;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/*
 * A proc domain's process holds guest RAM, the private area and the stub,
 * nothing else: its maps and descriptors, its seccomp filter, no
 * privileges; destroy leaves no process behind.
 */
static void test_proc_process(void)
{
    const char *ov[] = { "platform=\"proc\"", NULL };
    char line[512];
    struct hx_run r;
    unsigned bad = 0, ram = 0;
    pid_t pid = 0;
    int domid;
    DIR *dir;
    FILE *f;

    domid = hx_create(&r, "echo", "pl-iso", ov);
    HX_REQUIRE(domid >= 0, "create echo on proc: %s", r.err);
    HX_REQUIRE(hx_wait_state("pl-iso", "blocked", 10000),
               "echo settles (blocked)");
    pid = hxe_guest_process(domid);
    HX_REQUIRE(pid > 0, "a process named pvisor-d%d exists", domid);

    f = fopen(hx_fmt("/proc/%d/maps", (int)pid), "r");
    HX_REQUIRE(f != NULL, "read /proc/%d/maps", (int)pid);
    while (fgets(line, sizeof(line), f)) {
        unsigned long long lo = strtoull(line, NULL, 16);
        if (strstr(line, hx_fmt("/memfd:pvisor-d%d ", domid)) ||
            strstr(line, hx_fmt("/memfd:pvisor-d%d-priv ", domid))) {
            ram++;
            continue;
        }
        /* Everything else lies in pvisor's slot 255 (or is vsyscall). */
        if (lo >= 0x7f8000000000ULL)
            continue;
        bad++;
        HX_CHECK(false, "unexpected mapping: %s", line);
    }
    fclose(f);
    HX_CHECK(ram > 0 && bad == 0, "maps: %u guest RAM runs, %u others", ram,
             bad);

    dir = opendir(hx_fmt("/proc/%d/fd", (int)pid));
    HX_REQUIRE(dir != NULL, "open /proc/%d/fd", (int)pid);
    {
        struct dirent *de;
        char fds[1024] = "";
        while ((de = readdir(dir)) != NULL)
            if (de->d_name[0] != '.')
                snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds), "%.16s ",
                         de->d_name);
        closedir(dir);
        HX_CHECK(!strcmp(fds, "3 4 ") || !strcmp(fds, "4 3 "),
                 "descriptors are guest RAM (3) and the private area (4) "
                 "only: '%s'",
                 fds);
    }
    {
        const char *st = read_text(hx_fmt("/proc/%d/status", (int)pid));
        HX_CHECK(strstr(st, "NoNewPrivs:\t1\n") != NULL, "no_new_privs");
        HX_CHECK(strstr(st, "Seccomp:\t2\n") != NULL, "a seccomp filter");
        /* A guest linked above vm.mmap_min_addr keeps no capability at
         * all, run as root or not (CAP_SYS_RAWIO stays only for images
         * linked below it: xen/grub_*[proc] boot one at 0). */
        HX_CHECK(strstr(st, "CapEff:\t0000000000000000\n") != NULL &&
                     strstr(st, "CapPrm:\t0000000000000000\n") != NULL &&
                     strstr(st, "CapInh:\t0000000000000000\n") != NULL &&
                     strstr(st, "CapAmb:\t0000000000000000\n") != NULL,
                 "no capabilities");
        if (geteuid() == 0)
            HX_CHECK(strstr(st, "CapBnd:\t0000000000000000\n") != NULL,
                     "an empty bounding set");
        if (geteuid() == 0) {
            char a[64] = "", b[64] = "";
            HX_CHECK(strstr(st, "Uid:\t65534\t65534\t65534\t65534\n") != NULL,
                     "run as root, the guest's process is nobody");
            HX_CHECK(readlink("/proc/self/ns/ipc", a, sizeof(a) - 1) > 0 &&
                         readlink(hx_fmt("/proc/%d/ns/ipc", (int)pid), b,
                                  sizeof(b) - 1) > 0 &&
                         strcmp(a, b) != 0,
                     "its own IPC namespace: '%s' vs ours '%s'", b, a);
        }
    }

    hxe_destroy("pl-iso");
    for (int i = 0; i < 250 && access(hx_fmt("/proc/%d", (int)pid), F_OK) == 0;
         i++)
        hx_sleep_ms(20);
    HX_CHECK(access(hx_fmt("/proc/%d", (int)pid), F_OK) != 0,
             "destroy leaves no process (not even a zombie) behind");
}

/* If pvisor dies, the host processes of its proc domains die with it. */
static void test_pvisor_killed(void)
{
    const char *ov[] = { "platform=\"proc\"", NULL };
    struct hx_run r;
    pid_t pid, pv = 0;
    int domid;
    FILE *f;

    domid = hx_create(&r, "echo", "pl-orphan", ov);
    HX_REQUIRE(domid >= 0, "create echo on proc: %s", r.err);
    HX_REQUIRE(hx_wait_state("pl-orphan", "blocked", 10000),
               "echo settles (blocked)");
    pid = hxe_guest_process(domid);
    HX_REQUIRE(pid > 0, "a process named pvisor-d%d exists", domid);
    f = fopen(hx_fmt("%s/pvisor.pid", hx.dir), "r");
    HX_REQUIRE(f && fscanf(f, "%d", &pv) == 1, "pvisor's pid");
    fclose(f);
    kill(pv, SIGKILL);
    for (int i = 0; i < 250 && access(hx_fmt("/proc/%d", (int)pid), F_OK) == 0;
         i++)
        hx_sleep_ms(20);
    HX_CHECK(access(hx_fmt("/proc/%d", (int)pid), F_OK) != 0,
             "the guest's process (pid %d) ended with pvisor", (int)pid);
    HX_CHECK(hx_host_restart(NULL) == 0, "the host side starts again: %s",
             hx.setup_error);
}

/* Runs `pvctl console DOM` until the domain stops; its output. */
static const char *console_all(const char *dom)
{
    return hx_console(dom, HX_GUEST_MS, NULL, NULL);
}

/*
 * A guest executing raw host system calls achieves nothing on the host:
 * no file, no signal, no process, no output; it gets errors or crashes.
 */
static void test_hostile(void)
{
    pid_t pv = 0;
    const char *ov[3];
    struct hx_dominfo w;
    struct hx_run r;
    const char *out;
    FILE *f;

    f = fopen(hx_fmt("%s/pvisor.pid", hx.dir), "r");
    HX_REQUIRE(f && fscanf(f, "%d", &pv) == 1, "pvisor's pid");
    fclose(f);
    unlink("/tmp/pvisor-hostile-file");
    ov[0] = hx_fmt("extra=\"pid=%d\"", (int)pv);
    ov[1] = NULL;
    HX_REQUIRE(
        hxe_create(&r, hxe_test_cfg("hostile"), "hostile", "it-host", ov) >= 0,
        "create hostile: %s", r.err);
    w = hx_wait("it-host", 20);
    out = console_all("it-host");
    if (!strcmp(hx.platform, "proc")) {
        HX_CHECK(!strcmp(w.state, "shutdown") && w.code == 0,
                 "on proc every call is a hypercall and the guest ends "
                 "normally: '%s'",
                 w.text);
        HX_CHECK(strstr(out, "HOSTILE-DONE") != NULL,
                 "the guest tried all numbers: '%s'", out);
        /* write is mmu_update(1, ...): refused for another domid. */
        HX_CHECK(strstr(out, "hostile: write -1\n") &&
                     strstr(out, "hostile: open -38\n") &&
                     strstr(out, "hostile: creat -38\n") &&
                     strstr(out, "hostile: mmap -38\n") &&
                     strstr(out, "hostile: mprotect -38\n") &&
                     strstr(out, "hostile: ptrace -38\n") &&
                     strstr(out, "hostile: kill -38\n") &&
                     strstr(out, "hostile: fork -38\n") &&
                     strstr(out, "hostile: execve -38\n"),
                 "host calls come back as -ENOSYS hypercalls: '%s'", out);
    } else {
        HX_CHECK(!strcmp(w.state, "crashed") || strstr(out, "HOSTILE-DONE"),
                 "on kvm the guest crashes or ends: '%s'", w.text);
    }
    HX_CHECK(access("/tmp/pvisor-hostile-file", F_OK) != 0,
             "no file was created");
    HX_CHECK(hx_pid_running(pv), "pvisor (pid %d) is alive", (int)pv);
    HX_CHECK(
        !strstr(read_text(hx_fmt("%s/pvisor.log", hx.dir)), "HOSTILE-WRITE"),
        "nothing reached pvisor's output");
    HX_CHECK(!strstr(out, "HOSTILE-WRITE"), "nothing reached the console");
    hxe_destroy("it-host");
    HX_REQUIRE(hx_create(&r, "hello", "it-after", NULL) >= 0,
               "another domain still boots: %s", r.err);
    w = hx_wait("it-after", 10);
    HX_CHECK(!strcmp(w.state, "shutdown") || !w.found,
             "hello ran to its end: '%s'", w.text);
}

static const struct integ_test tests[] = {
    { "info", test_info },
    { "config_key", test_config_key },
    { "proc_process", test_proc_process },
    { "hostile_syscalls", test_hostile },
    { "pvisor_killed", test_pvisor_killed },
    { NULL, NULL },
};

const struct integ_suite integ_suite_platform = { "platform", true, tests };
