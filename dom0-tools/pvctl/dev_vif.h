/* SPDX-License-Identifier: MIT */
/* dev_vif.h: virtual network interfaces: vif specs, xenstore dirs, commands. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_DEV_VIF_H
#define PVISOR_DOM0_TOOLS_PVCTL_DEV_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct xs_handle;

#define VIF_MAX        8
#define VIF_DEVID_AUTO UINT32_MAX

/* One parsed xl vif spec. */
struct vif_spec {
    char mac[18];     /* "00:16:3e:xx:xx:xx"; "" = pick one */
    char bridge[16];  /* "" = no bridge */
    char ip[32];      /* the guest's address "a.b.c.d[/N]", or "" */
    char vifname[16]; /* TAP name; "" = vif<domid>.<devid> */
    uint32_t devid;   /* devid=N, else VIF_DEVID_AUTO */
};

struct vif_list {
    struct vif_spec v[VIF_MAX];
    size_t nr;
};

/*
 * Parses one xl.cfg vif spec: "mac=00:16:3e:00:00:02, bridge=pvbr0,
 * ip=10.0.0.2/24" (also vifname=, devid=; type=vif, model=, script= and
 * backend=0 are accepted and ignored). Returns 0 or -EINVAL with the
 * reason in err.
 */
int vif_parse_spec(const char *spec, struct vif_spec *out, char *err,
                   size_t errlen);

/* The `vif` setting of c into *out (empty when not set). Errors read
 * "FILE:LINE: vif: 'SPEC': reason". Returns 0 or -EINVAL. */
int vif_list_from_cfg(const struct cfg *c, struct vif_list *out, char *err,
                      size_t errlen);

/*
 * The guest learns its address from its command line: when the first vif
 * has an ip= and *cmdline has no "ip=" word, appends " ip=ADDR" (/24 if
 * no prefix was given). *cmdline is malloc'd and may be replaced.
 * Returns 0 or -ENOMEM.
 */
int vif_cmdline_add_ip(char **cmdline, const struct vif_list *l);

/*
 * Writes the frontend (/local/domain/<domid>/device/vif/<devid>) and
 * backend (/local/domain/0/backend/vif/<domid>/<devid>) directories as
 * Xen's toolstack does, in one transaction. Picks the lowest free devid
 * and a random 00:16:3e MAC when the spec has none (written back into
 * *v). Prints errors. Returns 0 or -errno.
 */
int vif_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
               struct vif_spec *v);

/* Removes every vif directory of domid (both sides). xs may be NULL. */
void vif_forget_all(struct xs_handle *xs, uint32_t domid);

/* Commands. */
int pvctl_cmd_network_attach(int argc, char **argv);
int pvctl_cmd_network_detach(int argc, char **argv);
int pvctl_cmd_network_list(int argc, char **argv);

#endif /* PVISOR_DOM0_TOOLS_PVCTL_DEV_VIF_H */
