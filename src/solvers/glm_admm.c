/*
** The `admm` solver of the binomial family: consensus ADMM over the row
** blocks with the regularizer on the consensus variable (Boyd, Parikh, Chu,
** Peleato and Eckstein 2011, "Distributed Optimization and Statistical
** Learning via the Alternating Direction Method of Multipliers", sections
** 7.1.1 and 8.2), whose x-update is each rank's own L2-regularized logistic
** fit (SPEC.md section 9).
**
** In the coordinates of glm.h, with xi = (a, c) (the intercept and the p
** standardized coefficients), the objective splits over the ranks that hold
** rows of positive weight (the "active" ranks, N of them):
**
**   P(xi) = sum_i f_i(xi) + g(c),
**   f_i(xi) = (1/W) sum_{rows r of rank i} w_r l_r(a + xs_r'c),
**   g(c)    = lambda sum_j f_j ((1-alpha)/2 c_j^2 + alpha |c_j|) + bounds,
**
** exactly the SPEC objective (W and the standardization are global, so the
** local losses sum to the loss). Each active rank keeps its copy x_i and its
** scaled dual u_i (p + 1 values each); z = (a_z, c_z) is replicated. A rank
** with no rows of positive weight has f_i = 0: as in admm.c it is left out
** of the consensus (its x_i would be z - u_i, a copy that only slows the
** averaging) and takes part in the reductions with zeros, so N counts active
** ranks only.
**
** The penalty term is (rho/2) ||.||_D^2 in a diagonal metric D (Boyd section
** 3.4.2, "more general augmenting terms": ADMM on the coordinates scaled by
** D^1/2): D_j is the j-th diagonal entry of the loss Hessian
** (1/W) [1 Xs]'V[1 Xs] at the warm start (V the IRLS weights of family.h;
** 1 for a coordinate without curvature, a constant column's or a missing
** intercept's). Without it a single rho must serve coordinates whose
** curvatures differ by orders of magnitude (unstandardized columns, or
** standardized ones on nearly separated rows): measured on the unstandardized
** breast-cancer fixture's path (1 rank), 575650 iterations with rho I, 750
** with rho D (both over-relaxed, without the momentum below). One iteration (scaled form, Boyd section 7.1.1):
**
**   x_i = argmin f_i(x) + (rho/2) ||x - zh + uh_i||_D^2          (local)
**   z   = argmin g(c_z) + (N rho/2) ||z - mean_i(x_i + uh_i)||_D^2 (one allreduce)
**   u_i = uh_i + x_i - z                                          (local)
**
** The z-update is separable: the intercept is unpenalized, a_z =
** mean_i(x_i + uh_i)_a (0 without an intercept), and c_j is the proximal
** map of the elastic net with bounds at step 1/(N rho D_j)
** (lariat_prep_prox), since sum_i (rho/2) ||x_i + uh_i - z||_D^2 equals
** (N rho/2) ||z - mean_i(x_i + uh_i)||_D^2 plus a constant in z.
**
** (zh, uh) is the Nesterov extrapolation of (z, u) of fast ADMM with restart
** (Goldstein, O'Donoghue, Setzer and Baraniuk 2014, "Fast Alternating
** Direction Optimization Methods", SIAM J. Imaging Sci. 7(3), algorithm 8):
**   zh = z + beta (z - z_prev),  uh_i = u_i + beta (u_i - u_prev_i),
** beta = (t_k - 1) / t_{k+1}, t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2, as long
** as the combined residual
**   C_k = sum_i ||u_i - uh_i||_D^2 + N ||z - zh||_D^2
** falls (C_k < RESTART_ETA C_{k-1}); otherwise the momentum restarts (t = 1,
** zh = z, uh = u) and C_k is taken as C_{k-1} / RESTART_ETA. The rank sum in
** C_k travels in the next iteration's reduction, so the test acts one
** iteration late. It replaces admm.c's over-relaxation, which the
** algorithm does not combine with: on the breast-cancer fixture's path
** (alpha = 1, 1 rank) over-relaxation (1.6) took 43000 iterations, 19375
** at the worst lambda, where three nearly collinear columns are active and
** ADMM's linear rate is slow; fast ADMM with restart took 3360, 535 at the
** worst, and about as many as over-relaxation elsewhere (binex 1395 against
** 1100 over the path; both with 1.3: 3705 and 1165).
**
** The x-update is a strongly convex (rho D) smooth problem, solved by
** Newton's method with a backtracking line search (Boyd and Vandenberghe
** 2004, algorithm 9.5), warm-started from the previous x_i: the gradient and
** Hessian are
**   grad = (1/W) B'R + rho D (x - zh + uh_i),   H = (1/W) B'VB + rho D,
** B = [1 Xs_i] (this rank's rows; the ones column 0 without an intercept),
** R the family's gradient rows. H is formed from rows copied in blocks of a
** fixed size (lariat_matrix_get_row, so CSR input works), scaled by
** sqrt(V / W), one DSYRK per block, and factored by Cholesky: a (p + 1) x
** (p + 1) system whatever the number of local rows. The inversion lemma of
** admm.c (an n_i x n_i system when n_i < p) is not used: V changes at every
** Newton step, so it would refactor rho V^-1 + B D^-1 B' (n_i^3) each step
** and keep the densified block B (n_i p doubles), while p is modest wherever
** a p x p system is acceptable at all (the gram solver forms one per step).
** Every buffer is allocated in create().
**
** Newton stops when ||grad||_{D^-1} <= INNER_REL rho ||r_i||_D, r_i = x_i -
** z the rank's previous primal residual, or at the gradient's round-off
** (INNER_ABS (||grad f_i||_{D^-1} + rho ||x||_D)): since H >= rho D,
** ||grad||_{D^-1} / rho bounds the distance to the exact x-update in the
** metric, which is so kept a fraction of ADMM's own progress; the errors
** shrink with the residuals, as inexact ADMM needs (Eckstein and Bertsekas
** 1992, Math. Program. 55, theorem 8: summable errors). Warm-started, that
** is about one Newton step per iteration (0.97 measured on the breast path at
** 3 ranks; the same ADMM iterations as solving to 1e-6 of the residual, which
** took 1.5 steps).
**
** rho: st->rho > 0 is used as given (in the metric D); otherwise each solve
** starts from rho0 = RHO_SCALE / N: the loss curvature is 1 per coordinate in
** the metric, and admm.c's twice the curvature shared among the N copies.
** Residual balancing then adapts it as admm.c (same constants, relative
** residuals in the metric, warm-up and cap on changes); a change rescales
** u = y / rho, restarts the momentum, and reaches H at the next Newton step
** (refactored at every step anyway). Measured: RHO_SCALE from 0.5 to 4
** changed the iterations of the breast, binex and unstandardized paths by
** under 10%, but for the unstandardized path at 0.5 (50% more); without
** balancing the breast path took five times as many.
**
** Convergence is judged as for every solver, by the duality gap of the
** consensus point z (lariat_glm_gap): z is within the bounds and carries the
** penalty's sparsity, and a gap at most max(tol N0, LARIAT_GLM_GAP_FLOOR
** |P(z)|) (as glm_newton.c) stops the solve. The certificate costs a pass
** (one product with X for eta at z, one transposed product, the allreduce
** of lariat_glm_pass and the scalar one of lariat_glm_gap) where an
** iteration costs at least two passes and one Gram of the local rows plus
** one allreduce, so it is made every GAP_EVERY iterations (and at iteration
** 0, which certifies the warm start): at most GAP_EVERY - 1 iterations are
** spent past convergence, and the certificate adds 2 / GAP_EVERY allreduces
** per iteration.
**
** A solve() starts from rho0, z = the warm start, no momentum and the u_i
** that make x_i = z solve the first x-update exactly (as admm.c), so it is
** a function of (lambda, a, c) alone, whatever the previous solve left. The
** iterates depend on the row blocks by construction; the certified answer
** does not.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "solvers/glm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The certificate at z every GAP_EVERY iterations (see above). */
enum { GAP_EVERY = 5 };
/* rho0 = RHO_SCALE / N in the metric D (see above). */
#define RHO_SCALE 2.0
/* Goldstein et al.'s restart factor eta (their section 5 uses 0.999). */
#define RESTART_ETA 0.999
/* Residual balancing (Boyd section 3.4.1), admm.c's constants. */
#define BALANCE_MU 10.0
#define BALANCE_TAU 2.0
enum { BALANCE_WARMUP = 10, MAX_RHO_CHANGES = 20 };
/* The x-update's Newton stopping rule (see above), its line search
** (Armijo's fraction, halvings) and its step cap. */
#define INNER_REL 1e-2
#define INNER_ABS 1e-13
#define ARMIJO 1e-4
enum { MAX_HALVINGS = 40, MAX_NEWTON = 50 };
/* Rows per block of the local Hessian's DSYRK: about 256 KB of rows. */
#define BLOCK_DOUBLES 32768

