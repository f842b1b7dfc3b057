/* btt_gpu_bench: the generated OpenCL `btt` matmul kernels on an OpenCL
 * device (DESIGN.md 6.3, 6.4, 7) against the device's f32 FMA peak measured
 * in the same run, PyTorch on the same device (where given) and the avx2 C
 * target on one core of this host.
 *
 * Kernels: bench/opencl/kernels/ (see kernels.cmake): y = BTT(x) with D =
 * 1024 (factors 32 x 32) and 4096 (64 x 64), ranks 1 and 4, f32, n = 4096
 * rows (-n ROWS: another).  Per row: the median time of the cl_mem entry
 * point (after two warm-up calls), GFLOP/s by the BTT count (forward
 * 2 n s (d_in n0 + d_out m1), backward twice that) and its % of the
 * measured peak; "FLOPx": a dense D x D matmul's FLOPs over BTT's; with -t
 * TSV (written by torch_gpu_baselines.py) PyTorch's dense matmul (f32, no
 * TF32) and its two-bmm BTT at the same shapes, and our speedup over each;
 * then the C target's time, our speedup over it and the largest difference
 * of the outputs (y, or dx/dW1/dW2) relative to their largest magnitude.
 *
 * Options: -n ROWS, -r REPS (10), -R C_REPS (3), -k SUBSTRING, -t TSV,
 * -c (no C baseline). */
#define _POSIX_C_SOURCE 200809L
#include "bench_device.h"
#include "btt_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    size_t m0, m1, n0, n1, s;
    size_t (*cl_ws)(size_t, size_t);
    int (*cl_fw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, size_t, cl_mem);
    int (*cl_bw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem,
                 size_t, cl_mem);
    size_t (*c_ws)(size_t, size_t);
    int (*c_fw)(const float *, const float *, const float *, float *, size_t, void *);
    int (*c_bw)(const float *, const float *, const float *, const float *, float *, float *,
                float *, size_t, void *);
} kernel;

#define X_ENTRY(X)                                                                             \
    {#X,                                                                                       \
     ocl_##X##_M0,                                                                             \
     ocl_##X##_M1,                                                                             \
     ocl_##X##_N0,                                                                             \
     ocl_##X##_N1,                                                                             \
     ocl_##X##_RANK,                                                                           \
     ocl_##X##_cl_workspace_size,                                                              \
     ocl_##X##_cl_forward,                                                                     \
     ocl_##X##_cl_backward,                                                                    \
     c_##X##_workspace_size,                                                                   \
     c_##X##_forward,                                                                          \
     c_##X##_backward},
static const kernel kernels[] = {BTT_KERNELS(X_ENTRY)};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

typedef struct {
    size_t rows;
    int reps, creps, baseline;
    double peak;
    const char *torch;
} options;

static unsigned rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f * 2 - 1;
}

static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / (m > 0 ? m : 1);
}

static float *rand_array(size_t n, float scale)
{
    float *a = bench_malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        a[i] = frand() * scale;
    return a;
}

