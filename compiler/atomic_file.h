#ifndef MYOGEN_ATOMIC_FILE_H
#define MYOGEN_ATOMIC_FILE_H
#include <stddef.h>

/* Writes n files all-or-nothing: each goes to a temporary file beside its
 * target and is renamed into place only after every one was written.
 * Returns 0, or -1 with a one-line message (nothing is left behind). */
int write_files_atomically(int n, const char *const *paths, const char *const *data,
                           const size_t *lens, char *err, size_t errlen);

#endif
