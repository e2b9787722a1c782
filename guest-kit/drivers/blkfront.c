/* SPDX-License-Identifier: MIT */
/* blkfront.c: PV block frontend: xenbus handshake, blkif ring, page pool. */
#include <guestkit/blkfront.h>
#include <guestkit/guestkit.h>
#include <pvabi/io/blkif.h>
#include <pvabi/io/xenbus.h>

#define NR_SHADOW  BLKIF_RING_SIZE
#define POOL_ORDER 10
#define POOL_PAGES \
    (1u << POOL_ORDER)         /* data pages, 4 MiB (4 x 1 MiB in flight) */
#define MAX_SEGS           256 /* pages per ring request with indirect */
#define CONNECT_TIMEOUT_NS 10000000000ull
#define CLOSE_TIMEOUT_NS   5000000000ull
#define PGSZ               4096u
#define MAX_REGIONS        8
#define PLUG_FLUSH_BYTES   (128u << 10) /* copied data a plug holds back */
#define REG_MAX_PAGES      1024         /* in-place buffers: 4 MiB per device */

/* One ring request in flight, kept to complete it or issue it again. */
struct shadow {
    int used;
    struct gk_blk_io *io;
    uint8_t *buf; /* this part's bytes in io->buf */
    uint32_t bytes;
    uint16_t nr_pages;        /* pool pages held (0 when in place) */
    uint16_t pages[MAX_SEGS]; /* pool indices */
    struct blkif_request req; /* the slot as written */
};

struct waiter {
    struct gk_thread *t;
    struct waiter *next;
};

enum phase { PH_INIT, PH_WAIT_CONNECT, PH_CONNECTED, PH_CLOSED };

/* A buffer from gk_blk_buffer_alloc: pages granted for the device's life. */
struct region {
    uint8_t *va;
    unsigned int order;
    int *refs; /* one per page */
};

struct gk_blk {
    struct gk_blk_info info;
    char node[32]; /* device/vbd/<devid> */
    char be[96];   /* backend path */
    domid_t be_id;
    gk_spinlock_t lock;
    /* the ring */
    blkif_front_ring_t ring;
    struct blkif_sring *sring;
    int ring_ref; /* -1: none */
    evtchn_port_t port;
    int connected;        /* requests may go to the ring */
    unsigned int plugged; /* gk_blk_plug depth: hold back pushes */
    uint64_t held;        /* bytes queued under the plug, not pushed */
    int dead;             /* closed: fail everything */
    uint8_t flush_op;
    int use_indirect;
    /* requests */
    struct shadow shadow[NR_SHADOW];
    uint16_t free_shadow[NR_SHADOW];
    unsigned int nr_free_shadow;
    /* data pages */
    uint8_t *pool_va[POOL_PAGES];
    int pool_ref[POOL_PAGES]; /* persistent grant, or -1 */
    uint16_t pool_free[POOL_PAGES];
    unsigned int nr_pool_free;
    uint8_t *ind_va[NR_SHADOW]; /* one indirect page per slot */
    int ind_ref[NR_SHADOW];
    /* in-place buffers */
    struct region regions[MAX_REGIONS];
    unsigned int nr_regions;              /* published */
    unsigned int reg_reserved, reg_pages; /* reserved by allocations */
    struct waiter *waiters;
    /* xenbus */
    struct gk_xenbus_watch *watch;
    struct gk_thread *state_thread;
    int state_event;
    enum phase phase;
    int user_closing;
    int close_sent;   /* our Closing written (state thread) */
    int pool_granted; /* persistence decided (grant_pool) */
    int thread_done;
    struct gk_thread *opener;
    struct gk_blk_stats st;
    struct gk_resume_hook resume;
};

static void wake_all(struct gk_blk *b)
{
    for (struct waiter *w = b->waiters; w; w = w->next)
        gk_thread_wake(w->t);
    b->waiters = NULL;
}

/* Called with the lock held: waits for a change, relocks. */
static void wait_locked(struct gk_blk *b, unsigned long *flags)
{
    struct waiter w = { gk_current(), b->waiters };

    b->waiters = &w;
    gk_spin_unlock_irqrestore(&b->lock, *flags);
    gk_thread_block();
    *flags = gk_spin_lock_irqsave(&b->lock);
    /* drop ourselves if a waker did not */
    for (struct waiter **pp = &b->waiters; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
}

static void push(struct gk_blk *b)
{
    int notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&b->ring, notify);
    if (notify) {
        b->st.notifies++;
        HYPERVISOR_pvisor_notify(b->port);
    }
}

static void release_pages(struct gk_blk *b, struct shadow *s)
{
    /*
     * Pushed back in reverse, so the next request pops them in the same
     * ascending order: a request's pages are then adjacent in the guest
     * and in the backend's persistent mapping, its segments merge into
     * one iovec there, and the disk gets few large segments (much faster
     * on disks with per-segment costs).
     */
    for (unsigned int i = s->nr_pages; i-- > 0;)
        b->pool_free[b->nr_pool_free++] = s->pages[i];
    s->nr_pages = 0;
}

