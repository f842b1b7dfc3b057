/* Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md). */
#ifndef MYOGEN_FUZZ_UTIL_H
#define MYOGEN_FUZZ_UTIL_H
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

/* A harness failure: an invariant of the code under test does not hold.
 * abort() makes libFuzzer save the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                              \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz check failed: %s (%s:%d): ", #cond, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* A private directory for the files the harness hands to path-taking APIs
 * ($TMPDIR or /tmp; removed at exit by fuzz_cleanup unless it crashed). */
static char fuzz_dir[4096];

static inline void fuzz_cleanup(void)
{
    char cmd[4200];
    if (fuzz_dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
    }
}

static inline void fuzz_make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/myogen-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        exit(1);
    }
    atexit(fuzz_cleanup);
}

static inline void fuzz_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", fuzz_dir, name);
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* The spec loader's limits may use process-wide timers, signal handlers and
 * CPU limits (an alarm, SIGPROF, RLIMIT_CPU).  libFuzzer owns SIGALRM and
 * ITIMER_REAL (its -timeout) and runs for far longer than one spec may, so
 * the harness puts every one of them back as it was after each call. */
static const int fuzz_timer_signals[] = {SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU};
#define FUZZ_NSIG ((int)(sizeof fuzz_timer_signals / sizeof fuzz_timer_signals[0]))

typedef struct {
    struct sigaction sa[FUZZ_NSIG];
    struct itimerval it[3];
    struct rlimit cpu;
} fuzz_timers;

static inline void fuzz_timers_save(fuzz_timers *s)
{
    static const int which[3] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
    for (int i = 0; i < FUZZ_NSIG; i++)
        sigaction(fuzz_timer_signals[i], NULL, &s->sa[i]);
    for (int i = 0; i < 3; i++)
        getitimer(which[i], &s->it[i]);
    getrlimit(RLIMIT_CPU, &s->cpu);
}

static inline void fuzz_timers_restore(const fuzz_timers *s)
{
    static const int which[3] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
    for (int i = 0; i < 3; i++) {
        struct itimerval t = s->it[i];
        if (t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0 &&
            (t.it_interval.tv_sec || t.it_interval.tv_usec))
            t.it_value = t.it_interval; /* a periodic timer that was about to fire */
        setitimer(which[i], &t, NULL);
    }
    for (int i = 0; i < FUZZ_NSIG; i++)
        sigaction(fuzz_timer_signals[i], &s->sa[i], NULL);
    setrlimit(RLIMIT_CPU, &s->cpu);
}

/* A one-line message: NUL-terminated within its buffer, no newline. */
static inline void fuzz_check_one_line(const char *what, const char *msg, size_t cap)
{
    FUZZ_CHECK(memchr(msg, 0, cap) != NULL, "%s: message not NUL-terminated", what);
    FUZZ_CHECK(msg[0] != 0, "%s: empty message", what);
    FUZZ_CHECK(strchr(msg, '\n') == NULL, "%s: message is not one line: \"%s\"", what, msg);
}

#endif
