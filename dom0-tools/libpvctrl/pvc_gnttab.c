// SPDX-License-Identifier: MIT
/* pvc_gnttab.c: dom0 grant mapping: pvisor validates, we map the frames. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pvabi/grant_table.h>

#include "pvctrl.h"
#include "pvgnttab.h"

#define PG 4096u

struct mapping {
    struct mapping *next;
    uint8_t *addr;
    uint32_t count;
    size_t nhandles;
    uint64_t handles[];
};

struct pvgnttab {
    struct pvc_handle *h;
    struct mapping *maps;
};

pvgnttab *pvgnttab_open(const char *run_dir)
{
    pvgnttab *g = calloc(1, sizeof(*g));
    int rc;

    if (!g) {
        errno = ENOMEM;
        return NULL;
    }
    rc = pvc_open(run_dir, &g->h);
    if (rc) {
        free(g);
        errno = -rc;
        return NULL;
    }
    return g;
}

void pvgnttab_close(pvgnttab *g)
{
    if (!g)
        return;
    while (g->maps) {
        struct mapping *m = g->maps;
        g->maps = m->next;
        munmap(m->addr, (size_t)m->count * PG);
        free(m);
    }
    pvc_close(g->h); /* pvisor drops the pins with the connection */
    free(g);
}

int pvgnttab_bind_domain(pvgnttab *g, uint32_t domid)
{
    return pvc_bind_domain(g->h, domid);
}

static int grant_unmap_handle(pvgnttab *g, uint64_t handle)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__GrantUnmap u = PVMGMT__GRANT_UNMAP__INIT;
    Pvmgmt__Response *rsp = NULL;
    int rc;

    u.handle = handle;
    req.op_case = PVMGMT__REQUEST__OP_GRANT_UNMAP;
    req.grant_unmap = &u;
    rc = pvc_call(g->h, &req, &rsp, NULL, 0, NULL);
    if (rsp)
        pvmgmt__response__free_unpacked(rsp, NULL);
    return rc;
}

/* Map n refs of one domain at dst (already reserved). */
static int map_batch(pvgnttab *g, uint32_t domid, const uint32_t *refs,
                     uint32_t n, int prot, uint8_t *dst, uint64_t *handle)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__GrantMap m = PVMGMT__GRANT_MAP__INIT;
    Pvmgmt__Response *rsp = NULL;
    int fd = -1;
    size_t nfds = 0;
    int rc;

    m.domid = domid;
    m.refs = (uint32_t *)refs;
    m.n_refs = n;
    m.writable = (prot & PROT_WRITE) != 0;
    req.op_case = PVMGMT__REQUEST__OP_GRANT_MAP;
    req.grant_map = &m;
    rc = pvc_call(g->h, &req, &rsp, &fd, 1, &nfds);
    if (rc == 0 &&
        (nfds != 1 || !rsp->grant_map || rsp->grant_map->n_frames != n))
        rc = -EPROTO;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        uint64_t frame = rsp->grant_map->frames[i];
        if (frame > (UINT64_MAX / PG) ||
            mmap(dst + (size_t)i * PG, PG, prot, MAP_SHARED | MAP_FIXED, fd,
                 (off_t)(frame * PG)) == MAP_FAILED)
            rc = errno ? -errno : -EINVAL;
    }
    if (rsp && rc == 0)
        *handle = rsp->grant_map->handle;
    else if (rsp && rsp->grant_map)
        grant_unmap_handle(g, rsp->grant_map->handle);
    if (nfds)
        close(fd);
    if (rsp)
        pvmgmt__response__free_unpacked(rsp, NULL);
    return rc;
}

