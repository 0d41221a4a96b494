/*
** The fused pass for few vectors (data/skinny.h): AVX2 and FMA kernels,
** and AVX-512 kernels of the same sums (below fused_avx2), compiled for
** those in their own functions only and run after the CPU has been asked,
** so that the default build still runs on any x86-64.
**
** Layout (AVX2): the k vectors are taken in chunks of KW = 12 (three AVX2 vectors
** of four doubles). B's chunk c is copied to Bp as p rows of 12 (row j holds
** entry j of the chunk's vectors, zero past k), and the gradient builds in
** Gp of the same shape. Per block of MB rows: ob (MB rows of Kp = 12 nch)
** receives X B, fn reads it and fills rb (the same shape, its lanes past k
** zero), and Gp += X_blk' rb.
*/
#include "data/skinny.h"

#include <math.h>
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

/* Both kernels hold B's k vectors in groups of lanes: group q has width[q]
** lanes from lane lane0[q], stored from Bp + lane0[q] p as p rows of
** width[q] (row j holds entry j of the group's vectors, zero past k); the
** gradients build in Gp of the same shape. pack_groups fills Bp and lists in
** J the rows of B nonzero in some vector; unpack_groups copies Gp out to G
** (k x p). */
static void pack_groups(int64_t p, int64_t k, const double *B, int64_t ngr, const int64_t *lane0,
                        const int64_t *width, double *Bp, int32_t *J, int64_t *nJ)
{
    *nJ = 0;
    for (int64_t j = 0; j < p; j++) {
        int nz = 0;
        for (int64_t q = 0; q < ngr; q++) {
            double *b = Bp + lane0[q] * p + j * width[q];
            for (int64_t l = 0; l < width[q]; l++) {
                const int64_t v = lane0[q] + l;
                b[l] = v < k ? B[v * p + j] : 0.0;
                nz |= b[l] != 0.0;
            }
        }
        if (nz) J[(*nJ)++] = (int32_t)j;
    }
}

static void unpack_groups(int64_t p, int64_t k, const double *Gp, int64_t ngr, const int64_t *lane0,
                          const int64_t *width, double *G)
{
    for (int64_t q = 0; q < ngr; q++) {
        for (int64_t l = 0; l < width[q] && lane0[q] + l < k; l++) {
            const double *g = Gp + lane0[q] * p + l;
            for (int64_t j = 0; j < p; j++) G[(lane0[q] + l) * p + j] = g[j * width[q]];
        }
    }
}

static AVX2 void fused_avx2(int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                            lariat_matrix_blockfn fn, void *arg, double *G)
{
    _Alignas(32) double Bp[SKINNY_MAX_PK], Gp[SKINNY_MAX_PK], ob[MB * MAX_KP], rb[MB * MAX_KP];
    int32_t J[SKINNY_MAX_PK / KW];
    const int64_t nch = (k + KW - 1) / KW, Kp = nch * KW;
    int64_t lane0[MAX_KP / KW], width[MAX_KP / KW], nJ;
    for (int64_t c = 0; c < nch; c++) {
        lane0[c] = c * KW;
        width[c] = KW;
    }
    pack_groups(p, k, B, nch, lane0, width, Bp, J, &nJ);
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
    unpack_groups(p, k, Gp, nch, lane0, width, G);
}

/* The AVX-512 kernels: the same products lane by lane, in vectors of ZW = 8
** lanes. The k vectors take nz = ceil(k / 8) vectors of lanes, in groups of
** at most ZG = 3 (Bp and Gp hold group after group: p rows of 8 G lanes
** each); the kernels keep R rows (or columns) by G vectors of sums in
** registers, R = 8 for a group of one vector (8 independent sums cover the
** latency of two FMA units) and 4 otherwise. A lane's sum runs over the
** same terms in the same order as in the AVX2 kernels (X B over J in order
** from zero; X'R over the block's rows in order from zero, then added to
** G), each term an FMA: the results are the same bits, and no wider lanes
** are paid for than k needs (two vectors for the CV's 11 models, against
** three; one vector has kernels of its own, fused1_avx512).
** Where the CPU runs 512-bit FMAs at full width (AMD Zen 5, Intel server
** cores) a vector of 8 lanes costs what one of 4 costs with AVX2. */
#define AVX512 __attribute__((target("avx2,fma,avx512f")))
#define ZW 8
#define ZG 3
/* Bp and Gp for the same (p, k) as the AVX2 kernels: 8 ceil(k / 8) <=
** 4/3 of 12 ceil(k / 12), so p Kp <= 8192 when p Kp12 <= 6144. */
#define SKINNY512_MAX_PK 8192

