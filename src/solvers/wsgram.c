/*
** The `gram` solver for wide data: coordinate descent with covariance
** updates, as in gram.c, on the columns of the Gram matrix that the strong
** rules ask for, formed when a feature first moves.
**
** gram.c forms the whole standardized Gram H = Xs'WXs / W (prep.h's notation)
** in one pass: n p^2 flops and p^2 doubles, which a wide problem (p = 10,000
** and more) cannot afford, and mostly does not need: along a lasso or
** elastic-net path only the features of the strong sets (Tibshirani et al.
** 2012, J. R. Stat. Soc. B 74(2)) ever move, and a coordinate update needs
** only its own column of H. glmnet's covariance method keeps such columns for
** the features that became active (Friedman, Hastie and Tibshirani 2010, J.
** Stat. Softw. 33(1), section 2.2); so does this solver. A feature of a
** strong set whose coefficient is zero needs no column: its gradient entry
** comes from the columns of the nonzero ones. A column is formed when its
** feature would first move (in a cycle over S, which then leaves it in place
** and asks for the columns of all such features at its end; or as a KKT
** violator), up to WSG_BATCH at a time with one product per row block
** (lariat_matrix_gram_cols: linalg/gemm_tn.h's kernel, or DGEMM) and one
** reduction of p values per column, and kept for the rest of the path. On the
** wide bench path (2,000 x 10,000) 444 columns were formed when every member
** of a strong set had one; 258 features are ever nonzero. Nothing else
** communicates: every rank holds the same columns and runs the same
** iterations.
**
** With c the coefficients and A = {j : c_j != 0} (all cached), the negative
** gradient of the loss is g = xy - sum_{j in A} c_j H_j. The sweeps work on
** the strong set S alone, in a compact copy: gS = g_S and the |S| x |S| block
** HSS (row q is the column of feature S[q] restricted to S, filled once that
** column exists), so that a moved coordinate costs one contiguous DAXPY of
** length |S|. g is recomputed in full from the columns before the KKT check
** of the features outside S and before the duality gap of prep.h, which it
** gives in O(p) as in gram.c (v = g, ry = yy - c'xy, rr = ry - c'g). The
** diagonal H_jj is prep->xx[j], known for every j without its column.
**
** Memory: p doubles touched per column formed (in address space reserved for
** up to p columns at once, WSG_RESERVE_BYTES) and |S|^2 for HSS, grown
** between sweeps (never inside one). It suits paths whose strong sets stay
** small next to n and p (dense wide data: a few hundred features of 10,000);
** when thousands of features enter (sparse, nearly orthogonal columns deep
** into the path) a cycle costs |S|^2 and naive coordinate descent on the rows
** would be cheaper.
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns formed per allreduce: a batch is p x WSG_BATCH doubles, and its
** tile sums hold p x WSG_BATCH binned entries (32 bytes each). 32 rather
** than 64: the wide fit's peak RSS 3 MB lower and its solve no slower (the
** entries a tile deposits stay in the second-level cache); 16 was slower
** on the wide CV (6.95 s against 6.28, three alternated runs), 12 on the fit. */
#define WSG_BATCH 32
/* A pass that forms columns forms at least this many (when p allows): the
** features nearest to entering fill the batch, because a pass over X costs
** about as much for one column as for a few. With linalg/gemm_tn.c's
** kernel (no packing of X) 16 measured best on the wide bench case: the
** CV 5.79-6.42 s against 6.68-7.08 with 32 (three alternated runs), the
** fit's solve 0.46-0.50 s against 0.58-0.61 with 32 and 0.52-0.57 with 8;
** with OpenBLAS's DGEMM, 32 was about as good as 16, 8 and 4 slower. */
#define WSG_MIN_BATCH 16
/* Strong-set members the compact buffers hold at first; they grow when
** full. */
#define WSG_FIRST_CAP 64
/* Address space the column cache reserves at first: room for every column
** when p doubles take at most this much, else for as many as fit (at least
** WSG_FIRST_CAP); beyond, it doubles by realloc. Only the pages of the
** columns formed are ever touched, so the reserve costs no memory; growing
** by realloc did: on the wide CV (eleven paths of about 420 columns of
** 80 KB) the copies and the page faults of the grown blocks had 12% of the
** samples (glibc serves blocks under its dynamic mmap threshold, up to
** 32 MiB, from the heap, where realloc copies), and the CV took 14% less
** time without them. A reserve that cannot be had (a limit on address
** space) falls back to WSG_FIRST_CAP columns. */
#define WSG_RESERVE_BYTES ((int64_t)1 << 30)
/* Newton steps on the free active coordinates, after this many active-set
** sweeps without convergence (gram.c's NEWTON_AFTER), on at most
** WSG_NEWTON_MAX of them (a factorization of m^3 / 3 flops). */
#define WSG_NEWTON_AFTER 4
#define WSG_NEWTON_MAX 1024

