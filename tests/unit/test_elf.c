// SPDX-License-Identifier: MIT
/* test_elf.c: the domain builder on hand-made (and broken) ELF images. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvabi/xen.h>

#include "elf_image.h"
#include "pvguest.h"
#include "unit.h"

static void test_valid(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_image img;
    struct img t;

    make_image(&t, VB, N_ALL);
    CU_ASSERT_EQUAL_FATAL(parse(&t, &img, err), 0);
    CU_ASSERT_EQUAL(img.nr_segments, 2);
    CU_ASSERT_EQUAL(img.entry, VB + 0x10);
    CU_ASSERT_EQUAL(img.hypercall_page, VB + 0x1000);
    CU_ASSERT_EQUAL(img.virt_base, VB);
    CU_ASSERT_EQUAL(img.image_start, VB);
    CU_ASSERT_EQUAL(img.image_end, VB + 0x5000);
    CU_ASSERT_STRING_EQUAL(img.guest_os, "pvtest");
    CU_ASSERT_STRING_EQUAL(img.xen_version, "xen-3.0");
    CU_ASSERT_STRING_EQUAL(img.loader, "generic");
    /* Without the ENTRY note e_entry is used. */
    free(t.buf);
    make_image(&t, VB, N_ALL & ~N_ENTRY);
    t.eh->e_entry = VB + 0x20;
    CU_ASSERT_EQUAL(parse(&t, &img, err), 0);
    CU_ASSERT_EQUAL(img.entry, VB + 0x20);
    free(t.buf);
}

/* Notes found through SHT_NOTE sections when no PT_NOTE carries them. */
static void test_section_notes(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_image img;
    Elf64_Shdr sh[2] = { { 0 } };
    struct img t;

    make_image(&t, VB, N_ALL);
    t.note->p_type = PT_NULL;
    sh[1].sh_type = SHT_NOTE;
    sh[1].sh_offset = NOTE_OFF;
    sh[1].sh_size = t.note->p_filesz;
    sh[1].sh_addralign = 4;
    memcpy(t.buf + 0x800, sh, sizeof(sh));
    t.eh->e_shoff = 0x800;
    t.eh->e_shnum = 2;
    t.eh->e_shentsize = sizeof(Elf64_Shdr);
    CU_ASSERT_EQUAL(parse(&t, &img, err), 0);
    CU_ASSERT_EQUAL(img.hypercall_page, VB + 0x1000);
    t.eh->e_shoff = IMG_SIZE - 8;
    CU_ASSERT_EQUAL(parse(&t, &img, err), -ENOEXEC);
    CU_ASSERT_STRING_EQUAL(err, "t.elf: section headers at 0x30f8 (2 "
                                "entries) beyond end of file (size 0x3100)");
    free(t.buf);
}

enum mut {
    M_SHORT,
    M_MAGIC,
    M_CLASS,
    M_DATA,
    M_MACHINE,
    M_TYPE,
    M_PHENTSIZE,
    M_NOPHDR,
    M_PHOFF,
    M_PHOFF_WRAP,
    M_SEG_FILE,
    M_SEG_WRAP,
    M_FILESZ,
    M_OVERLAP,
    M_VWRAP,
    M_BELOW_VB,
    M_NO_ENTRY,
    M_ENTRY_DATA,
    M_HCALL_ALIGN,
    M_HCALL_OUT,
    M_NOTE_TRUNC,
    M_NOTE_SIZE,
    M_VB_ALIGN,
    M_NO_LOAD,
};

struct bad {
    enum mut m;
    int err;
    const char *msg; /* exact, or prefix when ending in '*' */
};

