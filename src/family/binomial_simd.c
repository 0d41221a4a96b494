/*
** The binomial row loops of family/simd.h on libmvec: eight rows at a time
** with AVX-512 where the CPU has it (AVX512F and AVX512DQ) and the build
** found libmvec's AVX-512 variants, else four with AVX2 and FMA. The default
** build targets any x86-64: only the functions marked AVX2 or AVX512 below
** are compiled for those extensions, and they run only after the CPU has
** been asked (lariat_simd_width); libmvec picks its own implementation
** inside. The AVX-512 variants (_ZGVeN8v_exp, _log1p, _log) took 1.9 ns for
** an exp and a log1p against the AVX2 ones' 3.3 ns on the development
** machine (AMD EPYC, Zen 4), where these loops were a fifth of the lockstep
** CV's time. The width is chosen by the CPU alone: every row of a tile is in
** the same lane wherever the tile lives, so the results are still the same
** at any rank count (on CPUs of one kind).
*/
#include "family/simd.h"

#include <math.h>

#if defined(LARIAT_HAVE_LIBMVEC) && defined(__x86_64__)

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* libmvec's AVX2 variants (the x86-64 vector function ABI: 'd' is AVX2,
** four lanes, 'v' one vector argument); glibc declares them only under
** -ffast-math, which we do not want for the rest of the code. */
AVX2 __m256d _ZGVdN4v_exp(__m256d x);
AVX2 __m256d _ZGVdN4v_log(__m256d x);
AVX2 __m256d _ZGVdN4v_log1p(__m256d x);

/* The width in use: -1 until asked, then 8, 4 or 0 (lariat_simd_width). */
static int simd_width = -1;

int lariat_simd_width(void)
{
    if (simd_width < 0) {
        __builtin_cpu_init();
        const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        int avx512 = 0;
#if defined(LARIAT_HAVE_LIBMVEC_AVX512)
        avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
        simd_width = avx512 ? 8 : avx2 ? 4 : 0;
    }
    return simd_width;
}

int lariat_simd_set_width(int width)
{
    simd_width = -1; /* asked the CPU afresh */
    const int widest = lariat_simd_width();
    if (width >= 0 && width < widest) simd_width = width >= 4 ? 4 : 0;
    return simd_width;
}

int lariat_simd_available(void) { return lariat_simd_width() > 0; }

/* Four rows of the binomial evaluation (family.c's binomial_eval, term by
** term): t = exp(-|e|), loss w (max(e, 0) + log1p(t) - y e), mean
** p = (e >= 0 ? 1 : t) / (1 + t), R = w (p - y), V = w max(p (1 - p), floor).
** The four outputs are 4-double arrays (NULL to skip). */
static inline AVX2 __m256d eval4(const double *eta, const double *Y, const double *w, double *mu, double *R,
                                 double *V, __m256d floor, __m256d acc)
{
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d e = _mm256_loadu_pd(eta), y = _mm256_loadu_pd(Y), wv = _mm256_loadu_pd(w);
    const __m256d t = _ZGVdN4v_exp(_mm256_or_pd(e, _mm256_set1_pd(-0.0)));
    const __m256d l = _ZGVdN4v_log1p(t);
    const __m256d row = _mm256_sub_pd(_mm256_add_pd(_mm256_max_pd(e, zero), l), _mm256_mul_pd(y, e));
    acc = _mm256_add_pd(acc, _mm256_mul_pd(wv, row));
    const __m256d num = _mm256_blendv_pd(t, one, _mm256_cmp_pd(e, zero, _CMP_GE_OQ));
    const __m256d p = _mm256_div_pd(num, _mm256_add_pd(one, t));
    if (mu != NULL) _mm256_storeu_pd(mu, p);
    if (R != NULL) _mm256_storeu_pd(R, _mm256_mul_pd(wv, _mm256_sub_pd(p, y)));
    if (V != NULL) _mm256_storeu_pd(V, _mm256_mul_pd(wv, _mm256_max_pd(_mm256_mul_pd(p, _mm256_sub_pd(one, p)), floor)));
    return acc;
}

static AVX2 double eval_avx2(int64_t n, const double *eta, const double *Y, const double *w, double *mu, double *R,
                             double *V, double floor)
{
    const __m256d fl = _mm256_set1_pd(floor);
    __m256d acc = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        acc = eval4(eta + i, Y + i, w + i, mu ? mu + i : NULL, R ? R + i : NULL, V ? V + i : NULL, fl, acc);
    }
    if (i < n) {
        /* The last rows padded with eta = y = w = 0, which add nothing. */
        double e[4] = {0}, y[4] = {0}, wv[4] = {0}, m4[4], r4[4], v4[4];
        const int64_t k = n - i;
        for (int64_t r = 0; r < k; r++) {
            e[r] = eta[i + r];
            y[r] = Y[i + r];
            wv[r] = w[i + r];
        }
        acc = eval4(e, y, wv, m4, r4, v4, fl, acc);
        for (int64_t r = 0; r < k; r++) {
            if (mu != NULL) mu[i + r] = m4[r];
            if (R != NULL) R[i + r] = r4[r];
            if (V != NULL) V[i + r] = v4[r];
        }
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* x log x with 0 log 0 = 0, four at a time (log(0) = -inf is blended away). */
static inline AVX2 __m256d xlogx4(__m256d x)
{
    const __m256d v = _mm256_mul_pd(x, _ZGVdN4v_log(x));
    return _mm256_and_pd(v, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ));
}

