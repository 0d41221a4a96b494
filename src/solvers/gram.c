/*
** The `gram` solver: coordinate descent on the weighted sufficient statistics.
**
** create() makes the one pass over the data that the whole path needs (none
** when the problem was prepared from sufficient statistics): every rank
** forms its rows' part of the centered weighted Gram matrix, one allreduce
** sums it, and it is scaled to the standardized coordinates of prep.h,
**
**   H = D^-1 (X - 1m')' diag(w) (X - 1m') D^-1 / W,    D = diag(s),
**
** so that the loss of prep.h is 1/2 yy - c'xy + 1/2 c'Hc. After that no step
** touches X again, and the iterations on H and xy are the same wherever they
** run. A small H (below GRAM_SHARED_BYTES) is kept and iterated on by every
** rank alike, so solve() needs no communication at all; a large one by the
** first GRAM_SPLIT_RANKS ranks together, which split the descent's reads of
** H between them (below; ridge's Cholesky by rank 0 alone); a further rank
** keeps no p x p array and receives each solution from rank 0 (p + 4
** numbers a lambda).
**
** solve() is coordinate descent with covariance updates (Friedman, Hastie and
** Tibshirani 2010, J. Stat. Softw. 33(1), section 2.2): it keeps the
** gradient g = xy - Hc, updates one coordinate in closed form and corrects g
** with one column of H. It cycles on the active set, restricts the work to
** the sequential strong set (Tibshirani et al. 2012, J. R. Stat. Soc. B
** 74(2), "Strong rules for discarding predictors") and checks the KKT
** conditions of the discarded features before it stops. The stopping rule is
** the duality gap of prep.h, which costs O(p) here because g is exactly the v
** of lariat_prep_gap.
**
** A large H is read from memory once a sweep (32 MB at p = 2,000), one row
** a moved coordinate, and a rank cannot do the next update before the last:
** on one rank the descent was two thirds of a sparse lasso path and a
** second rank gave nothing. So the ranks that iterate together own a slab
** each of g's entries, [lo, hi), and keep only H's columns of the slab,
** stored as one block of rows (data/stats.h, lariat_stats_gram_slab): a
** move updates each slab from its own block, and a rank holds and reads
** 1/S of H (a Newton step gathers its rows, newton_rows). A
** coordinate's update needs its exact g, which only its slab's owner has:
** the cycle's coordinates go in runs of one owner, the owner decides them
** and broadcasts each GRAM_BLOCK coordinates' moves, and the others apply
** them to their slabs while it goes on (sweep_split). Every entry of g takes
** the same fused multiply-adds in the same order as on one rank
** (linalg/cd_update.h; moves are applied eight at a time, gram_pending, with
** each entry's multiply-adds still in the moves' order), so the iterates and
** the answer are the same bits at any rank count; after a sweep the slabs
** are gathered, so that outside sweeps every rank holds all of g.
**
** On a path, each solve starts from the line through the last two
** solutions (predict_path: the lasso's path is linear in lambda between
** changes of its active set), with g moved along the same line in O(p):
** the 100,000 x 2,000 sparse lasso path took 438 sweeps instead of 584.
**
** When coordinate descent crawls (strongly correlated active columns), one
** Newton step on the free active coordinates with their signs held solves
** the piecewise-quadratic problem exactly on that piece; it is kept only if
** the signs and bounds hold, so the iteration stays a descent method and
** the gap still decides.
**
** Ridge (alpha = 0, no bounds) is solved directly by a Cholesky factorization
** of H + lambda diag(f) on every rank; its gap is computed in the same way,
** and coordinate descent polishes the rare solution it does not certify.
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/stats.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "linalg/cd_update.h"
#include "linalg/shifted.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Lambdas whose solutions are brought back from T's basis together (one
** application of the reflectors to RIDGE_PATH_BLOCK columns: at p = 2,000
** 0.09 s for 112 solutions, against 0.42 s for 100 one at a time). Every
** block is this wide (unused columns filled), so that a lambda's column goes
** through the same kernels wherever it stands. */
#define RIDGE_PATH_BLOCK 16

typedef struct gram_ws {
    const lariat_prep *prep;
    int64_t p;
    int iterates;       /* this rank runs the iterations (every rank, or a split group of a large H) */
    int broadcast;      /* ranks outside the split group receive each solution from rank 0 */
    MPI_Comm split;     /* the ranks that iterate together on a large H (MPI_COMM_NULL otherwise) */
    int nsplit;         /* their number (1 when this rank iterates on its own) */
    int64_t lo, hi;     /* the entries of g this rank keeps exact in a sweep: its slab of H's columns */
    int *counts, *displs; /* nsplit each: the slabs, for gathering g */
    int *fcounts, *fdispls; /* nsplit each: a Newton system's rows by slab, for gathering them */
    double *diag;       /* p: H_jj (on every rank of the group, whose slabs hold it in part) */
    double *relay;      /* 1 + 3 GRAM_BLOCK: a block's moves as its owner broadcasts them */
    int me;             /* this rank's place in the split group (its slab) */
    int mpi_failed;     /* a collective call in the descent failed */
    double tol;
    int max_iter;
    double *H;          /* p x (hi - lo): this rank's slab of the standardized Gram / W (all of it alone) */
    void *H_mem;        /* what holds H: H is its first cache line boundary */
    size_t H_bytes;     /* H_mem's size, for lariat_free_huge */
    double *g;          /* p: xy - H c, the negative gradient of the loss */
    double *c;          /* the caller's coefficients during solve() */
    char *in_strong;    /* p flags: j is in the strong set */
    int64_t *strong;    /* the strong set, as a list */
    int64_t *active;    /* the nonzero coefficients of the strong set */
    int ridge;          /* alpha = 0 and every coefficient free or fixed */
    double *A;          /* p x p: ridge's H + lambda diag(f), or a Newton system */
    double *rhs;        /* p: right-hand side, then solution (ridge and Newton) */
    int64_t *free_set;  /* the active coordinates strictly inside their bounds */
    double *c_save, *g_save; /* p each: the iterate before a final polish */
    double *c_last;     /* p: the coefficients the last solve() returned (every rank) */
    /* The path predictor (predict_path): the solution before last (every
    ** rank) and its lambda, and on an iterating rank the fresh g at the
    ** last two warm starts (g_prev, g_start). */
    double *c_prev, *g_prev, *g_start;
    double lam_prev;
    int n_solved;       /* solve()s so far (from a checkpoint: as the path had made) */
    int restored;       /* set_state ran: c_last is the next warm start, g_prev made from c_prev */
    double *share;      /* p + 4: a broadcast solution (broadcast only) */
    int g_fresh;        /* g is refresh_gradient's at c_last, bit for bit */
    double last_lambda; /* lambda of the previous solve(); 0 before the first */
    int ridge_ok;       /* the last iterate() solved its ridge directly */
    /* Ridge on a small H at several ranks (ridge_share): the path's lambdas,
    ** given to create(), solved a block a rank at the first solve(). */
    double *pre_lambda; /* n_pre: the lambdas to come, in order */
    double *pre;        /* n_pre x (p + RIDGE_SHARE_EXTRA): each solution and its figures */
    int n_pre, next_pre, pre_done;
    /* Ridge along a path by one tridiagonal reduction (ridge_path_solve):
    ** allowed (p and the penalty factors), decided at the first solve, and
    ** its factors in tri (reflectors in A), ey and sfr while tri_ready. */
    int tri_allowed, tri_path, tri_decided, use_tri, tri_ready;
    lariat_shifted tri;
    double *ey, *sfr; /* p each */
    /* The path's lambdas (create()'s list) and a block of RIDGE_PATH_BLOCK
    ** solutions in T's basis and back, made together: X (p x the block,
    ** column-major) holds those of the lambdas from rp_first on. */
    double *rp_lambda, *rp_X;
    int rp_n, rp_first, rp_count;
    /* The block's columns that were solved (lambda > 0, T + lambda I definite). */
    unsigned char rp_ok[RIDGE_PATH_BLOCK];
} gram_ws;

