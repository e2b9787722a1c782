// SPDX-License-Identifier: MIT
/* test_net.c: pv-netback and netfront end to end, in a private netns. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/*
 * Each test gets its own network namespace pvtest-<pid>-<n> holding the
 * bridge pvbr0 = 10.99.0.1/24; pvhost starts pv-netback in it
 * (PVHOST_NETNS), so every TAP device, address and frame stays there.
 * The guests are pingd at 10.99.0.<n>, MAC 00:16:3e:63:00:<n>.
 */
#define NET_BRIDGE "pvbr0"
#define NET_SUB    "10.99.0"
#define NET_MAC    "00:16:3e:63:00"

static char ns[64];             /* this test's namespace, "" if none */
static unsigned nr_ns;          /* namespaces made by this run */
static char ip_bin[PATH_MAX];   /* iproute2's ip */
static char ping_bin[PATH_MAX]; /* iputils' ping */
static char setup_why[1024];    /* why the per-test setup failed */

/* Finds an executable in $PATH or the sbin directories (root's tools). */
static bool find_tool(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    char *save = NULL;

    snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin",
             path ? path : "");
    for (char *d = strtok_r(dirs, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        if (!*d)
            continue;
        if (snprintf(out, len, "%s/%s", d, name) < (int)len &&
            access(out, X_OK) == 0)
            return true;
    }
    out[0] = '\0';
    return false;
}

/* ip [-n NAMESPACE] ARGS... (NULL-terminated), as hx_exec. */
static int ipv(struct hx_run *r, const char *netns, const char *const args[])
{
    const char *argv[32];
    size_t n = 0;

    argv[n++] = ip_bin;
    if (netns) {
        argv[n++] = "-n";
        argv[n++] = netns;
    }
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return hx_exec(r, HX_CMD_MS, NULL, NULL, argv);
}

/* Runs ip in netns (NULL: ours); "" when it exits 0, else what it said. */
static const char *ip_fails(const char *netns, const char *const args[])
{
    struct hx_run r;

    if (ipv(&r, netns, args) < 0)
        return hx_fmt("cannot run %s: %s", ip_bin, strerror(errno));
    if (r.exit_code == 0)
        return "";
    for (size_t n = strlen(r.err); n && (r.err[n - 1] == '\n');)
        r.err[--n] = '\0';
    return hx_fmt("'ip%s%s %s %s ...': exit %d: %s", netns ? " -n " : "",
                  netns ? netns : "", args[0], args[1] ? args[1] : "",
                  r.exit_code, r.err);
}

/*
 * Creates namespace name with lo up and the bridge 10.99.0.1/24 (and, if
 * tap is true, a TAP device to see that TUN works there). NULL or why not;
 * the namespace is deleted again on failure.
 */
static const char *ns_create(const char *name, bool tap)
{
    const char *add[] = { "netns", "add", name, NULL };
    const char *del[] = { "netns", "del", name, NULL };
    const char *lo[] = { "link", "set", "lo", "up", NULL };
    const char *br[] = { "link", "add", NET_BRIDGE, "type", "bridge", NULL };
    const char *addr[] = { "addr", "add",      NET_SUB ".1/24",
                           "dev",  NET_BRIDGE, NULL };
    const char *up[] = { "link", "set", NET_BRIDGE, "up", NULL };
    const char *tun[] = { "tuntap", "add",      "mode", "tap",
                          "name",   "pvprobe0", NULL };
    const char *why = ip_fails(NULL, add);

    if (*why)
        return hx_fmt("cannot create network namespace %s: %s", name, why);
    if (!*(why = ip_fails(name, lo)) && !*(why = ip_fails(name, br)) &&
        !*(why = ip_fails(name, addr)) && !*(why = ip_fails(name, up)) &&
        (!tap || !*(why = ip_fails(name, tun))))
        return NULL;
    why = hx_fmt("cannot set up %s in network namespace %s: %s",
                 tap ? "a bridge and a TAP" : "the bridge", name, why);
    ip_fails(NULL, del);
    return why;
}

/*
 * Suite hook: why the suite cannot run here, NULL if it can; *facility
 * names the missing host facility.
 */
static const char *net_skip(const char **facility)
{
    static char why[1024];
    const char *e;
    char name[64];

    if (geteuid() != 0) {
        *facility = "root";
        return "net: needs root (network namespaces, TAP devices)";
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        *facility = "/dev/net/tun";
        snprintf(why, sizeof(why), "net: /dev/net/tun: %s", strerror(errno));
        return why;
    }
    if (!find_tool("ip", ip_bin, sizeof(ip_bin))) {
        *facility = "ip (iproute2)";
        return "net: no 'ip' (iproute2) in $PATH, /usr/sbin or /sbin";
    }
    if (!find_tool("ping", ping_bin, sizeof(ping_bin))) {
        *facility = "ping (iputils-ping)";
        return "net: no 'ping' (iputils-ping) in $PATH, /usr/sbin or /sbin";
    }
    /* One trial namespace with a bridge and a TAP, deleted at once. */
    snprintf(name, sizeof(name), "pvtest-%d-probe", (int)getpid());
    e = ns_create(name, true);
    if (e) {
        *facility = "network namespaces with a bridge and a TAP";
        snprintf(why, sizeof(why), "net: %s", e);
        return why;
    }
    ip_fails(NULL, (const char *const[]){ "netns", "del", name, NULL });
    return NULL;
}

