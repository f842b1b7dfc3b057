/* opencl_bench: the generated OpenCL `myo` kernels on an OpenCL device
 * (DESIGN.md 7), against the same layers' avx2 C kernels on this host's CPU
 * (OpenMP threads) and, where given, PyTorch eager on the same device.
 *
 * Kernels: bench/opencl/kernels/ (see kernels.cmake): f32, L = 4096: level
 * sums, tree solves (arity 4 and 16; siso and readout none; diag N = 16 and
 * dense N = 4) and the chain, forward and backward.  Shapes: batch 4 x 256
 * channels and batch 16 x 2048 on a GPU (-b/-c: one shape of your own).
 * Per row: the median time of the cl_mem entry point over the timed calls
 * (after two warm-up calls; the first builds the program: "build ms"),
 * useful GFLOP/s by the tree-solve count of DESIGN 6.1, (5|V| + 3L) N flops
 * per (batch element, channel) [backward: twice that + 6|V|N], and the % of
 * the device's f32 FMA peak measured by this program; GB/s of the bytes a
 * call must move at least (parameters, u and y once; backward: parameters,
 * their gradients, u, dy, du) and the % of the device's copy bandwidth
 * measured here (a 1 GiB clEnqueueCopyBuffer, bytes read + written); the
 * PyTorch eager time of the same solve (-t FILE, the TSV that
 * torch_myo_baseline.py writes) and our speedup over it; then the C
 * kernel's median time, our speedup over it and a check of the outputs
 * against it (y, or du for backward).
 *
 * Options: -b BATCH -c CHANNELS (one shape), -r REPS (timed device calls;
 * 10), -R REPS (timed C calls, 3), -k SUBSTRING (only kernels whose name
 * contains it), -t TORCH_TSV, -n (no C baseline), -f (forward passes
 * only).  The device is the runtime's default: MYOGEN_CL_DEVICE picks
 * another. */
#define _POSIX_C_SOURCE 200809L
#include "bench_kernels.h"
#include "bench_device.h"
#include "myogen_cl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static unsigned rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f;
}

/* ---- the kernels: one uniform entry per generated pair ---- */

typedef struct {
    const float *A, *B, *C, *Bin, *Cout, *D;
} hparams;
typedef struct {
    float *A, *B, *C, *Bin, *Cout, *D;
} hgrads;
typedef struct {
    cl_mem A, B, C, Bin, Cout, D;
} dparams;

typedef struct {
    const char *name;
    int backward, k, d, N, siso, level, input, dense, symmetric;
    size_t L, V, P;
    size_t (*cl_ws)(size_t, size_t);
    int (*cl_fw)(cl_command_queue, const dparams *, cl_mem, cl_mem, size_t, size_t, cl_mem);
    int (*cl_bw)(cl_command_queue, const dparams *, cl_mem, cl_mem, cl_mem, const dparams *,
                 size_t, size_t, cl_mem);
    size_t (*c_ws)(size_t, size_t);
    int (*c_fw)(const hparams *, const float *, float *, size_t, size_t, void *);
    int (*c_bw)(const hparams *, const float *, const float *, float *, const hgrads *, size_t,
                size_t, void *);
} kernel;

#define WRAP(X, BW)                                                                            \
    typedef char X##_f32_check[sizeof(c_##X##_real) == sizeof(float) ? 1 : -1];               \
    static int X##_clfw(cl_command_queue q, const dparams *d, cl_mem u, cl_mem y, size_t b,    \
                        size_t c, cl_mem w)                                                    \
    {                                                                                          \
        ocl_##X##_cl_params p;                                                                 \
        p.A = d->A, p.B = d->B, p.C = d->C, p.Bin = d->Bin, p.Cout = d->Cout, p.D = d->D;      \
        return ocl_##X##_cl_forward(q, &p, u, y, b, c, w);                                     \
    }                                                                                          \
    static int X##_cfw(const hparams *h, const float *u, float *y, size_t b, size_t c,        \
                       void *w)                                                                \
    {                                                                                          \
        c_##X##_params p;                                                                      \
        p.A = h->A, p.B = h->B, p.C = h->C, p.Bin = h->Bin, p.Cout = h->Cout, p.D = h->D;      \
        return c_##X##_forward(&p, u, y, b, c, w);                                             \
    }                                                                                          \
    BW##_WRAP(X)