/* A shared ridge solution's figures after its p coefficients: iterations,
** converged, gap, primal, and whether it stands for the path's (ridge_share). */
#define RIDGE_SHARE_EXTRA 5
/* Ridge along a path from this p on is solved through one tridiagonal
** reduction of the scaled H (ridge_path_solve) instead of a Cholesky
** factorization per lambda. Default 100-lambda paths, one rank, solve time
** (2026-12-07, two runs each): p = 350 (20,000 rows) 0.053-0.059 s ->
** 0.008-0.011 s, 500 0.146-0.155 -> 0.016-0.022, 1,000 (5,000 rows) 1.25 ->
** 0.24-0.26, 2,000 (6,000 rows, its Gram pass included) 7.2-8.1 -> 1.37-1.52
** (an eigendecomposition in its place: 0.41-0.47 and 2.1-2.6). From 300 on:
** below, a few milliseconds, and the bench's ridge case (p = 200) keeps its
** bits. */
#define RIDGE_TRI_MIN_P 300

/* The size of H from which the ranks split the descent (see above): four
** times a core's second-level cache here, so that the smaller ones, which
** the caches serve, keep needing no message. */
#define GRAM_SHARED_BYTES ((int64_t)4 << 20)
/* The most ranks that split the descent on a large H (the others wait for
** its solution): each block of a sweep costs them one broadcast, whose
** latency grows with their number while the reads of H each saves shrink. */
#define GRAM_SPLIT_RANKS 8
/* Coordinates of a run per broadcast of their moves (above): 2,000 x 2,000
** sparse lasso path, two ranks: about 11,000 broadcasts for 684,000
** coordinate visits. */
#define GRAM_BLOCK 64
/* Newton steps need a second p x p matrix: only up to this p. */
#define NEWTON_MAX_P 2048
/* Active-set sweeps without convergence before a Newton step is tried, and
** again after twice, four times, ... as many (lariat_prep_newton_due). */
#define NEWTON_AFTER 4
/* A Newton step on m free coordinates costs m^3 / 3 flops for its Cholesky
** factor, a sweep of them at most m p for their updates of g: the step is
** tried only while it costs no more than NEWTON_SWEEPS sweeps or the sweeps
** the solve has spent, whichever is more, the sweeps spent priced in time
** (a factor's flops run up to 8 times as fast: lariat_prep_newton_m2). A fixed
** budget fails one way or the other: larger, the factorizations took most
** of the time of a 100,000 x 2,000 sparse lasso path whose last lambdas
** have 2,000 nonzeros and need 6 sweeps each (docs/performance.md); at 64,
** 800 x 700 columns correlated 0.9 (370-580 free) crept to max_iter at
** every lambda from the 70th. Growing with the sweeps spent, neither. */
#define NEWTON_SWEEPS 64

/* Row j of this rank's slab of H: columns [lo, hi), contiguous. */
static inline const double *slab_row(const gram_ws *ws, int64_t j) { return ws->H + j * (ws->hi - ws->lo); }

/* Moves decided but not yet applied to (a slab of) g: their rows of H and
** minus the moves, in order. They are applied LARIAT_CD_BLOCK at a time by
** one chain kernel (linalg/cd_update.h), which reads and writes g once for
** the block instead of once a move: the same fused multiply-adds in the
** same order, so the same bits as applying each move alone. A coordinate
** decided meanwhile reads its g entry through the same chain
** (pending_entry). */
typedef struct gram_pending {
    const double *rows[LARIAT_CD_BLOCK];
    double by[LARIAT_CD_BLOCK];
    int n;
} gram_pending;

/* Not collective. Applies the pending moves to g[0, len). */
static void pending_flush(gram_pending *pm, double *g, int64_t len)
{
    if (pm->n > 0) lariat_cd_axpy_chain(g, pm->rows, pm->by, pm->n, 0, len);
    pm->n = 0;
}

/* Not collective. Adds g += by row to the pending moves, applying them to
** g[0, len) once there are LARIAT_CD_BLOCK. */
static void pending_add(gram_pending *pm, const double *row, double by, double *g, int64_t len)
{
    pm->rows[pm->n] = row;
    pm->by[pm->n++] = by;
    if (pm->n == LARIAT_CD_BLOCK) pending_flush(pm, g, len);
}

/* Not collective. Entry i of g (now gi) as the pending moves will leave it. */
static double pending_entry(const gram_pending *pm, double gi, int64_t i)
{
    return pm->n > 0 ? lariat_cd_chain_entry(gi, pm->rows, pm->by, pm->n, i) : gi;
}

/* Collective over the split group (nothing without one, nor on a rank
** outside it). Every rank of the group takes the others' slabs of the
** p-vector v. */
static void gather_slabs(gram_ws *ws, double *v)
{
    if (ws->nsplit > 1 && MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v, ws->counts, ws->displs, MPI_DOUBLE,
                                         ws->split) != MPI_SUCCESS) {
        ws->mpi_failed = 1;
    }
}

static void gram_destroy(void *wsv)
{
    gram_ws *ws = wsv;
    if (ws == NULL) return;
    lariat_free_huge(ws->H_mem, ws->H_bytes);
    free(ws->g);
    free(ws->in_strong);
    free(ws->strong);
    free(ws->active);
    free(ws->free_set);
    free(ws->c_save);
    free(ws->g_save);
    free(ws->c_last);
    free(ws->c_prev);
    free(ws->g_prev);
    free(ws->g_start);
    free(ws->share);
    lariat_free_huge(ws->A, (size_t)(ws->p * ws->p) * sizeof(double));
    free(ws->rhs);
    free(ws->diag);
    free(ws->counts);
    free(ws->displs);
    free(ws->fcounts);
    free(ws->relay);
    if (ws->split != MPI_COMM_NULL) MPI_Comm_free(&ws->split);
    free(ws->pre_lambda);
    lariat_shifted_free(&ws->tri);
    free(ws->ey);
    free(ws->rp_lambda);
    free(ws->rp_X);
    free(ws->sfr);
    free(ws->pre);
    free(ws);
}

