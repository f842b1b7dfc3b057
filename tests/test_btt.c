/* CUnit tests of the `btt` kernels (DESIGN.md 6.3): every generated test
 * kernel (registry written by tests/btt_kernels.cmake) against the dense
 * references of btt_ref.c, its backward against central finite differences
 * of its own forward (f64), and its argument / non-finite / workspace
 * contract. */
#define _ISOC11_SOURCE /* aligned_alloc; must precede every system header */
#include "btt_ref.h"
#include "btt_test_kernels.h" /* the generated headers */

#include "test_util.h"
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerances, XNNPACK style: |got - ref| <= atol + rtol * |ref|, per dtype.
 * The data are scaled so that every output (y, dx, dW1, dW2, o, dv) is of
 * order 1 or less; the f32 kernels accumulate in f32 over up to a few
 * hundred terms (observed errors ~1e-6), f64 ones stay within ~1e-14.  The
 * test prints the worst error as a fraction of the tolerance. */
#define F32_ATOL 5e-6
#define F32_RTOL 2e-5
#define F64_ATOL 1e-13
#define F64_RTOL 1e-12
/* Attention in f32: the weight gradients sum over batch x T rows through the
 * softmax and LayerNorm backward (T = 150 in the long cases); observed
 * absolute errors up to ~1e-5 on entries of order 0.1..1, so a larger atol.
 * f64 attention uses the f64 bounds above. */
#define AT_F32_ATOL 5e-5
#define AT_F32_RTOL 1e-4
/* Central differences of the f64 kernels' own forward, step H: matmul is
 * linear in every parameter (the difference is exact up to rounding),
 * attention is smooth (O(H^2) truncation). */
#define FD_H 1e-5
#define FD_ATOL 1e-7
#define FD_RTOL 1e-6

/* ---- utilities ---- */

/* n uniform values in [-a, a], rounded to float for f32 kernels so that the
 * double reference sees exactly the kernel's inputs */
static double *fill(size_t n, double a, int f64)
{
    double *p = xmalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        double v = urand(-a, a);
        p[i] = f64 ? v : (double)(float)v;
    }
    return p;
}

/* Kernel-typed buffers with a guard zone after the data: GUARD elements
 * of a sentinel that the kernel must not touch. */
#define GUARD 64
typedef struct {
    void *p;
    size_t n;
    int f64;
} kbuf;

static const unsigned char SENTINEL = 0xA5;

static kbuf kb_new(size_t n, int f64)
{
    kbuf b = {NULL, n, f64};
    size_t es = f64 ? 8 : 4, bytes = (n + GUARD) * es;
    b.p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!b.p) {
        fprintf(stderr, "test_btt: out of memory\n");
        exit(2);
    }
    memset(b.p, 0xFF, n * es); /* NaN in either dtype: outputs must be written */
    memset((char *)b.p + n * es, SENTINEL, GUARD * es);
    return b;
}

/* Inputs: exactly n elements, no guard and no rounding up, so that a read
 * past the end is caught by a sanitizer (the kernels need no alignment). */
static kbuf kb_from(const double *d, size_t n, int f64)
{
    kbuf b = {NULL, n, f64};
    b.p = malloc((n ? n : 1) * (f64 ? 8 : 4));
    if (!b.p) {
        fprintf(stderr, "test_btt: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        if (f64)
            ((double *)b.p)[i] = d[i];
        else
            ((float *)b.p)[i] = (float)d[i];
    }
    return b;
}

static double kb_get(const kbuf *b, size_t i)
{
    return b->f64 ? ((double *)b->p)[i] : (double)((float *)b->p)[i];
}

static void kb_set(kbuf *b, size_t i, double v)
{
    if (b->f64)
        ((double *)b->p)[i] = v;
    else
        ((float *)b->p)[i] = (float)v;
}

static int kb_guard_ok(const kbuf *b)
{
    size_t es = b->f64 ? 8 : 4;
    const unsigned char *g = (const unsigned char *)b->p + b->n * es;
    for (size_t i = 0; i < GUARD * es; i++)
        if (g[i] != SENTINEL)
            return 0;
    return 1;
}

static void kb_free(kbuf *b)
{
    free(b->p);
    b->p = NULL;
}

/* Workspace of `bytes`, filled with NaN bytes (the kernel must not read what
 * it did not write) and followed by a guard zone. */
static unsigned char *ws_new(size_t bytes)
{
    unsigned char *w = aligned_alloc(64, (bytes + 64 + 63) / 64 * 64);
    if (!w) {
        fprintf(stderr, "test_btt: out of memory\n");
        exit(2);
    }
    memset(w, 0xFF, bytes);
    memset(w + bytes, SENTINEL, 64);
    return w;
}

static int ws_guard_ok(const unsigned char *w, size_t bytes)
{
    for (size_t i = 0; i < 64; i++)
        if (w[bytes + i] != SENTINEL)
            return 0;
    return 1;
}

/* |got - ref| <= atol + rtol |ref| for all n; prints the worst ratio */
static int compare(const char *who, const char *what, const kbuf *got, const double *ref,
                   size_t n, double atol, double rtol)
{
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double g = kb_get(got, i), tol = atol + rtol * fabs(ref[i]);
        double r = isfinite(g) ? fabs(g - ref[i]) / tol : INFINITY;
        if (!(r <= worst)) {
            worst = r;
            at = i;
        }
    }
    if (!(worst <= 1))
        printf("\n    %s %s: element %zu: got %.9g, want %.9g (%.2f x tolerance)", who, what,
               at, kb_get(got, at), ref[at], worst);
    else if (getenv("BTT_TEST_VERBOSE"))
        printf("\n    %s %s: worst %.3f x tolerance", who, what, worst);
    return worst <= 1;
}

/* ---- the registry: wrappers with untyped buffers ---- */

