/*
** C += B'B on a block of rows (linalg/syrk.h): an AVX-512 kernel where the
** CPU has it and p is at most SYRK_OWN_MAX, else BLAS.
**
** The kernel takes C in tiles of 8 rows (j0 .. j0 + 7) by 3 vectors of
** columns (24 doubles or 48 floats from l0 = j0 on; 1 vector at the right
** edge), and for each tile runs down all m rows of B: per row, the tile's
** 3 vectors of B[i, l0 ..] and 8 broadcasts of B[i, j0 ..] make 24 FMAs
** into 24 sums in registers (the named variables below: an array of
** vectors indexed in loops stays in memory at -O2). Lanes past p are
** loaded masked (they are zero) and rows past p repeat row p - 1 and are
** not stored, so every tile is the same code; only entries with l >= j
** are added into C.
*/
#include "linalg/syrk.h"

#include "linalg/blas.h"

/* Our kernel up to this many columns; beyond, BLAS (its packing is then a
** small part of its work). */
#define SYRK_OWN_MAX 512

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

static int has_avx512(void)
{
    static int has = -1;
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx512f");
    }
    return has;
}

/* The lanes of a vector from column c0 that are columns of the matrix. */
static inline __mmask8 dmask(int64_t p, int64_t c0) { return p - c0 >= 8 ? 0xff : (__mmask8)((1u << (p - c0)) - 1); }
static inline __mmask16 smask(int64_t p, int64_t c0)
{
    return p - c0 >= 16 ? 0xffff : (__mmask16)((1u << (p - c0)) - 1);
}

/* C's row j gets the sums acc of the vector of columns from c0 (lanes
** valid in lm): those with l >= j. */
static inline AVX512 void dput(double *C, int64_t ldc, int64_t p, int64_t j, int64_t c0, __mmask8 lm, __m512d acc)
{
    if (j >= p) return;
    const int64_t skip = j - c0;
    __mmask8 sm = lm;
    if (skip >= 8) return;
    if (skip > 0) sm &= (__mmask8)(0xffu << skip);
    double *c = C + j * ldc + c0;
    _mm512_mask_storeu_pd(c, sm, _mm512_add_pd(_mm512_maskz_loadu_pd(sm, c), acc));
}

static inline AVX512 void sput(float *C, int64_t ldc, int64_t p, int64_t j, int64_t c0, __mmask16 lm, __m512 acc)
{
    if (j >= p) return;
    const int64_t skip = j - c0;
    __mmask16 sm = lm;
    if (skip >= 16) return;
    if (skip > 0) sm &= (__mmask16)(0xffffu << skip);
    float *c = C + j * ldc + c0;
    _mm512_mask_storeu_ps(c, sm, _mm512_add_ps(_mm512_maskz_loadu_ps(sm, c), acc));
}

#define DF(acc, x, v) (acc) = _mm512_fmadd_pd((x), (v), (acc))
#define SF(acc, x, v) (acc) = _mm512_fmadd_ps((x), (v), (acc))

/* The 8 x 3-vector tile of C at rows j0.., columns l0.. (double). */
static AVX512 void dtile3(int64_t p, int64_t m, const double *B, int64_t ldb, int64_t j0, int64_t l0, double *C,
                          int64_t ldc)
{
    const __mmask8 m0 = dmask(p, l0), m1 = dmask(p, l0 + 8), m2 = dmask(p, l0 + 16);
    const int64_t R = p - j0 < 8 ? p - j0 : 8;
    const int64_t o1 = R > 1 ? 1 : R - 1, o2 = R > 2 ? 2 : R - 1, o3 = R > 3 ? 3 : R - 1;
    const int64_t o4 = R > 4 ? 4 : R - 1, o5 = R > 5 ? 5 : R - 1, o6 = R > 6 ? 6 : R - 1, o7 = R > 7 ? 7 : R - 1;
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m512d c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    __m512d c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
    __m512d c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
    for (int64_t i = 0; i < m; i++) {
        const double *bi = B + i * ldb, *a = bi + j0;
        const __m512d v0 = _mm512_maskz_loadu_pd(m0, bi + l0), v1 = _mm512_maskz_loadu_pd(m1, bi + l0 + 8);
        const __m512d v2 = _mm512_maskz_loadu_pd(m2, bi + l0 + 16);
        __m512d x = _mm512_set1_pd(a[0]);
        DF(c00, x, v0), DF(c01, x, v1), DF(c02, x, v2);
        x = _mm512_set1_pd(a[o1]);
        DF(c10, x, v0), DF(c11, x, v1), DF(c12, x, v2);
        x = _mm512_set1_pd(a[o2]);
        DF(c20, x, v0), DF(c21, x, v1), DF(c22, x, v2);
        x = _mm512_set1_pd(a[o3]);
        DF(c30, x, v0), DF(c31, x, v1), DF(c32, x, v2);
        x = _mm512_set1_pd(a[o4]);
        DF(c40, x, v0), DF(c41, x, v1), DF(c42, x, v2);
        x = _mm512_set1_pd(a[o5]);
        DF(c50, x, v0), DF(c51, x, v1), DF(c52, x, v2);
        x = _mm512_set1_pd(a[o6]);
        DF(c60, x, v0), DF(c61, x, v1), DF(c62, x, v2);
        x = _mm512_set1_pd(a[o7]);
        DF(c70, x, v0), DF(c71, x, v1), DF(c72, x, v2);
    }
    const __m512d acc[8][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32},
                               {c40, c41, c42}, {c50, c51, c52}, {c60, c61, c62}, {c70, c71, c72}};
    for (int r = 0; r < 8; r++) {
        dput(C, ldc, p, j0 + r, l0, m0, acc[r][0]);
        dput(C, ldc, p, j0 + r, l0 + 8, m1, acc[r][1]);
        dput(C, ldc, p, j0 + r, l0 + 16, m2, acc[r][2]);
    }
}

