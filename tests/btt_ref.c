/* References of btt_ref.h: plain loops over dense matrices, in double. */
#include "btt_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t btt_d_in(const btt_shape *sh) { return (size_t)sh->m0 * sh->m1; }
size_t btt_d_out(const btt_shape *sh) { return (size_t)sh->n0 * sh->n1; }
size_t btt_w1_size(const btt_shape *sh) { return btt_d_in(sh) * sh->n0 * sh->s; }
size_t btt_w2_size(const btt_shape *sh) { return btt_d_out(sh) * sh->m1 * sh->s; }

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "btt_ref: out of memory\n");
        exit(2);
    }
    return p;
}

/* element indices of the cores */
#define W1_AT(sh, i1, i0, j0, r) ((((size_t)(i1) * (sh)->m0 + (i0)) * (sh)->n0 + (j0)) * (sh)->s + (r))
#define W2_AT(sh, j0, i1, r, j1) ((((size_t)(j0) * (sh)->m1 + (i1)) * (sh)->s + (r)) * (sh)->n1 + (j1))

void btt_ref_dense(const btt_shape *sh, const double *W1, const double *W2, double *W)
{
    size_t dout = btt_d_out(sh);
    for (int i1 = 0; i1 < sh->m1; i1++)
        for (int i0 = 0; i0 < sh->m0; i0++)
            for (int j0 = 0; j0 < sh->n0; j0++)
                for (int j1 = 0; j1 < sh->n1; j1++) {
                    double acc = 0;
                    for (int r = 0; r < sh->s; r++)
                        acc += W1[W1_AT(sh, i1, i0, j0, r)] * W2[W2_AT(sh, j0, i1, r, j1)];
                    W[((size_t)i1 * sh->m0 + i0) * dout + (size_t)j0 * sh->n1 + j1] = acc;
                }
}

void btt_ref_core_grads(const btt_shape *sh, const double *W1, const double *W2,
                        const double *dW, double *dW1, double *dW2)
{
    size_t dout = btt_d_out(sh);
    memset(dW1, 0, btt_w1_size(sh) * sizeof *dW1);
    memset(dW2, 0, btt_w2_size(sh) * sizeof *dW2);
    for (int i1 = 0; i1 < sh->m1; i1++)
        for (int i0 = 0; i0 < sh->m0; i0++)
            for (int j0 = 0; j0 < sh->n0; j0++)
                for (int j1 = 0; j1 < sh->n1; j1++) {
                    double g = dW[((size_t)i1 * sh->m0 + i0) * dout + (size_t)j0 * sh->n1 + j1];
                    for (int r = 0; r < sh->s; r++) {
                        dW1[W1_AT(sh, i1, i0, j0, r)] += g * W2[W2_AT(sh, j0, i1, r, j1)];
                        dW2[W2_AT(sh, j0, i1, r, j1)] += g * W1[W1_AT(sh, i1, i0, j0, r)];
                    }
                }
}

/* c [n][p] = a [n][k] b [k][p] */
static void matmul(const double *a, const double *b, double *c, size_t n, size_t k, size_t p)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double acc = 0;
            for (size_t q = 0; q < k; q++)
                acc += a[i * k + q] * b[q * p + j];
            c[i * p + j] = acc;
        }
}

void btt_ref_forward(const btt_shape *sh, const double *W1, const double *W2, const double *x,
                     double *y, size_t n)
{
    size_t din = btt_d_in(sh), dout = btt_d_out(sh);
    double *W = xcalloc(din * dout, sizeof *W);
    btt_ref_dense(sh, W1, W2, W);
    matmul(x, W, y, n, din, dout);
    free(W);
}

void btt_ref_backward(const btt_shape *sh, const double *W1, const double *W2, const double *x,
                      const double *dy, double *dx, double *dW1, double *dW2, size_t n)
{
    size_t din = btt_d_in(sh), dout = btt_d_out(sh);
    double *W = xcalloc(din * dout, sizeof *W), *dW = xcalloc(din * dout, sizeof *dW);
    btt_ref_dense(sh, W1, W2, W);
    for (size_t b = 0; b < n; b++) /* dx = dy W^T */
        for (size_t i = 0; i < din; i++) {
            double acc = 0;
            for (size_t j = 0; j < dout; j++)
                acc += dy[b * dout + j] * W[i * dout + j];
            dx[b * din + i] = acc;
        }
    for (size_t i = 0; i < din; i++) /* dW = x^T dy */
        for (size_t j = 0; j < dout; j++) {
            double acc = 0;
            for (size_t b = 0; b < n; b++)
                acc += x[b * din + i] * dy[b * dout + j];
            dW[i * dout + j] = acc;
        }
    btt_ref_core_grads(sh, W1, W2, dW, dW1, dW2);
    free(W);
    free(dW);
}

/* ---- attention ---- */

#define LN_EPS 1e-5

/* The key matrix of a head: its dense W [D][D] with the columns in key
 * order (key_order "j1_major": column j1 n0 + j0 holds W's j0 n1 + j1).
 * back != 0: a gradient in key order back into W's order. */
