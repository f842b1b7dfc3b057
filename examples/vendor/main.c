/* A Myo layer over 32x32 images, from the vendored generated kernel
 * quadtree_32x32.{c,h}: pixels in Morton order are the leaves of a quad tree. */
#include "quadtree_32x32.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 2
#define CHANNELS 8
#define N quadtree_32x32_STATE
#define L quadtree_32x32_SEQ_LEN
#define P quadtree_32x32_PARAM_SETS

/* Morton index of pixel (row, col): interleave the bits, row bits higher. */
static size_t morton(unsigned row, unsigned col)
{
    size_t m = 0;
    for (unsigned b = 0; b < 5; b++)
        m |= (size_t)(((col >> b) & 1u) << (2 * b)) | (size_t)(((row >> b) & 1u) << (2 * b + 1));
    return m;
}

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f;
}

int main(void)
{
    static float A[P][CHANNELS][N], B[P][CHANNELS][N], C[P][CHANNELS][N];
    static float Bin[CHANNELS][N], Cout[CHANNELS][N], D[CHANNELS];
    static float u[BATCH][L][CHANNELS], y[BATCH][L][CHANNELS], y2[BATCH][L][CHANNELS];
    unsigned seed = 1;
    for (int p = 0; p < P; p++)
        for (int h = 0; h < CHANNELS; h++)
            for (int n = 0; n < N; n++) {
                A[p][h][n] = 2.0f + frand(&seed); /* diagonally dominant: a stable solve */
                B[p][h][n] = frand(&seed) - 0.5f;
                C[p][h][n] = (frand(&seed) - 0.5f) / 2.0f;
            }
    for (int h = 0; h < CHANNELS; h++) {
        for (int n = 0; n < N; n++) {
            Bin[h][n] = frand(&seed) - 0.5f;
            Cout[h][n] = frand(&seed) - 0.5f;
        }
        D[h] = 0.5f;
    }
    /* a bright disc on a dark background, in Morton order */
    for (int b = 0; b < BATCH; b++)
        for (unsigned r = 0; r < 32; r++)
            for (unsigned c = 0; c < 32; c++)
                for (int h = 0; h < CHANNELS; h++) {
                    float dr = (float)r - 16.0f, dc = (float)c - 16.0f - 4.0f * (float)b;
                    u[b][morton(r, c)][h] = dr * dr + dc * dc < 64.0f ? 1.0f : 0.0f;
                }

    quadtree_32x32_params prm = {&A[0][0][0], &B[0][0][0], &C[0][0][0],
                                 &Bin[0][0], &Cout[0][0], D};
    size_t ws_size = (quadtree_32x32_workspace_size(BATCH, CHANNELS) + 63) / 64 * 64;
    void *ws = aligned_alloc(64, ws_size);
    if (!ws)
        return 1;
    int rc = quadtree_32x32_forward(&prm, &u[0][0][0], &y[0][0][0], BATCH, CHANNELS, ws);
    if (rc != 0) {
        fprintf(stderr, "forward failed: %d\n", rc);
        return 1;
    }
    /* the layer is linear in u: doubling u doubles y */
    for (int b = 0; b < BATCH; b++)
        for (int t = 0; t < L; t++)
            for (int h = 0; h < CHANNELS; h++)
                u[b][t][h] *= 2.0f;
    rc = quadtree_32x32_forward(&prm, &u[0][0][0], &y2[0][0][0], BATCH, CHANNELS, ws);
    double worst = 0, sum = 0;
    for (int b = 0; b < BATCH; b++)
        for (int t = 0; t < L; t++)
            for (int h = 0; h < CHANNELS; h++) {
                worst = fmax(worst, fabs(y2[b][t][h] - 2.0f * y[b][t][h]));
                sum += y[b][t][h];
            }
    free(ws);
    printf("quadtree_32x32: %d images x %d channels, mean output %.6f, linearity error %.2e\n",
           BATCH, CHANNELS, sum / (BATCH * L * CHANNELS), worst);
    printf("centre pixel, channel 0: %.6f   corner pixel: %.6f\n", y[0][morton(16, 16)][0],
           y[0][morton(0, 0)][0]);
    return rc == 0 && worst < 1e-4 ? 0 : 1;
}
