// SPDX-License-Identifier: MIT
/* main.c: pvisor start-up, daemon mode, and the main event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv.h"
#include "hv_mgmt.h"
#include "pvd_daemon.h"
#include "pvd_sandbox.h"

static const char usage[] =
    "usage: pvisor [options]\n"
    "\n"
    "The pvisor hypervisor daemon: runs paravirtualized domains (as KVM\n"
    "virtual machines, or as traced host processes without KVM) and\n"
    "serves the management protocol on\n"
    "<run-dir>/pvisor.sock. Normally started by 'pvhost start'.\n"
    "\n"
    "  -r, --run-dir DIR      run directory (default $PVISOR_RUN_DIR or\n"
    "                         /run/pvisor)\n"
    "  -d, --daemon           detach once the socket is listening\n"
    "  -p, --pidfile FILE     write the daemon's pid to FILE\n"
    "  -l, --log-file FILE    append log lines to FILE (default: stderr)\n"
    "  -L, --log-level LEVEL  err, warn, info (default) or debug\n"
    "  -m, --mem-path DIR     make guest RAM files in DIR (a tmpfs mounted\n"
    "                         huge=always: 2 MiB host pages make backends'\n"
    "                         direct I/O faster); default: anonymous memory\n"
    "                         files (memfd)\n"
    "  -P, --platform NAME    kvm, proc or auto (default): where domains\n"
    "                         run unless their config names a platform;\n"
    "                         auto takes KVM when /dev/kvm is usable\n"
    "  -h, --help             this text\n"
    "  -V, --version          print the version\n";

/*
 * Enters pvisor's sandbox (pvd_profiles.c) once everything is set up and
 * before any guest or client is served: no_new_privs, the capabilities
 * the proc platform needs only while it is available, and the management
 * role's filter for the whole process; each vCPU thread narrows itself
 * (hv_vcpu.c). A refused call kills pvisor with a line in log_fd.
 */
static int enter_sandbox(int log_fd)
{
    struct pvd_sandbox sb = pvd_sandbox_pvisor;
    char err[256];
    int rc;

    if (!hv_platform_proc.available)
        sb.caps = 0;
    rc = pvd_sandbox_enter(&sb, log_fd, err, sizeof(err));
    if (rc < 0) {
        log_err("sandbox: %s", err);
        return rc;
    }
    if (err[0])
        log_warn("sandbox: %s", err);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "run-dir", required_argument, NULL, 'r' },
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "log-file", required_argument, NULL, 'l' },
        { "log-level", required_argument, NULL, 'L' },
        { "mem-path", required_argument, NULL, 'm' },
        { "platform", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *run_dir = getenv("PVISOR_RUN_DIR");
    const char *pidfile = NULL, *log_file = NULL, *platform = "auto";
    bool daemon_mode = false;
    int sig_fd, opt, e;
    char err[512];
    sigset_t mask;

    if (!run_dir || !*run_dir)
        run_dir = "/run/pvisor";
    while ((opt = getopt_long(argc, argv, "r:dp:l:L:m:P:hV", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'r':
            run_dir = optarg;
            break;
        case 'd':
            daemon_mode = true;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'l':
            log_file = optarg;
            break;
        case 'L':
            hv_log_level = hv_log_parse_level(optarg);
            if (hv_log_level < 0) {
                fprintf(stderr,
                        "pvisor: --log-level: '%s' is not one of "
                        "err, warn, info, debug\n",
                        optarg);
                return 2;
            }
            break;
        case 'm':
            hv_mem_path = optarg;
            break;
        case 'P':
            platform = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("pvisor %s\n", HV_VERSION);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pvisor: unexpected argument '%s'\n%s", argv[optind],
                usage);
        return 2;
    }
    if (mkdir(run_dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "pvisor: run directory %s: %s\n", run_dir,
                strerror(errno));
        return 1;
    }
    if (log_file) {
        int fd =
            open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "pvisor: log file %s: %s\n", log_file,
                    strerror(errno));
            return 1;
        }
        hv_log_set_fd(fd);
    }
    if (hv_mem_path && hv_mem_path_check(hv_mem_path, err, sizeof(err))) {
        fprintf(stderr, "pvisor: %s\n", err);
        return 1;
    }
    if (hv_platforms_init(platform, err, sizeof(err)) != 0) {
        fprintf(stderr, "pvisor: %s\n", err);
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);

    if (daemon_mode && (e = pvd_daemonize()) != 0) {
        fprintf(stderr, "pvisor: cannot daemonize: %s\n", strerror(-e));
        return 1;
    }
    hv_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (hv_epoll_fd < 0 || hv_domains_init() != 0) {
        fprintf(stderr, "pvisor: %s\n", strerror(errno));
        return 1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = HV_EPOLL_REAP };
    epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, hv_reap_fd, &ev);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    ev.data.u64 = HV_EPOLL_SIGNAL;
    epoll_ctl(hv_epoll_fd, EPOLL_CTL_ADD, sig_fd, &ev);
    if (hv_mgmt_init(run_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "pvisor: %s\n", err);
        return 1;
    }
    if (pidfile && (e = pvd_pidfile_write(pidfile)) != 0) {
        fprintf(stderr, "pvisor: pidfile %s: %s\n", pidfile, strerror(-e));
        hv_mgmt_fini();
        return 1;
    }
    if (enter_sandbox(hv_log_get_fd()) != 0) {
        hv_mgmt_fini();
        pvd_pidfile_remove(pidfile);
        return 1;
    }
    log_info("pvisor %s ready: %s/pvisor.sock, platform %s (%s), TSC %llu kHz",
             HV_VERSION, run_dir, hv_platform_default->name,
             hv_platform_default->flavour, (unsigned long long)hv_tsc_khz);
    /* Daemonized: stderr stays where the log goes unless it has a file. */
    if (pvd_daemon_ready(log_file != NULL) != 0)
        return 1;

    bool running = true;
    while (running) {
        struct epoll_event evs[64];
        int n = epoll_wait(hv_epoll_fd, evs, 64, hv_mgmt_poll_timeout());
        if (n < 0 && errno != EINTR) {
            log_err("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            switch (tag & HV_EPOLL_TYPE_MASK) {
            case HV_EPOLL_TIMER: {
                struct hv_domain *d =
                    hv_domain_find((uint32_t)((tag >> 8) & 0xffff));
                unsigned vid = tag & 0xff;
                if (d && vid < d->nr_vcpus)
                    hv_timer_fire(d->vcpus[vid]);
                break;
            }
            case HV_EPOLL_REAP:
                hv_domains_reap();
                break;
            case HV_EPOLL_LISTEN:
                hv_mgmt_accept();
                break;
            case HV_EPOLL_CLIENT:
                hv_mgmt_client_event((unsigned)(tag & 0xffff), evs[i].events);
                break;
            case HV_EPOLL_DOM0EVT:
                hv_dom0_event((uint32_t)(tag & 0xffff));
                break;
            case HV_EPOLL_WAKE:
                hv_mgmt_wake(true);
                break;
            case HV_EPOLL_SIGNAL: {
                struct signalfd_siginfo si;
                if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
                    log_info("signal %u: shutting down", si.ssi_signo);
                    running = false;
                }
                break;
            }
            }
        }
        hv_mgmt_wake(false);
    }

    for (struct hv_domain *d = hv_domain_next(0); d; d = hv_domain_next(0))
        hv_domain_destroy(d);
    hv_mgmt_fini();
    pvd_pidfile_remove(pidfile);
    log_info("pvisor stopped");
    return 0;
}
