/*
** The held-out test split of `--test-fraction F` (SPEC.md section 4) and the
** metrics reported on it ("test_metrics", SPEC.md section 5).
**
** Row i (global, 0-based, file order) is a test row when
**     lariat_uniform(seed, LARIAT_STREAM_TEST_SPLIT, i, 0) < F,
** an independent Bernoulli(F) draw per row: the split is a pure function of
** (seed, i, F), the same for any number of ranks, and the held-out count is
** APPROXIMATELY F * n (binomial, standard deviation sqrt(F (1-F) n)), not
** exactly. With 0 < F < 1 at least one test row and one training row are
** required, otherwise the split is an error (LARIAT_EDATA: too few rows).
**
** Metrics on the rows with positive weight in `weights` (the test rows),
** with e_i = y_i - yhat_i and W = sum_i w_i over those rows:
**     mse  = sum_i w_i e_i^2 / W,           rmse = sqrt(mse),
**     mae  = sum_i w_i |e_i| / W,
**     r2   = 1 - sum_i w_i e_i^2 / sum_i w_i (y_i - ybar)^2,
**            ybar = sum_i w_i y_i / W the weighted mean of the TEST labels
** (scikit-learn's mean_squared_error, mean_absolute_error and r2_score with
** sample_weight). When the test labels are constant the denominator of r2 is
** 0: r2 is then 1 for a perfect prediction and 0 otherwise (scikit-learn's
** force_finite rule), so the number is always finite.
**
** For the binomial and multinomial families (SPEC.md section 9) the metrics
** are the cross-validation measures of family.h, per row from its linear
** predictors and weighted the same way, over the rows scored:
**     deviance    = sum_i w_i dev_i / W     (probabilities clamped to [1e-5, 1 - 1e-5])
**     class_error = sum_i w_i [most probable class != the row's] / W
**     brier       = sum_i w_i sum_k (y_ik - p_ik)^2 / W   (the mse measure: for
**                   binomial 2 (y - p)^2, as glmnet)
**     auc         (binomial) the weighted area under the ROC curve of eta,
**                 ties one half (lariat_auc); every scored row's (eta, y, w)
**                 is gathered to rank 0, which computes it and broadcasts it:
**                 held-out rows are a small share of the data, and the AUC
**                 needs them all in one order.
*/
#ifndef LARIAT_SPLIT_H
#define LARIAT_SPLIT_H

#include "lariat.h"

#include <stdint.h>

typedef struct lariat_metrics {
    int64_t n; /* rows scored (positive weight), global */
    double W;  /* their weight sum */
    double mse, rmse, mae, r2;  /* gaussian */
    lariat_family_kind family;  /* which metrics apply */
    double deviance, class_error, brier; /* binomial and multinomial */
    double auc;                 /* binomial */
} lariat_metrics;

/* Not collective. 1 when global row `row` is held out for testing at this
** fraction (0 <= fraction < 1; 0 holds out nothing). */
int lariat_split_is_test(uint64_t seed, int64_t row, double fraction);

/* Collective. For this rank's rows of data: train_w[i] = data->w[i] on
** training rows and 0 on test rows, test_w[i] the reverse (either may be NULL
** when not wanted; each n_local values, caller-allocated). Counts the global
** test and training rows (n_test, n_train may be NULL). Errors, agreed:
** LARIAT_EUSAGE when fraction is not in [0, 1); LARIAT_EDATA when
** 0 < fraction and no row, or every row, is held out. */
int lariat_split_weights(lariat_ctx *ctx, const lariat_data *data, uint64_t seed, double fraction,
                         double *train_w, double *test_w, int64_t *n_test, int64_t *n_train);

/* Collective. The metrics above of the model (intercept, coef: p values on
** the original scale) on the rows of data with weights[i] > 0 (weights:
** n_local values, e.g. test_w of lariat_split_weights; NULL = data->w, every
** row). Predictions come from lariat_predict. Two allreduces. Errors
** (agreed): LARIAT_EDATA when no row has positive weight; LARIAT_ENOMEM. */
int lariat_metrics_compute(lariat_ctx *ctx, const lariat_data *data, const double *weights, double intercept,
                           const double *coef, lariat_metrics *out);

/* Collective. The metrics of solution sol of fit (of any family: gaussian
** as lariat_metrics_compute, binomial and multinomial as above) on the rows
** of data with weights[i] > 0 (NULL = data->w). Labels that are no class of
** the fit count as no class (all y_ik = 0). The binomial AUC only when auc
** is 1 (else NaN: the training rows' summary needs none, and gathering all
** of them to one rank would not scale). Errors (agreed): LARIAT_EDATA when
** no row has positive weight; LARIAT_EUSAGE when more rows than an MPI
** count can gather for the AUC; LARIAT_ENOMEM; LARIAT_EMPI. */
int lariat_metrics_compute_fit(lariat_ctx *ctx, const lariat_data *data, const double *weights, const lariat_fit *fit,
                               const lariat_solution *sol, int auc, lariat_metrics *out);

#endif /* LARIAT_SPLIT_H */
