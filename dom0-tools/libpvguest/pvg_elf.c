// SPDX-License-Identifier: MIT
/* pvg_elf.c: parse and validate an untrusted ELF64 image with Xen notes. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvg_internal.h"

#define PAGE_MASK_LOW ((uint64_t)PVG_PAGE_SIZE - 1)
#define IMAGE_MAX     (1ull << 30)

int pvg_fail(char *err, size_t errlen, const char *name, int code,
             const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err || !errlen)
        return code;
    n = snprintf(err, errlen, "%s: ", name);
    if (n < 0 || (size_t)n >= errlen)
        return code;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static int check_ehdr(const struct pvg_image *img, const Elf64_Ehdr *eh,
                      char *err, size_t errlen)
{
    const char *n = img->name;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "not an ELF file (bad "
                        "magic)");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "ELF class %u, expected "
                        "ELFCLASS64",
                        eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "ELF data encoding %u, "
                        "expected little-endian",
                        eh->e_ident[EI_DATA]);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return pvg_fail(err, errlen, n, -ENOEXEC, "unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "machine %u, expected "
                        "x86_64 (%u)",
                        eh->e_machine, EM_X86_64);
    if (eh->e_type != ET_EXEC)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "ELF type %u, expected an "
                        "executable (ET_EXEC)",
                        eh->e_type);
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "ELF header size %u, "
                        "expected %zu",
                        eh->e_ehsize, sizeof(Elf64_Ehdr));
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "program header size %u, "
                        "expected %zu",
                        eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phnum == 0)
        return pvg_fail(err, errlen, n, -ENOEXEC, "no program headers");
    if (eh->e_phnum > PVG_MAX_PHDRS)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "%u program headers (at "
                        "most %u)",
                        eh->e_phnum, PVG_MAX_PHDRS);
    return 0;
}

/* Validates a PT_LOAD and appends it (sorted later). */
static int add_load(struct pvg_image *img, const Elf64_Phdr *ph, unsigned i,
                    unsigned *idx, char *err, size_t errlen)
{
    const char *n = img->name;
    uint64_t end;

    if (ph->p_filesz > ph->p_memsz)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "segment %u: p_filesz "
                        "0x%llx larger than p_memsz 0x%llx",
                        i, (unsigned long long)ph->p_filesz,
                        (unsigned long long)ph->p_memsz);
    if (pvg_add_overflows(ph->p_offset, ph->p_filesz, &end) || end > img->size)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "segment %u: p_offset+"
                        "p_filesz 0x%llx+0x%llx beyond end of file (size "
                        "0x%zx)",
                        i, (unsigned long long)ph->p_offset,
                        (unsigned long long)ph->p_filesz, img->size);
    if (pvg_add_overflows(ph->p_vaddr, ph->p_memsz, &end) ||
        pvg_add_overflows(end, PAGE_MASK_LOW, &end))
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "segment %u: p_vaddr+"
                        "p_memsz 0x%llx+0x%llx wraps around",
                        i, (unsigned long long)ph->p_vaddr,
                        (unsigned long long)ph->p_memsz);
    if (ph->p_memsz == 0)
        return 0;
    if (img->nr_segments == PVG_MAX_SEGMENTS)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "more than %u loadable "
                        "segments",
                        PVG_MAX_SEGMENTS);
    idx[img->nr_segments] = i;
    img->seg[img->nr_segments++] = (struct pvg_segment){
        .offset = ph->p_offset,
        .filesz = ph->p_filesz,
        .vaddr = ph->p_vaddr,
        .paddr = ph->p_paddr,
        .memsz = ph->p_memsz,
        .flags = ph->p_flags,
    };
    return 0;
}

