/*
** The distributed `gram` solver: the Gram matrix spread over a BLACS grid
** (linalg/distgram.h), for problems whose p x p matrix should not be held by
** every rank. Its name in models and summaries is "gram": the user asked for
** (or auto chose) the gram solver, and the reason says it is distributed.
**
** It works in scaled coordinates d = S^-1 c, S = diag(sigma), on
**
**   Ht = S H S,   xyt = S xy,   H = Xs'W Xs / W  (prep.h),
**
** with the rows and columns of fixed coefficients (constant columns, equal
** bounds) set to zero, so that the loss is 1/2 yy - xyt'd + 1/2 d'Ht d.
** sigma_j = f_j^-1/2 for ridge when every free penalty factor is positive,
** which turns the penalty lambda/2 sum f_j c_j^2 into lambda/2 |d|^2, and
** sigma = 1 otherwise.
**
** - Ridge, one lambda: Ht + lambda S F S is factored in place by PDPOTRF and
**   solved by PDPOTRS; the certificate comes from one pass over the rows (the
**   factor has replaced Ht), so it is exact for the data. With unpenalized
**   columns a path does the same for each lambda, on a copy.
** - Ridge path with S F S = I (and each fold's path in cross-validation):
**   one reduction to tridiagonal form Ht = Q T Q' (PDSYTRD, Q kept as
**   Householder vectors in Ht's storage) serves every lambda (Golub & Van
**   Loan, Matrix Computations, 4th ed., section 8.3.1):
**     u = Q' xyt (once),  (T + lambda I) z = u  (O(p), DPTTRF/DPTTRS),
**     d = Q z,  Ht d = Q (T z),
**   the products with Q for a group of lambdas in one PDORMTR on 2 L
**   vectors (BLAS-3). Unlike an eigendecomposition it needs no p x p
**   eigenvector matrix: PDSYEVD, kept for comparison (layout.eigen), costs
**   about 30 Choleskys and twice the memory.
** - Lasso, elastic net and bounds: ADMM in its global form (Boyd et al.
**   2011, Found. Trends Mach. Learn. 3(1), sections 3.1 and 6.4) on the
**   factor of Ht + rho I, kept beside Ht:
**     x = (Ht + rho I)^-1 (xyt + rho (z - u))      (PDPOTRS)
**     z = prox of the penalty and bounds at x + u, coordinate by coordinate
**     u = u + x - z,
**   with the gap at z from one product with Ht, and rho balancing the two
**   residuals (section 3.4.1) every PGRAM_ADAPT_EVERY iterations at most,
**   since each change costs a factorization.
**
** Why ADMM on a Cholesky factor (measured at p = 4000 on 4 ranks; see
** docs/solvers.md):
** coordinate descent needs one column of the Gram per coordinate update,
** one message per update on a 2D layout. ADMM on the eigenvectors would
** change rho for free, but its x-update reads Q twice where PDPOTRS reads
** the factor's triangle twice, and measured no faster per iteration
** (52 ms against 60 ms, medians of one run), while PDSYEVD cost 36
** Choleskys and needs twice the memory (Ht, Q and its workspace).
**
** Every vector (c, x, z, u) is held whole by every rank: p doubles each.
** Every rank takes the same steps on the same reduced numbers, so the
** iterations need no other agreement.
*/
#include "solvers/pgram.h"

#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "linalg/distgram.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Residual balancing (Boyd et al. 2011, eq. 3.13): rho is multiplied or
** divided by TAU when one residual exceeds MU times the other, looked at
** every ADAPT_EVERY iterations (a change costs one PDPOTRF, about as much as
** a dozen iterations at p = 4000). */
#define PGRAM_MU 10.0
#define PGRAM_TAU 2.0
#define PGRAM_ADAPT_EVERY 10

/* What the distributed matrix holds. */
enum { HOLDS_NOTHING, HOLDS_GRAM, HOLDS_FACTOR, HOLDS_EIGEN, HOLDS_TRIDIAG };

/* The lambdas of a ridge path whose products with Q are made together use
** at most this many doubles of replicated vectors (2 p per lambda), or a
** sixteenth of the rank's share of the Gram when that is more. PDORMTR's
** copy of the vectors and the allreduce that gathers them grow with the
** group too: at p = 4000 on 4 ranks, 100 lambdas at once (6.4 MB of
** vectors) raised the path's peak 6 MiB above forming the Gram's; groups
** of 32 keep it below, for 4 PDORMTRs instead of one (0.3 s instead of
** 0.17 s, of a 7 s path; docs/solvers.md). */
#define PGRAM_GROUP_DOUBLES ((int64_t)1 << 18)

