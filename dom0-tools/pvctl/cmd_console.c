// SPDX-License-Identifier: MIT
/* cmd_console.c: pvctl console: through pv-consoled, else console_io. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "pvctl.h"

#define DETACH_CHAR 0x1d /* Ctrl-] */
#define POLL_MS_TTY 200  /* bounds the detach latency */
#define POLL_MS     1000

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = 0;
    }
}

static void on_fatal_signal(int sig)
{
    restore_tty(); /* tcsetattr is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static int enter_raw_mode(void)
{
    static bool registered;
    struct termios t;

    if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return -errno;
    t = saved_tio;
    cfmakeraw(&t);
    t.c_oflag |= OPOST; /* keep "\n" -> "\r\n" on output */
    if (!registered) {
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
        struct sigaction sa = { .sa_handler = on_fatal_signal };

        atexit(restore_tty);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
            sigaction(sigs[i], &sa, NULL);
        registered = true;
    }
    tio_saved = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
        int e = -errno;
        tio_saved = 0;
        return e;
    }
    return 0;
}

static int write_out(const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* True when the user typed the detach character. */
static bool detach_requested(void)
{
    struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
    uint8_t buf[64];

    while (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n <= 0)
            return false;
        if (memchr(buf, DETACH_CHAR, (size_t)n))
            return true;
        /* Console input is not carried yet: other keys are dropped. */
    }
    return false;
}

static void report_end(const char *cmd, struct pvc_handle *h, uint32_t domid,
                       bool gone)
{
    struct pvc_domain_info *d = NULL;
    size_t nr = 0;

    if (!gone && !pvc_domain_list(h, domid, &d, &nr) && nr == 1) {
        if (d[0].state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN)
            fprintf(stderr, "pvctl: %s: domain %u shut down (%s, code %u)\n",
                    cmd, domid, pvc_shutdown_reason_name(d[0].shutdown_reason),
                    d[0].shutdown_code);
        else
            fprintf(stderr, "pvctl: %s: domain %u is %s\n", cmd, domid,
                    pvc_state_name(d[0].state));
    } else {
        fprintf(stderr, "pvctl: %s: domain %u is gone\n", cmd, domid);
    }
    pvc_domain_info_free(d, nr);
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The stream ended: say how (the domain stopped, or pv-consoled left). */
static int consoled_end(const char *cmd, struct pvc_handle *h, uint32_t domid)
{
    struct pvc_domain_info *d = NULL;
    size_t nr = 0;
    bool live = false;

    if (!pvc_domain_list(h, domid, &d, &nr) && nr == 1)
        live = d[0].state != PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN &&
               d[0].state != PVMGMT__DOMAIN_STATE__STATE_CRASHED &&
               d[0].state != PVMGMT__DOMAIN_STATE__STATE_DYING;
    pvc_domain_info_free(d, nr);
    if (live) {
        pvctl_err(cmd, "pv-consoled closed the console of domain %u", domid);
        return -ECONNRESET;
    }
    report_end(cmd, h, domid, nr != 1);
    return 0;
}

/*
 * Attaches through pv-consoled: history first, then live output; stdin
 * is forwarded to the guest (Ctrl-] on a terminal detaches). Sets
 * *fallback when pv-consoled does not run or does not know the domain.
 */
static int consoled_attach(const char *cmd, struct pvc_handle *h,
                           uint32_t domid, bool tty, bool *fallback)
{
    char req[64], reply[256];
    bool in_open = true;
    uint8_t buf[4096];
    int fd, e;

    *fallback = false;
    fd = pvctl_consoled_connect();
    if (fd < 0) {
        *fallback = true;
        return 0;
    }
    snprintf(req, sizeof(req), "ATTACH %u", domid);
    e = pvctl_consoled_request(fd, req, reply, sizeof(reply));
    if (e) {
        if (pvctl_opts.verbose)
            fprintf(stderr, "pvctl: %s: pv-consoled: %s; using console_io\n",
                    cmd, reply);
        close(fd);
        *fallback = true;
        return 0;
    }
    if (tty && (e = enter_raw_mode())) {
        pvctl_err(cmd, "cannot put the terminal in raw mode: %s", strerror(-e));
        close(fd);
        return e;
    }
    for (;;) {
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
                               { .fd = STDIN_FILENO, .events = POLLIN } };
        ssize_t n;

        if (poll(p, in_open ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            e = -errno;
            break;
        }
        if (p[0].revents) {
            n = read(fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                e = -errno;
                restore_tty();
                pvctl_err(cmd, "reading the console: %s", strerror(-e));
                break;
            }
            if (n == 0) { /* the domain stopped or is gone */
                restore_tty();
                close(fd);
                return consoled_end(cmd, h, domid);
            }
            if ((e = write_out(buf, (size_t)n))) {
                restore_tty();
                pvctl_err(cmd, "writing console output: %s", strerror(-e));
                break;
            }
        }
        if (in_open && p[1].revents) {
            uint8_t *stop;
            n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) { /* end of input: keep watching */
                in_open = false;
                continue;
            }
            stop = tty ? memchr(buf, DETACH_CHAR, (size_t)n) : NULL;
            if ((e = send_all(fd, buf,
                              stop ? (size_t)(stop - buf) : (size_t)n)))
                continue; /* the read side reports it */
            if (stop) {
                restore_tty();
                fprintf(stderr, "\npvctl: %s: detached from domain %u\n", cmd,
                        domid);
                close(fd);
                return 0;
            }
        }
    }
    restore_tty();
    close(fd);
    return e;
}

