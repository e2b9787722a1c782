// SPDX-License-Identifier: MIT
/* store_watch.c: watches: registration, matching, firing, special paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct store_watch {
    struct store_watch *next;
    char *path; /* absolute (or "@..." special) */
    char *token;
    size_t strip; /* registered relative: strip this prefix */
};

/* Queues one event unless c's output is already past the hard limit. */
void store_watch_event(struct store_conn *c, const char *path,
                       const char *token)
{
    if (c->dead)
        return;
    if (c->out_bytes > STORE_OUTQ_HARD) {
        if (c->dropped_events++ == 0)
            store_warn("d%u: output queue full, dropping watch events",
                       c->domid);
        return;
    }
    int e = store_conn_send(c, XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1,
                            token, strlen(token) + 1);
    if (e == -E2BIG) /* store_watch_add keeps this from happening */
        store_warn("d%u: a watch event of %zu bytes is over the %u-byte "
                   "payload; dropped",
                   c->domid, strlen(path) + strlen(token) + 2,
                   XENSTORE_PAYLOAD_MAX);
    else if (e)
        store_warn("d%u: out of memory queueing a watch event", c->domid);
}

size_t store_watch_token_max(const char *abs_path, const char *path)
{
    /* The longest event path: the special path itself, else any node
     * below the watch, relative ones without the prefix they dropped. */
    size_t ev = abs_path[0] == '@'
                    ? strlen(abs_path)
                    : XENSTORE_ABS_PATH_MAX - (strlen(abs_path) - strlen(path));

    return XENSTORE_PAYLOAD_MAX - 2 - ev;
}

int store_watch_add(struct store_conn *c, const char *abs_path,
                    const char *path, const char *token)
{
    struct store_watch *w;

    /* Every event the watch can fire must fit one message. */
    if (strlen(token) > store_watch_token_max(abs_path, path))
        return -E2BIG;
    for (w = c->watches; w; w = w->next)
        if (strcmp(w->path, abs_path) == 0 && strcmp(w->token, token) == 0)
            return -EEXIST;
    if (!store_privileged(c) && c->dom &&
        c->dom->nr_watches >= (int)c->st->quota.watches)
        return -E2BIG;
    w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->path = strdup(abs_path);
    w->token = strdup(token);
    if (!w->path || !w->token) {
        free(w->path);
        free(w->token);
        free(w);
        return -ENOMEM;
    }
    w->strip = strlen(abs_path) - strlen(path);
    w->next = c->watches;
    c->watches = w;
    if (c->dom)
        c->dom->nr_watches++;
    return 0;
}

static void watch_free(struct store_conn *c, struct store_watch *w)
{
    if (c->dom)
        c->dom->nr_watches--;
    free(w->path);
    free(w->token);
    free(w);
}

int store_watch_remove(struct store_conn *c, const char *abs_path,
                       const char *token)
{
    for (struct store_watch **p = &c->watches; *p; p = &(*p)->next) {
        struct store_watch *w = *p;
        if (strcmp(w->path, abs_path) == 0 && strcmp(w->token, token) == 0) {
            *p = w->next;
            watch_free(c, w);
            return 0;
        }
    }
    return -ENOENT;
}

void store_watch_remove_all(struct store_conn *c)
{
    while (c->watches) {
        struct store_watch *w = c->watches;
        c->watches = w->next;
        watch_free(c, w);
    }
}

/* Whether path equals anc or lies below it. */
static bool is_under(const char *path, const char *anc)
{
    size_t n = strlen(anc);

    if (strcmp(anc, "/") == 0)
        return path[0] == '/';
    return strncmp(path, anc, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void store_watch_fire(struct store *st, const struct store_change *ch)
{
    for (struct store_conn *c = st->conns; c; c = c->next) {
        if (!c->watches || c->dead)
            continue;
        /* The watcher must be able to read the node. */
        if (!(store_perm_of(c, ch->perms, ch->nr_perms) & STORE_PERM_READ))
            continue;
        for (struct store_watch *w = c->watches; w; w = w->next) {
            const char *ev;
            if (w->path[0] != '/')
                continue;
            if (is_under(ch->path, w->path))
                ev = ch->path;
            else if (ch->recursive && is_under(w->path, ch->path))
                ev = w->path; /* removal of an ancestor */
            else
                continue;
            if (w->strip && strlen(ev) > w->strip)
                ev += w->strip;
            store_watch_event(c, ev, w->token);
        }
    }
}

void store_watch_changed(struct store_view *v, const struct store_change *ch)
{
    store_watch_fire(v->st, ch);
}

void store_watch_fire_special(struct store *st, const char *special)
{
    for (struct store_conn *c = st->conns; c; c = c->next)
        for (struct store_watch *w = c->watches; w; w = w->next)
            if (strcmp(w->path, special) == 0)
                store_watch_event(c, special, w->token);
}
