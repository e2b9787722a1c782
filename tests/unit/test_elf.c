// SPDX-License-Identifier: MIT
/* test_elf.c: the domain builder on hand-made (and broken) ELF images. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvabi/elfnote.h>
#include <pvabi/pvisor.h>
#include <pvabi/xen.h>

#include "pvguest.h"
#include "unit.h"

#define VB       0xffffffff80000000ull
#define IMG_SIZE 0x3100u
#define NOTE_OFF 0x200u
#define MiB      (1ull << 20)

/* Which notes make_image writes. */
enum { N_ENTRY = 1, N_HCALL = 2, N_VBASE = 4, N_STRINGS = 8, N_ALL = 15 };

struct img {
    uint8_t *buf;
    size_t size;
    Elf64_Ehdr *eh;
    Elf64_Phdr *note, *text, *data; /* phdrs 0, 1, 2 */
};

static size_t put_note(uint8_t *p, const char *name, uint32_t type,
                       const void *desc, uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    size_t off = 12;

    memcpy(p, &namesz, 4);
    memcpy(p + 4, &descsz, 4);
    memcpy(p + 8, &type, 4);
    memcpy(p + off, name, namesz);
    off += (namesz + 3) & ~3u;
    memcpy(p + off, desc, descsz);
    return off + ((descsz + 3) & ~3u);
}

/*
 * A guest-kit-like image: notes at 0x200, text (R X) at file 0x1000 ->
 * VB, 0x2000 bytes with the hypercall page at VB+0x1000; data (RW) at
 * file 0x3000 -> VB+0x2000, 0x100 bytes + bss up to 0x3000.
 */
static void make_image(struct img *t, uint64_t vb, unsigned notes)
{
    uint64_t entry = vb + 0x10, hcall = vb + 0x1000;
    size_t n = 0;
    uint8_t *p;

    t->size = IMG_SIZE;
    t->buf = calloc(1, IMG_SIZE);
    CU_ASSERT_FATAL(t->buf != NULL);
    p = t->buf;
    t->eh = (Elf64_Ehdr *)p;
    memcpy(t->eh->e_ident, ELFMAG, SELFMAG);
    t->eh->e_ident[EI_CLASS] = ELFCLASS64;
    t->eh->e_ident[EI_DATA] = ELFDATA2LSB;
    t->eh->e_ident[EI_VERSION] = EV_CURRENT;
    t->eh->e_type = ET_EXEC;
    t->eh->e_machine = EM_X86_64;
    t->eh->e_version = EV_CURRENT;
    t->eh->e_entry = entry;
    t->eh->e_phoff = sizeof(Elf64_Ehdr);
    t->eh->e_ehsize = sizeof(Elf64_Ehdr);
    t->eh->e_phentsize = sizeof(Elf64_Phdr);
    t->eh->e_phnum = 3;
    t->note = (Elf64_Phdr *)(p + sizeof(Elf64_Ehdr));
    t->text = t->note + 1;
    t->data = t->note + 2;

    n += put_note(p + NOTE_OFF + n, "GNU", 3, "\1\2\3\4", 4);
    if (notes & N_STRINGS) {
        n += put_note(p + NOTE_OFF + n, "Xen", 6, "pvtest", 7);
        n += put_note(p + NOTE_OFF + n, "Xen", 5, "xen-3.0", 8);
        n += put_note(p + NOTE_OFF + n, "Xen", 8, "generic", 8);
    }
    if (notes & N_VBASE)
        n += put_note(p + NOTE_OFF + n, "Xen", 3, &vb, 8);
    if (notes & N_ENTRY)
        n += put_note(p + NOTE_OFF + n, "Xen", 1, &entry, 8);
    if (notes & N_HCALL)
        n += put_note(p + NOTE_OFF + n, "Xen", 2, &hcall, 8);
    *t->note = (Elf64_Phdr){
        .p_type = PT_NOTE, .p_offset = NOTE_OFF, .p_filesz = n, .p_align = 4
    };
    *t->text = (Elf64_Phdr){ .p_type = PT_LOAD,
                             .p_flags = PF_R | PF_X,
                             .p_offset = 0x1000,
                             .p_vaddr = vb,
                             .p_paddr = vb,
                             .p_filesz = 0x2000,
                             .p_memsz = 0x2000 };
    *t->data = (Elf64_Phdr){ .p_type = PT_LOAD,
                             .p_flags = PF_R | PF_W,
                             .p_offset = 0x3000,
                             .p_vaddr = vb + 0x2000,
                             .p_paddr = vb + 0x2000,
                             .p_filesz = 0x100,
                             .p_memsz = 0x3000 };
    for (size_t i = 0x1000; i < IMG_SIZE; i++)
        p[i] = (uint8_t)(i * 13 + 1);
}

static int parse(struct img *t, struct pvg_image *img, char *err)
{
    return pvg_image_parse("t.elf", t->buf, t->size, img, err, PVG_ERR_MAX);
}

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
    { "no hypercall page", test_no_hypercall_page },
    { "VIRT_BASE 0, linked at 2 MiB", test_low_link_address },
    { "every Xen note named", test_note_kinds },
    { "note values checked", test_note_values },
    { "PADDR_OFFSET against p_paddr", test_paddr_offset },
    { "legacy __xen_guest section", test_xen_guest_section },
    { "Debian's GRUB Xen image", test_grub_image },
    { "GRUB image with hostile fields", test_grub_mutated },
    { "fuzz: mutated images", test_fuzz },
    { "fuzz: mutated GRUB images", test_fuzz_grub },
    { NULL, NULL },
};

const struct unit_suite unit_suite_elf = {
    .name = "elf",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
