#define _POSIX_C_SOURCE 200809L
#include "tune/util.h"
#include "myogen_timer.h"
#include "template.h"

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

void *tune_symbol(void *dl, const char *name, const char *suffix)
{
    char sym[160];
    snprintf(sym, sizeof sym, "%s%s", name, suffix);
    return dlsym(dl, sym);
}


int tune_spec_eval(const spec *s, const char *src, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    template_engine *e = engine_new(s->canonical, err, errlen);
    if (!e)
        return -1;
    const int rc = engine_eval(e, src, out, outlen, err, errlen);
    engine_free(e);
    return rc;
}
