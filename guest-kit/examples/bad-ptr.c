/* SPDX-License-Identifier: MIT */
/* bad-ptr.c: hypercalls with wild pointers and bogus arguments. */
#include <guestkit/guestkit.h>

#define NONCANON_LOW  0x0000800000000000UL /* first non-canonical */
#define NONCANON_HIGH 0x8000000000000000UL
#define HCALL_UNKNOWN 127                  /* last stub, unused */
#define XEN_HOLE_VA   0xffff800000000000UL /* Xen's reserved area */

static unsigned int total, rejected;

/*
 * A call counts as rejected only with the errno it must return: -EFAULT for
 * an address pvisor cannot read, -EINVAL for a value it refuses, -ENOSYS
 * only for a hypercall that does not exist (anywhere else it would mean the
 * call is missing from pvisor's table).
 */
static void check(const char *what, long rc, int want)
{
    int ok = rc == -want;

    total++;
    rejected += ok;
    gk_printf("bad-ptr: %-48s -> %ld (%s)\n", what, rc,
              ok                  ? "rejected"
              : rc >= 0           ? "ACCEPTED"
              : rc == -XEN_ENOSYS ? "WRONG ERRNO: not implemented"
                                  : "WRONG ERRNO");
    if (!ok && rc < 0)
        gk_printf("bad-ptr: %s: want %d\n", what, -want);
}

int main(void)
{
    uint64_t ram_end = GK_VIRT_BASE + (gk_start_info.nr_pages << GK_PAGE_SHIFT);
    /* Above RAM in the kernel's own 2 GiB window: nothing is mapped. */
    unsigned long hole = ram_end + (64UL << 20);
    static struct multicall_entry mc[3];
    struct sched_poll poll;
    struct trap_info bad_trap[2];
    struct evtchn_send send = { .port = 0x7fffffff };
    char *pages, *guard;
    int rc;

    gk_printf("bad-ptr: RAM ends at 0x%lx, unmapped probe at 0x%lx\n", ram_end,
              hole);

    /* Two pages, the second unmapped: a buffer can run into a hole. */
    pages = gk_alloc_pages(1);
    if (!pages)
        gk_panic("out of memory");
    guard = pages + GK_PAGE_SIZE;
    memset(pages, '\n', GK_PAGE_SIZE);
    rc = gk_unmap_page((unsigned long)guard);
    if (rc < 0) {
        gk_printf("bad-ptr: cannot unmap a page (%d); using the hole\n", rc);
        guard = (char *)hole;
    }

    check("console_io: unmapped kernel address",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)hole), XEN_EFAULT);
    check("console_io: NULL", HYPERVISOR_console_io(CONSOLEIO_write, 16, NULL),
          XEN_EFAULT);
    check("console_io: huge length into a hole",
          HYPERVISOR_console_io(CONSOLEIO_write, 0x7fffffff, guard - 1),
          XEN_EINVAL);
    check("console_io: negative length",
          HYPERVISOR_console_io(CONSOLEIO_write, -1, guard - 1), XEN_EINVAL);
    check("console_io: pvisor area (L4 slot 255)",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)PV_PRIV_VA),
          XEN_EFAULT);
    check("console_io: Xen hypervisor hole (L4 slot 256)",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)XEN_HOLE_VA),
          XEN_EFAULT);
    check("console_io: non-canonical (low)",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)NONCANON_LOW),
          XEN_EFAULT);
    check("console_io: non-canonical (high)",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)NONCANON_HIGH),
          XEN_EFAULT);
    check("console_io: unaligned, crossing into a hole",
          HYPERVISOR_console_io(CONSOLEIO_write, 16, guard - 3), XEN_EFAULT);

    poll.ports = hole;
    poll.nr_ports = 1;
    poll.timeout = gk_monotonic_ns() + 10 * GK_NSEC_PER_MSEC;
    check("sched_op poll: bad port list",
          HYPERVISOR_sched_op(SCHEDOP_poll, &poll), XEN_EFAULT);
    check("sched_op poll: bad argument",
          HYPERVISOR_sched_op(SCHEDOP_poll, (void *)hole), XEN_EFAULT);
    check("sched_op shutdown: bad argument",
          HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)PV_PRIV_VA),
          XEN_EFAULT);

    check("set_trap_table: bad table",
          HYPERVISOR_set_trap_table((struct trap_info *)hole), XEN_EFAULT);
    memset(bad_trap, 0, sizeof(bad_trap));
    bad_trap[0].vector = GK_TRAP_UD;
    bad_trap[0].cs = FLAT_KERNEL_CS;
    bad_trap[0].address = NONCANON_LOW;
    check("set_trap_table: non-canonical handler",
          HYPERVISOR_set_trap_table(bad_trap), XEN_EINVAL);

    check("multicall: bad list",
          HYPERVISOR_multicall((struct multicall_entry *)hole, 2), XEN_EFAULT);
    mc[0].op = __HYPERVISOR_console_io;
    mc[0].args[0] = CONSOLEIO_write;
    mc[0].args[1] = 16;
    mc[0].args[2] = 0;
    mc[1].op = 1000;
    mc[2].op = __HYPERVISOR_multicall;
    mc[2].args[0] = (unsigned long)mc;
    mc[2].args[1] = 1;
    rc = (int)HYPERVISOR_multicall(mc, 3);
    check("multicall entry: console_io(NULL)", rc < 0 ? rc : (long)mc[0].result,
          XEN_EFAULT);
    check("multicall entry: hypercall 1000", rc < 0 ? rc : (long)mc[1].result,
          XEN_ENOSYS);
    check("multicall entry: nested multicall", rc < 0 ? rc : (long)mc[2].result,
          XEN_EINVAL);

    check("event_channel_op bind_ipi: bad argument",
          HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, (void *)hole),
          XEN_EFAULT);
    check("event_channel_op send: port out of range",
          HYPERVISOR_event_channel_op(EVTCHNOP_send, &send), XEN_EINVAL);
    check("xen_version extraversion: bad buffer",
          HYPERVISOR_xen_version(XENVER_extraversion, (void *)hole),
          XEN_EFAULT);
    check("memory_op current_reservation: bad domid",
          HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)hole),
          XEN_EFAULT);
    check("vcpu_op initialise: bad context",
          HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, (void *)hole), XEN_EFAULT);
    check("callback_op register: bad argument",
          HYPERVISOR_callback_op(CALLBACKOP_register, (void *)hole),
          XEN_EFAULT);
    check("mmu_update: bad request list",
          HYPERVISOR_mmu_update((struct mmu_update *)hole, 1, NULL, DOMID_SELF),
          XEN_EFAULT);
    check("mmuext_op: bad op list",
          HYPERVISOR_mmuext_op((struct mmuext_op *)hole, 1, NULL, DOMID_SELF),
          XEN_EFAULT);
    check("update_va_mapping: into pvisor area",
          HYPERVISOR_update_va_mapping(
              PV_PRIV_VA, (gk_virt_to_pfn(pages) << 12) | GK_PTE_DEFAULT,
              UVMF_INVLPG),
          XEN_EINVAL);
    check("unknown hypercall 127", _gk_hypercall1(HCALL_UNKNOWN, hole),
          XEN_ENOSYS);

    gk_printf("bad-ptr: still running after %u bad hypercalls\n", total);
    gk_printf("bad-ptr: %u/%u hypercalls rejected\n", rejected, total);
    return rejected == total ? 0 : 1;
}