typedef struct gadmm_ws {
    const lariat_glm *g;
    int64_t p, n, m1;  /* features; local rows; p + 1 */
    int64_t nb;        /* rows per Hessian block */
    double tol;
    int max_iter;
    int adapt_rho;
    double rho_fixed;  /* st->rho when > 0, else 0 (automatic) */
    int active;        /* this rank holds rows of positive weight */
    int n_active;      /* N */
    double rho;
    lariat_glm_work wk; /* eta at z for the certificate; mu, R, V for both */
    double *eta_x;     /* n: eta at x_i */
    double *deta;      /* n: the Newton step's eta */
    double *etat;      /* n: the trial eta */
    double *H;         /* m1 x m1: the x-update's Hessian, then its factor */
    double *blk;       /* nb x m1: scaled rows [1 xs] */
    double *grad, *dx; /* m1: the x-update's gradient and Newton step */
    double *dm;        /* m1: the metric D */
    double *x;         /* m1: x_i */
    double *z, *zh, *zp; /* m1: z, its extrapolation, the previous z */
    double *u, *uh, *up; /* m1: u_i, its extrapolation, the previous u_i */
    double *zu;        /* m1: zh - uh_i, the x-update's centre */
    double *g0, *gv;   /* the certificate's point: 1 and p */
    double *buf;       /* the reduction: m1 + SLOT_COUNT */
    long newton_steps; /* this solve's, on this rank */
} gadmm_ws;

