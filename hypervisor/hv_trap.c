// SPDX-License-Identifier: MIT
/* hv_trap.c: trap table, exception stubs, HYPERVISOR_iret, crash reports. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"
#include "hv_insn.h"
#include "hv_trap.h"

static const char *const vec_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
};

void hv_trap_reset_vcpu(struct hv_vcpu *v)
{
    for (unsigned vec = 0; vec < 256; vec++) {
        v->trap_handler[vec] = 0;
        v->trap_dpl[vec] = 0;
        v->d->plat->set_trap(v, vec, 0, 0);
    }
    v->event_callback = v->failsafe_callback = 0;
    v->fs_base = v->gs_base_kernel = v->gs_base_user = 0;
    v->trace_pos = 0;
    memset(v->trace, 0, sizeof(v->trace));
}

int hv_trap_set(struct hv_vcpu *v, unsigned vector, unsigned flags, unsigned cs,
                uint64_t address)
{
    if (vector > 255)
        return -XEN_EINVAL;
    if (address && !hv_guest_va_ok(address))
        return -XEN_EINVAL;
    if (address && cs != 0 && cs != FLAT_KERNEL_CS &&
        cs != (FLAT_KERNEL_CS & ~3u))
        return -XEN_EINVAL;
    /* Vectors 0-31 are exceptions; an NMI (2) or #DF (8) handler runs on a
     * possibly broken stack, so pvisor keeps those for its report. */
    if (vector == 2 || vector == 8)
        return 0;
    v->trap_handler[vector] = address;
    v->trap_dpl[vector] = flags & 7;
    v->d->plat->set_trap(v, vector, address, flags & 3);
    return 0;
}

long hv_do_set_trap_table(struct hv_vcpu *v, uint64_t table, uint64_t a2,
                          uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (!table) {
        for (unsigned vec = 0; vec < 256; vec++)
            (void)hv_trap_set(v, vec, 0, 0, 0);
        return 0;
    }
    for (unsigned i = 0; i < 256; i++) {
        struct trap_info ti;
        int rc = hv_copy_from_guest(v, &ti, table + i * sizeof(ti), sizeof(ti));
        if (rc)
            return rc;
        if (!ti.address)
            return 0;
        rc = hv_trap_set(v, ti.vector, ti.flags, ti.cs, ti.address);
        if (rc)
            return rc;
    }
    return 0;
}

long hv_do_iret(struct hv_vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t a5)
{
    struct iret_context ic;
    struct shared_info *sh;
    int rc;

    rc = hv_copy_from_guest(v, &ic, v->regs.rsp, sizeof(ic));
    if (rc || !hv_guest_va_ok(ic.rip) || !hv_guest_va_ok(ic.rsp)) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "HYPERVISOR_iret with a bad frame at "
                 "rsp 0x%llx",
                 (unsigned long long)v->regs.rsp);
        hv_domain_crash(v->d, msg);
        return HV_HC_NORESULT;
    }
    v->regs.rax = ic.rax;
    if (!(ic.flags & VGCF_in_syscall)) {
        v->regs.r11 = ic.r11;
        v->regs.rcx = ic.rcx;
    }
    v->regs.rip = ic.rip;
    v->regs.rsp = ic.rsp;
    v->regs.rflags = (ic.rflags & HV_RFLAGS_USER_MASK) | HV_RFLAGS_INIT;
    v->regs_dirty = true;
    /* As in Xen: the saved IF decides whether upcalls are unmasked. */
    sh = hv_shared_info(v->d);
    __atomic_store_n(&sh->vcpu_info[v->id].evtchn_upcall_mask,
                     (ic.rflags & 0x200) ? 0 : 1, __ATOMIC_RELEASE);
    return HV_HC_NORESULT;
}

void hv_trap_trace(struct hv_vcpu *v, uint32_t nr, long res)
{
    unsigned i = v->trace_pos++ % 8;
    v->trace[i].nr = nr;
    v->trace[i].res = res;
}

static int append(char *out, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *out, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos >= len)
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(out + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n < len - *pos ? (size_t)n : len - *pos - 1;
    return n;
}

