/*
** The `gram` solver for wide data: coordinate descent with covariance
** updates, as in gram.c, on the columns of the Gram matrix that the strong
** rules ask for, formed when a feature first enters a strong set.
**
** gram.c forms the whole standardized Gram H = Xs'WXs / W (prep.h's
** notation) in one pass: n p^2 flops and p^2 doubles, which a wide problem
** (p = 10,000 and more) cannot afford, and mostly does not need: along a
** lasso or elastic-net path only the features of the strong sets
** (Tibshirani et al. 2012, J. R. Stat. Soc. B 74(2)) ever move, and a
** coordinate update needs only its own column of H. glmnet's covariance
** method keeps exactly such columns for the features that became active
** (Friedman, Hastie and Tibshirani 2010, J. Stat. Softw. 33(1), section
** 2.2); here a column is formed when its feature first joins a strong set,
** k new columns at a time with one DGEMM per row block
** (lariat_matrix_gram_cols) and one allreduce of p x k values, and kept for
** the rest of the path. Nothing else communicates: every rank holds the
** same columns and runs the same iterations.
**
** With c the coefficients and A = {j : c_j != 0} (all cached), the negative
** gradient of the loss is g = xy - sum_{j in A} c_j H_j, p dot products of
** cached columns; the sweeps keep g up to date on the strong set S only
** (O(|S|) per moved coordinate), and g is recomputed in full before the
** KKT check of the features outside S and before the duality gap of prep.h,
** which it gives in O(p) as in gram.c (v = g, ry = yy - c'xy,
** rr = ry - c'g). Memory: p doubles per column kept, grown by doubling
** between sweeps (never inside one), at most p columns.
**
** The diagonal H_jj is prep->xx[j], known for every j without its column.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns formed per allreduce: a batch is p x WSG_BATCH doubles. */
#define WSG_BATCH 64
/* Columns the cache holds at first; it doubles when full. */
#define WSG_FIRST_CAP 64
/* Newton steps (gram.c's active_newton) on at most this many free
** coordinates, after this many active-set sweeps without convergence. */
#define WSG_NEWTON_MAX 2048
#define WSG_NEWTON_AFTER 4

typedef struct wsg_ws {
    const lariat_prep *prep;
    int64_t p;
    double tol;
    int max_iter;
    /* The column cache: cols + s * p is column slot[j] = s of feature j. */
    double *cols;
    int64_t *slot;      /* p: the cache slot of feature j, -1 when not formed */
    int64_t ncols, cap; /* columns held, columns allocated */
    int64_t *want;      /* p: features whose columns are to be formed */
    double *batch;      /* p x WSG_BATCH: one batch before scaling */
    double *g;          /* p: xy - H c (on S only between refreshes) */
    double *c;          /* the caller's coefficients during solve() */
    char *in_strong;    /* p flags */
    int64_t *strong;    /* the strong set S, as a list */
    int64_t n_strong;
    int64_t *active;    /* the nonzero coefficients of S */
    double *A, *rhs;    /* Newton system (ncap x ncap) and right-hand side (ncap) */
    int64_t ncap;       /* free coordinates the Newton buffers hold: min(cap, WSG_NEWTON_MAX) */
    double last_lambda; /* lambda of the previous solve(); 0 before the first */
} wsg_ws;

/* Not collective. A coefficient whose bounds leave it one value. */
static int is_fixed(const lariat_prep *prep, int64_t j) { return prep->lo[j] == prep->hi[j]; }

static void wsg_destroy(void *wsv)
{
    wsg_ws *ws = wsv;
    if (ws == NULL) return;
    free(ws->cols);
    free(ws->slot);
    free(ws->want);
    free(ws->batch);
    free(ws->g);
    free(ws->in_strong);
    free(ws->strong);
    free(ws->active);
    free(ws->A);
    free(ws->rhs);
    free(ws);
}

