/* Spec loading: a spec is untrusted Lua code, so it runs in a fresh state
 * with only pure libraries, an instruction budget and a memory budget. */
#include "spec.h"
#include "message.h"
#include "sandbox_lib.h"
#include "schema.h"

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

#define SPEC_MAX_BYTES (1u << 20)
#define SPEC_HOOK_PERIOD 1000
#define SPEC_CPU_LIMIT_S 20
#define CHUNK "spec"

/* Every loop a spec can run is charged to its instruction budget (the C
 * library loops too, see sandbox_lib.c), which fails the same way in every
 * run.  A C call we did not foresee could still spin: past a CPU-time limit
 * (never wall-clock, so load cannot fail a spec) a timer ends the process
 * with the one-line error, as any bad spec does. */
static char cpu_limit_message[700];

static void cpu_limit_reached(int sig)
{
    (void)sig;
    ssize_t ignored = write(2, cpu_limit_message, strlen(cpu_limit_message));
    (void)ignored;
    _exit(2);
}

static void set_cpu_timer(long seconds)
{
    struct itimerval t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = seconds;
    setitimer(ITIMER_PROF, &t, NULL);
}

static void arm_cpu_limit(const char *file)
{
    snprintf(cpu_limit_message, sizeof cpu_limit_message,
             "myogen: %s: CPU time limit exceeded (%d s)\n", file, SPEC_CPU_LIMIT_S);
    message_sanitize(cpu_limit_message + 8);
    signal(SIGPROF, cpu_limit_reached);
    set_cpu_timer(SPEC_CPU_LIMIT_S);
}

static void disarm_cpu_limit(void)
{
    set_cpu_timer(0);
    signal(SIGPROF, SIG_DFL);
}

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sandbox_budget *sb = ud;
    if (ptr == NULL)
        osize = 0;
    if (nsize == 0) {
        free(ptr);
        sb->used -= osize;
        return NULL;
    }
    if (nsize > osize && sb->used + (nsize - osize) > SANDBOX_MEMORY_LIMIT)
        return NULL; /* Lua raises "not enough memory" */
    if (nsize > osize && nsize - osize > SANDBOX_ALLOCATION_LIMIT - sb->allocated) {
        sb->over_total = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        sb->used += nsize - osize;
        if (nsize > osize)
            sb->allocated += nsize - osize;
    }
    return p;
}

static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    sandbox_charge(L, SPEC_HOOK_PERIOD);
}

/* Globals a spec may use: pure functions only.  pcall is left out so the
 * limits cannot be caught; string patterns are left out because they run
 * in C without instruction counting. */
static void sandbox_env(lua_State *L)
{
    static const char *const base[] = {"assert", "error", "ipairs", "next", "pairs", "select",
                                       "tonumber", "tostring", "type", "rawequal", "rawlen",
                                       "rawget", NULL};
    static const char *const string_drop[] = {"find", "match", "gmatch", "gsub", "dump",
                                              "pack", "unpack", "packsize", NULL};
    /* table.move shifts in C for as long as asked */
    static const char *const table_drop[] = {"move", NULL};
    luaL_requiref(L, "_G", luaopen_base, 1);
    luaL_requiref(L, "math", luaopen_math, 1);
    luaL_requiref(L, "string", luaopen_string, 1);
    luaL_requiref(L, "table", luaopen_table, 1);
    lua_pop(L, 4);

    lua_newtable(L); /* the spec's environment */
    lua_pushglobaltable(L);
    for (int i = 0; base[i]; i++) {
        lua_getfield(L, -1, base[i]);
        lua_setfield(L, -3, base[i]);
    }
    lua_getfield(L, -1, "math");
    lua_pushnil(L);
    lua_setfield(L, -2, "random"); /* specs must be deterministic */
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_setfield(L, -3, "math");
    lua_getfield(L, -1, "table");
    for (int i = 0; table_drop[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, table_drop[i]);
    }
    lua_setfield(L, -3, "table");
    lua_getfield(L, -1, "string");
    for (int i = 0; string_drop[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, string_drop[i]);
    }
    lua_setfield(L, -3, "string");
    lua_pop(L, 1); /* the real global table */
    sandbox_lib_install(L, -1);
}

/* "-D key=value": numbers become numbers, true/false booleans, a value with
 * commas a list, anything else a string. */