/* The scalars packed after the m1 values of the one reduction per
** iteration: the previous iteration's ||r_i||^2, ||x_i||^2, ||u_i||^2 (in
** the metric), the flag of a failed x-update, the Newton steps so far. */
enum { SLOT_R2 = 0, SLOT_FAIL, SLOT_X2, SLOT_U2, SLOT_NEWTON, SLOT_COUNT };

static void gadmm_destroy(void *wsv)
{
    gadmm_ws *ws = wsv;
    if (ws == NULL) return;
    lariat_glm_work_free(&ws->wk);
    free(ws->eta_x);
    free(ws->deta);
    free(ws->etat);
    free(ws->H);
    free(ws->blk);
    free(ws->grad);
    free(ws->dx);
    free(ws->dm);
    free(ws->x);
    free(ws->z);
    free(ws->zh);
    free(ws->zp);
    free(ws->u);
    free(ws->uh);
    free(ws->up);
    free(ws->zu);
    free(ws->g0);
    free(ws->gv);
    free(ws->buf);
    free(ws);
}

static int gadmm_create(const lariat_glm *g, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = g->ctx;
    const int64_t p = g->p, n = g->n > 0 ? g->n : 1, m1 = g->p + 1;
    *out = NULL;
    gadmm_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "admm workspace");
    int rc = ws ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK && g->K != 1) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "solver admm does not serve the %s family: use gram or fista",
                          g->fam->name);
    }
    if (rc == LARIAT_OK && !lariat_blas_fits(m1, m1)) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "admm cannot handle %lld features (a (p+1) x (p+1) system per rank); "
                          "use --solver fista", (long long)p);
    }
    if (rc == LARIAT_OK) {
        ws->g = g;
        ws->p = p;
        ws->n = g->n;
        ws->m1 = m1;
        ws->nb = BLOCK_DOUBLES / m1 > 16 ? BLOCK_DOUBLES / m1 : 16;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        ws->adapt_rho = st->adapt_rho;
        ws->rho_fixed = st->rho > 0.0 ? st->rho : 0.0;
        for (int64_t i = 0; i < g->n && !ws->active; i++) ws->active = g->w[i] > 0.0;
        rc = lariat_glm_work_alloc(g, 1, &ws->wk);
        ws->eta_x = lariat_malloc(ctx, (size_t)n, sizeof(double), "admm linear predictors");
        ws->deta = lariat_malloc(ctx, (size_t)n, sizeof(double), "admm step");
        ws->etat = lariat_malloc(ctx, (size_t)n, sizeof(double), "admm trial step");
        ws->H = lariat_malloc(ctx, (size_t)(m1 * m1), sizeof(double), "admm Hessian");
        ws->blk = lariat_malloc(ctx, (size_t)(ws->nb * m1), sizeof(double), "admm row block");
        double **vec[] = {&ws->grad, &ws->dx, &ws->dm, &ws->x, &ws->z, &ws->zh, &ws->zp,
                          &ws->u, &ws->uh, &ws->up, &ws->zu};
        int ok = ws->eta_x && ws->deta && ws->etat && ws->H && ws->blk;
        for (size_t t = 0; t < sizeof(vec) / sizeof(vec[0]); t++) {
            *vec[t] = lariat_calloc(ctx, (size_t)m1, sizeof(double), "admm vectors");
            ok = ok && *vec[t] != NULL;
        }
        ws->g0 = lariat_calloc(ctx, 1, sizeof(double), "admm gradient");
        ws->gv = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm gradient");
        ws->buf = lariat_calloc(ctx, (size_t)(m1 + SLOT_COUNT), sizeof(double), "admm reduction buffer");
        if (!ok || !ws->g0 || !ws->gv || !ws->buf) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    /* N: the active ranks. */
    double na = ws != NULL ? (double)ws->active : 0.0;
    if (rc == LARIAT_OK) rc = lariat_allreduce_sum(ctx, &na, 1);
    if (rc != LARIAT_OK) {
        gadmm_destroy(ws);
        return rc;
    }
    ws->n_active = (int)na;
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "admm: %d ranks in the consensus, rho %s, a %lld x %lld Newton system per rank",
               ws->n_active, ws->rho_fixed > 0.0 ? "given" : "automatic", (long long)m1, (long long)m1);
    *out = ws;
    return LARIAT_OK;
}