typedef struct wsg_ws {
    const lariat_prep *prep;
    int64_t p;
    double tol;
    int max_iter;
    /* The column cache: cols + slot[j] * p is the column of feature j. */
    double *cols;
    int64_t *slot;      /* p: the cache slot of feature j, -1 when not formed */
    int64_t ncols, cap; /* columns held, columns allocated */
    int64_t *want;      /* p: features whose columns are to be formed */
    double *batch;      /* p x WSG_BATCH: one batch before scaling */
    lariat_tilesum *ts; /* the batch's sums over tiles of rows (data/tiles.h) */
    const int64_t *batch_idx; /* the batch being formed: its kb features */
    int64_t batch_k;
    int tile_rc;
    double *g;          /* p: xy - H c at the last refresh */
    double *c;          /* the caller's coefficients during solve() */
    /* The strong set and its compact copy. */
    int64_t *strong;    /* S, as a list of features */
    int64_t *spos;      /* p: the position of feature j in S, -1 outside */
    int64_t m;          /* |S| */
    int64_t hcap;       /* members HSS and the lists below hold */
    double *HSS;        /* hcap x hcap, row q (stride hcap) = H[S, S[q]] */
    unsigned char *row_ok; /* hcap: row q of HSS is filled */
    int64_t npend;      /* features of S a cycle left in place for want of a column (in want) */
    double *gS;         /* hcap: g on S, kept current by the sweeps */
    int64_t *active;    /* hcap: positions in S of the nonzero coefficients */
    double *A, *rhs;    /* ncap x ncap and ncap: the Newton system */
    int64_t ncap;       /* min(hcap, WSG_NEWTON_MAX) */
    double last_lambda; /* lambda of the previous solve(); 0 before the first */
} wsg_ws;

/* One tile's Gram columns of the batch being formed. */
static void gram_cols_tile(void *arg, int64_t i0, int64_t m, double *part)
{
    wsg_ws *ws = arg;
    const lariat_prep *prep = ws->prep;
    const lariat_matrix tile = lariat_matrix_row_view(prep->data->X, i0, m);
    int rc = lariat_matrix_gram_cols(prep->ctx, &tile, prep->w + i0, prep->mean, ws->batch_idx, ws->batch_k, part);
    if (rc != LARIAT_OK) ws->tile_rc = rc;
}

static void wsg_destroy(void *wsv)
{
    wsg_ws *ws = wsv;
    if (ws == NULL) return;
    free(ws->cols);
    free(ws->slot);
    free(ws->want);
    free(ws->batch);
    lariat_tilesum_destroy(ws->ts);
    free(ws->g);
    free(ws->strong);
    free(ws->spos);
    free(ws->HSS);
    free(ws->row_ok);
    free(ws->gS);
    free(ws->active);
    free(ws->A);
    free(ws->rhs);
    free(ws);
}

