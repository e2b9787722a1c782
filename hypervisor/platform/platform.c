// SPDX-License-Identifier: MIT
/* platform.c: the platform table, start-up choice, shared hypercall stubs. */
#include <stdio.h>
#include <string.h>

#include <pvabi/xen.h>

#include "../hv.h"
#include "platform.h"

struct hv_platform *hv_platform_default;

static struct hv_platform *const platforms[] = {
    &hv_platform_kvm,
    &hv_platform_proc,
};
#define NR_PLATFORMS (sizeof(platforms) / sizeof(platforms[0]))

struct hv_platform *hv_platform_find(const char *name)
{
    for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    return NULL;
}

/*
 * Every platform is tried, so a domain may ask for any that works here;
 * the choice only names the default. "auto" prefers KVM and says once
 * when it falls back.
 */
int hv_platforms_init(const char *choice, char *err, size_t errlen)
{
    char why[NR_PLATFORMS][200];
    size_t want = NR_PLATFORMS, pos = 0;

    for (size_t i = 0; i < NR_PLATFORMS; i++)
        if (strcmp(platforms[i]->name, choice) == 0)
            want = i;
    if (want == NR_PLATFORMS && strcmp(choice, "auto") != 0) {
        snprintf(err, errlen, "--platform %s: not one of kvm, proc, auto",
                 choice);
        return -1;
    }
    for (size_t i = 0; i < NR_PLATFORMS; i++) {
        why[i][0] = 0;
        platforms[i]->available =
            platforms[i]->init(platforms[i], why[i], sizeof(why[i])) == 0;
    }
    if (want < NR_PLATFORMS) {
        if (!platforms[want]->available) {
            snprintf(err, errlen, "platform %s: %s", platforms[want]->name,
                     why[want]);
            return -1;
        }
        hv_platform_default = platforms[want];
        return 0;
    }
    /* auto: the first that works, in table order (KVM first). */
    for (size_t i = 0; i < NR_PLATFORMS; i++) {
        if (!platforms[i]->available)
            continue;
        hv_platform_default = platforms[i];
        if (i > 0)
            log_warn("no usable KVM (%s): guests run on the %s platform",
                     why[0], platforms[i]->name);
        return 0;
    }
    pos = (size_t)snprintf(err, errlen, "no usable platform");
    for (size_t i = 0; i < NR_PLATFORMS && pos < errlen; i++)
        pos += (size_t)snprintf(err + pos, errlen - pos, "; %s: %s",
                                platforms[i]->name, why[i]);
    return -1;
}

/*
 * Xen's own x86_64 hypercall page: `syscall` with the number in eax. The
 * stub keeps rcx and r11 (which `syscall` clobbers) so other registers
 * stay as they were, as Xen's stubs do.
 */
void hv_fill_hypercall_page_syscall(uint8_t *page)
{
    memset(page, 0xcc, HV_PAGE_SIZE); /* int3: a stray jump is reported */
    for (uint32_t nr = 0; nr < PV_HYPERCALL_MAX; nr++) {
        uint8_t *p = page + nr * PV_HYPERCALL_STUB_SIZE;
        if (nr == __HYPERVISOR_iret) {
            /* Entered by jmp with the iret frame minus rax on the stack:
             * push %rax; mov $23,%eax; syscall (never returns here) */
            static const uint8_t s[] = { 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05 };
            memcpy(p, s, sizeof(s));
            continue;
        }
        /* push %rcx; push %r11; mov $nr,%eax; syscall; pop %r11;
         * pop %rcx; ret */
        static const uint8_t s[] = { 0x51, 0x41, 0x53, 0xb8, 0,    0,    0,
                                     0,    0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
        memcpy(p, s, sizeof(s));
        memcpy(p + 4, &nr, 4);
    }
}
