#ifndef MYOGEN_FMA_PEAK_H
#define MYOGEN_FMA_PEAK_H
#include <stddef.h>
#include "cc.h"

/* The measured floating-point peak of one core for a spec's target and
 * dtype, the yardstick of the tuner's "% of peak": a loop of independent
 * multiply-add chains written with the target's ISA vocabulary
 * (templates/lib/fma_peak.c.tmpl) to DIR/peak.c, built with the same
 * compiler and ISA flags as the kernels, loaded and timed (best of several
 * runs).  Target "c": a scalar a*b + c, built without vectorization.
 * canonical: the spec's canonical text (its target and dtype count).
 * Returns GFLOP/s; -1 with err; -2 with err when this compiler or CPU
 * cannot run the target. */
double fma_peak_measure(const cc_tool *cc, const char *dir, const char *canonical,
                        const char *target, char *err, size_t errlen);

#endif
