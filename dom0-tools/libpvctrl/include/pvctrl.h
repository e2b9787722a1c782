/* SPDX-License-Identifier: MIT */
/* pvctrl.h: libpvctrl, the client side of pvisor's management protocol. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVCTRL_H
#define PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVCTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvmgmt.pb-c.h"

/*
 * Conventions: every function returns 0 (or a documented non-negative
 * value) on success and a negative errno on failure. When pvisor answered
 * with an error, or the answer was malformed, pvc_last_error() holds a
 * human-readable explanation until the next call on the same handle.
 * A handle is not thread-safe; use one per thread.
 */

#define PVC_DEFAULT_RUN_DIR  "/run/pvisor"
#define PVC_SOCKET_NAME      "pvisor.sock"
#define PVC_PROTOCOL_VERSION 1u
#define PVC_FRAME_MAX        (16u * 1024 * 1024)
#define PVC_MAX_FDS          16 /* fds accepted with one frame */
#define PVC_DOMID_ALL        0xffffffffu
#define PVC_NAME_MAX         63 /* domain names, as pvisor enforces */

struct pvc_handle;

/* Domain state as listed by pvisor (values of pvmgmt.DomainState). */
struct pvc_vcpu_info {
    uint32_t id;
    bool online;
    bool blocked;
    uint64_t cpu_time_ns;
    uint64_t hypercalls;
    uint64_t exits;
    uint64_t upcalls;
    uint64_t traps;        /* exceptions that reached pvisor's stubs */
    uint32_t tid;          /* host thread id, 0 when not running */
    bool affinity_all;     /* may run on every CPU pvisor may use */
    uint64_t affinity[16]; /* else: bitmap of host CPUs 0..1023 */
};

/* How often a domain made one hypercall (pvc_domain_info.hc). */
struct pvc_hc_count {
    uint32_t nr;
    char name[32]; /* "" when pvisor has no handler for nr */
    uint64_t count;
};
#define PVC_HC_MAX 128

struct pvc_domain_info {
    uint32_t domid;
    char name[PVC_NAME_MAX + 1]; /* non-printable bytes replaced by '?' */
    Pvmgmt__DomainState state;
    Pvmgmt__ShutdownReason shutdown_reason;
    uint32_t shutdown_code;
    uint64_t memory_kb;
    uint32_t vcpus;
    uint32_t vcpus_online;
    uint64_t cpu_time_ns;
    uint64_t uptime_ns;
    char *crash_report; /* malloc'd, "" when none; sanitized */
    size_t nr_vcpu;
    struct pvc_vcpu_info *vcpu; /* malloc'd array of nr_vcpu */
    Pvmgmt__Action on_poweroff;
    Pvmgmt__Action on_reboot;
    Pvmgmt__Action on_crash;
    uint32_t restarts;
    bool built;
    uint64_t host_memory_kb;
    size_t nr_hc;                       /* hypercall numbers used */
    struct pvc_hc_count hc[PVC_HC_MAX]; /* ascending nr */
    uint32_t sched_weight;              /* 0 = never set */
    uint32_t sched_cap;                 /* percent of a CPU, 0 = none */
    uint64_t current_memory_kb;         /* memory_kb less ballooned */
    uint64_t max_memory_kb;             /* mem-max */
    char platform[16];                  /* "kvm", "proc" */
};

struct pvc_host_info {
    char pvisor_version[64];
    uint32_t protocol_version;
    uint32_t nr_cpus;
    uint64_t total_memory_kb;
    uint64_t free_memory_kb;
    uint32_t nr_domains;
    int32_t kvm_api_version;
    char kvm_flavour[32];
    uint64_t tsc_khz;
    uint64_t uptime_ns;
    char run_dir[256];
    uint32_t xen_major;
    uint32_t xen_minor;
    char platform[16];  /* default for new domains */
    char platforms[64]; /* usable here, space-separated */
};

