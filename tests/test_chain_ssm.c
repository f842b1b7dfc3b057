/* CUnit test of the chain identity (docs/myo_chain_ssm.md): an arity-1 `myo`
 * kernel, block "diag", is a bidirectional linear state-space model. For
 * each state n (the diag system decouples into N scalar chains) and
 * positions t = 0..d (t = vertex t = level t; 0 is the root, d the leaf):
 *
 *   A_t x_t + B_t x_{t-1} + C_{t+1} x_{t+1} = e_t     (no B at 0, no C at d)
 *
 * and with the two pivot sequences (leading and trailing Schur complements)
 *
 *   F_0 = A_0,  F_t = A_t - B_t C_t / F_{t-1}          (top-down)
 *   G_d = A_d,  G_t = A_t - C_{t+1} B_{t+1} / G_{t+1}  (bottom-up)
 *   delta_t = 1 / (F_t + G_t - A_t)                    (= (T^-1)_tt)
 *   alpha_t = -B_t / G_t,  beta_t = -C_{t+1} / F_t
 *
 * the solution is two one-sided scans, exactly (T^-1 is semiseparable):
 *
 *   h_t = alpha_t h_{t-1} + delta_t e_t               (forward, h_{-1} = 0)
 *   g_t = beta_t (g_{t+1} + delta_{t+1} e_{t+1})      (backward, g_d = 0)
 *   x_t = h_t + g_t
 *
 * siso: e_t = Bin u_t, y_t = Cout . x_t + D u_t; none: e = u, y = x.
 *
 * The reference here evaluates exactly that, in double, per (batch, channel,
 * state); it is checked on its own against the equations (residual) and the
 * closed form of the time-invariant interior, then every kernel of the
 * registry written by chain_ssm.cmake is checked against it. */
#define _ISOC11_SOURCE /* aligned_alloc; must precede every system header */
#include "chain_ssm_kernels.h" /* the generated headers */

#include "test_util.h"
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |kernel - ssm| <= ATOL + RTOL |ssm|, per dtype. The data are strictly
 * diagonally dominant (|A| >= 2 > |B| + |C|), so every pivot has |F|, |G|
 * >= 1.1, every transition |alpha|, |beta| < 0.82 and the outputs are O(1):
 * the kernels land near 1e-16 (f64) and 1e-7 (f32) of the reference (the
 * test prints the worst errors); the bounds leave ~100x headroom. */
#define F64_ATOL 1e-12
#define F64_RTOL 1e-12
#define F32_ATOL 1e-5
#define F32_RTOL 1e-5
/* the reference against the chain's equations, both in double */
#define RES_TOL 1e-13

#define BATCH 2
#define CHANNELS 13 /* not a multiple of any lane group: partial groups too */

/* ---- the bidirectional SSM ---- */

/* Coefficients of one scalar chain of L = d + 1 positions from its
 * equations' coefficients a[t] = A_t, b[t] = B_t (b[0] unused) and
 * c[t] = C_{t+1} (the coupling to x_{t+1} in equation t; c[L-1] unused).
 * F, G: scratch [L]. Returns 0, or 1 for a zero pivot. */
static int ssm_coeffs(const double *a, const double *b, const double *c, size_t L,
                      double *F, double *G, double *alpha, double *beta, double *delta)
{
    size_t t;
    F[0] = a[0];
    for (t = 1; t < L; t++) {
        if (F[t - 1] == 0)
            return 1;
        F[t] = a[t] - b[t] * c[t - 1] / F[t - 1];
    }
    G[L - 1] = a[L - 1];
    for (t = L - 1; t-- > 0;) {
        if (G[t + 1] == 0)
            return 1;
        G[t] = a[t] - c[t] * b[t + 1] / G[t + 1];
    }
    for (t = 0; t < L; t++) {
        double den = F[t] + G[t] - a[t];
        if (den == 0 || F[t] == 0 || G[t] == 0)
            return 1;
        delta[t] = 1 / den;
        alpha[t] = t > 0 ? -b[t] / G[t] : 0;
        beta[t] = t + 1 < L ? -c[t] / F[t] : 0;
    }
    return 0;
}

