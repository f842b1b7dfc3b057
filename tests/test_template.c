/* Unit tests of the template lexer and compiler (DESIGN.md section 4).
 * usage: test_template [SUITE]  (no SUITE: run every suite) */
#include "template.h"
#include "template_lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <lauxlib.h>
#include <lualib.h>

/* ---- helpers ---- */

/* Asserts with a message built at run time (CUnit copies it). */
static void check_msg(int ok, int line, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, __FILE__, "",
                            CU_FALSE);
}

/* Escapes control characters so failures print readably. */
static const char *show(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (!s)
        return "(null)";
    for (; *s && o + 5 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            o += (size_t)snprintf(buf + o, len - o, "\\n");
        else if (c < 32 || c >= 127)
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = 0;
    return buf;
}

/* Compiles tmpl and runs the chunk (chunkname "@t.tmpl") in a fresh state
 * with an emit function and tostring.  Returns the output (malloc'd), or
 * NULL with the compile or Lua error in err. */
static char *render(const char *tmpl, char *err, size_t errlen)
{
    err[0] = 0;
    char *src = template_compile(tmpl, strlen(tmpl), err, errlen);
    if (!src)
        return NULL;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    char *result = NULL;
    if (luaL_dostring(L, "_out = {}; function _emit(s) _out[#_out + 1] = s end") != LUA_OK) {
        snprintf(err, errlen, "harness: %s", lua_tostring(L, -1));
        goto done;
    }
    if (luaL_loadbuffer(L, src, strlen(src), "@t.tmpl") != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        goto done;
    }
    lua_getglobal(L, "_emit");
    lua_getglobal(L, "tostring");
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        goto done;
    }
    if (luaL_dostring(L, "return table.concat(_out)") != LUA_OK) {
        snprintf(err, errlen, "harness: %s", lua_tostring(L, -1));
        goto done;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    result = malloc(n + 1);
    memcpy(result, s, n + 1);
done:
    lua_close(L);
    free(src);
    return result;
}

/* Renders tmpl and compares with want. */
#define RENDERS(tmpl, want) renders_(tmpl, want, __LINE__)
static void renders_(const char *tmpl, const char *want, int line)
{
    char err[1024], b1[1024], b2[1024], b3[1024];
    char *got = render(tmpl, err, sizeof err);
    check_msg(got && strcmp(got, want) == 0, line,
              "template \"%s\": expected \"%s\", got \"%s\" %s", show(tmpl, b1, sizeof b1),
              show(want, b2, sizeof b2), show(got, b3, sizeof b3), got ? "" : err);
    free(got);
}

/* template_compile must fail with "LINE: ..." naming that line. */
#define COMPILE_FAILS(tmpl, line_no) compile_fails_(tmpl, line_no, __LINE__)
static void compile_fails_(const char *tmpl, int want_line, int line)
{
    char err[512] = "", b1[1024], prefix[32];
    char *src = template_compile(tmpl, strlen(tmpl), err, sizeof err);
    snprintf(prefix, sizeof prefix, "%d: ", want_line);
    check_msg(!src && strncmp(err, prefix, strlen(prefix)) == 0 && !strchr(err, '\n'), line,
              "template \"%s\": expected a compile error starting \"%s\", got %s",
              show(tmpl, b1, sizeof b1), prefix, src ? "success" : err);
    free(src);
}

/* Rendering must fail (load or run) with "t.tmpl:LINE:". */
#define RUN_FAILS(tmpl, line_no) run_fails_(tmpl, line_no, __LINE__)
static void run_fails_(const char *tmpl, int want_line, int line)
{
    char err[1024], b1[1024], prefix[32];
    char *got = render(tmpl, err, sizeof err);
    snprintf(prefix, sizeof prefix, "t.tmpl:%d:", want_line);
    check_msg(!got && strncmp(err, prefix, strlen(prefix)) == 0, line,
              "template \"%s\": expected an error starting \"%s\", got %s",
              show(tmpl, b1, sizeof b1), prefix, got ? "success" : err);
    free(got);
}

/* ---- lexer tokens ---- */

static void expect_tok(lexer *lx, tok_type type, const char *text, int line)
{
    token t = lexer_next(lx);
    CU_ASSERT_EQUAL(t.type, type);
    CU_ASSERT_EQUAL(t.line, line);
    if (text) {
        CU_ASSERT_EQUAL(t.len, strlen(text));
        CU_ASSERT(t.len == strlen(text) && memcmp(t.text, text, t.len) == 0);
    }
}

static void test_lexer_tokens(void)
{
    const char *s = "a${b}c\n  $ for x\n$\n${ {1} }$\n";
    lexer lx;
    lexer_init(&lx, s, strlen(s));
    expect_tok(&lx, TOK_TEXT, "a", 1);
    expect_tok(&lx, TOK_EXPR, "b", 1);
    expect_tok(&lx, TOK_TEXT, "c", 1);
    expect_tok(&lx, TOK_NEWLINE, NULL, 1);
    expect_tok(&lx, TOK_STMT, " for x", 2);
    expect_tok(&lx, TOK_STMT, "", 3);
    expect_tok(&lx, TOK_EXPR, " {1} ", 4);
    expect_tok(&lx, TOK_TEXT, "$", 4);
    expect_tok(&lx, TOK_NEWLINE, NULL, 4);
    expect_tok(&lx, TOK_END, NULL, 5);
    expect_tok(&lx, TOK_END, NULL, 5); /* END is sticky */
}

static void test_lexer_empty(void)
{
    lexer lx;
    lexer_init(&lx, "", 0);
    expect_tok(&lx, TOK_END, NULL, 1);
}

static void test_lexer_error_line(void)
{
    const char *s = "x\ny\n  z ${ a\n";
    lexer lx;
    lexer_init(&lx, s, strlen(s));
    token t;
    do
        t = lexer_next(&lx);
    while (t.type != TOK_ERROR && t.type != TOK_END);
    CU_ASSERT_EQUAL(t.type, TOK_ERROR);
    CU_ASSERT_EQUAL(t.line, 3);
    CU_ASSERT(t.len > 0 && t.len == strlen(t.text)); /* len matches the message */
}

/* Every error token's len is its message's length. */
static void test_lexer_error_messages(void)
{
    const char *bad[] = {"${x", "${x\n}", "${'x}\n", "${\"x", "${}",
                         "${\"x\\\ny\"}\n" /* an escaped newline in a string */};
    for (int i = 0; i < 6; i++) {
        lexer lx;
        lexer_init(&lx, bad[i], strlen(bad[i]));
        token t;
        do
            t = lexer_next(&lx);
        while (t.type != TOK_ERROR && t.type != TOK_END);
        char b[64];
        check_msg(t.type == TOK_ERROR && t.len > 0 && t.len == strlen(t.text), __LINE__,
                  "\"%s\": expected an error token whose len is its message's",
                  show(bad[i], b, sizeof b));
    }
}

/* ---- text and interpolation ---- */

static void test_text(void)
{
    RENDERS("", "");
    RENDERS("hello", "hello");
    RENDERS("hello\nworld\n", "hello\nworld\n");
    RENDERS("\n\n\n", "\n\n\n");
    RENDERS("int main(void) { return 0; }\n", "int main(void) { return 0; }\n");
    /* characters that mean something in a Lua string or chunk */
    RENDERS("a\"b'c\\d\te\r\n", "a\"b'c\\d\te\r\n");
    RENDERS("]] [[ [==[ -- --[[ ]==]\n", "]] [[ [==[ -- --[[ ]==]\n");
    RENDERS("\x01\x1f\x7f \xc3\xa9\xff\n", "\x01\x1f\x7f \xc3\xa9\xff\n");
    RENDERS("\\0 \\n %d %s\n", "\\0 \\n %d %s\n");
    RENDERS("x = 1 -- not Lua\n", "x = 1 -- not Lua\n");
}

static void test_interpolation(void)
{
    RENDERS("${1 + 2}", "3");
    RENDERS("a${'b'}c\n", "abc\n");
    RENDERS("${1}${2} ${3}\n", "12 3\n");
    RENDERS("${\"x\" .. 'y'}", "xy");
    RENDERS("${ math.max(4, 7) }", "7");
    RENDERS("f(${2 * 3}, ${\"q\"});\n", "f(6, q);\n");
}

static void test_interpolation_nested_braces(void)
{
    RENDERS("${#{1, 2, 3}}", "3");
    RENDERS("${ ({a = {b = 5}}).a.b }", "5");
    RENDERS("${ ({ {1}, {2, {3}} })[2][2][1] }!", "3!");
    RENDERS("{${ #{{}} }}", "{1}");
}

static void test_interpolation_strings_with_braces(void)
{
    RENDERS("${ \"}\" }", "}");
    RENDERS("${ '{' .. \"}}\" }", "{}}");
    RENDERS("${ \"a\\\"}\" }", "a\"}");
    RENDERS("${ 'it\\'s }' }", "it's }");
    RENDERS("${ ({['}'] = 9})['}'] }", "9");
    RENDERS("${ \"${x}\" }", "${x}");
}

static void test_dollar_in_text(void)
{
    RENDERS("cost: $5\n", "cost: $5\n");
    RENDERS("a $ b\n", "a $ b\n");
    RENDERS("x$\n", "x$\n");
    RENDERS("a$}b $$ c\n", "a$}b $$ c\n");
    RENDERS("a\n$ \n", "a\n");
}

/* ---- statement lines ---- */

static void test_statements(void)
{
    RENDERS("$ for i = 1, 3 do\n${i},\n$ end\n", "1,\n2,\n3,\n");
    RENDERS("$ local x = 5\n${x}\n", "5\n");
    RENDERS("$local x = 5\n${x}\n", "5\n");
    RENDERS("$\n$\nA\n", "A\n");
    RENDERS("$ if false then\nno\n$ else\nyes\n$ end\n", "yes\n");
    RENDERS("$ local t = {1, 2}\n${#t}", "2");
    RENDERS("$ x = 1 -- a comment\n${x}\n", "1\n");
    RENDERS("A\n$ local y = 'last'", "A\n"); /* no final newline */
}

static void test_statement_leading_whitespace(void)
{
    RENDERS("   $ local x = 5\n\t$ local y = 6\n${x + y}\n", "11\n");
    RENDERS(" \t $ for i = 1, 2 do\n  v${i}\n  $ end\n", "  v1\n  v2\n");
}

/* A last line "$" with no newline is an (empty) statement, not text. */
static void test_statement_dollar_at_eof(void)
{
    RENDERS("$", "");
    RENDERS("a\n$", "a\n");
    RENDERS("a\n  $", "a\n");
}

static void test_interpolation_at_line_start(void)
{
    RENDERS("${1}\n", "1\n");
    RENDERS("  ${2} x\n", "  2 x\n");
    RENDERS("\t${'a'}${'b'}\n${3}", "\tab\n3");
    RENDERS("$ local v = 'w'\n${v}\n", "w\n");
}

static void test_crlf(void)
{
    RENDERS("$ local x = 1\r\nA${x}\r\n$ end_ = 1\r\nB\r\n", "A1\r\nB\r\n");
}

/* ---- errors ---- */

static void test_compile_errors(void)
{
    COMPILE_FAILS("${x", 1);
    COMPILE_FAILS("a\nb ${x", 2);
    COMPILE_FAILS("a\n\nb ${x\n}\n", 3);
    COMPILE_FAILS("a\n${ f({1}\n", 2);
    COMPILE_FAILS("${ \"abc }\n", 1);
    COMPILE_FAILS("ok\n${ '}' \n", 2);
    COMPILE_FAILS("x\n${}", 2);
    COMPILE_FAILS("$ for i = 1, 2 do\n${i}\n$ end\n\n  ${ {\n", 5);
}

static void test_runtime_error_lines(void)
{
    RUN_FAILS("$ error('boom')\n", 1);
    RUN_FAILS("a\nb\n$ error('boom')\n", 3);
    RUN_FAILS("a ${1}\n\n$ local t = nil\nx ${t.y}\n", 4);
    RUN_FAILS("${1}${2}\n$\n  $ local x = 1\n\n${x}${x}${nil_table.f}\n", 5);
    RUN_FAILS("$ for i = 1, 3 do\n${i}\n$ end\n$ if true then\n\n${ {} .. 'x' }\n$ end\n", 6);
    RUN_FAILS("${'{'}${\"}\"}\n$\n\nx ${ undefined_fn() }\n", 4);
    RUN_FAILS("a\r\nb\r\n$ error('crlf')\r\n", 3);
}

static void test_syntax_error_lines(void)
{
    RUN_FAILS("a\nb\n$ local = 1\n", 3);
    RUN_FAILS("x ${1}\n${ 1 + }\n", 2);
    RUN_FAILS("one\ntwo\nthree ${a b}\n", 3);
}

/* ---- the embedded templates, through the engine ---- */

static const char canonical[] =
    "{kernel=\"myo\", name=\"quad\", dtype=\"f32\", target=\"c\", passes={\"forward\"}, "
    "threads=\"none\", arity=4, depth=3, state=4, block=\"diag\", share=\"level\", "
    "symmetric=false, readout=\"siso\"}";

static void test_engine_render(void)
{
    char err[512] = "";
    template_engine *e = engine_new(canonical, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    engine_set(e, "HEADER_NAME", "quad.h");
    const char *names[] = {"myo/kernel.h.tmpl", "myo/kernel.c.tmpl"};
    for (int i = 0; i < 2; i++) {
        char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        int ra = engine_render(e, names[i], &a, &na, err, sizeof err);
        check_msg(ra == 0, __LINE__, "render %s: %s", names[i], err);
        int rb = engine_render(e, names[i], &b, &nb, err, sizeof err);
        CU_ASSERT_EQUAL(rb, 0);
        if (ra == 0 && rb == 0) {
            CU_ASSERT(na > 0);
            CU_ASSERT_EQUAL(strlen(a), na);
            CU_ASSERT(na == nb && memcmp(a, b, na) == 0); /* same engine, same output */
        }
        free(a);
        free(b);
    }
    engine_free(e);
}

static void test_engine_missing_template(void)
{
    char err[512] = "";
    template_engine *e = engine_new(canonical, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char *out = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(engine_render(e, "myo/no_such.tmpl", &out, &n, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "templates/myo/no_such.tmpl"));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    /* the engine still works after an error */
    CU_ASSERT_EQUAL(engine_render(e, "myo/kernel.h.tmpl", &out, &n, err, sizeof err), 0);
    free(out);
    engine_free(e);
}

static void test_engine_bad_spec(void)
{
    char err[512] = "";
    template_engine *e = engine_new("{kernel = ", err, sizeof err);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT(err[0] != 0);
    engine_free(e);
}

/* ---- main ---- */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_def;

typedef struct {
    const char *name;
    const test_def *tests;
} suite_def;

static const test_def lexer_tests[] = {
    {"tokens", test_lexer_tokens},
    {"empty", test_lexer_empty},
    {"error line", test_lexer_error_line},
    {"error messages", test_lexer_error_messages},
    {NULL, NULL}};
static const test_def render_tests[] = {
    {"text", test_text},
    {"interpolation", test_interpolation},
    {"nested braces", test_interpolation_nested_braces},
    {"strings with braces", test_interpolation_strings_with_braces},
    {"lone $ in text", test_dollar_in_text},
    {"statements", test_statements},
    {"statement leading whitespace", test_statement_leading_whitespace},
    {"lone $ line at end of file", test_statement_dollar_at_eof},
    {"${ at line start is text", test_interpolation_at_line_start},
    {"CRLF", test_crlf},
    {NULL, NULL}};
static const test_def error_tests[] = {
    {"compile errors report the line", test_compile_errors},
    {"runtime errors report the line", test_runtime_error_lines},
    {"syntax errors report the line", test_syntax_error_lines},
    {NULL, NULL}};
static const test_def engine_tests[] = {
    {"render embedded", test_engine_render},
    {"missing template", test_engine_missing_template},
    {"bad spec source", test_engine_bad_spec},
    {NULL, NULL}};

static const suite_def suites[] = {
    {"lexer", lexer_tests},
    {"render", render_tests},
    {"errors", error_tests},
    {"engine", engine_tests},
    {NULL, NULL}};

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    int found = 0;
    for (const suite_def *s = suites; s->name; s++) {
        if (only && strcmp(only, s->name) != 0)
            continue;
        found = 1;
        CU_pSuite ps = CU_add_suite(s->name, NULL, NULL);
        for (const test_def *t = s->tests; ps && t->name; t++)
            CU_add_test(ps, t->name, t->fn);
    }
    if (!found) {
        fprintf(stderr, "test_template: no suite '%s'\n", only);
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
