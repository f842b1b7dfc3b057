#ifndef MYOGEN_GENERATE_H
#define MYOGEN_GENERATE_H
#include <stddef.h>
#include "spec.h"

/* Generates the kernel of a validated spec into OUT (a path ending in .c),
 * writing OUT and its .h beside it atomically.  Returns 0, 2 for bad input
 * (the output path), 1 for an internal (template) failure; err is one line. */
int generate_kernel(const spec *s, const char *out_c, char *err, size_t errlen);

#endif
