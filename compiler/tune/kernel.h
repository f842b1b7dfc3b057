#ifndef MYOGEN_TUNE_KERNEL_H
#define MYOGEN_TUNE_KERNEL_H
#include <stddef.h>
#include <stdio.h>
#include "spec.h"
#include "tune/result.h"
#include "tune/tune.h"
#include "tune/data.h"
#include "tune/format.h"
#include "tune/util.h"

/* Room for the variants of one tune: every arity times every knob value. */
#define TUNE_MAX_VARIANTS (TUNE_MAX_ARITIES * 8)

/* What the driver (tune/driver.c: generate, build, run in a child process,
 * check, time, report, record) asks of the tuner of one kernel: its
 * candidates, test data with the reference, the check in the child, and the
 * table.  One per kernel: tune_myo (tune/myo.c), tune_mlr (tune/mlr.c),
 * tune_btt (tune/btt.c). */
typedef struct {
    const char *kernel; /* the spec field `kernel` it tunes */
    /* Checks the options against the given spec and fills the report: its
     * header fields (target, dtype, threads, channels, ...), the variants r->v
     * (r->nv, run order: the variants of one arity adjacent, its default
     * first; TUNE_SKIPPED with a note for one that cannot run, else
     * TUNE_FAILED until it runs, flops set) and specs[i], variant i's spec
     * (room for TUNE_MAX_VARIANTS); cflags the flags its ISA needs.  Prints
     * a progress line naming the candidates.  0, 2 for bad input, 1. */
    int (*candidates)(const tune_options *o, const spec *given, tune_report *r, spec *specs,
                      char *cflags, size_t cflen, char *err, size_t errlen);
    /* Random inputs and the reference output for the variants of v's arity
     * (spec s), or NULL with why. */
    void *(*data_make)(const tune_report *r, const tune_variant *v, const spec *s, char *err,
                       size_t errlen);
    void (*data_free)(void *data);
    /* Seconds of the memory yardstick of the data (a memcpy of its bytes),
     * or 0 where the kernel has none. */
    double (*yardstick)(const void *data);
    /* In the child process: NAME's entry points from the loaded library dl,
     * one call checked against the reference (inject: an output corrupted
     * first, the test hook), then timed calls for about slice seconds by
     * clock (tune_time_calls; NULL: wall time). */
    void (*child)(void *dl, const char *name, const void *data, const tune_report *r,
                  double (*clock)(void), double slice, int inject, tune_msg *m);
    /* The table and the winners. */
    void (*print_table)(const tune_report *r, FILE *out);
} tune_kernel;

extern const tune_kernel tune_myo, tune_mlr, tune_btt;

#endif
