// SPDX-License-Identifier: MIT
/* pvctl_util.c: pvctl's subcommand table, dispatch and shared helpers. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_disk.h"
#include "dev_vif.h"
#include "pvctl.h"
#include "pvctl_obs.h"

struct pvctl_opts pvctl_opts;

static int cmd_help(int argc, char **argv);

static const struct pvctl_cmd cmds[] = {
    { "create", pvctl_cmd_create, "[-c] [-p] [-q] CFG [KEY=VALUE ...]",
      "Create a domain from the xl.cfg-style file CFG. KEY=VALUE settings\n"
      "override the file. -c attaches the console, -p leaves the domain\n"
      "paused, -q prints nothing but errors.\n" },
    { "list", pvctl_cmd_list, "[-l] [DOM ...]",
      "List domains (all, or each DOM). -l prints every detail.\n" },
    { "destroy", pvctl_cmd_destroy, "DOM", "Destroy domain DOM at once.\n" },
    { "shutdown", pvctl_cmd_shutdown, "[-w] [-F] [-t SECS] DOM",
      "Ask DOM to power off by writing control/shutdown = \"poweroff\" in\n"
      "xenstore, as xl does; if it has not shut down after SECS seconds\n"
      "(default 30), or xenstore is not available, shut it down hard.\n"
      "-F shuts it down hard at once. -w waits until it has stopped.\n" },
    { "reboot", pvctl_cmd_reboot, "[-w] [-F] [-t SECS] DOM",
      "Ask DOM to reboot through control/shutdown = \"reboot\"; falls back\n"
      "to a hard reboot like shutdown. -w waits until it has restarted or\n"
      "stopped.\n" },
    { "pause", pvctl_cmd_pause, "DOM", "Pause all vCPUs of DOM.\n" },
    { "unpause", pvctl_cmd_unpause, "DOM", "Unpause DOM.\n" },
    { "console", pvctl_cmd_console, "DOM",
      "Stream DOM's console output live. Ctrl-] detaches.\n" },
    { "wait", pvctl_cmd_wait, "[-t SECONDS] DOM",
      "Wait until DOM is no longer running, blocked or paused. Exit\n"
      "status 0: powered off with code 0; 2: timed out; 3: stopped any\n"
      "other way (other reason or code, crashed, destroyed).\n" },
    { "info", pvctl_cmd_info, "", "Show host and pvisor information.\n" },
    { "dmesg", pvctl_cmd_dmesg, "[-c]",
      "Print pvisor's log; -c clears it afterwards.\n" },
    { "domid", pvctl_cmd_domid, "NAME", "Print the id of domain NAME.\n" },
    { "domname", pvctl_cmd_domname, "ID", "Print the name of domain ID.\n" },
    { "uptime", pvctl_cmd_uptime, "[DOM ...]",
      "Show how long domains have been up.\n" },
    { "store", pvctl_cmd_store, "ls|read|write|rm|watch|perms [ARGS]",
      "Inspect and change xenstore (served by pvstored):\n"
      "  ls [PATH]               the tree below PATH (default /), values\n"
      "  read PATH...            print values\n"
      "  write PATH VALUE...     write values (pairs)\n"
      "  rm PATH...              remove nodes and everything below\n"
      "  watch [-n N] PATH       print the path of each event (N events)\n"
      "  perms PATH [PERM...]    print or set permissions, e.g. n0 r5\n" },
    { "block-attach", pvctl_cmd_block_attach, "DOM DISK-SPEC",
      "Attach a disk to a running domain, e.g.\n"
      "  pvctl block-attach 3 'format=raw, vdev=xvdb, access=rw, "
      "target=/tmp/d.img'\n" },
    { "block-detach", pvctl_cmd_block_detach, "DOM DEV",
      "Detach block device DEV (xvdb or 51728) from DOM: the backend\n"
      "finishes requests in flight and closes, then the device is "
      "removed.\n" },
    { "block-list", pvctl_cmd_block_list, "DOM",
      "List DOM's block devices and their xenbus states.\n" },
    { "network-attach", pvctl_cmd_network_attach, "DOM [VIF-SPEC]",
      "Attach a network interface to a running domain, e.g.\n"
      "  pvctl network-attach 3 'mac=00:16:3e:00:00:03, bridge=pvbr0, "
      "ip=10.0.0.3/24'\n"
      "Prints the new device number.\n" },
    { "network-detach", pvctl_cmd_network_detach, "DOM DEV",
      "Detach network interface DEV (its number or MAC) from DOM.\n" },
    { "network-list", pvctl_cmd_network_list, "DOM",
      "List DOM's network interfaces and their xenbus states.\n" },
    { "top", pvctl_cmd_top, "[-b] [-d SECS] [-n N]",
      "Show every domain's CPU use, memory, vCPUs and the rates of its\n"
      "hypercalls, exits and traps (as xentop). Interactive on a terminal\n"
      "(q quits, any other key refreshes); -b prints frames one after\n"
      "another for scripts. -d: seconds between frames (default 3), -n:\n"
      "stop after N frames.\n" },
    { "trace", pvctl_cmd_trace, "[--filter NAME[,NAME...]] [-n COUNT] DOM",
      "Print DOM's hypercalls as they happen: time, vCPU, name, decoded\n"
      "arguments, result and the time pvisor spent on it. --filter keeps\n"
      "the named hypercalls only (sched_op, event_channel_op, ...); -n\n"
      "stops after COUNT lines. Recording costs nothing while no one\n"
      "traces.\n" },
    { "vcpu-list", pvctl_cmd_vcpu_list, "[DOM ...]",
      "List vCPUs: host thread, the host CPU it last ran on, state\n"
      "(r running, b blocked, p paused, - offline), CPU time, hypercalls,\n"
      "exits and affinity.\n" },
    { "vcpu-pin", pvctl_cmd_vcpu_pin, "DOM VCPU|all CPUS|all",
      "Restrict vCPU VCPU of DOM (or all of them) to host CPUs CPUS, e.g.\n"
      "0-3,6; all lifts the restriction.\n" },
    { "vcpu-set", pvctl_cmd_vcpu_set, "DOM COUNT",
      "Keep COUNT vCPUs of DOM online: writes cpu/N/availability in\n"
      "xenstore (online below COUNT, offline from it on), which the\n"
      "guest follows with VCPUOP_down/VCPUOP_up.\n" },
    { "sched-credit", pvctl_cmd_sched_credit, "[-d DOM [-w WEIGHT] [-c CAP]]",
      "Show or set a domain's CPU weight (1..10000, default 256; shares\n"
      "against other domains in proportion) and cap (percent of one host\n"
      "CPU, 0 = none), through cgroup v2 cpu.weight and cpu.max.\n" },
    { "mem-set", pvctl_cmd_mem_set, "DOM SIZE",
      "Ask DOM's balloon driver to hold SIZE (e.g. 48m, 65536k; no suffix:\n"
      "MiB) by writing memory/target in xenstore. Pages it gives back go\n"
      "back to the host.\n" },
    { "mem-max", pvctl_cmd_mem_max, "DOM SIZE",
      "Set the most memory DOM may balloon back up to (at most the memory\n"
      "it was created with).\n" },
    { "save", pvctl_cmd_save, "[-c] [-t SECS] DOM FILE",
      "Suspend DOM (xenstore control/shutdown = \"suspend\"; it must\n"
      "answer within SECS, default 30) and write its memory, vCPUs, event\n"
      "channels, grants and config to FILE, then destroy it; -c keeps it\n"
      "running (a checkpoint). On any failure DOM keeps running.\n"
      "(xl save)\n" },
    { "restore", pvctl_cmd_restore, "[-p] [-c] FILE [KEY=VALUE...]",
      "Create a domain from a saved image and resume it where it stopped.\n"
      "KEY=VALUE overrides name, platform (kvm, proc) or on_poweroff,\n"
      "on_reboot, on_crash. -p leaves it paused, -c attaches the console.\n"
      "(xl restore)\n" },
    { "migrate", pvctl_cmd_migrate, "[-q] [-t SECS] DOM DEST",
      "Move DOM, running, to another pvisor: DEST is a run directory on\n"
      "this host, ssh:HOST[:RUNDIR] (pvctl migrate-receive over ssh, as\n"
      "xl migrate) or cmd:COMMAND (any command that reads the stream on\n"
      "its stdin and answers on its stdout). Pre-copy rounds, then a\n"
      "suspend and the last pages; on any failure DOM keeps running here.\n"
      "(xl migrate)\n" },
    { "migrate-receive", pvctl_cmd_migrate_receive, "",
      "Receive a migration stream on stdin into a new domain here; answer\n"
      "\"ok DOMID\" or \"error: WHY\" on stdout (what migrate runs).\n" },
    { "help", cmd_help, "[COMMAND]", "Show help for COMMAND.\n" },
};
#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct pvctl_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < NR_CMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void main_usage(FILE *f)
{
    fprintf(f, "usage: pvctl [-r RUNDIR] [-v] [-h|--help] COMMAND "
               "[ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NR_CMDS; i++)
        fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].usage);
    fprintf(f, "\n'pvctl help COMMAND' or 'pvctl COMMAND --help' shows "
               "details.\n");
}

static void cmd_usage(FILE *f, const struct pvctl_cmd *c, bool help)
{
    fprintf(f, "usage: pvctl %s%s%s\n", c->name, *c->usage ? " " : "",
            c->usage);
    if (help)
        fprintf(f, "\n%s", c->help);
}

int pvctl_usage(const char *cmd)
{
    const struct pvctl_cmd *c = find_cmd(cmd);

    if (c)
        cmd_usage(stderr, c, false);
    else
        main_usage(stderr);
    return PVCTL_ERR;
}

bool pvctl_help_requested(int argc, char **argv)
{
    const struct pvctl_cmd *c = find_cmd(argv[0]);

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (c)
                cmd_usage(stdout, c, true);
            return true;
        }
    }
    return false;
}

static int cmd_help(int argc, char **argv)
{
    const struct pvctl_cmd *c;

    if (argc < 2) {
        main_usage(stdout);
        return PVCTL_OK;
    }
    if (argc > 2)
        return pvctl_usage("help");
    c = find_cmd(argv[1]);
    if (!c) {
        pvctl_err("help", "unknown command '%s'", argv[1]);
        return PVCTL_ERR;
    }
    cmd_usage(stdout, c, true);
    return PVCTL_OK;
}

void pvctl_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "pvctl: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int pvctl_call_failed(const char *cmd, struct pvc_handle *h, int err,
                      const char *what)
{
    const char *msg = h ? pvc_last_error(h) : "";

    pvctl_err(cmd, "%s: %s", what, *msg ? msg : strerror(-err));
    return PVCTL_ERR;
}

int pvctl_connect(const char *cmd, struct pvc_handle **h)
{
    char path[256];
    int err;

    *h = NULL;
    err = pvc_socket_path(pvctl_opts.run_dir, path, sizeof(path));
    if (err) {
        fprintf(stderr, "pvctl: run directory path too long\n");
        return err;
    }
    err = pvc_open(pvctl_opts.run_dir, h);
    if (err) {
        fprintf(stderr,
                "pvctl: cannot reach pvisor at %s: %s (is the host "
                "side started? run 'pvhost start')\n",
                path, strerror(-err));
        return err;
    }
    err = pvc_hello(*h, "pvctl", NULL, 0);
    if (err) {
        pvctl_call_failed(cmd, *h, err, "pvisor");
        pvc_close(*h);
        *h = NULL;
    }
    return err;
}

int pvctl_resolve(const char *cmd, struct pvc_handle *h, const char *dom,
                  uint32_t *domid)
{
    int err = pvc_domain_resolve(h, dom, domid);

    if (err)
        pvctl_call_failed(cmd, h, err, dom);
    return err;
}

void pvctl_state_string(Pvmgmt__DomainState s, char out[7])
{
    static const char letters[] = "rbpscd";

    for (int i = 0; i < 6; i++)
        out[i] = (int)s == i + 1 ? letters[i] : '-';
    out[6] = '\0';
}

int pvctl_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "run-dir", required_argument, NULL, 'r' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    const struct pvctl_cmd *c;
    int opt;

    memset(&pvctl_opts, 0, sizeof(pvctl_opts));
    optind = 0;
    opterr = 1;
    while ((opt = getopt_long(argc, argv, "+r:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            pvctl_opts.run_dir = optarg;
            break;
        case 'v':
            pvctl_opts.verbose++;
            break;
        case 'h':
            main_usage(stdout);
            return PVCTL_OK;
        default:
            main_usage(stderr);
            return PVCTL_ERR;
        }
    }
    if (optind >= argc) {
        main_usage(stderr);
        return PVCTL_ERR;
    }
    c = find_cmd(argv[optind]);
    if (!c) {
        fprintf(stderr, "pvctl: unknown command '%s'\n", argv[optind]);
        main_usage(stderr);
        return PVCTL_ERR;
    }
    argc -= optind;
    argv += optind;
    if (pvctl_help_requested(argc, argv))
        return PVCTL_OK;
    optind = 0; /* commands run getopt from argv[1] again */
    return c->fn(argc, argv);
}