static void sort_segments(struct pvg_image *img, unsigned *idx)
{
    for (size_t i = 1; i < img->nr_segments; i++) {
        for (size_t j = i; j > 0 && img->seg[j].vaddr < img->seg[j - 1].vaddr;
             j--) {
            struct pvg_segment s = img->seg[j];
            unsigned t = idx[j];
            img->seg[j] = img->seg[j - 1];
            img->seg[j - 1] = s;
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    }
}

/* Name of section sh (from the section name table), or "". */
static const char *section_name(const struct pvg_image *img,
                                const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                                char *buf, size_t buflen)
{
    Elf64_Shdr st;
    uint64_t off;
    size_t i;

    buf[0] = '\0';
    if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
        return buf;
    memcpy(&st, img->data + eh->e_shoff + eh->e_shstrndx * sizeof(st),
           sizeof(st));
    if (st.sh_type != SHT_STRTAB || st.sh_offset > img->size ||
        st.sh_size > img->size - st.sh_offset || sh->sh_name >= st.sh_size)
        return buf;
    off = st.sh_offset + sh->sh_name;
    for (i = 0; i + 1 < buflen && off + i < st.sh_offset + st.sh_size &&
                img->data[off + i];
         i++)
        buf[i] = (char)img->data[off + i];
    buf[i] = '\0';
    return buf;
}

/*
 * When no PT_NOTE carries Xen notes: SHT_NOTE sections (`.note`,
 * `.note.Xen`, ...), then the legacy `__xen_guest` string section, in
 * libelf's order.
 */
static int scan_sections(struct pvg_image *img, const Elf64_Ehdr *eh,
                         struct pvg_notes_seen *seen, char *err, size_t errlen)
{
    uint64_t tab_size, tab_end;
    char where[48], name[32];

    if (eh->e_shoff == 0 || eh->e_shnum == 0)
        return 0;
    if (eh->e_shentsize != sizeof(Elf64_Shdr))
        return pvg_fail(err, errlen, img->name, -ENOEXEC,
                        "section header "
                        "size %u, expected %zu",
                        eh->e_shentsize, sizeof(Elf64_Shdr));
    tab_size = (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr);
    if (pvg_add_overflows(eh->e_shoff, tab_size, &tab_end) ||
        tab_end > img->size)
        return pvg_fail(err, errlen, img->name, -ENOEXEC,
                        "section headers "
                        "at 0x%llx (%u entries) beyond end of file (size "
                        "0x%zx)",
                        (unsigned long long)eh->e_shoff, eh->e_shnum,
                        img->size);
    for (int pass = 0; pass < 2 && !seen->any; pass++) {
        for (unsigned i = 0; i < eh->e_shnum; i++) {
            Elf64_Shdr sh;
            uint64_t end;
            int e;

            memcpy(&sh, img->data + eh->e_shoff + i * sizeof(sh), sizeof(sh));
            section_name(img, eh, &sh, name, sizeof(name));
            if (pass == 0 ? sh.sh_type != SHT_NOTE
                          : strcmp(name, "__xen_guest") != 0 ||
                                sh.sh_type == SHT_NOBITS)
                continue;
            if (pvg_add_overflows(sh.sh_offset, sh.sh_size, &end) ||
                end > img->size)
                return pvg_fail(err, errlen, img->name, -ENOEXEC,
                                "section %u (%s): "
                                "sh_offset+sh_size 0x%llx+0x%llx beyond end "
                                "of file (size 0x%zx)",
                                i, name, (unsigned long long)sh.sh_offset,
                                (unsigned long long)sh.sh_size, img->size);
            snprintf(where, sizeof(where), "section %u (%s)", i, name);
            if (pass == 0)
                e = pvg_parse_notes(img, seen, img->data + sh.sh_offset,
                                    sh.sh_size, where, err, errlen);
            else
                e = pvg_parse_xen_guest(img, seen, img->data + sh.sh_offset,
                                        sh.sh_size, err, errlen);
            if (e)
                return e;
        }
    }
    return 0;
}

/* Checks entry, hypercall page and virt_base against the segments. */
static int check_addresses(struct pvg_image *img, const unsigned *idx,
                           char *err, size_t errlen)
{
    const char *n = img->name;
    bool entry_ok = false, hp_ok = false;

    if (img->virt_base & PAGE_MASK_LOW)
        return pvg_fail(err, errlen, n, -EINVAL,
                        "virt_base 0x%llx is not "
                        "4 KiB aligned",
                        (unsigned long long)img->virt_base);
    for (size_t i = 0; i < img->nr_segments; i++) {
        const struct pvg_segment *s = &img->seg[i];
        uint64_t end = s->vaddr + s->memsz; /* checked in add_load */
        uint64_t pend = (end + PAGE_MASK_LOW) & ~PAGE_MASK_LOW;

        if (s->vaddr < img->virt_base)
            return pvg_fail(err, errlen, n, -ENOEXEC,
                            "segment %u: p_vaddr "
                            "0x%llx below virt_base 0x%llx",
                            idx[i], (unsigned long long)s->vaddr,
                            (unsigned long long)img->virt_base);
        if (i + 1 < img->nr_segments && end > img->seg[i + 1].vaddr)
            return pvg_fail(err, errlen, n, -ENOEXEC,
                            "segments %u "
                            "[0x%llx-0x%llx) and %u [0x%llx-...) overlap",
                            idx[i], (unsigned long long)s->vaddr,
                            (unsigned long long)end, idx[i + 1],
                            (unsigned long long)img->seg[i + 1].vaddr);
        if ((s->flags & PF_X) && img->entry >= s->vaddr && img->entry < end)
            entry_ok = true;
        if (img->has_paddr_offset &&
            s->paddr + (img->virt_base - img->paddr_offset) != s->vaddr)
            return pvg_fail(err, errlen, n, -ENOEXEC,
                            "segment %u: p_paddr 0x%llx + VIRT_BASE 0x%llx - "
                            "PADDR_OFFSET 0x%llx is not its p_vaddr 0x%llx",
                            idx[i], (unsigned long long)s->paddr,
                            (unsigned long long)img->virt_base,
                            (unsigned long long)img->paddr_offset,
                            (unsigned long long)s->vaddr);
        if (img->hypercall_page >= s->vaddr && img->hypercall_page < pend &&
            pend - img->hypercall_page >= PVG_PAGE_SIZE)
            hp_ok = true;
    }
    img->image_start = img->seg[0].vaddr & ~PAGE_MASK_LOW;
    img->image_end = (img->seg[img->nr_segments - 1].vaddr +
                      img->seg[img->nr_segments - 1].memsz + PAGE_MASK_LOW) &
                     ~PAGE_MASK_LOW;
    if (img->entry == 0 && !img->has_entry_note)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "no entry point (e_entry "
                        "is 0 and no Xen ENTRY note)");
    if (!entry_ok)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "entry point 0x%llx is not "
                        "inside an executable loaded segment",
                        (unsigned long long)img->entry);
    if (!img->has_hypercall_page)
        return 0; /* the kernel makes hypercalls with `syscall` */
    if (img->hypercall_page & PAGE_MASK_LOW)
        return pvg_fail(err, errlen, n, -EINVAL,
                        "hypercall page 0x%llx is "
                        "not 4 KiB aligned",
                        (unsigned long long)img->hypercall_page);
    if (!hp_ok)
        return pvg_fail(err, errlen, n, -EINVAL,
                        "hypercall page 0x%llx is "
                        "not inside a loaded segment",
                        (unsigned long long)img->hypercall_page);
    return 0;
}

