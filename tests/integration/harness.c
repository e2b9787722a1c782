// SPDX-License-Identifier: MIT
/* harness.c: integration-test harness: host fixture, pvctl runs, checks. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "harness.h"

struct hx_state hx;

/* Everything handed out during one test; freed by hx_test_teardown(). */
static void **garbage;
static size_t nr_garbage, cap_garbage;
static unsigned failures_at_setup;

/* Tests that passed but for a part skipped: "suite/test: why (facility)". */
static char *partial[256];
static unsigned nr_partial;
static bool partial_this_test;

static void *keep(void *p)
{
    if (!p) {
        fprintf(stderr, "integration: out of memory\n");
        abort();
    }
    if (nr_garbage == cap_garbage) {
        size_t cap = cap_garbage ? cap_garbage * 2 : 64;
        void **g = realloc(garbage, cap * sizeof(*g));
        if (!g) {
            fprintf(stderr, "integration: out of memory\n");
            abort();
        }
        garbage = g;
        cap_garbage = cap;
    }
    garbage[nr_garbage++] = p;
    return p;
}

static void free_garbage(void)
{
    for (size_t i = 0; i < nr_garbage; i++)
        free(garbage[i]);
    nr_garbage = 0;
}

char *hx_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return keep(s);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void hx_sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void hx_skip_part(const char *facility, const char *fmt, ...)
{
    CU_pTest t = CU_get_current_test();
    CU_pSuite cs = CU_get_current_suite();
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    printf("\n    (part skipped: %s; missing host facility: %s) ", why,
           facility);
    if (partial_this_test || nr_partial == sizeof(partial) / sizeof(*partial))
        return;
    if (asprintf(&partial[nr_partial], "%s/%s: %s (missing host facility: %s)",
                 cs ? cs->pName : "?", t ? t->pName : "?", why, facility) < 0) {
        partial[nr_partial] = NULL;
        return;
    }
    nr_partial++;
    partial_this_test = true;
}

unsigned hx_partial_skips(void)
{
    return nr_partial;
}

void hx_print_partial_skips(void)
{
    for (unsigned i = 0; i < nr_partial; i++)
        printf("SKIPPED integration/%s\n", partial[i]);
}

