/*
** The distributed gram solver (pgram.c): its answers equal the replicated
** gram solver's and the closed forms computed here from the gathered raw
** rows with LAPACK, on every process grid the rank count allows (1 x P,
** P x 1, 2 x 2) and with block sizes (3, 5) that do not divide p; a ridge
** path from one tridiagonal reduction (or one eigendecomposition) equals
** the closed form and one Cholesky per lambda; lasso
** and elastic net (by ADMM) equal gram and fista; the solver choice spreads
** the Gram when a copy per rank would not fit; and the path driver and
** cross-validation run on it.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "harness.h"
#include "linalg/blas.h"
#include "solvers/pgram.h"
#include "solvers/prep.h"
#include "solvers/solver.h"
#include "testdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A problem and the arrays it points to. */
typedef struct problem {
    lariat_problem pb;
    double *pf, *lo, *hi;
} problem;

/* Not collective. alpha; penalty factors: 0 = all 1, 1 = positive and
** unequal (0.5 to 2), 2 = f_j = 0 for j % 7 == 3; a lower bound (NAN = none). */
static void problem_make(problem *pr, int64_t p, double alpha, int factors, double lower)
{
    lariat_problem_default(&pr->pb);
    pr->pb.alpha = alpha;
    pr->pf = malloc((size_t)p * sizeof(double));
    pr->lo = malloc((size_t)p * sizeof(double));
    pr->hi = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        pr->pf[j] = factors == 1 ? 0.5 + 1.5 * (double)(j % 4) / 3.0 : (factors == 2 && j % 7 == 3 ? 0.0 : 1.0);
        pr->lo[j] = isnan(lower) ? -INFINITY : lower;
        pr->hi[j] = INFINITY;
    }
    pr->pb.penalty_factor = pr->pf;
    pr->pb.lower = pr->lo;
    pr->pb.upper = pr->hi;
}

static void problem_free(problem *pr)
{
    free(pr->pf);
    free(pr->lo);
    free(pr->hi);
}

/* Collective. The spec'd rows; with constant_column, column 1 of a dense
** copy of the same rows is set to 2.5. */
static lariat_data *make_data(const lt_spec *spec, int constant_column)
{
    lariat_data *d = lt_make_data(spec);
    if (d == NULL || !constant_column) return d;
    int64_t nl = d->n_local, p = d->p;
    double *X = malloc((size_t)(nl * p + 1) * sizeof(double));
    for (int64_t i = 0; i < nl; i++) {
        lariat_matrix_get_row(d->X, i, X + i * p);
        X[i * p + 1] = 2.5;
    }
    lariat_data *out = NULL;
    if (lariat_data_from_dense(lt_ctx(), nl, p, X, d->y, d->has_weights ? d->w : NULL, &out) != LARIAT_OK) out = NULL;
    free(X);
    lariat_data_destroy(d);
    return out;
}