void *pvgnttab_map_grant_refs(pvgnttab *g, uint32_t count,
                              const uint32_t *domids, const uint32_t *refs,
                              int prot)
{
    struct mapping *m;
    uint8_t *addr;
    bool same = true;
    int rc = 0;

    if (count == 0 || count > 1024 || !(prot & PROT_READ)) {
        errno = EINVAL;
        return NULL;
    }
    for (uint32_t i = 1; i < count; i++)
        same &= domids[i] == domids[0];
    m = calloc(1, sizeof(*m) + (same ? 1 : count) * sizeof(uint64_t));
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    addr = mmap(NULL, (size_t)count * PG, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        free(m);
        return NULL;
    }
    if (same) {
        rc = map_batch(g, domids[0], refs, count, prot, addr, &m->handles[0]);
        m->nhandles = rc ? 0 : 1;
    } else {
        for (uint32_t i = 0; i < count && !rc; i++) {
            rc = map_batch(g, domids[i], &refs[i], 1, prot,
                           addr + (size_t)i * PG, &m->handles[i]);
            if (!rc)
                m->nhandles++;
        }
    }
    if (rc) {
        for (size_t i = 0; i < m->nhandles; i++)
            grant_unmap_handle(g, m->handles[i]);
        munmap(addr, (size_t)count * PG);
        free(m);
        errno = -rc;
        return NULL;
    }
    m->addr = addr;
    m->count = count;
    m->next = g->maps;
    g->maps = m;
    return addr;
}

void *pvgnttab_map_domain_grant_refs(pvgnttab *g, uint32_t count,
                                     uint32_t domid, const uint32_t *refs,
                                     int prot)
{
    uint32_t *domids = malloc((count ? count : 1) * sizeof(*domids));
    void *p;

    if (!domids) {
        errno = ENOMEM;
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++)
        domids[i] = domid;
    p = pvgnttab_map_grant_refs(g, count, domids, refs, prot);
    free(domids);
    return p;
}

void *pvgnttab_map_grant_ref(pvgnttab *g, uint32_t domid, uint32_t ref,
                             int prot)
{
    return pvgnttab_map_grant_refs(g, 1, &domid, &ref, prot);
}

int pvgnttab_unmap(pvgnttab *g, void *start, uint32_t count)
{
    for (struct mapping **pp = &g->maps; *pp; pp = &(*pp)->next) {
        struct mapping *m = *pp;
        if (m->addr != start || m->count != count)
            continue;
        *pp = m->next;
        munmap(m->addr, (size_t)m->count * PG);
        int rc = 0;
        for (size_t i = 0; i < m->nhandles; i++) {
            int r = grant_unmap_handle(g, m->handles[i]);
            if (r && !rc)
                rc = r;
        }
        free(m);
        return rc;
    }
    return -EINVAL;
}

static int16_t copy_seg(pvgnttab *g, struct pvgnttab_copy_seg *s)
{
    uint8_t *src, *dst;
    void *sm = NULL, *dm = NULL;

    if ((uint32_t)s->source.offset + s->len > PG ||
        (uint32_t)s->dest.offset + s->len > PG)
        return GNTST_bad_copy_arg;
    if (s->source.is_ref) {
        sm = pvgnttab_map_grant_ref(g, s->source.domid, s->source.ref,
                                    PROT_READ);
        if (!sm)
            return GNTST_permission_denied;
        src = (uint8_t *)sm + s->source.offset;
    } else {
        src = (uint8_t *)s->source.virt + s->source.offset;
    }
    if (s->dest.is_ref) {
        dm = pvgnttab_map_grant_ref(g, s->dest.domid, s->dest.ref,
                                    PROT_READ | PROT_WRITE);
        if (!dm) {
            if (sm)
                pvgnttab_unmap(g, sm, 1);
            return GNTST_permission_denied;
        }
        dst = (uint8_t *)dm + s->dest.offset;
    } else {
        dst = (uint8_t *)s->dest.virt + s->dest.offset;
    }
    memmove(dst, src, s->len);
    if (sm)
        pvgnttab_unmap(g, sm, 1);
    if (dm)
        pvgnttab_unmap(g, dm, 1);
    return GNTST_okay;
}

