// SPDX-License-Identifier: MIT
/* test_save.c: pvctl save/restore: continuity, checkpoints, bad images. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pvabi/save.h>

#include "harness.h"
#include "hx_extra.h"

#define SAVE_MS 60000

/* The highest N of "saver: count N ok" in text, 0 if none. */
static unsigned long last_count(const char *text)
{
    return hxe_last_count(text, "saver: count ", " ok");
}

struct count_arg {
    const char *after; /* count only what follows this, if set */
    unsigned long min;
};

static bool stop_count(const char *out, void *arg)
{
    const struct count_arg *a = arg;

    if (a->after) {
        out = strstr(out, a->after);
        if (!out)
            return false;
    }
    return last_count(out) >= a->min || strstr(out, "BAD");
}

/* Console of dom once it counted to min (after `after`); its text. */
static const char *console_until(const char *dom, const char *after,
                                 unsigned long min)
{
    struct count_arg a = { after, min };

    return hx_console(dom, HX_GUEST_MS, stop_count, &a);
}

/* Creates the saver guest as name and waits until it counted to 5. */
static unsigned long start_saver(const char *name, const char *const ov[])
{
    const char *out;

    HX_REQUIRE(hxe_create(NULL, hxe_test_cfg("saver"), "saver", name, ov) > 0,
               "create %s", name);
    out = console_until(name, NULL, 5);
    HX_REQUIRE(last_count(out) >= 5 && !strstr(out, "BAD"), "%s counts: %s",
               name, out);
    return last_count(out);
}

static int domid_of(const char *name)
{
    struct hx_dominfo d = hx_dominfo(name);
    return d.found ? d.domid : -1;
}

/*
 * A restored domain continues where it stopped: counts on from above the
 * last count seen before the save, never starts again, finds its 4 MiB
 * pattern intact, and its console (the ring through pv-consoled and
 * pvisor's console_io) keeps working.
 */
static void restore_and_check(const char *name, const char *img,
                              unsigned long before, const char *platform)
{
    struct hx_run r;
    const char *out;
    char want[64];

    if (platform)
        HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img,
                            hx_fmt("platform=%s", platform), NULL) == 0,
                   "run pvctl");
    else
        HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img, NULL) == 0,
                   "run pvctl");
    HX_REQUIRE_OK(&r, "restore");
    HX_CHECK(strstr(r.err, hx_fmt("Restored domain %s", name)) != NULL,
             "restore says: %s", r.err);
    out = console_until(name, "guest-kit: resumed", before + 5);
    HX_CHECK(strstr(out, "guest-kit: resumed") != NULL, "resumed: %s", out);
    HX_CHECK(!strstr(out, "saver: start"), "started again: %s", out);
    HX_CHECK(!strstr(out, "BAD"), "pattern damaged: %s", out);
    HX_CHECK(last_count(strstr(out, "guest-kit: resumed")
                            ? strstr(out, "guest-kit: resumed")
                            : out) >= before + 5,
             "counts on from above %lu: %s", before, out);
    snprintf(want, sizeof(want), "platform: %s",
             platform ? platform : hx.platform);
    HX_CHECK(strstr(hx_dominfo(name).text, want) != NULL, "%s: %s", want,
             hx_dominfo(name).text);
}

static void test_save_restore(void)
{
    const char *img = hx_fmt("%s/it.img", hx.dir);
    unsigned long before;
    struct hx_run r;
    struct stat st;
    int old;

    before = start_saver("it-save", NULL);
    old = domid_of("it-save");
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "it-save", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save");
    HX_CHECK(!hx_dominfo("it-save").found, "saved domain still listed");
    HX_REQUIRE(stat(img, &st) == 0, "image written");
    /* Only touched pages: the 4 MiB pattern and the kernel, not 32 MiB. */
    HX_CHECK(st.st_size > (4 << 20) && st.st_size < (12 << 20),
             "image of %lld bytes for a 32 MiB guest", (long long)st.st_size);
    restore_and_check("it-save", img, before, NULL);
    HX_CHECK(domid_of("it-save") != old, "a new domid (old %d)", old);
}

static void test_checkpoint(void)
{
    const char *img = hx_fmt("%s/ck.img", hx.dir);
    struct hx_run r;
    unsigned long before;
    const char *out;

    before = start_saver("it-ck", NULL);
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "-c", "it-ck", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save -c");
    HX_CHECK(strstr(r.err, "it keeps running") != NULL, "says: %s", r.err);
    /* The original runs on: its suspend hypercall returned 1. */
    out = console_until("it-ck", "suspend cancelled", before + 5);
    HX_CHECK(strstr(out, "guest-kit: suspend cancelled, running on") != NULL,
             "cancelled: %s", out);
    HX_CHECK(hx_count(out, "saver: start") == 1 && !strstr(out, "BAD"),
             "original continues: %s", out);
    /* And the checkpoint restores beside it under another name. */
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img, "name=it-ck2", NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "restore name=it-ck2");
    out = console_until("it-ck2", "guest-kit: resumed", before + 5);
    HX_CHECK(strstr(out, "guest-kit: resumed") && !strstr(out, "BAD") &&
                 !strstr(out, "saver: start"),
             "copy resumed: %s", out);
    HX_CHECK(hx_dominfo("it-ck").found && hx_dominfo("it-ck2").found,
             "both run");
}

