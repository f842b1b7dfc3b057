/* The exp of templates/lib/vmath.c.tmpl as the avx2 target emits it
 * (compiled with -mavx2 -mfma; called only where the CPU has both). */
#include "mlr_vmath.h"

#include "mlr_avx2_f32_tiny7.c"
#include "mlr_avx2_f64_tiny7.c"

void mlr_vmath_exp_avx2_f32(const float *x, float *y, size_t n) /* n % 8 == 0 */
{
    for (size_t i = 0; i < n; i += 8)
        _mm256_storeu_ps(y + i, mlr_avx2_f32_tiny7_exp(_mm256_loadu_ps(x + i)));
}

void mlr_vmath_exp_avx2_f64(const double *x, double *y, size_t n) /* n % 4 == 0 */
{
    for (size_t i = 0; i < n; i += 4)
        _mm256_storeu_pd(y + i, mlr_avx2_f64_tiny7_exp(_mm256_loadu_pd(x + i)));
}

void mlr_vmath_expneg_avx2_f32(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        _mm256_storeu_ps(y + i, mlr_avx2_f32_tiny7_exp_nonpos(_mm256_loadu_ps(x + i)));
}

void mlr_vmath_expneg_avx2_f64(const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i += 4)
        _mm256_storeu_pd(y + i, mlr_avx2_f64_tiny7_exp_nonpos(_mm256_loadu_pd(x + i)));
}
