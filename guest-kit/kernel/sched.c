/* SPDX-License-Identifier: MIT */
/* sched.c: cooperative threads pinned to vCPUs, per-vCPU run queues. */
#include <guestkit/guestkit.h>

#include "internal.h"

enum thread_state {
    T_RUNNING,  /* current on its vCPU */
    T_RUNNABLE, /* on its run queue */
    T_BLOCKED,  /* waiting for a wakeup and/or a deadline */
    T_DEAD,     /* finished; reclaimed after the next switch */
};

struct gk_thread {
    uint64_t sp;                /* saved rsp while switched out */
    struct gk_thread *next;     /* run queue link */
    struct gk_thread *all_next; /* list of the vCPU's threads */
    void (*fn)(void *);
    void *arg;
    void *stack; /* base of the stack allocation, or NULL */
    unsigned int cpu;
    int state;
    int wake_pending;  /* a wakeup arrived while not blocked */
    int interruptible; /* blocked: gk_thread_wake() ends it */
    int guard;         /* the stack's lowest page is unmapped */
    uint64_t deadline; /* blocked: resume at this time (0: none) */
    char name[24];
};

/*
 * Per-vCPU scheduler state. Only the owning vCPU switches threads; other
 * vCPUs only enqueue wakeups under `lock` (with events masked, since event
 * handlers wake threads too) and kick the owner when it is blocked.
 */
struct runq {
    gk_spinlock_t lock;
    struct gk_thread *head, *tail; /* runnable threads, FIFO */
    struct gk_thread *all;         /* every live thread of this vCPU */
    struct gk_thread *zombie;      /* dead thread awaiting reclaim */
    struct gk_thread idle;         /* the vCPU's boot context */
    int idle_blocked;              /* the vCPU sleeps in SCHEDOP_block */
    int kick_port;                 /* IPI port that wakes the vCPU */
    int timer_port;                /* its VIRQ_TIMER port */
    int ready;
};

static struct runq runqs[PV_MAX_VCPUS];

static void enqueue(struct runq *rq, struct gk_thread *t)
{
    t->next = NULL;
    if (rq->tail)
        rq->tail->next = t;
    else
        rq->head = t;
    rq->tail = t;
}

static struct gk_thread *dequeue(struct runq *rq)
{
    struct gk_thread *t = rq->head;

    if (t) {
        rq->head = t->next;
        if (!rq->head)
            rq->tail = NULL;
        t->next = NULL;
    }
    return t;
}

/* Make blocked threads whose deadline has passed runnable (lock held). */
static void wake_expired(struct runq *rq, uint64_t now)
{
    for (struct gk_thread *t = rq->all; t; t = t->all_next) {
        if (t->state == T_BLOCKED && t->deadline && t->deadline <= now) {
            t->state = T_RUNNABLE;
            t->deadline = 0;
            enqueue(rq, t);
        }
    }
}

/* Earliest deadline of a blocked thread, or 0 (lock held). */
static uint64_t earliest_deadline(struct runq *rq)
{
    uint64_t d = 0;

    for (struct gk_thread *t = rq->all; t; t = t->all_next) {
        if (t->state == T_BLOCKED && t->deadline && (!d || t->deadline < d))
            d = t->deadline;
    }
    return d;
}

/* Free the thread that died before the last switch on this vCPU. */
static void reap(struct runq *rq)
{
    struct gk_thread *z = rq->zombie;

    if (!z)
        return;
    rq->zombie = NULL;
    if (z->guard)
        gk_map_page((unsigned long)z->stack, gk_virt_to_pfn(z->stack),
                    GK_PTE_DEFAULT);
    gk_free_pages(z->stack, GK_THREAD_STACK_ORDER);
    gk_free(z);
}

/*
 * Pick the next thread of this vCPU and switch to it. Events must be
 * masked. The current thread goes back on the queue if it is still
 * running; with nothing runnable the idle context runs.
 */