static const struct bad bads[] = {
    { M_SHORT, -ENOEXEC,
      "t.elf: file too short for an ELF header (40 "
      "bytes)" },
    { M_MAGIC, -ENOEXEC, "t.elf: not an ELF file (bad magic)" },
    { M_CLASS, -ENOEXEC, "t.elf: ELF class 1, expected ELFCLASS64" },
    { M_DATA, -ENOEXEC,
      "t.elf: ELF data encoding 2, expected little-"
      "endian" },
    { M_MACHINE, -ENOEXEC, "t.elf: machine 3, expected x86_64 (62)" },
    { M_TYPE, -ENOEXEC,
      "t.elf: ELF type 3, expected an executable "
      "(ET_EXEC)" },
    { M_PHENTSIZE, -ENOEXEC, "t.elf: program header size 32, expected 56" },
    { M_NOPHDR, -ENOEXEC, "t.elf: no program headers" },
    { M_PHOFF, -ENOEXEC,
      "t.elf: program headers at 0x30f0 (3 entries) "
      "beyond end of file (size 0x3100)" },
    { M_PHOFF_WRAP, -ENOEXEC,
      "t.elf: program headers at 0xfffffffffffffff0 "
      "(3 entries) beyond end of file (size 0x3100)" },
    { M_SEG_FILE, -ENOEXEC,
      "t.elf: segment 2: p_offset+p_filesz "
      "0x3000+0x1000 beyond end of file (size 0x3100)" },
    { M_SEG_WRAP, -ENOEXEC,
      "t.elf: segment 2: p_offset+p_filesz "
      "0xffffffffffffff00+0x100 beyond end of file (size 0x3100)" },
    { M_FILESZ, -ENOEXEC,
      "t.elf: segment 2: p_filesz 0x4000 larger than "
      "p_memsz 0x3000" },
    { M_OVERLAP, -ENOEXEC,
      "t.elf: segments 1 [0xffffffff80000000-"
      "0xffffffff80002000) and 2 [0xffffffff80001800-...) overlap" },
    { M_VWRAP, -ENOEXEC,
      "t.elf: segment 2: p_vaddr+p_memsz "
      "0xfffffffffffff000+0x3000 wraps around" },
    { M_BELOW_VB, -ENOEXEC,
      "t.elf: segment 2: p_vaddr 0x1000 below "
      "virt_base 0xffffffff80000000" },
    { M_NO_ENTRY, -ENOEXEC,
      "t.elf: no entry point (e_entry is 0 and no "
      "Xen ENTRY note)" },
    { M_ENTRY_DATA, -ENOEXEC,
      "t.elf: entry point 0xffffffff80002010 is not "
      "inside an executable loaded segment" },
    { M_HCALL_ALIGN, -EINVAL,
      "t.elf: hypercall page 0xffffffff80001008 is "
      "not 4 KiB aligned" },
    { M_HCALL_OUT, -EINVAL,
      "t.elf: hypercall page 0xffffffff80010000 is "
      "not inside a loaded segment" },
    { M_NOTE_TRUNC, -ENOEXEC,
      "t.elf: segment 0: note 0 at offset 0x0: desc (4294967295 bytes "
      "at 0x10) runs past the end (0xa4)" },
    { M_NOTE_SIZE, -EINVAL,
      "t.elf: segment 0: note 6: Xen note HYPERCALL_PAGE has "
      "a 3-byte value (expected 1, 2, 4 or 8)" },
    { M_VB_ALIGN, -EINVAL,
      "t.elf: virt_base 0xffffffff7ffff800 is not 4 "
      "KiB aligned" },
    { M_NO_LOAD, -ENOEXEC, "t.elf: no loadable segment" },
};

