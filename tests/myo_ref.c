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

size_t myo_block_size(const myo_case *c)
{
    return c->dense ? (size_t)c->N * (size_t)c->N : (size_t)c->N;
}

size_t myo_param_count(const myo_case *c, size_t batch, size_t channels)
{
    return (c->share == MYO_SHARE_INPUT ? batch : 1) * myo_param_sets(c) * channels *
           myo_block_size(c);
}

size_t myo_param_index(const myo_case *c, size_t b, size_t set, size_t h, size_t n,
                       size_t channels)
{
    size_t first = c->share == MYO_SHARE_INPUT ? b * myo_param_sets(c) : 0;
    return ((first + set) * channels + h) * myo_block_size(c) + n;
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

/* ---- (b) with dense blocks: N x N blocks per vertex ---- */

/* In-place LU of one n x n row-major block, P S = L U (L unit lower); 2 on
 * a non-finite entry or a zero pivot. */
#define MYO_DEFINE_BLOCK_LU(FN, real)                                                  \
    static int FN(real *S, size_t n, size_t *piv)                                      \
    {                                                                                  \
        for (size_t i = 0; i < n * n; i++)                                             \
            if (!isfinite(S[i]))                                                       \
                return 2;                                                              \
        for (size_t j = 0; j < n; j++) {                                               \
            size_t best = j;                                                           \
            for (size_t i = j + 1; i < n; i++)                                         \
                if (fabs((double)S[i * n + j]) > fabs((double)S[best * n + j]))        \
                    best = i;                                                          \
            piv[j] = best;                                                             \
            if (S[best * n + j] == 0 || !isfinite(S[best * n + j]))                    \
                return 2;                                                              \
            if (best != j)                                                             \
                for (size_t k = 0; k < n; k++) {                                       \
                    real t = S[j * n + k];                                             \
                    S[j * n + k] = S[best * n + k];                                    \
                    S[best * n + k] = t;                                               \
                }                                                                      \
            for (size_t i = j + 1; i < n; i++) {                                       \
                real f = S[i * n + j] / S[j * n + j];                                  \
                S[i * n + j] = f;                                                      \
                for (size_t k = j + 1; k < n; k++)                                     \
                    S[i * n + k] -= f * S[j * n + k];                                  \
            }                                                                          \
        }                                                                              \
        return 0;                                                                      \
    }

/* x = S^-1 x with the LU of FN above. */
#define MYO_DEFINE_BLOCK_SOLVE(FN, real)                                               \
    static void FN(const real *S, const size_t *piv, size_t n, real *x)               \
    {                                                                                  \
        for (size_t j = 0; j < n; j++) {                                               \
            real t = x[j];                                                             \
            x[j] = x[piv[j]];                                                          \
            x[piv[j]] = t;                                                             \
        }                                                                              \
        for (size_t i = 0; i < n; i++)                                                 \
            for (size_t k = 0; k < i; k++)                                             \
                x[i] -= S[i * n + k] * x[k];                                           \
        for (size_t i = n; i-- > 0;) {                                                 \
            for (size_t k = i + 1; k < n; k++)                                         \
                x[i] -= S[i * n + k] * x[k];                                           \
            x[i] /= S[i * n + i];                                                      \
        }                                                                              \
    }

MYO_DEFINE_BLOCK_LU(block_lu_d, double)
MYO_DEFINE_BLOCK_LU(block_lu_f, float)
MYO_DEFINE_BLOCK_SOLVE(block_solve_d, double)
MYO_DEFINE_BLOCK_SOLVE(block_solve_f, float)

/* The tree system with N x N blocks a_v (diagonal), bb_v (at (v, parent)),
 * cc_v (at (parent, v)), each n*n row-major, and right-hand sides m_v
 * (n-vectors, consumed). Upward, children (larger vertex numbers) first:
 * factor S_v, then S_parent -= cc_v S_v^-1 bb_v and m_parent -= cc_v S_v^-1 m_v
 * (W = S_v^-1 bb_v column by column in tmp, w = S_v^-1 m_v after it); then
 * x_root = S_root^-1 m_root and downward x_v = S_v^-1 (m_v - bb_v x_parent).
 * S (nv n*n) holds the LU factors, piv nv n, tmp n*n + 2n. */
#define MYO_DEFINE_SOLVE_DENSE(FN, real, LU, SOLVE)                                    \
    static int FN(const tree_index *ix, size_t n, const real *a, const real *bb,      \
                  const real *cc, real *m, real *S, size_t *piv, real *x, real *tmp)   \
    {                                                                                  \
        size_t nn = n * n, v;                                                          \
        real *W = tmp, *w = tmp + nn, *col = w + n;                                    \
        memcpy(S, a, ix->nv * nn * sizeof *S);                                         \
        for (v = ix->nv - 1; v >= 1; v--) {                                            \
            real *Sv = S + v * nn, *Sp = S + ix->parent[v] * nn;                       \
            real *mp = m + ix->parent[v] * n;                                          \
            const real *cv = cc + v * nn, *bv = bb + v * nn;                           \
            if (LU(Sv, n, piv + v * n))                                                \
                return 2;                                                              \
            for (size_t j = 0; j < n; j++) {                                           \
                for (size_t i = 0; i < n; i++)                                         \
                    col[i] = bv[i * n + j];                                            \
                SOLVE(Sv, piv + v * n, n, col);                                        \
                for (size_t i = 0; i < n; i++)                                         \
                    W[i * n + j] = col[i];                                             \
            }                                                                          \
            memcpy(w, m + v * n, n * sizeof *w);                                       \
            SOLVE(Sv, piv + v * n, n, w);                                              \
            for (size_t i = 0; i < n; i++)                                             \
                for (size_t k = 0; k < n; k++) {                                       \
                    for (size_t j = 0; j < n; j++)                                     \
                        Sp[i * n + j] -= cv[i * n + k] * W[k * n + j];                 \
                    mp[i] -= cv[i * n + k] * w[k];                                     \
                }                                                                      \
        }                                                                              \
        if (LU(S, n, piv))                                                             \
            return 2;                                                                  \
        memcpy(x, m, n * sizeof *x);                                                   \
        SOLVE(S, piv, n, x);                                                           \
        for (v = 1; v < ix->nv; v++) {                                                 \
            const real *bv = bb + v * nn, *xp = x + ix->parent[v] * n;                 \
            real *xv = x + v * n;                                                      \
            for (size_t i = 0; i < n; i++) {                                           \
                xv[i] = m[v * n + i];                                                  \
                for (size_t k = 0; k < n; k++)                                         \
                    xv[i] -= bv[i * n + k] * xp[k];                                    \
            }                                                                          \
            SOLVE(S + v * nn, piv + v * n, n, xv);                                     \
        }                                                                              \
        return 0;                                                                      \
    }

MYO_DEFINE_SOLVE_DENSE(solve_dense_d, double, block_lu_d, block_solve_d)
MYO_DEFINE_SOLVE_DENSE(solve_dense_f, float, block_lu_f, block_solve_f)

/* The blocks of (batch element b, channel h) per vertex, n*n each:
 * a = A_v, bb = B_v, cc = C_v (B_v^T when symmetric); bb, cc are 0 at the
 * root. */
#define MYO_DEFINE_GATHER_DENSE(FN, real, params_t)                                    \
    static void FN(const myo_case *c, const tree_index *ix, const params_t *p,        \
                   size_t b, size_t h, size_t channels, real *a, real *bb, real *cc)   \
    {                                                                                  \
        size_t n = (size_t)c->N, nn = n * n;                                           \
        for (size_t v = 0; v < ix->nv; v++) {                                          \
            size_t q = myo_param_index(c, b, ix->set[v], h, 0, channels);              \
            for (size_t i = 0; i < n; i++)                                             \
                for (size_t j = 0; j < n; j++) {                                       \
                    size_t e = v * nn + i * n + j;                                     \
                    a[e] = p->A[q + i * n + j];                                        \
                    bb[e] = v ? p->B[q + i * n + j] : 0;                               \
                    cc[e] = !v ? 0 : c->symmetric ? p->B[q + j * n + i]                \
                                                  : p->C[q + i * n + j];               \
                }                                                                      \
        }                                                                              \
    }

MYO_DEFINE_GATHER_DENSE(gather_dense_d, double, myo_ref_params_d)
MYO_DEFINE_GATHER_DENSE(gather_dense_f, float, myo_ref_params_f)

/* Workspace of one dense tree solve, in reals: a, bb, cc, S (nv n*n each),
 * m, x (nv n each), tmp (n*n + 2n), and nv n pivots. */
static size_t dense_wk_reals(const tree_index *ix, size_t n)
{
    return 4 * ix->nv * n * n + 2 * ix->nv * n + n * n + 2 * n;
}

#define MYO_DEFINE_TREE(FN, real, params_t, SOLVE, GATHER, SOLVE_DENSE, GATHER_DENSE) \
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
    /* dense blocks: every component of (b, h) in one block solve */                  \
    static int FN##_dense_one(const myo_case *c, const tree_index *ix,                 \
                              const params_t *p, const real *u, real *y, size_t b,     \
                              size_t h, size_t channels, real *wk, size_t *piv)        \
    {                                                                                  \
        size_t w = myo_io_width(c), t, nv = ix->nv, n = (size_t)c->N, nn = n * n;      \
        real *a = wk, *bb = a + nv * nn, *cc = bb + nv * nn, *S = cc + nv * nn;        \
        real *m = S + nv * nn, *x = m + nv * n, *tmp = x + nv * n;                     \
        int rc;                                                                        \
        GATHER_DENSE(c, ix, p, b, h, channels, a, bb, cc);                             \
        memset(m, 0, nv * n * sizeof *m);                                              \
        for (t = 0; t < ix->L; t++) {                                                  \
            size_t io = ((b * ix->L + t) * channels + h) * w;                          \
            for (size_t i = 0; i < n; i++)                                             \
                m[ix->pos[t] * n + i] =                                                \
                    c->readout_siso ? p->Bin[h * n + i] * u[io] : u[io + i];           \
        }                                                                              \
        rc = SOLVE_DENSE(ix, n, a, bb, cc, m, S, piv, x, tmp);                         \
        if (rc)                                                                        \
            return rc;                                                                 \
        for (t = 0; t < ix->L; t++) {                                                  \
            size_t io = ((b * ix->L + t) * channels + h) * w;                          \
            const real *xl = x + ix->pos[t] * n;                                       \
            for (size_t i = 0; i < n; i++)                                             \
                if (c->readout_siso)                                                   \
                    y[io] += p->Cout[h * n + i] * xl[i];                               \
                else                                                                   \
                    y[io + i] = xl[i];                                                 \
        }                                                                              \
        return 0;                                                                      \
    }                                                                                  \
                                                                                       \
    int FN(const myo_case *c, const params_t *p, const real *u, real *y, size_t batch, \
           size_t channels)                                                            \
    {                                                                                  \
        tree_index ix;                                                                 \
        real *wk;                                                                      \
        size_t *piv;                                                                   \
        int rc = 0;                                                                    \
        if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,   \
                     p ? p->Cout : 0, p ? p->D : 0, u, y, batch, channels))            \
            return 1;                                                                  \
        if (index_build(c, &ix))                                                       \
            return 3;                                                                  \
        wk = malloc((c->dense ? dense_wk_reals(&ix, (size_t)c->N) : 6 * ix.nv) *       \
                    sizeof *wk);                                                       \
        piv = malloc(ix.nv * (size_t)c->N * sizeof *piv);                              \
        if (!wk || !piv) {                                                             \
            free(wk);                                                                  \
            free(piv);                                                                 \
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
                if (c->dense)                                                          \
                    rc = FN##_dense_one(c, &ix, p, u, y, b, h, channels, wk, piv);     \
                for (size_t n = 0; n < (size_t)c->N && !rc && !c->dense; n++)          \
                    rc = FN##_one(c, &ix, p, u, y, b, h, n, channels, wk);             \
            }                                                                          \
        free(wk);                                                                      \
        free(piv);                                                                     \
        index_free(&ix);                                                               \
        return rc;                                                                     \
    }

