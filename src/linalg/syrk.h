/*
** C += B'B (upper triangle) for a block of rows B: the Gram products of the
** gram solver, the fold statistics and the binomial curvature, with a kernel
** of our own where the CPU has AVX-512 and p is small, else BLAS's SYRK.
**
** Why: these Grams are tall and narrow (p = 100 to a few hundred columns, a
** block of 1,024 rows a call), where OpenBLAS 0.3.21's DSYRK runs at a third
** of an AVX-512 core's peak (30-37 GFlop/s at p = 100 on the AMD EPYC of
** docs/performance.md, against 110 for its FMA units): it packs both operands
** for every call and its kernels were chosen for another CPU. The kernel
** here reads B where it lies (a block of 1,024 rows is in the second level
** of cache) and keeps an 8 x 24 tile of C in registers over all the block's
** rows.
**
** The sums run in another order than BLAS's: the results equal SYRK's to
** round-off, not bit for bit. Each entry of C is one chain of FMAs over the
** rows in order, then added to C: the same for any split of the rows into
** ranks, as the callers' sums over tiles of rows require.
*/
#ifndef LARIAT_SYRK_H
#define LARIAT_SYRK_H

#include <stdint.h>

/* Not collective. C[j, l] += sum_{i < m} B[i, j] B[i, l] for j <= l < p: B is
** m x p row-major with leading dimension ldb, C p x p row-major with leading
** dimension ldc, its strict lower triangle left alone. */
void lariat_syrk_upper(int64_t p, int64_t m, const double *B, int64_t ldb, double *C, int64_t ldc);

/* The same in single precision. */
void lariat_ssyrk_upper(int64_t p, int64_t m, const float *B, int64_t ldb, float *C, int64_t ldc);

/* Not collective. 1 when the calls above run our kernels on this CPU for p
** columns (the tests compare them with BLAS). */
int lariat_syrk_own(int64_t p);

#endif /* LARIAT_SYRK_H */
