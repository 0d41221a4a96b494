/*
** The seeded test split of `--test-fraction` and the metrics on the held-out
** rows (formulas and conventions in split.h).
*/
#include "data/split.h"

#include "core/core.h"
#include "core/rng.h"
#include "data/tiles.h"
#include "family/family.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

int lariat_split_is_test(uint64_t seed, int64_t row, double fraction)
{
    /* One Bernoulli(fraction) draw per global row: independent of the rank
    ** that holds the row and of every other row. */
    return fraction > 0.0 && lariat_uniform(seed, LARIAT_STREAM_TEST_SPLIT, (uint64_t)row, 0) < fraction;
}

int lariat_split_weights(lariat_ctx *ctx, const lariat_data *data, uint64_t seed, double fraction,
                         double *train_w, double *test_w, int64_t *n_test, int64_t *n_train)
{
    int rc = LARIAT_OK;
    if (!(fraction >= 0.0 && fraction < 1.0)) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "--test-fraction %g is not in [0, 1)", fraction);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;

    int64_t counts[2] = {0, 0}; /* test rows, training rows */
    for (int64_t i = 0; i < data->n_local; i++) {
        int test = lariat_split_is_test(seed, data->row0 + i, fraction);
        counts[test ? 0 : 1]++;
        if (train_w != NULL) train_w[i] = test ? 0.0 : data->w[i];
        if (test_w != NULL) test_w[i] = test ? data->w[i] : 0.0;
    }
    if (MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_INT64_T, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the test split counts failed");
    }
    if (n_test != NULL) *n_test = counts[0];
    if (n_train != NULL) *n_train = counts[1];
    /* The counts are global, so every rank takes the same branch. */
    if (fraction > 0.0 && (counts[0] == 0 || counts[1] == 0)) {
        return lariat_error(ctx, LARIAT_EDATA,
                            "--test-fraction %g holds out %lld of %lld rows: at least one test row and one "
                            "training row are needed",
                            fraction, (long long)counts[0], (long long)(counts[0] + counts[1]));
    }
    return LARIAT_OK;
}

/* The metrics' sums over one tile of rows (data/tiles.h), so that the
** printed metrics are the same at any rank count. */
typedef struct metrics_tile {
    const lariat_data *data;
    const double *w, *pred; /* gaussian: n_local predictions */
    double ybar;            /* gaussian, second pass: the test mean */
    const lariat_fit *fit;  /* families: eta (K per row) in pred */
    const lariat_family *fam;
    int K;
    double *y;              /* families: K of scratch */
} metrics_tile;

/* Gaussian, first pass: [count, W, sum w y, sum w e^2, sum w |e|]. */
static void gaussian_sums(void *arg, int64_t i0, int64_t m, double *s)
{
    const metrics_tile *a = arg;
    for (int k = 0; k < 5; k++) s[k] = 0.0;
    for (int64_t i = i0; i < i0 + m; i++) {
        if (!(a->w[i] > 0.0)) continue;
        double e = a->data->y[i] - a->pred[i];
        s[0] += 1.0;
        s[1] += a->w[i];
        s[2] += a->w[i] * a->data->y[i];
        s[3] += a->w[i] * e * e;
        s[4] += a->w[i] * fabs(e);
    }
}

/* Gaussian, second pass: sum w (y - ybar)^2. */
static void gaussian_tss(void *arg, int64_t i0, int64_t m, double *s)
{
    const metrics_tile *a = arg;
    s[0] = 0.0;
    for (int64_t i = i0; i < i0 + m; i++) {
        if (a->w[i] > 0.0) s[0] += a->w[i] * (a->data->y[i] - a->ybar) * (a->data->y[i] - a->ybar);
    }
}

