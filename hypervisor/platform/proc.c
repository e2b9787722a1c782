// SPDX-License-Identifier: MIT
/* proc.c: the proc platform: a domain is a traced host process (no KVM). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pvabi/xen.h>

#include "../hv.h"
#include "../hv_arch.h"
#include "../hv_guestmem.h"
#include "proc_stub.h"

/*
 * How it works (docs/architecture.md, "The proc platform"):
 *  - each domain is a fresh process running the stub (proc_stub.S) from a
 *    sealed memfd, with guest RAM (fd 3) and the private area (fd 4) and
 *    nothing else of pvisor's; one stub thread per vCPU;
 *  - each pvisor vCPU thread traces its stub thread and runs guest code on
 *    it with PTRACE_SYSEMU: every `syscall` the guest makes stops it
 *    before the host kernel acts (Xen's native hypercall transport), an
 *    `out` to pvisor's ports #GPs (SIGSEGV), other exceptions arrive as
 *    signals and are bounced to the guest's trap table;
 *  - the host mappings follow the guest's page tables: pvisor walks them
 *    and injects mmap/munmap/mprotect (at the stub's gadget) on fd 3/4;
 *    page-table pages are mapped read-only, a write to one traps, is
 *    single-stepped through a writable window and the tables re-read.
 */

#define PROC_SIG_KICK SIGURG /* default action: ignore, when untraced */
#define USER_CS       0x33   /* the host's 64-bit user selectors */
#define USER_SS       0x2b

extern const uint8_t hv_proc_stub_elf[], hv_proc_stub_elf_end[];
static int stub_fd = -1;

/* One host mapping: [va, va + len) -> fd (0 RAM, 1 private) at off. */
struct proc_run {
    uint64_t va, len, off;
    uint8_t fd;
    uint8_t prot;
    uint8_t kind; /* RUN_* */
};

enum {
    RUN_PLAIN = 0,
    RUN_PT = 1,     /* page-table pages the guest may write: trapped */
    RUN_PRIVRO = 2, /* pvisor's area outside the grant frames: read-only */
};

struct proc_dom {
    pid_t pid;
    pid_t tids[PV_MAX_VCPUS];
    pthread_mutex_t map_lock;
    _Atomic uint64_t gen; /* bumped whenever the tables may differ */
    _Atomic uint64_t synced_gen, synced_cr3; /* written under map_lock */
    struct proc_run *runs;
    size_t nr_runs;
    bool privileged; /* spawned as root: caps to drop at each first run */
    int keep_rawio;  /* -1 undecided, 0 drop, 1 keep CAP_SYS_RAWIO */
    uint8_t *ptmap;  /* scratch: which frames are page tables */
};

struct proc_vcpu {
    pid_t tid;
    bool attached;
    bool dead;
    bool force_regs; /* the stub thread's registers are not v->regs */
    bool caps_dropped;
    uint64_t fs_base, gs_base;
    uint64_t cr2;
    _Atomic uint64_t cpu_ns; /* the stub thread's CPU time, last read */
};

static struct proc_dom *pdom(struct hv_domain *d)
{
    return d->plat_data;
}

static struct proc_vcpu *pvc(struct hv_vcpu *v)
{
    return v->plat_data;
}

static int proc_init(struct hv_platform *p, char *err, size_t errlen)
{
    size_t len = (size_t)(hv_proc_stub_elf_end - hv_proc_stub_elf);
    int fd, e;

    if (stub_fd >= 0)
        return 0;
    fd = memfd_create("pvisor-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        e = errno;
        snprintf(err, errlen, "memfd for the stub: %s", strerror(e));
        return -e;
    }
    if (write(fd, hv_proc_stub_elf, len) != (ssize_t)len ||
        fcntl(fd, F_ADD_SEALS,
              F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        e = errno;
        close(fd);
        snprintf(err, errlen, "writing the stub: %s", strerror(e));
        return -e ? -e : -EIO;
    }
    {
        /* Yama's mode 3 forbids ptrace altogether. */
        FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
        int scope = 0;
        if (f) {
            if (fscanf(f, "%d", &scope) != 1)
                scope = 0;
            fclose(f);
        }
        if (scope >= 3) {
            close(fd);
            snprintf(err, errlen,
                     "ptrace is disabled (kernel.yama.ptrace_scope = 3)");
            return -EPERM;
        }
    }
    stub_fd = fd;
    if (!hv_tsc_khz)
        hv_tsc_khz = hv_tsc_khz_measure();
    return 0;
}

/* ---- the stub process ---- */

struct spawn_args {
    int ram, priv, ready;
    char **argv;
};

/*
 * Runs in the vfork child, sharing pvisor's memory and thread list: raw
 * system calls only (glibc's set*id wrappers would signal pvisor's
 * threads), nothing that allocates or takes a lock.
 */
static int spawn_child(void *arg)
{
    struct spawn_args *a = arg;
    static char *const envp[] = { NULL };
    uint64_t none = 0;
    long ram, priv, ready, stub;

    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
    ram = syscall(SYS_fcntl, a->ram, F_DUPFD, 16);
    priv = syscall(SYS_fcntl, a->priv, F_DUPFD, 16);
    ready = syscall(SYS_fcntl, a->ready, F_DUPFD, 16);
    stub = syscall(SYS_fcntl, stub_fd, F_DUPFD_CLOEXEC, 16);
    if (ram < 0 || priv < 0 || ready < 0 || stub < 0 ||
        syscall(SYS_close_range, 0U, 2U, 0U) < 0 ||
        syscall(SYS_dup2, ram, PROC_FD_RAM) < 0 ||
        syscall(SYS_dup2, priv, PROC_FD_PRIV) < 0 ||
        syscall(SYS_dup2, ready, PROC_FD_READY) < 0 ||
        syscall(SYS_dup3, stub, 6, O_CLOEXEC) < 0)
        syscall(SYS_exit_group, 126);
    syscall(SYS_close_range, 7U, ~0U, 0U);
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Keep the stack, vDSO and stub in pvisor's slot 255. */
    syscall(SYS_personality, ADDR_NO_RANDOMIZE);
    /* Run as root, pvisor gives the guest's process IPC and UTS
     * namespaces of its own (where the host allows them; network and
     * mount namespaces measured too slow to make at 1000 domains, see
     * docs/architecture.md) and no privilege: nobody, no groups, and of
     * the capabilities only CAP_SYS_RAWIO and CAP_SETPCAP until each
     * thread first runs the guest: then pvisor drops both (bounding set
     * included) unless the guest's lowest mapping lies below
     * vm.mmap_min_addr (images linked at 0, like GRUB's Xen image), where
     * CAP_SYS_RAWIO stays for pvisor's injected mmap (the guest can make
     * no system call to use it). They are kept across setresuid and the
     * exec as ambient capabilities. */
    if (syscall(SYS_geteuid) == 0)
        (void)syscall(SYS_unshare, CLONE_NEWIPC | CLONE_NEWUTS);
    if (syscall(SYS_geteuid) == 0) {
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct c[2] = { 0 };
        c[0].effective = c[0].permitted = c[0].inheritable =
            1U << CAP_SYS_RAWIO | 1U << CAP_SETPCAP;
        for (long cap = 0; cap < 64; cap++)
            if (cap != CAP_SYS_RAWIO && cap != CAP_SETPCAP)
                (void)syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
        if (syscall(SYS_setgroups, 0, NULL) < 0 ||
            syscall(SYS_setresgid, 65534, 65534, 65534) < 0 ||
            syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_setresuid, 65534, 65534, 65534) < 0 ||
            syscall(SYS_capset, &h, c) < 0 ||
            syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
                    CAP_SYS_RAWIO, 0, 0) < 0 ||
            syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
                    CAP_SETPCAP, 0, 0) < 0)
            syscall(SYS_exit_group, 125);
    }
    syscall(SYS_execveat, 6, "", a->argv, envp, AT_EMPTY_PATH);
    syscall(SYS_exit_group, 127);
    return 127;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Every mapping of the fresh stub must lie in slot 255 (or be the
 * vsyscall page): the rest of the address space is the guest's. */