/* Per-request grants (no persistent grants): refs live in pool_ref while
 * a request holds the page. */
static int grant_page(struct gk_blk *b, uint16_t p, int readonly)
{
    int ref;

    if (b->info.persistent)
        return b->pool_ref[p];
    ref = gk_grant_access(b->be_id, gk_virt_to_pfn(b->pool_va[p]), readonly);
    b->pool_ref[p] = ref;
    return ref;
}

static void ungrant_page(struct gk_blk *b, uint16_t p)
{
    if (b->info.persistent || b->pool_ref[p] < 0)
        return;
    /* the backend unmaps before it answers, so this succeeds */
    for (int i = 0;
         i < 1000 && gk_end_access((grant_ref_t)b->pool_ref[p]) == -XEN_EBUSY;
         i++)
        gk_cpu_relax();
    b->pool_ref[p] = -1;
}

static void complete_part(struct gk_blk *b, struct shadow *s, int16_t status,
                          struct gk_blk_io **done)
{
    struct gk_blk_io *io = s->io;
    unsigned int idx = (unsigned int)(s - b->shadow);

    if (status == BLKIF_RSP_OKAY && io->op == GK_BLK_READ) {
        uint32_t left = s->bytes;
        for (unsigned int i = 0; i < s->nr_pages; i++) {
            uint32_t n = left < PGSZ ? left : PGSZ;
            memcpy(s->buf + (size_t)i * PGSZ, b->pool_va[s->pages[i]], n);
            left -= n;
        }
    }
    for (unsigned int i = 0; i < s->nr_pages; i++)
        ungrant_page(b, s->pages[i]);
    if (!b->info.persistent && b->ind_ref[idx] >= 0 &&
        s->req.operation == BLKIF_OP_INDIRECT) {
        for (int i = 0;
             i < 1000 &&
             gk_end_access((grant_ref_t)b->ind_ref[idx]) == -XEN_EBUSY;
             i++)
            gk_cpu_relax();
        b->ind_ref[idx] = -1;
    }
    release_pages(b, s);
    if (status != BLKIF_RSP_OKAY && !io->status) {
        io->status =
            status == BLKIF_RSP_EOPNOTSUPP ? -XEN_EOPNOTSUPP : -XEN_EIO;
        b->st.errors++;
    }
    s->used = 0;
    s->io = NULL;
    b->free_shadow[b->nr_free_shadow++] = (uint16_t)idx;
    if (--io->pending == 0) {
        io->next_done = *done;
        *done = io;
    }
}

static void run_done(struct gk_blk_io *list)
{
    while (list) {
        struct gk_blk_io *next = list->next_done;
        list->done(list);
        list = next;
    }
}

static void blk_event(evtchn_port_t port, void *data)
{
    struct gk_blk *b = data;
    struct gk_blk_io *done = NULL;
    unsigned long flags;
    int more;

    (void)port;
    flags = gk_spin_lock_irqsave(&b->lock);
    if (!b->connected || !b->sring)
        goto out;
    do {
        RING_IDX rp = PVABI_RING_LOAD(b->sring->rsp_prod);

        pvabi_ring_rmb();
        if (RING_RESPONSE_PROD_OVERFLOW(&b->ring, rp)) {
            gk_printf("blkfront: %s: backend published a bogus rsp_prod\n",
                      b->node);
            goto out;
        }
        for (RING_IDX i = b->ring.rsp_cons; i != rp; i++) {
            struct blkif_response r;

            RING_COPY_RESPONSE(&b->ring, i, &r);
            b->st.responses++;
            if (r.id >= NR_SHADOW || !b->shadow[r.id].used)
                continue; /* not ours: ignore */
            complete_part(b, &b->shadow[r.id], r.status, &done);
        }
        b->ring.rsp_cons = rp;
        RING_FINAL_CHECK_FOR_RESPONSES(&b->ring, more);
    } while (more);
    wake_all(b);
out:
    gk_spin_unlock_irqrestore(&b->lock, flags);
    run_done(done);
}

void gk_blk_poll(struct gk_blk *b)
{
    blk_event(b->port, b);
}

/* Room for one part needing `pages` pool pages. */
static int have_room(struct gk_blk *b, unsigned int pages)
{
    return b->connected && !RING_FULL(&b->ring) && b->nr_free_shadow &&
           b->nr_pool_free >= pages;
}

/*
 * The in-place buffer holding all of [buf, buf + bytes) with buf page
 * aligned, or NULL (then the data goes through the pool). Only with
 * persistent grants: the refs are granted once, when the buffer is made.
 */
static struct region *in_place(struct gk_blk *b, const uint8_t *buf,
                               uint64_t bytes)
{
    if (!b->info.persistent || ((uintptr_t)buf & (PGSZ - 1)))
        return NULL;
    for (unsigned int i = 0; i < b->nr_regions; i++) {
        struct region *r = &b->regions[i];
        uint64_t size = (uint64_t)PGSZ << r->order;
        if (buf >= r->va && bytes <= size &&
            (uint64_t)(buf - r->va) <= size - bytes)
            return r;
    }
    return NULL;
}