typedef struct {
    const char *name;
    int f64;
    btt_shape sh;
    int (*cpu_supported)(void);
    size_t (*ws)(size_t, size_t);
    int (*fwd)(const void *, const void *, const void *, void *, size_t, void *);
    int (*bwd)(const void *, const void *, const void *, const void *, void *, void *, void *,
               size_t, void *);
} mm_kernel;

typedef struct {
    const char *name;
    int f64;
    btt_attn a;
    int (*cpu_supported)(void);
    size_t (*ws)(size_t, size_t);
    /* x, W1, W2, ln_w, ln_b, v, o, lse (ln_*: ignored without the affine) */
    int (*fwd)(const void *, const void *, const void *, const void *, const void *,
               const void *, void *, void *, size_t, size_t, void *);
    /* x, W1, W2, ln_w, ln_b, v, o, lse, dout, dx, dW1, dW2, dln_w, dln_b, dv */
    int (*bwd)(const void *, const void *, const void *, const void *, const void *,
               const void *, const void *, const void *, const void *, void *, void *, void *,
               void *, void *, void *, size_t, size_t, void *);
    int h_j1, h_affine; /* the header's NAME_KEY_J1_MAJOR, NAME_KEY_NORM_AFFINE (a.j1_major,
                           a.affine: what the spec asked for) */
} at_kernel;

#define BTT_KERNEL_LIST
/* the LayerNorm affine's arguments where the kernel takes them */
#define BTT_LN_0(w, b)
#define BTT_LN_1(w, b) w, b,
#define BTT_MATMUL(nm)                                                                       \
    static int nm##_fw(const void *W1, const void *W2, const void *x, void *y, size_t n,    \
                       void *w)                                                             \
    {                                                                                       \
        return nm##_forward(W1, W2, x, y, n, w);                                            \
    }                                                                                       \
    static int nm##_bw(const void *W1, const void *W2, const void *x, const void *dy,       \
                       void *dx, void *dW1, void *dW2, size_t n, void *w)                   \
    {                                                                                       \
        return nm##_backward(W1, W2, x, dy, dx, dW1, dW2, n, w);                            \
    }
#define BTT_ATTN(nm, j1, affine)                                                             \
    static int nm##_fw(const void *x, const void *W1, const void *W2, const void *lw,       \
                       const void *lb, const void *v, void *o, void *lse, size_t b,         \
                       size_t h, void *w)                                                   \
    {                                                                                       \
        (void)lw, (void)lb;                                                                 \
        return nm##_forward(x, W1, W2, BTT_LN_##affine(lw, lb) v, o, lse, b, h, w);         \
    }                                                                                       \
    static int nm##_bw(const void *x, const void *W1, const void *W2, const void *lw,       \
                       const void *lb, const void *v, const void *o, const void *lse,       \
                       const void *dout, void *dx, void *dW1, void *dW2, void *dlw,         \
                       void *dlb, void *dv, size_t b, size_t h, void *w)                    \
    {                                                                                       \
        (void)lw, (void)lb, (void)dlw, (void)dlb;                                           \
        return nm##_backward(x, W1, W2, BTT_LN_##affine(lw, lb) v, o, lse, dout, dx, dW1,   \
                             dW2, BTT_LN_##affine(dlw, dlb) dv, b, h, w);                   \
    }
#include "btt_test_kernels.h"
#undef BTT_MATMUL
#undef BTT_ATTN

