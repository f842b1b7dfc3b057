/* Entry points to the generated vector exp (templates/lib/vmath.c.tmpl),
 * one per target and dtype; n a multiple of 8. */
#ifndef MLR_VMATH_H
#define MLR_VMATH_H

#include <stddef.h>

void mlr_vmath_exp_c_f32(const float *x, float *y, size_t n);
void mlr_vmath_exp_c_f64(const double *x, double *y, size_t n);
void mlr_vmath_exp_avx2_f32(const float *x, float *y, size_t n);
void mlr_vmath_exp_avx2_f64(const double *x, double *y, size_t n);
/* the x <= 0 variant (softmax weights) */
void mlr_vmath_expneg_c_f32(const float *x, float *y, size_t n);
void mlr_vmath_expneg_c_f64(const double *x, double *y, size_t n);
void mlr_vmath_expneg_avx2_f32(const float *x, float *y, size_t n);
void mlr_vmath_expneg_avx2_f64(const double *x, double *y, size_t n);

#endif
