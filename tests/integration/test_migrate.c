// SPDX-License-Identifier: MIT
/* test_migrate.c: pvctl migrate between two run directories of this host. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

#define MIG_MS 60000

/* The destination's run directory: outside hx.dir, so that the suite's
 * teardown can stop its host side after the fixture removed hx.dir. */
static char dst[128];

static const char *mig_setup(void)
{
    snprintf(dst, sizeof(dst), "/tmp/pvisor-migdst-%d", (int)getpid());
    if (system(hx_fmt("rm -rf %s && mkdir -p %s", dst, dst)) != 0)
        return "cannot make the destination run directory";
    return NULL;
}

static void mig_teardown(void)
{
    struct hx_run r = { 0 };
    const char *argv[] = { hx.pvhost, "stop", "-r", dst, NULL };

    hx_exec(&r, HX_CMD_MS, NULL, NULL, argv);
    if (system(hx_fmt("rm -rf %s", dst)) != 0)
        printf("integration: cannot remove %s\n", dst);
}

const struct integ_hooks integ_hooks_migrate = { "migrate", NULL, mig_setup,
                                                 mig_teardown };

/* Starts the destination's host side (same platform as this test's). */
static void start_dst(void)
{
    const char *argv[] = { hx.pvhost, "start",      "-r",        dst,
                           "--",      "--platform", hx.platform, NULL };
    struct hx_run r = { 0 };
    int rc = hx_exec(&r, HX_CMD_MS, NULL, NULL, argv);

    HX_REQUIRE(rc == 0 && r.exit_code == 0, "pvhost start -r %s: %s%s", dst,
               r.err ? r.err : "", r.out ? r.out : "");
}

/* pvctl -r DIR ARGS... */
static int pvctl_in(struct hx_run *r, const char *dir, const char *a1,
                    const char *a2, const char *a3)
{
    const char *argv[] = { hx.pvctl, "-r", dir, a1, a2, a3, NULL };
    return hx_exec(r, MIG_MS, NULL, NULL, argv);
}

static unsigned long last_count(const char *text)
{
    return hxe_last_count(text, "saver: count ", " ok");
}

struct count_arg {
    const char *after;
    unsigned long min;
};

static bool stop_count(const char *out, void *arg)
{
    const struct count_arg *a = arg;

    out = a->after ? strstr(out, a->after) : out;
    return out && (last_count(out) >= a->min || strstr(out, "BAD"));
}

/* pvctl -r DIR console NAME until it counted to min after `after`. */
static const char *console_in(const char *dir, const char *name,
                              const char *after, unsigned long min)
{
    const char *argv[] = { hx.pvctl, "-r", dir, "console", name, NULL };
    struct count_arg a = { after, min };
    struct hx_run r = { 0 };

    if (hx_exec(&r, HX_GUEST_MS, stop_count, &a, argv) < 0)
        return "";
    return r.out;
}

static unsigned long start_saver(const char *name)
{
    const char *out;

    HX_REQUIRE(hxe_create(NULL, hxe_test_cfg("saver"), "saver", name, NULL) > 0,
               "create %s", name);
    out = console_in(hx.dir, name, NULL, 5);
    HX_REQUIRE(last_count(out) >= 5 && !strstr(out, "BAD"), "%s counts: %s",
               name, out);
    return last_count(out);
}

/* The guest must still count here, from above `before`. */
static void runs_here(const char *name, unsigned long before)
{
    const char *out = console_in(hx.dir, name, NULL, before + 5);

    HX_CHECK(last_count(out) >= before + 5 && !strstr(out, "BAD"),
             "%s keeps running at the source: %s", name, out);
}

/*
 * A guest that keeps writing memory moves to another run directory (a
 * second pvisor): it continues there from where it was, its pattern
 * intact, and is gone here; then it moves back through cmd:COMMAND.
 */
