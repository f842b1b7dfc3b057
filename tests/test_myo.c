/* CUnit tests of the `myo` kernels: the references of myo_ref.c against
 * hand solutions, finite differences and each other, then every generated
 * test kernel (registry written by myo_kernels.cmake) against them, forward
 * and backward.
 *
 * The same file builds two programs: test_myo (kernels compiled without
 * OpenMP) and, where CMake finds OpenMP, test_myo_omp (threads="openmp"
 * kernels compiled with it), which adds the thread-count determinism suite. */
#define _ISOC11_SOURCE /* aligned_alloc; must precede every system header */
#include "myo_ref.h"
#include "myo_test_kernels.h" /* the generated headers */

#include "test_util.h"
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Tolerances, XNNPACK style: |got - ref| <= atol + rtol * |ref|, per dtype.
 * The test data are diagonally dominant (S stays >= ~1.7), so the solve is
 * well conditioned: outputs are O(1) and the kernels stay within ~1e-7 (f32)
 * and ~1e-15 (f64) of the reference; the bounds leave about 100x headroom
 * for other compilers and contraction choices (the test prints the margin).
 * Dense blocks (N x N, data as in data_make) use the same bounds: their
 * kernels reach ~1% (f32) and ~0.05% (f64) of them. */
#define F64_ATOL 1e-12
#define F64_RTOL 1e-11
#define F32_ATOL 1e-5
#define F32_RTOL 2e-5
/* Backward (du and every parameter gradient). Parameter gradients are sums
 * over the batch and, for share level, over every vertex of a level (up to
 * 2 x 512 O(1) terms here), so f32 gets a wider absolute bound. */
#define GRAD_F64_ATOL 1e-12
#define GRAD_F64_RTOL 1e-11
#define GRAD_F32_ATOL 1e-4
#define GRAD_F32_RTOL 1e-4
/* dense LU against the scalar tree, both in double */
#define REF_ATOL 1e-12
#define REF_RTOL 1e-11
/* Central finite differences of a forward in f64, step FD_EPS:
 * |fd - grad| <= FD_ATOL + FD_RTOL |grad|. L = sum(dy * y) is formed as
 * sum(dy * (y+ - y-)) so its rounding error is that of the changed outputs
 * only (~1e-16 / 1e-6 per output); the truncation error is ~eps^2. */
#define FD_EPS 1e-6
#define FD_ATOL 1e-8
#define FD_RTOL 1e-6
/* Largest |V| N solved by dense LU in the kernel tests; beyond it, and for
 * more than 16 channels, the scalar tree (checked against dense LU in the
 * reference suite) is the reference. */
#define DENSE_MAX 400

/* ---- small utilities ---- */

static size_t urand_index(size_t n)
{
    size_t i = (size_t)urand(0, (double)n);
    return i < n ? i : n - 1;
}

static void fill_nan(double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
}

static double *nan_array(size_t n)
{
    double *a = xmalloc(n * sizeof *a);
    fill_nan(a, n);
    return a;
}

/* Test data of one call: params, input, output buffers, all in double. */
typedef struct {
    size_t batch, channels, nio, np; /* nio: elements of u (y, dy, du); np: of A */
    double *A, *B, *C, *Bin, *Cout, *D, *u, *y, *yref, *dy;
} testdata;

/* Uniform values; rounded to float for f32 kernels so that the double
 * reference sees exactly the kernel's inputs. */
static double *fill(size_t n, double lo, double hi, int f32)
{
    double *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        a[i] = f32 ? (double)(float)v : v;
    }
    return a;
}

/* A in [2,3], B in [-1/2,1/2], C in [-1/k,1/k]: strictly diagonally dominant
 * rows. Symmetric (C = B) caps B at 1/k so the children stay bounded.
 * Dense blocks: A's diagonal in [2,3] and its off-diagonal entries in
 * [-0.3,0.3]/N, B's and C's entries in the ranges above divided by N, so
 * every row of T_G is still dominant (off-diagonal sum < 0.3 + 1/2 + 1). */
static void data_make(const myo_case *c, size_t batch, size_t channels, int f32,
                      uint64_t seed, testdata *td)
{
    size_t N = (size_t)c->N, np = myo_param_count(c, batch, channels);
    double bmax = c->symmetric && c->k > 2 ? 1.0 / c->k : 0.5;
    double sc = c->dense ? 1.0 / (double)N : 1.0;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    td->batch = batch;
    td->channels = channels;
    td->np = np;
    td->nio = batch * myo_seq_len(c) * channels * myo_io_width(c);
    td->A = fill(np, 2, 3, f32);
    if (c->dense) /* off the block diagonals: small noise */
        for (size_t i = 0; i < np; i++)
            if (i % (N * N) / N != i % N)
            {
                double v = (td->A[i] - 2.5) * 0.6 * sc;
                td->A[i] = f32 ? (double)(float)v : v;
            }
    td->B = fill(np, -bmax * sc, bmax * sc, f32);
    td->C = fill(np, -sc / c->k, sc / c->k, f32);
    td->Bin = fill(channels * N, -1, 1, f32);
    td->Cout = fill(channels * N, -1, 1, f32);
    td->D = fill(channels, -1, 1, f32);
    td->u = fill(td->nio, -1, 1, f32);
    td->dy = fill(td->nio, -1, 1, f32);
    td->y = nan_array(td->nio);
    td->yref = nan_array(td->nio);
}

static void data_free(testdata *td)
{
    free(td->A);
    free(td->B);
    free(td->C);
    free(td->Bin);
    free(td->Cout);
    free(td->D);
    free(td->u);
    free(td->y);
    free(td->yref);
    free(td->dy);
}

/* Pointers the contract lets be NULL are NULL: C when symmetric, Bin, Cout
 * and D without siso readout. */
static myo_ref_params_d data_params(const myo_case *c, const testdata *td)
{
    myo_ref_params_d p = {td->A, td->B, c->symmetric ? NULL : td->C, NULL, NULL, NULL};
    if (c->readout_siso) {
        p.Bin = td->Bin;
        p.Cout = td->Cout;
        p.D = td->D;
    }
    return p;
}

/* Gradient buffers, NaN-filled (a gradient the kernel leaves unwritten
 * shows), with the fields the contract lets be NULL left NULL. */
static myo_ref_grads_d grads_alloc(const myo_case *c, size_t batch, size_t channels)
{
    size_t np = myo_param_count(c, batch, channels), N = (size_t)c->N;
    myo_ref_grads_d g = {nan_array(np), nan_array(np), NULL, NULL, NULL, NULL};
    if (!c->symmetric)
        g.C = nan_array(np);
    if (c->readout_siso) {
        g.Bin = nan_array(channels * N);
        g.Cout = nan_array(channels * N);
        g.D = nan_array(channels);
    }
    return g;
}

static void grads_free(myo_ref_grads_d *g)
{
    free(g->A);
    free(g->B);
    free(g->C);
    free(g->Bin);
    free(g->Cout);
    free(g->D);
}

/* Largest err / (atol + rtol |ref|) seen, per check and dtype (0 f32,
 * 1 f64), printed at the end to judge how tight the tolerances are. */
enum { W_FWD, W_BWD, W_FD, W_REF, W_KINDS };
static double worst_ratio[W_KINDS][2];
static const char *const worst_name[W_KINDS] = {"forward", "backward", "finite differences",
                                                "references"};

static int compare(const char *who, const char *what, size_t channels, const double *got,
                   const double *ref, size_t n, double atol, double rtol, int kind, int f64)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double lim = atol + rtol * fabs(ref[i]), err = fabs(got[i] - ref[i]);
        if (!(err <= lim)) {
            if (bad < 3)
                fprintf(stderr, "\n  %s channels=%zu: %s[%zu] = %.17g, ref %.17g", who,
                        channels, what, i, got[i], ref[i]);
            bad++;
        } else if (err / lim > worst_ratio[kind][f64]) {
            worst_ratio[kind][f64] = err / lim;
        }
    }
    if (bad)
        fprintf(stderr, "\n  %s channels=%zu: %zu of %zu values of %s out of tolerance\n", who,
                channels, bad, n, what);
    return bad == 0;
}

/* Every gradient field the case uses. */
static int compare_grads(const char *who, const myo_case *c, const myo_ref_grads_d *got,
                         const myo_ref_grads_d *ref, size_t batch, size_t channels,
                         double atol, double rtol, int kind, int f64)
{
    size_t np = myo_param_count(c, batch, channels), N = (size_t)c->N;
    int ok = compare(who, "dA", channels, got->A, ref->A, np, atol, rtol, kind, f64);
    ok &= compare(who, "dB", channels, got->B, ref->B, np, atol, rtol, kind, f64);
    if (!c->symmetric)
        ok &= compare(who, "dC", channels, got->C, ref->C, np, atol, rtol, kind, f64);
    if (c->readout_siso) {
        ok &= compare(who, "dBin", channels, got->Bin, ref->Bin, channels * N, atol, rtol,
                      kind, f64);
        ok &= compare(who, "dCout", channels, got->Cout, ref->Cout, channels * N, atol, rtol,
                      kind, f64);
        ok &= compare(who, "dD", channels, got->D, ref->D, channels, atol, rtol, kind, f64);
    }
    return ok;
}

static int same_bytes(const double *a, const double *b, size_t n)
{
    return (a == NULL) == (b == NULL) && (!a || memcmp(a, b, n * sizeof *a) == 0);
}

