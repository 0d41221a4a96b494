/*
** The `gram` solver for ridge on wide data: one factorization of the n x n
** kernel serves every lambda of the path.
**
** gram.c solves ridge exactly, (H + lambda diag(f)) c = xy (prep.h's
** notation), by factoring the p x p system: 21.7 s for a 100-lambda path on
** 300 x 3,000 rows with a Cholesky factor a lambda. With more features than
** rows the same solution lives in the row space. Write the problem as
**
**   P(c) = 1/2 ||z - A c||^2 + lambda/2 sum_j f_j c_j^2,
**   A_ij = sqrt(w_i / W) xs_ij,   z_i = sqrt(w_i / W) yc_i,
**
** and with u_j = sqrt(f_j) c_j and B = A diag(f)^(-1/2) it is ridge with the
** identity penalty, 1/2 ||z - B u||^2 + lambda/2 ||u||^2, whose minimizer is
** u = (B'B + lambda I)^-1 B'z = B'(BB' + lambda I)^-1 z (the push-through
** identity; Hastie, Tibshirani and Friedman, The Elements of Statistical
** Learning, 2nd ed., section 18.3.5). The kernel K = BB' (n x n) is reduced
** once to tridiagonal form, K = Q T Q' (linalg/shifted.h), and every lambda
** costs a tridiagonal solve, its share of Q applied to a block of lambdas,
** and two products with B:
**
**   c = diag(f)^(-1/2) B' Q (T + lambda I)^-1 Q'z,
**
** and its certificate one more (the residual z - A c and the gradient A'r for
** lariat_prep_gap). At lambda = 0 a shift at round-off stands in for the
** pseudo-inverse (the least-squares solution of least norm). A solution
** whose gap is not yet within the tolerance (round-off on an ill-conditioned
** kernel) is refined by Newton steps on the same factorization: (B'B +
** lambda I)^-1 g = (g - B'(K + lambda I)^-1 B g) / lambda (Woodbury).
**
** Every rank gathers the rows of positive weight in row order (n x p
** doubles: less than the p x p Gram it replaces, as n < p) and then computes
** alike, so the answer is the same bits at any rank count. A path's
** lambdas, given to create(), are solved KR_BLOCK at a time by matrix-matrix
** products (solve_block), and at several ranks each rank solves a block of
** them and one allgather shares the solutions (kr_share). It applies
** (lariat_kernel_ridge_applies) to ridge whose only fixed coefficients are
** constant columns, with every other penalty factor positive and no bounds:
** an unpenalized feature or a bound leaves gram.c's system or its
** coordinate descent.
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "linalg/shifted.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Newton refinements of one lambda's solution, at most, each while the gap
** is above the tolerance and only if it lowers the gap: each costs about
** four products with B. At the default tolerance none was needed on the
** measured paths; at the reference suite's (1e-17 N0 after the path's
** margin) glmnet_wide_ridge's 100 lambdas took 44 in all. */
#define KR_MAX_REFINE 2
/* Lambdas solved together (matrix-matrix products with B): 16, or fewer
** where p x 16 doubles twice would take more than KR_BLOCK_MAX_BYTES. */
#define KR_BLOCK 16
#define KR_BLOCK_MAX_BYTES ((double)(64 << 20))
/* The kernel is formed in tiles of this many rows and columns (form_kernel). */
#define KR_TILE 256
/* A shared solution's figures after its p coefficients: iterations, gap,
** primal. */
#define KR_SHARE_EXTRA 3
/* The most memory the shared solutions of a path may take per rank; a
** longer path (or a wider p) is solved by every rank alike. */
#define KR_SHARE_MAX_BYTES ((double)(256 << 20))

typedef struct kr_ws {
    const lariat_prep *prep;
    int64_t p, m;   /* features; rows of positive weight over all ranks */
    double tol;
    double *B;      /* m x p row-major: sqrt(w_i / W) xs_ij / sqrt(f_j), 0 on constant columns */
    double *z;      /* m: sqrt(w_i / W) yc_i */
    double *K;      /* m x m column-major: the kernel, then its reflectors (tri) */
    lariat_shifted tri; /* K = Q T Q' (linalg/shifted.h) */
    double *q;      /* m: Q'z */
    double *sf;     /* p: sqrt(f_j) (0 on constant columns) */
    double *t, *r;  /* m scratch */
    double *u, *g, *v, *c_try; /* p scratch */
    int kb;         /* lambdas a block solves at once (solve_block) */
    double *Tb, *Rb; /* m x kb each: T column-major, R row-major */
    double *Ub, *Vb;      /* p x kb each */
    double *one;    /* p + KR_SHARE_EXTRA: one lambda's solution and figures */
    /* The path's lambdas, given to create(), all solved at the first
    ** solve() (kr_share: at several ranks, a block of them a rank). */
    double *pre_lambda; /* n_pre: the lambdas to come, in order */
    double *pre;        /* n_pre x (p + KR_SHARE_EXTRA): each solution and its figures */
    int n_pre, next_pre, pre_done;
} kr_ws;

