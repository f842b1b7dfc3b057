/* A myo tune's table on stdout: every variant that ran, then the winners. */
#include "tune/result.h"
#include "tune/format.h"

#include <stdio.h>
#include <string.h>

void tune_print_table(const tune_report *r, FILE *out)
{
    const int best = tune_best(r, 0);
    fprintf(out, "myogen tune: %s (%s, target %s, %s, state %d, share %s, readout %s)\n", r->name,
            r->kernel, r->target, r->dtype, r->state, r->share, r->readout);
    fprintf(out, "seq_len %lld, channels %lld, batch %lld; CPU %s\n", r->seq_len, r->channels,
            r->batch, r->cpu);
    tune_print_summary(r, out, "budget or pruned");
    fprintf(out, "%5s %5s %8s %6s %-10s %-8s %11s %10s %8s %6s %7s %8s\n", "arity", "depth",
            "padded", "waste", "path", "knobs", "median", "tokens/s", "GFLOP/s", "%peak",
            "memcpy", "relative");
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *v = &r->v[i];
        char kn[64], t[32];
        if (v->status == TUNE_SKIPPED)
            continue;
        knobs_format(&v->knobs, kn, sizeof kn);
        const double waste = 100.0 * (double)(v->padded - r->seq_len) / (double)v->padded;
        fprintf(out, "%5d %5d %8lld %5.1f%% %-10s %-8s ", v->arity, v->depth, v->padded, waste,
                v->path, kn);
        if (v->status != TUNE_OK) {
            tune_print_excluded(out, v);
            continue;
        }
        const double gflops = v->flops / v->median_s * 1e-9;
        tune_fmt_time(v->median_s, t, sizeof t);
        char mc[16] = "-";
        if (v->memcpy_s > 0)
            snprintf(mc, sizeof mc, "%.1fx", v->median_s / v->memcpy_s);
        char pk[16];
        tune_fmt_peak(gflops, r->peak_gflops, pk, sizeof pk);
        fprintf(out, "%11s %10.3e %8.2f %6s %7s %7.2fx%s\n", t,
                (double)r->seq_len * (double)r->batch / v->median_s, gflops, pk, mc,
                r->v[best].median_s / v->median_s,
                i == best ? " <- best" : "");
    }
    fprintf(out, "\nmedian: of repeats after a warm-up; tokens/s: seq_len x batch real tokens per call\n"
                 "(padding is paid, not counted); GFLOP/s: (5|V| + 3L) N per (batch, channel) of\n"
                 "the padded tree, the tree solve's work (the level_sums path replaces that solve\n"
                 "by block sums, so its %%peak can pass 100%%: it is memory-bound, see memcpy);\n"
                 "memcpy: time over a memcpy of u's bytes in the same run; relative: best time over\n"
                 "this time.\n");
    fprintf(out, "\nwinner per arity:\n");
    int seen[17] = {0};
    for (int i = 0; i < r->nv; i++) {
        const int k = r->v[i].arity;
        if (k < 1 || k > 16 || seen[k]++)
            continue;
        const int b = tune_best(r, k);
        if (b < 0) {
            fprintf(out, "  arity %2d: none (no variant passed the check)\n", k);
            continue;
        }
        char kn[64], t[32];
        knobs_format(&r->v[b].knobs, kn, sizeof kn);
        tune_fmt_time(r->v[b].median_s, t, sizeof t);
        fprintf(out, "  arity %2d: depth %d, %s: %s (%.2fx the best)\n", k, r->v[b].depth, kn, t,
                r->v[best >= 0 ? best : b].median_s / r->v[b].median_s);
    }
    if (best >= 0) {
        char kn[64], t[32];
        knobs_format(&r->v[best].knobs, kn, sizeof kn);
        tune_fmt_time(r->v[best].median_s, t, sizeof t);
        fprintf(out, "best overall: arity %d, depth %d, %s: %s per call, %.3e tokens/s\n",
                r->v[best].arity, r->v[best].depth, kn, t,
                (double)r->seq_len * (double)r->batch / r->v[best].median_s);
    } else {
        fprintf(out, "best overall: none (no variant passed the check)\n");
    }
}
