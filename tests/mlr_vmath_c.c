/* The exp of templates/lib/vmath.c.tmpl as the c target emits it: this file
 * includes two generated kernels, so their static functions are in scope. */
#include "mlr_vmath.h"

#include "mlr_c_f32_tiny7.c"
#include "mlr_c_f64_tiny7.c"

void mlr_vmath_exp_c_f32(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = mlr_c_f32_tiny7_exp(x[i]);
}

void mlr_vmath_exp_c_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = mlr_c_f64_tiny7_exp(x[i]);
}

void mlr_vmath_expneg_c_f32(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = mlr_c_f32_tiny7_exp_nonpos(x[i]);
}

void mlr_vmath_expneg_c_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = mlr_c_f64_tiny7_exp_nonpos(x[i]);
}
