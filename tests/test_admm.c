/*
** The admm solver: its answers against references computed here from the
** gathered raw rows (the ridge closed form with LAPACK, a small dense
** coordinate descent otherwise), the KKT conditions and the duality gap at
** its solutions, agreement with gram and fista and with itself run on
** MPI_COMM_SELF, across rho (given, automatic, adapted or not), shapes that
** take the matrix-inversion-lemma path (ranks with fewer rows than
** features), empty and masked ranks, weights, penalty factors, bounds, the
** scaling options and sparse input.
*/
#include "core/core.h"
#include "harness.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"
#include "testdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Solver settings of the comparisons: a gap of 1e-12 N0 pins the solution
** down far below the 1e-5 asked of the coefficients. */
#define TEST_TOL 1e-12
#define TEST_MAX_ITER 20000

/* One problem: the penalty, the options, and per-feature arrays. */
typedef struct problem {
    double alpha;
    int intercept, standardize;
    int pf_zero;   /* f_j = 0 for j % 4 == 0, f_j = 2 for j % 4 == 1 */
    int lower0;    /* lower_j = 0 for every j */
} problem;

/* The gathered rows and everything computed from them without the library:
** W, ybar, column means m (0 without intercept), the penalty's scales s
** (SPEC.md section 1: weighted sd, rms without intercept, 1 without
** standardization; 0 for a constant column), the standardized Gram
** H = Xs'WXs/W and h = Xs'W yc/W, and the problem's arrays. */
typedef struct ref {
    int64_t n, p;
    double *X, *y, *w;
    double W, ybar;
    double *m, *s, *H, *h, *pf, *lo, *hi;
    double alpha;
    int intercept;
} ref;

static void ref_free(ref *r)
{
    double *arrays[] = {r->X, r->y, r->w, r->m, r->s, r->H, r->h, r->pf, r->lo, r->hi};
    for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) free(arrays[k]);
}

/* Collective (gathers). */
static void ref_init(ref *r, const lariat_data *d, const problem *pr)
{
    const int64_t n = d->n, p = d->p;
    r->n = n;
    r->p = p;
    r->alpha = pr->alpha;
    r->intercept = pr->intercept;
    lt_gather_all(d, &r->X, &r->y, &r->w);
    r->m = calloc((size_t)p, sizeof(double));
    r->s = calloc((size_t)p, sizeof(double));
    r->H = calloc((size_t)(p * p), sizeof(double));
    r->h = calloc((size_t)p, sizeof(double));
    r->pf = malloc((size_t)p * sizeof(double));
    r->lo = malloc((size_t)p * sizeof(double));
    r->hi = malloc((size_t)p * sizeof(double));
    double W = 0.0, ybar = 0.0;
    for (int64_t i = 0; i < n; i++) {
        W += r->w[i];
        ybar += r->w[i] * r->y[i];
    }
    r->W = W;
    r->ybar = pr->intercept ? ybar / W : 0.0;
    for (int64_t j = 0; j < p; j++) {
        double mj = 0.0, v = 0.0, mn = INFINITY, mx = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            if (!(r->w[i] > 0.0)) continue;
            mj += r->w[i] * r->X[i * p + j] / W;
            mn = fmin(mn, r->X[i * p + j]);
            mx = fmax(mx, r->X[i * p + j]);
        }
        if (!pr->intercept) mj = 0.0;
        for (int64_t i = 0; i < n; i++) v += r->w[i] * (r->X[i * p + j] - mj) * (r->X[i * p + j] - mj) / W;
        const int constant = pr->intercept ? (mn == mx) : (mn == 0.0 && mx == 0.0);
        r->m[j] = mj;
        r->s[j] = constant ? 0.0 : (pr->standardize ? sqrt(v) : 1.0);
        r->pf[j] = pr->pf_zero ? (j % 4 == 0 ? 0.0 : (j % 4 == 1 ? 2.0 : 1.0)) : 1.0;
        r->lo[j] = pr->lower0 ? 0.0 : -INFINITY;
        r->hi[j] = INFINITY;
    }
    for (int64_t i = 0; i < n; i++) {
        const double wi = r->w[i] / W, yc = r->y[i] - r->ybar;
        for (int64_t j = 0; j < p; j++) {
            if (r->s[j] == 0.0) continue;
            const double xj = (r->X[i * p + j] - r->m[j]) / r->s[j];
            r->h[j] += wi * xj * yc;
            for (int64_t l = 0; l < p; l++) {
                if (r->s[l] != 0.0) r->H[j * p + l] += wi * xj * (r->X[i * p + l] - r->m[l]) / r->s[l];
            }
        }
    }
}