static int grads_same_bytes(const myo_case *c, const myo_ref_grads_d *a,
                            const myo_ref_grads_d *b, size_t batch, size_t channels)
{
    size_t np = myo_param_count(c, batch, channels), N = (size_t)c->N;
    return same_bytes(a->A, b->A, np) && same_bytes(a->B, b->B, np) &&
           same_bytes(a->C, b->C, np) && same_bytes(a->Bin, b->Bin, channels * N) &&
           same_bytes(a->Cout, b->Cout, channels * N) && same_bytes(a->D, b->D, channels);
}

/* ---- reference self-tests ---- */

static void test_ref_geometry(void)
{
    myo_case c2 = {2, 4, 3, 0, 1, 0, 0}, c1 = {1, 6, 3, 0, 1, 0, 0};
    myo_case c3 = {3, 3, 3, 1, 1, 0, 0}, c16 = {16, 1, 3, 0, 1, 0, 0};
    myo_case ci = {2, 2, 3, 2, 1, 0, 0};
    CU_ASSERT_EQUAL(myo_vertices(&c2), 31);
    CU_ASSERT_EQUAL(myo_seq_len(&c2), 16);
    CU_ASSERT_EQUAL(myo_param_sets(&c2), 5);
    CU_ASSERT_EQUAL(myo_vertex_number(&c2, 2, 1), 4);
    CU_ASSERT_EQUAL(myo_parent(&c2, 4), 1);
    CU_ASSERT_EQUAL(myo_parent(&c2, 5), 2);
    CU_ASSERT_EQUAL(myo_position_vertex(&c2, 15), 30);
    CU_ASSERT_EQUAL(myo_vertex_level(&c2, 15), 4);
    CU_ASSERT_EQUAL(myo_vertex_level(&c2, 14), 3);
    CU_ASSERT_EQUAL(myo_param_count(&c2, 7, 2), 5 * 2 * 3);
    CU_ASSERT_EQUAL(myo_param_index(&c2, 6, 4, 1, 2, 2), (4 * 2 + 1) * 3 + 2);
    CU_ASSERT_EQUAL(myo_vertices(&c1), 7);
    CU_ASSERT_EQUAL(myo_seq_len(&c1), 7);
    CU_ASSERT_EQUAL(myo_position_vertex(&c1, 0), 0);
    CU_ASSERT_EQUAL(myo_parent(&c1, 6), 5);
    CU_ASSERT_EQUAL(myo_vertices(&c3), 40);
    CU_ASSERT_EQUAL(myo_seq_len(&c3), 27);
    CU_ASSERT_EQUAL(myo_param_sets(&c3), 40);
    CU_ASSERT_EQUAL(myo_vertex_number(&c3, 2, 8), 12);
    CU_ASSERT_EQUAL(myo_parent(&c3, 12), 3);
    CU_ASSERT_EQUAL(myo_vertices(&c16), 17);
    CU_ASSERT_EQUAL(myo_seq_len(&c16), 16);
    CU_ASSERT_EQUAL(myo_param_set(&c16, 16), 1);
    /* share input: |V| sets per batch element, [batch][|V|][channels][N] */
    CU_ASSERT_EQUAL(myo_param_sets(&ci), 7);
    CU_ASSERT_EQUAL(myo_param_set(&ci, 5), 5);
    CU_ASSERT_EQUAL(myo_param_count(&ci, 3, 2), 3 * 7 * 2 * 3);
    CU_ASSERT_EQUAL(myo_param_index(&ci, 2, 5, 1, 2, 2), ((2 * 7 + 5) * 2 + 1) * 3 + 2);
}

static float *to_float(const double *a, size_t n)
{
    float *f;
    if (!a)
        return NULL;
    f = xmalloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)a[i];
    return f;
}

/* The float tree reference on double data; y comes back in double. */
static int ref_tree_f(const myo_case *c, const myo_ref_params_d *p, const double *u, double *y,
                      size_t batch, size_t channels)
{
    size_t N = (size_t)c->N, np = myo_param_count(c, batch, channels);
    size_t nio = batch * myo_seq_len(c) * channels * myo_io_width(c);
    myo_ref_params_f pf = {to_float(p->A, np),         to_float(p->B, np),
                           to_float(p->C, np),         to_float(p->Bin, channels * N),
                           to_float(p->Cout, channels * N), to_float(p->D, channels)};
    float *uf = to_float(u, nio), *yf = xmalloc(nio * sizeof *yf);
    int rc = myo_ref_tree_f(c, &pf, uf, yf, batch, channels);
    for (size_t i = 0; i < nio; i++)
        y[i] = yf[i];
    free((void *)pf.A);
    free((void *)pf.B);
    free((void *)pf.C);
    free((void *)pf.Bin);
    free((void *)pf.Cout);
    free((void *)pf.D);
    free(uf);
    free(yf);
    return rc;
}

typedef int (*ref_fn)(const myo_case *, const myo_ref_params_d *, const double *, double *,
                      size_t, size_t);
typedef int (*ref_bwd_fn)(const myo_case *, const myo_ref_params_d *, const double *,
                          const double *, double *, const myo_ref_grads_d *, size_t, size_t);

/* Chain k=1, d=1, N=1: 2x0 + 0.25x1 = e0, 0.5x0 + 3x1 = e1 (B at (v, parent),
 * C at (parent, v)), det 5.875; checks both readouts. */
