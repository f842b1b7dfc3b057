/* myogen tune for mlr specs (DESIGN.md 6.2, issue 4): the candidates are
 * the block split factor k (arity); the spec's depth and ranks stay, the
 * sequence length is --seq-len (it replaces the spec's seq_len).  An arity
 * for which seq_len is not divisible by k^(depth-1) is skipped with a note
 * (no padding).  Each variant is generated, built, loaded in a child
 * process, checked against the scalar reference below (explicit softmax
 * attention with the MLR score, in double, on random data: the first and
 * the last head, every row up to 256 rows, else 256 rows spread over the
 * sequence) and timed, through the driver (tune/driver.c), for every value
 * of the plan's knob B (the tiles' largest side) per arity. */
#define _XOPEN_SOURCE 700
#include "tune/kernel.h"
#include "tune/devmem.h"
#include "myogen_buffer.h"
#include "myogen_timer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LEVELS 32
#define CHECK_ROWS 256
#define F32_ATOL 2e-4
#define F32_RTOL 1e-3
#define F64_ATOL 1e-10
#define F64_RTOL 1e-9

typedef struct {
    long long T;
    int k, Lv, R, dv, causal, norm; /* norm: 0 none, 1 levels, 2 shared */
    int ranks[MAX_LEVELS];
    double s[MAX_LEVELS];
    int f64, half, threads; /* half: 16-bit storage (tune_half_of) */
    int CB, Bmax, Blim; /* the knob B (tiles' largest side): its step, value, largest */
    int mma;            /* the forward on tensor cores: B does not shape it */
    char cflags[128];
} mlr_plan;

typedef int (*mlr_forward_fn)(const void *, const void *, const void *, void *, void *, size_t,
                              size_t, void *);
typedef size_t (*mlr_workspace_fn)(size_t, size_t);
typedef int (*mlr_forward_cuda_fn)(const void *, const void *, const void *, void *, void *, size_t,
                                   size_t, void *, void *);

/* The spec with the user's overrides, then seq_len and (k > 0) arity. */
static int load_mlr_spec(const tune_options *o, int k, spec *s, char *err, size_t errlen)
{
    char a[32], b[48];
    snprintf(b, sizeof b, "seq_len=%lld", o->seq_len);
    snprintf(a, sizeof a, "arity=%d", k);
    const char *extra[] = {b, a};
    return tune_load_spec(o, extra, k > 0 ? 2 : 1, s, err, errlen);
}

/* What templates/mlr/plan.lua computes: levels, ranks, scales, ISA flags. */
static int mlr_plan_of(const spec *s, mlr_plan *p, char *err, size_t errlen)
{
    char out[2048];
    memset(p, 0, sizeof *p);
    const int rc = tune_spec_eval(s,
        "local p = require('mlr.plan')(spec)\n"
        "local t = {p.T, p.k, p.Lv, p.R, p.dv, p.causal and 1 or 0,"
        " p.normalize == 'none' and 0 or p.normalize == 'levels' and 1 or 2,"
        " spec.dtype == 'f64' and 1 or 0, spec.threads == 'openmp' and 1 or 0,"
        " p.CB, p.Bmax, p.Blim, (p.gf and p.gf.mma) and 1 or 0,"
        " spec.dtype == 'bf16' and 1 or spec.dtype == 'f16' and 2 or 0}\n"
        "for l = 1, p.Lv do t[#t + 1] = p.ranks[l] end\n"
        "for l = 1, p.Lv do t[#t + 1] = string.format('%.17g', p.s[l]) end\n"
        "return table.concat(t, ' ') .. '|' .. (p.isa.cflags or '')",
        out, sizeof out, err, errlen);
    if (rc != 0)
        return -1;
    char *bar = strchr(out, '|');
    if (!bar) {
        snprintf(err, errlen, "internal: unexpected mlr plan summary '%.200s'", out);
        return -1;
    }
    *bar = 0;
    snprintf(p->cflags, sizeof p->cflags, "%s", bar + 1);
    char *q = out, *end;
    long long f[14];
    for (int i = 0; i < 14; i++) {
        f[i] = strtoll(q, &end, 10);
        if (end == q)
            goto bad;
        q = end;
    }
    p->T = f[0];
    p->k = (int)f[1];
    p->Lv = (int)f[2];
    p->R = (int)f[3];
    p->dv = (int)f[4];
    p->causal = (int)f[5];
    p->norm = (int)f[6];
    p->f64 = (int)f[7];
    p->threads = (int)f[8];
    p->CB = (int)f[9];
    p->Bmax = (int)f[10];
    p->Blim = (int)f[11];
    p->mma = (int)f[12];
    p->half = (int)f[13];
    if (p->Lv < 1 || p->Lv > MAX_LEVELS)
        goto bad;
    for (int l = 0; l < p->Lv; l++) {
        p->ranks[l] = (int)strtol(q, &end, 10);
        if (end == q)
            goto bad;
        q = end;
    }
    for (int l = 0; l < p->Lv; l++) {
        p->s[l] = strtod(q, &end);
        if (end == q)
            goto bad;
        q = end;
    }
    return 0;
bad:
    snprintf(err, errlen, "internal: unexpected mlr plan summary '%.200s'", out);
    return -1;
}

