/* SPDX-License-Identifier: MIT */
/* arch.h: x86_64 primitives: barriers, atomics, pause, rdtsc, bit scans. */
#ifndef PVISOR_GUEST_KIT_ARCH_H
#define PVISOR_GUEST_KIT_ARCH_H

#include <stdint.h>

/* Compiler barrier: no memory access moves across it. */
static inline void gk_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

/*
 * Full barrier. A locked no-op on the stack orders stores against later
 * loads (x86-TSO only reorders store->load) without touching SSE state.
 */
static inline void gk_mb(void)
{
    __asm__ volatile("lock; addl $0, 0(%%rsp)" ::: "memory", "cc");
}

/* Read and write barriers: x86 keeps load-load and store-store order. */
static inline void gk_rmb(void)
{
    gk_barrier();
}

static inline void gk_wmb(void)
{
    gk_barrier();
}

/* Spin-wait hint. */
static inline void gk_cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

/* Time stamp counter, not executed ahead of earlier loads. */
static inline uint64_t gk_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Index of the lowest set bit; x must not be 0. */
static inline unsigned gk_ffs64(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* Atomically set/clear/test-and-clear bit `nr` of the bitmap at `addr`. */
static inline void gk_set_bit(unsigned long nr, volatile void *addr)
{
    __asm__ volatile("lock; btsq %1, %0"
                     : "+m"(*(volatile uint64_t *)addr)
                     : "r"(nr)
                     : "memory");
}

static inline void gk_clear_bit(unsigned long nr, volatile void *addr)
{
    __asm__ volatile("lock; btrq %1, %0"
                     : "+m"(*(volatile uint64_t *)addr)
                     : "r"(nr)
                     : "memory");
}

static inline int gk_test_and_clear_bit(unsigned long nr, volatile void *addr)
{
    unsigned char old;

    __asm__ volatile("lock; btrq %2, %0; setc %1"
                     : "+m"(*(volatile uint64_t *)addr), "=qm"(old)
                     : "r"(nr)
                     : "memory", "cc");
    return old;
}

static inline int gk_test_and_set_bit(unsigned long nr, volatile void *addr)
{
    unsigned char old;

    __asm__ volatile("lock; btsq %2, %0; setc %1"
                     : "+m"(*(volatile uint64_t *)addr), "=qm"(old)
                     : "r"(nr)
                     : "memory", "cc");
    return old;
}

/* Plain bit test on a bitmap of 64-bit words (no ordering implied). */
static inline int gk_test_bit(unsigned long nr, const volatile void *addr)
{
    const volatile uint64_t *w = (const volatile uint64_t *)addr;

    return (int)((w[nr / 64] >> (nr % 64)) & 1);
}

#define GK_READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define GK_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif /* PVISOR_GUEST_KIT_ARCH_H */