#define BTT_MATMUL(nm)                                                                       \
    {#nm, sizeof(nm##_real) == 8, {nm##_M0, nm##_M1, nm##_N0, nm##_N1, nm##_RANK},          \
     nm##_cpu_supported, nm##_workspace_size, nm##_fw, nm##_bw},
#define BTT_ATTN(nm, j1, affine)
static const mm_kernel mm_kernels[] = {
#include "btt_test_kernels.h"
    {NULL, 0, {0, 0, 0, 0, 0}, NULL, NULL, NULL, NULL}};
#undef BTT_MATMUL
#undef BTT_ATTN

#define BTT_MATMUL(nm)
#define BTT_ATTN(nm, j1, affine)                                                             \
    {#nm,                                                                                   \
     sizeof(nm##_real) == 8,                                                                \
     {{nm##_M0, nm##_M1, nm##_N0, nm##_N1, nm##_RANK},                                      \
      nm##_SEQ_LEN,                                                                         \
      nm##_VALUE_DIM,                                                                       \
      nm##_CAUSAL,                                                                          \
      nm##_SCALE,                                                                           \
      j1,                                                                                   \
      affine},                                                                              \
     nm##_cpu_supported,                                                                    \
     nm##_workspace_size,                                                                   \
     nm##_fw,                                                                               \
     nm##_bw,                                                                               \
     nm##_KEY_J1_MAJOR,                                                                     \
     nm##_KEY_NORM_AFFINE},
static const at_kernel at_kernels[] = {
#include "btt_test_kernels.h"
    {NULL, 0, {{0, 0, 0, 0, 0}, 0, 0, 0, 0, 0, 0}, NULL, NULL, NULL, NULL, 0, 0}};
#undef BTT_MATMUL
#undef BTT_ATTN

/* ---- reference self-checks ---- */

/* The dense W of a rank-1 square BTT is the Kronecker-like product the
 * index formula gives; check one hand-computed case, and the core-gradient
 * chain rule against finite differences of the dense W. */
static void test_ref_dense(void)
{
    btt_shape sh = {2, 2, 2, 2, 1};
    /* W1[i1][i0][j0] = 1 + i1*4 + i0*2 + j0, W2[j0][i1][j1] = 1 + j0*4 + i1*2 + j1 */
    double W1[8], W2[8], W[16];
    for (int i = 0; i < 8; i++)
        W1[i] = W2[i] = 1 + i;
    btt_ref_dense(&sh, W1, W2, W);
    for (int i1 = 0; i1 < 2; i1++)
        for (int i0 = 0; i0 < 2; i0++)
            for (int j0 = 0; j0 < 2; j0++)
                for (int j1 = 0; j1 < 2; j1++) {
                    double want = (1 + i1 * 4 + i0 * 2 + j0) * (1 + j0 * 4 + i1 * 2 + j1);
                    CU_ASSERT_EQUAL(W[(i1 * 2 + i0) * 4 + j0 * 2 + j1], want);
                }
    /* chain rule: d/dW1 of sum(G * W) against differences */
    btt_shape s2 = {3, 2, 2, 3, 2};
    size_t n1 = btt_w1_size(&s2), n2 = btt_w2_size(&s2), d = btt_d_in(&s2) * btt_d_out(&s2);
    rng_seed(5);
    double *A = fill(n1, 1, 1), *B = fill(n2, 1, 1), *G = fill(d, 1, 1);
    double *dA = xmalloc(n1 * sizeof *dA), *dB = xmalloc(n2 * sizeof *dB);
    double *Wd = xmalloc(d * sizeof *Wd);
    btt_ref_core_grads(&s2, A, B, G, dA, dB);
    for (size_t i = 0; i < n1 + n2; i += 5) {
        double *p = i < n1 ? &A[i] : &B[i - n1], keep = *p, lp = 0, lm = 0;
        *p = keep + 1e-4;
        btt_ref_dense(&s2, A, B, Wd);
        for (size_t j = 0; j < d; j++)
            lp += G[j] * Wd[j];
        *p = keep - 1e-4;
        btt_ref_dense(&s2, A, B, Wd);
        for (size_t j = 0; j < d; j++)
            lm += G[j] * Wd[j];
        *p = keep;
        double fd = (lp - lm) / 2e-4, an = i < n1 ? dA[i] : dB[i - n1];
        CU_ASSERT(fabs(fd - an) <= 1e-8 * (1 + fabs(an)));
    }
    free(A);
    free(B);
    free(G);
    free(dA);
    free(dB);
    free(Wd);
}

/* ---- matmul ---- */

typedef struct {
    size_t n, din, dout, nw1, nw2;
    double *W1, *W2, *x, *dy;
} mm_data;

static void mm_data_make(const mm_kernel *k, size_t n, uint64_t seed, mm_data *d)
{
    const btt_shape *sh = &k->sh;
    rng_seed(seed);
    d->n = n;
    d->din = btt_d_in(sh);
    d->dout = btt_d_out(sh);
    d->nw1 = btt_w1_size(sh);
    d->nw2 = btt_w2_size(sh);
    d->W1 = fill(d->nw1, 1 / sqrt((double)sh->m0), k->f64);
    d->W2 = fill(d->nw2, 1 / sqrt((double)sh->m1 * sh->s), k->f64);
    d->x = fill(n * d->din, 1, k->f64);
    d->dy = fill(n * d->dout, 1 / sqrt((double)n), k->f64);
}

static void mm_data_free(mm_data *d)
{
    free(d->W1);
    free(d->W2);
    free(d->x);
    free(d->dy);
}

/* sum(dy * y) of the kernel's forward, in double */
static double mm_loss(const mm_kernel *k, const kbuf *W1, const kbuf *W2, const kbuf *x,
                      const double *dy, size_t n, unsigned char *ws)
{
    size_t dout = btt_d_out(&k->sh);
    kbuf y = kb_new(n * dout, k->f64);
    double l = 0;
    CU_ASSERT_EQUAL(k->fwd(W1->p, W2->p, x->p, y.p, n, ws), 0);
    for (size_t i = 0; i < n * dout; i++)
        l += dy[i] * kb_get(&y, i);
    kb_free(&y);
    return l;
}

static void mm_accuracy(const mm_kernel *k)
{
    static const size_t ns[] = {1, 7, 250};
    double atol = k->f64 ? F64_ATOL : F32_ATOL, rtol = k->f64 ? F64_RTOL : F32_RTOL;
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        size_t n = ns[t];
        mm_data d;
        mm_data_make(k, n, 100 + n, &d);
        size_t wsb = k->ws(n, 1);
        unsigned char *ws = ws_new(wsb);
        kbuf W1 = kb_from(d.W1, d.nw1, k->f64), W2 = kb_from(d.W2, d.nw2, k->f64);
        kbuf x = kb_from(d.x, n * d.din, k->f64), dy = kb_from(d.dy, n * d.dout, k->f64);
        kbuf y = kb_new(n * d.dout, k->f64), y2 = kb_new(n * d.dout, k->f64);
        kbuf dx = kb_new(n * d.din, k->f64), dW1 = kb_new(d.nw1, k->f64);
        kbuf dW2 = kb_new(d.nw2, k->f64);
        double *ry = xmalloc(n * d.dout * sizeof *ry), *rdx = xmalloc(n * d.din * sizeof *rdx);
        double *rdW1 = xmalloc(d.nw1 * sizeof *rdW1), *rdW2 = xmalloc(d.nw2 * sizeof *rdW2);
        char who[160];
        snprintf(who, sizeof who, "%s n=%zu", k->name, n);

        btt_ref_forward(&k->sh, d.W1, d.W2, d.x, ry, n);
        CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, n, ws), 0);
        CU_ASSERT(compare(who, "y", &y, ry, n * d.dout, atol, rtol));
        /* deterministic: the same bits again, whatever the workspace held */
        memset(ws, 0x3C, wsb);
        CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y2.p, n, ws), 0);
        CU_ASSERT(memcmp(y.p, y2.p, n * d.dout * (k->f64 ? 8 : 4)) == 0);

        btt_ref_backward(&k->sh, d.W1, d.W2, d.x, d.dy, rdx, rdW1, rdW2, n);
        CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 0);
        CU_ASSERT(compare(who, "dx", &dx, rdx, n * d.din, atol, rtol));
        CU_ASSERT(compare(who, "dW1", &dW1, rdW1, d.nw1, atol, rtol));
        CU_ASSERT(compare(who, "dW2", &dW2, rdW2, d.nw2, atol, rtol));

        CU_ASSERT(kb_guard_ok(&y) && kb_guard_ok(&y2) && kb_guard_ok(&dx));
        CU_ASSERT(kb_guard_ok(&dW1) && kb_guard_ok(&dW2));
        CU_ASSERT(ws_guard_ok(ws, wsb));
        /* inputs are const */
        for (size_t i = 0; i < n * d.din; i++)
            if (kb_get(&x, i) != d.x[i]) {
                CU_FAIL("x was modified");
                break;
            }
        free(ry);
        free(rdx);
        free(rdW1);
        free(rdW2);
        kb_free(&W1);
        kb_free(&W2);
        kb_free(&x);
        kb_free(&dy);
        kb_free(&y);
        kb_free(&y2);
        kb_free(&dx);
        kb_free(&dW1);
        kb_free(&dW2);
        free(ws);
        mm_data_free(&d);
    }
}