/* Suite hook, before each test's fixture: its namespace and bridge. */
static const char *net_setup(void)
{
    const char *e;

    unsetenv("PVHOST_NETNS");
    snprintf(ns, sizeof(ns), "pvtest-%d-%u", (int)getpid(), ++nr_ns);
    e = ns_create(ns, false);
    if (e) {
        ns[0] = '\0';
        snprintf(setup_why, sizeof(setup_why), "%s", e);
        return setup_why;
    }
    setenv("PVHOST_NETNS", ns, 1);
    return NULL;
}

/* Suite hook, after the host side stopped: the namespace goes. */
static void net_teardown(void)
{
    const char *why;

    unsetenv("PVHOST_NETNS");
    if (!ns[0])
        return;
    why = ip_fails(NULL, (const char *const[]){ "netns", "del", ns, NULL });
    HX_CHECK(!*why, "deleting network namespace %s: %s", ns, why);
    ns[0] = '\0';
}

const struct integ_hooks integ_hooks_net = { "net", net_skip, net_setup,
                                             net_teardown };

/* ---- helpers ---- */

static const char *guest_ip(unsigned n)
{
    return hx_fmt(NET_SUB ".%u", n);
}

static const char *guest_mac(unsigned n)
{
    return hx_fmt(NET_MAC ":%02x", n);
}

/*
 * Boots pingd as NAME at 10.99.0.<n> (cmdline: extra words, or NULL) and
 * waits until it is ready. Returns its domid.
 */
static int boot_pingd(const char *name, unsigned n, const char *cmdline)
{
    const char *ov[] = {
        hx_fmt("vif=['mac=%s, bridge=" NET_BRIDGE ", ip=%s/24']", guest_mac(n),
               guest_ip(n)),
        cmdline ? hx_fmt("cmdline='%s'", cmdline) : NULL,
        NULL,
    };
    struct hx_run r;
    int id = hx_create(&r, "pingd", name, ov);

    HX_REQUIRE(id > 0, "create pingd %s: exit %d%s: %s%s", name, r.exit_code,
               r.timed_out ? " (timed out)" : "", r.err, r.out);
    HX_REQUIRE(hxe_wait_log(name, "pingd: ready", 20000) != NULL,
               "%s never became ready; console: '%s'\npv-netback.log:\n%s",
               name, hxe_console_log(name), hxe_console_log("../pv-netback"));
    return id;
}

/* pv-netback's log (console/../pv-netback.log), "" if there is none. */
static const char *netback_log(void)
{
    return hxe_console_log("../pv-netback");
}

/* The lines of log that hold needle, "" if none. */
static const char *log_lines(const char *log, const char *needle)
{
    const char *out = "";

    for (const char *p = log; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        const char *line = hx_fmt("%.*s", len, p);

        if (strstr(line, needle))
            out = hx_fmt("%s%s\n", out, line);
        p = nl ? nl + 1 : NULL;
    }
    return out;
}

/* pv-netback logged nothing at level err or warn so far. */
static void expect_clean_log(void)
{
    const char *log = netback_log();
    const char *bad =
        hx_fmt("%s%s", log_lines(log, " err: "), log_lines(log, " warn: "));

    HX_CHECK(!*bad, "pv-netback logged errors or warnings:\n%s", bad);
}

/* ip netns exec NS ping ARGS... ADDR (-n -W 2 first). */
static void ping(struct hx_run *r, unsigned timeout_ms, const char *addr,
                 const char *const args[])
{
    const char *argv[32];
    size_t n = 0;

    argv[n++] = ip_bin;
    argv[n++] = "netns";
    argv[n++] = "exec";
    argv[n++] = ns;
    argv[n++] = ping_bin;
    argv[n++] = "-n";
    argv[n++] = "-W";
    argv[n++] = "2";
    for (size_t i = 0; args && args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n++] = addr;
    argv[n] = NULL;
    HX_REQUIRE(hx_exec(r, timeout_ms, NULL, NULL, argv) == 0, "run %s",
               ping_bin);
}

/* count pings of `size` bytes, 0.2 s apart, unfragmented: all answered. */
static void expect_replies(const char *addr, unsigned count, unsigned size)
{
    const char *args[] = { "-c", hx_fmt("%u", count), "-i", "0.2",
                           "-s", hx_fmt("%u", size),  "-M", "do",
                           NULL };
    struct hx_run r;

    ping(&r, HX_CMD_MS, addr, args);
    HX_CHECK(r.exit_code == 0 &&
                 strstr(r.out, hx_fmt(", %u received", count)) != NULL,
             "ping -c %u -s %u %s in %s: exit %d: %s%s", count, size, addr, ns,
             r.exit_code, r.out, r.err);
}

/* Pings once a second until one gets an answer or timeout_ms passed. */
static bool wait_reply(const char *addr, unsigned timeout_ms)
{
    const char *one[] = { "-c", "1", "-W", "1", NULL };
    unsigned long long deadline = hxe_now_ms() + timeout_ms;
    struct hx_run r;

    do {
        ping(&r, HX_CMD_MS, addr, one);
        if (r.exit_code == 0)
            return true;
    } while (hxe_now_ms() < deadline);
    return false;
}

