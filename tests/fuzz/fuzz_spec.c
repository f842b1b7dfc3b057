/* libFuzzer harness: the spec loader and schema validation (spec_load of
 * compiler/spec.h), i.e. untrusted Lua run in the sandbox, then validated.
 *
 * Input: the spec file's bytes.  Leading lines "--D key=value" (Lua
 * comments, so the file stays valid) are also passed as -D overrides, at
 * most 8.  spec_load takes a path, so the input goes to a temporary file.
 *
 * Checks, besides the sanitizers: a rejected spec gets a one-line message;
 * an accepted one has NUL-terminated fields, and its canonical form, loaded
 * as a spec ("return CANONICAL"), is accepted with the same canonical form. */
#include "fuzz_util.h"
#include "spec.h"

#include <stdint.h>

#define MAX_OVERRIDES 8

static char spec_path[4200], canon_path[4200];
static char *canon_src;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    fuzz_path(spec_path, sizeof spec_path, "input.lua");
    fuzz_path(canon_path, sizeof canon_path, "canonical.lua");
    canon_src = malloc(sizeof ((spec *)0)->canonical + 16);
    return 0;
}

static int load(const char *path, const char *const *ov, int nov, spec *s, char *err,
                size_t errlen)
{
    fuzz_timers t;
    fuzz_timers_save(&t);
    int rc = spec_load(path, ov, nov, s, err, errlen);
    fuzz_timers_restore(&t);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char ovbuf[MAX_OVERRIDES][256];
    const char *ov[MAX_OVERRIDES];
    int nov = 0;
    size_t pos = 0;
    while (nov < MAX_OVERRIDES && size - pos > 4 && memcmp(data + pos, "--D ", 4) == 0) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        if (!nl)
            break;
        size_t n = (size_t)(nl - (data + pos)) - 4;
        if (n >= sizeof ovbuf[0] || memchr(data + pos + 4, 0, n))
            break;
        memcpy(ovbuf[nov], data + pos + 4, n);
        ovbuf[nov][n] = 0;
        ov[nov] = ovbuf[nov];
        nov++;
        pos = (size_t)(nl - data) + 1;
    }
    fuzz_write(spec_path, data, size);

    static spec s, s2;
    char err[SPEC_ERR_LEN];
    memset(&s, 0x5a, sizeof s); /* unterminated garbage unless spec_load fills it */
    memset(err, 0x5a, sizeof err);
    if (load(spec_path, ov, nov, &s, err, sizeof err) != 0) {
        fuzz_check_one_line("rejected spec", err, sizeof err);
        return 0;
    }
    FUZZ_CHECK(memchr(s.kernel, 0, sizeof s.kernel) && memchr(s.name, 0, sizeof s.name) &&
                   memchr(s.target, 0, sizeof s.target) &&
                   memchr(s.canonical, 0, sizeof s.canonical),
               "accepted spec with an unterminated field");
    FUZZ_CHECK(s.kernel[0] && s.name[0] && s.target[0] && s.canonical[0] == '{',
               "accepted spec with an empty field: kernel \"%s\" name \"%s\" canonical \"%.200s\"",
               s.kernel, s.name, s.canonical);

    /* the canonical form is a spec of its own, with the same canonical form */
    snprintf(canon_src, sizeof s.canonical + 16, "return %s\n", s.canonical);
    fuzz_write(canon_path, canon_src, strlen(canon_src));
    int rc = load(canon_path, NULL, 0, &s2, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the canonical form is rejected: %s\ncanonical: %s", err, s.canonical);
    FUZZ_CHECK(strcmp(s.canonical, s2.canonical) == 0,
               "the canonical form is not a fixed point:\n  %s\n  %s", s.canonical,
               s2.canonical);
    FUZZ_CHECK(strcmp(s.kernel, s2.kernel) == 0 && strcmp(s.name, s2.name) == 0 &&
                   strcmp(s.target, s2.target) == 0,
               "kernel/name/target differ after the round trip");
    return 0;
}
