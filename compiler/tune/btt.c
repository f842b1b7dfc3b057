/* myogen tune of btt matmul specs (tune/kernel.h): the factors are the
 * model, so the candidates are the values of the plan's knob MB (rows per
 * tile of the forward's GEMMs, a multiple of the register tile's rows) at
 * the spec's factors; --seq-len x --batch rows per call.  The check: 64
 * rows spread over the call (every row up to 64) against the BTT product
 * in double (docs/spec.md: y[j0 n1 + j1] = sum x[i1 m0 + i0] W1[i1][i0][j0][s]
 * W2[j0][i1][s][j1]). */
#define _XOPEN_SOURCE 700
#include "tune/kernel.h"
#include "tune/devmem.h"
#include "myogen_buffer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_ROWS 64
/* |got - ref| <= atol + rtol |ref|: sums of at most d_in r products of
 * values in [-1, 1] scaled by 1/sqrt of the sums' lengths */
#define F32_ATOL 1e-4
#define F32_RTOL 1e-3
#define F64_ATOL 1e-11
#define F64_RTOL 1e-9

/* What templates/btt/plan.lua computes (default knobs). */
typedef struct {
    int m0, m1, n0, n1, r, attention, f64, openmp;
    int half; /* 16-bit storage (tune_half_of) */
    int MR, MB, MBlim; /* the knob MB: its step (CPU: the register tile's rows), value, largest */
    char cflags[128];
} btt_plan;

typedef int (*btt_forward_fn)(const void *W1, const void *W2, const void *x, void *y, size_t n,
                              void *ws);
typedef size_t (*btt_workspace_fn)(size_t, size_t);
typedef int (*btt_forward_cuda_fn)(const void *W1, const void *W2, const void *x, void *y,
                                   size_t n, void *ws, void *stream);

static int btt_plan_of(const spec *s, btt_plan *p, char *err, size_t errlen)
{
    char out[512];
    memset(p, 0, sizeof *p);
    const int rc = tune_spec_eval(s,
        "local p = require('btt.plan')(spec)\n"
        "return table.concat({p.m0, p.m1, p.n0, p.n1, p.s, p.MBstep, p.MB, p.MBlim,"
        " p.attention and 1 or 0, spec.dtype == 'f64' and 1 or 0,"
        " spec.threads == 'openmp' and 1 or 0,"
        " spec.dtype == 'bf16' and 1 or spec.dtype == 'f16' and 2 or 0},"
        " ' ') .. '|' .. (p.isa.cflags or '')",
        out, sizeof out, err, errlen);
    if (rc != 0)
        return -1;
    char *bar = strchr(out, '|');
    if (!bar || sscanf(out, "%d %d %d %d %d %d %d %d %d %d %d %d", &p->m0, &p->m1, &p->n0, &p->n1,
                       &p->r, &p->MR, &p->MB, &p->MBlim, &p->attention, &p->f64,
                       &p->openmp, &p->half) != 12) {
        snprintf(err, errlen, "internal: unexpected btt plan summary '%.200s'", out);
        return -1;
    }
    snprintf(p->cflags, sizeof p->cflags, "%s", bar + 1);
    return 0;
}

/* ---- test data and reference ---- */

typedef struct {
    btt_plan p;
    size_t n, nw1, nw2, elem;
    void *W1, *W2, *x;
    size_t rows[CHECK_ROWS];
    int nrows;
    double *yref; /* [nrows][d_out] */
} btt_data;

