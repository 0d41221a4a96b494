/*
** The `fista` solver: accelerated proximal gradient (Beck and Teboulle 2009,
** SIAM J. Imaging Sci. 2(1), section 4) on the standardized problem of
** prep.h, for very wide or sparse data: it never forms a p x p matrix and
** reads X through the fused residual-gradient sweep only.
**
** One iteration is one pass over each rank's rows and ONE allreduce of a
** packed buffer [g (p) | sum w r^2, sum w r, sum w r y | q], summed over
** tiles of rows (data/tiles.h) so that it is the same at any rank count:
**
**   x_{k+1} = prox_{1/L}( y_k + v(y_k) / L ),       v(c) = Xs' W r(c) / W,
**
** where r(c) = yc - Xs c and v(c) is the negative gradient of the loss.
**
** The residual is affine in c, so the pass is made at the NEW iterate
** x_{k+1}, not at the extrapolated point: it yields r, v, rr and ry at
** x_{k+1}, hence its exact duality gap (lariat_prep_gap) at no extra cost,
** and the quantities at the next extrapolated point
** y_{k+1} = x_{k+1} + beta (x_{k+1} - x_k) follow by linearity,
**   r(y_{k+1}) = r_{k+1} + beta (r_{k+1} - r_k),   v likewise,
** in O(n_local + p). Every iterate is certified, with one reduction per
** iteration, and the certificate costs O(p) after it (O(p |U|) with |U|
** unpenalized columns, for prep's projection of the dual point).
**
** Coordinate j steps by sc_j / L, sc_j = lariat_prep_step_scale (1 on
** standardized columns, 1/H_jj on others: a diagonal metric, which is FISTA
** on u = D c, D = diag(sc)^(-1/2), where the Hessian D^-1 H D^-1 has a unit
** diagonal). L comes from a distributed power iteration on that matrix in
** create() (one fused sweep and one allreduce per step), times a safety
** factor, and it is made safe by backtracking on the descent condition
** (Beck and Teboulle 2009, section 4, FISTA with backtracking): since the loss
** is quadratic, f(x) - f(y) - <grad f(y), x - y> = ||r(y) - r(x)||_W^2 / (2W)
** exactly, and that sum is the q packed into the same allreduce. Momentum is
** restarted by the gradient scheme of O'Donoghue and Candes (2015, Found.
** Comput. Math. 15(3), section 3.2), which restores linear convergence on
** strongly convex problems.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The power iteration stops when its estimate moves less than this
** relative amount, or after POWER_MAX_STEPS steps. */
#define POWER_RTOL 1e-4
#define POWER_MAX_STEPS 50
/* L starts at this multiple of the power estimate, which is a lower bound on
** the largest eigenvalue of H; a failed descent check multiplies L by
** BACKTRACK_GROWTH. */
#define LIPSCHITZ_SAFETY 1.05
#define BACKTRACK_GROWTH 1.5
/* Relative round-off allowance of the descent check (see fista_solve). */
#define DESCENT_SLACK 1e-12

typedef struct fista_ws {
    const lariat_prep *prep;
    int64_t p, n;     /* features; this rank's rows */
    double tol;
    int max_iter;
    double L;         /* Lipschitz estimate of the loss gradient, kept across lambdas */
    double *x, *xn;   /* p: iterate x_k and candidate x_{k+1} */
    double *y;        /* p: extrapolated point y_k */
    double *vx, *vn;  /* p: v at x_k and at x_{k+1} */
    double *vy;       /* p: v at y_k (by linearity) */
    double *d;        /* p: inv_scale .* c, the coefficients of the raw centered columns */
    double *sc;       /* p: the metric's step scales, lariat_prep_step_scale */
    double *buf;      /* p + 4: the packed reduction */
    double *rx, *rn;  /* n: residuals at x_k and x_{k+1} */
    double *ry;       /* n: residual at y_k (by linearity) */
    lariat_tilesum *ts; /* the pass's sums over tiles of rows (data/tiles.h) */
    /* The pass in progress, for sweep_tile: */
    const double *pass_y, *pass_ref;
    double pass_base;
    double *pass_r;
} fista_ws;

/* Quantities at one point after the reduction (prep.h's notation). */
typedef struct point_stats {
    double rr; /* (1/W) sum w r^2 */
    double ry; /* (1/W) sum w r yc */
    double q;  /* (1/W) sum w (r_ref - r)^2, the descent-check term */
} point_stats;