/* Collective. The ridge closed form from the gathered raw rows, independent
** of the library: with the weighted means m (0 without intercept) and scales
** s (SPEC.md section 1), xs = (x - m) / s, solve
**   (Xs'WXs/W + lambda diag(f)) c = Xs'W(y - ybar)/W
** over the columns with s_j > 0 (the others have c_j = 0). 0 on success. */
static int ridge_closed_form(const lariat_data *d, const problem *pr, double lambda, double *c)
{
    double *X, *y, *w;
    lt_gather_all(d, &X, &y, &w);
    const int64_t n = d->n, p = d->p;
    const lariat_problem *pb = &pr->pb;
    double W = 0.0, ybar = 0.0;
    double *m = calloc((size_t)p, sizeof(double)), *s = calloc((size_t)p, sizeof(double));
    double *A = calloc((size_t)(p * p), sizeof(double)), *xs = malloc((size_t)p * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        W += w[i];
        ybar += w[i] * y[i];
    }
    ybar = pb->intercept ? ybar / W : 0.0;
    for (int64_t j = 0; j < p; j++) {
        for (int64_t i = 0; pb->intercept && i < n; i++) m[j] += w[i] * X[i * p + j] / W;
        double s2 = 0.0;
        for (int64_t i = 0; i < n; i++) s2 += w[i] * (X[i * p + j] - m[j]) * (X[i * p + j] - m[j]) / W;
        s[j] = s2 <= 1e-24 ? 0.0 : (pb->standardize ? sqrt(s2) : 1.0);
    }
    memset(c, 0, (size_t)p * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < p; j++) xs[j] = s[j] > 0.0 ? (X[i * p + j] - m[j]) / s[j] : 0.0;
        const double wi = w[i] / W;
        for (int64_t j = 0; j < p; j++) {
            c[j] += wi * xs[j] * (y[i] - ybar);
            for (int64_t k = 0; k < p; k++) A[j * p + k] += wi * xs[j] * xs[k];
        }
    }
    for (int64_t j = 0; j < p; j++) A[j * p + j] += s[j] > 0.0 ? lambda * pr->pf[j] : 1.0;
    int info = (int)LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, A, (lapack_int)p, c, 1);
    free(m);
    free(s);
    free(A);
    free(xs);
    free(X);
    free(y);
    free(w);
    return info;
}

/* The result of a run of one solver over several lambdas. */
typedef struct run {
    int rc;
    int64_t p;
    double *c;                 /* nlam x p standardized coefficients */
    lariat_solve_info info[100];
    lariat_pgram_stats stats;  /* pgram only */
    double N0;
} run;

/* Collective. Solves the lambdas in order (warm starts) with ops, or with
** pgram on layout when ops is NULL; nlambda_setting is what the solver is
** told the path holds (1 = a single ridge lambda: Cholesky); with given,
** the settings hold the lambdas themselves, as the path driver's do. */
static void solve_path_given(const lariat_data *d, const problem *pr, const lariat_solver_ops *ops,
                             const lariat_pgram_layout *layout, int nlambda_setting, int given, const double *lambdas,
                             int nlam, double tol, run *out)
{
    const int64_t p = d->p;
    memset(out, 0, sizeof(*out));
    out->p = p;
    out->c = calloc((size_t)(nlam * p), sizeof(double));
    double *c = calloc((size_t)p, sizeof(double));
    lariat_settings st;
    lariat_settings_default(&st);
    st.tol = tol;
    st.max_iter = 200000;
    st.nlambda = nlambda_setting;
    if (given) {
        st.lambda = lambdas;
        st.n_lambda_given = nlam;
    }
    lariat_prep *prep = NULL;
    void *ws = NULL;
    out->rc = lariat_prep_create(lt_ctx(), d, NULL, &pr->pb, &prep);
    if (out->rc == LARIAT_OK) {
        out->N0 = prep->N0;
        out->rc = ops != NULL ? ops->create(prep, &st, &ws) : lariat_pgram_create(prep, &st, layout, &ws);
    }
    const lariat_solver_ops *solver = ops != NULL ? ops : &lariat_solver_pgram;
    for (int k = 0; out->rc == LARIAT_OK && k < nlam; k++) {
        out->rc = solver->solve(ws, lambdas[k], c, &out->info[k]);
        memcpy(out->c + k * p, c, (size_t)p * sizeof(double));
    }
    if (out->rc == LARIAT_OK && ops == NULL) lariat_pgram_get_stats(ws, &out->stats);
    if (ws != NULL) solver->destroy(ws);
    lariat_prep_destroy(prep);
    free(c);
}

/* Collective. solve_path_given without the lambdas in the settings. */
static void solve_path(const lariat_data *d, const problem *pr, const lariat_solver_ops *ops,
                       const lariat_pgram_layout *layout, int nlambda_setting, const double *lambdas, int nlam,
                       double tol, run *out)
{
    solve_path_given(d, pr, ops, layout, nlambda_setting, 0, lambdas, nlam, tol, out);
}

