/*
** The three families' row losses, means, gradients, IRLS weights and
** conjugates (family.h), the null model, and the cross-validation measures
** of SPEC.md section 9.
*/
#include "family/family.h"

#include "family/simd.h"
#include "linalg/rsum.h"

#include <math.h>
#include <stdlib.h>

/* cv.glmnet clamps probabilities to [1e-5, 1 - 1e-5] for the deviance
** (checked against its fixtures: mse and mae use them unclamped). */
#define PROB_CLAMP 1e-5
/* glmnet floors the IRLS weights p (1 - p) away from 0 so that the Newton
** model stays positive definite on (nearly) separated rows. */
#define IRLS_FLOOR (1e-5 * (1.0 - 1e-5))

/* x log x with 0 log 0 = 0. */
static double xlogx(double x) { return x > 0.0 ? x * log(x) : 0.0; }

/* ---------------------------------------------------------------- gaussian */

static double gaussian_eval(int64_t n, int64_t ld, int K, const double *eta, const double *Y, const double *w, double *mu,
                            double *R, double *V)
{
    (void)K;
    (void)ld;
    double loss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double e = eta[i] - Y[i];
        loss += w[i] * 0.5 * e * e;
        if (mu != NULL) mu[i] = eta[i];
        if (R != NULL) R[i] = w[i] * e;
        if (V != NULL) V[i] = w[i];
    }
    return loss;
}

static double gaussian_diff(int64_t n, int64_t ld, int K, const double *a, const double *b, const double *Y, const double *w)
{
    (void)K;
    (void)ld;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += w[i] * (a[i] - b[i]) * (0.5 * (a[i] + b[i]) - Y[i]);
    return s;
}

static double gaussian_conj(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                            const double *delta, double kappa)
{
    (void)K;
    (void)ld;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double u = kappa * (mu[i] - delta[0] - Y[i]);
        s += w[i] * (0.5 * u * u + u * Y[i]);
    }
    return s;
}

/* ---------------------------------------------------------------- binomial */

/* log(1 + exp(e)) without overflow. */
static double log1pexp(double e) { return e > 0.0 ? e + log1p(exp(-e)) : log1p(exp(e)); }

static double binomial_eval(int64_t n, int64_t ld, int K, const double *eta, const double *Y, const double *w, double *mu,
                            double *R, double *V)
{
    (void)K;
    (void)ld;
    double loss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        /* One exponential serves both: t = exp(-|e|), log(1 + exp(e)) =
        ** max(e, 0) + log1p(t), and p = 1 / (1 + t) or t / (1 + t). */
        const double e = eta[i], t = exp(-fabs(e));
        loss += w[i] * (fmax(e, 0.0) + log1p(t) - Y[i] * e);
        const double p = e >= 0.0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
        if (mu != NULL) mu[i] = p;
        if (R != NULL) R[i] = w[i] * (p - Y[i]);
        if (V != NULL) V[i] = w[i] * fmax(p * (1.0 - p), IRLS_FLOOR);
    }
    return loss;
}

/* log(1 + e^a) - log(1 + e^b) = log1p(sigma(b) expm1(a - b)): exact in
** the difference, whatever the size of the two terms. */
static double binomial_diff(int64_t n, int64_t ld, int K, const double *a, const double *b, const double *Y, const double *w)
{
    (void)K;
    (void)ld;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double e = b[i], d = a[i] - b[i];
        const double sb = e >= 0.0 ? 1.0 / (1.0 + exp(-e)) : exp(e) / (1.0 + exp(e));
        const double t = sb * expm1(d);
        /* For large steps (t huge) the direct form has no cancellation to fear. */
        const double lse = t > 1e10 ? log1pexp(a[i]) - log1pexp(e) : log1p(t);
        s += w[i] * (lse - Y[i] * d);
    }
    return s;
}

static double binomial_conj(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                            const double *delta, double kappa)
{
    (void)K;
    (void)ld;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (w[i] == 0.0) continue;
        const double t = Y[i] + kappa * (mu[i] - delta[0] - Y[i]);
        if (!(t >= 0.0 && t <= 1.0)) return INFINITY;
        s += w[i] * (xlogx(t) + xlogx(1.0 - t));
    }
    return s;
}

/* ------------------------------------------------------------- multinomial */

