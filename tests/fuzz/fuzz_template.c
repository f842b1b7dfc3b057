/* libFuzzer harness: the template lexer (re2c), the template compiler and
 * the engine (compiler/template.h, template_lexer.h).
 *
 * Input: template text (cut at its first NUL byte, as templates cannot hold
 * one: myogen_embed refuses them).  Each input is
 *   1. lexed token by token: tokens stay inside the text, lines only grow,
 *      the lexer always moves on, errors come with a message;
 *   2. compiled to its Lua chunk (template_compile): errors are "LINE: ...";
 *   3. rendered by a fresh engine (engine_new with a small fixed spec,
 *      engine_render) as templates/fuzz.tmpl: a text-only template (no '$')
 *      must render to itself; any failure is one line naming the template.
 *
 * Templates are trusted code with the whole Lua library, so the fuzzed
 * chunk runs in a reduced environment (no io, os, require, load, debug,
 * coroutine, string.rep or string patterns) under an instruction budget, a
 * memory limit and a limit on the bytes allocated in all: the target is the
 * engine, not Lua itself. */
#include "fuzz_util.h"
#include "spec.h"
#include "template.h"
#include "template_lexer.h"

#include <ctype.h>
#include <stdint.h>
#include <lauxlib.h>
#include <lua.h>

#define INSTRUCTION_LIMIT 2000000L
#define HOOK_PERIOD 1000
#define MEMORY_LIMIT (64u << 20)
/* bytes allocated over the whole render: the instruction budget does not
 * bound what one instruction copies (s = s .. i in a loop is quadratic) */
#define ALLOCATION_LIMIT (512ull << 20)

static char canonical[sizeof ((spec *)0)->canonical];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    char path[4200], err[SPEC_ERR_LEN];
    fuzz_path(path, sizeof path, "fixed.lua");
    static const char fixed[] =
        "return {kernel=\"myo\", name=\"fz\", arity=2, depth=2, state=2, dtype=\"f32\", "
        "target=\"c\", passes={\"forward\", \"backward\"}}\n";
    fuzz_write(path, fixed, sizeof fixed - 1);
    static spec s;
    fuzz_timers t;
    fuzz_timers_save(&t);
    int rc = spec_load(path, NULL, 0, &s, err, sizeof err);
    fuzz_timers_restore(&t);
    if (rc != 0) {
        fprintf(stderr, "fuzz_template: the fixed spec is rejected: %s\n", err);
        exit(1);
    }
    memcpy(canonical, s.canonical, sizeof canonical);
    return 0;
}

/* ---- 1. the lexer ---- */

static void lex_all(const char *text, size_t len)
{
    lexer lx;
    lexer_init(&lx, text, len);
    int line = 1, lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    const char *last = text;
    for (size_t n = 0;; n++) {
        FUZZ_CHECK(n <= 2 * len + 2, "the lexer does not move on (%zu tokens for %zu bytes)", n,
                   len);
        token t = lexer_next(&lx);
        FUZZ_CHECK(t.line >= line && t.line <= lines, "token line %d after line %d (of %d)",
                   t.line, line, lines);
        line = t.line;
        if (t.type == TOK_ERROR) {
            FUZZ_CHECK(t.text && t.len > 0 && t.len < 200, "error token without a message");
            return;
        }
        FUZZ_CHECK(t.text >= text && t.text + t.len <= text + len,
                   "token %d [%p, +%zu) outside the text [%p, +%zu)", (int)t.type,
                   (const void *)t.text, t.len, (const void *)text, len);
        FUZZ_CHECK(t.text >= last || t.type == TOK_END, "token %d goes back in the text",
                   (int)t.type);
        last = t.text;
        switch (t.type) {
        case TOK_TEXT:
            FUZZ_CHECK(t.len > 0 && !memchr(t.text, '\n', t.len), "bad text token");
            break;
        case TOK_NEWLINE:
            FUZZ_CHECK(t.len == 1 && t.text[0] == '\n', "bad newline token");
            break;
        case TOK_EXPR:
            FUZZ_CHECK(t.len > 0 && !memchr(t.text, '\n', t.len), "bad ${} token");
            break;
        case TOK_STMT:
            FUZZ_CHECK(!memchr(t.text, '\n', t.len), "statement token spans lines");
            break;
        case TOK_END:
            return;
        case TOK_ERROR:
            break;
        }
    }
}

/* ---- 3. the engine ---- */

typedef struct {
    lua_Alloc real;
    void *real_ud;
    size_t used;
    unsigned long long allocated;
    long instructions;
} limits;

