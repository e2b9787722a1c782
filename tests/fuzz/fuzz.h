/* SPDX-License-Identifier: MIT */
/* fuzz.h: reading a libFuzzer input as a sequence of small fields. */
#ifndef PVISOR_TESTS_FUZZ_FUZZ_H
#define PVISOR_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The rest of the input; every read past its end yields zeros. */
struct fz {
    const uint8_t *p;
    size_t n;
};

static inline size_t fz_bytes(struct fz *f, void *out, size_t len)
{
    size_t take = len < f->n ? len : f->n;

    memcpy(out, f->p, take);
    memset((uint8_t *)out + take, 0, len - take);
    f->p += take;
    f->n -= take;
    return take;
}

static inline uint8_t fz_u8(struct fz *f)
{
    uint8_t v;

    fz_bytes(f, &v, 1);
    return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
    uint16_t v;

    fz_bytes(f, &v, 2);
    return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
    uint32_t v;

    fz_bytes(f, &v, 4);
    return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
    uint64_t v;

    fz_bytes(f, &v, 8);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* PVISOR_TESTS_FUZZ_FUZZ_H */
