#include "atomic_file.h"

#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 8

/* The temporaries not yet renamed, for the signal handler to remove: the
 * only state a handler can reach, so it is file-scope. */
static char pending[MAX_FILES][4096];
static volatile sig_atomic_t npending;

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
#define NSIGNALS (int)(sizeof cleanup_signals / sizeof cleanup_signals[0])

static void remove_pending_and_die(int sig)
{
    for (int i = 0; i < npending; i++)
        if (pending[i][0])
            unlink(pending[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending_and_die;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < NSIGNALS; i++)
        sigaction(cleanup_signals[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction *old)
{
    for (int i = 0; i < NSIGNALS; i++)
        sigaction(cleanup_signals[i], &old[i], NULL);
}

/* Does path hold exactly data[0..len)? */
static int same_content(const char *path, const char *data, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[65536];
    size_t o = 0, n;
    int same = 1;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = o + n <= len && memcmp(buf, data + o, n) == 0;
        o += n;
    }
    same = same && o == len && !ferror(f);
    fclose(f);
    return same;
}

/* An exclusive lock on the directory of path (released by closing it), so
 * two writers of the same files rename their sets one after the other. */
static int lock_directory(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {
        }
    return fd;
}

static int write_temporary(const char *path, char *tmp, size_t tmplen, const char *data,
                           size_t len, mode_t mode, char *err, size_t errlen)
{
    snprintf(tmp, tmplen, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    int ok = fchmod(fd, mode) == 0;
    for (size_t o = 0; ok && o < len;) {
        ssize_t n = write(fd, data + o, len - o);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        o += ok ? (size_t)n : 0;
    }
    ok = close(fd) == 0 && ok;
    if (!ok) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int write_files_atomically(int n, const char *const *paths, const char *const *data,
                           const size_t *lens, char *err, size_t errlen)
{
    if (n > MAX_FILES) {
        snprintf(err, errlen, "internal: too many output files");
        return -1;
    }
    for (int i = 0; i < n; i++) { /* so the renames below cannot fail on a directory */
        struct stat st;
        if (stat(paths[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: exists and is not a regular file", paths[i]);
            return -1;
        }
    }
    mode_t mask = umask(0);
    umask(mask);
    struct sigaction old[NSIGNALS];
    catch_signals(old);
    int lock = -1, rc = -1;
    for (int i = 0; i < n; i++)
        pending[i][0] = 0;
    npending = n;
    for (int i = 0; i < n; i++)
        if (write_temporary(paths[i], pending[i], sizeof pending[i], data[i], lens[i],
                            0666 & ~mask, err, errlen) != 0)
            goto done;
    lock = lock_directory(paths[0]);
    for (int i = 0; i < n; i++) {
        if (same_content(paths[i], data[i], lens[i])) /* unchanged: its mtime stays */
            continue;
        if (rename(pending[i], paths[i]) != 0) {
            snprintf(err, errlen, "%s: cannot rename into place: %s", paths[i],
                     strerror(errno));
            goto done; /* the ones already renamed are complete files */
        }
        pending[i][0] = 0;
    }
    rc = 0;
done:
    for (int i = 0; i < npending; i++)
        if (pending[i][0])
            unlink(pending[i]);
    npending = 0;
    if (lock >= 0)
        close(lock);
    restore_signals(old);
    return rc;
}
