/*
** The coordinate descent's gradient updates (linalg/cd_update.h): a scalar
** loop, and AVX2 and AVX-512 kernels that take the same chain in every
** lane. A block's eight-term sums are formed in single precision, sixteen
** entries a vector with AVX-512 (eight with AVX2), and four vectors are
** kept in flight: an entry's sum is a chain of FMAs, and one chain waits on
** each FMA's latency. The kernels start their vectors at entries that are
** multiples of the vector's length, so that on the columns and u that the
** caller aligns (solvers/glm_batch.c) no load or store straddles two cache
** lines. The column pointers are copied to locals, which the stores to u
** cannot change (else they are read again after every store).
*/
#include "linalg/cd_update.h"

#include <math.h>

/* The coefficients in single precision, as every kernel takes them. */
static void coef_single(const double *c, float *cf)
{
    for (int k = 0; k < LARIAT_CD_BLOCK; k++) cf[k] = (float)c[k];
}

static void block_axpy_scalar(double *u, const float *const *g, const double *c, int64_t a, int64_t b)
{
    float cf[LARIAT_CD_BLOCK];
    coef_single(c, cf);
    for (int64_t i = a; i < b; i++) {
        float t = cf[0] * g[0][i];
        for (int k = 1; k < LARIAT_CD_BLOCK; k++) t += cf[k] * g[k][i];
        u[i] += (double)t;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FMA_INLINE __attribute__((always_inline, target("avx2,fma"))) static inline
/* One entry's chain as the AVX2 and AVX-512 lanes take it (their ends),
** each step one FMA instruction (libm's fmaf is a call). */
FMA_INLINE double block_chain_fma(const float *const *g, const float *cf, int64_t i)
{
    float t = cf[0] * g[0][i];
    for (int k = 1; k < LARIAT_CD_BLOCK; k++) t = __builtin_fmaf(cf[k], g[k][i], t);
    return (double)t;
}

/* c_0 g_0[i..i+8) + ... + c_7 g_7[..] in single precision. */
FMA_INLINE __m256 block_sum8f(const __m256 *cv, const float *const *g, int64_t i)
{
#define COL(k) _mm256_loadu_ps(g[k] + i)
    __m256 t = _mm256_mul_ps(cv[0], COL(0));
    t = _mm256_fmadd_ps(cv[1], COL(1), t);
    t = _mm256_fmadd_ps(cv[2], COL(2), t);
    t = _mm256_fmadd_ps(cv[3], COL(3), t);
    t = _mm256_fmadd_ps(cv[4], COL(4), t);
    t = _mm256_fmadd_ps(cv[5], COL(5), t);
    t = _mm256_fmadd_ps(cv[6], COL(6), t);
    return _mm256_fmadd_ps(cv[7], COL(7), t);
#undef COL
}

/* u[i..i+8) += t, widened to double. */
FMA_INLINE void block_add8f(double *u, __m256 t, int64_t i)
{
    _mm256_storeu_pd(u + i, _mm256_add_pd(_mm256_loadu_pd(u + i), _mm256_cvtps_pd(_mm256_castps256_ps128(t))));
    _mm256_storeu_pd(u + i + 4, _mm256_add_pd(_mm256_loadu_pd(u + i + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1))));
}

__attribute__((target("avx2,fma"))) static void block_axpy_fma(double *u, const float *const *gk, const double *c,
                                                                int64_t a, int64_t b)
{
    const float *g[LARIAT_CD_BLOCK];
    float cf[LARIAT_CD_BLOCK];
    __m256 cv[LARIAT_CD_BLOCK];
    coef_single(c, cf);
    for (int k = 0; k < LARIAT_CD_BLOCK; k++) g[k] = gk[k], cv[k] = _mm256_set1_ps(cf[k]);
    int64_t i = a;
    for (; i < b && (i & 7); i++) u[i] += block_chain_fma(g, cf, i);
    for (; i + 32 <= b; i += 32) {
        const __m256 t0 = block_sum8f(cv, g, i), t1 = block_sum8f(cv, g, i + 8);
        const __m256 t2 = block_sum8f(cv, g, i + 16), t3 = block_sum8f(cv, g, i + 24);
        block_add8f(u, t0, i);
        block_add8f(u, t1, i + 8);
        block_add8f(u, t2, i + 16);
        block_add8f(u, t3, i + 24);
    }
    for (; i + 8 <= b; i += 8) block_add8f(u, block_sum8f(cv, g, i), i);
    for (; i < b; i++) u[i] += block_chain_fma(g, cf, i);
}

#define AVX512_TARGET target("avx512f,avx512vl,avx2,fma")
#define AVX512_INLINE __attribute__((always_inline, AVX512_TARGET)) static inline
/* c_0 g_0[i..i+16) + ... + c_7 g_7[..] in single precision. */
AVX512_INLINE __m512 block_sum16(const __m512 *cv, const float *const *g, int64_t i)
{
#define COL(k) _mm512_loadu_ps(g[k] + i)
    __m512 t = _mm512_mul_ps(cv[0], COL(0));
    t = _mm512_fmadd_ps(cv[1], COL(1), t);
    t = _mm512_fmadd_ps(cv[2], COL(2), t);
    t = _mm512_fmadd_ps(cv[3], COL(3), t);
    t = _mm512_fmadd_ps(cv[4], COL(4), t);
    t = _mm512_fmadd_ps(cv[5], COL(5), t);
    t = _mm512_fmadd_ps(cv[6], COL(6), t);
    return _mm512_fmadd_ps(cv[7], COL(7), t);
#undef COL
}

/* u[i..i+16) += t, widened to double. */
AVX512_INLINE void block_add16(double *u, __m512 t, int64_t i)
{
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
    _mm512_storeu_pd(u + i, _mm512_add_pd(_mm512_loadu_pd(u + i), lo));
    _mm512_storeu_pd(u + i + 8, _mm512_add_pd(_mm512_loadu_pd(u + i + 8), hi));
}

/* The AVX-512 kernel: vectors of sixteen from a multiple of sixteen, and
** one of eight at either end where an end is a multiple of eight only (the
** caller's spans end at blocks of eight coordinates), so that few entries
** take the scalar chain. */
__attribute__((AVX512_TARGET)) static void block_axpy_avx512(double *u, const float *const *gk, const double *c,
                                                            int64_t a, int64_t b)
{
    const float *g[LARIAT_CD_BLOCK];
    float cf[LARIAT_CD_BLOCK];
    __m512 cv[LARIAT_CD_BLOCK];
    __m256 cv8[LARIAT_CD_BLOCK];
    coef_single(c, cf);
    for (int k = 0; k < LARIAT_CD_BLOCK; k++) g[k] = gk[k], cv[k] = _mm512_set1_ps(cf[k]), cv8[k] = _mm256_set1_ps(cf[k]);
    int64_t i = a;
    for (; i < b && (i & 7); i++) u[i] += block_chain_fma(g, cf, i);
    if ((i & 15) && i + 8 <= b) {
        block_add8f(u, block_sum8f(cv8, g, i), i);
        i += 8;
    }
    for (; i + 64 <= b; i += 64) {
        const __m512 t0 = block_sum16(cv, g, i), t1 = block_sum16(cv, g, i + 16);
        const __m512 t2 = block_sum16(cv, g, i + 32), t3 = block_sum16(cv, g, i + 48);
        block_add16(u, t0, i);
        block_add16(u, t1, i + 16);
        block_add16(u, t2, i + 32);
        block_add16(u, t3, i + 48);
    }
    for (; i + 16 <= b; i += 16) block_add16(u, block_sum16(cv, g, i), i);
    if (i + 8 <= b) {
        block_add8f(u, block_sum8f(cv8, g, i), i);
        i += 8;
    }
    for (; i < b; i++) u[i] += block_chain_fma(g, cf, i);
}

/* u_i = fma(c, g_i, u_i) for i in [a, b): one column's move. */
__attribute__((target("avx2,fma"))) static void col_axpy_fma(double *u, const float *g, double c, int64_t a,
                                                              int64_t b)
{
    const __m256d cv = _mm256_set1_pd(c);
    int64_t i = a;
    for (; i + 4 <= b; i += 4) {
        _mm256_storeu_pd(u + i, _mm256_fmadd_pd(cv, _mm256_cvtps_pd(_mm_loadu_ps(g + i)), _mm256_loadu_pd(u + i)));
    }
    for (; i < b; i++) u[i] = __builtin_fma(c, (double)g[i], u[i]);
}

__attribute__((target("avx512f,avx512vl"))) static void col_axpy_avx512(double *u, const float *g, double c,
                                                                         int64_t a, int64_t b)
{
    const __m512d cv = _mm512_set1_pd(c);
    for (int64_t i = a; i < b; i += 8) {
        const __mmask8 mk = b - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (b - i)) - 1u);
        const __m512d gv = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(mk, g + i));
        _mm512_mask_storeu_pd(u + i, mk, _mm512_fmadd_pd(cv, gv, _mm512_maskz_loadu_pd(mk, u + i)));
    }
}

