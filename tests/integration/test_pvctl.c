// SPDX-License-Identifier: MIT
/* test_pvctl.c: pvctl domname, uptime, info, dmesg -c and store watch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/* Creates an echo guest (it runs until destroyed); returns its domid. */
static int start_echo(const char *name)
{
    struct hx_run r;
    int domid = hx_create(&r, "echo", name, NULL);

    HX_REQUIRE(domid > 0, "create echo %s: exit %d: %s", name, r.exit_code,
               r.err);
    return domid;
}

/* pvctl ARGS..., which must exit 0; its run. */
static struct hx_run pvctl_ok(const char *const args[])
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctlv(&r, HX_CMD_MS, NULL, NULL, args) == 0, "run pvctl");
    HX_REQUIRE(r.exit_code == 0 && !r.timed_out, "pvctl %s %s: exit %d: %s",
               args[0], args[1] ? args[1] : "", r.exit_code, r.err);
    return r;
}

static void test_domname(void)
{
    struct hx_run r;
    int domid = start_echo("it-dn");
    const char *id = hx_fmt("%d", domid);

    r = pvctl_ok((const char *const[]){ "domname", id, NULL });
    HX_CHECK(!strcmp(r.out, "it-dn\n"), "domname %d: '%s'", domid, r.out);
    r = pvctl_ok((const char *const[]){ "domname", "0", NULL });
    HX_CHECK(!strcmp(r.out, "Domain-0\n"), "domname 0: '%s'", r.out);
    r = pvctl_ok((const char *const[]){ "domid", "it-dn", NULL });
    HX_CHECK(!strcmp(r.out, hx_fmt("%d\n", domid)), "domid it-dn: '%s'", r.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "domname", "999", NULL) == 0, "run");
    HX_CHECK(r.exit_code == 1 && !r.out[0] &&
                 strstr(r.err, "no domain with id 999"),
             "domname 999: exit %d: '%s' '%s'", r.exit_code, r.out, r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "domname", "it-dn", NULL) == 0, "run");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "usage: pvctl domname"),
             "domname wants a number: exit %d: '%s'", r.exit_code, r.err);
    hxe_destroy("it-dn");
}

/* Seconds in the "H:MM:SS" uptime of `name` in `pvctl uptime` output. */
static long uptime_of(const char *out, const char *name, int domid)
{
    const char *p = strstr(out, hx_fmt("\n%s ", name));
    unsigned id, h, m, s;

    if (!p ||
        sscanf(p + 1 + strlen(name), " %u %u:%u:%u", &id, &h, &m, &s) != 4 ||
        (int)id != domid)
        return -1;
    return (long)h * 3600 + m * 60 + s;
}

static void test_uptime(void)
{
    const char *args[] = { "uptime", NULL };
    const char *one[] = { "uptime", "it-up", NULL };
    unsigned long long deadline;
    struct hx_run r;
    long first, now = -1;
    int domid = start_echo("it-up");

    r = pvctl_ok(args);
    HX_CHECK(!strncmp(r.out, "Name ", 5) && strstr(r.out, " ID Uptime\n"),
             "uptime: a header line: '%s'", r.out);
    HX_CHECK(uptime_of(r.out, "Domain-0", 0) >= 0,
             "uptime lists Domain-0: '%s'", r.out);
    first = uptime_of(r.out, "it-up", domid);
    HX_REQUIRE(first >= 0 && first < 60,
               "uptime lists it-up (id %d) with a fresh uptime: '%s'", domid,
               r.out);
    /* The uptime grows: a later second shows up within 5 s. */
    deadline = hxe_now_ms() + 5000;
    do {
        hx_sleep_ms(100);
        r = pvctl_ok(one);
        now = uptime_of(r.out, "it-up", domid);
    } while (now == first && hxe_now_ms() < deadline);
    HX_CHECK(now > first, "the uptime of it-up grows: %ld s, then %ld s", first,
             now);
    HX_CHECK(!strstr(r.out, "Domain-0"), "uptime it-up lists only it: '%s'",
             r.out);
    r = pvctl_ok((const char *const[]){ "uptime", "Domain-0", "it-up", NULL });
    HX_CHECK(uptime_of(r.out, "Domain-0", 0) >= 0 &&
                 uptime_of(r.out, "it-up", domid) >= now,
             "uptime Domain-0 it-up lists both: '%s'", r.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "uptime", "it-nosuch", NULL) == 0,
               "run");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "it-nosuch"),
             "uptime of no such domain: exit %d: '%s'", r.exit_code, r.err);
    hxe_destroy("it-up");
}

/* The value of "key : value" in pvctl info output, or NULL. */
static const char *info_field(const char *out, const char *key)
{
    const char *p = strstr(out, hx_fmt("\n%s ", key));
    char val[256];

    if (!p && !strncmp(out, key, strlen(key)) && out[strlen(key)] == ' ')
        p = out - 1;
    if (!p || sscanf(p + 1 + strlen(key), " : %255[^\n]", val) != 1)
        return NULL;
    return hx_fmt("%s", val);
}

