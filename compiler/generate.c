#include "generate.h"
#include "atomic_file.h"
#include "template.h"
#include "templates_embedded.h"

#include <errno.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int generate_kernel(const spec *s, const char *out_c, char *err, size_t errlen)
{
    return generate_kernel_knobs(s, out_c, NULL, err, errlen);
}

/* Sets the knobs and lets the kernel's plan validate them: 0, or 2 with the
 * plan's one-line message. */
static int apply_knobs(template_engine *e, const spec *s, const knob_set *knobs, char *err,
                       size_t errlen)
{
    char text[128], src[256], out[8], why[512];
    knobs_format(knobs, text, sizeof text);
    for (int i = 0; i < knobs->n; i++)
        engine_set_knob(e, knobs->name[i], knobs->value[i]);
    snprintf(src, sizeof src, "require('%s.plan')(spec) return ''", s->kernel);
    if (engine_eval(e, src, out, sizeof out, why, sizeof why) != 0) {
        snprintf(err, errlen, "knobs %s: %s", text, why);
        return 2;
    }
    char *canon = malloc(strlen(s->canonical) + sizeof text + 32);
    if (!canon) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    sprintf(canon, "%s with knobs %s", s->canonical, text);
    engine_set(e, "SPEC_CANONICAL", canon);
    free(canon);
    return 0;
}

int generate_kernel_knobs(const spec *s, const char *out_c, const knob_set *knobs, char *err,
                          size_t errlen)
{
    size_t n = strlen(out_c);
    const char *base = strrchr(out_c, '/');
    base = base ? base + 1 : out_c;
    /* CUDA (DESIGN.md 6.4) writes NAME.cu and NAME.h, the others NAME.c and NAME.h */
    const int cuda = strcmp(s->target, "cuda") == 0;
    const char *ext = cuda ? ".cu" : ".c";
    const size_t ext_len = strlen(ext);
    if (strlen(base) < ext_len + 1 || n < ext_len || strcmp(out_c + n - ext_len, ext) != 0) {
        snprintf(err, errlen, "-o %s: the output must be a path to a file NAME%s%s", out_c, ext,
                 cuda ? " (target \"cuda\")" : "");
        return 2;
    }
    /* the .c includes the .h by this name, inside a C string literal */
    for (const char *p = base; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._+-", *p))) {
            snprintf(err, errlen, "-o %s: the file name may hold only letters, digits and "
                     "'.', '_', '+', '-' (it is #included by name)", out_c);
            return 2;
        }
    char out_h[4096];
    snprintf(out_h, sizeof out_h, "%.*s.h", (int)(n - ext_len), out_c);
    const char *slash = strrchr(out_h, '/');
    const char *header_name = slash ? slash + 1 : out_h;

    template_engine *e = engine_new(s->canonical, err, errlen);
    if (!e)
        return 1;
    engine_set(e, "HEADER_NAME", header_name);
    if (knobs && knobs->n > 0) {
        int krc = apply_knobs(e, s, knobs, err, errlen);
        if (krc != 0) {
            engine_free(e);
            return krc;
        }
    }

    /* GPU targets (DESIGN.md 6.4): the device code KERNEL/gpu_device.tmpl is
     * rendered first, as DEVICE_SOURCE, for the host code KERNEL/gpu_host.tmpl
     * (OpenCL embeds it and also writes it to NAME.cl; CUDA compiles it in
     * NAME.cu); the header template is shared with the CPU targets. */
    const int opencl = strcmp(s->target, "opencl") == 0, gpu = opencl || cuda;
    char tmpl_c[64], tmpl_h[64], tmpl_dev[64], out_cl[4096];
    snprintf(tmpl_c, sizeof tmpl_c, gpu ? "%s/gpu_host.tmpl" : "%s/kernel.c.tmpl", s->kernel);
    if (s->target[0] == '{') /* a list of CPU targets (DESIGN.md 3): one file, each inside */
        snprintf(tmpl_c, sizeof tmpl_c, "lib/multi_isa.c.tmpl");
    snprintf(tmpl_h, sizeof tmpl_h, "%s/kernel.h.tmpl", s->kernel);
    snprintf(tmpl_dev, sizeof tmpl_dev, "%s/gpu_device.tmpl", s->kernel);
    snprintf(out_cl, sizeof out_cl, "%.*s.cl", (int)(n - ext_len), out_c);
    char *text[3] = {NULL, NULL, NULL};
    size_t len[3];
    int rc = 1, nfiles = opencl ? 3 : 2;
    if (gpu) {
        if (engine_render(e, tmpl_dev, &text[2], &len[2], err, errlen) != 0)
            goto done;
        engine_set(e, "DEVICE_SOURCE", text[2]);
    }
    if (engine_render(e, tmpl_h, &text[0], &len[0], err, errlen) == 0 &&
        engine_render(e, tmpl_c, &text[1], &len[1], err, errlen) == 0) {
        const char *paths[3] = {out_h, out_c, out_cl};
        const char *data[3] = {text[0], text[1], text[2]};
        rc = write_files_atomically(nfiles, paths, data, len, err, errlen) == 0 ? 0 : 2;
    }
done:
    free(text[0]);
    free(text[1]);
    free(text[2]);
    engine_free(e);
    return rc;
}

int emit_runtime(const char *dir, char *err, size_t errlen)
{
    const char *paths[8], *data[8];
    size_t lens[8];
    char buf[8][4096];
    int n = 0;
    if (!*dir) {
        snprintf(err, errlen, "--emit-runtime: empty directory name");
        return 2;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--emit-runtime %s: cannot create the directory: %s", dir,
                 strerror(errno));
        return 2;
    }
    for (const embedded_file *f = embedded_runtime; f->name && n < 8; f++, n++) {
        snprintf(buf[n], sizeof buf[n], "%s/%s", dir, f->name);
        paths[n] = buf[n];
        data[n] = f->text;
        lens[n] = f->len;
    }
    return write_files_atomically(n, paths, data, lens, err, errlen) == 0 ? 0 : 2;
}