/* Not collective. lambda_max of SPEC.md section 2 from h. */
static double ref_lambda_max(const ref *r)
{
    double lmax = 0.0;
    for (int64_t j = 0; j < r->p; j++) {
        if (r->pf[j] > 0.0) lmax = fmax(lmax, fabs(r->h[j]) / (fmax(r->alpha, 1e-3) * r->pf[j]));
    }
    return lmax;
}

/* Not collective. Cyclic coordinate descent on the standardized problem
** (Friedman, Hastie and Tibshirani 2010, eq. 5, with bounds by clipping),
** swept until no coordinate moves more than 1e-15 of the largest. */
static void ref_cd(const ref *r, double lambda, double *c)
{
    const int64_t p = r->p;
    memset(c, 0, (size_t)p * sizeof(double));
    for (int sweep = 0; sweep < 1000000; sweep++) {
        double move = 0.0, big = 1e-300;
        for (int64_t j = 0; j < p; j++) {
            if (r->s[j] == 0.0) continue;
            double g = r->h[j];
            for (int64_t l = 0; l < p; l++) g -= (l == j ? 0.0 : r->H[j * p + l] * c[l]);
            const double t = lambda * r->alpha * r->pf[j];
            double v = (g > t ? g - t : (g < -t ? g + t : 0.0)) / (r->H[j * p + j] + lambda * (1.0 - r->alpha) * r->pf[j]);
            v = fmin(fmax(v, r->lo[j] * r->s[j]), r->hi[j] * r->s[j]);
            move = fmax(move, fabs(v - c[j]));
            c[j] = v;
            big = fmax(big, fabs(v));
        }
        if (move <= 1e-15 * big) break;
    }
}

/* Not collective. b = c / s (0 for constant columns) and b0 = ybar - m'b. */
static double ref_to_original(const ref *r, const double *c, double *b)
{
    double b0 = r->ybar;
    for (int64_t j = 0; j < r->p; j++) {
        b[j] = r->s[j] == 0.0 ? 0.0 : c[j] / r->s[j];
        b0 -= r->m[j] * b[j];
    }
    return r->intercept ? b0 : 0.0;
}

/* Not collective. The SPEC.md section 1 objective at c, on the original scale
** from the raw rows (the penalty acts on s_j b_j = c_j, the loss on b). */
static double ref_objective(const ref *r, double lambda, const double *c)
{
    const int64_t n = r->n, p = r->p;
    double *b = malloc((size_t)p * sizeof(double)), loss = 0.0, pen = 0.0;
    const double b0 = ref_to_original(r, c, b);
    for (int64_t i = 0; i < n; i++) {
        double e = r->y[i] - b0;
        for (int64_t j = 0; j < p; j++) e -= r->X[i * p + j] * b[j];
        loss += r->w[i] * e * e;
    }
    for (int64_t j = 0; j < p; j++) {
        pen += r->pf[j] * (0.5 * (1.0 - r->alpha) * c[j] * c[j] + r->alpha * fabs(c[j]));
    }
    free(b);
    return loss / (2.0 * r->W) + lambda * pen;
}

/* Not collective. The largest violation of the KKT conditions at c: with
** v = h - H c, each coordinate's right derivative of the objective must be
** >= 0 unless c_j is at its upper bound, and its left derivative <= 0
** unless c_j is at its lower bound. */
static double ref_kkt(const ref *r, double lambda, const double *c)
{
    const int64_t p = r->p;
    double worst = 0.0;
    for (int64_t j = 0; j < p; j++) {
        if (r->s[j] == 0.0) {
            worst = fmax(worst, fabs(c[j]) > 0.0 ? INFINITY : 0.0);
            continue;
        }
        double v = r->h[j];
        for (int64_t l = 0; l < p; l++) v -= r->H[j * p + l] * c[l];
        const double smooth = -v + lambda * (1.0 - r->alpha) * r->pf[j] * c[j], t = lambda * r->alpha * r->pf[j];
        const double right = smooth + (c[j] >= 0.0 ? t : -t), left = smooth + (c[j] > 0.0 ? t : -t);
        if (c[j] < r->hi[j] * r->s[j]) worst = fmax(worst, -right);
        if (c[j] > r->lo[j] * r->s[j]) worst = fmax(worst, left);
    }
    return worst;
}

