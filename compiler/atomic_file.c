#include "atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 8

int write_files_atomically(int n, const char *const *paths, const char *const *data,
                           const size_t *lens, char *err, size_t errlen)
{
    char tmp[MAX_FILES][4096];
    int made = 0, rc = -1;
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
    for (; made < n; made++) {
        snprintf(tmp[made], sizeof tmp[made], "%s.tmpXXXXXX", paths[made]);
        int fd = mkstemp(tmp[made]);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot write: %s", paths[made], strerror(errno));
            goto cleanup;
        }
        FILE *f = fdopen(fd, "wb");
        int ok = f && fwrite(data[made], 1, lens[made], f) == lens[made];
        ok = (f ? fclose(f) == 0 : (close(fd), 0)) && ok;
        chmod(tmp[made], 0644);
        if (!ok) {
            snprintf(err, errlen, "%s: write failed: %s", paths[made], strerror(errno));
            made++;
            goto cleanup;
        }
    }
    for (int i = 0; i < n; i++) {
        if (rename(tmp[i], paths[i]) != 0) {
            snprintf(err, errlen, "%s: cannot rename into place: %s", paths[i], strerror(errno));
            /* the ones already renamed are complete files; drop the rest */
            for (int j = i; j < n; j++)
                unlink(tmp[j]);
            return -1;
        }
    }
    return 0;
cleanup:
    for (int i = 0; i < made; i++)
        unlink(tmp[i]);
    return rc;
}
