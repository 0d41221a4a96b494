/*
** Lockstep proximal Newton: the paths of M binomial models on the same rows
** that differ only in their row weights (cross-validation: the all-rows
** model and one model per fold), solved together so that every pass over X
** serves all of them (lariat_glm_batch_paths, glm.h). With M = 1 it is also
** the binomial fit's solver on dense rows (lariat_glm_solver_lockstep, at
** the end of this file).
**
** Each model takes the steps of glm_newton.c (Lee, Sun and Saunders 2014,
** algorithm 3.1, with an Armijo line search on the true objective and the
** family's duality gap as the stopping test), but the work is arranged by
** kind rather than by model:
**   - a step of every model is ONE pass over X (lariat_matrix_fused_multi):
**     block by block of rows, one product forms X B for the M models'
**     whole-step trial points (data/skinny.c's kernels for up to 48 models,
**     else DGEMM), each trial is evaluated on the block (fuse_rows), and a second
**     product forms X'R at that trial while the block is still in cache;
**     the products and residuals live in the pass's block buffers. Newton's
**     whole step is usually accepted, and then its gradient is the next
**     point's: fold by fold, the same step cost one DGEMV pass for X d, one
**     for X'R and one more evaluation per model;
**   - a line search costs no pass (the step's X d is the whole trial's eta
**     minus the point's) and the trial's evaluation (one exponential and one
**     log1p a row, eight or four rows at a time on libmvec: the family's
**     SIMD table, family/simd.h) becomes the point's;
**   - the gap (two logarithms a row) is computed only once a model's step
**     predicts a decrease near the objective's round-off, where
**     convergence is possible: the gap bounds the suboptimality, which
**     bounds the decrease a step can make, so a model whose step predicts
**     more is not converged;
**   - the IRLS curvatures come from one pass of weighted moments by row
**     set (the folds), with the all-rows model's weights: model m's
**     curvature is the sum over its training sets, centred and scaled to
**     its own standardization. For the fold models it is an approximation
**     (their weights differ from model 0's by the fold's influence), which
**     slows their steps slightly but never changes an answer: the gap
**     certifies every solution. It is formed anew after each lambda's first
**     step and when the models' steps slow (two steps on the same
**     curvature: as glm_newton.c's), for all models at once, at the cost of
**     one Gram pass. On nearly separated rows the weights of the models
**     differ by orders of magnitude and the shared curvature fails a fold
**     model: one still slow after OWN_AFTER steps at a lambda keeps its own
**     curvature from then on (own_refresh). The moments are products in
**     single precision: the curvature is an approximation already.
**   - a lambda's first step gets the path predictor (predict), and every
**     inner solve a Newton step on its free set (active_newton), so that
**     most lambdas end after two steps;
**   - a fold model, once its gap certifies it, reports its point plus the
**     Newton step it has just computed, and stops (lariat_glm.heldout: its
**     held-out scores are first order in its coefficients' error; polish).
**     The step is not evaluated: it costs no pass, and the next lambda
**     starts from the certified point, whose evaluation the model holds.
**     Taken through the fused pass and the line search instead, it was a
**     pass of its own at most lambdas, once model 0 was done (on 100,000 x
**     100 rows, 10 folds, 100 lambdas: 351 passes against 252).
** Measured on 100,000 x 100 binomial rows, 10 folds, 100 lambdas, one
** rank: 123 s fold by fold, 33 s in lockstep (3.7 Newton steps per model
** and lambda, 392 passes and 62 curvature passes in all; `--verbose`
** prints the counts); then with the SIMD evaluation, the own kernels and
** the curvature after each first step, 3.2 steps per model and lambda,
** 328 passes and 100 curvature passes, about half the CPU time of the
** 33 s version; then with the predictor, the free-set Newton step, fewer
** curvature passes and single-precision moments, 2.3 steps per model and
** lambda, 252 passes and 72 curvature passes, half again
** (docs/performance.md, Binomial cases).
** The models' answers are those of glm_newton.c on each model alone, to the
** tolerance; the order of the floating-point sums differs.
**
** On CSR rows (the CV's models, and the fit's one model: on 100,000 x 2,000
** rows at 1%, 100 lambdas, 3.2 s against glm_newton.c's 5.0 s, three
** alternated pairs) the products are data/matrix.c's CSR loops (AVX2 or
** AVX-512 for up to 12 models), every model's curvature is implicit in one
** Gram of all rows held once and read by the descent in single precision
** (refresh_sparse, sweep_batch, linalg/cd_update.h), and a lambda's first
** step forms none (solve_lambda). There the models' coordinate descent is most of the
** time, and with several ranks each rank solves its share of the models
** (model_steps), or, for the fit's one model, its share of every sweep
** (sweep_split).
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "data/stats.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "linalg/cd_update.h"
#include "solvers/glm.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As glm_newton.c. */
#define ARMIJO 1e-4
#define MAX_HALVINGS 40
#define INNER_FRACTION 1e-3
#define MAX_SWEEPS 20000
#define MAX_STALLS 4
#define MAX_BLIND 3
/* A model's gap is computed once its step predicts a decrease below
** max(target, GAP_NEAR * the objective's round-off). */
#define GAP_NEAR 1e3
/* On an implicit curvature (CSR rows, stale) the steps converge linearly
** at a few percent, so a step that predicts a decrease just below the
** target leaves a gap still a few times it: on 100,000 x 2,000 binomial
** rows at 1%, 10 folds, 1,555 of the CV's 2,655 gaps (two logarithms a
** row each) failed. There the gap waits for a predicted decrease below this
** fraction of GAP_NEAR's threshold (at the default tol that threshold is
** the round-off's, 1e-12 there, above the CV's target of tol
** LARIAT_GLM_TOL_MARGIN N0, 6e-13): 1,673 gaps and 430 products, against
** 2,655 and 435 (0.1: 2,076 and 436; 0.001: 1,305 and 449). Not for one
** model alone (the fit), whose product with X costs about what ten gaps
** do: there it gave 142 gaps for 377 products against 227 for 368. */
#define GAP_NEAR_IMPLICIT 1e-2
/* Without a gap, the model is solved to INNER_FRACTION of EST_FRACTION of
** the last step's decrease: the step's error then shrinks much faster than
** the decreases do (an inner solve as loose as the decrease made the
** steps converge only linearly, at about that ratio). */
#define EST_FRACTION 1e-7
/* Steps at one lambda after which a model still slow forms its own curvature. */
#define OWN_AFTER 8
/* The curvatures are formed anew when more than a quarter of the running
** models made a step whose actual decrease exceeded this fraction of the
** step before it (linear convergence at a gap ratio of about 0.1, the
** refresh point of glm_newton.c), or one failed a line search. */
#define REFRESH_RATIO 0.01
/* On CSR rows, where a curvature pass costs about a dozen steps' passes
** and its tile sums' reduction grows with the ranks (glm_newton.c's ratio
** there too). 100,000 x 2,000 at 1%, 10 folds, two alternated runs each:
** 15 curvature passes and 391 products in 15.7 and 13.4 s at one rank,
** 12.9 and 11.4 s at two, at 0.01; 6 and 437 in 14.6 and 12.9 s, 10.9
** and 10.1 s, at 0.03. */
#define REFRESH_RATIO_SPARSE 0.03
/* A lambda's first step is followed by a curvature pass only when it
** decreased the objective by more than this fraction of N0: late on the
** path the first step is small, its point stays near the one the curvature
** was formed at, and the stale curvature still converges fast (measured on
** 100,000 x 100 rows, 10 folds: 71 curvature passes instead of 100 for 2
** products more; 1e-4 saved 14 more curvature passes but cost 24 products). */
#define FIRST_REFRESH 1e-5
/* Active-set sweeps without convergence after which the inner solve tries a
** Newton step on its free coordinates (active_newton), again after twice,
** four times, ... as many (lariat_prep_newton_due), and the fewest sweeps
** its Cholesky factor may cost, or as many as the solve has spent
** (lariat_prep_newton_m2: m free coordinates cost m^3 / 3 flops against at
** most m p a sweep, the sweeps spent priced in time): gram.c's. With 64
** sweeps alone, an 800 x 700 binomial lasso path on rows at 3% (478 of 700
** coefficients nonzero at its end, nearly separated) spent 17 s creeping
** through sweeps, 200 a step; with the rule 5.8 s, and with the rule and
** each model's rent (below) 2.0-2.5 s (docs/performance.md, 2026-12-07). */
#define NEWTON_AFTER 4
#define NEWTON_SWEEPS 64
/* The inner solve on an implicit curvature stops once no coordinate's move
** decreases the model by more than this fraction of the estimated
** suboptimality (model_inner_tol). 100,000 x 2,000 rows at 1%, 10 folds,
** one rank: 34,845 model sweeps and 4,018 steps without it; 25,486 and
** 4,011 at 1e-8; 18,122 and 4,020 at 1e-4; 11,093 and 4,049 at 1e-3;
** 9,680 and 4,072 at 1e-2 (gaps at most 5.6e-13 N0, CV tables within
** 2.5e-8 of each other). */
#define INNER_LINEAR 1e-3
/* The split descent (sweep_split): runs of SPLIT_RUN coordinates, each
** decided by one rank and sent in one broadcast, and at least
** SPLIT_MIN_RUNS runs a rank. Shorter runs keep the other ranks waiting
** less and cost more broadcasts: on 100,000 x 2,000 binomial rows at 1%,
** two ranks, the fit took 1.47-1.55 s (runs of 32) against 1.50-1.55 (64),
** 1.52-1.64 (128) and, in five rounds more, 1.55-2.09 (16) against
** 1.50-1.97 (32) (alternated rounds, the same bits). */
#define SPLIT_RUN 32
#define SPLIT_MIN_RUNS 4
/* sweep_batch's blocks of coordinates and block_rest's tiles of entries. */
#define CD_BLOCK LARIAT_CD_BLOCK
#define CD_TILE 256
/* Bytes of the batch's shared Gram G0 (see batch). */
#define G0_BYTES(p) ((size_t)((p) * (p)) * sizeof(float))
/* Doubles of one model's step as model_steps sends it: the scalars
** (SHARE_HEAD), trial, and on a lambda's first step first. */
#define SHARE_HEAD 8
#define SHARE_LEN(p) (SHARE_HEAD + 2 * (p) + 1)

typedef struct bmodel {
    lariat_glm *g;
    int owns_g;           /* g is the model's own (else a copy of a caller's struct) */
    lariat_glm_work wk;   /* eta, mu, R, V of the point */
    double *etat, *mut, *Rt, *Vt; /* the trial point's */
    double *deta;         /* X d of the step (formed by line_search) */
    double *ac;           /* [a | c], 1 + p */
    double g0, *v, loss;  /* the point's gradient and loss */
    double *H, *h0, h00;  /* curvature (p x p), intercept column, corner */
    /* On CSR rows (bt->implicit) and not own, H is not stored: it is
    ** D (G0 - sx dm' - dm sx' + S dm dm') D / W_0 from the batch's shared
    ** Gram (refresh_sparse), hd its diagonal, and the model's gradient is
    ** q + D (u + alpha dm + beta sx) (sweep_batch). */
    double *u, *dm, *hd, alpha, beta;
    /* The inner solve's state in steps_implicit: the kind of its next
    ** sweep (CD_FULL, CD_ACTIVE) or CD_DONE, the round (model_step's two),
    ** the sweeps made, the tolerance and the last sweep's largest move. */
    int cd_phase, cd_round, cd_sweeps;
    double cd_tol, cd_big;
    /* The sweeps of its last inner solve, plus one: model_steps' estimate
    ** of what its next one costs (the same on every rank). */
    double work;
    /* The sweeps the lambda's last inner solve (model_step) had spent when
    ** it took a Newton step, or all of them if it took none: the budget the
    ** next solve's Newton step may spend at once (lariat_prep_newton_m2),
    ** instead of creeping as long again first. 0 when a lambda begins. */
    double rent;
    double *x, x0, *q, q0; /* the model's iterate and its gradient */
    double *trial;        /* p: c + t dc */
    /* The path predictor (predict): [a | c] when the lambda began, the
    ** lambda's first Newton step and the correction it needed. */
    double *start, *first, *corr; /* 1 + p each */
    int has_first, has_corr;
    char *active;
    int own;              /* the model keeps its own IRLS curvature (see solve_lambda) */
    int fresh;            /* eta, mu, R, V and the gradient are point_pass's of ac */
    /* The IRLS weights V are kept (evaluated with the point): model 0's make
    ** every shared curvature (refresh), and an own model forms its own;
    ** the other models' are never read, and not writing them saves a
    ** stream of n doubles per model in every fused pass. */
    int keep_V;
    /* The curvature's version (counts its formings), and the versions that
    ** the model's last two steps were made with: only two steps on the same
    ** curvature tell how good it is. */
    long ver, ver_last, ver_prev, ver_lam; /* ver_lam: ver when the lambda began */
    /* Per lambda. has_report: the model (a CV fold's: lariat_glm.heldout)
    ** reports report, its certified point plus one Newton step (polish),
    ** in place of ac. */
    int run, iter, stalls, blind, has_gap, moved, blind_step, has_report;
    double *report;       /* 1 + p */
    double gap, primal, inner_scale, dec_last, dec_prev, est;
    double delta, pen0, slack, step, target;
    int not_converged;
} bmodel;

