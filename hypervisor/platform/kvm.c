// SPDX-License-Identifier: MIT
/* kvm.c: the KVM platform: VMs and vCPUs for CPL3 PV guests (GDT, TSS, IDT). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <stdatomic.h>

#include <pvabi/xen.h>

#include "../hv.h"
#include "../hv_arch.h"

#define HV_SIG_KICK SIGUSR1

static int hv_kvm_fd = -1;
static bool hv_kvm_readonly_mem; /* private area read-only to guests */
static bool hv_kvm_sync_regs;    /* registers travel in kvm_run */
static int vcpu_mmap_size;
static struct kvm_cpuid2 *supported_cpuid;

/* The platform's state of a domain and of a vCPU. */
struct kvm_dom {
    int vm_fd;
};

struct kvm_vcpu {
    int fd;
    struct kvm_run *run;
    size_t run_size;
    bool pge_toggle;
};

static int vm_fd(struct hv_domain *d)
{
    struct kvm_dom *k = d->plat_data;
    return k ? k->vm_fd : -1;
}

static struct kvm_vcpu *kv(struct hv_vcpu *v)
{
    return v->plat_data;
}

_Static_assert(sizeof(struct hv_regs) == sizeof(struct kvm_regs),
               "hv_regs mirrors kvm_regs");

/* Exceptions that push an error code. */
static bool vec_has_errcode(unsigned vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 ||
           vec == 29 || vec == 30;
}

static void detect_flavour(void)
{
    static const char *const mods[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
    char path[64];

    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
        snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
        if (access(path, F_OK) == 0) {
            snprintf(hv_platform_kvm.flavour, sizeof(hv_platform_kvm.flavour),
                     "%s", mods[i]);
            return;
        }
    }
}

/* The guest TSC rate, from a scratch vCPU; else measured on the host. */
static void probe_tsc_khz(void)
{
    int vm = ioctl(hv_kvm_fd, KVM_CREATE_VM, 0);
    if (vm >= 0) {
        int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
        if (vcpu >= 0) {
            int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
            if (khz > 0)
                hv_tsc_khz = (uint64_t)khz;
            close(vcpu);
        }
        close(vm);
    }
    if (!hv_tsc_khz)
        hv_tsc_khz = hv_tsc_khz_measure();
}

static void kick_handler(int sig)
{
    (void)sig; /* only interrupts KVM_RUN */
}

static int kvm_init(struct hv_platform *p, char *err, size_t errlen)
{
    int nent = 256;
    int api;

    hv_kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (hv_kvm_fd < 0) {
        int e = errno;
        snprintf(err, errlen, "/dev/kvm unusable: %s", strerror(e));
        return -e;
    }
    api = ioctl(hv_kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        snprintf(err, errlen, "/dev/kvm: API version %d, need %d", api,
                 KVM_API_VERSION);
        close(hv_kvm_fd);
        hv_kvm_fd = -1;
        return -ENOTSUP;
    }
    p->api_version = api;
    vcpu_mmap_size = ioctl(hv_kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vcpu_mmap_size <= 0) {
        snprintf(err, errlen, "/dev/kvm: KVM_GET_VCPU_MMAP_SIZE failed");
        return -ENOTSUP;
    }
    for (;;) {
        supported_cpuid =
            calloc(1, sizeof(*supported_cpuid) +
                          (size_t)nent * sizeof(struct kvm_cpuid_entry2));
        if (!supported_cpuid)
            return -ENOMEM;
        supported_cpuid->nent = (uint32_t)nent;
        if (ioctl(hv_kvm_fd, KVM_GET_SUPPORTED_CPUID, supported_cpuid) == 0)
            break;
        int e = errno;
        free(supported_cpuid);
        supported_cpuid = NULL;
        if (e != E2BIG || nent > 4096) {
            snprintf(err, errlen, "/dev/kvm: KVM_GET_SUPPORTED_CPUID: %s",
                     strerror(e));
            return -e;
        }
        nent *= 2;
    }
    detect_flavour();
    probe_tsc_khz();
    hv_kvm_readonly_mem =
        ioctl(hv_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
    hv_kvm_sync_regs =
        (ioctl(hv_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) &
         KVM_SYNC_X86_REGS) != 0;

    /* Kick signal: blocked everywhere except inside KVM_RUN (threads made
     * later inherit the mask). */
    struct sigaction sa = { .sa_handler = kick_handler };
    sigaction(HV_SIG_KICK, &sa, NULL);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, HV_SIG_KICK);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    return 0;
}

