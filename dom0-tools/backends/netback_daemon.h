/* SPDX-License-Identifier: MIT */
/* netback_daemon.h: pv-netback's daemon state shared by its files. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_DAEMON_H
#define PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "netback.h"
#include "pvevtchn.h"
#include "pvgnttab.h"

#define NB_PATH_MAX 160

struct nbd;
struct nb_vif;

/* What an epoll event belongs to. */
enum nb_src_kind { NB_SRC_XS, NB_SRC_EVTCHN, NB_SRC_SIGNAL, NB_SRC_TAP };
struct nb_src {
    enum nb_src_kind kind;
    struct nb_vif *vif;
};

/* One virtual interface: /local/domain/0/backend/vif/<domid>/<devid>. */
struct nb_vif {
    struct nb_vif *next;
    struct nbd *nd;
    uint32_t domid, devid;
    char be[NB_PATH_MAX]; /* backend directory */
    char fe[NB_PATH_MAX]; /* frontend directory */
    char ifname[16];      /* the TAP device */
    char bridge[16];      /* "" when none */
    /* the host side */
    int tapfd; /* -1: none (setup failed) */
    struct nb_src src;
    bool tap_polled; /* EPOLLIN armed */
    /* xenbus */
    int state; /* our XenbusState */
    bool fe_seen_unconnected;
    bool fe_watched;
    bool gone;
    bool seen_scan;
    /* the rings */
    bool connected;
    long restarts; /* the domain's restart count when it connected */
    void *rings;   /* tx page then rx page */
    int lport;
    struct be_net_dev dev;
    bool need_kick;
    bool kicked; /* scratch for nb_kick_marked */
};

struct nbd {
    const char *run_dir;
    bool create_bridges;
    struct xs_handle *xs;
    pvevtchn *evh;
    pvgnttab *gnt;
    int ep;
    bool pending_kicks; /* some vif still has work queued */
    struct nb_vif *vifs;
};

/* ---- netback_vif.c: the xenbus state machine and the data glue ---- */

/* Re-reads the backend tree and every device's frontend; acts. With
 * released (an @releaseDomain event), drops devices of vanished domains. */
void nb_rescan(struct nbd *nd, bool released);
/* The device whose bound port is port, or NULL. */
struct nb_vif *nb_vif_by_port(struct nbd *nd, int port);
/* Moves frames both ways for every device marked need_kick. */
void nb_kick_marked(struct nbd *nd);
/* The TAP of v has frames for the guest. */
void nb_tap_readable(struct nb_vif *v);
/* Drops every device (daemon exit). */
void nb_vif_free_all(struct nbd *nd);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_DAEMON_H */
