/* The deterministic replacements of the spec sandbox (see sandbox_lib.h). */
#include "sandbox_lib.h"

#include <string.h>
#include <lauxlib.h>

void sandbox_charge(lua_State *L, long n)
{
    sandbox_budget *b;
    lua_getallocf(L, (void **)&b);
    if (n < 0)
        n = 0;
    if (n > SANDBOX_INSTRUCTION_LIMIT - b->instructions) {
        b->instructions = SANDBOX_INSTRUCTION_LIMIT;
        luaL_error(L, "instruction limit exceeded (%d million): does the spec loop forever?",
                   (int)(SANDBOX_INSTRUCTION_LIMIT / 1000000));
    }
    b->instructions += n;
}

/* n log2 n, the comparisons of a merge sort, saturated. */
static long sort_cost(lua_Integer n)
{
    long log = 1;
    for (lua_Integer m = n; m > 1; m >>= 1)
        log++;
    return n > SANDBOX_INSTRUCTION_LIMIT ? SANDBOX_INSTRUCTION_LIMIT + 1 : (long)n * log;
}

/* ---- a total order on keys: booleans, then numbers, then strings ---- */

static int key_rank(lua_State *L, int i)
{
    switch (lua_type(L, i)) {
    case LUA_TBOOLEAN:
        return 0;
    case LUA_TNUMBER:
        return 1;
    case LUA_TSTRING:
        return 2;
    default:
        return luaL_error(L, "pairs/next: a table with keys of type %s has no iteration "
                          "order that is the same in every run (use numbers or strings as keys)",
                          luaL_typename(L, i));
    }
}

static int key_cmp(lua_State *L, int a, int b)
{
    int ra = key_rank(L, a), rb = key_rank(L, b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return lua_toboolean(L, a) - lua_toboolean(L, b);
    if (ra == 1) {
        int ia = lua_isinteger(L, a), ib = lua_isinteger(L, b);
        if (ia && ib) {
            lua_Integer x = lua_tointeger(L, a), y = lua_tointeger(L, b);
            return x < y ? -1 : x > y;
        }
        lua_Number x = lua_tonumber(L, a), y = lua_tonumber(L, b);
        if (x != y)
            return x < y ? -1 : 1;
        return ia ? -1 : ib ? 1 : 0; /* 1 and 1.0000000000000002 compare equal as doubles */
    }
    size_t la, lb;
    const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    return c ? (c < 0 ? -1 : 1) : (la > lb) - (la < lb);
}

/* ---- stable merge sort of t[1..n] ---- */

enum { ORDER_KEYS = -1, ORDER_LT = 0 }; /* or > 0: stack index of a comparator */

/* Is the value at -2 before the one at -1? */
static int before(lua_State *L, int order)
{
    if (order == ORDER_KEYS)
        return key_cmp(L, -2, -1) < 0;
    if (order == ORDER_LT)
        return lua_compare(L, -2, -1, LUA_OPLT);
    lua_pushvalue(L, order);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_call(L, 2, 1);
    int r = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

static void merge_sort(lua_State *L, int t, lua_Integer n, int order)
{
    sandbox_charge(L, sort_cost(n));
    luaL_checkstack(L, 8, "sort");
    lua_createtable(L, 0, 0);
    int src = t, dst = lua_gettop(L);
    for (lua_Integer w = 1; w < n; w *= 2) {
        for (lua_Integer lo = 1; lo <= n; lo += 2 * w) {
            lua_Integer mid = lo + w < n + 1 ? lo + w : n + 1;
            lua_Integer hi = lo + 2 * w < n + 1 ? lo + 2 * w : n + 1;
            lua_Integer i = lo, j = mid;
            for (lua_Integer k = lo; k < hi; k++) {
                int right = i >= mid;
                if (i < mid && j < hi) { /* the right one only if strictly before: stable */
                    lua_rawgeti(L, src, j);
                    lua_rawgeti(L, src, i);
                    right = before(L, order);
                    lua_pop(L, 2);
                }
                lua_rawgeti(L, src, right ? j++ : i++);
                lua_rawseti(L, dst, k);
            }
        }
        int swap = src;
        src = dst;
        dst = swap;
    }
    if (src != t)
        for (lua_Integer k = 1; k <= n; k++) {
            lua_rawgeti(L, src, k);
            lua_rawseti(L, t, k);
        }
    lua_pop(L, 1);
}

static int det_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    int order = ORDER_LT;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
        order = 2;
    }
    lua_settop(L, 2);
    merge_sort(L, 1, n, order);
    return 0;
}