static void syscall_stub_init(uint8_t *page);
static int syscall_msrs(struct hv_vcpu *v);

static uint64_t *priv_page(struct hv_domain *d, unsigned page)
{
    return (uint64_t *)(d->priv + (size_t)page * HV_PAGE_SIZE);
}

static void gdt_set(uint8_t *gdt, unsigned off, uint64_t desc)
{
    memcpy(gdt + off, &desc, 8);
}

/* Build page tables, GDT, TSS, stubs and default IDTs in the private area. */
static void priv_init(struct hv_domain *d)
{
    uint64_t *l3 = priv_page(d, HV_PRIV_L3);
    uint64_t *l2 = priv_page(d, HV_PRIV_L2);
    uint64_t *l1 = priv_page(d, HV_PRIV_L1);
    uint8_t *gdt = (uint8_t *)priv_page(d, HV_PRIV_GDT);
    uint8_t *tss = (uint8_t *)priv_page(d, HV_PRIV_TSS);
    uint8_t *stubs = (uint8_t *)priv_page(d, HV_PRIV_STUBS);

    /* Accessed bits preset: the tables may sit in a read-only memslot, so
     * the CPU's page walker must never need to write them. */
    l3[0] = (HV_PRIV_GPA + HV_PRIV_L2 * HV_PAGE_SIZE) | HV_PTE_P | HV_PTE_RW |
            HV_PTE_U | HV_PTE_A;
    l2[0] = (HV_PRIV_GPA + HV_PRIV_L1 * HV_PAGE_SIZE) | HV_PTE_P | HV_PTE_RW |
            HV_PTE_U | HV_PTE_A;
    for (unsigned i = 0; i < HV_PRIV_PAGES; i++) {
        uint64_t flags = HV_PTE_P | HV_PTE_RW | HV_PTE_A | HV_PTE_D;
        if (i == HV_PRIV_STUBS)
            flags = HV_PTE_P | HV_PTE_U | HV_PTE_A;
        if (i == HV_PRIV_SYSCALL)
            flags = HV_PTE_P | HV_PTE_U | HV_PTE_A; /* see syscall_stub_init */
        l1[i] = (HV_PRIV_GPA + i * HV_PAGE_SIZE) | flags;
    }

    /* Flat 64-bit descriptors at Xen's selector slots (accessed bit set so
     * the CPU never writes the GDT). */
    gdt_set(gdt, HV_SEL_CS64 & ~7u, 0x00affb000000ffffULL); /* L, DPL3 code */
    gdt_set(gdt, HV_SEL_DS & ~7u, 0x00cff3000000ffffULL);   /* DPL3 data */
    gdt_set(gdt, HV_SEL_CS32 & ~7u, 0x00cffb000000ffffULL); /* 32-bit code */
    gdt_set(gdt, HV_SEL_CS0, 0x00af9b000000ffffULL);        /* L, DPL0 code */
    gdt_set(gdt, HV_SEL_SS0, 0x00cf93000000ffffULL);        /* DPL0 data */
    {
        uint64_t base = PV_PRIV_VA + HV_PRIV_TSS * HV_PAGE_SIZE;
        uint64_t limit = HV_TSS_LIMIT;
        uint64_t lo = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                      (0x8bULL << 40) | (((limit >> 16) & 0xf) << 48) |
                      (((base >> 24) & 0xff) << 56);
        uint64_t hi = base >> 32;
        gdt_set(gdt, HV_SEL_TSS, lo);
        gdt_set(gdt, HV_SEL_TSS + 8, hi);
    }

    /* 64-bit TSS with an I/O bitmap permitting exactly pvisor's ports. */
    memset(tss, 0, HV_TSS_LIMIT + 1);
    tss[102] = 104 & 0xff;
    tss[103] = 104 >> 8;
    memset(tss + 104, 0xff, 8192 + 1);
    for (unsigned port = PV_PORT_HYPERCALL; port < PV_PORT_NOTIFY + 4; port++)
        tss[104 + port / 8] &= (uint8_t) ~(1u << (port % 8));
    for (unsigned port = PV_PORT_SYSCALL; port < PV_PORT_SYSCALL + 4; port++)
        tss[104 + port / 8] &= (uint8_t) ~(1u << (port % 8));

    /* Default exception stubs: [push $0]; push %rax; mov $vec,%eax;
     * out %eax,$PV_PORT_TRAP; jmp . */
    for (unsigned vec = 0; vec < 256; vec++) {
        uint8_t *p = stubs + vec * HV_STUB_SIZE;
        if (!vec_has_errcode(vec)) {
            *p++ = 0x6a;
            *p++ = 0x00;
        }
        *p++ = 0x50;
        *p++ = 0xb8;
        memcpy(p, &vec, 4);
        p += 4;
        *p++ = 0xe7;
        *p++ = PV_PORT_TRAP;
        *p++ = 0xeb;
        *p++ = 0xfe;
    }
    syscall_stub_init((uint8_t *)priv_page(d, HV_PRIV_SYSCALL));
}

