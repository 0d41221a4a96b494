/*
** Consensus ADMM across the row blocks (Boyd, Parikh, Chu, Peleato and
** Eckstein 2011, "Distributed Optimization and Statistical Learning via the
** Alternating Direction Method of Multipliers", sections 7.1 and 8.2).
**
** In the standardized coordinates of prep.h the objective splits over the
** ranks that hold rows of positive weight (the "active" ranks, N of them):
**
**   P(c) = sum_i f_i(c) + g(c),
**   f_i(c) = 1/(2W) sum_{rows of rank i} w (yc - xs'c)^2,
**   g(c)   = lambda sum_j f_j ((1-alpha)/2 c_j^2 + alpha |c_j|) + bounds,
**
** which is exactly the SPEC objective (W and the standardization are global,
** so the local losses sum to the loss; the intercept is profiled out). Each
** active rank keeps its own copy x_i, the consensus variable z is replicated,
** and u_i is rank i's scaled dual variable. A rank with no rows of positive
** weight has f_i = 0 and is left out of the consensus (it takes part in the
** reductions with zeros), so N counts active ranks only.
**
** The x-update solves (G_i + rho I) x = q_i + rho (z - u_i) with
** G_i = Xs_i' W_i Xs_i / W and q_i = Xs_i' W_i yc_i / W. A rank with at
** least p rows of positive weight keeps G_i and the Cholesky factor of
** G_i + rho I (p x p); a rank with fewer rows densifies its block
** B_i = diag(sqrt(w / W)) Xs_i (m_i x p, through lariat_matrix_get_row, so
** CSR input works too) and factors rho I + B_i B_i' (m_i x m_i) instead,
** through the matrix inversion lemma (Boyd section 4.2). Either factor depends on
** rho only: it is computed once per value of rho.
**
** The penalty rho: st->rho > 0 is used as given; rho <= 0 asks for the
** automatic value, at each lambda,
**
**   rho0 = (2 d + lambda (1 - alpha)) / N,
**
** where d is the mean diagonal of G = sum_i G_i (1 with standardized
** columns, the mean column variance without): twice the scale of the loss
** curvature plus the ridge curvature, shared among the N copies. On
** synthetic lasso, elastic-net and ridge paths (n 120 to 3000, p 30 to 300,
** 1 to 4 ranks) it needed 12% fewer iterations than d / N, and 2 d / N was
** the best fixed multiple of d / N tried (0.125 to 8). Every solve() starts from
** rho0, refactorizing if the previous solve left another rho: carrying the
** adapted rho along the path took 17% more iterations on the same paths,
** and starting afresh makes a solve a function of (lambda, c) alone, so that
** a path resumed from a checkpoint repeats an uninterrupted one exactly.
** Within a solve rho follows residual balancing unless adapt_rho is 0 (see
** admm_solve).
**
** Convergence is not judged by ADMM's own residuals (they only drive rho):
** the iterate returned is always the consensus point z, and it has
** converged when its duality gap is at most tol * N0 (lariat_prep_converged),
** as for every solver.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The gap at z costs about as much as an x-update (a product with G_i, or
** two with B_i) and p more doubles in the reduction, so it is evaluated every
** ADMM_GAP_EVERY iterations, folded into that iteration's one allreduce. */
enum { ADMM_GAP_EVERY = 5 };

/* Over-relaxation parameter (Boyd section 3.4.3 reports 1.5 to 1.8 as good). */
#define ADMM_RELAX 1.6
/* Residual balancing (Boyd section 3.4.1): mu = 10, tau = 2; not
** before ADMM_BALANCE_WARMUP iterations, since the first iterations after a
** change of lambda are a transient whose residuals mislead (measured: 8%
** fewer iterations than balancing from the first iteration). */
#define ADMM_BALANCE_MU 10.0
#define ADMM_BALANCE_TAU 2.0
enum { ADMM_BALANCE_WARMUP = 10 };
/* Changes of rho allowed per solve: the convergence proof of varying
** penalties needs rho to settle (He, Yang and Wang 2000, cited in Boyd
** section 3.4.1), and each change costs a refactorization. */
enum { ADMM_MAX_RHO_CHANGES = 20 };
/* The share of the memory a rank can use (lariat_solver_memory) that admm's
** matrices may take. */
#define ADMM_MEMORY_FRACTION 0.75

