/* Template engine: template text -> Lua chunk -> output text. */
#include "template.h"
#include "template_lexer.h"
#include "templates_embedded.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

struct template_engine {
    lua_State *L;
};

typedef struct {
    char *p;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "myogen: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Literal text as a Lua string literal. */
static void sb_quoted(strbuf *b, const char *s, size_t n)
{
    sb_str(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_add(b, esc, 2);
        } else if (c < 32 || c == 127) {
            snprintf(esc, sizeof esc, "\\%03d", c);
            sb_str(b, esc);
        } else {
            sb_add(b, s + i, 1);
        }
    }
    sb_str(b, "\"");
}

/* One Lua line per template line, so Lua's line numbers are the template's.
 * Text becomes _e("...") calls, ${x} becomes _e(_s(x)), $-lines are copied. */
char *template_compile(const char *text, size_t len, char *err, size_t errlen)
{
    strbuf b = {0};
    lexer lx;
    lexer_init(&lx, text, len);
    sb_str(&b, "local _e, _s, args = ...; ");
    for (;;) {
        token t = lexer_next(&lx);
        switch (t.type) {
        case TOK_TEXT:
            sb_str(&b, "_e(");
            sb_quoted(&b, t.text, t.len);
            sb_str(&b, ") ");
            break;
        case TOK_EXPR:
            sb_str(&b, "_e(_s(");
            sb_add(&b, t.text, t.len);
            sb_str(&b, ")) ");
            break;
        case TOK_STMT:
            sb_add(&b, t.text, t.len);
            sb_str(&b, "\n");
            break;
        case TOK_NEWLINE:
            sb_str(&b, "_e(\"\\n\")\n");
            break;
        case TOK_END:
            return b.p;
        case TOK_ERROR:
            snprintf(err, errlen, "%d: %.*s", t.line, (int)t.len, t.text);
            free(b.p);
            return NULL;
        }
    }
}

