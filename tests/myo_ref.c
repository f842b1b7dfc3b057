/* References for the `myo` forward layer (see myo_ref.h). Written from
 * DESIGN.md 6.1 alone, for clarity rather than speed. */
#include "myo_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tree geometry (DESIGN 6.1) ---- */

size_t myo_level_size(const myo_case *c, int l)
{
    size_t s = 1;
    for (int i = 0; i < l; i++)
        s *= (size_t)c->k;
    return s;
}

size_t myo_vertex_number(const myo_case *c, int l, size_t i)
{
    if (c->k == 1)
        return (size_t)l;
    return (myo_level_size(c, l) - 1) / (size_t)(c->k - 1) + i;
}

size_t myo_vertices(const myo_case *c)
{
    return myo_vertex_number(c, c->d + 1, 0);
}

size_t myo_seq_len(const myo_case *c)
{
    return c->k == 1 ? (size_t)c->d + 1 : myo_level_size(c, c->d);
}

size_t myo_param_sets(const myo_case *c)
{
    return c->share != MYO_SHARE_LEVEL ? myo_vertices(c) : (size_t)c->d + 1;
}

size_t myo_param_count(const myo_case *c, size_t batch, size_t channels)
{
    return (c->share == MYO_SHARE_INPUT ? batch : 1) * myo_param_sets(c) * channels * (size_t)c->N;
}

size_t myo_param_index(const myo_case *c, size_t b, size_t set, size_t h, size_t n,
                       size_t channels)
{
    size_t first = c->share == MYO_SHARE_INPUT ? b * myo_param_sets(c) : 0;
    return ((first + set) * channels + h) * (size_t)c->N + n;
}

size_t myo_io_width(const myo_case *c)
{
    return c->readout_siso ? 1 : (size_t)c->N;
}

/* Children of (l, i) are (l+1, k*i + j), so in level order parent(v) = (v-1)/k
 * (for k = 1 that is v-1, the chain). */
size_t myo_parent(const myo_case *c, size_t v)
{
    return (v - 1) / (size_t)c->k;
}

int myo_vertex_level(const myo_case *c, size_t v)
{
    int l = 0;
    while (myo_vertex_number(c, l + 1, 0) <= v)
        l++;
    return l;
}

/* Chain: every vertex is a position. Tree: position t is leaf (d, t). */
size_t myo_position_vertex(const myo_case *c, size_t t)
{
    return c->k == 1 ? t : myo_vertex_number(c, c->d, t);
}

size_t myo_param_set(const myo_case *c, size_t v)
{
    return c->share != MYO_SHARE_LEVEL ? v : (size_t)myo_vertex_level(c, v);
}

/* ---- shared helpers ---- */

static int case_ok(const myo_case *c)
{
    return c && c->k >= 1 && c->d >= 1 && c->N >= 1;
}

/* 1 when a buffer the case needs is missing, as the kernels do. */
static int args_bad(const myo_case *c, const void *p, const void *A, const void *B,
                    const void *C, const void *Bin, const void *Cout, const void *D,
                    const void *u, const void *y, size_t batch, size_t channels)
{
    if (!case_ok(c) || !p || !u || !y || !batch || !channels || !A || !B)
        return 1;
    if (!c->symmetric && !C)
        return 1;
    if (c->readout_siso && (!Bin || !Cout || !D))
        return 1;
    return 0;
}

/* Per-call tables: parent and parameter set of each vertex, vertex of each
 * position; computed once so the solves below are plain array loops. */
typedef struct {
    size_t nv, L;
    size_t *parent, *set, *pos;
} tree_index;

static void index_free(tree_index *ix)
{
    free(ix->parent);
    free(ix->set);
    free(ix->pos);
}

static int index_build(const myo_case *c, tree_index *ix)
{
    ix->nv = myo_vertices(c);
    ix->L = myo_seq_len(c);
    ix->parent = malloc(ix->nv * sizeof *ix->parent);
    ix->set = malloc(ix->nv * sizeof *ix->set);
    ix->pos = malloc(ix->L * sizeof *ix->pos);
    if (!ix->parent || !ix->set || !ix->pos) {
        index_free(ix);
        return 3;
    }
    for (size_t v = 0; v < ix->nv; v++) {
        ix->parent[v] = v ? myo_parent(c, v) : 0;
        ix->set[v] = myo_param_set(c, v);
    }
    for (size_t t = 0; t < ix->L; t++)
        ix->pos[t] = myo_position_vertex(c, t);
    return 0;
}

