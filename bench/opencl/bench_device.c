/* The device yardsticks and helpers of bench_device.h. */
#define _POSIX_C_SOURCE 200809L
#include "bench_device.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cl_context bench_ctx;
cl_command_queue bench_queue;
cl_device_id bench_device;
static const char *prog_name = "bench";

void bench_open(const char *prog)
{
    int rc;
    prog_name = prog;
    rc = myogen_cl_default(&bench_ctx, &bench_device, &bench_queue);
    if (rc != 0)
        bench_die_cl("finding an OpenCL device", rc);
}

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

void *bench_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "%s: out of host memory (%zu bytes)\n", prog_name, n);
        exit(1);
    }
    return p;
}

void bench_die_cl(const char *what, int rc)
{
    char msg[8192];
    myogen_cl_last_error(msg, sizeof msg);
    fprintf(stderr, "%s: %s failed (%d): %s\n", prog_name, what, rc, msg);
    exit(1);
}

cl_mem bench_buffer(size_t bytes, const void *host)
{
    cl_mem m;
    int rc = host ? myogen_cl_upload(bench_ctx, host, bytes, &m)
                  : myogen_cl_alloc(bench_ctx, bytes, &m);
    if (rc != 0)
        bench_die_cl("allocating a device buffer", rc);
    return m;
}

/* FMA peak, f32: 8 independent chains of scalar fma per work-item (GPUs),
 * or 4 chains of float16 (CPU devices vectorize those); the best counts.
 * Every lane reaches the output, or a compiler drops the unused ones. */
static const char *const peak_src[] = {
    "__kernel void peak16(__global float *out, int iters, float s)\n",
    "{\n",
    "    const float g = (float)get_global_id(0) * 1e-9f;\n",
    "    float16 a0 = (float16)(g), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3;\n",
    "    for (int i = 0; i < iters; i++) {\n",
    "        a0 = fma(a0, (float16)(s), (float16)(0.5f));\n",
    "        a1 = fma(a1, (float16)(s), (float16)(0.5f));\n",
    "        a2 = fma(a2, (float16)(s), (float16)(0.5f));\n",
    "        a3 = fma(a3, (float16)(s), (float16)(0.5f));\n",
    "    }\n",
    "    a0 = a0 + a1 + a2 + a3;\n",
    "    a0.lo = a0.lo + a0.hi; a0.s0123 = a0.s0123 + a0.s4567;\n",
    "    out[get_global_id(0)] = a0.s0 + a0.s1 + a0.s2 + a0.s3;\n",
    "}\n",
    "__kernel void peak(__global float *out, int iters, float s)\n",
    "{\n",
    "    const float g = (float)get_global_id(0) * 1e-9f;\n",
    "    float a0 = g, a1 = g + 1, a2 = g + 2, a3 = g + 3, a4 = g + 4, a5 = g + 5, a6 = g + 6,\n",
    "          a7 = g + 7;\n",
    "    for (int i = 0; i < iters; i++) {\n",
    "        a0 = fma(a0, s, 0.5f); a1 = fma(a1, s, 0.5f); a2 = fma(a2, s, 0.5f);\n",
    "        a3 = fma(a3, s, 0.5f); a4 = fma(a4, s, 0.5f); a5 = fma(a5, s, 0.5f);\n",
    "        a6 = fma(a6, s, 0.5f); a7 = fma(a7, s, 0.5f);\n",
    "    }\n",
    "    out[get_global_id(0)] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;\n",
    "}\n",
};

/* GFLOP/s of a peak kernel (flops per work-item and iteration): the best
 * of 5 runs sized to ~50 ms. */