static void fista_destroy(void *wsv)
{
    fista_ws *ws = wsv;
    if (ws == NULL) return;
    free(ws->x);
    free(ws->xn);
    free(ws->y);
    free(ws->vx);
    free(ws->vn);
    free(ws->vy);
    free(ws->d);
    free(ws->sc);
    free(ws->buf);
    free(ws->rx);
    free(ws->rn);
    free(ws->ry);
    lariat_tilesum_destroy(ws->ts);
    free(ws);
}

/* One tile of the pass: the fused sweep on its rows (g, then the three sums)
** and, when pass_ref is set, q = sum w (r_ref - r)^2: part = [g | sums | q]. */
static void sweep_tile(void *arg, int64_t i0, int64_t m, double *part)
{
    fista_ws *ws = arg;
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p;
    const lariat_matrix tile = lariat_matrix_row_view(prep->data->X, i0, m);
    double *r = ws->pass_r + i0;
    const double *w = prep->w + i0;
    lariat_matrix_resid_grad(&tile, prep->mean, ws->d, ws->pass_base, ws->pass_y + i0, w, r, part, part + p);
    double q = 0.0;
    if (ws->pass_ref != NULL) {
        const double *r_ref = ws->pass_ref + i0;
        for (int64_t i = 0; i < m; i++) {
            double e = r_ref[i] - r[i];
            q += w[i] * e * e;
        }
    }
    part[p + 3] = q;
}

/* Collective. The pass at c: residuals r = yc - Xs c into r, then, after the
** one allreduce, v = Xs'Wr/W into v and rr, ry into st. When r_ref is not
** NULL, st->q = (1/W) sum w (r_ref - r)^2 is packed into the same reduction
** (with r_ref = r(y) it is 2 (f(c) - f(y) - <grad f(y), c - y>)). */
static int pass(fista_ws *ws, const double *c, const double *r_ref, double *r, double *v, point_stats *st)
{
    const lariat_prep *prep = ws->prep;
    int64_t p = ws->p;
    double *buf = ws->buf;
    for (int64_t j = 0; j < p; j++) ws->d[j] = prep->inv_scale[j] * c[j];
    /* r_i = y_i - ybar - (x_i - m)'d = yc_i - xs_i'c. */
    ws->pass_y = prep->data->y;
    ws->pass_base = prep->ybar;
    ws->pass_ref = r_ref;
    ws->pass_r = r;
    int rc = lariat_tilesum_run(ws->ts, p + 4, sweep_tile, ws, buf);
    if (rc != LARIAT_OK) return rc;
    double invW = 1.0 / prep->W;
    for (int64_t j = 0; j < p; j++) v[j] = buf[j] * prep->inv_scale[j] * invW;
    st->rr = buf[p] * invW;
    /* sum w r yc = sum w r y - ybar sum w r. */
    st->ry = (buf[p + 2] - prep->ybar * buf[p + 1]) * invW;
    st->q = buf[p + 3] * invW;
    return LARIAT_OK;
}

/* Collective. The largest eigenvalue of D^-1 H D^-1, H = Xs'WXs/W and
** D^-1 = diag(sqrt(sc)), by power iteration. One step is one fused sweep
** with y = 0 and no offset, whose residual is r = -Xs D^-1 u and whose
** gradient part is -W H D^-1 u, and one allreduce. ||Hu|| for
** a unit u is a lower bound on the eigenvalue; the start vector has positive
** entries, which overlap the leading eigenvector of correlated data. */
static int power_estimate(fista_ws *ws, double *lmax)
{
    const lariat_prep *prep = ws->prep;
    int64_t p = ws->p;
    double *u = ws->x, *hu = ws->vx, *zero_y = ws->ry, *buf = ws->buf;
    memset(zero_y, 0, (size_t)ws->n * sizeof(double));
    for (int64_t j = 0; j < p; j++) u[j] = 1.0 + 0.5 * sin((double)j);
    double nu = cblas_dnrm2((int)p, u, 1);
    cblas_dscal((int)p, 1.0 / nu, u, 1);
    double est = 0.0;
    for (int step = 0; step < POWER_MAX_STEPS; step++) {
        for (int64_t j = 0; j < p; j++) ws->d[j] = prep->inv_scale[j] * sqrt(ws->sc[j]) * u[j];
        ws->pass_y = zero_y;
        ws->pass_base = 0.0;
        ws->pass_ref = NULL;
        ws->pass_r = ws->rx;
        int rc = lariat_tilesum_run(ws->ts, p + 4, sweep_tile, ws, buf);
        if (rc != LARIAT_OK) return rc;
        for (int64_t j = 0; j < p; j++) hu[j] = -buf[j] * prep->inv_scale[j] * sqrt(ws->sc[j]) / prep->W;
        double norm = cblas_dnrm2((int)p, hu, 1);
        if (!(norm > 0.0)) break; /* H = 0 (every column constant): any step works */
        for (int64_t j = 0; j < p; j++) u[j] = hu[j] / norm;
        double prev = est;
        est = norm;
        if (fabs(est - prev) <= POWER_RTOL * est) break;
    }
    *lmax = est;
    return LARIAT_OK;
}

