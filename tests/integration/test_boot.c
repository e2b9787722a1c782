// SPDX-License-Identifier: MIT
/* test_boot.c: the example guests boot, print and exit as they should. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define HELLO_LINE "Hello from guestkit"

/* Runs `pvctl console DOM` to the end; fails the test if it hangs. */
static const char *console_to_end(const char *dom)
{
    const char *args[] = { "console", dom, NULL };
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_GUEST_MS, NULL, NULL, args) == 0,
               "run pvctl console");
    HX_CHECK(!r.timed_out,
             "pvctl console %s did not end within %u s; "
             "output so far:\n%s",
             dom, HX_GUEST_MS / 1000, r.out);
    return r.out;
}

/* Boots hello with extra overrides; checks how it ended. */
static void hello_ends_with(const char *name, const char *const extra[],
                            unsigned code)
{
    const char *ov[8] = { "on_poweroff=\"preserve\"" };
    struct hx_dominfo w, l;
    struct hx_run r;
    const char *out;
    size_t n = 1;
    int domid;

    for (size_t i = 0; extra && extra[i] && n < 7; i++)
        ov[n++] = extra[i];
    ov[n] = NULL;
    domid = hx_create(&r, "hello", name, ov);
    HX_REQUIRE(domid >= 0, "pvctl create hello: exit %d: %s", r.exit_code,
               r.err);
    HX_CHECK(strstr(r.err, "Parsing config from") != NULL,
             "create announces the config: '%s'", r.err);
    HX_CHECK(strstr(r.err, hx_fmt("Started domain %s (id=", name)) != NULL,
             "create says 'Started domain %s (id=N)': '%s'", name, r.err);
    out = console_to_end(name);
    HX_CHECK(strstr(out, HELLO_LINE "\n") != NULL,
             "console shows '" HELLO_LINE "': '%s'", out);
    HX_CHECK(strstr(out, hx_fmt("hello: exiting with code %u\n", code)),
             "console shows the exit code %u: '%s'", code, out);

    w = hx_wait(name, 10);
    HX_CHECK(w.found && !strcmp(w.state, "shutdown") &&
                 !strcmp(w.reason, "poweroff") && w.code == (int)code,
             "pvctl wait: want 'shutdown (poweroff, code %u)', got '%s'", code,
             w.text);
    l = hx_dominfo(name);
    HX_CHECK(l.found && !strcmp(l.state, "shutdown") &&
                 !strcmp(l.reason, "poweroff") && l.code == (int)code,
             "pvctl list -l: want shutdown/poweroff/%u, got '%s'", code,
             l.text);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "destroy", name, NULL) == 0, "run");
    HX_REQUIRE_OK(&r, "pvctl destroy");
}

static void test_hello_boots(void)
{
    hello_ends_with("it-hello", NULL, 0);
}

static void test_hello_exit_code_cmdline(void)
{
    const char *ov[] = { "cmdline=\"exit=3\"", NULL };

    hello_ends_with("it-hello3", ov, 3);
}

/* extra= is honoured when the config has no cmdline (xl's rule). */
static void test_hello_exit_code_extra(void)
{
    const char *cfg = hx_write_file(
        "hello-extra.cfg",
        hx_fmt("name = \"it-extra\"\nmemory = 32\nkernel = \"%s\"\n",
               hx_guest_elf("hello")));
    struct hx_dominfo w;
    struct hx_run r;
    const char *out;

    HX_REQUIRE(cfg, "write config");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", cfg, "extra=\"exit=3\"",
                        "on_poweroff=\"preserve\"", NULL) == 0,
               "run");
    HX_REQUIRE_OK(&r, "pvctl create");
    out = console_to_end("it-extra");
    HX_CHECK(strstr(out, "cmdline 'exit=3'") != NULL,
             "the guest sees cmdline 'exit=3': '%s'", out);
    w = hx_wait("it-extra", 10);
    HX_CHECK(hx_poweroff(&w, 3), "want shutdown (poweroff, code 3), got '%s'",
             w.text);
}

static void test_hello_create_console(void)
{
    const char *args[] = { "create",
                           "-c",
                           hx_example_cfg("hello"),
                           "name=\"it-hello-c\"",
                           hx_fmt("kernel=\"%s\"", hx_guest_elf("hello")),
                           NULL };
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_GUEST_MS, NULL, NULL, args) == 0, "run");
    HX_CHECK(!r.timed_out, "pvctl create -c did not end: '%s'", r.out);
    HX_CHECK(r.exit_code == 0, "pvctl create -c exit %d: %s", r.exit_code,
             r.err);
    HX_CHECK(strstr(r.out, HELLO_LINE) != NULL,
             "create -c streams the console: '%s'", r.out);
    /* hello.cfg says on_poweroff = "destroy". */
    HX_CHECK(hx_wait_state("it-hello-c", "gone", 5000),
             "on_poweroff=destroy removes the domain");
}

