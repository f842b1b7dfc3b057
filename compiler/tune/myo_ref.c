/* Scalar reference of the myo forward layer for the tuner (see tune/myo_ref.h). */
#include "tune/myo_ref.h"

#include <math.h>
#include <stdlib.h>

size_t tune_ref_seq_len(const tune_ref_shape *s)
{
    size_t L = 1;
    if (s->k == 1)
        return (size_t)s->d + 1;
    for (int l = 0; l < s->d; l++)
        L *= (size_t)s->k;
    return L;
}

size_t tune_ref_vertices(const tune_ref_shape *s)
{
    size_t V = 0, cnt = 1;
    if (s->k == 1)
        return (size_t)s->d + 1;
    for (int l = 0; l <= s->d; l++, cnt *= (size_t)s->k)
        V += cnt;
    return V;
}

/* element i of an array of float or double */
static double at(const void *a, size_t i, int f64)
{
    return f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
}

int tune_ref_forward(const tune_ref_shape *s, const void *A, const void *B, const void *C,
                     const void *Bin, const void *Cout, const void *D, const void *u,
                     double *y, size_t batch, size_t channels)
{
    const size_t k = (size_t)s->k, N = (size_t)s->N, V = tune_ref_vertices(s);
    const size_t L = tune_ref_seq_len(s), first_leaf = V - L, io = s->siso ? 1 : N;
    const int f64 = s->f64;
    if (s->symmetric)
        C = B;
    double *S = malloc(V * N * sizeof *S), *m = malloc(V * N * sizeof *m);
    int *level = malloc(V * sizeof *level);
    int rc = 0;
    if (!S || !m || !level) {
        rc = 3;
        goto done;
    }
    /* level of every vertex: levels are contiguous in level order */
    for (size_t v = 0, cnt = 1, l = 0, end = 1; v < V; v++) {
        if (v == end) {
            l++;
            cnt = k == 1 ? 1 : cnt * k;
            end += cnt;
        }
        level[v] = (int)l;
    }
    for (size_t b = 0; b < batch; b++)
        for (size_t h = 0; h < channels; h++) {
            for (size_t i = 0; i < V * N; i++)
                S[i] = m[i] = 0; /* the children's contributions, summed below */
            /* up: children have larger numbers than their parent */
            for (size_t v = V; v-- > 0;) {
                const size_t set = s->share == 0 ? (size_t)level[v]
                                 : s->share == 1 ? v : b * V + v;
                const size_t pa = (set * channels + h) * N;
                const int leaf = v >= first_leaf || k == 1;
                const size_t t = k == 1 ? v : v - first_leaf;
                for (size_t n = 0; n < N; n++) {
                    double e = 0;
                    if (leaf) {
                        const size_t ui = ((b * L + t) * channels + h) * io;
                        e = s->siso ? at(Bin, h * N + n, f64) * at(u, ui, f64)
                                    : at(u, ui + n, f64);
                    }
                    const double Sv = at(A, pa + n, f64) + S[v * N + n];
                    const double mv = e + m[v * N + n];
                    if (!(Sv != 0 && isfinite(Sv))) {
                        rc = 2;
                        goto done;
                    }
                    S[v * N + n] = Sv;
                    m[v * N + n] = mv;
                    if (v > 0) {
                        const size_t p = (v - 1) / k;
                        const double c = at(C, pa + n, f64) / Sv;
                        S[p * N + n] -= c * at(B, pa + n, f64);
                        m[p * N + n] -= c * mv;
                    }
                }
            }
            /* down: x_v = (m_v - B_v x_parent) / S_v, stored over m */
            for (size_t v = 0; v < V; v++) {
                const size_t set = s->share == 0 ? (size_t)level[v]
                                 : s->share == 1 ? v : b * V + v;
                const size_t pa = (set * channels + h) * N;
                for (size_t n = 0; n < N; n++) {
                    double r = m[v * N + n];
                    if (v > 0)
                        r -= at(B, pa + n, f64) * m[(v - 1) / k * N + n];
                    m[v * N + n] = r / S[v * N + n];
                }
            }
            for (size_t t = 0; t < L; t++) {
                const size_t v = k == 1 ? t : first_leaf + t;
                const size_t ui = ((b * L + t) * channels + h) * io;
                if (s->siso) {
                    double acc = at(D, h, f64) * at(u, ui, f64);
                    for (size_t n = 0; n < N; n++)
                        acc += at(Cout, h * N + n, f64) * m[v * N + n];
                    y[ui] = acc;
                } else {
                    for (size_t n = 0; n < N; n++)
                        y[ui + n] = m[v * N + n];
                }
            }
        }
done:
    free(S);
    free(m);
    free(level);
    return rc;
}
