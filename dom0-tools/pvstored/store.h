/* SPDX-License-Identifier: MIT */
/* store.h: pvstored internals: tree, connections, watches, transactions. */
#ifndef PVISOR_DOM0_TOOLS_PVSTORED_STORE_H
#define PVISOR_DOM0_TOOLS_PVSTORED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pvabi/io/xs_wire.h"

/* ---- logging ---- */

enum store_log_level {
    STORE_LOG_ERR,
    STORE_LOG_WARN,
    STORE_LOG_INFO,
    STORE_LOG_DEBUG
};
extern int store_log_level;

/* Logs one line (newline added) to the log fd (stderr by default). */
void store_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sends log lines to fd from now on (-1: discard). */
void store_log_set_fd(int fd);
/* The fd log lines go to (-1: none). */
int store_log_fd(void);
/* "err|warn|info|debug" -> level, or -1. */
int store_log_parse_level(const char *s);

#define store_err(...)  store_log(STORE_LOG_ERR, __VA_ARGS__)
#define store_warn(...) store_log(STORE_LOG_WARN, __VA_ARGS__)
#define store_info(...) store_log(STORE_LOG_INFO, __VA_ARGS__)
#define store_debug(...)                             \
    do {                                             \
        if (store_log_level >= STORE_LOG_DEBUG)      \
            store_log(STORE_LOG_DEBUG, __VA_ARGS__); \
    } while (0)

/* ---- limits and quotas ---- */

#define STORE_DOMID_LIMIT    0x7ff0u      /* DOMID_FIRST_RESERVED */
#define STORE_BATCH          16           /* requests per connection per turn */
#define STORE_OUTQ_SOFT      (64u * 1024) /* stop reading requests above */
#define STORE_OUTQ_HARD      (1024u * 1024) /* drop watch events above */
#define STORE_TXN_ACCESS_MAX 2048 /* nodes one transaction may touch */
/* Bytes one unprivileged transaction may log (paths, values and per-op
 * overhead), checked before anything is applied: ENOSPC past it. */
#define STORE_TXN_LOG_MAX (256u * 1024)

/* Per-domain quotas; dom0 (privileged) is exempt. Xen's defaults. */
struct store_quota {
    unsigned nodes;        /* nodes owned by a domain (ENOSPC) */
    unsigned watches;      /* watches of a domain (E2BIG) */
    unsigned transactions; /* open transactions of a domain (ENOSPC) */
    unsigned value_size;   /* bytes in one value (ENOSPC) */
    unsigned perms;        /* entries in one permission list (ENOSPC) */
};
#define STORE_QUOTA_DEFAULT    \
    {                          \
        1000, 128, 10, 2048, 5 \
    }

/* ---- permissions ---- */

#define STORE_PERM_NONE  0u
#define STORE_PERM_READ  1u
#define STORE_PERM_WRITE 2u
#define STORE_PERM_BOTH  3u

struct store_perm {
    uint32_t domid;
    uint32_t perm; /* STORE_PERM_* */
};

/* ---- nodes ---- */

/*
 * Nodes are reference counted and copied on write, so a transaction's
 * snapshot is just a reference to the root taken at its start. gen changes
 * whenever the node's own value, permissions or set of children change
 * (not when a descendant changes); transactions compare it at commit.
 */
struct store_node {
    unsigned refs;
    uint64_t gen;
    char *name;  /* last component, "" for the root */
    char *value; /* vlen bytes, may be NULL when 0 */
    size_t vlen;
    struct store_perm *perms; /* nr_perms >= 1; [0] = owner+default */
    unsigned nr_perms;
    struct store_node **child; /* sorted by name */
    unsigned nr_child;
    unsigned cap_child;
};

/* Per-domain accounting; entries exist on demand (dom0 always). */
struct store_domain {
    uint32_t domid;
    int nr_nodes;
    int nr_watches;
    int nr_txns;
    bool introduced;
    uint64_t mfn;
    uint32_t port;           /* the guest's xenstore port */
    uint32_t target;         /* SET_TARGET, or UINT32_MAX */
    struct store_conn *conn; /* its ring connection, or NULL */
};