/* Not collective. Every solve converged with a gap of at most tol N0. */
static int all_certified(const run *r, int nlam, double tol)
{
    int ok = r->rc == LARIAT_OK;
    for (int k = 0; ok && k < nlam; k++) ok = r->info[k].converged && r->info[k].gap <= tol * r->N0;
    return ok;
}

/* Not collective. The largest lt_rel_diff over the lambdas. */
static double path_diff(const run *a, const run *b, int nlam)
{
    double d = 0.0;
    for (int k = 0; k < nlam; k++) d = fmax(d, lt_rel_diff(a->c + k * a->p, b->c + k * b->p, a->p));
    return d;
}

static void run_free(run *r) { free(r->c); }

/* Collective. The layouts to try at this rank count: every grid shape with
** odd block sizes, and the default. */
static int layouts_for(int P, lariat_pgram_layout *out)
{
    int n = 0;
    out[n++] = (lariat_pgram_layout){1, P, 3, 0};
    out[n++] = (lariat_pgram_layout){P, 1, 5, 0};
    if (P == 4) out[n++] = (lariat_pgram_layout){2, 2, 3, 0};
    out[n++] = (lariat_pgram_layout){0, 0, 0, 0};
    return n;
}

/* Collective. Ridge on every layout: one lambda (Cholesky, no reduction)
** and a path of four lambdas down to 0 (one reduction to tridiagonal form,
** no Cholesky) equal the closed form and the replicated gram solver to
** 1e-9; the whole path forms the Gram once. The path goes with its lambdas
** in the settings (one product with Q for all of them), without them (one
** per lambda), and, on the last layout, by one eigendecomposition. */
static void check_ridge_layouts(const lt_spec *spec, int constant_column, int factors)
{
    lariat_data *d = make_data(spec, constant_column);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    problem pr;
    problem_make(&pr, p, 0.0, factors, NAN);
    /* lambda = 0 only where least squares is unique (n > p). */
    const double lambdas[] = {2.0, 0.05, 1e-4, 0.0};
    const int nlam = d->n > p ? 4 : 3;
    double *cf = calloc((size_t)(nlam * p), sizeof(double));
    int info = 0;
    for (int k = 0; k < nlam; k++) info |= ridge_closed_form(d, &pr, lambdas[k], cf + k * p);
    run closed = {.p = p, .c = cf};
    run gram;
    solve_path(d, &pr, &lariat_solver_gram, NULL, nlam, lambdas, nlam, 1e-10, &gram);
    LT_ASSERT_ALL(info == 0 && gram.rc == LARIAT_OK);
    LT_ASSERT_ALL(path_diff(&gram, &closed, nlam) <= 1e-9);
    lariat_pgram_layout layouts[4];
    const int nlay = layouts_for(lt_size(), layouts);
    for (int l = 0; l < nlay; l++) {
        run one, path, each;
        solve_path(d, &pr, NULL, &layouts[l], 1, lambdas + 1, 1, 1e-10, &one);
        solve_path_given(d, &pr, NULL, &layouts[l], nlam, 1, lambdas, nlam, 1e-10, &path);
        solve_path(d, &pr, NULL, &layouts[l], nlam, lambdas, nlam, 1e-10, &each);
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  ridge p %lld %dx%d nb %d: one %.1e (gap/N0 %.1e) path %.1e each %.1e", (long long)p,
                   layouts[l].nprow, layouts[l].npcol, layouts[l].nb, lt_rel_diff(one.c, cf + p, p),
                   one.info[0].gap / one.N0, path_diff(&path, &closed, nlam), path_diff(&each, &closed, nlam));
        }
        LT_ASSERT_ALL(all_certified(&one, 1, 1e-10) && all_certified(&path, nlam, 1e-10) &&
                      all_certified(&each, nlam, 1e-10));
        LT_ASSERT_ALL(lt_rel_diff(one.c, cf + p, p) <= 1e-9 && lt_rel_diff(one.c, gram.c + p, p) <= 1e-9);
        LT_ASSERT_ALL(path_diff(&path, &closed, nlam) <= 1e-9 && path_diff(&path, &gram, nlam) <= 1e-9);
        LT_ASSERT_ALL(path_diff(&each, &closed, nlam) <= 1e-9 && path_diff(&each, &path, nlam) <= 1e-9);
        LT_ASSERT_ALL(one.stats.choleskys == 1 && one.stats.tridiags == 0 && one.stats.grams == 1);
        LT_ASSERT_ALL(path.stats.tridiags == 1 && path.stats.eigens == 0 && path.stats.choleskys == 0 &&
                      path.stats.grams == 1 && path.stats.admm_solves == 0 && path.stats.q_products == 2);
        LT_ASSERT_ALL(each.stats.tridiags == 1 && each.stats.choleskys == 0 && each.stats.admm_solves == 0 &&
                      each.stats.q_products == 1 + nlam);
        run_free(&one);
        run_free(&path);
        run_free(&each);
    }
    /* The same path by one eigendecomposition, as before the tridiagonal
    ** form. */
    lariat_pgram_layout eig = layouts[nlay - 1];
    eig.eigen = 1;
    run epath;
    solve_path_given(d, &pr, NULL, &eig, nlam, 1, lambdas, nlam, 1e-10, &epath);
    LT_ASSERT_ALL(all_certified(&epath, nlam, 1e-10) && path_diff(&epath, &closed, nlam) <= 1e-9);
    LT_ASSERT_ALL(epath.stats.eigens == 1 && epath.stats.tridiags == 0 && epath.stats.choleskys == 0 &&
                  epath.stats.admm_solves == 0);
    run_free(&epath);
    run_free(&gram);
    free(cf);
    problem_free(&pr);
    lariat_data_destroy(d);
}

