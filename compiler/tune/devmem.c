/* A variant's memory in the tuner's child process (see tune/devmem.h). */
#include "tune/devmem.h"
#include "tune/data.h"
#include "tune/util.h"
#include "myogen_buffer.h"

#include <math.h>
#include <string.h>

int tune_mem_open(tune_mem *m, void *dl, int cuda, const char *dtype)
{
    memset(m, 0, sizeof *m);
    m->cuda = cuda;
    if (!cuda)
        return 0;
    m->half = tune_half_of(dtype);
    m->alloc = (int (*)(void **, size_t))tune_symbol(dl, "myogen_tune_cuda", "_alloc");
    m->put = (int (*)(void *, const void *, size_t, size_t, int))tune_symbol(dl, "myogen_tune_cuda",
                                                                             "_put");
    m->get = (int (*)(void *, const void *, size_t, size_t, int))tune_symbol(dl, "myogen_tune_cuda",
                                                                             "_get");
    m->fill = (int (*)(void *, int, size_t))tune_symbol(dl, "myogen_tune_cuda", "_fill");
    int (*device)(char *, size_t) =
        (int (*)(char *, size_t))tune_symbol(dl, "myogen_tune_cuda", "_device_name");
    if (!m->alloc || !m->put || !m->get || !m->fill || !device)
        return -1;
    char name[96];
    return device(name, sizeof name) == 0 ? 0 : -2;
}

const char *tune_mem_why(int rc)
{
    return rc == -2 ? "no CUDA device (the CUDA runtime found none)" : "cannot load: missing symbols";
}

static void *device_buffer(const tune_mem *m, size_t bytes)
{
    void *p = NULL;
    return m->alloc(&p, bytes) == 0 ? p : NULL;
}

void *tune_mem_in(const tune_mem *m, const void *host, size_t n, size_t elem)
{
    if (!m->cuda)
        return (void *)host;
    void *d = device_buffer(m, n * (m->half ? 2 : elem));
    return d && m->put(d, host, n, elem, m->half) == 0 ? d : NULL;
}

void *tune_mem_out(const tune_mem *m, void *host, size_t n, size_t elem, int wide)
{
    const size_t bytes = n * (m->half && !wide ? 2 : elem);
    if (!m->cuda) {
        memset(host, 0xff, bytes);
        return host;
    }
    void *d = device_buffer(m, bytes);
    return d && m->fill(d, 0xff, bytes) == 0 ? d : NULL;
}

int tune_mem_back(const tune_mem *m, void *host, const void *buf, size_t n, size_t elem, int wide)
{
    if (!m->cuda)
        return 0;
    return m->get(host, buf, n, elem, wide ? 0 : m->half) == 0 ? 0 : -1;
}

void *tune_mem_scratch(const tune_mem *m, size_t bytes)
{
    return m->cuda ? device_buffer(m, bytes) : myogen_buffer_alloc(bytes);
}

float tune_round16(float x, int half)
{
    if (x == 0 || !isfinite(x))
        return x;
    int e;
    (void)frexpf(x, &e); /* |x| in [2^(e-1), 2^e) */
    /* the step between neighbours: 7 (bf16) or 10 (f16) bits below the
     * leading one; f16's subnormals keep the step 2^-24 */
    int q = e - 1 - (half == 1 ? 7 : 10);
    if (half != 1 && q < -24)
        q = -24;
    const float step = ldexpf(1.0f, q);
    return nearbyintf(x / step) * step; /* the default rounding: to nearest, ties to even */
}

const char tune_cuda_adapter[] =
    "\n/* ---- myogen tune: this variant's host side for the tuner (compiler/tune/devmem.c) ---- */\n"
    "#include <cuda_bf16.h>\n"
    "#include <cuda_fp16.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <time.h>\n"
    "extern \"C\" {\n"
    "int myogen_tune_cuda_alloc(void **p, size_t bytes)\n"
    "{\n"
    "    return cudaMalloc(p, bytes ? bytes : 1) != cudaSuccess;\n"
    "}\n"
    "/* kind 0: the bytes as they are; 1, 2: host floats as bf16, f16 */\n"
    "int myogen_tune_cuda_put(void *dev, const void *host, size_t n, size_t elem, int kind)\n"
    "{\n"
    "    if (kind == 0)\n"
    "        return cudaMemcpy(dev, host, n * elem, cudaMemcpyHostToDevice) != cudaSuccess;\n"
    "    unsigned short *t = (unsigned short *)malloc(2 * n + 2);\n"
    "    const float *f = (const float *)host;\n"
    "    if (!t)\n"
    "        return 1;\n"
    "    for (size_t i = 0; i < n; i++) {\n"
    "        if (kind == 1) {\n"
    "            const __nv_bfloat16 h = __float2bfloat16_rn(f[i]);\n"
    "            memcpy(&t[i], &h, 2);\n"
    "        } else {\n"
    "            const __half h = __float2half_rn(f[i]);\n"
    "            memcpy(&t[i], &h, 2);\n"
    "        }\n"
    "    }\n"
    "    const int rc = cudaMemcpy(dev, t, 2 * n, cudaMemcpyHostToDevice) != cudaSuccess;\n"
    "    free(t);\n"
    "    return rc;\n"
    "}\n"
    "int myogen_tune_cuda_get(void *host, const void *dev, size_t n, size_t elem, int kind)\n"
    "{\n"
    "    if (kind == 0)\n"
    "        return cudaMemcpy(host, dev, n * elem, cudaMemcpyDeviceToHost) != cudaSuccess;\n"
    "    unsigned short *t = (unsigned short *)malloc(2 * n + 2);\n"
    "    float *f = (float *)host;\n"
    "    if (!t || cudaMemcpy(t, dev, 2 * n, cudaMemcpyDeviceToHost) != cudaSuccess) {\n"
    "        free(t);\n"
    "        return 1;\n"
    "    }\n"
    "    for (size_t i = 0; i < n; i++) {\n"
    "        if (kind == 1) {\n"
    "            __nv_bfloat16 h;\n"
    "            memcpy(&h, &t[i], 2);\n"
    "            f[i] = __bfloat162float(h);\n"
    "        } else {\n"
    "            __half h;\n"
    "            memcpy(&h, &t[i], 2);\n"
    "            f[i] = __half2float(h);\n"
    "        }\n"
    "    }\n"
    "    free(t);\n"
    "    return 0;\n"
    "}\n"
    "int myogen_tune_cuda_fill(void *dev, int byte, size_t bytes)\n"
    "{\n"
    "    return cudaMemset(dev, byte, bytes) != cudaSuccess;\n"
    "}\n"
    "/* seconds on the host's monotonic clock once the device is idle */\n"
    "double myogen_tune_cuda_clock(void)\n"
    "{\n"
    "    struct timespec t;\n"
    "    cudaDeviceSynchronize();\n"
    "    clock_gettime(CLOCK_MONOTONIC, &t);\n"
    "    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;\n"
    "}\n"
    "int myogen_tune_cuda_device_name(char *buf, size_t len)\n"
    "{\n"
    "    cudaDeviceProp p;\n"
    "    int d = 0, v = 0;\n"
    "    if (cudaGetDevice(&d) != cudaSuccess || cudaGetDeviceProperties(&p, d) != cudaSuccess ||\n"
    "        cudaDriverGetVersion(&v) != cudaSuccess)\n"
    "        return 1;\n"
    "    snprintf(buf, len, \"%s (CUDA driver %d.%d)\", p.name, v / 1000, v % 1000 / 10);\n"
    "    return 0;\n"
    "}\n"
    "}\n";