static void push_override_value(lua_State *L, const char *v, size_t len)
{
    const char *comma = memchr(v, ',', len);
    if (comma) {
        lua_newtable(L);
        int i = 1;
        for (;;) {
            const char *end = memchr(v, ',', len);
            size_t n = end ? (size_t)(end - v) : len;
            push_override_value(L, v, n);
            lua_rawseti(L, -2, i++);
            if (!end)
                break;
            len -= n + 1;
            v = end + 1;
        }
        return;
    }
    lua_pushlstring(L, v, len);
    if (lua_stringtonumber(L, lua_tostring(L, -1)) != 0) {
        lua_remove(L, -2);
    } else if (len == 4 && memcmp(v, "true", 4) == 0) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    } else if (len == 5 && memcmp(v, "false", 5) == 0) {
        lua_pop(L, 1);
        lua_pushboolean(L, 0);
    }
}

static int apply_override(lua_State *L, const char *ov, char *err, size_t errlen)
{
    const char *eq = strchr(ov, '=');
    if (!eq || eq == ov) {
        snprintf(err, errlen, "-D %s: expected key=value", ov);
        return -1;
    }
    lua_pushlstring(L, ov, (size_t)(eq - ov));
    push_override_value(L, eq + 1, strlen(eq + 1));
    if (lua_type(L, -1) == LUA_TSTRING && schema_is_list_of_strings(lua_tostring(L, -2))) {
        lua_createtable(L, 1, 0); /* -D passes=backward: the list {"backward"} */
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
    }
    lua_settable(L, -3);
    return 0;
}

/* A regular file only: a FIFO or a device would block or never end.  Opened
 * non-blocking so that even the open of a FIFO returns. */
static char *read_file(const char *file, size_t *len, char *err, size_t errlen)
{
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", file);
        close(fd);
        return NULL;
    }
    if (st.st_size > (off_t)SPEC_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", file, SPEC_MAX_BYTES);
        close(fd);
        return NULL;
    }
    char *buf = malloc(SPEC_MAX_BYTES + 1);
    size_t n = 0;
    while (buf && n <= SPEC_MAX_BYTES) {
        ssize_t got = read(fd, buf + n, SPEC_MAX_BYTES + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got < 0) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        n += (size_t)got;
    }
    close(fd);
    if (!buf) {
        snprintf(err, errlen, "%s: cannot read", file);
        return NULL;
    }
    if (n > SPEC_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", file, SPEC_MAX_BYTES);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int spec_load(const char *file, const char *const *overrides, int noverrides, spec *out,
              char *err, size_t errlen)
{
    size_t len;
    char *src = read_file(file, &len, err, errlen);
    if (!src) {
        message_sanitize(err);
        return -1;
    }

    sandbox_budget sb;
    memset(&sb, 0, sizeof sb);
    lua_State *L = lua_newstate(sandbox_alloc, &sb);
    if (!L) {
        free(src);
        snprintf(err, errlen, "%s: out of memory", file);
        return -1;
    }
    int rc = -1;
    sandbox_env(L);
    /* text only (no bytecode); a short chunk name, since Lua truncates long
     * ones: messages "spec:LINE: ..." get the real file name back below */
    int status = luaL_loadbufferx(L, src, len, "=" CHUNK, "t");
    if (status == LUA_OK) {
        lua_pushvalue(L, -2);
        lua_setupvalue(L, -2, 1); /* _ENV of the chunk = the sandbox env */
        lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, SPEC_HOOK_PERIOD);
        arm_cpu_limit(file);
        status = lua_pcall(L, 0, 1, 0);
        disarm_cpu_limit();
        lua_sethook(L, NULL, 0, 0);
    }
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (status == LUA_ERRMEM && sb.over_total)
            snprintf(err, errlen, "%s: memory limit exceeded (%u MiB allocated in all: "
                     "does a loop grow a string or table?)", file,
                     SANDBOX_ALLOCATION_LIMIT >> 20);
        else if (status == LUA_ERRMEM)
            snprintf(err, errlen, "%s: memory limit exceeded (%u MiB)", file,
                     SANDBOX_MEMORY_LIMIT >> 20);
        else if (msg && strncmp(msg, CHUNK ":", sizeof CHUNK) == 0)
            snprintf(err, errlen, "%s%s", file, msg + sizeof CHUNK - 1); /* file:line: msg */
        else
            snprintf(err, errlen, "%s: %s", file, msg ? msg : "error object is not a string");
        goto done;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s: the spec must return a table, got %s", file,
                 luaL_typename(L, -1));
        goto done;
    }
    for (int i = 0; i < noverrides; i++) {
        if (apply_override(L, overrides[i], err, errlen) != 0)
            goto done;
    }
    char why[SPEC_ERR_LEN];
    if (schema_validate(L, out, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", file, why);
        goto done;
    }
    rc = 0;
done:
    lua_close(L);
    free(src);
    if (rc != 0) /* on success err is not written: it may hold anything */
        message_sanitize(err);
    return rc;
}
