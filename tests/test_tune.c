/* Functional tests of `myogen tune` and wisdom (issue 4); no timing is
 * checked.  Units (knobs, the tuner's scalar reference against a dense
 * solve, wisdom files) link myogen_core; the rest runs the built binary on
 * tiny shapes with a small budget.
 * usage: test_tune MYOGEN WORKDIR [SUITE] */
#define _XOPEN_SOURCE 700
#include "cc.h"
#include "generate.h"
#include "knobs.h"
#include "machine_id.h"
#include "spec.h"
#include "tune/devmem.h"
#include "tune/myo_ref.h"
#include "tune/search.h"
#include "wisdom.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_TIMEOUT_S 300
#define MAX_ARGS 40

static const char *myogen; /* the binary under test */
static const char *work;   /* scratch directory */

/* The tuned test spec: small, portable C, level sums for arity >= 2. */
static const char level_spec[] =
    "return {kernel=\"myo\", name=\"tt\", arity=2, depth=2, state=4, target=\"c\"}\n";
/* a tree-solve spec (share vertex, readout none): knob TL */
static const char vertex_spec[] =
    "return {kernel=\"myo\", name=\"tv\", arity=2, depth=2, state=3, share=\"vertex\","
    " readout=\"none\", target=\"c\", dtype=\"f64\"}\n";

/* an mlr spec: 3 levels of rank 2, portable C */
static const char mlr_spec[] =
    "return {kernel=\"mlr\", name=\"tm\", seq_len=64, arity=2, depth=3, state=2,"
    " value_dim=4, target=\"c\"}\n";

/* a btt matmul spec: 6 x 10 -> 10 x 6 factors, rank 2, f64, portable C */
static const char btt_spec[] =
    "return {kernel=\"btt\", name=\"tb\", arity={6, 10}, out_arity={10, 6}, state=2,"
    " target=\"c\", dtype=\"f64\"}\n";

#define EXPECT(cond, ...) expect_((cond) != 0, __LINE__, __VA_ARGS__)
static int expect_(int ok, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, __FILE__, "",
                            CU_FALSE);
    return ok;
}

/* ---- files and processes ---- */

/* WORKDIR/name, in its own allocation, valid for the whole run: every one
 * is kept in a list freed at the end (paths_free), so no caller frees. */
static char **paths;
static size_t npaths, cap_paths;

static char *path_in(const char *name)
{
    char *p = malloc(strlen(work) + strlen(name) + 2);
    if (npaths == cap_paths) {
        cap_paths = cap_paths ? 2 * cap_paths : 64;
        char **grown = realloc(paths, cap_paths * sizeof *paths);
        if (!grown)
            abort();
        paths = grown;
    }
    if (!p)
        abort();
    sprintf(p, "%s/%s", work, name);
    paths[npaths++] = p;
    return p;
}

static void paths_free(void)
{
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    paths = NULL;
    npaths = cap_paths = 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "test_tune: cannot write %s\n", path);
        exit(2);
    }
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    p[n] = 0;
    if (len)
        *len = (size_t)n;
    return p;
}

/* Does the file at path hold the text want? */
static int file_has(const char *path, const char *want)
{
    char *t = read_text(path, NULL);
    const int has = t && strstr(t, want) != NULL;
    free(t);
    return has;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

typedef struct {
    int code; /* exit status, -1 if killed or timed out */
    char *out, *err;
} result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs argv (NULL-terminated) with the environment variable env
 * ("NAME=VALUE" or NULL) set, stdout and stderr to files. */
static result run_env(const char *env, const char *const *argv)
{
    result r = {-1, NULL, NULL};
    char *out = path_in("run.out"), *err = path_in("run.err");
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        if (env)
            putenv((char *)env);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    const double deadline = now() + RUN_TIMEOUT_S;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
            break;
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    r.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text(out, NULL);
    r.err = read_text(err, NULL);
    if (!r.out)
        r.out = calloc(1, 1);
    if (!r.err)
        r.err = calloc(1, 1);
    return r;
}

static result run_myogen(const char *env, ...)
{
    const char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = myogen;
    va_list ap;
    va_start(ap, env);
    while (n <= MAX_ARGS && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    return run_env(env, argv);
}
#define MYOGEN(...) run_myogen(NULL, __VA_ARGS__, (const char *)NULL)

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* Exit 2 with exactly one "myogen: " line on stderr containing want. */
#define EXPECT_REJECTED(r, want) expect_rejected_(&(r), want, __LINE__)
static void expect_rejected_(const result *r, const char *want, int line)
{
    const char *nl = strchr(r->err, '\n');
    const int one_line = strncmp(r->err, "myogen: ", 8) == 0 && nl && nl[1] == 0;
    expect_(r->code == 2 && one_line && strstr(r->err, want) != NULL, line,
            "expected exit 2 and one 'myogen: ...%s...' line; got exit %d, stderr \"%.600s\"",
            want, r->code, r->err);
}

/* ---- a small well-formedness check of XML (the SVG), no library ---- */

static int xml_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == ':' || c == '.';
}

/* Returns NULL if text is well-formed (one root, balanced tags, quoted
 * attributes, known entities), else what is wrong. */
static const char *xml_check(const char *s)
{
    static char why[256];
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = s;
    if (strncmp(p, "<?xml", 5) == 0) {
        p = strstr(p, "?>");
        if (!p)
            return "unterminated XML declaration";
        p += 2;
    }
    while (*p) {
        if (*p == '&') {
            const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#", NULL};
            int ok = 0;
            for (int i = 0; ents[i]; i++)
                ok |= strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok)
                return "unknown entity";
            p++;
            continue;
        }
        if (*p != '<') {
            if (depth == 0 && !(*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
                return "text outside the root element";
            p++;
            continue;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            p = strstr(p, "-->");
            if (!p)
                return "unterminated comment";
            p += 3;
            continue;
        }
        int closing = p[1] == '/';
        p += closing ? 2 : 1;
        char name[64];
        int n = 0;
        while (xml_name_char(*p) && n < 63)
            name[n++] = *p++;
        name[n] = 0;
        if (!n)
            return "a tag without a name";
        if (closing) {
            while (*p == ' ' || *p == '\n')
                p++;
            if (*p != '>')
                return "bad closing tag";
            p++;
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, sizeof why, "</%s> does not close <%s>", name,
                         depth ? stack[depth - 1] : "(nothing)");
                return why;
            }
            depth--;
            continue;
        }
        for (;;) { /* attributes */
            while (*p == ' ' || *p == '\n' || *p == '\t')
                p++;
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            int an = 0;
            while (xml_name_char(*p)) {
                p++;
                an++;
            }
            if (!an || *p != '=' || (p[1] != '"' && p[1] != '\''))
                return "an attribute that is not name=\"value\"";
            char q = p[1];
            p += 2;
            while (*p && *p != q) {
                if (*p == '<')
                    return "'<' in an attribute value";
                p++;
            }
            if (!*p)
                return "unterminated attribute value";
            p++;
        }
        if (depth == 0)
            roots++;
        if (*p == '/') {
            p += 2;
            continue;
        }
        p++;
        if (depth == 64)
            return "too deep";
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
    }
    if (depth != 0)
        return "unclosed elements at the end";
    if (roots != 1)
        return "not exactly one root element";
    return NULL;
}

/* ---- suite knobs: the engine's KNOBS table and generate_kernel_knobs ---- */

static void test_knobs_text(void)
{
    knob_set k;
    char err[256], buf[128];
    CU_ASSERT_EQUAL(knobs_parse("TC=16", &k, err, sizeof err), 0);
    CU_ASSERT_EQUAL(k.n, 1);
    CU_ASSERT_STRING_EQUAL(k.name[0], "TC");
    CU_ASSERT_EQUAL(k.value[0], 16);
    CU_ASSERT_EQUAL(knobs_parse("TC=16,TL=8", &k, err, sizeof err), 0);
    knobs_format(&k, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "TC=16,TL=8");
    CU_ASSERT_EQUAL(knobs_parse("-", &k, err, sizeof err), 0);
    CU_ASSERT_EQUAL(k.n, 0);
    knobs_format(&k, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "-");
    const char *bad[] = {"", "TC", "TC=", "TC=0", "TC=-8", "TC=8x", "tc=8", "TC=8,", "TC=8,TC=16",
                         "TC=8;TL=8", NULL};
    for (int i = 0; bad[i]; i++)
        EXPECT(knobs_parse(bad[i], &k, err, sizeof err) != 0, "knobs_parse(\"%s\") accepted",
               bad[i]);
}

static int load_spec_text(const char *text, const char *file, spec *s)
{
    char err[SPEC_ERR_LEN + 64];
    write_text(path_in(file), text);
    int rc = spec_load(path_in(file), NULL, 0, s, err, sizeof err);
    EXPECT(rc == 0, "spec_load: %s", err);
    return rc;
}

/* The knob search (tune/search.c) on made-up timings: v[0] the default,
 * then the values in the driver's run order. */
