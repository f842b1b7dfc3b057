/* CUnit tests of the OpenCL target: every (C, OpenCL) pair of test kernels
 * written by opencl_kernels.cmake runs on the same inputs, the C kernel on
 * the CPU, the OpenCL one on the default OpenCL device (PoCL in CI), forward
 * and backward, through the host-pointer entry points and the cl_mem ones;
 * plus the runtime's contract (argument checks, pivot failures, program
 * cache, device choice, build logs).  The C target is itself checked
 * against independent references by test_myo.
 *
 * Exits 77 (ctest: skipped) when no OpenCL device can be had. */
#define _POSIX_C_SOURCE 200809L /* setenv, mkdtemp, popen; before every system header */
#define _ISOC11_SOURCE          /* aligned_alloc */
#include "myogen_cl.h"
#include "opencl_test_kernels.h" /* the generated headers */

#include "test_util.h"
#include <CUnit/Basic.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the kernels ---- */

/* Parameter and gradient arrays, by the dtype's element type (void *). */
typedef struct {
    const void *A, *B, *C, *Bin, *Cout, *D;
} gparams;
typedef struct {
    void *A, *B, *C, *Bin, *Cout, *D;
} ggrads;
typedef struct {
    cl_mem A, B, C, Bin, Cout, D;
} gclparams;

typedef int (*fw_fn)(const gparams *, const void *, void *, size_t, size_t, void *);
typedef int (*bw_fn)(const gparams *, const void *, const void *, void *, const ggrads *, size_t,
                     size_t, void *);
typedef size_t (*ws_fn)(size_t, size_t);
typedef int (*clfw_fn)(cl_command_queue, const gclparams *, cl_mem, cl_mem, size_t, size_t,
                       cl_mem);
typedef int (*clbw_fn)(cl_command_queue, const gclparams *, cl_mem, cl_mem, cl_mem,
                       const gclparams *, size_t, size_t, cl_mem);

typedef struct {
    const char *name;
    int f64, dense, siso, sym, input, k, d, N, L, V, P;
    fw_fn ref_fw, ocl_fw;
    bw_fn ref_bw, ocl_bw;
    ws_fn ref_ws, ocl_ws, ocl_cl_ws;
    clfw_fn ocl_clfw;
    clbw_fn ocl_clbw;
} pair;

/* Wrappers: the generic argument structs into each kernel's own types. */
#define WRAP_C(K)                                                                              \
    static int K##_fw_(const gparams *g, const void *u, void *y, size_t b, size_t c, void *w)  \
    {                                                                                          \
        K##_params p = {g->A, g->B, g->C, g->Bin, g->Cout, g->D};                             \
        return K##_forward(&p, u, y, b, c, w);                                                 \
    }                                                                                          \
    static int K##_bw_(const gparams *g, const void *u, const void *dy, void *du,              \
                       const ggrads *gr, size_t b, size_t c, void *w)                          \
    {                                                                                          \
        K##_params p = {g->A, g->B, g->C, g->Bin, g->Cout, g->D};                             \
        K##_grads q = {gr->A, gr->B, gr->C, gr->Bin, gr->Cout, gr->D};                        \
        return K##_backward(&p, u, dy, du, &q, b, c, w);                                       \
    }
#define WRAP_CL(K)                                                                             \
    WRAP_C(K)                                                                                  \
    static int K##_clfw_(cl_command_queue q, const gclparams *g, cl_mem u, cl_mem y,           \
                         size_t b, size_t c, cl_mem w)                                         \
    {                                                                                          \
        K##_cl_params p = {NULL, NULL, NULL, NULL, NULL, NULL};                                \
        if (g) {                                                                               \
            K##_cl_params v = {g->A, g->B, g->C, g->Bin, g->Cout, g->D};                      \
            p = v;                                                                             \
        }                                                                                      \
        return K##_cl_forward(q, g ? &p : NULL, u, y, b, c, w);                                \
    }                                                                                          \
    static int K##_clbw_(cl_command_queue q, const gclparams *g, cl_mem u, cl_mem dy,          \
                         cl_mem du, const gclparams *gr, size_t b, size_t c, cl_mem w)         \
    {                                                                                          \
        K##_cl_params p = {g->A, g->B, g->C, g->Bin, g->Cout, g->D};                          \
        K##_cl_grads r = {gr->A, gr->B, gr->C, gr->Bin, gr->Cout, gr->D};                     \
        return K##_cl_backward(q, &p, u, dy, du, &r, b, c, w);                                 \
    }

