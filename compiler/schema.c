/* Spec validation: one table of rules, read in order, so the canonical form
 * has a fixed field order and every field has exactly one error path. */
#include "schema.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>

typedef enum {
    T_ENUM,      /* one of allowed */
    T_ENUM_LIST, /* a list of distinct values of allowed */
    T_INT,       /* an integer in min..max */
    T_INTS,      /* an integer in min..max, or a list of them */
    T_NUMBER,    /* any finite number */
    T_SCALE,     /* one of allowed, or a list of finite numbers */
    T_BOOL,
    T_IDENT,     /* a C identifier */
    T_TARGET     /* one of allowed, or a list of distinct CPU_TARGETS */
} rule_type;

typedef struct {
    const char *kernel;  /* NULL: a common field */
    const char *key;
    rule_type type;
    const char *allowed; /* T_ENUM, T_ENUM_LIST, T_SCALE: the values, space separated */
    long long min, max;  /* T_INT, T_INTS */
    const char *def;     /* canonical default; NULL = required; "" = optional, the
                            kernel's templates derive the default */
} rule;

/* Fields another one replaces: not both, and no default for the first when
 * the second is given (DESIGN.md 6.2: blocks instead of arity). */
static const struct {
    const char *kernel, *key, *instead;
} replaced_by[] = {
    {"mlr", "arity", "blocks"},
};
#define NREPLACED (sizeof replaced_by / sizeof replaced_by[0])

/* The field that replaces kernel's field key, or NULL. */
static const char *replacement(const char *kernel, const char *key)
{
    for (size_t i = 0; i < NREPLACED; i++)
        if (strcmp(replaced_by[i].kernel, kernel) == 0 && strcmp(replaced_by[i].key, key) == 0)
            return replaced_by[i].instead;
    return NULL;
}

/* What this version generates, where it is less than the contract allows. */
typedef struct {
    const char *kernel; /* NULL: whatever the kernel */
    const char *key;
    const char *values;
} support;

static const support supported[] = {
    {NULL, "kernel", "myo btt mlr"},
    {"myo", "target", "c avx2 avx512 neon opencl cuda"},
    {"btt", "target", "c avx2 avx512 neon opencl cuda"},
    {"btt", "threads", "none openmp"},
    {"mlr", "target", "c avx2 avx512 neon opencl cuda"},
    {"mlr", "threads", "none openmp"},
};
#define NSUPPORTED (sizeof supported / sizeof supported[0])

static const rule rules[] = {
    {NULL, "kernel", T_ENUM, "myo mlr btt", 0, 0, NULL},
    {NULL, "name", T_IDENT, NULL, 0, 0, NULL},
    {NULL, "dtype", T_ENUM, "f32 f64 bf16 f16", 0, 0, "\"f32\""},
    {NULL, "target", T_TARGET, "c avx2 avx512 neon opencl cuda", 0, 0, "\"c\""},
    {NULL, "passes", T_ENUM_LIST, "forward backward", 0, 0, "{\"forward\"}"},
    {NULL, "threads", T_ENUM, "none openmp", 0, 0, "\"none\""},
    /* DESIGN.md 6.1 */
    {"myo", "arity", T_INT, NULL, 1, 16, NULL},
    {"myo", "depth", T_INT, NULL, 1, 1 << 20, NULL},
    {"myo", "state", T_INT, NULL, 1, 64, NULL},
    {"myo", "block", T_ENUM, "diag dense", 0, 0, "\"diag\""},
    {"myo", "share", T_ENUM, "level vertex input", 0, 0, "\"level\""},
    {"myo", "symmetric", T_BOOL, NULL, 0, 0, "false"},
    {"myo", "readout", T_ENUM, "siso none", 0, 0, "\"siso\""},
    /* DESIGN.md 6.2 */
    {"mlr", "seq_len", T_INT, NULL, 1, 1 << 24, NULL},
    {"mlr", "arity", T_INT, NULL, 2, 64, "2"},
    {"mlr", "depth", T_INT, NULL, 1, 16, NULL},
    {"mlr", "blocks", T_INTS, NULL, 1, 1 << 24, ""},
    {"mlr", "state", T_INTS, NULL, 1, 1024, NULL},
    {"mlr", "value_dim", T_INT, NULL, 1, 1024, NULL},
    {"mlr", "causal", T_BOOL, NULL, 0, 0, "true"},
    {"mlr", "scale", T_SCALE, "inv_rank inv_sqrt_rank", 0, 0, "\"inv_rank\""},
    {"mlr", "normalize", T_ENUM, "none levels shared", 0, 0, "\"shared\""},
    {"mlr", "link", T_ENUM, "softmax identity", 0, 0, ""}, /* default softmax */
    /* DESIGN.md 6.3 */
    {"btt", "arity", T_INTS, NULL, 1, 4096, NULL},
    {"btt", "out_arity", T_INTS, NULL, 1, 4096, ""},
    {"btt", "depth", T_INT, NULL, 2, 2, "2"},
    {"btt", "state", T_INT, NULL, 1, 64, NULL},
    {"btt", "op", T_ENUM, "matmul attention", 0, 0, "\"matmul\""},
    {"btt", "seq_len", T_INT, NULL, 1, 1 << 24, ""},
    {"btt", "value_dim", T_INT, NULL, 1, 4096, ""},
    {"btt", "causal", T_BOOL, NULL, 0, 0, ""}, /* op "attention" only: default true */
    {"btt", "scale", T_NUMBER, NULL, 0, 0, ""},
    /* op "attention" only: the keys' index order and LayerNorm */
    {"btt", "key_order", T_ENUM, "j0_major j1_major", 0, 0, ""},
    {"btt", "key_norm", T_ENUM, "layernorm layernorm_affine", 0, 0, ""},
};
#define NRULES (sizeof rules / sizeof rules[0])