/* Collective. The one pass over the data: local centered weighted Gram
** (lariat_matrix_gram with shift = m, which keeps sparse storage sparse), one
** allreduce of the p*p block, then the scaling to standardized coordinates.
** A problem prepared from sufficient statistics carries that sum already
** (prep->gram, global): then there is no pass and no reduction. */
static int gram_create(const lariat_prep *prep, const lariat_settings *st, void **out)
{
    lariat_ctx *ctx = prep->ctx;
    int64_t p = prep->p;
    int rc = LARIAT_OK;
    *out = NULL;
    gram_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "gram workspace");
    if (ws == NULL) rc = LARIAT_ENOMEM;
    if (rc == LARIAT_OK && !lariat_blas_fits(p, p)) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "the gram solver cannot hold a %lld x %lld Gram matrix",
                          (long long)p, (long long)p);
    }
    /* Every rank goes on to MPI_Comm_split, or none. */
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        free(ws);
        return rc;
    }
    ws->prep = prep;
    ws->p = p;
    ws->tol = st->tol;
    ws->max_iter = st->max_iter;
    ws->ridge = lariat_prep_ridge_applies(prep);
    ws->split = MPI_COMM_NULL;
    ws->nsplit = 1;
    ws->lo = 0;
    ws->hi = p;
    const int size = lariat_ctx_size(ctx), rank = lariat_ctx_rank(ctx);
    const int large = size > 1 && p * p * (int64_t)sizeof(double) >= GRAM_SHARED_BYTES;
    /* Ridge's Cholesky wants H whole: rank 0 alone runs it. */
    const int split = large && !ws->ridge;
    const int nsplit = !split ? 1 : (size < GRAM_SPLIT_RANKS ? size : GRAM_SPLIT_RANKS);
    ws->broadcast = large && size > nsplit;
    ws->iterates = !large || rank < nsplit;
    /* Collective: every rank of ctx calls it (a rank outside the group gets MPI_COMM_NULL). */
    if (split && MPI_Comm_split(lariat_ctx_comm(ctx), rank < nsplit ? 0 : MPI_UNDEFINED, rank, &ws->split) !=
                     MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Comm_split for the gram descent failed");
    }
    if (rc == LARIAT_OK && split && ws->iterates) {
        ws->nsplit = nsplit;
        ws->lo = lariat_slab_start(p, nsplit, rank);
        ws->hi = lariat_slab_start(p, nsplit, rank + 1);
        ws->counts = lariat_malloc(ctx, (size_t)nsplit, sizeof(int), "gram slab counts");
        ws->displs = lariat_malloc(ctx, (size_t)nsplit, sizeof(int), "gram slab offsets");
        ws->fcounts = lariat_malloc(ctx, (size_t)(2 * nsplit), sizeof(int), "Newton rows by slab");
        ws->fdispls = ws->fcounts != NULL ? ws->fcounts + nsplit : NULL;
        ws->me = rank;
        ws->relay = lariat_malloc(ctx, 1 + 3 * GRAM_BLOCK, sizeof(double), "gram block moves");
        if (ws->counts == NULL || ws->displs == NULL || ws->fcounts == NULL || ws->relay == NULL) {
            rc = LARIAT_ENOMEM;
        } else {
            for (int r = 0; r < nsplit; r++) {
                ws->displs[r] = (int)lariat_slab_start(p, nsplit, r);
                ws->counts[r] = (int)(lariat_slab_start(p, nsplit, r + 1) - ws->displs[r]);
            }
        }
    }
    const int64_t wid = ws->hi - ws->lo;
    if (rc == LARIAT_OK && ws->iterates) {
        /* On a cache line, as g: when a slab's width is a multiple of eight
        ** its rows are too, and the chain kernels' loads split no line.
        ** Written whole right away and read by every sweep: 2 MiB pages from
        ** a 2 MiB boundary, in a mapping of its own returned at free
        ** (core/memory.h). Not from the heap: glibc's aligned_alloc served it
        ** there, which kept the pages of each fold's H after the path freed
        ** it (the sparse CV at two ranks peaked at 199 and 230 MB a rank in
        ** two runs of four, against 129.5); and not by malloc, whose block
        ** began a few bytes past a page, so that its first and last part of
        ** a 2 MiB page, about 2 MiB in all, faulted in 4 KiB pages at every
        ** fold. */
        ws->H_bytes = (size_t)(p * wid) * sizeof(double) + 64;
        ws->H_mem = lariat_malloc_huge(ctx, ws->H_bytes, "Gram matrix");
        ws->H = ws->H_mem == NULL ? NULL : (double *)(((uintptr_t)ws->H_mem + 63) & ~(uintptr_t)63);
        ws->g = lariat_malloc_aligned(ctx, (size_t)p, sizeof(double), "gram gradient");
        ws->diag = lariat_malloc(ctx, (size_t)p, sizeof(double), "gram diagonal");
        ws->in_strong = lariat_malloc(ctx, (size_t)p, 1, "strong set flags");
        ws->strong = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "strong set");
        ws->active = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "active set");
        ws->free_set = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "free set");
        ws->c_save = lariat_malloc(ctx, (size_t)p, sizeof(double), "saved coefficients");
        ws->g_save = lariat_malloc(ctx, (size_t)p, sizeof(double), "saved gradient");
        ws->g_prev = lariat_malloc(ctx, (size_t)p, sizeof(double), "path predictor");
        ws->g_start = lariat_malloc(ctx, (size_t)p, sizeof(double), "path predictor");
        if (ws->ridge || p <= NEWTON_MAX_P) {
            /* Its leading m x m written at a Newton step on m free
            ** coordinates (all of it for a ridge): 2 MiB pages (at p =
            ** 2,000 a step on the whole free set took 7,700 faults). */
            ws->A = lariat_malloc_huge(ctx, (size_t)(p * p) * sizeof(double), "ridge or Newton system");
            ws->rhs = lariat_malloc(ctx, (size_t)p, sizeof(double), "ridge or Newton right-hand side");
        }
        if (ws->H == NULL || ws->g == NULL || ws->diag == NULL || ws->in_strong == NULL ||
            ws->strong == NULL || ws->active == NULL || ws->free_set == NULL || ws->c_save == NULL ||
            ws->g_save == NULL || ws->g_prev == NULL || ws->g_start == NULL ||
            ((ws->ridge || p <= NEWTON_MAX_P) && (ws->A == NULL || ws->rhs == NULL))) {
            rc = LARIAT_ENOMEM;
        }
    }
    /* The reduction of S H S needs every free coefficient penalized; it is
    ** used along a path (or a path resumed, whose list may be one lambda
    ** long: the same bits as the path made), not for a single lambda, whose
    ** one Cholesky factor is cheaper. */
    if (rc == LARIAT_OK && ws->iterates && ws->ridge && p >= RIDGE_TRI_MIN_P) {
        ws->tri_allowed = 1;
        for (int64_t j = 0; j < p; j++) ws->tri_allowed &= lariat_prep_is_fixed(prep, j) || prep->pf[j] > 0.0;
        ws->tri_path = st->lambda != NULL && st->n_lambda_given >= 2;
    }
    if (rc == LARIAT_OK && ws->tri_allowed) {
        ws->ey = lariat_malloc(ctx, (size_t)p, sizeof(double), "ridge path right-hand side");
        ws->sfr = lariat_malloc(ctx, (size_t)p, sizeof(double), "ridge penalty roots");
        ws->rp_X = lariat_malloc(ctx, (size_t)(p * RIDGE_PATH_BLOCK), sizeof(double), "ridge path block");
        ws->rp_n = st->lambda != NULL ? st->n_lambda_given : 0;
        ws->rp_lambda = lariat_malloc(ctx, (size_t)(ws->rp_n > 0 ? ws->rp_n : 1), sizeof(double), "ridge path");
        if (ws->rp_lambda != NULL && ws->rp_n > 0) memcpy(ws->rp_lambda, st->lambda, (size_t)ws->rp_n * sizeof(double));
        ws->rp_first = -1;
        if (ws->ey == NULL || ws->sfr == NULL || ws->rp_X == NULL || ws->rp_lambda == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        ws->c_last = lariat_calloc(ctx, (size_t)p, sizeof(double), "last solution");
        ws->c_prev = lariat_calloc(ctx, (size_t)p, sizeof(double), "path predictor");
        if (ws->c_last == NULL || ws->c_prev == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && ws->broadcast) {
        ws->share = lariat_malloc(ctx, (size_t)(p + 4), sizeof(double), "gram solution buffer");
        if (ws->share == NULL) rc = LARIAT_ENOMEM;
    }
    /* Ridge on a small H, every rank alike: each rank will solve a block of
    ** the path's lambdas instead of all of them (ridge_share). */
    if (rc == LARIAT_OK && ws->ridge && !large && size > 1 && st->lambda != NULL && st->n_lambda_given > 1) {
        ws->n_pre = st->n_lambda_given;
        ws->pre_lambda = lariat_malloc(ctx, (size_t)ws->n_pre, sizeof(double), "ridge path lambdas");
        ws->pre = lariat_malloc(ctx, (size_t)ws->n_pre, (size_t)(p + RIDGE_SHARE_EXTRA) * sizeof(double),
                                "ridge path solutions");
        if (ws->pre_lambda == NULL || ws->pre == NULL) rc = LARIAT_ENOMEM;
        else memcpy(ws->pre_lambda, st->lambda, (size_t)ws->n_pre * sizeof(double));
    }
    if (prep->gram != NULL) {
        /* Built from sufficient statistics (cross-validation): no pass. */
        for (int64_t j = 0; rc == LARIAT_OK && ws->iterates && j < p; j++) {
            memcpy(ws->H + j * wid, prep->gram + j * p + ws->lo, (size_t)wid * sizeof(double));
        }
        rc = lariat_agree(ctx, rc);
    } else {
        rc = lariat_agree(ctx, rc);
        /* A rank outside the group takes part in the sum and keeps nothing. */
        if (rc == LARIAT_OK) {
            rc = lariat_stats_gram_slab(ctx, prep->data, prep->w, prep->mean, ws->nsplit, ws->iterates ? ws->me : 0,
                                        ws->H);
        }
    }
    if (rc != LARIAT_OK) {
        gram_destroy(ws);
        return rc;
    }
    /* H_jk = G_jk / (s_j s_k W); a constant column has inv_scale 0 and so a
    ** zero row and column. Each rank has the diagonal of its slab's columns
    ** and gathers the others' (the same numbers: copies). */
    for (int64_t j = 0; ws->iterates && j < p; j++) {
        double sj = prep->inv_scale[j] / prep->W, *row = ws->H + j * wid;
        for (int64_t k = ws->lo; k < ws->hi; k++) row[k - ws->lo] *= sj * prep->inv_scale[k];
        if (j >= ws->lo && j < ws->hi) ws->diag[j] = row[j - ws->lo];
    }
    gather_slabs(ws, ws->diag);
    if (ws->mpi_failed) {
        gram_destroy(ws);
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of the gram diagonal failed");
    }
    *out = ws;
    return LARIAT_OK;
}

/* Collective over the split group (nothing without one). Every rank of the
** group takes the others' slabs of g: then all of g is exact on each. */
static void gather_gradient(gram_ws *ws) { gather_slabs(ws, ws->g); }

/* Collective over the split group. g = xy - H c from scratch, in O(p
** nnz(c)): the running g of the covariance updates drifts by round-off over
** many updates. Each rank makes its slab, then they gather. */
static void refresh_gradient(gram_ws *ws)
{
    int64_t p = ws->p, lo = ws->lo, hi = ws->hi;
    gram_pending pm = {.n = 0};
    memcpy(ws->g + lo, ws->prep->xy + lo, (size_t)(hi - lo) * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        if (ws->c[j] != 0.0) pending_add(&pm, slab_row(ws, j), -ws->c[j], ws->g + lo, hi - lo);
    }
    pending_flush(&pm, ws->g + lo, hi - lo);
    gather_gradient(ws);
}

/* Not collective. The objective and duality gap at c from g = xy - Hc alone.
** With r = yc - Xs c (prep.h):
**   v  = (1/W) Xs' W r = xy - Hc = g,
**   ry = (1/W) r' W yc = yy - c'xy,
**   rr = (1/W) r' W r  = (1/W) r' W (yc - Xs c) = ry - c'v = yy - c'xy - c'g,
** so the certificate costs two dot products (and prep's O(p |U|) projection
** for the unpenalized columns). */
static void gram_gap(const gram_ws *ws, double lambda, double *primal, double *gap)
{
    const lariat_prep *prep = ws->prep;
    int p = (int)ws->p;
    double ry = prep->yy - cblas_ddot(p, ws->c, 1, prep->xy, 1);
    double rr = ry - cblas_ddot(p, ws->c, 1, ws->g, 1);
    if (rr < 0.0) rr = 0.0; /* round-off at an exact fit */
    lariat_prep_gap(prep, lambda, ws->c, ws->g, rr, ry, primal, gap);
}

/* Not collective. The exact minimizer of the objective over coordinate j
** with the others fixed. As a function of c_j the loss is
** 1/2 H_jj c_j^2 - (g_j + H_jj c_j^old) c_j + const, i.e.
** H_jj/2 (c_j - z)^2 + const with z = c_j^old + g_j / H_jj, so the update is
** the proximal map of the penalty and bounds with step t = 1/H_jj: soft
** thresholding, shrinkage by 1 + lambda (1-alpha) f_j / H_jj and clipping
** (Friedman et al. 2010, section 2.2 with bounds as in glmnet). A column
** with H_jj = 0 does not enter the loss: the penalty alone sets it to the
** point of [lo_j, hi_j] nearest 0, which is the proximal map of 0. */
static double coordinate_min_at(const gram_ws *ws, int64_t j, double gj, double lambda)
{
    double hjj = ws->diag[j];
    if (hjj > 0.0) return lariat_prep_prox(ws->prep, j, ws->c[j] + gj / hjj, 1.0 / hjj, lambda);
    return lariat_prep_prox(ws->prep, j, 0.0, 1.0, lambda);
}

/* Not collective. coordinate_min_at with g_j as g holds it. */
static double coordinate_min(const gram_ws *ws, int64_t j, double lambda)
{
    return coordinate_min_at(ws, j, ws->g[j], lambda);
}

/* Not collective (sweep_alone; sweep_split below is, over the split group).
** One cycle of covariance updates over the m coordinates in idx: each moved
** coordinate corrects g with its column of H (symmetric, so its contiguous
** row), by fused multiply-adds (linalg/cd_update.h). Returns max_j H_jj
** delta_j^2, the size of the largest step in objective units (glmnet's
** convergence measure). */
static double sweep_alone(gram_ws *ws, const int64_t *idx, int64_t m, double lambda)
{
    int64_t p = ws->p;
    double change = 0.0;
    gram_pending pm = {.n = 0};
    for (int64_t k = 0; k < m; k++) {
        int64_t j = idx[k];
        double old = ws->c[j], cj = coordinate_min_at(ws, j, pending_entry(&pm, ws->g[j], j), lambda);
        if (cj == old) continue;
        double delta = cj - old;
        ws->c[j] = cj;
        pending_add(&pm, ws->H + j * p, -delta, ws->g, p);
        double step = ws->diag[j] * delta * delta;
        if (step > change) change = step;
    }
    pending_flush(&pm, ws->g, p);
    return change;
}

/* Not collective. The rank of the split group whose slab holds entry j. */
static int slab_owner(const gram_ws *ws, int64_t j)
{
    int r = 0;
    while (r + 1 < ws->nsplit && j >= ws->displs[r + 1]) r++;
    return r;
}

/* Collective over the split group: sweep_alone's cycle, the entries of g
** split by slabs (see the top of this file). The cycle's coordinates go in
** runs of one owner: the owner decides them, exact in its own slab (it has
** taken every earlier move), and applies each move to its slab at once;
** after each GRAM_BLOCK coordinates of a run it broadcasts their moves
** (coordinate, new value, minus the move), and the other ranks apply them
** to their slabs, in the same order, while it goes on. */
static double sweep_split(gram_ws *ws, const int64_t *idx, int64_t m, double lambda)
{
    const int64_t lo = ws->lo, hi = ws->hi;
    const int me = ws->me;
    double change = 0.0, *msg = ws->relay;
    int moved_any = 0;
    for (int64_t k = 0; k < m;) {
        const int owner = slab_owner(ws, idx[k]);
        int64_t k_end = k + 1;
        while (k_end < m && slab_owner(ws, idx[k_end]) == owner) k_end++;
        for (int64_t c0 = k; c0 < k_end; c0 += GRAM_BLOCK) {
            const int64_t nb = k_end - c0 < GRAM_BLOCK ? k_end - c0 : GRAM_BLOCK;
            if (me == owner) {
                int64_t nmoved = 0;
                gram_pending pm = {.n = 0};
                for (int64_t t = 0; t < nb; t++) {
                    const int64_t j = idx[c0 + t];
                    const double gj = pending_entry(&pm, ws->g[j], j - lo);
                    const double old = ws->c[j], cj = coordinate_min_at(ws, j, gj, lambda);
                    if (cj == old) continue;
                    pending_add(&pm, slab_row(ws, j), -(cj - old), ws->g + lo, hi - lo);
                    ws->c[j] = cj;
                    msg[1 + 3 * nmoved] = (double)j;
                    msg[2 + 3 * nmoved] = cj;
                    msg[3 + 3 * nmoved] = -(cj - old);
                    nmoved++;
                }
                pending_flush(&pm, ws->g + lo, hi - lo);
                msg[0] = (double)nmoved;
            }
            if (MPI_Bcast(msg, 1 + 3 * GRAM_BLOCK, MPI_DOUBLE, owner, ws->split) != MPI_SUCCESS) {
                ws->mpi_failed = 1;
                return 0.0;
            }
            const int64_t nmoved = (int64_t)msg[0];
            gram_pending pm = {.n = 0};
            for (int64_t q = 0; q < nmoved; q++) {
                const int64_t j = (int64_t)msg[1 + 3 * q];
                const double by = msg[3 + 3 * q];
                if (me != owner) {
                    ws->c[j] = msg[2 + 3 * q];
                    pending_add(&pm, slab_row(ws, j), by, ws->g + lo, hi - lo);
                }
                const double step = ws->diag[j] * by * by;
                if (step > change) change = step;
            }
            pending_flush(&pm, ws->g + lo, hi - lo);
            moved_any |= nmoved > 0;
        }
        k = k_end;
    }
    if (moved_any) gather_gradient(ws);
    return change;
}

static double sweep(gram_ws *ws, const int64_t *idx, int64_t m, double lambda)
{
    return ws->nsplit > 1 ? sweep_split(ws, idx, m, lambda) : sweep_alone(ws, idx, m, lambda);
}

/* Collective over the split group. H_FF for lariat_prep_free_newton_step
** (F increasing, lda = m: gram.c has no intercept row). Each rank fills
** the rows t whose F[t] is in its slab, from the slab's columns (H is
** symmetric: H_{F[t], F[u]} is entry (F[u], F[t]) of the slab), and the
** ranks gather the rows: copies, so the same numbers at any rank count. */
static void newton_rows(void *harg, const int64_t *F, int64_t m, double *A, int64_t lda)
{
    gram_ws *ws = harg;
    const int64_t lo = ws->lo, hi = ws->hi, wid = hi - lo;
    int64_t t0 = 0, t1;
    while (t0 < m && F[t0] < lo) t0++;
    for (t1 = t0; t1 < m && F[t1] < hi; t1++) {
        const int64_t col = F[t1] - lo;
        for (int64_t u = 0; u < m; u++) A[t1 * lda + u] = ws->H[F[u] * wid + col];
    }
    if (ws->nsplit == 1) return;
    for (int r = 0, t = 0; r < ws->nsplit; r++) {
        const int64_t end = ws->displs[r] + ws->counts[r];
        int rows = 0;
        while (t < m && F[t] < end) t++, rows++;
        ws->fcounts[r] = (int)(rows * m);
        ws->fdispls[r] = (int)((t - rows) * m);
    }
    if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, A, ws->fcounts, ws->fdispls, MPI_DOUBLE, ws->split) !=
        MPI_SUCCESS) {
        ws->mpi_failed = 1;
    }
}

