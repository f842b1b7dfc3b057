#ifndef MYOGEN_TEST_CLI_UTIL_H
#define MYOGEN_TEST_CLI_UTIL_H
/* Running the myogen binary and checking what it did, for the command-line
 * tests (test_cli.c, cli_reliability.c). */
#include <stddef.h>

#define RUN_TIMEOUT_S 10
#define MAX_ARGS 160

extern const char *myogen;  /* the binary under test (absolute path) */
extern const char *bad_dir; /* tests/bad_specs */
extern const char good_spec[];
extern const char good_canonical[];

typedef struct {
    int timed_out;
    int code; /* exit status; -1 if killed by a signal */
    char *out, *err;
    size_t outlen, errlen;
} result;

#define EXPECT(cond, ...) expect_((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)
#define RUN(...) run_in(NULL, __VA_ARGS__, (const char *)NULL)
#define EXPECT_USAGE_ERROR(r, what) expect_usage_error_(&(r), what, __FILE__, __LINE__)

int expect_(int ok, const char *file, int line, const char *fmt, ...);
void append(char **buf, size_t *len, const char *p, size_t n);
double now(void);
result run_argv(const char *cwd, const char *const *args);
result run_in(const char *cwd, ...);
void result_free(result *r);
int one_line_error(const result *r);
int expect_usage_error_(const result *r, const char *what, const char *file, int line);
char *make_tmpdir(void);
void rm_rf(const char *path);
void free_tmpdir(char *dir);
int listing(const char *dir, char *buf, size_t len);
char *path_join(const char *dir, const char *name);
void write_file(const char *path, const char *text, size_t len);
char *read_file(const char *path, size_t *len);
char *good_spec_dir(char **spec);

typedef struct {
    const char *name;
    void (*fn)(void);
} test_def;

#endif