static void mutate(struct img *t, enum mut m)
{
    uint64_t v;

    switch (m) {
    case M_SHORT:
        t->size = 40;
        break;
    case M_MAGIC:
        t->buf[1] = 'X';
        break;
    case M_CLASS:
        t->eh->e_ident[EI_CLASS] = ELFCLASS32;
        break;
    case M_DATA:
        t->eh->e_ident[EI_DATA] = ELFDATA2MSB;
        break;
    case M_MACHINE:
        t->eh->e_machine = EM_386;
        break;
    case M_TYPE:
        t->eh->e_type = ET_DYN;
        break;
    case M_PHENTSIZE:
        t->eh->e_phentsize = 32;
        break;
    case M_NOPHDR:
        t->eh->e_phnum = 0;
        break;
    case M_PHOFF:
        t->eh->e_phoff = IMG_SIZE - 16;
        break;
    case M_PHOFF_WRAP:
        t->eh->e_phoff = ~0ull - 15;
        break;
    case M_SEG_FILE:
        t->data->p_filesz = 0x1000;
        break;
    case M_SEG_WRAP:
        t->data->p_offset = ~0ull - 0xff;
        break;
    case M_FILESZ:
        t->data->p_filesz = 0x4000;
        break;
    case M_OVERLAP:
        t->data->p_vaddr = VB + 0x1800;
        break;
    case M_VWRAP:
        t->data->p_vaddr = ~0ull - 0xfff;
        break;
    case M_BELOW_VB:
        t->data->p_vaddr = 0x1000;
        break;
    case M_NO_ENTRY:
        t->eh->e_entry = 0;
        break; /* image has no note */
    case M_ENTRY_DATA:
        t->eh->e_entry = VB + 0x2010;
        break;
    case M_HCALL_ALIGN:
    case M_HCALL_OUT:
        v = m == M_HCALL_ALIGN ? VB + 0x1008 : VB + 0x10000;
        /* The HYPERCALL_PAGE note is last: patch its value. */
        memcpy(t->buf + NOTE_OFF + t->note->p_filesz - 8, &v, 8);
        break;
    case M_NOTE_TRUNC:
        v = 0xffffffffu;
        memcpy(t->buf + NOTE_OFF + 4, &v, 4);
        break;
    case M_NOTE_SIZE:
        v = 3;
        memcpy(t->buf + NOTE_OFF + t->note->p_filesz - 24 + 4, &v, 4);
        break;
    case M_VB_ALIGN:
        /* VIRT_BASE follows the GNU note (20 bytes) and three string
         * notes (24 bytes each); its value is 16 bytes into it. */
        v = VB - 0x800;
        memcpy(t->buf + NOTE_OFF + 20 + 3 * 24 + 16, &v, 8);
        break;
    case M_NO_LOAD:
        t->text->p_type = PT_NULL;
        t->data->p_type = PT_NULL;
        break;
    }
}

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        const struct bad *b = &bads[i];
        unsigned notes = N_ALL;
        char err[PVG_ERR_MAX];
        struct pvg_image img;
        size_t n = strlen(b->msg);
        struct img t;
        int e;

        if (b->m == M_NO_ENTRY || b->m == M_ENTRY_DATA)
            notes &= ~N_ENTRY;
        make_image(&t, VB, notes);
        mutate(&t, b->m);
        e = parse(&t, &img, err);
        CU_ASSERT_EQUAL(e, b->err);
        if (b->msg[n - 1] == '*' ? strncmp(err, b->msg, n - 1) != 0
                                 : strcmp(err, b->msg) != 0) {
            fprintf(stderr, "\nbad image %zu:\n  got  %s\n  want %s\n", i, err,
                    b->msg);
            CU_FAIL("message");
        }
        free(t.buf);
    }
}

static int build(uint64_t vb, uint64_t mem, struct pvg_image *img,
                 struct img *t, uint8_t **ram, const char *cmdline,
                 struct pvg_layout *lay, char *err)
{
    make_image(t, vb, N_ALL);
    CU_ASSERT_FATAL(parse(t, img, err) == 0);
    *ram = malloc(mem);
    CU_ASSERT_FATAL(*ram != NULL);
    memset(*ram, 0xaa, mem);
    return pvg_build(img, *ram, mem, cmdline, lay, err, PVG_ERR_MAX);
}

