// SPDX-License-Identifier: MIT
/* test_console.c: console ring input and output through pv-consoled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "hx_extra.h"

#define READY "echo: ready, type lines ('quit' ends)\n"

/* Position of needle in hay, or -1. */
static long pos(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);

    return p ? (long)(p - hay) : -1;
}

/* Checks that the lines appear in this order, each exactly once. */
static void expect_order(const char *what, const char *text,
                         const char *const lines[])
{
    long last = -1;

    for (size_t i = 0; lines[i]; i++) {
        long p = pos(text, lines[i]);

        HX_CHECK(p >= 0, "%s: missing '%s': '%s'", what, lines[i], text);
        HX_CHECK(hx_count(text, lines[i]) == 1, "%s: '%s' %u times: '%s'", what,
                 lines[i], hx_count(text, lines[i]), text);
        HX_CHECK(p > last, "%s: '%s' out of order: '%s'", what, lines[i], text);
        if (p >= 0)
            last = p;
    }
}

/* printf 'hello\nquit\n' | pvctl create -c echo.cfg: a scripted session. */
static void test_echo_piped(void)
{
    const char *cmd = hx_fmt("printf 'hello\\nquit\\n' | pvctl create -c "
                             "'%s' 'kernel=\"%s\"'",
                             hx_example_cfg("echo"), hx_guest_elf("echo"));
    const char *const lines[] = { READY, "\nHELLO\n", "echo: bye\n", NULL };
    const char *log;
    struct hx_run r;

    HX_REQUIRE(hxe_sh(&r, HX_GUEST_MS, NULL, NULL, cmd) == 0, "run");
    HX_CHECK(!r.timed_out, "pvctl create -c did not end: '%s' '%s'", r.out,
             r.err);
    HX_CHECK(r.exit_code == 0, "pvctl create -c: exit %d: %s", r.exit_code,
             r.err);
    HX_CHECK(strstr(r.err, "Started domain gk-echo (id=") != NULL,
             "create announces the domain: '%s'", r.err);
    expect_order("create -c output", r.out, lines);
    HX_CHECK(!strstr(r.out, "\nQUIT\n"), "'quit' is not echoed as data: '%s'",
             r.out);
    /* on_poweroff = "destroy" in echo.cfg */
    HX_CHECK(hx_wait_state("gk-echo", "gone", 5000), "gk-echo is gone");

    /* The log holds the whole session, once. */
    log = hxe_wait_log("gk-echo", "echo: bye\n", 5000);
    HX_CHECK(log != NULL, "the log ends with 'echo: bye': '%s'",
             hxe_console_log("gk-echo"));
    if (log)
        expect_order("console/gk-echo.log", log, lines);
}