/* One entry's chain, as the kernels below take it. */
__attribute__((target("avx2,fma"))) static double chain_entry_fma(double v, const double *const *g, const double *c,
                                                                  int nk, int64_t i)
{
    for (int k = 0; k < nk; k++) v = __builtin_fma(c[k], g[k][i], v);
    return v;
}

/* u_i = fma(c_{nk-1}, g_{nk-1,i}, ... fma(c_0, g_{0,i}, u_i)) for i in
** [a, b): nk moves of one fused multiply-add an entry, in one pass over u.
** Two vectors of eight a step, each its own chain of nk FMAs; the end
** masked. The caller's rows of H start on cache lines (solvers/gram.c):
** when they started 16 bytes past one (malloc's header), an eight-lane
** kernel of one move took 1.4x the time of a four-lane one on the sparse
** lasso path, its 64-byte loads all split over two lines. */
__attribute__((AVX512_TARGET)) static void chain_avx512(double *u, const double *const *gk, const double *c, int nk,
                                                       int64_t a, int64_t b)
{
    const double *g[LARIAT_CD_BLOCK];
    __m512d cv[LARIAT_CD_BLOCK];
    for (int k = 0; k < nk; k++) g[k] = gk[k], cv[k] = _mm512_set1_pd(c[k]);
    int64_t i = a;
    if (nk == LARIAT_CD_BLOCK) {
        /* A full block unrolled: the loop over k kept the pointers and
        ** coefficients in memory and the chains waiting on each other. */
#define CHAIN8(v, at)                                              \
    do {                                                           \
        v = _mm512_fmadd_pd(cv[0], _mm512_loadu_pd(g[0] + (at)), v); \
        v = _mm512_fmadd_pd(cv[1], _mm512_loadu_pd(g[1] + (at)), v); \
        v = _mm512_fmadd_pd(cv[2], _mm512_loadu_pd(g[2] + (at)), v); \
        v = _mm512_fmadd_pd(cv[3], _mm512_loadu_pd(g[3] + (at)), v); \
        v = _mm512_fmadd_pd(cv[4], _mm512_loadu_pd(g[4] + (at)), v); \
        v = _mm512_fmadd_pd(cv[5], _mm512_loadu_pd(g[5] + (at)), v); \
        v = _mm512_fmadd_pd(cv[6], _mm512_loadu_pd(g[6] + (at)), v); \
        v = _mm512_fmadd_pd(cv[7], _mm512_loadu_pd(g[7] + (at)), v); \
    } while (0)
        for (; i + 32 <= b; i += 32) {
            __m512d u0 = _mm512_loadu_pd(u + i), u1 = _mm512_loadu_pd(u + i + 8);
            __m512d u2 = _mm512_loadu_pd(u + i + 16), u3 = _mm512_loadu_pd(u + i + 24);
            CHAIN8(u0, i);
            CHAIN8(u1, i + 8);
            CHAIN8(u2, i + 16);
            CHAIN8(u3, i + 24);
            _mm512_storeu_pd(u + i, u0);
            _mm512_storeu_pd(u + i + 8, u1);
            _mm512_storeu_pd(u + i + 16, u2);
            _mm512_storeu_pd(u + i + 24, u3);
        }
#undef CHAIN8
    }
    for (; i + 16 <= b; i += 16) {
        __m512d u0 = _mm512_loadu_pd(u + i), u1 = _mm512_loadu_pd(u + i + 8);
        for (int k = 0; k < nk; k++) {
            u0 = _mm512_fmadd_pd(cv[k], _mm512_loadu_pd(g[k] + i), u0);
            u1 = _mm512_fmadd_pd(cv[k], _mm512_loadu_pd(g[k] + i + 8), u1);
        }
        _mm512_storeu_pd(u + i, u0);
        _mm512_storeu_pd(u + i + 8, u1);
    }
    for (; i < b; i += 8) {
        const __mmask8 mk = b - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (b - i)) - 1u);
        __m512d u0 = _mm512_maskz_loadu_pd(mk, u + i);
        for (int k = 0; k < nk; k++) u0 = _mm512_fmadd_pd(cv[k], _mm512_maskz_loadu_pd(mk, g[k] + i), u0);
        _mm512_mask_storeu_pd(u + i, mk, u0);
    }
}