/* The targets a list target may hold, best first: the canonical order, which
 * is the order a list target's file tries them in at run time. */
#define CPU_TARGETS "avx512 avx2 neon c"

/* Largest tree a myo spec may describe, in vertices (docs/spec.md): 2^24,
 * e.g. a binary tree of depth 23 (8M positions) or a quad tree of depth 11
 * (4M positions).  Far past any use, small enough that no spec asks for
 * minutes of work or a workspace of gigabytes by a typo in its depth. */
#define MYO_MAX_VERTICES (1LL << 24)

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", NULL};

/* Is word one of the space-separated words of list? */
static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, word, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* "a b c" -> "\"a\", \"b\", \"c\"" */
static void quote_list(char *buf, size_t len, const char *list)
{
    size_t o = 0;
    buf[0] = 0;
    for (const char *p = list; *p && o < len;) {
        const char *end = strchr(p, ' ');
        int n = end ? (int)(end - p) : (int)strlen(p);
        o += snprintf(buf + o, len - o, "%s\"%.*s\"", o ? ", " : "", n, p);
        if (!end)
            break;
        p = end + 1;
    }
}

static int fail(char *err, size_t errlen, const char *key, const char *fmt, const char *a,
                const char *b)
{
    char msg[SPEC_ERR_LEN];
    snprintf(msg, sizeof msg, fmt, a, b);
    snprintf(err, errlen, "field '%s': %s", key, msg);
    return -1;
}

/* s[0..n) for a message: printable ASCII as is, other bytes as \xHH. */
static void describe_bytes(const char *s, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && o + 5 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
    }
    buf[o] = 0;
}

/* Strings reach C code and messages: no NUL (C would cut the string there)
 * and no control bytes. */
static int check_string_bytes(lua_State *L, int idx, const char *key, char *err,
                              size_t errlen)
{
    size_t n;
    const char *v = lua_tolstring(L, idx, &n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            char shown[200];
            describe_bytes(v, n < 40 ? n : 40, shown, sizeof shown);
            return fail(err, errlen, key,
                        "\"%s\": strings must not contain NUL or control characters%s", shown,
                        "");
        }
    return 0;
}

static int check_enum_value(lua_State *L, int idx, const rule *r, char *err, size_t errlen)
{
    char allowed[256];
    quote_list(allowed, sizeof allowed, r->allowed);
    if (lua_type(L, idx) != LUA_TSTRING)
        return fail(err, errlen, r->key, "expected a string, one of %s; got a %s", allowed,
                    luaL_typename(L, idx));
    if (check_string_bytes(L, idx, r->key, err, errlen))
        return -1;
    const char *v = lua_tostring(L, idx);
    if (!in_list(r->allowed, v))
        return fail(err, errlen, r->key, "\"%s\" is not one of %s", v, allowed);
    return 0;
}

/* Is the value at idx (a string, or a list of them) within what this
 * version generates? */
