// SPDX-License-Identifier: MIT
/* fake_domain.c: a built domain in plain memory on the fake platform. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../hypervisor/hv_arch.h"
#include "../../hypervisor/hv_hypercall.h"
#include "fake_domain.h"

#define PT_FLAGS (HV_PTE_P | HV_PTE_RW | HV_PTE_U)

static uint64_t *table(struct hv_domain *d, uint64_t gpa)
{
    return (uint64_t *)(d->mem + gpa);
}

static void build_tables(struct hv_domain *d)
{
    uint64_t va = FAKE_VIRT_BASE;

    table(d, FAKE_L4_GPA)[(va >> 39) & 511] = FAKE_L3_GPA | PT_FLAGS;
    table(d, FAKE_L3_GPA)[(va >> 30) & 511] = FAKE_L2_GPA | PT_FLAGS;
    for (uint64_t i = 0; i < FAKE_MEM_SIZE >> 21; i++)
        table(d, FAKE_L2_GPA)[((va >> 21) & 511) + i] =
            (FAKE_L1_GPA + i * HV_PAGE_SIZE) | PT_FLAGS;
    for (uint64_t pfn = 0; pfn < FAKE_PAGES; pfn++)
        table(d, FAKE_L1_GPA)[pfn] = (pfn << HV_PAGE_SHIFT) | PT_FLAGS;
}

void fake_vcpu_reset(struct hv_vcpu *v, struct hv_domain *d, unsigned id)
{
    memset(v, 0, sizeof(*v));
    v->d = d;
    v->id = id;
    v->timer_fd = -1;
    v->cr3 = FAKE_L4_GPA;
    v->regs_valid = true;
    v->online = v->initialised = id == 0;
}

static struct hv_vcpu *vcpu_new(struct hv_domain *d, unsigned id)
{
    struct hv_vcpu *v = malloc(sizeof(*v));

    if (v)
        fake_vcpu_reset(v, d, id);
    return v;
}

struct hv_domain *fake_domain_new(unsigned nr_vcpus, unsigned max_evtchn)
{
    struct hv_domain *d = calloc(1, sizeof(*d));
    pthread_condattr_t ca;

    if (!d)
        return NULL;
    d->domid = FAKE_DOMID;
    strcpy(d->name, "fake");
    memset(&fake_platform_calls, 0, sizeof(fake_platform_calls));
    d->plat = &fake_platform;
    d->mem_fd = d->priv_fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    d->state = HV_DOM_RUNNING;
    d->mem_size = FAKE_MEM_SIZE;
    d->mem = aligned_alloc(HV_PAGE_SIZE, FAKE_MEM_SIZE);
    d->priv_size = HV_PRIV_PAGES * HV_PAGE_SIZE;
    d->priv = aligned_alloc(HV_PAGE_SIZE, d->priv_size);
    if (!d->mem || !d->priv || hv_evtchn_init(d, max_evtchn) != 0)
        goto fail;
    memset(d->mem, 0, FAKE_MEM_SIZE);
    memset(d->priv, 0, d->priv_size);
    build_tables(d);
    d->shared_info_gpa = FAKE_SHARED_INFO_GPA;
    d->boot_cr3 = FAKE_L4_GPA;
    d->boot_mono_ns = hv_now_ns();
    d->nr_vcpus = nr_vcpus;
    for (unsigned i = 0; i < nr_vcpus; i++) {
        d->vcpus[i] = vcpu_new(d, i);
        if (!d->vcpus[i])
            goto fail;
    }
    d->built = true;
    return d;

fail:
    fake_domain_free(d);
    return NULL;
}

void fake_domain_free(struct hv_domain *d)
{
    if (!d)
        return;
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        free(d->vcpus[i]);
    hv_evtchn_fini(d);
    hv_gnttab_fini(d);
    free(d->crash_report);
    free(d->mem);
    free(d->priv);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}

void *fake_gpa(struct hv_domain *d, uint64_t gpa)
{
    return d->mem + gpa;
}

struct shared_info *fake_shared(struct hv_domain *d)
{
    return fake_gpa(d, d->shared_info_gpa);
}

uint64_t *fake_l1e(struct hv_domain *d, uint64_t va)
{
    uint64_t pfn = (va - FAKE_VIRT_BASE) >> HV_PAGE_SHIFT;

    return table(d, FAKE_L1_GPA) + pfn;
}

void fake_map_priv_slot(struct hv_domain *d, uint64_t gpa)
{
    uint64_t va = PV_PRIV_VA;

    table(d, FAKE_L4_GPA)[(va >> 39) & 511] = 0x7000 | PT_FLAGS;
    table(d, 0x7000)[(va >> 30) & 511] = 0x8000 | PT_FLAGS;
    table(d, 0x8000)[(va >> 21) & 511] = 0x9000 | PT_FLAGS;
    table(d, 0x9000)[(va >> 12) & 511] = gpa | PT_FLAGS;
}

long fake_hypercall(struct hv_vcpu *v, uint32_t nr, uint64_t a1, uint64_t a2,
                    uint64_t a3, uint64_t a4, uint64_t a5)
{
    v->regs.rax = 0x5a5a5a5a5a5a5a5aULL; /* must be overwritten */
    v->regs.rdi = a1;
    v->regs.rsi = a2;
    v->regs.rdx = a3;
    v->regs.r10 = a4;
    v->regs.r8 = a5;
    hv_hypercall(v, nr);
    return (long)v->regs.rax;
}
