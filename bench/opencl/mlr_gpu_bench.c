/* mlr_gpu_bench: the generated OpenCL `mlr` kernels on an OpenCL device
 * (DESIGN.md 6.2, 6.4, 7) against the device's f32 FMA peak measured in the
 * same run, PyTorch on the same device (where given) and the avx2 C target
 * on this host's CPU (OpenMP threads).
 *
 * Kernels: bench/opencl/kernels/ (see kernels.cmake): the published MLR
 * configuration (8 levels of arity 2, ranks {32,8,6,4,4,4,4,2}: head dim 64,
 * dv 64, causal, normalize shared), f32, T = 1024 and 4096, batch 1 x 8
 * heads (-b, -H: others).  Per row: the median time of the cl_mem entry point
 * over the timed calls (after two warm-up calls), GFLOP/s by the MLR FLOP
 * count (tests/mlr_ref.c: forward 2 D_m + 2 dv per unmasked pair, backward
 * 6 D_m + 4 dv) and its % of the measured peak; with -t TSV (written by
 * torch_attention_baseline.py) the PyTorch times of dense causal SDPA at the
 * same T and head dim (f32) and of torch.compile of the authors' form of
 * MLR, and our speedup over each; "FLOPx" is dense attention's FLOPs over
 * MLR's (the speedup a kernel as efficient as SDPA would show); then the C
 * target's time, our speedup over it and the largest difference of the
 * outputs (o, or dq/dk/dv) relative to their largest magnitude.
 *
 * Options: -b BATCH -H HEADS, -r REPS (10), -R C_REPS (3), -k SUBSTRING, -t
 * TSV, -n (no C baseline). */
#define _POSIX_C_SOURCE 200809L
#include "bench_device.h"
#include "mlr_kernels.h"
#include "mlr_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    const char *name;
    size_t T, R, dv;
    mlr_cfg cfg;
    size_t (*cl_ws)(size_t, size_t);
    int (*cl_fw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, size_t, size_t,
                 cl_mem);
    int (*cl_bw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem,
                 cl_mem, cl_mem, size_t, size_t, cl_mem);
    size_t (*c_ws)(size_t, size_t);
    int (*c_fw)(const float *, const float *, const float *, float *, float *, size_t, size_t,
                void *);
    int (*c_bw)(const float *, const float *, const float *, const float *, const float *,
                const float *, float *, float *, float *, size_t, size_t, void *);
} kernel;

#define X_ENTRY(X)                                                                             \
    {#X,                                                                                       \
     ocl_##X##_SEQ_LEN,                                                                        \
     ocl_##X##_RANK,                                                                           \
     ocl_##X##_VALUE_DIM,                                                                      \
     {ocl_##X##_SEQ_LEN, ocl_##X##_ARITY, ocl_##X##_DEPTH, ocl_##X##_VALUE_DIM,               \
      ocl_##X##_RANKS, ocl_##X##_CAUSAL, ocl_##X##_NORMALIZE, MLR_SCALE_INV_RANK, {0}},      \
     ocl_##X##_cl_workspace_size,                                                              \
     ocl_##X##_cl_forward,                                                                     \
     ocl_##X##_cl_backward,                                                                    \
     c_##X##_workspace_size,                                                                   \
     c_##X##_forward,                                                                          \
     c_##X##_backward},
static const kernel kernels[] = {MLR_KERNELS(X_ENTRY)};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

typedef struct {
    size_t batch, heads;
    int reps, creps, baseline;
    double peak;       /* GFLOP/s */
    const char *torch; /* the PyTorch baseline's TSV, or NULL */
} options;

static unsigned rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f * 2 - 1;
}

/* max |a - b| / max |b| */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / (m > 0 ? m : 1);
}

