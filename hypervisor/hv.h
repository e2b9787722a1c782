/* SPDX-License-Identifier: MIT */
/* hv.h: pvisor's core types: domains, vCPUs, and the functions between them. */
#ifndef PVISOR_HYPERVISOR_HV_H
#define PVISOR_HYPERVISOR_HV_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/pvisor.h>
#include <pvabi/xen.h>

#include "hv_log.h"
#include "platform/platform.h"

#define HV_VERSION   "0.1.0"
#define HV_XEN_MAJOR 4
#define HV_XEN_MINOR 17

#define HV_PAGE_SIZE          4096ULL
#define HV_PAGE_SHIFT         12
#define HV_MAX_DOMAINS        4096
#define HV_DOMID_FIRST        1
#define HV_DEFAULT_MAX_EVTCHN 1024
#define HV_NR_EVTCHN_2L       4096 /* 64 words of 64 bits */
#define HV_NR_VIRQS           24
#define HV_CONSOLE_BUF        (64 * 1024)

enum hv_dom_state {
    HV_DOM_RUNNING = 1,
    HV_DOM_BLOCKED = 2,
    HV_DOM_PAUSED = 3,
    HV_DOM_SHUTDOWN = 4,
    HV_DOM_CRASHED = 5,
    HV_DOM_DYING = 6,
};

enum hv_action {
    HV_ACTION_DESTROY = 0,
    HV_ACTION_RESTART = 1,
    HV_ACTION_PRESERVE = 2,
};

/* One event channel, Xen's 2-level model. */
enum hv_evtchn_state {
    HV_ECS_FREE = 0,
    HV_ECS_RESERVED,
    HV_ECS_UNBOUND,
    HV_ECS_INTERDOMAIN,
    HV_ECS_VIRQ,
    HV_ECS_IPI,
};

struct hv_evtchn {
    uint8_t state;
    uint16_t notify_vcpu;
    uint32_t virq;        /* HV_ECS_VIRQ */
    uint32_t remote_dom;  /* HV_ECS_UNBOUND / INTERDOMAIN */
    uint32_t remote_port; /* HV_ECS_INTERDOMAIN */
};

struct hv_domain;

struct hv_vcpu {
    struct hv_domain *d;
    unsigned id;
    void *plat_data; /* the platform's per-vCPU state */
    pthread_t thread;
    bool thread_started;

    /* Kick protocol: see hv_vcpu_kick(). */
    atomic_int kicked;
    atomic_int in_guest;
    atomic_int tlb_flush; /* resync shadow/TLB before next entry */

    /* Protected by d->lock. */
    bool online;      /* VCPUOP_up'd (vCPU0: by DomainSetup) */
    bool initialised; /* has a register context */
    bool blocked;     /* inside SCHEDOP_block / poll */
    bool poll_active;
    uint64_t poll_deadline; /* system time ns, 0 = none */
    uint32_t poll_ports[128];
    unsigned poll_nr;

    /* Owned by the vCPU thread. */
    struct hv_regs regs;
    bool regs_dirty;
    bool regs_valid; /* regs mirrors the vCPU */
    uint64_t cr3;    /* guest L4 gpa */
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    bool sregs_dirty;
    uint64_t event_callback;
    uint64_t failsafe_callback;
    uint64_t trap_handler[256]; /* 0 = pvisor's default stub */
    uint8_t trap_dpl[256];

    /* Timers (system time ns); protected by d->lock. */
    uint64_t singleshot_deadline;
    uint64_t periodic_period;
    uint64_t periodic_next;
    int timer_fd;

    /* pvclock anchor: guest TSC at system time. */
    uint64_t tsc_anchor;
    uint64_t sys_anchor;
    uint32_t time_version;

    /* Statistics (relaxed atomics; read by the management thread). */
    _Atomic uint64_t st_hypercalls, st_exits, st_upcalls, st_cpu_ns;
    uint64_t last_timer_update;

    /* Last hypercalls, for crash reports (vCPU thread only). */
    struct {
        uint32_t nr;
        long res;
    } trace[8];
    unsigned trace_pos;

    /* Observability and placement (hv_obs.h). */
    _Atomic uint64_t st_hc[PV_HYPERCALL_MAX]; /* by number; vCPU thread
                                               * is the only writer */
    _Atomic uint64_t st_traps;                /* exceptions at pvisor */
    _Atomic int tid;    /* host thread id while its thread runs, else 0 */
    cpu_set_t affinity; /* d->lock; applied when the thread starts */
    bool affinity_set;  /* d->lock; false = every CPU */
};

