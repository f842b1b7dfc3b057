/* CUnit tests of mlr on the OpenCL target: every (C, OpenCL) pair of test
 * kernels written by mlr_opencl.cmake runs on the same inputs, the C kernel
 * on the CPU, the OpenCL one on the default OpenCL device (PoCL in CI):
 * forward o and lse, backward dq, dk and dv (from the C forward's o and
 * lse), through the host-pointer entry points and the cl_mem ones; plus
 * argument checks, non-finite inputs and run-to-run identity.  The C target
 * is itself checked against an independent reference by test_mlr.
 *
 * Tolerance, per output array: |ocl - c| <= tol * (1 + max |c|), tol 5e-6
 * (f32) and 1e-13 (f64): the two targets sum in different orders, and
 * OpenCL C may contract a*b + c into one fma (both use the exp of
 * lib/vmath.c.tmpl).  The worst error is about 1/50 (f32) and 1/80 (f64)
 * of that, on PoCL and on an NVIDIA H100 alike; the run prints it.
 *
 * Exits 77 (ctest: skipped) when no OpenCL device can be had. */
#define _POSIX_C_SOURCE 200809L
#define _ISOC11_SOURCE /* aligned_alloc */
#include "myogen_cl.h"
#include "mlr_opencl_kernels.h" /* the generated headers */

#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 2
#define HEADS 3

static uint64_t rng_state;
static double urand(double lo, double hi)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1p-53;
}

/* worst |err| / allowed over all checks, [forward, backward][f32, f64] */
static double worst[2][2];

/* Compares n values (as double) of one output; returns 1 when within tol. */
static int close_enough(const char *kernel, const char *what, const double *c, const double *o,
                        size_t n, double tol, int pass, int f64)
{
    double mx = 0, bad = 0;
    size_t i, at = 0;
    for (i = 0; i < n; i++)
        if (fabs(c[i]) > mx)
            mx = fabs(c[i]);
    for (i = 0; i < n; i++) {
        const double e = fabs(o[i] - c[i]) / (tol * (1 + mx));
        if (!(e <= bad)) { /* NaN counts as bad */
            bad = isnan(e) ? INFINITY : e;
            at = i;
        }
    }
    if (bad > worst[pass][f64])
        worst[pass][f64] = bad;
    if (bad > 1)
        printf("\n  %s %s: element %zu: OpenCL %.17g, C %.17g (|err| %.3g x the tolerance)\n",
               kernel, what, at, o[at], c[at], bad);
    return bad <= 1;
}

static cl_mem upload(const void *p, size_t bytes)
{
    cl_context ctx;
    cl_mem b = NULL;
    if (myogen_cl_default(&ctx, NULL, NULL) != 0 || myogen_cl_upload(ctx, p, bytes, &b) != 0)
        return NULL;
    return b;
}

static cl_mem alloc(size_t bytes)
{
    cl_context ctx;
    cl_mem b = NULL;
    if (myogen_cl_default(&ctx, NULL, NULL) != 0 || myogen_cl_alloc(ctx, bytes, &b) != 0)
        return NULL;
    return b;
}

static void *ws_alloc(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
}

