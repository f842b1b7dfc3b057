/* btt_bench: throughput of the generated `btt` kernels (DESIGN.md 6.3, 7).
 *
 * matmul: for every kernel bench/CMakeLists.txt generates (D in {256, 1024,
 * 4096} with square factors sqrt(D) x sqrt(D), ranks 1 and 4, f32, n = 1024
 * rows, -n ROWS for another count) it prints the median time of the forward and the backward pass, the
 * useful GFLOP/s (forward 2 n r (d_in n0 + d_out m1); backward twice that:
 * dx and the two core gradients, the recomputed t not counted), the % of
 * the single-core AVX2 FMA peak this program measures itself, the time of a
 * dense GEMM of the same shape through OpenBLAS (forward y = x W; backward
 * dx = dy W^T and dW = x^T dy), the speedup over it and the FLOP-count
 * ratio dense / BTT (the speedup a kernel at the same efficiency as the
 * dense GEMM would get).  The BTT output is checked against the dense GEMM
 * of the BTT matrix.
 *
 * attention: the fused bilinear BTT attention kernel (T = 1024, D = 256,
 * 8 heads, batch 1) against the unfused form a user would write with
 * OpenBLAS: K = X W_h (dense sgemm), LayerNorm, S = X K^T (sgemm), softmax,
 * O = P V (sgemm), and its backward in the same style (7 sgemms per head).
 *
 * One thread by default (OpenBLAS too); -t THREADS runs the kernels
 * (threads = "openmp": matmul row groups, attention (batch, head) pairs and
 * head groups; 8 heads here) and OpenBLAS on that many threads, against the
 * one-core peak times the threads.
 * The machine may be shared, so every time is a median.  OpenBLAS picks its kernel by
 * CPU (OPENBLAS_CORETYPE overrides); the core it runs is printed.
 * Options: -r REPS (timed calls, default 7), -k SUBSTRING (only kernels
 * whose name contains it), -A (skip attention), -M (skip matmul),
 * -t THREADS. */
#define _POSIX_C_SOURCE 200809L
#include "fma_peak.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btt_bench_kernels.h"

/* OpenBLAS extensions (declared in its cblas.h; repeated for other cblas.h) */
char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int);

/* ---- kernels ---- */

typedef struct {
    const char *name, *target;
    int m0, m1, n0, n1, s;
    size_t (*ws)(size_t, size_t);
    int (*fwd)(const float *, const float *, const float *, float *, size_t, void *);
    int (*bwd)(const float *, const float *, const float *, const float *, float *, float *,
               float *, size_t, void *);
} mm_kernel;

typedef struct {
    const char *name, *target;
    int m0, m1, n0, n1, s, T, dv, causal;
    double scale;
    size_t (*ws)(size_t, size_t);
    int (*fwd)(const float *, const float *, const float *, const float *, float *, float *,
               size_t, size_t, void *);
    int (*bwd)(const float *, const float *, const float *, const float *, const float *,
               const float *, const float *, float *, float *, float *, float *, size_t, size_t,
               void *);
} at_kernel;

