/* Helpers of the command-line tests (see cli_util.h). */
#define _XOPEN_SOURCE 700
#include "cli_util.h"

#include <CUnit/Basic.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


const char *myogen;
const char *bad_dir;

const char good_spec[] =
    "return {kernel=\"myo\", name=\"quad\", arity=4, depth=3, state=4}\n";
const char good_canonical[] =
    "{kernel=\"myo\", name=\"quad\", dtype=\"f32\", target=\"c\", passes={\"forward\"}, "
    "threads=\"none\", arity=4, depth=3, state=4, block=\"diag\", share=\"level\", "
    "symmetric=false, readout=\"siso\"}";

/* ---- assertions with run-time messages ---- */

int expect_(int ok, const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, file, "",
                            CU_FALSE);
    return ok;
}

/* ---- running myogen ---- */


void append(char **buf, size_t *len, const char *p, size_t n)
{
    char *q = realloc(*buf, *len + n + 1);
    if (!q)
        abort();
    memcpy(q + *len, p, n);
    *len += n;
    q[*len] = 0;
    *buf = q;
}

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs myogen with args (NULL-terminated) in directory cwd (NULL: here). */
result run_argv(const char *cwd, const char *const *args)
{
    result r = {0, -1, NULL, NULL, 0, 0};
    append(&r.out, &r.outlen, "", 0);
    append(&r.err, &r.errlen, "", 0);
    const char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = myogen;
    for (; args[n - 1] && n <= MAX_ARGS; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;

    int po[2], pe[2];
    if (pipe(po) || pipe(pe))
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(126);
        close(po[0]);
        close(pe[0]);
        close(po[1]);
        close(pe[1]);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execv(myogen, (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);

    double deadline = now() + RUN_TIMEOUT_S;
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = 2, status = 0;
    while (open_fds > 0 && !r.timed_out) {
        int ms = (int)((deadline - now()) * 1000);
        if (ms <= 0) {
            r.timed_out = 1;
            break;
        }
        if (poll(fds, 2, ms) < 0 && errno != EINTR)
            abort();
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                if (i == 0)
                    append(&r.out, &r.outlen, buf, (size_t)got);
                else
                    append(&r.err, &r.errlen, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (;;) {
        pid_t w = r.timed_out ? 0 : waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (r.timed_out || now() > deadline) {
            r.timed_out = 1;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

result run_in(const char *cwd, ...)
{
    const char *args[MAX_ARGS + 1];
    int n = 0;
    va_list ap;
    va_start(ap, cwd);
    while (n < MAX_ARGS && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    return run_argv(cwd, args);
}


void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* stderr is exactly one line starting "myogen: ", without control bytes */
int one_line_error(const result *r)
{
    for (size_t i = 0; i + 1 < r->errlen; i++) /* no terminal control bytes echoed */
        if ((unsigned char)r->err[i] < 0x20 || r->err[i] == 0x7f)
            return 0;
    return r->errlen > 8 && strncmp(r->err, "myogen: ", 8) == 0 &&
           strchr(r->err, '\n') == r->err + r->errlen - 1 && strlen(r->err) == r->errlen;
}

/* Exit 2, one line on stderr, nothing on stdout. */
int expect_usage_error_(const result *r, const char *what, const char *file, int line)
{
    return expect_(!r->timed_out && r->code == 2 && r->outlen == 0 && one_line_error(r), file, line,
                   "%s: expected exit 2, one 'myogen: ' line on stderr, empty stdout; got "
                   "%s exit %d, stdout \"%.200s\", stderr \"%.300s\"",
                   what, r->timed_out ? "TIMEOUT," : "", r->code, r->out, r->err);
}

/* ---- files ---- */

char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/myogen_cli_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl))
        abort();
    return strdup(tmpl);
}

void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void free_tmpdir(char *dir)
{
    rm_rf(dir);
    free(dir);
}

/* Space-separated sorted entries of dir (into buf); returns their count. */
int listing(const char *dir, char *buf, size_t len)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), count = 0;
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        const char *s = names[i]->d_name;
        if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0) {
            count++;
            if (o < len)
                o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", s);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    return n < 0 ? -1 : count;
}

char *path_join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        abort();
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    *len = 0;
    if (!f)
        return NULL;
    append(&buf, len, "", 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        append(&buf, len, chunk, n);
    fclose(f);
    return buf;
}

/* A fresh directory holding good.lua; *spec gets its path. */
char *good_spec_dir(char **spec)
{
    char *dir = make_tmpdir();
    *spec = path_join(dir, "good.lua");
    write_file(*spec, good_spec, strlen(good_spec));
    return dir;
}

