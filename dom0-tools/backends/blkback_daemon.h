/* SPDX-License-Identifier: MIT */
/* blkback_daemon.h: pv-blkback's daemon state shared by its files. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_DAEMON_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_DAEMON_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "blkback.h"
#include "pvevtchn.h"
#include "pvgnttab.h"

#define BB_ROOT        "/local/domain/0/backend/vbd"
#define BB_PATH_MAX    160
#define BB_URING_DEPTH 256

/* One virtual block device: /local/domain/0/backend/vbd/<domid>/<devid>. */
struct bb_vbd {
    struct bb_vbd *next;
    struct bbd *bd;
    uint32_t domid, devid;
    char be[BB_PATH_MAX]; /* backend directory */
    char fe[BB_PATH_MAX]; /* frontend directory */
    /* the image */
    int fd;      /* -1: not open (bad params) */
    bool direct; /* opened O_DIRECT */
    struct be_blk_limits lim;
    /* xenbus */
    int state;                /* our XenbusState */
    int fe_state;             /* the frontend's, last read */
    bool fe_seen_unconnected; /* fe left Connected since InitWait */
    bool fe_watched;
    bool gone;      /* backend dir removed or domain gone */
    bool seen_scan; /* scratch for bb_rescan */
    /* the ring */
    bool connected;
    long restarts;   /* the domain's restart count when it connected */
    bool reset_seen; /* its ring went bad because the domain restarted */
    void *ring_page;
    int lport; /* our bound port, 0 if none */
    struct be_blk_dev dev;
    bool need_kick;
    struct be_blk_stats published; /* last written to statistics/ */
};

struct bbd {
    const char *run_dir;
    struct xs_handle *xs;
    pvevtchn *evh;
    pvgnttab *gnt;
    struct io_uring uring;
    int uring_efd;           /* eventfd signalled on completions */
    unsigned int sq_pending; /* SQEs not yet submitted */
    int ep;
    struct bb_vbd *vbds;
};

/* ---- blkback_io.c: grant/evtchn/io_uring glue (struct be_blk_ops) ---- */

extern const struct be_blk_ops bb_ops;

/* Sets up the ring and its eventfd. 0 or -errno. */
int bb_io_init(struct bbd *bd);
void bb_io_fini(struct bbd *bd);
/* Submits queued SQEs. */
void bb_io_flush(struct bbd *bd);
/* Reaps completions, answering their requests; marks devices to kick. */
void bb_io_reap(struct bbd *bd);

/* ---- blkback_vbd.c: the xenbus state machine ---- */

/* The supervisor's flags for an image it hands to a worker. */
#define BB_IMAGE_DIRECT 1u /* opened O_DIRECT */
#define BB_IMAGE_RO     2u /* opened read-only */
/* Opens params (the supervisor): O_DIRECT when the file accepts
 * 512-byte aligned I/O (*direct). The fd or -errno. */
int bb_open_image(const char *params, bool ro, bool *direct);

/* Re-reads the backend tree and every device's frontend; acts. With
 * released (an @releaseDomain event), drops devices of vanished domains. */
void bb_rescan(struct bbd *bd, bool released);
/* Re-evaluates one device (after its I/O drained, or a watch). */
void bb_vbd_update(struct bb_vbd *v);
/* Drops every device (daemon exit): rings unmapped, fds closed. */
void bb_vbd_free_all(struct bbd *bd);
/* Kicks every device that asked for it, then submits. */
void bb_kick_marked(struct bbd *bd);
/* Writes each connected device's counters that changed since the last
 * call into its backend directory (statistics/...), for pvctl top. */
void bb_publish_stats(struct bbd *bd);
/* The device whose bound port is port, or NULL. */
struct bb_vbd *bb_vbd_by_port(struct bbd *bd, int port);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_BLKBACK_DAEMON_H */