#define MM_ENTRY(NAME, TARGET)                                                             \
    {#NAME,       TARGET,        NAME##_M0,        NAME##_M1,     NAME##_N0, NAME##_N1,   \
     NAME##_RANK, NAME##_workspace_size, NAME##_forward, NAME##_backward},
#define AT_ENTRY(NAME, TARGET)                                                             \
    {#NAME,          TARGET,          NAME##_M0,    NAME##_M1,     NAME##_N0,             \
     NAME##_N1,      NAME##_RANK,     NAME##_SEQ_LEN, NAME##_VALUE_DIM, NAME##_CAUSAL,    \
     NAME##_SCALE,   NAME##_workspace_size, NAME##_forward, NAME##_backward},
/* (NULL-terminated: either list may be empty) */
static const mm_kernel mm_kernels[] = {BTT_BENCH_MATMUL(MM_ENTRY){NULL}};
static const at_kernel at_kernels[] = {BTT_BENCH_ATTENTION(AT_ENTRY){NULL}};

/* ---- timing ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* ---- FMA peak, single core: 12 independent accumulators per FMA port pair ---- */


/* best of several runs: interference only ever lowers a peak */
static double peak(double (*run)(long))
{
    double best = 0;
    run(2000000);
    for (int i = 0; i < 15; i++) {
        double g = run(4000000);
        if (g > best)
            best = g;
    }
    return best;
}

/* ---- data ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float urand(float a)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return a * (float)(2.0 * (double)(rng_state >> 11) * (1.0 / 9007199254740992.0) - 1.0);
}

static float *alloc_f(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n * sizeof(float) + 63) / 64 * 64) != 0 || !p) {
        fprintf(stderr, "btt_bench: out of memory (%zu floats)\n", n);
        exit(1);
    }
    return p;
}

static float *filled(size_t n, float a)
{
    float *p = alloc_f(n);
    for (size_t i = 0; i < n; i++)
        p[i] = urand(a);
    return p;
}

static void *alloc_ws(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? (bytes + 63) / 64 * 64 : 64) != 0 || !p) {
        fprintf(stderr, "btt_bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

/* dense W [d_in][d_out] of the cores, in double, stored as float */
static void dense_of(const mm_kernel *k, const float *W1, const float *W2, float *W)
{
    int m0 = k->m0, m1 = k->m1, n0 = k->n0, n1 = k->n1, s = k->s;
    size_t dout = (size_t)n0 * n1;
    for (int i1 = 0; i1 < m1; i1++)
        for (int i0 = 0; i0 < m0; i0++)
            for (int j0 = 0; j0 < n0; j0++)
                for (int j1 = 0; j1 < n1; j1++) {
                    double acc = 0;
                    for (int r = 0; r < s; r++)
                        acc += (double)W1[(((size_t)i1 * m0 + i0) * n0 + j0) * s + r] *
                               W2[(((size_t)j0 * m1 + i1) * s + r) * n1 + j1];
                    W[((size_t)i1 * m0 + i0) * dout + (size_t)j0 * n1 + j1] = (float)acc;
                }
}

static int reps = 7;

#define TIME(med, call)                                                                    \
    do {                                                                                   \
        double t_[64];                                                                     \
        int n_ = reps < 64 ? reps : 64;                                                    \
        call;                                                                              \
        for (int i_ = 0; i_ < n_; i_++) {                                                  \
            double t0_ = now();                                                            \
            call;                                                                          \
            t_[i_] = now() - t0_;                                                          \
        }                                                                                  \
        (med) = median(t_, n_);                                                            \
    } while (0)

/* ---- matmul ---- */

/* peak: the measured FMA peak of the kernel's ISA (AVX2 or AVX-512) */
static void bench_matmul(const mm_kernel *k, double peak2, size_t n)
{
    size_t din = (size_t)k->m0 * k->m1, dout = (size_t)k->n0 * k->n1;
    size_t nw1 = din * k->n0 * k->s, nw2 = dout * k->m1 * k->s;
    float *W1 = filled(nw1, 1 / sqrtf((float)k->m0));
    float *W2 = filled(nw2, 1 / sqrtf((float)(k->m1 * k->s)));
    float *x = filled(n * din, 1), *dy = filled(n * dout, 1), *y = alloc_f(n * dout);
    float *yd = alloc_f(n * dout), *dx = alloc_f(n * din), *dW1 = alloc_f(nw1);
    float *dW2 = alloc_f(nw2), *W = alloc_f(din * dout), *dW = alloc_f(din * dout);
    float *dxd = alloc_f(n * din);
    size_t wsb = k->ws(n, 1);
    void *ws = alloc_ws(wsb);
    double tf, tb, tdf, tdb, err = 0, mag = 0;
    int rc = 0;
    dense_of(k, W1, W2, W);

    TIME(tf, rc |= k->fwd(W1, W2, x, y, n, ws));
    TIME(tb, rc |= k->bwd(W1, W2, x, dy, dx, dW1, dW2, n, ws));
    TIME(tdf, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)dout,
                          (int)din, 1.0f, x, (int)din, W, (int)dout, 0.0f, yd, (int)dout));
    TIME(tdb, {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)din, (int)dout, 1.0f,
                    dy, (int)dout, W, (int)dout, 0.0f, dxd, (int)din);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)din, (int)dout, (int)n, 1.0f,
                    x, (int)din, dy, (int)dout, 0.0f, dW, (int)dout);
    });
    for (size_t i = 0; i < n * dout; i++) {
        double e = fabs((double)y[i] - yd[i]);
        err = e > err ? e : err;
        mag = fabs((double)yd[i]) > mag ? fabs((double)yd[i]) : mag;
    }
    for (size_t i = 0; i < n * din; i++) {
        double e = fabs((double)dx[i] - dxd[i]);
        err = e > err ? e : err;
    }
    double flf = 2.0 * (double)n * k->s * ((double)din * k->n0 + (double)dout * k->m1);
    double fld = 2.0 * (double)n * din * dout;
    printf("%-22s %5zu %4d %6s | %8.3f %7.1f %5.1f%% %8.3f %6.2fx | %8.3f %7.1f %5.1f%% %8.3f "
           "%6.2fx | %6.1fx  %.1e%s\n",
           k->name, din, k->s, k->target, tf * 1e3, flf / tf * 1e-9, 100 * flf / tf * 1e-9 / peak2,
           tdf * 1e3, tdf / tf, tb * 1e3, 2 * flf / tb * 1e-9,
           100 * 2 * flf / tb * 1e-9 / peak2, tdb * 1e3, tdb / tb, fld / flf, err / mag,
           rc ? "  (kernel returned nonzero!)" : "");
    fflush(stdout);
    free(W1);
    free(W2);
    free(x);
    free(dy);
    free(y);
    free(yd);
    free(dx);
    free(dW1);
    free(dW2);
    free(W);
    free(dW);
    free(dxd);
    free(ws);
}

