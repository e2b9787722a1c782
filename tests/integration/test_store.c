// SPDX-License-Identifier: MIT
/* test_store.c: xenstore keys, graceful shutdown, vchan, grants and fuzz. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hx_extra.h"

#define PRESERVE "on_poweroff=\"preserve\""

/* Fails the test unless a create returned a domid; shows why. */
static int must(int id, const struct hx_run *r, const char *what)
{
    HX_REQUIRE(id > 0, "%s: exit %d%s: %s", what, r->exit_code,
               r->timed_out ? " (timed out)" : "", r->err);
    return id;
}

/* Runs `pvctl console DOM` to the end; fails the test if it hangs. */
static const char *console_to_end(const char *dom)
{
    const char *args[] = { "console", dom, NULL };
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_GUEST_MS, NULL, NULL, args) == 0,
               "run pvctl console");
    HX_CHECK(!r.timed_out,
             "pvctl console %s did not end within %u s; output so far:\n%s",
             dom, HX_GUEST_MS / 1000, r.out);
    return r.out;
}

/* Waits (10 s at most) for a line in the domain's console log. */
static const char *expect_log(const char *name, const char *line)
{
    const char *t = hxe_wait_log(name, line, 10000);

    HX_REQUIRE(t != NULL, "console log of %s never showed '%s': '%s'", name,
               line, hxe_console_log(name));
    return t;
}

/* The domain must have ended with shutdown (poweroff, code 0). */
static void expect_clean_exit(const char *name)
{
    struct hx_dominfo w = hx_wait(name, 20);

    HX_CHECK(w.found && !strcmp(w.state, "shutdown") &&
                 !strcmp(w.reason, "poweroff") && w.code == 0,
             "%s: want 'shutdown (poweroff, code 0)', got '%s'", name, w.text);
}

static void store_write(const char *path, const char *value)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "store", "write", path, value, NULL) ==
                   0,
               "run pvctl store write");
    HX_REQUIRE_OK(&r, "pvctl store write");
}

