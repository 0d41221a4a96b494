/*
** The seeded test split of `--test-fraction` and the metrics on the held-out
** rows (formulas and conventions in split.h).
*/
#include "data/split.h"

#include "core/core.h"
#include "core/rng.h"

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

int lariat_metrics_compute(lariat_ctx *ctx, const lariat_data *data, const double *weights, double intercept,
                           const double *coef, lariat_metrics *out)
{
    const double *w = weights != NULL ? weights : data->w;
    double *pred = lariat_malloc(ctx, (size_t)data->n_local, sizeof(double), "predictions");
    int rc = lariat_agree(ctx, pred == NULL ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc != LARIAT_OK) goto cleanup;
    lariat_predict(data, intercept, coef, pred);

    /* First pass, one allreduce: the count, W, sum w y, sum w e^2, sum w |e|. */
    double s[5] = {0, 0, 0, 0, 0};
    for (int64_t i = 0; i < data->n_local; i++) {
        if (!(w[i] > 0.0)) continue;
        double e = data->y[i] - pred[i];
        s[0] += 1.0;
        s[1] += w[i];
        s[2] += w[i] * data->y[i];
        s[3] += w[i] * e * e;
        s[4] += w[i] * fabs(e);
    }
    rc = lariat_allreduce_sum(ctx, s, 5);
    if (rc != LARIAT_OK) goto cleanup;
    if (s[0] == 0.0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "no rows with positive weight to compute metrics on");
        goto cleanup;
    }
    double W = s[1], ybar = s[2] / W;

    /* Second pass for the total sum of squares about the test mean: summing
    ** (y - ybar)^2 directly avoids the cancellation of sum w y^2 - W ybar^2. */
    double tss = 0.0;
    for (int64_t i = 0; i < data->n_local; i++) {
        if (w[i] > 0.0) tss += w[i] * (data->y[i] - ybar) * (data->y[i] - ybar);
    }
    rc = lariat_allreduce_sum(ctx, &tss, 1);
    if (rc != LARIAT_OK) goto cleanup;

    out->n = (int64_t)s[0];
    out->W = W;
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