static limits lim;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limits *l = ud;
    if (ptr == NULL)
        osize = 0;
    if (nsize > osize && (l->used + (nsize - osize) > MEMORY_LIMIT ||
                          l->allocated + (nsize - osize) > ALLOCATION_LIMIT))
        return NULL; /* Lua raises "not enough memory" */
    if (nsize > osize)
        l->allocated += nsize - osize;
    void *p = l->real(l->real_ud, ptr, osize, nsize);
    if (p || nsize == 0)
        l->used = l->used + nsize - osize;
    return p;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lim.instructions += HOOK_PERIOD;
    if (lim.instructions > INSTRUCTION_LIMIT)
        luaL_error(L, "fuzz: instruction budget exceeded");
}

/* The engine's Lua state: template.c's struct template_engine starts with
 * it.  Checked below against a global the engine sets, so a change of that
 * layout fails loudly here rather than fuzzing the wrong thing. */
static lua_State *engine_state(template_engine *e)
{
    lua_State *L = *(lua_State **)e;
    lua_getglobal(L, "SPEC_CANONICAL");
    const char *s = lua_tostring(L, -1);
    FUZZ_CHECK(s && strcmp(s, canonical) == 0,
               "template_engine no longer starts with its lua_State: update engine_state()");
    lua_pop(L, 1);
    return L;
}

/* Serves templates/fuzz.tmpl from FUZZ_SRC in a reduced environment; every
 * other name goes to the engine's own loader. */
static const char setup[] =
    "local real_load, load, error, pairs = _load, load, error, pairs\n"
    "for _, k in ipairs({'rep', 'find', 'match', 'gmatch', 'gsub', 'dump'}) do string[k] = nil end\n"
    "local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end\n"
    "local env = {spec = spec, KNOBS = KNOBS, MYOGEN_VERSION = MYOGEN_VERSION,\n"
    "  SPEC_CANONICAL = SPEC_CANONICAL, assert = assert, error = error, ipairs = ipairs,\n"
    "  next = next, pairs = pairs, select = select, tonumber = tonumber,\n"
    "  tostring = tostring, type = type, rawequal = rawequal, rawlen = rawlen,\n"
    "  rawget = rawget, math = copy(math), string = copy(string), table = copy(table),\n"
    "  utf8 = copy(utf8)}\n"
    "env.table.move = nil\n"
    "_load = function(name)\n"
    "  if name ~= 'fuzz.tmpl' then return real_load(name) end\n"
    "  local f, e = load(FUZZ_SRC, '@templates/fuzz.tmpl', 't', env)\n"
    "  if not f then error(e, 0) end\n"
    "  return f\n"
    "end\n"
    "return 'ok'\n";

static void render(const char *text, size_t len, const char *src)
{
    char err[1024], out1[16];
    template_engine *e = engine_new(canonical, err, sizeof err);
    FUZZ_CHECK(e != NULL, "engine_new: %s", err);
    lua_State *L = engine_state(e);
    lim.real = lua_getallocf(L, &lim.real_ud);
    lim.used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
    lim.instructions = 0;
    lim.allocated = 0;
    lua_setallocf(L, limited_alloc, &lim);

    engine_set(e, "FUZZ_SRC", src);
    int rc = engine_eval(e, setup, out1, sizeof out1, err, sizeof err);
    FUZZ_CHECK(rc == 0 && strcmp(out1, "ok") == 0, "harness setup: %s", err);

    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_PERIOD);
    char *out = NULL;
    size_t outlen = 0;
    memset(err, 0x5a, sizeof err);
    rc = engine_render(e, "fuzz.tmpl", &out, &outlen, err, sizeof err);
    lua_sethook(L, NULL, 0, 0);
    int text_only = memchr(text, '$', len) == NULL;
    if (rc != 0) {
        fuzz_check_one_line("engine_render", err, sizeof err);
        FUZZ_CHECK(!text_only, "a text-only template fails: %s", err);
    } else {
        FUZZ_CHECK(out != NULL && out[outlen] == 0, "engine_render output not terminated");
        if (text_only)
            FUZZ_CHECK(outlen == len && memcmp(out, text, len) == 0,
                       "a text-only template does not render to itself (%zu -> %zu bytes)", len,
                       outlen);
    }
    free(out);
    engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(len + 1); /* the lexer needs a NUL after the text */
    memcpy(text, data, len);
    text[len] = 0;

    lex_all(text, len);

    char err[512];
    memset(err, 0x5a, sizeof err);
    char *src = template_compile(text, len, err, sizeof err);
    if (!src) {
        fuzz_check_one_line("template_compile", err, sizeof err);
        FUZZ_CHECK(isdigit((unsigned char)err[0]) && strstr(err, ": "),
                   "template_compile error is not \"LINE: message\": \"%s\"", err);
        FUZZ_CHECK(memchr(text, '$', len) != NULL, "a text-only template fails to compile: %s",
                   err);
    } else {
        render(text, len, src);
        free(src);
    }
    free(text);
    return 0;
}