/* Whether `pvctl store ls /local/domain` lists domain id as a child. */
static bool store_lists_domain(int id)
{
    struct hx_run r;
    const char *want = hx_fmt("%d = ", id);

    if (hx_pvctl(&r, HX_CMD_MS, "store", "ls", "/local/domain", NULL) < 0 ||
        r.exit_code != 0)
        return false;
    for (const char *p = r.out; p && *p;) {
        if (!strncmp(p, want, strlen(want)))
            return true;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

/* Starts xs-demo under `name` and waits until it watches data/poke. */
static int start_xs_demo(const char *name, const char *const ov[])
{
    struct hx_run r;
    int id = hx_create(&r, "xs-demo", name, ov);

    HX_REQUIRE(id > 0, "create xs-demo: exit %d: %s", r.exit_code, r.err);
    expect_log(name, hx_fmt("watching /local/domain/%d/data/poke\n", id));
    return id;
}

/* 1. pvctl create writes and introduces the domain's keys. */
static void test_create_keys(void)
{
    const char *ov[] = { PRESERVE, NULL };
    int id = start_xs_demo("it-keys", ov);
    const char *base = hx_fmt("/local/domain/%d", id);
    const char *port = hxe_store_read(hx_fmt("%s/store/port", base));
    const char *ref = hxe_store_read(hx_fmt("%s/store/ring-ref", base));
    const char *v;
    char *end;

    HX_CHECK(port && *port && strtoul(port, &end, 10) > 0 && !*end,
             "store/port is a port number: '%s'", port ? port : "(missing)");
    HX_CHECK(ref && *ref && strtoul(ref, &end, 10) > 0 && !*end,
             "store/ring-ref is a frame number: '%s'", ref ? ref : "(missing)");
    v = hxe_store_read(hx_fmt("%s/name", base));
    HX_CHECK(v && !strcmp(v, "it-keys"), "name = '%s'", v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/domid", base));
    HX_CHECK(v && atoi(v) == id && *v, "domid = '%s', want %d",
             v ? v : "(missing)", id);
    v = hxe_store_read(hx_fmt("%s/memory/target", base));
    HX_CHECK(v && !strcmp(v, "32768"), "memory/target = '%s', want 32768",
             v ? v : "(missing)");
    v = hxe_store_read(hx_fmt("%s/memory/static-max", base));
    HX_CHECK(v && !strcmp(v, "32768"), "memory/static-max = '%s'",
             v ? v : "(missing)");
    hxe_destroy("it-keys");
}

/* 2. hello finds its home path through the store. */
static void test_hello_store_path(void)
{
    const char *ov[] = { PRESERVE, NULL };
    struct hx_run r;
    const char *out;
    int id = hx_create(&r, "hello", "it-hpath", ov);

    HX_REQUIRE(id > 0, "create hello: %s", r.err);
    out = console_to_end("it-hpath");
    HX_CHECK(strstr(out, hx_fmt("hello: xenstore path /local/domain/%d\n",
                                id)) != NULL,
             "hello prints its xenstore path: '%s'", out);
    expect_clean_exit("it-hpath");
    hxe_destroy("it-hpath");
}

/* 3. xs-demo reads its keys, writes status and hears data/poke. */
static void test_xs_demo(void)
{
    const char *ov[] = { PRESERVE, NULL };
    int id = start_xs_demo("gk-xs-demo", ov);
    const char *base = hx_fmt("/local/domain/%d", id);
    const char *log = hxe_console_log("gk-xs-demo");
    const char *v;

    HX_CHECK(strstr(log, hx_fmt("xs-demo: name 'gk-xs-demo', domid %d, path "
                                "/local/domain/%d\n",
                                id, id)) != NULL,
             "xs-demo names itself: '%s'", log);
    v = hxe_store_read(hx_fmt("%s/data/xs-demo/status", base));
    HX_CHECK(v && !strcmp(v, "ready"), "data/xs-demo/status = '%s'",
             v ? v : "(missing)");
    store_write(hx_fmt("%s/data/poke", base), "hello");
    expect_log("gk-xs-demo", "xs-demo: poke = 'hello'\n");
    store_write(hx_fmt("%s/data/poke", base), "quit");
    log = expect_log("gk-xs-demo", "xs-demo: done\n");
    HX_CHECK(strstr(log, "xs-demo: poke = 'quit'\n") != NULL,
             "xs-demo saw 'quit': '%s'", log);
    expect_clean_exit("gk-xs-demo");
    hxe_destroy("gk-xs-demo");
}

/* 4a. pvctl shutdown -w goes through control/shutdown. */
static void test_shutdown_graceful(void)
{
    const char *ov[] = { PRESERVE, NULL };
    int id = start_xs_demo("it-shut", ov);
    unsigned long long t0 = hxe_now_ms(), ms;
    struct hx_dominfo l;
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, 25000, "shutdown", "-w", hx_fmt("%d", id), NULL) ==
                   0,
               "run");
    ms = hxe_now_ms() - t0;
    HX_CHECK(!r.timed_out && r.exit_code == 0,
             "pvctl shutdown -w: exit %d%s: %s", r.exit_code,
             r.timed_out ? " (timed out)" : "", r.err);
    HX_CHECK(ms < 10000, "graceful shutdown took %llu ms", ms);
    HX_CHECK(!hx_contains_ci(r.err, "hard") && !hx_contains_ci(r.out, "hard"),
             "no hard fallback: '%s%s'", r.out, r.err);
    HX_CHECK(strstr(r.err, hx_fmt("Domain %d (%d): shutdown (poweroff, "
                                  "code 0)\n",
                                  id, id)) != NULL,
             "-w reports how it ended: '%s'", r.err);
    expect_log("it-shut", "guest-kit: shutdown requested (poweroff)\n");
    l = hx_dominfo("it-shut");
    HX_CHECK(l.found && !strcmp(l.state, "shutdown") &&
                 !strcmp(l.reason, "poweroff"),
             "list -l: shutdown/poweroff: '%s'", l.text);
    hxe_destroy("it-shut");
}

/* 4b. pvctl reboot -w restarts it through control/shutdown. */
static void test_reboot_graceful(void)
{
    const char *ov[] = { PRESERVE, "on_reboot=\"restart\"", NULL };
    int id = start_xs_demo("it-reboot", ov);
    const char *name_line =
        hx_fmt("xs-demo: name 'it-reboot', domid %d, path", id);
    unsigned long long t0 = hxe_now_ms(), deadline;
    struct hx_dominfo l;
    struct hx_run r;
    const char *log;

    HX_REQUIRE(hx_pvctl(&r, 25000, "reboot", "-w", "it-reboot", NULL) == 0,
               "run");
    HX_CHECK(!r.timed_out && r.exit_code == 0, "pvctl reboot -w: exit %d%s: %s",
             r.exit_code, r.timed_out ? " (timed out)" : "", r.err);
    HX_CHECK(hxe_now_ms() - t0 < 10000, "graceful reboot took %llu ms",
             hxe_now_ms() - t0);
    HX_CHECK(!hx_contains_ci(r.err, "hard"), "no hard fallback: '%s'", r.err);
    HX_CHECK(strstr(r.err, "rebooted") || strstr(r.err, "restarted"),
             "-w reports the reboot: '%s'", r.err);
    expect_log("it-reboot", "guest-kit: shutdown requested (reboot)\n");
    /* It comes up again and reaches main a second time. */
    deadline = hxe_now_ms() + 10000;
    do {
        log = hxe_console_log("it-reboot");
        if (hx_count(log, name_line) >= 2)
            break;
        hx_sleep_ms(50);
    } while (hxe_now_ms() < deadline);
    HX_CHECK(hx_count(log, name_line) == 2, "xs-demo started twice: '%s'", log);
    l = hx_dominfo("it-reboot");
    HX_CHECK(l.found && l.domid == id &&
                 (!strcmp(l.state, "running") || !strcmp(l.state, "blocked")),
             "running again under the same id: '%s'", l.text);
    HX_CHECK(l.restarts == 1, "restarts: 1, got %u: '%s'", l.restarts, l.text);
    hxe_destroy("it-reboot");
}

/* 5. A guest that does not watch control/shutdown gets the hard path. */
static void test_shutdown_fallback(void)
{
    const char *ov[] = { PRESERVE, "cmdline=\"gk.xenstore=off\"", NULL };
    unsigned long long t0, ms;
    struct hx_dominfo l;
    struct hx_run r;
    int id = hx_create(&r, "echo", "it-deaf", ov);

    HX_REQUIRE(id > 0, "create echo: %s", r.err);
    expect_log("it-deaf", "guest-kit: xenstore not available\n");
    t0 = hxe_now_ms();
    HX_REQUIRE(
        hx_pvctl(&r, 20000, "shutdown", "-t", "2", hx_fmt("%d", id), NULL) == 0,
        "run");
    ms = hxe_now_ms() - t0;
    HX_CHECK(!r.timed_out && r.exit_code == 0, "pvctl shutdown: exit %d: %s",
             r.exit_code, r.err);
    HX_CHECK(strstr(r.err, hx_fmt("domain %d did not shut down within 2 s; "
                                  "using a hard shutdown",
                                  id)) != NULL,
             "says it falls back: '%s'", r.err);
    HX_CHECK(strstr(r.err, "hard shutdown done") != NULL,
             "says the hard shutdown is done: '%s'", r.err);
    HX_CHECK(ms >= 1900 && ms < 10000, "waited about 2 s: %llu ms", ms);
    HX_CHECK(hx_wait_state("it-deaf", "shutdown", 5000),
             "the domain is shut down");
    l = hx_dominfo("it-deaf");
    HX_CHECK(!strcmp(l.reason, "poweroff"), "reason poweroff: '%s'", l.text);
    hxe_destroy("it-deaf");
}

/* 6. pvctl destroy removes /local/domain/N. */
static void test_destroy_removes_keys(void)
{
    const char *ov[] = { PRESERVE, NULL };
    int id = start_xs_demo("it-gone", ov);
    unsigned long long deadline;
    struct hx_run r;
    bool gone = false;

    HX_REQUIRE(store_lists_domain(id), "/local/domain/%d exists", id);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "destroy", "it-gone", NULL) == 0, "run");
    HX_REQUIRE_OK(&r, "pvctl destroy");
    deadline = hxe_now_ms() + 2000;
    do {
        if (!store_lists_domain(id)) {
            gone = true;
            break;
        }
        hx_sleep_ms(50);
    } while (hxe_now_ms() < deadline);
    HX_CHECK(gone, "/local/domain/%d still there 2 s after destroy", id);
    HX_CHECK(hxe_store_read(hx_fmt("/local/domain/%d/name", id)) == NULL,
             "its name key is gone");
}