static double multinomial_eval(int64_t n, int64_t ld, int K, const double *eta, const double *Y, const double *w, double *mu,
                               double *R, double *V)
{
    double loss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        /* log sum exp, shifted by the largest predictor. */
        double m = eta[i];
        for (int k = 1; k < K; k++) m = fmax(m, eta[k * ld + i]);
        double z = 0.0, ye = 0.0;
        for (int k = 0; k < K; k++) {
            z += exp(eta[k * ld + i] - m);
            ye += Y[k * ld + i] * eta[k * ld + i];
        }
        const double lse = m + log(z);
        loss += w[i] * (lse - ye);
        for (int k = 0; k < K; k++) {
            const double p = exp(eta[k * ld + i] - lse);
            if (mu != NULL) mu[k * ld + i] = p;
            if (R != NULL) R[k * ld + i] = w[i] * (p - Y[k * ld + i]);
            if (V != NULL) V[k * ld + i] = w[i] * fmax(p * (1.0 - p), IRLS_FLOOR);
        }
    }
    return loss;
}

/* lse(a) - lse(b) = log1p(sum_k p_k(b) expm1(a_k - b_k)). */
static double multinomial_diff(int64_t n, int64_t ld, int K, const double *a, const double *b, const double *Y, const double *w)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double m = b[i];
        for (int k = 1; k < K; k++) m = fmax(m, b[k * ld + i]);
        double z = 0.0;
        for (int k = 0; k < K; k++) z += exp(b[k * ld + i] - m);
        double t = 0.0, yd = 0.0;
        for (int k = 0; k < K; k++) {
            const double d = a[k * ld + i] - b[k * ld + i];
            t += exp(b[k * ld + i] - m) / z * expm1(d);
            yd += Y[k * ld + i] * d;
        }
        s += w[i] * (log1p(t) - yd);
    }
    return s;
}

static double multinomial_conj(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                               const double *delta, double kappa)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (w[i] == 0.0) continue;
        for (int k = 0; k < K; k++) {
            const double t = Y[k * ld + i] + kappa * (mu[k * ld + i] - delta[k] - Y[k * ld + i]);
            if (!(t >= 0.0 && t <= 1.0)) return INFINITY;
            s += w[i] * xlogx(t);
        }
    }
    return s;
}

static double gaussian_kappa(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                             const double *delta, double cap)
{
    (void)n, (void)ld, (void)K, (void)mu, (void)Y, (void)w, (void)delta;
    return cap;
}

/* t = y + kappa u must stay in [0, 1] (each class's, for multinomial: the
** sum stays 1 since the u sum to 0, so t_k >= 0 is enough). */
static double binomial_kappa(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                             const double *delta, double cap)
{
    (void)K;
    (void)ld;
    for (int64_t i = 0; i < n; i++) {
        if (w[i] == 0.0) continue;
        const double u = mu[i] - delta[0] - Y[i];
        if (u > 0.0) cap = fmin(cap, (1.0 - Y[i]) / u);
        if (u < 0.0) cap = fmin(cap, Y[i] / -u);
    }
    return fmax(cap, 0.0);
}

static double multinomial_kappa(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                                const double *delta, double cap)
{
    for (int64_t i = 0; i < n; i++) {
        if (w[i] == 0.0) continue;
        for (int k = 0; k < K; k++) {
            const double u = mu[k * ld + i] - delta[k] - Y[k * ld + i];
            if (u < 0.0) cap = fmin(cap, Y[k * ld + i] / -u);
        }
    }
    return fmax(cap, 0.0);
}

const lariat_family lariat_family_gaussian = {"gaussian", LARIAT_FAMILY_GAUSSIAN, 1.0, gaussian_eval,
                                              gaussian_diff, gaussian_conj, gaussian_kappa};
const lariat_family lariat_family_binomial = {"binomial", LARIAT_FAMILY_BINOMIAL, 0.25, binomial_eval,
                                              binomial_diff, binomial_conj, binomial_kappa};
const lariat_family lariat_family_multinomial = {"multinomial", LARIAT_FAMILY_MULTINOMIAL, 0.5, multinomial_eval,
                                                 multinomial_diff, multinomial_conj, multinomial_kappa};

/* The binomial loops on SIMD exp, log1p and log where the CPU has them
** (family/simd.h), else the scalar ones above. */
static double binomial_eval_simd(int64_t n, int64_t ld, int K, const double *eta, const double *Y, const double *w,
                                 double *mu, double *R, double *V)
{
    double loss;
    if (lariat_binomial_eval_simd(n, eta, Y, w, mu, R, V, IRLS_FLOOR, &loss)) return loss;
    return binomial_eval(n, ld, K, eta, Y, w, mu, R, V);
}

static double binomial_conj_simd(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w,
                                 const double *delta, double kappa)
{
    double s;
    if (lariat_binomial_conj_simd(n, mu, Y, w, delta[0], kappa, &s)) return s;
    return binomial_conj(n, ld, K, mu, Y, w, delta, kappa);
}

