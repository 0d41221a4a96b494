/*
** Cross-validation: balanced folds independent of the rank count, and CV
** curves equal (1e-9 relative) to a single-process run on the gathered rows,
** with seeded folds, a foldid, and several alphas.
*/
#include "cv/folds.h"
#include <cjson/cJSON.h>
#include "data/matrix.h"
#include "harness.h"
#include "testdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_folds_balanced(void)
{
    const int64_t ns[] = {1, 2, 7, 10, 11, 100, 1001, 4097};
    const int Ks[] = {2, 3, 5, 10};
    int ok = 1;
    for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++) {
        int64_t n = ns[a];
        char *seen = calloc((size_t)n, 1);
        for (int64_t i = 0; i < n; i++) {
            int64_t pi = lariat_permute(7, n, i);
            ok &= pi >= 0 && pi < n && !seen[pi];
            if (pi >= 0 && pi < n) seen[pi] = 1;
        }
        free(seen);
        for (size_t b = 0; b < sizeof(Ks) / sizeof(Ks[0]); b++) {
            int K = Ks[b];
            if (K > n) continue;
            int64_t count[10] = {0};
            for (int64_t i = 0; i < n; i++) count[lariat_fold_of(3, n, K, i) - 1]++;
            int64_t lo = n, hi = 0;
            for (int k = 0; k < K; k++) {
                lo = count[k] < lo ? count[k] : lo;
                hi = count[k] > hi ? count[k] : hi;
            }
            ok &= hi - lo <= 1;
        }
    }
    /* Different seeds give different assignments. */
    int differ = 0;
    for (int64_t i = 0; i < 100; i++) differ |= lariat_fold_of(1, 100, 10, i) != lariat_fold_of(2, 100, 10, i);
    CU_ASSERT(ok);
    CU_ASSERT(differ);
}

/* Runs CV on the distributed data and on the gathered rows on MPI_COMM_SELF,
** and compares the curves. */
static void check_cv_against_self(const lt_spec *spec, const lariat_problem *pb, const lariat_settings *st,
                                  lariat_cv_settings *cv, int use_foldid)
{
    lariat_data *d = lt_make_data(spec);
    double *X, *y, *w;
    lt_gather_all(d, &X, &y, &w);
    int *foldid = NULL, *foldid_all = NULL;
    if (use_foldid) {
        foldid = malloc((size_t)(d->n_local + 1) * sizeof(int));
        foldid_all = malloc((size_t)(d->n + 1) * sizeof(int));
        for (int64_t i = 0; i < d->n; i++) foldid_all[i] = (int)((i * 7) % 4) + 1;
        for (int64_t i = 0; i < d->n_local; i++) foldid[i] = foldid_all[d->row0 + i];
    }
    lariat_cv_result *res = NULL, *ref = NULL;
    cv->foldid = foldid;
    int rc = lariat_cv(lt_ctx(), d, NULL, pb, st, cv, &res);
    LT_ASSERT_ALL(rc == LARIAT_OK);

    lariat_ctx *self = NULL;
    lariat_ctx_create(MPI_COMM_SELF, &self);
    lariat_ctx_set_verbosity(self, LARIAT_LOG_QUIET);
    lariat_data *all = NULL;
    lariat_data_from_dense(self, d->n, d->p, X, y, spec->weighted ? w : NULL, &all);
    cv->foldid = foldid_all;
    const int groups = cv->groups;
    cv->groups = 1; /* the reference is one process */
    int rc2 = lariat_cv(self, all, NULL, pb, st, cv, &ref);
    cv->groups = groups;
    LT_ASSERT_ALL(rc2 == LARIAT_OK);
    int ok = (rc == LARIAT_OK && rc2 == LARIAT_OK);
    if (ok) {
        ok &= res->nalpha == ref->nalpha && res->best == ref->best && res->nfolds == ref->nfolds;
        for (int a = 0; ok && a < res->nalpha; a++) {
            const lariat_cv_curve *c = &res->curves[a], *r = &ref->curves[a];
            ok &= c->nlambda == r->nlambda && c->index_min == r->index_min && c->index_1se == r->index_1se;
            if (!ok) break;
            ok &= lt_rel_diff(c->lambda, r->lambda, c->nlambda) <= 1e-12;
            ok &= lt_rel_diff(c->cvm, r->cvm, c->nlambda) <= 1e-9;
            ok &= lt_rel_diff(c->cvsd, r->cvsd, c->nlambda) <= 1e-9;
        }
        ok &= fabs(res->lambda_min - ref->lambda_min) <= 1e-12 * ref->lambda_min;
        ok &= fabs(res->lambda_1se - ref->lambda_1se) <= 1e-12 * ref->lambda_1se;
    }
    LT_ASSERT_ALL(ok);
    lariat_cv_destroy(res);
    lariat_cv_destroy(ref);
    lariat_data_destroy(all);
    lariat_ctx_destroy(self);
    lariat_data_destroy(d);
    free(X);
    free(y);
    free(w);
    free(foldid);
    free(foldid_all);
    cv->foldid = NULL;
}