/* Not collective. Makes room for hcap strong-set members in the compact
** buffers (their contents are rebuilt by the caller). Returns 0 when out of
** memory, leaving the old buffers in place. */
static int grow_compact(wsg_ws *ws, int64_t hcap)
{
    const int64_t ncap = hcap < WSG_NEWTON_MAX ? hcap : WSG_NEWTON_MAX;
    double *HSS = malloc((size_t)(hcap * hcap) * sizeof(double));
    unsigned char *row_ok = calloc((size_t)hcap, 1);
    double *A = malloc((size_t)(ncap * ncap) * sizeof(double));
    double *gS = malloc((size_t)hcap * sizeof(double));
    double *rhs = malloc((size_t)ncap * sizeof(double));
    int64_t *active = malloc((size_t)hcap * sizeof(int64_t));
    if (HSS == NULL || row_ok == NULL || A == NULL || gS == NULL || rhs == NULL || active == NULL) {
        free(HSS);
        free(row_ok);
        free(A);
        free(gS);
        free(rhs);
        free(active);
        return 0;
    }
    free(ws->HSS);
    free(ws->row_ok);
    free(ws->A);
    free(ws->gS);
    free(ws->rhs);
    free(ws->active);
    ws->HSS = HSS;
    ws->row_ok = row_ok;
    ws->A = A;
    ws->gS = gS;
    ws->rhs = rhs;
    ws->active = active;
    ws->hcap = hcap;
    ws->ncap = ncap;
    return 1;
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
        const int64_t first = p < WSG_FIRST_CAP ? p : WSG_FIRST_CAP;
        ws->cap = WSG_RESERVE_BYTES / (p * (int64_t)sizeof(double));
        if (ws->cap < first) ws->cap = first;
        if (ws->cap > p) ws->cap = p;
        ws->cols = malloc((size_t)(p * ws->cap) * sizeof(double));
        if (ws->cols == NULL && ws->cap > first) {
            ws->cap = first;
            ws->cols = lariat_malloc(ctx, (size_t)(p * ws->cap), sizeof(double), "Gram columns");
        }
        /* Written column by column as they are formed: 2 MiB pages. */
        lariat_advise_huge(ws->cols, (size_t)(p * ws->cap) * sizeof(double));
        ws->slot = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram column slots");
        ws->want = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram columns wanted");
        ws->batch = lariat_malloc(ctx, (size_t)(p * WSG_BATCH), sizeof(double), "Gram column batch");
        ws->g = lariat_malloc(ctx, (size_t)p, sizeof(double), "gram gradient");
        ws->strong = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "strong set");
        ws->spos = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "strong set positions");
        if (ws->cols == NULL || ws->slot == NULL || ws->want == NULL || ws->batch == NULL || ws->g == NULL ||
            ws->strong == NULL || ws->spos == NULL || !grow_compact(ws, first)) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory for the gram workspace (p = %lld)", (long long)p);
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_tilesum_create(ctx, prep->data, p * WSG_BATCH, &ws->ts);
    if (rc != LARIAT_OK) {
        wsg_destroy(ws);
        return rc;
    }
    for (int64_t j = 0; j < p; j++) ws->slot[j] = ws->spos[j] = -1;
    *out = ws;
    return LARIAT_OK;
}

/* Not collective. The look-ahead key of feature j: |g_j| / f_j, the lambda
** at which it would enter were g to stay as it is. */
static double entry_key(const wsg_ws *ws, int64_t j) { return fabs(ws->g[j]) / ws->prep->pf[j]; }

