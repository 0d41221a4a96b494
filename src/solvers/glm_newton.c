/*
** The `gram` solver of the cross-entropy families: a proximal Newton method
** (Lee, Sun and Saunders 2014, SIAM J. Optim. 24(3), algorithm 3.1; glmnet's
** IRLS outer loop, Friedman, Hastie and Tibshirani 2010, section 3, with the
** line search glmnet lacks).
**
** Each outer step at (a, c), with the pass's L, g0 = dL/da and v = -dL/dc:
**   1. the quadratic model of L, block-diagonal over the K predictors,
**        m(a', c') = sum_k [ g0_k da_k - v_k'dc_k + 1/2 [da_k dc_k]' H_k [da_k dc_k] ],
**      H_k = (1/W) [1 Xs]' V_k [1 Xs] with the IRLS weights V_k of family.h
**      (exact: formed in one pass and ONE allreduce per step), or
**      H_k = B (1/W) [1 Xs]' W [1 Xs] with the family's curvature bound B
**      (formed once in create(): every step is then a gradient pass only);
**   2. coordinate descent on m + the penalty (glmnet's covariance updates on
**      the model's Gram, active sets first, then a full sweep to confirm);
**      the grouped penalty moves the K coefficients of a feature at once,
**      majorized by the largest of its K diagonal entries;
**   3. a backtracking line search on the true objective along the step,
**      Armijo's rule with the predicted decrease
**        Delta = g0'da - v'dc + pen(c + dc) - pen(c)
**      (Tseng and Yun 2009, Math. Program. 117, eq. 9), one product with X
**      for the step's eta and one scalar allreduce per trial.
** Every outer step's pass also certifies the point (lariat_glm_gap).
**
** The only state carried from one solve() to the next besides (a, c) is
** the kept IRLS curvature (exact: H, h0, h00, and whether they were formed
** yet; every other array is rewritten before it is read). It is the
** state a checkpoint saves (get_state), so that a resumed path keeps the
** same curvature and repeats the uninterrupted one bit for bit, without a
** Gram pass more for anyone. The bound is formed from the data alone and
** holds no state.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "solvers/glm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Armijo's sufficient-decrease fraction and the fewest step halvings that
** count as failure. */
#define ARMIJO 1e-4
#define MAX_HALVINGS 40
/* Coordinate descent on one model stops when no coordinate moves the model
** by more than this fraction of the current gap (floored at a fraction of
** the target), and after MAX_SWEEPS sweeps. The multinomial model, whose K
** classes' coefficients of a feature are strongly coupled, reaches the
** tolerance's scale (1e-17 to 1e-26 late on a path) only by creeping:
** on 5,000 x 30 rows with 4 classes (`lariat gen --family multinomial
** --classes 4 --seed 3`, alpha 0.5) the path took 3.4 million sweeps, 156
** of its 574 steps stopping at 20,000, in 21.4 s. At 500 the path takes
** the same 574 steps to the same gaps (at most 1.38e-12), objectives
** within 6.6e-14, in 1.43 s (grouped: 32.5 -> 1.67 s, 570 steps either
** way): the sweeps past a few hundred gave the next step nothing. The
** sparse binomial path measured (100,000 x 2,000, 391 steps) and a sparse
** multinomial one took the same steps to the same gaps in the same time
** with either cap. */
#define INNER_FRACTION 1e-3
#define MAX_SWEEPS 500
/* A step that shrinks the gap by less than this factor makes the next inner
** solve ten times tighter, down to INNER_FRACTION_MIN (newton_solve). */
#define TIGHTEN_SHRINK 0.5
#define INNER_FRACTION_MIN 1e-15
/* Active sweeps without convergence after which the model's inner solve
** tries a Newton step on its free coordinates (active_newton), and the most
** sweeps that step's Cholesky factor may cost: m free coordinates cost m^3 /
** 3 flops against at most m K p a sweep, so m^2 <= 3 NEWTON_SWEEPS K p
** (gram.c's and glm_batch.c's rule, with K p coordinates). gram.c's 64
** sweeps left the digits path's last lambdas (m up to 570 > 350) creeping to
** MAX_SWEEPS, whose cost the step may take instead (at 64 the path took 6.7
** s, at 512 2.65 s). NEWTON_MAX_M bounds the system's memory ((m + K)^2
** doubles, 34 MB). */
#define NEWTON_AFTER 4
#define NEWTON_SWEEPS 512
#define NEWTON_MAX_M 2048
/* Consecutive failed line searches (each with a tighter inner solve)
** before the solve gives up at the current point. */
#define MAX_STALLS 4
/* Consecutive steps too small for a line search to judge (see below),
** after which such steps go on only while each shrinks the gap to
** BLIND_SHRINK of the one before at most. Newton's steps on the IRLS
** curvature need one or two; on a fixed bound the steps converge only
** linearly: on class_multex.csv (500 x 30, 3 classes, lambda 0.001) they
** shrank the gap by 4% each, 1.78e-7 to 1.58e-7 in four, where tol N0 was
** 1.09e-7, and the solve stopped there (on the default path at alpha 1, 64
** of 100 lambdas). */
#define MAX_BLIND 3
#define BLIND_SHRINK 0.99
/* The IRLS curvature is formed anew when a step shrank the gap by less
** than this factor (see newton_solve). A binomial curvature on sparse rows
** costs less against a step (its products are nnz^2 / 2 a row, not p^2 / 2),
** and pays sooner: on 100,000 x 2,000 rows at 1% (one rank, three
** alternated runs each), 0.1 took 563 steps and 3 curvatures, 5.96-6.24 s;
** 0.03 took 391 and 4.98-5.18 s; 0.01 took 332 and 5.16-5.28 s. */
#define REFRESH_RATIO 0.1
#define REFRESH_RATIO_SPARSE 0.03

