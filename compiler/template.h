#ifndef MYOGEN_TEMPLATE_H
#define MYOGEN_TEMPLATE_H
#include <stddef.h>

/* The template engine of DESIGN.md section 4: templates and Lua modules come
 * from the set embedded in myogen (templates/), each template is compiled to
 * one Lua chunk whose line numbers are the template's, and runs with the
 * validated spec in scope as `spec`. */
typedef struct template_engine template_engine;

/* canonical_spec is Lua source of a table (spec.canonical). */
template_engine *engine_new(const char *canonical_spec, char *err, size_t errlen);
void engine_free(template_engine *e);

/* Sets a string global visible to templates (e.g. the header's file name). */
void engine_set(template_engine *e, const char *key, const char *value);

/* Sets KNOBS[key] = value in the table of tuning knobs templates may read
 * (myogen tune, --wisdom).  KNOBS is an empty table unless set, and then the
 * templates use their deterministic defaults. */
void engine_set_knob(template_engine *e, const char *key, long long value);

/* Runs Lua source in the engine (spec, KNOBS and the template modules in
 * scope, e.g. "return require('myo.plan')(spec).path") and copies the
 * string or number it returns into out.  Returns 0, or -1 with the error
 * (one line) in err. */
int engine_eval(template_engine *e, const char *lua_src, char *out, size_t outlen, char *err,
                size_t errlen);

/* Renders templates/NAME; *out is malloc'd.  Returns 0, or -1 with a
 * one-line "templates/NAME:LINE: message" in err. */
int engine_render(template_engine *e, const char *name, char **out, size_t *outlen,
                  char *err, size_t errlen);

/* Translates template text to the Lua source of its chunk (exposed for
 * tests).  Returns malloc'd source, or NULL with "LINE: message" in err. */
char *template_compile(const char *text, size_t len, char *err, size_t errlen);

#endif
