/* What every tune table prints alike (see tune/format.h). */
#include "tune/format.h"

#include <stdio.h>

void tune_fmt_time(double s, char *buf, size_t len)
{
    if (s < 1e-3)
        snprintf(buf, len, "%.2f us", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.3f ms", s * 1e3);
    else
        snprintf(buf, len, "%.3f s", s);
}

void tune_fmt_peak(double gflops, double peak, char *buf, size_t len)
{
    if (peak > 0)
        snprintf(buf, len, "%.1f%%", 100.0 * gflops / peak);
    else
        snprintf(buf, len, "-");
}

void tune_print_summary(const tune_report *r, FILE *out, const char *skipped_why)
{
    int nok = 0, nwrong = 0, nfail = 0, nskip = 0;
    for (int i = 0; i < r->nv; i++) {
        nok += r->v[i].status == TUNE_OK;
        nwrong += r->v[i].status == TUNE_WRONG;
        nfail += r->v[i].status == TUNE_FAILED;
        nskip += r->v[i].status == TUNE_SKIPPED;
    }
    if (r->gpu)
        fprintf(out, "device %s (%s; times: %s); budget %.0f s, used %.1f s\n",
                r->device[0] ? r->device : "(none ran)", r->dtype,
                r->cuda ? "a call from launch to completion, synchronized"
                        : "its kernels' device time, MYOGEN_CL_PROFILE",
                r->budget_s, r->used_s);
    else
        fprintf(out, "measured FMA peak %.1f GFLOP/s (%s %s, %d thread%s); budget %.0f s, "
                "used %.1f s\n", r->peak_gflops, r->target, r->dtype, r->threads,
                r->threads > 1 ? "s" : "", r->budget_s, r->used_s);
    if (r->load_start >= 0)
        fprintf(out, "load average %.2f at the start, %.2f at the end, %d CPUs%s\n",
                r->load_start, r->load_end, r->cpus,
                r->load_start > 0.5 * r->cpus || r->load_end > 1.5 * r->cpus
                    ? ": other processes competed, timings are noisy" : "");
    fprintf(out, "%d variants: %d timed, %d wrong (excluded), %d failed, %d skipped (%s)\n\n",
            r->nv, nok, nwrong, nfail, nskip, skipped_why);
}

void tune_print_excluded(FILE *out, const tune_variant *v)
{
    fprintf(out, "%11s  (%s: excluded)\n", v->status == TUNE_WRONG ? "WRONG" : "FAILED",
            v->status == TUNE_WRONG ? "disagrees with the reference" : "did not run");
}