/* Useful FLOPs of one forward call (the count of bench/mlr_bench.c and
 * tests/mlr_ref.c): 2 D_m + 2 dv per unmasked pair, D_m = r_1 + .. + r_m. */
static double mlr_flops(const mlr_plan *p, long long batch, long long heads)
{
    const double T = (double)p->T;
    double b = T, dprefix = 0, pairs1 = 0;
    for (int l = 0; l < p->Lv; l++) {
        const double pairs = p->causal ? T / b * b * (b + 1) / 2 : T / b * b * b;
        if (l == 0)
            pairs1 = pairs;
        dprefix += (double)p->ranks[l] * pairs;
        b /= p->k;
    }
    return (2 * dprefix + 2 * (double)p->dv * pairs1) * (double)batch * (double)heads;
}

/* Reference row i of one head (q, k [T][R], v [T][dv] at the head's
 * start): o [dv] and lse, in double, from the definition (DESIGN.md 6.2). */
static void ref_row(const mlr_plan *p, const void *q, const void *k, const void *v, size_t qh,
                    size_t vh, size_t i, double *S, double *o, double *lse)
{
    const size_t T = (size_t)p->T, R = (size_t)p->R, dv = (size_t)p->dv;
    const size_t jend = p->causal ? i + 1 : T;
    double mx = -INFINITY;
    for (size_t j = 0; j < jend; j++) {
        size_t b = T, d0 = 0;
        double acc = 0;
        int m = 0;
        for (int l = 0; l < p->Lv; l++) {
            if (i / b != j / b)
                break;
            double dot = 0;
            for (int d = 0; d < p->ranks[l]; d++)
                dot += tune_at(q, qh + i * R + d0 + (size_t)d, p->f64) *
                       tune_at(k, qh + j * R + d0 + (size_t)d, p->f64);
            acc += p->s[l] * dot;
            d0 += (size_t)p->ranks[l];
            b /= (size_t)p->k;
            m++;
        }
        const double c = p->norm == 0 ? 1 : p->norm == 1 ? 1.0 / p->Lv : 1.0 / m;
        S[j] = c * acc;
        if (S[j] > mx)
            mx = S[j];
    }
    double sum = 0;
    for (size_t d = 0; d < dv; d++)
        o[d] = 0;
    for (size_t j = 0; j < jend; j++) {
        const double w = exp(S[j] - mx);
        sum += w;
        for (size_t d = 0; d < dv; d++)
            o[d] += w * tune_at(v, vh + j * dv + d, p->f64);
    }
    for (size_t d = 0; d < dv; d++)
        o[d] /= sum;
    *lse = mx + log(sum);
}

