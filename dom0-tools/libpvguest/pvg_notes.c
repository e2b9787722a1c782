// SPDX-License-Identifier: MIT
/* pvg_notes.c: Xen ELF notes and the legacy __xen_guest string, as libelf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/elfnote.h>

#include "pvg_internal.h"

/*
 * Every note Xen defines (XEN_ELFNOTE_INFO .. PHYS32_ENTRY) is read and
 * its size checked. `use` says what the builder does with it; the notes
 * marked IGNORED are listed in docs/abi.md ("Running unmodified Xen
 * guests") with the reason.
 */
enum note_kind { K_ANY, K_NUM, K_STR };
enum note_use { USED, CHECKED, IGNORED };

struct note_def {
    const char *name;
    enum note_kind kind;
    enum note_use use;
};

static const struct note_def note_defs[XEN_ELFNOTE_MAX + 1] = {
    [XEN_ELFNOTE_INFO] = { "INFO", K_ANY, IGNORED },
    [XEN_ELFNOTE_ENTRY] = { "ENTRY", K_NUM, USED },
    [XEN_ELFNOTE_HYPERCALL_PAGE] = { "HYPERCALL_PAGE", K_NUM, USED },
    [XEN_ELFNOTE_VIRT_BASE] = { "VIRT_BASE", K_NUM, USED },
    [XEN_ELFNOTE_PADDR_OFFSET] = { "PADDR_OFFSET", K_NUM, CHECKED },
    [XEN_ELFNOTE_XEN_VERSION] = { "XEN_VERSION", K_STR, CHECKED },
    [XEN_ELFNOTE_GUEST_OS] = { "GUEST_OS", K_STR, CHECKED },
    [XEN_ELFNOTE_GUEST_VERSION] = { "GUEST_VERSION", K_STR, USED },
    [XEN_ELFNOTE_LOADER] = { "LOADER", K_STR, CHECKED },
    [XEN_ELFNOTE_PAE_MODE] = { "PAE_MODE", K_STR, IGNORED },
    [XEN_ELFNOTE_FEATURES] = { "FEATURES", K_STR, CHECKED },
    [XEN_ELFNOTE_BSD_SYMTAB] = { "BSD_SYMTAB", K_STR, IGNORED },
    [XEN_ELFNOTE_HV_START_LOW] = { "HV_START_LOW", K_NUM, IGNORED },
    [XEN_ELFNOTE_L1_MFN_VALID] = { "L1_MFN_VALID", K_ANY, IGNORED },
    [XEN_ELFNOTE_SUSPEND_CANCEL] = { "SUSPEND_CANCEL", K_NUM, IGNORED },
    [XEN_ELFNOTE_INIT_P2M] = { "INIT_P2M", K_NUM, IGNORED },
    [XEN_ELFNOTE_MOD_START_PFN] = { "MOD_START_PFN", K_NUM, IGNORED },
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = { "SUPPORTED_FEATURES", K_NUM, USED },
    [XEN_ELFNOTE_PHYS32_ENTRY] = { "PHYS32_ENTRY", K_NUM, IGNORED },
};

const char *pvg_note_name(uint32_t type)
{
    if (type <= XEN_ELFNOTE_MAX)
        return note_defs[type].name;
    return NULL;
}

static uint64_t rd_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* A printable copy of p[0..n) (up to its NUL) into dst. */
static void copy_str(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < dstlen && p[i]; i++)
        dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    dst[i] = '\0';
}

/*
 * Xen's feature names (XENFEAT_* in the order of libelf's table) and
 * whether pvisor offers them to a PV guest.
 */
static const struct {
    const char *name;
    bool offered;
} features[] = {
    { "writable_page_tables", true },
    { "writable_descriptor_tables", false },
    { "auto_translated_physmap", false },
    { "supervisor_mode_kernel", false },
    { "pae_pgdir_above_4gb", true }, /* meaningless on x86_64 */
    { "hvm_callback_vector", false },
    { "dom0", false },
};

/* FEATURES: '|'-separated names; a leading '!' marks a required one. */
static int check_features(struct pvg_image *img, const char *where, char *err,
                          size_t errlen)
{
    const char *p = img->features;

    while (*p) {
        size_t len = strcspn(p, "|");
        bool required = *p == '!';
        const char *name = p + required;
        size_t nlen = len - required;
        size_t i;

        for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
            if (strlen(features[i].name) == nlen &&
                memcmp(features[i].name, name, nlen) == 0)
                break;
        if (nlen && i == sizeof(features) / sizeof(features[0]))
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note FEATURES names an unknown "
                            "feature '%.*s'",
                            where, (int)nlen, name);
        if (nlen && required && !features[i].offered)
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note FEATURES requires '%.*s', which "
                            "pvisor does not offer",
                            where, (int)nlen, name);
        p += len;
        if (*p == '|')
            p++;
    }
    return 0;
}

