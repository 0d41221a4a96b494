/*
** The gram and fista solvers (and gram's kernel variant for wide ridge): optimality (KKT conditions checked on the
** original scale from the gathered raw rows, and the duality gap), agreement
** between the two solvers, with closed forms (ridge, weighted least squares)
** computed here with LAPACK from the raw arrays, and with a reference fit on
** MPI_COMM_SELF, across data shapes, weights, bounds, penalty factors, sparse
** storage, scaling options and column scales.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "harness.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"
#include "testdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One test case: the data, the problem, and lambda as a fraction of lambda_max. */
typedef struct scenario {
    const char *name;
    lt_spec spec;
    double alpha;
    int no_intercept, no_standardize;
    int pf_zeros;           /* f_j = 0 for j % 5 == 0, 2 for j % 5 == 1, else 1 */
    int has_lower, has_upper;
    double lower, upper;    /* the same bound on every coefficient (original scale) */
    int constant_column;    /* column 1 overwritten by a constant */
    double frac;
} scenario;

/* The problem's per-feature arrays, owned here. */
typedef struct problem_arrays {
    lariat_problem pb;
    double *pf, *lo, *hi;
} problem_arrays;

/* One solution at one lambda. */
typedef struct solution1 {
    double *c;      /* p standardized coefficients */
    double *b;      /* p original-scale coefficients */
    double b0;      /* intercept */
    double N0;
    lariat_solve_info info;
    int rc;
} solution1;

/* The gathered rows, for computations independent of the library. */
typedef struct gathered {
    int64_t n, p;
    double *X, *y, *w;
} gathered;

static void problem_init(const scenario *sc, int64_t p, problem_arrays *pa)
{
    lariat_problem_default(&pa->pb);
    pa->pb.alpha = sc->alpha;
    pa->pb.intercept = !sc->no_intercept;
    pa->pb.standardize = !sc->no_standardize;
    pa->pf = malloc((size_t)p * sizeof(double));
    pa->lo = malloc((size_t)p * sizeof(double));
    pa->hi = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        pa->pf[j] = sc->pf_zeros ? (j % 5 == 0 ? 0.0 : (j % 5 == 1 ? 2.0 : 1.0)) : 1.0;
        pa->lo[j] = sc->has_lower ? sc->lower : -INFINITY;
        pa->hi[j] = sc->has_upper ? sc->upper : INFINITY;
    }
    pa->pb.penalty_factor = pa->pf;
    pa->pb.lower = pa->lo;
    pa->pb.upper = pa->hi;
}

static void problem_free(problem_arrays *pa)
{
    free(pa->pf);
    free(pa->lo);
    free(pa->hi);
}

/* Collective. The scenario's data; a constant column is written into a dense
** copy of the same rows on the same ranks. */
static lariat_data *make_data(const scenario *sc)
{
    lariat_data *d = lt_make_data(&sc->spec);
    if (d == NULL || !sc->constant_column) return d;
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

static void gather(const lariat_data *d, gathered *g)
{
    g->n = d->n;
    g->p = d->p;
    lt_gather_all(d, &g->X, &g->y, &g->w);
}

static void gathered_free(gathered *g)
{
    free(g->X);
    free(g->y);
    free(g->w);
}

static void solution_free(solution1 *s)
{
    free(s->c);
    free(s->b);
}

/* Collective on ctx. Prepares the problem, runs one solver from c = 0 at
** lambda and maps the result to the original scale (b = c / s,
** b0 = ybar - m'b). */
static void solve_one(lariat_ctx *ctx, const lariat_data *d, const lariat_problem *pb, const lariat_solver_ops *ops,
                      double lambda, double tol, int max_iter, solution1 *out)
{
    int64_t p = d->p;
    out->c = calloc((size_t)p, sizeof(double));
    out->b = calloc((size_t)p, sizeof(double));
    memset(&out->info, 0, sizeof(out->info));
    lariat_prep *prep = NULL;
    void *ws = NULL;
    lariat_settings st;
    lariat_settings_default(&st);
    st.tol = tol;
    st.max_iter = max_iter;
    out->rc = lariat_prep_create(ctx, d, NULL, pb, &prep);
    if (out->rc == LARIAT_OK) out->rc = ops->create(prep, &st, &ws);
    if (out->rc == LARIAT_OK) out->rc = ops->solve(ws, lambda, out->c, &out->info);
    if (out->rc == LARIAT_OK) {
        out->b0 = prep->ybar;
        for (int64_t j = 0; j < p; j++) {
            out->b[j] = out->c[j] * prep->inv_scale[j];
            out->b0 -= prep->mean[j] * out->b[j];
        }
        out->N0 = prep->N0;
    }
    ops->destroy(ws);
    lariat_prep_destroy(prep);
}

/* Not collective. The statistics of SPEC.md section 1, computed here from the
** raw rows (not by prep): W, the weighted mean of y and of each column (0
** without intercept), and s_j (weighted population standard deviation, or
** root mean square without intercept; 1 without standardization, 0 for a
** constant column). m and s have p entries. */
static void raw_stats(const gathered *g, const lariat_problem *pb, double *W, double *ybar, double *m, double *s)
{
    int64_t n = g->n, p = g->p;
    *W = 0.0;
    *ybar = 0.0;
    for (int64_t i = 0; i < n; i++) {
        *W += g->w[i];
        *ybar += g->w[i] * g->y[i];
    }
    *ybar = pb->intercept ? *ybar / *W : 0.0;
    for (int64_t j = 0; j < p; j++) {
        double mj = 0.0, s2 = 0.0;
        if (pb->intercept) {
            for (int64_t i = 0; i < n; i++) mj += g->w[i] * g->X[i * p + j] / *W;
        }
        for (int64_t i = 0; i < n; i++) s2 += g->w[i] * (g->X[i * p + j] - mj) * (g->X[i * p + j] - mj) / *W;
        m[j] = mj;
        s[j] = s2 <= 1e-300 ? 0.0 : (pb->standardize ? sqrt(s2) : 1.0);
    }
}

/* Not collective. The objective of SPEC.md section 1 at (b0, b), from the raw
** rows (+infinity outside the bounds, up to an ulp of the rescaling). */
static double spec_objective(const gathered *g, const problem_arrays *pa, double lambda, double b0, const double *b)
{
    int64_t n = g->n, p = g->p;
    const lariat_problem *pb = &pa->pb;
    double W, ybar, loss = 0.0, pen = 0.0;
    double *m = malloc((size_t)p * sizeof(double)), *s = malloc((size_t)p * sizeof(double));
    raw_stats(g, pb, &W, &ybar, m, s);
    for (int64_t i = 0; i < n; i++) {
        double r = g->y[i] - (pb->intercept ? b0 : 0.0);
        for (int64_t j = 0; j < p; j++) r -= g->X[i * p + j] * b[j];
        loss += g->w[i] * r * r;
    }
    for (int64_t j = 0; j < p; j++) {
        double sb = (pb->standardize ? s[j] : 1.0) * b[j];
        pen += pa->pf[j] * (0.5 * (1.0 - pb->alpha) * sb * sb + pb->alpha * fabs(sb));
        if (b[j] < pa->lo[j] - 1e-12 * (1.0 + fabs(pa->lo[j])) || b[j] > pa->hi[j] + 1e-12 * (1.0 + fabs(pa->hi[j]))) {
            pen = INFINITY;
        }
    }
    free(m);
    free(s);
    return loss / (2.0 * W) + lambda * pen;
}

/* Not collective. The largest violation of the KKT conditions at (b0, b),
** from the raw rows, on the original scale of SPEC.md section 1 divided by
** s_j (the standardized scale, where the penalty's subgradient is
** lambda alpha f_j sign(b_j)):
**   a_j = (1/W) sum_i w_i (x_ij - m_j) r_i / s_j - lambda f_j (1-alpha) s_j b_j
** must lie in lambda alpha f_j d|b_j| plus the normal cone of [lower_j,
** upper_j] at b_j; a constant column must have b_j = 0. Also returns
** trace(Xs'WXs/W), the bound on the loss curvature used for the tolerance. */
static double kkt_violation(const gathered *g, const problem_arrays *pa, double lambda, double b0, const double *b,
                            double *trace)
{
    int64_t n = g->n, p = g->p;
    const lariat_problem *pb = &pa->pb;
    double W, ybar, viol = 0.0;
    double *m = malloc((size_t)p * sizeof(double)), *s = malloc((size_t)p * sizeof(double));
    double *r = malloc((size_t)n * sizeof(double));
    raw_stats(g, pb, &W, &ybar, m, s);
    for (int64_t i = 0; i < n; i++) {
        r[i] = g->y[i] - (pb->intercept ? b0 : 0.0);
        for (int64_t j = 0; j < p; j++) r[i] -= g->X[i * p + j] * b[j];
    }
    *trace = 0.0;
    for (int64_t j = 0; j < p; j++) {
        if (s[j] == 0.0) {
            if (b[j] != 0.0) viol = INFINITY;
            continue;
        }
        double u = 0.0, s2 = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double xc = g->X[i * p + j] - m[j];
            u += g->w[i] * xc * r[i] / W;
            s2 += g->w[i] * xc * xc / W;
        }
        *trace += s2 / (s[j] * s[j]);
        double f = pa->pf[j], sub = lambda * pb->alpha * f;
        double a = u / s[j] - lambda * f * (1.0 - pb->alpha) * s[j] * b[j];
        double lo = b[j] > 0 ? sub : -sub, hi = b[j] < 0 ? -sub : sub;
        if (isfinite(pa->lo[j]) && b[j] <= pa->lo[j] + 1e-9 * (1.0 + fabs(pa->lo[j]))) lo = -INFINITY;
        if (isfinite(pa->hi[j]) && b[j] >= pa->hi[j] - 1e-9 * (1.0 + fabs(pa->hi[j]))) hi = INFINITY;
        /* b_j = c_j / s_j may cross a bound by an ulp of the rescaling. */
        if (b[j] < pa->lo[j] - 1e-12 * (1.0 + fabs(pa->lo[j])) || b[j] > pa->hi[j] + 1e-12 * (1.0 + fabs(pa->hi[j]))) {
            viol = INFINITY;
        }
        viol = fmax(viol, fmax(lo - a, a - hi));
    }
    free(m);
    free(s);
    free(r);
    return viol;
}

