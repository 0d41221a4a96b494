/*
** The rank-0 summary of a fit (see summary.h). Aligned "label  text" lines,
** so that a person reads it at a glance and a script can grep a label.
*/
#include "cli/summary.h"
#include "data/matrix.h"
#include "family/family.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>

/* One path entry as "lambda L: K nonzero, objective O, gap G, I iterations". */
static void print_path_line(const lariat_solution *sol, int k, int n, int classify)
{
    printf("  %4d/%-4d lambda %-12.6g nonzero %-6lld objective %-14.8g gap %-10.3g iterations %d", k + 1, n,
           sol->lambda, (long long)sol->nonzero, sol->objective, sol->duality_gap, sol->iterations);
    if (classify) printf(" dev ratio %.5f", sol->dev_ratio);
    printf("%s\n", sol->converged ? "" : " (not converged)");
}

/* The classes a summary lists before it says how many more there are. */
#define LC_SUMMARY_CLASSES 10

/* "family    binomial: classes 0 and 1" or "multinomial (ungrouped): 3
** classes 0, 1, 2", the labels as the model file writes them. */
static void print_family(const lariat_fit *fit)
{
    char v[LARIAT_DOUBLE_CHARS];
    printf("  family    %s", lariat_family_name(fit->family));
    if (fit->family == LARIAT_FAMILY_MULTINOMIAL) printf(" (%s)", fit->grouped ? "grouped" : "ungrouped");
    printf(": %d classes ", fit->nclass);
    for (int k = 0; k < fit->nclass && k < LC_SUMMARY_CLASSES; k++) {
        lariat_format_double(v, fit->classes[k]);
        printf("%s%s", k == 0 ? "" : fit->nclass == 2 ? " and " : ", ", v);
    }
    if (fit->nclass > LC_SUMMARY_CLASSES) printf(", ... (%d more)", fit->nclass - LC_SUMMARY_CLASSES);
    printf("\n");
}