static int check_maps(pid_t pid, char *err, size_t errlen)
{
    char path[64], line[256];
    FILE *f;
    int rc = 0;

    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    while (fgets(line, sizeof(line), f)) {
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) != 2)
            continue;
        if (lo >= PV_PRIV_VA || lo >= 0xffff800000000000ULL)
            continue;
        snprintf(err, errlen,
                 "the stub process has a mapping at 0x%llx, below "
                 "pvisor's slot (0x%llx): address space randomisation "
                 "could not be turned off",
                 lo, (unsigned long long)PV_PRIV_VA);
        rc = -EADDRINUSE;
        break;
    }
    fclose(f);
    return rc;
}

/* Says once, loudly, when the host refused the stub its own IPC/UTS
 * namespaces (the child cannot log: it checks nothing and goes on). */
static void check_namespaces(pid_t pid)
{
    static _Atomic bool said;
    char a[64] = "", b[64] = "", path[64];

    snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
    if (readlink("/proc/self/ns/ipc", a, sizeof(a) - 1) <= 0 ||
        readlink(path, b, sizeof(b) - 1) <= 0 || strcmp(a, b) != 0)
        return;
    if (!atomic_exchange(&said, true))
        log_warn("proc platform: the host refused the guests' processes "
                 "IPC and UTS namespaces of their own (unshare); they share "
                 "pvisor's");
}

static int spawn_stub(struct hv_domain *d, struct proc_dom *p, char *err,
                      size_t errlen)
{
    char *argv[PV_MAX_VCPUS + 2], name[16];
    struct spawn_args a;
    int pfd[2], e, status;
    char path[64];
    size_t n = 0;
    void *stack;
    DIR *dir;
    struct dirent *de;

    if (pipe2(pfd, O_CLOEXEC) < 0) {
        e = errno;
        snprintf(err, errlen, "pipe: %s", strerror(e));
        return -e;
    }
    snprintf(name, sizeof(name), "pvisor-d%u", d->domid);
    argv[0] = name;
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        argv[i + 1] = (char *)"v";
    argv[d->nr_vcpus + 1] = NULL;
    a.ram = d->mem_fd;
    a.priv = d->priv_fd;
    a.ready = pfd[1];
    a.argv = argv;
    stack = malloc(64 * 1024);
    if (!stack) {
        close(pfd[0]);
        close(pfd[1]);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->pid = clone(spawn_child, (uint8_t *)stack + 64 * 1024,
                   CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    e = errno;
    free(stack);
    close(pfd[1]);
    if (p->pid < 0) {
        close(pfd[0]);
        p->pid = 0;
        snprintf(err, errlen, "starting the stub process: %s", strerror(e));
        return -e;
    }
    /* EOF on the pipe: the stub closed it (ready) or died. */
    for (;;) {
        struct pollfd pf = { pfd[0], POLLIN, 0 };
        char c;
        int r = poll(&pf, 1, 5000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(pfd[0]);
            snprintf(err, errlen, "the stub process did not start in 5 s");
            return -ETIMEDOUT;
        }
        if (read(pfd[0], &c, 1) <= 0)
            break;
    }
    close(pfd[0]);
    if (waitpid(p->pid, &status, WNOHANG | __WALL) == p->pid) {
        p->pid = 0;
        snprintf(err, errlen,
                 "the stub process ended at start-up (%s %d): seccomp or "
                 "exec not permitted here?",
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return -ECHILD;
    }
    snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
    dir = opendir(path);
    if (!dir) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n < PV_MAX_VCPUS)
            p->tids[n] = (pid_t)atoi(de->d_name);
        n++;
    }
    closedir(dir);
    if (n != d->nr_vcpus) {
        snprintf(err, errlen, "the stub process has %zu threads, want %u", n,
                 d->nr_vcpus);
        return -EPROTO;
    }
    qsort(p->tids, n, sizeof(p->tids[0]), cmp_pid);
    if (geteuid() == 0)
        check_namespaces(p->pid);
    return check_maps(p->pid, err, errlen);
}

static int proc_domain_create(struct hv_domain *d, char *err, size_t errlen)
{
    struct proc_dom *p = calloc(1, sizeof(*p));

    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&p->map_lock, NULL);
    d->plat_data = p;
    p->ptmap = calloc(1, d->mem_size / HV_PAGE_SIZE / 8 + 1);
    if (!p->ptmap) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->privileged = geteuid() == 0;
    p->keep_rawio = -1;
    /* The domain's vCPU count is known: hv_domain_create sets it first. */
    return spawn_stub(d, p, err, errlen);
}