typedef struct newton_ws {
    const lariat_glm *g; /* &own */
    /* The caller's problem struct (its arrays the caller's), with the
    ** binomial family's SIMD row loops (family/simd.h) in place of the
    ** scalar ones. Each tile's rows take the same lanes wherever the tile
    ** lives, so the path is still the same at any rank count. */
    lariat_glm own;
    int K, exact;
    int64_t p, n;
    double tol;
    int max_iter;
    lariat_glm_work wk;
    int full;          /* multinomial exact: the cross-class blocks too (see form_full_curvature) */
    double *curv;      /* [h00 | h0 | H]: one block, the state of get_state */
    int64_t ncurv;     /* its length */
    double *H;         /* exact: K blocks p x p (full: K^2, block (k, l) at (k K + l) p^2); bound: one */
    double *h0;        /* K p (full: K^2 p): (1/W) Xs'V_kl 1 (0 in the bound, whose columns are centred) */
    double *h00;       /* K (full: K^2): (1/W) sum V_kl */
    double *hbuf;      /* exact: the reduction of the blocks and their p + 1 extra values */
    double *tile_gram; /* p x p: one tile's Gram before packing */
    lariat_tilesum *ts; /* the sums over tiles of rows (data/tiles.h) */
    /* The curvature being formed, for curv_tile_fn: nblk blocks, block b from
    ** the weights blk_w(b) (V + b n for form_curvature; the pair's weights
    ** for form_full_curvature). */
    const double *curv_V;
    int curv_nmat, curv_full;
    int tile_rc;
    double *g0, *v;    /* the point: K and K p */
    double *x, *x0;    /* the model's iterate: K p and K */
    double *q, *q0;    /* the model's gradient at x: K p and K */
    double *deta, *etat; /* K n: the step's eta, the trial eta */
    char *active;      /* K p */
    /* active_newton's scratch, made at its first use: the system ((nt_max
    ** + K)^2), its right side and solution (nt_max + K), the free set. */
    int64_t nt_max;
    double *nt_A, *nt_r, *nt_b;
    int64_t *nt_F;
    int formed;        /* exact: H holds the IRLS curvature of some earlier point */
    double refresh_ratio; /* REFRESH_RATIO or REFRESH_RATIO_SPARSE */
} newton_ws;

static void newton_destroy(void *wsv)
{
    newton_ws *ws = wsv;
    if (ws == NULL) return;
    lariat_glm_work_free(&ws->wk);
    free(ws->curv);
    free(ws->hbuf);
    free(ws->tile_gram);
    lariat_tilesum_destroy(ws->ts);
    free(ws->g0);
    free(ws->v);
    free(ws->x);
    free(ws->x0);
    free(ws->q);
    free(ws->q0);
    free(ws->deta);
    free(ws->etat);
    free(ws->active);
    free(ws->nt_A);
    free(ws->nt_r);
    free(ws->nt_b);
    free(ws->nt_F);
    free(ws);
}

/* The curvature's blocks that are summed: all curv_nmat of form_curvature,
** or the K (K + 1) / 2 pairs k <= l of form_full_curvature (the others are
** their mirrors). Summing the K^2 - K (K + 1) / 2 mirrors as zeros cost
** their binned deposits and the memory bus: on an 800 x 300 path of 4
** classes, 16 blocks of 45,451 sums where 10 are needed. */
static int formed_blocks(const newton_ws *ws) { return ws->curv_full ? ws->K * (ws->K + 1) / 2 : ws->curv_nmat; }

/* The block index of the c-th block summed: c itself for form_curvature;
** for form_full_curvature k K + l of the c-th pair k <= l, in order of k,
** then l. */
static int formed_block(const newton_ws *ws, int c)
{
    if (!ws->curv_full) return c;
    int k = 0;
    while (c >= ws->K - k) c -= ws->K - k++;
    return k * ws->K + k + c;
}

/* Block b's weights on one tile's rows into wt: V_b (form_curvature), or
** for the pair (k, l) = (b / K, b % K), k <= l, V_k on the diagonal and
** w mu_k mu_l off it (form_full_curvature): the blocks formed_block
** names. */
static void block_weights(const newton_ws *ws, int b, int64_t i0, int64_t m, double *wt)
{
    const lariat_glm *g = ws->g;
    const int64_t n = ws->n;
    if (!ws->curv_full) {
        memcpy(wt, ws->curv_V + (int64_t)b * n + i0, (size_t)m * sizeof(double));
        return;
    }
    const int K = ws->K, k = b / K, l = b % K;
    const double *mu = ws->wk.mu;
    for (int64_t i = 0; i < m; i++) {
        const int64_t r = i0 + i;
        wt[i] = k == l ? ws->wk.V[(int64_t)k * n + r] : g->w[r] * mu[(int64_t)k * n + r] * mu[(int64_t)l * n + r];
    }
}

/* One tile's curvature blocks, each [Gram's upper triangle packed by rows |
** Xs'wt (p) | sum wt]: half the Gram is all that is summed. CSR tiles hold
** raw sums instead, [sum wt x x' | sum wt x | sum wt], centred once after
** the sum (curvature_sums), without the dense p x p passes per tile of
** lariat_matrix_gram (clearing, centring, mirroring): on 100,000 x 2,000
** rows at 1% (13 tiles) a curvature took 0.25-0.31 s, now 0.16-0.17 s,
** two thirds of it the binned deposits of each tile's 2 million sums. */
static void curv_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    newton_ws *ws = arg;
    const lariat_glm *g = ws->g;
    const int64_t p = ws->p, lenp = p * (p + 1) / 2 + p + 1;
    const double *shift = g->std->intercept ? g->std->mean : NULL;
    const lariat_matrix tile = lariat_matrix_row_view(g->data->X, i0, m);
    const int sparse = lariat_matrix_is_sparse(&tile);
    double *wt = ws->wk.col;
    const int nsum = formed_blocks(ws);
    for (int c = 0; c < nsum; c++) {
        double *blk = part + c * lenp;
        block_weights(ws, formed_block(ws, c), i0, m, wt);
        if (sparse) {
            int rc = lariat_matrix_gram_packed_csr(g->ctx, &tile, wt, 0, p, NULL, blk);
            if (rc != LARIAT_OK) ws->tile_rc = rc;
            continue;
        }
        int rc = lariat_matrix_gram(g->ctx, &tile, wt, shift, ws->tile_gram);
        if (rc != LARIAT_OK) ws->tile_rc = rc;
        for (int64_t j = 0, t = 0; j < p; j++) {
            for (int64_t l = j; l < p; l++) blk[t++] = ws->tile_gram[j * p + l];
        }
        lariat_matrix_mult_t(&tile, shift, wt, blk + p * (p + 1) / 2);
        double sw = 0.0;
        for (int64_t i = 0; i < m; i++) sw += wt[i];
        blk[lenp - 1] = sw;
    }
}

