/* libFuzzer harness: the wisdom reader (wisdom_read_all of compiler/wisdom.h:
 * files of one or more records) and what `myogen --wisdom` does with a file
 * it accepted (wisdom_spec_key, wisdom_spec_int, wisdom_match, wisdom_find).
 *
 * Input: a wisdom file.  It is read twice: as it is, and with its checksum
 * line (if any) recomputed, so that mutations get past the checksum to the
 * rest of the reader.  Checks, besides the sanitizers: a rejected file gets
 * a one-line message naming the file; an accepted one is consistent (1..64
 * entries per record, no duplicate, "best" among them) and survives a round
 * trip: what wisdom_write_all makes of it is accepted and rewritten
 * byte-identically. */
#include "fuzz_util.h"
#include "wisdom.h"

#include <stdint.h>

static char in_path[4200], out_path[4200], out2_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    fuzz_path(in_path, sizeof in_path, "input.wisdom");
    fuzz_path(out_path, sizeof out_path, "a.wisdom");
    fuzz_path(out2_path, sizeof out2_path, "b.wisdom");
    return 0;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    FUZZ_CHECK(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 21);
    *len = fread(buf, 1, 1 << 21, f);
    fclose(f);
    return buf;
}

static void check_accepted(const wisdom *w)
{
    FUZZ_CHECK(w->n >= 1 && w->n <= WISDOM_MAX_ENTRIES, "%d entries", w->n);
    FUZZ_CHECK(memchr(w->myogen, 0, sizeof w->myogen) && memchr(w->compiler, 0, sizeof w->compiler) &&
                   memchr(w->spec, 0, sizeof w->spec) &&
                   memchr(w->machine.cpu, 0, sizeof w->machine.cpu) &&
                   memchr(w->machine.isa, 0, sizeof w->machine.isa),
               "unterminated field");
    for (int i = 0; i < w->n; i++)
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(w->e[i].arity != w->e[j].arity || w->e[i].depth != w->e[j].depth,
                       "duplicate entry");
    FUZZ_CHECK(wisdom_find(w, w->best_arity, w->best_depth) != NULL, "best is not an entry");

    /* what --wisdom does with it */
    char key[4096], err[1024];
    long long v;
    if (wisdom_spec_key(w->spec, key, sizeof key) == 0) {
        FUZZ_CHECK(memchr(key, 0, sizeof key) != NULL, "spec key not terminated");
        int rc = wisdom_match(w, in_path, &w->machine, w->compiler, key, err, sizeof err);
        if (rc != 0)
            fuzz_check_one_line("wisdom_match", err, sizeof err);
    }
    (void)wisdom_spec_int(w->spec, "arity", &v);
    (void)wisdom_spec_int(w->spec, "seq_len", &v);
    /* against a different spec: exercises the field-by-field difference */
    int rc = wisdom_match(w, in_path, &w->machine, w->compiler,
                          "{kernel=\"myo\", name=\"other\", state=4}", err, sizeof err);
    if (rc != 0)
        fuzz_check_one_line("wisdom_match", err, sizeof err);
    rc = wisdom_match(w, in_path, &w->machine, w->compiler, w->spec, err, sizeof err);
    if (rc != 0)
        fuzz_check_one_line("wisdom_match", err, sizeof err);
}

static wisdom back[WISDOM_MAX_RECORDS];

static void round_trip(const wisdom *recs, int n)
{
    char err[1024];
    int m = 0;
    int rc = wisdom_write_all(out_path, recs, n, err, sizeof err);
    if (rc != 0) { /* e.g. too large: fine, if said in one line */
        fuzz_check_one_line("wisdom_write_all", err, sizeof err);
        return;
    }
    rc = wisdom_read_all(out_path, back, WISDOM_MAX_RECORDS, &m, err, sizeof err);
    FUZZ_CHECK(rc == 0 && m == n, "wisdom_read_all rejects what wisdom_write_all wrote: %s", err);
    for (int i = 0; i < n; i++) {
        const wisdom *w = &recs[i], *r = &back[i];
        FUZZ_CHECK(r->n == w->n && r->best_arity == w->best_arity &&
                       r->best_depth == w->best_depth && wisdom_same_key(r, w) &&
                       r->seq_len == w->seq_len && r->channels == w->channels &&
                       r->batch == w->batch,
                   "the round trip changed record %d", i);
    }
    rc = wisdom_write_all(out2_path, back, n, err, sizeof err);
    FUZZ_CHECK(rc == 0, "second wisdom_write_all: %s", err);
    size_t n1, n2;
    char *a = slurp(out_path, &n1), *b = slurp(out2_path, &n2);
    FUZZ_CHECK(n1 == n2 && memcmp(a, b, n1) == 0, "wisdom_write is not a fixed point");
    free(a);
    free(b);
}

static void read_one(const uint8_t *data, size_t size)
{
    static wisdom recs[WISDOM_MAX_RECORDS];
    char err[1024];
    int n = 0;
    fuzz_write(in_path, data, size);
    memset(err, 0x5a, sizeof err);
    if (wisdom_read_all(in_path, recs, WISDOM_MAX_RECORDS, &n, err, sizeof err) != 0) {
        fuzz_check_one_line("wisdom_read_all", err, sizeof err);
        FUZZ_CHECK(strstr(err, in_path) != NULL, "the message does not name the file: %s", err);
        return;
    }
    FUZZ_CHECK(n >= 1 && n <= WISDOM_MAX_RECORDS, "%d records", n);
    for (int i = 0; i < n; i++)
        check_accepted(&recs[i]);
    round_trip(recs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_one(data, size);

    /* the checksum recomputed: the last "checksum fnv1a64 " at a line start
     * followed by 16 characters */
    static const char key[] = "checksum fnv1a64 ";
    const size_t klen = sizeof key - 1;
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + klen + 16 <= size; i++)
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, key, klen) == 0)
            at = i;
    if (at == SIZE_MAX)
        return 0;
    uint8_t *fixed = malloc(size);
    memcpy(fixed, data, size);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv1a64(fixed, at));
    memcpy(fixed + at + klen, hex, 16);
    if (memcmp(fixed, data, size) != 0)
        read_one(fixed, size);
    free(fixed);
    return 0;
}