static int check_supported(lua_State *L, int idx, const char *key, const char *values,
                           char *err, size_t errlen)
{
    char impl[256];
    quote_list(impl, sizeof impl, values);
    int n = lua_istable(L, idx) ? (int)lua_rawlen(L, idx) : 1;
    for (int i = 1; i <= n; i++) {
        if (lua_istable(L, idx))
            lua_rawgeti(L, idx, i);
        else
            lua_pushvalue(L, idx);
        const char *v = lua_tostring(L, -1);
        int ok = v && in_list(values, v);
        if (!ok) {
            char vv[128];
            snprintf(vv, sizeof vv, "%s", v ? v : "?");
            lua_pop(L, 1);
            return fail(err, errlen, key,
                        "\"%s\" is not implemented in myogen " MYOGEN_VERSION
                        " (implemented: %s)", vv, impl);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int check_ident(const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    int ok = n > 0 && n <= 48 && !(v[0] >= '0' && v[0] <= '9') && v[0] != '_';
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
             (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
    for (int i = 0; ok && c_keywords[i]; i++)
        ok = strcmp(v, c_keywords[i]) != 0;
    if (!ok)
        return fail(err, errlen, "name",
                    "\"%s\" is not allowed: expected a C identifier of 1..48 letters, digits "
                    "and '_', not starting with a digit or '_', not a C keyword%s",
                    v, "");
    return 0;
}

/* Appends the validated value at idx to the canonical form. */
static int check_field(lua_State *L, int idx, const rule *r, char *canon, size_t clen,
                       char *err, size_t errlen)
{
    size_t o = strlen(canon);
    char num[64];
    switch (r->type) {
    case T_TARGET:
        if (lua_istable(L, idx)) {
            rule e = *r;
            e.type = T_ENUM_LIST;
            e.allowed = CPU_TARGETS;
            return check_field(L, idx, &e, canon, clen, err, errlen);
        }
        /* one target */
        /* fall through */
    case T_ENUM:
        if (check_enum_value(L, idx, r, err, errlen))
            return -1;
        snprintf(canon + o, clen - o, "\"%s\"", lua_tostring(L, idx));
        return 0;
    case T_IDENT:
        if (lua_type(L, idx) != LUA_TSTRING)
            return fail(err, errlen, r->key, "expected a string (a C identifier), got a %s",
                        luaL_typename(L, idx), "");
        if (check_string_bytes(L, idx, r->key, err, errlen) ||
            check_ident(lua_tostring(L, idx), err, errlen))
            return -1;
        snprintf(canon + o, clen - o, "\"%s\"", lua_tostring(L, idx));
        return 0;
    case T_BOOL:
        if (!lua_isboolean(L, idx))
            return fail(err, errlen, r->key, "expected true or false, got a %s",
                        luaL_typename(L, idx), "");
        snprintf(canon + o, clen - o, "%s", lua_toboolean(L, idx) ? "true" : "false");
        return 0;
    case T_NUMBER:
        if (lua_type(L, idx) != LUA_TNUMBER || !isfinite(lua_tonumber(L, idx)))
            return fail(err, errlen, r->key, "expected a finite number, got %s",
                        lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx)
                                                        : luaL_typename(L, idx), "");
        snprintf(canon + o, clen - o, "%.17g", lua_tonumber(L, idx));
        return 0;
    case T_INTS:
    case T_SCALE:
        if (r->type == T_SCALE && lua_type(L, idx) == LUA_TSTRING) {
            rule e = *r;
            e.type = T_ENUM;
            return check_field(L, idx, &e, canon, clen, err, errlen);
        }
        if (lua_istable(L, idx)) {
            rule e = *r;
            e.type = r->type == T_INTS ? T_INT : T_NUMBER;
            lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
            if (n == 0 || n > 64)
                return fail(err, errlen, r->key, "expected a list of 1..64 numbers%s%s", "", "");
            o += snprintf(canon + o, clen - o, "{");
            for (lua_Integer i = 1; i <= n; i++) {
                if (i > 1)
                    o += snprintf(canon + o, clen - o, ", ");
                lua_rawgeti(L, idx, i);
                int bad = check_field(L, lua_gettop(L), &e, canon, clen, err, errlen);
                lua_pop(L, 1);
                if (bad)
                    return -1;
                o = strlen(canon);
            }
            snprintf(canon + o, clen - o, "}");
            return 0;
        }
        if (r->type == T_SCALE) {
            char allowed[128];
            quote_list(allowed, sizeof allowed, r->allowed);
            return fail(err, errlen, r->key, "expected one of %s or a list of numbers, got a %s",
                        allowed, luaL_typename(L, idx));
        }
        /* a single integer */
        {
            rule e = *r;
            e.type = T_INT;
            return check_field(L, idx, &e, canon, clen, err, errlen);
        }
    case T_INT: {
        char range[64];
        snprintf(range, sizeof range, "%lld..%lld", r->min, r->max);
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, idx, &isint);
        if (lua_type(L, idx) != LUA_TNUMBER || !isint)
            return fail(err, errlen, r->key, "expected an integer in %s, got %s", range,
                        lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx)
                        : lua_isnil(L, idx) ? "nil" : lua_pushfstring(L, "a %s", luaL_typename(L, idx)));
        if (v < r->min || v > r->max) {
            snprintf(num, sizeof num, "%lld", (long long)v);
            return fail(err, errlen, r->key, "expected an integer in %s, got %s", range, num);
        }
        snprintf(canon + o, clen - o, "%lld", (long long)v);
        return 0;
    }
    case T_ENUM_LIST: {
        /* a string is not a list: passes = "backward" would silently drop the
         * forward pass (-D passes=backward is a list: spec.c) */
        if (lua_type(L, idx) == LUA_TSTRING && !check_string_bytes(L, idx, r->key, err, errlen))
            return fail(err, errlen, r->key, "expected a list of strings, got the string "
                        "\"%s\" (write {\"%s\"})", lua_tostring(L, idx), lua_tostring(L, idx));
        if (lua_type(L, idx) == LUA_TSTRING)
            return -1;
        if (!lua_istable(L, idx))
            return fail(err, errlen, r->key, "expected a list of strings, got a %s",
                        luaL_typename(L, idx), "");
        lua_Integer n = luaL_len(L, idx);
        int count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            count++;
            int isint = 0;
            lua_Integer k = lua_tointegerx(L, -2, &isint);
            if (!isint || k < 1 || k > n) {
                lua_pop(L, 2);
                return fail(err, errlen, r->key, "expected a list (keys 1..n)%s%s", "", "");
            }
            lua_pop(L, 1);
        }
        if (n == 0)
            return fail(err, errlen, r->key, "must not be empty%s%s", "", "");
        char seen[256] = "";
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            int bad = check_enum_value(L, lua_gettop(L), r, err, errlen);
            const char *v = bad ? NULL : lua_tostring(L, -1);
            if (v && in_list(seen, v)) {
                lua_pop(L, 1);
                return fail(err, errlen, r->key, "\"%s\" is listed twice%s", v, "");
            }
            if (v)
                snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s",
                         seen[0] ? " " : "", v);
            lua_pop(L, 1);
            if (bad)
                return -1;
        }
        /* canonical: the contract's order, not the spec's */
        o += snprintf(canon + o, clen - o, "{");
        int first = 1;
        char word[64];
        for (const char *p = r->allowed; *p;) {
            const char *end = strchr(p, ' ');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            snprintf(word, sizeof word, "%.*s", (int)len, p);
            if (in_list(seen, word)) {
                o += snprintf(canon + o, clen - o, "%s\"%s\"", first ? "" : ", ", word);
                first = 0;
            }
            if (!end)
                break;
            p = end + 1;
        }
        snprintf(canon + o, clen - o, "}");
        return 0;
    }
    }
    return -1;
}