/* The kernels below keep their sums in named registers (an array of vectors
** indexed in loops stays in memory at -O2). */
#define ZLD(ptr) _mm512_loadu_pd(ptr)
#define ZB(ptr) _mm512_set1_pd(*(ptr))
#define ZFMA(acc, a, b) (acc) = _mm512_fmadd_pd((a), (b), (acc))
#define ZADD(ptr, acc) _mm512_storeu_pd((ptr), _mm512_add_pd(_mm512_loadu_pd(ptr), (acc)))

/* o[r ldo + 8 g + l] = x_r' Bg[:, 8 g + l] for the rows x_r = x + r p and
** the G vectors of the group Bg (p rows of 8 G lanes), over the rows J of
** B: eight rows of one vector, four rows of two or of three, and one row of
** any. */
static inline AVX512 void zxb_8x1(const double *x, int64_t p, const int32_t *J, int64_t nJ, const double *Bg,
                                 double *o, int64_t ldo)
{
    __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (int64_t t = 0; t < nJ; t++) {
        const int64_t j = J[t];
        const __m512d b = ZLD(Bg + j * ZW);
        const double *xj = x + j;
        ZFMA(c0, ZB(xj), b);
        ZFMA(c1, ZB(xj + p), b);
        ZFMA(c2, ZB(xj + 2 * p), b);
        ZFMA(c3, ZB(xj + 3 * p), b);
        ZFMA(c4, ZB(xj + 4 * p), b);
        ZFMA(c5, ZB(xj + 5 * p), b);
        ZFMA(c6, ZB(xj + 6 * p), b);
        ZFMA(c7, ZB(xj + 7 * p), b);
    }
    _mm512_storeu_pd(o, c0);
    _mm512_storeu_pd(o + ldo, c1);
    _mm512_storeu_pd(o + 2 * ldo, c2);
    _mm512_storeu_pd(o + 3 * ldo, c3);
    _mm512_storeu_pd(o + 4 * ldo, c4);
    _mm512_storeu_pd(o + 5 * ldo, c5);
    _mm512_storeu_pd(o + 6 * ldo, c6);
    _mm512_storeu_pd(o + 7 * ldo, c7);
}

static inline AVX512 void zxb_4x2(const double *x, int64_t p, const int32_t *J, int64_t nJ, const double *Bg,
                                 double *o, int64_t ldo)
{
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int64_t t = 0; t < nJ; t++) {
        const int64_t j = J[t];
        const __m512d b0 = ZLD(Bg + j * 2 * ZW), b1 = ZLD(Bg + j * 2 * ZW + ZW);
        const double *xj = x + j;
        __m512d a = ZB(xj);
        ZFMA(c00, a, b0);
        ZFMA(c01, a, b1);
        a = ZB(xj + p);
        ZFMA(c10, a, b0);
        ZFMA(c11, a, b1);
        a = ZB(xj + 2 * p);
        ZFMA(c20, a, b0);
        ZFMA(c21, a, b1);
        a = ZB(xj + 3 * p);
        ZFMA(c30, a, b0);
        ZFMA(c31, a, b1);
    }
    _mm512_storeu_pd(o, c00);
    _mm512_storeu_pd(o + ZW, c01);
    _mm512_storeu_pd(o + ldo, c10);
    _mm512_storeu_pd(o + ldo + ZW, c11);
    _mm512_storeu_pd(o + 2 * ldo, c20);
    _mm512_storeu_pd(o + 2 * ldo + ZW, c21);
    _mm512_storeu_pd(o + 3 * ldo, c30);
    _mm512_storeu_pd(o + 3 * ldo + ZW, c31);
}