#define OCL_PAIR(R, O) WRAP_C(R) WRAP_CL(O)
#include "opencl_test_kernels.h"
#undef OCL_PAIR

static const pair all_pairs[] = {
#define OCL_PAIR(R, O)                                                                          \
    {#O,          R##_DTYPE_F64,     R##_BLOCK_DENSE,   R##_READOUT_SISO, R##_SYMMETRIC,       \
     R##_SHARE_INPUT, R##_ARITY,     R##_DEPTH,         R##_STATE,        R##_SEQ_LEN,         \
     R##_VERTICES, R##_PARAM_SETS,   R##_fw_,           O##_fw_,          R##_bw_,             \
     O##_bw_,      R##_workspace_size, O##_workspace_size, O##_cl_workspace_size, O##_clfw_,  \
     O##_clbw_},
#include "opencl_test_kernels.h"
#undef OCL_PAIR
};
/* the pairs the device can run: f64 ones need cl_khr_fp64 */
static pair pairs[sizeof all_pairs / sizeof all_pairs[0]];
static size_t NPAIRS;

/* ---- data ---- */

/* Tolerances, |ocl - c| <= atol + rtol |c|, per dtype.  Both targets run
 * the same solve code in the same order and the factors in double (PoCL has
 * cl_khr_fp64); they differ where the device compiler contracts a*b + c
 * into one fma, a rounding per step: ~1e-7 relative (f32), ~1e-16 (f64) on
 * these well-conditioned systems.  The bounds leave ~100x headroom; the
 * parameter gradients sum O(batch x vertices) terms, hence wider bounds. */
#define F32_ATOL 1e-5
#define F32_RTOL 1e-5
#define F64_ATOL 1e-12
#define F64_RTOL 1e-11
#define GRAD_F32_ATOL 1e-4
#define GRAD_F32_RTOL 1e-4
#define GRAD_F64_ATOL 1e-11
#define GRAD_F64_RTOL 1e-10

/* n values in [lo, hi] in the pair's dtype */
static void *fill(const pair *k, size_t n, double lo, double hi)
{
    void *a = xmalloc(n * (k->f64 ? 8 : 4));
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        if (k->f64)
            ((double *)a)[i] = v;
        else
            ((float *)a)[i] = (float)v;
    }
    return a;
}

/* n NaNs: an output the kernel leaves unwritten shows */
static void *nans(const pair *k, size_t n)
{
    void *a = xmalloc(n * (k->f64 ? 8 : 4));
    for (size_t i = 0; i < n; i++) {
        if (k->f64)
            ((double *)a)[i] = NAN;
        else
            ((float *)a)[i] = NAN;
    }
    return a;
}

static double at(const pair *k, const void *a, size_t i)
{
    return k->f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
}

static size_t esize(const pair *k) { return k->f64 ? 8 : 4; }

/* element counts of the layouts */
static size_t n_abc(const pair *k, size_t batch, size_t channels)
{
    size_t bs = (size_t)(k->dense ? k->N * k->N : k->N);
    return (k->input ? batch * (size_t)k->V : (size_t)k->P) * channels * bs;
}
static size_t n_io(const pair *k, size_t batch, size_t channels)
{
    return batch * (size_t)k->L * channels * (k->siso ? 1 : (size_t)k->N);
}

typedef struct {
    size_t batch, channels, nabc, nio;
    void *A, *B, *C, *Bin, *Cout, *D, *u, *dy;
} data;

/* A in [2,3], B in [-b,b], C in [-1/k,1/k]: strictly diagonally dominant
 * (dense blocks: off-diagonal entries of A small too). */