/* Collective over the split group. Newton's step on the free set
** (lariat_prep_free_newton_step on the Gram model, whose g is the negative
** gradient, no intercept), the same on every rank of the group. Returns 1
** if the step was taken. */
static int active_newton(gram_ws *ws, double lambda, int spent)
{
    if (ws->A == NULL || ws->p > NEWTON_MAX_P) return 0;
    ws->tri_ready = 0; /* A is the Newton system's now */
    int64_t m;
    if (!lariat_prep_free_newton_step(ws->prep, ws->p, lambda, newton_rows, ws, NULL, 0.0, 0,
                                      lariat_prep_newton_m2(NEWTON_SWEEPS, spent, ws->p), -1.0, ws->c, ws->g, NULL,
                                      ws->A, ws->rhs, ws->free_set, &m)) {
        return 0;
    }
    /* g = xy - Hc follows the step with one row of the slab a coordinate, as
    ** after a sweep's moves (the same fused multiply-adds at any rank count). */
    gram_pending pm = {.n = 0};
    for (int64_t t = 0; t < m; t++) {
        const int64_t j = ws->free_set[t];
        ws->c[j] += ws->rhs[t];
        pending_add(&pm, slab_row(ws, j), -ws->rhs[t], ws->g + ws->lo, ws->hi - ws->lo);
    }
    pending_flush(&pm, ws->g + ws->lo, ws->hi - ws->lo);
    gather_gradient(ws);
    return 1;
}

