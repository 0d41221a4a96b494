/*
** The prepared problem: standardization against a hand computation on the
** gathered rows (SPEC.md section 1), lambda_max (section 2), and the gap's
** defining properties (non-negative; zero at a known optimum). The same
** for lariat_prep_create_gram, whose Gram is checked against the hand sums
** too.
*/
#include "solvers/prep.h"
#include "harness.h"
#include "testdata.h"

#include <math.h>
#include <stdlib.h>

static void check_standardization(int intercept, int standardize, int gram)
{
    lt_spec s = {.n = 57, .p = 6, .seed = 5, .corr = 0.4, .weighted = 1, .offset = 3.0, .scale_range = 3};
    lariat_data *d = lt_make_data(&s);
    double *X, *y, *w;
    lt_gather_all(d, &X, &y, &w);
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.alpha = 0.5;
    pb.intercept = intercept;
    pb.standardize = standardize;
    lariat_prep *prep = NULL;
    int rc = gram ? lariat_prep_create_gram(lt_ctx(), d, NULL, &pb, &prep)
                  : lariat_prep_create(lt_ctx(), d, NULL, &pb, &prep);
    LT_ASSERT_ALL(rc == LARIAT_OK && (prep->gram != NULL) == gram);
    if (rc != LARIAT_OK) return;
    const int64_t n = s.n, p = s.p;
    double W = 0, ybar = 0;
    for (int64_t i = 0; i < n; i++) {
        W += w[i];
        ybar += w[i] * y[i];
    }
    ybar = intercept ? ybar / W : 0.0;
    int ok = fabs(prep->W - W) <= 1e-12 * W && fabs(prep->ybar - ybar) <= 1e-12 * (1 + fabs(ybar));
    double yy = 0, lmax = 0;
    for (int64_t i = 0; i < n; i++) yy += w[i] * (y[i] - ybar) * (y[i] - ybar) / W;
    ok &= fabs(prep->N0 - yy / 2) <= 1e-12 * yy;
    for (int64_t j = 0; j < p; j++) {
        double m = 0, v = 0, xy = 0;
        for (int64_t i = 0; i < n; i++) m += w[i] * X[i * p + j] / W;
        if (!intercept) m = 0;
        for (int64_t i = 0; i < n; i++) v += w[i] * (X[i * p + j] - m) * (X[i * p + j] - m) / W;
        double sd = standardize ? sqrt(v) : 1.0;
        for (int64_t i = 0; i < n; i++) xy += w[i] * (X[i * p + j] - m) / sd * (y[i] - ybar) / W;
        ok &= fabs(prep->mean[j] - m) <= 1e-12 * (1 + fabs(m));
        ok &= fabs(prep->scale[j] - sd) <= 1e-12 * sd;
        ok &= fabs(prep->xy[j] - xy) <= 1e-10 * (1 + fabs(xy));
        lmax = fmax(lmax, fabs(xy) / 0.5);
        for (int64_t l = 0; gram && l < p; l++) {
            /* The unscaled centered Gram: sum w (x_j - m_j)(x_l - m_l). */
            double ml = 0, g = 0, a = 0;
            for (int64_t i = 0; i < n; i++) ml += w[i] * X[i * p + l] / W;
            if (!intercept) ml = 0;
            for (int64_t i = 0; i < n; i++) {
                g += w[i] * (X[i * p + j] - m) * (X[i * p + l] - ml);
                a += fabs(w[i] * (X[i * p + j] - m) * (X[i * p + l] - ml));
            }
            ok &= fabs(prep->gram[j * p + l] - g) <= 1e-12 * a && prep->gram[j * p + l] == prep->gram[l * p + j];
        }
    }
    ok &= fabs(lariat_prep_lambda_max(prep) - lmax) <= 1e-10 * lmax;
    LT_ASSERT_ALL(ok);
    lariat_prep_destroy(prep);
    free(X);
    free(y);
    free(w);
    lariat_data_destroy(d);
}

