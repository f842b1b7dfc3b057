/* CUnit tests of the `mlr` kernels (DESIGN.md 6.2): the reference of
 * mlr_ref.c checked on its own (hand cases, finite differences, the FLOP
 * formula), then every generated test kernel (registry written by
 * mlr_kernels.cmake) against it: forward o and lse, backward dq, dk, dv,
 * f64 kernels against central finite differences of their own forward, and
 * the argument / non-finite contract. */
#define _ISOC11_SOURCE /* aligned_alloc; must precede every system header */
#include "mlr_ref.h"
#include "mlr_test_kernels.h" /* the generated headers */

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
 * Inputs are O(1) (q, k in [-1.5, 1.5], v, dout in [-1, 1]) and the scores
 * O(1..5), so outputs and gradients are O(1).  The test prints the margin
 * (worst error / bound) of every output of every kernel: with these bounds
 * it stays below about 0.15 (f32: errors up to ~7e-7) and 0.01 (f64:
 * ~1e-15), a 7x / 100x headroom for other compilers and FMA contraction,
 * while a wrong level, mask or scale is off by 10^2..10^6 bounds. */
#define F32_ATOL 5e-6
#define F32_RTOL 2e-5
#define F64_ATOL 1e-13
#define F64_RTOL 1e-12
/* finite differences (f64 kernels), step h: truncation ~h^2, rounding
 * ~eps |L| / h */
#define FD_H 1e-3 /* five-point differences: truncation ~h^4, roundoff ~eps/h */
#define FD_ATOL 1e-8
#define FD_RTOL 1e-7
#define FD_SAMPLES 12 /* entries of each of q, k, v (four forward calls each) */

/* ---- utilities ---- */

/* uniform values, rounded to float for f32 kernels so the double reference
 * sees exactly the kernel's inputs */
static double *fill(size_t n, double lo, double hi, int f32)
{
    double *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        a[i] = f32 ? (double)(float)v : v;
    }
    return a;
}

static double *nans(size_t n)
{
    double *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
    return a;
}

/* kernel-typed copies: in_0 float, in_1 double; out_* copy back and free */
static float *in_0(const double *x, size_t n)
{
    if (!x)
        return NULL;
    float *y = xmalloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i];
    return y;
}

