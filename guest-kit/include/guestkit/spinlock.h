/* SPDX-License-Identifier: MIT */
/* spinlock.h: test-and-test-and-set spinlocks, optionally masking events. */
#ifndef PVISOR_GUEST_KIT_SPINLOCK_H
#define PVISOR_GUEST_KIT_SPINLOCK_H

#include <guestkit/arch.h>
#include <guestkit/irq.h>

typedef struct {
    volatile uint32_t locked;
} gk_spinlock_t;

#define GK_SPINLOCK_INIT \
    {                    \
        0                \
    }

/* Initialise an unlocked lock. */
static inline void gk_spin_init(gk_spinlock_t *l)
{
    l->locked = 0;
}

/*
 * Take the lock, spinning with `pause`. A lock that an event handler may
 * also take must be taken with gk_spin_lock_irqsave(), or the handler can
 * deadlock against the code it interrupted.
 */
static inline void gk_spin_lock(gk_spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (l->locked)
            gk_cpu_relax();
    }
}

/* Try once; returns 1 if the lock was taken. */
static inline int gk_spin_trylock(gk_spinlock_t *l)
{
    return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

/* Release a lock held by the caller. */
static inline void gk_spin_unlock(gk_spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Mask events on this vCPU, then take the lock; returns the old mask. */
static inline unsigned long gk_spin_lock_irqsave(gk_spinlock_t *l)
{
    unsigned long flags = gk_irq_save();

    gk_spin_lock(l);
    return flags;
}

/* Release the lock, then restore the event mask from `flags`. */
static inline void gk_spin_unlock_irqrestore(gk_spinlock_t *l,
                                             unsigned long flags)
{
    gk_spin_unlock(l);
    gk_irq_restore(flags);
}

#endif /* PVISOR_GUEST_KIT_SPINLOCK_H */