static void data_make(const pair *k, size_t batch, size_t channels, uint64_t seed, data *t)
{
    double bmax = k->sym && k->k > 2 ? 1.0 / k->k : 0.5;
    size_t N = (size_t)k->N;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 7;
    t->batch = batch;
    t->channels = channels;
    t->nabc = n_abc(k, batch, channels);
    t->nio = n_io(k, batch, channels);
    t->A = fill(k, t->nabc, 2, 3);
    if (k->dense) { /* off-diagonal entries of A in [-0.5/N, 0.5/N] */
        for (size_t i = 0; i < t->nabc; i++)
            if (i % (N * N) % (N + 1) != 0) {
                double v = urand(-0.5, 0.5) / (double)N;
                if (k->f64)
                    ((double *)t->A)[i] = v;
                else
                    ((float *)t->A)[i] = (float)v;
            }
    }
    t->B = fill(k, t->nabc, -bmax / (k->dense ? (double)N : 1), bmax / (k->dense ? (double)N : 1));
    t->C = fill(k, t->nabc, -1.0 / k->k / (k->dense ? (double)N : 1),
                1.0 / k->k / (k->dense ? (double)N : 1));
    t->Bin = fill(k, channels * N, -1, 1);
    t->Cout = fill(k, channels * N, -1, 1);
    t->D = fill(k, channels, -1, 1);
    t->u = fill(k, t->nio, -1, 1);
    t->dy = fill(k, t->nio, -1, 1);
}

static void data_free(data *t)
{
    free(t->A);
    free(t->B);
    free(t->C);
    free(t->Bin);
    free(t->Cout);
    free(t->D);
    free(t->u);
    free(t->dy);
}

/* the pointers the contract lets be NULL are NULL */
static gparams data_params(const pair *k, const data *t)
{
    gparams p = {t->A, t->B, k->sym ? NULL : t->C, NULL, NULL, NULL};
    if (k->siso) {
        p.Bin = t->Bin;
        p.Cout = t->Cout;
        p.D = t->D;
    }
    return p;
}

static ggrads grads_alloc(const pair *k, const data *t)
{
    ggrads g = {nans(k, t->nabc), nans(k, t->nabc), NULL, NULL, NULL, NULL};
    if (!k->sym)
        g.C = nans(k, t->nabc);
    if (k->siso) {
        g.Bin = nans(k, t->channels * (size_t)k->N);
        g.Cout = nans(k, t->channels * (size_t)k->N);
        g.D = nans(k, t->channels);
    }
    return g;
}

static void grads_free(ggrads *g)
{
    free(g->A);
    free(g->B);
    free(g->C);
    free(g->Bin);
    free(g->Cout);
    free(g->D);
}

static void *workspace(size_t bytes) { return bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL; }

/* worst err / (atol + rtol |ref|), printed at the end */
static double worst[2][2]; /* [forward, backward][f32, f64] */

static int compare(const pair *k, const char *what, const void *got, const void *ref, size_t n,
                   int grad)
{
    double atol = grad ? (k->f64 ? GRAD_F64_ATOL : GRAD_F32_ATOL) : (k->f64 ? F64_ATOL : F32_ATOL);
    double rtol = grad ? (k->f64 ? GRAD_F64_RTOL : GRAD_F32_RTOL) : (k->f64 ? F64_RTOL : F32_RTOL);
    for (size_t i = 0; i < n; i++) {
        double g = at(k, got, i), r = at(k, ref, i), lim = atol + rtol * fabs(r);
        double ratio = fabs(g - r) / lim;
        if (!(fabs(g - r) <= lim)) {
            fprintf(stderr, "\n%s %s[%zu]: opencl %.17g, c %.17g (|diff| %.3g > %.3g)\n", k->name,
                    what, i, g, r, fabs(g - r), lim);
            return 0;
        }
        if (ratio > worst[grad][k->f64])
            worst[grad][k->f64] = ratio;
    }
    return 1;
}

static int identical(const pair *k, const char *what, const void *a, const void *b, size_t n)
{
    if (memcmp(a, b, n * esize(k)) != 0) {
        fprintf(stderr, "\n%s %s: the cl_mem and host-pointer entry points differ\n", k->name,
                what);
        return 0;
    }
    return 1;
}

/* ---- tests ---- */

static const size_t CHANNELS[] = {5, 37}; /* a partial lane group; two groups (f64: three) */
#define BATCH 2