static double *in_1(const double *x, size_t n)
{
    if (!x)
        return NULL;
    double *y = xmalloc(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

static void out_0(double *dst, float *src, size_t n)
{
    if (dst && src)
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    free(src);
}

static void out_1(double *dst, double *src, size_t n)
{
    if (dst && src)
        memcpy(dst, src, n * sizeof *dst);
    free(src);
}

static void *ws_alloc(size_t bytes)
{
    size_t n = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, n ? n : 64);
    if (!p) {
        fprintf(stderr, "test_mlr: out of memory\n");
        exit(2);
    }
    memset(p, 0xff, n); /* NaN garbage: the kernel must not read it unwritten */
    return p;
}

/* ---- the registry: one wrapper pair per generated kernel ---- */

typedef int (*fwd_fn)(const double *q, const double *k, const double *v, double *o,
                      double *lse, size_t batch, size_t heads, void *ws);
typedef int (*bwd_fn)(const double *q, const double *k, const double *v, const double *o,
                      const double *lse, const double *dout, double *dq, double *dk,
                      double *dv, size_t batch, size_t heads, void *ws);

typedef struct {
    const char *name;
    int (*cpu_supported)(void);
    int f64;
    mlr_cfg cfg;
    fwd_fn fwd;
    bwd_fn bwd;
    size_t (*ws)(size_t, size_t);
    /* the header's macros */
    long h_T, h_depth, h_R, h_dv, h_causal, h_f64, h_norm, h_identity;
    long h_blocks[MLR_REF_MAX_LEVELS];
    int h_ranks[MLR_REF_MAX_LEVELS];
    double h_scales[MLR_REF_MAX_LEVELS];
} kernel;

#define MLR_UNPAREN(...) __VA_ARGS__

#define MLR_KERNEL(NAME, F64, T_, K_, BLOCKS, DEPTH, RANKS, DV, CAUSAL, NORM, SMODE, SLIST, ID) \
    static int NAME##_fw(const double *q, const double *k, const double *v, double *o,     \
                         double *lse, size_t b, size_t h, void *ws)                       \
    {                                                                                      \
        size_t nq = b * h * NAME##_SEQ_LEN * NAME##_RANK;                                  \
        size_t nv = b * h * NAME##_SEQ_LEN * NAME##_VALUE_DIM, nl = b * h * NAME##_SEQ_LEN; \
        NAME##_real *q_ = in_##F64(q, nq), *k_ = in_##F64(k, nq), *v_ = in_##F64(v, nv);   \
        NAME##_real *o_ = in_##F64(o, nv), *l_ = in_##F64(lse, nl);                        \
        int rc = NAME##_forward(q_, k_, v_, o_, l_, b, h, ws);                             \
        out_##F64(NULL, q_, 0);                                                            \
        out_##F64(NULL, k_, 0);                                                            \
        out_##F64(NULL, v_, 0);                                                            \
        out_##F64(o, o_, nv);                                                              \
        out_##F64(lse, l_, nl);                                                            \
        return rc;                                                                         \
    }                                                                                      \
    static int NAME##_bw(const double *q, const double *k, const double *v, const double *o, \
                         const double *lse, const double *dout, double *dq, double *dk,    \
                         double *dv, size_t b, size_t h, void *ws)                         \
    {                                                                                      \
        size_t nq = b * h * NAME##_SEQ_LEN * NAME##_RANK;                                  \
        size_t nv = b * h * NAME##_SEQ_LEN * NAME##_VALUE_DIM, nl = b * h * NAME##_SEQ_LEN; \
        NAME##_real *q_ = in_##F64(q, nq), *k_ = in_##F64(k, nq), *v_ = in_##F64(v, nv);   \
        NAME##_real *o_ = in_##F64(o, nv), *l_ = in_##F64(lse, nl);                        \
        NAME##_real *do_ = in_##F64(dout, nv), *dq_ = in_##F64(dq, nq);                    \
        NAME##_real *dk_ = in_##F64(dk, nq), *dv_ = in_##F64(dv, nv);                      \
        int rc = NAME##_backward(q_, k_, v_, o_, l_, do_, dq_, dk_, dv_, b, h, ws);         \
        out_##F64(NULL, q_, 0);                                                            \
        out_##F64(NULL, k_, 0);                                                            \
        out_##F64(NULL, v_, 0);                                                            \
        out_##F64(NULL, o_, 0);                                                            \
        out_##F64(NULL, l_, 0);                                                            \
        out_##F64(NULL, do_, 0);                                                           \
        out_##F64(dq, dq_, nq);                                                            \
        out_##F64(dk, dk_, nq);                                                            \
        out_##F64(dv, dv_, nv);                                                            \
        return rc;                                                                         \
    }
#include "mlr_test_kernels.h"
#undef MLR_KERNEL

#define MLR_KERNEL(NAME, F64, T_, K_, BLOCKS, DEPTH, RANKS, DV, CAUSAL, NORM, SMODE, SLIST, ID) \
    {#NAME, NAME##_cpu_supported, F64,                                                     \
     {T_, K_, DEPTH, DV, {MLR_UNPAREN RANKS}, CAUSAL, NORM, SMODE, {MLR_UNPAREN SLIST},    \
      {MLR_UNPAREN BLOCKS}, ID},                                                           \
     NAME##_fw, NAME##_bw, NAME##_workspace_size,                                          \
     NAME##_SEQ_LEN, NAME##_DEPTH, NAME##_RANK, NAME##_VALUE_DIM, NAME##_CAUSAL,           \
     NAME##_DTYPE_F64, NAME##_NORMALIZE, NAME##_LINK_IDENTITY, NAME##_BLOCKS, NAME##_RANKS,  \
     NAME##_SCALES},
static const kernel kernels[] = {
#include "mlr_test_kernels.h"
};
#undef MLR_KERNEL
#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* ---- comparison ---- */

typedef struct {
    double atol, rtol;
    double worst;   /* max over entries of |got - ref| / (atol + rtol |ref|) */
    size_t bad, at; /* entries beyond the bound; index of the worst */
} cmp;

static void cmp_init(cmp *c, double atol, double rtol)
{
    memset(c, 0, sizeof *c);
    c->atol = atol;
    c->rtol = rtol;
}

static void cmp_add(cmp *c, const double *got, const double *ref, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double bound = c->atol + c->rtol * fabs(ref[i]);
        double r = fabs(got[i] - ref[i]) / bound;
        if (!(r <= 1)) /* NaN too */
            c->bad++;
        if (!(r <= c->worst)) {
            c->worst = isnan(r) ? INFINITY : r;
            c->at = i;
        }
    }
}

