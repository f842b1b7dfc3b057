/* Calls the kernels myogen_add_kernel() built (CMakeLists.txt) and checks
 * them against the BTT product written out from its definition (DESIGN.md
 * 6.3).  Prints one line per kernel; exit status 0 when all agree. */
#include "btt_c.h"
#ifdef HAVE_BTT_AVX2
#include "btt_avx2.h"
#endif
#ifdef HAVE_TREE
#include "tree_plain.h"
#include "tree_tuned.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M0 btt_c_M0
#define M1 btt_c_M1
#define N0 btt_c_N0
#define N1 btt_c_N1
#define S btt_c_RANK
#define DIN (M0 * M1)
#define DOUT (N0 * N1)
#define ROWS 5

typedef int (*btt_forward)(const float *, const float *, const float *, float *, size_t, void *);
typedef size_t (*btt_workspace)(size_t, size_t);

/* y[j0*n1 + j1] = sum over i1, i0, s of x[i1*m0 + i0] W1[i1][i0][j0][s] W2[j0][i1][s][j1] */
static void reference(const float *W1, const float *W2, const float *x, double *y)
{
    for (int j0 = 0; j0 < N0; j0++)
        for (int j1 = 0; j1 < N1; j1++) {
            double sum = 0;
            for (int i1 = 0; i1 < M1; i1++)
                for (int i0 = 0; i0 < M0; i0++)
                    for (int s = 0; s < S; s++)
                        sum += (double)x[i1 * M0 + i0] * W1[((i1 * M0 + i0) * N0 + j0) * S + s] *
                               W2[((j0 * M1 + i1) * S + s) * N1 + j1];
            y[j0 * N1 + j1] = sum;
        }
}

/* 64-byte aligned scratch of the size the kernel asks, NULL for 0 */
static void *workspace(size_t bytes)
{
    return bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
}

static int check_btt(const char *name, btt_forward forward, btt_workspace ws_size)
{
    static float W1[M1 * M0 * N0 * S], W2[N0 * M1 * S * N1], x[ROWS * DIN], y[ROWS * DOUT];
    double want[DOUT], worst = 0;
    unsigned seed = 1;
    for (size_t i = 0; i < sizeof W1 / sizeof *W1; i++)
        W1[i] = (float)((seed = seed * 1103515245u + 12345u) >> 16 & 1023) / 512 - 1;
    for (size_t i = 0; i < sizeof W2 / sizeof *W2; i++)
        W2[i] = (float)((seed = seed * 1103515245u + 12345u) >> 16 & 1023) / 512 - 1;
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        x[i] = (float)((seed = seed * 1103515245u + 12345u) >> 16 & 1023) / 512 - 1;
    void *ws = workspace(ws_size(ROWS, 1));
    int rc = forward(W1, W2, x, y, ROWS, ws);
    free(ws);
    if (rc != 0) {
        printf("%s: forward returned %d\n", name, rc);
        return 1;
    }
    for (int r = 0; r < ROWS; r++) {
        reference(W1, W2, x + r * DIN, want);
        for (int j = 0; j < DOUT; j++) {
            double err = fabs(y[r * DOUT + j] - want[j]) / (1 + fabs(want[j]));
            worst = err > worst ? err : worst;
        }
    }
    int ok = worst < 1e-5;
    printf("%s: %d x %d -> %d, largest relative error %.1e: %s\n", name, ROWS, DIN, DOUT, worst,
           ok ? "ok" : "WRONG");
    return !ok;
}

#ifdef HAVE_TREE
/* the kernel generated with the tuned knobs computes what the default one does */
static int check_tree(void)
{
    enum { L = tree_plain_SEQ_LEN, N = tree_plain_STATE, P = tree_plain_PARAM_SETS, H = 8 };
    static float A[P * H * N], B[P * H * N], C[P * H * N], Bin[H * N], Cout[H * N], D[H],
        u[L * H], y1[L * H], y2[L * H];
    for (int i = 0; i < P * H * N; i++) {
        A[i] = 4 + (float)(i % 5) / 8; /* diagonally dominant: a stable solve */
        B[i] = (float)(i % 3) / 8 - 0.1f;
        C[i] = (float)(i % 7) / 16 - 0.2f;
    }
    for (int i = 0; i < H * N; i++) {
        Bin[i] = 1 + (float)(i % 4) / 4;
        Cout[i] = (float)(i % 6) / 6 - 0.5f;
    }
    for (int i = 0; i < H; i++)
        D[i] = 0.5f;
    for (int i = 0; i < L * H; i++)
        u[i] = (float)((i * 37) % 11) / 11 - 0.5f;
    tree_plain_params p1 = {A, B, C, Bin, Cout, D};
    tree_tuned_params p2 = {A, B, C, Bin, Cout, D};
    void *w1 = workspace(tree_plain_workspace_size(1, H));
    void *w2 = workspace(tree_tuned_workspace_size(1, H));
    int rc1 = tree_plain_forward(&p1, u, y1, 1, H, w1), rc2 = tree_tuned_forward(&p2, u, y2, 1, H, w2);
    free(w1);
    free(w2);
    double worst = 0;
    for (int i = 0; i < L * H; i++) {
        double err = fabs(y1[i] - y2[i]) / (1 + fabs(y1[i]));
        worst = err > worst ? err : worst;
    }
    int ok = rc1 == 0 && rc2 == 0 && worst < 1e-5;
    printf("tree_tuned: %d positions x %d channels, largest difference to tree_plain %.1e: %s\n", L,
           H, worst, ok ? "ok" : "WRONG");
    return !ok;
}
#endif

int main(void)
{
    int bad = check_btt("btt_c", btt_c_forward, btt_c_workspace_size);
#ifdef HAVE_BTT_AVX2
    if (btt_avx2_cpu_supported()) /* the generated file knows what it needs */
        bad |= check_btt("btt_avx2", btt_avx2_forward, btt_avx2_workspace_size);
    else
        printf("btt_avx2: this CPU has no AVX2+FMA, not run\n");
#endif
#ifdef HAVE_TREE
    bad |= check_tree();
#endif
    return bad;
}