/* Not collective. Row i of B = [1 Xs_i] scaled by s, into b (m1 values). */
static void scaled_row(const gadmm_ws *ws, int64_t i, double s, double *b)
{
    const lariat_prep *st = ws->g->std;
    lariat_matrix_get_row(ws->g->data->X, i, b + 1);
    b[0] = st->intercept ? s : 0.0;
    /* prep's means are 0 without an intercept: xs = (x - m) / s_j. */
    for (int64_t j = 0; j < ws->p; j++) b[1 + j] = s * (b[1 + j] - st->mean[j]) * st->inv_scale[j];
}

/* Not collective. The diagonal of the local loss Hessian (1/W) B'VB into
** out (m1 values): sum over rows of (V_r / W) b_rj^2. */
static void hessian_diag(const gadmm_ws *ws, const double *V, double *out)
{
    const lariat_glm *g = ws->g;
    memset(out, 0, (size_t)ws->m1 * sizeof(double));
    for (int64_t i = 0; i < ws->n; i++) {
        if (!(g->w[i] > 0.0)) continue;
        scaled_row(ws, i, sqrt(V[i] / g->W), ws->blk);
        for (int64_t j = 0; j < ws->m1; j++) out[j] += ws->blk[j] * ws->blk[j];
    }
}

/* Not collective. H = (1/W) B'VB + rho D (upper triangle, row-major), one
** DSYRK per block of nb rows of sqrt(V / W) B, then its Cholesky factor: the
** row-major upper triangle is LAPACK's column-major lower one, factored in
** place without a copy (LAPACKE's row-major path would allocate). */
static int factor_hessian(gadmm_ws *ws, const double *V)
{
    const lariat_glm *g = ws->g;
    const int m1 = (int)ws->m1;
    memset(ws->H, 0, (size_t)(m1 * m1) * sizeof(double));
    int64_t t = 0;
    for (int64_t i = 0; i < ws->n; i++) {
        if (!(g->w[i] > 0.0)) continue;
        scaled_row(ws, i, sqrt(V[i] / g->W), ws->blk + t * m1);
        if (++t == ws->nb) {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, m1, (int)t, 1.0, ws->blk, m1, 1.0, ws->H, m1);
            t = 0;
        }
    }
    if (t > 0) cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, m1, (int)t, 1.0, ws->blk, m1, 1.0, ws->H, m1);
    for (int j = 0; j < m1; j++) ws->H[j * m1 + j] += ws->rho * ws->dm[j];
    const lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', m1, ws->H, m1);
    if (info != 0) {
        return lariat_error(g->ctx, LARIAT_ENUMERIC,
                            "admm: the x-update's Hessian is not positive definite at rho = %g (rank %d, LAPACK info "
                            "%d)", ws->rho, lariat_ctx_rank(g->ctx), (int)info);
    }
    return LARIAT_OK;
}