static int cmp_report(const cmp *c, const char *kname, const char *what)
{
    if (c->bad)
        printf("\n  %s %s: %zu entries beyond |err| <= %g + %g |ref| (worst %.3g x bound at %zu)",
               kname, what, c->bad, c->atol, c->rtol, c->worst, c->at);
    return c->bad == 0;
}

/* Test data for one kernel: batch x heads heads of q, k, v, dout. */
typedef struct {
    size_t batch, heads, T, R, dv, nq, nv, nl;
    double *q, *k, *v, *dout;
} data;

static void data_make(const kernel *kd, size_t batch, size_t heads, uint64_t seed, data *d)
{
    int f32 = !kd->f64;
    d->batch = batch;
    d->heads = heads;
    d->T = kd->cfg.T;
    d->R = mlr_ref_rank(&kd->cfg);
    d->dv = kd->cfg.dv;
    d->nq = batch * heads * d->T * d->R;
    d->nv = batch * heads * d->T * d->dv;
    d->nl = batch * heads * d->T;
    rng_seed(seed);
    d->q = fill(d->nq, -1.5, 1.5, f32);
    d->k = fill(d->nq, -1.5, 1.5, f32);
    d->v = fill(d->nv, -1, 1, f32);
    d->dout = fill(d->nv, -1, 1, f32);
}

static void data_free(data *d)
{
    free(d->q);
    free(d->k);
    free(d->v);
    free(d->dout);
}

/* per-head reference: o, lse, dq, dk, dv over every (batch, head) */
static void ref_all(const kernel *kd, const data *d, double *o, double *lse, double *dq,
                    double *dk, double *dv)
{
    size_t H = d->batch * d->heads, sq = d->T * d->R, sv = d->T * d->dv;
    for (size_t h = 0; h < H; h++) {
        if (o)
            mlr_ref_forward(&kd->cfg, d->q + h * sq, d->k + h * sq, d->v + h * sv, o + h * sv,
                            lse + h * d->T);
        if (dq)
            mlr_ref_backward(&kd->cfg, d->q + h * sq, d->k + h * sq, d->v + h * sv,
                             d->dout + h * sv, dq + h * sq, dk + h * sq, dv + h * sv);
    }
}

static size_t shape_batch(const kernel *kd) { return kd->cfg.T >= 512 ? 1 : 2; }
static size_t shape_heads(const kernel *kd) { return kd->cfg.T >= 512 ? 2 : 3; }

/* ---- the reference on its own ---- */