typedef struct batch {
    lariat_ctx *ctx;
    const lariat_data *data;
    int M, nsets;
    const int *set_of, *excl;
    int64_t n, p;
    bmodel *m;
    int *list;            /* M: the models of one batched product */
    int *list_imp;        /* M: the models of one steps_implicit */
    double (*cd_coef)[CD_BLOCK]; /* M: sweep_batch's moves in a block, c_k, per model */
    int *cd_moved;        /* M: and how many of them moved */
    double *Bm;           /* p x M (column-major) */
    double *Gm;           /* p x M: the fused pass's gradients */
    double *red;          /* M (p + 2): the gradients' reduction */
    double *sets;         /* nsets moments (stats layout) */
    double *S;            /* 4 + 2p + p^2: one model's summed moments */
    double *own;          /* p^2 + p + 1: one model's own curvature (own_refresh) */
    /* CSR rows: the models' curvatures are implicit in one shared Gram,
    ** G0 = sum V (x - m_0)(x - m_0)' (p x p, in single precision: see
    ** gram_alloc), and its sums G0s = [sx (p) | S], with model 0's weights
    ** and means (refresh_sparse). */
    int implicit;
    /* One model on CSR rows at several ranks: the ranks split its descent
    ** (sweep_split) over split_ranks ranks, this one keeping the entries
    ** [split_lo, split_hi) of u exact (empty beyond split_ranks). */
    int split, split_ranks;
    int64_t split_lo, split_hi;
    double *split_msg;    /* M SPLIT_RUN: a run's moves */
    float *G0;
    double *G0s;
    double *nt_A, *nt_rhs; /* (p + 1)^2 and p + 1: active_newton's system */
    int64_t *nt_free;     /* p: its free coordinates */
    double *predicted;    /* p: predict's trial coefficients */
    double *share;        /* SHARE_LEN(p): one model's step for the other ranks (model_steps) */
    int *owner;           /* M: the rank that solves each model's step (model_steps) */
    double *rank_work;    /* ranks: the work model_steps gave each */
    /* Every sum over rows goes tile by tile (data/tiles.h), so that the
    ** lockstep's answer is the same at any rank count: */
    lariat_tilesum *ts;   /* for up to M (p + 2) values */
    int64_t T;            /* rows per tile */
    double *tile_in;      /* T x M: one tile's vectors (column-major) */
    double *tile_out;     /* max(T, p) x M: one tile's products */
    double *tile_tmp;     /* 3 T: scratch evaluations */
    double *fuse_scr;     /* FUSE_SCR: fuse_rows' residuals of a block */
    int formed;
    /* Work done, for the verbose log: products with X (each serving
    ** several models), model evaluations, gaps and curvature passes. */
    long n_products, n_evals, n_gaps, n_refresh, n_steps, n_own;
} batch;

/* The batch's shared Gram G0 (refresh_sparse), in single precision: the
** coordinate descent reads a column of it for every coordinate that moves,
** 32 MB a sweep at p = 2,000 in double, more than the caches hold, and half
** that in single; the curvature is an approximation already. On a cache
** line, so that the descent's vector loads of its columns (and stores to the
** models' u) do not straddle two when p is a multiple of 16
** (linalg/cd_update.h); from one 2 MiB page on, in 2 MiB pages
** (core/memory.h), since the first curvature pass writes it whole (16 MB at
** p = 2,000: 4,096 faults of about 10 us each in 4 KiB pages). */
static float *gram_alloc(lariat_ctx *ctx, int64_t p)
{
    if (G0_BYTES(p) >= LARIAT_HUGE_PAGE) return lariat_malloc_huge(ctx, G0_BYTES(p), "shared curvature");
    return lariat_malloc_aligned(ctx, (size_t)(p * p), sizeof(float), "shared curvature");
}

static void gram_free(float *G0, int64_t p)
{
    if (G0_BYTES(p) >= LARIAT_HUGE_PAGE) lariat_free_huge(G0, G0_BYTES(p));
    else free(G0);
}

static void model_free(bmodel *bm)
{
    lariat_glm_work_free(&bm->wk);
    if (bm->owns_g) lariat_glm_destroy(bm->g);
    else free(bm->g);
    free(bm->etat);
    free(bm->mut);
    free(bm->Rt);
    free(bm->Vt);
    free(bm->deta);
    free(bm->ac);
    free(bm->v);
    free(bm->H);
    free(bm->u);
    free(bm->dm);
    free(bm->hd);
    free(bm->h0);
    free(bm->x);
    free(bm->q);
    free(bm->trial);
    free(bm->start);
    free(bm->first);
    free(bm->corr);
    free(bm->report);
    free(bm->active);
}

static void batch_free(batch *bt)
{
    if (bt->m != NULL) {
        /* Labels shared with model 0 (share_labels) are its to free. */
        for (int m = 1; bt->m[0].g != NULL && m < bt->M; m++) {
            if (bt->m[m].g != NULL && bt->m[m].g->Y == bt->m[0].g->Y) bt->m[m].g->Y = NULL;
        }
        for (int m = 0; m < bt->M; m++) model_free(&bt->m[m]);
    }
    free(bt->m);
    free(bt->list);
    free(bt->list_imp);
    free(bt->cd_coef);
    free(bt->cd_moved);
    free(bt->Bm);
    free(bt->Gm);
    free(bt->red);
    free(bt->sets);
    free(bt->S);
    free(bt->own);
    gram_free(bt->G0, bt->p);
    free(bt->G0s);
    free(bt->nt_A);
    free(bt->nt_rhs);
    free(bt->nt_free);
    free(bt->predicted);
    free(bt->share);
    free(bt->split_msg);
    free(bt->owner);
    free(bt->rank_work);
    lariat_tilesum_destroy(bt->ts);
    free(bt->tile_in);
    free(bt->tile_out);
    free(bt->tile_tmp);
    free(bt->fuse_scr);
}

/* Not collective. Model bm's arrays, once bm->g is set. The row
** evaluations and gaps are on SIMD exp, log1p and log (family.h): round-off
** apart from the scalar loops, and the same at any rank count (the same
** rows in the same lanes: tile by tile). */
static int model_arrays(batch *bt, bmodel *bm)
{
    lariat_ctx *ctx = bt->ctx;
    bm->g->fam = &lariat_family_binomial_simd;
    const int64_t n = bt->n > 0 ? bt->n : 1, p = bt->p;
    int rc = lariat_glm_work_alloc(bm->g, 1, &bm->wk);
    bm->etat = lariat_malloc(ctx, (size_t)n, sizeof(double), "trial eta");
    bm->mut = lariat_malloc(ctx, (size_t)n, sizeof(double), "trial means");
    bm->Rt = lariat_malloc(ctx, (size_t)n, sizeof(double), "trial residuals");
    bm->Vt = lariat_malloc(ctx, (size_t)n, sizeof(double), "trial weights");
    bm->deta = lariat_malloc(ctx, (size_t)n, sizeof(double), "step");
    bm->ac = lariat_calloc(ctx, (size_t)(p + 1), sizeof(double), "coefficients");
    bm->v = lariat_malloc(ctx, (size_t)p, sizeof(double), "gradient");
    if (bt->implicit) {
        /* Aligned as G0 is (gram_alloc): linalg/cd_update.h. */
        bm->u = lariat_malloc_aligned(ctx, (size_t)p, sizeof(double), "model gradient");
        bm->dm = lariat_calloc(ctx, (size_t)p, sizeof(double), "model means");
        bm->hd = lariat_calloc(ctx, (size_t)p, sizeof(double), "model curvature");
        if (!bm->u || !bm->dm || !bm->hd) rc = LARIAT_ENOMEM;
    } else {
        bm->H = lariat_calloc(ctx, (size_t)(p * p), sizeof(double), "model curvature");
        if (bm->H == NULL) rc = LARIAT_ENOMEM;
    }
    bm->h0 = lariat_calloc(ctx, (size_t)p, sizeof(double), "model curvature");
    bm->x = lariat_malloc(ctx, (size_t)p, sizeof(double), "model iterate");
    bm->q = lariat_malloc(ctx, (size_t)p, sizeof(double), "model gradient");
    bm->trial = lariat_malloc(ctx, (size_t)p, sizeof(double), "trial coefficients");
    bm->active = lariat_calloc(ctx, (size_t)p, 1, "active set");
    bm->start = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "path predictor");
    bm->first = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "path predictor");
    bm->corr = lariat_calloc(ctx, (size_t)(p + 1), sizeof(double), "path predictor");
    bm->report = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "reported coefficients");
    if (rc == LARIAT_OK && (!bm->etat || !bm->mut || !bm->Rt || !bm->Vt || !bm->deta || !bm->ac || !bm->v ||
                            !bm->h0 || !bm->x || !bm->q || !bm->trial || !bm->active || !bm->start ||
                            !bm->first || !bm->corr || !bm->report)) {
        rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) bm->ac[0] = bm->g->a_null[0];
    return rc;
}

/* Collective. Model bm's own problem (lariat_glm_create's on w) and arrays,
** on the prepared problem std if not NULL (taken over: fold_preps);
** without the null model's pass unless null_pass (the caller's batch_start
** evaluates the null point: about 0.15 s of the 100,000 x 100 CV's setup). */
static int model_create(batch *bt, bmodel *bm, const double *w, const lariat_problem *pb, const double *classes,
                        int nclass, lariat_prep *std, int null_pass)
{
    int rc = lariat_glm_create_ex(bt->ctx, bt->data, w, pb, classes, nclass, std, null_pass, &bm->g);
    bm->owns_g = 1;
    return rc == LARIAT_OK ? model_arrays(bt, bm) : rc;
}

/* Not collective. Model bm on a caller's problem g: a copy of g's struct
** (its arrays g's own, left to the caller) with the SIMD family. */
static int model_adopt(batch *bt, bmodel *bm, const lariat_glm *g)
{
    bm->g = lariat_malloc(bt->ctx, 1, sizeof(*g), "problem");
    if (bm->g == NULL) return LARIAT_ENOMEM;
    *bm->g = *g;
    return model_arrays(bt, bm);
}

/* Not collective. For the cnt models of bt->list, the columns of bt->Bm and
** the constants whose product with X gives the linear predictor a + Xs_m c
** of the model's point (trial 0) or of its whole step's trial point
** (trial 1: a + x0 and model_step's c + x): c / s_m and a - m_m'(c / s_m)
** (m_m = 0 without an intercept). The trial's eta is formed from the trial
** point itself rather than added to the point's as X of the step: a whole
** step's eta is then a function of the coefficients alone, made by the
** same pass that point_pass makes (which is what lets a path resumed from
** a checkpoint repeat an uninterrupted one: lariat_glm_solver_lockstep). */
static void batch_vectors(batch *bt, int cnt, int trial, double *cst)
{
    const int64_t p = bt->p;
    for (int t = 0; t < cnt; t++) {
        const bmodel *bm = &bt->m[bt->list[t]];
        const lariat_prep *s = bm->g->std;
        const double *c = trial ? bm->trial : bm->ac + 1;
        double *b = bt->Bm + (int64_t)t * p, k = trial ? bm->ac[0] + bm->x0 : bm->ac[0];
        for (int64_t j = 0; j < p; j++) {
            b[j] = c[j] * s->inv_scale[j];
            k -= s->mean[j] * b[j];
        }
        cst[t] = k;
    }
}

/* Collective. The gradients and losses of the cnt models of bt->list at
** their points (R already there; the loss evaluated again): one product X'R, one
** allreduce; as lariat_glm_reduce for each. */
/* One tile of batch_grad: per model [X'R (p) | sum R | loss], the loss
** evaluated again on the tile's rows (scratch outputs). */
typedef struct grad_tile {
    batch *bt;
    int cnt;
} grad_tile;

static void grad_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const grad_tile *a = arg;
    batch *bt = a->bt;
    const int64_t p = bt->p, len = p + 2, T = bt->T;
    for (int t = 0; t < a->cnt; t++) {
        memcpy(bt->tile_in + t * m, bt->m[bt->list[t]].wk.R + i0, (size_t)m * sizeof(double));
    }
    const lariat_matrix tile = lariat_matrix_row_view(bt->data->X, i0, m);
    lariat_matrix_mult_t_multi(&tile, bt->tile_in, a->cnt, bt->tile_out);
    for (int t = 0; t < a->cnt; t++) {
        const bmodel *bm = &bt->m[bt->list[t]];
        const lariat_glm *g = bm->g;
        double *buf = part + t * len, sr = 0.0;
        for (int64_t i = 0; i < m; i++) sr += bm->wk.R[i0 + i];
        memcpy(buf, bt->tile_out + t * p, (size_t)p * sizeof(double));
        buf[p] = sr;
        buf[p + 1] = g->fam->eval(m, m, 1, bm->wk.eta + i0, g->Y + i0, g->w + i0, bt->tile_tmp, bt->tile_tmp + T,
                                  bt->tile_tmp + 2 * T);
    }
}

static int batch_grad(batch *bt, int cnt)
{
    const int64_t p = bt->p, len = p + 2;
    grad_tile arg = {bt, cnt};
    int rc = lariat_tilesum_run(bt->ts, cnt * len, grad_tile_fn, &arg, bt->red);
    bt->n_products++;
    if (rc != LARIAT_OK) return rc;
    for (int t = 0; t < cnt; t++) {
        const lariat_prep *s = bt->m[bt->list[t]].g->std;
        double *buf = bt->red + t * len;
        for (int64_t j = 0; j < p; j++) buf[j] -= s->mean[j] * buf[p];
    }
    for (int t = 0; t < cnt; t++) {
        bmodel *bm = &bt->m[bt->list[t]];
        const lariat_prep *s = bm->g->std;
        const double *buf = bt->red + t * len, invW = 1.0 / bm->g->W;
        for (int64_t j = 0; j < p; j++) bm->v[j] = -buf[j] * s->inv_scale[j] * invW;
        bm->g0 = s->intercept ? buf[p] * invW : 0.0;
        bm->loss = buf[p + 1] * invW;
        bm->has_gap = 0;
    }
    return LARIAT_OK;
}