struct hv_console {
    char buf[HV_CONSOLE_BUF];
    uint64_t end; /* absolute offset of next byte */
};

struct hv_snapshot_page {
    uint64_t pfn;
    uint8_t *data;
};

struct hv_domain {
    uint32_t domid;
    char name[64];
    struct hv_platform *plat; /* what runs this domain's vCPUs */
    void *plat_data;          /* the platform's per-domain state */
    int mem_fd;
    uint8_t *mem; /* guest RAM, gpa 0 .. mem_size */
    uint64_t mem_size;
    int priv_fd; /* pvisor's private area (hv_arch.h), a memfd */
    uint8_t *priv;
    uint64_t priv_size;
    unsigned nr_vcpus;
    struct hv_vcpu *vcpus[PV_MAX_VCPUS];

    pthread_mutex_t lock;    /* state, evtchn table, timers, console */
    pthread_cond_t cond;     /* vCPUs park here (paused, offline) */
    enum hv_dom_state state; /* SHUTDOWN / CRASHED / DYING, else live */
    bool paused;
    bool built;
    bool dying;
    bool stop_threads; /* vCPU threads must exit (restart) */
    unsigned shutdown_reason;
    unsigned shutdown_code;
    bool shutdown_code_set;
    unsigned pending_shutdown_code;
    bool action_pending; /* main thread must apply on_* action */
    enum hv_action on_poweroff, on_reboot, on_crash;
    unsigned restarts;
    unsigned stops;        /* shutdowns + crashes so far */
    unsigned suspend_vcpu; /* the vCPU that asked SHUTDOWN_suspend */
    char *crash_report;
    uint64_t created_ns;
    bool listed; /* creation complete: the domain table hands it out */

    /* Setup from the builder. */
    uint64_t shared_info_gpa;
    uint64_t hypercall_page_gpa;
    uint64_t start_info_gpa;
    uint64_t boot_cr3, boot_rip, boot_rsp, boot_rsi;
    struct hv_snapshot_page *snap;
    size_t snap_nr;
    bool snap_taken;

    /* Time. */
    uint64_t boot_mono_ns; /* CLOCK_MONOTONIC at system time 0 */
    uint32_t wc_version;

    /* Event channels. */
    struct hv_evtchn *evtchn;
    unsigned max_evtchn;
    uint32_t virq_port[PV_MAX_VCPUS][HV_NR_VIRQS];

    struct hv_console con;

    /* Grant table v1 (hv_gnttab.c); protected by d->lock. */
    unsigned gnt_frames;              /* frames set up so far */
    uint64_t gnt_frame_gpa[32];       /* 0: pvisor's frame in priv */
    struct hv_gnt_active *gnt_active; /* pins per ref, lazily made */

    /* Observability and scheduling (hv_obs.h). */
    _Atomic int trace_listeners; /* connections reading the trace */
    struct hv_trace *trace;      /* made by the first listener */
    unsigned sched_weight;       /* d->lock; 0 = never set */
    unsigned sched_cap;          /* d->lock; percent of a CPU, 0 = none */
    bool cg_made;                /* d->lock; its cgroup directory exists */

    /* Ballooning (hv_balloon.c); protected by d->lock. */
    uint64_t max_pages;    /* mem-max; 0 = mem_size */
    uint64_t ballooned;    /* pages the guest gave back */
    uint64_t *balloon_map; /* bit per pfn: given back; NULL = none yet */
};

struct hv_gnt_active {
    uint16_t rd, wr;
};

/* The domain's shared_info page (guest RAM; valid once d->built). */
static inline struct shared_info *hv_shared_info(struct hv_domain *d)
{
    return (struct shared_info *)(d->mem + d->shared_info_gpa);
}

/* v's vcpu_info, inside shared_info (no VCPUOP_register_vcpu_info). */
static inline struct vcpu_info *hv_vcpu_info(struct hv_vcpu *v)
{
    return &hv_shared_info(v->d)->vcpu_info[v->id];
}

/* hv_domain.c */
int hv_domains_init(void);
/* Create a paused, unbuilt domain; returns 0 and *out or -errno with err. */
int hv_domain_create(const char *name, uint64_t mem_kb, unsigned vcpus,
                     enum hv_action on_poweroff, enum hv_action on_reboot,
                     enum hv_action on_crash, unsigned max_evtchn,
                     struct hv_platform *plat, struct hv_domain **out,
                     char *err, size_t errlen);
