// SPDX-License-Identifier: MIT
/* pvbench.c: bench driver for create-to-first-line and idle-domain memory. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvctrl.h"
#include "pvguest.h"

#define MAX_RUNS 1000
#define MAX_IDLE 1000
/* idle: the first and the last IDLE_EDGE creates are compared (medians) */
#define IDLE_EDGE    10
#define LINE_WAIT_MS 5000

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Prints "pvbench: <what>: runs= median_ns= min_ns= max_ns=" (sorts v). */
static void report(const char *what, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    printf("pvbench: %s: runs=%zu median_ns=%" PRIu64 " min_ns=%" PRIu64
           " max_ns=%" PRIu64 "\n",
           what, n, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0],
           v[n - 1]);
}

/* The median of v[0..n) (sorts it); 0 when n is 0. */
static uint64_t median_of(uint64_t *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), cmp_u64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int connect_pvisor(struct pvc_handle **h)
{
    int e = pvc_open(NULL, h);

    if (!e)
        e = pvc_hello(*h, "pvbench", NULL, 0);
    if (e)
        fprintf(stderr,
                "pvbench: cannot reach pvisor (PVISOR_RUN_DIR?): "
                "%s\n",
                strerror(-e));
    return e;
}

/* Destroys the domain called name, if it exists. */
static void destroy_by_name(struct pvc_handle *h, const char *name)
{
    uint32_t domid;

    if (pvc_domain_resolve(h, name, &domid) == 0)
        (void)pvc_domain_destroy(h, domid);
}

/*
 * One run of `pvctl create -q -c CFG name="NAME"`: the time from just
 * before fork() to the first newline on pvctl's stdout. pvctl is then
 * stopped and the (idle) domain destroyed.
 */
static int firstline_once(struct pvc_handle *h, const char *pvctl,
                          const char *cfg, const char *name, uint64_t *ns)
{
    char name_kv[PVC_NAME_MAX + 16], buf[512];
    int pfd[2], status, rc = -EIO;
    uint64_t t0;
    pid_t pid;

    snprintf(name_kv, sizeof(name_kv), "name=\"%s\"", name);
    if (pipe(pfd) < 0)
        return -errno;
    t0 = now_ns();
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        close(pfd[0]);
        close(pfd[1]);
        return rc;
    }
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execl(pvctl, pvctl, "create", "-q", "-c", cfg, name_kv, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        ssize_t n = read(pfd[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (memchr(buf, '\n', (size_t)n)) {
            *ns = now_ns() - t0;
            rc = 0;
            break;
        }
    }
    close(pfd[0]);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    destroy_by_name(h, name);
    if (rc)
        fprintf(stderr, "pvbench: firstline: no console line from %s\n", name);
    return rc;
}

static int cmd_firstline(int runs, int argc, char **argv)
{
    static uint64_t v[MAX_RUNS];
    struct pvc_handle *h;
    char name[PVC_NAME_MAX + 1];
    int e = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: pvbench firstline [-n RUNS] PVCTL CFG\n");
        return 2;
    }
    if (connect_pvisor(&h))
        return 1;
    for (int i = 0; i < runs && !e; i++) {
        snprintf(name, sizeof(name), "pvbench-fl-%d-%d", (int)getpid(), i);
        e = firstline_once(h, argv[0], argv[1], name, &v[i]);
    }
    pvc_close(h);
    if (e)
        return 1;
    report("firstline", v, (size_t)runs);
    return 0;
}

/*
 * Creates, builds and unpauses a domain through libpvctrl and libpvguest
 * in this process (what pvctl create does minus exec, config parsing and
 * image loading). *build_ns gets create..setup, *line_ns create..first
 * console newline. Leaves the domain running; *domid names it.
 */
/* -P: the platform domains are created on ("": pvisor's default). */
static const char *platform = "";

