/* Tests of the myogen command line: runs the built binary with fork/exec,
 * a 10 s wall-clock limit per run, and checks exit status, stdout, stderr
 * and the files written (DESIGN.md sections 3 and 5).
 * usage: test_cli MYOGEN BAD_SPECS_DIR [SUITE] */
#define _XOPEN_SOURCE 700
#include "cli_util.h"

extern const test_def reliability_tests[]; /* cli_reliability.c */

#include <CUnit/Basic.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* ---- suite: options ---- */

static void test_help(void)
{
    const char *opts[] = {"--help", "-h"};
    for (int i = 0; i < 2; i++) {
        result r = RUN(opts[i]);
        EXPECT(!r.timed_out && r.code == 0, "%s: exit %d", opts[i], r.code);
        EXPECT(strncmp(r.out, "usage: myogen", 13) == 0, "%s: stdout \"%.200s\"", opts[i],
               r.out);
        EXPECT(strstr(r.out, "-o") && strstr(r.out, "check") && strstr(r.out, "-D"),
               "%s: usage mentions -o, check, -D", opts[i]);
        EXPECT(r.errlen == 0, "%s: stderr \"%s\"", opts[i], r.err);
        result_free(&r);
    }
}

static void test_version(void)
{
    result r = RUN("--version");
    EXPECT(!r.timed_out && r.code == 0, "--version: exit %d", r.code);
    EXPECT(strcmp(r.out, "myogen 0.1.0\n") == 0, "--version: stdout \"%s\"", r.out);
    EXPECT(r.errlen == 0, "--version: stderr \"%s\"", r.err);
    result_free(&r);
}

static void test_no_arguments(void)
{
    const char *none[] = {NULL};
    result r = run_argv(NULL, none);
    EXPECT_USAGE_ERROR(r, "no arguments");
    result_free(&r);
}