struct pvc_create_args {
    const char *name;   /* required */
    uint64_t memory_kb; /* multiple of 4, >= 1024 */
    uint32_t vcpus;     /* 1..32 */
    Pvmgmt__Action on_poweroff;
    Pvmgmt__Action on_reboot;
    Pvmgmt__Action on_crash;
    const char *cmdline;  /* may be NULL */
    uint32_t max_evtchn;  /* 0 = pvisor's default */
    const char *platform; /* "kvm", "proc"; NULL/"" = pvisor's default */
};

struct pvc_setup_args {
    uint32_t domid;
    uint64_t hypercall_page_gpa;
    uint64_t shared_info_gpa;
    uint64_t start_info_gpa;
    uint64_t pt_base_gpa;
    uint64_t entry_va;
    uint64_t stack_va;
    uint64_t start_info_va;
    uint64_t virt_base;
};

struct pvc_console_chunk {
    uint8_t *data; /* malloc'd, len bytes (may be NULL) */
    size_t len;
    uint64_t next_offset;  /* pass as offset to the next read */
    uint64_t first_offset; /* oldest byte pvisor still holds */
    Pvmgmt__DomainState state;
    bool gone; /* domain destroyed */
};

/* ---- connection ---- */

/*
 * Writes "<run_dir>/pvisor.sock" into buf. run_dir NULL means
 * $PVISOR_RUN_DIR, else PVC_DEFAULT_RUN_DIR. Returns 0 or -ENAMETOOLONG
 * when it does not fit into buf or into a unix socket address.
 */
int pvc_socket_path(const char *run_dir, char *buf, size_t len);

/*
 * Connects to pvisor's socket in run_dir (see pvc_socket_path) and stores
 * a new handle in *out. Sends no request. Returns 0 or -errno of the
 * failing socket()/connect() (e.g. -ENOENT, -ECONNREFUSED, -EACCES).
 */
int pvc_open(const char *run_dir, struct pvc_handle **out);

/*
 * Wraps an already connected stream socket (tests, inherited sockets).
 * The handle owns fd from now on, also on failure. Returns 0 or -ENOMEM.
 */
int pvc_open_fd(int fd, struct pvc_handle **out);

/* Closes the connection and frees h. NULL is allowed. */
void pvc_close(struct pvc_handle *h);

/* The last error explanation for h ("" if none). Valid until next call. */
const char *pvc_last_error(const struct pvc_handle *h);

/* The socket fd of h, for poll(); do not read or write it yourself. */
int pvc_fd(const struct pvc_handle *h);

/* ---- framing (exported for tests and other dom0 services) ---- */

/*
 * Sends one frame: 4-byte big-endian len, then len bytes. Retries short
 * writes and EINTR; never raises SIGPIPE. 1 <= len <= PVC_FRAME_MAX.
 * Returns 0, -EINVAL (bad len) or the -errno of the failing send.
 */
int pvc_frame_send(int fd, const void *buf, size_t len);

/*
 * Receives one frame into a malloc'd *buf (caller frees) of *len bytes.
 * fds sent with the frame's first byte (SCM_RIGHTS) are stored in fds[]
 * (close-on-exec) and counted in *nr_fds; the caller owns them. At most
 * max_fds are accepted: more, or a truncated control message, closes all
 * of them and fails with -EPROTO. A zero or oversized length is -EPROTO,
 * end of stream before any byte is -ECONNRESET, in the middle of a frame
 * -EPROTO. fds and nr_fds may be NULL/0 when none are expected.
 */
int pvc_frame_recv(int fd, uint8_t **buf, size_t *len, int *fds, size_t max_fds,
                   size_t *nr_fds);

/*
 * Sends req (its version and id are filled in here) and waits for the
 * matching response, which the caller frees with
 * pvmgmt__response__free_unpacked(*resp, NULL). Responses with an older id
 * (left over from an abandoned call) are dropped; a newer id or a version
 * other than PVC_PROTOCOL_VERSION is -EPROTO. Received fds are returned in
 * fds[0..*nr_fds) (caller closes); their number must equal resp->nr_fds.
 * A non-zero status from pvisor is returned as -status with its error
 * text in pvc_last_error(); *resp is still set then.
 */