typedef struct admm_ws {
    const lariat_prep *prep;
    lariat_ctx *ctx;
    int64_t p;
    double tol;
    int max_iter;
    int adapt_rho;
    int active;      /* this rank holds rows of positive weight */
    int wide;        /* 1: factor rho I + B B' (m < p); 0: factor G + rho I */
    int n_active;    /* N: active ranks in the consensus */
    int64_t m;       /* wide: rows of B (the rows of positive weight) */
    int64_t nfac;    /* order of the factored matrix: p or m */
    double rho;      /* the current rho */
    double rho_fixed; /* st->rho when > 0, else 0 (automatic) */
    double d_mean;   /* d: mean diagonal of sum_i G_i */
    double *G;       /* tall: p x p, G_i (row-major, both triangles) */
    double *B;       /* wide: m x p, sqrt(w/W) xs (row-major) */
    double *yt;      /* wide: m, sqrt(w/W) yc */
    double *K;       /* wide: m x m, B B' (upper triangle, row-major) */
    double *L;       /* nfac x nfac: Cholesky factor, column-major lower */
    double *t;       /* wide: m scratch */
    double *q;       /* p: q_i */
    double yy;       /* (1/W) sum_{rows of i} w yc^2 */
    double *x, *u, *z, *zold; /* p each */
    double *buf;     /* the reduction buffer: 2p + 6 (see admm_solve) */
} admm_ws;

static void admm_destroy(void *vws)
{
    admm_ws *ws = vws;
    if (ws == NULL) return;
    free(ws->G);
    free(ws->B);
    free(ws->yt);
    free(ws->K);
    free(ws->L);
    free(ws->t);
    free(ws->q);
    free(ws->x);
    free(ws->u);
    free(ws->z);
    free(ws->zold);
    free(ws->buf);
    free(ws);
}

/* Not collective. Factors the x-update's matrix for the current rho:
** L L' = G + rho I (tall) or rho I + B B' (wide). The row-major matrix is
** symmetric, so LAPACK reads it as column-major lower without a transpose
** (and LAPACKE's row-major path, which allocates, is avoided). */
static int admm_factor(admm_ws *ws)
{
    const int64_t n = ws->nfac;
    if (!ws->active) return LARIAT_OK;
    memcpy(ws->L, ws->wide ? ws->K : ws->G, (size_t)(n * n) * sizeof(double));
    for (int64_t j = 0; j < n; j++) ws->L[j * n + j] += ws->rho;
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, ws->L, (lapack_int)n);
    if (info != 0) {
        return lariat_error(ws->ctx, LARIAT_ENUMERIC,
                            "admm: the x-update matrix is not positive definite at rho = %g (rank %d, LAPACK info %d)",
                            ws->rho, lariat_ctx_rank(ws->ctx), (int)info);
    }
    return LARIAT_OK;
}

/* Not collective. Solves L L' s = s in place. */
static void admm_chol_solve(const admm_ws *ws, double *s)
{
    const int n = (int)ws->nfac;
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, ws->L, n, s, 1);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, n, ws->L, n, s, 1);
}

/* Not collective. The x-update (Boyd section 7.1, scaled form):
**   x_i = argmin f_i(x) + (rho/2) ||x - z + u_i||^2,
** i.e. (G_i + rho I) x = h with h = q_i + rho (z - u_i). */
static void admm_x_update(admm_ws *ws)
{
    const int64_t p = ws->p;
    const double rho = ws->rho;
    double *x = ws->x;
    for (int64_t j = 0; j < p; j++) x[j] = ws->q[j] + rho * (ws->z[j] - ws->u[j]);
    if (!ws->wide) {
        admm_chol_solve(ws, x);
        return;
    }
    /* The matrix inversion lemma (Boyd section 4.2):
    **   (rho I + B'B)^-1 h = (h - B' (rho I + B B')^-1 B h) / rho. */
    const int m = (int)ws->m, pp = (int)p;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, m, pp, 1.0, ws->B, pp, x, 1, 0.0, ws->t, 1);
    admm_chol_solve(ws, ws->t);
    cblas_dgemv(CblasRowMajor, CblasTrans, m, pp, -1.0, ws->B, pp, ws->t, 1, 1.0, x, 1);
    cblas_dscal(pp, 1.0 / rho, x, 1);
}