static void run(const kernel *k, int backward, const options *o)
{
    const size_t B = o->batch, H = o->heads, nq = B * H * k->T * k->R, nv = B * H * k->T * k->dv;
    const size_t nl = B * H * k->T;
    float *q = bench_malloc(nq * 4), *kk = bench_malloc(nq * 4), *v = bench_malloc(nv * 4);
    float *dout = bench_malloc(nv * 4), *o_c = bench_malloc(nv * 4), *l_c = bench_malloc(nl * 4);
    float *out = bench_malloc((nq > nv ? nq : nv) * 4 * 3), *ref = bench_malloc((nq > nv ? nq : nv) * 4 * 3);
    double *times = bench_malloc(sizeof(double) * (size_t)(o->reps > o->creps ? o->reps : o->creps));
    double first, tcl, tc = 0, diff = 0, flops, dense_flops;
    int rc;
    mlr_cfg dense = k->cfg;
    for (size_t i = 0; i < nq; i++) {
        q[i] = frand();
        kk[i] = frand();
    }
    for (size_t i = 0; i < nv; i++) {
        v[i] = frand();
        dout[i] = frand();
    }
    /* the C forward gives the backward its o and lse (and the check) */
    {
        void *w = aligned_alloc(64, (k->c_ws(B, H) + 63) / 64 * 64 + 64);
        if (!w || k->c_fw(q, kk, v, o_c, l_c, B, H, w) != 0) {
            fprintf(stderr, "mlr_gpu_bench: the C forward of %s failed\n", k->name);
            exit(1);
        }
        free(w);
    }
    cl_mem bq = bench_buffer(nq * 4, q), bk = bench_buffer(nq * 4, kk), bv = bench_buffer(nv * 4, v);
    cl_mem bo = bench_buffer(nv * 4, backward ? o_c : NULL), bl = bench_buffer(nl * 4, backward ? l_c : NULL);
    cl_mem bd = bench_buffer(nv * 4, dout), bdq = bench_buffer(nq * 4, NULL);
    cl_mem bdk = bench_buffer(nq * 4, NULL), bdv = bench_buffer(nv * 4, NULL);
    cl_mem ws = bench_buffer(k->cl_ws(B, H), NULL);
#define CALL_CL()                                                                              \
    (backward ? k->cl_bw(bench_queue, bq, bk, bv, bo, bl, bd, bdq, bdk, bdv, B, H, ws)         \
              : k->cl_fw(bench_queue, bq, bk, bv, bo, bl, B, H, ws))
    first = bench_now();
    rc = CALL_CL();
    first = bench_now() - first;
    if (rc == 0)
        rc = CALL_CL();
    if (rc != 0)
        bench_die_cl(k->name, rc);
    for (int i = 0; i < o->reps; i++) {
        double t0 = bench_now();
        rc = CALL_CL();
        times[i] = bench_now() - t0;
        if (rc != 0)
            bench_die_cl(k->name, rc);
    }
    tcl = bench_median(times, o->reps);
    if (backward) {
        myogen_cl_download(bench_queue, bdq, out, nq * 4);
        myogen_cl_download(bench_queue, bdk, out + nq, nq * 4);
        myogen_cl_download(bench_queue, bdv, out + 2 * nq, nv * 4);
    } else {
        myogen_cl_download(bench_queue, bo, out, nv * 4);
    }
    flops = mlr_ref_flops(&k->cfg, backward) * (double)(B * H);
    dense.depth = 1;
    dense.ranks[0] = (int)k->R;
    dense_flops = mlr_ref_flops(&dense, backward) * (double)(B * H);
    if (o->baseline) {
        void *w = aligned_alloc(64, (k->c_ws(B, H) + 63) / 64 * 64 + 64);
        if (!w)
            bench_die_cl("host workspace", 1);
        for (int i = -1; i < o->creps; i++) {
            double t0 = bench_now();
            rc = backward ? k->c_bw(q, kk, v, o_c, l_c, dout, ref, ref + nq, ref + 2 * nq, B, H, w)
                          : k->c_fw(q, kk, v, ref, l_c, B, H, w);
            if (i >= 0)
                times[i] = bench_now() - t0;
            if (rc != 0) {
                fprintf(stderr, "mlr_gpu_bench: C kernel %s failed (%d)\n", k->name, rc);
                exit(1);
            }
        }
        tc = bench_median(times, o->creps);
        if (backward) {
            diff = fmax(rel_diff(out, ref, nq), rel_diff(out + nq, ref + nq, nq));
            diff = fmax(diff, rel_diff(out + 2 * nq, ref + 2 * nq, nv));
        } else {
            diff = rel_diff(out, ref, nv);
        }
    }
    printf("%-10s %-8s %5zu %2zux%-2zu %9.3f %9.1f %6.1f%% %9.1f", k->name,
           backward ? "backward" : "forward", k->T, B, H, tcl * 1e3, flops / tcl * 1e-9,
           100 * flops / tcl * 1e-9 / o->peak, first * 1e3);
    if (o->torch) {
        const char *pass = backward ? "backward" : "forward";
        double sdpa = bench_tsv_ms(o->torch, "sdpa_dense", k->T, H, pass);
        double comp = bench_tsv_ms(o->torch, "mlr_authors_compiled", k->T, H, pass);
        printf(" %6.2f", dense_flops / flops);
        if (sdpa > 0)
            printf(" %8.3f %6.2fx", sdpa, sdpa / (tcl * 1e3));
        else
            printf(" %8s %7s", "-", "-");
        if (comp > 0)
            printf(" %8.3f %6.2fx", comp, comp / (tcl * 1e3));
        else
            printf(" %8s %7s", "-", "-");
    }
    if (o->baseline)
        printf(" %9.2f %7.2fx %s(%.1e)", tc * 1e3, tc / tcl, diff < 1e-4 ? "ok" : "MISMATCH",
               diff);
    printf("\n");
    fflush(stdout);
    myogen_cl_free(bq), myogen_cl_free(bk), myogen_cl_free(bv), myogen_cl_free(bo);
    myogen_cl_free(bl), myogen_cl_free(bd), myogen_cl_free(bdq), myogen_cl_free(bdk);
    myogen_cl_free(bdv), myogen_cl_free(ws);
    free(q), free(kk), free(v), free(dout), free(o_c), free(l_c), free(out), free(ref);
    free(times);
}

