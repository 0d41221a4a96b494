/*
** The coordinate descent's updates of a gradient on a shared curvature
** (solvers/glm_batch.c's sweep_batch and block_rest): when coordinates
** j_0 .. j_7 of a model move by c_0 .. c_7, its gradient u takes
** u += sum_k c_k G e_{j_k}, G's columns read in single precision.
**
** Why a file of its own: on the sparse binomial CV (100,000 x 2,000 at 1%)
** these sums were a fifth of the time, then (G's columns in single
** precision instead of double: 16 MB a sweep) about a sixth.
**
** Every entry's update is one chain in single precision: c_0 g_0 (the c_k
** rounded to single), then fused multiply-adds k = 1 .. 7 in order, then
** the sum widened and added to u in double. The AVX2 and AVX-512 kernels
** give the same bits, the scalar loop (no FMA) rounds otherwise. No entry
** depends on another, so the result is the same whatever the caller's
** split of [a, b) into calls. The sums' rounding (about 2^-24 of the
** terms' magnitude) is an error in the curvature, which is an
** approximation already (rounded to single precision; for the fold models,
** model 0's weights): the gap certifies every answer. On that CV the
** model steps, products and gaps came out the same in number as with the
** sums in double, and these kernels' samples fell by about 30% (single
** precision lanes take twice the entries an instruction, and aligned
** columns split no loads).
**
** The gaussian Gram descent (solvers/gram.c) takes its covariance updates
** here too, on double columns (lariat_cd_axpy_chain): one fused
** multiply-add an entry a move on every CPU, so that ranks that split the
** entries between them get one rank's bits. It applies its moves eight at a
** time: each entry still takes its fused multiply-adds one move after
** another, so the bits are those of one move at a time, and the gradient is
** read and written once for the eight. On the
** sparse lasso path (100,000 x 2,000) the updates' samples fell from 948 to
** 590, and the path's in-memory time from 0.517 s to 0.406 s (medians of
** five alternated runs).
*/
#ifndef LARIAT_CD_UPDATE_H
#define LARIAT_CD_UPDATE_H

#include <stdint.h>

/* The coordinates of one block. */
#define LARIAT_CD_BLOCK 8

/* Not collective. u[i] += sum_{k < 8} c[k] g[k][i] for a <= i < b, the sum
** in single precision (above). */
void lariat_cd_block_update(double *u, const float *const *g, const double *c, int64_t a, int64_t b);

/* Not collective. u[i] += c g[i] for a <= i < b (one coordinate's move), a
** fused multiply-add where the CPU has one. */
void lariat_cd_col_update(double *u, const float *g, double c, int64_t a, int64_t b);

/* Not collective. u[i] = fma(c[nk-1], g[nk-1][i], ... fma(c[0], g[0][i],
** u[i])) for a <= i < b, 1 <= nk <= LARIAT_CD_BLOCK: nk moves, each entry
** rounded once a move (a fused multiply-add), the same bits on any CPU and
** whatever the caller's split of [a, b) or of the moves into calls (gram.c
** splits g's entries over ranks and must get one rank's numbers), in one
** pass over u (the Gaussian Gram descent's moves, LARIAT_CD_BLOCK at a time). */
void lariat_cd_axpy_chain(double *u, const double *const *g, const double *c, int nk, int64_t a, int64_t b);

/* Not collective. The value lariat_cd_axpy_chain would give entry i whose
** value is v now: what a coordinate's decision reads while its block's
** moves are not yet applied to u. */
double lariat_cd_chain_entry(double v, const double *const *g, const double *c, int nk, int64_t i);

/* The kernels the _isa calls may run (the tests compare them). */
enum { LARIAT_CD_BEST = -1, LARIAT_CD_SCALAR = 0, LARIAT_CD_AVX2 = 1, LARIAT_CD_AVX512 = 2 };

/* Not collective. The calls above on the kernels of isa: 1 when this CPU
** runs them (done), 0 when it does not (u untouched). */
int lariat_cd_block_update_isa(int isa, double *u, const float *const *g, const double *c, int64_t a, int64_t b);
int lariat_cd_col_update_isa(int isa, double *u, const float *g, double c, int64_t a, int64_t b);
int lariat_cd_axpy_chain_isa(int isa, double *u, const double *const *g, const double *c, int nk, int64_t a,
                             int64_t b);

#endif /* LARIAT_CD_UPDATE_H */
