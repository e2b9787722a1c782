// SPDX-License-Identifier: MIT
/* test_hypercall.c: hypercall dispatch and handlers on a domain without KVM. */
#include <stdint.h>
#include <string.h>

#include <pvabi/callback.h>
#include <pvabi/errno.h>
#include <pvabi/memory.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/version.h>
#include <pvabi/xen.h>

#include "../../hypervisor/hv_arch.h"
#include "../../hypervisor/hv_guestmem.h"
#include "../../hypervisor/hv_hypercall.h"
#include "../../hypervisor/hv_trap.h"
#include "fake_domain.h"
#include "unit.h"

#define G                     FAKE_SCRATCH_GPA
#define VA(gpa)               FAKE_VA(gpa)
#define PTE(gpa)              ((uint64_t)(gpa) | HV_PTE_P | HV_PTE_RW | HV_PTE_U)
#define NONCANON              0x0000800000000000ULL
#define HC(v, nr, a1, a2, a3) fake_hypercall(v, nr, a1, a2, a3, 0, 0)

static struct hv_domain *dom;

static struct hv_vcpu *setup(unsigned nr_vcpus)
{
    dom = fake_domain_new(nr_vcpus, 64);
    CU_ASSERT_FATAL(dom != NULL);
    return dom->vcpus[0];
}

static void teardown(void)
{
    fake_domain_free(dom);
    dom = NULL;
}

static void put(uint64_t gpa, const void *src, size_t len)
{
    memcpy(fake_gpa(dom, gpa), src, len);
}

static void test_unknown(void)
{
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_xenoprof_op, 0, 0, 0), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(HC(v, PV_HYPERCALL_MAX - 1, 0, 0, 0), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(HC(v, PV_HYPERCALL_MAX, 0, 0, 0), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(HC(v, UINT32_MAX, 0, 0, 0), -XEN_ENOSYS);
    CU_ASSERT_PTR_NULL(hv_hypercall_lookup(UINT64_MAX));
    CU_ASSERT_TRUE(v->regs_dirty);
    CU_ASSERT_EQUAL(v->st_hypercalls, 4);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);
    teardown();
}

static void test_xen_version(void)
{
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0),
                    (4 << 16) | 17);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0),
                    4096);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_xen_version, XENVER_extraversion, VA(G), 0), 0);
    CU_ASSERT_STRING_EQUAL((char *)fake_gpa(dom, G), ".0-pvisor");
    *fake_l1e(dom, VA(G + 0x1000)) = 0;
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_xen_version, XENVER_extraversion, VA(G + 0x1000), 0),
        -XEN_EFAULT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_xen_version, 1000, 0, 0), -XEN_ENOSYS);
    teardown();
}

static void test_console_write(void)
{
    struct hv_vcpu *v = setup(1);
    static char big[5000];

    put(G, "hello, console", 14);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_console_io, CONSOLEIO_write, 14, VA(G)),
                    0);
    CU_ASSERT_EQUAL(dom->con.end, 14);
    CU_ASSERT_EQUAL(memcmp(dom->con.buf, "hello, console", 14), 0);

    /* The page after G + 0x1000 is remapped to a distant frame. */
    *fake_l1e(dom, VA(G + 0x2000)) = PTE(G + 0x8000);
    put(G + 0x2000 - 6, "ABCDEF", 6);
    put(G + 0x2000, "xxxxxx", 6);
    put(G + 0x8000, "GHIJKL", 6);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_console_io, CONSOLEIO_write, 12, VA(G + 0x2000 - 6)),
        0);
    CU_ASSERT_EQUAL(dom->con.end, 26);
    CU_ASSERT_EQUAL(memcmp(dom->con.buf + 14, "ABCDEFGHIJKL", 12), 0);

    /* More than one internal chunk. */
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    put(G + 0x10000, big, sizeof(big));
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_console_io, CONSOLEIO_write, sizeof(big),
                       VA(G + 0x10000)),
                    0);
    CU_ASSERT_EQUAL(dom->con.end, 26 + sizeof(big));
    CU_ASSERT_EQUAL(memcmp(dom->con.buf + 26, big, sizeof(big)), 0);

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_console_io, CONSOLEIO_read, 10, VA(G)),
                    0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_console_io, 99, 1, VA(G)), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(dom->con.end, 26 + sizeof(big));
    teardown();
}

