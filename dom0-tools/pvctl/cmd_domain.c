// SPDX-License-Identifier: MIT
/* cmd_domain.c: destroy, shutdown, reboot, pause, unpause, wait, domid... */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "pvctl.h"

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
                     int (*op)(struct pvc_handle *, uint32_t),
                     const char *what)
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
    return simple_op(argc, argv, pvc_domain_destroy, "destroying");
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
                pvc_shutdown_reason_name(i->shutdown_reason),
                i->shutdown_code);
    fputc('\n', f);
    if (i->state == PVMGMT__DOMAIN_STATE__STATE_CRASHED &&
        *i->crash_report)
        fprintf(f, "%s%s", i->crash_report,
                i->crash_report[strlen(i->crash_report) - 1] == '\n' ?
                "" : "\n");
}

/*
 * Waits until domid has stopped; for a reboot also until it restarted
 * (restarts grew). Returns 0 or -errno (printed).
 */
static int wait_stop(const char *cmd, struct pvc_handle *h, uint32_t domid,
                     const char *name, bool reboot)
{
    struct pvc_domain_info *infos, info;
    uint32_t restarts = 0;
    size_t nr;
    int e;

    e = pvc_domain_list(h, domid, &infos, &nr);
    if (e == -ESRCH || (!e && nr == 0))
        goto gone;
    if (e)
        return pvctl_call_failed(cmd, h, e, "listing"), e;
    restarts = infos[0].restarts;
    pvc_domain_info_free(infos, nr);
    for (;;) {
        e = pvc_domain_wait(h, domid, reboot ? 500 : 0, &info);
        if (e == -ESRCH)
            goto gone;
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

static int shutdown_cmd(int argc, char **argv, Pvmgmt__ShutdownReason r)
{
    struct pvc_handle *h;
    bool wait = false;
    uint32_t domid;
    int opt, e, rc = PVCTL_ERR;

    while ((opt = getopt(argc, argv, "w")) != -1) {
        if (opt != 'w')
            return pvctl_usage(argv[0]);
        wait = true;
    }
    if (optind != argc - 1)
        return pvctl_usage(argv[0]);
    if (pvctl_connect(argv[0], &h))
        return PVCTL_ERR;
    if (pvctl_resolve(argv[0], h, argv[optind], &domid))
        goto out;
    e = pvc_domain_shutdown(h, domid, r);
    if (e) {
        pvctl_call_failed(argv[0], h, e, argv[optind]);
        goto out;
    }
    if (wait) {
        fprintf(stderr, "Waiting for domain %u (%s)\n", domid, argv[optind]);
        if (wait_stop(argv[0], h, domid, argv[optind],
                      r == PVMGMT__SHUTDOWN_REASON__SHUTDOWN_REBOOT))
            goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}

int pvctl_cmd_shutdown(int argc, char **argv)
{
    return shutdown_cmd(argc, argv,
                        PVMGMT__SHUTDOWN_REASON__SHUTDOWN_POWEROFF);
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
        if (opt != 't' || !pvctl_parse_u32(optarg, &secs) || secs == 0 ||
            secs > UINT32_MAX / 1000) {
            if (opt == 't')
                pvctl_err("wait", "-t wants whole seconds (1..%u), got "
                          "'%s'", UINT32_MAX / 1000, optarg);
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
             info.shutdown_code == 0 ? PVCTL_OK : WAIT_OTHER_EXIT;
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

    if (argc != 2 || !pvctl_parse_u32(argv[1], &domid))
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
