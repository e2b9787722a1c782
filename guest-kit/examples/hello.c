/* SPDX-License-Identifier: MIT */
/* hello.c: prints boot facts and exits with the code from `exit=N`. */
#include <guestkit/guestkit.h>

int main(void)
{
    long code = gk_cmdline_int("exit", 0);
    long ver = HYPERVISOR_xen_version(XENVER_version, NULL);
    domid_t self = DOMID_SELF;
    long pages = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    uint64_t sec;
    uint32_t nsec;

    gk_printf("Hello from guestkit\n");
    gk_printf("hello: magic '%.32s', %lu pages (%lu MiB), cmdline '%s'\n",
              gk_start_info.magic, gk_start_info.nr_pages,
              gk_start_info.nr_pages >> 8, gk_cmdline());
    if (ver >= 0)
        gk_printf("hello: hypervisor version %ld.%ld\n", ver >> 16,
                  ver & 0xffff);
    if (pages >= 0)
        gk_printf("hello: current reservation %ld pages\n", pages);
    gk_wallclock(&sec, &nsec);
    gk_printf("hello: uptime %lu us, wall clock %lu.%09u\n",
              gk_monotonic_ns() / GK_NSEC_PER_USEC, sec, nsec);
    if (gk_xenbus_available()) {
        char path[64];
        /* Do not hang if the store does not answer. */
        uint64_t old = gk_xenbus_set_timeout(2 * GK_NSEC_PER_SEC);

        if (gk_xenbus_get_self_path(path, sizeof(path)) > 0)
            gk_printf("hello: xenstore path %s\n", path);
        gk_xenbus_set_timeout(old);
    }
    gk_printf("hello: exiting with code %ld\n", code);
    return (int)code;
}
