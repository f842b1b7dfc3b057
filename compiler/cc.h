#ifndef MYOGEN_CC_H
#define MYOGEN_CC_H
#include <stddef.h>

/* The system C compiler, as the tuner uses it: $CC (split at spaces, e.g.
 * "ccache gcc") or "cc"; or, for target "cuda", nvcc.  It builds each
 * variant into a shared object and names the build in wisdom files. */
#define CC_MAX_ARGS 16

typedef struct {
    char command[256];        /* as given */
    char words[256];          /* command split in place */
    char *argv[CC_MAX_ARGS];  /* the command's words */
    int argc;
    int cuda;                 /* nvcc: CUDA C++ sources, its own flags */
} cc_tool;

/* From $CC or "cc".  Returns 0, or -1 with a message in err. */
int cc_init(cc_tool *cc, char *err, size_t errlen);

/* nvcc, for target "cuda": $MYOGEN_NVCC, else nvcc on PATH, else
 * $CUDA_HOME/bin/nvcc, else /usr/local/cuda/bin/nvcc (as myogen.cuda looks
 * for it).  Returns 0, or -1 with a message in err. */
int cc_init_nvcc(cc_tool *cc, char *err, size_t errlen);

/* "COMMAND: first line of COMMAND --version", e.g.
 * "cc: cc (Debian 12.2.0-14+deb12u1) 12.2.0".  Returns 0, or -1 with a
 * one-line message (the compiler does not run) in err.  nvcc: its last
 * line instead (the release). */
int cc_identity(const cc_tool *cc, char *id, size_t len, char *err, size_t errlen);

/* Compiles the C99 file src into the shared object so with
 * "-std=c99 -O3 -fPIC -shared" and the space-separated extra flags (ISA
 * flags, -fopenmp, more sources), then $MYOGEN_TUNE_CFLAGS (default: none,
 * or the sanitizer flags in a MYOGEN_SANITIZE=ON build), linking the
 * space-separated libs (NULL: none) and -lm; the compiler's output goes to
 * log.  nvcc: the CUDA file src with "-O3 -arch=A -Xcompiler -fPIC -shared
 * -cudart static" (A: $MYOGEN_CUDA_ARCH, else native), the extra flags and
 * libs, no C flags.  Returns 0, or -1 with the first error line in err. */
int cc_build_shared(const cc_tool *cc, const char *src, const char *so, const char *flags,
                    const char *libs, const char *log, char *err, size_t errlen);

/* Runs argv (argv[0] looked up in PATH) with stdout and stderr to out_path
 * (NULL: /dev/null); returns its exit status, or -1 if it could not run. */
int cc_run(char *const argv[], const char *out_path);

#endif