static void problem_to_lariat(const problem *pr, const ref *r, lariat_problem *pb)
{
    lariat_problem_default(pb);
    pb->alpha = pr->alpha;
    pb->intercept = pr->intercept;
    pb->standardize = pr->standardize;
    pb->penalty_factor = r->pf;
    pb->lower = r->lo;
    pb->upper = r->hi;
}

/* Collective on ctx. Runs ops along lambdas[0..nlam) warm-started from c = 0;
** c receives the last solution, info its record, N0 the null objective. */
static int run_solver(lariat_ctx *ctx, const lariat_solver_ops *ops, const lariat_data *d, const lariat_problem *pb,
                      const lariat_settings *st, const double *lambdas, int nlam, double *c,
                      lariat_solve_info *info, double *N0)
{
    lariat_prep *prep = NULL;
    void *ws = NULL;
    memset(c, 0, (size_t)d->p * sizeof(double));
    memset(info, 0, sizeof(*info));
    int rc = lariat_prep_create(ctx, d, NULL, pb, &prep);
    if (rc == LARIAT_OK) rc = ops->create(prep, st, &ws);
    for (int k = 0; rc == LARIAT_OK && k < nlam; k++) rc = ops->solve(ws, lambdas[k], c, info);
    if (prep != NULL) *N0 = prep->N0;
    ops->destroy(ws);
    lariat_prep_destroy(prep);
    return rc;
}

static void settings(lariat_settings *st, double rho, int adapt)
{
    lariat_settings_default(st);
    st->tol = TEST_TOL;
    st->max_iter = TEST_MAX_ITER;
    st->rho = rho;
    st->adapt_rho = adapt;
}

/* Collective. admm at frac * lambda_max (given rho, or 0 = automatic)
** against the coordinate-descent reference: status OK on every rank, the gap
** certificate, 1e-6 relative objective (the one admm reports and the one
** recomputed here), 1e-5 coefficients on the original scale, and KKT. */
static void check_against_cd(const lariat_data *d, const problem *pr, double frac, double rho, int adapt)
{
    ref r;
    ref_init(&r, d, pr);
    const int64_t p = r.p;
    lariat_problem pb;
    problem_to_lariat(pr, &r, &pb);
    lariat_settings st;
    settings(&st, rho, adapt);
    const double lambda = frac * ref_lambda_max(&r);
    double *c = calloc((size_t)p, sizeof(double)), *cref = calloc((size_t)p, sizeof(double)), N0 = 0.0;
    double *b = calloc((size_t)p, sizeof(double)), *bref = calloc((size_t)p, sizeof(double));
    lariat_solve_info info;
    int rc = run_solver(lt_ctx(), &lariat_solver_admm, d, &pb, &st, &lambda, 1, c, &info, &N0);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    ref_cd(&r, lambda, cref);
    const double fa = ref_objective(&r, lambda, c), fr = ref_objective(&r, lambda, cref);
    ref_to_original(&r, c, b);
    ref_to_original(&r, cref, bref);
    LT_ASSERT_ALL(info.converged && info.gap <= TEST_TOL * N0 && info.gap >= -1e-14 * N0);
    LT_ASSERT_ALL(fabs(info.primal - fr) <= 1e-6 * fr);
    LT_ASSERT_ALL(fabs(fa - fr) <= 1e-6 * fr);
    LT_ASSERT_ALL(lt_rel_diff(b, bref, p) <= 1e-5);
    /* A point within G of the optimum has a gradient error of at most
    ** sqrt(2 G L) for a loss of curvature L <= trace(H); 10 times that, for
    ** the coordinates at a kink or a bound. */
    double trace = 0.0;
    for (int64_t j = 0; j < p; j++) trace += r.H[j * p + j];
    LT_ASSERT_ALL(ref_kkt(&r, lambda, c) <= 10.0 * sqrt(2.0 * TEST_TOL * N0 * trace));
    free(c);
    free(cref);
    free(b);
    free(bref);
    ref_free(&r);
}

