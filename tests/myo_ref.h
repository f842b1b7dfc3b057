/* Independent references for one `myo` forward layer with diag blocks
 * (DESIGN.md 6.1). No CUnit dependency: bench/ links this pair too.
 *
 * Layouts are those of the generated ABI:
 *   A, B, C      [P][channels][N]   (P = d+1 for share level, |V| for share vertex)
 *   Bin, Cout    [channels][N]      (siso only; may be NULL for readout none)
 *   D            [channels]         (siso only)
 *   u, y         [batch][L][channels] (siso) or [batch][L][channels][N] (none)
 * With symmetric set, C is ignored (may be NULL) and B stands for C.
 *
 * Return codes follow the kernels: 0 ok, 1 invalid argument, 2 zero or
 * non-finite pivot; 3 when the reference itself cannot allocate. */
#ifndef MYO_REF_H
#define MYO_REF_H

#include <stddef.h>

/* One layer shape. Only diag blocks and shares level/vertex are covered. */
typedef struct {
    int k;            /* arity >= 1 (1 = chain) */
    int d;            /* depth >= 1 */
    int N;            /* state size >= 1 */
    int share_vertex; /* 0: share level, 1: share vertex */
    int readout_siso; /* 1: siso, 0: none */
    int symmetric;    /* 1: C_v = B_v, C unused */
} myo_case;

typedef struct {
    const double *A, *B, *C, *Bin, *Cout, *D;
} myo_ref_params_d;

typedef struct {
    const float *A, *B, *C, *Bin, *Cout, *D;
} myo_ref_params_f;

/* Sizes derived from a case (DESIGN 6.1). */
size_t myo_seq_len(const myo_case *c);     /* L = k^d, chain: d+1 */
size_t myo_vertices(const myo_case *c);    /* |V| */
size_t myo_param_sets(const myo_case *c);  /* P */
size_t myo_io_width(const myo_case *c);    /* values per (b, t, h): 1 or N */
size_t myo_level_size(const myo_case *c, int l);   /* k^l */
size_t myo_vertex_number(const myo_case *c, int l, size_t i); /* v(l, i) */
size_t myo_parent(const myo_case *c, size_t v);    /* v >= 1 */
int myo_vertex_level(const myo_case *c, size_t v);
size_t myo_position_vertex(const myo_case *c, size_t t); /* vertex of position t */
size_t myo_param_set(const myo_case *c, size_t v);       /* index into P */

/* (a) Assemble T_G per channel as a dense |V|N x |V|N matrix and solve it by
 * LU with partial pivoting. Slow (O((|V|N)^3) per channel): small shapes only. */
int myo_ref_dense(const myo_case *c, const myo_ref_params_d *p, const double *u,
                  double *y, size_t batch, size_t channels);

/* (b) The block elimination of DESIGN 6.1 with plain scalar loops, one
 * (batch, channel, state component) at a time. The float version computes in
 * float: it is the "plain scalar reference" of bench/. */
int myo_ref_tree_d(const myo_case *c, const myo_ref_params_d *p, const double *u,
                   double *y, size_t batch, size_t channels);
int myo_ref_tree_f(const myo_case *c, const myo_ref_params_f *p, const float *u,
                   float *y, size_t batch, size_t channels);

#endif