struct hv_domain *hv_domain_find(uint32_t domid);
struct hv_domain *hv_domain_by_name(const char *name);
/* Enter a domain built outside hv_domain_create (the unit tests' fake
 * domains) in the table under d->domid: 0, or -EEXIST / -EINVAL. */
int hv_domain_insert(struct hv_domain *d);
void hv_domain_remove(struct hv_domain *d);
/* Iterate live domains in domid order; returns next after 'after'. */
struct hv_domain *hv_domain_next(uint32_t after);
unsigned hv_domain_count(void);
void hv_domain_destroy(struct hv_domain *d);
int hv_domain_pause(struct hv_domain *d, bool pause);
/* Record a shutdown/crash from any thread; the main thread acts on it. */
void hv_domain_shutdown(struct hv_domain *d, unsigned reason);
void hv_domain_crash(struct hv_domain *d, const char *report);
/* Main thread: apply on_* actions of domains that stopped. */
void hv_domains_reap(void);
int hv_domain_setup(struct hv_domain *d, uint64_t hypercall_page_gpa,
                    uint64_t shared_info_gpa, uint64_t start_info_gpa,
                    uint64_t cr3, uint64_t rip, uint64_t rsp, uint64_t rsi,
                    char *err, size_t errlen);
/* Public state derived from vCPU states (RUNNING/BLOCKED/PAUSED...). */
enum hv_dom_state hv_domain_state(struct hv_domain *d);
void hv_console_append(struct hv_domain *d, const char *buf, size_t len);
/* Wakes management long-polls (console, wait); set by hv_mgmt. */
extern void (*hv_notify_mgmt)(void);
/* Called (main thread) just before a domain is freed. */
extern void (*hv_on_destroy)(struct hv_domain *d);
/* Tests: called by hv_domain_create once domid is reserved, before the
 * domain is complete (it must not be found yet). */
extern void (*hv_on_domid_reserved)(uint32_t domid);
void hv_domain_request_reap(void);
extern int hv_reap_fd;

/* Held (read) while touching another domain; destroy takes it to write. */
void hv_domains_rdlock(void);
void hv_domains_unlock(void);

/* hv_interdom.c: event channels across domains and with dom0. */
#define HV_DOM0_MAX_PORTS 4096
/* dom0 ports connected to one guest domain, so that one domain's devices
 * cannot take every dom0 port. */
#define HV_DOM0_PORTS_PER_DOM 256
/* Deliver an event sent on (from_dom, from_port) to (dom, port): a guest
 * port or a dom0 port. Dropped unless the target is still bound back to
 * the sender: a channel closed and its port reused (by close or
 * EVTCHNOP_reset) never carries a stale peer's events. No domain lock may
 * be held by the caller. */
void hv_evtchn_deliver(uint32_t from_dom, uint32_t from_port, uint32_t dom,
                       uint32_t port);
/* Guest side: bind domain d's new port to dom0's unbound port p0 (d->lock
 * held). Returns 0 or a negative Xen errno. */
long hv_dom0_bind_from_guest(struct hv_domain *d, uint32_t gport, uint32_t p0);
/* The guest end of a dom0 channel went away (d->lock held or not). */
void hv_dom0_peer_closed(uint32_t p0, uint32_t domid, uint32_t gport);
/* dom0 side, called by the management server (main thread). */
int hv_dom0_evtchn_bind(int owner, uint32_t domid, uint32_t remote_port,
                        uint32_t *port, int fds[2], char *err, size_t errlen);
int hv_dom0_evtchn_close(int owner, uint32_t port);
void hv_dom0_release_owner(int owner);
void hv_dom0_event(uint32_t port);
/* A guest domain is going away: unlink every channel pointing at it. */
void hv_interdom_domain_gone(struct hv_domain *d);
/* Register/deregister the platform's notify fast path for gport of d. */
int hv_ioeventfd(struct hv_domain *d, uint32_t gport, int fd, bool assign);

/* hv_gnttab.c */
long hv_do_grant_table_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg,
                          uint64_t count, uint64_t a4, uint64_t a5);
int hv_gnttab_add_to_physmap(struct hv_domain *d, uint64_t idx, uint64_t gpfn);
/* True if frame (gpfn) is one of d's grant frames in pvisor's area. */
bool hv_gnttab_is_priv_frame(struct hv_domain *d, uint64_t gpfn);
/* dom0 mapping: pin refs of d for dom0 and return their frames. */
int hv_gnttab_dom0_map(struct hv_domain *d, const uint32_t *refs, size_t n,
                       bool writable, uint64_t *frames, char *err,
                       size_t errlen);