/* Index of ref in refs[0..*n), appending it when new. */
static uint32_t ref_slot(uint32_t *refs, uint32_t *n, uint32_t ref)
{
    for (uint32_t i = 0; i < *n; i++)
        if (refs[i] == ref)
            return i;
    refs[*n] = ref;
    return (*n)++;
}

/*
 * The common case of a batch (a backend copying many packets of one
 * guest): map every distinct source ref in one call and every distinct
 * destination ref in another, copy, unmap. Returns 0 when done (every
 * status okay), -1 when the batch does not fit this path or some grant
 * does not map; then nothing was copied and the caller goes segment by
 * segment, which reports each failure on its own.
 */
static int copy_batched(pvgnttab *g, uint32_t count,
                        struct pvgnttab_copy_seg *segs)
{
    uint32_t domid = UINT32_MAX, nr = 0, nw = 0;
    uint32_t *rrefs = NULL, *wrefs = NULL, *ridx = NULL, *widx = NULL;
    uint8_t *rmap = NULL, *wmap = NULL;
    int rc = -1;

    if (count < 2 || count > 1024)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        const struct pvgnttab_copy_seg *s = &segs[i];
        if ((uint32_t)s->source.offset + s->len > PG ||
            (uint32_t)s->dest.offset + s->len > PG)
            return -1;
        if (s->source.is_ref || s->dest.is_ref) {
            uint32_t d = s->source.is_ref ? s->source.domid : s->dest.domid;
            if ((s->source.is_ref && s->dest.is_ref &&
                 s->source.domid != s->dest.domid) ||
                (domid != UINT32_MAX && d != domid))
                return -1;
            domid = d;
        }
    }
    rrefs = malloc(count * sizeof(*rrefs));
    wrefs = malloc(count * sizeof(*wrefs));
    ridx = malloc(count * sizeof(*ridx));
    widx = malloc(count * sizeof(*widx));
    if (!rrefs || !wrefs || !ridx || !widx)
        goto out;
    for (uint32_t i = 0; i < count; i++) {
        if (segs[i].source.is_ref)
            ridx[i] = ref_slot(rrefs, &nr, segs[i].source.ref);
        if (segs[i].dest.is_ref)
            widx[i] = ref_slot(wrefs, &nw, segs[i].dest.ref);
    }
    if (nr && !(rmap = pvgnttab_map_domain_grant_refs(g, nr, domid, rrefs,
                                                      PROT_READ)))
        goto out;
    if (nw && !(wmap = pvgnttab_map_domain_grant_refs(g, nw, domid, wrefs,
                                                      PROT_READ | PROT_WRITE)))
        goto out;
    for (uint32_t i = 0; i < count; i++) {
        struct pvgnttab_copy_seg *s = &segs[i];
        const uint8_t *src =
            s->source.is_ref
                ? rmap + (size_t)ridx[i] * PG + s->source.offset
                : (const uint8_t *)s->source.virt + s->source.offset;
        uint8_t *dst = s->dest.is_ref
                           ? wmap + (size_t)widx[i] * PG + s->dest.offset
                           : (uint8_t *)s->dest.virt + s->dest.offset;
        memmove(dst, src, s->len);
        s->status = GNTST_okay;
    }
    rc = 0;
out:
    if (rmap)
        pvgnttab_unmap(g, rmap, nr);
    if (wmap)
        pvgnttab_unmap(g, wmap, nw);
    free(rrefs);
    free(wrefs);
    free(ridx);
    free(widx);
    return rc;
}

int pvgnttab_grant_copy(pvgnttab *g, uint32_t count,
                        struct pvgnttab_copy_seg *segs)
{
    if (copy_batched(g, count, segs) == 0)
        return 0;
    for (uint32_t i = 0; i < count; i++)
        segs[i].status = copy_seg(g, &segs[i]);
    return 0;
}
