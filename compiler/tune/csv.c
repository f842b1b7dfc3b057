/* The tuner's table as CSV (see tune/csv.h). */
#include "tune/csv.h"
#include "strbuf.h"

#include <stdio.h>
#include <string.h>

/* a quoted text field: quotes doubled */
static void put_field(strbuf *b, const char *s)
{
    strbuf_put(b, "\"");
    for (; *s; s++)
        strbuf_put(b, *s == '"' ? "\"\"" : "%c", *s);
    strbuf_put(b, "\"");
}

static const char *status_name(tune_status s)
{
    switch (s) {
    case TUNE_OK: return "ok";
    case TUNE_WRONG: return "wrong";
    case TUNE_FAILED: return "failed";
    case TUNE_SKIPPED: return "skipped";
    }
    return "?";
}

int tune_csv_write(const char *path, const tune_report *r, char *err, size_t errlen)
{
    strbuf b = {0};
    const int best = tune_best(r, 0);
    strbuf_put(&b, "kernel,name,target,dtype,state,share,readout,seq_len,channels,batch,cpu,"
                   "peak_gflops,variant,arity,depth,padded,path,knobs,default,status,"
                   "median_s,reps,tokens_per_s,gflops,peak_fraction,memcpy_ratio,relative,"
                   "best\r\n");
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *v = &r->v[i];
        char kn[64];
        if (v->status == TUNE_SKIPPED)
            continue;
        knobs_format(&v->knobs, kn, sizeof kn);
        put_field(&b, r->kernel);
        strbuf_put(&b, ",");
        put_field(&b, r->name);
        strbuf_put(&b, ",");
        put_field(&b, r->target);
        strbuf_put(&b, ",");
        put_field(&b, r->dtype);
        strbuf_put(&b, ",%d,", r->state);
        put_field(&b, r->share);
        strbuf_put(&b, ",");
        put_field(&b, r->readout);
        strbuf_put(&b, ",%lld,%lld,%lld,", r->seq_len, r->channels, r->batch);
        put_field(&b, r->cpu);
        strbuf_put(&b, ",%.17g,%d,%d,%d,%lld,", r->peak_gflops, v->index, v->arity, v->depth,
                   v->padded);
        put_field(&b, v->path);
        strbuf_put(&b, ",");
        put_field(&b, kn);
        strbuf_put(&b, ",%d,%s,", v->is_default, status_name(v->status));
        if (v->status == TUNE_OK) {
            const double gflops = v->flops / v->median_s * 1e-9;
            strbuf_put(&b, "%.17g,%d,%.17g,%.17g,", v->median_s, v->reps,
                       (double)r->seq_len * (double)r->batch / v->median_s, gflops);
            if (r->peak_gflops > 0) /* (none measured on GPUs: empty) */
                strbuf_put(&b, "%.17g", gflops / r->peak_gflops);
            strbuf_put(&b, ",");
            if (v->memcpy_s > 0)
                strbuf_put(&b, "%.17g", v->median_s / v->memcpy_s);
            strbuf_put(&b, ",%.17g,%d\r\n", best >= 0 ? r->v[best].median_s / v->median_s : 0.0,
                       i == best);
        } else {
            strbuf_put(&b, ",,,,,,,0\r\n");
        }
    }
    return strbuf_write(&b, path, "csv", err, errlen);
}