/* Not collective. The KKT tolerance consistent with a gap G: for a loss whose
** curvature is at most lambda_max(H) <= trace(H), a point with objective
** error G has gradient error at most sqrt(2 trace G); a factor 10 covers the
** nonsmooth coordinates. The gap itself is only resolved to a few ulps of
** N0 (it is a difference of terms of that size), hence the floor 1e-14 N0. */
static double kkt_tolerance(double trace, double gap, double N0)
{
    return 10.0 * sqrt(2.0 * trace * fmax(gap, 1e-14 * N0));
}

/* Collective. The reference: the same fit on MPI_COMM_SELF from every row. */
static void solve_self(const gathered *g, const problem_arrays *pa, const lariat_solver_ops *ops, double lambda,
                       double tol, int max_iter, solution1 *out)
{
    lariat_ctx *self = NULL;
    lariat_data *all = NULL;
    memset(out, 0, sizeof(*out));
    out->rc = lariat_ctx_create(MPI_COMM_SELF, &self);
    if (out->rc != LARIAT_OK) return;
    lariat_ctx_set_verbosity(self, LARIAT_LOG_QUIET);
    out->rc = lariat_data_from_dense(self, g->n, g->p, g->X, g->y, g->w, &all);
    if (out->rc == LARIAT_OK) solve_one(self, all, &pa->pb, ops, lambda, tol, max_iter, out);
    lariat_data_destroy(all);
    lariat_ctx_destroy(self);
}

/* Collective. lambda_max of the problem on lt_comm(). */
static double lambda_max_of(const lariat_data *d, const lariat_problem *pb)
{
    double lmax = 0.0;
    if (lariat_lambda_max(lt_ctx(), d, NULL, pb, &lmax) != LARIAT_OK) return NAN;
    return lmax;
}

#define TIGHT_TOL 1e-12
#define FISTA_MAX_ITER 200000

/* Collective. Every check of one scenario: both solvers converge with
** gap <= tol N0 and satisfy the KKT conditions; they agree (objective to
** 1e-6, coefficients to 1e-5); each equals its reference fit on
** MPI_COMM_SELF (gram to 1e-9, fista to 1e-6). */
static void run_scenario(const scenario *sc)
{
    lariat_data *d = make_data(sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    int64_t p = d->p;
    problem_arrays pa;
    problem_init(sc, p, &pa);
    gathered g;
    gather(d, &g);
    double lambda = sc->frac * lambda_max_of(d, &pa.pb);
    solution1 sg, sf, rg, rf;
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_gram, lambda, TIGHT_TOL, 100000, &sg);
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_fista, lambda, TIGHT_TOL, FISTA_MAX_ITER, &sf);
    solve_self(&g, &pa, &lariat_solver_gram, lambda, TIGHT_TOL, 100000, &rg);
    solve_self(&g, &pa, &lariat_solver_fista, lambda, TIGHT_TOL, FISTA_MAX_ITER, &rf);
    int ok_rc = sg.rc == LARIAT_OK && sf.rc == LARIAT_OK && rg.rc == LARIAT_OK && rf.rc == LARIAT_OK;
    LT_ASSERT_ALL(ok_rc);
    if (ok_rc) {
        double tr = 0.0;
        double kg = kkt_violation(&g, &pa, lambda, sg.b0, sg.b, &tr);
        double kf = kkt_violation(&g, &pa, lambda, sf.b0, sf.b, &tr);
        double tolg = kkt_tolerance(tr, sg.info.gap, sg.N0), tolf = kkt_tolerance(tr, sf.info.gap, sf.N0);
        int conv = sg.info.converged && sf.info.converged && sg.info.gap <= TIGHT_TOL * sg.N0 &&
                   sf.info.gap <= TIGHT_TOL * sf.N0 && sg.info.gap >= -1e-12 * sg.N0 && sf.info.gap >= -1e-12 * sf.N0;
        double dobj = fabs(sg.info.primal - sf.info.primal) / fabs(sg.info.primal);
        double dcoef = lt_rel_diff(sf.c, sg.c, p);
        double dself_g = lt_rel_diff(sg.c, rg.c, p), dself_f = lt_rel_diff(sf.c, rf.c, p);
        /* The reported objective is the SPEC objective at the returned point,
        ** and each certificate's dual value P - G is a lower bound on every
        ** primal value, the other solver's included. */
        double Pg = spec_objective(&g, &pa, lambda, sg.b0, sg.b), Pf = spec_objective(&g, &pa, lambda, sf.b0, sf.b);
        double slack = 1e-13 * sg.N0;
        int objective_ok = fabs(Pg - sg.info.primal) <= 1e-11 * Pg && fabs(Pf - sf.info.primal) <= 1e-11 * Pf;
        int dual_ok = sg.info.primal - sg.info.gap <= Pf + slack && sf.info.primal - sf.info.gap <= Pg + slack;
        int nz = 0;
        for (int64_t j = 0; j < p; j++) nz += sg.c[j] != 0.0;
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  %-22s nz %3d/%3lld | gram it %5d gap/N0 %.1e kkt %.1e (tol %.1e) | fista it %6d gap/N0 %.1e "
                   "kkt %.1e (tol %.1e) | dobj %.1e dcoef %.1e | self %.1e %.1e",
                   sc->name, nz, (long long)p, sg.info.iterations, sg.info.gap / sg.N0, kg, tolg, sf.info.iterations,
                   sf.info.gap / sf.N0, kf, tolf, dobj, dcoef, dself_g, dself_f);
        }
        LT_ASSERT_ALL(conv);
        LT_ASSERT_ALL(objective_ok);
        LT_ASSERT_ALL(dual_ok);
        LT_ASSERT_ALL(kg <= tolg);
        LT_ASSERT_ALL(kf <= tolf);
        LT_ASSERT_ALL(dobj <= 1e-6);
        LT_ASSERT_ALL(dcoef <= 1e-5);
        LT_ASSERT_ALL(dself_g <= 1e-9);
        LT_ASSERT_ALL(dself_f <= 1e-6);
    }
    solution_free(&sg);
    solution_free(&sf);
    solution_free(&rg);
    solution_free(&rf);
    gathered_free(&g);
    problem_free(&pa);
    lariat_data_destroy(d);
}

