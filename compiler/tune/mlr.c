/* myogen tune for mlr specs (DESIGN.md 6.2, issue 4): the candidates are
 * the block split factor k (arity); the spec's depth and ranks stay, the
 * sequence length is --seq-len (it replaces the spec's seq_len).  An arity
 * for which seq_len is not divisible by k^(depth-1) is skipped with a note
 * (no padding).  Each variant is generated, built, loaded in a child
 * process, checked against the scalar reference below (explicit softmax
 * attention with the MLR score, in double, on random data: the first and
 * the last head, every row up to 256 rows, else 256 rows spread over the
 * sequence) and timed.  The mlr templates expose no knobs: wisdom entries
 * record arity, depth and time with knobs "-". */
#define _XOPEN_SOURCE 700
#include "tune/tune.h"
#include "tune/util.h"
#include "cc.h"
#include "fma_peak.h"
#include "generate.h"
#include "machine_id.h"
#include "myogen_buffer.h"
#include "myogen_timer.h"
#include "spec.h"
#include "template.h"
#include "wisdom.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REPS 101
#define MIN_REPS 3
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
    int f64, threads;
    char cflags[128];
} mlr_plan;

typedef struct {
    int index, arity, depth;
    tune_status status;
    char note[256];
    double median_s, max_err, flops;
    int reps;
} mlr_variant;

typedef int (*mlr_forward_fn)(const void *, const void *, const void *, void *, void *, size_t,
                              size_t, void *);
typedef size_t (*mlr_workspace_fn)(size_t, size_t);

/* The spec with the user's overrides, then seq_len and (k > 0) arity. */
static int load_mlr_spec(const tune_options *o, int k, spec *s, char *err, size_t errlen)
{
    const char **ov = malloc(((size_t)o->noverrides + 2) * sizeof *ov);
    char a[32], b[48];
    if (!ov) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < o->noverrides; i++)
        ov[i] = o->overrides[i];
    snprintf(b, sizeof b, "seq_len=%lld", o->seq_len);
    snprintf(a, sizeof a, "arity=%d", k);
    ov[o->noverrides] = b;
    ov[o->noverrides + 1] = a;
    int rc = spec_load(o->spec_file, ov, o->noverrides + (k > 0 ? 2 : 1), s, err, errlen);
    free(ov);
    return rc;
}

/* What templates/mlr/plan.lua computes: levels, ranks, scales, ISA flags. */
static int mlr_plan_of(const spec *s, mlr_plan *p, char *err, size_t errlen)
{
    char out[2048];
    memset(p, 0, sizeof *p);
    template_engine *e = engine_new(s->canonical, err, errlen);
    if (!e)
        return -1;
    int rc = engine_eval(e,
                         "local p = require('mlr.plan')(spec)\n"
                         "local t = {p.T, p.k, p.Lv, p.R, p.dv, p.causal and 1 or 0,"
                         " p.normalize == 'none' and 0 or p.normalize == 'levels' and 1 or 2,"
                         " spec.dtype == 'f64' and 1 or 0, spec.threads == 'openmp' and 1 or 0}\n"
                         "for l = 1, p.Lv do t[#t + 1] = p.ranks[l] end\n"
                         "for l = 1, p.Lv do t[#t + 1] = string.format('%.17g', p.s[l]) end\n"
                         "return table.concat(t, ' ') .. '|' .. (p.isa.cflags or '')",
                         out, sizeof out, err, errlen);
    engine_free(e);
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
    long long f[9];
    for (int i = 0; i < 9; i++) {
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

static double at(const void *a, size_t i, int f64)
{
    return f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
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
                dot += at(q, qh + i * R + d0 + (size_t)d, p->f64) *
                       at(k, qh + j * R + d0 + (size_t)d, p->f64);
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
            o[d] += w * at(v, vh + j * dv + d, p->f64);
    }
    for (size_t d = 0; d < dv; d++)
        o[d] /= sum;
    *lse = mx + log(sum);
}

/* ---- one variant, in a child process ---- */

typedef struct {
    size_t nqk, nv, nl, elem;
    void *q, *k, *v;
} mlr_data;

static void *fill(size_t n, int f64)
{
    void *p = myogen_buffer_alloc(n * (f64 ? 8 : 4));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const double x = tune_urand(-1, 1);
        if (f64)
            ((double *)p)[i] = x;
        else
            ((float *)p)[i] = (float)x;
    }
    return p;
}

