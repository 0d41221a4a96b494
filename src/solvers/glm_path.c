/*
** The path of the cross-entropy families (SPEC.md sections 2 and 9): the
** lambda sequence from the family's lambda_max, one solver workspace, warm
** starts, glmnet's devmax stop on the default path, and every solution
** mapped back to the original scale. As the gaussian path (path.c), it can
** start from a position saved in a checkpoint and calls a hook after every
** lambda, where checkpoints are written (ckpt/ckpt.h).
*/
#include "core/core.h"
#include "data/matrix.h"
#include "solvers/glm.h"
#include "solvers/path.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* auto keeps the IRLS curvature (one Gram pass per block per refresh) while
** its blocks (1, or K^2 for multinomial) take at most this many doubles;
** the bound beyond. */
#define EXACT_MAX_DOUBLES (16.0 * 1024 * 1024)
/* The widest problem auto gives the Newton solver (as choose.c's gram). */
#define AUTO_NEWTON_MAX_P 4096
/* LARIAT_AUTO_WIDE_FISTA_ALPHA (solver.h) for the cross-entropy families,
** where it covers ridge too: the working set would hold nearly every
** feature. Default 100-lambda paths on 300 rows (lariat gen --family
** binomial; one rank, 2026-12-07), working set against fista, seconds:
** p = 1,000 binomial alpha 0 2.35 / 0.145, 0.01 3.31 / 0.23, 0.1 1.21 /
** 0.53, 0.2 0.57 / 0.96, 0.5 0.16 / 1.80; p = 3,000 alpha 0 50.4 / 0.87,
** 0.1 4.35 / 2.03, 0.2 2.48 / 3.62, 0.5 0.56 / 6.98; multinomial (K = 3)
** at p = 1,000 alpha 0 7.8 / 0.47, 0.1 8.9 / 1.7, 0.3 3.3 / 5.5. */

/* Not collective. Whether the Newton solvers work on a working set of
** features (glm_workset.c): when there are more features than rows, where
** the whole p x p curvature costs p^2 / 2 sums a tile of rows whatever n
** is (on 300 x 1,000 binomial rows 2.75 s against glmnet's 0.036 s) and the
** solution is sparse. Taller problems keep the whole curvature, as before. */
static int wide(const lariat_glm *g) { return g->p > g->data->n; }

/* Not collective. Whether the Newton solvers take the IRLS curvature:
** asked for, or under auto while its blocks (K^2 of p x p for multinomial,
** glm_newton.c) fit EXACT_MAX_DOUBLES. */
static int exact_curvature(const lariat_glm *g, const lariat_settings *st)
{
    const double kpp = (double)g->K * (g->K > 1 ? (double)g->K : 1.0) * (double)g->p * (double)g->p;
    return st->curvature == LARIAT_CURVATURE_EXACT ||
           (st->curvature == LARIAT_CURVATURE_AUTO && kpp <= EXACT_MAX_DOUBLES);
}

/* Not collective. Whether a taller binomial problem on sparse rows starts
** its path on a working set (glm_workset.c's handoff): there a Newton step
** on the whole problem is a pass over every stored entry, while the first
** lambdas' solutions use a few dozen features. */
static int screened(const lariat_glm *g, const lariat_settings *st)
{
    return !wide(g) && g->K == 1 && lariat_matrix_is_sparse(g->data->X) && exact_curvature(g, st);
}

const lariat_glm_solver_ops *lariat_glm_newton_for(const lariat_glm *g, const lariat_settings *st)
{
    if (!exact_curvature(g, st)) return &lariat_glm_solver_newton_bound;
    /* The binomial family: the lockstep engine's Newton steps (glm_batch.c),
    ** with the same answers 2.7 times faster than glm_newton.c's on 100,000
    ** x 100 dense rows, 1.5 times on 100,000 x 2,000 CSR rows at 1%
    ** (docs/performance.md). */
    if (g->K == 1) return &lariat_glm_solver_lockstep;
    return &lariat_glm_solver_newton;
}