static void test_layout_errors(void)
{
    static const struct {
        uint64_t vb, mem;
        int err;
        const char *msg;
    } cases[] = {
        { VB, 64 * 1024, -ENOMEM,
          "t.elf: image needs 120 KiB but domain has "
          "64 KiB (kernel 20 KiB, p2m 4 KiB, stack 64 KiB, page tables 16 "
          "KiB)" },
        { VB, 4 * MiB + 100, -EINVAL,
          "t.elf: memory size 0x400064 is not a "
          "non-zero multiple of 4 KiB" },
        { 0x00007f8000000000ull, 4 * MiB, -EINVAL,
          "t.elf: mapping memory at "
          "virt_base 0x7f8000000000-0x7f80003fffff overlaps pvisor's "
          "area 0x7f8000000000-0x7fffffffffff (L4 slot 255)" },
        { 0xfffffffffff00000ull, 4 * MiB, -EINVAL,
          "t.elf: virt_base "
          "0xfffffffffff00000 + memory 0x400000 wraps around the address "
          "space" },
        { 0x00007ffffff00000ull, 4 * MiB, -EINVAL,
          "t.elf: mapping memory at "
          "virt_base 0x7ffffff00000-0x8000002fffff leaves the "
          "canonical address space" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[PVG_ERR_MAX];
        struct pvg_layout lay;
        struct pvg_image img;
        struct img t;
        int e;

        make_image(&t, cases[i].vb, N_ALL);
        e = parse(&t, &img, err);
        CU_ASSERT_EQUAL(e, 0);
        if (!e) {
            e = pvg_layout_plan(&img, cases[i].mem, &lay, err, sizeof(err));
            CU_ASSERT_EQUAL(e, cases[i].err);
            if (strcmp(err, cases[i].msg) != 0) {
                fprintf(stderr, "\nlayout %zu:\n  got  %s\n  want %s\n", i, err,
                        cases[i].msg);
                CU_FAIL("message");
            }
        }
        free(t.buf);
    }
}

static void test_segment_outside_memory(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    struct pvg_image img;
    struct img t;

    make_image(&t, VB, N_ALL);
    t.data->p_vaddr = VB + 16 * MiB;
    CU_ASSERT_FATAL(parse(&t, &img, err) == 0);
    CU_ASSERT_EQUAL(pvg_layout_plan(&img, 8 * MiB, &lay, err, sizeof(err)),
                    -ENOMEM);
    CU_ASSERT_STRING_EQUAL(err,
                           "t.elf: segment at p_vaddr 0xffffffff81000000"
                           " (gpa 0x1000000, 0x3000 bytes) lies outside guest "
                           "memory (8192 KiB)");
    free(t.buf);
}

/* Translates va through the tables at pt (gpa); checks P|RW|U. */
static int walk(const uint8_t *ram, uint64_t mem, uint64_t pt, uint64_t va,
                uint64_t *gpa)
{
    uint64_t table = pt, e = 0;

    for (int level = 3; level >= 0; level--) {
        uint64_t idx = (va >> (12 + 9 * level)) & 511;
        if (table + idx * 8 + 8 > mem)
            return -1;
        memcpy(&e, ram + table + idx * 8, 8);
        if ((e & 7) != 7 || (e & ~0xfffull & ~(1ull << 63)) >= mem)
            return -1;
        table = e & ~0xfffull;
    }
    *gpa = table | (va & 0xfff);
    return 0;
}

static void check_layout(uint64_t vb, uint64_t mem)
{
    char err[PVG_ERR_MAX], cmdline[2000];
    struct start_info si;
    struct pvg_layout lay;
    struct pvg_image img;
    struct img t;
    uint8_t *ram;
    uint64_t gpa, bad = 0;

    memset(cmdline, 'c', sizeof(cmdline) - 1);
    cmdline[sizeof(cmdline) - 1] = '\0';
    CU_ASSERT_EQUAL_FATAL(build(vb, mem, &img, &t, &ram, cmdline, &lay, err),
                          0);
    /* Segments: copied, bss zeroed. */
    CU_ASSERT(memcmp(ram, t.buf + 0x1000, 0x2000) == 0);
    CU_ASSERT(memcmp(ram + 0x2000, t.buf + 0x3000, 0x100) == 0);
    for (size_t i = 0x2100; i < 0x5000; i++)
        bad += ram[i] != 0;
    CU_ASSERT_EQUAL(bad, 0);
    /* Order: image, start_info, console, store, p2m, stack, page tables;
     * shared_info is the last page, outside the guest's nr_pages. */
    CU_ASSERT_EQUAL(lay.start_info_gpa, 0x5000);
    CU_ASSERT_EQUAL(lay.console_gpa, 0x6000);
    CU_ASSERT_EQUAL(lay.store_gpa, 0x7000);
    CU_ASSERT_EQUAL(lay.p2m_gpa, 0x8000);
    CU_ASSERT_EQUAL(lay.shared_info_gpa, mem - 4096);
    CU_ASSERT_EQUAL(lay.nr_pages, mem / 4096 - 1);
    CU_ASSERT_EQUAL(lay.nr_p2m_frames, ((mem / 4096 - 1) * 8 + 4095) / 4096);
    CU_ASSERT_EQUAL(lay.stack_gpa, lay.p2m_gpa + lay.nr_p2m_frames * 4096);
    CU_ASSERT_EQUAL(lay.pt_base_gpa, lay.stack_gpa + PVG_STACK_SIZE);
    CU_ASSERT_EQUAL(lay.first_free_gpa,
                    lay.pt_base_gpa + lay.nr_pt_frames * 4096);
    CU_ASSERT(lay.first_free_gpa <= mem - 4096);
    CU_ASSERT_EQUAL(lay.stack_va, vb + lay.pt_base_gpa);
    CU_ASSERT_EQUAL(lay.start_info_va, vb + 0x5000);
    CU_ASSERT_EQUAL(lay.hypercall_page_gpa, 0x1000);
    CU_ASSERT_EQUAL(lay.entry_va, vb + 0x10);
    CU_ASSERT(lay.cmdline_truncated);
    /* start_info. */
    memcpy(&si, ram + lay.start_info_gpa, sizeof(si));
    CU_ASSERT_STRING_EQUAL(si.magic, "xen-3.0-x86_64");
    CU_ASSERT_EQUAL(si.nr_pages, mem / 4096 - 1);
    CU_ASSERT_EQUAL(si.shared_info, mem - 4096);
    CU_ASSERT_EQUAL(si.flags, 0);
    CU_ASSERT_EQUAL(si.store_mfn, 7);
    CU_ASSERT_EQUAL(si.store_evtchn, 0);
    CU_ASSERT_EQUAL(si.console.domU.mfn, 6);
    CU_ASSERT_EQUAL(si.console.domU.evtchn, 0);
    CU_ASSERT_EQUAL(si.pt_base, vb + lay.pt_base_gpa);
    CU_ASSERT_EQUAL(si.nr_pt_frames, lay.nr_pt_frames);
    CU_ASSERT_EQUAL(si.mfn_list, vb + 0x8000);
    CU_ASSERT_EQUAL(si.first_p2m_pfn, 8);
    CU_ASSERT_EQUAL(si.nr_p2m_frames, lay.nr_p2m_frames);
    CU_ASSERT_EQUAL(strlen((const char *)si.cmd_line), 1023);
    CU_ASSERT_EQUAL(si.mod_start, 0);
    /* Rings, shared_info and the stack are zeroed. */
    for (uint64_t a = lay.console_gpa; a < lay.p2m_gpa; a++)
        bad += ram[a] != 0;
    for (uint64_t a = lay.shared_info_gpa; a < mem; a++)
        bad += ram[a] != 0;
    for (uint64_t a = lay.stack_gpa; a < lay.pt_base_gpa; a++)
        bad += ram[a] != 0;
    CU_ASSERT_EQUAL(bad, 0);
    /* p2m identity and every page mapped at vb + gpa. */
    for (uint64_t pfn = 0; pfn < mem / 4096; pfn++) {
        uint64_t v;
        memcpy(&v, ram + lay.p2m_gpa + pfn * 8, 8);
        bad += pfn < lay.nr_pages && v != pfn;
        if (walk(ram, mem, lay.pt_base_gpa, vb + pfn * 4096 + 0x123, &gpa) ||
            gpa != pfn * 4096 + 0x123)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Nothing beyond RAM is mapped. */
    CU_ASSERT(walk(ram, mem, lay.pt_base_gpa, vb + mem, &gpa) != 0 ||
              vb + mem == 0);
    free(ram);
    free(t.buf);
}

static void test_layout_guestkit(void)
{
    check_layout(VB, 16 * MiB);
}

static void test_layout_unaligned_base(void)
{
    /* Crosses 2 MiB and 1 GiB edges inside the range. */
    check_layout(0xffffffffbffff000ull, 6 * MiB);
    check_layout(0x7ffff000ull, 4 * MiB);
}

static void test_layout_low_and_top(void)
{
    check_layout(0, 2 * MiB);
    check_layout(0xffffffffffc00000ull, 4 * MiB); /* ends at 2^64 */
}

static void test_plan_page_tables(void)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    struct pvg_image img;
    struct img t;

    make_image(&t, VB, N_ALL);
    CU_ASSERT_FATAL(parse(&t, &img, err) == 0);
    CU_ASSERT_EQUAL(pvg_layout_plan(&img, 1024 * MiB, &lay, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(lay.nr_l3, 1);
    CU_ASSERT_EQUAL(lay.nr_l2, 1);
    CU_ASSERT_EQUAL(lay.nr_l1, 512);
    CU_ASSERT_EQUAL(lay.nr_pt_frames, 515);
    CU_ASSERT_EQUAL(lay.nr_p2m_frames, 512);
    /* 2 GiB is the most that fits above guest-kit's base. */
    CU_ASSERT_EQUAL(pvg_layout_plan(&img, 2048 * MiB, &lay, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(
        pvg_layout_plan(&img, 2048 * MiB + 4096, &lay, err, sizeof(err)),
        -EINVAL);
    free(t.buf);
}

static void test_load_file(void)
{
    char path[] = "/tmp/pvg-elf-XXXXXX", err[PVG_ERR_MAX];
    struct pvg_image img;
    struct img t;
    FILE *f;
    int fd;

    make_image(&t, VB, N_ALL);
    fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    f = fdopen(fd, "w");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(fwrite(t.buf, 1, t.size, f) == t.size);
    fclose(f);
    CU_ASSERT_EQUAL(pvg_image_load(path, &img, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(img.nr_segments, 2);
    CU_ASSERT_PTR_NOT_NULL(img.owned);
    pvg_image_free(&img);
    /* Truncated on disk: the segment error names the file. */
    CU_ASSERT(truncate(path, 0x3080) == 0);
    CU_ASSERT_EQUAL(pvg_image_load(path, &img, err, sizeof(err)), -ENOEXEC);
    CU_ASSERT(strncmp(err, path, strlen(path)) == 0);
    CU_ASSERT(strstr(err, ": segment 2: p_offset+p_filesz 0x3000+0x100 "
                          "beyond end of file (size 0x3080)") != NULL);
    unlink(path);
    CU_ASSERT_EQUAL(pvg_image_load(path, &img, err, sizeof(err)), -ENOENT);
    CU_ASSERT(strstr(err, "No such file or directory") != NULL);
    CU_ASSERT_EQUAL(pvg_image_load("/tmp", &img, err, sizeof(err)), -EINVAL);
    free(t.buf);
}

static const struct unit_test tests[] = {
    { "valid image with notes", test_valid },
    { "notes from SHT_NOTE sections", test_section_notes },
    { "malformed images", test_bad },
    { "layout refusals", test_layout_errors },
    { "segment outside memory", test_segment_outside_memory },
    { "layout at guest-kit's base", test_layout_guestkit },
    { "layout at unaligned bases", test_layout_unaligned_base },
    { "layout low and at the top", test_layout_low_and_top },
    { "page-table counts and limits", test_plan_page_tables },
    { "load from a file", test_load_file },
    { NULL, NULL },
};

const struct unit_suite unit_suite_elf = {
    .name = "elf",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
