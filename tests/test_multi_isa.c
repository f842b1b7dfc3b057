/* List targets (DESIGN.md 3): one file holding the avx512, avx2, neon and c
 * code of a kernel must run the best of them this CPU has (NAME_isa()), and
 * agree with the single-target c kernel of the same spec, forward and
 * backward.  Built natively and, for neon, cross-built and run under qemu. */
#include "multi_btt.h"
#include "multi_btt_c.h"
#include "multi_mlr.h"
#include "multi_mlr_c.h"
#include "multi_myo.h"
#include "multi_myo_c.h"
#include "test_util.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The ISA the dispatch must pick, asked independently of it. */
static const char *expected_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "avx2";
    return "c";
#elif defined(__aarch64__)
    return "neon";
#else
    return "c";
#endif
}

static void test_dispatch(void)
{
    const char *want = expected_isa();
    printf("\n  this CPU: %s", want);
    CU_ASSERT_STRING_EQUAL(multi_myo_isa(), want);
    CU_ASSERT_STRING_EQUAL(multi_mlr_isa(), want);
    CU_ASSERT_STRING_EQUAL(multi_btt_isa(), want);
    CU_ASSERT_EQUAL(multi_myo_cpu_supported(), 1);
    CU_ASSERT_EQUAL(multi_myo_c_cpu_supported(), 1);
}

static void *ws_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes && posix_memalign(&p, 64, bytes) != 0)
        return NULL;
    return p;
}

static float *frand(size_t n, double lo, double hi)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)urand(lo, hi);
    return x;
}

static double *drand(size_t n, double lo, double hi)
{
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = urand(lo, hi);
    return x;
}

#define F32_TOL 1e-5
#define F64_TOL 1e-12

/* |a - b| <= tol (1 + |b|) everywhere, a and b of n floats or (f64) doubles,
 * tol F32_TOL or F64_TOL; prints the worst (a NaN counts as infinite). */
static int close_to_c(const char *what, const void *a, const void *b, size_t n, int f64)
{
    const double tol = f64 ? F64_TOL : F32_TOL;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double x = f64 ? ((const double *)a)[i] : ((const float *)a)[i];
        const double r = f64 ? ((const double *)b)[i] : ((const float *)b)[i];
        const double e = fabs(x - r) / (1 + fabs(r));
        if (!(e <= worst))
            worst = isnan(e) ? INFINITY : e;
    }
    printf("\n  %-22s worst relative difference to c %.2g (tolerance %.0g)", what, worst, tol);
    return worst <= tol;
}

static void test_myo(void)
{
    enum { B = 2, H = 19, N = multi_myo_STATE, L = multi_myo_SEQ_LEN, P = multi_myo_PARAM_SETS };
    rng_seed(11);
    size_t np = (size_t)P * H * N, nio = (size_t)B * L * H;
    float *A = frand(np, 2, 3), *Bp = frand(np, -0.3, 0.3), *C = frand(np, -0.3, 0.3);
    float *Bin = frand(H * N, -1, 1), *Cout = frand(H * N, -1, 1), *D = frand(H, -1, 1);
    float *u = frand(nio, -1, 1), *dy = frand(nio, -1, 1);
    multi_myo_params p = {A, Bp, C, Bin, Cout, D};
    multi_myo_c_params pc = {A, Bp, C, Bin, Cout, D};
    float *y[2], *du[2], *g[2][6];
    for (int k = 0; k < 2; k++) {
        y[k] = calloc(nio, sizeof(float));
        du[k] = calloc(nio, sizeof(float));
        size_t sz[6] = {np, np, np, H * N, H * N, H};
        for (int f = 0; f < 6; f++)
            g[k][f] = calloc(sz[f], sizeof(float));
    }
    multi_myo_grads gm = {g[0][0], g[0][1], g[0][2], g[0][3], g[0][4], g[0][5]};
    multi_myo_c_grads gc = {g[1][0], g[1][1], g[1][2], g[1][3], g[1][4], g[1][5]};
    void *w0 = ws_alloc(multi_myo_workspace_size(B, H));
    void *w1 = ws_alloc(multi_myo_c_workspace_size(B, H));
    CU_ASSERT_EQUAL(multi_myo_forward(&p, u, y[0], B, H, w0), 0);
    CU_ASSERT_EQUAL(multi_myo_c_forward(&pc, u, y[1], B, H, w1), 0);
    CU_ASSERT_EQUAL(multi_myo_backward(&p, u, dy, du[0], &gm, B, H, w0), 0);
    CU_ASSERT_EQUAL(multi_myo_c_backward(&pc, u, dy, du[1], &gc, B, H, w1), 0);
    CU_ASSERT(close_to_c("myo y", y[0], y[1], nio, 0));
    CU_ASSERT(close_to_c("myo du", du[0], du[1], nio, 0));
    CU_ASSERT(close_to_c("myo dA", g[0][0], g[1][0], np, 0));
    CU_ASSERT(close_to_c("myo dCout", g[0][4], g[1][4], H * N, 0));
    free(w0), free(w1), free(A), free(Bp), free(C), free(Bin), free(Cout), free(D), free(u);
    free(dy);
    for (int k = 0; k < 2; k++) {
        free(y[k]), free(du[k]);
        for (int f = 0; f < 6; f++)
            free(g[k][f]);
    }
}