static void search_setup(tune_variant *v, const long long *vals, int n)
{
    memset(v, 0, (size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) {
        v[i].knobs.n = 1;
        v[i].knobs.value[0] = vals[i];
        v[i].status = TUNE_FAILED; /* not run yet */
    }
}

static void search_ran(tune_variant *v, int i, double ms)
{
    v[i].status = TUNE_OK;
    v[i].median_s = ms * 1e-3;
}

static void search_prune(tune_variant *v, int n, int i)
{
    EXPECT(tune_search_pruned(v, n, i), "value %lld should be pruned", v[i].knobs.value[0]);
    v[i].status = TUNE_SKIPPED;
    snprintf(v[i].note, sizeof v[i].note, "pruned");
}

/* Test data for 16-bit tensors: rounded to the nearest bf16 (8 significant
 * bits) or f16 (11 bits, subnormal steps of 2^-24), ties to even. */
static void test_round16(void)
{
    static const struct {
        float x;
        int half;
        float want;
    } cases[] = {
        {1.0f + 0x1p-8f, 1, 1.0f},               /* a tie: to the even neighbour 1 */
        {1.0f + 3 * 0x1p-8f, 1, 1.0f + 0x1p-6f}, /* a tie: to the even neighbour above */
        {1.0f + 0x1p-9f, 1, 1.0f},
        {-3.0f - 0x1p-7f, 1, -3.0f},             /* bf16 steps 2^-6 at 2..4: a tie, to even */
        {0.1f, 1, 0.10009765625f},
        {1.0f + 0x1p-11f, 2, 1.0f},              /* f16: a tie at its step 2^-10 */
        {1.0f + 3 * 0x1p-11f, 2, 1.0f + 0x1p-9f},
        {0.1f, 2, 0.0999755859375f},
        {0x1p-25f, 2, 0.0f},                     /* half the least subnormal: to 0 */
        {3 * 0x1p-25f, 2, 0x1p-23f},             /* a tie between 2^-24 and 2^-23 */
        {0x1p-30f, 1, 0x1p-30f},                 /* bf16 keeps f32's exponents */
        {0.0f, 1, 0.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const float got = tune_round16(cases[i].x, cases[i].half);
        EXPECT(got == cases[i].want, "case %zu: %a to %s gave %a, want %a", i, (double)cases[i].x,
               cases[i].half == 1 ? "bf16" : "f16", (double)got, (double)cases[i].want);
    }
}

static void test_knob_search(void)
{
    /* btt's forward tile as measured: the default 222, slower on both sides
     * nearby, fastest at the small end */
    static const long long vals[] = {222, 192, 384, 96, 768, 48, 24, 12, 6};
    enum { N = sizeof vals / sizeof vals[0] };
    static const double ms[] = {10.2, 12.9, 13.3, 10.7, 13.3, 10.7, 8.0, 6.0, 5.9};
    tune_variant v[N];
    search_setup(v, vals, N);
    search_ran(v, 0, ms[0]);
    EXPECT(!tune_search_pruned(v, N, 1) && !tune_search_pruned(v, N, 2),
           "the values next to the default always run");
    search_ran(v, 1, ms[1]);
    search_ran(v, 2, ms[2]);
    search_prune(v, N, 3); /* 192 was 26% slower than 222 */
    EXPECT(!tune_search_pruned(v, N, 4), "768 ends its side");
    search_ran(v, 4, ms[4]);
    search_prune(v, N, 5); /* 48: its neighbour 96 was pruned */
    search_prune(v, N, 6);
    search_prune(v, N, 7);
    EXPECT(!tune_search_pruned(v, N, 8), "the end of a side always runs");
    search_ran(v, 8, ms[8]); /* 6: the fastest so far */
    int j = tune_search_revisit(v, N);
    EXPECT(j == 7, "revisit 12, next to the fastest: got %d", j);
    v[j].note[0] = 0;
    search_ran(v, j, ms[7]);
    EXPECT(tune_search_revisit(v, N) < 0, "12 was slower than 6: nothing more to revisit");
    /* had 12 been faster, 24 next */
    search_ran(v, 7, 5.0);
    j = tune_search_revisit(v, N);
    EXPECT(j == 6, "revisit 24, next to the new fastest: got %d", j);

    /* a single valley: nothing pruned is revisited */
    static const long long vals2[] = {64, 32, 128, 16, 256, 8};
    tune_variant w[6];
    search_setup(w, vals2, 6);
    search_ran(w, 0, 1.0);
    search_ran(w, 1, 1.5);
    search_ran(w, 2, 1.3);
    search_prune(w, 6, 3); /* 32 was 50% slower than 64 */
    EXPECT(!tune_search_pruned(w, 6, 4), "256 ends its side");
    search_ran(w, 4, 2.0);
    EXPECT(!tune_search_pruned(w, 6, 5), "8 ends its side");
    search_ran(w, 5, 3.0);
    EXPECT(tune_search_revisit(w, 6) < 0, "the default is the fastest: no revisit");
    /* within 10%: not pruned */
    search_setup(w, vals2, 6);
    search_ran(w, 0, 1.0);
    search_ran(w, 1, 1.05);
    EXPECT(!tune_search_pruned(w, 6, 3), "16: 32 was only 5%% slower than 64");
}

/* On GPU targets the knobs shape the device code: mlr's B caps the flash
 * tiles' query side, btt's MB is the row tile of the GEMMs over the rows
 * (and a value past the GPU's range is refused). */
static void test_knobs_gpu(void)
{
    static const struct {
        const char *spec, *file, *knob, *dflt, *with;
        long long value;
    } cases[] = {
        {"return {kernel=\"mlr\", name=\"gm\", seq_len=256, arity=2, depth=3, state={8,4,4},"
         " value_dim=16, target=\"opencl\"}\n",
         "gm", "B", "query tiles of 64 x key tiles of 32", "query tiles of 16 x key tiles of 16", 16},
        {"return {kernel=\"btt\", name=\"gb\", op=\"matmul\", arity=8, state=2,"
         " target=\"opencl\"}\n",
         "gb", "MB", "work-groups of 64 (64 x 16 tiles)", "work-groups of 32 (32 x 16 tiles)", 32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spec s;
        char err[1024], c[4200], cl[4200];
        if (load_spec_text(cases[i].spec, "gpu.lua", &s) != 0)
            continue;
        knob_set none = {0}, k = {0}, big = {0};
        knobs_set(&k, cases[i].knob, cases[i].value);
        knobs_set(&big, cases[i].knob, 128);
        snprintf(c, sizeof c, "%s.c", path_in(cases[i].file));
        snprintf(cl, sizeof cl, "%s.cl", path_in(cases[i].file));
        CU_ASSERT_EQUAL(generate_kernel_knobs(&s, c, &none, err, sizeof err), 0);
        EXPECT(file_has(cl, cases[i].dflt), "%s: default tiles not '%s'", cases[i].file,
               cases[i].dflt);
        CU_ASSERT_EQUAL(generate_kernel_knobs(&s, c, &k, err, sizeof err), 0);
        EXPECT(file_has(cl, cases[i].with) && !file_has(cl, cases[i].dflt),
               "%s: %s=%lld did not give '%s'", cases[i].file, cases[i].knob, cases[i].value,
               cases[i].with);
        EXPECT(generate_kernel_knobs(&s, c, &big, err, sizeof err) == 2 && strstr(err, "..64"),
               "%s: %s=128 not refused: %s", cases[i].file, cases[i].knob, err);
    }
}

static void test_knobs_generate(void)
{
    spec s;
    char err[1024];
    if (load_spec_text(level_spec, "k.lua", &s) != 0)
        return;
    /* no knobs: byte-identical to generate_kernel */
    knob_set none = {0}, k16, k3, kx;
    CU_ASSERT_EQUAL(generate_kernel(&s, path_in("plain.c"), err, sizeof err), 0);
    char *a = read_text(path_in("plain.c"), NULL);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s, path_in("plain.c"), &none, err, sizeof err), 0);
    char *b = read_text(path_in("plain.c"), NULL);
    EXPECT(a && b && strcmp(a, b) == 0, "empty knobs changed the output");
    EXPECT(a && strstr(a, "#define tt_TC 64\n") && !strstr(a, "with knobs"),
           "default: expected tt_TC 64 and no knob note");
    free(a);
    free(b);
    /* TC=16 lands in the code and the header comment */
    knobs_parse("TC=16", &k16, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s, path_in("k16.c"), &k16, err, sizeof err), 0);
    a = read_text(path_in("k16.c"), NULL);
    EXPECT(a && strstr(a, "#define tt_TC 16\n") && strstr(a, "} with knobs TC=16\n"),
           "TC=16 not applied");
    free(a);
    /* invalid knob values and names are bad input (2), nothing written */
    knobs_parse("TC=1024", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s, path_in("k3.c"), &k3, err, sizeof err), 2);
    EXPECT(strstr(err, "knob TC=1024") && strstr(err, "1..512"), "message: %s", err);
    CU_ASSERT_FALSE(exists(path_in("k3.c")));
    knobs_parse("XY=8", &kx, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s, path_in("kx.c"), &kx, err, sizeof err), 2);
    EXPECT(strstr(err, "unknown knob XY"), "message: %s", err);
    /* the lane count: an avx2 f32 kernel takes multiples of 8 */
    spec s2;
    if (load_spec_text("return {kernel=\"myo\", name=\"ta\", arity=4, depth=2, state=4,"
                       " target=\"avx2\"}\n", "ka.lua", &s2) != 0)
        return;
    knobs_parse("TC=12", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s2, path_in("ka.c"), &k3, err, sizeof err), 2);
    EXPECT(strstr(err, "multiple of 8 (the avx2 float lane count)"), "message: %s", err);
    knobs_parse("TC=8", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s2, path_in("ka.c"), &k3, err, sizeof err), 0);
    /* TL on a tree-solve spec */
    spec s3;
    if (load_spec_text(vertex_spec, "kv.lua", &s3) != 0)
        return;
    knobs_parse("TL=5", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s3, path_in("kv.c"), &k3, err, sizeof err), 0);
    a = read_text(path_in("kv.c"), NULL);
    EXPECT(a && strstr(a, "+ 4) / 5)"), "TL=5 not applied to the lane groups");
    free(a);
    /* btt: MB, a multiple of the register tile's rows (4 on the c target) */
    spec s4;
    if (load_spec_text(btt_spec, "kb.lua", &s4) != 0)
        return;
    knobs_parse("MB=8", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s4, path_in("kb.c"), &k3, err, sizeof err), 0);
    a = read_text(path_in("kb.c"), NULL);
    EXPECT(a && strstr(a, "#define tb_MB 8\n"), "MB=8 not applied");
    free(a);
    knobs_parse("MB=6", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s4, path_in("kb6.c"), &k3, err, sizeof err), 2);
    EXPECT(strstr(err, "knob MB=6: expected a multiple of 4 (rows of the c register tile)"),
           "message: %s", err);
    knobs_parse("TC=8", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s4, path_in("kb7.c"), &k3, err, sizeof err), 2);
    EXPECT(strstr(err, "unknown knob TC (btt knobs: MB)"), "message: %s", err);
    /* mlr: B, a multiple of the register block's columns (2 on the c target) */
    spec s5;
    if (load_spec_text(mlr_spec, "km.lua", &s5) != 0)
        return;
    knobs_parse("B=16", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s5, path_in("km.c"), &k3, err, sizeof err), 0);
    knobs_parse("B=512", &k3, err, sizeof err);
    CU_ASSERT_EQUAL(generate_kernel_knobs(&s5, path_in("km2.c"), &k3, err, sizeof err), 2);
    EXPECT(strstr(err, "knob B=512: expected a multiple of 2 (columns of the c register block) "
                       "in 2..256"), "message: %s", err);
}

/* ---- suite reference: tune_ref against a dense solve of T_G ---- */

static uint64_t rng = 88172645463325252ULL;
static double urand(double lo, double hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (hi - lo) * (double)(rng >> 11) * 0x1p-53;
}

/* Solves T_G x = e for one (b, h, n) by Gaussian elimination with partial
 * pivoting over all |V| unknowns (diag blocks: the N components decouple). */
