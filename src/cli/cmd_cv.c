/*
** `lariat cv` (SPEC.md sections 3 and 4): read the data, hold out the
** --test-fraction rows, cross-validate the path for each alpha, write the
** model (the refit at the selected lambda, with its "cv" block), the CV table
** (--cv-out) and the CV curve (--plot), and print the summary.
*/
#include "cli/checkpoint.h"
#include "cli/commands.h"
#include "cli/setup.h"
#include "cli/summary.h"
#include "core/core.h"
#include "data/split.h"
#include "family/family.h"
#include "io/atomic.h"
#include "io/model.h"
#include "io/numfmt.h"
#include "io/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The largest fold a foldid file may name. */
#define LC_FOLDID_MAX 1e6

/* Collective. The foldid file (glmnet's foldid: one integer 1..K per row, in
** row order): rank 0 reads it, every rank keeps its own rows' folds. */
static int read_foldid(lariat_ctx *ctx, const char *path, const lariat_data *data, int **out)
{
    *out = NULL;
    double *all = lariat_malloc(ctx, (size_t)data->n, sizeof(double), "foldid");
    int *mine = lariat_malloc(ctx, (size_t)data->n_local, sizeof(int), "foldid");
    int rc = lariat_agree(ctx, all && mine ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lc_read_numbers(ctx, path, "foldid", data->n, all);
    /* The range is checked before the conversion to int, which is undefined
    ** for values outside int's range. */
    int K = 0;
    for (int64_t i = 0; rc == LARIAT_OK && i < data->n; i++) {
        double f = all[i];
        if (!(f >= 1.0 && f <= LC_FOLDID_MAX) || f != floor(f)) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: a fold must be a whole number from 1 to K, not %.17g", path,
                              (long long)(i + 1), f);
        } else if ((int)f > K) {
            K = (int)f;
        }
    }
    /* K is the largest fold (glmnet's foldid); every fold up to it needs rows,
    ** and there must be two of them. Every rank holds all the folds: the
    ** verdict is the same everywhere. */
    int *used = rc == LARIAT_OK ? lariat_calloc(ctx, (size_t)K + 1, sizeof(int), "fold counts") : NULL;
    if (rc == LARIAT_OK && used == NULL) rc = LARIAT_ENOMEM;
    for (int64_t i = 0; rc == LARIAT_OK && i < data->n; i++) used[(int)all[i]] = 1;
    if (rc == LARIAT_OK && K < 2) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: every row is in fold 1; cross-validation needs at least 2 folds", path);
    }
    for (int k = 1; rc == LARIAT_OK && k <= K; k++) {
        if (!used[k]) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s: no row is in fold %d; folds must be numbered 1..K without gaps "
                              "(K = %d, the largest)", path, k, K);
        }
    }
    free(used);
    rc = lariat_agree(ctx, rc);
    for (int64_t i = 0; rc == LARIAT_OK && i < data->n_local; i++) mine[i] = (int)all[data->row0 + i];
    free(all);
    if (rc != LARIAT_OK) {
        free(mine);
        return rc;
    }
    *out = mine;
    return LARIAT_OK;
}

/* Collective. The CV table (SPEC.md section 5): alpha,lambda,cvm,cvsd,nonzero,
** one row per (alpha, lambda), written by rank 0 to a temporary and renamed.
** A measure other than gaussian's mse (SPEC.md 9: the table names it) adds a
** last column "measure" holding its name, so that the gaussian table stays
** as section 5 gives it. */
static int write_cv_table(lariat_ctx *ctx, const char *path, const lariat_cv_result *res, lariat_family_kind family)
{
    int rc = LARIAT_OK;
    const lariat_measure measure = lariat_measure_resolve(family, res->measure);
    const int named = !(family == LARIAT_FAMILY_GAUSSIAN && measure == LARIAT_MEASURE_MSE);
    if (lariat_ctx_rank(ctx) == 0) {
        lariat_atomic_file w;
        rc = lariat_atomic_open(ctx, path, &w);
        if (rc == LARIAT_OK) {
            char a[32], l[32], m[32], s[32];
            fputs(named ? "alpha,lambda,cvm,cvsd,nonzero,measure\n" : "alpha,lambda,cvm,cvsd,nonzero\n", w.fp);
            for (int k = 0; k < res->nalpha; k++) {
                const lariat_cv_curve *c = &res->curves[k];
                for (int i = 0; i < c->nlambda; i++) {
                    lariat_format_double(a, c->alpha);
                    lariat_format_double(l, c->lambda[i]);
                    lariat_format_double(m, c->cvm[i]);
                    lariat_format_double(s, c->cvsd[i]);
                    fprintf(w.fp, "%s,%s,%s,%s,%lld%s%s\n", a, l, m, s, (long long)c->nonzero[i], named ? "," : "",
                            named ? lariat_measure_name(measure) : "");
                }
            }
            rc = lariat_atomic_commit(ctx, &w);
        }
    }
    return lariat_agree(ctx, rc);
}