int lariat_kernel_ridge_applies(const lariat_prep *prep)
{
    if (prep->w == NULL || !lariat_prep_ridge_applies(prep)) return 0;
    for (int64_t j = 0; j < prep->p; j++) {
        const int constant = prep->inv_scale[j] == 0.0;
        if (lariat_prep_is_fixed(prep, j) ? !constant : !(prep->pf[j] > 0.0)) return 0;
    }
    return 1;
}

/* The rows, the kernel, and its tiles packed for the allgather (half a
** kernel, and more: twice the kernel counts them). */
size_t lariat_kernel_ridge_bytes(int64_t n, int64_t p)
{
    return ((size_t)n * (size_t)p + 2 * (size_t)n * (size_t)n) * sizeof(double);
}

static void kr_destroy(void *wsv)
{
    kr_ws *ws = wsv;
    if (ws == NULL) return;
    free(ws->B);
    free(ws->z);
    lariat_shifted_free(&ws->tri);
    free(ws->K);
    free(ws->q);
    free(ws->sf);
    free(ws->t);
    free(ws->r);
    free(ws->u);
    free(ws->g);
    free(ws->v);
    free(ws->c_try);
    free(ws->Tb);
    free(ws->Rb);
    free(ws->Ub);
    free(ws->Vb);
    free(ws->one);
    free(ws->pre_lambda);
    free(ws->pre);
    free(ws);
}

/* Not collective. This rank's rows of positive weight, scaled, into B and z
** from row `first` on. */
static void fill_rows(kr_ws *ws, int64_t first)
{
    const lariat_prep *prep = ws->prep;
    const lariat_data *d = prep->data;
    const int64_t p = ws->p;
    /* 1 / (s_j sqrt(f_j)), 0 on constant columns; in v's scratch until the
    ** first solve. */
    double *mult = ws->v;
    for (int64_t j = 0; j < p; j++) mult[j] = ws->sf[j] > 0.0 ? prep->inv_scale[j] / ws->sf[j] : 0.0;
    int64_t k = first;
    for (int64_t i = 0; i < d->n_local; i++) {
        if (!(prep->w[i] > 0.0)) continue;
        const double a = sqrt(prep->w[i] / prep->W);
        double *row = ws->B + k * p;
        lariat_matrix_get_row(d->X, i, row);
        for (int64_t j = 0; j < p; j++) row[j] = a * ((row[j] - prep->mean[j]) * mult[j]);
        ws->z[k] = a * (d->y[i] - prep->ybar);
        k++;
    }
}

/* Collective. Every rank's rows of positive weight on every rank, in row
** order (counts of rows: a row of p doubles is one MPI element). */
static int gather_rows(kr_ws *ws, int64_t local)
{
    lariat_ctx *ctx = ws->prep->ctx;
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    int *counts = lariat_malloc(ctx, (size_t)(2 * P), sizeof(int), "kernel row counts");
    int rc = lariat_agree(ctx, counts != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) {
        free(counts);
        return rc;
    }
    int *displs = counts + P, mine = (int)local;
    MPI_Datatype row = MPI_DATATYPE_NULL;
    if (MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, comm) != MPI_SUCCESS ||
        MPI_Type_contiguous((int)ws->p, MPI_DOUBLE, &row) != MPI_SUCCESS || MPI_Type_commit(&row) != MPI_SUCCESS) {
        rc = LARIAT_EMPI;
    }
    for (int k = 0, at = 0; rc == LARIAT_OK && k < P; k++) {
        displs[k] = at;
        at += counts[k];
    }
    /* In place: this rank's rows were written at their global position. */
    if (rc == LARIAT_OK) fill_rows(ws, displs[me]);
    if (rc == LARIAT_OK &&
        (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ws->B, counts, displs, row, comm) != MPI_SUCCESS ||
         MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ws->z, counts, displs, MPI_DOUBLE, comm) != MPI_SUCCESS)) {
        rc = LARIAT_EMPI;
    }
    if (row != MPI_DATATYPE_NULL) MPI_Type_free(&row);
    free(counts);
    if (rc != LARIAT_OK) rc = lariat_error(ctx, rc, "MPI failed while gathering the rows of the kernel");
    return lariat_agree(ctx, rc);
}

