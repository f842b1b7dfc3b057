#ifndef MYOGEN_SPEC_H
#define MYOGEN_SPEC_H
#include <stddef.h>

/* A validated spec: its canonical form is Lua source for a table constructor
 * holding every field (defaults filled in, fixed order), so it is both what
 * `myogen check` prints and what the templates receive as `spec`. */
typedef struct {
    char kernel[16];
    char name[80];
    char target[64]; /* "avx2", or a list target's canonical form {"avx2", "c"} */
    char canonical[4096];
} spec;

#define SPEC_ERR_LEN 512

/* Runs FILE in a sandbox (no io/os/require/load, bounded instructions and
 * memory), applies the -D overrides ("key=value"), validates.  Returns 0, or
 * -1 with a one-line message in err. */
int spec_load(const char *file, const char *const *overrides, int noverrides,
              spec *out, char *err, size_t errlen);

#endif