static void proc_domain_destroy(struct hv_domain *d)
{
    struct proc_dom *p = pdom(d);

    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]) {
            free(d->vcpus[i]->plat_data);
            d->vcpus[i]->plat_data = NULL;
        }
    }
    if (!p)
        return;
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, __WALL) < 0 && errno == EINTR)
            ;
    }
    free(p->runs);
    free(p->ptmap);
    pthread_mutex_destroy(&p->map_lock);
    free(p);
    d->plat_data = NULL;
}

static int proc_vcpu_create(struct hv_vcpu *v)
{
    struct proc_vcpu *c = calloc(1, sizeof(*c));

    if (!c)
        return -ENOMEM;
    c->tid = pdom(v->d)->tids[v->id];
    v->plat_data = c;
    return 0;
}

/* ---- registers ---- */

static void to_user(const struct hv_vcpu *v, struct user_regs_struct *u)
{
    const struct proc_vcpu *c = v->plat_data;
    const struct hv_regs *r = &v->regs;

    memset(u, 0, sizeof(*u));
    u->r15 = r->r15;
    u->r14 = r->r14;
    u->r13 = r->r13;
    u->r12 = r->r12;
    u->rbp = r->rbp;
    u->rbx = r->rbx;
    u->r11 = r->r11;
    u->r10 = r->r10;
    u->r9 = r->r9;
    u->r8 = r->r8;
    u->rax = r->rax;
    u->rcx = r->rcx;
    u->rdx = r->rdx;
    u->rsi = r->rsi;
    u->rdi = r->rdi;
    u->orig_rax = (unsigned long long)-1; /* never restart a system call */
    u->rip = r->rip;
    u->cs = USER_CS;
    u->eflags = r->rflags;
    u->rsp = r->rsp;
    u->ss = USER_SS;
    u->fs_base = c->fs_base;
    u->gs_base = c->gs_base;
}

static void from_user(struct hv_vcpu *v, const struct user_regs_struct *u)
{
    struct hv_regs *r = &v->regs;

    r->r15 = u->r15;
    r->r14 = u->r14;
    r->r13 = u->r13;
    r->r12 = u->r12;
    r->rbp = u->rbp;
    r->rbx = u->rbx;
    r->r11 = u->r11;
    r->r10 = u->r10;
    r->r9 = u->r9;
    r->r8 = u->r8;
    r->rax = u->rax;
    r->rcx = u->rcx;
    r->rdx = u->rdx;
    r->rsi = u->rsi;
    r->rdi = u->rdi;
    r->rip = u->rip;
    r->rflags = u->eflags;
    r->rsp = u->rsp;
}

static int put_regs(struct hv_vcpu *v)
{
    struct user_regs_struct u;

    to_user(v, &u);
    if (ptrace(PTRACE_SETREGS, pvc(v)->tid, NULL, &u) < 0)
        return -errno;
    pvc(v)->force_regs = false;
    v->regs_dirty = false;
    return 0;
}

static int proc_get_regs(struct hv_vcpu *v)
{
    struct user_regs_struct u;

    if (pvc(v)->force_regs || !pvc(v)->attached)
        return 0; /* v->regs is the truth */
    if (ptrace(PTRACE_GETREGS, pvc(v)->tid, NULL, &u) < 0)
        return -errno;
    from_user(v, &u);
    return 0;
}

/* ---- stops ---- */

/* Wait for the traced thread's next stop; -ESRCH if it is gone. */
static int wait_stop(struct hv_vcpu *v, int *status)
{
    struct proc_vcpu *c = pvc(v);

    for (;;) {
        pid_t r = waitpid(c->tid, status, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            c->dead = true;
            return -errno;
        }
        if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
            c->dead = true;
            return -ESRCH;
        }
        return 0;
    }
}

/*
 * Run one system call in the stub thread (it is stopped): registers at
 * the gadget (syscall; int3), continue, wait for the int3. The guest's
 * registers are put back before it next runs.
 */
static long inject(struct hv_vcpu *v, long nr, uint64_t a1, uint64_t a2,
                   uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
    struct proc_vcpu *c = pvc(v);
    struct user_regs_struct u;
    int st, rc;

    to_user(v, &u);
    u.rip = PROC_STUB_GADGET;
    u.rax = (unsigned long long)nr;
    u.rdi = a1;
    u.rsi = a2;
    u.rdx = a3;
    u.r10 = a4;
    u.r8 = a5;
    u.r9 = a6;
    c->force_regs = true;
    if (ptrace(PTRACE_SETREGS, c->tid, NULL, &u) < 0)
        return -errno;
    if (ptrace(PTRACE_CONT, c->tid, NULL, NULL) < 0)
        return -errno;
    for (;;) {
        rc = wait_stop(v, &st);
        if (rc)
            return rc;
        if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP)
            break;
        /* A kick (or a stop) arrived first: let the call go on. */
        if (ptrace(PTRACE_CONT, c->tid, NULL, NULL) < 0)
            return -errno;
    }
    if (ptrace(PTRACE_GETREGS, c->tid, NULL, &u) < 0)
        return -errno;
    return (long)u.rax;
}

/* ---- the host mappings follow the guest's page tables ---- */

/* The host's lowest mappable address for an unprivileged process. */
static uint64_t mmap_min_addr(void)
{
    unsigned long long v = 65536;
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");

    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 65536;
        fclose(f);
    }
    return v;
}

struct runs {
    struct proc_run *r;
    size_t n, cap;
};