static void test_console_bad(void)
{
    static const struct {
        uint64_t buf, count;
        long rc;
    } cases[] = {
        { VA(G + 0x3000), 4, -XEN_EFAULT },     /* unmapped */
        { VA(G + 0x3000) - 2, 4, -XEN_EFAULT }, /* runs into it */
        { NONCANON, 4, -XEN_EFAULT },
        { PV_PRIV_VA, 4, -XEN_EFAULT }, /* mapped below */
        { PV_PRIV_VA + 0x800, 1, -XEN_EFAULT },
        { UINT64_MAX - 1, 4, -XEN_EFAULT }, /* wraps */
        { VA(G), HV_COPY_MAX + 1, -XEN_EINVAL },
        { VA(G), UINT64_MAX, -XEN_EINVAL },
    };
    struct hv_vcpu *v = setup(1);

    *fake_l1e(dom, VA(G + 0x3000)) = 0;
    fake_map_priv_slot(dom, G);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_console_io, CONSOLEIO_write,
                           cases[i].count, cases[i].buf),
                        cases[i].rc);
    }
    /* A partial buffer may reach the console before the fault (as in Xen);
     * none of these can: their first byte is already bad, or the whole
     * range fits in one chunk. */
    CU_ASSERT_EQUAL(dom->con.end, 0);
    teardown();
}

static long shutdown_op(struct hv_vcpu *v, unsigned cmd, uint32_t reason)
{
    struct sched_shutdown sd = { reason };

    put(G, &sd, sizeof(sd));
    return HC(v, __HYPERVISOR_sched_op, cmd, VA(G), 0);
}

static void test_shutdown(void)
{
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown,
                                PV_SHUTDOWN_REASON(SHUTDOWN_poweroff, 42)),
                    0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_SHUTDOWN);
    CU_ASSERT_EQUAL(dom->shutdown_reason, SHUTDOWN_poweroff);
    CU_ASSERT_EQUAL(dom->shutdown_code, 42);
    CU_ASSERT_TRUE(dom->action_pending);
    CU_ASSERT_EQUAL(dom->stops, 1);
    /* A second request does not rewrite the first. */
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, SHUTDOWN_reboot), 0);
    CU_ASSERT_EQUAL(dom->shutdown_reason, SHUTDOWN_poweroff);
    CU_ASSERT_EQUAL(dom->stops, 1);
    teardown();

    v = setup(1);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, SHUTDOWN_crash), 0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_CRASHED);
    CU_ASSERT_EQUAL(dom->shutdown_reason, SHUTDOWN_crash);
    CU_ASSERT_EQUAL(dom->shutdown_code, 0);
    teardown();

    /* shutdown_code records the code; a later plain shutdown keeps it. */
    v = setup(1);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown_code,
                                PV_SHUTDOWN_REASON(SHUTDOWN_poweroff, 7)),
                    0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, SHUTDOWN_reboot), 0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_SHUTDOWN);
    CU_ASSERT_EQUAL(dom->shutdown_reason, SHUTDOWN_reboot);
    CU_ASSERT_EQUAL(dom->shutdown_code, 7);
    teardown();
}

static void test_shutdown_bad(void)
{
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, SHUTDOWN_MAX + 1),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, 0xff), -XEN_EINVAL);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown, 1u << 16), -XEN_EINVAL);
    CU_ASSERT_EQUAL(shutdown_op(v, SCHEDOP_shutdown_code, 1u << 31),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_sched_op, SCHEDOP_shutdown, 0, 0),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_sched_op, SCHEDOP_shutdown, NONCANON, 0),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_sched_op, SCHEDOP_shutdown, PV_PRIV_VA, 0),
        -XEN_EFAULT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_sched_op, SCHEDOP_poll, NONCANON, 0),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, VA(G), 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_sched_op, 99, VA(G), 0), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);
    CU_ASSERT_FALSE(dom->action_pending);
    CU_ASSERT_EQUAL(dom->stops, 0);
    teardown();
}

static void mc_entry(unsigned i, uint64_t op, uint64_t a0, uint64_t a1,
                     uint64_t a2)
{
    struct multicall_entry e = { op, 0xdeadULL, { a0, a1, a2, 0, 0, 0 } };

    put(G + i * sizeof(e), &e, sizeof(e));
}

static uint64_t mc_result(unsigned i)
{
    struct multicall_entry e;

    memcpy(&e, fake_gpa(dom, G + i * sizeof(e)), sizeof(e));
    return e.result;
}

