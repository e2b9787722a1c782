// SPDX-License-Identifier: MIT
/* test_cli.c: pvctl behaviour that needs no running pvisor (no KVM). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "harness.h"

/* pvctl with nobody listening: exit 1 and exactly one line naming it. */
static void check_unreachable(const struct hx_run *r)
{
    HX_CHECK(r->exit_code == 1, "exit status %d, want 1", r->exit_code);
    HX_CHECK(!r->timed_out, "pvctl hung without pvisor");
    HX_CHECK(hx_count(r->err, "\n") == 1 && r->err[strlen(r->err) - 1] == '\n',
             "want exactly one line on stderr, got: '%s'", r->err);
    HX_CHECK(strstr(r->err, "pvisor.sock") && strstr(r->err, hx.dir),
             "the error should name the socket path: '%s'", r->err);
    HX_CHECK(strstr(r->err, "pvhost start"),
             "the error should say how to start the host side: '%s'", r->err);
    HX_CHECK(r->out[0] == '\0', "nothing on stdout, got '%s'", r->out);
}

static void test_no_pvisor_run_dir_option(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "list", NULL) == 0, "run pvctl");
    check_unreachable(&r);
}

static void test_no_pvisor_env(void)
{
    /* No -r: the harness exports PVISOR_RUN_DIR=<test dir> to children. */
    const char *argv[] = { hx.pvctl, "info", NULL };
    struct hx_run r;

    HX_REQUIRE(hx_exec(&r, HX_CMD_MS, NULL, NULL, argv) == 0, "run pvctl");
    check_unreachable(&r);
}

/* Config errors are found before pvctl talks to pvisor. */
static void test_config_error_names_file_line_key(void)
{
    const char *cfg = hx_write_file(
        "bad.cfg", hx_fmt("# a config with a type error on line 4\n"
                          "name = \"cfg-bad\"\n"
                          "kernel = \"%s\"\n"
                          "memory = \"lots\"\n"
                          "vcpus = 1\n",
                          hx_guest_elf("hello")));
    struct hx_run r;

    HX_REQUIRE(cfg, "write the config file");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", cfg, NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 1, "exit status %d, want 1", r.exit_code);
    HX_CHECK(strstr(r.err, hx_fmt("%s:4", cfg)) != NULL,
             "the error should name %s:4: '%s'", cfg, r.err);
    HX_CHECK(strstr(r.err, "memory") != NULL,
             "the error should name the key 'memory': '%s'", r.err);
    HX_CHECK(strstr(r.err, "lots") != NULL,
             "the error should show the bad value: '%s'", r.err);
    HX_CHECK(!strstr(r.err, "cannot reach pvisor"),
             "config must be checked before contacting pvisor: '%s'", r.err);
}

static void test_config_syntax_error(void)
{
    const char *cfg =
        hx_write_file("syntax.cfg", hx_fmt("name = \"cfg-bad\"\n"
                                           "kernel = \"%s\"\n"
                                           "\n"
                                           "on_crash = \"preserve\n",
                                           hx_guest_elf("hello")));
    struct hx_run r;

    HX_REQUIRE(cfg, "write the config file");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", cfg, NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 1, "exit status %d, want 1", r.exit_code);
    HX_CHECK(strstr(r.err, hx_fmt("%s:4", cfg)) != NULL,
             "an unterminated string on line 4 should be reported at "
             "%s:4: '%s'",
             cfg, r.err);
    HX_CHECK(!strstr(r.err, "cannot reach pvisor"),
             "config must be checked before contacting pvisor: '%s'", r.err);
}

static void test_override_error(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", hx_example_cfg("hello"),
                        hx_fmt("kernel=\"%s\"", hx_guest_elf("hello")),
                        "vcpus=\"many\"", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1, "exit status %d, want 1", r.exit_code);
    HX_CHECK(strstr(r.err, "<command line>:2") && strstr(r.err, "vcpus"),
             "an override error names '<command line>:2' and the key: '%s'",
             r.err);
}