/* ---- test data ---- */

/* Random q, k, v of every head, the same for every arity (the layouts do
 * not depend on k), and the plan of the arity's spec (the reference's
 * levels). */
typedef struct {
    mlr_plan p;
    size_t nqk, nv, nl, elem;
    void *q, *k, *v;
} mlr_data;

static int check_one(const mlr_plan *p, const mlr_data *td, const void *o, const void *lse,
                     size_t bh, tune_msg *m, size_t *nbad, char *worst, size_t wlen,
                     double *worst_ratio)
{
    const size_t T = (size_t)p->T, R = (size_t)p->R, dv = (size_t)p->dv;
    const double atol = p->f64 ? F64_ATOL : p->half ? TUNE_HALF_TOL(p->half) : F32_ATOL;
    const double rtol = p->f64 ? F64_RTOL : p->half ? atol : F32_RTOL;
    double *S = malloc(T * sizeof *S), *ro = malloc(dv * sizeof *ro);
    if (!S || !ro) {
        free(S);
        free(ro);
        return -1;
    }
    const size_t nrows = T <= CHECK_ROWS ? T : CHECK_ROWS;
    for (size_t r = 0; r < nrows; r++) {
        const size_t i = T <= CHECK_ROWS ? r : r * (T - 1) / (CHECK_ROWS - 1);
        double rl;
        ref_row(p, td->q, td->k, td->v, bh * T * R, bh * T * dv, i, S, ro, &rl);
        for (size_t d = 0; d <= dv; d++) {
            const double ref = d < dv ? ro[d] : rl;
            const double got = d < dv ? tune_at(o, (bh * T + i) * dv + d, p->f64)
                                      : tune_at(lse, bh * T + i, p->f64);
            if (!tune_check_value(got, ref, atol, rtol, m, nbad, worst_ratio))
                continue;
            if (d < dv)
                snprintf(worst, wlen, "o[head %zu][%zu][%zu] = %.6g, reference %.6g", bh, i, d,
                         got, ref);
            else
                snprintf(worst, wlen, "lse[head %zu][%zu] = %.6g, reference %.6g", bh, i, got,
                         ref);
        }
    }
    free(S);
    free(ro);
    return 0;
}

static void mlr_data_free(void *data)
{
    mlr_data *td = data;
    if (!td)
        return;
    myogen_buffer_free(td->q);
    myogen_buffer_free(td->k);
    myogen_buffer_free(td->v);
    free(td);
}

static void *mlr_data_make(const tune_report *r, const tune_variant *v, const spec *s, char *err,
                           size_t errlen)
{
    mlr_data *td = calloc(1, sizeof *td);
    (void)v;
    if (!td) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (mlr_plan_of(s, &td->p, err, errlen) != 0) {
        free(td);
        return NULL;
    }
    const mlr_plan *p = &td->p;
    td->elem = p->f64 ? 8 : 4;
    td->nqk = (size_t)(r->batch * r->channels * p->T * p->R);
    td->nv = (size_t)(r->batch * r->channels * p->T * p->dv);
    td->nl = (size_t)(r->batch * r->channels * p->T);
    tune_seed(0x9E3779B97F4A7C15ULL ^ (uint64_t)p->T);
    td->q = tune_fill(td->nqk, p->f64, -1, 1);
    td->k = tune_fill(td->nqk, p->f64, -1, 1);
    td->v = tune_fill(td->nv, p->f64, -1, 1);
    if (!td->q || !td->k || !td->v) {
        mlr_data_free(td);
        snprintf(err, errlen, "out of memory for the test data");
        return NULL;
    }
    tune_round_floats(td->q, td->nqk, p->half);
    tune_round_floats(td->k, td->nqk, p->half);
    tune_round_floats(td->v, td->nv, p->half);
    return td;
}

