/*
** Checkpoint and restart (SPEC.md section 7, ckpt/ckpt.h): a path or a
** cross-validation stopped at a chosen boundary (the test-only
** lariat_ckpt_test_stop_after) returns LARIAT_ESIGNAL with its message on
** every rank, and resumed, again and again until it finishes, gives exactly
** (bit for bit) the result of an uninterrupted run without checkpoints:
** fit with gram, fista and admm; the binomial and multinomial fits with the
** Newton solver (its kept IRLS curvature, and the bound) and fista; CV in
** the statistics mode, in the data mode (CSR rows) with fista and admm, with
** one group and with two. A checkpoint of other data or settings (another
** family among them), a missing and a damaged file are refused with a
** message naming what is wrong. A stop requested on rank 0 alone stops every
** rank.
*/
#include "ckpt/ckpt.h"
#include "harness.h"
#include "testdata.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not collective. Solutions equal bit for bit (coefficients, intercepts,
** certificate, iterations, deviance ratio), and the family's fit alike
** (classes, predictors, the devmax stop). */
static int same_fit(const lariat_fit *a, const lariat_fit *b)
{
    if (a == NULL || b == NULL || a->nlambda != b->nlambda || a->p != b->p) return 0;
    if (strcmp(a->solver_name, b->solver_name) != 0 || a->lambda_max != b->lambda_max) return 0;
    if (a->family != b->family || a->nlin != b->nlin || a->grouped != b->grouped || a->nclass != b->nclass ||
        a->path_stopped != b->path_stopped ||
        (a->nclass > 0 && memcmp(a->classes, b->classes, (size_t)a->nclass * sizeof(double)) != 0)) {
        return 0;
    }
    const int nlin = a->nlin > 1 ? a->nlin : 1;
    for (int k = 0; k < a->nlambda; k++) {
        const lariat_solution *x = &a->path[k], *y = &b->path[k];
        if (x->lambda != y->lambda || x->intercept != y->intercept || x->duality_gap != y->duality_gap ||
            x->objective != y->objective || x->iterations != y->iterations || x->converged != y->converged ||
            x->nonzero != y->nonzero || memcmp(&x->dev_ratio, &y->dev_ratio, sizeof(double)) != 0 ||
            memcmp(x->coef, y->coef, (size_t)(nlin * a->p) * sizeof(double)) != 0) {
            return 0;
        }
        if (nlin > 1 && (x->intercepts == NULL || y->intercepts == NULL ||
                         memcmp(x->intercepts, y->intercepts, (size_t)nlin * sizeof(double)) != 0)) {
            return 0;
        }
    }
    return 1;
}

/* Not collective. CV results equal bit for bit. */
static int same_cv(const lariat_cv_result *a, const lariat_cv_result *b)
{
    if (a == NULL || b == NULL || a->nalpha != b->nalpha || a->best != b->best || a->selected != b->selected ||
        a->lambda_min != b->lambda_min || a->lambda_1se != b->lambda_1se || a->alpha_min != b->alpha_min) {
        return 0;
    }
    for (int i = 0; i < a->nalpha; i++) {
        const lariat_cv_curve *x = &a->curves[i], *y = &b->curves[i];
        const size_t n = (size_t)x->nlambda * sizeof(double);
        if (x->nlambda != y->nlambda || x->alpha != y->alpha || x->index_min != y->index_min ||
            x->index_1se != y->index_1se || memcmp(x->lambda, y->lambda, n) != 0 || memcmp(x->cvm, y->cvm, n) != 0 ||
            memcmp(x->cvsd, y->cvsd, n) != 0 || !same_fit(x->fit, y->fit)) {
            return 0;
        }
    }
    return 1;
}

/* Collective. Removes a checkpoint left by an earlier test. */
static void remove_file(const char *path)
{
    if (lt_rank() == 0) remove(path);
    MPI_Barrier(lt_comm());
}

