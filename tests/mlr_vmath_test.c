/* CUnit test of the generated vector exp (templates/lib/vmath.c.tmpl), as
 * the c and avx2 targets emit it, f32 and f64: error in ulps against libm in
 * higher precision over the whole normal range, and the special values. */
#include "mlr_vmath.h"

#include <CUnit/Basic.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on the worst error in ulps of the correctly rounded result (the
 * test prints what it measures: ~1 ulp for both dtypes). */
#define F32_MAX_ULP 1.5
#define F64_MAX_ULP 1.5
#define N 1048576 /* random points per range */

static const double F32_LO = -87.336544750553102, F32_HI = 88.722839052068352;
static const double F64_LO = -708.39641853226410622, F64_HI = 709.78271289338399684;

static uint64_t rng = 88172645463325252ULL;
static double urand(double lo, double hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (hi - lo) * (double)(rng >> 11) * 0x1p-53;
}

typedef void (*exp32)(const float *, float *, size_t);
typedef void (*exp64)(const double *, double *, size_t);

static int have_avx2(void)
{
#if defined(MLR_VMATH_AVX2) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* |y - ref| in units of the last place of ref (a normal float/double) */
static double ulps(long double y, long double ref, int mant_bits)
{
    int e;
    frexpl(ref, &e);
    return (double)(fabsl(y - ref) / ldexpl(1.0L, e - mant_bits));
}

/* points: random in [lo, hi], plus a sweep of small |x| */
static void points(double *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = i < n / 8 ? urand(-1e-3, 1e-3) * pow(10, -(double)(i % 30) / 3) : urand(lo, hi);
}

/* the x <= 0 variant gives the general one's results, bit for bit, on
 * x <= 0 (below the range, -inf and NaN included) */
static void check_nonpos_f32(exp32 f, exp32 g)
{
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *z = malloc(N * sizeof *z);
    CU_ASSERT_FATAL(x && y && z);
    for (size_t i = 0; i < N; i++)
        x[i] = i < 8 ? (float[]){-INFINITY, NAN, 0.0f, -0.0f, -87.5f, -200.0f, -1e-30f, -87.3f}[i]
                     : (float)urand(F32_LO - 5, 0);
    f(x, y, N);
    g(x, z, N);
    size_t diff = 0;
    for (size_t i = 0; i < N; i++)
        diff += memcmp(&y[i], &z[i], sizeof y[i]) != 0;
    CU_ASSERT_EQUAL(diff, 0);
    free(x);
    free(y);
    free(z);
}

static void check_nonpos_f64(exp64 f, exp64 g)
{
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *z = malloc(N * sizeof *z);
    CU_ASSERT_FATAL(x && y && z);
    for (size_t i = 0; i < N; i++)
        x[i] = i < 8 ? (double[]){-INFINITY, NAN, 0.0, -0.0, -709.0, -2000.0, -1e-300, -708.0}[i]
                     : urand(F64_LO - 5, 0);
    f(x, y, N);
    g(x, z, N);
    size_t diff = 0;
    for (size_t i = 0; i < N; i++)
        diff += memcmp(&y[i], &z[i], sizeof y[i]) != 0;
    CU_ASSERT_EQUAL(diff, 0);
    free(x);
    free(y);
    free(z);
}

static void check_f32(const char *name, exp32 f)
{
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    double *xd = malloc(N * sizeof *xd), worst = 0, at = 0;
    CU_ASSERT_FATAL(x && y && xd);
    points(xd, N, F32_LO, F32_HI);
    for (size_t i = 0; i < N; i++)
        x[i] = (float)xd[i];
    f(x, y, N);
    for (size_t i = 0; i < N; i++) {
        long double ref = expl((long double)x[i]);
        if (ref < FLT_MIN || ref > FLT_MAX)
            continue; /* the clamped ends, checked below */
        double u = ulps(y[i], ref, 24);
        if (!(u <= worst)) {
            worst = isnan(u) ? INFINITY : u;
            at = x[i];
        }
    }
    printf("\n  %s: worst %.3f ulp (at x = %.9g)", name, worst, at);
    CU_ASSERT(worst <= F32_MAX_ULP);
    /* special values and the ends of the range, one vector of 8 */
    float s[8] = {-INFINITY, INFINITY, NAN, 0.0f, -200.0f, 100.0f, -87.5f, -87.3f}, r[8];
    f(s, r, 8);
    CU_ASSERT(r[0] == 0.0f);
    CU_ASSERT(isinf(r[1]) && r[1] > 0);
    CU_ASSERT(isnan(r[2]));
    CU_ASSERT(r[3] == 1.0f);
    CU_ASSERT(r[4] == 0.0f);
    CU_ASSERT(isinf(r[5]) && r[5] > 0);
    CU_ASSERT(r[6] == 0.0f); /* subnormal result: flushed */
    CU_ASSERT(ulps(r[7], expl((long double)s[7]), 24) <= F32_MAX_ULP); /* still normal */
    float t[8] = {88.0f, 88.7f, 88.72f, -1.0f, 1.0f, -10.0f, 10.0f, 0.5f}, rt[8];
    f(t, rt, 8);
    for (int i = 0; i < 8; i++)
        CU_ASSERT(ulps(rt[i], expl((long double)t[i]), 24) <= F32_MAX_ULP);
    free(x);
    free(y);
    free(xd);
}

static void check_f64(const char *name, exp64 f)
{
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), worst = 0, at = 0;
    CU_ASSERT_FATAL(x && y);
    points(x, N, F64_LO, F64_HI);
    f(x, y, N);
    for (size_t i = 0; i < N; i++) {
        long double ref = expl((long double)x[i]);
        if (ref < DBL_MIN || ref > DBL_MAX)
            continue;
        double u = ulps(y[i], ref, 53);
        if (!(u <= worst)) {
            worst = isnan(u) ? INFINITY : u;
            at = x[i];
        }
    }
    printf("\n  %s: worst %.3f ulp (at x = %.17g)", name, worst, at);
    CU_ASSERT(worst <= F64_MAX_ULP);
    double s[4] = {-INFINITY, INFINITY, NAN, 0.0}, r[4];
    f(s, r, 4);
    CU_ASSERT(r[0] == 0.0);
    CU_ASSERT(isinf(r[1]) && r[1] > 0);
    CU_ASSERT(isnan(r[2]));
    CU_ASSERT(r[3] == 1.0);
    double t[4] = {-800.0, 800.0, -709.0, 709.7}, rt[4];
    f(t, rt, 4);
    CU_ASSERT(rt[0] == 0.0);
    CU_ASSERT(isinf(rt[1]) && rt[1] > 0);
    CU_ASSERT(rt[2] == 0.0); /* subnormal result: flushed */
    CU_ASSERT(ulps(rt[3], expl((long double)t[3]), 53) <= F64_MAX_ULP);
    free(x);
    free(y);
}

