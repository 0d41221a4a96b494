/*
** The fused pass for few vectors (data/skinny.h): AVX2 and FMA kernels,
** compiled for those in their own functions only and run after the CPU has
** been asked, so that the default build still runs on any x86-64.
**
** Layout: the k vectors are taken in chunks of KW = 12 (three AVX2 vectors
** of four doubles). B's chunk c is copied to Bp as p rows of 12 (row j holds
** entry j of the chunk's vectors, zero past k), and the gradient builds in
** Gp of the same shape. Per block of MB rows: ob (MB rows of Kp = 12 nch)
** receives X B, fn reads it and fills rb (the same shape, its lanes past k
** zero), and Gp += X_blk' rb.
*/
#include "data/skinny.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Vectors per chunk, and the most chunks. */
#define KW 12
#define MAX_KP 48
/* Rows per block: the block of X (MB x p doubles, 51 KB at p = 100) is read
** by the second product four columns at a time, from the first or second
** level of cache. */
#define MB 64
/* p x Kp doubles of Bp and of Gp on the stack (48 KB each). */
#define SKINNY_MAX_PK 6144

/* o[r ldo + l] = x_r' Bc[:, l] for the four rows x_r = x + r p and the 12
** vectors of the chunk Bc (p rows of 12), over the rows j of Bc listed in J
** (the others are zero). */
static inline AVX2 void xb_rows4(const double *x, int64_t p, const int32_t *J, int64_t nJ, const double *Bc,
                                 double *o, int64_t ldo)
{
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    const double *x0 = x, *x1 = x + p, *x2 = x + 2 * p, *x3 = x + 3 * p;
    for (int64_t t = 0; t < nJ; t++) {
        const int64_t j = J[t];
        const double *b = Bc + j * KW;
        const __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4), b2 = _mm256_loadu_pd(b + 8);
        __m256d a = _mm256_broadcast_sd(x0 + j);
        c00 = _mm256_fmadd_pd(a, b0, c00);
        c01 = _mm256_fmadd_pd(a, b1, c01);
        c02 = _mm256_fmadd_pd(a, b2, c02);
        a = _mm256_broadcast_sd(x1 + j);
        c10 = _mm256_fmadd_pd(a, b0, c10);
        c11 = _mm256_fmadd_pd(a, b1, c11);
        c12 = _mm256_fmadd_pd(a, b2, c12);
        a = _mm256_broadcast_sd(x2 + j);
        c20 = _mm256_fmadd_pd(a, b0, c20);
        c21 = _mm256_fmadd_pd(a, b1, c21);
        c22 = _mm256_fmadd_pd(a, b2, c22);
        a = _mm256_broadcast_sd(x3 + j);
        c30 = _mm256_fmadd_pd(a, b0, c30);
        c31 = _mm256_fmadd_pd(a, b1, c31);
        c32 = _mm256_fmadd_pd(a, b2, c32);
    }
    _mm256_storeu_pd(o, c00);
    _mm256_storeu_pd(o + 4, c01);
    _mm256_storeu_pd(o + 8, c02);
    _mm256_storeu_pd(o + ldo, c10);
    _mm256_storeu_pd(o + ldo + 4, c11);
    _mm256_storeu_pd(o + ldo + 8, c12);
    _mm256_storeu_pd(o + 2 * ldo, c20);
    _mm256_storeu_pd(o + 2 * ldo + 4, c21);
    _mm256_storeu_pd(o + 2 * ldo + 8, c22);
    _mm256_storeu_pd(o + 3 * ldo, c30);
    _mm256_storeu_pd(o + 3 * ldo + 4, c31);
    _mm256_storeu_pd(o + 3 * ldo + 8, c32);
}

/* xb_rows4 for one row. */
static inline AVX2 void xb_row1(const double *x, const int32_t *J, int64_t nJ, const double *Bc, double *o)
{
    __m256d c0 = _mm256_setzero_pd(), c1 = c0, c2 = c0;
    for (int64_t t = 0; t < nJ; t++) {
        const int64_t j = J[t];
        const double *b = Bc + j * KW;
        const __m256d a = _mm256_broadcast_sd(x + j);
        c0 = _mm256_fmadd_pd(a, _mm256_loadu_pd(b), c0);
        c1 = _mm256_fmadd_pd(a, _mm256_loadu_pd(b + 4), c1);
        c2 = _mm256_fmadd_pd(a, _mm256_loadu_pd(b + 8), c2);
    }
    _mm256_storeu_pd(o, c0);
    _mm256_storeu_pd(o + 4, c1);
    _mm256_storeu_pd(o + 8, c2);
}