/* Parses "ticker: tick N, uptime S.mmm s" lines; returns how many. */
static unsigned ticker_lines(const char *out, double *up, unsigned max)
{
    unsigned n = 0;

    for (const char *p = strstr(out, "ticker: tick "); p && n < max;
         p = strstr(p + 1, "ticker: tick ")) {
        unsigned tick, s, ms;

        if (sscanf(p, "ticker: tick %u, uptime %u.%u s", &tick, &s, &ms) == 3)
            up[n++] = s + ms / 1000.0;
    }
    return n;
}

static void test_ticker_uptime(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    double up[64];
    struct hx_dominfo w;
    const char *out;
    unsigned n;

    HX_REQUIRE(hx_create(NULL, "ticker", "it-ticker", ov) >= 0, "create");
    out = console_to_end("it-ticker");
    n = ticker_lines(out, up, 64);
    HX_CHECK(n >= 5, "want >= 5 uptime lines, got %u: '%s'", n, out);
    for (unsigned i = 1; i < n; i++)
        HX_CHECK(up[i] > up[i - 1],
                 "uptime must increase: line %u says "
                 "%.3f after %.3f",
                 i + 1, up[i], up[i - 1]);
    HX_CHECK(n < 2 || up[n - 1] - up[0] >= 0.05 * (n - 1),
             "ticks 100 ms apart: %.3f s for %u ticks", up[n - 1] - up[0], n);
    HX_CHECK(strstr(out, "ticker: done") != NULL, "ticker finishes: '%s'", out);
    w = hx_wait("it-ticker", 10);
    HX_CHECK(hx_poweroff(&w, 0), "ticker exits with code 0: '%s'", w.text);
}

static void smp_with(unsigned vcpus)
{
    const char *ov[] = { hx_fmt("vcpus=%u", vcpus), "on_poweroff=\"preserve\"",
                         NULL };
    const char *name = hx_fmt("it-smp%u", vcpus);
    struct hx_dominfo w;
    const char *out;

    HX_REQUIRE(hx_create(NULL, "smp", name, ov) >= 0, "create");
    out = console_to_end(name);
    HX_CHECK(strstr(out, hx_fmt("smp: %u vCPUs online", vcpus)) != NULL,
             "all %u vCPUs come online: '%s'", vcpus, out);
    for (unsigned i = 0; i < vcpus; i++)
        HX_CHECK(strstr(out, hx_fmt("smp: vCPU %u: 50 tokens", i)) != NULL,
                 "vCPU %u passed the token 50 times: '%s'", i, out);
    HX_CHECK(strstr(out, hx_fmt("smp: all %u vCPUs participated", vcpus)),
             "smp reports all vCPUs: '%s'", out);
    w = hx_wait(name, 10);
    HX_CHECK(hx_poweroff(&w, 0), "smp exits with code 0: '%s'", w.text);
    w = hx_dominfo(name);
    HX_CHECK(strstr(w.text, hx_fmt("vcpus: %u\n", vcpus)) != NULL,
             "list -l shows %u vCPUs: '%s'", vcpus, w.text);
}

static void test_smp_2(void)
{
    smp_with(2);
}

static void test_smp_4(void)
{
    smp_with(4);
}

static void test_two_guests(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_dominfo w;
    const char *hello, *tick;
    double up[64];
    unsigned n;

    HX_REQUIRE(hx_create(NULL, "ticker", "it-two-tick", ov) >= 0, "create");
    HX_REQUIRE(hx_create(NULL, "hello", "it-two-hello", ov) >= 0, "create");
    hello = console_to_end("it-two-hello");
    tick = console_to_end("it-two-tick");
    HX_CHECK(strstr(hello, HELLO_LINE) && !strstr(hello, "ticker"),
             "hello's console holds only hello's output: '%s'", hello);
    HX_CHECK(!strstr(tick, "Hello") && !strstr(tick, "hello:"),
             "ticker's console holds only ticker's output: '%s'", tick);
    n = ticker_lines(tick, up, 64);
    HX_CHECK(n >= 5, "ticker still ticks next to hello: %u lines", n);
    w = hx_wait("it-two-hello", 10);
    HX_CHECK(hx_poweroff(&w, 0), "hello: '%s'", w.text);
    w = hx_wait("it-two-tick", 10);
    HX_CHECK(hx_poweroff(&w, 0), "ticker: '%s'", w.text);
}

static const struct integ_test tests[] = {
    { "hello_boots", test_hello_boots },
    { "hello_create_console", test_hello_create_console },
    { "hello_exit_code_cmdline", test_hello_exit_code_cmdline },
    { "hello_exit_code_extra", test_hello_exit_code_extra },
    { "ticker_uptime", test_ticker_uptime },
    { "smp_2", test_smp_2 },
    { "smp_4", test_smp_4 },
    { "two_guests", test_two_guests },
    { NULL, NULL },
};

const struct integ_suite integ_suite_boot = { "boot", true, tests };