/* Collective. Runs fit (cv NULL) or CV with the checkpoint file, stopped
** every `every` boundaries and resumed until it finishes; the number of
** stops goes to *stops. Every stop must be LARIAT_ESIGNAL with the message
** of a stop request. */
static int run_interrupted(lariat_data *d, const lariat_problem *pb, lariat_settings st, const lariat_cv_settings *cv,
                           const char *file, int every, lariat_fit **fit, lariat_cv_result **res, int *stops)
{
    lariat_ctx *ctx = lt_ctx();
    int rc = LARIAT_ESIGNAL, ok = 1;
    remove_file(file);
    st.checkpoint = file;
    st.checkpoint_every = 1e9;
    *stops = 0;
    for (int attempt = 0; rc == LARIAT_ESIGNAL && attempt < 200; attempt++) {
        st.resume = attempt > 0;
        lariat_ckpt_test_stop_after(every);
        rc = cv != NULL ? lariat_cv(ctx, d, NULL, pb, &st, cv, res) : lariat_fit_path(ctx, d, NULL, pb, &st, fit);
        if (rc == LARIAT_ESIGNAL) {
            (*stops)++;
            char expected[600];
            snprintf(expected, sizeof(expected), "stopped by a stop request after writing checkpoint %s", file);
            ok &= strcmp(lariat_errmsg(ctx), expected) == 0;
        }
    }
    lariat_ckpt_test_stop_after(0);
    return ok ? rc : -1;
}

/* The path of fit, stopped after every 4th lambda, with each solver (and
** ridge's kernel and tridiagonal reduction): the resumed path equals the
** uninterrupted one, bit for bit. */
static void test_fit_resumed(void)
{
    lt_spec spec = {.n = 160, .p = 9, .seed = 31, .corr = 0.5, .weighted = 1};
    lariat_data *d = lt_make_data(&spec);
    /* gram twice: replicated, and distributed (whose ADMM keeps rho along the path). */
    const lariat_solver_kind kinds[] = {LARIAT_SOLVER_GRAM, LARIAT_SOLVER_GRAM, LARIAT_SOLVER_FISTA,
                                        LARIAT_SOLVER_ADMM};
    for (size_t s = 0; s < sizeof(kinds) / sizeof(kinds[0]); s++) {
        lariat_problem pb;
        lariat_settings st;
        lariat_problem_default(&pb);
        lariat_settings_default(&st);
        pb.alpha = 0.7;
        st.solver = kinds[s];
        st.distributed_gram = s == 1;
        st.nlambda = 15;
        lariat_fit *ref = NULL, *fit = NULL;
        int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &ref);
        int stops = 0;
        int rc2 = run_interrupted(d, &pb, st, NULL, lt_path("fit.ckpt"), 4, &fit, NULL, &stops);
        LT_ASSERT_ALL(rc == LARIAT_OK && rc2 == LARIAT_OK && stops == 3);
        LT_ASSERT_ALL(rc2 == LARIAT_OK && same_fit(fit, ref));
        lariat_fit_destroy(ref);
        lariat_fit_destroy(fit);
    }
    lariat_data_destroy(d);
    /* Ridge on more features than rows (auto's kernel, its path's lambdas
    ** shared out over the ranks anew on each resume), and on p = 310 < n
    ** (gram's one tridiagonal reduction for the path, made again on each
    ** resume; the last stop leaves a list of one lambda, which alone would
    ** be a Cholesky factor's). */
    const lt_spec ridge_specs[] = {{.n = 30, .p = 80, .seed = 32, .corr = 0.3, .weighted = 1},
                                   {.n = 400, .p = 310, .seed = 33, .corr = 0.3, .weighted = 1}};
    for (int k = 0; k < 2; k++) {
        d = lt_make_data(&ridge_specs[k]);
        lariat_problem pb;
        lariat_settings st;
        lariat_problem_default(&pb);
        lariat_settings_default(&st);
        pb.alpha = 0.0;
        st.nlambda = 13;
        lariat_fit *ref = NULL, *fit = NULL;
        int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &ref);
        int stops = 0;
        int rc2 = run_interrupted(d, &pb, st, NULL, lt_path("fit.ckpt"), 4, &fit, NULL, &stops);
        LT_ASSERT_ALL(rc == LARIAT_OK && rc2 == LARIAT_OK && stops == 3);
        LT_ASSERT_ALL(rc == LARIAT_OK && (k == 1 || strstr(ref->solver_reason, "n x n kernel") != NULL));
        LT_ASSERT_ALL(rc2 == LARIAT_OK && same_fit(fit, ref));
        lariat_fit_destroy(ref);
        lariat_fit_destroy(fit);
        lariat_data_destroy(d);
    }
}

