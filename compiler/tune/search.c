/* The knob search of one arity (see tune/search.h). */
#include "tune/search.h"

#include <string.h>

static long long value(const tune_variant *v) { return v->knobs.value[0]; }

static int is_pruned(const tune_variant *v) { return strcmp(v->note, "pruned") == 0; }

/* The index of the variant whose value is next to v[j]'s toward the
 * default (dir -1) or away from it (dir +1), or -1. */
static int neighbour(const tune_variant *v, int n, int j, int dir)
{
    const long long x = value(&v[j]), def = value(&v[0]);
    const int away = x > def ? 1 : -1, up = dir * away > 0;
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
    if (best < 0 || n < 2)
        return -1;
    for (int i = 1; i < n; i++) {
        if (!is_pruned(&v[i]))
            continue;
        /* next to the best among the sorted values: nothing lies between */
        const long long lo = value(&v[i]) < value(&v[best]) ? value(&v[i]) : value(&v[best]);
        const long long hi = value(&v[i]) < value(&v[best]) ? value(&v[best]) : value(&v[i]);
        int between = 0;
        for (int k = 0; k < n; k++)
            if (value(&v[k]) > lo && value(&v[k]) < hi)
                between = 1;
        if (!between)
            return i;
    }
    return -1;
}