/* ---- attention: the unfused OpenBLAS form ---- */

typedef struct {
    float *W, *kp, *k, *rstd, *P, *dP, *dk, *dW;
} unfused;

static void unfused_keys(const at_kernel *a, const float *X, const float *W, unfused *u)
{
    int T = a->T, D = a->m0 * a->m1;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, D, 1.0f, X, D, W, D, 0.0f,
                u->kp, D);
    for (int j = 0; j < T; j++) {
        float mu = 0, var = 0;
        for (int d = 0; d < D; d++)
            mu += u->kp[j * D + d];
        mu /= (float)D;
        for (int d = 0; d < D; d++)
            var += (u->kp[j * D + d] - mu) * (u->kp[j * D + d] - mu);
        u->rstd[j] = 1 / sqrtf(var / (float)D + 1e-5f);
        for (int d = 0; d < D; d++)
            u->k[j * D + d] = (u->kp[j * D + d] - mu) * u->rstd[j];
    }
}

static void unfused_probs(const at_kernel *a, const float *X, unfused *u, float *lse)
{
    int T = a->T, D = a->m0 * a->m1;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, D, (float)a->scale, X, D, u->k,
                D, 0.0f, u->P, T);
    for (int i = 0; i < T; i++) {
        int jn = a->causal ? i + 1 : T;
        float m = -INFINITY, l = 0, *p = u->P + (size_t)i * T;
        for (int j = 0; j < jn; j++)
            m = p[j] > m ? p[j] : m;
        for (int j = 0; j < jn; j++) {
            p[j] = expf(p[j] - m);
            l += p[j];
        }
        for (int j = 0; j < jn; j++)
            p[j] /= l;
        for (int j = jn; j < T; j++)
            p[j] = 0;
        if (lse)
            lse[i] = m + logf(l);
    }
}

static void unfused_forward(const at_kernel *a, const float *x, const float *W1,
                            const float *W2, const float *v, float *o, float *lse, size_t heads,
                            unfused *u, float *Wh)
{
    int T = a->T, D = a->m0 * a->m1, dv = a->dv;
    mm_kernel mk = {a->name, a->target, a->m0, a->m1, a->n0, a->n1, a->s, NULL, NULL, NULL};
    size_t n1 = (size_t)D * a->n0 * a->s, n2 = (size_t)D * a->m1 * a->s;
    for (size_t h = 0; h < heads; h++) {
        dense_of(&mk, W1 + h * n1, W2 + h * n2, Wh);
        unfused_keys(a, x, Wh, u);
        unfused_probs(a, x, u, lse + h * T);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dv, T, 1.0f, u->P, T,
                    v + h * T * dv, dv, 0.0f, o + h * T * dv, dv);
    }
}