static void test_multicall(void)
{
    struct hv_vcpu *v = setup(1);

    put(G + 0x1000, "abc", 3);
    mc_entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    mc_entry(1, __HYPERVISOR_console_io, CONSOLEIO_write, 3, VA(G + 0x1000));
    mc_entry(2, __HYPERVISOR_xenoprof_op, 0, 0, 0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), 3, 0), 0);
    CU_ASSERT_EQUAL(mc_result(0), (4 << 16) | 17);
    CU_ASSERT_EQUAL(mc_result(1), 0);
    CU_ASSERT_EQUAL(mc_result(2), (uint64_t)-XEN_ENOSYS);
    CU_ASSERT_EQUAL(dom->con.end, 3);
    CU_ASSERT_EQUAL(memcmp(dom->con.buf, "abc", 3), 0);

    /* Not allowed inside a batch: multicall itself, sched_op, iret. */
    mc_entry(0, __HYPERVISOR_multicall, VA(G), 1, 0);
    mc_entry(1, __HYPERVISOR_sched_op, SCHEDOP_shutdown, VA(G + 0x1000), 0);
    mc_entry(2, __HYPERVISOR_iret, 0, 0, 0);
    mc_entry(3, 4096, 0, 0, 0);
    mc_entry(4, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), 5, 0), 0);
    CU_ASSERT_EQUAL(mc_result(0), (uint64_t)-XEN_EINVAL);
    CU_ASSERT_EQUAL(mc_result(1), (uint64_t)-XEN_EINVAL);
    CU_ASSERT_EQUAL(mc_result(2), (uint64_t)-XEN_EINVAL);
    CU_ASSERT_EQUAL(mc_result(3), (uint64_t)-XEN_ENOSYS);
    CU_ASSERT_EQUAL(mc_result(4), (4 << 16) | 17);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);
    teardown();
}

static void test_multicall_bad(void)
{
    struct hv_vcpu *v = setup(1);

    mc_entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), 257, 0), -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), UINT64_MAX, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(mc_result(0), 0xdead); /* nothing ran */
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), 0, 0), 0);
    CU_ASSERT_EQUAL(mc_result(0), 0xdead);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, NONCANON, 1, 0), -XEN_EFAULT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, PV_PRIV_VA, 1, 0),
                    -XEN_EFAULT);
    /* The list may not be written back: a read-only page faults. */
    *fake_l1e(dom, VA(G)) &= ~HV_PTE_RW;
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_multicall, VA(G), 1, 0), -XEN_EFAULT);
    CU_ASSERT_EQUAL(mc_result(0), 0xdead);
    teardown();
}

static uint64_t idt_gate_addr(struct hv_vcpu *v, unsigned vec)
{
    const uint8_t *g =
        dom->priv + (HV_PRIV_IDT + v->id) * HV_PAGE_SIZE + vec * 16;
    uint32_t hi;

    memcpy(&hi, g + 8, 4);
    return (uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 |
           (uint64_t)g[7] << 24 | (uint64_t)hi << 32;
}

static void put_traps(const struct trap_info *ti, size_t n)
{
    struct trap_info end = { 0, 0, 0, 0 };

    put(G, ti, n * sizeof(*ti));
    put(G + n * sizeof(*ti), &end, sizeof(end));
}

static void test_trap_table(void)
{
    const uint64_t h1 = VA(G + 0x100), h2 = VA(G + 0x200);
    const uint64_t h3 = VA(G + 0x300), h4 = 0xffff800000001000ULL;
    const struct trap_info good[] = {
        { 3, 3, FLAT_KERNEL_CS, h1 },
        { 14, 0, FLAT_KERNEL_CS, h2 },
        { 2, 0, FLAT_KERNEL_CS, h3 }, /* NMI stays pvisor's */
        { 0x80, 3, 0, h4 },
    };
    const uint64_t stubs = PV_PRIV_VA + HV_PRIV_STUBS * HV_PAGE_SIZE;
    struct hv_vcpu *v = setup(2), *v1 = dom->vcpus[1];
    const uint8_t *gate3;

    put_traps(good, 4);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, VA(G), 0, 0), 0);
    CU_ASSERT_EQUAL(v->trap_handler[3], h1);
    CU_ASSERT_EQUAL(v->trap_dpl[3], 3);
    CU_ASSERT_EQUAL(v->trap_handler[14], h2);
    CU_ASSERT_EQUAL(v->trap_handler[2], 0);
    CU_ASSERT_EQUAL(v->trap_handler[0x80], h4);
    CU_ASSERT_EQUAL(v1->trap_handler[3], 0);
    /* The platform was told about each handler, per vCPU. */
    CU_ASSERT_EQUAL(fake_platform_calls.trap[0][3], h1);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[0][14], h2);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[0][0x80], h4);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[0][2], 0);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[1][3], 0);

    /* KVM's IDT gates (written into the private area only): handlers
     * directly, #PF through pvisor's stub. */
    for (unsigned vec = 0; vec < 256; vec++)
        hv_platform_kvm.set_trap(v, vec, v->trap_handler[vec],
                                 v->trap_dpl[vec]);
    gate3 = dom->priv + (HV_PRIV_IDT + 0) * HV_PAGE_SIZE + 3 * 16;
    CU_ASSERT_EQUAL(idt_gate_addr(v, 3), h1);
    CU_ASSERT_EQUAL(gate3[2] | gate3[3] << 8, HV_SEL_CS64);
    CU_ASSERT_EQUAL(gate3[5], 0xee); /* present, DPL3, interrupt gate */
    CU_ASSERT_EQUAL(idt_gate_addr(v, 0x80), h4);
    CU_ASSERT_EQUAL(idt_gate_addr(v, 14), stubs + 14 * HV_STUB_SIZE);
    CU_ASSERT_EQUAL(idt_gate_addr(v1, 3), 0); /* vCPU 1's page untouched */

    /* vCPU 1 has its own handlers. */
    CU_ASSERT_EQUAL(HC(v1, __HYPERVISOR_set_trap_table, VA(G), 0, 0), 0);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[1][3], h1);

    /* A null table resets every vector to pvisor's stubs. */
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, 0, 0, 0), 0);
    CU_ASSERT_EQUAL(v->trap_handler[3], 0);
    CU_ASSERT_EQUAL(fake_platform_calls.trap[0][3], 0);
    hv_platform_kvm.set_trap(v, 3, 0, 0);
    CU_ASSERT_EQUAL(idt_gate_addr(v, 3), stubs + 3 * HV_STUB_SIZE);
    teardown();
}

