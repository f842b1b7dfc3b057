#ifndef MYOGEN_ATOMIC_FILE_H
#define MYOGEN_ATOMIC_FILE_H
#include <stddef.h>

/* Writes n files (in one directory) all-or-nothing: each goes to a temporary
 * file beside its target, with the umask's permissions, and is renamed into
 * place only after every one was written.  A file whose content is unchanged
 * is not rewritten (its mtime stays).  The renames run under a lock on the
 * directory, so concurrent writers of the same set leave one writer's whole
 * set; temporaries are removed on error and on SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGPIPE.  Returns 0, or -1 with a one-line message. */
int write_files_atomically(int n, const char *const *paths, const char *const *data,
                           const size_t *lens, char *err, size_t errlen);

#endif