static void test_unknown_command(void)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "frobnicate", NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 1, "exit status %d, want 1", r.exit_code);
    HX_CHECK(strstr(r.err, "frobnicate") != NULL,
             "the error should name the command: '%s'", r.err);
}

/* pvctl help: every command listed; help COMMAND = COMMAND --help. */
static void test_help(void)
{
    static const char *const cmds[] = {
        "create",  "list",    "destroy", "shutdown", "reboot", "pause",
        "unpause", "console", "wait",    "info",     "dmesg",  "domid",
        "domname", "uptime",  "store",   "help",
    };
    struct hx_run r, h;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "help", NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 0 && strstr(r.out, "usage: pvctl "),
             "pvctl help: exit %d: '%s'", r.exit_code, r.out);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        HX_CHECK(strstr(r.out, hx_fmt("\n  %s ", cmds[i])) != NULL,
                 "pvctl help lists '%s': '%s'", cmds[i], r.out);
    HX_REQUIRE(hx_pvctl(&h, HX_CMD_MS, "help", "uptime", NULL) == 0, "run");
    HX_CHECK(h.exit_code == 0 &&
                 !strncmp(h.out, "usage: pvctl uptime [DOM ...]\n", 30),
             "pvctl help uptime: exit %d: '%s'", h.exit_code, h.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "uptime", "--help", NULL) == 0, "run");
    HX_CHECK(r.exit_code == 0 && !strcmp(r.out, h.out),
             "uptime --help = help uptime: exit %d: '%s'", r.exit_code, r.out);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "help", "frobnicate", NULL) == 0, "run");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "unknown command 'frobnicate'"),
             "help of an unknown command: exit %d: '%s'", r.exit_code, r.err);
}

/* Runs pvisor --mem-path path: it must exit 1 with "--mem-path PATH: why". */
static void expect_mem_path_refused(const char *path, const char *why)
{
    const char *argv[] = { hx.pvisor,    "--run-dir", hx.dir,
                           "--mem-path", path,        NULL };
    const char *want = hx_fmt("--mem-path %s: %s", path, why);
    struct hx_run r;

    HX_CHECK(hx_exec(&r, HX_CMD_MS, NULL, NULL, argv) == 0 &&
                 r.exit_code == 1 && strstr(r.err, want),
             "pvisor --mem-path %s: exit %d, want 1 and '%s': '%s'", path,
             r.exit_code, want, r.err);
}

/*
 * pvisor refuses a --mem-path it cannot make guest RAM files in, and a
 * hugetlbfs (the dom0 services map guest RAM page by page), checked when
 * the test may mount one.
 */
static void test_pvisor_bad_mem_path(void)
{
    const char *htlb = hx_fmt("%s/hugetlbfs", hx.dir);

    expect_mem_path_refused("/nonexistent/pvisor-mem",
                            "No such file or directory");
    expect_mem_path_refused("/etc/hostname", "not a directory");
    if (mkdir(htlb, 0700) == 0 &&
        mount("pvisor-it-htlb", htlb, "hugetlbfs", 0, NULL) == 0) {
        expect_mem_path_refused(htlb, "a hugetlbfs cannot be mapped page by "
                                      "page");
        umount2(htlb, MNT_DETACH);
    } else {
        hx_skip_part("hugetlbfs", "the hugetlbfs case: cannot mount one: %s",
                     strerror(errno));
    }
}

static const struct integ_test tests[] = {
    { "no_pvisor_run_dir_option", test_no_pvisor_run_dir_option },
    { "no_pvisor_env", test_no_pvisor_env },
    { "config_error_names_file_line_key",
      test_config_error_names_file_line_key },
    { "config_syntax_error", test_config_syntax_error },
    { "override_error", test_override_error },
    { "unknown_command", test_unknown_command },
    { "help", test_help },
    { "pvisor_bad_mem_path", test_pvisor_bad_mem_path },
    { NULL, NULL },
};

const struct integ_suite integ_suite_cli = { "cli", false, tests };