/* Not collective. Tile t of the kernel's lower triangle (m x m), tiles of
** KR_TILE rows and columns numbered row by row: its first row and column and
** its rows and columns (the last block row and column may be short). */
typedef struct kr_tile {
    int64_t i0, j0, mi, mj;
} kr_tile;

static kr_tile tile_of(int64_t t, int64_t m)
{
    int64_t bi = 0;
    while ((bi + 1) * (bi + 2) / 2 <= t) bi++;
    const int64_t bj = t - bi * (bi + 1) / 2;
    kr_tile tl = {bi * KR_TILE, bj * KR_TILE, 0, 0};
    tl.mi = KR_TILE < m - tl.i0 ? KR_TILE : m - tl.i0;
    tl.mj = KR_TILE < m - tl.j0 ? KR_TILE : m - tl.j0;
    return tl;
}

/* Collective. The kernel's lower triangle (row-major) K = B B', tile by
** tile: a tile is made by the same product (DSYRK on the diagonal, DGEMM
** below) whichever rank makes it, so the bits do not depend on the rank
** count; at P ranks rank r makes the tiles t = r mod P, and one allgather
** of the packed tiles gives every rank all of them (2,000 x 10,000 rows:
** 0.9-1.1 s at one rank, 0.56 s at two). */
static int form_kernel(kr_ws *ws)
{
    lariat_ctx *ctx = ws->prep->ctx;
    const int64_t m = ws->m, p = ws->p, nt = (m + KR_TILE - 1) / KR_TILE, ntiles = nt * (nt + 1) / 2;
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    double total = 0.0;
    for (int64_t t = 0; t < ntiles; t++) {
        const kr_tile tl = tile_of(t, m);
        total += (double)(tl.mi * tl.mj);
    }
    const int shared = P > 1 && total <= (double)INT_MAX;
    double *pack = NULL;
    int *counts = NULL;
    if (shared) {
        pack = lariat_malloc(ctx, (size_t)total, sizeof(double), "kernel tiles");
        counts = lariat_calloc(ctx, (size_t)(2 * P), sizeof(int), "kernel tile counts");
    }
    int rc = lariat_agree(ctx, !shared || (pack != NULL && counts != NULL) ? LARIAT_OK : LARIAT_ENOMEM);
    for (int64_t t = shared ? me : 0; rc == LARIAT_OK && t < ntiles; t += shared ? P : 1) {
        const kr_tile tl = tile_of(t, m);
        double *at = ws->K + tl.i0 * m + tl.j0;
        if (tl.i0 == tl.j0) {
            cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)tl.mi, (int)p, 1.0, ws->B + tl.i0 * p, (int)p,
                        0.0, at, (int)m);
        } else {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)tl.mi, (int)tl.mj, (int)p, 1.0,
                        ws->B + tl.i0 * p, (int)p, ws->B + tl.j0 * p, (int)p, 0.0, at, (int)m);
        }
    }
    if (rc == LARIAT_OK && shared) {
        /* Packed in tile order within each rank's share, this rank's before
        ** the allgather and the others' after it; copied whole (a diagonal
        ** tile's upper part is never read). */
        int *displs = counts + P;
        for (int pass = 0; rc == LARIAT_OK && pass < 2; pass++) {
            int64_t off = 0;
            for (int r = 0; r < P; r++) {
                displs[r] = (int)off;
                for (int64_t t = r; t < ntiles; t += P) {
                    const kr_tile tl = tile_of(t, m);
                    double *k0 = ws->K + tl.i0 * m + tl.j0;
                    for (int64_t i = 0; pass == 0 && r == me && i < tl.mi; i++) {
                        memcpy(pack + off + i * tl.mj, k0 + i * m, (size_t)tl.mj * sizeof(double));
                    }
                    for (int64_t i = 0; pass == 1 && r != me && i < tl.mi; i++) {
                        memcpy(k0 + i * m, pack + off + i * tl.mj, (size_t)tl.mj * sizeof(double));
                    }
                    off += tl.mi * tl.mj;
                }
                counts[r] = (int)(off - displs[r]);
            }
            if (pass == 0 && MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, pack, counts, displs, MPI_DOUBLE,
                                            lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
                rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of the kernel's tiles failed");
            }
        }
    }
    free(pack);
    free(counts);
    return lariat_agree(ctx, rc);
}

