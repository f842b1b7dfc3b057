/* Independent references for one `myo` layer with diag or dense blocks,
 * forward and backward (DESIGN.md 6.1). No CUnit dependency: bench/ links
 * this pair too.
 *
 * Layouts are those of the generated ABI (E = N for diag blocks, N*N for
 * dense ones: an N x N block, row-major, row = equation):
 *   A, B, C      [P][channels][E]   (P = d+1 for share level, |V| for share vertex)
 *                [batch][P][channels][E] for share input (P = |V|)
 *   Bin, Cout    [channels][N]      (siso only; may be NULL for readout none)
 *   D            [channels]         (siso only)
 *   u, y         [batch][L][channels] (siso) or [batch][L][channels][N] (none)
 * With symmetric set, C is ignored (may be NULL) and B stands for C: C_v = B_v
 * (diag) or C_v = B_v^T (dense).
 *
 * Return codes follow the kernels: 0 ok, 1 invalid argument, 2 zero or
 * non-finite pivot; 3 when the reference itself cannot allocate. */
#ifndef MYO_REF_H
#define MYO_REF_H

#include <stddef.h>

/* One layer shape. */
typedef struct {
    int k;            /* arity >= 1 (1 = chain) */
    int d;            /* depth >= 1 */
    int N;            /* state size >= 1 */
    int share;        /* MYO_SHARE_LEVEL, MYO_SHARE_VERTEX or MYO_SHARE_INPUT */
    int readout_siso; /* 1: siso, 0: none */
    int symmetric;    /* 1: C_v = B_v (diag) or B_v^T (dense), C unused */
    int dense;        /* 0: block "diag" (N-vectors), 1: block "dense" (N x N) */
} myo_case;

/* myo_case.share: one set per level, per vertex, or per batch element and
 * vertex (selective; A, B, C get a leading batch dimension). */
enum { MYO_SHARE_LEVEL = 0, MYO_SHARE_VERTEX = 1, MYO_SHARE_INPUT = 2 };

typedef struct {
    const double *A, *B, *C, *Bin, *Cout, *D;
} myo_ref_params_d;

typedef struct {
    const float *A, *B, *C, *Bin, *Cout, *D;
} myo_ref_params_f;

/* Gradients, the shapes of the params (A, B, C per batch element for share
 * input, else summed over the batch). C is unused (may be NULL) when
 * symmetric: its gradient is folded into B's; Bin, Cout, D are unused (may
 * be NULL) for readout none. */
typedef struct {
    double *A, *B, *C, *Bin, *Cout, *D;
} myo_ref_grads_d;

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
/* Elements of one block of A, B or C: N (diag) or N*N (dense). */
size_t myo_block_size(const myo_case *c);
/* Elements of A (and of B, C) for a call. */
size_t myo_param_count(const myo_case *c, size_t batch, size_t channels);
/* Index into A, B or C of (batch element b, set, channel h, element n of
 * the block: the component for diag, row * N + column for dense); b only
 * matters for share input. */
size_t myo_param_index(const myo_case *c, size_t b, size_t set, size_t h, size_t n,
                       size_t channels);

/* (a) Assemble T_G per channel as a dense |V|N x |V|N matrix (diag blocks
 * or full N x N blocks) and solve it by LU with partial pivoting. Slow
 * (O((|V|N)^3) per channel): small shapes only. */
int myo_ref_dense(const myo_case *c, const myo_ref_params_d *p, const double *u,
                  double *y, size_t batch, size_t channels);

/* (b) The block elimination of DESIGN 6.1 with plain scalar loops, one
 * (batch, channel, state component) at a time for diag blocks; for dense
 * blocks one (batch, channel) at a time, S_v = A_v - sum_c C_c S_c^-1 B_c
 * with an LU (partial pivoting) of every S_v. The float version computes in
 * float: it is the "plain scalar reference" of bench/. */
int myo_ref_tree_d(const myo_case *c, const myo_ref_params_d *p, const double *u,
                   double *y, size_t batch, size_t channels);
int myo_ref_tree_f(const myo_case *c, const myo_ref_params_f *p, const float *u,
                   float *y, size_t batch, size_t channels);

/* Backward: the exact gradient of L = sum(dy * y) with respect to u (du,
 * same layout as u) and every parameter (g, overwritten). dy has the layout
 * of y.
 * (a) dense: T x = e and T^T lam = dL/dx by the LU of (a) above; then
 *     du = Bin . lam + D dy (siso) or lam (none), dA_v = -lam_v x_v,
 *     dB_v = -lam_v x_parent, dC_v = -lam_parent x_v (elementwise for diag
 *     blocks, outer products lam x^T for dense ones; symmetric: dC_v, or
 *     its transpose for dense, added to dB_v), dCout = dy x_t,
 *     dBin = lam_t u_t, dD = dy u_t, summed into each vertex's set.
 * (b) tree: the same with both solves done by the tree elimination (the
 *     transposed system is the tree with B and C swapped, and for dense
 *     blocks every block transposed). */
int myo_ref_dense_backward(const myo_case *c, const myo_ref_params_d *p, const double *u,
                           const double *dy, double *du, const myo_ref_grads_d *g,
                           size_t batch, size_t channels);
int myo_ref_tree_backward_d(const myo_case *c, const myo_ref_params_d *p, const double *u,
                            const double *dy, double *du, const myo_ref_grads_d *g,
                            size_t batch, size_t channels);

#endif