void hv_gnttab_dom0_unmap(struct hv_domain *d, const uint32_t *refs, size_t n,
                          bool writable);
void hv_gnttab_fini(struct hv_domain *d);

/* hv_mem.c: guest RAM and the private area of a domain. */
int hv_domain_mem_create(struct hv_domain *d, char *err, size_t errlen);
void hv_domain_mem_destroy(struct hv_domain *d);
/* --mem-path: directory for guest RAM files (NULL: anonymous memfd) */
extern const char *hv_mem_path;
int hv_mem_path_check(const char *dir, char *err, size_t errlen);

/* hv_vcpu.c */
int hv_vcpu_start(struct hv_vcpu *v);
void hv_vcpu_kick(struct hv_vcpu *v);
/* CPU time the vCPU's threads used so far (any thread may ask). */
uint64_t hv_vcpu_cpu_ns(struct hv_vcpu *v);
void hv_vcpu_stop_all(struct hv_domain *d);
/* Called with d->lock held: wake a blocked or parked vCPU. */
void hv_vcpu_wake_locked(struct hv_vcpu *v);

/* hv_time.c */
extern uint64_t hv_tsc_khz; /* guest TSC rate, set by the platforms */
/* Measure the host TSC rate (platforms without a better source). */
uint64_t hv_tsc_khz_measure(void);
uint64_t hv_now_ns(void); /* CLOCK_MONOTONIC */
uint64_t hv_system_time(struct hv_domain *d);
void hv_time_init_domain(struct hv_domain *d);
/* Same, for a restored domain whose system time goes on from sys_ns. */
void hv_time_restore_domain(struct hv_domain *d, uint64_t sys_ns);
void hv_time_update_vcpu(struct hv_vcpu *v);
/* Arm the vCPU's timerfd for the earliest of its timers (d->lock held). */
void hv_timer_rearm(struct hv_vcpu *v);
/* Main thread: a vCPU timerfd fired. */
void hv_timer_fire(struct hv_vcpu *v);
/* Create the vCPU's timerfd and add it to hv_epoll_fd. */
int hv_timer_init(struct hv_vcpu *v);
/* tsc_hz -> pvclock mul/shift (ns = ((tsc << shift) * mul) >> 32). */
void hv_time_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift);
extern int hv_epoll_fd;
/* epoll data.u64 tags: type in the top byte. */
#define HV_EPOLL_TIMER     (1ULL << 56)
#define HV_EPOLL_REAP      (2ULL << 56)
#define HV_EPOLL_LISTEN    (3ULL << 56)
#define HV_EPOLL_CLIENT    (4ULL << 56)
#define HV_EPOLL_WAKE      (5ULL << 56)
#define HV_EPOLL_SIGNAL    (6ULL << 56)
#define HV_EPOLL_DOM0EVT   (7ULL << 56)
#define HV_EPOLL_TYPE_MASK (0xffULL << 56)

/* hv_evtchn.c */
int hv_evtchn_init(struct hv_domain *d, unsigned max);
void hv_evtchn_fini(struct hv_domain *d);
void hv_evtchn_reset(struct hv_domain *d);
/* Mark 'port' pending in d and notify its vCPU (d->lock held). */
void hv_evtchn_set_pending_locked(struct hv_domain *d, uint32_t port);
void hv_evtchn_send_virq_locked(struct hv_vcpu *v, unsigned virq);
bool hv_evtchn_is_pending(struct hv_domain *d, uint32_t port);
/* True if v has an upcall to take (pending and not masked). */
bool hv_vcpu_upcall_pending(struct hv_vcpu *v);
/* Resync the vCPU's view of its page tables after pvisor edited them. */
void hv_vcpu_flush_tlb(struct hv_vcpu *v);
/* Whether slot 255 of the L4 v runs on is still pvisor's (a guest may
 * write its page tables directly; the vCPU loop checks before each run). */
bool hv_mmu_priv_slot_ok(struct hv_vcpu *v);
void hv_domain_flush_tlb_all(struct hv_domain *d, struct hv_vcpu *self);
/* Run one EVTCHNOP_* on d with a host copy of its argument struct. */
long hv_evtchn_op(struct hv_domain *d, uint64_t cmd, void *arg);

#endif /* PVISOR_HYPERVISOR_HV_H */
