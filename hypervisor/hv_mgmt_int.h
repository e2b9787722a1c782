/* SPDX-License-Identifier: MIT */
/* hv_mgmt_int.h: management server internals shared with hv_mgmt_ops.c. */
#ifndef PVISOR_HYPERVISOR_HV_MGMT_INT_H
#define PVISOR_HYPERVISOR_HV_MGMT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvmgmt.pb-c.h"

#define FRAME_MAX            (16u << 20)
#define MAX_CLIENTS          1024
#define MAX_POLLS_PER_CLIENT 256
#define GRAVE_NR             16
/* Output queued for one client (see docs/security.md, "Limits"): at
 * OUTQ_PAUSE its requests are no longer read until it reads replies; a
 * reply that would take the queue past OUTQ_MAX is refused (ENOBUFS). */
#define OUTQ_PAUSE (1u << 20)
#define OUTQ_MAX   (8u << 20)
/* Grant refs of one domain one connection may hold mapped (1 GiB of
 * pages: 16 block devices with every persistent grant and more). */
#define HV_MGMT_MAPPED_REFS_MAX (256u * 1024)

struct out_frame {
    struct out_frame *next;
    uint8_t *data;
    size_t len, off;
    int fds[2]; /* pvisor's own duplicates, passed with the first byte */
    unsigned nfds;
};

enum lp_kind { LP_CONSOLE, LP_WAIT, LP_TRACE };

struct longpoll {
    struct longpoll *next;
    enum lp_kind kind;
    uint64_t id;
    uint32_t domid;
    uint64_t offset;
    uint32_t max_bytes;
    unsigned stops;    /* LP_WAIT: d->stops when the wait began */
    uint64_t deadline; /* CLOCK_MONOTONIC ns, 0 = none */
    bool until_gone;   /* LP_WAIT: wait for destruction */
    uint64_t stops_ns; /* LP_TRACE: the domain's created_ns */
    bool lingered;     /* LP_TRACE: waiting to batch a few records */
};

struct client {
    int fd;
    unsigned slot;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    struct out_frame *out_head, *out_tail;
    size_t out_bytes; /* queued, not yet sent */
    bool want_out;    /* EPOLLOUT is in the fd's epoll events */
    bool paused;      /* out_bytes >= OUTQ_PAUSE: requests not read */
    struct longpoll *polls;
    struct grant_map *maps;
    struct trace_sub *trace_subs; /* domains whose trace it reads */
    /* BindDomain: the connection serves this one domain only. */
    bool bound;
    uint32_t bound_domid;
    uint64_t bound_created_ns; /* tells a reused domid apart */
    /* The domain whose memory fd it received (MapMemory), if one only. */
    bool got_memory, got_memory_several;
    uint32_t memory_domid;
};

/* A connection listening to a domain's hypercall trace. */
struct trace_sub {
    struct trace_sub *next;
    uint32_t domid;
    uint64_t created_ns; /* tells a reused domid apart */
};

/* A dom0 grant mapping owned by a connection. */
struct grant_map {
    struct grant_map *next;
    uint64_t handle;
    uint32_t domid;
    bool writable;
    size_t n;
    uint32_t refs[];
};

/* Final state of recently destroyed domains, for wait and console. */
struct grave {
    bool used;
    uint32_t domid;
    char name[64];
    unsigned reason, code, stops;
    int state;
    char *crash_report;
    char *console;
    size_t console_len;
    uint64_t console_end;
};

extern const char *hv_mgmt_run_dir;
extern uint64_t hv_mgmt_start_ns;

/*
 * Queue a response frame; nfds fds travel with it via SCM_RIGHTS. The
 * fds are duplicated now (the caller keeps its own), so a descriptor
 * closed before the client reads (a destroyed domain's memfd) can never
 * be replaced by another one under the same number. A reply that does
 * not fit the client's queue (OUTQ_MAX) or whose fds cannot be duplicated
 * is replaced by an error reply saying so. Returns 0 when rsp itself was
 * queued, -errno when the client got an error instead (or nothing, out of
 * memory): then what the reply hands over must be taken back.
 */
int hv_mgmt_send_response(struct client *c, Pvmgmt__Response *rsp,
                          const int *fds, unsigned nfds);
void hv_mgmt_send_error(struct client *c, uint64_t id, int status,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void hv_mgmt_send_ok(struct client *c, uint64_t id);
/* Find a live domain or send ENOENT/EPERM and return NULL. */
struct hv_domain *hv_mgmt_lookup(struct client *c, uint64_t id, uint32_t domid);
struct grave *hv_mgmt_find_grave(uint32_t domid);
/* The client in slot, or NULL (for tests). */
struct client *hv_mgmt_client(unsigned slot);
/* Handle one decoded request. */
void hv_mgmt_dispatch(struct client *c, const Pvmgmt__Request *req);
/* Answer a parked long-poll if it can be; true if answered (free it). */
bool hv_mgmt_longpoll_try(struct client *c, struct longpoll *p);

/* hv_mgmt_bind.c: connections bound to one domain (BindDomain). */
/* False after answering req with an error: the connection is bound to
 * another domain, or req is not one a bound connection may make (or a
 * GrantMap on a connection not bound). */
bool hv_mgmt_bound_gate(struct client *c, const Pvmgmt__Request *req);
void hv_mgmt_op_bind_domain(struct client *c, uint64_t id,
                            const Pvmgmt__BindDomain *a);
/* c is sent domid's memory fd (MapMemory, GrantMap). */
void hv_mgmt_note_memory(struct client *c, uint32_t domid);

/* hv_mgmt_obs.c: observability and scheduling requests. */
struct hv_domain;
/* Adds per-vCPU placement, traps and hypercall counts to a filled info. */
void hv_mgmt_obs_fill(struct hv_domain *d, Pvmgmt__DomainInfo *info);
/* Frees what hv_mgmt_obs_fill allocated (before the vCPU array goes). */
void hv_mgmt_obs_free(Pvmgmt__DomainInfo *info);
void hv_mgmt_op_trace_read(struct client *c, uint64_t id,
                           const Pvmgmt__TraceRead *a);
bool hv_mgmt_trace_try(struct client *c, struct longpoll *p, bool force);
void hv_mgmt_op_vcpu_pin(struct client *c, uint64_t id,
                         const Pvmgmt__VcpuPin *a);
void hv_mgmt_op_sched_credit(struct client *c, uint64_t id,
                             const Pvmgmt__SchedCredit *a);
void hv_mgmt_op_mem_max(struct client *c, uint64_t id, const Pvmgmt__MemMax *a);
/* hv_mgmt_save.c: save, resume and restore. */
void hv_mgmt_op_save_state(struct client *c, uint64_t id,
                           const Pvmgmt__SaveState *a);
void hv_mgmt_op_resume(struct client *c, uint64_t id,
                       const Pvmgmt__DomainRef *a);
void hv_mgmt_op_restore_state(struct client *c, uint64_t id,
                              const Pvmgmt__RestoreState *a);
/* The connection closes: end its trace subscriptions. */
void hv_mgmt_obs_client_gone(struct client *c);
/* Queues a parked long-poll on c (or answers EBUSY/ENOMEM). */
void hv_mgmt_park(struct client *c, struct longpoll *tmpl);

#endif
