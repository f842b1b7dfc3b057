/* What the OpenCL benches (opencl_bench, mlr_gpu_bench) share: the device
 * and its queue, timing, and the device's own yardsticks measured in the
 * same run (f32 FMA peak, copy bandwidth), and the PyTorch baseline TSVs. */
#ifndef BENCH_DEVICE_H
#define BENCH_DEVICE_H

#include "myogen_cl.h"

#include <stddef.h>

extern cl_context bench_ctx;
extern cl_command_queue bench_queue;
extern cl_device_id bench_device;

/* Opens the runtime's default device (MYOGEN_CL_DEVICE picks another) into
 * the three globals above; `prog` names the program in error messages. */
void bench_open(const char *prog);
double bench_now(void);                  /* seconds, monotonic */
double bench_median(double *t, int n);   /* sorts t */
void *bench_malloc(size_t n);            /* exits on failure */
void bench_die_cl(const char *what, int rc); /* prints the runtime's error, exits 1 */
cl_mem bench_buffer(size_t bytes, const void *host); /* a device copy of host, or uninitialized */
double bench_fma_peak(void);             /* f32 GFLOP/s (an FMA counts 2) */
double bench_copy_gbs(size_t *bytes);    /* GB/s read + written by a device copy; *bytes copied */
/* max |a - b| / max |b| over n values (NaN when a has one) */
double bench_rel_diff(const float *a, const float *b, size_t n);
/* Times call(ctx), which returns 0 or an error code: with `first` non-NULL
 * one timed first call (it builds the program) into *first and a warm-up
 * call, else one warm-up call; then `reps` timed calls, whose median (in
 * seconds) it returns.  An error exits naming `what`. */
double bench_time(int (*call)(void *), void *ctx, int reps, double *first, const char *what);
/* The milliseconds of the last row "name a b pass ms" of a baseline TSV
 * ('#' comments), or 0 when there is none. */
double bench_tsv_ms(const char *file, const char *name, unsigned long a, unsigned long b,
                    const char *pass);

#endif
