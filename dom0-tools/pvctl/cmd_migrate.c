// SPDX-License-Identifier: MIT
/* cmd_migrate.c: pvctl migrate (pre-copy, then stop-and-copy) and its
 * receiving end, pvctl migrate-receive (docs/save-format.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pvabi/xen.h>

#include "dev_disk.h"
#include "dev_vif.h"
#include "pvctl.h"
#include "save_cmd.h"
#include "save_image.h"
#include "xenstore.h"

#define MIG_MAGIC      "PVMIGRT1"
#define MIG_VERSION    1
#define MIG_PAGES      1u
#define MIG_STATE      2u
#define MIG_END        3u
#define MIG_BATCH      256u /* pages per record */
#define MIG_ROUNDS_MAX 30
#define MIG_DIRTY_STOP 64u /* pages: small enough to stop and copy */

struct mig_hdr {
    char magic[8];
    uint32_t version;
    uint32_t config_size;
};

struct mig_rec {
    uint32_t type;
    uint32_t count; /* PAGES: pages; STATE: state bytes; END: 0 */
};

/* STATE record: this, then count bytes of pvisor's state. */
struct mig_state {
    uint64_t store_pfn, console_pfn;
    uint32_t store_port, console_port;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- the stream, both directions ---- */

struct stream {
    int fd;
    uint64_t sum;
    int err; /* first errno; EPIPE when the other end went away */
    uint64_t bytes;
};

static void s_write(struct stream *s, const void *p, size_t n)
{
    const uint8_t *b = p;

    if (s->err)
        return;
    s->sum = save_fnv(s->sum, p, n);
    s->bytes += n;
    while (n) {
        ssize_t w = write(s->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->err = w < 0 ? errno : EPIPE;
            return;
        }
        b += w;
        n -= (size_t)w;
    }
}

/* 0, or -EPIPE at the end of the stream, -errno on errors. */
static int s_read(struct stream *s, void *p, size_t n)
{
    uint8_t *b = p;
    size_t want = n;

    while (n) {
        ssize_t r = read(s->fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EPIPE;
        b += r;
        n -= (size_t)r;
    }
    s->sum = save_fnv(s->sum, p, want);
    s->bytes += want;
    return 0;
}

/* ---- sender ---- */

struct sender {
    struct stream s;
    const uint8_t *mem;
    uint8_t *shadow; /* what the receiver holds, page by page */
    uint64_t size, pages_sent;
    int fd;
    uint64_t batch[MIG_BATCH];
    unsigned nbatch;
};

static void flush_batch(struct sender *x)
{
    struct mig_rec r = { MIG_PAGES, x->nbatch };

    if (!x->nbatch)
        return;
    s_write(&x->s, &r, sizeof(r));
    for (unsigned i = 0; i < x->nbatch; i++) {
        uint64_t pfn = x->batch[i];
        s_write(&x->s, &pfn, sizeof(pfn));
        s_write(&x->s, x->shadow + pfn * PV_SAVE_PAGE, PV_SAVE_PAGE);
    }
    x->pages_sent += x->nbatch;
    x->nbatch = 0;
}

static void send_page(struct sender *x, uint64_t pfn)
{
    memcpy(x->shadow + pfn * PV_SAVE_PAGE, x->mem + pfn * PV_SAVE_PAGE,
           PV_SAVE_PAGE);
    x->batch[x->nbatch++] = pfn;
    if (x->nbatch == MIG_BATCH)
        flush_batch(x);
}

/*
 * One round: every page of the RAM file's data extents that differs from
 * what the receiver holds is sent. Comparing with the copy sent catches
 * every writer alike: the guest on either platform, and pvisor's grant
 * copies and backends writing through grant maps. Returns pages sent.
 */
static uint64_t send_round(struct sender *x)
{
    uint64_t n = 0;
    off_t pos = 0;

    while ((uint64_t)pos < x->size && !x->s.err) {
        off_t data = lseek(x->fd, pos, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(x->fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t)hole > x->size)
            hole = (off_t)x->size;
        for (uint64_t pfn = (uint64_t)data / PV_SAVE_PAGE;
             pfn * PV_SAVE_PAGE < (uint64_t)hole; pfn++) {
            if (memcmp(x->mem + pfn * PV_SAVE_PAGE,
                       x->shadow + pfn * PV_SAVE_PAGE, PV_SAVE_PAGE)) {
                send_page(x, pfn);
                n++;
            }
        }
        pos = hole;
    }
    flush_batch(x);
    return n;
}

/* The receiving command's argv for DEST. */
static int dest_argv(const char *dest, const char **argv, char *buf, size_t len)
{
    if (!strncmp(dest, "ssh:", 4)) {
        /* ssh:HOST[:RUNDIR], as xl migrate: the other side's pvctl. */
        char *colon;
        snprintf(buf, len, "%s", dest + 4);
        colon = strchr(buf, ':');
        argv[0] = "ssh";
        argv[1] = buf;
        argv[2] = "pvctl";
        if (colon) {
            *colon = '\0';
            argv[3] = "-r";
            argv[4] = colon + 1;
            argv[5] = "migrate-receive";
            argv[6] = NULL;
        } else {
            argv[3] = "migrate-receive";
            argv[4] = NULL;
        }
        return buf[0] ? 0 : -EINVAL;
    }
    if (!strncmp(dest, "cmd:", 4)) {
        /* Any command that speaks the stream on its stdin and stdout. */
        argv[0] = "/bin/sh";
        argv[1] = "-c";
        argv[2] = dest + 4;
        argv[3] = NULL;
        return dest[4] ? 0 : -EINVAL;
    }
    /* Another run directory on this host: this pvctl receives there. */
    argv[0] = "/proc/self/exe";
    argv[1] = "-r";
    argv[2] = dest;
    argv[3] = "migrate-receive";
    argv[4] = NULL;
    return 0;
}

static pid_t spawn(const char *const *argv, int *to, int *from)
{
    int in[2], out[2];
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "pvctl: migrate: running %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    *to = in[1];
    *from = out[0];
    return pid;
}

/* The receiver's one-line answer (without its newline), or "". */
static void read_answer(int fd, char *buf, size_t len)
{
    size_t n = 0;

    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
}

int pvctl_cmd_migrate(int argc, char **argv)
{
    static const char *const CMD = "migrate";
    static struct save_config cfg;
    static char config[SAVE_DISKS_MAX * (SAVE_DISK_SPEC_MAX + 8) + 1024];
    struct sender x = { .s = { .fd = -1, .sum = SAVE_FNV_INIT }, .fd = -1 };
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    const char *rargv[8];
    char dbuf[512], answer[512];
    unsigned secs = 30, rounds = 0;
    uint64_t t0, t_susp = 0, t_ack, last = UINT64_MAX, n, last_round = 0;
    uint64_t *pfns = NULL, nr = 0;
    uint8_t *state = NULL;
    size_t state_len = 0;
    bool suspended = false, quiet = false;
    int to = -1, from = -1, clen, opt, e, status, rc = PVCTL_ERR;
    pid_t pid = -1;
    uint32_t domid;

    while ((opt = getopt(argc, argv, "qt:")) != -1) {
        if (opt == 'q') {
            quiet = true;
        } else if (opt == 't' && xs_parse_u32(optarg, &secs) && secs >= 1 &&
                   secs <= 3600) {
            continue;
        } else {
            if (opt == 't')
                pvctl_err(CMD, "-t wants seconds (1..3600), got '%s'", optarg);
            return pvctl_usage(CMD);
        }
    }
    if (optind != argc - 2)
        return pvctl_usage(CMD);
    if (dest_argv(argv[optind + 1], rargv, dbuf, sizeof(dbuf))) {
        pvctl_err(CMD,
                  "destination '%s': RUNDIR, ssh:HOST[:RUNDIR] or "
                  "cmd:COMMAND",
                  argv[optind + 1]);
        return PVCTL_ERR;
    }
    t0 = now_ns();
    if (pvctl_open_dom_store(CMD, argv[optind], &h, &xs, &domid))
        goto out;
    if (save_read_info(CMD, h, domid, &cfg) ||
        save_read_devices(CMD, xs, domid, &cfg))
        goto out;
    clen = save_config_format(&cfg, config, sizeof(config));
    if (clen < 0) {
        pvctl_err(CMD, "config too long");
        goto out;
    }
    e = pvc_map_memory(h, domid, &x.fd, &x.size);
    if (e) {
        pvctl_call_failed(CMD, h, e, "mapping domain memory");
        goto out;
    }
    x.mem = mmap(NULL, x.size, PROT_READ, MAP_SHARED, x.fd, 0);
    x.shadow = mmap(NULL, x.size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (x.mem == MAP_FAILED || x.shadow == MAP_FAILED) {
        pvctl_err(CMD, "mapping %" PRIu64 " bytes: %s", x.size,
                  strerror(errno));
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    pid = spawn(rargv, &to, &from);
    if (pid < 0) {
        pvctl_err(CMD, "starting the receiver: %s", strerror(errno));
        goto out;
    }
    x.s.fd = to;
    {
        struct mig_hdr hd = { .version = MIG_VERSION,
                              .config_size = (uint32_t)clen };
        memcpy(hd.magic, MIG_MAGIC, sizeof(hd.magic));
        s_write(&x.s, &hd, sizeof(hd));
        s_write(&x.s, config, (size_t)clen);
    }
    /* Pre-copy: everything touched, then what changed since, while the
     * dirty set shrinks. */
    e = save_list_pages(x.fd, x.mem, x.size, &pfns, &nr);
    for (uint64_t i = 0; !e && i < nr && !x.s.err; i++)
        send_page(&x, pfns[i]);
    flush_batch(&x);
    free(pfns);
    rounds = 1;
    while (!x.s.err && rounds < MIG_ROUNDS_MAX) {
        n = send_round(&x);
        rounds++;
        last_round = n;
        if (n <= MIG_DIRTY_STOP || n >= last)
            break;
        last = n;
    }
    if (x.s.err)
        goto broken;
    /* Stop and copy. */
    e = save_suspend_guest(CMD, h, xs, domid, secs);
    if (e == 0)
        pvctl_err(CMD,
                  "domain %u did not suspend within %u s; it keeps running "
                  "here",
                  domid, secs);
    if (e <= 0)
        goto abort;
    suspended = true;
    t_susp = now_ns();
    e = pvc_save_state(h, domid, &state, &state_len);
    if (e) {
        pvctl_call_failed(CMD, h, e, "reading the domain's state");
        goto abort;
    }
    last_round = send_round(&x);
    rounds++;
    {
        struct mig_state ms = { 0 };
        struct pv_state_dom sd;
        struct start_info si;
        struct mig_rec r = { MIG_STATE, (uint32_t)state_len };

        memcpy(&sd, state, sizeof(sd));
        if (sd.start_info_gpa <= x.size - sizeof(si)) {
            memcpy(&si, x.mem + sd.start_info_gpa, sizeof(si));
            if (si.store_mfn < x.size / PV_SAVE_PAGE && si.store_evtchn) {
                ms.store_pfn = si.store_mfn;
                ms.store_port = si.store_evtchn;
            }
            if (si.console.domU.mfn < x.size / PV_SAVE_PAGE &&
                si.console.domU.evtchn) {
                ms.console_pfn = si.console.domU.mfn;
                ms.console_port = si.console.domU.evtchn;
            }
        }
        s_write(&x.s, &r, sizeof(r));
        s_write(&x.s, &ms, sizeof(ms));
        s_write(&x.s, state, state_len);
        r = (struct mig_rec){ MIG_END, 0 };
        s_write(&x.s, &r, sizeof(r));
        uint64_t sum = x.s.sum;
        s_write(&x.s, &sum, sizeof(sum));
    }
    if (x.s.err)
        goto broken;
    close(to);
    to = -1;
    read_answer(from, answer, sizeof(answer));
    t_ack = now_ns();
    if (strncmp(answer, "ok ", 3)) {
        pvctl_err(CMD, "the destination refused the domain: %s",
                  answer[0] ? answer : "(no answer)");
        goto abort;
    }
    e = pvc_domain_destroy(h, domid);
    if (e)
        pvctl_call_failed(CMD, h, e, "destroying the migrated domain here");
    disk_forget_all(xs, domid);
    vif_forget_all(xs, domid);
    pvctl_store_forget(xs, domid);
    if (!quiet)
        fprintf(stderr,
                "Migrated domain %u (%s) to %s: %s; %u rounds, %" PRIu64
                " pages sent (%" PRIu64 " in the last round), total %.1f ms, "
                "downtime %.1f ms\n",
                domid, cfg.name, argv[optind + 1], answer + 3, rounds,
                x.pages_sent, last_round, (double)(t_ack - t0) / 1e6,
                (double)(t_ack - t_susp) / 1e6);
    printf("migrated %s pages %" PRIu64 " rounds %u total_ms %.3f "
           "downtime_ms %.3f\n",
           cfg.name, x.pages_sent, rounds, (double)(t_ack - t0) / 1e6,
           (double)(t_ack - t_susp) / 1e6);
    rc = PVCTL_OK;
    goto out;
broken:
    pvctl_err(CMD, "sending to %s: %s", argv[optind + 1],
              strerror(x.s.err ? x.s.err : EPIPE));
    if (to >= 0) {
        close(to);
        to = -1;
    }
    read_answer(from, answer, sizeof(answer));
    if (answer[0])
        pvctl_err(CMD, "the destination said: %s", answer);
abort:
    if (suspended) {
        e = pvc_resume(h, domid);
        if (e)
            pvctl_call_failed(CMD, h, e, "resuming the domain");
        else
            fprintf(stderr,
                    "pvctl: %s: domain %u resumed; it keeps running "
                    "here\n",
                    CMD, domid);
    } else {
        fprintf(stderr, "pvctl: %s: domain %u keeps running here\n", CMD,
                domid);
    }
out:
    if (to >= 0)
        close(to);
    if (from >= 0)
        close(from);
    if (pid > 0) {
        if (rc != PVCTL_OK)
            kill(pid, SIGTERM);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (x.mem && x.mem != MAP_FAILED)
        munmap((void *)x.mem, x.size);
    if (x.shadow && x.shadow != MAP_FAILED)
        munmap(x.shadow, x.size);
    if (x.fd >= 0)
        close(x.fd);
    free(state);
    xs_close(xs);
    pvc_close(h);
    return rc;
}

/* ---- receiver ---- */

static int answer_err(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int answer_err(const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    printf("error: %s\n", msg);
    fflush(stdout);
    fprintf(stderr, "pvctl: migrate-receive: %s\n", msg);
    return PVCTL_ERR;
}

/*
 * Reads the stream on stdin into a new domain of this host; answers one
 * line on stdout: "ok DOMID" once the domain runs here, or "error: WHY"
 * (then nothing of it is left).
 */
int pvctl_cmd_migrate_receive(int argc, char **argv)
{
    static struct save_config cfg;
    static char config[PV_SAVE_CONFIG_MAX];
    struct stream s = { .fd = 0, .sum = SAVE_FNV_INIT };
    char err[SAVE_ERR_MAX];
    struct pvc_handle *h = NULL;
    struct xs_handle *xs = NULL;
    struct mig_hdr hd;
    struct mig_state ms = { 0 };
    uint8_t *mem = MAP_FAILED, *state = NULL;
    uint64_t size = 0, pages = 0;
    uint32_t domid = 0;
    bool created = false, done = false;
    int fd = -1, e, rc = PVCTL_ERR;

    (void)argv;
    if (argc != 1)
        return pvctl_usage("migrate-receive");
    signal(SIGPIPE, SIG_IGN);
    if (s_read(&s, &hd, sizeof(hd)) ||
        memcmp(hd.magic, MIG_MAGIC, sizeof(hd.magic)))
        return answer_err("not a pvisor migration stream (magic)");
    if (hd.version != MIG_VERSION)
        return answer_err("stream version %u, this pvctl reads %u", hd.version,
                          MIG_VERSION);
    if (hd.config_size == 0 || hd.config_size > sizeof(config))
        return answer_err("config of %u bytes", hd.config_size);
    if (s_read(&s, config, hd.config_size))
        return answer_err("stream ended in the config");
    if (save_config_parse(config, hd.config_size, &cfg, err, sizeof(err)))
        return answer_err("%s", err);
    if (pvctl_connect("migrate-receive", &h))
        return answer_err("cannot reach pvisor here");
    xs = pvctl_xs_open("migrate-receive", true);
    e = pvc_domain_create(h,
                          &(struct pvc_create_args){
                              .name = cfg.name,
                              .memory_kb = cfg.memory_kb,
                              .vcpus = cfg.vcpus,
                              .on_poweroff = (Pvmgmt__Action)cfg.on_poweroff,
                              .on_reboot = (Pvmgmt__Action)cfg.on_reboot,
                              .on_crash = (Pvmgmt__Action)cfg.on_crash,
                              .cmdline = "",
                              .platform = cfg.platform,
                          },
                          &domid);
    if (e) {
        rc = answer_err("creating the domain: %s", pvc_last_error(h));
        goto out;
    }
    created = true;
    e = pvc_map_memory(h, domid, &fd, &size);
    if (!e && size == cfg.memory_kb * 1024)
        mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        rc = answer_err("mapping the new domain's memory");
        goto out;
    }
    while (!done) {
        struct mig_rec r;
        uint64_t sum;

        if (s_read(&s, &r, sizeof(r))) {
            rc = answer_err("the stream broke after %" PRIu64 " pages", pages);
            goto out;
        }
        switch (r.type) {
        case MIG_PAGES:
            if (r.count == 0 || r.count > MIG_BATCH) {
                rc = answer_err("a batch of %u pages", r.count);
                goto out;
            }
            for (uint32_t i = 0; i < r.count; i++) {
                uint64_t pfn;
                if (s_read(&s, &pfn, sizeof(pfn))) {
                    rc = answer_err("the stream broke in a page batch");
                    goto out;
                }
                if (pfn >= size / PV_SAVE_PAGE) {
                    rc = answer_err("page 0x%" PRIx64 " outside %" PRIu64
                                    " bytes of RAM",
                                    pfn, size);
                    goto out;
                }
                if (s_read(&s, mem + pfn * PV_SAVE_PAGE, PV_SAVE_PAGE)) {
                    rc = answer_err("the stream broke in a page");
                    goto out;
                }
                pages++;
            }
            break;
        case MIG_STATE:
            if (state || r.count < sizeof(struct pv_state_dom) ||
                r.count > PV_SAVE_STATE_MAX) {
                rc = answer_err("state record of %u bytes", r.count);
                goto out;
            }
            state = malloc(r.count);
            if (!state || s_read(&s, &ms, sizeof(ms)) ||
                s_read(&s, state, r.count)) {
                rc = answer_err("the stream broke in the state");
                goto out;
            }
            ms.store_pfn =
                ms.store_pfn < size / PV_SAVE_PAGE ? ms.store_pfn : 0;
            ms.console_pfn =
                ms.console_pfn < size / PV_SAVE_PAGE ? ms.console_pfn : 0;
            e = pvc_restore_state(h, domid, state, r.count);
            if (e) {
                rc = answer_err("%s", pvc_last_error(h));
                goto out;
            }
            break;
        case MIG_END: {
            uint64_t want = s.sum;
            if (!state || s_read(&s, &sum, sizeof(sum)) || sum != want) {
                rc = answer_err(state ? "checksum mismatch at the end of the "
                                        "stream"
                                      : "the stream ended without a state");
                goto out;
            }
            done = true;
            break;
        }
        default:
            rc = answer_err("unknown record type %u", r.type);
            goto out;
        }
    }
    e = save_attach("migrate-receive", xs, domid, &cfg,
                    &(struct save_rings){ ms.store_pfn, ms.console_pfn,
                                          ms.store_port, ms.console_port });
    if (!e)
        e = pvc_domain_unpause(h, domid);
    if (e) {
        rc = answer_err("setting the domain up here: %s", strerror(-e));
        goto out;
    }
    printf("ok %u\n", domid);
    fflush(stdout);
    rc = PVCTL_OK;
out:
    if (mem != MAP_FAILED)
        munmap(mem, size);
    if (fd >= 0)
        close(fd);
    if (rc != PVCTL_OK && created) {
        pvc_domain_destroy(h, domid);
        disk_forget_all(xs, domid);
        vif_forget_all(xs, domid);
        pvctl_store_forget(xs, domid);
    }
    free(state);
    xs_close(xs);
    pvc_close(h);
    return rc;
}