/* y of row i, in double: t[i1][j0][s] = sum_i0 x W1, then y = sum_{i1,s} t W2. */
static void ref_row(const btt_data *td, size_t i, double *t, double *y)
{
    const btt_plan *p = &td->p;
    const size_t m0 = (size_t)p->m0, m1 = (size_t)p->m1, n0 = (size_t)p->n0,
                 n1 = (size_t)p->n1, r = (size_t)p->r, din = m0 * m1;
    for (size_t i1 = 0; i1 < m1; i1++)
        for (size_t j0 = 0; j0 < n0; j0++)
            for (size_t s = 0; s < r; s++) {
                double acc = 0;
                for (size_t i0 = 0; i0 < m0; i0++)
                    acc += tune_at(td->x, i * din + i1 * m0 + i0, p->f64) *
                           tune_at(td->W1, ((i1 * m0 + i0) * n0 + j0) * r + s, p->f64);
                t[(i1 * n0 + j0) * r + s] = acc;
            }
    for (size_t j0 = 0; j0 < n0; j0++)
        for (size_t j1 = 0; j1 < n1; j1++) {
            double acc = 0;
            for (size_t i1 = 0; i1 < m1; i1++)
                for (size_t s = 0; s < r; s++)
                    acc += t[(i1 * n0 + j0) * r + s] *
                           tune_at(td->W2, ((j0 * m1 + i1) * r + s) * n1 + j1, p->f64);
            y[j0 * n1 + j1] = acc;
        }
}

static void btt_data_free(void *data)
{
    btt_data *td = data;
    if (!td)
        return;
    myogen_buffer_free(td->W1);
    myogen_buffer_free(td->W2);
    myogen_buffer_free(td->x);
    free(td->yref);
    free(td);
}

static void *btt_data_make(const tune_report *r, const tune_variant *v, const spec *s, char *err,
                           size_t errlen)
{
    btt_data *td = calloc(1, sizeof *td);
    double *t = NULL;
    (void)v;
    if (!td) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (btt_plan_of(s, &td->p, err, errlen) != 0) {
        free(td);
        return NULL;
    }
    const btt_plan *p = &td->p;
    const size_t din = (size_t)p->m0 * (size_t)p->m1, dout = (size_t)p->n0 * (size_t)p->n1;
    td->n = (size_t)(r->seq_len * r->batch);
    td->elem = p->f64 ? 8 : 4;
    td->nw1 = din * (size_t)p->n0 * (size_t)p->r;
    td->nw2 = dout * (size_t)p->m1 * (size_t)p->r;
    tune_seed(0x9E3779B97F4A7C15ULL ^ (uint64_t)din ^ ((uint64_t)dout << 20));
    const double s1 = 1 / sqrt((double)p->m0), s2 = 1 / sqrt((double)(p->m1 * p->r));
    td->W1 = tune_fill(td->nw1, p->f64, -s1, s1);
    td->W2 = tune_fill(td->nw2, p->f64, -s2, s2);
    td->x = tune_fill(td->n * din, p->f64, -1, 1);
    td->nrows = td->n < CHECK_ROWS ? (int)td->n : CHECK_ROWS;
    if (td->W1 && td->W2 && td->x) {
        tune_round_floats(td->W1, td->nw1, p->half);
        tune_round_floats(td->W2, td->nw2, p->half);
        tune_round_floats(td->x, td->n * din, p->half);
    }
    td->yref = malloc((size_t)td->nrows * dout * sizeof *td->yref);
    t = malloc((size_t)p->m1 * (size_t)p->n0 * (size_t)p->r * sizeof *t);
    if (!td->W1 || !td->W2 || !td->x || !td->yref || !t) {
        snprintf(err, errlen, "out of memory for the test data (%zu rows of %zu)", td->n, din);
        free(t);
        btt_data_free(td);
        return NULL;
    }
    for (int k = 0; k < td->nrows; k++) {
        td->rows[k] = td->nrows == 1 ? 0 : (size_t)k * (td->n - 1) / (size_t)(td->nrows - 1);
        ref_row(td, td->rows[k], t, td->yref + (size_t)k * dout);
    }
    free(t);
    return td;
}

/* ---- in the child process ---- */

typedef struct {
    btt_forward_fn fwd;
    btt_forward_cuda_fn fwd_cuda; /* target cuda: the same with a stream */
    const void *W1, *W2, *x;      /* as the entry points take them */
    void *y, *ws;
    size_t n;
} btt_call;

static int call(const btt_call *c)
{
    if (c->fwd_cuda)
        return c->fwd_cuda(c->W1, c->W2, c->x, c->y, c->n, c->ws, NULL);
    return c->fwd(c->W1, c->W2, c->x, c->y, c->n, c->ws);
}