static int check_one(const mlr_plan *p, const mlr_data *td, const void *o, const void *lse,
                     size_t bh, tune_msg *m, size_t *nbad, char *worst, size_t wlen,
                     double *worst_ratio)
{
    const size_t T = (size_t)p->T, R = (size_t)p->R, dv = (size_t)p->dv;
    const double atol = p->f64 ? F64_ATOL : F32_ATOL, rtol = p->f64 ? F64_RTOL : F32_RTOL;
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
            const double got = d < dv ? at(o, (bh * T + i) * dv + d, p->f64)
                                      : at(lse, bh * T + i, p->f64);
            const double diff = fabs(got - ref);
            const double ratio = isfinite(diff) ? diff / (atol + rtol * fabs(ref)) : INFINITY;
            if (!(diff <= m->max_err))
                m->max_err = isfinite(diff) ? diff : INFINITY;
            if (!(ratio <= 1)) {
                ++*nbad;
                if (!(ratio <= *worst_ratio)) {
                    *worst_ratio = ratio;
                    if (d < dv)
                        snprintf(worst, wlen, "o[head %zu][%zu][%zu] = %.6g, reference %.6g", bh,
                                 i, d, got, ref);
                    else
                        snprintf(worst, wlen, "lse[head %zu][%zu] = %.6g, reference %.6g", bh, i,
                                 got, ref);
                }
            }
        }
    }
    free(S);
    free(ro);
    return 0;
}