static const scenario scenarios[] = {
    {.name = "tall lasso", .spec = {.n = 300, .p = 20, .seed = 11, .corr = 0.3}, .alpha = 1.0, .frac = 0.05},
    {.name = "wide elastic net", .spec = {.n = 50, .p = 120, .seed = 12, .corr = 0.3}, .alpha = 0.9, .frac = 0.1},
    {.name = "correlated", .spec = {.n = 200, .p = 30, .seed = 13, .corr = 0.85}, .alpha = 0.5, .frac = 0.02},
    {.name = "weighted", .spec = {.n = 250, .p = 25, .seed = 14, .corr = 0.5, .weighted = 1, .offset = 2.0},
     .alpha = 1.0, .frac = 0.03},
    {.name = "lower bound 0", .spec = {.n = 200, .p = 20, .seed = 15, .corr = 0.6}, .alpha = 1.0, .has_lower = 1,
     .lower = 0.0, .frac = 0.02},
    {.name = "upper bound", .spec = {.n = 200, .p = 20, .seed = 16, .corr = 0.5, .weighted = 1}, .alpha = 0.7,
     .has_lower = 1, .lower = -0.4, .has_upper = 1, .upper = 0.5, .frac = 0.02},
    {.name = "penalty factors", .spec = {.n = 150, .p = 24, .seed = 17, .corr = 0.5}, .alpha = 1.0, .pf_zeros = 1,
     .frac = 0.1},
    {.name = "sparse CSR", .spec = {.n = 400, .p = 40, .seed = 18, .density = 0.1, .weighted = 1}, .alpha = 0.8,
     .frac = 0.03},
    {.name = "no intercept", .spec = {.n = 200, .p = 15, .seed = 19, .corr = 0.4, .offset = 1.5}, .alpha = 1.0,
     .no_intercept = 1, .frac = 0.02},
    {.name = "no standardize", .spec = {.n = 200, .p = 15, .seed = 20, .corr = 0.4, .scale_range = 1}, .alpha = 0.5,
     .no_standardize = 1, .frac = 0.02},
    {.name = "column scales 1e4", .spec = {.n = 200, .p = 15, .seed = 21, .corr = 0.4, .scale_range = 4,
     .offset = 3.0}, .alpha = 1.0, .frac = 0.02},
    {.name = "constant column", .spec = {.n = 120, .p = 10, .seed = 22, .corr = 0.3, .weighted = 1}, .alpha = 1.0,
     .constant_column = 1, .frac = 0.05},
    {.name = "bounded ridge", .spec = {.n = 150, .p = 12, .seed = 23, .corr = 0.5}, .alpha = 0.0, .has_lower = 1,
     .lower = 0.0, .frac = 0.01},
};

#define SCENARIO_TEST(k) \
    static void test_scenario_##k(void) { run_scenario(&scenarios[k]); }
SCENARIO_TEST(0)
SCENARIO_TEST(1)
SCENARIO_TEST(2)
SCENARIO_TEST(3)
SCENARIO_TEST(4)
SCENARIO_TEST(5)
SCENARIO_TEST(6)
SCENARIO_TEST(7)
SCENARIO_TEST(8)
SCENARIO_TEST(9)
SCENARIO_TEST(10)
SCENARIO_TEST(11)
SCENARIO_TEST(12)
#undef SCENARIO_TEST

/* Not collective. Solves the symmetric positive definite system A x = rhs
** (k x k, row-major, overwritten) with LAPACK; 0 on success. */
static int spd_solve(int64_t k, double *A, double *rhs)
{
    return (int)LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)k, 1, A, (lapack_int)k, rhs, 1);
}

/* Not collective. The standardized normal equations of SPEC.md section 1
** from the raw rows: A = Xs'WXs/W (p x p) and xy = Xs'W yc/W, with m, s
** from raw_stats (no column of the data here is constant). */
static void raw_normal_equations(const gathered *g, const lariat_problem *pb, double *A, double *xy)
{
    int64_t n = g->n, p = g->p;
    double W, ybar, *m = malloc((size_t)p * sizeof(double)), *s = malloc((size_t)p * sizeof(double));
    double *xs = malloc((size_t)p * sizeof(double));
    raw_stats(g, pb, &W, &ybar, m, s);
    memset(A, 0, (size_t)(p * p) * sizeof(double));
    memset(xy, 0, (size_t)p * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < p; j++) xs[j] = (g->X[i * p + j] - m[j]) / s[j];
        double wi = g->w[i] / W;
        for (int64_t j = 0; j < p; j++) {
            xy[j] += wi * xs[j] * (g->y[i] - ybar);
            for (int64_t k = 0; k < p; k++) A[j * p + k] += wi * xs[j] * xs[k];
        }
    }
    free(m);
    free(s);
    free(xs);
}

/* Collective. alpha = 0 equals the ridge closed form built here from the raw
** rows: (Xs'WXs/W + lambda diag(f)) c = Xs'W yc / W. gram takes its direct
** (Cholesky) route, certified in one step; fista converges to the same
** point (with unpenalized columns, through the profiled certificate). */
static void check_ridge(const lt_spec *spec, int pf_zeros, double lambda)
{
    scenario sc = {.name = "ridge", .spec = *spec, .alpha = 0.0, .pf_zeros = pf_zeros};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    int64_t p = d->p;
    problem_arrays pa;
    problem_init(&sc, p, &pa);
    gathered g;
    gather(d, &g);
    double *A = malloc((size_t)(p * p) * sizeof(double)), *c = malloc((size_t)p * sizeof(double));
    raw_normal_equations(&g, &pa.pb, A, c);
    for (int64_t j = 0; j < p; j++) A[j * p + j] += lambda * pa.pf[j];
    int info = spd_solve(p, A, c);
    solution1 sg, sf;
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_gram, lambda, 1e-10, 1000, &sg);
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_fista, lambda, 1e-13, FISTA_MAX_ITER, &sf);
    int ok = info == 0 && sg.rc == LARIAT_OK && sf.rc == LARIAT_OK;
    LT_ASSERT_ALL(ok);
    if (ok) {
        double dg = lt_rel_diff(sg.c, c, p), df = lt_rel_diff(sf.c, c, p);
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  ridge n %lld p %lld: gram it %d gap/N0 %.1e diff %.1e | fista it %d gap/N0 %.1e diff %.1e",
                   (long long)d->n, (long long)p, sg.info.iterations, sg.info.gap / sg.N0, dg, sf.info.iterations,
                   sf.info.gap / sf.N0, df);
        }
        LT_ASSERT_ALL(sg.info.converged && sg.info.iterations == 1 && sf.info.converged);
        LT_ASSERT_ALL(dg <= 1e-9);
        LT_ASSERT_ALL(df <= 1e-6);
    }
    solution_free(&sg);
    solution_free(&sf);
    free(A);
    free(c);
    gathered_free(&g);
    problem_free(&pa);
    lariat_data_destroy(d);
}

static void test_ridge_tall(void)
{
    lt_spec spec = {.n = 200, .p = 15, .seed = 31, .corr = 0.5, .weighted = 1, .offset = 2.0, .scale_range = 2};
    check_ridge(&spec, 0, 0.3);
    check_ridge(&spec, 1, 0.01);
}

