#ifndef MYOGEN_TUNE_RESULT_H
#define MYOGEN_TUNE_RESULT_H
#include <stddef.h>
#include <stdio.h>
#include "knobs.h"

/* What a tune measured (the result model): the variants and the machine,
 * filled by the tuners (tune/myo.c, tune/mlr.c), read by the table printer
 * (tune/table.c), the plot (tune/plot.c) and the CSV (tune/csv.c), which
 * depend on this file only. */

typedef enum {
    TUNE_OK,      /* correct and timed */
    TUNE_WRONG,   /* disagrees with the reference: excluded */
    TUNE_FAILED,  /* did not generate, build, load or run */
    TUNE_SKIPPED  /* not run: budget, pruned, or a shape the kernel cannot take */
} tune_status;

typedef struct {
    int index; /* 1-based, in run order */
    int arity, depth;
    long long padded, vertices; /* myo: positions and vertices of the tree */
    long long finest;           /* mlr: the deepest level's block */
    char path[16];              /* the plan's algorithm: level_sums, tree, chain, mlr */
    knob_set knobs;
    int is_default;
    tune_status status;
    char note[256];
    double median_s, max_err;
    int reps;
    double flops;    /* useful floating-point operations of one call: myo (5|V| + 3L) N
                      * per (batch, channel), DESIGN.md 6.1; mlr 2 D_m + 2 dv per pair */
    double memcpy_s; /* a memcpy of u into y, same bytes, same run: the memory yardstick */
} tune_variant;

typedef struct {
    char name[80], kernel[16], target[16], dtype[8], share[16], readout[16];
    char detail[256];     /* mlr: its table's description of the spec */
    char canonical[4096]; /* of the spec as given */
    char cpu[256];
    int state, threads;
    int openmp, symmetric; /* the spec's threads = "openmp", symmetric = true */
    int gpu;               /* target "opencl" (timed by its kernels' device time) or "cuda" */
    int cuda;              /* target "cuda": timed from launch to completion */
    char device[96];       /* gpu: the device the variants ran on */
    char block[8];         /* myo: "diag" or "dense" */
    long long seq_len, channels, batch;
    double peak_gflops; /* one core, times threads for OpenMP specs */
    double budget_s, used_s;
    double load_start, load_end; /* 1-minute load average (/proc/loadavg), -1 unknown */
    int cpus;
    tune_variant *v;
    int nv;
} tune_report;

/* Index into r->v of the fastest correct variant (arity 0: any), or -1. */
int tune_best(const tune_report *r, int arity);

/* The table and the winners of a myo tune (tune/table.c). */
void tune_print_table(const tune_report *r, FILE *out);

#endif
