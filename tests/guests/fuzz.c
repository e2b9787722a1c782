/* SPDX-License-Identifier: MIT */
/* fuzz.c: random hypercalls and random instruction bytes against pvisor. */
#include <guestkit/guestkit.h>

/*
 * mode=hypercall (default): `n` hypercalls with random numbers and
 * arguments drawn from a mix of small integers, valid buffers, unmapped,
 * non-canonical and pvisor-area addresses. Calls that legitimately stop or
 * park this vCPU (sched_op shutdown/block/poll, iret, vcpu_op down) are
 * skipped so the run covers more; the page-table calls are included. The
 * test requires a clean survival: every bad argument must get an error and
 * none may end the domain, while pvisor and every other domain keep
 * running. Half of them go through an inline `syscall` (Xen's transport
 * for kernels without a hypercall page), half through the hypercall page.
 * mode=insn: copy random bytes into an executable page and jump there; the
 * domain is expected to crash with a report (or spin until destroyed).
 * sysport=1: `out` to pvisor's syscall port from outside its stub: the
 * domain must crash with a report. stubjump=1: jump into pvisor's syscall
 * stub with a return address in rcx, as `syscall` would: harmless, it is
 * a hypercall that returns there.
 */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

extern char hypercall_page[];

/* A hypercall whose number is only known at run time. */
static long hypercall_any(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                          uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    uint64_t stub = (uint64_t)hypercall_page + nr * 32;
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                       "+r"(r8)
                     : [stub] "r"(stub)
                     : "memory", "rcx", "r9", "r11");
    return ret;
}

/* The same through `syscall` (rcx and r11 are clobbered). */
static long syscall_any(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                        uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                       "+r"(r8)
                     : "a"(nr)
                     : "memory", "rcx", "r9", "r11");
    return ret;
}

static uint64_t pick_arg(char *buf)
{
    switch (rnd() % 10) {
    case 0:
        return 0;
    case 1:
        return rnd() % 16;
    case 2:
        return rnd() % 4096;
    case 3:
        return (uint64_t)buf + rnd() % 4096; /* valid buffer */
    case 4:
        return (uint64_t)buf + 4096 - rnd() % 64; /* crosses end */
    case 5:
        return PV_PRIV_VA + (rnd() % 65536); /* pvisor area */
    case 6:
        return 0x0000800000000000ULL + rnd() % 4096; /* non-canonical */
    case 7:
        return 0xffffffffffffffffULL - rnd() % 64;
    case 8:
        return GK_VIRT_BASE + (rnd() % (64ULL << 20)); /* maybe mapped */
    default:
        return rnd();
    }
}

static int skipped(uint64_t nr, uint64_t a1, uint64_t a2)
{
    if (nr == __HYPERVISOR_iret || nr == __HYPERVISOR_sched_op)
        return 1;
    if (nr == __HYPERVISOR_vcpu_op &&
        (a1 == VCPUOP_down || a1 == VCPUOP_initialise))
        return 1;
    if (nr == __HYPERVISOR_set_trap_table || nr == __HYPERVISOR_callback_op ||
        nr == __HYPERVISOR_set_callbacks || nr == __HYPERVISOR_multicall)
        return 1; /* would redirect our own fault/event handling */
    if (nr == __HYPERVISOR_set_segment_base && a1 == SEGBASE_GS_KERNEL)
        return 1; /* guest-kit's per-CPU data lives there */
    (void)a2;
    return 0;
}

