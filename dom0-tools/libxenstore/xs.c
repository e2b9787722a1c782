// SPDX-License-Identifier: MIT
/* xs.c: libxenstore-compatible client: connection, requests, watches. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstore.h"

/*
 * Replies and watch events share the socket. Whoever needs a message
 * (a caller waiting for its reply, xs_read_watch, or the reader thread
 * that xs_fileno starts) takes the "reading" role, reads one message and
 * hands it over: replies to the single outstanding request's slot,
 * events to a queue. Everyone else waits on the condition variable.
 * Requests are serialized by request_mutex.
 */

struct xs_msg {
    struct xs_msg *next;
    struct xsd_sockmsg hdr;
    char *body; /* hdr.len bytes + NUL */
};

struct xs_handle {
    int fd;
    pthread_mutex_t request_mutex;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;
    bool reading;
    bool dead;
    int dead_errno;
    struct xs_msg *reply;
    struct xs_msg *ev_head, *ev_tail;
    int pipe[2]; /* xs_fileno; -1 until asked */
    bool thread_running;
    pthread_t thread;
    uint32_t req_id;
};

static int socket_path(char *buf, size_t len)
{
    const char *p = getenv("XENSTORED_PATH");
    const char *dir = getenv("PVISOR_RUN_DIR");
    int n;

    if (p && *p)
        n = snprintf(buf, len, "%s", p);
    else
        n = snprintf(buf, len, "%s/pvstored.sock",
                     dir && *dir ? dir : "/run/pvisor");
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

struct xs_handle *xs_open(unsigned long flags)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct xs_handle *h;
    int e;

    (void)flags;
    if (socket_path(sa.sun_path, sizeof(sa.sun_path))) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->pipe[0] = h->pipe[1] = -1;
    h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        e = errno;
        if (h->fd >= 0)
            close(h->fd);
        free(h);
        errno = e;
        return NULL;
    }
    pthread_mutex_init(&h->request_mutex, NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    return h;
}

struct xs_handle *xs_daemon_open(void)
{
    return xs_open(0);
}

struct xs_handle *xs_daemon_open_readonly(void)
{
    return xs_open(XS_OPEN_READONLY);
}

struct xs_handle *xs_domain_open(void)
{
    return xs_open(0);
}

static void msg_free(struct xs_msg *m)
{
    if (m) {
        free(m->body);
        free(m);
    }
}

void xs_close(struct xs_handle *h)
{
    if (!h)
        return;
    if (h->thread_running) {
        shutdown(h->fd, SHUT_RDWR);
        pthread_join(h->thread, NULL);
    }
    close(h->fd);
    if (h->pipe[0] >= 0) {
        close(h->pipe[0]);
        close(h->pipe[1]);
    }
    msg_free(h->reply);
    while (h->ev_head) {
        struct xs_msg *m = h->ev_head;
        h->ev_head = m->next;
        msg_free(m);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->request_mutex);
    free(h);
}

void xs_daemon_close(struct xs_handle *h)
{
    xs_close(h);
}

/* ---- messages ---- */

static int read_all(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? -ECONNRESET : -errno;
        got += (size_t)n;
    }
    return 0;
}

static int read_msg(int fd, struct xs_msg **out)
{
    struct xs_msg *m = calloc(1, sizeof(*m));
    int e;

    if (!m)
        return -ENOMEM;
    e = read_all(fd, &m->hdr, sizeof(m->hdr));
    if (!e && m->hdr.len > XENSTORE_PAYLOAD_MAX)
        e = -EPROTO;
    if (!e) {
        m->body = malloc(m->hdr.len + 1);
        e = m->body ? read_all(fd, m->body, m->hdr.len) : -ENOMEM;
    }
    if (e) {
        msg_free(m);
        return e;
    }
    m->body[m->hdr.len] = '\0';
    *out = m;
    return 0;
}

/* Reads one message with the lock dropped; lock held on entry and exit. */
static void pump(struct xs_handle *h)
{
    struct xs_msg *m = NULL;
    int e;

    h->reading = true;
    pthread_mutex_unlock(&h->lock);
    e = read_msg(h->fd, &m);
    pthread_mutex_lock(&h->lock);
    h->reading = false;
    if (e) {
        h->dead = true;
        h->dead_errno = -e;
    } else if (m->hdr.type == XS_WATCH_EVENT) {
        if (h->ev_tail)
            h->ev_tail->next = m;
        else
            h->ev_head = m;
        h->ev_tail = m;
        if (h->pipe[1] >= 0 && write(h->pipe[1], "", 1) != 1) {
            /* the pipe is full: readers still find the queue */
        }
    } else {
        msg_free(h->reply); /* a stale reply is not ours */
        h->reply = m;
    }
    pthread_cond_broadcast(&h->cond);
}