/* Collective. The formed blocks of the nmat summed over tiles of rows
** (data/tiles.h), unpacked into hbuf's layout [p x p Gram | p | 1] per
** block (the blocks not formed are left as they are). */
static int curvature_sums(newton_ws *ws, int nmat)
{
    const lariat_glm *g = ws->g;
    const int64_t p = ws->p, len = p * p + p + 1, lenp = p * (p + 1) / 2 + p + 1;
    const int nsum = formed_blocks(ws);
    /* The packed sums land in the tail of hbuf, then move forward to their
    ** full layout: the c-th summed block goes to block b = formed_block(c)
    ** >= c, whose full form ends at or before the packed form of block c + 1
    ** (b <= nmat - nsum + c, and len >= lenp). */
    double *packed = ws->hbuf + (int64_t)nmat * len - (int64_t)nsum * lenp;
    ws->tile_rc = LARIAT_OK;
    int rc = lariat_tilesum_run(ws->ts, nsum * lenp, curv_tile_fn, ws, packed);
    if (rc == LARIAT_OK) rc = lariat_agree(g->ctx, ws->tile_rc);
    if (rc != LARIAT_OK) return rc;
    /* The column means CSR's raw sums are centred about (none: raw is right). */
    const double *c = lariat_matrix_is_sparse(g->data->X) && g->std->intercept ? g->std->mean : NULL;
    for (int i = 0; i < nsum; i++) {
        const double *src = packed + i * lenp;
        double *blk = ws->hbuf + formed_block(ws, i) * len;
        /* Block b's packed form may lie under its full one: copy it out first. */
        memcpy(ws->tile_gram, src, (size_t)lenp * sizeof(double));
        const double *pk = ws->tile_gram;
        if (c != NULL) {
            /* CSR's raw sums centred (curv_tile_fn): sum wt (x - c)(x - c)' =
            ** sum wt x x' - c s1' - s1 c' + W c c', and s1 - W c. */
            const double *s1 = pk + p * (p + 1) / 2, W = pk[lenp - 1];
            for (int64_t j = 0, t = 0; j < p; j++) {
                for (int64_t l = j; l < p; l++, t++) {
                    blk[j * p + l] = blk[l * p + j] = pk[t] - c[j] * s1[l] - s1[j] * c[l] + W * c[j] * c[l];
                }
            }
            for (int64_t j = 0; j < p; j++) blk[p * p + j] = s1[j] - W * c[j];
            blk[p * p + p] = W;
            continue;
        }
        for (int64_t j = 0, t = 0; j < p; j++) {
            for (int64_t l = j; l < p; l++, t++) blk[j * p + l] = blk[l * p + j] = pk[t];
        }
        memcpy(blk + p * p, pk + p * (p + 1) / 2, (size_t)(p + 1) * sizeof(double));
    }
    return LARIAT_OK;
}

/* Collective. The model's curvature from per-row weights V (K x n, or one
** column shared when shared = 1): raw sums of K Grams about the column means,
** of Xs'V_k and of V_k in one allreduce, then scaled to standardized
** coordinates and divided by W, times factor. */
static int form_curvature(newton_ws *ws, const double *V, int nmat, double factor)
{
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int64_t p = ws->p, len = p * p + p + 1;
    ws->curv_V = V;
    ws->curv_nmat = nmat;
    ws->curv_full = 0;
    int rc = curvature_sums(ws, nmat);
    if (rc != LARIAT_OK) return rc;
    const double f = factor / g->W;
    for (int k = 0; k < nmat; k++) {
        const double *blk = ws->hbuf + k * len;
        double *H = ws->H + k * p * p;
        for (int64_t i = 0; i < p; i++) {
            for (int64_t j = 0; j < p; j++) H[i * p + j] = blk[i * p + j] * s->inv_scale[i] * s->inv_scale[j] * f;
            ws->h0[k * p + i] = s->intercept ? blk[p * p + i] * s->inv_scale[i] * f : 0.0;
        }
        ws->h00[k] = blk[p * p + p] * f;
    }
    /* The bound is shared: its h0 and h00 serve every predictor. */
    for (int k = nmat; k < ws->K; k++) {
        memcpy(ws->h0 + k * p, ws->h0, (size_t)p * sizeof(double));
        ws->h00[k] = ws->h00[0];
    }
    return LARIAT_OK;
}

/* Collective. The multinomial loss's exact curvature: row i contributes
** w_i (diag(mu_i) - mu_i mu_i') (x) xs_i xs_i', so block (k, l) of the
** Hessian is (1/W) [1 Xs]' diag(w mu_k (delta_kl - mu_l)) [1 Xs]. The
** diagonal blocks use the floored IRLS weights V_k; the cross blocks are
** minus the Grams of w mu_k mu_l (non-negative weights, as the Gram kernel
** needs). K (K + 1) / 2 Grams, one allreduce. Without the cross blocks
** (glmnet's per-class weights) the steps converge only linearly on nearly
** separated classes: 34 to 260 steps per lambda on the wine data's path. */
static int form_full_curvature(newton_ws *ws)
{
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int K = ws->K;
    const int64_t p = ws->p, len = p * p + p + 1;
    ws->curv_nmat = K * K;
    ws->curv_full = 1;
    int rc = curvature_sums(ws, K * K);
    if (rc != LARIAT_OK) return rc;
    const double invW = 1.0 / g->W;
    for (int k = 0; k < K; k++) {
        for (int l = k; l < K; l++) {
            const double *blk = ws->hbuf + (k * K + l) * len;
            const double f = (k == l ? 1.0 : -1.0) * invW;
            double *A = ws->H + (k * K + l) * p * p, *B = ws->H + (l * K + k) * p * p;
            for (int64_t i = 0; i < p; i++) {
                for (int64_t j = 0; j < p; j++) {
                    A[i * p + j] = blk[i * p + j] * s->inv_scale[i] * s->inv_scale[j] * f;
                }
                ws->h0[(k * K + l) * p + i] = s->intercept ? blk[p * p + i] * s->inv_scale[i] * f : 0.0;
                ws->h0[(l * K + k) * p + i] = ws->h0[(k * K + l) * p + i];
            }
            if (B != A) memcpy(B, A, (size_t)(p * p) * sizeof(double));
            ws->h00[k * K + l] = ws->h00[l * K + k] = blk[p * p + p] * f;
        }
    }
    return LARIAT_OK;
}

