// SPDX-License-Identifier: MIT
/* rawexit.c: a minimal KVM VM whose CPL3 loop exits on `out`; ns per exit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The same CPU set-up pvisor gives a guest (Xen's flat selectors in a
 * 64 KiB GDT, a 64-bit TSS whose I/O bitmap permits ports 0xe4-0xef,
 * IOPL=3, CPL3, 4-level paging with 4 KiB pages), but with everything
 * identity-mapped in the lower half and nothing else: no private area, no
 * hypercall page, no timers. Guest-physical (= virtual) layout:
 */
#define MEM_SIZE  0x100000ULL /* 1 MiB of guest RAM at gpa 0 */
#define PT_L4     0x1000ULL
#define PT_L3     0x2000ULL
#define PT_L2     0x3000ULL
#define PT_L1     0x4000ULL
#define GDT_BASE  0x10000ULL /* 16 pages */
#define TSS_BASE  0x20000ULL /* 3 pages: TSS + I/O bitmap */
#define IDT_BASE  0x23000ULL
#define STUB_BASE 0x24000ULL /* one 16-byte stub per vector */
#define CODE_BASE 0x30000ULL
#define STACK_TOP 0x50000ULL

#define SEL_CS64  0xe033
#define SEL_DS    0xe02b
#define SEL_TSS   0xe040
#define TSS_LIMIT (104 + 8192) /* includes the trailing 0xff byte */

#define PORT_LOOP 0xe4 /* the loop's port (pvisor: hypercall) */
#define PORT_TRAP 0xe8 /* exception stubs report here */

#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_U  0x4ULL
#define PTE_A  0x20ULL
#define PTE_D  0x40ULL

static void die(const char *what)
{
    fprintf(stderr, "rawexit: %s: %s\n", what, strerror(errno));
    exit(1);
}

static bool vec_has_errcode(unsigned vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 ||
           vec == 29 || vec == 30;
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
    memcpy(mem + gpa, &v, 8);
}

static void setup_memory(uint8_t *mem)
{
    /* Page tables: all of RAM, 4 KiB pages; system tables not user. */
    put64(mem, PT_L4, PT_L3 | PTE_P | PTE_RW | PTE_U);
    put64(mem, PT_L3, PT_L2 | PTE_P | PTE_RW | PTE_U);
    put64(mem, PT_L2, PT_L1 | PTE_P | PTE_RW | PTE_U);
    for (uint64_t pa = 0; pa < MEM_SIZE; pa += 0x1000) {
        uint64_t flags = PTE_P | PTE_RW | PTE_A | PTE_D;
        if (pa < GDT_BASE || pa >= STUB_BASE)
            flags |= PTE_U;
        put64(mem, PT_L1 + pa / 0x1000 * 8, pa | flags);
    }

    /* GDT: Xen's flat selectors, plus the 16-byte TSS descriptor. */
    put64(mem, GDT_BASE + (SEL_CS64 & ~7u), 0x00affb000000ffffULL);
    put64(mem, GDT_BASE + (SEL_DS & ~7u), 0x00cff3000000ffffULL);
    put64(mem, GDT_BASE + SEL_TSS,
          (TSS_LIMIT & 0xffffULL) | ((TSS_BASE & 0xffffffULL) << 16) |
              (0x8bULL << 40) | (((TSS_LIMIT >> 16) & 0xfULL) << 48) |
              (((TSS_BASE >> 24) & 0xffULL) << 56));
    put64(mem, GDT_BASE + SEL_TSS + 8, TSS_BASE >> 32);

    /* TSS: I/O bitmap right after the 104 bytes, permitting 0xe4-0xef. */
    uint8_t *tss = mem + TSS_BASE;
    tss[102] = 104;
    memset(tss + 104, 0xff, 8192 + 1);
    for (unsigned port = 0xe4; port <= 0xef; port++)
        tss[104 + port / 8] &= (uint8_t) ~(1u << (port % 8));

    /* Exception stubs ([push $0]; push %rax; mov $vec,%eax;
     * out %eax,$PORT_TRAP; jmp .) behind DPL3 interrupt gates. */
    for (unsigned vec = 0; vec < 256; vec++) {
        uint8_t *p = mem + STUB_BASE + vec * 16;
        uint8_t *g = mem + IDT_BASE + vec * 16;
        uint64_t addr = STUB_BASE + vec * 16;
        uint16_t sel = SEL_CS64;

        if (!vec_has_errcode(vec)) {
            *p++ = 0x6a;
            *p++ = 0x00;
        }
        *p++ = 0x50;
        *p++ = 0xb8;
        memcpy(p, &vec, 4);
        p += 4;
        *p++ = 0xe7;
        *p++ = PORT_TRAP;
        *p++ = 0xeb;
        *p++ = 0xfe;

        g[0] = addr & 0xff;
        g[1] = (addr >> 8) & 0xff;
        memcpy(g + 2, &sel, 2);
        g[5] = 0x80 | (3 << 5) | 0xe;
        g[6] = (addr >> 16) & 0xff;
        g[7] = (addr >> 24) & 0xff;
    }

    /* The loop: mov $17,%eax; out %eax,$0xe4; jmp back to the mov. */
    static const uint8_t loop[] = { 0xb8, 0x11,      0x00, 0x00, 0x00,
                                    0xe7, PORT_LOOP, 0xeb, 0xf7 };
    memcpy(mem + CODE_BASE, loop, sizeof(loop));
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
                     bool code64)
{
    memset(s, 0, sizeof(*s));
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->dpl = 3;
    s->s = 1;
    s->l = code64;
    s->db = !code64;
    s->g = 1;
}

