/* SPDX-License-Identifier: MIT */
/* dev_disk.h: virtual block devices: disk specs, xenstore dirs, commands. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_DEV_DISK_H
#define PVISOR_DOM0_TOOLS_PVCTL_DEV_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct xs_handle;

#define DISK_MAX 16

/* One parsed xl disk spec. */
struct disk_spec {
    char vdev[32];  /* as written: "xvda" */
    uint32_t devid; /* Xen's number: xvda -> 51712 */
    bool readonly;  /* access=ro */
    char *target;   /* malloc'd absolute or as-given path */
};

struct disk_list {
    struct disk_spec d[DISK_MAX];
    size_t nr;
};

/*
 * Parses one xl.cfg disk spec ("format=raw, vdev=xvda, access=rw,
 * target=PATH", or positional "PATH,raw,xvda,rw"; target= takes the rest
 * of the string, as in xl). Returns 0 or -EINVAL with the reason in err.
 */
int disk_parse_spec(const char *spec, struct disk_spec *out, char *err,
                    size_t errlen);

/* Xen's device number of a vdev name (xvda 51712, xvdq 268439552, sda
 * 2048, hda 768, or a decimal number), or -EINVAL. */
int64_t disk_vdev_to_devid(const char *vdev);

/* The `disk` setting of c into *out (empty when not set). Errors read
 * "FILE:LINE: disk: 'SPEC': reason". Returns 0 or -EINVAL/-ENOMEM. */
int disk_list_from_cfg(const struct cfg *c, struct disk_list *out, char *err,
                       size_t errlen);
void disk_list_free(struct disk_list *l);

/*
 * Writes the frontend (/local/domain/<domid>/device/vbd/<devid>) and
 * backend (/local/domain/0/backend/vbd/<domid>/<devid>) directories as
 * Xen's toolstack does, in one transaction, each side owning its own dir
 * and able to read the other. Prints errors. Returns 0 or -errno.
 */
int disk_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                const struct disk_spec *d);

/* Removes every vbd directory of domid (both sides). */
void disk_forget_all(struct xs_handle *xs, uint32_t domid);

/* Commands. */
int pvctl_cmd_block_attach(int argc, char **argv);
int pvctl_cmd_block_detach(int argc, char **argv);
int pvctl_cmd_block_list(int argc, char **argv);

#endif /* PVISOR_DOM0_TOOLS_PVCTL_DEV_DISK_H */