static void fuzz_hypercalls(long n)
{
    char *buf = gk_alloc_pages(0);
    long done = 0, errors = 0, skips = 0;

    for (long i = 0; i < n; i++) {
        uint64_t nr = rnd() % PV_HYPERCALL_MAX;
        uint64_t a[5];
        for (int k = 0; k < 5; k++)
            a[k] = pick_arg(buf);
        if (rnd() % 2)
            a[0] = rnd() % 12; /* plausible sub-op */
        if (skipped(nr, a[0], a[1])) {
            skips++;
            continue;
        }
        long rc = rnd() % 2 ? syscall_any(nr, a[0], a[1], a[2], a[3], a[4])
                            : hypercall_any(nr, a[0], a[1], a[2], a[3], a[4]);
        done++;
        errors += rc < 0;
        if ((i + 1) % (n / 4 ? n / 4 : 1) == 0)
            gk_printf("fuzz: %ld/%ld calls, %ld errors, %ld skipped\n", i + 1,
                      n, errors, skips);
    }
    gk_printf("fuzz: survived %ld random hypercalls (%ld returned errors)\n",
              done, errors);
}

static void fuzz_insn(void)
{
    uint8_t *page = gk_alloc_pages(0);

    for (int i = 0; i < 4096; i++)
        page[i] = (uint8_t)rnd();
    /* Let pvisor see the faults: its report is what is being tested. */
    for (unsigned vec = 0; vec < 32; vec++)
        gk_trap_release(vec);
    gk_printf("fuzz: jumping into 4096 random bytes (seed %lu)\n",
              (unsigned long)rng_state);
    ((void (*)(void))page)();
    gk_printf("fuzz: random code returned\n");
}

/*
 * mode=privwrite: point one of our own PTEs (written directly: page tables
 * are ordinary guest RAM) at pvisor's IDT page and write to it. pvisor
 * keeps that area read-only, so the domain must crash on the write.
 */
static void priv_write(void)
{
    uint64_t va = (uint64_t)gk_alloc_pages(0);
    uint64_t *table = (uint64_t *)gk_start_info.pt_base;
    uint64_t *pte = 0;

    for (int level = 4; level >= 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        if (level == 1) {
            pte = &table[idx];
            break;
        }
        table = (uint64_t *)(GK_VIRT_BASE + (table[idx] & 0xffffffffff000ULL));
    }
    /* guest-physical of pvisor's area (1 << 38) + IDT page (24) */
    *pte = ((1ULL << 38) + 24 * 4096) | 7;
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
    gk_printf("fuzz: mapped pvisor's IDT at 0x%lx, writing to it\n",
              (unsigned long)va);
    *(volatile uint64_t *)va = 0x4141414141414141ULL;
    gk_printf("fuzz: WRITE TO PVISOR'S AREA SUCCEEDED\n");
}

/* pvisor's syscall stub: private area page 23 (see hv_arch.h). */
#define SYSCALL_STUB (PV_PRIV_VA + 23 * 4096ULL)

static void sys_port(void)
{
    gk_trap_release(GK_TRAP_GP); /* a #GP is pvisor's to report, too */
    gk_printf("fuzz: out to the syscall port from outside the stub\n");
    __asm__ volatile("out %%eax, $0xf0" : : "a"(17));
    gk_printf("fuzz: SYSCALL PORT ACCEPTED FROM OUTSIDE THE STUB\n");
}

static void stub_jump(void)
{
    long ret;

    __asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
                     "pushfq\n\t"
                     "pop %%r11\n\t"
                     "jmp *%[stub]\n"
                     "1:"
                     : "=a"(ret)
                     : "a"((long)__HYPERVISOR_xen_version), "D"(0L),
                       "S"(0L), [stub] "r"(SYSCALL_STUB)
                     : "rcx", "r11", "memory");
    gk_printf("fuzz: jumped into the syscall stub: xen_version = 0x%lx\n",
              (unsigned long)ret);
}

int main(void)
{
    long seed = gk_cmdline_int("seed", 1);
    long n = gk_cmdline_int("n", 20000);

    rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)seed;
    if (!rng_state)
        rng_state = 1;
    if (gk_cmdline_int("privwrite", 0))
        priv_write();
    if (gk_cmdline_int("sysport", 0))
        sys_port();
    if (gk_cmdline_int("stubjump", 0)) {
        stub_jump();
        return 0;
    }
    if (gk_cmdline_int("insn", 0))
        fuzz_insn();
    else
        fuzz_hypercalls(n);
    return 0;
}
