/* Wisdom files: writing, strict reading, matching (see wisdom.h). */
#include "wisdom.h"
#include "atomic_file.h"

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WISDOM_MAGIC "myogen-wisdom 1"
#define WISDOM_MAX_BYTES (1 << 20)

static uint64_t fnv1a64(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Splits a canonical spec "{a=1, b={"x", "y"}, c="z"}" into its top-level
 * fields; calls fn(field, len, ud) for each. */
static void spec_fields(const char *canon, void (*fn)(const char *, size_t, void *), void *ud)
{
    const char *p = canon;
    if (*p == '{')
        p++;
    int depth = 0, quoted = 0;
    const char *start = p;
    for (; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = 0;
        } else if (*p == '"') {
            quoted = 1;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}' && depth > 0) {
            depth--;
        } else if ((*p == ',' || *p == '}') && depth == 0) {
            fn(start, (size_t)(p - start), ud);
            if (*p == '}')
                return;
            p++;
            while (*p == ' ')
                p++;
            start = p;
            p--;
        }
    }
    if (p > start)
        fn(start, (size_t)(p - start), ud);
}

typedef struct {
    char *out;
    size_t len, o;
    int overflow, btt;
} key_builder;

static int field_is(const char *f, size_t n, const char *key)
{
    size_t k = strlen(key);
    return n > k && memcmp(f, key, k) == 0 && f[k] == '=';
}

static void add_key_field(const char *f, size_t n, void *ud)
{
    key_builder *b = ud;
    /* arity and depth: what the tuner varies (not for btt, whose factors are
     * the model); name: only the symbols' prefix, so a renamed kernel keeps
     * its wisdom */
    if ((!b->btt && (field_is(f, n, "arity") || field_is(f, n, "depth"))) ||
        field_is(f, n, "name"))
        return;
    int w = snprintf(b->out + b->o, b->len - b->o, "%s%.*s", b->o > 1 ? ", " : "", (int)n, f);
    if (w < 0 || (size_t)w >= b->len - b->o)
        b->overflow = 1;
    else
        b->o += (size_t)w;
}

static void find_btt(const char *f, size_t n, void *ud)
{
    static const char field[] = "kernel=\"btt\"";
    if (n == sizeof field - 1 && memcmp(f, field, n) == 0)
        *(int *)ud = 1;
}

int wisdom_spec_key(const char *canonical, char *key, size_t len)
{
    key_builder b = {key, len, 0, 0, 0};
    spec_fields(canonical, find_btt, &b.btt);
    if (len < 3)
        return -1;
    key[0] = '{';
    key[1] = 0;
    b.o = 1;
    spec_fields(canonical, add_key_field, &b);
    if (b.overflow || b.o + 2 > len)
        return -1;
    key[b.o++] = '}';
    key[b.o] = 0;
    return 0;
}

typedef struct {
    const char *key;
    long long v;
    int found;
} int_finder;

static void find_int(const char *f, size_t n, void *ud)
{
    int_finder *q = ud;
    size_t k = strlen(q->key);
    if (!field_is(f, n, q->key) || n == k + 1)
        return;
    char num[32];
    if (n - k - 1 >= sizeof num)
        return;
    memcpy(num, f + k + 1, n - k - 1);
    num[n - k - 1] = 0;
    const int list = num[0] == '{'; /* a list of integers: its first */
    char *end;
    errno = 0;
    long long v = strtoll(num + list, &end, 10);
    if (!errno && end > num + list && (list ? *end == ',' || *end == '}' : !*end)) {
        q->v = v;
        q->found = 1;
    }
}

int wisdom_spec_int(const char *canonical, const char *key, long long *v)
{
    int_finder q = {key, 0, 0};
    spec_fields(canonical, find_int, &q);
    if (!q.found)
        return -1;
    *v = q.v;
    return 0;
}

/* Appends the text of record w to buf (capacity cap, used *o).  Returns 0, or
 * -1 when it does not fit. */