/* One pair: REF (target c) and OCL (target opencl) of the same spec. */
#define MLR_OCL_PAIR(REF, OCL)                                                                  \
    static void run_##OCL(void)                                                                 \
    {                                                                                           \
        typedef REF##_real real;                                                                \
        enum { T = REF##_SEQ_LEN, R = REF##_RANK, DV = REF##_VALUE_DIM };                       \
        const int f64 = REF##_DTYPE_F64;                                                        \
        const double tol = f64 ? 1e-13 : 5e-6;                                                  \
        const size_t nq = (size_t)BATCH * HEADS * T * R, nv = (size_t)BATCH * HEADS * T * DV;   \
        const size_t nl = (size_t)BATCH * HEADS * T;                                            \
        const size_t sq = nq * sizeof(real), sv = nv * sizeof(real), sl = nl * sizeof(real);    \
        real *q = malloc(sq), *k = malloc(sq), *v = malloc(sv), *dout = malloc(sv);             \
        real *o_c = malloc(sv), *l_c = malloc(sl), *o_o = malloc(sv), *l_o = malloc(sl);        \
        real *o_n = malloc(sv), *dq_c = malloc(sq), *dk_c = malloc(sq), *dv_c = malloc(sv);     \
        real *dq_o = malloc(sq), *dk_o = malloc(sq), *dv_o = malloc(sv);                        \
        real *dq_2 = malloc(sq), *dk_2 = malloc(sq), *dv_2 = malloc(sv);                        \
        double *a = malloc((nq > nv ? nq : nv) * sizeof(double));                                   \
        double *b = malloc((nq > nv ? nq : nv) * sizeof(double));                                   \
        void *ws = ws_alloc(REF##_workspace_size(BATCH, HEADS));                                \
        size_t i;                                                                               \
        int ok = 1;                                                                             \
        rng_state = 12345;                                                                      \
        for (i = 0; i < nq; i++) {                                                              \
            q[i] = (real)urand(-2, 2);                                                          \
            k[i] = (real)urand(-2, 2);                                                          \
        }                                                                                       \
        for (i = 0; i < nv; i++) {                                                              \
            v[i] = (real)urand(-1, 1);                                                          \
            dout[i] = (real)urand(-1, 1);                                                       \
        }                                                                                       \
        CU_ASSERT_EQUAL_FATAL(REF##_forward(q, k, v, o_c, l_c, BATCH, HEADS, ws), 0);           \
        CU_ASSERT_EQUAL(OCL##_workspace_size(BATCH, HEADS), 0);                                 \
        CU_ASSERT_EQUAL_FATAL(OCL##_forward(q, k, v, o_o, l_o, BATCH, HEADS, NULL), 0);         \
        /* forward: o and lse */                                                                \
        for (i = 0; i < nv; i++) {                                                              \
            a[i] = o_c[i];                                                                      \
            b[i] = o_o[i];                                                                      \
        }                                                                                       \
        ok &= close_enough(#OCL, "forward o", a, b, nv, tol, 0, f64);                           \
        for (i = 0; i < nl; i++) {                                                              \
            a[i] = l_c[i];                                                                      \
            b[i] = l_o[i];                                                                      \
        }                                                                                       \
        if (!REF##_LINK_IDENTITY) /* (link identity: lse not written) */                        \
            ok &= close_enough(#OCL, "forward lse", a, b, nl, tol, 0, f64);                     \
        /* without lse: the same o */                                                           \
        CU_ASSERT_EQUAL(OCL##_forward(q, k, v, o_n, NULL, BATCH, HEADS, NULL), 0);              \
        CU_ASSERT(memcmp(o_n, o_o, sv) == 0);                                                   \
        /* backward from the C forward's o and lse */                                           \
        CU_ASSERT_EQUAL_FATAL(                                                                  \
            REF##_backward(q, k, v, o_c, l_c, dout, dq_c, dk_c, dv_c, BATCH, HEADS, ws), 0);    \
        CU_ASSERT_EQUAL_FATAL(                                                                  \
            OCL##_backward(q, k, v, o_c, l_c, dout, dq_o, dk_o, dv_o, BATCH, HEADS, NULL), 0);  \
        for (i = 0; i < nq; i++) {                                                              \
            a[i] = dq_c[i];                                                                     \
            b[i] = dq_o[i];                                                                     \
        }                                                                                       \
        ok &= close_enough(#OCL, "backward dq", a, b, nq, tol, 1, f64);                         \
        for (i = 0; i < nq; i++) {                                                              \
            a[i] = dk_c[i];                                                                     \
            b[i] = dk_o[i];                                                                     \
        }                                                                                       \
        ok &= close_enough(#OCL, "backward dk", a, b, nq, tol, 1, f64);                         \
        for (i = 0; i < nv; i++) {                                                              \
            a[i] = dv_c[i];                                                                     \
            b[i] = dv_o[i];                                                                     \
        }                                                                                       \
        ok &= close_enough(#OCL, "backward dv", a, b, nv, tol, 1, f64);                         \
        CU_ASSERT(ok);                                                                          \
        /* deterministic: a second run gives the same bytes */                                  \
        CU_ASSERT_EQUAL(                                                                        \
            OCL##_backward(q, k, v, o_c, l_c, dout, dq_2, dk_2, dv_2, BATCH, HEADS, NULL), 0);  \
        CU_ASSERT(memcmp(dq_2, dq_o, sq) == 0 && memcmp(dk_2, dk_o, sq) == 0 &&                 \
                  memcmp(dv_2, dv_o, sv) == 0);                                                 \
        { /* the cl_mem entry points: the same bytes as the host-pointer ones */                \
            cl_command_queue queue;                                                             \
            const size_t wsb = OCL##_cl_workspace_size(BATCH, HEADS);                           \
            cl_mem bq = upload(q, sq), bk = upload(k, sq), bv = upload(v, sv);                  \
            cl_mem bo = upload(o_c, sv), bl = upload(l_c, sl), bd = upload(dout, sv);           \
            cl_mem bo2 = alloc(sv), bl2 = alloc(sl), bdq = alloc(sq), bdk = alloc(sq);          \
            cl_mem bdv = alloc(sv), bws = alloc(wsb), small = alloc(wsb > 8 ? wsb - 8 : 1);     \
            CU_ASSERT_EQUAL_FATAL(myogen_cl_default(NULL, NULL, &queue), 0);                    \
            CU_ASSERT_EQUAL(OCL##_cl_build(queue), 0);                                          \
            CU_ASSERT_EQUAL(OCL##_cl_forward(queue, bq, bk, bv, bo2, bl2, BATCH, HEADS, bws), 0); \
            CU_ASSERT_EQUAL(myogen_cl_download(queue, bo2, o_n, sv), 0);                        \
            CU_ASSERT(memcmp(o_n, o_o, sv) == 0);                                               \
            CU_ASSERT_EQUAL(myogen_cl_download(queue, bl2, l_c, sl), 0);                        \
            CU_ASSERT(REF##_LINK_IDENTITY || memcmp(l_c, l_o, sl) == 0);                        \
            CU_ASSERT_EQUAL(OCL##_cl_forward(queue, bq, bk, bv, bo2, NULL, BATCH, HEADS, bws), 0); \
            CU_ASSERT_EQUAL(OCL##_cl_backward(queue, bq, bk, bv, bo, bl, bd, bdq, bdk, bdv,     \
                                              BATCH, HEADS, bws),                               \
                            0);                                                                 \
            CU_ASSERT_EQUAL(myogen_cl_download(queue, bdq, dq_2, sq), 0);                       \
            CU_ASSERT_EQUAL(myogen_cl_download(queue, bdk, dk_2, sq), 0);                       \
            CU_ASSERT_EQUAL(myogen_cl_download(queue, bdv, dv_2, sv), 0);                       \
            CU_ASSERT(memcmp(dq_2, dq_o, sq) == 0 && memcmp(dk_2, dk_o, sq) == 0 &&             \
                      memcmp(dv_2, dv_o, sv) == 0);                                             \
            /* invalid arguments: 1 */                                                          \
            CU_ASSERT_EQUAL(OCL##_cl_forward(queue, bq, bk, bv, bo2, bl2, BATCH, HEADS, small), \
                            1);                                                                 \
            CU_ASSERT_EQUAL(OCL##_cl_forward(queue, bq, bk, bv, bo2, bl2, BATCH + 1, HEADS, bws), \
                            1);                                                                 \
            CU_ASSERT_EQUAL(OCL##_cl_backward(queue, bq, bk, bv, bo, NULL, bd, bdq, bdk, bdv,   \
                                              BATCH, HEADS, bws),                               \
                            REF##_LINK_IDENTITY ? 0 : 1); /* (identity: lse may be NULL) */     \
            CU_ASSERT_EQUAL(OCL##_cl_forward(NULL, bq, bk, bv, bo2, bl2, BATCH, HEADS, bws), 1); \
            myogen_cl_free(bq);                                                                 \
            myogen_cl_free(bk);                                                                 \
            myogen_cl_free(bv);                                                                 \
            myogen_cl_free(bo);                                                                 \
            myogen_cl_free(bl);                                                                 \
            myogen_cl_free(bd);                                                                 \
            myogen_cl_free(bo2);                                                                \
            myogen_cl_free(bl2);                                                                \
            myogen_cl_free(bdq);                                                                \
            myogen_cl_free(bdk);                                                                \
            myogen_cl_free(bdv);                                                                \
            myogen_cl_free(bws);                                                                \
            myogen_cl_free(small);                                                              \
        }                                                                                       \
        CU_ASSERT_EQUAL(OCL##_forward(NULL, k, v, o_o, l_o, BATCH, HEADS, NULL), 1);            \
        CU_ASSERT_EQUAL(OCL##_forward(q, k, v, o_o, l_o, 0, HEADS, NULL), 1);                   \
        CU_ASSERT_EQUAL(OCL##_backward(q, k, v, o_c, l_o, NULL, dq_o, dk_o, dv_o, BATCH, HEADS, \
                                       NULL),                                                   \
                        1);                                                                     \
        /* a non-finite input: 2, as the C target */                                            \
        q[R + 1] = (real)NAN;                                                                   \
        CU_ASSERT_EQUAL(REF##_forward(q, k, v, o_c, l_c, BATCH, HEADS, ws), 2);                 \
        CU_ASSERT_EQUAL(OCL##_forward(q, k, v, o_o, l_o, BATCH, HEADS, NULL), 2);               \
        CU_ASSERT_EQUAL(OCL##_backward(q, k, v, o_o, l_o, dout, dq_o, dk_o, dv_o, BATCH, HEADS, \
                                       NULL),                                                   \
                        2);                                                                     \
        free(q);                                                                                \
        free(k);                                                                                \
        free(v);                                                                                \
        free(dout);                                                                             \
        free(o_c);                                                                              \
        free(l_c);                                                                              \
        free(o_o);                                                                              \
        free(l_o);                                                                              \
        free(o_n);                                                                              \
        free(dq_c);                                                                             \
        free(dk_c);                                                                             \
        free(dv_c);                                                                             \
        free(dq_o);                                                                             \
        free(dk_o);                                                                             \
        free(dv_o);                                                                             \
        free(dq_2);                                                                             \
        free(dk_2);                                                                             \
        free(dv_2);                                                                             \
        free(a);                                                                                \
        free(b);                                                                                \
        free(ws);                                                                               \
    }
#include "mlr_opencl_kernels.h"
#undef MLR_OCL_PAIR

typedef struct {
    const char *name;
    int f64;
    void (*run)(void);
} pair;

static const pair all_pairs[] = {
#define MLR_OCL_PAIR(REF, OCL) {#OCL, REF##_DTYPE_F64, run_##OCL},
#include "mlr_opencl_kernels.h"
#undef MLR_OCL_PAIR
};

int main(void)
{
    cl_device_id dev;
    cl_device_fp_config fp64 = 0;
    char name[512];
    size_t i, n = 0;
    if (myogen_cl_device_name(name, sizeof name) != 0) {
        char msg[1024];
        myogen_cl_last_error(msg, sizeof msg);
        printf("test_mlr_opencl: skipped, no OpenCL device: %s\n", msg);
        return 77;
    }
    myogen_cl_default(NULL, &dev, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("mlr opencl", NULL, NULL);
    for (i = 0; i < sizeof all_pairs / sizeof all_pairs[0]; i++)
        if (fp64 || !all_pairs[i].f64) {
            CU_add_test(s, all_pairs[i].name, all_pairs[i].run);
            n++;
        }
    printf("test_mlr_opencl: %zu kernel pairs on %s%s\n", n, name,
           fp64 ? "" : " (no cl_khr_fp64: the f64 pairs are skipped)");
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    printf("worst |err| / tolerance: forward f32 %.3g, f64 %.3g; backward f32 %.3g, f64 %.3g\n",
           worst[0][0], worst[0][1], worst[1][0], worst[1][1]);
    myogen_cl_shutdown();
    return failed ? 1 : 0;
}