void hx_check(bool ok, unsigned line, const char *file, const char *func,
              bool fatal, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    if (ok) {
        CU_assertImplementation(CU_TRUE, line, "", file, func, CU_FALSE);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* CUnit copies the message into its failure record. */
    CU_assertImplementation(CU_FALSE, line, msg, file, func,
                            fatal ? CU_TRUE : CU_FALSE);
}

int hx_init(const char *build)
{
    if (!getcwd(hx.root, sizeof(hx.root))) {
        perror("integration: getcwd");
        return -1;
    }
    if ((build[0] == '/' ? snprintf(hx.build, sizeof(hx.build), "%s", build)
                         : snprintf(hx.build, sizeof(hx.build), "%s/%s",
                                    hx.root, build)) >= (int)sizeof(hx.build) ||
        snprintf(hx.pvctl, sizeof(hx.pvctl), "%s/bin/pvctl", hx.build) >=
            (int)sizeof(hx.pvctl) ||
        snprintf(hx.pvhost, sizeof(hx.pvhost), "%s/bin/pvhost", hx.build) >=
            (int)sizeof(hx.pvhost) ||
        snprintf(hx.pvisor, sizeof(hx.pvisor), "%s/bin/pvisor", hx.build) >=
            (int)sizeof(hx.pvisor)) {
        fprintf(stderr, "integration: build path too long\n");
        return -1;
    }
    if (access(hx.pvctl, X_OK) != 0) {
        fprintf(stderr,
                "integration: %s: %s (build first, or pass the "
                "build directory as the first argument)\n",
                hx.pvctl, strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

const char *hx_kvm_usable(void)
{
    static char why[256];
    int fd, vm, ver;

    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, sizeof(why), "/dev/kvm unusable: open: %s",
                 strerror(errno));
        return why;
    }
    ver = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (ver != KVM_API_VERSION) {
        snprintf(why, sizeof(why),
                 "/dev/kvm unusable: KVM_GET_API_VERSION "
                 "returned %d (%s), want %d",
                 ver, ver < 0 ? strerror(errno) : "mismatch", KVM_API_VERSION);
        close(fd);
        return why;
    }
    vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        snprintf(why, sizeof(why), "/dev/kvm unusable: KVM_CREATE_VM: %s",
                 strerror(errno));
        close(fd);
        return why;
    }
    close(vm);
    close(fd);
    return NULL;
}

/* Appends "KEY=...:log_path=DIR/NAME" so sanitizer reports land in DIR. */
static void san_env(const char *var, const char *name, const char *extra)
{
    const char *old = getenv(var);
    char buf[PATH_MAX + 512];

    snprintf(buf, sizeof(buf), "%s%slog_path=%s/%s%s", old ? old : "",
             old && *old ? ":" : "", hx.dir, name, extra);
    setenv(var, buf, 1);
}

/* In the child: environment, stdio, exec. Never returns. */
static void child(int out, int err, const char *const argv[])
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX * 2];
    int nul = open("/dev/null", O_RDONLY);

    setpgid(0, 0);
    if (nul >= 0)
        dup2(nul, 0);
    dup2(out, 1);
    dup2(err, 2);
    snprintf(buf, sizeof(buf), "%s/bin:%s", hx.build,
             path ? path : "/usr/bin:/bin");
    setenv("PATH", buf, 1);
    if (hx.dir[0]) {
        setenv("PVISOR_RUN_DIR", hx.dir, 1);
        san_env("ASAN_OPTIONS", "asan", "");
        san_env("UBSAN_OPTIONS", "ubsan", ":print_stacktrace=1");
    }
    execv(argv[0], (char *const *)argv);
    dprintf(2, "integration: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

struct buf {
    char *p;
    size_t len, cap;
};

/* Reads what is available; returns false on EOF or error. */
static bool drain(int fd, struct buf *b)
{
    for (;;) {
        ssize_t n;

        if (b->cap - b->len < 4096) {
            size_t cap = b->cap ? b->cap * 2 : 8192;
            char *p = realloc(b->p, cap);
            if (!p)
                return false;
            b->p = p;
            b->cap = cap;
        }
        n = read(fd, b->p + b->len, b->cap - b->len - 1);
        if (n > 0) {
            /* Callers see a C string: a NUL a guest wrote to its console
             * must not hide what follows it. */
            for (ssize_t i = 0; i < n; i++)
                if (!b->p[b->len + (size_t)i])
                    b->p[b->len + (size_t)i] = '?';
            b->len += (size_t)n;
            b->p[b->len] = '\0';
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

static char *finish(struct buf *b)
{
    if (!b->p)
        return keep(strdup(""));
    b->p[b->len] = '\0';
    return keep(b->p);
}

int hx_exec(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
            const char *const argv[])
{
    struct buf ob = { 0 }, eb = { 0 };
    int op[2], ep[2], status = 0;
    bool o_open = true, e_open = true, reaped = false;
    uint64_t deadline = now_ms() + timeout_ms;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->exit_code = -1;
    if (pipe2(op, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(ep, O_CLOEXEC) < 0) {
        close(op[0]);
        close(op[1]);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0)
        child(op[1], ep[1], argv);
    close(op[1]);
    close(ep[1]);
    if (pid < 0) {
        close(op[0]);
        close(ep[0]);
        return -1;
    }
    setpgid(pid, pid);
    fcntl(op[0], F_SETFL, O_NONBLOCK);
    fcntl(ep[0], F_SETFL, O_NONBLOCK);

    for (;;) {
        struct pollfd pfd[2] = {
            { o_open ? op[0] : -1, POLLIN, 0 },
            { e_open ? ep[0] : -1, POLLIN, 0 },
        };
        uint64_t now = now_ms();
        int wait = now >= deadline ? 0 : (int)(deadline - now);

        poll(pfd, 2, wait > 50 ? 50 : wait);
        if (o_open && !drain(op[0], &ob))
            o_open = false;
        if (e_open && !drain(ep[0], &eb))
            e_open = false;
        if (stop && stop(ob.p ? ob.p : "", arg)) {
            r->stopped = true;
            break;
        }
        /*
         * Stop at the child's exit rather than at EOF: a daemon it started
         * may hold the pipes open.
         */
        if (waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            drain(op[0], &ob);
            drain(ep[0], &eb);
            break;
        }
        if (now_ms() >= deadline) {
            r->timed_out = true;
            break;
        }
    }
    if (!reaped) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        drain(op[0], &ob);
        drain(ep[0], &eb);
    }
    close(op[0]);
    close(ep[0]);
    r->out = finish(&ob);
    r->err = finish(&eb);
    if (WIFEXITED(status) && reaped) {
        r->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
    }
    return 0;
}

int hx_pvctlv(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
              const char *const args[])
{
    const char *argv[64];
    size_t n = 0;

    argv[n++] = hx.pvctl;
    argv[n++] = "-r";
    argv[n++] = hx.dir;
    for (size_t i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return hx_exec(r, timeout_ms, stop, arg, argv);
}

int hx_pvctl(struct hx_run *r, unsigned timeout_ms, ...)
{
    const char *args[60];
    size_t n = 0;
    va_list ap;

    va_start(ap, timeout_ms);
    while (n < 59 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    return hx_pvctlv(r, timeout_ms, NULL, NULL, args);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static pid_t read_pid(void)
{
    char path[PATH_MAX + 16];
    long pid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/pvisor.pid", hx.dir);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return (pid_t)pid;
}

/* pvhost start; extra (NULL-terminated, up to 8) go to pvisor after --. */
static void host_start_args(const char *const *extra)
{
    const char *argv[16] = { hx.pvhost, "start", "-r", hx.dir, NULL };
    struct hx_run r;
    int n = 4;

    if (extra && extra[0]) {
        argv[n++] = "--";
        for (int i = 0; extra[i] && n < 15; i++)
            argv[n++] = extra[i];
    }
    argv[n] = NULL;

    if (access(hx.pvhost, X_OK) != 0) {
        snprintf(hx.setup_error, sizeof(hx.setup_error), "%s: %s", hx.pvhost,
                 strerror(errno));
        return;
    }
    if (hx_exec(&r, HX_CMD_MS, NULL, NULL, argv) < 0) {
        snprintf(hx.setup_error, sizeof(hx.setup_error), "cannot run %s: %s",
                 hx.pvhost, strerror(errno));
        return;
    }
    hx.host_up = true; /* even half-started: teardown stops it */
    if (r.exit_code != 0)
        snprintf(hx.setup_error, sizeof(hx.setup_error),
                 "pvhost start failed (exit %d%s): %s%s", r.exit_code,
                 r.timed_out ? ", timed out" : "", r.err, r.out);
}

static void host_start(void)
{
    host_start_args(NULL);
}

bool hx_pid_running(pid_t pid)
{
    char path[64], buf[512], *p = NULL;
    FILE *f;

    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return false;
    if (fgets(buf, sizeof(buf), f))
        p = strrchr(buf, ')');
    fclose(f);
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void host_stop(void)
{
    const char *argv[] = { hx.pvhost, "stop", "-r", hx.dir, NULL };
    pid_t pid = read_pid();
    struct hx_run r;

    hx_exec(&r, HX_CMD_MS, NULL, NULL, argv);
    /* pvhost stop escalates to SIGKILL itself; make sure regardless. */
    if (hx_pid_running(pid)) {
        printf("integration: pvisor (pid %d) survived pvhost stop; "
               "killing it\n",
               (int)pid);
        kill(pid, SIGKILL);
        for (int i = 0; i < 100 && hx_pid_running(pid); i++)
            hx_sleep_ms(20);
    }
    hx.host_up = false;
}

int hx_host_restart(const char *const *pvisor_args)
{
    if (hx.host_up)
        host_stop();
    hx.setup_error[0] = '\0';
    host_start_args(pvisor_args);
    return hx.setup_error[0] ? -1 : 0;
}

void hx_test_setup(bool host)
{
    hx.setup_error[0] = '\0';
    hx.host_up = false;
    partial_this_test = false;
    failures_at_setup = CU_get_number_of_failures();
    snprintf(hx.dir, sizeof(hx.dir), "/tmp/pvisor-it.XXXXXX");
    if (!mkdtemp(hx.dir)) {
        snprintf(hx.setup_error, sizeof(hx.setup_error), "mkdtemp: %s",
                 strerror(errno));
        hx.dir[0] = '\0';
        return;
    }
    if (host)
        host_start();
}

bool hx_host_alive(char *why, size_t len)
{
    pid_t pid = read_pid();
    struct hx_run r;

    if (pid <= 0) {
        snprintf(why, len, "no pid in %s/pvisor.pid", hx.dir);
        return false;
    }
    if (!hx_pid_running(pid)) {
        snprintf(why, len, "pvisor (pid %d) is gone", (int)pid);
        return false;
    }
    if (hx_pvctl(&r, HX_CMD_MS, "list", NULL) < 0 || r.exit_code != 0) {
        snprintf(why, len,
                 "pvisor (pid %d) does not answer: pvctl list: "
                 "exit %d%s: %s",
                 (int)pid, r.exit_code, r.timed_out ? " (timed out)" : "",
                 r.err);
        return false;
    }
    return true;
}

void hx_log_tail(int lines)
{
    char path[PATH_MAX + 16];
    char *ring[64];
    int n = 0, max = lines > 64 ? 64 : lines;
    char line[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/pvisor.log", hx.dir);
    f = fopen(path, "r");
    if (!f)
        return;
    memset(ring, 0, sizeof(ring));
    while (fgets(line, sizeof(line), f)) {
        free(ring[n % max]);
        ring[n % max] = strdup(line);
        n++;
    }
    fclose(f);
    printf("\n    --- last lines of pvisor.log ---\n");
    for (int i = n > max ? n - max : 0; i < n; i++)
        if (ring[i % max])
            printf("    | %s", ring[i % max]);
    for (int i = 0; i < max; i++)
        free(ring[i]);
}

/* Fails the test for every sanitizer report a child left in hx.dir. */
static void check_sanitizer_reports(void)
{
    DIR *d = opendir(hx.dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX + 300], text[1536];
        size_t n = 0;
        FILE *f;

        if (strncmp(e->d_name, "asan.", 5) && strncmp(e->d_name, "ubsan.", 6))
            continue;
        snprintf(path, sizeof(path), "%s/%s", hx.dir, e->d_name);
        f = fopen(path, "r");
        if (f) {
            n = fread(text, 1, sizeof(text) - 1, f);
            fclose(f);
        }
        text[n] = '\0';
        if (n == 0)
            continue;
        HX_CHECK(false, "sanitizer report %s:\n%s", e->d_name, text);
    }
    closedir(d);
}

/*
 * Fails the test for every system call a daemon's sandbox refused: the
 * daemon logged it and died, which a test may not otherwise notice (a
 * backend killed at exit, say).
 */
static void check_sandbox_reports(void)
{
    static const char mark[] = "sandbox: forbidden system call";
    DIR *d = opendir(hx.dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char path[PATH_MAX + 300], line[512];
        FILE *f;

        if (len < 5 || strcmp(e->d_name + len - 4, ".log"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", hx.dir, e->d_name);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f))
            if (strstr(line, mark))
                HX_CHECK(false, "%s: %s", e->d_name, line);
        if (f)
            fclose(f);
    }
    closedir(d);
}

void hx_test_teardown(void)
{
    char why[1024];

    if (hx.host_up && !hx.setup_error[0])
        HX_CHECK(hx_host_alive(why, sizeof(why)),
                 "pvisor must survive every test: %s", why);
    if (CU_get_number_of_failures() != failures_at_setup && hx.host_up)
        hx_log_tail(25);

    if (hx.host_up)
        host_stop();
    if (hx.dir[0]) {
        check_sanitizer_reports();
        check_sandbox_reports();
        nftw(hx.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    hx.dir[0] = '\0';
    free_garbage();
    /* A failed test counts as failed, whatever part of it was skipped. */
    if (CU_get_number_of_failures() != failures_at_setup && partial_this_test)
        free(partial[--nr_partial]);
    partial_this_test = false;
}

const char *hx_guest_elf(const char *example)
{
    return hx_fmt("%s/guests/%s.elf", hx.build, example);
}

const char *hx_example_cfg(const char *example)
{
    return hx_fmt("%s/guest-kit/examples/%s.cfg", hx.root, example);
}

const char *hx_write_file(const char *name, const char *text)
{
    const char *path = hx_fmt("%s/%s", hx.dir, name);
    FILE *f = fopen(path, "w");

    if (!f)
        return NULL;
    fputs(text, f);
    if (fclose(f) != 0)
        return NULL;
    return path;
}

int hx_create(struct hx_run *r, const char *example, const char *name,
              const char *const overrides[])
{
    const char *args[48];
    struct hx_run local;
    size_t n = 0;
    unsigned id;
    const char *p;

    if (!r)
        r = &local;
    args[n++] = "create";
    args[n++] = hx_example_cfg(example);
    args[n++] = hx_fmt("name=\"%s\"", name);
    args[n++] = hx_fmt("kernel=\"%s\"", hx_guest_elf(example));
    for (size_t i = 0; overrides && overrides[i] && n < 47; i++)
        args[n++] = overrides[i];
    args[n] = NULL;
    if (hx_pvctlv(r, HX_CMD_MS, NULL, NULL, args) < 0 || r->exit_code != 0)
        return -1;
    /* "Started domain NAME (id=N)" */
    p = strstr(r->err, "(id=");
    if (p && sscanf(p, "(id=%u)", &id) == 1)
        return (int)id;
    p = strstr(r->out, "(id=");
    if (p && sscanf(p, "(id=%u)", &id) == 1)
        return (int)id;
    return hx_dominfo(name).domid;
}

const char *hx_console(const char *dom, unsigned timeout_ms, hx_stop_fn stop,
                       void *arg)
{
    const char *args[] = { "console", dom, NULL };
    struct hx_run r;

    if (hx_pvctlv(&r, timeout_ms, stop, arg, args) < 0)
        return "";
    return r.out;
}

/* Copies the word after "key:" at the start of a line into dst. */
static bool field(const char *text, const char *key, char *dst, size_t len)
{
    size_t kl = strlen(key);

    const char *p = text;

    while (p && *p) {
        if (!strncmp(p, key, kl) && p[kl] == ':') {
            size_t n = 0;

            p += kl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            while (p[n] && !isspace((unsigned char)p[n]) && n + 1 < len)
                n++;
            memcpy(dst, p, n);
            dst[n] = '\0';
            return true;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

struct hx_dominfo hx_dominfo(const char *dom)
{
    struct hx_dominfo d = { .domid = -1, .code = -1 };
    const char *args[] = { "list", "-l", dom, NULL };
    char buf[32];
    struct hx_run r;

    if (hx_pvctlv(&r, HX_CMD_MS, NULL, NULL, args) < 0)
        return d;
    d.text = hx_fmt("%s%s", r.out, r.err);
    if (r.exit_code != 0 || !field(r.out, "state", d.state, sizeof(d.state)))
        return d;
    d.found = true;
    if (field(r.out, "domid", buf, sizeof(buf)))
        d.domid = atoi(buf);
    field(r.out, "shutdown_reason", d.reason, sizeof(d.reason));
    if (field(r.out, "shutdown_code", buf, sizeof(buf)))
        d.code = atoi(buf);
    if (field(r.out, "restarts", buf, sizeof(buf)))
        d.restarts = (unsigned)strtoul(buf, NULL, 10);
    return d;
}

struct hx_dominfo hx_wait(const char *dom, unsigned secs)
{
    struct hx_dominfo d = { .domid = -1, .code = -1 };
    const char *t = hx_fmt("%u", secs);
    const char *args[] = { "wait", "-t", t, dom, NULL };
    const char *p;
    struct hx_run r;
    unsigned id, code;
    char name[80];

    if (hx_pvctlv(&r, (secs + 10) * 1000, NULL, NULL, args) < 0)
        return d;
    d.text = hx_fmt("%s%s", r.out, r.err);
    /* Domain N (NAME): STATE[ (REASON, code C)] */
    p = strstr(d.text, "Domain ");
    if (!p ||
        sscanf(p, "Domain %u (%79[^)]): %15[a-z]", &id, name, d.state) != 3)
        return d;
    d.found = true;
    d.domid = (int)id;
    /* "Domain N (NAME): still STATE after S s": a state of its own, so
     * that no check for a final state can take it for one. */
    if (!strcmp(d.state, "still")) {
        snprintf(d.state, sizeof(d.state), "timeout");
        return d;
    }
    p = strchr(p, ':');
    if (p && sscanf(p, ": %*[a-z] (%15[a-z_], code %u)", d.reason, &code) == 2)
        d.code = (int)code;
    return d;
}

bool hx_poweroff(const struct hx_dominfo *d, int code)
{
    return d->found && !strcmp(d->state, "shutdown") &&
           !strcmp(d->reason, "poweroff") && d->code == code;
}

bool hx_wait_state(const char *dom, const char *state, unsigned timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;

    for (;;) {
        struct hx_dominfo d = hx_dominfo(dom);

        if (d.found ? !strcmp(d.state, state) : !strcmp(state, "gone"))
            return true;
        if (now_ms() >= deadline)
            return false;
        hx_sleep_ms(50);
    }
}

unsigned hx_count(const char *hay, const char *needle)
{
    unsigned n = 0;
    size_t len = strlen(needle);

    if (!len)
        return 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

bool hx_contains_ci(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

bool hx_stop_count(const char *out, void *arg)
{
    const struct hx_count_arg *a = arg;

    return hx_count(out, a->needle) >= a->min;
}