static void test_forward(void)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        for (size_t c = 0; c < sizeof CHANNELS / sizeof CHANNELS[0]; c++) {
            data t;
            data_make(k, BATCH, CHANNELS[c], 11 + i, &t);
            gparams p = data_params(k, &t);
            void *y = nans(k, t.nio), *yref = nans(k, t.nio);
            void *ws = workspace(k->ref_ws(BATCH, CHANNELS[c]));
            int rc_ref = k->ref_fw(&p, t.u, yref, BATCH, CHANNELS[c], ws);
            int rc = k->ocl_fw(&p, t.u, y, BATCH, CHANNELS[c], NULL);
            CU_ASSERT_EQUAL(rc_ref, 0);
            CU_ASSERT_EQUAL(rc, 0);
            if (rc != 0) {
                char msg[4096];
                myogen_cl_last_error(msg, sizeof msg);
                fprintf(stderr, "\n%s forward: %d: %s\n", k->name, rc, msg);
            }
            CU_ASSERT(rc != 0 || compare(k, "y", y, yref, t.nio, 0));
            free(ws);
            free(y);
            free(yref);
            data_free(&t);
        }
    }
}

static void test_backward(void)
{
    static const char *const names[] = {"dA", "dB", "dC", "dBin", "dCout", "dD"};
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        for (size_t c = 0; c < sizeof CHANNELS / sizeof CHANNELS[0]; c++) {
            data t;
            data_make(k, BATCH, CHANNELS[c], 23 + i, &t);
            gparams p = data_params(k, &t);
            ggrads g = grads_alloc(k, &t), gref = grads_alloc(k, &t);
            void *du = nans(k, t.nio), *duref = nans(k, t.nio);
            void *ws = workspace(k->ref_ws(BATCH, CHANNELS[c]));
            int rc_ref = k->ref_bw(&p, t.u, t.dy, duref, &gref, BATCH, CHANNELS[c], ws);
            int rc = k->ocl_bw(&p, t.u, t.dy, du, &g, BATCH, CHANNELS[c], NULL);
            void *const *got = (void *const *)&g, *const *ref = (void *const *)&gref;
            size_t counts[6] = {t.nabc, t.nabc, t.nabc, t.channels * (size_t)k->N,
                                t.channels * (size_t)k->N, t.channels};
            CU_ASSERT_EQUAL(rc_ref, 0);
            CU_ASSERT_EQUAL(rc, 0);
            if (rc != 0) {
                char msg[4096];
                myogen_cl_last_error(msg, sizeof msg);
                fprintf(stderr, "\n%s backward: %d: %s\n", k->name, rc, msg);
            }
            if (rc == 0) {
                CU_ASSERT(compare(k, "du", du, duref, t.nio, 0));
                for (int f = 0; f < 6; f++)
                    if (got[f])
                        CU_ASSERT(compare(k, names[f], got[f], ref[f], counts[f], 1));
            }
            free(ws);
            free(du);
            free(duref);
            grads_free(&g);
            grads_free(&gref);
            data_free(&t);
        }
    }
}

/* The backward's gradients are fixed-order sums (no float atomics): two
 * runs on the same inputs give the same bits. */
static void test_backward_deterministic(void)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        const size_t ch = 37;
        data t;
        data_make(k, BATCH, ch, 71 + i, &t);
        gparams p = data_params(k, &t);
        ggrads g1 = grads_alloc(k, &t), g2 = grads_alloc(k, &t);
        void *du1 = nans(k, t.nio), *du2 = nans(k, t.nio);
        void *const *a = (void *const *)&g1, *const *b = (void *const *)&g2;
        size_t counts[6] = {t.nabc, t.nabc, t.nabc, ch * (size_t)k->N, ch * (size_t)k->N, ch};
        CU_ASSERT_EQUAL(k->ocl_bw(&p, t.u, t.dy, du1, &g1, BATCH, ch, NULL), 0);
        CU_ASSERT_EQUAL(k->ocl_bw(&p, t.u, t.dy, du2, &g2, BATCH, ch, NULL), 0);
        CU_ASSERT(identical(k, "du (second run)", du1, du2, t.nio));
        for (int f = 0; f < 6; f++)
            if (a[f])
                CU_ASSERT(identical(k, "gradient (second run)", a[f], b[f], counts[f]));
        free(du1);
        free(du2);
        grads_free(&g1);
        grads_free(&g2);
        data_free(&t);
    }
}

/* device buffers for the cl_mem entry points */
static cl_mem dev_copy(cl_context ctx, const void *host, size_t bytes)
{
    cl_int err;
    cl_mem m;
    if (!host)
        return NULL;
    m = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, (void *)host, &err);
    CU_ASSERT_PTR_NOT_NULL(m);
    return m;
}

