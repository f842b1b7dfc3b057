#include "tune/result.h"

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