/* Node-count deltas collected by one tree operation sequence. */
struct store_ledger {
    struct {
        uint32_t domid;
        int delta;
    } * e;
    unsigned nr, cap;
};

struct store;
struct store_conn;

/* A change that watches must hear about. */
struct store_change {
    const char *path;               /* absolute */
    const struct store_perm *perms; /* of the node (before removal) */
    unsigned nr_perms;
    bool recursive; /* removal: watches below fire too */
};

/* A view: the tree an operation works on (main, or a transaction's). */
struct store_view {
    struct store *st;
    struct store_node **root;
    struct store_ledger *ledger;
    struct store_txn *txn; /* NULL on the main tree */
    /* Told about each change (NULL: nobody listens). */
    void (*changed)(struct store_view *v, const struct store_change *ch);
    void *arg; /* for changed */
};

/* ---- transports and connections ---- */

struct store_transport {
    const char *name;
    /* Reads up to len bytes: returns >0, 0 when nothing is there now, or
     * -errno when the peer is gone or broke the protocol. */
    ssize_t (*read)(struct store_conn *c, void *buf, size_t len);
    /* Writes up to len bytes: returns >0, 0 when full now, or -errno. */
    ssize_t (*write)(struct store_conn *c, const void *buf, size_t len);
    /* After a batch of reads/writes (the ring notifies its channel). */
    void (*kick)(struct store_conn *c);
    /* Before a batch (may be NULL): notices a peer that started over and
     * resets the connection (store_conn_reset). */
    void (*sync)(struct store_conn *c);
    /* Frees the transport state in c->priv (and closes its fd). */
    void (*destroy)(struct store_conn *c);
};

struct store_outmsg {
    struct store_outmsg *next;
    size_t len, off;
    char data[];
};

struct store_watch;
struct store_txn;

struct store_conn {
    struct store *st;
    struct store_conn *next; /* in st->conns */
    const struct store_transport *tp;
    void *priv;
    int fd; /* for the event loop, -1 if none */
    uint32_t domid;
    struct store_domain *dom;
    bool dead;          /* to be destroyed by the loop */
    bool more;          /* stopped at the batch limit */
    bool out_blocked;   /* stopped reading: output too big */
    uint32_t ep_events; /* what the event loop waits for */
    /* input: header then payload */
    struct xsd_sockmsg hdr;
    size_t in_have; /* bytes of header + payload read */
    char *in;       /* XENSTORE_PAYLOAD_MAX + 1 */
    /* output */
    struct store_outmsg *out_head, *out_tail;
    size_t out_bytes;
    unsigned long dropped_events;
    struct store_watch *watches;
    struct store_txn *txns;
    uint32_t next_txid;
};

/* Introduces/releases guest rings; the daemon uses libpvctrl, tests fake
 * it. introduce returns a new connection for domid (already in st). */
struct store_host_ops {
    int (*introduce)(struct store *st, uint32_t domid, uint64_t mfn,
                     uint32_t port, struct store_conn **out);
};

struct store {
    struct store_node *root;
    uint64_t gen; /* last generation handed out */
    struct store_quota quota;
    struct store_domain *doms[STORE_DOMID_LIMIT];
    struct store_conn *conns;
    const struct store_host_ops *host;
    void *host_priv;
    unsigned nr_conns;
};

/* ---- store_tree.c ---- */

/* Creates the store with "/", "/local", "/local/domain", "/tool" owned by
 * dom0 and default quotas. Returns NULL on ENOMEM. */
struct store *store_new(void);
/* Destroys every connection and the tree. NULL allowed. */
void store_free(struct store *st);

/* The accounting entry of domid, created on demand; NULL on ENOMEM or a
 * domid >= STORE_DOMID_LIMIT. */
