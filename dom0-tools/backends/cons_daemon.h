/* SPDX-License-Identifier: MIT */
/* cons_daemon.h: pv-consoled's state shared by its daemon files. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_CONS_DAEMON_H
#define PVISOR_DOM0_TOOLS_BACKENDS_CONS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cons_core.h"
#include "pvctrl.h"
#include "pvevtchn.h"

#define CONS_OUTQ_MAX (1u << 20) /* a slower attacher is dropped */
#define CONS_INQ_MAX  4096       /* input waiting for ring space */

/* A control connection; after ATTACH, a console stream of one domain. */
struct cons_client {
    int fd;
    struct cons_client *next;  /* all clients */
    struct cons_dom *dom;      /* attached to, or NULL */
    struct cons_client *dnext; /* next attacher of dom */
    char line[BE_CONS_LINE_MAX + 2];
    size_t line_len;
    bool discard_line; /* rest of an overlong line */
    char *out;         /* bytes not yet written to fd */
    size_t out_len, out_cap;
    bool close_after_flush; /* domain stopped: EOF after output */
    bool dead;
    uint32_t ep_events;
};

/* One guest console. */
struct cons_dom {
    struct cons_dom *next;
    uint32_t domid;
    char name[BE_CONS_NAME_MAX + 1];
    /* ring */
    uint64_t mfn;
    uint32_t gport; /* guest port (0: no ring) */
    int lport;      /* our bound dom0 port, 0 if none */
    void *page;     /* mapped ring page or NULL */
    struct be_cons_ring ring;
    struct be_cons_rate rate; /* budget for ring output */
    bool paused;              /* budget spent: port masked until the timer */
    bool rate_warned;         /* "paused" was logged */
    bool ring_seen;           /* some ring output was consumed */
    bool ring_broken;         /* disconnected for bad indices */
    /* console_io, read from pvisor */
    uint64_t io_offset;
    /* sinks */
    int log_fd;
    uint64_t log_size; /* bytes in NAME.log */
    struct be_cons_hist hist;
    struct cons_client *attachers;
    char inq[CONS_INQ_MAX]; /* input not yet in the ring */
    size_t inq_len;
    /* life */
    uint32_t restarts;
    bool stopped; /* shut down / crashed: EOF to all */
    bool seen;    /* scratch for the tick */
};

struct consd {
    const char *run_dir;    /* NULL: libpvctrl's default */
    char cons_dir[512];     /* <run-dir>/console */
    int ep;                 /* epoll */
    struct pvc_handle *pvc; /* NULL while pvisor is unreachable */
    pvevtchn *evh;          /* NULL until the first ring */
    bool pvc_warned;
    bool pvc_broken; /* reconnect (and drop all) at tick */
    struct cons_dom *doms;
    struct cons_client *clients;
    /* limits (see docs/split-drivers.md, "Limits") */
    size_t rate_budget;      /* ring bytes per window and domain; 0: none */
    uint64_t rate_window_ms; /* the window */
    uint64_t log_max;        /* NAME.log rotates to NAME.log.1 here; 0: never */
    int rate_tfd;            /* timerfd: the next paused domain's window */
};

#define CONS_LOG_MAX_DEFAULT (8ull << 20)

/* ---- cons_dom.c ---- */

/* Connects to pvisor if not connected. Returns 0 or -errno. */
int cons_pvisor(struct consd *d);

/*
 * ADD: a new domain, or a ring for a known domain that has none yet.
 * Opens the log, maps the ring page and binds the port (when port != 0).
 * Returns 0 or -errno with an explanation in *why.
 */
int cons_dom_add(struct consd *d, const struct be_cons_req *r,
                 const char **why);

/* Final drain, EOF to attachers, then forgets dom and frees it. */
void cons_dom_drop(struct consd *d, struct cons_dom *dom);

struct cons_dom *cons_dom_find(struct consd *d, uint32_t domid);
struct cons_dom *cons_dom_find_name(struct consd *d, const char *name);

/* Handles pending event channel notifications. */
void cons_dom_events(struct consd *d);

/* Periodic: domain deaths, stops and restarts, console_io, new domains. */
void cons_dom_tick(struct consd *d);

/* Queues input for dom's guest. Returns bytes accepted (maybe 0). */
size_t cons_dom_input(struct consd *d, struct cons_dom *dom, const char *buf,
                      size_t len);

/* Resumes reading the rings of paused domains whose window has passed,
 * and arms the timer for those still paused. */
void cons_dom_rate_timer(struct consd *d);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t cons_now_ms(void);

/* Frees every domain (shutdown). */
void cons_dom_fini(struct consd *d);

/* ---- consoled.c ---- */

/* Queues bytes to a client; drops the client when it falls too far
 * behind. */
void cons_client_send(struct consd *d, struct cons_client *c, const void *buf,
                      size_t len);

/* Adds the event channel handle's fd to the daemon's poll set. */
int cons_watch_evtchn(struct consd *d, int fd);

/* Ends an attacher's stream once its queued output is written. */
void cons_client_finish(struct consd *d, struct cons_client *c);

/* Re-evaluates which epoll events the attachers of dom want (input is
 * only read while dom has room for it). */
void cons_dom_update_attachers(struct consd *d, struct cons_dom *dom);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_CONS_DAEMON_H */
