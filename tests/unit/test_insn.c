// SPDX-License-Identifier: MIT
/* test_insn.c: the privileged-instruction decoder and pvclock scaling. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_insn.h"
#include "unit.h"

struct insn_case {
    uint8_t b[8];
    size_t n;
    int rc;
    const char *text; /* exact, when rc == 0 */
    bool privileged;
    const char *hint; /* substring of the hint */
    unsigned len;
};

#define B(...)        { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })
#define PRIV(t, h, l) 0, t, true, h, l
#define NOT_PRIV      -1, NULL, false, NULL, 0

static const struct insn_case insn_cases[] = {
    { B(0xf4), PRIV("hlt", "SCHEDOP_block", 1) },
    { B(0xfa), PRIV("cli", "evtchn_upcall_mask", 1) },
    { B(0xfb), PRIV("sti", "evtchn_upcall_mask", 1) },
    { B(0xe7, 0xe4), PRIV("out port 0xe4", "HYPERVISOR_console_io", 2) },
    { B(0xe4, 0x60), PRIV("in port 0x60", "EVTCHNOP_send", 2) },
    { B(0xec), PRIV("in", "console_io", 1) },
    { B(0xee), PRIV("out", "console_io", 1) },
    { B(0xcd, 0x80), PRIV("int $0x80", "hypercall_page", 2) },
    { B(0xcf), PRIV("iret", "HYPERVISOR_iret", 1) },
    { B(0x48, 0xcf), PRIV("iret", "HYPERVISOR_iret", 2) },
    { B(0x0f, 0x20, 0xd8), PRIV("mov %cr3, ...", "MMUEXT_NEW_BASEPTR", 3) },
    { B(0x0f, 0x22, 0xd8), PRIV("mov ..., %cr3", "MMUEXT_NEW_BASEPTR", 3) },
    { B(0x0f, 0x22, 0xc0), PRIV("mov ..., %cr0", "fpu_taskswitch", 3) },
    { B(0x0f, 0x20, 0xd0), PRIV("mov %cr2, ...", "arch.cr2", 3) },
    { B(0x0f, 0x22, 0xe0), PRIV("mov ..., %cr4", "CR4", 3) },
    { B(0x44, 0x0f, 0x22, 0xc0), PRIV("mov ..., %cr8", "local APIC", 4) },
    { B(0x44, 0x0f, 0x20, 0xc0), PRIV("mov %cr8, ...", "local APIC", 4) },
    { B(0x0f, 0x01, 0x10), PRIV("lgdt", "HYPERVISOR_set_gdt", 3) },
    { B(0x0f, 0x01, 0x15, 0, 0, 0, 0), PRIV("lgdt", "set_gdt", 3) },
    { B(0x0f, 0x01, 0x18), PRIV("lidt", "set_trap_table", 3) },
    { B(0x0f, 0x01, 0x5d, 0x08), PRIV("lidt", "set_trap_table", 3) },
    { B(0x0f, 0x01, 0x38), PRIV("invlpg", "MMUEXT_INVLPG_LOCAL", 3) },
    { B(0x0f, 0x01, 0xf8), PRIV("swapgs", "SEGBASE_GS_USER_SEL", 3) },
    { B(0x0f, 0x01, 0xc8), PRIV("monitor", "SCHEDOP_block", 3) },
    { B(0x0f, 0x01, 0xc9), PRIV("mwait", "SCHEDOP_block", 3) },
    { B(0x0f, 0x01, 0xf0), PRIV("lmsw", "fpu_taskswitch", 3) },
    { B(0x0f, 0x00, 0xd0), PRIV("lldt", "MMUEXT_SET_LDT", 3) },
    { B(0x0f, 0x00, 0xd8), PRIV("ltr", "TSS", 3) },
    { B(0x0f, 0x30), PRIV("wrmsr", "set_segment_base", 2) },
    { B(0x0f, 0x32), PRIV("rdmsr", "set_segment_base", 2) },
    { B(0x0f, 0x33), PRIV("rdpmc", "performance counters", 2) },
    { B(0x0f, 0x09), PRIV("wbinvd", "MMUEXT_FLUSH_CACHE", 2) },
    { B(0x0f, 0x08), PRIV("invd", "MMUEXT_FLUSH_CACHE", 2) },
    { B(0x0f, 0x06), PRIV("clts", "fpu_taskswitch", 2) },
    { B(0x0f, 0x05), PRIV("syscall", "hypercall_page", 2) },
    { B(0x48, 0x0f, 0x07), PRIV("sysret", "HYPERVISOR_iret", 3) },
    { B(0x0f, 0x21, 0xc0), PRIV("mov %dr, ...", "get_debugreg", 3) },
    { B(0x0f, 0x23, 0xc0), PRIV("mov ..., %dr", "set_debugreg", 3) },
    /* Prefixes are skipped and counted. */
    { B(0x66, 0xf4), PRIV("hlt", "SCHEDOP_block", 2) },
    { B(0x48, 0x0f, 0x22, 0xd8),
      PRIV("mov ..., %cr3", "MMUEXT_NEW_BASEPTR", 4) },
    { B(0x66, 0x48, 0x0f, 0x20, 0xd8),
      PRIV("mov %cr3, ...", "MMUEXT_NEW_BASEPTR", 5) },
    { B(0xf3, 0x2e, 0x0f, 0x09), PRIV("wbinvd", "FLUSH_CACHE", 4) },
    { B(0x66, 0xe7, 0xe4), PRIV("out port 0xe4", "console_io", 3) },
    /* Notable but not privileged. */
    { B(0x0f, 0x0b), 0, "ud2", false, "BUG()", 2 },
    /* Not known. */
    { B(0x90), NOT_PRIV },
    { B(0x48, 0x89, 0xc8), NOT_PRIV },
    { B(0xc3), NOT_PRIV },
    { B(0x0f, 0xa2), NOT_PRIV },       /* cpuid */
    { B(0x0f, 0x31), NOT_PRIV },       /* rdtsc */
    { B(0x0f, 0x01, 0xf9), NOT_PRIV }, /* rdtscp */
    { B(0x0f, 0x01, 0xd0), NOT_PRIV }, /* xgetbv, not lgdt */
    { B(0x0f, 0x01, 0xd8), NOT_PRIV }, /* vmrun, not lidt */
    { B(0x0f, 0x01, 0x00), NOT_PRIV }, /* sgdt */
    { B(0x0f, 0x01, 0x08), NOT_PRIV }, /* sidt */
    { B(0x0f, 0x00, 0xc0), NOT_PRIV }, /* sldt */
    { B(0x0f), NOT_PRIV },             /* truncated */
    { B(0x66), NOT_PRIV },
    { B(0x48), NOT_PRIV },
    { B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66), NOT_PRIV },
};

