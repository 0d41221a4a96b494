/*
** The public entries of one fit (include/lariat.h): the prepared problem of
** the family, then its path, with the checkpoint session's hook installed
** when the settings ask for checkpoints. The solvers and the path driver
** know nothing of checkpoints; this is where the two meet.
*/
#include "ckpt/ckpt.h"
#include "core/core.h"
#include "data/tiles.h"
#include "solvers/glm.h"
#include "solvers/path.h"
#include "solvers/prep.h"

#include <stdlib.h>

static int fit_path(lariat_ctx *ctx, const lariat_data *data, const double *row_weights, const lariat_problem *pb,
                    const lariat_settings *st, lariat_fit **out)
{
    /* The cross-entropy families: their own prepared problem and path. */
    if (pb->family != LARIAT_FAMILY_GAUSSIAN) {
        lariat_glm *g = NULL;
        int rc = lariat_glm_create(ctx, data, row_weights, pb, NULL, 0, &g);
        if (rc == LARIAT_OK) rc = lariat_ckpt_glm_fit(ctx, g, pb, st, out);
        lariat_glm_destroy(g);
        return rc;
    }
    lariat_prep *prep = NULL;
    int rc = lariat_fit_prepare(ctx, data, row_weights, pb, st, &prep);
    if (rc == LARIAT_OK) rc = lariat_ckpt_fit(ctx, prep, pb, st, out);
    lariat_prep_destroy(prep);
    return rc;
}

int lariat_fit_path(lariat_ctx *ctx, const lariat_data *data, const double *row_weights, const lariat_problem *pb,
                    const lariat_settings *st, lariat_fit **out)
{
    *out = NULL;
    /* A caller's rows off tile boundaries are fitted from an aligned copy
    ** (data/tiles.h): the answer is then the same at any rank count. */
    lariat_data *aligned = NULL;
    double *aligned_w = NULL;
    int *no_folds = NULL;
    int rc = lariat_data_align(ctx, data, row_weights, NULL, &aligned, &aligned_w, &no_folds);
    if (rc == LARIAT_OK) {
        rc = aligned ? fit_path(ctx, aligned, aligned_w, pb, st, out) : fit_path(ctx, data, row_weights, pb, st, out);
    }
    lariat_data_destroy(aligned);
    free(aligned_w);
    return rc;
}

static int lambda_max_of(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                         const lariat_problem *pb, double *lambda_max)
{
    if (pb->family != LARIAT_FAMILY_GAUSSIAN) {
        lariat_glm *g = NULL;
        int rc = lariat_glm_create(ctx, data, row_weights, pb, NULL, 0, &g);
        if (rc == LARIAT_OK) *lambda_max = g->lambda_max;
        lariat_glm_destroy(g);
        return rc;
    }
    lariat_prep *prep = NULL;
    int rc = lariat_prep_create(ctx, data, row_weights, pb, &prep);
    if (rc != LARIAT_OK) return rc;
    *lambda_max = lariat_prep_lambda_max(prep);
    lariat_prep_destroy(prep);
    return LARIAT_OK;
}

int lariat_lambda_max(lariat_ctx *ctx, const lariat_data *data, const double *row_weights, const lariat_problem *pb,
                      double *lambda_max)
{
    lariat_data *aligned = NULL;
    double *aligned_w = NULL;
    int *no_folds = NULL;
    int rc = lariat_data_align(ctx, data, row_weights, NULL, &aligned, &aligned_w, &no_folds);
    if (rc == LARIAT_OK) {
        rc = aligned ? lambda_max_of(ctx, aligned, aligned_w, pb, lambda_max)
                     : lambda_max_of(ctx, data, row_weights, pb, lambda_max);
    }
    lariat_data_destroy(aligned);
    free(aligned_w);
    return rc;
}
