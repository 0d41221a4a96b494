/*
** `lariat fit` (SPEC.md section 4): read the data, hold out the
** --test-fraction rows, fit the lambda path (or the given lambdas) for one
** alpha, write the model JSON and the coefficient paths (--plot), and print
** the summary. Binomial and
** multinomial (SPEC.md section 9) first check every row's label, so that a
** bad one is named by its line, and fit with the classes of all rows, so
** that a class seen only in held-out rows is an error rather than a model
** of fewer classes.
*/
#include "cli/checkpoint.h"
#include "cli/commands.h"
#include "cli/setup.h"
#include "cli/summary.h"
#include "ckpt/ckpt.h"
#include "core/core.h"
#include "data/split.h"
#include "io/model.h"
#include "io/plot.h"
#include "solvers/glm.h"
#include "solvers/path.h"
#include "solvers/prep.h"

#include <stdlib.h>

int lc_cmd_fit(lariat_ctx *ctx, const lc_options *o, double t_start)
{
    lariat_data *data = NULL;
    lariat_prep *prep = NULL;
    lariat_glm *glm = NULL;
    lariat_fit *fit = NULL;
    double *train_w = NULL, *test_w = NULL, *classes = NULL;
    int nclass = 0;
    lc_problem_arrays arrays = {NULL, NULL, NULL};
    lariat_read_options ropt;
    lariat_problem pb;
    lariat_settings st;
    lariat_metrics metrics;
    lariat_model_info info;
    lariat_model_info_default(&info);
    info.t_start = t_start;
    info.measure = 1;
    const char *out = lc_text(o, LC_OPT_OUT) != NULL ? lc_text(o, LC_OPT_OUT) : "model.json";
    const double fraction = lc_real(o, LC_OPT_TEST_FRACTION);
    int64_t n_test = 0, n_train = 0;

    int nalpha = 0;
    lc_list(o, LC_OPT_ALPHA, &nalpha);
    int rc = LARIAT_OK;
    if (nalpha != 1) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: lariat fit takes one alpha (lariat cv cross-validates several)",
                          lc_origin(o, LC_OPT_ALPHA));
    }
    if (rc == LARIAT_OK) rc = lc_settings_from_options(ctx, o, &st);
    if (rc == LARIAT_OK) rc = lc_checkpoint_setup(ctx, o, &st);
    rc = lariat_agree(ctx, rc);
    lc_read_options(o, &ropt);
    if (rc == LARIAT_OK) rc = lc_load_data(ctx, o, &ropt, &data, &info.timings.load);
    if (rc == LARIAT_OK) rc = lc_problem_from_options(ctx, o, data->p, &pb, &arrays);
    if (rc == LARIAT_OK) rc = lc_check_labels(ctx, o, &ropt, data, pb.family, &classes, &nclass);

    /* The held-out rows get weight 0 in the fit and are scored afterwards. */
    if (rc == LARIAT_OK) rc = lc_test_split(ctx, o, data, &train_w, &test_w, &n_train, &n_test);

    /* lariat_fit_path in its two steps, timed apart: "prepare" is the
    ** statistics and standardization, "solve" the path (SPEC.md section 5). */
    if (rc == LARIAT_OK && pb.family == LARIAT_FAMILY_GAUSSIAN) {
        double t0 = lariat_now();
        rc = lariat_fit_prepare(ctx, data, train_w, &pb, &st, &prep);
        double t1 = lariat_now();
        info.timings.prepare = t1 - t0;
        if (rc == LARIAT_OK) rc = lariat_ckpt_fit(ctx, prep, &pb, &st, &fit);
        info.timings.solve = lariat_now() - t1;
        lariat_prep_destroy(prep);
        prep = NULL;
    } else if (rc == LARIAT_OK) {
        /* lariat_fit_path in its two steps, with the classes of all rows
        ** and the checkpoints of --checkpoint. */
        double t0 = lariat_now();
        rc = lariat_glm_create(ctx, data, train_w, &pb, classes, nclass, &glm);
        double t1 = lariat_now();
        info.timings.prepare = t1 - t0;
        if (rc == LARIAT_OK) rc = lariat_ckpt_glm_fit(ctx, glm, &pb, &st, &fit);
        info.timings.solve = lariat_now() - t1;
        lariat_glm_destroy(glm);
        glm = NULL;
        rc = lc_data_error(ctx, o, pb.family, rc);
    }
    if (rc == LARIAT_OK) info.selected = fit->nlambda - 1;
    if (rc == LARIAT_OK && fraction > 0.0) {
        rc = lariat_metrics_compute_fit(ctx, data, test_w, fit, &fit->path[info.selected], 1, &metrics);
        info.test = &metrics;
    }
    /* The summary's accuracy on the training rows (classification). */
    lariat_metrics train_metrics;
    if (rc == LARIAT_OK && fit->family != LARIAT_FAMILY_GAUSSIAN) {
        rc = lariat_metrics_compute_fit(ctx, data, train_w, fit, &fit->path[info.selected], 0, &train_metrics);
    }
    if (rc == LARIAT_OK) {
        info.feature_names = data->feature_names;
        info.standardize = pb.standardize;
        info.fit_intercept = pb.intercept;
        info.n_samples = n_train;
        info.ranks = lariat_ctx_size(ctx);
        rc = lariat_model_write(ctx, out, fit, &info);
    }
    if (rc == LARIAT_OK && lc_text(o, LC_OPT_PLOT) != NULL) {
        rc = lariat_path_plot_svg(ctx, fit, data->feature_names, lc_text(o, LC_OPT_PLOT));
    }
    if (rc == LARIAT_OK) {
        lc_summary summary = {"fit", lc_text(o, LC_OPT_DATA), data, n_train, n_test, fit, info.selected, st.tol,
                              st.max_iter, &info, out, NULL, st.nlambda,
                              fit->family != LARIAT_FAMILY_GAUSSIAN ? &train_metrics : NULL};
        lc_summary_print(ctx, &summary);
    }
    /* --strict: not converging is a failure, reported after the model (which
    ** records "converged": false) was written. fit is the same on every rank. */
    if (rc == LARIAT_OK && lc_flag(o, LC_OPT_STRICT)) {
        int bad = 0;
        for (int k = 0; k < fit->nlambda; k++) bad += !fit->path[k].converged;
        if (bad > 0) {
            rc = lariat_error(ctx, LARIAT_ENUMERIC, "%d of %d lambda values did not converge within %d iterations (%s)",
                              bad, fit->nlambda, st.max_iter, lc_origin(o, LC_OPT_STRICT));
        }
    }
    lariat_fit_destroy(fit);
    lc_problem_arrays_free(&arrays);
    free(classes);
    free(train_w);
    free(test_w);
    lariat_data_destroy(data);
    return rc;
}