/* Not collective. Rank i's share of the gap's inputs at c (prep.h):
** v = -grad f_i(c) = q_i - G_i c, rr = (1/W) sum w r^2 and
** ry = (1/W) sum w r yc with r = yc - Xs_i c. From G_i:
** rr = yy - 2 q'c + c'G c = yy - q'c - c'v and ry = yy - q'c. */
static void admm_local_grad(admm_ws *ws, const double *c, double *v, double *rr, double *ry)
{
    const int pp = (int)ws->p;
    if (!ws->active) {
        memset(v, 0, (size_t)pp * sizeof(double));
        *rr = *ry = 0.0;
        return;
    }
    if (!ws->wide) {
        memcpy(v, ws->q, (size_t)pp * sizeof(double));
        cblas_dsymv(CblasRowMajor, CblasUpper, pp, -1.0, ws->G, pp, c, 1, 1.0, v, 1);
        const double qc = cblas_ddot(pp, ws->q, 1, c, 1);
        *ry = ws->yy - qc;
        *rr = ws->yy - qc - cblas_ddot(pp, c, 1, v, 1);
        return;
    }
    /* From B directly: r~ = yt - B c, v = B' r~, rr = r~'r~, ry = r~'yt. */
    const int m = (int)ws->m;
    memcpy(ws->t, ws->yt, (size_t)m * sizeof(double));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, m, pp, -1.0, ws->B, pp, c, 1, 1.0, ws->t, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, m, pp, 1.0, ws->B, pp, ws->t, 1, 0.0, v, 1);
    *rr = cblas_ddot(m, ws->t, 1, ws->t, 1);
    *ry = cblas_ddot(m, ws->t, 1, ws->yt, 1);
}

/* Not collective. Builds G_i, q_i and yy (tall) or B_i, yt, K = B B', q_i
** and yy (wide) from this rank's rows of positive weight. */
static int admm_build_local(admm_ws *ws)
{
    const lariat_prep *prep = ws->prep;
    const lariat_data *data = prep->data;
    const int64_t p = ws->p, nl = data->n_local;
    const double *w = prep->w, W = prep->W;
    int rc = LARIAT_OK;
    double *wyc = NULL;
    ws->yy = 0.0;
    if (!ws->active) return LARIAT_OK;
    if (ws->wide) {
        int64_t k = 0;
        for (int64_t i = 0; i < nl; i++) {
            if (!(w[i] > 0.0)) continue;
            const double sw = sqrt(w[i] / W);
            double *b = ws->B + k * p;
            lariat_matrix_get_row(data->X, i, b);
            for (int64_t j = 0; j < p; j++) b[j] = sw * (b[j] - prep->mean[j]) * prep->inv_scale[j];
            ws->yt[k] = sw * (data->y[i] - prep->ybar);
            ws->yy += ws->yt[k] * ws->yt[k];
            k++;
        }
        const int m = (int)ws->m, pp = (int)p;
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, pp, 1.0, ws->B, pp, 0.0, ws->K, m);
        cblas_dgemv(CblasRowMajor, CblasTrans, m, pp, 1.0, ws->B, pp, ws->yt, 1, 0.0, ws->q, 1);
        return LARIAT_OK;
    }
    /* G_i = D (X_i - 1 m')' W_i (X_i - 1 m') D / W with D = diag(1/s), and
    ** q_i = D (X_i - 1 m')' W_i yc_i / W. */
    rc = lariat_matrix_gram(ws->ctx, data->X, w, prep->mean, ws->G);
    if (rc != LARIAT_OK) goto done;
    wyc = lariat_malloc(ws->ctx, (size_t)nl, sizeof(double), "admm weighted labels");
    if (wyc == NULL) {
        rc = LARIAT_ENOMEM;
        goto done;
    }
    for (int64_t i = 0; i < nl; i++) {
        const double yc = data->y[i] - prep->ybar;
        wyc[i] = w[i] * yc;
        ws->yy += wyc[i] * yc / W;
    }
    lariat_matrix_mult_t(data->X, prep->mean, wyc, ws->q);
    for (int64_t j = 0; j < p; j++) {
        const double sj = prep->inv_scale[j];
        ws->q[j] *= sj / W;
        for (int64_t l = 0; l < p; l++) ws->G[j * p + l] *= sj * prep->inv_scale[l] / W;
    }