static const embedded_file *find_embedded(const char *name)
{
    for (const embedded_file *f = embedded_templates; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* _load(name): the compiled chunk of templates/NAME, or raises an error. */
static int l_load_template(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const embedded_file *f = find_embedded(name);
    if (!f)
        return luaL_error(L, "no template 'templates/%s'", name);
    char err[512];
    char *src = template_compile(f->text, f->len, err, sizeof err);
    if (!src)
        return luaL_error(L, "templates/%s:%s", name, err);
    lua_pushfstring(L, "@templates/%s", name);
    int rc = luaL_loadbufferx(L, src, strlen(src), lua_tostring(L, -1), "t");
    free(src);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

/* package.searchers entry: require "isa.avx2" loads templates/isa/avx2.lua. */
static int l_search_module(lua_State *L)
{
    const char *mod = luaL_checkstring(L, 1);
    char path[256];
    snprintf(path, sizeof path, "%s.lua", mod);
    for (char *p = path; *p && strcmp(p, ".lua") != 0; p++)
        if (*p == '.')
            *p = '/';
    const embedded_file *f = find_embedded(path);
    if (!f) {
        lua_pushfstring(L, "no module 'templates/%s'", path);
        return 1;
    }
    lua_pushfstring(L, "@templates/%s", path);
    if (luaL_loadbufferx(L, f->text, f->len, lua_tostring(L, -1), "t") != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, path);
    return 2;
}

/* render(name [, args]) renders a template into the current output, with
 * args (a table) visible to it as `args`; capture(name [, args]) returns
 * what it renders instead; _begin/_finish collect. */
static const char prelude[] =
    "local out\n"
    "function _begin() out = {} end\n"
    "function _finish() local s = table.concat(out); out = nil; return s end\n"
    "local function emit(s) out[#out + 1] = s end\n"
    "local function str(v)\n"
    "  local t = type(v)\n"
    "  if t == 'string' then return v end\n"
    "  if math.type(v) == 'integer' then return string.format('%d', v) end\n"
    "  if t == 'number' then return string.format('%.17g', v) end\n"
    "  error('${} gave a ' .. t .. ', expected a string or a number', 2)\n"
    "end\n"
    "function render(name, args) _load(name)(emit, str, args or {}) end\n"
    "function capture(name, args)\n"
    "  local saved = out\n"
    "  out = {}\n"
    "  render(name, args)\n"
    "  local s = table.concat(out)\n"
    "  out = saved\n"
    "  return s\n"
    "end\n";

template_engine *engine_new(const char *canonical_spec, char *err, size_t errlen)
{
    template_engine *e = calloc(1, sizeof *e);
    lua_State *L = e ? luaL_newstate() : NULL;
    if (!L) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->L = L;
    luaL_openlibs(L);
    lua_register(L, "_load", l_load_template);

    /* modules come only from the embedded templates */
    lua_getglobal(L, "package");
    lua_newtable(L);
    lua_pushcfunction(L, l_search_module);
    lua_rawseti(L, -2, 1);
    lua_setfield(L, -2, "searchers");
    lua_pop(L, 1);

    char *spec_src = malloc(strlen(canonical_spec) + 16);
    sprintf(spec_src, "spec = %s", canonical_spec);
    int rc = luaL_dostring(L, prelude) || luaL_dostring(L, spec_src);
    free(spec_src);
    if (rc) {
        snprintf(err, errlen, "internal: %s", lua_tostring(L, -1));
        engine_free(e);
        return NULL;
    }
    lua_pushstring(L, MYOGEN_VERSION);
    lua_setglobal(L, "MYOGEN_VERSION");
    lua_pushstring(L, canonical_spec);
    lua_setglobal(L, "SPEC_CANONICAL");
    lua_newtable(L);
    lua_setglobal(L, "KNOBS");
    return e;
}

void engine_free(template_engine *e)
{
    if (!e)
        return;
    lua_close(e->L);
    free(e);
}

void engine_set(template_engine *e, const char *key, const char *value)
{
    lua_pushstring(e->L, value);
    lua_setglobal(e->L, key);
}

void engine_set_knob(template_engine *e, const char *key, long long value)
{
    lua_getglobal(e->L, "KNOBS");
    lua_pushinteger(e->L, (lua_Integer)value);
    lua_setfield(e->L, -2, key);
    lua_pop(e->L, 1);
}

static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\t')
            *s = ' ';
}

int engine_eval(template_engine *e, const char *lua_src, char *out, size_t outlen, char *err,
                size_t errlen)
{
    lua_State *L = e->L;
    if (luaL_loadbufferx(L, lua_src, strlen(lua_src), "=eval", "t") != LUA_OK ||
        lua_pcall(L, 0, 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(err, errlen, "%s", msg ? msg : "error object is not a string");
        flatten(err);
        lua_pop(L, 1);
        return -1;
    }
    const char *s = lua_tostring(L, -1);
    snprintf(out, outlen, "%s", s ? s : "");
    lua_pop(L, 1);
    return 0;
}

static int l_render_traced(lua_State *L)
{
    lua_getglobal(L, "_begin");
    lua_call(L, 0, 0);
    lua_getglobal(L, "render");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 0);
    lua_getglobal(L, "_finish");
    lua_call(L, 0, 1);
    return 1;
}

int engine_render(template_engine *e, const char *name, char **out, size_t *outlen, char *err,
                  size_t errlen)
{
    lua_State *L = e->L;
    lua_pushcfunction(L, l_render_traced);
    lua_pushstring(L, name);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(err, errlen, "%s", msg ? msg : "template raised a non-string error");
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
        lua_pop(L, 1);
        return -1;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    *out = malloc(n + 1);
    if (!*out) {
        lua_pop(L, 1);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(*out, s, n + 1);
    *outlen = n;
    lua_pop(L, 1);
    return 0;
}