/* Not collective. The gradient of f_i at the point whose eta is eta_x,
** (1/W) B'R, into out (m1 values), with mu, R and V of the point left in
** ws->wk; returns the local loss sum_r w_r l_r. */
static double local_gradient(gadmm_ws *ws, double *out)
{
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const double loss = g->fam->eval(ws->n, ws->n, 1, ws->eta_x, g->Y, g->w, ws->wk.mu, ws->wk.R, ws->wk.V);
    double sr = 0.0;
    for (int64_t i = 0; i < ws->n; i++) sr += ws->wk.R[i];
    lariat_matrix_mult_t(g->data->X, s->intercept ? s->mean : NULL, ws->wk.R, out + 1);
    out[0] = s->intercept ? sr / g->W : 0.0;
    for (int64_t j = 0; j < ws->p; j++) out[1 + j] *= s->inv_scale[j] / g->W;
    return loss;
}

/* Not collective. The x-update (file comment): Newton's method on
**   phi(x) = f_i(x) + (rho/2) ||x - zu||_D^2,   zu = zh - uh_i,
** from the current x_i (whose eta is eta_x), to ||grad||_{D^-1} at most
** rel_tol or the round-off floor of the file comment. Each step
** solves H dx = -grad, takes eta's step deta = B dx (one product with X) and
** backtracks on phi (Armijo's rule on the decrement -grad'dx; the loss
** change from family.h's diff, row by row from the etas). A step whose
** decrement is below phi's round-off cannot be judged by a line search and
** is taken whole, once, as glm_newton.c does. */
static int x_update(gadmm_ws *ws, double rel_tol)
{
    const lariat_glm *g = ws->g;
    const int m1 = (int)ws->m1;
    const double rho = ws->rho;
    double *x = ws->x, *dx = ws->dx, *grad = ws->grad;
    int blind = 0;
    for (int j = 0; j < m1; j++) ws->zu[j] = ws->zh[j] - ws->uh[j];
    for (int step = 0;; step++) {
        const double loss = local_gradient(ws, grad);
        double prox2 = 0.0, gn2 = 0.0, gf2 = 0.0, x2 = 0.0;
        for (int j = 0; j < m1; j++) {
            const double e = x[j] - ws->zu[j], dj = ws->dm[j];
            gf2 += grad[j] * grad[j] / dj;
            x2 += dj * x[j] * x[j];
            grad[j] += rho * dj * e;
            prox2 += dj * e * e;
            gn2 += grad[j] * grad[j] / dj;
        }
        /* The floor: the gradient's own round-off, relative to its two parts. */
        const double gtol = fmax(rel_tol, INNER_ABS * (sqrt(gf2) + rho * sqrt(x2)));
        if (gn2 <= gtol * gtol || step >= MAX_NEWTON || blind > 0) break;
        int rc = factor_hessian(ws, ws->wk.V);
        if (rc != LARIAT_OK) return rc;
        for (int j = 0; j < m1; j++) dx[j] = -grad[j];
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, m1, ws->H, m1, dx, 1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, m1, ws->H, m1, dx, 1);
        ws->newton_steps++;
        /* The Newton decrement squared, -grad'dx = dx'H dx > 0. */
        const double dec = -cblas_ddot(m1, grad, 1, dx, 1);
        double dxe = 0.0, dx2 = 0.0;
        for (int j = 0; j < m1; j++) {
            dxe += ws->dm[j] * dx[j] * (x[j] - ws->zu[j]);
            dx2 += ws->dm[j] * dx[j] * dx[j];
        }
        lariat_glm_eta(g, &dx[0], dx + 1, &ws->wk, ws->deta);
        const double slack = 8.0 * DBL_EPSILON * (fabs(loss) / g->W + 0.5 * rho * prox2);
        double t = 1.0;
        if (dec <= slack) {
            blind = 1;
        } else {
            int accepted = 0;
            for (int h = 0; h < MAX_HALVINGS; h++, t *= 0.5) {
                for (int64_t i = 0; i < ws->n; i++) ws->etat[i] = ws->eta_x[i] + t * ws->deta[i];
                /* phi(x + t dx) - phi(x): the loss change plus
                ** rho (t dx'D(x - zu) + t^2 ||dx||_D^2 / 2). */
                const double change = g->fam->diff(ws->n, ws->n, 1, ws->etat, ws->eta_x, g->Y, g->w) / g->W +
                                      rho * (t * dxe + 0.5 * t * t * dx2);
                if (change <= -ARMIJO * t * dec + slack) {
                    accepted = 1;
                    break;
                }
            }
            /* phi is smooth and strongly convex, so only round-off can
            ** refuse every step: the point is then as good as it gets. */
            if (!accepted) break;
        }
        for (int j = 0; j < m1; j++) x[j] += t * dx[j];
        for (int64_t i = 0; i < ws->n; i++) ws->eta_x[i] += t * ws->deta[i];
    }
    return LARIAT_OK;
}