/* String notes that must have a given value when present (as libelf). */
static int check_strings(struct pvg_image *img, const char *where, char *err,
                         size_t errlen)
{
    if (img->xen_version[0] && strncmp(img->xen_version, "xen-3.0", 7) != 0)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "%s: Xen note XEN_VERSION is \"%s\"; only "
                        "\"xen-3.0\" kernels are loaded",
                        where, img->xen_version);
    if (img->loader[0] && strcmp(img->loader, "generic") != 0 &&
        strcmp(img->guest_os, "linux") != 0)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "%s: Xen note LOADER is \"%s\"; only the "
                        "\"generic\" loader (or a Linux image) is supported",
                        where, img->loader);
    return 0;
}

/* One Xen note: type with desc[0..descsz), inside the file. */
static int xen_note(struct pvg_image *img, struct pvg_notes_seen *seen,
                    uint32_t type, const uint8_t *desc, uint32_t descsz,
                    const char *where, char *err, size_t errlen)
{
    const struct note_def *def;
    uint64_t v = 0;

    seen->any = true;
    if (type > XEN_ELFNOTE_MAX || !note_defs[type].name)
        return 0; /* dump-core and crash notes: not loader input */
    def = &note_defs[type];
    if (def->kind == K_NUM) {
        if (descsz != 1 && descsz != 2 && descsz != 4 && descsz != 8)
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note %s has a %u-byte value "
                            "(expected 1, 2, 4 or 8)",
                            where, def->name, descsz);
        v = rd_le(desc, descsz);
    } else if (def->kind == K_STR) {
        if (descsz == 0 || memchr(desc, '\0', descsz) == NULL)
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note %s is not a NUL-terminated string "
                            "(%u bytes)",
                            where, def->name, descsz);
    }
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        img->entry = v;
        seen->entry = true;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        img->hypercall_page = v;
        img->has_hypercall_page = true;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        img->virt_base = v;
        seen->virt_base = true;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        img->paddr_offset = v;
        img->has_paddr_offset = true;
        break;
    case XEN_ELFNOTE_XEN_VERSION:
        copy_str(img->xen_version, sizeof(img->xen_version), desc, descsz);
        break;
    case XEN_ELFNOTE_GUEST_OS:
        copy_str(img->guest_os, sizeof(img->guest_os), desc, descsz);
        break;
    case XEN_ELFNOTE_GUEST_VERSION:
        copy_str(img->guest_version, sizeof(img->guest_version), desc, descsz);
        break;
    case XEN_ELFNOTE_LOADER:
        copy_str(img->loader, sizeof(img->loader), desc, descsz);
        break;
    case XEN_ELFNOTE_FEATURES:
        if (strnlen((const char *)desc, descsz) >= sizeof(img->features))
            return pvg_fail(err, errlen, img->name, -EINVAL,
                            "%s: Xen note FEATURES is longer than %zu bytes",
                            where, sizeof(img->features) - 1);
        copy_str(img->features, sizeof(img->features), desc, descsz);
        return check_features(img, where, err, errlen);
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        img->supported_features = (uint32_t)v;
        break;
    default:
        break; /* read and size-checked; see note_defs[].use */
    }
    return 0;
}

/*
 * Walks the notes in p[0..len) (inside the file). Name and descriptor are
 * each padded to 4 bytes whatever the segment's or section's alignment:
 * that is what Xen's libelf and the toolchains' Xen note macros do, and
 * what an 8-aligned GNU property note (name "GNU\0", 8-multiple
 * descriptors) also satisfies.
 */
int pvg_parse_notes(struct pvg_image *img, struct pvg_notes_seen *seen,
                    const uint8_t *p, uint64_t len, const char *where,
                    char *err, size_t errlen)
{
    uint64_t off = 0;
    unsigned idx = 0;

    while (off < len) {
        uint64_t namesz, descsz, name_off, desc_off, next;
        char nwhere[64];

        if (len - off < 12)
            return pvg_fail(err, errlen, img->name, -ENOEXEC,
                            "%s: note %u at offset 0x%llx: truncated header "
                            "(%llu of 12 bytes)",
                            where, idx, (unsigned long long)off,
                            (unsigned long long)(len - off));
        namesz = rd_le(p + off, 4);
        descsz = rd_le(p + off + 4, 4);
        /* Sizes are < 2^32 and off < 2^62: no sum below overflows. */
        name_off = off + 12;
        desc_off = name_off + ((namesz + 3) & ~3ull);
        next = desc_off + ((descsz + 3) & ~3ull);
        if (name_off + namesz > len)
            return pvg_fail(err, errlen, img->name, -ENOEXEC,
                            "%s: note %u at offset 0x%llx: name (%llu bytes) "
                            "runs past the end (0x%llx)",
                            where, idx, (unsigned long long)off,
                            (unsigned long long)namesz,
                            (unsigned long long)len);
        if (desc_off + descsz > len)
            return pvg_fail(
                err, errlen, img->name, -ENOEXEC,
                "%s: note %u at offset 0x%llx: desc (%llu bytes "
                "at 0x%llx) runs past the end (0x%llx)",
                where, idx, (unsigned long long)off, (unsigned long long)descsz,
                (unsigned long long)desc_off, (unsigned long long)len);
        if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0) {
            snprintf(nwhere, sizeof(nwhere), "%s: note %u", where, idx);
            int e =
                xen_note(img, seen, (uint32_t)rd_le(p + off + 8, 4),
                         p + desc_off, (uint32_t)descsz, nwhere, err, errlen);
            if (e)
                return e;
        }
        off = next < len ? next : len;
        idx++;
    }
    return check_strings(img, where, err, errlen);
}

