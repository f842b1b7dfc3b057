/* A growing string (see strbuf.h). */
#include "strbuf.h"
#include "atomic_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void strbuf_put(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->oom)
        return;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

int strbuf_write(strbuf *b, const char *path, const char *what, char *err, size_t errlen)
{
    int rc = -1;
    if (b->oom) {
        snprintf(err, errlen, "%s: out of memory", what);
    } else {
        const char *paths[1] = {path};
        const char *data[1] = {b->p ? b->p : ""};
        size_t lens[1] = {b->len};
        char why[512];
        rc = write_files_atomically(1, paths, data, lens, why, sizeof why);
        if (rc != 0)
            snprintf(err, errlen, "%s %s", what, why);
    }
    free(b->p);
    *b = (strbuf){0};
    return rc;
}