/* Collective. Every model's curvature from one pass of moments by set with
** model 0's IRLS weights V (w_i mu_i (1 - mu_i), floored), about model 0's
** means: for model m with the sums S, sx, Sxx over its training sets and
** d = m_m - shift,
**   sum V (x - m_m)(x - m_m)' = Sxx - sx d' - d sx' + S d d',
**   sum V (x - m_m) = sx - S d,
** then scaled by 1/s_m on both sides and divided by W_m (glm_newton.c's
** form_curvature on the model's own rows, with model 0's weights). */
static int refresh_sparse(batch *bt);
static int refresh(batch *bt)
{
    if (lariat_matrix_is_sparse(bt->data->X)) return refresh_sparse(bt);
    const int64_t p = bt->p, L = LARIAT_STATS_LEN(p);
    const double *shift = bt->m[0].g->std->mean;
    /* The moments by set with model 0's IRLS weights, tile by tile (only
    ** sxx's upper triangle is summed); no ranges. In single precision: the
    ** curvature is an approximation already (stale by a few percent between
    ** its passes, and model 0's weights for every model), and its pass, the
    ** lockstep's largest single cost, takes half the time (linalg/syrk.h in
    ** single precision). */
    int rc = lariat_stats_by_fold(bt->ctx, bt->data, bt->m[0].wk.V, bt->set_of, bt->nsets, shift, 0.0, 1, bt->sets,
                                  NULL);
    if (rc != LARIAT_OK) return rc;
    double *S = bt->S, *sx = S + 4, *Sxx = S + 4 + 2 * p;
    double d[p > 0 ? p : 1];
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        const lariat_prep *s = bm->g->std;
        if (bm->own) continue;
        memset(S, 0, (size_t)L * sizeof(double));
        for (int f = 0; f < bt->nsets; f++) {
            if (f + 1 == bt->excl[m]) continue;
            const double *set = bt->sets + f * L;
            S[0] += set[0];
            for (int64_t j = 0; j < p; j++) sx[j] += set[4 + j];
            for (int64_t t = 0; t < p * p; t++) Sxx[t] += set[4 + 2 * p + t];
        }
        for (int64_t j = 0; j < p; j++) d[j] = s->mean[j] - shift[j];
        const double f = 1.0 / bm->g->W;
        for (int64_t i = 0; i < p; i++) {
            for (int64_t j = i; j < p; j++) {
                const double c = Sxx[i * p + j] - sx[i] * d[j] - d[i] * sx[j] + S[0] * d[i] * d[j];
                bm->H[i * p + j] = bm->H[j * p + i] = c * s->inv_scale[i] * s->inv_scale[j] * f;
            }
            bm->h0[i] = s->intercept ? (sx[i] - S[0] * d[i]) * s->inv_scale[i] * f : 0.0;
        }
        bm->h00 = S[0] * f;
        bm->ver++;
    }
    bt->formed = 1;
    bt->n_refresh++;
    return LARIAT_OK;
}

typedef struct own_tile {
    batch *bt;
    const bmodel *bm;
} own_tile;

/* One tile's [Xs'V (p) | sum V] of one model's weights, about its means. */
static void own_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const own_tile *a = arg;
    const int64_t p = a->bt->p;
    const double *V = a->bm->wk.V + i0;
    const lariat_matrix tile = lariat_matrix_row_view(a->bt->data->X, i0, m);
    lariat_matrix_mult_t(&tile, a->bm->g->std->mean, V, part);
    double sv = 0.0;
    for (int64_t i = 0; i < m; i++) sv += V[i];
    part[p] = sv;
}

/* Collective. Model bm's own IRLS curvature from its own weights at its
** point (glm_newton.c's form_curvature for one predictor): one Gram pass
** about its means and one allreduce. */
static int own_refresh(batch *bt, bmodel *bm)
{
    const lariat_glm *g = bm->g;
    const lariat_prep *s = g->std;
    const int64_t p = bt->p;
    double *blk = bt->own;
    int rc = lariat_stats_gram(bt->ctx, bt->data, bm->wk.V, s->mean, blk);
    own_tile arg = {bt, bm};
    if (rc == LARIAT_OK) rc = lariat_tilesum_run(bt->ts, p + 1, own_tile_fn, &arg, blk + p * p);
    if (rc != LARIAT_OK) return rc;
    const double f = 1.0 / g->W;
    for (int64_t i = 0; i < p; i++) {
        for (int64_t j = 0; j < p; j++) bm->H[i * p + j] = blk[i * p + j] * s->inv_scale[i] * s->inv_scale[j] * f;
        bm->h0[i] = s->intercept ? blk[p * p + i] * s->inv_scale[i] * f : 0.0;
    }
    bm->h00 = blk[p * p + p] * f;
    bm->ver++;
    bt->n_own++;
    return LARIAT_OK;
}

/* Collective. On CSR rows: every model's curvature from ONE weighted Gram
** of all rows, model 0's (its IRLS weights V, about its means; the
** moments by set are dense-only, and K of them, p^2 / 2 each, would cost K
** times the memory and the binned deposits of one). For model m, with S, sx
** and Sxx those sums and d = m_m - m_0,
**   H_m = D_m (Sxx - sx d' - d sx' + S d d') D_m / W_0,  D_m = diag(1/s_m),
** refresh's formula over every set, divided by model 0's weight sum: a
** fold model's own rows hold about W_m / W_0 of each sum, so this is its
** curvature but for its fold's share of the sampling noise (about one
** percent of each entry on 100,000 x 2,000 rows at 1%: the shared curvature
** is an approximation already, and the gap certifies every answer). For
** model 0 it is its own curvature. Sxx is summed in fixed point and kept in
** single precision (lariat_stats_gram_fixed): the same at any rank count
** without binned sums: on 100,000 x 2,000 rows at 1% a pass took 66-70 ms
** at one rank and 56-62 ms at two, against 156-159 and 149-162 ms for the
** binned tiles (a test program interleaving the two, best of five;
** docs/performance.md, The CSR Grams in fixed point); the curvature's
** entries moved by at most 3.2e-10 of sqrt(Sxx_jj Sxx_ll), below its
** rounding to single precision. */
static int refresh_sparse(batch *bt)
{
    const int64_t p = bt->p;
    bmodel *b0 = &bt->m[0];
    const double *shift = b0->g->std->mean;
    own_tile arg = {bt, b0};
    int rc = lariat_tilesum_run(bt->ts, p + 1, own_tile_fn, &arg, bt->G0s);
    if (rc == LARIAT_OK) {
        rc = lariat_stats_gram_fixed(bt->ctx, bt->data, b0->wk.V, shift, bt->G0s, bt->G0s[p], bt->G0);
    }
    if (rc != LARIAT_OK) return rc;
    const float *Gf = bt->G0;
    const double *sx = bt->G0s, S0 = bt->G0s[p], f = 1.0 / b0->g->W;
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        const lariat_prep *s = bm->g->std;
        if (bm->own) continue;
        const double *sc = s->inv_scale;
        for (int64_t j = 0; j < p; j++) {
            const double d = bm->dm[j] = s->mean[j] - shift[j];
            bm->hd[j] = ((double)Gf[j * p + j] - 2.0 * sx[j] * d + S0 * d * d) * sc[j] * sc[j] * f;
            bm->h0[j] = s->intercept ? (sx[j] - S0 * d) * sc[j] * f : 0.0;
        }
        bm->h00 = S0 * f;
        bm->ver++;
    }
    bt->formed = 1;
    bt->n_refresh++;
    return LARIAT_OK;
}

/* Not collective. One sweep of coordinate descent on model bm's quadratic
** model plus the penalty (glm_newton.c's sweep for one predictor). */
static double sweep(bmodel *bm, int64_t p, double lambda, int all)
{
    const lariat_prep *s = bm->g->std;
    double big = 0.0;
    for (int64_t j = 0; j < p; j++) {
        if (lariat_prep_is_fixed(s, j) || (!all && !bm->active[j])) continue;
        const double h = bm->H[j * p + j];
        if (!(h > 0.0)) continue;
        const double old = bm->x[j];
        const double nw = lariat_prep_prox(s, j, old - bm->q[j] / h, 1.0 / h, lambda);
        if (nw != old) {
            const double diff = nw - old;
            bm->x[j] = nw;
            cblas_daxpy((int)p, diff, bm->H + j * p, 1, bm->q, 1);
            bm->q0 += diff * bm->h0[j];
            big = fmax(big, h * diff * diff);
        }
        if (nw != 0.0) bm->active[j] = 1;
    }
    if (s->intercept && bm->h00 > 0.0) {
        const double diff = -bm->q0 / bm->h00;
        bm->x0 += diff;
        cblas_daxpy((int)p, diff, bm->h0, 1, bm->q, 1);
        bm->q0 += diff * bm->h00;
        big = fmax(big, bm->h00 * diff * diff);
    }
    return big;
}

enum { CD_FULL, CD_ACTIVE, CD_DONE };

/* Not collective. The moves of a block of nb coordinates from j0 (sweep_batch)
** applied to the models' u outside the block: u_i += sum_k c_k G0[j0 + k][i].
** A model that moved one or two coordinates takes their columns one by one;
** one that moved more takes the block's CD_BLOCK columns at once, tile by
** tile of the u entries (CD_TILE: the block's columns stay in the first
** cache level for every model), so that each u entry is read and written
** once a block instead of once a move. Only the entries [lo, hi) are
** updated (all of u: 0 and p; a rank of the split descent: its slab). */
static void block_rest(batch *bt, const int *mods, int nm, int64_t p, int64_t j0, int nb, int64_t lo, int64_t hi)
{
    const float *G0 = bt->G0;
    const int64_t j1 = j0 + nb;
    const float *g[CD_BLOCK];
    for (int k = 0; k < CD_BLOCK; k++) g[k] = G0 + (j0 + (k < nb ? k : 0)) * p;
    int fused = 0;
    for (int t = 0; t < nm; t++) {
        if (bt->cd_moved[t] == 0 || bt->cd_moved[t] > 2) {
            fused += bt->cd_moved[t] > 2;
            continue;
        }
        double *u = bt->m[mods[t]].u;
        for (int k = 0; k < nb; k++) {
            const double c = bt->cd_coef[t][k];
            if (c == 0.0) continue;
            if (lo < j0) lariat_cd_col_update(u, g[k], c, lo, j0 < hi ? j0 : hi);
            if (j1 < hi) lariat_cd_col_update(u, g[k], c, j1 > lo ? j1 : lo, hi);
        }
    }
    if (fused == 0) return;
    for (int64_t i0 = lo; i0 < hi; i0 += CD_TILE) {
        const int64_t i1 = hi - i0 < CD_TILE ? hi : i0 + CD_TILE;
        for (int t = 0; t < nm; t++) {
            if (bt->cd_moved[t] <= 2) continue;
            const double *c = bt->cd_coef[t];
            double *u = bt->m[mods[t]].u;
            /* The tile's entries before the block, then after it. */
            lariat_cd_block_update(u, g, c, i0, i1 < j0 ? i1 : j0);
            lariat_cd_block_update(u, g, c, i0 > j1 ? i0 : j1, i1);
        }
    }
}

/* The sweeps' per-coordinate helpers below are inlined into their loops:
** called, they took 8% of the sparse binomial CV's samples. So is
** sweep_coordinates into its callers, whose constant arguments then drop
** its branches (called, the CV took 3-5% longer in four alternated pairs). */
#if defined(__GNUC__)
#define SWEEP_INLINE static inline __attribute__((always_inline))
#else
#define SWEEP_INLINE static inline
#endif

/* Not collective. Whether a sweep of model bm visits coordinate j: the
** model's solve is not done, j is free, in the active set on an active
** sweep, and its curvature is positive. */
SWEEP_INLINE int sweep_visits(const bmodel *bm, int64_t j)
{
    if (bm->cd_phase == CD_DONE || lariat_prep_is_fixed(bm->g->std, j) ||
        (bm->cd_phase == CD_ACTIVE && !bm->active[j])) {
        return 0;
    }
    return bm->hd[j] > 0.0;
}

/* Not collective. Model bm's coordinate j at the minimum of its model plus
** the penalty along j (the prox step), from its exact entry of u: the
** gradient q + D (u + alpha dm + beta sx) and the diagonal hd. */
SWEEP_INLINE double coordinate_min(const batch *bt, const bmodel *bm, int64_t j, double lambda)
{
    const lariat_prep *s = bm->g->std;
    const double *sc = s->inv_scale, *dm = bm->dm, *sx = bt->G0s, h = bm->hd[j], old = bm->x[j];
    const double qj = bm->q[j] + sc[j] * (bm->u[j] + bm->alpha * dm[j] + bm->beta * sx[j]);
    return lariat_prep_prox(s, j, old - qj / h, 1.0 / h, lambda);
}

/* Not collective. Coordinate j = j0 + k (of the block at j0, nb long) of
** model bm, the t-th of the sweep, goes to nw (sweep_batch, sweep_split):
** x, the rank-two scalars, the intercept's gradient, the largest move and
** the active set, and the move's coefficient c for block_rest; the rank
** that decided it (own) also adds it to the block's own entries of u now
** (the next coordinates read them), the others at the block's end. */
SWEEP_INLINE void move_coordinate(batch *bt, bmodel *bm, int t, int64_t p, int64_t j0, int nb, int k, double nw, int own)
{
    const int64_t j = j0 + k;
    const double *sx = bt->G0s, S0 = bt->G0s[p], f = 1.0 / bt->m[0].g->W;
    const double *sc = bm->g->std->inv_scale, *dm = bm->dm, old = bm->x[j], h = bm->hd[j];
    if (nw != old) {
        const double diff = nw - old, c = diff * sc[j] * f;
        bm->x[j] = nw;
        if (own) {
            const float *gj = bt->G0 + j * p;
            for (int l = 0; l < nb; l++) bm->u[j0 + l] += c * (double)gj[j0 + l];
        }
        bt->cd_coef[t][k] = c;
        bt->cd_moved[t]++;
        bm->alpha += c * (S0 * dm[j] - sx[j]);
        bm->beta -= c * dm[j];
        bm->q0 += diff * bm->h0[j];
        bm->cd_big = fmax(bm->cd_big, h * diff * diff);
    }
    if (nw != 0.0) bm->active[j] = 1;
}

/* Not collective. The intercept's step after a sweep of the nm models of
** mods (h0 = D (sx - S dm) / W_0). */
static void intercept_steps(batch *bt, const int *mods, int nm, int64_t p)
{
    const double S0 = bt->G0s[p], f = 1.0 / bt->m[0].g->W;
    for (int t = 0; t < nm; t++) {
        bmodel *bm = &bt->m[mods[t]];
        if (bm->cd_phase == CD_DONE || !bm->g->std->intercept || !(bm->h00 > 0.0)) continue;
        const double diff = -bm->q0 / bm->h00, c = diff * f;
        bm->x0 += diff;
        bm->beta += c;
        bm->alpha -= c * S0;
        bm->q0 += diff * bm->h00;
        bm->cd_big = fmax(bm->cd_big, bm->h00 * diff * diff);
    }
}