/* Not collective. The sequential strong rule of Tibshirani et al. (2012) in
** its elastic-net form (as in glmnet): with g at the previous solution, feature j
** is discarded at lambda when |g_j| < alpha f_j (2 lambda - lambda_prev).
** Nonzero coefficients, unpenalized features and (through a zero threshold)
** the ridge case are always kept; fixed coefficients never move. */
static void build_strong_set(gram_ws *ws, double lambda, double lambda_prev, int64_t *n_strong)
{
    const lariat_prep *prep = ws->prep;
    int64_t m = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        double thresh = prep->alpha * prep->pf[j] * (2.0 * lambda - lambda_prev);
        int keep = !lariat_prep_is_fixed(prep, j) &&
                   (ws->c[j] != 0.0 || prep->pf[j] == 0.0 || fabs(ws->g[j]) >= thresh);
        ws->in_strong[j] = (char)keep;
        if (keep) ws->strong[m++] = j;
    }
    *n_strong = m;
}

/* Not collective. The KKT check on the discarded features: a feature
** violates its optimality condition exactly when its coordinate update would
** move it. Violators join the strong set; returns how many did. */
static int64_t add_kkt_violators(gram_ws *ws, double lambda, int64_t *n_strong)
{
    int64_t added = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->in_strong[j] || lariat_prep_is_fixed(ws->prep, j)) continue;
        if (coordinate_min(ws, j, lambda) != ws->c[j]) {
            ws->in_strong[j] = 1;
            ws->strong[(*n_strong)++] = j;
            added++;
        }
    }
    return added;
}