static void test_trap_table_bad(void)
{
    static const struct {
        struct trap_info ti;
        long rc;
    } cases[] = {
        { { 3, 0, FLAT_KERNEL_CS, PV_PRIV_VA + 0x100 }, -XEN_EINVAL },
        { { 3, 0, FLAT_KERNEL_CS, PV_PRIV_VA }, -XEN_EINVAL },
        { { 3, 0, FLAT_KERNEL_CS, NONCANON }, -XEN_EINVAL },
        { { 3, 0, 0x10, FAKE_VIRT_BASE }, -XEN_EINVAL }, /* ring-0 cs */
        { { 3, 0, FLAT_KERNEL_CS, FAKE_VIRT_BASE }, 0 },
    };
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, NONCANON, 0, 0),
                    -XEN_EFAULT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, PV_PRIV_VA, 0, 0),
                    -XEN_EFAULT);
    *fake_l1e(dom, VA(G + 0x3000)) = 0;
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, VA(G + 0x3000), 0, 0),
                    -XEN_EFAULT);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        put_traps(&cases[i].ti, 1);
        CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_trap_table, VA(G), 0, 0),
                        cases[i].rc);
        CU_ASSERT_EQUAL(v->trap_handler[3], cases[i].rc ? 0 : FAKE_VIRT_BASE);
    }
    teardown();
}

static void test_update_va_mapping(void)
{
    struct hv_vcpu *v = setup(2), *v1 = dom->vcpus[1];
    const uint64_t va = VA(G + 0x4000);
    uint64_t *l1e = fake_l1e(dom, va);
    uint64_t old = *l1e;
    char buf[8];

    put(G + 0x9000, "newframe", 8);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_update_va_mapping, va, PTE(G + 0x9000),
                       UVMF_INVLPG | UVMF_LOCAL),
                    0);
    CU_ASSERT_EQUAL(*l1e, PTE(G + 0x9000));
    CU_ASSERT_EQUAL(hv_copy_from_guest(v, buf, va, 8), 0);
    CU_ASSERT_EQUAL(memcmp(buf, "newframe", 8), 0);
    CU_ASSERT_EQUAL(atomic_load(&v1->tlb_flush), 0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_update_va_mapping, va, old,
                       UVMF_TLB_FLUSH | UVMF_ALL),
                    0);
    CU_ASSERT_EQUAL(*l1e, old);
    CU_ASSERT_EQUAL(atomic_load(&v1->tlb_flush), 1);

    /* Frames outside guest RAM are refused; the entry stays. */
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_update_va_mapping, va, PTE(FAKE_MEM_SIZE), 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_update_va_mapping, va, PTE(HV_PRIV_GPA), 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_update_va_mapping, va, PTE(HV_PTE_ADDR), 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(*l1e, old);
    /* A non-present entry may hold anything: it maps nothing. */
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_update_va_mapping, va, 0, 0), 0);
    CU_ASSERT_EQUAL(hv_copy_from_guest(v, buf, va, 1), -XEN_EFAULT);

    /* pvisor's slot, even when the guest maps it; odd addresses. */
    fake_map_priv_slot(dom, G);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_update_va_mapping, PV_PRIV_VA, PTE(G), 0),
        -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_update_va_mapping,
                       PV_PRIV_VA + HV_PRIV_IDT * HV_PAGE_SIZE, PTE(G), 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_update_va_mapping, NONCANON, PTE(G), 0),
                    -XEN_EINVAL);
    /* No L1 table maps the VA right above guest RAM. */
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_update_va_mapping, VA(FAKE_MEM_SIZE), PTE(G), 0),
        -XEN_EINVAL);
    teardown();
}