/* Collective. Allocates every workspace of the iterations and estimates L. */
static int fista_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = prep->ctx;
    int64_t p = prep->p, n = prep->data->n_local;
    int rc = LARIAT_OK;
    *out = NULL;
    fista_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "fista workspace");
    if (ws == NULL) rc = LARIAT_ENOMEM;
    if (rc == LARIAT_OK && prep->w == NULL) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "fista needs the rows: a problem prepared from sufficient statistics "
                                              "serves the gram solver only");
    }
    if (rc == LARIAT_OK && !lariat_blas_fits(p + 4, 1)) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "the fista solver cannot handle %lld features", (long long)p);
    }
    if (rc == LARIAT_OK) {
        ws->prep = prep;
        ws->p = p;
        ws->n = n;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        double **pvecs[] = {&ws->x, &ws->xn, &ws->y, &ws->vx, &ws->vn, &ws->vy, &ws->d, &ws->sc};
        for (size_t k = 0; k < sizeof(pvecs) / sizeof(pvecs[0]); k++) {
            *pvecs[k] = lariat_malloc(ctx, (size_t)p, sizeof(double), "fista vectors");
            if (*pvecs[k] == NULL) rc = LARIAT_ENOMEM;
        }
        ws->buf = lariat_malloc(ctx, (size_t)(p + 4), sizeof(double), "fista reduction buffer");
        double **nvecs[] = {&ws->rx, &ws->rn, &ws->ry};
        for (size_t k = 0; k < sizeof(nvecs) / sizeof(nvecs[0]); k++) {
            *nvecs[k] = lariat_malloc(ctx, (size_t)n, sizeof(double), "fista residuals");
            if (*nvecs[k] == NULL) rc = LARIAT_ENOMEM;
        }
        if (ws->buf == NULL) rc = LARIAT_ENOMEM;
        for (int64_t j = 0; rc == LARIAT_OK && j < p; j++) ws->sc[j] = lariat_prep_step_scale(prep, j);
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_tilesum_create(ctx, prep->data, p + 4, &ws->ts);
    double lmax = 0.0;
    if (rc == LARIAT_OK) rc = power_estimate(ws, &lmax);
    if (rc != LARIAT_OK) {
        fista_destroy(ws);
        return rc;
    }
    ws->L = lmax > 0.0 ? LIPSCHITZ_SAFETY * lmax : 1.0;
    *out = ws;
    return LARIAT_OK;
}

/* Not collective. Swaps two vectors (the iterate rotation). */
static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