/* Not collective. The solver for st->solver, with the reason for auto. */
static const lariat_glm_solver_ops *choose_kind(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st,
                                                char *reason, size_t len)
{
    reason[0] = '\0';
    const int exact = exact_curvature(g, st);
    switch (st->solver) {
    case LARIAT_SOLVER_FISTA: return &lariat_glm_solver_fista;
    case LARIAT_SOLVER_ADMM:
        if (g->fam->kind == LARIAT_FAMILY_BINOMIAL) return &lariat_glm_solver_admm;
        lariat_error(ctx, LARIAT_EUSAGE, "solver admm does not serve the %s family: use gram or fista",
                     g->fam->name);
        return NULL;
    case LARIAT_SOLVER_GRAM:
        if ((st->curvature != LARIAT_CURVATURE_BOUND && wide(g)) || screened(g, st)) return &lariat_glm_solver_workset;
        break;
    case LARIAT_SOLVER_AUTO:
        if (st->curvature != LARIAT_CURVATURE_BOUND && wide(g) && g->alpha < LARIAT_AUTO_WIDE_FISTA_ALPHA) {
            snprintf(reason, len, "alpha %g on p = %lld > n = %lld: a working set would hold nearly every feature; "
                     "first-order steps from one pass each", g->alpha, (long long)g->p, (long long)g->data->n);
            return &lariat_glm_solver_fista;
        }
        if (st->curvature != LARIAT_CURVATURE_BOUND && wide(g)) {
            snprintf(reason, len,
                     "proximal Newton with the IRLS curvature on a working set of features (p = %lld > n = %lld)",
                     (long long)g->p, (long long)g->data->n);
            return &lariat_glm_solver_workset;
        }
        if (g->p > AUTO_NEWTON_MAX_P) {
            snprintf(reason, len, "p = %lld: the p x p curvature of proximal Newton would not fit; first-order "
                     "steps from one pass each", (long long)g->p);
            return &lariat_glm_solver_fista;
        }
        if (screened(g, st)) {
            snprintf(reason, len,
                     "proximal Newton, IRLS curvature, on a working set while under 1/8 of the features (sparse "
                     "rows); no one-pass statistics serve the %s family",
                     g->fam->name);
            return &lariat_glm_solver_workset;
        }
        snprintf(reason, len,
                 "proximal Newton with the %s curvature (%s); no one-pass statistics serve the %s family",
                 exact ? "IRLS" : "fixed-bound", exact ? "a Gram pass when the steps slow" : "formed once",
                 g->fam->name);
        break;
    default: lariat_error(ctx, LARIAT_EUSAGE, "unknown solver kind %d", (int)st->solver); return NULL;
    }
    return lariat_glm_newton_for(g, st);
}

/* Not collective. The solver for g, with auto's reason in reason; a
** distributed Gram asked for (--distributed-gram), which serves the
** gaussian family only, is not silently dropped: the reason says so. */
static const lariat_glm_solver_ops *choose(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st,
                                           char *reason, size_t len)
{
    const lariat_glm_solver_ops *ops = choose_kind(ctx, g, st, reason, len);
    if (ops == NULL || !st->distributed_gram || ops == &lariat_glm_solver_fista || ops == &lariat_glm_solver_admm) {
        return ops;
    }
    /* In place of auto's reason: both do not fit in the model's 160 bytes. */
    if (ops == &lariat_glm_solver_workset) {
        snprintf(reason, len, "proximal Newton on a working set (p = %lld > n = %lld); --distributed-gram serves the "
                 "gaussian family only", (long long)g->p, (long long)g->data->n);
    } else {
        snprintf(reason, len, "proximal Newton, its %s curvature whole on every rank: --distributed-gram serves the "
                 "gaussian family only", exact_curvature(g, st) ? "IRLS" : "fixed-bound");
    }
    return ops;
}

