/*
** The wide gram solver (wsgram.c) and its kernel: Gram columns equal the
** columns of the full Gram (dense and CSR, weighted, centered or not); the
** solver's path equals gram.c's on wide problems (objective to the
** tolerance, coefficients, certified gaps) with weights, penalty factors,
** bounds, a constant column and sparse storage; and `auto` picks it for
** p > n (and p > 4096) with an l1 term only, when n columns fit in memory,
** and the kernel ridge solver (tested in test_solvers.c) for ridge there.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "harness.h"
#include "solvers/prep.h"
#include "solvers/solver.h"
#include "testdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Collective. lariat_matrix_gram_cols against the columns of
** lariat_matrix_gram on this rank's rows, for a shift and without one. */
static void check_gram_cols(const lt_spec *spec)
{
    lariat_ctx *ctx = lt_ctx();
    lariat_data *d = lt_make_data(spec);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    const int64_t idx[] = {p - 1, 0, 3, 7, 2};
    const int64_t k = sizeof(idx) / sizeof(idx[0]);
    double *G = malloc((size_t)(p * p) * sizeof(double));
    double *C = malloc((size_t)(p * k) * sizeof(double));
    double *shift = malloc((size_t)p * sizeof(double));
    double *w = malloc((size_t)(d->n_local + 1) * sizeof(double));
    for (int64_t j = 0; j < p; j++) shift[j] = 0.25 * (double)j - 1.0;
    /* Some rows masked out, as cross-validation does. */
    for (int64_t i = 0; i < d->n_local; i++) w[i] = (d->row0 + i) % 4 == 1 ? 0.0 : d->w[i];
    for (int with_shift = 0; with_shift < 2; with_shift++) {
        const double *s = with_shift ? shift : NULL;
        int ok = lariat_matrix_gram(ctx, d->X, w, s, G) == LARIAT_OK &&
                 lariat_matrix_gram_cols(ctx, d->X, w, s, idx, k, C) == LARIAT_OK;
        double scale = 1.0, diff = 0.0;
        for (int64_t j = 0; j < p * p; j++) scale = fmax(scale, fabs(G[j]));
        for (int64_t t = 0; ok && t < k; t++) {
            for (int64_t j = 0; j < p; j++) diff = fmax(diff, fabs(C[t * p + j] - G[j * p + idx[t]]));
        }
        LT_ASSERT_ALL(ok && diff <= 1e-12 * scale);
    }
    free(G);
    free(C);
    free(shift);
    free(w);
    lariat_data_destroy(d);
}

static void test_gram_cols_dense(void)
{
    lt_spec spec = {.n = 37, .p = 11, .seed = 3, .corr = 0.3, .weighted = 1, .offset = 2.0};
    check_gram_cols(&spec);
}

static void test_gram_cols_sparse(void)
{
    lt_spec spec = {.n = 53, .p = 11, .seed = 4, .weighted = 1, .density = 0.35};
    check_gram_cols(&spec);
}

/* One comparison: the data, the problem, and the end of the path. */
typedef struct wide_case {
    lt_spec spec;
    double alpha;
    int pf_mix;          /* f_j = 0 for j % 7 == 0, 2 for j % 7 == 1, else 1 */
    int nonnegative;     /* lower = 0 */
    int constant_column; /* column 2 constant */
    double min_ratio;    /* the path ends at this fraction of lambda_max */
} wide_case;

/* Collective. The case's rows, with column 2 made constant when asked. */
static lariat_data *case_data(const wide_case *wc)
{
    lariat_data *d = lt_make_data(&wc->spec);
    if (d == NULL || !wc->constant_column) return d;
    const int64_t nl = d->n_local, p = d->p;
    double *X = malloc((size_t)(nl * p + 1) * sizeof(double));
    for (int64_t i = 0; i < nl; i++) {
        lariat_matrix_get_row(d->X, i, X + i * p);
        X[i * p + 2] = -1.5;
    }
    lariat_data *out = NULL;
    if (lariat_data_from_dense(lt_ctx(), nl, p, X, d->y, d->has_weights ? d->w : NULL, &out) != LARIAT_OK) out = NULL;
    free(X);
    lariat_data_destroy(d);
    return out;
}

