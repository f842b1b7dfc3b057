/* Measured FMA peak of one core (see fma_peak.h). */
#define _POSIX_C_SOURCE 200809L
#include "fma_peak.h"
#include "atomic_file.h"
#include "myogen_timer.h"
#include "template.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* Renders templates/lib/fma_peak.c.tmpl for the spec into src; its ISA's
 * compiler flags into flags (the scalar loop: -O1, which does not
 * vectorize). */
static int write_source(const char *canonical, const char *src, char *flags, size_t flen,
                        char *err, size_t errlen)
{
    template_engine *e = engine_new(canonical, err, errlen);
    char *text = NULL;
    size_t len;
    int rc = -1;
    if (!e)
        return -1;
    if (engine_eval(e,
                    "local V = require('lib.isa')(spec)\n"
                    "return V.lanes == 1 and '-O1' or V.cflags",
                    flags, flen, err, errlen) == 0 &&
        engine_render(e, "lib/fma_peak.c.tmpl", &text, &len, err, errlen) == 0) {
        const char *paths[1] = {src}, *data[1] = {text};
        rc = write_files_atomically(1, paths, data, &len, err, errlen) == 0 ? 0 : -1;
    }
    free(text);
    engine_free(e);
    return rc;
}

double fma_peak_measure(const cc_tool *cc, const char *dir, const char *canonical,
                        const char *target, char *err, size_t errlen)
{
    char src[4096], so[4096], log[4096], flags[256];
    snprintf(src, sizeof src, "%s/peak.c", dir);
    snprintf(so, sizeof so, "%s/peak.so", dir);
    snprintf(log, sizeof log, "%s/peak.log", dir);
    if (write_source(canonical, src, flags, sizeof flags, err, errlen) != 0)
        return -1;
    if (cc_build_shared(cc, src, so, flags, NULL, log, err, errlen) != 0)
        return -1;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load the FMA peak loop: %s", dlerror());
        return -1;
    }
    double (*peak)(long) = (double (*)(long))dlsym(h, "myogen_peak");
    int (*lanes)(void) = (int (*)(void))dlsym(h, "myogen_peak_lanes");
    int (*chains)(void) = (int (*)(void))dlsym(h, "myogen_peak_chains");
    int (*cpu)(void) = (int (*)(void))dlsym(h, "myogen_peak_cpu");
    if (!peak || !lanes || !chains || !cpu) {
        dlclose(h);
        snprintf(err, errlen, "the FMA peak loop lacks its functions");
        return -1;
    }
    if (!cpu()) {
        dlclose(h);
        snprintf(err, errlen, "target \"%s\" does not run on this machine (its compiler or CPU "
                 "lacks the ISA)", target);
        return -2;
    }
    volatile double sink = 0;
    long iters = 1 << 14;
    double t = 0;
    for (;;) { /* calibrate: at least 20 ms a run */
        double t0 = myogen_now();
        sink += peak(iters);
        t = myogen_now() - t0;
        if (t > 0.02 || iters > (1L << 40))
            break;
        iters *= 2;
    }
    double best = t;
    for (int r = 0; r < 15; r++) { /* best of 15: other load only slows runs down */
        double t0 = myogen_now();
        sink += peak(iters);
        t = myogen_now() - t0;
        if (t < best)
            best = t;
    }
    double flops = (double)iters * chains() * lanes() * 2.0;
    dlclose(h);
    (void)sink;
    return flops / best * 1e-9;
}
