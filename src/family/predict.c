/*
** Predictions of a fitted solution (SPEC.md section 9, `predict --type`):
** the linear predictors from one product with X per predictor, then the
** family's inverse link, or the most probable class.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "family/family.h"

#include <math.h>
#include <stdlib.h>

int lariat_predict_width(const lariat_fit *fit, lariat_predict_type type)
{
    if (type == LARIAT_PREDICT_CLASS || fit->family != LARIAT_FAMILY_MULTINOMIAL) return 1;
    return fit->nlin;
}

void lariat_predict(const lariat_data *data, double intercept, const double *coef, double *pred)
{
    lariat_matrix_mult(data->X, NULL, coef, pred);
    for (int64_t i = 0; i < data->n_local; i++) pred[i] += intercept;
}

int lariat_predict_solution(lariat_ctx *ctx, const lariat_data *data, const lariat_fit *fit,
                            const lariat_solution *sol, lariat_predict_type type, double *out)
{
    const int K = fit->nlin > 0 ? fit->nlin : 1;
    const int64_t n = data->n_local, p = fit->p;
    if (K == 1) {
        lariat_predict(data, sol->intercept, sol->coef, out);
        if (fit->family != LARIAT_FAMILY_BINOMIAL || type == LARIAT_PREDICT_LINK) return LARIAT_OK;
        for (int64_t i = 0; i < n; i++) {
            const double e = out[i];
            const double pr = e >= 0.0 ? 1.0 / (1.0 + exp(-e)) : exp(e) / (1.0 + exp(e));
            out[i] = type == LARIAT_PREDICT_CLASS ? fit->classes[pr > 0.5] : pr;
        }
        return LARIAT_OK;
    }
    double *col = lariat_malloc(ctx, (size_t)(n > 0 ? n : 1), sizeof(double), "predictions");
    double *eta = lariat_malloc(ctx, (size_t)(n * K > 0 ? n * K : 1), sizeof(double), "predictions");
    if (col == NULL || eta == NULL) {
        free(col);
        free(eta);
        return LARIAT_ENOMEM;
    }
    for (int k = 0; k < K; k++) {
        lariat_predict(data, sol->intercepts[k], sol->coef + k * p, col);
        for (int64_t i = 0; i < n; i++) eta[i * K + k] = col[i];
    }
    for (int64_t i = 0; i < n; i++) {
        const double *e = eta + i * K;
        double mx = e[0];
        int best = 0;
        for (int k = 1; k < K; k++) {
            if (e[k] > mx) {
                mx = e[k];
                best = k;
            }
        }
        if (type == LARIAT_PREDICT_CLASS) {
            out[i] = fit->classes[best];
            continue;
        }
        double z = 0.0;
        for (int k = 0; k < K; k++) z += exp(e[k] - mx);
        for (int k = 0; k < K; k++) out[i * K + k] = type == LARIAT_PREDICT_LINK ? e[k] : exp(e[k] - mx) / z;
    }
    free(col);
    free(eta);
    return LARIAT_OK;
}
