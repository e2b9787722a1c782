// SPDX-License-Identifier: MIT
/* cons_core.c: console ring access with hostile indices, history, parser. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cons_core.h"

#define RD_ONCE(x)    __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WR_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

void be_cons_ring_init(struct be_cons_ring *r, void *page)
{
    r->intf = page;
    r->out_cons = RD_ONCE(r->intf->out_cons);
    r->in_prod = RD_ONCE(r->intf->in_prod);
}

ssize_t be_cons_ring_read(struct be_cons_ring *r, void *buf, size_t cap)
{
    struct xencons_interface *intf = r->intf;
    XENCONS_RING_IDX prod = RD_ONCE(intf->out_prod);
    XENCONS_RING_IDX cons = r->out_cons;
    XENCONS_RING_IDX avail = prod - cons;
    size_t n = 0;

    if (avail > sizeof(intf->out))
        return -EPROTO;
    /* Read the data only after the producer index that covers it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (avail > cap)
        avail = (XENCONS_RING_IDX)cap;
    while (n < avail) {
        size_t off = MASK_XENCONS_IDX(cons, intf->out);
        size_t chunk = sizeof(intf->out) - off;
        if (chunk > avail - n)
            chunk = avail - n;
        memcpy((char *)buf + n, (const char *)intf->out + off, chunk);
        n += chunk;
        cons += (XENCONS_RING_IDX)chunk;
    }
    /* Finish reading before the guest may reuse the space. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r->out_cons = cons;
    WR_ONCE(intf->out_cons, cons);
    return (ssize_t)n;
}

ssize_t be_cons_ring_write(struct be_cons_ring *r, const void *buf, size_t len)
{
    struct xencons_interface *intf = r->intf;
    XENCONS_RING_IDX cons = RD_ONCE(intf->in_cons);
    XENCONS_RING_IDX prod = r->in_prod;
    XENCONS_RING_IDX used = prod - cons;
    size_t space, n = 0;

    if (used > sizeof(intf->in))
        return -EPROTO;
    /* The guest's reads of the old data are done before we overwrite. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    space = sizeof(intf->in) - used;
    if (len > space)
        len = space;
    while (n < len) {
        size_t off = MASK_XENCONS_IDX(prod, intf->in);
        size_t chunk = sizeof(intf->in) - off;
        if (chunk > len - n)
            chunk = len - n;
        memcpy((char *)intf->in + off, (const char *)buf + n, chunk);
        n += chunk;
        prod += (XENCONS_RING_IDX)chunk;
    }
    /* Data before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->in_prod = prod;
    WR_ONCE(intf->in_prod, prod);
    return (ssize_t)n;
}

int be_cons_hist_init(struct be_cons_hist *h, size_t size)
{
    memset(h, 0, sizeof(*h));
    if (size == 0 || (size & (size - 1)))
        return -EINVAL;
    h->buf = malloc(size);
    if (!h->buf)
        return -ENOMEM;
    h->size = size;
    return 0;
}

void be_cons_hist_free(struct be_cons_hist *h)
{
    free(h->buf);
    memset(h, 0, sizeof(*h));
}

void be_cons_hist_append(struct be_cons_hist *h, const void *data, size_t len)
{
    const char *p = data;

    if (len > h->size) { /* only the tail survives */
        h->total += len - h->size;
        p += len - h->size;
        len = h->size;
    }
    while (len) {
        size_t off = h->total & (h->size - 1);
        size_t chunk = h->size - off < len ? h->size - off : len;
        memcpy(h->buf + off, p, chunk);
        h->total += chunk;
        p += chunk;
        len -= chunk;
    }
}

size_t be_cons_hist_read(const struct be_cons_hist *h, void *out, size_t cap)
{
    size_t held = h->total < h->size ? (size_t)h->total : h->size;
    size_t n = held < cap ? held : cap;
    uint64_t pos = h->total - n;
    size_t done = 0;

    while (done < n) {
        size_t off = (pos + done) & (h->size - 1);
        size_t chunk = h->size - off < n - done ? h->size - off : n - done;
        memcpy((char *)out + done, h->buf + off, chunk);
        done += chunk;
    }
    return n;
}

static bool all_digits(const char *s);

/* ---- rate limit ---- */

size_t be_cons_rate_room(struct be_cons_rate *r, uint64_t now_ms)
{
    if (!r->budget)
        return SIZE_MAX;
    if (now_ms - r->start_ms >= r->window_ms || now_ms < r->start_ms) {
        r->start_ms = now_ms;
        r->used = 0;
    }
    return r->used < r->budget ? r->budget - r->used : 0;
}