/* Not collective. Appends to ws->want[k..] up to WSG_MIN_BATCH - k features
** without a column, the largest entry_key first (those the strong rule and
** the KKT check ask for next), and returns the new count. g must be fresh;
** the choice follows from g alone (ties: the smaller index), the same on
** every rank. Fixed and unpenalized features are never candidates (the
** latter are in every strong set). */
static int64_t look_ahead(wsg_ws *ws, int64_t k)
{
    const lariat_prep *prep = ws->prep;
    int64_t *want = ws->want, *best = ws->want + k;
    const int64_t room = WSG_MIN_BATCH - k;
    int64_t n = 0;
    for (int64_t t = 0; t < k; t++) ws->slot[want[t]] = -2; /* asked for already */
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->slot[j] != -1 || lariat_prep_is_fixed(prep, j) || prep->pf[j] == 0.0) continue;
        const double key = entry_key(ws, j);
        if (n == room && !(key > entry_key(ws, best[n - 1]))) continue;
        /* Insertion into best[0..n), kept in decreasing key order. */
        int64_t r = n < room ? n++ : n - 1;
        while (r > 0 && key > entry_key(ws, best[r - 1])) {
            best[r] = best[r - 1];
            r--;
        }
        best[r] = j;
    }
    for (int64_t t = 0; t < k; t++) ws->slot[want[t]] = -1;
    return k + n;
}

/* Collective. Forms the columns of the m features in ws->want that are not
** cached yet, WSG_BATCH per pass over the rows: the local centered weighted
** sums (lariat_matrix_gram_cols about the means), one allreduce, then the
** scaling of prep.h, H_lj = G_lj / (s_l s_j W). With fresh set, a batch
** smaller than WSG_MIN_BATCH is filled up by look_ahead. Every rank asks
** for the same features (they follow from global quantities), so all take
** part alike. */
static int form_columns(wsg_ws *ws, int64_t m, int fresh)
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
    if (fresh && k < WSG_MIN_BATCH) k = look_ahead(ws, k);
    int rc = LARIAT_OK;
    if (ws->ncols + k > ws->cap) {
        /* Doubling keeps the number of reallocations logarithmic in p. */
        int64_t cap = ws->cap;
        while (cap < ws->ncols + k) cap *= 2;
        if (cap > p) cap = p;
        double *grown = realloc(ws->cols, (size_t)(p * cap) * sizeof(double));
        if (grown == NULL) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory for %lld Gram columns of %lld values",
                              (long long)cap, (long long)p);
        } else {
            ws->cols = grown;
            ws->cap = cap;
            lariat_advise_huge(ws->cols, (size_t)(p * cap) * sizeof(double));
        }
    }
    rc = lariat_agree(ctx, rc);
    for (int64_t t0 = 0; rc == LARIAT_OK && t0 < k; t0 += WSG_BATCH) {
        const int64_t kb = k - t0 < WSG_BATCH ? k - t0 : WSG_BATCH;
        ws->batch_idx = ws->want + t0;
        ws->batch_k = kb;
        ws->tile_rc = LARIAT_OK;
        rc = lariat_tilesum_run(ws->ts, p * kb, gram_cols_tile, ws, ws->batch);
        if (rc == LARIAT_OK) rc = lariat_agree(ctx, ws->tile_rc);
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
    return form_columns(ws, m, 0);
}