int lariat_metrics_compute(lariat_ctx *ctx, const lariat_data *data, const double *weights, double intercept,
                           const double *coef, lariat_metrics *out)
{
    const double *w = weights != NULL ? weights : data->w;
    double *pred = lariat_malloc(ctx, (size_t)data->n_local, sizeof(double), "predictions");
    int rc = lariat_agree(ctx, pred == NULL ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc != LARIAT_OK) goto cleanup;
    lariat_predict(data, intercept, coef, pred);

    /* First pass, one tiled sum: the count, W, sum w y, sum w e^2, sum w |e|. */
    double s[5];
    metrics_tile arg = {data, w, pred, 0.0, NULL, NULL, 0, NULL};
    rc = lariat_tile_sum(ctx, data, 5, gaussian_sums, &arg, s);
    if (rc != LARIAT_OK) goto cleanup;
    if (s[0] == 0.0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "no rows with positive weight to compute metrics on");
        goto cleanup;
    }
    double W = s[1], ybar = s[2] / W;

    /* Second pass for the total sum of squares about the test mean: summing
    ** (y - ybar)^2 directly avoids the cancellation of sum w y^2 - W ybar^2. */
    double tss = 0.0;
    arg.ybar = ybar;
    rc = lariat_tile_sum(ctx, data, 1, gaussian_tss, &arg, &tss);
    if (rc != LARIAT_OK) goto cleanup;

    out->n = (int64_t)s[0];
    out->W = W;
    out->family = LARIAT_FAMILY_GAUSSIAN;
    out->deviance = out->class_error = out->brier = out->auc = NAN;
    out->mse = s[3] / W;
    out->rmse = sqrt(out->mse);
    out->mae = s[4] / W;
    /* Constant test labels: scikit-learn's force_finite convention (split.h). */
    if (tss > 0.0) {
        out->r2 = 1.0 - s[3] / tss;
    } else {
        out->r2 = s[3] == 0.0 ? 1.0 : 0.0;
    }

cleanup:
    free(pred);
    return rc;
}

/* Not collective. Row i's labels in the family's layout (family.h) into y
** (K values): binomial with classes {0, 1} the label itself when it lies in
** [0, 1] (a proportion), else the indicator of class 1; multinomial the
** one-hot indicator of the row's class. */
static void row_labels(const lariat_fit *fit, double label, int K, double *y)
{
    for (int k = 0; k < K; k++) y[k] = 0.0;
    if (fit->family == LARIAT_FAMILY_BINOMIAL) {
        const int proportions = fit->classes[0] == 0.0 && fit->classes[1] == 1.0;
        if (proportions) y[0] = label >= 0.0 && label <= 1.0 ? label : 0.0;
        else y[0] = label == fit->classes[1] ? 1.0 : 0.0;
        return;
    }
    for (int k = 0; k < K && k < fit->nclass; k++) {
        if (fit->classes[k] == label) y[k] = 1.0;
    }
}

/* The families: [count, W, sum w deviance, sum w class error, sum w Brier]. */
static void family_sums(void *arg, int64_t i0, int64_t m, double *s)
{
    const metrics_tile *a = arg;
    const int K = a->K;
    for (int k = 0; k < 5; k++) s[k] = 0.0;
    for (int64_t i = i0; i < i0 + m; i++) {
        if (!(a->w[i] > 0.0)) continue;
        const double *e = a->pred + i * K;
        row_labels(a->fit, a->data->y[i], K, a->y);
        s[0] += 1.0;
        s[1] += a->w[i];
        s[2] += a->w[i] * lariat_family_row_error(a->fam, LARIAT_MEASURE_DEVIANCE, K, e, 1, a->y, 1);
        s[3] += a->w[i] * lariat_family_row_error(a->fam, LARIAT_MEASURE_CLASS, K, e, 1, a->y, 1);
        s[4] += a->w[i] * lariat_family_row_error(a->fam, LARIAT_MEASURE_MSE, K, e, 1, a->y, 1);
    }
}

