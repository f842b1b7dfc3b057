/* myo_bench: throughput of the generated `myo` forward kernels (DESIGN.md 7).
 *
 * For every kernel bench/CMakeLists.txt generates (f32, N = 16, L = 4096;
 * batch 4, 256 channels) it prints the median time of 15 timed calls after
 * two warm-up calls, the useful GFLOP/s by the tree-solve count of DESIGN
 * 6.1, (5|V| + 3L) N flops per (batch, channel), the % of the single-core
 * AVX2 FMA peak that this program measures itself, the bytes a call must
 * move per second and the time relative to a memcpy of as many bytes
 * measured in the same run, the time relative to what a user would run
 * instead, a bidirectional diagonal SSM scan of the same shape with
 * per-position parameters (x_scan), an estimate of the per-call setup cost
 * (the part that does not scale with batch), and the speedup over the plain
 * scalar reference of tests/myo_ref.c, whose output is also checked against
 * the kernel's.
 *
 * The level-sum path (share "level", readout "siso" or diag "none") does not do the tree
 * solve's work: its GFLOP/s are "equivalent" (same count, same layer) and
 * its real yardstick is memory: x_mcpy, time / memcpy(y, u), goal <= 2.
 *
 * Options: -r REPS (timed calls per kernel, 15), -R REPS (timed calls of
 * the scalar reference, at most 3, fewer once it took 2 s), -k SUBSTRING
 * (only kernels whose name contains it), -n (skip the reference), -s (skip
 * the batch-1 calls of the setup estimate), -F (reference on the full batch
 * instead of batch element 0, time scaled by the batch).
 * Single thread; the machine may be shared, so every time is a median. */
#define _POSIX_C_SOURCE 200809L
#include "fma_peak.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "myo_bench_kernels.h"
#include "myo_ref.h"

#define BATCH 4
#define CHANNELS 256

/* ---- kernels: one uniform entry per generated kernel ---- */

typedef int (*fwd_fn)(const float *const *prm, const float *u, float *y, size_t batch,
                      size_t channels, void *ws);
typedef size_t (*ws_fn)(size_t batch, size_t channels);

typedef struct {
    const char *name, *target;
    fwd_fn fwd;
    ws_fn ws;
    int k, d, N, siso, share_level, share_input, dense;
    size_t L, V, P;
} kernel;

/* prm: A, B, C, Bin, Cout, D */
#define BENCH_WRAP(NAME, TARGET)                                                          \
    typedef char NAME##_is_f32[sizeof(NAME##_real) == sizeof(float) ? 1 : -1];          \
    static int NAME##_call(const float *const *q, const float *u, float *y, size_t b,    \
                           size_t c, void *w)                                            \
    {                                                                                    \
        NAME##_params p;                                                                 \
        p.A = q[0], p.B = q[1], p.C = q[2], p.Bin = q[3], p.Cout = q[4], p.D = q[5];     \
        return NAME##_forward(&p, u, y, b, c, w);                                        \
    }
MYO_BENCH_KERNELS(BENCH_WRAP)

