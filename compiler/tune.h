#ifndef MYOGEN_TUNE_H
#define MYOGEN_TUNE_H
#include <stddef.h>
#include <stdio.h>
#include "knobs.h"

/* myogen tune: the branching factor (arity) and the templates' knobs,
 * measured on this machine (DESIGN.md 1, issue 4).  For each candidate arity
 * k the spec is re-generated with the smallest depth d such that the tree
 * holds seq_len positions, once per knob value; each variant is built with
 * the system C compiler into a shared object, loaded into a child process,
 * checked against the scalar reference of tune_ref.c on random data, and
 * timed (median of repeats).  mlr specs go to tune_mlr_run (tune_mlr.c). */

#define TUNE_MAX_ARITIES 16

typedef struct {
    const char *spec_file;
    const char *const *overrides; /* -D key=value, applied before arity/depth */
    int noverrides;
    long long seq_len;
    int arities[TUNE_MAX_ARITIES];
    int narities;
    double budget_s;
    const char *wisdom_path; /* NULL: no wisdom written */
    const char *plot_path;   /* NULL: no SVG */
    const char *csv_path;    /* NULL: no CSV */
    long long channels, batch;
    int inject_fault; /* test hook: corrupt the output of variant N (1-based) before its check */
    int arities_given, channels_given; /* --arity, --channels on the command line (mlr defaults) */
} tune_options;

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

/* Runs the tune; prints progress on stderr, the table on stdout, writes the
 * wisdom and plot files asked for.  Returns the exit status: 0, 2 for bad
 * input (err holds one line), 1 when nothing could be measured. */
int tune_run(const tune_options *o, char *err, size_t errlen);

/* The tune of an mlr spec (tune_mlr.c): arity = the block split factor k,
 * the spec's depth and ranks kept, seq_len = o->seq_len; arities for which
 * seq_len is not divisible by k^(depth-1) are skipped; --channels is the
 * number of heads (default 4), --arity defaults to 2,3,4,8.  Same exit
 * statuses as tune_run. */
int tune_mlr_run(const tune_options *o, char *err, size_t errlen);

/* Useful floating-point operations of one forward call of a variant:
 * (5|V| + 3L) N per (batch, channel), DESIGN.md 6.1. */
double tune_flops(const tune_report *r, const tune_variant *v);

/* Index into r->v of the fastest correct variant (arity 0: any), or -1. */
int tune_best(const tune_report *r, int arity);

/* The table and the winners (tune_report.c). */
void tune_print_table(const tune_report *r, FILE *out);

#endif
