/* myogen command line. */
#include "generate.h"
#include "spec.h"

#include <stdio.h>
#include <string.h>

#define MAX_OVERRIDES 64

static const char usage[] =
    "usage: myogen SPEC.lua -o OUT.c [-D key=value]...   generate OUT.c and OUT.h\n"
    "       myogen check SPEC.lua [-D key=value]...      validate; print the canonical spec\n"
    "       myogen --help | --version\n"
    "\n"
    "A spec is a Lua file returning a table, e.g.\n"
    "  return { kernel = \"myo\", name = \"quad\", arity = 4, depth = 5, state = 16,\n"
    "           target = \"avx2\", dtype = \"f32\" }\n"
    "-D overrides a field: numbers stay numbers, a,b,c is a list, true/false booleans.\n"
    "Exit status: 0 success, 2 bad input (one line on stderr, nothing written),\n"
    "1 internal error.  The contract is DESIGN.md; see README.md.\n";

static int bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "myogen: %s%s%s (try myogen --help)\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    const char *overrides[MAX_OVERRIDES];
    int noverrides = 0, check = 0;
    const char *spec_file = NULL, *out = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("myogen %s\n", MYOGEN_VERSION);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "-D") == 0) {
            if (i + 1 >= argc)
                return bad_usage("missing value after", a);
            if (a[1] == 'o') {
                out = argv[++i];
            } else {
                if (noverrides == MAX_OVERRIDES)
                    return bad_usage("too many -D options", NULL);
                overrides[noverrides++] = argv[++i];
            }
        } else if (strncmp(a, "-D", 2) == 0) {
            if (noverrides == MAX_OVERRIDES)
                return bad_usage("too many -D options", NULL);
            overrides[noverrides++] = a + 2;
        } else if (a[0] == '-' && a[1]) {
            return bad_usage("unknown option", a);
        } else if (!spec_file && !check && strcmp(a, "check") == 0) {
            check = 1;
        } else if (!spec_file) {
            spec_file = a;
        } else {
            return bad_usage("unexpected argument", a);
        }
    }
    if (!spec_file)
        return bad_usage("no spec file given", NULL);
    if (check && out)
        return bad_usage("check writes nothing; drop", "-o");
    if (!check && !out)
        return bad_usage("no output given", "-o OUT.c");

    spec s;
    char err[SPEC_ERR_LEN + 128];
    if (spec_load(spec_file, overrides, noverrides, &s, err, sizeof err) != 0) {
        fprintf(stderr, "myogen: %s\n", err);
        return 2;
    }
    if (check) {
        printf("%s\n", s.canonical);
        return 0;
    }
    int rc = generate_kernel(&s, out, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "myogen: %s\n", err);
    return rc;
}