/* Collective. gram.c and wsgram.c along the same warm-started path of 12
** lambdas: both certified at every lambda, the same objective to the
** tolerance and the same coefficients. */
static void check_path(const wide_case *wc)
{
    enum { NLAM = 12 };
    const double tol = 1e-10;
    lariat_ctx *ctx = lt_ctx();
    lariat_data *d = case_data(wc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    double *pf = malloc((size_t)p * sizeof(double)), *lo = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        pf[j] = wc->pf_mix ? (j % 7 == 0 ? 0.0 : (j % 7 == 1 ? 2.0 : 1.0)) : 1.0;
        lo[j] = wc->nonnegative ? 0.0 : -INFINITY;
    }
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.alpha = wc->alpha;
    pb.penalty_factor = pf;
    pb.lower = lo;
    lariat_settings st;
    lariat_settings_default(&st);
    st.tol = tol;
    st.max_iter = 100000;
    lariat_prep *prep = NULL;
    void *wg = NULL, *ww = NULL;
    double *cg = calloc((size_t)p, sizeof(double)), *cw = calloc((size_t)p, sizeof(double));
    int rc = lariat_prep_create(ctx, d, NULL, &pb, &prep);
    if (rc == LARIAT_OK) rc = lariat_solver_gram.create(prep, &st, &wg);
    if (rc == LARIAT_OK) rc = lariat_solver_wsgram.create(prep, &st, &ww);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    int certified = 1, same_objective = 1;
    double worst_coef = 0.0;
    const double lmax = rc == LARIAT_OK ? lariat_prep_lambda_max(prep) : 0.0;
    for (int k = 0; rc == LARIAT_OK && k < NLAM; k++) {
        const double lambda = lmax * pow(wc->min_ratio, (double)k / (NLAM - 1));
        lariat_solve_info ig, iw;
        rc = lariat_solver_gram.solve(wg, lambda, cg, &ig);
        if (rc == LARIAT_OK) rc = lariat_solver_wsgram.solve(ww, lambda, cw, &iw);
        if (rc != LARIAT_OK) break;
        certified &= ig.converged && iw.converged && iw.gap <= tol * prep->N0;
        same_objective &= fabs(ig.primal - iw.primal) <= 2.0 * tol * prep->N0 + 1e-14 * fabs(ig.primal);
        worst_coef = fmax(worst_coef, lt_rel_diff(cw, cg, p));
        /* Fixed and constant columns stay at their only value. */
        if (wc->constant_column) certified &= cw[2] == 0.0;
    }
    LT_ASSERT_ALL(rc == LARIAT_OK);
    LT_ASSERT_ALL(certified);
    LT_ASSERT_ALL(same_objective);
    LT_ASSERT_ALL(worst_coef <= 1e-4);
    lariat_solver_gram.destroy(wg);
    lariat_solver_wsgram.destroy(ww);
    lariat_prep_destroy(prep);
    free(cg);
    free(cw);
    free(pf);
    free(lo);
    lariat_data_destroy(d);
}

static void test_path_lasso_dense(void)
{
    wide_case wc = {.spec = {.n = 40, .p = 120, .seed = 21, .corr = 0.5, .nonzero = 8}, .alpha = 1.0,
                    .min_ratio = 0.02};
    check_path(&wc);
}

static void test_path_enet_weighted_mixed(void)
{
    wide_case wc = {.spec = {.n = 45, .p = 90, .seed = 22, .corr = 0.3, .weighted = 1, .nonzero = 6, .offset = 3.0},
                    .alpha = 0.6,
                    .pf_mix = 1,
                    .nonnegative = 1,
                    .constant_column = 1,
                    .min_ratio = 0.01};
    check_path(&wc);
}

static void test_path_sparse(void)
{
    wide_case wc = {.spec = {.n = 60, .p = 150, .seed = 23, .weighted = 1, .nonzero = 10, .density = 0.2},
                    .alpha = 0.9,
                    .min_ratio = 0.02};
    check_path(&wc);
}

/* Collective. auto's solver for alpha = 1, 0 and 0.05 on one data set, with
** memory bytes per rank, on the default path (frac < 0) or for the given
** lambdas {frac lambda_max, frac lambda_max / 10}. */
static void choose_for(const lt_spec *spec, double memory, double frac, const lariat_solver_ops *got[3])
{
    lariat_ctx *ctx = lt_ctx();
    lariat_data *d = lt_make_data(spec);
    for (int a = 0; a < 3; a++) {
        lariat_problem pb;
        lariat_problem_default(&pb);
        pb.alpha = a == 0 ? 1.0 : a == 1 ? 0.0 : 0.05;
        lariat_settings st;
        lariat_settings_default(&st);
        lariat_prep *prep = NULL;
        char reason[160];
        got[a] = NULL;
        if (d != NULL && lariat_prep_create(ctx, d, NULL, &pb, &prep) == LARIAT_OK) {
            double lam[2] = {frac * lariat_prep_lambda_max(prep), 0.1 * frac * lariat_prep_lambda_max(prep)};
            if (frac >= 0.0) {
                st.lambda = lam;
                st.n_lambda_given = 2;
            }
            got[a] = lariat_solver_choose(prep, &st, memory, reason, sizeof(reason));
        }
        lariat_prep_destroy(prep);
    }
    lariat_data_destroy(d);
}

