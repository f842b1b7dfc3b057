/* The workspace contract of DESIGN.md 5, for every kernel type:
 *  - a call never writes past the workspace, whatever the thread count at
 *    the time of the call: threads="openmp" myo and mlr kernels get a
 *    workspace of exactly NAME_workspace_size bytes asked with 1 thread,
 *    then run on 4 threads (built with ASan, a thread past its scratch is a
 *    report; without it, a zone after the workspace must stay untouched),
 *    and give the 1-thread bytes;
 *  - NAME_workspace_size returns SIZE_MAX where the size overflows size_t
 *    (it never wraps: it does not decrease as batch or channels grow), and
 *    every function returns 1 for such sizes without touching memory.
 * Built twice: test_workspace (C and AVX2 targets, with OpenMP) and, with
 * WS_OPENCL, test_workspace_opencl (the OpenCL target's host code and
 * NAME_cl_workspace_size; the cl_mem entry points where a device is there). */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "test_util.h"
#ifdef WS_OPENCL
#include "ws_cl_kernels.h"
#else
#include "ws_kernels.h"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define WS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_ASAN 1
#endif
#endif

/* Sizes past what size_t can count in bytes, with any element size. */
#define BIG ((size_t)1 << (sizeof(size_t) * 8 - 4))
#define BITS (sizeof(size_t) * 8)

/* Non-NULL pointers for calls that must fail before touching memory. */
static double dummy[64] __attribute__((aligned(64)));
#define DUMMY ((void *)dummy)

typedef size_t (*ws_fn)(size_t, size_t);
typedef int (*call_fn)(size_t, size_t); /* a pass with dummy buffers */

/* ws(batch, channels) as one axis grows by powers of two: never smaller
 * than before (a wrapped size is), SIZE_MAX once it overflows; where it is
 * SIZE_MAX the passes return 1. */
static void check_axis(const char *name, ws_fn ws, call_fn fw, call_fn bw, int axis)
{
    size_t prev = 0;
    int saturated = 0;
    for (size_t k = 0; k < BITS; k++) {
        const size_t x = (size_t)1 << k, b = axis ? 1 : x, c = axis ? x : 1;
        const size_t n = ws(b, c);
        if (n < prev || (saturated && n != SIZE_MAX)) {
            fprintf(stderr, "\n  %s: workspace_size(%zu, %zu) = %zu after %zu (wrapped)\n", name,
                    b, c, n, prev);
            CU_FAIL("workspace_size wrapped");
            return;
        }
        prev = n;
        if (n != SIZE_MAX)
            continue;
        saturated = 1;
        if (fw && fw(b, c) != 1) {
            fprintf(stderr, "\n  %s: forward(batch %zu, %zu) did not return 1\n", name, b, c);
            CU_FAIL("forward accepted an overflowing size");
        }
        if (bw && bw(b, c) != 1) {
            fprintf(stderr, "\n  %s: backward(batch %zu, %zu) did not return 1\n", name, b, c);
            CU_FAIL("backward accepted an overflowing size");
        }
    }
    if (!saturated)
        fprintf(stderr, "\n  %s: workspace_size never reached SIZE_MAX on axis %d\n", name, axis);
    CU_ASSERT(saturated);
}

/* channels_axis: 0 where the second argument is not a size (btt matmul). */
static void check_overflow(const char *name, ws_fn ws, call_fn fw, call_fn bw, int channels_axis)
{
    CU_ASSERT_EQUAL(ws(BIG, 1), SIZE_MAX);
    CU_ASSERT_EQUAL(ws(SIZE_MAX, SIZE_MAX), SIZE_MAX);
    if (fw)
        CU_ASSERT_EQUAL(fw(BIG, 1), 1);
    if (bw)
        CU_ASSERT_EQUAL(bw(BIG, 1), 1);
    check_axis(name, ws, fw, bw, 0);
    if (channels_axis) {
        CU_ASSERT_EQUAL(ws(1, BIG), SIZE_MAX);
        if (fw)
            CU_ASSERT_EQUAL(fw(1, BIG), 1);
        if (bw)
            CU_ASSERT_EQUAL(bw(1, BIG), 1);
        check_axis(name, ws, fw, bw, 1);
    }
}