/* Collective. Allocates the workspace; no pass over the data yet. */
static int wsg_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = prep->ctx;
    const int64_t p = prep->p;
    int rc = LARIAT_OK;
    *out = NULL;
    wsg_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "gram workspace");
    if (ws == NULL) rc = LARIAT_ENOMEM;
    if (rc == LARIAT_OK && (prep->w == NULL || !lariat_blas_fits(p, WSG_BATCH))) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "the wide gram solver needs the rows and p <= %d", INT32_MAX);
    }
    if (rc == LARIAT_OK) {
        ws->prep = prep;
        ws->p = p;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        ws->cap = p < WSG_FIRST_CAP ? p : WSG_FIRST_CAP;
        ws->cols = lariat_malloc(ctx, (size_t)(p * ws->cap), sizeof(double), "Gram columns");
        ws->slot = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram column slots");
        ws->want = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram columns wanted");
        ws->batch = lariat_malloc(ctx, (size_t)(p * WSG_BATCH), sizeof(double), "Gram column batch");
        ws->g = lariat_malloc(ctx, (size_t)p, sizeof(double), "gram gradient");
        ws->in_strong = lariat_malloc(ctx, (size_t)p, 1, "strong set flags");
        ws->strong = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "strong set");
        ws->active = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "active set");
        ws->ncap = ws->cap;
        ws->A = lariat_malloc(ctx, (size_t)(ws->ncap * ws->ncap), sizeof(double), "Newton system");
        ws->rhs = lariat_malloc(ctx, (size_t)ws->ncap, sizeof(double), "Newton right-hand side");
        if (ws->cols == NULL || ws->slot == NULL || ws->want == NULL || ws->batch == NULL || ws->g == NULL ||
            ws->in_strong == NULL || ws->strong == NULL || ws->active == NULL || ws->A == NULL || ws->rhs == NULL) {
            rc = LARIAT_ENOMEM;
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        wsg_destroy(ws);
        return rc;
    }
    for (int64_t j = 0; j < p; j++) ws->slot[j] = -1;
    *out = ws;
    return LARIAT_OK;
}

/* Collective. Forms the columns of the m features in ws->want that are not
** cached yet, WSG_BATCH per pass over the rows: the local centered weighted
** sums (lariat_matrix_gram_cols about the means), one allreduce, then the
** scaling of prep.h, H_lj = G_lj / (s_l s_j W). Every rank asks for the same
** features (they follow from global quantities), so all take part alike. */
static int form_columns(wsg_ws *ws, int64_t m)
{
    const lariat_prep *prep = ws->prep;
    lariat_ctx *ctx = prep->ctx;
    const int64_t p = ws->p;
    int64_t k = 0;
    for (int64_t t = 0; t < m; t++) {
        if (ws->slot[ws->want[t]] < 0) ws->want[k++] = ws->want[t];
    }
    /* k is the same on every rank: nothing to form means no message. */
    if (k == 0) return LARIAT_OK;
    int rc = LARIAT_OK;
    if (ws->ncols + k > ws->cap) {
        /* Doubling keeps the number of reallocations logarithmic in p. */
        int64_t cap = ws->cap;
        while (cap < ws->ncols + k) cap *= 2;
        if (cap > p) cap = p;
        double *grown = realloc(ws->cols, (size_t)(p * cap) * sizeof(double));
        if (grown != NULL) {
            ws->cols = grown;
            ws->cap = cap;
        }
        /* The Newton buffers follow, up to WSG_NEWTON_MAX coordinates. */
        const int64_t ncap = cap < WSG_NEWTON_MAX ? cap : WSG_NEWTON_MAX;
        double *A = grown != NULL && ncap > ws->ncap ? malloc((size_t)(ncap * ncap) * sizeof(double)) : NULL;
        double *rhs = A != NULL ? malloc((size_t)ncap * sizeof(double)) : NULL;
        if (rhs != NULL) {
            free(ws->A);
            free(ws->rhs);
            ws->A = A;
            ws->rhs = rhs;
            ws->ncap = ncap;
        } else {
            free(A);
        }
        if (grown == NULL || (ncap > ws->ncap && rhs == NULL)) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory for %lld Gram columns of %lld values",
                              (long long)cap, (long long)p);
        }
    }
    rc = lariat_agree(ctx, rc);
    for (int64_t t0 = 0; rc == LARIAT_OK && t0 < k; t0 += WSG_BATCH) {
        const int64_t kb = k - t0 < WSG_BATCH ? k - t0 : WSG_BATCH;
        rc = lariat_agree(ctx, lariat_matrix_gram_cols(ctx, prep->data->X, prep->w, prep->mean, ws->want + t0, kb,
                                                       ws->batch));
        if (rc == LARIAT_OK) rc = lariat_allreduce_sum(ctx, ws->batch, p * kb);
        for (int64_t t = 0; rc == LARIAT_OK && t < kb; t++) {
            const int64_t j = ws->want[t0 + t];
            const double sj = prep->inv_scale[j] / prep->W;
            const double *src = ws->batch + t * p;
            double *dst = ws->cols + ws->ncols * p;
            for (int64_t l = 0; l < p; l++) dst[l] = src[l] * prep->inv_scale[l] * sj;
            ws->slot[j] = ws->ncols++;
        }
    }
    return rc;
}

