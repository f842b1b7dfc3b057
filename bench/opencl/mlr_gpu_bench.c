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

/* One call of a kernel's pass: the device's (cl_mem) or the C target's. */
typedef struct {
    const kernel *k;
    int backward;
    size_t B, H;
    cl_mem q, kk, v, o, lse, dout, dq, dk, dv, ws;
    const float *hq, *hk, *hv, *ho, *hl, *hd;
    float *out, *lse_out;
    void *hws;
} call;

static int call_cl(void *p)
{
    const call *c = p;
    return c->backward ? c->k->cl_bw(bench_queue, c->q, c->kk, c->v, c->o, c->lse, c->dout, c->dq,
                                      c->dk, c->dv, c->B, c->H, c->ws)
                       : c->k->cl_fw(bench_queue, c->q, c->kk, c->v, c->o, c->lse, c->B, c->H,
                                     c->ws);
}

static int call_c(void *p)
{
    const call *c = p;
    const size_t nq = c->B * c->H * c->k->T * c->k->R;
    return c->backward ? c->k->c_bw(c->hq, c->hk, c->hv, c->ho, c->hl, c->hd, c->out, c->out + nq,
                                     c->out + 2 * nq, c->B, c->H, c->hws)
                       : c->k->c_fw(c->hq, c->hk, c->hv, c->out, c->lse_out, c->B, c->H, c->hws);
}

static void run(const kernel *k, int backward, const options *o)
{
    const size_t B = o->batch, H = o->heads, nq = B * H * k->T * k->R, nv = B * H * k->T * k->dv;
    const size_t nl = B * H * k->T;
    float *q = bench_malloc(nq * 4), *kk = bench_malloc(nq * 4), *v = bench_malloc(nv * 4);
    float *dout = bench_malloc(nv * 4), *o_c = bench_malloc(nv * 4), *l_c = bench_malloc(nl * 4);
    float *out = bench_malloc((nq > nv ? nq : nv) * 4 * 3), *ref = bench_malloc((nq > nv ? nq : nv) * 4 * 3);
    double first, tcl, tc = 0, diff = 0, flops, dense_flops;
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
    call c = {k, backward, B, H, bench_buffer(nq * 4, q), bench_buffer(nq * 4, kk),
              bench_buffer(nv * 4, v), bench_buffer(nv * 4, backward ? o_c : NULL),
              bench_buffer(nl * 4, backward ? l_c : NULL), bench_buffer(nv * 4, dout),
              bench_buffer(nq * 4, NULL), bench_buffer(nq * 4, NULL), bench_buffer(nv * 4, NULL),
              bench_buffer(k->cl_ws(B, H), NULL), q, kk, v, o_c, l_c, dout, ref, l_c, NULL};
    tcl = bench_time(call_cl, &c, o->reps, &first, k->name);
    if (backward) {
        myogen_cl_download(bench_queue, c.dq, out, nq * 4);
        myogen_cl_download(bench_queue, c.dk, out + nq, nq * 4);
        myogen_cl_download(bench_queue, c.dv, out + 2 * nq, nv * 4);
    } else {
        myogen_cl_download(bench_queue, c.o, out, nv * 4);
    }
    flops = mlr_ref_flops(&k->cfg, backward) * (double)(B * H);
    dense.depth = 1;
    dense.ranks[0] = (int)k->R;
    dense_flops = mlr_ref_flops(&dense, backward) * (double)(B * H);
    if (o->baseline) {
        c.hws = aligned_alloc(64, (k->c_ws(B, H) + 63) / 64 * 64 + 64);
        if (!c.hws)
            bench_die_cl("host workspace", 1);
        tc = bench_time(call_c, &c, o->creps, NULL, "the C kernel");
        if (backward) {
            diff = fmax(bench_rel_diff(out, ref, nq), bench_rel_diff(out + nq, ref + nq, nq));
            diff = fmax(diff, bench_rel_diff(out + 2 * nq, ref + 2 * nq, nv));
        } else {
            diff = bench_rel_diff(out, ref, nv);
        }
        free(c.hws);
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
    myogen_cl_free(c.q), myogen_cl_free(c.kk), myogen_cl_free(c.v), myogen_cl_free(c.o);
    myogen_cl_free(c.lse), myogen_cl_free(c.dout), myogen_cl_free(c.dq), myogen_cl_free(c.dk);
    myogen_cl_free(c.dv), myogen_cl_free(c.ws);
    free(q), free(kk), free(v), free(dout), free(o_c), free(l_c), free(out), free(ref);
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
