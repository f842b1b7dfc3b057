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

#endif