typedef struct pgram_ws {
    const lariat_prep *prep;
    lariat_ctx *ctx;
    int p;
    double tol;
    int max_iter;
    int adapt_rho;
    double rho;         /* ADMM penalty in use (kept along the path) */
    double factor_rho;  /* the rho whose Ht + rho I is in the kept factor; 0 = none */
    int ridge;          /* alpha = 0 and no bound other than fixed coefficients */
    int closed_form;    /* ridge with every free f_j > 0: sigma = f^-1/2 */
    int eigen;          /* closed_form on a path, layout.eigen: one eigendecomposition */
    int tridiag;        /* closed_form on a path: one reduction to tridiagonal form */
    int in_place;       /* ridge with one lambda: factor over Ht */
    lariat_pgram_layout layout;
    lariat_dgram g;
    int holds;
    double *sigma;      /* p: c_j = sigma_j d_j */
    double *colscale;   /* p: inv_scale_j sigma_j, 0 for a fixed coefficient */
    double *xyt;        /* p: sigma_j xy_j, 0 for a fixed coefficient */
    double *e;          /* p: the eigenvalues of Ht (ascending, clamped at 0), or T's diagonal */
    double *offd;       /* p: T's subdiagonal (p - 1 values) */
    double *dd, *ee;    /* p each: the LDL' factorization of T + lambda I */
    double *xyh;        /* p: Q' xyt */
    /* The known lambdas of a ridge path (decreasing; NULL when not given)
    ** and the group whose d and Ht d have been made: columns 2 k and 2 k + 1
    ** of grp for lambda lam[grp_first + k], grp_ok[k] = 0 when T + lambda I
    ** was not positive definite. */
    double *lam;
    int nlam, next;
    int grp_first, grp_count, grp_max;
    double *grp;
    int *grp_ok;
    double *in2, *out2; /* 2p + 3 each: pairs of vectors for one product */
    double *x, *z, *u, *zold, *rhs, *hd; /* ADMM, p each; hd = Ht d */
    double *hc;         /* p: H c */
    double *v;          /* p: xy - H c */
    double *block;      /* the one allocation behind the p-vectors */
    lariat_pgram_stats stats;
} pgram_ws;

/* Collective, unlike the interface's other destroy()s: releasing the BLACS
** grid frees its communicators. The path driver, cross-validation and the
** tests call it on every rank. */
static void pgram_destroy(void *wsv)
{
    pgram_ws *ws = wsv;
    if (ws == NULL) return;
    lariat_dgram_destroy(&ws->g);
    free(ws->block);
    free(ws->lam);
    free(ws->grp);
    free(ws->grp_ok);
    free(ws);
}

void lariat_pgram_get_stats(const void *wsv, lariat_pgram_stats *out)
{
    const pgram_ws *ws = wsv;
    *out = ws->stats;
    out->rho = ws->rho;
}

/* Not collective. The objective and gap at c from H c (prep.h, as gram.c):
**   v = xy - H c,  ry = yy - c'xy,  rr = ry - c'v.
** Entries of v for fixed coefficients do not enter the gap. */
static void gap_from_hc(pgram_ws *ws, double lambda, const double *c, const double *hc, double *primal, double *gap)
{
    const lariat_prep *prep = ws->prep;
    const int p = ws->p;
    for (int j = 0; j < p; j++) ws->v[j] = prep->xy[j] - hc[j];
    double ry = prep->yy - cblas_ddot(p, c, 1, prep->xy, 1);
    double rr = ry - cblas_ddot(p, c, 1, ws->v, 1);
    if (rr < 0.0) rr = 0.0; /* round-off at an exact fit */
    lariat_prep_gap(prep, lambda, c, ws->v, rr, ry, primal, gap);
}

/* Not collective. c = S d (0 on fixed coefficients) and H c = S^-1 Ht d
** from d and hd = Ht d, then the gap. */
static void gap_from_d(pgram_ws *ws, double lambda, const double *d, const double *hd, double *c, double *primal,
                       double *gap)
{
    for (int j = 0; j < ws->p; j++) {
        c[j] = lariat_prep_is_fixed(ws->prep, j) ? 0.0 : ws->sigma[j] * d[j];
        ws->hc[j] = hd[j] / ws->sigma[j];
    }
    gap_from_hc(ws, lambda, c, ws->hc, primal, gap);
}