static inline AVX512 void zxb_4x3(const double *x, int64_t p, const int32_t *J, int64_t nJ, const double *Bg,
                                 double *o, int64_t ldo)
{
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m512d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int64_t t = 0; t < nJ; t++) {
        const int64_t j = J[t];
        const double *b = Bg + j * 3 * ZW;
        const __m512d b0 = ZLD(b), b1 = ZLD(b + ZW), b2 = ZLD(b + 2 * ZW);
        const double *xj = x + j;
        __m512d a = ZB(xj);
        ZFMA(c00, a, b0);
        ZFMA(c01, a, b1);
        ZFMA(c02, a, b2);
        a = ZB(xj + p);
        ZFMA(c10, a, b0);
        ZFMA(c11, a, b1);
        ZFMA(c12, a, b2);
        a = ZB(xj + 2 * p);
        ZFMA(c20, a, b0);
        ZFMA(c21, a, b1);
        ZFMA(c22, a, b2);
        a = ZB(xj + 3 * p);
        ZFMA(c30, a, b0);
        ZFMA(c31, a, b1);
        ZFMA(c32, a, b2);
    }
    _mm512_storeu_pd(o, c00);
    _mm512_storeu_pd(o + ZW, c01);
    _mm512_storeu_pd(o + 2 * ZW, c02);
    _mm512_storeu_pd(o + ldo, c10);
    _mm512_storeu_pd(o + ldo + ZW, c11);
    _mm512_storeu_pd(o + ldo + 2 * ZW, c12);
    _mm512_storeu_pd(o + 2 * ldo, c20);
    _mm512_storeu_pd(o + 2 * ldo + ZW, c21);
    _mm512_storeu_pd(o + 2 * ldo + 2 * ZW, c22);
    _mm512_storeu_pd(o + 3 * ldo, c30);
    _mm512_storeu_pd(o + 3 * ldo + ZW, c31);
    _mm512_storeu_pd(o + 3 * ldo + 2 * ZW, c32);
}

static inline AVX512 void zxb_1(const double *x, const int32_t *J, int64_t nJ, const double *Bg, int G, double *o)
{
    for (int g = 0; g < G; g++) {
        __m512d c = _mm512_setzero_pd();
        for (int64_t t = 0; t < nJ; t++) ZFMA(c, ZB(x + J[t]), ZLD(Bg + J[t] * ZW * G + ZW * g));
        _mm512_storeu_pd(o + ZW * g, c);
    }
}

/* gg[c 8 G + 8 g + l] += sum_{i < m} x[i p + c] r[i ldr + 8 g + l] for the
** columns c of x (a block's rows from some column on): eight columns of one
** vector, four of two or of three, and one of any. */
static inline AVX512 void zxtr_8x1(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, double *gg)
{
    __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (int64_t i = 0; i < m; i++) {
        const double *xi = x + i * p;
        const __m512d ri = ZLD(r + i * ldr);
        ZFMA(c0, ZB(xi), ri);
        ZFMA(c1, ZB(xi + 1), ri);
        ZFMA(c2, ZB(xi + 2), ri);
        ZFMA(c3, ZB(xi + 3), ri);
        ZFMA(c4, ZB(xi + 4), ri);
        ZFMA(c5, ZB(xi + 5), ri);
        ZFMA(c6, ZB(xi + 6), ri);
        ZFMA(c7, ZB(xi + 7), ri);
    }
    ZADD(gg, c0);
    ZADD(gg + ZW, c1);
    ZADD(gg + 2 * ZW, c2);
    ZADD(gg + 3 * ZW, c3);
    ZADD(gg + 4 * ZW, c4);
    ZADD(gg + 5 * ZW, c5);
    ZADD(gg + 6 * ZW, c6);
    ZADD(gg + 7 * ZW, c7);
}

