/* Independent references for the btt kernels (DESIGN.md 6.3), in double:
 * they form the dense matrix W from the cores and work with it (matmul),
 * and form S and P explicitly (attention). */
#ifndef BTT_REF_H
#define BTT_REF_H

#include <stddef.h>

typedef struct {
    int m0, m1, n0, n1, s; /* input factors, output factors, rank */
} btt_shape;

typedef struct {
    btt_shape sh; /* d_in = d_out = D */
    int T, dv, causal;
    double scale;
    int j1_major; /* key_order "j1_major": key index j1 n0 + j0 of output (j0, j1) */
    int affine;   /* key_norm "layernorm_affine": k = LayerNorm(.) ln_w[h] + ln_b[h] */
} btt_attn;

size_t btt_d_in(const btt_shape *sh);
size_t btt_d_out(const btt_shape *sh);
size_t btt_w1_size(const btt_shape *sh); /* elements of W1 (one head) */
size_t btt_w2_size(const btt_shape *sh);

/* W [d_in][d_out] from the cores. */
void btt_ref_dense(const btt_shape *sh, const double *W1, const double *W2, double *W);
/* Cores' gradients from the gradient of the dense matrix dW [d_in][d_out]
 * (chain rule through W = f(W1, W2)); overwrite dW1, dW2. */
void btt_ref_core_grads(const btt_shape *sh, const double *W1, const double *W2,
                        const double *dW, double *dW1, double *dW2);

/* y [n][d_out] = x [n][d_in] W */
void btt_ref_forward(const btt_shape *sh, const double *W1, const double *W2, const double *x,
                     double *y, size_t n);
/* gradients of sum(dy * y) */
void btt_ref_backward(const btt_shape *sh, const double *W1, const double *W2, const double *x,
                      const double *dy, double *dx, double *dW1, double *dW2, size_t n);

/* Attention, layouts of DESIGN.md 6.3; lse may be NULL; ln_w, ln_b
 * [heads][D] read only when a->affine. */
void btt_ref_attn_forward(const btt_attn *a, const double *x, const double *W1,
                          const double *W2, const double *ln_w, const double *ln_b,
                          const double *v, double *o, double *lse, size_t batch, size_t heads);
/* gradients of sum(dout * o); dln_w, dln_b written only when a->affine */
void btt_ref_attn_backward(const btt_attn *a, const double *x, const double *W1,
                           const double *W2, const double *ln_w, const double *ln_b,
                           const double *v, const double *dout, double *dx, double *dW1,
                           double *dW2, double *dln_w, double *dln_b, double *dv, size_t batch,
                           size_t heads);

#endif
