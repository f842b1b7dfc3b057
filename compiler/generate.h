#ifndef MYOGEN_GENERATE_H
#define MYOGEN_GENERATE_H
#include <stddef.h>
#include "knobs.h"
#include "spec.h"

/* Generates the kernel of a validated spec into OUT (a path ending in .c),
 * writing OUT and its .h beside it atomically.  Returns 0, 2 for bad input
 * (the output path), 1 for an internal (template) failure; err is one line. */
int generate_kernel(const spec *s, const char *out_c, char *err, size_t errlen);

/* The same with implementation knobs (NULL or empty: generate_kernel), as
 * myogen tune and --wisdom set them: the kernel's plan checks them first
 * (an invalid knob is bad input, 2), and the header comments name them next
 * to the canonical spec, since regenerating needs them too. */
int generate_kernel_knobs(const spec *s, const char *out_c, const knob_set *knobs, char *err,
                          size_t errlen);

/* myogen --emit-runtime DIR: writes the OpenCL runtime pair (myogen_cl.c,
 * myogen_cl.h) into DIR, creating DIR if it is missing (not its parents),
 * all-or-nothing.  Returns 0, or 2 with a one-line message (a bad DIR). */
int emit_runtime(const char *dir, char *err, size_t errlen);

#endif