/* Not collective. g = xy - sum_{c_j != 0} c_j H_j over all p entries, and
** gS = g_S. */
static void refresh_gradient(wsg_ws *ws)
{
    const int64_t p = ws->p;
    memcpy(ws->g, ws->prep->xy, (size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        if (ws->c[j] != 0.0) cblas_daxpy((int)p, -ws->c[j], ws->cols + ws->slot[j] * p, 1, ws->g, 1);
    }
    for (int64_t q = 0; q < ws->m; q++) ws->gS[q] = ws->g[ws->strong[q]];
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

/* Not collective. The exact minimizer over coordinate j given its gradient
** entry gj (gram.c's coordinate_min with H_jj = xx_j). */
static double coordinate_min(const wsg_ws *ws, int64_t j, double gj, double lambda)
{
    const double hjj = ws->prep->xx[j];
    if (hjj > 0.0) return lariat_prep_prox(ws->prep, j, ws->c[j] + gj / hjj, 1.0 / hjj, lambda);
    return lariat_prep_prox(ws->prep, j, 0.0, 1.0, lambda);
}

/* Not collective. Fills the rows of HSS whose features have columns: row
** q holds the column of S[q] at S's features. S's members before position
** q0 are those of the last call: a row among them filled then keeps its
** entries before q0; any other row with a column is filled whole. */
static void fill_compact(wsg_ws *ws, int64_t q0)
{
    const int64_t p = ws->p, m = ws->m, ld = ws->hcap;
    for (int64_t q = 0; q < m; q++) {
        const int64_t slot = ws->slot[ws->strong[q]];
        if (slot < 0) {
            ws->row_ok[q] = 0;
            continue;
        }
        const double *col = ws->cols + slot * p;
        double *row = ws->HSS + q * ld;
        for (int64_t r = q < q0 && ws->row_ok[q] ? q0 : 0; r < m; r++) row[r] = col[ws->strong[r]];
        ws->row_ok[q] = 1;
    }
}

/* Collective. Adds the n features of ws->want (outside S) to S: their
** columns when `columns` is set (features about to move), room in the
** compact buffers, and their rows and columns of HSS. */
static int extend_strong_set(wsg_ws *ws, int64_t n, int columns)
{
    const int64_t m0 = ws->m;
    for (int64_t t = 0; t < n; t++) {
        ws->spos[ws->want[t]] = ws->m;
        ws->strong[ws->m++] = ws->want[t];
    }
    int rc = columns ? form_columns(ws, n, 1) : LARIAT_OK;
    int grow = LARIAT_OK;
    if (rc == LARIAT_OK && ws->m > ws->hcap) {
        /* Growth by a quarter at least: the block is quadratic in hcap, so
        ** doubling could overshoot the need fourfold. */
        int64_t hcap = ws->hcap + ws->hcap / 4;
        if (hcap < ws->m) hcap = ws->m;
        if (hcap > ws->p) hcap = ws->p;
        if (!grow_compact(ws, hcap)) {
            grow = lariat_error(ws->prep->ctx, LARIAT_ENOMEM, "out of memory for a strong set of %lld features",
                                (long long)ws->m);
        }
        rc = lariat_agree(ws->prep->ctx, grow);
        if (rc == LARIAT_OK) {
            fill_compact(ws, 0);
            return LARIAT_OK;
        }
    }
    if (rc == LARIAT_OK) fill_compact(ws, m0);
    return rc;
}

/* Not collective. One cycle of covariance updates over the n positions in
** pos: a moved coordinate corrects gS with its row of HSS. A coordinate
** that would move but has no column yet (its coefficient is zero) stays,
** and is listed in ws->want[0, ws->npend) for form_pending. Returns
** max_j H_jj delta_j^2 (glmnet's convergence measure). */
static double sweep(wsg_ws *ws, const int64_t *pos, int64_t n, double lambda)
{
    const int64_t ld = ws->hcap;
    const int m = (int)ws->m;
    double change = 0.0;
    ws->npend = 0;
    for (int64_t k = 0; k < n; k++) {
        const int64_t q = pos[k], j = ws->strong[q];
        const double old = ws->c[j], cj = coordinate_min(ws, j, ws->gS[q], lambda);
        if (cj == old) continue;
        if (!ws->row_ok[q]) {
            ws->want[ws->npend++] = j;
            continue;
        }
        const double delta = cj - old;
        ws->c[j] = cj;
        cblas_daxpy(m, -delta, ws->HSS + q * ld, 1, ws->gS, 1);
        const double step = ws->prep->xx[j] * delta * delta;
        if (step > change) change = step;
    }
    return change;
}

/* Not collective. Newton's step on the free set F (nonzero coefficients
** strictly inside their bounds) with the signs held: there the objective is
** quadratic and its minimizer over F solves
**   (H_FF + lambda (1-alpha) diag(f_F)) delta
**       = g_F - lambda (1-alpha) f_F c_F - lambda alpha f_F sign(c_F)
** (gram.c's active_newton). Where the full step would flip a sign or leave
** the bounds, the step stops at the first such breakpoint t in (0, 1) and
** puts that coordinate exactly at 0 or at its bound: up to there the
** objective equals the quadratic, which decreases all along the segment to
** its minimizer, so the step is a descent step either way (the active-set
** move of Kim and Park 2010, "Fast active-set-type algorithms for
** L1-regularized linear regression", AISTATS, section 3). gS follows with
** one row of HSS per coordinate. Returns 1 when the full step was taken. */
static int active_newton(wsg_ws *ws, double lambda)
{
    const lariat_prep *prep = ws->prep;
    const int64_t ld = ws->hcap;
    const double a = prep->alpha;
    int64_t *F = ws->active; /* the caller's active list is rebuilt after this */
    int64_t nf = 0;
    for (int64_t q = 0; q < ws->m; q++) {
        const int64_t j = ws->strong[q];
        const double cj = ws->c[j];
        if (cj != 0.0 && cj > prep->lo[j] && cj < prep->hi[j]) F[nf++] = q;
    }
    if (nf == 0 || nf > ws->ncap) return 0;
    for (int64_t r = 0; r < nf; r++) {
        const int64_t j = ws->strong[F[r]];
        const double q = lambda * (1.0 - a) * prep->pf[j], tau = lambda * a * prep->pf[j];
        ws->rhs[r] = ws->gS[F[r]] - q * ws->c[j] - tau * (ws->c[j] > 0.0 ? 1.0 : -1.0);
        for (int64_t t = 0; t < nf; t++) ws->A[r * nf + t] = ws->HSS[F[r] * ld + F[t]];
        ws->A[r * nf + r] += q;
    }
    if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)nf, 1, ws->A, (lapack_int)nf, ws->rhs,
                           (lapack_int)nf) != 0) {
        return 0;
    }
    /* The first breakpoint along c_F + t delta: a coefficient reaching 0
    ** (its sign would flip) or a bound, whichever comes first. */
    double t = 1.0, stop_value = 0.0;
    int64_t stop = -1;
    for (int64_t r = 0; r < nf; r++) {
        const int64_t j = ws->strong[F[r]];
        const double cj = ws->c[j], d = ws->rhs[r];
        if (d == 0.0) continue;
        const double bound = d > 0.0 ? prep->hi[j] : prep->lo[j];
        const double tz = (cj > 0.0) != (d > 0.0) ? -cj / d : INFINITY, tb = (bound - cj) / d;
        if (fmin(tz, tb) < t) {
            t = fmin(tz, tb);
            stop = r;
            stop_value = tz <= tb ? 0.0 : bound;
        }
    }
    const int m = (int)ws->m;
    for (int64_t r = 0; r < nf; r++) {
        const int64_t j = ws->strong[F[r]];
        const double nc = r == stop ? stop_value : fmin(fmax(ws->c[j] + t * ws->rhs[r], prep->lo[j]), prep->hi[j]);
        const double delta = nc - ws->c[j];
        if (delta == 0.0) continue;
        ws->c[j] = nc;
        cblas_daxpy(m, -delta, ws->HSS + F[r] * ld, 1, ws->gS, 1);
    }
    return stop < 0;
}