static void dense_one(const tune_ref_shape *s, const double *A, const double *B,
                      const double *C, const double *Bin, const double *Cout, const double *D,
                      const double *u, double *y, size_t batch, size_t ch, size_t b, size_t h)
{
    const size_t V = tune_ref_vertices(s), L = tune_ref_seq_len(s), N = (size_t)s->N;
    const size_t k = (size_t)s->k, first_leaf = V - L, io = s->siso ? 1 : N;
    double *M = calloc(V * (V + 1), sizeof *M);
    int *lev = calloc(V, sizeof *lev);
    double *x = calloc(V * N, sizeof *x);
    for (size_t v = 1; v < V; v++)
        lev[v] = lev[(v - 1) / k] + 1;
    (void)batch;
    for (size_t n = 0; n < N; n++) {
        memset(M, 0, V * (V + 1) * sizeof *M);
        for (size_t v = 0; v < V; v++) {
            size_t set = s->share == 0 ? (size_t)lev[v] : s->share == 1 ? v : b * V + v;
            size_t pa = (set * ch + h) * N + n;
            M[v * (V + 1) + v] = A[pa];
            if (v > 0) {
                size_t p = (v - 1) / k;
                M[v * (V + 1) + p] = B[pa];                       /* B_v x_parent in row v */
                M[p * (V + 1) + v] = s->symmetric ? B[pa] : C[pa]; /* C_v x_v in row parent */
            }
            if (v >= first_leaf || k == 1) {
                size_t t = k == 1 ? v : v - first_leaf, ui = ((b * L + t) * ch + h) * io;
                M[v * (V + 1) + V] = s->siso ? Bin[h * N + n] * u[ui] : u[ui + n];
            }
        }
        for (size_t c = 0; c < V; c++) {
            size_t piv = c;
            for (size_t r = c + 1; r < V; r++)
                if (fabs(M[r * (V + 1) + c]) > fabs(M[piv * (V + 1) + c]))
                    piv = r;
            for (size_t j = 0; j <= V; j++) {
                double t = M[c * (V + 1) + j];
                M[c * (V + 1) + j] = M[piv * (V + 1) + j];
                M[piv * (V + 1) + j] = t;
            }
            for (size_t r = c + 1; r < V; r++) {
                double f = M[r * (V + 1) + c] / M[c * (V + 1) + c];
                for (size_t j = c; j <= V; j++)
                    M[r * (V + 1) + j] -= f * M[c * (V + 1) + j];
            }
        }
        for (size_t r = V; r-- > 0;) {
            double acc = M[r * (V + 1) + V];
            for (size_t j = r + 1; j < V; j++)
                acc -= M[r * (V + 1) + j] * x[j * N + n];
            x[r * N + n] = acc / M[r * (V + 1) + r];
        }
    }
    for (size_t t = 0; t < L; t++) {
        size_t v = k == 1 ? t : first_leaf + t, ui = ((b * L + t) * ch + h) * io;
        if (s->siso) {
            double acc = D[h] * u[ui];
            for (size_t n = 0; n < N; n++)
                acc += Cout[h * N + n] * x[v * N + n];
            y[ui] = acc;
        } else {
            for (size_t n = 0; n < N; n++)
                y[ui + n] = x[v * N + n];
        }
    }
    free(M);
    free(lev);
    free(x);
}

static double *rnd(size_t n, double lo, double hi)
{
    double *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = urand(lo, hi);
    return p;
}

static void test_reference_dense(void)
{
    const tune_ref_shape shapes[] = {
        {2, 3, 2, 0, 1, 0, 1}, {3, 2, 3, 1, 1, 0, 1}, {4, 2, 2, 2, 1, 0, 1},
        {2, 2, 3, 0, 0, 0, 1}, {3, 2, 2, 1, 0, 1, 1}, {1, 6, 2, 0, 1, 0, 1},
        {1, 4, 3, 1, 0, 0, 1}, {5, 1, 1, 0, 1, 1, 1}, {2, 3, 2, 1, 1, 0, 0},
    };
    const size_t batch = 2, ch = 3;
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const tune_ref_shape *s = &shapes[c];
        const size_t V = tune_ref_vertices(s), L = tune_ref_seq_len(s), N = (size_t)s->N;
        const size_t P = s->share == 0 ? (size_t)s->d + 1 : s->share == 1 ? V : batch * V;
        const size_t nu = batch * L * ch * (s->siso ? 1 : N);
        double *A = rnd(P * ch * N, 2, 3), *B = rnd(P * ch * N, -0.5, 0.5);
        double *C = rnd(P * ch * N, -0.5, 0.5), *Bin = rnd(ch * N, -1, 1);
        double *Cout = rnd(ch * N, -1, 1), *D = rnd(ch, -1, 1), *u = rnd(nu, -1, 1);
        double *y = calloc(nu, sizeof *y), *yd = calloc(nu, sizeof *yd);
        /* the f32 case reads float copies: round the doubles first */
        float *Af = NULL, *Bf = NULL, *Cf = NULL, *Binf = NULL, *Coutf = NULL, *Df = NULL,
              *uf = NULL;
        if (!s->f64) {
            double *arr[] = {A, B, C, Bin, Cout, D, u};
            size_t lens[] = {P * ch * N, P * ch * N, P * ch * N, ch * N, ch * N, ch, nu};
            float **fl[] = {&Af, &Bf, &Cf, &Binf, &Coutf, &Df, &uf};
            for (int i = 0; i < 7; i++) {
                *fl[i] = malloc(lens[i] * sizeof(float));
                for (size_t j = 0; j < lens[i]; j++) {
                    (*fl[i])[j] = (float)arr[i][j];
                    arr[i][j] = (double)(*fl[i])[j];
                }
            }
        }
        int rc = s->f64 ? tune_ref_forward(s, A, B, C, Bin, Cout, D, u, y, batch, ch)
                        : tune_ref_forward(s, Af, Bf, Cf, Binf, Coutf, Df, uf, y, batch, ch);
        CU_ASSERT_EQUAL(rc, 0);
        for (size_t b = 0; b < batch; b++)
            for (size_t h = 0; h < ch; h++)
                dense_one(s, A, B, C, Bin, Cout, D, u, yd, batch, ch, b, h);
        double worst = 0;
        for (size_t i = 0; i < nu; i++)
            worst = fmax(worst, fabs(y[i] - yd[i]) / (1e-12 + 1e-11 * fabs(yd[i])));
        EXPECT(worst <= 1, "shape %zu (k=%d d=%d N=%d share=%d siso=%d sym=%d): off the dense "
               "solve by %.3g tolerances", c, s->k, s->d, s->N, s->share, s->siso, s->symmetric,
               worst);
        free(A), free(B), free(C), free(Bin), free(Cout), free(D), free(u), free(y), free(yd);
        free(Af), free(Bf), free(Cf), free(Binf), free(Coutf), free(Df), free(uf);
    }
}

static void test_reference_pivot(void)
{
    const tune_ref_shape s = {2, 1, 1, 0, 1, 0, 1};
    double A[2] = {0, 1}, B[2] = {0, 0}, C[2] = {0, 0}, Bin[1] = {1}, Cout[1] = {1}, D[1] = {0};
    double u[2] = {1, 1}, y[2];
    CU_ASSERT_EQUAL(tune_ref_forward(&s, A, B, C, Bin, Cout, D, u, y, 1, 1), 2);
}

/* ---- suite wisdom: the file format ---- */

static void sample_wisdom(wisdom *w)
{
    memset(w, 0, sizeof *w);
    snprintf(w->myogen, sizeof w->myogen, "%s", MYOGEN_VERSION);
    snprintf(w->machine.cpu, sizeof w->machine.cpu, "Test CPU (family 1, model 2)");
    snprintf(w->machine.isa, sizeof w->machine.isa, "sse4_2 avx avx2 fma");
    snprintf(w->compiler, sizeof w->compiler, "cc: cc (Test) 1.0");
    snprintf(w->spec, sizeof w->spec, "{kernel=\"myo\", name=\"tt\", state=4}");
    w->seq_len = 64;
    w->channels = 16;
    w->batch = 1;
    w->n = 2;
    w->e[0].arity = 2;
    w->e[0].depth = 6;
    knobs_set(&w->e[0].knobs, "TC", 16);
    w->e[0].median_s = 1.5e-4;
    w->e[1].arity = 4;
    w->e[1].depth = 3;
    knobs_set(&w->e[1].knobs, "TC", 8);
    w->e[1].median_s = 1.0e-4;
    w->best_arity = 4;
    w->best_depth = 3;
}

static void test_wisdom_roundtrip(void)
{
    static wisdom w, r;
    char err[1024];
    sample_wisdom(&w);
    CU_ASSERT_EQUAL(wisdom_write(path_in("w1.txt"), &w, err, sizeof err), 0);
    EXPECT(wisdom_read(path_in("w1.txt"), &r, err, sizeof err) == 0, "read: %s", err);
    CU_ASSERT_STRING_EQUAL(r.machine.cpu, w.machine.cpu);
    CU_ASSERT_STRING_EQUAL(r.spec, w.spec);
    CU_ASSERT_EQUAL(r.n, 2);
    const wisdom_entry *e = wisdom_find(&r, 4, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->knobs.value[0], 8);
    CU_ASSERT_PTR_NULL(wisdom_find(&r, 3, 4));
    CU_ASSERT_EQUAL(r.best_arity, 4);
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &w.machine, w.compiler, w.spec, err, sizeof err), 0);
    /* each key field mismatched */
    machine_id m = w.machine;
    snprintf(m.cpu, sizeof m.cpu, "Other CPU");
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &m, w.compiler, w.spec, err, sizeof err), -1);
    EXPECT(strstr(err, "another CPU"), "%s", err);
    m = w.machine;
    snprintf(m.isa, sizeof m.isa, "sse4_2");
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &m, w.compiler, w.spec, err, sizeof err), -1);
    EXPECT(strstr(err, "ISA"), "%s", err);
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &w.machine, "cc: other 2", w.spec, err, sizeof err), -1);
    EXPECT(strstr(err, "another compiler"), "%s", err);
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &w.machine, w.compiler,
                                 "{kernel=\"myo\", name=\"tt\", state=8}", err, sizeof err), -1);
    EXPECT(strstr(err, "another spec") && strstr(err, "state=4") && strstr(err, "state=8"), "%s",
           err);
    snprintf(r.myogen, sizeof r.myogen, "0.0.0");
    CU_ASSERT_EQUAL(wisdom_match(&r, "w", &w.machine, w.compiler, w.spec, err, sizeof err), -1);
    EXPECT(strstr(err, "myogen 0.0.0"), "%s", err);
}

/* A file of several records (one per spec and machine): written, read back,
 * updated by key; a bad record anywhere makes the file malformed. */