/* Four rows of family.c's binomial_conj; returns 0 when a row of nonzero
** weight leaves [0, 1]. */
static inline AVX2 int conj4(const double *mu, const double *Y, const double *w, __m256d delta, __m256d kappa,
                             __m256d *acc)
{
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d y = _mm256_loadu_pd(Y), wv = _mm256_loadu_pd(w);
    const __m256d t = _mm256_add_pd(y, _mm256_mul_pd(kappa, _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(mu), delta), y)));
    const __m256d used = _mm256_cmp_pd(wv, zero, _CMP_NEQ_UQ);
    const __m256d inside = _mm256_and_pd(_mm256_cmp_pd(t, zero, _CMP_GE_OQ), _mm256_cmp_pd(t, one, _CMP_LE_OQ));
    if (_mm256_movemask_pd(_mm256_andnot_pd(inside, used)) != 0) return 0;
    const __m256d h = _mm256_add_pd(xlogx4(t), xlogx4(_mm256_sub_pd(one, t)));
    *acc = _mm256_add_pd(*acc, _mm256_and_pd(_mm256_mul_pd(wv, h), used));
    return 1;
}

static AVX2 double conj_avx2(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                             double kappa)
{
    const __m256d dv = _mm256_set1_pd(delta), kv = _mm256_set1_pd(kappa);
    __m256d acc = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        if (!conj4(mu + i, Y + i, w + i, dv, kv, &acc)) return INFINITY;
    }
    if (i < n) {
        /* Padded with w = 0: those rows are skipped. */
        double m4[4] = {0}, y[4] = {0}, wv[4] = {0};
        for (int64_t r = 0; r < n - i; r++) {
            m4[r] = mu[i + r];
            y[r] = Y[i + r];
            wv[r] = w[i + r];
        }
        if (!conj4(m4, y, wv, dv, kv, &acc)) return INFINITY;
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

#if defined(LARIAT_HAVE_LIBMVEC_AVX512)

#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512dq")))

/* libmvec's AVX-512 variants ('e': eight lanes). */
AVX512 __m512d _ZGVeN8v_exp(__m512d x);
AVX512 __m512d _ZGVeN8v_log(__m512d x);
AVX512 __m512d _ZGVeN8v_log1p(__m512d x);

/* Eight rows of eval4's work, term by term as there. */
static inline AVX512 __m512d eval8(const double *eta, const double *Y, const double *w, double *mu, double *R,
                                   double *V, __m512d floor, __m512d acc)
{
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    const __m512d e = _mm512_loadu_pd(eta), y = _mm512_loadu_pd(Y), wv = _mm512_loadu_pd(w);
    const __m512d t = _ZGVeN8v_exp(_mm512_or_pd(e, _mm512_set1_pd(-0.0)));
    const __m512d l = _ZGVeN8v_log1p(t);
    const __m512d row = _mm512_sub_pd(_mm512_add_pd(_mm512_max_pd(e, zero), l), _mm512_mul_pd(y, e));
    acc = _mm512_add_pd(acc, _mm512_mul_pd(wv, row));
    const __m512d num = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(e, zero, _CMP_GE_OQ), t, one);
    const __m512d p = _mm512_div_pd(num, _mm512_add_pd(one, t));
    if (mu != NULL) _mm512_storeu_pd(mu, p);
    if (R != NULL) _mm512_storeu_pd(R, _mm512_mul_pd(wv, _mm512_sub_pd(p, y)));
    if (V != NULL) _mm512_storeu_pd(V, _mm512_mul_pd(wv, _mm512_max_pd(_mm512_mul_pd(p, _mm512_sub_pd(one, p)), floor)));
    return acc;
}