/* x = h + g: the forward scan h and the backward scan g over inputs e. */
static void ssm_scan(const double *alpha, const double *beta, const double *delta,
                     const double *e, size_t L, double *x)
{
    size_t t;
    double h = 0, g = 0;
    for (t = 0; t < L; t++) {
        h = alpha[t] * h + delta[t] * e[t];
        x[t] = h;
    }
    for (t = L - 1; t-- > 0;) {
        g = beta[t] * (g + delta[t + 1] * e[t + 1]);
        x[t] += g;
    }
}

/* ---- test data: one kernel call, in double ---- */

typedef struct {
    size_t L, N, P, batch, channels; /* P: parameter sets (= L for a chain) */
    int input, siso;                 /* share "input"; readout "siso" */
    double *A, *B, *C, *Bin, *Cout, *D, *u, *yref;
    size_t np, nio; /* elements of A (B, C) and of u (y) */
} chaindata;

/* Index of A[.][t][h][n] (batch-major only for share "input"). */
static size_t pidx(const chaindata *d, size_t b, size_t t, size_t h, size_t n)
{
    return (((d->input ? b : 0) * d->P + t) * d->channels + h) * d->N + n;
}

/* Index of u[b][t][h] (siso) or u[b][t][h][n] (none). */
static size_t uidx(const chaindata *d, size_t b, size_t t, size_t h, size_t n)
{
    size_t w = d->siso ? 1 : d->N;
    return ((b * d->L + t) * d->channels + h) * w + (d->siso ? 0 : n);
}

static double *fill(size_t n, double lo, double hi, int f32, int random_sign)
{
    double *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        if (random_sign && urand(0, 1) < 0.5)
            v = -v;
        a[i] = f32 ? (double)(float)v : v; /* the kernel's exact inputs */
    }
    return a;
}

/* A: |A| in [2,3], either sign; B, C in [-0.9,0.9]: every row of the chain
 * is strictly dominant (|A_t| > |B_t| + |C_{t+1}|), with strong coupling. */
static void data_make(chaindata *d, size_t L, size_t N, int input, int siso, int f32,
                      uint64_t seed)
{
    rng_seed(seed);
    d->L = d->P = L;
    d->N = N;
    d->batch = BATCH;
    d->channels = CHANNELS;
    d->input = input;
    d->siso = siso;
    d->np = (input ? BATCH : 1) * L * CHANNELS * N;
    d->nio = BATCH * L * CHANNELS * (siso ? 1 : N);
    d->A = fill(d->np, 2, 3, f32, 1);
    d->B = fill(d->np, -0.9, 0.9, f32, 0);
    d->C = fill(d->np, -0.9, 0.9, f32, 0);
    d->Bin = siso ? fill(CHANNELS * N, -1, 1, f32, 0) : NULL;
    d->Cout = siso ? fill(CHANNELS * N, -1, 1, f32, 0) : NULL;
    d->D = siso ? fill(CHANNELS, -1, 1, f32, 0) : NULL;
    d->u = fill(d->nio, -1, 1, f32, 0);
    d->yref = xmalloc(d->nio * sizeof *d->yref);
}

static void data_free(chaindata *d)
{
    free(d->A), free(d->B), free(d->C), free(d->Bin), free(d->Cout), free(d->D);
    free(d->u), free(d->yref);
}

/* yref = the bidirectional SSM of every (batch, channel, state); x (if not
 * NULL, [batch][L][channels][N]) gets the states. Returns 0, 1 on a zero pivot. */
