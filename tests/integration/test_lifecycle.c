// SPDX-License-Identifier: MIT
/* test_lifecycle.c: pause, destroy, shutdown, reboot and on_* actions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hx_extra.h"

static bool is_live(const struct hx_dominfo *d)
{
    return d->found &&
           (!strcmp(d->state, "running") || !strcmp(d->state, "blocked"));
}

/* Starts ticker and returns once it printed its first tick. */
static int start_ticker(const char *name, const char *const ov[])
{
    struct hx_count_arg first = { "ticker: tick ", 1 };
    struct hx_run r;
    const char *out;
    int domid;

    domid = hx_create(&r, "ticker", name, ov);
    HX_REQUIRE(domid >= 0, "create ticker: exit %d: %s", r.exit_code, r.err);
    out = hx_console(name, 5000, hx_stop_count, &first);
    HX_REQUIRE(strstr(out, "ticker: tick ") != NULL,
               "ticker ticks within 5 s: '%s'", out);
    return domid;
}

static void run_ok(const char *cmd, const char *dom)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, cmd, dom, NULL) == 0, "run pvctl");
    HX_REQUIRE_OK(&r, cmd);
}

/*
 * `pvctl shutdown|reboot -F DOM`: the hard path, straight to pvisor, so the
 * on_* action applies even though ticker does not watch control/shutdown
 * (the graceful request would wait for the guest).
 */
static void run_hard(const char *cmd, const char *dom)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, cmd, "-F", dom, NULL) == 0, "run pvctl");
    HX_REQUIRE_OK(&r, cmd);
}

/* Polls the console log of name until it holds `min` tick lines. */
static const char *wait_ticks(const char *name, unsigned min,
                              unsigned timeout_ms)
{
    unsigned long long deadline = hxe_now_ms() + timeout_ms;

    for (;;) {
        const char *log = hxe_console_log(name);

        if (hx_count(log, "ticker: tick ") >= min || hxe_now_ms() >= deadline)
            return log;
        hx_sleep_ms(20);
    }
}

/*
 * Polls the console log of name until it stays the same for 200 ms (what
 * the guest wrote before it stopped has arrived), 3 s at most.
 */
static const char *settled_log(const char *name)
{
    unsigned long long deadline = hxe_now_ms() + 3000;
    const char *prev = hxe_console_log(name);
    unsigned long long same_since = hxe_now_ms();

    while (hxe_now_ms() < deadline) {
        const char *now;

        hx_sleep_ms(20);
        now = hxe_console_log(name);
        if (strcmp(now, prev)) {
            prev = now;
            same_since = hxe_now_ms();
        } else if (hxe_now_ms() - same_since >= 200) {
            break;
        }
    }
    return prev;
}

static void test_pause_unpause(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    const char *a, *b, *out;
    struct hx_dominfo d;
    unsigned long long until;
    unsigned na;
    double prev = -1, gap = 0;

    start_ticker("it-pause", ov);
    /* Running: the output grows, tick by tick. */
    a = wait_ticks("it-pause", 2, 5000);
    HX_REQUIRE(hx_count(a, "ticker: tick ") >= 2 &&
                   strstr(a, "ticker: tick 2, uptime ") != NULL,
               "the running ticker prints its second tick: '%s'", a);
    HX_REQUIRE(!strstr(a, "ticker: done"),
               "ticker still running when paused: '%s'", a);
    run_ok("pause", "it-pause");
    d = hx_dominfo("it-pause");
    HX_CHECK(!strcmp(d.state, "paused"), "list -l says paused: '%s'", d.text);
    a = settled_log("it-pause");
    na = hx_count(a, "ticker: tick ");
    /* Paused for longer than ticker's whole run: no new line at all. */
    until = hxe_now_ms() + 1500;
    do {
        b = hxe_console_log("it-pause");
        if (strcmp(a, b))
            break;
        hx_sleep_ms(50);
    } while (hxe_now_ms() < until);
    HX_CHECK(!strcmp(a, b), "no output while paused:\nbefore:\n%s\nafter:\n%s",
             a, b);
    HX_CHECK(na < 10 && !strstr(b, "ticker: done"),
             "ticker did not run on while paused: '%s'", b);
    d = hx_dominfo("it-pause");
    HX_CHECK(!strcmp(d.state, "paused"), "still paused: '%s'", d.text);

    /* Unpaused: the next tick comes, and the ticker runs to its end. */
    run_ok("unpause", "it-pause");
    b = wait_ticks("it-pause", na + 1, 5000);
    HX_CHECK(strstr(b, hx_fmt("ticker: tick %u, uptime ", na + 1)) != NULL,
             "tick %u follows the unpause: '%s'", na + 1, b);
    out = hx_console("it-pause", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(strstr(out, "ticker: done") != NULL,
             "ticker finishes after unpause: '%s'", out);
    /* The pause shows as a gap of more than a second between two ticks. */
    for (const char *p = strstr(out, "uptime "); p;
         p = strstr(p + 1, "uptime ")) {
        double up = strtod(p + 7, NULL);

        if (prev >= 0 && up - prev > gap)
            gap = up - prev;
        prev = up;
    }
    HX_CHECK(gap >= 1.0,
             "the pause shows in the uptimes (largest gap "
             "%.3f s): '%s'",
             gap, out);
}

static void test_destroy_running(void)
{
    struct hx_dominfo d;
    struct hx_run r;

    start_ticker("it-destroy", NULL);
    d = hx_dominfo("it-destroy");
    HX_REQUIRE(is_live(&d), "ticker is running: '%s'", d.text);
    run_ok("destroy", "it-destroy");
    HX_CHECK(hx_wait_state("it-destroy", "gone", 5000),
             "destroyed domain disappears from the list");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "list", NULL) == 0, "run");
    HX_CHECK(!strstr(r.out, "it-destroy"), "pvctl list: '%s'", r.out);
    HX_CHECK(strstr(r.out, "Domain-0") != NULL,
             "pvctl list shows Domain-0: '%s'", r.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "destroy", "it-destroy", NULL) == 0,
               "run");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "it-destroy"),
             "destroying it again fails naming it: exit %d: '%s'", r.exit_code,
             r.err);
}

