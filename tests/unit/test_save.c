// SPDX-License-Identifier: MIT
/* test_save.c: pvisor's saved state and pvctl's image checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/save.h>
#include <pvabi/sched.h>

#include "../../dom0-tools/pvctl/save_image.h"
#include "../../hypervisor/hv_save.h"
#include "fake_domain.h"
#include "unit.h"

#define STUB_GPA  (FAKE_SCRATCH_GPA)
#define STACK_GPA (FAKE_SCRATCH_GPA + 0x2000)

/* A suspended fake domain: vCPU 0 stands in the proc stub's tail, after
 * `syscall`, with r11, rcx and the return address on its stack. */
static struct hv_domain *suspended(void)
{
    static const uint8_t tail[] = { 0x41, 0x5b, 0x59, 0xc3 };
    struct hv_domain *d = fake_domain_new(2, 64);
    uint64_t stack[3] = { 0x1111, 0x2222, FAKE_VA(0x9000) };

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    d->hypercall_page_gpa = STUB_GPA;
    d->start_info_gpa = FAKE_SCRATCH_GPA + 0x1000;
    memcpy(fake_gpa(d, STUB_GPA + 10), tail, sizeof(tail));
    memcpy(fake_gpa(d, STACK_GPA), stack, sizeof(stack));
    struct hv_vcpu *v = d->vcpus[0];
    v->initialised = v->online = true;
    v->cr3 = FAKE_L4_GPA;
    v->regs.rip = FAKE_VA(STUB_GPA + 10);
    v->regs.rsp = FAKE_VA(STACK_GPA);
    v->regs.rax = 0;
    v->regs.rbx = 0xb0b;
    v->event_callback = FAKE_VA(0x8000);
    d->evtchn[3] = (struct hv_evtchn){ .state = HV_ECS_INTERDOMAIN,
                                       .remote_dom = 0,
                                       .remote_port = 17 };
    d->evtchn[4] = (struct hv_evtchn){ .state = HV_ECS_VIRQ, .virq = 0 };
    d->virq_port[0][0] = 4;
    d->state = HV_DOM_SHUTDOWN;
    d->shutdown_reason = SHUTDOWN_suspend;
    return d;
}

static struct hv_domain *fresh(void)
{
    struct hv_domain *d = fake_domain_new(2, 64);

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    d->built = false;
    return d;
}

