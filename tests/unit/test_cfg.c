// SPDX-License-Identifier: MIT
/* test_cfg.c: the xl.cfg parser and domain keys, table driven. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "unit.h"

#define K "kernel = \"/k.elf\"\n"

/* Parses text as hello.cfg (plus overrides) into d; returns the error. */
static int parse(const char *text, const char *const *ovr, struct cfg *c,
                 struct cfg_domain *d, char *err)
{
    int e;

    cfg_init(c);
    err[0] = '\0';
    e = cfg_parse_text(c, "hello.cfg", 1, text, true, err, CFG_ERR_MAX);
    for (int i = 0; !e && ovr && ovr[i]; i++)
        e = cfg_apply_override(c, ovr[i], i + 1, err, CFG_ERR_MAX);
    if (!e)
        e = cfg_domain_from(c, d, err, CFG_ERR_MAX);
    return e;
}

struct good {
    const char *text;
    const char *ovr[4];
    const char *name;
    uint64_t memory;
    uint32_t vcpus;
    const char *kernel;
    const char *cmdline;
    enum cfg_action poweroff, reboot, crash;
    const char *warning; /* the only warning expected, or NULL */
};

static const struct good goods[] = {
    { "name = \"hello\"\n" K,
      { NULL },
      "hello",
      128,
      1,
      "/k.elf",
      "",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
    { "# a comment\n\nname='web-1.x' # trailing\nmemory = 256\n"
      "vcpus = 4\n" K "on_poweroff = 'preserve'\non_reboot = \"destroy\"\n"
      "on_crash = 'restart'\n",
      { NULL },
      "web-1.x",
      256,
      4,
      "/k.elf",
      "",
      CFG_PRESERVE,
      CFG_DESTROY,
      CFG_RESTART,
      NULL },
    { "name=\"a\"; memory=0x40; vcpus=\"2\"\n" K,
      { NULL },
      "a",
      64,
      2,
      "/k.elf",
      "",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
    { "name = \"a\"\n" K "root = \"/dev/xvda1\"\nextra = \"console=hvc0\"\n",
      { NULL },
      "a",
      128,
      1,
      "/k.elf",
      "root=/dev/xvda1 console=hvc0",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
    { "name = \"a\"\n" K "extra = \"x=1\"\ncmdline = \"y=2\"\n",
      { NULL },
      "a",
      128,
      1,
      "/k.elf",
      "y=2",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      "hello.cfg:4: warning: cmdline given: root and extra are ignored" },
    { "name = \"a\"\n" K "extra = \"a\\tb\\\"c\\x41\"\n",
      { NULL },
      "a",
      128,
      1,
      "/k.elf",
      "a\tb\"cA",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
    { "name = \"a\"\nmemory = 64\nmemory = 96\n" K,
      { NULL },
      "a",
      96,
      1,
      "/k.elf",
      "",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      "hello.cfg:3: warning: memory set again (the value from line 2 is "
      "replaced)" },
    { "name = \"a\"\n" K "disk = [ 'phy:/dev/x,xvda,w',\n"
      "        # comment inside\n  \"file:/y,xvdb,r\", ]\n",
      { NULL },
      "a",
      128,
      1,
      "/k.elf",
      "",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL }, /* disk is known (dev_disk.c checks it) */
    { "name = \"a\"\nmemory = 64\n" K,
      { "memory=512", "vcpus = 3", "kernel='rel/k.elf'" },
      "a",
      512,
      3,
      "rel/k.elf",
      "",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
    { "name = \"a\"\n" K "type = \"pv\"\n",
      { "extra=\"quiet\"" },
      "a",
      128,
      1,
      "/k.elf",
      "quiet",
      CFG_DESTROY,
      CFG_RESTART,
      CFG_DESTROY,
      NULL },
};

static void test_good(void)
{
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        char err[CFG_ERR_MAX];
        struct cfg_domain d;
        struct cfg c;
        int e = parse(g->text, g->ovr, &c, &d, err);

        if (e)
            fprintf(stderr, "\ngood config %zu: %s\n", i, err);
        CU_ASSERT_EQUAL(e, 0);
        if (!e) {
            CU_ASSERT_STRING_EQUAL(d.name, g->name);
            CU_ASSERT_EQUAL(d.memory_mb, g->memory);
            CU_ASSERT_EQUAL(d.vcpus, g->vcpus);
            CU_ASSERT_STRING_EQUAL(d.kernel, g->kernel);
            CU_ASSERT_STRING_EQUAL(d.cmdline, g->cmdline);
            CU_ASSERT_EQUAL(d.on_poweroff, g->poweroff);
            CU_ASSERT_EQUAL(d.on_reboot, g->reboot);
            CU_ASSERT_EQUAL(d.on_crash, g->crash);
            CU_ASSERT_EQUAL(c.nr_warnings, g->warning ? 1 : 0);
            if (g->warning && c.nr_warnings == 1)
                CU_ASSERT_STRING_EQUAL(c.warnings[0], g->warning);
        }
        cfg_domain_free(&d);
        cfg_free(&c);
    }
}

struct bad {
    const char *text;
    const char *ovr;
    const char *err;
};

#define N "name = \"a\"\n"
static const struct bad bads[] = {
    { N K "memory = \"lots\"\n", NULL,
      "hello.cfg:3: memory: expected an integer, got \"lots\"" },
    { "memory = lots\n", NULL,
      "hello.cfg:1: memory: expected a value "
      "(\"string\", 'string', number or [ list ]), got 'lots'" },
    { N K "vcpus = 33\n", NULL,
      "hello.cfg:3: vcpus: 33 is out of range "
      "(1..32)" },
    { N K "memory = 0\n", NULL,
      "hello.cfg:3: memory: 0 MiB is out of range "
      "(1..1048576)" },
    { N K "memory = [ 1 ]\n", NULL,
      "hello.cfg:3: memory: expected an integer, got a list" },
    { N "memory = 128M\n", NULL, "hello.cfg:2: memory: bad number '128M'" },
    { N "memory = 99999999999999999999\n", NULL,
      "hello.cfg:2: memory: number '99999999999999999999' out of range" },
    { N "memory = 128 MiB\n", NULL,
      "hello.cfg:2: memory: unexpected 'MiB' after the value" },
    { "name = \"a b\"\n" K, NULL,
      "hello.cfg:1: name: character 2 is not one of [A-Za-z0-9_.-]" },
    { "name = \"123\"\n" K, NULL,
      "hello.cfg:1: name: '123' is all digits "
      "and would be taken for a domain id" },
    { "name = \"\"\n" K, NULL,
      "hello.cfg:1: name: must be 1..63 characters "
      "long" },
    { K, NULL, "hello.cfg: name: required key missing" },
    { N, NULL, "hello.cfg: kernel: required key missing" },
    { N "kernel = 5\n", NULL,
      "hello.cfg:2: kernel: expected a \"string\", got 5" },
    { N K "on_crash = \"coredump-destroy\"\n", NULL,
      "hello.cfg:3: on_crash: 'coredump-destroy' is not supported by pvisor "
      "(use destroy, restart or preserve)" },
    { N K "on_reboot = \"explode\"\n", NULL,
      "hello.cfg:3: on_reboot: "
      "expected destroy, restart or preserve, got \"explode\"" },
    { "name = \"abc\n", NULL,
      "hello.cfg:1: name: unterminated string (missing \")" },
    { N "extra = [ \"a\",\n \"b\"", NULL,
      "hello.cfg:3: extra: unterminated list (missing ])" },
    { N "extra = [ \"a\" \"b\" ]", NULL,
      "hello.cfg:2: extra: expected ',' or ']' in list, got '\"'" },
    { N "extra = [ [ ] ]", NULL,
      "hello.cfg:2: extra: lists cannot be "
      "nested" },
    { "name \"x\"\n", NULL,
      "hello.cfg:1: name: expected '=' after the key, "
      "got '\"'" },
    { "\n\n3 = 4\n", NULL,
      "hello.cfg:3: expected a setting 'key = value', "
      "got '3'" },
    { N "extra = \"a\\qb\"\n", NULL,
      "hello.cfg:2: extra: unknown escape '\\q' in string" },
    { N "extra = \"a\\x00\"\n", NULL,
      "hello.cfg:2: extra: bad \\x escape "
      "in string (two hex digits, not 00)" },
    { N K "type = \"hvm\"\n", NULL,
      "hello.cfg:3: type: only type = \"pv\" is supported, got \"hvm\"" },
    { N K "platform = \"xen\"\n", NULL,
      "hello.cfg:3: platform: want \"kvm\", \"proc\" or \"auto\", got "
      "\"xen\"" },
    /* A bare word on the command line is a string (xl does the same). */
    { N K, "memory=lots",
      "<command line>:1: memory: expected an integer, "
      "got \"lots\"" },
    { N K, "memory",
      "<command line>:1: 'memory' is not a key=value "
      "setting" },
    { N K, "vcpus=0", "<command line>:1: vcpus: 0 is out of range (1..32)" },
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        const struct bad *b = &bads[i];
        const char *ovr[] = { b->ovr, NULL };
        char err[CFG_ERR_MAX];
        struct cfg_domain d = { 0 };
        struct cfg c;
        int e = parse(b->text, ovr, &c, &d, err);

        CU_ASSERT_EQUAL(e, -EINVAL);
        if (strcmp(err, b->err) != 0)
            fprintf(stderr, "\nbad config %zu:\n  got  %s\n  want %s\n", i, err,
                    b->err);
        CU_ASSERT_STRING_EQUAL(err, b->err);
        cfg_domain_free(&d);
        cfg_free(&c);
    }
}

static void test_files(void)
{
    char dir[] = "/tmp/pvctl-cfg-XXXXXX", path[320], err[CFG_ERR_MAX];
    char want[400], sub[64];
    struct cfg_domain d = { 0 };
    struct cfg c;
    FILE *f;

    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    CU_ASSERT_FATAL(mkdir(sub, 0700) == 0);
    snprintf(path, sizeof(path), "%s/hello.cfg", sub);
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("name = \"hello\"\nkernel = \"hello.elf\"\nfoo = 1\n", f);
    fclose(f);

    cfg_init(&c);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, path, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg_domain_from(&c, &d, err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "%s/hello.elf", sub);
    CU_ASSERT_STRING_EQUAL(d.kernel, want);
    CU_ASSERT_EQUAL(c.nr_warnings, 1);
    snprintf(want, sizeof(want), "%s:3: warning: unknown key 'foo' ignored",
             path);
    if (c.nr_warnings)
        CU_ASSERT_STRING_EQUAL(c.warnings[0], want);
    cfg_domain_free(&d);
    cfg_free(&c);

    /* An absolute kernel path stays as it is. */
    cfg_init(&c);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, path, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(
        cfg_apply_override(&c, "kernel=\"/abs/k\"", 1, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg_domain_from(&c, &d, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(d.kernel, "/abs/k");
    cfg_domain_free(&d);
    cfg_free(&c);

    /* Errors inside a file name the file as given. */
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("name = \"x\"\n\nmemory = \"lots\"\nkernel = 'k'\n", f);
    fclose(f);
    cfg_init(&c);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, path, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(cfg_domain_from(&c, &d, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want),
             "%s:3: memory: expected an integer, got "
             "\"lots\"",
             path);
    CU_ASSERT_STRING_EQUAL(err, want);
    cfg_domain_free(&d);
    cfg_free(&c);

    /* A NUL byte, a directory, a missing file. */
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fwrite("name = \"x\"\0\n", 1, 12, f);
    fclose(f);
    cfg_init(&c);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, path, err, sizeof(err)), -EINVAL);
    CU_ASSERT(strstr(err, "NUL byte") != NULL);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, sub, err, sizeof(err)), -EISDIR);
    unlink(path);
    CU_ASSERT_EQUAL(cfg_parse_file(&c, path, err, sizeof(err)), -ENOENT);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(err, want);
    cfg_free(&c);
    rmdir(sub);
    rmdir(dir);
}

static void test_lookup_lists(void)
{
    char err[CFG_ERR_MAX];
    const struct cfg_entry *e;
    struct cfg c;

    cfg_init(&c);
    CU_ASSERT_EQUAL(cfg_parse_text(&c, "x.cfg", 1,
                                   "vif = [ 'mac=00:16:3e:0"
                                   "0:00:01,bridge=br0', 7, ]\nvif=[]\n",
                                   true, err, sizeof(err)),
                    0);
    e = cfg_lookup(&c, "vif");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->line, 2);
    CU_ASSERT_EQUAL(e->val.type, CFG_LIST);
    CU_ASSERT_EQUAL(e->val.nr_items, 0);
    CU_ASSERT_EQUAL(c.entries[0].val.nr_items, 2);
    CU_ASSERT_STRING_EQUAL(c.entries[0].val.items[1], "7");
    CU_ASSERT_PTR_NULL(cfg_lookup(&c, "disk"));
    cfg_free(&c);
}

/* cfg_get_list: absent, not a list, too long, fine. */
static void test_get_list(void)
{
    char err[CFG_ERR_MAX] = "";
    struct cfg c;
    int rc = 1;

    cfg_init(&c);
    CU_ASSERT_EQUAL_FATAL(cfg_parse_text(&c, "x.cfg", 1,
                                         "disk = 'xvda'\nvif = [ 'a', 'b' ]\n",
                                         true, err, sizeof(err)),
                          0);
    CU_ASSERT_PTR_NULL(
        cfg_get_list(&c, "pci", 4, "[ ]", err, sizeof(err), &rc));
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NULL(
        cfg_get_list(&c, "disk", 4, "[ 'vdev=xvda' ]", err, sizeof(err), &rc));
    CU_ASSERT_EQUAL(rc, -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "x.cfg:1: disk: must be a list, e.g. "
                                "[ 'vdev=xvda' ]");
    CU_ASSERT_PTR_NULL(
        cfg_get_list(&c, "vif", 1, "[ ]", err, sizeof(err), &rc));
    CU_ASSERT_EQUAL(rc, -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "x.cfg:2: vif: more than 1 vifs");
    CU_ASSERT_PTR_NOT_NULL(
        cfg_get_list(&c, "vif", 2, "[ ]", err, sizeof(err), &rc));
    CU_ASSERT_EQUAL(rc, 0);
    cfg_free(&c);
}

static const struct unit_test tests[] = {
    { "good configs", test_good },
    { "every error kind", test_bad },
    { "files and relative kernel", test_files },
    { "generic lists and lookup", test_lookup_lists },
    { "device lists", test_get_list },
    { NULL, NULL },
};

const struct unit_suite unit_suite_cfg = {
    .name = "cfg",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