static void seg_null(struct kvm_segment *s)
{
    memset(s, 0, sizeof(*s));
    s->unusable = 1;
    s->type = 3;
}

static void setup_vcpu(int kvm, int vcpu)
{
    struct kvm_sregs sr;
    struct kvm_regs regs;
    struct kvm_cpuid2 *cpuid;
    int nent = 256;

    for (;;) {
        cpuid = calloc(1, sizeof(*cpuid) +
                              (size_t)nent * sizeof(cpuid->entries[0]));
        if (!cpuid)
            die("calloc");
        cpuid->nent = (uint32_t)nent;
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        if (errno != E2BIG || nent > 4096)
            die("KVM_GET_SUPPORTED_CPUID");
        free(cpuid);
        nent *= 2;
    }
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2");
    free(cpuid);

    if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
        die("KVM_GET_SREGS");
    seg_flat(&sr.cs, SEL_CS64, 11, true);
    seg_flat(&sr.ss, SEL_DS, 3, false);
    seg_null(&sr.ds);
    seg_null(&sr.es);
    seg_null(&sr.fs);
    seg_null(&sr.gs);
    memset(&sr.tr, 0, sizeof(sr.tr));
    sr.tr.base = TSS_BASE;
    sr.tr.limit = TSS_LIMIT;
    sr.tr.selector = SEL_TSS;
    sr.tr.type = 11;
    sr.tr.present = 1;
    memset(&sr.ldt, 0, sizeof(sr.ldt));
    sr.ldt.unusable = 1;
    sr.ldt.type = 2;
    sr.gdt.base = GDT_BASE;
    sr.gdt.limit = 0xffff;
    sr.idt.base = IDT_BASE;
    sr.idt.limit = 0xfff;
    sr.cr0 = 0x80050033ULL; /* PG AM WP NE ET MP PE */
    sr.cr3 = PT_L4;
    sr.cr4 = 0x620;  /* OSXMMEXCPT OSFXSR PAE */
    sr.efer = 0xd00; /* NXE LMA LME */
    memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
    if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0)
        die("KVM_SET_SREGS");

    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_BASE;
    regs.rsp = STACK_TOP;
    regs.rflags = 0x3202; /* IOPL=3, IF */
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Echo mode: a forked child stands in for a dom0 backend process. It
 * blocks reading eventfd `to_child` and answers each event by writing
 * `to_parent`. -1 when not in echo mode.
 */
static int to_child = -1, to_parent = -1;

static void efd_write(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof(one)) != sizeof(one))
        die("eventfd write");
}

static void efd_read(int fd)
{
    uint64_t cnt;

    while (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
        if (errno != EINTR)
            die("eventfd read");
}

static pid_t start_echo_child(void)
{
    pid_t pid;

    to_child = eventfd(0, EFD_CLOEXEC);
    to_parent = eventfd(0, EFD_CLOEXEC);
    if (to_child < 0 || to_parent < 0)
        die("eventfd");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        uint64_t cnt;

        /* Ends when the parent writes the stop value (2^62). */
        for (;;) {
            while (read(to_child, &cnt, sizeof(cnt)) != sizeof(cnt))
                if (errno != EINTR)
                    _exit(1);
            if (cnt >= (1ULL << 62))
                _exit(0);
            efd_write(to_parent);
        }
    }
    return pid;
}

/* Runs the vCPU for n exits; any exit but `out` to PORT_LOOP is fatal.
 * In echo mode each exit also does one eventfd round trip to the child
 * before the vCPU re-enters the guest. */
static void run_exits(int vcpu, struct kvm_run *run, long n)
{
    for (long i = 0; i < n; i++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            die("KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT_LOOP) {
            uint32_t v = 0;
            if (run->exit_reason == KVM_EXIT_IO)
                memcpy(&v, (uint8_t *)run + run->io.data_offset, 4);
            fprintf(stderr,
                    "rawexit: unexpected exit %u (port 0x%x, value "
                    "0x%x)\n",
                    run->exit_reason,
                    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0, v);
            exit(1);
        }
        if (to_child >= 0) {
            efd_write(to_child);
            efd_read(to_parent);
        }
    }
}

/*
 * usage: rawexit [N [REPS [echo]]]: REPS timed batches of N exits each.
 * With `echo`, every exit is a round trip guest -> this process -> a
 * second process (eventfd) -> this process -> guest.
 */
int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 20000;
    long reps = argc > 2 ? strtol(argv[2], NULL, 0) : 3;
    bool echo = argc > 3 && !strcmp(argv[3], "echo");
    struct kvm_userspace_memory_region region = { 0 };
    struct kvm_run *run;
    uint8_t *mem;
    int kvm, vm, vcpu, run_size;
    pid_t child = -1;

    if (n <= 0 || reps <= 0 || (argc > 3 && !echo)) {
        fprintf(stderr, "usage: rawexit [N [REPS [echo]]]\n");
        return 2;
    }
    if (echo)
        child = start_echo_child();
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    setup_memory(mem);
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = MEM_SIZE;
    region.userspace_addr = (uint64_t)(uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0)
        die("KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
               0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");
    setup_vcpu(kvm, vcpu);

    run_exits(vcpu, run, 1000); /* warm-up: faults, shadow tables */
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();
        run_exits(vcpu, run, n);
        uint64_t t1 = now_ns();
        printf("rawexit: mode=%s n=%ld total_ns=%" PRIu64 "\n",
               echo ? "echo" : "exit", n, t1 - t0);
        fflush(stdout);
    }
    if (child > 0) {
        uint64_t stop = 1ULL << 62;

        if (write(to_child, &stop, sizeof(stop)) != sizeof(stop))
            kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    return 0;
}