#if defined(_OPENMP) && !defined(WS_OPENCL)
/* A zone after the workspace that no call may touch: poisoned for ASan
 * (a use-after-poison report names the access), else filled with 0xA5 and
 * checked.  Larger than the scratch of a few threads, so a thread past the
 * end lands in it wherever its scratch would start. */
#define TAIL ((size_t)16 << 20)
#ifdef WS_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* `bytes` of workspace, 64-byte aligned, then the tail zone. */
static void *ws_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes + TAIL) != 0) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    memset((char *)p + bytes, 0xA5, TAIL);
#ifdef WS_ASAN
    ASAN_POISON_MEMORY_REGION((char *)p + bytes, TAIL);
#endif
    return p;
}

static int tail_intact(const void *ws, size_t bytes)
{
#ifdef WS_ASAN
    (void)ws, (void)bytes;
    return 1; /* ASan has reported any access */
#else
    const unsigned char *g = (const unsigned char *)ws + bytes;
    for (size_t i = 0; i < TAIL; i++)
        if (g[i] != 0xA5)
            return 0;
    return 1;
#endif
}

static void ws_free(void *ws, size_t bytes)
{
#ifdef WS_ASAN
    ASAN_UNPOISON_MEMORY_REGION((char *)ws + bytes, TAIL);
#endif
    (void)bytes;
    free(ws);
}

/* n elements of `size` bytes (float or double), uniform in [lo, hi). */
static void *fill(size_t n, size_t size, double lo, double hi)
{
    void *p = xmalloc(n * size);
    for (size_t i = 0; i < n; i++) {
        const double x = urand(lo, hi);
        if (size == sizeof(float))
            ((float *)p)[i] = (float)x;
        else
            ((double *)p)[i] = x;
    }
    return p;
}

/* Entry (i, j) of each N x N block set to x (the diagonal of dense blocks). */
static void set_diag(void *p, size_t blocks, size_t N, size_t size, double lo, double hi)
{
    for (size_t b = 0; b < blocks; b++)
        for (size_t i = 0; i < N; i++) {
            const size_t at = (b * N + i) * N + i;
            const double x = urand(lo, hi);
            if (size == sizeof(float))
                ((float *)p)[at] = (float)x;
            else
                ((double *)p)[at] = x;
        }
}

static int same(const void *a, const void *b, size_t bytes, const char *name, const char *what)
{
    if (memcmp(a, b, bytes) == 0)
        return 1;
    fprintf(stderr, "\n  %s: %s on 4 threads differs from 1 thread\n", name, what);
    return 0;
}

/* myo: the shapes a call needs, from the header's macros. */
typedef struct {
    size_t L, V, P, N, input, siso, dense, size;
} myo_shape;

typedef struct {
    void *A, *B, *C, *Bin, *Cout, *D;
} myo_fields;

static size_t myo_abc(const myo_shape *s, size_t batch, size_t ch)
{
    return (s->input ? batch : 1) * s->P * ch * (s->dense ? s->N * s->N : s->N);
}

static size_t myo_io(const myo_shape *s, size_t batch, size_t ch)
{
    return batch * s->L * ch * (s->siso ? 1 : s->N);
}