/* Not collective. Block (k, l) of the model's curvature, its intercept
** column and corner; NULL and 0 for a block the model leaves out. */
static const double *blk_H(const newton_ws *ws, int k, int l)
{
    if (ws->full) return ws->H + (int64_t)(k * ws->K + l) * ws->p * ws->p;
    if (k != l) return NULL;
    return ws->H + (ws->exact ? (int64_t)k * ws->p * ws->p : 0);
}

static const double *blk_h0(const newton_ws *ws, int k, int l)
{
    if (ws->full) return ws->h0 + (int64_t)(k * ws->K + l) * ws->p;
    return k == l ? ws->h0 + (int64_t)k * ws->p : NULL;
}

static double blk_h00(const newton_ws *ws, int k, int l)
{
    if (ws->full) return ws->h00[k * ws->K + l];
    return k == l ? ws->h00[k] : 0.0;
}

static int newton_create_mode(const lariat_glm *g, const lariat_settings *st, int exact, void **out)
{
    lariat_ctx *ctx = g->ctx;
    const int K = g->K;
    const int64_t p = g->p, n = g->n > 0 ? g->n : 1;
    *out = NULL;
    newton_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "newton workspace");
    int rc = ws ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK && !lariat_blas_fits(p, p)) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "the gram solver cannot handle %lld features", (long long)p);
    }
    if (rc == LARIAT_OK) {
        ws->own = *g;
        if (g->fam->kind == LARIAT_FAMILY_BINOMIAL) ws->own.fam = &lariat_family_binomial_simd;
        ws->g = &ws->own;
        ws->K = K;
        ws->p = p;
        ws->n = g->n;
        ws->exact = exact;
        ws->refresh_ratio = K == 1 && lariat_matrix_is_sparse(g->data->X) ? REFRESH_RATIO_SPARSE : REFRESH_RATIO;
        ws->full = exact && K > 1;
        ws->tol = st->tol;
        ws->max_iter = st->max_iter;
        const int nmat = ws->full ? K * K : (exact ? K : 1);
        rc = lariat_glm_work_alloc(g, exact, &ws->wk);
        const int64_t nh = ws->full ? K * K : K;
        ws->ncurv = nh + nh * p + nmat * p * p;
        ws->curv = lariat_calloc(ctx, (size_t)ws->ncurv, sizeof(double), "model curvature");
        if (ws->curv != NULL) {
            ws->h00 = ws->curv;
            ws->h0 = ws->h00 + nh;
            ws->H = ws->h0 + nh * p;
        }
        ws->hbuf = lariat_malloc(ctx, (size_t)(nmat * (p * p + p + 1)), sizeof(double), "curvature reduction");
        ws->tile_gram = lariat_malloc(ctx, (size_t)(p * p + p + 1), sizeof(double), "a tile's Gram");
        ws->g0 = lariat_malloc(ctx, (size_t)K, sizeof(double), "gradient");
        ws->v = lariat_malloc(ctx, (size_t)(K * p), sizeof(double), "gradient");
        ws->x = lariat_malloc(ctx, (size_t)(K * p), sizeof(double), "model iterate");
        ws->x0 = lariat_malloc(ctx, (size_t)K, sizeof(double), "model iterate");
        ws->q = lariat_malloc(ctx, (size_t)(K * p), sizeof(double), "model gradient");
        ws->q0 = lariat_malloc(ctx, (size_t)K, sizeof(double), "model gradient");
        ws->deta = lariat_malloc(ctx, (size_t)(K * n), sizeof(double), "step");
        ws->etat = lariat_malloc(ctx, (size_t)(K * n), sizeof(double), "trial step");
        ws->active = lariat_calloc(ctx, (size_t)(K * p), 1, "active set");
        if (!ws->curv || !ws->hbuf || !ws->tile_gram || !ws->g0 || !ws->v || !ws->x || !ws->x0 || !ws->q ||
            !ws->q0 || !ws->deta || !ws->etat || !ws->active) {
            rc = LARIAT_ENOMEM;
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        const int nmat = ws->full ? K * K : (exact ? K : 1);
        rc = lariat_tilesum_create(ctx, g->data, (int64_t)nmat * (p * (p + 1) / 2 + p + 1), &ws->ts);
    }
    /* The fixed bound B (1/W) [1 Xs]'W[1 Xs], formed once. */
    if (rc == LARIAT_OK && !exact) rc = form_curvature(ws, g->w, 1, g->fam->curvature_bound);
    if (rc != LARIAT_OK) {
        newton_destroy(ws);
        return rc;
    }
    *out = ws;
    return LARIAT_OK;
}

static int newton_create_exact(const lariat_glm *g, const lariat_settings *st, void **out)
{
    return newton_create_mode(g, st, 1, out);
}

static int newton_create_bound(const lariat_glm *g, const lariat_settings *st, void **out)
{
    return newton_create_mode(g, st, 0, out);
}

/* Not collective. Moves coordinate (k, j) of the model's iterate by diff,
** updating the model's gradient of every predictor the block couples
** (blocks are symmetric: row j is column j). */
static void move(newton_ws *ws, int k, int64_t j, double diff)
{
    const int64_t p = ws->p;
    ws->x[k * p + j] += diff;
    for (int l = 0; l < ws->K; l++) {
        const double *H = blk_H(ws, l, k);
        if (H == NULL) continue;
        cblas_daxpy((int)p, diff, H + j * p, 1, ws->q + l * p, 1);
        ws->q0[l] += diff * blk_h0(ws, l, k)[j];
    }
}

/* Not collective. Moves intercept k of the model's iterate by diff, as move. */
static void move_intercept(newton_ws *ws, int k, double diff)
{
    const int64_t p = ws->p;
    ws->x0[k] += diff;
    for (int l = 0; l < ws->K; l++) {
        const double *h0 = blk_h0(ws, l, k);
        if (h0 == NULL) continue;
        cblas_daxpy((int)p, diff, h0, 1, ws->q + l * p, 1);
        ws->q0[l] += diff * blk_h00(ws, l, k);
    }
}

static double diag(const newton_ws *ws, int k, int64_t j) { return blk_H(ws, k, k)[j * ws->p + j]; }