static void test_round_trip(void)
{
    struct hv_domain *a = suspended(), *b = fresh();
    uint8_t *st = NULL;
    size_t len = 0;
    char err[256] = "";

    CU_ASSERT_EQUAL_FATAL(hv_save_state(a, &st, &len, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(hv_restore_state(b, st, len, err, sizeof(err)), 0);
    struct hv_vcpu *v = b->vcpus[0];
    /* Saved as if the stub had returned: platform-free. */
    CU_ASSERT_EQUAL(v->regs.rip, FAKE_VA(0x9000));
    CU_ASSERT_EQUAL(v->regs.rsp, FAKE_VA(STACK_GPA) + 24);
    CU_ASSERT_EQUAL(v->regs.r11, 0x1111);
    CU_ASSERT_EQUAL(v->regs.rcx, 0x2222);
    CU_ASSERT_EQUAL(v->regs.rbx, 0xb0b);
    CU_ASSERT_EQUAL(v->event_callback, FAKE_VA(0x8000));
    CU_ASSERT(v->online && v->initialised && b->built);
    /* A dom0 channel waits, unbound, for dom0 to bind it again. */
    CU_ASSERT_EQUAL(b->evtchn[3].state, HV_ECS_UNBOUND);
    CU_ASSERT_EQUAL(b->evtchn[3].remote_dom, 0);
    CU_ASSERT_EQUAL(b->evtchn[4].state, HV_ECS_VIRQ);
    CU_ASSERT_EQUAL(b->virq_port[0][0], 4);
    /* A second restore into a built domain is refused. */
    CU_ASSERT_EQUAL(hv_restore_state(b, st, len, err, sizeof(err)), -EBUSY);
    free(st);
    fake_domain_free(a);
    fake_domain_free(b);
}

static void test_not_suspended(void)
{
    struct hv_domain *a = fake_domain_new(1, 64);
    uint8_t *st = NULL;
    size_t len = 0;
    char err[256] = "";

    CU_ASSERT_EQUAL(hv_save_state(a, &st, &len, err, sizeof(err)), -EBUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not suspended"));
    CU_ASSERT_EQUAL(hv_save_resume(a, err, sizeof(err)), -EBUSY);
    fake_domain_free(a);
}

/* Each damaged field is refused, with its name, before anything is set. */
static void test_hostile_state(void)
{
    static const struct {
        size_t off;
        uint64_t val;
        unsigned size;
        const char *msg;
    } cases[] = {
        { offsetof(struct pv_state_dom, magic), 1, 4, "magic" },
        { offsetof(struct pv_state_dom, version), 9, 4, "version 9" },
        { offsetof(struct pv_state_dom, nr_vcpus), 3, 4, "nr_vcpus 3" },
        { offsetof(struct pv_state_dom, max_evtchn), 65, 4, "max_evtchn" },
        { offsetof(struct pv_state_dom, shared_info_gpa), 1ULL << 40, 8,
          "shared_info_gpa" },
        { offsetof(struct pv_state_dom, gnt_frames), 33, 4, "gnt_frames" },
        { sizeof(struct pv_state_dom) + offsetof(struct pv_state_vcpu, cr3),
          FAKE_MEM_SIZE, 8, "cr3" },
        { sizeof(struct pv_state_dom) + offsetof(struct pv_state_vcpu, online),
          7, 1, "flags" },
        { sizeof(struct pv_state_dom) +
              offsetof(struct pv_state_vcpu, virq_port),
          999, 4, "virq 0 on port 999" },
        { sizeof(struct pv_state_dom) + 2 * sizeof(struct pv_state_vcpu) +
              5 * sizeof(struct pv_state_evtchn),
          9, 1, "event channel 5: state 9" },
        { sizeof(struct pv_state_dom) + 2 * sizeof(struct pv_state_vcpu) +
              5 * sizeof(struct pv_state_evtchn) +
              offsetof(struct pv_state_evtchn, notify_vcpu),
          5, 2, "notify_vcpu 5" },
    };
    struct hv_domain *a = suspended();
    uint8_t *st = NULL, *bad;
    size_t len = 0;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(hv_save_state(a, &st, &len, err, sizeof(err)), 0);
    bad = malloc(len + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hv_domain *b = fresh();
        memcpy(bad, st, len);
        memcpy(bad + cases[i].off, &cases[i].val, cases[i].size);
        err[0] = 0;
        CU_ASSERT_EQUAL(hv_restore_state(b, bad, len, err, sizeof(err)),
                        -EINVAL);
        if (!strstr(err, cases[i].msg))
            CU_FAIL_FATAL("wrong error for a damaged field");
        CU_ASSERT_FALSE(b->built);
        fake_domain_free(b);
    }
    {
        struct hv_domain *b = fresh();
        CU_ASSERT_EQUAL(hv_restore_state(b, st, len - 1, err, sizeof(err)),
                        -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "its header describes"));
        CU_ASSERT_EQUAL(hv_restore_state(b, st, 10, err, sizeof(err)), -EINVAL);
        fake_domain_free(b);
    }
    free(bad);
    free(st);
    fake_domain_free(a);
}

/* pvctl's image checks: a valid image, then one damage at a time. */
static size_t make_image(uint8_t *buf)
{
    struct pv_save_header h = { .version = PV_SAVE_VERSION,
                                .header_size = sizeof(h),
                                .mem_size = 1 << 20,
                                .nr_vcpus = 1,
                                .nr_pages = 2,
                                .state_size = sizeof(struct pv_state_dom) };
    struct pv_state_dom sd = { .magic = PV_STATE_MAGIC,
                               .version = PV_STATE_VERSION,
                               .nr_vcpus = 1,
                               .mem_size = 1 << 20 };
    struct pv_save_trailer t = { .magic = PV_SAVE_END_MAGIC };
    static const char cfg[] = "name=x\nmemory_kb=1024\nvcpus=1\n"
                              "on_poweroff=destroy\non_reboot=restart\n"
                              "on_crash=preserve\nplatform=proc\n"
                              "disk=format=raw, vdev=xvda, target=/a,b\n";
    size_t n = 0;

    memcpy(h.magic, PV_SAVE_MAGIC, 8);
    h.config_size = sizeof(cfg) - 1;
    strcpy(h.platform, "kvm");
    memcpy(buf, &h, sizeof(h));
    n += sizeof(h);
    memcpy(buf + n, cfg, sizeof(cfg) - 1);
    n += sizeof(cfg) - 1;
    memcpy(buf + n, &sd, sizeof(sd));
    n += sizeof(sd);
    for (uint64_t pfn = 3; pfn < 5; pfn++) {
        memcpy(buf + n, &pfn, 8);
        memset(buf + n + 8, (int)pfn, PV_SAVE_PAGE);
        n += 8 + PV_SAVE_PAGE;
    }
    t.checksum = save_fnv(SAVE_FNV_INIT, buf, n);
    memcpy(buf + n, &t, sizeof(t));
    return n + sizeof(t);
}

static void reseal(uint8_t *buf, size_t n)
{
    uint64_t sum = save_fnv(SAVE_FNV_INIT, buf, n - 16);
    memcpy(buf + n - 8, &sum, 8);
}

static void test_image(void)
{
    static _Alignas(8) uint8_t buf[3 * 4200 + 1024], bad[sizeof(buf)];
    size_t n = make_image(buf);
    struct save_image im;
    char err[SAVE_ERR_MAX];
    uint64_t v;

    CU_ASSERT_EQUAL_FATAL(save_image_check(buf, n, &im, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(im.cfg.name, "x");
    CU_ASSERT_EQUAL(im.cfg.nr_disks, 1);
    CU_ASSERT_STRING_EQUAL(im.cfg.disks[0],
                           "format=raw, vdev=xvda, target=/a,b");
    CU_ASSERT_EQUAL(im.cfg.on_crash, 2);

    memcpy(bad, buf, n);
    bad[n / 2] ^= 1;
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "checksum mismatch"));
    CU_ASSERT_EQUAL(save_image_check(buf, n - 1, &im, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
    CU_ASSERT_EQUAL(save_image_check(buf, 5, &im, err, sizeof(err)), -ENOEXEC);
    memcpy(bad, buf, n);
    bad[0] = 'Q';
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -ENOEXEC);
    /* Fields checked even under a valid checksum. */
    memcpy(bad, buf, n);
    v = 4; /* pfn 4 twice: not increasing */
    memcpy(bad + n - 16 - 2 * (8 + PV_SAVE_PAGE), &v, 8);
    reseal(bad, n);
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "page record 1"));
    memcpy(bad, buf, n);
    v = 300; /* pfn beyond 1 MiB */
    memcpy(bad + n - 16 - (8 + PV_SAVE_PAGE), &v, 8);
    reseal(bad, n);
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    memcpy(bad, buf, n);
    bad[offsetof(struct pv_save_header, nr_vcpus)] = 40;
    reseal(bad, n);
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nr_vcpus (offset 24) is 40"));
    memcpy(bad, buf, n);
    memcpy(bad + sizeof(struct pv_save_header), "nome", 4);
    reseal(bad, n);
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'nome'"));
    memcpy(bad, buf, n);
    memcpy(bad + offsetof(struct pv_save_header, platform), "xen", 4);
    reseal(bad, n);
    CU_ASSERT_EQUAL(save_image_check(bad, n, &im, err, sizeof(err)), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "platform (offset 72)"));
}

static const struct unit_test tests[] = {
    { "state round trip, stub unwound", test_round_trip },
    { "save of a running domain refused", test_not_suspended },
    { "hostile state refused field by field", test_hostile_state },
    { "image checks", test_image },
    { NULL, NULL },
};

const struct unit_suite unit_suite_save = {
    .name = "save",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