/* Diagonally dominant parameters: the solve is stable, no pivot fails. */
static myo_fields myo_params(const myo_shape *s, size_t batch, size_t ch)
{
    const size_t n = myo_abc(s, batch, ch), N = s->N;
    const double off = s->dense ? 0.25 / (double)N : 0.25;
    myo_fields f;
    f.A = s->dense ? fill(n, s->size, -off, off) : fill(n, s->size, 5.5, 6.5);
    if (s->dense)
        set_diag(f.A, n / (N * N), N, s->size, 5.5, 6.5);
    f.B = fill(n, s->size, -off, off);
    f.C = fill(n, s->size, -off, off);
    f.Bin = fill(ch * N, s->size, -1, 1);
    f.Cout = fill(ch * N, s->size, -1, 1);
    f.D = fill(ch, s->size, -1, 1);
    return f;
}

static myo_fields myo_grads(const myo_shape *s, size_t batch, size_t ch)
{
    const size_t n = myo_abc(s, batch, ch);
    myo_fields g;
    g.A = xmalloc(n * s->size);
    g.B = xmalloc(n * s->size);
    g.C = xmalloc(n * s->size);
    g.Bin = xmalloc(ch * s->N * s->size);
    g.Cout = xmalloc(ch * s->N * s->size);
    g.D = xmalloc(ch * s->size);
    /* readout "none" leaves Bin, Cout, D unwritten: compare zeros, not
     * whatever malloc returned */
    memset(g.Bin, 0, ch * s->N * s->size);
    memset(g.Cout, 0, ch * s->N * s->size);
    memset(g.D, 0, ch * s->size);
    return g;
}

static void fields_free(myo_fields *f)
{
    free(f->A), free(f->B), free(f->C), free(f->Bin), free(f->Cout), free(f->D);
}

static int myo_grads_same(const myo_shape *s, const myo_fields *a, const myo_fields *b,
                          size_t batch, size_t ch, const char *name)
{
    const size_t n = myo_abc(s, batch, ch) * s->size;
    return same(a->A, b->A, n, name, "dA") & same(a->B, b->B, n, name, "dB") &
           same(a->C, b->C, n, name, "dC") &
           same(a->Bin, b->Bin, ch * s->N * s->size, name, "dBin") &
           same(a->Cout, b->Cout, ch * s->N * s->size, name, "dCout") &
           same(a->D, b->D, ch * s->size, name, "dD");
}

/* One kernel's forward and backward on its own data, via the generated
 * wrappers below. */
typedef int (*myo_fw)(const myo_fields *p, const void *u, void *y, size_t b, size_t c, void *ws);
typedef int (*myo_bw)(const myo_fields *p, const void *u, const void *dy, void *du,
                      const myo_fields *g, size_t b, size_t c, void *ws);

/* Workspace sized on 1 thread, calls on 4: the same bytes, the workspace
 * (and the memory after it) untouched beyond its size. */
static void myo_threads(const char *name, const myo_shape *s, ws_fn ws, myo_fw fw, myo_bw bw)
{
    /* 300 channels: several lane groups and level-sum tiles per thread */
    const size_t batch = 8, ch = 300, nio = myo_io(s, batch, ch);
    const int saved = omp_get_max_threads();
    myo_fields p, g1, g4;
    void *u, *dy, *y1, *y4, *du1, *du4, *w;
    size_t bytes;
    rng_seed(11);
    p = myo_params(s, batch, ch);
    u = fill(nio, s->size, -1, 1);
    dy = fill(nio, s->size, -1, 1);
    y1 = xmalloc(nio * s->size), y4 = xmalloc(nio * s->size);
    du1 = xmalloc(nio * s->size), du4 = xmalloc(nio * s->size);
    g1 = myo_grads(s, batch, ch), g4 = myo_grads(s, batch, ch);
    omp_set_dynamic(0);
    omp_set_num_threads(1);
    bytes = ws(batch, ch);
    w = ws_alloc(bytes);
    CU_ASSERT_EQUAL_FATAL(fw(&p, u, y1, batch, ch, w), 0);
    CU_ASSERT_EQUAL_FATAL(bw(&p, u, dy, du1, &g1, batch, ch, w), 0);
    omp_set_num_threads(4);
    for (int rep = 0; rep < 5; rep++) { /* a thread pool that is up takes work sooner */
        CU_ASSERT_EQUAL(fw(&p, u, y4, batch, ch, w), 0);
        CU_ASSERT(tail_intact(w, bytes));
        CU_ASSERT_EQUAL(bw(&p, u, dy, du4, &g4, batch, ch, w), 0);
        CU_ASSERT(tail_intact(w, bytes));
    }
    omp_set_num_threads(saved);
    CU_ASSERT(same(y1, y4, nio * s->size, name, "y"));
    CU_ASSERT(same(du1, du4, nio * s->size, name, "du"));
    CU_ASSERT(myo_grads_same(s, &g1, &g4, batch, ch, name));
    fields_free(&p), fields_free(&g1), fields_free(&g4);
    free(u), free(dy), free(y1), free(y4), free(du1), free(du4);
    ws_free(w, bytes);
}

