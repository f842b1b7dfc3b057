#ifndef MYOGEN_TEST_UTIL_H
#define MYOGEN_TEST_UTIL_H
/* What every kernel test program needs: allocation that cannot fail
 * silently, and a seeded generator so every run sees the same data. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    return p;
}

static uint64_t rng_state;

static inline void rng_seed(uint64_t seed) { rng_state = seed * 0x9E3779B97F4A7C15ULL + 1; }

/* xorshift64*: fixed seeds give the same data on every run */
static inline double urand(double lo, double hi)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return lo + (hi - lo) * (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1p-53;
}

#endif