static void key_columns(const btt_attn *a, double *W, int back)
{
    size_t D = btt_d_in(&a->sh), n0 = (size_t)a->sh.n0, n1 = (size_t)a->sh.n1;
    double *row = xcalloc(D, sizeof *row);
    if (a->j1_major)
        for (size_t i = 0; i < D; i++) {
            for (size_t j0 = 0; j0 < n0; j0++)
                for (size_t j1 = 0; j1 < n1; j1++) {
                    if (back)
                        row[j0 * n1 + j1] = W[i * D + j1 * n0 + j0];
                    else
                        row[j1 * n0 + j0] = W[i * D + j0 * n1 + j1];
                }
            memcpy(W + i * D, row, D * sizeof *row);
        }
    free(row);
}

/* kp = X W (T x D), n = LayerNorm(kp) rows, rstd per row; k = n, or with
 * a->affine n lw + lb */
static void keys(const btt_attn *a, const double *X, const double *W, const double *lw,
                 const double *lb, double *kp, double *n, double *k, double *rstd)
{
    size_t T = (size_t)a->T, D = btt_d_in(&a->sh);
    matmul(X, W, kp, T, D, D);
    for (size_t j = 0; j < T; j++) {
        double mu = 0, var = 0;
        for (size_t d = 0; d < D; d++)
            mu += kp[j * D + d];
        mu /= (double)D;
        for (size_t d = 0; d < D; d++)
            var += (kp[j * D + d] - mu) * (kp[j * D + d] - mu);
        var /= (double)D;
        rstd[j] = 1 / sqrt(var + LN_EPS);
        for (size_t d = 0; d < D; d++) {
            n[j * D + d] = (kp[j * D + d] - mu) * rstd[j];
            k[j * D + d] = a->affine ? n[j * D + d] * lw[d] + lb[d] : n[j * D + d];
        }
    }
}

/* P (T x T) = causal softmax of scale X k^T; lse per row */
static void probs(const btt_attn *a, const double *X, const double *k, double *P, double *lse)
{
    size_t T = (size_t)a->T, D = btt_d_in(&a->sh);
    for (size_t i = 0; i < T; i++) {
        size_t jn = a->causal ? i + 1 : T;
        double m = -INFINITY, l = 0;
        for (size_t j = 0; j < T; j++) {
            double acc = 0;
            for (size_t d = 0; d < D; d++)
                acc += X[i * D + d] * k[j * D + d];
            P[i * T + j] = j < jn ? a->scale * acc : -INFINITY;
            if (P[i * T + j] > m)
                m = P[i * T + j];
        }
        for (size_t j = 0; j < T; j++) {
            P[i * T + j] = j < jn ? exp(P[i * T + j] - m) : 0;
            l += P[i * T + j];
        }
        for (size_t j = 0; j < T; j++)
            P[i * T + j] /= l;
        if (lse)
            lse[i] = m + log(l);
    }
}

void btt_ref_attn_forward(const btt_attn *a, const double *x, const double *W1,
                          const double *W2, const double *ln_w, const double *ln_b,
                          const double *v, double *o, double *lse, size_t batch, size_t heads)
{
    size_t T = (size_t)a->T, D = btt_d_in(&a->sh), dv = (size_t)a->dv;
    size_t n1 = btt_w1_size(&a->sh), n2 = btt_w2_size(&a->sh);
    double *W = xcalloc(D * D, sizeof *W), *kp = xcalloc(T * D, sizeof *kp);
    double *k = xcalloc(T * D, sizeof *k), *rstd = xcalloc(T, sizeof *rstd);
    double *P = xcalloc(T * T, sizeof *P), *nk = xcalloc(T * D, sizeof *nk);
    for (size_t h = 0; h < heads; h++) {
        btt_ref_dense(&a->sh, W1 + h * n1, W2 + h * n2, W);
        key_columns(a, W, 0);
        for (size_t b = 0; b < batch; b++) {
            const double *X = x + b * T * D;
            size_t bh = b * heads + h;
            keys(a, X, W, a->affine ? ln_w + h * D : NULL, a->affine ? ln_b + h * D : NULL, kp,
                 nk, k, rstd);
            probs(a, X, k, P, lse ? lse + bh * T : NULL);
            matmul(P, v + bh * T * dv, o + bh * T * dv, T, T, dv);
        }
    }
    free(W);
    free(kp);
    free(k);
    free(rstd);
    free(P);
    free(nk);
}