/* Not collective. Ridge by Cholesky: (H + lambda diag(f)) c = xy, with each
** fixed coefficient moved to the right-hand side and its equation replaced
** by c_j = lo_j. Column-major LAPACK on the symmetric matrix avoids
** LAPACKE's row-major transposed copy (no allocation per lambda). Returns 0
** when the matrix is not positive definite (lambda f_j = 0 on a rank-deficient
** set), and c is left unchanged for coordinate descent to take over. */
static int ridge_direct(gram_ws *ws, double lambda)
{
    const lariat_prep *prep = ws->prep;
    int64_t p = ws->p;
    memcpy(ws->A, ws->H, (size_t)(p * p) * sizeof(double));
    memcpy(ws->rhs, prep->xy, (size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        if (lariat_prep_is_fixed(prep, j) && prep->lo[j] != 0.0) {
            cblas_daxpy((int)p, -prep->lo[j], ws->H + j * p, 1, ws->rhs, 1);
        }
    }
    for (int64_t j = 0; j < p; j++) {
        if (lariat_prep_is_fixed(prep, j)) {
            for (int64_t k = 0; k < p; k++) ws->A[j * p + k] = ws->A[k * p + j] = 0.0;
            ws->A[j * p + j] = 1.0;
            ws->rhs[j] = prep->lo[j];
        } else {
            ws->A[j * p + j] += lambda * prep->pf[j];
        }
    }
    lapack_int info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)p, 1, ws->A, (lapack_int)p, ws->rhs,
                                         (lapack_int)p);
    if (info != 0) return 0;
    memcpy(ws->c, ws->rhs, (size_t)p * sizeof(double));
    return 1;
}

/* Not collective. Ridge along a path through one tridiagonal reduction:
** the fixed coefficients moved to the right-hand side r (as ridge_direct),
** and with S = diag(f)^(-1/2) on the free coefficients (0 on the fixed), S H
** S = Q T Q' once (linalg/shifted.h: 4/3 p^3 flops against p^3 / 3 for each
** lambda's Cholesky factor), so that every lambda costs a tridiagonal solve
** and one application of Q: c = S Q (T + lambda I)^-1 Q'S r, and c_j = lo_j
** on the fixed. The same H gives the same factors, so the bits do not
** depend on the rank count or on where the path resumed. Returns 0 at
** lambda = 0, when T + lambda I is not positive definite and when the
** reduction fails (ridge_direct and the descent take over); the reflectors
** live in A, which ridge_direct and a descent's Newton step reuse: they
** clear tri_ready. */
static int ridge_path_solve(gram_ws *ws, double lambda)
{
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p;
    if (!(lambda > 0.0)) return 0;
    if (!ws->tri_ready) {
        memcpy(ws->ey, prep->xy, (size_t)p * sizeof(double));
        for (int64_t j = 0; j < p; j++) {
            const int fixed = lariat_prep_is_fixed(prep, j);
            if (fixed && prep->lo[j] != 0.0) cblas_daxpy((int)p, -prep->lo[j], ws->H + j * p, 1, ws->ey, 1);
            ws->sfr[j] = fixed ? 0.0 : 1.0 / sqrt(prep->pf[j]);
        }
        for (int64_t j = 0; j < p; j++) {
            for (int64_t k = 0; k < p; k++) ws->A[j * p + k] = ws->sfr[j] * ws->H[j * p + k] * ws->sfr[k];
            ws->ey[j] *= ws->sfr[j];
        }
        lariat_shifted_free(&ws->tri);
        ws->rp_first = -1;
        if (lariat_shifted_factor(ws->prep->ctx, ws->A, p, RIDGE_PATH_BLOCK, &ws->tri) != LARIAT_OK) {
            ws->use_tri = 0;
            return 0;
        }
        lariat_shifted_to_tri(&ws->tri, ws->ey, 1);
        ws->tri_ready = 1;
    }
    /* The lambda's place in the path (searched from the last block on: the
    ** ranks of ridge_share start at their own), or a block of its own. */
    int at = ws->rp_first < 0 ? 0 : ws->rp_first;
    while (at < ws->rp_n && ws->rp_lambda[at] != lambda) at++;
    const int found = at < ws->rp_n;
    if (!(found && ws->rp_first >= 0 && at < ws->rp_first + ws->rp_count)) {
        const double *lam = found ? ws->rp_lambda + at : &lambda;
        const int count = found ? (ws->rp_n - at < RIDGE_PATH_BLOCK ? ws->rp_n - at : RIDGE_PATH_BLOCK) : 1;
        /* Unused and failed columns hold the right-hand side itself, so
        ** that no column is zero: LAPACK's unblocked reflectors (DLARF)
        ** apply to the columns up to the last nonzero one only. */
        for (int l = 0; l < RIDGE_PATH_BLOCK; l++) {
            double *col = ws->rp_X + l * p;
            memcpy(col, ws->ey, (size_t)p * sizeof(double));
            ws->rp_ok[l] = l < count && lam[l] > 0.0 && lariat_shifted_tri_solve(&ws->tri, lam[l], col);
            if (l < count && !ws->rp_ok[l]) memcpy(col, ws->ey, (size_t)p * sizeof(double));
        }
        lariat_shifted_from_tri(&ws->tri, ws->rp_X, RIDGE_PATH_BLOCK);
        ws->rp_first = found ? at : -1;
        ws->rp_count = found ? count : 0;
    }
    const int col = found ? at - ws->rp_first : 0;
    if (!ws->rp_ok[col]) return 0;
    const double *x = ws->rp_X + (int64_t)col * p;
    for (int64_t j = 0; j < p; j++) ws->c[j] = lariat_prep_is_fixed(prep, j) ? prep->lo[j] : ws->sfr[j] * x[j];
    return 1;
}

/* Collective over the split group. The path predictor: on a path, the warm
** start c is the last solution, c_k-1 at lambda_k-1, and the lasso's
** solution is linear in lambda wherever its active set and signs hold
** (Efron et al. 2004, "Least angle regression", Ann. Statist. 32(2)), so
** c moves on along the line through c_k-2 and c_k-1:
**   c = c_k-1 + t (c_k-1 - c_k-2),  t = (lambda - lambda_k-1) / (lambda_k-1 - lambda_k-2),
** and g = xy - Hc, affine in c, along the same line from the two fresh
** gradients, in O(p) with no read of H. A penalized coordinate whose line
** leaves its sign, or that is 0 at c_k-1, is put at 0, and every
** coordinate in its bounds; each such coordinate's difference from the
** line is a move of g by its row of H, as a sweep's. The descent then
** starts nearer: on the 100,000 x 2,000 sparse lasso path, 438 sweeps
** instead of 584, and 0.318 s against 0.353 s in memory (medians of five
** alternated runs; the elastic net's path is not linear, and the line is
** still near it: 918 sweeps instead of 1,424 on 100,000 x 100 rows). Returns 1 if c and g
** were moved (g is then not fresh: the loop makes it so before it
** certifies), 0 if the lambdas are not a path's last two and the next. */
static int predict_path(gram_ws *ws, double lambda, double *c)
{
    const lariat_prep *prep = ws->prep;
    const int64_t p = ws->p;
    const double lam1 = ws->last_lambda, lam2 = ws->lam_prev;
    if (ws->ridge || ws->n_solved < 2 || !(lam2 > lam1 && lam1 > lambda)) return 0;
    const double t = (lambda - lam1) / (lam1 - lam2);
    double *off = ws->c_save; /* scratch here: the polish sets it later */
    for (int64_t j = 0; j < p; j++) {
        const double line = c[j] + t * (c[j] - ws->c_prev[j]);
        double to = line;
        if (prep->alpha > 0.0 && prep->pf[j] > 0.0 && (c[j] == 0.0 || (line > 0.0) != (c[j] > 0.0))) to = 0.0;
        to = fmin(fmax(to, prep->lo[j]), prep->hi[j]);
        ws->g[j] += t * (ws->g[j] - ws->g_prev[j]);
        off[j] = to - line;
        c[j] = to;
    }
    gram_pending pm = {.n = 0};
    for (int64_t j = 0; j < p; j++) {
        if (off[j] != 0.0) pending_add(&pm, slab_row(ws, j), -off[j], ws->g + ws->lo, ws->hi - ws->lo);
    }
    pending_flush(&pm, ws->g + ws->lo, ws->hi - ws->lo);
    gather_gradient(ws);
    return 1;
}