/* ---- (b) scalar tree solve, instantiated for float and double ---- */

/* With diag blocks every state component n is its own scalar tree system
 * a_v x_v + bb_v x_parent(v) + sum_c cc_c x_c = m_v. Upward
 * S_v = a_v - sum_c cc_c bb_c / S_c, m_v -= sum_c cc_c m_c / S_c, then
 * x_root = m_root / S_root and x_c = (m_c - bb_c x_parent) / S_c.
 * Children have larger level-order numbers than parents, so walking v
 * downwards folds every child before its parent is folded. m is consumed. */
#define MYO_DEFINE_SOLVE(FN, real)                                                     \
    static int FN(const tree_index *ix, const real *a, const real *bb, const real *cc, \
                  real *m, real *S, real *x)                                           \
    {                                                                                  \
        size_t v;                                                                      \
        for (v = 0; v < ix->nv; v++)                                                   \
            S[v] = a[v];                                                               \
        for (v = ix->nv - 1; v >= 1; v--) {                                            \
            real f;                                                                    \
            if (S[v] == 0 || !isfinite(S[v]))                                          \
                return 2;                                                              \
            f = cc[v] / S[v];                                                          \
            S[ix->parent[v]] -= f * bb[v];                                             \
            m[ix->parent[v]] -= f * m[v];                                              \
        }                                                                              \
        if (S[0] == 0 || !isfinite(S[0]))                                              \
            return 2;                                                                  \
        x[0] = m[0] / S[0];                                                            \
        for (v = 1; v < ix->nv; v++)                                                   \
            x[v] = (m[v] - bb[v] * x[ix->parent[v]]) / S[v];                           \
        return 0;                                                                      \
    }

MYO_DEFINE_SOLVE(solve_d, double)
MYO_DEFINE_SOLVE(solve_f, float)

/* Gathers the coefficients of (batch b, channel h, component n) per vertex:
 * a = A, bb = B (at (v, parent)), cc = C (at (parent, v)); B for C when
 * symmetric. bb[0], cc[0] are set to 0 (the root has no parent). */
#define MYO_DEFINE_GATHER(FN, real, params_t)                                          \
    static void FN(const myo_case *c, const tree_index *ix, const params_t *p,        \
                   size_t b, size_t h, size_t n, size_t channels, real *a, real *bb,   \
                   real *cc)                                                           \
    {                                                                                  \
        const real *C = c->symmetric ? p->B : p->C;                                    \
        for (size_t v = 0; v < ix->nv; v++) {                                          \
            size_t q = myo_param_index(c, b, ix->set[v], h, n, channels);              \
            a[v] = p->A[q];                                                            \
            bb[v] = v ? p->B[q] : 0;                                                   \
            cc[v] = v ? C[q] : 0;                                                      \
        }                                                                              \
    }

MYO_DEFINE_GATHER(gather_d, double, myo_ref_params_d)
MYO_DEFINE_GATHER(gather_f, float, myo_ref_params_f)

