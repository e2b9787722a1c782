/* SPDX-License-Identifier: MIT */
/* smp.c: secondary vCPU bring-up with VCPUOP_initialise and VCPUOP_up. */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

/* Each secondary starts on its own 64 KiB stack, later its idle context. */
#define BOOT_STACK_ORDER  4
#define ONLINE_TIMEOUT_MS 2000

static unsigned int nr_online = 1;

unsigned int gk_smp_nr_cpus(void)
{
    return __atomic_load_n(&nr_online, __ATOMIC_ACQUIRE);
}

int gk_smp_cpu_online(unsigned int cpu)
{
    return cpu < PV_MAX_VCPUS &&
           __atomic_load_n(&gk_cpus[cpu].online, __ATOMIC_ACQUIRE);
}

void gk_smp_secondary_start(struct gk_cpu *cpu)
{
    /* pvisor loaded gs_base_kernel from the context already; setting it
     * again keeps working if a hypervisor ignores that field. */
    gk_percpu_init(cpu, cpu->id);
    gk_traps_init_cpu();
    gk_events_init_cpu();
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, cpu->id, NULL);
    gk_sched_init_cpu();
    __atomic_fetch_add(&nr_online, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&cpu->online, 1, __ATOMIC_RELEASE);
    gk_sched_run();
}

/* Build vCPU `id`'s first context and start it. */
static int bring_up(unsigned int id)
{
    struct gk_cpu *cpu = &gk_cpus[id];
    struct vcpu_guest_context *ctx;
    struct cpu_user_regs *r;
    char *stack;
    uint64_t top, deadline;
    long rc;

    ctx = gk_calloc(1, sizeof(*ctx));
    stack = gk_alloc_pages(BOOT_STACK_ORDER);
    if (!ctx || !stack) {
        gk_free(ctx);
        gk_free_pages(stack, BOOT_STACK_ORDER);
        return -XEN_ENOMEM;
    }
    top = (uint64_t)(stack + (GK_PAGE_SIZE << BOOT_STACK_ORDER));

    cpu->self = cpu;
    cpu->id = id;
    cpu->vcpu_info = &gk_shared_info->vcpu_info[id];
    cpu->vcpu_info->evtchn_upcall_mask = 1;

    ctx->flags = VGCF_in_kernel | VGCF_online;
    r = &ctx->user_regs;
    r->rip = (uint64_t)gk_secondary_entry;
    r->rsp = top;
    r->rdi = (uint64_t)cpu;
    r->rsi = (uint64_t)cpu;
    r->cs = FLAT_KERNEL_CS;
    r->ss = FLAT_KERNEL_SS;
    r->rflags = 0x202;
    gk_traps_fill_ctxt(ctx->trap_ctxt);
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = top;
    ctx->ctrlreg[3] =
        xen_pfn_to_cr3(gk_virt_to_pfn((void *)gk_start_info.pt_base));
    ctx->event_callback_eip = (uint64_t)gk_upcall_entry;
    ctx->gs_base_kernel = (uint64_t)cpu;

    rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, ctx);
    gk_free(ctx);
    if (rc < 0) {
        gk_printf("guest-kit: VCPUOP_initialise(%u) failed: %ld\n", id, rc);
        gk_free_pages(stack, BOOT_STACK_ORDER);
        return (int)rc;
    }
    rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
    if (rc < 0) {
        gk_printf("guest-kit: VCPUOP_up(%u) failed: %ld\n", id, rc);
        gk_free_pages(stack, BOOT_STACK_ORDER);
        return (int)rc;
    }
    deadline = gk_monotonic_ns() + ONLINE_TIMEOUT_MS * GK_NSEC_PER_MSEC;
    while (!gk_smp_cpu_online(id)) {
        if (gk_monotonic_ns() > deadline) {
            /* The stack stays allocated: the vCPU may still be using it. */
            gk_printf("guest-kit: vCPU %u did not come online\n", id);
            return -XEN_ETIMEDOUT;
        }
        gk_msleep(1);
    }
    return 0;
}