/* Puts one part on the ring (room checked); r: its in-place buffer. */
static void queue_part(struct gk_blk *b, struct gk_blk_io *io, uint8_t *buf,
                       uint64_t sector, uint64_t nsec, struct region *r)
{
    uint16_t idx = b->free_shadow[--b->nr_free_shadow];
    struct shadow *s = &b->shadow[idx];
    struct blkif_request *req = &s->req;
    uint32_t bytes = (uint32_t)(nsec * 512);
    unsigned int pages = (bytes + PGSZ - 1) / PGSZ;
    struct blkif_request_segment *segs;

    s->used = 1;
    s->io = io;
    s->buf = buf;
    s->bytes = bytes;
    s->nr_pages = r ? 0 : (uint16_t)pages;
    memset(req, 0, sizeof(*req));
    req->id = idx;
    req->handle = (blkif_vdev_t)b->info.devid;
    req->sector_number = sector;

    if (io->op == GK_BLK_FLUSH) {
        req->operation = b->flush_op;
    } else if (io->op == GK_BLK_DISCARD) {
        struct blkif_request_discard *d = (void *)req;
        d->operation = BLKIF_OP_DISCARD;
        d->nr_sectors = nsec;
    } else {
        uint8_t op = io->op == GK_BLK_READ ? BLKIF_OP_READ : BLKIF_OP_WRITE;
        uint32_t left = bytes;

        if (pages > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            struct blkif_request_indirect *ind = (void *)req;
            ind->operation = BLKIF_OP_INDIRECT;
            ind->indirect_op = op;
            ind->nr_segments = (uint16_t)pages;
            ind->handle = (blkif_vdev_t)b->info.devid;
            ind->sector_number = sector;
            if (!b->info.persistent)
                b->ind_ref[idx] = gk_grant_access(
                    b->be_id, gk_virt_to_pfn(b->ind_va[idx]), 1);
            ind->indirect_grefs[0] = (grant_ref_t)b->ind_ref[idx];
            segs = (struct blkif_request_segment *)b->ind_va[idx];
        } else {
            req->operation = op;
            req->nr_segments = (uint8_t)pages;
            segs = req->seg;
        }
        for (unsigned int i = 0; i < pages; i++) {
            uint32_t n = left < PGSZ ? left : PGSZ;

            if (r) {
                segs[i].gref =
                    (grant_ref_t)r->refs[(size_t)(buf - r->va) / PGSZ + i];
            } else {
                uint16_t p = b->pool_free[--b->nr_pool_free];
                s->pages[i] = p;
                if (io->op == GK_BLK_WRITE)
                    memcpy(b->pool_va[p], buf + (size_t)i * PGSZ, n);
                segs[i].gref =
                    (grant_ref_t)grant_page(b, p, io->op == GK_BLK_WRITE);
            }
            segs[i].first_sect = 0;
            segs[i].last_sect = (uint8_t)(n / 512 - 1);
            left -= n;
        }
    }
    *RING_GET_REQUEST(&b->ring, b->ring.req_prod_pvt) = *req;
    b->ring.req_prod_pvt++;
    b->st.requests++;
    if (r)
        b->st.in_place++;
    io->pending++;
}

static int submit(struct gk_blk *b, struct gk_blk_io *io, int wait)
{
    uint64_t sector = io->sector, left = io->nr_sectors;
    uint8_t *buf = io->buf;
    uint64_t per = (uint64_t)b->info.max_segs * (PGSZ / 512);
    struct region *r = NULL;
    unsigned long flags;
    int last, copied = 0;

    io->status = 0;
    switch (io->op) {
    case GK_BLK_READ:
    case GK_BLK_WRITE:
    case GK_BLK_DISCARD:
        if (!left || left > b->info.sectors || sector > b->info.sectors - left)
            return -XEN_EINVAL;
        if (io->op != GK_BLK_READ && b->info.readonly)
            return -XEN_EROFS;
        if (io->op == GK_BLK_DISCARD && !b->info.discard)
            return -XEN_EOPNOTSUPP;
        if (io->op == GK_BLK_DISCARD)
            per = left;
        break;
    case GK_BLK_FLUSH:
        if (!b->info.flush) {
            io->done(io);
            return 0;
        }
        left = 1;
        per = 1;
        break;
    default:
        return -XEN_EINVAL;
    }
    flags = gk_spin_lock_irqsave(&b->lock);
    if (b->dead) {
        gk_spin_unlock_irqrestore(&b->lock, flags);
        return -XEN_ENODEV;
    }
    /* data through the pool: pages for each part */
    if (io->op == GK_BLK_READ || io->op == GK_BLK_WRITE) {
        r = in_place(b, buf, left * 512);
        copied = !r;
    }
    if (!wait &&
        (left > per ||
         !have_room(b,
                    copied ? (unsigned)((per * 512 + PGSZ - 1) / PGSZ) : 0))) {
        gk_spin_unlock_irqrestore(&b->lock, flags);
        return -XEN_EAGAIN;
    }
    io->pending = 1; /* held until every part is queued */
    while (left) {
        uint64_t n = left < per ? left : per;
        unsigned int pages =
            copied ? (unsigned)((n * 512 + PGSZ - 1) / PGSZ) : 0;
        while (!have_room(b, pages)) {
            if (b->dead)
                break;
            if (b->connected)
                push(b);
            wait_locked(b, &flags);
        }
        if (b->dead) {
            io->status = -XEN_ENODEV;
            break;
        }
        queue_part(b, io, buf, sector, io->op == GK_BLK_FLUSH ? 0 : n, r);
        if (io->op == GK_BLK_FLUSH)
            break;
        left -= n;
        sector += n;
        if (buf)
            buf += n * 512;
    }
    /* A plug batches requests, but holds back little copied data: the
     * backend starts on it while the next request is being copied. (In-
     * place requests cost nothing to queue: they wait for the unplug.) */
    if (b->plugged && copied)
        b->held += io->nr_sectors * 512;
    if (b->connected && (!b->plugged || b->held >= PLUG_FLUSH_BYTES)) {
        push(b);
        b->held = 0;
    }
    last = --io->pending == 0;
    gk_spin_unlock_irqrestore(&b->lock, flags);
    if (last)
        io->done(io);
    return 0;
}