static double measure_peak_kernel(const char *kname, double flops_per_iter)
{
    cl_uint cus = 1;
    cl_program prog;
    size_t items;
    cl_int iters = 256;
    cl_float s = 0.999f;
    double best = 0;
    clGetDeviceInfo(bench_device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
    items = (size_t)cus * 8192;
    int rc = myogen_cl_program(bench_queue, peak_src, sizeof peak_src / sizeof peak_src[0], "",
                               "peak", &prog);
    if (rc != 0)
        bench_die_cl("building the peak kernel", rc);
    cl_mem out = bench_buffer(items * sizeof(float), NULL);
    for (int pass = 0; pass < 8; pass++) {
        const myogen_cl_arg args[] = {MYOGEN_CL_ARG(out), MYOGEN_CL_ARG(iters),
                                      MYOGEN_CL_ARG(s)};
        double t = bench_now();
        rc = myogen_cl_launch(bench_queue, prog, kname, items, 3, args);
        if (rc == 0)
            rc = clFinish(bench_queue) == CL_SUCCESS ? 0 : 3;
        if (rc != 0)
            bench_die_cl("running the peak kernel", rc);
        t = bench_now() - t;
        if (t < 0.02 && pass < 3) { /* calibrate: at most 64x a pass, never past 2^24 */
            double grow = 0.05 / (t > 1e-4 ? t : 1e-4);
            grow = grow < 64 ? grow : 64;
            iters = iters * grow < (double)(1 << 24) ? (cl_int)(iters * grow) : (1 << 24);
            continue;
        }
        double gf = (double)items * iters * flops_per_iter / t * 1e-9;
        if (gf > best)
            best = gf;
    }
    myogen_cl_free(out);
    return best;
}

double bench_fma_peak(void)
{
    double scalar = measure_peak_kernel("peak", 16), vector = measure_peak_kernel("peak16", 128);
    return scalar > vector ? scalar : vector;
}

/* GB/s (read + written) of a device copy of 1 GiB (256 MiB where the device
 * has under 2.5 GiB), the median of 5; *bytes: the bytes copied. */
double bench_copy_gbs(size_t *bytes)
{
    cl_ulong mem = 0;
    size_t big = (size_t)1 << 30;
    clGetDeviceInfo(bench_device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    if ((double)big > 0.4 * (double)mem)
        big = (size_t)256 << 20;
    cl_mem a = bench_buffer(big, NULL), b = bench_buffer(big, NULL);
    double t[5];
    for (int i = -1; i < 5; i++) {
        double t0 = bench_now();
        cl_int err = clEnqueueCopyBuffer(bench_queue, a, b, 0, 0, big, 0, NULL, NULL);
        if (err != CL_SUCCESS || clFinish(bench_queue) != CL_SUCCESS)
            bench_die_cl("clEnqueueCopyBuffer", 3);
        if (i >= 0)
            t[i] = bench_now() - t0;
    }
    myogen_cl_free(a);
    myogen_cl_free(b);
    *bytes = big;
    return 2.0 * (double)big / bench_median(t, 5) * 1e-9;
}

double bench_tsv_ms(const char *file, const char *kname, unsigned long batch,
                    unsigned long channels, const char *pass)
{
    char line[512], name[128], ps[32];
    unsigned long b, c;
    double ms, found = 0;
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' &&
            sscanf(line, "%127s %lu %lu %31s %lf", name, &b, &c, ps, &ms) == 5 &&
            !strcmp(name, kname) && b == batch && c == channels && !strcmp(ps, pass))
            found = ms;
    fclose(f);
    return found;
}

double bench_rel_diff(const float *a, const float *b, size_t n)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs((double)b[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst))
            worst = d; /* NaN propagates */
    }
    return worst / (scale > 0 ? scale : 1);
}

double bench_time(int (*call)(void *), void *ctx, int reps, double *first, const char *what)
{
    double *t = bench_malloc(sizeof(double) * (size_t)(reps > 0 ? reps : 1)), med;
    double t0 = bench_now();
    int rc = call(ctx);
    if (first)
        *first = bench_now() - t0;
    if (rc == 0 && first)
        rc = call(ctx);
    for (int i = 0; rc == 0 && i < reps; i++) {
        t0 = bench_now();
        rc = call(ctx);
        t[i] = bench_now() - t0;
    }
    if (rc != 0)
        bench_die_cl(what, rc);
    med = bench_median(t, reps);
    free(t);
    return med;
}
