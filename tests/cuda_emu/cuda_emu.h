/* CUDA on the host, for tests: enough of the CUDA runtime and device API
 * to build a myogen-generated .cu with a host C++ compiler and run it on
 * host memory (tests/cuda_emu/prepare.py rewrites the tensor-core asm into
 * emu_mma calls and registers the kernels first).  A block runs as its own
 * threads, one block at a time: __shared__ variables are function statics,
 * __syncthreads a barrier of the block, a warp's shuffles and m16n8k16
 * products exchange their lanes' values through the warp's buffer between
 * two barriers of the warp.  A thread that returns drops out of both
 * barriers, as an exited GPU thread no longer holds up bar.sync.
 * Not a simulator of timing, memory spaces or races: a test of the
 * generated code's arithmetic, indexing and fragment layouts. */
#ifndef MYOGEN_CUDA_EMU_H
#define MYOGEN_CUDA_EMU_H

#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#define CUDART_VERSION 12000
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

/* ---- vector and index types ---- */
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct emu_uint3 {
    unsigned x, y, z;
};
struct float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(16) double2 {
    double x, y;
};
struct alignas(32) double4 {
    double x, y, z, w;
};
inline thread_local emu_uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

/* ---- 16-bit storage types: round to nearest even ---- */
struct __nv_bfloat16 {
    uint16_t bits;
};
struct __nv_bfloat162 {
    __nv_bfloat16 x, y;
};
inline __nv_bfloat16 __float2bfloat16_rn(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN stays NaN */
        return {(uint16_t)((u >> 16) | 0x40)};
    u += 0x7fffu + ((u >> 16) & 1);
    return {(uint16_t)(u >> 16)};
}
inline float __bfloat162float(__nv_bfloat16 h)
{
    const uint32_t u = (uint32_t)h.bits << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi)
{
    return {__float2bfloat16_rn(lo), __float2bfloat16_rn(hi)};
}
struct __half {
    _Float16 v;
};
struct __half2 {
    __half x, y;
};
inline __half __float2half_rn(float f) { return {(_Float16)f}; }
inline float __half2float(__half h) { return (float)h.v; }
inline __half2 __floats2half2_rn(float lo, float hi) { return {__float2half_rn(lo), __float2half_rn(hi)}; }
static_assert(sizeof(__nv_bfloat162) == 4 && sizeof(__half2) == 4, "16-bit pairs are one word");

inline float __int_as_float(int i)
{
    float f;
    std::memcpy(&f, &i, 4);
    return f;
}
inline double __longlong_as_double(long long i)
{
    double f;
    std::memcpy(&f, &i, 8);
    return f;
}
using std::isfinite;

/* ---- blocks, warps, barriers ---- */
struct emu_warp {
    explicit emu_warp(int n) : bar(n) {}
    std::barrier<> bar;
    uint64_t word[32];
    unsigned a[32][4], b[32][2];
    float c[32][4];
};
inline thread_local std::barrier<> *emu_block_bar;
inline thread_local emu_warp *emu_my_warp;
inline thread_local int emu_lane;

inline void __syncthreads() { emu_block_bar->arrive_and_wait(); }

template <class T> T __shfl_xor_sync(unsigned, T v, int lane_mask)
{
    static_assert(sizeof(T) <= 8, "a shuffled value fits a word");
    emu_warp *w = emu_my_warp;
    uint64_t x = 0;
    std::memcpy(&x, &v, sizeof v);
    w->word[emu_lane] = x;
    w->bar.arrive_and_wait();
    x = w->word[emu_lane ^ lane_mask];
    w->bar.arrive_and_wait();
    std::memcpy(&v, &x, sizeof v);
    return v;
}

/* acc (4 floats) += the warp's 16 x 16 A (a: 4 words of two 16-bit values,
 * lo = even column) times its 16 x 8 B (b: 2 words, lo = even row), in the
 * m16n8k16 layout: lane 4 g + t holds A rows g, g + 8 at columns 2t, 2t + 1
 * (a0, a1) and 2t + 8, 2t + 9 (a2, a3), B rows 2t, 2t + 1 (b0) and 2t + 8,
 * 2t + 9 (b1) of column g, and D rows g (c0, c1) and g + 8 (c2, c3) at
 * columns 2t, 2t + 1. */
template <float (*widen)(uint16_t)> void emu_mma(float *acc, const unsigned *a, const unsigned *b)
{
    emu_warp *w = emu_my_warp;
    const int l = emu_lane, g = l / 4, t = l % 4;
    std::memcpy(w->a[l], a, sizeof w->a[l]);
    std::memcpy(w->b[l], b, sizeof w->b[l]);
    w->bar.arrive_and_wait();
    auto A = [w](int r, int k) {
        const unsigned word = w->a[4 * (r % 8) + (k % 8) / 2][(r >= 8) + 2 * (k >= 8)];
        return widen((uint16_t)(k % 2 ? word >> 16 : word & 0xffffu));
    };
    auto B = [w](int k, int c) {
        const unsigned word = w->b[4 * c + (k % 8) / 2][k >= 8];
        return widen((uint16_t)(k % 2 ? word >> 16 : word & 0xffffu));
    };
    float d[4];
    for (int e = 0; e < 4; e++) {
        const int r = g + (e >= 2 ? 8 : 0), c = 2 * t + e % 2;
        float s = acc[e];
        for (int k = 0; k < 16; k++)
            s += A(r, k) * B(k, c);
        d[e] = s;
    }
    w->bar.arrive_and_wait();
    std::memcpy(acc, d, sizeof d);
}
/* dst[0 .. n-1] = n 8 x 8 matrices of 16-bit values (ldmatrix): lanes 8 i ..
 * 8 i + 7 give the addresses p of matrix i's rows; lane 4 g + t receives row
 * g's columns 2 t, 2 t + 1, or (trans) column g's rows 2 t, 2 t + 1, lo in
 * the low half. */