static int api_create(struct pvc_handle *h, const struct pvg_image *img,
                      const char *name, const char *cmdline, uint64_t mem_mb,
                      uint32_t *domid, uint64_t *build_ns, uint64_t *line_ns)
{
    char err[PVG_ERR_MAX];
    struct pvg_layout lay;
    uint64_t t0 = now_ns(), size, off = 0;
    void *mem;
    int fd, e;

    e = pvc_domain_create(h,
                          &(struct pvc_create_args){
                              .name = name,
                              .memory_kb = mem_mb * 1024,
                              .vcpus = 1,
                              .on_poweroff = PVMGMT__ACTION__ACTION_DESTROY,
                              .on_reboot = PVMGMT__ACTION__ACTION_DESTROY,
                              .on_crash = PVMGMT__ACTION__ACTION_DESTROY,
                              .cmdline = cmdline,
                              .platform = platform,
                          },
                          domid);
    if (e)
        goto fail;
    e = pvc_map_memory(h, *domid, &fd, &size);
    if (e)
        goto fail_destroy;
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) {
        e = -errno;
        goto fail_destroy;
    }
    e = pvg_build(img, mem, size, cmdline, &lay, err, sizeof(err));
    munmap(mem, size);
    if (e) {
        fprintf(stderr, "pvbench: %s\n", err);
        goto fail_destroy;
    }
    e = pvc_domain_setup(h, &(struct pvc_setup_args){
                                .domid = *domid,
                                .hypercall_page_gpa = lay.hypercall_page_gpa,
                                .shared_info_gpa = lay.shared_info_gpa,
                                .start_info_gpa = lay.start_info_gpa,
                                .pt_base_gpa = lay.pt_base_gpa,
                                .entry_va = lay.entry_va,
                                .stack_va = lay.stack_va,
                                .start_info_va = lay.start_info_va,
                                .virt_base = lay.virt_base,
                            });
    if (e)
        goto fail_destroy;
    *build_ns = now_ns() - t0;
    e = pvc_domain_unpause(h, *domid);
    if (e)
        goto fail_destroy;
    for (;;) {
        struct pvc_console_chunk c;
        bool line;

        e = pvc_console_read(h, *domid, off, LINE_WAIT_MS, 0, &c);
        if (e)
            goto fail_destroy;
        line = c.len && memchr(c.data, '\n', c.len);
        off = c.next_offset;
        pvc_console_chunk_free(&c);
        if (line)
            break;
        if (c.gone || c.len == 0) {
            e = -ETIMEDOUT;
            goto fail_destroy;
        }
    }
    *line_ns = now_ns() - t0;
    return 0;
fail_destroy:
    (void)pvc_domain_destroy(h, *domid);
fail:
    fprintf(stderr, "pvbench: creating %s: %s (%s)\n", name, strerror(-e),
            pvc_last_error(h));
    return e;
}

static int cmd_api(int runs, int argc, char **argv)
{
    static uint64_t build[MAX_RUNS], line[MAX_RUNS];
    char err[PVG_ERR_MAX], name[PVC_NAME_MAX + 1];
    struct pvg_image img = { 0 };
    struct pvc_handle *h;
    int e = 0;

    if (argc != 1) {
        fprintf(stderr, "usage: pvbench api [-n RUNS] KERNEL\n");
        return 2;
    }
    if (pvg_image_load(argv[0], &img, err, sizeof(err))) {
        fprintf(stderr, "pvbench: %s\n", err);
        return 1;
    }
    if (connect_pvisor(&h)) {
        pvg_image_free(&img);
        return 1;
    }
    for (int i = 0; i < runs && !e; i++) {
        uint32_t domid;

        snprintf(name, sizeof(name), "pvbench-api-%d-%d", (int)getpid(), i);
        e = api_create(h, &img, name, "mode=idle", 32, &domid, &build[i],
                       &line[i]);
        if (!e)
            (void)pvc_domain_destroy(h, domid);
    }
    pvc_close(h);
    pvg_image_free(&img);
    if (e)
        return 1;
    report("api_create_build", build, (size_t)runs);
    report("api_firstline", line, (size_t)runs);
    return 0;
}

