#define _POSIX_C_SOURCE 200809L
#include "tune/util.h"
#include "myogen_buffer.h"
#include "myogen_timer.h"

#include <dlfcn.h>

#include <math.h>
#include <stdlib.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void tune_progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("myogen tune: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    va_end(ap);
}

static uint64_t rng;

void tune_seed(uint64_t seed) { rng = seed; }

double tune_urand(double lo, double hi)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return lo + (hi - lo) * (double)((rng * 2685821657736338717ULL) >> 11) * 0x1p-53;
}

double tune_load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

void tune_fmt_time(double s, char *buf, size_t len)
{
    if (s < 1e-3)
        snprintf(buf, len, "%.2f us", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.3f ms", s * 1e3);
    else
        snprintf(buf, len, "%.3f s", s);
}

void tune_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4400];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static pid_t fail(tune_msg *m, const char *what)
{
    memset(m, 0, sizeof *m);
    m->status = TUNE_FAILED;
    snprintf(m->note, sizeof m->note, "%s: %s", what, strerror(errno));
    return -1;
}

pid_t tune_fork(int *wfd, int *rfd, tune_msg *m)
{
    int fds[2];
    if (pipe(fds) != 0)
        return fail(m, "pipe");
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return fail(m, "fork");
    }
    close(fds[pid == 0 ? 0 : 1]);
    *wfd = fds[1];
    *rfd = fds[0];
    return pid;
}

void tune_collect(pid_t pid, int fd, double deadline, tune_msg *m)
{
    size_t got = 0;
    while (got < sizeof *m) {
        struct pollfd pf = {fd, POLLIN, 0};
        int left = (int)((deadline - myogen_now()) * 1000);
        if (left <= 0 || poll(&pf, 1, left) == 0) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(fd, (char *)m + got, sizeof *m - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got == sizeof *m)
        return;
    memset(m, 0, sizeof *m);
    m->status = TUNE_FAILED;
    if (WIFSIGNALED(status))
        snprintf(m->note, sizeof m->note, "the kernel crashed (signal %d) or timed out",
                 WTERMSIG(status));
    else
        snprintf(m->note, sizeof m->note, "the child process exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int tune_load_spec(const tune_options *o, const char *const *extra, int nextra, spec *s,
                   char *err, size_t errlen)
{
    const char **ov = malloc(((size_t)o->noverrides + (size_t)nextra + 1) * sizeof *ov);
    if (!ov) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < o->noverrides; i++)
        ov[i] = o->overrides[i];
    for (int i = 0; i < nextra; i++)
        ov[o->noverrides + i] = extra[i];
    const int rc = spec_load(o->spec_file, ov, o->noverrides + nextra, s, err, errlen);
    free(ov);
    return rc;
}

#define MAX_REPS 101
#define MIN_REPS 3

void tune_time_calls(void (*call)(void *), void *arg, double (*clock)(void), double slice,
                     tune_msg *m)
{
    double times[MAX_REPS];
    if (!clock)
        clock = myogen_now;
    call(arg);
    const double end = myogen_now() + slice;
    m->reps = 0;
    while (m->reps < MAX_REPS && (m->reps < MIN_REPS || myogen_now() < end)) {
        const double t0 = clock();
        call(arg);
        times[m->reps++] = clock() - t0;
    }
    m->median = myogen_median(times, m->reps);
    m->status = TUNE_OK;
}

const char *tune_status_word(tune_status s)
{
    return s == TUNE_OK ? "ok" : s == TUNE_WRONG ? "WRONG" : s == TUNE_FAILED ? "FAILED"
                                                                                : "skipped";
}

int tune_knob_values(int def, int step, int max, int *vals, int nmax)
{
    int cand[16], nc = 0, n = 0;
    vals[n++] = def;
    for (int m = 1; step * m <= max && nc < 16; m *= 2)
        if (step * m != def)
            cand[nc++] = step * m;
    /* by distance in octaves from the default, the smaller first on ties */
    for (int i = 0; i < nc; i++)
        for (int j = i + 1; j < nc; j++) {
            const double di = fabs(log2((double)cand[i] / def));
            const double dj = fabs(log2((double)cand[j] / def));
            if (dj < di - 1e-9 || (fabs(dj - di) < 1e-9 && cand[j] < cand[i])) {
                const int t = cand[i];
                cand[i] = cand[j];
                cand[j] = t;
            }
        }
    for (int i = 0; i < nc && n < nmax; i++)
        vals[n++] = cand[i];
    return n;
}

void *tune_fill(size_t n, int f64, double lo, double hi)
{
    void *p = myogen_buffer_alloc(n * (f64 ? 8 : 4));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const double v = tune_urand(lo, hi);
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

double tune_at(const void *a, size_t i, int f64)
{
    return f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
}

int tune_check_value(double got, double ref, double atol, double rtol, tune_msg *m,
                     size_t *nbad, double *worst_ratio)
{
    const double diff = fabs(got - ref);
    const double ratio = isfinite(diff) ? diff / (atol + rtol * fabs(ref)) : INFINITY;
    if (!(diff <= m->max_err))
        m->max_err = isfinite(diff) ? diff : INFINITY;
    if (ratio <= 1)
        return 0;
    ++*nbad;
    if (ratio <= *worst_ratio)
        return 0;
    *worst_ratio = ratio;
    return 1;
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
        fprintf(out, "device %s (%s; times: its kernels' device time, MYOGEN_CL_PROFILE); budget "
                "%.0f s, used %.1f s\n", r->device[0] ? r->device : "(none ran)", r->dtype,
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

void *tune_symbol(void *dl, const char *name, const char *suffix)
{
    char sym[160];
    snprintf(sym, sizeof sym, "%s%s", name, suffix);
    return dlsym(dl, sym);
}

void tune_fmt_peak(double gflops, double peak, char *buf, size_t len)
{
    if (peak > 0)
        snprintf(buf, len, "%.1f%%", 100.0 * gflops / peak);
    else
        snprintf(buf, len, "-");
}
