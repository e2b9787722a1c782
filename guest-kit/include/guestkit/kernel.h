/* SPDX-License-Identifier: MIT */
/* kernel.h: boot information, command line, shutdown, panic. */
#ifndef PVISOR_GUEST_KIT_KERNEL_H
#define PVISOR_GUEST_KIT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <pvabi/xen.h>

/* Copy of the start_info page the kernel booted with. */
extern struct start_info gk_start_info;

/* The shared_info page (pvisor maps it at GK_VIRT_BASE + its gpa). */
extern struct shared_info *gk_shared_info;

/* First pfn the page allocator owns: pfn(pt_base) + nr_pt_frames. */
extern uint64_t gk_first_free_pfn;

/* The kernel command line (NUL-terminated, possibly empty). */
const char *gk_cmdline(void);

/*
 * Find `key=value` among the space-separated words of the command line and
 * copy the value into buf (NUL-terminated, truncated to len-1). A bare
 * `key` yields "". Returns the value's length, or -1 if key is absent.
 */
int gk_cmdline_get(const char *key, char *buf, size_t len);

/* The integer value of `key=N` (decimal or 0x hex), or `dflt`. */
long gk_cmdline_int(const char *key, long dflt);

/*
 * End the domain: SCHEDOP_shutdown_code records `code` (0..255, taken
 * modulo 256), then SCHEDOP_shutdown(poweroff). The code travels in bits
 * 8..15 of sched_shutdown.reason (a pvisor extension, PV_SHUTDOWN_REASON);
 * pvisor reports it as the domain's exit status.
 */
__attribute__((noreturn)) void gk_exit(int code);

/* Power off with code 0. */
__attribute__((noreturn)) void gk_poweroff(void);

/* Ask to be rebooted (SHUTDOWN_reboot). */
__attribute__((noreturn)) void gk_reboot(void);

/* Crash the domain (SHUTDOWN_crash): pvisor applies on_crash. */
__attribute__((noreturn)) void gk_crash(void);

/* Print "PANIC: ..." with the vCPU and thread, then crash. */
__attribute__((noreturn, format(printf, 1, 2))) void gk_panic(const char *fmt,
                                                              ...);

#define GK_BUG_ON(cond)                                                 \
    do {                                                                \
        if (cond)                                                       \
            gk_panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__); \
    } while (0)

#define GK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* PVISOR_GUEST_KIT_KERNEL_H */