static void test_mlr(void)
{
    enum { B = 1, H = 3, T = multi_mlr_SEQ_LEN, R = multi_mlr_RANK, DV = multi_mlr_VALUE_DIM };
    rng_seed(12);
    size_t nq = (size_t)B * H * T * R, nv = (size_t)B * H * T * DV, nl = (size_t)B * H * T;
    double *q = drand(nq, -1, 1), *k = drand(nq, -1, 1), *v = drand(nv, -1, 1);
    double *dout = drand(nv, -1, 1), *out[2][5];
    size_t sz[5] = {nv, nl, nq, nq, nv}; /* o, lse, dq, dk, dv */
    for (int j = 0; j < 2; j++)
        for (int f = 0; f < 5; f++)
            out[j][f] = calloc(sz[f], sizeof(double));
    void *w0 = ws_alloc(multi_mlr_workspace_size(B, H));
    void *w1 = ws_alloc(multi_mlr_c_workspace_size(B, H));
    CU_ASSERT_EQUAL(multi_mlr_forward(q, k, v, out[0][0], out[0][1], B, H, w0), 0);
    CU_ASSERT_EQUAL(multi_mlr_c_forward(q, k, v, out[1][0], out[1][1], B, H, w1), 0);
    CU_ASSERT_EQUAL(multi_mlr_backward(q, k, v, out[0][0], out[0][1], dout, out[0][2],
                                       out[0][3], out[0][4], B, H, w0), 0);
    CU_ASSERT_EQUAL(multi_mlr_c_backward(q, k, v, out[1][0], out[1][1], dout, out[1][2],
                                         out[1][3], out[1][4], B, H, w1), 0);
    static const char *const what[5] = {"mlr o", "mlr lse", "mlr dq", "mlr dk", "mlr dv"};
    for (int f = 0; f < 5; f++)
        CU_ASSERT(close_to_c(what[f], out[0][f], out[1][f], sz[f], 1));
    free(w0), free(w1), free(q), free(k), free(v), free(dout);
    for (int j = 0; j < 2; j++)
        for (int f = 0; f < 5; f++)
            free(out[j][f]);
}

static void test_btt(void)
{
    enum { M0 = multi_btt_M0, M1 = multi_btt_M1, N0 = multi_btt_N0, N1 = multi_btt_N1,
           S = multi_btt_RANK, DI = multi_btt_D_IN, DO = multi_btt_D_OUT };
    const size_t n = 37, n1 = (size_t)M1 * M0 * N0 * S, n2 = (size_t)N0 * M1 * S * N1;
    rng_seed(13);
    float *W1 = frand(n1, -1, 1), *W2 = frand(n2, -1, 1), *x = frand(n * DI, -1, 1);
    float *dy = frand(n * DO, -1, 1), *out[2][4];
    size_t sz[4] = {n * DO, n * DI, n1, n2}; /* y, dx, dW1, dW2 */
    for (int j = 0; j < 2; j++)
        for (int f = 0; f < 4; f++)
            out[j][f] = calloc(sz[f], sizeof(float));
    void *w0 = ws_alloc(multi_btt_workspace_size(n, 1));
    void *w1 = ws_alloc(multi_btt_c_workspace_size(n, 1));
    CU_ASSERT_EQUAL(multi_btt_forward(W1, W2, x, out[0][0], n, w0), 0);
    CU_ASSERT_EQUAL(multi_btt_c_forward(W1, W2, x, out[1][0], n, w1), 0);
    CU_ASSERT_EQUAL(multi_btt_backward(W1, W2, x, dy, out[0][1], out[0][2], out[0][3], n, w0), 0);
    CU_ASSERT_EQUAL(multi_btt_c_backward(W1, W2, x, dy, out[1][1], out[1][2], out[1][3], n, w1),
                    0);
    static const char *const what[4] = {"btt y", "btt dx", "btt dW1", "btt dW2"};
    for (int f = 0; f < 4; f++)
        CU_ASSERT(close_to_c(what[f], out[0][f], out[1][f], sz[f], 0));
    free(w0), free(w1), free(W1), free(W2), free(x), free(dy);
    for (int j = 0; j < 2; j++)
        for (int f = 0; f < 4; f++)
            free(out[j][f]);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("list targets", NULL, NULL);
    if (!s || !CU_add_test(s, "dispatch picks the best ISA of this CPU", test_dispatch) ||
        !CU_add_test(s, "myo agrees with the c target", test_myo) ||
        !CU_add_test(s, "mlr agrees with the c target", test_mlr) ||
        !CU_add_test(s, "btt agrees with the c target", test_btt)) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed != 0;
}