/* f64: backward against central differences of the kernel's own forward,
 * at a spread of entries of W1, W2 and x */
static void mm_fd(const mm_kernel *k)
{
    const size_t n = 3;
    mm_data d;
    mm_data_make(k, n, 7, &d);
    unsigned char *ws = ws_new(k->ws(n, 1));
    kbuf W1 = kb_from(d.W1, d.nw1, 1), W2 = kb_from(d.W2, d.nw2, 1);
    kbuf x = kb_from(d.x, n * d.din, 1), dy = kb_from(d.dy, n * d.dout, 1);
    kbuf dx = kb_new(n * d.din, 1), dW1 = kb_new(d.nw1, 1), dW2 = kb_new(d.nw2, 1);
    CU_ASSERT_EQUAL_FATAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 0);
    kbuf *param[3] = {&W1, &W2, &x}, *grad[3] = {&dW1, &dW2, &dx};
    const char *names[3] = {"dW1", "dW2", "dx"};
    int checked = 0;
    for (int p = 0; p < 3; p++) {
        size_t cnt = param[p]->n, step = cnt / 13 + 1;
        for (size_t i = 0; i < cnt; i += step) {
            size_t at = (i + 3 * p) % cnt; /* covers first/last-ish entries over p */
            double keep = kb_get(param[p], at), h = FD_H * (1 + fabs(keep));
            kb_set(param[p], at, keep + h);
            double lp = mm_loss(k, &W1, &W2, &x, d.dy, n, ws);
            kb_set(param[p], at, keep - h);
            double lm = mm_loss(k, &W1, &W2, &x, d.dy, n, ws);
            kb_set(param[p], at, keep);
            double fd = (lp - lm) / (2 * h), an = kb_get(grad[p], at);
            if (!(fabs(fd - an) <= FD_ATOL + FD_RTOL * fabs(fd))) {
                printf("\n    %s %s[%zu]: backward %.12g, differences %.12g", k->name, names[p],
                       at, an, fd);
                CU_FAIL("finite differences");
            }
            checked++;
        }
    }
    CU_ASSERT(checked > 0);
    kb_free(&W1);
    kb_free(&W2);
    kb_free(&x);
    kb_free(&dy);
    kb_free(&dx);
    kb_free(&dW1);
    kb_free(&dW2);
    free(ws);
    mm_data_free(&d);
}

/* 1 for NULL buffers and n = 0; 2 for non-finite inputs (outputs written) */
static void mm_args(const mm_kernel *k)
{
    const size_t n = 5;
    mm_data d;
    mm_data_make(k, n, 11, &d);
    unsigned char *ws = ws_new(k->ws(n, 1));
    kbuf W1 = kb_from(d.W1, d.nw1, k->f64), W2 = kb_from(d.W2, d.nw2, k->f64);
    kbuf x = kb_from(d.x, n * d.din, k->f64), dy = kb_from(d.dy, n * d.dout, k->f64);
    kbuf y = kb_new(n * d.dout, k->f64), dx = kb_new(n * d.din, k->f64);
    kbuf dW1 = kb_new(d.nw1, k->f64), dW2 = kb_new(d.nw2, k->f64);
    CU_ASSERT_EQUAL(k->fwd(NULL, W2.p, x.p, y.p, n, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(W1.p, NULL, x.p, y.p, n, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, NULL, y.p, n, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, NULL, n, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, n, NULL), 1);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, 0, ws), 1);
    void *bp[9] = {W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, NULL, ws};
    for (int i = 0; i < 9; i++) {
        if (i == 7)
            continue;
        void *keep = bp[i];
        bp[i] = NULL;
        CU_ASSERT_EQUAL(k->bwd(bp[0], bp[1], bp[2], bp[3], bp[4], bp[5], bp[6], n, bp[8]), 1);
        bp[i] = keep;
    }
    CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, 0, ws), 1);
    CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 0);
    /* a NaN in x (last row, last element), an inf in a core, an inf in dy */
    kb_set(&x, n * d.din - 1, NAN);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, n, ws), 2);
    CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 2);
    kb_set(&x, n * d.din - 1, d.x[n * d.din - 1]);
    kb_set(&W2, 0, INFINITY);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, n, ws), 2);
    kb_set(&W2, 0, d.W2[0]);
    kb_set(&dy, 0, INFINITY);
    CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 2);
    kb_set(&dy, 0, d.dy[0]);
    CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, y.p, n, ws), 0);
    CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, dx.p, dW1.p, dW2.p, n, ws), 0);
    kb_free(&W1);
    kb_free(&W2);
    kb_free(&x);
    kb_free(&dy);
    kb_free(&y);
    kb_free(&dx);
    kb_free(&dW1);
    kb_free(&dW2);
    free(ws);
    mm_data_free(&d);
}

/* ---- attention ---- */

typedef struct {
    size_t batch, heads, nx, nw1, nw2, nv, nl, nln;
    double *x, *W1, *W2, *v, *dout, *lw, *lb; /* lw, lb: [heads][D], around 1 and 0 */
} at_data;