/* Waits (lock held) until *slot is set or the connection died. */
static void wait_for(struct xs_handle *h, struct xs_msg **slot)
{
    while (!*slot && !h->dead) {
        if (h->reading || h->thread_running)
            pthread_cond_wait(&h->cond, &h->lock);
        else
            pump(h);
    }
}

static void *reader_thread(void *arg)
{
    struct xs_handle *h = arg;

    pthread_mutex_lock(&h->lock);
    while (!h->dead) {
        if (h->reading)
            pthread_cond_wait(&h->cond, &h->lock);
        else
            pump(h);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static int errno_of(const char *name)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (strcmp(xsd_errors[i].errstring, name) == 0)
            return xsd_errors[i].errnum;
    return EINVAL;
}

/* Sends one request of type with the given parts and returns the reply
 * payload (malloc'd, NUL-terminated) or NULL with errno. */
static void *talkv(struct xs_handle *h, xs_transaction_t t, uint32_t type,
                   const struct iovec *iov, unsigned nr, unsigned *len)
{
    struct iovec v[8];
    struct xsd_sockmsg hdr = { .type = type, .tx_id = t };
    struct xs_msg *m;
    size_t total = 0, sent = 0;
    void *body = NULL;
    int e = 0;

    for (unsigned i = 0; i < nr; i++)
        total += iov[i].iov_len;
    if (total > XENSTORE_PAYLOAD_MAX) {
        errno = E2BIG;
        return NULL;
    }
    pthread_mutex_lock(&h->request_mutex);
    hdr.req_id = ++h->req_id;
    hdr.len = (uint32_t)total;
    v[0].iov_base = &hdr;
    v[0].iov_len = sizeof(hdr);
    memcpy(v + 1, iov, nr * sizeof(*iov));
    total += sizeof(hdr);
    while (sent < total) {
        struct iovec w[8];
        unsigned n = 0;
        size_t skip = sent;
        for (unsigned i = 0; i <= nr; i++) {
            if (skip >= v[i].iov_len) {
                skip -= v[i].iov_len;
                continue;
            }
            w[n].iov_base = (char *)v[i].iov_base + skip;
            w[n++].iov_len = v[i].iov_len - skip;
            skip = 0;
        }
        struct msghdr mh = { .msg_iov = w, .msg_iovlen = n };
        ssize_t k = sendmsg(h->fd, &mh, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            e = errno ? errno : EIO;
            break;
        }
        sent += (size_t)k;
    }
    pthread_mutex_lock(&h->lock);
    if (!e) {
        wait_for(h, &h->reply);
        if (h->dead && !h->reply)
            e = h->dead_errno ? h->dead_errno : ECONNRESET;
    }
    m = e ? NULL : h->reply;
    h->reply = NULL;
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&h->request_mutex);
    if (e) {
        errno = e;
        return NULL;
    }
    if (m->hdr.type == XS_ERROR) {
        e = errno_of(m->body);
    } else if (m->hdr.type != type || m->hdr.req_id != hdr.req_id) {
        e = EPROTO;
    } else {
        body = m->body;
        m->body = NULL;
        if (len)
            *len = m->hdr.len;
    }
    msg_free(m);
    if (e)
        errno = e;
    return body;
}

static void *talk1(struct xs_handle *h, xs_transaction_t t, uint32_t type,
                   const char *arg, unsigned *len)
{
    struct iovec iov = { (void *)arg, strlen(arg) + 1 };

    return talkv(h, t, type, &iov, 1, len);
}

static bool talk_ok(void *reply)
{
    free(reply);
    return reply != NULL;
}

/* Splits len bytes of NUL-terminated strings into one malloc'd vector. */
static char **split(char *strings, unsigned len, unsigned *num)
{
    unsigned n = xs_count_strings(strings, len);
    char **v = malloc(sizeof(char *) * (n + 1) + len);
    char *s;

    if (!v) {
        free(strings);
        return NULL;
    }
    s = (char *)(v + n + 1);
    memcpy(s, strings, len);
    free(strings);
    for (unsigned i = 0; i < n; i++) {
        v[i] = s;
        s += strlen(s) + 1;
    }
    v[n] = NULL;
    if (num)
        *num = n;
    return v;
}

/* ---- the API ---- */

/*
 * A listing too large for one reply (E2BIG) in XS_DIRECTORY_PART pieces:
 * each reply is the node's generation, then whole names from the offset
 * asked for; the last piece ends with an extra NUL. A generation that
 * changes between pieces means the directory changed: start again.
 */
