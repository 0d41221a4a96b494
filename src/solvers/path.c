/*
** The path driver (SPEC.md section 2): prepares the problem once, builds the
** lambda sequence, creates one solver workspace and solves each lambda warm
** started from the previous solution, then maps every solution back to the
** original scale. Cross-validation calls it once per fold. A path can
** start from a position saved in a checkpoint and calls a hook after every
** lambda, where checkpoints are written (ckpt/ckpt.h).
*/
#include "core/core.h"
#include "data/matrix.h"
#include "solvers/path.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far inside the requested duality gap the solvers aim (see below). */
#define TOL_MARGIN 1e-3

void lariat_fit_destroy(lariat_fit *fit)
{
    if (fit == NULL) return;
    if (fit->path != NULL) {
        for (int k = 0; k < fit->nlambda; k++) {
            free(fit->path[k].coef);
            free(fit->path[k].intercepts);
        }
        free(fit->path);
    }
    free(fit->classes);
    free(fit);
}

static int cmp_decreasing(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int lariat_path_lambdas(lariat_ctx *ctx, int64_t nrows, int64_t p, const lariat_settings *st, double lmax, double **out,
                        int *count)
{
    int n = st->lambda != NULL ? st->n_lambda_given : st->nlambda;
    if (n < 1) return lariat_error(ctx, LARIAT_EUSAGE, "nlambda must be at least 1");
    double *lam = lariat_malloc(ctx, (size_t)n, sizeof(double), "lambda sequence");
    if (lam == NULL) return LARIAT_ENOMEM;
    if (st->lambda != NULL) {
        for (int k = 0; k < n; k++) {
            if (!(st->lambda[k] >= 0.0) || !isfinite(st->lambda[k])) {
                free(lam);
                return lariat_error(ctx, LARIAT_EUSAGE, "lambda must be finite and >= 0, not %g", st->lambda[k]);
            }
            lam[k] = st->lambda[k];
        }
        qsort(lam, (size_t)n, sizeof(double), cmp_decreasing);
    } else {
        double ratio = st->lambda_min_ratio;
        if (ratio <= 0.0) ratio = nrows >= p ? 1e-4 : 1e-2;
        if (!(ratio < 1.0)) {
            free(lam);
            return lariat_error(ctx, LARIAT_EUSAGE, "lambda-min-ratio must be in (0, 1), not %g", ratio);
        }
        for (int k = 0; k < n; k++) {
            lam[k] = n == 1 ? lmax : lmax * exp(log(ratio) * (double)k / (double)(n - 1));
        }
    }
    *out = lam;
    *count = n;
    return LARIAT_OK;
}

/* Not collective. b_j = c_j / s_j (within the bounds exactly:
** lariat_prep_unscale) and b0 = ybar - m'b (SPEC.md section 1). */
static int to_original_scale(lariat_ctx *ctx, const lariat_prep *prep, double lambda, const double *c,
                             const lariat_solve_info *info, lariat_solution *sol)
{
    sol->coef = lariat_malloc(ctx, (size_t)prep->p, sizeof(double), "coefficients");
    if (sol->coef == NULL) return LARIAT_ENOMEM;
    double b0 = prep->ybar;
    int64_t nz = 0;
    for (int64_t j = 0; j < prep->p; j++) {
        double b = lariat_prep_unscale(prep, j, c[j]);
        sol->coef[j] = b;
        b0 -= prep->mean[j] * b;
        nz += (b != 0.0);
    }
    sol->lambda = lambda;
    sol->intercept = prep->intercept ? b0 : 0.0;
    sol->nonzero = nz;
    sol->objective = info->primal;
    /* The loss is the objective less the penalty (SPEC.md section 9); with
    ** no coefficient it is the null model's, whose ratio is 0 (its loss,
    ** summed anew, can differ from N0 in the last bits). */
    sol->dev_ratio = prep->N0 > 0.0 && nz > 0 ? 1.0 - (info->primal - lariat_prep_penalty(prep, lambda, c)) / prep->N0
                                              : 0.0;
    sol->duality_gap = info->gap;
    sol->iterations = info->iterations;
    sol->converged = info->converged;
    return LARIAT_OK;
}

/* Not collective. Copies solution src (p coefficients) into dst. */
static int copy_solution(lariat_ctx *ctx, int64_t p, const lariat_solution *src, lariat_solution *dst)
{
    *dst = *src;
    dst->coef = lariat_malloc(ctx, (size_t)p, sizeof(double), "coefficients");
    if (dst->coef == NULL) return LARIAT_ENOMEM;
    memcpy(dst->coef, src->coef, (size_t)p * sizeof(double));
    return LARIAT_OK;
}

/* Not collective. Takes the solutions and c of a saved position; the path
** then goes on from lambda start->fit->nlambda (the solver's state is set
** once its workspace exists). */
static int restore_position(lariat_ctx *ctx, const lariat_prep *prep, const lariat_path_pos *start, int nlam,
                            lariat_fit *fit, double *c)
{
    const lariat_fit *done = start->fit;
    if (done->nlambda > nlam || done->p != prep->p || start->ops == NULL || start->nc != prep->p ||
        start->nstate > LARIAT_SOLVER_STATE_MAX(prep->p)) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "the checkpoint's path (%d lambdas, %lld features) does not fit this run's (%d lambdas, "
                            "%lld features)",
                            done->nlambda, (long long)done->p, nlam, (long long)prep->p);
    }
    for (int k = 0; k < done->nlambda; k++) {
        int rc = copy_solution(ctx, prep->p, &done->path[k], &fit->path[k]);
        if (rc != LARIAT_OK) return rc;
        fit->nlambda = k + 1;
    }
    memcpy(c, start->c, (size_t)prep->p * sizeof(double));
    return LARIAT_OK;
}

