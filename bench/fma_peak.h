/* The one-core f32 FMA peak the benches measure in their own run: 12
 * independent chains of FMAs (more than latency 4 x 2 FMA ports), named so
 * that they stay in registers, as GFLOP/s counting an FMA as 2 flops.
 * x86-64 with GCC or Clang (per-function target attributes). */
#ifndef MYOGEN_BENCH_FMA_PEAK_H
#define MYOGEN_BENCH_FMA_PEAK_H

#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double fma_peak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The loop and the final sum of one ISA: V vector type, P intrinsic prefix. */
#define FMA_PEAK_RUN(V, P, LANES)                                                              \
    const V m = P##_set1_ps(0.999999f), c = P##_set1_ps(1e-7f);                                \
    V a0 = P##_set1_ps(1.00f), a1 = P##_set1_ps(1.01f), a2 = P##_set1_ps(1.02f);               \
    V a3 = P##_set1_ps(1.03f), a4 = P##_set1_ps(1.04f), a5 = P##_set1_ps(1.05f);               \
    V a6 = P##_set1_ps(1.06f), a7 = P##_set1_ps(1.07f), a8 = P##_set1_ps(1.08f);               \
    V a9 = P##_set1_ps(1.09f), a10 = P##_set1_ps(1.10f), a11 = P##_set1_ps(1.11f);             \
    float out[LANES];                                                                          \
    const double t0 = fma_peak_now();                                                          \
    for (long i = 0; i < iters; i++) {                                                         \
        a0 = P##_fmadd_ps(a0, m, c), a1 = P##_fmadd_ps(a1, m, c);                              \
        a2 = P##_fmadd_ps(a2, m, c), a3 = P##_fmadd_ps(a3, m, c);                              \
        a4 = P##_fmadd_ps(a4, m, c), a5 = P##_fmadd_ps(a5, m, c);                              \
        a6 = P##_fmadd_ps(a6, m, c), a7 = P##_fmadd_ps(a7, m, c);                              \
        a8 = P##_fmadd_ps(a8, m, c), a9 = P##_fmadd_ps(a9, m, c);                              \
        a10 = P##_fmadd_ps(a10, m, c), a11 = P##_fmadd_ps(a11, m, c);                          \
    }                                                                                          \
    const double t1 = fma_peak_now();                                                          \
    a0 = P##_add_ps(P##_add_ps(P##_add_ps(a0, a1), P##_add_ps(a2, a3)),                        \
                    P##_add_ps(P##_add_ps(a4, a5), P##_add_ps(a6, a7)));                       \
    a0 = P##_add_ps(a0, P##_add_ps(P##_add_ps(a8, a9), P##_add_ps(a10, a11)));                 \
    P##_storeu_ps(out, a0);                                                                    \
    if (out[0] == 12345.0f) /* keeps the loop alive */                                         \
        puts("");                                                                              \
    return (double)iters * 12 * (LANES) * 2 / (t1 - t0) * 1e-9

__attribute__((target("avx2,fma"), unused)) static double peak_avx2_run(long iters)
{
    FMA_PEAK_RUN(__m256, _mm256, 8);
}

__attribute__((target("avx512f"), unused)) static double peak_avx512_run(long iters)
{
    FMA_PEAK_RUN(__m512, _mm512, 16);
}

#endif