#define NOBW_WRAP(X)
#define BW_WRAP(X)                                                                             \
    static int X##_clbw(cl_command_queue q, const dparams *d, cl_mem u, cl_mem dy, cl_mem du,  \
                        const dparams *g, size_t b, size_t c, cl_mem w)                        \
    {                                                                                          \
        ocl_##X##_cl_params p;                                                                 \
        ocl_##X##_cl_grads r;                                                                  \
        p.A = d->A, p.B = d->B, p.C = d->C, p.Bin = d->Bin, p.Cout = d->Cout, p.D = d->D;      \
        r.A = g->A, r.B = g->B, r.C = g->C, r.Bin = g->Bin, r.Cout = g->Cout, r.D = g->D;      \
        return ocl_##X##_cl_backward(q, &p, u, dy, du, &r, b, c, w);                           \
    }                                                                                          \
    static int X##_cbw(const hparams *h, const float *u, const float *dy, float *du,          \
                       const hgrads *g, size_t b, size_t c, void *w)                           \
    {                                                                                          \
        c_##X##_params p;                                                                      \
        c_##X##_grads r;                                                                       \
        p.A = h->A, p.B = h->B, p.C = h->C, p.Bin = h->Bin, p.Cout = h->Cout, p.D = h->D;      \
        r.A = g->A, r.B = g->B, r.C = g->C, r.Bin = g->Bin, r.Cout = g->Cout, r.D = g->D;      \
        return c_##X##_backward(&p, u, dy, du, &r, b, c, w);                                   \
    }
#define X_WRAP(X, HAS_BW) WRAP_##HAS_BW(X)
#define WRAP_0(X) WRAP(X, NOBW)
#define WRAP_1(X) WRAP(X, BW)
BENCH_KERNELS(X_WRAP)