/* mlr: q, k [batch][heads][T][R]; v, o [..][dv]; lse [batch][heads][T]. */
typedef int (*mlr_fw)(const void *q, const void *k, const void *v, void *o, void *lse,
                      size_t b, size_t h, void *ws);
typedef int (*mlr_bw)(const void *q, const void *k, const void *v, const void *o,
                      const void *lse, const void *dout, void *dq, void *dk, void *dv, size_t b,
                      size_t h, void *ws);

static void mlr_threads(const char *name, size_t T, size_t R, size_t dv, size_t size, ws_fn ws,
                        mlr_fw fw, mlr_bw bw)
{
    const size_t batch = 2, heads = 3, nq = batch * heads * T * R, nv = batch * heads * T * dv;
    const size_t nl = batch * heads * T;
    const int saved = omp_get_max_threads();
    void *q, *k, *v, *dout, *o1, *o4, *l1, *l4, *dq1, *dq4, *dk1, *dk4, *dv1, *dv4, *w;
    size_t bytes;
    rng_seed(12);
    q = fill(nq, size, -1, 1), k = fill(nq, size, -1, 1);
    v = fill(nv, size, -1, 1), dout = fill(nv, size, -1, 1);
    o1 = xmalloc(nv * size), o4 = xmalloc(nv * size);
    l1 = xmalloc(nl * size), l4 = xmalloc(nl * size);
    dq1 = xmalloc(nq * size), dq4 = xmalloc(nq * size);
    dk1 = xmalloc(nq * size), dk4 = xmalloc(nq * size);
    dv1 = xmalloc(nv * size), dv4 = xmalloc(nv * size);
    omp_set_dynamic(0);
    omp_set_num_threads(1);
    bytes = ws(batch, heads);
    w = ws_alloc(bytes);
    CU_ASSERT_EQUAL_FATAL(fw(q, k, v, o1, l1, batch, heads, w), 0);
    CU_ASSERT_EQUAL_FATAL(bw(q, k, v, o1, l1, dout, dq1, dk1, dv1, batch, heads, w), 0);
    omp_set_num_threads(4);
    for (int rep = 0; rep < 5; rep++) {
        CU_ASSERT_EQUAL(fw(q, k, v, o4, l4, batch, heads, w), 0);
        CU_ASSERT(tail_intact(w, bytes));
        CU_ASSERT_EQUAL(bw(q, k, v, o1, l1, dout, dq4, dk4, dv4, batch, heads, w), 0);
        CU_ASSERT(tail_intact(w, bytes));
    }
    omp_set_num_threads(saved);
    CU_ASSERT(same(o1, o4, nv * size, name, "o") & same(l1, l4, nl * size, name, "lse"));
    CU_ASSERT(same(dq1, dq4, nq * size, name, "dq") & same(dk1, dk4, nq * size, name, "dk") &
              same(dv1, dv4, nv * size, name, "dv"));
    free(q), free(k), free(v), free(dout), free(o1), free(o4), free(l1), free(l4);
    free(dq1), free(dq4), free(dk1), free(dk4), free(dv1), free(dv4);
    ws_free(w, bytes);
}
#define WS_THREADS 1
#endif

