/* SPDX-License-Identifier: MIT */
/* be_xs.h: xenstore helpers shared by the backends. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BE_XS_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BE_XS_H

#include <stdbool.h>
#include <stdint.h>

#include "xenstore.h"
#include "xs_util.h"

/*
 * DIR/online: 1 or 0 (1 when the key is missing). -1 when DIR itself is
 * gone: the toolstack removed the device, and a backend must not write
 * there again (a write would bring the directory back).
 */
int be_xs_online(struct xs_handle *xs, const char *dir);

/* Makes ROOT (a backend type's directory) and watches it with TOKEN, and
 * @releaseDomain with "release". false with errno. */
bool be_xs_watch_root(struct xs_handle *xs, const char *root,
                      const char *token);

/* Takes every watch event that has fired: true if any did; *released
 * set when one of them was @releaseDomain's. */
bool be_xs_watches_fired(struct xs_handle *xs, bool *released);

/*
 * Lists the devices below ROOT/<domid>/<devid> (e.g.
 * /local/domain/0/backend/vbd) and calls found(ctx, domid, devid) for
 * each; names that are not numbers are skipped. With released (after an
 * @releaseDomain event), the directory of a domain that is no longer
 * introduced is removed instead: its toolstack may be gone too.
 */
void be_scan_devices(struct xs_handle *xs, const char *root, bool released,
                     void (*found)(void *ctx, uint32_t domid, uint32_t devid),
                     void *ctx);

/* From now on be_scan_devices() lists ROOT/<domid> only and removes
 * nothing (a worker serving one domain). */
void be_scan_only_domain(uint32_t domid);

/* Watches ROOT/<domid> with TOKEN (it need not exist yet), and
 * @releaseDomain with "release". false with errno. */
bool be_xs_watch_domain(struct xs_handle *xs, const char *root, uint32_t domid,
                        const char *token);

/*
 * Telling a guest that lost its memory from a hostile one: pvisor zeroes
 * and reloads a domain's RAM when it restarts it (on_reboot = "restart"
 * keeps the domid), so rings a backend still has mapped read as zeros,
 * which looks like impossible indices. be_domain_restarts() returns how
 * often domid has restarted (or -errno); be_domain_reset_since() is true
 * when it restarted since `restarts` was read, or is not running normally
 * now (shut down, crashed, dying: a restart may be under way).
 */
struct pvc_handle;
/* Domain queries go through h from now on instead of a new connection
 * each (a confined worker cannot connect again). */
void be_set_pvc(struct pvc_handle *h);
long be_domain_restarts(const char *run_dir, uint32_t domid);
bool be_domain_reset_since(const char *run_dir, uint32_t domid, long restarts);

#endif
