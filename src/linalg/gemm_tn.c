/*
** out += X' B without packing (linalg/gemm_tn.h). The AVX-512 kernel walks
** X in blocks of 32 columns (four vectors); for each block it runs over the
** columns of B six at a time, 24 accumulators, and for each row loads the
** row's four vectors once and multiplies them by six broadcast entries of
** B. The block's rows (m x 256 bytes, 32 KB for a tile of 128 rows) stay in
** the first-level cache from one group of six columns to the next, and the
** next block's lines are prefetched during the first group: the rows are
** p apart in memory, too many streams for the hardware prefetcher.
*/
#include "linalg/gemm_tn.h"

#include <math.h>

void lariat_gemm_tn_scalar(int64_t m, int64_t p, int64_t k, const double *X, int64_t ldx, const double *B,
                           double *out, int64_t ldo)
{
    for (int64_t t = 0; t < k; t++) {
        for (int64_t j = 0; j < p; j++) {
            double acc = 0.0;
            for (int64_t i = 0; i < m; i++) acc = fma(X[i * ldx + j], B[i * k + t], acc);
            out[t * ldo + j] += acc;
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* Columns of B a group: 4 x 6 = 24 accumulators of the 32 registers. */
#define GT_KC 6

/* One block of jv vectors (the last one masked by last) against kc columns
** of B from t0. jv and kc are constants where this is inlined. */
__attribute__((always_inline, target("avx512f"))) static inline void
gt_group(int64_t m, const double *X, int64_t ldx, const double *B, int64_t k, int64_t t0, const int kc, const int jv,
         __mmask8 last, double *out, int64_t ldo, int prefetch)
{
    __m512d acc[4][GT_KC];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
#pragma GCC unroll 6
        for (int tt = 0; tt < GT_KC; tt++) acc[q][tt] = _mm512_setzero_pd();
    }
    for (int64_t i = 0; i < m; i++) {
        const double *x = X + i * ldx;
        const double *b = B + i * k + t0;
        if (prefetch) {
#pragma GCC unroll 4
            for (int q = 0; q < 4; q++) _mm_prefetch((const char *)(x + 32 + 8 * q), _MM_HINT_T0);
        }
        __m512d xv[4];
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            if (q < jv) xv[q] = q == jv - 1 ? _mm512_maskz_loadu_pd(last, x + 8 * q) : _mm512_loadu_pd(x + 8 * q);
        }
#pragma GCC unroll 6
        for (int tt = 0; tt < GT_KC; tt++) {
            if (tt >= kc) break;
            const __m512d bv = _mm512_set1_pd(b[tt]);
#pragma GCC unroll 4
            for (int q = 0; q < 4; q++) {
                if (q < jv) acc[q][tt] = _mm512_fmadd_pd(xv[q], bv, acc[q][tt]);
            }
        }
    }
#pragma GCC unroll 6
    for (int tt = 0; tt < GT_KC; tt++) {
        if (tt >= kc) break;
        double *o = out + (t0 + tt) * ldo;
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            if (q >= jv) break;
            const __mmask8 mk = q == jv - 1 ? last : (__mmask8)0xff;
            _mm512_mask_storeu_pd(o + 8 * q, mk, _mm512_add_pd(_mm512_maskz_loadu_pd(mk, o + 8 * q), acc[q][tt]));
        }
    }
}

/* A block of jv vectors over every column of B, six at a time. */
#define GT_GROUPS(JV)                                                                                            \
    for (int64_t t0 = 0; t0 < k; t0 += GT_KC) {                                                                  \
        const int pf = t0 == 0;                                                                                  \
        switch (k - t0 < GT_KC ? (int)(k - t0) : GT_KC) {                                                        \
        case 1: gt_group(m, Xb, ldx, B, k, t0, 1, JV, last, ob, ldo, pf); break;                                 \
        case 2: gt_group(m, Xb, ldx, B, k, t0, 2, JV, last, ob, ldo, pf); break;                                 \
        case 3: gt_group(m, Xb, ldx, B, k, t0, 3, JV, last, ob, ldo, pf); break;                                 \
        case 4: gt_group(m, Xb, ldx, B, k, t0, 4, JV, last, ob, ldo, pf); break;                                 \
        case 5: gt_group(m, Xb, ldx, B, k, t0, 5, JV, last, ob, ldo, pf); break;                                 \
        default: gt_group(m, Xb, ldx, B, k, t0, 6, JV, last, ob, ldo, pf); break;                                \
        }                                                                                                        \
    }

__attribute__((target("avx512f"))) static void gemm_tn_avx512(int64_t m, int64_t p, int64_t k, const double *X,
                                                              int64_t ldx, const double *B, double *out, int64_t ldo)
{
    int64_t j0 = 0;
    for (; j0 + 32 <= p; j0 += 32) {
        const double *Xb = X + j0;
        double *ob = out + j0;
        const __mmask8 last = 0xff;
        GT_GROUPS(4)
    }
    /* The last columns, a vector (or part of one) at a time. */
    for (; j0 < p; j0 += 8) {
        const double *Xb = X + j0;
        double *ob = out + j0;
        const int64_t r = p - j0 < 8 ? p - j0 : 8;
        const __mmask8 last = (__mmask8)((1u << r) - 1u);
        GT_GROUPS(1)
    }
}

int lariat_gemm_tn_available(void)
{
    static int has = -1;
    if (has < 0) has = __builtin_cpu_supports("avx512f");
    return has;
}

void lariat_gemm_tn(int64_t m, int64_t p, int64_t k, const double *X, int64_t ldx, const double *B, double *out,
                    int64_t ldo)
{
    if (lariat_gemm_tn_available()) gemm_tn_avx512(m, p, k, X, ldx, B, out, ldo);
}
#else
int lariat_gemm_tn_available(void) { return 0; }

void lariat_gemm_tn(int64_t m, int64_t p, int64_t k, const double *X, int64_t ldx, const double *B, double *out,
                    int64_t ldo)
{
    (void)m, (void)p, (void)k, (void)X, (void)ldx, (void)B, (void)out, (void)ldo;
}
#endif
