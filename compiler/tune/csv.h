#ifndef MYOGEN_TUNE_CSV_H
#define MYOGEN_TUNE_CSV_H
#include <stddef.h>
#include "tune/result.h"

/* Writes the tune's table as CSV (RFC 4180: a header row, then one row per
 * variant that ran, in run order; text fields quoted, numbers in C locale
 * with full precision; empty cells where a variant has no time).  Written
 * atomically; an unchanged file is left alone.  Returns 0, or -1 with a
 * one-line message. */
int tune_csv_write(const char *path, const tune_report *r, char *err, size_t errlen);

#endif