const lariat_family lariat_family_binomial_simd = {"binomial", LARIAT_FAMILY_BINOMIAL, 0.25, binomial_eval_simd,
                                                   binomial_diff, binomial_conj_simd, binomial_kappa};

const lariat_family *lariat_family_of(lariat_family_kind kind)
{
    switch (kind) {
    case LARIAT_FAMILY_GAUSSIAN: return &lariat_family_gaussian;
    case LARIAT_FAMILY_BINOMIAL: return &lariat_family_binomial;
    case LARIAT_FAMILY_MULTINOMIAL: return &lariat_family_multinomial;
    }
    return NULL;
}

const char *lariat_family_name(lariat_family_kind kind)
{
    const lariat_family *f = lariat_family_of(kind);
    return f != NULL ? f->name : "?";
}

double lariat_family_null(const lariat_family *fam, int K, const double *ybar, int intercept, double *b0)
{
    switch (fam->kind) {
    case LARIAT_FAMILY_GAUSSIAN:
        b0[0] = intercept ? ybar[0] : 0.0;
        return NAN;
    case LARIAT_FAMILY_BINOMIAL:
        if (!intercept) {
            b0[0] = 0.0;
            return log(2.0);
        }
        b0[0] = log(ybar[0]) - log1p(-ybar[0]);
        return -(xlogx(ybar[0]) + xlogx(1.0 - ybar[0]));
    case LARIAT_FAMILY_MULTINOMIAL: {
        if (!intercept) {
            for (int k = 0; k < K; k++) b0[k] = 0.0;
            return log((double)K);
        }
        double mean = 0.0, h = 0.0;
        for (int k = 0; k < K; k++) {
            b0[k] = log(ybar[k]);
            mean += b0[k] / K;
            h -= xlogx(ybar[k]);
        }
        for (int k = 0; k < K; k++) b0[k] -= mean;
        return h;
    }
    }
    return NAN;
}

lariat_measure lariat_measure_resolve(lariat_family_kind kind, lariat_measure m)
{
    if (m != LARIAT_MEASURE_DEFAULT) return m;
    return kind == LARIAT_FAMILY_GAUSSIAN ? LARIAT_MEASURE_MSE : LARIAT_MEASURE_DEVIANCE;
}

const char *lariat_measure_name(lariat_measure m)
{
    switch (m) {
    case LARIAT_MEASURE_DEFAULT: return "default";
    case LARIAT_MEASURE_MSE: return "mse";
    case LARIAT_MEASURE_MAE: return "mae";
    case LARIAT_MEASURE_DEVIANCE: return "deviance";
    case LARIAT_MEASURE_CLASS: return "class";
    case LARIAT_MEASURE_AUC: return "auc";
    }
    return "?";
}

int lariat_measure_minimized(lariat_measure m) { return m != LARIAT_MEASURE_AUC; }

static double clamp_prob(double p) { return fmin(fmax(p, PROB_CLAMP), 1.0 - PROB_CLAMP); }

double lariat_family_row_error(const lariat_family *fam, lariat_measure m, int K, const double *eta, int64_t stride,
                               const double *y, int64_t ystride)
{
    if (fam->kind == LARIAT_FAMILY_GAUSSIAN) {
        const double e = y[0] - eta[0];
        return m == LARIAT_MEASURE_MAE ? fabs(e) : e * e;
    }
    if (fam->kind == LARIAT_FAMILY_BINOMIAL) {
        const double e = eta[0], yy = y[0];
        const double raw = e >= 0.0 ? 1.0 / (1.0 + exp(-e)) : exp(e) / (1.0 + exp(e));
        const double p = clamp_prob(raw);
        switch (m) {
        case LARIAT_MEASURE_DEVIANCE:
            /* A 0/1 label (the usual case) takes one logarithm instead of
            ** three: the same bits as the sum, whose other terms are then
            ** exact zeros (p is clamped inside (0, 1)). The CV scores every
            ** held-out row at every lambda: on 100,000 x 100 binomial rows
            ** that was 10 million rows, about 4% of the CV's time. */
            if (yy == 1.0) return 2.0 * -log(p);
            if (yy == 0.0) return 2.0 * -log(1.0 - p);
            return 2.0 * (xlogx(yy) - yy * log(p) + xlogx(1.0 - yy) - (1.0 - yy) * log(1.0 - p));
        case LARIAT_MEASURE_CLASS: return p > 0.5 ? 1.0 - yy : yy;
        case LARIAT_MEASURE_MSE: return 2.0 * (yy - raw) * (yy - raw);
        case LARIAT_MEASURE_MAE: return 2.0 * fabs(yy - raw);
        default: return NAN;
        }
    }
    /* Multinomial: softmax, then the clamp on each class's probability. */
    double mx = eta[0];
    for (int k = 1; k < K; k++) mx = fmax(mx, eta[k * stride]);
    double z = 0.0;
    for (int k = 0; k < K; k++) z += exp(eta[k * stride] - mx);
    double err = 0.0, best = -1.0, ybest = 0.0;
    for (int k = 0; k < K; k++) {
        const double raw = exp(eta[k * stride] - mx) / z, p = clamp_prob(raw), yk = y[k * ystride];
        switch (m) {
        case LARIAT_MEASURE_DEVIANCE: err += 2.0 * (xlogx(yk) - yk * log(p)); break;
        case LARIAT_MEASURE_MSE: err += (yk - raw) * (yk - raw); break;
        case LARIAT_MEASURE_MAE: err += fabs(yk - raw); break;
        case LARIAT_MEASURE_CLASS:
            if (raw > best) { /* the first of equal maxima, as R's which.max */
                best = raw;
                ybest = yk;
            }
            break;
        default: return NAN;
        }
    }
    return m == LARIAT_MEASURE_CLASS ? 1.0 - ybest : err;
}

