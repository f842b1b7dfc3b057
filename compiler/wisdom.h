#ifndef MYOGEN_WISDOM_H
#define MYOGEN_WISDOM_H
#include <stddef.h>
#include "knobs.h"
#include "machine_id.h"

/* Wisdom files: what `myogen tune` measured, for `myogen SPEC --wisdom FILE`.
 * A text file, line by line (README.md "Tuning" shows one):
 *
 *   myogen-wisdom 1
 *   # comments
 *   myogen VERSION
 *   cpu MODEL                      machine_id.cpu
 *   isa FLAGS                      machine_id.isa
 *   compiler CC: VERSION LINE      cc_identity()
 *   spec {canonical spec without arity, depth and name}
 *   tuned seq_len=L channels=C batch=B
 *   entry arity=K depth=D knobs=TC=32 median_s=1.5e-03     (one per tuned arity)
 *   best arity=K depth=D
 *   checksum fnv1a64 HEX           over every byte before this line
 *
 * Every key line must be there, in this order; anything else, a bad value
 * or a checksum that does not match is a malformed file.  A file holds one
 * or more such records, one after the other (FFTW's lesson: one wisdom file
 * for every spec a program uses; `myogen tune` replaces the record of its
 * own key and keeps the others; `myogen wisdom` lists, merges and prunes). */
#define WISDOM_MAX_ENTRIES 64
#define WISDOM_MAX_RECORDS 64

typedef struct {
    int arity, depth;
    knob_set knobs;
    double median_s;
} wisdom_entry;

typedef struct {
    char myogen[32];
    machine_id machine;
    char compiler[512];
    char spec[4096];
    long long seq_len;
    long long channels, batch;
    int n;
    wisdom_entry e[WISDOM_MAX_ENTRIES];
    int best_arity, best_depth;
} wisdom;

/* The spec part of the key: the canonical spec without its arity and depth
 * fields (what the tuner varies; btt keeps them: its factors are the model)
 * and its name (the symbols' prefix, which does not change the code).
 * Returns 0, -1 if it does not fit. */
int wisdom_spec_key(const char *canonical, char *key, size_t len);

/* The integer field key of a canonical spec (e.g. arity; of a list of
 * integers, {m0, m1}, the first).  Returns 0, or -1 if the spec has no such
 * field. */
int wisdom_spec_int(const char *canonical, const char *key, long long *v);

/* The isa line of a record tuned on a GPU, OpenCL or CUDA (its cpu line
 * names the device): the device is where the kernel runs, not where it is
 * generated, so wisdom_match does not compare it with this machine. */
#define WISDOM_GPU_ISA "opencl device"
#define WISDOM_CUDA_ISA "cuda device"

/* 1 for either isa line above, else 0. */
int wisdom_gpu_record(const char *isa);

/* Writes w to path atomically (a file of that one record).  Returns 0, or -1
 * with a one-line message. */
int wisdom_write(const char *path, const wisdom *w, char *err, size_t errlen);

/* Puts w into the file at path: its record replaces the one of the same key
 * (wisdom_same_key), the others stay; a new file when there is none.  A
 * file that is there but not sound is left alone (-1).  Returns 0, or -1
 * with a one-line message. */
int wisdom_save(const char *path, const wisdom *w, char *err, size_t errlen);

/* Writes the n records recs to path atomically.  Returns 0, or -1. */
int wisdom_write_all(const char *path, const wisdom *recs, int n, char *err, size_t errlen);

/* Reads and checks the format of path, a file of one record.  Returns 0, or
 * -1 with a one-line message naming the file (and line). */
int wisdom_read(const char *path, wisdom *w, char *err, size_t errlen);

/* Reads every record of path (at most max) into recs, their count into *n.
 * Returns 0, or -1 with a one-line message naming the file (and line). */
int wisdom_read_all(const char *path, wisdom *recs, int max, int *n, char *err, size_t errlen);

/* Do a and b have the same key: myogen version, machine, compiler and spec? */
int wisdom_same_key(const wisdom *a, const wisdom *b);

/* Is w for this machine, compiler, myogen and spec key?  Returns 0, or -1
 * with a one-line message saying what differs. */
int wisdom_match(const wisdom *w, const char *path, const machine_id *m, const char *compiler,
                 const char *spec_key, char *err, size_t errlen);

/* The entry for (arity, depth), or NULL. */
const wisdom_entry *wisdom_find(const wisdom *w, int arity, int depth);

#endif