static int ssm_forward(chaindata *d, double *xout)
{
    size_t L = d->L, N = d->N, b, h, n, t;
    double *w = xmalloc(9 * L * sizeof *w);
    double *a = w, *bb = w + L, *c = w + 2 * L, *F = w + 3 * L, *G = w + 4 * L;
    double *al = w + 5 * L, *be = w + 6 * L, *de = w + 7 * L, *e = w + 8 * L;
    double *x = xmalloc(L * N * sizeof *x);
    int rc = 0;
    for (b = 0; b < d->batch; b++)
        for (h = 0; h < d->channels; h++) {
            for (n = 0; n < N; n++) {
                for (t = 0; t < L; t++) {
                    a[t] = d->A[pidx(d, b, t, h, n)];
                    bb[t] = d->B[pidx(d, b, t, h, n)];
                    c[t] = t + 1 < L ? d->C[pidx(d, b, t + 1, h, n)] : 0;
                    e[t] = d->siso ? d->Bin[h * N + n] * d->u[uidx(d, b, t, h, 0)]
                                   : d->u[uidx(d, b, t, h, n)];
                }
                if (ssm_coeffs(a, bb, c, L, F, G, al, be, de))
                    rc = 1;
                ssm_scan(al, be, de, e, L, x + n * L);
                if (xout)
                    for (t = 0; t < L; t++)
                        xout[((b * L + t) * d->channels + h) * N + n] = x[n * L + t];
            }
            for (t = 0; t < L; t++) {
                if (d->siso) {
                    double uv = d->u[uidx(d, b, t, h, 0)], y = d->D[h] * uv;
                    for (n = 0; n < N; n++)
                        y += d->Cout[h * N + n] * x[n * L + t];
                    d->yref[uidx(d, b, t, h, 0)] = y;
                } else {
                    for (n = 0; n < N; n++)
                        d->yref[uidx(d, b, t, h, n)] = x[n * L + t];
                }
            }
        }
    free(w);
    free(x);
    return rc;
}

/* ---- the reference on its own ---- */

/* The scans' states satisfy the chain's equations, every position, for
 * general (non-symmetric, time-varying) coefficients; short and long. */
static void test_ref_residual(void)
{
    static const size_t lens[] = {1, 2, 3, 8, 201};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        for (int input = 0; input < 2; input++) {
            chaindata d;
            size_t L = lens[k], N = 3, b, h, n, t;
            double worst = 0, *x;
            data_make(&d, L, N, input, 0, 0, 100 + k);
            x = xmalloc(d.nio * sizeof *x);
            CU_ASSERT_EQUAL_FATAL(ssm_forward(&d, x), 0);
            for (b = 0; b < d.batch; b++)
                for (h = 0; h < d.channels; h++)
                    for (n = 0; n < N; n++)
                        for (t = 0; t < L; t++) {
#define X(tt) x[((b * L + (tt)) * d.channels + h) * N + n]
                            double r = d.A[pidx(&d, b, t, h, n)] * X(t) -
                                       d.u[uidx(&d, b, t, h, n)];
                            if (t > 0)
                                r += d.B[pidx(&d, b, t, h, n)] * X(t - 1);
                            if (t + 1 < L)
                                r += d.C[pidx(&d, b, t + 1, h, n)] * X(t + 1);
#undef X
                            if (fabs(r) > worst)
                                worst = fabs(r);
                        }
            if (!(worst <= RES_TOL))
                printf("\n  L=%zu input=%d: residual %.3g > %.3g\n", L, input, worst, RES_TOL);
            CU_ASSERT(worst <= RES_TOL);
            free(x);
            data_free(&d);
        }
    }
}

/* Time-invariant A, B, C (share "level" with equal levels): F and G both
 * converge to the dominant root G* of G^2 - A G + B C = 0, so the interior
 * of a long chain is the LTI bidirectional SSM alpha = -B/G*, beta = -C/G*,
 * delta = 1/(2 G* - A) = sign(A)/sqrt(A^2 - 4 B C) (docs/myo_chain_ssm.md). */
