/* CUnit tests of btt (op "matmul" and "attention") on the OpenCL target: every (C, OpenCL)
 * pair of test kernels written by btt_opencl.cmake runs on the same inputs,
 * the C kernel on the CPU, the OpenCL one on the default OpenCL device (PoCL
 * in CI), forward and backward, through the host-pointer entry points and
 * the cl_mem ones; plus argument checks, the non-finite status (2) and
 * run-to-run determinism of the weight gradients.  The C target is itself
 * checked against dense references and finite differences by test_btt.
 *
 * Tolerance (XNNPACK style, |got - ref| <= atol + rtol * |ref|): f32 atol
 * 2e-5, rtol 1e-5; f64 atol 1e-13, rtol 1e-13 (inputs in [-1, 1], outputs
 * up to about 10; the two targets sum in different orders; on PoCL the
 * largest differences seen were 2e-6 (f32) and 2e-15 (f64)).  The cl_mem entry points must agree
 * with the host-pointer ones bit for bit (same device, same kernels).
 *
 * Exits 77 (ctest: skipped) when no OpenCL device can be had.  f64 kernels
 * are skipped (with a note) on a device without cl_khr_fp64. */
#define _ISOC11_SOURCE /* aligned_alloc */
#include "myogen_cl.h"
#include "btt_opencl_test_kernels.h" /* the generated headers */

#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fw_fn)(const void *, const void *, const void *, void *, size_t, void *);
typedef int (*bw_fn)(const void *, const void *, const void *, const void *, void *, void *,
                     void *, size_t, void *);
typedef size_t (*ws_fn)(size_t, size_t);
typedef int (*clfw_fn)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, size_t, cl_mem);
typedef int (*clbw_fn)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem,
                       size_t, cl_mem);

typedef struct {
    const char *name;
    int f64;
    size_t d_in, d_out, nw1, nw2;
    fw_fn ref_fw, ocl_fw;
    bw_fn ref_bw, ocl_bw;
    ws_fn ref_ws, ocl_ws, ocl_cl_ws;
    clfw_fn ocl_clfw;
    clbw_fn ocl_clbw;
} pair;

#define WRAP(K)                                                                                \
    static int K##_fw_(const void *a, const void *b, const void *x, void *y, size_t n,        \
                       void *w)                                                                \
    {                                                                                          \
        return K##_forward(a, b, x, y, n, w);                                                  \
    }                                                                                          \
    static int K##_bw_(const void *a, const void *b, const void *x, const void *dy, void *dx, \
                       void *g1, void *g2, size_t n, void *w)                                  \
    {                                                                                          \
        return K##_backward(a, b, x, dy, dx, g1, g2, n, w);                                    \
    }
/* attention: one signature for both key norms (ln_*: passed where the
 * kernel takes them, key_norm "layernorm_affine": LN = 1) */
#define LN_0(w, b)
#define LN_1(w, b) w, b,
#define WRAP_ATTN(K, LN)                                                                       \
    static int K##_fw_(const void *x, const void *a, const void *b, const void *lw,           \
                       const void *lb, const void *v, void *o, void *lse, size_t B, size_t H, \
                       void *w)                                                                \
    {                                                                                          \
        (void)lw, (void)lb;                                                                    \
        return K##_forward(x, a, b, LN_##LN(lw, lb) v, o, lse, B, H, w);                       \
    }                                                                                          \
    static int K##_bw_(const void *x, const void *a, const void *b, const void *lw,           \
                       const void *lb, const void *v, const void *o, const void *lse,          \
                       const void *dout, void *dx, void *g1, void *g2, void *dlw, void *dlb,   \
                       void *dv, size_t B, size_t H, void *w)                                  \
    {                                                                                          \
        (void)lw, (void)lb, (void)dlw, (void)dlb;                                              \
        return K##_backward(x, a, b, LN_##LN(lw, lb) v, o, lse, dout, dx, g1, g2,              \
                            LN_##LN(dlw, dlb) dv, B, H, w);                                    \
    }
