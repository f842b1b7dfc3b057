/* Reference Multi-Level Low-Rank attention (DESIGN.md 6.2), one head, in
 * double, straight from the definition: it forms the T x T score matrix. */
#ifndef MLR_REF_H
#define MLR_REF_H

#include <stddef.h>

#define MLR_REF_MAX_LEVELS 16

enum { MLR_NORM_NONE, MLR_NORM_LEVELS, MLR_NORM_SHARED };
enum { MLR_SCALE_INV_RANK, MLR_SCALE_INV_SQRT_RANK, MLR_SCALE_LIST };

typedef struct {
    size_t T, k, depth, dv;
    int ranks[MLR_REF_MAX_LEVELS];
    int causal, normalize, scale_mode;
    double scale_list[MLR_REF_MAX_LEVELS]; /* MLR_SCALE_LIST */
    size_t blocks[MLR_REF_MAX_LEVELS];     /* the spec's blocks; all 0: T / k^(l-1) */
    int identity;                          /* link "identity": P = S (masked: 0), no lse */
} mlr_cfg;

size_t mlr_ref_rank(const mlr_cfg *c);           /* R = sum of the ranks */
double mlr_ref_scale(const mlr_cfg *c, size_t l); /* s_l, l = 1..depth */
size_t mlr_ref_block(const mlr_cfg *c, size_t l); /* block size of level l = 1..depth */
/* m(i, j): levels at which i and j share a block */
size_t mlr_ref_shared(const mlr_cfg *c, size_t i, size_t j);
/* S [T][T], -inf where masked */
void mlr_ref_scores(const mlr_cfg *c, const double *q, const double *k, double *S);
/* q, k [T][R]; v, o [T][dv]; lse [T] */
void mlr_ref_forward(const mlr_cfg *c, const double *q, const double *k, const double *v,
                     double *o, double *lse);
/* gradients of sum(dout * o) */
void mlr_ref_backward(const mlr_cfg *c, const double *q, const double *k, const double *v,
                      const double *dout, double *dq, double *dk, double *dv);
/* FLOPs of the useful work, per head: forward 2 D_m + 2 dv per unmasked
 * pair, backward 6 D_m + 4 dv (D_m = r_1 + .. + r_m(i,j)) */
double mlr_ref_flops(const mlr_cfg *c, int backward);

#endif