static void child_run(int fd, const char *so, const char *name, const mlr_plan *p,
                      const mlr_data *td, size_t batch, size_t heads, double slice, int inject)
{
    tune_msg m;
    char sym[128];
    memset(&m, 0, sizeof m);
    m.status = TUNE_FAILED;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    mlr_forward_fn fwd = NULL;
    mlr_workspace_fn wss = NULL;
    if (h) {
        snprintf(sym, sizeof sym, "%s_forward", name);
        fwd = (mlr_forward_fn)dlsym(h, sym);
        snprintf(sym, sizeof sym, "%s_workspace_size", name);
        wss = (mlr_workspace_fn)dlsym(h, sym);
    }
    if (!fwd || !wss) {
        snprintf(m.note, sizeof m.note, "cannot load: %s", h ? "missing symbols" : dlerror());
        goto send;
    }
    {
        void *ws = myogen_buffer_alloc(wss(batch, heads) + 64);
        void *o = myogen_buffer_alloc(td->nv * td->elem);
        void *lse = myogen_buffer_alloc(td->nl * td->elem);
        if (!ws || !o || !lse) {
            snprintf(m.note, sizeof m.note, "out of memory");
            goto send;
        }
        memset(o, 0xff, td->nv * td->elem); /* NaN: unwritten outputs fail the check */
        memset(lse, 0xff, td->nl * td->elem);
        int rc = fwd(td->q, td->k, td->v, o, lse, batch, heads, ws);
        if (rc != 0) {
            m.status = TUNE_WRONG;
            snprintf(m.note, sizeof m.note, "forward returned %d", rc);
            goto send;
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
        if (check_one(p, td, o, lse, 0, &m, &nbad, worst, sizeof worst, &worst_ratio) != 0 ||
            (last > 0 &&
             check_one(p, td, o, lse, last, &m, &nbad, worst, sizeof worst, &worst_ratio) != 0)) {
            snprintf(m.note, sizeof m.note, "out of memory for the reference");
            goto send;
        }
        if (nbad) {
            m.status = TUNE_WRONG;
            snprintf(m.note, sizeof m.note, "%zu checked outputs off the reference (worst %s)",
                     nbad, worst);
            goto send;
        }
        double times[MAX_REPS];
        fwd(td->q, td->k, td->v, o, lse, batch, heads, ws);
        const double end = myogen_now() + slice;
        while (m.reps < MAX_REPS && (m.reps < MIN_REPS || myogen_now() < end)) {
            const double t0 = myogen_now();
            fwd(td->q, td->k, td->v, o, lse, batch, heads, ws);
            times[m.reps++] = myogen_now() - t0;
        }
        m.median = myogen_median(times, m.reps);
        m.status = TUNE_OK;
    }
send:
    if (write(fd, &m, sizeof m) != (ssize_t)sizeof m)
        _exit(3);
    _exit(0);
}

static void run_child(mlr_variant *v, const char *so, const char *name, const mlr_plan *p,
                      const mlr_data *td, const tune_options *o, size_t heads, double slice)
{
    tune_msg m;
    int wfd, rfd;
    const pid_t pid = tune_fork(&wfd, &rfd, &m);
    if (pid == 0)
        child_run(wfd, so, name, p, td, (size_t)o->batch, heads, slice,
                  o->inject_fault == v->index);
    if (pid > 0)
        tune_collect(pid, rfd, myogen_now() + 120 + 20 * slice, &m);
    v->status = (tune_status)m.status;
    v->median_s = m.median;
    v->max_err = m.max_err;
    v->reps = m.reps;
    snprintf(v->note, sizeof v->note, "%s", m.note);
}

static int best_of(const mlr_variant *v, int n)
{
    int b = -1;
    for (int i = 0; i < n; i++)
        if (v[i].status == TUNE_OK && (b < 0 || v[i].median_s < v[b].median_s))
            b = i;
    return b;
}

int tune_mlr_run(const tune_options *o, char *err, size_t errlen)
{
    static spec given, specs[TUNE_MAX_ARITIES];
    static mlr_plan plans[TUNE_MAX_ARITIES];
    mlr_variant v[TUNE_MAX_ARITIES];
    mlr_plan gp;
    char why[SPEC_ERR_LEN + 256];
    cc_tool cc;
    char dir[4096];
    int rc = 0;
    const int def_arities[] = {2, 3, 4, 8};
    const int *ar = o->arities_given ? o->arities : def_arities;
    const int na = o->arities_given ? o->narities : 4;
    const long long heads = o->channels_given ? o->channels : 4, batch = o->batch;

    if (o->plot_path || o->csv_path) {
        snprintf(err, errlen, "tune %s: %s is not written for mlr specs by myogen %s (the "
                 "table has the timings)", o->spec_file, o->plot_path ? "--plot" : "--csv",
                 MYOGEN_VERSION);
        return 2;
    }
    /* the spec at --seq-len, its own arity: the wisdom key and the fixed fields */
    if (load_mlr_spec(o, 0, &given, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: seq_len %lld: %s", o->seq_len, why);
        return 2;
    }
    if (mlr_plan_of(&given, &gp, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    memset(v, 0, sizeof v);
    int nrun = 0;
    for (int a = 0; a < na; a++) {
        const int k = ar[a];
        v[a].index = a + 1;
        v[a].arity = k;
        v[a].depth = gp.Lv;
        v[a].status = TUNE_SKIPPED;
        long long div = 1;
        for (int l = 1; l < gp.Lv && div <= o->seq_len; l++)
            div *= k;
        if (k < 2 || o->seq_len % div != 0) {
            if (k >= 2)
                snprintf(v[a].note, sizeof v[a].note, "seq_len %lld not divisible by %d^%d",
                         o->seq_len, k, gp.Lv - 1);
            else
                snprintf(v[a].note, sizeof v[a].note, "arity %d: blocks split into k >= 2", k);
            continue;
        }
        if (load_mlr_spec(o, k, &specs[a], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d, depth %d: %s", k, gp.Lv, why);
            return 2;
        }
        if (mlr_plan_of(&specs[a], &plans[a], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d: %s", k, why);
            return 1;
        }
        v[a].flops = mlr_flops(&plans[a], batch, heads);
        v[a].status = TUNE_FAILED; /* until it runs */
        nrun++;
    }
    if (nrun == 0) { /* nothing to measure: the request is what is wrong */
        snprintf(err, errlen, "tune %s: no arity in --arity can split seq_len %lld over %d "
                 "levels (arity %d: %s); choose arities k with k^%d dividing %lld",
                 o->spec_file, o->seq_len, gp.Lv, v[0].arity, v[0].note, gp.Lv - 1, o->seq_len);
        return 2;
    }
    if (cc_init(&cc, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 2;
    }
    char flags[256];
    snprintf(flags, sizeof flags, "%.100s%s", gp.cflags, gp.threads ? " -fopenmp" : "");
    int threads = 1;
    if (gp.threads) {
        const char *env = getenv("OMP_NUM_THREADS");
        long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/myogen-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            snprintf(err, errlen, "tune: cannot create a temporary directory in %s: %s",
                     tmp && *tmp ? tmp : "/tmp", strerror(errno));
            return 1;
        }
    }
    const int keep = getenv("MYOGEN_TUNE_KEEP") != NULL;
    const double t_start = myogen_now();
    const int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const double load_start = tune_load_average();
    if (load_start > 0.5 * cpus)
        tune_progress("warning: load average %.2f on %d CPUs: other processes compete, timings will "
                 "be noisy", load_start, cpus);
    tune_progress("%s: mlr, %d arities (%d runnable), depth %d, seq_len %lld, heads %lld, batch %lld",
             o->spec_file, na, nrun, gp.Lv, o->seq_len, heads, batch);
    double peak = fma_peak_measure(&cc, dir, given.target, gp.f64, why, sizeof why);
    if (peak < 0) {
        snprintf(err, errlen, "tune: FMA peak: %s", why);
        rc = 1;
        goto out;
    }
    peak *= threads;
    tune_progress("measured FMA peak: %.1f GFLOP/s (%s %s, %d thread%s)", peak, given.target,
             gp.f64 ? "f64" : "f32", threads, threads > 1 ? "s" : "");

    /* random inputs, the same for every arity (the layouts do not depend on k) */
    mlr_data td;
    memset(&td, 0, sizeof td);
    td.elem = gp.f64 ? 8 : 4;
    td.nqk = (size_t)(batch * heads * gp.T * gp.R);
    td.nv = (size_t)(batch * heads * gp.T * gp.dv);
    td.nl = (size_t)(batch * heads * gp.T);
    tune_seed(0x9E3779B97F4A7C15ULL ^ (uint64_t)gp.T);
    td.q = fill(td.nqk, gp.f64);
    td.k = fill(td.nqk, gp.f64);
    td.v = fill(td.nv, gp.f64);
    if (!td.q || !td.k || !td.v) {
        snprintf(err, errlen, "tune: out of memory for the test data");
        rc = 1;
        goto free_data;
    }
    for (int a = 0, done = 0; a < na; a++) {
        mlr_variant *x = &v[a];
        if (x->status == TUNE_SKIPPED) {
            tune_progress("[%2d/%d] arity %d depth %d: skipped: %s", x->index, na, x->arity, x->depth,
                     x->note);
            continue;
        }
        const double left = o->budget_s - (myogen_now() - t_start);
        const double slice = fmin(1.0, fmax(0.02, 0.3 * left / (nrun - done)));
        done++;
        char cpath[4200], so[4200], log[4200];
        snprintf(cpath, sizeof cpath, "%s/v%d.c", dir, x->index);
        snprintf(so, sizeof so, "%s/v%d.so", dir, x->index);
        snprintf(log, sizeof log, "%s/v%d.log", dir, x->index);
        if (generate_kernel(&specs[a], cpath, why, sizeof why) != 0)
            snprintf(x->note, sizeof x->note, "generate: %.240s", why);
        else if (cc_build_shared(&cc, cpath, so, flags, log, why, sizeof why) != 0)
            snprintf(x->note, sizeof x->note, "build: %.240s", why);
        else
            run_child(x, so, specs[a].name, &plans[a], &td, o, (size_t)heads, slice);
        if (x->status == TUNE_OK)
            tune_progress("[%2d/%d] arity %d depth %d: %.4g ms (median of %d), max |err| %.1e",
                     x->index, na, x->arity, x->depth, x->median_s * 1e3, x->reps, x->max_err);
        else
            tune_progress("[%2d/%d] arity %d depth %d: %s: %s: excluded", x->index, na, x->arity,
                     x->depth, x->status == TUNE_WRONG ? "WRONG" : "FAILED", x->note);
    }
    const double used = myogen_now() - t_start, load_end = tune_load_average();
    {
        double again = fma_peak_measure(&cc, dir, given.target, gp.f64, why, sizeof why);
        if (again * threads > peak)
            peak = again * threads;
    }

    /* the table */
    int nok = 0, nwrong = 0, nfail = 0, nskip = 0;
    for (int i = 0; i < na; i++) {
        nok += v[i].status == TUNE_OK;
        nwrong += v[i].status == TUNE_WRONG;
        nfail += v[i].status == TUNE_FAILED;
        nskip += v[i].status == TUNE_SKIPPED;
    }
    const int best = best_of(v, na);
    char ranks[256] = "";
    for (int l = 0, n = 0; l < gp.Lv; l++)
        n += snprintf(ranks + n, sizeof ranks - (size_t)n, "%s%d", l ? "," : "", gp.ranks[l]);
    machine_id mid;
    machine_id_get(&mid);
    printf("myogen tune: %s (mlr, target %s, %s, depth %d, ranks {%s}, value_dim %d, %s, "
           "normalize %s)\n",
           given.name, given.target, gp.f64 ? "f64" : "f32", gp.Lv, ranks, gp.dv,
           gp.causal ? "causal" : "not causal",
           gp.norm == 0 ? "none" : gp.norm == 1 ? "levels" : "shared");
    printf("seq_len %lld, heads %lld, batch %lld; CPU %s\n", o->seq_len, heads, batch, mid.cpu);
    printf("measured FMA peak %.1f GFLOP/s (%s %s, %d thread%s); budget %.0f s, used %.1f s\n",
           peak, given.target, gp.f64 ? "f64" : "f32", threads, threads > 1 ? "s" : "",
           o->budget_s, used);
    if (load_start >= 0)
        printf("load average %.2f at the start, %.2f at the end, %d CPUs%s\n", load_start,
               load_end, cpus,
               load_start > 0.5 * cpus || load_end > 1.5 * cpus
                   ? ": other processes competed, timings are noisy" : "");
    printf("%d variants: %d timed, %d wrong (excluded), %d failed, %d skipped (seq_len not "
           "divisible)\n\n", na, nok, nwrong, nfail, nskip);
    printf("%5s %5s %9s %11s %10s %8s %6s %8s\n", "arity", "depth", "finest", "median",
           "tokens/s", "GFLOP/s", "%peak", "relative");
    for (int i = 0; i < na; i++) {
        const mlr_variant *x = &v[i];
        char t[32], fin[24] = "-";
        if (x->status != TUNE_SKIPPED) {
            long long b = o->seq_len;
            for (int l = 1; l < x->depth; l++)
                b /= x->arity;
            snprintf(fin, sizeof fin, "%lld", b);
        }
        printf("%5d %5d %9s ", x->arity, x->depth, fin);
        if (x->status == TUNE_SKIPPED) {
            printf("%11s  (%s)\n", "skipped", x->note);
            continue;
        }
        if (x->status != TUNE_OK) {
            printf("%11s  (%s: excluded)\n", x->status == TUNE_WRONG ? "WRONG" : "FAILED",
                   x->status == TUNE_WRONG ? "disagrees with the reference" : "did not run");
            continue;
        }
        const double gflops = x->flops / x->median_s * 1e-9;
        tune_fmt_time(x->median_s, t, sizeof t);
        printf("%11s %10.3e %8.2f %5.1f%% %7.2fx%s\n", t,
               (double)o->seq_len * (double)batch / x->median_s, gflops, 100.0 * gflops / peak,
               v[best].median_s / x->median_s, i == best ? " <- best" : "");
    }
    printf("\nmedian: of repeats after a warm-up; finest: the deepest level's block (seq_len /\n"
           "k^(depth-1)); tokens/s: seq_len x batch per call; GFLOP/s: the MLR count, 2 D_m +\n"
           "2 dv per unmasked pair (D_m = r_1 + .. + r_m, m the levels the pair shares) per\n"
           "head; relative: best time over this time.  Depth and ranks are the spec's; an\n"
           "arity whose k^(depth-1) does not divide seq_len is skipped (no padding).\n");
    if (best >= 0) {
        char t[32];
        tune_fmt_time(v[best].median_s, t, sizeof t);
        printf("best overall: arity %d, depth %d: %s per call, %.3e tokens/s\n", v[best].arity,
               v[best].depth, t, (double)o->seq_len * (double)batch / v[best].median_s);
    } else {
        printf("best overall: none (no variant passed the check)\n");
    }
    fflush(stdout);
    if (best < 0) {
        snprintf(err, errlen, "tune: no variant passed the check; nothing recorded");
        rc = 1;
        goto free_data;
    }
    if (o->wisdom_path) {
        static wisdom w;
        memset(&w, 0, sizeof w);
        snprintf(w.myogen, sizeof w.myogen, "%s", MYOGEN_VERSION);
        w.machine = mid;
        if (cc_identity(&cc, w.compiler, sizeof w.compiler, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: %s", why);
            rc = 1;
            goto free_data;
        }
        if (wisdom_spec_key(given.canonical, w.spec, sizeof w.spec) != 0) {
            snprintf(err, errlen, "tune: the spec is too long for a wisdom file");
            rc = 1;
            goto free_data;
        }
        w.seq_len = o->seq_len;
        w.channels = heads;
        w.batch = batch;
        for (int i = 0; i < na && w.n < WISDOM_MAX_ENTRIES; i++) {
            if (v[i].status != TUNE_OK)
                continue;
            w.e[w.n].arity = v[i].arity;
            w.e[w.n].depth = v[i].depth;
            w.e[w.n].median_s = v[i].median_s; /* knobs: none (the mlr templates have none) */
            w.n++;
        }
        w.best_arity = v[best].arity;
        w.best_depth = v[best].depth;
        if (wisdom_save(o->wisdom_path, &w, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: %s", why);
            rc = 2;
            goto free_data;
        }
        tune_progress("wisdom written to %s (%d entries)", o->wisdom_path, w.n);
    }
free_data:
    myogen_buffer_free(td.q);
    myogen_buffer_free(td.k);
    myogen_buffer_free(td.v);
out:
    if (keep)
        tune_progress("kept the variants in %s (MYOGEN_TUNE_KEEP)", dir);
    else
        tune_remove_dir(dir);
    return rc;
}