done:
    free(wyc);
    return rc;
}

/* Collective. Refuses (on every rank) when some rank's matrices would take
** more than ADMM_MEMORY_FRACTION of the memory a rank can still use
** (lariat_solver_memory: the node's available memory shared among its
** ranks): densifying a sparse block, or a p x p factor for large p, must
** not push the node into swapping or the OOM killer. */
static int admm_check_memory(lariat_ctx *ctx, double need, const char *what)
{
    double memory = 0.0;
    int rc = lariat_solver_memory(ctx, &memory);
    if (rc != LARIAT_OK) return rc;
    if (need > ADMM_MEMORY_FRACTION * memory) {
        rc = lariat_error(ctx, LARIAT_EUSAGE,
                          "admm needs %.0f MB on rank %d for %s, more than %.0f%% of the %.0f MB a rank can use; "
                          "use --solver fista, which keeps only vectors of length p",
                          need / 1e6, lariat_ctx_rank(ctx), what, 100.0 * ADMM_MEMORY_FRACTION, memory / 1e6);
    }
    return lariat_agree(ctx, rc);
}

static int admm_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = prep->ctx;
    const int64_t p = prep->p, nl = prep->data->n_local;
    *out = NULL;
    admm_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "admm workspace");
    int rc = ws != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    double need = 0.0;
    if (rc == LARIAT_OK) {
        ws->prep = prep;
        ws->ctx = ctx;
        ws->p = p;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        ws->adapt_rho = st->adapt_rho;
        for (int64_t i = 0; prep->w != NULL && i < nl; i++) ws->m += (prep->w[i] > 0.0);
        ws->active = ws->m > 0;
        ws->wide = ws->active && ws->m < p;
        ws->nfac = !ws->active ? 0 : (ws->wide ? ws->m : p);
        if (!ws->active) ws->m = 0;
        if (prep->w == NULL) {
            /* A problem prepared from sufficient statistics has no rows. */
            rc = lariat_error(ctx, LARIAT_EUSAGE, "admm needs the rows of X, not only their Gram matrix");
        } else if (!lariat_blas_fits(p, p) || !lariat_blas_fits(ws->m, p)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "admm: %lld x %lld is too large for BLAS; use --solver fista",
                              (long long)ws->m, (long long)p);
        }
        const double dp = (double)p, dm = (double)ws->m, dn = (double)ws->nfac;
        need = 8.0 * (ws->wide ? dm * dp + 2.0 * dm * dm : 2.0 * dn * dn);
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        rc = admm_check_memory(ctx, need,
                               ws->wide ? "its densified row block and factor" : "its p x p Gram matrix and factor");
    }
    if (rc != LARIAT_OK) goto done;

    const int64_t n2 = ws->nfac * ws->nfac;
    ws->q = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm vectors");
    ws->x = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm vectors");
    ws->u = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm vectors");
    ws->z = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm vectors");
    ws->zold = lariat_calloc(ctx, (size_t)p, sizeof(double), "admm vectors");
    ws->buf = lariat_calloc(ctx, (size_t)(2 * p + 6), sizeof(double), "admm reduction buffer");
    ws->L = lariat_malloc(ctx, (size_t)n2, sizeof(double), "admm factor");
    int ok = ws->q && ws->x && ws->u && ws->z && ws->zold && ws->buf && ws->L;
    if (ws->wide) {
        ws->B = lariat_malloc(ctx, (size_t)(ws->m * p), sizeof(double), "admm densified row block");
        ws->yt = lariat_malloc(ctx, (size_t)ws->m, sizeof(double), "admm labels");
        ws->K = lariat_malloc(ctx, (size_t)n2, sizeof(double), "admm B B'");
        ws->t = lariat_malloc(ctx, (size_t)ws->m, sizeof(double), "admm vectors");
        ok = ok && ws->B && ws->yt && ws->K && ws->t;
    } else if (ws->active) {
        ws->G = lariat_malloc(ctx, (size_t)n2, sizeof(double), "admm Gram matrix");
        ok = ok && ws->G;
    }
    rc = ok ? admm_build_local(ws) : LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;

    /* N and d (the mean diagonal of sum_i G_i), in one reduction of
    ** [trace G_i, active]; trace B'B = trace B B' on the wide path. */
    double tr[2] = {0.0, (double)ws->active};
    for (int64_t j = 0; j < ws->nfac; j++) tr[0] += ws->wide ? ws->K[j * ws->m + j] : ws->G[j * p + j];
    rc = lariat_allreduce_sum(ctx, tr, 2);
    if (rc != LARIAT_OK) goto done;
    ws->n_active = (int)tr[1];
    ws->d_mean = tr[0] / (double)p;
    ws->rho_fixed = st->rho > 0.0 ? st->rho : 0.0;
    ws->rho = 0.0; /* no factor yet: the first solve() makes one */
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "admm: %d ranks in the consensus, rho %s; rank 0 factors %s",
               ws->n_active, st->rho > 0.0 ? "given" : "automatic",
               !ws->active ? "nothing" : (ws->wide ? "rho I + B B' (fewer rows than features)" : "G + rho I"));