static const double *auc_scores;

static int by_score(const void *a, const void *b)
{
    const double x = auc_scores[*(const int64_t *)a], y = auc_scores[*(const int64_t *)b];
    return (x > y) - (x < y);
}

double lariat_auc(int64_t n, const double *s, const double *y, const double *w, int64_t *idx)
{
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    auc_scores = s;
    qsort(idx, (size_t)n, sizeof(int64_t), by_score);
    auc_scores = NULL;
    /* Walk the scores upwards in groups of ties: a positive beats every
    ** negative below its group and half of those in it. Every sum is a
    ** binned one (linalg/rsum.h), whose value depends on the set of its
    ** terms and not on their order: the AUC then depends only on which
    ** positives score above which negatives, and two lambdas that order
    ** the rows alike give the same bits. With sums in sort order, rows of
    ** one class sorted differently made the last bit differ: the folds of
    ** a CV that separate the classes at several lambdas gave AUCs 1 ulp
    ** apart, and lambda_min was not the largest of equal ones (SPEC.md
    ** section 9; cv.glmnet's cvm is bit-identical there). Beyond the
    ** binned sums' term limit, plain sums. */
    if (n > LARIAT_RSUM_MAX_TERMS) {
        double P = 0.0, N = 0.0, below = 0.0, sum = 0.0;
        for (int64_t a = 0; a < n;) {
            int64_t b = a;
            double gp = 0.0, gn = 0.0;
            while (b < n && s[idx[b]] == s[idx[a]]) {
                const int64_t i = idx[b++];
                gp += w[i] * y[i];
                gn += w[i] * (1.0 - y[i]);
            }
            sum += gp * (below + 0.5 * gn);
            below += gn;
            P += gp;
            N += gn;
            a = b;
        }
        return (P > 0.0 && N > 0.0) ? sum / (P * N) : NAN;
    }
    /* [P | N | terms]; N, read before a group's negatives join it, is the
    ** weight of the negatives below the group. A group of one row (no tie)
    ** has its weights as they are; a larger group's are binned too. */
    lariat_rsum_entry acc[3], grp[2];
    lariat_rsum_clear(acc, 3);
    for (int64_t a = 0; a < n;) {
        int64_t b = a + 1;
        while (b < n && s[idx[b]] == s[idx[a]]) b++;
        double g[2] = {w[idx[a]] * y[idx[a]], w[idx[a]] * (1.0 - y[idx[a]])}; /* gp, gn */
        if (b > a + 1) {
            lariat_rsum_clear(grp, 2);
            for (int64_t t = a; t < b; t++) {
                const double v[2] = {w[idx[t]] * y[idx[t]], w[idx[t]] * (1.0 - y[idx[t]])};
                lariat_rsum_add(grp, v, 2);
            }
            lariat_rsum_value(grp, g, 2);
        }
        if (g[0] != 0.0) {
            double below;
            lariat_rsum_value(&acc[1], &below, 1);
            const double term = g[0] * (below + 0.5 * g[1]);
            lariat_rsum_add(&acc[2], &term, 1);
            lariat_rsum_add(&acc[0], &g[0], 1);
        }
        if (g[1] != 0.0) lariat_rsum_add(&acc[1], &g[1], 1);
        a = b;
    }
    double t[3];
    lariat_rsum_value(acc, t, 3); /* P, N, sum */
    return (t[0] > 0.0 && t[1] > 0.0) ? t[2] / (t[0] * t[1]) : NAN;
}