/* Not collective. One sweep of coordinate descent on the model plus the
** penalty over every coordinate (all) or the active ones; returns the
** largest model decrease scale H_jj diff^2 of a move. */
static double sweep(newton_ws *ws, double lambda, int all)
{
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int64_t p = ws->p;
    const int K = ws->K;
    double big = 0.0;
    if (g->grouped) {
        double z[LARIAT_GLM_MAX_GROUP], nw[LARIAT_GLM_MAX_GROUP];
        for (int64_t j = 0; j < p; j++) {
            if (lariat_prep_is_fixed(s, j) || (!all && !ws->active[j])) continue;
            /* A majorizer of the K x K block of feature j: its largest
            ** diagonal entry, or with cross-class blocks its largest
            ** absolute row sum (Gershgorin). */
            double h = 0.0;
            for (int k = 0; k < K; k++) {
                double r = 0.0;
                for (int l = 0; l < K; l++) r += ws->full ? fabs(blk_H(ws, k, l)[j * p + j]) : (l == k) * diag(ws, k, j);
                h = fmax(h, r);
            }
            if (!(h > 0.0)) continue;
            for (int k = 0; k < K; k++) z[k] = ws->x[k * p + j] - ws->q[k * p + j] / h;
            lariat_glm_prox_group(g, j, z, 1.0 / h, lambda, nw);
            int any = 0;
            for (int k = 0; k < K; k++) {
                const double diff = nw[k] - ws->x[k * p + j];
                if (diff != 0.0) {
                    move(ws, k, j, diff);
                    big = fmax(big, h * diff * diff);
                }
                any |= nw[k] != 0.0;
            }
            if (any) ws->active[j] = 1;
        }
    } else {
        for (int k = 0; k < K; k++) {
            for (int64_t j = 0; j < p; j++) {
                if (lariat_prep_is_fixed(s, j) || (!all && !ws->active[k * p + j])) continue;
                const double h = diag(ws, k, j);
                if (!(h > 0.0)) continue;
                const double old = ws->x[k * p + j];
                const double nw = lariat_prep_prox(s, j, old - ws->q[k * p + j] / h, 1.0 / h, lambda);
                if (nw != old) {
                    move(ws, k, j, nw - old);
                    big = fmax(big, h * (nw - old) * (nw - old));
                }
                if (nw != 0.0) ws->active[k * p + j] = 1;
            }
        }
    }
    if (s->intercept) {
        for (int k = 0; k < K; k++) {
            const double hkk = blk_h00(ws, k, k);
            if (!(hkk > 0.0)) continue;
            const double diff = -ws->q0[k] / hkk;
            move_intercept(ws, k, diff);
            big = fmax(big, hkk * diff * diff);
        }
    }
    return big;
}

/* Not collective. ||x_j|| over the K classes. */
static double group_norm(const newton_ws *ws, int64_t j)
{
    double n2 = 0.0;
    for (int k = 0; k < ws->K; k++) n2 += ws->x[k * ws->p + j] * ws->x[k * ws->p + j];
    return sqrt(n2);
}

/* Not collective. The grouped penalty of the free groups nt_F (K rows each)
** at x + t d, d = nt_r[ni ..]. */
static double group_penalty_at(const newton_ws *ws, double lambda, int64_t m, int ni, double t)
{
    const lariat_prep *s = ws->g->std;
    const int K = ws->K;
    const int64_t p = ws->p;
    double pen = 0.0;
    for (int64_t u = 0; u < m; u += K) {
        const int64_t j = ws->nt_F[u] % p;
        double n2 = 0.0;
        for (int k = 0; k < K; k++) {
            const double v = ws->x[ws->nt_F[u + k]] + t * ws->nt_r[ni + u + k];
            n2 += v * v;
        }
        pen += lambda * s->pf[j] * (s->alpha * sqrt(n2) + 0.5 * (1.0 - s->alpha) * n2);
    }
    return pen;
}

/* Not collective. Builds active_newton's system for the free set nt_F[0 ..
** m) and the first ni intercepts and solves it in place (nt_r): LAPACK's
** info, 0 on success. */
static int newton_system(newton_ws *ws, double lambda, int64_t m, int ni)
{
    const lariat_prep *s = ws->g->std;
    const int64_t p = ws->p, n = ni + m;
    double *A = ws->nt_A, *r = ws->nt_r;
    const int64_t *F = ws->nt_F;
    for (int k = 0; k < ni; k++) {
        for (int l = 0; l < ni; l++) A[k * n + l] = blk_h00(ws, k, l);
        for (int64_t u = 0; u < m; u++) {
            const double *h0 = blk_h0(ws, k, (int)(F[u] / p));
            A[k * n + ni + u] = A[(ni + u) * n + k] = h0 != NULL ? h0[F[u] % p] : 0.0;
        }
        r[k] = -ws->q0[k];
    }
    for (int64_t t = 0; t < m; t++) {
        const int k = (int)(F[t] / p);
        const int64_t j = F[t] % p;
        double *row = A + (ni + t) * n + ni;
        for (int64_t u = 0; u < m; u++) {
            const double *H = blk_H(ws, k, (int)(F[u] / p));
            row[u] = H != NULL ? H[j * p + F[u] % p] : 0.0;
        }
        const double q = lambda * (1.0 - s->alpha) * s->pf[j], tau = lambda * s->alpha * s->pf[j];
        const double x = ws->x[F[t]];
        row[t] += q;
        if (!ws->g->grouped) {
            r[ni + t] = -(ws->q[F[t]] + q * x + tau * (x > 0.0 ? 1.0 : -1.0));
            continue;
        }
        /* The group's K rows are consecutive (active_newton): tau ||x_j||
        ** has gradient tau u and curvature tau (I - u u') / ||x_j||. */
        const int64_t t0 = t - k;
        const double nrm = group_norm(ws, j);
        for (int l = 0; l < ws->K; l++) {
            const double ul = ws->x[l * p + j] / nrm;
            row[t0 + l] += tau * ((l == k) - (x / nrm) * ul) / nrm;
        }
        r[ni + t] = -(ws->q[F[t]] + q * x + tau * x / nrm);
    }
    if (ws->g->grouped) memcpy(ws->nt_b, r, (size_t)n * sizeof(double));
    /* Symmetric: row-major storage is the column-major matrix itself. */
    return (int)LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, A, (lapack_int)n, r, (lapack_int)n);
}

