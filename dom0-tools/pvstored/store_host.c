// SPDX-License-Identifier: MIT
/* store_host.c: guest rings through libpvctrl, and noticing dead domains. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvctrl.h"
#include "pvevtchn.h"
#include "store_host.h"

#define PAGE 4096u

/* Connects to pvisor (lazily, again after it went away). */
static int host_pvc(struct store_host *h)
{
    int e;

    if (h->pvc)
        return 0;
    e = pvc_open(h->run_dir, &h->pvc);
    if (!e) {
        e = pvc_hello(h->pvc, "pvstored", NULL, 0);
        if (e) {
            pvc_close(h->pvc);
            h->pvc = NULL;
        }
    }
    if (e && !h->pvc_warned) {
        store_warn("cannot reach pvisor: %s", strerror(-e));
        h->pvc_warned = true;
    } else if (!e) {
        h->pvc_warned = false;
    }
    return e;
}

static int host_evtchn(struct store_host *h)
{
    if (h->evh)
        return 0;
    h->evh = pvevtchn_open(h->run_dir);
    if (!h->evh)
        return -errno;
    if (h->evtchn_ready && h->evtchn_ready(h, pvevtchn_fd(h->evh))) {
        pvevtchn_close(h->evh);
        h->evh = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void ring_notify(struct store_ring *r)
{
    struct store_host *h = r->arg;
    int e = h->evh ? pvevtchn_notify(h->evh, r->port) : -ENOTCONN;

    if (e)
        store_debug("notify port %u: %s", r->port, strerror(-e));
}

static void ring_release(struct store_ring *r)
{
    struct store_host *h = r->arg;

    if (h->evh)
        pvevtchn_unbind(h->evh, r->port);
}

static int host_introduce(struct store *st, uint32_t domid, uint64_t mfn,
                          uint32_t port, struct store_conn **out)
{
    struct store_host *h = st->host_priv;
    struct store_ring r = { 0 };
    uint64_t size;
    void *map;
    int fd, e, lport;

    e = host_pvc(h);
    if (!e)
        e = host_evtchn(h);
    if (e)
        return e;
    e = pvc_map_memory(h->pvc, domid, &fd, &size);
    if (e) {
        store_warn("d%u: mapping memory: %s", domid, strerror(-e));
        if (e == -EPIPE || e == -ECONNRESET) {
            pvc_close(h->pvc);
            h->pvc = NULL;
        }
        return e == -ESRCH ? -ENOENT : -EINVAL;
    }
    if (mfn >= size / PAGE) {
        close(fd);
        store_warn("d%u: store mfn 0x%llx beyond its memory", domid,
                   (unsigned long long)mfn);
        return -EINVAL;
    }
    map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
               (off_t)(mfn * PAGE));
    e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return -e;
    lport = pvevtchn_bind_interdomain(h->evh, domid, port);
    if (lport < 0) {
        store_warn("d%u: binding port %u: %s", domid, port, strerror(-lport));
        munmap(map, PAGE);
        return lport == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    r.intf = map;
    r.map = map;
    r.map_len = PAGE;
    r.port = (uint32_t)lport;
    r.notify = ring_notify;
    r.release = ring_release;
    r.arg = h;
    *out = store_ring_conn_new(st, domid, &r);
    if (!*out)
        return -ENOMEM;
    (*out)->more = true; /* requests may already be waiting */
    return 0;
}

static const struct store_host_ops host_ops = {
    .introduce = host_introduce,
};

void store_host_init(struct store_host *h, struct store *st,
                     const char *run_dir)
{
    memset(h, 0, sizeof(*h));
    h->st = st;
    h->run_dir = run_dir;
    st->host = &host_ops;
    st->host_priv = h;
}

void store_host_fini(struct store_host *h)
{
    /* Rings unbind through h->evh: drop them first. */
    while (h->st->conns)
        store_conn_destroy(h->st->conns);
    pvevtchn_close(h->evh);
    pvc_close(h->pvc);
    h->evh = NULL;
    h->pvc = NULL;
}

/* The ring connection bound to local port, or NULL. */
static struct store_conn *conn_of_port(struct store *st, uint32_t port)
{
    for (struct store_conn *c = st->conns; c; c = c->next) {
        struct store_ring *r = store_ring_of(c);
        if (r && r->port == port && !c->dead)
            return c;
    }
    return NULL;
}

void store_host_events(struct store_host *h)
{
    int port;

    if (!h->evh)
        return;
    while ((port = pvevtchn_pending(h->evh)) >= 0) {
        struct store_conn *c = conn_of_port(h->st, (uint32_t)port);
        if (c) {
            store_conn_flush(c);
            store_conn_process(c, STORE_BATCH);
            store_conn_flush(c);
        }
        pvevtchn_unmask(h->evh, (uint32_t)port);
    }
}

/* Removes what the toolstack wrote for domid, as dom0. */
static void cleanup_domain(struct store *st, uint32_t domid)
{
    struct store_conn dom0 = { .st = st, .domid = 0, .fd = -1 };
    struct store_ledger l = { 0 };
    const struct store_node *n;
    struct store_view v;
    char path[64], vm[128] = "";

    dom0.dom = store_domain_find(st, 0);
    store_main_view(st, &v, &l);
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    if (!store_tree_get(&v, &dom0, path, STORE_PERM_READ, &n) && n->vlen > 4 &&
        n->vlen < sizeof(vm) && memcmp(n->value, "/vm/", 4) == 0 &&
        !memchr(n->value, '\0', n->vlen)) {
        memcpy(vm, n->value, n->vlen);
        vm[n->vlen] = '\0';
    }
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    store_tree_rm(&v, &dom0, path);
    if (vm[0] && !strchr(vm + 4, '/'))
        store_tree_rm(&v, &dom0, vm);
    store_ledger_apply(st, &l);
    store_ledger_free(&l);
}

void store_host_poll(struct store_host *h)
{
    struct pvc_domain_info *infos = NULL;
    size_t nr = 0;
    bool any = false;
    int e;

    for (uint32_t d = 1; d < STORE_DOMID_LIMIT && !any; d++)
        any = h->st->doms[d] && h->st->doms[d]->introduced;
    if (!any || host_pvc(h))
        return;
    e = pvc_domain_list(h->pvc, PVC_DOMID_ALL, &infos, &nr);
    if (e) {
        store_warn("listing domains: %s", strerror(-e));
        pvc_close(h->pvc);
        h->pvc = NULL;
        return;
    }
    for (uint32_t d = 1; d < STORE_DOMID_LIMIT; d++) {
        const struct store_domain *sd = h->st->doms[d];
        bool alive = false;
        if (!sd || !sd->introduced)
            continue;
        for (size_t i = 0; i < nr && !alive; i++)
            alive = infos[i].domid == d &&
                    infos[i].state != PVMGMT__DOMAIN_STATE__STATE_DYING;
        if (alive)
            continue;
        store_info("d%u: domain is gone", d);
        cleanup_domain(h->st, d);
        store_domain_release(h->st, d);
    }
    pvc_domain_info_free(infos, nr);
}
