// SPDX-License-Identifier: MIT
/* fuzz_hypercall.c: hypercall dispatch from two hostile fake domains. */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/hv_arch.h"
#include "../unit/fake_domain.h"
#include "fuzz.h"

/*
 * Two domains (ids 7 and 8, two vCPUs each) in the domain table, built as
 * the unit tests build them: page tables mapping all of their 4 MiB at
 * FAKE_VIRT_BASE, an event channel table, a grant table. The input
 * writes either domain's 16 KiB scratch memory (the structures hypercalls
 * read) and issues hypercalls from either domain and vCPU: any number,
 * and arguments that are either raw or addresses inside the scratch area
 * (so that most reach the handlers' checks rather than the first copy).
 * Cross-domain event channels and grant copies happen when the bytes say
 * so. Both domains are reset to their first state before each input.
 */
#define SCRATCH_LEN 0x4000u

static uint64_t arg(struct fz *f)
{
    uint8_t how = fz_u8(f);

    switch (how % 4) {
    case 0:
        return fz_u64(f);
    case 1: /* an address in the scratch area */
        return FAKE_VA(FAKE_SCRATCH_GPA) + fz_u16(f) % SCRATCH_LEN;
    case 2: /* a small number: a command, a count, a port, a domid */
        return fz_u8(f);
    default: /* DOMID_SELF and friends */
        return 0x7ff0u + fz_u8(f) % 16;
    }
}

/* A pristine copy of each domain's RAM, restored before every input. */
static struct hv_domain *dom[2];
static uint8_t *pristine;

static void setup_once(void)
{
    hv_log_set_fd(-1);
    pristine = malloc(FAKE_MEM_SIZE);
    if (!pristine)
        abort();
    for (int i = 0; i < 2; i++) {
        dom[i] = fake_domain_new(2, 64);
        if (!dom[i])
            abort();
        dom[i]->domid = 7 + (uint32_t)i;
        if (hv_domain_insert(dom[i]))
            abort();
    }
    memcpy(pristine, dom[0]->mem, FAKE_MEM_SIZE);
}

/* Back to the state fake_domain_new made: RAM, channels, grants, vCPUs,
 * run state. */
static void reset(struct hv_domain *d)
{
    memcpy(d->mem, pristine, FAKE_MEM_SIZE);
    memset(d->priv, 0, d->priv_size);
    hv_evtchn_fini(d);
    hv_gnttab_fini(d);
    d->gnt_frames = 0;
    memset(d->gnt_frame_gpa, 0, sizeof(d->gnt_frame_gpa));
    if (hv_evtchn_init(d, 64))
        abort();
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct hv_vcpu *v = d->vcpus[i];
        struct hv_domain *keep = v->d;

        memset(v, 0, sizeof(*v));
        v->d = keep;
        v->id = i;
        v->timer_fd = -1;
        v->cr3 = FAKE_L4_GPA;
        v->regs_valid = true;
        v->online = v->initialised = i == 0;
    }
    free(d->crash_report);
    d->crash_report = NULL;
    d->state = HV_DOM_RUNNING;
    d->paused = d->dying = false;
    d->shutdown_reason = d->shutdown_code = 0;
    d->shutdown_code_set = d->action_pending = false;
    d->built = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    unsigned steps = 0;

    if (!pristine)
        setup_once();
    reset(dom[0]);
    reset(dom[1]);
    while (f.n && steps++ < 64) {
        uint8_t who = fz_u8(&f);
        struct hv_domain *d = dom[who & 1];

        if ((who & 0xc0) == 0xc0) { /* the guest writes its memory */
            size_t off = fz_u16(&f) % SCRATCH_LEN, len = fz_u8(&f);
            fz_bytes(&f, fake_gpa(d, FAKE_SCRATCH_GPA + off),
                     len < SCRATCH_LEN - off ? len : SCRATCH_LEN - off);
            continue;
        }
        struct hv_vcpu *v = d->vcpus[(who >> 1) & 1];
        uint32_t nr = fz_u8(&f) % 48;
        uint64_t a[5];

        for (int i = 0; i < 5; i++)
            a[i] = arg(&f);
        (void)fake_hypercall(v, nr, a[0], a[1], a[2], a[3], a[4]);
    }
    return 0;
}