int lariat_glm_solution(lariat_ctx *ctx, const lariat_glm *g, double lambda, const double *a, const double *c,
                             const lariat_solve_info *info, lariat_solution *sol)
{
    const int K = g->K;
    const int64_t p = g->p;
    const lariat_prep *s = g->std;
    sol->coef = lariat_malloc(ctx, (size_t)(K * p), sizeof(double), "coefficients");
    if (sol->coef == NULL) return LARIAT_ENOMEM;
    if (K > 1) {
        sol->intercepts = lariat_malloc(ctx, (size_t)K, sizeof(double), "intercepts");
        if (sol->intercepts == NULL) return LARIAT_ENOMEM;
    }
    double b0[LARIAT_GLM_MAX_GROUP], mean0 = 0.0;
    for (int k = 0; k < K; k++) {
        b0[k] = s->intercept ? a[k] : 0.0;
        for (int64_t j = 0; j < p; j++) {
            const double b = lariat_prep_unscale(s, j, c[k * p + j]);
            sol->coef[k * p + j] = b;
            b0[k] -= s->mean[j] * b;
        }
        mean0 += b0[k] / K;
    }
    /* A feature no penalty weighs (f_j = 0) is free along the same shift
    ** of every class's coefficient, as the intercepts are: reported centred
    ** too (sum_k b_jk = 0), as glmnet reports it and as fista leaves it
    ** (gram's descent, class by class, leaves any shift), the shift kept
    ** within the feature's bounds. The shift adds the same multiple of x_ij
    ** to every class's eta_ik: the probabilities, the objective and the
    ** centred intercepts do not change. */
    for (int64_t j = 0; K > 1 && j < p; j++) {
        if (s->pf[j] != 0.0 || lariat_prep_is_fixed(s, j)) continue;
        double mean = 0.0, lo = -INFINITY, hi = INFINITY;
        for (int k = 0; k < K; k++) {
            const double b = sol->coef[k * p + j];
            mean += b / K;
            lo = fmax(lo, b - s->bhi[j]);
            hi = fmin(hi, b - s->blo[j]);
        }
        const double shift = fmin(fmax(mean, lo), hi);
        for (int k = 0; k < K; k++) sol->coef[k * p + j] -= shift;
    }
    int64_t nz = 0;
    for (int64_t j = 0; j < p; j++) {
        int any = 0;
        for (int k = 0; k < K; k++) any |= sol->coef[k * p + j] != 0.0;
        nz += any;
    }
    if (K > 1) {
        for (int k = 0; k < K; k++) sol->intercepts[k] = s->intercept ? b0[k] - mean0 : 0.0;
        sol->intercept = 0.0;
    } else {
        sol->intercept = b0[0];
    }
    sol->lambda = lambda;
    sol->nonzero = nz;
    sol->objective = info->primal;
    const double loss = info->primal - lariat_glm_penalty(g, lambda, c);
    /* No coefficient: the null model itself, whose ratio is 0 (as glmnet's
    ** at lambda_max); its loss, summed anew, can differ from N0 in the last
    ** bits, which printed -2.2e-16. */
    sol->dev_ratio = nz == 0 ? 0.0 : 1.0 - loss / g->N0;
    sol->duality_gap = info->gap;
    sol->iterations = info->iterations;
    sol->converged = info->converged;
    return LARIAT_OK;
}

/* Not collective. Copies solution src of a K-predictor fit into dst. */
static int copy_solution(lariat_ctx *ctx, int K, int64_t p, const lariat_solution *src, lariat_solution *dst)
{
    *dst = *src;
    dst->intercepts = NULL;
    dst->coef = lariat_malloc(ctx, (size_t)(K * p), sizeof(double), "coefficients");
    if (dst->coef == NULL) return LARIAT_ENOMEM;
    memcpy(dst->coef, src->coef, (size_t)(K * p) * sizeof(double));
    if (K > 1) {
        dst->intercepts = lariat_malloc(ctx, (size_t)K, sizeof(double), "intercepts");
        if (dst->intercepts == NULL) return LARIAT_ENOMEM;
        memcpy(dst->intercepts, src->intercepts, (size_t)K * sizeof(double));
    }
    return LARIAT_OK;
}