static void test_unknown_option(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *out = path_join(out_dir, "k.c");
    const char *opts[] = {"--frobnicate", "-x", "--", "-ok.c", "--output"};
    for (int i = 0; i < 5; i++) {
        result r = RUN(opts[i], spec, "-o", out);
        EXPECT_USAGE_ERROR(r, opts[i]);
        EXPECT(listing(out_dir, ls, sizeof ls) == 0, "%s: wrote %s", opts[i], ls);
        result_free(&r);
    }
    free(out);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_missing_output(void)
{
    char *spec, *dir = good_spec_dir(&spec), ls[1024];
    result r = RUN(spec);
    EXPECT_USAGE_ERROR(r, "no -o");
    result_free(&r);
    r = RUN(spec, "-o");
    EXPECT_USAGE_ERROR(r, "-o without a value");
    result_free(&r);
    r = RUN("-o", "x.c");
    EXPECT_USAGE_ERROR(r, "no spec");
    result_free(&r);
    EXPECT(listing(dir, ls, sizeof ls) == 1, "wrote %s", ls);
    free(spec);
    free_tmpdir(dir);
}

static void test_output_not_c(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    const char *names[] = {"k.h", "k.cc", "k", "k.c.txt", "kc", "k.C", "k.c/"};
    for (int i = 0; i < 7; i++) {
        char *out = path_join(out_dir, names[i]);
        result r = RUN(spec, "-o", out);
        EXPECT_USAGE_ERROR(r, out);
        EXPECT(listing(out_dir, ls, sizeof ls) == 0, "-o %s: wrote %s", names[i], ls);
        free(out);
        result_free(&r);
    }
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

/* -o DIR/.c names no FILE: exit 2, nothing written (no hidden .c/.h). */
static void test_output_empty_name(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *out = path_join(out_dir, ".c");
    result r = RUN(spec, "-o", out);
    EXPECT_USAGE_ERROR(r, out);
    EXPECT(listing(out_dir, ls, sizeof ls) == 0, "-o %s: wrote '%s'", out, ls);
    result_free(&r);
    rm_rf(out_dir);
    mkdir(out_dir, 0700);
    r = run_in(out_dir, spec, "-o", ".c", (const char *)NULL);
    EXPECT_USAGE_ERROR(r, "-o .c");
    EXPECT(listing(out_dir, ls, sizeof ls) == 0, "-o .c: wrote '%s'", ls);
    result_free(&r);
    free(out);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_output_dir_missing(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *missing = path_join(out_dir, "nope");
    char *out = path_join(missing, "k.c");
    result r = RUN(spec, "-o", out);
    EXPECT_USAGE_ERROR(r, "-o into a missing directory");
    EXPECT(strstr(r.err, "k.c") || strstr(r.err, "k.h"), "the message names the output: %s",
           r.err);
    EXPECT(listing(out_dir, ls, sizeof ls) == 0, "wrote %s", ls);
    result_free(&r);
    free(out);
    free(missing);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_bad_arguments(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *out = path_join(out_dir, "k.c");
    result r = RUN("check", spec, "-o", out);
    EXPECT_USAGE_ERROR(r, "check with -o");
    result_free(&r);
    r = RUN(spec, spec, "-o", out);
    EXPECT_USAGE_ERROR(r, "two spec files");
    result_free(&r);
    r = RUN("check");
    EXPECT_USAGE_ERROR(r, "check without a spec");
    result_free(&r);
    EXPECT(listing(out_dir, ls, sizeof ls) == 0, "wrote %s", ls);
    free(out);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_unreadable_spec(void)
{
    char *dir = make_tmpdir(), *out_dir = make_tmpdir(), ls[1024];
    char *out = path_join(out_dir, "k.c");
    char *missing = path_join(dir, "missing_spec.lua");
    char *subdir = path_join(dir, "subdir.lua");
    char *big = path_join(dir, "big_spec.lua");
    mkdir(subdir, 0755);
    /* over 1 MiB of comments before a valid spec */
    size_t n = (1u << 20) + 4096;
    char *text = malloc(n + strlen(good_spec) + 1);
    for (size_t i = 0; i < n; i += 64) {
        memset(text + i, '-', 63);
        text[i + 63] = '\n';
    }
    memcpy(text + n, good_spec, strlen(good_spec) + 1);
    write_file(big, text, strlen(text));
    free(text);
    const char *specs[] = {missing, subdir, big};
    for (int i = 0; i < 3; i++) {
        result r = RUN(specs[i], "-o", out);
        EXPECT_USAGE_ERROR(r, specs[i]);
        EXPECT(strstr(r.err, specs[i]) != NULL, "names %s: %s", specs[i], r.err);
        EXPECT(listing(out_dir, ls, sizeof ls) == 0, "%s: wrote %s", specs[i], ls);
        result_free(&r);
        r = RUN("check", specs[i]);
        EXPECT_USAGE_ERROR(r, specs[i]);
        result_free(&r);
    }
    free(out);
    free(missing);
    free(subdir);
    free(big);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_bad_overrides(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *out = path_join(out_dir, "k.c");
    /* each -D, and a word its message must contain */
    const char *cases[][2] = {{"foo=1", "foo"},        {"statee=4", "statee"},
                              {"noequals", "noequals"}, {"=3", "=3"},
                              {"arity=0", "arity"},     {"arity=x", "arity"},
                              {"name=int", "name"},     {"target=metal", "target"},
                              {"dtype=", "dtype"},      {"passes=forward,sideways", "passes"},
                              {"symmetric=yes", "symmetric"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = RUN(spec, "-o", out, "-D", cases[i][0]);
        EXPECT_USAGE_ERROR(r, cases[i][0]);
        EXPECT(strstr(r.err, cases[i][1]) != NULL, "-D %s: message lacks '%s': %s",
               cases[i][0], cases[i][1], r.err);
        EXPECT(listing(out_dir, ls, sizeof ls) == 0, "-D %s: wrote %s", cases[i][0], ls);
        result_free(&r);
        r = RUN("check", spec, "-D", cases[i][0]);
        EXPECT_USAGE_ERROR(r, cases[i][0]);
        result_free(&r);
    }
    result r = RUN("check", spec, "-D");
    EXPECT_USAGE_ERROR(r, "-D without a value");
    result_free(&r);
    /* more -D options than myogen takes: an error, not an overflow */
    const char *many[2 + 2 * 70 + 1] = {"check", spec};
    for (int i = 0; i < 70; i++) {
        many[2 + 2 * i] = "-D";
        many[3 + 2 * i] = "depth=3";
    }
    many[2 + 2 * 70] = NULL;
    r = run_argv(NULL, many);
    EXPECT(!r.timed_out && (r.code == 0 || r.code == 2) && (r.code == 0 || one_line_error(&r)),
           "70 -D options: exit %d, stderr %s", r.code, r.err);
    result_free(&r);
    free(out);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

/* ---- suite: check ---- */

/* `myogen check SPEC ARGS...` must print want + "\n" and exit 0. */
#define EXPECT_CHECK(want, ...) expect_check_(want, __LINE__, __VA_ARGS__, (const char *)NULL)
static void expect_check_(const char *want, int line, ...)
{
    const char *args[MAX_ARGS + 1];
    char shown[1024] = "check";
    int n = 0;
    args[n++] = "check";
    va_list ap;
    va_start(ap, line);
    while (n < MAX_ARGS && (args[n] = va_arg(ap, const char *)) != NULL) {
        snprintf(shown + strlen(shown), sizeof shown - strlen(shown), " %s", args[n]);
        n++;
    }
    va_end(ap);
    args[n] = NULL;
    result r = run_argv(NULL, args);
    expect_(!r.timed_out && r.code == 0 && r.errlen == 0, __FILE__, line,
            "%s: expected exit 0, empty stderr; got exit %d, stderr \"%s\"", shown, r.code,
            r.err);
    expect_(r.outlen == strlen(want) + 1 && strncmp(r.out, want, strlen(want)) == 0 &&
                r.out[r.outlen - 1] == '\n',
            __FILE__, line, "%s:\nexpected %s\ngot      %s", shown, want, r.out);
    result_free(&r);
}

static void test_check_canonical(void)
{
    char *spec, *dir = good_spec_dir(&spec), ls[1024];
    EXPECT_CHECK(good_canonical, spec);
    EXPECT(listing(dir, ls, sizeof ls) == 1, "check wrote %s", ls);
    free(spec);
    free_tmpdir(dir);
}

/* The canonical form is itself a spec with the same canonical form. */
static void test_check_roundtrip(void)
{
    char *dir = make_tmpdir(), *spec = path_join(dir, "canon.lua"), text[4096];
    snprintf(text, sizeof text, "return %s\n", good_canonical);
    write_file(spec, text, strlen(text));
    EXPECT_CHECK(good_canonical, spec);
    /* field order and spacing in the spec do not matter */
    const char *shuffled =
        "local s = {}\ns.state = 2 * 2\ns.depth = 3\ns.arity = 4\ns.name = 'qu' .. 'ad'\n"
        "s.kernel = \"myo\"\ns.passes = {'forward'}\nreturn s\n";
    write_file(spec, shuffled, strlen(shuffled));
    EXPECT_CHECK(good_canonical, spec);
    free(spec);
    free_tmpdir(dir);
}

static void test_check_overrides(void)
{
    char *spec, *dir = good_spec_dir(&spec);
    EXPECT_CHECK("{kernel=\"myo\", name=\"other\", dtype=\"f64\", target=\"avx2\", "
                 "passes={\"forward\"}, threads=\"none\", arity=2, depth=5, state=4, "
                 "block=\"diag\", share=\"vertex\", symmetric=true, readout=\"none\"}",
                 spec, "-D", "depth=5", "-D", "dtype=f64", "-D", "symmetric=true", "-D",
                 "name=other", "-Dtarget=avx2", "-Darity=2", "-D", "share=vertex", "-D",
                 "readout=none");
    /* the last -D of a key wins; an integral float is an integer */
    EXPECT_CHECK(good_canonical, spec, "-D", "depth=7", "-D", "depth=3.0");
    EXPECT_CHECK(good_canonical, spec, "-D", "symmetric=false");
    free(spec);
    free_tmpdir(dir);
}

/* DESIGN.md 3: "a,b,c" is a list; a one-element list must be expressible. */
static void test_check_override_list(void)
{
    char *spec, *dir = good_spec_dir(&spec);
    EXPECT_CHECK(good_canonical, spec, "-D", "passes=forward");
    free(spec);
    free_tmpdir(dir);
}

/* ---- suite: generate ---- */

/* Generates SPEC into DIR/NAME; checks success and that DIR holds exactly
 * NAME.c and NAME.h.  Returns 1 if all went well. */
static int generate(const char *spec, const char *dir, const char *name)
{
    char out[4096], ls[1024], want[512];
    snprintf(out, sizeof out, "%s/%s.c", dir, name);
    result r = RUN(spec, "-o", out);
    int ok = EXPECT(!r.timed_out && r.code == 0 && r.outlen == 0 && r.errlen == 0,
                    "-o %s: exit %d, stdout \"%s\", stderr \"%s\"", out, r.code, r.out, r.err);
    snprintf(want, sizeof want, "%s.c %s.h", name, name);
    listing(dir, ls, sizeof ls);
    ok &= EXPECT(strcmp(ls, want) == 0, "-o %s: expected files '%s', found '%s'", out, want, ls);
    result_free(&r);
    return ok;
}

static char *read_in(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_file(path, len);
}

static int same_file(const char *dir1, const char *dir2, const char *name)
{
    size_t n1, n2;
    char *a = read_in(dir1, name, &n1), *b = read_in(dir2, name, &n2);
    int same = a && b && n1 == n2 && memcmp(a, b, n1) == 0;
    free(a);
    free(b);
    return same;
}

static void test_generate_writes_c_and_h(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir();
    if (generate(spec, out_dir, "kernel")) {
        size_t nc, nh;
        char *c = read_in(out_dir, "kernel.c", &nc), *h = read_in(out_dir, "kernel.h", &nh);
        EXPECT(c && nc > 0 && h && nh > 0, "kernel.c and kernel.h are not empty");
        /* DESIGN.md 5: FILE.c includes "FILE.h"; no paths in the output */
        EXPECT(c && strstr(c, "#include \"kernel.h\""), "kernel.c includes \"kernel.h\"");
        EXPECT(c && h && !strstr(c, out_dir) && !strstr(h, out_dir) && !strstr(c, spec) &&
                   !strstr(h, spec),
               "the output names no path");
        free(c);
        free(h);
    }
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

/* target "cuda" (DESIGN.md 6.4) writes NAME.cu and NAME.h; -o NAME.c is a
 * usage error that writes nothing */
static void test_generate_cuda(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), out[4096], ls[1024];
    snprintf(out, sizeof out, "%s/k.c", out_dir);
    result r = RUN(spec, "-o", out, "-D", "target=cuda");
    EXPECT_USAGE_ERROR(r, "cuda with -o k.c");
    EXPECT(strstr(r.err, "NAME.cu") != NULL, "the message names NAME.cu: %s", r.err);
    EXPECT(listing(out_dir, ls, sizeof ls) == 0, "wrote %s", ls);
    result_free(&r);
    snprintf(out, sizeof out, "%s/k.cu", out_dir);
    r = RUN(spec, "-o", out, "-D", "target=cuda");
    EXPECT(r.code == 0 && r.errlen == 0, "-o k.cu: exit %d, stderr \"%s\"", r.code, r.err);
    listing(out_dir, ls, sizeof ls);
    EXPECT(strcmp(ls, "k.cu k.h") == 0, "expected k.cu k.h, found '%s'", ls);
    size_t n;
    char *cu = read_in(out_dir, "k.cu", &n), *h = read_in(out_dir, "k.h", &n);
    EXPECT(cu && strstr(cu, "#include \"k.h\"") && strstr(cu, "__global__") &&
               strstr(cu, "cudaLaunchKernel"),
           "k.cu includes k.h and holds kernels and their launches");
    EXPECT(h && strstr(h, "void *workspace, cudaStream_t stream);") &&
               strstr(h, "_status(void *workspace, cudaStream_t stream);"),
           "k.h declares the stream argument and NAME_status");
    free(cu);
    free(h);
    result_free(&r);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

static void test_generate_deterministic(void)
{
    char *spec, *dir = good_spec_dir(&spec), *a = make_tmpdir(), *b = make_tmpdir();
    if (generate(spec, a, "k") && generate(spec, b, "k")) {
        EXPECT(same_file(a, b, "k.c"), "k.c differs between two runs");
        EXPECT(same_file(a, b, "k.h"), "k.h differs between two runs");
    }
    /* again into the same place: overwrites with the same bytes */
    if (generate(spec, a, "k")) {
        EXPECT(same_file(a, b, "k.c"), "k.c differs after regenerating in place");
        EXPECT(same_file(a, b, "k.h"), "k.h differs after regenerating in place");
    }
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(a);
    free_tmpdir(b);
}

static void test_generate_relative_output(void)
{
    char *spec, *dir = good_spec_dir(&spec), *a = make_tmpdir(), *b = make_tmpdir(), ls[1024];
    result r = run_in(a, spec, "-o", "k.c", (const char *)NULL);
    EXPECT(!r.timed_out && r.code == 0 && r.errlen == 0, "-o k.c in cwd: exit %d, stderr %s",
           r.code, r.err);
    listing(a, ls, sizeof ls);
    EXPECT(strcmp(ls, "k.c k.h") == 0, "-o k.c in cwd: found '%s'", ls);
    result_free(&r);
    if (generate(spec, b, "k")) {
        EXPECT(same_file(a, b, "k.c"), "k.c depends on how -o was spelled");
        EXPECT(same_file(a, b, "k.h"), "k.h depends on how -o was spelled");
    }
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(a);
    free_tmpdir(b);
}

static void test_generate_overwrites(void)
{
    char *spec, *dir = good_spec_dir(&spec), *a = make_tmpdir(), *b = make_tmpdir();
    char *c = path_join(a, "k.c"), *h = path_join(a, "k.h");
    write_file(c, "old\n", 4);
    write_file(h, "old\n", 4);
    if (generate(spec, a, "k") && generate(spec, b, "k")) {
        EXPECT(same_file(a, b, "k.c"), "an existing k.c is replaced");
        EXPECT(same_file(a, b, "k.h"), "an existing k.h is replaced");
    }
    free(c);
    free(h);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(a);
    free_tmpdir(b);
}

/* -o onto a directory named k.c: exit 2 and nothing written (no k.h). */
static void test_generate_output_is_directory(void)
{
    char *spec, *dir = good_spec_dir(&spec), *a = make_tmpdir(), ls[1024];
    char *c = path_join(a, "k.c");
    mkdir(c, 0755);
    result r = RUN(spec, "-o", c);
    EXPECT_USAGE_ERROR(r, "-o onto a directory");
    listing(a, ls, sizeof ls);
    EXPECT(strcmp(ls, "k.c") == 0, "-o onto a directory k.c: expected only 'k.c', found '%s'",
           ls);
    result_free(&r);
    free(c);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(a);
}

/* k.h is a directory: exit 2 and nothing written (no k.c, no temp files). */
static void test_generate_header_is_directory(void)
{
    char *spec, *dir = good_spec_dir(&spec), *a = make_tmpdir(), ls[1024];
    char *c = path_join(a, "k.c"), *h = path_join(a, "k.h");
    mkdir(h, 0755);
    result r = RUN(spec, "-o", c);
    EXPECT_USAGE_ERROR(r, "k.h is a directory");
    listing(a, ls, sizeof ls);
    EXPECT(strcmp(ls, "k.h") == 0, "k.h a directory: expected only 'k.h', found '%s'", ls);
    result_free(&r);
    free(c);
    free(h);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(a);
}

/* ---- suite: bad_specs ---- */

/* The text after "-- expect: " on the spec's first line, if any. */
static void expected_text(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    char line[512];
    if (f && fgets(line, sizeof line, f) && strncmp(line, "-- expect: ", 11) == 0) {
        line[strcspn(line, "\r\n")] = 0;
        snprintf(buf, len, "%s", line + 11);
    }
    if (f)
        fclose(f);
}

static int is_spec(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0;
}

/* Checks one bad spec, run as `myogen SPEC -o OUT/out.c` and `myogen check
 * SPEC`: exit 2, one line "myogen: ..." naming SPEC (and the expected text),
 * empty stdout, nothing in OUT. */
static void check_bad_spec(const char *spec, const char *name, const char *out_dir)
{
    char out[4096], want[512], ls[1024];
    snprintf(out, sizeof out, "%s/out.c", out_dir);
    expected_text(spec, want, sizeof want);
    for (int mode = 0; mode < 2; mode++) {
        const char *how = mode ? "check" : "-o";
        result r = mode ? RUN("check", spec) : RUN(spec, "-o", out);
        if (r.timed_out) {
            EXPECT(0, "%s (%s): killed after %d s (the sandbox must bound it)", name, how,
                   RUN_TIMEOUT_S);
            result_free(&r);
            break; /* the other mode would hang too */
        }
        EXPECT(r.code == 2, "%s (%s): exit %d, expected 2; stderr: %s", name, how, r.code,
               r.err);
        EXPECT(r.outlen == 0, "%s (%s): stdout not empty: %.200s", name, how, r.out);
        EXPECT(one_line_error(&r), "%s (%s): stderr is not one 'myogen: ' line: \"%.400s\"",
               name, how, r.err);
        EXPECT(strstr(r.err, spec) != NULL, "%s (%s): message does not name %s: %s", name,
               how, spec, r.err);
        if (want[0])
            EXPECT(strstr(r.err, want) != NULL, "%s (%s): message lacks \"%s\": %s", name, how,
                   want, r.err);
        int n = listing(out_dir, ls, sizeof ls);
        EXPECT(n == 0, "%s (%s): wrote '%s'", name, how, ls);
        if (n != 0) {
            rm_rf(out_dir);
            mkdir(out_dir, 0700);
        }
        result_free(&r);
    }
}

static void test_bad_specs(void)
{
    struct dirent **names;
    int n = scandir(bad_dir, &names, is_spec, alphasort);
    EXPECT(n >= 60, "expected the bad specs in %s, found %d", bad_dir, n);
    char *out_dir = make_tmpdir();
    for (int i = 0; i < n; i++) {
        char *spec = path_join(bad_dir, names[i]->d_name);
        check_bad_spec(spec, names[i]->d_name, out_dir);
        free(spec);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    free_tmpdir(out_dir);
}

/* The message names the whole path of the spec, however long. */
static void test_bad_spec_long_path(void)
{
    const char *specs[] = {"syntax_error.lua", "error_call.lua", "missing_state.lua"};
    char *root = make_tmpdir(), *out_dir = make_tmpdir(), dir[4096];
    snprintf(dir, sizeof dir, "%s/a_long_directory_name_to_make_the_path_long", root);
    mkdir(dir, 0755);
    strcat(dir, "/and_another_long_directory_name_after_it");
    mkdir(dir, 0755);
    for (int i = 0; i < 3; i++) {
        char *from = path_join(bad_dir, specs[i]), *to = path_join(dir, specs[i]);
        size_t len;
        char *text = read_file(from, &len);
        EXPECT(text != NULL, "cannot read %s", from);
        if (text) {
            write_file(to, text, len);
            check_bad_spec(to, specs[i], out_dir);
        }
        free(text);
        free(from);
        free(to);
    }
    free_tmpdir(root);
    free_tmpdir(out_dir);
}

/* ---- main ---- */

/* getopt_long style: every long option that takes a value also takes it as
 * --opt=value; options without a value refuse one. */
static void test_long_option_equals(void)
{
    char *spec, *dir = good_spec_dir(&spec), *out_dir = make_tmpdir(), ls[1024];
    char *rt = path_join(out_dir, "rt"), *arg = malloc(strlen(rt) + 32);
    sprintf(arg, "--emit-runtime=%s", rt);
    result r = RUN(arg);
    EXPECT(r.code == 0 && r.errlen == 0, "%s: exit %d, %s", arg, r.code, r.err);
    EXPECT(listing(rt, ls, sizeof ls) == 2 && strcmp(ls, "myogen_cl.c myogen_cl.h") == 0,
           "%s wrote '%s'", arg, ls);
    result_free(&r);
    /* --wisdom=FILE reads FILE (here: a missing one, named in the message) */
    char *out = path_join(out_dir, "k.c");
    r = RUN(spec, "--wisdom=no_such_wisdom.txt", "-o", out);
    EXPECT(r.code == 2 && strstr(r.err, "no_such_wisdom.txt") && strstr(r.err, "cannot open"),
           "--wisdom=: exit %d, %s", r.code, r.err);
    result_free(&r);
    const char *novalue[] = {"--help=1", "--version=1"};
    for (int i = 0; i < 2; i++) {
        r = RUN(novalue[i]);
        EXPECT_USAGE_ERROR(r, novalue[i]);
        EXPECT(strstr(r.err, "takes no value"), "%s: %s", novalue[i], r.err);
        result_free(&r);
    }
    free(out);
    free(arg);
    free(rt);
    free(spec);
    free_tmpdir(dir);
    free_tmpdir(out_dir);
}

/* check --clang (DESIGN.md 1: libclang is optional): this build has no
 * libclang, and says so instead of pretending to check. */
static void test_check_clang(void)
{
    char *spec, *dir = good_spec_dir(&spec);
    result r = RUN("check", "--clang", spec);
    EXPECT_USAGE_ERROR(r, "check --clang");
    EXPECT(strstr(r.err, "without libclang"), "check --clang: %s", r.err);
    result_free(&r);
    r = RUN("--clang", spec, "-o", "k.c");
    EXPECT_USAGE_ERROR(r, "--clang without check");
    result_free(&r);
    free(spec);
    free_tmpdir(dir);
}

static const test_def options_tests[] = {
    {"long options as --opt=value", test_long_option_equals},
    {"check --clang", test_check_clang},
    {"--help", test_help},
    {"--version", test_version},
    {"no arguments", test_no_arguments},
    {"unknown option", test_unknown_option},
    {"missing -o or spec", test_missing_output},
    {"-o not ending in .c", test_output_not_c},
    {"-o with an empty file name", test_output_empty_name},
    {"-o into a missing directory", test_output_dir_missing},
    {"bad argument combinations", test_bad_arguments},
    {"missing, directory or oversized spec", test_unreadable_spec},
    {"bad -D", test_bad_overrides},
    {NULL, NULL}};
static const test_def check_tests[] = {
    {"canonical form", test_check_canonical},
    {"canonical form round trip", test_check_roundtrip},
    {"-D overrides", test_check_overrides},
    {"-D one-element list", test_check_override_list},
    {NULL, NULL}};
static const test_def generate_tests[] = {
    {"writes OUT.c and OUT.h", test_generate_writes_c_and_h},
    {"cuda writes OUT.cu and OUT.h", test_generate_cuda},
    {"byte-identical reruns", test_generate_deterministic},
    {"relative -o", test_generate_relative_output},
    {"replaces existing files", test_generate_overwrites},
    {"-o is a directory", test_generate_output_is_directory},
    {"OUT.h is a directory", test_generate_header_is_directory},
    {NULL, NULL}};
static const test_def bad_spec_tests[] = {
    {"every spec in bad_specs/", test_bad_specs},
    {"long spec path", test_bad_spec_long_path},
    {NULL, NULL}};

static const struct {
    const char *name;
    const test_def *tests;
} suites[] = {{"options", options_tests},
              {"check", check_tests},
              {"generate", generate_tests},
              {"bad_specs", bad_spec_tests},
              {"reliability", reliability_tests},
              {NULL, NULL}};

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s MYOGEN BAD_SPECS_DIR [SUITE]\n", argv[0]);
        return 2;
    }
    static char exe[PATH_MAX];
    if (!realpath(argv[1], exe)) { /* runs may change directory */
        fprintf(stderr, "test_cli: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    myogen = exe;
    bad_dir = argv[2];
    const char *only = argc > 3 ? argv[3] : NULL;
    signal(SIGPIPE, SIG_IGN);
    if (access(myogen, X_OK) != 0) {
        fprintf(stderr, "test_cli: %s is not executable\n", myogen);
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    int found = 0;
    for (int s = 0; suites[s].name; s++) {
        if (only && strcmp(only, suites[s].name) != 0)
            continue;
        found = 1;
        CU_pSuite ps = CU_add_suite(suites[s].name, NULL, NULL);
        for (const test_def *t = suites[s].tests; ps && t->name; t++)
            CU_add_test(ps, t->name, t->fn);
    }
    if (!found) {
        fprintf(stderr, "test_cli: no suite '%s'\n", only);
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