static void test_ridge_wide(void)
{
    lt_spec spec = {.n = 40, .p = 80, .seed = 32, .corr = 0.3, .weighted = 1};
    check_ridge(&spec, 1, 0.5);
}

/* Collective. lambda = 0 after a step of a path on wide data (the least
** squares that the rows interpolate): its certificate is an estimate (the
** dual point is infeasible while the gradient is not zero), which the warm
** start from the lambda before once made negative (-4.76 here), so that
** gram returned that lambda's solution for lambda = 0's in no iteration.
** Each solver asked must reach an objective near 0 with a gap of at least
** 0. */
static void test_lambda_zero_wide(void)
{
    scenario sc = {.name = "lambda 0", .spec = {.n = 30, .p = 60, .seed = 40, .corr = 0.3}, .alpha = 0.0};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    problem_arrays pa;
    problem_init(&sc, d->p, &pa);
    double lam[2] = {0.5, 0.0};
    const lariat_solver_kind kinds[] = {LARIAT_SOLVER_GRAM, LARIAT_SOLVER_AUTO};
    for (int k = 0; k < 2; k++) {
        lariat_settings st;
        lariat_settings_default(&st);
        st.solver = kinds[k];
        st.lambda = lam;
        st.n_lambda_given = 2;
        lariat_fit *fit = NULL;
        int rc = lariat_fit_path(lt_ctx(), d, NULL, &pa.pb, &st, &fit);
        const int ok = rc == LARIAT_OK && fit->nlambda == 2 && fit->path[1].objective <= 1e-9 * fit->null_objective &&
                       fit->path[1].duality_gap >= 0.0 && fit->path[1].converged;
        if (!ok && lt_rank() == 0 && rc == LARIAT_OK) {
            fprintf(stderr, "lambda 0 (%s): objective %g, gap %g, %d iterations\n", fit->solver_name,
                    fit->path[1].objective, fit->path[1].duality_gap, fit->path[1].iterations);
        }
        LT_ASSERT_ALL(ok);
        if (rc == LARIAT_OK) lariat_fit_destroy(fit);
    }
    problem_free(&pa);
    lariat_data_destroy(d);
}

/* Collective. The breast cancer fixture's rows (columns of scales 0.05 to
** 1,000) and a lasso problem on them unstandardized; NULL on failure. */
static lariat_data *read_breast_unscaled(lariat_problem *pb)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/class_breast.csv", lt_fixtures_dir());
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    lariat_problem_default(pb);
    pb->standardize = 0;
    return rc == LARIAT_OK ? d : NULL;
}

/* Collective. Coordinate descent creeps on columns of very different
** scales left unstandardized (the breast cancer fixture: 0.05 to 1,000);
** the Newton step on the free set must still get there when it would
** change a sign, by stopping at the first kink (solvers/prep.c). Before
** it did, the lasso at lambda 5e-4 took 8,941 sweeps (at 30 columns, one
** of them did not converge in 10,000). Each lambda: converged in at most
** 1,000 sweeps, at the default tol and max_iter. */
static void test_newton_to_kink(void)
{
    lariat_problem pb;
    lariat_data *d = read_breast_unscaled(&pb);
    if (d == NULL) return;
    double lam[4] = {0.05, 0.005, 5e-4, 5e-5};
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_GRAM;
    st.lambda = lam;
    st.n_lambda_given = 4;
    lariat_fit *fit = NULL;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
    int ok = rc == LARIAT_OK && fit->nlambda == 4;
    for (int k = 0; ok && k < 4; k++) {
        const int good = fit->path[k].converged && fit->path[k].iterations <= 1000;
        if (!good && lt_rank() == 0) {
            fprintf(stderr, "lambda %g: %d iterations, gap %g\n", lam[k], fit->path[k].iterations,
                    fit->path[k].duality_gap);
        }
        ok = ok && good;
    }
    LT_ASSERT_ALL(ok);
    if (rc == LARIAT_OK) lariat_fit_destroy(fit);
    lariat_data_destroy(d);
}

/* Collective. fista on the same unstandardized columns (scales 0.05 to
** 1,000) steps each coordinate by its own scale (lariat_prep_step_scale):
** with one step 1/L for all, fitted to the widest column, the narrow ones
** crawled, and lambda 5e-3 on stopped at the default max_iter unconverged
** (gaps up to 0.046 against 5e-8 at lambda 5e-5). Each lambda: converged in
** at most 3,000 iterations, at gram's objective to 1e-10. */
static void test_fista_unscaled(void)
{
    lariat_problem pb;
    lariat_data *d = read_breast_unscaled(&pb);
    if (d == NULL) return;
    double lam[4] = {0.05, 0.005, 5e-4, 5e-5};
    lariat_fit *fit[2] = {NULL, NULL};
    const lariat_solver_kind kinds[2] = {LARIAT_SOLVER_FISTA, LARIAT_SOLVER_GRAM};
    for (int s = 0; s < 2; s++) {
        lariat_settings st;
        lariat_settings_default(&st);
        st.solver = kinds[s];
        st.lambda = lam;
        st.n_lambda_given = 4;
        const int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit[s]);
        LT_ASSERT_ALL(rc == LARIAT_OK && fit[s]->nlambda == 4);
    }
    int ok = fit[0] != NULL && fit[1] != NULL && fit[0]->nlambda == 4 && fit[1]->nlambda == 4;
    for (int k = 0; ok && k < 4; k++) {
        const lariat_solution *f = &fit[0]->path[k], *g = &fit[1]->path[k];
        const double rel = fabs(f->objective - g->objective) / g->objective;
        const int good = f->converged && f->iterations <= 3000 && rel <= 1e-10;
        if (!good && lt_rank() == 0) {
            fprintf(stderr, "fista lambda %g: %d iterations, gap %g, objective %.3g off gram's\n", lam[k],
                    f->iterations, f->duality_gap, rel);
        }
        ok = ok && good;
    }
    LT_ASSERT_ALL(ok);
    for (int s = 0; s < 2; s++) {
        if (fit[s] != NULL) lariat_fit_destroy(fit[s]);
    }
    lariat_data_destroy(d);
}

/* Collective. At a --tol below the gap's round-off, coordinate descent
** stands still (no move, or moves of an ulp back and forth) short of its
** aim; gram.c and wsgram.c end such a solve after two still cycles instead
** of repeating them to max_iter. Lasso paths at tol 1e-14: glmnet_nostd
** (columns of scales 1 to 100, unstandardized; gram.c) and glmnet_wide
** (p > n; wsgram.c) ran 76 and 72 of their 100 lambdas to the 10,000
** sweeps of max_iter. Each lambda: at most 1,000 sweeps, and a gap within
** 1e-11 N0 (the reference suite's bound at this tol); and fista (below). */
static void test_still_descent(void)
{
    const char *names[2] = {"glmnet_nostd", "glmnet_wide"};
    for (int f = 0; f < 2; f++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s.csv", lt_fixtures_dir(), names[f]);
        lariat_data *d = NULL;
        int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) continue;
        lariat_problem pb;
        lariat_problem_default(&pb);
        pb.standardize = f == 1;
        lariat_settings st;
        lariat_settings_default(&st);
        st.tol = 1e-14;
        lariat_fit *fit = NULL;
        rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
        int ok = rc == LARIAT_OK && fit->nlambda > 10;
        for (int k = 0; ok && k < fit->nlambda; k++) {
            const lariat_solution *sol = &fit->path[k];
            const int good = sol->iterations <= 1000 && fabs(sol->duality_gap) <= 1e-11 * fit->null_objective;
            if (!good && lt_rank() == 0) {
                fprintf(stderr, "%s lambda %d: %d sweeps, gap %g\n", names[f], k + 1, sol->iterations,
                        sol->duality_gap);
            }
            ok = ok && good;
        }
        LT_ASSERT_ALL(ok);
        if (rc == LARIAT_OK) lariat_fit_destroy(fit);
        /* fista ends where its accepted step returns the iterate twice in a
        ** row: glmnet_wide's path of 10 lambdas took 70,195 steps (7 at
        ** max_iter), now 31,218 (3 still there: they cycle by ulps among
        ** several points). */
        if (f == 1) {
            st.solver = LARIAT_SOLVER_FISTA;
            st.nlambda = 10;
            rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
            int64_t steps = 0;
            for (int k = 0; rc == LARIAT_OK && k < fit->nlambda; k++) steps += fit->path[k].iterations;
            if (lt_rank() == 0 && steps > 40000) fprintf(stderr, "fista at tol 1e-14: %lld steps\n", (long long)steps);
            LT_ASSERT_ALL(rc == LARIAT_OK && fit->nlambda == 10 && steps <= 40000);
            if (rc == LARIAT_OK) lariat_fit_destroy(fit);
        }
        lariat_data_destroy(d);
    }
}