/* The same with four lanes. */
__attribute__((target("avx2,fma"))) static void chain_fma(double *u, const double *const *gk, const double *c, int nk,
                                                          int64_t a, int64_t b)
{
    const double *g[LARIAT_CD_BLOCK];
    __m256d cv[LARIAT_CD_BLOCK];
    for (int k = 0; k < nk; k++) g[k] = gk[k], cv[k] = _mm256_set1_pd(c[k]);
    int64_t i = a;
    for (; i + 8 <= b; i += 8) {
        __m256d u0 = _mm256_loadu_pd(u + i), u1 = _mm256_loadu_pd(u + i + 4);
        for (int k = 0; k < nk; k++) {
            u0 = _mm256_fmadd_pd(cv[k], _mm256_loadu_pd(g[k] + i), u0);
            u1 = _mm256_fmadd_pd(cv[k], _mm256_loadu_pd(g[k] + i + 4), u1);
        }
        _mm256_storeu_pd(u + i, u0);
        _mm256_storeu_pd(u + i + 4, u1);
    }
    for (; i < b; i++) u[i] = chain_entry_fma(u[i], g, c, nk, i);
}
#endif

/* One entry's chain with fma() (correctly rounded, as the FMA instruction). */
static double chain_entry_scalar(double v, const double *const *g, const double *c, int nk, int64_t i)
{
    for (int k = 0; k < nk; k++) v = fma(c[k], g[k][i], v);
    return v;
}

