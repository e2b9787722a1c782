/* SPDX-License-Identifier: MIT */
/* xenstore.h: libxenstore-compatible client API for pvstored (Xen's names). */
#ifndef PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XENSTORE_H
#define PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvabi/io/xs_wire.h" /* XS_WATCH_PATH, XS_WATCH_TOKEN, ... */

/*
 * Same signatures and semantics as Xen's libxenstore. Functions returning
 * bool or a pointer report failure as false/NULL with errno set (from the
 * daemon's error name, e.g. ENOENT, EACCES, EAGAIN for a transaction that
 * must be retried). Returned arrays and strings are one malloc'd block:
 * free() them. A handle may be shared by threads (e.g. one thread in
 * xs_read_watch while others issue requests).
 *
 * The daemon's socket: $XENSTORED_PATH, else $PVISOR_RUN_DIR/pvstored.sock,
 * else /run/pvisor/pvstored.sock.
 */

#define XBT_NULL 0

#define XS_OPEN_READONLY   (1UL << 0) /* accepted; the daemon decides */
#define XS_OPEN_SOCKETONLY (1UL << 1) /* accepted; always a socket */
#define XS_UNWATCH_FILTER  (1UL << 2) /* xs_unwatch drops queued events */

struct xs_handle;
typedef uint32_t xs_transaction_t;

enum xs_perm_type {
    XS_PERM_NONE = 0,
    XS_PERM_READ = 1,
    XS_PERM_WRITE = 2,
    XS_PERM_ENOENT_OK = 4, /* internal to Xen's daemon; unused here */
    XS_PERM_OWNER = 8,
};

struct xs_permissions {
    unsigned int id;
    enum xs_perm_type perms;
};

/* Length of "r<domid>\0" for any domid. */
#define MAX_STRLEN(x)  ((sizeof(x) * 8 + 2) / 3 + 2)
#define XS_PERM_STRLEN (MAX_STRLEN(unsigned int) + 1)

/* Connects to the daemon. NULL with errno on failure. */
struct xs_handle *xs_open(unsigned long flags);
/* Closes h (stops its reader thread, frees queued events). NULL is ok. */
void xs_close(struct xs_handle *h);
/* Old names of xs_open(0)/xs_close. */
struct xs_handle *xs_daemon_open(void);
struct xs_handle *xs_daemon_open_readonly(void);
struct xs_handle *xs_domain_open(void);
void xs_daemon_close(struct xs_handle *h);

/* The children of path; *num their count. */
char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path,
                    unsigned int *num);
/* The value of path (NUL added, not counted in *len; len may be NULL). */
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
              unsigned int *len);
/* Writes len bytes to path, creating it and its parents. */
bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
              const void *data, unsigned int len);
/* Creates path (and parents) with an empty value; fine if it exists. */
bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path);
/* Removes path and everything below it. */
bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path);
/* The permission list of path: [0] is owner and everyone's default. */
struct xs_permissions *xs_get_permissions(struct xs_handle *h,
                                          xs_transaction_t t, const char *path,
                                          unsigned int *num);
bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t,
                        const char *path, struct xs_permissions *perms,
                        unsigned int num_perms);

/* Watches path and everything below it; an event fires at once too. */
bool xs_watch(struct xs_handle *h, const char *path, const char *token);
/* An fd that becomes readable when a watch event is queued. */
int xs_fileno(struct xs_handle *h);
/* A queued event ([XS_WATCH_PATH], [XS_WATCH_TOKEN]) or NULL with errno
 * EAGAIN when none is queued. Never blocks. */
char **xs_check_watch(struct xs_handle *h);
/* Blocks until an event arrives; *num is the number of strings (2). */
char **xs_read_watch(struct xs_handle *h, unsigned int *num);
bool xs_unwatch(struct xs_handle *h, const char *path, const char *token);

/* XBT_NULL with errno on failure. */
xs_transaction_t xs_transaction_start(struct xs_handle *h);
/* Commits (abort false) or aborts t. false with errno EAGAIN: retry. */
bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort);

bool xs_introduce_domain(struct xs_handle *h, unsigned int domid,
                         unsigned long mfn, unsigned int eventchn);
bool xs_set_target(struct xs_handle *h, unsigned int domid,
                   unsigned int target);
bool xs_resume_domain(struct xs_handle *h, unsigned int domid);
bool xs_release_domain(struct xs_handle *h, unsigned int domid);
/* "/local/domain/<domid>", malloc'd. */
char *xs_get_domain_path(struct xs_handle *h, unsigned int domid);
bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid);
/* Whether child is parent or lies below it. */
bool xs_path_is_subpath(const char *parent, const char *child);

/* ---- helpers (Xen's xenstore_lib.h) ---- */

/* Formats "r5" style into buffer; false if it does not fit. */
bool xs_perm_to_string(const struct xs_permissions *perm, char *buffer,
                       size_t buf_len);
/* Parses num NUL-separated permission strings; false, errno EINVAL. */
bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num,
                         const char *strings);
/* Number of NUL-terminated strings in strings[0..len). */
unsigned int xs_count_strings(const char *strings, unsigned int len);

#endif /* PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XENSTORE_H */
