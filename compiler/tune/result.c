#include "tune/result.h"

double tune_flops(const tune_report *r, const tune_variant *v)
{
    return (5.0 * (double)v->vertices + 3.0 * (double)v->padded) * r->state *
           (double)r->batch * (double)r->channels;
}

int tune_best(const tune_report *r, int arity)
{
    int best = -1;
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *v = &r->v[i];
        if (v->status != TUNE_OK || (arity && v->arity != arity))
            continue;
        if (best < 0 || v->median_s < r->v[best].median_s)
            best = i;
    }
    return best;
}