static int record_text(const wisdom *w, char *buf, size_t cap, size_t *o_)
{
    size_t o = *o_, begin = o;
    char kn[128];
#define PUT(...)                                                                   \
    do {                                                                           \
        if (o < cap)                                                               \
            o += (size_t)snprintf(buf + o, cap - o, __VA_ARGS__);                  \
    } while (0)
    PUT("%s\n", WISDOM_MAGIC);
    PUT("# Written by `myogen tune`, read by `myogen SPEC.lua --wisdom FILE -o OUT.c`.\n");
    PUT("# Valid only for this CPU, ISA, compiler, myogen version and spec (any\n");
    PUT("# arity and depth); do not edit: the checksum line guards the record.\n");
    PUT("myogen %s\n", w->myogen);
    PUT("cpu %s\n", w->machine.cpu);
    PUT("isa %s\n", w->machine.isa);
    PUT("compiler %s\n", w->compiler);
    PUT("spec %s\n", w->spec);
    PUT("tuned seq_len=%lld channels=%lld batch=%lld\n", w->seq_len, w->channels, w->batch);
    for (int i = 0; i < w->n; i++) {
        knobs_format(&w->e[i].knobs, kn, sizeof kn);
        PUT("entry arity=%d depth=%d knobs=%s median_s=%.6e\n", w->e[i].arity, w->e[i].depth, kn,
            w->e[i].median_s);
    }
    PUT("best arity=%d depth=%d\n", w->best_arity, w->best_depth);
    if (o < cap) {
        uint64_t h = fnv1a64(buf + begin, o - begin);
        PUT("checksum fnv1a64 %016" PRIx64 "\n", h);
    }
#undef PUT
    if (o >= cap)
        return -1;
    *o_ = o;
    return 0;
}

int wisdom_write_all(const char *path, const wisdom *recs, int n, char *err, size_t errlen)
{
    size_t cap = 1, o = 0;
    for (int i = 0; i < n; i++)
        cap += 16384 + (size_t)recs[i].n * 256;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (record_text(&recs[i], buf, cap, &o) != 0 || o > WISDOM_MAX_BYTES) {
            free(buf);
            snprintf(err, errlen, "wisdom %s: too large", path);
            return -1;
        }
    const char *paths[1] = {path};
    const char *data[1] = {buf};
    size_t lens[1] = {o};
    char why[512];
    int rc = write_files_atomically(1, paths, data, lens, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "wisdom %s", why);
    free(buf);
    return rc;
}

int wisdom_write(const char *path, const wisdom *w, char *err, size_t errlen)
{
    return wisdom_write_all(path, w, 1, err, errlen);
}

int wisdom_save(const char *path, const wisdom *w, char *err, size_t errlen)
{
    static wisdom recs[WISDOM_MAX_RECORDS];
    int n = 0, at;
    struct stat st;
    if (stat(path, &st) == 0 && wisdom_read_all(path, recs, WISDOM_MAX_RECORDS, &n, err,
                                                 errlen) != 0) {
        size_t o = strlen(err);
        snprintf(err + o, errlen - o, " (not overwritten: remove it or name another file)");
        return -1;
    }
    for (at = 0; at < n && !wisdom_same_key(&recs[at], w); at++)
        ;
    if (at == WISDOM_MAX_RECORDS) {
        snprintf(err, errlen, "wisdom %s: already %d records (myogen wisdom prune drops the "
                 "other machines' ones)", path, WISDOM_MAX_RECORDS);
        return -1;
    }
    recs[at] = *w;
    return wisdom_write_all(path, recs, at == n ? n + 1 : n, err, errlen);
}

/* ---- reading ---- */

typedef struct {
    const char *path;
    char *text;
    size_t len, pos;
    int line;
    char *err;
    size_t errlen;
    int truncated;
} reader;

static int bad(reader *r, const char *what)
{
    if (r->truncated)
        snprintf(r->err, r->errlen,
                 "wisdom %s:%d: malformed (truncated: the last line has no newline); re-run "
                 "myogen tune", r->path, r->line);
    else
        snprintf(r->err, r->errlen, "wisdom %s:%d: malformed (%s); re-run myogen tune", r->path,
                 r->line, what);
    return -1;
}

/* Next non-comment line, NUL-terminated in place; NULL at the end. */
static char *next_line(reader *r, size_t *start)
{
    while (r->pos < r->len) {
        char *s = r->text + r->pos;
        char *nl = memchr(s, '\n', r->len - r->pos);
        *start = r->pos;
        r->line++;
        if (!nl) { /* a last line without newline: truncated */
            r->pos = r->len;
            r->truncated = 1;
            return NULL;
        }
        *nl = 0;
        r->pos = (size_t)(nl - r->text) + 1;
        if (s[0] != '#')
            return s;
    }
    return NULL;
}