/* Collective. The objective and gap at c from one pass over the rows (one
** allreduce of p + 3 doubles), with r = yc - Xs c:
**   v_j = (1/W) sum_i w_i r_i xs_ij,  rr = (1/W) sum_i w_i r_i^2,
**   ry = (1/W) sum_i w_i r_i (y_i - ybar). */
static int gap_from_data(pgram_ws *ws, double lambda, const double *c, double *primal, double *gap)
{
    const lariat_prep *prep = ws->prep;
    const int p = ws->p;
    double *b = ws->in2, *red = ws->out2, sums[3];
    for (int j = 0; j < p; j++) b[j] = c[j] * prep->inv_scale[j];
    lariat_matrix_resid_grad(prep->data->X, prep->mean, b, prep->ybar, prep->data->y, prep->w, NULL, red, sums);
    red[p] = sums[0];
    red[p + 1] = sums[1];
    red[p + 2] = sums[2];
    int rc = lariat_allreduce_sum(ws->ctx, red, p + 3);
    if (rc != LARIAT_OK) return rc;
    for (int j = 0; j < p; j++) ws->v[j] = red[j] * prep->inv_scale[j] / prep->W;
    const double rr = red[p] / prep->W, ry = (red[p + 2] - prep->ybar * red[p + 1]) / prep->W;
    lariat_prep_gap(prep, lambda, c, ws->v, rr, ry, primal, gap);
    return LARIAT_OK;
}

/* Collective. Ht from the rows (one pass, one reduce-scatter per panel),
** unless the matrix holds it already. */
static int ensure_gram(pgram_ws *ws)
{
    if (ws->holds == HOLDS_GRAM) return LARIAT_OK;
    const lariat_prep *prep = ws->prep;
    const double t0 = lariat_now();
    int rc = lariat_dgram_form(ws->ctx, &ws->g, prep->data->X, prep->w, prep->mean, ws->colscale, prep->W);
    ws->holds = rc == LARIAT_OK ? HOLDS_GRAM : HOLDS_NOTHING;
    ws->stats.grams++;
    ws->stats.t_gram += lariat_now() - t0;
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE,
               "gram: formed the %d x %d Gram on a %d x %d grid (blocks of %d) in %.3f s; peak RSS %.1f MiB (rank 0)",
               ws->p, ws->p, ws->g.grid.nprow, ws->g.grid.npcol, ws->g.grid.nb, lariat_now() - t0,
               lariat_peak_rss_local_mb());
    return rc;
}

/* Collective. Ht = Q diag(e) Q' (PDSYEVD, over Ht), then xyh = Q' xyt. */
static int ensure_eigen(pgram_ws *ws)
{
    if (ws->holds == HOLDS_EIGEN) return LARIAT_OK;
    int rc = ensure_gram(ws);
    const double t0 = lariat_now();
    if (rc == LARIAT_OK) rc = lariat_dgram_eigen(ws->ctx, &ws->g, ws->e);
    if (rc != LARIAT_OK) return rc;
    ws->holds = HOLDS_EIGEN;
    ws->stats.eigens++;
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE, "gram: eigendecomposition (PDSYEVD) in %.3f s; peak RSS %.1f MiB (rank 0)",
               lariat_now() - t0, lariat_peak_rss_local_mb());
    /* Ht is positive semidefinite: negative eigenvalues are round-off. */
    for (int k = 0; k < ws->p; k++) ws->e[k] = fmax(ws->e[k], 0.0);
    rc = lariat_dgram_mult(ws->ctx, &ws->g, 1, 1, ws->xyt, ws->xyh);
    ws->stats.t_reduce += lariat_now() - t0;
    return rc;
}

/* Collective. Ht + P = Q T Q' (PDSYTRD, over Ht), P with a 1 on the
** diagonal of each fixed coefficient (whose row and column of Ht are zero,
** and xyt_j = 0, so that d_j = 0 for every lambda while the free rows of
** (Ht + P) d equal those of Ht d), then xyh = Q' xyt. */
static int ensure_tridiag(pgram_ws *ws)
{
    if (ws->holds == HOLDS_TRIDIAG) return LARIAT_OK;
    int rc = ensure_gram(ws);
    const double t0 = lariat_now();
    for (int j = 0; j < ws->p; j++) ws->rhs[j] = lariat_prep_is_fixed(ws->prep, j) ? 1.0 : 0.0;
    if (rc == LARIAT_OK) rc = lariat_dgram_tridiag(ws->ctx, &ws->g, ws->rhs, ws->e, ws->offd);
    if (rc != LARIAT_OK) {
        ws->holds = HOLDS_NOTHING;
        return rc;
    }
    ws->holds = HOLDS_TRIDIAG;
    ws->stats.tridiags++;
    ws->grp_count = 0;
    memcpy(ws->xyh, ws->xyt, (size_t)ws->p * sizeof(double));
    rc = lariat_dgram_qmult(ws->ctx, &ws->g, 1, 1, ws->xyh);
    ws->stats.q_products++;
    ws->stats.t_reduce += lariat_now() - t0;
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE,
               "gram: tridiagonal reduction (PDSYTRD) and Q' xy in %.3f s; peak RSS %.1f MiB (rank 0)", lariat_now() - t0,
               lariat_peak_rss_local_mb());
    return rc;
}