static void test_cv_across_ranks(void)
{
    lt_spec spec = {.n = 150, .p = 8, .seed = 21, .corr = 0.5, .weighted = 1};
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    st.solver = LARIAT_SOLVER_GRAM;
    st.nlambda = 30;
    st.tol = 1e-12;
    cv.nfolds = 5;
    check_cv_against_self(&spec, &pb, &st, &cv, 0);
    check_cv_against_self(&spec, &pb, &st, &cv, 1);
    double alphas[3] = {0.2, 0.5, 1.0};
    cv.alphas = alphas;
    cv.nalpha = 3;
    check_cv_against_self(&spec, &pb, &st, &cv, 0);
}

/* A rank without rows may pass no foldid where the others pass theirs (the
** curves are those of an empty foldid there); a rank with rows that passes
** none while others do is a usage error on every rank, not a hang. */
static void test_cv_foldid_empty_rank(void)
{
    const int P = lt_size(), me = lt_rank();
    if (P < 2) return;
    const int64_t n = 60, p = 5;
    int64_t begin, end;
    lt_split(n, me, P - 1, &begin, &end); /* the last rank has no rows */
    if (me == P - 1) begin = end = n;
    const int64_t nl = end - begin;
    double *X = malloc((size_t)(nl * p + 1) * sizeof(double)), *y = malloc((size_t)(nl + 1) * sizeof(double));
    int *fold = malloc((size_t)(nl + 1) * sizeof(int));
    for (int64_t i = 0; i < nl; i++) {
        const int64_t gi = begin + i;
        double eta = 0.0;
        for (int64_t j = 0; j < p; j++) {
            X[i * p + j] = sin((double)(gi * (j + 3) + j)) + 0.1 * (double)j;
            eta += (j < 2 ? 1.0 : 0.0) * X[i * p + j];
        }
        y[i] = eta + 0.3 * cos((double)(7 * gi));
        fold[i] = (int)(gi % 4) + 1;
    }
    lariat_data *d = NULL;
    int rc = lariat_data_from_dense(lt_ctx(), nl, p, X, y, NULL, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    st.nlambda = 15;
    lariat_cv_result *given = NULL, *none_here = NULL, *bad = NULL;
    cv.foldid = fold; /* a valid pointer on every rank */
    if (rc == LARIAT_OK) rc = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &given);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    cv.foldid = nl > 0 ? fold : NULL;
    int rc2 = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &none_here);
    LT_ASSERT_ALL(rc2 == LARIAT_OK);
    if (rc == LARIAT_OK && rc2 == LARIAT_OK) {
        const lariat_cv_curve *a = &given->curves[0], *b = &none_here->curves[0];
        LT_ASSERT_ALL(given->nfolds == 4 && none_here->nfolds == 4 && a->nlambda == b->nlambda &&
                      memcmp(a->cvm, b->cvm, (size_t)a->nlambda * sizeof(double)) == 0);
    }
    cv.foldid = me == 0 ? NULL : fold; /* rank 0 has rows */
    int rc3 = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &bad);
    LT_ASSERT_ALL(rc3 == LARIAT_EUSAGE && bad == NULL && strstr(lariat_errmsg(lt_ctx()), "foldid") != NULL);
    lariat_cv_destroy(given);
    lariat_cv_destroy(none_here);
    lariat_data_destroy(d);
    free(X);
    free(y);
    free(fold);
}

