/* The device's f32 FMA peak, measured (bench/cuda/cuda_bench.py): every
 * thread runs 8 independent chains of fused multiply-adds (no memory
 * traffic but one store); GFLOP/s = 2 x FMAs / time.  Built by the bench
 * with nvcc into a shared object and called through ctypes. */
#include <cuda_runtime.h>

#define CHAINS 8
#define STEPS 4096

__global__ void fma_loop(float *out, float a, float b)
{
    float x[CHAINS];
    for (int c = 0; c < CHAINS; c++)
        x[c] = threadIdx.x * 1e-3f + c;
    for (int s = 0; s < STEPS; s++)
#pragma unroll
        for (int c = 0; c < CHAINS; c++)
            x[c] = x[c] * a + b;
    float sum = 0;
    for (int c = 0; c < CHAINS; c++)
        sum += x[c];
    if (sum == 12345.0f) /* never: keeps the chains alive */
        out[blockIdx.x] = sum;
}

/* GFLOP/s of the best of `reps` launches of blocks x 256 threads. */
extern "C" double myogen_fma_peak(int blocks, int reps)
{
    float *out, best = 1e30f;
    cudaEvent_t t0, t1;
    if (cudaMalloc(&out, blocks * sizeof(float)) != cudaSuccess)
        return -1;
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    for (int r = 0; r < reps + 1; r++) {
        float ms;
        cudaEventRecord(t0);
        fma_loop<<<blocks, 256>>>(out, 0.999f, 1e-4f);
        cudaEventRecord(t1);
        cudaEventSynchronize(t1);
        cudaEventElapsedTime(&ms, t0, t1);
        if (r > 0 && ms < best) /* the first launch warms up */
            best = ms;
    }
    cudaEventDestroy(t0);
    cudaEventDestroy(t1);
    cudaFree(out);
    return 2.0 * CHAINS * STEPS * 256.0 * blocks / (best * 1e-3) * 1e-9;
}