static void run(const kernel *k, int backward, const options *o)
{
    const size_t n = o->rows, din = k->m0 * k->m1, dout = k->n0 * k->n1;
    const size_t nw1 = k->m1 * k->m0 * k->n0 * k->s, nw2 = k->n0 * k->m1 * k->s * k->n1;
    float *W1 = rand_array(nw1, 1.0f / sqrtf((float)k->m0));
    float *W2 = rand_array(nw2, 1.0f / sqrtf((float)(k->m1 * k->s)));
    float *x = rand_array(n * din, 1), *dy = rand_array(n * dout, 1);
    const size_t nout = backward ? n * din + nw1 + nw2 : n * dout;
    float *out = bench_malloc(nout * 4), *ref = bench_malloc(nout * 4);
    double *times = bench_malloc(sizeof(double) * (size_t)(o->reps > o->creps ? o->reps : o->creps));
    double first, tcl, tc = 0, diff = 0, flops, dense;
    int rc;
    cl_mem bW1 = bench_buffer(nw1 * 4, W1), bW2 = bench_buffer(nw2 * 4, W2);
    cl_mem bx = bench_buffer(n * din * 4, x), bdy = bench_buffer(n * dout * 4, dy);
    cl_mem by = bench_buffer(n * dout * 4, NULL), bdx = bench_buffer(n * din * 4, NULL);
    cl_mem bg1 = bench_buffer(nw1 * 4, NULL), bg2 = bench_buffer(nw2 * 4, NULL);
    cl_mem ws = bench_buffer(k->cl_ws(n, 1), NULL);
#define CALL_CL()                                                                              \
    (backward ? k->cl_bw(bench_queue, bW1, bW2, bx, bdy, bdx, bg1, bg2, n, ws)                 \
              : k->cl_fw(bench_queue, bW1, bW2, bx, by, n, ws))
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
        myogen_cl_download(bench_queue, bdx, out, n * din * 4);
        myogen_cl_download(bench_queue, bg1, out + n * din, nw1 * 4);
        myogen_cl_download(bench_queue, bg2, out + n * din + nw1, nw2 * 4);
    } else {
        myogen_cl_download(bench_queue, by, out, n * dout * 4);
    }
    flops = 2.0 * (double)n * (double)k->s * (double)(din * k->n0 + dout * k->m1);
    dense = 2.0 * (double)n * (double)din * (double)dout;
    if (backward)
        flops *= 2, dense *= 2;
    if (o->baseline) {
        void *w = aligned_alloc(64, (k->c_ws(n, 1) + 63) / 64 * 64 + 64);
        if (!w)
            bench_die_cl("host workspace", 1);
        for (int i = -1; i < o->creps; i++) {
            double t0 = bench_now();
            rc = backward ? k->c_bw(W1, W2, x, dy, ref, ref + n * din, ref + n * din + nw1, n, w)
                          : k->c_fw(W1, W2, x, ref, n, w);
            if (i >= 0)
                times[i] = bench_now() - t0;
            if (rc != 0) {
                fprintf(stderr, "btt_gpu_bench: C kernel %s failed (%d)\n", k->name, rc);
                exit(1);
            }
        }
        tc = bench_median(times, o->creps);
        if (backward) {
            diff = fmax(rel_diff(out, ref, n * din), rel_diff(out + n * din, ref + n * din, nw1));
            diff = fmax(diff, rel_diff(out + n * din + nw1, ref + n * din + nw1, nw2));
        } else {
            diff = rel_diff(out, ref, n * dout);
        }
        free(w);
    }
    printf("%-13s %-8s %5zu %9.3f %9.1f %6.1f%% %9.1f %6.1f", k->name,
           backward ? "backward" : "forward", n, tcl * 1e3, flops / tcl * 1e-9,
           100 * flops / tcl * 1e-9 / o->peak, first * 1e3, dense / flops);
    if (o->torch) {
        const char *pass = backward ? "backward" : "forward";
        char bname[64];
        double dm = bench_tsv_ms(o->torch, "dense_matmul", din, n, pass), bm;
        snprintf(bname, sizeof bname, "btt_bmm_r%zu", k->s);
        bm = bench_tsv_ms(o->torch, bname, din, n, pass);
        if (dm > 0)
            printf(" %8.3f %6.2fx", dm, dm / (tcl * 1e3));
        else
            printf(" %8s %7s", "-", "-");
        if (bm > 0)
            printf(" %8.3f %6.2fx", bm, bm / (tcl * 1e3));
        else
            printf(" %8s %7s", "-", "-");
    }
    if (o->baseline)
        printf(" %9.2f %7.2fx %s(%.1e)", tc * 1e3, tc / tcl, diff < 1e-4 ? "ok" : "MISMATCH",
               diff);
    printf("\n");
    fflush(stdout);
    myogen_cl_free(bW1), myogen_cl_free(bW2), myogen_cl_free(bx), myogen_cl_free(bdy);
    myogen_cl_free(by), myogen_cl_free(bdx), myogen_cl_free(bg1), myogen_cl_free(bg2);
    myogen_cl_free(ws);
    free(W1), free(W2), free(x), free(dy), free(out), free(ref), free(times);
}

int main(int argc, char **argv)
{
    options o = {4096, 10, 3, 1, 0, NULL};
    const char *only = NULL;
    char name[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-c")) {
            o.baseline = 0;
            continue;
        }
        if (!v || a[0] != '-' || strlen(a) != 2 || !strchr("nrRkt", a[1])) {
            fprintf(stderr, "usage: btt_gpu_bench [-n ROWS] [-r REPS] [-R C_REPS] "
                            "[-k SUBSTRING] [-t TORCH_TSV] [-c]\n");
            return 2;
        }
        i++;
        if (a[1] == 'n')
            o.rows = atol(v) > 0 ? (size_t)atol(v) : 1;
        else if (a[1] == 'r')
            o.reps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 'R')
            o.creps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 't')
            o.torch = v;
        else
            only = v;
    }
    bench_open("btt_gpu_bench");
    myogen_cl_device_name(name, sizeof name);
    o.peak = bench_fma_peak();
    printf("device: %s; measured f32 FMA peak %.1f GFLOP/s\n", name, o.peak);
    printf("C baseline: the avx2 target on one host core; f32; medians of %d calls (C: %d)\n\n",
           o.reps, o.creps);
    printf("%-13s %-8s %5s %9s %9s %7s %9s %6s", "kernel", "pass", "rows", "ms", "GFLOP/s",
           "%peak", "build ms", "FLOPx");
    if (o.torch)
        printf(" %8s %7s %8s %7s", "dense ms", "vs dns", "bmm ms", "vs bmm");
    if (o.baseline)
        printf(" %9s %8s %s", "C ms", "vs C", "check");
    printf("\n");
    for (size_t i = 0; i < NKERNELS; i++) {
        if (only && !strstr(kernels[i].name, only))
            continue;
        run(&kernels[i], 0, &o);
        run(&kernels[i], 1, &o);
    }
    printf("\nFLOPx: a dense D x D matmul's FLOPs over BTT's; dense: PyTorch x @ W (f32, TF32 "
           "off); bmm: PyTorch's BTT as two bmm\n(the FasterBTT form), same rank.\n");
    myogen_cl_shutdown();
    return 0;
}
