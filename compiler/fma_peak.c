/* Measured FMA peak of one core (see fma_peak.h). */
#define _POSIX_C_SOURCE 200809L
#include "fma_peak.h"
#include "myogen_timer.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define CHAINS 12

static int write_source(const char *path, const char *target, int f64)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const int avx2 = strcmp(target, "avx2") == 0;
    const char *real = f64 ? "double" : "float";
    const char *vec = avx2 ? (f64 ? "__m256d" : "__m256") : real;
    const char *sfx = f64 ? "pd" : "ps";
    const int lanes = avx2 ? (f64 ? 4 : 8) : 1;
    fprintf(f, "/* myogen tune: FMA peak loop, %d independent chains. */\n", CHAINS);
    if (avx2)
        fprintf(f, "#include <immintrin.h>\n");
    fprintf(f, "int myogen_peak_lanes(void) { return %d; }\n", lanes);
    fprintf(f, "int myogen_peak_chains(void) { return %d; }\n", CHAINS);
    fprintf(f, "double myogen_peak(long iters)\n{\n    long i;\n    double r = 0;\n");
    if (avx2) {
        fprintf(f, "    const %s b = _mm256_set1_%s(0.99990), c = _mm256_set1_%s(0.0001);\n", vec,
                sfx, sfx);
        for (int j = 0; j < CHAINS; j++)
            fprintf(f, "    %s a%d = _mm256_set1_%s(%d * 0.01);\n", vec, j, sfx, j);
        fprintf(f, "    for (i = 0; i < iters; i++) {\n");
        for (int j = 0; j < CHAINS; j++)
            fprintf(f, "        a%d = _mm256_fmadd_%s(a%d, b, c);\n", j, sfx, j);
        fprintf(f, "    }\n    {\n        %s out[%d];\n", real, lanes);
        for (int j = 1; j < CHAINS; j++)
            fprintf(f, "        a0 = _mm256_add_%s(a0, a%d);\n", sfx, j);
        fprintf(f, "        _mm256_storeu_%s(out, a0);\n", sfx);
        fprintf(f, "        for (i = 0; i < %d; i++)\n            r += out[i];\n    }\n", lanes);
    } else {
        fprintf(f, "    const %s b = (%s)0.9999, c = (%s)0.0001;\n", real, real, real);
        for (int j = 0; j < CHAINS; j++)
            fprintf(f, "    %s a%d = (%s)(%d * 0.01);\n", real, j, real, j);
        fprintf(f, "    for (i = 0; i < iters; i++) {\n");
        for (int j = 0; j < CHAINS; j++)
            fprintf(f, "        a%d = a%d * b + c;\n", j, j);
        fprintf(f, "    }\n");
        for (int j = 0; j < CHAINS; j++)
            fprintf(f, "    r += a%d;\n", j);
    }
    fprintf(f, "    return r;\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

double fma_peak_measure(const cc_tool *cc, const char *dir, const char *target, int f64,
                        char *err, size_t errlen)
{
    char src[4096], so[4096], log[4096];
    const int avx2 = strcmp(target, "avx2") == 0;
    snprintf(src, sizeof src, "%s/peak_%s_%s.c", dir, target, f64 ? "f64" : "f32");
    snprintf(so, sizeof so, "%s/peak_%s_%s.so", dir, target, f64 ? "f64" : "f32");
    snprintf(log, sizeof log, "%s/peak_%s_%s.log", dir, target, f64 ? "f64" : "f32");
    if (write_source(src, target, f64) != 0) {
        snprintf(err, errlen, "cannot write %s", src);
        return -1;
    }
    /* the scalar loop stays scalar: -O1 does not vectorize */
    if (cc_build_shared(cc, src, so, avx2 ? "-mavx2 -mfma" : "-O1", NULL, log, err, errlen) != 0)
        return -1;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load the FMA peak loop: %s", dlerror());
        return -1;
    }
    double (*peak)(long) = (double (*)(long))dlsym(h, "myogen_peak");
    int (*lanes)(void) = (int (*)(void))dlsym(h, "myogen_peak_lanes");
    if (!peak || !lanes) {
        dlclose(h);
        snprintf(err, errlen, "the FMA peak loop lacks its functions");
        return -1;
    }
    volatile double sink = 0;
    long iters = 1 << 14;
    double t = 0;
    for (;;) { /* calibrate: at least 20 ms a run */
        double t0 = myogen_now();
        sink += peak(iters);
        t = myogen_now() - t0;
        if (t > 0.02 || iters > (1L << 40))
            break;
        iters *= 2;
    }
    double best = t;
    for (int r = 0; r < 15; r++) { /* best of 15: other load only slows runs down */
        double t0 = myogen_now();
        sink += peak(iters);
        t = myogen_now() - t0;
        if (t < best)
            best = t;
    }
    double flops = (double)iters * CHAINS * lanes() * 2.0;
    dlclose(h);
    (void)sink;
    return flops / best * 1e-9;
}