static void at_data_make(const at_kernel *k, size_t batch, size_t heads, uint64_t seed,
                         at_data *d)
{
    const btt_attn *a = &k->a;
    size_t T = (size_t)a->T, D = btt_d_in(&a->sh);
    rng_seed(seed);
    d->batch = batch;
    d->heads = heads;
    d->nx = batch * T * D;
    d->nw1 = heads * btt_w1_size(&a->sh);
    d->nw2 = heads * btt_w2_size(&a->sh);
    d->nv = batch * heads * T * (size_t)a->dv;
    d->nl = batch * heads * T;
    d->x = fill(d->nx, 1, k->f64);
    d->W1 = fill(d->nw1, 1 / sqrt((double)a->sh.m0), k->f64);
    d->W2 = fill(d->nw2, 1 / sqrt((double)a->sh.m1 * a->sh.s), k->f64);
    d->v = fill(d->nv, 1, k->f64);
    d->dout = fill(d->nv, 1, k->f64);
    d->nln = heads * D;
    d->lw = fill(d->nln, 0.5, k->f64);
    d->lb = fill(d->nln, 0.5, k->f64);
    for (size_t i = 0; i < d->nln; i++)
        d->lw[i] = k->f64 ? d->lw[i] + 1 : (double)(float)(d->lw[i] + 1);
}

static void at_data_free(at_data *d)
{
    free(d->x);
    free(d->W1);
    free(d->W2);
    free(d->v);
    free(d->dout);
    free(d->lw);
    free(d->lb);
}

static double at_loss(const at_kernel *k, kbuf *const in[6], const double *dout,
                      const at_data *d, unsigned char *ws)
{
    kbuf o = kb_new(d->nv, k->f64);
    double l = 0;
    CU_ASSERT_EQUAL(k->fwd(in[0]->p, in[1]->p, in[2]->p, in[3]->p, in[4]->p, in[5]->p, o.p, NULL,
                           d->batch, d->heads, ws),
                    0);
    for (size_t i = 0; i < d->nv; i++)
        l += dout[i] * kb_get(&o, i);
    kb_free(&o);
    return l;
}

static void at_accuracy(const at_kernel *k)
{
    static const size_t shapes[][2] = {{1, 1}, {2, 3}};
    double atol = k->f64 ? F64_ATOL : AT_F32_ATOL, rtol = k->f64 ? F64_RTOL : AT_F32_RTOL;
    CU_ASSERT_EQUAL(k->h_j1, k->a.j1_major);
    CU_ASSERT_EQUAL(k->h_affine, k->a.affine);
    for (size_t t = 0; t < 2; t++) {
        at_data d;
        at_data_make(k, shapes[t][0], shapes[t][1], 40 + t, &d);
        size_t wsb = k->ws(d.batch, d.heads);
        unsigned char *ws = ws_new(wsb);
        kbuf x = kb_from(d.x, d.nx, k->f64), W1 = kb_from(d.W1, d.nw1, k->f64);
        kbuf W2 = kb_from(d.W2, d.nw2, k->f64), v = kb_from(d.v, d.nv, k->f64);
        kbuf dout = kb_from(d.dout, d.nv, k->f64);
        kbuf lw = kb_from(d.lw, d.nln, k->f64), lb = kb_from(d.lb, d.nln, k->f64);
        kbuf o = kb_new(d.nv, k->f64), o2 = kb_new(d.nv, k->f64), lse = kb_new(d.nl, k->f64);
        kbuf dx = kb_new(d.nx, k->f64), dW1 = kb_new(d.nw1, k->f64);
        kbuf dW2 = kb_new(d.nw2, k->f64), dv = kb_new(d.nv, k->f64);
        kbuf dlw = kb_new(d.nln, k->f64), dlb = kb_new(d.nln, k->f64);
        double *ro = xmalloc(d.nv * sizeof *ro), *rl = xmalloc(d.nl * sizeof *rl);
        double *rdx = xmalloc(d.nx * sizeof *rdx), *rdW1 = xmalloc(d.nw1 * sizeof *rdW1);
        double *rdW2 = xmalloc(d.nw2 * sizeof *rdW2), *rdv = xmalloc(d.nv * sizeof *rdv);
        double *rdlw = xmalloc(d.nln * sizeof *rdlw), *rdlb = xmalloc(d.nln * sizeof *rdlb);
        char who[160];
        snprintf(who, sizeof who, "%s batch=%zu heads=%zu", k->name, d.batch, d.heads);

        btt_ref_attn_forward(&k->a, d.x, d.W1, d.W2, d.lw, d.lb, d.v, ro, rl, d.batch, d.heads);
        CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, d.batch, d.heads, ws),
                        0);
        CU_ASSERT(compare(who, "o", &o, ro, d.nv, atol, rtol));
        CU_ASSERT(compare(who, "lse", &lse, rl, d.nl, atol, rtol));
        memset(ws, 0x3C, wsb);
        CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o2.p, NULL, d.batch, d.heads, ws),
                        0);
        CU_ASSERT(memcmp(o.p, o2.p, d.nv * (k->f64 ? 8 : 4)) == 0);

        btt_ref_attn_backward(&k->a, d.x, d.W1, d.W2, d.lw, d.lb, d.v, d.dout, rdx, rdW1, rdW2,
                              rdlw, rdlb, rdv, d.batch, d.heads);
        CU_ASSERT_EQUAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p, dW1.p,
                               dW2.p, dlw.p, dlb.p, dv.p, d.batch, d.heads, ws),
                        0);
        CU_ASSERT(compare(who, "dx", &dx, rdx, d.nx, atol, rtol));
        CU_ASSERT(compare(who, "dW1", &dW1, rdW1, d.nw1, atol, rtol));
        CU_ASSERT(compare(who, "dW2", &dW2, rdW2, d.nw2, atol, rtol));
        CU_ASSERT(compare(who, "dv", &dv, rdv, d.nv, atol, rtol));
        if (k->a.affine) {
            CU_ASSERT(compare(who, "dln_weight", &dlw, rdlw, d.nln, atol, rtol));
            CU_ASSERT(compare(who, "dln_bias", &dlb, rdlb, d.nln, atol, rtol));
        }
        CU_ASSERT(kb_guard_ok(&o) && kb_guard_ok(&o2) && kb_guard_ok(&lse));
        CU_ASSERT(kb_guard_ok(&dx) && kb_guard_ok(&dW1) && kb_guard_ok(&dW2) &&
                  kb_guard_ok(&dv));
        CU_ASSERT(ws_guard_ok(ws, wsb));
        free(ro);
        free(rl);
        free(rdx);
        free(rdW1);
        free(rdW2);
        free(rdv);
        free(rdlw);
        free(rdlb);
        kb_free(&lw);
        kb_free(&lb);
        kb_free(&dlw);
        kb_free(&dlb);
        kb_free(&x);
        kb_free(&W1);
        kb_free(&W2);
        kb_free(&v);
        kb_free(&dout);
        kb_free(&o);
        kb_free(&o2);
        kb_free(&lse);
        kb_free(&dx);
        kb_free(&dW1);
        kb_free(&dW2);
        kb_free(&dv);
        free(ws);
        at_data_free(&d);
    }
}

