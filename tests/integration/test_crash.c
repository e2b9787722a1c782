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
    HX_CHECK(!strcmp(w.state, "shutdown") && w.code == 0,
             "hello exits 0 after the crash: '%s'", w.text);
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
    HX_CHECK(strcmp(w.state, "running") && strcmp(w.state, "blocked"),
             "the guest stopped after its trap handler: '%s'", w.text);
    hello_still_boots();
}

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
    p = strstr(out, "bad-ptr: still running after ");
    HX_CHECK(p != NULL, "bad-ptr survives its own hypercalls: '%s'", out);
    p = strstr(out, "hypercalls rejected");
    while (p && p > out && p[-1] != '\n')
        p--;
    HX_CHECK(p && sscanf(p, "bad-ptr: %u/%u", &rej, &total) == 2 && total > 0 &&
                 rej == total,
             "'bad-ptr: N/N hypercalls rejected': '%s'", out);
    w = hx_wait("it-bad-ptr", 10);
    HX_CHECK(!strcmp(w.state, "shutdown") && w.code == 0,
             "bad-ptr exits 0: '%s'", w.text);
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

    HX_REQUIRE(hxe_create(&r, hxe_test_cfg("slot255"), "slot255", "it-slot255",
                          NULL) > 0,
               "create slot255: %s", r.err ? r.err : "");
    out = hx_console("it-slot255", HX_GUEST_MS, NULL, NULL);
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

static const struct integ_test tests[] = {
    { "bad_insn_hlt", test_bad_insn_hlt },
    { "bad_insn_cr3", test_bad_insn_cr3 },
    { "bad_insn_wrmsr", test_bad_insn_wrmsr },
    { "bad_insn_lgdt", test_bad_insn_lgdt },
    { "bad_insn_invlpg", test_bad_insn_invlpg },
    { "bad_insn_guest_trap", test_bad_insn_guest_trap },
    { "bad_ptr", test_bad_ptr },
    { "priv_slot_write", test_priv_slot_write },
    { NULL, NULL },
};

const struct integ_suite integ_suite_crash = { "crash", true, tests };
