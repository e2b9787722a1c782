// SPDX-License-Identifier: MIT
/* compute_native.c: times the compute kernel as an ordinary host process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "compute.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* usage: compute-native [ROUNDS [REPS]]; one line per repetition. */
int main(int argc, char **argv)
{
    uint64_t rounds =
        argc > 1 ? strtoull(argv[1], NULL, 0) : BENCH_COMPUTE_ROUNDS;
    long reps = argc > 2 ? strtol(argv[2], NULL, 0) : 3;

    if (rounds == 0 || reps <= 0) {
        fprintf(stderr, "usage: compute-native [ROUNDS [REPS]]\n");
        return 2;
    }
    for (long i = 0; i < reps; i++) {
        uint64_t t0 = now_ns();
        uint64_t sum = bench_compute(rounds);
        uint64_t t1 = now_ns();

        printf("bench: mode=compute where=native rounds=%" PRIu64 " ns=%" PRIu64
               " checksum=0x%016" PRIx64 "\n",
               rounds, t1 - t0, sum);
        fflush(stdout);
    }
    return 0;
}