static void at_fd(const at_kernel *k)
{
    at_data d;
    at_data_make(k, 2, 2, 9, &d);
    unsigned char *ws = ws_new(k->ws(d.batch, d.heads));
    kbuf x = kb_from(d.x, d.nx, 1), W1 = kb_from(d.W1, d.nw1, 1);
    kbuf W2 = kb_from(d.W2, d.nw2, 1), v = kb_from(d.v, d.nv, 1);
    kbuf dout = kb_from(d.dout, d.nv, 1), o = kb_new(d.nv, 1), lse = kb_new(d.nl, 1);
    kbuf dx = kb_new(d.nx, 1), dW1 = kb_new(d.nw1, 1), dW2 = kb_new(d.nw2, 1);
    kbuf dv = kb_new(d.nv, 1), lw = kb_from(d.lw, d.nln, 1), lb = kb_from(d.lb, d.nln, 1);
    kbuf dlw = kb_new(d.nln, 1), dlb = kb_new(d.nln, 1);
    CU_ASSERT_EQUAL_FATAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, d.batch, d.heads,
                                 ws),
                          0);
    CU_ASSERT_EQUAL_FATAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p,
                                 dW1.p, dW2.p, dlw.p, dlb.p, dv.p, d.batch, d.heads, ws),
                          0);
    kbuf *const in[6] = {&x, &W1, &W2, &lw, &lb, &v};
    kbuf *param[6] = {&x, &W1, &W2, &v, &lw, &lb}, *grad[6] = {&dx, &dW1, &dW2, &dv, &dlw, &dlb};
    const char *names[6] = {"dx", "dW1", "dW2", "dv", "dln_weight", "dln_bias"};
    int checked = 0;
    for (int p = 0; p < (k->a.affine ? 6 : 4); p++) {
        size_t cnt = param[p]->n, step = cnt / 11 + 1;
        for (size_t i = 0; i < cnt; i += step) {
            size_t at = (i + 5 * p) % cnt;
            double keep = kb_get(param[p], at), h = FD_H * (1 + fabs(keep));
            kb_set(param[p], at, keep + h);
            double lp = at_loss(k, in, d.dout, &d, ws);
            kb_set(param[p], at, keep - h);
            double lm = at_loss(k, in, d.dout, &d, ws);
            kb_set(param[p], at, keep);
            double fd = (lp - lm) / (2 * h), an = kb_get(grad[p], at);
            if (!(fabs(fd - an) <= FD_ATOL + FD_RTOL * fabs(fd))) {
                printf("\n    %s %s[%zu]: backward %.12g, differences %.12g", k->name, names[p],
                       at, an, fd);
                CU_FAIL("finite differences");
            }
            checked++;
        }
    }
    CU_ASSERT(checked > 0);
    kb_free(&lw);
    kb_free(&lb);
    kb_free(&dlw);
    kb_free(&dlb);
    kb_free(&x);
    kb_free(&W1);
    kb_free(&W2);
    kb_free(&v);
    kb_free(&dout);
    kb_free(&o);
    kb_free(&lse);
    kb_free(&dx);
    kb_free(&dW1);
    kb_free(&dW2);
    kb_free(&dv);
    free(ws);
    at_data_free(&d);
}

