/* SPDX-License-Identifier: MIT */
/* hcalls.c: hypercalls guest-kit itself rarely or never makes, checked. */
#include <guestkit/guestkit.h>

/*
 * set_timer_op (a deadline N ms ahead fires, and not before it; a deadline
 * in the past fires at once; 0 cancels), fpu_taskswitch, vm_assist,
 * HYPERVISOR_iret (guest-kit returns with iretq), callback_op unregister
 * (with the event callback gone no upcall is delivered; registered again,
 * the pending event is) and xen_version capabilities and get_features.
 * Last line: "hcalls: N/N checks passed"; exit code 0 only then.
 */
static int checks, passed;

static void check(int ok, const char *what, long got)
{
    checks++;
    if (ok)
        passed++;
    else
        gk_printf("hcalls: FAIL %s (got %ld)\n", what, got);
}

/* ---- xen_version ---- */

static void test_xen_version(void)
{
    static xen_capabilities_info_t caps;
    struct xen_feature_info fi = { 0, 0xffffffffu };
    long rc;

    rc = HYPERVISOR_xen_version(XENVER_version, NULL);
    check(rc > 0 && (rc >> 16) >= 3, "xen_version version >= 3.x", rc);
    memset(caps, 'x', sizeof(caps));
    rc = HYPERVISOR_xen_version(XENVER_capabilities, caps);
    check(rc == 0 && !strcmp(caps, "xen-3.0-x86_64"),
          "xen_version capabilities 'xen-3.0-x86_64'", rc);
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    check(rc == 0 && fi.submap_idx == 0 &&
              fi.submap == 1u << XENFEAT_writable_page_tables,
          "get_features word 0 = writable_page_tables", (long)fi.submap);
    fi.submap_idx = 1;
    fi.submap = 0xffffffffu;
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    check(rc == 0 && fi.submap == 0, "get_features word 1 = 0",
          (long)fi.submap);
    rc = HYPERVISOR_xen_version(XENVER_get_features, (void *)8);
    check(rc == -XEN_EFAULT, "get_features bad pointer: -EFAULT", rc);
    gk_printf("hcalls: capabilities '%s', features 0x%x\n", caps,
              1u << XENFEAT_writable_page_tables);
}

/* ---- vm_assist ---- */

static long vm_assist(unsigned long cmd, unsigned long type)
{
    return _gk_hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static void test_vm_assist(void)
{
    long rc;

    rc = vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
    check(rc == 0, "vm_assist enable writable_pagetables", rc);
    rc = vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag);
    check(rc == 0, "vm_assist enable runstate_update_flag", rc);
    rc = vm_assist(VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag);
    check(rc == 0, "vm_assist disable runstate_update_flag", rc);
    rc = vm_assist(VMASST_CMD_enable, 31);
    check(rc == -XEN_EINVAL, "vm_assist unknown type: -EINVAL", rc);
    rc = vm_assist(7, VMASST_TYPE_writable_pagetables);
    check(rc == -XEN_EINVAL, "vm_assist unknown command: -EINVAL", rc);
}

/* ---- fpu_taskswitch ---- */

/* 1 + 1 with the x87 unit (guest-kit code itself uses no FPU). */
static long x87_two(void)
{
    int32_t out = 0;

    __asm__ volatile("fninit\n\t"
                     "fld1\n\t"
                     "fld1\n\t"
                     "faddp\n\t"
                     "fistpl %0"
                     : "=m"(out)
                     :
                     : "memory");
    return out;
}

static void test_fpu_taskswitch(void)
{
    long rc;

    rc = _gk_hypercall1(__HYPERVISOR_fpu_taskswitch, 1);
    check(rc == 0, "fpu_taskswitch(1)", rc);
    /* pvisor keeps the FPU live (CR0.TS never set): no #NM here. */
    rc = x87_two();
    check(rc == 2, "x87 after fpu_taskswitch(1): 1 + 1 = 2", rc);
    rc = _gk_hypercall1(__HYPERVISOR_fpu_taskswitch, 0);
    check(rc == 0, "fpu_taskswitch(0)", rc);
    rc = x87_two();
    check(rc == 2, "x87 after fpu_taskswitch(0): 1 + 1 = 2", rc);
}

/* ---- HYPERVISOR_iret ---- */

/* What iret_landing found in its registers. */
uint64_t iret_got_rax, iret_got_rcx, iret_got_r11, iret_got_rsp;
uint64_t iret_saved_rsp;
static uint8_t iret_stack[4096] __attribute__((aligned(16)));