/* 7. vchan-server and vchan-client through a grant and a channel. */
static void test_vchan(void)
{
    const char *sov[] = { PRESERVE, NULL };
    struct hx_run r;
    const char *slog, *clog;
    int s, c;

    s = hx_create(&r, "vchan-server", "it-vsrv", sov);
    HX_REQUIRE(s > 0, "create vchan-server: %s", r.err);
    {
        const char *cov[] = { PRESERVE,
                              hx_fmt("cmdline=\"server=%d rounds=100\"", s),
                              NULL };

        c = hx_create(&r, "vchan-client", "it-vcli", cov);
    }
    if (c <= 0)
        hxe_destroy("it-vsrv");
    HX_REQUIRE(c > 0, "create vchan-client: %s", r.err);
    store_write(hx_fmt("/local/domain/%d/data/vchan/peer", s), hx_fmt("%d", c));
    clog = hxe_wait_log("it-vcli", "vchan-client: 100 round trips OK\n", 20000);
    slog =
        hxe_wait_log("it-vsrv", "vchan-server: served 100 messages\n", 10000);
    HX_CHECK(clog != NULL, "client finishes: '%s'", hxe_console_log("it-vcli"));
    HX_CHECK(slog != NULL, "server finishes: '%s'", hxe_console_log("it-vsrv"));
    HX_CHECK(!slog || strstr(slog, hx_fmt("for domain %d\n", c)),
             "server granted to the client: '%s'", slog ? slog : "");
    expect_clean_exit("it-vsrv");
    expect_clean_exit("it-vcli");
    hxe_destroy("it-vcli");
    hxe_destroy("it-vsrv");
}

