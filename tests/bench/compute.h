/* SPDX-License-Identifier: MIT */
/* compute.h: the compute kernel shared by the bench guest and the host. */
#ifndef PVISOR_TESTS_BENCH_COMPUTE_H
#define PVISOR_TESTS_BENCH_COMPUTE_H

#include <stdint.h>

/* Rounds that take about 0.4 s on the project's machines. */
#define BENCH_COMPUTE_ROUNDS 150000000ULL

/*
 * Runs `rounds` rounds of an integer hash-mixing loop over a private
 * 64 KiB table (xorshift64 index, multiply/rotate update) and returns a
 * checksum that depends on every round. Deterministic: the same rounds
 * give the same checksum on any x86_64 host or guest. Not reentrant.
 */
uint64_t bench_compute(uint64_t rounds);

#endif /* PVISOR_TESTS_BENCH_COMPUTE_H */