#define BW_FN_0(X, kind) NULL
#define BW_FN_1(X, kind) X##_##kind
#define X_ENTRY(X, HAS_BW)                                                                     \
    {#X, HAS_BW, ocl_##X##_ARITY, ocl_##X##_DEPTH, ocl_##X##_STATE, ocl_##X##_READOUT_SISO,    \
     ocl_##X##_SHARE_LEVEL, ocl_##X##_SHARE_INPUT, ocl_##X##_BLOCK_DENSE, ocl_##X##_SYMMETRIC, \
     ocl_##X##_SEQ_LEN, ocl_##X##_VERTICES, ocl_##X##_PARAM_SETS, ocl_##X##_cl_workspace_size, \
     X##_clfw, BW_FN_##HAS_BW(X, clbw), c_##X##_workspace_size, X##_cfw,                      \
     BW_FN_##HAS_BW(X, cbw)},
static const kernel kernels[] = {BENCH_KERNELS(X_ENTRY)};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

/* ---- one kernel ---- */

typedef struct {
    size_t np, nio, nbin;
    float *A, *B, *C, *Bin, *Cout, *D, *u, *dy;
} data;

static void data_make(const kernel *k, size_t batch, size_t channels, data *t)
{
    size_t bs = (size_t)(k->dense ? k->N * k->N : k->N);
    t->np = (k->input ? batch * k->V : k->P) * channels * bs;
    t->nio = batch * k->L * channels * (k->siso ? 1 : (size_t)k->N);
    t->nbin = channels * (size_t)k->N;
    t->A = bench_malloc(t->np * 4), t->B = bench_malloc(t->np * 4), t->C = bench_malloc(t->np * 4);
    for (size_t i = 0; i < t->np; i++) { /* strictly diagonally dominant */
        const float n = k->dense ? (float)k->N : 1;
        const int diag = !k->dense || i % bs % (size_t)(k->N + 1) == 0;
        t->A[i] = diag ? 2.0f + frand() : (frand() - 0.5f) / n;
        t->B[i] = (frand() - 0.5f) / (float)(k->k > 2 ? k->k / 2 : 1) / n;
        t->C[i] = (frand() - 0.5f) / (float)k->k / n;
    }
    t->Bin = bench_malloc(t->nbin * 4), t->Cout = bench_malloc(t->nbin * 4), t->D = bench_malloc(channels * 4);
    for (size_t i = 0; i < t->nbin; i++)
        t->Bin[i] = frand() - 0.5f, t->Cout[i] = frand() - 0.5f;
    for (size_t i = 0; i < channels; i++)
        t->D[i] = frand() - 0.5f;
    t->u = bench_malloc(t->nio * 4), t->dy = bench_malloc(t->nio * 4);
    for (size_t i = 0; i < t->nio; i++)
        t->u[i] = frand() - 0.5f, t->dy[i] = frand() - 0.5f;
}

static void data_free(data *t)
{
    free(t->A), free(t->B), free(t->C), free(t->Bin), free(t->Cout), free(t->D);
    free(t->u), free(t->dy);
}

static const char *path_of(const kernel *k)
{
    if (k->k == 1)
        return "chain";
    return k->level && k->siso ? "level sums" : "tree";
}

typedef struct {
    size_t batch, channels;
    int reps, creps, baseline;
    double peak, copy_gbs; /* GFLOP/s; GB/s (read + write) */
    const char *torch;     /* the PyTorch baseline's TSV, or NULL */
} options;

/* One call of a kernel's pass on the device (cl_mem) or of its C twin. */
typedef struct {
    const kernel *k;
    int backward;
    size_t B, Ch;
    const dparams *p, *g;
    cl_mem u, dy, y, ws;
} call;

static int call_cl(void *p)
{
    const call *c = p;
    return c->backward ? c->k->cl_bw(bench_queue, c->p, c->u, c->dy, c->y, c->g, c->B, c->Ch, c->ws)
                       : c->k->cl_fw(bench_queue, c->p, c->u, c->y, c->B, c->Ch, c->ws);
}

typedef struct {
    const kernel *k;
    int backward;
    size_t B, Ch;
    const hparams *p;
    const hgrads *g;
    const float *u, *dy;
    float *y;
    void *ws;
} host_call;

static int call_c(void *p)
{
    const host_call *c = p;
    return c->backward ? c->k->c_bw(c->p, c->u, c->dy, c->y, c->g, c->B, c->Ch, c->ws)
                       : c->k->c_fw(c->p, c->u, c->y, c->B, c->Ch, c->ws);
}

static void run(const kernel *k, int backward, size_t B, size_t Ch, const options *o)
{
    data t;
    data_make(k, B, Ch, &t);
    dparams dp = {bench_buffer(t.np * 4, t.A), bench_buffer(t.np * 4, t.B),
                  bench_buffer(t.np * 4, t.C), bench_buffer(t.nbin * 4, t.Bin),
                  bench_buffer(t.nbin * 4, t.Cout), bench_buffer(Ch * 4, t.D)};
    dparams dg = {0};
    cl_mem u = bench_buffer(t.nio * 4, t.u), y = bench_buffer(t.nio * 4, NULL), dy = NULL;
    size_t wsb = k->cl_ws(B, Ch);
    cl_mem ws = bench_buffer(wsb, NULL);
    float *y_cl = bench_malloc(t.nio * 4), *y_c = bench_malloc(t.nio * 4);
    double first, tcl, tc = 0, flops, bytes, tt, diff = 0;
    hgrads hg = {0};
    if (backward) {
        dy = bench_buffer(t.nio * 4, t.dy);
        dg.A = bench_buffer(t.np * 4, NULL), dg.B = bench_buffer(t.np * 4, NULL);
        dg.C = bench_buffer(t.np * 4, NULL), dg.Bin = bench_buffer(t.nbin * 4, NULL);
        dg.Cout = bench_buffer(t.nbin * 4, NULL), dg.D = bench_buffer(Ch * 4, NULL);
    }
    call c = {k, backward, B, Ch, &dp, &dg, u, dy, y, ws};
    tcl = bench_time(call_cl, &c, o->reps, &first, k->name);
    if (clEnqueueReadBuffer(bench_queue, y, CL_TRUE, 0, t.nio * 4, y_cl, 0, NULL, NULL) != CL_SUCCESS)
        bench_die_cl("reading y", 3);
    /* per (batch element, channel): the tree-solve count of DESIGN 6.1 */
    flops = (5.0 * (double)k->V + 3.0 * (double)k->L) * k->N * (double)B * (double)Ch;
    if (backward)
        flops = 2 * flops + 6.0 * (double)k->V * k->N * (double)B * (double)Ch;
    /* the least a call moves: parameters, u, y (backward: parameters and
     * their gradients, u, dy, du) */
    {
        const double par = (double)(k->symmetric ? 2 : 3) * (double)t.np +
                           (k->siso ? 2.0 * (double)t.nbin + (double)Ch : 0);
        bytes = 4 * (backward ? 2 * par + 3.0 * (double)t.nio : par + 2.0 * (double)t.nio);
    }
    tt = bench_tsv_ms(o->torch, k->name, B, Ch, backward ? "backward" : "forward");
    if (o->baseline) {
        hparams hp = {t.A, t.B, t.C, t.Bin, t.Cout, t.D};
        size_t cws = k->c_ws(B, Ch);
        void *w = aligned_alloc(64, (cws + 63) / 64 * 64);
        if (backward) {
            hg.A = bench_malloc(t.np * 4), hg.B = bench_malloc(t.np * 4), hg.C = bench_malloc(t.np * 4);
            hg.Bin = bench_malloc(t.nbin * 4), hg.Cout = bench_malloc(t.nbin * 4), hg.D = bench_malloc(Ch * 4);
        }
        if (!w)
            bench_die_cl("host workspace", 1);
        host_call hc = {k, backward, B, Ch, &hp, &hg, t.u, t.dy, y_c, w};
        tc = bench_time(call_c, &hc, o->creps, NULL, k->name);
        diff = bench_rel_diff(y_cl, y_c, t.nio); /* y, or du */
        free(w);
        free(hg.A), free(hg.B), free(hg.C), free(hg.Bin), free(hg.Cout), free(hg.D);
    }
    printf("%-11s %-10s %-8s %5zux%-5zu %9.3f %9.1f %6.1f%% %8.1f %6.1f%% %9.1f", k->name,
           path_of(k), backward ? "backward" : "forward", B, Ch, tcl * 1e3, flops / tcl * 1e-9,
           100 * flops / tcl * 1e-9 / o->peak, bytes / tcl * 1e-9,
           100 * bytes / tcl * 1e-9 / o->copy_gbs, first * 1e3);
    if (tt > 0)
        printf(" %9.3f %7.2fx", tt, tt / (tcl * 1e3));
    else if (o->torch)
        printf(" %9s %8s", "-", "-");
    if (o->baseline)
        printf(" %9.3f %7.2fx %s(%.1e)", tc * 1e3, tc / tcl, diff < 1e-4 ? "ok" : "MISMATCH",
               diff);
    printf("\n");
    fflush(stdout);
    myogen_cl_free(dp.A), myogen_cl_free(dp.B), myogen_cl_free(dp.C);
    myogen_cl_free(dp.Bin), myogen_cl_free(dp.Cout), myogen_cl_free(dp.D);
    myogen_cl_free(dg.A), myogen_cl_free(dg.B), myogen_cl_free(dg.C);
    myogen_cl_free(dg.Bin), myogen_cl_free(dg.Cout), myogen_cl_free(dg.D);
    myogen_cl_free(u), myogen_cl_free(y), myogen_cl_free(dy), myogen_cl_free(ws);
    free(y_cl), free(y_c);
    data_free(&t);
}

int main(int argc, char **argv)
{
    options o = {0, 0, 0, 3, 1, 0};
    const char *only = NULL;
    int forward_only = 0;
    char name[512];
    cl_device_type type = 0;
    cl_ulong mem = 0;
    cl_uint cus = 0, mhz = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n")) {
            o.baseline = 0;
            continue;
        }
        if (!strcmp(a, "-f")) {
            forward_only = 1;
            continue;
        }
        if (!v || a[0] != '-' || strlen(a) != 2 || !strchr("bcrRkt", a[1])) {
            fprintf(stderr, "usage: opencl_bench [-b BATCH] [-c CHANNELS] [-r REPS] "
                            "[-R C_REPS] [-k SUBSTRING] [-t TORCH_TSV] [-n] [-f]\n");
            return 2;
        }
        i++;
        if (a[1] == 'b')
            o.batch = (size_t)atol(v);
        else if (a[1] == 'c')
            o.channels = (size_t)atol(v);
        else if (a[1] == 'r')
            o.reps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 'R')
            o.creps = atoi(v) > 0 ? atoi(v) : 1;
        else if (a[1] == 't')
            o.torch = v;
        else
            only = v;
    }
    bench_open("opencl_bench");
    myogen_cl_device_name(name, sizeof name);
    clGetDeviceInfo(bench_device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(bench_device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    clGetDeviceInfo(bench_device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
    clGetDeviceInfo(bench_device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof mhz, &mhz, NULL);
    if (!o.reps)
        o.reps = (type & CL_DEVICE_TYPE_GPU) ? 10 : 5;
    o.peak = bench_fma_peak();
    {
        size_t big;
        o.copy_gbs = bench_copy_gbs(&big);
        printf("device: %s (%u compute units, %u MHz, %.1f GiB)\n", name, cus, mhz,
               (double)mem / (1 << 30));
        printf("measured: f32 FMA peak %.1f GFLOP/s; device copy of %zu MiB %.1f GB/s "
               "(read + write)\n", o.peak, big >> 20, o.copy_gbs);
    }
#ifdef _OPENMP
    printf("C baseline: the avx2 target on the host CPU, %d OpenMP threads\n",
           omp_get_max_threads());
#else
    printf("C baseline: the avx2 target on the host CPU, 1 thread (built without OpenMP)\n");
#endif
    if (o.torch) {
        FILE *f = fopen(o.torch, "r");
        if (!f) {
            fprintf(stderr, "opencl_bench: cannot read %s\n", o.torch);
            return 2;
        }
        fclose(f);
    }
    printf("f32; times are medians of %d calls (C: %d)\n\n", o.reps, o.creps);
    printf("%-11s %-10s %-8s %11s %9s %9s %7s %8s %7s %9s", "kernel", "path", "pass", "batch x ch",
           "ms", "GFLOP/s", "%peak", "GB/s", "%copy", "build ms");
    if (o.torch)
        printf(" %9s %8s", "torch ms", "vs torch");
    if (o.baseline)
        printf(" %9s %8s %s", "C ms", "vs C", "check");
    printf("\n");
    {
        /* the shapes on a GPU, or one of the user's */
        const int gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
        size_t shapes[2][2] = {{4, 256}, {16, 2048}};
        int nshapes = 2;
        if (o.batch || o.channels || !gpu) {
            shapes[0][0] = o.batch ? o.batch : gpu ? 16 : 2;
            shapes[0][1] = o.channels ? o.channels : gpu ? 2048 : 128;
            nshapes = 1;
        }
        for (int sh = 0; sh < nshapes; sh++)
            for (size_t i = 0; i < NKERNELS; i++) {
                if (only && !strstr(kernels[i].name, only))
                    continue;
                run(&kernels[i], 0, shapes[sh][0], shapes[sh][1], &o);
                if (kernels[i].backward && !forward_only)
                    run(&kernels[i], 1, shapes[sh][0], shapes[sh][1], &o);
            }
    }
    printf("\nGFLOP/s: (5|V| + 3L) N per (batch element, channel) (DESIGN 6.1; backward: "
           "twice that + 6|V|N);\nthe level-sum path does less work for the same layer "
           "(its GFLOP/s are equivalent ones).  GB/s: the bytes a call\nmoves at least "
           "(parameters, u, y; backward: parameters, gradients, u, dy, du) per second; "
           "%%copy: of the copy bandwidth.\n");
    myogen_cl_shutdown();
    return 0;
}