static void test_mmu_update(void)
{
    struct hv_vcpu *v = setup(1);
    const uint64_t e0 = FAKE_L1_GPA + ((G + 0x5000) >> 12) * 8;
    const uint64_t done_va = VA(G + 0x100);
    struct mmu_update req[2] = {
        { e0 | MMU_NORMAL_PT_UPDATE, PTE(G + 0x9000) },
        { (e0 + 8) | MMU_NORMAL_PT_UPDATE, PTE(FAKE_MEM_SIZE) },
    };
    uint64_t before = *(uint64_t *)fake_gpa(dom, e0 + 8);
    uint32_t done = 0xffffffff;

    put(G, req, sizeof(req));
    put(G + 0x100, &done, sizeof(done));
    CU_ASSERT_EQUAL(fake_hypercall(v, __HYPERVISOR_mmu_update, VA(G), 2,
                                   done_va, DOMID_SELF, 0),
                    -XEN_EPERM);
    memcpy(&done, fake_gpa(dom, G + 0x100), sizeof(done));
    CU_ASSERT_EQUAL(done, 1);
    CU_ASSERT_EQUAL(*(uint64_t *)fake_gpa(dom, e0), PTE(G + 0x9000));
    CU_ASSERT_EQUAL(*(uint64_t *)fake_gpa(dom, e0 + 8), before);

    struct {
        uint64_t ptr, val;
        long rc;
    } cases[] = {
        { (e0 + 4) | MMU_NORMAL_PT_UPDATE, 0, -XEN_EINVAL },
        { FAKE_MEM_SIZE | MMU_NORMAL_PT_UPDATE, 0, -XEN_EINVAL },
        { (FAKE_L4_GPA + PV_PRIV_L4_SLOT * 8) | MMU_NORMAL_PT_UPDATE, PTE(G),
          -XEN_EPERM },
        { e0 | MMU_PT_UPDATE_PRESERVE_AD, PTE(G), 0 },
        { ((G + 0x5000) >> 12 << 12) | MMU_MACHPHYS_UPDATE, 5, 0 },
        { FAKE_MEM_SIZE | MMU_MACHPHYS_UPDATE, 5, -XEN_EINVAL },
        { e0 | MMU_PT_UPDATE_NO_TRANSLATE, PTE(G), -XEN_ENOSYS },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mmu_update u = { cases[i].ptr, cases[i].val };
        put(G, &u, sizeof(u));
        CU_ASSERT_EQUAL(fake_hypercall(v, __HYPERVISOR_mmu_update, VA(G), 1,
                                       done_va, DOMID_SELF, 0),
                        cases[i].rc);
        memcpy(&done, fake_gpa(dom, G + 0x100), sizeof(done));
        CU_ASSERT_EQUAL(done, cases[i].rc ? 0 : 1);
    }
    CU_ASSERT_EQUAL(*(uint64_t *)fake_gpa(dom, e0), PTE(G));
    CU_ASSERT_EQUAL(fake_hypercall(v, __HYPERVISOR_mmu_update, VA(G), 4097, 0,
                                   DOMID_SELF, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(
        fake_hypercall(v, __HYPERVISOR_mmu_update, VA(G), 1, 0, 3, 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(fake_hypercall(v, __HYPERVISOR_mmu_update, NONCANON, 1, 0,
                                   DOMID_SELF, 0),
                    -XEN_EFAULT);
    teardown();
}

static long mmuext1(struct hv_vcpu *v, unsigned cmd, uint64_t a1, uint64_t a2,
                    uint32_t *done)
{
    struct mmuext_op op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.arg1.mfn = a1;
    op.arg2.src_mfn = a2;
    put(G, &op, sizeof(op));
    put(G + 0x100, "\xff\xff\xff\xff", 4);
    rc = fake_hypercall(v, __HYPERVISOR_mmuext_op, VA(G), 1, VA(G + 0x100),
                        DOMID_SELF, 0);
    memcpy(done, fake_gpa(dom, G + 0x100), sizeof(*done));
    return rc;
}

static void test_mmuext_op(void)
{
    struct hv_vcpu *v = setup(2);
    const uint64_t pa = G + 0x6000, pb = G + 0x7000;
    uint32_t done;

    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_NEW_BASEPTR, FAKE_PAGES, 0, &done),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(done, 0);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_NEW_BASEPTR, 1ULL << 52, 0, &done),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(v->cr3, FAKE_L4_GPA);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_PIN_L4_TABLE, FAKE_PAGES, 0, &done),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_PIN_L4_TABLE, 1, 0, &done), 0);
    CU_ASSERT_EQUAL(done, 1);

    memset(fake_gpa(dom, pa), 0x33, HV_PAGE_SIZE);
    memset(fake_gpa(dom, pb), 0x44, HV_PAGE_SIZE);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_COPY_PAGE, pa >> 12, pb >> 12, &done), 0);
    CU_ASSERT_EQUAL(((uint8_t *)fake_gpa(dom, pa))[HV_PAGE_SIZE - 1], 0x44);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_CLEAR_PAGE, pa >> 12, 0, &done), 0);
    CU_ASSERT_EQUAL(((uint8_t *)fake_gpa(dom, pa))[0], 0);
    CU_ASSERT_EQUAL(((uint8_t *)fake_gpa(dom, pa))[HV_PAGE_SIZE - 1], 0);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_CLEAR_PAGE, FAKE_PAGES, 0, &done),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_COPY_PAGE, pa >> 12, FAKE_PAGES, &done),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(mmuext1(v, 99, 0, 0, &done), -XEN_ENOSYS);
    CU_ASSERT_EQUAL(done, 0);

    CU_ASSERT_EQUAL(atomic_load(&dom->vcpus[1]->tlb_flush), 0);
    CU_ASSERT_EQUAL(mmuext1(v, MMUEXT_TLB_FLUSH_ALL, 0, 0, &done), 0);
    CU_ASSERT_EQUAL(atomic_load(&dom->vcpus[1]->tlb_flush), 1);
    CU_ASSERT_EQUAL(
        fake_hypercall(v, __HYPERVISOR_mmuext_op, VA(G), 1, 0, 5, 0),
        -XEN_EPERM);
    teardown();
}