static void at_args(const at_kernel *k)
{
    at_data d;
    at_data_make(k, 1, 2, 13, &d);
    unsigned char *ws = ws_new(k->ws(d.batch, d.heads));
    kbuf x = kb_from(d.x, d.nx, k->f64), W1 = kb_from(d.W1, d.nw1, k->f64);
    kbuf W2 = kb_from(d.W2, d.nw2, k->f64), v = kb_from(d.v, d.nv, k->f64);
    kbuf dout = kb_from(d.dout, d.nv, k->f64), o = kb_new(d.nv, k->f64);
    kbuf lse = kb_new(d.nl, k->f64), dx = kb_new(d.nx, k->f64), dW1 = kb_new(d.nw1, k->f64);
    kbuf dW2 = kb_new(d.nw2, k->f64), dv = kb_new(d.nv, k->f64);
    kbuf lw = kb_from(d.lw, d.nln, k->f64), lb = kb_from(d.lb, d.nln, k->f64);
    kbuf dlw = kb_new(d.nln, k->f64), dlb = kb_new(d.nln, k->f64);
    /* every pointer but lse (forward) is required; ln_* only with the affine */
    void *fp[8] = {x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, ws};
    for (int i = 0; i < 8; i++) {
        void *keep = fp[i];
        if ((i == 3 || i == 4) && !k->a.affine)
            continue;
        fp[i] = NULL;
        CU_ASSERT_EQUAL(k->fwd(fp[0], fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], lse.p, 1, 2, fp[7]),
                        1);
        fp[i] = keep;
    }
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 0, 2, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 1, 0, ws), 1);
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 1, 2, ws), 0);
    void *bp[16] = {x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p, dW1.p, dW2.p,
                    dlw.p, dlb.p, dv.p, ws};
    for (int i = 0; i < 16; i++) {
        void *keep = bp[i];
        if ((i == 3 || i == 4 || i == 12 || i == 13) && !k->a.affine)
            continue;
        bp[i] = NULL;
        CU_ASSERT_EQUAL(k->bwd(bp[0], bp[1], bp[2], bp[3], bp[4], bp[5], bp[6], bp[7], bp[8],
                               bp[9], bp[10], bp[11], bp[12], bp[13], bp[14], 1, 2, bp[15]),
                        1);
        bp[i] = keep;
    }
    CU_ASSERT_EQUAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p, dW1.p,
                           dW2.p, dlw.p, dlb.p, dv.p, 0, 2, ws),
                    1);
    CU_ASSERT_EQUAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p, dW1.p,
                           dW2.p, dlw.p, dlb.p, dv.p, 1, 2, ws),
                    0);
    /* non-finite: a NaN in x, an inf in v */
    kb_set(&x, d.nx - 1, NAN);
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 1, 2, ws), 2);
    kb_set(&x, d.nx - 1, d.x[d.nx - 1]);
    kb_set(&v, 0, INFINITY);
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 1, 2, ws), 2);
    CU_ASSERT_EQUAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, dout.p, dx.p, dW1.p,
                           dW2.p, dlw.p, dlb.p, dv.p, 1, 2, ws),
                    2);
    kb_set(&v, 0, d.v[0]);
    CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o.p, lse.p, 1, 2, ws), 0);
    kb_free(&x);
    kb_free(&W1);
    kb_free(&W2);
    kb_free(&v);
    kb_free(&dout);
    kb_free(&o);
    kb_free(&lse);
    kb_free(&dx);
    kb_free(&dW1);
    kb_free(&dW2);
    kb_free(&dv);
    kb_free(&lw);
    kb_free(&lb);
    kb_free(&dlw);
    kb_free(&dlb);
    free(ws);
    at_data_free(&d);
}

/* ---- suites: one test per kernel and property ---- */

#define MAX_TESTS 256
static const mm_kernel *mm_current[MAX_TESTS];
static const at_kernel *at_current[MAX_TESTS];

/* CUnit tests take no argument: one trampoline per registry slot a*8+b */
#define SLOT(a, b)                                                                           \
    static void mm_acc_##a##b(void) { mm_accuracy(mm_current[a * 8 + b]); }                  \
    static void mm_fd_##a##b(void) { mm_fd(mm_current[a * 8 + b]); }                         \
    static void mm_args_##a##b(void) { mm_args(mm_current[a * 8 + b]); }                     \
    static void at_acc_##a##b(void) { at_accuracy(at_current[a * 8 + b]); }                  \
    static void at_fd_##a##b(void) { at_fd(at_current[a * 8 + b]); }                         \
    static void at_args_##a##b(void) { at_args(at_current[a * 8 + b]); }
#define SLOTS8(a)                                                                            \
    SLOT(a, 0) SLOT(a, 1) SLOT(a, 2) SLOT(a, 3) SLOT(a, 4) SLOT(a, 5) SLOT(a, 6) SLOT(a, 7)