/* Attach, type, detach; a second attach replays the history. */
static void test_reattach_history(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_count_arg two = { "\nHELLO\n", 1 };
    const char *const lines[] = { READY, "\nHELLO\n", NULL };
    struct hx_run r;
    int id;

    id = hx_create(&r, "echo", "it-echo", ov);
    HX_REQUIRE(id > 0, "create echo: %s", r.err);

    /* First client: types a line and leaves once the answer is there. */
    HX_REQUIRE(hxe_sh(&r, 15000, hxe_stop_str, "\nHELLO\n",
                      "printf 'hello\\n' | pvctl console it-echo") == 0,
               "run");
    HX_REQUIRE(r.stopped, "first attach sees HELLO: '%s' '%s'", r.out, r.err);
    expect_order("first attach", r.out, lines);

    /* Second client: the history comes first, nothing typed this time. */
    HX_REQUIRE(
        hxe_sh(&r, 15000, hx_stop_count, &two, "pvctl console it-echo") == 0,
        "run");
    HX_CHECK(r.stopped, "reattach replays the history: '%s' '%s'", r.out,
             r.err);
    expect_order("reattach", r.out, lines);
    {
        struct hx_dominfo l = hx_dominfo("it-echo");

        HX_CHECK(l.found && (!strcmp(l.state, "blocked") ||
                             !strcmp(l.state, "running")),
                 "detaching leaves the guest running: '%s'", l.text);
    }

    /* Third client: two attached at once, one ends the guest. */
    {
        const char *cmd =
            "pvctl console it-echo > watcher.out 2>&1 & w=$!; sleep 0.5; "
            "printf 'again\\nquit\\n' | pvctl console it-echo; st=$?; "
            "wait $w; echo \"rc=$st\"; cat watcher.out";
        const char *full = hx_fmt("cd '%s' || exit 9; %s", hx.dir, cmd);
        const char *const l3[] = { READY, "\nHELLO\n", "\nAGAIN\n",
                                   "echo: bye\n", NULL };

        HX_REQUIRE(hxe_sh(&r, 20000, NULL, NULL, full) == 0, "run");
        HX_CHECK(!r.timed_out, "the session ends with the guest: '%s' '%s'",
                 r.out, r.err);
        HX_CHECK(strstr(r.out, "rc=0\n") != NULL, "pvctl console exit 0: '%s'",
                 r.out);
        /* Typist's stream, then the watcher's: both saw everything. */
        HX_CHECK(hx_count(r.out, READY) == 2 &&
                     hx_count(r.out, "\nAGAIN\n") == 2 &&
                     hx_count(r.out, "echo: bye\n") == 2,
                 "both clients saw the whole session: '%s'", r.out);
        {
            const char *log = hxe_wait_log("it-echo", "echo: bye\n", 5000);

            HX_CHECK(log != NULL, "log ends with bye: '%s'",
                     hxe_console_log("it-echo"));
            if (log)
                expect_order("console/it-echo.log", log, l3);
        }
    }
    {
        struct hx_dominfo w = hx_wait("it-echo", 10);

        HX_CHECK(hx_poweroff(&w, 0), "echo exits 0: '%s'", w.text);
    }
    hxe_destroy("it-echo");
}

/* bad-insn: its own line, then pvisor's crash line, in the log. */
static void test_crash_log_order(void)
{
    const char *ov[] = { "cmdline=\"insn=hlt\"", "on_crash=\"preserve\"",
                         NULL };
    const char *crash, *log;
    struct hx_run r;
    int id;

    id = hx_create(&r, "bad-insn", "it-crashlog", ov);
    HX_REQUIRE(id > 0, "create bad-insn: %s", r.err);
    HX_CHECK(hx_wait_state("it-crashlog", "crashed", 10000), "it crashes");
    crash = hx_fmt("[pvisor] d%d crashed; see 'pvctl dmesg' or "
                   "'pvctl list -l'\n",
                   id);
    log = hxe_wait_log("it-crashlog", crash, 5000);
    HX_REQUIRE(log != NULL, "the log gets pvisor's crash line: '%s'",
               hxe_console_log("it-crashlog"));
    {
        const char *const lines[] = { "bad-insn: executing 'hlt'", crash,
                                      NULL };

        expect_order("console/it-crashlog.log", log, lines);
    }
    /* pvctl console of the stopped domain: the same, then it ends. */
    {
        const char *out = hx_console("it-crashlog", 10000, NULL, NULL);
        const char *const lines[] = { "bad-insn: executing 'hlt'", crash,
                                      NULL };

        expect_order("pvctl console", out, lines);
    }
    hxe_destroy("it-crashlog");
}

