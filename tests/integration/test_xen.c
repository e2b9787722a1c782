// SPDX-License-Identifier: MIT
/* test_xen.c: an unmodified Xen PV guest (Debian's GRUB Xen image) runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hx_extra.h"

/*
 * GRUB built as an x86_64 Xen PV kernel (Debian package grub-xen-host):
 * linked at 0, no hypercall page (inline `syscall`), console and xenstore
 * from start_info, grant table set up and mapped by itself, a Xen block
 * frontend. No test here depends on timing: each waits for what GRUB
 * prints, with a deadline.
 */
#define GRUB_IMAGE "/usr/lib/grub-xen/grub-x86_64-xen.bin"
#define BOOT_MS    60000 /* GRUB's start-up, generous for a loaded host */
#define REPLY_MS   30000

/* Suite hook: the suite runs only where Debian's packages could be had. */
static const char *xen_skip(const char **facility)
{
    if (access(GRUB_IMAGE, R_OK) != 0) {
        *facility = "grub-xen-host (Debian package)";
        return GRUB_IMAGE " is not installed (Debian package grub-xen-host; "
                          "scripts/install-deps.sh installs it)";
    }
    if (access("/usr/sbin/mke2fs", X_OK) != 0 &&
        access("/sbin/mke2fs", X_OK) != 0) {
        *facility = "mke2fs (Debian package e2fsprogs)";
        return "mke2fs is not installed (Debian package e2fsprogs)";
    }
    return NULL;
}

const struct integ_hooks integ_hooks_xen = { "xen", xen_skip, NULL, NULL };

/* A word only this test run would print. */
static const char *test_word(const char *what)
{
    static unsigned n;

    return hx_fmt("pv%s%ux%u", what, (unsigned)getpid(), ++n);
}

/*
 * Creates a GRUB domain NAME (disk: a `disk` list entry or NULL) and
 * waits until its console log shows `wait_for`. Returns the log.
 */
static const char *grub_up(const char *name, const char *disk,
                           const char *wait_for)
{
    const char *cfg, *log;
    struct hx_run r;

    cfg = hx_write_file(
        hx_fmt("%s.cfg", name),
        hx_fmt("name = \"%s\"\nmemory = 64\nkernel = \"%s\"\n%s"
               "on_crash = \"preserve\"\non_poweroff = \"preserve\"\n",
               name, GRUB_IMAGE,
               disk ? hx_fmt("disk = [ '%s' ]\n", disk) : ""));
    HX_REQUIRE(cfg != NULL, "write %s.cfg", name);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", cfg, NULL) == 0, "run");
    HX_REQUIRE_OK(&r, "pvctl create (GRUB)");
    log = hxe_wait_log(name, wait_for, BOOT_MS);
    if (!log) {
        struct hx_dominfo l = hx_dominfo(name);
        HX_REQUIRE(false,
                   "GRUB's console shows '%s' within %u s; state: %s\n"
                   "console:\n%s",
                   wait_for, BOOT_MS / 1000, l.text, hxe_console_log(name));
    }
    return log;
}

/*
 * Types `line` on NAME's console (pvctl console, keys from a pipe) and
 * returns the console output once it holds `want` (or at the deadline).
 */
static const char *grub_type(const char *name, const char *line,
                             const char *want)
{
    struct hx_run r;

    HX_REQUIRE(hxe_sh(&r, REPLY_MS, hxe_stop_str, (void *)want,
                      hx_fmt("printf '%%s\\n' '%s' | pvctl console %s", line,
                             name)) == 0,
               "run pvctl console");
    return r.out;
}

/* 1. GRUB reaches its prompt and answers a command typed on the console. */
static void test_grub_prompt(void)
{
    const char *word = test_word("echo");
    const char *out;

    grub_up("it-grub", NULL, "grub> ");
    out = grub_type("it-grub", hx_fmt("echo %s", word), hx_fmt("\r%s", word));
    HX_CHECK(strstr(out, hx_fmt("\r%s", word)) != NULL,
             "GRUB answers 'echo %s' with the word on its own line; "
             "console:\n%s",
             word, out);
    HX_CHECK(hx_wait_state("it-grub", "running", 1000) ||
                 hx_wait_state("it-grub", "blocked", 1000),
             "GRUB still runs after the command: %s",
             hx_dominfo("it-grub").text);
}

/* An ext2 image made from a directory tree; returns its path. */
static const char *ext2_image(const char *name, const char *cfg_word)
{
    const char *dir = hx_fmt("%s/%s.d", hx.dir, name);
    const char *img = hx_fmt("%s/%s.img", hx.dir, name);
    struct hx_run r;
    const char *cmd = hx_fmt("set -e; mkdir -p %s/sub %s/boot/grub; "
                             "echo 'hello from pvisor' > %s/pvisor-note.txt; "
                             "echo x > %s/sub/inner.txt; %s"
                             "mke2fs -q -F -t ext2 -d %s %s 4M",
                             dir, dir, dir, dir,
                             cfg_word ? hx_fmt("printf 'echo %s\\n' > "
                                               "%s/boot/grub/grub.cfg; ",
                                               cfg_word, dir)
                                      : "",
                             dir, img);

    HX_REQUIRE(hxe_sh(&r, HX_CMD_MS, NULL, NULL, cmd) == 0, "run mke2fs");
    HX_REQUIRE(r.exit_code == 0, "mke2fs -d: %s%s", r.out, r.err);
    return img;
}