static void test_ref_shared_levels(void)
{
    /* T = 12, arity 3, depth 2: level-2 blocks of 4 */
    mlr_cfg c = {12, 3, 2, 1, {1, 1}, 0, MLR_NORM_NONE, MLR_SCALE_INV_RANK, {0}, {0}, 0};
    CU_ASSERT_EQUAL(mlr_ref_shared(&c, 0, 3), 2);
    CU_ASSERT_EQUAL(mlr_ref_shared(&c, 3, 4), 1);
    CU_ASSERT_EQUAL(mlr_ref_shared(&c, 11, 8), 2);
    CU_ASSERT_EQUAL(mlr_ref_shared(&c, 0, 11), 1);
    /* T = 16, arity 2, depth 4: blocks 16, 8, 4, 2 */
    mlr_cfg d = {16, 2, 4, 1, {1, 1, 1, 1}, 0, MLR_NORM_NONE, MLR_SCALE_INV_RANK, {0}, {0}, 0};
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 6, 7), 4);
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 5, 6), 3);
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 3, 4), 2);
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 4, 6), 3);
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 7, 8), 1);
    CU_ASSERT_EQUAL(mlr_ref_shared(&d, 15, 0), 1);
    /* T = 24, blocks 24, 6, 3 (ratios 4, 2) */
    mlr_cfg e = {24, 0, 3, 1, {1, 1, 1}, 0, MLR_NORM_NONE, MLR_SCALE_INV_RANK, {0}, {24, 6, 3}, 0};
    CU_ASSERT_EQUAL(mlr_ref_block(&e, 2), 6);
    CU_ASSERT_EQUAL(mlr_ref_shared(&e, 0, 2), 3);
    CU_ASSERT_EQUAL(mlr_ref_shared(&e, 2, 3), 2);
    CU_ASSERT_EQUAL(mlr_ref_shared(&e, 5, 6), 1);
    CU_ASSERT_EQUAL(mlr_ref_shared(&e, 23, 18), 2);
}

/* A hand-computed case: T = 2, two levels of rank 1, non-causal, shared.
 * Pairs (0,0), (1,1), (0,1), (1,0) share 2, 2, 1, 1 levels (blocks 2, 1). */