/* Collective. A lasso path on columns correlated 0.9 through a shared
** factor (800 x 700, 400 true nonzeros: the scaled Gram's eigenvalues run
** from about 4e-4 to 630), where coordinate descent creeps: gram.c's Newton
** step on the free set must be bought once the sweeps have cost as much
** (lariat_prep_newton_m2), and its path predictor must not extrapolate from
** solutions that did not converge. Before both, on such data from `lariat
** gen` every lambda from the 70th ran to max_iter and the predictions
** compounded the errors until the last objective was 6e6 against 1.86, and
** on this data the test failed at the 27th lambda (2026-12-07). Every
** lambda converges within 2,000 sweeps, and the objectives fall along the
** path, as the optimal ones must (a smaller lambda, a smaller penalty at
** the same point). The whole path within 10,000 sweeps: with the sweeps
** priced in flops it took 17,894, with them priced in time (a factor's flops
** run up to 8 times as fast, lariat_prep_newton_m2) 6,243. */
static void test_correlated_descent(void)
{
    const lt_spec spec = {.n = 800, .p = 700, .seed = 41, .corr = 0.9, .nonzero = 400};
    lariat_data *d = lt_make_data(&spec);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    lariat_problem pb;
    lariat_problem_default(&pb);
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_GRAM;
    lariat_fit *fit = NULL;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
    int ok = rc == LARIAT_OK && fit->nlambda == 100;
    long long sweeps = 0;
    for (int k = 0; ok && k < fit->nlambda; k++) {
        const lariat_solution *sol = &fit->path[k];
        const int good = sol->converged && sol->iterations <= 2000 &&
                         (k == 0 || sol->objective <= fit->path[k - 1].objective);
        if (!good && lt_rank() == 0) {
            fprintf(stderr, "correlated lasso, lambda %d: %d sweeps, converged %d, objective %.17g\n", k + 1,
                    sol->iterations, sol->converged, sol->objective);
        }
        ok = ok && good;
        sweeps += sol->iterations;
    }
    if (ok && sweeps > 10000 && lt_rank() == 0) fprintf(stderr, "correlated lasso: %lld sweeps in all\n", sweeps);
    LT_ASSERT_ALL(ok && sweeps <= 10000);
    if (rc == LARIAT_OK) lariat_fit_destroy(fit);
    lariat_data_destroy(d);
}

/* Collective. Ridge along a path on p >= 300 (gram.c's ridge_path_solve: one
** tridiagonal reduction for the path) equals each lambda solved alone (one
** Cholesky factor each) to 1e-10, every solution in one step and
** certified, with weights, penalty factors 0.5 / 2 / 1, a coefficient fixed
** by equal bounds, and lambda = 0 at the end of the list (Cholesky). */
static void test_ridge_path_tri(void)
{
    scenario sc = {.name = "ridge eigen", .spec = {.n = 700, .p = 320, .seed = 39, .corr = 0.4, .weighted = 1,
                   .offset = 1.0, .scale_range = 1}, .alpha = 0.0};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    problem_arrays pa;
    problem_init(&sc, p, &pa);
    for (int64_t j = 0; j < p; j++) pa.pf[j] = j % 3 == 0 ? 0.5 : (j % 3 == 1 ? 2.0 : 1.0);
    pa.lo[5] = pa.hi[5] = 0.0;
    enum { NLAM = 9 };
    double lam[NLAM];
    for (int k = 0; k < NLAM - 1; k++) lam[k] = 2.0 * pow(0.3, k);
    lam[NLAM - 1] = 0.0;
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_GRAM;
    st.tol = 1e-12;
    st.lambda = lam;
    st.n_lambda_given = NLAM;
    lariat_fit *fit = NULL;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pa.pb, &st, &fit);
    if (rc != LARIAT_OK && lt_rank() == 0) fprintf(stderr, "ridge path: %s\n", lariat_errmsg(lt_ctx()));
    LT_ASSERT_ALL(rc == LARIAT_OK && fit->nlambda == NLAM);
    double worst = 0.0;
    int ok = rc == LARIAT_OK;
    for (int k = 0; ok && k < NLAM; k++) {
        solution1 one;
        solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_gram, lam[k], 1e-12, 100000, &one);
        ok &= one.rc == LARIAT_OK && fit->path[k].converged && fit->path[k].iterations == 1;
        if (one.rc == LARIAT_OK) worst = fmax(worst, lt_rel_diff(fit->path[k].coef, one.b, p));
        ok &= fit->path[k].coef[5] == 0.0;
        solution_free(&one);
    }
    if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
        printf("\n  ridge path by the reduction vs Cholesky: %.1e", worst);
    }
    LT_ASSERT_ALL(ok);
    LT_ASSERT_ALL(worst <= 1e-10);
    lariat_fit_destroy(fit);
    problem_free(&pa);
    lariat_data_destroy(d);
}

/* Collective. The kernel ridge solver (kernel_ridge.c) on wide data at
** lambda: equal to gram.c's Cholesky solution (1e-10) and, without a constant
** column, to the closed form built here from the raw rows (1e-9); certified
** in its one step (gap within 1e-12 N0); and equal to the same solve on
** MPI_COMM_SELF from every row (dense) to 1e-12: the solver computes alike on
** every rank from the gathered rows (the bits at any rank count, from a file's
** tiles of rows, are tests/cli/repro.sh's). Penalty factors 0.5, 2 and 1 (the
** kernel needs them positive). */
static void check_kernel_ridge(const scenario *sc, double lambda)
{
    lariat_data *d = make_data(sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    const int64_t p = d->p;
    problem_arrays pa;
    problem_init(sc, p, &pa);
    for (int64_t j = 0; j < p; j++) pa.pf[j] = j % 3 == 0 ? 0.5 : (j % 3 == 1 ? 2.0 : 1.0);
    gathered g;
    gather(d, &g);
    solution1 sk, sg, rk;
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_kernel_ridge, lambda, 1e-13, 1000, &sk);
    solve_one(lt_ctx(), d, &pa.pb, &lariat_solver_gram, lambda, 1e-13, 100000, &sg);
    solve_self(&g, &pa, &lariat_solver_kernel_ridge, lambda, 1e-13, 1000, &rk);
    int ok = sk.rc == LARIAT_OK && sg.rc == LARIAT_OK && rk.rc == LARIAT_OK;
    LT_ASSERT_ALL(ok);
    if (ok) {
        double dclosed = 0.0;
        if (!sc->constant_column) {
            double *A = malloc((size_t)(p * p) * sizeof(double)), *c = malloc((size_t)p * sizeof(double));
            raw_normal_equations(&g, &pa.pb, A, c);
            for (int64_t j = 0; j < p; j++) A[j * p + j] += lambda * pa.pf[j];
            dclosed = spd_solve(p, A, c) == 0 ? lt_rel_diff(sk.c, c, p) : INFINITY;
            free(A);
            free(c);
        }
        const double dgram = lt_rel_diff(sk.c, sg.c, p);
        const double dself = lt_rel_diff(sk.c, rk.c, p);
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  kernel ridge %s lambda %g: it %d gap/N0 %.1e | closed %.1e gram %.1e self %.1e", sc->name,
                   lambda, sk.info.iterations, sk.info.gap / sk.N0, dclosed, dgram, dself);
        }
        LT_ASSERT_ALL(sk.info.converged && sk.info.iterations <= 2);
        LT_ASSERT_ALL(fabs(sk.info.gap) <= 1e-12 * sk.N0);
        LT_ASSERT_ALL(dclosed <= 1e-9 && dgram <= 1e-10);
        LT_ASSERT_ALL(dself <= 1e-12);
        if (sc->constant_column) LT_ASSERT_ALL(sk.c[1] == 0.0);
    }
    solution_free(&sk);
    solution_free(&sg);
    solution_free(&rk);
    gathered_free(&g);
    problem_free(&pa);
    lariat_data_destroy(d);
}