static int kvm_domain_create(struct hv_domain *d, char *err, size_t errlen)
{
    struct kvm_userspace_memory_region ram = { 0 }, priv = { 0 }, gnt = { 0 };
    struct kvm_dom *k;
    int e;

    k = calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    d->plat_data = k;
    k->vm_fd = ioctl(hv_kvm_fd, KVM_CREATE_VM, 0);
    if (k->vm_fd < 0) {
        e = errno;
        snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(e));
        return -e;
    }
    priv_init(d);

    ram.slot = 0;
    ram.guest_phys_addr = 0;
    ram.memory_size = d->mem_size;
    ram.userspace_addr = (uint64_t)(uintptr_t)d->mem;
    /* GDT, TSS, IDTs and stubs: read-only to the guest where KVM can do
     * it, so a guest that maps them through its own page tables still
     * cannot rewrite them (and leave CPL3). Grant frames stay writable. */
    priv.slot = 1;
    priv.flags = hv_kvm_readonly_mem ? KVM_MEM_READONLY : 0;
    priv.guest_phys_addr = HV_PRIV_GPA;
    priv.memory_size = HV_PRIV_GNT * HV_PAGE_SIZE;
    priv.userspace_addr = (uint64_t)(uintptr_t)d->priv;
    gnt.slot = 2;
    gnt.guest_phys_addr = HV_PRIV_GPA + HV_PRIV_GNT * HV_PAGE_SIZE;
    gnt.memory_size = HV_GNT_MAX_FRAMES * HV_PAGE_SIZE;
    gnt.userspace_addr =
        (uint64_t)(uintptr_t)(d->priv + HV_PRIV_GNT * HV_PAGE_SIZE);
    if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &ram) < 0 ||
        ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &priv) < 0 ||
        ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &gnt) < 0) {
        e = errno;
        snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(e));
        return -e;
    }
    /* Only used by VT-x without unrestricted guest; harmless elsewhere. */
    if (d->mem_size <= 0xfffbd000ULL)
        (void)ioctl(k->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
    return 0;
}

static void kvm_domain_destroy(struct hv_domain *d)
{
    struct kvm_dom *k = d->plat_data;

    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        struct kvm_vcpu *kc = v ? kv(v) : NULL;
        if (!kc)
            continue;
        if (kc->run)
            munmap(kc->run, kc->run_size);
        if (kc->fd >= 0)
            close(kc->fd);
        free(kc);
        v->plat_data = NULL;
    }
    if (k && k->vm_fd >= 0)
        close(k->vm_fd);
    free(k);
    d->plat_data = NULL;
}

static void idt_gate(uint8_t *idt, unsigned vec, uint64_t addr, unsigned dpl)
{
    uint8_t *g = idt + vec * 16;
    uint16_t sel = HV_SEL_CS64;

    memset(g, 0, 16);
    g[0] = addr & 0xff;
    g[1] = (addr >> 8) & 0xff;
    memcpy(g + 2, &sel, 2);
    g[4] = 0;                                  /* IST */
    g[5] = (uint8_t)(0x80 | (dpl << 5) | 0xe); /* present interrupt gate */
    g[6] = (addr >> 16) & 0xff;
    g[7] = (addr >> 24) & 0xff;
    uint32_t hi = (uint32_t)(addr >> 32);
    memcpy(g + 8, &hi, 4);
}

static uint64_t stub_va(unsigned vec)
{
    return PV_PRIV_VA + HV_PRIV_STUBS * HV_PAGE_SIZE + vec * HV_STUB_SIZE;
}

static void kvm_set_trap(struct hv_vcpu *v, unsigned vec, uint64_t addr,
                         unsigned dpl)
{
    uint8_t *idt = (uint8_t *)priv_page(v->d, HV_PRIV_IDT + v->id);

    /* #PF always goes through pvisor: CR2 is unreadable at CPL3, so pvisor
     * copies it into vcpu_info.arch.cr2 and then reflects the fault. */
    (void)dpl;
    if (addr == 0 || vec == 14)
        idt_gate(idt, vec, stub_va(vec), 3);
    else
        idt_gate(idt, vec, addr, 3);
}