static void test_standardize_intercept(void) { check_standardization(1, 1, 0); }
static void test_standardize_no_intercept(void) { check_standardization(0, 1, 0); }
static void test_no_standardize(void) { check_standardization(1, 0, 0); }
static void test_gram_intercept(void) { check_standardization(1, 1, 1); }
static void test_gram_no_intercept(void) { check_standardization(0, 1, 1); }
static void test_gram_no_standardize(void) { check_standardization(1, 0, 1); }

/* Gap at b = 0 for the lasso, from the prepared quantities alone: v = xy,
** rr = ry = yy. Zero at lambda >= lambda_max (b = 0 is optimal there),
** positive below it. */
static void test_gap_at_zero(void)
{
    lt_spec s = {.n = 40, .p = 5, .seed = 9, .corr = 0.2};
    lariat_data *d = lt_make_data(&s);
    lariat_problem pb;
    lariat_problem_default(&pb);
    lariat_prep *prep = NULL;
    int rc = lariat_prep_create(lt_ctx(), d, NULL, &pb, &prep);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc != LARIAT_OK) return;
    double c[5] = {0}, P, G;
    double lmax = lariat_prep_lambda_max(prep);
    lariat_prep_gap(prep, lmax, c, prep->xy, prep->yy, prep->yy, &P, &G);
    int ok = fabs(G) <= 1e-14 * prep->N0 && fabs(P - prep->N0) <= 1e-14 * prep->N0;
    lariat_prep_gap(prep, 0.5 * lmax, c, prep->xy, prep->yy, prep->yy, &P, &G);
    ok &= G > 1e-6 * prep->N0;
    LT_ASSERT_ALL(ok);
    lariat_prep_destroy(prep);
    lariat_data_destroy(d);
}

/* A constant column gets scale 0 and bounds [0, 0]; bad bounds are refused. */
static void test_constant_column_and_bounds(void)
{
    int64_t nl = 3, p = 3;
    double X[9], y[3];
    for (int64_t i = 0; i < nl; i++) {
        int64_t gi = lt_rank() * nl + i;
        X[i * p + 0] = (double)gi;
        X[i * p + 1] = 4.0; /* constant */
        X[i * p + 2] = (double)(gi * gi);
        y[i] = 1.0 + (double)gi;
    }
    lariat_data *d = NULL;
    LT_ASSERT_ALL(lariat_data_from_dense(lt_ctx(), nl, p, X, y, NULL, &d) == LARIAT_OK);
    lariat_problem pb;
    lariat_problem_default(&pb);
    lariat_prep *prep = NULL;
    int rc = lariat_prep_create(lt_ctx(), d, NULL, &pb, &prep);
    LT_ASSERT_ALL(rc == LARIAT_OK && prep->scale[1] == 0.0 && prep->lo[1] == 0.0 && prep->hi[1] == 0.0 &&
                  prep->n_constant == 1 && prep->scale[0] > 0.0);
    lariat_prep_destroy(prep);
    /* The Gram's diagonal, made in another order, finds the same constant column. */
    rc = lariat_prep_create_gram(lt_ctx(), d, NULL, &pb, &prep);
    LT_ASSERT_ALL(rc == LARIAT_OK && prep->scale[1] == 0.0 && prep->n_constant == 1 && prep->scale[0] > 0.0);
    lariat_prep_destroy(prep);
    double lower[3] = {0.5, -1, -1};
    pb.lower = lower;
    rc = lariat_prep_create(lt_ctx(), d, NULL, &pb, &prep);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE && prep == NULL);
    lariat_data_destroy(d);
}

void lt_register_prep(void)
{
    CU_pSuite s = CU_add_suite("prep", NULL, NULL);
    CU_add_test(s, "weighted standardization with intercept", test_standardize_intercept);
    CU_add_test(s, "RMS scaling without intercept", test_standardize_no_intercept);
    CU_add_test(s, "centering without standardization", test_no_standardize);
    CU_add_test(s, "the same with the Gram in the second pass", test_gram_intercept);
    CU_add_test(s, "the same with the Gram, no intercept", test_gram_no_intercept);
    CU_add_test(s, "the same with the Gram, no standardization", test_gram_no_standardize);
    CU_add_test(s, "gap at b = 0 around lambda_max", test_gap_at_zero);
    CU_add_test(s, "constant column and infeasible bounds", test_constant_column_and_bounds);
}