#define BENCH_ENTRY(NAME, TARGET)                                                         \
    {#NAME, TARGET, NAME##_call, NAME##_workspace_size, NAME##_ARITY, NAME##_DEPTH,       \
     NAME##_STATE, NAME##_READOUT_SISO, NAME##_SHARE_LEVEL, NAME##_SHARE_INPUT,           \
     NAME##_BLOCK_DENSE, NAME##_SEQ_LEN,                                                  \
     NAME##_VERTICES, NAME##_PARAM_SETS},
static const kernel kernels[] = {MYO_BENCH_KERNELS(BENCH_ENTRY)};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* The path templates/myo/plan.lua takes: level sums for share "level" but
 * the chain, with siso or (diag) readout "none". */
static const char *path_of(const kernel *K)
{
    return K->share_level && K->k > 1 && (K->siso || !K->dense) ? "level-sum" : "tree";
}

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

/* ---- FMA peak, single core ---- */


/* Best of several runs (interference only ever lowers a peak), with the
 * median for information. */
static double peak(double (*run)(long), double *med)
{
    double t[9], best = 0;
    run(2000000); /* warm-up: clocks up, AVX licence settled */
    for (int i = 0; i < 9; i++) {
        t[i] = run(4000000);
        if (t[i] > best)
            best = t[i];
    }
    *med = median(t, 9);
    return best;
}

/* ---- data ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform(double lo, double hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static void *alloc64(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64) != 0 || !p) {
        fprintf(stderr, "myo_bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static float *fill(size_t n, double lo, double hi)
{
    float *x = alloc64(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)uniform(lo, hi);
    return x;
}

/* ---- memcpy yardstick, one per byte count ---- */

typedef struct {
    size_t bytes;
    double ms;
} memcpy_time;

static memcpy_time memcpy_times[16];
static int n_memcpy_times;

/* Median time of memcpy(dst, src, half): it moves 2 * half bytes. src and
 * dst may be NULL: scratch buffers of that size are used. */
static double memcpy_ms(const void *src, void *dst, size_t half, int reps)
{
    double t[64], t0;
    void *s = NULL, *d = NULL;
    int i;
    for (i = 0; i < n_memcpy_times; i++)
        if (memcpy_times[i].bytes == half)
            return memcpy_times[i].ms;
    if (reps > 64)
        reps = 64;
    if (!src || !dst) {
        src = s = alloc64(half);
        dst = d = alloc64(half);
        memset(s, 1, half);
    }
    memcpy(dst, src, half); /* warm-up, page faults */
    memcpy(dst, src, half);
    for (i = 0; i < reps; i++) {
        t0 = now();
        memcpy(dst, src, half);
        t[i] = now() - t0;
    }
    free(s);
    free(d);
    if (n_memcpy_times < (int)(sizeof memcpy_times / sizeof memcpy_times[0])) {
        memcpy_times[n_memcpy_times].bytes = half;
        memcpy_times[n_memcpy_times++].ms = 1e3 * median(t, reps);
    }
    return 1e3 * median(t, reps);
}

/* ---- the user's alternative: a bidirectional diagonal SSM scan ---- */

/* One direction of y[b][t] (+)= sum_n c_t[n] h_t[n] with h_t = a_t h_{t-1} + b_t u_t
 * (reverse: h_{t+1}), every channel a lane; a, b, c per position [L][N][C]
 * (the layout a scan vectorized over channels picks), shared by the batch as
 * share "vertex" shares A, B, C; the batch inside the position loop, so the
 * parameters are read once per direction. The channel loop is innermost: the
 * compiler vectorizes it, and every (state, channel) chain is independent
 * (measured: 49 ms; y in a register over the states, one chain of 16 FMAs
 * per vector, 65 ms). h: [batch][N][C] of scratch. */
__attribute__((target("avx2,fma"))) static void scan_dir(const float *a, const float *b,
                                                         const float *c, const float *u, float *y,
                                                         float *h, size_t L, size_t N, int reverse)
{
    memset(h, 0, (size_t)BATCH * N * CHANNELS * sizeof *h);
    for (size_t s = 0; s < L; s++) {
        const size_t t = reverse ? L - 1 - s : s, p = t * N * CHANNELS;
        for (size_t bi = 0; bi < BATCH; bi++) {
            const float *ut = u + (bi * L + t) * CHANNELS;
            float *yt = y + (bi * L + t) * CHANNELS, *hb = h + bi * N * CHANNELS;
            for (size_t n = 0; n < N; n++)
                for (size_t ch = 0; ch < CHANNELS; ch++) {
                    const size_t e = n * CHANNELS + ch;
                    hb[e] = a[p + e] * hb[e] + b[p + e] * ut[ch];
                    yt[ch] += c[p + e] * hb[e];
                }
        }
    }
}

/* Median ms of the bidirectional scan (both directions, y zeroed first) on
 * batch BATCH, CHANNELS channels, L positions, N states. */
static double scan_ms(size_t L, size_t N, int reps)
{
    const size_t np = L * N * CHANNELS, nio = (size_t)BATCH * L * CHANNELS;
    float *a = fill(np, 0.5, 0.99), *b = fill(np, -1.0, 1.0), *c = fill(np, -1.0, 1.0);
    float *u = fill(nio, -1.0, 1.0), *y = alloc64(nio * sizeof *y);
    float *h = alloc64((size_t)BATCH * N * CHANNELS * sizeof *h);
    double t[64], t0;
    if (reps > 64)
        reps = 64;
    for (int i = -1; i < reps; i++) { /* one warm-up */
        t0 = now();
        memset(y, 0, nio * sizeof *y);
        scan_dir(a, b, c, u, y, h, L, N, 0);
        scan_dir(a, b, c, u, y, h, L, N, 1);
        if (i >= 0)
            t[i] = now() - t0;
    }
    free(a), free(b), free(c), free(u), free(y), free(h);
    return 1e3 * median(t, reps);
}

/* ---- the reference: one run per configuration, reused by all targets ---- */

typedef struct {
    int k, d, N, dense, share_level, share_input, siso;
    double ms;
    int reps;
    float *y;
} ref_result;

static ref_result refs[16];
static int n_refs;

/* ---- main ---- */

static void machine(void)
{
    char line[512], model[256] = "unknown";
    int cpus = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0 && strcmp(model, "unknown") == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
            }
            if (strncmp(line, "processor", 9) == 0)
                cpus++;
        }
        fclose(f);
    }
    printf("machine: %s, %d logical CPUs (%s%s%s), bench single-threaded\n", model, cpus,
           __builtin_cpu_supports("avx2") ? "avx2" : "no avx2",
           __builtin_cpu_supports("fma") ? " fma" : "",
           __builtin_cpu_supports("avx512f") ? " avx512f" : "");
}