static void test_kernel_ridge(void)
{
    const scenario cases[] = {
        {.name = "weighted", .spec = {.n = 45, .p = 120, .seed = 34, .corr = 0.4, .weighted = 1, .offset = 2.0,
         .scale_range = 2}},
        {.name = "constant column", .spec = {.n = 37, .p = 90, .seed = 35, .corr = 0.3, .weighted = 1},
         .constant_column = 1},
        {.name = "no intercept", .spec = {.n = 41, .p = 70, .seed = 36, .corr = 0.3, .offset = 1.0},
         .no_intercept = 1},
        {.name = "no standardize", .spec = {.n = 39, .p = 100, .seed = 37, .corr = 0.3, .scale_range = 1},
         .no_standardize = 1},
        {.name = "sparse", .spec = {.n = 50, .p = 150, .seed = 38, .density = 0.1, .weighted = 1}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        check_kernel_ridge(&cases[k], 0.3);
        check_kernel_ridge(&cases[k], 0.003);
    }
}

/* Collective. With n > p and lambda -> 0 the solution is weighted least
** squares with intercept, solved here by the normal equations of [1 X] on the
** raw rows. Ridge at lambda = 1e-12 (Cholesky) must equal it to 1e-8. The
** lasso at lambda = 1e-6 lambda_max keeps every coefficient active with the
** signs of least squares, so it is exactly c = A^-1 (xy - lambda f sign(c))
** (A, xy the standardized normal equations): gram and fista must equal that
** to 1e-10 and 1e-9, and least squares to within its O(lambda) bias, 1e-5.
** (A far smaller lambda cannot be certified: the gap's dual scaling divides
** the round-off of v by lambda.) */
static void test_least_squares(void)
{
    scenario sc = {.name = "wls", .spec = {.n = 300, .p = 12, .seed = 33, .corr = 0.3, .weighted = 1, .offset = 2.0,
                   .scale_range = 1}, .alpha = 0.0};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    int64_t n = d->n, p = d->p, k = p + 1;
    gathered g;
    gather(d, &g);
    /* [b0, b] from Z'WZ beta = Z'Wy, Z = [1 X]. */
    double *Z = calloc((size_t)(k * k), sizeof(double)), *beta = calloc((size_t)k, sizeof(double));
    double *z = malloc((size_t)k * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        z[0] = 1.0;
        memcpy(z + 1, g.X + i * p, (size_t)p * sizeof(double));
        for (int64_t a = 0; a < k; a++) {
            beta[a] += g.w[i] * z[a] * g.y[i];
            for (int64_t b = 0; b < k; b++) Z[a * k + b] += g.w[i] * z[a] * z[b];
        }
    }
    int info = spd_solve(k, Z, beta);
    double *got = malloc((size_t)k * sizeof(double)), *cl = malloc((size_t)p * sizeof(double));
    double *A = malloc((size_t)(p * p) * sizeof(double)), *A2 = malloc((size_t)(p * p) * sizeof(double));
    problem_arrays pa;
    problem_init(&sc, p, &pa);
    raw_normal_equations(&g, &pa.pb, A, cl);
    memcpy(A2, A, (size_t)(p * p) * sizeof(double));
    double *cw = malloc((size_t)p * sizeof(double));
    memcpy(cw, cl, (size_t)p * sizeof(double));
    info |= spd_solve(p, A2, cw);
    LT_ASSERT_ALL(info == 0);
    const struct {
        const lariat_solver_ops *ops;
        double alpha, lambda, tol, limit_ls, limit_exact;
    } runs[] = {{&lariat_solver_gram, 0.0, 1e-12, 1e-10, 1e-8, 1.0},
                {&lariat_solver_gram, 1.0, 1e-6, 1e-13, 1e-5, 1e-10},
                {&lariat_solver_fista, 1.0, 1e-6, 1e-13, 1e-5, 1e-9}};
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        problem_free(&pa);
        sc.alpha = runs[r].alpha;
        problem_init(&sc, p, &pa);
        double lambda = runs[r].alpha == 0.0 ? runs[r].lambda : runs[r].lambda * lambda_max_of(d, &pa.pb);
        /* The lasso's exact solution on the least-squares signs. */
        int signs_kept = 1;
        raw_normal_equations(&g, &pa.pb, A, cl);
        for (int64_t j = 0; j < p; j++) cl[j] -= runs[r].alpha * lambda * (cw[j] > 0 ? 1.0 : -1.0);
        spd_solve(p, A, cl);
        for (int64_t j = 0; j < p; j++) signs_kept &= (cl[j] > 0) == (cw[j] > 0) && cl[j] != 0.0;
        solution1 sol;
        solve_one(lt_ctx(), d, &pa.pb, runs[r].ops, lambda, runs[r].tol, FISTA_MAX_ITER, &sol);
        got[0] = sol.b0;
        memcpy(got + 1, sol.b, (size_t)p * sizeof(double));
        double diff = lt_rel_diff(got, beta, k), dexact = lt_rel_diff(sol.c, cl, p);
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  wls %s alpha %g: it %d gap/N0 %.1e |b - wls| %.1e |c - exact| %.1e", runs[r].ops->name,
                   runs[r].alpha, sol.info.iterations, sol.info.gap / sol.N0, diff, dexact);
        }
        LT_ASSERT_ALL(sol.rc == LARIAT_OK && sol.info.converged && signs_kept);
        LT_ASSERT_ALL(diff <= runs[r].limit_ls && dexact <= runs[r].limit_exact);
        solution_free(&sol);
    }
    problem_free(&pa);
    free(got);
    free(cl);
    free(cw);
    free(A);
    free(A2);
    free(Z);
    free(beta);
    free(z);
    gathered_free(&g);
    lariat_data_destroy(d);
}

/* Collective. With standardization the solution in standardized
** coordinates does not depend on the columns' units: the same data with
** columns multiplied by 1 to 1e3 (lt_make_data keeps y unchanged) gives the
** same c. */
static void test_column_scale_invariance(void)
{
    scenario a = {.name = "unit scales", .spec = {.n = 180, .p = 16, .seed = 34, .corr = 0.5, .weighted = 1},
                  .alpha = 0.7, .frac = 0.05};
    scenario b = a;
    b.spec.scale_range = 3;
    lariat_data *da = make_data(&a), *db = make_data(&b);
    LT_ASSERT_ALL(da != NULL && db != NULL);
    if (da == NULL || db == NULL) return;
    int64_t p = da->p;
    problem_arrays pa;
    problem_init(&a, p, &pa);
    double lambda = a.frac * lambda_max_of(da, &pa.pb);
    const lariat_solver_ops *ops[] = {&lariat_solver_gram, &lariat_solver_fista};
    const double limit[] = {1e-9, 1e-7};
    for (int k = 0; k < 2; k++) {
        solution1 sa, sb;
        solve_one(lt_ctx(), da, &pa.pb, ops[k], lambda, 1e-12, FISTA_MAX_ITER, &sa);
        solve_one(lt_ctx(), db, &pa.pb, ops[k], lambda, 1e-12, FISTA_MAX_ITER, &sb);
        int ok = sa.rc == LARIAT_OK && sb.rc == LARIAT_OK;
        LT_ASSERT_ALL(ok && lt_rel_diff(sb.c, sa.c, p) <= limit[k]);
        solution_free(&sa);
        solution_free(&sb);
    }
    problem_free(&pa);
    lariat_data_destroy(da);
    lariat_data_destroy(db);
}

