/* SPDX-License-Identifier: MIT */
/* traps.c: trap table, exception dispatch and the register dump. */
#include <guestkit/guestkit.h>

#include "internal.h"

static gk_trap_handler_t handlers[GK_NR_TRAPS];
/* Vectors handed back to pvisor, per vCPU (bit per vector). */
static uint32_t released[PV_MAX_VCPUS];

static const char *const trap_names[GK_NR_TRAPS] = {
    [GK_TRAP_DE] = "#DE divide error",
    [GK_TRAP_DB] = "#DB debug",
    [GK_TRAP_NMI] = "NMI",
    [GK_TRAP_BP] = "#BP breakpoint",
    [GK_TRAP_OF] = "#OF overflow",
    [GK_TRAP_BR] = "#BR bound range exceeded",
    [GK_TRAP_UD] = "#UD invalid opcode",
    [GK_TRAP_NM] = "#NM device not available",
    [GK_TRAP_DF] = "#DF double fault",
    [9] = "coprocessor segment overrun",
    [GK_TRAP_TS] = "#TS invalid TSS",
    [GK_TRAP_NP] = "#NP segment not present",
    [GK_TRAP_SS] = "#SS stack fault",
    [GK_TRAP_GP] = "#GP general protection",
    [GK_TRAP_PF] = "#PF page fault",
    [15] = "reserved",
    [GK_TRAP_MF] = "#MF x87 error",
    [GK_TRAP_AC] = "#AC alignment check",
    [GK_TRAP_MC] = "#MC machine check",
    [GK_TRAP_XM] = "#XM SIMD error",
    [GK_TRAP_VE] = "#VE virtualization exception",
    [GK_TRAP_CP] = "#CP control protection",
};

/* Build the zero-terminated trap_info list for vCPU `cpu`. */
static unsigned int build_table(struct trap_info *t, unsigned int cpu)
{
    unsigned int n = 0;

    for (unsigned int v = 0; v < GK_NR_TRAPS; v++) {
        if (!gk_trap_entries[v] || (released[cpu] & (1u << v)))
            continue;
        t[n].vector = (uint8_t)v;
        /* int3/into may be raised by software at any privilege. */
        t[n].flags = (v == GK_TRAP_BP || v == GK_TRAP_OF) ? 3 : 0;
        t[n].cs = FLAT_KERNEL_CS;
        t[n].address = gk_trap_entries[v];
        n++;
    }
    t[n].vector = 0;
    t[n].flags = 0;
    t[n].cs = 0;
    t[n].address = 0;
    return n;
}

void gk_traps_init_cpu(void)
{
    struct trap_info table[GK_NR_TRAPS + 1];
    long rc;

    build_table(table, gk_cpu_id());
    rc = HYPERVISOR_set_trap_table(table);
    if (rc < 0)
        gk_printf("guest-kit: set_trap_table failed (%ld); faults will go "
                  "to pvisor\n",
                  rc);
}

void gk_traps_fill_ctxt(struct trap_info *ctxt)
{
    struct trap_info table[GK_NR_TRAPS + 1];
    unsigned int n = build_table(table, 0);

    memset(ctxt, 0, 256 * sizeof(*ctxt));
    for (unsigned int i = 0; i < n; i++)
        ctxt[table[i].vector] = table[i];
}

int gk_trap_set_handler(unsigned int vector, gk_trap_handler_t handler)
{
    if (vector >= GK_NR_TRAPS)
        return -XEN_EINVAL;
    __atomic_store_n(&handlers[vector], handler, __ATOMIC_RELEASE);
    return 0;
}

int gk_trap_release(unsigned int vector)
{
    struct trap_info table[GK_NR_TRAPS + 1];
    unsigned int cpu = gk_cpu_id();
    long rc;

    if (vector >= GK_NR_TRAPS)
        return -XEN_EINVAL;
    released[cpu] |= 1u << vector;
    build_table(table, cpu);
    /* A NULL table clears every vector (Xen semantics), then reinstall
     * all but the released one. */
    rc = HYPERVISOR_set_trap_table(NULL);
    if (rc >= 0)
        rc = HYPERVISOR_set_trap_table(table);
    return (int)rc;
}

void gk_dump_regs(const struct gk_regs *r)
{
    struct gk_cpu *cpu = gk_this_cpu();
    const char *name = r->vector < GK_NR_TRAPS && trap_names[r->vector]
                           ? trap_names[r->vector]
                           : "unknown";

    gk_printf("Trap %lu (%s) on vCPU %u, thread %s, error code 0x%lx\n",
              r->vector, name, cpu->id,
              cpu->current ? gk_thread_name(cpu->current) : "boot",
              r->error_code);
    if (r->vector == GK_TRAP_PF)
        gk_printf("cr2: %016lx (%s %s, %s)\n", cpu->vcpu_info->arch.cr2,
                  r->error_code & 1 ? "protection" : "not-present",
                  r->error_code & 2 ? "write" : "read",
                  r->error_code & 16 ? "fetch" : "data");
    gk_printf("rip: %04lx:%016lx  rsp: %04lx:%016lx  rflags: %08lx\n",
              r->cs & 0xffff, r->rip, r->ss & 0xffff, r->rsp, r->rflags);
    gk_printf("rax: %016lx  rbx: %016lx  rcx: %016lx\n", r->rax, r->rbx,
              r->rcx);
    gk_printf("rdx: %016lx  rsi: %016lx  rdi: %016lx\n", r->rdx, r->rsi,
              r->rdi);
    gk_printf("rbp: %016lx  r8:  %016lx  r9:  %016lx\n", r->rbp, r->r8, r->r9);
    gk_printf("r10: %016lx  r11: %016lx  r12: %016lx\n", r->r10, r->r11,
              r->r12);
    gk_printf("r13: %016lx  r14: %016lx  r15: %016lx\n", r->r13, r->r14,
              r->r15);
}

/* Print the words at the top of the faulting stack, if it is ours. */
static void dump_stack(const struct gk_regs *r)
{
    const uint64_t *sp = (const uint64_t *)(r->rsp & ~7UL);
    uint64_t lo = (uint64_t)_text;
    uint64_t hi = GK_VIRT_BASE + (gk_start_info.nr_pages << GK_PAGE_SHIFT);

    if ((uint64_t)sp < lo || (uint64_t)sp + 8 * 8 > hi)
        return;
    gk_printf("stack: %016lx %016lx %016lx %016lx\n", sp[0], sp[1], sp[2],
              sp[3]);
    gk_printf("       %016lx %016lx %016lx %016lx\n", sp[4], sp[5], sp[6],
              sp[7]);
}

/* Called by the asm trap entry with the saved frame. */
void gk_trap_dispatch(struct gk_regs *regs);

void gk_trap_dispatch(struct gk_regs *regs)
{
    struct gk_cpu *cpu = gk_this_cpu();
    gk_trap_handler_t h = NULL;

    if (regs->vector < GK_NR_TRAPS)
        h = __atomic_load_n(&handlers[regs->vector], __ATOMIC_ACQUIRE);
    if (h && h(regs))
        return;

    gk_irq_disable();
    if (cpu->trap_depth++ > 0) {
        /* Faulted while reporting a fault: just stop. */
        gk_puts("guest-kit: nested fatal trap, crashing");
        gk_crash();
    }
    gk_dump_regs(regs);
    dump_stack(regs);
    gk_puts("guest-kit: unhandled exception, crashing the domain");
    gk_crash();
}
