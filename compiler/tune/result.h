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
    TUNE_SKIPPED  /* not run: budget */
} tune_status;

typedef struct {
    int index; /* 1-based, in run order */
    int arity, depth;
    long long padded, vertices; /* positions and vertices of the tree */
    char path[16];              /* the plan's algorithm: level_sums, tree, chain */
    knob_set knobs;
    int is_default;
    tune_status status;
    char note[256];
    double median_s, max_err;
    int reps;
    double memcpy_s; /* a memcpy of u into y, same bytes, same run: the memory yardstick */
} tune_variant;

typedef struct {
    char name[80], kernel[16], target[16], dtype[8], share[16], readout[16];
    char canonical[4096]; /* of the spec as given */
    char cpu[256];
    int state, threads;
    long long seq_len, channels, batch;
    double peak_gflops; /* one core, times threads for OpenMP specs */
    double budget_s, used_s;
    double load_start, load_end; /* 1-minute load average (/proc/loadavg), -1 unknown */
    int cpus;
    tune_variant *v;
    int nv;
} tune_report;

/* Useful floating-point operations of one forward call of a variant:
 * (5|V| + 3L) N per (batch, channel), DESIGN.md 6.1. */
double tune_flops(const tune_report *r, const tune_variant *v);

/* Index into r->v of the fastest correct variant (arity 0: any), or -1. */
int tune_best(const tune_report *r, int arity);

/* The table and the winners (tune/table.c). */
void tune_print_table(const tune_report *r, FILE *out);

#endif