static int kr_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = prep->ctx;
    const int64_t p = prep->p, m = prep->n_rows;
    const double t0 = lariat_now();
    *out = NULL;
    int rc = LARIAT_OK;
    if (!lariat_kernel_ridge_applies(prep) || !lariat_blas_fits(m, p) || !lariat_blas_fits(m, m)) {
        rc = lariat_error(ctx, LARIAT_EUSAGE,
                          "the kernel ridge solver needs the rows, alpha 0, positive penalty factors and no bounds");
    }
    kr_ws *ws = rc == LARIAT_OK ? lariat_calloc(ctx, 1, sizeof(*ws), "kernel ridge workspace") : NULL;
    if (rc == LARIAT_OK && ws == NULL) rc = LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        ws->prep = prep;
        ws->p = p;
        ws->m = m;
        ws->tol = st->tol;
        ws->B = lariat_malloc(ctx, (size_t)(m * p), sizeof(double), "kernel rows");
        ws->z = lariat_malloc(ctx, (size_t)m, sizeof(double), "kernel labels");
        ws->K = lariat_malloc(ctx, (size_t)(m * m), sizeof(double), "kernel");
        ws->q = lariat_malloc(ctx, (size_t)m, sizeof(double), "kernel right-hand side");
        ws->t = lariat_malloc(ctx, (size_t)m, sizeof(double), "kernel scratch");
        ws->r = lariat_malloc(ctx, (size_t)m, sizeof(double), "kernel residuals");
        ws->sf = lariat_malloc(ctx, (size_t)p, sizeof(double), "penalty roots");
        ws->u = lariat_malloc(ctx, (size_t)p, sizeof(double), "kernel coefficients");
        ws->g = lariat_malloc(ctx, (size_t)p, sizeof(double), "kernel gradient");
        ws->v = lariat_malloc(ctx, (size_t)p, sizeof(double), "kernel loss gradient");
        ws->c_try = lariat_malloc(ctx, (size_t)p, sizeof(double), "kernel refined coefficients");
        ws->kb = KR_BLOCK;
        while (ws->kb > 1 && 2.0 * (double)p * ws->kb * sizeof(double) > KR_BLOCK_MAX_BYTES) ws->kb /= 2;
        ws->Tb = lariat_malloc(ctx, (size_t)(m * ws->kb), sizeof(double), "kernel block");
        ws->Rb = lariat_malloc(ctx, (size_t)(m * ws->kb), sizeof(double), "kernel block residuals");
        ws->Ub = lariat_malloc(ctx, (size_t)(p * ws->kb), sizeof(double), "kernel block coefficients");
        ws->Vb = lariat_malloc(ctx, (size_t)(p * ws->kb), sizeof(double), "kernel block gradients");
        ws->one = lariat_malloc(ctx, (size_t)(p + KR_SHARE_EXTRA), sizeof(double), "kernel solution");
        if (!ws->B || !ws->z || !ws->K || !ws->q || !ws->t || !ws->r || !ws->sf || !ws->u || !ws->g || !ws->v ||
            !ws->c_try || !ws->Tb || !ws->Rb || !ws->Ub || !ws->Vb || !ws->one) {
            rc = LARIAT_ENOMEM;
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        /* Written in full right after: 2 MiB pages (each first touch of a
        ** 4 KiB page is a fault; the 160 MB of 2,000 x 10,000 rows took
        ** 0.44 s to gather so, 0.03-0.27 s in 2 MiB pages). */
        lariat_advise_huge(ws->B, (size_t)(m * p) * sizeof(double));
        lariat_advise_huge(ws->K, (size_t)(m * m) * sizeof(double));
        for (int64_t j = 0; j < p; j++) ws->sf[j] = prep->inv_scale[j] == 0.0 ? 0.0 : sqrt(prep->pf[j]);
        int64_t local = 0;
        for (int64_t i = 0; i < prep->data->n_local; i++) local += prep->w[i] > 0.0;
        rc = gather_rows(ws, local);
    }
    const double t_gather = lariat_now();
    double t_kernel = t_gather;
    if (rc == LARIAT_OK) {
        /* K = B B': its lower triangle row-major is the upper column-major,
        ** which the tridiagonal reduction reads. */
        rc = form_kernel(ws);
        t_kernel = lariat_now();
        if (rc == LARIAT_OK) rc = lariat_shifted_factor(ctx, ws->K, m, ws->kb, &ws->tri);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        kr_destroy(ws);
        return rc;
    }
    lariat_log(ctx, LARIAT_LOG_VERBOSE,
               "gram: the rows of the %lld x %lld kernel gathered in %.3f s, the kernel (its tiles) in %.3f s, its "
               "tridiagonal reduction (DSYTRD) in %.3f s",
               (long long)m, (long long)m, t_gather - t0, t_kernel - t_gather, lariat_now() - t_kernel);
    memcpy(ws->q, ws->z, (size_t)m * sizeof(double));
    lariat_shifted_to_tri(&ws->tri, ws->q, 1);
    /* A path's lambdas are solved together at the first solve(), blocks of
    ** them at once, and over several ranks each makes a block of the path
    ** (kr_share). */
    const double share_len = (double)(st->n_lambda_given) * (double)(p + KR_SHARE_EXTRA);
    if (st->lambda != NULL && st->n_lambda_given > 1 &&
        share_len * sizeof(double) <= KR_SHARE_MAX_BYTES && share_len <= (double)INT_MAX) {
        ws->n_pre = st->n_lambda_given;
        ws->pre_lambda = lariat_malloc(ctx, (size_t)ws->n_pre, sizeof(double), "ridge path lambdas");
        ws->pre = lariat_malloc(ctx, (size_t)share_len, sizeof(double), "ridge path solutions");
        if (ws->pre_lambda != NULL) memcpy(ws->pre_lambda, st->lambda, (size_t)ws->n_pre * sizeof(double));
        rc = ws->pre_lambda != NULL && ws->pre != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        kr_destroy(ws);
        return rc;
    }
    *out = ws;
    return LARIAT_OK;
}