/* A "Key: N kB" field of a /proc file, in KiB; -1 if absent. */
static long long proc_kb(const char *path, const char *key)
{
    char line[256];
    size_t klen = strlen(key);
    long long v = -1;
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            v = strtoll(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* A "key N" line of a memory.stat file; -1 if absent. */
static long long stat_val(const char *path, const char *key)
{
    char line[256];
    size_t klen = strlen(key);
    long long v = -1;
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == ' ') {
            v = strtoll(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static long long file_val(const char *path)
{
    long long v = -1;
    FILE *f = fopen(path, "r");

    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/*
 * The memory cgroup this process (and so pvisor, started by the same
 * script) is charged to: fills dir with its directory and sets *v1.
 * Returns false when there is none to read.
 */
static bool find_memcg(char *dir, size_t len, bool *v1)
{
    char line[512], probe[640];
    bool found = false;
    FILE *f = fopen("/proc/self/cgroup", "r");

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *ctl = strchr(line, ':'), *path;

        if (!ctl || !(path = strchr(ctl + 1, ':')))
            continue;
        *path++ = 0;
        path[strcspn(path, "\n")] = 0;
        ctl++;
        if (!strcmp(ctl, "memory") || strstr(ctl, "memory,") ||
            strstr(ctl, ",memory")) {
            snprintf(dir, len, "/sys/fs/cgroup/memory%s", path);
            *v1 = true;
        } else if (!*ctl) {
            snprintf(dir, len, "/sys/fs/cgroup%s", path);
            *v1 = false;
        } else {
            continue;
        }
        snprintf(probe, sizeof(probe), "%s/%s", dir,
                 *v1 ? "memory.usage_in_bytes" : "memory.current");
        found = access(probe, R_OK) == 0;
    }
    fclose(f);
    return found;
}

/*
 * Non-file memory charged to the cgroup, in KiB: usage minus the page
 * cache, plus shmem (memfd guest RAM) which the cache figure includes.
 * Counts anon, shmem and kernel memory (KVM, page tables, stacks) of
 * pvisor and its helpers, without the page-cache noise. -1 if unknown.
 */
static long long memcg_kb(void)
{
    static char dir[560];
    static int state; /* 0 unknown, 1 found, -1 none */
    static bool v1;
    char path[640];
    long long usage, cache, shmem;

    if (!state)
        state = find_memcg(dir, sizeof(dir), &v1) ? 1 : -1;
    if (state < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir,
             v1 ? "memory.usage_in_bytes" : "memory.current");
    usage = file_val(path);
    snprintf(path, sizeof(path), "%s/memory.stat", dir);
    cache = stat_val(path, v1 ? "cache" : "file");
    shmem = stat_val(path, "shmem");
    if (usage < 0 || cache < 0 || shmem < 0)
        return -1;
    return (usage - cache + shmem) / 1024;
}

struct mem_sample {
    long long avail_kb, memcg_kb, pvisor_anon_kb, pvisor_pss_kb;
};

static void sample_mem(long pid, struct mem_sample *s)
{
    char st[64], sm[64];

    snprintf(st, sizeof(st), "/proc/%ld/status", pid);
    snprintf(sm, sizeof(sm), "/proc/%ld/smaps_rollup", pid);
    /* Let freed and deferred work settle a little before sampling. */
    usleep(200000);
    s->avail_kb = proc_kb("/proc/meminfo", "MemAvailable");
    s->memcg_kb = memcg_kb();
    s->pvisor_anon_kb = proc_kb(st, "RssAnon");
    s->pvisor_pss_kb = proc_kb(sm, "Pss");
}

/*
 * Resident KiB of domain domid's guest RAM: the memfd "pvisor-dN" among
 * pvisor's (pid) open files. -1 if it is not there (--mem-path files have
 * no such name).
 */
static long long guest_ram_kb(long pid, uint32_t domid)
{
    char dir[64], link[PATH_MAX + 64], target[512], want[64];
    struct dirent *e;
    long long kb = -1;
    DIR *d;

    snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
    snprintf(want, sizeof(want), "/memfd:pvisor-d%u ", domid);
    d = opendir(dir);
    if (!d)
        return -1;
    while (kb < 0 && (e = readdir(d)) != NULL) {
        struct stat st;
        ssize_t n;

        snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, want, strlen(want)) == 0 && stat(link, &st) == 0)
            kb = (long long)st.st_blocks / 2;
    }
    closedir(d);
    return kb;
}

/*
 * Starts k idle domains (mem_mb each), waits until each has printed its
 * line, and reports host memory before/after, what pvisor counts for them
 * (host_memory_kb: the resident pages of their RAM memfds plus pvisor's
 * private area of each) and the guest RAM they touched (the memfds alone,
 * guest_ram_kb; -1 if not found).
 */
static int cmd_idle(int k, long pid, uint64_t mem_mb, int argc, char **argv)
{
    static uint32_t domids[MAX_IDLE];
    static uint64_t lines[MAX_IDLE];
    char err[PVG_ERR_MAX], name[PVC_NAME_MAX + 1];
    struct pvg_image img = { 0 };
    struct mem_sample before, after, gone;
    struct pvc_domain_info *infos = NULL;
    struct pvc_handle *h;
    long long touched_kb = 0, ram_kb = 0;
    uint64_t b, l, first_ns = 0, last_ns = 0;
    size_t nr = 0;
    int made = 0, e = 0;

    if (argc != 1 || pid <= 0) {
        fprintf(stderr, "usage: pvbench idle [-k K] [-m MiB] -p PVISOR_PID "
                        "KERNEL\n");
        return 2;
    }
    if (pvg_image_load(argv[0], &img, err, sizeof(err))) {
        fprintf(stderr, "pvbench: %s\n", err);
        return 1;
    }
    if (connect_pvisor(&h)) {
        pvg_image_free(&img);
        return 1;
    }
    sample_mem(pid, &before);
    for (; made < k && !e; made++) {
        snprintf(name, sizeof(name), "pvbench-idle-%d-%d", (int)getpid(), made);
        e = api_create(h, &img, name, "mode=idle", mem_mb, &domids[made], &b,
                       &l);
        if (!e && made == 0)
            first_ns = l;
        if (!e) {
            last_ns = l;
            lines[made] = l;
        }
    }
    if (e)
        made--;
    if (!e) {
        sample_mem(pid, &after);
        e = pvc_domain_list(h, PVC_DOMID_ALL, &infos, &nr);
        for (size_t i = 0; !e && i < nr; i++)
            for (int j = 0; j < made; j++)
                if (infos[i].domid == domids[j])
                    touched_kb += (long long)infos[i].host_memory_kb;
        pvc_domain_info_free(infos, nr);
        for (int j = 0; j < made && ram_kb >= 0; j++) {
            long long kb = guest_ram_kb(pid, domids[j]);

            ram_kb = kb < 0 ? -1 : ram_kb + kb;
        }
    }
    for (int j = 0; j < made; j++)
        (void)pvc_domain_destroy(h, domids[j]);
    sample_mem(pid, &gone);
    pvc_close(h);
    pvg_image_free(&img);
    if (e)
        return 1;
    printf("pvbench: idle: domains=%d memory_mb=%" PRIu64
           " avail_before_kb=%lld avail_after_kb=%lld avail_destroyed_kb=%lld"
           " memcg_before_kb=%lld memcg_after_kb=%lld memcg_destroyed_kb=%lld"
           " touched_kb=%lld guest_ram_kb=%lld pvisor_anon_delta_kb=%lld"
           " pvisor_pss_delta_kb=%lld first_line_ns=%" PRIu64
           " last_line_ns=%" PRIu64 " first10_median_ns=%" PRIu64
           " last10_median_ns=%" PRIu64 "\n",
           made, mem_mb, before.avail_kb, after.avail_kb, gone.avail_kb,
           before.memcg_kb, after.memcg_kb, gone.memcg_kb, touched_kb, ram_kb,
           after.pvisor_anon_kb - before.pvisor_anon_kb,
           after.pvisor_pss_kb - before.pvisor_pss_kb, first_ns, last_ns,
           median_of(lines, made < IDLE_EDGE ? made : IDLE_EDGE),
           median_of(lines + (made > IDLE_EDGE ? made - IDLE_EDGE : 0),
                     made < IDLE_EDGE ? made : IDLE_EDGE));
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: pvbench firstline [-n RUNS] PVCTL CFG\n"
                    "       pvbench api [-n RUNS] KERNEL\n"
                    "       pvbench idle [-k K] [-m MiB] -p PVISOR_PID KERNEL\n"
                    "Talks to pvisor in $PVISOR_RUN_DIR.\n");
    return 2;
}

int main(int argc, char **argv)
{
    int runs = 20, k = 50, opt;
    uint64_t mem_mb = 32;
    long pid = 0;
    const char *cmd;

    if (argc < 2)
        return usage();
    cmd = argv[1];
    argc--;
    argv++;
    while ((opt = getopt(argc, argv, "n:k:m:p:P:")) != -1) {
        switch (opt) {
        case 'P':
            platform = optarg;
            break;
        case 'n':
            runs = atoi(optarg);
            break;
        case 'k':
            k = atoi(optarg);
            break;
        case 'm':
            mem_mb = strtoull(optarg, NULL, 0);
            break;
        case 'p':
            pid = strtol(optarg, NULL, 0);
            break;
        default:
            return usage();
        }
    }
    if (runs < 1 || runs > MAX_RUNS || k < 1 || k > MAX_IDLE || !mem_mb)
        return usage();
    argc -= optind;
    argv += optind;
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(cmd, "firstline"))
        return cmd_firstline(runs, argc, argv);
    if (!strcmp(cmd, "api"))
        return cmd_api(runs, argc, argv);
    if (!strcmp(cmd, "idle"))
        return cmd_idle(k, pid, mem_mb, argc, argv);
    return usage();
}