/* Collective. A fixture of tests/fixtures (the label in column 0). */
static lariat_data *read_fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", lt_fixtures_dir(), name);
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK && d != NULL);
    return d;
}

/* Collective. The path of one family, uninterrupted and stopped after
** every `every` lambdas: the same fit bit for bit, with at least min_stops
** stops; stopped says whether the path ends at devmax. */
static void check_glm_resumed(lariat_data *d, const lariat_problem *pb, const lariat_settings *st, int every,
                              int min_stops, int stopped)
{
    lariat_fit *ref = NULL, *fit = NULL;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, pb, st, &ref);
    int stops = 0;
    int rc2 = run_interrupted(d, pb, *st, NULL, lt_path("glm.ckpt"), every, &fit, NULL, &stops);
    int ok = rc == LARIAT_OK && rc2 == LARIAT_OK && stops >= min_stops && ref->path_stopped == stopped &&
             same_fit(fit, ref);
    if (!ok && lt_rank() == 0) {
        fprintf(stderr, "family %d solver %d curvature %d every %d: status %d, %d, stops %d, %d and %d lambdas (%s)\n",
                (int)pb->family, (int)st->solver, (int)st->curvature, every, rc, rc2, stops,
                ref ? ref->nlambda : -1, fit ? fit->nlambda : -1, lariat_errmsg(lt_ctx()));
    }
    LT_ASSERT_ALL(ok);
    lariat_fit_destroy(ref);
    lariat_fit_destroy(fit);
}

