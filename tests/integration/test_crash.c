// SPDX-License-Identifier: MIT
/* test_crash.c: privileged instructions and wild pointers in guests. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hx_extra.h"

/* After any crash, pvisor still boots a healthy guest. */
static void hello_still_boots(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", NULL };
    struct hx_dominfo w;
    const char *out;

    HX_REQUIRE(hx_create(NULL, "hello", "it-after", ov) >= 0,
               "create hello after the crash");
    out = hx_console("it-after", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(strstr(out, "Hello from guestkit") != NULL,
             "hello boots after the crash: '%s'", out);
    w = hx_wait("it-after", 10);
    HX_CHECK(hx_poweroff(&w, 0), "hello exits 0 after the crash: '%s'", w.text);
}

/*
 * Runs bad-insn with insn=INSN; the report must name the instruction
 * (`what`) and the hypercall to use instead (`hint`).
 */
static void bad_insn(const char *insn, const char *what, const char *hint)
{
    const char *ov[] = { hx_fmt("cmdline=\"insn=%s\"", insn),
                         "on_crash=\"preserve\"", NULL };
    const char *name = hx_fmt("it-bad-%s", insn);
    struct hx_dominfo w, l;
    struct hx_run r;
    const char *out;
    int domid;

    domid = hx_create(&r, "bad-insn", name, ov);
    HX_REQUIRE(domid >= 0, "create bad-insn: %s", r.err);
    out = hx_console(name, HX_GUEST_MS, NULL, NULL);
    HX_CHECK(strstr(out, hx_fmt("bad-insn: executing '%s'", insn)) != NULL,
             "the guest ran up to the instruction: '%s'", out);
    HX_CHECK(!strstr(out, "executed without a fault"),
             "'%s' must not execute at CPL3: '%s'", insn, out);

    w = hx_wait(name, 10);
    HX_CHECK(!strcmp(w.state, "crashed"), "pvctl wait says crashed: '%s'",
             w.text);
    l = hx_dominfo(name);
    HX_CHECK(l.found && !strcmp(l.state, "crashed"),
             "list -l says crashed (on_crash=preserve): '%s'", l.text);
    HX_CHECK(strstr(l.text, "crash_report:") != NULL,
             "list -l carries the crash report: '%s'", l.text);
    HX_CHECK(strstr(l.text, what) != NULL,
             "the report names the instruction '%s': '%s'", what, l.text);
    HX_CHECK(strstr(l.text, hint) != NULL,
             "the report names the hypercall '%s': '%s'", hint, l.text);

    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "dmesg", NULL) == 0, "run dmesg");
    HX_REQUIRE_OK(&r, "pvctl dmesg");
    HX_CHECK(strstr(r.out, what) != NULL && strstr(r.out, hint) != NULL,
             "dmesg names '%s' and '%s': '%s'", what, hint, r.out);

    /* Only that domain crashed: the rest goes on. */
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "destroy", name, NULL) == 0, "run");
    HX_REQUIRE_OK(&r, "pvctl destroy of the crashed domain");
    hello_still_boots();
}

static void test_bad_insn_hlt(void)
{
    bad_insn("hlt", "hlt", "sched_op");
}

static void test_bad_insn_cr3(void)
{
    bad_insn("cr3", "%cr3", "mmuext_op");
}

static void test_bad_insn_wrmsr(void)
{
    bad_insn("wrmsr", "wrmsr", "set_segment_base");
}

static void test_bad_insn_lgdt(void)
{
    bad_insn("lgdt", "lgdt", "set_gdt");
}

static void test_bad_insn_invlpg(void)
{
    bad_insn("invlpg", "invlpg", "mmuext_op");
}