/* ---- pairs and next in key order ---- */

/* upvalues: the table, its sorted keys, the position reached */
static int sorted_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
    while (i < n) {
        lua_rawgeti(L, lua_upvalueindex(2), ++i);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) { /* skip keys set to nil since */
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2);
    }
    lua_pushinteger(L, n);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushnil(L);
    return 1;
}

static int sorted_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        key_rank(L, -1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 2, ++n);
    }
    merge_sort(L, 2, n, ORDER_KEYS);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sorted_iter, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* next(t, k): the smallest key after k (one scan of t, charged). */
static int sorted_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    const int after = !lua_isnil(L, 2);
    if (after)
        key_rank(L, 2);
    long n = 0;
    lua_pushnil(L); /* 3: the best key so far */
    lua_pushnil(L); /* 4: lua_next's key */
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        n++;
        if ((!after || key_cmp(L, 4, 2) > 0) && (lua_isnil(L, 3) || key_cmp(L, 4, 3) < 0)) {
            lua_pushvalue(L, 4);
            lua_replace(L, 3);
        }
    }
    sandbox_charge(L, n);
    if (lua_isnil(L, 3))
        return 1;
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}

/* ---- no addresses in text ---- */

static int is_reference(lua_State *L, int i)
{
    int t = lua_type(L, i);
    return t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
           t == LUA_TLIGHTUSERDATA;
}

static int plain_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    if (is_reference(L, 1))
        lua_pushstring(L, luaL_typename(L, 1));
    else
        luaL_tolstring(L, 1, NULL);
    return 1;
}

/* upvalue: the real string.format */
static int plain_format(lua_State *L)
{
    size_t len;
    const char *f = luaL_checklstring(L, 1, &len);
    for (size_t i = 0; i < len; i++) {
        if (f[i] != '%' || ++i >= len || f[i] == '%')
            continue;
        while (i < len && f[i] && strchr("-+ #0123456789.", f[i]))
            i++;
        if (i < len && f[i] == 'p')
            return luaL_error(L, "string.format: '%%p' prints an address, which differs "
                              "between runs: not available in specs");
    }
    int top = lua_gettop(L);
    for (int i = 2; i <= top; i++)
        if (is_reference(L, i)) {
            lua_pushstring(L, luaL_typename(L, i));
            lua_replace(L, i);
        }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, top, 1);
    return 1;
}

/* ---- C loops charged by their length ---- */

/* upvalue: the real function.  Repeating "" loops with no allocation, so
 * each repetition is charged; otherwise the memory limit bounds the result
 * and a repetition costs a short copy. */