static void check_spec(lt_spec spec, const problem *pr, double frac)
{
    lariat_data *d = lt_make_data(&spec);
    LT_ASSERT_ALL(d != NULL);
    if (d == NULL) return;
    check_against_cd(d, pr, frac, 0.0, 1);
    lariat_data_destroy(d);
}

/* Ridge (alpha = 0) against its closed form on the original scale, solved
** here with LAPACK from the raw rows:
**   (Xc'W Xc / W + lambda diag(f s^2)) b = Xc'W yc / W,  b0 = ybar - m'b. */
static void test_ridge_closed_form(void)
{
    lt_spec spec = {.n = 150, .p = 12, .seed = 3, .corr = 0.5, .weighted = 1, .offset = 2.0, .scale_range = 2};
    problem pr = {.alpha = 0.0, .intercept = 1, .standardize = 1};
    lariat_data *d = lt_make_data(&spec);
    ref r;
    ref_init(&r, d, &pr);
    const int64_t n = r.n, p = r.p;
    const double lambda = 0.3;
    double *A = calloc((size_t)(p * p), sizeof(double)), *rhs = calloc((size_t)p, sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        const double wi = r.w[i] / r.W, yc = r.y[i] - r.ybar;
        for (int64_t j = 0; j < p; j++) {
            const double xj = r.X[i * p + j] - r.m[j];
            rhs[j] += wi * xj * yc;
            for (int64_t l = 0; l < p; l++) A[j * p + l] += wi * xj * (r.X[i * p + l] - r.m[l]);
        }
    }
    for (int64_t j = 0; j < p; j++) A[j * p + j] += lambda * r.pf[j] * r.s[j] * r.s[j];
    int info_lapack = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (int)p, 1, A, (int)p, rhs, 1);
    lariat_problem pb;
    problem_to_lariat(&pr, &r, &pb);
    lariat_settings st;
    settings(&st, 0.0, 1);
    double *c = calloc((size_t)p, sizeof(double)), *b = calloc((size_t)p, sizeof(double)), N0 = 0.0;
    lariat_solve_info info;
    int rc = run_solver(lt_ctx(), &lariat_solver_admm, d, &pb, &st, &lambda, 1, c, &info, &N0);
    ref_to_original(&r, c, b);
    LT_ASSERT_ALL(info_lapack == 0 && rc == LARIAT_OK);
    LT_ASSERT_ALL(info.converged && info.gap <= TEST_TOL * N0);
    LT_ASSERT_ALL(lt_rel_diff(b, rhs, p) <= 1e-5);
    /* The closed form's objective, through c = s b. */
    for (int64_t j = 0; j < p; j++) rhs[j] *= r.s[j];
    const double fr = ref_objective(&r, lambda, rhs);
    LT_ASSERT_ALL(fabs(ref_objective(&r, lambda, c) - fr) <= 1e-6 * fr);
    free(A);
    free(rhs);
    free(c);
    free(b);
    ref_free(&r);
    lariat_data_destroy(d);
}

/* Lasso on tall data: every rank factors G_i + rho I (n_i >= p). */
static void test_lasso_tall(void)
{
    problem pr = {.alpha = 1.0, .intercept = 1, .standardize = 1};
    check_spec((lt_spec){.n = 300, .p = 15, .seed = 11, .corr = 0.5}, &pr, 0.05);
}

/* n = 40, p = 30: at 2 or more ranks some ranks hold fewer rows than
** features and take the matrix-inversion-lemma path. */
static void test_lasso_inversion_lemma(void)
{
    problem pr = {.alpha = 1.0, .intercept = 1, .standardize = 1};
    check_spec((lt_spec){.n = 40, .p = 30, .seed = 12, .corr = 0.3, .nonzero = 5}, &pr, 0.1);
}

/* n < p: every rank is wide; the elastic net keeps the solution unique. */
static void test_enet_wide(void)
{
    problem pr = {.alpha = 0.7, .intercept = 1, .standardize = 1};
    check_spec((lt_spec){.n = 30, .p = 60, .seed = 13, .corr = 0.2, .nonzero = 6}, &pr, 0.05);
}

