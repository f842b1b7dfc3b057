/* mlr_bench: throughput of the generated `mlr` kernels (DESIGN.md 6.2, 7).
 *
 * For every kernel bench/mlr_bench.cmake generates (f32, dv 64, arity 2,
 * causal, normalize shared; batch 1, 8 heads) it prints, forward and
 * backward: the median time of the timed calls (after a warm-up), the useful
 * GFLOP/s by the MLR FLOP count (printed with the table), the % of the
 * single-core AVX2 FMA peak that this program measures itself, and against
 * depth 1 at the same head dim R = 64 and the same T (dense softmax
 * attention, the baseline, timed in the same run): the FLOP ratio
 * dense/this, the measured speedup dense time / this time, and their ratio,
 * the efficiency of the level skipping (1 = the whole FLOP saving shows up
 * as time).
 *
 * Every call of a kernel is followed by one of its baseline, so that both
 * see the same machine state (the machines this runs on are shared and
 * their speed drifts): the speedup is the median of the paired ratios.
 *
 * Options: -r REPS (timed calls per kernel and pass; default 15 at T=1024,
 * 7 at T=4096), -k SUBSTRING (only kernels whose name contains it; the
 * baseline of each T always runs), -f / -b (forward / backward only), -t N
 * (threads, where built with OpenMP: the kernels are threads = "openmp";
 * default 1).  Every time is a median; % of peak is of one core's peak
 * times the threads. */
#define _POSIX_C_SOURCE 200809L
#define _ISOC11_SOURCE /* aligned_alloc */
#include "fma_peak.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlr_bench_kernels.h"
#include "mlr_ref.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define HEADS 8
#define BATCH 1

typedef int (*fwd_fn)(const float *q, const float *k, const float *v, float *o, float *lse,
                      size_t batch, size_t heads, void *ws);
typedef int (*bwd_fn)(const float *q, const float *k, const float *v, const float *o,
                      const float *lse, const float *dout, float *dq, float *dk, float *dv,
                      size_t batch, size_t heads, void *ws);

typedef struct {
    const char *name, *target, *label;
    fwd_fn fwd;
    bwd_fn bwd;
    size_t (*ws)(size_t, size_t);
    size_t T, k, depth, R, dv;
    int causal, normalize;
    int ranks[MLR_REF_MAX_LEVELS];
} kernel;

#define ENTRY(NAME, TARGET, LABEL)                                                     \
    {#NAME, TARGET, LABEL, NAME##_forward, NAME##_backward, NAME##_workspace_size,     \
     NAME##_SEQ_LEN, NAME##_ARITY, NAME##_DEPTH, NAME##_RANK, NAME##_VALUE_DIM,         \
     NAME##_CAUSAL, NAME##_NORMALIZE, NAME##_RANKS},
static const kernel kernels[] = {MLR_BENCH_KERNELS(ENTRY)};
#define NK (sizeof kernels / sizeof kernels[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static int has_avx512(void) { return __builtin_cpu_supports("avx512f"); }

/* best of 9 runs: interference from other processes only ever lowers it */
static double fma_peak(void)
{
    double best = 0;
    peak_avx2_run(2000000); /* warm-up: clocks up */
    for (int i = 0; i < 9; i++) {
        double g = peak_avx2_run(4000000);
        best = g > best ? g : best;
    }
    return best;
}

static void cpu_name(char *buf, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(buf, n, "unknown CPU");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = 0;
                snprintf(buf, n, "%s", p);
            }
            break;
        }
    fclose(f);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static float urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * 0x1p-53 * 2 - 1);
}

static float *buf(size_t n, int random)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "mlr_bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = random ? urand() : 0.0f;
    return p;
}

/* Buffers and workspace of one kernel, and its FLOPs per pass. */
typedef struct {
    const kernel *kd;
    float *q, *k, *v, *o, *lse, *dout, *dq, *dk, *dv;
    void *ws;
    double flops[2];
} setup;

static void setup_flops(setup *s);