void btt_ref_attn_backward(const btt_attn *a, const double *x, const double *W1,
                           const double *W2, const double *ln_w, const double *ln_b,
                           const double *v, const double *dout, double *dx, double *dW1,
                           double *dW2, double *dln_w, double *dln_b, double *dv, size_t batch,
                           size_t heads)
{
    size_t T = (size_t)a->T, D = btt_d_in(&a->sh), dvd = (size_t)a->dv;
    size_t n1 = btt_w1_size(&a->sh), n2 = btt_w2_size(&a->sh);
    double *W = xcalloc(D * D, sizeof *W), *dW = xcalloc(D * D, sizeof *dW);
    double *kp = xcalloc(T * D, sizeof *kp), *k = xcalloc(T * D, sizeof *k);
    double *rstd = xcalloc(T, sizeof *rstd), *P = xcalloc(T * T, sizeof *P);
    double *dP = xcalloc(T * T, sizeof *dP), *dk = xcalloc(T * D, sizeof *dk);
    double *nk = xcalloc(T * D, sizeof *nk);
    memset(dx, 0, batch * T * D * sizeof *dx);
    for (size_t h = 0; h < heads; h++) {
        const double *lw = a->affine ? ln_w + h * D : NULL, *lb = a->affine ? ln_b + h * D : NULL;
        btt_ref_dense(&a->sh, W1 + h * n1, W2 + h * n2, W);
        key_columns(a, W, 0);
        memset(dW, 0, D * D * sizeof *dW);
        if (a->affine) {
            memset(dln_w + h * D, 0, D * sizeof *dln_w);
            memset(dln_b + h * D, 0, D * sizeof *dln_b);
        }
        for (size_t b = 0; b < batch; b++) {
            const double *X = x + b * T * D, *V = v + (b * heads + h) * T * dvd;
            const double *dO = dout + (b * heads + h) * T * dvd;
            double *dX = dx + b * T * D;
            keys(a, X, W, lw, lb, kp, nk, k, rstd);
            probs(a, X, k, P, NULL);
            /* dV = P^T dO */
            for (size_t j = 0; j < T; j++)
                for (size_t e = 0; e < dvd; e++) {
                    double acc = 0;
                    for (size_t i = 0; i < T; i++)
                        acc += P[i * T + j] * dO[i * dvd + e];
                    dv[((b * heads + h) * T + j) * dvd + e] = acc;
                }
            /* dP = dO V^T, dS = P (dP - rowsum(P dP)), into dP */
            for (size_t i = 0; i < T; i++) {
                double di = 0;
                for (size_t j = 0; j < T; j++) {
                    double acc = 0;
                    for (size_t e = 0; e < dvd; e++)
                        acc += dO[i * dvd + e] * V[j * dvd + e];
                    dP[i * T + j] = acc;
                    di += acc * P[i * T + j];
                }
                for (size_t j = 0; j < T; j++)
                    dP[i * T + j] = P[i * T + j] * (dP[i * T + j] - di);
            }
            /* query path: dX += scale dS k;  dk = scale dS^T X */
            for (size_t i = 0; i < T; i++)
                for (size_t d = 0; d < D; d++) {
                    double acc = 0;
                    for (size_t j = 0; j < T; j++)
                        acc += dP[i * T + j] * k[j * D + d];
                    dX[i * D + d] += a->scale * acc;
                }
            for (size_t j = 0; j < T; j++)
                for (size_t d = 0; d < D; d++) {
                    double acc = 0;
                    for (size_t i = 0; i < T; i++)
                        acc += dP[i * T + j] * X[i * D + d];
                    dk[j * D + d] = a->scale * acc;
                }
            /* affine: its gradients, and dn = dk lw */
            if (a->affine)
                for (size_t j = 0; j < T; j++)
                    for (size_t d = 0; d < D; d++) {
                        dln_w[h * D + d] += dk[j * D + d] * nk[j * D + d];
                        dln_b[h * D + d] += dk[j * D + d];
                        dk[j * D + d] *= lw[d];
                    }
            /* LayerNorm backward, in place: dkp = rstd (dn - mean(dn) - n mean(dn n)) */
            for (size_t j = 0; j < T; j++) {
                double m1 = 0, m2 = 0;
                for (size_t d = 0; d < D; d++) {
                    m1 += dk[j * D + d];
                    m2 += dk[j * D + d] * nk[j * D + d];
                }
                m1 /= (double)D;
                m2 /= (double)D;
                for (size_t d = 0; d < D; d++)
                    dk[j * D + d] = rstd[j] * (dk[j * D + d] - m1 - nk[j * D + d] * m2);
            }
            /* key path: dX += dkp W^T;  dW += X^T dkp */
            for (size_t j = 0; j < T; j++)
                for (size_t i = 0; i < D; i++) {
                    double acc = 0;
                    for (size_t d = 0; d < D; d++)
                        acc += dk[j * D + d] * W[i * D + d];
                    dX[j * D + i] += acc;
                }
            for (size_t i = 0; i < D; i++)
                for (size_t d = 0; d < D; d++) {
                    double acc = 0;
                    for (size_t j = 0; j < T; j++)
                        acc += X[j * D + i] * dk[j * D + d];
                    dW[i * D + d] += acc;
                }
        }
        key_columns(a, dW, 1);
        btt_ref_core_grads(&a->sh, W1 + h * n1, W2 + h * n2, dW, dW1 + h * n1, dW2 + h * n2);
    }
    free(W);
    free(dW);
    free(kp);
    free(k);
    free(rstd);
    free(P);
    free(dP);
    free(dk);
    free(nk);
}