static void unfused_backward(const at_kernel *a, const float *x, const float *W1,
                             const float *W2, const float *v, const float *dout, float *dx,
                             float *dv, size_t heads, unfused *u, float *Wh)
{
    int T = a->T, D = a->m0 * a->m1, e = a->dv;
    mm_kernel mk = {a->name, a->target, a->m0, a->m1, a->n0, a->n1, a->s, NULL, NULL, NULL};
    size_t n1 = (size_t)D * a->n0 * a->s, n2 = (size_t)D * a->m1 * a->s;
    memset(dx, 0, (size_t)T * D * sizeof *dx);
    for (size_t h = 0; h < heads; h++) {
        const float *V = v + h * T * e, *dO = dout + h * T * e;
        dense_of(&mk, W1 + h * n1, W2 + h * n2, Wh);
        unfused_keys(a, x, Wh, u);
        unfused_probs(a, x, u, NULL);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, e, T, 1.0f, u->P, T, dO, e,
                    0.0f, dv + h * T * e, e);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, e, 1.0f, dO, e, V, e, 0.0f,
                    u->dP, T);
        for (int i = 0; i < T; i++) {
            float di = 0, *p = u->P + (size_t)i * T, *dp = u->dP + (size_t)i * T;
            for (int j = 0; j < T; j++)
                di += p[j] * dp[j];
            for (int j = 0; j < T; j++)
                dp[j] = p[j] * (dp[j] - di);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, T, (float)a->scale, u->dP,
                    T, u->k, D, 1.0f, dx, D);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, D, T, (float)a->scale, u->dP, T,
                    x, D, 0.0f, u->dk, D);
        for (int j = 0; j < T; j++) {
            float m1 = 0, m2 = 0, *g = u->dk + (size_t)j * D, *kk = u->k + (size_t)j * D;
            for (int d = 0; d < D; d++) {
                m1 += g[d];
                m2 += g[d] * kk[d];
            }
            m1 /= (float)D;
            m2 /= (float)D;
            for (int d = 0; d < D; d++)
                g[d] = u->rstd[j] * (g[d] - m1 - kk[d] * m2);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, D, D, 1.0f, u->dk, D, Wh, D,
                    1.0f, dx, D);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, D, T, 1.0f, x, D, u->dk, D,
                    0.0f, u->dW, D);
        /* (the chain rule to the cores' gradients, O(D^2 r), is left out) */
    }
}

static void bench_attention(const at_kernel *a, double peak2)
{
    const size_t heads = 8, batch = 1;
    size_t T = (size_t)a->T, D = (size_t)a->m0 * a->m1, e = (size_t)a->dv;
    size_t n1 = D * a->n0 * a->s, n2 = D * a->m1 * a->s;
    float *x = filled(T * D, 1), *W1 = filled(heads * n1, 1 / sqrtf((float)a->m0));
    float *W2 = filled(heads * n2, 1 / sqrtf((float)(a->m1 * a->s)));
    float *v = filled(heads * T * e, 1), *dout = filled(heads * T * e, 1);
    float *o = alloc_f(heads * T * e), *lse = alloc_f(heads * T), *dx = alloc_f(T * D);
    float *dW1 = alloc_f(heads * n1), *dW2 = alloc_f(heads * n2), *dv = alloc_f(heads * T * e);
    float *ou = alloc_f(heads * T * e), *lu = alloc_f(heads * T), *dxu = alloc_f(T * D);
    float *dvu = alloc_f(heads * T * e), *Wh = alloc_f(D * D);
    unfused u = {NULL, alloc_f(T * D), alloc_f(T * D), alloc_f(T), alloc_f(T * T),
                 alloc_f(T * T), alloc_f(T * D), alloc_f(D * D)};
    size_t wsb = a->ws(batch, heads);
    void *ws = alloc_ws(wsb);
    double tf, tb, tuf, tub, eo = 0, mo = 0, edx = 0, mdx = 0;
    int rc = 0;
    TIME(tf, rc |= a->fwd(x, W1, W2, v, o, lse, batch, heads, ws));
    TIME(tb, rc |= a->bwd(x, W1, W2, v, o, lse, dout, dx, dW1, dW2, dv, batch, heads, ws));
    TIME(tuf, unfused_forward(a, x, W1, W2, v, ou, lu, heads, &u, Wh));
    TIME(tub, unfused_backward(a, x, W1, W2, v, dout, dxu, dvu, heads, &u, Wh));
    for (size_t i = 0; i < heads * T * e; i++) {
        eo = fmax(eo, fabs((double)o[i] - ou[i]));
        mo = fmax(mo, fabs((double)ou[i]));
    }
    for (size_t i = 0; i < T * D; i++) {
        edx = fmax(edx, fabs((double)dx[i] - dxu[i]));
        mdx = fmax(mdx, fabs((double)dxu[i]));
    }
    /* useful flops per head: keys (BTT), S and P V over the causal half */
    double pairs = a->causal ? (double)T * (T + 1) / 2 : (double)T * T;
    double fk = 2.0 * T * a->s * ((double)D * a->n0 + (double)D * a->m1);
    double ff = heads * (fk + 2 * pairs * D + 2 * pairs * e);
    /* backward: keys' BTT backward (2x), S, dK, dXq (D each), dP, dV (dv each) */
    double fb = heads * (2 * fk + pairs * 2 * (3 * (double)D + 2 * (double)e));
    printf("%-22s T=%zu D=%zu r=%d dv=%zu heads=%zu %s\n", a->name, T, D, a->s, e, heads,
           a->causal ? "causal" : "non-causal");
    printf("  forward : %8.2f ms %7.1f GFLOP/s %5.1f%% of AVX2 peak | unfused OpenBLAS %8.2f ms"
           " -> %5.2fx   (max |o - o_unfused| / max|o| = %.1e)\n",
           tf * 1e3, ff / tf * 1e-9, 100 * ff / tf * 1e-9 / peak2, tuf * 1e3, tuf / tf, eo / mo);
    printf("  backward: %8.2f ms %7.1f GFLOP/s %5.1f%% of AVX2 peak | unfused OpenBLAS %8.2f ms"
           " -> %5.2fx   (max |dx - dx_unfused| / max|dx| = %.1e)%s\n",
           tb * 1e3, fb / tb * 1e-9, 100 * fb / tb * 1e-9 / peak2, tub * 1e3, tub / tb, edx / mdx,
           rc ? "  (kernel returned nonzero!)" : "");
    free(x);
    free(W1);
    free(W2);
    free(v);
    free(dout);
    free(o);
    free(lse);
    free(dx);
    free(dW1);
    free(dW2);
    free(dv);
    free(ou);
    free(lu);
    free(dxu);
    free(dvu);
    free(Wh);
    free(u.kp);
    free(u.k);
    free(u.rstd);
    free(u.P);
    free(u.dP);
    free(u.dk);
    free(u.dW);
    free(ws);
}