/* Rank groups: 2 groups (and as many groups as ranks) give the curves of a
** single process, with seeded folds and with a foldid. */
static void test_cv_groups(void)
{
    if (lt_size() < 2) return;
    lt_spec spec = {.n = 97, .p = 6, .seed = 4, .corr = 0.3, .weighted = 1};
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    pb.alpha = 0.7;
    st.solver = LARIAT_SOLVER_GRAM;
    st.nlambda = 20;
    st.tol = 1e-12;
    cv.nfolds = 4;
    cv.groups = 2;
    check_cv_against_self(&spec, &pb, &st, &cv, 0);
    check_cv_against_self(&spec, &pb, &st, &cv, 1);
    cv.groups = lt_size();
    check_cv_against_self(&spec, &pb, &st, &cv, 0);
}

/* The one-pass statistics mode (gram on dense rows) equals the masked-fit
** mode, which CSR storage of the same rows takes. */
static void test_cv_stats_equals_masked(void)
{
    lt_spec spec = {.n = 120, .p = 7, .seed = 8, .corr = 0.4, .weighted = 1, .density = 0.6, .offset = 1.5};
    lariat_data *sparse = lt_make_data(&spec);
    const int64_t nl = sparse->n_local, p = spec.p;
    double *X = malloc((size_t)(nl * p + 1) * sizeof(double));
    for (int64_t i = 0; i < nl; i++) lariat_matrix_get_row(sparse->X, i, X + i * p);
    lariat_data *dense = NULL;
    lariat_data_from_dense(lt_ctx(), nl, p, X, sparse->y, sparse->w, &dense);
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    pb.alpha = 0.5;
    st.solver = LARIAT_SOLVER_GRAM;
    st.nlambda = 25;
    st.tol = 1e-13;
    cv.nfolds = 5;
    lariat_cv_result *a = NULL, *b = NULL;
    int rc1 = lariat_cv(lt_ctx(), dense, NULL, &pb, &st, &cv, &a);
    int rc2 = lariat_cv(lt_ctx(), sparse, NULL, &pb, &st, &cv, &b);
    int ok = rc1 == LARIAT_OK && rc2 == LARIAT_OK;
    if (ok) {
        const lariat_cv_curve *c = &a->curves[0], *r = &b->curves[0];
        ok &= c->nlambda == r->nlambda && c->index_min == r->index_min && c->index_1se == r->index_1se;
        ok &= ok && lt_rel_diff(c->cvm, r->cvm, c->nlambda) <= 1e-9 && lt_rel_diff(c->cvsd, r->cvsd, c->nlambda) <= 1e-8;
        const lariat_solution *sa = &c->fit->path[a->selected], *sb = &r->fit->path[b->selected];
        ok &= ok && lt_rel_diff(sa->coef, sb->coef, p) <= 1e-9 && fabs(sa->intercept - sb->intercept) <= 1e-9 * (1 + fabs(sb->intercept));
    }
    LT_ASSERT_ALL(ok);
    lariat_cv_destroy(a);
    lariat_cv_destroy(b);
    lariat_data_destroy(dense);
    lariat_data_destroy(sparse);
    free(X);
}

/* Reads a JSON array of numbers into a malloc'ed vector; *n its length. */
static double *json_numbers(const cJSON *arr, int *n)
{
    *n = cJSON_GetArraySize(arr);
    double *v = malloc((size_t)(*n + 1) * sizeof(double));
    for (int i = 0; i < *n; i++) v[i] = cJSON_GetArrayItem(arr, i)->valuedouble;
    return v;
}

/* Reads and parses a fixture's JSON (NULL if it cannot). */
static cJSON *read_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", lt_fixtures_dir(), name);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = 0;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = calloc((size_t)len + 1, 1);
        if (fread(text, 1, (size_t)len, f) != (size_t)len) len = 0;
    }
    if (f != NULL) fclose(f);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    free(text);
    return json;
}