struct store_domain *store_domain_get(struct store *st, uint32_t domid);
/* The entry if it exists. */
struct store_domain *store_domain_find(struct store *st, uint32_t domid);

/* Returns a view of the main tree; ledger is applied by the callee. */
void store_main_view(struct store *st, struct store_view *v,
                     struct store_ledger *ledger);
/* Adds ledger's deltas to the domains' counts and empties it. */
void store_ledger_apply(struct store *st, struct store_ledger *l);
void store_ledger_free(struct store_ledger *l);

/* Walks absolute path from root; NULL if absent. */
struct store_node *store_lookup(struct store_node *root, const char *path);
/* The permission conn's domain has on node: STORE_PERM_*. */
unsigned store_perm_of(const struct store_conn *c,
                       const struct store_perm *perms, unsigned nr);
/* Whether c is privileged (dom0). */
bool store_privileged(const struct store_conn *c);

/* Reads: 0 or -ENOENT/-EACCES. *node stays owned by the tree. */
int store_tree_get(struct store_view *v, struct store_conn *c, const char *path,
                   unsigned want, const struct store_node **node);
/* Writes value (create = mkdir-only: an existing node is left alone),
 * creating parents. 0 or -EACCES/-ENOSPC/-ENOMEM/-EINVAL. */
int store_tree_write(struct store_view *v, struct store_conn *c,
                     const char *path, const void *val, size_t len,
                     bool mkdir_only);
/* Removes path and its subtree. 0 or -ENOENT/-EACCES/-EINVAL/-ENOMEM. */
int store_tree_rm(struct store_view *v, struct store_conn *c, const char *path);
/* Sets the permission list. 0 or -ENOENT/-EACCES/-EPERM/-ENOSPC. */
int store_tree_set_perms(struct store_view *v, struct store_conn *c,
                         const char *path, const struct store_perm *p,
                         unsigned nr);
/* Drops a reference (frees at zero, recursively). NULL allowed. */
void store_node_put(struct store_node *n);

/* Parses "r5" style permission strings; 0 or -EINVAL. */
int store_perm_parse(const char *s, struct store_perm *p);
/* Formats p into buf (>= 12 bytes); returns the length. */
int store_perm_format(const struct store_perm *p, char *buf, size_t len);

/* ---- store_watch.c ---- */

/* Adds a watch on abs_path reported as path (relative or absolute) with
 * token. 0 or -EEXIST/-E2BIG/-ENOMEM; -E2BIG also when the token is too
 * long for the watch's longest event to fit one message. */
int store_watch_add(struct store_conn *c, const char *abs_path,
                    const char *path, const char *token);
/* The longest token a watch on abs_path (reported as path) may have:
 * XENSTORE_PAYLOAD_MAX less the longest event path and two NULs. */
size_t store_watch_token_max(const char *abs_path, const char *path);
/* Removes it: 0 or -ENOENT. */
int store_watch_remove(struct store_conn *c, const char *abs_path,
                       const char *token);
/* Removes all watches of c. */
void store_watch_remove_all(struct store_conn *c);
/* Fires the watches a change hears (main tree). */
void store_watch_fire(struct store *st, const struct store_change *ch);
/* A store_view.changed that fires watches at once. */
void store_watch_changed(struct store_view *v, const struct store_change *ch);
/* Queues one watch event to c (dropped when its queue is full). */
void store_watch_event(struct store_conn *c, const char *path,
                       const char *token);
/* Fires "@introduceDomain"/"@releaseDomain" style special paths. */
void store_watch_fire_special(struct store *st, const char *special);

/* ---- store_txn.c ---- */

/* Starts a transaction for c; *id is its id. 0 or -ENOSPC/-ENOMEM. */
int store_txn_start(struct store_conn *c, uint32_t *id);
/* The transaction id of c, or NULL. */
struct store_txn *store_txn_find(struct store_conn *c, uint32_t id);
/* A view of the transaction's snapshot. */
void store_txn_view(struct store_txn *t, struct store_view *v);
/* Records that the transaction read/changed path; 0 or -ENOSPC. */
int store_txn_access(struct store_txn *t, const char *path);
/* Logs an operation for replay at commit (path is absolute). */
int store_txn_log_write(struct store_txn *t, const char *path, const void *val,
                        size_t len, bool mkdir_only);