/* Not collective. The shift of lambda's solve: lambda, or at lambda = 0 a
** shift at round-off (m eps times T's largest diagonal entry), which damps
** the directions the kernel cannot tell from zero where the least-squares
** solution of least norm drops them. */
static double shift_of(const kr_ws *ws, double lambda)
{
    return lambda > 0.0 ? lambda : (double)ws->m * 2.220446049250313e-16 * lariat_shifted_scale(&ws->tri);
}

/* Not collective. x (m values) <- (K + lambda I)^-1 x; 0 if T + lambda I is
** not numerically positive definite (x then 0). */
static int kernel_solve(kr_ws *ws, double lambda, double *x)
{
    lariat_shifted_to_tri(&ws->tri, x, 1);
    if (!lariat_shifted_tri_solve(&ws->tri, shift_of(ws, lambda), x)) {
        memset(x, 0, (size_t)ws->m * sizeof(double));
        return 0;
    }
    lariat_shifted_from_tri(&ws->tri, x, 1);
    return 1;
}

/* Not collective. The objective and gap at c = u / sqrt(f) (written to c),
** from the residual r = z - B u and the loss gradient v = A'r = sqrt(f) B'r
** (prep.h's v, rr, ry). */
static void evaluate(kr_ws *ws, double lambda, const double *u, double *c, double *primal, double *gap)
{
    const int64_t m = ws->m, p = ws->p;
    for (int64_t j = 0; j < p; j++) c[j] = ws->sf[j] > 0.0 ? u[j] / ws->sf[j] : 0.0;
    memcpy(ws->r, ws->z, (size_t)m * sizeof(double));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)p, -1.0, ws->B, (int)p, u, 1, 1.0, ws->r, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0, ws->B, (int)p, ws->r, 1, 0.0, ws->v, 1);
    for (int64_t j = 0; j < p; j++) ws->v[j] *= ws->sf[j];
    const double rr = cblas_ddot((int)m, ws->r, 1, ws->r, 1), ry = cblas_ddot((int)m, ws->r, 1, ws->z, 1);
    lariat_prep_gap(ws->prep, lambda, c, ws->v, rr, ry, primal, gap);
}