/* The 8 x 1-vector tile (double). */
static AVX512 void dtile1(int64_t p, int64_t m, const double *B, int64_t ldb, int64_t j0, int64_t l0, double *C,
                          int64_t ldc)
{
    const __mmask8 m0 = dmask(p, l0);
    const int64_t R = p - j0 < 8 ? p - j0 : 8;
    const int64_t o1 = R > 1 ? 1 : R - 1, o2 = R > 2 ? 2 : R - 1, o3 = R > 3 ? 3 : R - 1;
    const int64_t o4 = R > 4 ? 4 : R - 1, o5 = R > 5 ? 5 : R - 1, o6 = R > 6 ? 6 : R - 1, o7 = R > 7 ? 7 : R - 1;
    __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (int64_t i = 0; i < m; i++) {
        const double *bi = B + i * ldb, *a = bi + j0;
        const __m512d v = _mm512_maskz_loadu_pd(m0, bi + l0);
        DF(c0, _mm512_set1_pd(a[0]), v);
        DF(c1, _mm512_set1_pd(a[o1]), v);
        DF(c2, _mm512_set1_pd(a[o2]), v);
        DF(c3, _mm512_set1_pd(a[o3]), v);
        DF(c4, _mm512_set1_pd(a[o4]), v);
        DF(c5, _mm512_set1_pd(a[o5]), v);
        DF(c6, _mm512_set1_pd(a[o6]), v);
        DF(c7, _mm512_set1_pd(a[o7]), v);
    }
    const __m512d acc[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (int r = 0; r < 8; r++) dput(C, ldc, p, j0 + r, l0, m0, acc[r]);
}

static AVX512 void stile3(int64_t p, int64_t m, const float *B, int64_t ldb, int64_t j0, int64_t l0, float *C,
                          int64_t ldc)
{
    const __mmask16 m0 = smask(p, l0), m1 = smask(p, l0 + 16), m2 = smask(p, l0 + 32);
    const int64_t R = p - j0 < 8 ? p - j0 : 8;
    const int64_t o1 = R > 1 ? 1 : R - 1, o2 = R > 2 ? 2 : R - 1, o3 = R > 3 ? 3 : R - 1;
    const int64_t o4 = R > 4 ? 4 : R - 1, o5 = R > 5 ? 5 : R - 1, o6 = R > 6 ? 6 : R - 1, o7 = R > 7 ? 7 : R - 1;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m512 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    __m512 c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
    __m512 c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
    for (int64_t i = 0; i < m; i++) {
        const float *bi = B + i * ldb, *a = bi + j0;
        const __m512 v0 = _mm512_maskz_loadu_ps(m0, bi + l0), v1 = _mm512_maskz_loadu_ps(m1, bi + l0 + 16);
        const __m512 v2 = _mm512_maskz_loadu_ps(m2, bi + l0 + 32);
        __m512 x = _mm512_set1_ps(a[0]);
        SF(c00, x, v0), SF(c01, x, v1), SF(c02, x, v2);
        x = _mm512_set1_ps(a[o1]);
        SF(c10, x, v0), SF(c11, x, v1), SF(c12, x, v2);
        x = _mm512_set1_ps(a[o2]);
        SF(c20, x, v0), SF(c21, x, v1), SF(c22, x, v2);
        x = _mm512_set1_ps(a[o3]);
        SF(c30, x, v0), SF(c31, x, v1), SF(c32, x, v2);
        x = _mm512_set1_ps(a[o4]);
        SF(c40, x, v0), SF(c41, x, v1), SF(c42, x, v2);
        x = _mm512_set1_ps(a[o5]);
        SF(c50, x, v0), SF(c51, x, v1), SF(c52, x, v2);
        x = _mm512_set1_ps(a[o6]);
        SF(c60, x, v0), SF(c61, x, v1), SF(c62, x, v2);
        x = _mm512_set1_ps(a[o7]);
        SF(c70, x, v0), SF(c71, x, v1), SF(c72, x, v2);
    }
    const __m512 acc[8][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32},
                              {c40, c41, c42}, {c50, c51, c52}, {c60, c61, c62}, {c70, c71, c72}};
    for (int r = 0; r < 8; r++) {
        sput(C, ldc, p, j0 + r, l0, m0, acc[r][0]);
        sput(C, ldc, p, j0 + r, l0 + 16, m1, acc[r][1]);
        sput(C, ldc, p, j0 + r, l0 + 32, m2, acc[r][2]);
    }
}

