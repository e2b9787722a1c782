/* SPDX-License-Identifier: MIT */
/* elf_image.h: hand-made ELF images for the domain builder's unit tests. */
#ifndef PVISOR_TESTS_UNIT_ELF_IMAGE_H
#define PVISOR_TESTS_UNIT_ELF_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "pvguest.h"

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

/* Writes one note (4-byte padded) at p; returns its size. */
size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
                uint32_t descsz);

/*
 * A guest-kit-like image: notes at 0x200 (a GNU note, then the Xen notes
 * chosen by `notes`: strings, VIRT_BASE, ENTRY, HYPERCALL_PAGE), text
 * (R X) at file 0x1000 -> vb, 0x2000 bytes with the hypercall page at
 * vb+0x1000; data (RW) at file 0x3000 -> vb+0x2000, 0x100 bytes + bss up
 * to 0x3000. t->buf is malloc'd: free it.
 */
void make_image(struct img *t, uint64_t vb, unsigned notes);

/* pvg_image_parse of t under the name "t.elf". */
int parse(struct img *t, struct pvg_image *img, char *err);

#endif
