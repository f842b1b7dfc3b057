/* Reference MLR attention: forms S explicitly, in double (see mlr_ref.h). */
#include "mlr_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t mlr_ref_rank(const mlr_cfg *c)
{
    size_t R = 0;
    for (size_t l = 0; l < c->depth; l++)
        R += (size_t)c->ranks[l];
    return R;
}

double mlr_ref_scale(const mlr_cfg *c, size_t l)
{
    switch (c->scale_mode) {
    case MLR_SCALE_INV_RANK:
        return 1.0 / c->ranks[l - 1];
    case MLR_SCALE_INV_SQRT_RANK:
        return 1.0 / sqrt((double)c->ranks[l - 1]);
    default:
        return c->scale_list[l - 1];
    }
}

/* block of level l: the listed size, else T / k^(l-1) */
size_t mlr_ref_block(const mlr_cfg *c, size_t l)
{
    size_t b = c->T;
    if (c->blocks[0])
        return c->blocks[l - 1];
    for (size_t i = 1; i < l; i++)
        b /= c->k;
    return b;
}

size_t mlr_ref_shared(const mlr_cfg *c, size_t i, size_t j)
{
    size_t m = 0;
    for (size_t l = 1; l <= c->depth; l++) {
        size_t b = mlr_ref_block(c, l);
        if (i / b != j / b)
            break;
        m = l;
    }
    return m;
}

/* c_ij for a pair sharing m levels */
static double norm(const mlr_cfg *c, size_t m)
{
    if (c->normalize == MLR_NORM_LEVELS)
        return 1.0 / (double)c->depth;
    if (c->normalize == MLR_NORM_SHARED)
        return 1.0 / (double)m;
    return 1.0;
}

void mlr_ref_scores(const mlr_cfg *c, const double *q, const double *k, double *S)
{
    size_t T = c->T, R = mlr_ref_rank(c);
    for (size_t i = 0; i < T; i++)
        for (size_t j = 0; j < T; j++) {
            if (c->causal && j > i) {
                S[i * T + j] = -INFINITY;
                continue;
            }
            size_t m = mlr_ref_shared(c, i, j), d0 = 0;
            double s = 0;
            for (size_t l = 1; l <= m; l++) {
                double dot = 0;
                for (int d = 0; d < c->ranks[l - 1]; d++)
                    dot += q[i * R + d0 + d] * k[j * R + d0 + d];
                s += mlr_ref_scale(c, l) * dot;
                d0 += (size_t)c->ranks[l - 1];
            }
            S[i * T + j] = norm(c, m) * s;
        }
}

/* P = row softmax of S (in place), lse */
static void softmax_rows(size_t T, double *S, double *lse)
{
    for (size_t i = 0; i < T; i++) {
        double mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < T; j++)
            mx = S[i * T + j] > mx ? S[i * T + j] : mx;
        for (size_t j = 0; j < T; j++)
            sum += exp(S[i * T + j] - mx);
        for (size_t j = 0; j < T; j++)
            S[i * T + j] = exp(S[i * T + j] - mx) / sum;
        if (lse)
            lse[i] = mx + log(sum);
    }
}

/* link "identity": P = S with the masked entries 0 */
static void unmask_rows(size_t T, double *S)
{
    for (size_t i = 0; i < T * T; i++)
        if (S[i] == -INFINITY)
            S[i] = 0;
}

void mlr_ref_forward(const mlr_cfg *c, const double *q, const double *k, const double *v,
                     double *o, double *lse)
{
    size_t T = c->T, dv = c->dv;
    double *P = malloc(T * T * sizeof *P);
    if (!P)
        abort();
    mlr_ref_scores(c, q, k, P);
    if (c->identity)
        unmask_rows(T, P);
    else
        softmax_rows(T, P, lse);
    for (size_t i = 0; i < T; i++)
        for (size_t e = 0; e < dv; e++) {
            double s = 0;
            for (size_t j = 0; j < T; j++)
                s += P[i * T + j] * v[j * dv + e];
            o[i * dv + e] = s;
        }
    free(P);
}

void mlr_ref_backward(const mlr_cfg *c, const double *q, const double *k, const double *v,
                      const double *dout, double *dq, double *dk, double *dv)
{
    size_t T = c->T, DV = c->dv, R = mlr_ref_rank(c);
    double *P = malloc(T * T * sizeof *P), *dS = malloc(T * T * sizeof *dS);
    if (!P || !dS)
        abort();
    mlr_ref_scores(c, q, k, P);
    if (c->identity)
        unmask_rows(T, P);
    else
        softmax_rows(T, P, NULL);
    /* dv_j = sum_i P_ij dout_i */
    for (size_t j = 0; j < T; j++)
        for (size_t e = 0; e < DV; e++) {
            double s = 0;
            for (size_t i = 0; i < T; i++)
                s += P[i * T + j] * dout[i * DV + e];
            dv[j * DV + e] = s;
        }
    /* dS_ij = P_ij (dP_ij - sum_j' P_ij' dP_ij'), dP_ij = dout_i . v_j */
    for (size_t i = 0; i < T; i++) {
        double rowdot = 0;
        for (size_t j = 0; j < T; j++) {
            double dp = 0;
            for (size_t e = 0; e < DV; e++)
                dp += dout[i * DV + e] * v[j * DV + e];
            dS[i * T + j] = dp;
            rowdot += P[i * T + j] * dp;
        }
        if (!c->identity) /* (identity: dS = dP) */
            for (size_t j = 0; j < T; j++)
                dS[i * T + j] = P[i * T + j] * (dS[i * T + j] - rowdot);
    }
    /* S_ij = c_ij sum_{l <= m} s_l q_i[l] . k_j[l] */
    memset(dq, 0, T * R * sizeof *dq);
    memset(dk, 0, T * R * sizeof *dk);
    for (size_t i = 0; i < T; i++)
        for (size_t j = 0; j < T; j++) {
            if (c->causal && j > i)
                continue;
            size_t m = mlr_ref_shared(c, i, j), d0 = 0;
            double g = dS[i * T + j] * norm(c, m);
            for (size_t l = 1; l <= m; l++) {
                double gs = g * mlr_ref_scale(c, l);
                for (int d = 0; d < c->ranks[l - 1]; d++) {
                    dq[i * R + d0 + d] += gs * k[j * R + d0 + d];
                    dk[j * R + d0 + d] += gs * q[i * R + d0 + d];
                }
                d0 += (size_t)c->ranks[l - 1];
            }
        }
    free(P);
    free(dS);
}

double mlr_ref_flops(const mlr_cfg *c, int backward)
{
    /* pairs sharing level l: T/b blocks of b x b (causal: b(b+1)/2) */
    double T = (double)c->T, dprefix = 0, pairs1 = 0;
    for (size_t l = 1; l <= c->depth; l++) {
        double b = (double)mlr_ref_block(c, l);
        double pairs = c->causal ? T / b * b * (b + 1) / 2 : T / b * b * b;
        if (l == 1)
            pairs1 = pairs;
        dprefix += (double)c->ranks[l - 1] * pairs;
    }
    if (backward)
        return 6 * dprefix + 4 * (double)c->dv * pairs1;
    return 2 * dprefix + 2 * (double)c->dv * pairs1;
}