static int charged_rep(lua_State *L)
{
    size_t ls = 0, lsep = 0;
    luaL_checklstring(L, 1, &ls);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (ls + lsep > 0)
        n /= 64;
    sandbox_charge(L, n > SANDBOX_INSTRUCTION_LIMIT ? SANDBOX_INSTRUCTION_LIMIT + 1 : (long)n);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* upvalue: the real function; charge: the table's length (elements shifted) */
static int charged_shift(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n = lua_rawlen(L, 1);
    sandbox_charge(L, n > SANDBOX_INSTRUCTION_LIMIT ? SANDBOX_INSTRUCTION_LIMIT + 1 : (long)n);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ---- what is missing says so ---- */

/* Names a spec may reach for that the sandbox leaves out, and why.  Reading
 * one raises "'io' is not available in specs (...)" instead of Lua's
 * "attempt to index a nil value". */
typedef struct {
    const char *lib, *name, *why; /* lib: NULL for a global */
} unavailable;

#define NO_FILES "a spec cannot reach files, programs or other code"
static const unavailable unavailables[] = {
    {NULL, "io", NO_FILES},
    {NULL, "os", NO_FILES},
    {NULL, "require", NO_FILES},
    {NULL, "package", NO_FILES},
    {NULL, "load", NO_FILES},
    {NULL, "loadfile", NO_FILES},
    {NULL, "loadstring", NO_FILES},
    {NULL, "dofile", NO_FILES},
    {NULL, "debug", NO_FILES},
    {NULL, "print", "a spec returns its table and prints nothing"},
    {NULL, "pcall", "the sandbox's limits cannot be caught"},
    {NULL, "xpcall", "the sandbox's limits cannot be caught"},
    {NULL, "collectgarbage", "the sandbox owns the memory"},
    {NULL, "coroutine", "a spec is plain straight-line Lua"},
    {NULL, "setmetatable", "a spec is plain tables, numbers and strings"},
    {NULL, "getmetatable", "a spec is plain tables, numbers and strings"},
    {NULL, "rawset", "a spec is plain tables, numbers and strings"},
    {NULL, "_G", "a spec sees only its own globals"},
    {"math", "random", "a spec gives the same result in every run"},
    {"math", "randomseed", "a spec gives the same result in every run"},
    {"string", "find", "string patterns run outside the sandbox's budget"},
    {"string", "match", "string patterns run outside the sandbox's budget"},
    {"string", "gmatch", "string patterns run outside the sandbox's budget"},
    {"string", "gsub", "string patterns run outside the sandbox's budget"},
    {"string", "dump", "a spec cannot reach files, programs or other code"},
    {"string", "pack", "binary packing has no use in a spec"},
    {"string", "unpack", "binary packing has no use in a spec"},
    {"string", "packsize", "binary packing has no use in a spec"},
    {"table", "move", "its loop runs outside the sandbox's budget"},
};
#define NUNAVAILABLE (sizeof unavailables / sizeof unavailables[0])

/* __index of the spec's globals and libraries; upvalue: the library's name
 * ("" for the globals) */
static int missing_index(lua_State *L)
{
    const char *lib = lua_tostring(L, lua_upvalueindex(1));
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    for (size_t i = 0; key && i < NUNAVAILABLE; i++) {
        const unavailable *u = &unavailables[i];
        if (strcmp(u->lib ? u->lib : "", lib) != 0 || strcmp(u->name, key) != 0)
            continue;
        luaL_where(L, 1); /* the line of the spec that reads it */
        lua_pushfstring(L, "'%s%s%s' is not available in specs (%s)", lib, *lib ? "." : "",
                        key, u->why);
        lua_concat(L, 2);
        return lua_error(L);
    }
    return 0; /* nil, as for any absent key */
}

/* t's missing entries explain themselves */
static void explain_missing(lua_State *L, int t, const char *lib)
{
    lua_newtable(L);
    lua_pushstring(L, lib);
    lua_pushcclosure(L, missing_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, t);
}

/* t[name] = f with the old t[name] as its upvalue */
static void wrap(lua_State *L, int t, const char *name, lua_CFunction f)
{
    lua_getfield(L, t, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, t, name);
}

void sandbox_lib_install(lua_State *L, int env)
{
    env = lua_absindex(L, env);
    lua_pushcfunction(L, sorted_pairs);
    lua_setfield(L, env, "pairs");
    lua_pushcfunction(L, sorted_next);
    lua_setfield(L, env, "next");
    lua_pushcfunction(L, plain_tostring);
    lua_setfield(L, env, "tostring");

    lua_getfield(L, env, "string"); /* also the strings' metatable __index */
    int s = lua_gettop(L);
    wrap(L, s, "format", plain_format);
    wrap(L, s, "rep", charged_rep);
    lua_getfield(L, env, "table");
    int t = lua_gettop(L);
    lua_pushcfunction(L, det_sort);
    lua_setfield(L, t, "sort");
    wrap(L, t, "insert", charged_shift);
    wrap(L, t, "remove", charged_shift);
    explain_missing(L, s, "string");
    explain_missing(L, t, "table");
    lua_getfield(L, env, "math");
    explain_missing(L, lua_gettop(L), "math");
    lua_pop(L, 3);
    explain_missing(L, env, "");
}