/* Not collective. Takes the solutions, the devmax stop and [a | c] of a
** saved position (the solver's state is set once its workspace exists). */
static int restore_position(lariat_ctx *ctx, const lariat_glm *g, const lariat_path_pos *start, int nlam,
                            lariat_fit *fit, double *ac)
{
    const lariat_fit *done = start->fit;
    const int64_t p = g->p;
    if (start->glm_ops == NULL || done->nlambda > nlam || done->p != p || done->family != g->fam->kind ||
        done->nlin != g->K || start->nc != g->K + g->K * p) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "the checkpoint's path (%d lambdas, %d predictors of %lld features) does not fit this "
                            "run's (%d lambdas, %d predictors of %lld features)",
                            done->nlambda, done->nlin, (long long)done->p, nlam, g->K, (long long)p);
    }
    for (int k = 0; k < done->nlambda; k++) {
        int rc = copy_solution(ctx, g->K, p, &done->path[k], &fit->path[k]);
        fit->nlambda = k + 1;
        if (rc != LARIAT_OK) return rc;
    }
    fit->path_stopped = done->path_stopped;
    memcpy(ac, start->c, (size_t)start->nc * sizeof(double));
    return LARIAT_OK;
}

int lariat_glm_fit_new(lariat_ctx *ctx, const lariat_glm *g, int nlam, lariat_fit **out)
{
    lariat_fit *fit = lariat_calloc(ctx, 1, sizeof(*fit), "fit");
    *out = fit;
    if (fit == NULL) return LARIAT_ENOMEM;
    fit->path = lariat_calloc(ctx, (size_t)(nlam > 0 ? nlam : 1), sizeof(lariat_solution), "path");
    fit->classes = lariat_malloc(ctx, (size_t)g->nclass, sizeof(double), "classes");
    if (fit->path == NULL || fit->classes == NULL) return LARIAT_ENOMEM;
    fit->p = g->p;
    fit->family = g->fam->kind;
    fit->nlin = g->K;
    fit->grouped = g->grouped;
    fit->nclass = g->nclass;
    memcpy(fit->classes, g->classes, (size_t)g->nclass * sizeof(double));
    fit->alpha = g->alpha;
    fit->null_objective = g->N0;
    fit->lambda_max = g->lambda_max;
    fit->n_zero_variance = g->std->n_constant;
    return LARIAT_OK;
}

int lariat_glm_path(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st, lariat_fit **out)
{
    return lariat_glm_path_run(ctx, g, st, NULL, NULL, NULL, out);
}