static void schedule(void)
{
    struct gk_cpu *cpu = gk_this_cpu();
    struct runq *rq = &runqs[cpu->id];
    struct gk_thread *prev = cpu->current, *next;
    uint64_t now = gk_monotonic_ns();

    gk_spin_lock(&rq->lock);
    wake_expired(rq, now);
    if (prev->state == T_RUNNING && prev != &rq->idle) {
        prev->state = T_RUNNABLE;
        enqueue(rq, prev);
    }
    next = dequeue(rq);
    if (!next)
        next = &rq->idle;
    next->state = T_RUNNING;
    if (prev->state == T_DEAD)
        rq->zombie = prev;
    cpu->current = next;
    gk_spin_unlock(&rq->lock);

    if (next != prev) {
        gk_arch_switch(&prev->sp, next->sp);
        /* Back in `prev`, on the same vCPU (threads never migrate). */
        reap(rq);
    }
}

void gk_thread_start_c(struct gk_thread *t)
{
    reap(&runqs[t->cpu]);
    gk_irq_enable();
    t->fn(t->arg);
    gk_thread_exit();
}

struct gk_thread *gk_thread_create_on(unsigned int cpu, const char *name,
                                      void (*fn)(void *), void *arg)
{
    struct gk_thread *t;
    struct runq *rq;
    uint64_t *sp;
    unsigned long flags;
    int kick;

    if (cpu >= PV_MAX_VCPUS || !runqs[cpu].ready)
        return NULL;
    rq = &runqs[cpu];
    t = gk_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->stack = gk_alloc_pages(GK_THREAD_STACK_ORDER);
    if (!t->stack) {
        gk_free(t);
        return NULL;
    }
    /* An unmapped lowest page turns a stack overflow into a page fault. */
    t->guard = gk_unmap_page((unsigned long)t->stack) == 0;
    gk_strlcpy(t->name, name ? name : "thread", sizeof(t->name));
    t->fn = fn;
    t->arg = arg;
    t->cpu = cpu;

    /* Initial frame for gk_arch_switch: r15 r14 r13 r12 rbx rbp, then the
     * return address (the trampoline) and a zero terminating the chain. */
    sp = (uint64_t *)((char *)t->stack +
                      (GK_PAGE_SIZE << GK_THREAD_STACK_ORDER));
    *--sp = 0;
    *--sp = (uint64_t)gk_thread_trampoline;
    *--sp = 0;           /* rbp */
    *--sp = 0;           /* rbx */
    *--sp = (uint64_t)t; /* r12: argument of gk_thread_start_c */
    *--sp = 0;           /* r13 */
    *--sp = 0;           /* r14 */
    *--sp = 0;           /* r15 */
    t->sp = (uint64_t)sp;

    flags = gk_spin_lock_irqsave(&rq->lock);
    t->all_next = rq->all;
    rq->all = t;
    t->state = T_RUNNABLE;
    enqueue(rq, t);
    kick = cpu != gk_cpu_id() && rq->idle_blocked;
    gk_spin_unlock_irqrestore(&rq->lock, flags);
    if (kick)
        gk_evtchn_send((evtchn_port_t)rq->kick_port);
    return t;
}

struct gk_thread *gk_thread_create(const char *name, void (*fn)(void *),
                                   void *arg)
{
    return gk_thread_create_on(gk_cpu_id(), name, fn, arg);
}

void gk_thread_exit(void)
{
    struct gk_thread *cur = gk_current();
    struct runq *rq = &runqs[cur->cpu];
    struct gk_thread **pp;

    gk_irq_disable();
    if (cur == &rq->idle)
        gk_panic("the idle context cannot exit");
    gk_spin_lock(&rq->lock);
    for (pp = &rq->all; *pp; pp = &(*pp)->all_next) {
        if (*pp == cur) {
            *pp = cur->all_next;
            break;
        }
    }
    cur->state = T_DEAD;
    gk_spin_unlock(&rq->lock);
    schedule();
    gk_panic("dead thread rescheduled");
}

struct gk_thread *gk_current(void)
{
    return gk_this_cpu()->current;
}

const char *gk_thread_name(const struct gk_thread *t)
{
    return t->name;
}

void gk_yield(void)
{
    unsigned long flags = gk_irq_save();

    schedule();
    gk_irq_restore(flags);
}

/* Block the current thread until woken (if interruptible) or deadline. */
static void block_current(uint64_t deadline, int interruptible)
{
    struct gk_thread *cur = gk_current();
    struct runq *rq = &runqs[cur->cpu];
    unsigned long flags = gk_irq_save();

    gk_spin_lock(&rq->lock);
    if (interruptible && cur->wake_pending) {
        cur->wake_pending = 0;
        gk_spin_unlock(&rq->lock);
        gk_irq_restore(flags);
        return;
    }
    cur->state = T_BLOCKED;
    cur->interruptible = interruptible;
    cur->deadline = deadline;
    gk_spin_unlock(&rq->lock);
    schedule();
    gk_irq_restore(flags);
}