/* cv.glmnet with a fixed foldid and the lambda list given on the diabetes
** lasso (make_cvglmnet.R): cvm and cvsd equal cv.glmnet's and the exact
** per-fold referee's (make_cv_referee.py) to 1e-9, with the same lambda_min
** and lambda_1se and the refit's coefficients (1e-6). Both the statistics
** mode and (2 rank groups, masked fits) the data mode; and under mae,
** cv.glmnet's mae table and choices. */
static void test_cv_matches_cvglmnet(void)
{
    char path[512];
    cJSON *ref = read_fixture("cvglmnet_diabetes.json"), *exact = read_fixture("cv_referee_diabetes.json");
    LT_ASSERT_ALL(ref != NULL && exact != NULL);
    if (ref == NULL || exact == NULL) {
        cJSON_Delete(ref);
        cJSON_Delete(exact);
        return;
    }
    int nlam = 0, nf = 0, ncvm = 0, ncvsd = 0, ncoef = 0;
    double *lam = json_numbers(cJSON_GetObjectItem(ref, "lambda"), &nlam);
    double *fold_all = json_numbers(cJSON_GetObjectItem(ref, "foldid"), &nf);
    double *cvm = json_numbers(cJSON_GetObjectItem(ref, "cvm"), &ncvm);
    double *cvsd = json_numbers(cJSON_GetObjectItem(ref, "cvsd"), &ncvsd);
    int nx = 0, nxs = 0;
    double *xcvm = json_numbers(cJSON_GetObjectItem(exact, "cvm"), &nx);
    double *xcvsd = json_numbers(cJSON_GetObjectItem(exact, "cvsd"), &nxs);
    double *coef = json_numbers(cJSON_GetObjectItem(ref, "coef_1se"), &ncoef);
    const double lmin = cJSON_GetObjectItem(ref, "lambda_min")->valuedouble;
    const double l1se = cJSON_GetObjectItem(ref, "lambda_1se")->valuedouble;
    const double b0 = cJSON_GetObjectItem(ref, "intercept_1se")->valuedouble;

    snprintf(path, sizeof(path), "%s/diabetes.csv", lt_fixtures_dir());
    lariat_read_options ro;
    lariat_read_options_default(&ro);
    ro.label = "y";
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), path, &ro, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK && d->n == nf && d->p == ncoef && ncvm == nlam && ncvsd == nlam);
    if (rc == LARIAT_OK && d->n == nf) {
        int *fold = malloc((size_t)(d->n_local + 1) * sizeof(int));
        for (int64_t i = 0; i < d->n_local; i++) fold[i] = (int)fold_all[d->row0 + i];
        lariat_problem pb;
        lariat_settings st;
        lariat_cv_settings cv;
        lariat_problem_default(&pb);
        lariat_settings_default(&st);
        lariat_cv_settings_default(&cv);
        st.solver = LARIAT_SOLVER_GRAM;
        st.tol = 1e-12;
        st.lambda = lam;
        st.n_lambda_given = nlam;
        cv.foldid = fold;
        for (int groups = 1; groups <= (lt_size() > 1 ? 2 : 1); groups++) {
            cv.groups = groups;
            lariat_cv_result *res = NULL;
            rc = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &res);
            LT_ASSERT_ALL(rc == LARIAT_OK);
            if (rc != LARIAT_OK) continue;
            const lariat_cv_curve *c = &res->curves[0];
            const lariat_solution *sol = &c->fit->path[res->selected];
            int ok = c->nlambda == nlam;
            ok &= ok && nx == nlam && nxs == nlam;
            ok &= ok && lt_rel_diff(c->cvm, xcvm, nlam) <= 1e-9 && lt_rel_diff(c->cvsd, xcvsd, nlam) <= 1e-9;
            ok &= ok && lt_rel_diff(c->cvm, cvm, nlam) <= 1e-9 && lt_rel_diff(c->cvsd, cvsd, nlam) <= 1e-9;
            ok &= res->lambda_min == lmin && res->lambda_1se == l1se && res->nfolds == 5;
            ok &= lt_rel_diff(sol->coef, coef, ncoef) <= 1e-6 && fabs(sol->intercept - b0) <= 1e-6 * fabs(b0);
            if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
                printf("\n    groups %d: exact cvm %.2e cvsd %.2e; cv.glmnet cvm %.2e cvsd %.2e lmin %.17g/%.17g l1se %.17g/%.17g coef %.2e b0 %.17g/%.17g", groups,
                       lt_rel_diff(c->cvm, xcvm, nlam), lt_rel_diff(c->cvsd, xcvsd, nlam), lt_rel_diff(c->cvm, cvm, nlam),
                       lt_rel_diff(c->cvsd, cvsd, nlam), res->lambda_min, lmin,
                       res->lambda_1se, l1se, lt_rel_diff(sol->coef, coef, ncoef), sol->intercept, b0);
            }
            LT_ASSERT_ALL(ok);
            lariat_cv_destroy(res);
        }
        /* The same folds and lambdas under mae (SPEC.md section 9): cv.glmnet's
        ** table, lambda_min and lambda_1se. */
        int nm = 0, nms = 0;
        double *cvm_mae = json_numbers(cJSON_GetObjectItem(ref, "cvm_mae"), &nm);
        double *cvsd_mae = json_numbers(cJSON_GetObjectItem(ref, "cvsd_mae"), &nms);
        const cJSON *lm = cJSON_GetObjectItem(ref, "lambda_min_mae"), *l1 = cJSON_GetObjectItem(ref, "lambda_1se_mae");
        cv.groups = 0;
        cv.measure = LARIAT_MEASURE_MAE;
        lariat_cv_result *res = NULL;
        rc = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &res);
        LT_ASSERT_ALL(rc == LARIAT_OK && nm == nlam && nms == nlam && lm != NULL && l1 != NULL);
        if (rc == LARIAT_OK && nm == nlam && nms == nlam && lm != NULL && l1 != NULL) {
            const lariat_cv_curve *c = &res->curves[0];
            LT_ASSERT_ALL(res->measure == LARIAT_MEASURE_MAE && c->nlambda == nlam &&
                          lt_rel_diff(c->cvm, cvm_mae, nlam) <= 1e-9 && lt_rel_diff(c->cvsd, cvsd_mae, nlam) <= 1e-9 &&
                          res->lambda_min == lm->valuedouble && res->lambda_1se == l1->valuedouble);
        }
        lariat_cv_destroy(res);
        free(cvm_mae);
        free(cvsd_mae);
        free(fold);
    }
    lariat_data_destroy(d);
    cJSON_Delete(ref);
    cJSON_Delete(exact);
    free(xcvm);
    free(xcvsd);
    free(lam);
    free(fold_all);
    free(cvm);
    free(cvsd);
    free(coef);
}