static int kvm_vcpu_create(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    struct kvm_vcpu *kc;
    struct {
        struct kvm_signal_mask m;
        uint8_t set[8];
    } sm;

    kc = calloc(1, sizeof(*kc));
    if (!kc)
        return -ENOMEM;
    v->plat_data = kc;
    kc->fd = ioctl(vm_fd(d), KVM_CREATE_VCPU, (unsigned long)v->id);
    if (kc->fd < 0)
        return -errno;
    kc->run_size = (size_t)vcpu_mmap_size;
    kc->run =
        mmap(NULL, kc->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kc->fd, 0);
    if (kc->run == MAP_FAILED) {
        kc->run = NULL;
        return -errno;
    }
    if (hv_kvm_sync_regs)
        kc->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    if (supported_cpuid && ioctl(kc->fd, KVM_SET_CPUID2, supported_cpuid) < 0)
        return -errno;
    /* During KVM_RUN no signal is blocked, so a kick always interrupts. */
    memset(&sm, 0, sizeof(sm));
    sm.m.len = 8;
    if (ioctl(kc->fd, KVM_SET_SIGNAL_MASK, &sm) < 0)
        return -errno;
    if (!hv_tsc_khz) {
        int khz = ioctl(kc->fd, KVM_GET_TSC_KHZ, 0);
        if (khz > 0)
            hv_tsc_khz = (uint64_t)khz;
    }
    uint8_t *idt = (uint8_t *)priv_page(d, HV_PRIV_IDT + v->id);
    for (unsigned vec = 0; vec < 256; vec++)
        idt_gate(idt, vec, stub_va(vec), 3);
    return 0;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
                     bool code64)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->dpl = 3;
    s->s = 1;
    s->l = code64;
    s->db = !code64;
    s->g = 1;
}

static void seg_null(struct kvm_segment *s)
{
    memset(s, 0, sizeof(*s));
    s->unusable = 1;
    s->type = 3;
}

static int kvm_install_l4_slot(struct hv_domain *d, uint64_t cr3)
{
    if ((cr3 & (HV_PAGE_SIZE - 1)) || cr3 >= d->mem_size)
        return -EINVAL;
    uint64_t *l4 = (uint64_t *)(d->mem + cr3);
    uint64_t e = (HV_PRIV_GPA + HV_PRIV_L3 * HV_PAGE_SIZE) | HV_PTE_P |
                 HV_PTE_RW | HV_PTE_U;
    __atomic_store_n(&l4[PV_PRIV_L4_SLOT], e, __ATOMIC_RELEASE);
    return 0;
}