/* Not collective. Newton's step for the model plus the penalty on its free
** set: the coefficients x_kj != 0 strictly inside their bounds, and the
** intercepts. With the signs s of those coefficients held, the objective is
** quadratic there, and its minimizer (the others fixed) solves
**   (H_FF + diag(lambda (1 - alpha) f_F)) d_F = -(q_F + lambda f_F ((1 - alpha) x_F + alpha s_F))
** with the intercepts' rows and columns from h0 and h00 (lariat_prep_free_newton
** for K predictors), for m free coordinates with m^2 <= 3 NEWTON_SWEEPS K p
** and m <= NEWTON_MAX_M.
** Where a coordinate would leave its piece (change sign or cross a bound)
** the step stops at the first such kink (lariat_prep_step_to_kink, as
** lariat_prep_free_newton_step's). Grouped, the
** free set is the K coefficients of each feature with x_j != 0 and no
** bounds, and the penalty's part tau ||x_j|| (not quadratic) enters by its
** gradient and curvature at x: the step is taken at the first t of 1, 1/2,
** 1/4, 1/8 that lowers the model (the Gershgorin-majorized group sweeps
** alone took the digits path 18.1-27.6 s, and with the steps 3.2-5.0 s). Coordinate
** descent on the coupled multinomial model converges only linearly, at a
** rate near 1 on correlated features: on the digits data (1,797 x 64, 10
** classes, alpha 0.5) 249 of the path's 612 model solves stopped at
** MAX_SWEEPS, 146,000 sweeps in all, 10.7-14.0 s; with these steps 2.3-3.3
** s.
** Returns 1 if a step was taken. */
static int active_newton(newton_ws *ws, double lambda)
{
    const lariat_prep *s = ws->g->std;
    const int K = ws->K;
    const int64_t p = ws->p, Kp = (int64_t)K * p;
    const double m2_max = 3.0 * NEWTON_SWEEPS * (double)Kp;
    if (ws->nt_A == NULL) {
        int64_t cap = (int64_t)sqrt(m2_max) + 1;
        if (cap > NEWTON_MAX_M) cap = NEWTON_MAX_M;
        if (cap > Kp) cap = Kp;
        const int64_t n = cap + K;
        ws->nt_A = malloc((size_t)(n * n) * sizeof(double));
        ws->nt_r = malloc((size_t)n * sizeof(double));
        ws->nt_b = malloc((size_t)n * sizeof(double));
        ws->nt_F = malloc((size_t)cap * sizeof(int64_t));
        if (ws->nt_A == NULL || ws->nt_r == NULL || ws->nt_b == NULL || ws->nt_F == NULL) {
            /* No room: coordinate descent alone, as before (tried again later). */
            free(ws->nt_A);
            free(ws->nt_r);
            free(ws->nt_b);
            free(ws->nt_F);
            ws->nt_A = ws->nt_r = ws->nt_b = NULL;
            ws->nt_F = NULL;
            return 0;
        }
        ws->nt_max = cap;
    }
    int64_t m = 0;
    const int grouped = ws->g->grouped;
    for (int64_t t = 0; t < (grouped ? 0 : Kp); t++) {
        const int64_t j = t % p;
        const double x = ws->x[t];
        if (x != 0.0 && x > s->lo[j] && x < s->hi[j] && !lariat_prep_is_fixed(s, j)) {
            if (m == ws->nt_max) return 0;
            ws->nt_F[m++] = t;
        }
    }
    /* Grouped: the K coefficients of each feature with x_j != 0 and no
    ** bounds (a box makes the penalty's piece group_box.c's), together. */
    for (int64_t j = 0; j < (grouped ? p : 0); j++) {
        if (lariat_prep_is_fixed(s, j) || !isinf(s->lo[j]) || !isinf(s->hi[j]) || !(group_norm(ws, j) > 0.0)) continue;
        if (m + K > ws->nt_max) return 0;
        for (int k = 0; k < K; k++) ws->nt_F[m++] = (int64_t)k * p + j;
    }
    int ni = s->intercept ? K : 0;
    if ((double)m * (double)m > m2_max || ni + m == 0) return 0;
    double *r = ws->nt_r;
    const int64_t *F = ws->nt_F;
    /* The multinomial curvature's intercepts all shift together without
    ** changing the model (its class weights sum to 0 in every row, up to the
    ** IRLS weights' floor): when that makes the system singular, the last
    ** class's intercept is held, which leaves the minimizer over the others. */
    int info = newton_system(ws, lambda, m, ni);
    if (info != 0 && ws->full && ni == K) info = newton_system(ws, lambda, m, --ni);
    if (info != 0) return 0;
    if (grouped) {
        /* The penalty is not quadratic on the piece: the model's change
        ** along t d, M(t) = t q'd + t^2 d'H d / 2 + P(x + t d) - P(x), with
        ** A d = b (A = H + the penalty's curvature D): d'H d = d'b - d'D d
        ** and q'd = -(b + grad P)'d. The first t of 1, 1/2, 1/4, 1/8 that
        ** lowers the model is taken. */
        double db = 0.0, dgp = 0.0, dDd = 0.0;
        for (int64_t t = 0; t < ni + m; t++) db += r[t] * ws->nt_b[t];
        for (int64_t u = 0; u < m; u += K) {
            const int64_t j = F[u] % p;
            const double nrm = group_norm(ws, j), q = lambda * (1.0 - s->alpha) * s->pf[j];
            const double tau = lambda * s->alpha * s->pf[j];
            double dd = 0.0, ud = 0.0, xd = 0.0;
            for (int k = 0; k < K; k++) {
                const double d = r[ni + u + k], x = ws->x[F[u + k]];
                dd += d * d;
                ud += x / nrm * d;
                xd += x * d;
            }
            dgp += q * xd + tau * ud;
            dDd += q * dd + tau * (dd - ud * ud) / nrm;
        }
        const double qd = -db - dgp, dHd = db - dDd, pen0 = group_penalty_at(ws, lambda, m, ni, 0.0);
        double t = 1.0;
        for (; t >= 0.125; t *= 0.5) {
            if (t * qd + 0.5 * t * t * dHd + group_penalty_at(ws, lambda, m, ni, t) - pen0 < 0.0) break;
        }
        if (t < 0.125) return 0;
        for (int64_t u = 0; u < m; u++) move(ws, (int)(F[u] / p), F[u] % p, t * r[ni + u]);
        for (int k = 0; k < ni; k++) move_intercept(ws, k, t * r[k]);
        return 1;
    }
    if (!lariat_prep_step_to_kink(s, p, F, m, ni, ws->x, r)) return 0;
    /* The model's gradient follows with the moves a sweep makes. */
    for (int64_t t = 0; t < m; t++) move(ws, (int)(F[t] / p), F[t] % p, r[ni + t]);
    for (int k = 0; k < ni; k++) move_intercept(ws, k, r[k]);
    return 1;
}