static void hand_chain(ref_fn f)
{
    double A[] = {2, 3}, B[] = {0, 0.5}, C[] = {0, 0.25}, u[] = {1, 2}, y[2];
    double Bin[] = {2}, Cout[] = {3}, D[] = {0.5};
    myo_case none = {1, 1, 1, 0, 0, 0, 0}, siso = {1, 1, 1, 0, 1, 0, 0};
    myo_ref_params_d p = {A, B, C, NULL, NULL, NULL}, ps = {A, B, C, Bin, Cout, D};
    CU_ASSERT_EQUAL_FATAL(f(&none, &p, u, y, 1, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 2.5 / 5.875, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 3.5 / 5.875, 1e-14);
    /* siso: e = Bin u = (2, 4), y = 3x + 0.5u */
    CU_ASSERT_EQUAL_FATAL(f(&siso, &ps, u, y, 1, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 3 * 5.0 / 5.875 + 0.5, 1e-13);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 3 * 7.0 / 5.875 + 1.0, 1e-13);
}

/* The same chain backward, readout none, dy = (1, 0): T^T lam = dy with
 * T^T = [[2, 0.5], [0.25, 3]] gives lam = (3, -0.25) / 5.875 = du;
 * x = (2.5, 3.5) / 5.875, dA = -lam x, dB_1 = -lam_1 x_0, dC_1 = -lam_0 x_1. */
static void hand_chain_backward(ref_bwd_fn f)
{
    double A[] = {2, 3}, B[] = {0, 0.5}, C[] = {0, 0.25}, u[] = {1, 2}, dy[] = {1, 0};
    double du[2], gA[2], gB[2], gC[2], q = 5.875 * 5.875;
    myo_case none = {1, 1, 1, 0, 0, 0, 0};
    myo_ref_params_d p = {A, B, C, NULL, NULL, NULL};
    myo_ref_grads_d g = {gA, gB, gC, NULL, NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(f(&none, &p, u, dy, du, &g, 1, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(du[0], 3 / 5.875, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(du[1], -0.25 / 5.875, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gA[0], -3 * 2.5 / q, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gA[1], 0.25 * 3.5 / q, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gB[0], 0, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gB[1], 0.25 * 2.5 / q, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gC[0], 0, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(gC[1], -3 * 3.5 / q, 1e-14);
}

/* Star k=2, d=1, N=1, share vertex: 2x0 + x1 + 0.5x2 = 0, 0.5x0 + 3x1 = 1,
 * 0.25x0 + 4x2 = 2, so x = (-56, 67, 90)/173; y is the leaves. */
static void hand_star(ref_fn f)
{
    double A[] = {2, 3, 4}, B[] = {0, 0.5, 0.25}, C[] = {0, 1, 0.5}, u[] = {1, 2}, y[2];
    myo_case c = {2, 1, 1, 1, 0, 0, 0};
    myo_ref_params_d p = {A, B, C, NULL, NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(f(&c, &p, u, y, 1, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 67.0 / 173, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 90.0 / 173, 1e-14);
}

/* The star as share input with batch 2: element 0 has the star's params,
 * element 1 the same with every A doubled (so x halves). */
static void hand_star_input(ref_fn f)
{
    double A[] = {2, 3, 4, 4, 6, 8}, B[] = {0, 0.5, 0.25, 0, 0.5, 0.25};
    double C[] = {0, 1, 0.5, 0, 1, 0.5}, u[] = {1, 2, 2, 4}, y[4];
    myo_case c = {2, 1, 1, 2, 0, 0, 0};
    myo_ref_params_d p = {A, B, C, NULL, NULL, NULL};
    /* element 1: 4x0 + x1 + 0.5x2 = 0, 0.5x0 + 6x1 = 2, 0.25x0 + 8x2 = 4;
     * substituting the leaves into the root's row gives x0 */
    double x0 = -(2.0 / 6 + 0.5 * 4 / 8) / (4 - 0.5 / 6 - 0.5 * 0.25 / 8);
    CU_ASSERT_EQUAL_FATAL(f(&c, &p, u, y, 2, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 67.0 / 173, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(y[1], 90.0 / 173, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(y[2], (2 - 0.5 * x0) / 6, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(y[3], (4 - 0.25 * x0) / 8, 1e-14);
}

/* Dense blocks, chain k=1, d=1, N=2, readout none, u = e:
 *   A_0 = [[2,1],[0,2]], A_1 = [[3,0],[1,3]], B_1 = [[1,0],[0,0]] (row = the
 *   equation of x_1, columns x_0), C_1 = [[0,0],[0,1]] (rows: equations of
 *   x_0, columns x_1); e_0 = (1,0), e_1 = (0,1). With x_0 = (a,b),
 *   x_1 = (c,d): 2a + b = 1, 2b + d = 0, 3c + a = 0, c + 3d = 1, so
 *   x_0 = (3,-1)/5 and x_1 = (-1,2)/5. A transposed block or a B/C mix-up
 *   gives other numbers. The float tree reference gets it within 1e-6. */
static void hand_dense_chain(ref_fn f, double tol)
{
    double A[] = {2, 1, 0, 2, 3, 0, 1, 3}, B[] = {0, 0, 0, 0, 1, 0, 0, 0};
    double C[] = {0, 0, 0, 0, 0, 0, 0, 1}, u[] = {1, 0, 0, 1}, y[4];
    myo_case c = {1, 1, 2, 1, 0, 0, 1};
    myo_ref_params_d p = {A, B, C, NULL, NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(f(&c, &p, u, y, 1, 1), 0);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 0.6, tol);
    CU_ASSERT_DOUBLE_EQUAL(y[1], -0.2, tol);
    CU_ASSERT_DOUBLE_EQUAL(y[2], -0.2, tol);
    CU_ASSERT_DOUBLE_EQUAL(y[3], 0.4, tol);
    /* symmetric, B_1 = [[0,1],[0,0]], so C_1 = B_1^T = [[0,0],[1,0]] (C not
     * read): x_1's rows 3c + b = 0, c + 3d = 1; x_0's 2a + b = 1, 2b + c = 0,
     * so b = c = 0, a = 1/2, d = 1/3 (C_1 = B_1 would give a = 1/3). */
    {
        double Bs[] = {0, 0, 0, 0, 0, 1, 0, 0};
        myo_case cs = {1, 1, 2, 1, 0, 1, 1};
        myo_ref_params_d ps = {A, Bs, NULL, NULL, NULL, NULL};
        CU_ASSERT_EQUAL_FATAL(f(&cs, &ps, u, y, 1, 1), 0);
        CU_ASSERT_DOUBLE_EQUAL(y[0], 0.5, tol);
        CU_ASSERT_DOUBLE_EQUAL(y[1], 0, tol);
        CU_ASSERT_DOUBLE_EQUAL(y[2], 0, tol);
        CU_ASSERT_DOUBLE_EQUAL(y[3], 1.0 / 3, tol);
    }
}

static void test_ref_hand(void)
{
    hand_dense_chain(myo_ref_dense, 1e-14);
    hand_dense_chain(myo_ref_tree_d, 1e-14);
    hand_dense_chain(ref_tree_f, 1e-6);
    hand_chain(myo_ref_dense);
    hand_chain(myo_ref_tree_d);
    hand_star(myo_ref_dense);
    hand_star(myo_ref_tree_d);
    hand_star_input(myo_ref_dense);
    hand_star_input(myo_ref_tree_d);
    hand_chain_backward(myo_ref_dense_backward);
    hand_chain_backward(myo_ref_tree_backward_d);
}

/* k, d, N, share (0 level, 1 vertex, 2 input), readout_siso, symmetric,
 * dense */
static const myo_case ref_shapes[] = {
    {1, 5, 3, 0, 1, 0, 0},  {1, 4, 2, 1, 0, 1, 0},  {1, 1, 1, 0, 0, 0, 0},
    {1, 7, 5, 1, 1, 0, 0},  {2, 3, 3, 1, 1, 0, 0},  {2, 4, 1, 0, 0, 0, 0},
    {2, 2, 4, 0, 1, 1, 0},  {2, 3, 5, 1, 0, 1, 0},  {3, 2, 5, 0, 1, 1, 0},
    {3, 3, 3, 1, 0, 0, 0},  {3, 2, 7, 1, 1, 0, 0},  {4, 2, 3, 1, 1, 1, 0},
    {4, 2, 2, 0, 0, 1, 0},  {4, 3, 1, 0, 1, 0, 0},  {16, 1, 5, 0, 1, 0, 0},
    {16, 1, 3, 1, 0, 1, 0}, {16, 1, 2, 1, 1, 1, 0}, {16, 2, 1, 0, 0, 0, 0},
    {1, 6, 3, 2, 1, 0, 0},  {2, 3, 2, 2, 0, 1, 0},  {3, 2, 3, 2, 1, 1, 0},
    {4, 2, 2, 2, 0, 0, 0},  {16, 1, 3, 2, 1, 0, 0},
    /* dense blocks */
    {1, 5, 3, 0, 1, 0, 1},  {1, 4, 2, 1, 0, 1, 1},  {1, 1, 1, 0, 0, 0, 1},
    {2, 3, 3, 1, 1, 0, 1},  {2, 2, 4, 0, 1, 1, 1},  {2, 3, 2, 0, 0, 1, 1},
    {3, 2, 5, 0, 1, 1, 1},  {3, 2, 3, 1, 0, 0, 1},  {4, 2, 2, 2, 0, 0, 1},
    {4, 2, 3, 0, 0, 1, 1},  {16, 1, 3, 2, 1, 1, 1}, {2, 3, 2, 2, 0, 1, 1},
    {2, 2, 8, 1, 1, 0, 1},  {1, 6, 5, 2, 1, 0, 1},
};
#define NREF_SHAPES (sizeof ref_shapes / sizeof ref_shapes[0])

static void case_name(char *buf, size_t n, const char *prefix, const myo_case *c, int f32)
{
    snprintf(buf, n, "%s k%d d%d N%d%s %s %s%s %s", prefix, c->k, c->d, c->N,
             c->dense ? " dense" : "",
             c->share == MYO_SHARE_INPUT ? "input" : c->share ? "vertex" : "level",
             c->readout_siso ? "siso" : "none", c->symmetric ? " sym" : "",
             f32 ? "f32" : "f64");
}

/* Dense LU against the scalar tree (double, and float at f32 tolerance). */
static void test_ref_agree(void)
{
    for (size_t i = 0; i < NREF_SHAPES; i++) {
        const myo_case *c = &ref_shapes[i];
        for (int f32 = 0; f32 <= 1; f32++) {
            testdata td;
            myo_ref_params_d p;
            char who[96];
            data_make(c, 2, 3, f32, 100 + i, &td);
            p = data_params(c, &td);
            case_name(who, sizeof who, "ref", c, f32);
            CU_ASSERT_EQUAL_FATAL(myo_ref_dense(c, &p, td.u, td.yref, 2, 3), 0);
            if (f32) {
                CU_ASSERT_EQUAL(ref_tree_f(c, &p, td.u, td.y, 2, 3), 0);
                CU_ASSERT(compare(who, "y", 3, td.y, td.yref, td.nio, F32_ATOL, F32_RTOL,
                                  W_REF, 0));
            } else {
                CU_ASSERT_EQUAL(myo_ref_tree_d(c, &p, td.u, td.y, 2, 3), 0);
                CU_ASSERT(compare(who, "y", 3, td.y, td.yref, td.nio, REF_ATOL, REF_RTOL,
                                  W_REF, 1));
            }
            data_free(&td);
        }
    }
}

/* L = sum(dy * y) of a forward, as sum(dy * (yp - ym)) / (2 eps) over two
 * perturbed runs. */
static double fd_sum(const double *dy, const double *yp, const double *ym, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += dy[i] * (yp[i] - ym[i]);
    return s / (2 * FD_EPS);
}

/* One array to differentiate: its values (perturbed in place), its
 * gradient, its length. */
typedef struct {
    const char *name;
    double *x;
    const double *grad;
    size_t n;
} fd_target;

static size_t fd_targets(const myo_case *c, testdata *td, const double *du,
                         const myo_ref_grads_d *g, fd_target *t)
{
    size_t k = 0, N = (size_t)c->N, ch = td->channels;
    t[k++] = (fd_target){"u", td->u, du, td->nio};
    t[k++] = (fd_target){"A", td->A, g->A, td->np};
    t[k++] = (fd_target){"B", td->B, g->B, td->np};
    if (!c->symmetric)
        t[k++] = (fd_target){"C", td->C, g->C, td->np};
    if (c->readout_siso) {
        t[k++] = (fd_target){"Bin", td->Bin, g->Bin, ch * N};
        t[k++] = (fd_target){"Cout", td->Cout, g->Cout, ch * N};
        t[k++] = (fd_target){"D", td->D, g->D, ch};
    }
    return k;
}

/* `per` random coordinates of each target: central differences of `fwd`
 * (which reads td's arrays) against the gradient. */
typedef int (*fwd_thunk)(const void *ctx, const myo_case *c, testdata *td, double *y);

static int fd_check(const char *who, const myo_case *c, testdata *td, const double *du,
                    const myo_ref_grads_d *g, fwd_thunk fwd, const void *ctx, int per,
                    int kind)
{
    fd_target t[7];
    size_t nt = fd_targets(c, td, du, g, t);
    double *yp = nan_array(td->nio), *ym = nan_array(td->nio);
    int ok = 1;
    for (size_t i = 0; i < nt; i++)
        for (int r = 0; r < per; r++) {
            size_t j = urand_index(t[i].n);
            double x0 = t[i].x[j], fd, lim;
            t[i].x[j] = x0 + FD_EPS;
            ok &= fwd(ctx, c, td, yp) == 0;
            t[i].x[j] = x0 - FD_EPS;
            ok &= fwd(ctx, c, td, ym) == 0;
            t[i].x[j] = x0;
            fd = fd_sum(td->dy, yp, ym, td->nio);
            lim = FD_ATOL + FD_RTOL * fabs(t[i].grad[j]);
            if (!(fabs(fd - t[i].grad[j]) <= lim)) {
                fprintf(stderr, "\n  %s: d%s[%zu] = %.17g, finite difference %.17g", who,
                        t[i].name, j, t[i].grad[j], fd);
                ok = 0;
            } else if (fabs(fd - t[i].grad[j]) / lim > worst_ratio[kind][1]) {
                worst_ratio[kind][1] = fabs(fd - t[i].grad[j]) / lim;
            }
        }
    free(yp);
    free(ym);
    return ok;
}

static int ref_dense_thunk(const void *ctx, const myo_case *c, testdata *td, double *y)
{
    myo_ref_params_d p = data_params(c, td);
    (void)ctx;
    return myo_ref_dense(c, &p, td->u, y, td->batch, td->channels);
}

/* Dense backward against the tree backward and against finite differences
 * of the dense forward, on every reference shape. */
static void test_ref_backward(void)
{
    for (size_t i = 0; i < NREF_SHAPES; i++) {
        const myo_case *c = &ref_shapes[i];
        testdata td;
        myo_ref_params_d p;
        myo_ref_grads_d g = grads_alloc(c, 2, 3), gt = grads_alloc(c, 2, 3);
        double *du, *dut;
        char who[96];
        data_make(c, 2, 3, 0, 200 + i, &td);
        p = data_params(c, &td);
        du = nan_array(td.nio);
        dut = nan_array(td.nio);
        case_name(who, sizeof who, "ref backward", c, 0);
        CU_ASSERT_EQUAL_FATAL(myo_ref_dense_backward(c, &p, td.u, td.dy, du, &g, 2, 3), 0);
        CU_ASSERT_EQUAL(myo_ref_tree_backward_d(c, &p, td.u, td.dy, dut, &gt, 2, 3), 0);
        CU_ASSERT(compare(who, "du", 3, dut, du, td.nio, REF_ATOL, REF_RTOL, W_REF, 1));
        CU_ASSERT(compare_grads(who, c, &gt, &g, 2, 3, REF_ATOL, REF_RTOL, W_REF, 1));
        CU_ASSERT(fd_check(who, c, &td, du, &g, ref_dense_thunk, NULL, 4, W_REF));
        free(du);
        free(dut);
        grads_free(&g);
        grads_free(&gt);
        data_free(&td);
    }
    printf("(worst error / tolerance: %.3g) ", worst_ratio[W_REF][1]);
}

/* Element of a block of A (B, C) on its diagonal: component n. */
static size_t diag_elem(const myo_case *c, size_t n)
{
    return c->dense ? n * (size_t)c->N + n : n;
}

/* Dense blocks, both references: (1) symmetric equals the general layer
 * with C = B^T written out, forward, and backward with dB_sym = dB + dC^T
 * (the fold); (2) N = 1 dense equals N = 1 diag on the same numbers. */
static void test_ref_dense_consistency(void)
{
    static const myo_case sym[] = {{2, 2, 3, 0, 1, 1, 1}, {3, 2, 2, 1, 0, 1, 1},
                                   {1, 4, 4, 2, 1, 1, 1}};
    static const myo_case one[] = {{2, 3, 1, 0, 1, 0, 1}, {3, 2, 1, 2, 0, 1, 1}};
    for (size_t i = 0; i < sizeof sym / sizeof sym[0]; i++)
        for (int tree = 0; tree <= 1; tree++) {
            const myo_case *c = &sym[i];
            myo_case cg = *c;
            size_t N = (size_t)c->N, ch = 3, batch = 2;
            testdata td;
            myo_ref_params_d p, pg;
            myo_ref_grads_d g = grads_alloc(c, batch, ch), gg;
            double *du, *dug, *yg, *sum;
            char who[96];
            cg.symmetric = 0;
            gg = grads_alloc(&cg, batch, ch);
            data_make(c, batch, ch, 0, 300 + i, &td);
            for (size_t q = 0; q < td.np; q += N * N) /* C = B^T, block by block */
                for (size_t r = 0; r < N; r++)
                    for (size_t k = 0; k < N; k++)
                        td.C[q + r * N + k] = td.B[q + k * N + r];
            p = data_params(c, &td);
            pg = data_params(&cg, &td);
            du = nan_array(td.nio);
            dug = nan_array(td.nio);
            yg = nan_array(td.nio);
            sum = nan_array(td.np);
            case_name(who, sizeof who, tree ? "tree sym = explicit" : "dense sym = explicit", c,
                      0);
            CU_ASSERT_EQUAL_FATAL((tree ? myo_ref_tree_d : myo_ref_dense)(c, &p, td.u, td.y,
                                                                         batch, ch), 0);
            CU_ASSERT_EQUAL_FATAL((tree ? myo_ref_tree_d : myo_ref_dense)(&cg, &pg, td.u, yg,
                                                                         batch, ch), 0);
            CU_ASSERT(compare(who, "y", ch, td.y, yg, td.nio, REF_ATOL, REF_RTOL, W_REF, 1));
            CU_ASSERT_EQUAL_FATAL((tree ? myo_ref_tree_backward_d : myo_ref_dense_backward)(
                                      c, &p, td.u, td.dy, du, &g, batch, ch), 0);
            CU_ASSERT_EQUAL_FATAL((tree ? myo_ref_tree_backward_d : myo_ref_dense_backward)(
                                      &cg, &pg, td.u, td.dy, dug, &gg, batch, ch), 0);
            CU_ASSERT(compare(who, "du", ch, du, dug, td.nio, REF_ATOL, REF_RTOL, W_REF, 1));
            CU_ASSERT(compare(who, "dA", ch, g.A, gg.A, td.np, REF_ATOL, REF_RTOL, W_REF, 1));
            for (size_t q = 0; q < td.np; q += N * N)
                for (size_t r = 0; r < N; r++)
                    for (size_t k = 0; k < N; k++)
                        sum[q + r * N + k] = gg.B[q + r * N + k] + gg.C[q + k * N + r];
            CU_ASSERT(compare(who, "dB = dB + dC^T", ch, g.B, sum, td.np, REF_ATOL, REF_RTOL,
                              W_REF, 1));
            free(du);
            free(dug);
            free(yg);
            free(sum);
            grads_free(&g);
            grads_free(&gg);
            data_free(&td);
        }
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        const myo_case *c = &one[i];
        myo_case cd = *c;
        testdata td;
        myo_ref_params_d p;
        myo_ref_grads_d g = grads_alloc(c, 2, 3), gd;
        double *du, *dud;
        char who[96];
        cd.dense = 0;
        gd = grads_alloc(&cd, 2, 3);
        data_make(c, 2, 3, 0, 400 + i, &td);
        du = nan_array(td.nio);
        dud = nan_array(td.nio);
        p = data_params(c, &td);
        case_name(who, sizeof who, "N=1 dense = diag", c, 0);
        CU_ASSERT_EQUAL_FATAL(myo_ref_tree_d(c, &p, td.u, td.y, 2, 3), 0);
        CU_ASSERT_EQUAL_FATAL(myo_ref_dense(&cd, &p, td.u, td.yref, 2, 3), 0);
        CU_ASSERT(compare(who, "y", 3, td.y, td.yref, td.nio, REF_ATOL, REF_RTOL, W_REF, 1));
        CU_ASSERT_EQUAL_FATAL(myo_ref_tree_backward_d(c, &p, td.u, td.dy, du, &g, 2, 3), 0);
        CU_ASSERT_EQUAL_FATAL(myo_ref_dense_backward(&cd, &p, td.u, td.dy, dud, &gd, 2, 3), 0);
        CU_ASSERT(compare(who, "du", 3, du, dud, td.nio, REF_ATOL, REF_RTOL, W_REF, 1));
        CU_ASSERT(compare_grads(who, c, &g, &gd, 2, 3, REF_ATOL, REF_RTOL, W_REF, 1));
        free(du);
        free(dud);
        grads_free(&g);
        grads_free(&gd);
        data_free(&td);
    }
}

/* Zero the root pivot of (batch element b, channel h, component n):
 * A_root = 0 and the level-1 couplings B = C = 0, so S_root = 0 exactly.
 * Dense blocks: the whole blocks (n unused), so S_root is the zero matrix. */
static void zero_root_pivot(const myo_case *c, testdata *td, size_t b, size_t h, size_t n)
{
    size_t ch = td->channels, first = c->dense ? 0 : n;
    size_t last = c->dense ? myo_block_size(c) : n + 1;
    for (size_t e = first; e < last; e++) {
        td->A[myo_param_index(c, b, myo_param_set(c, 0), h, e, ch)] = 0;
        for (size_t v = 1; v <= (size_t)c->k; v++) {
            size_t q = myo_param_index(c, b, myo_param_set(c, v), h, e, ch);
            td->B[q] = 0;
            td->C[q] = 0;
        }
    }
}

static int ref_dense_bwd_as_fwd(const myo_case *c, const myo_ref_params_d *p, const double *u,
                                double *y, size_t batch, size_t channels)
{
    myo_ref_grads_d g = grads_alloc(c, batch, channels);
    size_t nio = batch * myo_seq_len(c) * channels * myo_io_width(c);
    double *dy = xmalloc(nio * sizeof *dy);
    int rc;
    for (size_t i = 0; i < nio; i++)
        dy[i] = 1;
    rc = myo_ref_dense_backward(c, p, u, dy, y, &g, batch, channels);
    free(dy);
    grads_free(&g);
    return rc;
}

static int ref_tree_bwd_as_fwd(const myo_case *c, const myo_ref_params_d *p, const double *u,
                               double *y, size_t batch, size_t channels)
{
    myo_ref_grads_d g = grads_alloc(c, batch, channels);
    size_t nio = batch * myo_seq_len(c) * channels * myo_io_width(c);
    double *dy = xmalloc(nio * sizeof *dy);
    int rc;
    for (size_t i = 0; i < nio; i++)
        dy[i] = 1;
    rc = myo_ref_tree_backward_d(c, p, u, dy, y, &g, batch, channels);
    free(dy);
    grads_free(&g);
    return rc;
}

static void test_ref_errors(void)
{
    static const ref_fn fns[] = {myo_ref_dense, myo_ref_tree_d, ref_tree_f,
                                 ref_dense_bwd_as_fwd, ref_tree_bwd_as_fwd};
    static const myo_case cases[] = {{3, 2, 3, 0, 1, 0, 0}, {2, 2, 2, 2, 0, 0, 0},
                                     {3, 2, 3, 0, 1, 0, 1}, {2, 2, 2, 2, 0, 0, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
            const myo_case *c = &cases[ci];
            testdata td;
            myo_ref_params_d p, q;
            data_make(c, 2, 4, 0, 7, &td);
            p = data_params(c, &td);
            q = p;
            q.C = NULL;
            CU_ASSERT_EQUAL(fns[i](c, &q, td.u, td.y, 2, 4), 1);
            if (i != 2) { /* the float wrapper needs p */
                CU_ASSERT_EQUAL(fns[i](c, NULL, td.u, td.y, 2, 4), 1);
                CU_ASSERT_EQUAL(fns[i](c, &p, NULL, td.y, 2, 4), 1);
                CU_ASSERT_EQUAL(fns[i](c, &p, td.u, NULL, 2, 4), 1);
            }
            CU_ASSERT_EQUAL(fns[i](c, &p, td.u, td.y, 0, 4), 1);
            CU_ASSERT_EQUAL(fns[i](c, &p, td.u, td.y, 2, 0), 1);
            zero_root_pivot(c, &td, 1, 3, (size_t)c->N - 1);
            CU_ASSERT_EQUAL(fns[i](c, &p, td.u, td.y, 2, 4), 2);
            data_free(&td);
            data_make(c, 2, 4, 0, 8, &td);
            p = data_params(c, &td);
            td.A[myo_param_index(c, 1, 2, 1, diag_elem(c, 0), 4)] = NAN;
            CU_ASSERT_EQUAL(fns[i](c, &p, td.u, td.y, 2, 4), 2);
            data_free(&td);
        }
}

/* ---- generated kernels ---- */

typedef struct kernel_desc kernel_desc;

/* Runs a kernel's forward on double data (converted to its dtype and back).
 * p NULL passes NULL params; ws_null passes no workspace even if one is
 * needed. */
typedef int (*kernel_call)(const kernel_desc *kd, const myo_ref_params_d *p, const double *u,
                           double *y, size_t batch, size_t channels, int ws_null);

/* Runs a kernel's backward likewise: du and g come back in double, fields
 * of g that are NULL are passed as NULL. flags: CALL_WS_NULL, CALL_G_NULL. */
enum { CALL_WS_NULL = 1, CALL_G_NULL = 2 };
typedef int (*kernel_bcall)(const kernel_desc *kd, const myo_ref_params_d *p, const double *u,
                            const double *dy, double *du, const myo_ref_grads_d *g,
                            size_t batch, size_t channels, int flags);

struct kernel_desc {
    const char *name;
    myo_case c;
    int f64, block_dense;
    size_t seq_len, vertices, param_sets; /* the header's macros */
    size_t (*workspace_size)(size_t, size_t);
    int (*cpu_supported)(void);
    kernel_call call;
    kernel_bcall bcall; /* NULL: forward only */
};

/* Copies of the test data in the kernel's dtype, and its workspace. */
typedef struct {
    void *A, *B, *C, *Bin, *Cout, *D, *u, *y, *dy, *du;
    void *gA, *gB, *gC, *gBin, *gCout, *gD, *ws;
} staged;

static void *stage_in(const double *src, size_t n, int f64)
{
    void *dst;
    if (!src)
        return NULL;
    dst = xmalloc(n * (f64 ? sizeof(double) : sizeof(float)));
    if (f64)
        memcpy(dst, src, n * sizeof(double));
    else
        for (size_t i = 0; i < n; i++)
            ((float *)dst)[i] = (float)src[i];
    return dst;
}

/* Converts back into dst (when both exist) and frees src. */
static void stage_out(void *src, double *dst, size_t n, int f64)
{
    if (src && dst)
        for (size_t i = 0; i < n; i++)
            dst[i] = f64 ? ((double *)src)[i] : ((float *)src)[i];
    free(src);
}

/* 64-byte aligned, size rounded up to 64 as aligned_alloc wants; filled
 * with NaN bytes so a read of unwritten scratch shows in the output. */
static void *workspace_alloc(size_t bytes)
{
    void *w;
    if (!bytes)
        return NULL;
    w = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!w) {
        fprintf(stderr, "test_myo: out of memory\n");
        exit(2);
    }
    memset(w, 0xff, bytes);
    return w;
}

/* Element counts of a call's buffers: at least one batch element and
 * channel so that the batch=0 / channels=0 checks still pass real pointers. */
static void stage_sizes(const kernel_desc *kd, size_t batch, size_t channels, size_t *np,
                        size_t *nio, size_t *nc)
{
    size_t nb = batch ? batch : 1;
    *nc = channels ? channels : 1;
    *np = myo_param_count(&kd->c, nb, *nc);
    *nio = nb * kd->seq_len * *nc * myo_io_width(&kd->c);
}

/* Stages params, u and the output buffers of either pass (y for forward;
 * dy, du and g for backward; NULL where unused). Outputs are copies of the
 * double buffers given, which the tests fill with NaN. */
static void stage(const kernel_desc *kd, const myo_ref_params_d *p, const double *u,
                  const double *y, const double *dy, const double *du,
                  const myo_ref_grads_d *g, size_t batch, size_t channels, staged *s)
{
    size_t np, nio, nc, N = (size_t)kd->c.N;
    int f64 = kd->f64;
    stage_sizes(kd, batch, channels, &np, &nio, &nc);
    memset(s, 0, sizeof *s);
    if (p) {
        s->A = stage_in(p->A, np, f64);
        s->B = stage_in(p->B, np, f64);
        s->C = stage_in(p->C, np, f64);
        s->Bin = stage_in(p->Bin, nc * N, f64);
        s->Cout = stage_in(p->Cout, nc * N, f64);
        s->D = stage_in(p->D, nc, f64);
    }
    s->u = stage_in(u, nio, f64);
    s->y = stage_in(y, nio, f64);
    s->dy = stage_in(dy, nio, f64);
    s->du = stage_in(du, nio, f64);
    if (g) {
        s->gA = stage_in(g->A, np, f64);
        s->gB = stage_in(g->B, np, f64);
        s->gC = stage_in(g->C, np, f64);
        s->gBin = stage_in(g->Bin, nc * N, f64);
        s->gCout = stage_in(g->Cout, nc * N, f64);
        s->gD = stage_in(g->D, nc, f64);
    }
    s->ws = workspace_alloc(kd->workspace_size(batch, channels));
}

/* Copies the outputs back into y, du, g (where given) and frees s. */
static void unstage(const kernel_desc *kd, staged *s, double *y, double *du,
                    const myo_ref_grads_d *g, size_t batch, size_t channels)
{
    size_t np, nio, nc, N = (size_t)kd->c.N;
    int f64 = kd->f64;
    stage_sizes(kd, batch, channels, &np, &nio, &nc);
    stage_out(s->y, y, nio, f64);
    stage_out(s->du, du, nio, f64);
    stage_out(s->gA, g ? g->A : NULL, np, f64);
    stage_out(s->gB, g ? g->B : NULL, np, f64);
    stage_out(s->gC, g ? g->C : NULL, np, f64);
    stage_out(s->gBin, g ? g->Bin : NULL, nc * N, f64);
    stage_out(s->gCout, g ? g->Cout : NULL, nc * N, f64);
    stage_out(s->gD, g ? g->D : NULL, nc, f64);
    free(s->A);
    free(s->B);
    free(s->C);
    free(s->Bin);
    free(s->Cout);
    free(s->D);
    free(s->u);
    free(s->dy);
    free(s->ws);
}

static int kernel_runs_here(const kernel_desc *kd, const char **why)
{
    *why = kd->cpu_supported() ? NULL : "this CPU lacks its ISA (NAME_cpu_supported() is 0)";
    return *why == NULL;
}

static int expect_rc(const kernel_desc *kd, const myo_ref_params_d *p, const double *u, double *y,
                     size_t batch, size_t channels, int ws_null, int want, const char *what)
{
    int rc = kd->call(kd, p, u, y, batch, channels, ws_null);
    if (rc != want)
        fprintf(stderr, "\n  %s: forward, %s: returned %d, want %d\n", kd->name, what, rc, want);
    CU_ASSERT_EQUAL(rc, want);
    return rc == want;
}

static int expect_brc(const kernel_desc *kd, const myo_ref_params_d *p, const double *u,
                      const double *dy, double *du, const myo_ref_grads_d *g, size_t batch,
                      size_t channels, int flags, int want, const char *what)
{
    int rc = kd->bcall(kd, p, u, dy, du, g, batch, channels, flags);
    if (rc != want)
        fprintf(stderr, "\n  %s: backward, %s: returned %d, want %d\n", kd->name, what, rc,
                want);
    CU_ASSERT_EQUAL(rc, want);
    return rc == want;
}

/* The header's size macros against the reference geometry. */
static void check_header(const kernel_desc *kd)
{
    int ok = kd->seq_len == myo_seq_len(&kd->c) && kd->vertices == myo_vertices(&kd->c) &&
             kd->param_sets == myo_param_sets(&kd->c);
    if (!ok)
        fprintf(stderr, "\n  %s: SEQ_LEN/VERTICES/PARAM_SETS = %zu/%zu/%zu, want %zu/%zu/%zu\n",
                kd->name, kd->seq_len, kd->vertices, kd->param_sets, myo_seq_len(&kd->c),
                myo_vertices(&kd->c), myo_param_sets(&kd->c));
    CU_ASSERT_FATAL(ok);
}

/* Dense LU for small trees and few channels, else the scalar tree. */
static int use_dense(const myo_case *c, size_t channels)
{
    return myo_vertices(c) * (size_t)c->N <= DENSE_MAX && channels <= 16;
}

/* Channel counts: 1, a tail of every vector width (13), whole vectors (16),
 * whole tiles plus a tail (37), whole tiles only (64). */
static const size_t test_channels[] = {1, 13, 16, 37, 64};
#define NTEST_CHANNELS (sizeof test_channels / sizeof test_channels[0])

/* Random data, batch 2, against dense LU (small trees) or the scalar tree
 * (larger channel counts, large trees); then batch 9 with 13 channels (runs
 * of 4 + 4 + 1 batch elements where a kernel solves a few at a time). A
 * second call must give the same bits. Large trees skip the single channel. */
static void check_accuracy(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    int small = myo_vertices(c) * (size_t)c->N <= DENSE_MAX;
    check_header(kd);
    for (size_t i = small ? 0 : 1; i <= NTEST_CHANNELS; i++) {
        size_t ch = i < NTEST_CHANNELS ? test_channels[i] : 13;
        size_t batch = i < NTEST_CHANNELS ? 2 : 9;
        testdata td;
        myo_ref_params_d p;
        double *y2;
        data_make(c, batch, ch, !kd->f64, 1000 + i, &td);
        p = data_params(c, &td);
        CU_ASSERT_EQUAL_FATAL((use_dense(c, ch) ? myo_ref_dense : myo_ref_tree_d)(
                                  c, &p, td.u, td.yref, batch, ch),
                              0);
        if (expect_rc(kd, &p, td.u, td.y, batch, ch, 0, 0, "random data")) {
            CU_ASSERT(compare(kd->name, "y", ch, td.y, td.yref, td.nio,
                              kd->f64 ? F64_ATOL : F32_ATOL, kd->f64 ? F64_RTOL : F32_RTOL,
                              W_FWD, kd->f64));
            y2 = nan_array(td.nio);
            CU_ASSERT_EQUAL(kd->call(kd, &p, td.u, y2, batch, ch, 0), 0);
            CU_ASSERT(memcmp(y2, td.y, td.nio * sizeof *y2) == 0);
            free(y2);
        }
        data_free(&td);
    }
}

/* Backward on random data, batch 2 (share input: 3), channels 1, 13, 37,
 * and batch 9 with 13 channels (kernels that solve a few batch elements at a
 * time run 4 + 4 + 1), against the dense reference's adjoint gradients (or
 * the tree's for large trees and 37 channels). Outputs start as NaN, so an
 * entry the kernel does not overwrite fails; C's gradient is NULL when
 * symmetric, Bin's, Cout's and D's without siso readout. A second call must
 * give the same bits. */
static void check_backward(const kernel_desc *kd)
{
    static const size_t chs[] = {1, 13, 37, 13};
    const myo_case *c = &kd->c;
    for (size_t i = 0; i < sizeof chs / sizeof chs[0]; i++) {
        size_t ch = chs[i], batch = i == 3 ? 9 : c->share == MYO_SHARE_INPUT ? 3 : 2;
        testdata td;
        myo_ref_params_d p;
        myo_ref_grads_d g = grads_alloc(c, batch, ch), gr = grads_alloc(c, batch, ch);
        myo_ref_grads_d g2 = grads_alloc(c, batch, ch);
        double *du, *duref, *du2;
        data_make(c, batch, ch, !kd->f64, 3000 + i, &td);
        p = data_params(c, &td);
        du = nan_array(td.nio);
        duref = nan_array(td.nio);
        du2 = nan_array(td.nio);
        CU_ASSERT_EQUAL_FATAL((use_dense(c, ch) ? myo_ref_dense_backward
                                                : myo_ref_tree_backward_d)(
                                  c, &p, td.u, td.dy, duref, &gr, batch, ch),
                              0);
        if (expect_brc(kd, &p, td.u, td.dy, du, &g, batch, ch, 0, 0, "random data")) {
            double at = kd->f64 ? GRAD_F64_ATOL : GRAD_F32_ATOL;
            double rt = kd->f64 ? GRAD_F64_RTOL : GRAD_F32_RTOL;
            CU_ASSERT(compare(kd->name, "du", ch, du, duref, td.nio, at, rt, W_BWD, kd->f64));
            CU_ASSERT(compare_grads(kd->name, c, &g, &gr, batch, ch, at, rt, W_BWD, kd->f64));
            CU_ASSERT_EQUAL(kd->bcall(kd, &p, td.u, td.dy, du2, &g2, batch, ch, 0), 0);
            CU_ASSERT(same_bytes(du, du2, td.nio));
            CU_ASSERT(grads_same_bytes(c, &g, &g2, batch, ch));
        }
        free(du);
        free(duref);
        free(du2);
        grads_free(&g);
        grads_free(&gr);
        grads_free(&g2);
        data_free(&td);
    }
}

static int kernel_fwd_thunk(const void *ctx, const myo_case *c, testdata *td, double *y)
{
    const kernel_desc *kd = ctx;
    myo_ref_params_d p = data_params(c, td);
    return kd->call(kd, &p, td->u, y, td->batch, td->channels, 0);
}

/* f64 only: the kernel's gradient against central differences of its own
 * forward, at 4 random coordinates of u and of every parameter array. */
static void check_fd(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    size_t batch = 2, ch = 5;
    testdata td;
    myo_ref_params_d p;
    myo_ref_grads_d g = grads_alloc(c, batch, ch);
    double *du;
    data_make(c, batch, ch, 0, 4000, &td);
    p = data_params(c, &td);
    du = nan_array(td.nio);
    if (expect_brc(kd, &p, td.u, td.dy, du, &g, batch, ch, 0, 0, "random data"))
        CU_ASSERT(fd_check(kd->name, c, &td, du, &g, kernel_fwd_thunk, kd, 4, W_FD));
    free(du);
    grads_free(&g);
    data_free(&td);
}

/* Reverses the order of the equations (rows) of every vertex's block row:
 * A_v, B_v, the C_c of its children and e_v (siso: Bin; none: u). The
 * solution x is the same, so are y and (siso) du; readout none's du is
 * reversed like u. With weak off-diagonals in A the diagonal's entries
 * move far off the pivot positions: the kernels must exchange rows.
 * Dense blocks, C independent of B. */
static void reverse_each(double *a, size_t n, size_t N)
{
    for (size_t i = 0; i < n; i += N)
        for (size_t r = 0; r < N / 2; r++) {
            double t = a[i + r];
            a[i + r] = a[i + N - 1 - r];
            a[i + N - 1 - r] = t;
        }
}

static void check_row_exchanges(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    size_t ch = 13, batch = 3, N = (size_t)c->N;
    testdata td;
    myo_ref_params_d p;
    double *duref = NULL;
    if (!c->dense || N < 2 || c->symmetric)
        return;
    data_make(c, batch, ch, !kd->f64, 4242, &td);
    for (size_t i = 0; i < td.np; i++) /* A's off-diagonal entries ~1e-7 */
        if (i % (N * N) / N != i % N)
            td.A[i] = !kd->f64 ? (double)(float)(td.A[i] * 1e-6) : td.A[i] * 1e-6;
    p = data_params(c, &td);
    CU_ASSERT_EQUAL_FATAL(myo_ref_tree_d(c, &p, td.u, td.yref, batch, ch), 0);
    if (kd->bcall) {
        myo_ref_grads_d gr = grads_alloc(c, batch, ch);
        duref = nan_array(td.nio);
        CU_ASSERT_EQUAL_FATAL(myo_ref_tree_backward_d(c, &p, td.u, td.dy, duref, &gr, batch, ch), 0);
        grads_free(&gr);
    }
    for (size_t blk = 0; blk < td.np; blk += N * N)
        for (size_t r = 0; r < N / 2; r++)
            for (size_t col = 0; col < N; col++) {
                size_t x = blk + r * N + col, y = blk + (N - 1 - r) * N + col;
                double t;
                t = td.A[x], td.A[x] = td.A[y], td.A[y] = t;
                t = td.B[x], td.B[x] = td.B[y], td.B[y] = t;
                t = td.C[x], td.C[x] = td.C[y], td.C[y] = t;
            }
    if (c->readout_siso) {
        reverse_each(td.Bin, ch * N, N);
    } else {
        reverse_each(td.u, td.nio, N);
        if (duref)
            reverse_each(duref, td.nio, N);
    }
    if (expect_rc(kd, &p, td.u, td.y, batch, ch, 0, 0, "rows reversed"))
        CU_ASSERT(compare(kd->name, "y, rows reversed", ch, td.y, td.yref, td.nio,
                          kd->f64 ? F64_ATOL : F32_ATOL, kd->f64 ? F64_RTOL : F32_RTOL, W_FWD,
                          kd->f64));
    if (kd->bcall) {
        myo_ref_grads_d g = grads_alloc(c, batch, ch);
        double *du = nan_array(td.nio);
        if (expect_brc(kd, &p, td.u, td.dy, du, &g, batch, ch, 0, 0, "rows reversed"))
            CU_ASSERT(compare(kd->name, "du, rows reversed", ch, du, duref, td.nio,
                              kd->f64 ? GRAD_F64_ATOL : GRAD_F32_ATOL,
                              kd->f64 ? GRAD_F64_RTOL : GRAD_F32_RTOL, W_BWD, kd->f64));
        free(du);
        grads_free(&g);
    }
    free(duref);
    data_free(&td);
}

/* Numerical failures in the last channel (a vector tail for 13 channels)
 * of the last batch element: S_root = 0, a NaN in a leaf's A, an infinite
 * A at the root (on the block diagonals); with dense blocks and N >= 2 also
 * a NaN off the diagonal of a leaf's A (it reaches a pivot through the
 * elimination) and a singular nonzero root (A_root all ones, no level-1
 * couplings: the elimination is exact and leaves a zero pivot); forward and
 * backward return 2. */
static void check_pivots(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    size_t ch = 13, h = ch - 1, N = (size_t)c->N, last = kd->param_sets - 1, b = 1;
    int cases = c->dense && N >= 2 ? 5 : 3;
    for (int what = 0; what < cases; what++) {
        static const char *const names[] = {"zero root pivot", "NaN in a leaf's A",
                                            "infinite A at the root",
                                            "NaN off the diagonal of a leaf's A",
                                            "all-ones (singular) root block"};
        testdata td;
        myo_ref_params_d p;
        data_make(c, 2, ch, !kd->f64, 77 + what, &td);
        p = data_params(c, &td);
        if (what == 0 || what == 4) {
            zero_root_pivot(c, &td, b, h, N - 1);
            for (size_t e = 0; e < N * N && what == 4; e++)
                td.A[myo_param_index(c, b, 0, h, e, ch)] = 1;
            CU_ASSERT_EQUAL(myo_ref_tree_d(c, &p, td.u, td.yref, 2, ch), 2);
        } else if (what == 1) {
            td.A[myo_param_index(c, b, last, h, diag_elem(c, 0), ch)] = NAN;
        } else if (what == 2) {
            td.A[myo_param_index(c, b, 0, h, diag_elem(c, N - 1), ch)] = INFINITY;
        } else {
            td.A[myo_param_index(c, b, last, h, N - 1, ch)] = NAN; /* row 0, column N-1 */
        }
        expect_rc(kd, &p, td.u, td.y, 2, ch, 0, 2, names[what]);
        if (kd->bcall) {
            myo_ref_grads_d g = grads_alloc(c, 2, ch);
            double *du = nan_array(td.nio);
            expect_brc(kd, &p, td.u, td.dy, du, &g, 2, ch, 0, 2, names[what]);
            free(du);
            grads_free(&g);
        }
        data_free(&td);
    }
    check_row_exchanges(kd);
}

/* Invalid arguments return 1: NULL params, buffers or needed fields, zero
 * batch or channels, no workspace when one is needed. */
static void check_args(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    testdata td;
    myo_ref_params_d p, q;
    data_make(c, 2, 5, !kd->f64, 5, &td);
    p = data_params(c, &td);
    expect_rc(kd, NULL, td.u, td.y, 2, 5, 0, 1, "NULL params");
    expect_rc(kd, &p, NULL, td.y, 2, 5, 0, 1, "NULL u");
    expect_rc(kd, &p, td.u, NULL, 2, 5, 0, 1, "NULL y");
    expect_rc(kd, &p, td.u, td.y, 0, 5, 0, 1, "batch 0");
    expect_rc(kd, &p, td.u, td.y, 2, 0, 0, 1, "channels 0");
    q = p, q.A = NULL;
    expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL A");
    q = p, q.B = NULL;
    expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL B");
    if (!c->symmetric) {
        q = p, q.C = NULL;
        expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL C (not symmetric)");
    }
    if (c->readout_siso) {
        q = p, q.Bin = NULL;
        expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL Bin (siso)");
        q = p, q.Cout = NULL;
        expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL Cout (siso)");
        q = p, q.D = NULL;
        expect_rc(kd, &q, td.u, td.y, 2, 5, 0, 1, "NULL D (siso)");
    }
    if (kd->workspace_size(2, 5) > 0)
        expect_rc(kd, &p, td.u, td.y, 2, 5, 1, 1, "NULL workspace");
    expect_rc(kd, &p, td.u, td.y, 2, 5, 0, 0, "valid call");
    if (kd->bcall) {
        myo_ref_grads_d g = grads_alloc(c, 2, 5), h;
        double *du = nan_array(td.nio);
        expect_brc(kd, NULL, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL params");
        expect_brc(kd, &p, NULL, td.dy, du, &g, 2, 5, 0, 1, "NULL u");
        expect_brc(kd, &p, td.u, NULL, du, &g, 2, 5, 0, 1, "NULL dy");
        expect_brc(kd, &p, td.u, td.dy, NULL, &g, 2, 5, 0, 1, "NULL du");
        expect_brc(kd, &p, td.u, td.dy, du, &g, 2, 5, CALL_G_NULL, 1, "NULL grads");
        expect_brc(kd, &p, td.u, td.dy, du, &g, 0, 5, 0, 1, "batch 0");
        expect_brc(kd, &p, td.u, td.dy, du, &g, 2, 0, 0, 1, "channels 0");
        q = p, q.A = NULL;
        expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL A");
        q = p, q.B = NULL;
        expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL B");
        h = g, h.A = NULL;
        expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dA");
        h = g, h.B = NULL;
        expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dB");
        if (!c->symmetric) {
            q = p, q.C = NULL;
            expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL C (not symmetric)");
            h = g, h.C = NULL;
            expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dC (not symmetric)");
        }
        if (c->readout_siso) {
            q = p, q.Bin = NULL;
            expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL Bin (siso)");
            q = p, q.Cout = NULL;
            expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL Cout (siso)");
            q = p, q.D = NULL;
            expect_brc(kd, &q, td.u, td.dy, du, &g, 2, 5, 0, 1, "NULL D (siso)");
            h = g, h.Bin = NULL;
            expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dBin (siso)");
            h = g, h.Cout = NULL;
            expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dCout (siso)");
            h = g, h.D = NULL;
            expect_brc(kd, &p, td.u, td.dy, du, &h, 2, 5, 0, 1, "NULL dD (siso)");
        }
        if (kd->workspace_size(2, 5) > 0)
            expect_brc(kd, &p, td.u, td.dy, du, &g, 2, 5, CALL_WS_NULL, 1, "NULL workspace");
        expect_brc(kd, &p, td.u, td.dy, du, &g, 2, 5, 0, 0, "valid call");
        free(du);
        grads_free(&g);
    }
    data_free(&td);
}

#ifdef _OPENMP
/* Forward and backward with 1, 2 and 3 threads (the workspace sized after
 * the count is set) on the same inputs, batch 3 and 37 channels so that
 * every thread gets work: identical bytes of y, du and every gradient, and
 * the 1-thread results within tolerance of the reference. */
static void check_threads(const kernel_desc *kd)
{
    const myo_case *c = &kd->c;
    size_t batch = 3, ch = 37;
    int saved = omp_get_max_threads();
    testdata td;
    myo_ref_params_d p;
    myo_ref_grads_d g[3], gr;
    double *y[3], *du[3], *duref = NULL;
    data_make(c, batch, ch, !kd->f64, 5000, &td);
    p = data_params(c, &td);
    for (int t = 0; t < 3; t++) {
        y[t] = nan_array(td.nio);
        du[t] = nan_array(td.nio);
        g[t] = grads_alloc(c, batch, ch);
        omp_set_num_threads(t + 1);
        expect_rc(kd, &p, td.u, y[t], batch, ch, 0, 0, "threads");
        if (kd->bcall)
            expect_brc(kd, &p, td.u, td.dy, du[t], &g[t], batch, ch, 0, 0, "threads");
    }
    omp_set_num_threads(saved);
    for (int t = 1; t < 3; t++) {
        int same = same_bytes(y[0], y[t], td.nio);
        if (kd->bcall)
            same &= same_bytes(du[0], du[t], td.nio) &&
                    grads_same_bytes(c, &g[0], &g[t], batch, ch);
        if (!same)
            fprintf(stderr, "\n  %s: %d threads differ from 1 thread\n", kd->name, t + 1);
        CU_ASSERT(same);
    }
    CU_ASSERT_EQUAL_FATAL(myo_ref_tree_d(c, &p, td.u, td.yref, batch, ch), 0);
    CU_ASSERT(compare(kd->name, "y", ch, y[0], td.yref, td.nio, kd->f64 ? F64_ATOL : F32_ATOL,
                      kd->f64 ? F64_RTOL : F32_RTOL, W_FWD, kd->f64));
    if (kd->bcall) {
        double at = kd->f64 ? GRAD_F64_ATOL : GRAD_F32_ATOL;
        double rt = kd->f64 ? GRAD_F64_RTOL : GRAD_F32_RTOL;
        gr = grads_alloc(c, batch, ch);
        duref = nan_array(td.nio);
        CU_ASSERT_EQUAL_FATAL(
            myo_ref_tree_backward_d(c, &p, td.u, td.dy, duref, &gr, batch, ch), 0);
        CU_ASSERT(compare(kd->name, "du", ch, du[0], duref, td.nio, at, rt, W_BWD, kd->f64));
        CU_ASSERT(compare_grads(kd->name, c, &g[0], &gr, batch, ch, at, rt, W_BWD, kd->f64));
        grads_free(&gr);
        free(duref);
    }
    for (int t = 0; t < 3; t++) {
        free(y[t]);
        free(du[t]);
        grads_free(&g[t]);
    }
    data_free(&td);
}
#else
static void check_threads(const kernel_desc *kd)
{
    (void)kd;
}
#endif

/* Per kernel: wrappers from double data, a descriptor from the header's
 * macros, and the test functions CUnit registers. MYO_KERNEL(NAME) is a
 * forward-only kernel, MYO_KERNEL_BW(NAME) one with passes forward and
 * backward. */
#define MYO_FORWARD_CALL(NAME)                                                            \
    static int NAME##_call(const kernel_desc *kd, const myo_ref_params_d *dp,             \
                           const double *u, double *y, size_t batch, size_t channels,     \
                           int ws_null)                                                   \
    {                                                                                     \
        staged s;                                                                         \
        NAME##_params p;                                                                  \
        int rc;                                                                           \
        stage(kd, dp, u, y, NULL, NULL, NULL, batch, channels, &s);                       \
        p.A = s.A, p.B = s.B, p.C = s.C, p.Bin = s.Bin, p.Cout = s.Cout, p.D = s.D;       \
        rc = NAME##_forward(dp ? &p : NULL, s.u, s.y, batch, channels,                    \
                            ws_null ? NULL : s.ws);                                       \
        unstage(kd, &s, y, NULL, NULL, batch, channels);                                  \
        return rc;                                                                        \
    }

#define MYO_BACKWARD_CALL(NAME)                                                           \
    static int NAME##_bcall(const kernel_desc *kd, const myo_ref_params_d *dp,            \
                            const double *u, const double *dy, double *du,                \
                            const myo_ref_grads_d *dg, size_t batch, size_t channels,     \
                            int flags)                                                    \
    {                                                                                     \
        staged s;                                                                         \
        NAME##_params p;                                                                  \
        NAME##_grads g;                                                                   \
        int rc;                                                                           \
        stage(kd, dp, u, NULL, dy, du, dg, batch, channels, &s);                          \
        p.A = s.A, p.B = s.B, p.C = s.C, p.Bin = s.Bin, p.Cout = s.Cout, p.D = s.D;       \
        g.A = s.gA, g.B = s.gB, g.C = s.gC, g.Bin = s.gBin, g.Cout = s.gCout,             \
        g.D = s.gD;                                                                       \
        rc = NAME##_backward(dp ? &p : NULL, s.u, s.dy, s.du,                             \
                             (flags & CALL_G_NULL) ? NULL : &g, batch, channels,          \
                             (flags & CALL_WS_NULL) ? NULL : s.ws);                       \
        unstage(kd, &s, NULL, du, dg, batch, channels);                                   \
        return rc;                                                                        \
    }

#define MYO_KERNEL_DESC(NAME, BCALL)                                                      \
    static const kernel_desc NAME##_desc = {                                              \
        #NAME,                                                                            \
        {NAME##_ARITY, NAME##_DEPTH, NAME##_STATE,                                        \
         NAME##_SHARE_INPUT ? MYO_SHARE_INPUT : NAME##_SHARE_VERTEX,                      \
         NAME##_READOUT_SISO, NAME##_SYMMETRIC, NAME##_BLOCK_DENSE},                      \
        NAME##_DTYPE_F64,                                                                 \
        NAME##_BLOCK_DENSE,                                                               \
        NAME##_SEQ_LEN,                                                                   \
        NAME##_VERTICES,                                                                  \
        NAME##_PARAM_SETS,                                                                \
        NAME##_workspace_size,                                                            \
        NAME##_cpu_supported,                                                             \
        NAME##_call,                                                                      \
        BCALL};                                                                           \
    static void NAME##_accuracy(void) { check_accuracy(&NAME##_desc); }                   \
    static void NAME##_pivots(void) { check_pivots(&NAME##_desc); }                       \
    static void NAME##_args(void) { check_args(&NAME##_desc); }                           \
    static void NAME##_backward_t(void) { check_backward(&NAME##_desc); }                 \
    static void NAME##_fd(void) { check_fd(&NAME##_desc); }                               \
    static void NAME##_threads(void) { check_threads(&NAME##_desc); }

#define MYO_KERNEL(NAME) MYO_FORWARD_CALL(NAME) MYO_KERNEL_DESC(NAME, NULL)
#define MYO_KERNEL_BW(NAME)                                                               \
    MYO_FORWARD_CALL(NAME) MYO_BACKWARD_CALL(NAME) MYO_KERNEL_DESC(NAME, NAME##_bcall)
#include "myo_test_kernels.h"
#undef MYO_KERNEL
#undef MYO_KERNEL_BW

typedef struct {
    const kernel_desc *kd;
    CU_TestFunc accuracy, pivots, args, backward, fd, threads;
} kernel_entry;

static const kernel_entry kernel_table[] = {
#define MYO_KERNEL(NAME)                                                                  \
    {&NAME##_desc,  NAME##_accuracy, NAME##_pivots,                                       \
     NAME##_args,   NAME##_backward_t, NAME##_fd,                                         \
     NAME##_threads},
#define MYO_KERNEL_BW(NAME) MYO_KERNEL(NAME)
#include "myo_test_kernels.h"
#undef MYO_KERNEL
#undef MYO_KERNEL_BW
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL}};

/* One suite per aspect, one test per kernel, so a failure names its kernel. */
static int add_kernel_suites(void)
{
    CU_pSuite acc = CU_add_suite("myo_kernel_accuracy", NULL, NULL);
    CU_pSuite piv = CU_add_suite("myo_kernel_pivots", NULL, NULL);
    CU_pSuite arg = CU_add_suite("myo_kernel_args", NULL, NULL);
    CU_pSuite bwd = CU_add_suite("myo_kernel_backward", NULL, NULL);
    CU_pSuite fd = CU_add_suite("myo_kernel_finite_differences", NULL, NULL);
    CU_pSuite thr = NULL;
#ifdef _OPENMP
    thr = CU_add_suite("myo_kernel_threads_1_2_3", NULL, NULL);
    if (!thr)
        return 0;
#endif
    if (!acc || !piv || !arg || !bwd || !fd)
        return 0;
    for (const kernel_entry *e = kernel_table; e->kd; e++) {
        const char *why, *name = e->kd->name;
        if (!kernel_runs_here(e->kd, &why)) {
            printf("skipping %s: %s\n", name, why);
            continue;
        }
        if (!CU_add_test(acc, name, e->accuracy) || !CU_add_test(piv, name, e->pivots) ||
            !CU_add_test(arg, name, e->args))
            return 0;
        if (e->kd->bcall && !CU_add_test(bwd, name, e->backward))
            return 0;
        if (e->kd->bcall && e->kd->f64 && !CU_add_test(fd, name, e->fd))
            return 0;
        if (thr && !CU_add_test(thr, name, e->threads))
            return 0;
    }
    return 1;
}

int main(void)
{
    CU_pSuite ref;
    unsigned failures;
    /* referenced here too, so an empty kernel matrix builds without warnings */
    (void)check_accuracy, (void)check_pivots, (void)check_args, (void)check_backward;
    (void)check_fd, (void)check_threads, (void)stage, (void)unstage, (void)expect_brc;
    (void)kernel_fwd_thunk;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    ref = CU_add_suite("myo_reference", NULL, NULL);
    if (!ref || !CU_add_test(ref, "geometry", test_ref_geometry) ||
        !CU_add_test(ref, "hand solutions", test_ref_hand) ||
        !CU_add_test(ref, "dense LU vs scalar tree", test_ref_agree) ||
        !CU_add_test(ref, "dense blocks: symmetric fold, N=1 = diag",
                     test_ref_dense_consistency) ||
        !CU_add_test(ref, "backward: dense vs tree vs finite differences",
                     test_ref_backward) ||
        !CU_add_test(ref, "errors", test_ref_errors) || !add_kernel_suites()) {
        fprintf(stderr, "test_myo: CUnit setup failed: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    printf("\nworst error / tolerance (f32, f64):\n");
    for (int k = 0; k < W_KINDS; k++)
        printf("  %-20s %.3g, %.3g\n", worst_name[k], worst_ratio[k][0], worst_ratio[k][1]);
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