int pvg_image_parse(const char *name, const void *data, size_t size,
                    struct pvg_image *img, char *err, size_t errlen)
{
    struct pvg_notes_seen seen = { 0 };
    unsigned idx[PVG_MAX_SEGMENTS];
    uint64_t ph_end;
    Elf64_Ehdr eh;
    char where[32];
    int e;

    memset(img, 0, sizeof(*img));
    snprintf(img->name, sizeof(img->name), "%s", name ? name : "image");
    img->data = data;
    img->size = size;
    if (err && errlen)
        err[0] = '\0';
    if (size < sizeof(eh))
        return pvg_fail(err, errlen, img->name, -ENOEXEC,
                        "file too short "
                        "for an ELF header (%zu bytes)",
                        size);
    memcpy(&eh, data, sizeof(eh));
    e = check_ehdr(img, &eh, err, errlen);
    if (e)
        return e;
    if (pvg_add_overflows(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr),
                          &ph_end) ||
        ph_end > size)
        return pvg_fail(err, errlen, img->name, -ENOEXEC,
                        "program headers "
                        "at 0x%llx (%u entries) beyond end of file (size "
                        "0x%zx)",
                        (unsigned long long)eh.e_phoff, eh.e_phnum, size);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t end;

        memcpy(&ph, img->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_LOAD) {
            e = add_load(img, &ph, i, idx, err, errlen);
        } else if (ph.p_type == PT_NOTE) {
            if (pvg_add_overflows(ph.p_offset, ph.p_filesz, &end) || end > size)
                return pvg_fail(err, errlen, img->name, -ENOEXEC,
                                "segment %u: p_offset+p_filesz 0x%llx+0x%llx "
                                "beyond end of file (size 0x%zx)",
                                i, (unsigned long long)ph.p_offset,
                                (unsigned long long)ph.p_filesz, size);
            snprintf(where, sizeof(where), "segment %u", i);
            e = pvg_parse_notes(img, &seen, img->data + ph.p_offset,
                                ph.p_filesz, where, err, errlen);
        }
        if (e)
            return e;
    }
    if (img->nr_segments == 0)
        return pvg_fail(err, errlen, img->name, -ENOEXEC,
                        "no loadable "
                        "segment");
    if (!seen.any) {
        e = scan_sections(img, &eh, &seen, err, errlen);
        if (e)
            return e;
    }
    if (!seen.any)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "no Xen notes (no \"Xen\" note in a PT_NOTE segment "
                        "or SHT_NOTE section, no __xen_guest section): not "
                        "a Xen PV kernel");
    if (!seen.entry)
        img->entry = eh.e_entry;
    img->has_entry_note = seen.entry;
    sort_segments(img, idx);
    return check_addresses(img, idx, err, errlen);
}