/* The binomial path (breast cancer) and the multinomial path (wine,
** ungrouped and grouped), stopped at chosen lambdas and resumed: equal to
** the uninterrupted path bit for bit, with the Newton solvers (binomial:
** the lockstep engine on one model, whose curvature and path predictor the
** checkpoint holds and whose point a resumed solve evaluates afresh;
** multinomial: glm_newton.c's, its IRLS curvature kept across lambdas; and
** the fixed bound) and with fista (its step carried along the path). */
static void test_glm_fit_resumed(void)
{
    lariat_data *breast = read_fixture("class_breast.csv"), *wine = read_fixture("class_wine.csv");
    lariat_problem pb;
    lariat_settings st;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    pb.alpha = 0.8;
    pb.family = LARIAT_FAMILY_BINOMIAL;
    st.nlambda = 24;
    /* Stopped after every 3rd lambda. */
    check_glm_resumed(breast, &pb, &st, 3, 8, 0);
    /* The bound and fista converge slowly on nearly separable classes: a
    ** capped number of steps still makes a path to compare. */
    st.curvature = LARIAT_CURVATURE_BOUND;
    st.max_iter = 100;
    check_glm_resumed(breast, &pb, &st, 4, 2, 0);
    st.curvature = LARIAT_CURVATURE_AUTO;
    st.solver = LARIAT_SOLVER_FISTA;
    check_glm_resumed(breast, &pb, &st, 5, 4, 0);
    /* CSR rows: a working set first (glm_workset.c's handoff, at once on
    ** these 30 features), then the lockstep, whose curvature is the shared
    ** Gram and the model's reading of it (refresh_sparse), which the
    ** checkpoint holds. */
    lariat_data *sparse = lt_sparse_copy(breast);
    LT_ASSERT_ALL(sparse != NULL);
    lariat_settings_default(&st);
    st.nlambda = 24;
    check_glm_resumed(sparse, &pb, &st, 3, 8, 0);
    lariat_data_destroy(sparse);

    lariat_settings_default(&st);
    pb.family = LARIAT_FAMILY_MULTINOMIAL;
    pb.alpha = 0.5;
    st.nlambda = 16;
    st.lambda_min_ratio = 1e-2;
    check_glm_resumed(wine, &pb, &st, 2, 8, 0);
    /* Down to a tiny lambda the path stops at glmnet's devmax before its
    ** last lambda: stopped after every lambda, the last checkpoint holds
    ** the stopped path, whose resume solves nothing. */
    st.lambda_min_ratio = 1e-6;
    st.nlambda = 8;
    check_glm_resumed(wine, &pb, &st, 1, 4, 1);
    st.nlambda = 16;
    st.lambda_min_ratio = 1e-2;
    pb.grouped = 1;
    check_glm_resumed(wine, &pb, &st, 3, 3, 0);
    st.solver = LARIAT_SOLVER_FISTA;
    st.max_iter = 300;
    check_glm_resumed(wine, &pb, &st, 4, 2, 0);
    lariat_data_destroy(breast);
    lariat_data_destroy(wine);

    /* More features than rows: the working set (glm_workset.c), whose W,
    ** strong-rule gradient and inner curvature the checkpoint holds. */
    lt_spec spec = {.n = 50, .p = 120, .seed = 7, .corr = 0.3, .nonzero = 6};
    for (int multi = 0; multi < 2; multi++) {
        lariat_data *wide = lt_make_data(&spec);
        for (int64_t i = 0; wide != NULL && i < wide->n_local; i++) {
            wide->y[i] = multi ? (wide->y[i] < -0.5 ? 0.0 : wide->y[i] < 0.5 ? 1.0 : 2.0) : (wide->y[i] > 0.0);
        }
        lariat_problem_default(&pb);
        lariat_settings_default(&st);
        pb.family = multi ? LARIAT_FAMILY_MULTINOMIAL : LARIAT_FAMILY_BINOMIAL;
        st.nlambda = 12;
        st.lambda_min_ratio = 0.05;
        if (wide != NULL) check_glm_resumed(wide, &pb, &st, 3, 3, 0);
        lariat_data_destroy(wide);
    }

    /* Taller CSR rows: the binomial path starts on a working set and hands
    ** the rest to the lockstep once W holds more than an eighth of the
    ** features (glm_workset.c); on these rows at the 5th of the 16 lambdas
    ** (`--verbose` says where), so that the stops after every 2nd fall
    ** before the handoff (the checkpoint holds W) and after it (the
    ** lockstep's state behind a mark). */
    lt_spec tall = {.n = 400, .p = 96, .seed = 11, .corr = 0.2, .nonzero = 12};
    lariat_data *dt = lt_make_data(&tall);
    for (int64_t i = 0; dt != NULL && i < dt->n_local; i++) dt->y[i] = dt->y[i] > 0.0;
    lariat_data *dts = dt != NULL ? lt_sparse_copy(dt) : NULL;
    LT_ASSERT_ALL(dts != NULL);
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    pb.family = LARIAT_FAMILY_BINOMIAL;
    pb.alpha = 0.5;
    st.nlambda = 16;
    st.lambda_min_ratio = 0.02;
    check_glm_resumed(dts, &pb, &st, 2, 7, 0);
    lariat_data_destroy(dts);
    lariat_data_destroy(dt);
}