/* ---- per kernel: wrappers and the tests CUnit registers ------------------ */

#ifdef WS_THREADS
#define MYO_THREADS(NAME)                                                                     \
    static int NAME##_fw(const myo_fields *f, const void *u, void *y, size_t b, size_t c,     \
                         void *ws)                                                            \
    {                                                                                         \
        NAME##_params p = {f->A, f->B, f->C, f->Bin, f->Cout, f->D};                          \
        return NAME##_forward(&p, u, y, b, c, ws);                                            \
    }                                                                                         \
    static int NAME##_bw(const myo_fields *f, const void *u, const void *dy, void *du,        \
                         const myo_fields *h, size_t b, size_t c, void *ws)                   \
    {                                                                                         \
        NAME##_params p = {f->A, f->B, f->C, f->Bin, f->Cout, f->D};                          \
        NAME##_grads g = {h->A, h->B, h->C, h->Bin, h->Cout, h->D};                           \
        return NAME##_backward(&p, u, dy, du, &g, b, c, ws);                                  \
    }                                                                                         \
    static void NAME##_threads(void)                                                          \
    {                                                                                         \
        const myo_shape s = {NAME##_SEQ_LEN,        NAME##_VERTICES,     NAME##_PARAM_SETS,   \
                             NAME##_STATE,          NAME##_SHARE_INPUT,  NAME##_READOUT_SISO, \
                             NAME##_BLOCK_DENSE,    sizeof(NAME##_real)};                     \
        myo_threads(#NAME, &s, NAME##_workspace_size, NAME##_fw, NAME##_bw);                  \
    }
#define MLR_THREADS(NAME)                                                                     \
    static int NAME##_fw(const void *q, const void *k, const void *v, void *o, void *lse,     \
                         size_t b, size_t h, void *ws)                                        \
    {                                                                                         \
        return NAME##_forward(q, k, v, o, lse, b, h, ws);                                     \
    }                                                                                         \
    static int NAME##_bw(const void *q, const void *k, const void *v, const void *o,          \
                         const void *lse, const void *dout, void *dq, void *dk, void *dv,     \
                         size_t b, size_t h, void *ws)                                        \
    {                                                                                         \
        return NAME##_backward(q, k, v, o, lse, dout, dq, dk, dv, b, h, ws);                  \
    }                                                                                         \
    static void NAME##_threads(void)                                                          \
    {                                                                                         \
        mlr_threads(#NAME, NAME##_SEQ_LEN, NAME##_RANK, NAME##_VALUE_DIM, sizeof(NAME##_real), \
                    NAME##_workspace_size, NAME##_fw, NAME##_bw);                             \
    }
#define REG_THREADS(NAME) add(s, #NAME " threads", NAME##_threads);
#else
#define MYO_THREADS(NAME)
#define MLR_THREADS(NAME)
#define REG_THREADS(NAME)
#endif

#define MYO_DUMMY(NAME)                                                                       \
    static int NAME##_fw0(size_t b, size_t c)                                                 \
    {                                                                                         \
        NAME##_params p = {DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY};                         \
        return NAME##_forward(&p, DUMMY, DUMMY, b, c, DUMMY);                                 \
    }                                                                                         \
    static int NAME##_bw0(size_t b, size_t c)                                                 \
    {                                                                                         \
        NAME##_params p = {DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY};                         \
        NAME##_grads g = {DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY};                          \
        return NAME##_backward(&p, DUMMY, DUMMY, DUMMY, &g, b, c, DUMMY);                     \
    }
#define MLR_DUMMY(NAME)                                                                       \
    static int NAME##_fw0(size_t b, size_t h)                                                 \
    {                                                                                         \
        return NAME##_forward(DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, b, h, DUMMY);                \
    }                                                                                         \
    static int NAME##_bw0(size_t b, size_t h)                                                 \
    {                                                                                         \
        return NAME##_backward(DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, \
                               b, h, DUMMY);                                                  \
    }
