// SPDX-License-Identifier: MIT
/* test_skel.c: the tutorial's example split driver: skelfront, pv-skelback. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/* pv-skelback, started by the test itself (pvhost does not run it). */
static pid_t skelback = -1;
static bool cleanup_registered;

/* Kills a pv-skelback that a failed test left behind. */
static void skelback_kill(void)
{
    if (skelback <= 0)
        return;
    kill(skelback, SIGKILL);
    waitpid(skelback, NULL, 0);
    skelback = -1;
}

static const char *skelback_log(void)
{
    const char *path = hx_fmt("%s/pv-skelback.log", hx.dir);
    char *buf = hx_fmt("%*s", 1 << 16, "");
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, (1 << 16) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* Waits (20 s at most: sanitizer builds are slow) for text in the log. */
static bool skelback_logged(const char *text)
{
    for (int i = 0; i < 400; i++) {
        if (strstr(skelback_log(), text))
            return true;
        hx_sleep_ms(50);
    }
    return false;
}

/*
 * pv-skelback -r RUN, stderr to RUN/pv-skelback.log, with the sanitizer
 * settings the harness gives every child (reports land in RUN).
 */
static void skelback_start(void)
{
    const char *bin = hx_fmt("%s/bin/pv-skelback", hx.build);
    const char *log = hx_fmt("%s/pv-skelback.log", hx.dir);
    const char *asan = getenv("ASAN_OPTIONS"), *ubsan = getenv("UBSAN_OPTIONS");
    const char *asan_env = hx_fmt("%s%slog_path=%s/asan", asan ? asan : "",
                                  asan && *asan ? ":" : "", hx.dir);
    const char *ubsan_env =
        hx_fmt("%s%slog_path=%s/ubsan:print_stacktrace=1", ubsan ? ubsan : "",
               ubsan && *ubsan ? ":" : "", hx.dir);

    skelback_kill();
    if (!cleanup_registered)
        cleanup_registered = atexit(skelback_kill) == 0;
    fflush(NULL);
    skelback = fork();
    HX_REQUIRE(skelback >= 0, "fork: %s", strerror(errno));
    if (skelback == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);

        setpgid(0, 0);
        if (fd < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("PVISOR_RUN_DIR", hx.dir, 1);
        setenv("ASAN_OPTIONS", asan_env, 1);
        setenv("UBSAN_OPTIONS", ubsan_env, 1);
        execl(bin, bin, "-r", hx.dir, (char *)NULL);
        dprintf(2, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    HX_REQUIRE(skelback_logged("info: serving /local/domain/0/backend/skel"),
               "pv-skelback starts: '%s'", skelback_log());
}

/* SIGTERM; it must exit 0 within 5 s and say so in its log. */
static void skelback_stop(void)
{
    int status = 0;
    pid_t got = 0;

    HX_REQUIRE(skelback > 0 && kill(skelback, SIGTERM) == 0,
               "SIGTERM pv-skelback");
    for (int i = 0; i < 100 && got == 0; i++) {
        got = waitpid(skelback, &status, WNOHANG);
        if (got == 0)
            hx_sleep_ms(50);
    }
    if (got == 0)
        skelback_kill();
    skelback = -1;
    HX_CHECK(got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
             "pv-skelback exits 0 within 5 s of SIGTERM (status 0x%x)",
             got > 0 ? status : -1);
    HX_CHECK(strstr(skelback_log(), "info: signal: exiting") != NULL,
             "pv-skelback logs its exit: '%s'", skelback_log());
}

/* The lines of the log that contain `what`. */
static const char *log_lines(const char *what)
{
    const char *log = skelback_log(), *p = log;
    char *out = hx_fmt("%s", "");

    while ((p = strstr(p, what)) != NULL) {
        const char *b = p, *e = strchr(p, '\n');

        while (b > log && b[-1] != '\n')
            b--;
        e = e ? e + 1 : p + strlen(p);
        out = hx_fmt("%s%.*s", out, (int)(e - b), b);
        p = e;
    }
    return out;
}

static void pvctl_ok(const char *const args[])
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_CMD_MS, NULL, NULL, args) == 0, "run pvctl");
    HX_REQUIRE_OK(&r, hx_fmt("pvctl %s %s", args[0], args[1] ? args[1] : ""));
}

/*
 * The toolstack's part, exactly as docs/split-drivers.md shows it: the
 * frontend directory (below device/, which the guest owns), then the
 * backend directory (dom0's, readable by the guest), state last.
 */
