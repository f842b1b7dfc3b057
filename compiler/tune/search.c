/* The knob search of one arity (see tune/search.h). */
#include "tune/search.h"

#include <string.h>

static long long value(const tune_variant *v) { return v->knobs.value[0]; }

static int is_pruned(const tune_variant *v) { return strcmp(v->note, "pruned") == 0; }

/* The index of the variant with the next larger (up) or smaller value
 * than v[j]'s, or -1. */
static int adjacent(const tune_variant *v, int n, int j, int up)
{
    const long long x = value(&v[j]);
    int best = -1;
    for (int i = 0; i < n; i++) {
        const long long y = value(&v[i]);
        if (up ? y <= x : y >= x)
            continue;
        if (best < 0 || (up ? y < value(&v[best]) : y > value(&v[best])))
            best = i;
    }
    return best;
}

/* ... next to v[j]'s toward the default (dir -1) or away from it (+1). */
static int neighbour(const tune_variant *v, int n, int j, int dir)
{
    return adjacent(v, n, j, (value(&v[j]) > value(&v[0])) == (dir > 0));
}

static double measured(const tune_variant *v) { return v->status == TUNE_OK ? v->median_s : 0; }

int tune_search_pruned(const tune_variant *v, int n, int j)
{
    if (j <= 0 || j >= n)
        return 0;
    const int near1 = neighbour(v, n, j, -1);
    if (near1 <= 0 || neighbour(v, n, j, +1) < 0) /* next to the default, or the end */
        return 0;
    if (is_pruned(&v[near1]))
        return 1;
    const int near2 = neighbour(v, n, near1, -1);
    const double t1 = measured(&v[near1]), t2 = near2 >= 0 ? measured(&v[near2]) : 0;
    return t1 > 0 && t2 > 0 && t1 > 1.1 * t2;
}

int tune_search_revisit(const tune_variant *v, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (measured(&v[i]) > 0 && (best < 0 || v[i].median_s < v[best].median_s))
            best = i;
    if (best < 0)
        return -1;
    int pick = -1; /* of its two neighbours, the pruned one earlier in run order */
    for (int up = 0; up < 2; up++) {
        const int i = adjacent(v, n, best, up);
        if (i >= 0 && is_pruned(&v[i]) && (pick < 0 || i < pick))
            pick = i;
    }
    return pick;
}