static void test_memory_op(void)
{
    struct hv_vcpu *v = setup(1);
    domid_t self = DOMID_SELF, me = FAKE_DOMID, other = 3;
    struct {
        uint32_t nr_entries, pad;
        uint64_t buffer;
    } map = { 4, 0, VA(G + 0x200) };
    struct {
        uint64_t addr, size;
        uint32_t type;
    } __attribute__((packed)) e820;

    put(G, &self, sizeof(self));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_reservation, VA(G), 0),
        FAKE_PAGES);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_current_reservation, VA(G), 0),
        FAKE_PAGES);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_gpfn, VA(G), 0),
        FAKE_PAGES - 1);
    put(G, &me, sizeof(me));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_reservation, VA(G), 0),
        FAKE_PAGES);
    put(G, &other, sizeof(other));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_reservation, VA(G), 0),
        -XEN_EPERM);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_reservation, NONCANON, 0),
        -XEN_EFAULT);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0, 0),
        FAKE_PAGES - 1);

    put(G + 0x100, &map, sizeof(map));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_memory_map, VA(G + 0x100), 0), 0);
    memcpy(&map, fake_gpa(dom, G + 0x100), sizeof(map));
    CU_ASSERT_EQUAL(map.nr_entries, 1);
    memcpy(&e820, fake_gpa(dom, G + 0x200), sizeof(e820));
    CU_ASSERT_EQUAL(e820.addr, 0);
    CU_ASSERT_EQUAL(e820.size, FAKE_MEM_SIZE);
    CU_ASSERT_EQUAL(e820.type, 1);
    map.nr_entries = 0;
    put(G + 0x100, &map, sizeof(map));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_memory_op, XENMEM_memory_map, VA(G + 0x100), 0),
        -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_memory_op, 1000, VA(G), 0), -XEN_ENOSYS);
    teardown();
}

static void test_segment_base(void)
{
    struct hv_vcpu *v = setup(1);

    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_set_segment_base, SEGBASE_FS, NONCANON, 0),
        -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL,
                       0xffff7fffffffffffULL, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(v->fs_base, 0);
    CU_ASSERT_EQUAL(v->gs_base_kernel, 0);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_set_segment_base, SEGBASE_GS_USER, VA(G), 0), 0);
    CU_ASSERT_EQUAL(v->gs_base_user, VA(G));
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_segment_base, 9, VA(G), 0),
                    -XEN_EINVAL);
    teardown();
}

static void test_vcpu_op(void)
{
    struct hv_vcpu *v = setup(2);
    struct vcpu_set_periodic_timer p = { 999999 };

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 2, 0),
                    -XEN_ENOENT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_up, PV_MAX_VCPUS, 0),
                    -XEN_ENOENT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up, UINT64_MAX, 0),
                    -XEN_ENOENT);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
    /* vCPU 1 has no register context yet. */
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), -XEN_EINVAL);
    CU_ASSERT_FALSE(dom->vcpus[1]->online);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, NONCANON),
                    -XEN_EFAULT);
    put(G, &p, sizeof(p));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, VA(G)),
        -XEN_EINVAL);
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, VA(G)),
        -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_vcpu_op, 99, 0, 0), -XEN_ENOSYS);
    teardown();
}