/* A ping that gets no reply at all: ping's exit status 1. */
static void expect_no_reply(const char *addr)
{
    const char *args[] = { "-c", "2", "-i", "0.3", NULL };
    struct hx_run r;

    ping(&r, HX_CMD_MS, addr, args);
    HX_CHECK(r.exit_code == 1 && strstr(r.out, ", 0 received"),
             "%s must not answer: ping exit %d: %s%s", addr, r.exit_code, r.out,
             r.err);
}

/* `ip [-n NS] -o link show dev IFNAME`: its line, or NULL if none. */
static const char *link_show(const char *netns, const char *ifname)
{
    const char *args[] = { "-o", "link", "show", "dev", ifname, NULL };
    struct hx_run r;

    if (ipv(&r, netns, args) < 0 || r.exit_code != 0)
        return NULL;
    return r.out;
}

/* Polls until ifname exists (want) or not in our namespace. */
static bool wait_link(const char *ifname, bool want, unsigned timeout_ms)
{
    unsigned long long deadline = hxe_now_ms() + timeout_ms;

    for (;;) {
        if ((link_show(ns, ifname) != NULL) == want)
            return true;
        if (hxe_now_ms() >= deadline)
            return false;
        hx_sleep_ms(50);
    }
}

/* The whole of a file (also one in /proc), "" if it cannot be read. */
static const char *read_text(const char *path)
{
    char *buf = hx_fmt("%*s", 65535, "");
    size_t n = 0, got;
    FILE *f = fopen(path, "r");

    if (!f)
        return "";
    while (n < 65535 && (got = fread(buf + n, 1, 65535 - n, f)) > 0)
        n += got;
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* pv-netback's pid from its pidfile, 0 if none. */
static pid_t netback_pid(void)
{
    return (pid_t)atoi(read_text(hx_fmt("%s/pv-netback.pid", hx.dir)));
}

/* utime + stime of a process in clock ticks; fails the test if unknown. */
static unsigned long long cpu_ticks(pid_t pid)
{
    const char *stat = read_text(hx_fmt("/proc/%d/stat", (int)pid));
    const char *p = strrchr(stat, ')');
    unsigned long long ut = 0, st = 0;

    /*
     * After "(comm)": state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime.
     */
    HX_REQUIRE(p && sscanf(p,
                           ") %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                           "%*u %llu %llu",
                           &ut, &st) == 2,
               "parse /proc/%d/stat: '%s'", (int)pid, stat);
    return ut + st;
}

static bool netback_alive(void)
{
    pid_t pid = netback_pid();

    return pid > 0 && hx_pid_running(pid);
}

/* pvctl ARGS... that must succeed; returns its stdout. */
static const char *pvctl_ok(const char *what, const char *const args[])
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_CMD_MS, NULL, NULL, args) == 0, "run pvctl");
    HX_REQUIRE(r.exit_code == 0 && !r.timed_out, "pvctl %s: exit %d%s: %s%s",
               what, r.exit_code, r.timed_out ? " (timed out)" : "", r.err,
               r.out);
    return r.out;
}

static const char *network_list(const char *dom)
{
    return pvctl_ok("network-list",
                    (const char *const[]){ "network-list", dom, NULL });
}

/* ---- the tests ---- */