/* Not collective. Newton refinement of the solution (ws->u, its residual in
** ws->r, c, primal and gap) while the gap is not within the tolerance: the
** u-gradient is lambda u - B'r, the step -(B'B + lambda I)^-1 of it by
** Woodbury. */
static void refine(kr_ws *ws, double lambda, double *c, double *primal, double *gap, int *iter)
{
    const int64_t m = ws->m, p = ws->p;
    for (int k = 0; k < KR_MAX_REFINE && lambda > 0.0 && !lariat_prep_converged(ws->prep, *gap, ws->tol); k++) {
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0, ws->B, (int)p, ws->r, 1, 0.0, ws->g, 1);
        for (int64_t j = 0; j < p; j++) ws->g[j] = lambda * ws->u[j] - ws->g[j];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)p, 1.0, ws->B, (int)p, ws->g, 1, 0.0, ws->t, 1);
        /* t <- (K + lambda I)^-1 B g. */
        if (!kernel_solve(ws, lambda, ws->t)) break;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, -1.0, ws->B, (int)p, ws->t, 1, 1.0, ws->g, 1);
        /* u_new = u - g / lambda, tried in g's place. */
        for (int64_t j = 0; j < p; j++) ws->g[j] = ws->u[j] - ws->g[j] / lambda;
        double primal2, gap2;
        evaluate(ws, lambda, ws->g, ws->c_try, &primal2, &gap2);
        ++*iter;
        /* No progress at working precision: keep c. */
        if (!(gap2 < *gap)) break;
        double *swap = ws->u;
        ws->u = ws->g;
        ws->g = swap;
        memcpy(c, ws->c_try, (size_t)p * sizeof(double));
        *primal = primal2;
        *gap = gap2;
    }
}

/* Not collective. The solutions at the k <= kb lambdas lam[0 .. k), each a
** function of its lambda alone, into out + l len: p coefficients, then
** iterations, gap and primal. The products with B for all of them at once
** (matrix-matrix, where one lambda at a time streams B three times): T = Q
** (T + lambda I)^-1 Q'z a column each, u = B'T, the residuals R = z - B u
** and B'R. The block is always kb columns wide (unused ones zero after Q),
** so that a lambda's column goes through the same kernels wherever it
** stands: the path's bits do not depend on how its lambdas were blocked
** (ranks, resumes). */
static void solve_block(kr_ws *ws, const double *lam, int k, double *out, int64_t len)
{
    const int64_t m = ws->m, p = ws->p;
    const int kb = ws->kb;
    /* T's columns: (T + lambda I)^-1 Q'z in T's basis, then all brought
    ** back by Q at once (T column-major, m x kb). */
    /* Unused and failed columns hold Q'z itself: LAPACK's unblocked
    ** reflectors (DLARF, on a kernel of fewer rows than its block) apply to
    ** the columns up to the last nonzero one only, and the products then
    ** change with that count; with no zero column they are always kb. */
    unsigned char ok[KR_BLOCK];
    for (int l = 0; l < kb; l++) {
        /* Not definite (never for lambda > 0 in exact arithmetic): u = 0,
        ** whose gap says so. */
        double *col = ws->Tb + (int64_t)l * m;
        memcpy(col, ws->q, (size_t)m * sizeof(double));
        ok[l] = l < k && lariat_shifted_tri_solve(&ws->tri, shift_of(ws, lam[l]), col);
        if (l < k && !ok[l]) memcpy(col, ws->q, (size_t)m * sizeof(double));
    }
    lariat_shifted_from_tri(&ws->tri, ws->Tb, kb);
    for (int l = 0; l < kb; l++) {
        if (!ok[l]) memset(ws->Tb + (int64_t)l * m, 0, (size_t)m * sizeof(double));
    }
    for (int64_t i = 0; i < m; i++) {
        for (int l = 0; l < kb; l++) ws->Rb[i * kb + l] = ws->z[i];
    }
    /* u = B'T: T is column-major, hence its transpose row-major. */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasTrans, (int)p, kb, (int)m, 1.0, ws->B, (int)p, ws->Tb, (int)m, 0.0,
                ws->Ub, kb);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, kb, (int)p, -1.0, ws->B, (int)p, ws->Ub, kb, 1.0,
                ws->Rb, kb);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, kb, (int)m, 1.0, ws->B, (int)p, ws->Rb, kb, 0.0,
                ws->Vb, kb);
    for (int l = 0; l < k; l++) {
        double *c = out + l * len;
        for (int64_t j = 0; j < p; j++) {
            ws->u[j] = ws->Ub[j * kb + l];
            c[j] = ws->sf[j] > 0.0 ? ws->u[j] / ws->sf[j] : 0.0;
            ws->v[j] = ws->sf[j] * ws->Vb[j * kb + l];
        }
        double rr = 0.0, ry = 0.0;
        for (int64_t i = 0; i < m; i++) {
            ws->r[i] = ws->Rb[i * kb + l];
            rr += ws->r[i] * ws->r[i];
            ry += ws->r[i] * ws->z[i];
        }
        double primal, gap;
        lariat_prep_gap(ws->prep, lam[l], c, ws->v, rr, ry, &primal, &gap);
        int iter = 1;
        refine(ws, lam[l], c, &primal, &gap, &iter);
        c[p] = iter;
        c[p + 1] = gap;
        c[p + 2] = primal;
    }
}

