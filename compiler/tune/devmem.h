#ifndef MYOGEN_TUNE_DEVMEM_H
#define MYOGEN_TUNE_DEVMEM_H
#include <stddef.h>

/* A variant's memory as its entry points take it, in the tuner's child
 * process: host memory on the CPU targets and OpenCL (whose host-pointer
 * functions move the data themselves), device memory on target "cuda",
 * through the host functions tune_cuda_adapter appends to every CUDA
 * variant (so they use the variant's own CUDA runtime). */
typedef struct {
    int cuda;
    int half; /* cuda, dtype bf16 (1) or f16 (2): tensors stored in 16 bits */
    int (*alloc)(void **p, size_t bytes);
    int (*put)(void *dev, const void *host, size_t n, size_t elem, int kind);
    int (*get)(void *host, const void *dev, size_t n, size_t elem, int kind);
    int (*fill)(void *dev, int byte, size_t bytes);
} tune_mem;

/* For the variant loaded as dl: target cuda or not, its dtype (e.g.
 * "bf16").  Returns 0, -1 where a CUDA variant lacks the adapter, -2 where
 * the CUDA runtime finds no device. */
int tune_mem_open(tune_mem *m, void *dl, int cuda, const char *dtype);

/* The input host[0..n-1] (elements of elem bytes: float or double) as the
 * entry points take it: host itself, or a device copy (16-bit where the
 * tensors are).  NULL when out of memory. */
void *tune_mem_in(const tune_mem *m, const void *host, size_t n, size_t elem);

/* An output of n elements, every byte 0xff (NaN: unwritten outputs fail
 * the check): host itself, or device memory (16-bit where the tensors are,
 * unless wide: mlr's lse stays float).  NULL when out of memory. */
void *tune_mem_out(const tune_mem *m, void *host, size_t n, size_t elem, int wide);

/* The output buf (from tune_mem_out) into host, widened to elem bytes:
 * nothing to do where buf is host.  Returns 0, or -1. */
int tune_mem_back(const tune_mem *m, void *host, const void *buf, size_t n, size_t elem,
                  int wide);

/* bytes of scratch for the entry points (a workspace), or NULL. */
void *tune_mem_scratch(const tune_mem *m, size_t bytes);

/* The child's note for tune_mem_open's code rc (nonzero). */
const char *tune_mem_why(int rc);

/* The CUDA C++ text appended to each CUDA variant's source: the functions
 * tune_mem_open looks up, a synchronizing clock (the tuner's time of a
 * call: launch to completion, as a caller that waits sees it) and the
 * device's name with its driver's CUDA version (the record's device). */
extern const char tune_cuda_adapter[];

/* x rounded to the nearest value of 16-bit storage (half 1: bf16, 2: f16;
 * ties to even): test data the kernels see unrounded, so the reference
 * matches their inputs. */
float tune_round16(float x, int half);

#endif