/* ---- in the child process ---- */

typedef struct {
    mlr_forward_fn fwd;
    mlr_forward_cuda_fn fwd_cuda; /* target cuda: the same with a stream */
    const void *q, *k, *v;        /* as the entry points take them */
    void *o, *lse, *ws;
    size_t batch, heads;
} mlr_call;

static int call(const mlr_call *c)
{
    if (c->fwd_cuda)
        return c->fwd_cuda(c->q, c->k, c->v, c->o, c->lse, c->batch, c->heads, c->ws, NULL);
    return c->fwd(c->q, c->k, c->v, c->o, c->lse, c->batch, c->heads, c->ws);
}

static void call_forward(void *arg) { (void)call(arg); }

/* The first and the last head against the reference, then the timing. */
static void mlr_child(void *dl, const char *name, const void *data, const tune_report *r,
                      double (*clock)(void), double slice, int inject,
                      tune_msg *m)
{
    const mlr_data *td = data;
    const mlr_plan *p = &td->p;
    const size_t batch = (size_t)r->batch, heads = (size_t)r->channels;
    void *const fwd = tune_symbol(dl, name, "_forward");
    const mlr_workspace_fn wss = (mlr_workspace_fn)tune_symbol(dl, name, "_workspace_size");
    tune_mem mem;
    const int mrc = fwd && wss ? tune_mem_open(&mem, dl, r->cuda, r->dtype) : -1;
    if (mrc != 0) {
        snprintf(m->note, sizeof m->note, "%s", tune_mem_why(mrc));
        return;
    }
    void *o = myogen_buffer_alloc(td->nv * td->elem);
    void *lse = myogen_buffer_alloc(td->nl * td->elem);
    mlr_call c = {r->cuda ? NULL : (mlr_forward_fn)fwd, r->cuda ? (mlr_forward_cuda_fn)fwd : NULL,
                  NULL, NULL, NULL, NULL, NULL, NULL, batch, heads};
    if (o && lse) {
        c.q = tune_mem_in(&mem, td->q, td->nqk, td->elem);
        c.k = tune_mem_in(&mem, td->k, td->nqk, td->elem);
        c.v = tune_mem_in(&mem, td->v, td->nv, td->elem);
        c.o = tune_mem_out(&mem, o, td->nv, td->elem, 0);
        c.lse = tune_mem_out(&mem, lse, td->nl, td->elem, 1);
        c.ws = tune_mem_scratch(&mem, wss(batch, heads) + 64);
    }
    if (!c.q || !c.k || !c.v || !c.o || !c.lse || !c.ws) {
        snprintf(m->note, sizeof m->note, "out of %s memory", r->cuda ? "device" : "host");
        return;
    }
    const int rc = call(&c);
    if (rc != 0 || tune_mem_back(&mem, o, c.o, td->nv, td->elem, 0) != 0 ||
        tune_mem_back(&mem, lse, c.lse, td->nl, td->elem, 1) != 0) {
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note, "forward returned %d%s", rc,
                 rc ? "" : ", its outputs could not be read");
        return;
    }
    if (inject) { /* test hook: a deliberately broken variant (row 0 is always checked) */
        if (td->elem == 8)
            ((double *)o)[0] += 1.0;
        else
            ((float *)o)[0] += 1.0f;
    }
    size_t nbad = 0;
    double worst_ratio = 0;
    char worst[160] = "";
    const size_t last = batch * heads - 1;
    if (check_one(p, td, o, lse, 0, m, &nbad, worst, sizeof worst, &worst_ratio) != 0 ||
        (last > 0 && check_one(p, td, o, lse, last, m, &nbad, worst, sizeof worst,
                               &worst_ratio) != 0)) {
        snprintf(m->note, sizeof m->note, "out of memory for the reference");
        return;
    }
    if (nbad) {
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note, "%zu checked outputs off the reference (worst %s)",
                 nbad, worst);
        return;
    }
    tune_time_calls(call_forward, &c, clock, slice, m);
}

