/* SPDX-License-Identifier: MIT */
/* sched.h: cooperative threads, pinned to a vCPU, with sleep and wakeup. */
#ifndef PVISOR_GUEST_KIT_SCHED_H
#define PVISOR_GUEST_KIT_SCHED_H

#include <stdint.h>

struct gk_thread;

/* Default stack: 64 KiB including an unmapped guard page at the bottom. */
#define GK_THREAD_STACK_ORDER 4

/*
 * Create a runnable thread on the calling vCPU that runs fn(arg); the
 * thread ends when fn returns (or calls gk_thread_exit()) and its memory is
 * reclaimed. `name` is copied (up to 23 chars). Returns NULL if out of
 * memory.
 */
struct gk_thread *gk_thread_create(const char *name, void (*fn)(void *),
                                   void *arg);

/* As gk_thread_create, on vCPU `cpu` (which must be online). */
struct gk_thread *gk_thread_create_on(unsigned int cpu, const char *name,
                                      void (*fn)(void *), void *arg);

/* End the calling thread. */
__attribute__((noreturn)) void gk_thread_exit(void);

/* The calling thread. */
struct gk_thread *gk_current(void);

/* A thread's name. */
const char *gk_thread_name(const struct gk_thread *t);

/* Let other runnable threads of this vCPU run. */
void gk_yield(void);

/* Sleep at least `ns` nanoseconds / until system time `deadline`. */
void gk_sleep_ns(uint64_t ns);
void gk_sleep_until(uint64_t deadline);

/* Sleep at least `ms` milliseconds. */
void gk_msleep(uint64_t ms);

/*
 * Block until another thread or an event handler calls gk_thread_wake() on
 * this thread. A wakeup that arrives before the block is remembered, so
 *     while (!condition) gk_thread_block();
 * never misses one; wakeups may also be spurious, hence the loop.
 */
void gk_thread_block(void);

/* As gk_thread_block, but also return once system time passes `deadline`. */
void gk_thread_block_until(uint64_t deadline);

/*
 * Make `t` runnable (or remember the wakeup if it is not blocked). Any
 * vCPU, thread or event handler may call this; a remote vCPU is kicked.
 */
void gk_thread_wake(struct gk_thread *t);

/*
 * The scheduler's idle loop for the calling vCPU: runs threads, and blocks
 * the vCPU (SCHEDOP_block) with the timer armed for the earliest sleeper
 * when none is runnable. Never returns.
 */
__attribute__((noreturn)) void gk_sched_run(void);

/* Set up the calling vCPU's scheduler, adopting the current context. */
void gk_sched_init_cpu(void);

/*
 * Block the vCPU until an event is pending: SCHEDOP_block unmasks events
 * atomically with going to sleep. Returns with events unmasked.
 */
void gk_block(void);

#endif /* PVISOR_GUEST_KIT_SCHED_H */
