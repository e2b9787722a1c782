// SPDX-License-Identifier: MIT
/* save_image.c: the saved-domain image: checksum, checks, config lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "save_image.h"

uint64_t save_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static const char *const actions[] = { "destroy", "restart", "preserve" };

int save_config_format(const struct save_config *c, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "name=%s\nmemory_kb=%" PRIu64 "\nvcpus=%u\n"
                     "on_poweroff=%s\non_reboot=%s\non_crash=%s\n"
                     "platform=%s\n",
                     c->name, c->memory_kb, c->vcpus, actions[c->on_poweroff],
                     actions[c->on_reboot], actions[c->on_crash], c->platform);
    if (n < 0 || (size_t)n >= len)
        return -ENOSPC;
    for (unsigned i = 0; i < c->nr_disks; i++) {
        int m = snprintf(buf + n, len - (size_t)n, "disk=%s\n", c->disks[i]);
        if (m < 0 || (size_t)m >= len - (size_t)n)
            return -ENOSPC;
        n += m;
    }
    for (unsigned i = 0; i < c->nr_vifs; i++) {
        int m = snprintf(buf + n, len - (size_t)n, "vif=%s\n", c->vifs[i]);
        if (m < 0 || (size_t)m >= len - (size_t)n)
            return -ENOSPC;
        n += m;
    }
    return n;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_action(const char *s, int *out)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, actions[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 63 || strspn(s, "0123456789") == n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

int save_config_apply(struct save_config *c, const char *line, size_t len,
                      char *err, size_t errlen)
{
    char buf[SAVE_DISK_SPEC_MAX + 16], *val;
    uint64_t v;

    if (len >= sizeof(buf))
        return fail(err, errlen, "config line of %zu bytes (at most %zu)", len,
                    sizeof(buf) - 1);
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (strlen(buf) != len)
        return fail(err, errlen, "config line with a NUL byte");
    val = strchr(buf, '=');
    if (!val)
        return fail(err, errlen, "config line '%s' is not KEY=VALUE", buf);
    *val++ = '\0';
    if (strcmp(buf, "name") == 0) {
        if (!name_ok(val))
            return fail(
                err, errlen,
                "name '%s': 1..63 characters of [A-Za-z0-9_.-], not all "
                "digits",
                val);
        snprintf(c->name, sizeof(c->name), "%s", val);
    } else if (strcmp(buf, "memory_kb") == 0) {
        if (parse_u64(val, UINT64_MAX / 1024, &v) || v < 1024 || v % 1024)
            return fail(err, errlen, "memory_kb '%s': a multiple of 1024", val);
        c->memory_kb = v;
    } else if (strcmp(buf, "vcpus") == 0) {
        if (parse_u64(val, 32, &v) || v < 1)
            return fail(err, errlen, "vcpus '%s': 1..32", val);
        c->vcpus = (uint32_t)v;
    } else if (strcmp(buf, "on_poweroff") == 0 ||
               strcmp(buf, "on_reboot") == 0 || strcmp(buf, "on_crash") == 0) {
        int *a = buf[3] == 'p'   ? &c->on_poweroff
                 : buf[3] == 'r' ? &c->on_reboot
                                 : &c->on_crash;
        if (parse_action(val, a))
            return fail(err, errlen, "%s '%s': destroy, restart or preserve",
                        buf, val);
    } else if (strcmp(buf, "disk") == 0) {
        if (c->nr_disks == SAVE_DISKS_MAX)
            return fail(err, errlen, "more than %u disks", SAVE_DISKS_MAX);
        if (!val[0] || strlen(val) >= SAVE_DISK_SPEC_MAX)
            return fail(err, errlen, "disk spec of %zu bytes (1..%u)",
                        strlen(val), SAVE_DISK_SPEC_MAX - 1);
        memcpy(c->disks[c->nr_disks++], val, strlen(val) + 1);
    } else if (strcmp(buf, "vif") == 0) {
        if (c->nr_vifs == SAVE_VIFS_MAX)
            return fail(err, errlen, "more than %u vifs", SAVE_VIFS_MAX);
        if (!val[0] || strlen(val) >= SAVE_DISK_SPEC_MAX)
            return fail(err, errlen, "vif spec of %zu bytes (1..%u)",
                        strlen(val), SAVE_DISK_SPEC_MAX - 1);
        memcpy(c->vifs[c->nr_vifs++], val, strlen(val) + 1);
    } else if (strcmp(buf, "platform") == 0) {
        if (strcmp(val, "kvm") && strcmp(val, "proc"))
            return fail(err, errlen, "platform '%s': kvm or proc", val);
        snprintf(c->platform, sizeof(c->platform), "%s", val);
    } else {
        return fail(err, errlen,
                    "unknown key '%s' (name, memory_kb, vcpus, on_poweroff, "
                    "on_reboot, on_crash, platform, disk, vif)",
                    buf);
    }
    return 0;
}

int save_config_parse(const char *text, size_t len, struct save_config *c,
                      char *err, size_t errlen)
{
    char why[SAVE_ERR_MAX];
    size_t pos = 0;

    memset(c, 0, sizeof(*c));
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl)
            return fail(err, errlen,
                        "config at offset %zu: last line has no newline",
                        sizeof(struct pv_save_header) + pos);
        size_t n = (size_t)(nl - (text + pos));
        if (save_config_apply(c, text + pos, n, why, sizeof(why)))
            return fail(err, errlen, "config at offset %zu: %s",
                        sizeof(struct pv_save_header) + pos, why);
        pos += n + 1;
    }
    if (!c->name[0] || !c->memory_kb || !c->vcpus || !c->platform[0])
        return fail(err, errlen,
                    "config: name, memory_kb, vcpus and platform are "
                    "required");
    return 0;
}

#define HOFF(f) offsetof(struct pv_save_header, f)

int save_image_check(const uint8_t *buf, size_t size, struct save_image *im,
                     char *err, size_t errlen)
{
    const struct pv_save_header *h = (const struct pv_save_header *)buf;
    const struct pv_save_trailer *t;
    struct pv_save_trailer tr;
    uint64_t want, npages_max, sum, prev = 0;
    size_t off;
    int rc;

    memset(im, 0, sizeof(*im));
    if (size < sizeof(h->magic) ||
        memcmp(h->magic, PV_SAVE_MAGIC, sizeof(h->magic))) {
        snprintf(err, errlen,
                 "not a pvisor save image: magic at offset 0 is not '%s'",
                 PV_SAVE_MAGIC);
        return -ENOEXEC;
    }
    if (size < sizeof(*h))
        return fail(err, errlen,
                    "truncated: %zu bytes, shorter than the %zu-byte header",
                    size, sizeof(*h));
    if (h->version != PV_SAVE_VERSION)
        return fail(err, errlen,
                    "version (offset %zu) is %u; this pvctl reads version %u",
                    HOFF(version), h->version, PV_SAVE_VERSION);
    if (h->header_size != sizeof(*h))
        return fail(err, errlen, "header_size (offset %zu) is %u, not %zu",
                    HOFF(header_size), h->header_size, sizeof(*h));
    if (h->mem_size < (1u << 20) || h->mem_size % (1u << 20) ||
        h->mem_size > (1ULL << 40))
        return fail(err, errlen,
                    "mem_size (offset %zu) is %" PRIu64
                    ": a multiple of 1 MiB, 1 MiB..1 TiB",
                    HOFF(mem_size), h->mem_size);
    if (h->nr_vcpus < 1 || h->nr_vcpus > 32)
        return fail(err, errlen, "nr_vcpus (offset %zu) is %u, not 1..32",
                    HOFF(nr_vcpus), h->nr_vcpus);
    if (h->flags)
        return fail(err, errlen, "flags (offset %zu) is 0x%x, not 0",
                    HOFF(flags), h->flags);
    npages_max = h->mem_size / PV_SAVE_PAGE;
    if (h->nr_pages > npages_max)
        return fail(err, errlen,
                    "nr_pages (offset %zu) is %" PRIu64
                    ", more than the %" PRIu64 " pages of RAM",
                    HOFF(nr_pages), h->nr_pages, npages_max);
    if (h->config_size > PV_SAVE_CONFIG_MAX)
        return fail(err, errlen, "config_size (offset %zu) is %u, at most %u",
                    HOFF(config_size), h->config_size, PV_SAVE_CONFIG_MAX);
    if (h->state_size < sizeof(struct pv_state_dom) ||
        h->state_size > PV_SAVE_STATE_MAX)
        return fail(err, errlen, "state_size (offset %zu) is %u, not %zu..%u",
                    HOFF(state_size), h->state_size,
                    sizeof(struct pv_state_dom), PV_SAVE_STATE_MAX);
    if (h->store_pfn >= npages_max || h->console_pfn >= npages_max)
        return fail(err, errlen,
                    "store_pfn/console_pfn (offset %zu) 0x%" PRIx64
                    "/0x%" PRIx64 " outside RAM",
                    HOFF(store_pfn), h->store_pfn, h->console_pfn);
    if (!memchr(h->platform, '\0', sizeof(h->platform)) ||
        (strcmp(h->platform, "kvm") && strcmp(h->platform, "proc")))
        return fail(err, errlen,
                    "platform (offset %zu) is not \"kvm\" or \"proc\"",
                    HOFF(platform));
    want = sizeof(*h) + (uint64_t)h->config_size + h->state_size +
           h->nr_pages * (sizeof(struct pv_save_page) + PV_SAVE_PAGE) +
           sizeof(*t);
    if (size < want)
        return fail(err, errlen,
                    "truncated: %zu bytes, the header describes %" PRIu64
                    " (the file ends at offset %zu, inside %s)",
                    size, want, size,
                    size < sizeof(*h) + h->config_size ? "the config"
                    : size < sizeof(*h) + h->config_size + h->state_size
                        ? "the state"
                    : size < want - sizeof(*t) ? "the page records"
                                               : "the trailer");
    if (size > want)
        return fail(err, errlen,
                    "%zu bytes after the trailer at offset %" PRIu64
                    " (the header describes %" PRIu64 " bytes)",
                    size - (size_t)want, want - sizeof(*t), want);
    /* The trailer follows text of any length: copy it out aligned. */
    memcpy(&tr, buf + want - sizeof(tr), sizeof(tr));
    t = &tr;
    if (memcmp(t->magic, PV_SAVE_END_MAGIC, sizeof(t->magic)))
        return fail(err, errlen,
                    "trailer magic at offset %" PRIu64 " is not '%s'",
                    want - sizeof(*t), PV_SAVE_END_MAGIC);
    sum = save_fnv(SAVE_FNV_INIT, buf, want - sizeof(*t));
    if (sum != t->checksum)
        return fail(err, errlen,
                    "checksum mismatch: the trailer's checksum (offset %" PRIu64
                    ") says 0x%016" PRIx64 ", the content gives 0x%016" PRIx64
                    " (the image is damaged)",
                    want - sizeof(*t) + 8, t->checksum, sum);
    off = sizeof(*h);
    im->hdr = h;
    im->config = (const char *)buf + off;
    rc = save_config_parse(im->config, h->config_size, &im->cfg, err, errlen);
    if (rc)
        return rc;
    if (im->cfg.memory_kb * 1024 != h->mem_size || im->cfg.vcpus != h->nr_vcpus)
        return fail(err, errlen,
                    "config says %" PRIu64
                    " KiB and %u vCPUs, the header %" PRIu64 " KiB and %u",
                    im->cfg.memory_kb, im->cfg.vcpus, h->mem_size / 1024,
                    h->nr_vcpus);
    off += h->config_size;
    im->state = buf + off;
    {
        struct pv_state_dom sd;
        memcpy(&sd, im->state, sizeof(sd));
        if (sd.magic != PV_STATE_MAGIC || sd.version != PV_STATE_VERSION)
            return fail(err, errlen,
                        "state at offset %zu: magic 0x%08x version %u, "
                        "expected 0x%08x version %u",
                        off, sd.magic, sd.version, PV_STATE_MAGIC,
                        PV_STATE_VERSION);
        if (sd.mem_size != h->mem_size || sd.nr_vcpus != h->nr_vcpus)
            return fail(
                err, errlen,
                "state at offset %zu: %" PRIu64
                " bytes and %u vCPUs, the header %" PRIu64 " bytes and %u",
                off, sd.mem_size, sd.nr_vcpus, h->mem_size, h->nr_vcpus);
    }
    off += h->state_size;
    im->pages = buf + off;
    for (uint64_t i = 0; i < h->nr_pages; i++) {
        struct pv_save_page pr;
        memcpy(&pr, buf + off, sizeof(pr));
        if (pr.pfn >= npages_max || (i && pr.pfn <= prev))
            return fail(err, errlen,
                        "page record %" PRIu64 " at offset %zu: pfn 0x%" PRIx64
                        " (pfns below 0x%" PRIx64 ", increasing)",
                        i, off, pr.pfn, npages_max);
        prev = pr.pfn;
        off += sizeof(pr) + PV_SAVE_PAGE;
    }
    return 0;
}
