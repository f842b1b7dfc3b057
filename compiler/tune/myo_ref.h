#ifndef MYOGEN_TUNE_REF_H
#define MYOGEN_TUNE_REF_H
#include <stddef.h>

/* The tuner's scalar reference for one myo forward layer with diag blocks
 * (DESIGN.md 6.1): the generic block elimination over the tree, vertex by
 * vertex in level order, in double, for every share and readout.  It knows
 * nothing of the templates (no level-sum shortcut, no folded factors), so a
 * variant that disagrees with it is wrong.  Arguments have the generated
 * ABI's layouts, in float (f64 = 0) or double (f64 = 1):
 *   A, B, C    [P][channels][N]; share input: [batch][|V|][channels][N]
 *   Bin, Cout  [channels][N], D [channels]  (siso only)
 *   u          [batch][L][channels] (siso) or [batch][L][channels][N] (none)
 * y is always double, same layout as u. */
typedef struct {
    int k, d, N;
    int share;     /* 0 level, 1 vertex, 2 input */
    int siso;      /* 1 siso, 0 none */
    int symmetric; /* C = B */
    int f64;
} tune_ref_shape;

/* Positions L (k^d, chain d+1) and vertices |V| of a shape. */
size_t tune_ref_seq_len(const tune_ref_shape *s);
size_t tune_ref_vertices(const tune_ref_shape *s);

/* Returns 0, 2 for a zero or non-finite pivot, 3 when out of memory. */
int tune_ref_forward(const tune_ref_shape *s, const void *A, const void *B, const void *C,
                     const void *Bin, const void *Cout, const void *D, const void *u,
                     double *y, size_t batch, size_t channels);

#endif
