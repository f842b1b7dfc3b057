/* The tuners' test data and the check of a variant's outputs (see
 * tune/data.h). */
#include "tune/data.h"
#include "tune/devmem.h"
#include "myogen_buffer.h"

#include <math.h>
#include <string.h>

static uint64_t rng;

void tune_seed(uint64_t seed) { rng = seed; }

double tune_urand(double lo, double hi)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return lo + (hi - lo) * (double)((rng * 2685821657736338717ULL) >> 11) * 0x1p-53;
}

void *tune_fill(size_t n, int f64, double lo, double hi)
{
    void *p = myogen_buffer_alloc(n * (f64 ? 8 : 4));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const double v = tune_urand(lo, hi);
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

double tune_at(const void *a, size_t i, int f64)
{
    return f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
}

int tune_check_value(double got, double ref, double atol, double rtol, tune_msg *m,
                     size_t *nbad, double *worst_ratio)
{
    const double diff = fabs(got - ref);
    const double ratio = isfinite(diff) ? diff / (atol + rtol * fabs(ref)) : INFINITY;
    if (!(diff <= m->max_err))
        m->max_err = isfinite(diff) ? diff : INFINITY;
    if (ratio <= 1)
        return 0;
    ++*nbad;
    if (ratio <= *worst_ratio)
        return 0;
    *worst_ratio = ratio;
    return 1;
}

void tune_round_floats(void *a, size_t n, int half)
{
    float *f = a;
    for (size_t i = 0; half && i < n; i++)
        f[i] = tune_round16(f[i], half);
}

int tune_half_of(const char *dtype)
{
    return strcmp(dtype, "bf16") == 0 ? 1 : strcmp(dtype, "f16") == 0 ? 2 : 0;
}

const char *tune_dtype_name(int f64, int half)
{
    return f64 ? "f64" : half == 1 ? "bf16" : half == 2 ? "f16" : "f32";
}