int main(int argc, char **argv)
{
    options o = {1, 8, 10, 3, 1, 0, NULL};
    const char *only = NULL;
    char name[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n")) {
            o.baseline = 0;
            continue;
        }
        if (!v || a[0] != '-' || strlen(a) != 2 || !strchr("bHrRkt", a[1])) {
            fprintf(stderr, "usage: mlr_gpu_bench [-b BATCH] [-H HEADS] [-r REPS] [-R C_REPS] "
                            "[-k SUBSTRING] [-t TORCH_TSV] [-n]\n");
            return 2;
        }
        i++;
        if (a[1] == 'b')
            o.batch = atol(v) > 0 ? (size_t)atol(v) : 1;
        else if (a[1] == 'H')
            o.heads = atol(v) > 0 ? (size_t)atol(v) : 1;
        else if (a[1] == 'r')
            o.reps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 'R')
            o.creps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 't')
            o.torch = v;
        else
            only = v;
    }
    bench_open("mlr_gpu_bench");
    myogen_cl_device_name(name, sizeof name);
    o.peak = bench_fma_peak();
    printf("device: %s; measured f32 FMA peak %.1f GFLOP/s\n", name, o.peak);
#ifdef _OPENMP
    printf("C baseline: the avx2 target on the host CPU, %d OpenMP threads\n",
           omp_get_max_threads());
#else
    printf("C baseline: the avx2 target on the host CPU, 1 thread (built without OpenMP)\n");
#endif
    printf("f32, published ranks {32,8,6,4,4,4,4,2}, dv 64, causal; medians of %d calls (C: %d)\n\n",
           o.reps, o.creps);
    printf("%-10s %-8s %5s %5s %9s %9s %7s %9s", "kernel", "pass", "T", "BxH", "ms", "GFLOP/s",
           "%peak", "build ms");
    if (o.torch)
        printf(" %6s %8s %7s %8s %7s", "FLOPx", "SDPA ms", "vs SDPA", "comp ms", "vs comp");
    if (o.baseline)
        printf(" %9s %8s %s", "C ms", "vs C", "check");
    printf("\n");
    for (size_t i = 0; i < NKERNELS; i++) {
        if (only && !strstr(kernels[i].name, only))
            continue;
        run(&kernels[i], 0, &o);
        run(&kernels[i], 1, &o);
    }
    printf("\nFLOPx: dense attention's FLOPs (head dim 64) over MLR's; SDPA: PyTorch's dense "
           "causal scaled_dot_product_attention, f32;\ncomp: torch.compile of the authors' "
           "form (scores as a sum over level slices with block masks).\n");
    myogen_cl_shutdown();
    return 0;
}