/* 2. GRUB's Xen block frontend attaches the disk; `ls` lists its files. */
static void test_grub_ls_disk(void)
{
    const char *img = ext2_image("lsdisk", NULL);
    const char *out;

    grub_up("it-grub-ls",
            hx_fmt("format=raw, vdev=xvda, access=rw, target=%s", img),
            "grub> ");
    out = grub_type("it-grub-ls", "ls", "(xen/xvda)");
    HX_CHECK(strstr(out, "(xen/xvda)") != NULL,
             "GRUB's 'ls' lists the disk (xen/xvda); console:\n%s", out);
    out = grub_type("it-grub-ls", "ls (xen/xvda)/", "pvisor-note.txt");
    HX_CHECK(strstr(out, "pvisor-note.txt") && strstr(out, "sub/") &&
                 strstr(out, "boot/"),
             "GRUB lists the files of the ext2 disk; console:\n%s", out);
    out = grub_type("it-grub-ls", "cat (xen/xvda)/pvisor-note.txt",
                    "hello from pvisor");
    HX_CHECK(strstr(out, "hello from pvisor") != NULL,
             "GRUB reads a file of the disk; console:\n%s", out);
}

/*
 * 3. With /boot/grub/grub.cfg on the disk, GRUB reads and runs it (the
 * file's text is never shown: only its `echo` prints the word).
 */
static void test_grub_runs_cfg(void)
{
    const char *word = test_word("cfg");
    const char *img = ext2_image("cfgdisk", word);
    const char *log;

    log = grub_up("it-grub-cfg",
                  hx_fmt("format=raw, vdev=xvda, access=ro, target=%s", img),
                  hx_fmt("%s\n", word));
    HX_CHECK(strstr(log, "(xen/xvda)/boot/grub/grub.cfg") != NULL,
             "GRUB says it reads the disk's grub.cfg; console:\n%s", log);
}

/* Polls NAME's console log until `needle` follows `marker` in it. */
static bool wait_after(const char *name, const char *marker, const char *needle,
                       unsigned timeout_ms)
{
    unsigned long long end = hxe_now_ms() + timeout_ms;

    for (;;) {
        const char *log = hxe_console_log(name);
        const char *m = strstr(log, marker);

        if (m && strstr(m, needle))
            return true;
        if (hxe_now_ms() >= end)
            return false;
        hx_sleep_ms(100);
    }
}

/*
 * 4. GRUB's `reboot` restarts the domain in place (on_reboot = "restart"):
 * GRUB comes back, its block frontend connects again (it goes straight
 * to Initialised) and reads the disk; `halt` then powers it off.
 */
static void test_grub_reboot_halt(void)
{
    const char *img = ext2_image("rbdisk", NULL);
    struct hx_dominfo w;
    const char *out;

    grub_up("it-grub-rb",
            hx_fmt("format=raw, vdev=xvda, access=rw, target=%s", img),
            "grub> ");
    out = grub_type("it-grub-rb", "reboot", "[pvisor] domain restarted");
    HX_REQUIRE(strstr(out, "[pvisor] domain restarted") != NULL,
               "GRUB's reboot restarts the domain; console:\n%s", out);
    HX_REQUIRE(wait_after("it-grub-rb", "[pvisor] domain restarted", "grub> ",
                          BOOT_MS),
               "GRUB reaches its prompt again after the restart; "
               "console:\n%s",
               hxe_console_log("it-grub-rb"));
    HX_CHECK(hx_dominfo("it-grub-rb").restarts == 1, "one restart: %s",
             hx_dominfo("it-grub-rb").text);
    out = grub_type("it-grub-rb", "ls (xen/xvda)/", "pvisor-note.txt");
    HX_CHECK(strstr(out, "pvisor-note.txt") != NULL,
             "the disk works again after the restart; console:\n%s", out);
    (void)grub_type("it-grub-rb", "halt", "shut down");
    w = hx_wait("it-grub-rb", 30);
    HX_CHECK(!strcmp(w.state, "shutdown") && !strcmp(w.reason, "poweroff"),
             "GRUB's halt powers the domain off: '%s'", w.text);
}

static const struct integ_test tests[] = {
    { "grub_prompt", test_grub_prompt },
    { "grub_ls_disk", test_grub_ls_disk },
    { "grub_runs_cfg", test_grub_runs_cfg },
    { "grub_reboot_halt", test_grub_reboot_halt },
    { NULL, NULL },
};

const struct integ_suite integ_suite_xen = { "xen", true, tests };