/* The eight lanes' sum in a fixed order. */
static inline AVX512 double sum8(__m512d acc)
{
    double s[8];
    _mm512_storeu_pd(s, acc);
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

static AVX512 double eval_avx512(int64_t n, const double *eta, const double *Y, const double *w, double *mu,
                                 double *R, double *V, double floor)
{
    const __m512d fl = _mm512_set1_pd(floor);
    __m512d acc = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc = eval8(eta + i, Y + i, w + i, mu ? mu + i : NULL, R ? R + i : NULL, V ? V + i : NULL, fl, acc);
    }
    if (i < n) {
        /* The last rows padded with eta = y = w = 0, which add nothing. */
        double e[8] = {0}, y[8] = {0}, wv[8] = {0}, m8[8], r8[8], v8[8];
        const int64_t k = n - i;
        for (int64_t r = 0; r < k; r++) {
            e[r] = eta[i + r];
            y[r] = Y[i + r];
            wv[r] = w[i + r];
        }
        acc = eval8(e, y, wv, m8, r8, v8, fl, acc);
        for (int64_t r = 0; r < k; r++) {
            if (mu != NULL) mu[i + r] = m8[r];
            if (R != NULL) R[i + r] = r8[r];
            if (V != NULL) V[i + r] = v8[r];
        }
    }
    return sum8(acc);
}

static inline AVX512 __m512d xlogx8(__m512d x)
{
    const __m512d v = _mm512_mul_pd(x, _ZGVeN8v_log(x));
    return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ), v);
}

/* Eight rows of conj4's work. */
static inline AVX512 int conj8(const double *mu, const double *Y, const double *w, __m512d delta, __m512d kappa,
                               __m512d *acc)
{
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    const __m512d y = _mm512_loadu_pd(Y), wv = _mm512_loadu_pd(w);
    const __m512d t = _mm512_add_pd(y, _mm512_mul_pd(kappa, _mm512_sub_pd(_mm512_sub_pd(_mm512_loadu_pd(mu), delta), y)));
    const __mmask8 used = _mm512_cmp_pd_mask(wv, zero, _CMP_NEQ_UQ);
    const __mmask8 inside = _mm512_cmp_pd_mask(t, zero, _CMP_GE_OQ) & _mm512_cmp_pd_mask(t, one, _CMP_LE_OQ);
    if ((used & (__mmask8)~inside) != 0) return 0;
    const __m512d h = _mm512_add_pd(xlogx8(t), xlogx8(_mm512_sub_pd(one, t)));
    *acc = _mm512_add_pd(*acc, _mm512_maskz_mov_pd(used, _mm512_mul_pd(wv, h)));
    return 1;
}

static AVX512 double conj_avx512(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                                 double kappa)
{
    const __m512d dv = _mm512_set1_pd(delta), kv = _mm512_set1_pd(kappa);
    __m512d acc = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        if (!conj8(mu + i, Y + i, w + i, dv, kv, &acc)) return INFINITY;
    }
    if (i < n) {
        /* Padded with w = 0: those rows are skipped. */
        double m8[8] = {0}, y[8] = {0}, wv[8] = {0};
        for (int64_t r = 0; r < n - i; r++) {
            m8[r] = mu[i + r];
            y[r] = Y[i + r];
            wv[r] = w[i + r];
        }
        if (!conj8(m8, y, wv, dv, kv, &acc)) return INFINITY;
    }
    return sum8(acc);
}

#endif /* LARIAT_HAVE_LIBMVEC_AVX512 */

int lariat_binomial_eval_simd(int64_t n, const double *eta, const double *Y, const double *w, double *mu, double *R,
                              double *V, double floor, double *loss)
{
    const int width = lariat_simd_width();
#if defined(LARIAT_HAVE_LIBMVEC_AVX512)
    if (width == 8) {
        *loss = eval_avx512(n, eta, Y, w, mu, R, V, floor);
        return 1;
    }
#endif
    if (width == 0) return 0;
    *loss = eval_avx2(n, eta, Y, w, mu, R, V, floor);
    return 1;
}

int lariat_binomial_conj_simd(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                              double kappa, double *out)
{
    const int width = lariat_simd_width();
#if defined(LARIAT_HAVE_LIBMVEC_AVX512)
    if (width == 8) {
        *out = conj_avx512(n, mu, Y, w, delta, kappa);
        return 1;
    }
#endif
    if (width == 0) return 0;
    *out = conj_avx2(n, mu, Y, w, delta, kappa);
    return 1;
}

#else /* no libmvec, or not x86-64: the callers run their scalar loops */

int lariat_simd_width(void) { return 0; }

int lariat_simd_set_width(int width)
{
    (void)width;
    return 0;
}

int lariat_simd_available(void) { return 0; }

int lariat_binomial_eval_simd(int64_t n, const double *eta, const double *Y, const double *w, double *mu, double *R,
                              double *V, double floor, double *loss)
{
    (void)n, (void)eta, (void)Y, (void)w, (void)mu, (void)R, (void)V, (void)floor, (void)loss;
    return 0;
}

int lariat_binomial_conj_simd(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                              double kappa, double *out)
{
    (void)n, (void)mu, (void)Y, (void)w, (void)delta, (void)kappa, (void)out;
    return 0;
}

#endif