/* Collective. auto takes wsgram for p > n and alpha of 0.15 or more when n
** columns fit in a quarter of the memory, along the default path or given
** lambdas that start near lambda_max (as cross-validation's folds get);
** the kernel (kernel_ridge.c) for ridge on p > n when its n rows fit;
** fista for a smaller alpha on p > n, for n >= p beyond p = 4096, without
** the memory, and for a first lambda far below lambda_max; gram.c
** otherwise. */
static void test_auto_choice(void)
{
    const lt_spec wide = {.n = 9, .p = 4200, .seed = 5}, small_wide = {.n = 30, .p = 50, .seed = 5};
    const lt_spec narrow = {.n = 60, .p = 50, .seed = 5};
    const lt_spec tall_wide = {.n = 4300, .p = 4200, .seed = 5, .density = 0.001};
    const lariat_solver_ops *got[3];
    choose_for(&wide, 1e12, -1.0, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_wsgram);
    LT_ASSERT_ALL(got[1] == &lariat_solver_kernel_ridge);
    LT_ASSERT_ALL(got[2] == &lariat_solver_fista);
    choose_for(&small_wide, 1e12, -1.0, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_wsgram);
    LT_ASSERT_ALL(got[1] == &lariat_solver_kernel_ridge);
    LT_ASSERT_ALL(got[2] == &lariat_solver_fista);
    choose_for(&wide, 1e12, 1.02, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_wsgram);
    choose_for(&wide, 1e12, 0.1, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_fista);
    choose_for(&wide, 1e6, -1.0, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_fista);
    LT_ASSERT_ALL(got[1] == &lariat_solver_fista);
    choose_for(&tall_wide, 1e12, -1.0, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_fista);
    choose_for(&narrow, 1e12, -1.0, got);
    LT_ASSERT_ALL(got[0] == &lariat_solver_gram);
    LT_ASSERT_ALL(got[1] == &lariat_solver_gram);
    LT_ASSERT_ALL(got[2] == &lariat_solver_gram);
    /* What cross-validation asks before its statistics pass: never gram
    ** where the choices above are not gram from any data. */
    lariat_settings st;
    lariat_settings_default(&st);
    double pf[50], lower[50];
    for (int j = 0; j < 50; j++) {
        pf[j] = 1.0;
        lower[j] = -INFINITY;
    }
    lariat_problem lasso, enet, ridge;
    lariat_problem_default(&lasso);
    enet = ridge = lasso;
    enet.alpha = 0.05;
    ridge.alpha = 0.0;
    ridge.penalty_factor = pf;
    ridge.lower = lower;
    LT_ASSERT_ALL(lariat_solver_never_gram(30, 50, &lasso, &st) && lariat_solver_never_gram(30, 50, &enet, &st));
    LT_ASSERT_ALL(!lariat_solver_never_gram(60, 50, &lasso, &st) && !lariat_solver_never_gram(60, 50, &ridge, &st));
    /* Ridge on p > n: the kernel, unless a feature is unpenalized or bounded. */
    LT_ASSERT_ALL(lariat_solver_never_gram(30, 50, &ridge, &st));
    pf[7] = 0.0;
    LT_ASSERT_ALL(!lariat_solver_never_gram(30, 50, &ridge, &st));
    pf[7] = 1.0;
    lower[3] = 0.0;
    LT_ASSERT_ALL(!lariat_solver_never_gram(30, 50, &ridge, &st));
    lower[3] = -INFINITY;
    double lam[1] = {0.1};
    st.lambda = lam;
    st.n_lambda_given = 1;
    LT_ASSERT_ALL(!lariat_solver_never_gram(30, 50, &lasso, &st) && lariat_solver_never_gram(30, 50, &enet, &st));
    LT_ASSERT_ALL(lariat_solver_never_gram(30, 50, &ridge, &st));
    st.lambda = NULL;
    st.n_lambda_given = 0;
    st.solver = LARIAT_SOLVER_GRAM;
    LT_ASSERT_ALL(!lariat_solver_never_gram(30, 50, &lasso, &st) && !lariat_solver_never_gram(30, 50, &ridge, &st));
    st.solver = LARIAT_SOLVER_FISTA;
    LT_ASSERT_ALL(lariat_solver_never_gram(60, 50, &lasso, &st));
}

void lt_register_wsgram(void)
{
    CU_pSuite s = CU_add_suite("wsgram", NULL, NULL);
    CU_add_test(s, "Gram columns = columns of the Gram, dense", test_gram_cols_dense);
    CU_add_test(s, "Gram columns = columns of the Gram, CSR", test_gram_cols_sparse);
    CU_add_test(s, "wide lasso path = gram's", test_path_lasso_dense);
    CU_add_test(s, "wide elastic net, weights, penalty factors, bounds, constant column = gram's",
                test_path_enet_weighted_mixed);
    CU_add_test(s, "wide sparse path = gram's", test_path_sparse);
    CU_add_test(s, "auto: wsgram for p > n, alpha >= 0.15 and a path from lambda_max; fista below; kernel for ridge",
                test_auto_choice);
}
