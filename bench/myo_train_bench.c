/* myo_train_bench: forward and backward throughput of the generated `myo`
 * kernels built with passes = {"forward", "backward"} and threads =
 * "openmp" (issue 3; DESIGN.md 6.1 and 7).
 *
 * Shapes of the foundation bench (myo_bench): f32, avx2, batch 4, 256
 * channels, L = 4096 with arity 2, 4, 8, 16 (depth 12, 6, 4, 3), state 16,
 * share "level" and "vertex", readout "siso"; plus arity 4 readout "none"
 * (state 16) and arity 4 block "dense" at state 4 (share "vertex" and
 * "level").  bench/myo_train_bench.cmake generates them.
 *
 * For every kernel and thread count (default 1, 2, 4, 8, 16, only those
 * <= the usable CPUs) it prints the median and the minimum time of the
 * timed forward and backward calls (after one warm-up call of each), the
 * backward/forward ratio, useful GFLOP/s and % of the measured FMA peak
 * (single-core peak x threads), the speedup over 1 thread and the parallel
 * efficiency, and whether y, du and every parameter gradient are bitwise
 * identical to those of the first thread count (memcmp; a mismatch is
 * reported and makes the exit status 1).
 *
 * Work counted (per batch element and channel):
 *   forward, diag:  (5|V| + 3L) N                          (DESIGN 6.1)
 *   forward, dense: (6|V| N + 3L) N   the same solve with N x N blocks:
 *                   C S^-1 m up (2N^2), S^-1 m and S^-1 B x down (4N^2)
 *   backward:       2 x forward (forward states recomputed + the adjoint
 *                   solve, the same tree pass) + the gradient outer
 *                   products dA, dB, dC, one FMA per block entry per
 *                   vertex: 6|V| N (dense 6|V| N^2), + siso readout
 *                   gradients dBin, dCout, dD and du: 6 L N.
 * Factorization work (per call, independent of batch) is not counted.
 * The forward of share "level" + readout "siso" takes the level-sum path
 * (no tree solve): its GFLOP/s are *equivalent* (same count, same layer).
 *
 * Sanity checks on the first thread count (the layer is linear in u):
 * adj = |<dy, y> - <du, u>| / (|dy| |y|) and, for siso, dD against
 * sum over (b, t) of dy u; both should be ~1e-6 in f32.
 *
 * Options: -t LIST (thread counts, comma separated; default 1,2,4,8,16),
 * -r REPS (timed calls per pass, default 5), -b SECONDS (stop timing a pass
 * after this much time once 3 calls were timed; default 1.5), -k SUBSTRING
 * (only kernels whose name contains it; repeatable), -B BATCH (batch
 * elements per call, default 4), -l (list kernels).
 * The machine may be shared: read min next to median. */
#define _GNU_SOURCE
#include "fma_peak.h"
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "myo_train_bench_kernels.h"

#define CHANNELS 256

/* batch elements per call (-B): 4 by default; at batch 4 this shape's u
 * (16.7 MB) fits the L3 of some development machines between calls, which
 * flatters the forward, so memory-bound ratios want batch 16 too */
static size_t bench_batch = 4;
#define MAX_THREADS_LIST 16
#define MAX_REPS 100

/* ---- one uniform entry per generated kernel ---- */

/* q, gq: A, B, C, Bin, Cout, D */
typedef int (*fwd_fn)(float *const *q, const float *u, float *y, size_t b, size_t c, void *w);
typedef int (*bwd_fn)(float *const *q, const float *u, const float *dy, float *du,
                      float *const *gq, size_t b, size_t c, void *w);
typedef size_t (*ws_fn)(size_t batch, size_t channels);

typedef struct {
    const char *name;
    fwd_fn fwd;
    bwd_fn bwd;
    ws_fn ws;
    int k, d, N, siso, share_level, share_vertex, dense;
    size_t L, V, P;
} kernel;