/* g[c KW + l] += sum_{i < m} x[i p + c] r[i ldr + l] for the four columns
** c < 4 of x (a block's rows from column j on) and the 12 lanes of r. */
static inline AVX2 void xtr_cols4(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, double *g)
{
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int64_t i = 0; i < m; i++) {
        const double *xi = x + i * p, *ri = r + i * ldr;
        const __m256d r0 = _mm256_loadu_pd(ri), r1 = _mm256_loadu_pd(ri + 4), r2 = _mm256_loadu_pd(ri + 8);
        __m256d a = _mm256_broadcast_sd(xi);
        c00 = _mm256_fmadd_pd(a, r0, c00);
        c01 = _mm256_fmadd_pd(a, r1, c01);
        c02 = _mm256_fmadd_pd(a, r2, c02);
        a = _mm256_broadcast_sd(xi + 1);
        c10 = _mm256_fmadd_pd(a, r0, c10);
        c11 = _mm256_fmadd_pd(a, r1, c11);
        c12 = _mm256_fmadd_pd(a, r2, c12);
        a = _mm256_broadcast_sd(xi + 2);
        c20 = _mm256_fmadd_pd(a, r0, c20);
        c21 = _mm256_fmadd_pd(a, r1, c21);
        c22 = _mm256_fmadd_pd(a, r2, c22);
        a = _mm256_broadcast_sd(xi + 3);
        c30 = _mm256_fmadd_pd(a, r0, c30);
        c31 = _mm256_fmadd_pd(a, r1, c31);
        c32 = _mm256_fmadd_pd(a, r2, c32);
    }
    _mm256_storeu_pd(g, _mm256_add_pd(_mm256_loadu_pd(g), c00));
    _mm256_storeu_pd(g + 4, _mm256_add_pd(_mm256_loadu_pd(g + 4), c01));
    _mm256_storeu_pd(g + 8, _mm256_add_pd(_mm256_loadu_pd(g + 8), c02));
    _mm256_storeu_pd(g + KW, _mm256_add_pd(_mm256_loadu_pd(g + KW), c10));
    _mm256_storeu_pd(g + KW + 4, _mm256_add_pd(_mm256_loadu_pd(g + KW + 4), c11));
    _mm256_storeu_pd(g + KW + 8, _mm256_add_pd(_mm256_loadu_pd(g + KW + 8), c12));
    _mm256_storeu_pd(g + 2 * KW, _mm256_add_pd(_mm256_loadu_pd(g + 2 * KW), c20));
    _mm256_storeu_pd(g + 2 * KW + 4, _mm256_add_pd(_mm256_loadu_pd(g + 2 * KW + 4), c21));
    _mm256_storeu_pd(g + 2 * KW + 8, _mm256_add_pd(_mm256_loadu_pd(g + 2 * KW + 8), c22));
    _mm256_storeu_pd(g + 3 * KW, _mm256_add_pd(_mm256_loadu_pd(g + 3 * KW), c30));
    _mm256_storeu_pd(g + 3 * KW + 4, _mm256_add_pd(_mm256_loadu_pd(g + 3 * KW + 4), c31));
    _mm256_storeu_pd(g + 3 * KW + 8, _mm256_add_pd(_mm256_loadu_pd(g + 3 * KW + 8), c32));
}

/* xtr_cols4 for one column. */
static inline AVX2 void xtr_col1(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, double *g)
{
    __m256d c0 = _mm256_setzero_pd(), c1 = c0, c2 = c0;
    for (int64_t i = 0; i < m; i++) {
        const double *ri = r + i * ldr;
        const __m256d a = _mm256_broadcast_sd(x + i * p);
        c0 = _mm256_fmadd_pd(a, _mm256_loadu_pd(ri), c0);
        c1 = _mm256_fmadd_pd(a, _mm256_loadu_pd(ri + 4), c1);
        c2 = _mm256_fmadd_pd(a, _mm256_loadu_pd(ri + 8), c2);
    }
    _mm256_storeu_pd(g, _mm256_add_pd(_mm256_loadu_pd(g), c0));
    _mm256_storeu_pd(g + 4, _mm256_add_pd(_mm256_loadu_pd(g + 4), c1));
    _mm256_storeu_pd(g + 8, _mm256_add_pd(_mm256_loadu_pd(g + 8), c2));
}