/* ---- the candidates and the table ---- */

static int mlr_candidates(const tune_options *o, const spec *given_, tune_report *r,
                          spec *specs, char *cflags, size_t cflen, char *err, size_t errlen)
{
    static spec given;
    mlr_plan gp;
    char why[SPEC_ERR_LEN + 256];
    const int def_arities[] = {2, 3, 4, 8};
    const int *ar = o->arities_given ? o->arities : def_arities;
    const int na = o->arities_given ? o->narities : 4;
    (void)given_;
    r->channels = o->channels_given ? o->channels : 4; /* heads */
    /* the spec at --seq-len, its own arity: the fixed fields */
    if (load_mlr_spec(o, 0, &given, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: seq_len %lld: %s", o->seq_len, why);
        return 2;
    }
    if (mlr_plan_of(&given, &gp, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    snprintf(cflags, cflen, "%s", gp.cflags);
    snprintf(r->dtype, sizeof r->dtype, "%s", tune_dtype_name(gp.f64, gp.half));
    r->openmp = gp.threads;
    {
        char ranks[256] = "";
        for (int l = 0, n = 0; l < gp.Lv; l++)
            n += snprintf(ranks + n, sizeof ranks - (size_t)n, "%s%d", l ? "," : "", gp.ranks[l]);
        snprintf(r->detail, sizeof r->detail, "depth %d, ranks {%s}, value_dim %d, %s, "
                 "normalize %s", gp.Lv, ranks, gp.dv, gp.causal ? "causal" : "not causal",
                 gp.norm == 0 ? "none" : gp.norm == 1 ? "levels" : "shared");
    }
    int nrun = 0, first_skip = -1;
    for (int a = 0; a < na; a++) {
        tune_variant *v = &r->v[r->nv];
        const int k = ar[a];
        v->arity = k;
        v->depth = gp.Lv;
        snprintf(v->path, sizeof v->path, "mlr");
        v->status = TUNE_SKIPPED;
        long long div = 1;
        for (int l = 1; l < gp.Lv && div <= o->seq_len; l++)
            div *= k;
        if (k < 2 || o->seq_len % div != 0) {
            if (k >= 2)
                snprintf(v->note, sizeof v->note, "seq_len %lld not divisible by %d^%d",
                         o->seq_len, k, gp.Lv - 1);
            else
                snprintf(v->note, sizeof v->note, "arity %d: blocks split into k >= 2", k);
            if (first_skip < 0)
                first_skip = r->nv;
            r->nv++;
            continue;
        }
        mlr_plan p;
        if (load_mlr_spec(o, k, &specs[r->nv], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d, depth %d: %s", k, gp.Lv, why);
            return 2;
        }
        if (mlr_plan_of(&specs[r->nv], &p, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d: %s", k, why);
            return 1;
        }
        /* the knob B: the plan's value first, then the register block's
         * columns times powers of two up to 256 (GPU: 4 times powers of two
         * up to 64, the flash tiles' query sides) */
        int vals[8];
        const int nvals = p.mma ? 1 : tune_knob_values(p.Bmax, p.CB, p.Blim, vals, 8);
        vals[0] = p.Bmax;
        for (int j = 0; j < nvals; j++) {
            v = &r->v[r->nv];
            if (j > 0)
                specs[r->nv] = specs[r->nv - j];
            v->arity = k;
            v->depth = gp.Lv;
            snprintf(v->path, sizeof v->path, "mlr");
            v->flops = mlr_flops(&p, r->batch, r->channels);
            v->finest = o->seq_len / div;
            v->padded = o->seq_len; /* no padding */
            knobs_set(&v->knobs, "B", vals[j]);
            v->is_default = j == 0;
            v->status = TUNE_FAILED; /* until it runs */
            r->nv++;
        }
        nrun++;
    }
    if (nrun == 0) { /* nothing to measure: the request is what is wrong */
        snprintf(err, errlen, "tune %s: no arity in --arity can split seq_len %lld over %d "
                 "levels (arity %d: %s); choose arities k with k^%d dividing %lld",
                 o->spec_file, o->seq_len, gp.Lv, r->v[first_skip].arity, r->v[first_skip].note,
                 gp.Lv - 1, o->seq_len);
        return 2;
    }
    tune_progress("%s: mlr, %d arities (%d runnable), depth %d, seq_len %lld, heads %lld, "
                  "batch %lld", o->spec_file, na, nrun, gp.Lv, o->seq_len, r->channels,
                  r->batch);
    return 0;
}

static void mlr_print_table(const tune_report *r, FILE *out)
{
    const int best = tune_best(r, 0);
    fprintf(out, "myogen tune: %s (mlr, target %s, %s, %s)\n", r->name, r->target, r->dtype,
            r->detail);
    fprintf(out, "seq_len %lld, heads %lld, batch %lld; CPU %s\n", r->seq_len, r->channels,
            r->batch, r->cpu);
    tune_print_summary(r, out, "seq_len not divisible, budget or pruned");
    fprintf(out, "%5s %5s %9s %-8s %11s %10s %8s %6s %8s\n", "arity", "depth", "finest", "knobs",
            "median", "tokens/s", "GFLOP/s", "%peak", "relative");
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *x = &r->v[i];
        char t[32], fin[24] = "-", kn[64];
        if (x->status == TUNE_SKIPPED && x->finest) /* budget or pruned */
            continue;
        if (x->finest)
            snprintf(fin, sizeof fin, "%lld", x->finest);
        knobs_format(&x->knobs, kn, sizeof kn);
        fprintf(out, "%5d %5d %9s %-8s ", x->arity, x->depth, fin, kn);
        if (x->status == TUNE_SKIPPED) { /* seq_len not divisible */
            fprintf(out, "%11s  (%s)\n", "skipped", x->note);
            continue;
        }
        if (x->status != TUNE_OK) {
            tune_print_excluded(out, x);
            continue;
        }
        const double gflops = x->flops / x->median_s * 1e-9;
        char pk[16];
        tune_fmt_time(x->median_s, t, sizeof t);
        tune_fmt_peak(gflops, r->peak_gflops, pk, sizeof pk);
        fprintf(out, "%11s %10.3e %8.2f %6s %7.2fx%s\n", t,
                (double)r->seq_len * (double)r->batch / x->median_s, gflops, pk,
                r->v[best].median_s / x->median_s,
                i == best ? " <- best" : "");
    }
    fprintf(out, "\nmedian: of repeats after a warm-up; finest: the deepest level's block (seq_len /\n"
                 "k^(depth-1)); tokens/s: seq_len x batch per call; GFLOP/s: the MLR count, 2 D_m +\n"
                 "2 dv per unmasked pair (D_m = r_1 + .. + r_m, m the levels the pair shares) per\n"
                 "head; B: the tiles' largest side; relative: best time over this time.  Depth\n"
                 "and ranks are the spec's; an arity whose k^(depth-1) does not divide seq_len is\n"
                 "skipped (no padding).\n");
    if (best >= 0) {
        char t[32], kn[64];
        tune_fmt_time(r->v[best].median_s, t, sizeof t);
        knobs_format(&r->v[best].knobs, kn, sizeof kn);
        fprintf(out, "best overall: arity %d, depth %d, %s: %s per call, %.3e tokens/s\n",
                r->v[best].arity, r->v[best].depth, kn, t,
                (double)r->seq_len * (double)r->batch / r->v[best].median_s);
    } else {
        fprintf(out, "best overall: none (no variant passed the check)\n");
    }
}

const tune_kernel tune_mlr = {"mlr", mlr_candidates, mlr_data_make, mlr_data_free, NULL,
                              mlr_child, mlr_print_table};