int store_txn_log_rm(struct store_txn *t, const char *path);
int store_txn_log_perms(struct store_txn *t, const char *path,
                        const struct store_perm *p, unsigned nr);
/* Ends it: commit (0, -EAGAIN on conflict, -errno) or abort (0). */
int store_txn_end(struct store_conn *c, struct store_txn *t, bool commit);
/* Aborts all transactions of c. */
void store_txn_abort_all(struct store_conn *c);

/* ---- store_wire.c ---- */

/* Handles one complete request (payload has len bytes plus a NUL at
 * [len]). Replies go to c's output queue. Returns 0, or -EPROTO when the
 * connection must be dropped. */
int store_wire_dispatch(struct store_conn *c, const struct xsd_sockmsg *h,
                        const char *payload);
/* The wire name of a negative errno ("ENOENT"); EINVAL if unknown. */
const char *store_wire_errname(int err);
/* Introduces domid's ring (privileged side); used by INTRODUCE. */
int store_domain_introduce(struct store *st, uint32_t domid, uint64_t mfn,
                           uint32_t port);
/* Releases domid: drops its connection, watches and transactions and
 * fires @releaseDomain. 0 or -ENOENT. */
int store_domain_release(struct store *st, uint32_t domid);

/* ---- store_conn.c ---- */

/* New connection for domid over tp (priv owned from now on, also on
 * failure, when tp->destroy is called). Links it into st. */
struct store_conn *store_conn_new(struct store *st,
                                  const struct store_transport *tp, void *priv,
                                  int fd, uint32_t domid);
/* Unlinks and frees c: watches, transactions, queues, transport. */
void store_conn_destroy(struct store_conn *c);
/* Forgets the conversation so far: watches, transactions, the request
 * being read, replies not yet sent. The domain and its nodes stay. */
void store_conn_reset(struct store_conn *c);
/* Queues a message: header (type, req_id, tx_id) and payload parts. */
int store_conn_send(struct store_conn *c, uint32_t type, uint32_t req_id,
                    uint32_t tx_id, const void *a, size_t alen, const void *b,
                    size_t blen);
/* Queues an XS_ERROR reply naming -err. */
int store_conn_send_error(struct store_conn *c, const struct xsd_sockmsg *h,
                          int err);
/* Reads and handles up to budget requests; marks c dead on a bad peer.
 * Sets c->more when requests may remain. Returns requests handled. */
unsigned store_conn_process(struct store_conn *c, unsigned budget);
/* Writes queued output; kicks the transport. Marks dead on errors. */
void store_conn_flush(struct store_conn *c);
/* Destroys every dead connection. */
void store_conns_reap(struct store *st);

/* The unix-socket transport; fd is a connected nonblocking socket. */
extern const struct store_transport store_socket_transport;

/* The guest ring transport. */
struct store_ring {
    struct xenstore_domain_interface *intf;
    void *map; /* to munmap (NULL: not ours) */
    size_t map_len;
    uint32_t port; /* local event channel port */
    void (*notify)(struct store_ring *r);
    void (*release)(struct store_ring *r); /* unbind, unmap; may be NULL */
    void *arg;
    bool broken;
};
extern const struct store_transport store_ring_transport;

/* A connection for domid over the ring r (copied; r's map and release
 * are owned by the connection from now on, also on failure). Sets the
 * page's server_features. NULL on ENOMEM. */
struct store_conn *store_ring_conn_new(struct store *st, uint32_t domid,
                                       const struct store_ring *r);
/* c's ring, or NULL when c is not a ring connection. */
struct store_ring *store_ring_of(struct store_conn *c);

#endif /* PVISOR_DOM0_TOOLS_PVSTORED_STORE_H */
