/*
** out += X' B for a block of rows X (m x p, row-major) and the block's
** weighted columns B (m x k, row-major), without packing X: the wide gram
** solver's Gram columns (data/matrix.c's lariat_matrix_gram_cols).
**
** Why a kernel of its own: the columns are formed a few dozen at a time, on
** tiles of 128 rows of a 10,000-column X. OpenBLAS's DGEMM copies (packs)
** every element of X before it multiplies, and with k = 32 columns that
** copy cost about half as much as the products (dgemm_itcopy 43% of
** dgemm_kernel's samples on the wide CV); on this Zen 5 it also runs its
** AVX2 kernels (it takes the CPU for a Haswell). This kernel reads each
** row's 32-column segment once into registers and uses it for every column
** of B while it stays in the first-level cache.
**
** Each entry is one chain: acc = 0, then acc = fma(x_ij, b_it, acc) for
** i = 0 .. m-1 in order, then out_jt += acc. The AVX-512 kernel takes that
** chain in every lane, so it gives the scalar loop's bits (the tests
** compare them); the sums do not depend on how the caller splits p or k.
** Without AVX-512 the caller uses DGEMM instead (other bits; the scalar
** loop is the reference, not a fallback: it is several times slower).
*/
#ifndef LARIAT_GEMM_TN_H
#define LARIAT_GEMM_TN_H

#include <stdint.h>

/* Not collective. 1 when this CPU runs lariat_gemm_tn (AVX-512), else 0. */
int lariat_gemm_tn_available(void);

/* Not collective. out[t * ldo + j] += sum_{i < m} X[i * ldx + j] B[i * k + t]
** for j < p, t < k, each sum the chain above. Only where
** lariat_gemm_tn_available() (else out is untouched). */
void lariat_gemm_tn(int64_t m, int64_t p, int64_t k, const double *X, int64_t ldx, const double *B, double *out,
                    int64_t ldo);

/* Not collective. The same sums by the scalar loop (fma), on every CPU. */
void lariat_gemm_tn_scalar(int64_t m, int64_t p, int64_t k, const double *X, int64_t ldx, const double *B,
                           double *out, int64_t ldo);

#endif /* LARIAT_GEMM_TN_H */
