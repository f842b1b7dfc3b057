/* A Myo layer on an OpenCL device, from the vendored generated kernel
 * gpu_tokens_1024.{c,h} (its device code is embedded in the .c; the .cl is
 * there to read) and the runtime pair myogen_cl.{c,h}.  The same calls as
 * with a C target kernel: host pointers in and out, the default OpenCL
 * device (MYOGEN_CL_DEVICE picks another).  Then the same forward on
 * device buffers through gpu_tokens_1024_cl_forward.
 *
 * Checks: the layer is linear in u, and backward is its adjoint, so
 * sum(dy * y) = sum(du * u) for the du that backward returns for dy.
 * Exits 77 when no OpenCL device is there. */
#include "gpu_tokens_1024.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 2
#define CHANNELS 16
#define N gpu_tokens_1024_STATE
#define L gpu_tokens_1024_SEQ_LEN
#define P gpu_tokens_1024_PARAM_SETS

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f;
}

static float *array(size_t n)
{
    float *a = malloc(n * sizeof *a);
    if (!a) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return a;
}

int main(void)
{
    const size_t np = (size_t)P * CHANNELS * N, nio = (size_t)BATCH * L * CHANNELS;
    float *A = array(np), *B = array(np), *C = array(np);
    float *Bin = array(CHANNELS * N), *Cout = array(CHANNELS * N), *D = array(CHANNELS);
    float *u = array(nio), *y = array(nio), *dy = array(nio), *du = array(nio), *y2 = array(nio);
    float *gA = array(np), *gB = array(np), *gC = array(np);
    float *gBin = array(CHANNELS * N), *gCout = array(CHANNELS * N), *gD = array(CHANNELS);
    unsigned seed = 7;
    char device[512], msg[4096];
    double ydy = 0, udu = 0, scale = 0, worst = 0;
    int rc;

    if (myogen_cl_device_name(device, sizeof device) != 0) {
        myogen_cl_last_error(msg, sizeof msg);
        printf("SKIP: no OpenCL device (%s)\n", msg);
        return 77;
    }
    printf("device: %s\n", device);
    for (size_t i = 0; i < np; i++) {
        A[i] = 2.0f + frand(&seed); /* diagonally dominant: a stable solve */
        B[i] = frand(&seed) - 0.5f;
        C[i] = (frand(&seed) - 0.5f) / 2.0f;
    }
    for (size_t i = 0; i < CHANNELS * N; i++) {
        Bin[i] = frand(&seed) - 0.5f;
        Cout[i] = frand(&seed) - 0.5f;
    }
    for (size_t h = 0; h < CHANNELS; h++)
        D[h] = 0.0f; /* the check below wants the solve alone; D u is trivially adjoint */
    for (size_t i = 0; i < nio; i++) {
        u[i] = frand(&seed) - 0.5f;
        dy[i] = frand(&seed) - 0.5f;
    }

    gpu_tokens_1024_params prm = {A, B, C, Bin, Cout, D};
    gpu_tokens_1024_grads grads = {gA, gB, gC, gBin, gCout, gD};
    /* the OpenCL target needs no host workspace (the size is 0) */
    rc = gpu_tokens_1024_forward(&prm, u, y, BATCH, CHANNELS, NULL);
    if (rc == 0)
        rc = gpu_tokens_1024_backward(&prm, u, dy, du, &grads, BATCH, CHANNELS, NULL);
    if (rc != 0) {
        myogen_cl_last_error(msg, sizeof msg);
        fprintf(stderr, "failed: %d: %s\n", rc, msg);
        return 1;
    }
    for (size_t i = 0; i < nio; i++) {
        ydy += (double)y[i] * dy[i];
        udu += (double)u[i] * du[i];
        scale += fabs((double)y[i] * dy[i]);
    }
    printf("sum(dy * y) = %.6f, sum(du * u) = %.6f\n", ydy, udu);

    /* the same forward on device buffers, on the runtime's default queue */
    {
        cl_context ctx;
        cl_command_queue q;
        cl_int err;
        gpu_tokens_1024_cl_params cp;
        cl_mem ub, yb, ws;
        myogen_cl_default(&ctx, NULL, &q);
        cp.A = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, np * 4, A, &err);
        cp.B = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, np * 4, B, &err);
        cp.C = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, np * 4, C, &err);
        cp.Bin = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, CHANNELS * N * 4,
                                Bin, &err);
        cp.Cout = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, CHANNELS * N * 4,
                                 Cout, &err);
        cp.D = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, CHANNELS * 4, D, &err);
        ub = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nio * 4, u, &err);
        yb = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, nio * 4, NULL, &err);
        ws = clCreateBuffer(ctx, CL_MEM_READ_WRITE,
                            gpu_tokens_1024_cl_workspace_size(BATCH, CHANNELS), NULL, &err);
        rc = gpu_tokens_1024_cl_forward(q, &cp, ub, yb, BATCH, CHANNELS, ws);
        if (rc == 0)
            rc = clEnqueueReadBuffer(q, yb, CL_TRUE, 0, nio * 4, y2, 0, NULL, NULL) == CL_SUCCESS
                     ? 0 : 3;
        clReleaseMemObject(cp.A);
        clReleaseMemObject(cp.B);
        clReleaseMemObject(cp.C);
        clReleaseMemObject(cp.Bin);
        clReleaseMemObject(cp.Cout);
        clReleaseMemObject(cp.D);
        clReleaseMemObject(ub);
        clReleaseMemObject(yb);
        clReleaseMemObject(ws);
        if (rc != 0) {
            fprintf(stderr, "cl_forward failed: %d\n", rc);
            return 1;
        }
        for (size_t i = 0; i < nio; i++)
            worst = fmax(worst, fabs((double)y2[i] - y[i]));
        printf("device-buffer forward vs host-pointer forward: max |diff| = %g\n", worst);
    }
    myogen_cl_shutdown();
    if (!(fabs(ydy - udu) <= 1e-4 * scale) || worst != 0) {
        fprintf(stderr, "check failed\n");
        return 1;
    }
    printf("ok\n");
    free(A), free(B), free(C), free(Bin), free(Cout), free(D);
    free(u), free(y), free(dy), free(du), free(y2);
    free(gA), free(gB), free(gC), free(gBin), free(gCout), free(gD);
    return 0;
}
