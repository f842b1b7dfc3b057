#ifndef MYOGEN_TUNE_H
#define MYOGEN_TUNE_H
#include <stddef.h>
#include <stdio.h>
#include "tune/result.h"

/* myogen tune: the branching factor (arity) and the templates' knobs,
 * measured on this machine (DESIGN.md 1, issue 4).  For each candidate arity
 * k the spec is re-generated with the smallest depth d such that the tree
 * holds seq_len positions, once per knob value; each variant is built with
 * the system C compiler into a shared object, loaded into a child process,
 * checked against the scalar reference of tune/myo_ref.c on random data, and
 * timed (median of repeats): tune/driver.c, with each kernel's candidates,
 * data and check from its tuner (tune/kernel.h: tune/myo.c, tune/mlr.c).
 * mlr: arity = the block split factor k, the spec's depth and ranks kept,
 * seq_len = --seq-len; arities for which seq_len is not divisible by
 * k^(depth-1) are skipped; --channels is the number of heads (default 4),
 * --arity defaults to 2,3,4,8. */

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

/* Runs the tune; prints progress on stderr, the table on stdout, writes the
 * wisdom and plot files asked for.  Returns the exit status: 0, 2 for bad
 * input (err holds one line), 1 when nothing could be measured. */
int tune_run(const tune_options *o, char *err, size_t errlen);

#endif