/* Collective. The certificate at z: eta at z on this rank's rows, the pass
** (one allreduce) and the gap (one scalar allreduce). */
static int certify(gadmm_ws *ws, double lambda, double *primal, double *gap)
{
    const lariat_glm *g = ws->g;
    lariat_glm_point pt = {0.0, ws->g0, ws->gv};
    lariat_glm_eta(g, ws->z, ws->z + 1, &ws->wk, ws->wk.eta);
    int rc = lariat_glm_pass(g, &ws->wk, &pt);
    if (rc == LARIAT_OK) rc = lariat_glm_gap(g, lambda, ws->z + 1, &pt, &ws->wk, primal, gap);
    return rc;
}

/* Collective. The metric D and rho0 of the file comment (one allreduce of
** the m1 diagonal entries), and u_i = -D^-1 grad f_i(z) / rho0, which makes
** x_i = z the exact first x-update (its optimality condition
** grad f_i(x) + rho D (x - z + u_i) = 0 holds at x = z): the first z-update
** is then a proximal gradient step from the warm start, and no dual is
** carried from the previous lambda. */
static int start(gadmm_ws *ws)
{
    const lariat_glm *g = ws->g;
    const int m1 = (int)ws->m1;
    memcpy(ws->x, ws->z, (size_t)m1 * sizeof(double));
    memset(ws->u, 0, (size_t)m1 * sizeof(double));
    memset(ws->dm, 0, (size_t)m1 * sizeof(double));
    if (ws->active) {
        lariat_glm_eta(g, &ws->x[0], ws->x + 1, &ws->wk, ws->eta_x);
        local_gradient(ws, ws->u);
        hessian_diag(ws, ws->wk.V, ws->dm);
    }
    int rc = lariat_allreduce_sum(g->ctx, ws->dm, m1);
    if (rc != LARIAT_OK) return rc;
    /* A constant column (or the intercept without one) has no curvature;
    ** its coordinate is fixed, and any positive metric serves. Every other
    ** entry is positive: the IRLS weights are floored above 0 (family.h). */
    for (int j = 0; j < m1; j++) {
        if (!(ws->dm[j] > 0.0)) ws->dm[j] = 1.0;
    }
    ws->rho = ws->rho_fixed > 0.0 ? ws->rho_fixed : RHO_SCALE / (double)ws->n_active;
    for (int j = 0; j < m1; j++) ws->u[j] *= -1.0 / (ws->rho * ws->dm[j]);
    return LARIAT_OK;
}