#define WRAP_CLFW(K, LN)                                                                       \
    static int K##_clfw_(cl_command_queue q, cl_mem x, cl_mem a, cl_mem b, cl_mem lw,         \
                         cl_mem lb, cl_mem v, cl_mem o, cl_mem lse, size_t B, size_t H,        \
                         cl_mem w)                                                             \
    {                                                                                          \
        (void)lw, (void)lb;                                                                    \
        return K##_cl_forward(q, x, a, b, LN_##LN(lw, lb) v, o, lse, B, H, w);                 \
    }
#define BTTCL_PAIR(R, O) WRAP(R) WRAP(O)
#define BTTCL_ATTN(R, O) WRAP_ATTN(R, 0) WRAP_ATTN(O, 0) WRAP_CLFW(O, 0)
#define BTTCL_ATTN_LN(R, O) WRAP_ATTN(R, 1) WRAP_ATTN(O, 1) WRAP_CLFW(O, 1)
#include "btt_opencl_test_kernels.h"
#undef BTTCL_PAIR
#undef BTTCL_ATTN
#undef BTTCL_ATTN_LN

static const pair pairs[] = {
#define BTTCL_PAIR(R, O)                                                                       \
    {#O,                                                                                       \
     R##_DTYPE_F64,                                                                            \
     R##_D_IN,                                                                                 \
     R##_D_OUT,                                                                                \
     (size_t)R##_M1 * R##_M0 * R##_N0 * R##_RANK,                                              \
     (size_t)R##_N0 * R##_M1 * R##_RANK * R##_N1,                                              \
     R##_fw_,                                                                                  \
     O##_fw_,                                                                                  \
     R##_bw_,                                                                                  \
     O##_bw_,                                                                                  \
     R##_workspace_size,                                                                       \
     O##_workspace_size,                                                                       \
     O##_cl_workspace_size,                                                                    \
     O##_cl_forward,                                                                           \
     O##_cl_backward},
#define BTTCL_ATTN(R, O)
#define BTTCL_ATTN_LN(R, O)
#include "btt_opencl_test_kernels.h"
#undef BTTCL_PAIR
#undef BTTCL_ATTN
#undef BTTCL_ATTN_LN
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

/* op "attention": x, W1, W2, ln_w, ln_b, v, ... (ln_*: the LayerNorm affine's) */
typedef int (*afw_fn)(const void *, const void *, const void *, const void *, const void *,
                      const void *, void *, void *, size_t, size_t, void *);
typedef int (*abw_fn)(const void *, const void *, const void *, const void *, const void *,
                      const void *, const void *, const void *, const void *, void *, void *,
                      void *, void *, void *, void *, size_t, size_t, void *);
typedef int (*aclfw_fn)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem,
                        cl_mem, size_t, size_t, cl_mem);
typedef struct {
    pair p; /* name, f64, d_in = d_out = D, nw1, nw2 (per head) */
    size_t T, dv;
    afw_fn ref_fw, ocl_fw;
    abw_fn ref_bw, ocl_bw;
    ws_fn ref_ws, ocl_cl_ws;
    aclfw_fn ocl_clfw;
    int affine;
} apair;

static const apair apairs[] = {
#define BTTCL_PAIR(R, O)
#define BTTCL_ATTN(R, O)                                                                       \
    {{#O, R##_DTYPE_F64, R##_D_IN, R##_D_OUT, (size_t)R##_M1 * R##_M0 * R##_N0 * R##_RANK,     \
      (size_t)R##_N0 * R##_M1 * R##_RANK * R##_N1, NULL, NULL, NULL, NULL, NULL, NULL, NULL,   \
      NULL, NULL},                                                                             \
     R##_SEQ_LEN,                                                                              \
     R##_VALUE_DIM,                                                                            \
     R##_fw_,                                                                                  \
     O##_fw_,                                                                                  \
     R##_bw_,                                                                                  \
     O##_bw_,                                                                                  \
     R##_workspace_size,                                                                       \
     O##_cl_workspace_size,                                                                    \
     O##_clfw_,                                                                                \
     R##_KEY_NORM_AFFINE},
#define BTTCL_ATTN_LN(R, O) BTTCL_ATTN(R, O)
#include "btt_opencl_test_kernels.h"
#undef BTTCL_PAIR
#undef BTTCL_ATTN
#undef BTTCL_ATTN_LN
};
#define NAPAIRS (sizeof apairs / sizeof apairs[0])

static int have_fp64;
static cl_context ctx;
static cl_command_queue queue;

/* ---- buffers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static double urand(void) /* in [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void *arr(const pair *p, size_t n) /* zeroed, 64-byte aligned, at least 64 bytes */
{
    size_t bytes = (n * (p->f64 ? 8 : 4) + 63) / 64 * 64 + 64;
    void *a = aligned_alloc(64, bytes);
    memset(a, 0, bytes);
    return a;
}
static void *rand_arr(const pair *p, size_t n)
{
    void *a = arr(p, n);
    for (size_t i = 0; i < n; i++) {
        if (p->f64)
            ((double *)a)[i] = urand();
        else
            ((float *)a)[i] = (float)urand();
    }
    return a;
}
static double at(const pair *p, const void *a, size_t i)
{
    return p->f64 ? ((const double *)a)[i] : ((const float *)a)[i];
}

/* Counts the elements out of tolerance (printing the first few). */
static int compare(const pair *p, const char *what, const void *got, const void *ref, size_t n)
{
    const double atol = p->f64 ? 1e-13 : 2e-5, rtol = p->f64 ? 1e-13 : 1e-5;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const double g = at(p, got, i), r = at(p, ref, i);
        if (!(fabs(g - r) <= atol + rtol * fabs(r))) {
            if (bad++ < 3)
                printf("\n  %s %s[%zu]: got %.17g, C target %.17g", p->name, what, i, g, r);
        }
    }
    return bad;
}

static int skip(const pair *p)
{
    if (p->f64 && !have_fp64) {
        printf("\n  %s: skipped (the device has no cl_khr_fp64)", p->name);
        return 1;
    }
    return 0;
}

/* ---- tests ---- */

/* Host-pointer entry points vs the C target, forward and backward, for
 * odd batch sizes (1, 7, 37, and 300: several GPU row tiles and two chunks
 * of the weight gradients' sums); the backward run twice must agree exactly. */
static void test_vs_c(void)
{
    static const size_t ns[] = {1, 7, 37, 300};
    for (size_t k = 0; k < NPAIRS; k++) {
        const pair *p = &pairs[k];
        if (skip(p))
            continue;
        for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
            const size_t n = ns[in];
            void *W1 = rand_arr(p, p->nw1), *W2 = rand_arr(p, p->nw2);
            void *x = rand_arr(p, n * p->d_in), *dy = rand_arr(p, n * p->d_out);
            void *y0 = arr(p, n * p->d_out), *y1 = arr(p, n * p->d_out);
            void *dx0 = arr(p, n * p->d_in), *dx1 = arr(p, n * p->d_in);
            void *a0 = arr(p, p->nw1), *a1 = arr(p, p->nw1), *a2 = arr(p, p->nw1);
            void *b0 = arr(p, p->nw2), *b1 = arr(p, p->nw2), *b2 = arr(p, p->nw2);
            void *dx2 = arr(p, n * p->d_in);
            const size_t wsb = p->ref_ws(n, 1);
            void *ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64);
            CU_ASSERT_EQUAL(p->ocl_ws(n, 1), 0);
            CU_ASSERT_EQUAL_FATAL(p->ref_fw(W1, W2, x, y0, n, ws), 0);
            CU_ASSERT_EQUAL_FATAL(p->ocl_fw(W1, W2, x, y1, n, NULL), 0);
            CU_ASSERT_EQUAL(compare(p, "y", y1, y0, n * p->d_out), 0);
            CU_ASSERT_EQUAL_FATAL(p->ref_bw(W1, W2, x, dy, dx0, a0, b0, n, ws), 0);
            CU_ASSERT_EQUAL_FATAL(p->ocl_bw(W1, W2, x, dy, dx1, a1, b1, n, NULL), 0);
            CU_ASSERT_EQUAL(compare(p, "dx", dx1, dx0, n * p->d_in), 0);
            CU_ASSERT_EQUAL(compare(p, "dW1", a1, a0, p->nw1), 0);
            CU_ASSERT_EQUAL(compare(p, "dW2", b1, b0, p->nw2), 0);
            CU_ASSERT_EQUAL_FATAL(p->ocl_bw(W1, W2, x, dy, dx2, a2, b2, n, NULL), 0);
            const size_t es = p->f64 ? 8 : 4;
            CU_ASSERT(memcmp(dx2, dx1, n * p->d_in * es) == 0);
            CU_ASSERT(memcmp(a2, a1, p->nw1 * es) == 0);
            CU_ASSERT(memcmp(b2, b1, p->nw2 * es) == 0);
            free(W1), free(W2), free(x), free(dy), free(y0), free(y1), free(dx0), free(dx1);
            free(dx2), free(a0), free(a1), free(a2), free(b0), free(b1), free(b2), free(ws);
        }
    }
}