static void test_run_dir(void)
{
    unsigned long before;
    struct hx_run r = { 0 };
    const char *out;

    start_dst();
    before = start_saver("it-mig");
    HX_REQUIRE(hx_pvctl(&r, MIG_MS, "migrate", "it-mig", dst, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "migrate");
    HX_CHECK(strstr(r.out, "migrated it-mig pages ") &&
                 strstr(r.out, "downtime_ms "),
             "migrate reports: %s", r.out);
    HX_CHECK(!hx_dominfo("it-mig").found, "still listed at the source");
    out = console_in(dst, "it-mig", "guest-kit: resumed", before + 5);
    HX_CHECK(strstr(out, "guest-kit: resumed") &&
                 !strstr(out, "saver: start") && !strstr(out, "BAD") &&
                 last_count(strstr(out, "guest-kit: resumed")) >= before + 5,
             "continues at the destination from above %lu: %s", before, out);

    /* And back, through a command that speaks the stream. */
    before = last_count(out);
    HX_REQUIRE(
        pvctl_in(&r, dst, "migrate", "it-mig",
                 hx_fmt("cmd:%s -r %s migrate-receive", hx.pvctl, hx.dir)) == 0,
        "run pvctl");
    HX_REQUIRE_OK(&r, "migrate back");
    out = console_in(hx.dir, "it-mig", "guest-kit: resumed", before + 5);
    HX_CHECK(strstr(out, "guest-kit: resumed") && !strstr(out, "BAD") &&
                 last_count(strstr(out, "guest-kit: resumed")) >= before + 5,
             "continues back here: %s", out);
    HX_REQUIRE(pvctl_in(&r, dst, "list", NULL, NULL) == 0, "run pvctl");
    HX_CHECK(!strstr(r.out, "it-mig"), "left at the destination: %s", r.out);
}

/* Destinations that refuse or break: the guest keeps running here. */
static void test_refused(void)
{
    unsigned long before;
    struct hx_run r = { 0 };

    before = start_saver("it-ref");
    /* No pvisor there. */
    HX_REQUIRE(hx_pvctl(&r, MIG_MS, "migrate", "it-ref", dst, NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "keeps running here"),
             "no pvisor at the destination: exit %d: %s", r.exit_code, r.err);
    runs_here("it-ref", before);
    /* A command that reads nothing and fails. */
    HX_REQUIRE(hx_pvctl(&r, MIG_MS, "migrate", "it-ref", "cmd:exit 3", NULL) ==
                   0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "keeps running here"),
             "a broken stream: exit %d: %s", r.exit_code, r.err);
    runs_here("it-ref", last_count(hx_console("it-ref", 1000, NULL, NULL)));
    /* The destination refuses the domain (its name is taken there). */
    start_dst();
    {
        const char *argv[] = { hx.pvctl,
                               "-r",
                               dst,
                               "create",
                               hxe_test_cfg("saver"),
                               "name=\"it-ref\"",
                               hx_fmt("kernel=\"%s\"", hx_guest_elf("saver")),
                               NULL };
        HX_REQUIRE(hx_exec(&r, MIG_MS, NULL, NULL, argv) == 0 &&
                       r.exit_code == 0,
                   "create it-ref at the destination: %s", r.err);
    }
    HX_REQUIRE(hx_pvctl(&r, MIG_MS, "migrate", "it-ref", dst, NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "already exists") &&
                 strstr(r.err, "keeps running here"),
             "name taken at the destination: exit %d: %s", r.exit_code, r.err);
    runs_here("it-ref", last_count(hx_console("it-ref", 1000, NULL, NULL)));
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "migrate", "nosuch", dst, NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
}

/* A guest with a disk keeps writing and verifying it at the destination:
 * the same backing file, its blkfront reconnected there. */
static void test_block(void)
{
    const char *disk = hx_fmt("%s/disk.raw", hx.dir);
    const char *ov[] = {
        hx_fmt("disk=['format=raw, vdev=xvda, access=rw, target=%s']", disk),
        "cmdline=\"dev=xvda seed=30 mode=loop\"", NULL
    };
    struct hx_run r;
    const char *log;
    unsigned long long deadline;
    FILE *f = fopen(disk, "w");

    HX_REQUIRE(f && ftruncate(fileno(f), 16 << 20) == 0, "make %s", disk);
    fclose(f);
    start_dst();
    HX_REQUIRE(hxe_create(NULL, hx_example_cfg("blkcheck"), "blkcheck",
                          "it-mblk", ov) > 0,
               "create blkcheck");
    HX_REQUIRE(hxe_wait_log("it-mblk", "blkcheck: pass 2 OK", HX_GUEST_MS),
               "two passes before: %s", hxe_console_log("it-mblk"));
    HX_REQUIRE(hx_pvctl(&r, MIG_MS, "migrate", "it-mblk", dst, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "migrate");
    /* Two passes after the resume, read from the destination's log. */
    deadline = hxe_now_ms() + HX_GUEST_MS;
    do {
        FILE *l = fopen(hx_fmt("%s/console/it-mblk.log", dst), "r");
        static char buf[1 << 16];
        size_t n = l ? fread(buf, 1, sizeof(buf) - 1, l) : 0;
        const char *after;
        if (l)
            fclose(l);
        buf[n] = 0;
        log = buf;
        after = strstr(buf, "guest-kit: resumed");
        if (after && hx_count(after, " OK (seed ") >= 2)
            break;
        hx_sleep_ms(100);
    } while (hxe_now_ms() < deadline);
    HX_CHECK(strstr(log, "guest-kit: resumed") && strstr(log, "reconnecting") &&
                 hx_count(strstr(log, "guest-kit: resumed"), " OK (seed ") >=
                     2 &&
                 !strstr(log, "MISMATCH") && !strstr(log, "failed"),
             "disk passes go on at the destination: %s", log);
}

static const struct integ_test migrate_tests[] = {
    { "run_dir", test_run_dir },
    { "refused", test_refused },
    { "block", test_block },
    { NULL, NULL },
};

const struct integ_suite integ_suite_migrate = { "migrate", true,
                                                 migrate_tests };