/* Collective. Resuming fit with these inputs is refused with LARIAT_EUSAGE
** and a message containing text and the file's name. */
static void expect_fit_refused(lariat_data *d, const lariat_problem *pb, const lariat_settings *st, const char *file,
                               const char *text)
{
    lariat_settings s = *st;
    lariat_fit *fit = NULL;
    s.checkpoint = file;
    s.resume = 1;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, pb, &s, &fit);
    const char *msg = lariat_errmsg(lt_ctx());
    int ok = rc == LARIAT_EUSAGE && fit == NULL && strstr(msg, text) != NULL && strstr(msg, file) != NULL;
    if (!ok && lt_rank() == 0) fprintf(stderr, "status %d, message '%s'; expected '%s'\n", rc, msg, text);
    LT_ASSERT_ALL(ok);
    lariat_fit_destroy(fit);
}

/* Collective. Writes a checkpoint of fit stopped at its second lambda. */
static void make_fit_checkpoint(lariat_data *d, const lariat_problem *pb, const lariat_settings *st, const char *file)
{
    lariat_settings s = *st;
    lariat_fit *fit = NULL;
    remove_file(file);
    s.checkpoint = file;
    lariat_ckpt_test_stop_after(2);
    int rc = lariat_fit_path(lt_ctx(), d, NULL, pb, &s, &fit);
    lariat_ckpt_test_stop_after(0);
    LT_ASSERT_ALL(rc == LARIAT_ESIGNAL && fit == NULL);
}

/* A checkpoint of one family resumed as another, with the other
** multinomial penalty or the other curvature: refused, naming it. */
static void test_glm_refused(void)
{
    lariat_data *breast = read_fixture("class_breast.csv"), *wine = read_fixture("class_wine.csv");
    lariat_problem pb, pb2;
    lariat_settings st, st2;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    st.nlambda = 6;
    const char *file = lt_path("family.ckpt");
    make_fit_checkpoint(breast, &pb, &st, file);
    pb2 = pb;
    pb2.family = LARIAT_FAMILY_BINOMIAL;
    expect_fit_refused(breast, &pb2, &st, file, "was made with family gaussian, but this run has family binomial");

    make_fit_checkpoint(breast, &pb2, &st, file);
    expect_fit_refused(breast, &pb, &st, file, "was made with family binomial, but this run has family gaussian");
    st2 = st;
    st2.curvature = LARIAT_CURVATURE_BOUND;
    expect_fit_refused(breast, &pb2, &st2, file, "was made with curvature auto, but this run has curvature bound");

    pb.family = LARIAT_FAMILY_MULTINOMIAL;
    make_fit_checkpoint(wine, &pb, &st, file);
    pb2 = pb;
    pb2.grouped = 1;
    expect_fit_refused(wine, &pb2, &st, file,
                       "was made with multinomial ungrouped, but this run has multinomial grouped");
    lariat_data_destroy(breast);
    lariat_data_destroy(wine);
}

/* Collective. CV of two alphas, uninterrupted without a checkpoint and
** interrupted every `every` boundaries: the same result bit for bit. */
static void check_cv(const lt_spec *spec, lariat_solver_kind solver, int groups, int every, int min_stops)
{
    lariat_data *d = lt_make_data(spec);
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    double alphas[2] = {0.5, 1.0};
    st.solver = solver;
    st.nlambda = 8;
    st.tol = 1e-6;
    cv.nfolds = 4;
    cv.groups = groups;
    cv.alphas = alphas;
    cv.nalpha = 2;
    lariat_cv_result *ref = NULL, *res = NULL;
    int rc = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &ref);
    int stops = 0;
    int rc2 = run_interrupted(d, &pb, st, &cv, lt_path("cv.ckpt"), every, NULL, &res, &stops);
    LT_ASSERT_ALL(rc == LARIAT_OK && rc2 == LARIAT_OK && stops >= min_stops);
    LT_ASSERT_ALL(rc2 == LARIAT_OK && same_cv(res, ref));
    lariat_cv_destroy(ref);
    lariat_cv_destroy(res);
    lariat_data_destroy(d);
}