static void setup_make(const kernel *kd, setup *s)
{
    size_t nq = (size_t)BATCH * HEADS * kd->T * kd->R, nv = (size_t)BATCH * HEADS * kd->T * kd->dv;
    size_t nl = (size_t)BATCH * HEADS * kd->T, wsz = kd->ws(BATCH, HEADS);
    s->kd = kd;
    s->q = buf(nq, 1);
    s->k = buf(nq, 1);
    s->v = buf(nv, 1);
    s->o = buf(nv, 0);
    s->lse = buf(nl, 0);
    s->dout = buf(nv, 1);
    s->dq = buf(nq, 0);
    s->dk = buf(nq, 0);
    s->dv = buf(nv, 0);
    s->ws = aligned_alloc(64, (wsz + 63) / 64 * 64);
    if (!s->ws) {
        fprintf(stderr, "mlr_bench: out of memory\n");
        exit(1);
    }
    setup_flops(s);
}

static void setup_flops(setup *s)
{
    const kernel *kd = s->kd;
    mlr_cfg c;
    memset(&c, 0, sizeof c);
    c.T = kd->T;
    c.k = kd->k;
    c.depth = kd->depth;
    c.dv = kd->dv;
    c.causal = kd->causal;
    c.normalize = kd->normalize;
    memcpy(c.ranks, kd->ranks, kd->depth * sizeof(int));
    for (int pass = 0; pass < 2; pass++)
        s->flops[pass] = mlr_ref_flops(&c, pass) * BATCH * HEADS;
}

static void setup_free(setup *s)
{
    free(s->q);
    free(s->k);
    free(s->v);
    free(s->o);
    free(s->lse);
    free(s->dout);
    free(s->dq);
    free(s->dk);
    free(s->dv);
    free(s->ws);
}

/* FMA peak measured just before the latest call (GFLOP/s): the machine's
 * speed drifts, so % of peak is taken call by call */
static double last_peak;
static int bench_threads = 1; /* -t: the peak of one core times this */

/* one timed call (seconds), after a short peak measurement */
static double call(const setup *s, int pass)
{
    const kernel *kd = s->kd;
    last_peak = bench_threads *
                (strcmp(kd->target, "avx512") == 0 ? peak_avx512_run(200000) : peak_avx2_run(200000));
    double t0 = now();
    int rc = pass == 0 ? kd->fwd(s->q, s->k, s->v, s->o, s->lse, BATCH, HEADS, s->ws)
                       : kd->bwd(s->q, s->k, s->v, s->o, s->lse, s->dout, s->dq, s->dk, s->dv,
                                 BATCH, HEADS, s->ws);
    double dt = now() - t0;
    if (rc != 0) {
        fprintf(stderr, "mlr_bench: %s %s returned %d\n", kd->name, pass ? "backward" : "forward",
                rc);
        exit(1);
    }
    return dt;
}

static double peak_gflops;

static void row(const setup *s, const setup *b, int pass, double ms, double pct, double speedup)
{
    const kernel *kd = s->kd;
    double gf = s->flops[pass] / (ms * 1e-3) * 1e-9;
    double fr = b->flops[pass] / s->flops[pass];
    printf("%-5zu %-6s %-32s %-4s %10.2f %8.1f %6.1f %6.3f %7.3f %6.3f\n", kd->T, kd->target,
           kd->label, pass ? "bwd" : "fwd", ms, gf, pct, fr, speedup, speedup / fr);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int reps = 0, passes = 3, threads = 1;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-f") == 0)
            passes = 1;
        else if (strcmp(argv[i], "-b") == 0)
            passes = 2;
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc && atoi(argv[i + 1]) >= 1)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [-r REPS] [-k SUBSTRING] [-f | -b] [-t THREADS]\n",
                    argv[0]);
            return 2;
        }
    }
    bench_threads = threads;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    if (threads != 1) {
        fprintf(stderr, "mlr_bench: built without OpenMP: -t 1 only\n");
        return 2;
    }
