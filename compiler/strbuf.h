#ifndef MYOGEN_STRBUF_H
#define MYOGEN_STRBUF_H
#include <stddef.h>

/* A growing string for files built in memory before one atomic write (the
 * tuner's SVG and CSV).  Zero-initialize; `oom` is set, and later appends
 * are dropped, when memory runs out; free `p` when done. */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

/* Appends printf-formatted text. */
void strbuf_put(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the string to path atomically (atomic_file.h: an unchanged file is
 * left alone) and frees it.  Returns 0, or -1 with a one-line message that
 * starts with `what`. */
int strbuf_write(strbuf *b, const char *path, const char *what, char *err, size_t errlen);

#endif
