#ifndef MYOGEN_TUNE_FORMAT_H
#define MYOGEN_TUNE_FORMAT_H
#include <stddef.h>
#include <stdio.h>
#include "tune/result.h"

/* What every tune table prints alike (tune/table.c, tune/mlr.c, tune/btt.c). */

/* "12.34 us", "1.234 ms" or "1.234 s". */
void tune_fmt_time(double s, char *buf, size_t len);

/* gflops as "12.3%" of peak, or "-" where no peak was measured (GPUs). */
void tune_fmt_peak(double gflops, double peak, char *buf, size_t len);

/* The table's lines on the peak and budget, the load and the variants'
 * outcomes (skipped_why: why variants were skipped). */
void tune_print_summary(const tune_report *r, FILE *out, const char *skipped_why);

/* The rest of the table row of a variant that did not pass the check or
 * did not run: WRONG or FAILED, excluded. */
void tune_print_excluded(FILE *out, const tune_variant *v);

#endif