static cl_mem dev_alloc(cl_context ctx, size_t bytes)
{
    cl_int err;
    cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL(m);
    return m;
}

static void dev_read(cl_command_queue q, cl_mem m, void *host, size_t bytes)
{
    CU_ASSERT_EQUAL(clEnqueueReadBuffer(q, m, CL_TRUE, 0, bytes, host, 0, NULL, NULL),
                    CL_SUCCESS);
}

static void release(cl_mem m)
{
    if (m)
        clReleaseMemObject(m);
}

/* The cl_mem entry points on a context and queue of the test's own give
 * the host-pointer entry points' bytes; a too-small buffer is rejected. */
static void test_cl_entry_points(void)
{
    cl_device_id dev;
    cl_context ctx;
    cl_command_queue q;
    cl_int err;
    CU_ASSERT_FATAL(myogen_cl_default(NULL, &dev, NULL) == 0);
    ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    CU_ASSERT_FATAL(ctx != NULL);
    q = clCreateCommandQueue(ctx, dev, 0, &err);
    CU_ASSERT_FATAL(q != NULL);
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        const size_t ch = 37, e = esize(k);
        data t;
        data_make(k, BATCH, ch, 31 + i, &t);
        gparams p = data_params(k, &t);
        gclparams cp = {dev_copy(ctx, p.A, t.nabc * e), dev_copy(ctx, p.B, t.nabc * e),
                        dev_copy(ctx, p.C, t.nabc * e), dev_copy(ctx, p.Bin, ch * k->N * e),
                        dev_copy(ctx, p.Cout, ch * k->N * e), dev_copy(ctx, p.D, ch * e)};
        ggrads g = grads_alloc(k, &t), gh = grads_alloc(k, &t);
        gclparams cg = {dev_alloc(ctx, t.nabc * e), dev_alloc(ctx, t.nabc * e),
                        g.C ? dev_alloc(ctx, t.nabc * e) : NULL,
                        g.Bin ? dev_alloc(ctx, ch * k->N * e) : NULL,
                        g.Cout ? dev_alloc(ctx, ch * k->N * e) : NULL,
                        g.D ? dev_alloc(ctx, ch * e) : NULL};
        size_t wsb = k->ocl_cl_ws(BATCH, ch);
        cl_mem u = dev_copy(ctx, t.u, t.nio * e), dy = dev_copy(ctx, t.dy, t.nio * e);
        cl_mem y = dev_alloc(ctx, t.nio * e), du = dev_alloc(ctx, t.nio * e);
        cl_mem ws = dev_alloc(ctx, wsb), small = dev_alloc(ctx, wsb - 4);
        void *yh = nans(k, t.nio), *yc = nans(k, t.nio), *duh = nans(k, t.nio),
             *duc = nans(k, t.nio);
        CU_ASSERT_EQUAL(k->ocl_ws(BATCH, ch), 0); /* host entry points need none */
        /* forward */
        CU_ASSERT_EQUAL(k->ocl_clfw(q, &cp, u, y, BATCH, ch, ws), 0);
        CU_ASSERT_EQUAL(k->ocl_fw(&p, t.u, yh, BATCH, ch, NULL), 0);
        dev_read(q, y, yc, t.nio * e);
        CU_ASSERT(identical(k, "y", yc, yh, t.nio));
        /* argument checks */
        CU_ASSERT_EQUAL(k->ocl_clfw(q, &cp, u, y, BATCH, ch, small), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_clfw(q, &cp, u, y, BATCH + 1, ch, ws), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_clfw(q, &cp, u, NULL, BATCH, ch, ws), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_clfw(q, NULL, u, y, BATCH, ch, ws), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_clfw(NULL, &cp, u, y, BATCH, ch, ws), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_fw(&p, t.u, yh, 0, ch, NULL), MYOGEN_CL_EINVAL);
        CU_ASSERT_EQUAL(k->ocl_fw(&p, t.u, NULL, BATCH, ch, NULL), MYOGEN_CL_EINVAL);
        /* backward */
        CU_ASSERT_EQUAL(k->ocl_clbw(q, &cp, u, dy, du, &cg, BATCH, ch, ws), 0);
        CU_ASSERT_EQUAL(k->ocl_bw(&p, t.u, t.dy, duh, &gh, BATCH, ch, NULL), 0);
        dev_read(q, du, duc, t.nio * e);
        CU_ASSERT(identical(k, "du", duc, duh, t.nio));
        dev_read(q, cg.A, g.A, t.nabc * e);
        CU_ASSERT(identical(k, "dA", g.A, gh.A, t.nabc));
        if (g.D) {
            dev_read(q, cg.D, g.D, ch * e);
            CU_ASSERT(identical(k, "dD", g.D, gh.D, ch));
        }
        CU_ASSERT_EQUAL(k->ocl_clbw(q, &cp, u, dy, du, &cg, BATCH, ch, small), MYOGEN_CL_EINVAL);
        free(yh);
        free(yc);
        free(duh);
        free(duc);
        grads_free(&g);
        grads_free(&gh);
        release(cp.A);
        release(cp.B);
        release(cp.C);
        release(cp.Bin);
        release(cp.Cout);
        release(cp.D);
        release(cg.A);
        release(cg.B);
        release(cg.C);
        release(cg.Bin);
        release(cg.Cout);
        release(cg.D);
        release(u);
        release(dy);
        release(y);
        release(du);
        release(ws);
        release(small);
        data_free(&t);
    }
    clReleaseCommandQueue(q);
    clReleaseContext(ctx);
}