static void skel_dirs(int id)
{
    const char *fe = hx_fmt("/local/domain/%d/device/skel/0", id);
    const char *be = hx_fmt("/local/domain/0/backend/skel/%d/0", id);

    pvctl_ok((const char *const[]){ "store", "write", hx_fmt("%s/backend", fe),
                                    be, hx_fmt("%s/backend-id", fe), "0",
                                    hx_fmt("%s/state", fe), "1", NULL });
    pvctl_ok((const char *const[]){ "store", "write", be, "", NULL });
    pvctl_ok((const char *const[]){ "store", "perms", be, "n0",
                                    hx_fmt("r%d", id), NULL });
    pvctl_ok((const char *const[]){ "store", "write", hx_fmt("%s/frontend", be),
                                    fe, hx_fmt("%s/frontend-id", be),
                                    hx_fmt("%d", id), hx_fmt("%s/online", be),
                                    "1", hx_fmt("%s/state", be), "1", NULL });
}

/* pvctl create -p skelfront.cfg as NAME with CMDLINE; returns the id. */
static int skel_create(const char *name, const char *cmdline)
{
    const char *args[] = { "create",
                           "-p",
                           hx_example_cfg("skelfront"),
                           hx_fmt("name=\"%s\"", name),
                           hx_fmt("kernel=\"%s\"", hx_guest_elf("skelfront")),
                           hx_fmt("cmdline=\"%s\"", cmdline),
                           "on_poweroff=\"preserve\"",
                           "on_crash=\"preserve\"",
                           NULL };
    struct hx_run r;
    const char *p;
    int id = -1;

    HX_REQUIRE(hx_pvctlv(&r, HX_CMD_MS, NULL, NULL, args) == 0, "run pvctl");
    HX_REQUIRE_OK(&r, "pvctl create -p skelfront");
    p = strstr(r.err, "(id=");
    HX_REQUIRE(p && sscanf(p, "(id=%d)", &id) == 1 && id > 0,
               "create prints the id: '%s'", r.err);
    return id;
}

/* Creates skelfront paused, writes its directories, unpauses it. */
static int skel_boot(const char *name, const char *cmdline)
{
    int id = skel_create(name, cmdline);

    skel_dirs(id);
    pvctl_ok((const char *const[]){ "unpause", hx_fmt("%d", id), NULL });
    return id;
}

/* The domain must have powered off with `code`; returns its console. */
static const char *expect_exit(const char *name, int code)
{
    struct hx_dominfo w = hx_wait(name, 60);
    const char *log = hxe_console_log(name);

    HX_CHECK(w.found && !strcmp(w.state, "shutdown") &&
                 !strcmp(w.reason, "poweroff") && w.code == code,
             "%s: want 'shutdown (poweroff, code %d)', got '%s'; console:\n%s",
             name, code, w.text ? w.text : "", log);
    return log;
}

static const char *be_key(int id, const char *key)
{
    const char *v =
        hxe_store_read(hx_fmt("/local/domain/0/backend/skel/%d/0/%s", id, key));

    return v ? v : "(missing)";
}

/* Whether the log has `first` and, after it, `then`. */
static bool logged_in_order(const char *first, const char *then)
{
    const char *log = skelback_log(), *a = strstr(log, first);

    return a && strstr(a + strlen(first), then);
}

/*
 * Removes the device's directories (the toolstack's job when a device
 * goes): the frontend's only while its domain still exists.
 */
static void skel_rm_dirs(int id, bool frontend)
{
    const char *be = hx_fmt("/local/domain/0/backend/skel/%d", id);
    const char *fe = hx_fmt("/local/domain/%d/device/skel", id);

    pvctl_ok(
        (const char *const[]){ "store", "rm", be, frontend ? fe : NULL, NULL });
    HX_CHECK(skelback_logged(hx_fmt("domain %d skel/0: device removed", id)),
             "pv-skelback notices the removal: '%s'", skelback_log());
}

/* 1. 100 round trips, then Closing -> Closed; nothing logged as an error. */
static void test_round_trips(void)
{
    const char *out, *bad;
    int id;

    skelback_start();
    id = skel_boot("skel-a", "rounds=100");
    out = expect_exit("skel-a", 0);
    HX_CHECK(strstr(out, "skelfront: 100 round trips OK\n") &&
                 strstr(out, "skelfront: closed\n"),
             "skelfront: 100 round trips and closed: '%s'", out);
    HX_CHECK(!strcmp(be_key(id, "state"), "6"), "backend state 6, not '%s'",
             be_key(id, "state"));
    HX_CHECK(logged_in_order(hx_fmt("domain %d skel/0: state 2 -> 4", id),
                             hx_fmt("domain %d skel/0: state 4 -> 6", id)),
             "the backend went Connected, then Closed: '%s'", skelback_log());
    HX_CHECK(strstr(skelback_log(), hx_fmt("domain %d skel/0: disconnected "
                                           "after 100 requests",
                                           id)) != NULL,
             "the backend answered 100 requests: '%s'", skelback_log());
    skel_rm_dirs(id, true);
    skelback_stop();
    bad = hx_fmt("%s%s", log_lines(" err: "), log_lines(" warn: "));
    HX_CHECK(!*bad, "pv-skelback logged errors or warnings:\n%s", bad);
    hxe_destroy("skel-a");
}