done:
    if (rc != LARIAT_OK) {
        admm_destroy(ws);
        return rc;
    }
    *out = ws;
    return LARIAT_OK;
}

/* Collective. The certificate of the returned point: the gap at c from one
** pass over the data as stored (lariat_matrix_resid_grad), not from G_i or
** B_i, so that it vouches for those as well as for the iteration. One pass
** and one reduction per solve. */
static int admm_certify(admm_ws *ws, double lambda, const double *c, lariat_solve_info *info)
{
    const lariat_prep *prep = ws->prep;
    const lariat_data *data = prep->data;
    const int64_t p = ws->p;
    double *g = ws->buf, *sums = ws->buf + p, *d = ws->zold;
    for (int64_t j = 0; j < p; j++) d[j] = c[j] * prep->inv_scale[j];
    if (data->n_local > 0) {
        lariat_matrix_resid_grad(data->X, prep->mean, d, prep->ybar, data->y, prep->w, NULL, g, sums);
    } else {
        memset(ws->buf, 0, (size_t)(p + 3) * sizeof(double));
    }
    int rc = lariat_allreduce_sum(ws->ctx, ws->buf, p + 3);
    if (rc != LARIAT_OK) return rc;
    /* r = y - ybar - (x - m)'d = yc - xs'c, so v_j = g_j / (s_j W),
    ** rr = sums0 / W and ry = sum q (y - ybar) / W = (sums2 - ybar sums1) / W. */
    const double W = prep->W;
    for (int64_t j = 0; j < p; j++) g[j] *= prep->inv_scale[j] / W;
    const double rr = sums[0] / W, ry = (sums[2] - prep->ybar * sums[1]) / W;
    lariat_prep_gap(prep, lambda, c, g, rr, ry, &info->primal, &info->gap);
    info->converged = lariat_prep_converged(prep, info->gap, ws->tol);
    return LARIAT_OK;
}

/* Not collective. rho0 of the file comment at this lambda. */
static double admm_rho0(const admm_ws *ws, double lambda)
{
    if (ws->rho_fixed > 0.0) return ws->rho_fixed;
    const double rho = (2.0 * ws->d_mean + lambda * (1.0 - ws->prep->alpha)) / (double)ws->n_active;
    /* Every column constant: nothing to fit, but a factor must exist. */
    return rho > 0.0 && isfinite(rho) ? rho : 1.0;
}