static int known_key(const char *kernel, const char *key)
{
    for (size_t i = 0; i < NRULES; i++)
        if ((!rules[i].kernel || strcmp(rules[i].kernel, kernel) == 0) &&
            strcmp(rules[i].key, key) == 0)
            return 1;
    return 0;
}

/* Every key is checked; the one reported is the least in a fixed order
 * (non-string keys, then strings bytewise), so the message does not depend on
 * the order lua_next visits keys in, which Lua seeds per process. */
static int check_unknown_fields(lua_State *L, int t, const char *kernel, char *err, size_t errlen)
{
    char worst[200] = "", shown[200];
    int worst_rank = 3; /* none yet; 1: not a string, 2: unknown string */
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        int rank = 2;
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t n;
            const char *key = lua_tolstring(L, -1, &n);
            if (strlen(key) == n && known_key(kernel, key))
                continue;
            describe_bytes(key, n < 40 ? n : 40, shown, sizeof shown);
        } else {
            rank = 1;
            if (lua_isinteger(L, -1))
                snprintf(shown, sizeof shown, "%lld", (long long)lua_tointeger(L, -1));
            else if (lua_type(L, -1) == LUA_TNUMBER)
                snprintf(shown, sizeof shown, "%.17g", (double)lua_tonumber(L, -1));
            else if (lua_isboolean(L, -1))
                snprintf(shown, sizeof shown, "%s", lua_toboolean(L, -1) ? "true" : "false");
            else
                snprintf(shown, sizeof shown, "a %s", luaL_typename(L, -1));
        }
        if (rank < worst_rank || (rank == worst_rank && strcmp(shown, worst) < 0)) {
            worst_rank = rank;
            snprintf(worst, sizeof worst, "%s", shown);
        }
    }
    if (worst_rank == 1) {
        snprintf(err, errlen, "field [%s]: field names must be strings", worst);
        return -1;
    }
    if (worst_rank == 2) {
        char allowed[512] = "";
        size_t o = 0;
        for (size_t i = 0; i < NRULES; i++)
            if (!rules[i].kernel || strcmp(rules[i].kernel, kernel) == 0)
                o += snprintf(allowed + o, sizeof allowed - o, "%s%s", o ? ", " : "",
                              rules[i].key);
        snprintf(err, errlen, "field '%s': unknown field for kernel \"%s\" (allowed: %s)",
                 worst, kernel, allowed);
        return -1;
    }
    return 0;
}