/* Collective. The columns of the features a cycle left in place (sweep's
** ws->want[0, ws->npend)), with look_ahead's, and their rows of HSS. Every
** rank lists the same features: the cycle is the same on every rank. */
static int form_pending(wsg_ws *ws)
{
    int rc = form_columns(ws, ws->npend, 1);
    if (rc == LARIAT_OK) fill_compact(ws, ws->m);
    ws->npend = 0;
    return rc;
}

/* Collective. The sequential strong rule (gram.c's build_strong_set) from a
** fresh g, then the compact block (rows for the members with columns). */
static int build_strong_set(wsg_ws *ws, double lambda, double lambda_prev)
{
    const lariat_prep *prep = ws->prep;
    int64_t n = 0;
    for (int64_t q = 0; q < ws->m; q++) ws->spos[ws->strong[q]] = -1;
    ws->m = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        const double thresh = prep->alpha * prep->pf[j] * (2.0 * lambda - lambda_prev);
        if (!lariat_prep_is_fixed(prep, j) && (ws->c[j] != 0.0 || prep->pf[j] == 0.0 || fabs(ws->g[j]) >= thresh)) {
            ws->want[n++] = j;
        }
    }
    int rc = extend_strong_set(ws, n, 0);
    if (rc == LARIAT_OK) {
        for (int64_t q = 0; q < ws->m; q++) ws->gS[q] = ws->g[ws->strong[q]];
    }
    return rc;
}