/* Not collective. The iterations at lambda from the warm start c. */
static void iterate(gram_ws *ws, double lambda, double *c, lariat_solve_info *info)
{
    const lariat_prep *prep = ws->prep;
    int64_t p = ws->p, n_strong = 0;
    int iter = 0, converged = 0;
    double primal = 0.0, gap = 0.0;
    ws->c = c;

    /* A warm start outside the bounds (a fresh zero vector under lo > 0) is
    ** projected first, so every iterate is feasible. */
    for (int64_t j = 0; j < p; j++) c[j] = fmin(fmax(c[j], prep->lo[j]), prep->hi[j]);
    if (!ws->tri_decided) {
        ws->tri_decided = 1;
        ws->use_tri = ws->tri_allowed && (ws->tri_path || ws->restored);
    }
    const int by_tri = ws->ridge && ws->use_tri && ridge_path_solve(ws, lambda);
    ws->ridge_ok = by_tri || (ws->ridge && ridge_direct(ws, lambda));
    if (ws->ridge && !by_tri) ws->tri_ready = 0; /* ridge_direct wrote A */
    if (ws->ridge_ok) iter = 1;
    /* A path warm-starts from the last solution, whose g was made from
    ** scratch before it was returned: that g serves again as it is (the
    ** same bits refresh_gradient would give, a p x nnz(c) pass saved). */
    const int warm = iter == 0 && memcmp(c, ws->c_last, (size_t)p * sizeof(double)) == 0;
    if (!warm || !ws->g_fresh) refresh_gradient(ws);
    /* g is now fresh at c: the gradients at the last two warm starts (the
    ** last two solutions on a path), made again from c_prev when resumed
    ** from a checkpoint (refresh_gradient's bits, as the path had them). */
    double *t = ws->g_prev;
    ws->g_prev = ws->g_start;
    ws->g_start = t;
    memcpy(ws->g_start, ws->g, (size_t)p * sizeof(double));
    if (ws->restored && warm && ws->n_solved >= 2) {
        ws->c = ws->c_prev;
        refresh_gradient(ws);
        memcpy(ws->g_prev, ws->g, (size_t)p * sizeof(double));
        ws->c = c;
        memcpy(ws->g, ws->g_start, (size_t)p * sizeof(double));
    }
    ws->restored = 0;
    /* The prediction is kept only where it lowers the objective below the
    ** warm start's: extrapolated from two solutions that did not converge
    ** (max_iter on badly conditioned columns), it can land anywhere, and on
    ** 800 x 700 columns correlated 0.9 each lambda's prediction compounded
    ** the last's error until the path's objectives grew a millionfold.
    ** Both points' (c, g) are at hand: c_last and g_start are the warm
    ** start's. */
    int predicted = 0;
    gram_gap(ws, lambda, &primal, &gap);
    if (warm) {
        const double primal0 = primal, gap0 = gap;
        if (predict_path(ws, lambda, c)) {
            gram_gap(ws, lambda, &primal, &gap);
            predicted = primal <= primal0;
            if (!predicted) {
                memcpy(c, ws->c_last, (size_t)p * sizeof(double));
                memcpy(ws->g, ws->g_start, (size_t)p * sizeof(double));
                primal = primal0;
                gap = gap0;
            }
        }
    }
    converged = !predicted && lariat_prep_converged(prep, gap, ws->tol);

    /* The previous lambda of the strong rule: the last solve's, or lambda_max
    ** on a first call (the basic strong rule from c = 0). */
    double lambda_prev = ws->last_lambda;
    if (!(lambda_prev >= lambda)) lambda_prev = fmax(lariat_prep_lambda_max(prep), lambda);
    if (!converged) build_strong_set(ws, lambda, lambda_prev, &n_strong);

    /* glmnet's loop: a full cycle over the strong set, then cycles over the
    ** active set until its steps are small, and again; when a full cycle is
    ** quiet, the discarded features are checked and the gap decides. A gap
    ** still too large after a quiet cycle tightens the step threshold. */
    double thr = ws->tol * prep->N0;
    const double still_move = LARIAT_PREP_STILL_MOVE * prep->N0;
    int still = 0;
    while (!converged && iter < ws->max_iter) {
        double change = sweep(ws, ws->strong, n_strong, lambda);
        iter++;
        if (change > still_move) still = 0;
        if (change <= thr) {
            if (add_kkt_violators(ws, lambda, &n_strong) > 0) continue;
            /* The gap on the running g first (O(p)): only when it says
            ** converged is g made afresh (O(p nnz(c))) for the gap that
            ** decides. On the 100,000 x 2,000 sparse lasso path, 238 of
            ** 337 fresh gradients once found the gap still too large; in
            ** a run on 2026-12-06 (before the path predictor), none of 99. */
            gram_gap(ws, lambda, &primal, &gap);
            if (lariat_prep_converged(prep, gap, ws->tol)) {
                refresh_gradient(ws);
                gram_gap(ws, lambda, &primal, &gap);
                converged = lariat_prep_converged(prep, gap, ws->tol);
            }
            thr = fmax(thr * 0.01, still_move);
            /* A cycle that moved nothing, or only by round-off, leaves the
            ** next one the same: below the gap's round-off (a tight --tol on
            ** badly scaled columns) the loop would repeat to max_iter (the
            ** breast cancer columns unstandardized, --tol 1e-10, lambda 5e-4:
            ** fixed from sweep 131, fresh gaps 1e-13 to 2e-12 against the
            ** aim of 4.7e-14; --tol 1e-12, lambda 5e-3: moves of 1e-31 back
            ** and forth; 10,000 sweeps each). The first such cycle makes g
            ** afresh, which may move what the running g could not; a second
            ** in a row ends the solve, whose gap the path then judges. */
            if (!converged && change <= still_move) {
                if (++still == 2) break;
                refresh_gradient(ws);
            }
            continue;
        }
        int64_t n_active = 0;
        for (int64_t k = 0; k < n_strong; k++) {
            if (c[ws->strong[k]] != 0.0) ws->active[n_active++] = ws->strong[k];
        }
        int inner = 0;
        while (n_active > 0 && iter < ws->max_iter) {
            change = sweep(ws, ws->active, n_active, lambda);
            iter++;
            if (change <= thr) break;
            if (lariat_prep_newton_due(++inner, NEWTON_AFTER) && active_newton(ws, lambda, iter)) break;
        }
    }
    if (!converged) {
        refresh_gradient(ws);
        gram_gap(ws, lambda, &primal, &gap);
        converged = lariat_prep_converged(prep, gap, ws->tol);
    }
    /* A certified solution is polished by one Newton step on its piece: the
    ** tolerance bounds the gap, but the exact minimizer costs one small
    ** factorization more. Kept only if the gap shrinks. Always tried, so that
    ** round-off in H (which differs between rank counts) cannot flip the
    ** choice and the answer; and tried where descent stood still short of
    ** the aim. */
    if ((converged || still == 2) && !ws->ridge && gap > 0.0) {
        memcpy(ws->c_save, c, (size_t)p * sizeof(double));
        memcpy(ws->g_save, ws->g, (size_t)p * sizeof(double));
        double primal2 = primal, gap2 = gap;
        if (active_newton(ws, lambda, 0)) {
            refresh_gradient(ws);
            gram_gap(ws, lambda, &primal2, &gap2);
        }
        if (gap2 < gap) {
            primal = primal2;
            gap = gap2;
        } else {
            memcpy(c, ws->c_save, (size_t)p * sizeof(double));
            memcpy(ws->g, ws->g_save, (size_t)p * sizeof(double));
        }
    }
    /* Every way out of the loop and the polish leaves g = refresh_gradient's
    ** at c (the polish restores the saved pair when it does not help). */
    ws->g_fresh = 1;
    ws->c = NULL;
    info->iterations = iter;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
}