/* The statistics mode (gram on dense rows): boundaries after each alpha's
** all-rows path and each round of folds dealt across the ranks. */
static void test_cv_stats_resumed(void)
{
    lt_spec spec = {.n = 140, .p = 7, .seed = 12, .corr = 0.4, .weighted = 1};
    check_cv(&spec, LARIAT_SOLVER_GRAM, 0, 1, 4);
    check_cv(&spec, LARIAT_SOLVER_GRAM, 0, 3, 1);
}

/* The data mode (CSR rows, masked fits) with fista and admm: with one group
** the boundaries include every lambda of every path; with two groups, the
** rounds of folds. */
static void test_cv_data_resumed(void)
{
    lt_spec spec = {.n = 130, .p = 6, .seed = 5, .corr = 0.3, .weighted = 1, .density = 0.7};
    check_cv(&spec, LARIAT_SOLVER_FISTA, 1, 7, 10);
    check_cv(&spec, LARIAT_SOLVER_ADMM, 1, 11, 6);
    if (lt_size() >= 2) {
        check_cv(&spec, LARIAT_SOLVER_FISTA, 2, 2, 8);
        check_cv(&spec, LARIAT_SOLVER_ADMM, 2, 3, 5);
    }
}

/* Collective. The CV of a cross-entropy family over two alphas, stopped
** every `every` boundaries: the same result bit for bit as uninterrupted. */
static void check_glm_cv(lariat_data *d, const lariat_problem *pb, lariat_solver_kind solver, int groups, int every,
                         int min_stops)
{
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    double alphas[2] = {0.5, 1.0};
    st.solver = solver;
    st.nlambda = 10;
    st.lambda_min_ratio = 0.05;
    cv.nfolds = 4;
    cv.groups = groups;
    cv.alphas = alphas;
    cv.nalpha = 2;
    lariat_cv_result *ref = NULL, *res = NULL;
    int rc = lariat_cv(lt_ctx(), d, NULL, pb, &st, &cv, &ref);
    int stops = 0;
    int rc2 = run_interrupted(d, pb, st, &cv, lt_path("glmcv.ckpt"), every, NULL, &res, &stops);
    if ((rc != LARIAT_OK || rc2 != LARIAT_OK || stops < min_stops) && lt_rank() == 0) {
        fprintf(stderr, "family %d solver %d groups %d every %d: status %d, %d, %d stops\n", (int)pb->family,
                (int)solver, groups, every, rc, rc2, stops);
    }
    LT_ASSERT_ALL(rc == LARIAT_OK && rc2 == LARIAT_OK && stops >= min_stops);
    LT_ASSERT_ALL(rc2 == LARIAT_OK && same_cv(res, ref));
    lariat_cv_destroy(ref);
    lariat_cv_destroy(res);
}

/* The families' CV: binomial in lockstep (a boundary after each alpha's
** whole lockstep) and fold by fold with fista (the all-rows path's every
** lambda, then each fold), multinomial fold by fold, and with two groups
** in rounds of folds. */
static void test_glm_cv_resumed(void)
{
    lariat_data *breast = read_fixture("class_breast.csv"), *wine = read_fixture("class_wine.csv");
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.family = LARIAT_FAMILY_BINOMIAL;
    check_glm_cv(breast, &pb, LARIAT_SOLVER_AUTO, 0, 1, 2);
    check_glm_cv(breast, &pb, LARIAT_SOLVER_FISTA, 1, 4, 5);
    pb.family = LARIAT_FAMILY_MULTINOMIAL;
    check_glm_cv(wine, &pb, LARIAT_SOLVER_GRAM, 1, 3, 5);
    if (lt_size() >= 2) {
        /* Rounds of folds in two groups (binomial on dense rows takes the
        ** lockstep's one group whatever is asked: multinomial here). */
        check_glm_cv(wine, &pb, LARIAT_SOLVER_GRAM, 2, 2, 3);
    }
    lariat_data_destroy(breast);
    lariat_data_destroy(wine);
}