/* The control socket answers malformed requests and stays usable. */
static void test_socket_errors(void)
{
    const char *sock = hx_fmt("%s/pv-consoled.sock", hx.dir);
    const char *out =
        hxe_unix_chat(sock, "BOGUS\nATTACH 9999\nPING\n", 3, 5000);
    char l1[256] = "", l2[256] = "", l3[256] = "";

    HX_REQUIRE(strncmp(out, "connect:", 8), "%s", out);
    sscanf(out, "%255[^\n]\n%255[^\n]\n%255[^\n]", l1, l2, l3);
    HX_CHECK(!strncmp(l1, "ERR 22 ", 7), "BOGUS -> 'ERR 22 ...', got '%s'", l1);
    HX_CHECK(!strncmp(l2, "ERR 2 ", 6), "ATTACH 9999 -> 'ERR 2 ...', got '%s'",
             l2);
    HX_CHECK(!strcmp(l3, "OK pv-consoled"),
             "PING -> 'OK pv-consoled', got "
             "'%s'",
             l3);
    HX_CHECK(hx_count(out, "\n") == 3, "exactly three replies: '%s'", out);

    /* More malformed input: an overlong line, bad numbers, bad ADD. */
    out = hxe_unix_chat(sock, hx_fmt("%0300d\nADD x y z w\nDEL 0\nPING\n", 7),
                        4, 5000);
    HX_CHECK(hx_count(out, "ERR 22 ") >= 2 &&
                 strstr(out, "OK pv-consoled\n") != NULL,
             "malformed requests get ERR 22 and PING still works: '%s'", out);
    /* The daemon is still there for a fresh connection. */
    out = hxe_unix_chat(sock, "PING\n", 1, 5000);
    HX_CHECK(!strcmp(out, "OK pv-consoled\n"), "PING again: '%s'", out);
}

/* Size of $RUN/console/FILE, -1 when it does not exist; *ino its inode. */
static long long file_size_ino(const char *file, unsigned long long *ino)
{
    struct stat st;

    if (stat(hx_fmt("%s/console/%s", hx.dir, file), &st) < 0)
        return -1;
    if (ino)
        *ino = (unsigned long long)st.st_ino;
    return (long long)st.st_size;
}

static long long file_size(const char *file)
{
    return file_size_ino(file, NULL);
}

/* Polls $RUN/FILE until it contains needle. */
static bool run_file_has(const char *file, const char *needle,
                         unsigned timeout_ms)
{
    unsigned long long deadline = hxe_now_ms() + timeout_ms;
    char buf[65536];

    for (;;) {
        FILE *f = fopen(hx_fmt("%s/%s", hx.dir, file), "r");
        size_t n = 0;

        if (f) {
            n = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
        }
        buf[n] = '\0';
        if (strstr(buf, needle))
            return true;
        if (hxe_now_ms() >= deadline)
            return false;
        hx_sleep_ms(50);
    }
}

/* The bytes column of `LIST` for domain name, -1 if not listed. */
static long long listed_bytes(const char *sock, const char *name)
{
    const char *out = hxe_unix_chat(sock, "LIST\n", 3, 5000);
    const char *p = strstr(out, hx_fmt(" %s ", name));
    unsigned long long bytes;

    if (!p || sscanf(p, " %*s %*s %*s %llu", &bytes) != 1)
        return -1;
    return (long long)bytes;
}

#define FLOOD_BUDGET    (16 * 1024) /* --rate 16K/100 */
#define FLOOD_WINDOW_MS 100
#define FLOOD_LOG_MAX   (64 * 1024) /* --log-max 64K */

/*
 * A guest that writes as fast as its console takes it: pv-consoled reads
 * it within its budget, the log rotates and never grows past the cap,
 * and another domain's console and the control socket keep working.
 */