int lariat_glm_path_run(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st, const lariat_path_pos *start,
                        lariat_path_hook hook, void *arg, lariat_fit **out)
{
    *out = NULL;
    lariat_fit *fit = NULL;
    double *lam = NULL, *ac = NULL;
    void *ws = NULL;
    int nlam = 0;
    const lariat_glm_solver_ops *ops = NULL;
    int rc = lariat_path_lambdas(ctx, g->data->n, g->p, st, g->lambda_max, &lam, &nlam);
    if (rc == LARIAT_OK) {
        rc = lariat_glm_fit_new(ctx, g, nlam, &fit);
        /* [a | c] in one array: a path's position (path.h) holds it as it is. */
        ac = lariat_calloc(ctx, (size_t)(g->K + g->K * g->p), sizeof(double), "coefficients");
        if (ac == NULL) rc = LARIAT_ENOMEM;
    }
    double *a = ac, *c = ac != NULL ? ac + g->K : NULL;
    if (rc == LARIAT_OK) {
        memcpy(a, g->a_null, (size_t)g->K * sizeof(double));
        ops = choose(ctx, g, st, fit->solver_reason, sizeof(fit->solver_reason));
        if (ops == NULL) rc = LARIAT_EUSAGE;
        else fit->solver_name = ops->name;
    }
    if (rc == LARIAT_OK && start != NULL) rc = restore_position(ctx, g, start, nlam, fit, ac);
    rc = lariat_agree(ctx, rc);
    /* The lambdas still to solve: none after a devmax stop. */
    const int first = rc == LARIAT_OK ? fit->nlambda : 0;
    const int last = rc == LARIAT_OK && fit->path_stopped ? first : nlam;
    lariat_settings inner = *st;
    inner.tol = st->tol * LARIAT_GLM_TOL_MARGIN;
    if (rc == LARIAT_OK && first < last) rc = ops->create(g, &inner, &ws);
    if (rc == LARIAT_OK && first > 0 && first < last) {
        /* The state (the kept curvature) of the solver that made the
        ** position; choose() depends on the fingerprinted settings only, so
        ** it is this solver unless the position is another run's. */
        if (start->glm_ops == ops && ops->set_state != NULL) {
            rc = lariat_agree(ctx, ops->set_state(ws, start->state, start->nstate));
        } else if (start->glm_ops == ops) {
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "path: %s keeps no state across lambdas in a checkpoint", ops->name);
        } else {
            lariat_log(ctx, LARIAT_LOG_NORMAL,
                       "the checkpoint's path was solved by another solver (%s); this run continues it with %s, "
                       "which agrees to the tolerance",
                       start->fit->solver_name, ops->name);
        }
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "path: resuming at lambda %d/%d", first + 1, nlam);
    }
    int not_converged = 0;
    for (int k = 0; k < first; k++) not_converged += !fit->path[k].converged;
    for (int k = first; rc == LARIAT_OK && k < last; k++) {
        lariat_solve_info info = {0, 0, 0.0, 0.0};
        /* Agreed: a solver's own failure (memory, say) may be on one rank. */
        rc = lariat_agree(ctx, ops->solve(ws, lam[k], a, c, &info));
        info.converged = info.gap <= st->tol * g->N0;
        if (rc == LARIAT_OK) rc = lariat_agree(ctx, lariat_glm_solution(ctx, g, lam[k], a, c, &info, &fit->path[k]));
        if (rc != LARIAT_OK) break;
        fit->nlambda = k + 1;
        not_converged += !info.converged;
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "lambda %d/%d = %.6g: %d iterations, gap %.3g, %lld nonzero, dev ratio %.6f",
                   k + 1, nlam, lam[k], info.iterations, info.gap, (long long)fit->path[k].nonzero,
                   fit->path[k].dev_ratio);
        /* glmnet's devmax, on the default path only: a given list is never cut. */
        if (st->lambda == NULL && fit->path[k].dev_ratio > LARIAT_GLM_DEVMAX && k + 1 < nlam) {
            fit->path_stopped = 1;
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "path: stopped after lambda %d/%d, deviance ratio %.6f > %g", k + 1,
                       nlam, fit->path[k].dev_ratio, LARIAT_GLM_DEVMAX);
        }
        if (hook != NULL) {
            const double *state = NULL;
            const int64_t nstate = ops->get_state != NULL ? ops->get_state(ws, &state) : 0;
            const lariat_path_pos pos = {NULL, ops, fit, ac, g->K + g->K * g->p, state, nstate};
            rc = hook(arg, &pos);
        }
        if (fit->path_stopped) break;
    }
    if (rc == LARIAT_OK && not_converged > 0) {
        lariat_log(ctx, LARIAT_LOG_NORMAL,
                   "warning: %d of %d lambda values did not converge (gap above tol * N0 after at most %d "
                   "iterations: max_iter, or no further progress at working precision)",
                   not_converged, fit->nlambda, st->max_iter);
    }
    if (ops != NULL) ops->destroy(ws);
    free(lam);
    free(ac);
    if (rc != LARIAT_OK) {
        lariat_fit_destroy(fit);
        return rc;
    }
    *out = fit;
    return LARIAT_OK;
}

int lariat_glm_fit_path(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                        const lariat_settings *st, const double *classes, int nclass, int heldout,
                        lariat_fit **out)
{
    *out = NULL;
    lariat_glm *g = NULL;
    int rc = lariat_glm_create(ctx, data, w, pb, classes, nclass, &g);
    if (rc == LARIAT_OK) g->heldout = heldout;
    if (rc == LARIAT_OK) rc = lariat_glm_path(ctx, g, st, out);
    lariat_glm_destroy(g);
    return rc;
}