/* Not collective. Minimizes the model plus the penalty from (a, c): active
** sweeps until they settle (with a Newton step on the free set after
** NEWTON_AFTER of them), then a full sweep, until a full sweep settles. */
static void solve_model(newton_ws *ws, double lambda, const double *a, const double *c, double inner_tol)
{
    const int64_t Kp = ws->K * ws->p;
    memcpy(ws->x, c, (size_t)Kp * sizeof(double));
    memcpy(ws->x0, a, (size_t)ws->K * sizeof(double));
    for (int64_t t = 0; t < Kp; t++) ws->q[t] = -ws->v[t];
    memcpy(ws->q0, ws->g0, (size_t)ws->K * sizeof(double));
    for (int64_t t = 0; t < Kp; t++) ws->active[t] = c[t] != 0.0;
    int sweeps = 0;
    while (sweeps < MAX_SWEEPS) {
        double big = sweep(ws, lambda, 1);
        sweeps++;
        if (big <= inner_tol) break;
        int inner = 0;
        while (sweeps < MAX_SWEEPS && big > inner_tol) {
            big = sweep(ws, lambda, 0);
            sweeps++;
            /* A Newton step taken: the full sweep checks it. */
            if (++inner == NEWTON_AFTER && active_newton(ws, lambda)) break;
        }
    }
}

/* One tile's loss change (trial_change). */
typedef struct diff_tile {
    const lariat_glm *g;
    const double *a, *b;
} diff_tile;

static void diff_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const diff_tile *d = arg;
    const lariat_glm *g = d->g;
    part[0] = g->fam->diff(m, g->n, g->K, d->a + i0, d->b + i0, g->Y + i0, g->w + i0);
}

/* Collective. One scalar allreduce: L(trial) - L(current), row by row from
** the difference of the etas (family.h's diff keeps its digits). */
static int trial_change(newton_ws *ws, const double *eta, double *change)
{
    const lariat_glm *g = ws->g;
    diff_tile dt = {g, eta, ws->wk.eta};
    double l = 0.0;
    int rc = lariat_tilesum_run(ws->ts, 1, diff_tile_fn, &dt, &l);
    *change = l / g->W;
    return rc;
}

static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

/* Not collective. Multinomial: the intercepts' mean taken out of a and of
** every predictor (the softmax does not see it). The IRLS weights' floor
** gives the model curvature along that direction, so that its steps may
** move all intercepts together, and the free-set Newton steps (whose
** intercept system is singular but for the floor) by as much as 1e8:
** log-sum-exp then loses 1e-8 of its digits, and the working-set test's
** gaps went to -2.6e-8. */
static void centre_intercepts(newton_ws *ws, double *a)
{
    const int K = ws->K;
    const int64_t n = ws->n;
    if (K < 2 || !ws->g->std->intercept) return;
    double mean = 0.0;
    for (int k = 0; k < K; k++) mean += a[k];
    mean /= K;
    if (mean == 0.0) return;
    for (int k = 0; k < K; k++) {
        a[k] -= mean;
        double *eta = ws->wk.eta + (int64_t)k * n;
        for (int64_t i = 0; i < n; i++) eta[i] -= mean;
    }
}

