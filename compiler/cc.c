/* The system C compiler: identity and shared-object builds (see cc.h). */
#define _POSIX_C_SOURCE 200809L
#include "cc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int cc_init(cc_tool *cc, char *err, size_t errlen)
{
    const char *env = getenv("CC");
    memset(cc, 0, sizeof *cc);
    snprintf(cc->command, sizeof cc->command, "%s", env && *env ? env : "cc");
    snprintf(cc->words, sizeof cc->words, "%s", cc->command);
    for (char *p = strtok(cc->words, " \t"); p; p = strtok(NULL, " \t")) {
        if (cc->argc == CC_MAX_ARGS - 1) {
            snprintf(err, errlen, "$CC has more than %d words", CC_MAX_ARGS - 1);
            return -1;
        }
        cc->argv[cc->argc++] = p;
    }
    if (cc->argc == 0) {
        snprintf(err, errlen, "$CC is blank");
        return -1;
    }
    return 0;
}

/* An executable file at path (1), else 0. */
static int executable(const char *path)
{
    return path && *path && access(path, X_OK) == 0;
}

int cc_init_nvcc(cc_tool *cc, char *err, size_t errlen)
{
    char found[sizeof cc->command] = "";
    const char *env = getenv("MYOGEN_NVCC"), *path = getenv("PATH");
    if (executable(env))
        snprintf(found, sizeof found, "%s", env);
    for (const char *p = path; !found[0] && p && *p;) { /* nvcc on PATH */
        const size_t n = strcspn(p, ":");
        char cand[sizeof found];
        if (n > 0 && n + 6 < sizeof cand) {
            snprintf(cand, sizeof cand, "%.*s/nvcc", (int)n, p);
            if (executable(cand))
                snprintf(found, sizeof found, "%s", cand);
        }
        p += n + (p[n] == ':');
    }
    const char *homes[] = {getenv("CUDA_HOME"), getenv("CUDA_PATH"), "/usr/local/cuda"};
    for (size_t i = 0; !found[0] && i < sizeof homes / sizeof homes[0]; i++) {
        char cand[sizeof found];
        if (homes[i] && *homes[i] && strlen(homes[i]) + 10 < sizeof cand) {
            snprintf(cand, sizeof cand, "%s/bin/nvcc", homes[i]);
            if (executable(cand))
                snprintf(found, sizeof found, "%s", cand);
        }
    }
    memset(cc, 0, sizeof *cc);
    if (!found[0]) {
        snprintf(err, errlen, "nvcc not found: set MYOGEN_NVCC, put nvcc on PATH or set CUDA_HOME");
        return -1;
    }
    snprintf(cc->command, sizeof cc->command, "%s", found);
    snprintf(cc->words, sizeof cc->words, "%s", found);
    cc->argv[cc->argc++] = cc->words;
    cc->cuda = 1;
    return 0;
}

int cc_run(char *const argv[], const char *out_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status))
        return -1;
    /* posix_spawnp of a missing program may report it as exit status 127 */
    return WEXITSTATUS(status);
}

/* A line of file into buf, cut to fit: the first non-empty one, or the
 * first containing want, or (last) the last non-empty one. */
static void pick_line(const char *path, const char *want, int last, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    buf[0] = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        line[len - 1 < sizeof line ? len - 1 : sizeof line - 1] = 0; /* fits buf */
        if (line[0] && (!buf[0] || last))
            memcpy(buf, line, strlen(line) + 1);
        if (want && strstr(line, want)) {
            memcpy(buf, line, strlen(line) + 1);
            break;
        }
        if (!want && !last && buf[0])
            break;
    }
    fclose(f);
}