/* Collective. The ridge path on a small H at P ranks: every rank would
** make the same p^3 / 3 Cholesky factor at every lambda; instead rank r
** solves the lambdas [n r / P, n (r + 1) / P) of the path (from c, as
** iterate() at each), and one allgather gives every rank all of them. A
** ridge solved directly does not depend on its warm start, only on lambda
** and the lambda before (the strong rule's, in the rare descent after),
** which each block sets as the path would: those solutions are the bits
** the path makes at one rank. One that fell back to coordinate descent (H
** + lambda diag(f) not positive definite) from another warm start than
** the path's is marked, and solve() makes it anew in order. */
static int ridge_share(gram_ws *ws, double *c)
{
    lariat_ctx *ctx = ws->prep->ctx;
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx), n = ws->n_pre;
    const int64_t p = ws->p, len = p + RIDGE_SHARE_EXTRA;
    int *counts = lariat_malloc(ctx, (size_t)(2 * P), sizeof(int), "ridge path blocks");
    double *x = lariat_malloc(ctx, (size_t)p, sizeof(double), "ridge path coefficients");
    int rc = lariat_agree(ctx, counts != NULL && x != NULL && (double)n * (double)len <= (double)INT_MAX
                                   ? LARIAT_OK
                                   : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        int *displs = counts + P;
        for (int r = 0; r < P; r++) {
            displs[r] = (int)((int64_t)n * r / P * len);
            counts[r] = (int)((int64_t)n * (r + 1) / P * len) - displs[r];
        }
        const double last = ws->last_lambda;
        memcpy(x, c, (size_t)p * sizeof(double));
        for (int k = n * me / P; k < n * (me + 1) / P; k++) {
            double *row = ws->pre + (int64_t)k * len;
            lariat_solve_info info = {0};
            ws->last_lambda = k == 0 ? last : ws->pre_lambda[k - 1];
            iterate(ws, ws->pre_lambda[k], x, &info);
            memcpy(row, x, (size_t)p * sizeof(double));
            row[p] = info.iterations;
            row[p + 1] = info.converged;
            row[p + 2] = info.gap;
            row[p + 3] = info.primal;
            /* The path's first lambda starts from the path's warm start. */
            row[p + 4] = ws->ridge_ok || k == 0;
        }
        ws->last_lambda = last;
        ws->g_fresh = 0;
        if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ws->pre, counts, displs, MPI_DOUBLE,
                           lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of the ridge path failed");
        }
    }
    free(counts);
    free(x);
    return rc;
}

/* Not collective. The next lambda's solution from ridge_share, if it has
** one that stands for the path's (into c and info); 0 otherwise, when
** solve() makes it. */
static int ridge_shared(gram_ws *ws, double lambda, double *c, lariat_solve_info *info)
{
    if (ws->next_pre >= ws->n_pre || ws->pre_lambda[ws->next_pre] != lambda) {
        ws->n_pre = 0; /* another sequence than create()'s: solve every lambda */
        return 0;
    }
    const int64_t p = ws->p;
    const double *row = ws->pre + (int64_t)(ws->next_pre++) * (p + RIDGE_SHARE_EXTRA);
    if (row[p + 4] == 0.0) return 0;
    memcpy(c, row, (size_t)p * sizeof(double));
    info->iterations = (int)row[p];
    info->converged = (int)row[p + 1];
    info->gap = row[p + 2];
    info->primal = row[p + 3];
    ws->g_fresh = 0; /* g is not at c: the next iterate() makes it */
    return 1;
}

/* Not collective. What a solve() at lambda that returned c leaves to the
** next: the strong rule's previous lambda, and the path predictor's last
** two solutions (every rank, so that get_state is the same on all). */
static void solved(gram_ws *ws, double lambda, const double *c)
{
    const int64_t p = ws->p;
    double *t = ws->c_prev;
    ws->c_prev = ws->c_last;
    ws->c_last = t;
    memcpy(ws->c_last, c, (size_t)p * sizeof(double));
    ws->lam_prev = ws->last_lambda;
    ws->last_lambda = lambda;
    ws->n_solved++;
}

/* Collective by the interface (every rank calls it). With a small H every
** rank runs the same iterations on the same H and xy, and nothing is sent;
** with a large one rank 0 runs them and broadcasts c and the solve's
** figures (the same bits: they are the numbers rank 0 found). */
static int gram_solve(void *wsv, double lambda, double *c, lariat_solve_info *info)
{
    gram_ws *ws = wsv;
    const int64_t p = ws->p;
    if (ws->n_pre > 0 && !ws->pre_done) {
        ws->pre_done = 1;
        int rc = ridge_share(ws, c);
        if (rc != LARIAT_OK) return rc;
    }
    /* Resumed: the warm start is the path's last solution. */
    if (ws->restored) memcpy(ws->c_last, c, (size_t)p * sizeof(double));
    if (ws->iterates && !(ws->n_pre > 0 && ridge_shared(ws, lambda, c, info))) iterate(ws, lambda, c, info);
    ws->restored = 0;
    if (ws->mpi_failed) return lariat_error(ws->prep->ctx, LARIAT_EMPI, "a collective call of the gram descent failed");
    if (!ws->broadcast) {
        solved(ws, lambda, c);
        return LARIAT_OK;
    }
    double *buf = ws->share;
    if (ws->iterates) {
        memcpy(buf, c, (size_t)p * sizeof(double));
        buf[p] = info->iterations;
        buf[p + 1] = info->converged;
        buf[p + 2] = info->gap;
        buf[p + 3] = info->primal;
    }
    lariat_ctx *ctx = ws->prep->ctx;
    if (MPI_Bcast(buf, (int)(p + 4), MPI_DOUBLE, 0, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of a gram solution failed");
    }
    if (!ws->iterates) {
        memcpy(c, buf, (size_t)p * sizeof(double));
        info->iterations = (int)buf[p];
        info->converged = (int)buf[p + 1];
        info->gap = buf[p + 2];
        info->primal = buf[p + 3];
    }
    solved(ws, lambda, c);
    return LARIAT_OK;
}

/* Not collective. What one solve() leaves to the next besides c (g, the
** strong and active sets are rebuilt from c): the strong rule's previous
** lambda, which a resumed path must see to screen alike, and the path
** predictor's count of solutions made (0, 1, or 2 for two or more) and,
** from two, the solution before last and its lambda: [last_lambda, count,
** lam_prev, c_prev (p)]. The predictor's gradients are made again from them
** (refresh_gradient's bits). A checkpoint of one value (written before the
** predictor) resumes as a path that starts there. */
static int gram_get_state(const void *wsv, double *state)
{
    const gram_ws *ws = wsv;
    state[0] = ws->last_lambda;
    state[1] = ws->n_solved < 2 ? ws->n_solved : 2;
    if (ws->n_solved < 2) return 2;
    state[2] = ws->lam_prev;
    memcpy(state + 3, ws->c_prev, (size_t)ws->p * sizeof(double));
    return (int)(3 + ws->p);
}

static void gram_set_state(void *wsv, const double *state, int n)
{
    gram_ws *ws = wsv;
    if (n >= 1) ws->last_lambda = state[0];
    if (n >= 2) {
        ws->n_solved = (int)state[1];
        ws->restored = 1;
    }
    if (n == 3 + ws->p) {
        ws->lam_prev = state[2];
        memcpy(ws->c_prev, state + 3, (size_t)ws->p * sizeof(double));
    }
}

const lariat_solver_ops lariat_solver_gram = {"gram", gram_create, gram_solve, gram_destroy, gram_get_state,
                                              gram_set_state};
