// SPDX-License-Identifier: MIT
/* test_lifecycle.c: pause, destroy, shutdown, reboot and on_* actions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

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

static void test_pause_unpause(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    const char *a, *b, *out;
    struct hx_dominfo d;
    double prev = -1, gap = 0;

    start_ticker("it-pause", ov);
    run_ok("pause", "it-pause");
    d = hx_dominfo("it-pause");
    HX_CHECK(!strcmp(d.state, "paused"), "list -l says paused: '%s'", d.text);
    hx_sleep_ms(200);
    a = hx_console("it-pause", 500, NULL, NULL);
    hx_sleep_ms(1500); /* longer than ticker's whole run */
    b = hx_console("it-pause", 500, NULL, NULL);
    HX_CHECK(!strcmp(a, b), "no output while paused:\nbefore:\n%s\nafter:\n%s",
             a, b);
    HX_CHECK(!strstr(b, "ticker: done"), "ticker did not run on: '%s'", b);
    d = hx_dominfo("it-pause");
    HX_CHECK(!strcmp(d.state, "paused"), "still paused: '%s'", d.text);

    run_ok("unpause", "it-pause");
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
    HX_CHECK(!strcmp(w.state, "shutdown") && !strcmp(w.reason, "poweroff"),
             "pvctl shutdown -> shutdown (poweroff): '%s'", w.text);
}

/* hello's poweroff under each on_poweroff action. */
static void test_on_poweroff_destroy(void)
{
    const char *ov[] = { "on_poweroff=\"destroy\"", NULL };

    HX_REQUIRE(hx_create(NULL, "hello", "it-po-destroy", ov) >= 0, "create");
    hx_console("it-po-destroy", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(hx_wait_state("it-po-destroy", "gone", 5000),
             "on_poweroff=destroy removes the domain");
}

static void test_on_poweroff_preserve(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_dominfo d;

    HX_REQUIRE(hx_create(NULL, "hello", "it-po-keep", ov) >= 0, "create");
    hx_console("it-po-keep", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(hx_wait_state("it-po-keep", "shutdown", 5000),
             "the domain shuts down");
    hx_sleep_ms(500);
    d = hx_dominfo("it-po-keep");
    HX_CHECK(d.found && !strcmp(d.state, "shutdown") && d.restarts == 0,
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
static struct hx_dominfo reboot_ticker(const char *name, const char *action,
                                       int *domid)
{
    const char *ov[] = { hx_fmt("on_reboot=\"%s\"", action),
                         "on_poweroff=\"preserve\"", NULL };

    *domid = start_ticker(name, ov);
    run_hard("reboot", name);
    hx_sleep_ms(300);
    return hx_dominfo(name);
}

static void test_on_reboot_destroy(void)
{
    int domid;

    reboot_ticker("it-rb-destroy", "destroy", &domid);
    HX_CHECK(hx_wait_state("it-rb-destroy", "gone", 5000),
             "on_reboot=destroy removes the domain");
}

static void test_on_reboot_preserve(void)
{
    struct hx_dominfo d;
    int domid;

    d = reboot_ticker("it-rb-keep", "preserve", &domid);
    HX_CHECK(d.found && !strcmp(d.state, "shutdown") &&
                 !strcmp(d.reason, "reboot") && d.restarts == 0,
             "on_reboot=preserve: shutdown (reboot): '%s'", d.text);
}

static void test_on_reboot_restart(void)
{
    struct hx_dominfo d, w;
    int domid;

    d = reboot_ticker("it-rb-restart", "restart", &domid);
    HX_CHECK(d.found && d.restarts == 1 && d.domid == domid,
             "on_reboot=restart: same domid %d, one restart: '%s'", domid,
             d.text);
    /* The restarted ticker runs its course again and powers off. */
    w = hx_wait("it-rb-restart", 15);
    HX_CHECK(!strcmp(w.state, "shutdown") && !strcmp(w.reason, "poweroff") &&
                 w.code == 0,
             "the rebooted ticker completes: '%s'", w.text);
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
    { NULL, NULL },
};

const struct integ_suite integ_suite_lifecycle = { "lifecycle", true, tests };