/* Collective. Forms the columns of every nonzero coefficient. */
static int cache_nonzero(wsg_ws *ws)
{
    int64_t m = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->c[j] != 0.0 && ws->slot[j] < 0) ws->want[m++] = j;
    }
    return form_columns(ws, m);
}

/* Not collective. g = xy - sum_{c_j != 0} c_j H_j over all p entries. */
static void refresh_gradient(wsg_ws *ws)
{
    const int64_t p = ws->p;
    memcpy(ws->g, ws->prep->xy, (size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        if (ws->c[j] != 0.0) cblas_daxpy((int)p, -ws->c[j], ws->cols + ws->slot[j] * p, 1, ws->g, 1);
    }
}

/* Not collective. The objective and gap at c from a fresh g (see gram.c). */
static void wsg_gap(const wsg_ws *ws, double lambda, double *primal, double *gap)
{
    const lariat_prep *prep = ws->prep;
    const int p = (int)ws->p;
    double ry = prep->yy - cblas_ddot(p, ws->c, 1, prep->xy, 1);
    double rr = ry - cblas_ddot(p, ws->c, 1, ws->g, 1);
    if (rr < 0.0) rr = 0.0;
    lariat_prep_gap(prep, lambda, ws->c, ws->g, rr, ry, primal, gap);
}

/* Not collective. The exact minimizer over coordinate j (gram.c's
** coordinate_min with H_jj = xx_j). */
static double coordinate_min(const wsg_ws *ws, int64_t j, double lambda)
{
    const double hjj = ws->prep->xx[j];
    if (hjj > 0.0) return lariat_prep_prox(ws->prep, j, ws->c[j] + ws->g[j] / hjj, 1.0 / hjj, lambda);
    return lariat_prep_prox(ws->prep, j, 0.0, 1.0, lambda);
}

/* Not collective. One cycle of covariance updates over the m features in
** idx (all in S, all cached): a moved coordinate corrects g on S with its
** column. Returns max_j H_jj delta_j^2 (glmnet's convergence measure). */
static double sweep(wsg_ws *ws, const int64_t *idx, int64_t m, double lambda)
{
    const int64_t p = ws->p, ns = ws->n_strong;
    const int64_t *S = ws->strong;
    double *g = ws->g, change = 0.0;
    for (int64_t k = 0; k < m; k++) {
        const int64_t j = idx[k];
        const double old = ws->c[j], cj = coordinate_min(ws, j, lambda);
        if (cj == old) continue;
        const double delta = cj - old;
        const double *col = ws->cols + ws->slot[j] * p;
        ws->c[j] = cj;
        for (int64_t q = 0; q < ns; q++) g[S[q]] -= delta * col[S[q]];
        const double step = ws->prep->xx[j] * delta * delta;
        if (step > change) change = step;
    }
    return change;
}

/* Not collective. gram.c's Newton step on the free set F (nonzero
** coefficients strictly inside their bounds) with the signs held: there the
** objective is quadratic and its minimizer over F solves
**   (H_FF + lambda (1-alpha) diag(f_F)) delta
**       = g_F - lambda (1-alpha) f_F c_F - lambda alpha f_F sign(c_F).
** The step is kept only when every coefficient keeps its sign and stays
** inside its bounds (then it is the exact minimizer on this piece); g
** follows on S. Returns 1 if the step was taken. H_FF comes from the cached
** columns (every nonzero coefficient has one). */
static int active_newton(wsg_ws *ws, double lambda)
{
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p, ns = ws->n_strong;
    const double a = prep->alpha;
    int64_t *F = ws->want; /* free between column requests */
    int64_t m = 0;
    for (int64_t k = 0; k < ns; k++) {
        const int64_t j = ws->strong[k];
        const double cj = ws->c[j];
        if (cj != 0.0 && cj > prep->lo[j] && cj < prep->hi[j]) F[m++] = j;
    }
    if (m == 0 || m > ws->ncap) return 0;
    for (int64_t r = 0; r < m; r++) {
        const int64_t j = F[r];
        const double q = lambda * (1.0 - a) * prep->pf[j], tau = lambda * a * prep->pf[j];
        const double *col = ws->cols + ws->slot[j] * p;
        ws->rhs[r] = ws->g[j] - q * ws->c[j] - tau * (ws->c[j] > 0.0 ? 1.0 : -1.0);
        for (int64_t t = 0; t < m; t++) ws->A[r * m + t] = col[F[t]];
        ws->A[r * m + r] += q;
    }
    /* Symmetric: row-major storage is the column-major matrix itself. */
    if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, ws->A, (lapack_int)m, ws->rhs, (lapack_int)m) != 0) {
        return 0;
    }
    for (int64_t r = 0; r < m; r++) {
        const double cj = ws->c[F[r]], nc = cj + ws->rhs[r];
        if ((nc > 0.0) != (cj > 0.0) || nc == 0.0 || !(nc > prep->lo[F[r]]) || !(nc < prep->hi[F[r]])) return 0;
    }
    for (int64_t r = 0; r < m; r++) {
        const double *col = ws->cols + ws->slot[F[r]] * p;
        ws->c[F[r]] += ws->rhs[r];
        for (int64_t q = 0; q < ns; q++) ws->g[ws->strong[q]] -= ws->rhs[r] * col[ws->strong[q]];
    }
    return 1;
}