/* Hex number of the legacy string (Xen reads these with base 16). */
static int legacy_hex(struct pvg_image *img, const char *key, const char *val,
                      size_t vlen, uint64_t *out, char *err, size_t errlen)
{
    char buf[24];
    char *end;

    if (vlen >= 2 && val[0] == '0' && (val[1] == 'x' || val[1] == 'X')) {
        val += 2;
        vlen -= 2;
    }
    if (vlen == 0 || vlen > 16)
        goto bad;
    memcpy(buf, val, vlen);
    buf[vlen] = '\0';
    if (strspn(buf, "0123456789abcdefABCDEF") != vlen)
        goto bad;
    *out = strtoull(buf, &end, 16);
    return 0;
bad:
    return pvg_fail(err, errlen, img->name, -EINVAL,
                    "section __xen_guest: %s=%.*s is not a hex number", key,
                    (int)(vlen > 32 ? 32 : vlen), val);
}

/*
 * The legacy `__xen_guest` section: "KEY=VALUE,KEY=VALUE..." (old Linux
 * and NetBSD kernels). HYPERCALL_PAGE is a page number relative to
 * VIRT_BASE; ELF_PADDR_OFFSET defaults to VIRT_BASE.
 */
int pvg_parse_xen_guest(struct pvg_image *img, struct pvg_notes_seen *seen,
                        const uint8_t *p, uint64_t len, char *err,
                        size_t errlen)
{
    static const char where[] = "section __xen_guest";
    uint64_t hc_pfn = 0, pos = 0;
    bool has_hc = false;
    int e;

    if (len > 4096)
        return pvg_fail(err, errlen, img->name, -EINVAL,
                        "%s: %llu bytes (at most 4096)", where,
                        (unsigned long long)len);
    while (pos < len && p[pos]) {
        const char *s = (const char *)p + pos;
        size_t n = 0, klen;
        const char *eq, *val;
        size_t vlen;

        while (pos + n < len && p[pos + n] && p[pos + n] != ',')
            n++;
        eq = memchr(s, '=', n);
        klen = eq ? (size_t)(eq - s) : n;
        val = eq ? eq + 1 : s + n;
        vlen = eq ? n - klen - 1 : 0;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
        if (KEY("GUEST_OS")) {
            copy_str(img->guest_os, sizeof(img->guest_os), (const uint8_t *)val,
                     vlen);
        } else if (KEY("GUEST_VER")) {
            copy_str(img->guest_version, sizeof(img->guest_version),
                     (const uint8_t *)val, vlen);
        } else if (KEY("XEN_VER")) {
            copy_str(img->xen_version, sizeof(img->xen_version),
                     (const uint8_t *)val, vlen);
        } else if (KEY("LOADER")) {
            copy_str(img->loader, sizeof(img->loader), (const uint8_t *)val,
                     vlen);
        } else if (KEY("VIRT_BASE")) {
            e = legacy_hex(img, "VIRT_BASE", val, vlen, &img->virt_base, err,
                           errlen);
            if (e)
                return e;
            seen->virt_base = true;
        } else if (KEY("ELF_PADDR_OFFSET")) {
            e = legacy_hex(img, "ELF_PADDR_OFFSET", val, vlen,
                           &img->paddr_offset, err, errlen);
            if (e)
                return e;
            img->has_paddr_offset = true;
        } else if (KEY("HYPERCALL_PAGE")) {
            e = legacy_hex(img, "HYPERCALL_PAGE", val, vlen, &hc_pfn, err,
                           errlen);
            if (e)
                return e;
            if (hc_pfn >= (1ull << 36))
                return pvg_fail(err, errlen, img->name, -EINVAL,
                                "%s: HYPERCALL_PAGE=%llx is not a page "
                                "number",
                                where, (unsigned long long)hc_pfn);
            has_hc = true;
        } else if (KEY("FEATURES")) {
            copy_str(img->features, sizeof(img->features), (const uint8_t *)val,
                     vlen);
            e = check_features(img, where, err, errlen);
            if (e)
                return e;
        }
        /* PAE, BSD_SYMTAB and unknown keys: ignored, as libelf does. */
#undef KEY
        pos += n;
        if (pos < len && p[pos] == ',')
            pos++;
    }
    seen->any = true;
    if (has_hc) {
        img->hypercall_page = img->virt_base + (hc_pfn << 12);
        img->has_hypercall_page = true;
    }
    if (!img->has_paddr_offset) {
        img->paddr_offset = img->virt_base;
        img->has_paddr_offset = true;
    }
    return check_strings(img, where, err, errlen);
}