/* Collective. Hitting max_iter is a warning, not an error: rc OK,
** converged 0, iterations at the cap, a feasible point whose reported
** objective is its SPEC objective and whose gap is above tol N0. */
static void test_not_converged(void)
{
    scenario sc = {.name = "capped", .spec = {.n = 200, .p = 30, .seed = 35, .corr = 0.85}, .alpha = 1.0,
                   .has_lower = 1, .lower = -0.2, .frac = 0.01};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    problem_arrays pa;
    problem_init(&sc, d->p, &pa);
    gathered g;
    gather(d, &g);
    double lambda = sc.frac * lambda_max_of(d, &pa.pb);
    const lariat_solver_ops *ops[] = {&lariat_solver_gram, &lariat_solver_fista};
    for (int k = 0; k < 2; k++) {
        solution1 sol;
        solve_one(lt_ctx(), d, &pa.pb, ops[k], lambda, 1e-14, 3, &sol);
        double P = spec_objective(&g, &pa, lambda, sol.b0, sol.b);
        LT_ASSERT_ALL(sol.rc == LARIAT_OK && !sol.info.converged && sol.info.iterations == 3);
        LT_ASSERT_ALL(sol.info.gap > 1e-14 * sol.N0 && isfinite(P) && fabs(P - sol.info.primal) <= 1e-11 * P);
        solution_free(&sol);
    }
    gathered_free(&g);
    problem_free(&pa);
    lariat_data_destroy(d);
}

/* Collective. gram reads X only in create(): with the matrix taken away
** afterwards, a warm-started sequence of lambdas still solves and certifies.
** A second solve at the same lambda from its own solution costs no
** iteration, for either solver. */
static void test_gram_one_pass_and_warm_start(void)
{
    scenario sc = {.name = "one pass", .spec = {.n = 160, .p = 25, .seed = 36, .corr = 0.5, .density = 0.3},
                   .alpha = 0.9};
    lariat_data *d = make_data(&sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    int64_t p = d->p;
    problem_arrays pa;
    problem_init(&sc, p, &pa);
    lariat_settings st;
    lariat_settings_default(&st);
    st.tol = 1e-10;
    lariat_prep *prep = NULL;
    void *ws = NULL;
    double *c = calloc((size_t)p, sizeof(double));
    int rc = lariat_prep_create(lt_ctx(), d, NULL, &pa.pb, &prep);
    if (rc == LARIAT_OK) rc = lariat_solver_gram.create(prep, &st, &ws);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc == LARIAT_OK) {
        lariat_matrix *X = d->X;
        d->X = NULL;
        double lmax = lariat_prep_lambda_max(prep);
        int all_converged = 1;
        lariat_solve_info info = {0, 0, 0.0, 0.0};
        for (int k = 1; k <= 8; k++) {
            rc |= lariat_solver_gram.solve(ws, lmax * pow(0.5, k), c, &info);
            all_converged &= info.converged;
        }
        rc |= lariat_solver_gram.solve(ws, lmax * pow(0.5, 8), c, &info);
        d->X = X;
        LT_ASSERT_ALL(rc == LARIAT_OK && all_converged && info.converged && info.iterations == 0);
    }
    lariat_solver_gram.destroy(ws);
    ws = NULL;
    /* fista from gram's solution at the same lambda: already certified. */
    if (rc == LARIAT_OK) rc = lariat_solver_fista.create(prep, &st, &ws);
    if (rc == LARIAT_OK) {
        lariat_solve_info info = {0, 0, 0.0, 0.0};
        rc = lariat_solver_fista.solve(ws, lariat_prep_lambda_max(prep) * pow(0.5, 8), c, &info);
        LT_ASSERT_ALL(rc == LARIAT_OK && info.converged && info.iterations == 0);
    }
    lariat_solver_fista.destroy(ws);
    free(c);
    lariat_prep_destroy(prep);
    problem_free(&pa);
    lariat_data_destroy(d);
}

/* Collective. Whole paths through lariat_fit_path: every solution is
** certified (gap <= tol N0) and satisfies the KKT conditions on the original
** scale (coefficients and intercept as reported); gram and fista agree along
** the path, and gram equals its reference path on MPI_COMM_SELF. */
static void check_path(const scenario *sc, int nlambda, double ratio)
{
    lariat_data *d = make_data(sc);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    int64_t p = d->p;
    problem_arrays pa;
    problem_init(sc, p, &pa);
    gathered g;
    gather(d, &g);
    lariat_settings st;
    lariat_settings_default(&st);
    st.tol = 1e-12;
    st.max_iter = 20000;
    st.nlambda = nlambda;
    st.lambda_min_ratio = ratio;
    lariat_fit *fg = NULL, *ff = NULL, *fr = NULL;
    st.solver = LARIAT_SOLVER_GRAM;
    int rc = lariat_fit_path(lt_ctx(), d, NULL, &pa.pb, &st, &fg);
    st.solver = LARIAT_SOLVER_FISTA;
    if (rc == LARIAT_OK) rc = lariat_fit_path(lt_ctx(), d, NULL, &pa.pb, &st, &ff);
    lariat_ctx *self = NULL;
    lariat_data *all = NULL;
    if (rc == LARIAT_OK) rc = lariat_ctx_create(MPI_COMM_SELF, &self);
    if (rc == LARIAT_OK) {
        lariat_ctx_set_verbosity(self, LARIAT_LOG_QUIET);
        rc = lariat_data_from_dense(self, g.n, p, g.X, g.y, g.w, &all);
    }
    st.solver = LARIAT_SOLVER_GRAM;
    if (rc == LARIAT_OK) rc = lariat_fit_path(self, all, NULL, &pa.pb, &st, &fr);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc == LARIAT_OK) {
        int ok = fg->nlambda == nlambda && ff->nlambda == nlambda && fr->nlambda == nlambda;
        double worst_kkt = 0.0, worst_solvers = 0.0, worst_self = 0.0;
        double *bg = malloc((size_t)(p + 1) * sizeof(double)), *bf = malloc((size_t)(p + 1) * sizeof(double));
        double *br = malloc((size_t)(p + 1) * sizeof(double));
        for (int k = 0; ok && k < nlambda; k++) {
            const lariat_solution *sol[2] = {&fg->path[k], &ff->path[k]};
            for (int q = 0; q < 2; q++) {
                double tr = 0.0, N0 = fg->null_objective;
                double kkt = kkt_violation(&g, &pa, sol[q]->lambda, sol[q]->intercept, sol[q]->coef, &tr);
                ok &= sol[q]->converged && sol[q]->duality_gap <= st.tol * N0;
                if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
                    printf("\n    %s lambda %.3g: it %d converged %d gap/N0 %.1e nonzero %lld", q ? "fista" : "gram",
                           sol[q]->lambda, sol[q]->iterations, sol[q]->converged, sol[q]->duality_gap / N0,
                           (long long)sol[q]->nonzero);
                }
                ok &= kkt <= kkt_tolerance(tr, sol[q]->duality_gap, N0);
                worst_kkt = fmax(worst_kkt, kkt / kkt_tolerance(tr, sol[q]->duality_gap, N0));
            }
            bg[0] = fg->path[k].intercept;
            bf[0] = ff->path[k].intercept;
            br[0] = fr->path[k].intercept;
            memcpy(bg + 1, fg->path[k].coef, (size_t)p * sizeof(double));
            memcpy(bf + 1, ff->path[k].coef, (size_t)p * sizeof(double));
            memcpy(br + 1, fr->path[k].coef, (size_t)p * sizeof(double));
            worst_solvers = fmax(worst_solvers, lt_rel_diff(bf, bg, p + 1));
            worst_self = fmax(worst_self, lt_rel_diff(bg, br, p + 1));
            /* Every rank holds rank 0's gram solution, bit for bit (a large
            ** Gram is iterated on by rank 0 alone and broadcast). */
            memcpy(br, bg, (size_t)(p + 1) * sizeof(double));
            MPI_Bcast(br, (int)(p + 1), MPI_DOUBLE, 0, MPI_COMM_WORLD);
            int its = fg->path[k].iterations;
            MPI_Bcast(&its, 1, MPI_INT, 0, MPI_COMM_WORLD);
            ok &= memcmp(br, bg, (size_t)(p + 1) * sizeof(double)) == 0 && its == fg->path[k].iterations;
        }
        if (lt_rank() == 0 && getenv("LT_VERBOSE") != NULL) {
            printf("\n  path %s: kkt/tol %.1e, |fista - gram| %.1e, |gram - self| %.1e", sc->name, worst_kkt,
                   worst_solvers, worst_self);
        }
        LT_ASSERT_ALL(ok);
        LT_ASSERT_ALL(worst_solvers <= 1e-5);
        LT_ASSERT_ALL(worst_self <= 1e-9);
        free(bg);
        free(bf);
        free(br);
    }
    lariat_fit_destroy(fg);
    lariat_fit_destroy(ff);
    lariat_fit_destroy(fr);
    lariat_data_destroy(all);
    lariat_ctx_destroy(self);
    gathered_free(&g);
    problem_free(&pa);
    lariat_data_destroy(d);
}