static void test_ridge_tall(void)
{
    lt_spec spec = {.n = 61, .p = 23, .seed = 41, .corr = 0.5, .weighted = 1, .offset = 2.0, .scale_range = 1};
    check_ridge_layouts(&spec, 0, 0);
}

static void test_ridge_wide_factors_constant(void)
{
    lt_spec spec = {.n = 30, .p = 41, .seed = 42, .corr = 0.3, .weighted = 1, .offset = 1.0};
    check_ridge_layouts(&spec, 1, 1);
}

/* Collective. A ridge path with an unpenalized column has no closed form on
** the eigenvectors (the penalty is not a multiple of the identity): one
** lambda goes by Cholesky over the Gram, a path by one Cholesky per lambda
** on a copy (no eigendecomposition), both to 1e-9. */
static void test_ridge_unpenalized(void)
{
    lt_spec spec = {.n = 70, .p = 19, .seed = 43, .corr = 0.6, .weighted = 1};
    lariat_data *d = make_data(&spec, 0);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    problem pr;
    problem_make(&pr, p, 0.0, 2, NAN);
    const double lambdas[] = {0.5, 0.02};
    double *cf = calloc((size_t)(2 * p), sizeof(double));
    int info = ridge_closed_form(d, &pr, lambdas[0], cf) | ridge_closed_form(d, &pr, lambdas[1], cf + p);
    run closed = {.p = p, .c = cf}, one, path;
    lariat_pgram_layout layout = {0, 0, 4, 0};
    solve_path(d, &pr, NULL, &layout, 1, lambdas + 1, 1, 1e-10, &one);
    solve_path(d, &pr, NULL, &layout, 2, lambdas, 2, 1e-13, &path);
    LT_ASSERT_ALL(info == 0 && all_certified(&one, 1, 1e-10) && all_certified(&path, 2, 1e-13));
    LT_ASSERT_ALL(lt_rel_diff(one.c, cf + p, p) <= 1e-9 && one.stats.choleskys == 1);
    LT_ASSERT_ALL(path_diff(&path, &closed, 2) <= 1e-9 && path.stats.choleskys == 2 && path.stats.eigens == 0 &&
                  path.stats.admm_solves == 0 && path.stats.grams == 1);
    run_free(&one);
    run_free(&path);
    free(cf);
    problem_free(&pr);
    lariat_data_destroy(d);
}