/* rho = 0.1, 1, 10 and automatic, each with and without residual
** balancing, reach the same solution (and each passes check_against_cd). */
static void test_rho_values(void)
{
    lt_spec spec = {.n = 120, .p = 10, .seed = 14, .corr = 0.4, .weighted = 1};
    problem pr = {.alpha = 0.8, .intercept = 1, .standardize = 1};
    lariat_data *d = lt_make_data(&spec);
    const double rhos[] = {0.1, 1.0, 10.0, 0.0};
    for (int k = 0; k < 4; k++) {
        for (int adapt = 0; adapt <= 1; adapt++) check_against_cd(d, &pr, 0.1, rhos[k], adapt);
    }
    lariat_data_destroy(d);
}

/* Weights with penalty factors that include zeros; weights with lower
** bounds 0. */
static void test_weights_pf_bounds(void)
{
    const lt_spec spec = {.n = 90, .p = 12, .seed = 15, .corr = 0.3, .weighted = 1, .offset = 1.0};
    problem pr = {.alpha = 0.9, .intercept = 1, .standardize = 1, .pf_zero = 1};
    check_spec(spec, &pr, 0.1);
    pr = (problem){.alpha = 0.9, .intercept = 1, .standardize = 1, .lower0 = 1};
    check_spec(spec, &pr, 0.1);
}

/* Both at once: an unpenalized column whose optimum sits at its lower bound
** 0 (column 8 here) must still be certified. */
static void test_unpenalized_at_bound(void)
{
    problem pr = {.alpha = 0.9, .intercept = 1, .standardize = 1, .pf_zero = 1, .lower0 = 1};
    check_spec((lt_spec){.n = 90, .p = 12, .seed = 15, .corr = 0.3, .weighted = 1, .offset = 1.0}, &pr, 0.1);
}

static void test_no_intercept(void)
{
    problem pr = {.alpha = 1.0, .intercept = 0, .standardize = 1};
    check_spec((lt_spec){.n = 80, .p = 10, .seed = 16, .corr = 0.2, .offset = 0.5}, &pr, 0.05);
}

/* Without standardization, columns whose scales span two decades. */
static void test_no_standardize(void)
{
    problem pr = {.alpha = 0.5, .intercept = 1, .standardize = 0};
    check_spec((lt_spec){.n = 100, .p = 8, .seed = 17, .corr = 0.3, .scale_range = 2}, &pr, 0.05);
}

/* CSR input, densified on the ranks with fewer rows than features. */
static void test_sparse(void)
{
    problem pr = {.alpha = 0.9, .intercept = 1, .standardize = 1};
    check_spec((lt_spec){.n = 40, .p = 30, .seed = 18, .density = 0.3, .nonzero = 5}, &pr, 0.1);
    check_spec((lt_spec){.n = 200, .p = 10, .seed = 19, .density = 0.4, .weighted = 1}, &pr, 0.05);
}

/* Collective. This rank's rows of gathered arrays, split as lt_split does,
** with weight 0 on the rows of the last rank when mask_last, and column 0
** constant when constant0. */
static lariat_data *resplit(const ref *r, int mask_last, int constant0)
{
    int64_t begin, end;
    lt_split(r->n, lt_rank(), lt_size(), &begin, &end);
    const int64_t nl = end - begin, p = r->p;
    double *X = malloc((size_t)(nl * p + 1) * sizeof(double)), *w = malloc((size_t)(nl + 1) * sizeof(double));
    memcpy(X, r->X + begin * p, (size_t)(nl * p) * sizeof(double));
    for (int64_t i = 0; i < nl; i++) {
        w[i] = (mask_last && lt_rank() == lt_size() - 1 && lt_size() > 1) ? 0.0 : r->w[begin + i];
        if (constant0) X[i * p] = 2.5;
    }
    lariat_data *d = NULL;
    if (lariat_data_from_dense(lt_ctx(), nl, p, X, r->y + begin, w, &d) != LARIAT_OK) d = NULL;
    free(X);
    free(w);
    return d;
}

