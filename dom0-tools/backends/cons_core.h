/* SPDX-License-Identifier: MIT */
/* cons_core.h: pv-consoled's pure parts: ring access, history, protocol. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_CONS_CORE_H
#define PVISOR_DOM0_TOOLS_BACKENDS_CONS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pvabi/io/console.h>

/*
 * The backend's end of one console ring. The guest controls the whole
 * page, so the backend keeps its own copies of the indices it owns
 * (out_cons, in_prod) and only reads the guest's (out_prod, in_cons),
 * each once per call, checking them against its own before use.
 */
struct be_cons_ring {
    struct xencons_interface *intf; /* the mapped page */
    XENCONS_RING_IDX out_cons;      /* ours: next output byte to read */
    XENCONS_RING_IDX in_prod;       /* ours: next input byte to write */
};

/* Starts using page, taking the indices the page holds now (a fresh
 * page has zeros; a page reconnected after a daemon restart its own). */
void be_cons_ring_init(struct be_cons_ring *r, void *page);

/*
 * Moves up to cap bytes of guest output into buf and publishes the new
 * out_cons. Returns the number of bytes (0: ring empty) or -EPROTO when
 * out_prod is more than sizeof(out) ahead of out_cons (nothing consumed).
 */
ssize_t be_cons_ring_read(struct be_cons_ring *r, void *buf, size_t cap);

/*
 * Copies up to len bytes of input into the in ring and publishes in_prod.
 * Returns the number written (0: ring full) or -EPROTO when in_cons is
 * not within sizeof(in) behind in_prod.
 */
ssize_t be_cons_ring_write(struct be_cons_ring *r, const void *buf, size_t len);

/* The last `size` bytes of a domain's console, for replay on attach. */
struct be_cons_hist {
    char *buf;
    size_t size;    /* capacity, a power of two */
    uint64_t total; /* bytes ever appended */
};

#define BE_CONS_HIST_SIZE (64u * 1024)

/* Allocates size bytes (a power of two). Returns 0 or -ENOMEM/-EINVAL. */
int be_cons_hist_init(struct be_cons_hist *h, size_t size);
void be_cons_hist_free(struct be_cons_hist *h);
void be_cons_hist_append(struct be_cons_hist *h, const void *data, size_t len);
/* Copies the newest min(cap, held) bytes, oldest first; returns count. */
size_t be_cons_hist_read(const struct be_cons_hist *h, void *out, size_t cap);

/*
 * A byte budget per time window for one guest's ring output (as
 * xenconsoled limits a guest's events): once `budget` bytes were read in
 * the window that began at `start_ms`, reading waits for the next window.
 */
struct be_cons_rate {
    size_t budget;      /* bytes per window; 0: no limit */
    uint64_t window_ms; /* window length (> 0 when budget is set) */
    uint64_t start_ms;  /* when the current window began */
    size_t used;        /* bytes read in the current window */
};

#define BE_CONS_RATE_BYTES     (64u * 1024) /* default budget ... */
#define BE_CONS_RATE_WINDOW_MS 100u         /* ... per 100 ms: 640 KiB/s */

/* Bytes that may be read at now_ms (starting a new window when the
 * current one has passed); SIZE_MAX without a limit. */
size_t be_cons_rate_room(struct be_cons_rate *r, uint64_t now_ms);
/* Counts n bytes read against the current window. */
void be_cons_rate_charge(struct be_cons_rate *r, size_t n);
/* When the next window opens. */
uint64_t be_cons_rate_next(const struct be_cons_rate *r);

/*
 * "BYTES/MS" (BYTES may end in K or M; "0" alone: no limit) into budget
 * and window. Returns 0 or -EINVAL.
 */
int be_cons_rate_parse(const char *s, size_t *budget, uint64_t *window_ms);

/* "N", "NK" or "NM" (KiB, MiB) into *out. Returns 0 or -EINVAL. */
int be_cons_parse_size(const char *s, uint64_t *out);

/* ---- control protocol (see docs/split-drivers.md, "Console") ---- */

#define BE_CONS_LINE_MAX 255 /* bytes before the '\n' */
#define BE_CONS_NAME_MAX 63

enum be_cons_op {
    BE_CONS_ADD,    /* ADD domid name ring-mfn port */
    BE_CONS_DEL,    /* DEL domid */
    BE_CONS_ATTACH, /* ATTACH domid|name */
    BE_CONS_LIST,   /* LIST */
    BE_CONS_PING,   /* PING */
};

struct be_cons_req {
    enum be_cons_op op;
    uint32_t domid;                  /* ADD, DEL, ATTACH by id */
    char name[BE_CONS_NAME_MAX + 1]; /* ADD, ATTACH by name */
    bool by_name;                    /* ATTACH gave a name */
    uint64_t mfn;                    /* ADD: ring frame */
    uint32_t port;                   /* ADD: guest port; 0 = no ring */
};

/*
 * Parses one request line (without its '\n'; a trailing '\r' is
 * accepted) of len bytes. Untrusted input: any byte may appear. Returns
 * 0 with *req filled, or -EINVAL with a static explanation in *why.
 */
int be_cons_parse(const char *line, size_t len, struct be_cons_req *req,
                  const char **why);

/* True for a domain name pvisor accepts: 1..63 of [A-Za-z0-9_.-]. */
bool be_cons_name_ok(const char *name);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_CONS_CORE_H */