/* One lasso or elastic-net case. */
typedef struct sparse_case {
    const char *name;
    lt_spec spec;
    double alpha;
    int no_intercept, no_standardize, constant_column, factors;
    double lower; /* NAN = none */
    int with_fista;
    double tol;   /* 0 = 1e-11 */
} sparse_case;

/* Collective. ADMM on the distributed Gram (x-updates on the Cholesky
** factor of Ht + rho I) along three lambdas equals gram
** (and fista where asked) to 1e-6 in the objective and 1e-5 in the
** coefficients, every solve certified, on a 2D layout with odd blocks. The
** gap bounds the coefficients' error by sqrt(2 G / mu), mu the objective's
** curvature: a weakly curved case (wide, small lambda (1 - alpha)) needs a
** smaller tol for 1e-5. */
static void check_sparse(const sparse_case *sc)
{
    lariat_data *d = make_data(&sc->spec, sc->constant_column);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    problem pr;
    problem_make(&pr, p, sc->alpha, sc->factors, sc->lower);
    pr.pb.intercept = !sc->no_intercept;
    pr.pb.standardize = !sc->no_standardize;
    double lmax = 0.0;
    LT_ASSERT_ALL(lariat_lambda_max(lt_ctx(), d, NULL, &pr.pb, &lmax) == LARIAT_OK);
    const double lambdas[] = {0.5 * lmax, 0.1 * lmax, 0.02 * lmax};
    const double tol = sc->tol > 0.0 ? sc->tol : 1e-11;
    const lariat_pgram_layout layout = {lt_size() == 4 ? 2 : 1, lt_size() == 4 ? 2 : lt_size(), 3, 0};
    run pg, gr, fi;
    solve_path(d, &pr, NULL, &layout, 3, lambdas, 3, tol, &pg);
    solve_path(d, &pr, &lariat_solver_gram, NULL, 3, lambdas, 3, tol, &gr);
    if (sc->with_fista) solve_path(d, &pr, &lariat_solver_fista, NULL, 3, lambdas, 3, tol, &fi);
    int ok = all_certified(&pg, 3, tol) && all_certified(&gr, 3, tol);
    ok = ok && (!sc->with_fista || all_certified(&fi, 3, tol));
    double dobj = 0.0;
    for (int k = 0; ok && k < 3; k++) {
        dobj = fmax(dobj, fabs(pg.info[k].primal - gr.info[k].primal) / gr.info[k].primal);
        if (sc->with_fista) dobj = fmax(dobj, fabs(pg.info[k].primal - fi.info[k].primal) / fi.info[k].primal);
    }
    const double dg = path_diff(&pg, &gr, 3), df = sc->with_fista ? path_diff(&pg, &fi, 3) : 0.0;
    if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
        printf("\n  %-18s admm it %d %d %d rho %.2g | dobj %.1e dcoef gram %.1e fista %.1e", sc->name,
               pg.info[0].iterations, pg.info[1].iterations, pg.info[2].iterations, pg.stats.rho, dobj, dg, df);
    }
    LT_ASSERT_ALL(ok);
    LT_ASSERT_ALL(dobj <= 1e-6 && dg <= 1e-5 && df <= 1e-5);
    LT_ASSERT_ALL(pg.stats.eigens == 0 && pg.stats.tridiags == 0 && pg.stats.grams == 1 && pg.stats.admm_solves == 3);
    run_free(&pg);
    run_free(&gr);
    if (sc->with_fista) run_free(&fi);
    problem_free(&pr);
    lariat_data_destroy(d);
}