/* Not collective. The solutions of lam[0 .. n) into out (rows of len), in
** blocks of kb. */
static void solve_list(kr_ws *ws, const double *lam, int n, double *out, int64_t len)
{
    for (int at = 0; at < n; at += ws->kb) {
        solve_block(ws, lam + at, n - at < ws->kb ? n - at : ws->kb, out + at * len, len);
    }
}

/* Collective. The path's lambdas, given to create(), solved at the first
** solve(): at P ranks rank r solves the lambdas [n r / P, n (r + 1) / P)
** and one allgather gives every rank all of them. A solution depends on
** its lambda alone and every rank holds the same rows, so these are the
** bits the path makes at one rank (gram.c's ridge_share does the same for
** its Cholesky solutions). */
static int kr_share(kr_ws *ws)
{
    lariat_ctx *ctx = ws->prep->ctx;
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx), n = ws->n_pre;
    const int64_t len = ws->p + KR_SHARE_EXTRA;
    const int k0 = (int)((int64_t)n * me / P), k1 = (int)((int64_t)n * (me + 1) / P);
    solve_list(ws, ws->pre_lambda + k0, k1 - k0, ws->pre + (int64_t)k0 * len, len);
    if (P == 1) return LARIAT_OK;
    int *counts = lariat_malloc(ctx, (size_t)(2 * P), sizeof(int), "ridge path blocks");
    int rc = lariat_agree(ctx, counts != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        int *displs = counts + P;
        for (int r = 0; r < P; r++) {
            displs[r] = (int)((int64_t)n * r / P * len);
            counts[r] = (int)((int64_t)n * (r + 1) / P * len) - displs[r];
        }
        if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ws->pre, counts, displs, MPI_DOUBLE,
                           lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of the ridge path failed");
        }
    }
    free(counts);
    return lariat_agree(ctx, rc);
}

/* Collective by the interface: with the path's lambdas given, the first
** call solves them (this rank's block, then the allgather), and every call
** copies its lambda's solution; another sequence than create()'s is solved
** lambda by lambda, every rank alike. */
static int kr_solve(void *wsv, double lambda, double *c, lariat_solve_info *info)
{
    kr_ws *ws = wsv;
    const int64_t p = ws->p;
    if (ws->n_pre > 0 && !ws->pre_done) {
        ws->pre_done = 1;
        int rc = kr_share(ws);
        if (rc != LARIAT_OK) return rc;
    }
    const double *row = ws->one;
    if (ws->n_pre > 0 && ws->next_pre < ws->n_pre && ws->pre_lambda[ws->next_pre] == lambda) {
        row = ws->pre + (int64_t)(ws->next_pre++) * (p + KR_SHARE_EXTRA);
    } else {
        ws->n_pre = 0;
        solve_block(ws, &lambda, 1, ws->one, p + KR_SHARE_EXTRA);
    }
    memcpy(c, row, (size_t)p * sizeof(double));
    info->iterations = (int)row[p];
    info->gap = row[p + 1];
    info->primal = row[p + 2];
    info->converged = lariat_prep_converged(ws->prep, info->gap, ws->tol);
    return LARIAT_OK;
}

const lariat_solver_ops lariat_solver_kernel_ridge = {"gram", kr_create, kr_solve, kr_destroy, NULL, NULL};