#define MYO_DEFINE_TREE(FN, real, params_t, SOLVE, GATHER)                             \
    static int FN##_one(const myo_case *c, const tree_index *ix, const params_t *p,   \
                        const real *u, real *y, size_t b, size_t h, size_t n,         \
                        size_t channels, real *wk)                                     \
    {                                                                                  \
        size_t w = myo_io_width(c), t, nv = ix->nv;                                    \
        real *a = wk, *bb = a + nv, *cc = bb + nv, *m = cc + nv, *S = m + nv;          \
        real *x = S + nv;                                                              \
        int rc;                                                                        \
        GATHER(c, ix, p, b, h, n, channels, a, bb, cc);                                \
        for (size_t v = 0; v < nv; v++)                                                \
            m[v] = 0;                                                                  \
        for (t = 0; t < ix->L; t++) {                                                  \
            size_t io = ((b * ix->L + t) * channels + h) * w;                          \
            m[ix->pos[t]] = c->readout_siso ? p->Bin[h * c->N + n] * u[io] : u[io + n];\
        }                                                                              \
        rc = SOLVE(ix, a, bb, cc, m, S, x);                                            \
        if (rc)                                                                        \
            return rc;                                                                 \
        for (t = 0; t < ix->L; t++) {                                                  \
            size_t io = ((b * ix->L + t) * channels + h) * w;                          \
            if (c->readout_siso)                                                       \
                y[io] += p->Cout[h * c->N + n] * x[ix->pos[t]];                        \
            else                                                                       \
                y[io + n] = x[ix->pos[t]];                                             \
        }                                                                              \
        return 0;                                                                      \
    }                                                                                  \
                                                                                       \
    int FN(const myo_case *c, const params_t *p, const real *u, real *y, size_t batch, \
           size_t channels)                                                            \
    {                                                                                  \
        tree_index ix;                                                                 \
        real *wk;                                                                      \
        int rc = 0;                                                                    \
        if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,   \
                     p ? p->Cout : 0, p ? p->D : 0, u, y, batch, channels))            \
            return 1;                                                                  \
        if (index_build(c, &ix))                                                       \
            return 3;                                                                  \
        wk = malloc(6 * ix.nv * sizeof *wk);                                           \
        if (!wk) {                                                                     \
            index_free(&ix);                                                           \
            return 3;                                                                  \
        }                                                                              \
        for (size_t b = 0; b < batch && !rc; b++)                                      \
            for (size_t h = 0; h < channels && !rc; h++) {                             \
                if (c->readout_siso) /* y starts at the feedthrough D u */             \
                    for (size_t t = 0; t < ix.L; t++) {                                \
                        size_t io = (b * ix.L + t) * channels + h;                     \
                        y[io] = p->D[h] * u[io];                                       \
                    }                                                                  \
                for (size_t n = 0; n < (size_t)c->N && !rc; n++)                       \
                    rc = FN##_one(c, &ix, p, u, y, b, h, n, channels, wk);             \
            }                                                                          \
        free(wk);                                                                      \
        index_free(&ix);                                                               \
        return rc;                                                                     \
    }

MYO_DEFINE_TREE(myo_ref_tree_d, double, myo_ref_params_d, solve_d, gather_d)
MYO_DEFINE_TREE(myo_ref_tree_f, float, myo_ref_params_f, solve_f, gather_f)

/* ---- (a) dense T_G and LU with partial pivoting ---- */

/* T_G of channel h, M x M with M = |V| N, row/column v*N + n. Diag blocks:
 * A_v on the diagonal, B_v at (v, parent(v)), C_v at (parent(v), v). */
static void dense_assemble(const myo_case *c, const tree_index *ix,
                           const myo_ref_params_d *p, size_t b, size_t h, size_t channels,
                           double *T)
{
    size_t N = (size_t)c->N, M = ix->nv * N;
    const double *C = c->symmetric ? p->B : p->C;
    memset(T, 0, M * M * sizeof *T);
    for (size_t v = 0; v < ix->nv; v++)
        for (size_t n = 0; n < N; n++) {
            size_t q = myo_param_index(c, b, ix->set[v], h, n, channels), r = v * N + n;
            T[r * M + r] = p->A[q];
            if (v) {
                size_t s = ix->parent[v] * N + n;
                T[r * M + s] = p->B[q];
                T[s * M + r] = C[q];
            }
        }
}

/* In-place LU, P T = L U, L unit lower. 2 on a zero or non-finite pivot
 * (or any non-finite entry, which would only move the NaN around). */
