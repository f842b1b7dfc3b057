/* The machine identity of wisdom files, from /proc/cpuinfo (see machine_id.h). */
#include "machine_id.h"

#include <stdio.h>
#include <string.h>

/* Vector ISA flags that decide which kernels run and how fast (x86 "flags",
 * AArch64 "Features"), in the order they are written. */
static const char *const isa_flags[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq",
                                        "avx512bw", "avx512vl", "avx512_fp16", "asimd",
                                        "asimdhp", "sve", "sve2", NULL};

static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == '\t') &&
            (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

/* "key<tabs>: value" -> value (no newline), if line has that key */
static const char *value_of(const char *line, const char *key, char *buf, size_t len)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0)
        return NULL;
    const char *colon = line + n;
    while (*colon == ' ' || *colon == '\t')
        colon++;
    if (*colon != ':')
        return NULL;
    colon++;
    while (*colon == ' ')
        colon++;
    snprintf(buf, len, "%s", colon);
    buf[strcspn(buf, "\r\n")] = 0;
    return buf;
}

void machine_id_get(machine_id *m)
{
    char model[200] = "", family[32] = "", mnum[32] = "", impl[32] = "", part[32] = "";
    static char line[8192], flags[8192];
    char v[200];
    flags[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '\n' && (model[0] || part[0]) && flags[0])
            break; /* the first processor is enough */
        if (!model[0] && value_of(line, "model name", v, sizeof v))
            snprintf(model, sizeof model, "%s", v);
        else if (!family[0] && value_of(line, "cpu family", v, sizeof v))
            snprintf(family, sizeof family, "%.31s", v);
        else if (!mnum[0] && value_of(line, "model", v, sizeof v))
            snprintf(mnum, sizeof mnum, "%.31s", v);
        else if (!impl[0] && value_of(line, "CPU implementer", v, sizeof v))
            snprintf(impl, sizeof impl, "%.31s", v);
        else if (!part[0] && value_of(line, "CPU part", v, sizeof v))
            snprintf(part, sizeof part, "%.31s", v);
        else if (!flags[0] && !value_of(line, "flags", flags, sizeof flags))
            value_of(line, "Features", flags, sizeof flags);
    }
    if (f)
        fclose(f);
    if (model[0])
        snprintf(m->cpu, sizeof m->cpu, "%s (family %s, model %s)", model,
                 family[0] ? family : "?", mnum[0] ? mnum : "?");
    else if (part[0])
        snprintf(m->cpu, sizeof m->cpu, "implementer %s, part %s", impl[0] ? impl : "?", part);
    else
        snprintf(m->cpu, sizeof m->cpu, "unknown");
    size_t o = 0;
    m->isa[0] = 0;
    for (int i = 0; isa_flags[i]; i++)
        if (has_word(flags, isa_flags[i]))
            o += (size_t)snprintf(m->isa + o, sizeof m->isa - o, "%s%s", o ? " " : "",
                                  isa_flags[i]);
    if (!o)
        snprintf(m->isa, sizeof m->isa, "none");
}
