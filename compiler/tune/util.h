#ifndef MYOGEN_TUNE_UTIL_H
#define MYOGEN_TUNE_UTIL_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include "spec.h"
#include "tune/result.h"
#include "tune/tune.h"

/* Plumbing shared by the driver and the tuners of every kernel. */

/* What a child process reports about one variant, written whole to a pipe. */
typedef struct {
    int status;
    double median, max_err;
    int reps;
    char note[200];
    char device[96]; /* GPU targets: the device that ran it */
} tune_msg;

/* "myogen tune: ..." on stderr, flushed. */
void tune_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The 1-minute load average, or -1. */
double tune_load_average(void);

/* Removes dir and the files in it. */
void tune_remove_dir(const char *dir);

/* A pipe and a child process: returns 0 in the child (which writes its
 * tune_msg to *wfd and exits), the child's pid in the parent (which reads
 * it from *rfd with tune_collect), or -1 with m failed and why. */
pid_t tune_fork(int *wfd, int *rfd, tune_msg *m);

/* The spec file of o with its -D overrides, then the extra ones (arity,
 * depth, ...), loaded and validated into s: 0, or -1 with why. */
int tune_load_spec(const tune_options *o, const char *const *extra, int nextra, spec *s,
                   char *err, size_t errlen);

/* One warm-up call of call(arg), then timed calls until slice seconds are
 * used (at least 3, at most 101): m's median, reps and status TUNE_OK.  A
 * call's time is the change of clock() across it (GPU targets: the device
 * seconds of its kernels), or wall time where clock is NULL. */
void tune_time_calls(void (*call)(void *), void *arg, double (*clock)(void), double slice,
                     tune_msg *m);

/* The values of a knob to try (at most nmax into vals): the default first,
 * then step times powers of two up to max, nearest the default first (in
 * octaves).  The driver prunes a value whose nearer neighbours got slower
 * going its way.  Returns the count. */
int tune_knob_values(int def, int step, int max, int *vals, int nmax);

/* Evaluates the Lua chunk src in a fresh template engine of spec s (the
 * default knobs: what a plan says), its result text into out: 0, or -1 with
 * why. */
int tune_spec_eval(const spec *s, const char *src, char *out, size_t outlen, char *err,
                   size_t errlen);

/* The symbol NAME SUFFIX (e.g. "_forward") of the loaded library dl, or NULL. */
void *tune_symbol(void *dl, const char *name, const char *suffix);

/* "ok", "WRONG", "FAILED", "skipped". */
const char *tune_status_word(tune_status s);

/* Reads child pid's tune_msg from fd (closing it) until deadline (seconds on
 * myogen_now's clock; past it the child is killed) and reaps the child: m is
 * the child's message, or status TUNE_FAILED with why in the note. */
void tune_collect(pid_t pid, int fd, double deadline, tune_msg *m);

#endif
