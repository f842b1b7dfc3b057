/* myogen tune, the driver (see tune/tune.h): for the spec's kernel (its
 * tuner, tune/kernel.h) the candidates are generated, built with the system
 * C compiler, loaded into a child process each, checked against the
 * kernel's reference and timed; then the table, plot, CSV and wisdom.
 * Target "opencl": each variant is built with the runtime pair (myogen
 * --emit-runtime) against -lOpenCL, runs on the runtime's default device
 * (MYOGEN_CL_DEVICE) through its host-pointer entry points, and is timed by
 * the device time of its kernels (MYOGEN_CL_PROFILE), not the transfers.
 * Target "cuda": each variant's NAME.cu, with the tuner's adapter appended
 * (tune/devmem.h: device memory, a synchronizing clock), is built by nvcc;
 * the child moves the data to the device and times each call from launch
 * to completion. */
#define _XOPEN_SOURCE 700
#include "tune/kernel.h"
#include "tune/csv.h"
#include "tune/devmem.h"
#include "tune/plot.h"
#include "tune/search.h"
#include "cc.h"
#include "fma_peak.h"
#include "generate.h"
#include "machine_id.h"
#include "myogen_timer.h"
#include "wisdom.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const tune_kernel *const KERNELS[] = {&tune_myo, &tune_mlr, &tune_btt};
#define NKERNELS (sizeof KERNELS / sizeof KERNELS[0])

typedef struct {
    const tune_options *o;
    const tune_kernel *kern;
    const spec *given;
    double core_gflops; /* the FMA peak of one core */
    tune_report *r;
    cc_tool cc;
    char dir[4096];
    char flags[8320], libs[64];
} tune_ctx;

/* ---- one variant ---- */

/* Loads the library so and runs the kernel's check and timing in a child
 * process, so that a variant that crashes or hangs cannot take the tuner
 * with it. */
static void run_child(const tune_ctx *c, tune_variant *v, const char *so, const char *name,
                      const void *data, double slice)
{
    tune_msg m;
    int wfd, rfd;
    const pid_t pid = tune_fork(&wfd, &rfd, &m);
    if (pid == 0) {
        memset(&m, 0, sizeof m);
        m.status = TUNE_FAILED;
        /* GPUs: the runtime pair's (OpenCL) or the adapter's (CUDA) clock and device */
        const char *rt = c->r->cuda ? "myogen_tune_cuda" : "myogen_cl";
        if (c->r->gpu && !c->r->cuda) /* every launch timed by its events, read before the first */
            setenv("MYOGEN_CL_PROFILE", "1", 1);
        void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
        double (*clock)(void) = NULL;
        if (h && c->r->gpu)
            clock = (double (*)(void))tune_symbol(h, rt, c->r->cuda ? "_clock" : "_profile_seconds");
        if (h && (!c->r->gpu || clock))
            c->kern->child(h, name, data, c->r, clock, slice, c->o->inject_fault == v->index,
                           &m);
        else
            snprintf(m.note, sizeof m.note, "cannot load: %s",
                     h ? (c->r->cuda ? "no tuner adapter" : "no OpenCL runtime") : dlerror());
        if (h && c->r->gpu) {
            int (*device)(char *, size_t) =
                (int (*)(char *, size_t))tune_symbol(h, rt, "_device_name");
            if (device)
                device(m.device, sizeof m.device);
            int (*driver)(char *, size_t) = c->r->cuda ? NULL
                : (int (*)(char *, size_t))tune_symbol(h, rt, "_device_driver");
            char ver[64];
            if (device && driver && driver(ver, sizeof ver) == 0) { /* OpenCL: its driver too */
                const size_t n = strlen(m.device);
                snprintf(m.device + n, sizeof m.device - n, " (driver %.40s)", ver);
            }
        }
        if (write(wfd, &m, sizeof m) != (ssize_t)sizeof m)
            _exit(3);
        _exit(0);
    }
    if (pid > 0)
        tune_collect(pid, rfd, myogen_now() + 120 + 20 * slice, &m);
    v->status = (tune_status)m.status;
    v->median_s = m.median;
    v->max_err = m.max_err;
    v->reps = m.reps;
    snprintf(v->note, sizeof v->note, "%s", m.note);
    if (v->status == TUNE_OK && !c->r->device[0])
        snprintf(c->r->device, sizeof c->r->device, "%s", m.device);
}