/* Ranks without rows (n = 6 at 3-4 ranks leaves rank 0 empty, the others
** hold fewer rows than p = 4), a rank whose rows all have weight 0 (left
** out of the consensus), and a constant column. */
static void test_empty_and_masked_ranks(void)
{
    problem pr = {.alpha = 0.5, .intercept = 1, .standardize = 1};
    check_spec((lt_spec){.n = 6, .p = 4, .seed = 20, .corr = 0.1, .nonzero = 2}, &pr, 0.1);
    lariat_data *d0 = lt_make_data(&(lt_spec){.n = 70, .p = 9, .seed = 21, .corr = 0.3, .weighted = 1});
    ref r;
    ref_init(&r, d0, &pr);
    lariat_data *d = resplit(&r, 1, 1);
    LT_ASSERT_ALL(d != NULL);
    if (d != NULL) check_against_cd(d, &pr, 0.05, 0.0, 1);
    lariat_data_destroy(d);
    ref_free(&r);
    lariat_data_destroy(d0);
}

/* The same data and path: admm across the ranks, admm on MPI_COMM_SELF from
** the gathered rows, gram and fista all agree. */
static void test_agreement(void)
{
    lt_spec spec = {.n = 64, .p = 24, .seed = 22, .corr = 0.4, .weighted = 1, .nonzero = 6};
    problem pr = {.alpha = 0.95, .intercept = 1, .standardize = 1, .pf_zero = 1};
    lariat_data *d = lt_make_data(&spec);
    ref r;
    ref_init(&r, d, &pr);
    const int64_t p = r.p;
    lariat_problem pb;
    problem_to_lariat(&pr, &r, &pb);
    lariat_settings st;
    settings(&st, 0.0, 1);
    const double lmax = ref_lambda_max(&r), lambdas[3] = {0.5 * lmax, 0.2 * lmax, 0.05 * lmax};
    const lariat_solver_ops *ops[3] = {&lariat_solver_admm, &lariat_solver_gram, &lariat_solver_fista};
    double *c[4], N0 = 0.0;
    lariat_solve_info info[4];
    int rc = LARIAT_OK;
    for (int k = 0; k < 3; k++) {
        c[k] = calloc((size_t)p, sizeof(double));
        rc |= run_solver(lt_ctx(), ops[k], d, &pb, &st, lambdas, 3, c[k], &info[k], &N0);
    }
    /* Every rank runs admm alone on all the rows. */
    lariat_ctx *self = NULL;
    lariat_data *dall = NULL;
    c[3] = calloc((size_t)p, sizeof(double));
    rc |= lariat_ctx_create(MPI_COMM_SELF, &self);
    if (self != NULL) lariat_ctx_set_verbosity(self, LARIAT_LOG_QUIET);
    if (rc == LARIAT_OK) rc = lariat_data_from_dense(self, r.n, p, r.X, r.y, r.w, &dall);
    if (rc == LARIAT_OK) rc = run_solver(self, &lariat_solver_admm, dall, &pb, &st, lambdas, 3, c[3], &info[3], &N0);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    for (int k = 0; k < 4; k++) {
        LT_ASSERT_ALL(info[k].converged);
        LT_ASSERT_ALL(lt_rel_diff(c[k], c[0], p) <= 1e-5);
    }
    for (int k = 0; k < 4; k++) free(c[k]);
    lariat_data_destroy(dall);
    lariat_ctx_destroy(self);
    ref_free(&r);
    lariat_data_destroy(d);
}