/* A zero pivot (A = B = C = 0) returns 2 from both targets, forward and
 * backward; the next call with good data succeeds (the status word is
 * cleared per call). */
static void test_pivot_failure(void)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        const size_t ch = 5;
        data t;
        data_make(k, BATCH, ch, 41 + i, &t);
        gparams p = data_params(k, &t);
        void *zero = calloc(t.nabc, esize(k)), *y = nans(k, t.nio), *du = nans(k, t.nio);
        gparams bad = p;
        ggrads g = grads_alloc(k, &t);
        void *ws = workspace(k->ref_ws(BATCH, ch));
        bad.A = bad.B = zero;
        if (bad.C)
            bad.C = zero;
        CU_ASSERT_EQUAL(k->ref_fw(&bad, t.u, y, BATCH, ch, ws), MYOGEN_CL_ENUMERIC);
        CU_ASSERT_EQUAL(k->ocl_fw(&bad, t.u, y, BATCH, ch, NULL), MYOGEN_CL_ENUMERIC);
        CU_ASSERT_EQUAL(k->ocl_bw(&bad, t.u, t.dy, du, &g, BATCH, ch, NULL), MYOGEN_CL_ENUMERIC);
        CU_ASSERT_EQUAL(k->ocl_fw(&p, t.u, y, BATCH, ch, NULL), 0);
        free(ws);
        free(zero);
        free(y);
        free(du);
        grads_free(&g);
        data_free(&t);
    }
}

/* The diag chain addresses a chunk with int offsets (gpu_chain_diag.tmpl):
 * channel counts past that range are refused (workspace size SIZE_MAX,
 * so every call returns MYOGEN_CL_EINVAL) rather than miscomputed. */
static void test_chain_offset_range(void)
{
    for (size_t i = 0; i < NPAIRS; i++) {
        const pair *k = &pairs[i];
        if (k->k != 1 || k->dense)
            continue;
        CU_ASSERT_NOT_EQUAL(k->ocl_cl_ws(1, 1000), SIZE_MAX);
        CU_ASSERT_EQUAL(k->ocl_cl_ws(1, (size_t)1 << 31), SIZE_MAX);
        CU_ASSERT_EQUAL(k->ocl_ws(1, (size_t)1 << 31), SIZE_MAX);
    }
}

static int log_calls;
static char log_text[256];

static void log_cb(void *user, const char *msg)
{
    (void)user;
    log_calls++;
    snprintf(log_text, sizeof log_text, "%s", msg);
}

/* A program that does not build: 3, with the build log in the message,
 * handed to the log callback; nothing is cached for it. */
