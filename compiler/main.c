/* myogen command line. */
#include "cc.h"
#include "generate.h"
#include "machine_id.h"
#include "message.h"
#include "spec.h"
#include "tune/tune.h"
#include "wisdom.h"
#include "wisdom_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OVERRIDES 64

static const char usage[] =
    "usage: myogen SPEC.lua -o OUT.c [-D key=value]...   generate OUT.c and OUT.h\n"
    "                                                    (opencl: also OUT.cl; cuda: -o OUT.cu)\n"
    "       myogen SPEC.lua --wisdom FILE -o OUT.c ...   the same with the knobs myogen tune\n"
    "                                                    recorded for this spec's arity\n"
    "         [--wisdom-lenient]                         wisdom for another machine, compiler,\n"
    "                                                    myogen, spec or arity: warn and use\n"
    "                                                    the default knobs instead of exit 2\n"
    "       myogen check SPEC.lua [-D key=value]...      validate; print the canonical spec\n"
    "       myogen tune SPEC.lua --seq-len L [...]       measure arities and knobs here\n"
    "                                                    (myogen tune --help)\n"
    "       myogen wisdom list|merge|prune ...           keep wisdom files (one file holds\n"
    "                                                    the records of many specs; myogen\n"
    "                                                    wisdom --help)\n"
    "       myogen --emit-runtime DIR                    write the OpenCL runtime pair\n"
    "                                                    (myogen_cl.c, myogen_cl.h) into DIR\n"
    "       myogen --help | --version\n"
    "\n"
    "A spec is a Lua file returning a table, e.g.\n"
    "  return { kernel = \"myo\", name = \"quad\", arity = 4, depth = 5, state = 16,\n"
    "           target = \"avx2\", dtype = \"f32\" }\n"
    "-D overrides a field: numbers stay numbers, a,b,c is a list, true/false booleans.\n"
    "Long options take their value as --opt VALUE or --opt=VALUE.\n"
    "Every spec field is described in docs/spec.md.\n"
    "Exit status: 0 success, 2 bad input (one line on stderr, nothing written),\n"
    "1 internal error.  See README.md.\n";

static int bad_usage(const char *msg, const char *arg)
{
    char line[1024];
    snprintf(line, sizeof line, "%s%s%s (try myogen --help)", msg, arg ? ": " : "",
             arg ? arg : "");
    message_print(line);
    return 2;
}

/* getopt_long style "--name=value": copies "--name" into buf and returns
 * "value"; NULL when a is not of that form (then a is the whole option). */
static const char *inline_value(const char *a, char *buf, size_t len)
{
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    if (!eq || (size_t)(eq - a) >= len)
        return NULL;
    memcpy(buf, a, (size_t)(eq - a));
    buf[eq - a] = 0;
    return eq + 1;
}