/* Not collective. z = (T + lambda I)^-1 xyh and tz = T z, T the
** tridiagonal (diagonal e, subdiagonal offd), by the L D L' factorization of
** the symmetric positive definite tridiagonal T + lambda I (LAPACK's DPTTRF
** and DPTTRS): O(p). Returns 0, with z = tz = 0, when T + lambda I is not
** numerically positive definite (lambda = 0 on a singular Ht). The inputs
** are the same on every rank, and so is the outcome. */
static int tridiag_solve(pgram_ws *ws, double lambda, double *z, double *tz)
{
    const int p = ws->p;
    for (int k = 0; k < p; k++) {
        ws->dd[k] = ws->e[k] + lambda;
        ws->ee[k] = k + 1 < p ? ws->offd[k] : 0.0;
    }
    memcpy(z, ws->xyh, (size_t)p * sizeof(double));
    int ok = LAPACKE_dpttrf(p, ws->dd, ws->ee) == 0;
    ok = ok && LAPACKE_dpttrs(LAPACK_COL_MAJOR, p, 1, ws->dd, ws->ee, z, p) == 0;
    for (int k = 0; k < p && ok; k++) ok = isfinite(z[k]);
    if (!ok) {
        memset(z, 0, (size_t)p * sizeof(double));
        memset(tz, 0, (size_t)p * sizeof(double));
        return 0;
    }
    for (int k = 0; k < p; k++) {
        tz[k] = ws->e[k] * z[k];
        if (k > 0) tz[k] += ws->offd[k - 1] * z[k - 1];
        if (k + 1 < p) tz[k] += ws->offd[k] * z[k + 1];
    }
    return 1;
}

/* Collective. d and Ht d for the group of known lambdas starting at
** lam[first]: a tridiagonal solve for each, then one PDORMTR applies Q to
** all 2 L vectors [z_k, T z_k] at once. */
static int make_group(pgram_ws *ws, int first)
{
    const size_t p = (size_t)ws->p;
    const int count = ws->nlam - first < ws->grp_max ? ws->nlam - first : ws->grp_max;
    for (int k = 0; k < count; k++) {
        ws->grp_ok[k] = tridiag_solve(ws, ws->lam[first + k], ws->grp + 2 * k * p, ws->grp + (2 * k + 1) * p);
    }
    ws->grp_first = first;
    ws->grp_count = 0;
    const double t0 = lariat_now();
    int rc = lariat_dgram_qmult(ws->ctx, &ws->g, 0, 2 * count, ws->grp);
    ws->stats.q_products++;
    ws->stats.t_path += lariat_now() - t0;
    if (rc == LARIAT_OK) ws->grp_count = count;
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE,
               "gram: d and H d for %d lambdas (PDORMTR on %d vectors) in %.3f s; peak RSS %.1f MiB (rank 0)", count,
               2 * count, lariat_now() - t0, lariat_peak_rss_local_mb());
    return rc;
}

/* Collective. Ridge at lambda from the tridiagonal form (closed_form:
** S F S = I on the free coefficients), from its group when lambda is the
** next known one of the path, else on its own (one PDORMTR on 2 vectors).
** *solved is 0 when T + lambda I was not positive definite. */
static int ridge_tridiag(pgram_ws *ws, double lambda, double *c, int *solved, double *primal, double *gap)
{
    const size_t p = (size_t)ws->p;
    const double *d = NULL, *hd = NULL;
    int rc = LARIAT_OK;
    int k = ws->next;
    while (k < ws->nlam && ws->lam[k] != lambda) k++;
    if (k < ws->nlam) {
        ws->next = k + 1;
        if (k < ws->grp_first || k >= ws->grp_first + ws->grp_count) rc = make_group(ws, k);
        if (rc != LARIAT_OK) return rc;
        *solved = ws->grp_ok[k - ws->grp_first];
        d = ws->grp + 2 * (size_t)(k - ws->grp_first) * p;
        hd = d + p;
    } else {
        *solved = tridiag_solve(ws, lambda, ws->in2, ws->in2 + p);
        const double t0 = lariat_now();
        rc = lariat_dgram_qmult(ws->ctx, &ws->g, 0, 2, ws->in2);
        ws->stats.q_products++;
        ws->stats.t_path += lariat_now() - t0;
        d = ws->in2;
        hd = ws->in2 + p;
    }
    if (rc == LARIAT_OK && *solved) gap_from_d(ws, lambda, d, hd, c, primal, gap);
    return rc;
}