int gk_smp_init(void)
{
    for (unsigned int id = 1; id < PV_MAX_VCPUS; id++) {
        long up;

        if (gk_smp_cpu_online(id))
            continue;
        up = HYPERVISOR_vcpu_op(VCPUOP_is_up, id, NULL);
        if (up < 0)
            break; /* -ENOENT/-EINVAL: no more vCPUs */
        if (up > 0) {
            gk_printf("guest-kit: vCPU %u is already up; leaving it\n", id);
            continue;
        }
        bring_up(id);
    }
    return (int)gk_smp_nr_cpus();
}

/* ---- hot-plug: pvctl vcpu-set writes cpu/N/availability ---- */

static volatile uint32_t want_down[PV_MAX_VCPUS];

int gk_smp_idle_offline(struct gk_cpu *cpu)
{
    unsigned int id = cpu->id;

    if (id == 0 || !__atomic_load_n(&want_down[id], __ATOMIC_ACQUIRE))
        return 0;
    __atomic_store_n(&cpu->online, 0, __ATOMIC_RELEASE);
    /* Asked back online meanwhile: the waker sees online again. */
    if (!__atomic_load_n(&want_down[id], __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&cpu->online, 1, __ATOMIC_RELEASE);
        return 0;
    }
    __atomic_fetch_sub(&nr_online, 1, __ATOMIC_ACQ_REL);
    /* Returns once vCPU 0 brings this one up again (VCPUOP_up). */
    HYPERVISOR_vcpu_op(VCPUOP_down, id, NULL);
    __atomic_fetch_add(&nr_online, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&cpu->online, 1, __ATOMIC_RELEASE);
    return 1;
}

/* Take vCPU id down once idle, or bring it back. */
static void set_available(unsigned int id, int online)
{
    struct gk_cpu *cpu = &gk_cpus[id];
    uint64_t deadline;

    if (!online) {
        if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) &&
            !__atomic_exchange_n(&want_down[id], 1, __ATOMIC_ACQ_REL)) {
            gk_printf("guest-kit: vCPU %u going offline\n", id);
            gk_sched_kick_cpu(id);
        }
        return;
    }
    if (!__atomic_exchange_n(&want_down[id], 0, __ATOMIC_ACQ_REL))
        return; /* never asked down (or never brought up by guest-kit) */
    /* It is up, going down, or down: wait for one of the two ends. */
    deadline = gk_monotonic_ns() + ONLINE_TIMEOUT_MS * GK_NSEC_PER_MSEC;
    while (gk_monotonic_ns() < deadline) {
        if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) &&
            HYPERVISOR_vcpu_op(VCPUOP_is_up, id, NULL) == 1)
            return; /* it never went */
        if (HYPERVISOR_vcpu_op(VCPUOP_is_up, id, NULL) == 0) {
            long rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
            if (rc < 0)
                gk_printf("guest-kit: VCPUOP_up(%u) failed: %ld\n", id, rc);
            else
                gk_printf("guest-kit: vCPU %u online again\n", id);
            return;
        }
        gk_msleep(1);
    }
    gk_printf("guest-kit: vCPU %u did not settle\n", id);
}

static void availability_changed(struct gk_xenbus_watch *w, const char *path,
                                 void *data)
{
    (void)w;
    (void)path;
    (void)data;
    for (unsigned int id = 1; id < PV_MAX_VCPUS; id++) {
        char key[32], val[16];

        gk_snprintf(key, sizeof(key), "cpu/%u/availability", id);
        if (gk_xenbus_read_str(GK_XBT_NIL, key, val, sizeof(val)) < 0)
            continue;
        if (strcmp(val, "offline") == 0)
            set_available(id, 0);
        else if (strcmp(val, "online") == 0)
            set_available(id, 1);
    }
}

static void hotplug_thread(void *arg)
{
    struct gk_xenbus_watch *w;
    int rc;

    (void)arg;
    rc = gk_xenbus_watch("cpu", availability_changed, NULL, &w);
    if (rc < 0)
        gk_printf("guest-kit: cannot watch cpu (%d)\n", rc);
}

void gk_hotplug_init(void)
{
    if (!gk_thread_create("xs-hotplug", hotplug_thread, NULL))
        gk_printf("guest-kit: cannot start the vCPU hot-plug watch\n");
}