static const char tune_usage[] =
    "usage: myogen tune SPEC.lua --seq-len L [options] [-D key=value]...\n"
    "\n"
    "For each arity k, the smallest depth d with k^d >= L (arity 1, the chain: L\n"
    "positions) and each value of the templates' knobs (TC channels per tile of the\n"
    "level-sum path, TL lanes per group of the solve paths), the spec is generated,\n"
    "built with $CC (default cc) into a shared object, checked against a scalar\n"
    "reference on random data (a wrong variant is excluded) and timed (median).\n"
    "The spec's own arity and depth are replaced; its other fields stay.\n"
    "\n"
    "  --seq-len L          positions to hold (2..16777216), required\n"
    "  --arity K,K,...      arities to try (1..16; default 1,2,3,4,8,16)\n"
    "  --budget SECONDS     time to spend (default 60; the default knobs of every\n"
    "                       arity always run)\n"
    "  --channels C         channels per call (default 256)\n"
    "  --batch B            batch per call (default 1)\n"
    "  --wisdom FILE        record the winners for myogen SPEC.lua --wisdom FILE\n"
    "  --plot FILE.svg      chart of time per token against arity and knobs\n"
    "  --csv FILE.csv       the table as CSV (a row per variant that ran)\n"
    "(each also as --opt=VALUE)\n"
    "Progress goes to stderr, the table to stdout.  Test hook: --inject-fault N\n"
    "corrupts the output of variant N before its check (it must be excluded).\n"
    "MYOGEN_TUNE_KEEP=1 keeps the variants' sources and objects (path printed).\n"
    "\n"
    "The wisdom record holds the best knobs of every arity tried and names the\n"
    "fastest arity; it is keyed by CPU and ISA flags, compiler ($CC --version),\n"
    "myogen version and the canonical spec without arity, depth and name (a\n"
    "renamed kernel keeps its wisdom).  A wisdom file holds any number of\n"
    "records: tuning into an existing file replaces the record of its key and\n"
    "keeps the others (myogen wisdom list|merge|prune keeps such files).\n"
    "myogen SPEC.lua --wisdom FILE -o OUT.c applies the knobs recorded for the\n"
    "spec's own arity and depth; it never changes the arity (the spec fixes the\n"
    "tree: edit it to the arity the table recommends).  Wisdom for another\n"
    "machine, compiler, myogen or spec, or a damaged file, is rejected (exit 2);\n"
    "with --wisdom-lenient all but a damaged file give a warning and the defaults.\n"
    "Without --wisdom the knobs are the templates' deterministic defaults.\n"
    "\n"
    "mlr specs: the candidates are the block split factor k (--arity, default\n"
    "2,3,4,8); the spec's depth and ranks stay and --seq-len replaces its seq_len\n"
    "(so generate with -D seq_len=L to use the wisdom).  An arity for which L is\n"
    "not divisible by k^(depth-1) is skipped (no padding).  --channels is the\n"
    "number of heads (default 4).  The knob is B, the tiles' largest side (a\n"
    "multiple of the register block's columns, up to 256; OpenCL: the cap of the\n"
    "flash tiles' query side, 4 to 64).\n"
    "\n"
    "btt specs (op = \"matmul\"): the factors are the model and stay; the\n"
    "candidates are the values of the knob MB (rows per tile of the forward's\n"
    "GEMMs, a multiple of the register tile's rows; OpenCL: the GEMMs' row\n"
    "tile, 16 to 64; the tuner times the forward); --seq-len x --batch rows per\n"
    "call;\n"
    "--arity is refused.  The wisdom key keeps the factors (arity, out_arity).\n"
    "\n"
    "CPU targets \"c\", \"avx2\", \"avx512\", \"neon\": where this machine runs the\n"
    "target (the FMA peak loop, written with its vocabulary, is the test; else\n"
    "exit 2).  target \"opencl\": each variant is built with the runtime pair and\n"
    "-lOpenCL, runs on the runtime's default device (MYOGEN_CL_DEVICE) and is\n"
    "timed by its kernels' device time (not the host transfers); no FMA peak.\n"
    "The record names the device and is applied wherever the kernel is generated.\n";

