/* SPDX-License-Identifier: MIT */
/* irq.h: masking event delivery on this vCPU (the PV cli/sti). */
#ifndef PVISOR_GUEST_KIT_IRQ_H
#define PVISOR_GUEST_KIT_IRQ_H

#include <guestkit/arch.h>
#include <guestkit/percpu.h>

/*
 * Run the event dispatcher for everything pending on this vCPU, with
 * events masked, until nothing is left. Called when events are unmasked
 * while an upcall is pending, so delivery does not wait for pvisor to
 * notice. Safe to call with events masked or not.
 */
void gk_evtchn_force_callback(void);

/* Mask events on this vCPU; returns the previous mask (0 or 1). */
static inline unsigned long gk_irq_save(void)
{
    struct vcpu_info *vi = gk_this_vcpu_info();
    unsigned long flags = vi->evtchn_upcall_mask;

    vi->evtchn_upcall_mask = 1;
    gk_barrier();
    return flags;
}

/*
 * Restore the mask saved by gk_irq_save(). When this unmasks and an upcall
 * is already pending, the pending events are processed before returning.
 */
static inline void gk_irq_restore(unsigned long flags)
{
    struct vcpu_info *vi = gk_this_vcpu_info();

    gk_barrier();
    vi->evtchn_upcall_mask = (uint8_t)flags;
    if (!flags) {
        gk_mb();
        if (GK_READ_ONCE(vi->evtchn_upcall_pending))
            gk_evtchn_force_callback();
    }
}

/* Mask events on this vCPU. */
static inline void gk_irq_disable(void)
{
    (void)gk_irq_save();
}

/* Unmask events on this vCPU (processing anything already pending). */
static inline void gk_irq_enable(void)
{
    gk_irq_restore(0);
}

/* Non-zero while events are masked on this vCPU. */
static inline int gk_irqs_disabled(void)
{
    return GK_READ_ONCE(gk_this_vcpu_info()->evtchn_upcall_mask) != 0;
}

#endif /* PVISOR_GUEST_KIT_IRQ_H */