/* The cl_mem entry points on buffers made here: the same bits as the
 * host-pointer ones; then their argument checks. */
static void test_cl_mem(void)
{
    const size_t n = 9;
    for (size_t k = 0; k < NPAIRS; k++) {
        const pair *p = &pairs[k];
        if (skip(p))
            continue;
        const size_t es = p->f64 ? 8 : 4;
        void *W1 = rand_arr(p, p->nw1), *W2 = rand_arr(p, p->nw2);
        void *x = rand_arr(p, n * p->d_in), *dy = rand_arr(p, n * p->d_out);
        void *y0 = arr(p, n * p->d_out), *y1 = arr(p, n * p->d_out);
        void *dx0 = arr(p, n * p->d_in), *dx1 = arr(p, n * p->d_in);
        void *a0 = arr(p, p->nw1), *a1 = arr(p, p->nw1), *b0 = arr(p, p->nw2),
             *b1 = arr(p, p->nw2);
        cl_mem w1 = NULL, w2 = NULL, xb = NULL, dyb = NULL, yb = NULL, dxb = NULL, g1 = NULL,
               g2 = NULL, ws = NULL, small = NULL;
        const size_t wsb = p->ocl_cl_ws(n, 1);
        CU_ASSERT(wsb > 0);
        CU_ASSERT_EQUAL_FATAL(p->ocl_fw(W1, W2, x, y0, n, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(p->ocl_bw(W1, W2, x, dy, dx0, a0, b0, n, NULL), 0);
        int rc = myogen_cl_upload(ctx, W1, p->nw1 * es, &w1);
        rc |= myogen_cl_upload(ctx, W2, p->nw2 * es, &w2);
        rc |= myogen_cl_upload(ctx, x, n * p->d_in * es, &xb);
        rc |= myogen_cl_upload(ctx, dy, n * p->d_out * es, &dyb);
        rc |= myogen_cl_alloc(ctx, n * p->d_out * es, &yb);
        rc |= myogen_cl_alloc(ctx, n * p->d_in * es, &dxb);
        rc |= myogen_cl_alloc(ctx, p->nw1 * es, &g1);
        rc |= myogen_cl_alloc(ctx, p->nw2 * es, &g2);
        rc |= myogen_cl_alloc(ctx, wsb, &ws);
        rc |= myogen_cl_alloc(ctx, wsb - 1, &small);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(p->ocl_clfw(queue, w1, w2, xb, yb, n, ws), 0);
        CU_ASSERT_EQUAL(myogen_cl_download(queue, yb, y1, n * p->d_out * es), 0);
        CU_ASSERT(memcmp(y1, y0, n * p->d_out * es) == 0);
        CU_ASSERT_EQUAL(p->ocl_clbw(queue, w1, w2, xb, dyb, dxb, g1, g2, n, ws), 0);
        CU_ASSERT_EQUAL(myogen_cl_download(queue, dxb, dx1, n * p->d_in * es), 0);
        CU_ASSERT_EQUAL(myogen_cl_download(queue, g1, a1, p->nw1 * es), 0);
        CU_ASSERT_EQUAL(myogen_cl_download(queue, g2, b1, p->nw2 * es), 0);
        CU_ASSERT(memcmp(dx1, dx0, n * p->d_in * es) == 0);
        CU_ASSERT(memcmp(a1, a0, p->nw1 * es) == 0);
        CU_ASSERT(memcmp(b1, b0, p->nw2 * es) == 0);
        /* argument checks: 1, never an OpenCL error */
        CU_ASSERT_EQUAL(p->ocl_clfw(NULL, w1, w2, xb, yb, n, ws), 1);
        CU_ASSERT_EQUAL(p->ocl_clfw(queue, w1, w2, xb, yb, 0, ws), 1);
        CU_ASSERT_EQUAL(p->ocl_clfw(queue, NULL, w2, xb, yb, n, ws), 1);
        CU_ASSERT_EQUAL(p->ocl_clfw(queue, w1, w2, xb, yb, n, small), 1);
        CU_ASSERT_EQUAL(p->ocl_clfw(queue, w1, w2, xb, yb, n + 1, ws), 1); /* x too small */
        CU_ASSERT_EQUAL(p->ocl_clbw(queue, w1, w2, xb, dyb, dxb, g1, NULL, n, ws), 1);
        CU_ASSERT_EQUAL(p->ocl_clbw(queue, w1, w2, xb, dyb, dxb, g2, g1, n, ws),
                        p->nw1 == p->nw2 ? 0 : 1);
        CU_ASSERT_EQUAL(p->ocl_clbw(queue, w1, w2, xb, dyb, dxb, g1, g2, n, small), 1);
        myogen_cl_free(w1), myogen_cl_free(w2), myogen_cl_free(xb), myogen_cl_free(dyb);
        myogen_cl_free(yb), myogen_cl_free(dxb), myogen_cl_free(g1), myogen_cl_free(g2);
        myogen_cl_free(ws), myogen_cl_free(small);
        free(W1), free(W2), free(x), free(dy), free(y0), free(y1), free(dx0), free(dx1);
        free(a0), free(a1), free(b0), free(b1);
    }
}

/* Host entry points: invalid arguments give 1; an inf in x gives 2 (as the
 * C target), with the finite outputs still written. */
static void test_status(void)
{
    const size_t n = 3;
    for (size_t k = 0; k < NPAIRS; k++) {
        const pair *p = &pairs[k];
        if (skip(p))
            continue;
        void *W1 = rand_arr(p, p->nw1), *W2 = rand_arr(p, p->nw2);
        void *x = rand_arr(p, n * p->d_in), *dy = rand_arr(p, n * p->d_out);
        void *y = arr(p, n * p->d_out), *dx = arr(p, n * p->d_in);
        void *a = arr(p, p->nw1), *b = arr(p, p->nw2);
        CU_ASSERT_EQUAL(p->ocl_fw(NULL, W2, x, y, n, NULL), 1);
        CU_ASSERT_EQUAL(p->ocl_fw(W1, W2, x, NULL, n, NULL), 1);
        CU_ASSERT_EQUAL(p->ocl_fw(W1, W2, x, y, 0, NULL), 1);
        CU_ASSERT_EQUAL(p->ocl_bw(W1, W2, x, dy, dx, a, NULL, n, NULL), 1);
        CU_ASSERT_EQUAL(p->ocl_bw(W1, W2, x, NULL, dx, a, b, n, NULL), 1);
        /* row 2 of x gets an inf: y rows 0 and 1 stay finite */
        if (p->f64)
            ((double *)x)[2 * p->d_in] = INFINITY;
        else
            ((float *)x)[2 * p->d_in] = INFINITY;
        CU_ASSERT_EQUAL(p->ocl_fw(W1, W2, x, y, n, NULL), 2);
        CU_ASSERT(isfinite(at(p, y, 0)));
        CU_ASSERT_EQUAL(p->ocl_bw(W1, W2, x, dy, dx, a, b, n, NULL), 2);
        free(W1), free(W2), free(x), free(dy), free(y), free(dx), free(a), free(b);
    }
}

/* op "attention": host-pointer entry points vs the C target (batch 2,
 * heads 2), forward with and without lse, backward on the C target's o and
 * lse; one forward through the cl_mem entry point, bit for bit. */
static void test_attention(void)
{
    const size_t B = 2, H = 2;
    for (size_t k = 0; k < NAPAIRS; k++) {
        const apair *a = &apairs[k];
        const pair *p = &a->p;
        if (skip(p))
            continue;
        const size_t es = p->f64 ? 8 : 4, nx = B * a->T * p->d_in, rows = B * H * a->T;
        const size_t n1 = H * p->nw1, n2 = H * p->nw2, no = rows * a->dv;
        void *x = rand_arr(p, nx), *W1 = rand_arr(p, n1), *W2 = rand_arr(p, n2);
        void *v = rand_arr(p, no), *dout = rand_arr(p, no);
        void *o0 = arr(p, no), *o1 = arr(p, no), *o2 = arr(p, no), *l0 = arr(p, rows),
             *l1 = arr(p, rows);
        void *dx0 = arr(p, nx), *dx1 = arr(p, nx), *a0 = arr(p, n1), *a1 = arr(p, n1);
        void *b0 = arr(p, n2), *b1 = arr(p, n2), *dv0 = arr(p, no), *dv1 = arr(p, no);
        const size_t nln = H * p->d_in; /* the LayerNorm affine's (when the kernel has it) */
        void *lw = rand_arr(p, nln), *lb = rand_arr(p, nln), *dlw0 = arr(p, nln),
             *dlw1 = arr(p, nln), *dlb0 = arr(p, nln), *dlb1 = arr(p, nln);
        const size_t wsb = a->ref_ws(B, H);
        void *ws = aligned_alloc(64, (wsb + 63) / 64 * 64 + 64);
        CU_ASSERT_EQUAL_FATAL(a->ref_fw(x, W1, W2, lw, lb, v, o0, l0, B, H, ws), 0);
        CU_ASSERT_EQUAL_FATAL(a->ocl_fw(x, W1, W2, lw, lb, v, o1, l1, B, H, NULL), 0);
        CU_ASSERT_EQUAL(compare(p, "o", o1, o0, no), 0);
        CU_ASSERT_EQUAL(compare(p, "lse", l1, l0, rows), 0);
        CU_ASSERT_EQUAL(a->ocl_fw(x, W1, W2, lw, lb, v, o2, NULL, B, H, NULL), 0);
        CU_ASSERT(memcmp(o2, o1, no * es) == 0);
        CU_ASSERT_EQUAL_FATAL(a->ref_bw(x, W1, W2, lw, lb, v, o0, l0, dout, dx0, a0, b0, dlw0,
                                        dlb0, dv0, B, H, ws),
                              0);
        CU_ASSERT_EQUAL_FATAL(a->ocl_bw(x, W1, W2, lw, lb, v, o0, l0, dout, dx1, a1, b1, dlw1,
                                        dlb1, dv1, B, H, NULL),
                              0);
        CU_ASSERT_EQUAL(compare(p, "dx", dx1, dx0, nx), 0);
        CU_ASSERT_EQUAL(compare(p, "dW1", a1, a0, n1), 0);
        CU_ASSERT_EQUAL(compare(p, "dW2", b1, b0, n2), 0);
        CU_ASSERT_EQUAL(compare(p, "dv", dv1, dv0, no), 0);
        if (a->affine) {
            CU_ASSERT_EQUAL(compare(p, "dln_weight", dlw1, dlw0, nln), 0);
            CU_ASSERT_EQUAL(compare(p, "dln_bias", dlb1, dlb0, nln), 0);
        }
        { /* a second backward gives the same bits */
            void *dx2 = arr(p, nx), *a2 = arr(p, n1), *b2 = arr(p, n2), *dv2 = arr(p, no);
            void *dlw2 = arr(p, nln), *dlb2 = arr(p, nln);
            CU_ASSERT_EQUAL(a->ocl_bw(x, W1, W2, lw, lb, v, o0, l0, dout, dx2, a2, b2, dlw2, dlb2,
                                      dv2, B, H, NULL),
                            0);
            CU_ASSERT(memcmp(dx2, dx1, nx * es) == 0 && memcmp(a2, a1, n1 * es) == 0 &&
                      memcmp(b2, b1, n2 * es) == 0 && memcmp(dv2, dv1, no * es) == 0);
            CU_ASSERT(!a->affine ||
                      (memcmp(dlw2, dlw1, nln * es) == 0 && memcmp(dlb2, dlb1, nln * es) == 0));
            free(dx2), free(a2), free(b2), free(dv2), free(dlw2), free(dlb2);
        }
        /* invalid arguments */
        CU_ASSERT_EQUAL(a->ocl_fw(x, W1, W2, lw, lb, v, NULL, NULL, B, H, NULL), 1);
        CU_ASSERT_EQUAL(a->ocl_fw(x, W1, W2, lw, lb, v, o2, NULL, B, 0, NULL), 1);
        CU_ASSERT_EQUAL(a->ocl_bw(x, W1, W2, lw, lb, v, o0, NULL, dout, dx1, a1, b1, dlw1, dlb1,
                                  dv1, B, H, NULL),
                        1);
        if (a->affine)
            CU_ASSERT_EQUAL(a->ocl_fw(x, W1, W2, NULL, lb, v, o2, NULL, B, H, NULL), 1);
        /* cl_mem entry point */
        {
            cl_mem xb = NULL, w1 = NULL, w2 = NULL, vb = NULL, ob = NULL, wsd = NULL;
            cl_mem lwb = NULL, lbb = NULL;
            int rc = myogen_cl_upload(ctx, x, nx * es, &xb);
            rc |= myogen_cl_upload(ctx, W1, n1 * es, &w1);
            rc |= myogen_cl_upload(ctx, W2, n2 * es, &w2);
            rc |= myogen_cl_upload(ctx, v, no * es, &vb);
            rc |= myogen_cl_upload(ctx, lw, nln * es, &lwb);
            rc |= myogen_cl_upload(ctx, lb, nln * es, &lbb);
            rc |= myogen_cl_alloc(ctx, no * es, &ob);
            rc |= myogen_cl_alloc(ctx, a->ocl_cl_ws(B, H), &wsd);
            CU_ASSERT_EQUAL_FATAL(rc, 0);
            CU_ASSERT_EQUAL(a->ocl_clfw(queue, xb, w1, w2, lwb, lbb, vb, ob, NULL, B, H, wsd), 0);
            CU_ASSERT_EQUAL(myogen_cl_download(queue, ob, o2, no * es), 0);
            CU_ASSERT(memcmp(o2, o1, no * es) == 0);
            CU_ASSERT_EQUAL(a->ocl_clfw(queue, xb, w1, w2, lwb, lbb, vb, ob, NULL, B + 1, H, wsd),
                            1);
            myogen_cl_free(xb), myogen_cl_free(w1), myogen_cl_free(w2), myogen_cl_free(vb);
            myogen_cl_free(ob), myogen_cl_free(wsd), myogen_cl_free(lwb), myogen_cl_free(lbb);
        }
        free(x), free(W1), free(W2), free(v), free(dout), free(o0), free(o1), free(o2);
        free(l0), free(l1), free(dx0), free(dx1), free(a0), free(a1), free(b0), free(b1);
        free(dv0), free(dv1), free(ws), free(lw), free(lb), free(dlw0), free(dlw1), free(dlb0);
        free(dlb1);
    }
}

int main(void)
{
    cl_device_id dev;
    char name[256], ext[8192] = "";
    if (!myogen_cl_available() || myogen_cl_default(&ctx, &dev, &queue) != 0) {
        printf("SKIP: no OpenCL device\n");
        return 77;
    }
    myogen_cl_device_name(name, sizeof name);
    clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, sizeof ext - 1, ext, NULL);
    have_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    printf("OpenCL device: %s (cl_khr_fp64: %s)\n", name, have_fp64 ? "yes" : "no");

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("btt_opencl", NULL, NULL);
    CU_add_test(s, "OpenCL vs C target, forward and backward", test_vs_c);
    CU_add_test(s, "cl_mem entry points and their checks", test_cl_mem);
    CU_add_test(s, "invalid arguments and non-finite status", test_status);
    CU_add_test(s, "op attention: OpenCL vs C target, forward and backward", test_attention);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    myogen_cl_shutdown();
    return failed ? 1 : 0;
}