static int check_myo(lua_State *L, int t, char *err, size_t errlen)
{
    lua_getfield(L, t, "arity");
    lua_getfield(L, t, "depth");
    long long k = lua_tointeger(L, -2), d = lua_tointeger(L, -1), level = 1, vertices = 1, i = 0;
    lua_pop(L, 2);
    if (k == 1) /* the chain: every vertex a position */
        vertices = d + 1;
    for (; k > 1 && i < d && vertices <= MYO_MAX_VERTICES; i++) {
        level *= k; /* k^(i+1) vertices on level i+1 */
        vertices += level;
    }
    if (vertices > MYO_MAX_VERTICES) {
        char shown[64];
        if (k > 1 && i < d) /* stopped counting at the limit */
            snprintf(shown, sizeof shown, "more than %lld", MYO_MAX_VERTICES);
        else
            snprintf(shown, sizeof shown, "%lld", vertices);
        snprintf(err, errlen,
                 "field 'depth': arity %lld, depth %lld gives %s tree vertices; the limit "
                 "is %lld (2^24) vertices: lower depth or arity", k, d, shown,
                 MYO_MAX_VERTICES);
        return -1;
    }
    return 0;
}

/* Length of the list field key (0 if it is a number or absent). */
static lua_Integer list_len(lua_State *L, int t, const char *key)
{
    lua_getfield(L, t, key);
    lua_Integer n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
    lua_pop(L, 1);
    return n;
}

/* Entry l (from 1) of the list field key; a number stands for a list of
 * that number repeated. */
static lua_Integer list_entry(lua_State *L, int t, const char *key, lua_Integer l)
{
    lua_getfield(L, t, key);
    if (lua_istable(L, -1))
        lua_rawgeti(L, -1, l);
    else
        lua_pushvalue(L, -1);
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 2);
    return v;
}