int cc_identity(const cc_tool *cc, char *id, size_t len, char *err, size_t errlen)
{
    char *argv[CC_MAX_ARGS + 1];
    char tmp[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/myogen-ccid-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
        return -1;
    }
    close(fd);
    for (int i = 0; i < cc->argc; i++)
        argv[i] = cc->argv[i];
    argv[cc->argc] = "--version";
    argv[cc->argc + 1] = NULL;
    int rc = cc_run(argv, tmp);
    char line[400];
    pick_line(tmp, NULL, cc->cuda, line, sizeof line); /* nvcc: its release, last */
    unlink(tmp);
    if (rc != 0 || !line[0]) {
        snprintf(err, errlen, "cannot run the %s '%s --version'%s", cc->cuda ? "CUDA compiler" :
                 "C compiler", cc->command, cc->cuda ? " (set MYOGEN_NVCC)" : " (set CC)");
        return -1;
    }
    snprintf(id, len, "%s: %s", cc->command, line);
    return 0;
}

/* Flags added to every build after the variant's own: $MYOGEN_TUNE_CFLAGS
 * (space-separated; set but empty: none), else the build's default (a
 * MYOGEN_SANITIZE=ON build of myogen: its sanitizer flags, so the kernels it
 * loads are instrumented like itself). */
static const char *extra_cflags(void)
{
    const char *env = getenv("MYOGEN_TUNE_CFLAGS");
    if (env)
        return env;
#ifdef MYOGEN_TUNE_DEFAULT_CFLAGS
    return MYOGEN_TUNE_DEFAULT_CFLAGS;
#else
    return "";
#endif
}

int cc_build_shared(const cc_tool *cc, const char *src, const char *so, const char *flags,
                    const char *libs, const char *log, char *err, size_t errlen)
{
    char *argv[64];
    char fl[512], extra[512], lb[256];
    int n = 0;
    for (int i = 0; i < cc->argc; i++)
        argv[n++] = cc->argv[i];
    static char std[] = "-std=c99", opt[] = "-O3", pic[] = "-fPIC", shared[] = "-shared",
                o[] = "-o", lm[] = "-lm", xc[] = "-Xcompiler", cudart[] = "-cudart",
                cstatic[] = "static";
    char arch[80];
    if (!cc->cuda)
        argv[n++] = std;
    argv[n++] = opt;
    if (cc->cuda) { /* the runtime linked in: the .so needs no libcudart on the path */
        const char *a = getenv("MYOGEN_CUDA_ARCH");
        snprintf(arch, sizeof arch, "-arch=%.60s", a && *a ? a : "native");
        argv[n++] = arch;
        argv[n++] = xc;
        argv[n++] = pic;
        argv[n++] = shared;
        argv[n++] = cudart;
        argv[n++] = cstatic;
    } else {
        argv[n++] = pic;
        argv[n++] = shared;
    }
    snprintf(fl, sizeof fl, "%s", flags ? flags : "");
    for (char *p = strtok(fl, " "); p && n < 56; p = strtok(NULL, " "))
        argv[n++] = p;
    snprintf(extra, sizeof extra, "%s", cc->cuda ? "" : extra_cflags());
    for (char *p = strtok(extra, " \t"); p && n < 56; p = strtok(NULL, " \t"))
        argv[n++] = p;
    argv[n++] = o;
    argv[n++] = (char *)so;
    argv[n++] = (char *)src;
    snprintf(lb, sizeof lb, "%s", libs ? libs : "");
    for (char *p = strtok(lb, " "); p && n < 62; p = strtok(NULL, " "))
        argv[n++] = p;
    argv[n++] = lm;
    argv[n] = NULL;
    int rc = cc_run(argv, log);
    if (rc == 0)
        return 0;
    char line[300];
    pick_line(log, "error", 0, line, sizeof line);
    if (rc < 0 || rc == 127)
        snprintf(err, errlen, "cannot run the %s '%s'%s", cc->cuda ? "CUDA compiler" : "C compiler",
                 cc->command, cc->cuda ? " (set MYOGEN_NVCC)" : " (set CC)");
    else
        snprintf(err, errlen, "%s failed: %s", cc->command, line[0] ? line : "(no output)");
    return -1;
}