static void call_forward(void *arg) { (void)call(arg); }

/* The checked rows against the reference, then the timing. */
static void btt_child(void *dl, const char *name, const void *data, const tune_report *r,
                      double (*clock)(void), double slice, int inject,
                      tune_msg *m)
{
    const btt_data *td = data;
    const btt_plan *p = &td->p;
    const size_t dout = (size_t)p->n0 * (size_t)p->n1, din = (size_t)p->m0 * (size_t)p->m1;
    void *const fwd = tune_symbol(dl, name, "_forward");
    const btt_workspace_fn wss = (btt_workspace_fn)tune_symbol(dl, name, "_workspace_size");
    tune_mem mem;
    const int mrc = fwd && wss ? tune_mem_open(&mem, dl, r->cuda, r->dtype) : -1;
    if (mrc != 0) {
        snprintf(m->note, sizeof m->note, "%s", tune_mem_why(mrc));
        return;
    }
    void *y = myogen_buffer_alloc(td->n * dout * td->elem);
    btt_call c = {r->cuda ? NULL : (btt_forward_fn)fwd, r->cuda ? (btt_forward_cuda_fn)fwd : NULL,
                  NULL, NULL, NULL, NULL, NULL, td->n};
    if (y) {
        c.W1 = tune_mem_in(&mem, td->W1, td->nw1, td->elem);
        c.W2 = tune_mem_in(&mem, td->W2, td->nw2, td->elem);
        c.x = tune_mem_in(&mem, td->x, td->n * din, td->elem);
        c.y = tune_mem_out(&mem, y, td->n * dout, td->elem, 0);
        c.ws = tune_mem_scratch(&mem, wss(td->n, 1) + 64);
    }
    if (!c.W1 || !c.W2 || !c.x || !c.y || !c.ws) {
        snprintf(m->note, sizeof m->note, "out of %s memory", r->cuda ? "device" : "host");
        return;
    }
    const int rc = call(&c);
    if (rc != 0 || tune_mem_back(&mem, y, c.y, td->n * dout, td->elem, 0) != 0) {
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note, "forward returned %d%s", rc,
                 rc ? "" : ", its output could not be read");
        return;
    }
    if (inject) { /* test hook: a deliberately broken variant (row 0 is always checked) */
        if (td->elem == 8)
            ((double *)y)[0] += 1.0;
        else
            ((float *)y)[0] += 1.0f;
    }
    const double atol = p->f64 ? F64_ATOL : p->half ? TUNE_HALF_TOL(p->half) : F32_ATOL;
    const double rtol = p->f64 ? F64_RTOL : p->half ? atol : F32_RTOL;
    size_t nbad = 0, wr = 0, wc = 0;
    double worst_ratio = 0, wgot = 0, wref = 0;
    for (int k = 0; k < td->nrows; k++)
        for (size_t j = 0; j < dout; j++) {
            const double got = tune_at(y, td->rows[k] * dout + j, p->f64);
            const double ref = td->yref[(size_t)k * dout + j];
            if (tune_check_value(got, ref, atol, rtol, m, &nbad, &worst_ratio))
                wr = td->rows[k], wc = j, wgot = got, wref = ref;
        }
    if (nbad) {
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note, "%zu checked outputs off the reference (worst "
                 "y[%zu][%zu] = %.6g, reference %.6g)", nbad, wr, wc, wgot, wref);
        return;
    }
    tune_time_calls(call_forward, &c, clock, slice, m);
}

/* ---- the candidates and the table ---- */