static lua_Integer int_field(lua_State *L, int t, const char *key, lua_Integer def)
{
    lua_getfield(L, t, key);
    lua_Integer v = lua_isnil(L, -1) ? def : lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The string field key (def if absent or not a string).  Spec strings
 * outlive the call: the spec's table holds them. */
static const char *str_field(lua_State *L, int t, const char *key, const char *def)
{
    lua_getfield(L, t, key);
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : def;
    lua_pop(L, 1);
    return v;
}

/* Does passes name pass (absent: the forward only)? */
static int has_pass(lua_State *L, int t, const char *pass)
{
    lua_getfield(L, t, "passes");
    int found = lua_isnil(L, -1) && strcmp(pass, "forward") == 0;
    for (lua_Integer i = 1; lua_istable(L, -1) && i <= (lua_Integer)lua_rawlen(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        found |= lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), pass) == 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return found;
}

/* Bytes of a local-memory element of the spec's kernels on a GPU target
 * (f64: 8; f32 and the 16-bit dtypes, whose arithmetic is f32: 4); 0 for a
 * CPU target, where no limit applies. */
static long long gpu_local_elem(lua_State *L, int t)
{
    const char *target = str_field(L, t, "target", "c");
    if (strcmp(target, "opencl") != 0 && strcmp(target, "cuda") != 0)
        return 0;
    return strcmp(str_field(L, t, "dtype", "f32"), "f64") == 0 ? 8 : 4;
}

/* GPU targets keep a dense tree's blocks in local memory: a work-group of
 * the fused tree kernels holds at least one lane's worth (elements per lane
 * as in templates/myo/cl_layout.lua: the forward's k_up_pair and k_leaves,
 * sh_pair and sh_exchange; the backward's k_leaves_adj, its rows'
 * partials), and a work-group's local memory is at most 48 KiB (CUDA's
 * static shared memory, NVIDIA's OpenCL).  Diag blocks and the chain stay
 * far below it. */
#define GPU_LOCAL_BYTES 49152LL
static long long myo_gpu_lane_elems(long long k, long long n, int fwd_tree, int bwd, int level,
                                    int siso)
{
    long long bs = n * n, need = 0;
    if (fwd_tree) {
        long long pair = k * bs > 2 * k * n ? k * bs : 2 * k * n;
        long long exchange = bs + (k * bs > k * n + n ? k * bs : k * n + n);
        need = pair > exchange ? pair : exchange;
    }
    if (bwd) {
        long long rows = (level ? 3 * bs : 0) + (siso ? 2 * n + 1 : 0);
        need = rows > need ? rows : need;
    }
    return need;
}

static int check_myo_gpu_local(lua_State *L, int t, char *err, size_t errlen)
{
    long long size = gpu_local_elem(L, t);
    long long k = int_field(L, t, "arity", 0), n = int_field(L, t, "state", 0), m = n;
    if (!size || strcmp(str_field(L, t, "block", "diag"), "dense") != 0 || k < 2)
        return 0;
    int level = strcmp(str_field(L, t, "share", "level"), "level") == 0;
    int siso = strcmp(str_field(L, t, "readout", "siso"), "siso") == 0;
    int fwd = has_pass(L, t, "forward"), bwd = has_pass(L, t, "backward");
    int fwd_tree = fwd && !(level && siso); /* share "level" siso: the level sums */
    if (myo_gpu_lane_elems(k, n, fwd_tree, bwd, level, siso) * size <= GPU_LOCAL_BYTES)
        return 0;
    while (m > 1 && myo_gpu_lane_elems(k, m, fwd_tree, bwd, level, siso) * size > GPU_LOCAL_BYTES)
        m--;
    snprintf(err, errlen,
             "field 'state': block = \"dense\" with N = %lld needs %lld KiB of local memory per "
             "work-group on target \"%s\" (the tree kernels; at most 48 KiB): at most N = %lld "
             "with arity %lld and %s, or block = \"diag\"", n,
             (myo_gpu_lane_elems(k, n, fwd_tree, bwd, level, siso) * size + 1023) / 1024,
             str_field(L, t, "target", "c"), m, k, size == 8 ? "f64" : "f32");
    return -1;
}

/* The GPU attention kernels (templates/lib/gpu_flash.lua: mlr, btt
 * attention) stage q, k, v tiles in local memory; their smallest tile (4
 * queries x 4 keys, rows padded by one) needs these elements, forward and
 * backward (both are planned whatever the passes), within 48 KiB. */
static long long flash_min_elems(long long R, long long dv)
{
    long long fwd = R * 5 + (R > 4 ? R : 4) * 5 + 4 * dv + 16, bwd = (R + dv) * 10 + 28;
    return fwd > bwd ? fwd : bwd;
}

/* head dims R (q, k) and dv (v) of a GPU attention spec: over 48 KiB even
 * in the smallest tile is a bad field (rfield: what sets R). */
static int check_flash_local(lua_State *L, int t, long long R, const char *rfield, char *err,
                             size_t errlen)
{
    long long size = gpu_local_elem(L, t), dv = int_field(L, t, "value_dim", 1);
    if (!size || flash_min_elems(R, dv) * size <= GPU_LOCAL_BYTES)
        return 0;
    snprintf(err, errlen,
             "field '%s': head dims %lld (q, k) and %lld (value_dim) need %lld KiB of local "
             "memory per work-group on target \"%s\" even in the smallest attention tile (at "
             "most 48 KiB): (q, k) + v dims up to about %lld in %s",
             flash_min_elems(R, 1) * size > GPU_LOCAL_BYTES ? rfield : "value_dim", R, dv,
             (flash_min_elems(R, dv) * size + 1023) / 1024, str_field(L, t, "target", "c"),
             (GPU_LOCAL_BYTES / size - 28) / 10, size == 8 ? "f64" : "f32");
    return -1;
}

/* blocks = {b_1, ..., b_depth}: b_1 = T, each a proper divisor of the one
 * before (a number: the list of that one entry). */
static int check_mlr_blocks(lua_State *L, int t, lua_Integer T, lua_Integer depth, char *err,
                            size_t errlen)
{
    char msg[160];
    lua_Integer n = list_len(L, t, "blocks"), prev = T;
    if ((n ? n : 1) != depth) {
        snprintf(msg, sizeof msg, "a list needs one entry per level: %lld, got %lld",
                 (long long)depth, (long long)(n ? n : 1));
        return fail(err, errlen, "blocks", "%s%s", msg, "");
    }
    for (lua_Integer l = 1; l <= depth; l++) {
        lua_Integer b = list_entry(L, t, "blocks", l);
        if (l == 1 ? b != T : b >= prev || prev % b != 0) {
            if (l == 1)
                snprintf(msg, sizeof msg, "the first block is the whole sequence: seq_len = %lld, "
                         "got %lld", (long long)T, (long long)b);
            else
                snprintf(msg, sizeof msg, "each block size is a proper divisor of the one before: "
                         "%lld is not one of %lld", (long long)b, (long long)prev);
            return fail(err, errlen, "blocks", "%s%s", msg, "");
        }
        prev = b;
    }
    return 0;
}

static int check_mlr(lua_State *L, int t, char *err, size_t errlen)
{
    lua_Integer T = int_field(L, t, "seq_len", 0), k = int_field(L, t, "arity", 2);
    lua_Integer depth = int_field(L, t, "depth", 1), blocks = 1;
    char msg[160];
    lua_getfield(L, t, "blocks");
    int listed = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (listed && check_mlr_blocks(L, t, T, depth, err, errlen))
        return -1;
    for (lua_Integer l = 1; l < depth && !listed; l++) {
        blocks *= k;
        if (blocks > T)
            break;
    }
    if (!listed && (blocks > T || T % blocks != 0)) {
        snprintf(msg, sizeof msg, "%lld is not divisible by arity^(depth-1) = %lld^%lld",
                 (long long)T, (long long)k, (long long)(depth - 1));
        return fail(err, errlen, "seq_len", "%s%s", msg, "");
    }
    const char *lists[] = {"state", "scale"};
    for (int i = 0; i < 2; i++) {
        lua_Integer n = list_len(L, t, lists[i]);
        if (n != 0 && n != depth) {
            snprintf(msg, sizeof msg, "a list needs one entry per level: %lld, got %lld",
                     (long long)depth, (long long)n);
            return fail(err, errlen, lists[i], "%s%s", msg, "");
        }
    }
    long long R = 0; /* the q/k head dim: the sum of the levels' ranks */
    for (lua_Integer l = 1; l <= depth; l++)
        R += list_entry(L, t, "state", l);
    return check_flash_local(L, t, R, "state", err, errlen);
}

static int check_btt(lua_State *L, int t, char *err, size_t errlen)
{
    const char *factors[] = {"arity", "out_arity"};
    lua_Integer dim[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        lua_Integer n = list_len(L, t, factors[i]);
        lua_getfield(L, t, factors[i]);
        int absent = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (absent) {
            dim[i] = dim[0];
            continue;
        }
        if (n != 0 && n != 2)
            return fail(err, errlen, factors[i], "expected a number m or a list {m0, m1}%s%s",
                        "", "");
        dim[i] = list_entry(L, t, factors[i], 1) * list_entry(L, t, factors[i], 2);
    }
    lua_getfield(L, t, "op");
    int attention = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "attention") == 0;
    lua_pop(L, 1);
    const char *attention_only[] = {"seq_len", "value_dim", "causal", "scale", "key_order",
                                    "key_norm"};
    for (int i = 0; i < 6; i++) {
        lua_getfield(L, t, attention_only[i]);
        int present = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!attention && present)
            return fail(err, errlen, attention_only[i], "only for op = \"attention\"%s%s", "",
                        "");
        if (attention && i < 2 && !present)
            return fail(err, errlen, attention_only[i],
                        "required field is missing (op = \"attention\")%s%s", "", "");
    }
    if (attention && dim[0] != dim[1])
        return fail(err, errlen, "out_arity",
                    "op = \"attention\" needs d_in = d_out (m0*m1 = n0*n1)%s%s", "", "");
    return attention ? check_flash_local(L, t, dim[0], "arity", err, errlen) : 0;
}