static AVX512 void stile1(int64_t p, int64_t m, const float *B, int64_t ldb, int64_t j0, int64_t l0, float *C,
                          int64_t ldc)
{
    const __mmask16 m0 = smask(p, l0);
    const int64_t R = p - j0 < 8 ? p - j0 : 8;
    const int64_t o1 = R > 1 ? 1 : R - 1, o2 = R > 2 ? 2 : R - 1, o3 = R > 3 ? 3 : R - 1;
    const int64_t o4 = R > 4 ? 4 : R - 1, o5 = R > 5 ? 5 : R - 1, o6 = R > 6 ? 6 : R - 1, o7 = R > 7 ? 7 : R - 1;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    for (int64_t i = 0; i < m; i++) {
        const float *bi = B + i * ldb, *a = bi + j0;
        const __m512 v = _mm512_maskz_loadu_ps(m0, bi + l0);
        SF(c0, _mm512_set1_ps(a[0]), v);
        SF(c1, _mm512_set1_ps(a[o1]), v);
        SF(c2, _mm512_set1_ps(a[o2]), v);
        SF(c3, _mm512_set1_ps(a[o3]), v);
        SF(c4, _mm512_set1_ps(a[o4]), v);
        SF(c5, _mm512_set1_ps(a[o5]), v);
        SF(c6, _mm512_set1_ps(a[o6]), v);
        SF(c7, _mm512_set1_ps(a[o7]), v);
    }
    const __m512 acc[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (int r = 0; r < 8; r++) sput(C, ldc, p, j0 + r, l0, m0, acc[r]);
}

/* The tiles: rows of C by 8, and from the diagonal on, columns by 3
** vectors while more than 2 vectors remain, then by 1. */
static void dsyrk_own(int64_t p, int64_t m, const double *B, int64_t ldb, double *C, int64_t ldc)
{
    for (int64_t j0 = 0; j0 < p; j0 += 8) {
        int64_t l0 = j0;
        for (; p - l0 > 16; l0 += 24) dtile3(p, m, B, ldb, j0, l0, C, ldc);
        for (; l0 < p; l0 += 8) dtile1(p, m, B, ldb, j0, l0, C, ldc);
    }
}

static void ssyrk_own(int64_t p, int64_t m, const float *B, int64_t ldb, float *C, int64_t ldc)
{
    for (int64_t j0 = 0; j0 < p; j0 += 8) {
        /* A float vector holds 16 columns: tiles start at the diagonal's vector. */
        int64_t l0 = j0 / 16 * 16;
        for (; p - l0 > 32; l0 += 48) stile3(p, m, B, ldb, j0, l0, C, ldc);
        for (; l0 < p; l0 += 16) stile1(p, m, B, ldb, j0, l0, C, ldc);
    }
}

int lariat_syrk_own(int64_t p) { return p >= 1 && p <= SYRK_OWN_MAX && has_avx512(); }

#else /* not x86-64 with GCC or clang: BLAS */

int lariat_syrk_own(int64_t p)
{
    (void)p;
    return 0;
}
static void dsyrk_own(int64_t p, int64_t m, const double *B, int64_t ldb, double *C, int64_t ldc)
{
    (void)p, (void)m, (void)B, (void)ldb, (void)C, (void)ldc;
}
static void ssyrk_own(int64_t p, int64_t m, const float *B, int64_t ldb, float *C, int64_t ldc)
{
    (void)p, (void)m, (void)B, (void)ldb, (void)C, (void)ldc;
}

#endif

void lariat_syrk_upper(int64_t p, int64_t m, const double *B, int64_t ldb, double *C, int64_t ldc)
{
    if (p == 0 || m == 0) return;
    if (lariat_syrk_own(p)) {
        dsyrk_own(p, m, B, ldb, C, ldc);
        return;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)m, 1.0, B, (int)ldb, 1.0, C, (int)ldc);
}

void lariat_ssyrk_upper(int64_t p, int64_t m, const float *B, int64_t ldb, float *C, int64_t ldc)
{
    if (p == 0 || m == 0) return;
    if (lariat_syrk_own(p)) {
        ssyrk_own(p, m, B, ldb, C, ldc);
        return;
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)m, 1.0f, B, (int)ldb, 1.0f, C, (int)ldc);
}