static void test_ref_time_invariant(void)
{
    enum { L = 201 };
    static double a[L], b[L], c[L], F[L], G[L], al[L], be[L], de[L];
    static const double abc[][3] = {{2.5, 0.7, -0.4}, {-2.2, 0.9, 0.8}, {3.0, -0.5, -0.5}};
    for (size_t k = 0; k < sizeof abc / sizeof *abc; k++) {
        double A = abc[k][0], B = abc[k][1], C = abc[k][2];
        double s = sqrt(A * A - 4 * B * C), Gs = (A + (A > 0 ? s : -s)) / 2;
        for (size_t t = 0; t < L; t++)
            a[t] = A, b[t] = B, c[t] = C;
        CU_ASSERT_EQUAL_FATAL(ssm_coeffs(a, b, c, L, F, G, al, be, de), 0);
        CU_ASSERT(fabs(al[L / 2] + B / Gs) <= 1e-14);
        CU_ASSERT(fabs(be[L / 2] + C / Gs) <= 1e-14);
        CU_ASSERT(fabs(de[L / 2] - (A > 0 ? 1 : -1) / s) <= 1e-14);
        /* the ends are not the interior: G_d = A, F_0 = A */
        CU_ASSERT(fabs(al[L - 1] + B / A) <= 1e-15);
        CU_ASSERT(fabs(be[0] + C / A) <= 1e-15);
    }
}

/* ---- the kernels ---- */

typedef struct {
    const char *name;
    int f64, input, siso;
    size_t L, P, N;
    size_t (*ws)(size_t, size_t);
    int (*call)(const chaindata *d, const void *A, const void *B, const void *C,
                const void *Bin, const void *Cout, const void *D, const void *u, void *y,
                void *ws);
} kernel_desc;

/* A double array as the kernel's dtype (a new buffer; NULL stays NULL). */
static void *stage(const double *src, size_t n, int f64)
{
    if (!src)
        return NULL;
    if (f64) {
        double *p = xmalloc(n * sizeof *p);
        memcpy(p, src, n * sizeof *p);
        return p;
    }
    float *p = xmalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)src[i];
    return p;
}

static double worst_err[2], worst_ratio[2]; /* [f64]: max |got - ref|, max err/bound */
static const char *worst_name[2];

static void check_kernel(const kernel_desc *kd, uint64_t seed)
{
    chaindata d;
    void *A, *B, *C, *Bin, *Cout, *D, *u, *y, *ws;
    size_t wsz, i, bad = 0;
    double at = kd->f64 ? F64_ATOL : F32_ATOL, rt = kd->f64 ? F64_RTOL : F32_RTOL;
    double werr = 0, wratio = 0;
    data_make(&d, kd->L, kd->N, kd->input, kd->siso, !kd->f64, seed);
    CU_ASSERT_EQUAL_FATAL(kd->P, d.P);
    CU_ASSERT_EQUAL_FATAL(ssm_forward(&d, NULL), 0);
    A = stage(d.A, d.np, kd->f64), B = stage(d.B, d.np, kd->f64), C = stage(d.C, d.np, kd->f64);
    Bin = stage(d.Bin, CHANNELS * d.N, kd->f64), Cout = stage(d.Cout, CHANNELS * d.N, kd->f64);
    D = stage(d.D, CHANNELS, kd->f64), u = stage(d.u, d.nio, kd->f64);
    y = xmalloc(d.nio * (kd->f64 ? sizeof(double) : sizeof(float)));
    wsz = kd->ws(BATCH, CHANNELS);
    CU_ASSERT_FATAL(wsz != SIZE_MAX);
    ws = aligned_alloc(64, (wsz + 63) / 64 * 64 + 64);
    CU_ASSERT_FATAL(ws != NULL);
    CU_ASSERT_EQUAL(kd->call(&d, A, B, C, Bin, Cout, D, u, y, ws), 0);
    for (i = 0; i < d.nio; i++) {
        double got = kd->f64 ? ((double *)y)[i] : (double)((float *)y)[i];
        double err = fabs(got - d.yref[i]), bound = at + rt * fabs(d.yref[i]);
        if (!(err <= bound) && bad++ < 5)
            printf("\n  %s: y[%zu] = %.17g, ssm %.17g (error %.3g > %.3g)", kd->name, i, got,
                   d.yref[i], err, bound);
        if (!(err <= werr))
            werr = err;
        if (!(err / bound <= wratio))
            wratio = err / bound;
    }
    CU_ASSERT_EQUAL(bad, 0);
    if (!(werr <= worst_err[kd->f64]))
        worst_err[kd->f64] = werr;
    if (!(wratio <= worst_ratio[kd->f64])) {
        worst_ratio[kd->f64] = wratio;
        worst_name[kd->f64] = kd->name;
    }
    free(A), free(B), free(C), free(Bin), free(Cout), free(D), free(u), free(y), free(ws);
    data_free(&d);
}

