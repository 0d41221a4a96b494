/*
** The binomial row loops of family/simd.h on AVX2 and libmvec. The default
** build targets any x86-64: only the functions marked AVX2 below are
** compiled for AVX2 and FMA, and they run only after the CPU has been asked
** (lariat_simd_available); libmvec picks its own implementation inside.
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

int lariat_simd_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

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

int lariat_binomial_eval_simd(int64_t n, const double *eta, const double *Y, const double *w, double *mu, double *R,
                              double *V, double floor, double *loss)
{
    if (!lariat_simd_available()) return 0;
    *loss = eval_avx2(n, eta, Y, w, mu, R, V, floor);
    return 1;
}

int lariat_binomial_conj_simd(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                              double kappa, double *out)
{
    if (!lariat_simd_available()) return 0;
    *out = conj_avx2(n, mu, Y, w, delta, kappa);
    return 1;
}

#else /* no libmvec, or not x86-64: the callers run their scalar loops */

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