MYO_DEFINE_TREE(myo_ref_tree_d, double, myo_ref_params_d, solve_d, gather_d, solve_dense_d,
                gather_dense_d)
MYO_DEFINE_TREE(myo_ref_tree_f, float, myo_ref_params_f, solve_f, gather_f, solve_dense_f,
                gather_dense_f)

/* ---- (a) dense T_G and LU with partial pivoting ---- */

/* T_G of channel h, M x M with M = |V| N, row/column v*N + n: A_v on the
 * diagonal, B_v at (v, parent(v)), C_v at (parent(v), v). Diag blocks fill
 * the diagonal of each N x N block, dense ones all of it (row i of a block
 * is equation v*N + i; symmetric: C_v = B_v^T). */
static void dense_assemble(const myo_case *c, const tree_index *ix,
                           const myo_ref_params_d *p, size_t b, size_t h, size_t channels,
                           double *T)
{
    size_t N = (size_t)c->N, M = ix->nv * N;
    const double *C = c->symmetric ? p->B : p->C;
    memset(T, 0, M * M * sizeof *T);
    if (c->dense) {
        for (size_t v = 0; v < ix->nv; v++) {
            size_t q = myo_param_index(c, b, ix->set[v], h, 0, channels), pv = ix->parent[v];
            for (size_t i = 0; i < N; i++)
                for (size_t j = 0; j < N; j++) {
                    T[(v * N + i) * M + v * N + j] = p->A[q + i * N + j];
                    if (v) {
                        T[(v * N + i) * M + pv * N + j] = p->B[q + i * N + j];
                        T[(pv * N + i) * M + v * N + j] =
                            c->symmetric ? p->B[q + j * N + i] : C[q + i * N + j];
                    }
                }
        }
        return;
    }
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

/* Dense blocks: adds (b, h)'s block gradients given the states x and
 * adjoint states lam of every vertex (N-vectors, vertex after vertex):
 * dA_v = -lam_v x_v^T, dB_v = -lam_v x_parent^T, dC_v = -lam_parent x_v^T
 * (symmetric: its transpose into dB_v, as C_v = B_v^T). */
static void grads_add_dense(const myo_case *c, const tree_index *ix, const myo_ref_grads_d *g,
                            size_t b, size_t h, size_t channels, const double *x,
                            const double *lam)
{
    size_t N = (size_t)c->N;
    for (size_t v = 0; v < ix->nv; v++) {
        size_t q = myo_param_index(c, b, ix->set[v], h, 0, channels);
        const double *xv = x + v * N, *lv = lam + v * N;
        const double *xp = x + ix->parent[v] * N, *lp = lam + ix->parent[v] * N;
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                g->A[q + i * N + j] -= lv[i] * xv[j];
                if (!v)
                    continue;
                g->B[q + i * N + j] -= lv[i] * xp[j];
                if (c->symmetric)
                    g->B[q + j * N + i] -= lp[i] * xv[j];
                else
                    g->C[q + i * N + j] -= lp[i] * xv[j];
            }
    }
}