static void test_flood_limits(void)
{
    const char *sock = hx_fmt("%s/pv-consoled.sock", hx.dir);
    const char *args =
        hx_fmt("--rate %uK/%u --log-max %uK", FLOOD_BUDGET / 1024,
               FLOOD_WINDOW_MS, FLOOD_LOG_MAX / 1024);
    unsigned long long t0, t1, deadline;
    long long b0, b1, bound;
    struct hx_run r;
    unsigned long long last_ino = 0;
    int id, rotations = 0;

    setenv("PVHOST_CONSOLED_ARGS", args, 1);
    id = hx_host_restart(NULL);
    unsetenv("PVHOST_CONSOLED_ARGS");
    HX_REQUIRE(id == 0, "restart with %s: %s", args, hx.setup_error);

    t0 = hxe_now_ms();
    id = hxe_create(&r, hxe_test_cfg("flood"), "flood", "it-flood", NULL);
    HX_REQUIRE(id > 0, "create flood: %s", r.err);

    /* The log reaches the cap and rotates (NAME.log.1 is a new file
     * each time); neither file ever passes it. */
    deadline = hxe_now_ms() + 60000;
    while (hxe_now_ms() < deadline && rotations < 3) {
        unsigned long long ino = 0;
        long long cur = file_size("it-flood.log");
        long long old = file_size_ino("it-flood.log.1", &ino);

        HX_CHECK(cur <= FLOOD_LOG_MAX && old <= FLOOD_LOG_MAX,
                 "log sizes %lld and %lld within %d", cur, old, FLOOD_LOG_MAX);
        if (cur > FLOOD_LOG_MAX || old > FLOOD_LOG_MAX)
            break;
        if (old >= 0 && ino != last_ino) {
            rotations++;
            last_ino = ino;
        }
        hx_sleep_ms(20);
    }
    HX_CHECK(rotations >= 3, "the log rotated %d times in 60 s", rotations);
    HX_CHECK(file_size("it-flood.log.1") > FLOOD_LOG_MAX / 2,
             "the log rotated: it-flood.log.1 has %lld bytes",
             file_size("it-flood.log.1"));
    HX_CHECK(file_size("it-flood.log.2") < 0, "one old log only");

    /* Over a second of flooding, pv-consoled reads at most the budget
     * per window (plus one window), and keeps reading. */
    b0 = listed_bytes(sock, "it-flood");
    t0 = hxe_now_ms();
    hx_sleep_ms(1000); /* the interval measured, not a wait for an event */
    b1 = listed_bytes(sock, "it-flood");
    t1 = hxe_now_ms();
    bound =
        (long long)FLOOD_BUDGET * (long long)((t1 - t0) / FLOOD_WINDOW_MS + 2);
    HX_CHECK(b0 > 0 && b1 > b0,
             "LIST shows it-flood's output growing: "
             "%lld, then %lld",
             b0, b1);
    HX_CHECK(b1 - b0 <= bound,
             "%lld bytes read in %llu ms, more than the budget allows (%lld)",
             b1 - b0, t1 - t0, bound);
    HX_CHECK(run_file_has("pv-consoled.log", "reading paused", 5000),
             "pv-consoled logs the pause");

    /* The daemon answers, and another guest's console works, meanwhile. */
    HX_CHECK(strstr(hxe_unix_chat(sock, "PING\n", 1, 5000), "OK pv-consoled") !=
                 NULL,
             "PING answered during the flood");
    {
        const char *cmd = hx_fmt("printf 'hello\\nquit\\n' | pvctl create -c "
                                 "'%s' 'kernel=\"%s\"' 'name=\"it-echo\"'",
                                 hx_example_cfg("echo"), hx_guest_elf("echo"));

        HX_REQUIRE(hxe_sh(&r, HX_GUEST_MS, NULL, NULL, cmd) == 0, "run");
        HX_CHECK(!r.timed_out && r.exit_code == 0,
                 "echo session during the flood: exit %d: '%s' '%s'",
                 r.exit_code, r.out, r.err);
        HX_CHECK(strstr(r.out, "\nHELLO\n") != NULL,
                 "echo answered during the flood: '%s'", r.out);
    }
    /* Still flooding, still capped. */
    HX_CHECK(hx_wait_state("it-flood", "running", 100) ||
                 hx_wait_state("it-flood", "blocked", 100),
             "it-flood still runs");
    HX_CHECK(file_size("it-flood.log") <= FLOOD_LOG_MAX &&
                 file_size("it-flood.log.1") <= FLOOD_LOG_MAX,
             "logs within the cap at the end: %lld %lld",
             file_size("it-flood.log"), file_size("it-flood.log.1"));
    hxe_destroy("it-flood");
}

static const struct integ_test tests[] = {
    { "echo_piped", test_echo_piped },
    { "reattach_history", test_reattach_history },
    { "crash_log_order", test_crash_log_order },
    { "socket_errors", test_socket_errors },
    { "flood_limits", test_flood_limits },
    { NULL, NULL },
};

const struct integ_suite integ_suite_console = { "console", true, tests };