int pvc_call(struct pvc_handle *h, Pvmgmt__Request *req,
             Pvmgmt__Response **resp, int *fds, size_t max_fds, size_t *nr_fds);

/* ---- typed requests ---- */

/*
 * Introduces the client (client_name, e.g. "pvctl") and checks that pvisor
 * speaks PVC_PROTOCOL_VERSION. Stores pvisor's version string (truncated)
 * in version if it is not NULL. Returns 0, -EPROTONOSUPPORT or -errno.
 */
int pvc_hello(struct pvc_handle *h, const char *client_name, char *version,
              size_t version_len);

/* Creates a paused, unbuilt domain; stores its id in *domid. */
int pvc_domain_create(struct pvc_handle *h, const struct pvc_create_args *a,
                      uint32_t *domid);

/* Destroys, pauses or unpauses domain domid. */
int pvc_domain_destroy(struct pvc_handle *h, uint32_t domid);
int pvc_domain_pause(struct pvc_handle *h, uint32_t domid);
int pvc_domain_unpause(struct pvc_handle *h, uint32_t domid);

/* Asks domain domid to shut down with reason (like SCHEDOP_shutdown). */
int pvc_domain_shutdown(struct pvc_handle *h, uint32_t domid,
                        Pvmgmt__ShutdownReason reason);

/*
 * Lists one domain (domid) or all (PVC_DOMID_ALL). Stores a malloc'd array
 * in *infos and its length in *nr; free it with pvc_domain_info_free().
 * On failure *infos is NULL and *nr 0.
 */
int pvc_domain_list(struct pvc_handle *h, uint32_t domid,
                    struct pvc_domain_info **infos, size_t *nr);

/* Frees an array returned by pvc_domain_list (NULL allowed). */
void pvc_domain_info_free(struct pvc_domain_info *infos, size_t nr);

/* Frees what one pvc_domain_info holds (not the struct itself). */
void pvc_domain_info_clear(struct pvc_domain_info *info);

/*
 * Resolves dom (a decimal domid or a domain name) to a domid that exists
 * now. Returns 0, -ESRCH (no such domain; see pvc_last_error) or -errno.
 */
int pvc_domain_resolve(struct pvc_handle *h, const char *dom, uint32_t *domid);

/* Fills *info with pvisor's host information. */
int pvc_host_info(struct pvc_handle *h, struct pvc_host_info *info);

/*
 * Reads pvisor's log from byte offset; stores malloc'd data (caller frees,
 * may be NULL when empty), its length and the offset to continue from.
 * clear asks pvisor to drop the log up to what it returns.
 */
int pvc_dmesg(struct pvc_handle *h, uint64_t offset, bool clear, uint8_t **data,
              size_t *len, uint64_t *next_offset);

/*
 * Reads console output of domid from absolute offset, waiting up to
 * wait_ms for new bytes (long poll; 0 = return at once). max_bytes 0 means
 * 64 KiB. Fills *out (free with pvc_console_chunk_free).
 */
int pvc_console_read(struct pvc_handle *h, uint32_t domid, uint64_t offset,
                     uint32_t wait_ms, uint32_t max_bytes,
                     struct pvc_console_chunk *out);

/* Frees the data of a chunk filled by pvc_console_read. */
void pvc_console_chunk_free(struct pvc_console_chunk *c);

/*
 * Blocks until domid leaves running/blocked/paused or timeout_ms passes
 * (0 = forever). Fills *info with the domain's state when it answered
 * (free with pvc_domain_info_clear); on timeout the state is still a
 * live one.
 */
int pvc_domain_wait(struct pvc_handle *h, uint32_t domid, uint32_t timeout_ms,
                    struct pvc_domain_info *info);