static char *directory_parts(struct xs_handle *h, xs_transaction_t t,
                             const char *path, unsigned *lenp)
{
    char *all = NULL, gen[24] = "";
    size_t alen = 0;
    int restarts = 0;

    while (restarts < 16) {
        char off[16];
        struct iovec iov[2] = { { (void *)path, strlen(path) + 1 },
                                { off, 0 } };
        unsigned len;
        char *r, *grown;
        size_t glen, body;
        bool last;

        iov[1].iov_len = (size_t)snprintf(off, sizeof(off), "%zu", alen) + 1;
        r = talkv(h, t, XS_DIRECTORY_PART, iov, 2, &len);
        if (!r)
            break;
        glen = strnlen(r, len);
        if (glen == len || glen >= sizeof(gen)) {
            free(r);
            errno = EPROTO;
            break;
        }
        if (alen && strcmp(gen, r) != 0) {
            free(r); /* changed under us: from the start */
            alen = 0;
            restarts++;
            continue;
        }
        memcpy(gen, r, glen + 1);
        body = len - glen - 1;
        last = body >= 1 && r[len - 1] == '\0' &&
               (body == 1 || r[len - 2] == '\0');
        if (last)
            body--; /* the terminating extra NUL */
        grown = realloc(all, alen + body + 1);
        if (!grown) {
            free(r);
            errno = ENOMEM;
            break;
        }
        all = grown;
        memcpy(all + alen, r + glen + 1, body);
        alen += body;
        free(r);
        if (last) {
            *lenp = (unsigned)alen;
            return all;
        }
        if (body == 0) { /* no progress: a broken server */
            errno = EPROTO;
            break;
        }
    }
    if (restarts == 16)
        errno = EAGAIN; /* the directory kept changing */
    free(all);
    return NULL;
}

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path,
                    unsigned int *num)
{
    unsigned len;
    char *r = talk1(h, t, XS_DIRECTORY, path, &len);

    if (!r && errno == E2BIG)
        r = directory_parts(h, t, path, &len);
    return r ? split(r, len, num) : NULL;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
              unsigned int *len)
{
    return talk1(h, t, XS_READ, path, len);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
              const void *data, unsigned int len)
{
    struct iovec iov[2] = { { (void *)path, strlen(path) + 1 },
                            { (void *)data, len } };

    return talk_ok(talkv(h, t, XS_WRITE, iov, 2, NULL));
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    return talk_ok(talk1(h, t, XS_MKDIR, path, NULL));
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    return talk_ok(talk1(h, t, XS_RM, path, NULL));
}

struct xs_permissions *xs_get_permissions(struct xs_handle *h,
                                          xs_transaction_t t, const char *path,
                                          unsigned int *num)
{
    unsigned len, n;
    char *r = talk1(h, t, XS_GET_PERMS, path, &len);
    struct xs_permissions *p;

    if (!r)
        return NULL;
    n = xs_count_strings(r, len);
    p = malloc((n ? n : 1) * sizeof(*p));
    if (p && !xs_strings_to_perms(p, n, r)) {
        free(p);
        p = NULL;
        errno = EINVAL;
    }
    free(r);
    if (p)
        *num = n;
    return p;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t,
                        const char *path, struct xs_permissions *perms,
                        unsigned int num_perms)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t off = 0;
    struct iovec iov[2];

    for (unsigned i = 0; i < num_perms; i++) {
        if (!xs_perm_to_string(&perms[i], buf + off, sizeof(buf) - off)) {
            errno = E2BIG;
            return false;
        }
        off += strlen(buf + off) + 1;
    }
    iov[0].iov_base = (void *)path;
    iov[0].iov_len = strlen(path) + 1;
    iov[1].iov_base = buf;
    iov[1].iov_len = off;
    return talk_ok(talkv(h, t, XS_SET_PERMS, iov, 2, NULL));
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
    struct iovec iov[2] = { { (void *)path, strlen(path) + 1 },
                            { (void *)token, strlen(token) + 1 } };

    return talk_ok(talkv(h, XBT_NULL, XS_WATCH, iov, 2, NULL));
}

int xs_fileno(struct xs_handle *h)
{
    int e = 0;

    pthread_mutex_lock(&h->lock);
    if (h->pipe[0] < 0) {
        if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK)) {
            e = errno;
            goto out;
        }
        for (struct xs_msg *m = h->ev_head; m; m = m->next)
            if (write(h->pipe[1], "", 1) != 1)
                break;
    }
    if (!h->thread_running) {
        e = pthread_create(&h->thread, NULL, reader_thread, h);
        if (!e)
            h->thread_running = true;
    }
out:
    pthread_mutex_unlock(&h->lock);
    if (e) {
        errno = e;
        return -1;
    }
    return h->pipe[0];
}