/* 1. pingd connects (netfront handshake) and takes ip= from its vif. */
static void test_pingd_up(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *fe = hx_fmt("/local/domain/%d/device/vif/0", id);
    const char *be = hx_fmt("/local/domain/0/backend/vif/%d/0", id);
    const char *v;

    HX_CHECK(strstr(hxe_console_log("pingd-a"),
                    "pingd: " NET_SUB ".2/24 mac " NET_MAC ":02 up") != NULL,
             "pingd uses the vif's ip and mac: '%s'",
             hxe_console_log("pingd-a"));
    v = hxe_store_read(hx_fmt("%s/state", fe));
    HX_CHECK(v && !strcmp(v, "4"), "frontend state = '%s', want 4",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/state", be));
    HX_CHECK(v && !strcmp(v, "4"), "backend state = '%s', want 4",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/hotplug-status", be));
    HX_CHECK(v && !strcmp(v, "connected"), "hotplug-status = '%s'",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/vifname", be));
    HX_CHECK(v && !strcmp(v, hx_fmt("vif%d.0", id)), "vifname = '%s'",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/request-rx-copy", fe));
    HX_CHECK(v && !strcmp(v, "1"), "request-rx-copy = '%s'",
             v ? v : "(missing)");
    HX_CHECK(strstr(netback_log(), hx_fmt("d%d vif 0: connected", id)) != NULL,
             "pv-netback logs the connection: '%s'", netback_log());
    hxe_destroy("pingd-a");
}

/* 2. The TAP vifN.0 is on the bridge in the test's namespace only. */
static void test_tap_in_netns(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *tap = hx_fmt("vif%d.0", id);
    const char *l = link_show(ns, tap);

    HX_CHECK(l != NULL, "%s exists in %s", tap, ns);
    HX_CHECK(l && strstr(l, "master " NET_BRIDGE), "%s is on %s: '%s'", tap,
             NET_BRIDGE, l ? l : "");
    HX_CHECK(l && strstr(l, "mtu 1500") && strstr(l, "fe:ff:ff:ff:ff:ff"),
             "%s: mtu 1500, mac fe:ff:ff:ff:ff:ff: '%s'", tap, l ? l : "");
    l = link_show(NULL, tap);
    HX_CHECK(l == NULL, "%s must not exist outside %s: '%s'", tap, ns,
             l ? l : "");
    hxe_destroy("pingd-a");
}

/* 3. Linux's ping gets answers, also with a full 1500-byte IP packet. */
static void test_ping(void)
{
    boot_pingd("pingd-a", 2, NULL);
    expect_replies(guest_ip(2), 3, 56);
    expect_replies(guest_ip(2), 2, 1472);
    /* the smallest: a 28-byte IP packet in a padded 60-byte frame */
    expect_replies(guest_ip(2), 2, 0);
    hxe_destroy("pingd-a");
}

/* 4. Two guests: 50 UDP echo round trips across the bridge. */
static void test_udp_guest_to_guest(void)
{
    const char *log;

    boot_pingd("pingd-a", 2, NULL);
    boot_pingd("pingd-b", 3, hx_fmt("peer=%s rounds=50", guest_ip(2)));
    log = hxe_wait_log("pingd-b", "udp round trips OK", 30000);
    HX_CHECK(log && strstr(log, "pingd: 50 udp round trips OK"),
             "pingd-b: 50 round trips with pingd-a: '%s'",
             hxe_console_log("pingd-b"));
    /* pingd-b powers off when done (and goes); pingd-a answers on */
    HX_CHECK(hx_wait_state("pingd-b", "gone", 10000), "pingd-b ends: '%s'",
             hx_dominfo("pingd-b").text);
    expect_replies(guest_ip(2), 2, 56);
    hxe_destroy("pingd-a");
}

/* 5. network-attach / network-list / network-detach of a second vif. */
static void test_hotplug(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *tap1 = hx_fmt("vif%d.1", id);
    const char *mac = guest_mac(0x12);
    const char *out;

    out = pvctl_ok("network-attach",
                   (const char *const[]){
                       "network-attach", "pingd-a",
                       hx_fmt("mac=%s, bridge=" NET_BRIDGE, mac), NULL });
    HX_CHECK(!strcmp(out, "1\n"), "network-attach prints devid 1: '%s'", out);
    out = network_list("pingd-a");
    HX_CHECK(strstr(out, mac) && strstr(out, guest_mac(2)),
             "network-list shows both vifs: '%s'", out);
    HX_CHECK(wait_link(tap1, true, 5000), "%s appears in %s: '%s'", tap1, ns,
             netback_log());
    pvctl_ok("network-detach",
             (const char *const[]){ "network-detach", "pingd-a", mac, NULL });
    out = network_list("pingd-a");
    HX_CHECK(!strstr(out, mac) && strstr(out, guest_mac(2)),
             "network-list after the detach: only vif 0: '%s'", out);
    HX_CHECK(wait_link(tap1, false, 5000), "%s goes away", tap1);
    HX_CHECK(link_show(ns, hx_fmt("vif%d.0", id)) != NULL, "vif%d.0 remains",
             id);
    expect_replies(guest_ip(2), 2, 56);
    /* again at once, now with a TAP name of our choosing */
    out = pvctl_ok(
        "network-attach",
        (const char *const[]){
            "network-attach", "pingd-a",
            hx_fmt("mac=%s, bridge=" NET_BRIDGE ", vifname=pvx%u", mac, nr_ns),
            NULL });
    HX_CHECK(!strcmp(out, "1\n"), "network-attach prints devid 1: '%s'", out);
    HX_CHECK(wait_link(hx_fmt("pvx%u", nr_ns), true, 5000),
             "pvx%u appears in %s: '%s'", nr_ns, ns, netback_log());
    pvctl_ok("network-detach",
             (const char *const[]){ "network-detach", "pingd-a", "1", NULL });
    HX_CHECK(wait_link(hx_fmt("pvx%u", nr_ns), false, 5000), "pvx%u goes away",
             nr_ns);
    expect_replies(guest_ip(2), 2, 56);
    expect_clean_log();
    hxe_destroy("pingd-a");
}

/* 6. network-detach of vif 0: no more answers, its TAP goes. */
static void test_detach_vif0(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *tap = hx_fmt("vif%d.0", id);
    unsigned long long t0;
    struct hx_dominfo d;
    const char *out;

    expect_replies(guest_ip(2), 1, 56);
    t0 = hxe_now_ms();
    pvctl_ok("network-detach",
             (const char *const[]){ "network-detach", "pingd-a", "0", NULL });
    HX_CHECK(hxe_now_ms() - t0 < 5000, "network-detach took %llu ms",
             hxe_now_ms() - t0);
    HX_CHECK(wait_link(tap, false, 5000), "%s goes away", tap);
    expect_no_reply(guest_ip(2));
    out = network_list("pingd-a");
    HX_CHECK(!strstr(out, guest_mac(2)), "network-list: no vif left: '%s'",
             out);
    d = hx_dominfo("pingd-a");
    HX_CHECK(d.found &&
                 (!strcmp(d.state, "running") || !strcmp(d.state, "blocked")),
             "pingd-a keeps running without its vif: '%s'", d.text);
    expect_clean_log();
    hxe_destroy("pingd-a");
}

/* 7. Malformed specs and unknown domains: clear errors, guest unharmed. */
static void test_attach_errors(void)
{
    static const struct {
        const char *spec, *needle;
    } bad[] = {
        { "mac=00:16:3e:zz:00:01, bridge=" NET_BRIDGE, "mac '00:16:3e:zz" },
        { "mac=01:16:3e:00:00:01", "mac '01:16:3e:00:00:01' is not a unicast" },
        { "mac=00:16:3e:00:00", "mac '00:16:3e:00:00'" },
        { "bridge=br/0", "bridge 'br/0'" },
        { "ip=10.99.0.300", "ip '10.99.0.300'" },
        { "colour=blue", "unknown key 'colour'" },
        { "devid=999", "devid '999'" },
        { "mac", "'mac' is not key=value" },
    };
    struct hx_dominfo d;
    struct hx_run r;
    const char *out;

    boot_pingd("pingd-a", 2, NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "network-attach", "pingd-a",
                            bad[i].spec, NULL) == 0,
                   "run pvctl");
        HX_CHECK(r.exit_code != 0 && !r.timed_out &&
                     strstr(r.err, bad[i].needle) &&
                     strstr(r.err, "network-attach"),
                 "network-attach pingd-a '%s': want an error naming '%s', "
                 "got exit %d: '%s'",
                 bad[i].spec, bad[i].needle, r.exit_code, r.err);
    }
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "network-attach", "no-such-domain",
                        "mac=" NET_MAC ":21, bridge=" NET_BRIDGE, NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code != 0 && !r.timed_out &&
                 strstr(r.err, "no-such-domain"),
             "network-attach to an unknown domain names it: exit %d: '%s'",
             r.exit_code, r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "network-attach", "4242",
                        "mac=" NET_MAC ":22", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code != 0 && !r.timed_out && strstr(r.err, "4242"),
             "network-attach to domain 4242 names it: exit %d: '%s'",
             r.exit_code, r.err);
    /* a devid the domain already has */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "network-attach", "pingd-a",
                        "devid=0, bridge=" NET_BRIDGE, NULL) == 0,
               "run pvctl");
    HX_CHECK(
        r.exit_code != 0 && strstr(r.err, "vif 0") && strstr(r.err, "already"),
        "network-attach of devid 0 again: exit %d: '%s'", r.exit_code, r.err);
    HX_REQUIRE(
        hx_pvctl(&r, HX_CMD_MS, "network-detach", "pingd-a", "7", NULL) == 0,
        "run pvctl");
    HX_CHECK(r.exit_code != 0 && strstr(r.err, "no vif 7"),
             "network-detach of a vif it does not have: exit %d: '%s'",
             r.exit_code, r.err);
    out = network_list("pingd-a");
    HX_CHECK(hx_count(out, NET_MAC ":") == 1,
             "network-list: still only vif 0: '%s'", out);
    d = hx_dominfo("pingd-a");
    HX_CHECK(d.found &&
                 (!strcmp(d.state, "running") || !strcmp(d.state, "blocked")),
             "pingd-a keeps running: '%s'", d.text);
    expect_replies(guest_ip(2), 2, 56);
    HX_CHECK(netback_alive(), "pv-netback is alive");
    hxe_destroy("pingd-a");
}