static void test_cross_platform(void)
{
    const char *other = strcmp(hx.platform, "kvm") ? "kvm" : "proc";
    const char *img = hx_fmt("%s/x.img", hx.dir);
    struct hx_run r;
    unsigned long before;

    if (!strcmp(other, "kvm") && hx_kvm_usable()) {
        hx_skip_part("/dev/kvm", "restore on kvm: %s", hx_kvm_usable());
        return;
    }
    before = start_saver("it-x", NULL);
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "it-x", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save");
    restore_and_check("it-x", img, before, other);
    /* And back again. */
    before = last_count(hx_console("it-x", 2000, NULL, NULL));
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "it-x", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save again");
    restore_and_check("it-x", img, before, hx.platform);
}

/* Copies src to dst with an edit; returns dst. */
static const char *damaged(const char *src, const char *dst, long off,
                           const void *bytes, size_t n, long truncate_to)
{
    char cmd[2 * PATH_MAX + 16];
    int fd;

    snprintf(cmd, sizeof(cmd), "cp %s %s", src, dst);
    HX_REQUIRE(system(cmd) == 0, "copy the image");
    fd = open(dst, O_RDWR);
    HX_REQUIRE(fd >= 0, "open %s", dst);
    if (bytes)
        HX_REQUIRE(pwrite(fd, bytes, n, off) == (ssize_t)n, "edit");
    if (truncate_to >= 0)
        HX_REQUIRE(ftruncate(fd, truncate_to) == 0, "truncate");
    close(fd);
    return dst;
}

static void refused(const char *img, const char *needle)
{
    struct hx_run r;

    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img, "name=it-bad", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, needle),
             "restore %s: exit %d: %s (wanted '%s')", img, r.exit_code, r.err,
             needle);
    HX_CHECK(!hx_dominfo("it-bad").found, "a domain was left behind");
}

static void test_damaged(void)
{
    const char *img = hx_fmt("%s/ok.img", hx.dir);
    const char *bad = hx_fmt("%s/bad.img", hx.dir);
    struct hx_run r;
    struct stat st;
    uint32_t v2 = 2;
    uint8_t flip = 0xa5;

    start_saver("it-dmg", NULL);
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "-c", "it-dmg", img, NULL) == 0,
               "run pvctl");
    HX_REQUIRE_OK(&r, "save -c");
    HX_REQUIRE(stat(img, &st) == 0, "stat");
    refused(damaged(img, bad, st.st_size / 2, &flip, 1, -1),
            "checksum mismatch");
    refused(damaged(img, bad, 0, NULL, 0, st.st_size - 5000), "truncated: ");
    refused(damaged(img, bad, 0, NULL, 0, 50), "truncated: 50 bytes");
    refused(damaged(img, bad, 0, "XVISORSV", 8, -1), "not a pvisor save image");
    refused(
        damaged(img, bad, offsetof(struct pv_save_header, version), &v2, 4, -1),
        "version (offset 8) is 2");
    refused(damaged(img, bad, 0, NULL, 0, st.st_size + 3),
            "3 bytes after the trailer");
    refused("/dev/null", "not a pvisor save image");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "restore", img, "name=it-bad", "vcpus=4",
                        NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "come from the image"),
             "vcpus override: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "restore", img, "colour=red", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "unknown key 'colour'"),
             "unknown override: %s", r.err);
    /* The same name as a running domain: refused by pvisor, nothing left. */
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img, NULL) == 0, "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "already exists"),
             "same name: %s", r.err);
}

/* A kernel that ignores "suspend": the save times out, the guest runs on. */
static void test_no_suspend(void)
{
    static const char *const ov[] = { "cmdline=\"gk.suspend=off\"", NULL };
    const char *img = hx_fmt("%s/ns.img", hx.dir);
    unsigned long before;
    struct hx_run r;

    before = start_saver("it-ns", ov);
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "-t", "2", "it-ns", img, NULL) ==
                   0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "did not suspend within 2 s") &&
                 strstr(r.err, "it keeps running"),
             "save: exit %d: %s", r.exit_code, r.err);
    HX_CHECK(access(img, F_OK) != 0, "a partial image was left");
    const char *out = console_until("it-ns", NULL, before + 5);
    HX_CHECK(last_count(out) >= before + 5 && !strstr(out, "BAD"),
             "runs on: %s", out);
    const char *req = hxe_store_read(
        hx_fmt("/local/domain/%d/control/shutdown", domid_of("it-ns")));
    HX_CHECK(req && !strcmp(req, ""), "the request is taken back: %s",
             req ? req : "(unreadable)");
}

