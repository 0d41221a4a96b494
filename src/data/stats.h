/*
** Sufficient statistics of sets of rows (for example the folds of
** cross-validation), about a common shift (c, cy) of the columns and the
** label (the global means: sums about them lose no digits to
** cancellation), from ONE pass over the data:
** with them, a set's centered Gram, correlations, scales and squared errors
** follow without touching X again (Friedman, Hastie & Tibshirani 2010, section
** 2.2, covariance updates), and the statistics of "all rows but fold k" are the
** total minus fold k's.
**
** One set's sums, LARIAT_STATS_LEN(p) doubles:
** (y below stands for y - cy)
**   [0] W = sum w   [1] rows with w > 0   [2] sy = sum w y   [3] syy = sum w y^2
**   [4, 4+p)          sx  = sum w (x - c)
**   [4+p, 4+2p)       sxy = sum w (x - c) y
**   [4+2p, 4+2p+p^2)  sxx = sum w (x - c)(x - c)'   (p x p, row-major, both triangles)
** and its column ranges over rows with w > 0, 2p doubles: [-min | max].
*/
#ifndef LARIAT_STATS_H
#define LARIAT_STATS_H

#include "lariat.h"

#define LARIAT_STATS_LEN(p) (4 + 2 * (p) + (p) * (p))
/* The same with sxx's upper triangle only, row by row. */
#define LARIAT_STATS_PACKED_LEN(p) (4 + 2 * (p) + (p) * ((p) + 1) / 2)

/* Collective. One pass over this rank's rows (dense storage only: returns
** LARIAT_EUSAGE for CSR) adds row i to set fold[i] - 1 (fold[i] in 1..K; 0 =
** in no set), tile by tile; then one tiled sum of the K sets (data/tiles.h:
** the same at any rank count) and one max-reduction of their ranges. sums has K * LARIAT_STATS_LEN(p) doubles, ranges K * 2p
** (NULL: no ranges and no max-reduction). Only sxx's upper triangle is
** summed; it is mirrored after. single: each tile's products in single
** precision (lariat_matrix_moments_by_set), for approximations only; the
** tiles' sums stay exact, so the result is still the same at any rank count. */
int lariat_stats_by_fold(lariat_ctx *ctx, const lariat_data *data, const double *w, const int *fold, int K,
                         const double *shift, double yshift, int single, double *sums, double *ranges);

/* Collective. G (p x p, row-major, both triangles) = sum_i w_i (x_i - shift)(x_i - shift)'
** over all rows (shift NULL = 0, w >= 0), the same at any rank count: on dense
** rows the weighted Gram of data/matrix.h summed over tiles of rows
** (data/tiles.h); on CSR rows the products of stored entries summed in
** fixed point, two 64-bit limbs a value (finer than a double's rounding of
** any term of at least 2^-36 of its column bounds' product), then centred
** with the column sums (data/stats.c). A rank that passes G = NULL takes
** part in the sum and keeps nothing. */
int lariat_stats_gram(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, double *G);

/* Not collective. The first column of slab r when p columns are cut into
** s slabs (lariat_stats_gram_slab): floor(p r / s). */
static inline int64_t lariat_slab_start(int64_t p, int s, int r) { return p * r / s; }

/* Collective. Slab r of lariat_stats_gram's G cut into s column slabs:
** columns [a, b) of every row, a = lariat_slab_start(p, s, r) and b that
** of r + 1, row after row, so that entry (j, l) is G[j (b - a) + l - a].
** Slab 0 of 1 is G row-major. Every rank takes part in the one sum and
** keeps its own r (any slab, or the same on several ranks). For
** solvers/gram.c, whose ranks each stream their own slab of every row: a
** slab as one block reads in order (in place in row-major rows, two ranks
** reading half rows each ran at a quarter of the speed), and a rank keeps
** p (b - a) numbers, not p^2. */
int lariat_stats_gram_slab(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, int s,
                           int r, double *G);

/* Collective. CSR rows only. G (p x p floats, row-major, both triangles) =
** sum_i w_i (x_i - shift)(x_i - shift)' rounded to single precision, for a
** curvature that is an approximation anyway (solvers/glm_batch.c), given
** sx = sum_i w_i (x_i - shift) and W = sum_i w_i (shift NULL = 0: sx and W
** unread). w >= 0. The products are summed in fixed point (one 64-bit
** integer a value, lariat_matrix_gram_fixed_csr): integer sums are exact
** in any order, so the result is the same at any rank count with no tiles
** and no binned sums. The scales make every term less than 2^(61 - L)
** (2^L > n rows) in size, and the sum of all less than 2^61; each term is
** rounded to an integer, so an entry's error is at most half a unit a row
** against a unit of 2^(L - 61) of 2^(ew + ex_j + ex_l), the powers of two
** above w_max, |x_j|_max and |x_l|_max: on 100,000 rows, about 1e-13 of
** that bound a row, far below single precision's 6e-8 of the entry. Then
** the centring about shift, in double, and the rounding to float. */
int lariat_stats_gram_fixed(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift,
                            const double *sx, double W, float *G);

/* Not collective. The statistics of every set but k (0-based): sums minus
** set k (from the total, computed once by the caller as the sum of all sets),
** ranges combined over the other sets. */
void lariat_stats_complement(int64_t p, int K, const double *total, const double *sums, const double *ranges, int k,
                             double *out_sums, double *out_ranges);

/* Not collective. The sum of squared errors sum w (y - b0 - x'b)^2 over a set,
** expanded in its sums about the shift (c, cy) with a = b0 - cy + c'b:
**   syy - 2 a sy + a^2 W - 2 (sxy'b - a sx'b) + b' sxx b.
** scratch has p doubles. */
double lariat_stats_sse(int64_t p, const double *set, const double *shift, double yshift, double b0, const double *b,
                        double *scratch);

#endif /* LARIAT_STATS_H */