static void test_info(void)
{
    const char *args[] = { "info", NULL };
    struct hx_run r;
    const char *v;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    r = pvctl_ok(args);
    v = info_field(r.out, "nr_domains");
    HX_CHECK(v && !strcmp(v, "0"), "nr_domains 0 before any guest: '%s'",
             r.out);
    v = info_field(r.out, "nr_cpus");
    HX_CHECK(v && atol(v) == cpus, "nr_cpus %ld: '%s'", cpus, r.out);
    v = info_field(r.out, "run_dir");
    HX_CHECK(v && !strcmp(v, hx.dir), "run_dir %s: '%s'", hx.dir, r.out);
    v = info_field(r.out, "xen_version");
    HX_CHECK(v && !strcmp(v, "4.17"), "xen_version 4.17: '%s'", r.out);
    v = info_field(r.out, "kvm_api_version");
    HX_CHECK(v && !strcmp(v, "12"), "kvm_api_version 12: '%s'", r.out);
    v = info_field(r.out, "host");
    HX_CHECK(v && *v, "host: '%s'", r.out);
    v = info_field(r.out, "pvisor_version");
    HX_CHECK(v && *v, "pvisor_version: '%s'", r.out);
    v = info_field(r.out, "pvisor_uptime");
    HX_CHECK(v && strstr(v, " s"), "pvisor_uptime: '%s'", r.out);

    start_echo("it-info");
    r = pvctl_ok(args);
    v = info_field(r.out, "nr_domains");
    HX_CHECK(v && !strcmp(v, "1"), "nr_domains 1 with one guest: '%s'", r.out);
    hxe_destroy("it-info");
}

static void test_dmesg_clear(void)
{
    const char *plain[] = { "dmesg", NULL };
    const char *clear[] = { "dmesg", "-c", NULL };
    struct hx_run r;
    int domid;

    r = pvctl_ok(clear);
    HX_CHECK(strstr(r.out, "ready:") != NULL,
             "dmesg -c prints the log so far: '%s'", r.out);
    r = pvctl_ok(plain);
    HX_CHECK(!strstr(r.out, "ready:"), "the log was cleared: '%s'", r.out);
    domid = start_echo("it-dm");
    r = pvctl_ok(plain);
    HX_CHECK(strstr(r.out, hx_fmt("d%d: created 'it-dm'", domid)) &&
                 !strstr(r.out, "ready:"),
             "dmesg shows only what came after the clear: '%s'", r.out);
    r = pvctl_ok(clear);
    HX_CHECK(strstr(r.out, "created 'it-dm'") != NULL,
             "dmesg -c prints it once more: '%s'", r.out);
    r = pvctl_ok(plain);
    HX_CHECK(!strstr(r.out, "created 'it-dm'"), "cleared again: '%s'", r.out);
    hxe_destroy("it-dm");
}

/*
 * pvctl store watch -n 3 PATH: the event of registering, then one per
 * change below PATH, then it exits 0. The changes are made once the first
 * event is out (polled, not slept).
 */
static void test_store_watch(void)
{
    const char *p = "/local/domain/0/it-watch";
    const char *cmd =
        hx_fmt("pvctl store watch -n 3 %s >%s/watch.out 2>&1 & w=$!; "
               "i=0; while ! grep -q . %s/watch.out; do "
               "  i=$((i + 1)); [ $i -lt 200 ] || { kill $w; exit 9; }; "
               "  sleep 0.05; done; "
               "pvctl store write %s/a 1 && pvctl store write %s/b/c 2 && "
               "pvctl store write /local/domain/0/elsewhere 3 && wait $w",
               p, hx.dir, hx.dir, p, p);
    char buf[1024] = "";
    struct hx_run r;
    size_t n = 0;
    FILE *f;

    HX_REQUIRE(hxe_sh(&r, 15000, NULL, NULL, cmd) == 0, "run sh");
    f = fopen(hx_fmt("%s/watch.out", hx.dir), "r");
    if (f) {
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    HX_CHECK(r.exit_code == 0 && !r.timed_out,
             "store watch -n 3 ends by itself: exit %d%s: '%s' '%s'",
             r.exit_code, r.timed_out ? " (timed out)" : "", r.err, buf);
    HX_CHECK(!strcmp(buf, hx_fmt("%s\n%s/a\n%s/b/c\n", p, p, p)),
             "one event for the watch, one per change below it: '%s'", buf);
}

static const struct integ_test tests[] = {
    { "domname", test_domname },
    { "uptime", test_uptime },
    { "info", test_info },
    { "dmesg_clear", test_dmesg_clear },
    { "store_watch", test_store_watch },
    { NULL, NULL },
};

const struct integ_suite integ_suite_pvctl = { "pvctl", true, tests };