static void test_shutdown_command(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_dominfo w;

    start_ticker("it-shutdown", ov);
    run_hard("shutdown", "it-shutdown");
    w = hx_wait("it-shutdown", 10);
    HX_CHECK(hx_poweroff(&w, 0), "pvctl shutdown -> shutdown (poweroff): '%s'",
             w.text);
}

/*
 * Checks from pvisor's log (pvctl dmesg) that domain domid ended the way
 * `how` says ("shutdown (poweroff, code 0)", ...) and was then destroyed,
 * and that it never crashed (on_crash destroys it too).
 */
static void ended_as(int domid, const char *how)
{
    const char *end = hx_fmt("d%d: %s\n", domid, how);
    const char *gone = hx_fmt("d%d: destroyed\n", domid);
    struct hx_run r;
    const char *p;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "dmesg", NULL) == 0, "run dmesg");
    HX_REQUIRE_OK(&r, "pvctl dmesg");
    p = strstr(r.out, end);
    HX_CHECK(p && strstr(p, gone), "pvisor logs '%s' and then '%s': '%s'", end,
             gone, r.out);
    HX_CHECK(!strstr(r.out, hx_fmt("d%d: crashed", domid)),
             "d%d did not crash: '%s'", domid, r.out);
}

/* hello's poweroff under each on_poweroff action. */
static void test_on_poweroff_destroy(void)
{
    const char *ov[] = { "on_poweroff=\"destroy\"", NULL };
    int domid;

    domid = hx_create(NULL, "hello", "it-po-destroy", ov);
    HX_REQUIRE(domid >= 0, "create");
    hx_console("it-po-destroy", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(hx_wait_state("it-po-destroy", "gone", 5000),
             "on_poweroff=destroy removes the domain");
    /* Gone by the poweroff path, not by a crash (on_crash destroys too). */
    ended_as(domid, "shutdown (poweroff, code 0)");
}

static void test_on_poweroff_preserve(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_dominfo d, w;

    HX_REQUIRE(hx_create(NULL, "hello", "it-po-keep", ov) >= 0, "create");
    hx_console("it-po-keep", HX_GUEST_MS, NULL, NULL);
    w = hx_wait("it-po-keep", 10);
    HX_CHECK(hx_poweroff(&w, 0), "the domain powers off: '%s'", w.text);
    d = hx_dominfo("it-po-keep");
    HX_CHECK(d.found && !strcmp(d.state, "shutdown") &&
                 !strcmp(d.reason, "poweroff") && d.restarts == 0,
             "on_poweroff=preserve keeps it, shut down: '%s'", d.text);
}

static void test_on_poweroff_restart(void)
{
    const char *ov[] = { "on_poweroff=\"restart\"", NULL };
    struct hx_dominfo d = { 0 };
    int domid;

    domid = hx_create(NULL, "hello", "it-po-restart", ov);
    HX_REQUIRE(domid >= 0, "create");
    for (int i = 0; i < 100; i++) {
        d = hx_dominfo("it-po-restart");
        if (!d.found || d.restarts >= 2)
            break;
        hx_sleep_ms(100);
    }
    HX_CHECK(d.found && d.restarts >= 2 && d.domid == domid,
             "on_poweroff=restart restarts hello (same domid %d): '%s'", domid,
             d.text);
    run_ok("destroy", "it-po-restart");
}

/* `pvctl reboot` under each on_reboot action. */
static void reboot_ticker(const char *name, const char *action, int *domid)
{
    const char *ov[] = { hx_fmt("on_reboot=\"%s\"", action),
                         "on_poweroff=\"preserve\"", NULL };

    *domid = start_ticker(name, ov);
    run_hard("reboot", name);
}

static void test_on_reboot_destroy(void)
{
    int domid;

    reboot_ticker("it-rb-destroy", "destroy", &domid);
    HX_CHECK(hx_wait_state("it-rb-destroy", "gone", 5000),
             "on_reboot=destroy removes the domain");
    ended_as(domid, "shutdown (reboot, code 0)");
}

static void test_on_reboot_preserve(void)
{
    struct hx_dominfo d;
    int domid;

    reboot_ticker("it-rb-keep", "preserve", &domid);
    HX_CHECK(hx_wait_state("it-rb-keep", "shutdown", 5000),
             "the domain shuts down");
    d = hx_dominfo("it-rb-keep");
    HX_CHECK(d.found && !strcmp(d.state, "shutdown") &&
                 !strcmp(d.reason, "reboot") && d.restarts == 0,
             "on_reboot=preserve: shutdown (reboot): '%s'", d.text);
}

static void test_on_reboot_restart(void)
{
    unsigned long long deadline;
    struct hx_dominfo d, w;
    int domid;

    reboot_ticker("it-rb-restart", "restart", &domid);
    deadline = hxe_now_ms() + 5000;
    do {
        d = hx_dominfo("it-rb-restart");
        if (!d.found || d.restarts >= 1)
            break;
        hx_sleep_ms(20);
    } while (hxe_now_ms() < deadline);
    HX_CHECK(d.found && d.restarts == 1 && d.domid == domid,
             "on_reboot=restart: same domid %d, one restart: '%s'", domid,
             d.text);
    /* The restarted ticker runs its course again and powers off. */
    w = hx_wait("it-rb-restart", 15);
    HX_CHECK(hx_poweroff(&w, 0), "the rebooted ticker completes: '%s'", w.text);
    d = hx_dominfo("it-rb-restart");
    HX_CHECK(d.restarts == 1, "restarted exactly once: '%s'", d.text);
}

/* `pvctl wait -t` on a domain that does not stop: exit 2, its state. */
static void test_wait_timeout(void)
{
    struct hx_dominfo w;
    struct hx_run r;
    int domid;

    domid = hx_create(&r, "echo", "it-wait", NULL);
    HX_REQUIRE(domid >= 0, "create echo: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "wait", "-t", "1", "it-wait", NULL) == 0,
               "run pvctl wait");
    HX_CHECK(r.exit_code == 2 &&
                 (strstr(r.out, hx_fmt("Domain %d (it-wait): still running "
                                       "after 1 s\n",
                                       domid)) ||
                  strstr(r.out, hx_fmt("Domain %d (it-wait): still blocked "
                                       "after 1 s\n",
                                       domid))),
             "want exit 2 and 'Domain %d (it-wait): still running|blocked "
             "after 1 s': exit %d: '%s' '%s'",
             domid, r.exit_code, r.out, r.err);
    w = hx_wait("it-wait", 1);
    HX_CHECK(w.found && !strcmp(w.state, "timeout"),
             "hx_wait says timeout: '%s' (state '%s')", w.text, w.state);
    run_ok("pause", "it-wait");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "wait", "-t", "1", "it-wait", NULL) == 0,
               "run pvctl wait");
    HX_CHECK(r.exit_code == 2 &&
                 strstr(r.out, hx_fmt("Domain %d (it-wait): still paused "
                                      "after 1 s\n",
                                      domid)),
             "paused: want exit 2 and 'still paused after 1 s': exit %d: "
             "'%s' '%s'",
             r.exit_code, r.out, r.err);
    run_ok("destroy", "it-wait");
}

static const struct integ_test tests[] = {
    { "pause_unpause", test_pause_unpause },
    { "destroy_running", test_destroy_running },
    { "shutdown_command", test_shutdown_command },
    { "on_poweroff_destroy", test_on_poweroff_destroy },
    { "on_poweroff_preserve", test_on_poweroff_preserve },
    { "on_poweroff_restart", test_on_poweroff_restart },
    { "on_reboot_destroy", test_on_reboot_destroy },
    { "on_reboot_preserve", test_on_reboot_preserve },
    { "on_reboot_restart", test_on_reboot_restart },
    { "wait_timeout", test_wait_timeout },
    { NULL, NULL },
};

const struct integ_suite integ_suite_lifecycle = { "lifecycle", true, tests };