static int newton_solve(void *wsv, double lambda, double *a, double *c, lariat_solve_info *info)
{
    newton_ws *ws = wsv;
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int K = ws->K;
    const int64_t p = ws->p, Kp = K * p, Kn = K * ws->n;
    double *trial = ws->wk.pen_v; /* K p scratch: c + t dc */
    lariat_glm_point pt = {0.0, ws->g0, ws->v};
    double primal = 0.0, gap = INFINITY;
    int iter = 0, stalls = 0, blind = 0, converged = 0;
    /* A fold's model (lariat_glm.heldout) takes one step past the gap that
    ** certified it (polish = 1 during that step) and stops there: the next
    ** solve evaluates its starting point afresh anyway, so the pass and the
    ** gap at the new point would serve nothing but the report (nothing reads
    ** a fold's gap; cv.c scores its coefficients). The gap reported is the
    ** certified one: the line search kept the objective from rising, so it
    ** still bounds the suboptimality; the objective is the new point's,
    ** from the line search's loss change. */
    int polish = 0;
    double prev_gap = INFINITY, blind_gap = INFINITY; /* blind_gap: the gap before the last blind step */

    for (int64_t t = 0; t < Kp; t++) c[t] = fmin(fmax(c[t], s->lo[t % p]), s->hi[t % p]);
    if (!s->intercept) memset(a, 0, (size_t)K * sizeof(double));
    lariat_glm_eta(g, a, c, &ws->wk, ws->wk.eta);
    int rc = lariat_glm_pass(g, &ws->wk, &pt);
    const double floor_tol = ws->tol * fmax(g->N0, DBL_MIN);
    double inner_scale = INNER_FRACTION;
    while (rc == LARIAT_OK) {
        rc = lariat_glm_gap(g, lambda, c, &pt, &ws->wk, &primal, &gap);
        if (rc != LARIAT_OK) break;
        converged = gap <= fmax(floor_tol, LARIAT_GLM_GAP_FLOOR * fabs(primal));
        if (converged && g->heldout && polish == 0 && iter < ws->max_iter) {
            polish = 1;
        } else if (converged || iter >= ws->max_iter || stalls >= MAX_STALLS) {
            break;
        }
        iter++;
        /* The IRLS curvature is kept from step to step and from lambda to
        ** lambda (warm starts keep the points close) while the steps make
        ** good progress: a Gram pass costs p times a gradient pass. A failed
        ** line search, or a gap that shrinks by less than refresh_ratio in
        ** a step, forms it anew at the current point (not for the step
        ** past a certificate: the point is converged already). */
        if (ws->exact && (!ws->formed || stalls > 0 || (gap > ws->refresh_ratio * prev_gap && polish != 1))) {
            rc = ws->full ? form_full_curvature(ws) : form_curvature(ws, ws->wk.V, K, 1.0);
            ws->formed = 1;
        }
        /* A step that did not halve the gap was taken on a model solved too
        ** loosely for its conditioning (the rule below asks the largest
        ** coordinate move to fall under the gap squared, and on many small
        ** moves one sweep meets it): the next model is solved ten times
        ** tighter. On tests/fixtures/class_rare.csv (a rare class nearly
        ** separated at small lambda) each model took one sweep, each step
        ** gained 1e-6 to 1e-8, and the default 30-lambda path took up to
        ** 1,449 steps a lambda (grouped: 4 lambdas stopped at 10,000, 12.8
        ** s); with this and active_newton at most 103 (grouped 100, 0.28 s). */
        if (iter > 1 && gap > TIGHTEN_SHRINK * prev_gap) inner_scale = fmax(inner_scale * 0.1, INNER_FRACTION_MIN);
        prev_gap = gap;
        if (rc != LARIAT_OK) break;
        /* The gap of a lasso point is linear in its coefficients' error
        ** (through kappa), the model's decrease quadratic: the model is
        ** solved to the square of the gap, so that each step's error
        ** shrinks quadratically as Newton's does. */
        const double gscale = isfinite(gap) ? fmin(gap, g->N0) : g->N0;
        const double inner_tol = fmax(inner_scale * gscale * gscale / fmax(g->N0, DBL_MIN), 1e-30);
        solve_model(ws, lambda, a, c, inner_tol);
        /* The step and its predicted decrease. */
        double delta = 0.0;
        for (int k = 0; k < K; k++) {
            ws->x0[k] -= a[k];
            delta += ws->g0[k] * ws->x0[k];
        }
        for (int64_t t = 0; t < Kp; t++) {
            ws->x[t] -= c[t];
            delta -= ws->v[t] * ws->x[t];
        }
        const double pen0 = lariat_glm_penalty(g, lambda, c);
        for (int64_t t = 0; t < Kp; t++) trial[t] = c[t] + ws->x[t];
        delta += lariat_glm_penalty(g, lambda, trial) - pen0;
        lariat_glm_eta(g, ws->x0, ws->x, &ws->wk, ws->deta);
        /* Backtracking: every rank sees the same reduced loss, so all take
        ** the same branch. Round-off in the objective is allowed for. */
        const double slack = 8.0 * DBL_EPSILON * fabs(pt.loss + pen0);
        /* A step whose predicted decrease is below the objective's
        ** round-off cannot be judged by a line search, but it still mends
        ** the optimality conditions to first order (the gap is linear in
        ** them, the objective quadratic): such steps are taken whole, a
        ** few in a row at most, after which the point is optimal to
        ** working precision. */
        if (!(delta < -slack)) {
            if (++blind > MAX_BLIND && !(gap <= BLIND_SHRINK * blind_gap)) break;
            blind_gap = gap;
            for (int k = 0; k < K; k++) a[k] += ws->x0[k];
            for (int64_t t = 0; t < Kp; t++) c[t] += ws->x[t];
            for (int64_t t = 0; t < Kn; t++) ws->wk.eta[t] += ws->deta[t];
            centre_intercepts(ws, a);
            if (polish == 1) break; /* unevaluated: the certified point's objective stands */
            rc = lariat_glm_pass(g, &ws->wk, &pt);
            continue;
        }
        blind = 0;
        blind_gap = INFINITY;
        double step = 1.0, change = 0.0;
        int accepted = 0;
        for (int h = 0; rc == LARIAT_OK && h < MAX_HALVINGS && delta < 0.0; h++, step *= 0.5) {
            for (int64_t t = 0; t < Kn; t++) ws->etat[t] = ws->wk.eta[t] + step * ws->deta[t];
            for (int64_t t = 0; t < Kp; t++) trial[t] = c[t] + step * ws->x[t];
            rc = trial_change(ws, ws->etat, &change);
            if (rc == LARIAT_OK && change + (lariat_glm_penalty(g, lambda, trial) - pen0) <= ARMIJO * step * delta + slack) {
                accepted = 1;
                break;
            }
        }
        if (rc != LARIAT_OK) break;
        if (accepted && polish == 1) {
            for (int k = 0; k < K; k++) a[k] += step * ws->x0[k];
            memcpy(c, trial, (size_t)Kp * sizeof(double));
            centre_intercepts(ws, a);
            primal = pt.loss + change + lariat_glm_penalty(g, lambda, c);
            break;
        }
        if (!accepted) {
            /* The model was not solved closely enough to give a descent
            ** direction: solve it tighter from the same point. */
            stalls++;
            inner_scale *= 1e-2;
            continue;
        }
        stalls = 0;
        for (int k = 0; k < K; k++) a[k] += step * ws->x0[k];
        for (int64_t t = 0; t < Kp; t++) c[t] = trial[t];
        swap(&ws->wk.eta, &ws->etat);
        centre_intercepts(ws, a);
        rc = lariat_glm_pass(g, &ws->wk, &pt);
    }
    info->iterations = iter;
    info->converged = converged;
    info->gap = gap;
    info->primal = primal;
    return rc;
}

/* Not collective. The kept IRLS curvature, once formed: [h00 | h0 | H]. */
static int64_t newton_get_state(const void *wsv, const double **values)
{
    const newton_ws *ws = wsv;
    *values = ws->curv;
    return ws->exact && ws->formed ? ws->ncurv : 0;
}

static int newton_set_state(void *wsv, const double *values, int64_t n)
{
    newton_ws *ws = wsv;
    if (n != 0 && !(ws->exact && n == ws->ncurv)) {
        return lariat_error(ws->g->ctx, LARIAT_EUSAGE,
                            "the checkpoint's curvature (%lld values) does not fit this solver's (%lld)", (long long)n,
                            (long long)(ws->exact ? ws->ncurv : 0));
    }
    if (n > 0) memcpy(ws->curv, values, (size_t)n * sizeof(double));
    ws->formed = n > 0;
    return LARIAT_OK;
}

const lariat_glm_solver_ops lariat_glm_solver_newton = {"gram", newton_create_exact, newton_solve, newton_destroy,
                                                        newton_get_state, newton_set_state};
const lariat_glm_solver_ops lariat_glm_solver_newton_bound = {"gram", newton_create_bound, newton_solve,
                                                              newton_destroy, newton_get_state, newton_set_state};