/* The adapter (tune/devmem.h) at the end of a CUDA variant's source: 0 or -1. */
static int append_adapter(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    const int bad = fputs(tune_cuda_adapter, f) < 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Generates, builds and measures variant v. */
static void run_variant(const tune_ctx *c, tune_variant *v, const spec *s, const void *data,
                        double slice)
{
    char cpath[4200], so[4200], log[4200], why[1024];
    snprintf(cpath, sizeof cpath, "%s/v%d.%s", c->dir, v->index, c->r->cuda ? "cu" : "c");
    snprintf(so, sizeof so, "%s/v%d.so", c->dir, v->index);
    snprintf(log, sizeof log, "%s/v%d.log", c->dir, v->index);
    const knob_set none = {0};
    if (generate_kernel_knobs(s, cpath, v->is_default ? &none : &v->knobs, why, sizeof why)) {
        v->status = TUNE_FAILED;
        snprintf(v->note, sizeof v->note, "generate: %.240s", why);
        return;
    }
    if (c->r->cuda && append_adapter(cpath) != 0) {
        v->status = TUNE_FAILED;
        snprintf(v->note, sizeof v->note, "cannot append the tuner's adapter to %.200s", cpath);
        return;
    }
    if (cc_build_shared(&c->cc, cpath, so, c->flags, c->libs, log, why, sizeof why) != 0) {
        v->status = TUNE_FAILED;
        snprintf(v->note, sizeof v->note, "build: %.240s", why);
        return;
    }
    run_child(c, v, so, s->name, data, slice);
}

/* "[ 3/12] arity 4 depth 6 TL=64 (default)": a variant in progress lines. */
static void variant_label(const tune_report *r, const tune_variant *v, char *buf, size_t len)
{
    char kn[64] = "";
    if (v->knobs.n > 0) {
        kn[0] = ' ';
        knobs_format(&v->knobs, kn + 1, sizeof kn - 1);
    }
    snprintf(buf, len, "[%2d/%d] arity %d depth %d%s%s", v->index, r->nv, v->arity, v->depth, kn,
             v->is_default && v->knobs.n > 0 ? " (default)" : "");
}

/* Runs variant v of an arity (label: its progress label) and reports it. */
static void run_one(const tune_ctx *c, tune_variant *v, const spec *specs, const void *data,
                    double slice, const char *label)
{
    run_variant(c, v, &specs[v->index - 1], data, slice);
    if (v->status == TUNE_OK)
        tune_progress("%s: %.4g ms (median of %d), max |err| %.1e", label, v->median_s * 1e3,
                      v->reps, v->max_err);
    else
        tune_progress("%s: %s: %s: excluded", label, tune_status_word(v->status), v->note);
}

/* Would one more variant, at the mean time of the `ran` so far since start,
 * pass the arity's share of the budget? */
static int over_budget(double start, int ran, double share)
{
    const double spent = myogen_now() - start;
    return ran > 0 && spent + spent / ran > share;
}

/* Runs the variants of one arity, v[0..n-1] (its default first), on data:
 * in order within the budget, pruned by tune/search.c, then the pruned
 * values next to the fastest, while it moves. */
static void run_arity(const tune_ctx *c, tune_variant *v, int n, const spec *specs,
                      const void *data, double share)
{
    const double start = myogen_now(), slice = fmin(1.0, fmax(0.02, 0.3 * share / n));
    /* (a host memcpy says nothing of a GPU) */
    const double mc = c->kern->yardstick && !c->r->gpu ? c->kern->yardstick(data) : 0;
    char label[128];
    int ran = 0, j;
    for (j = 0; j < n; j++) {
        v[j].memcpy_s = mc;
        variant_label(c->r, &v[j], label, sizeof label);
        if (j > 0 && over_budget(start, ran, share)) {
            v[j].status = TUNE_SKIPPED;
            tune_progress("%s: skipped (budget)", label);
            continue;
        }
        if (tune_search_pruned(v, n, j)) {
            v[j].status = TUNE_SKIPPED;
            snprintf(v[j].note, sizeof v[j].note, "pruned");
            tune_progress("%s: skipped (its neighbours got slower this way)", label);
            continue;
        }
        run_one(c, &v[j], specs, data, slice, label);
        ran++;
    }
    while ((j = tune_search_revisit(v, n)) >= 0 && !over_budget(start, ran, share)) {
        variant_label(c->r, &v[j], label, sizeof label);
        tune_progress("%s: revisited (next to the fastest)", label);
        v[j].note[0] = '\0';
        run_one(c, &v[j], specs, data, slice, label);
        ran++;
    }
}

/* ---- the records ---- */

static int write_wisdom(const tune_ctx *c, const spec *given, char *err, size_t errlen)
{
    const tune_report *r = c->r;
    static wisdom w;
    char why[512];
    memset(&w, 0, sizeof w);
    snprintf(w.myogen, sizeof w.myogen, "%s", MYOGEN_VERSION);
    machine_id_get(&w.machine);
    if (r->gpu) { /* a GPU record names its device (wisdom_match does not check it) */
        snprintf(w.machine.cpu, sizeof w.machine.cpu, "%s", r->device);
        snprintf(w.machine.isa, sizeof w.machine.isa, "%s", r->cuda ? WISDOM_CUDA_ISA : WISDOM_GPU_ISA);
    }
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
    for (int i = 0; i < r->nv && w.n < WISDOM_MAX_ENTRIES; i++) {
        const int b = tune_best(r, r->v[i].arity);
        if (b != i) /* each arity's winner, once */
            continue;
        w.e[w.n].arity = r->v[b].arity;
        w.e[w.n].depth = r->v[b].depth;
        w.e[w.n].knobs = r->v[b].knobs;
        w.e[w.n].median_s = r->v[b].median_s;
        w.n++;
    }
    const int b = tune_best(r, 0);
    w.best_arity = r->v[b].arity;
    w.best_depth = r->v[b].depth;
    if (wisdom_save(c->o->wisdom_path, &w, why, sizeof why) != 0) {
        snprintf(err, errlen, "tune: %s", why);
        return 2;
    }
    tune_progress("wisdom written to %s (%d entries)", c->o->wisdom_path, w.n);
    return 0;
}

/* The table, then the plot, CSV and wisdom asked for. */
static int report(const tune_ctx *c, const spec *given, char *err, size_t errlen)
{
    const tune_options *o = c->o;
    char why[1024];
    c->kern->print_table(c->r, stdout);
    fflush(stdout);
    if (tune_best(c->r, 0) < 0) {
        snprintf(err, errlen, "tune: no variant passed the check; nothing recorded");
        return 1;
    }
    if (o->plot_path) {
        if (svg_plot_write(o->plot_path, c->r, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: %s", why);
            return 2;
        }
        tune_progress("plot written to %s", o->plot_path);
    }
    if (o->csv_path) {
        if (tune_csv_write(o->csv_path, c->r, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: %s", why);
            return 2;
        }
        tune_progress("table written to %s", o->csv_path);
    }
    return o->wisdom_path ? write_wisdom(c, given, err, errlen) : 0;
}

/* ---- the tune ---- */

/* The tuner of the spec's kernel and a target the system compiler builds. */
static int pick_kernel(const tune_options *o, const spec *given, const tune_kernel **kern,
                       char *err, size_t errlen)
{
    char names[64] = "";
    *kern = NULL;
    for (size_t i = 0; i < NKERNELS; i++) {
        if (strcmp(given->kernel, KERNELS[i]->kernel) == 0)
            *kern = KERNELS[i];
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"", i ? ", " : "",
                 KERNELS[i]->kernel);
    }
    if (!*kern) {
        snprintf(err, errlen, "tune %s: kernel \"%s\" cannot be tuned by myogen %s (tuned: %s)",
                 o->spec_file, given->kernel, MYOGEN_VERSION, names);
        return 2;
    }
    if (given->target[0] == '{') {
        snprintf(err, errlen,
                 "tune %s: target \"%.40s\" is not tuned by myogen %s (tuned: one CPU target, "
                 "\"c\", \"avx2\", \"avx512\" or \"neon\", where this machine runs it, "
                 "\"opencl\" and \"cuda\")",
                 o->spec_file, given->target, MYOGEN_VERSION);
        return 2;
    }
    return 0;
}

/* The FMA peak of one core for the spec's target and dtype into
 * c->core_gflops (the higher of this and an earlier measurement, in case
 * load disturbed one); -1, or -2 where this machine cannot run the target. */
static int measure_peak(tune_ctx *c, char *err, size_t errlen)
{
    if (c->r->gpu) /* the host's peak says nothing of the device */
        return 0;
    const double p =
        fma_peak_measure(&c->cc, c->dir, c->given->canonical, c->given->target, err, errlen);
    if (p < 0)
        return (int)p;
    if (p > c->core_gflops)
        c->core_gflops = p;
    return 0;
}

static int make_dir(tune_ctx *c, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/myogen-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(c->dir))
        return 0;
    snprintf(err, errlen, "tune: cannot create a temporary directory in %s: %s",
             tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return -1;
}

/* Runs every arity's variants, its test data made once for them. */
static void run_all(tune_ctx *c, const spec *specs)
{
    tune_report *r = c->r;
    const double t_start = myogen_now();
    int narities = 0;
    for (int i = 0; i < r->nv; i++)
        narities += i == 0 || r->v[i].arity != r->v[i - 1].arity;
    for (int i = 0, a = 0; i < r->nv; a++) {
        int n = 1;
        while (i + n < r->nv && r->v[i + n].arity == r->v[i].arity)
            n++;
        tune_variant *v = &r->v[i];
        const double share = (r->budget_s - (myogen_now() - t_start)) / (narities - a);
        char why[1024], label[128];
        if (v[0].status == TUNE_SKIPPED) { /* the kernel cannot take this arity */
            variant_label(r, &v[0], label, sizeof label);
            tune_progress("%s: skipped: %s", label, v[0].note);
            i += n;
            continue;
        }
        void *data = c->kern->data_make(r, &v[0], &specs[i], why, sizeof why);
        if (!data) {
            for (int j = 0; j < n; j++)
                snprintf(v[j].note, sizeof v[j].note, "%.250s", why);
            tune_progress("arity %d: %s", v[0].arity, why);
        } else {
            run_arity(c, v, n, specs, data, share);
            c->kern->data_free(data);
        }
        i += n;
    }
    r->used_s = myogen_now() - t_start;
}

int tune_run(const tune_options *o, char *err, size_t errlen)
{
    static tune_report report_;
    static spec given, specs[TUNE_MAX_VARIANTS];
    tune_report *r = &report_;
    tune_ctx c;
    char why[SPEC_ERR_LEN + 256], cflags[128] = "";
    int rc;
    memset(&c, 0, sizeof c);
    memset(r, 0, sizeof *r);
    c.o = o;
    c.r = r;

    if (spec_load(o->spec_file, o->overrides, o->noverrides, &given, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        return 2;
    }
    if ((rc = pick_kernel(o, &given, &c.kern, err, errlen)) != 0)
        return rc;
    snprintf(r->name, sizeof r->name, "%s", given.name);
    snprintf(r->kernel, sizeof r->kernel, "%s", given.kernel);
    snprintf(r->target, sizeof r->target, "%.15s", given.target);
    snprintf(r->canonical, sizeof r->canonical, "%s", given.canonical);
    c.given = &given;
    r->seq_len = o->seq_len;
    r->channels = o->channels;
    r->batch = o->batch;
    r->budget_s = o->budget_s;
    r->threads = 1;
    {
        machine_id m;
        machine_id_get(&m);
        snprintf(r->cpu, sizeof r->cpu, "%s", m.cpu);
    }
    r->v = calloc(TUNE_MAX_VARIANTS, sizeof *r->v);
    if (!r->v) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    r->gpu = strcmp(given.target, "opencl") == 0 || strcmp(given.target, "cuda") == 0;
    r->cuda = strcmp(given.target, "cuda") == 0;
    if ((r->cuda ? cc_init_nvcc : cc_init)(&c.cc, why, sizeof why) != 0) {
        if (r->cuda)
            snprintf(err, errlen, "tune %s: target \"cuda\": %s", o->spec_file, why);
        else
            snprintf(err, errlen, "tune: %s", why);
        rc = 2;
        goto done;
    }
    if (make_dir(&c, err, errlen) != 0) {
        rc = 1;
        goto done;
    }
    /* first the peak: it also says whether this machine runs the target */
    if ((rc = measure_peak(&c, why, sizeof why)) != 0) {
        if (rc == -2)
            snprintf(err, errlen, "tune %s: %s", o->spec_file, why);
        else
            snprintf(err, errlen, "tune: FMA peak: %s", why);
        rc = rc == -2 ? 2 : 1;
        goto out;
    }
    rc = c.kern->candidates(o, &given, r, specs, cflags, sizeof cflags, err, errlen);
    if (rc != 0)
        goto out;
    for (int i = 0; i < r->nv; i++)
        r->v[i].index = i + 1;
    /* threads = "openmp": built with it, run on OMP_NUM_THREADS (default: the CPUs) */
    snprintf(c.flags, sizeof c.flags, "%.100s%s", cflags, r->openmp ? " -fopenmp" : "");
    if (r->openmp) {
        const char *env = getenv("OMP_NUM_THREADS");
        const long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
        r->threads = n > 0 ? (int)n : 1;
    }
    if (r->gpu && !r->cuda) { /* the runtime pair beside the variants, built into each */
        if (emit_runtime(c.dir, why, sizeof why) != 0) {
            snprintf(err, errlen, "tune: %s", why);
            rc = 1;
            goto out;
        }
        snprintf(c.flags, sizeof c.flags, "-I%s %s/myogen_cl.c", c.dir, c.dir);
        snprintf(c.libs, sizeof c.libs, "-lOpenCL");
    }
    r->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    r->load_start = tune_load_average();
    if (r->load_start > 0.5 * r->cpus)
        tune_progress("warning: load average %.2f on %d CPUs: other processes compete, timings "
                      "will be noisy", r->load_start, r->cpus);
    r->peak_gflops = c.core_gflops * r->threads;
    if (!r->gpu)
        tune_progress("measured FMA peak: %.1f GFLOP/s (%s %s, %d thread%s)", r->peak_gflops,
                      r->target, r->dtype, r->threads, r->threads > 1 ? "s" : "");
    run_all(&c, specs);
    r->load_end = tune_load_average();
    (void)measure_peak(&c, why, sizeof why);
    r->peak_gflops = c.core_gflops * r->threads;
    rc = report(&c, &given, err, errlen);
out:
    if (getenv("MYOGEN_TUNE_KEEP"))
        tune_progress("kept the variants in %s (MYOGEN_TUNE_KEEP)", c.dir);
    else
        tune_remove_dir(c.dir);
done:
    free(r->v);
    r->v = NULL;
    return rc;
}