/* Per kernel: a call on staged buffers and a descriptor from its header. */
#define CHAIN_KERNEL(NAME)                                                                \
    static int NAME##_call(const chaindata *d, const void *A, const void *B, const void *C, \
                           const void *Bin, const void *Cout, const void *D,              \
                           const void *u, void *y, void *ws)                              \
    {                                                                                     \
        NAME##_params p;                                                                  \
        p.A = A, p.B = B, p.C = C, p.Bin = Bin, p.Cout = Cout, p.D = D;                   \
        return NAME##_forward(&p, u, y, d->batch, d->channels, ws);                       \
    }                                                                                     \
    static const kernel_desc NAME##_desc = {                                              \
        #NAME, NAME##_DTYPE_F64, NAME##_SHARE_INPUT, NAME##_READOUT_SISO, NAME##_SEQ_LEN,  \
        NAME##_PARAM_SETS, NAME##_STATE, NAME##_workspace_size, NAME##_call};              \
    static void NAME##_test(void)                                                         \
    {                                                                                     \
        CU_ASSERT_EQUAL_FATAL(NAME##_ARITY, 1);                                           \
        CU_ASSERT_EQUAL_FATAL(NAME##_SEQ_LEN, NAME##_DEPTH + 1);                          \
        CU_ASSERT_EQUAL_FATAL(NAME##_BLOCK_DENSE, 0);                                     \
        CU_ASSERT_EQUAL_FATAL(NAME##_SYMMETRIC, 0);                                       \
        check_kernel(&NAME##_desc, 7 + NAME##_SEQ_LEN);                                   \
    }
#include "chain_ssm_kernels.h"
#undef CHAIN_KERNEL

typedef struct {
    const char *name;
    CU_TestFunc test;
} kernel_entry;

static const kernel_entry kernel_table[] = {
#define CHAIN_KERNEL(NAME) {#NAME, NAME##_test},
#include "chain_ssm_kernels.h"
#undef CHAIN_KERNEL
    {NULL, NULL}};

int main(void)
{
    CU_pSuite ref, ker;
    unsigned failures;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    ref = CU_add_suite("chain_ssm_reference", NULL, NULL);
    ker = CU_add_suite("chain_ssm_kernels", NULL, NULL);
    if (!ref || !ker || !CU_add_test(ref, "scans solve the chain", test_ref_residual) ||
        !CU_add_test(ref, "time-invariant interior", test_ref_time_invariant)) {
        CU_cleanup_registry();
        return 2;
    }
    for (const kernel_entry *e = kernel_table; e->name; e++)
        if (!CU_add_test(ker, e->name, e->test)) {
            CU_cleanup_registry();
            return 2;
        }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    printf("\nkernel vs bidirectional SSM, worst |error| (error / tolerance, kernel):\n");
    printf("  f32 %.3g (%.3g, %s)\n  f64 %.3g (%.3g, %s)\n", worst_err[0], worst_ratio[0],
           worst_name[0] ? worst_name[0] : "-", worst_err[1], worst_ratio[1],
           worst_name[1] ? worst_name[1] : "-");
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