static inline AVX512 void zxtr_4x2(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, double *gg)
{
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int64_t i = 0; i < m; i++) {
        const double *xi = x + i * p;
        const __m512d r0 = ZLD(r + i * ldr), r1 = ZLD(r + i * ldr + ZW);
        __m512d a = ZB(xi);
        ZFMA(c00, a, r0);
        ZFMA(c01, a, r1);
        a = ZB(xi + 1);
        ZFMA(c10, a, r0);
        ZFMA(c11, a, r1);
        a = ZB(xi + 2);
        ZFMA(c20, a, r0);
        ZFMA(c21, a, r1);
        a = ZB(xi + 3);
        ZFMA(c30, a, r0);
        ZFMA(c31, a, r1);
    }
    ZADD(gg, c00);
    ZADD(gg + ZW, c01);
    ZADD(gg + 2 * ZW, c10);
    ZADD(gg + 3 * ZW, c11);
    ZADD(gg + 4 * ZW, c20);
    ZADD(gg + 5 * ZW, c21);
    ZADD(gg + 6 * ZW, c30);
    ZADD(gg + 7 * ZW, c31);
}

static inline AVX512 void zxtr_4x3(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, double *gg)
{
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m512d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int64_t i = 0; i < m; i++) {
        const double *xi = x + i * p, *ri = r + i * ldr;
        const __m512d r0 = ZLD(ri), r1 = ZLD(ri + ZW), r2 = ZLD(ri + 2 * ZW);
        __m512d a = ZB(xi);
        ZFMA(c00, a, r0);
        ZFMA(c01, a, r1);
        ZFMA(c02, a, r2);
        a = ZB(xi + 1);
        ZFMA(c10, a, r0);
        ZFMA(c11, a, r1);
        ZFMA(c12, a, r2);
        a = ZB(xi + 2);
        ZFMA(c20, a, r0);
        ZFMA(c21, a, r1);
        ZFMA(c22, a, r2);
        a = ZB(xi + 3);
        ZFMA(c30, a, r0);
        ZFMA(c31, a, r1);
        ZFMA(c32, a, r2);
    }
    ZADD(gg, c00);
    ZADD(gg + ZW, c01);
    ZADD(gg + 2 * ZW, c02);
    ZADD(gg + 3 * ZW, c10);
    ZADD(gg + 4 * ZW, c11);
    ZADD(gg + 5 * ZW, c12);
    ZADD(gg + 6 * ZW, c20);
    ZADD(gg + 7 * ZW, c21);
    ZADD(gg + 8 * ZW, c22);
    ZADD(gg + 9 * ZW, c30);
    ZADD(gg + 10 * ZW, c31);
    ZADD(gg + 11 * ZW, c32);
}

static inline AVX512 void zxtr_1(const double *x, int64_t p, int64_t m, const double *r, int64_t ldr, int G,
                                 double *gg)
{
    for (int g = 0; g < G; g++) {
        __m512d c = _mm512_setzero_pd();
        for (int64_t i = 0; i < m; i++) ZFMA(c, ZB(x + i * p), ZLD(r + i * ldr + ZW * g));
        ZADD(gg + ZW * g, c);
    }
}

/* X_blk Bg (m rows) into ob's lanes of the group of G vectors. */
static AVX512 void zgroup_xb(const double *Xb, int64_t p, int64_t m, const int32_t *J, int64_t nJ, const double *Bg,
                             int G, double *ob, int64_t Kp)
{
    const int R = G == 1 ? 8 : 4;
    int64_t i = 0;
    for (; i + R <= m; i += R) {
        if (G == 1) zxb_8x1(Xb + i * p, p, J, nJ, Bg, ob + i * Kp, Kp);
        else if (G == 2) zxb_4x2(Xb + i * p, p, J, nJ, Bg, ob + i * Kp, Kp);
        else zxb_4x3(Xb + i * p, p, J, nJ, Bg, ob + i * Kp, Kp);
    }
    for (; i < m; i++) zxb_1(Xb + i * p, J, nJ, Bg, G, ob + i * Kp);
}

/* Gg += X_blk' rb for the group of G vectors, the next block's lines asked
** for (from *next, per_call lines a kernel) as in fused_avx2. */
static AVX512 void zgroup_xtr(const double *Xb, int64_t p, int64_t m, const double *rb, int64_t Kp, int G, double *Gg,
                              const char **next, const char *next_end, int64_t per_call)
{
    const int C = G == 1 ? 8 : 4;
    int64_t j = 0;
    for (; j + C <= p; j += C) {
        for (int64_t t = 0; t < per_call && *next < next_end; t++, *next += 64) _mm_prefetch(*next, _MM_HINT_T0);
        if (G == 1) zxtr_8x1(Xb + j, p, m, rb, Kp, Gg + j * ZW);
        else if (G == 2) zxtr_4x2(Xb + j, p, m, rb, Kp, Gg + j * 2 * ZW);
        else zxtr_4x3(Xb + j, p, m, rb, Kp, Gg + j * 3 * ZW);
    }
    for (; j < p; j++) zxtr_1(Xb + j, p, m, rb, Kp, G, Gg + j * ZW * G);
}