/* The layout of the one reduction per iteration: the vector for the
** z-update, four scalars, and on gap iterations the gap's inputs at z. */
enum { SLOT_R2 = 0, SLOT_FAIL, SLOT_X2, SLOT_U2, SLOT_COUNT };

static int admm_solve(void *vws, double lambda, double *c, lariat_solve_info *info)
{
    admm_ws *ws = vws;
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p;
    const double N = (double)ws->n_active;
    double *x = ws->x, *u = ws->u, *z = ws->z, *zold = ws->zold, *buf = ws->buf;
    double *scal = buf + p, *v = buf + p + SLOT_COUNT;
    int rc = LARIAT_OK, factor_rc = LARIAT_OK, changes = 0, last_change = -1, k;
    /* This rank's ||x_i - z||^2, ||x_i||^2, ||u_i||^2 of the previous
    ** iteration, and the replicated ||z||^2 and ||s|| of that iteration. */
    double r2_local = 0.0, x2_local = 0.0, u2_local = 0.0, z2_prev = 0.0, s_prev = 0.0, rr0, ry0;

    const double rho0 = admm_rho0(ws, lambda);
    if (ws->rho != rho0) {
        ws->rho = rho0;
        factor_rc = admm_factor(ws);
    }

    /* Start at z = c with u_i = -grad f_i(c) / rho: then x_i = c solves the
    ** first x-update exactly (its optimality condition
    ** grad f_i(x) + rho (x - c + u_i) = 0 holds at x = c), so the first
    ** z-update is a proximal gradient step of length 1/(N rho) from c, and
    ** along a path the duals need not be carried from the previous lambda. */
    memcpy(z, c, (size_t)p * sizeof(double));
    admm_local_grad(ws, z, u, &rr0, &ry0);
    cblas_dscal((int)p, 1.0 / ws->rho, u, 1);

    for (k = 0;; k++) {
        const int check = (k % ADMM_GAP_EVERY == 0) || k >= ws->max_iter;
        if (ws->active) {
            admm_x_update(ws);
            /* Over-relaxation (Boyd section 3.4.3): xh_i = a x_i + (1 - a) z;
            ** the reduction carries xh_i + u_i for the z-update. */
            for (int64_t j = 0; j < p; j++) buf[j] = ADMM_RELAX * x[j] + (1.0 - ADMM_RELAX) * z[j] + u[j];
        } else {
            memset(buf, 0, (size_t)p * sizeof(double));
        }
        /* The previous iteration's residual norms travel one iteration late
        ** (||x_i - z||^2 needs that iteration's z, known only after its
        ** reduction); with them the flag of a failed refactorization. */
        scal[SLOT_R2] = r2_local;
        scal[SLOT_X2] = x2_local;
        scal[SLOT_U2] = u2_local;
        scal[SLOT_FAIL] = (factor_rc != LARIAT_OK);
        if (check) admm_local_grad(ws, z, v, &v[p], &v[p + 1]);
        rc = lariat_allreduce_sum(ws->ctx, buf, check ? 2 * p + SLOT_COUNT + 2 : p + SLOT_COUNT);
        if (rc != LARIAT_OK) break;
        if (scal[SLOT_FAIL] > 0.0) {
            ws->rho = 0.0; /* no valid factor: the next solve makes one */
            rc = lariat_agree(ws->ctx, factor_rc);
            break;
        }
        if (check) {
            double primal, gap;
            lariat_prep_gap(prep, lambda, z, v, v[p], v[p + 1], &primal, &gap);
            if (lariat_prep_converged(prep, gap, ws->tol) || k >= ws->max_iter) break;
        }

        /* The z-update (Boyd section 7.1.1, consensus with a regularizer g):
        **   z = argmin g(z) + (N rho / 2) ||z - mean_i(xh_i + u_i)||^2,
        ** coordinate by coordinate the proximal map of the elastic-net term
        ** with bounds at step t = 1 / (N rho). */
        memcpy(zold, z, (size_t)p * sizeof(double));
        const double step = 1.0 / (N * ws->rho);
        for (int64_t j = 0; j < p; j++) z[j] = lariat_prep_prox(prep, j, buf[j] / N, step, lambda);

        /* The u-update (Boyd section 7.1, with over-relaxation):
        **   u_i = u_i + xh_i - z,
        ** and this iteration's primal residual r_i = x_i - z (Boyd section 7.1). */
        r2_local = x2_local = u2_local = 0.0;
        if (ws->active) {
            for (int64_t j = 0; j < p; j++) {
                u[j] += ADMM_RELAX * x[j] + (1.0 - ADMM_RELAX) * zold[j] - z[j];
                r2_local += (x[j] - z[j]) * (x[j] - z[j]);
                x2_local += x[j] * x[j];
                u2_local += u[j] * u[j];
            }
        }
        /* The dual residual s = rho (z - zold) for each of the N copies
        ** (Boyd section 7.1): ||s|| = rho sqrt(N) ||z - zold||. */
        double dz2 = 0.0, z2 = 0.0;
        for (int64_t j = 0; j < p; j++) {
            dz2 += (z[j] - zold[j]) * (z[j] - zold[j]);
            z2 += z[j] * z[j];
        }
        const double s_now = ws->rho * sqrt(N * dz2);

        /* Residual balancing (Boyd section 3.4.1) on the previous
        ** iteration's residuals, each relative to the scale it is measured
        ** against in Boyd's stopping rule (section 3.3.1):
        **   r_rel = ||r|| / max(||x||, sqrt(N) ||z||),  s_rel = ||s|| / (rho ||u||),
        ** (norms over the N stacked copies; Wohlberg 2017, "ADMM penalty
        ** parameter selection by residual balancing", arXiv:1704.06209, shows the
        ** absolute residuals are not scale invariant; measured here: three
        ** times fewer iterations on unstandardized columns whose scales span
        ** two decades). rho is multiplied by tau when r_rel > mu s_rel and
        ** divided by tau when s_rel > mu r_rel, not while the previous
        ** residuals still come from an older rho. A new rho rescales
        ** u = y / rho and needs a new factor; a failure there is reported
        ** through the next reduction. */
        if (ws->adapt_rho && k >= ADMM_BALANCE_WARMUP && last_change < k - 1 && changes < ADMM_MAX_RHO_CHANGES) {
            const double xs = fmax(sqrt(scal[SLOT_X2]), sqrt(N * z2_prev)), ys = ws->rho * sqrt(scal[SLOT_U2]);
            double factor = 1.0;
            if (xs > 0.0 && ys > 0.0) {
                const double r_rel = sqrt(scal[SLOT_R2]) / xs, s_rel = s_prev / ys;
                if (r_rel > ADMM_BALANCE_MU * s_rel) factor = ADMM_BALANCE_TAU;
                else if (s_rel > ADMM_BALANCE_MU * r_rel) factor = 1.0 / ADMM_BALANCE_TAU;
            }
            if (factor != 1.0) {
                ws->rho *= factor;
                cblas_dscal((int)p, 1.0 / factor, u, 1);
                factor_rc = admm_factor(ws);
                last_change = k;
                changes++;
            }
        }
        s_prev = s_now;
        z2_prev = z2;
    }
    if (rc != LARIAT_OK) return rc;
    memcpy(c, z, (size_t)p * sizeof(double));
    info->iterations = k;
    rc = admm_certify(ws, lambda, c, info);
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE, "admm: lambda %.6g: %d iterations, rho %.4g -> %.4g (%d changes), gap %.3g",
               lambda, k, rho0, ws->rho, changes, info->gap);
    return rc;
}

/* No state for checkpoints: a solve() starts from rho0, z = c and the u_i of
** c (see admm_solve), so it is a function of (lambda, c) alone; the factor
** kept for the last rho is recomputed bit for bit when needed. */
const lariat_solver_ops lariat_solver_admm = {"admm", admm_create, admm_solve, admm_destroy, NULL, NULL};
