/* SPDX-License-Identifier: MIT */
/* smp.c: a token passed around all vCPUs by IPI, one thread per vCPU. */
#include <guestkit/guestkit.h>

#define ROUNDS     50
#define TIMEOUT_NS (10 * GK_NSEC_PER_SEC)

static unsigned int nr_cpus;
static int ports[PV_MAX_VCPUS]; /* IPI port of each vCPU's worker */
static uint64_t counts[PV_MAX_VCPUS];
static unsigned int ready, done;
static struct gk_thread *main_thread;

/* Worker on vCPU `me`: receive the token ROUNDS times, pass it on. */
static void worker(void *arg)
{
    unsigned int me = (unsigned int)(uintptr_t)arg;
    unsigned int next;
    int port;

    if (gk_cpu_id() != me)
        gk_panic("worker %u runs on vCPU %u", me, gk_cpu_id());
    port = gk_evtchn_bind_ipi(NULL, NULL);
    if (port < 0)
        gk_panic("bind_ipi on vCPU %u: %d", me, port);
    ports[me] = port;
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < nr_cpus)
        gk_msleep(1);

    next = (me + 1) % nr_cpus;
    if (me == 0)
        gk_evtchn_send((evtchn_port_t)ports[next]);
    for (int r = 0; r < ROUNDS; r++) {
        gk_wait_event((evtchn_port_t)port);
        counts[me]++;
        if (!(me == 0 && r == ROUNDS - 1))
            gk_evtchn_send((evtchn_port_t)ports[next]);
    }
    __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
    gk_thread_wake(main_thread);
}

int main(void)
{
    uint64_t deadline;
    unsigned int ok = 0;

    main_thread = gk_current();
    nr_cpus = (unsigned int)gk_smp_init();
    gk_printf("smp: %u vCPUs online\n", nr_cpus);

    for (unsigned int i = 0; i < nr_cpus; i++) {
        char name[16];

        gk_snprintf(name, sizeof(name), "worker%u", i);
        if (!gk_thread_create_on(i, name, worker, (void *)(uintptr_t)i))
            gk_panic("cannot start a thread on vCPU %u", i);
    }

    deadline = gk_monotonic_ns() + TIMEOUT_NS;
    while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) < nr_cpus &&
           gk_monotonic_ns() < deadline)
        gk_thread_block_until(deadline);

    for (unsigned int i = 0; i < nr_cpus; i++) {
        gk_printf("smp: vCPU %u: %lu tokens, %lu upcalls, %lu fixups\n", i,
                  counts[i], gk_cpus[i].upcalls, gk_cpus[i].fixups);
        if (counts[i] == ROUNDS)
            ok++;
    }
    if (ok != nr_cpus) {
        gk_printf("smp: FAILED: %u of %u vCPUs completed %d rounds\n", ok,
                  nr_cpus, ROUNDS);
        return 1;
    }
    gk_printf("smp: all %u vCPUs participated\n", nr_cpus);
    return 0;
}