/* Not collective. The coordinates [r0, r1) of one sweep of the nm models
** of mods (sweep_batch's, or a run of sweep_split's), block by block of
** CD_BLOCK. A rank that sweeps alone (bt->split 0) decides every move (own,
** msg NULL) and keeps all of u. When the ranks split the sweep, this rank
** keeps the entries [split_lo, split_hi) of u: the run's owner (own)
** decides its moves and writes them to msg (model t's at t SPLIT_RUN), and
** the other ranks make the moves msg holds. */
SWEEP_INLINE void sweep_coordinates(batch *bt, const int *mods, int nm, int64_t p, double lambda, int64_t r0, int64_t r1,
                                  double *msg, int own)
{
    const int64_t lo = bt->split ? bt->split_lo : 0, hi = bt->split ? bt->split_hi : p;
    for (int64_t j0 = r0; j0 < r1; j0 += CD_BLOCK) {
        const int nb = (int)(r1 - j0 < CD_BLOCK ? r1 - j0 : CD_BLOCK);
        if (own) {
            /* The next block's own entries of its columns (a cache line
            ** each), which its first moves read: asked for now, a block ahead. */
            for (int64_t j = j0 + CD_BLOCK; j < j0 + 2 * CD_BLOCK && j < r1; j++) {
                __builtin_prefetch(bt->G0 + j * p + j0 + CD_BLOCK);
            }
        }
        for (int t = 0; t < nm; t++) {
            bt->cd_moved[t] = 0;
            for (int k = 0; k < CD_BLOCK; k++) bt->cd_coef[t][k] = 0.0;
        }
        for (int k = 0; k < nb; k++) {
            const int64_t j = j0 + k;
            for (int t = 0; t < nm; t++) {
                bmodel *bm = &bt->m[mods[t]];
                if (!sweep_visits(bm, j)) continue;
                double *m = msg != NULL ? msg + t * SPLIT_RUN + (j - r0) : NULL;
                const double nw = own ? coordinate_min(bt, bm, j, lambda) : *m;
                if (own && m != NULL) *m = nw;
                move_coordinate(bt, bm, t, p, j0, nb, k, nw, own);
            }
        }
        block_rest(bt, mods, nm, p, j0, nb, lo, hi);
    }
}

/* Not collective. One sweep (model_step's sweep: full or active, as each
** model's cd_phase says) for each of the nm models of mods whose solve is
** not done, on their implicit curvatures (bt->implicit). With D = diag(s)
** and c_j = diff s_j / W_0, a move of coordinate j adds
**   H e_j diff = D (c_j G0 e_j - c_j (sx_j dm + dm_j sx) + c_j S dm_j dm)
** to a model's gradient: u takes the Gram's column, and the rank-two rest
** goes into the scalars alpha (times dm) and beta (times sx). A coordinate
** reads only its own entry of u, so the columns are added lazily: the
** moves of a block of CD_BLOCK coordinates reach the block's own entries at
** once and the others at the block's end (block_rest). The models sweep
** block by block together, so that the shared Gram's block of columns is
** read from memory once for all of them. A model's moves and u are the same
** whatever other models share its sweeps (each model's sums are its own),
** so the answer is the same at any rank count (model_steps). */
static void sweep_batch(batch *bt, const int *mods, int nm, int64_t p, double lambda)
{
    for (int t = 0; t < nm; t++) bt->m[mods[t]].cd_big = 0.0;
    sweep_coordinates(bt, mods, nm, p, lambda, 0, p, NULL, 1);
    intercept_steps(bt, mods, nm, p);
}

/* The rank of the split descent that decides coordinate j's run. */
static int split_owner(const batch *bt, int64_t j)
{
    const int64_t runs = (bt->p + SPLIT_RUN - 1) / SPLIT_RUN;
    return (int)(j / SPLIT_RUN * bt->split_ranks / runs);
}

/* Collective. sweep_batch for the nm models of mods (every rank the same
** ones), its work split over the ranks as gram.c splits the gaussian
** descent: a coordinate's move needs its exact entry of u, and rank r keeps
** the entries [split_lo, split_hi) exact, the coordinates of its runs. The
** sweep goes run by run in order: the run's owner decides its moves (its
** entries of u are exact: every move before it has reached them), adds
** them to its entries of u, and broadcasts the run's new coordinates; every
** other rank makes the same moves from them (x, alpha, beta, q0, the active
** set: the same operations in the same order, so the same bits) and adds
** them to its own entries of u. Each entry of u thus takes the same updates
** in the same order as at one rank (the kernels' bits do not depend on the
** split of the entries, linalg/cd_update.h), and the answer is one rank's.
** The updates of u, the sweep's work (a column of G0 per move, for every
** model), divide among the ranks; the decisions do not, and the others wait
** for each run's broadcast (docs/performance.md). */
static int sweep_split(batch *bt, const int *mods, int nm, int64_t p, double lambda)
{
    const int me = lariat_ctx_rank(bt->ctx);
    MPI_Comm comm = lariat_ctx_comm(bt->ctx);
    double *msg = bt->split_msg;
    for (int t = 0; t < nm; t++) bt->m[mods[t]].cd_big = 0.0;
    for (int64_t r0 = 0; r0 < p; r0 += SPLIT_RUN) {
        const int64_t r1 = p - r0 < SPLIT_RUN ? p : r0 + SPLIT_RUN;
        int visits = 0;
        for (int t = 0; t < nm && !visits; t++) {
            for (int64_t j = r0; j < r1 && !visits; j++) visits = sweep_visits(&bt->m[mods[t]], j);
        }
        if (!visits) continue; /* the same on every rank: nothing to send */
        const int owner = split_owner(bt, r0);
        if (owner == me) sweep_coordinates(bt, mods, nm, p, lambda, r0, r1, msg, 1);
        if (MPI_Bcast(msg, nm * SPLIT_RUN, MPI_DOUBLE, owner, comm) != MPI_SUCCESS) {
            return lariat_error(bt->ctx, LARIAT_EMPI, "MPI_Bcast of a split descent's moves failed");
        }
        if (owner != me) sweep_coordinates(bt, mods, nm, p, lambda, r0, r1, msg, 0);
    }
    intercept_steps(bt, mods, nm, p);
    return LARIAT_OK;
}

/* Not collective. Newton's step for model bm's inner problem on its free
** set and the intercept (lariat_prep_free_newton; q is the model's
** gradient). Coordinate descent converges on the model only linearly (at a
** rate near 1 on correlated columns), and the later steps' tolerance is
** tight: on 100,000 x 100 rows with pairwise correlation 0.5, 10 folds, 1.2
** million active sweeps fell to 30,000 and the CV's time by a fifth.
** Returns 1 if the step was taken. */
static int active_newton(batch *bt, bmodel *bm, int64_t p, double lambda, double spent)
{
    const lariat_prep *s = bm->g->std;
    return lariat_prep_free_newton(s, p, lambda, bm->H, bm->h0, bm->h00, s->intercept && bm->h00 > 0.0,
                                   lariat_prep_newton_m2(NEWTON_SWEEPS, spent, p), 1.0, bm->x, &bm->x0, bm->q,
                                   &bm->q0, bt->nt_A, bt->nt_rhs, bt->nt_free);
}

/* Not collective. The start of model bm's inner solve (model_step,
** steps_implicit): the iterate at (a, c), the gradient -v, the active set
** of c's nonzeros and the penalty at c. */
static void model_begin(batch *bt, bmodel *bm, int64_t p, double lambda)
{
    const double *c = bm->ac + 1;
    memcpy(bm->x, c, (size_t)p * sizeof(double));
    bm->x0 = bm->ac[0];
    for (int64_t j = 0; j < p; j++) bm->q[j] = -bm->v[j];
    bm->q0 = bm->g0;
    if (bt->implicit && !bm->own) {
        memset(bm->u, 0, (size_t)p * sizeof(double));
        bm->alpha = bm->beta = 0.0;
    }
    for (int64_t j = 0; j < p; j++) bm->active[j] = c[j] != 0.0;
    bm->pen0 = lariat_glm_penalty(bm->g, lambda, c);
}

/* The inner solve's stopping test on the largest move's model decrease
** H_jj diff^2: inner_scale est^2 / N0, so that a step's error shrinks as
** fast as Newton's would (quadratically). On an implicit curvature (CSR
** rows, stale) at least INNER_LINEAR est: formed about a dozen times a
** path, it makes the steps converge linearly at its own error, a few
** percent, and solving the model further buys no step (measured below). */
static double model_inner_tol(const bmodel *bm, int implicit)
{
    const double tol = fmax(bm->inner_scale * bm->est * bm->est / fmax(bm->g->N0, DBL_MIN), 1e-30);
    return implicit ? fmax(tol, INNER_LINEAR * bm->est) : tol;
}

/* The model's predicted decrease at its iterate (Tseng and Yun 2009, eq. 9). */
static double model_decrease(const bmodel *bm, int64_t p, double lambda)
{
    const double *c = bm->ac + 1;
    double delta = bm->g0 * (bm->x0 - bm->ac[0]);
    for (int64_t j = 0; j < p; j++) delta -= bm->v[j] * (bm->x[j] - c[j]);
    return delta + lariat_glm_penalty(bm->g, lambda, bm->x) - bm->pen0;
}

/* The end of the inner solve: the step (x0, x) -= (a, c), the whole step's
** coefficients (trial), the predicted decrease and the objective's round-off. */
static void model_end(bmodel *bm, int64_t p, double delta)
{
    const double *c = bm->ac + 1;
    bm->x0 -= bm->ac[0];
    for (int64_t j = 0; j < p; j++) {
        bm->trial[j] = bm->x[j];
        bm->x[j] -= c[j];
    }
    bm->delta = delta;
    bm->slack = 8.0 * DBL_EPSILON * fabs(bm->loss + bm->pen0);
}

/* Not collective. The model's minimizer from (a, c) (active sweeps until
** they settle, with a Newton step on the free set after NEWTON_AFTER of
** them, then a full sweep), then the step (x0, x) -= (a, c), its predicted
** decrease delta (Tseng and Yun 2009, eq. 9) and round-off. The sweeps stop
** at inner_scale est^2 / N0, est the estimated suboptimality of the point;
** when the step predicts a decrease far below est (the estimate was
** pessimistic: a lambda's first step is solved to 1e-3 N0 before any gap
** is known), the model is solved again to its own decrease: a first step
** solved loosely left the later steps of a lambda far from quadratic
** convergence (late on the path, 1e-7 N0 of decrease took two steps more). */
static void model_step(batch *bt, bmodel *bm, int64_t p, double lambda)
{
    model_begin(bt, bm, p, lambda);
    int sweeps = 0;
    double delta = 0.0, bought = 0.0;
    for (int round = 0; round < 2; round++) {
        const double inner_tol = model_inner_tol(bm, 0);
        while (sweeps < MAX_SWEEPS) {
            double big = sweep(bm, p, lambda, 1);
            sweeps++;
            if (big <= inner_tol) break;
            int inner = 0;
            while (sweeps < MAX_SWEEPS && big > inner_tol) {
                big = sweep(bm, p, lambda, 0);
                sweeps++;
                /* A Newton step taken: the full sweep checks it. */
                if (lariat_prep_newton_due(++inner, NEWTON_AFTER)) {
                    const double spent = fmax(sweeps, bm->rent);
                    if (active_newton(bt, bm, p, lambda, spent)) {
                        bought = fmax(bought, spent);
                        break;
                    }
                }
            }
        }
        delta = model_decrease(bm, p, lambda);
        if (!(-delta < 1e-2 * bm->est)) break;
        bm->est = fmax(-delta, DBL_MIN);
    }
    bm->work = 1.0 + sweeps;
    bm->rent = bought > 0.0 ? bought : sweeps;
    model_end(bm, p, delta);
}

/* Not collective. model_step's state machine after one of model bm's sweeps
** in steps_implicit (big: its largest move): its next sweep, or the end of
** a round (a full sweep within the tolerance, or the sweeps spent), which
** ends the solve or starts the second round. Returns 1 when the solve ended. */
static int cd_after(bmodel *bm, int64_t p, double lambda)
{
    bm->cd_sweeps++;
    const int more = bm->cd_sweeps < MAX_SWEEPS;
    if (bm->cd_big > bm->cd_tol && more) {
        bm->cd_phase = CD_ACTIVE;
        return 0;
    }
    if (bm->cd_phase == CD_ACTIVE && more) {
        bm->cd_phase = CD_FULL;
        return 0;
    }
    for (;;) {
        const double delta = model_decrease(bm, p, lambda);
        const int again = -delta < 1e-2 * bm->est;
        if (again) bm->est = fmax(-delta, DBL_MIN);
        if (!again || bm->cd_round == 1) {
            bm->work = 1.0 + bm->cd_sweeps;
            model_end(bm, p, delta);
            bm->cd_phase = CD_DONE;
            return 1;
        }
        bm->cd_round = 1;
        bm->cd_tol = model_inner_tol(bm, 1);
        if (bm->cd_sweeps < MAX_SWEEPS) {
            bm->cd_phase = CD_FULL;
            return 0;
        }
    }
}

/* Not collective. model_step for the nm models of mods, whose curvatures
** are implicit (CSR rows), solved together sweep by sweep (sweep_batch):
** each model's solve is model_step's without the free-set Newton step (CSR
** rows' models had most of their columns free late on the path, beyond its
** size limit), bit for bit as if it were solved alone, and stopped at
** model_inner_tol's linear floor. On 100,000 x 2,000 rows at 1%, 10 folds,
** one rank: the CV took 30.7 s against 40.5 s with the models solved one
** after the other (md5-identical tables); then with the blocks (block_rest)
** 30.3 and 28.0 s against 33.8 and 31.8 s (alternated). */
static int steps_implicit(batch *bt, const int *mods, int nm, int64_t p, double lambda)
{
    for (int t = 0; t < nm; t++) {
        bmodel *bm = &bt->m[mods[t]];
        model_begin(bt, bm, p, lambda);
        bm->cd_phase = CD_FULL;
        bm->cd_round = bm->cd_sweeps = 0;
        bm->cd_tol = model_inner_tol(bm, 1);
    }
    for (int left = nm; left > 0;) {
        if (bt->split) {
            /* Every rank has the same models (model_steps). */
            int rc = sweep_split(bt, mods, nm, p, lambda);
            if (rc != LARIAT_OK) return rc;
        } else {
            sweep_batch(bt, mods, nm, p, lambda);
        }
        for (int t = 0; t < nm; t++) {
            bmodel *bm = &bt->m[mods[t]];
            if (bm->cd_phase != CD_DONE) left -= cd_after(bm, p, lambda);
        }
    }
    return LARIAT_OK;
}