/* Collective. The Cholesky factor of Ht + diag(d) (PDPOTRF): kept beside Ht,
** or over it when in_place. */
static int factor(pgram_ws *ws, const double *d, int in_place, int *pd)
{
    const double t0 = lariat_now();
    int rc = lariat_dgram_factor(ws->ctx, &ws->g, d, !in_place, pd);
    if (in_place) ws->holds = HOLDS_FACTOR;
    ws->factor_rho = 0.0;
    ws->stats.choleskys++;
    ws->stats.t_factor += lariat_now() - t0;
    lariat_log(ws->ctx, LARIAT_LOG_VERBOSE, "gram: Cholesky factorization (PDPOTRF) in %.3f s; peak RSS %.1f MiB (rank 0)",
               lariat_now() - t0, lariat_peak_rss_local_mb());
    return rc;
}

/* Collective. Ridge at one lambda by Cholesky: (Ht + lambda S F S) d = xyt,
** with each fixed coefficient's zero row and column given a 1 on the
** diagonal (so d_j = 0). Sets *solved = 0 when the matrix is not positive
** definite (lambda f_j = 0 on collinear columns). */
static int ridge_cholesky(pgram_ws *ws, double lambda, double *c, int *solved, double *primal, double *gap)
{
    const lariat_prep *prep = ws->prep;
    const int p = ws->p;
    *solved = 0;
    int rc = ensure_gram(ws);
    for (int j = 0; j < p; j++) {
        ws->rhs[j] = lariat_prep_is_fixed(prep, j) ? 1.0 : lambda * ws->sigma[j] * ws->sigma[j] * prep->pf[j];
    }
    const int in_place = ws->in_place;
    if (rc == LARIAT_OK) rc = factor(ws, ws->rhs, in_place, solved);
    if (rc == LARIAT_OK && *solved) rc = lariat_dgram_solve(ws->ctx, &ws->g, ws->xyt, ws->x);
    if (rc != LARIAT_OK || !*solved) return rc;
    if (in_place) {
        for (int j = 0; j < p; j++) c[j] = lariat_prep_is_fixed(prep, j) ? 0.0 : ws->sigma[j] * ws->x[j];
        return gap_from_data(ws, lambda, c, primal, gap);
    }
    rc = lariat_dgram_symv(ws->ctx, &ws->g, ws->x, ws->hd);
    if (rc == LARIAT_OK) gap_from_d(ws, lambda, ws->x, ws->hd, c, primal, gap);
    return rc;
}

/* Collective. Ridge at lambda from the eigendecomposition (closed_form:
** S F S = I on the free coefficients):
**   dh = diag(1 / (e + lambda)) xyh,  d = Q dh,  Ht d = Q (e .* dh),
** one product with Q for both. Directions with e_k + lambda at round-off
** level (lambda = 0 on a rank-deficient Ht) are left out: the minimum-norm
** least-squares solution. */
static int ridge_eigen(pgram_ws *ws, double lambda, double *c, double *primal, double *gap)
{
    const int p = ws->p;
    const double floor = (double)p * DBL_EPSILON * ws->e[p - 1];
    for (int k = 0; k < p; k++) {
        const double den = ws->e[k] + lambda;
        ws->in2[k] = den > floor ? ws->xyh[k] / den : 0.0;
        ws->in2[p + k] = ws->e[k] * ws->in2[k];
    }
    const double t0 = lariat_now();
    int rc = lariat_dgram_mult(ws->ctx, &ws->g, 0, 2, ws->in2, ws->out2);
    ws->stats.t_path += lariat_now() - t0;
    if (rc == LARIAT_OK) gap_from_d(ws, lambda, ws->out2, ws->out2 + p, c, primal, gap);
    return rc;
}

/* Not collective. The starting ADMM penalty when none is given: the mean
** eigenvalue of Ht over the free coefficients, trace(Ht) / p_free =
** sum_j sigma_j^2 xx_j / p_free (1 when standardized without penalty
** factors), the scale at which (Ht + rho I) is neither dominated by rho
** nor blind to it; residual balancing corrects it. */
static double default_rho(const pgram_ws *ws)
{
    double trace = 0.0;
    int free_count = 0;
    for (int j = 0; j < ws->p; j++) {
        if (lariat_prep_is_fixed(ws->prep, j)) continue;
        trace += ws->sigma[j] * ws->sigma[j] * ws->prep->xx[j];
        free_count++;
    }
    return free_count > 0 && trace > 0.0 ? trace / free_count : 1.0;
}