static void test_ref_hand(void)
{
    mlr_cfg c = {2, 2, 2, 1, {1, 1}, 0, MLR_NORM_SHARED, MLR_SCALE_LIST, {2.0, 0.5}, {0}, 0};
    double q[4] = {1, 2, -1, 1}, k[4] = {0.5, 1, 2, -2}, v[2] = {3, -1}, S[4], o[2], lse[2];
    mlr_ref_scores(&c, q, k, S);
    /* S00 = (2*1*0.5 + 0.5*2*1)/2 = 1; S01 = 2*1*2 = 4; S10 = 2*(-1)*0.5 = -1;
     * S11 = (2*(-1)*2 + 0.5*1*(-2))/2 = -2.5 */
    CU_ASSERT_DOUBLE_EQUAL(S[0], 1.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(S[1], 4.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(S[2], -1.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(S[3], -2.5, 1e-15);
    mlr_ref_forward(&c, q, k, v, o, lse);
    double p01 = 1 / (1 + exp(1.0 - 4.0)), p11 = 1 / (1 + exp(-1.0 + 2.5));
    CU_ASSERT_DOUBLE_EQUAL(o[0], (1 - p01) * 3 + p01 * -1, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(o[1], (1 - p11) * 3 + p11 * -1, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(lse[0], log(exp(1.0) + exp(4.0)), 1e-14);
    c.causal = 1; /* row 0 sees only itself */
    mlr_ref_forward(&c, q, k, v, o, lse);
    CU_ASSERT_DOUBLE_EQUAL(o[0], 3.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(lse[0], 1.0, 1e-15);
}

/* loss sum(dout * o) of the reference */
static double ref_loss(const mlr_cfg *c, const double *q, const double *k, const double *v,
                       const double *dout)
{
    size_t n = c->T * c->dv;
    double *o = xmalloc(n * sizeof *o), *lse = xmalloc(c->T * sizeof *lse), L = 0;
    mlr_ref_forward(c, q, k, v, o, lse);
    for (size_t i = 0; i < n; i++)
        L += dout[i] * o[i];
    free(o);
    free(lse);
    return L;
}

/* the reference's backward against finite differences of its forward, every
 * entry, for each normalize mode, causal and not */
static void test_ref_gradients(void)
{
    for (int variant = 0; variant < 6; variant++) {
        mlr_cfg c = {12, 3, 2, 3, {2, 2}, variant & 1, variant / 2, MLR_SCALE_LIST, {0.9, -0.6}, {0}, 0};
        size_t R = 4, nq = c.T * R, nv = c.T * c.dv;
        rng_seed(100 + (uint64_t)variant);
        double *q = fill(nq, -1.5, 1.5, 0), *k = fill(nq, -1.5, 1.5, 0);
        double *v = fill(nv, -1, 1, 0), *dout = fill(nv, -1, 1, 0);
        double *dq = nans(nq), *dk = nans(nq), *dv = nans(nv);
        mlr_ref_backward(&c, q, k, v, dout, dq, dk, dv);
        double *xs[3] = {q, k, v}, *gs[3] = {dq, dk, dv};
        size_t ns[3] = {nq, nq, nv};
        cmp e;
        cmp_init(&e, 1e-8, 1e-7);
        for (int t = 0; t < 3; t++)
            for (size_t i = 0; i < ns[t]; i++) {
                double x0 = xs[t][i], fd;
                xs[t][i] = x0 + 1e-5;
                fd = ref_loss(&c, q, k, v, dout);
                xs[t][i] = x0 - 1e-5;
                fd = (fd - ref_loss(&c, q, k, v, dout)) / 2e-5;
                xs[t][i] = x0;
                cmp_add(&e, &gs[t][i], &fd, 1);
            }
        CU_ASSERT(cmp_report(&e, "reference", "gradient vs finite differences"));
        free(q);
        free(k);
        free(v);
        free(dout);
        free(dq);
        free(dk);
        free(dv);
    }
}

/* the FLOP formula against a count over every pair */
static void test_ref_flops(void)
{
    mlr_cfg c = {45, 3, 3, 5, {4, 3, 2}, 1, MLR_NORM_SHARED, MLR_SCALE_INV_RANK, {0}, {0}, 0};
    for (int causal = 0; causal < 2; causal++) {
        c.causal = causal;
        double fwd = 0, bwd = 0;
        for (size_t i = 0; i < c.T; i++)
            for (size_t j = 0; j < c.T; j++) {
                if (causal && j > i)
                    continue;
                size_t m = mlr_ref_shared(&c, i, j), D = 0;
                for (size_t l = 0; l < m; l++)
                    D += (size_t)c.ranks[l];
                fwd += 2.0 * D + 2.0 * c.dv;
                bwd += 6.0 * D + 4.0 * c.dv;
            }
        CU_ASSERT_DOUBLE_EQUAL(mlr_ref_flops(&c, 0), fwd, 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(mlr_ref_flops(&c, 1), bwd, 1e-6);
    }
}

/* ---- the kernels ---- */

/* what the header says is what the spec asked for */
static void test_headers(void)
{
    for (size_t n = 0; n < NKERNELS; n++) {
        const kernel *kd = &kernels[n];
        const mlr_cfg *c = &kd->cfg;
        CU_ASSERT_EQUAL(kd->h_T, (long)c->T);
        CU_ASSERT_EQUAL(kd->h_depth, (long)c->depth);
        CU_ASSERT_EQUAL(kd->h_R, (long)mlr_ref_rank(c));
        CU_ASSERT_EQUAL(kd->h_dv, (long)c->dv);
        CU_ASSERT_EQUAL(kd->h_causal, (long)c->causal);
        CU_ASSERT_EQUAL(kd->h_f64, (long)kd->f64);
        CU_ASSERT_EQUAL(kd->h_norm, (long)c->normalize);
        CU_ASSERT_EQUAL(kd->h_identity, (long)c->identity);
        for (size_t l = 0; l < c->depth; l++) {
            CU_ASSERT_EQUAL(kd->h_blocks[l], (long)mlr_ref_block(c, l + 1));
            CU_ASSERT_EQUAL(kd->h_ranks[l], c->ranks[l]);
            CU_ASSERT_DOUBLE_EQUAL(kd->h_scales[l], mlr_ref_scale(c, l + 1), 1e-15);
        }
    }
}

static void tol(const kernel *kd, double *atol, double *rtol)
{
    *atol = kd->f64 ? F64_ATOL : F32_ATOL;
    *rtol = kd->f64 ? F64_RTOL : F32_RTOL;
}

/* forward o and lse, then backward dq, dk, dv from the kernel's own o and
 * lse, against the reference, for every kernel */
static void test_kernels_vs_reference(void)
{
    int skipped = 0;
    for (size_t n = 0; n < NKERNELS; n++) {
        const kernel *kd = &kernels[n];
        if (!kd->cpu_supported()) {
            skipped++;
            continue;
        }
        data d;
        data_make(kd, shape_batch(kd), shape_heads(kd), 1 + n, &d);
        double *o = nans(d.nv), *lse = nans(d.nl), *o2 = nans(d.nv);
        double *ro = nans(d.nv), *rl = nans(d.nl);
        double *dq = nans(d.nq), *dk = nans(d.nq), *dv = nans(d.nv);
        double *rdq = nans(d.nq), *rdk = nans(d.nq), *rdv = nans(d.nv);
        void *ws = ws_alloc(kd->ws(d.batch, d.heads));
        ref_all(kd, &d, ro, rl, rdq, rdk, rdv);

        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, d.batch, d.heads, ws), 0);
        double atol, rtol;
        tol(kd, &atol, &rtol);
        cmp co, cl, cq, ck, cv;
        cmp_init(&co, atol, rtol);
        cmp_init(&cl, atol, rtol);
        cmp_add(&co, o, ro, d.nv);
        if (!kd->cfg.identity) /* (link identity: no lse) */
            cmp_add(&cl, lse, rl, d.nl);
        CU_ASSERT(cmp_report(&co, kd->name, "forward o"));
        CU_ASSERT(cmp_report(&cl, kd->name, "forward lse"));

        /* lse = NULL: the same o, bit for bit (the kernel is deterministic) */
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o2, NULL, d.batch, d.heads, ws), 0);
        CU_ASSERT(memcmp(o, o2, d.nv * sizeof *o) == 0);

        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, d.batch, d.heads, ws),
                        0);
        cmp_init(&cq, atol, rtol);
        cmp_init(&ck, atol, rtol);
        cmp_init(&cv, atol, rtol);
        cmp_add(&cq, dq, rdq, d.nq);
        cmp_add(&ck, dk, rdk, d.nq);
        cmp_add(&cv, dv, rdv, d.nv);
        CU_ASSERT(cmp_report(&cq, kd->name, "backward dq"));
        CU_ASSERT(cmp_report(&ck, kd->name, "backward dk"));
        CU_ASSERT(cmp_report(&cv, kd->name, "backward dv"));
        printf("\n  %-26s margin (worst err / bound): o %.2g lse %.2g dq %.2g dk %.2g dv %.2g",
               kd->name, co.worst, cl.worst, cq.worst, ck.worst, cv.worst);

        free(ws);
        free(o);
        free(o2);
        free(lse);
        free(ro);
        free(rl);
        free(dq);
        free(dk);
        free(dv);
        free(rdq);
        free(rdk);
        free(rdv);
        data_free(&d);
    }
    if (skipped)
        printf("\n  (%d kernels skipped: this CPU lacks their ISA)", skipped);
}

/* loss sum(dout * o) of a kernel's forward */
static double kernel_loss(const kernel *kd, const data *d, void *ws)
{
    double *o = nans(d->nv), L = 0;
    int rc = kd->fwd(d->q, d->k, d->v, o, NULL, d->batch, d->heads, ws);
    CU_ASSERT_EQUAL(rc, 0);
    for (size_t i = 0; i < d->nv; i++)
        L += d->dout[i] * o[i];
    free(o);
    return L;
}

/* A seed from a kernel's name (FNV-1a): its data stay the same when
 * kernels are added to the matrix. */
static unsigned name_seed(const char *name)
{
    unsigned h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h % 100000;
}

/* f64 kernels: backward against central differences of their own forward,
 * at FD_SAMPLES random entries of each of q, k, v */
static void test_kernels_finite_differences(void)
{
    for (size_t n = 0; n < NKERNELS; n++) {
        const kernel *kd = &kernels[n];
        if (!kd->f64 || !kd->cpu_supported())
            continue;
        data d;
        data_make(kd, 1, 2, 7 + name_seed(kd->name), &d);
        double *o = nans(d.nv), *lse = nans(d.nl);
        double *dq = nans(d.nq), *dk = nans(d.nq), *dv = nans(d.nv);
        void *ws = ws_alloc(kd->ws(d.batch, d.heads));
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, d.batch, d.heads, ws), 0);
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, d.batch, d.heads, ws),
                        0);
        double *xs[3] = {d.q, d.k, d.v}, *gs[3] = {dq, dk, dv};
        size_t ns[3] = {d.nq, d.nq, d.nv};
        cmp e;
        cmp_init(&e, FD_ATOL, FD_RTOL);
        rng_seed(1000 + name_seed(kd->name));
        for (int t = 0; t < 3; t++)
            for (int s = 0; s < FD_SAMPLES; s++) {
                size_t i = (size_t)urand(0, (double)ns[t]);
                /* five-point central difference: its O(h^4) truncation
                 * allows a step large enough that the forward's rounding
                 * (about 1e-13 in the loss of the large kernels, over h)
                 * stays well inside FD_ATOL */
                static const double step[4] = {2, 1, -1, -2}, weight[4] = {-1, 8, -8, 1};
                double x0 = xs[t][i], fd = 0;
                for (int j = 0; j < 4; j++) {
                    xs[t][i] = x0 + step[j] * FD_H;
                    fd += weight[j] * kernel_loss(kd, &d, ws);
                }
                fd /= 12 * FD_H;
                xs[t][i] = x0;
                cmp_add(&e, &gs[t][i], &fd, 1);
            }
        CU_ASSERT(cmp_report(&e, kd->name, "gradient vs finite differences"));
        printf("\n  %-26s finite differences margin %.2g", kd->name, e.worst);
        free(ws);
        free(o);
        free(lse);
        free(dq);
        free(dk);
        free(dv);
        data_free(&d);
    }
}