void lc_summary_print(const lariat_ctx *ctx, const lc_summary *s)
{
    if (lariat_ctx_rank(ctx) != 0) return;
    const lariat_fit *fit = s->fit;
    const lariat_solution *sol = &fit->path[s->selected];
    const lariat_data *d = s->data;

    printf("lariat %s: %s\n", s->command, s->data_path);
    printf("  data      %lld rows x %lld features on %d rank%s (%s)", (long long)d->n, (long long)d->p,
           lariat_ctx_size(ctx), lariat_ctx_size(ctx) == 1 ? "" : "s",
           d->X != NULL && lariat_matrix_is_sparse(d->X) ? "sparse" : "dense");
    if (s->n_test > 0) printf("; %lld training rows, %lld test rows", (long long)s->n_train, (long long)s->n_test);
    printf("\n");
    if (fit->n_zero_variance > 0) {
        printf("  warning   %d constant column%s fixed at coefficient 0\n", fit->n_zero_variance,
               fit->n_zero_variance == 1 ? "" : "s");
    }
    const int classify = fit->family != LARIAT_FAMILY_GAUSSIAN;
    if (classify) print_family(fit);
    printf("  solver    %s%s%s%s\n", fit->solver_name, fit->solver_reason[0] ? " (" : "", fit->solver_reason,
           fit->solver_reason[0] ? ")" : "");
    printf("  model     alpha %.6g, lambda %.6g", fit->alpha, sol->lambda);
    if (fit->nlambda > 1) {
        printf(" (entry %d of a path of %d from %.6g; lambda_max %.6g)", s->selected + 1, fit->nlambda,
               fit->path[0].lambda, fit->lambda_max);
    } else {
        printf(" (lambda_max %.6g)", fit->lambda_max);
    }
    printf("\n");
    if (!classify) {
        printf("  result    %lld of %lld coefficients nonzero, intercept %.6g, objective %.8g\n",
               (long long)sol->nonzero, (long long)fit->p, sol->intercept, sol->objective);
    } else if (fit->nlin > 1) {
        printf("  result    %lld of %lld features nonzero (in any class), objective %.8g, deviance explained %.5f\n",
               (long long)sol->nonzero, (long long)fit->p, sol->objective, sol->dev_ratio);
    } else {
        printf("  result    %lld of %lld coefficients nonzero, intercept %.6g, objective %.8g, deviance explained "
               "%.5f\n", (long long)sol->nonzero, (long long)fit->p, sol->intercept, sol->objective, sol->dev_ratio);
    }
    if (s->train != NULL) {
        printf("  accuracy  %.4f on the %lld training rows (class error %.4f)\n", 1.0 - s->train->class_error,
               (long long)s->train->n, s->train->class_error);
    }
    if (fit->path_stopped) {
        const lariat_solution *last = &fit->path[fit->nlambda - 1];
        printf("  path      stopped after lambda %d/%d: deviance ratio %.5f > 0.999 (glmnet's devmax; the fit "
               "nearly separates the classes)\n", fit->nlambda, s->nlambda_planned, last->dev_ratio);
    }
    if (sol->converged) {
        printf("  converged duality gap %.3g <= tol * N0 = %.3g, %d iterations\n", sol->duality_gap,
               s->tol * fit->null_objective, sol->iterations);
    } else {
        /* Before max_iter, the solver stopped where no step made progress
        ** at working precision: more iterations would not help. */
        printf("  NOT CONVERGED  duality gap %.3g > tol * N0 = %.3g after %d iterations (%s)\n", sol->duality_gap,
               s->tol * fit->null_objective, sol->iterations,
               sol->iterations >= s->max_iter ? "raise --max-iter" : "no further progress at working precision");
    }
    if (s->cv != NULL) {
        const lariat_cv_result *cv = s->cv;
        printf("  cv        %d folds (seed %llu), %d alpha%s, %d rank group%s; best alpha %.6g, lambda_min %.6g, "
               "lambda_1se %.6g; refit at lambda_%s\n",
               cv->nfolds, (unsigned long long)cv->seed, cv->nalpha, cv->nalpha == 1 ? "" : "s", cv->groups,
               cv->groups == 1 ? "" : "s", cv->alpha_min, cv->lambda_min, cv->lambda_1se,
               cv->select == LARIAT_SELECT_MIN ? "min" : "1se");
        const lariat_cv_curve *c = &cv->curves[cv->best];
        const lariat_measure m = lariat_measure_resolve(fit->family, cv->measure);
        if (!classify && m == LARIAT_MEASURE_MSE) {
            printf("  cv error  cvm %.6g (cvsd %.3g) at lambda_min, %.6g at lambda_1se\n", c->cvm[c->index_min],
                   c->cvsd[c->index_min], c->cvm[c->index_1se]);
        } else {
            printf("  cv error  %s %.6g (cvsd %.3g) at lambda_min, %.6g at lambda_1se\n", lariat_measure_name(m),
                   c->cvm[c->index_min], c->cvsd[c->index_min], c->cvm[c->index_1se]);
        }
    }
    const lariat_model_info *info = s->info;
    const lariat_metrics *t_m = info->test;
    if (t_m != NULL && t_m->family == LARIAT_FAMILY_GAUSSIAN) {
        printf("  test      mse %.6g, rmse %.6g, mae %.6g, r2 %.4f (%lld rows)\n", t_m->mse, t_m->rmse, t_m->mae,
               t_m->r2, (long long)t_m->n);
    } else if (t_m != NULL) {
        printf("  test      accuracy %.4f, deviance %.6g, class error %.4f", 1.0 - t_m->class_error, t_m->deviance,
               t_m->class_error);
        if (t_m->family == LARIAT_FAMILY_BINOMIAL) {
            if (isfinite(t_m->auc)) printf(", auc %.4f", t_m->auc);
            else printf(", auc undefined (one class)");
        }
        printf(", brier %.6g (%lld rows)\n", t_m->brier, (long long)t_m->n);
    }
    const lariat_timings *t = &info->timings;
    printf("  time      load %.3f s, prepare %.3f s, solve %.3f s, cv %.3f s, write %.3f s, total %.3f s\n", t->load,
           t->prepare, t->solve, t->cv, t->write, t->total);
    printf("  memory    peak RSS %.1f MiB (max over ranks)\n", info->peak_rss_mb);
    printf("  wrote     %s\n", s->out);
    if (lariat_ctx_verbosity(ctx) >= LARIAT_LOG_VERBOSE && fit->nlambda > 1) {
        printf("  path:\n");
        for (int k = 0; k < fit->nlambda; k++) print_path_line(&fit->path[k], k, fit->nlambda, classify);
    }
    fflush(stdout);
}
