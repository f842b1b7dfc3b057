/* myogen tune of myo specs: candidates, build, check, timing (see tune/tune.h). */
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
#include "tune/plot.h"
#include "tune/csv.h"
#include "template.h"
#include "tune/myo_ref.h"
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
#define MAX_KNOB_VALUES 8
/* Tolerances of the check, |got - ref| <= atol + rtol |ref|: the test data
 * are diagonally dominant, so a correct kernel is within ~1e-6 (f32) and
 * ~1e-14 (f64) of the reference; a wrong one is off by O(1). */
#define F32_ATOL 1e-4
#define F32_RTOL 1e-3
#define F64_ATOL 1e-10
#define F64_RTOL 1e-9

/* What the plan of one spec says (templates/myo/plan.lua, default knobs). */
typedef struct {
    char path[16], cflags[128];
    int W, TC, TL;
    long long V, L;
} plan_info;

/* Random inputs of one arity and the reference output. */
typedef struct {
    tune_ref_shape sh;
    size_t nA, nIO, nu, elem;
    void *A, *B, *C, *Bin, *Cout, *D, *u;
    double *yref;
} tune_data;

typedef struct {
    const void *A, *B, *C, *Bin, *Cout, *D;
} kernel_params;

typedef int (*forward_fn)(const kernel_params *, const void *, void *, size_t, size_t, void *);
typedef size_t (*workspace_fn)(size_t, size_t);

typedef struct {
    const tune_options *o;
    tune_report *r;
    cc_tool cc;
    char dir[4096];
    char extra_flags[64];
    int keep;
} tune_ctx;

/* ---- small helpers ---- */

static int depth_for(int k, long long L)
{
    if (k == 1)
        return (int)(L - 1);
    long long p = k;
    int d = 1;
    while (p < L) {
        p *= k;
        d++;
    }
    return d;
}

/* Loads the spec with the user's overrides, then arity and depth. */
static int load_variant_spec(const tune_options *o, int k, int d, spec *s, char *err,
                             size_t errlen)
{
    const char **ov = malloc(((size_t)o->noverrides + 2) * sizeof *ov);
    char a[32], b[32];
    if (!ov) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < o->noverrides; i++)
        ov[i] = o->overrides[i];
    snprintf(a, sizeof a, "arity=%d", k);
    snprintf(b, sizeof b, "depth=%d", d);
    ov[o->noverrides] = a;
    ov[o->noverrides + 1] = b;
    int rc = spec_load(o->spec_file, ov, o->noverrides + 2, s, err, errlen);
    free(ov);
    return rc;
}

/* Evaluates Lua in a fresh engine of spec s (default knobs). */
static int spec_eval(const spec *s, const char *src, char *out, size_t outlen, char *err,
                     size_t errlen)
{
    template_engine *e = engine_new(s->canonical, err, errlen);
    if (!e)
        return -1;
    int rc = engine_eval(e, src, out, outlen, err, errlen);
    engine_free(e);
    return rc;
}

static int plan_of(const spec *s, plan_info *pi, char *err, size_t errlen)
{
    char out[512];
    memset(pi, 0, sizeof *pi);
    if (spec_eval(s,
                  "local p = require('myo.plan')(spec)\n"
                  "return table.concat({p.path, p.W, p.TC or 0, p.TL, p.tree.V, p.tree.L,"
                  " p.isa.cflags or ''}, '|')",
                  out, sizeof out, err, errlen) != 0)
        return -1;
    char *f[7];
    char *p = out;
    for (int i = 0; i < 7; i++) {
        f[i] = p;
        p = i < 6 ? strchr(p, '|') : NULL;
        if (i < 6 && !p) {
            snprintf(err, errlen, "internal: unexpected plan summary '%s'", out);
            return -1;
        }
        if (p)
            *p++ = 0;
    }
    snprintf(pi->path, sizeof pi->path, "%.15s", f[0]);
    pi->W = atoi(f[1]);
    pi->TC = atoi(f[2]);
    pi->TL = atoi(f[3]);
    pi->V = atoll(f[4]);
    pi->L = atoll(f[5]);
    snprintf(pi->cflags, sizeof pi->cflags, "%s", f[6]);
    return 0;
}

