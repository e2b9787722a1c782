// SPDX-License-Identifier: MIT
/* compute.c: an integer workload compiled into both the guest and the host. */
#include "compute.h"

#define TABLE_WORDS (1u << 14) /* 64 KiB: stays in L2 */

static uint32_t table[TABLE_WORDS];

static inline uint64_t xorshift64(uint64_t x)
{
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

static inline uint32_t rotl32(uint32_t v, unsigned n)
{
    return (v << n) | (v >> (32 - n));
}

uint64_t bench_compute(uint64_t rounds)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL, sum = 0;

    for (uint32_t i = 0; i < TABLE_WORDS; i++) {
        x = xorshift64(x);
        table[i] = (uint32_t)x;
    }
    for (uint64_t r = 0; r < rounds; r++) {
        uint32_t idx, v;

        x = xorshift64(x);
        idx = (uint32_t)x & (TABLE_WORDS - 1);
        v = (table[idx] * 0x85ebca6bu) ^ (uint32_t)(x >> 32);
        table[idx] = rotl32(v, 13);
        sum = (sum ^ v) * 0x100000001b3ULL + (sum >> 29);
    }
    for (uint32_t i = 0; i < TABLE_WORDS; i++)
        sum = (sum ^ table[i]) * 0x100000001b3ULL;
    return sum;
}