/* One vector (the binomial fit's single model, and a CV whose other models
** have converged): the kernels above would run 8 lanes for it, seven of
** them zero, two broadcasts and two FMAs per element of X where the data
** need a quarter of an FMA. Here the lanes run along the rows of X instead,
** with the same sums in the same order:
**   - X b: eight rows' values of a column in one vector, from an 8 x 8
**     tile of X transposed in registers (z1_transpose), and for each
**     column j in J in order one FMA into the eight rows' sums;
**   - X'r: eight columns' values of a row in one vector (a load), times the
**     row's residual, one FMA into the eight columns' sums per row in
**     order from zero, then added to the gradient per block.
** Each sum is then the same chain of FMAs as zxb_1's and zxtr_1's lane 0,
** the same bits (test_matrix compares them). Reading eight rows side by
** side, X b left the hardware prefetcher behind: the next block's lines are
** asked for while a block's products run. Measured on the 100,000 x 100
** rows of the bench's binomial case (the best of ten passes on one core,
** three alternated runs): 7.9-8.0 ms a pass with the 8-lane kernels, 3.8-4.0
** ms here (8.4 ms without the prefetch), against 6.2-6.6 ms for DGEMV and
** its transpose and 1.8-2.6 ms to read X once. */

/* The 8 x 8 tile r[0..7] (row i of the tile in r[i]) transposed in place:
** afterwards r[j] holds column j of the tile. */
static inline AVX512 void z1_transpose(__m512d r[8])
{
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    __m512d t[8], u[8];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        t[2 * q] = _mm512_unpacklo_pd(r[2 * q], r[2 * q + 1]);     /* columns 0 2 4 6 of rows 2q, 2q+1 */
        t[2 * q + 1] = _mm512_unpackhi_pd(r[2 * q], r[2 * q + 1]); /* columns 1 3 5 7 */
    }
    /* u[0]: columns 0 and 4 of rows 0-3; u[1]: 2 and 6; u[2]: 1 and 5; u[3]:
    ** 3 and 7; u[4..7] the same of rows 4-7. */
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        u[4 * h] = _mm512_permutex2var_pd(t[4 * h], lo, t[4 * h + 2]);
        u[4 * h + 1] = _mm512_permutex2var_pd(t[4 * h], hi, t[4 * h + 2]);
        u[4 * h + 2] = _mm512_permutex2var_pd(t[4 * h + 1], lo, t[4 * h + 3]);
        u[4 * h + 3] = _mm512_permutex2var_pd(t[4 * h + 1], hi, t[4 * h + 3]);
    }
    r[0] = _mm512_shuffle_f64x2(u[0], u[4], 0x44);
    r[4] = _mm512_shuffle_f64x2(u[0], u[4], 0xEE);
    r[2] = _mm512_shuffle_f64x2(u[1], u[5], 0x44);
    r[6] = _mm512_shuffle_f64x2(u[1], u[5], 0xEE);
    r[1] = _mm512_shuffle_f64x2(u[2], u[6], 0x44);
    r[5] = _mm512_shuffle_f64x2(u[2], u[6], 0xEE);
    r[3] = _mm512_shuffle_f64x2(u[3], u[7], 0x44);
    r[7] = _mm512_shuffle_f64x2(u[3], u[7], 0xEE);
}