/* Collective. Writes a checkpoint of a CV stopped at its first boundary. */
static void make_cv_checkpoint(lariat_data *d, const lariat_problem *pb, const lariat_settings *st,
                               const lariat_cv_settings *cv, const char *file)
{
    lariat_settings s = *st;
    lariat_cv_result *res = NULL;
    remove_file(file);
    s.checkpoint = file;
    lariat_ckpt_test_stop_after(1);
    int rc = lariat_cv(lt_ctx(), d, NULL, pb, &s, cv, &res);
    lariat_ckpt_test_stop_after(0);
    LT_ASSERT_ALL(rc == LARIAT_ESIGNAL && res == NULL);
}

/* Collective. Resuming with these inputs is refused with status want and a
** message containing text. */
static void expect_refused(lariat_data *d, const lariat_problem *pb, const lariat_settings *st,
                           const lariat_cv_settings *cv, const char *file, int want, const char *text)
{
    lariat_settings s = *st;
    lariat_cv_result *res = NULL;
    s.checkpoint = file;
    s.resume = 1;
    int rc = lariat_cv(lt_ctx(), d, NULL, pb, &s, cv, &res);
    const char *msg = lariat_errmsg(lt_ctx());
    int ok = rc == want && res == NULL && strstr(msg, text) != NULL && strstr(msg, file) != NULL;
    if (!ok && lt_rank() == 0) fprintf(stderr, "status %d, message '%s'; expected %d and '%s'\n", rc, msg, want, text);
    LT_ASSERT_ALL(ok);
    lariat_cv_destroy(res);
}

/* Other data, other settings, a fit's checkpoint given to cv, a missing and
** a damaged file: refused, naming what differs. */
static void test_refused(void)
{
    lt_spec spec = {.n = 90, .p = 5, .seed = 3, .corr = 0.2}, other = spec;
    other.seed = 4;
    lariat_data *d = lt_make_data(&spec), *d2 = lt_make_data(&other);
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    st.nlambda = 6;
    cv.nfolds = 3;
    const char *file = lt_path("refused.ckpt");
    make_cv_checkpoint(d, &pb, &st, &cv, file);

    expect_refused(d2, &pb, &st, &cv, file, LARIAT_EUSAGE, "other data");
    lariat_problem pb2 = pb;
    pb2.alpha = 0.5;
    expect_refused(d, &pb2, &st, &cv, file, LARIAT_EUSAGE, "alpha 1, but this run has alpha 0.5");
    lariat_cv_settings cv2 = cv;
    cv2.nfolds = 5;
    expect_refused(d, &pb, &st, &cv2, file, LARIAT_EUSAGE, "nfolds 3, but this run has nfolds 5");
    lariat_settings st2 = st;
    st2.solver = LARIAT_SOLVER_FISTA;
    expect_refused(d, &pb, &st2, &cv, file, LARIAT_EUSAGE, "solver auto, but this run has solver fista");
    cv2 = cv;
    cv2.measure = LARIAT_MEASURE_MAE;
    expect_refused(d, &pb, &st, &cv2, file, LARIAT_EUSAGE, "type-measure default, but this run has type-measure mae");

    /* A fit's checkpoint is not a CV's. */
    lariat_settings sf = st;
    lariat_fit *fit = NULL;
    const char *ffile = lt_path("fit-refused.ckpt");
    remove_file(ffile);
    sf.checkpoint = ffile;
    lariat_ckpt_test_stop_after(2);
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &sf, &fit);
    lariat_ckpt_test_stop_after(0);
    LT_ASSERT_ALL(rc == LARIAT_ESIGNAL && fit == NULL);
    expect_refused(d, &pb, &st, &cv, ffile, LARIAT_EUSAGE, "written by lariat fit, not by lariat cv");

    expect_refused(d, &pb, &st, &cv, lt_path("missing.ckpt"), LARIAT_EDATA, "cannot resume from checkpoint");

    /* One byte changed in the middle: the checksum catches it. */
    if (lt_rank() == 0) {
        FILE *f = fopen(file, "r+b");
        if (f != NULL) {
            fseek(f, 0, SEEK_END);
            long size = ftell(f);
            fseek(f, size / 2, SEEK_SET);
            int c = fgetc(f);
            fseek(f, size / 2, SEEK_SET);
            fputc(c ^ 0x10, f);
            fclose(f);
        }
    }
    MPI_Barrier(lt_comm());
    expect_refused(d, &pb, &st, &cv, file, LARIAT_EDATA, "damaged");
    lariat_data_destroy(d);
    lariat_data_destroy(d2);
}

