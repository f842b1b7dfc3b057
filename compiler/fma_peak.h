#ifndef MYOGEN_FMA_PEAK_H
#define MYOGEN_FMA_PEAK_H
#include <stddef.h>
#include "cc.h"

/* The measured floating-point peak of one core for a target and dtype, the
 * yardstick of the tuner's "% of peak": a loop of independent multiply-add
 * chains, written to DIR/peak_*.c, built with the same compiler and ISA
 * flags as the kernels, loaded and timed (best of several runs).
 * target "avx2": 256-bit FMA (2 flops per lane); "c": plain scalar a*b + c,
 * built without vectorization.  Returns GFLOP/s, or -1 with err. */
double fma_peak_measure(const cc_tool *cc, const char *dir, const char *target, int f64,
                        char *err, size_t errlen);

#endif