/* Boots tests/guests/GUEST.cfg, expects `line` and exit code 0. */
static void test_guest(const char *guest, const char *name, const char *extra,
                       const char *line)
{
    const char *ov[] = { PRESERVE, extra, NULL };
    struct hx_run r;
    const char *out;

    must(hxe_create(&r, hxe_test_cfg(guest), guest, name, ov), &r,
         hx_fmt("create %s", guest));
    out = console_to_end(name);
    HX_CHECK(strstr(out, line) != NULL, "%s: want '%s': '%s'", guest, line,
             out);
    HX_CHECK(!strstr(out, "FAIL"), "%s: no failed check: '%s'", guest, out);
    expect_clean_exit(name);
    hxe_destroy(name);
}

/* 8. The in-guest checks of the grant table, xenbus and remapping. */
static void test_gnttab_self(void)
{
    test_guest("gnttab-self", "it-gnt", NULL,
               "gnttab-self: 23/23 checks "
               "passed\n");
}

static void test_gnttab_self_map(void)
{
    test_guest("gnttab-self", "it-gntmap", "extra=\"gk.gnttab=map\"",
               "gnttab-self: 23/23 checks passed\n");
}

static void test_xs_loop(void)
{
    test_guest("xs-loop", "it-xsloop", NULL, "xs-loop: 26/26 checks passed");
}

static void test_remap(void)
{
    test_guest("remap", "it-remap", NULL, "remap: 7/7 checks passed\n");
}

/* Hypercalls guest-kit rarely or never makes (tests/guests/hcalls.c). */
static void test_hcalls(void)
{
    test_guest("hcalls", "it-hcalls", NULL, "hcalls: 43/43 checks passed\n");
}

