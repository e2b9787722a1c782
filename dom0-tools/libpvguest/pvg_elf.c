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

/* Xen ELF note types (elfnote.h in Xen's public interface). */
#define NOTE_ENTRY          1
#define NOTE_HYPERCALL_PAGE 2
#define NOTE_VIRT_BASE      3
#define NOTE_PADDR_OFFSET   4
#define NOTE_XEN_VERSION    5
#define NOTE_GUEST_OS       6
#define NOTE_LOADER         8
#define NOTE_FEATURES       10

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

struct notes_seen {
    bool entry, hypercall_page, virt_base, any;
};

static uint64_t rd_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static void copy_note_string(char *dst, size_t dstlen, const uint8_t *p,
                             size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < dstlen && p[i]; i++)
        dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[i] = '\0';
}

/* One Xen note; desc is inside the file. */
static int xen_note(struct pvg_image *img, struct notes_seen *seen,
                    uint32_t type, const uint8_t *desc, uint32_t descsz,
                    const char *where, char *err, size_t errlen)
{
    static const char *const names[] = {
        [NOTE_ENTRY] = "ENTRY",
        [NOTE_HYPERCALL_PAGE] = "HYPERCALL_PAGE",
        [NOTE_VIRT_BASE] = "VIRT_BASE",
        [NOTE_PADDR_OFFSET] = "PADDR_OFFSET",
    };
    uint64_t v;

    switch (type) {
    case NOTE_ENTRY:
    case NOTE_HYPERCALL_PAGE:
    case NOTE_VIRT_BASE:
    case NOTE_PADDR_OFFSET:
        if (descsz != 4 && descsz != 8)
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note %s has a %u-byte value "
                            "(expected 4 or 8)",
                            where, names[type], descsz);
        v = rd_le(desc, descsz);
        if (type == NOTE_ENTRY) {
            img->entry = v;
            seen->entry = true;
        } else if (type == NOTE_HYPERCALL_PAGE) {
            img->hypercall_page = v;
            seen->hypercall_page = true;
        } else if (type == NOTE_VIRT_BASE) {
            img->virt_base = v;
            seen->virt_base = true;
        } else {
            img->paddr_offset = v;
            img->has_paddr_offset = true;
        }
        break;
    case NOTE_GUEST_OS:
        copy_note_string(img->guest_os, sizeof(img->guest_os), desc, descsz);
        break;
    case NOTE_XEN_VERSION:
        copy_note_string(img->xen_version, sizeof(img->xen_version), desc,
                         descsz);
        break;
    case NOTE_LOADER:
        copy_note_string(img->loader, sizeof(img->loader), desc, descsz);
        break;
    case NOTE_FEATURES:
        copy_note_string(img->features, sizeof(img->features), desc, descsz);
        break;
    default:
        break; /* other Xen notes do not concern this builder */
    }
    seen->any = true;
    return 0;
}

/* Walks the notes in p[0..len) (inside the file), 4- or 8-byte padded. */
static int parse_notes(struct pvg_image *img, struct notes_seen *seen,
                       const uint8_t *p, uint64_t len, uint64_t align,
                       const char *where, char *err, size_t errlen)
{
    uint64_t off = 0;

    while (off < len) {
        uint64_t namesz, descsz, name_end, desc_end;

        if (len - off < 12)
            return pvg_fail(err, errlen, img->name, -ENOEXEC,
                            "%s: truncated note header at offset 0x%llx", where,
                            (unsigned long long)off);
        namesz = rd_le(p + off, 4);
        descsz = rd_le(p + off + 4, 4);
        /* Both sizes are < 2^32, so these sums cannot overflow. */
        name_end = off + 12 + ((namesz + align - 1) & ~(align - 1));
        desc_end = name_end + ((descsz + align - 1) & ~(align - 1));
        if (off + 12 + namesz > len || name_end + descsz > len)
            return pvg_fail(
                err, errlen, img->name, -ENOEXEC,
                "%s: note at offset 0x%llx (name %llu bytes, "
                "desc %llu bytes) runs past the end (0x%llx)",
                where, (unsigned long long)off, (unsigned long long)namesz,
                (unsigned long long)descsz, (unsigned long long)len);
        if (namesz == 4 && memcmp(p + off + 12, "Xen", 4) == 0) {
            int e =
                xen_note(img, seen, (uint32_t)rd_le(p + off + 8, 4),
                         p + name_end, (uint32_t)descsz, where, err, errlen);
            if (e)
                return e;
        }
        off = desc_end < len ? desc_end : len;
    }
    return 0;
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

/* Fallback when no PT_NOTE carries Xen notes: SHT_NOTE sections. */
static int scan_sections(struct pvg_image *img, const Elf64_Ehdr *eh,
                         struct notes_seen *seen, char *err, size_t errlen)
{
    uint64_t tab_size, tab_end;
    char where[32];

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
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr sh;
        uint64_t end;
        int e;

        memcpy(&sh, img->data + eh->e_shoff + i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOTE)
            continue;
        if (pvg_add_overflows(sh.sh_offset, sh.sh_size, &end) ||
            end > img->size)
            return pvg_fail(err, errlen, img->name, -ENOEXEC,
                            "section %u: "
                            "sh_offset+sh_size 0x%llx+0x%llx beyond end of "
                            "file (size 0x%zx)",
                            i, (unsigned long long)sh.sh_offset,
                            (unsigned long long)sh.sh_size, img->size);
        snprintf(where, sizeof(where), "section %u", i);
        e = parse_notes(img, seen, img->data + sh.sh_offset, sh.sh_size,
                        sh.sh_addralign == 8 ? 8 : 4, where, err, errlen);
        if (e)
            return e;
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
        if (img->hypercall_page >= s->vaddr && img->hypercall_page < pend &&
            pend - img->hypercall_page >= PVG_PAGE_SIZE)
            hp_ok = true;
    }
    img->image_start = img->seg[0].vaddr & ~PAGE_MASK_LOW;
    img->image_end = (img->seg[img->nr_segments - 1].vaddr +
                      img->seg[img->nr_segments - 1].memsz + PAGE_MASK_LOW) &
                     ~PAGE_MASK_LOW;
    if (img->entry == 0)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "no entry point (e_entry "
                        "is 0 and no Xen ENTRY note)");
    if (!entry_ok)
        return pvg_fail(err, errlen, n, -ENOEXEC,
                        "entry point 0x%llx is not "
                        "inside an executable loaded segment",
                        (unsigned long long)img->entry);
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
    struct notes_seen seen = { 0 };
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
            e = parse_notes(img, &seen, img->data + ph.p_offset, ph.p_filesz,
                            ph.p_align == 8 ? 8 : 4, where, err, errlen);
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
    if (!seen.hypercall_page)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "no Xen "
                        "HYPERCALL_PAGE note (is this a Xen PV kernel?)");
    if (!seen.entry)
        img->entry = eh.e_entry;
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