#define TRAIN_WRAP(NAME)                                                                  \
    typedef char NAME##_is_f32[sizeof(NAME##_real) == sizeof(float) ? 1 : -1];           \
    static int NAME##_f(float *const *q, const float *u, float *y, size_t b, size_t c,   \
                        void *w)                                                         \
    {                                                                                    \
        NAME##_params p;                                                                 \
        p.A = q[0], p.B = q[1], p.C = q[2], p.Bin = q[3], p.Cout = q[4], p.D = q[5];     \
        return NAME##_forward(&p, u, y, b, c, w);                                        \
    }                                                                                    \
    static int NAME##_b(float *const *q, const float *u, const float *dy, float *du,     \
                        float *const *gq, size_t b, size_t c, void *w)                   \
    {                                                                                    \
        NAME##_params p;                                                                 \
        NAME##_grads g;                                                                  \
        p.A = q[0], p.B = q[1], p.C = q[2], p.Bin = q[3], p.Cout = q[4], p.D = q[5];     \
        g.A = gq[0], g.B = gq[1], g.C = gq[2], g.Bin = gq[3], g.Cout = gq[4], g.D = gq[5]; \
        return NAME##_backward(&p, u, dy, du, &g, b, c, w);                              \
    }
MYO_TRAIN_KERNELS(TRAIN_WRAP)

#define TRAIN_ENTRY(NAME)                                                                 \
    {#NAME, NAME##_f, NAME##_b, NAME##_workspace_size, NAME##_ARITY, NAME##_DEPTH,        \
     NAME##_STATE, NAME##_READOUT_SISO, NAME##_SHARE_LEVEL, NAME##_SHARE_VERTEX,          \
     NAME##_BLOCK_DENSE, NAME##_SEQ_LEN, NAME##_VERTICES, NAME##_PARAM_SETS},
static const kernel kernels[] = {MYO_TRAIN_KERNELS(TRAIN_ENTRY)};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* The path templates/myo/plan.lua takes: level sums for share "level" but
 * the chain, with siso or (diag) readout "none". */
static int level_sum(const kernel *K)
{
    return K->share_level && K->k > 1 && (K->siso || !K->dense);
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

/* ---- FMA peak, one core (the bench's own, as in myo_bench) ---- */


static double peak1(double *med)
{
    double t[9], best = 0;
    peak_avx2_run(2000000);
    for (int i = 0; i < 9; i++) {
        t[i] = peak_avx2_run(4000000);
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
    if (bytes == 0)
        bytes = 64;
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64) != 0 || !p) {
        fprintf(stderr, "myo_train_bench: out of memory (%zu bytes)\n", bytes);
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

static float *zeros(size_t n)
{
    float *x = alloc64(n * sizeof *x);
    memset(x, 0, n * sizeof *x);
    return x;
}

/* Dense blocks [P][channels][N][N]: diagonal entries in [dlo, dhi],
 * off-diagonal entries in [-off, off]. */
static float *fill_blocks(size_t P, size_t N, double dlo, double dhi, double off)
{
    const size_t nb = P * CHANNELS;
    float *x = alloc64(nb * N * N * sizeof *x);
    for (size_t b = 0; b < nb; b++)
        for (size_t r = 0; r < N; r++)
            for (size_t c = 0; c < N; c++)
                x[(b * N + r) * N + c] =
                    (float)(r == c ? uniform(dlo, dhi) : uniform(-off, off));
    return x;
}

/* ---- machine ---- */

static int usable_cpus(int *online, int *affinity)
{
    cpu_set_t set;
    *online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    *affinity = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        *affinity = CPU_COUNT(&set);
    if (*affinity <= 0)
        *affinity = *online;
    return *affinity < *online ? *affinity : *online;
}

static void machine(int online, int affinity)
{
    char line[512], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    double load[3] = {-1, -1, -1};
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        }
        fclose(f);
    }
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(f);
    }
    printf("machine: %s; %d online CPUs, %d in this process's affinity mask (%s%s%s)\n", model,
           online, affinity, __builtin_cpu_supports("avx2") ? "avx2" : "no avx2",
           __builtin_cpu_supports("fma") ? " fma" : "",
           __builtin_cpu_supports("avx512f") ? " avx512f" : "");
    printf("OpenMP: _OPENMP %d, omp_get_num_procs %d, OMP_PROC_BIND=%s, OMP_PLACES=%s",
           _OPENMP, omp_get_num_procs(), getenv("OMP_PROC_BIND") ? getenv("OMP_PROC_BIND") : "(unset)",
           getenv("OMP_PLACES") ? getenv("OMP_PLACES") : "(unset)");
    if (load[0] >= 0)
        printf("; load average %.2f %.2f %.2f at start", load[0], load[1], load[2]);
    printf("\n");
}

