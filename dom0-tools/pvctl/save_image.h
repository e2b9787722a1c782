/* SPDX-License-Identifier: MIT */
/* save_image.h: the saved-domain image: checksum, checks, config lines. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_SAVE_IMAGE_H
#define PVISOR_DOM0_TOOLS_PVCTL_SAVE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/save.h>

#define SAVE_ERR_MAX 256

/* FNV-1a 64 over n bytes, continuing from h (start: SAVE_FNV_INIT). */
#define SAVE_FNV_INIT 0xcbf29ce484222325ULL
uint64_t save_fnv(uint64_t h, const void *p, size_t n);

#define SAVE_DISKS_MAX     16
#define SAVE_DISK_SPEC_MAX 320
#define SAVE_VIFS_MAX      8

/* The domain's config as the image keeps it. */
struct save_config {
    char name[64];
    uint64_t memory_kb;
    uint32_t vcpus;
    int on_poweroff, on_reboot, on_crash; /* Pvmgmt__Action */
    char platform[16];
    /* xl disk specs ("target=PATH,vdev=xvda,access=rw"), in order */
    char disks[SAVE_DISKS_MAX][SAVE_DISK_SPEC_MAX];
    unsigned nr_disks;
    /* xl vif specs ("mac=...,bridge=...,ip=...,devid=N"), in order */
    char vifs[SAVE_VIFS_MAX][SAVE_DISK_SPEC_MAX];
    unsigned nr_vifs;
};

/* Writes c as KEY=VALUE lines into buf; returns the length or -ENOSPC. */
int save_config_format(const struct save_config *c, char *buf, size_t len);
/*
 * Applies one KEY=VALUE line (a line of the image's config or a restore
 * override) to c. Keys: name, memory_kb, vcpus, on_poweroff, on_reboot,
 * on_crash, platform, disk and vif (one line per device, appended). 0,
 * or -EINVAL
 * with err.
 */
int save_config_apply(struct save_config *c, const char *line, size_t len,
                      char *err, size_t errlen);

/* Parses a whole config (KEY=VALUE lines, each ending in a newline) into
 * c; name, memory_kb, vcpus and platform are required. 0 or -EINVAL. */
int save_config_parse(const char *text, size_t len, struct save_config *c,
                      char *err, size_t errlen);

/* A checked image in memory: pointers into it. */
struct save_image {
    const struct pv_save_header *hdr;
    const char *config;
    const uint8_t *state;
    const uint8_t *pages; /* nr_pages x (struct pv_save_page + page) */
    struct save_config cfg;
};

/*
 * Checks the image buf[0..size) (8-byte aligned; untrusted: a file):
 * magic, version,
 * sizes, every header field, that it is exactly as long as its header
 * says, the trailer and its checksum, that page records name pages of
 * guest RAM in increasing order, the config and the state's header. 0 and
 * *im, or -EINVAL (or -ENOEXEC for a file that is no image at all) with
 * err naming the field and its offset.
 */
int save_image_check(const uint8_t *buf, size_t size, struct save_image *im,
                     char *err, size_t errlen);

#endif