static int runs_add(struct runs *rs, uint64_t va, uint64_t len, uint8_t fd,
                    uint64_t off, uint8_t prot, uint8_t kind)
{
    if (rs->n) {
        struct proc_run *l = &rs->r[rs->n - 1];
        if (l->va + l->len == va && l->fd == fd && l->off + l->len == off &&
            l->prot == prot && l->kind == kind) {
            l->len += len;
            return 0;
        }
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        struct proc_run *n = realloc(rs->r, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        rs->r = n;
        rs->cap = cap;
    }
    rs->r[rs->n++] = (struct proc_run){ va, len, off, fd, prot, kind };
    return 0;
}

static bool frame_is_pt(struct proc_dom *p, uint64_t gpa)
{
    uint64_t pfn = gpa >> HV_PAGE_SHIFT;
    return (p->ptmap[pfn / 8] >> (pfn % 8)) & 1;
}

static uint64_t *table_at(struct hv_domain *d, uint64_t gpa)
{
    gpa &= HV_PTE_ADDR;
    if (!hv_gpa_range_ok(d->mem_size, gpa, HV_PAGE_SIZE))
        return NULL;
    return (uint64_t *)(d->mem + gpa);
}

/* Mark every table frame reachable from cr3 (lower half, not slot 255). */
static void mark_tables(struct hv_domain *d, struct proc_dom *p, uint64_t cr3)
{
    uint64_t *l4 = table_at(d, cr3);

    memset(p->ptmap, 0, d->mem_size / HV_PAGE_SIZE / 8 + 1);
    if (!l4)
        return;
    p->ptmap[(cr3 >> 12) / 8] |= (uint8_t)(1u << ((cr3 >> 12) % 8));
    for (unsigned i4 = 0; i4 < PV_PRIV_L4_SLOT; i4++) {
        uint64_t e4 = __atomic_load_n(&l4[i4], __ATOMIC_RELAXED);
        uint64_t *l3 = (e4 & HV_PTE_P) ? table_at(d, e4) : NULL;
        if (!l3)
            continue;
        p->ptmap[((e4 & HV_PTE_ADDR) >> 12) / 8] |=
            (uint8_t)(1u << (((e4 & HV_PTE_ADDR) >> 12) % 8));
        for (unsigned i3 = 0; i3 < 512; i3++) {
            uint64_t e3 = __atomic_load_n(&l3[i3], __ATOMIC_RELAXED);
            uint64_t *l2 =
                (e3 & HV_PTE_P) && !(e3 & HV_PTE_PS) ? table_at(d, e3) : NULL;
            if (!l2)
                continue;
            p->ptmap[((e3 & HV_PTE_ADDR) >> 12) / 8] |=
                (uint8_t)(1u << (((e3 & HV_PTE_ADDR) >> 12) % 8));
            for (unsigned i2 = 0; i2 < 512; i2++) {
                uint64_t e2 = __atomic_load_n(&l2[i2], __ATOMIC_RELAXED);
                if (!(e2 & HV_PTE_P) || (e2 & HV_PTE_PS) || !table_at(d, e2))
                    continue;
                p->ptmap[((e2 & HV_PTE_ADDR) >> 12) / 8] |=
                    (uint8_t)(1u << (((e2 & HV_PTE_ADDR) >> 12) % 8));
            }
        }
    }
}

/*
 * Where a leaf frame lives: guest RAM, pvisor's area (grant frames
 * writable, the rest read-only as KVM's read-only memslot), or nowhere.
 */
static bool leaf_target(struct hv_domain *d, uint64_t gpa, uint64_t len,
                        uint8_t *fd, uint64_t *off, bool *ro)
{
    uint64_t gnt = HV_PRIV_GPA + HV_PRIV_GNT * HV_PAGE_SIZE;

    *ro = false;
    if (hv_gpa_range_ok(d->mem_size, gpa, len)) {
        *fd = 0;
        *off = gpa;
        return true;
    }
    if (gpa >= HV_PRIV_GPA && len <= d->priv_size &&
        gpa - HV_PRIV_GPA <= d->priv_size - len) {
        *fd = 1;
        *off = gpa - HV_PRIV_GPA;
        *ro = gpa < gnt;
        return true;
    }
    return false;
}

static int leaf(struct hv_domain *d, struct proc_dom *p, struct runs *rs,
                uint64_t va, uint64_t e, uint64_t len, bool rw, bool nx)
{
    uint64_t gpa = e & HV_PTE_ADDR & ~(len - 1);
    uint8_t fd, prot, kind = RUN_PLAIN;
    uint64_t off;
    bool pt, ro;

    if (!(e & HV_PTE_U) || !leaf_target(d, gpa, len, &fd, &off, &ro))
        return 0;
    rw = rw && (e & HV_PTE_RW);
    nx = nx || (e & HV_PTE_NX);
    pt = len == HV_PAGE_SIZE && fd == 0 && frame_is_pt(p, gpa);
    if (pt && rw)
        kind = RUN_PT;
    else if (ro && rw)
        kind = RUN_PRIVRO;
    prot =
        PROT_READ | (rw && !pt && !ro ? PROT_WRITE : 0) | (nx ? 0 : PROT_EXEC);
    return runs_add(rs, va, len, fd, off, prot, kind);
}

static int walk(struct hv_domain *d, struct proc_dom *p, uint64_t cr3,
                struct runs *rs)
{
    uint64_t *l4 = table_at(d, cr3);
    int rc = 0;

    mark_tables(d, p, cr3);
    if (!l4)
        return 0;
    for (unsigned i4 = 0; i4 < PV_PRIV_L4_SLOT && !rc; i4++) {
        uint64_t e4 = __atomic_load_n(&l4[i4], __ATOMIC_RELAXED);
        uint64_t *l3 =
            (e4 & HV_PTE_P) && (e4 & HV_PTE_U) ? table_at(d, e4) : NULL;
        if (!l3)
            continue;
        for (unsigned i3 = 0; i3 < 512 && !rc; i3++) {
            uint64_t e3 = __atomic_load_n(&l3[i3], __ATOMIC_RELAXED);
            uint64_t va3 = ((uint64_t)i4 << 39) | ((uint64_t)i3 << 30);
            bool rw3 = (e4 & HV_PTE_RW) && (e3 & HV_PTE_RW);
            bool nx3 = (e4 & HV_PTE_NX) || (e3 & HV_PTE_NX);
            if (!(e3 & HV_PTE_P) || !(e3 & HV_PTE_U))
                continue;
            if (e3 & HV_PTE_PS) {
                rc = leaf(d, p, rs, va3, e3, 1ULL << 30, rw3, nx3);
                continue;
            }
            uint64_t *l2 = table_at(d, e3);
            if (!l2)
                continue;
            for (unsigned i2 = 0; i2 < 512 && !rc; i2++) {
                uint64_t e2 = __atomic_load_n(&l2[i2], __ATOMIC_RELAXED);
                uint64_t va2 = va3 | ((uint64_t)i2 << 21);
                bool rw2 = rw3 && (e2 & HV_PTE_RW);
                bool nx2 = nx3 || (e2 & HV_PTE_NX);
                if (!(e2 & HV_PTE_P) || !(e2 & HV_PTE_U))
                    continue;
                if (e2 & HV_PTE_PS) {
                    rc = leaf(d, p, rs, va2, e2, 1ULL << 21, rw2, nx2);
                    continue;
                }
                uint64_t *l1 = table_at(d, e2);
                if (!l1)
                    continue;
                for (unsigned i1 = 0; i1 < 512 && !rc; i1++) {
                    uint64_t e1 = __atomic_load_n(&l1[i1], __ATOMIC_RELAXED);
                    if (!(e1 & HV_PTE_P))
                        continue;
                    rc = leaf(d, p, rs, va2 | ((uint64_t)i1 << 12), e1,
                              HV_PAGE_SIZE, rw2, nx2);
                }
            }
        }
    }
    return rc;
}

static bool run_eq(const struct proc_run *a, const struct proc_run *b)
{
    return a->va == b->va && a->len == b->len && a->off == b->off &&
           a->fd == b->fd && a->prot == b->prot && a->kind == b->kind;
}

/* Both sorted by va: is r (from one list) in the other? */
static bool run_in(const struct proc_run *r, const struct proc_run *list,
                   size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (list[mid].va < r->va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && run_eq(&list[lo], r);
}

/* Unmap the parts of [va, va + len) no run of the sorted list n covers. */
static int unmap_uncovered(struct hv_vcpu *v, uint64_t va, uint64_t len,
                           const struct proc_run *n, size_t nn)
{
    uint64_t pos = va, end = va + len;

    for (size_t i = 0; i < nn && pos < end; i++) {
        if (n[i].va + n[i].len <= pos)
            continue;
        if (n[i].va >= end)
            break;
        if (n[i].va > pos) {
            long r = inject(v, SYS_munmap, pos, n[i].va - pos, 0, 0, 0, 0);
            if (r < 0)
                return (int)r;
        }
        pos = n[i].va + n[i].len;
    }
    if (pos < end) {
        long r = inject(v, SYS_munmap, pos, end - pos, 0, 0, 0, 0);
        if (r < 0)
            return (int)r;
    }
    return 0;
}

/*
 * Make the host mappings match v's page tables (p->map_lock held). Other
 * vCPUs may be running: new mappings replace old ones in place (mmap with
 * MAP_FIXED is atomic to them), and only what no new run covers is
 * unmapped, afterwards, so a page that stays mapped never disappears.
 */
static int sync_maps(struct hv_vcpu *v, struct proc_dom *p)
{
    struct runs rs = { 0 };
    int rc;

    rc = walk(v->d, p, v->cr3, &rs);
    if (rc) {
        free(rs.r);
        return rc;
    }
    for (size_t i = 0; i < rs.n; i++) {
        const struct proc_run *n = &rs.r[i];
        if (run_in(n, p->runs, p->nr_runs))
            continue;
        long r =
            inject(v, SYS_mmap, n->va, n->len, n->prot, MAP_SHARED | MAP_FIXED,
                   n->fd ? PROC_FD_PRIV : PROC_FD_RAM, n->off);
        if (r < 0 && r > -4096) {
            log_warn("d%uv%u: host mapping of 0x%llx (+0x%llx) failed: %s%s",
                     v->d->domid, v->id, (unsigned long long)n->va,
                     (unsigned long long)n->len, strerror((int)-r),
                     r == -EPERM && n->va < mmap_min_addr()
                         ? " (below vm.mmap_min_addr: pvisor must run as "
                           "root, or the sysctl be lowered)"
                         : "");
            /* Leave it out: the guest gets a page fault there. */
            memmove(&rs.r[i], &rs.r[i + 1], (rs.n - i - 1) * sizeof(rs.r[0]));
            rs.n--;
            i--;
        }
    }
    for (size_t i = 0; i < p->nr_runs && !rc; i++) {
        const struct proc_run *o = &p->runs[i];
        if (!run_in(o, rs.r, rs.n))
            rc = unmap_uncovered(v, o->va, o->len, rs.r, rs.n);
    }
    free(p->runs);
    p->runs = rs.r;
    p->nr_runs = rs.n;
    return rc;
}

static int maybe_sync(struct hv_vcpu *v)
{
    struct proc_dom *p = pdom(v->d);
    int rc = 0;

    if (atomic_load(&p->gen) == p->synced_gen && v->cr3 == p->synced_cr3)
        return 0;
    pthread_mutex_lock(&p->map_lock);
    uint64_t gen = atomic_load(&p->gen);
    if (gen != p->synced_gen || v->cr3 != p->synced_cr3) {
        rc = sync_maps(v, p);
        p->synced_gen = gen;
        p->synced_cr3 = v->cr3;
    }
    pthread_mutex_unlock(&p->map_lock);
    return rc;
}

static void bump(struct hv_domain *d)
{
    if (pdom(d))
        atomic_fetch_add(&pdom(d)->gen, 1);
}

/* The run holding va, if any (p->map_lock held). */
static const struct proc_run *find_run(struct proc_dom *p, uint64_t va)
{
    for (size_t i = 0; i < p->nr_runs; i++) {
        const struct proc_run *r = &p->runs[i];
        if (va >= r->va && va - r->va < r->len)
            return r;
    }
    return NULL;
}

/*
 * A write to a page-table page (XENFEAT_writable_page_tables): open the
 * page for one instruction, step it, close it, and re-read the tables.
 */
static int emulate_pt_write(struct hv_vcpu *v, uint64_t addr)
{
    struct proc_dom *p = pdom(v->d);
    struct proc_vcpu *c = pvc(v);
    uint64_t page = addr & ~(HV_PAGE_SIZE - 1);
    struct user_regs_struct u;
    uint8_t prot;
    int st, rc = 0;
    long r;

    pthread_mutex_lock(&p->map_lock);
    const struct proc_run *run = find_run(p, addr);
    if (run && run->kind == RUN_PRIVRO) {
        uint64_t gpa = HV_PRIV_GPA + run->off + (addr - run->va);
        pthread_mutex_unlock(&p->map_lock);
        return (int)(2 + (gpa >> 12)); /* the caller reports it */
    }
    if (!run || run->kind != RUN_PT) {
        pthread_mutex_unlock(&p->map_lock);
        return 1; /* not ours: a real fault */
    }
    prot = run->prot;
    r = inject(v, SYS_mprotect, page, HV_PAGE_SIZE, prot | PROT_WRITE, 0, 0, 0);
    if (r == 0)
        rc = put_regs(v);
    else
        rc = (int)r;
    while (!rc) {
        if (ptrace(PTRACE_SINGLESTEP, c->tid, NULL, NULL) < 0) {
            rc = -errno;
            break;
        }
        rc = wait_stop(v, &st);
        if (rc)
            break;
        if (WSTOPSIG(st) == SIGTRAP)
            break;
        if (WSTOPSIG(st) == SIGSEGV || WSTOPSIG(st) == SIGBUS) {
            rc = -EFAULT; /* the instruction faults elsewhere too */
            break;
        }
    }
    if (!rc && ptrace(PTRACE_GETREGS, c->tid, NULL, &u) == 0)
        from_user(v, &u);
    r = inject(v, SYS_mprotect, page, HV_PAGE_SIZE, prot, 0, 0, 0);
    if (!rc && r)
        rc = (int)r;
    atomic_fetch_add(&p->gen, 1);
    pthread_mutex_unlock(&p->map_lock);
    c->force_regs = true;
    return rc;
}

/* ---- running ---- */

static void crash_msg(struct hv_exit *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void crash_msg(struct hv_exit *ex, const char *fmt, ...)
{
    va_list ap;

    ex->kind = HV_EXIT_CRASH;
    va_start(ap, fmt);
    vsnprintf(ex->msg, sizeof(ex->msg), fmt, ap);
    va_end(ap);
}

static void exception(struct hv_exit *ex, unsigned vec, uint64_t err,
                      uint64_t cr2)
{
    ex->kind = HV_EXIT_EXCEPTION;
    ex->vec = vec;
    ex->err = err;
    ex->cr2 = cr2;
}

/* Does the instruction at rip (guest bytes) write memory? For #PF's W. */
static bool insn_writes(const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n && ((b[i] & 0xf0) == 0x40 || b[i] == 0x66 || b[i] == 0xf2 ||
                     b[i] == 0xf3 || b[i] == 0xf0))
        i++;
    if (i >= n)
        return false;
    switch (b[i]) {
    case 0x00:
    case 0x01:
    case 0x08:
    case 0x09:
    case 0x10:
    case 0x11:
    case 0x18:
    case 0x19:
    case 0x20:
    case 0x21:
    case 0x28:
    case 0x29:
    case 0x30:
    case 0x31:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0xc6:
    case 0xc7:
    case 0xaa:
    case 0xab:
    case 0x8f:
        return true;
    case 0x0f:
        return i + 1 < n &&
               (b[i + 1] == 0x11 || b[i + 1] == 0x29 || b[i + 1] == 0xb1 ||
                b[i + 1] == 0xc1 || b[i + 1] == 0x7f || b[i + 1] == 0xab ||
                b[i + 1] == 0xb3 || b[i + 1] == 0xbb);
    default:
        return false;
    }
}

/*
 * An `out` to the KVM platform's syscall ports (PV_PORT_SYSCALL..+3): as
 * on KVM outside its LSTAR stub, the domain crashes with a report naming
 * the port. proc has no such stub: `syscall` itself is the hypercall.
 */
static bool syscall_port(struct hv_vcpu *v, const uint8_t *b, size_t nb,
                         struct hv_exit *ex)
{
    size_t i = nb && b[0] == 0x66 ? 1 : 0;
    unsigned port;

    if (i >= nb)
        return false;
    if ((b[i] == 0xe6 || b[i] == 0xe7) && i + 1 < nb)
        port = b[i + 1];
    else if (b[i] == 0xee || b[i] == 0xef)
        port = (uint16_t)v->regs.rdx;
    else
        return false;
    if (port < PV_PORT_SYSCALL || port > PV_PORT_SYSCALL + 3)
        return false;
    crash_msg(ex,
              "out to port 0x%x at rip 0x%llx: pvisor's syscall port, which "
              "the proc platform does not use (its hypercall is `syscall` "
              "itself)",
              port, (unsigned long long)v->regs.rip);
    return true;
}

static void decode_segv(struct hv_vcpu *v, const siginfo_t *si,
                        struct hv_exit *ex)
{
    uint8_t b[16];
    size_t nb = 0;
    uint64_t rip = v->regs.rip;

    if (hv_copy_from_guest(v, b, rip, sizeof(b)) == 0)
        nb = sizeof(b);
    else if (hv_copy_from_guest(v, b, rip, 2) == 0)
        nb = 2;
    if (si->si_code == SI_KERNEL) {
        /* #GP: pvisor's `out` transport, or a privileged instruction. */
        if (nb >= 2 && b[0] == 0xe7 &&
            (b[1] == PV_PORT_HYPERCALL || b[1] == PV_PORT_TRAP ||
             b[1] == PV_PORT_NOTIFY)) {
            ex->kind = HV_EXIT_IO;
            ex->port = b[1];
            ex->val = (uint32_t)v->regs.rax;
            v->regs.rip += 2;
            v->regs_dirty = true;
            return;
        }
        if (syscall_port(v, b, nb, ex))
            return;
        exception(ex, 13, 0, 0);
        return;
    }
    uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
    if (si->si_code == SEGV_ACCERR) {
        int r = emulate_pt_write(v, addr);
        if (r == 0) {
            ex->kind = HV_EXIT_NONE;
            return;
        }
        if (r >= 2) {
            crash_msg(ex,
                      "write of guest-physical 0x%llx: pvisor's private "
                      "area (GDT/IDT/TSS) is read-only",
                      (unsigned long long)((uint64_t)(r - 2) << 12 |
                                           (addr & (HV_PAGE_SIZE - 1))));
            return;
        }
        if (r < 0) {
            crash_msg(ex,
                      "write to page-table page at 0x%llx could not be "
                      "applied (%s)",
                      (unsigned long long)addr, strerror(-r));
            return;
        }
    }
    /* Another vCPU changed the mappings meanwhile: run it again. */
    if (si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR) {
        struct proc_dom *p = pdom(v->d);
        bool retry;
        pthread_mutex_lock(&p->map_lock);
        const struct proc_run *run = find_run(p, addr);
        retry = atomic_load(&p->gen) != p->synced_gen ||
                v->cr3 != p->synced_cr3 ||
                (si->si_code == SEGV_MAPERR && run) ||
                (si->si_code == SEGV_ACCERR && run &&
                 (run->prot & PROT_WRITE) && addr != rip);
        pthread_mutex_unlock(&p->map_lock);
        if (retry) {
            ex->kind = HV_EXIT_NONE;
            return;
        }
    }
    uint64_t err = 4; /* user */
    if (si->si_code == SEGV_ACCERR)
        err |= 1;
    if (addr == rip)
        err |= 0x10;
    else if (nb && insn_writes(b, nb))
        err |= 2;
    exception(ex, 14, err, addr);
}

/* Decodes the stop st; u: the thread's registers at the stop. */
static void decode_stop(struct hv_vcpu *v, int st,
                        const struct user_regs_struct *u, struct hv_exit *ex)
{
    struct proc_vcpu *c = pvc(v);
    unsigned sig = (unsigned)WSTOPSIG(st);
    siginfo_t si;

    ex->kind = HV_EXIT_NONE;
    if (sig == (SIGTRAP | 0x80)) {
        /* System-call stop (PTRACE_SYSEMU): nothing ran in the host. */
        uint8_t b[2] = { 0, 0 };
        if (hv_copy_from_guest(v, b, v->regs.rip - 2, 2) == 0 && b[0] == 0x0f &&
            b[1] == 0x05) {
            ex->kind = HV_EXIT_HYPERCALL;
            ex->val = (uint32_t)u->orig_rax;
            v->regs.rax = u->orig_rax;
            v->regs_dirty = true;
            return;
        }
        crash_msg(ex,
                  "system call by int $0x80 or sysenter (nr %llu): only "
                  "`syscall` is a hypercall transport",
                  (unsigned long long)u->orig_rax);
        return;
    }
    if ((st >> 16) != 0) /* PTRACE_EVENT_STOP and friends */
        return;
    if (ptrace(PTRACE_GETSIGINFO, c->tid, NULL, &si) < 0)
        memset(&si, 0, sizeof(si));
    switch (sig) {
    case PROC_SIG_KICK:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return;
    case SIGSEGV:
        decode_segv(v, &si, ex);
        return;
    case SIGILL:
        exception(ex, 6, 0, 0);
        return;
    case SIGFPE:
        exception(ex,
                  si.si_code == FPE_INTDIV || si.si_code == FPE_INTOVF ? 0 : 16,
                  0, 0);
        return;
    case SIGTRAP:
        exception(ex, si.si_code == TRAP_TRACE ? 1 : 3, 0, 0);
        return;
    case SIGBUS:
        crash_msg(ex, "bus error at 0x%llx",
                  (unsigned long long)(uintptr_t)si.si_addr);
        return;
    default:
        return; /* not the guest's: dropped */
    }
}

/*
 * Before a stub thread first runs guest code (its maps synced): drop
 * CAP_SETPCAP, and CAP_SYS_RAWIO too unless the guest's lowest mapping at
 * its first sync lies below vm.mmap_min_addr, from every set of that
 * thread (capabilities are per thread). 0 or -errno.
 */
static int drop_caps(struct hv_vcpu *v)
{
    struct proc_dom *p = pdom(v->d);
    struct proc_vcpu *c = pvc(v);
    bool keep;
    long r;

    if (c->caps_dropped || !p->privileged)
        return 0;
    pthread_mutex_lock(&p->map_lock);
    if (p->keep_rawio < 0) {
        uint64_t low = p->nr_runs ? p->runs[0].va : UINT64_MAX;
        p->keep_rawio = low < mmap_min_addr();
        if (p->keep_rawio)
            log_info("d%u: its lowest mapping 0x%llx lies below "
                     "vm.mmap_min_addr: its process keeps CAP_SYS_RAWIO",
                     v->d->domid, (unsigned long long)low);
    }
    keep = p->keep_rawio > 0;
    pthread_mutex_unlock(&p->map_lock);
    r = inject(v, SYS_prctl, PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0, 0, 0);
    if (!r && !keep)
        r = inject(v, SYS_prctl, PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0, 0);
    if (!r)
        r = inject(v, SYS_capset, PROC_STUB_CAP_HDR,
                   keep ? PROC_STUB_CAP_RAWIO : PROC_STUB_CAP_NONE, 0, 0, 0, 0);
    if (r)
        return r < 0 && r > -4096 ? (int)r : -EPROTO;
    c->caps_dropped = true;
    return 0;
}

static int proc_vcpu_run(struct hv_vcpu *v, struct hv_exit *ex)
{
    struct proc_vcpu *c = pvc(v);
    struct user_regs_struct u;
    int st, rc;

    ex->kind = HV_EXIT_NONE;
    if (c->dead || !c->attached) {
        crash_msg(ex, "the domain's host process is gone");
        return 0;
    }
    rc = maybe_sync(v);
    if (rc) {
        crash_msg(ex, "cannot map the guest's memory in its process: %s",
                  strerror(-rc));
        return 0;
    }
    rc = drop_caps(v);
    if (rc) {
        crash_msg(ex, "cannot drop the privileges of its process: %s",
                  strerror(-rc));
        return 0;
    }
    if ((v->regs_dirty || c->force_regs) && (rc = put_regs(v)) != 0) {
        crash_msg(ex, "PTRACE_SETREGS: %s", strerror(-rc));
        return 0;
    }
    if (ptrace(PTRACE_SYSEMU, c->tid, NULL, NULL) < 0) {
        crash_msg(ex, "PTRACE_SYSEMU: %s", strerror(errno));
        return 0;
    }
    rc = wait_stop(v, &st);
    if (rc) {
        if (WIFSIGNALED(st))
            crash_msg(ex, "the domain's host process was killed (signal %d%s)",
                      WTERMSIG(st),
                      WTERMSIG(st) == SIGSYS ? ": seccomp filter" : "");
        else
            crash_msg(ex, "the domain's host process ended");
        return 0;
    }
    if (ptrace(PTRACE_GETREGS, c->tid, NULL, &u) < 0) {
        crash_msg(ex, "PTRACE_GETREGS: %s", strerror(errno));
        return 0;
    }
    from_user(v, &u);
    v->regs_valid = true;
    v->regs_dirty = false;
    decode_stop(v, st, &u, ex);
    return 0;
}

static int proc_thread_start(struct hv_vcpu *v)
{
    struct proc_vcpu *c = pvc(v);
    int st, rc;

    if (ptrace(PTRACE_SEIZE, c->tid, NULL,
               (void *)(uintptr_t)PTRACE_O_TRACESYSGOOD) < 0)
        return -errno;
    if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0)
        return -errno;
    rc = wait_stop(v, &st);
    if (rc)
        return rc;
    c->attached = true;
    c->force_regs = true;
    return 0;
}

/* The thread goes back to the stub's pause() loop, untraced. */
static void proc_thread_stop(struct hv_vcpu *v)
{
    struct proc_vcpu *c = pvc(v);
    struct user_regs_struct u;

    if (!c || !c->attached)
        return;
    c->attached = false;
    if (c->dead)
        return;
    to_user(v, &u);
    u.rip = PROC_STUB_PARK;
    (void)ptrace(PTRACE_SETREGS, c->tid, NULL, &u);
    (void)ptrace(PTRACE_DETACH, c->tid, NULL, NULL);
    c->force_regs = true;
}

/*
 * A segment base the host's PTRACE_SETREGS takes: the host refuses (EIO)
 * a base at or above its user address space's top, so the guest's upper
 * half, which proc cannot map anyway, is refused with EINVAL here.
 */
static bool base_ok(uint64_t base)
{
    return base < (1ULL << 47) - HV_PAGE_SIZE;
}

static int proc_vcpu_reset(struct hv_vcpu *v, uint64_t cr3, uint64_t rip,
                           uint64_t rsp, uint64_t rsi)
{
    struct proc_vcpu *c = pvc(v);

    if (!base_ok(v->fs_base) || !base_ok(v->gs_base_kernel))
        return -EINVAL;
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rip = rip;
    v->regs.rsp = rsp;
    v->regs.rsi = rsi;
    v->regs.rflags = 0x202; /* IF; IOPL stays 0 in a host process */
    v->regs_dirty = true;
    v->regs_valid = true;
    v->cr3 = cr3;
    c->fs_base = v->fs_base;
    c->gs_base = v->gs_base_kernel;
    c->force_regs = true;
    bump(v->d);
    return 0;
}

static void proc_kick(struct hv_vcpu *v)
{
    struct proc_vcpu *c = pvc(v);

    if (c && c->tid > 0 && !c->dead)
        syscall(SYS_tgkill, pdom(v->d)->pid, c->tid, PROC_SIG_KICK);
}

static int proc_install_l4_slot(struct hv_domain *d, uint64_t cr3)
{
    /* Slot 255 holds the stub and the host's stack and vDSO; guests
     * never see it mapped, whatever their L4 says. */
    if ((cr3 & (HV_PAGE_SIZE - 1)) || cr3 >= d->mem_size)
        return -EINVAL;
    return 0;
}

static int proc_set_cr3(struct hv_vcpu *v, uint64_t cr3)
{
    v->cr3 = cr3;
    bump(v->d);
    return 0;
}

static int proc_mmu_resync(struct hv_domain *d)
{
    bump(d);
    return 0;
}

static void proc_flush_tlb(struct hv_vcpu *v)
{
    bump(v->d);
}

static void proc_set_trap(struct hv_vcpu *v, unsigned vec, uint64_t addr,
                          unsigned dpl)
{
    /* Exceptions stop the traced thread; hv_trap_exception bounces them
     * to v->trap_handler[], which the core keeps. */
}

static int proc_set_segbase(struct hv_vcpu *v, int which, uint64_t base)
{
    struct proc_vcpu *c = pvc(v);

    if (!base_ok(base))
        return -EINVAL;
    if (which == 0)
        c->fs_base = base;
    else
        c->gs_base = base;
    c->force_regs = true;
    return 0;
}

static int proc_get_cr2(struct hv_vcpu *v, uint64_t *cr2)
{
    *cr2 = pvc(v)->cr2;
    return 0;
}

static uint64_t proc_guest_tsc(struct hv_vcpu *v)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int proc_notify_fd(struct hv_domain *d, uint32_t gport, int fd,
                          bool assign)
{
    /* Every pvisor_notify already stops in pvisor, which signals the
     * dom0 port's eventfd directly: no fast path to register. */
    return -EOPNOTSUPP;
}

/*
 * The CPU time of the stub thread that runs v's guest code: the host
 * allows no CPU clock of another process's thread, so it comes from
 * /proc: schedstat's run time in ns, else stat's utime + stime in ticks.
 */
static uint64_t read_thread_cpu_ns(pid_t pid, pid_t tid)
{
    char path[64];
    unsigned long long ns, ut, st;
    FILE *f;
    bool ok;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid,
             (int)tid);
    f = fopen(path, "re");
    if (f) {
        ok = fscanf(f, "%llu", &ns) == 1;
        fclose(f);
        if (ok)
            return ns;
    }
    char line[1024], *q;
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    /* Fields 14 and 15, counted after the command's closing ')'. */
    q = ok ? strrchr(line, ')') : NULL;
    if (!q ||
        sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st) != 2)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (ut + st) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