/* Not collective. The z-update: z_j = argmin rho/2 (z - t)^2 + g_j(sigma_j z)
** at t = x_j + u_j, which with c = sigma_j z is prep's proximal map with step
** sigma_j^2 / rho at sigma_j t; then u += x - z. Returns |x - z|^2 and
** |z - z_old|^2 in r2[0], r2[1]. */
static void z_update(pgram_ws *ws, double lambda, double rho, double r2[2])
{
    const lariat_prep *prep = ws->prep;
    r2[0] = r2[1] = 0.0;
    for (int j = 0; j < ws->p; j++) {
        const double s = ws->sigma[j], t = ws->x[j] + ws->u[j];
        ws->zold[j] = ws->z[j];
        ws->z[j] = lariat_prep_is_fixed(prep, j) ? 0.0 : lariat_prep_prox(prep, j, s * t, s * s / rho, lambda) / s;
        ws->u[j] += ws->x[j] - ws->z[j];
        r2[0] += (ws->x[j] - ws->z[j]) * (ws->x[j] - ws->z[j]);
        r2[1] += (ws->z[j] - ws->zold[j]) * (ws->z[j] - ws->zold[j]);
    }
}

/* Collective. The kept factor of Ht + rho I, made when rho changed. */
static int ensure_admm_factor(pgram_ws *ws)
{
    if (ws->factor_rho == ws->rho) return LARIAT_OK;
    for (int j = 0; j < ws->p; j++) ws->rhs[j] = ws->rho;
    int pd = 0;
    int rc = factor(ws, ws->rhs, 0, &pd);
    if (rc == LARIAT_OK && !pd) {
        rc = lariat_error(ws->ctx, LARIAT_ENUMERIC, "the Gram plus rho = %g I is not positive definite", ws->rho);
    }
    if (rc == LARIAT_OK) ws->factor_rho = ws->rho;
    return rc;
}

/* Collective. ADMM from the feasible warm start c (see the top of the file):
**   x = (Ht + rho I)^-1 (xyt + rho (z - u)),  z, u from the z-update,
** stopping when the gap at z (always feasible, from Ht z) certifies it.
** The scaled dual starts at its fixed point for z, u = (xyt - Ht z) / rho,
** so a warm start along the path starts from the previous lambda's dual
** too. */
static int admm(pgram_ws *ws, double lambda, double *c, int *iters, double *primal, double *gap, int *converged)
{
    const lariat_prep *prep = ws->prep;
    const int p = ws->p;
    ws->stats.admm_solves++;
    int rc = ensure_gram(ws);
    if (rc == LARIAT_OK) rc = ensure_admm_factor(ws);
    for (int j = 0; j < p; j++) ws->z[j] = lariat_prep_is_fixed(prep, j) ? 0.0 : c[j] / ws->sigma[j];
    if (rc == LARIAT_OK) rc = lariat_dgram_symv(ws->ctx, &ws->g, ws->z, ws->hd);
    int it = 0;
    if (rc == LARIAT_OK) {
        gap_from_d(ws, lambda, ws->z, ws->hd, c, primal, gap);
        *converged = lariat_prep_converged(prep, *gap, ws->tol);
        for (int j = 0; j < p; j++) ws->u[j] = (ws->xyt[j] - ws->hd[j]) / ws->rho;
    }
    while (rc == LARIAT_OK && !*converged && it < ws->max_iter) {
        const double rho = ws->rho;
        for (int j = 0; j < p; j++) ws->rhs[j] = ws->xyt[j] + rho * (ws->z[j] - ws->u[j]);
        rc = lariat_dgram_solve(ws->ctx, &ws->g, ws->rhs, ws->x);
        if (rc != LARIAT_OK) break;
        double r2[2];
        z_update(ws, lambda, rho, r2);
        it++;
        rc = lariat_dgram_symv(ws->ctx, &ws->g, ws->z, ws->hd);
        if (rc != LARIAT_OK) break;
        gap_from_d(ws, lambda, ws->z, ws->hd, c, primal, gap);
        *converged = lariat_prep_converged(prep, *gap, ws->tol);
        if (*converged || !ws->adapt_rho || it % PGRAM_ADAPT_EVERY != 0) continue;
        /* Scaled form: u = y / rho, so u scales by 1 / factor. */
        const double r = sqrt(r2[0]), s = rho * sqrt(r2[1]);
        const double change = r > PGRAM_MU * s ? PGRAM_TAU : (s > PGRAM_MU * r ? 1.0 / PGRAM_TAU : 1.0);
        if (change == 1.0) continue;
        ws->rho = rho * change;
        for (int j = 0; j < p; j++) ws->u[j] /= change;
        rc = ensure_admm_factor(ws);
    }
    *iters = it;
    return rc;
}