void iret_probe(struct iret_context *ctx);
void iret_landing(void);
void iret_go(struct iret_context *ctx);

/*
 * iret_probe(ctx) saves the callee-saved registers and its stack pointer
 * and calls iret_go(ctx), which returns through HYPERVISOR_iret to
 * iret_landing: that records rax, rcx, r11 and rsp, takes the saved stack
 * back and returns from iret_probe.
 */
__asm__(".text\n"
        ".globl iret_probe\n"
        "iret_probe:\n"
        "    push %rbx\n"
        "    push %rbp\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    sub $8, %rsp\n"
        "    mov %rsp, iret_saved_rsp(%rip)\n"
        "    call iret_go\n"
        "    ud2\n"
        ".globl iret_landing\n"
        "iret_landing:\n"
        "    mov %rax, iret_got_rax(%rip)\n"
        "    mov %rcx, iret_got_rcx(%rip)\n"
        "    mov %r11, iret_got_r11(%rip)\n"
        "    mov %rsp, iret_got_rsp(%rip)\n"
        "    mov iret_saved_rsp(%rip), %rsp\n"
        "    add $8, %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbp\n"
        "    pop %rbx\n"
        "    ret\n");

void iret_go(struct iret_context *ctx)
{
    HYPERVISOR_iret(ctx);
}

static void iret_once(int events_on)
{
    static struct iret_context ctx __attribute__((aligned(16)));
    uint64_t top = (uint64_t)(iret_stack + sizeof(iret_stack) - 64);
    unsigned long flags = gk_irq_save();
    uint8_t mask;

    ctx.rax = 0x1111222233334444ULL;
    ctx.r11 = 0x5555666677778888ULL;
    ctx.rcx = 0x99990000aaaabbbbULL;
    ctx.flags = 0;
    ctx.rip = (uint64_t)iret_landing;
    ctx.cs = FLAT_KERNEL_CS;
    ctx.rflags = events_on ? 0x202 : 0x2;
    ctx.rsp = top;
    ctx.ss = FLAT_KERNEL_SS;
    iret_got_rax = iret_got_rcx = iret_got_r11 = iret_got_rsp = 0;
    iret_probe(&ctx);
    mask = GK_READ_ONCE(gk_this_vcpu_info()->evtchn_upcall_mask);
    gk_irq_restore(flags);
    check(iret_got_rax == ctx.rax, "iret restores rax", (long)iret_got_rax);
    check(iret_got_rcx == ctx.rcx, "iret restores rcx", (long)iret_got_rcx);
    check(iret_got_r11 == ctx.r11, "iret restores r11", (long)iret_got_r11);
    check(iret_got_rsp == top, "iret restores rsp", (long)iret_got_rsp);
    check(mask == (events_on ? 0 : 1),
          events_on ? "iret with IF unmasks events"
                    : "iret without IF masks events",
          mask);
}

static void test_iret(void)
{
    iret_once(1);
    iret_once(0);
}

/* ---- callback_op unregister ---- */

extern void gk_upcall_entry(void);

static volatile unsigned ipi_seen;

static void on_ipi(evtchn_port_t port, void *data)
{
    (void)port;
    (void)data;
    ipi_seen++;
}

static long callback(int cmd, unsigned type, unsigned long address)
{
    struct callback_register reg = { .type = (uint16_t)type,
                                     .flags = CALLBACKF_mask_events,
                                     .address = address };
    struct callback_unregister unreg = { .type = (uint16_t)type };

    return HYPERVISOR_callback_op(cmd, cmd == CALLBACKOP_register
                                           ? (const void *)&reg
                                           : (const void *)&unreg);
}