void gk_blk_plug(struct gk_blk *b)
{
    unsigned long flags = gk_spin_lock_irqsave(&b->lock);

    b->plugged++;
    gk_spin_unlock_irqrestore(&b->lock, flags);
}

void gk_blk_unplug(struct gk_blk *b)
{
    unsigned long flags = gk_spin_lock_irqsave(&b->lock);

    if (b->plugged && --b->plugged == 0 && b->connected) {
        push(b);
        b->held = 0;
    }
    gk_spin_unlock_irqrestore(&b->lock, flags);
}

int gk_blk_submit(struct gk_blk *b, struct gk_blk_io *io)
{
    return submit(b, io, 1);
}

int gk_blk_submit_nowait(struct gk_blk *b, struct gk_blk_io *io)
{
    return submit(b, io, 0);
}

struct sync_wait {
    struct gk_thread *t;
    int done;
};

static void sync_done(struct gk_blk_io *io)
{
    struct sync_wait *w = io->arg;

    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    gk_thread_wake(w->t);
}

static int sync_io(struct gk_blk *b, enum gk_blk_op op, uint64_t sector,
                   uint64_t n, void *buf)
{
    struct sync_wait w = { gk_current(), 0 };
    struct gk_blk_io io = { .op = op,
                            .sector = sector,
                            .nr_sectors = n,
                            .buf = buf,
                            .done = sync_done,
                            .arg = &w };
    int rc = gk_blk_submit(b, &io);

    if (rc)
        return rc;
    while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
        gk_thread_block();
    return io.status;
}

int gk_blk_read(struct gk_blk *b, uint64_t sector, uint64_t n, void *buf)
{
    return sync_io(b, GK_BLK_READ, sector, n, buf);
}

int gk_blk_write(struct gk_blk *b, uint64_t sector, uint64_t n, const void *buf)
{
    return sync_io(b, GK_BLK_WRITE, sector, n, (void *)buf);
}

int gk_blk_flush(struct gk_blk *b)
{
    return sync_io(b, GK_BLK_FLUSH, 0, 0, NULL);
}

int gk_blk_discard(struct gk_blk *b, uint64_t sector, uint64_t n)
{
    return sync_io(b, GK_BLK_DISCARD, sector, n, NULL);
}

const struct gk_blk_info *gk_blk_info(const struct gk_blk *b)
{
    return &b->info;
}

void gk_blk_stats(const struct gk_blk *b, struct gk_blk_stats *st)
{
    *st = b->st;
}

/* ---- xenbus ---- */

static long be_long(struct gk_blk *b, const char *key, long dflt)
{
    char path[128];
    long v;

    gk_snprintf(path, sizeof(path), "%s/%s", b->be, key);
    return gk_xenbus_read_int(GK_XBT_NIL, path, &v) == 0 ? v : dflt;
}

static int set_state(struct gk_blk *b, int state)
{
    char path[64];

    gk_snprintf(path, sizeof(path), "%s/state", b->node);
    return gk_xenbus_printf(GK_XBT_NIL, path, "%d", state);
}

static void read_features(struct gk_blk *b)
{
    long segs = be_long(b, "feature-max-indirect-segments", 0);

    b->info.sectors = (uint64_t)be_long(b, "sectors", 0);
    b->info.sector_size = (uint32_t)be_long(b, "sector-size", 512);
    b->info.info = (uint32_t)be_long(b, "info", 0);
    b->info.readonly = (b->info.info & VDISK_READONLY) != 0;
    b->info.discard = be_long(b, "feature-discard", 0) == 1;
    if (be_long(b, "feature-flush-cache", 0) == 1)
        b->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
    else if (be_long(b, "feature-barrier", 0) == 1)
        b->flush_op = BLKIF_OP_WRITE_BARRIER;
    else
        b->flush_op = 0;
    b->info.flush = b->flush_op != 0;
    b->use_indirect = segs > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if (segs > MAX_SEGS)
        segs = MAX_SEGS;
    if (segs > POOL_PAGES / 4)
        segs = POOL_PAGES / 4;
    b->info.max_segs =
        b->use_indirect ? (uint32_t)segs : BLKIF_MAX_SEGMENTS_PER_REQUEST;
}