static uint64_t proc_guest_cpu_ns(struct hv_vcpu *v)
{
    struct proc_dom *p = pdom(v->d);
    struct proc_vcpu *c = pvc(v);
    uint64_t now, last;

    if (!p || !c)
        return 0;
    last = atomic_load(&c->cpu_ns);
    if (p->pid <= 0 || c->tid <= 0)
        return last;
    now = read_thread_cpu_ns(p->pid, c->tid);
    /* Never fall (the thread gone, or a coarser fallback read). */
    while (now > last && !atomic_compare_exchange_weak(&c->cpu_ns, &last, now))
        ;
    return now > last ? now : last;
}

/* The stub thread that runs v's guest code: vcpu-pin and sched-credit
 * place it with the vCPU thread that traces it. */
static int proc_guest_tid(struct hv_vcpu *v)
{
    struct proc_vcpu *c = pvc(v);

    return c && !c->dead && c->tid > 0 ? (int)c->tid : 0;
}

struct hv_platform hv_platform_proc = {
    .name = "proc",
    .flavour = "ptrace",
    .user_cs = USER_CS,
    .user_ss = USER_SS,
    .init = proc_init,
    .domain_create = proc_domain_create,
    .domain_destroy = proc_domain_destroy,
    .vcpu_create = proc_vcpu_create,
    .vcpu_thread_start = proc_thread_start,
    .vcpu_thread_stop = proc_thread_stop,
    .vcpu_reset = proc_vcpu_reset,
    .vcpu_run = proc_vcpu_run,
    .get_regs = proc_get_regs,
    .kick = proc_kick,
    .install_l4_slot = proc_install_l4_slot,
    .set_cr3 = proc_set_cr3,
    .mmu_resync = proc_mmu_resync,
    .flush_tlb = proc_flush_tlb,
    .set_trap = proc_set_trap,
    .set_segbase = proc_set_segbase,
    .get_cr2 = proc_get_cr2,
    .guest_tsc = proc_guest_tsc,
    .fill_hypercall_page = hv_fill_hypercall_page_syscall,
    .notify_fd = proc_notify_fd,
    .guest_cpu_ns = proc_guest_cpu_ns,
    .guest_tid = proc_guest_tid,
};
