// SPDX-License-Identifier: MIT
/* cmd_domain.c: destroy, shutdown, reboot, pause, unpause, wait, domid... */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "pvctl.h"
#include "xenstore.h"

#define WAIT_TIMEOUT_EXIT 2
#define WAIT_OTHER_EXIT   3

static bool is_live(Pvmgmt__DomainState s)
{
    return s == PVMGMT__DOMAIN_STATE__STATE_RUNNING ||
           s == PVMGMT__DOMAIN_STATE__STATE_BLOCKED ||
           s == PVMGMT__DOMAIN_STATE__STATE_PAUSED;
}

/* Common shape: `CMD DOM` -> one DomainRef request. */
static int simple_op(int argc, char **argv,
                     int (*op)(struct pvc_handle *, uint32_t), const char *what)
{
    struct pvc_handle *h;
    uint32_t domid;
    int e, rc = PVCTL_ERR;

    if (argc != 2 || argv[1][0] == '-')
        return pvctl_usage(argv[0]);
    if (pvctl_connect(argv[0], &h))
        return PVCTL_ERR;
    if (pvctl_resolve(argv[0], h, argv[1], &domid))
        goto out;
    e = op(h, domid);
    if (e) {
        pvctl_call_failed(argv[0], h, e, what);
        goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_destroy(int argc, char **argv)
{
    struct pvc_handle *h;
    struct xs_handle *xs;
    uint32_t domid;
    int e, rc = PVCTL_ERR;

    if (argc != 2 || argv[1][0] == '-')
        return pvctl_usage(argv[0]);
    if (pvctl_connect(argv[0], &h))
        return PVCTL_ERR;
    if (pvctl_resolve(argv[0], h, argv[1], &domid))
        goto out;
    e = pvc_domain_destroy(h, domid);
    if (e) {
        pvctl_call_failed(argv[0], h, e, "destroying");
        goto out;
    }
    /* Like xl: release it in xenstore and remove its keys. */
    xs = pvctl_xs_open(argv[0], false);
    pvctl_store_forget(xs, domid);
    xs_close(xs);
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_pause(int argc, char **argv)
{
    return simple_op(argc, argv, pvc_domain_pause, "pausing");
}

int pvctl_cmd_unpause(int argc, char **argv)
{
    return simple_op(argc, argv, pvc_domain_unpause, "unpausing");
}

/* One line describing how a domain that stopped ended up. */
static void print_end(FILE *f, const char *name, uint32_t domid,
                      const struct pvc_domain_info *i)
{
    fprintf(f, "Domain %u (%s): %s", domid, name, pvc_state_name(i->state));
    if (i->state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN)
        fprintf(f, " (%s, code %u)",
                pvc_shutdown_reason_name(i->shutdown_reason), i->shutdown_code);
    fputc('\n', f);
    if (i->state == PVMGMT__DOMAIN_STATE__STATE_CRASHED && *i->crash_report)
        fprintf(f, "%s%s", i->crash_report,
                i->crash_report[strlen(i->crash_report) - 1] == '\n' ? ""
                                                                     : "\n");
}

/*
 * How often domid has restarted so far: 0 with *restarts set, 1 when the
 * domain is gone, -errno on errors (printed).
 */
static int get_restarts(const char *cmd, struct pvc_handle *h, uint32_t domid,
                        uint32_t *restarts)
{
    struct pvc_domain_info *infos;
    size_t nr;
    int e;

    e = pvc_domain_list(h, domid, &infos, &nr);
    if (e == -ESRCH || e == -ENOENT || (!e && nr == 0))
        return 1;
    if (e)
        return pvctl_call_failed(cmd, h, e, "listing"), e;
    *restarts = infos[0].restarts;
    pvc_domain_info_free(infos, nr);
    return 0;
}

/*
 * Waits until domid has stopped; for a reboot also until it restarted
 * (restarts grew past `restarts`, read before the request was made, so
 * that a restart that already happened counts). Returns 0 or -errno
 * (printed).
 */
static int wait_stop(const char *cmd, struct pvc_handle *h, uint32_t domid,
                     const char *name, bool reboot, uint32_t restarts)
{
    struct pvc_domain_info info;
    uint32_t now;
    int e;

    for (;;) {
        e = get_restarts(cmd, h, domid, &now);
        if (e == 1)
            goto gone;
        if (e < 0)
            return e;
        if (reboot && now > restarts) {
            fprintf(stderr, "Domain %u (%s) restarted\n", domid, name);
            return 0;
        }
        e = pvc_domain_wait(h, domid, reboot ? 500 : 0, &info);
        if (e == -ESRCH || e == -ENOENT)
            goto gone;
        if (e == -ETIMEDOUT)
            continue;
        if (e)
            return pvctl_call_failed(cmd, h, e, "waiting"), e;
        if (!is_live(info.state) || info.restarts > restarts) {
            if (info.restarts > restarts)
                fprintf(stderr, "Domain %u (%s) restarted\n", domid, name);
            else
                print_end(stderr, name, domid, &info);
            pvc_domain_info_clear(&info);
            return 0;
        }
        pvc_domain_info_clear(&info);
    }
gone:
    fprintf(stderr, "Domain %u (%s) is gone\n", domid, name);
    return 0;
}

/*
 * Asks the guest through control/shutdown, as xl does. Returns 0 when the
 * request was written, -errno when xenstore cannot carry it.
 */
static int request_shutdown(const char *cmd, uint32_t domid, const char *what)
{
    struct xs_handle *xs = pvctl_xs_open(cmd, true);
    char path[64];
    int e = 0;

    if (!xs)
        return -ENOENT;
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    if (!xs_is_domain_introduced(xs, domid)) {
        e = -ENOENT;
        fprintf(stderr,
                "pvctl: %s: warning: domain %u is not connected "
                "to xenstore\n",
                cmd, domid);
    } else if (!xs_write(xs, XBT_NULL, path, what, (unsigned)strlen(what))) {
        e = -errno;
        pvctl_err(cmd, "writing %s: %s", path, strerror(-e));
    }
    xs_close(xs);
    return e;
}

/*
 * Waits up to secs for domid to stop (or, for a reboot, to restart).
 * Returns 1 when it did, 0 on timeout, -errno on errors (printed).
 */
static int wait_graceful(const char *cmd, struct pvc_handle *h, uint32_t domid,
                         uint32_t secs, uint32_t restarts)
{
    struct pvc_domain_info info;
    uint32_t now;
    int e;

    /* The guest may have acted on the request already. */
    e = get_restarts(cmd, h, domid, &now);
    if (e)
        return e;
    if (now > restarts)
        return 1;
    for (uint32_t waited = 0; waited < secs * 2; waited++) {
        e = pvc_domain_wait(h, domid, 500, &info);
        if (e == -ESRCH || e == -ENOENT)
            return 1;
        if (e == -ETIMEDOUT) {
            /* still running: the guest has not reacted yet, or a
             * restart went by between two polls */
            struct pvc_domain_info *l;
            size_t n;
            if (pvc_domain_list(h, domid, &l, &n) == 0 && n) {
                bool again = l[0].restarts > restarts;
                pvc_domain_info_free(l, n);
                if (again)
                    return 1;
            }
            continue;
        }
        if (e)
            return pvctl_call_failed(cmd, h, e, "waiting"), e;
        bool done = !is_live(info.state) || info.restarts > restarts;
        pvc_domain_info_clear(&info);
        if (done)
            return 1;
    }
    return 0;
}

static int shutdown_cmd(int argc, char **argv, Pvmgmt__ShutdownReason r)
{
    bool reboot = r == PVMGMT__SHUTDOWN_REASON__SHUTDOWN_REBOOT;
    bool wait = false, force = false, hard = true;
    uint32_t domid, secs = 30, restarts = 0;
    struct pvc_handle *h;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "wFt:")) != -1) {
        switch (opt) {
        case 'w':
            wait = true;
            break;
        case 'F':
            force = true;
            break;
        case 't':
            if (!xs_parse_u32(optarg, &secs) || secs == 0 || secs > 86400) {
                pvctl_err(argv[0], "-t wants seconds (1..86400), got '%s'",
                          optarg);
                return pvctl_usage(argv[0]);
            }
            break;
        default:
            return pvctl_usage(argv[0]);
        }
    }
    if (optind != argc - 1)
        return pvctl_usage(argv[0]);
    if (pvctl_connect(argv[0], &h))
        return PVCTL_ERR;
    if (pvctl_resolve(argv[0], h, argv[optind], &domid))
        goto out;
    /* Before the request: a quick guest restarts before we look. */
    if (get_restarts(argv[0], h, domid, &restarts) < 0)
        goto out;
    if (!force &&
        request_shutdown(argv[0], domid, reboot ? "reboot" : "poweroff") == 0) {
        e = wait_graceful(argv[0], h, domid, secs, restarts);
        if (e < 0)
            goto out;
        hard = e == 0;
        if (hard)
            fprintf(stderr,
                    "pvctl: %s: domain %u did not %s within %u s; "
                    "using a hard %s\n",
                    argv[0], domid, reboot ? "reboot" : "shut down", secs,
                    reboot ? "reboot" : "shutdown");
    }
    if (hard) {
        e = pvc_domain_shutdown(h, domid, r);
        if (e) {
            pvctl_call_failed(argv[0], h, e, argv[optind]);
            goto out;
        }
        if (!force)
            fprintf(stderr, "pvctl: %s: domain %u: hard %s done\n", argv[0],
                    domid, reboot ? "reboot" : "shutdown");
    }
    if (wait) {
        fprintf(stderr, "Waiting for domain %u (%s)\n", domid, argv[optind]);
        /* A graceful reboot has already happened when we get here. */
        if (!hard && reboot)
            fprintf(stderr, "Domain %u (%s) rebooted\n", domid, argv[optind]);
        else if (wait_stop(argv[0], h, domid, argv[optind], reboot, restarts))
            goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_shutdown(int argc, char **argv)
{
    return shutdown_cmd(argc, argv, PVMGMT__SHUTDOWN_REASON__SHUTDOWN_POWEROFF);
}

int pvctl_cmd_reboot(int argc, char **argv)
{
    return shutdown_cmd(argc, argv, PVMGMT__SHUTDOWN_REASON__SHUTDOWN_REBOOT);
}

int pvctl_cmd_wait(int argc, char **argv)
{
    struct pvc_domain_info info;
    uint32_t domid, secs = 0, ms = 0;
    struct pvc_handle *h;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt != 't' || !xs_parse_u32(optarg, &secs) || secs == 0 ||
            secs > UINT32_MAX / 1000) {
            if (opt == 't')
                pvctl_err("wait",
                          "-t wants whole seconds (1..%u), got "
                          "'%s'",
                          UINT32_MAX / 1000, optarg);
            return pvctl_usage("wait");
        }
        ms = secs * 1000;
    }
    if (optind != argc - 1)
        return pvctl_usage("wait");
    if (pvctl_connect("wait", &h))
        return PVCTL_ERR;
    if (pvctl_resolve("wait", h, argv[optind], &domid))
        goto out;
    e = pvc_domain_wait(h, domid, ms, &info);
    if (e == -ETIMEDOUT) {
        /* pvisor's answer when the deadline passed: say it as documented
         * (exit status 2), with the state the domain is in now. */
        struct pvc_domain_info *l = NULL;
        size_t n = 0;

        e = pvc_domain_list(h, domid, &l, &n);
        if (!e && n == 1 && is_live(l[0].state)) {
            printf("Domain %u (%s): still %s after %u s\n", domid, l[0].name,
                   pvc_state_name(l[0].state), secs);
            rc = WAIT_TIMEOUT_EXIT;
        } else if (!e && n == 1) {
            /* it stopped between the deadline and the listing */
            print_end(stdout, l[0].name, domid, &l[0]);
            rc = WAIT_OTHER_EXIT;
        } else if (e == -ESRCH || (!e && n == 0)) {
            printf("Domain %u (%s): destroyed\n", domid, argv[optind]);
            rc = WAIT_OTHER_EXIT;
        } else {
            pvctl_call_failed("wait", h, e, argv[optind]);
        }
        pvc_domain_info_free(l, n);
        goto out;
    }
    if (e == -ESRCH) {
        printf("Domain %u (%s): destroyed\n", domid, argv[optind]);
        rc = WAIT_OTHER_EXIT;
        goto out;
    }
    if (e) {
        pvctl_call_failed("wait", h, e, argv[optind]);
        goto out;
    }
    if (is_live(info.state)) {
        printf("Domain %u (%s): still %s after %u s\n", domid, info.name,
               pvc_state_name(info.state), secs);
        rc = WAIT_TIMEOUT_EXIT;
    } else {
        print_end(stdout, info.name, domid, &info);
        rc = info.state == PVMGMT__DOMAIN_STATE__STATE_SHUTDOWN &&
                     info.shutdown_reason ==
                         PVMGMT__SHUTDOWN_REASON__SHUTDOWN_POWEROFF &&
                     info.shutdown_code == 0
                 ? PVCTL_OK
                 : WAIT_OTHER_EXIT;
    }
    pvc_domain_info_clear(&info);
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_domid(int argc, char **argv)
{
    struct pvc_handle *h;
    uint32_t domid;
    int rc = PVCTL_ERR;

    if (argc != 2)
        return pvctl_usage("domid");
    if (pvctl_connect("domid", &h))
        return PVCTL_ERR;
    if (!pvctl_resolve("domid", h, argv[1], &domid)) {
        printf("%u\n", domid);
        rc = PVCTL_OK;
    }
    pvc_close(h);
    return rc;
}

int pvctl_cmd_domname(int argc, char **argv)
{
    struct pvc_domain_info *infos = NULL;
    struct pvc_handle *h;
    uint32_t domid;
    size_t nr = 0;
    int e, rc = PVCTL_ERR;

    if (argc != 2 || !xs_parse_u32(argv[1], &domid))
        return pvctl_usage("domname");
    if (pvctl_connect("domname", &h))
        return PVCTL_ERR;
    e = pvc_domain_list(h, domid, &infos, &nr);
    if (e || nr != 1) {
        if (e && e != -ESRCH)
            pvctl_call_failed("domname", h, e, argv[1]);
        else
            pvctl_err("domname", "no domain with id %u", domid);
    } else {
        printf("%s\n", infos[0].name);
        rc = PVCTL_OK;
    }
    pvc_domain_info_free(infos, nr);
    pvc_close(h);
    return rc;
}