static void test_path_dense(void)
{
    scenario sc = {.name = "weighted, bounded, penalty factors",
                   .spec = {.n = 240, .p = 30, .seed = 37, .corr = 0.6, .weighted = 1, .offset = 1.0},
                   .alpha = 0.8, .pf_zeros = 1, .has_lower = 1, .lower = -0.3};
    check_path(&sc, 15, 0.01);
}

static void test_path_sparse_wide(void)
{
    scenario sc = {.name = "sparse wide", .spec = {.n = 80, .p = 150, .seed = 38, .density = 0.1}, .alpha = 1.0};
    check_path(&sc, 12, 0.05);
}

/* p = 760: a Gram of 4.6 MB, which rank 0 alone iterates on at two ranks
** or more (gram.c's GRAM_SHARED_BYTES). */
static void test_path_sparse_large_gram(void)
{
    scenario sc = {.name = "sparse, large Gram", .spec = {.n = 300, .p = 760, .seed = 39, .density = 0.02},
                   .alpha = 1.0};
    check_path(&sc, 6, 0.3);
}

/* Collective. A ridge path at several ranks, whose lambdas the ranks solve
** a block each (gram.c's ridge_share), is the path one rank makes alone on
** all the rows, bit for bit. singular: two unpenalized copies of one column
** make H + lambda diag(f) singular at every lambda, so that each lambda
** falls back to coordinate descent from the lambda before, in order. */
static void check_ridge_ranks(int singular)
{
    const int64_t n = 90, p = 7;
    const int P = lt_size(), me = lt_rank();
    const int64_t r0 = n * me / P, nl = n * (me + 1) / P - r0;
    double *X = malloc((size_t)(n * p) * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < p; j++) X[i * p + j] = sin(0.37 * (double)(i + 1) * (double)(j + 1)) + 0.1 * (double)j;
        if (singular) X[i * p + p - 1] = X[i * p + p - 2];
        y[i] = X[i * p] - 0.5 * X[i * p + 2] + cos((double)i);
    }
    lariat_ctx *self = NULL;
    lariat_data *mine = NULL, *all = NULL;
    LT_ASSERT_ALL(lariat_ctx_create(MPI_COMM_SELF, &self) == LARIAT_OK);
    LT_ASSERT_ALL(lariat_data_from_dense(lt_ctx(), nl, p, X + r0 * p, y + r0, NULL, &mine) == LARIAT_OK);
    LT_ASSERT_ALL(lariat_data_from_dense(self, n, p, X, y, NULL, &all) == LARIAT_OK);
    double pf[7] = {1, 1, 1, 1, 1, 1, 1};
    if (singular) pf[p - 2] = pf[p - 1] = 0.0;
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.alpha = 0.0;
    pb.penalty_factor = pf;
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_GRAM;
    st.nlambda = 20;
    lariat_fit *a = NULL, *b = NULL;
    int ok = lariat_fit_path(lt_ctx(), mine, NULL, &pb, &st, &a) == LARIAT_OK;
    ok &= lariat_fit_path(self, all, NULL, &pb, &st, &b) == LARIAT_OK;
    ok &= a != NULL && b != NULL && a->nlambda == b->nlambda && a->nlambda == 20;
    for (int k = 0; ok && k < a->nlambda; k++) {
        const lariat_solution *u = &a->path[k], *v = &b->path[k];
        ok &= u->lambda == v->lambda && u->intercept == v->intercept && u->iterations == v->iterations &&
              memcmp(u->coef, v->coef, (size_t)p * sizeof(double)) == 0;
    }
    LT_ASSERT_ALL(ok);
    lariat_fit_destroy(a);
    lariat_fit_destroy(b);
    lariat_data_destroy(mine);
    lariat_data_destroy(all);
    lariat_ctx_destroy(self);
    free(X);
    free(y);
}

static void test_ridge_ranks(void) { check_ridge_ranks(0); }
static void test_ridge_ranks_singular(void) { check_ridge_ranks(1); }

void lt_register_solvers(void)
{
    CU_pSuite s = CU_add_suite("solvers", NULL, NULL);
    void (*tests[])(void) = {test_scenario_0, test_scenario_1, test_scenario_2,  test_scenario_3, test_scenario_4,
                             test_scenario_5, test_scenario_6, test_scenario_7,  test_scenario_8, test_scenario_9,
                             test_scenario_10, test_scenario_11, test_scenario_12};
    static char names[sizeof(scenarios) / sizeof(scenarios[0])][96];
    for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++) {
        snprintf(names[k], sizeof(names[k]), "gram = fista = reference, KKT and gap: %s", scenarios[k].name);
        CU_add_test(s, names[k], tests[k]);
    }
    CU_add_test(s, "ridge closed form, tall and weighted", test_ridge_tall);
    CU_add_test(s, "ridge closed form, wide with unpenalized columns", test_ridge_wide);
    CU_add_test(s, "kernel ridge on wide data = closed form, gram's and one rank's", test_kernel_ridge);
    CU_add_test(s, "lambda = 0 after a path step on wide data is solved, not certified at once",
                test_lambda_zero_wide);
    CU_add_test(s, "unstandardized columns of scales 0.05 to 1,000: Newton steps to the first kink",
                test_newton_to_kink);
    CU_add_test(s, "the same columns with fista: a step scaled to each column", test_fista_unscaled);
    CU_add_test(s, "descent that stands still below the gap's round-off ends", test_still_descent);
    CU_add_test(s, "descent on columns correlated 0.9 converges (Newton steps bought, predictions checked)",
                test_correlated_descent);
    CU_add_test(s, "ridge path through one tridiagonal reduction = a Cholesky factor per lambda",
                test_ridge_path_tri);
    CU_add_test(s, "lambda -> 0 is weighted least squares", test_least_squares);
    CU_add_test(s, "column scales do not matter when standardized", test_column_scale_invariance);
    CU_add_test(s, "max_iter reached: a warning, not an error", test_not_converged);
    CU_add_test(s, "gram reads X once; warm starts", test_gram_one_pass_and_warm_start);
    CU_add_test(s, "path: dense, weighted, bounded, penalty factors", test_path_dense);
    CU_add_test(s, "path: sparse and wide", test_path_sparse_wide);
    CU_add_test(s, "path: sparse, a Gram rank 0 iterates on alone", test_path_sparse_large_gram);
    CU_add_test(s, "ridge path with its lambdas split over the ranks = one rank's, bit for bit", test_ridge_ranks);
    CU_add_test(s, "the same where every system is singular (descent in order)", test_ridge_ranks_singular);
}