static void describe_regs(struct hv_vcpu *v, const struct hv_regs *r,
                          const char *what, uint64_t cr2, bool have_cr2,
                          char *out, size_t len)
{
    size_t pos = 0;
    uint8_t code[16];
    size_t ncode = sizeof(code);
    struct hv_insn insn;

    append(out, len, &pos, "d%uv%u %s\n", v->d->domid, v->id, what);
    append(out, len, &pos, "  platform: %s\n", v->d->plat->name);
    /* Near the end of a mapping, only the bytes up to the page end. */
    if (hv_copy_from_guest(v, code, r->rip, ncode) != 0) {
        ncode = HV_PAGE_SIZE - (r->rip & (HV_PAGE_SIZE - 1));
        if (ncode >= sizeof(code) ||
            hv_copy_from_guest(v, code, r->rip, ncode) != 0)
            ncode = 0;
    }
    if (ncode) {
        if (hv_insn_decode(code, ncode, &insn) == 0) {
            append(out, len, &pos, "  instruction at rip: %s", insn.text);
            if (insn.privileged)
                append(out, len, &pos,
                       " (privileged: not allowed at CPL3)"
                       "\n  a PV kernel uses instead: %s\n",
                       insn.hint);
            else
                append(out, len, &pos, " (%s)\n", insn.hint);
        } else {
            append(out, len, &pos, "  code at rip:");
            for (size_t i = 0; i < ncode && i < 8; i++)
                append(out, len, &pos, " %02x", code[i]);
            append(out, len, &pos, "\n");
        }
    } else {
        append(out, len, &pos, "  rip 0x%llx is not mapped\n",
               (unsigned long long)r->rip);
    }
    append(out, len, &pos,
           "  rip %016llx rsp %016llx rflags %016llx\n"
           "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
           "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
           "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
           "  r13 %016llx r14 %016llx r15 %016llx cr3 %016llx\n",
           (unsigned long long)r->rip, (unsigned long long)r->rsp,
           (unsigned long long)r->rflags, (unsigned long long)r->rax,
           (unsigned long long)r->rbx, (unsigned long long)r->rcx,
           (unsigned long long)r->rdx, (unsigned long long)r->rsi,
           (unsigned long long)r->rdi, (unsigned long long)r->rbp,
           (unsigned long long)r->r8, (unsigned long long)r->r9,
           (unsigned long long)r->r10, (unsigned long long)r->r11,
           (unsigned long long)r->r12, (unsigned long long)r->r13,
           (unsigned long long)r->r14, (unsigned long long)r->r15,
           (unsigned long long)v->cr3);
    if (have_cr2)
        append(out, len, &pos, "  cr2 %016llx\n", (unsigned long long)cr2);
    append(out, len, &pos, "  last hypercalls:");
    unsigned n = v->trace_pos < 8 ? v->trace_pos : 8;
    if (!n)
        append(out, len, &pos, " none");
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (v->trace_pos - n + k) % 8;
        const struct hv_hypercall *hc = hv_hypercall_lookup(v->trace[i].nr);
        append(out, len, &pos, " %s=%ld", hc ? hc->name : "?", v->trace[i].res);
    }
    append(out, len, &pos, "\n");
}

void hv_trap_describe(struct hv_vcpu *v, const char *what, char *out,
                      size_t len)
{
    struct hv_regs r;

    if (hv_vcpu_regs(v) != 0) {
        snprintf(out, len, "d%uv%u %s (registers unavailable)", v->d->domid,
                 v->id, what);
        return;
    }
    r = v->regs;
    describe_regs(v, &r, what, 0, false, out, len);
}

static bool vec_has_errcode(unsigned vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 ||
           vec == 29 || vec == 30;
}

