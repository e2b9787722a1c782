/* SPDX-License-Identifier: MIT */
/*
 * be_worker.h: one backend worker process per frontend domain.
 *
 * A backend program (pv-blkback, pv-netback, pv-skelback) runs as a
 * supervisor that never maps guest memory: it watches
 * /local/domain/0/backend/<type> and forks one worker per frontend
 * domain found there. The worker connects to xenstore and pvisor itself,
 * binds its pvisor connections to its domain (pvisor then refuses it any
 * other domain's memory, grants and event channels), drops to a uid of
 * its own (base + domid) in new namespaces, enters its seccomp profile
 * and serves that domain's devices only. Host resources named in the
 * backend directory (disk images, TAP devices) are opened by the
 * supervisor, which reads their names from xenstore itself, and handed
 * to the worker as descriptors: a worker never opens anything by name.
 *
 * A worker exits by itself once its domain's backend directory is gone
 * and its devices are torn down. Every exit is reaped and logged; a
 * worker that crashed or failed is not restarted for that domain until
 * the domain's backend directory has gone away (a new domain, or the
 * toolstack re-adding the devices).
 */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BE_WORKER_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "xenstore.h"

struct pvd_sandbox;
struct pvc_handle;

/* First uid/gid of the workers: domain N's run as base + N. */
#define BE_WORKER_UID_BASE 1900000000u

struct be_worker_class {
    const char *type; /* "vbd": /local/domain/0/backend/vbd */
    /*
     * Supervisor side, may be NULL: opens the host side of device devid
     * of domid, whose backend directory is be (read it with xs). Returns
     * a descriptor handed to the worker (then closed here) with *flags,
     * or -errno (logged by the callee).
     */
    int (*open_dev)(struct xs_handle *xs, const char *be, uint32_t domid,
                    uint32_t devid, uint32_t *flags);
    /*
     * Worker side: serves domid until its devices are gone (return 0) or
     * SIGTERM arrives on sfd; the return value is the exit status. It
     * calls be_worker_confine() once it has connected to xenstore and
     * pvisor and before it starts threads.
     */
    int (*serve)(uint32_t domid, int sfd);
};

/*
 * The supervisor: runs until SIGTERM/SIGINT/SIGHUP on sfd (then stops
 * every worker and waits for them) or an error. sb is its own sandbox,
 * entered after start-up (it must allow what a worker does before it
 * enters its own). Calls be_daemon_ready() once serving. Returns the
 * exit status.
 */
int be_supervise(const struct be_worker_class *wc, int sfd,
                 const struct pvd_sandbox *sb, const char *pidfile);

/* ---- in the worker ---- */

/* The worker's domain; true in a worker. */
bool be_worker_domid(uint32_t *domid);

/*
 * Asks the supervisor for the host side of device devid: the descriptor
 * (the caller owns it) with *flags, or -errno.
 */
int be_worker_open_dev(uint32_t devid, uint32_t *flags);

/*
 * Confines the worker: binds pvc (a connection the worker keeps for
 * domain queries, see be_set_pvc) and drops to uid/gid
 * BE_WORKER_UID_BASE + domid when started as root; new user, mount, IPC,
 * UTS and network namespaces (a warning when the host refuses them); not
 * dumpable; then sb. Returns 0, or -1 after logging why.
 */
int be_worker_confine(const struct pvd_sandbox *sb);

/* The directory a worker watches: ROOT/<domid> (true if there). */
bool be_worker_dir_exists(struct xs_handle *xs, const char *root,
                          uint32_t domid);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_BE_WORKER_H */