/* o[r] = x_r' b for eight rows x_r = x + r p, over the columns in J: on
** mask[c], the columns of chunk c (8c .. 8c + 7) that are in J. */
static inline AVX512 void z1_xb8(const double *x, int64_t p, const uint8_t *mask, const double *b, double *o)
{
    __m512d c = _mm512_setzero_pd();
    for (int64_t j0 = 0; j0 < p; j0 += ZW) {
        const uint8_t in = mask[j0 / ZW];
        if (in == 0) continue;
        const __mmask8 ld = (__mmask8)(p - j0 >= ZW ? 0xFF : (1u << (p - j0)) - 1u);
        __m512d r[8];
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) r[i] = _mm512_maskz_loadu_pd(ld, x + i * p + j0);
        z1_transpose(r);
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) {
            if (in >> l & 1) c = _mm512_fmadd_pd(r[l], _mm512_set1_pd(b[j0 + l]), c);
        }
    }
    _mm512_storeu_pd(o, c);
}

/* g[j] += sum_{i < m} x[i p + j] r[i] for the nc <= 32 columns of x (a
** block's rows from some column on). */
static inline AVX512 void z1_xtr32(const double *x, int64_t p, int64_t m, const double *r, int64_t nc, double *g)
{
    __mmask8 k[4];
    for (int q = 0; q < 4; q++) {
        const int64_t left = nc - q * ZW;
        k[q] = (__mmask8)(left >= ZW ? 0xFF : left <= 0 ? 0 : (1u << left) - 1u);
    }
    __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0;
    for (int64_t i = 0; i < m; i++) {
        const double *xi = x + i * p;
        const __m512d ri = _mm512_set1_pd(r[i]);
        c0 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(k[0], xi), ri, c0);
        c1 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(k[1], xi + ZW), ri, c1);
        c2 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(k[2], xi + 2 * ZW), ri, c2);
        c3 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(k[3], xi + 3 * ZW), ri, c3);
    }
    const __m512d cs[4] = {c0, c1, c2, c3};
    for (int q = 0; q < 4; q++) {
        if (k[q] == 0) break;
        double *gq = g + q * ZW;
        _mm512_mask_storeu_pd(gq, k[q], _mm512_add_pd(_mm512_maskz_loadu_pd(k[q], gq), cs[q]));
    }
}

/* The fused pass for k = 1 on the kernels above: per block of MB rows, X b
** into ob, fn, then G += X_blk' rb. */
static AVX512 void fused1_avx512(int64_t n, int64_t p, const double *X, const double *B, lariat_matrix_blockfn fn,
                                 void *arg, double *G)
{
    _Alignas(64) double ob[MB], rb[MB];
    uint8_t mask[SKINNY512_MAX_PK / ZW];
    for (int64_t j0 = 0; j0 < p; j0 += ZW) {
        uint8_t in = 0;
        for (int64_t l = 0; l < ZW && j0 + l < p; l++) in |= (uint8_t)((B[j0 + l] != 0.0) << l);
        mask[j0 / ZW] = in;
    }
    memset(G, 0, (size_t)p * sizeof(double));
    for (int64_t i0 = 0; i0 < n; i0 += MB) {
        const int64_t m = n - i0 < MB ? n - i0 : MB;
        const double *Xb = X + i0 * p;
        /* The next block's lines asked for while this block's products
        ** run: the products read eight rows side by side, which the
        ** hardware prefetcher follows poorly. */
        const char *next = (const char *)(Xb + m * p);
        const char *next_end = (const char *)(X + (n - i0 - m < MB ? n : i0 + m + MB) * p);
        const int64_t per8 = (MB * p * (int64_t)sizeof(double) / 64) / (MB / 8) + 1;
        int64_t i = 0;
        for (; i + 8 <= m; i += 8) {
            for (int64_t t = 0; t < per8 && next < next_end; t++, next += 64) _mm_prefetch(next, _MM_HINT_T0);
            z1_xb8(Xb + i * p, p, mask, B, ob + i);
        }
        for (; i < m; i++) {
            double c = 0.0;
            for (int64_t j = 0; j < p; j++) {
                if (B[j] != 0.0) c = fma(Xb[i * p + j], B[j], c);
            }
            ob[i] = c;
        }
        fn(arg, i0, m, ob, rb, 1);
        for (int64_t j = 0; j < p; j += 4 * ZW) z1_xtr32(Xb + j, p, m, rb, p - j < 4 * ZW ? p - j : 4 * ZW, G + j);
    }
}