/* return codes: 1 for NULL buffers and zero batch/heads, 2 for non-finite
 * inputs; the workspace never grows like T^2 */
static void test_kernels_contract(void)
{
    for (size_t n = 0; n < NKERNELS; n++) {
        const kernel *kd = &kernels[n];
        if (!kd->cpu_supported())
            continue;
        data d;
        data_make(kd, 1, 1, 3 + n, &d);
        double *o = nans(d.nv), *lse = nans(d.nl);
        double *dq = nans(d.nq), *dk = nans(d.nq), *dv = nans(d.nv);
        size_t wsz = kd->ws(1, 1);
        void *ws = ws_alloc(wsz);
        CU_ASSERT(wsz > 0);
#ifdef _OPENMP
        /* scratch for min(work items, NAME_MAX_THREADS) threads */
        CU_ASSERT(kd->ws(5, 7) >= wsz);
#else
        if (strstr(kd->name, "_omp")) { /* threads = "openmp": key-tile groups' dq partials */
            CU_ASSERT(kd->ws(5, 7) >= wsz);
        } else {
            CU_ASSERT_EQUAL(wsz, kd->ws(5, 7)); /* whatever the batch and heads */
        }
#endif
        if (kd->cfg.T >= 512) /* O(T (R + dv)), not O(T^2) */
            CU_ASSERT(wsz < kd->cfg.T * kd->cfg.T * (kd->f64 ? 8 : 4) / 8);

        CU_ASSERT_EQUAL(kd->fwd(NULL, d.k, d.v, o, lse, 1, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, NULL, d.v, o, lse, 1, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, NULL, o, lse, 1, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, NULL, lse, 1, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 1, NULL), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 0, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 0, ws), 1);
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 1, ws), 0);
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, 1, 1, ws), 0);
        const double *bargs[9] = {d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv};
        for (int a = 0; a < 9; a++) {
            const double *p[9];
            if (a == 4 && kd->cfg.identity) /* link identity: lse may be NULL */
                continue;
            memcpy(p, bargs, sizeof p);
            p[a] = NULL;
            CU_ASSERT_EQUAL(kd->bwd(p[0], p[1], p[2], p[3], p[4], p[5], (double *)p[6],
                                    (double *)p[7], (double *)p[8], 1, 1, ws), 1);
        }
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, 0, 1, ws), 1);
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, 1, 0, ws), 1);
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, 1, 1, NULL), 1);

        /* a NaN key (the last, which the last query sees even when causal),
         * an infinite value, a NaN in dout */
        size_t last = (d.T - 1) * d.R;
        double keep = d.k[last];
        d.k[last] = NAN;
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 1, ws), 2);
        d.k[last] = keep;
        keep = d.v[0];
        d.v[0] = INFINITY;
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 1, ws), 2);
        d.v[0] = keep;
        CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, o, lse, 1, 1, ws), 0);
        keep = d.dout[0];
        d.dout[0] = NAN;
        CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, o, lse, d.dout, dq, dk, dv, 1, 1, ws), 2);
        d.dout[0] = keep;
        free(ws);
        free(o);
        free(lse);
        free(dq);
        free(dk);
        free(dv);
        data_free(&d);
    }
}

