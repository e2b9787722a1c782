/* SPDX-License-Identifier: MIT */
/* xenbus.h: xenstore client over the start_info ring: keys, watches, txns. */
#ifndef PVISOR_GUEST_KIT_XENBUS_H
#define PVISOR_GUEST_KIT_XENBUS_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/event_channel.h>
#include <pvabi/io/xs_wire.h>

/*
 * Every call below blocks the calling thread (never the vCPU) until the
 * store answers, so call them from threads, never from event handlers.
 * They return 0 (or a length) on success, or a negative Xen errno: the
 * store's error names map to their numbers (-XEN_ENOENT, -XEN_EACCES,
 * -XEN_EAGAIN, ...); -XEN_ENODEV without a xenstore; -XEN_ETIMEDOUT when
 * a timeout is set and passes; -XEN_EIO if the ring broke.
 *
 * Paths are absolute ("/local/domain/3/name") or relative to this
 * domain's home ("name" = "/local/domain/<self>/name").
 */

/* A transaction id; GK_XBT_NIL for none. */
typedef uint32_t gk_xbt_t;
#define GK_XBT_NIL 0

/*
 * Connect to the ring and event channel from start_info (store_mfn is a
 * pfn of guest RAM, store_evtchn a port the toolstack bound for us), start
 * the reader and watch threads and the control/shutdown watch. With no
 * xenstore (either value 0) it prints "guest-kit: xenstore not available"
 * once and every call returns -XEN_ENODEV; so does `gk.xenstore=off` on
 * the kernel command line. Called by guest-kit before main() (it may wait
 * up to a second for the store to answer XS_RESET_WATCHES); returns 0 or a
 * negative Xen errno.
 */
int gk_xenbus_init(void);

/* 1 if the client is connected to a store. */
int gk_xenbus_available(void);

/*
 * Called after the domain resumed from a suspend as a new domain (pvctl
 * restore): the store is a new connection (watches were registered
 * again before the hooks run), backends are new, possibly at other paths.
 * A frontend re-reads its backend and reconnects. Hooks run on the
 * xenwatch thread, in registration order. Up to 16 at once; add returns
 * 0 or -XEN_ENOSPC.
 */
struct gk_resume_hook {
    void (*fn)(void *arg);
    void *arg;
};
int gk_xenbus_resume_hook_add(const struct gk_resume_hook *h);
void gk_xenbus_resume_hook_del(const struct gk_resume_hook *h);

/*
 * Use `ring` and `port` (an event channel bound on vCPU 0 whose peer
 * serves the ring) instead of start_info's; for test harnesses that run
 * their own store. Must be called from a thread on vCPU 0 before any
 * request; starts the threads and the control/shutdown watch as
 * gk_xenbus_init() does. Returns 0 or -XEN_EBUSY if already connected.
 */
int gk_xenbus_attach(struct xenstore_domain_interface *ring,
                     evtchn_port_t port);

/*
 * Give up waiting for a reply after `ns` nanoseconds (0 = wait forever,
 * the default, as Xen guests do). Returns the previous value. A reply that
 * arrives after its caller gave up is dropped.
 */
uint64_t gk_xenbus_set_timeout(uint64_t ns);

/*
 * Read `path`. *value receives a gk_malloc'd NUL-terminated copy the
 * caller gk_free()s. Returns the value's length or a negative errno.
 */
int gk_xenbus_read(gk_xbt_t t, const char *path, char **value);

/* Read into buf (NUL-terminated, truncated to len-1); returns the length. */
int gk_xenbus_read_str(gk_xbt_t t, const char *path, char *buf, size_t len);

/* Read a decimal integer; -XEN_EINVAL if the value is not one. */
int gk_xenbus_read_int(gk_xbt_t t, const char *path, long *val);

/* Write `value` (a string) to `path`, creating it and missing parents. */
int gk_xenbus_write(gk_xbt_t t, const char *path, const char *value);

/* gk_xenbus_write with a printf-formatted value (up to 255 bytes). */
__attribute__((format(printf, 3, 4))) int
gk_xenbus_printf(gk_xbt_t t, const char *path, const char *fmt, ...);

