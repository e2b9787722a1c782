// SPDX-License-Identifier: MIT
/* hv_insn.c: decode the privileged x86 instructions a PV kernel must not use. */
#include <stdio.h>
#include <string.h>

#include "hv_insn.h"

static const char *const cr_hint[16] = {
    [0] = "HYPERVISOR_fpu_taskswitch for CR0.TS; other CR0 bits are fixed",
    [2] = "read the faulting address from vcpu_info->arch.cr2",
    [3] = "MMUEXT_NEW_BASEPTR (HYPERVISOR_mmuext_op) to switch page tables; "
          "the boot tables are at start_info->pt_base",
    [4] = "nothing: CR4 is owned by the hypervisor",
    [8] = "nothing: there is no local APIC; use event channels",
};

static void set(struct hv_insn *o, unsigned len, const char *text,
                const char *hint)
{
    o->len = len;
    o->privileged = hint != NULL;
    snprintf(o->text, sizeof(o->text), "%s", text);
    o->hint = hint;
}

int hv_insn_decode(const uint8_t *b, size_t n, struct hv_insn *o)
{
    size_t i = 0;
    bool rex_r = false;
    char text[64];

    memset(o, 0, sizeof(*o));
    /* Legacy prefixes, then REX. */
    while (i < n && i < 14 &&
           (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 || b[i] == 0xf3 ||
            b[i] == 0xf0 || b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e ||
            b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65))
        i++;
    if (i < n && (b[i] & 0xf0) == 0x40) {
        rex_r = b[i] & 4; /* extends ModRM.reg: %cr8 is 44 0f 20/22 */
        i++;
    }
    if (i >= n)
        return -1;

    switch (b[i]) {
    case 0xf4:
        set(o, (unsigned)i + 1, "hlt",
            "SCHEDOP_block (HYPERVISOR_sched_op) to wait for an event");
        return 0;
    case 0xfa:
        set(o, (unsigned)i + 1, "cli",
            "set vcpu_info->evtchn_upcall_mask to 1 to mask event upcalls");
        return 0;
    case 0xfb:
        set(o, (unsigned)i + 1, "sti",
            "clear vcpu_info->evtchn_upcall_mask, then check "
            "evtchn_upcall_pending");
        return 0;
    case 0xe4:
    case 0xe5:
    case 0xe6:
    case 0xe7:
    case 0xec:
    case 0xed:
    case 0xee:
    case 0xef:
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f: {
        bool in = b[i] == 0xe4 || b[i] == 0xe5 || b[i] == 0xec ||
                  b[i] == 0xed || b[i] == 0x6c || b[i] == 0x6d;
        unsigned len = (unsigned)i + 1 + (b[i] <= 0xe7 && b[i] >= 0xe4);
        if (b[i] >= 0xe4 && b[i] <= 0xe7 && i + 1 < n)
            snprintf(text, sizeof(text), "%s port 0x%02x", in ? "in" : "out",
                     b[i + 1]);
        else
            snprintf(text, sizeof(text), "%s", in ? "in" : "out");
        set(o, len, text,
            "HYPERVISOR_console_io for the console, event channels "
            "(EVTCHNOP_send) and split drivers for devices");
        return 0;
    }
    case 0xcd:
        snprintf(text, sizeof(text), "int $0x%02x", i + 1 < n ? b[i + 1] : 0);
        set(o, (unsigned)i + 2, text,
            "call hypercall_page + nr * 32 (software interrupts are not a "
            "hypercall transport)");
        return 0;
    case 0xcf:
        set(o, (unsigned)i + 1, "iret",
            "HYPERVISOR_iret to return from an event or exception frame");
        return 0;
    case 0x0f:
        break;
    default:
        return -1;
    }

    if (++i >= n)
        return -1;
    uint8_t op = b[i];
    uint8_t modrm = i + 1 < n ? b[i + 1] : 0;
    unsigned reg = (modrm >> 3) & 7, mod = modrm >> 6, rm = modrm & 7;
    unsigned len2 = (unsigned)i + 2;

    switch (op) {
    case 0x00:
        if (reg == 2 || reg == 3) {
            set(o, len2, reg == 2 ? "lldt" : "ltr",
                reg == 2 ? "MMUEXT_SET_LDT (HYPERVISOR_mmuext_op)"
                         : "nothing: the TSS belongs to the hypervisor");
            return 0;
        }
        return -1;
    case 0x01:
        if (mod == 3 && reg == 7 && rm == 0) {
            set(o, len2, "swapgs",
                "HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, ...)");
            return 0;
        }
        if (mod == 3 && reg == 1 && (rm == 0 || rm == 1)) {
            set(o, len2, rm ? "mwait" : "monitor",
                "SCHEDOP_block (HYPERVISOR_sched_op) to idle");
            return 0;
        }
        if (mod == 3 && (reg == 2 || reg == 3))
            return -1; /* xgetbv, xsetbv, vmrun...: not lgdt/lidt */
        switch (reg) {
        case 2:
            set(o, len2, "lgdt",
                "HYPERVISOR_set_gdt; pvisor provides the flat selectors");
            return 0;
        case 3:
            set(o, len2, "lidt",
                "HYPERVISOR_set_trap_table to install exception handlers");
            return 0;
        case 6:
            set(o, len2, "lmsw", cr_hint[0]);
            return 0;
        case 7:
            if (mod != 3) {
                set(o, len2, "invlpg",
                    "MMUEXT_INVLPG_LOCAL (HYPERVISOR_mmuext_op), or "
                    "update_va_mapping with UVMF_INVLPG");
                return 0;
            }
            return -1;
        }
        return -1;
    case 0x05:
        set(o, (unsigned)i + 1, "syscall",
            "call hypercall_page + nr * 32, or syscall with the "
            "hypercall number in rax");
        return 0;
    case 0x06:
        set(o, (unsigned)i + 1, "clts", cr_hint[0]);
        return 0;
    case 0x07:
    case 0x35:
        set(o, (unsigned)i + 1, op == 0x07 ? "sysret" : "sysexit",
            "HYPERVISOR_iret");
        return 0;
    case 0x08:
    case 0x09:
        set(o, (unsigned)i + 1, op == 0x08 ? "invd" : "wbinvd",
            "MMUEXT_FLUSH_CACHE (HYPERVISOR_mmuext_op)");
        return 0;
    case 0x0b:
        set(o, (unsigned)i + 1, "ud2",
            "nothing: ud2 is a deliberate invalid opcode (BUG())");
        o->privileged = false;
        return 0;
    case 0x20:
    case 0x22: {
        unsigned cr = reg | (rex_r ? 8u : 0u);
        snprintf(text, sizeof(text), "mov %s%%cr%u%s",
                 op == 0x20 ? "" : "..., ", cr, op == 0x20 ? ", ..." : "");
        set(o, len2, text,
            cr_hint[cr] ? cr_hint[cr] : "nothing: not available to guests");
        return 0;
    }
    case 0x21:
    case 0x23:
        set(o, len2, op == 0x21 ? "mov %dr, ..." : "mov ..., %dr",
            op == 0x21 ? "HYPERVISOR_get_debugreg" : "HYPERVISOR_set_debugreg");
        return 0;
    case 0x30:
    case 0x32:
        set(o, (unsigned)i + 1, op == 0x30 ? "wrmsr" : "rdmsr",
            "HYPERVISOR_set_segment_base for FS/GS bases; time comes from "
            "vcpu_time_info; other MSRs are not available to guests");
        return 0;
    case 0x33:
        set(o, (unsigned)i + 1, "rdpmc",
            "nothing: performance counters are not available to guests");
        return 0;
    default:
        return -1;
    }
}