/* Collective: one pass and one allreduce per iteration, and every decision
** (acceptance, restart, convergence) is taken on reduced values that every
** rank holds alike, so all ranks iterate in step. */
static int fista_solve(void *wsv, double lambda, double *c, lariat_solve_info *info)
{
    fista_ws *ws = wsv;
    const lariat_prep *prep = ws->prep;
    int64_t p = ws->p, n = ws->n;
    int iter = 0, still = 0;
    point_stats st;
    double primal = 0.0, gap = 0.0;

    /* The warm start, projected on the bounds so that it is feasible. */
    for (int64_t j = 0; j < p; j++) ws->x[j] = fmin(fmax(c[j], prep->lo[j]), prep->hi[j]);
    int rc = pass(ws, ws->x, NULL, ws->rx, ws->vx, &st);
    if (rc != LARIAT_OK) return rc;
    lariat_prep_gap(prep, lambda, ws->x, ws->vx, st.rr, st.ry, &primal, &gap);
    int converged = lariat_prep_converged(prep, gap, ws->tol);
    memcpy(ws->y, ws->x, (size_t)p * sizeof(double));
    memcpy(ws->vy, ws->vx, (size_t)p * sizeof(double));
    memcpy(ws->ry, ws->rx, (size_t)n * sizeof(double));
    double t = 1.0;

    while (!converged && iter < ws->max_iter) {
        iter++;
        /* x_{k+1} = prox_{1/L}(y_k - grad f(y_k) / L), grad f = -v, in the
        ** metric: coordinate j's step is sc_j / L. */
        double step = 1.0 / ws->L;
        for (int64_t j = 0; j < p; j++) {
            const double t_j = step * ws->sc[j];
            ws->xn[j] = lariat_prep_prox(prep, j, ws->y[j] + t_j * ws->vy[j], t_j, lambda);
        }
        rc = pass(ws, ws->xn, ws->ry, ws->rn, ws->vn, &st);
        if (rc != LARIAT_OK) return rc;

        /* Descent condition f(x) <= f(y) + <grad f(y), x - y> + L/2 ||x - y||_M^2
        ** (M = diag(1/sc), the metric), i.e. q <= L ||x - y||_M^2 for the
        ** quadratic loss, checked on the
        ** square roots: sqrt(q) is a W-norm of r(y) - r(x), whose round-off is
        ** a tiny multiple of the residuals' norm, which the slack absorbs (a
        ** step that small changes the objective by far less than any
        ** tolerance). On failure the step is retried from the same y with a
        ** larger L. */
        double dist2 = 0.0, restart_dot = 0.0;
        for (int64_t j = 0; j < p; j++) {
            double e = ws->xn[j] - ws->y[j];
            dist2 += e * e / ws->sc[j];
            restart_dot -= e * (ws->xn[j] - ws->x[j]) / ws->sc[j];
        }
        if (sqrt(st.q) > sqrt(ws->L * dist2) + DESCENT_SLACK * sqrt(prep->yy + st.rr)) {
            ws->L *= BACKTRACK_GROWTH;
            continue;
        }
        lariat_prep_gap(prep, lambda, ws->xn, ws->vn, st.rr, st.ry, &primal, &gap);
        converged = lariat_prep_converged(prep, gap, ws->tol);
        /* Below the gap's round-off (a --tol of 1e-14) the accepted step can
        ** return x_k bit for bit. After one such step y = x_k, and a second
        ** from there repeats for good (the momentum multiplies a zero
        ** difference): the solve ends, its gap judged by the path. Before,
        ** such solves ran to max_iter: glmnet_wide's lasso path at tol 1e-14
        ** took 781,787 steps, now 307,158 (iterates that cycle by ulps
        ** among several points still run to max_iter). */
        still = memcmp(ws->xn, ws->x, (size_t)p * sizeof(double)) == 0 ? still + 1 : 0;
        if (!converged && still == 2) break;

        /* Momentum t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2 and
        ** beta = (t_k - 1) / t_{k+1} (Beck and Teboulle 2009, eq. 4.2-4.3),
        ** reset when (y_k - x_{k+1})'M(x_{k+1} - x_k) > 0: the step opposes the
        ** momentum (O'Donoghue and Candes 2015, section 3.2, gradient scheme). */
        double beta = 0.0;
        if (restart_dot > 0.0) {
            t = 1.0;
        } else {
            double tn = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t * t));
            beta = (t - 1.0) / tn;
            t = tn;
        }
        /* y_{k+1} = x_{k+1} + beta (x_{k+1} - x_k), and r, v at y_{k+1} by linearity. */
        for (int64_t j = 0; j < p; j++) {
            ws->y[j] = ws->xn[j] + beta * (ws->xn[j] - ws->x[j]);
            ws->vy[j] = ws->vn[j] + beta * (ws->vn[j] - ws->vx[j]);
        }
        for (int64_t i = 0; i < n; i++) ws->ry[i] = ws->rn[i] + beta * (ws->rn[i] - ws->rx[i]);
        swap(&ws->x, &ws->xn);
        swap(&ws->vx, &ws->vn);
        swap(&ws->rx, &ws->rn);
    }
    memcpy(c, ws->x, (size_t)p * sizeof(double));
    info->iterations = iter;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
    return LARIAT_OK;
}

/* Not collective. The Lipschitz estimate L, grown by backtracking, is all
** that one solve() leaves to the next besides c (the iterates, residuals and
** momentum restart from c). */
static int fista_get_state(const void *wsv, double *state)
{
    state[0] = ((const fista_ws *)wsv)->L;
    return 1;
}

static void fista_set_state(void *wsv, const double *state, int n)
{
    if (n >= 1) ((fista_ws *)wsv)->L = state[0];
}

const lariat_solver_ops lariat_solver_fista = {"fista", fista_create, fista_solve, fista_destroy, fista_get_state,
                                               fista_set_state};