static int gadmm_solve(void *wsv, double lambda, double *a, double *c, lariat_solve_info *info)
{
    gadmm_ws *ws = wsv;
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int64_t p = ws->p, m1 = ws->m1;
    const size_t vec_bytes = (size_t)m1 * sizeof(double);
    const double N = (double)ws->n_active, *D = ws->dm;
    double *x = ws->x, *z = ws->z, *zh = ws->zh, *zp = ws->zp, *u = ws->u, *uh = ws->uh, *up = ws->up;
    double *buf = ws->buf, *scal = ws->buf + m1;
    const double target = ws->tol * fmax(g->N0, DBL_MIN);
    double primal = INFINITY, gap = INFINITY;
    int converged = 0, changes = 0, last_change = -1, restarts = 0, k;
    long newton_total = 0;
    /* This rank's ||r_i||^2, ||x_i||^2, ||u_i||^2 (metric D) of the previous
    ** iteration, sent in this one's reduction; the replicated ||z||^2,
    ** ||z - zh||^2 and ||z - z_prev||^2 of the previous iteration; the
    ** restart test's C_{k-1} and Nesterov's t_k. */
    double r2_local = 0.0, x2_local = 0.0, u2_local = 0.0, z2_prev = 0.0, dzh2_prev = 0.0, dz2_prev = 0.0;
    double c_prev = INFINITY, t_k = 1.0;

    z[0] = s->intercept ? a[0] : 0.0;
    for (int64_t j = 0; j < p; j++) z[1 + j] = fmin(fmax(c[j], s->lo[j]), s->hi[j]);
    ws->newton_steps = 0;
    int rc = start(ws);
    const double rho0 = ws->rho;
    memcpy(zh, z, vec_bytes);
    memcpy(uh, u, vec_bytes);

    for (k = 0; rc == LARIAT_OK; k++) {
        if (k % GAP_EVERY == 0 || k >= ws->max_iter) {
            rc = certify(ws, lambda, &primal, &gap);
            if (rc != LARIAT_OK) break;
            converged = gap <= fmax(target, LARIAT_GLM_GAP_FLOOR * fabs(primal));
            if (converged || k >= ws->max_iter) break;
        }
        /* The x-update at (zh, uh_i); the reduction carries x_i + uh_i. */
        int local_rc = LARIAT_OK;
        if (ws->active) {
            local_rc = x_update(ws, INNER_REL * ws->rho * sqrt(r2_local));
            for (int64_t j = 0; j < m1; j++) buf[j] = x[j] + uh[j];
        } else {
            memset(buf, 0, vec_bytes);
        }
        /* The previous iteration's norms travel one iteration late
        ** (||x_i - z||^2 needs that iteration's z, known only after its
        ** reduction); with them the flag of a failed x-update. */
        scal[SLOT_R2] = r2_local;
        scal[SLOT_X2] = x2_local;
        scal[SLOT_U2] = u2_local;
        scal[SLOT_FAIL] = local_rc != LARIAT_OK;
        scal[SLOT_NEWTON] = (double)ws->newton_steps;
        rc = lariat_allreduce_sum(g->ctx, buf, m1 + SLOT_COUNT);
        if (rc != LARIAT_OK) break;
        newton_total = (long)scal[SLOT_NEWTON];
        if (scal[SLOT_FAIL] > 0.0) {
            rc = lariat_agree(g->ctx, local_rc);
            break;
        }

        /* The z-update (Boyd section 7.1.1, consensus with a regularizer g):
        **   z = argmin g(c_z) + (N rho / 2) ||z - mean_i(x_i + uh_i)||_D^2,
        ** the intercept the plain mean, each c_j the proximal map of the
        ** elastic net with bounds at step 1 / (N rho D_j). */
        memcpy(zp, z, vec_bytes);
        memcpy(up, u, vec_bytes);
        const double step = 1.0 / (N * ws->rho);
        z[0] = s->intercept ? buf[0] / N : 0.0;
        for (int64_t j = 0; j < p; j++) z[1 + j] = lariat_prep_prox(s, j, buf[1 + j] / N, step / D[1 + j], lambda);

        /* The u-update (Boyd section 7.1.1): u_i = uh_i + x_i - z, and this
        ** iteration's primal residual r_i = x_i - z = u_i - uh_i. */
        r2_local = x2_local = u2_local = 0.0;
        if (ws->active) {
            for (int64_t j = 0; j < m1; j++) {
                const double r = x[j] - z[j];
                u[j] = uh[j] + r;
                r2_local += D[j] * r * r;
                x2_local += D[j] * x[j] * x[j];
                u2_local += D[j] * u[j] * u[j];
            }
        }
        double dzh2 = 0.0, z2 = 0.0, dz2 = 0.0;
        for (int64_t j = 0; j < m1; j++) {
            dzh2 += D[j] * (z[j] - zh[j]) * (z[j] - zh[j]);
            dz2 += D[j] * (z[j] - zp[j]) * (z[j] - zp[j]);
            z2 += D[j] * z[j] * z[j];
        }

        /* Residual balancing (Boyd section 3.4.1) on the previous
        ** iteration's relative residuals, as admm.c:
        **   r_rel = ||r|| / max(||x||, sqrt(N) ||z||),  s_rel = ||s|| / (rho ||u||),
        ** with the dual residual of the N copies s = rho (z - z_prev) (Boyd
        ** section 7.1): ||s|| = rho sqrt(N) ||z - z_prev|| (measured against
        ** z - zh, the residual of the restart test: 25% fewer iterations on
        ** the breast path at 1 to 3 ranks, the other fixtures within 10%).
        ** rho times tau when r_rel > mu s_rel, over tau
        ** when s_rel > mu r_rel, not while the previous residuals still come
        ** from an older rho. A new rho rescales u = y / rho and restarts
        ** the momentum; the next Newton step's Hessian carries it. */
        double factor = 1.0;
        if (ws->adapt_rho && k >= BALANCE_WARMUP && last_change < k - 1 && changes < MAX_RHO_CHANGES) {
            const double xs = fmax(sqrt(scal[SLOT_X2]), sqrt(N * z2_prev)), ys = ws->rho * sqrt(scal[SLOT_U2]);
            if (xs > 0.0 && ys > 0.0) {
                const double r_rel = sqrt(scal[SLOT_R2]) / xs, s_rel = ws->rho * sqrt(N * dz2_prev) / ys;
                if (r_rel > BALANCE_MU * s_rel) factor = BALANCE_TAU;
                else if (s_rel > BALANCE_MU * r_rel) factor = 1.0 / BALANCE_TAU;
            }
        }
        /* Fast ADMM's restart test (Goldstein et al. algorithm 8) on the
        ** previous iteration's C = sum_i ||r_i||^2 + N ||z - zh||^2. */
        const double c_now = scal[SLOT_R2] + N * dzh2_prev;
        int momentum = 0;
        if (factor != 1.0) {
            ws->rho *= factor;
            cblas_dscal((int)m1, 1.0 / factor, u, 1);
            u2_local /= factor * factor;
            last_change = k;
            changes++;
            c_prev = INFINITY;
        } else if (k > 0 && c_now < RESTART_ETA * c_prev) {
            momentum = 1;
            c_prev = c_now;
        } else if (k > 0) {
            restarts++;
            c_prev /= RESTART_ETA;
        }
        if (momentum) {
            const double t_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t_k * t_k)), beta = (t_k - 1.0) / t_next;
            for (int64_t j = 0; j < m1; j++) {
                zh[j] = z[j] + beta * (z[j] - zp[j]);
                uh[j] = u[j] + beta * (u[j] - up[j]);
            }
            t_k = t_next;
        } else {
            t_k = 1.0;
            memcpy(zh, z, vec_bytes);
            memcpy(uh, u, vec_bytes);
        }
        z2_prev = z2;
        dzh2_prev = dzh2;
        dz2_prev = dz2;
    }
    if (rc != LARIAT_OK) return rc;
    a[0] = z[0];
    memcpy(c, z + 1, (size_t)p * sizeof(double));
    info->iterations = k;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
    lariat_log(g->ctx, LARIAT_LOG_VERBOSE,
               "admm: lambda %.6g: %d iterations, %.2f Newton steps per x-update, rho %.4g -> %.4g (%d changes), "
               "%d momentum restarts, gap %.3g",
               lambda, k, k > 0 ? (double)newton_total / (k * N) : 0.0, rho0, ws->rho, changes, restarts, gap);
    return LARIAT_OK;
}

/* No checkpoint state: admm's iterates (each rank's x_i and u_i) and rho are
** per rank, not the global values a checkpoint holds, so a resumed admm
** path agrees with an uninterrupted one to the tolerance, not bit for bit. */
const lariat_glm_solver_ops lariat_glm_solver_admm = {"admm", gadmm_create, gadmm_solve, gadmm_destroy, NULL, NULL};
