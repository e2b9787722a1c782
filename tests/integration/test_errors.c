// SPDX-License-Identifier: MIT
/* test_errors.c: bad kernel images are refused and leave nothing behind. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Copies at most `keep` bytes of a guest image into the test directory. */
static const char *copy_image(const char *example, const char *name, long keep)
{
    const char *dst = hx_fmt("%s/%s", hx.dir, name);
    FILE *in = fopen(hx_guest_elf(example), "rb");
    FILE *out = fopen(dst, "wb");
    char buf[4096];
    long left = keep;
    size_t n;

    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return NULL;
    }
    while (left > 0 &&
           (n = fread(buf, 1, left < 4096 ? (size_t)left : 4096, in)) > 0) {
        fwrite(buf, 1, n, out);
        left -= (long)n;
    }
    fclose(in);
    return fclose(out) == 0 ? dst : NULL;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    return n;
}

/* Whether text contains (case-insensitively) one of "a|b|c". */
static bool says_any(const char *text, const char *alternatives)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", alternatives);
    for (char *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save))
        if (hx_contains_ci(text, w))
            return true;
    return false;
}

/* pvctl create with kernel=IMAGE fails naming the image and `why`. */
static void refused(const char *image, const char *why)
{
    const char *base = strrchr(image, '/') + 1;
    struct hx_run r, l0, l1;

    HX_REQUIRE(hx_pvctl(&l0, HX_CMD_MS, "list", NULL) == 0, "run");
    HX_REQUIRE_OK(&l0, "pvctl list");
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "create", hx_example_cfg("hello"),
                        "name=\"it-badimg\"", hx_fmt("kernel=\"%s\"", image),
                        NULL) == 0,
               "run");
    HX_CHECK(r.exit_code == 1, "create of a bad image: exit %d, want 1",
             r.exit_code);
    HX_CHECK(strstr(r.err, base) != NULL, "the error names %s: '%s'", base,
             r.err);
    HX_CHECK(says_any(r.err, why), "the error says '%s': '%s'", why, r.err);
    HX_CHECK(!strstr(r.err, "Started domain"), "no domain started: '%s'",
             r.err);

    HX_REQUIRE(hx_pvctl(&l1, HX_CMD_MS, "list", NULL) == 0, "run");
    HX_CHECK(!strstr(l1.out, "it-badimg"), "no domain left behind: '%s'",
             l1.out);
    HX_CHECK(hx_count(l0.out, "\n") == hx_count(l1.out, "\n"),
             "the domain list is unchanged:\nbefore:\n%s\nafter:\n%s", l0.out,
             l1.out);
}

/*
 * Reads the guest image's ELF and program headers; returns the end of the
 * file range of its last PT_LOAD segment and that segment's index.
 */
static long load_end(const char *path, int *seg, long *phoff)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    long end = -1;
    FILE *f = fopen(path, "rb");

    if (!f)
        return -1;
    if (fread(&eh, sizeof(eh), 1, f) != 1)
        goto out;
    for (int i = 0; i < eh.e_phnum; i++) {
        long at = (long)eh.e_phoff + (long)i * eh.e_phentsize;

        if (fseek(f, at, SEEK_SET) || fread(&ph, sizeof(ph), 1, f) != 1)
            break;
        if (ph.p_type == PT_LOAD && ph.p_filesz &&
            (long)(ph.p_offset + ph.p_filesz) > end) {
            end = (long)(ph.p_offset + ph.p_filesz);
            *seg = i;
            *phoff = at;
        }
    }
out:
    fclose(f);
    return end;
}

static void test_truncated_kernel(void)
{
    int seg = -1;
    long phoff = 0, end = load_end(hx_guest_elf("hello"), &seg, &phoff);
    const char *img;

    HX_REQUIRE(end > 0, "hello.elf has a PT_LOAD segment");
    /* Cut the file inside the last loaded segment. */
    img = copy_image("hello", "truncated.elf", end - 16);
    HX_REQUIRE(img, "write truncated.elf");
    refused(img, "beyond end of file|truncated");
}

static void test_kernel_header_only(void)
{
    const char *img = copy_image("hello", "header-only.elf", 40);

    HX_REQUIRE(img, "write header-only.elf");
    refused(img, "too short|truncated");
}

static void test_kernel_not_elf(void)
{
    const char *img = hx_write_file(
        "not-elf.elf",
        hx_fmt(
            "#!/bin/sh\n# %s\necho this is no kernel\n",
            "padding padding padding padding padding padding padding padding "
            "padding padding padding padding padding padding padding padding"));

    HX_REQUIRE(img, "write not-elf.elf");
    refused(img, "not an ELF");
}

static void test_kernel_missing(void)
{
    refused(hx_fmt("%s/no-such-kernel.elf", hx.dir), "no such file");
}

/* A segment whose memory size exceeds the domain's memory. */
static void test_kernel_too_big_for_memory(void)
{
    int seg = -1;
    long phoff = 0, size = file_size(hx_guest_elf("hello"));
    const char *img;
    Elf64_Phdr ph;
    FILE *f;

    HX_REQUIRE(load_end(hx_guest_elf("hello"), &seg, &phoff) > 0,
               "hello.elf has a PT_LOAD segment");
    img = copy_image("hello", "huge-bss.elf", size);
    HX_REQUIRE(img, "write huge-bss.elf");
    f = fopen(img, "r+b");
    HX_REQUIRE(f, "open huge-bss.elf");
    if (fseek(f, phoff, SEEK_SET) == 0 && fread(&ph, sizeof(ph), 1, f) == 1) {
        ph.p_memsz = 64ULL << 20; /* 64 MiB of bss; memory is 32 */
        fseek(f, phoff, SEEK_SET);
        fwrite(&ph, sizeof(ph), 1, f);
    }
    HX_REQUIRE(fclose(f) == 0, "write huge-bss.elf");
    refused(img, "KiB");
}

static const struct integ_test tests[] = {
    { "truncated_kernel", test_truncated_kernel },
    { "kernel_header_only", test_kernel_header_only },
    { "kernel_not_elf", test_kernel_not_elf },
    { "kernel_missing", test_kernel_missing },
    { "kernel_too_big_for_memory", test_kernel_too_big_for_memory },
    { NULL, NULL },
};

const struct integ_suite integ_suite_errors = { "errors", true, tests };