static AVX512 void fused_avx512(int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                                lariat_matrix_blockfn fn, void *arg, double *G)
{
    _Alignas(64) double Bp[SKINNY512_MAX_PK], Gp[SKINNY512_MAX_PK], ob[MB * MAX_KP], rb[MB * MAX_KP];
    int32_t J[SKINNY512_MAX_PK / ZW];
    const int64_t nz = (k + ZW - 1) / ZW, Kp = nz * ZW;
    /* Groups of vectors: first lane z0[q] 8, width gw[q] vectors. */
    int64_t z0[MAX_KP / ZW], lane0[MAX_KP / ZW], width[MAX_KP / ZW], ngr = 0, nJ;
    int gw[MAX_KP / ZW];
    for (int64_t z = 0; z < nz; z += ZG, ngr++) {
        z0[ngr] = z;
        gw[ngr] = nz - z < ZG ? (int)(nz - z) : ZG;
        lane0[ngr] = z * ZW;
        width[ngr] = ZW * gw[ngr];
    }
    pack_groups(p, k, B, ngr, lane0, width, Bp, J, &nJ);
    memset(Gp, 0, (size_t)(p * Kp) * sizeof(double));
    memset(rb, 0, sizeof(rb));
    for (int64_t i0 = 0; i0 < n; i0 += MB) {
        const int64_t m = n - i0 < MB ? n - i0 : MB;
        const double *Xb = X + i0 * p;
        for (int64_t q = 0; q < ngr; q++) {
            const double *Bg = Bp + z0[q] * ZW * p;
            double *o = ob + z0[q] * ZW;
            zgroup_xb(Xb, p, m, J, nJ, Bg, gw[q], o, Kp);
        }
        fn(arg, i0, m, ob, rb, Kp);
        const char *next = (const char *)(Xb + m * p);
        const char *next_end = (const char *)(X + (n - i0 - m < MB ? n : i0 + m + MB) * p);
        for (int64_t q = 0; q < ngr; q++) {
            const int C = gw[q] == 1 ? 8 : 4;
            const int64_t per_call = (MB * p * (int64_t)sizeof(double) / 64) / (((p + C - 1) / C) * ngr) + 1;
            double *Gg = Gp + z0[q] * ZW * p;
            const double *r = rb + z0[q] * ZW;
            zgroup_xtr(Xb, p, m, r, Kp, gw[q], Gg, &next, next_end, per_call);
        }
    }
    unpack_groups(p, k, Gp, ngr, lane0, width, G);
}

int lariat_skinny_fused_isa(int isa, int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                            lariat_matrix_blockfn fn, void *arg, double *G)
{
    const int64_t Kp = (k + KW - 1) / KW * KW;
    if (k < 1 || p < 1 || Kp > MAX_KP || p * Kp > SKINNY_MAX_PK) return 0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    const int avx512 = __builtin_cpu_supports("avx512f");
    if (isa == LARIAT_SKINNY_AVX512 || (isa == LARIAT_SKINNY_BEST && avx512)) {
        if (!avx512) return 0;
        if (k == 1) fused1_avx512(n, p, X, B, fn, arg, G);
        else fused_avx512(n, p, X, B, k, fn, arg, G);
    } else {
        fused_avx2(n, p, X, B, k, fn, arg, G);
    }
    return 1;
}

int lariat_skinny_fused(int64_t n, int64_t p, const double *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                        void *arg, double *G)
{
    return lariat_skinny_fused_isa(LARIAT_SKINNY_BEST, n, p, X, B, k, fn, arg, G);
}

#else /* not x86-64 with GCC or clang: the BLAS path */

int lariat_skinny_fused_isa(int isa, int64_t n, int64_t p, const double *X, const double *B, int64_t k,
                            lariat_matrix_blockfn fn, void *arg, double *G)
{
    (void)isa, (void)n, (void)p, (void)X, (void)B, (void)k, (void)fn, (void)arg, (void)G;
    return 0;
}

int lariat_skinny_fused(int64_t n, int64_t p, const double *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                        void *arg, double *G)
{
    return lariat_skinny_fused_isa(LARIAT_SKINNY_BEST, n, p, X, B, k, fn, arg, G);
}

#endif