static void test_build_failure(void)
{
    static const char *const bad[] = {"__kernel void broken(__global float *x)\n",
                                      "{ x[0] = undeclared_name; }\n"};
    cl_command_queue q;
    cl_program prog;
    char msg[8192];
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    myogen_cl_set_log(log_cb, NULL);
    log_calls = 0;
    CU_ASSERT_EQUAL(myogen_cl_program(q, bad, 2, "", "broken_test", &prog), MYOGEN_CL_EOPENCL);
    myogen_cl_set_log(NULL, NULL);
    myogen_cl_last_error(msg, sizeof msg);
    CU_ASSERT_EQUAL(log_calls, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "broken_test"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "undeclared_name"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "broken_test"));
}

/* The program cache: the same source array gives the same program; the
 * same text from another array too (content key); other options another. */
static void test_program_cache(void)
{
    static const char *const src[] = {"__kernel void one(__global int *x) { x[0] = 1; }\n"};
    const char *copy[1];
    char text[128];
    cl_command_queue q;
    cl_program a, b, c, d;
    snprintf(text, sizeof text, "%s", src[0]);
    copy[0] = text;
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "one", &a), 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "one", &b), 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, copy, 1, "", "one", &c), 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "-cl-opt-disable", "one", &d), 0);
    CU_ASSERT(a == b);
    CU_ASSERT(a == c);
    CU_ASSERT(a != d);
}

/* MYOGEN_CL_OPTIONS: appended to a program's own options (the program
 * below builds only with the macro it defines) and part of the cache key. */
static void test_extra_options(void)
{
    static const char *const src[] = {"__kernel void three(__global int *x) { x[0] = THREE; }\n"};
    cl_command_queue q;
    cl_program a, b;
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    setenv("MYOGEN_CL_OPTIONS", "-DTHREE=3", 1);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "three", &a), 0);
    setenv("MYOGEN_CL_OPTIONS", "-DTHREE=4", 1);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "three", &b), 0);
    CU_ASSERT(a != b);
    unsetenv("MYOGEN_CL_OPTIONS");
    myogen_cl_set_log(log_cb, NULL);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "three", &a), MYOGEN_CL_EOPENCL);
    myogen_cl_set_log(NULL, NULL);
}

/* MYOGEN_CL_DEVICE: a name that matches nothing is an error that lists the
 * devices; "0:0" and the current device's own name find a device.  (The
 * runtime reads it when it creates the default device: shut down first.) */
static void test_device_choice(void)
{
    char name[512], msg[4096];
    const char *colon;
    CU_ASSERT_FATAL(myogen_cl_device_name(name, sizeof name) == 0);
    myogen_cl_shutdown();
    setenv("MYOGEN_CL_DEVICE", "no-such-device-xyz", 1);
    CU_ASSERT_EQUAL(myogen_cl_available(), 0);
    myogen_cl_last_error(msg, sizeof msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "no-such-device-xyz"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "0:0"));
    setenv("MYOGEN_CL_DEVICE", "0:0", 1);
    CU_ASSERT_EQUAL(myogen_cl_available(), 1);
    myogen_cl_shutdown();
    colon = strstr(name, ": ");
    setenv("MYOGEN_CL_DEVICE", colon ? colon + 2 : name, 1);
    CU_ASSERT_EQUAL(myogen_cl_available(), 1);
    unsetenv("MYOGEN_CL_DEVICE");
    myogen_cl_shutdown();
}

/* Four threads call the host entry points of one kernel at once (the
 * runtime's default queue and program cache are shared): every call gives
 * the bytes of a call made alone. */
typedef struct {
    const pair *k;
    const gparams *p;
    const void *u;
    void *y;
    size_t n;
    int rc;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    for (int r = 0; r < 3 && j->rc == 0; r++)
        j->rc = j->k->ocl_fw(j->p, j->u, j->y, BATCH, 37, NULL);
    return NULL;
}

static void test_threads(void)
{
    for (size_t i = 0; i < NPAIRS; i += 5) {
        const pair *k = &pairs[i];
        data t;
        thread_job jobs[4];
        pthread_t th[4];
        data_make(k, BATCH, 37, 51 + i, &t);
        gparams p = data_params(k, &t);
        void *alone = nans(k, t.nio);
        CU_ASSERT_EQUAL_FATAL(k->ocl_fw(&p, t.u, alone, BATCH, 37, NULL), 0);
        for (int j = 0; j < 4; j++) {
            jobs[j] = (thread_job){k, &p, t.u, nans(k, t.nio), t.nio, 0};
            CU_ASSERT_EQUAL_FATAL(pthread_create(&th[j], NULL, thread_main, &jobs[j]), 0);
        }
        for (int j = 0; j < 4; j++) {
            pthread_join(th[j], NULL);
            CU_ASSERT_EQUAL(jobs[j].rc, 0);
            CU_ASSERT(identical(k, "y (threads)", jobs[j].y, alone, t.nio));
            free(jobs[j].y);
        }
        free(alone);
        data_free(&t);
    }
}

