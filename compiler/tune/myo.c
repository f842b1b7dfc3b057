/* myogen tune of myo specs (tune/kernel.h): the candidates are the
 * arities of --arity, each at the smallest depth whose tree holds seq_len
 * positions, times the values of the plan's knob (TC on the level-sum path,
 * TL on the others); the check is against the scalar reference of
 * tune/myo_ref.c, the yardstick a memcpy of u. */
#define _XOPEN_SOURCE 700
#include "tune/kernel.h"
#include "tune/devmem.h"
#include "tune/myo_ref.h"
#include "myogen_buffer.h"
#include "myogen_timer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
typedef int (*forward_cuda_fn)(const kernel_params *, const void *, void *, size_t, size_t, void *,
                               void *);

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

/* The spec with the user's overrides, then arity and depth. */
static int load_variant_spec(const tune_options *o, int k, int d, spec *s, char *err,
                             size_t errlen)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "arity=%d", k);
    snprintf(b, sizeof b, "depth=%d", d);
    const char *extra[] = {a, b};
    return tune_load_spec(o, extra, 2, s, err, errlen);
}

static int plan_of(const spec *s, plan_info *pi, char *err, size_t errlen)
{
    char out[512];
    memset(pi, 0, sizeof *pi);
    if (tune_spec_eval(s,
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

/* The path's knob (TC on the level-sum path, TL elsewhere) and its values
 * to try (tune_knob_values: up to TC 512, TL 128). */
static int knob_values(const plan_info *pi, const char **name, int *vals)
{
    const int level = strcmp(pi->path, "level_sums") == 0;
    *name = level ? "TC" : "TL";
    return tune_knob_values(level ? pi->TC : pi->TL, pi->W, level ? 512 : 128, vals,
                            MAX_KNOB_VALUES);
}

/* ---- test data and reference ---- */

static void data_free_td(tune_data *td)
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
    td->A = tune_fill(td->nA, sh->f64, 2, 3);
    td->B = tune_fill(td->nA, sh->f64, -bk, bk);
    td->C = tune_fill(td->nA, sh->f64, -ck, ck);
    td->u = tune_fill(td->nu, sh->f64, -1, 1);
    if (sh->siso) {
        td->Bin = tune_fill(td->nIO, sh->f64, -1, 1);
        td->Cout = tune_fill(td->nIO, sh->f64, -1, 1);
        td->D = tune_fill(ch, sh->f64, -1, 1);
    }
    td->yref = malloc(td->nu * sizeof *td->yref);
    if (!td->A || !td->B || !td->C || !td->u || !td->yref ||
        (sh->siso && (!td->Bin || !td->Cout || !td->D))) {
        data_free_td(td);
        snprintf(err, errlen, "out of memory for the test data (%zu parameters, %zu inputs)",
                 td->nA, td->nu);
        return -1;
    }
    int rc = tune_ref_forward(sh, td->A, td->B, td->C, td->Bin, td->Cout, td->D, td->u, td->yref,
                              batch, ch);
    if (rc != 0) {
        data_free_td(td);
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

/* The test data of the variants of v's arity: the shape from the report. */
static void *myo_data_make(const tune_report *r, const tune_variant *v, const spec *s, char *err,
                           size_t errlen)
{
    tune_data *td = malloc(sizeof *td);
    (void)s; /* the shape is the report's and the variant's */
    const tune_ref_shape sh = {v->arity, v->depth, r->state,
                               strcmp(r->share, "level") == 0 ? 0
                               : strcmp(r->share, "vertex") == 0 ? 1 : 2,
                               strcmp(r->readout, "siso") == 0,
                               r->symmetric,
                               strcmp(r->dtype, "f64") == 0};
    if (!td) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (data_make(td, &sh, (size_t)r->batch, (size_t)r->channels, err, errlen) != 0) {
        free(td);
        return NULL;
    }
    return td;
}

static void myo_data_free(void *data)
{
    data_free_td(data);
    free(data);
}

static double myo_yardstick(const void *data) { return memcpy_time(data); }

/* ---- in the child process ---- */

typedef struct {
    forward_fn fwd;
    forward_cuda_fn fwd_cuda; /* target cuda: the same with a stream */
    kernel_params p;          /* as the entry points take them */
    const void *u;
    void *y, *ws;
    size_t batch, ch;
} myo_call;

static int call(const myo_call *c)
{
    if (c->fwd_cuda)
        return c->fwd_cuda(&c->p, c->u, c->y, c->batch, c->ch, c->ws, NULL);
    return c->fwd(&c->p, c->u, c->y, c->batch, c->ch, c->ws);
}

static void call_forward(void *arg) { (void)call(arg); }

/* Every output of one call against the reference, then the timing. */
static void myo_child(void *dl, const char *name, const void *data, const tune_report *r,
                      double (*clock)(void), double slice, int inject,
                      tune_msg *m)
{
    const tune_data *td = data;
    const size_t batch = (size_t)r->batch, ch = (size_t)r->channels, e = td->elem;
    void *const fwd = tune_symbol(dl, name, "_forward");
    const workspace_fn wss = (workspace_fn)tune_symbol(dl, name, "_workspace_size");
    tune_mem mem;
    const int mrc = fwd && wss ? tune_mem_open(&mem, dl, r->cuda, r->dtype) : -1;
    if (mrc != 0) {
        snprintf(m->note, sizeof m->note, "%s", tune_mem_why(mrc));
        return;
    }
    void *y = myogen_buffer_alloc(td->nu * e);
    myo_call c = {r->cuda ? NULL : (forward_fn)fwd, r->cuda ? (forward_cuda_fn)fwd : NULL,
                  {NULL, NULL, NULL, NULL, NULL, NULL}, NULL, NULL, NULL, batch, ch};
    int ok = y != NULL;
    if (ok) {
        c.p.A = tune_mem_in(&mem, td->A, td->nA, e);
        c.p.B = tune_mem_in(&mem, td->B, td->nA, e);
        c.p.C = tune_mem_in(&mem, td->C, td->nA, e);
        if (td->Bin) { /* siso */
            c.p.Bin = tune_mem_in(&mem, td->Bin, td->nIO, e);
            c.p.Cout = tune_mem_in(&mem, td->Cout, td->nIO, e);
            c.p.D = tune_mem_in(&mem, td->D, ch, e);
            ok = c.p.Bin && c.p.Cout && c.p.D;
        }
        c.u = tune_mem_in(&mem, td->u, td->nu, e);
        c.y = tune_mem_out(&mem, y, td->nu, e, 0);
        c.ws = tune_mem_scratch(&mem, wss(batch, ch) + 64);
    }
    if (!ok || !c.p.A || !c.p.B || !c.p.C || !c.u || !c.y || !c.ws) {
        snprintf(m->note, sizeof m->note, "out of %s memory", r->cuda ? "device" : "host");
        return;
    }
    const int rc = call(&c);
    if (rc != 0 || tune_mem_back(&mem, y, c.y, td->nu, e, 0) != 0) {
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note, "forward returned %d%s", rc,
                 rc ? "" : ", its output could not be read");
        return;
    }
    if (inject) { /* test hook: a deliberately broken variant */
        if (e == 8)
            ((double *)y)[td->nu / 2] += 1.0;
        else
            ((float *)y)[td->nu / 2] += 1.0f;
    }
    const double atol = e == 8 ? F64_ATOL : F32_ATOL;
    const double rtol = e == 8 ? F64_RTOL : F32_RTOL;
    size_t nbad = 0, worst = 0;
    double worst_ratio = 0;
    for (size_t i = 0; i < td->nu; i++)
        if (tune_check_value(tune_at(y, i, e == 8), td->yref[i], atol, rtol, m, &nbad,
                             &worst_ratio))
            worst = i;
    if (nbad) {
        const double got = tune_at(y, worst, e == 8);
        m->status = TUNE_WRONG;
        snprintf(m->note, sizeof m->note,
                 "%zu of %zu outputs off the reference (worst y[%zu] = %.6g, reference %.6g; "
                 "tolerance %.0e + %.0e|ref|)",
                 nbad, td->nu, worst, got, td->yref[worst], atol, rtol);
        return;
    }
    tune_time_calls(call_forward, &c, clock, slice, m);
}

/* ---- the candidates ---- */

/* Reads the fields of the given spec that the report names. */
static int describe_spec(const spec *s, tune_report *r, char *err, size_t errlen)
{
    char out[256];
    if (tune_spec_eval(s,
                  "return table.concat({spec.dtype, spec.share, spec.readout, spec.state,"
                  " spec.threads == 'openmp' and 1 or 0, spec.symmetric and 1 or 0,"
                  " spec.block}, ' ')",
                  out, sizeof out, err, errlen) != 0)
        return -1;
    if (sscanf(out, "%7s %15s %15s %d %d %d %7s", r->dtype, r->share, r->readout, &r->state,
               &r->openmp, &r->symmetric, r->block) != 7) {
        snprintf(err, errlen, "internal: unexpected spec summary '%s'", out);
        return -1;
    }
    return 0;
}

static int myo_candidates(const tune_options *o, const spec *given, tune_report *r,
                          spec *specs, char *cflags, size_t cflen, char *err, size_t errlen)
{
    char why[SPEC_ERR_LEN + 256], list[2048] = "";
    if (describe_spec(given, r, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 1;
    }
    if (strcmp(r->block, "dense") == 0) {
        snprintf(err, errlen,
                 "tune %s: block = \"dense\" is not tuned by myogen %s (the tuner's reference "
                 "and FLOP count cover diag blocks)", o->spec_file, MYOGEN_VERSION);
        return 2;
    }
    /* every arity's spec must be valid before anything runs */
    for (int a = 0; a < o->narities; a++) {
        const int k = o->arities[a], d = depth_for(k, o->seq_len);
        const char *knob_name;
        int vals[MAX_KNOB_VALUES];
        plan_info pi;
        if (load_variant_spec(o, k, d, &specs[r->nv], why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d, depth %d: %s", k, d, why);
            return 2;
        }
        if (plan_of(&specs[r->nv], &pi, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: arity %d: %s", k, why);
            return 1;
        }
        if (a == 0)
            snprintf(cflags, cflen, "%.40s", pi.cflags);
        const int nvals = knob_values(&pi, &knob_name, vals);
        for (int j = 0; j < nvals; j++) {
            tune_variant *v = &r->v[r->nv];
            if (j > 0)
                specs[r->nv] = specs[r->nv - j];
            v->arity = k;
            v->depth = d;
            v->padded = pi.L;
            v->vertices = pi.V;
            v->flops = (5.0 * (double)pi.V + 3.0 * (double)pi.L) * r->state * (double)r->batch *
                       (double)r->channels;
            snprintf(v->path, sizeof v->path, "%.15s", pi.path);
            knobs_set(&v->knobs, knob_name, vals[j]);
            v->is_default = j == 0;
            v->status = TUNE_FAILED; /* until it runs */
            r->nv++;
        }
        const size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%d (depth %d, %lld positions, %s, %s)",
                 a ? ", " : "  ", k, d, pi.L, pi.path, knob_name);
    }
    tune_progress("%s: %d variants over arities", o->spec_file, r->nv);
    fprintf(stderr, "%s\n", list);
    return 0;
}

const tune_kernel tune_myo = {"myo", myo_candidates, myo_data_make, myo_data_free, myo_yardstick,
                              myo_child, tune_print_table};