static int lu_factor(double *T, size_t M, size_t *piv)
{
    for (size_t i = 0; i < M * M; i++)
        if (!isfinite(T[i]))
            return 2;
    for (size_t j = 0; j < M; j++) {
        size_t best = j;
        for (size_t i = j + 1; i < M; i++)
            if (fabs(T[i * M + j]) > fabs(T[best * M + j]))
                best = i;
        piv[j] = best;
        if (T[best * M + j] == 0 || !isfinite(T[best * M + j]))
            return 2;
        if (best != j)
            for (size_t k = 0; k < M; k++) {
                double s = T[j * M + k];
                T[j * M + k] = T[best * M + k];
                T[best * M + k] = s;
            }
        for (size_t i = j + 1; i < M; i++) {
            double f = T[i * M + j] / T[j * M + j];
            T[i * M + j] = f;
            if (f != 0)
                for (size_t k = j + 1; k < M; k++)
                    T[i * M + k] -= f * T[j * M + k];
        }
    }
    return 0;
}

static void lu_solve(const double *T, const size_t *piv, size_t M, double *x)
{
    for (size_t j = 0; j < M; j++)
        if (piv[j] != j) {
            double s = x[j];
            x[j] = x[piv[j]];
            x[piv[j]] = s;
        }
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < i; k++)
            x[i] -= T[i * M + k] * x[k];
    for (size_t i = M; i-- > 0;) {
        for (size_t k = i + 1; k < M; k++)
            x[i] -= T[i * M + k] * x[k];
        x[i] /= T[i * M + i];
    }
}

/* Solves T^T x = g with the LU of T: P T = L U gives T^T = U^T L^T P, so
 * U^T z = g (forward), L^T w = z (backward, unit), x = P^T w (the row swaps
 * undone in reverse order). */
static void lu_solve_transposed(const double *T, const size_t *piv, size_t M, double *x)
{
    for (size_t i = 0; i < M; i++) {
        for (size_t k = 0; k < i; k++)
            x[i] -= T[k * M + i] * x[k];
        x[i] /= T[i * M + i];
    }
    for (size_t i = M; i-- > 0;)
        for (size_t k = i + 1; k < M; k++)
            x[i] -= T[k * M + i] * x[k];
    for (size_t j = M; j-- > 0;)
        if (piv[j] != j) {
            double s = x[j];
            x[j] = x[piv[j]];
            x[piv[j]] = s;
        }
}

/* Right-hand side of batch element b, channel h: e at the positions only. */
static void dense_rhs(const myo_case *c, const tree_index *ix, const myo_ref_params_d *p,
                      const double *u, size_t b, size_t h, size_t channels, double *e)
{
    size_t N = (size_t)c->N, w = myo_io_width(c);
    memset(e, 0, ix->nv * N * sizeof *e);
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = ((b * ix->L + t) * channels + h) * w, v = ix->pos[t];
        for (size_t n = 0; n < N; n++)
            e[v * N + n] = c->readout_siso ? p->Bin[h * N + n] * u[io] : u[io + n];
    }
}

static void dense_readout(const myo_case *c, const tree_index *ix, const myo_ref_params_d *p,
                          const double *u, double *y, size_t b, size_t h, size_t channels,
                          const double *x)
{
    size_t N = (size_t)c->N, w = myo_io_width(c);
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = ((b * ix->L + t) * channels + h) * w;
        const double *xl = x + ix->pos[t] * N;
        if (c->readout_siso) {
            double s = p->D[h] * u[io];
            for (size_t n = 0; n < N; n++)
                s += p->Cout[h * N + n] * xl[n];
            y[io] = s;
        } else {
            for (size_t n = 0; n < N; n++)
                y[io + n] = xl[n];
        }
    }
}

int myo_ref_dense(const myo_case *c, const myo_ref_params_d *p, const double *u, double *y,
                  size_t batch, size_t channels)
{
    tree_index ix;
    double *T, *x;
    size_t *piv, M;
    int rc = 0;
    if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,
                 p ? p->Cout : 0, p ? p->D : 0, u, y, batch, channels))
        return 1;
    if (index_build(c, &ix))
        return 3;
    M = ix.nv * (size_t)c->N;
    T = malloc(M * M * sizeof *T);
    x = malloc(M * sizeof *x);
    piv = malloc(M * sizeof *piv);
    if (!T || !x || !piv)
        rc = 3;
    for (size_t h = 0; h < channels && !rc; h++) {
        for (size_t b = 0; b < batch && !rc; b++) {
            if (b == 0 || c->share == MYO_SHARE_INPUT) { /* T depends on b only for share input */
                dense_assemble(c, &ix, p, b, h, channels, T);
                rc = lu_factor(T, M, piv);
                if (rc)
                    break;
            }
            dense_rhs(c, &ix, p, u, b, h, channels, x);
            lu_solve(T, piv, M, x);
            dense_readout(c, &ix, p, u, y, b, h, channels, x);
        }
    }
    free(T);
    free(x);
    free(piv);
    index_free(&ix);
    return rc;
}