/* Collective. The KKT check of the features outside S against a fresh g:
** a feature violates its optimality condition exactly when its coordinate
** update would move it. Violators join S (with their columns); *added says
** how many did. */
static int add_kkt_violators(wsg_ws *ws, double lambda, int64_t *added)
{
    int64_t n = 0;
    const int64_t m0 = ws->m;
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->spos[j] >= 0 || lariat_prep_is_fixed(ws->prep, j)) continue;
        if (coordinate_min(ws, j, ws->g[j], lambda) != ws->c[j]) ws->want[n++] = j;
    }
    *added = n;
    int rc = n > 0 ? extend_strong_set(ws, n, 1) : LARIAT_OK;
    if (rc == LARIAT_OK) {
        for (int64_t q = m0; q < ws->m; q++) ws->gS[q] = ws->g[ws->strong[q]];
    }
    return rc;
}

/* Collective (new columns are summed across ranks); otherwise every rank
** runs the same iterations on the same columns. The loop is gram.c's:
** a cycle over S, cycles over the active set until its steps are small (with
** a Newton step when they stay large), and when a cycle over S is quiet, the
** KKT check outside S, then the gap; a gap still too large tightens the step
** threshold. */
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
    const double still_move = LARIAT_PREP_STILL_MOVE * prep->N0;
    int still = 0;
    while (rc == LARIAT_OK && !converged && iter < ws->max_iter) {
        /* Every position of S, in order: the active list's buffer holds them. */
        int64_t *all = ws->active;
        for (int64_t q = 0; q < ws->m; q++) all[q] = q;
        double change = sweep(ws, all, ws->m, lambda);
        iter++;
        if (change > still_move) still = 0;
        if (ws->npend > 0) {
            /* They move in the next cycle over S. */
            rc = form_pending(ws);
            continue;
        }
        if (change <= thr) {
            int64_t added = 0;
            refresh_gradient(ws);
            rc = add_kkt_violators(ws, lambda, &added);
            if (rc != LARIAT_OK || added > 0) continue;
            wsg_gap(ws, lambda, &primal, &gap);
            converged = lariat_prep_converged(prep, gap, ws->tol);
            thr = fmax(thr * 0.01, still_move);
            /* Descent that stands still below the gap's round-off would
            ** repeat to max_iter (gram.c, LARIAT_PREP_STILL_MOVE: glmnet_wide
            ** at the reference suite's tol 1e-14, 1.4 million sweeps). */
            if (!converged && change <= still_move && ++still == 2) break;
            continue;
        }
        int inner = 0;
        while (iter < ws->max_iter) {
            int64_t n_active = 0;
            for (int64_t q = 0; q < ws->m; q++) {
                if (c[ws->strong[q]] != 0.0) ws->active[n_active++] = q;
            }
            if (n_active == 0) break;
            change = sweep(ws, ws->active, n_active, lambda);
            iter++;
            if (change <= thr) break;
            if (++inner % WSG_NEWTON_AFTER == 0 && active_newton(ws, lambda)) break;
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