template <int n, bool trans> void emu_ldsm(unsigned *dst, const void *p)
{
    emu_warp *w = emu_my_warp;
    const int l = emu_lane, g = l / 4, t = l % 4;
    w->word[l] = (uint64_t)(uintptr_t)p;
    w->bar.arrive_and_wait();
    for (int i = 0; i < n; i++) {
        auto row = [w, i](int r) { return (const uint16_t *)(uintptr_t)w->word[8 * i + r]; };
        const uint16_t lo = trans ? row(2 * t)[g] : row(g)[2 * t], hi = trans ? row(2 * t + 1)[g] : row(g)[2 * t + 1];
        dst[i] = (unsigned)lo | (unsigned)hi << 16;
    }
    w->bar.arrive_and_wait();
}
/* cp.async: the copy is done at once (its wait is then a no-op) */
inline void emu_cp_async16(void *dst, const void *src, unsigned bytes)
{
    std::memset(dst, 0, 16);
    std::memcpy(dst, src, bytes);
}
inline void emu_cp_wait_all() {}
/* ex2.approx.ftz.f32: 2^x, results below the least normal 0 */
inline float emu_ex2_ftz(float x)
{
    const float y = std::exp2(x);
    return std::fpclassify(y) == FP_SUBNORMAL ? 0.0f : y;
}
inline float emu_widen_bf16(uint16_t h) { return __bfloat162float({h}); }
inline float emu_widen_f16(uint16_t h)
{
    __half x;
    std::memcpy(&x, &h, 2);
    return __half2float(x);
}

/* ---- kernels: registered by prepare.py, launched block by block ---- */
using emu_caller = std::function<void(void **args)>;
inline std::map<const void *, emu_caller> &emu_kernels()
{
    static std::map<const void *, emu_caller> k;
    return k;
}
template <class... A, std::size_t... I>
void emu_call(void (*f)(A...), void **args, std::index_sequence<I...>)
{
    f(*(A *)args[I]...);
}
template <class... A> void emu_register(void (*f)(A...))
{
    emu_kernels()[(const void *)f] = [f](void **args) { emu_call(f, args, std::index_sequence_for<A...>{}); };
}

typedef struct emu_stream *cudaStream_t;
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };

inline cudaError_t cudaLaunchKernel(const void *f, dim3 grid, dim3 block, void **args, size_t shared,
                                    cudaStream_t)
{
    auto it = emu_kernels().find(f);
    if (it == emu_kernels().end() || shared != 0 || block.y * block.z * grid.y * grid.z != 1)
        return cudaErrorInvalidValue;
    const unsigned n = block.x;
    for (unsigned bx = 0; bx < grid.x; bx++) {
        std::barrier<> bar((std::ptrdiff_t)n);
        std::vector<std::unique_ptr<emu_warp>> warps;
        for (unsigned w0 = 0; w0 < n; w0 += 32)
            warps.push_back(std::make_unique<emu_warp>((int)(n - w0 < 32 ? n - w0 : 32)));
        std::vector<std::thread> threads;
        for (unsigned tx = 0; tx < n; tx++)
            threads.emplace_back([&, tx] {
                threadIdx = {tx, 0, 0};
                blockIdx = {bx, 0, 0};
                blockDim = block;
                gridDim = grid;
                emu_block_bar = &bar;
                emu_my_warp = warps[tx / 32].get();
                emu_lane = (int)(tx % 32);
                it->second(args);
                emu_my_warp->bar.arrive_and_drop();
                bar.arrive_and_drop();
            });
        for (auto &t : threads)
            t.join();
    }
    return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t)
{
    std::memset(p, v, n);
    return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind, cudaStream_t)
{
    std::memcpy(d, s, n);
    return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

/* ---- what myogen tune's adapter uses (compiler/tune/devmem.c): device
 * memory is host memory, the device is the emulation ---- */
inline cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = std::malloc(n);
    return *p ? cudaSuccess : cudaErrorInvalidValue;
}
inline cudaError_t cudaFree(void *p)
{
    std::free(p);
    return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind)
{
    std::memcpy(d, s, n);
    return cudaSuccess;
}
inline cudaError_t cudaMemset(void *p, int v, size_t n)
{
    std::memset(p, v, n);
    return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetDevice(int *d)
{
    *d = 0;
    return cudaSuccess;
}
struct cudaDeviceProp {
    char name[256];
};
inline cudaError_t cudaDriverGetVersion(int *v)
{
    *v = CUDART_VERSION;
    return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int)
{
    std::strcpy(p->name, "cuda_emu (host threads)");
    return cudaSuccess;
}

#endif