/* Waits for an instruction-fuzz domain: it must have crashed. */
static void fuzz_insn_end(const char *name, unsigned secs)
{
    struct hx_dominfo w = hx_wait(name, secs);

    HX_CHECK(w.found && !strcmp(w.state, "crashed"),
             "%s: want crashed, got '%s'", name, w.text);
}

/*
 * A hypercall-fuzz domain must have survived all its n calls and powered
 * off cleanly: every bad argument got an error, none ended the domain.
 */
static void fuzz_hypercalls_end(const char *name, long n)
{
    const char *log = console_to_end(name);
    const char *p;
    long survived = -1, errors = -1, skips = -1;

    expect_clean_exit(name);
    p = strstr(log, hx_fmt("fuzz: %ld/%ld calls, ", n, n));
    HX_CHECK(p && sscanf(p, "fuzz: %*d/%*d calls, %ld errors, %ld skipped",
                         &errors, &skips) == 2,
             "%s: the last progress line 'fuzz: %ld/%ld calls': '%s'", name, n,
             n, log);
    p = strstr(log, "fuzz: survived ");
    HX_CHECK(p &&
                 sscanf(p, "fuzz: survived %ld random hypercalls", &survived) ==
                     1 &&
                 survived > 0 && survived + skips == n,
             "%s: want 'fuzz: survived %ld random hypercalls' (%ld made, "
             "%ld skipped): '%s'",
             name, n - skips, n, skips, log);
}

static void expect_alive(void)
{
    char why[1024];

    HX_REQUIRE(hx_host_alive(why, sizeof(why)), "pvisor alive: %s", why);
}

/* 9a. Random hypercalls from two guests next to two healthy ones. */
static void test_fuzz_hypercalls(void)
{
    const char *eov[] = { NULL };
    const char *tov[] = { PRESERVE, NULL };
    const char *f1[] = { "extra=\"seed=11 n=20000\"", NULL };
    const char *f2[] = { "extra=\"seed=4242 n=20000\"", NULL };
    const char *cfg = hxe_test_cfg("fuzz");
    struct hx_run r;
    const char *out;

    must(hx_create(&r, "echo", "it-fz-echo", eov), &r, "create echo");
    must(hx_create(&r, "ticker", "it-fz-tick", tov), &r, "create ticker");
    must(hxe_create(&r, cfg, "fuzz", "it-fuzz1", f1), &r, "create fuzz");
    must(hxe_create(&r, cfg, "fuzz", "it-fuzz2", f2), &r, "create fuzz");
    fuzz_hypercalls_end("it-fuzz1", 20000);
    fuzz_hypercalls_end("it-fuzz2", 20000);
    expect_alive();
    out = console_to_end("it-fz-tick");
    HX_CHECK(strstr(out, "ticker: done\n") != NULL,
             "the ticker ran to its end: '%s'", out);
    expect_clean_exit("it-fz-tick");
    /* The long-running guest still answers its console. */
    HX_REQUIRE(hxe_sh(&r, 15000, hxe_stop_str, "\nPING\n",
                      "printf 'ping\\n' | pvctl console it-fz-echo") == 0,
               "run pvctl console");
    HX_CHECK(r.stopped, "echo still answers after the fuzzers: '%s' '%s'",
             r.out, r.err);
    hxe_destroy("it-fz-echo");
    hxe_destroy("it-fuzz1");
    hxe_destroy("it-fuzz2");
}

static void hello_still_boots(void)
{
    const char *ov[] = { PRESERVE, NULL };
    const char *out;

    HX_REQUIRE(hx_create(NULL, "hello", "it-after", ov) > 0,
               "create hello after the fuzzers");
    out = console_to_end("it-after");
    HX_CHECK(strstr(out, "hello: exiting with code 0\n") != NULL,
             "hello still boots: '%s'", out);
    expect_clean_exit("it-after");
    hxe_destroy("it-after");
}