static void test_wisdom_records(void)
{
    static wisdom w[3], r[WISDOM_MAX_RECORDS];
    char err[1024];
    int n = 0;
    for (int i = 0; i < 3; i++)
        sample_wisdom(&w[i]);
    snprintf(w[1].spec, sizeof w[1].spec, "{kernel=\"myo\", name=\"tt\", state=8}");
    snprintf(w[2].machine.cpu, sizeof w[2].machine.cpu, "Other CPU");
    CU_ASSERT_EQUAL(wisdom_write_all(path_in("wr.txt"), w, 3, err, sizeof err), 0);
    EXPECT(wisdom_read_all(path_in("wr.txt"), r, WISDOM_MAX_RECORDS, &n, err, sizeof err) == 0,
           "read_all: %s", err);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_STRING_EQUAL(r[1].spec, w[1].spec);
    CU_ASSERT_STRING_EQUAL(r[2].machine.cpu, "Other CPU");
    CU_ASSERT(wisdom_same_key(&r[0], &w[0]) && !wisdom_same_key(&r[0], &r[1]) &&
              !wisdom_same_key(&r[0], &r[2]));
    /* the one-record reader refuses a file of several */
    CU_ASSERT_EQUAL(wisdom_read(path_in("wr.txt"), r, err, sizeof err), -1);
    EXPECT(strstr(err, "more than 1 records") != NULL, "got: %s", err);
    /* save: a new file, then another key (appended), then the first key again
     * (replaced in place) */
    unlink(path_in("ws.txt"));
    CU_ASSERT_EQUAL(wisdom_save(path_in("ws.txt"), &w[0], err, sizeof err), 0);
    CU_ASSERT_EQUAL(wisdom_save(path_in("ws.txt"), &w[2], err, sizeof err), 0);
    w[0].best_arity = 2;
    w[0].best_depth = 6;
    CU_ASSERT_EQUAL(wisdom_save(path_in("ws.txt"), &w[0], err, sizeof err), 0);
    EXPECT(wisdom_read_all(path_in("ws.txt"), r, WISDOM_MAX_RECORDS, &n, err, sizeof err) == 0,
           "read_all: %s", err);
    CU_ASSERT(n == 2 && r[0].best_arity == 2 && strcmp(r[1].machine.cpu, "Other CPU") == 0);
    /* a damaged second record: checksum mismatch at its line; text between
     * records; a file that is there but not sound is not overwritten by save */
    size_t len;
    char *text = read_text(path_in("ws.txt"), &len);
    char *second = text ? strstr(text + 1, "myogen-wisdom 1") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(second);
    char *cpu = strstr(second, "Other CPU");
    cpu[0] = 'o';
    write_text(path_in("wd.txt"), text);
    CU_ASSERT_EQUAL(wisdom_read_all(path_in("wd.txt"), r, WISDOM_MAX_RECORDS, &n, err,
                                    sizeof err), -1);
    EXPECT(strstr(err, "checksum mismatch") != NULL && strstr(err, "wd.txt:") != NULL,
           "got: %s", err);
    cpu[0] = 'O';
    second[-1] = 0; /* the first record, then a stray line, then the second */
    char *joined = malloc(len + 32);
    CU_ASSERT_PTR_NOT_NULL_FATAL(joined);
    snprintf(joined, len + 32, "%s\nstray\n%s", text, second);
    write_text(path_in("wj.txt"), joined);
    CU_ASSERT_EQUAL(wisdom_read_all(path_in("wj.txt"), r, WISDOM_MAX_RECORDS, &n, err,
                                    sizeof err), -1);
    EXPECT(strstr(err, "expected another record") != NULL, "got: %s", err);
    CU_ASSERT_EQUAL(wisdom_save(path_in("wj.txt"), &w[0], err, sizeof err), -1);
    EXPECT(strstr(err, "not overwritten") != NULL, "got: %s", err);
    char *after = read_text(path_in("wj.txt"), NULL);
    CU_ASSERT(after && strcmp(after, joined) == 0);
    free(after);
    free(joined);
    free(text);
}

static void test_wisdom_spec_key(void)
{
    char key[512];
    long long v = 0;
    const char *canon = "{kernel=\"myo\", name=\"q\", passes={\"forward\", \"backward\"}, "
                        "arity=4, depth=5, state=16, share=\"level\"}";
    CU_ASSERT_EQUAL(wisdom_spec_key(canon, key, sizeof key), 0);
    /* name is not in the key: a renamed kernel keeps its wisdom */
    CU_ASSERT_STRING_EQUAL(key, "{kernel=\"myo\", passes={\"forward\", \"backward\"}, "
                                "state=16, share=\"level\"}");
    CU_ASSERT_EQUAL(wisdom_spec_int(canon, "depth", &v), 0);
    CU_ASSERT_EQUAL(v, 5);
    CU_ASSERT_EQUAL(wisdom_spec_int(canon, "share", &v), -1);
}