int pvctl_console_attach(const char *cmd, struct pvc_handle *h, uint32_t domid)
{
    bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool fallback;
    uint64_t offset = 0;
    int e;

    e = consoled_attach(cmd, h, domid, tty, &fallback);
    if (!fallback)
        return e;

    if (tty) {
        e = enter_raw_mode();
        if (e) {
            pvctl_err(cmd, "cannot put the terminal in raw mode: %s",
                      strerror(-e));
            return e;
        }
    }
    for (;;) {
        struct pvc_console_chunk c;
        size_t got;

        if (tty && detach_requested()) {
            restore_tty();
            fprintf(stderr, "\npvctl: %s: detached from domain %u\n", cmd,
                    domid);
            return 0;
        }
        e = pvc_console_read(h, domid, offset, tty ? POLL_MS_TTY : POLL_MS, 0,
                             &c);
        if (e == -ESRCH) {
            restore_tty();
            report_end(cmd, h, domid, true);
            return 0;
        }
        if (e) {
            restore_tty();
            pvctl_call_failed(cmd, h, e, "reading the console");
            return e;
        }
        e = write_out(c.data, c.len);
        offset = c.next_offset;
        got = c.len;
        pvc_console_chunk_free(&c);
        if (e) {
            restore_tty();
            pvctl_err(cmd, "writing console output: %s", strerror(-e));
            return e;
        }
        if (c.gone ||
            (got == 0 && (c.state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN ||
                          c.state == PVMGMT__DOMAIN_STATE__STATE_CRASHED ||
                          c.state == PVMGMT__DOMAIN_STATE__STATE_DYING))) {
            restore_tty();
            report_end(cmd, h, domid, c.gone);
            return 0;
        }
    }
}

int pvctl_cmd_console(int argc, char **argv)
{
    struct pvc_handle *h;
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (argc != 2 || argv[1][0] == '-')
        return pvctl_usage("console");
    if (pvctl_connect("console", &h))
        return PVCTL_ERR;
    if (!pvctl_resolve("console", h, argv[1], &domid) &&
        !pvctl_console_attach("console", h, domid))
        rc = PVCTL_OK;
    pvc_close(h);
    return rc;
}