/* 9b. Random instruction bytes: each domain crashes, pvisor does not. */
static void test_fuzz_insn(void)
{
    static const int seeds[] = { 1, 7, 99, 31337 };
    const char *cfg = hxe_test_cfg("fuzz");

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        const char *name = hx_fmt("it-fzi%d", seeds[i]);
        const char *ov[] = { hx_fmt("extra=\"insn=1 seed=%d\"", seeds[i]),
                             NULL };
        struct hx_run r;
        struct hx_dominfo l;

        must(hxe_create(&r, cfg, "fuzz", name, ov), &r, "create fuzz insn");
        fuzz_insn_end(name, 10);
        l = hx_dominfo(name);
        HX_CHECK(strstr(l.text, "crash_report:") != NULL,
                 "%s carries a crash report: '%s'", name, l.text);
        expect_alive();
        hxe_destroy(name);
    }
    hello_still_boots();
}

/* 9c. A write to pvisor's (read-only) area crashes the domain. */
static void test_fuzz_privwrite(void)
{
    const char *ov[] = { "extra=\"privwrite=1\"", NULL };
    struct hx_dominfo w, l;
    struct hx_run r;

    must(hxe_create(&r, hxe_test_cfg("fuzz"), "fuzz", "it-priv", ov), &r,
         "create fuzz privwrite");
    w = hx_wait("it-priv", 10);
    HX_CHECK(!strcmp(w.state, "crashed"), "crashed: '%s'", w.text);
    l = hx_dominfo("it-priv");
    HX_CHECK(strstr(l.text, "read-only") != NULL,
             "the report says read-only: '%s'", l.text);
    HX_CHECK(!strstr(hxe_console_log("it-priv"), "SUCCEEDED"),
             "the write did not succeed: '%s'", hxe_console_log("it-priv"));
    hxe_destroy("it-priv");
    expect_alive();
    hello_still_boots();
}

/* 10. Without pvstored, create warns once and the guest still boots. */
static void test_no_pvstored(void)
{
    const char *pidfile = hx_fmt("%s/pvstored.pid", hx.dir);
    const char *ov[] = { PRESERVE, NULL };
    FILE *f = fopen(pidfile, "r");
    long pid = 0;
    struct hx_run r;
    const char *out;

    HX_REQUIRE(f && fscanf(f, "%ld", &pid) == 1 && pid > 0, "read %s", pidfile);
    fclose(f);
    HX_REQUIRE(kill((pid_t)pid, SIGTERM) == 0, "kill pvstored");
    for (int i = 0; i < 100 && hx_pid_running((pid_t)pid); i++)
        hx_sleep_ms(50);
    HX_REQUIRE(!hx_pid_running((pid_t)pid), "pvstored stopped");

    must(hx_create(&r, "hello", "it-nostore", ov), &r,
         "create without pvstored");
    HX_CHECK(hx_count(r.err, "xenstore not available") == 1,
             "exactly one warning: '%s'", r.err);
    HX_CHECK(hx_count(r.err, "warning") == 1, "one warning in all: '%s'",
             r.err);
    out = console_to_end("it-nostore");
    HX_CHECK(strstr(out, "Hello from guestkit\n") &&
                 strstr(out, "hello: exiting with code 0\n"),
             "hello boots: '%s'", out);
    HX_CHECK(!strstr(out, "xenstore path"), "no store path: '%s'", out);
    expect_clean_exit("it-nostore");
    hxe_destroy("it-nostore");
}

static const struct integ_test tests[] = {
    { "create_keys", test_create_keys },
    { "hello_store_path", test_hello_store_path },
    { "xs_demo", test_xs_demo },
    { "shutdown_graceful", test_shutdown_graceful },
    { "reboot_graceful", test_reboot_graceful },
    { "shutdown_fallback", test_shutdown_fallback },
    { "destroy_removes_keys", test_destroy_removes_keys },
    { "vchan", test_vchan },
    { "gnttab_self", test_gnttab_self },
    { "gnttab_self_map", test_gnttab_self_map },
    { "xs_loop", test_xs_loop },
    { "remap", test_remap },
    { "hcalls", test_hcalls },
    { "fuzz_hypercalls", test_fuzz_hypercalls },
    { "fuzz_insn", test_fuzz_insn },
    { "fuzz_privwrite", test_fuzz_privwrite },
    { "no_pvstored", test_no_pvstored },
    { NULL, NULL },
};

const struct integ_suite integ_suite_store = { "store", true, tests };