#endif
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "mlr_bench: needs AVX2 and FMA\n");
        return 1;
    }
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    peak_gflops = fma_peak();
    printf("mlr_bench: %s, %d thread%s; measured one-core AVX2 FMA peak %.1f GFLOP/s (f32, best "
           "of 9)%s\n", cpu, threads, threads > 1 ? "s" : "", peak_gflops,
           has_avx512() ? "; avx512 rows: % of the AVX-512 peak" : "");
    printf("batch %d, %d heads, dv 64, arity 2, causal, normalize shared, f32\n", BATCH, HEADS);
    printf("FLOPs (MLR count), summed over unmasked pairs (i, j) and heads:\n"
           "  forward 2*D(m) + 2*dv, backward 6*D(m) + 4*dv, D(m) = r_1 + ... + r_m, m = m(i,j)\n"
           "  the levels i and j share (depth 1: D = R = 64 for every pair)\n"
           "ms: median; each kernel's calls alternate with calls of depth 1 (same T, target),\n"
           "speedup = median over those pairs of time(depth 1) / time; %%peak: median over calls\n"
           "of GFLOP/s / the FMA peak measured just before the call (the machine's speed drifts)\n"
           "FLOPx = FLOPs(depth 1) / FLOPs; efficiency = speedup / FLOPx\n\n");
    printf("%-5s %-6s %-32s %-4s %10s %8s %6s %6s %7s %6s\n", "T", "target", "ranks", "pass",
           "ms", "GFLOP/s", "%peak", "FLOPx", "speedup", "effic");
    for (size_t n = 0; n < NK; n++) {
        const kernel *base = &kernels[n];
        if (base->depth != 1)
            continue;
        if (strcmp(base->target, "avx512") == 0 && !has_avx512()) {
            printf("(avx512 kernels skipped: this CPU has no AVX-512)\n");
            continue;
        }
        size_t partners = 0;
        for (size_t m = 0; m < NK; m++)
            partners += &kernels[m] != base && kernels[m].T == base->T &&
                        strcmp(kernels[m].target, base->target) == 0 &&
                        !(only && !strstr(kernels[m].name, only));
        if (only && partners == 0)
            continue;
        /* the baseline, then every kernel of the same T and target, each
         * call of it followed by one of the baseline */
        int r = reps > 0 ? reps : (base->T >= 4096 ? 7 : 15);
        size_t nmax = (size_t)r * (NK + 1);
        /* baseline: times and % of peak (call by call); per kernel: the same
         * and the paired ratios */
        double *tb = malloc(sizeof(double) * nmax), *pb = malloc(sizeof(double) * nmax);
        double *tk = malloc(sizeof(double) * (size_t)r), *pk = malloc(sizeof(double) * (size_t)r);
        double *ratio = malloc(sizeof(double) * (size_t)r);
        double ms[NK], pct[NK], sp[NK];
        setup sb;
        if (!tb || !pb || !tk || !pk || !ratio) {
            fprintf(stderr, "mlr_bench: out of memory\n");
            return 1;
        }
        setup_make(base, &sb);
        for (int pass = 0; pass < 2; pass++) {
            if (!(passes & (1 << pass)))
                continue;
            int nb = 0;
#define PCT(st, t) (100 * (st)->flops[pass] / (t) * 1e-9 / last_peak)
            call(&sb, 0); /* warm-up; o and lse for the backward */
            for (int i = 0; i < r; i++) {
                tb[nb] = call(&sb, pass);
                pb[nb] = PCT(&sb, tb[nb]);
                nb++;
            }
            for (size_t m = 0; m < NK; m++) {
                const kernel *kd = &kernels[m];
                ms[m] = -1;
                if (kd == base || kd->T != base->T || strcmp(kd->target, base->target) != 0 ||
                    (only && !strstr(kd->name, only)))
                    continue;
                setup sk;
                setup_make(kd, &sk);
                call(&sk, 0);
                call(&sk, pass);
                for (int i = 0; i < r; i++) {
                    tk[i] = call(&sk, pass);
                    pk[i] = PCT(&sk, tk[i]);
                    tb[nb] = call(&sb, pass);
                    pb[nb] = PCT(&sb, tb[nb]);
                    ratio[i] = tb[nb++] / tk[i];
                }
                ms[m] = 1e3 * median(tk, r);
                pct[m] = median(pk, r);
                sp[m] = median(ratio, r);
                setup_free(&sk);
            }
#undef PCT
            row(&sb, &sb, pass, 1e3 * median(tb, nb), median(pb, nb), 1.0);
            for (size_t m = 0; m < NK; m++)
                if (ms[m] >= 0) {
                    setup sk;
                    sk.kd = &kernels[m];
                    setup_flops(&sk);
                    row(&sk, &sb, pass, ms[m], pct[m], sp[m]);
                }
        }
        setup_free(&sb);
        free(tb);
        free(pb);
        free(tk);
        free(pk);
        free(ratio);
    }
    return 0;
}
