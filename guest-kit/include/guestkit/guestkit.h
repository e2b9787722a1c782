/* SPDX-License-Identifier: MIT */
/* guestkit.h: everything a guest kernel needs, in one include. */
#ifndef PVISOR_GUEST_KIT_GUESTKIT_H
#define PVISOR_GUEST_KIT_GUESTKIT_H

#include <guestkit/arch.h>
#include <guestkit/console.h>
#include <guestkit/events.h>
#include <guestkit/gnttab.h>
#include <guestkit/hypercall.h>
#include <guestkit/irq.h>
#include <guestkit/kernel.h>
#include <guestkit/mm.h>
#include <guestkit/percpu.h>
#include <guestkit/sched.h>
#include <guestkit/smp.h>
#include <guestkit/spinlock.h>
#include <guestkit/string.h>
#include <guestkit/time.h>
#include <guestkit/traps.h>
#include <guestkit/xenbus.h>

/*
 * The guest's entry point, which the user provides. It runs in a thread
 * ("main") on vCPU 0 with events enabled, after every guest-kit service is
 * up. Its return value becomes the domain's exit code (gk_exit()).
 */
int main(void);

#endif /* PVISOR_GUEST_KIT_GUESTKIT_H */