#define BTT_MM_DUMMY(NAME)                                                                    \
    static int NAME##_fw0(size_t n, size_t c)                                                 \
    {                                                                                         \
        (void)c;                                                                              \
        return NAME##_forward(DUMMY, DUMMY, DUMMY, DUMMY, n, DUMMY);                          \
    }                                                                                         \
    static int NAME##_bw0(size_t n, size_t c)                                                 \
    {                                                                                         \
        (void)c;                                                                              \
        return NAME##_backward(DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, n, DUMMY);    \
    }
#define BTT_AT_DUMMY(NAME)                                                                    \
    static int NAME##_fw0(size_t b, size_t h)                                                 \
    {                                                                                         \
        return NAME##_forward(DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, b, h, DUMMY);         \
    }                                                                                         \
    static int NAME##_bw0(size_t b, size_t h)                                                 \
    {                                                                                         \
        return NAME##_backward(DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, DUMMY, \
                               DUMMY, DUMMY, b, h, DUMMY);                                    \
    }

#define OVERFLOW_TEST(NAME, CHANNELS_AXIS)                                                    \
    static void NAME##_overflow(void)                                                         \
    {                                                                                         \
        check_overflow(#NAME, NAME##_workspace_size, NAME##_fw0, NAME##_bw0, CHANNELS_AXIS);  \
    }
#define REG_OVERFLOW(NAME) add(s, #NAME " overflow", NAME##_overflow);

#ifdef WS_OPENCL
/* The cl_mem entry points, where a device is there: buffers of 64 bytes,
 * sizes that overflow: 1 (before a buffer's size is even compared with a
 * wrapped byte count). */
static cl_command_queue cl_queue;
static cl_mem cl_buf;
#define CLB cl_buf
#define CL_OVERFLOW(NAME, FW, BW, CHANNELS_AXIS)                                              \
    static int NAME##_cfw0(size_t b, size_t c) { return cl_queue ? (FW) : 1; }                 \
    static int NAME##_cbw0(size_t b, size_t c) { return cl_queue ? (BW) : 1; }                 \
    static void NAME##_cl_overflow(void)                                                      \
    {                                                                                         \
        check_overflow(#NAME " cl", NAME##_cl_workspace_size, NAME##_cfw0, NAME##_cbw0,       \
                       CHANNELS_AXIS);                                                        \
    }
#define WS_MYO_CL(NAME)                                                                       \
    MYO_DUMMY(NAME)                                                                           \
    OVERFLOW_TEST(NAME, 1)                                                                    \
    CL_OVERFLOW(NAME, NAME##_cl_forward(cl_queue, &(NAME##_cl_params){CLB, CLB, CLB, CLB, CLB, CLB}, \
                                        CLB, CLB, b, c, CLB),                                 \
                NAME##_cl_backward(cl_queue, &(NAME##_cl_params){CLB, CLB, CLB, CLB, CLB, CLB}, \
                                   CLB, CLB, CLB,                                             \
                                   &(NAME##_cl_grads){CLB, CLB, CLB, CLB, CLB, CLB}, b, c, CLB), \
                1)
#define WS_MLR_CL(NAME)                                                                       \
    MLR_DUMMY(NAME)                                                                           \
    OVERFLOW_TEST(NAME, 1)                                                                    \
    CL_OVERFLOW(NAME, NAME##_cl_forward(cl_queue, CLB, CLB, CLB, CLB, CLB, b, c, CLB),        \
                NAME##_cl_backward(cl_queue, CLB, CLB, CLB, CLB, CLB, CLB, CLB, CLB, CLB, b, c, \
                                   CLB),                                                      \
                1)