/* 16-bit storage (bf16, f16) exists for mlr and matmul btt on cuda only
 * (DESIGN.md 3); their arithmetic is f32. */
static int check_half(lua_State *L, int t, const char *kernel, char *err, size_t errlen)
{
    lua_getfield(L, t, "dtype");
    lua_getfield(L, t, "target");
    lua_getfield(L, t, "op");
    const char *dtype = lua_tostring(L, -3), *target = lua_tostring(L, -2);
    int half = dtype && (strcmp(dtype, "bf16") == 0 || strcmp(dtype, "f16") == 0);
    int ok = !half || (lua_type(L, -2) == LUA_TSTRING && strcmp(target, "cuda") == 0 &&
                       (strcmp(kernel, "mlr") == 0 ||
                        (strcmp(kernel, "btt") == 0 &&
                         (lua_isnil(L, -1) || strcmp(lua_tostring(L, -1), "matmul") == 0))));
    char what[16];
    snprintf(what, sizeof what, "%s", half ? dtype : "");
    lua_pop(L, 3);
    if (!ok)
        return fail(err, errlen, "dtype", "\"%s\" is for kernel = \"mlr\" or \"btt\" (op = "
                    "\"matmul\") with target = \"cuda\"; elsewhere \"f32\" or \"f64\"%s", what, "");
    return 0;
}

/* Is x usable as a constant of the dtype: zero, or a normal number of it? */
static int fits_dtype(double x, int f32)
{
    double ax = fabs(x);
    return x == 0 || (f32 ? ax >= FLT_MIN && ax <= FLT_MAX : ax >= DBL_MIN && ax <= DBL_MAX);
}

