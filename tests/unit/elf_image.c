// SPDX-License-Identifier: MIT
/* elf_image.c: hand-made ELF images for the domain builder's unit tests. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "elf_image.h"

size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
                uint32_t descsz)
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

void make_image(struct img *t, uint64_t vb, unsigned notes)
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

int parse(struct img *t, struct pvg_image *img, char *err)
{
    return pvg_image_parse("t.elf", t->buf, t->size, img, err, PVG_ERR_MAX);
}