/* The guest-kit trap handler path: the guest reports, then crashes. */
static void test_bad_insn_guest_trap(void)
{
    const char *ov[] = { "cmdline=\"insn=hlt trap=guest\"",
                         "on_crash=\"preserve\"", NULL };
    struct hx_dominfo w;
    const char *out;

    HX_REQUIRE(hx_create(NULL, "bad-insn", "it-bad-guest", ov) >= 0, "create");
    out = hx_console("it-bad-guest", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(strstr(out, "guest-kit reports it") != NULL,
             "the guest ran up to the instruction: '%s'", out);
    HX_CHECK(hx_contains_ci(out, "rip"),
             "guest-kit's trap handler dumps the registers: '%s'", out);
    w = hx_wait("it-bad-guest", 10);
    HX_CHECK(!strcmp(w.state, "crashed"),
             "the guest crashed after its trap handler: '%s'", w.text);
    hello_still_boots();
}

/* The number of bad hypercalls guest-kit/examples/bad-ptr.c makes. */
#define BAD_PTR_CALLS 28

static void test_bad_ptr(void)
{
    const char *ov[] = { "on_poweroff=\"preserve\"", "on_crash=\"preserve\"",
                         NULL };
    struct hx_dominfo w;
    unsigned rej = 0, total = 0;
    const char *out, *p;

    HX_REQUIRE(hx_create(NULL, "bad-ptr", "it-bad-ptr", ov) >= 0, "create");
    out = hx_console("it-bad-ptr", HX_GUEST_MS, NULL, NULL);
    HX_CHECK(!strstr(out, "ACCEPTED"), "every bad hypercall is rejected: '%s'",
             out);
    HX_CHECK(!strstr(out, "WRONG ERRNO"),
             "each with its own errno (-EFAULT, -EINVAL; -ENOSYS only for "
             "hypercalls that do not exist): '%s'",
             out);
    p = strstr(out, "bad-ptr: still running after ");
    HX_CHECK(p != NULL, "bad-ptr survives its own hypercalls: '%s'", out);
    p = strstr(out, "hypercalls rejected");
    while (p && p > out && p[-1] != '\n')
        p--;
    HX_CHECK(p && sscanf(p, "bad-ptr: %u/%u", &rej, &total) == 2 &&
                 total == BAD_PTR_CALLS && rej == total,
             "'bad-ptr: %u/%u hypercalls rejected': '%s'", BAD_PTR_CALLS,
             BAD_PTR_CALLS, out);
    w = hx_wait("it-bad-ptr", 10);
    HX_CHECK(hx_poweroff(&w, 0), "bad-ptr exits 0: '%s'", w.text);
    hello_still_boots();
}

/*
 * A guest that points L4 slot 255 (pvisor's GDT, IDT, TSS) at a copy of
 * its own by writing its page table directly: pvisor ends it at the next
 * exit instead of running it on tables it could then edit.
 */
static void test_priv_slot_write(void)
{
    struct hx_dominfo w, l;
    struct hx_run r = { 0 };
    const char *out;

    /* Kept after a poweroff too: on proc the guest ends by itself. */
    const char *keep[] = { "on_poweroff=\"preserve\"", NULL };

    HX_REQUIRE(hxe_create(&r, hxe_test_cfg("slot255"), "slot255", "it-slot255",
                          keep) > 0,
               "create slot255: %s", r.err ? r.err : "");
    out = hx_console("it-slot255", HX_GUEST_MS, NULL, NULL);
    if (!strcmp(hx.platform, "proc")) {
        /* On proc nothing of pvisor's is in the guest's tables: slot 255
         * of its L4 is empty (the host process keeps the stub there, which
         * pvisor never maps from guest page tables), so there is nothing
         * to replace. */
        HX_CHECK(strstr(out, "slot255: cannot set up (slot 0x0)") != NULL,
                 "slot 255 of a proc guest's L4 is empty: '%s'", out);
        w = hx_wait("it-slot255", 10);
        HX_CHECK(!strcmp(w.state, "shutdown") && w.code == 2,
                 "the guest stopped by itself: '%s'", w.text);
        hx_pvctl(&r, HX_CMD_MS, "destroy", "it-slot255", NULL);
        hello_still_boots();
        return;
    }
    HX_CHECK(strstr(out, "slot255: replaced slot 255") != NULL,
             "the guest wrote the entry: '%s'", out);
    HX_CHECK(!strstr(out, "still running on its own slot 255"),
             "pvisor ran the guest on its own slot 255: '%s'", out);
    w = hx_wait("it-slot255", 10);
    HX_CHECK(!strcmp(w.state, "crashed"), "pvctl wait says crashed: '%s'",
             w.text);
    l = hx_dominfo("it-slot255");
    HX_CHECK(strstr(l.text, "L4 slot 255") != NULL,
             "the crash report names slot 255: '%s'", l.text);
    HX_REQUIRE(hx_pvctl(&r, HX_CMD_MS, "destroy", "it-slot255", NULL) == 0,
               "run");
    hello_still_boots();
}

/* The fuzz guest (tests/guests) with cmdline `extra`; its console. */
static const char *fuzz_guest(const char *name, const char *extra)
{
    const char *ov[] = {
        hx_fmt("kernel=\"%s/guests/fuzz.elf\"", hx.build),
        hx_fmt("cmdline=\"%s\"", extra),
        "on_crash=\"preserve\"",
        "on_poweroff=\"preserve\"",
        NULL,
    };
    struct hx_run r;

    HX_REQUIRE(hx_create(&r, "hello", name, ov) >= 0, "create fuzz: %s", r.err);
    return hx_console(name, HX_GUEST_MS, NULL, NULL);
}

/* `out` to the syscall port from anywhere but pvisor's stub: a crash. */
static void test_syscall_port(void)
{
    const char *out = fuzz_guest("it-sysport", "sysport=1");
    struct hx_dominfo l;

    HX_CHECK(!strstr(out, "ACCEPTED"), "the port refused: '%s'", out);
    HX_CHECK(!strcmp(hx_wait("it-sysport", 10).state, "crashed"),
             "the domain crashed: '%s'", out);
    l = hx_dominfo("it-sysport");
    if (!strcmp(hx.platform, "kvm"))
        HX_CHECK(strstr(l.text, "out to port 0xf0 at rip 0x") &&
                     strstr(l.text, ", outside pvisor's syscall stub"),
                 "the report says why: '%s'", l.text);
    else
        HX_CHECK(strstr(l.text, "out to port 0xf0 at rip 0x") &&
                     strstr(l.text, ": pvisor's syscall port, which the proc "
                                    "platform does not use (its hypercall "
                                    "is `syscall` itself)"),
                 "the report says why: '%s'", l.text);
    hello_still_boots();
}

/*
 * KVM: a jump into the stub is only a hypercall that returns to rcx.
 * proc has no stub: nothing is mapped at that address of slot 255 (the
 * stub process's text is at 0x7fe000000000), so the guest takes a
 * not-present instruction-fetch #PF there, which guest-kit reports
 * before crashing the domain.
 */
static void test_syscall_stub_jump(void)
{
    const char *out = fuzz_guest("it-stubjump", "stubjump=1");

    if (!strcmp(hx.platform, "kvm")) {
        HX_CHECK(strstr(out, "xen_version = 0x40011") != NULL,
                 "the jump made a hypercall and came back: '%s'", out);
        HX_CHECK(!strcmp(hx_wait("it-stubjump", 10).state, "shutdown"),
                 "the guest ended normally: '%s'", out);
        return;
    }
    HX_CHECK(strstr(out, "Trap 14 (#PF page fault) on vCPU 0, thread main, "
                         "error code 0x14\n"
                         "cr2: 00007f8000017000 (not-present read, fetch)\n"
                         "rip: 0033:00007f8000017000") != NULL,
             "the jump is a fetch #PF at the stub's address: '%s'", out);
    HX_CHECK(!strstr(out, "jumped into the syscall stub"),
             "nothing ran there: '%s'", out);
    HX_CHECK(!strcmp(hx_wait("it-stubjump", 10).state, "crashed"),
             "guest-kit crashed the domain: '%s'", out);
}

static const struct integ_test tests[] = {
    { "bad_insn_hlt", test_bad_insn_hlt },
    { "bad_insn_cr3", test_bad_insn_cr3 },
    { "bad_insn_wrmsr", test_bad_insn_wrmsr },
    { "bad_insn_lgdt", test_bad_insn_lgdt },
    { "bad_insn_invlpg", test_bad_insn_invlpg },
    { "bad_insn_guest_trap", test_bad_insn_guest_trap },
    { "bad_ptr", test_bad_ptr },
    { "priv_slot_write", test_priv_slot_write },
    { "syscall_port", test_syscall_port },
    { "syscall_stub_jump", test_syscall_stub_jump },
    { NULL, NULL },
};

const struct integ_suite integ_suite_crash = { "crash", true, tests };