/* The largest Gram lariat_fit_prepare forms while preparing: one that
** gram.c keeps whole on every rank (its GRAM_SHARED_BYTES), so that the
** prepared problem's copy adds at most as much as the solver's own. */
#define PREPARED_GRAM_MAX_BYTES ((double)(4 << 20))

int lariat_fit_prepare(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       const lariat_settings *st, lariat_prep **out)
{
    const double p = (double)data->p;
    const int gram = !lariat_matrix_is_sparse(data->X) && p * p * 8.0 <= PREPARED_GRAM_MAX_BYTES &&
                     !st->distributed_gram && (st->solver == LARIAT_SOLVER_AUTO || st->solver == LARIAT_SOLVER_GRAM);
    return gram ? lariat_prep_create_gram(ctx, data, w, pb, out) : lariat_prep_create(ctx, data, w, pb, out);
}

int lariat_fit_prepared(lariat_ctx *ctx, const lariat_prep *prep, const lariat_settings *st, lariat_fit **out)
{
    return lariat_path_run(ctx, prep, st, NULL, NULL, NULL, out);
}

int lariat_path_run(lariat_ctx *ctx, const lariat_prep *prep, const lariat_settings *st, const lariat_path_pos *start,
                    lariat_path_hook hook, void *arg, lariat_fit **out)
{
    *out = NULL;
    lariat_fit *fit = NULL;
    double *lam = NULL, *c = NULL;
    void *ws = NULL;
    const lariat_solver_ops *ops = NULL;
    int nlam = 0;
    double *state = NULL; /* the solver's state for the hook */

    const double lmax = lariat_prep_lambda_max(prep);
    /* The memory per rank chooses between the replicated and the distributed
    ** Gram; it is measured (collectively) while every rank is still here. */
    double memory = 0.0;
    /* A problem from sufficient statistics alone (no rows: prep->w NULL) serves the gram solver only. */
    const int stats_only = prep->gram != NULL && prep->w == NULL;
    int rc = stats_only ? LARIAT_OK : lariat_solver_memory(ctx, &memory);
    /* Everything below up to the solver's create() is local and identical on
    ** every rank (it depends on reduced quantities only), but allocations can
    ** fail on one rank: agree before the first collective. */
    if (rc == LARIAT_OK) rc = lariat_path_lambdas(ctx, prep->data->n, prep->p, st, lmax, &lam, &nlam);
    if (rc == LARIAT_OK) {
        fit = lariat_calloc(ctx, 1, sizeof(*fit), "fit");
        c = lariat_calloc(ctx, (size_t)prep->p, sizeof(double), "coefficients");
        if (hook != NULL) {
            state = lariat_malloc(ctx, (size_t)LARIAT_SOLVER_STATE_MAX(prep->p), sizeof(double), "solver state");
        }
        if (fit == NULL || c == NULL || (hook != NULL && state == NULL)) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        fit->path = lariat_calloc(ctx, (size_t)nlam, sizeof(lariat_solution), "path");
        if (fit->path == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        fit->p = prep->p;
        fit->alpha = prep->alpha;
        fit->null_objective = prep->N0;
        fit->lambda_max = lmax;
        fit->n_zero_variance = prep->n_constant;
        if (stats_only) {
            snprintf(fit->solver_reason, sizeof(fit->solver_reason),
                     "on sufficient statistics: one pass over the data served every fold");
        }
        ops = stats_only ? &lariat_solver_gram
                         : lariat_solver_choose(prep, st, memory, fit->solver_reason, sizeof(fit->solver_reason));
        if (ops == NULL) rc = lariat_error(ctx, LARIAT_EUSAGE, "%s", fit->solver_reason);
        else fit->solver_name = ops->name;
    }
    if (rc == LARIAT_OK && start != NULL) rc = restore_position(ctx, prep, start, nlam, fit, c);
    rc = lariat_agree(ctx, rc);
    const int first = rc == LARIAT_OK ? fit->nlambda : 0;
    /* Solvers aim TOL_MARGIN inside the requested gap: tol bounds the
    ** objective's error, but the coefficients' error goes as the square root
    ** of the gap, and a user comparing with glmnet expects them to many
    ** digits. "converged" is still judged by the requested tol (SPEC.md 1). */
    lariat_settings inner = *st;
    inner.tol = st->tol * TOL_MARGIN;
    /* The lambdas still to solve, in order: a solver may prepare for all of
    ** them at once (pgram's ridge path). */
    inner.lambda = lam + first;
    inner.n_lambda_given = nlam - first;
    if (rc == LARIAT_OK && first < nlam) rc = ops->create(prep, &inner, &ws);
    if (rc == LARIAT_OK && first > 0 && first < nlam) {
        if (start->ops == ops && ops->set_state != NULL) ops->set_state(ws, start->state, (int)start->nstate);
        if (start->ops != ops) {
            lariat_log(ctx, LARIAT_LOG_NORMAL,
                       "the checkpoint's path was solved by another solver (%s); this run continues it with %s%s%s, "
                       "which agrees to the tolerance",
                       start->fit->solver_name, ops->name, fit->solver_reason[0] ? ": " : "", fit->solver_reason);
        }
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "path: resuming at lambda %d/%d", first + 1, nlam);
    }
    int not_converged = 0;
    for (int k = 0; k < first; k++) not_converged += !fit->path[k].converged;
    for (int k = first; rc == LARIAT_OK && k < nlam; k++) {
        lariat_solve_info info = {0, 0, 0.0, 0.0};
        /* Agreed: a solver's own failure (memory, say) may be on one rank. */
        rc = lariat_agree(ctx, ops->solve(ws, lam[k], c, &info));
        info.converged = lariat_prep_converged(prep, info.gap, st->tol);
        if (rc == LARIAT_OK) rc = lariat_agree(ctx, to_original_scale(ctx, prep, lam[k], c, &info, &fit->path[k]));
        if (rc == LARIAT_OK) {
            fit->nlambda = k + 1;
            not_converged += !info.converged;
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "lambda %d/%d = %.6g: %d iterations, gap %.3g, %lld nonzero",
                       k + 1, nlam, lam[k], info.iterations, info.gap, (long long)fit->path[k].nonzero);
        }
        if (rc == LARIAT_OK && hook != NULL) {
            const int nstate = ops->get_state != NULL ? ops->get_state(ws, state) : 0;
            const lariat_path_pos pos = {ops, NULL, fit, c, prep->p, state, nstate};
            rc = hook(arg, &pos);
        }
    }
    if (rc == LARIAT_OK && not_converged > 0) {
        lariat_log(ctx, LARIAT_LOG_NORMAL,
                   "warning: %d of %d lambda values did not converge (gap above tol * N0 after at most %d "
                   "iterations: max_iter, or no further progress at working precision)",
                   not_converged, nlam, st->max_iter);
    }
    if (ops != NULL) ops->destroy(ws);
    free(lam);
    free(c);
    free(state);
    if (rc != LARIAT_OK) {
        lariat_fit_destroy(fit);
        return rc;
    }
    *out = fit;
    return LARIAT_OK;
}