static AVX2 void fused_avx2(int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                            lariat_matrix_blockfn fn, void *arg, double *G)
{
    _Alignas(32) double Bp[SKINNY_MAX_PK], Gp[SKINNY_MAX_PK], ob[MB * MAX_KP], rb[MB * MAX_KP];
    int32_t J[SKINNY_MAX_PK / KW];
    const int64_t nch = (k + KW - 1) / KW, Kp = nch * KW;
    int64_t nJ = 0;
    for (int64_t j = 0; j < p; j++) {
        int nz = 0;
        for (int64_t c = 0; c < nch; c++) {
            double *b = Bp + (c * p + j) * KW;
            for (int64_t l = 0; l < KW; l++) {
                const int64_t v = c * KW + l;
                b[l] = v < k ? B[v * p + j] : 0.0;
                nz |= b[l] != 0.0;
            }
        }
        if (nz) J[nJ++] = (int32_t)j;
    }
    memset(Gp, 0, (size_t)(p * Kp) * sizeof(double));
    memset(rb, 0, sizeof(rb));
    for (int64_t i0 = 0; i0 < n; i0 += MB) {
        const int64_t m = n - i0 < MB ? n - i0 : MB;
        const double *Xb = X + i0 * p;
        for (int64_t c = 0; c < nch; c++) {
            const double *Bc = Bp + c * p * KW;
            int64_t i = 0;
            for (; i + 4 <= m; i += 4) xb_rows4(Xb + i * p, p, J, nJ, Bc, ob + i * Kp + c * KW, Kp);
            for (; i < m; i++) xb_row1(Xb + i * p, J, nJ, Bc, ob + i * Kp + c * KW);
        }
        fn(arg, i0, m, ob, rb, Kp);
        /* The next block's lines are asked for while this block's column
        ** products run, spread evenly over them: the first product then
        ** finds its rows in cache instead of waiting on memory (with the
        ** hardware prefetcher alone, the lockstep's 10-fold CV of 100,000 x
        ** 100 binomial rows took 11% longer in all). */
        const char *next = (const char *)(Xb + m * p);
        const char *next_end = (const char *)(X + (n - i0 - m < MB ? n : i0 + m + MB) * p);
        const int64_t per_call = (MB * p * (int64_t)sizeof(double) / 64) / (((p + 3) / 4) * nch) + 1;
        for (int64_t c = 0; c < nch; c++) {
            double *Gc = Gp + c * p * KW;
            int64_t j = 0;
            for (; j + 4 <= p; j += 4) {
                for (int64_t t = 0; t < per_call && next < next_end; t++, next += 64) _mm_prefetch(next, _MM_HINT_T0);
                xtr_cols4(Xb + j, p, m, rb + c * KW, Kp, Gc + j * KW);
            }
            for (; j < p; j++) xtr_col1(Xb + j, p, m, rb + c * KW, Kp, Gc + j * KW);
        }
    }
    for (int64_t v = 0; v < k; v++) {
        const double *g = Gp + (v / KW) * p * KW + v % KW;
        for (int64_t j = 0; j < p; j++) G[v * p + j] = g[j * KW];
    }
}

int lariat_skinny_fused(int64_t n, int64_t p, const double *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                        void *arg, double *G)
{
    const int64_t Kp = (k + KW - 1) / KW * KW;
    if (k < 1 || p < 1 || Kp > MAX_KP || p * Kp > SKINNY_MAX_PK) return 0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    fused_avx2(n, p, X, B, k, fn, arg, G);
    return 1;
}

#else /* not x86-64 with GCC or clang: the BLAS path */

int lariat_skinny_fused(int64_t n, int64_t p, const double *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                        void *arg, double *G)
{
    (void)n, (void)p, (void)X, (void)B, (void)k, (void)fn, (void)arg, (void)G;
    return 0;
}

#endif