int lc_cmd_cv(lariat_ctx *ctx, const lc_options *o, double t_start)
{
    lariat_data *data = NULL;
    lariat_cv_result *res = NULL;
    double *train_w = NULL, *test_w = NULL, *classes = NULL;
    int *foldid = NULL, nclass = 0;
    lc_problem_arrays arrays = {NULL, NULL, NULL};
    lariat_read_options ropt;
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cvs;
    lariat_metrics metrics;
    lariat_model_info info;
    lariat_model_info_default(&info);
    lariat_cv_settings_default(&cvs);
    info.t_start = t_start;
    info.measure = 1;
    const char *out = lc_text(o, LC_OPT_OUT) != NULL ? lc_text(o, LC_OPT_OUT) : "model.json";
    const double fraction = lc_real(o, LC_OPT_TEST_FRACTION);
    int64_t n_test = 0, n_train = 0;

    int rc = lc_settings_from_options(ctx, o, &st);
    if (rc == LARIAT_OK) rc = lc_checkpoint_setup(ctx, o, &st);
    rc = lariat_agree(ctx, rc);
    lc_read_options(o, &ropt);
    if (rc == LARIAT_OK) rc = lc_load_data(ctx, o, &ropt, &data, &info.timings.load);
    if (rc == LARIAT_OK) rc = lc_problem_from_options(ctx, o, data->p, &pb, &arrays);
    if (rc == LARIAT_OK) rc = lc_check_labels(ctx, o, &ropt, data, pb.family, &classes, &nclass);
    if (rc == LARIAT_OK) {
        cvs.measure = lc_measure(o);
        cvs.alphas = lc_list(o, LC_OPT_ALPHA, &cvs.nalpha);
        cvs.nfolds = (int)lc_int(o, LC_OPT_NFOLDS);
        cvs.seed = (uint64_t)lc_int(o, LC_OPT_SEED);
        cvs.groups = (int)lc_int(o, LC_OPT_CV_GROUPS);
        cvs.select = strcmp(lc_text(o, LC_OPT_SELECT), "min") == 0 ? LARIAT_SELECT_MIN : LARIAT_SELECT_1SE;
        if (lc_text(o, LC_OPT_FOLDID) != NULL) {
            rc = read_foldid(ctx, lc_text(o, LC_OPT_FOLDID), data, &foldid);
            cvs.foldid = foldid;
        }
    }
    /* Held-out test rows get weight 0: they are in no fold's training or scoring. */
    if (rc == LARIAT_OK) rc = lc_test_split(ctx, o, data, &train_w, &test_w, &n_train, &n_test);
    /* Said here with the option's name: the library can only say "folds".
    ** Too few rows for the folds asked is bad input data (SPEC.md section 8's
    ** "too few rows"), not bad usage: the same option fits a larger file. */
    if (rc == LARIAT_OK && foldid == NULL && (int64_t)cvs.nfolds > n_train) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: %d folds is more than the %lld %srows of %s", lc_origin(o, LC_OPT_NFOLDS),
                          cvs.nfolds, (long long)n_train, fraction > 0.0 ? "training " : "", lc_text(o, LC_OPT_DATA));
    }
    if (rc == LARIAT_OK) {
        double t0 = lariat_now();
        rc = lariat_cv(ctx, data, train_w, &pb, &st, &cvs, &res);
        info.timings.cv = lariat_now() - t0;
        rc = lc_data_error(ctx, o, pb.family, rc);
    }
    const lariat_fit *fit = rc == LARIAT_OK ? res->curves[res->best].fit : NULL;
    /* The refit is of the family asked for: a library whose cross-validation
    ** did not serve it would otherwise write a model of another loss. fit is
    ** the same on every rank. */
    if (rc == LARIAT_OK && fit->family != pb.family) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "%s %s: this build's cross-validation fit the %s family instead",
                          lc_origin(o, LC_OPT_FAMILY), lariat_family_name(pb.family), lariat_family_name(fit->family));
    }
    if (rc == LARIAT_OK && fraction > 0.0) {
        rc = lariat_metrics_compute_fit(ctx, data, test_w, fit, &fit->path[res->selected], 1, &metrics);
        info.test = &metrics;
    }
    /* The summary's accuracy on the training rows (classification). */
    lariat_metrics train_metrics;
    if (rc == LARIAT_OK && fit->family != LARIAT_FAMILY_GAUSSIAN) {
        rc = lariat_metrics_compute_fit(ctx, data, train_w, fit, &fit->path[res->selected], 0, &train_metrics);
    }
    if (rc == LARIAT_OK) {
        info.selected = res->selected;
        info.cv = res;
        info.feature_names = data->feature_names;
        info.standardize = pb.standardize;
        info.fit_intercept = pb.intercept;
        info.n_samples = n_train;
        info.ranks = lariat_ctx_size(ctx);
        rc = lariat_model_write(ctx, out, fit, &info);
    }
    if (rc == LARIAT_OK && lc_text(o, LC_OPT_CV_OUT) != NULL) rc = write_cv_table(ctx, lc_text(o, LC_OPT_CV_OUT), res, fit->family);
    if (rc == LARIAT_OK && lc_text(o, LC_OPT_PLOT) != NULL) rc = lariat_cv_plot_svg(ctx, res, lc_text(o, LC_OPT_PLOT));
    if (rc == LARIAT_OK) {
        lc_summary summary = {"cv", lc_text(o, LC_OPT_DATA), data, n_train, n_test, fit, res->selected, st.tol,
                              st.max_iter, &info, out, res, st.nlambda,
                              fit->family != LARIAT_FAMILY_GAUSSIAN ? &train_metrics : NULL};
        lc_summary_print(ctx, &summary);
    }
    if (rc == LARIAT_OK && lc_flag(o, LC_OPT_STRICT) && !fit->path[res->selected].converged) {
        rc = lariat_error(ctx, LARIAT_ENUMERIC, "the selected model did not converge within %d iterations (%s)",
                          st.max_iter, lc_origin(o, LC_OPT_STRICT));
    }
    lariat_cv_destroy(res);
    lc_problem_arrays_free(&arrays);
    free(classes);
    free(train_w);
    free(test_w);
    free(foldid);
    lariat_data_destroy(data);
    return rc;
}