/*
 * Receives domid's memory memfd (caller closes *fd and maps it
 * MAP_SHARED) and the size in bytes of guest RAM it holds from offset 0.
 * The fd is checked to be at least that large.
 */
int pvc_map_memory(struct pvc_handle *h, uint32_t domid, int *fd,
                   uint64_t *size);

/*
 * Binds the connection to domid for the rest of its life (BindDomain): it
 * may then map only that domain's memory and grants and use only its
 * event channels; every other request is refused with -EPERM. A backend
 * worker binds before it maps anything.
 */
int pvc_bind_domain(struct pvc_handle *h, uint32_t domid);

/* Sends the builder's initial vCPU context (DomainSetup). */
int pvc_domain_setup(struct pvc_handle *h, const struct pvc_setup_args *a);

/* Names for enum values ("running", "poweroff", "destroy", ...). */
const char *pvc_state_name(Pvmgmt__DomainState s);
const char *pvc_shutdown_reason_name(Pvmgmt__ShutdownReason r);
const char *pvc_action_name(Pvmgmt__Action a);

/* ---- observability and placement (pvc_obs.c) ---- */

/* One traced hypercall (see TraceRecord in abi/pvmgmt.proto). */
struct pvc_trace_rec {
    uint64_t seq;
    uint64_t time_ns; /* domain system time at entry */
    uint64_t latency_ns;
    uint32_t vcpu, nr;
    char name[32];
    uint64_t args[5];
    int64_t result;
    bool in_multicall; /* an entry of a multicall batch */
};

struct pvc_trace_chunk {
    struct pvc_trace_rec *rec; /* malloc'd, nr entries */
    size_t nr;
    uint64_t next_seq; /* pass as seq next time */
    uint64_t lost;     /* records overwritten before this read */
    bool gone;         /* the domain was destroyed */
};

/*
 * Reads domid's hypercall trace from seq (0: from now on), waiting up to
 * wait_ms for a record. The first call subscribes this connection, which
 * makes pvisor record the domain's hypercalls until the connection
 * closes. The caller frees out->rec.
 */
int pvc_trace_read(struct pvc_handle *h, uint32_t domid, uint64_t seq,
                   uint32_t wait_ms, struct pvc_trace_chunk *out);

/*
 * Pins vCPU vcpu of domid (PVC_VCPU_ALL: every one) to the nr host CPUs
 * in cpus (nr 0: any CPU).
 */
#define PVC_VCPU_ALL 0xffffffffu
int pvc_vcpu_pin(struct pvc_handle *h, uint32_t domid, uint32_t vcpu,
                 const uint32_t *cpus, size_t nr);

/*
 * Sets (weight when weight >= 0, cap when cap >= 0) and reads domid's
 * scheduling parameters. *weight_out and *cap_out get the values in force,
 * cgroup (may be NULL) the domain's cgroup directory.
 */
int pvc_sched_credit(struct pvc_handle *h, uint32_t domid, long weight,
                     long cap, uint32_t *weight_out, uint32_t *cap_out,
                     char *cgroup, size_t cgroup_len);

/* mem-max: the most memory domid may balloon back up to (KiB). */
int pvc_mem_max(struct pvc_handle *h, uint32_t domid, uint64_t max_kb);

/*
 * Save and restore (docs/save-format.md). pvc_save_state: domid must be
 * suspended; stores pvisor's state of it in *state (malloc'd, caller
 * frees, *len bytes). pvc_resume: a suspended domain runs on, its suspend
 * hypercall returning 1. pvc_restore_state: gives a new, unbuilt domain
 * whose memory the caller wrote that state (it stays paused).
 */
int pvc_save_state(struct pvc_handle *h, uint32_t domid, uint8_t **state,
                   size_t *len);
int pvc_resume(struct pvc_handle *h, uint32_t domid);
int pvc_restore_state(struct pvc_handle *h, uint32_t domid,
                      const uint8_t *state, size_t len);

#endif /* PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVCTRL_H */
