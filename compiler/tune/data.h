#ifndef MYOGEN_TUNE_DATA_H
#define MYOGEN_TUNE_DATA_H
#include <stddef.h>
#include <stdint.h>
#include "tune/util.h"

/* The tuners' random test data and the check of a variant's outputs
 * against a reference (tune/myo.c, mlr.c, btt.c). */

/* A seeded uniform generator (xorshift64*): the same data for the same seed. */
void tune_seed(uint64_t seed);
double tune_urand(double lo, double hi);

/* n values uniform in [lo, hi) from tune_urand, float or double
 * (myogen_buffer_alloc: free with myogen_buffer_free), or NULL. */
void *tune_fill(size_t n, int f64, double lo, double hi);

/* Element i of a float or double array, as a double. */
double tune_at(const void *a, size_t i, int f64);

/* One output against its reference, |got - ref| <= atol + rtol |ref|:
 * raises m->max_err, counts a miss in *nbad; 1 when it is the worst miss so
 * far (*worst_ratio its ratio to the tolerance), else 0. */
int tune_check_value(double got, double ref, double atol, double rtol, tune_msg *m,
                     size_t *nbad, double *worst_ratio);

/* Test data for 16-bit storage (half 1: bf16, 2: f16; 0: nothing to do):
 * the n floats of a rounded in place to it, so the reference sees what the
 * kernel sees. */
void tune_round_floats(void *a, size_t n, int half);

/* The check's tolerance (both absolute and relative) where the tensors are
 * stored in 16 bits (half 1: bf16, 2: f16): outputs rounded to 8 or 11
 * significant bits, softmax weights too. */
#define BF16_TOL 2e-2
#define F16_TOL 4e-3
#define TUNE_HALF_TOL(half) ((half) == 1 ? BF16_TOL : F16_TOL)

/* half of a spec's dtype: 1 "bf16", 2 "f16", else 0; and back, with f64. */
int tune_half_of(const char *dtype);
const char *tune_dtype_name(int f64, int half);

#endif