/* "1,2,8" -> arities; 0 or -1 */
static int parse_arities(const char *s, tune_options *o)
{
    o->narities = 0;
    for (const char *p = s;;) {
        char *end;
        errno = 0;
        long k = strtol(p, &end, 10);
        if (errno || end == p || k < 1 || k > 16 || (*end && *end != ',') ||
            o->narities == TUNE_MAX_ARITIES)
            return -1;
        for (int i = 0; i < o->narities; i++)
            if (o->arities[i] == k)
                return -1;
        o->arities[o->narities++] = (int)k;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

static int parse_count(const char *s, long long lo, long long hi, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

static int tune_main(int argc, char **argv)
{
    const char *overrides[MAX_OVERRIDES];
    tune_options o;
    memset(&o, 0, sizeof o);
    const int defaults[] = {1, 2, 3, 4, 8, 16};
    for (int i = 0; i < 6; i++)
        o.arities[i] = defaults[i];
    o.narities = 6;
    o.budget_s = 60;
    o.channels = 256;
    o.batch = 1;
    o.overrides = overrides;
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *a = argv[i], *inl = inline_value(a, name, sizeof name);
        if (inl)
            a = name;
        const char *val = inl ? inl : i + 1 < argc ? argv[i + 1] : NULL;
        long long n;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            if (inl)
                return bad_usage("--help takes no value", argv[i]);
            fputs(tune_usage, stdout);
            return 0;
        }
        if (strcmp(a, "-D") != 0 && strncmp(a, "-D", 2) == 0) {
            if (o.noverrides == MAX_OVERRIDES)
                return bad_usage("too many -D options", NULL);
            overrides[o.noverrides++] = a + 2;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (o.spec_file)
                return bad_usage("tune: unexpected argument", a);
            o.spec_file = a;
            continue;
        }
        if (!val)
            return bad_usage("missing value after", a);
        if (!inl)
            i++;
        if (strcmp(a, "-D") == 0) {
            if (o.noverrides == MAX_OVERRIDES)
                return bad_usage("too many -D options", NULL);
            overrides[o.noverrides++] = val;
        } else if (strcmp(a, "--seq-len") == 0) {
            if (parse_count(val, 2, 1 << 24, &o.seq_len))
                return bad_usage("--seq-len: expected an integer in 2..16777216, got", val);
        } else if (strcmp(a, "--arity") == 0) {
            if (parse_arities(val, &o))
                return bad_usage("--arity: expected distinct integers in 1..16 separated by "
                                 "commas, got", val);
            o.arities_given = 1;
        } else if (strcmp(a, "--budget") == 0) {
            char *end;
            errno = 0;
            o.budget_s = strtod(val, &end);
            if (errno || end == val || *end || !(o.budget_s > 0 && o.budget_s <= 86400))
                return bad_usage("--budget: expected seconds in (0, 86400], got", val);
        } else if (strcmp(a, "--channels") == 0) {
            if (parse_count(val, 1, 1 << 16, &o.channels))
                return bad_usage("--channels: expected an integer in 1..65536, got", val);
            o.channels_given = 1;
        } else if (strcmp(a, "--batch") == 0) {
            if (parse_count(val, 1, 1 << 12, &o.batch))
                return bad_usage("--batch: expected an integer in 1..4096, got", val);
        } else if (strcmp(a, "--wisdom") == 0) {
            if (!*val)
                return bad_usage("--wisdom: empty file name", NULL);
            o.wisdom_path = val;
        } else if (strcmp(a, "--plot") == 0) {
            if (!*val)
                return bad_usage("--plot: empty file name", NULL);
            o.plot_path = val;
        } else if (strcmp(a, "--csv") == 0) {
            if (!*val)
                return bad_usage("--csv: empty file name", NULL);
            o.csv_path = val;
        } else if (strcmp(a, "--inject-fault") == 0) {
            if (parse_count(val, 1, 1 << 20, &n))
                return bad_usage("--inject-fault: expected a variant number, got", val);
            o.inject_fault = (int)n;
        } else {
            return bad_usage("tune: unknown option", a);
        }
    }
    if (!o.spec_file)
        return bad_usage("tune: no spec file given", NULL);
    if (!o.seq_len)
        return bad_usage("tune: --seq-len is required", NULL);
    char err[SPEC_ERR_LEN + 1024];
    int rc = tune_run(&o, err, sizeof err);
    if (rc != 0)
        message_print(err);
    return rc;
}

/* The knobs recorded in wisdom_file for spec s; 3 when the file is sound
 * but recorded for another machine, compiler, myogen or spec, or holds no
 * entry for the spec's arity and depth (--wisdom-lenient falls back to the
 * defaults then); 2 for a file that cannot be used at all. */
static int wisdom_knobs(const char *wisdom_file, const spec *s, knob_set *k, char *err,
                        size_t errlen)
{
    static wisdom recs[WISDOM_MAX_RECORDS];
    const wisdom *wp = NULL;
    char why[1024], compiler[512], key[4096];
    long long arity = 0, depth = 0;
    int n = 0;
    if (strcmp(s->kernel, "myo") != 0 && strcmp(s->kernel, "mlr") != 0 &&
        strcmp(s->kernel, "btt") != 0) {
        snprintf(err, errlen, "--wisdom %s: kernel \"%s\" has no tuned knobs (myogen tune "
                 "supports \"myo\", \"mlr\", \"btt\")", wisdom_file, s->kernel);
        return 2;
    }
    if (wisdom_read_all(wisdom_file, recs, WISDOM_MAX_RECORDS, &n, err, errlen) != 0)
        return 2;
    machine_id m;
    cc_tool cc;
    machine_id_get(&m);
    /* (target cuda: the record names the nvcc that built its variants) */
    if ((strcmp(s->target, "cuda") == 0 ? cc_init_nvcc : cc_init)(&cc, why, sizeof why) != 0 ||
        cc_identity(&cc, compiler, sizeof compiler, why, sizeof why) != 0) {
        snprintf(err, errlen, "wisdom %s: cannot check its compiler: %s", wisdom_file, why);
        return 2;
    }
    if (wisdom_spec_key(s->canonical, key, sizeof key) != 0 ||
        wisdom_spec_int(s->canonical, "arity", &arity) != 0 ||
        wisdom_spec_int(s->canonical, "depth", &depth) != 0) {
        snprintf(err, errlen, "wisdom %s: internal: cannot read the spec's arity and depth",
                 wisdom_file);
        return 1;
    }
    /* the record for this machine, compiler, myogen and spec; if none, say
     * why the first one of this spec (else the first one) does not fit */
    for (int i = 0; i < n && !wp; i++)
        if (wisdom_match(&recs[i], wisdom_file, &m, compiler, key, why, sizeof why) == 0)
            wp = &recs[i];
    if (!wp) {
        const wisdom *near = &recs[0];
        for (int i = 0; i < n; i++)
            if (strcmp(recs[i].spec, key) == 0) {
                near = &recs[i];
                break;
            }
        wisdom_match(near, wisdom_file, &m, compiler, key, err, errlen);
        if (n > 1) {
            size_t o = strlen(err);
            snprintf(err + o, errlen - o, " (no record of the %d fits)", n);
        }
        return 3;
    }
    const wisdom_entry *e = wisdom_find(wp, (int)arity, (int)depth);
    if (!e) {
        char list[512] = "";
        size_t o = 0;
        for (int i = 0; i < wp->n && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%d/%d", i ? ", " : "",
                                  wp->e[i].arity, wp->e[i].depth);
        snprintf(err, errlen,
                 "wisdom %s: no entry for arity %lld, depth %lld (tuned at seq_len %lld, "
                 "arity/depth %s); re-run myogen tune for this length",
                 wisdom_file, arity, depth, wp->seq_len, list);
        return 3;
    }
    *k = e->knobs;
    return 0;
}

int main(int argc, char **argv)
{
    const char *overrides[MAX_OVERRIDES];
    int noverrides = 0, check = 0, clang = 0, lenient = 0;
    const char *spec_file = NULL, *out = NULL, *wisdom_file = NULL;

    if (argc > 1 && strcmp(argv[1], "tune") == 0)
        return tune_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "wisdom") == 0)
        return wisdom_main(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *a = argv[i], *inl = inline_value(a, name, sizeof name);
        if (inl)
            a = name;
        if ((strcmp(a, "--help") == 0 || strcmp(a, "--version") == 0 ||
             strcmp(a, "--clang") == 0 || strcmp(a, "--wisdom-lenient") == 0) && inl) {
            return bad_usage("this option takes no value", argv[i]);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("myogen %s\n", MYOGEN_VERSION);
            return 0;
        } else if (strcmp(a, "--emit-runtime") == 0) {
            char rerr[4200];
            const char *dir = inl ? inl : argc == 3 ? argv[2] : NULL;
            if (argc != (inl ? 2 : 3) || i != 1)
                return bad_usage("--emit-runtime takes one directory and nothing else", NULL);
            int rc = emit_runtime(dir, rerr, sizeof rerr);
            if (rc != 0)
                message_print(rerr);
            return rc;
        } else if (strcmp(a, "--wisdom") == 0) {
            if (!inl && i + 1 >= argc)
                return bad_usage("missing value after", a);
            wisdom_file = inl ? inl : argv[++i];
        } else if (strcmp(a, "--wisdom-lenient") == 0) {
            lenient = 1;
        } else if (strcmp(a, "--clang") == 0) {
            clang = 1;
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
    if (check && wisdom_file)
        return bad_usage("check uses no wisdom; drop", "--wisdom");
    if (lenient && !wisdom_file)
        return bad_usage("--wisdom-lenient goes with", "--wisdom FILE");
    if (clang && !check)
        return bad_usage("--clang is an option of myogen check", NULL);
    if (clang) /* DESIGN.md 1: libclang is optional, and this build has none */
        return bad_usage("check --clang: this myogen is built without libclang, so it cannot "
                         "parse the generated C; compile it instead (see docs/spec.md)", NULL);
    if (!check && !out)
        return bad_usage("no output given", "-o OUT.c");

    spec s;
    char err[SPEC_ERR_LEN + 128];
    if (spec_load(spec_file, overrides, noverrides, &s, err, sizeof err) != 0) {
        message_print(err);
        return 2;
    }
    if (check) {
        printf("%s\n", s.canonical);
        return 0;
    }
    knob_set knobs = {0};
    if (wisdom_file) {
        char werr[2048];
        int wrc = wisdom_knobs(wisdom_file, &s, &knobs, werr, sizeof werr);
        if (wrc == 3 && lenient) { /* recorded for another key: the defaults, with a warning */
            char warn[2200];
            snprintf(warn, sizeof warn, "warning: %s; generating with the default knobs "
                     "(--wisdom-lenient)", werr);
            message_print(warn);
            knobs = (knob_set){0};
        } else if (wrc != 0) {
            message_print(werr);
            return wrc == 3 ? 2 : wrc;
        }
    }
    int rc = generate_kernel_knobs(&s, out, &knobs, err, sizeof err);
    if (rc != 0)
        message_print(err);
    return rc;
}