/* Collective. Model bm's gap at its point. */
static int model_gap(batch *bt, bmodel *bm, double lambda)
{
    if (bm->has_gap) return LARIAT_OK;
    bt->n_gaps++;
    lariat_glm_point pt = {bm->loss, &bm->g0, bm->v};
    int rc = lariat_glm_gap(bm->g, lambda, bm->ac + 1, &pt, &bm->wk, &bm->primal, &bm->gap);
    bm->has_gap = 1;
    bm->est = isfinite(bm->gap) ? fmin(bm->gap, bm->g->N0) : bm->g->N0;
    return rc;
}

static int model_converged(const bmodel *bm)
{
    return bm->gap <= fmax(bm->target, LARIAT_GLM_GAP_FLOOR * fabs(bm->primal));
}

static void swap(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

/* Not collective. The trial point (bm->step along the step, its evaluation
** in the trial arrays) becomes model bm's point. */
static void accept(bmodel *bm, int64_t p, double change)
{
    bm->moved = 1;
    bm->ac[0] += bm->step * bm->x0;
    memcpy(bm->ac + 1, bm->trial, (size_t)p * sizeof(double));
    swap(&bm->wk.eta, &bm->etat);
    swap(&bm->wk.mu, &bm->mut);
    swap(&bm->wk.R, &bm->Rt);
    swap(&bm->wk.V, &bm->Vt);
    bm->dec_prev = bm->dec_last;
    bm->dec_last = bm->blind_step ? -1.0 : -change;
    bm->ver_prev = bm->ver_last;
    bm->ver_last = bm->ver;
    bm->stalls = 0;
    bm->has_gap = 0;
    /* A whole step's point is its fused pass's (batch_vectors); a line
    ** search's is the point's eta plus a fraction of the step's. */
    bm->fresh = bm->step == 1.0;
}

typedef struct fuse_arg {
    batch *bt;
    int cnt;
    const double *cst;
    double *loc, *sr; /* cnt each: the tile's losses and sums of R */
    int64_t base;     /* the tile's first row (fuse_rows' rows are the tile's) */
    int rc;
} fuse_arg;

/* Not collective. The fused pass's work on rows i0 .. i0 + m - 1 for every
** stepping model t: the whole step's trial eta from the block's product
** (XB's lane t; for point_pass, the point's) and its evaluation, and the
** trial's residuals into RB's lane t for the block's second product.
**
** A small block (the dense kernels' 64 rows, in the first cache level)
** goes one model at a time. A block larger than FUSE_BY_ROW doubles (the
** CSR pass's 1,024 rows of 12 lanes, 96 KB) goes row by row for a group of
** up to FUSE_GROUP models: XB is read into the models' trial etas and RB
** written from their residuals a row at a time, where one model at a time
** went down a lane ld doubles apart and read all its lines again, and the
** residuals are summed with each model's accumulator in row order (the same
** bits), side by side, where one model's sum alone was a chain of 1,024
** additions each waiting on the one before (a third of this function's
** time). perf of one sparse binomial CV: 701-736 samples before, 526-638
** after; on the dense CV row by row cost more (324-383 against 230-360). */
#define FUSE_GROUP 16
#define FUSE_BY_ROW 4096
/* The residuals of a block go to fuse_scr, not to the models' trial
** arrays: the fused pass only copies them into RB, and nothing reads a
** fused pass's R afterwards (a line search evaluates its own points, and
** batch_grad reads those), so each model's stream of n doubles written
** every pass is gone. Blocks of up to FUSE_SCR_ROWS rows (every kernel's:
** 64 dense, 1,024 CSR); a larger one falls back to the trial arrays. */
#define FUSE_SCR_ROWS 1024
#define FUSE_SCR (FUSE_GROUP * FUSE_SCR_ROWS)

static void fuse_rows(void *argv, int64_t i0, int64_t m, const double *XB, double *RB, int64_t ld)
{
    fuse_arg *fa = argv;
    batch *bt = fa->bt;
    i0 += fa->base;
    const int scr = m <= FUSE_SCR_ROWS;
    if (m * ld <= FUSE_BY_ROW) {
        for (int t = 0; t < fa->cnt; t++) {
            bmodel *bm = &bt->m[bt->list[t]];
            const lariat_glm *g = bm->g;
            const double c = fa->cst[t];
            double *et = bm->etat + i0, *rt = scr ? bt->fuse_scr : bm->Rt + i0, sr = 0.0;
            for (int64_t r = 0; r < m; r++) et[r] = XB[r * ld + t] + c;
            fa->loc[t] += g->fam->eval(m, m, 1, et, g->Y + i0, g->w + i0, bm->mut + i0, rt,
                                       bm->keep_V ? bm->Vt + i0 : NULL);
            for (int64_t r = 0; r < m; r++) {
                sr += rt[r];
                RB[r * ld + t] = rt[r];
            }
            fa->sr[t] += sr;
        }
        return;
    }
    for (int t0 = 0; t0 < fa->cnt; t0 += FUSE_GROUP) {
        const int nt = fa->cnt - t0 < FUSE_GROUP ? fa->cnt - t0 : FUSE_GROUP;
        double *et[FUSE_GROUP], *rt[FUSE_GROUP], c[FUSE_GROUP];
        for (int t = 0; t < nt; t++) {
            bmodel *bm = &bt->m[bt->list[t0 + t]];
            et[t] = bm->etat + i0;
            rt[t] = scr ? bt->fuse_scr + t * m : bm->Rt + i0;
            c[t] = fa->cst[t0 + t];
        }
        for (int64_t r = 0; r < m; r++) {
            const double *xr = XB + r * ld + t0;
            for (int t = 0; t < nt; t++) et[t][r] = xr[t] + c[t];
        }
        for (int t = 0; t < nt; t++) {
            bmodel *bm = &bt->m[bt->list[t0 + t]];
            const lariat_glm *g = bm->g;
            fa->loc[t0 + t] += g->fam->eval(m, m, 1, et[t], g->Y + i0, g->w + i0, bm->mut + i0, rt[t],
                                            bm->keep_V ? bm->Vt + i0 : NULL);
        }
        double sr[FUSE_GROUP] = {0};
        for (int64_t r = 0; r < m; r++) {
            double *rr = RB + r * ld + t0;
            for (int t = 0; t < nt; t++) {
                rr[t] = rt[t][r];
                sr[t] += rt[t][r];
            }
        }
        for (int t = 0; t < nt; t++) fa->sr[t0 + t] += sr[t];
    }
}

/* One tile of the fused pass: per stepping model [X'R (p, about 0) | sum R |
** loss] at the trial point, the products made on the tile's rows alone. */
static void fused_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    fuse_arg *fa = arg;
    batch *bt = fa->bt;
    const int64_t p = bt->p, len = p + 2;
    for (int t = 0; t < fa->cnt; t++) fa->loc[t] = fa->sr[t] = 0.0;
    fa->base = i0;
    const lariat_matrix tile = lariat_matrix_row_view(bt->data->X, i0, m);
    int rc = lariat_matrix_fused_multi(&tile, bt->Bm, fa->cnt, fuse_rows, fa, bt->Gm);
    if (rc != LARIAT_OK) fa->rc = rc;
    for (int t = 0; t < fa->cnt; t++) {
        memcpy(part + t * len, bt->Gm + t * p, (size_t)p * sizeof(double));
        part[t * len + p] = fa->sr[t];
        part[t * len + p + 1] = fa->loc[t];
    }
}

/* Collective. The fused pass of the cnt models of bt->list (one pass over
** X, lariat_matrix_fused_multi): the linear predictors of their whole
** steps' trial points (point 0) or of their points (1), their evaluation
** into the trial arrays and the gradients there, then one allreduce; model
** t's [X'R about its means (p) | sum R | loss] is left in bt->red + t (p + 2). */
static int fused_pass(batch *bt, int cnt, int point)
{
    const int64_t p = bt->p, len = p + 2;
    double cst[cnt > 0 ? cnt : 1], loc[cnt > 0 ? cnt : 1], sr[cnt > 0 ? cnt : 1];
    batch_vectors(bt, cnt, !point, cst);
    fuse_arg fa = {bt, cnt, cst, loc, sr, 0, LARIAT_OK};
    int rc = lariat_tilesum_run(bt->ts, cnt * len, fused_tile_fn, &fa, bt->red);
    if (rc == LARIAT_OK) rc = lariat_agree(bt->ctx, fa.rc);
    if (rc != LARIAT_OK) return rc;
    bt->n_products++;
    bt->n_evals += cnt;
    for (int t = 0; t < cnt; t++) {
        const lariat_prep *s = bt->m[bt->list[t]].g->std;
        double *buf = bt->red + t * len;
        for (int64_t j = 0; j < p; j++) buf[j] -= s->mean[j] * buf[p];
    }
    return LARIAT_OK;
}

/* Not collective. Model bm's gradient and loss from its fused pass's sums. */
static void take_gradient(bmodel *bm, int64_t p, const double *buf)
{
    const lariat_prep *s = bm->g->std;
    const double invW = 1.0 / bm->g->W;
    for (int64_t j = 0; j < p; j++) bm->v[j] = -buf[j] * s->inv_scale[j] * invW;
    bm->g0 = s->intercept ? buf[p] * invW : 0.0;
    bm->loss = buf[p + 1] * invW;
    bm->has_gap = 0;
}

/* Collective. The points of the cnt models of bt->list evaluated afresh
** (their eta, mu, R, V, gradient and loss) by the fused pass that makes
** their whole steps: the same bits as a whole step that arrived at them. */
static int point_pass(batch *bt, int cnt)
{
    int rc = fused_pass(bt, cnt, 1);
    for (int t = 0; rc == LARIAT_OK && t < cnt; t++) {
        bmodel *bm = &bt->m[bt->list[t]];
        swap(&bm->wk.eta, &bm->etat);
        swap(&bm->wk.mu, &bm->mut);
        swap(&bm->wk.R, &bm->Rt);
        swap(&bm->wk.V, &bm->Vt);
        take_gradient(bm, bt->p, bt->red + t * (bt->p + 2));
        bm->fresh = 1;
    }
    return rc;
}

/* Collective. The whole step of the cnt models of bt->list in ONE pass over
** X (fused_pass): the trial point's eta, evaluation and gradient. Newton's
** whole step is usually accepted: its gradient is then the next point's, at
** no pass more. The models whose whole step fails Armijo's test are left in
** bt->list[0..*rest), their step halved, for line_search. */
static int fused_step(batch *bt, int cnt, double lambda, int *rest)
{
    const int64_t p = bt->p, len = p + 2;
    int rc = fused_pass(bt, cnt, 0);
    if (rc != LARIAT_OK) return rc;
    int nr = 0;
    for (int t = 0; t < cnt; t++) {
        const int mi = bt->list[t];
        bmodel *bm = &bt->m[mi];
        const lariat_glm *g = bm->g;
        const double *buf = bt->red + t * len, invW = 1.0 / g->W;
        bm->step = 1.0;
        bm->moved = 0;
        /* model_step left c + x in trial. */
        const double change = buf[p + 1] * invW - bm->loss + lariat_glm_penalty(g, lambda, bm->trial) - bm->pen0;
        if (bm->blind_step || change <= ARMIJO * bm->delta + bm->slack) {
            accept(bm, p, change);
            take_gradient(bm, p, buf);
        } else {
            bm->step = 0.5;
            bt->list[nr++] = mi;
        }
    }
    *rest = nr;
    return LARIAT_OK;
}

typedef struct search_tile {
    batch *bt;
    int cnt;
    const int *searching;
} search_tile;

/* One tile's losses of the searching models' trial points. */
static void search_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const search_tile *a = arg;
    for (int t = 0; t < a->cnt; t++) {
        part[t] = 0.0;
        if (!a->searching[t]) continue;
        bmodel *bm = &a->bt->m[a->bt->list[t]];
        const lariat_glm *g = bm->g;
        part[t] = g->fam->eval(m, m, 1, bm->etat + i0, g->Y + i0, g->w + i0, bm->mut + i0, bm->Rt + i0,
                               bm->keep_V ? bm->Vt + i0 : NULL);
    }
}