static const sparse_case sparse_cases[] = {
    {.name = "lasso, weighted", .spec = {.n = 80, .p = 23, .seed = 51, .corr = 0.5, .weighted = 1, .offset = 1.0},
     .alpha = 1.0, .lower = NAN, .with_fista = 1},
    {.name = "elastic net, wide", .spec = {.n = 25, .p = 40, .seed = 52, .corr = 0.3}, .alpha = 0.5, .lower = NAN,
     .with_fista = 1, .tol = 1e-13},
    {.name = "no intercept", .spec = {.n = 60, .p = 17, .seed = 53, .corr = 0.4, .offset = 1.5}, .alpha = 1.0,
     .no_intercept = 1, .lower = NAN},
    {.name = "no standardize", .spec = {.n = 60, .p = 17, .seed = 54, .corr = 0.4, .scale_range = 1}, .alpha = 0.7,
     .no_standardize = 1, .lower = NAN},
    {.name = "constant column", .spec = {.n = 50, .p = 13, .seed = 55, .corr = 0.3, .weighted = 1}, .alpha = 1.0,
     .constant_column = 1, .lower = NAN},
    {.name = "lower bound 0", .spec = {.n = 60, .p = 17, .seed = 56, .corr = 0.6}, .alpha = 0.9, .lower = 0.0},
    {.name = "penalty factors", .spec = {.n = 60, .p = 21, .seed = 57, .corr = 0.5}, .alpha = 1.0, .factors = 2,
     .lower = NAN},
};

static void test_sparse_cases(void)
{
    for (size_t k = 0; k < sizeof(sparse_cases) / sizeof(sparse_cases[0]); k++) check_sparse(&sparse_cases[k]);
}

/* Not collective. Whether the choice for (kind, flag, memory) is ops and,
** for pgram, says "distributed" in its reason. */
static int choice_is(const lariat_prep *prep, lariat_solver_kind kind, int flag, double memory,
                     const lariat_solver_ops *want)
{
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = kind;
    st.distributed_gram = flag;
    char reason[160];
    const lariat_solver_ops *got = lariat_solver_choose(prep, &st, memory, reason, sizeof(reason));
    return got == want && (want != &lariat_solver_pgram || strstr(reason, "distributed") != NULL);
}

/* Collective. The switch: a Gram that fits a quarter of a rank's memory
** stays replicated; one that does not, but whose share per rank does, is
** spread (gram asked for or chosen by auto) when there are ranks to spread
** it over; --distributed-gram spreads it always; fista and admm are left
** alone. */
static void test_choice(void)
{
    lt_spec spec = {.n = 40, .p = 30, .seed = 58};
    lariat_data *d = make_data(&spec, 0);
    problem pr;
    problem_make(&pr, 30, 1.0, 0, NAN);
    lariat_prep *prep = NULL;
    int rc = d != NULL ? lariat_prep_create(lt_ctx(), d, NULL, &pr.pb, &prep) : LARIAT_EDATA;
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc == LARIAT_OK) {
        /* With memory = 2 p^2 8 bytes a copy (p^2 8 > memory / 4) does not
        ** fit, a share (p^2 8 / P) does from 2 ranks on. */
        const double gram = 30.0 * 30.0 * 8.0, plenty = 8.0 * gram, small = 2.0 * gram;
        const int spread = lt_size() > 1;
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_GRAM, 0, plenty, &lariat_solver_gram));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_AUTO, 0, plenty, &lariat_solver_gram));
        const lariat_solver_ops *asked = spread ? &lariat_solver_pgram : &lariat_solver_gram;
        const lariat_solver_ops *chosen = spread ? &lariat_solver_pgram : &lariat_solver_fista;
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_GRAM, 0, small, asked));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_AUTO, 0, small, chosen));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_GRAM, 1, plenty, &lariat_solver_pgram));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_AUTO, 1, plenty, &lariat_solver_pgram));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_FISTA, 1, small, &lariat_solver_fista));
        LT_ASSERT_ALL(choice_is(prep, LARIAT_SOLVER_ADMM, 0, small, &lariat_solver_admm));
        double memory = 0.0;
        LT_ASSERT_ALL(lariat_solver_memory(lt_ctx(), &memory) == LARIAT_OK && memory > 0.0);
    }
    lariat_prep_destroy(prep);
    problem_free(&pr);
    lariat_data_destroy(d);
}