/* MYOGEN_CL_CACHE: a build writes the binary there; after the in-memory
 * cache is gone, the program comes from it; a corrupt file is rebuilt from
 * source. */
static void test_disk_cache(void)
{
    static const char *const src[] = {"__kernel void two(__global int *x) { x[0] = 2; }\n"};
    char dir[] = "/tmp/myogen_cl_cacheXXXXXX", path[512];
    const char *old = getenv("MYOGEN_CL_CACHE");
    char *saved = old ? strdup(old) : NULL;
    cl_command_queue q;
    cl_program prog;
    FILE *f;
    int files = 0;
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    setenv("MYOGEN_CL_CACHE", dir, 1);
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "two", &prog), 0);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ls %s/myogen-*.clbin 2>/dev/null | wc -l", dir);
        f = popen(cmd, "r");
        if (f) {
            if (fscanf(f, "%d", &files) != 1)
                files = 0;
            pclose(f);
        }
    }
    CU_ASSERT_EQUAL(files, 1);
    myogen_cl_shutdown();
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "two", &prog), 0); /* from the file */
    {   /* corrupt every cached file: the runtime must rebuild */
        char cmd[600];
        snprintf(cmd, sizeof cmd, "for x in %s/myogen-*.clbin; do echo garbage > $x; done", dir);
        CU_ASSERT_EQUAL(system(cmd), 0);
    }
    myogen_cl_shutdown();
    CU_ASSERT_FATAL(myogen_cl_default(NULL, NULL, &q) == 0);
    CU_ASSERT_EQUAL(myogen_cl_program(q, src, 1, "", "two", &prog), 0);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(path), 0);
    if (saved) {
        setenv("MYOGEN_CL_CACHE", saved, 1);
        free(saved);
    } else {
        unsetenv("MYOGEN_CL_CACHE");
    }
}

int main(void)
{
    cl_device_id dev;
    cl_device_fp_config fp64 = 0;
    char name[512];
    if (myogen_cl_device_name(name, sizeof name) != 0) {
        char msg[1024];
        myogen_cl_last_error(msg, sizeof msg);
        printf("test_opencl: skipped, no OpenCL device: %s\n", msg);
        return 77;
    }
    myogen_cl_default(NULL, &dev, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
    for (size_t i = 0; i < sizeof all_pairs / sizeof all_pairs[0]; i++)
        if (fp64 || !all_pairs[i].f64)
            pairs[NPAIRS++] = all_pairs[i];
    printf("test_opencl: %zu kernel pairs on %s%s\n", NPAIRS, name,
           fp64 ? "" : " (no cl_khr_fp64: the f64 pairs are skipped)");
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("opencl", NULL, NULL);
    CU_add_test(s, "forward, OpenCL vs C", test_forward);
    CU_add_test(s, "backward, OpenCL vs C", test_backward);
    CU_add_test(s, "backward bit-identical across runs", test_backward_deterministic);
    CU_add_test(s, "cl_mem entry points", test_cl_entry_points);
    CU_add_test(s, "pivot failure", test_pivot_failure);
    CU_add_test(s, "chain offset range", test_chain_offset_range);
    CU_add_test(s, "build failure", test_build_failure);
    CU_add_test(s, "program cache", test_program_cache);
    CU_add_test(s, "extra build options", test_extra_options);
    CU_add_test(s, "threads", test_threads);
    CU_add_test(s, "binary cache directory", test_disk_cache);
    CU_add_test(s, "device choice", test_device_choice);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    printf("worst |err| / tolerance: forward f32 %.3g, f64 %.3g; backward f32 %.3g, f64 %.3g\n",
           worst[0][0], worst[0][1], worst[1][0], worst[1][1]);
    myogen_cl_shutdown();
    return failed ? 1 : 0;
}