/* Collective. The line searches of the cnt models of bt->list, whose whole
** steps' trials fused_step left in the trial arrays, from their bm->step:
** each round evaluates every searching model's trial point (one scalar per
** model in one allreduce); an accepted trial becomes the model's point (its
** evaluation kept). Blind steps (predicted decrease
** below round-off) are taken whole. The models that moved are left in
** bt->list[0..*moved). */
static int line_search(batch *bt, int cnt, double lambda, int *moved)
{
    const int64_t n = bt->n, p = bt->p;
    int searching[cnt > 0 ? cnt : 1];
    double red[cnt > 0 ? cnt : 1];
    for (int t = 0; t < cnt; t++) {
        searching[t] = 1;
        bt->m[bt->list[t]].moved = 0;
    }
    /* The whole step's X d, trial minus point: the fused pass left the
    ** trial's eta in etat. */
    for (int t = 0; t < cnt; t++) {
        bmodel *bm = &bt->m[bt->list[t]];
        for (int64_t i = 0; i < n; i++) bm->deta[i] = bm->etat[i] - bm->wk.eta[i];
    }
    int rc = LARIAT_OK;
    for (int h = 0; h < MAX_HALVINGS && rc == LARIAT_OK; h++) {
        int any = 0;
        for (int t = 0; t < cnt; t++) {
            red[t] = 0.0;
            if (!searching[t]) continue;
            any = 1;
            bmodel *bm = &bt->m[bt->list[t]];
            const double *c = bm->ac + 1;
            for (int64_t i = 0; i < n; i++) bm->etat[i] = bm->wk.eta[i] + bm->step * bm->deta[i];
            for (int64_t j = 0; j < p; j++) bm->trial[j] = c[j] + bm->step * bm->x[j];
            bt->n_evals++;
        }
        if (!any) break;
        search_tile arg = {bt, cnt, searching};
        rc = lariat_tilesum_run(bt->ts, cnt, search_tile_fn, &arg, red);
        for (int t = 0; rc == LARIAT_OK && t < cnt; t++) {
            if (!searching[t]) continue;
            bmodel *bm = &bt->m[bt->list[t]];
            const lariat_glm *g = bm->g;
            /* The loss is a sum of non-negative terms: its round-off is
            ** within the slack, eps times the objective. */
            const double change = red[t] / g->W - bm->loss + lariat_glm_penalty(g, lambda, bm->trial) - bm->pen0;
            if (bm->blind_step || change <= ARMIJO * bm->step * bm->delta + bm->slack) {
                searching[t] = 0;
                accept(bm, p, change);
            } else if (h + 1 == MAX_HALVINGS) {
                /* The model was not solved closely enough to give a
                ** descent direction: solve it tighter from the same point. */
                searching[t] = 0;
                bm->stalls++;
                bm->inner_scale *= 1e-2;
            } else {
                bm->step *= 0.5;
            }
        }
    }
    int nm = 0;
    for (int t = 0; t < cnt; t++) {
        if (bt->m[bt->list[t]].moved) bt->list[nm++] = bt->list[t];
    }
    *moved = nm;
    return rc;
}

/* Not collective. The path predictor, for a lambda's first step (from the
** solution at the lambda before): Newton's step from there is accurate only
** to second order in the change of lambda, and the part it misses changes
** little from one lambda to the next on the log-spaced path, so the
** correction the previous lambda needed (its whole move minus its first
** Newton step) is added to this one, on the coordinates the step leaves
** nonzero, none carried across zero. The corrected step is taken only if it
** still predicts a decrease; the line search and the gap judge it as any
** other. Measured on 100,000 x 100 rows, 10 folds: the second step's
** predicted decrease fell from about 5e-7 to 1e-10 of N0 in the middle of
** the path, and the lambdas that needed three steps mostly need two (330
** products with X fell to 266). */
static void predict(batch *bt, bmodel *bm, int64_t p, double lambda)
{
    const lariat_prep *s = bm->g->std;
    bm->first[0] = bm->x0;
    memcpy(bm->first + 1, bm->x, (size_t)p * sizeof(double));
    bm->has_first = 1;
    if (!bm->has_corr) return;
    const double *c = bm->ac + 1;
    double *t = bt->predicted;
    for (int64_t j = 0; j < p; j++) {
        const double u = bm->trial[j], w = u + bm->corr[1 + j];
        if (u == 0.0 || lariat_prep_is_fixed(s, j)) {
            t[j] = u;
        } else {
            const double v = (w > 0.0) == (u > 0.0) ? w : 0.0;
            t[j] = v < s->lo[j] ? s->lo[j] : (v > s->hi[j] ? s->hi[j] : v);
        }
    }
    const double x0 = bm->x0 + bm->corr[0];
    double delta = bm->g0 * x0;
    for (int64_t j = 0; j < p; j++) delta -= bm->v[j] * (t[j] - c[j]);
    delta += lariat_glm_penalty(bm->g, lambda, t) - bm->pen0;
    if (!(delta < -bm->slack)) return;
    bm->x0 = x0;
    for (int64_t j = 0; j < p; j++) {
        bm->x[j] = t[j] - c[j];
        bm->trial[j] = t[j];
    }
    bm->delta = delta;
}

/* Not collective. owner[m] for the running models: the longest expected
** solve first (bm->work, ties by index), each to the rank given the least
** work so far (ties to the lower rank). The same on every rank: every rank
** holds every model's work. Dealing the models round-robin gave rank 0 of
** two the all-rows model and 6 of 11 models at every step (its coordinate
** descent 2.6 s against 2.2 s on 100,000 x 2,000 rows at 1%, 10 folds). */
static void deal_models(batch *bt, int P)
{
    for (int r = 0; r < P; r++) bt->rank_work[r] = 0.0;
    for (int m = 0; m < bt->M; m++) bt->owner[m] = -1;
    for (;;) {
        int best = -1;
        for (int m = 0; m < bt->M; m++) {
            const bmodel *bm = &bt->m[m];
            if (!bm->run || bt->owner[m] >= 0) continue;
            if (best < 0 || fmax(bm->work, 1.0) > fmax(bt->m[best].work, 1.0)) best = m;
        }
        if (best < 0) return;
        int r = 0;
        for (int q = 1; q < P; q++) {
            if (bt->rank_work[q] < bt->rank_work[r]) r = q;
        }
        bt->owner[best] = r;
        bt->rank_work[r] += fmax(bt->m[best].work, 1.0);
    }
}

/* Collective. The step of every running model (model_step, and the path
** predictor on a lambda's first step). Its inner solve, coordinate descent
** on a p x p curvature, is the same work on every rank: with several ranks
** and models, each rank solves its share of the running models instead
** (deal_models) and sends the others what the step left (MPI_Bcast, exact:
** every rank then holds the bits it would have computed itself, so the
** answer stays the same at any rank count). On wide rows it is the
** lockstep's largest cost. */
static int model_steps(batch *bt, double lambda)
{
    const int64_t p = bt->p;
    const int P = lariat_ctx_size(bt->ctx), me = lariat_ctx_rank(bt->ctx);
    const int share = P > 1 && bt->M > 1;
    int nimp = 0;
    if (share) deal_models(bt, P);
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        if (!bm->run) continue;
        if (!bm->has_gap && bm->dec_last > 0.0) {
            bm->est = fmin(bm->g->N0, sqrt(EST_FRACTION * bm->g->N0 * bm->dec_last));
        }
        if (share && bt->owner[m] != me) continue;
        if (bt->implicit && !bm->own) {
            bt->list_imp[nimp++] = m;
            continue;
        }
        model_step(bt, bm, p, lambda);
        if (bm->iter == 0 && -bm->delta > GAP_NEAR * bm->slack) predict(bt, bm, p, lambda);
    }
    if (nimp > 0) {
        int rc = steps_implicit(bt, bt->list_imp, nimp, p, lambda);
        if (rc != LARIAT_OK) return rc;
    }
    for (int t = 0; t < nimp; t++) {
        bmodel *bm = &bt->m[bt->list_imp[t]];
        if (bm->iter == 0 && -bm->delta > GAP_NEAR * bm->slack) predict(bt, bm, p, lambda);
    }
    if (!share) return LARIAT_OK;
    /* What the step left that the lockstep reads after it (the rest,
    ** q and the active set, is made afresh by the next model_step):
    ** [x0, delta, est, pen0, slack, has_first, work, rent | trial (p)], and on a
    ** lambda's first step (iter 0, the only one that calls predict)
    ** [first (p + 1)] too. The step x is not sent: every path that ends a
    ** step (model_end, predict) leaves x = trial - c, and c is the point
    ** every rank holds, so each rank forms the same bits. A third of the
    ** doubles of [x | trial | first] on every step: on 100,000 x 2,000
    ** binomial rows at 1%, 10 folds, two ranks, the 4,730 broadcasts took
    ** about 0.1 s of a 5.4 s CV. */
    double *buf = bt->share;
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        if (!bm->run) continue;
        const int owner = bt->owner[m];
        const int len = (int)(SHARE_HEAD + p + (bm->iter == 0 ? p + 1 : 0));
        if (owner == me) {
            buf[0] = bm->x0;
            buf[1] = bm->delta;
            buf[2] = bm->est;
            buf[3] = bm->pen0;
            buf[4] = bm->slack;
            buf[5] = bm->has_first;
            buf[6] = bm->work;
            buf[7] = bm->rent;
            memcpy(buf + SHARE_HEAD, bm->trial, (size_t)p * sizeof(double));
            if (bm->iter == 0) memcpy(buf + SHARE_HEAD + p, bm->first, (size_t)(p + 1) * sizeof(double));
        }
        if (MPI_Bcast(buf, len, MPI_DOUBLE, owner, lariat_ctx_comm(bt->ctx)) != MPI_SUCCESS) {
            return lariat_error(bt->ctx, LARIAT_EMPI, "MPI_Bcast of a model's step failed");
        }
        if (owner != me) {
            const double *c = bm->ac + 1;
            bm->x0 = buf[0];
            bm->delta = buf[1];
            bm->est = buf[2];
            bm->pen0 = buf[3];
            bm->slack = buf[4];
            bm->has_first = buf[5] != 0.0;
            bm->work = buf[6];
            bm->rent = buf[7];
            memcpy(bm->trial, buf + SHARE_HEAD, (size_t)p * sizeof(double));
            for (int64_t j = 0; j < p; j++) bm->x[j] = bm->trial[j] - c[j];
            if (bm->iter == 0) memcpy(bm->first, buf + SHARE_HEAD + p, (size_t)(p + 1) * sizeof(double));
        }
    }
    return LARIAT_OK;
}

/* Not collective. A CV fold's model (lariat_glm.heldout), its gap just
** certified: its report is the point plus the Newton step model_steps has
** just computed from it (a lambda's first step without predict's
** correction: first), unevaluated. The step squares the coefficients'
** error, or on the shared curvature (model 0's weights) divides it by
** about ten: the held-out scores are first order in that error, where the
** objective and the gap are second order. Unevaluated, the report has no
** certificate of its own: the point's gap bounds the point's
** suboptimality, and the step, whose predicted decrease is of the order of
** that suboptimality, can raise the objective only by its curvature
** model's error over the step, a fraction of that decrease. Its objective
** and gap are left the point's, which nothing reads (cv.c scores a fold's
** coefficients only). Before, the step went through the fused pass and
** the line search like any other: the same reports to about 1e-9 in the
** CV tables (docs/classification.md), one pass more at most lambdas. */
static void polish(bmodel *bm, int64_t p)
{
    const int first = bm->iter == 0 && bm->has_first;
    bm->report[0] = bm->ac[0] + (first ? bm->first[0] : bm->x0);
    for (int64_t j = 0; j < p; j++) bm->report[1 + j] = bm->ac[1 + j] + (first ? bm->first[1 + j] : bm->x[j]);
    bm->has_report = 1;
}

/* Collective. One lambda for every model: glm_newton.c's newton_solve,
** arranged by kind of work (see the top of this file). */
static int solve_lambda(batch *bt, double lambda, int max_iter)
{
    const int64_t p = bt->p;
    /* Not on CSR rows: there a curvature pass (a Gram of p^2 / 2 binned
    ** sums a tile) costs about as much as a dozen lockstep steps, and the
    ** steps on the stale curvature converge fast enough (100,000 x 2,000 at
    ** 1%, one model: 247 steps and 47 curvature passes in 12.5 s with the
    ** first-step rule, 323 steps and 8 in 5.6 s without). */
    const int first_refresh = !bt->implicit;
    const double refresh_ratio = bt->implicit ? REFRESH_RATIO_SPARSE : REFRESH_RATIO;
    const double near_fraction = bt->implicit && bt->M > 1 ? GAP_NEAR_IMPLICIT : 1.0;
    int rc = LARIAT_OK;
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        bm->run = 1;
        bm->iter = bm->stalls = bm->blind = bm->has_report = 0;
        bm->has_gap = 0;
        bm->inner_scale = INNER_FRACTION;
        bm->dec_last = bm->dec_prev = -1.0;
        bm->ver_lam = bm->ver;
        /* No gap yet at this lambda: the model is solved tightly (its
        ** sweeps cost no pass). */
        bm->est = 1e-3 * bm->g->N0;
        memcpy(bm->start, bm->ac, (size_t)(p + 1) * sizeof(double));
        bm->has_first = 0;
        bm->rent = 0.0;
    }
    while (rc == LARIAT_OK) {
        int nrun = 0, nshared = 0, want = 0;
        for (int m = 0; m < bt->M && rc == LARIAT_OK; m++) {
            bmodel *bm = &bt->m[m];
            if (!bm->run) continue;
            nrun++;
            /* Slow: the last two steps, made on the same curvature, shrank
            ** the decrease by less than REFRESH_RATIO. (A step on a curvature
            ** formed since the one before says nothing of it: Newton's
            ** first step on a fresh curvature takes nearly all of what was
            ** left, and the ratio to the stale step before is that stale
            ** curvature's rate; judging by it cost a curvature pass at the
            ** end of one lambda in five, after which no model stepped.) */
            /* And after the first step at a lambda, on a curvature formed at
            ** an earlier one: that step from the warm start covers most of
            ** the way to the new solution, and the curvature there is close
            ** to the solution's, so the steps after it converge
            ** quadratically (model 0) or nearly (the fold models). Measured
            ** on 100,000 x 100 rows, 10 folds, 100 lambdas: 328 passes and
            ** 100 curvature passes, against 413 and 56 when the curvature
            ** was formed only once the steps had slowed. */
            const int slow = bm->stalls > 0 ||
                             (bm->dec_prev > 0.0 && bm->ver_prev == bm->ver_last &&
                              bm->dec_last > refresh_ratio * bm->dec_prev) ||
                             (bm->iter == 1 && bm->ver == bm->ver_lam && first_refresh &&
                              bm->dec_last > FIRST_REFRESH * bm->g->N0);
            /* A model still slow after OWN_AFTER steps at this lambda (the
            ** shared curvature, made with model 0's weights, is too far
            ** from its own: nearly separated rows, where the weights
            ** differ by orders of magnitude between models) keeps its own
            ** curvature from then on, formed anew when it slows. */
            if (bt->formed && slow && (bm->own || bm->iter >= OWN_AFTER)) {
                bm->own = 1;
                if (bm->H == NULL) {
                    /* An implicit curvature's model (CSR rows) gets a matrix of its own. */
                    bm->H = lariat_malloc(bt->ctx, (size_t)(p * p), sizeof(double), "model curvature");
                    rc = lariat_agree(bt->ctx, bm->H != NULL ? LARIAT_OK : LARIAT_ENOMEM);
                    if (rc != LARIAT_OK) break;
                }
                if (!bm->keep_V) {
                    /* Its weights from here on (row by row, as the tiles' evaluations give them). */
                    const lariat_glm *g = bm->g;
                    g->fam->eval(bt->n, bt->n, 1, bm->wk.eta, g->Y, g->w, NULL, NULL, bm->wk.V);
                    bm->keep_V = 1;
                }
                rc = own_refresh(bt, bm);
                continue;
            }
            if (bm->own) continue;
            nshared++;
            want += slow;
        }
        if (nrun == 0 || rc != LARIAT_OK) break;
        if (!bt->formed || 4 * want > nshared) {
            rc = refresh(bt);
            if (rc != LARIAT_OK) break;
        }
        rc = model_steps(bt, lambda);
        int cnt = 0;
        for (int m = 0; m < bt->M && rc == LARIAT_OK; m++) {
            bmodel *bm = &bt->m[m];
            if (!bm->run) continue;
            const int near = -bm->delta <= near_fraction * fmax(bm->target, GAP_NEAR * bm->slack) || bm->stalls > 0 ||
                             bm->iter >= max_iter || bm->blind >= MAX_BLIND;
            if (near) {
                rc = model_gap(bt, bm, lambda);
                if (rc != LARIAT_OK) break;
                const int certified = model_converged(bm);
                if (certified && bm->g->heldout && bm->iter < max_iter) {
                    polish(bm, p);
                    bm->run = 0;
                    continue;
                }
                if (certified || bm->iter >= max_iter || bm->stalls >= MAX_STALLS) {
                    bm->run = 0;
                    continue;
                }
            }
            bm->blind_step = !(bm->delta < -bm->slack);
            if (bm->blind_step && ++bm->blind > MAX_BLIND) {
                /* The point is optimal to working precision (glm_newton.c). */
                bm->run = 0;
                continue;
            }
            if (!bm->blind_step) bm->blind = 0;
            bm->iter++;
            bt->list[cnt++] = m;
        }
        if (rc != LARIAT_OK || cnt == 0) continue;
        bt->n_steps += cnt;
        int rest = 0, moved = 0;
        rc = fused_step(bt, cnt, lambda, &rest);
        if (rc == LARIAT_OK && rest > 0) rc = line_search(bt, rest, lambda, &moved);
        if (rc == LARIAT_OK && moved > 0) rc = batch_grad(bt, moved);
    }
    /* The correction the next lambda's first step gets (predict): only from
    ** a lambda at which the model stepped (one that converged before any
    ** step has no move to learn from). */
    for (int m = 0; m < bt->M; m++) {
        bmodel *bm = &bt->m[m];
        bm->has_corr = bm->has_first && bm->iter > 0;
        for (int64_t j = 0; bm->has_corr && j <= p; j++) bm->corr[j] = bm->ac[j] - bm->start[j] - bm->first[j];
    }
    return rc;
}