int main(int argc, char **argv)
{
    int reps = 15, ref_reps = 3, no_ref = 0, no_setup = 0, ref_batch = 1;
    const char *only = NULL;
    double peak2, peak2_med, peak512 = 0, peak512_med = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-R") == 0 && i + 1 < argc)
            ref_reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-n") == 0)
            no_ref = 1;
        else if (strcmp(argv[i], "-F") == 0)
            ref_batch = BATCH;
        else if (strcmp(argv[i], "-s") == 0)
            no_setup = 1;
        else {
            fprintf(stderr, "usage: %s [-r REPS] [-R REF_REPS] [-k NAME_SUBSTRING] [-n] [-s] [-F]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 1 || reps > 1000 || ref_reps < 1 || ref_reps > 100) {
        fprintf(stderr, "myo_bench: REPS must be 1..1000, REF_REPS 1..100\n");
        return 2;
    }

    machine();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "myo_bench: this CPU has no AVX2+FMA; the avx2 kernels cannot run\n");
        return 1;
    }
    peak2 = peak(peak_avx2_run, &peak2_med);
    printf("FMA peak, 1 core, measured: AVX2 %.1f GFLOP/s f32 (best of 9; median %.1f)",
           peak2, peak2_med);
    if (__builtin_cpu_supports("avx512f")) {
        peak512 = peak(peak_avx512_run, &peak512_med);
        printf("; AVX-512 %.1f GFLOP/s (median %.1f): the %%peak of the avx512 rows", peak512,
               peak512_med);
    }
    printf("\n");
    printf("shape: batch %d, channels %d, f32; every time is the median of %d timed calls "
           "after 2 warm-ups\n(reference: up to %d calls, fewer once it has taken 2 s, %s; "
           "setup_ms: from 5 more calls at batch 1)\n",
           BATCH, CHANNELS, reps, ref_reps,
           ref_batch == BATCH ? "full batch"
                              : "on batch element 0 only, time x batch (it is linear in batch; -F: full batch)");
    printf("work: (5|V| + 3L) N flops per (batch, channel) (DESIGN 6.1; dense rows: (6|V|N + 3L) N, "
           "the solve's products); level-sum rows give the same count as *equivalent* GFLOP/s\n");
    printf("MB: bytes a call must move. level-sum: u + y (siso: B L C floats each), x_mcpy = "
           "time / memcpy(y, u), same run.\n    tree: u + y + the parameter arrays it reads "
           "(share vertex: A, B, C are [|V|][C][N], dense [|V|][C][N][N]; input: [B][|V|]...), x_mcpy = time / memcpy of MB/2 into MB/2\n");
    printf("setup: per-call cost that does not scale with batch, (4 t(batch 1) - t(batch 4)) / 3\n");
    printf("ref: tests/myo_ref.c myo_ref_tree_f (plain scalar float), same params and u; "
           "err = max|y - y_ref| / max|y_ref|\n");
    /* every kernel of this bench has N = 16 and L = 4096 */
    const double scan = scan_ms(4096, 16, reps);
    printf("x_scan: time / a bidirectional diagonal SSM scan of the same shape (N 16, L 4096; "
           "a, b, c per position, [L][N][C], %.0f MB, shared by the batch; vectorized over "
           "channels) measured here: %.3f ms\n\n",
           3.0 * 4096 * 16 * CHANNELS * sizeof(float) / 1e6, scan);

    printf("%-20s %-4s %-9s %2s %2s %4s %5s %9s %8s %8s %6s %6s %5s %6s %6s %8s %8s %7s %7s\n",
           "kernel", "isa", "path", "k", "d", "L", "|V|", "median_ms", "min_ms", "GFLOP/s",
           "%peak", "MB", "GB/s", "x_mcpy", "x_scan", "setup_ms", "ref_ms", "x_ref", "err");

    for (size_t ki = 0; ki < NKERNELS; ki++) {
        const kernel *K = &kernels[ki];
        const size_t N = (size_t)K->N, L = K->L, P = K->P * (K->share_input ? BATCH : 1);
        const size_t blk = K->dense ? N * N : N; /* entries of a block */
        const size_t io = K->siso ? 1 : N;
        const size_t nio = (size_t)BATCH * L * CHANNELS * io;
        const size_t bytes = nio * sizeof(float);
        const int is_level = strcmp(path_of(K), "level-sum") == 0;
        const size_t pbytes = (3 * P * CHANNELS * blk + (K->siso ? 2 * CHANNELS * N + CHANNELS : 0)) *
                              sizeof(float);
        const size_t moved = is_level ? 2 * bytes : 2 * bytes + pbytes;
        float *prm[6], *u, *y;
        void *ws;
        size_t wsb;
        double t[1000], t0, ms, tmin, setup_ms = NAN, mc, flops, ref_ms = NAN, err = NAN;
        int rc, i;
        if (strcmp(K->target, "avx512") == 0 && peak512 == 0) {
            printf("%-20s skipped: this CPU has no AVX-512\n", K->name);
            continue;
        }
        ref_result *R = NULL;

        if (only && !strstr(K->name, only))
            continue;
        /* diagonally dominant parameters, a fixed seed per configuration */
        rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)K->k << 32) ^
                    ((uint64_t)K->share_level << 8) ^ ((uint64_t)K->share_input << 16) ^
                    (uint64_t)K->siso ^ ((uint64_t)K->dense << 24) ^ ((uint64_t)K->N << 40);
        prm[0] = fill(P * CHANNELS * blk, 2.0, 3.0);
        prm[1] = fill(P * CHANNELS * blk, -0.5 / (double)(blk / N), 0.5 / (double)(blk / N));
        prm[2] = fill(P * CHANNELS * blk, -1.0 / K->k / (double)(blk / N), 1.0 / K->k / (double)(blk / N));
        for (size_t e = 0; K->dense && e < P * CHANNELS * blk; e++) /* dense: small off the diagonal */
            if (e % blk / N != e % N)
                prm[0][e] = (float)((prm[0][e] - 2.5) * 0.6 / (double)N);
        prm[3] = fill(CHANNELS * N, -1.0, 1.0);
        prm[4] = fill(CHANNELS * N, -1.0, 1.0);
        prm[5] = fill(CHANNELS, -1.0, 1.0);
        u = fill(nio, -1.0, 1.0);
        y = alloc64(bytes);
        memset(y, 0, bytes);
        wsb = K->ws(BATCH, CHANNELS);
        ws = wsb ? alloc64(wsb) : NULL;

        /* warm-up, then timed calls */
        for (i = 0; i < 2; i++) {
            rc = K->fwd((const float *const *)prm, u, y, BATCH, CHANNELS, ws);
            if (rc != 0) {
                fprintf(stderr, "myo_bench: %s_forward returned %d\n", K->name, rc);
                return 1;
            }
        }
        for (i = 0; i < reps; i++) {
            t0 = now();
            rc = K->fwd((const float *const *)prm, u, y, BATCH, CHANNELS, ws);
            t[i] = now() - t0;
            if (rc != 0) {
                fprintf(stderr, "myo_bench: %s_forward returned %d\n", K->name, rc);
                return 1;
            }
        }
        ms = 1e3 * median(t, reps);
        tmin = 1e3 * t[0];

        /* per-call setup: batch 1 against batch 4 */
        if (!no_setup) {
            double t1;
            const int reps1 = reps < 5 ? reps : 5;
            K->fwd((const float *const *)prm, u, y, 1, CHANNELS, ws);
            for (i = 0; i < reps1; i++) {
                t0 = now();
                K->fwd((const float *const *)prm, u, y, 1, CHANNELS, ws);
                t[i] = now() - t0;
            }
            t1 = 1e3 * median(t, reps1);
            setup_ms = (BATCH * t1 - ms) / (BATCH - 1);
            /* the batch-1 calls overwrote batch element 0 with the same values */
        }

        /* the scalar reference, once per configuration */
        if (!no_ref) {
            for (i = 0; i < n_refs; i++)
                if (refs[i].k == K->k && refs[i].d == K->d && refs[i].N == K->N &&
                    refs[i].dense == K->dense &&
                    refs[i].share_level == K->share_level &&
                    refs[i].share_input == K->share_input && refs[i].siso == K->siso)
                    R = &refs[i];
            if (!R && n_refs < (int)(sizeof refs / sizeof refs[0])) {
                myo_case c = {.k = K->k, .d = K->d, .N = K->N,
                              .share = K->share_level   ? MYO_SHARE_LEVEL
                                       : K->share_input ? MYO_SHARE_INPUT
                                                        : MYO_SHARE_VERTEX,
                              .readout_siso = K->siso, .dense = K->dense};
                myo_ref_params_f rp = {prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]};
                double tr[100];
                R = &refs[n_refs];
                R->y = alloc64(bytes / BATCH * (size_t)ref_batch);
                /* slow: stop repeating once 2 s were spent on it */
                double spent = 0;
                int nr = 0;
                for (i = 0; i < ref_reps && (i == 0 || spent < 2.0); i++, nr++) {
                    t0 = now();
                    rc = myo_ref_tree_f(&c, &rp, u, R->y, (size_t)ref_batch, CHANNELS);
                    tr[i] = now() - t0;
                    spent += tr[i];
                    if (rc != 0) {
                        fprintf(stderr, "myo_bench: myo_ref_tree_f returned %d for %s\n", rc,
                                K->name);
                        return 1;
                    }
                }
                R->k = K->k, R->d = K->d, R->N = K->N, R->dense = K->dense;
                R->share_level = K->share_level;
                R->share_input = K->share_input, R->siso = K->siso;
                R->ms = 1e3 * median(tr, nr) * BATCH / ref_batch; /* it is linear in batch */
                R->reps = nr;
                n_refs++;
            }
            if (R) {
                double dmax = 0, rmax = 0;
                for (size_t e = 0; e < nio / BATCH * (size_t)ref_batch; e++) {
                    double dv = fabs((double)y[e] - R->y[e]), rv = fabs((double)R->y[e]);
                    if (!(dv <= dmax)) /* NaN counts as the largest */
                        dmax = isnan(dv) ? INFINITY : dv;
                    if (rv > rmax)
                        rmax = rv;
                }
                err = rmax > 0 ? dmax / rmax : dmax;
                ref_ms = R->ms;
            }
        }

        mc = is_level ? memcpy_ms(u, y, bytes, reps) : memcpy_ms(NULL, NULL, moved / 2, reps);
        flops = (K->dense ? 6.0 * (double)K->V * (double)N + 3.0 * (double)L /* the solve's mat-vecs */
                          : 5.0 * (double)K->V + 3.0 * (double)L) *
                (double)N * BATCH * CHANNELS;
        {
            char ref_s[32] = "-", xref_s[32] = "-", err_s[32] = "-", setup_s[32] = "-", scan_s[32] = "-";
            const double gf = flops / (ms * 1e-3) * 1e-9;
            if (!isnan(ref_ms)) {
                snprintf(ref_s, sizeof ref_s, "%.1f", ref_ms);
                snprintf(xref_s, sizeof xref_s, "%.1f", ref_ms / ms);
                snprintf(err_s, sizeof err_s, "%.1e", err);
            }
            if (!isnan(setup_ms))
                snprintf(setup_s, sizeof setup_s, "%.2f", setup_ms);
            if (N == 16 && !K->dense) /* the scan has 16 diagonal states */
                snprintf(scan_s, sizeof scan_s, "%.2f", ms / scan);
            printf("%-20s %-4s %-9s %2d %2d %4zu %5zu %9.3f %8.3f %7.2f%s %5.1f%% %6.0f %5.1f %6.2f "
                   "%6s %8s %8s %7s %7s\n",
                   K->name, K->target, path_of(K), K->k, K->d, L, K->V, ms, tmin, gf,
                   is_level ? "*" : " ",
                   100.0 * gf / (strcmp(K->target, "avx512") == 0 ? peak512 : peak2), moved / 1e6,
                   moved / (ms * 1e-3) * 1e-9, ms / mc, scan_s, setup_s, ref_s, xref_s, err_s);
        }
        fflush(stdout);

        for (i = 0; i < 6; i++)
            free(prm[i]);
        free(u);
        free(y);
        free(ws);
    }
    printf("\n* equivalent GFLOP/s: the level-sum path computes the same layer with ~2 adds + 1 "
           "FMA per element of u; its yardstick is x_mcpy (goal <= 2)\n");
    printf("memcpy in the same run (bytes moved = 2 x copied):");
    for (int i = 0; i < n_memcpy_times; i++)
        printf("%s %.0f MB: %.3f ms = %.1f GB/s", i ? "," : "", 2.0 * memcpy_times[i].bytes / 1e6,
               memcpy_times[i].ms, 2.0 * memcpy_times[i].bytes / (memcpy_times[i].ms * 1e-3) * 1e-9);
    printf("\n");
    if (n_refs) {
        printf("reference calls timed:");
        for (int i = 0; i < n_refs; i++)
            printf("  k=%d %s %s: %d", refs[i].k, refs[i].share_level   ? "level"
                                                     : refs[i].share_input ? "input"
                                                                           : "vertex",
                   refs[i].siso ? "siso" : "none", refs[i].reps);
        printf("\n");
    }
    for (int i = 0; i < n_refs; i++)
        free(refs[i].y);
    return 0;
}