/* Collective. The AUC of the scored rows: rank 0 gathers every rank's
** (eta, y, w) triples, computes it and broadcasts it. */
static int gathered_auc(lariat_ctx *ctx, const double *trip, int64_t m, double *auc)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int rank = lariat_ctx_rank(ctx), size = lariat_ctx_size(ctx);
    long long mine = (long long)m, total = 0;
    if (MPI_Allreduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the test row count failed");
    }
    /* MPI counts are int: the triples of all test rows must fit one. */
    if (total > INT_MAX / 3) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%lld held-out rows are too many to gather for the test AUC (at most %d)",
                            total, INT_MAX / 3);
    }
    int count = (int)(3 * m);
    int *counts = rank == 0 ? lariat_malloc(ctx, (size_t)size, sizeof(int), "gather counts") : NULL;
    int *displs = rank == 0 ? lariat_malloc(ctx, (size_t)size, sizeof(int), "gather offsets") : NULL;
    double *all = rank == 0 ? lariat_malloc(ctx, (size_t)(3 * total > 0 ? 3 * total : 1), sizeof(double), "test rows")
                            : NULL;
    int64_t *idx = rank == 0 ? lariat_malloc(ctx, (size_t)(total > 0 ? total : 1), sizeof(int64_t), "AUC order")
                             : NULL;
    int rc = lariat_agree(ctx, rank == 0 && !(counts && displs && all && idx) ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc == LARIAT_OK && MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Gather of the test row counts failed");
    }
    if (rc == LARIAT_OK && rank == 0) {
        int at = 0;
        for (int r = 0; r < size; r++) {
            displs[r] = at;
            at += counts[r];
        }
    }
    if (rc == LARIAT_OK &&
        MPI_Gatherv(trip, count, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Gatherv of the test rows failed");
    }
    double value = NAN;
    if (rc == LARIAT_OK && rank == 0) {
        /* Split the triples into the three arrays lariat_auc takes, in place
        ** of the gather buffer's order: s, then y, then w. */
        double *s = lariat_malloc(ctx, (size_t)(3 * total > 0 ? 3 * total : 1), sizeof(double), "AUC rows");
        if (s == NULL) {
            rc = LARIAT_ENOMEM;
        } else {
            for (long long i = 0; i < total; i++) {
                s[i] = all[3 * i];
                s[total + i] = all[3 * i + 1];
                s[2 * total + i] = all[3 * i + 2];
            }
            value = lariat_auc((int64_t)total, s, s + total, s + 2 * total, idx);
            free(s);
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && MPI_Bcast(&value, 1, MPI_DOUBLE, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the test AUC failed");
    }
    *auc = value;
    free(counts);
    free(displs);
    free(all);
    free(idx);
    return rc;
}

int lariat_metrics_compute_fit(lariat_ctx *ctx, const lariat_data *data, const double *weights, const lariat_fit *fit,
                               const lariat_solution *sol, int auc, lariat_metrics *out)
{
    if (fit->family == LARIAT_FAMILY_GAUSSIAN) {
        return lariat_metrics_compute(ctx, data, weights, sol->intercept, sol->coef, out);
    }
    const lariat_family *fam = lariat_family_of(fit->family);
    const double *w = weights != NULL ? weights : data->w;
    const int K = fit->nlin > 0 ? fit->nlin : 1;
    const int64_t n = data->n_local;
    const int with_auc = auc && fit->family == LARIAT_FAMILY_BINOMIAL;
    double *eta = lariat_malloc(ctx, (size_t)(n * K > 0 ? n * K : 1), sizeof(double), "predictions");
    double *y = lariat_malloc(ctx, (size_t)K, sizeof(double), "row labels");
    double *trip = with_auc ? lariat_malloc(ctx, (size_t)(3 * n > 0 ? 3 * n : 1), sizeof(double), "scored rows") : NULL;
    int rc = lariat_agree(ctx, eta == NULL || y == NULL || (with_auc && trip == NULL) ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, lariat_predict_solution(ctx, data, fit, sol, LARIAT_PREDICT_LINK, eta));
    /* One tiled sum: count, W, and the weighted sums of the three row
    ** errors; the binomial rows' (eta, y, w) kept for the AUC. */
    double s[5] = {0, 0, 0, 0, 0};
    int64_t m = 0;
    for (int64_t i = 0; rc == LARIAT_OK && with_auc && i < n; i++) {
        if (!(w[i] > 0.0)) continue;
        row_labels(fit, data->y[i], K, y);
        trip[3 * m] = eta[i * K];
        trip[3 * m + 1] = y[0];
        trip[3 * m + 2] = w[i];
        m++;
    }
    metrics_tile arg = {data, w, eta, 0.0, fit, fam, K, y};
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, data, 5, family_sums, &arg, s);
    if (rc == LARIAT_OK && s[0] == 0.0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "no rows with positive weight to compute metrics on");
    }
    if (rc == LARIAT_OK) {
        out->n = (int64_t)s[0];
        out->W = s[1];
        out->family = fit->family;
        out->mse = out->rmse = out->mae = out->r2 = NAN;
        out->deviance = s[2] / s[1];
        out->class_error = s[3] / s[1];
        out->brier = s[4] / s[1];
        out->auc = NAN;
    }
    if (rc == LARIAT_OK && with_auc) rc = gathered_auc(ctx, trip, m, &out->auc);
    free(eta);
    free(y);
    free(trip);
    return rc;
}
