// SPDX-License-Identifier: MIT
/* test_boot.c: the example guests boot, print and exit as they should. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "hx_extra.h"

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

/* The "clock: I NS" lines of tests/guests/clock, with their arrival. */
struct clock_obs {
    size_t off;          /* how much of the output was parsed */
    unsigned reads;      /* calls so far */
    unsigned n;          /* samples */
    unsigned first_read; /* reads at the first sample: the history replay */
    uint64_t guest[128], host[128];
    unsigned read_of[128];
};

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Stop predicate: timestamps each new complete line as it arrives. */
static bool clock_lines(const char *out, void *arg)
{
    struct clock_obs *o = arg;
    uint64_t now = mono_ns();
    const char *nl;

    o->reads++;
    while ((nl = strchr(out + o->off, '\n')) != NULL) {
        const char *line = out + o->off;
        unsigned long long g;
        unsigned i;

        o->off = (size_t)(nl + 1 - out);
        if (!strncmp(line, "clock: done", 11))
            return true;
        if (sscanf(line, "clock: %u %llu", &i, &g) != 2 || o->n >= 128)
            continue;
        if (!o->n)
            o->first_read = o->reads;
        o->guest[o->n] = g;
        o->host[o->n] = now;
        o->read_of[o->n] = o->reads;
        o->n++;
    }
    return false;
}

/* Index of the sample in [from, to) that arrived soonest after it was
 * written (host minus guest time is smallest), or -1. */
static int least_delayed(const struct clock_obs *o, unsigned from, unsigned to)
{
    int best = -1;

    for (unsigned i = from; i < to && i < o->n; i++) {
        if (o->read_of[i] == o->first_read)
            continue; /* written before the console attached */
        if (best < 0 || (int64_t)(o->host[i] - o->guest[i]) <
                            (int64_t)(o->host[best] - o->guest[best]))
            best = (int)i;
    }
    return best;
}

/*
 * The guest's pvclock against the host's CLOCK_MONOTONIC over 4 s: the
 * guest prints its time every 50 ms and the harness stamps each line when
 * it arrives. A line's delay (console ring, pv-consoled, pvctl, pipe) is
 * never negative, so in the first and the last fifth of the run the
 * least delayed line is the one whose delay is closest to the true
 * minimum; the two clocks' elapsed times between those two lines must
 * agree within 1% (over at least 2.4 s). Scheduling noise only adds
 * delay, and the minimum over 16 lines is immune to it.
 */
static void test_guest_clock(void)
{
    static struct clock_obs o;
    const char *ov[] = { NULL };
    const char *args[] = { "console", "it-clock", NULL };
    double gs, hs, ratio;
    struct hx_run r = { 0 };
    struct hx_dominfo w;
    int a, b;

    memset(&o, 0, sizeof(o));
    HX_REQUIRE(hxe_create(&r, hxe_test_cfg("clock"), "clock", "it-clock", ov) >
                   0,
               "create clock: exit %d: %s", r.exit_code, r.err ? r.err : "");
    HX_REQUIRE(hx_pvctlv(&r, HX_GUEST_MS, clock_lines, &o, args) == 0,
               "run pvctl console");
    HX_REQUIRE(r.stopped && o.n >= 75,
               "the guest printed its clock lines and 'clock: done' (%u "
               "lines): '%s'",
               o.n, r.out);
    a = least_delayed(&o, 0, o.n / 5);
    b = least_delayed(&o, o.n - o.n / 5, o.n);
    HX_REQUIRE(a >= 0 && b > a, "samples at both ends (%d, %d) of %u", a, b,
               o.n);
    gs = (double)(o.guest[b] - o.guest[a]) / 1e9;
    hs = (double)(o.host[b] - o.host[a]) / 1e9;
    ratio = gs / hs;
    printf("(guest %.4f s / host %.4f s = %.5f) ", gs, hs, ratio);
    HX_CHECK(gs >= 2.0, "measured over %.3f s of guest time, want >= 2 s", gs);
    HX_CHECK(ratio > 0.99 && ratio < 1.01,
             "guest pvclock runs at %.5f x the host's CLOCK_MONOTONIC "
             "(%.4f s against %.4f s), want within 1%%",
             ratio, gs, hs);
    w = hx_wait("it-clock", 10);
    HX_CHECK(hx_poweroff(&w, 0), "clock exits 0: '%s'", w.text);
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

/*
 * Hypercalls made with an inline `syscall` (Xen's transport for kernels
 * without a hypercall page): the bench guest makes 200 of them and checks
 * each answer against the hypercall page's; it exits 0 only if they agree.
 */
static void test_syscall_hypercalls(void)
{
    const char *ov[] = {
        hx_fmt("kernel=\"%s/bench/bench-guest.elf\"", hx.build),
        "cmdline=\"mode=syscall n=200 reps=2\"",
        "on_poweroff=\"preserve\"",
        NULL,
    };
    struct hx_dominfo w;
    const char *out;

    HX_REQUIRE(hx_create(NULL, "hello", "it-syscall", ov) >= 0, "create");
    out = console_to_end("it-syscall");
    HX_CHECK(hx_count(out, "bench: mode=syscall n=200 total_ns=") == 2,
             "two batches of syscall hypercalls: '%s'", out);
    HX_CHECK(strstr(out, "version=0x40011") != NULL,
             "xen_version through syscall answers 4.17: '%s'", out);
    w = hx_wait("it-syscall", 10);
    HX_CHECK(!strcmp(w.state, "shutdown") && w.code == 0,
             "the guest found syscall and hypercall-page answers equal: "
             "'%s'",
             w.text);
}

static const struct integ_test tests[] = {
    { "hello_boots", test_hello_boots },
    { "hello_create_console", test_hello_create_console },
    { "hello_exit_code_cmdline", test_hello_exit_code_cmdline },
    { "hello_exit_code_extra", test_hello_exit_code_extra },
    { "ticker_uptime", test_ticker_uptime },
    { "guest_clock", test_guest_clock },
    { "smp_2", test_smp_2 },
    { "smp_4", test_smp_4 },
    { "two_guests", test_two_guests },
    { "syscall_hypercalls", test_syscall_hypercalls },
    { NULL, NULL },
};

const struct integ_suite integ_suite_boot = { "boot", true, tests };