/* Create `path` with an empty value (no error if it exists). */
int gk_xenbus_mkdir(gk_xbt_t t, const char *path);

/* Remove `path` and everything below it. */
int gk_xenbus_rm(gk_xbt_t t, const char *path);

/*
 * List the children of `path`: *names receives one gk_malloc'd block (an
 * array of *n pointers followed by the strings); gk_free(*names) frees
 * all. Returns 0 or a negative errno.
 */
int gk_xenbus_directory(gk_xbt_t t, const char *path, char ***names,
                        unsigned int *n);

/* One permission: `perm` is 'n' (none), 'r', 'w' or 'b' (both). */
struct gk_xs_perm {
    domid_t domid;
    char perm;
};

/*
 * Set the permissions of `path`. perms[0] names the owner and, in its
 * `perm`, what every domain not listed may do; the others grant a domain
 * access. E.g. { {self, 'n'}, {peer, 'r'} }: the peer may read.
 */
int gk_xenbus_set_perms(gk_xbt_t t, const char *path,
                        const struct gk_xs_perm *perms, unsigned int n);

/* Start a transaction; *t receives its id. */
int gk_xenbus_transaction_start(gk_xbt_t *t);

/*
 * Commit (abort = 0) or abort a transaction. A commit that conflicts with
 * a concurrent change returns -XEN_EAGAIN: run the transaction again.
 */
int gk_xenbus_transaction_end(gk_xbt_t t, int abort);

/*
 * Run fn(t, arg) in a transaction and commit, starting over while the
 * commit returns -XEN_EAGAIN (up to 64 times). A negative return from fn
 * aborts and is returned. Returns 0 or a negative errno.
 */
int gk_xenbus_transaction(int (*fn)(gk_xbt_t t, void *arg), void *arg);

/*
 * Watches. The store fires a watch once when it is registered and after
 * every change to its path or anything below it. With a callback, events
 * run it in guest-kit's "xenwatch" thread (it may make xenbus calls and
 * block; it must not wait for another watch's event). Without one, events
 * queue on the watch until gk_xenbus_wait_watch() takes them.
 */
struct gk_xenbus_watch;
typedef void (*gk_xenbus_watch_fn)(struct gk_xenbus_watch *w, const char *path,
                                   void *data);

/* Register a watch on `path`; *out receives its handle. */
int gk_xenbus_watch(const char *path, gk_xenbus_watch_fn fn, void *data,
                    struct gk_xenbus_watch **out);

/*
 * Remove a watch and drop its queued events. The handle is freed (after
 * its callback returns, if one is running); do not use it afterwards.
 */
int gk_xenbus_unwatch(struct gk_xenbus_watch *w);

/*
 * Wait for the next event of a watch without callback (one waiter at a
 * time): copy the path that fired into `path` (if not NULL). `deadline`
 * is a system time (gk_monotonic_ns), 0 for none. Returns 0, or
 * -XEN_ETIMEDOUT.
 */
int gk_xenbus_wait_watch(struct gk_xenbus_watch *w, char *path, size_t len,
                         uint64_t deadline);

/* The path a watch was registered on. */
const char *gk_xenbus_watch_path(const struct gk_xenbus_watch *w);

/*
 * This domain's id (the "domid" key of its home) and home path
 * ("/local/domain/<id>", XS_GET_DOMAIN_PATH); both cached after the first
 * success. gk_xenbus_domid returns the id or a negative errno.
 */
int gk_xenbus_domid(void);
int gk_xenbus_get_self_path(char *buf, size_t len);

/*
 * Send one raw request: `nvec` payload pieces are concatenated. On
 * success *reply is a gk_malloc'd NUL-terminated payload (caller frees)
 * and *reply_len its length (without the added NUL). An XS_ERROR reply is
 * returned as its negative errno.
 */
struct gk_xs_iov {
    const void *base;
    size_t len;
};
int gk_xenbus_request(gk_xbt_t t, uint32_t type, const struct gk_xs_iov *iov,
                      unsigned int nvec, char **reply, uint32_t *reply_len);

#endif /* PVISOR_GUEST_KIT_XENBUS_H */