/* Along a path every solve converges, and a solve depends on (lambda, c)
** only: re-solving one lambda in a fresh workspace from the previous
** solution gives the same bits (what resuming from a checkpoint relies on). */
static void test_path_restart(void)
{
    lt_spec spec = {.n = 100, .p = 20, .seed = 23, .corr = 0.5, .weighted = 1};
    problem pr = {.alpha = 0.6, .intercept = 1, .standardize = 1};
    lariat_data *d = lt_make_data(&spec);
    ref r;
    ref_init(&r, d, &pr);
    const int64_t p = r.p;
    lariat_problem pb;
    problem_to_lariat(&pr, &r, &pb);
    lariat_settings st;
    settings(&st, 0.0, 1);
    st.tol = 1e-9;
    enum { NLAM = 8 };
    double lambdas[NLAM], *path = calloc((size_t)(NLAM * p), sizeof(double)), *c = calloc((size_t)p, sizeof(double));
    const double lmax = ref_lambda_max(&r);
    for (int k = 0; k < NLAM; k++) lambdas[k] = lmax * pow(0.5, k + 1);
    lariat_prep *prep = NULL;
    void *ws = NULL;
    lariat_solve_info info;
    int rc = lariat_prep_create(lt_ctx(), d, NULL, &pb, &prep), all_converged = 1;
    if (rc == LARIAT_OK) rc = lariat_solver_admm.create(prep, &st, &ws);
    for (int k = 0; rc == LARIAT_OK && k < NLAM; k++) {
        rc = lariat_solver_admm.solve(ws, lambdas[k], c, &info);
        all_converged &= info.converged;
        memcpy(path + k * p, c, (size_t)p * sizeof(double));
    }
    lariat_solver_admm.destroy(ws);
    ws = NULL;
    /* Lambda 6 again, from lambda 5's solution, in a new workspace. */
    memcpy(c, path + 4 * p, (size_t)p * sizeof(double));
    if (rc == LARIAT_OK) rc = lariat_solver_admm.create(prep, &st, &ws);
    if (rc == LARIAT_OK) rc = lariat_solver_admm.solve(ws, lambdas[5], c, &info);
    LT_ASSERT_ALL(rc == LARIAT_OK && all_converged);
    LT_ASSERT_ALL(memcmp(c, path + 5 * p, (size_t)p * sizeof(double)) == 0);
    double *cref = calloc((size_t)p, sizeof(double));
    ref_cd(&r, lambdas[NLAM - 1], cref);
    LT_ASSERT_ALL(lt_rel_diff(path + (NLAM - 1) * p, cref, p) <= 1e-4);
    lariat_solver_admm.destroy(ws);
    lariat_prep_destroy(prep);
    free(cref);
    free(path);
    free(c);
    ref_free(&r);
    lariat_data_destroy(d);
}

/* max_iter reached: status OK, converged = 0, the iterations counted, and
** the gap of the returned point still reported (positive, above tol N0). */
static void test_not_converged(void)
{
    lt_spec spec = {.n = 100, .p = 20, .seed = 24, .corr = 0.7};
    problem pr = {.alpha = 1.0, .intercept = 1, .standardize = 1};
    lariat_data *d = lt_make_data(&spec);
    ref r;
    ref_init(&r, d, &pr);
    lariat_problem pb;
    problem_to_lariat(&pr, &r, &pb);
    lariat_settings st;
    settings(&st, 0.0, 1);
    st.max_iter = 3;
    const double lambda = 0.01 * ref_lambda_max(&r);
    double *c = calloc((size_t)r.p, sizeof(double)), N0 = 0.0;
    lariat_solve_info info;
    int rc = run_solver(lt_ctx(), &lariat_solver_admm, d, &pb, &st, &lambda, 1, c, &info, &N0);
    LT_ASSERT_ALL(rc == LARIAT_OK && !info.converged && info.iterations == 3);
    LT_ASSERT_ALL(info.gap > TEST_TOL * N0 && isfinite(info.gap));
    LT_ASSERT_ALL(fabs(info.primal - ref_objective(&r, lambda, c)) <= 1e-10 * N0);
    free(c);
    ref_free(&r);
    lariat_data_destroy(d);
}

void lt_register_admm(void)
{
    CU_pSuite s = CU_add_suite("admm", NULL, NULL);
    CU_add_test(s, "ridge equals its closed form", test_ridge_closed_form);
    CU_add_test(s, "lasso, tall blocks", test_lasso_tall);
    CU_add_test(s, "lasso, blocks with fewer rows than features", test_lasso_inversion_lemma);
    CU_add_test(s, "elastic net, n < p", test_enet_wide);
    CU_add_test(s, "rho 0.1, 1, 10, auto, adapted or not", test_rho_values);
    CU_add_test(s, "weights, penalty factors with zeros, lower 0", test_weights_pf_bounds);
    CU_add_test(s, "unpenalized column at its bound", test_unpenalized_at_bound);
    CU_add_test(s, "no intercept", test_no_intercept);
    CU_add_test(s, "no standardization", test_no_standardize);
    CU_add_test(s, "sparse input", test_sparse);
    CU_add_test(s, "empty, masked ranks; constant column", test_empty_and_masked_ranks);
    CU_add_test(s, "agrees with gram, fista and itself on one rank", test_agreement);
    CU_add_test(s, "path; a solve depends on (lambda, c) only", test_path_restart);
    CU_add_test(s, "max_iter reached is not an error", test_not_converged);
}