/* Collective. The batch's workspace for M models on data (set_of, nsets
** and excl as lariat_glm_batch_paths), the models not yet made; errors are
** agreed, and on failure the caller frees what was made (batch_free). */
static int batch_alloc(batch *bt, lariat_ctx *ctx, const lariat_data *data, int M, const int *set_of, int nsets,
                       const int *excl)
{
    memset(bt, 0, sizeof(*bt));
    bt->ctx = ctx;
    bt->data = data;
    bt->M = M;
    bt->nsets = nsets;
    bt->set_of = set_of;
    bt->excl = excl;
    bt->n = data->n_local;
    bt->p = data->p;
    bt->implicit = lariat_matrix_is_sparse(data->X);
    const int64_t n = bt->n > 0 ? bt->n : 1, p = bt->p, L = 4 + 2 * p + p * p;
    int rc = LARIAT_OK;
    /* The split descent: one model (the fit) on CSR rows, at least
    ** SPLIT_MIN_RUNS runs for each rank that splits it. Not for the CV's
    ** models, which model_steps deals to the ranks whole: on 100,000 x
    ** 2,000 binomial rows at 1%, 10 folds, two ranks, the split CV took
    ** 5.70-6.21 s against 5.44-5.73 s dealt (four alternated pairs, the
    ** same bits): each run's decisions for eleven models keep the other
    ** rank waiting. */
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    const int64_t runs = (p + SPLIT_RUN - 1) / SPLIT_RUN;
    bt->split_ranks = (int)(runs / SPLIT_MIN_RUNS < P ? runs / SPLIT_MIN_RUNS : P);
    bt->split = bt->implicit && M == 1 && bt->split_ranks > 1;
    if (bt->split && me < bt->split_ranks) {
        /* This rank's runs are r with r S / runs = me: from ceil(me runs / S). */
        const int64_t S = bt->split_ranks, r0 = (me * runs + S - 1) / S, r1 = ((me + 1) * runs + S - 1) / S;
        bt->split_lo = r0 * SPLIT_RUN;
        bt->split_hi = r1 * SPLIT_RUN < p ? r1 * SPLIT_RUN : p;
    }
    if (!lariat_blas_fits(n, p) || !lariat_blas_fits(p, p)) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "the lockstep paths cannot handle %lld rows of %lld features",
                          (long long)n, (long long)p);
    }
    if (rc == LARIAT_OK) {
        bt->m = lariat_calloc(ctx, (size_t)M, sizeof(bmodel), "models");
        if (bt->m != NULL) bt->m[0].keep_V = 1;
        bt->list = lariat_malloc(ctx, (size_t)M, sizeof(int), "models");
        bt->list_imp = lariat_malloc(ctx, (size_t)M, sizeof(int), "models");
        bt->cd_coef = lariat_malloc(ctx, (size_t)M, sizeof(*bt->cd_coef), "coordinate moves");
        bt->cd_moved = lariat_malloc(ctx, (size_t)M, sizeof(int), "coordinate moves");
        bt->Bm = lariat_malloc(ctx, (size_t)(p * M), sizeof(double), "model vectors");
        bt->Gm = lariat_malloc(ctx, (size_t)(p * M), sizeof(double), "model gradients");
        bt->red = lariat_malloc(ctx, (size_t)(M * (p + 2)), sizeof(double), "gradients");
        /* The moments by set: dense rows only (refresh_sparse has none). */
        const int64_t Ls = lariat_matrix_is_sparse(data->X) ? 1 : L;
        bt->sets = lariat_malloc(ctx, (size_t)(nsets * Ls), sizeof(double), "moments");
        bt->S = lariat_malloc(ctx, (size_t)Ls, sizeof(double), "moments");
        bt->own = lariat_malloc(ctx, (size_t)(p * p + p + 1), sizeof(double), "model curvature");
        if (bt->implicit) {
            bt->G0 = gram_alloc(ctx, p);
            bt->G0s = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "shared curvature sums");
        }
        bt->nt_A = lariat_malloc(ctx, (size_t)((p + 1) * (p + 1)), sizeof(double), "active Newton system");
        bt->nt_rhs = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "active Newton system");
        bt->nt_free = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "active Newton system");
        bt->predicted = lariat_malloc(ctx, (size_t)p, sizeof(double), "path predictor");
        bt->share = lariat_malloc(ctx, (size_t)SHARE_LEN(p), sizeof(double), "model step");
        if (bt->split) bt->split_msg = lariat_malloc(ctx, (size_t)M * SPLIT_RUN, sizeof(double), "split descent moves");
        bt->owner = lariat_malloc(ctx, (size_t)M, sizeof(int), "model owners");
        bt->rank_work = lariat_malloc(ctx, (size_t)lariat_ctx_size(ctx), sizeof(double), "model owners");
        bt->T = lariat_tile_rows(data->n, p);
        bt->tile_in = lariat_malloc(ctx, (size_t)(bt->T * M), sizeof(double), "tile vectors");
        bt->tile_out = lariat_malloc(ctx, (size_t)((bt->T > p ? bt->T : p) * M), sizeof(double), "tile products");
        bt->tile_tmp = lariat_malloc(ctx, (size_t)(3 * bt->T), sizeof(double), "tile evaluations");
        bt->fuse_scr = lariat_malloc(ctx, FUSE_SCR, sizeof(double), "block evaluations");
        if (!bt->m || !bt->list || !bt->list_imp || !bt->cd_coef || !bt->cd_moved || !bt->Bm || !bt->Gm || !bt->red ||
            !bt->sets || !bt->S || !bt->own || (bt->implicit && (!bt->G0 || !bt->G0s)) || !bt->nt_A || !bt->nt_rhs || !bt->nt_free ||
            !bt->predicted || !bt->share || (bt->split && !bt->split_msg) || !bt->owner || !bt->rank_work || !bt->tile_in || !bt->tile_out ||
            !bt->tile_tmp || !bt->fuse_scr) {
            rc = LARIAT_ENOMEM;
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_tilesum_create(ctx, data, (int64_t)M * (p + 2), &bt->ts);
    return rc;
}

/* Collective. The fold models' prepared problems (lariat_prep_from_stats)
** from ONE pass of moments by set with model 0's weights, instead of each
** model's own passes (lariat_prep_create's two, with the column ranges:
** about a quarter of the 100,000 x 100 CV's setup for 10 folds). Only when
** every model m > 0 weighs its rows as model 0 but for those of its
** excluded set and of no set (cv.c's folds); otherwise the preps stay NULL
** and each model prepares its own. The sums are about model 0's means, so
** that the complements (all sets but one) lose no digits. Dense rows only
** (the moments by set are): on CSR rows each model prepares its own, two
** passes over the stored entries. */
static int fold_preps(batch *bt, const double *const *w, const lariat_problem *pb, lariat_prep **preps)
{
    lariat_ctx *ctx = bt->ctx;
    const int64_t n = bt->n, p = bt->p, L = LARIAT_STATS_LEN(p);
    int shaped = bt->M > 1 && !lariat_matrix_is_sparse(bt->data->X);
    for (int m = 1; m < bt->M && shaped; m++) {
        shaped = bt->excl[m] >= 1 && bt->excl[m] <= bt->nsets;
        for (int64_t i = 0; i < n && shaped; i++) {
            const int f = bt->set_of[i];
            shaped = w[m][i] == (f == 0 || f == bt->excl[m] ? 0.0 : w[0][i]);
        }
    }
    if (MPI_Allreduce(MPI_IN_PLACE, &shaped, 1, MPI_INT, MPI_MIN, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the fold weights' check failed");
    }
    if (!shaped) return LARIAT_OK;
    double *ranges = lariat_malloc(ctx, (size_t)(bt->nsets * 2 * p), sizeof(double), "column ranges");
    double *total = lariat_calloc(ctx, (size_t)L, sizeof(double), "moments");
    double *rest = lariat_malloc(ctx, (size_t)(2 * p), sizeof(double), "column ranges");
    double *zero = lariat_calloc(ctx, (size_t)p, sizeof(double), "shift");
    int rc = lariat_agree(ctx, ranges && total && rest && zero ? LARIAT_OK : LARIAT_ENOMEM);
    /* prep_from_stats wants the shift 0 without an intercept. */
    const double *shift = pb->intercept ? bt->m[0].g->std->mean : zero;
    if (rc == LARIAT_OK) rc = lariat_stats_by_fold(ctx, bt->data, w[0], bt->set_of, bt->nsets, shift, 0.0, 0, bt->sets,
                                                   ranges);
    for (int f = 0; rc == LARIAT_OK && f < bt->nsets; f++) {
        for (int64_t t = 0; t < L; t++) total[t] += bt->sets[f * L + t];
    }
    for (int m = 1; rc == LARIAT_OK && m < bt->M; m++) {
        /* bt->S is free until the first curvature pass. */
        lariat_stats_complement(p, bt->nsets, total, bt->sets, ranges, bt->excl[m] - 1, bt->S, rest);
        rc = lariat_prep_from_stats(ctx, bt->data, pb, bt->S, rest, shift, 0.0, &preps[m]);
        if (rc == LARIAT_OK) {
            preps[m]->w = w[m];
            free(preps[m]->gram); /* only the gram solver reads it */
            preps[m]->gram = NULL;
        }
    }
    free(ranges);
    free(total);
    free(rest);
    free(zero);
    return rc;
}

/* Collective. The models' starting points (their ac) evaluated: point_pass. */
static int batch_start(batch *bt)
{
    for (int m = 0; m < bt->M; m++) bt->list[m] = m;
    return point_pass(bt, bt->M);
}

/* Not collective. The fold models' labels: each model made its own copy
** of the same rows' labels (the CV fixes the classes), so that the fused
** pass's evaluations read M streams of n doubles where one serves, the
** block's labels still in cache for the models after the first (on
** 100,000 x 2,000 CSR rows, 10 folds: 8 MB of a pass's ~77 MB of traffic).
** A copy that differs anywhere is kept. */
static void share_labels(batch *bt)
{
    const size_t bytes = (size_t)bt->n * sizeof(double);
    int all = 1;
    for (int m = 1; m < bt->M; m++) all &= memcmp(bt->m[m].g->Y, bt->m[0].g->Y, bytes) == 0;
    if (!all) return;
    for (int m = 1; m < bt->M; m++) {
        free(bt->m[m].g->Y);
        bt->m[m].g->Y = bt->m[0].g->Y;
    }
}

int lariat_glm_batch_paths(lariat_ctx *ctx, const lariat_data *data, const double *const *w, int M,
                           const int *set_of, int nsets, const int *excl, const lariat_problem *pb,
                           const lariat_settings *st, const double *classes, int nclass, lariat_fit **fits)
{
    for (int m = 0; m < M; m++) fits[m] = NULL;
    if (pb->family != LARIAT_FAMILY_BINOMIAL || M < 1 || nsets < 1) {
        return lariat_error(ctx, LARIAT_EUSAGE, "the lockstep paths serve the binomial family");
    }
    batch bt;
    int rc = batch_alloc(&bt, ctx, data, M, set_of, nsets, excl);
    const int64_t p = bt.p;
    lariat_prep **preps = lariat_calloc(ctx, (size_t)M, sizeof(*preps), "fold problems");
    rc = lariat_agree(ctx, rc == LARIAT_OK && preps == NULL ? LARIAT_ENOMEM : rc);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, model_create(&bt, &bt.m[0], w[0], pb, classes, nclass, NULL, 1));
    if (rc == LARIAT_OK) rc = fold_preps(&bt, w, pb, preps);
    for (int m = 1; m < M && rc == LARIAT_OK; m++) {
        rc = lariat_agree(ctx, model_create(&bt, &bt.m[m], w[m], pb, classes, nclass, preps[m], 0));
        preps[m] = NULL;
        /* Models 1 to M - 1 are the CV's folds. */
        if (rc == LARIAT_OK) bt.m[m].g->heldout = 1;
    }
    for (int m = 0; preps != NULL && m < M; m++) lariat_prep_destroy(preps[m]);
    free(preps);
    if (rc == LARIAT_OK) share_labels(&bt);
    /* The starting points (the null models) and their gradients; the fold
    ** models' lambda_max from them (model 0's, which makes the path, from
    ** its own null pass, as lariat fit's). */
    if (rc == LARIAT_OK) rc = batch_start(&bt);
    for (int m = 1; m < M && rc == LARIAT_OK; m++) lariat_glm_set_null_gradient(bt.m[m].g, bt.m[m].v);
    double *lam = NULL;
    int nlam = 0;
    if (rc == LARIAT_OK) rc = lariat_path_lambdas(ctx, data->n, p, st, bt.m[0].g->lambda_max, &lam, &nlam);
    for (int m = 0; m < M && rc == LARIAT_OK; m++) {
        bmodel *bm = &bt.m[m];
        rc = lariat_glm_fit_new(ctx, bm->g, nlam, &fits[m]);
        if (rc == LARIAT_OK) {
            fits[m]->solver_name = "gram";
            snprintf(fits[m]->solver_reason, sizeof(fits[m]->solver_reason),
                     "proximal Newton with the IRLS curvature; the all-rows and %d fold models in lockstep, one "
                     "product with X per pass for all",
                     M - 1);
        }
        bm->target = st->tol * LARIAT_GLM_TOL_MARGIN * fmax(bm->g->N0, DBL_MIN);
    }
    rc = lariat_agree(ctx, rc);
    int not_converged = 0;
    for (int l = 0; rc == LARIAT_OK && l < nlam; l++) {
        rc = solve_lambda(&bt, lam[l], st->max_iter);
        for (int m = 0; rc == LARIAT_OK && m < M; m++) {
            const bmodel *bm = &bt.m[m];
            lariat_solve_info info = {bm->iter, bm->gap <= st->tol * bm->g->N0, bm->gap, bm->primal};
            const double *ac = bm->has_report ? bm->report : bm->ac;
            rc = lariat_agree(ctx, lariat_glm_solution(ctx, bm->g, lam[l], ac, ac + 1, &info, &fits[m]->path[l]));
            fits[m]->nlambda = l + 1;
            not_converged += !info.converged;
        }
        if (rc != LARIAT_OK) break;
        const lariat_solution *s0 = &fits[0]->path[l];
        lariat_log(ctx, LARIAT_LOG_VERBOSE,
                   "lambda %d/%d = %.6g: %d iterations (models: %d), gap %.3g, %lld nonzero, dev ratio %.6f", l + 1,
                   nlam, lam[l], s0->iterations, M, s0->duality_gap, (long long)s0->nonzero, s0->dev_ratio);
        /* glmnet's devmax on model 0's default path ends every path. */
        if (st->lambda == NULL && s0->dev_ratio > LARIAT_GLM_DEVMAX && l + 1 < nlam) {
            fits[0]->path_stopped = 1;
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "path: stopped after lambda %d/%d, deviance ratio %.6f > %g", l + 1,
                       nlam, s0->dev_ratio, LARIAT_GLM_DEVMAX);
            break;
        }
    }
    if (rc == LARIAT_OK && not_converged > 0) {
        lariat_log(ctx, LARIAT_LOG_NORMAL,
                   "warning: %d of %d (model, lambda) pairs did not converge (gap above tol * N0 after at most %d "
                   "iterations: max_iter, or no further progress at working precision)",
                   not_converged, M * fits[0]->nlambda, st->max_iter);
    }
    if (rc == LARIAT_OK) {
        lariat_log(ctx, LARIAT_LOG_VERBOSE,
                   "lockstep: %d models, %d lambdas: %ld model steps, %ld products with X, %ld shared and %ld own "
                   "curvature passes, %ld row evaluations, %ld gaps",
                   M, fits[0]->nlambda, bt.n_steps, bt.n_products, bt.n_refresh, bt.n_own, bt.n_evals, bt.n_gaps);
    }
    free(lam);
    batch_free(&bt);
    if (rc != LARIAT_OK) {
        for (int m = 0; m < M; m++) {
            lariat_fit_destroy(fits[m]);
            fits[m] = NULL;
        }
    }
    return rc;
}