/* Collective. The sequential strong rule (gram.c's build_strong_set) from
** a fresh g, then the columns of its new members. */
static int build_strong_set(wsg_ws *ws, double lambda, double lambda_prev)
{
    const lariat_prep *prep = ws->prep;
    int64_t m = 0, nw = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        const double thresh = prep->alpha * prep->pf[j] * (2.0 * lambda - lambda_prev);
        const int keep = !is_fixed(prep, j) && (ws->c[j] != 0.0 || prep->pf[j] == 0.0 || fabs(ws->g[j]) >= thresh);
        ws->in_strong[j] = (char)keep;
        if (keep) {
            ws->strong[m++] = j;
            if (ws->slot[j] < 0) ws->want[nw++] = j;
        }
    }
    ws->n_strong = m;
    return form_columns(ws, nw);
}

/* Collective. The KKT check of the features outside S against a fresh g:
** a feature violates its optimality condition exactly when its coordinate
** update would move it. Violators join S (with their columns); *added says
** how many did. */
static int add_kkt_violators(wsg_ws *ws, double lambda, int64_t *added)
{
    int64_t nw = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->in_strong[j] || is_fixed(ws->prep, j)) continue;
        if (coordinate_min(ws, j, lambda) != ws->c[j]) {
            ws->in_strong[j] = 1;
            ws->strong[ws->n_strong++] = j;
            ws->want[nw++] = j;
        }
    }
    *added = nw;
    return form_columns(ws, nw);
}