/* Collective. One lambda: the closed form on the tridiagonal form (or the
** eigenvectors) for a ridge path, Cholesky for other ridge problems, ADMM
** otherwise or when a direct solution is not certified. */
static int pgram_solve(void *wsv, double lambda, double *c, lariat_solve_info *info)
{
    pgram_ws *ws = wsv;
    const lariat_prep *prep = ws->prep;
    int iter = 0, converged = 0, rc = LARIAT_OK;
    double primal = 0.0, gap = INFINITY;
    for (int j = 0; j < ws->p; j++) c[j] = fmin(fmax(c[j], prep->lo[j]), prep->hi[j]);
    if (ws->tridiag) {
        int solved = 0;
        rc = ensure_tridiag(ws);
        if (rc == LARIAT_OK) rc = ridge_tridiag(ws, lambda, c, &solved, &primal, &gap);
        iter = 1;
        converged = solved && lariat_prep_converged(prep, gap, ws->tol);
        /* Not solved or not certified (lambda = 0 on a singular Gram,
        ** round-off on an ill-conditioned one): ADMM takes this lambda and
        ** Cholesky the rest, on the Gram formed again. */
        if (!converged) ws->tridiag = 0;
    } else if (ws->eigen) {
        rc = ensure_eigen(ws);
        if (rc == LARIAT_OK) rc = ridge_eigen(ws, lambda, c, &primal, &gap);
        iter = 1;
        converged = lariat_prep_converged(prep, gap, ws->tol);
        /* Not certified (round-off on an ill-conditioned Gram): ADMM takes
        ** this lambda and Cholesky the rest, on the Gram formed again. */
        if (!converged) ws->eigen = 0;
    } else if (ws->ridge) {
        int solved = 0;
        rc = ridge_cholesky(ws, lambda, c, &solved, &primal, &gap);
        iter = solved;
        converged = solved && lariat_prep_converged(prep, gap, ws->tol);
    }
    if (rc == LARIAT_OK && !converged) {
        int it = 0;
        rc = admm(ws, lambda, c, &it, &primal, &gap, &converged);
        iter += it;
    }
    info->iterations = iter;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
    return rc;
}

/* Not collective. Carves the p-vectors out of one allocation. */
static int alloc_vectors(pgram_ws *ws)
{
    const size_t p = (size_t)ws->p;
    double **vec[] = {&ws->sigma, &ws->colscale, &ws->xyt, &ws->e,  &ws->offd, &ws->dd, &ws->ee, &ws->xyh,
                      &ws->x,     &ws->z,        &ws->u,   &ws->zold, &ws->rhs, &ws->hd, &ws->hc, &ws->v};
    const size_t nvec = sizeof(vec) / sizeof(vec[0]);
    ws->block = lariat_malloc(ws->ctx, nvec * p + 2 * (2 * p + 3), sizeof(double), "pgram vectors");
    if (ws->block == NULL) return LARIAT_ENOMEM;
    for (size_t k = 0; k < nvec; k++) *vec[k] = ws->block + k * p;
    ws->in2 = ws->block + nvec * p;
    ws->out2 = ws->in2 + 2 * p + 3;
    return LARIAT_OK;
}

