// SPDX-License-Identifier: MIT
/* test_elf_xen.c: Xen notes as libelf reads them, real images, fuzzing. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvabi/elfnote.h>
#include <pvabi/pvisor.h>

#include "elf_image.h"
#include "pvguest.h"
#include "unit.h"

/* No HYPERCALL_PAGE note: the kernel uses `syscall` (GRUB does). */
static void test_no_hypercall_page(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    struct pvg_image img;
    struct img t;

    make_image(&t, VB, N_ALL & ~N_HCALL);
    CU_ASSERT_EQUAL_FATAL(parse(&t, &img, err), 0);
    CU_ASSERT_FALSE(img.has_hypercall_page);
    CU_ASSERT_EQUAL(pvg_layout_plan(&img, 4 * MiB, &lay, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(lay.hypercall_page_gpa, PV_NO_HYPERCALL_PAGE);
    free(t.buf);
}

/* VIRT_BASE 0 with an image linked at 2 MiB: RAM below it stays free. */
static void test_low_link_address(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    struct pvg_image img;
    uint64_t zero = 0;
    uint8_t *ram;
    struct img t;

    make_image(&t, 0x200000, N_ALL);
    /* VIRT_BASE follows the GNU note and three string notes. */
    memcpy(t.buf + NOTE_OFF + 20 + 3 * 24 + 16, &zero, 8);
    CU_ASSERT_EQUAL_FATAL(parse(&t, &img, err), 0);
    CU_ASSERT_EQUAL(img.virt_base, 0);
    CU_ASSERT_EQUAL(img.image_start, 0x200000);
    ram = calloc(1, 8 * MiB);
    CU_ASSERT_FATAL(ram != NULL);
    CU_ASSERT_EQUAL_FATAL(
        pvg_build(&img, ram, 8 * MiB, NULL, &lay, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(lay.image_start_gpa, 0x200000);
    CU_ASSERT_EQUAL(lay.start_info_gpa, 0x205000);
    CU_ASSERT_EQUAL(lay.entry_va, 0x200010);
    CU_ASSERT_EQUAL(lay.hypercall_page_gpa, 0x201000);
    CU_ASSERT(memcmp(ram + 0x200000, t.buf + 0x1000, 0x2000) == 0);
    free(ram);
    free(t.buf);
}

/* Every note type Xen defines is known by name; values are checked. */
static void test_note_kinds(void)
{
    static const char *const names[] = {
        "INFO",         "ENTRY",         "HYPERCALL_PAGE",
        "VIRT_BASE",    "PADDR_OFFSET",  "XEN_VERSION",
        "GUEST_OS",     "GUEST_VERSION", "LOADER",
        "PAE_MODE",     "FEATURES",      "BSD_SYMTAB",
        "HV_START_LOW", "L1_MFN_VALID",  "SUSPEND_CANCEL",
        "INIT_P2M",     "MOD_START_PFN", "SUPPORTED_FEATURES",
        "PHYS32_ENTRY",
    };

    for (uint32_t i = 0; i <= XEN_ELFNOTE_MAX; i++)
        CU_ASSERT_STRING_EQUAL(pvg_note_name(i), names[i]);
    CU_ASSERT_PTR_NULL(pvg_note_name(XEN_ELFNOTE_MAX + 1));
}

/* Extra notes appended after make_image's, with their expected outcome. */
static void test_note_values(void)
{
    static const struct {
        uint32_t type;
        const char *desc;
        uint32_t descsz;
        const char *msg; /* NULL: accepted */
    } cases[] = {
        { XEN_ELFNOTE_FEATURES, "writable_page_tables|pae_pgdir_above_4gb", 41,
          NULL },
        { XEN_ELFNOTE_FEATURES, "!writable_page_tables", 22, NULL },
        { XEN_ELFNOTE_FEATURES, "!auto_translated_physmap", 25,
          "t.elf: segment 0: note 7: Xen note FEATURES requires "
          "'auto_translated_physmap', which pvisor does not offer" },
        { XEN_ELFNOTE_FEATURES, "fast_everything", 16,
          "t.elf: segment 0: note 7: Xen note FEATURES names an unknown "
          "feature 'fast_everything'" },
        { XEN_ELFNOTE_XEN_VERSION, "xen-2.0", 8,
          "t.elf: segment 0: Xen note XEN_VERSION is \"xen-2.0\"; only "
          "\"xen-3.0\" kernels are loaded" },
        { XEN_ELFNOTE_LOADER, "bsd", 4,
          "t.elf: segment 0: Xen note LOADER is \"bsd\"; only the "
          "\"generic\" loader (or a Linux image) is supported" },
        { XEN_ELFNOTE_GUEST_OS, "abc", 3,
          "t.elf: segment 0: note 7: Xen note GUEST_OS is not a "
          "NUL-terminated string (3 bytes)" },
        { XEN_ELFNOTE_INIT_P2M, "\0\0\0\0\0\x80\0\0", 8, NULL },
        { XEN_ELFNOTE_SUSPEND_CANCEL, "\1", 1, NULL },
        { XEN_ELFNOTE_SUPPORTED_FEATURES, "\1\0", 2, NULL },
        { XEN_ELFNOTE_L1_MFN_VALID, "\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0", 15,
          NULL },
        { XEN_ELFNOTE_PHYS32_ENTRY, "\0\0\0", 3,
          "t.elf: segment 0: note 7: Xen note PHYS32_ENTRY has a 3-byte "
          "value (expected 1, 2, 4 or 8)" },
        { 0x1000001, "x", 1, NULL }, /* CRASH_INFO: not loader input */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[PVG_ERR_MAX];
        struct pvg_image img;
        struct img t;
        int e;

        make_image(&t, VB, N_ALL);
        t.note->p_filesz +=
            put_note(t.buf + NOTE_OFF + t.note->p_filesz, "Xen", cases[i].type,
                     cases[i].desc, cases[i].descsz);
        e = parse(&t, &img, err);
        if (!cases[i].msg) {
            CU_ASSERT_EQUAL(e, 0);
        } else {
            CU_ASSERT_EQUAL(e, -EINVAL);
            if (strcmp(err, cases[i].msg) != 0) {
                fprintf(stderr, "\nnote case %zu:\n  got  %s\n  want %s\n", i,
                        err, cases[i].msg);
                CU_FAIL("message");
            }
        }
        if (cases[i].type == XEN_ELFNOTE_SUPPORTED_FEATURES)
            CU_ASSERT_EQUAL(img.supported_features, 1);
        free(t.buf);
    }
}

/* PADDR_OFFSET: segments must sit where Xen's libelf would put them. */
static void test_paddr_offset(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_image img;
    uint64_t zero = 0;
    struct img t;

    make_image(&t, VB, N_ALL);
    t.note->p_filesz += put_note(t.buf + NOTE_OFF + t.note->p_filesz, "Xen",
                                 XEN_ELFNOTE_PADDR_OFFSET, &zero, 8);
    /* Linux's convention: p_paddr = p_vaddr - VIRT_BASE. */
    t.text->p_paddr = 0;
    t.data->p_paddr = 0x2000;
    CU_ASSERT_EQUAL(parse(&t, &img, err), 0);
    t.data->p_paddr = 0x3000;
    CU_ASSERT_EQUAL(parse(&t, &img, err), -ENOEXEC);
    CU_ASSERT_STRING_EQUAL(err, "t.elf: segment 2: p_paddr 0x3000 + "
                                "VIRT_BASE 0xffffffff80000000 - PADDR_OFFSET "
                                "0x0 is not its p_vaddr 0xffffffff80002000");
    free(t.buf);
}

/* The legacy __xen_guest string section, found by name. */
static void test_xen_guest_section(void)
{
    static const char legacy[] =
        "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE="
        "0xffffffff80000000,HYPERCALL_PAGE=0x1,LOADER=generic,PAE=yes";
    static const char strtab[] = "\0.shstrtab\0__xen_guest\0";
    char err[PVG_ERR_MAX];
    Elf64_Shdr sh[3] = { { 0 } };
    struct pvg_image img;
    struct img t;

    make_image(&t, VB, 0);
    t.note->p_type = PT_NULL;
    t.eh->e_entry = VB + 0x10;
    memcpy(t.buf + 0x900, legacy, sizeof(legacy));
    memcpy(t.buf + 0xa00, strtab, sizeof(strtab));
    sh[1] = (Elf64_Shdr){ .sh_name = 1,
                          .sh_type = SHT_STRTAB,
                          .sh_offset = 0xa00,
                          .sh_size = sizeof(strtab) };
    sh[2] = (Elf64_Shdr){ .sh_name = 11,
                          .sh_type = SHT_PROGBITS,
                          .sh_offset = 0x900,
                          .sh_size = sizeof(legacy) };
    memcpy(t.buf + 0x800, sh, sizeof(sh));
    t.eh->e_shoff = 0x800;
    t.eh->e_shnum = 3;
    t.eh->e_shstrndx = 1;
    t.eh->e_shentsize = sizeof(Elf64_Shdr);
    CU_ASSERT_EQUAL_FATAL(parse(&t, &img, err), 0);
    CU_ASSERT_EQUAL(img.virt_base, VB);
    CU_ASSERT_EQUAL(img.hypercall_page, VB + 0x1000);
    CU_ASSERT_STRING_EQUAL(img.guest_os, "linux");
    CU_ASSERT_STRING_EQUAL(img.guest_version, "2.6");
    /* A bad number is named. */
    memcpy(t.buf + 0x900 + 57, "zz", 2);
    CU_ASSERT_EQUAL(parse(&t, &img, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "t.elf: section __xen_guest: VIRT_BASE="
                                "zzffffff80000000 is not a hex number");
    /* Without it (renamed), the image has no Xen notes at all. */
    t.buf[0xa00 + 11] = 'X';
    CU_ASSERT_EQUAL(parse(&t, &img, err), -EINVAL);
    CU_ASSERT(strncmp(err, "t.elf: no Xen notes", 19) == 0);
    free(t.buf);
}

#define GRUB_IMAGE "/usr/lib/grub-xen/grub-x86_64-xen.bin"

/* Debian's GRUB Xen image (grub-xen-host), read whole; NULL if absent. */
static uint8_t *grub_image(size_t *size, const char *test)
{
    uint8_t *buf;
    FILE *f = fopen(GRUB_IMAGE, "rb");
    long n;

    if (!f) {
        unit_skip(test, GRUB_IMAGE
                  " not installed (Debian package "
                  "grub-xen-host; scripts/install-deps.sh installs it)");
        return NULL;
    }
    CU_ASSERT_FATAL(fseek(f, 0, SEEK_END) == 0);
    n = ftell(f);
    CU_ASSERT_FATAL(n > 0x1000);
    rewind(f);
    buf = malloc((size_t)n);
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_FATAL(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* File offset of the image's PT_NOTE segment and its phdr. */
static Elf64_Phdr *note_phdr(uint8_t *buf, unsigned *idx)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff) + i;
        if (ph->p_type == PT_NOTE) {
            *idx = i;
            return ph;
        }
    }
    CU_FAIL_FATAL("no PT_NOTE segment");
    return NULL;
}

static void test_grub_image(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    struct pvg_image img;
    size_t size;
    uint8_t *buf = grub_image(&size, "elf: GRUB's Xen image");

    if (!buf)
        return;
    CU_ASSERT_EQUAL_FATAL(
        pvg_image_parse("grub", buf, size, &img, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(img.guest_os, "GRUB");
    CU_ASSERT_STRING_EQUAL(img.loader, "generic");
    CU_ASSERT_STRING_EQUAL(img.xen_version, "xen-3.0");
    CU_ASSERT_EQUAL(img.entry, 0);
    CU_ASSERT_TRUE(img.has_entry_note);
    CU_ASSERT_EQUAL(img.virt_base, 0);
    CU_ASSERT_FALSE(img.has_hypercall_page);
    CU_ASSERT_EQUAL(img.image_start, 0);
    CU_ASSERT_EQUAL(pvg_layout_plan(&img, 32 * MiB, &lay, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(lay.entry_va, 0);
    CU_ASSERT_EQUAL(lay.hypercall_page_gpa, PV_NO_HYPERCALL_PAGE);
    free(buf);
}

/* The 32-bit PV and the PVH images of the same package: refused, named. */
static void test_grub_32bit(void)
{
    static const char *const paths[] = {
        "/usr/lib/grub-xen/grub-i386-xen.bin",
        "/usr/lib/grub-xen/grub-i386-xen_pvh.bin",
    };
    char err[PVG_ERR_MAX];
    struct pvg_image img;

    for (size_t i = 0; i < 2; i++) {
        if (access(paths[i], R_OK) != 0) {
            unit_skip("elf: GRUB's 32-bit images",
                      "grub-xen-host's 32-bit images are not installed");
            return;
        }
        CU_ASSERT_EQUAL(pvg_image_load(paths[i], &img, err, sizeof(err)),
                        -ENOEXEC);
        CU_ASSERT(strstr(err, ": ELF class 1, expected ELFCLASS64") != NULL);
    }
}

enum { F_U32 = -4, F_U64 = -8 }; /* widths; positive: byte counts */

/* One field of GRUB's image set to a hostile value, and the error. */
static const struct {
    int note_rel; /* 1: offset is inside the note segment */
    uint32_t off; /* file offset, or note-segment offset */
    int width;    /* F_U32 / F_U64, or a byte count to copy from bytes */
    uint64_t val;
    const char *bytes;
    int err;
    const char *msg; /* %u: the note segment's index */
} grub_muts[] = {
    { 1, 0x00, F_U32, 0xffff, NULL, -ENOEXEC,
      "grub: segment %u: note 0 at offset 0x0: name (65535 bytes) runs "
      "past the end (0x78)" },
    { 1, 0x04, F_U32, 0x6e6558, NULL, -ENOEXEC,
      "grub: segment %u: note 0 at offset 0x0: desc (7234904 bytes at "
      "0x10) runs past the end (0x78)" },
    { 1, 0x4c, F_U32, 3, NULL, -EINVAL,
      "grub: segment %u: note 3: Xen note ENTRY has a 3-byte value "
      "(expected 1, 2, 4 or 8)" },
    { 1, 0x40, 7, 0, "xen-2.0", -EINVAL,
      "grub: segment %u: Xen note XEN_VERSION is \"xen-2.0\"; only "
      "\"xen-3.0\" kernels are loaded" },
    { 1, 0x14, 1, 0, "X", -EINVAL,
      "grub: segment %u: note 0: Xen note GUEST_OS is not a "
      "NUL-terminated string (5 bytes)" },
    { 1, 0x58, F_U64, 0x700000, NULL, -ENOEXEC,
      "grub: entry point 0x700000 is not inside an executable loaded "
      "segment" },
    { 1, 0x70, F_U64, 0x1000, NULL, -ENOEXEC,
      "grub: segment 0: p_vaddr 0x0 below virt_base 0x1000" },
    { 1, 0x70, F_U64, 0x800, NULL, -EINVAL,
      "grub: virt_base 0x800 is not 4 KiB aligned" },
};

static void put_le(uint8_t *p, int width, uint64_t v)
{
    memcpy(p, &v, width == F_U32 ? 4 : 8);
}

static void test_grub_mutated(void)
{
    char err[PVG_ERR_MAX], want[PVG_ERR_MAX];
    struct pvg_image img;
    unsigned idx = 0;
    Elf64_Phdr *ph;
    size_t size;
    uint8_t *buf = grub_image(&size, "elf: mutated GRUB images");

    if (!buf)
        return;
    ph = note_phdr(buf, &idx);
    for (size_t i = 0; i < sizeof(grub_muts) / sizeof(grub_muts[0]); i++) {
        uint64_t off =
            grub_muts[i].off + (grub_muts[i].note_rel ? ph->p_offset : 0);
        uint8_t save[8];
        size_t n = grub_muts[i].width == F_U32   ? 4
                   : grub_muts[i].width == F_U64 ? 8
                                                 : (size_t)grub_muts[i].width;
        int e;

        CU_ASSERT_FATAL(off + n <= size);
        memcpy(save, buf + off, n);
        if (grub_muts[i].bytes)
            memcpy(buf + off, grub_muts[i].bytes, n);
        else
            put_le(buf + off, grub_muts[i].width, grub_muts[i].val);
        e = pvg_image_parse("grub", buf, size, &img, err, sizeof(err));
        memcpy(buf + off, save, n);
        snprintf(want, sizeof(want), grub_muts[i].msg, idx);
        CU_ASSERT_EQUAL(e, grub_muts[i].err);
        if (strcmp(err, want) != 0) {
            fprintf(stderr, "\ngrub mutation %zu:\n  got  %s\n  want %s\n", i,
                    err, want);
            CU_FAIL("message");
        }
    }
    /* The note segment cut short, past the file, or gone. */
    uint64_t filesz = ph->p_filesz;
    ph->p_filesz = 0x74;
    CU_ASSERT_EQUAL(pvg_image_parse("grub", buf, size, &img, err, sizeof(err)),
                    -ENOEXEC);
    snprintf(want, sizeof(want),
             "grub: segment %u: note 4 at offset 0x60: desc (8 bytes at "
             "0x70) runs past the end (0x74)",
             idx);
    CU_ASSERT_STRING_EQUAL(err, want);
    ph->p_filesz = 0x64;
    CU_ASSERT_EQUAL(pvg_image_parse("grub", buf, size, &img, err, sizeof(err)),
                    -ENOEXEC);
    snprintf(want, sizeof(want),
             "grub: segment %u: note 4 at offset 0x60: truncated header (4 "
             "of 12 bytes)",
             idx);
    CU_ASSERT_STRING_EQUAL(err, want);
    ph->p_filesz = size - ph->p_offset + 1;
    CU_ASSERT_EQUAL(pvg_image_parse("grub", buf, size, &img, err, sizeof(err)),
                    -ENOEXEC);
    CU_ASSERT(strstr(err, "beyond end of file") != NULL);
    ph->p_filesz = filesz;
    ph->p_type = PT_NULL;
    CU_ASSERT_EQUAL(pvg_image_parse("grub", buf, size, &img, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT(strncmp(err, "grub: no Xen notes", 18) == 0);
    free(buf);
}

static uint64_t fuzz_state = 0x9e3779b97f4a7c15ull;

static uint64_t fuzz_rand(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return fuzz_state;
}

/*
 * Random byte mutations of an image's headers and notes: the parser must
 * accept or refuse each with a message naming the image, and an accepted
 * image must plan and build into a small RAM without touching past it
 * (the ASan build checks the memory accesses).
 */
static void fuzz_image(uint8_t *buf, size_t size, const uint64_t *areas,
                       size_t nareas, unsigned iters, uint64_t mem)
{
    uint8_t *ram = malloc(mem);
    unsigned ok = 0, built = 0;

    CU_ASSERT_FATAL(ram != NULL);
    for (unsigned it = 0; it < iters; it++) {
        uint64_t offs[4];
        uint8_t save[4];
        unsigned nflip = 1 + (unsigned)(fuzz_rand() % 4);
        char err[PVG_ERR_MAX];
        struct pvg_layout lay;
        struct pvg_image img;
        int e;

        for (unsigned k = 0; k < nflip; k++) {
            size_t a = (size_t)(fuzz_rand() % nareas);
            offs[k] = areas[2 * a] + fuzz_rand() % areas[2 * a + 1];
            save[k] = buf[offs[k]];
            buf[offs[k]] = (uint8_t)fuzz_rand();
        }
        e = pvg_image_parse("fz", buf, size, &img, err, sizeof(err));
        if (e) {
            CU_ASSERT(strncmp(err, "fz: ", 4) == 0 && strlen(err) > 8);
        } else {
            ok++;
            if (built < 40 &&
                pvg_layout_plan(&img, mem, &lay, err, sizeof(err)) == 0) {
                CU_ASSERT_EQUAL(
                    pvg_build(&img, ram, mem, "x", &lay, err, sizeof(err)), 0);
                built++;
            }
        }
        for (unsigned k = nflip; k-- > 0;)
            buf[offs[k]] = save[k];
    }
    CU_ASSERT(ok > 0); /* some mutations are harmless */
    free(ram);
}

static void test_fuzz(void)
{
    struct img t;

    make_image(&t, VB, N_ALL);
    uint64_t areas[] = { 0, 0x40 + 3 * 56, NOTE_OFF, t.note->p_filesz };
    fuzz_image(t.buf, t.size, areas, 2, 20000, 1 * MiB);
    free(t.buf);
}

static void test_fuzz_grub(void)
{
    size_t size;
    uint8_t *buf = grub_image(&size, "elf: fuzzing GRUB's image");
    unsigned idx;

    if (!buf)
        return;
    Elf64_Phdr *ph = note_phdr(buf, &idx);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    uint64_t areas[] = {
        0,
        0x40,
        eh->e_phoff,
        (uint64_t)eh->e_phnum * 56,
        eh->e_shoff,
        (uint64_t)eh->e_shnum * 64,
        ph->p_offset,
        ph->p_filesz,
    };
    fuzz_image(buf, size, areas, 4, 20000, 8 * MiB);
    free(buf);
}

static const struct unit_test tests[] = {
    { "no hypercall page", test_no_hypercall_page },
    { "VIRT_BASE 0, linked at 2 MiB", test_low_link_address },
    { "every Xen note named", test_note_kinds },
    { "note values checked", test_note_values },
    { "PADDR_OFFSET against p_paddr", test_paddr_offset },
    { "legacy __xen_guest section", test_xen_guest_section },
    { "Debian's GRUB Xen image", test_grub_image },
    { "GRUB image with hostile fields", test_grub_mutated },
    { "GRUB's 32-bit images refused", test_grub_32bit },
    { "fuzz: mutated images", test_fuzz },
    { "fuzz: mutated GRUB images", test_fuzz_grub },
    { NULL, NULL },
};

const struct unit_suite unit_suite_elf_xen = {
    .name = "elf-xen",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