/* Adds one (b, h, n)'s contributions given the states x and adjoint states
 * lam of every vertex (stride N apart), and writes du. Diag blocks:
 * dA_v = -lam_v x_v, dB_v = -lam_v x_parent, dC_v = -lam_parent x_v (into dB
 * when symmetric); dense blocks: none here (grads_add_dense). siso:
 * dCout += dy x_t, dBin += lam_t u_t, du += Bin lam_t (du starts at D dy,
 * dD += dy u_t is added by the caller once per (b, h)). */
static void grads_add(const myo_case *c, const tree_index *ix, const myo_ref_params_d *p,
                      const double *u, const double *dy, double *du,
                      const myo_ref_grads_d *g, size_t b, size_t h, size_t n,
                      size_t channels, const double *x, const double *lam, size_t stride)
{
    size_t N = (size_t)c->N, w = myo_io_width(c);
    double *gC = c->symmetric ? g->B : g->C;
    for (size_t v = 0; v < ix->nv && !c->dense; v++) {
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
            if (c->dense)
                grads_add_dense(c, &ix, g, b, h, channels, x, lam);
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

/* Dense blocks, one (b, h): x by the tree solve, lam by the same solve of
 * T^T (diagonal blocks A_v^T, C_v^T at (v, parent), B_v^T at (parent, v)),
 * then the gradients. wk: dense_wk_reals + 3 nv n*n + nv n reals. */
static int tree_backward_dense_one(const myo_case *c, const tree_index *ix,
                                   const myo_ref_params_d *p, const double *u,
                                   const double *dy, double *du, const myo_ref_grads_d *g,
                                   size_t b, size_t h, size_t channels, double *wk,
                                   size_t *piv)
{
    size_t w = myo_io_width(c), nv = ix->nv, n = (size_t)c->N, nn = n * n;
    double *a = wk, *bb = a + nv * nn, *cc = bb + nv * nn, *S = cc + nv * nn;
    double *m = S + nv * nn, *x = m + nv * n, *tmp = x + nv * n;
    double *at = tmp + nn + 2 * n, *bt = at + nv * nn, *ct = bt + nv * nn, *lam = ct + nv * nn;
    int rc;
    gather_dense_d(c, ix, p, b, h, channels, a, bb, cc);
    for (size_t v = 0; v < nv; v++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                at[v * nn + i * n + j] = a[v * nn + j * n + i];
                bt[v * nn + i * n + j] = cc[v * nn + j * n + i];
                ct[v * nn + i * n + j] = bb[v * nn + j * n + i];
            }
    memset(m, 0, nv * n * sizeof *m);
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = ((b * ix->L + t) * channels + h) * w;
        for (size_t i = 0; i < n; i++)
            m[ix->pos[t] * n + i] = c->readout_siso ? p->Bin[h * n + i] * u[io] : u[io + i];
    }
    rc = solve_dense_d(ix, n, a, bb, cc, m, S, piv, x, tmp);
    if (rc)
        return rc;
    memset(m, 0, nv * n * sizeof *m);
    for (size_t t = 0; t < ix->L; t++) {
        size_t io = ((b * ix->L + t) * channels + h) * w;
        for (size_t i = 0; i < n; i++)
            m[ix->pos[t] * n + i] = c->readout_siso ? p->Cout[h * n + i] * dy[io] : dy[io + i];
    }
    rc = solve_dense_d(ix, n, at, bt, ct, m, S, piv, lam, tmp);
    if (rc)
        return rc;
    grads_add_dense(c, ix, g, b, h, channels, x, lam);
    for (size_t i = 0; i < n; i++)
        grads_add(c, ix, p, u, dy, du, g, b, h, i, channels, x + i, lam + i, n);
    return 0;
}

int myo_ref_tree_backward_d(const myo_case *c, const myo_ref_params_d *p, const double *u,
                            const double *dy, double *du, const myo_ref_grads_d *g,
                            size_t batch, size_t channels)
{
    tree_index ix;
    double *wk, *a, *bb, *cc, *m, *S, *x, *lam;
    size_t nv, *piv;
    int rc = 0;
    if (args_bad(c, p, p ? p->A : 0, p ? p->B : 0, p ? p->C : 0, p ? p->Bin : 0,
                 p ? p->Cout : 0, p ? p->D : 0, u, du, batch, channels) ||
        grads_bad(c, g, dy, du))
        return 1;
    if (index_build(c, &ix))
        return 3;
    nv = ix.nv;
    if (c->dense) {
        size_t n = (size_t)c->N;
        wk = malloc((dense_wk_reals(&ix, n) + 3 * nv * n * n + nv * n) * sizeof *wk);
    } else {
        wk = malloc(7 * nv * sizeof *wk);
    }
    piv = malloc(nv * (size_t)c->N * sizeof *piv);
    if (!wk || !piv) {
        free(wk);
        free(piv);
        index_free(&ix);
        return 3;
    }
    a = wk, bb = a + nv, cc = bb + nv, m = cc + nv, S = m + nv, x = S + nv, lam = x + nv;
    grads_zero(c, g, batch, channels);
    for (size_t b = 0; b < batch && !rc; b++)
        for (size_t h = 0; h < channels && !rc; h++) {
            size_t w = myo_io_width(c), N = (size_t)c->N;
            feedthrough_backward(c, &ix, p, u, dy, du, g, b, h, channels);
            if (c->dense) {
                rc = tree_backward_dense_one(c, &ix, p, u, dy, du, g, b, h, channels, wk, piv);
                continue;
            }
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
    free(piv);
    index_free(&ix);
    return rc;
}