#define WS_BTT_MM_CL(NAME)                                                                    \
    BTT_MM_DUMMY(NAME)                                                                        \
    OVERFLOW_TEST(NAME, 0)                                                                    \
    CL_OVERFLOW(NAME, ((void)c, NAME##_cl_forward(cl_queue, CLB, CLB, CLB, CLB, b, CLB)),     \
                ((void)c, NAME##_cl_backward(cl_queue, CLB, CLB, CLB, CLB, CLB, CLB, CLB, b,  \
                                             CLB)),                                           \
                0)
#define WS_BTT_AT_CL(NAME)                                                                    \
    BTT_AT_DUMMY(NAME)                                                                        \
    OVERFLOW_TEST(NAME, 1)                                                                    \
    CL_OVERFLOW(NAME, NAME##_cl_forward(cl_queue, CLB, CLB, CLB, CLB, CLB, CLB, b, c, CLB),   \
                NAME##_cl_backward(cl_queue, CLB, CLB, CLB, CLB, CLB, CLB, CLB, CLB, CLB, CLB, \
                                   CLB, b, c, CLB),                                           \
                1)
#include "ws_cl_kernels.h"
#undef WS_MYO_CL
#undef WS_MLR_CL
#undef WS_BTT_MM_CL
#undef WS_BTT_AT_CL
#else
#define WS_MYO(NAME) MYO_THREADS(NAME) MYO_DUMMY(NAME) OVERFLOW_TEST(NAME, 1)
#define WS_MLR(NAME) MLR_THREADS(NAME) MLR_DUMMY(NAME) OVERFLOW_TEST(NAME, 1)
#define WS_BTT_MM(NAME) BTT_MM_DUMMY(NAME) OVERFLOW_TEST(NAME, 0)
#define WS_BTT_AT(NAME) BTT_AT_DUMMY(NAME) OVERFLOW_TEST(NAME, 1)
#include "ws_kernels.h"
#undef WS_MYO
#undef WS_MLR
#undef WS_BTT_MM
#undef WS_BTT_AT
#endif

/* WS_ONLY=text in the environment: only the tests whose name holds it. */
static void add(CU_pSuite s, const char *name, CU_TestFunc fn)
{
    const char *only = getenv("WS_ONLY");
    if (!only || strstr(name, only))
        CU_add_test(s, name, fn);
}

int main(void)
{
    CU_pSuite s;
    unsigned failed;
#ifdef WS_OPENCL
    cl_context ctx;
    if (myogen_cl_available() && myogen_cl_default(&ctx, NULL, &cl_queue) == 0) {
        cl_int err;
        cl_buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, NULL, &err);
        if (err != CL_SUCCESS)
            cl_buf = NULL, cl_queue = NULL;
    } else {
        cl_queue = NULL;
        fprintf(stderr, "no OpenCL device: the cl_mem entry points are not called\n");
    }
#endif
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    s = CU_add_suite("workspace", NULL, NULL);
#ifdef WS_OPENCL
#define WS_MYO_CL(NAME) REG_OVERFLOW(NAME) add(s, #NAME " cl overflow", NAME##_cl_overflow);
#define WS_MLR_CL WS_MYO_CL
#define WS_BTT_MM_CL WS_MYO_CL
#define WS_BTT_AT_CL WS_MYO_CL
#include "ws_cl_kernels.h"
#else
#define WS_MYO(NAME) REG_THREADS(NAME) REG_OVERFLOW(NAME)
#define WS_MLR(NAME) REG_THREADS(NAME) REG_OVERFLOW(NAME)
#define WS_BTT_MM(NAME) REG_OVERFLOW(NAME)
#define WS_BTT_AT(NAME) REG_OVERFLOW(NAME)
#include "ws_kernels.h"
#endif
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures();
#ifdef WS_OPENCL
    if (cl_buf)
        clReleaseMemObject(cl_buf);
#endif
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
