// SPDX-License-Identifier: MIT
/* test_obs.c: top/trace/vcpu/sched argument parsers, the trace decoder,
 * pvisor's trace ring and per-hypercall counters. */
#include <errno.h>
#include <string.h>

#include <pvabi/errno.h>
#include <pvabi/version.h>

#include "../../hypervisor/hv_obs.h"
#include "fake_domain.h"
#include "pvctl_obs.h"
#include "unit.h"

static void test_range(void)
{
    unsigned long v = 0;
    char err[128];

    CU_ASSERT_EQUAL(
        pvctl_parse_range("weight", "512", 1, 10000, &v, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(v, 512);
    CU_ASSERT_EQUAL(
        pvctl_parse_range("weight", "0", 1, 10000, &v, err, sizeof(err)),
        -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "weight 0 out of range 1..10000");
    CU_ASSERT_EQUAL(
        pvctl_parse_range("cap", "-5", 0, 100, &v, err, sizeof(err)), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "cap \"-5\" is not a number");
    CU_ASSERT_EQUAL(
        pvctl_parse_range("cap", "12x", 0, 100, &v, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_range("cap", "99999999999999999999999", 0, 100,
                                      &v, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_range("cap", "", 0, 100, &v, err, sizeof(err)),
                    -EINVAL);
}

static void test_cpulist(void)
{
    uint32_t cpus[8];
    size_t nr = 99;
    char err[128];

    CU_ASSERT_EQUAL(pvctl_parse_cpulist("all", cpus, 8, &nr, err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(nr, 0);
    CU_ASSERT_EQUAL(
        pvctl_parse_cpulist("6,0-3", cpus, 8, &nr, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(nr, 5);
    CU_ASSERT(cpus[0] == 0 && cpus[3] == 3 && cpus[4] == 6);
    CU_ASSERT_EQUAL(
        pvctl_parse_cpulist("1,1-2", cpus, 8, &nr, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(nr, 2);
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("3-1", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "CPU range 3-1 is backwards");
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("1024", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "CPU 1024 out of range 0..1023");
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("1,", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("a", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("1-", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_cpulist("0-9", cpus, 8, &nr, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "more than 8 CPUs in \"0-9\"");
}

static void test_vcpu_seconds(void)
{
    uint32_t v = 0;
    double s = 0;
    char err[128];

    CU_ASSERT_EQUAL(pvctl_parse_vcpu("all", &v, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(v, PVC_VCPU_ALL);
    CU_ASSERT_EQUAL(pvctl_parse_vcpu("3", &v, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(v, 3);
    CU_ASSERT_EQUAL(pvctl_parse_vcpu("4096", &v, err, sizeof(err)), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "vCPU 4096 out of range 0..4095");
    CU_ASSERT_EQUAL(pvctl_parse_vcpu("x", &v, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_seconds("0.5", &s, err, sizeof(err)), 0);
    CU_ASSERT_DOUBLE_EQUAL(s, 0.5, 1e-9);
    CU_ASSERT_EQUAL(pvctl_parse_seconds("0.01", &s, err, sizeof(err)), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "delay 0.01 out of range 0.1..3600 seconds");
    CU_ASSERT_EQUAL(pvctl_parse_seconds("nan", &s, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_seconds("2s", &s, err, sizeof(err)), -EINVAL);
}

static void test_memsize(void)
{
    uint64_t kb = 0;
    char err[160];

    CU_ASSERT_EQUAL(pvctl_parse_memsize("64", &kb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(kb, 65536);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("24m", &kb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(kb, 24576);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("2G", &kb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(kb, 2097152);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("40960k", &kb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(kb, 40960);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("6k", &kb, err, sizeof(err)), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "memory size \"6k\" is not a multiple of "
                                "4 KiB");
    CU_ASSERT_EQUAL(pvctl_parse_memsize("8q", &kb, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("8mb", &kb, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("-8", &kb, err, sizeof(err)), -EINVAL);
    CU_ASSERT_EQUAL(pvctl_parse_memsize("99999999999g", &kb, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "memory size \"99999999999g\" is too large");
}

static void test_filter(void)
{
    bool want[128];
    char err[256];

    CU_ASSERT_EQUAL(
        pvctl_trace_filter("sched_op,event_channel_op", want, err, sizeof(err)),
        0);
    CU_ASSERT(want[__HYPERVISOR_sched_op]);
    CU_ASSERT(want[__HYPERVISOR_event_channel_op]);
    CU_ASSERT(!want[__HYPERVISOR_xen_version]);
    CU_ASSERT_EQUAL(pvctl_trace_filter("pvisor_notify", want, err, sizeof(err)),
                    0);
    CU_ASSERT(want[__HYPERVISOR_pvisor_notify]);
    CU_ASSERT_EQUAL(pvctl_trace_filter("sched", want, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT(strstr(err, "unknown hypercall name \"sched\"") != NULL);
    CU_ASSERT_EQUAL(pvctl_trace_filter("sched_op,", want, err, sizeof(err)),
                    -EINVAL);
    CU_ASSERT_EQUAL(pvctl_trace_filter("", want, err, sizeof(err)), -EINVAL);
}

static void test_format(void)
{
    struct pvc_trace_rec r = { 0 };
    char line[512], buf[32];

    r.time_ns = 1500000000ULL;
    r.vcpu = 1;
    r.nr = __HYPERVISOR_event_channel_op;
    strcpy(r.name, "event_channel_op");
    r.args[0] = 4; /* EVTCHNOP_send */
    r.args[1] = 0xffffffff80010000ULL;
    r.result = -XEN_EINVAL;
    r.latency_ns = 2500;
    pvctl_trace_format(&r, line, sizeof(line));
    CU_ASSERT_STRING_EQUAL(line, "    1.500000 v1 event_channel_op(send, "
                                 "0xffffffff80010000) = -22 (EINVAL)  2.5 us");
    memset(&r, 0, sizeof(r));
    r.nr = __HYPERVISOR_set_timer_op;
    r.args[0] = 123456789;
    pvctl_trace_format(&r, line, sizeof(line));
    CU_ASSERT(strstr(line, "set_timer_op(timeout=123456789) = 0") != NULL);
    r.nr = 99;
    r.result = 0x1234567890LL;
    pvctl_trace_format(&r, line, sizeof(line));
    CU_ASSERT(strstr(line, "hypercall_99(0x75bcd15, 0x0, 0x0) = "
                           "0x1234567890") != NULL);
    r.nr = __HYPERVISOR_xen_version;
    r.name[0] = 0;
    r.args[0] = 0;
    r.result = 0;
    r.in_multicall = true;
    pvctl_trace_format(&r, line, sizeof(line));
    CU_ASSERT(strstr(line, " v0   multicall> xen_version(version, 0x0) = 0") !=
              NULL);
    CU_ASSERT_STRING_EQUAL(pvctl_hypercall_name(29, buf, sizeof(buf)),
                           "sched_op");
}

/* pvisor: nothing recorded without a listener; the ring keeps the last
 * HV_TRACE_RING records and says how many a slow reader lost. */
static void test_ring(void)
{
    struct hv_domain *d = fake_domain_new(1, 64);
    static struct hv_trace_rec out[HV_TRACE_RING];
    uint64_t next = 0, lost = 0, seq0 = 0;
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct hv_vcpu *v = d->vcpus[0];
    CU_ASSERT_EQUAL(
        fake_hypercall(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0),
        (HV_XEN_MAJOR << 16) | HV_XEN_MINOR);
    CU_ASSERT_PTR_NULL(d->trace); /* no listener: no ring, no records */
    CU_ASSERT_EQUAL(atomic_load(&v->st_hc[__HYPERVISOR_xen_version]), 1);

    CU_ASSERT_EQUAL(hv_trace_subscribe(d, &seq0), 0);
    CU_ASSERT_EQUAL(seq0, 1);
    for (int i = 0; i < 3; i++)
        fake_hypercall(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    fake_hypercall(v, 120, 1, 2, 3, 4, 5); /* not implemented */
    n = hv_trace_read(d, seq0, out, 16, false, &next, &lost);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(next, 5);
    CU_ASSERT_EQUAL(lost, 0);
    CU_ASSERT_EQUAL(out[0].nr, __HYPERVISOR_xen_version);
    CU_ASSERT_EQUAL(out[0].res, (HV_XEN_MAJOR << 16) | HV_XEN_MINOR);
    CU_ASSERT_EQUAL(out[3].nr, 120);
    CU_ASSERT_EQUAL(out[3].res, -XEN_ENOSYS);
    CU_ASSERT_EQUAL(out[3].args[4], 5);
    CU_ASSERT_EQUAL(atomic_load(&v->st_hc[__HYPERVISOR_xen_version]), 4);
    CU_ASSERT_EQUAL(atomic_load(&v->st_hc[120]), 1);

    for (int i = 0; i < HV_TRACE_RING + 10; i++)
        fake_hypercall(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    n = hv_trace_read(d, next, out, HV_TRACE_RING, false, &next, &lost);
    CU_ASSERT_EQUAL(lost, 10);
    CU_ASSERT_EQUAL(n, HV_TRACE_RING);
    CU_ASSERT_EQUAL(out[n - 1].seq + 1, next);
    /* Reading from 0 means "from now on": nothing yet. */
    CU_ASSERT_EQUAL(hv_trace_read(d, 0, out, 16, false, &next, &lost), 0);

    /* A multicall: its entries first, marked, then the batch itself. */
    struct multicall_entry *mc = fake_gpa(d, FAKE_SCRATCH_GPA);
    memset(mc, 0, 2 * sizeof(*mc));
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_vm_assist;
    mc[1].args[0] = 99; /* bad command: -EINVAL */
    CU_ASSERT_EQUAL(fake_hypercall(v, __HYPERVISOR_multicall,
                                   FAKE_VA(FAKE_SCRATCH_GPA), 2, 0, 0, 0),
                    0);
    n = hv_trace_read(d, next, out, 16, false, &next, &lost);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT(out[0].in_multicall && out[0].nr == __HYPERVISOR_xen_version);
    CU_ASSERT(out[1].in_multicall && out[1].nr == __HYPERVISOR_vm_assist &&
              out[1].res == -XEN_EINVAL);
    CU_ASSERT(!out[2].in_multicall && out[2].nr == __HYPERVISOR_multicall);

    hv_trace_unsubscribe(d);
    uint64_t before = next;
    fake_hypercall(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(hv_trace_read(d, before, out, 16, false, &next, &lost), 0);
    hv_trace_fini(d);
    fake_domain_free(d);
}

/* A vCPU's CPU time adds the platform's guest thread (proc) to what
 * pvisor's vCPU thread used. */
static void test_vcpu_cpu_time(void)
{
    struct hv_domain *d = fake_domain_new(1, 64);

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct hv_vcpu *v = d->vcpus[0];
    CU_ASSERT_FALSE(v->thread_started);
    atomic_store(&v->st_cpu_ns, 2000);
    fake_platform_calls.guest_cpu_ns = 0;
    CU_ASSERT_EQUAL(hv_vcpu_cpu_ns(v), 2000);
    fake_platform_calls.guest_cpu_ns = 3000000000ULL;
    CU_ASSERT_EQUAL(hv_vcpu_cpu_ns(v), 3000002000ULL);
    fake_platform_calls.guest_cpu_ns = 0;
    fake_domain_free(d);
}

static const struct unit_test tests[] = {
    { "number ranges", test_range },
    { "CPU lists", test_cpulist },
    { "vCPU and delay arguments", test_vcpu_seconds },
    { "memory sizes", test_memsize },
    { "trace filters", test_filter },
    { "trace line format", test_format },
    { "trace ring and hypercall counters", test_ring },
    { "vCPU CPU time with the platform's guest thread", test_vcpu_cpu_time },
    { NULL, NULL },
};

const struct unit_suite unit_suite_obs = {
    .name = "obs",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