int pvg_image_load(const char *path, struct pvg_image *img, char *err,
                   size_t errlen)
{
    uint8_t *buf = NULL;
    struct stat st;
    size_t got = 0;
    int fd, e;

    memset(img, 0, sizeof(*img));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = -errno;
        return pvg_fail(err, errlen, path, e, "%s", strerror(-e));
    }
    if (fstat(fd, &st) < 0) {
        e = -errno;
        pvg_fail(err, errlen, path, e, "%s", strerror(-e));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = pvg_fail(err, errlen, path, -EINVAL, "not a regular file");
        goto out;
    }
    if ((uint64_t)st.st_size > IMAGE_MAX) {
        e = pvg_fail(err, errlen, path, -EFBIG,
                     "image of %lld bytes is "
                     "larger than 1 GiB",
                     (long long)st.st_size);
        goto out;
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        e = pvg_fail(err, errlen, path, -ENOMEM, "out of memory");
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = -errno;
            pvg_fail(err, errlen, path, e, "read: %s", strerror(-e));
            goto out;
        }
        if (n == 0)
            break; /* shrank while reading: parse what we have */
        got += (size_t)n;
    }
    e = pvg_image_parse(path, buf, got, img, err, errlen);
    if (e)
        goto out;
    img->owned = buf;
    buf = NULL;
out:
    free(buf);
    close(fd);
    if (e)
        memset(img, 0, sizeof(*img));
    return e;
}

void pvg_image_free(struct pvg_image *img)
{
    if (!img)
        return;
    free(img->owned);
    memset(img, 0, sizeof(*img));
}