/* This CPU's best kernels, asked once. */
static int best_isa(void)
{
    static int isa = -1;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa < 0) {
        __builtin_cpu_init();
        isa = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? LARIAT_CD_AVX2 : LARIAT_CD_SCALAR;
        if (isa && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) isa = LARIAT_CD_AVX512;
    }
#else
    isa = LARIAT_CD_SCALAR;
#endif
    return isa;
}

/* The kernels an _isa call asked for: this CPU's best for LARIAT_CD_BEST,
** -1 when the CPU cannot run the ones asked. */
static int pick_isa(int isa)
{
    const int best = best_isa();
    if (isa == LARIAT_CD_BEST) return best;
    return isa > best ? -1 : isa;
}

int lariat_cd_block_update_isa(int isa, double *u, const float *const *g, const double *c, int64_t a, int64_t b)
{
    isa = pick_isa(isa);
    if (isa < 0) return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa == LARIAT_CD_AVX512) {
        block_axpy_avx512(u, g, c, a, b);
        return 1;
    }
    if (isa == LARIAT_CD_AVX2) {
        block_axpy_fma(u, g, c, a, b);
        return 1;
    }
#endif
    block_axpy_scalar(u, g, c, a, b);
    return 1;
}

int lariat_cd_col_update_isa(int isa, double *u, const float *g, double c, int64_t a, int64_t b)
{
    isa = pick_isa(isa);
    if (isa < 0) return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa == LARIAT_CD_AVX512) {
        col_axpy_avx512(u, g, c, a, b);
        return 1;
    }
    if (isa == LARIAT_CD_AVX2) {
        col_axpy_fma(u, g, c, a, b);
        return 1;
    }
#endif
    for (int64_t i = a; i < b; i++) u[i] += c * (double)g[i];
    return 1;
}

void lariat_cd_block_update(double *u, const float *const *g, const double *c, int64_t a, int64_t b)
{
    (void)lariat_cd_block_update_isa(LARIAT_CD_BEST, u, g, c, a, b);
}

void lariat_cd_col_update(double *u, const float *g, double c, int64_t a, int64_t b)
{
    (void)lariat_cd_col_update_isa(LARIAT_CD_BEST, u, g, c, a, b);
}

int lariat_cd_axpy_chain_isa(int isa, double *u, const double *const *g, const double *c, int nk, int64_t a,
                             int64_t b)
{
    isa = pick_isa(isa);
    if (isa < 0) return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa == LARIAT_CD_AVX512) {
        chain_avx512(u, g, c, nk, a, b);
        return 1;
    }
    if (isa == LARIAT_CD_AVX2) {
        chain_fma(u, g, c, nk, a, b);
        return 1;
    }
#endif
    for (int64_t i = a; i < b; i++) u[i] = chain_entry_scalar(u[i], g, c, nk, i);
    return 1;
}

void lariat_cd_axpy_chain(double *u, const double *const *g, const double *c, int nk, int64_t a, int64_t b)
{
    (void)lariat_cd_axpy_chain_isa(LARIAT_CD_BEST, u, g, c, nk, a, b);
}

double lariat_cd_chain_entry(double v, const double *const *g, const double *c, int nk, int64_t i)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (best_isa() != LARIAT_CD_SCALAR) return chain_entry_fma(v, g, c, nk, i);
#endif
    return chain_entry_scalar(v, g, c, nk, i);
}