/* Save failures leave the source running: unknown domain, full disk. */
static void test_errors(void)
{
    unsigned long before;
    struct hx_run r;
    const char *out;

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "save", "nosuch",
                        hx_fmt("%s/n.img", hx.dir), NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "no domain named 'nosuch'"),
             "unknown domain: %s", r.err);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "restore", hx_fmt("%s/none.img", hx.dir),
                        NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "No such file"),
             "missing image: %s", r.err);

    before = start_saver("it-full", NULL);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "save", "it-full",
                        hx_fmt("%s/no/such/dir.img", hx.dir), NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 && strstr(r.err, "No such file or directory"),
             "bad path: %s", r.err);
    /* A full disk while the pages are written: the guest is resumed. */
    HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "it-full", "/dev/full", NULL) == 0,
               "run pvctl");
    HX_CHECK(r.exit_code == 1 &&
                 strstr(r.err, "writing /dev/full: No space left on device") &&
                 strstr(r.err, "resumed; it keeps running"),
             "full disk: exit %d: %s", r.exit_code, r.err);
    out = console_until("it-full", "suspend cancelled", before + 5);
    HX_CHECK(strstr(out, "suspend cancelled") && !strstr(out, "BAD") &&
                 last_count(strstr(out, "suspend cancelled")) >= before + 5,
             "runs on after the failed save: %s", out);
}

/* The highest K of "blkcheck: pass K OK" in text, 0 if none. */
static unsigned long last_pass(const char *text)
{
    return hxe_last_count(text, "blkcheck: pass ", " OK");
}

struct pass_arg {
    const char *after;
    unsigned long min;
};

static bool stop_pass(const char *out, void *arg)
{
    const struct pass_arg *a = arg;

    out = a->after ? strstr(out, a->after) : out;
    return out && (last_pass(out) >= a->min ||
                   (strstr(out, "failed") || strstr(out, "MISMATCH")));
}

/*
 * A guest with a disk keeps writing and verifying it after a restore (on
 * this platform, then on the other): its blkfront follows the new backend
 * directory and reconnects; the same backing file serves it.
 */
static void test_block(void)
{
    const char *img = hx_fmt("%s/blk.img", hx.dir);
    const char *disk = hx_fmt("%s/disk.raw", hx.dir);
    const char *ov[] = {
        hx_fmt("disk=['format=raw, vdev=xvda, access=rw, target=%s']", disk),
        "cmdline=\"dev=xvda seed=30 mode=loop\"", NULL
    };
    struct pass_arg pa = { NULL, 2 };
    const char *out;
    unsigned long before;
    struct hx_run r;
    int fd;

    fd = open(disk, O_CREAT | O_RDWR, 0600);
    HX_REQUIRE(fd >= 0 && ftruncate(fd, 16 << 20) == 0, "make %s", disk);
    close(fd);
    HX_REQUIRE(hxe_create(NULL, hx_example_cfg("blkcheck"), "blkcheck",
                          "it-blk", ov) > 0,
               "create blkcheck");
    out = hx_console("it-blk", HX_GUEST_MS, stop_pass, &pa);
    before = last_pass(out);
    HX_REQUIRE(before >= 2, "two passes before the save: %s", out);
    for (int round = 0; round < 2; round++) {
        const char *plat =
            round ? (strcmp(hx.platform, "kvm") ? "kvm" : "proc") : hx.platform;
        if (round && !strcmp(plat, "kvm") && hx_kvm_usable()) {
            hx_skip_part("/dev/kvm", "restore on kvm: %s", hx_kvm_usable());
            break;
        }
        HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "save", "it-blk", img, NULL) == 0,
                   "run pvctl");
        HX_REQUIRE_OK(&r, "save");
        HX_REQUIRE(hx_pvctl(&r, SAVE_MS, "restore", img,
                            hx_fmt("platform=%s", plat), NULL) == 0,
                   "run pvctl");
        HX_REQUIRE_OK(&r, "restore");
        pa = (struct pass_arg){ "guest-kit: resumed", 2 };
        out = hx_console("it-blk", HX_GUEST_MS, stop_pass, &pa);
        HX_CHECK(strstr(out, "blkfront: device/vbd/51712: resumed") &&
                     strstr(out, "reconnecting"),
                 "blkfront reconnects (%s): %s", plat, out);
        HX_CHECK(last_pass(strstr(out, "guest-kit: resumed")
                               ? strstr(out, "guest-kit: resumed")
                               : "") >= 2 &&
                     !(strstr(out, "failed") || strstr(out, "MISMATCH")),
                 "disk passes go on after the restore (%s): %s", plat, out);
    }
}

static const struct integ_test save_tests[] = {
    { "save_restore", test_save_restore },
    { "checkpoint", test_checkpoint },
    { "cross_platform", test_cross_platform },
    { "damaged", test_damaged },
    { "no_suspend", test_no_suspend },
    { "errors", test_errors },
    { "block", test_block },
    { NULL, NULL },
};

const struct integ_suite integ_suite_save = { "save", true, save_tests };