/* "key value": the value, or NULL (and an error) if the line is not key */
static const char *expect_key(reader *r, char *line, const char *key)
{
    size_t n = strlen(key);
    if (!line || strncmp(line, key, n) != 0 || line[n] != ' ' || !line[n + 1]) {
        char what[96];
        snprintf(what, sizeof what, "expected the '%s' line", key);
        bad(r, what);
        return NULL;
    }
    return line + n + 1;
}

static int copy_value(reader *r, char *dst, size_t len, const char *v, const char *key)
{
    if (strlen(v) >= len) {
        char what[96];
        snprintf(what, sizeof what, "'%s' value too long", key);
        return bad(r, what);
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* "key=N" at *p, then a space (skipped) or the end; N decimal digits only,
 * in lo..hi, checked before it can overflow (sscanf's %d read 4294967300 as 4). */
static int take_int(const char **p, const char *key, long long lo, long long hi, long long *v)
{
    size_t n = strlen(key);
    const char *s = *p;
    if (strncmp(s, key, n) != 0 || s[n] != '=' || s[n + 1] < '0' || s[n + 1] > '9')
        return -1;
    long long x = 0;
    for (s += n + 1; *s >= '0' && *s <= '9'; s++) {
        if (x > (hi - (*s - '0')) / 10)
            return -1;
        x = x * 10 + (*s - '0');
    }
    if (x < lo || (*s && *s != ' '))
        return -1;
    *p = *s ? s + 1 : s;
    *v = x;
    return 0;
}

/* "key=WORD" at *p, as take_int. */
static int take_word(const char **p, const char *key, char *dst, size_t len)
{
    size_t n = strlen(key), w;
    const char *s = *p;
    if (strncmp(s, key, n) != 0 || s[n] != '=')
        return -1;
    s += n + 1;
    w = strcspn(s, " ");
    if (w == 0 || w >= len)
        return -1;
    memcpy(dst, s, w);
    dst[w] = 0;
    *p = s[w] ? s + w + 1 : s + w;
    return 0;
}

static int parse_entry(reader *r, const char *v, wisdom_entry *e)
{
    char kn[160], *end;
    long long arity, depth;
    memset(e, 0, sizeof *e);
    if (take_int(&v, "arity", 1, 64, &arity) || take_int(&v, "depth", 1, 1 << 24, &depth) ||
        take_word(&v, "knobs", kn, sizeof kn) || strncmp(v, "median_s=", 9) != 0)
        return bad(r, "expected 'entry arity=K depth=D knobs=K=V,... median_s=T' with K in "
                   "1..64, D in 1..16777216");
    errno = 0;
    e->median_s = strtod(v + 9, &end);
    if (errno || end == v + 9 || *end || !(e->median_s > 0 && e->median_s < 1e6))
        return bad(r, "entry median_s: expected seconds in (0, 1e6)");
    e->arity = (int)arity;
    e->depth = (int)depth;
    char why[256];
    if (knobs_parse(kn, &e->knobs, why, sizeof why) != 0)
        return bad(r, why);
    return 0;
}

/* One record, its magic line read (it starts at rec_start of orig, the file
 * as read); the reader stops after its checksum line. */
static int parse_record(reader *r, const char *orig, size_t rec_start, wisdom *w)
{
    size_t start = rec_start;
    char *line;
    const char *v;
    memset(w, 0, sizeof *w);
    if (!(v = expect_key(r, next_line(r, &start), "myogen")) ||
        copy_value(r, w->myogen, sizeof w->myogen, v, "myogen"))
        return -1;
    if (!(v = expect_key(r, next_line(r, &start), "cpu")) ||
        copy_value(r, w->machine.cpu, sizeof w->machine.cpu, v, "cpu"))
        return -1;
    if (!(v = expect_key(r, next_line(r, &start), "isa")) ||
        copy_value(r, w->machine.isa, sizeof w->machine.isa, v, "isa"))
        return -1;
    if (!(v = expect_key(r, next_line(r, &start), "compiler")) ||
        copy_value(r, w->compiler, sizeof w->compiler, v, "compiler"))
        return -1;
    if (!(v = expect_key(r, next_line(r, &start), "spec")) ||
        copy_value(r, w->spec, sizeof w->spec, v, "spec"))
        return -1;
    if (w->spec[0] != '{' || w->spec[strlen(w->spec) - 1] != '}') {
        bad(r, "the spec must be a canonical table {...}");
        return -1;
    }
    if (!(v = expect_key(r, next_line(r, &start), "tuned")))
        return -1;
    {
        if (take_int(&v, "seq_len", 1, 1LL << 40, &w->seq_len) ||
            take_int(&v, "channels", 1, 1LL << 40, &w->channels) ||
            take_int(&v, "batch", 1, 1LL << 40, &w->batch) || *v) {
            bad(r, "expected 'tuned seq_len=L channels=C batch=B' (integers in 1..2^40)");
            return -1;
        }
    }
    for (;;) {
        line = next_line(r, &start);
        if (line && strncmp(line, "entry ", 6) == 0) {
            if (w->n == WISDOM_MAX_ENTRIES) {
                bad(r, "too many entries");
                return -1;
            }
            if (parse_entry(r, line + 6, &w->e[w->n]) != 0)
                return -1;
            if (wisdom_find(w, w->e[w->n].arity, w->e[w->n].depth)) {
                bad(r, "two entries for one arity and depth");
                return -1;
            }
            w->n++;
            continue;
        }
        if (!(v = expect_key(r, line, "best")))
            return -1;
        long long arity = 0, depth = 0;
        if (w->n == 0 || take_int(&v, "arity", 1, 64, &arity) ||
            take_int(&v, "depth", 1, 1 << 24, &depth) || *v ||
            !wisdom_find(w, (int)arity, (int)depth)) {
            bad(r, "expected entries, then 'best arity=K depth=D' naming one of them");
            return -1;
        }
        w->best_arity = (int)arity;
        w->best_depth = (int)depth;
        break;
    }
    {
        char hex[32];
        uint64_t want;
        line = next_line(r, &start);
        if (!(v = expect_key(r, line, "checksum")))
            return -1;
        int used = 0;
        if (sscanf(v, "fnv1a64 %16[0-9a-f]%n", hex, &used) != 1 || v[used] != 0 ||
            strlen(hex) != 16) {
            bad(r, "expected 'checksum fnv1a64 HEX'");
            return -1;
        }
        want = strtoull(hex, NULL, 16);
        if (fnv1a64(orig + rec_start, start - rec_start) != want) {
            snprintf(r->err, r->errlen,
                     "wisdom %s:%d: checksum mismatch: the file is corrupted or was edited; "
                     "re-run myogen tune", r->path, r->line);
            return -1;
        }
    }
    return 0;
}

int wisdom_read_all(const char *path, wisdom *recs, int max, int *n, char *err, size_t errlen)
{
    *n = 0;
    /* non-blocking, then regular files only: a FIFO would block forever */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd < 0)
            snprintf(err, errlen, "wisdom %s: cannot open: %s", path, strerror(errno));
        else
            snprintf(err, errlen, "wisdom %s: not a regular file", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        snprintf(err, errlen, "wisdom %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(WISDOM_MAX_BYTES + 1);
    size_t len = text ? fread(text, 1, WISDOM_MAX_BYTES + 1, f) : 0;
    int ioerr = ferror(f);
    fclose(f);
    if (!text || ioerr) {
        free(text);
        snprintf(err, errlen, "wisdom %s: cannot read", path);
        return -1;
    }
    char *orig = malloc(len + 1); /* next_line() cuts text into lines */
    if (!orig) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(orig, text, len);
    reader r = {path, text, len, 0, 0, err, errlen, 0};
    int rc = -1;
    size_t start = 0;
    char *line;
    if (len > WISDOM_MAX_BYTES) {
        snprintf(err, errlen, "wisdom %s: larger than %d bytes: not a wisdom file", path,
                 WISDOM_MAX_BYTES);
        goto done;
    }
    if (memchr(text, 0, len)) {
        snprintf(err, errlen, "wisdom %s: binary data: not a wisdom file", path);
        goto done;
    }
    text[len] = 0;
    for (;;) { /* records, each from its magic line to its checksum line */
        line = next_line(&r, &start);
        if (!line && *n > 0 && r.truncated) {
            bad(&r, "");
            goto done;
        }
        if (!line && *n > 0)
            break;
        if (!line || strcmp(line, WISDOM_MAGIC) != 0) {
            if (*n > 0)
                bad(&r, "expected another record ('" WISDOM_MAGIC "') or the end");
            else
                snprintf(err, errlen, "wisdom %s: not a myogen wisdom file (the first line must "
                         "be '%s')", path, WISDOM_MAGIC);
            goto done;
        }
        if (*n == max) {
            snprintf(err, errlen, "wisdom %s:%d: more than %d records", path, r.line, max);
            goto done;
        }
        if (parse_record(&r, orig, start, &recs[*n]) != 0)
            goto done;
        (*n)++;
    }
    rc = 0;
done:
    free(text);
    free(orig);
    return rc;
}

int wisdom_read(const char *path, wisdom *w, char *err, size_t errlen)
{
    int n;
    return wisdom_read_all(path, w, 1, &n, err, errlen);
}

/* ---- matching ---- */

typedef struct {
    char f[64][512];
    int n;
} field_list;

static void collect(const char *f, size_t n, void *ud)
{
    field_list *l = ud;
    if (l->n < 64)
        snprintf(l->f[l->n++], sizeof l->f[0], "%.*s", (int)n, f);
}

/* "field a vs field b" for the first field that differs */
static void first_difference(const char *a, const char *b, char *out, size_t len)
{
    static field_list fa, fb;
    fa.n = fb.n = 0;
    spec_fields(a, collect, &fa);
    spec_fields(b, collect, &fb);
    for (int i = 0; i < fa.n || i < fb.n; i++) {
        const char *x = i < fa.n ? fa.f[i] : "(none)", *y = i < fb.n ? fb.f[i] : "(none)";
        if (strcmp(x, y) != 0) {
            snprintf(out, len, "the wisdom's %s, this spec's %s", x, y);
            return;
        }
    }
    snprintf(out, len, "?");
}

int wisdom_match(const wisdom *w, const char *path, const machine_id *m, const char *compiler,
                 const char *spec_key, char *err, size_t errlen)
{
    if (strcmp(w->myogen, MYOGEN_VERSION) != 0) {
        snprintf(err, errlen, "wisdom %s: recorded by myogen %s, this is myogen %s; re-run myogen tune",
                 path, w->myogen, MYOGEN_VERSION);
        return -1;
    }
    const int gpu = wisdom_gpu_record(w->machine.isa);
    if (!gpu && strcmp(w->machine.cpu, m->cpu) != 0) {
        snprintf(err, errlen, "wisdom %s: recorded on another CPU (%s; this one is %s); re-run myogen tune here",
                 path, w->machine.cpu, m->cpu);
        return -1;
    }
    if (!gpu && strcmp(w->machine.isa, m->isa) != 0) {
        snprintf(err, errlen, "wisdom %s: recorded with other ISA flags (%s; this machine: %s); re-run myogen tune here",
                 path, w->machine.isa, m->isa);
        return -1;
    }
    if (strcmp(w->compiler, compiler) != 0) {
        snprintf(err, errlen, "wisdom %s: recorded with another compiler (%s; now %s); re-run myogen tune",
                 path, w->compiler, compiler);
        return -1;
    }
    if (strcmp(w->spec, spec_key) != 0) {
        char diff[1100];
        first_difference(w->spec, spec_key, diff, sizeof diff);
        snprintf(err, errlen, "wisdom %s: recorded for another spec (%s); re-run myogen tune on this spec",
                 path, diff);
        return -1;
    }
    return 0;
}

int wisdom_same_key(const wisdom *a, const wisdom *b)
{
    return strcmp(a->myogen, b->myogen) == 0 && strcmp(a->machine.cpu, b->machine.cpu) == 0 &&
           strcmp(a->machine.isa, b->machine.isa) == 0 && strcmp(a->compiler, b->compiler) == 0 &&
           strcmp(a->spec, b->spec) == 0;
}

const wisdom_entry *wisdom_find(const wisdom *w, int arity, int depth)
{
    for (int i = 0; i < w->n; i++)
        if (w->e[i].arity == arity && w->e[i].depth == depth)
            return &w->e[i];
    return NULL;
}

int wisdom_gpu_record(const char *isa)
{
    return strcmp(isa, WISDOM_GPU_ISA) == 0 || strcmp(isa, WISDOM_CUDA_ISA) == 0;
}