/* A stop requested on rank 0 only (as a signal delivered to one process)
** stops every rank at the same boundary, names the signal, and the run
** resumes to the uninterrupted result. checkpoint_every 0 saves at every
** boundary without stopping, changes nothing in the result, and its last
** save resumes to it too. */
static void test_request_one_rank(void)
{
    lt_spec spec = {.n = 120, .p = 6, .seed = 9, .corr = 0.3};
    lariat_data *d = lt_make_data(&spec);
    lariat_problem pb;
    lariat_settings st;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    st.nlambda = 10;
    lariat_fit *ref = NULL, *fit = NULL, *saved = NULL;
    int rc0 = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &ref);
    const char *file = lt_path("request.ckpt");
    remove_file(file);
    lariat_settings s = st;
    s.checkpoint = file;
    if (lt_rank() == 0) lariat_request_stop(SIGUSR1);
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &s, &fit);
    char expected[600];
    snprintf(expected, sizeof(expected), "stopped by SIGUSR1 after writing checkpoint %s", file);
    LT_ASSERT_ALL(rc0 == LARIAT_OK && rc == LARIAT_ESIGNAL && fit == NULL &&
                  strcmp(lariat_errmsg(lt_ctx()), expected) == 0);
    s.resume = 1;
    rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &s, &fit);
    LT_ASSERT_ALL(rc == LARIAT_OK && same_fit(fit, ref));
    s.resume = 0;
    s.checkpoint_every = 0.0;
    rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &s, &saved);
    LT_ASSERT_ALL(rc == LARIAT_OK && same_fit(saved, ref));
    /* The last periodic save (as after a kill -9) resumes to the same path. */
    lariat_fit_destroy(fit);
    fit = NULL;
    s.resume = 1;
    rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &s, &fit);
    LT_ASSERT_ALL(rc == LARIAT_OK && same_fit(fit, ref));
    lariat_fit_destroy(ref);
    lariat_fit_destroy(fit);
    lariat_fit_destroy(saved);
    lariat_data_destroy(d);
}

void lt_register_checkpoint(void)
{
    CU_pSuite s = CU_add_suite("checkpoint", NULL, NULL);
    CU_add_test(s, "a fit path resumed equals an uninterrupted one", test_fit_resumed);
    CU_add_test(s, "binomial and multinomial paths resumed equal uninterrupted ones", test_glm_fit_resumed);
    CU_add_test(s, "a checkpoint of another family or penalty is refused", test_glm_refused);
    CU_add_test(s, "CV from statistics resumed equals an uninterrupted one", test_cv_stats_resumed);
    CU_add_test(s, "CV with masked fits resumed equals an uninterrupted one", test_cv_data_resumed);
    CU_add_test(s, "binomial and multinomial CV resumed equal uninterrupted ones", test_glm_cv_resumed);
    CU_add_test(s, "checkpoints of other data or settings are refused", test_refused);
    CU_add_test(s, "a stop on one rank stops all; saving changes nothing", test_request_one_rank);
}
