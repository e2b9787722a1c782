/* SPDX-License-Identifier: MIT */
/* smp.h: bring-up of secondary vCPUs. */
#ifndef PVISOR_GUEST_KIT_SMP_H
#define PVISOR_GUEST_KIT_SMP_H

/*
 * Start every other vCPU the domain has (probed with VCPUOP_is_up; the
 * first vCPU number it rejects ends the list) with VCPUOP_initialise and
 * VCPUOP_up, and wait until each runs its scheduler. Call from a thread on
 * vCPU 0. Returns the number of vCPUs online, including vCPU 0. Calling it
 * again brings up nothing new.
 */
int gk_smp_init(void);

/* Number of vCPUs online (1 before gk_smp_init()). */
unsigned int gk_smp_nr_cpus(void);

/* Non-zero if vCPU `cpu` is online and runs guest-kit's scheduler. */
int gk_smp_cpu_online(unsigned int cpu);

#endif /* PVISOR_GUEST_KIT_SMP_H */