static void test_callback_unregister(void)
{
    int port = gk_evtchn_bind_ipi(on_ipi, NULL);
    long rc;

    check(port > 0, "bind an IPI port", port);
    if (port <= 0)
        return;
    rc = callback(CALLBACKOP_register, CALLBACKTYPE_failsafe,
                  (unsigned long)iret_landing);
    check(rc == 0, "register a failsafe callback", rc);
    rc = callback(CALLBACKOP_unregister, CALLBACKTYPE_failsafe, 0);
    check(rc == 0, "unregister the failsafe callback", rc);
    rc = callback(CALLBACKOP_unregister, 99, 0);
    check(rc == -XEN_EINVAL, "unregister an unknown type: -EINVAL", rc);
    rc = HYPERVISOR_callback_op(CALLBACKOP_unregister, (void *)8);
    check(rc == -XEN_EFAULT, "unregister from a bad pointer: -EFAULT", rc);

    /* Without an event callback, a pending event is never delivered. */
    rc = callback(CALLBACKOP_unregister, CALLBACKTYPE_event, 0);
    check(rc == 0, "unregister the event callback", rc);
    rc = gk_evtchn_send((evtchn_port_t)port);
    check(rc == 0, "send the IPI", rc);
    for (int i = 0; i < 100; i++)
        (void)HYPERVISOR_xen_version(XENVER_version, NULL);
    check(ipi_seen == 0, "no upcall without an event callback", ipi_seen);
    check(GK_READ_ONCE(gk_this_vcpu_info()->evtchn_upcall_pending) == 1,
          "the event stays pending", 0);

    /* Registered again: pvisor delivers the pending event itself. */
    rc = callback(CALLBACKOP_register, CALLBACKTYPE_event,
                  (unsigned long)gk_upcall_entry);
    check(rc == 0, "register the event callback again", rc);
    for (int i = 0; i < 100 && !ipi_seen; i++)
        (void)HYPERVISOR_xen_version(XENVER_version, NULL);
    check(ipi_seen == 1, "the pending event arrives after registering",
          ipi_seen);
    gk_evtchn_close((evtchn_port_t)port);
}

/* ---- set_timer_op ---- */

static volatile uint64_t timer_fired_at;
static volatile unsigned timer_events;

static void on_timer(evtchn_port_t port, void *data)
{
    (void)port;
    (void)data;
    if (!timer_events++)
        timer_fired_at = gk_monotonic_ns();
}

/* Blocks until the timer event came (pvisor wakes us for it). */
static void wait_timer(void)
{
    while (!GK_READ_ONCE(timer_events))
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

static void test_set_timer_op(void)
{
    evtchn_port_t port = (evtchn_port_t)gk_timer_port();
    long ms = gk_cmdline_int("timer_ms", 50);
    uint64_t t0, deadline, until;
    long rc;

    gk_evtchn_set_handler(port, on_timer, NULL);

    /* N ms ahead: the event comes, and not before the deadline. */
    timer_events = 0;
    t0 = gk_monotonic_ns();
    deadline = t0 + (uint64_t)ms * GK_NSEC_PER_MSEC;
    rc = HYPERVISOR_set_timer_op(deadline);
    check(rc == 0, "set_timer_op ahead", rc);
    wait_timer();
    check(timer_fired_at >= deadline, "the timer does not fire early",
          (long)(timer_fired_at - t0));
    check(timer_fired_at < deadline + GK_NSEC_PER_SEC,
          "the timer fires within a second of its deadline",
          (long)(timer_fired_at - t0));
    gk_printf("hcalls: timer set %ld ms ahead fired after %lu us\n", ms,
              (unsigned long)((timer_fired_at - t0) / 1000));

    /* A deadline already past fires at once. */
    timer_events = 0;
    rc = HYPERVISOR_set_timer_op(gk_monotonic_ns() - GK_NSEC_PER_MSEC);
    check(rc == 0, "set_timer_op in the past", rc);
    wait_timer();
    check(timer_events == 1, "a past deadline fires", timer_events);

    /* 0 cancels: nothing comes in twice the time it was set for. */
    timer_events = 0;
    t0 = gk_monotonic_ns();
    rc = HYPERVISOR_set_timer_op(t0 + 20 * GK_NSEC_PER_MSEC);
    check(rc == 0, "set_timer_op ahead again", rc);
    rc = HYPERVISOR_set_timer_op(0);
    check(rc == 0, "set_timer_op(0)", rc);
    until = t0 + 60 * GK_NSEC_PER_MSEC;
    while (gk_monotonic_ns() < until)
        (void)HYPERVISOR_xen_version(XENVER_version, NULL);
    check(timer_events == 0, "set_timer_op(0) cancels the timer", timer_events);

    gk_evtchn_set_handler(port, NULL, NULL);
}

int main(void)
{
    test_xen_version();
    test_vm_assist();
    test_fpu_taskswitch();
    test_iret();
    test_callback_unregister();
    test_set_timer_op();
    gk_printf("hcalls: %d/%d checks passed\n", passed, checks);
    return passed == checks ? 0 : 1;
}