/* ---- backward ---- */

static int grads_bad(const myo_case *c, const myo_ref_grads_d *g, const void *dy,
                     const void *du)
{
    if (!g || !dy || !du || !g->A || !g->B)
        return 1;
    if (!c->symmetric && !g->C)
        return 1;
    if (c->readout_siso && (!g->Bin || !g->Cout || !g->D))
        return 1;
    return 0;
}

static void grads_zero(const myo_case *c, const myo_ref_grads_d *g, size_t batch,
                       size_t channels)
{
    size_t np = myo_param_count(c, batch, channels), N = (size_t)c->N;
    memset(g->A, 0, np * sizeof *g->A);
    memset(g->B, 0, np * sizeof *g->B);
    if (!c->symmetric)
        memset(g->C, 0, np * sizeof *g->C);
    if (c->readout_siso) {
        memset(g->Bin, 0, channels * N * sizeof *g->Bin);
        memset(g->Cout, 0, channels * N * sizeof *g->Cout);
        memset(g->D, 0, channels * sizeof *g->D);
    }
}

/* Adds one (b, h, n)'s contributions given the states x and adjoint states
 * lam of every vertex (stride N apart), and writes du. dA_v = -lam_v x_v,
 * dB_v = -lam_v x_parent, dC_v = -lam_parent x_v (into dB when symmetric);
 * siso: dCout += dy x_t, dBin += lam_t u_t, du += Bin lam_t (du starts at
 * D dy, dD += dy u_t is added by the caller once per (b, h)). */
static void grads_add(const myo_case *c, const tree_index *ix, const myo_ref_params_d *p,
                      const double *u, const double *dy, double *du,
                      const myo_ref_grads_d *g, size_t b, size_t h, size_t n,
                      size_t channels, const double *x, const double *lam, size_t stride)
{
    size_t N = (size_t)c->N, w = myo_io_width(c);
    double *gC = c->symmetric ? g->B : g->C;
    for (size_t v = 0; v < ix->nv; v++) {
        size_t q = myo_param_index(c, b, ix->set[v], h, n, channels);
        double xv = x[v * stride], lv = lam[v * stride];
        g->A[q] -= lv * xv;
        if (v) {
            size_t pv = ix->parent[v] * stride;
            g->B[q] -= lv * x[pv];
            gC[q] -= lam[pv] * xv;
        }
    }
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = ((b * ix->L + t) * channels + h) * w, v = ix->pos[t] * stride;
        if (c->readout_siso) {
            g->Cout[h * N + n] += dy[io] * x[v];
            g->Bin[h * N + n] += lam[v] * u[io];
            du[io] += p->Bin[h * N + n] * lam[v];
        } else {
            du[io + n] = lam[v];
        }
    }
}

/* siso: du starts at D dy; dD gets dy u. */
static void feedthrough_backward(const myo_case *c, const tree_index *ix,
                                 const myo_ref_params_d *p, const double *u,
                                 const double *dy, double *du, const myo_ref_grads_d *g,
                                 size_t b, size_t h, size_t channels)
{
    if (!c->readout_siso)
        return;
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = (b * ix->L + t) * channels + h;
        du[io] = p->D[h] * dy[io];
        g->D[h] += dy[io] * u[io];
    }
}