#ifdef _OPENMP
/* threads = "openmp" kernels built with OpenMP: 1, 2 and 3 threads give the
 * same bytes (every work item is computed the same way by whichever thread) */
static void test_kernels_threads(void)
{
    for (size_t n = 0; n < NKERNELS; n++) {
        const kernel *kd = &kernels[n];
        if (!kd->cpu_supported())
            continue;
        data d;
        data_make(kd, 2, 3, 11 + n, &d);
        double *out[3][5];
        for (int nt = 1; nt <= 3; nt++) {
            double **r = out[nt - 1];
            omp_set_num_threads(nt);
            void *ws = ws_alloc(kd->ws(d.batch, d.heads)); /* sized for nt threads */
            r[0] = nans(d.nv);
            r[1] = nans(d.nl);
            r[2] = nans(d.nq);
            r[3] = nans(d.nq);
            r[4] = nans(d.nv);
            CU_ASSERT_EQUAL(kd->fwd(d.q, d.k, d.v, r[0], r[1], d.batch, d.heads, ws), 0);
            CU_ASSERT_EQUAL(kd->bwd(d.q, d.k, d.v, r[0], r[1], d.dout, r[2], r[3], r[4], d.batch,
                                    d.heads, ws), 0);
            free(ws);
        }
        size_t sizes[5] = {d.nv, d.nl, d.nq, d.nq, d.nv};
        for (int nt = 2; nt <= 3; nt++)
            for (int t = 0; t < 5; t++)
                CU_ASSERT(memcmp(out[0][t], out[nt - 1][t], sizes[t] * sizeof(double)) == 0);
        for (int nt = 0; nt < 3; nt++)
            for (int t = 0; t < 5; t++)
                free(out[nt][t]);
        printf("\n  %s: 1, 2, 3 threads compared", kd->name);
        data_free(&d);
    }
    omp_set_num_threads(1);
}
#endif

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite ref = CU_add_suite("mlr reference", NULL, NULL);
    CU_add_test(ref, "shared levels m(i,j)", test_ref_shared_levels);
    CU_add_test(ref, "hand-computed scores and outputs", test_ref_hand);
    CU_add_test(ref, "backward vs finite differences", test_ref_gradients);
    CU_add_test(ref, "FLOP formula vs pair count", test_ref_flops);
    CU_pSuite ks = CU_add_suite("mlr kernels", NULL, NULL);
    CU_add_test(ks, "header macros", test_headers);
    CU_add_test(ks, "forward and backward vs reference", test_kernels_vs_reference);
    CU_add_test(ks, "f64 backward vs finite differences", test_kernels_finite_differences);
    CU_add_test(ks, "return codes and workspace", test_kernels_contract);
#ifdef _OPENMP
    CU_add_test(ks, "threads: the same bytes for 1, 2, 3 threads", test_kernels_threads);
#endif
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