void be_cons_rate_charge(struct be_cons_rate *r, size_t n)
{
    r->used = n > SIZE_MAX - r->used ? SIZE_MAX : r->used + n;
}

uint64_t be_cons_rate_next(const struct be_cons_rate *r)
{
    return r->start_ms + r->window_ms;
}

int be_cons_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -EINVAL;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    if (shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

int be_cons_rate_parse(const char *s, size_t *budget, uint64_t *window_ms)
{
    char num[32];
    const char *slash = strchr(s, '/');
    uint64_t b, w;

    if (!strcmp(s, "0")) {
        *budget = 0;
        *window_ms = 0;
        return 0;
    }
    if (!slash || (size_t)(slash - s) >= sizeof(num))
        return -EINVAL;
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = 0;
    if (be_cons_parse_size(num, &b) || !b || b > SIZE_MAX ||
        !all_digits(slash + 1) || be_cons_parse_size(slash + 1, &w) || !w ||
        w > 3600u * 1000)
        return -EINVAL;
    *budget = (size_t)b;
    *window_ms = w;
    return 0;
}

/* ---- control protocol ---- */

bool be_cons_name_ok(const char *name)
{
    size_t n = 0;

    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n >= 1 && n <= BE_CONS_NAME_MAX;
}

/* Decimal (or 0x hex when hex) without sign, overflow checked. */
static bool parse_u64(const char *s, bool hex, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* A domU id: 1..0x7fef (Xen's DOMID_FIRST_RESERVED is 0x7ff0). */
static bool parse_domid(const char *s, uint32_t *out)
{
    uint64_t v;

    if (!parse_u64(s, false, 0x7fef, &v) || v == 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static const struct {
    const char *word;
    enum be_cons_op op;
    int nargs;
} cmds[] = {
    { "ADD", BE_CONS_ADD, 4 },       { "DEL", BE_CONS_DEL, 1 },
    { "ATTACH", BE_CONS_ATTACH, 1 }, { "LIST", BE_CONS_LIST, 0 },
    { "PING", BE_CONS_PING, 0 },
};

int be_cons_parse(const char *line, size_t len, struct be_cons_req *req,
                  const char **why)
{
    char buf[BE_CONS_LINE_MAX + 1];
    char *tok[6];
    int nt = 0;
    uint64_t v;

    memset(req, 0, sizeof(*req));
    if (len && line[len - 1] == '\r')
        len--;
    if (len > BE_CONS_LINE_MAX)
        return *why = "line too long", -EINVAL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return *why = "control or non-ASCII byte in request", -EINVAL;
    memcpy(buf, line, len);
    buf[len] = 0;
    for (char *p = buf; *p;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        if (nt == 6)
            return *why = "too many arguments", -EINVAL;
        tok[nt++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (nt == 0)
        return *why = "empty request", -EINVAL;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(tok[0], cmds[i].word))
            continue;
        if (nt - 1 != cmds[i].nargs)
            return *why = "wrong number of arguments", -EINVAL;
        req->op = cmds[i].op;
        switch (req->op) {
        case BE_CONS_ADD:
            if (!parse_domid(tok[1], &req->domid))
                return *why = "bad domid", -EINVAL;
            if (!be_cons_name_ok(tok[2]))
                return *why = "bad domain name", -EINVAL;
            strcpy(req->name, tok[2]);
            if (!parse_u64(tok[3], true, UINT64_MAX >> 12, &req->mfn))
                return *why = "bad ring frame", -EINVAL;
            if (!parse_u64(tok[4], false, UINT32_MAX, &v))
                return *why = "bad port", -EINVAL;
            req->port = (uint32_t)v;
            return 0;
        case BE_CONS_DEL:
            if (!parse_domid(tok[1], &req->domid))
                return *why = "bad domid", -EINVAL;
            return 0;
        case BE_CONS_ATTACH:
            if (all_digits(tok[1])) {
                if (!parse_domid(tok[1], &req->domid))
                    return *why = "bad domid", -EINVAL;
                return 0;
            }
            if (!be_cons_name_ok(tok[1]))
                return *why = "bad domain name", -EINVAL;
            strcpy(req->name, tok[1]);
            req->by_name = true;
            return 0;
        default:
            return 0;
        }
    }
    return *why = "unknown request", -EINVAL;
}