int myo_ref_dense_backward(const myo_case *c, const myo_ref_params_d *p, const double *u,
                           const double *dy, double *du, const myo_ref_grads_d *g,
                           size_t batch, size_t channels)
{
    tree_index ix;
    double *T, *x, *lam;
    size_t *piv, M, N = c ? (size_t)c->N : 0;
    int rc = 0;
    if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,
                 p ? p->Cout : 0, p ? p->D : 0, u, du, batch, channels) ||
        grads_bad(c, g, dy, du))
        return 1;
    if (index_build(c, &ix))
        return 3;
    M = ix.nv * N;
    T = malloc(M * M * sizeof *T);
    x = malloc(M * sizeof *x);
    lam = malloc(M * sizeof *lam);
    piv = malloc(M * sizeof *piv);
    if (!T || !x || !lam || !piv)
        rc = 3;
    else
        grads_zero(c, g, batch, channels);
    for (size_t h = 0; h < channels && !rc; h++) {
        for (size_t b = 0; b < batch && !rc; b++) {
            size_t w = myo_io_width(c);
            if (b == 0 || c->share == MYO_SHARE_INPUT) {
                dense_assemble(c, &ix, p, b, h, channels, T);
                rc = lu_factor(T, M, piv);
                if (rc)
                    break;
            }
            dense_rhs(c, &ix, p, u, b, h, channels, x);
            lu_solve(T, piv, M, x);
            /* dL/dx: Cout dy (siso) or dy (none) at the positions, 0 elsewhere */
            memset(lam, 0, M * sizeof *lam);
            for (size_t t = 0; t < ix.L; t++) {
                size_t io = ((b * ix.L + t) * channels + h) * w, v = ix.pos[t];
                for (size_t n = 0; n < N; n++)
                    lam[v * N + n] = c->readout_siso ? p->Cout[h * N + n] * dy[io] : dy[io + n];
            }
            lu_solve_transposed(T, piv, M, lam);
            feedthrough_backward(c, &ix, p, u, dy, du, g, b, h, channels);
            for (size_t n = 0; n < N; n++)
                grads_add(c, &ix, p, u, dy, du, g, b, h, n, channels, x + n, lam + n, N);
        }
    }
    free(T);
    free(x);
    free(lam);
    free(piv);
    index_free(&ix);
    return rc;
}

int myo_ref_tree_backward_d(const myo_case *c, const myo_ref_params_d *p, const double *u,
                            const double *dy, double *du, const myo_ref_grads_d *g,
                            size_t batch, size_t channels)
{
    tree_index ix;
    double *wk, *a, *bb, *cc, *m, *S, *x, *lam;
    size_t nv;
    int rc = 0;
    if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,
                 p ? p->Cout : 0, p ? p->D : 0, u, du, batch, channels) ||
        grads_bad(c, g, dy, du))
        return 1;
    if (index_build(c, &ix))
        return 3;
    nv = ix.nv;
    wk = malloc(7 * nv * sizeof *wk);
    if (!wk) {
        index_free(&ix);
        return 3;
    }
    a = wk, bb = a + nv, cc = bb + nv, m = cc + nv, S = m + nv, x = S + nv, lam = x + nv;
    grads_zero(c, g, batch, channels);
    for (size_t b = 0; b < batch && !rc; b++)
        for (size_t h = 0; h < channels && !rc; h++) {
            size_t w = myo_io_width(c), N = (size_t)c->N;
            feedthrough_backward(c, &ix, p, u, dy, du, g, b, h, channels);
            for (size_t n = 0; n < N && !rc; n++) {
                gather_d(c, &ix, p, b, h, n, channels, a, bb, cc);
                memset(m, 0, nv * sizeof *m);
                for (size_t t = 0; t < ix.L; t++) {
                    size_t io = ((b * ix.L + t) * channels + h) * w;
                    m[ix.pos[t]] = c->readout_siso ? p->Bin[h * N + n] * u[io] : u[io + n];
                }
                rc = solve_d(&ix, a, bb, cc, m, S, x);
                if (rc)
                    break;
                memset(m, 0, nv * sizeof *m);
                for (size_t t = 0; t < ix.L; t++) {
                    size_t io = ((b * ix.L + t) * channels + h) * w;
                    m[ix.pos[t]] = c->readout_siso ? p->Cout[h * N + n] * dy[io] : dy[io + n];
                }
                rc = solve_d(&ix, a, cc, bb, m, S, lam); /* T^T: B and C swapped */
                if (rc)
                    break;
                grads_add(c, &ix, p, u, dy, du, g, b, h, n, channels, x, lam, 1);
            }
        }
    free(wk);
    index_free(&ix);
    return rc;
}