SLOTS8(0) SLOTS8(1) SLOTS8(2) SLOTS8(3) SLOTS8(4) SLOTS8(5) SLOTS8(6) SLOTS8(7)
#define FNS(a, b)                                                                            \
    {mm_acc_##a##b, mm_fd_##a##b, mm_args_##a##b, at_acc_##a##b, at_fd_##a##b, at_args_##a##b},
#define FNS8(a)                                                                              \
    FNS(a, 0) FNS(a, 1) FNS(a, 2) FNS(a, 3) FNS(a, 4) FNS(a, 5) FNS(a, 6) FNS(a, 7)
static CU_TestFunc slot_fns[][6] = {FNS8(0) FNS8(1) FNS8(2) FNS8(3) FNS8(4) FNS8(5) FNS8(6)
                                        FNS8(7)};
#define NSLOTS (sizeof slot_fns / sizeof slot_fns[0])

static int add_kernel_suites(void)
{
    CU_pSuite acc = CU_add_suite("btt_matmul_accuracy", NULL, NULL);
    CU_pSuite fd = CU_add_suite("btt_matmul_finite_differences", NULL, NULL);
    CU_pSuite arg = CU_add_suite("btt_matmul_args", NULL, NULL);
    CU_pSuite aacc = CU_add_suite("btt_attention_accuracy", NULL, NULL);
    CU_pSuite afd = CU_add_suite("btt_attention_finite_differences", NULL, NULL);
    CU_pSuite aarg = CU_add_suite("btt_attention_args", NULL, NULL);
    size_t slot = 0;
    if (!acc || !fd || !arg || !aacc || !afd || !aarg)
        return 0;
    for (const mm_kernel *k = mm_kernels; k->name; k++) {
        if (!k->cpu_supported()) {
            printf("skipping %s: this CPU lacks its ISA\n", k->name);
            continue;
        }
        if (slot >= NSLOTS)
            return 0;
        mm_current[slot] = k;
        if (!CU_add_test(acc, k->name, slot_fns[slot][0]) ||
            (k->f64 && !CU_add_test(fd, k->name, slot_fns[slot][1])) ||
            !CU_add_test(arg, k->name, slot_fns[slot][2]))
            return 0;
        slot++;
    }
    slot = 0;
    for (const at_kernel *k = at_kernels; k->name; k++) {
        if (!k->cpu_supported()) {
            printf("skipping %s: this CPU lacks its ISA\n", k->name);
            continue;
        }
        if (slot >= NSLOTS)
            return 0;
        at_current[slot] = k;
        if (!CU_add_test(aacc, k->name, slot_fns[slot][3]) ||
            (k->f64 && !CU_add_test(afd, k->name, slot_fns[slot][4])) ||
            !CU_add_test(aarg, k->name, slot_fns[slot][5]))
            return 0;
        slot++;
    }
    return 1;
}

#ifdef _OPENMP
#include <omp.h>
/* The outputs (nf buffers each) of runs on 1, 2, 3 threads: the same bytes;
 * frees them and puts the thread count back to 1. */
static void same_bytes_3(const char *name, kbuf *o1, kbuf *o2, kbuf *o3, int nf, size_t es)
{
    omp_set_num_threads(1);
    for (int f = 0; f < nf; f++) {
        CU_ASSERT(memcmp(o1[f].p, o2[f].p, o1[f].n * es) == 0);
        CU_ASSERT(memcmp(o1[f].p, o3[f].p, o1[f].n * es) == 0);
        kb_free(&o1[f]);
        kb_free(&o2[f]);
        kb_free(&o3[f]);
    }
    printf("\n  %s: 1, 2, 3 threads compared", name);
}

/* threads = "openmp" matmuls built with OpenMP: 1, 2 and 3 threads give the
 * same bytes (the row tiles run in groups fixed by the sizes; the groups'
 * gradient accumulators are summed in group order). */
static void test_mm_threads(void)
{
    const size_t n = 1000; /* several row tiles, so several groups */
    for (const mm_kernel *k = mm_kernels; k->name; k++) {
        if (!k->cpu_supported())
            continue;
        mm_data d;
        mm_data_make(k, n, 7, &d);
        kbuf W1 = kb_from(d.W1, d.nw1, k->f64), W2 = kb_from(d.W2, d.nw2, k->f64);
        kbuf x = kb_from(d.x, n * d.din, k->f64), dy = kb_from(d.dy, n * d.dout, k->f64);
        const size_t es = k->f64 ? 8 : 4;
        kbuf out[3][4];
        for (int nt = 1; nt <= 3; nt++) {
            kbuf *o = out[nt - 1];
            unsigned char *ws = ws_new(k->ws(n, 1));
            o[0] = kb_new(n * d.dout, k->f64), o[1] = kb_new(n * d.din, k->f64);
            o[2] = kb_new(d.nw1, k->f64), o[3] = kb_new(d.nw2, k->f64);
            omp_set_num_threads(nt);
            CU_ASSERT_EQUAL(k->fwd(W1.p, W2.p, x.p, o[0].p, n, ws), 0);
            CU_ASSERT_EQUAL(k->bwd(W1.p, W2.p, x.p, dy.p, o[1].p, o[2].p, o[3].p, n, ws), 0);
            free(ws);
        }
        same_bytes_3(k->name, out[0], out[1], out[2], 4, es);
        kb_free(&W1);
        kb_free(&W2);
        kb_free(&x);
        kb_free(&dy);
        mm_data_free(&d);
    }
}

/* threads = "openmp" attention built with OpenMP: 1, 2 and 3 threads give
 * the same bytes ((batch, head) pairs on their own; the backward's head
 * groups fixed by the sizes, their dx partials summed in group order). */
static void test_at_threads(void)
{
    for (const at_kernel *k = at_kernels; k->name; k++) {
        if (!k->cpu_supported())
            continue;
        at_data d;
        at_data_make(k, 2, 5, 9, &d);
        kbuf x = kb_from(d.x, d.nx, k->f64), W1 = kb_from(d.W1, d.nw1, k->f64);
        kbuf W2 = kb_from(d.W2, d.nw2, k->f64), v = kb_from(d.v, d.nv, k->f64);
        kbuf dout = kb_from(d.dout, d.nv, k->f64);
        kbuf lw = kb_from(d.lw, d.nln, k->f64), lb = kb_from(d.lb, d.nln, k->f64);
        const size_t es = k->f64 ? 8 : 4;
        kbuf out[3][8];
        for (int nt = 1; nt <= 3; nt++) {
            kbuf *o = out[nt - 1];
            unsigned char *ws = ws_new(k->ws(d.batch, d.heads));
            o[0] = kb_new(d.nv, k->f64), o[1] = kb_new(d.nl, k->f64), o[2] = kb_new(d.nx, k->f64);
            o[3] = kb_new(d.nw1, k->f64), o[4] = kb_new(d.nw2, k->f64), o[5] = kb_new(d.nv, k->f64);
            o[6] = kb_new(d.nln, k->f64), o[7] = kb_new(d.nln, k->f64);
            omp_set_num_threads(nt);
            CU_ASSERT_EQUAL(k->fwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o[0].p, o[1].p, d.batch,
                                   d.heads, ws),
                            0);
            CU_ASSERT_EQUAL(k->bwd(x.p, W1.p, W2.p, lw.p, lb.p, v.p, o[0].p, o[1].p, dout.p,
                                   o[2].p, o[3].p, o[4].p, o[6].p, o[7].p, o[5].p, d.batch,
                                   d.heads, ws),
                            0);
            free(ws);
        }
        /* (dln_*: not written without the affine) */
        same_bytes_3(k->name, out[0], out[1], out[2], 8, es);
        kb_free(&lw);
        kb_free(&lb);
        kb_free(&x);
        kb_free(&W1);
        kb_free(&W2);
        kb_free(&v);
        kb_free(&dout);
        at_data_free(&d);
    }
}
#endif

int main(void)
{
    unsigned failures;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite ref = CU_add_suite("btt_reference", NULL, NULL);
    if (!ref || !CU_add_test(ref, "dense W and core gradients", test_ref_dense) ||
        !add_kernel_suites()) {
        fprintf(stderr, "test_btt: CUnit setup failed: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
#ifdef _OPENMP
    CU_pSuite th = CU_add_suite("btt_threads", NULL, NULL);
    if (!th || !CU_add_test(th, "the same bytes for 1, 2, 3 threads", test_mm_threads) ||
        !CU_add_test(th, "attention: the same bytes for 1, 2, 3 threads", test_at_threads)) {
        fprintf(stderr, "test_btt: CUnit setup failed: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
#endif
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