/* ---- one kernel ---- */

typedef struct {
    double fwd_med, fwd_min, bwd_med, bwd_min;
    int nf, nb;
} timing;

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 4096 || n == max)
            return -1;
        out[n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

/* Times `reps` calls (stopping early once `budget` seconds were spent and
 * at least 3 were timed); returns the number timed. */
#define TIME_CALLS(REPS, BUDGET, T, CALL, WHAT)                                           \
    do {                                                                                 \
        double spent_ = 0;                                                               \
        for (nt_ = 0; nt_ < (REPS) && (nt_ < 3 || spent_ < (BUDGET)); nt_++) {           \
            const double t0_ = now();                                                    \
            const int rc_ = (CALL);                                                      \
            (T)[nt_] = now() - t0_;                                                      \
            spent_ += (T)[nt_];                                                          \
            if (rc_ != 0) {                                                              \
                fprintf(stderr, "myo_train_bench: %s_%s returned %d\n", K->name, WHAT,   \
                        rc_);                                                            \
                exit(1);                                                                 \
            }                                                                            \
        }                                                                                \
    } while (0)

static double min_of(const double *t, int n)
{
    double m = t[0];
    for (int i = 1; i < n; i++)
        if (t[i] < m)
            m = t[i];
    return m;
}

static int run_kernel(const kernel *K, const int *threads, int nthreads, int reps, double budget,
                      double peak)
{
    const size_t N = (size_t)K->N, L = K->L, V = K->V, P = K->P;
    const size_t blk = K->dense ? N * N : N;
    const size_t nabc = P * CHANNELS * blk;
    const size_t io = K->siso ? 1 : N;
    const size_t nio = (size_t)bench_batch * L * CHANNELS * io;
    const size_t glen[6] = {nabc, nabc, nabc, CHANNELS * N, CHANNELS * N, CHANNELS};
    const int ngrads = K->siso ? 6 : 3;
    const double bc = (double)bench_batch * CHANNELS;
    const double fwd_flops =
        (K->dense ? 6.0 * (double)V * (double)N + 3.0 * (double)L : 5.0 * (double)V + 3.0 * (double)L) *
        (double)N * bc;
    const double bwd_flops =
        2.0 * fwd_flops + (6.0 * (double)V * (double)blk + (K->siso ? 6.0 * (double)L * (double)N : 0)) * bc;
    float *prm[6], *grd[6], *grd_ref[6], *u, *y, *dy, *du, *y_ref, *du_ref;
    double t[MAX_REPS], adj = NAN, derr = NAN;
    timing tm[MAX_THREADS_LIST];
    int bad = 0, nt_;

    /* diagonally dominant parameters, a fixed seed per configuration */
    rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)K->k << 32) ^ ((uint64_t)K->share_level << 8) ^
                ((uint64_t)K->siso << 4) ^ ((uint64_t)K->dense << 12) ^ (uint64_t)K->N << 16;
    if (K->dense) {
        /* row sums: |A offdiag| <= 0.3, |B| <= 0.5, children's C <= 1 < 2 <= A_ii */
        prm[0] = fill_blocks(P, N, 2.0, 3.0, 0.3 / (double)N);
        prm[1] = fill_blocks(P, N, -0.5 / (double)N, 0.5 / (double)N, 0.5 / (double)N);
        prm[2] = fill_blocks(P, N, -1.0 / ((double)K->k * (double)N), 1.0 / ((double)K->k * (double)N),
                             1.0 / ((double)K->k * (double)N));
    } else {
        prm[0] = fill(nabc, 2.0, 3.0);
        prm[1] = fill(nabc, -0.5, 0.5);
        prm[2] = fill(nabc, -1.0 / K->k, 1.0 / K->k);
    }
    prm[3] = fill(CHANNELS * N, -1.0, 1.0);
    prm[4] = fill(CHANNELS * N, -1.0, 1.0);
    prm[5] = fill(CHANNELS, -1.0, 1.0);
    u = fill(nio, -1.0, 1.0);
    dy = fill(nio, -1.0, 1.0);
    y = zeros(nio);
    du = zeros(nio);
    y_ref = zeros(nio);
    du_ref = zeros(nio);
    for (int j = 0; j < 6; j++) {
        grd[j] = zeros(glen[j]);
        grd_ref[j] = zeros(glen[j]);
    }

    for (int ti = 0; ti < nthreads; ti++) {
        const int nth = threads[ti];
        size_t wsb;
        void *ws;
        int same = 1;
        char same_s[64] = "reference";

        omp_set_num_threads(nth);
        wsb = K->ws(bench_batch, CHANNELS); /* sized for omp_get_max_threads() now */
        ws = alloc64(wsb);

        /* warm-up (page faults, clocks), then timed calls */
        if (K->fwd(prm, u, y, bench_batch, CHANNELS, ws) != 0 ||
            K->bwd(prm, u, dy, du, grd, bench_batch, CHANNELS, ws) != 0) {
            fprintf(stderr, "myo_train_bench: %s failed in the warm-up\n", K->name);
            exit(1);
        }
        TIME_CALLS(reps, budget, t, K->fwd(prm, u, y, bench_batch, CHANNELS, ws), "forward");
        tm[ti].fwd_min = 1e3 * min_of(t, nt_);
        tm[ti].fwd_med = 1e3 * median(t, nt_);
        tm[ti].nf = nt_;
        TIME_CALLS(reps, budget, t, K->bwd(prm, u, dy, du, grd, bench_batch, CHANNELS, ws), "backward");
        tm[ti].bwd_min = 1e3 * min_of(t, nt_);
        tm[ti].bwd_med = 1e3 * median(t, nt_);
        tm[ti].nb = nt_;
        free(ws);

        if (ti == 0) {
            /* keep the first thread count's outputs; sanity checks */
            double s1 = 0, s2 = 0, ny = 0, ndy = 0;
            memcpy(y_ref, y, nio * sizeof *y);
            memcpy(du_ref, du, nio * sizeof *du);
            for (int j = 0; j < 6; j++)
                memcpy(grd_ref[j], grd[j], glen[j] * sizeof(float));
            for (size_t e = 0; e < nio; e++) {
                s1 += (double)dy[e] * y[e];
                s2 += (double)du[e] * u[e];
                ny += (double)y[e] * y[e];
                ndy += (double)dy[e] * dy[e];
            }
            adj = fabs(s1 - s2) / sqrt(ny * ndy);
            if (K->siso) {
                double dmax = 0, rmax = 0;
                for (size_t h = 0; h < CHANNELS; h++) {
                    double s = 0;
                    for (size_t b = 0; b < bench_batch; b++)
                        for (size_t tt = 0; tt < L; tt++) {
                            const size_t e = (b * L + tt) * CHANNELS + h;
                            s += (double)dy[e] * u[e];
                        }
                    if (!(fabs(s - grd[5][h]) <= dmax))
                        dmax = isnan(grd[5][h]) ? INFINITY : fabs(s - grd[5][h]);
                    if (fabs(s) > rmax)
                        rmax = fabs(s);
                }
                derr = rmax > 0 ? dmax / rmax : dmax;
            }
        } else {
            const char *what = NULL;
            if (memcmp(y, y_ref, nio * sizeof *y) != 0)
                what = "y";
            else if (memcmp(du, du_ref, nio * sizeof *du) != 0)
                what = "du";
            else
                for (int j = 0; j < ngrads && !what; j++)
                    if (memcmp(grd[j], grd_ref[j], glen[j] * sizeof(float)) != 0)
                        what = (const char *[]){"dA", "dB", "dC", "dBin", "dCout", "dD"}[j];
            if (what) {
                same = 0;
                bad = 1;
                snprintf(same_s, sizeof same_s, "DIFFERENT (%s) vs %d thr", what, threads[0]);
            } else
                snprintf(same_s, sizeof same_s, "identical");
        }
        {
            const double gf = fwd_flops / (tm[ti].fwd_med * 1e-3) * 1e-9;
            const double gb = bwd_flops / (tm[ti].bwd_med * 1e-3) * 1e-9;
            char sp[64] = "-";
            if (threads[0] == 1 && ti > 0) {
                const double sf = tm[0].fwd_med / tm[ti].fwd_med, sb = tm[0].bwd_med / tm[ti].bwd_med;
                snprintf(sp, sizeof sp, "%5.2f %3.0f%% %5.2f %3.0f%%", sf, 100 * sf / nth, sb,
                         100 * sb / nth);
            } else if (ti == 0 && threads[0] == 1)
                snprintf(sp, sizeof sp, "%5.2f %3.0f%% %5.2f %3.0f%%", 1.0, 100.0, 1.0, 100.0);
            printf("  %3d  %9.3f %9.3f %8.2f%s %5.1f%% %9.3f %9.3f %7.2f %5.1f%% %6.2f %6.2f  %-22s %2d/%-2d %s\n",
                   nth, tm[ti].fwd_med, tm[ti].fwd_min, gf, level_sum(K) ? "*" : " ",
                   100 * gf / (peak * nth), tm[ti].bwd_med, tm[ti].bwd_min, gb,
                   100 * gb / (peak * nth), tm[ti].bwd_med / tm[ti].fwd_med,
                   tm[ti].bwd_min / tm[ti].fwd_min, sp, tm[ti].nf, tm[ti].nb, same_s);
        }
        if (!same)
            fprintf(stderr, "myo_train_bench: %s: outputs at %d threads differ from %d threads\n",
                    K->name, nth, threads[0]);
        fflush(stdout);
    }
    printf("  checks (%d thr): adj %.1e%s", threads[0], adj,
           K->siso ? "" : " (readout none)");
    if (K->siso)
        printf(", dD vs sum dy*u %.1e", derr);
    printf("\n");
    if (!(adj < 1e-4) || (K->siso && !(derr < 1e-4))) {
        fprintf(stderr, "myo_train_bench: %s: the sanity checks failed\n", K->name);
        bad = 1;
    }

    for (int j = 0; j < 6; j++) {
        free(prm[j]);
        free(grd[j]);
        free(grd_ref[j]);
    }
    free(u);
    free(dy);
    free(y);
    free(du);
    free(y_ref);
    free(du_ref);
    return bad;
}