/* Collective (new columns are summed across ranks); otherwise every rank
** runs the same iterations on the same columns. The loop is gram.c's:
** a cycle over S, cycles over the active set until its steps are small, and
** when a cycle over S is quiet, the KKT check outside S, then the gap; a gap
** still too large tightens the step threshold. */
static int wsg_solve(void *wsv, double lambda, double *c, lariat_solve_info *info)
{
    wsg_ws *ws = wsv;
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p;
    int iter = 0, converged = 0;
    double primal = 0.0, gap = 0.0;
    ws->c = c;

    /* A warm start outside the bounds is projected first (gram.c). */
    for (int64_t j = 0; j < p; j++) c[j] = fmin(fmax(c[j], prep->lo[j]), prep->hi[j]);
    int rc = cache_nonzero(ws);
    if (rc == LARIAT_OK) {
        refresh_gradient(ws);
        wsg_gap(ws, lambda, &primal, &gap);
        converged = lariat_prep_converged(prep, gap, ws->tol);
    }
    double lambda_prev = ws->last_lambda;
    if (!(lambda_prev >= lambda)) lambda_prev = fmax(lariat_prep_lambda_max(prep), lambda);
    if (rc == LARIAT_OK && !converged) rc = build_strong_set(ws, lambda, lambda_prev);

    double thr = ws->tol * prep->N0;
    while (rc == LARIAT_OK && !converged && iter < ws->max_iter) {
        double change = sweep(ws, ws->strong, ws->n_strong, lambda);
        iter++;
        if (change <= thr) {
            int64_t added = 0;
            refresh_gradient(ws);
            rc = add_kkt_violators(ws, lambda, &added);
            if (rc != LARIAT_OK || added > 0) continue;
            wsg_gap(ws, lambda, &primal, &gap);
            converged = lariat_prep_converged(prep, gap, ws->tol);
            thr *= 0.01;
            continue;
        }
        int64_t n_active = 0;
        for (int64_t k = 0; k < ws->n_strong; k++) {
            if (c[ws->strong[k]] != 0.0) ws->active[n_active++] = ws->strong[k];
        }
        int inner = 0;
        while (n_active > 0 && iter < ws->max_iter) {
            change = sweep(ws, ws->active, n_active, lambda);
            iter++;
            if (change <= thr) break;
            if (++inner == WSG_NEWTON_AFTER && active_newton(ws, lambda)) break;
        }
    }
    if (rc == LARIAT_OK && !converged) {
        refresh_gradient(ws);
        wsg_gap(ws, lambda, &primal, &gap);
        converged = lariat_prep_converged(prep, gap, ws->tol);
    }
    ws->last_lambda = lambda;
    ws->c = NULL;
    info->iterations = iter;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
    return rc;
}

/* Not collective. As gram.c: the strong rule's previous lambda is the only
** state a solve() leaves to the next besides c (the columns are a cache). */
static int wsg_get_state(const void *wsv, double *state)
{
    state[0] = ((const wsg_ws *)wsv)->last_lambda;
    return 1;
}

static void wsg_set_state(void *wsv, const double *state, int n)
{
    if (n >= 1) ((wsg_ws *)wsv)->last_lambda = state[0];
}

const lariat_solver_ops lariat_solver_wsgram = {"gram", wsg_create, wsg_solve, wsg_destroy, wsg_get_state,
                                                wsg_set_state};