/* Not collective. qsort's comparison for decreasing order. */
static int cmp_decreasing(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Not collective. For a ridge path by the tridiagonal form: the lambdas
** given (decreasing, as the path driver solves them) and room for a group
** of them. */
static int alloc_path(pgram_ws *ws, const lariat_settings *st)
{
    const int64_t p = ws->p, share = (int64_t)ws->g.mloc * ws->g.nloc / 16;
    const int64_t budget = share > PGRAM_GROUP_DOUBLES ? share : PGRAM_GROUP_DOUBLES;
    if (st->lambda == NULL || st->n_lambda_given < 1) return LARIAT_OK;
    ws->nlam = st->n_lambda_given;
    ws->lam = lariat_malloc(ws->ctx, (size_t)ws->nlam, sizeof(double), "lambda sequence");
    if (ws->lam == NULL) return LARIAT_ENOMEM;
    memcpy(ws->lam, st->lambda, (size_t)ws->nlam * sizeof(double));
    qsort(ws->lam, (size_t)ws->nlam, sizeof(double), cmp_decreasing);
    const int64_t fit = budget / (2 * p);
    ws->grp_max = fit < 1 ? 1 : (fit < ws->nlam ? (int)fit : ws->nlam);
    ws->grp = lariat_malloc(ws->ctx, 2 * (size_t)ws->grp_max * (size_t)p, sizeof(double), "ridge path vectors");
    ws->grp_ok = lariat_malloc(ws->ctx, (size_t)ws->grp_max, sizeof(int), "ridge path flags");
    return ws->grp != NULL && ws->grp_ok != NULL ? LARIAT_OK : LARIAT_ENOMEM;
}

/* Not collective. The coordinates: sigma, the column scaling that makes the
** formed matrix Ht (and zeroes fixed coefficients), and xyt. */
static void set_coordinates(pgram_ws *ws)
{
    const lariat_prep *prep = ws->prep;
    int all_penalized = 1;
    for (int j = 0; j < ws->p; j++) all_penalized &= lariat_prep_is_fixed(prep, j) || prep->pf[j] > 0.0;
    ws->closed_form = ws->ridge && all_penalized;
    for (int j = 0; j < ws->p; j++) {
        const int fixed = lariat_prep_is_fixed(prep, j);
        ws->sigma[j] = ws->closed_form && !fixed ? 1.0 / sqrt(prep->pf[j]) : 1.0;
        ws->colscale[j] = fixed ? 0.0 : prep->inv_scale[j] * ws->sigma[j];
        ws->xyt[j] = fixed ? 0.0 : ws->sigma[j] * prep->xy[j];
    }
}

int lariat_pgram_create(const lariat_prep *prep, const lariat_settings *st, const lariat_pgram_layout *layout,
                        void **out)
{
    lariat_ctx *ctx = prep->ctx;
    *out = NULL;
    pgram_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "pgram workspace");
    int rc = ws != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        ws->g.grid.handle = ws->g.grid.ctxt = -1;
        ws->g.grid.comm = MPI_COMM_NULL;
        if (prep->p > INT_MAX / 4) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "ScaLAPACK cannot index a %lld x %lld Gram matrix",
                              (long long)prep->p, (long long)prep->p);
        }
    }
    if (rc == LARIAT_OK) {
        ws->prep = prep;
        ws->ctx = ctx;
        ws->p = (int)prep->p;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        ws->adapt_rho = st->adapt_rho;
        if (layout != NULL) ws->layout = *layout;
        ws->ridge = lariat_prep_ridge_applies(prep);
        rc = alloc_vectors(ws);
    }
    rc = lariat_agree(ctx, rc);
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "gram: distributed Gram starting; peak RSS so far %.1f MiB (rank 0)",
               lariat_peak_rss_local_mb());
    if (rc == LARIAT_OK) {
        rc = lariat_dgram_create(ctx, ws->p, ws->layout.nprow, ws->layout.npcol, ws->layout.nb, &ws->g);
    }
    if (rc == LARIAT_OK) {
        set_coordinates(ws);
        const int nlambda = st->lambda != NULL ? st->n_lambda_given : st->nlambda;
        ws->eigen = ws->closed_form && nlambda > 1 && ws->layout.eigen;
        ws->tridiag = ws->closed_form && nlambda > 1 && !ws->layout.eigen;
        ws->in_place = ws->ridge && nlambda == 1;
        ws->rho = st->rho > 0.0 ? st->rho : default_rho(ws);
        rc = ensure_gram(ws);
    }
    if (rc == LARIAT_OK && ws->tridiag) rc = lariat_agree(ctx, alloc_path(ws, st));
    /* A ridge path shares one reduction to tridiagonal form (or one
    ** eigendecomposition); anything else factors in solve(). */
    if (rc == LARIAT_OK && ws->tridiag) rc = ensure_tridiag(ws);
    if (rc == LARIAT_OK && ws->eigen) rc = ensure_eigen(ws);
    if (rc != LARIAT_OK) {
        pgram_destroy(ws);
        return rc;
    }
    *out = ws;
    return LARIAT_OK;
}

static int pgram_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    return lariat_pgram_create(prep, st, NULL, out);
}

/* Not collective. The ADMM penalty rho, kept along the path, is all that
** one solve() leaves to the next besides c. */
static int pgram_get_state(const void *wsv, double *state)
{
    state[0] = ((const pgram_ws *)wsv)->rho;
    return 1;
}

static void pgram_set_state(void *wsv, const double *state, int n)
{
    if (n >= 1 && state[0] > 0.0) ((pgram_ws *)wsv)->rho = state[0];
}

const lariat_solver_ops lariat_solver_pgram = {"gram", pgram_create, pgram_solve, pgram_destroy, pgram_get_state,
                                               pgram_set_state};