static int write_keys(gk_xbt_t t, void *arg)
{
    struct gk_blk *b = arg;
    char path[64];
    int rc;

#define PUT(key, ...)                                        \
    do {                                                     \
        gk_snprintf(path, sizeof(path), "%s/" key, b->node); \
        rc = gk_xenbus_printf(t, path, __VA_ARGS__);         \
        if (rc < 0)                                          \
            return rc;                                       \
    } while (0)
    PUT("ring-ref", "%d", b->ring_ref);
    PUT("event-channel", "%u", b->port);
    PUT("protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
    PUT("feature-persistent", "%d", b->info.persistent);
    PUT("state", "%d", XenbusStateInitialised);
#undef PUT
    return 0;
}

/*
 * At the backend's first InitWait, when its features are there to read:
 * with persistent grants the pool and the indirect pages are granted once,
 * read-write, for the device's life (a restarted backend maps them again).
 */
static int grant_pool(struct gk_blk *b)
{
    if (b->pool_granted)
        return 0;
    b->pool_granted = 1;
    b->info.persistent = be_long(b, "feature-persistent", 0) == 1;
    for (unsigned int i = 0; b->info.persistent && i < POOL_PAGES; i++) {
        b->pool_ref[i] =
            gk_grant_access(b->be_id, gk_virt_to_pfn(b->pool_va[i]), 0);
        if (b->pool_ref[i] < 0)
            return b->pool_ref[i];
    }
    for (unsigned int i = 0; b->info.persistent && i < NR_SHADOW; i++) {
        b->ind_ref[i] =
            gk_grant_access(b->be_id, gk_virt_to_pfn(b->ind_va[i]), 0);
        if (b->ind_ref[i] < 0)
            return b->ind_ref[i];
    }
    return 0;
}

/* Drops the ring and channel (the backend no longer uses them). */
static void drop_ring(struct gk_blk *b)
{
    if (b->port) {
        gk_evtchn_close(b->port);
        b->port = 0;
    }
    if (b->ring_ref >= 0) {
        int rc = gk_end_access((grant_ref_t)b->ring_ref);
        for (int i = 0; rc == -XEN_EBUSY && i < 50; i++) {
            gk_msleep(10);
            rc = gk_end_access((grant_ref_t)b->ring_ref);
        }
        if (rc == 0)
            gk_free_page(b->sring); /* else leak it: still mapped */
        b->ring_ref = -1;
    }
    b->sring = NULL;
}

/* A fresh ring and channel; requests not answered go on it again. */
static int make_ring(struct gk_blk *b)
{
    struct blkif_sring *s = gk_alloc_page();
    unsigned long flags;
    int ref, port;

    if (!s)
        return -XEN_ENOMEM;
    ref = gk_grant_access(b->be_id, gk_virt_to_pfn(s), 0);
    if (ref < 0) {
        gk_free_page(s);
        return ref;
    }
    port = gk_evtchn_alloc_unbound(b->be_id, blk_event, b);
    if (port < 0) {
        gk_end_access((grant_ref_t)ref);
        gk_free_page(s);
        return port;
    }
    flags = gk_spin_lock_irqsave(&b->lock);
    SHARED_RING_INIT(s);
    FRONT_RING_INIT(&b->ring, s, XEN_PAGE_SIZE);
    b->sring = s;
    b->ring_ref = ref;
    b->port = (evtchn_port_t)port;
    for (unsigned int i = 0; i < NR_SHADOW; i++) {
        if (!b->shadow[i].used)
            continue;
        *RING_GET_REQUEST(&b->ring, b->ring.req_prod_pvt) = b->shadow[i].req;
        b->ring.req_prod_pvt++;
    }
    gk_spin_unlock_irqrestore(&b->lock, flags);
    return 0;
}

static void fail_all(struct gk_blk *b)
{
    struct gk_blk_io *done = NULL;
    unsigned long flags = gk_spin_lock_irqsave(&b->lock);

    b->dead = 1;
    b->connected = 0;
    for (unsigned int i = 0; i < NR_SHADOW; i++)
        if (b->shadow[i].used)
            complete_part(b, &b->shadow[i], BLKIF_RSP_ERROR, &done);
    wake_all(b);
    gk_spin_unlock_irqrestore(&b->lock, flags);
    run_done(done);
}

static int busy(struct gk_blk *b)
{
    return b->nr_free_shadow != NR_SHADOW;
}

/* Backend Closing/Closed: let answers drain, then close our side. */
static void do_close(struct gk_blk *b)
{
    uint64_t deadline = gk_monotonic_ns() + CLOSE_TIMEOUT_NS;
    unsigned long flags = gk_spin_lock_irqsave(&b->lock);
    unsigned int left;

    while (busy(b) && b->connected && gk_monotonic_ns() < deadline) {
        gk_spin_unlock_irqrestore(&b->lock, flags);
        gk_msleep(5);
        flags = gk_spin_lock_irqsave(&b->lock);
    }
    left = NR_SHADOW - b->nr_free_shadow;
    gk_spin_unlock_irqrestore(&b->lock, flags);
    if (left)
        gk_printf("blkfront: %s: %u requests unanswered by the backend; "
                  "failing them\n",
                  b->node, left);
    fail_all(b);
    set_state(b, XenbusStateClosing);
}

static void state_changed(struct gk_xenbus_watch *w, const char *path,
                          void *data)
{
    struct gk_blk *b = data;

    (void)w;
    (void)path;
    __atomic_store_n(&b->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(b->state_thread);
}

static void state_thread(void *arg)
{
    struct gk_blk *b = arg;

    for (;;) {
        long st;

        /* Clear before reading: an event that lands after the read then
         * leaves the flag set and we look again (cleared after the read,
         * it would be lost and we would sleep on a stale state). */
        __atomic_store_n(&b->state_event, 0, __ATOMIC_SEQ_CST);
        st = be_long(b, "state", XenbusStateClosed);
        /* Only this thread writes our state while it runs, and nothing
         * after PH_CLOSED: the toolstack may have removed the directory
         * by then, and a write would create it again. */
        if (b->user_closing && b->phase != PH_CLOSED && !b->close_sent) {
            b->close_sent = 1;
            set_state(b, XenbusStateClosing);
        }
        if (b->user_closing && b->phase != PH_CLOSED &&
            (st == XenbusStateClosing || st == XenbusStateClosed)) {
            fail_all(b);
            drop_ring(b);
            set_state(b, XenbusStateClosed);
            b->phase = PH_CLOSED;
        }
        switch (b->phase == PH_CLOSED ? -1 : st) {
        case XenbusStateInitWait:
            if (b->phase == PH_CONNECTED) {
                /* the backend restarted: new ring, same requests */
                unsigned long flags = gk_spin_lock_irqsave(&b->lock);
                b->connected = 0;
                gk_spin_unlock_irqrestore(&b->lock, flags);
                drop_ring(b);
                b->st.reconnects++;
                gk_printf("blkfront: %s: backend restarted, reconnecting\n",
                          b->node);
                b->phase = PH_INIT;
            }
            if (b->phase == PH_INIT) {
                int rc = grant_pool(b);
                if (!rc)
                    rc = make_ring(b);
                if (!rc)
                    rc = gk_xenbus_transaction(write_keys, b);
                if (rc) {
                    gk_printf("blkfront: %s: handshake failed (%d)\n", b->node,
                              rc);
                    fail_all(b);
                    b->phase = PH_CLOSED;
                    break;
                }
                b->phase = PH_WAIT_CONNECT;
            }
            break;
        case XenbusStateConnected:
            if (b->phase == PH_WAIT_CONNECT) {
                unsigned long flags;
                read_features(b);
                set_state(b, XenbusStateConnected);
                flags = gk_spin_lock_irqsave(&b->lock);
                b->connected = 1;
                push(b);
                wake_all(b);
                gk_spin_unlock_irqrestore(&b->lock, flags);
                b->phase = PH_CONNECTED;
            }
            break;
        case XenbusStateClosing:
        case XenbusStateClosed:
            if (b->phase == PH_CONNECTED || b->phase == PH_WAIT_CONNECT) {
                do_close(b);
                drop_ring(b);
                set_state(b, XenbusStateClosed);
            } else if (b->phase == PH_INIT && st == XenbusStateClosed) {
                fail_all(b);
            } else {
                break;
            }
            b->phase = PH_CLOSED;
            break;
        default:
            break;
        }
        if (b->opener)
            gk_thread_wake(b->opener);
        if (b->phase == PH_CLOSED && (b->user_closing || b->dead))
            break;
        while (!__atomic_load_n(&b->state_event, __ATOMIC_ACQUIRE))
            gk_thread_block();
    }
    __atomic_store_n(&b->thread_done, 1, __ATOMIC_RELEASE);
    if (b->opener)
        gk_thread_wake(b->opener);
    gk_thread_exit();
}

/*
 * Resumed as a new domain: the backend is another one (its directory
 * names the new domid). Watch its state instead; at its InitWait the
 * state thread makes a new ring and puts the unanswered requests on it,
 * as after a backend restart.
 */
static void blk_resume(void *arg)
{
    struct gk_blk *b = arg;
    struct gk_xenbus_watch *w;
    char path[128], be[sizeof(b->be)];
    long id;

    gk_snprintf(path, sizeof(path), "%s/backend", b->node);
    if (gk_xenbus_read_str(GK_XBT_NIL, path, be, sizeof(be)) < 0) {
        gk_printf("blkfront: %s: no backend after resume\n", b->node);
        return;
    }
    gk_snprintf(path, sizeof(path), "%s/backend-id", b->node);
    if (gk_xenbus_read_int(GK_XBT_NIL, path, &id) < 0)
        id = b->be_id;
    if (strcmp(be, b->be) != 0) {
        gk_snprintf(path, sizeof(path), "%s/state", be);
        if (gk_xenbus_watch(path, state_changed, b, &w) < 0) {
            gk_printf("blkfront: %s: cannot watch %s\n", b->node, path);
            return;
        }
        gk_xenbus_unwatch(b->watch);
        b->watch = w;
        gk_strlcpy(b->be, be, sizeof(b->be));
    }
    b->be_id = (domid_t)id;
    gk_printf("blkfront: %s: resumed, backend %s\n", b->node, b->be);
    __atomic_store_n(&b->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(b->state_thread);
}

static int parse_name(const char *name, uint32_t *devid)
{
    if (!strncmp(name, "device/vbd/", 11))
        name += 11;
    if (!strncmp(name, "xvd", 3) && name[3] >= 'a' && name[3] <= 'z' &&
        !name[4]) {
        *devid = (202u << 8) | ((uint32_t)(name[3] - 'a') << 4);
        return 0;
    }
    if (name[0] >= '0' && name[0] <= '9') {
        long v = gk_strtol(name, NULL, 10);
        if (v > 0 && v < (1L << 28)) {
            *devid = (uint32_t)v;
            return 0;
        }
    }
    return -XEN_EINVAL;
}

void *gk_blk_buffer_alloc(struct gk_blk *b, size_t bytes)
{
    unsigned int order = 0, npages;
    struct region *r;
    unsigned long flags;
    uint8_t *va;
    int *refs;

    while (bytes > ((size_t)PGSZ << order) && order < 20)
        order++;
    npages = 1u << order;
    if (!bytes || bytes > ((size_t)PGSZ << order))
        return NULL;
    flags = gk_spin_lock_irqsave(&b->lock);
    if (b->dead || b->reg_reserved == MAX_REGIONS ||
        b->reg_pages + npages > REG_MAX_PAGES) {
        gk_spin_unlock_irqrestore(&b->lock, flags);
        return NULL;
    }
    b->reg_reserved++; /* other threads may allocate meanwhile */
    b->reg_pages += npages;
    gk_spin_unlock_irqrestore(&b->lock, flags);
    va = gk_alloc_pages(order);
    refs = va ? gk_calloc(npages, sizeof(*refs)) : NULL;
    for (unsigned int i = 0; refs && i < npages; i++) {
        /* without persistent grants the buffer is copied like any other */
        refs[i] = b->info.persistent
                      ? gk_grant_access(
                            b->be_id, gk_virt_to_pfn(va + (size_t)i * PGSZ), 0)
                      : -1;
        if (b->info.persistent && refs[i] < 0) {
            while (i--)
                gk_end_access((grant_ref_t)refs[i]);
            gk_free(refs);
            refs = NULL;
        }
    }
    flags = gk_spin_lock_irqsave(&b->lock);
    if (!refs) {
        b->reg_reserved--;
        b->reg_pages -= npages;
        gk_spin_unlock_irqrestore(&b->lock, flags);
        if (va)
            gk_free_pages(va, order);
        return NULL;
    }
    r = &b->regions[b->nr_regions];
    r->va = va;
    r->order = order;
    r->refs = refs;
    b->nr_regions++; /* published last: in_place may see it now */
    gk_spin_unlock_irqrestore(&b->lock, flags);
    return va;
}

static void free_regions(struct gk_blk *b)
{
    for (unsigned int i = 0; i < b->nr_regions; i++) {
        struct region *r = &b->regions[i];
        int busy = 0;
        for (unsigned int p = 0; p < (1u << r->order); p++)
            if (r->refs[p] >= 0 && gk_end_access((grant_ref_t)r->refs[p]))
                busy = 1;
        if (!busy) /* else still mapped by a backend: leak it */
            gk_free_pages(r->va, r->order);
        gk_free(r->refs);
    }
    b->nr_regions = 0;
}

static void free_dev(struct gk_blk *b)
{
    free_regions(b);
    for (unsigned int i = 0; i < POOL_PAGES; i++) {
        if (!b->pool_va[i])
            continue;
        if (b->info.persistent && b->pool_ref[i] >= 0 &&
            gk_end_access((grant_ref_t)b->pool_ref[i]) != 0)
            continue; /* still mapped by a backend: leak it */
        gk_free_page(b->pool_va[i]);
    }
    for (unsigned int i = 0; i < NR_SHADOW; i++) {
        if (!b->ind_va[i])
            continue;
        if (b->ind_ref[i] >= 0 &&
            gk_end_access((grant_ref_t)b->ind_ref[i]) != 0)
            continue;
        gk_free_page(b->ind_va[i]);
    }
    gk_free(b);
}

int gk_blk_open(const char *name, struct gk_blk **out)
{
    struct gk_blk *b;
    char path[64];
    uint64_t deadline;
    uint32_t devid;
    long id;
    int rc;

    if (parse_name(name, &devid))
        return -XEN_EINVAL;
    b = gk_calloc(1, sizeof(*b));
    if (!b)
        return -XEN_ENOMEM;
    gk_spin_init(&b->lock);
    b->info.devid = devid;
    b->ring_ref = -1;
    gk_snprintf(b->node, sizeof(b->node), "device/vbd/%u", devid);
    gk_snprintf(path, sizeof(path), "%s/backend", b->node);
    rc = gk_xenbus_read_str(GK_XBT_NIL, path, b->be, sizeof(b->be));
    if (rc < 0)
        goto fail_free;
    gk_snprintf(path, sizeof(path), "%s/backend-id", b->node);
    rc = gk_xenbus_read_int(GK_XBT_NIL, path, &id);
    if (rc < 0)
        goto fail_free;
    b->be_id = (domid_t)id;
    /* Granted once the backend's features are known (grant_pool). One
     * aligned run if memory allows: a 1 MiB request then lies in one 2 MiB
     * host page when guest RAM has them (pvisor --mem-path). */
    uint8_t *run = gk_alloc_pages(POOL_ORDER);
    for (unsigned int i = 0; i < POOL_PAGES; i++) {
        b->pool_va[i] = run ? run + (size_t)i * PGSZ : gk_alloc_page();
        b->pool_ref[i] = -1;
        if (!b->pool_va[i]) {
            rc = -XEN_ENOMEM;
            goto fail_free;
        }
    }
    /* a stack: popped as 0, 1, 2, ... (see release_pages) */
    for (unsigned int i = POOL_PAGES; i-- > 0;)
        b->pool_free[b->nr_pool_free++] = (uint16_t)i;
    for (unsigned int i = 0; i < NR_SHADOW; i++) {
        b->ind_va[i] = gk_alloc_page();
        b->ind_ref[i] = -1;
        if (!b->ind_va[i]) {
            rc = -XEN_ENOMEM;
            goto fail_free;
        }
        b->free_shadow[b->nr_free_shadow++] = (uint16_t)i;
    }
    /* Initialising makes a backend still holding an old ring (our
     * previous life) drop it and offer again. */
    set_state(b, XenbusStateInitialising);
    b->opener = gk_current();
    b->state_thread = gk_thread_create("blkfront", state_thread, b);
    if (!b->state_thread) {
        rc = -XEN_ENOMEM;
        goto fail_free;
    }
    gk_snprintf(path, sizeof(path), "%s/state", b->be);
    rc = gk_xenbus_watch(path, state_changed, b, &b->watch);
    if (rc < 0) {
        b->close_sent = 1;
        b->user_closing = 1;
        goto fail_thread;
    }
    deadline = gk_monotonic_ns() + CONNECT_TIMEOUT_NS;
    while (b->phase != PH_CONNECTED && b->phase != PH_CLOSED &&
           gk_monotonic_ns() < deadline)
        gk_thread_block_until(deadline);
    if (b->phase != PH_CONNECTED) {
        rc = b->phase == PH_CLOSED ? -XEN_ENODEV : -XEN_ETIMEDOUT;
        b->close_sent = 1;
        b->user_closing = 1;
        set_state(b, XenbusStateClosed);
        gk_xenbus_unwatch(b->watch);
        b->watch = NULL;
        goto fail_thread;
    }
    b->opener = NULL;
    b->resume = (struct gk_resume_hook){ blk_resume, b };
    if (gk_xenbus_resume_hook_add(&b->resume) < 0)
        gk_printf("blkfront: %s: too many devices to follow a resume\n",
                  b->node);
    *out = b;
    return 0;
fail_thread:
    /* the state thread exits once it sees user_closing */
    b->phase = PH_CLOSED;
    __atomic_store_n(&b->state_event, 1, __ATOMIC_RELEASE);
    gk_thread_wake(b->state_thread);
    while (!__atomic_load_n(&b->thread_done, __ATOMIC_ACQUIRE))
        gk_thread_block();
    fail_all(b);
    drop_ring(b);
fail_free:
    free_dev(b);
    return rc;
}

void gk_blk_close(struct gk_blk *b)
{
    uint64_t deadline = gk_monotonic_ns() + CLOSE_TIMEOUT_NS;

    if (!b)
        return;
    gk_xenbus_resume_hook_del(&b->resume);
    /* let our own requests finish first */
    while (busy(b) && b->connected && gk_monotonic_ns() < deadline)
        gk_msleep(2);
    b->opener = gk_current();
    b->user_closing = 1;
    /* the state thread writes Closing, unless the backend closed the
     * device first (then the thread is gone and nothing is written) */
    if (!__atomic_load_n(&b->thread_done, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&b->state_event, 1, __ATOMIC_RELEASE);
        gk_thread_wake(b->state_thread);
    }
    while (!__atomic_load_n(&b->thread_done, __ATOMIC_ACQUIRE) &&
           gk_monotonic_ns() < deadline)
        gk_thread_block_until(deadline);
    if (!b->thread_done) {
        /* the backend never answered: close anyway */
        b->phase = PH_CLOSED;
        __atomic_store_n(&b->state_event, 1, __ATOMIC_RELEASE);
        gk_thread_wake(b->state_thread);
        while (!__atomic_load_n(&b->thread_done, __ATOMIC_ACQUIRE))
            gk_thread_block();
        fail_all(b);
        drop_ring(b);
        set_state(b, XenbusStateClosed);
    }
    gk_xenbus_unwatch(b->watch);
    free_dev(b);
}