static void test_decode_table(void)
{
    size_t n = sizeof(insn_cases) / sizeof(insn_cases[0]);

    for (size_t i = 0; i < n; i++) {
        const struct insn_case *c = &insn_cases[i];
        struct hv_insn o;
        int rc = hv_insn_decode(c->b, c->n, &o);
        bool ok = rc == c->rc && o.privileged == c->privileged;

        CU_ASSERT_EQUAL(rc, c->rc);
        CU_ASSERT_EQUAL(o.privileged, c->privileged);
        if (c->rc == 0) {
            CU_ASSERT_STRING_EQUAL(o.text, c->text);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o.hint);
            CU_ASSERT_PTR_NOT_NULL(strstr(o.hint, c->hint));
            CU_ASSERT_EQUAL(o.len, c->len);
            ok = ok && strcmp(o.text, c->text) == 0 &&
                 strstr(o.hint, c->hint) && o.len == c->len;
        }
        if (!ok)
            fprintf(stderr,
                    "\n  case %zu (%02x %02x %02x): rc %d '%s' "
                    "len %u\n",
                    i, c->b[0], c->b[1], c->b[2], rc, o.text, o.len);
    }
}

static void test_decode_empty(void)
{
    struct hv_insn o;
    uint8_t b = 0xf4;

    CU_ASSERT_EQUAL(hv_insn_decode(&b, 0, &o), -1);
    CU_ASSERT_FALSE(o.privileged);
    CU_ASSERT_EQUAL(o.text[0], '\0');
}

/* ns for 'ticks' the way a guest computes them from vcpu_time_info. */
static uint64_t scale(uint64_t ticks, uint32_t mul, int8_t shift)
{
    uint64_t t = shift >= 0 ? ticks << shift : ticks >> -shift;

    return (uint64_t)(((unsigned __int128)t * mul) >> 32);
}

static void test_time_scale(void)
{
    static const uint64_t hz[] = {
        1000000000ULL, 2500000000ULL, 3000000000ULL, 100000000ULL,
        4200000000ULL, 2000000000ULL, 1999999999ULL, 2000000001ULL,
        1000000001ULL, 3579545ULL,    32768ULL,      19200000ULL,
        5600000000ULL,
    };

    for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
        uint32_t mul = 0;
        int8_t shift = 99;
        uint64_t ns, err;

        hv_time_scale(hz[i], &mul, &shift);
        CU_ASSERT(mul >= 1u << 31); /* full precision */
        ns = scale(hz[i], mul, shift);
        err = ns > 1000000000ULL ? ns - 1000000000ULL : 1000000000ULL - ns;
        CU_ASSERT(err <= 1000); /* 1 ppm */
        /* Ten seconds stay within 1 ppm as well. */
        ns = scale(hz[i] * 10, mul, shift);
        err = ns > 10000000000ULL ? ns - 10000000000ULL : 10000000000ULL - ns;
        CU_ASSERT(err <= 10000);
        if (err > 10000)
            fprintf(stderr, "\n  %llu Hz: mul %u shift %d -> %llu ns\n",
                    (unsigned long long)hz[i], mul, shift,
                    (unsigned long long)ns);
    }
}

static void test_time_scale_exact(void)
{
    uint32_t mul;
    int8_t shift;

    hv_time_scale(1000000000ULL, &mul, &shift);
    CU_ASSERT_EQUAL(mul, 1u << 31);
    CU_ASSERT_EQUAL(shift, 1);
    hv_time_scale(0, &mul, &shift); /* unknown rate: taken as 1 GHz */
    CU_ASSERT_EQUAL(mul, 1u << 31);
    CU_ASSERT_EQUAL(shift, 1);
    hv_time_scale(4000000000ULL, &mul, &shift);
    CU_ASSERT_EQUAL(mul, 1u << 31);
    CU_ASSERT_EQUAL(shift, -1);
    hv_time_scale(2500000000ULL, &mul, &shift);
    CU_ASSERT_EQUAL(shift, -1);
    CU_ASSERT_EQUAL(mul, 3435973836u); /* 2^32 / 1.25 */
}

static const struct unit_test tests[] = {
    { "decode table", test_decode_table },
    { "decode nothing", test_decode_empty },
    { "pvclock scale within 1 ppm", test_time_scale },
    { "pvclock scale exact values", test_time_scale_exact },
    { NULL, NULL },
};

const struct unit_suite unit_suite_insn = {
    "insn",
    NULL,
    NULL,
    tests,
};