static void test_callbacks(void)
{
    struct hv_vcpu *v = setup(1);
    struct callback_register reg;

    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_callbacks, PV_PRIV_VA + 0x40, 0, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_callbacks, VA(G), NONCANON, 0),
                    -XEN_EINVAL);
    CU_ASSERT_EQUAL(v->event_callback, 0);
    CU_ASSERT_EQUAL(HC(v, __HYPERVISOR_set_callbacks, VA(G), VA(G + 16), 0), 0);
    CU_ASSERT_EQUAL(v->event_callback, VA(G));
    CU_ASSERT_EQUAL(v->failsafe_callback, VA(G + 16));

    memset(&reg, 0, sizeof(reg));
    reg.type = CALLBACKTYPE_event;
    reg.address = PV_PRIV_VA;
    put(G + 0x100, &reg, sizeof(reg));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_callback_op, CALLBACKOP_register, VA(G + 0x100), 0),
        -XEN_EINVAL);
    reg.address = VA(G + 32);
    reg.type = CALLBACKTYPE_nmi;
    put(G + 0x100, &reg, sizeof(reg));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_callback_op, CALLBACKOP_register, VA(G + 0x100), 0),
        -XEN_EINVAL);
    reg.type = CALLBACKTYPE_event;
    put(G + 0x100, &reg, sizeof(reg));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_callback_op, CALLBACKOP_register, VA(G + 0x100), 0),
        0);
    CU_ASSERT_EQUAL(v->event_callback, VA(G + 32));
    CU_ASSERT_EQUAL(
        HC(v, __HYPERVISOR_callback_op, CALLBACKOP_register, NONCANON, 0),
        -XEN_EFAULT);
    teardown();
}

static void test_iret(void)
{
    struct hv_vcpu *v = setup(1);
    struct shared_info *sh = fake_shared(dom);
    struct iret_context ic = {
        .rax = 0x1111,
        .r11 = 0x2222,
        .rcx = 0x3333,
        .flags = 0,
        .rip = VA(G + 0x500),
        .cs = FLAT_KERNEL_CS,
        .rflags = 0x200 | 0x1,
        .rsp = VA(G + 0x800),
        .ss = FLAT_KERNEL_SS64,
    };

    sh->vcpu_info[0].evtchn_upcall_mask = 1;
    put(G + 0x100, &ic, sizeof(ic));
    v->regs.rsp = VA(G + 0x100);
    fake_hypercall(v, __HYPERVISOR_iret, 0, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(v->regs.rax, 0x1111);
    CU_ASSERT_EQUAL(v->regs.r11, 0x2222);
    CU_ASSERT_EQUAL(v->regs.rcx, 0x3333);
    CU_ASSERT_EQUAL(v->regs.rip, VA(G + 0x500));
    CU_ASSERT_EQUAL(v->regs.rsp, VA(G + 0x800));
    CU_ASSERT_EQUAL(v->regs.rflags, 0x3203);
    CU_ASSERT_EQUAL(sh->vcpu_info[0].evtchn_upcall_mask, 0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);

    /* A frame returning into pvisor's slot crashes the domain. */
    ic.rip = PV_PRIV_VA;
    put(G + 0x100, &ic, sizeof(ic));
    v->regs.rsp = VA(G + 0x100);
    fake_hypercall(v, __HYPERVISOR_iret, 0, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_CRASHED);
    CU_ASSERT_PTR_NOT_NULL(dom->crash_report);
    teardown();
}

static void test_crash_report(void)
{
    struct hv_vcpu *v = setup(1);
    char report[2048];
    const uint8_t nop = 0x90, hlt = 0xf4, mov_cr3[3] = { 0x0f, 0x22, 0xd8 };

    /* An instruction in the last mapped byte: only that byte is code. */
    *fake_l1e(dom, VA(G + 0x1000)) = 0;
    put(G + 0xfff, &nop, 1);
    v->regs.rip = VA(G + 0xfff);
    hv_trap_describe(v, "test", report, sizeof(report));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "d7v0 test\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "code at rip: 90\n"));
    put(G + 0xfff, &hlt, 1);
    hv_trap_describe(v, "test", report, sizeof(report));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "instruction at rip: hlt"));

    put(G + 0x2000, mov_cr3, 3);
    v->regs.rip = VA(G + 0x2000);
    HC(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    HC(v, __HYPERVISOR_xenoprof_op, 0, 0, 0);
    hv_trap_describe(v, "test", report, sizeof(report));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "mov ..., %cr3 (privileged"));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "MMUEXT_NEW_BASEPTR"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(report, "last hypercalls: xen_version=262161 ?=-38\n"));

    v->regs.rip = VA(G + 0x1000);
    hv_trap_describe(v, "test", report, sizeof(report));
    CU_ASSERT_PTR_NOT_NULL(strstr(report, "is not mapped"));
    teardown();
}

