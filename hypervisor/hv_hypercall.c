// SPDX-License-Identifier: MIT
/* hv_hypercall.c: hypercall dispatch and the small hypercalls. */
#include <stdio.h>
#include <string.h>

#include <pvabi/callback.h>
#include <pvabi/errno.h>
#include <pvabi/memory.h>
#include <pvabi/version.h>
#include <pvabi/xen.h>

#include "hv.h"
#include "hv_arch.h"
#include "hv_guestmem.h"
#include "hv_hypercall.h"
#include "hv_obs.h"
#include "hv_trap.h"

#define MULTICALL_MAX 256

static long do_xen_version(struct hv_vcpu *v, uint64_t cmd, uint64_t arg,
                           uint64_t a3, uint64_t a4, uint64_t a5)
{
    switch (cmd) {
    case XENVER_version:
        return (HV_XEN_MAJOR << 16) | HV_XEN_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t s = ".0-pvisor";
        return hv_copy_to_guest(v, arg, s, sizeof(s));
    }
    case XENVER_compile_info: {
        struct xen_compile_info ci;
        memset(&ci, 0, sizeof(ci));
        snprintf(ci.compiler, sizeof(ci.compiler), "gcc");
        snprintf(ci.compile_by, sizeof(ci.compile_by), "pvisor");
        snprintf(ci.compile_domain, sizeof(ci.compile_domain), "pvisor");
        snprintf(ci.compile_date, sizeof(ci.compile_date), "%s", __DATE__);
        return hv_copy_to_guest(v, arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities: {
        static xen_capabilities_info_t caps = "xen-3.0-x86_64";
        return hv_copy_to_guest(v, arg, caps, sizeof(caps));
    }
    case XENVER_changeset: {
        xen_changeset_info_t s = "pvisor " HV_VERSION;
        return hv_copy_to_guest(v, arg, s, sizeof(s));
    }
    case XENVER_platform_parameters: {
        struct xen_platform_parameters pp = { HYPERVISOR_VIRT_START };
        return hv_copy_to_guest(v, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        int rc = hv_copy_from_guest(v, &fi, arg, sizeof(fi));
        if (rc)
            return rc;
        /* Page tables live in ordinary guest RAM and may be written
         * directly on every platform: KVM confines every mapping to the
         * domain's memory; proc write-protects page-table pages and
         * applies each write it traps. */
        fi.submap = fi.submap_idx == 0 ? 1u << XENFEAT_writable_page_tables : 0;
        return hv_copy_to_guest(v, arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return (long)HV_PAGE_SIZE;
    case XENVER_guest_handle: {
        uint8_t handle[16] = { 0 };
        uint32_t id = v->d->domid;
        memcpy(handle, &id, sizeof(id));
        return hv_copy_to_guest(v, arg, handle, sizeof(handle));
    }
    case XENVER_commandline:
    case XENVER_build_id:
        return -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}

static long do_console_io(struct hv_vcpu *v, uint64_t cmd, uint64_t count,
                          uint64_t buf, uint64_t a4, uint64_t a5)
{
    char chunk[4096];

    switch (cmd) {
    case CONSOLEIO_write:
        if (count > HV_COPY_MAX)
            return -XEN_EINVAL;
        while (count) {
            size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
            int rc = hv_copy_from_guest(v, chunk, buf, n);
            if (rc)
                return rc;
            hv_console_append(v->d, chunk, n);
            buf += n;
            count -= n;
        }
        return 0;
    case CONSOLEIO_read:
        return 0; /* no input on the emergency console */
    default:
        return -XEN_ENOSYS;
    }
}

static long do_memory_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg,
                         uint64_t a3, uint64_t a4, uint64_t a5)
{
    uint64_t pages = v->d->mem_size / HV_PAGE_SIZE;
    domid_t dom;
    int rc;

    switch (cmd) {
    case XENMEM_maximum_ram_page:
        return (long)(pages - 1);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        rc = hv_copy_from_guest(v, &dom, arg, sizeof(dom));
        if (rc)
            return rc;
        if (dom != DOMID_SELF && dom != v->d->domid)
            return -XEN_EPERM;
        if (cmd == XENMEM_current_reservation)
            return (long)hv_balloon_current_pages(v->d);
        if (cmd == XENMEM_maximum_reservation)
            return (long)hv_balloon_max_pages(v->d);
        return (long)(pages - 1);
    case XENMEM_decrease_reservation:
        return hv_balloon_decrease(v, arg);
    case XENMEM_populate_physmap:
        return hv_balloon_populate(v, arg);
    case XENMEM_memory_map: {
        struct {
            uint32_t nr_entries;
            uint32_t pad;
            uint64_t buffer;
        } map;
        struct {
            uint64_t addr, size;
            uint32_t type;
        } __attribute__((packed)) e820 = { 0, v->d->mem_size, 1 };
        rc = hv_copy_from_guest(v, &map, arg, sizeof(map));
        if (rc)
            return rc;
        if (map.nr_entries < 1)
            return -XEN_EINVAL;
        rc = hv_copy_to_guest(v, map.buffer, &e820, sizeof(e820));
        if (rc)
            return rc;
        map.nr_entries = 1;
        return hv_copy_to_guest(v, arg, &map, sizeof(map.nr_entries));
    }
    case XENMEM_add_to_physmap: {
        struct xen_add_to_physmap x;
        rc = hv_copy_from_guest(v, &x, arg, sizeof(x));
        if (rc)
            return rc;
        if (x.domid != DOMID_SELF && x.domid != v->d->domid)
            return -XEN_EPERM;
        if (x.space == XENMAPSPACE_grant_table)
            return hv_gnttab_add_to_physmap(v->d, x.idx, x.gpfn);
        return -XEN_ENOSYS;
    }
    default:
        return -XEN_ENOSYS;
    }
}

static long do_set_callbacks(struct hv_vcpu *v, uint64_t event,
                             uint64_t failsafe, uint64_t syscall, uint64_t a4,
                             uint64_t a5)
{
    if (!hv_guest_va_ok(event) || (failsafe && !hv_guest_va_ok(failsafe)))
        return -XEN_EINVAL;
    v->event_callback = event;
    v->failsafe_callback = failsafe;
    return 0;
}

static long do_callback_op(struct hv_vcpu *v, uint64_t cmd, uint64_t arg,
                           uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct callback_register reg;
    struct callback_unregister unreg;
    int rc;

    switch (cmd) {
    case CALLBACKOP_register:
        rc = hv_copy_from_guest(v, &reg, arg, sizeof(reg));
        if (rc)
            return rc;
        if (!hv_guest_va_ok(reg.address))
            return -XEN_EINVAL;
        switch (reg.type) {
        case CALLBACKTYPE_event:
            v->event_callback = reg.address;
            return 0;
        case CALLBACKTYPE_failsafe:
            v->failsafe_callback = reg.address;
            return 0;
        case CALLBACKTYPE_syscall:
            return 0; /* there is no guest user mode to come from yet */
        default:
            return -XEN_EINVAL;
        }
    case CALLBACKOP_unregister:
        rc = hv_copy_from_guest(v, &unreg, arg, sizeof(unreg));
        if (rc)
            return rc;
        if (unreg.type == CALLBACKTYPE_event)
            v->event_callback = 0;
        else if (unreg.type == CALLBACKTYPE_failsafe)
            v->failsafe_callback = 0;
        else if (unreg.type != CALLBACKTYPE_syscall)
            return -XEN_EINVAL;
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}

static long do_set_segment_base(struct hv_vcpu *v, uint64_t which,
                                uint64_t base, uint64_t a3, uint64_t a4,
                                uint64_t a5)
{
    if (!hv_canonical(base))
        return -XEN_EINVAL;
    switch (which) {
    case SEGBASE_FS:
        if (v->d->plat->set_segbase(v, 0, base))
            return -XEN_EINVAL;
        v->fs_base = base;
        return 0;
    case SEGBASE_GS_KERNEL:
        if (v->d->plat->set_segbase(v, 1, base))
            return -XEN_EINVAL;
        v->gs_base_kernel = base;
        return 0;
    case SEGBASE_GS_USER:
        v->gs_base_user = base;
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

static long do_vm_assist(struct hv_vcpu *v, uint64_t cmd, uint64_t type,
                         uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (cmd > VMASST_CMD_disable)
        return -XEN_EINVAL;
    return type == VMASST_TYPE_writable_pagetables ||
                   type == VMASST_TYPE_runstate_update_flag
               ? 0
               : -XEN_EINVAL;
}

static long do_fpu_taskswitch(struct hv_vcpu *v, uint64_t set, uint64_t a2,
                              uint64_t a3, uint64_t a4, uint64_t a5)
{
    return 0; /* FPU state is always live: CR0.TS is never set */
}

static long do_multicall(struct hv_vcpu *v, uint64_t list, uint64_t nr,
                         uint64_t a3, uint64_t a4, uint64_t a5);

static long do_pvisor_notify(struct hv_vcpu *v, uint64_t port, uint64_t a2,
                             uint64_t a3, uint64_t a4, uint64_t a5)
{
    return hv_do_evtchn_hc(v, UINT64_MAX, port, 0, 0, 0);
}

static const struct hv_hypercall hv_hypercalls[PV_HYPERCALL_MAX] = {
    [__HYPERVISOR_set_trap_table] = { "set_trap_table", hv_do_set_trap_table,
                                      true },
    [__HYPERVISOR_mmu_update] = { "mmu_update", hv_do_mmu_update, true },
    [__HYPERVISOR_set_callbacks] = { "set_callbacks", do_set_callbacks, true },
    [__HYPERVISOR_fpu_taskswitch] = { "fpu_taskswitch", do_fpu_taskswitch,
                                      true },
    [__HYPERVISOR_memory_op] = { "memory_op", do_memory_op, true },
    [__HYPERVISOR_multicall] = { "multicall", do_multicall, false },
    [__HYPERVISOR_update_va_mapping] = { "update_va_mapping",
                                         hv_do_update_va_mapping, true },
    [__HYPERVISOR_set_timer_op] = { "set_timer_op", hv_do_set_timer_op, true },
    [__HYPERVISOR_xen_version] = { "xen_version", do_xen_version, true },
    [__HYPERVISOR_console_io] = { "console_io", do_console_io, true },
    [__HYPERVISOR_vm_assist] = { "vm_assist", do_vm_assist, true },
    [__HYPERVISOR_iret] = { "iret", hv_do_iret, false },
    [__HYPERVISOR_vcpu_op] = { "vcpu_op", hv_do_vcpu_op, true },
    [__HYPERVISOR_set_segment_base] = { "set_segment_base", do_set_segment_base,
                                        true },
    [__HYPERVISOR_mmuext_op] = { "mmuext_op", hv_do_mmuext_op, true },
    [__HYPERVISOR_sched_op] = { "sched_op", hv_do_sched_op, false },
    [__HYPERVISOR_callback_op] = { "callback_op", do_callback_op, true },
    [__HYPERVISOR_event_channel_op] = { "event_channel_op", hv_do_evtchn_hc,
                                        true },
    [__HYPERVISOR_grant_table_op] = { "grant_table_op", hv_do_grant_table_op,
                                      true },
    [__HYPERVISOR_pvisor_notify] = { "pvisor_notify", do_pvisor_notify, true },
};

const struct hv_hypercall *hv_hypercall_lookup(uint64_t nr)
{
    if (nr >= PV_HYPERCALL_MAX || !hv_hypercalls[nr].fn)
        return NULL;
    return &hv_hypercalls[nr];
}

static long do_multicall(struct hv_vcpu *v, uint64_t list, uint64_t nr,
                         uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (nr > MULTICALL_MAX)
        return -XEN_EINVAL;
    for (uint64_t i = 0; i < nr; i++) {
        struct multicall_entry e;
        uint64_t addr = list + i * sizeof(e);
        const struct hv_hypercall *hc;
        long res;
        int rc;

        rc = hv_copy_from_guest(v, &e, addr, sizeof(e));
        if (rc)
            return rc;
        bool traced = atomic_load_explicit(&v->d->trace_listeners,
                                           memory_order_relaxed) != 0;
        uint64_t t0 = traced ? hv_now_ns() : 0;
        hc = hv_hypercall_lookup(e.op);
        if (!hc)
            res = -XEN_ENOSYS;
        else if (!hc->multicall_ok)
            res = -XEN_EINVAL;
        else
            res = hc->fn(v, e.args[0], e.args[1], e.args[2], e.args[3],
                         e.args[4]);
        if (traced) {
            uint64_t a[5] = { e.args[0], e.args[1], e.args[2], e.args[3],
                              e.args[4] };
            hv_trace_record(v, (uint32_t)e.op, a, res, t0, true);
        }
        e.result = (uint64_t)res;
        rc =
            hv_copy_to_guest(v, addr + offsetof(struct multicall_entry, result),
                             &e.result, sizeof(e.result));
        if (rc)
            return rc;
        if (v->d->state != HV_DOM_RUNNING)
            break;
    }
    return 0;
}

void hv_hypercall(struct hv_vcpu *v, uint32_t nr)
{
    const struct hv_hypercall *hc;
    uint64_t args[5], t0 = 0;
    bool traced;
    long res;

    if (hv_vcpu_regs(v)) {
        hv_domain_crash(v->d, "cannot read vCPU registers");
        return;
    }
    atomic_fetch_add_explicit(&v->st_hypercalls, 1, memory_order_relaxed);
    if (nr < PV_HYPERCALL_MAX) /* single writer: no locked add needed */
        atomic_store_explicit(
            &v->st_hc[nr],
            atomic_load_explicit(&v->st_hc[nr], memory_order_relaxed) + 1,
            memory_order_relaxed);
    /* The trace's whole cost while no one listens: this one load. */
    traced =
        atomic_load_explicit(&v->d->trace_listeners, memory_order_relaxed) != 0;
    if (traced) {
        args[0] = v->regs.rdi;
        args[1] = v->regs.rsi;
        args[2] = v->regs.rdx;
        args[3] = v->regs.r10;
        args[4] = v->regs.r8;
        t0 = hv_now_ns();
    }
    hc = hv_hypercall_lookup(nr);
    if (!hc) {
        log_debug("d%uv%u: hypercall %u not implemented", v->d->domid, v->id,
                  nr);
        res = -XEN_ENOSYS;
    } else {
        res = hc->fn(v, v->regs.rdi, v->regs.rsi, v->regs.rdx, v->regs.r10,
                     v->regs.r8);
        if (hv_log_level >= HV_LOG_DEBUG)
            log_debug("d%uv%u: %s(0x%llx, 0x%llx, 0x%llx) = %ld", v->d->domid,
                      v->id, hc->name, (unsigned long long)v->regs.rdi,
                      (unsigned long long)v->regs.rsi,
                      (unsigned long long)v->regs.rdx, res);
    }
    hv_trap_trace(v, nr, res);
    if (traced)
        hv_trace_record(v, nr, args,
                        res == HV_HC_NORESULT ? (long)v->regs.rax : res, t0,
                        false);
    if (res == HV_HC_NORESULT)
        return;
    v->regs.rax = (uint64_t)res;
    v->regs_dirty = true;
}

void hv_notify_slow(struct hv_vcpu *v, uint32_t port)
{
    if (hv_vcpu_regs(v) == 0)
        (void)hv_do_evtchn_hc(v, UINT64_MAX, port, 0, 0, 0);
}