/* Collective. Through the path driver and cross-validation: with
** distributed_gram the fit is the gram solver's (named "gram", its reason
** saying "distributed") and equals the replicated path (ridge to 1e-9 on the
** original scale, elastic net to 1e-5), and a ridge CV (one
** tridiagonal reduction per fold) gives the replicated CV's curve to 1e-8. */
static void test_path_driver_and_cv(void)
{
    lt_spec spec = {.n = 90, .p = 12, .seed = 59, .corr = 0.5, .weighted = 1, .offset = 1.0};
    lariat_data *d = make_data(&spec, 0);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    problem pr;
    problem_make(&pr, d->p, 0.0, 0, NAN);
    const double alphas[] = {0.0, 0.5}, limits[] = {1e-9, 1e-5};
    for (int a = 0; a < 2; a++) {
        pr.pb.alpha = alphas[a];
        lariat_settings st;
        lariat_settings_default(&st);
        st.solver = LARIAT_SOLVER_GRAM;
        st.nlambda = 8;
        st.tol = 1e-11;
        st.max_iter = 100000;
        lariat_fit *rep = NULL, *dist = NULL;
        int rc = lariat_fit_path(lt_ctx(), d, NULL, &pr.pb, &st, &rep);
        st.distributed_gram = 1;
        if (rc == LARIAT_OK) rc = lariat_fit_path(lt_ctx(), d, NULL, &pr.pb, &st, &dist);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) break;
        double diff = 0.0;
        int conv = rep->nlambda == dist->nlambda;
        for (int k = 0; conv && k < rep->nlambda; k++) {
            diff = fmax(diff, lt_rel_diff(dist->path[k].coef, rep->path[k].coef, d->p));
            const double b0 = rep->path[k].intercept;
            diff = fmax(diff, fabs(dist->path[k].intercept - b0) / fmax(1.0, fabs(b0)));
            conv &= dist->path[k].converged;
        }
        LT_ASSERT_ALL(conv && diff <= limits[a]);
        LT_ASSERT_ALL(strcmp(dist->solver_name, "gram") == 0 && strstr(dist->solver_reason, "distributed") != NULL);
        lariat_fit_destroy(rep);
        lariat_fit_destroy(dist);
    }
    pr.pb.alpha = 0.0;
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_GRAM;
    st.nlambda = 10;
    lariat_cv_settings cv;
    lariat_cv_settings_default(&cv);
    cv.nfolds = 3;
    lariat_cv_result *rep = NULL, *dist = NULL;
    int rc = lariat_cv(lt_ctx(), d, NULL, &pr.pb, &st, &cv, &rep);
    st.distributed_gram = 1;
    if (rc == LARIAT_OK) rc = lariat_cv(lt_ctx(), d, NULL, &pr.pb, &st, &cv, &dist);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc == LARIAT_OK) {
        const lariat_cv_curve *a = &rep->curves[0], *b = &dist->curves[0];
        LT_ASSERT_ALL(a->nlambda == b->nlambda && lt_rel_diff(b->cvm, a->cvm, a->nlambda) <= 1e-8 &&
                      a->index_min == b->index_min && a->index_1se == b->index_1se);
    }
    lariat_cv_destroy(rep);
    lariat_cv_destroy(dist);
    problem_free(&pr);
    lariat_data_destroy(d);
}