/* Numbers become constants of the kernel's dtype: each must fit it. */
static int check_number_ranges(lua_State *L, int t, const char *kernel, char *err,
                               size_t errlen)
{
    lua_getfield(L, t, "dtype");
    int f32 = lua_isnil(L, -1) || strcmp(lua_tostring(L, -1), "f64") != 0; /* 16 bits: f32 arithmetic */
    lua_pop(L, 1);
    for (size_t i = 0; i < NRULES; i++) {
        const rule *r = &rules[i];
        if ((r->kernel && strcmp(r->kernel, kernel) != 0) ||
            (r->type != T_NUMBER && r->type != T_SCALE))
            continue;
        lua_getfield(L, t, r->key);
        int n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 1, bad = 0;
        for (int k = 1; k <= n && !bad; k++) {
            if (lua_istable(L, -1))
                lua_rawgeti(L, -1, k);
            else
                lua_pushvalue(L, -1);
            if (lua_type(L, -1) == LUA_TNUMBER && !fits_dtype(lua_tonumber(L, -1), f32)) {
                char num[64];
                snprintf(num, sizeof num, "%.17g", (double)lua_tonumber(L, -1));
                bad = fail(err, errlen, r->key, "%s is out of the range of %s (zero, or a "
                           "normal number of that type)", num, f32 ? "f32" : "f64");
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (bad)
            return -1;
    }
    return 0;
}

int schema_is_list_of_strings(const char *key)
{
    for (size_t i = 0; i < NRULES; i++)
        if (rules[i].type == T_ENUM_LIST && strcmp(rules[i].key, key) == 0)
            return 1;
    return 0;
}

int schema_validate(lua_State *L, spec *out, char *err, size_t errlen)
{
    int t = lua_gettop(L);
    memset(out, 0, sizeof *out);

    /* The kernel decides which fields exist, so it is checked first. */
    lua_getfield(L, t, "kernel");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return fail(err, errlen, "kernel", "required: one of \"myo\", \"mlr\", \"btt\"%s%s",
                    "", "");
    }
    if (check_enum_value(L, lua_gettop(L), &rules[0], err, errlen)) {
        lua_pop(L, 1);
        return -1;
    }
    snprintf(out->kernel, sizeof out->kernel, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    if (check_unknown_fields(L, t, out->kernel, err, errlen))
        return -1;

    size_t o = snprintf(out->canonical, sizeof out->canonical, "{");
    for (size_t i = 0; i < NRULES; i++) {
        const rule *r = &rules[i];
        if (r->kernel && strcmp(r->kernel, out->kernel) != 0)
            continue;
        lua_getfield(L, t, r->key);
        int missing = lua_isnil(L, -1);
        if (missing && !r->def) {
            lua_pop(L, 1);
            return fail(err, errlen, r->key, "required field is missing%s%s", "", "");
        }
        const char *instead = replacement(out->kernel, r->key);
        if (instead) {
            lua_getfield(L, t, instead);
            int replaced = !lua_isnil(L, -1);
            lua_pop(L, 1);
            if (replaced && !missing) {
                lua_pop(L, 1);
                return fail(err, errlen, instead, "give %s or %s, not both", r->key, instead);
            }
            if (replaced) {
                lua_pop(L, 1);
                continue;
            }
        }
        if (missing && !r->def[0]) { /* optional, derived by the templates */
            lua_pop(L, 1);
            continue;
        }
        o += snprintf(out->canonical + o, sizeof out->canonical - o, "%s%s=",
                      o > 1 ? ", " : "", r->key);
        if (missing) {
            o += snprintf(out->canonical + o, sizeof out->canonical - o, "%s", r->def);
        } else {
            int bad = check_field(L, lua_gettop(L), r, out->canonical, sizeof out->canonical,
                                  err, errlen);
            if (bad) {
                lua_pop(L, 1);
                return -1;
            }
            o = strlen(out->canonical);
        }
        lua_pop(L, 1);
    }
    snprintf(out->canonical + o, sizeof out->canonical - o, "}");

    if (check_number_ranges(L, t, out->kernel, err, errlen) ||
        check_half(L, t, out->kernel, err, errlen))
        return -1;
    if (strcmp(out->kernel, "myo") == 0 &&
        (check_myo(L, t, err, errlen) || check_myo_gpu_local(L, t, err, errlen)))
        return -1;
    if (strcmp(out->kernel, "mlr") == 0 && check_mlr(L, t, err, errlen))
        return -1;
    if (strcmp(out->kernel, "btt") == 0 && check_btt(L, t, err, errlen))
        return -1;
    for (size_t i = 0; i < NSUPPORTED; i++) {
        const support *sp = &supported[i];
        if (sp->kernel && strcmp(sp->kernel, out->kernel) != 0)
            continue;
        lua_getfield(L, t, sp->key);
        int bad = !lua_isnil(L, -1) &&
                  check_supported(L, lua_gettop(L), sp->key, sp->values, err, errlen);
        lua_pop(L, 1);
        if (bad)
            return -1;
    }
    lua_getfield(L, t, "name");
    snprintf(out->name, sizeof out->name, "%s", lua_tostring(L, -1));
    lua_getfield(L, t, "target");
    if (lua_istable(L, -1)) /* a list target: its canonical form */
        snprintf(out->target, sizeof out->target, "%s",
                 strstr(out->canonical, "target={") + strlen("target="));
    else
        snprintf(out->target, sizeof out->target, "%s",
                 lua_isnil(L, -1) ? "c" : lua_tostring(L, -1));
    char *close = strchr(out->target, '}');
    if (close)
        close[1] = 0;
    lua_pop(L, 2);
    return 0;
}
