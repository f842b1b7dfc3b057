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
 * Bilinear BTT attention (op "attention": T 1024, D 256 = 16 x 16, rank 1,
 * dv 64, causal, batch 1 x 8 heads): GFLOP/s count the keys (forward as one
 * BTT product per head, backward twice that) and the attention (forward
 * 2 D + 2 dv per unmasked pair, backward 6 D + 4 dv); the PyTorch baseline
 * is the BTT keys as two bmm, LayerNorm and causal SDPA ("keys+SDPA").
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
    const char *name;
    size_t m0, m1, n0, n1, s, T, dv;
    size_t (*cl_ws)(size_t, size_t);
    int (*cl_fw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, size_t, size_t,
                 cl_mem);
    int (*cl_bw)(cl_command_queue, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem, cl_mem,
                 cl_mem, cl_mem, cl_mem, size_t, size_t, cl_mem);
    size_t (*c_ws)(size_t, size_t);
    int (*c_fw)(const float *, const float *, const float *, const float *, float *, float *,
                size_t, size_t, void *);
    int (*c_bw)(const float *, const float *, const float *, const float *, const float *,
                const float *, const float *, float *, float *, float *, float *, size_t, size_t,
                void *);
} att_kernel;

#define X_ATT(X)                                                                               \
    {#X,                                                                                       \
     ocl_##X##_M0,                                                                             \
     ocl_##X##_M1,                                                                             \
     ocl_##X##_N0,                                                                             \
     ocl_##X##_N1,                                                                             \
     ocl_##X##_RANK,                                                                           \
     ocl_##X##_SEQ_LEN,                                                                        \
     ocl_##X##_VALUE_DIM,                                                                      \
     ocl_##X##_cl_workspace_size,                                                              \
     ocl_##X##_cl_forward,                                                                     \
     ocl_##X##_cl_backward,                                                                    \
     c_##X##_workspace_size,                                                                   \
     c_##X##_forward,                                                                          \
     c_##X##_backward},
static const att_kernel att_kernels[] = {BTT_ATTENTION_KERNELS(X_ATT)};
#define NATT (sizeof att_kernels / sizeof att_kernels[0])

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

/* One call of a matmul kernel's pass: the device's (cl_mem) or the C target's. */
typedef struct {
    const kernel *k;
    int backward;
    size_t n;
    cl_mem W1, W2, x, dy, y, dx, g1, g2, ws;
    const float *hW1, *hW2, *hx, *hdy;
    float *out;
    void *hws;
} mm_call;

static int mm_cl(void *p)
{
    const mm_call *c = p;
    return c->backward ? c->k->cl_bw(bench_queue, c->W1, c->W2, c->x, c->dy, c->dx, c->g1, c->g2,
                                      c->n, c->ws)
                       : c->k->cl_fw(bench_queue, c->W1, c->W2, c->x, c->y, c->n, c->ws);
}

static int mm_c(void *p)
{
    const mm_call *c = p;
    const size_t nx = c->n * c->k->m0 * c->k->m1, nw1 = c->k->m1 * c->k->m0 * c->k->n0 * c->k->s;
    return c->backward ? c->k->c_bw(c->hW1, c->hW2, c->hx, c->hdy, c->out, c->out + nx,
                                     c->out + nx + nw1, c->n, c->hws)
                       : c->k->c_fw(c->hW1, c->hW2, c->hx, c->out, c->n, c->hws);
}

/* One call of an attention kernel's pass (batch B x heads H). */
typedef struct {
    const att_kernel *k;
    int backward;
    size_t B, H;
    cl_mem x, W1, W2, v, o, lse, dout, dx, g1, g2, dv, ws;
    const float *hx, *hW1, *hW2, *hv, *ho, *hl, *hd;
    float *out, *lse_out;
    void *hws;
} att_call;

static int att_cl(void *p)
{
    const att_call *c = p;
    return c->backward ? c->k->cl_bw(bench_queue, c->x, c->W1, c->W2, c->v, c->o, c->lse, c->dout,
                                      c->dx, c->g1, c->g2, c->dv, c->B, c->H, c->ws)
                       : c->k->cl_fw(bench_queue, c->x, c->W1, c->W2, c->v, c->o, c->lse, c->B,
                                     c->H, c->ws);
}

static int att_c(void *p)
{
    const att_call *c = p;
    const att_kernel *k = c->k;
    const size_t nx = c->B * k->T * k->m0 * k->m1, H = c->H;
    const size_t nw1 = H * k->m1 * k->m0 * k->n0 * k->s, nw2 = H * k->n0 * k->m1 * k->s * k->n1;
    return c->backward ? k->c_bw(c->hx, c->hW1, c->hW2, c->hv, c->ho, c->hl, c->hd, c->out,
                                  c->out + nx, c->out + nx + nw1, c->out + nx + nw1 + nw2, c->B,
                                  H, c->hws)
                       : k->c_fw(c->hx, c->hW1, c->hW2, c->hv, c->out, c->lse_out, c->B, H,
                                 c->hws);
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
    double first, tcl, tc = 0, diff = 0, flops, dense;
    mm_call c = {k, backward, n, bench_buffer(nw1 * 4, W1), bench_buffer(nw2 * 4, W2),
                 bench_buffer(n * din * 4, x), bench_buffer(n * dout * 4, dy),
                 bench_buffer(n * dout * 4, NULL), bench_buffer(n * din * 4, NULL),
                 bench_buffer(nw1 * 4, NULL), bench_buffer(nw2 * 4, NULL),
                 bench_buffer(k->cl_ws(n, 1), NULL), W1, W2, x, dy, ref, NULL};
    tcl = bench_time(mm_cl, &c, o->reps, &first, k->name);
    if (backward) {
        myogen_cl_download(bench_queue, c.dx, out, n * din * 4);
        myogen_cl_download(bench_queue, c.g1, out + n * din, nw1 * 4);
        myogen_cl_download(bench_queue, c.g2, out + n * din + nw1, nw2 * 4);
    } else {
        myogen_cl_download(bench_queue, c.y, out, n * dout * 4);
    }
    flops = 2.0 * (double)n * (double)k->s * (double)(din * k->n0 + dout * k->m1);
    dense = 2.0 * (double)n * (double)din * (double)dout;
    if (backward)
        flops *= 2, dense *= 2;
    if (o->baseline) {
        c.hws = aligned_alloc(64, (k->c_ws(n, 1) + 63) / 64 * 64 + 64);
        if (!c.hws)
            bench_die_cl("host workspace", 1);
        tc = bench_time(mm_c, &c, o->creps, NULL, "the C kernel");
        diff = bench_rel_diff(out, ref, backward ? n * din : n * dout);
        if (backward) {
            diff = fmax(diff, bench_rel_diff(out + n * din, ref + n * din, nw1));
            diff = fmax(diff, bench_rel_diff(out + n * din + nw1, ref + n * din + nw1, nw2));
        }
        free(c.hws);
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
    myogen_cl_free(c.W1), myogen_cl_free(c.W2), myogen_cl_free(c.x), myogen_cl_free(c.dy);
    myogen_cl_free(c.y), myogen_cl_free(c.dx), myogen_cl_free(c.g1), myogen_cl_free(c.g2);
    myogen_cl_free(c.ws);
    free(W1), free(W2), free(x), free(dy), free(out), free(ref);
}

/* One attention row: batch 1 x 8 heads (-b/-H are not offered: the bench's
 * shape). */
static void run_att(const att_kernel *k, int backward, const options *o)
{
    const size_t B = 1, H = 8, D = k->m0 * k->m1, T = k->T, dv = k->dv;
    const size_t nw1 = k->m1 * k->m0 * k->n0 * k->s, nw2 = k->n0 * k->m1 * k->s * k->n1;
    const size_t nx = B * T * D, nv = B * H * T * dv, nl = B * H * T;
    float *x = rand_array(nx, 1), *W1 = rand_array(H * nw1, 1.0f / sqrtf((float)k->m0));
    float *W2 = rand_array(H * nw2, 1.0f / sqrtf((float)(k->m1 * k->s)));
    float *v = rand_array(nv, 1), *dout = rand_array(nv, 1);
    float *o_c = bench_malloc(nv * 4), *l_c = bench_malloc(nl * 4);
    const size_t nout = backward ? nx + H * (nw1 + nw2) + nv : nv;
    float *out = bench_malloc(nout * 4), *ref = bench_malloc(nout * 4);
    double first, tcl, tc = 0, diff = 0, keys, pairs, flops;
    {
        void *w = aligned_alloc(64, (k->c_ws(B, H) + 63) / 64 * 64 + 64);
        if (!w || k->c_fw(x, W1, W2, v, o_c, l_c, B, H, w) != 0) {
            fprintf(stderr, "btt_gpu_bench: the C forward of %s failed\n", k->name);
            exit(1);
        }
        free(w);
    }
    att_call c = {k, backward, B, H, bench_buffer(nx * 4, x), bench_buffer(H * nw1 * 4, W1),
                  bench_buffer(H * nw2 * 4, W2), bench_buffer(nv * 4, v),
                  bench_buffer(nv * 4, backward ? o_c : NULL),
                  bench_buffer(nl * 4, backward ? l_c : NULL), bench_buffer(nv * 4, dout),
                  bench_buffer(nx * 4, NULL), bench_buffer(H * nw1 * 4, NULL),
                  bench_buffer(H * nw2 * 4, NULL), bench_buffer(nv * 4, NULL),
                  bench_buffer(k->cl_ws(B, H), NULL), x, W1, W2, v, o_c, l_c, dout, ref, l_c, NULL};
    tcl = bench_time(att_cl, &c, o->reps, &first, k->name);
    if (backward) {
        myogen_cl_download(bench_queue, c.dx, out, nx * 4);
        myogen_cl_download(bench_queue, c.g1, out + nx, H * nw1 * 4);
        myogen_cl_download(bench_queue, c.g2, out + nx + H * nw1, H * nw2 * 4);
        myogen_cl_download(bench_queue, c.dv, out + nx + H * (nw1 + nw2), nv * 4);
    } else {
        myogen_cl_download(bench_queue, c.o, out, nv * 4);
    }
    keys = 2.0 * (double)(B * H * T) * (double)k->s * (double)(D * k->n0 + D * k->m1);
    pairs = (double)(B * H) * (double)T * (double)(T + 1) / 2;
    flops = backward ? 2 * keys + pairs * (6.0 * D + 4.0 * dv) : keys + pairs * (2.0 * D + 2.0 * dv);
    if (o->baseline) {
        c.hws = aligned_alloc(64, (k->c_ws(B, H) + 63) / 64 * 64 + 64);
        if (!c.hws)
            bench_die_cl("host workspace", 1);
        tc = bench_time(att_c, &c, o->creps, NULL, "the C kernel");
        diff = bench_rel_diff(out, ref, backward ? nx : nv);
        if (backward) {
            diff = fmax(diff, bench_rel_diff(out + nx, ref + nx, H * nw1));
            diff = fmax(diff, bench_rel_diff(out + nx + H * nw1, ref + nx + H * nw1, H * nw2));
            diff = fmax(diff, bench_rel_diff(out + nx + H * (nw1 + nw2), ref + nx + H * (nw1 + nw2), nv));
        }
        free(c.hws);
    }
    printf("%-13s %-8s %5zu %9.3f %9.1f %6.1f%% %9.1f %6s", k->name,
           backward ? "backward" : "forward", T, tcl * 1e3, flops / tcl * 1e-9,
           100 * flops / tcl * 1e-9 / o->peak, first * 1e3, "-");
    if (o->torch) {
        double ks = bench_tsv_ms(o->torch, "btt_keys_sdpa", D, T, backward ? "backward" : "forward");
        printf(" %8s %7s", "-", "-");
        if (ks > 0)
            printf(" %8.3f %6.2fx", ks, ks / (tcl * 1e3));
        else
            printf(" %8s %7s", "-", "-");
    }
    if (o->baseline)
        printf(" %9.2f %7.2fx %s(%.1e)", tc * 1e3, tc / tcl, diff < 1e-4 ? "ok" : "MISMATCH",
               diff);
    printf("\n");
    fflush(stdout);
    myogen_cl_free(c.x), myogen_cl_free(c.W1), myogen_cl_free(c.W2), myogen_cl_free(c.v);
    myogen_cl_free(c.o), myogen_cl_free(c.lse), myogen_cl_free(c.dout), myogen_cl_free(c.dx);
    myogen_cl_free(c.g1), myogen_cl_free(c.g2), myogen_cl_free(c.dv), myogen_cl_free(c.ws);
    free(x), free(W1), free(W2), free(v), free(dout), free(o_c), free(l_c), free(out), free(ref);
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
    for (size_t i = 0; i < NATT; i++) {
        if (only && !strstr(att_kernels[i].name, only))
            continue;
        run_att(&att_kernels[i], 0, &o);
        run_att(&att_kernels[i], 1, &o);
    }
    printf("\nFLOPx: a dense D x D matmul's FLOPs over BTT's; dense: PyTorch x @ W (f32, TF32 "
           "off); bmm: PyTorch's BTT as two bmm\n(the FasterBTT form), same rank;\nattention (rows = T, batch 1 x 8 heads): bmm = PyTorch's BTT keys (two bmm) + LayerNorm + causal SDPA.\n");
    myogen_cl_shutdown();
    return 0;
}