/* More folds than rows is an error on every rank. */
static void test_cv_too_many_folds(void)
{
    lt_spec spec = {.n = 6, .p = 3, .seed = 2};
    lariat_data *d = lt_make_data(&spec);
    lariat_problem pb;
    lariat_settings st;
    lariat_cv_settings cv;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    lariat_cv_settings_default(&cv);
    cv.nfolds = 7;
    lariat_cv_result *res = NULL;
    int rc = lariat_cv(lt_ctx(), d, NULL, &pb, &st, &cv, &res);
    LT_ASSERT_ALL(rc == LARIAT_EDATA && res == NULL && strstr(lariat_errmsg(lt_ctx()), "7 folds") != NULL);
    lariat_data_destroy(d);
}

void lt_register_cv(void)
{
    CU_pSuite s = CU_add_suite("cv", NULL, NULL);
    CU_add_test(s, "folds are balanced bijections of the rows", test_folds_balanced);
    CU_add_test(s, "CV curves equal a single-process run", test_cv_across_ranks);
    CU_add_test(s, "rank groups give the same curves", test_cv_groups);
    CU_add_test(s, "foldid: none on a rank without rows is fine, none on a rank with rows refused", test_cv_foldid_empty_rank);
    CU_add_test(s, "one-pass statistics equal masked fits", test_cv_stats_equals_masked);
    CU_add_test(s, "cvm, cvsd, lambda_min, lambda_1se and refit equal cv.glmnet", test_cv_matches_cvglmnet);
    CU_add_test(s, "more folds than rows is refused", test_cv_too_many_folds);
}