/*
 * An exception the platform caught (proc): the hardware frame on the
 * 16-aligned guest stack with the platform's selectors, CR2 in vcpu_info
 * for #PF, rip at the handler; without a handler, a crash report.
 */
static void test_exception_bounce(void)
{
    struct hv_vcpu *v = setup(1);
    uint64_t frame[6], sp = VA(G + 0x3008);

    v->trap_handler[14] = VA(G + 0x100);
    v->regs.rip = VA(G + 0x500);
    v->regs.rsp = sp;
    v->regs.rflags = 0x246;
    hv_trap_exception(v, 14, 6, 0x1234);
    CU_ASSERT_EQUAL(v->regs.rip, VA(G + 0x100));
    CU_ASSERT_EQUAL(v->regs.rsp, (sp & ~15ULL) - sizeof(frame));
    CU_ASSERT_TRUE(v->regs_dirty);
    memcpy(frame, fake_gpa(dom, v->regs.rsp - FAKE_VIRT_BASE), sizeof(frame));
    CU_ASSERT_EQUAL(frame[0], 6);             /* error code */
    CU_ASSERT_EQUAL(frame[1], VA(G + 0x500)); /* rip */
    CU_ASSERT_EQUAL(frame[2], fake_platform.user_cs);
    CU_ASSERT_EQUAL(frame[3], 0x246); /* rflags */
    CU_ASSERT_EQUAL(frame[4], sp);    /* rsp */
    CU_ASSERT_EQUAL(frame[5], fake_platform.user_ss);
    CU_ASSERT_EQUAL(fake_shared(dom)->vcpu_info[0].arch.cr2, 0x1234);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_RUNNING);

    /* #UD pushes no error code. */
    v->trap_handler[6] = VA(G + 0x200);
    sp = v->regs.rsp;
    hv_trap_exception(v, 6, 0, 0);
    CU_ASSERT_EQUAL(v->regs.rsp, (sp & ~15ULL) - 5 * 8);
    CU_ASSERT_EQUAL(v->regs.rip, VA(G + 0x200));

    /* An unwritable stack, then no handler: crashes with a report (the
     * log line it also writes is not wanted in the test output). */
    int level = hv_log_level;
    hv_log_level = -1;
    v->regs.rsp = VA(G + 0x3000);
    *fake_l1e(dom, VA(G + 0x2000)) = 0;
    hv_trap_exception(v, 6, 0, 0);
    CU_ASSERT_EQUAL(dom->state, HV_DOM_CRASHED);
    CU_ASSERT_PTR_NOT_NULL(strstr(dom->crash_report, "unwritable stack"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dom->crash_report, "platform: fake"));
    teardown();

    v = setup(1);
    hv_trap_exception(v, 13, 0, 0);
    hv_log_level = level;
    CU_ASSERT_EQUAL(dom->state, HV_DOM_CRASHED);
    CU_ASSERT_PTR_NOT_NULL(strstr(dom->crash_report,
                                  "#GP general protection (vector 13), "
                                  "error code 0x0 with no guest handler"));
    teardown();
}

static const struct unit_test tests[] = {
    { "unknown hypercalls", test_unknown },
    { "exception bounce", test_exception_bounce },
    { "xen_version", test_xen_version },
    { "console_io write", test_console_write },
    { "console_io bad buffers", test_console_bad },
    { "sched_op shutdown", test_shutdown },
    { "sched_op bad arguments", test_shutdown_bad },
    { "multicall", test_multicall },
    { "multicall bad arguments", test_multicall_bad },
    { "set_trap_table", test_trap_table },
    { "set_trap_table bad entries", test_trap_table_bad },
    { "update_va_mapping", test_update_va_mapping },
    { "mmu_update", test_mmu_update },
    { "mmuext_op", test_mmuext_op },
    { "memory_op", test_memory_op },
    { "set_segment_base", test_segment_base },
    { "vcpu_op", test_vcpu_op },
    { "callbacks", test_callbacks },
    { "iret", test_iret },
    { "crash report", test_crash_report },
    { NULL, NULL },
};

const struct unit_suite unit_suite_hypercall = {
    "hypercall",
    NULL,
    NULL,
    tests,
};