static void cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(buf, len, "unknown CPU");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                snprintf(buf, len, "%s", c + 2);
                buf[strcspn(buf, "\n")] = 0;
            }
            break;
        }
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    int do_mm = 1, do_at = 1, threads = 1;
    size_t rows = 1024;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "-A") == 0)
            do_at = 0;
        else if (strcmp(argv[i], "-M") == 0)
            do_mm = 0;
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc && atoi(argv[i + 1]) >= 1)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc && atoi(argv[i + 1]) >= 1)
            rows = (size_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [-r REPS] [-k SUBSTRING] [-A] [-M] [-t THREADS] [-n ROWS]\n",
                    argv[0]);
            return 2;
        }
    }
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    if (threads != 1) {
        fprintf(stderr, "btt_bench: built without OpenMP: -t 1 only\n");
        return 2;
    }
#endif
    if (reps < 1)
        reps = 1;
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "btt_bench: needs AVX2 and FMA\n");
        return 1;
    }
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    openblas_set_num_threads(threads);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    /* -t: the peak of one core times the threads */
    double p2 = threads * peak(peak_avx2_run);
    double p5 = __builtin_cpu_supports("avx512f") ? threads * peak(peak_avx512_run) : 0;
    printf("btt_bench: %s, %d thread%s (kernels: threads = \"openmp\")\n", cpu, threads,
           threads > 1 ? "s" : "");
    printf("OpenBLAS: core %s, config %s, %d thread%s (OPENBLAS_CORETYPE %s)\n",
           openblas_get_corename(), openblas_get_config(), threads, threads > 1 ? "s" : "",
           ct && *ct ? ct : "unset");
    printf("measured f32 FMA peak%s: AVX2 %.1f GFLOP/s", threads > 1 ? " (one core's x threads)" : "",
           p2);
    if (p5 > 0)
        printf(", AVX-512 %.1f GFLOP/s (what OpenBLAS can use)", p5);
    printf("\nmedian of %d timed calls after a warm-up\n\n", reps);
    if (do_mm && mm_kernels[0].name) {
        printf("matmul, n = %zu rows, square factors sqrt(D) x sqrt(D), f32\n", rows);
        printf("%-22s %5s %4s %6s | %-43s | %-43s | %7s %s\n", "kernel", "D", "rank", "target",
               "forward: ms GFLOP/s %peak dense-ms speedup", "backward: ms GFLOP/s %peak "
               "dense-ms speedup", "flops", "rel.err");
        for (size_t i = 0; i + 1 < sizeof mm_kernels / sizeof mm_kernels[0]; i++)
            if (strcmp(mm_kernels[i].target, "avx512") == 0 && p5 == 0)
                printf("%s: skipped, this CPU has no AVX-512\n", mm_kernels[i].name);
            else if (!filter || strstr(mm_kernels[i].name, filter))
                bench_matmul(&mm_kernels[i],
                             strcmp(mm_kernels[i].target, "avx512") == 0 ? p5 : p2, rows);
        printf("(flops = dense / BTT FLOP count; speedup = dense OpenBLAS time / BTT time;\n"
               " %%peak: of the FMA peak of the kernel's target, AVX2 or AVX-512)\n\n");
    }
    if (do_at)
        for (size_t i = 0; i + 1 < sizeof at_kernels / sizeof at_kernels[0]; i++)
            if (!filter || strstr(at_kernels[i].name, filter))
                bench_attention(&at_kernels[i], p2);
    return 0;
}