/* Values of the path's knob to try: the default first, then the lane count
 * W times powers of two up to the plan's bound (TC 512, TL 128), nearest the
 * default first (in octaves), at most MAX_KNOB_VALUES.  run_arity() prunes
 * a value whose nearer neighbours got slower going its way. */
static int knob_values(const plan_info *pi, const char **name, int *vals)
{
    const int level = strcmp(pi->path, "level_sums") == 0;
    const int def = level ? pi->TC : pi->TL, max = level ? 512 : 128;
    int n = 0;
    *name = level ? "TC" : "TL";
    vals[n++] = def;
    int cand[8], nc = 0;
    for (int m = 1; pi->W * m <= max && nc < 8; m *= 2)
        if (pi->W * m != def)
            cand[nc++] = pi->W * m;
    /* order by distance in octaves from the default, smaller first on ties */
    for (int i = 0; i < nc; i++)
        for (int j = i + 1; j < nc; j++) {
            double di = fabs(log2((double)cand[i] / def)), dj = fabs(log2((double)cand[j] / def));
            if (dj < di - 1e-9 || (fabs(dj - di) < 1e-9 && cand[j] < cand[i])) {
                int t = cand[i];
                cand[i] = cand[j];
                cand[j] = t;
            }
        }
    for (int i = 0; i < nc && n < MAX_KNOB_VALUES; i++)
        vals[n++] = cand[i];
    return n;
}

/* ---- test data and reference ---- */