static int kvm_vcpu_reset(struct hv_vcpu *v, uint64_t cr3, uint64_t rip,
                          uint64_t rsp, uint64_t rsi)
{
    struct kvm_sregs sr;

    if (ioctl(kv(v)->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    seg_flat(&sr.cs, HV_SEL_CS64, 11, true);
    seg_flat(&sr.ss, HV_SEL_DS, 3, false);
    seg_null(&sr.ds);
    seg_null(&sr.es);
    seg_null(&sr.fs);
    seg_null(&sr.gs);
    sr.fs.base = v->fs_base;
    sr.gs.base = v->gs_base_kernel;
    memset(&sr.tr, 0, sizeof(sr.tr));
    sr.tr.base = PV_PRIV_VA + HV_PRIV_TSS * HV_PAGE_SIZE;
    sr.tr.limit = HV_TSS_LIMIT;
    sr.tr.selector = HV_SEL_TSS;
    sr.tr.type = 11;
    sr.tr.present = 1;
    memset(&sr.ldt, 0, sizeof(sr.ldt));
    sr.ldt.unusable = 1;
    sr.ldt.type = 2;
    sr.gdt.base = PV_PRIV_VA + HV_PRIV_GDT * HV_PAGE_SIZE;
    sr.gdt.limit = 0xffff;
    sr.idt.base = PV_PRIV_VA + (HV_PRIV_IDT + v->id) * HV_PAGE_SIZE;
    sr.idt.limit = 0xfff;
    sr.cr0 = 0x80050033ULL; /* PG AM WP NE ET MP PE */
    sr.cr3 = cr3;
    sr.cr4 = 0x620;  /* OSXMMEXCPT OSFXSR PAE */
    sr.efer = 0xd01; /* NXE LMA LME SCE */
    memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
    if (ioctl(kv(v)->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    if (syscall_msrs(v) < 0)
        return -errno;

    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rip = rip;
    v->regs.rsp = rsp;
    v->regs.rsi = rsi;
    v->regs.rflags = HV_RFLAGS_INIT;
    v->regs_dirty = true;
    v->regs_valid = true;
    v->cr3 = cr3;
    return 0;
}

/*
 * pvisor writes guest page tables from outside the VM (mmu_update,
 * update_va_mapping, its L4 slot), which a shadow MMU does not see: it
 * only tracks writes made by the guest. Creating and deleting a scratch
 * memslot makes KVM drop every shadow page of the VM (x86's default
 * "zap all on slot deletion"), so the next accesses re-read the tables.
 * It is slow (all mappings are rebuilt), but page-table hypercalls are
 * rare; guests that write their PTEs directly only need a TLB flush.
 */
static int kvm_mmu_resync(struct hv_domain *d)
{
    static pthread_mutex_t resync_lock = PTHREAD_MUTEX_INITIALIZER;
    struct kvm_userspace_memory_region r = {
        .slot = 3,
        .flags = hv_kvm_readonly_mem ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = HV_PRIV_GPA + (1ULL << 30),
        .memory_size = HV_PAGE_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)d->priv,
    };
    int rc = 0;

    pthread_mutex_lock(&resync_lock);
    if (ioctl(vm_fd(d), KVM_SET_USER_MEMORY_REGION, &r) < 0)
        rc = -errno;
    r.memory_size = 0;
    if (ioctl(vm_fd(d), KVM_SET_USER_MEMORY_REGION, &r) < 0 && !rc)
        rc = -errno;
    pthread_mutex_unlock(&resync_lock);
    return rc;
}

static int kvm_set_cr3(struct hv_vcpu *v, uint64_t cr3)
{
    struct kvm_sregs sr;

    if (ioctl(kv(v)->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    sr.cr3 = cr3;
    if (ioctl(kv(v)->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    v->cr3 = cr3;
    return 0;
}

static int kvm_set_segbase(struct hv_vcpu *v, int which, uint64_t base)
{
    struct kvm_sregs sr;

    if (ioctl(kv(v)->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    if (which == 0)
        sr.fs.base = base;
    else
        sr.gs.base = base;
    if (ioctl(kv(v)->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    return 0;
}

static int kvm_get_cr2(struct hv_vcpu *v, uint64_t *cr2)
{
    struct kvm_sregs sr;

    if (ioctl(kv(v)->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    *cr2 = sr.cr2;
    return 0;
}

static uint64_t kvm_guest_tsc(struct hv_vcpu *v)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } m;

    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = 1;
    m.e.index = 0x10; /* IA32_TIME_STAMP_COUNTER */
    if (ioctl(kv(v)->fd, KVM_GET_MSRS, &m) != 1)
        return 0;
    return m.e.data;
}

static int kvm_get_regs(struct hv_vcpu *v)
{
    struct kvm_regs r;

    if (ioctl(kv(v)->fd, KVM_GET_REGS, &r) < 0)
        return -errno;
    memcpy(&v->regs, &r, sizeof(r));
    return 0;
}

static void kvm_kick(struct hv_vcpu *v)
{
    pthread_kill(v->thread, HV_SIG_KICK);
}

/*
 * pvisor edits guest page tables from outside the VM, which neither a
 * shadow MMU nor a guest TLB notices. Changing CR4.PGE makes KVM reset the
 * vCPU's MMU context, so the next entry sees the new tables.
 */
static void kvm_flush_tlb(struct hv_vcpu *v)
{
    struct kvm_vcpu *kc = kv(v);
    struct kvm_sregs sr;

    if (ioctl(kc->fd, KVM_GET_SREGS, &sr) < 0)
        return;
    kc->pge_toggle = !kc->pge_toggle;
    if (kc->pge_toggle)
        sr.cr4 |= 0x80;
    else
        sr.cr4 &= ~0x80ULL;
    (void)ioctl(kc->fd, KVM_SET_SREGS, &sr);
}

/* pvisor_notify's `out` to PV_PORT_NOTIFY, consumed in the host kernel. */
static int kvm_notify_fd(struct hv_domain *d, uint32_t gport, int fd,
                         bool assign)
{
    struct kvm_ioeventfd io = {
        .datamatch = gport,
        .addr = PV_PORT_NOTIFY,
        .len = 4,
        .fd = fd,
        .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    if (vm_fd(d) < 0)
        return -EBADF;
    return ioctl(vm_fd(d), KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

/* The hypercall page: `out` to pvisor's port, which exits the VM. */
static void kvm_fill_hypercall_page(uint8_t *page)
{
    memset(page, 0xf4, HV_PAGE_SIZE); /* hlt: a stray jump is reported */
    for (uint32_t nr = 0; nr < PV_HYPERCALL_MAX; nr++) {
        uint8_t *p = page + nr * PV_HYPERCALL_STUB_SIZE;
        if (nr == __HYPERVISOR_iret) {
            /* Entered by jmp with the iret frame minus rax on the stack:
             * push %rax; mov $23,%eax; out %eax,$HYPERCALL */
            static const uint8_t s[] = { 0x50, 0xb8, 23,   0,
                                         0,    0,    0xe7, PV_PORT_HYPERCALL };
            memcpy(p, s, sizeof(s));
            continue;
        }
        if (nr == __HYPERVISOR_pvisor_notify) {
            /* mov %edi,%eax; out %eax,$NOTIFY; xor %eax,%eax; ret */
            static const uint8_t s[] = { 0x89, 0xf8, 0xe7, PV_PORT_NOTIFY,
                                         0x31, 0xc0, 0xc3 };
            memcpy(p, s, sizeof(s));
            continue;
        }
        /* mov $nr,%eax; out %eax,$HYPERCALL; ret */
        p[0] = 0xb8;
        memcpy(p + 1, &nr, 4);
        p[5] = 0xe7;
        p[6] = PV_PORT_HYPERCALL;
        p[7] = 0xc3;
    }
}

static void drain_kicks(void)
{
    static const struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, HV_SIG_KICK);
    while (sigtimedwait(&set, NULL, &zero) == HV_SIG_KICK)
        ;
}

static void crash_msg(struct hv_exit *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void crash_msg(struct hv_exit *ex, const char *fmt, ...)
{
    va_list ap;

    ex->kind = HV_EXIT_CRASH;
    va_start(ap, fmt);
    vsnprintf(ex->msg, sizeof(ex->msg), fmt, ap);
    va_end(ap);
}

/*
 * ---- The `syscall` hypercall transport ----
 *
 * Xen's 64-bit PV kernels may make hypercalls with an inline `syscall`
 * (rax = number) instead of calling the hypercall page. The CPU continues
 * at LSTAR, which points at one instruction, `out %eax, $PV_PORT_SYSCALL`:
 * the exit reaches pvisor, which does what `sysretq` would (rip = rcx,
 * rflags = r11, CPL3 selectors) and dispatches the hypercall as if it had
 * come from the hypercall page at the instruction after the `syscall`.
 *
 * On VT-x/SVM `syscall` enters CPL0 with pvisor's DPL0 selectors, and the
 * stub is the only instruction that ever runs there (CPL0 code is
 * emulated, thousands of times slower, on the nested "PVM" flavour of
 * KVM). Under PVM the guest stays at CPL3 (rip moves to LSTAR, CS stays
 * 0xe033): hence a user-accessible stub page, a port in the TSS I/O
 * bitmap, and a CS check instead of an unconditional return to CPL3. A
 * guest that jumps into the stub itself gains nothing: rip and rflags come
 * from its own rcx and r11, checked like an iret's.
 */
#define MSR_STAR         0xc0000081
#define MSR_LSTAR        0xc0000082
#define MSR_CSTAR        0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
/* TF IF DF IOPL NT AC: nothing may interrupt or trap the stub. */
#define SYSCALL_FMASK 0x47700ULL

static uint64_t syscall_stub_va(void)
{
    return PV_PRIV_VA + HV_PRIV_SYSCALL * HV_PAGE_SIZE;
}

static void syscall_stub_init(uint8_t *page)
{
    /* out %eax, $PV_PORT_SYSCALL; hlt (never reached: pvisor moves rip to
     * rcx; a hlt would end the domain with a report). */
    static const uint8_t stub[] = { 0xe7, PV_PORT_SYSCALL, 0xf4 };

    memset(page, 0xf4, HV_PAGE_SIZE);
    memcpy(page, stub, sizeof(stub));
}

static int syscall_msrs(struct hv_vcpu *v)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[4];
    } m;

    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = 4;
    m.e[0].index = MSR_STAR;
    /* syscall: CS = 0xe008, SS = 0xe010 (pvisor's DPL0 selectors). */
    m.e[0].data = (uint64_t)HV_SEL_CS0 << 32;
    m.e[1].index = MSR_LSTAR;
    m.e[1].data = syscall_stub_va();
    m.e[2].index = MSR_CSTAR;
    m.e[2].data = syscall_stub_va(); /* no 32-bit code runs; same stub */
    m.e[3].index = MSR_SYSCALL_MASK;
    m.e[3].data = SYSCALL_FMASK;
    if (ioctl(kv(v)->fd, KVM_SET_MSRS, &m) != 4) {
        if (errno == 0)
            errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Whether v (registers fetched) is stopped inside the syscall stub: an
 * upcall waits until the stub's exit has returned it to its caller. */
static bool kvm_in_transport_stub(struct hv_vcpu *v)
{
    return v->regs.rip - syscall_stub_va() < HV_PAGE_SIZE;
}

/*
 * Where `syscall` leaves a vCPU on this host's KVM, learned at the first
 * syscall hypercall: -1 unknown, 0 at CPL0 (VT-x/SVM: pvisor must load the
 * CPL3 selectors back), 3 at CPL3 (PVM). KVM_GET_SREGS costs ~13 us under
 * PVM, about a third of the whole round trip, so it is skipped once the
 * answer is 3: the flavour of KVM does not change while pvisor runs.
 */
static _Atomic int syscall_entry_cpl = -1;

/*
 * A syscall hypercall arrived: the vCPU executed `syscall` (rax = nr) and
 * the LSTAR stub exited to PV_PORT_SYSCALL. Returns the vCPU to CPL3 after
 * the `syscall` (rip = rcx) and hands nr to the core as a hypercall; a
 * crash if the exit did not come from the stub.
 */
static void syscall_exit(struct hv_vcpu *v, uint32_t nr, struct hv_exit *ex)
{
    struct kvm_sregs sr;

    if (!v->regs_valid && kvm_get_regs(v) < 0) {
        crash_msg(ex, "syscall hypercall: cannot read registers");
        return;
    }
    v->regs_valid = true;
    if (!kvm_in_transport_stub(v)) {
        crash_msg(ex,
                  "out to port 0x%x at rip 0x%llx, outside pvisor's "
                  "syscall stub",
                  PV_PORT_SYSCALL, (unsigned long long)v->regs.rip);
        return;
    }
    /* What sysretq would do, without executing it at CPL0. */
    if (atomic_load_explicit(&syscall_entry_cpl, memory_order_relaxed) != 3) {
        if (ioctl(kv(v)->fd, KVM_GET_SREGS, &sr) < 0) {
            crash_msg(ex, "syscall hypercall: cannot read segments");
            return;
        }
        atomic_store_explicit(&syscall_entry_cpl, sr.cs.selector & 3,
                              memory_order_relaxed);
    }
    if (atomic_load_explicit(&syscall_entry_cpl, memory_order_relaxed) != 3) {
        seg_flat(&sr.cs, HV_SEL_CS64, 11, true);
        seg_flat(&sr.ss, HV_SEL_DS, 3, false);
        if (ioctl(kv(v)->fd, KVM_SET_SREGS, &sr) < 0) {
            crash_msg(ex, "syscall hypercall: cannot return to CPL3");
            return;
        }
    }
    v->regs.rip = v->regs.rcx;
    v->regs.rflags = (v->regs.r11 & HV_RFLAGS_USER_MASK) | HV_RFLAGS_INIT;
    v->regs_dirty = true;
    ex->kind = HV_EXIT_HYPERCALL;
    ex->val = nr;
}

static void decode_exit(struct hv_vcpu *v, struct kvm_run *r,
                        struct hv_exit *ex)
{
    switch (r->exit_reason) {
    case KVM_EXIT_IO:
        if (r->io.direction == KVM_EXIT_IO_OUT && r->io.size == 4 &&
            r->io.count == 1) {
            ex->kind = HV_EXIT_IO;
            ex->port = r->io.port;
            memcpy(&ex->val, (uint8_t *)r + r->io.data_offset, 4);
            if (ex->port == PV_PORT_SYSCALL)
                syscall_exit(v, ex->val, ex);
            return;
        }
        crash_msg(ex, "%s of size %u to I/O port 0x%x",
                  r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", r->io.size,
                  r->io.port);
        return;
    case KVM_EXIT_SHUTDOWN:
        crash_msg(ex, "triple fault (an exception could not be delivered: "
                      "bad stack, IDT or page tables)");
        return;
    case KVM_EXIT_MMIO:
        if (r->mmio.phys_addr >= HV_PRIV_GPA &&
            r->mmio.phys_addr < HV_PRIV_GPA + v->d->priv_size)
            crash_msg(ex,
                      "%s of guest-physical 0x%llx: "
                      "pvisor's private area (GDT/IDT/TSS) is read-only",
                      r->mmio.is_write ? "write" : "read",
                      (unsigned long long)r->mmio.phys_addr);
        else
            crash_msg(ex,
                      "%s of guest-physical 0x%llx outside "
                      "guest RAM (%llu KiB)",
                      r->mmio.is_write ? "write" : "read",
                      (unsigned long long)r->mmio.phys_addr,
                      (unsigned long long)(v->d->mem_size >> 10));
        return;
    case KVM_EXIT_HLT:
        crash_msg(ex, "hlt reached the host (CPL0 code?)");
        return;
    case KVM_EXIT_FAIL_ENTRY:
        crash_msg(
            ex, "VM entry failed (hardware reason 0x%llx)",
            (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        return;
    case KVM_EXIT_INTERNAL_ERROR:
        crash_msg(ex, "KVM internal error (suberror %u)", r->internal.suberror);
        return;
    default:
        crash_msg(ex, "unexpected KVM exit reason %u", r->exit_reason);
        return;
    }
}

static int kvm_vcpu_run(struct hv_vcpu *v, struct hv_exit *ex)
{
    struct kvm_vcpu *kc = kv(v);
    struct kvm_run *r = kc->run;
    int rc, e;

    ex->kind = HV_EXIT_NONE;
    /* Never run on an L4 whose slot 255 (GDT, IDT, TSS) the guest
     * replaced: its page tables are writable to it. */
    if (!hv_mmu_priv_slot_ok(v)) {
        crash_msg(ex, "the guest changed L4 slot 255 of its page table "
                      "(pvisor's GDT, IDT and TSS; mmu_update refuses it, "
                      "a direct write is caught here)");
        return 0;
    }
    if (v->regs_dirty && hv_kvm_sync_regs) {
        memcpy(&r->s.regs.regs, &v->regs, sizeof(v->regs));
        r->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
        v->regs_dirty = false;
    } else if (v->regs_dirty) {
        struct kvm_regs kr;
        memcpy(&kr, &v->regs, sizeof(kr));
        if (ioctl(kc->fd, KVM_SET_REGS, &kr) < 0) {
            crash_msg(ex, "KVM_SET_REGS failed");
            return 0;
        }
        v->regs_dirty = false;
    }
    rc = ioctl(kc->fd, KVM_RUN, 0);
    e = errno;
    if (hv_kvm_sync_regs && (r->kvm_dirty_regs & KVM_SYNC_X86_REGS)) {
        /* KVM returned before consuming our registers: keep them. */
        v->regs_dirty = true;
    } else if (hv_kvm_sync_regs) {
        memcpy(&v->regs, &r->s.regs.regs, sizeof(v->regs));
        v->regs_valid = true;
    } else {
        v->regs_valid = false;
    }
    if (rc < 0) {
        if (e == EINTR || e == EAGAIN) {
            /* The kick stays pending once KVM_RUN restores our mask;
             * drain it, or every later KVM_RUN returns EINTR at once. */
            drain_kicks();
            return 0;
        }
        crash_msg(ex, e == EFAULT ? "KVM_RUN: bad address" : "KVM_RUN failed");
        return 0;
    }
    decode_exit(v, r, ex);
    return 0;
}

static int kvm_thread_start(struct hv_vcpu *v)
{
    return 0;
}

static void kvm_thread_stop(struct hv_vcpu *v)
{
}

struct hv_platform hv_platform_kvm = {
    .name = "kvm",
    .flavour = "kvm",
    .user_cs = HV_SEL_CS64,
    .user_ss = HV_SEL_DS,
    .init = kvm_init,
    .domain_create = kvm_domain_create,
    .domain_destroy = kvm_domain_destroy,
    .vcpu_create = kvm_vcpu_create,
    .vcpu_thread_start = kvm_thread_start,
    .vcpu_thread_stop = kvm_thread_stop,
    .vcpu_reset = kvm_vcpu_reset,
    .vcpu_run = kvm_vcpu_run,
    .get_regs = kvm_get_regs,
    .kick = kvm_kick,
    .install_l4_slot = kvm_install_l4_slot,
    .set_cr3 = kvm_set_cr3,
    .mmu_resync = kvm_mmu_resync,
    .flush_tlb = kvm_flush_tlb,
    .set_trap = kvm_set_trap,
    .set_segbase = kvm_set_segbase,
    .get_cr2 = kvm_get_cr2,
    .guest_tsc = kvm_guest_tsc,
    .fill_hypercall_page = kvm_fill_hypercall_page,
    .notify_fd = kvm_notify_fd,
    .in_transport_stub = kvm_in_transport_stub,
};