static int btt_candidates(const tune_options *o, const spec *given, tune_report *r,
                          spec *specs, char *cflags, size_t cflen, char *err, size_t errlen)
{
    btt_plan p;
    char why[SPEC_ERR_LEN + 256];
    int vals[8];
    if (btt_plan_of(given, &p, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    if (p.attention) {
        snprintf(err, errlen, "tune %s: btt op = \"attention\" is not tuned by myogen %s (tuned: "
                 "op = \"matmul\")", o->spec_file, MYOGEN_VERSION);
        return 2;
    }
    if (o->arities_given) {
        snprintf(err, errlen, "tune %s: --arity is not for btt: its factors (arity, out_arity) "
                 "are the model; the tuner varies the knob MB", o->spec_file);
        return 2;
    }
    snprintf(cflags, cflen, "%s", p.cflags);
    snprintf(r->dtype, sizeof r->dtype, "%s", tune_dtype_name(p.f64, p.half));
    r->openmp = p.openmp;
    snprintf(r->detail, sizeof r->detail, "%d x %d -> %d x %d, rank %d", p.m0, p.m1, p.n0,
             p.n1, p.r);
    const int nvals = tune_knob_values(p.MB, p.MR, p.MBlim, vals, 8);
    const double rows = (double)(o->seq_len * o->batch);
    for (int j = 0; j < nvals; j++) {
        tune_variant *v = &r->v[r->nv];
        specs[r->nv] = *given;
        v->arity = p.m0;
        v->depth = 2;
        v->padded = o->seq_len;
        v->flops = 2.0 * rows * p.r * ((double)p.m0 * p.m1 * p.n0 + (double)p.n0 * p.n1 * p.m1);
        snprintf(v->path, sizeof v->path, "matmul");
        knobs_set(&v->knobs, "MB", vals[j]);
        v->is_default = j == 0;
        v->status = TUNE_FAILED; /* until it runs */
        r->nv++;
    }
    tune_progress("%s: btt matmul %s, %lld rows per call: %d values of MB (default %d)",
                  o->spec_file, r->detail, o->seq_len * o->batch, nvals, p.MB);
    return 0;
}

static void btt_print_table(const tune_report *r, FILE *out)
{
    const int best = tune_best(r, 0);
    const double rows = (double)r->seq_len * (double)r->batch;
    fprintf(out, "myogen tune: %s (btt matmul, target %s, %s, %s)\n", r->name, r->target,
            r->dtype, r->detail);
    fprintf(out, "rows %.0f (seq_len %lld x batch %lld); CPU %s\n", rows, r->seq_len, r->batch,
            r->cpu);
    tune_print_summary(r, out, "budget or pruned");
    fprintf(out, "%-8s %11s %10s %8s %6s %8s\n", "knobs", "median", "rows/s", "GFLOP/s", "%peak",
            "relative");
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *v = &r->v[i];
        char kn[64], t[32];
        if (v->status == TUNE_SKIPPED)
            continue;
        knobs_format(&v->knobs, kn, sizeof kn);
        fprintf(out, "%-8s ", kn);
        if (v->status != TUNE_OK) {
            tune_print_excluded(out, v);
            continue;
        }
        const double gflops = v->flops / v->median_s * 1e-9;
        char pk[16];
        tune_fmt_time(v->median_s, t, sizeof t);
        tune_fmt_peak(gflops, r->peak_gflops, pk, sizeof pk);
        fprintf(out, "%11s %10.3e %8.2f %6s %7.2fx%s%s\n", t, rows / v->median_s, gflops, pk,
                r->v[best].median_s / v->median_s,
                v->is_default ? " (default)" : "", i == best ? " <- best" : "");
    }
    fprintf(out, "\nmedian: of repeats after a warm-up; GFLOP/s: 2 r (d_in n0 + d_out m1) per row,"
                 "\nthe BTT product's count; MB: rows per tile of the forward's GEMMs; relative:\n"
                 "best time over this time.\n");
    if (best >= 0) {
        char kn[64], t[32];
        knobs_format(&r->v[best].knobs, kn, sizeof kn);
        tune_fmt_time(r->v[best].median_s, t, sizeof t);
        fprintf(out, "best: %s: %s per call, %.3e rows/s\n", kn, t, rows / r->v[best].median_s);
    } else {
        fprintf(out, "best: none (no variant passed the check)\n");
    }
}

const tune_kernel tune_btt = {"btt", btt_candidates, btt_data_make, btt_data_free, NULL,
                              btt_child, btt_print_table};