/* One hostile frontend: the backend disconnects it, naming the domain. */
static void hostile(const char *how, const char *why)
{
    const char *name = hx_fmt("skel-evil-%s", how);
    int id = skel_boot(name, hx_fmt("evil=%s", how));
    const char *out = expect_exit(name, 0);
    const char *line = hx_fmt("err: domain %d skel/0: %s", id, why);

    HX_CHECK(strstr(out, hx_fmt("skelfront: evil=%s: the backend "
                                "disconnected us\n",
                                how)) != NULL,
             "%s: disconnected: '%s'", name, out);
    HX_CHECK(strstr(skelback_log(), line) != NULL,
             "pv-skelback logs '%s': '%s'", line, skelback_log());
    HX_CHECK(strstr(be_key(id, "error"), why) != NULL,
             "the backend's error node says '%s': '%s'", why,
             be_key(id, "error"));
    HX_CHECK(!strcmp(be_key(id, "state"), "6"),
             "backend state 6 once the frontend closed, not '%s'",
             be_key(id, "state"));
    hxe_destroy(name);
}

/* 2. Bogus req_prod and len: that device is cut off, the backend goes on. */
static void test_hostile(void)
{
    const char *out;

    skelback_start();
    hostile("prod", "impossible req_prod");
    hostile("len", "request 0: len 4096 > 48");
    HX_CHECK(hx_count(log_lines(" err: "), "\n") == 2,
             "exactly the two errors: '%s'", log_lines(" err: "));
    skel_boot("skel-b", "rounds=200");
    out = expect_exit("skel-b", 0);
    HX_CHECK(strstr(out, "skelfront: 200 round trips OK\n") != NULL,
             "an honest frontend is still served: '%s'", out);
    skelback_stop();
    hxe_destroy("skel-b");
}

/* 3. A guest destroyed while connected: the backend drops the ring. */
static void test_destroyed(void)
{
    int id;

    skelback_start();
    id = skel_boot("skel-c", "rounds=1000000");
    HX_REQUIRE(hxe_wait_log("skel-c", "skelfront: connected", 20000),
               "skelfront connects: '%s'", hxe_console_log("skel-c"));
    hxe_destroy("skel-c");
    HX_CHECK(skelback_logged(hx_fmt("domain %d skel/0: state 4 -> 6", id)),
             "the backend closes the device: '%s'", skelback_log());
    HX_CHECK(!strcmp(be_key(id, "state"), "6"), "backend state 6, not '%s'",
             be_key(id, "state"));
    skel_rm_dirs(id, false);
    skelback_stop();
    HX_CHECK(!*log_lines(" err: "), "no error logged: '%s'", skelback_log());
}

/* 4. The frontend's error paths: a clear line and exit status 1. */
static void test_errors(void)
{
    const char *out;
    int id;

    /* no device directories at all */
    id = skel_create("skel-nodev", "rounds=1");
    pvctl_ok((const char *const[]){ "unpause", hx_fmt("%d", id), NULL });
    out = expect_exit("skel-nodev", 1);
    HX_CHECK(strstr(out, "skelfront: cannot read device/skel/0/backend and "
                         "backend-id") != NULL,
             "says the device is missing: '%s'", out);
    hxe_destroy("skel-nodev");
    /* directories, but no backend serving them (waits 10 s) */
    skel_boot("skel-noback", "rounds=1");
    out = expect_exit("skel-noback", 1);
    HX_CHECK(strstr(out, "not InitWait (is pv-skelback running?)") != NULL,
             "says the backend is missing: '%s'", out);
    hxe_destroy("skel-noback");
}

static const struct integ_test tests[] = {
    { "round_trips", test_round_trips },
    { "hostile", test_hostile },
    { "destroyed", test_destroyed },
    { "errors", test_errors },
    { NULL, NULL },
};

const struct integ_suite integ_suite_skel = { "skel", true, tests };
