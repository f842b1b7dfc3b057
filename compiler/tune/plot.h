#ifndef MYOGEN_SVG_PLOT_H
#define MYOGEN_SVG_PLOT_H
#include <stddef.h>
#include "tune/result.h"

/* Writes the tune's chart as a standalone SVG file (plain SVG 1.1 text, no
 * scripts): time per token (ns) against arity, one point per knob setting,
 * the best setting of each arity joined by a line, wrong or failed variants
 * marked.  Returns 0, or -1 with a one-line message. */
int svg_plot_write(const char *path, const tune_report *r, char *err, size_t errlen);

#endif