/* 8. A vif on a bridge that does not exist: hotplug-error, clean detach. */
static void test_missing_bridge(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *be = hx_fmt("/local/domain/0/backend/vif/%d/1", id);
    unsigned long long t0, deadline;
    const char *v = NULL, *out;

    out = pvctl_ok("network-attach",
                   (const char *const[]){ "network-attach", "pingd-a",
                                          "mac=" NET_MAC ":13, bridge=nosuchbr",
                                          NULL });
    deadline = hxe_now_ms() + 5000;
    while (hxe_now_ms() < deadline) {
        v = hxe_store_read(hx_fmt("%s/hotplug-status", be));
        if (v && !strcmp(v, "error"))
            break;
        hx_sleep_ms(50);
    }
    HX_CHECK(v && !strcmp(v, "error"), "hotplug-status = '%s', want error",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/hotplug-error", be));
    HX_CHECK(v && strstr(v, "nosuchbr"), "hotplug-error names the bridge: '%s'",
             v ? v : "(missing)");
    HX_CHECK(strstr(log_lines(netback_log(), " err: "), "nosuchbr"),
             "pv-netback logs the error: '%s'", netback_log());
    HX_CHECK(link_show(ns, hx_fmt("vif%d.1", id)) == NULL,
             "no TAP left for the failed vif");
    t0 = hxe_now_ms();
    pvctl_ok("network-detach",
             (const char *const[]){ "network-detach", "pingd-a", "1", NULL });
    HX_CHECK(hxe_now_ms() - t0 < 5000,
             "network-detach of the failed vif took %llu ms",
             hxe_now_ms() - t0);
    out = network_list("pingd-a");
    HX_CHECK(!strstr(out, NET_MAC ":13"), "network-list: it is gone: '%s'",
             out);
    expect_replies(guest_ip(2), 2, 56);
    hxe_destroy("pingd-a");
}

/*
 * 9. A guest destroyed under a ping flood (both sizes) from the
 * namespace: pv-netback and pvisor live on, the other guest answers, the
 * dead guest's TAP goes, and a new guest at the same address works.
 */
static void test_destroy_under_flood(void)
{
    int ida = boot_pingd("pingd-a", 2, NULL);
    const char *tap = hx_fmt("vif%d.0", ida);
    const char *flood =
        hx_fmt("%s netns exec %s %s -n -q -f -w 3", ip_bin, ns, ping_bin);
    pid_t nb = netback_pid();
    char why[1024];
    struct hx_run r;

    boot_pingd("pingd-b", 3, NULL);
    HX_REQUIRE(nb > 0, "pv-netback.pid");
    expect_replies(guest_ip(2), 1, 56);
    HX_REQUIRE(hxe_sh(&r, 20000, NULL, NULL,
                      hx_fmt("cd '%s' || exit 99; "
                             "%s %s >flood1.out 2>&1 & "
                             "%s -s 1472 %s >flood2.out 2>&1 & "
                             "%s %s >flood3.out 2>&1 & "
                             "sleep 1; pvctl destroy pingd-a; rc=$?; "
                             "wait; cat flood1.out flood2.out; exit $rc",
                             hx.dir, flood, guest_ip(2), flood, guest_ip(2),
                             flood, guest_ip(3))) == 0,
               "run sh");
    HX_CHECK(r.exit_code == 0 && !r.timed_out,
             "pvctl destroy under the flood: exit %d%s: %s%s", r.exit_code,
             r.timed_out ? " (timed out)" : "", r.err, r.out);
    /* the flood got answers until the destroy */
    HX_CHECK(strstr(r.out, "packets transmitted") &&
                 !strstr(r.out, ", 0 received"),
             "the flood reached pingd-a before the destroy: '%s'", r.out);
    HX_CHECK(hx_pid_running(nb), "pv-netback (pid %d) survives: %s", (int)nb,
             netback_log());
    HX_CHECK(hx_host_alive(why, sizeof(why)), "pvisor survives: %s", why);
    HX_CHECK(hx_wait_state("pingd-a", "gone", 5000), "pingd-a is gone");
    HX_CHECK(wait_link(tap, false, 5000), "%s goes with its domain", tap);
    expect_replies(guest_ip(3), 3, 56);
    expect_replies(guest_ip(3), 1, 1472);
    /* the address is free again for a new guest */
    boot_pingd("pingd-c", 2, NULL);
    expect_replies(guest_ip(2), 2, 56);
    HX_CHECK(netback_pid() == nb && hx_pid_running(nb),
             "still the same pv-netback");
    expect_clean_log();
    hxe_destroy("pingd-c");
    hxe_destroy("pingd-b");
}

/*
 * 10. A paused guest under a flood: pv-netback fills its receive ring,
 * then waits (it must not spin on the TAP); unpaused, the guest answers.
 */
static void test_paused_guest_flood(void)
{
    /* 600 at once (more than the 256 posted buffers), then 100/s */
    const char *flood_args[] = { "-q", "-f", "-l", "600", "-w", "1", NULL };
    unsigned long long cpu0, cpu1;
    struct hx_run r;
    pid_t nb;

    boot_pingd("pingd-a", 2, NULL);
    nb = netback_pid();
    HX_REQUIRE(nb > 0, "pv-netback.pid");
    expect_replies(guest_ip(2), 1, 56);
    pvctl_ok("pause", (const char *const[]){ "pause", "pingd-a", NULL });
    ping(&r, HX_CMD_MS, guest_ip(2), flood_args);
    HX_CHECK(r.exit_code == 1, "a paused guest does not answer: exit %d: %s%s",
             r.exit_code, r.out, r.err);
    /* CPU time of pv-netback over one idle second after the flood */
    cpu0 = cpu_ticks(nb);
    hx_sleep_ms(1000);
    cpu1 = cpu_ticks(nb);
    HX_CHECK(cpu1 - cpu0 < (unsigned long long)sysconf(_SC_CLK_TCK) / 5,
             "pv-netback used %llu of %ld ticks in an idle second while the "
             "guest's ring was full",
             cpu1 - cpu0, sysconf(_SC_CLK_TCK));
    pvctl_ok("unpause", (const char *const[]){ "unpause", "pingd-a", NULL });
    /*
     * It works through the backlog (replies beyond its tx ring are
     * dropped, as by a NIC), then answers every ping again.
     */
    HX_CHECK(wait_reply(guest_ip(2), 5000), "pingd-a answers after unpause");
    expect_replies(guest_ip(2), 3, 56);
    HX_CHECK(hx_pid_running(nb), "pv-netback survives");
    hxe_destroy("pingd-a");
}

/*
 * 11. After a session (ping, UDP, hot-plug and unplug, a guest that ends)
 * pv-netback logged no error or warning, and it exits cleanly on SIGTERM
 * with vifs still in use, without a sanitizer report (leaks included).
 */
static void test_netback_log_clean(void)
{
    const char *log, *errs;
    pid_t nb;

    boot_pingd("pingd-a", 2, NULL);
    boot_pingd("pingd-b", 3, hx_fmt("peer=%s rounds=20", guest_ip(2)));
    HX_CHECK(hxe_wait_log("pingd-b", "pingd: 20 udp round trips OK", 30000),
             "pingd-b: '%s'", hxe_console_log("pingd-b"));
    expect_replies(guest_ip(2), 3, 1472);
    pvctl_ok("network-attach",
             (const char *const[]){ "network-attach", "pingd-a",
                                    "mac=" NET_MAC ":12, bridge=" NET_BRIDGE,
                                    NULL });
    pvctl_ok("network-detach",
             (const char *const[]){ "network-detach", "pingd-a", "1", NULL });
    pvctl_ok("network-attach",
             (const char *const[]){ "network-attach", "pingd-a",
                                    "mac=" NET_MAC ":14, bridge=" NET_BRIDGE,
                                    NULL });
    HX_CHECK(hx_wait_state("pingd-b", "gone", 10000), "pingd-b ends: '%s'",
             hx_dominfo("pingd-b").text);
    expect_replies(guest_ip(2), 1, 56);
    nb = netback_pid();
    HX_REQUIRE(nb > 0 && hx_pid_running(nb), "pv-netback runs");
    /* it exits with pingd-a's vif 0 connected and vif 2 offered */
    HX_REQUIRE(kill(nb, SIGTERM) == 0, "SIGTERM pv-netback");
    for (int i = 0; i < 100 && hx_pid_running(nb); i++)
        hx_sleep_ms(50);
    HX_CHECK(!hx_pid_running(nb), "pv-netback exits within 5 s of SIGTERM");
    log = netback_log();
    errs = log_lines(log, " err: ");
    HX_CHECK(!*errs, "pv-netback logged errors:\n%s", errs);
    errs = log_lines(log, " warn: ");
    HX_CHECK(!*errs, "pv-netback logged warnings:\n%s", errs);
    HX_CHECK(strstr(log, "exiting") != NULL, "pv-netback logs its exit: '%s'",
             log);
    for (int i = 0; i < 2; i++) {
        const char *rep =
            hx_fmt("%s/%s.%d", hx.dir, i ? "ubsan" : "asan", (int)nb);
        struct stat st;

        HX_CHECK(stat(rep, &st) != 0 || st.st_size == 0,
                 "pv-netback left a sanitizer report %s", rep);
    }
    hxe_destroy("pingd-a");
}

/*
 * 12. pv-netback restarted under a connected guest: it recreates the TAP
 * and offers again, netfront makes new rings, ping works again.
 */
static void test_netback_restart(void)
{
    int id = boot_pingd("pingd-a", 2, NULL);
    const char *tap = hx_fmt("vif%d.0", id);
    const char *bin = hx_fmt("%s/bin/pv-netback", hx.build);
    const char *pidf = hx_fmt("%s/pv-netback.pid", hx.dir);
    const char *logf = hx_fmt("%s/pv-netback.log", hx.dir);
    const char *argv[] = { bin,          "--run-dir", hx.dir,      "--netns",
                           ns,           "--daemon",  "--pidfile", pidf,
                           "--log-file", logf,        NULL };
    struct hx_run r;
    pid_t nb = netback_pid();

    expect_replies(guest_ip(2), 1, 56);
    HX_REQUIRE(nb > 0 && kill(nb, SIGTERM) == 0, "SIGTERM pv-netback");
    for (int i = 0; i < 100 && hx_pid_running(nb); i++)
        hx_sleep_ms(50);
    HX_REQUIRE(!hx_pid_running(nb), "pv-netback exits on SIGTERM");
    HX_CHECK(wait_link(tap, false, 5000), "%s goes with pv-netback", tap);
    expect_no_reply(guest_ip(2));
    HX_REQUIRE(hx_exec(&r, HX_CMD_MS, NULL, NULL, argv) == 0, "run pv-netback");
    HX_REQUIRE(r.exit_code == 0, "pv-netback start: exit %d: %s%s", r.exit_code,
               r.err, netback_log());
    HX_CHECK(wait_link(tap, true, 5000), "%s comes back", tap);
    /* the guest reconnects: answers within a few seconds */
    HX_CHECK(wait_reply(guest_ip(2), 10000), "pingd-a answers again: %s",
             netback_log());
    expect_replies(guest_ip(2), 3, 1472);
    HX_CHECK(hx_count(netback_log(), hx_fmt("d%d vif 0: connected", id)) == 2,
             "pv-netback connected twice: '%s'", netback_log());
    expect_clean_log();
    hxe_destroy("pingd-a");
}

/* 13. A guest rebooted in place (same domid) reconnects its vif. */
static void test_guest_reboot(void)
{
    const char *ov[] = {
        hx_fmt("vif=['mac=%s, bridge=" NET_BRIDGE ", ip=%s/24']", guest_mac(2),
               guest_ip(2)),
        "on_reboot=\"restart\"",
        NULL,
    };
    unsigned long long deadline;
    struct hx_run r;
    int id = hx_create(&r, "pingd", "pingd-a", ov);

    HX_REQUIRE(id > 0, "create pingd: exit %d: %s", r.exit_code, r.err);
    HX_REQUIRE(hxe_wait_log("pingd-a", "pingd: ready", 20000),
               "pingd-a ready: '%s'\n%s\n%s", hxe_console_log("pingd-a"),
               netback_log(), read_text(hx_fmt("%s/pv-consoled.log", hx.dir)));
    expect_replies(guest_ip(2), 2, 56);
    HX_REQUIRE(hx_pvctl(&r, 25000, "reboot", "-w", "pingd-a", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 0 && !r.timed_out, "pvctl reboot -w: exit %d: %s",
             r.exit_code, r.err);
    deadline = hxe_now_ms() + 20000;
    while (hx_count(hxe_console_log("pingd-a"), "pingd: ready") < 2 &&
           hxe_now_ms() < deadline)
        hx_sleep_ms(50);
    HX_CHECK(hx_count(hxe_console_log("pingd-a"), "pingd: ready") == 2,
             "pingd-a comes up again: '%s'\n%s", hxe_console_log("pingd-a"),
             netback_log());
    HX_CHECK(hx_dominfo("pingd-a").domid == id, "same domid");
    expect_replies(guest_ip(2), 3, 1472);
    HX_CHECK(hx_count(netback_log(), hx_fmt("d%d vif 0: connected", id)) == 2,
             "pv-netback connected twice: '%s'", netback_log());
    HX_CHECK(netback_alive(), "pv-netback survives");
    expect_clean_log();
    hxe_destroy("pingd-a");
}

/*
 * 14. A hard reboot under a ping flood: pvisor reloads the guest's memory
 * under pv-netback's ring mappings (the rings read as zeros). That is a
 * restart, not a hostile frontend: pv-netback drops the old rings
 * quietly (no error, no warning), the rebooted guest connects again and
 * answers.
 */
static void test_reboot_under_flood(void)
{
    const char *ov[] = {
        hx_fmt("vif=['mac=%s, bridge=" NET_BRIDGE ", ip=%s/24']", guest_mac(2),
               guest_ip(2)),
        "on_reboot=\"restart\"",
        NULL,
    };
    const char *flood =
        hx_fmt("%s netns exec %s %s -n -q -f -w 3", ip_bin, ns, ping_bin);
    unsigned long long deadline;
    pid_t nb = netback_pid();
    struct hx_run r;
    int id = hx_create(&r, "pingd", "pingd-a", ov);

    HX_REQUIRE(id > 0, "create pingd: exit %d: %s", r.exit_code, r.err);
    HX_REQUIRE(hxe_wait_log("pingd-a", "pingd: ready", 20000),
               "pingd-a ready: '%s'\n%s\n%s", hxe_console_log("pingd-a"),
               netback_log(), read_text(hx_fmt("%s/pv-consoled.log", hx.dir)));
    expect_replies(guest_ip(2), 1, 56);
    HX_REQUIRE(hxe_sh(&r, 20000, NULL, NULL,
                      hx_fmt("cd '%s' || exit 99; "
                             "%s %s >flood1.out 2>&1 & "
                             "%s -s 1472 %s >flood2.out 2>&1 & "
                             "sleep 1; pvctl reboot -F pingd-a; rc=$?; "
                             "wait; exit $rc",
                             hx.dir, flood, guest_ip(2), flood, guest_ip(2))) ==
                   0,
               "run sh");
    HX_CHECK(r.exit_code == 0 && !r.timed_out, "pvctl reboot -F: exit %d: %s",
             r.exit_code, r.err);
    deadline = hxe_now_ms() + 20000;
    while (hx_count(hxe_console_log("pingd-a"), "pingd: ready") < 2 &&
           hxe_now_ms() < deadline)
        hx_sleep_ms(50);
    HX_CHECK(hx_count(hxe_console_log("pingd-a"), "pingd: ready") == 2,
             "pingd-a comes up again: '%s'\n%s", hxe_console_log("pingd-a"),
             netback_log());
    expect_replies(guest_ip(2), 3, 56);
    HX_CHECK(netback_pid() == nb && hx_pid_running(nb),
             "still the same pv-netback");
    expect_clean_log();
    hxe_destroy("pingd-a");
}

/* Saved and restored, the guest keeps its interface: the restore attaches
 * it again (same MAC, address and bridge), netfront reconnects and
 * announces itself with a gratuitous ARP, pings are answered again. */
static void test_save_restore(void)
{
    const char *img = hx_fmt("%s/pingd.img", hx.dir);
    const char *log;
    struct hx_run r;

    boot_pingd("pingd-sv", 2, NULL);
    expect_replies(guest_ip(2), 3, 56);
    HX_REQUIRE(hx_pvctl(&r, 60000, "save", "pingd-sv", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save");
    expect_no_reply(guest_ip(2));
    HX_REQUIRE(hx_pvctl(&r, 60000, "restore", img, NULL) == 0, "run pvctl");
    HX_REQUIRE_OK(&r, "restore");
    log = hxe_wait_log("pingd-sv", "gratuitous ARP sent", 20000);
    HX_CHECK(log != NULL, "netfront announces itself after the restore: %s",
             hxe_console_log("pingd-sv"));
    HX_CHECK(wait_reply(guest_ip(2), 20000), "answers again after restore");
    expect_replies(guest_ip(2), 3, 56);
    HX_CHECK(strstr(network_list("pingd-sv"), guest_mac(2)) != NULL,
             "same MAC: %s", network_list("pingd-sv"));
    hxe_destroy("pingd-sv");
}

static const struct integ_test tests[] = {
    { "pingd_up", test_pingd_up },
    { "tap_in_netns", test_tap_in_netns },
    { "ping", test_ping },
    { "udp_guest_to_guest", test_udp_guest_to_guest },
    { "hotplug", test_hotplug },
    { "detach_vif0", test_detach_vif0 },
    { "attach_errors", test_attach_errors },
    { "missing_bridge", test_missing_bridge },
    { "destroy_under_flood", test_destroy_under_flood },
    { "paused_guest_flood", test_paused_guest_flood },
    { "netback_log_clean", test_netback_log_clean },
    { "netback_restart", test_netback_restart },
    { "guest_reboot", test_guest_reboot },
    { "reboot_under_flood", test_reboot_under_flood },
    { "save_restore", test_save_restore },
    { NULL, NULL },
};

const struct integ_suite integ_suite_net = { "net", true, tests };