static void *fill(size_t n, int f64, double lo, double hi)
{
    void *p = myogen_buffer_alloc(n * (f64 ? 8 : 4));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        double v = tune_urand(lo, hi);
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

static void data_free(tune_data *td)
{
    myogen_buffer_free(td->A);
    myogen_buffer_free(td->B);
    myogen_buffer_free(td->C);
    myogen_buffer_free(td->Bin);
    myogen_buffer_free(td->Cout);
    myogen_buffer_free(td->D);
    myogen_buffer_free(td->u);
    free(td->yref);
    memset(td, 0, sizeof *td);
}

/* Diagonally dominant parameters (A in [2,3], |B| <= 1/2, |C| <= 1/k; with
 * symmetric C = B, |B| <= min(1/2, 1/k)), inputs in [-1,1]; then the
 * reference output. */
static int data_make(tune_data *td, const tune_ref_shape *sh, size_t batch, size_t ch,
                     char *err, size_t errlen)
{
    memset(td, 0, sizeof *td);
    td->sh = *sh;
    const size_t V = tune_ref_vertices(sh), L = tune_ref_seq_len(sh), N = (size_t)sh->N;
    const size_t P = sh->share == 0 ? (size_t)sh->d + 1 : sh->share == 1 ? V : batch * V;
    const double ck = 1.0 / sh->k, bk = sh->symmetric && ck < 0.5 ? ck : 0.5;
    td->elem = sh->f64 ? 8 : 4;
    td->nA = P * ch * N;
    td->nIO = sh->siso ? ch * N : 0;
    td->nu = batch * L * ch * (sh->siso ? 1 : N);
    tune_seed(0x9E3779B97F4A7C15ULL ^ ((uint64_t)sh->k << 32) ^ (uint64_t)sh->d);
    td->A = fill(td->nA, sh->f64, 2, 3);
    td->B = fill(td->nA, sh->f64, -bk, bk);
    td->C = fill(td->nA, sh->f64, -ck, ck);
    td->u = fill(td->nu, sh->f64, -1, 1);
    if (sh->siso) {
        td->Bin = fill(td->nIO, sh->f64, -1, 1);
        td->Cout = fill(td->nIO, sh->f64, -1, 1);
        td->D = fill(ch, sh->f64, -1, 1);
    }
    td->yref = malloc(td->nu * sizeof *td->yref);
    if (!td->A || !td->B || !td->C || !td->u || !td->yref ||
        (sh->siso && (!td->Bin || !td->Cout || !td->D))) {
        data_free(td);
        snprintf(err, errlen, "out of memory for the test data (%zu parameters, %zu inputs)",
                 td->nA, td->nu);
        return -1;
    }
    int rc = tune_ref_forward(sh, td->A, td->B, td->C, td->Bin, td->Cout, td->D, td->u, td->yref,
                              batch, ch);
    if (rc != 0) {
        data_free(td);
        snprintf(err, errlen, "the reference failed (%s)", rc == 2 ? "pivot" : "out of memory");
        return -1;
    }
    return 0;
}

/* Median time of a memcpy of u into a buffer of its size: what the
 * memory-bound level-sum path is measured against (DESIGN.md 6.1). */
static double memcpy_time(const tune_data *td)
{
    const size_t bytes = td->nu * td->elem;
    void *dst = myogen_buffer_alloc(bytes);
    double times[21];
    if (!dst)
        return 0;
    memcpy(dst, td->u, bytes);
    for (int r = 0; r < 21; r++) {
        const double t0 = myogen_now();
        memcpy(dst, td->u, bytes);
        times[r] = myogen_now() - t0;
        ((volatile char *)dst)[r] = 0;
    }
    myogen_buffer_free(dst);
    return myogen_median(times, 21);
}

/* ---- one variant, in a child process ---- */

static void child_run(int fd, const char *so, const char *name, const tune_data *td,
                      size_t batch, size_t ch, double slice, int inject)
{
    tune_msg m;
    char sym[128];
    memset(&m, 0, sizeof m);
    m.status = TUNE_FAILED;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    forward_fn fwd = NULL;
    workspace_fn wss = NULL;
    if (h) {
        snprintf(sym, sizeof sym, "%s_forward", name);
        fwd = (forward_fn)dlsym(h, sym);
        snprintf(sym, sizeof sym, "%s_workspace_size", name);
        wss = (workspace_fn)dlsym(h, sym);
    }
    if (!fwd || !wss) {
        snprintf(m.note, sizeof m.note, "cannot load: %s", h ? "missing symbols" : dlerror());
        goto send;
    }
    {
        kernel_params p = {td->A, td->B, td->C, td->Bin, td->Cout, td->D};
        void *ws = myogen_buffer_alloc(wss(batch, ch));
        void *y = myogen_buffer_alloc(td->nu * td->elem);
        if (!ws || !y) {
            snprintf(m.note, sizeof m.note, "out of memory");
            goto send;
        }
        memset(y, 0xff, td->nu * td->elem); /* NaN: unwritten outputs fail the check */
        int rc = fwd(&p, td->u, y, batch, ch, ws);
        if (rc != 0) {
            m.status = TUNE_WRONG;
            snprintf(m.note, sizeof m.note, "forward returned %d", rc);
            goto send;
        }
        if (inject) { /* test hook: a deliberately broken variant */
            if (td->elem == 8)
                ((double *)y)[td->nu / 2] += 1.0;
            else
                ((float *)y)[td->nu / 2] += 1.0f;
        }
        const double atol = td->elem == 8 ? F64_ATOL : F32_ATOL;
        const double rtol = td->elem == 8 ? F64_RTOL : F32_RTOL;
        size_t nbad = 0, worst = 0;
        double worst_ratio = 0;
        for (size_t i = 0; i < td->nu; i++) {
            const double got = td->elem == 8 ? ((double *)y)[i] : (double)((float *)y)[i];
            const double ref = td->yref[i], diff = fabs(got - ref);
            const double ratio = isfinite(diff) ? diff / (atol + rtol * fabs(ref)) : INFINITY;
            if (!(diff <= m.max_err))
                m.max_err = isfinite(diff) ? diff : INFINITY;
            if (!(ratio <= 1)) {
                nbad++;
                if (!(ratio <= worst_ratio)) {
                    worst_ratio = ratio;
                    worst = i;
                }
            }
        }
        if (nbad) {
            const double got =
                td->elem == 8 ? ((double *)y)[worst] : (double)((float *)y)[worst];
            m.status = TUNE_WRONG;
            snprintf(m.note, sizeof m.note,
                     "%zu of %zu outputs off the reference (worst y[%zu] = %.6g, reference %.6g; "
                     "tolerance %.0e + %.0e|ref|)",
                     nbad, td->nu, worst, got, td->yref[worst], atol, rtol);
            goto send;
        }
        /* timing: one warm-up call, then repeats until the slice is used */
        double times[MAX_REPS];
        fwd(&p, td->u, y, batch, ch, ws);
        const double end = myogen_now() + slice;
        while (m.reps < MAX_REPS && (m.reps < MIN_REPS || myogen_now() < end)) {
            const double t0 = myogen_now();
            fwd(&p, td->u, y, batch, ch, ws);
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

/* Runs child_run in a child process, so a variant that crashes or hangs
 * cannot take the tuner with it. */
static void run_child(tune_variant *v, const char *so, const char *name, const tune_data *td,
                      const tune_options *o, double slice)
{
    tune_msg m;
    int wfd, rfd;
    const pid_t pid = tune_fork(&wfd, &rfd, &m);
    if (pid == 0)
        child_run(wfd, so, name, td, (size_t)o->batch, (size_t)o->channels, slice,
                  o->inject_fault == v->index);
    if (pid > 0)
        tune_collect(pid, rfd, myogen_now() + 120 + 20 * slice, &m);
    v->status = (tune_status)m.status;
    v->median_s = m.median;
    v->max_err = m.max_err;
    v->reps = m.reps;
    snprintf(v->note, sizeof v->note, "%s", m.note);
}

/* Median of the measured variant among v[0..n-1] with knob value x, or 0. */
static double time_at(const tune_variant *v, int n, long long x)
{
    for (int i = 0; i < n; i++)
        if (v[i].knobs.value[0] == x && v[i].status == TUNE_OK)
            return v[i].median_s;
    return 0;
}

/* Is candidate j of an arity (v[0] the default) not worth running?  Yes
 * when, on its side of the default, the value one octave nearer was more
 * than 10% slower than the one two octaves nearer (or the default). */
static int pruned(const tune_variant *v, int j)
{
    const long long x = v[j].knobs.value[0], def = v[0].knobs.value[0];
    const long long near1 = x > def ? x / 2 : x * 2, near2 = x > def ? x / 4 : x * 4;
    if (near1 == def)
        return 0;
    for (int i = 0; i < j; i++) /* the nearer one was pruned: so is this one */
        if (v[i].knobs.value[0] == near1 && strcmp(v[i].note, "pruned") == 0)
            return 1;
    const double t1 = time_at(v, j, near1);
    double t2 = time_at(v, j, near2);
    if ((x > def && near2 < def) || (x < def && near2 > def))
        t2 = time_at(v, j, def);
    return t1 > 0 && t2 > 0 && t1 > 1.1 * t2;
}

/* Generates, builds and measures variant v. */
static void run_variant(tune_ctx *c, tune_variant *v, const spec *s, const tune_data *td,
                        double slice)
{
    char cpath[4200], so[4200], log[4200], why[1024], flags[256];
    snprintf(cpath, sizeof cpath, "%s/v%d.c", c->dir, v->index);
    snprintf(so, sizeof so, "%s/v%d.so", c->dir, v->index);
    snprintf(log, sizeof log, "%s/v%d.log", c->dir, v->index);
    const knob_set none = {0};
    int rc = generate_kernel_knobs(s, cpath, v->is_default ? &none : &v->knobs, why, sizeof why);
    if (rc != 0) {
        v->status = TUNE_FAILED;
        snprintf(v->note, sizeof v->note, "generate: %.240s", why);
        return;
    }
    snprintf(flags, sizeof flags, "%s", c->extra_flags);
    if (cc_build_shared(&c->cc, cpath, so, flags, log, why, sizeof why) != 0) {
        v->status = TUNE_FAILED;
        snprintf(v->note, sizeof v->note, "build: %.240s", why);
        return;
    }
    run_child(v, so, s->name, td, c->o, slice);
}

static const char *status_word(tune_status s)
{
    return s == TUNE_OK ? "ok" : s == TUNE_WRONG ? "WRONG" : s == TUNE_FAILED ? "FAILED"
                                                                                : "skipped";
}

/* ---- the tune ---- */

static int write_wisdom(const tune_ctx *c, const spec *given, char *err, size_t errlen)
{
    const tune_report *r = c->r;
    static wisdom w;
    char why[512];
    memset(&w, 0, sizeof w);
    snprintf(w.myogen, sizeof w.myogen, "%s", MYOGEN_VERSION);
    machine_id_get(&w.machine);
    if (cc_identity(&c->cc, w.compiler, sizeof w.compiler, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    if (wisdom_spec_key(given->canonical, w.spec, sizeof w.spec) != 0) {
        snprintf(err, errlen, "tune: the spec is too long for a wisdom file");
        return 1;
    }
    w.seq_len = r->seq_len;
    w.channels = r->channels;
    w.batch = r->batch;
    for (int a = 0; a < c->o->narities && w.n < WISDOM_MAX_ENTRIES; a++) {
        int b = tune_best(r, c->o->arities[a]);
        if (b < 0)
            continue;
        w.e[w.n].arity = r->v[b].arity;
        w.e[w.n].depth = r->v[b].depth;
        w.e[w.n].knobs = r->v[b].knobs;
        w.e[w.n].median_s = r->v[b].median_s;
        w.n++;
    }
    int b = tune_best(r, 0);
    w.best_arity = r->v[b].arity;
    w.best_depth = r->v[b].depth;
    if (wisdom_save(c->o->wisdom_path, &w, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 2;
    }
    tune_progress("wisdom written to %s (%d entries)", c->o->wisdom_path, w.n);
    return 0;
}

/* Reads the fields of the given spec that the report names. */
static int describe_spec(const spec *s, tune_report *r, char *err, size_t errlen)
{
    char out[256];
    if (spec_eval(s,
                  "return table.concat({spec.dtype, spec.share, spec.readout, spec.state,"
                  " spec.threads}, ' ')",
                  out, sizeof out, err, errlen) != 0)
        return -1;
    char threads[16] = "";
    if (sscanf(out, "%7s %15s %15s %d %15s", r->dtype, r->share, r->readout, &r->state,
               threads) != 5) {
        snprintf(err, errlen, "internal: unexpected spec summary '%s'", out);
        return -1;
    }
    r->threads = 1;
    if (strcmp(threads, "openmp") == 0) {
        const char *env = getenv("OMP_NUM_THREADS");
        long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
        r->threads = n > 0 ? (int)n : 1;
    }
    return 0;
}

int tune_run(const tune_options *o, char *err, size_t errlen)
{
    static tune_report report;
    tune_report *r = &report;
    tune_ctx c;
    spec given;
    char why[SPEC_ERR_LEN + 256];
    int rc = 0;
    memset(&c, 0, sizeof c);
    memset(r, 0, sizeof *r);
    c.o = o;
    c.r = r;

    /* the spec as given: its kernel and the fields the tuner keeps */
    if (spec_load(o->spec_file, o->overrides, o->noverrides, &given, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        return 2;
    }
    if (strcmp(given.kernel, "myo") != 0 && strcmp(given.kernel, "mlr") != 0) {
        snprintf(err, errlen,
                 "tune %s: kernel \"%s\" cannot be tuned by myogen %s (tuned: \"myo\", \"mlr\")",
                 o->spec_file, given.kernel, MYOGEN_VERSION);
        return 2;
    }
    if (strcmp(given.target, "c") != 0 && strcmp(given.target, "avx2") != 0) {
        snprintf(err, errlen,
                 "tune %s: target \"%s\" is not tuned by myogen %s (tuned: \"c\", \"avx2\": "
                 "the targets the system C compiler builds alone)",
                 o->spec_file, given.target, MYOGEN_VERSION);
        return 2;
    }
    if (strcmp(given.kernel, "mlr") == 0)
        return tune_mlr_run(o, err, errlen);
    if (strstr(given.canonical, "block=\"dense\"")) {
        snprintf(err, errlen,
                 "tune %s: block = \"dense\" is not tuned by myogen %s (the tuner's reference "
                 "and FLOP count cover diag blocks)", o->spec_file, MYOGEN_VERSION);
        return 2;
    }
    snprintf(r->name, sizeof r->name, "%s", given.name);
    snprintf(r->kernel, sizeof r->kernel, "%s", given.kernel);
    snprintf(r->target, sizeof r->target, "%.15s", given.target);
    snprintf(r->canonical, sizeof r->canonical, "%s", given.canonical);
    if (describe_spec(&given, r, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    r->seq_len = o->seq_len;
    r->channels = o->channels;
    r->batch = o->batch;
    r->budget_s = o->budget_s;
    {
        machine_id m;
        machine_id_get(&m);
        snprintf(r->cpu, sizeof r->cpu, "%s", m.cpu);
    }

    /* the candidates: every arity's spec must be valid before anything runs */
    static spec specs[TUNE_MAX_ARITIES];
    static plan_info plans[TUNE_MAX_ARITIES];
    const char *knob_name[TUNE_MAX_ARITIES];
    int vals[TUNE_MAX_ARITIES][MAX_KNOB_VALUES], nvals[TUNE_MAX_ARITIES];
    int total = 0;
    for (int a = 0; a < o->narities; a++) {
        const int k = o->arities[a], d = depth_for(k, o->seq_len);
        if (load_variant_spec(o, k, d, &specs[a], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d, depth %d: %s", k, d, why);
            return 2;
        }
        if (plan_of(&specs[a], &plans[a], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d: %s", k, why);
            return 1;
        }
        nvals[a] = knob_values(&plans[a], &knob_name[a], vals[a]);
        total += nvals[a];
    }
    r->v = calloc((size_t)total, sizeof *r->v);
    if (!r->v) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    for (int a = 0, i = 0; a < o->narities; a++)
        for (int j = 0; j < nvals[a]; j++, i++) {
            tune_variant *v = &r->v[i];
            v->index = i + 1;
            v->arity = o->arities[a];
            v->depth = depth_for(v->arity, o->seq_len);
            v->padded = plans[a].L;
            v->vertices = plans[a].V;
            snprintf(v->path, sizeof v->path, "%.15s", plans[a].path);
            knobs_set(&v->knobs, knob_name[a], vals[a][j]);
            v->is_default = j == 0;
            v->status = TUNE_SKIPPED;
        }
    r->nv = total;

    if (cc_init(&c.cc, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        free(r->v);
        return 2;
    }
    snprintf(c.extra_flags, sizeof c.extra_flags, "%.40s%s", plans[0].cflags,
             r->threads > 1 || strstr(given.canonical, "threads=\"openmp\"") ? " -fopenmp" : "");
    {
        const char *tmp = getenv("TMPDIR");
        snprintf(c.dir, sizeof c.dir, "%s/myogen-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(c.dir)) {
            snprintf(err, errlen, "tune: cannot create a temporary directory in %s: %s",
                     tmp && *tmp ? tmp : "/tmp", strerror(errno));
            free(r->v);
            return 1;
        }
        c.keep = getenv("MYOGEN_TUNE_KEEP") != NULL;
    }
    const double t_start = myogen_now();
    r->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    r->load_start = tune_load_average();
    if (r->load_start > 0.5 * r->cpus)
        tune_progress("warning: load average %.2f on %d CPUs: other processes compete, timings will "
                 "be noisy", r->load_start, r->cpus);
    tune_progress("%s: %d variants over arities", o->spec_file, total);
    for (int a = 0; a < o->narities; a++)
        fprintf(stderr, "%s%d (depth %d, %lld positions, %s, %s)", a ? ", " : "  ",
                o->arities[a], depth_for(o->arities[a], o->seq_len), plans[a].L, plans[a].path,
                knob_name[a]);
    fprintf(stderr, "\n");

    r->peak_gflops = fma_peak_measure(&c.cc, c.dir, given.target, strcmp(r->dtype, "f64") == 0,
                                      why, sizeof why);
    if (r->peak_gflops < 0) {
        snprintf(err, errlen, "tune: FMA peak: %s", why);
        rc = 1;
        goto out;
    }
    r->peak_gflops *= r->threads;
    tune_progress("measured FMA peak: %.1f GFLOP/s (%s %s, %d thread%s)", r->peak_gflops,
             given.target, r->dtype, r->threads, r->threads > 1 ? "s" : "");

    for (int a = 0, i = 0; a < o->narities; i += nvals[a], a++) {
        const double now = myogen_now() - t_start;
        const double share = (o->budget_s - now) / (o->narities - a);
        const double slice = fmin(1.0, fmax(0.02, 0.3 * share / nvals[a]));
        const double a_start = myogen_now();
        tune_data td;
        tune_ref_shape sh = {o->arities[a], r->v[i].depth, r->state,
                             strcmp(r->share, "level") == 0 ? 0 : strcmp(r->share, "vertex") == 0 ? 1 : 2,
                             strcmp(r->readout, "siso") == 0,
                             strstr(given.canonical, "symmetric=true") != NULL,
                             strcmp(r->dtype, "f64") == 0};
        if (data_make(&td, &sh, (size_t)o->batch, (size_t)o->channels, why, sizeof why) != 0) {
            for (int j = 0; j < nvals[a]; j++) {
                r->v[i + j].status = TUNE_FAILED;
                snprintf(r->v[i + j].note, sizeof r->v[i + j].note, "%.250s", why);
            }
            tune_progress("arity %d: %s", o->arities[a], why);
            continue;
        }
        const double mc = memcpy_time(&td);
        int ran = 0;
        for (int j = 0; j < nvals[a]; j++) {
            tune_variant *v = &r->v[i + j];
            v->memcpy_s = mc;
            char kn[64];
            knobs_format(&v->knobs, kn, sizeof kn);
            const double spent = myogen_now() - a_start;
            if (j > 0 && ran > 0 && spent + spent / ran > share) {
                tune_progress("[%2d/%d] arity %d depth %d %s: skipped (budget)", v->index, total,
                         v->arity, v->depth, kn);
                continue;
            }
            if (j > 0 && pruned(r->v + i, j)) {
                snprintf(v->note, sizeof v->note, "pruned");
                tune_progress("[%2d/%d] arity %d depth %d %s: skipped (its neighbours got slower "
                         "this way)", v->index, total, v->arity, v->depth, kn);
                continue;
            }
            run_variant(&c, v, &specs[a], &td, slice);
            ran++;
            if (v->status == TUNE_OK)
                tune_progress("[%2d/%d] arity %d depth %d %s%s: %.4g ms (median of %d), max |err| %.1e",
                         v->index, total, v->arity, v->depth, kn,
                         v->is_default ? " (default)" : "", v->median_s * 1e3, v->reps,
                         v->max_err);
            else
                tune_progress("[%2d/%d] arity %d depth %d %s%s: %s: %s: excluded", v->index, total,
                         v->arity, v->depth, kn, v->is_default ? " (default)" : "",
                         status_word(v->status), v->note);
        }
        data_free(&td);
    }
    r->used_s = myogen_now() - t_start;
    r->load_end = tune_load_average();
    { /* the peak again: the higher of two measurements, in case load disturbed one */
        double again = fma_peak_measure(&c.cc, c.dir, given.target,
                                        strcmp(r->dtype, "f64") == 0, why, sizeof why);
        if (again * r->threads > r->peak_gflops)
            r->peak_gflops = again * r->threads;
    }

    tune_print_table(r, stdout);
    fflush(stdout);
    if (tune_best(r, 0) < 0) {
        snprintf(err, errlen, "tune: no variant passed the check; nothing recorded");
        rc = 1;
        goto out;
    }
    if (o->plot_path && svg_plot_write(o->plot_path, r, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        rc = 2;
        goto out;
    }
    if (o->plot_path)
        tune_progress("plot written to %s", o->plot_path);
    if (o->csv_path && tune_csv_write(o->csv_path, r, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        rc = 2;
        goto out;
    }
    if (o->csv_path)
        tune_progress("table written to %s", o->csv_path);
    if (o->wisdom_path)
        rc = write_wisdom(&c, &given, err, errlen);
out:
    if (c.keep)
        tune_progress("kept the variants in %s (MYOGEN_TUNE_KEEP)", c.dir);
    else
        tune_remove_dir(c.dir);
    free(r->v);
    r->v = NULL;
    return rc;
}