/* Rewrites file with byte i replaced (or the text cut at i when c == 0). */
static void corrupt(const char *from, const char *to, size_t i, char c)
{
    size_t n;
    char *t = read_text(from, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    if (c)
        t[i] = c;
    else
        t[i] = 0;
    write_text(to, t);
    free(t);
}

static void test_wisdom_malformed(void)
{
    static wisdom w, r;
    char err[1024];
    sample_wisdom(&w);
    CU_ASSERT_EQUAL(wisdom_write(path_in("w2.txt"), &w, err, sizeof err), 0);
    size_t n;
    char *text = read_text(path_in("w2.txt"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    /* a changed knob digit: the checksum catches it */
    char *knob = strstr(text, "knobs=TC=16");
    CU_ASSERT_PTR_NOT_NULL_FATAL(knob);
    corrupt(path_in("w2.txt"), path_in("w2a.txt"), (size_t)(knob - text) + 10, '2');
    CU_ASSERT_EQUAL(wisdom_read(path_in("w2a.txt"), &r, err, sizeof err), -1);
    EXPECT(strstr(err, "checksum mismatch"), "%s", err);
    /* truncated in the middle */
    corrupt(path_in("w2.txt"), path_in("w2b.txt"), n / 2, 0);
    CU_ASSERT_EQUAL(wisdom_read(path_in("w2b.txt"), &r, err, sizeof err), -1);
    EXPECT(strstr(err, "malformed"), "%s", err);
    /* not a wisdom file at all; empty; binary */
    write_text(path_in("w2c.txt"), "return {kernel=\"myo\"}\n");
    CU_ASSERT_EQUAL(wisdom_read(path_in("w2c.txt"), &r, err, sizeof err), -1);
    EXPECT(strstr(err, "not a myogen wisdom file"), "%s", err);
    write_text(path_in("w2d.txt"), "");
    CU_ASSERT_EQUAL(wisdom_read(path_in("w2d.txt"), &r, err, sizeof err), -1);
    /* a line out of order */
    char *swapped = malloc(n + 1);
    memcpy(swapped, text, n + 1);
    char *cpu = strstr(swapped, "\ncpu "), *isa = strstr(swapped, "\nisa ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    CU_ASSERT_PTR_NOT_NULL_FATAL(isa);
    memcpy(cpu + 1, "isa", 3);
    memcpy(isa + 1, "cpu", 3);
    write_text(path_in("w2e.txt"), swapped);
    CU_ASSERT_EQUAL(wisdom_read(path_in("w2e.txt"), &r, err, sizeof err), -1);
    EXPECT(strstr(err, "w2e.txt:6: malformed"), "%s", err);
    CU_ASSERT_EQUAL(wisdom_read(path_in("no_such_file"), &r, err, sizeof err), -1);
    free(swapped);
    free(text);
}

/* ---- suite cli: the binary ---- */

/* A wisdom valid for this machine and compiler, for spec (the file's
 * canonical form), with entries (arity, depth, TC); cpu replaces the CPU
 * model when not NULL. */
static int craft_wisdom(const char *path, const char *spec_file, const char *cpu, int arity,
                        int depth, int tc)
{
    static wisdom w;
    spec s;
    cc_tool cc;
    char err[1024];
    memset(&w, 0, sizeof w);
    if (spec_load(spec_file, NULL, 0, &s, err, sizeof err) != 0 ||
        cc_init(&cc, err, sizeof err) != 0 ||
        cc_identity(&cc, w.compiler, sizeof w.compiler, err, sizeof err) != 0) {
        EXPECT(0, "craft_wisdom: %s", err);
        return -1;
    }
    snprintf(w.myogen, sizeof w.myogen, "%s", MYOGEN_VERSION);
    machine_id_get(&w.machine);
    if (cpu)
        snprintf(w.machine.cpu, sizeof w.machine.cpu, "%s", cpu);
    wisdom_spec_key(s.canonical, w.spec, sizeof w.spec);
    w.seq_len = 64;
    w.channels = 16;
    w.batch = 1;
    w.n = 1;
    w.e[0].arity = arity;
    w.e[0].depth = depth;
    knobs_set(&w.e[0].knobs, "TC", tc);
    w.e[0].median_s = 1e-4;
    w.best_arity = arity;
    w.best_depth = depth;
    return wisdom_write(path, &w, err, sizeof err);
}

static void test_cli_tune_table_wisdom_plot(void)
{
    const char *spec_file = path_in("tune.lua");
    write_text(spec_file, level_spec);
    unlink(path_in("tune_w.txt"));
    unlink(path_in("tune.svg"));
    unlink(path_in("tune.csv"));
    result r = MYOGEN("tune", spec_file, "--seq-len", "64", "--arity", "2,4", "--budget", "1",
                      "--channels", "16", "--wisdom", path_in("tune_w.txt"), "--plot",
                      path_in("tune.svg"), "--csv", path_in("tune.csv"));
    EXPECT(r.code == 0, "tune exit %d, stderr: %.2000s", r.code, r.err);
    /* the table */
    EXPECT(strstr(r.out, "arity depth") && strstr(r.out, "tokens/s") &&
           strstr(r.out, "GFLOP/s") && strstr(r.out, "%peak") && strstr(r.out, "relative"),
           "no table header in stdout: %.1500s", r.out);
    EXPECT(strstr(r.out, "\n    2     6       64 ") && strstr(r.out, "\n    4     3       64 "),
           "no rows for arity 2 (depth 6) and 4 (depth 3): %.1500s", r.out);
    EXPECT(strstr(r.out, "winner per arity:") && strstr(r.out, "best overall: arity "),
           "no winners: %.1500s", r.out);
    EXPECT(strstr(r.err, "myogen tune: [ 1/") && strstr(r.err, "(default)"),
           "no progress lines on stderr: %.1500s", r.err);
    /* the wisdom: readable, keyed to the spec, an entry per arity */
    static wisdom w;
    char err[1024];
    EXPECT(wisdom_read(path_in("tune_w.txt"), &w, err, sizeof err) == 0, "%s", err);
    EXPECT(wisdom_find(&w, 2, 6) && wisdom_find(&w, 4, 3), "entries missing");
    EXPECT(strstr(w.spec, "kernel=\"myo\"") && !strstr(w.spec, "name=") && !strstr(w.spec, "arity=") &&
               !strstr(w.spec, "depth="),
           "spec key: %s", w.spec);
    EXPECT(w.seq_len == 64 && w.channels == 16 && w.batch == 1, "tuned line");
    /* the plot: well-formed XML (SVG) */
    char *svg = read_text(path_in("tune.svg"), NULL);
    EXPECT(svg != NULL, "no SVG written");
    if (svg) {
        const char *why = xml_check(svg);
        EXPECT(why == NULL, "SVG is not well-formed XML: %s", why ? why : "");
        EXPECT(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") &&
               strstr(svg, "time per token") && strstr(svg, "arity k"),
               "SVG lacks its root, title or axis labels");
    }
    free(svg);
    /* the CSV: a header, a row per variant that ran (arity 2 and 4 among them), one best */
    char *csv = read_text(path_in("tune.csv"), NULL);
    EXPECT(csv != NULL, "no CSV written");
    if (csv) {
        int rows = 0, bests = 0;
        for (const char *l = strchr(csv, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
            rows++;
            const char *e = strchr(l + 1, '\r');
            bests += e && e[-1] == '1' && e[-2] == ',';
        }
        EXPECT(strncmp(csv, "kernel,name,target,dtype,", 25) == 0, "CSV header: %.200s", csv);
        EXPECT(strstr(csv, "\"myo\",") && strstr(csv, ",2,6,64,\"level_sums\",") &&
                   strstr(csv, ",4,3,64,\"level_sums\","),
               "CSV rows for arity 2 (depth 6) and 4 (depth 3): %.1500s", csv);
        EXPECT(rows >= 2 && bests == 1, "CSV: %d rows, %d marked best", rows, bests);
    }
    free(csv);
    /* and with Python's XML parser when there is one (skipped otherwise) */
    const char *py[] = {"python3", "-c",
                        "import sys, xml.dom.minidom as m; "
                        "d = m.parse(sys.argv[1]); "
                        "assert d.documentElement.tagName == 'svg'",
                        path_in("tune.svg"), NULL};
    result p = run_env(NULL, py);
    EXPECT(p.code == 0 || p.code == 127, "python3 minidom rejects the SVG: %.1000s", p.err);
    result_free(&p);
    result_free(&r);
}

static void test_cli_wisdom_roundtrip(void)
{
    const char *spec_file = path_in("tune.lua");
    static wisdom w;
    char err[1024], want[64];
    write_text(spec_file, level_spec);
    if (!exists(path_in("tune_w.txt"))) {
        result r = MYOGEN("tune", spec_file, "--seq-len", "64", "--arity", "2,4", "--budget",
                          "1", "--channels", "16", "--wisdom", path_in("tune_w.txt"));
        result_free(&r);
    }
    if (!EXPECT(wisdom_read(path_in("tune_w.txt"), &w, err, sizeof err) == 0, "%s", err))
        return;
    /* the tuner's own wisdom: generate arity 4 (depth 3) with it */
    const wisdom_entry *e = wisdom_find(&w, 4, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    unlink(path_in("rt.c"));
    result r = MYOGEN(spec_file, "-D", "arity=4", "-D", "depth=3", "--wisdom",
                      path_in("tune_w.txt"), "-o", path_in("rt.c"));
    EXPECT(r.code == 0, "generate with wisdom: exit %d, %s", r.code, r.err);
    char *c = read_text(path_in("rt.c"), NULL);
    snprintf(want, sizeof want, "#define tt_TC %lld\n", e->knobs.value[0]);
    EXPECT(c && strstr(c, want) && strstr(c, "} with knobs TC="),
           "recorded knobs not applied (want %s)", want);
    free(c);
    result_free(&r);
    /* a crafted wisdom with a non-default knob: it is what the kernel gets */
    CU_ASSERT_EQUAL(craft_wisdom(path_in("w8.txt"), spec_file, NULL, 2, 2, 8), 0);
    r = MYOGEN(spec_file, "--wisdom", path_in("w8.txt"), "-o", path_in("w8.c"));
    EXPECT(r.code == 0, "exit %d, %s", r.code, r.err);
    c = read_text(path_in("w8.c"), NULL);
    EXPECT(c && strstr(c, "#define tt_TC 8\n"), "TC=8 from the wisdom not applied");
    free(c);
    result_free(&r);
    /* the same wisdom for the kernel renamed (name is only the symbols' prefix) */
    r = MYOGEN(spec_file, "-D", "name=renamed", "--wisdom", path_in("w8.txt"), "-o",
               path_in("w8r.c"));
    EXPECT(r.code == 0, "renamed kernel with wisdom: exit %d, %s", r.code, r.err);
    c = read_text(path_in("w8r.c"), NULL);
    EXPECT(c && strstr(c, "#define renamed_TC 8\n"), "TC=8 not applied to the renamed kernel");
    free(c);
    result_free(&r);
    /* without wisdom: the deterministic default, byte-identical twice */
    r = MYOGEN(spec_file, "-o", path_in("d.c"));
    result_free(&r);
    char *d1 = read_text(path_in("d.c"), NULL);
    r = MYOGEN(spec_file, "-o", path_in("d.c"));
    result_free(&r);
    char *d2 = read_text(path_in("d.c"), NULL);
    EXPECT(d1 && d2 && strcmp(d1, d2) == 0 && strstr(d1, "#define tt_TC 64\n"),
           "default generation not deterministic");
    free(d1);
    free(d2);
}

/* myogen wisdom list / merge / prune, and generation from a file of several
 * records (the one for this machine is taken) */
static void test_cli_wisdom_tool(void)
{
    const char *spec_file = path_in("tune.lua");
    write_text(spec_file, level_spec);
    CU_ASSERT_EQUAL(craft_wisdom(path_in("here.txt"), spec_file, NULL, 2, 2, 8), 0);
    CU_ASSERT_EQUAL(craft_wisdom(path_in("other.txt"), spec_file, "Other CPU (family 9)", 2, 2,
                                 16), 0);
    result r = MYOGEN("wisdom", "merge", "-o", path_in("merged.txt"), path_in("other.txt"),
                      path_in("here.txt"));
    EXPECT(r.code == 0, "merge: exit %d, %s", r.code, r.err);
    result_free(&r);
    r = MYOGEN("wisdom", "list", path_in("merged.txt"));
    EXPECT(r.code == 0 && r.out && strstr(r.out, "Other CPU") &&
               strchr(strchr(r.out, '\n') + 1, '\n') && !strchr(strchr(strchr(r.out, '\n') + 1, '\n') + 1, '\n'),
           "list: expected two lines, got exit %d, \"%s\"", r.code, r.out);
    result_free(&r);
    /* generation takes this machine's record (TC 8), not the other's (TC 16) */
    r = MYOGEN(spec_file, "--wisdom", path_in("merged.txt"), "-o", path_in("m.c"));
    EXPECT(r.code == 0, "generate: exit %d, %s", r.code, r.err);
    char *c = read_text(path_in("m.c"), NULL);
    EXPECT(c && strstr(c, "#define tt_TC 8\n"), "this machine's record not taken");
    free(c);
    result_free(&r);
    /* only the other machine's record: rejected, saying why */
    r = MYOGEN(spec_file, "--wisdom", path_in("other.txt"), "-o", path_in("m2.c"));
    EXPECT_REJECTED(r, "Other CPU");
    result_free(&r);
    /* prune keeps this machine's record */
    r = MYOGEN("wisdom", "prune", path_in("merged.txt"), "-o", path_in("pruned.txt"));
    EXPECT(r.code == 0 && r.out && strstr(r.out, "kept 1 of 2"), "prune: exit %d, %s%s",
           r.code, r.out, r.err);
    result_free(&r);
    r = MYOGEN("wisdom", "list", path_in("pruned.txt"));
    EXPECT(r.code == 0 && r.out && !strstr(r.out, "Other CPU"), "pruned list: %s", r.out);
    result_free(&r);
    /* bad input: one line, exit 2, nothing written */
    r = MYOGEN("wisdom", "sort", path_in("merged.txt"));
    EXPECT_REJECTED(r, "unknown command 'sort'");
    result_free(&r);
    r = MYOGEN("wisdom", "merge", path_in("merged.txt"));
    EXPECT_REJECTED(r, "-o OUT is required");
    result_free(&r);
    write_text(path_in("junk.txt"), "not wisdom\n");
    unlink(path_in("never.txt"));
    r = MYOGEN("wisdom", "merge", "-o", path_in("never.txt"), path_in("junk.txt"));
    EXPECT_REJECTED(r, "not a myogen wisdom file");
    CU_ASSERT(!exists(path_in("never.txt")));
    result_free(&r);
}

static void test_cli_wisdom_rejected(void)
{
    const char *spec_file = path_in("tune.lua");
    write_text(spec_file, level_spec);
    CU_ASSERT_EQUAL_FATAL(craft_wisdom(path_in("ok.txt"), spec_file, NULL, 2, 2, 8), 0);
    /* corrupted: one byte changed */
    size_t n;
    char *t = read_text(path_in("ok.txt"), &n);
    char *k = strstr(t, "knobs=TC=8");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    corrupt(path_in("ok.txt"), path_in("bad1.txt"), (size_t)(k - t) + 9, '9');
    free(t);
    unlink(path_in("out.c"));
    result r = MYOGEN(spec_file, "--wisdom", path_in("bad1.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "checksum mismatch");
    CU_ASSERT_FALSE(exists(path_in("out.c")));
    result_free(&r);
    /* garbage */
    write_text(path_in("bad2.txt"), "hello\nworld\n");
    r = MYOGEN(spec_file, "--wisdom", path_in("bad2.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "not a myogen wisdom file");
    result_free(&r);
    /* another CPU (a well-formed file) */
    CU_ASSERT_EQUAL(craft_wisdom(path_in("cpu.txt"), spec_file, "Imaginary CPU 9000", 2, 2, 8), 0);
    r = MYOGEN(spec_file, "--wisdom", path_in("cpu.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "another CPU");
    result_free(&r);
    /* another spec */
    r = MYOGEN(spec_file, "-D", "state=8", "--wisdom", path_in("ok.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "another spec");
    result_free(&r);
    write_text(path_in("other.lua"), vertex_spec);
    r = MYOGEN(path_in("other.lua"), "--wisdom", path_in("ok.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "another spec");
    result_free(&r);
    /* another compiler: $CC names another command ("cc -O0" is another
     * build for the key); one that does not run cannot be checked */
    r = run_myogen("CC=cc -O0", spec_file, "--wisdom", path_in("ok.txt"), "-o",
                   path_in("out.c"), (const char *)NULL);
    EXPECT_REJECTED(r, "another compiler");
    result_free(&r);
    r = run_myogen("CC=/nonexistent/cc", spec_file, "--wisdom", path_in("ok.txt"), "-o", path_in("out.c"),
                   (const char *)NULL);
    EXPECT_REJECTED(r, "cannot check its compiler");
    result_free(&r);
    /* an arity/depth the wisdom has no entry for */
    r = MYOGEN(spec_file, "-D", "arity=4", "--wisdom", path_in("ok.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "no entry for arity 4, depth 2");
    result_free(&r);
    /* a missing file */
    r = MYOGEN(spec_file, "--wisdom", path_in("none.txt"), "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "cannot open");
    result_free(&r);
    CU_ASSERT_FALSE(exists(path_in("out.c")));
    /* --wisdom-lenient: another key or arity warns and generates with the
     * default knobs (the same bytes as without wisdom); a damaged file is
     * still rejected, and the flag needs --wisdom */
    r = MYOGEN(spec_file, "-o", path_in("out.c"));
    EXPECT(r.code == 0, "no-wisdom generate: exit %d, %s", r.code, r.err);
    result_free(&r);
    char *a = read_text(path_in("out.c"), NULL);
    const char *lenient_cases[][2] = {{"cpu.txt", "another CPU"}, {"ok.txt", "no entry for arity 4"}};
    for (int c = 0; c < 2; c++) {
        unlink(path_in("out.c"));
        r = c == 0 ? MYOGEN(spec_file, "--wisdom", path_in(lenient_cases[c][0]), "--wisdom-lenient",
                            "-o", path_in("out.c"))
                   : MYOGEN(spec_file, "-D", "arity=4", "--wisdom", path_in(lenient_cases[c][0]),
                            "--wisdom-lenient", "-o", path_in("out.c"));
        EXPECT(r.code == 0 && strstr(r.err, "warning: ") && strstr(r.err, lenient_cases[c][1]) &&
                   strstr(r.err, "default knobs"),
               "lenient %s: exit %d, stderr %.500s", lenient_cases[c][0], r.code, r.err);
        result_free(&r);
    }
    r = MYOGEN(spec_file, "--wisdom", path_in("cpu.txt"), "--wisdom-lenient", "-o", path_in("out.c"));
    result_free(&r);
    char *b = read_text(path_in("out.c"), NULL);
    EXPECT(a && b && strcmp(a, b) == 0, "lenient output differs from the defaults'");
    free(a);
    free(b);
    unlink(path_in("out.c"));
    r = MYOGEN(spec_file, "--wisdom", path_in("bad1.txt"), "--wisdom-lenient", "-o", path_in("out.c"));
    EXPECT_REJECTED(r, "checksum mismatch");
    result_free(&r);
    CU_ASSERT_FALSE(exists(path_in("out.c")));
    r = MYOGEN(spec_file, "--wisdom-lenient", "-o", path_in("out.c"));
    EXPECT(r.code == 2 && strstr(r.err, "--wisdom-lenient goes with"), "lenient alone: exit %d, %s",
           r.code, r.err);
    result_free(&r);
}

static void test_cli_fault_excluded(void)
{
    const char *spec_file = path_in("tune.lua");
    write_text(spec_file, level_spec);
    unlink(path_in("fault_w.txt"));
    /* variant 1 is arity 2 with the default knob (TC=64): corrupted */
    result r = MYOGEN("tune", spec_file, "--seq-len", "64", "--arity", "2,4", "--budget", "1",
                      "--channels", "16", "--inject-fault", "1", "--wisdom",
                      path_in("fault_w.txt"));
    EXPECT(r.code == 0, "exit %d, %.2000s", r.code, r.err);
    EXPECT(strstr(r.err, "[ 1/") && strstr(r.err, "TC=64 (default): WRONG") &&
           strstr(r.err, "excluded"), "variant 1 not reported wrong: %.2000s", r.err);
    EXPECT(strstr(r.out, "TC=64          WRONG"), "no WRONG row: %.2000s", r.out);
    EXPECT(strstr(r.out, "1 wrong (excluded)"), "summary: %.2000s", r.out);
    static wisdom w;
    char err[1024];
    if (EXPECT(wisdom_read(path_in("fault_w.txt"), &w, err, sizeof err) == 0, "%s", err)) {
        const wisdom_entry *e = wisdom_find(&w, 2, 6);
        EXPECT(!e || e->knobs.value[0] != 64, "the broken variant won arity 2");
        EXPECT(!(w.best_arity == 2 && e && e->knobs.value[0] == 64), "the broken variant won");
    }
    result_free(&r);
    /* the same hook on the only variant: nothing passes, nothing is recorded */
    unlink(path_in("fault2_w.txt"));
    r = MYOGEN("tune", spec_file, "--seq-len", "16", "--arity", "16", "--budget", "0.01",
               "--channels", "4", "--inject-fault", "1", "--wisdom", path_in("fault2_w.txt"));
    EXPECT(r.code == 1 && strstr(r.err, "no variant passed the check"),
           "exit %d, %.2000s", r.code, r.err);
    CU_ASSERT_FALSE(exists(path_in("fault2_w.txt")));
    result_free(&r);
}

/* mlr: arity = the block split factor, depth and ranks kept, and the knob
 * B (the tiles' largest side); arity 3 cannot split 64 positions over 3
 * levels (skipped), variant 1 (arity 2, its default B) is broken by the
 * hook and excluded, arity 4 wins; its wisdom entry records its B and
 * generates the kernel with it. */
static void test_cli_mlr(void)
{
    const char *spec_file = path_in("mlr.lua");
    write_text(spec_file, mlr_spec);
    unlink(path_in("mlr_w.txt"));
    result r = MYOGEN("tune", spec_file, "--seq-len", "64", "--arity", "2,3,4", "--budget", "1",
                      "--channels", "2", "--batch", "2", "--inject-fault", "1", "--wisdom",
                      path_in("mlr_w.txt"));
    EXPECT(r.code == 0, "exit %d, stderr: %.2000s", r.code, r.err);
    EXPECT(strstr(r.out, "(mlr, target c, f32, depth 3, ranks {2,2,2}") &&
           strstr(r.out, "arity depth") && strstr(r.out, "knobs") && strstr(r.out, "tokens/s") &&
           strstr(r.out, "GFLOP/s") && strstr(r.out, "%peak"),
           "no mlr table header: %.2000s", r.out);
    EXPECT(strstr(r.out, "\n    2     3        16 B=32           WRONG  (disagrees with the "
                         "reference"),
           "arity 2 not excluded: %.2000s", r.out);
    EXPECT(strstr(r.out, "\n    3     3         - -            skipped  (seq_len 64 not "
                         "divisible by 3^2)"),
           "arity 3 not skipped: %.2000s", r.out);
    EXPECT(strstr(r.out, "\n    4     3         4 B=") && strstr(r.out, "<- best") &&
           strstr(r.out, "best overall: arity 4, depth 3, B="), "arity 4 not the winner: %.2000s",
           r.out);
    EXPECT(strstr(r.out, "1 wrong (excluded)") &&
           strstr(r.out, "skipped (seq_len not divisible, budget or pruned)"), "summary: %.2000s",
           r.out);
    EXPECT(strstr(r.err, "arity 2 depth 3 B=32 (default): WRONG") && strstr(r.err, "excluded") &&
           strstr(r.err, "arity 3 depth 3: skipped: seq_len 64 not divisible"),
           "no WRONG or skipped progress line: %.2000s", r.err);
    static wisdom w;
    char err[1024];
    long long b = 0;
    if (EXPECT(wisdom_read(path_in("mlr_w.txt"), &w, err, sizeof err) == 0, "%s", err)) {
        EXPECT(!wisdom_find(&w, 2, 3), "the broken variant was recorded");
        const wisdom_entry *e = wisdom_find(&w, 4, 3);
        EXPECT(e && e->knobs.n == 1 && strcmp(e->knobs.name[0], "B") == 0 && e->median_s > 0,
               "entry 4/3 missing or without B");
        if (e)
            b = e->knobs.value[0];
        EXPECT(w.best_arity == 4 && w.best_depth == 3 && w.seq_len == 64 && w.channels == 2 &&
               w.batch == 2, "best/tuned lines");
        EXPECT(strstr(w.spec, "kernel=\"mlr\"") && strstr(w.spec, "seq_len=64") &&
               !strstr(w.spec, "arity="), "spec key: %s", w.spec);
    }
    result_free(&r);
    /* the wisdom applies its B to the spec at arity 4 */
    r = MYOGEN(spec_file, "-D", "arity=4", "--wisdom", path_in("mlr_w.txt"), "-o",
               path_in("mlr_a.c"));
    EXPECT(r.code == 0, "generate with wisdom: exit %d, %s", r.code, r.err);
    result_free(&r);
    {
        char want[64];
        snprintf(want, sizeof want, "} with knobs B=%lld\n", b);
        EXPECT(b > 0 && file_has(path_in("mlr_a.c"), want), "the kernel has not B=%lld", b);
    }
    /* an arity the wisdom has no entry for (arity 2 was broken) is rejected */
    r = MYOGEN(spec_file, "--wisdom", path_in("mlr_w.txt"), "-o", path_in("mlr_c.c"));
    EXPECT_REJECTED(r, "no entry for arity 2, depth 3");
    result_free(&r);
}

/* btt: the factors are the model, the knob MB (rows per GEMM tile) is
 * tuned; variant 1 (the default) is broken by the hook and excluded, another
 * value wins; its wisdom generates that MB, keyed by the factors. */
static void test_cli_btt(void)
{
    const char *spec_file = path_in("btt.lua");
    write_text(spec_file, btt_spec);
    unlink(path_in("btt_w.txt"));
    /* (a budget of 2 s left every other variant unrun under the sanitizers'
     * build on a loaded 2-core machine: the broken one took 1 s) */
    result r = MYOGEN("tune", spec_file, "--seq-len", "50", "--budget", "6", "--inject-fault",
                      "1", "--wisdom", path_in("btt_w.txt"), "--csv", path_in("btt.csv"));
    EXPECT(r.code == 0, "exit %d, stderr: %.2000s", r.code, r.err);
    EXPECT(strstr(r.out, "(btt matmul, target c, f64, 6 x 10 -> 10 x 6, rank 2)") &&
           strstr(r.out, "rows/s") && strstr(r.out, "GFLOP/s"), "no btt table: %.2000s", r.out);
    EXPECT(strstr(r.out, "WRONG  (disagrees with the reference") && strstr(r.out, "<- best") &&
           strstr(r.out, "best: MB="), "the broken default not excluded: %.2000s", r.out);
    EXPECT(strstr(r.err, "[ 1/") && strstr(r.err, "MB=") && strstr(r.err, "WRONG"),
           "no WRONG progress line: %.2000s", r.err);
    static wisdom w;
    char err[1024];
    long long mb = 0;
    if (EXPECT(wisdom_read(path_in("btt_w.txt"), &w, err, sizeof err) == 0, "%s", err)) {
        const wisdom_entry *e = wisdom_find(&w, 6, 2);
        EXPECT(e && e->knobs.n == 1 && strcmp(e->knobs.name[0], "MB") == 0 && e->median_s > 0,
               "entry 6/2 missing or without MB");
        if (e)
            mb = e->knobs.value[0];
        EXPECT(strstr(w.spec, "arity={6, 10}") && strstr(w.spec, "out_arity={10, 6}"),
               "the factors are not in the key: %s", w.spec);
    }
    result_free(&r);
    r = MYOGEN(spec_file, "--wisdom", path_in("btt_w.txt"), "-o", path_in("btt_k.c"));
    EXPECT(r.code == 0, "generate with wisdom: exit %d, %s", r.code, r.err);
    result_free(&r);
    {
        char want[64];
        snprintf(want, sizeof want, "#define tb_MB %lld\n", mb);
        EXPECT(mb > 0 && file_has(path_in("btt_k.c"), want), "the kernel has not MB=%lld", mb);
    }
    /* threads = "openmp": built with -fopenmp, the peak and table for OMP_NUM_THREADS */
    r = run_myogen("OMP_NUM_THREADS=2", "tune", spec_file, "-D", "threads=openmp", "--seq-len",
                   "40", "--budget", "1", (const char *)NULL);
    EXPECT(r.code == 0 && strstr(r.out, "(c f64, 2 threads)") && !strstr(r.out, "WRONG") &&
               !strstr(r.out, "FAILED"),
           "openmp: exit %d, %.2000s%.1000s", r.code, r.out, r.err);
    result_free(&r);
    /* other factors: the record does not apply */
    r = MYOGEN(spec_file, "-D", "arity=8", "--wisdom", path_in("btt_w.txt"), "-o",
               path_in("btt_k2.c"));
    EXPECT_REJECTED(r, "recorded for another spec");
    result_free(&r);
}

/* The record of a GPU tune of a myo spec at arity 4, depth 2 (in the work
 * directory: wfile): its isa line, its device naming `device` (and its
 * driver), one TL entry; generating spec_file with it into out applies that TL. */
static void check_gpu_record(const char *spec_file, const char *wfile, const char *isa,
                             const char *device, const char *out)
{
    static wisdom w;
    char err[1024], want[64];
    long long tl = 0;
    if (EXPECT(wisdom_read(path_in(wfile), &w, err, sizeof err) == 0, "%s", err)) {
        const wisdom_entry *e = wisdom_find(&w, 4, 2);
        EXPECT(strcmp(w.machine.isa, isa) == 0 && strstr(w.machine.cpu, device),
               "not a GPU record naming its device and driver: cpu '%s', isa '%s'", w.machine.cpu,
               w.machine.isa);
        EXPECT(e && e->knobs.n == 1 && strcmp(e->knobs.name[0], "TL") == 0, "no TL entry");
        if (e)
            tl = e->knobs.value[0];
    }
    result r = MYOGEN(spec_file, "--wisdom", path_in(wfile), "-o", path_in(out));
    EXPECT(r.code == 0, "generate with the GPU record: exit %d, %s", r.code, r.err);
    result_free(&r);
    snprintf(want, sizeof want, "} with knobs TL=%lld\n", tl);
    EXPECT(tl > 0 && file_has(path_in(out), want), "the kernel has not TL=%lld", tl);
}

/* target "opencl" (PoCL in CI): built with the runtime pair against
 * -lOpenCL, checked through the host-pointer entry points, timed by its
 * kernels' device time; the record names the device and applies its knob
 * wherever the kernel is generated. */
static void test_cli_opencl(void)
{
    const char *spec_file = path_in("ocl.lua");
    write_text(spec_file, "return {kernel=\"myo\", name=\"to\", arity=4, depth=2, state=3,"
                          " share=\"vertex\", target=\"opencl\"}\n");
    unlink(path_in("ocl_w.txt"));
    result r = MYOGEN("tune", spec_file, "--seq-len", "16", "--arity", "4", "--channels", "5",
                      "--batch", "2", "--budget", "30", "--wisdom", path_in("ocl_w.txt"));
    EXPECT(r.code == 0, "exit %d, stderr: %.3000s", r.code, r.err);
    EXPECT(strstr(r.out, "\ndevice ") && strstr(r.out, "its kernels' device time") &&
           strstr(r.out, "tree       TL=") && strstr(r.out, "<- best") &&
           !strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"), "table: %.3000s", r.out);
    EXPECT(!strstr(r.err, "measured FMA peak"), "a host peak for a GPU tune: %.2000s", r.err);
    result_free(&r);
    check_gpu_record(spec_file, "ocl_w.txt", WISDOM_GPU_ISA, " (driver ", "ocl_k.c");
    /* mlr and btt: their GPU knobs (the flash tiles, the GEMMs' row tile),
     * every value checked against the reference on the device */
    write_text(path_in("ocl_m.lua"), "return {kernel=\"mlr\", name=\"tm\", seq_len=64, arity=2,"
                                     " depth=3, state={8,4,4}, value_dim=8, target=\"opencl\"}\n");
    r = MYOGEN("tune", path_in("ocl_m.lua"), "--seq-len", "64", "--arity", "2", "--budget", "20");
    EXPECT(r.code == 0 && strstr(r.out, " B=64 ") && strstr(r.out, " B=32 ") &&
               !strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"),
           "mlr on OpenCL: exit %d, %.3000s%.2000s", r.code, r.out, r.err);
    result_free(&r);
    write_text(path_in("ocl_b.lua"), "return {kernel=\"btt\", name=\"tb\", op=\"matmul\", arity=4,"
                                     " state=2, target=\"opencl\"}\n");
    r = MYOGEN("tune", path_in("ocl_b.lua"), "--seq-len", "96", "--budget", "20");
    EXPECT(r.code == 0 && strstr(r.out, "MB=64 ") && strstr(r.out, "MB=32 ") &&
               strstr(r.out, "MB=16 ") && !strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"),
           "btt on OpenCL: exit %d, %.3000s%.2000s", r.code, r.out, r.err);
    result_free(&r);
}

/* target "cuda" through tests/cuda_emu (MYOGEN_NVCC: the kernels built by
 * the host C++ compiler, run on host threads): the variants' data moved to
 * the "device", calls timed from launch to completion, a CUDA record; mlr
 * in bf16 (tensor-core forward: B does not shape it, one variant), btt's
 * MB, a broken variant excluded, and nvcc missing. */
static void test_cli_cuda(void)
{
    const char *spec_file = path_in("cu.lua");
    write_text(spec_file, "return {kernel=\"myo\", name=\"tc\", arity=4, depth=2, state=3,"
                          " share=\"vertex\", target=\"cuda\"}\n");
    unlink(path_in("cu_w.txt"));
    result r = MYOGEN("tune", spec_file, "--seq-len", "16", "--arity", "4", "--channels", "5",
                      "--batch", "2", "--budget", "15", "--wisdom", path_in("cu_w.txt"));
    EXPECT(r.code == 0, "exit %d, stderr: %.3000s", r.code, r.err);
    EXPECT(strstr(r.out, "\ndevice cuda_emu") && strstr(r.out, "launch to completion") &&
           strstr(r.out, "tree       TL=") && strstr(r.out, "<- best") &&
           !strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"), "table: %.3000s", r.out);
    result_free(&r);
    check_gpu_record(spec_file, "cu_w.txt", WISDOM_CUDA_ISA, "cuda_emu (host threads) (CUDA driver ",
                     "cu_k.cu");
    EXPECT(file_has(path_in("cu_w.txt"), ": release emu "), "the record does not name nvcc's release");
    write_text(path_in("cu_m.lua"), "return {kernel=\"mlr\", name=\"tcm\", seq_len=64, arity=2,"
                                    " depth=3, state={8,4,4}, value_dim=16, target=\"cuda\","
                                    " dtype=\"bf16\"}\n");
    r = MYOGEN("tune", path_in("cu_m.lua"), "--seq-len", "64", "--arity", "2", "--budget", "10");
    EXPECT(r.code == 0 && strstr(r.out, "(bf16; times:") && strstr(r.out, " B=64 ") &&
               !strstr(r.out, " B=32 ") && !strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"),
           "mlr bf16 on CUDA: exit %d, %.3000s%.2000s", r.code, r.out, r.err);
    result_free(&r);
    write_text(path_in("cu_b.lua"), "return {kernel=\"btt\", name=\"tcb\", op=\"matmul\", arity=4,"
                                    " state=2, target=\"cuda\"}\n");
    r = MYOGEN("tune", path_in("cu_b.lua"), "--seq-len", "96", "--budget", "10", "--inject-fault",
               "2");
    EXPECT(r.code == 0 && strstr(r.out, "MB=64 ") && strstr(r.out, "MB=32 ") &&
               strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"),
           "btt on CUDA, variant 2 broken: exit %d, %.3000s%.2000s", r.code, r.out, r.err);
    result_free(&r);
    if (access("/usr/local/cuda/bin/nvcc", X_OK) != 0) { /* (else that one is found) */
        const char *old = getenv("MYOGEN_NVCC");
        char keep[4096];
        snprintf(keep, sizeof keep, "%s", old ? old : "");
        setenv("MYOGEN_NVCC", path_in("no-nvcc"), 1);
        char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
        setenv("PATH", path_in("no-bin"), 1);
        unsetenv("CUDA_HOME");
        unsetenv("CUDA_PATH");
        r = run_myogen(NULL, "tune", spec_file, "--seq-len", "16", (const char *)NULL);
        EXPECT(r.code == 2 && strstr(r.err, "target \"cuda\": nvcc not found") &&
                   !strchr(strchr(r.err, '\n') ? strchr(r.err, '\n') + 1 : "", '\n'),
               "no nvcc: exit %d, %.2000s", r.code, r.err);
        result_free(&r);
        if (path)
            setenv("PATH", path, 1);
        free(path);
        setenv("MYOGEN_NVCC", keep, 1);
    }
}

static void test_cli_tree_solve(void)
{
    /* a tree-solve spec: knob TL, f64, readout none, arity 1 (the chain) too */
    const char *spec_file = path_in("tv.lua");
    write_text(spec_file, vertex_spec);
    result r = MYOGEN("tune", spec_file, "--seq-len", "9", "--arity", "1,3", "--budget", "1",
                      "--channels", "5", "--batch", "2");
    EXPECT(r.code == 0, "exit %d, %.2000s", r.code, r.err);
    EXPECT(strstr(r.out, "\n    1     8        9   0.0% chain") &&
           strstr(r.out, "\n    3     2        9   0.0% tree") && strstr(r.out, "TL="),
           "rows: %.2000s", r.out);
    EXPECT(!strstr(r.out, "WRONG") && !strstr(r.out, "FAILED"), "a variant failed: %.3000s%.3000s",
           r.out, r.err);
    result_free(&r);
    /* padding: 10 positions in a binary tree of 16 */
    r = MYOGEN("tune", spec_file, "--seq-len", "10", "--arity", "2", "--budget", "0.5",
               "--channels", "3");
    EXPECT(r.code == 0 && strstr(r.out, "\n    2     4       16  37.5% tree"), "padding row: %.2000s",
           r.out);
    result_free(&r);
}

/* Every CPU target tunes where this machine runs it (its FMA peak loop
 * written in that ISA's vocabulary), and is refused with one line where it
 * does not. */
static void test_cli_every_isa(void)
{
    static const struct {
        const char *target;
        int runs;
    } isas[] = {
#if defined(__x86_64__) || defined(__i386__)
        {"avx512", -1}, {"avx2", -1}, {"neon", 0},
#elif defined(__aarch64__)
        {"avx512", 0}, {"avx2", 0}, {"neon", 1},
#endif
        {"c", 1},
    };
    const char *spec_file = path_in("isa.lua");
    write_text(spec_file, vertex_spec);
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        char target[32], want[64];
        int runs = isas[i].runs;
#if defined(__x86_64__) || defined(__i386__)
        if (runs < 0)
            runs = strcmp(isas[i].target, "avx512") == 0
                       ? __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")
                       : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
        snprintf(target, sizeof target, "target=%s", isas[i].target);
        result r = MYOGEN("tune", spec_file, "--seq-len", "9", "--arity", "3", "--budget", "0.5",
                          "--channels", "5", "-D", target);
        if (runs) {
            snprintf(want, sizeof want, "(%s f64, 1 thread)", isas[i].target);
            EXPECT(r.code == 0 && strstr(r.out, want) && !strstr(r.out, "WRONG"),
                   "%s: exit %d, %.1000s%.1000s", isas[i].target, r.code, r.out, r.err);
        } else {
            snprintf(want, sizeof want, "target \"%s\" does not run on this machine",
                     isas[i].target);
            EXPECT_REJECTED(r, want);
        }
        result_free(&r);
    }
}

static void test_cli_bad_input(void)
{
    const char *spec_file = path_in("tune.lua");
    write_text(spec_file, level_spec);
    struct {
        const char *args[8];
        const char *want;
    } cases[] = {
        {{"tune", "--seq-len", "64", NULL}, "no spec file"},
        {{"tune", spec_file, NULL}, "--seq-len is required"},
        {{"tune", spec_file, "--seq-len", "1", NULL}, "--seq-len"},
        {{"tune", spec_file, "--seq-len", "x", NULL}, "--seq-len"},
        {{"tune", spec_file, "--seq-len", "64", "--arity", "0", NULL}, "--arity"},
        {{"tune", spec_file, "--seq-len", "64", "--arity", "2,2", NULL}, "--arity"},
        {{"tune", spec_file, "--seq-len", "64", "--arity", "17", NULL}, "--arity"},
        {{"tune", spec_file, "--seq-len", "64", "--budget", "-1", NULL}, "--budget"},
        {{"tune", spec_file, "--seq-len", "64", "--channels", "0", NULL}, "--channels"},
        {{"tune", spec_file, "--seq-len", "64", "--bogus", "1", NULL}, "unknown option"},
        {{"tune", spec_file, "--seq-len", NULL}, "missing value"},
        {{"tune", spec_file, "--seq-len", "64", "-D", "state=0", NULL}, "state"},
        {{"tune", spec_file, "--seq-len", "64", "-D", "block=dense", NULL}, "dense"},
        {{"tune", path_in("missing.lua"), "--seq-len", "64", NULL}, "cannot open"},
        {{"check", spec_file, "--wisdom", "w", NULL}, "--wisdom"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[12] = {myogen};
        int n = 1;
        for (int j = 0; cases[i].args[j]; j++)
            argv[n++] = cases[i].args[j];
        argv[n] = NULL;
        result r = run_env(NULL, argv);
        EXPECT_REJECTED(r, cases[i].want);
        EXPECT(r.out[0] == 0, "case %zu wrote to stdout", i);
        result_free(&r);
    }
    /* btt: attention is not tuned, and its factors are not --arity's */
    write_text(path_in("btt_at.lua"), "return {kernel=\"btt\", name=\"b\", arity=4, state=2,"
                                      " op=\"attention\", seq_len=16, value_dim=4}\n");
    result r = MYOGEN("tune", path_in("btt_at.lua"), "--seq-len", "64");
    EXPECT(r.code == 2 && strstr(r.err, "op = \"attention\" is not tuned"), "btt: exit %d, %s",
           r.code, r.err);
    result_free(&r);
    write_text(path_in("btt_mm.lua"), btt_spec);
    r = MYOGEN("tune", path_in("btt_mm.lua"), "--seq-len", "64", "--arity", "2,4");
    EXPECT(r.code == 2 && strstr(r.err, "--arity is not for btt"), "btt --arity: exit %d, %s",
           r.code, r.err);
    result_free(&r);
    /* mlr: the plot and the CSV as for myo (one driver), and a --seq-len the
     * spec's depth cannot split */
    write_text(path_in("mlr_bad.lua"), mlr_spec);
    r = MYOGEN("tune", path_in("mlr_bad.lua"), "--seq-len", "64", "--arity", "2,4", "--budget",
               "1", "--plot", path_in("m.svg"), "--csv", path_in("m.csv"));
    EXPECT(r.code == 0, "mlr plot: exit %d, %s", r.code, r.err);
    {
        size_t n;
        char *svg = read_text(path_in("m.svg"), &n), *csv = read_text(path_in("m.csv"), &n);
        EXPECT(svg && strstr(svg, "<svg") && strstr(svg, "</svg>"), "mlr: no SVG written");
        EXPECT(csv && strstr(csv, "\n\"mlr\",\"tm\",\"c\",\"f32\",") && strstr(csv, ",ok,"),
               "mlr: no CSV rows: %.500s", csv ? csv : "(none)");
        free(svg);
        free(csv);
    }
    result_free(&r);
    r = MYOGEN("tune", path_in("mlr_bad.lua"), "--seq-len", "30");
    EXPECT(r.code == 2 && strstr(r.err, "seq_len 30") && strstr(r.err, "divisible"),
           "mlr seq_len 30: exit %d, %s", r.code, r.err);
    result_free(&r);
    /* every arity skipped: nothing could run, which is bad input (exit 2), not a failure */
    r = MYOGEN("tune", path_in("mlr_bad.lua"), "--seq-len", "64", "--arity", "3,5");
    EXPECT(r.code == 2 && strstr(r.err, "no arity in --arity can split seq_len 64") &&
           strchr(r.err, '\n') == r.err + strlen(r.err) - 1 && r.out[0] == 0,
           "mlr all arities skipped: exit %d, %s", r.code, r.err);
    result_free(&r);
    r = MYOGEN("tune", "--help");
    EXPECT(r.code == 0 && strstr(r.out, "--seq-len") && strstr(r.out, "--inject-fault"),
           "tune --help");
    result_free(&r);
}

/* getopt_long style: every option of tune also as --opt=value */
static void test_cli_long_option_equals(void)
{
    const char *spec_file = path_in("eq.lua");
    write_text(spec_file, level_spec);
    char wisdom_arg[4200], plot_arg[4200];
    snprintf(wisdom_arg, sizeof wisdom_arg, "--wisdom=%s", path_in("eq_w.txt"));
    snprintf(plot_arg, sizeof plot_arg, "--plot=%s", path_in("eq.svg"));
    unlink(path_in("eq_w.txt"));
    unlink(path_in("eq.svg"));
    result r = MYOGEN("tune", spec_file, "--seq-len=16", "--arity=4", "--budget=0.2",
                      "--channels=4", "--batch=1", wisdom_arg, plot_arg);
    EXPECT(r.code == 0, "tune with --opt=value: exit %d, %.2000s", r.code, r.err);
    EXPECT(exists(path_in("eq_w.txt")) && exists(path_in("eq.svg")),
           "--wisdom= / --plot= not written");
    result_free(&r);
    /* the value is checked as in the spaced form */
    r = MYOGEN("tune", spec_file, "--seq-len=1", "--arity=4");
    EXPECT_REJECTED(r, "--seq-len: expected an integer in 2..16777216, got: 1");
    result_free(&r);
    r = MYOGEN("tune", spec_file, "--seq-len=16", "--inject-fault=0");
    EXPECT_REJECTED(r, "--inject-fault");
    result_free(&r);
    r = MYOGEN("tune", spec_file, "--seq-len=");
    EXPECT_REJECTED(r, "--seq-len");
    result_free(&r);
    r = MYOGEN("tune", "--help=x");
    EXPECT_REJECTED(r, "takes no value");
    result_free(&r);
}

/* ---- registry ---- */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_def;

static const test_def knobs_tests[] = {{"knob text form", test_knobs_text},
                                       {"16-bit test data", test_round16},
                                       {"generate with knobs", test_knobs_generate},
                                       {"knob search: prune, ends, revisit", test_knob_search},
                                       {"GPU knobs shape the device code", test_knobs_gpu},
                                       {NULL, NULL}};
static const test_def reference_tests[] = {{"tune_ref against dense solves", test_reference_dense},
                                           {"tune_ref zero pivot", test_reference_pivot},
                                           {NULL, NULL}};
static const test_def wisdom_tests[] = {{"write, read, match", test_wisdom_roundtrip},
                                        {"spec key", test_wisdom_spec_key},
                                        {"malformed files", test_wisdom_malformed},
                                        {"several records", test_wisdom_records},
                                        {NULL, NULL}};
static const test_def cli_tests[] = {{"tune: table, wisdom, plot", test_cli_tune_table_wisdom_plot},
                                     {"wisdom round trip", test_cli_wisdom_roundtrip},
                                     {"wisdom rejected", test_cli_wisdom_rejected},
                                     {"myogen wisdom list, merge, prune", test_cli_wisdom_tool},
                                     {"broken variant excluded", test_cli_fault_excluded},
                                     {"tree solve, chain, padding", test_cli_tree_solve},
                                     {"mlr: knob B, skipped arity, broken variant, wisdom",
                                      test_cli_mlr},
                                     {"btt: knob MB, broken variant, wisdom", test_cli_btt},
                                     {"every CPU target", test_cli_every_isa},
                                     {"bad input", test_cli_bad_input},
                                     {"--opt=value", test_cli_long_option_equals},
                                     {NULL, NULL}};
static const test_def opencl_tests[] = {{"tune on OpenCL: device time, GPU record, mlr and btt knobs",
                                         test_cli_opencl},
                                        {NULL, NULL}};
static const test_def cuda_tests[] = {{"tune on CUDA (emulated): device memory, CUDA record, "
                                       "mlr bf16 and btt knobs", test_cli_cuda},
                                      {NULL, NULL}};
static const struct {
    const char *name;
    const test_def *tests;
} suites[] = {{"knobs", knobs_tests},
              {"reference", reference_tests},
              {"wisdom", wisdom_tests},
              {"cli", cli_tests},
              {"opencl", opencl_tests},
              {"cuda", cuda_tests}};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_tune MYOGEN WORKDIR [SUITE]\n");
        return 2;
    }
    myogen = argv[1];
    work = argv[2];
    mkdir(work, 0755);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    int found = 0;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        if (argc > 3 && strcmp(argv[3], suites[s].name) != 0)
            continue;
        found = 1;
        CU_pSuite ps = CU_add_suite(suites[s].name, NULL, NULL);
        for (const test_def *t = suites[s].tests; t->name; t++)
            CU_add_test(ps, t->name, t->fn);
    }
    if (!found) {
        fprintf(stderr, "test_tune: no suite %s\n", argv[3]);
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    paths_free();
    return failed ? 1 : 0;
}
