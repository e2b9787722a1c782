/* SPDX-License-Identifier: MIT */
/* glue.c: the IPv4 stack's lock and clock inside a guest. */
#include <guestkit/guestkit.h>

#include "net_internal.h"

/* Taken from threads and from netfront's event handler: mask events. */
static gk_spinlock_t net_lock = GK_SPINLOCK_INIT;

unsigned long gk_net_lock(void)
{
    return gk_spin_lock_irqsave(&net_lock);
}

void gk_net_unlock(unsigned long flags)
{
    gk_spin_unlock_irqrestore(&net_lock, flags);
}

uint64_t gk_net_now_ns(void)
{
    return gk_monotonic_ns();
}
