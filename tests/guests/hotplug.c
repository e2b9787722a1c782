/* SPDX-License-Identifier: MIT */
/* hotplug.c: brings up every vCPU, then reports as vcpu-set moves them. */
#include <guestkit/guestkit.h>

/*
 * Prints "hotplug: N vCPUs up" after gk_smp_init(), then "hotplug: N
 * online" each time the number of online vCPUs changes (guest-kit's
 * hot-plug watch follows cpu/N/availability). Runs until destroyed.
 */
int main(void)
{
    unsigned int last = (unsigned int)gk_smp_init();

    gk_printf("hotplug: %u vCPUs up\n", last);
    for (;;) {
        unsigned int now = gk_smp_nr_cpus();
        if (now != last)
            gk_printf("hotplug: %u online\n", now);
        last = now;
        gk_msleep(50);
    }
    return 0;
}