/* The lockstep engine on one model: the binomial path's proximal Newton
** solver on dense rows (lariat_glm_solver_lockstep, glm.h). Against
** glm_newton.c's it brings the fused pass (a step's product, evaluation
** and gradient in one pass), the curvature's moments in single precision,
** the path predictor and the free-set Newton step: on 100,000 x 100 rows,
** 100 lambdas, 3.6 s against glm_newton.c's 9.7 s with the same answers
** to the tolerance (docs/performance.md).
**
** What a solve leaves to the next besides (a, c), for a path resumed from
** a checkpoint: the curvature, the predictor's correction and the flags
** (the state, get_state), and the point's eta and gradient. Those are
** per rank, so they are not saved: instead a solve evaluates its starting
** point afresh with point_pass unless the point is the one the solve
** before left and that point came from a whole step, whose evaluation is
** point_pass's bit for bit (batch_vectors). A resumed path thus repeats an
** uninterrupted one exactly, and only a lambda that ended on a line
** search's point costs one pass more. The curvature's version counters
** are not state: only their differences within one lambda are used. */
typedef struct lockstep {
    batch bt;
    int *set_of;  /* n: every row in set 1 */
    int excl;     /* 0: the model trains on every set */
    int started;  /* a point has been evaluated (the model's arrays hold one) */
    int max_iter;
    double *state; /* get_state's copy */
} lockstep;

/* [formed, own, has_corr, h00 | h0 (p) | corr (p + 1) | H (p^2)]; on CSR
** rows (implicit) the p^2 slot holds G0's Gram unless the model is own,
** and [sx (p) | S | hd (p) | dm (p)] follow (refresh_sparse's G0s and the
** model's reading of G0). */
#define LOCKSTEP_STATE(p, implicit) (4 + (p) + (p) + 1 + (p) * (p) + ((implicit) ? 3 * (p) + 1 : 0))

static void lockstep_destroy(void *ws)
{
    lockstep *ls = ws;
    if (ls == NULL) return;
    if (ls->bt.m != NULL && ls->bt.m[0].g != NULL) {
        const batch *bt = &ls->bt;
        lariat_log(bt->ctx, LARIAT_LOG_VERBOSE,
                   "lockstep: 1 model: %ld steps, %ld products with X, %ld shared and %ld own curvature passes, %ld "
                   "row evaluations, %ld gaps",
                   bt->n_steps, bt->n_products, bt->n_refresh, bt->n_own, bt->n_evals, bt->n_gaps);
    }
    batch_free(&ls->bt);
    free(ls->set_of);
    free(ls->state);
    free(ls);
}

static int lockstep_create(const lariat_glm *g, const lariat_settings *st, void **out)
{
    *out = NULL;
    lariat_ctx *ctx = g->ctx;
    if (g->K != 1) return lariat_error(ctx, LARIAT_EUSAGE, "the lockstep solver serves the binomial family");
    const int64_t n = g->data->n_local, p = g->p;
    const int implicit = lariat_matrix_is_sparse(g->data->X);
    lockstep *ls = lariat_calloc(ctx, 1, sizeof(*ls), "solver workspace");
    int rc = ls != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        ls->set_of = lariat_malloc(ctx, (size_t)(n > 0 ? n : 1), sizeof(int), "row sets");
        /* Written by get_state only (a checkpoint's): untouched otherwise. */
        ls->state = lariat_malloc(ctx, (size_t)LOCKSTEP_STATE(p, implicit), sizeof(double), "solver state");
        if (ls->set_of == NULL || ls->state == NULL) rc = LARIAT_ENOMEM;
    }
    for (int64_t i = 0; rc == LARIAT_OK && i < n; i++) ls->set_of[i] = 1;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = batch_alloc(&ls->bt, ctx, g->data, 1, ls->set_of, 1, &ls->excl);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, model_adopt(&ls->bt, &ls->bt.m[0], g));
    if (rc != LARIAT_OK) {
        lockstep_destroy(ls);
        return rc;
    }
    if (ls->bt.split) {
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "lockstep: the descent split over %d ranks, runs of %d coordinates",
                   ls->bt.split_ranks, SPLIT_RUN);
    }
    /* st->tol is the path's inner tolerance already (glm_path.c). */
    ls->bt.m[0].target = st->tol * fmax(g->N0, DBL_MIN);
    ls->max_iter = st->max_iter;
    *out = ls;
    return LARIAT_OK;
}

static int lockstep_solve(void *ws, double lambda, double *a, double *c, lariat_solve_info *info)
{
    lockstep *ls = ws;
    batch *bt = &ls->bt;
    bmodel *bm = &bt->m[0];
    const int64_t p = bt->p;
    int rc = LARIAT_OK;
    /* The same on every rank: a and c are, and so is fresh (the line
    ** search's decisions are on reduced values). */
    if (!ls->started || !bm->fresh || bm->ac[0] != a[0] || memcmp(bm->ac + 1, c, (size_t)p * sizeof(double)) != 0) {
        bm->ac[0] = a[0];
        memcpy(bm->ac + 1, c, (size_t)p * sizeof(double));
        rc = batch_start(bt);
        ls->started = rc == LARIAT_OK;
    }
    if (rc == LARIAT_OK) rc = solve_lambda(bt, lambda, ls->max_iter);
    if (rc != LARIAT_OK) return rc;
    /* A fold's report (polish): the next solve then starts from it, with a
    ** pass of its own. */
    const double *ac = bm->has_report ? bm->report : bm->ac;
    a[0] = ac[0];
    memcpy(c, ac + 1, (size_t)p * sizeof(double));
    info->iterations = bm->iter;
    info->gap = bm->gap;
    info->primal = bm->primal;
    return LARIAT_OK;
}

/* The state as the last solve left it, copied only when asked: p^2 values,
** 32 MB at p = 2,000, where the CSR path spends about 30 ms a lambda. */
static int64_t lockstep_get_state(const void *ws, const double **values)
{
    const lockstep *ls = ws;
    const batch *bt = &ls->bt;
    const bmodel *bm = &bt->m[0];
    const int64_t p = bt->p;
    double *s = ls->state;
    s[0] = bt->formed;
    s[1] = bm->own;
    s[2] = bm->has_corr;
    s[3] = bm->h00;
    memcpy(s + 4, bm->h0, (size_t)p * sizeof(double));
    memcpy(s + 4 + p, bm->corr, (size_t)(p + 1) * sizeof(double));
    double *rest = s + 5 + 2 * p;
    if (!bt->implicit) {
        memcpy(rest, bm->H, (size_t)(p * p) * sizeof(double));
    } else {
        if (bm->own) memcpy(rest, bm->H, (size_t)(p * p) * sizeof(double));
        else if (bt->G0 != NULL) for (int64_t i = 0; i < p * p; i++) rest[i] = bt->G0[i];
        else memset(rest, 0, (size_t)(p * p) * sizeof(double));
        memcpy(rest + p * p, bt->G0s, (size_t)(p + 1) * sizeof(double));
        memcpy(rest + p * p + p + 1, bm->hd, (size_t)p * sizeof(double));
        memcpy(rest + p * p + 2 * p + 1, bm->dm, (size_t)p * sizeof(double));
    }
    *values = s;
    return LOCKSTEP_STATE(p, bt->implicit);
}

static int lockstep_set_state(void *ws, const double *values, int64_t n)
{
    lockstep *ls = ws;
    batch *bt = &ls->bt;
    bmodel *bm = &bt->m[0];
    const int64_t p = bt->p;
    if (n != LOCKSTEP_STATE(p, bt->implicit)) {
        return lariat_error(bt->ctx, LARIAT_EUSAGE, "the checkpoint's solver state (%lld values) is not the lockstep "
                            "solver's for %lld features", (long long)n, (long long)p);
    }
    const int own = values[1] != 0.0;
    if (bt->implicit && own && bm->H == NULL) {
        bm->H = lariat_malloc(bt->ctx, (size_t)(p * p), sizeof(double), "model curvature");
        if (bm->H == NULL) return LARIAT_ENOMEM;
    }
    bt->formed = values[0] != 0.0;
    bm->own = own;
    bm->has_corr = values[2] != 0.0;
    bm->h00 = values[3];
    memcpy(bm->h0, values + 4, (size_t)p * sizeof(double));
    memcpy(bm->corr, values + 4 + p, (size_t)(p + 1) * sizeof(double));
    const double *rest = values + 5 + 2 * p;
    if (!bt->implicit) {
        memcpy(bm->H, rest, (size_t)(p * p) * sizeof(double));
    } else {
        if (own) memcpy(bm->H, rest, (size_t)(p * p) * sizeof(double));
        else for (int64_t i = 0; i < p * p; i++) bt->G0[i] = (float)rest[i]; /* singles already: exact */
        memcpy(bt->G0s, rest + p * p, (size_t)(p + 1) * sizeof(double));
        memcpy(bm->hd, rest + p * p + p + 1, (size_t)p * sizeof(double));
        memcpy(bm->dm, rest + p * p + 2 * p + 1, (size_t)p * sizeof(double));
    }
    return LARIAT_OK;
}

const lariat_glm_solver_ops lariat_glm_solver_lockstep = {"gram", lockstep_create, lockstep_solve, lockstep_destroy,
                                                          lockstep_get_state, lockstep_set_state};
