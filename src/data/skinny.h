/*
** The fused pass of lariat_matrix_fused_multi (matrix.h) on dense rows for
** few vectors (the lockstep CV's 11 models), with kernels of our own
** instead of two DGEMMs per block of rows.
**
** Why: with k = 11 columns, OpenBLAS packs each block of X for each of the
** two products (a copy of X twice per pass: a quarter of the lockstep's time)
** and its 4 x 8 micro-kernel runs an 11-wide product as 8 + 3. The kernels
** here read X where it lies: X B four rows at a time against a copy of B
** padded to 12 columns (three AVX2 vectors), and X'R four columns at a time
** over a block of rows small enough for the first level of cache, the
** block's residuals in rows of 12. They also skip the rows of B that are
** zero in every vector (a step moves only the active coefficients).
**
** The sums run in another order than BLAS's: results equal the DGEMM path's
** to round-off, not bit for bit. The AVX2 and AVX-512 kernels make the same
** sums in the same order: their results are the same bits.
*/
#ifndef LARIAT_DATA_SKINNY_H
#define LARIAT_DATA_SKINNY_H

#include "data/matrix.h"

#include <stdint.h>

/* Not collective. lariat_matrix_fused_multi for the dense row-major n x p
** block X. Returns 1 when done, 0 (nothing touched) when the kernels do
** not apply: the CPU lacks AVX2 or FMA, or p or k is beyond what their
** stack buffers hold (SKINNY_MAX_PK in skinny.c). */
int lariat_skinny_fused(int64_t n, int64_t p, const double *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                        void *arg, double *G);

/* The kernels lariat_skinny_fused_isa may run: the best the CPU has (AVX-512
** where it has AVX512F, else AVX2), or one named. */
enum { LARIAT_SKINNY_BEST = 0, LARIAT_SKINNY_AVX2 = 1, LARIAT_SKINNY_AVX512 = 2 };

/* Not collective. lariat_skinny_fused with the kernels isa; 0 also when the
** CPU lacks the one named (the tests compare the two kernels). */
int lariat_skinny_fused_isa(int isa, int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                            lariat_matrix_blockfn fn, void *arg, double *G);

#endif /* LARIAT_DATA_SKINNY_H */
