#ifndef MYOGEN_TUNE_SEARCH_H
#define MYOGEN_TUNE_SEARCH_H
#include "tune/result.h"

/* The search over one arity's knob values (tune/driver.c): v[0..n-1] are
 * its variants, v[0] the default, the others in run order (nearest the
 * default first); one knob, value[0]; each variant's status and median as
 * measured so far.  Neighbours are neighbours among the sorted values.
 *
 * tune_search_pruned: is v[j] not worth running?  Yes when, on its side
 * of the default, its neighbour toward the default was more than 10%
 * slower than that one's own neighbour toward the default (the slope goes
 * the wrong way), or that neighbour was pruned; never the value next to
 * the default nor the last value on its side (tile sizes often win at an
 * end of the range: btt's forward tile did, 1.8x, past two slower
 * values).
 *
 * tune_search_revisit: the index of a pruned variant next to the fastest
 * measured one (run it: the landscape had another valley), or -1. */
int tune_search_pruned(const tune_variant *v, int n, int j);
int tune_search_revisit(const tune_variant *v, int n);

#endif