/* Pops an event (lock held) as a string vector. */
static char **pop_event(struct xs_handle *h, unsigned *num)
{
    struct xs_msg *m = h->ev_head;
    char buf;

    h->ev_head = m->next;
    if (!h->ev_head)
        h->ev_tail = NULL;
    if (h->pipe[0] >= 0 && read(h->pipe[0], &buf, 1) != 1) {
        /* the byte may not have fitted; the queue is the truth */
    }
    char *body = m->body;
    unsigned len = m->hdr.len;
    m->body = NULL;
    msg_free(m);
    return split(body, len, num);
}

char **xs_check_watch(struct xs_handle *h)
{
    char **r = NULL;

    pthread_mutex_lock(&h->lock);
    /* Without a reader thread, take what already arrived. */
    while (!h->ev_head && !h->reading && !h->thread_running && !h->dead) {
        struct pollfd p = { .fd = h->fd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1)
            break;
        pump(h);
    }
    if (h->ev_head)
        r = pop_event(h, NULL);
    else
        errno = h->dead ? h->dead_errno : EAGAIN;
    pthread_mutex_unlock(&h->lock);
    return r;
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
    char **r = NULL;

    pthread_mutex_lock(&h->lock);
    wait_for(h, &h->ev_head);
    if (h->ev_head)
        r = pop_event(h, num);
    else
        errno = h->dead_errno ? h->dead_errno : ECONNRESET;
    pthread_mutex_unlock(&h->lock);
    return r;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
    struct iovec iov[2] = { { (void *)path, strlen(path) + 1 },
                            { (void *)token, strlen(token) + 1 } };
    bool ok = talk_ok(talkv(h, XBT_NULL, XS_UNWATCH, iov, 2, NULL));

    if (ok) { /* XS_UNWATCH_FILTER semantics */
        pthread_mutex_lock(&h->lock);
        struct xs_msg **p = &h->ev_head, *last = NULL;
        while (*p) {
            struct xs_msg *m = *p;
            const char *tok = m->body + strlen(m->body) + 1;
            if (strlen(m->body) < m->hdr.len && strcmp(tok, token) == 0 &&
                xs_path_is_subpath(path, m->body)) {
                char buf;
                *p = m->next;
                msg_free(m);
                if (h->pipe[0] >= 0 && read(h->pipe[0], &buf, 1) != 1) {
                    /* nothing to undo */
                }
                continue;
            }
            last = m;
            p = &m->next;
        }
        h->ev_tail = last;
        pthread_mutex_unlock(&h->lock);
    }
    return ok;
}

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
    char *r = talk1(h, XBT_NULL, XS_TRANSACTION_START, "", NULL);
    unsigned long id;
    char *end;

    if (!r)
        return XBT_NULL;
    id = strtoul(r, &end, 10);
    if (*end || id == 0 || id > UINT32_MAX) {
        free(r);
        errno = EPROTO;
        return XBT_NULL;
    }
    free(r);
    return (xs_transaction_t)id;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
    return talk_ok(talk1(h, t, XS_TRANSACTION_END, abort ? "F" : "T", NULL));
}

/* Requests with decimal arguments. */
static void *talk_nums(struct xs_handle *h, uint32_t type, unsigned nr,
                       const unsigned long *nums, unsigned *len)
{
    char buf[3][24];
    struct iovec iov[3];

    for (unsigned i = 0; i < nr; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len =
            (size_t)snprintf(buf[i], sizeof(buf[i]), "%lu", nums[i]) + 1;
    }
    return talkv(h, XBT_NULL, type, iov, nr, len);
}

bool xs_introduce_domain(struct xs_handle *h, unsigned int domid,
                         unsigned long mfn, unsigned int eventchn)
{
    unsigned long n[3] = { domid, mfn, eventchn };

    return talk_ok(talk_nums(h, XS_INTRODUCE, 3, n, NULL));
}

bool xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target)
{
    unsigned long n[2] = { domid, target };

    return talk_ok(talk_nums(h, XS_SET_TARGET, 2, n, NULL));
}

bool xs_resume_domain(struct xs_handle *h, unsigned int domid)
{
    unsigned long n = domid;

    return talk_ok(talk_nums(h, XS_RESUME, 1, &n, NULL));
}

bool xs_release_domain(struct xs_handle *h, unsigned int domid)
{
    unsigned long n = domid;

    return talk_ok(talk_nums(h, XS_RELEASE, 1, &n, NULL));
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid)
{
    unsigned long n = domid;

    return talk_nums(h, XS_GET_DOMAIN_PATH, 1, &n, NULL);
}

bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid)
{
    unsigned long n = domid;
    char *r = talk_nums(h, XS_IS_DOMAIN_INTRODUCED, 1, &n, NULL);
    bool yes = r && strcmp(r, "T") == 0;

    free(r);
    return yes;
}