/* Collective. A timing, not a test, run only when LT_PGRAM_BENCH is set to
** "n p" (or "n p nprow npcol nb" for a given layout): on n x p data, one ridge lambda by PDPOTRF, then a path of 100
** lambdas by the tridiagonal form and by one eigendecomposition, in one run
** on the same Gram; rank 0 prints the phases and their ratios to one
** PDPOTRF, and the last lambda of each path is checked against the
** Cholesky solution. */
static void bench_ridge_path(void)
{
    const char *env = getenv("LT_PGRAM_BENCH");
    long long n = 0, p = 0;
    int shape[3] = {0, 0, 0};
    if (env == NULL || sscanf(env, "%lld %lld %d %d %d", &n, &p, &shape[0], &shape[1], &shape[2]) < 2) return;
    lt_spec spec = {.n = n, .p = p, .seed = 61, .corr = 0.3};
    lariat_data *d = make_data(&spec, 0);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    problem pr;
    problem_make(&pr, p, 0.0, 0, NAN);
    enum { L = 100 };
    double lambdas[L];
    for (int k = 0; k < L; k++) lambdas[k] = 10.0 * pow(1e-5, (double)k / (L - 1));
    lariat_pgram_layout tri = {shape[0], shape[1], shape[2], 0}, eig = {shape[0], shape[1], shape[2], 1};
    run one, tpath, epath;
    solve_path(d, &pr, NULL, &tri, 1, lambdas + L - 1, 1, 1e-10, &one);
    solve_path_given(d, &pr, NULL, &tri, L, 1, lambdas, L, 1e-10, &tpath);
    solve_path_given(d, &pr, NULL, &eig, L, 1, lambdas, L, 1e-10, &epath);
    const double f = one.stats.t_factor;
    if (lt_rank() == 0) {
        printf("\n  n %lld p %lld, %d ranks (grid %d x %d, nb %d; 0 = default): PDPOTRF %.3f s; Gram %.2f s", n, p,
               lt_size(), shape[0], shape[1], shape[2], f, one.stats.t_gram);
        printf("\n  tridiagonal path: reduction %.3f s + %d lambdas %.3f s = %.2f PDPOTRF", tpath.stats.t_reduce, L,
               tpath.stats.t_path, (tpath.stats.t_reduce + tpath.stats.t_path) / f);
        printf("\n  eigen path:       PDSYEVD   %.3f s + %d lambdas %.3f s = %.2f PDPOTRF", epath.stats.t_reduce, L,
               epath.stats.t_path, (epath.stats.t_reduce + epath.stats.t_path) / f);
        printf("\n  last lambda vs Cholesky: tridiagonal %.1e, eigen %.1e\n", lt_rel_diff(tpath.c + (L - 1) * p, one.c, p),
               lt_rel_diff(epath.c + (L - 1) * p, one.c, p));
    }
    LT_ASSERT_ALL(one.rc == LARIAT_OK && tpath.rc == LARIAT_OK && epath.rc == LARIAT_OK);
    LT_ASSERT_ALL(lt_rel_diff(tpath.c + (L - 1) * p, one.c, p) <= 1e-9);
    run_free(&one);
    run_free(&tpath);
    run_free(&epath);
    problem_free(&pr);
    lariat_data_destroy(d);
}

void lt_register_pgram(void)
{
    CU_pSuite s = CU_add_suite("pgram", NULL, NULL);
    CU_add_test(s, "ridge on every grid: Cholesky and tridiagonal path = closed form = gram", test_ridge_tall);
    CU_add_test(s, "ridge, wide, penalty factors, constant column", test_ridge_wide_factors_constant);
    CU_add_test(s, "ridge with an unpenalized column: Cholesky per lambda", test_ridge_unpenalized);
    CU_add_test(s, "lasso and elastic net by ADMM = gram = fista", test_sparse_cases);
    CU_add_test(s, "the switch to the distributed Gram", test_choice);
    CU_add_test(s, "path driver and cross-validation", test_path_driver_and_cv);
    if (getenv("LT_PGRAM_BENCH") != NULL) CU_add_test(s, "timing: ridge path against PDPOTRF", bench_ridge_path);
}