void gk_thread_block(void)
{
    block_current(0, 1);
}

void gk_thread_block_until(uint64_t deadline)
{
    if (deadline > gk_monotonic_ns())
        block_current(deadline, 1);
}

void gk_sleep_until(uint64_t deadline)
{
    while (gk_monotonic_ns() < deadline)
        block_current(deadline, 0);
}

void gk_sleep_ns(uint64_t ns)
{
    gk_sleep_until(gk_monotonic_ns() + ns);
}

void gk_msleep(uint64_t ms)
{
    gk_sleep_ns(ms * GK_NSEC_PER_MSEC);
}

void gk_thread_wake(struct gk_thread *t)
{
    struct runq *rq = &runqs[t->cpu];
    unsigned long flags = gk_spin_lock_irqsave(&rq->lock);
    int kick = 0;

    if (t->state == T_BLOCKED && t->interruptible) {
        t->state = T_RUNNABLE;
        t->deadline = 0;
        enqueue(rq, t);
        kick = t->cpu != gk_cpu_id() && rq->idle_blocked;
    } else if (t->state != T_DEAD) {
        t->wake_pending = 1;
    }
    gk_spin_unlock_irqrestore(&rq->lock, flags);
    if (kick)
        gk_evtchn_send((evtchn_port_t)rq->kick_port);
}

void gk_block(void)
{
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

int gk_timer_port(void)
{
    return runqs[gk_cpu_id()].timer_port;
}

void gk_sched_init_cpu(void)
{
    struct gk_cpu *cpu = gk_this_cpu();
    struct runq *rq = &runqs[cpu->id];

    gk_spin_init(&rq->lock);
    rq->idle.cpu = cpu->id;
    rq->idle.state = T_RUNNING;
    gk_snprintf(rq->idle.name, sizeof(rq->idle.name), "idle%u", cpu->id);
    cpu->current = &rq->idle;
    /* Blocking needs something to wake the vCPU: its timer for sleepers,
     * an IPI for wakeups from other vCPUs. Neither needs a handler; the
     * idle loop looks at the run queue after every wakeup. */
    rq->timer_port = gk_evtchn_bind_virq(VIRQ_TIMER, NULL, NULL);
    if (rq->timer_port < 0)
        gk_panic("bind VIRQ_TIMER: %d", rq->timer_port);
    rq->kick_port = gk_evtchn_bind_ipi(NULL, NULL);
    if (rq->kick_port < 0)
        gk_panic("bind IPI: %d", rq->kick_port);
    rq->ready = 1;
}

void gk_sched_run(void)
{
    struct gk_cpu *cpu = gk_this_cpu();
    struct runq *rq = &runqs[cpu->id];

    for (;;) {
        uint64_t deadline;

        gk_irq_disable();
        schedule(); /* returns when nothing else is runnable */
        /* Nothing to run: the moment a vCPU asked to go offline goes. */
        if (gk_smp_idle_offline(cpu))
            continue;

        gk_spin_lock(&rq->lock);
        if (rq->head) {
            gk_spin_unlock(&rq->lock);
            gk_irq_enable();
            continue;
        }
        deadline = earliest_deadline(rq);
        rq->idle_blocked = 1;
        gk_spin_unlock(&rq->lock);

        /* Re-arm on every idle pass: cheap compared with the block, and
         * immune to anyone else having moved the one-shot timer. */
        if (deadline)
            gk_set_timer(deadline);
        if (!deadline || deadline > gk_monotonic_ns())
            gk_block(); /* returns with events unmasked */

        gk_irq_disable();
        gk_spin_lock(&rq->lock);
        rq->idle_blocked = 0;
        gk_spin_unlock(&rq->lock);
        gk_irq_enable(); /* runs the handlers of what woke us */
    }
}

void gk_sched_kick_cpu(unsigned int cpu)
{
    if (cpu < PV_MAX_VCPUS && runqs[cpu].ready)
        gk_evtchn_send((evtchn_port_t)runqs[cpu].kick_port);
}