/* ---- main ---- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-t THREADS,...] [-r REPS] [-b SECONDS] [-B BATCH] [-k NAME_SUBSTRING]... [-l]\n"
            "  -t  thread counts (default 1,2,4,8,16; those above the usable CPUs are skipped)\n"
            "  -r  timed calls per pass (default 5, at most %d)\n"
            "  -b  stop timing a pass once it took this long and 3 calls were timed (default 1.5)\n"
            "  -k  only kernels whose name contains the substring (repeatable: any of them)\n"
            "  -B  batch elements per call (default 4)\n"
            "  -l  list the kernels and exit\n",
            argv0, MAX_REPS);
}

int main(int argc, char **argv)
{
    int req[MAX_THREADS_LIST] = {1, 2, 4, 8, 16}, nreq = 5, threads[MAX_THREADS_LIST], nthreads = 0;
    int reps = 5, bad = 0, online, affinity, usable, nfilters = 0;
    double budget = 1.5, pk, pk_med, t_start = now();
    const char *filters[32];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            nreq = parse_list(argv[++i], req, MAX_THREADS_LIST);
            if (nreq < 1) {
                fprintf(stderr, "myo_train_bench: -t wants a list like 1,2,4\n");
                return 2;
            }
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (strcmp(argv[i], "-B") == 0 && i + 1 < argc) {
            const long b = atol(argv[++i]);
            if (b < 1 || b > 1024) {
                fprintf(stderr, "myo_train_bench: -B wants a batch of 1..1024\n");
                return 2;
            }
            bench_batch = (size_t)b;
        } else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc && nfilters < 32)
            filters[nfilters++] = argv[++i];
        else if (strcmp(argv[i], "-l") == 0) {
            for (size_t ki = 0; ki < NKERNELS; ki++)
                printf("%s\n", kernels[ki].name);
            return 0;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "myo_train_bench: REPS must be 1..%d\n", MAX_REPS);
        return 2;
    }

    usable = usable_cpus(&online, &affinity);
    machine(online, affinity);
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "myo_train_bench: this CPU has no AVX2+FMA; the avx2 kernels cannot run\n");
        return 1;
    }
    for (int i = 0; i < nreq; i++) {
        if (req[i] > usable) {
            printf("threads %d skipped: more than the %d usable CPUs\n", req[i], usable);
            continue;
        }
        threads[nthreads++] = req[i];
    }
    if (nthreads == 0) {
        fprintf(stderr, "myo_train_bench: no thread count left\n");
        return 2;
    }

    pk = peak1(&pk_med);
    printf("FMA peak, 1 core, measured: AVX2 %.1f GFLOP/s f32 (best of 9; median %.1f); "
           "%%pk = GFLOP/s / (peak x threads)\n",
           pk, pk_med);
    printf("shape: batch %zu, channels %d, f32, avx2, OpenMP; per pass: 1 warm-up call, then up to %d "
           "timed calls (fewer once %.1f s were spent, at least 3); med = median, min = minimum, ms\n",
           bench_batch, CHANNELS, reps, budget);
    printf("work per (batch, channel): fwd (5|V| + 3L) N, dense (6|V| N + 3L) N; bwd 2 x fwd + "
           "6|V| N (dense 6|V| N^2) + 6 L N (siso)\n");
    printf("* forward on the level-sum path: equivalent GFLOP/s (same count, same layer)\n");
    printf("b/f: backward / forward time (med, min); speedup and efficiency vs 1 thread (fwd, bwd), "
           "medians; calls: timed fwd/bwd; same: y, du and gradients bitwise equal to %d thread%s\n\n",
           threads[0], threads[0] == 1 ? "" : "s");

    for (size_t ki = 0; ki < NKERNELS; ki++) {
        const kernel *K = &kernels[ki];
        int take = nfilters == 0;
        for (int f = 0; f < nfilters; f++)
            if (strstr(K->name, filters[f]))
                take = 1;
        if (!take)
            continue;
        printf("%s: k=%d d=%d N=%d %s share=%s readout=%s L=%zu |V|=%zu; forward path %s\n", K->name,
               K->k, K->d, K->N, K->dense ? "dense" : "diag",
               K->share_level ? "level" : K->share_vertex ? "vertex" : "input",
               K->siso ? "siso" : "none", K->L, K->V, level_sum(K) ? "level-sum" : "tree");
        printf("  thr    fwd_med   fwd_min GFLOP/s  %%pk   bwd_med   bwd_min GFLOP/s   %%pk  b/f_med "
               "b/f_min  spd_f  eff_f spd_b  eff_b calls same\n");
        bad |= run_kernel(K, threads, nthreads, reps, budget, pk);
        printf("\n");
    }
    printf("total %.1f s%s\n", now() - t_start, bad ? "; FAILED (see stderr)" : "");
    return bad;
}
