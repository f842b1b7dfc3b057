#ifndef MYOGEN_TEMPLATES_EMBEDDED_H
#define MYOGEN_TEMPLATES_EMBEDDED_H
#include <stddef.h>

/* One template or Lua module, by its path under templates/. */
typedef struct {
    const char *name;
    const char *text;
    size_t len;
} embedded_file;

/* Terminated by an entry whose name is NULL. */
extern const embedded_file embedded_templates[];

/* The runtime files `myogen --emit-runtime DIR` writes (runtime/myogen_cl.c
 * and .h, named without the directory), terminated the same way. */
extern const embedded_file embedded_runtime[];

#endif
