/*
** The loss families (SPEC.md section 9): everything that differs between
** gaussian, binomial and multinomial regression, as a table of functions over
** per-row values on this rank's rows, with no X and no MPI in it (the lesson
** of glmnet's family bases and scikit-learn's _loss module: a family knows
** eta, y and w; the solver owns every product with X and every reduction).
**
** Layout: K linear predictors (1 for gaussian and binomial, the number of
** classes for multinomial). Per-row arrays of K values are stored class-major,
** value k of row i at [k * n + i], so that predictor k's column is contiguous
** for the products with X. Labels are in the same layout: gaussian the label,
** binomial y in [0, 1] (a proportion of successes, or 0/1), multinomial the
** one-hot indicator y_ik.
**
** The row loss l_i (weighted by w_i and divided by W in the objective):
**   gaussian     (y - eta)^2 / 2
**   binomial     log(1 + exp(eta)) - y eta
**   multinomial  log sum_k exp(eta_k) - sum_k y_k eta_k
** and its convex conjugate l_i*(u) = sup_e u'e - l_i(e), which the duality gap
** needs at u = kappa (mu - delta - y) (mu the mean, delta the intercepts'
** gradient; see solvers/glm.c):
**   gaussian     u^2 / 2 + u y
**   binomial     H(y + u),  H(s) = s log s + (1 - s) log(1 - s) on [0, 1]
**   multinomial  sum_k s_k log s_k,  s = y + u on the simplex
** (Ndiaye, Fercoq, Gramfort and Salmon 2017, JMLR 18, section 2 and table 1).
*/
#ifndef LARIAT_FAMILY_H
#define LARIAT_FAMILY_H

#include "lariat.h"

#include <stdint.h>

typedef struct lariat_family {
    const char *name;         /* glmnet's name */
    lariat_family_kind kind;
    /* An upper bound on the row loss's curvature, in the sense that
    ** Hess l_i <= bound * I (per unit weight): gaussian 1, binomial 1/4,
    ** multinomial 1/2 (Bohning 1992, Ann. Inst. Stat. Math. 44, section 3:
    ** Hess = diag(p) - pp' <= (I - 11'/K) / 2). The fixed-curvature Newton
    ** model and fista's step use it. */
    double curvature_bound;
    /* Not collective. For rows i < n with K predictors: the mean mu (the
    ** inverse link of eta) into mu when not NULL; R_ik = w_i (mu_ik - y_ik),
    ** the gradient of sum_i w_i l_i with respect to eta, into R when not
    ** NULL; V_ik = w_i d mu_ik / d eta_ik (the diagonal IRLS weights; glmnet's
    ** w p (1 - p), floored at w 1e-5 (1 - 1e-5) as glmnet does) into V when
    ** not NULL. Returns sum_i w_i l_i(eta_i). Predictor k of row i is at
    ** [k ld + i] in eta, Y, mu, R and V (ld >= n: a tile of rows inside
    ** longer arrays; only K > 1 reads it). */
    double (*eval)(int64_t n, int64_t ld, int K, const double *eta, const double *Y, const double *w, double *mu, double *R,
                   double *V);
    /* Not collective. sum_i w_i (l_i(a_i) - l_i(b_i)), computed row by row
    ** from the difference a - b so that it keeps its digits when a and b
    ** are close (a line search or a descent check compares losses that
    ** differ far less than their sums' round-off). ld as for eval. */
    double (*diff)(int64_t n, int64_t ld, int K, const double *a, const double *b, const double *Y, const double *w);
    /* Not collective. sum_i w_i l_i*(kappa (mu_i - delta - y_i)), +INFINITY
    ** when a point is outside the conjugate's domain. delta has K values. */
    double (*conj)(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w, const double *delta,
                   double kappa);
    /* Not collective. The largest kappa in [0, cap] that keeps every
    ** kappa (mu_i - delta - y_i) in the conjugate's domain (cap itself when
    ** all of [0, cap] is). */
    double (*kappa_max)(int64_t n, int64_t ld, int K, const double *mu, const double *Y, const double *w, const double *delta,
                        double cap);
} lariat_family;

extern const lariat_family lariat_family_gaussian;
extern const lariat_family lariat_family_binomial;
extern const lariat_family lariat_family_multinomial;
/* The binomial family with its eval and conj on SIMD exp, log1p and log
** (family/simd.h): the same values to round-off (libmvec is within 4 ulp,
** and the sums run in four lanes), not bit for bit. The Newton solvers
** use it (the lockstep engine's CV models and binomial fit,
** solvers/glm_batch.c, and glm_newton.c's binomial fits with the fixed
** bound); it gives the same bits at any rank count and
** across a checkpoint, because every row is evaluated in the same lane of
** the same tile's loop. Where the CPU or the build lacks the vector
** functions, it is lariat_family_binomial. */
extern const lariat_family lariat_family_binomial_simd;

/* Not collective. The table of a family kind (NULL for an unknown kind). */
const lariat_family *lariat_family_of(lariat_family_kind kind);
/* Not collective. "gaussian", "binomial", "multinomial" (or "?"). */
const char *lariat_family_name(lariat_family_kind kind);

/* Not collective. The intercept-only model from the weighted label means
** ybar (K values): its intercepts b0 (K values; gaussian ybar, binomial
** logit(ybar), multinomial log ybar_k centred to sum 0) and the loss of that
** model per unit weight, N0 (binomial the binary entropy of ybar,
** multinomial the Shannon entropy of ybar; without an intercept b0 = 0 and
** N0 = log 2, log K). Gaussian: N0 is not a function of ybar (returns NAN).
** A class mean of 0 or 1 is the caller's error to catch first. */
double lariat_family_null(const lariat_family *fam, int K, const double *ybar, int intercept, double *b0);

/* Not collective. The measure's default for the family: mse for gaussian,
** deviance otherwise. */
lariat_measure lariat_measure_resolve(lariat_family_kind kind, lariat_measure m);
/* Not collective. "mse", "mae", "deviance", "class", "auc". */
const char *lariat_measure_name(lariat_measure m);
/* Not collective. Whether a smaller cvm is better (every measure but auc). */
int lariat_measure_minimized(lariat_measure m);

/* Not collective. The error of one held-out row under measure m (not AUC),
** SPEC.md section 9, from its K linear predictors eta (stride: eta[k *
** stride]) and its labels y (y[k * ystride]): gaussian (y - eta)^2 or
** |y - eta|; binomial and multinomial: deviance 2 sum_k y_k log(y_k / p_k)
** with the probabilities clamped to [1e-5, 1 - 1e-5] (as cv.glmnet),
** class (binomial y (p <= 1/2) + (1 - y) (p > 1/2); multinomial 1 when the
** most probable class is not the row's), mse sum_k (y_k - p_k)^2 and mae
** sum_k |y_k - p_k| over both classes for binomial (2 (y - p)^2, 2 |y - p|). */
double lariat_family_row_error(const lariat_family *fam, lariat_measure m, int K, const double *eta, int64_t stride,
                               const double *y, int64_t ystride);

/* Not collective. The weighted area under the ROC curve of scores s (n
** values) for labels y in [0, 1] (a row counts w y as a positive and
** w (1 - y) as a negative) with ties counted one half:
**   sum_{i, j} w_i y_i w_j (1 - y_j) ([s_i > s_j] + [s_i = s_j] / 2) / (P N),
** P and N the positive and negative weight sums. Sorts idx (n scratch
** indices) by score. NAN when P or N is 0. */
double lariat_auc(int64_t n, const double *s, const double *y, const double *w, int64_t *idx);

#endif /* LARIAT_FAMILY_H */