static void test_c_f32(void)
{
    check_f32("c f32", mlr_vmath_exp_c_f32);
    check_nonpos_f32(mlr_vmath_expneg_c_f32, mlr_vmath_exp_c_f32);
}
static void test_c_f64(void)
{
    check_f64("c f64", mlr_vmath_exp_c_f64);
    check_nonpos_f64(mlr_vmath_expneg_c_f64, mlr_vmath_exp_c_f64);
}
static void test_avx2_f32(void)
{
#ifdef MLR_VMATH_AVX2
    if (have_avx2()) {
        check_f32("avx2 f32", mlr_vmath_exp_avx2_f32);
        check_nonpos_f32(mlr_vmath_expneg_avx2_f32, mlr_vmath_exp_avx2_f32);
    } else
#endif
        printf("\n  skipped: no AVX2+FMA here");
}
static void test_avx2_f64(void)
{
#ifdef MLR_VMATH_AVX2
    if (have_avx2()) {
        check_f64("avx2 f64", mlr_vmath_exp_avx2_f64);
        check_nonpos_f64(mlr_vmath_expneg_avx2_f64, mlr_vmath_exp_avx2_f64);
    } else
#endif
        printf("\n  skipped: no AVX2+FMA here");
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("vector exp (lib/vmath.c.tmpl)", NULL, NULL);
    CU_add_test(s, "c f32", test_c_f32);
    CU_add_test(s, "c f64", test_c_f64);
    CU_add_test(s, "avx2 f32", test_avx2_f32);
    CU_add_test(s, "avx2 f64", test_avx2_f64);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