void hv_trap_port(struct hv_vcpu *v, uint32_t val)
{
    unsigned vec = val & 0xff;
    uint64_t frame[7]; /* rax, error, rip, cs, rflags, rsp, ss */
    struct hv_regs r;
    uint64_t cr2 = 0;
    bool have_cr2 = false;
    char what[160], report[3072];

    if (hv_vcpu_regs(v)) {
        hv_domain_crash(v->d, "exception: cannot read registers");
        return;
    }
    atomic_fetch_add_explicit(&v->st_traps, 1, memory_order_relaxed);
    r = v->regs;
    if (vec == 14 && v->d->plat->get_cr2(v, &cr2) == 0)
        have_cr2 = true;
    if (hv_copy_from_guest(v, frame, v->regs.rsp, sizeof(frame)) != 0) {
        snprintf(what, sizeof(what), "exception %u with an unreadable stack",
                 vec);
        describe_regs(v, &r, what, cr2, have_cr2, report, sizeof(report));
        hv_domain_crash(v->d, report);
        return;
    }
    if (vec == 14 && v->trap_handler[14] && have_cr2) {
        /* Reflect the page fault with the hardware frame, CR2 published. */
        struct shared_info *sh = hv_shared_info(v->d);
        __atomic_store_n(&sh->vcpu_info[v->id].arch.cr2, cr2, __ATOMIC_RELEASE);
        v->regs.rax = frame[0];
        v->regs.rsp += 8;
        v->regs.rip = v->trap_handler[14];
        v->regs_dirty = true;
        return;
    }
    r.rax = frame[0];
    r.rip = frame[2];
    r.rflags = frame[4];
    r.rsp = frame[5];
    if (vec < 32 && vec_names[vec])
        snprintf(what, sizeof(what), "crashed: %s (vector %u)%s",
                 vec_names[vec], vec, "");
    else
        snprintf(what, sizeof(what), "crashed: vector %u", vec);
    if (vec_has_errcode(vec)) {
        size_t l = strlen(what);
        snprintf(what + l, sizeof(what) - l, ", error code 0x%llx",
                 (unsigned long long)frame[1]);
    }
    {
        size_t l = strlen(what);
        snprintf(what + l, sizeof(what) - l, "%s",
                 v->trap_handler[vec] ? "" : " with no guest handler");
    }
    describe_regs(v, &r, what, cr2, have_cr2, report, sizeof(report));
    hv_domain_crash(v->d, report);
}

/*
 * An exception the platform caught outside the guest (proc): deliver it
 * as the CPU would through a DPL-3 gate, with the hardware frame
 * [error code], rip, cs, rflags, rsp, ss on the 16-aligned stack, and CR2
 * in vcpu_info for #PF. Without a guest handler: a crash report.
 */
void hv_trap_exception(struct hv_vcpu *v, unsigned vec, uint64_t err,
                       uint64_t cr2)
{
    uint64_t frame[6];
    unsigned n = 0;
    uint64_t rsp;
    char what[160], report[3072];
    bool has_err = vec_has_errcode(vec);

    if (hv_vcpu_regs(v)) {
        hv_domain_crash(v->d, "exception: cannot read registers");
        return;
    }
    if (vec < 256 && v->trap_handler[vec]) {
        if (has_err)
            frame[n++] = err;
        frame[n++] = v->regs.rip;
        frame[n++] = v->d->plat->user_cs;
        frame[n++] = v->regs.rflags;
        frame[n++] = v->regs.rsp;
        frame[n++] = v->d->plat->user_ss;
        rsp = (v->regs.rsp & ~15ULL) - n * 8;
        if (v->regs.rsp >= n * 8 + 16 &&
            hv_copy_to_guest(v, rsp, frame, n * 8) == 0) {
            if (vec == 14) {
                struct shared_info *sh = hv_shared_info(v->d);
                __atomic_store_n(&sh->vcpu_info[v->id].arch.cr2, cr2,
                                 __ATOMIC_RELEASE);
            }
            v->regs.rsp = rsp;
            v->regs.rip = v->trap_handler[vec];
            v->regs_dirty = true;
            return;
        }
        snprintf(what, sizeof(what),
                 "crashed: exception %u with an unwritable stack", vec);
    } else if (vec < 32 && vec_names[vec]) {
        snprintf(what, sizeof(what), "crashed: %s (vector %u)%s%s",
                 vec_names[vec], vec, has_err ? ", error code" : "",
                 has_err ? "" : "");
        if (has_err) {
            size_t l = strlen(what);
            snprintf(what + l, sizeof(what) - l, " 0x%llx",
                     (unsigned long long)err);
        }
        size_t l = strlen(what);
        snprintf(what + l, sizeof(what) - l, " with no guest handler");
    } else {
        snprintf(what, sizeof(what), "crashed: vector %u with no guest handler",
                 vec);
    }
    describe_regs(v, &v->regs, what, cr2, vec == 14, report, sizeof(report));
    hv_domain_crash(v->d, report);
}
