/* SPDX-License-Identifier: MIT */
/* save_cmd.h: the steps pvctl save, restore and migrate share. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_SAVE_CMD_H
#define PVISOR_DOM0_TOOLS_PVCTL_SAVE_CMD_H

#include <stdint.h>

#include "pvctrl.h"
#include "save_image.h"

struct xs_handle;

/* Where the guest's xenstore and console rings are (0: none). */
struct save_rings {
    uint64_t store_pfn, console_pfn;
    uint32_t store_port, console_port;
};

/* Name, memory, vCPUs, actions and platform of a running domid into
 * cfg; refuses (printed) a domain that is not running. 0 or -errno. */
int save_read_info(const char *cmd, struct pvc_handle *h, uint32_t domid,
                   struct save_config *cfg);
/* Its disks into cfg; refuses (printed) other devices. 0 or -errno. */
int save_read_devices(const char *cmd, struct xs_handle *xs, uint32_t domid,
                      struct save_config *cfg);
/* Writes control/shutdown = "suspend" and waits up to secs: 1 suspended,
 * 0 timed out (request taken back), < 0 error (printed). */
int save_suspend_guest(const char *cmd, struct pvc_handle *h,
                       struct xs_handle *xs, uint32_t domid, unsigned secs);
/* The non-zero pages in the data extents of RAM file fd (mapped at mem):
 * *pfns (malloc'd, ascending), *nr. 0 or -ENOMEM. */
int save_list_pages(int fd, const uint8_t *mem, uint64_t size, uint64_t **pfns,
                    uint64_t *nr);
/* A restored domid (state given back, still paused): introduce it to
 * pvstored, attach cfg's disks, hand its console ring to pv-consoled.
 * Prints errors; 0 or -errno (the caller destroys and forgets it). */
int save_attach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                const struct save_config *cfg, const struct save_rings *r);

#endif
