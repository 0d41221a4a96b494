/*
** K-fold cross-validation (SPEC.md section 3, cv.glmnet's grouped formulas).
**
** For each alpha: the path on all rows gives the lambda sequence and the
** refit; then every fold's model is the same path fitted with the fold's rows
** masked out of the weights (so it is standardized on its own training rows),
** and scored on the fold's rows, all lambdas at once (one DGEMM per block of
** held-out rows). One reduction per alpha sums the per-fold errors.
**
** With the gram solver on dense rows, one pass instead builds every fold's
** sufficient statistics (data/stats.h): fold k's training statistics are the
** total minus fold k's, its held-out squared errors follow from fold k's own,
** and the whole CV (every alpha, fold and lambda) never touches X again.
**
** Rank groups (--cv-groups G): the ranks split into G groups of consecutive
** ranks; each group receives all rows spread over its members
** (lariat_data_regroup) and trains the folds k with (k - 1) mod G = its
** index. The full-data path stays on all ranks. Each rank's error sums cover
** its group's rows of its group's folds, so one reduction over all ranks
** still gives every fold's total exactly once.
**
** The measure (SPEC.md section 9): gaussian mse (deviance is the same) or
** mae; the statistics mode gives squared errors only, so mae fits the folds
** on the rows. The binomial and multinomial families have no statistics
** mode: every fold is fit on its rows with the all-rows classes. Binomial
** with gram (or auto) and one group runs the lockstep mode:
** the all-rows path and every fold's together, each pass over X serving
** all of them (lariat_glm_batch_paths, lockstep_serves); otherwise each
** fold is its own lariat_glm_fit_path, and rank groups favour folds side by
** side (family_groups). Before any fit, one reduction of the folds' class
** counts finds a class short in a fold's training rows and auc's unusable
** folds (score.h). Each held-out row's error at every lambda comes from
** its K linear predictors (one product with a B of p x (nlambda K)), and
** the sums go through the same grouped formulas; auc, which is not a sum
** over rows, is computed per fold from the fold's held-out rows brought
** together (score.h) and enters the formulas as W_k AUC_k.
**
** Checkpoints (ckpt/ckpt.h): the folds run in rounds (round r trains fold
** r G + g + 1 on group g, or fold r P + i + 1 on rank i in the statistics
** mode), and with a checkpoint file every rank agrees at the end of each
** round, at the end of each all-rows path, and after each lambda of the
** paths that all ranks share (the all-rows path and, with one group, the
** gaussian folds' paths of the data mode; a cross-entropy fold is a unit
** whole). The lockstep mode has one boundary per alpha, after its folds
** are scored: it solves an alpha whole or not at all, and solves anew an
** alpha that a checkpoint holds only in part (from a run with other
** groups). A checkpoint holds the complete alphas'
** curves, the all-rows path of the alpha in progress, its folds done with
** their error sums reduced over all ranks, and the path in progress. On
** resume the reduced sums go to rank 0 and zeros elsewhere: x + 0 = x
** exactly, so the final reduction gives the uninterrupted run's sums.
*/
#include "ckpt/ckpt.h"
#include "core/core.h"
#include "cv/folds.h"
#include "cv/score.h"
#include "data/matrix.h"
#include "data/regroup.h"
#include "data/stats.h"
#include "data/tiles.h"
#include "linalg/rsum.h"
#include "family/family.h"
#include "solvers/glm.h"
#include "solvers/path.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lariat_cv_settings_default(lariat_cv_settings *cv)
{
    memset(cv, 0, sizeof(*cv));
    cv->nfolds = 10;
    cv->seed = 1;
    cv->select = LARIAT_SELECT_1SE;
}

void lariat_cv_destroy(lariat_cv_result *res)
{
    if (res == NULL) return;
    for (int a = 0; a < res->nalpha && res->curves != NULL; a++) {
        lariat_cv_curve *c = &res->curves[a];
        free(c->lambda);
        free(c->cvm);
        free(c->cvsd);
        free(c->nonzero);
        lariat_fit_destroy(c->fit);
    }
    free(res->curves);
    free(res);
}

/* The workspace shared by the alphas: this rank's folds and scratch. */
typedef struct cv_work {
    int K;
    int G, group;       /* number of rank groups and this rank's */
    lariat_ctx *sub;    /* the group's context (ctx itself when G = 1) */
    const lariat_data *gdata; /* the rows this rank holds for its group */
    const double *gw;   /* their weights in use */
    const int *gfold;   /* their folds */
    lariat_data *own_data; /* regrouped copies, freed with the workspace */
    double *own_w;
    int *own_fold;
    int *fold;          /* n_local folds in 1..K, 0 for rows of weight 0 */
    int batch;          /* binomial: the models in lockstep (lariat_glm_batch_paths) */
    lariat_fit **bfits; /* K + 1: their paths, the all-rows one first */
    double *wmask;      /* training weights of the current fold */
    int64_t *rows;      /* local rows of the current fold */
    int64_t max_rows;   /* the most rows of one fold among this rank's group rows */
    double *B, *pred;   /* p x (nlambda nlin) coefficients and rows x (nlambda nlin) predictions */
    double *err;        /* K x nlambda error sums, then K fold weights */
    /* The family and the measure (SPEC.md section 9): */
    lariat_family_kind family;
    const lariat_family *fam;
    lariat_measure measure; /* resolved */
    double *classes;        /* binomial, multinomial: the all-rows classes */
    int nclass;
    int64_t max_fold_rows;  /* the most held-out rows of one fold, over all ranks */
    double *eta_row, *lab_row; /* nlin: one row's linear predictors and labels */
    double *held;           /* auc: 2 max_rows, the fold's held-out labels and weights */
    double *auc;            /* auc: nlambda fold AUCs */
    char *owned;            /* auc: nlambda flags, the lambdas whose AUC this rank computes */
    lariat_cv_auc_work aw;
    /* Statistics mode (NULL sums otherwise): */
    double *sums, *ranges; /* K sets and their ranges */
    double *total, *total_ranges, *train, *train_ranges, *scratch;
    double *shift;         /* p: the column shift of the statistics */
    double yshift;
    lariat_ctx *self;      /* this rank alone: the statistics are global, fits need no messages */
    /* Checkpoints (ck NULL: none): */
    lariat_ckpt *ck;
    lariat_cv_result *res; /* curves [0, alpha) complete */
    int alpha;             /* the alpha in progress */
    char *fold_done;       /* K flags: the folds of the alpha in progress done */
    double *err_sum;       /* K x nlambda + K: err reduced, for a checkpoint */
    /* The error sums as they accumulate (err is their reduced value): binned
    ** (linalg/rsum.h), one deposit per tile of held-out rows, so that the
    ** CV table is the same at any rank count and with any groups. */
    lariat_rsum_entry *err_acc, *err_red; /* K x nlambda + K each */
    double *tile_err;      /* nlambda + 1: one tile's sums in score_rows */
} cv_work;

static void batch_free_folds(cv_work *wk);

static void work_free(lariat_ctx *ctx, cv_work *wk)
{
    batch_free_folds(wk);
    if (wk->sub != NULL && wk->sub != ctx) lariat_ctx_destroy(wk->sub);
    lariat_ctx_destroy(wk->self);
    lariat_data_destroy(wk->own_data);
    free(wk->own_w);
    free(wk->own_fold);
    free(wk->fold);
    free(wk->wmask);
    free(wk->rows);
    free(wk->B);
    free(wk->pred);
    free(wk->err);
    free(wk->sums);
    free(wk->ranges);
    free(wk->total);
    free(wk->total_ranges);
    free(wk->train);
    free(wk->train_ranges);
    free(wk->scratch);
    free(wk->shift);
    free(wk->fold_done);
    free(wk->err_sum);
    free(wk->err_acc);
    free(wk->err_red);
    free(wk->tile_err);
    free(wk->classes);
    free(wk->eta_row);
    free(wk->lab_row);
    free(wk->held);
    free(wk->auc);
    free(wk->owned);
    lariat_cv_auc_free(&wk->aw);
    lariat_ckpt_close(wk->ck);
}

/* Not collective. After a collective call on the group's context: its
** message, agreed within the group, becomes ctx's (with one group they are
** the same context). */
static int from_group(lariat_ctx *ctx, const cv_work *wk, int rc)
{
    if (rc != LARIAT_OK && wk->sub != NULL && wk->sub != ctx) rc = lariat_error(ctx, rc, "%s", lariat_errmsg(wk->sub));
    return rc;
}

/* Collective. Assigns folds (from foldid or the seed) and checks that K is
** between 2 and the number of rows, and that every fold has weight. */
static int assign_folds(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_cv_settings *cv,
                        cv_work *wk)
{
    int rc = LARIAT_OK;
    int K = cv->nfolds;
    if (cv->foldid != NULL) {
        int kmax = 0;
        for (int64_t i = 0; i < data->n_local; i++) kmax = cv->foldid[i] > kmax ? cv->foldid[i] : kmax;
        MPI_Allreduce(MPI_IN_PLACE, &kmax, 1, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx));
        K = kmax;
    }
    if (K < 2) return lariat_error(ctx, LARIAT_EUSAGE, "cross-validation needs at least 2 folds (got %d)", K);
    if ((int64_t)K > data->n) {
        return lariat_error(ctx, LARIAT_EDATA, "%d folds is more than the %lld rows", K, (long long)data->n);
    }
    wk->K = K;
    wk->fold = lariat_malloc(ctx, (size_t)data->n_local, sizeof(int), "folds");
    if (wk->fold == NULL) rc = LARIAT_ENOMEM;
    for (int64_t i = 0; rc == LARIAT_OK && i < data->n_local; i++) {
        int f = cv->foldid ? cv->foldid[i] : lariat_fold_of(cv->seed, data->n, K, data->row0 + i);
        if (f < 1 || f > K) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "foldid of row %lld is %d, outside 1..%d",
                              (long long)(data->row0 + i + 1), f, K);
        }
        wk->fold[i] = w[i] > 0 ? f : 0;
    }
    return lariat_agree(ctx, rc);
}

/* Not collective (inputs are global). The automatic number of groups, from
** the stored values of the data (bytes of them) and whether the folds'
** solver repeats its path on every rank of a group (gram: coordinate descent
** on a replicated Gram, which more ranks do not divide). Folds run side by
** side, as many groups as folds and ranks allow while each rank's copy of
** its group's rows stays under 1 GiB, when the path is replicated or the
** blocks are small; otherwise one group keeps every rank busy on every fold. */
static int auto_groups(double values, double bytes, int P, int K, int replicated, char *why, size_t len)
{
    if (P == 1 || (!replicated && values / P >= 250000.0)) {
        snprintf(why, len, "1 group: %.0f values per rank keep every rank busy on every fold", values / P);
        return 1;
    }
    int G = P < K ? P : K;
    while (G > 1 && bytes * G / P > (double)(1 << 30)) G--;
    if (replicated) {
        snprintf(why, len, "%d groups: gram repeats each fold's path on every rank of a group, so folds run side by side",
                 G);
    } else {
        snprintf(why, len, "%d groups: small blocks (%.0f values per rank), so folds run side by side", G, values / P);
    }
    return G;
}

/* Not collective (inputs are global). The automatic number of groups for
** the cross-entropy families. Their fold fits (proximal Newton, or fista
** for wide data) make a pass over the rows and an allreduce at every step,
** and Newton repeats its coordinate descent on the p x p model on every
** rank of a group: folds side by side cut the messages and the repeated
** work, while the passes' flops per rank stay the same. Measured on
** `lariat gen --rows 20000 --features 50` with labels y > 1 (binomial, the
** default path of 100 lambdas, 10 folds, 2 ranks, so 500000 values per
** rank, on a shared 2-core machine): 1 group 728 s, 2 groups 383 s; with
** 20 lambdas 278 s and 103 s. So, as for gram's replicated path: as many
** groups as ranks and folds allow while each rank's copy of its group's
** rows stays under 1 GiB. */
static int family_groups(double bytes, int P, int K, char *why, size_t len)
{
    int G = P < K ? P : K;
    while (G > 1 && bytes * G / P > (double)(1 << 30)) G--;
    if (P > 1) {
        snprintf(why, len, "; %d group%s: folds side by side save the fits' messages at the same work per rank%s", G,
                 G == 1 ? "" : "s", G < (P < K ? P : K) ? " (as many as 1 GiB per rank allows)" : "");
    }
    return G;
}

/* Collective. Whether the solver st gives the all-rows problem is gram with
** its Gram replicated on every rank (one more pass, for the preparation). */
static int path_replicated(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                           const lariat_settings *st, int *replicated)
{
    *replicated = 0;
    lariat_prep *prep = NULL;
    double memory = 0.0;
    int rc = lariat_prep_create(ctx, data, w, pb, &prep);
    if (rc == LARIAT_OK) rc = lariat_solver_memory(ctx, &memory);
    if (rc == LARIAT_OK) {
        char reason[160];
        *replicated = lariat_solver_choose(prep, st, memory, reason, sizeof(reason)) == &lariat_solver_gram;
    }
    lariat_prep_destroy(prep);
    return rc;
}

/* Collective. Splits the ranks into groups and gives each rank its group's
** rows, weights and folds (or the caller's when there is one group). */
/* The widest problem the lockstep mode takes: K + 1 curvatures of p x p
** doubles in at most this many (as glm_path.c's auto for one). */
#define LOCKSTEP_MAX_DOUBLES (32.0 * 1024 * 1024)

/* Not collective (the storage kind and p are every rank's). Whether the
** lockstep mode (lariat_glm_batch_paths) serves this cross-validation:
** binomial, the gram solver (or auto, which picks it for these sizes) with
** the IRLS curvature, and p small enough: on dense rows K + 1 curvatures
** of p x p in LOCKSTEP_MAX_DOUBLES (and as many moments by set); on CSR
** rows the models share one Gram (glm_batch.c's refresh_sparse), and three
** p x p arrays (the Gram, and one own curvature and Newton system, touched
** only if a model needs its own) must fit. Not with more features than
** rows: there each fold's path takes the working set of glm_workset.c,
** whose curvature is the strong features' only (on 300 x 1,000 binomial
** rows the lockstep CV took 105 s). */
static int lockstep_serves(const lariat_data *data, const lariat_problem *pb, const lariat_settings *st, int K)
{
    const double p = (double)data->p;
    if (data->p > data->n) return 0;
    const int fits = lariat_matrix_is_sparse(data->X) ? 3.0 * p * p <= LOCKSTEP_MAX_DOUBLES
                                                      : (K + 1.0) * p * p <= LOCKSTEP_MAX_DOUBLES;
    return pb->family == LARIAT_FAMILY_BINOMIAL &&
           (st->solver == LARIAT_SOLVER_GRAM || st->solver == LARIAT_SOLVER_AUTO) &&
           st->curvature != LARIAT_CURVATURE_BOUND && fits;
}

static int setup_groups(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                        const lariat_settings *st, const lariat_cv_settings *cv, int stats_mode, cv_work *wk)
{
    const int P = lariat_ctx_size(ctx);
    char why[320] = "";
    int G = cv->groups;
    /* A request that cannot work is refused even where the mode needs no groups. */
    if (G > P || G > wk->K) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--cv-groups %d needs at least as many ranks (%d) and folds (%d)", G,
                            P, wk->K);
    }
    if (wk->family != LARIAT_FAMILY_GAUSSIAN && lockstep_serves(data, pb, st, wk->K)) {
        /* Also when groups were asked for: fits fold by fold would round
        ** differently, and the CV table would then depend on G. */
        wk->batch = 1;
        snprintf(why, sizeof(why),
                 "no one-pass statistics for the %s family; the all-rows and %d fold models advance in lockstep, "
                 "one product with X per pass for all: 1 group%s",
                 lariat_family_name(wk->family), wk->K, G > 1 ? " (--cv-groups is not needed)" : "");
        G = 1;
    } else if (wk->family != LARIAT_FAMILY_GAUSSIAN) {
        /* The statistics mode is the squared error's: the cross-entropy
        ** families fit every fold on its rows. */
        int len = snprintf(why, sizeof(why), "no one-pass statistics for the %s family: folds are fit on the rows",
                           lariat_family_name(wk->family));
        if (G <= 0) {
            double values = (double)lariat_matrix_nnz(data->X);
            int rc = lariat_allreduce_sum(ctx, &values, 1);
            if (rc != LARIAT_OK) return rc;
            /* CSR stores a 4-byte column index beside each value. */
            const double bytes = values * (lariat_matrix_is_sparse(data->X) ? 12.0 : 8.0);
            G = family_groups(bytes, P, wk->K, why + len, sizeof(why) - (size_t)len);
        }
    } else if (stats_mode) {
        /* Also when groups were asked for: the statistics serve every fold
        ** from one pass, and the same statistics give the same answer at any
        ** rank count (data/tiles.h), which fits on rows could not match. */
        snprintf(why, sizeof(why), "gram on dense rows: one pass gives every fold's statistics, 1 group%s",
                 G > 1 ? " (--cv-groups is not needed)" : "");
        G = 1;
    } else if (G <= 0 && P == 1) {
        G = 1;
    } else if (G <= 0) {
        int replicated = 0;
        double values = (double)lariat_matrix_nnz(data->X);
        lariat_problem first = *pb; /* the first alpha's choice stands for all */
        if (cv->alphas != NULL) first.alpha = cv->alphas[0];
        int rc = path_replicated(ctx, data, w, &first, st, &replicated);
        if (rc == LARIAT_OK) rc = lariat_allreduce_sum(ctx, &values, 1);
        if (rc != LARIAT_OK) return rc;
        /* CSR stores a 4-byte column index beside each value. */
        const double bytes = values * (lariat_matrix_is_sparse(data->X) ? 12.0 : 8.0);
        G = auto_groups(values, bytes, P, wk->K, replicated, why, sizeof(why));
    }
    if (G > P || G > wk->K) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--cv-groups %d needs at least as many ranks (%d) and folds (%d)", G,
                            P, wk->K);
    }
    if (why[0] != '\0') lariat_log(ctx, cv->groups <= 0 ? LARIAT_LOG_NORMAL : LARIAT_LOG_VERBOSE, "cv: %s", why);
    wk->G = G;
    int rc = LARIAT_OK;
    if (G == 1) {
        wk->group = 0;
        wk->sub = ctx;
        wk->gdata = data;
        wk->gw = w;
        wk->gfold = wk->fold;
    } else {
        wk->group = (int)((int64_t)lariat_ctx_rank(ctx) * G / P);
        MPI_Comm comm;
        if (MPI_Comm_split(lariat_ctx_comm(ctx), wk->group, lariat_ctx_rank(ctx), &comm) != MPI_SUCCESS) {
            return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Comm_split failed"));
        }
        rc = lariat_ctx_create(comm, &wk->sub);
        MPI_Comm_free(&comm);
        rc = lariat_agree(ctx, rc);
        if (rc != LARIAT_OK) return rc;
        /* Warnings from the folds come once, from the first group. */
        lariat_ctx_set_verbosity(wk->sub, wk->group == 0 ? lariat_ctx_verbosity(ctx) : LARIAT_LOG_QUIET);
        rc = lariat_data_regroup(ctx, data, w, wk->fold, wk->sub, &wk->own_data, &wk->own_w, &wk->own_fold);
        if (rc != LARIAT_OK) return rc;
        wk->gdata = wk->own_data;
        wk->gw = wk->own_w;
        wk->gfold = wk->own_fold;
    }
    const int64_t nl = wk->gdata->n_local;
    wk->wmask = lariat_malloc(ctx, (size_t)nl, sizeof(double), "fold weights");
    wk->rows = lariat_calloc(ctx, (size_t)(nl > wk->K ? nl : wk->K), sizeof(int64_t), "fold rows");
    rc = (wk->wmask && wk->rows) ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        /* The most rows of one fold here sizes the predictions (rows is
        ** the count's scratch until the first fold fills it). */
        for (int64_t i = 0; i < nl; i++) {
            if (wk->gfold[i] >= 1) wk->rows[wk->gfold[i] - 1]++;
        }
        for (int k = 0; k < wk->K; k++) wk->max_rows = wk->rows[k] > wk->max_rows ? wk->rows[k] : wk->max_rows;
    }
    return lariat_agree(ctx, rc);
}

/* Not collective. Index of the best cvm (the smallest; the largest for
** auc, SPEC.md 9), the first (largest lambda) on ties, and of the largest
** lambda within one standard error of it: cvm <= cvm[min] + cvsd[min]
** (auc: cvm >= cvm[min] - cvsd[min]). */
static void select_lambdas(lariat_cv_curve *c, int minimize)
{
    int imin = 0;
    for (int l = 1; l < c->nlambda; l++) {
        if (minimize ? c->cvm[l] < c->cvm[imin] : c->cvm[l] > c->cvm[imin]) imin = l;
    }
    const double bound = minimize ? c->cvm[imin] + c->cvsd[imin] : c->cvm[imin] - c->cvsd[imin];
    int i1se = imin;
    for (int l = 0; l < c->nlambda; l++) {
        if (minimize ? c->cvm[l] <= bound : c->cvm[l] >= bound) {
            i1se = l;
            break;
        }
    }
    c->index_min = imin;
    c->index_1se = i1se;
}

/* One tile's [sum w, sum w y, X'w (p)] for stats_shift. */
typedef struct shift_tile {
    const lariat_data *data;
    const double *w;
} shift_tile;

static void shift_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const shift_tile *a = arg;
    const double *w = a->w + i0, *y = a->data->y + i0;
    part[0] = 0.0;
    part[1] = 0.0;
    for (int64_t i = 0; i < m; i++) {
        part[0] += w[i];
        part[1] += w[i] * y[i];
    }
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    lariat_matrix_mult_t(&tile, NULL, w, part + 2);
}

/* Collective. The statistics shift: the all-rows weighted means of the
** columns and of y (one product X'w, summed over tiles of rows), or 0
** without an intercept, where the sums must be about 0 (prep's means are 0
** then). */
static int stats_shift(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       cv_work *wk)
{
    const int64_t p = data->p;
    memset(wk->shift, 0, (size_t)p * sizeof(double));
    wk->yshift = 0.0;
    if (!pb->intercept) return LARIAT_OK;
    double *buf = lariat_malloc(ctx, (size_t)(p + 2), sizeof(double), "column sums");
    int rc = lariat_agree(ctx, buf != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) return rc;
    shift_tile arg = {data, w};
    rc = lariat_tile_sum(ctx, data, p + 2, shift_tile_fn, &arg, buf);
    /* No positive weight: the shift stays 0, and lariat_prep_from_stats
    ** reports the empty set. */
    if (rc == LARIAT_OK && buf[0] > 0.0) {
        for (int64_t j = 0; j < p; j++) wk->shift[j] = buf[2 + j] / buf[0];
        wk->yshift = buf[1] / buf[0];
    }
    free(buf);
    return rc;
}

/* Collective. The statistics mode: on dense rows (with any --cv-groups: the
** mode needs none) and K + 3 sets of p^2 doubles within 1 GiB, one pass
** builds every fold's sums about the all-rows means. The mode is kept
** (*use = 1) when the solver chosen for the all-rows problem, prepared from
** the total of those sums, is gram; otherwise the sums are dropped and the
** folds run on the rows (that costs one wasted pass, only under a small
** --max-memory or with a given lambda list on p > n). Where no data can
** make it gram (lariat_solver_never_gram: another --solver, or auto on
** more features than rows with an l1 term, or for ridge with the kernel)
** the pass is not made: on 300 x 3,000 rows at alpha 1 it took most of a
** 10-fold CV's 9.7 s, and its sums 3.5 GB. */
static int setup_stats(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       const lariat_settings *st, cv_work *wk, int *use)
{
    const int64_t p = data->p, L = LARIAT_STATS_LEN(p);
    const int K = wk->K;
    *use = 0;
    /* The statistics give the squared errors only: gaussian mse (deviance). */
    if (wk->family != LARIAT_FAMILY_GAUSSIAN || wk->measure == LARIAT_MEASURE_MAE) return LARIAT_OK;
    if (lariat_matrix_is_sparse(data->X) || (double)(K + 3) * (double)L * 8.0 > (double)(1 << 30) ||
        lariat_solver_never_gram(data->n, p, pb, st)) {
        return LARIAT_OK;
    }
    wk->sums = lariat_malloc(ctx, (size_t)(K * L), sizeof(double), "fold statistics");
    wk->ranges = lariat_malloc(ctx, (size_t)(K * 2 * p), sizeof(double), "fold ranges");
    wk->total = lariat_calloc(ctx, (size_t)L, sizeof(double), "total statistics");
    wk->total_ranges = lariat_malloc(ctx, (size_t)(2 * p), sizeof(double), "total ranges");
    wk->train = lariat_malloc(ctx, (size_t)L, sizeof(double), "training statistics");
    wk->train_ranges = lariat_malloc(ctx, (size_t)(2 * p), sizeof(double), "training ranges");
    wk->scratch = lariat_malloc(ctx, (size_t)p, sizeof(double), "statistics scratch");
    wk->shift = lariat_malloc(ctx, (size_t)p, sizeof(double), "statistics shift");
    int rc = (wk->sums && wk->ranges && wk->total && wk->total_ranges && wk->train && wk->train_ranges &&
              wk->scratch && wk->shift)
                 ? LARIAT_OK
                 : LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    const double t0 = lariat_now();
    if (rc == LARIAT_OK) rc = stats_shift(ctx, data, w, pb, wk);
    if (rc == LARIAT_OK) {
        rc = lariat_stats_by_fold(ctx, data, w, wk->fold, K, wk->shift, wk->yshift, 0, wk->sums, wk->ranges);
    }
    if (rc == LARIAT_OK) {
        for (int k = 0; k < K; k++) {
            for (int64_t t = 0; t < L; t++) wk->total[t] += wk->sums[k * L + t];
        }
        for (int64_t t = 0; t < 2 * p; t++) {
            wk->total_ranges[t] = -INFINITY;
            for (int k = 0; k < K; k++) {
                wk->total_ranges[t] = fmax(wk->total_ranges[t], wk->ranges[(int64_t)k * 2 * p + t]);
            }
        }
        rc = lariat_agree(ctx, lariat_ctx_create(MPI_COMM_SELF, &wk->self));
    }
    lariat_prep *all = NULL;
    double memory = 0.0;
    if (rc == LARIAT_OK) rc = lariat_solver_memory(ctx, &memory);
    if (rc == LARIAT_OK) {
        /* The same statistics on every rank: every rank makes the same choice. */
        rc = lariat_prep_from_stats(wk->self, data, pb, wk->total, wk->total_ranges, wk->shift, wk->yshift, &all);
        if (rc != LARIAT_OK) rc = lariat_error(ctx, rc, "%s", lariat_errmsg(wk->self));
        rc = lariat_agree(ctx, rc);
    }
    if (rc == LARIAT_OK) {
        char reason[160];
        *use = lariat_solver_choose(all, st, memory, reason, sizeof(reason)) == &lariat_solver_gram;
    }
    lariat_prep_destroy(all);
    if (rc != LARIAT_OK || !*use) {
        free(wk->sums);
        wk->sums = NULL; /* the rows' mode; after a failure rc fails the run */
        return rc;
    }
    /* Warnings of the replicated fits come once, from rank 0. */
    lariat_ctx_set_verbosity(wk->self, lariat_ctx_rank(ctx) == 0 ? lariat_ctx_verbosity(ctx) : LARIAT_LOG_QUIET);
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "cv: one pass built the sufficient statistics of %d folds in %.3f s", K,
               lariat_now() - t0);
    return LARIAT_OK;
}

/* Not collective. cv.glmnet, grouped: MSE_k = err_k / W_k,
** cvm = sum_k W_k MSE_k / W, cvsd = sqrt(sum_k W_k (MSE_k - cvm)^2 / W / (K - 1)).
** Every measure's err_k is W_k M_k, M_k the fold's measure: the weighted
** sum of the rows' errors, or for auc W_k AUC_k. */
static int finish_curve(lariat_ctx *ctx, const double *err, int K, int minimize, lariat_cv_curve *curve)
{
    const int nlam = curve->nlambda;
    const double *Wk = err + K * nlam;
    double W = 0.0;
    for (int k = 0; k < K; k++) {
        if (!(Wk[k] > 0.0)) return lariat_error(ctx, LARIAT_EDATA, "fold %d has no rows of positive weight", k + 1);
        W += Wk[k];
    }
    for (int l = 0; l < nlam; l++) {
        double cvm = 0.0, var = 0.0;
        for (int k = 0; k < K; k++) cvm += err[k * nlam + l];
        cvm /= W;
        for (int k = 0; k < K; k++) {
            double d = err[k * nlam + l] / Wk[k] - cvm;
            var += Wk[k] * d * d;
        }
        curve->cvm[l] = cvm;
        curve->cvsd[l] = sqrt(var / W / (K - 1));
    }
    select_lambdas(curve, minimize);
    return LARIAT_OK;
}

/* Collective. out = the error sums so far, reduced over every rank (the
** accumulator itself keeps accumulating). */
static int err_reduce(lariat_ctx *ctx, cv_work *wk, int64_t n, double *out)
{
    memcpy(wk->err_red, wk->err_acc, (size_t)n * sizeof(lariat_rsum_entry));
    return lariat_rsum_allreduce_value(ctx, wk->err_red, n, out);
}

/* Collective. Writes a checkpoint of the CV so far: the complete alphas,
** the alpha in progress (curve, once its all-rows path is done: its folds
** done and their errors reduced over all ranks) and the path in progress
** (pos of unit, or none when pos is NULL). */
static int cv_save(lariat_ctx *ctx, cv_work *wk, const lariat_cv_curve *curve, int unit, const lariat_path_pos *pos,
                   int stop)
{
    lariat_ckpt_state s;
    memset(&s, 0, sizeof(s));
    s.nalpha_done = wk->alpha;
    s.curves = wk->res->curves;
    s.alpha_fit = curve->fit;
    s.unit = pos != NULL ? unit : -1;
    if (pos != NULL) s.path = *pos;
    if (curve->fit != NULL && wk->err_sum != NULL) {
        const int64_t n = (int64_t)wk->K * curve->nlambda + wk->K;
        /* The same reduction as the final one, so each complete fold's sums
        ** are those the final one will give. */
        int rc = err_reduce(ctx, wk, n, wk->err_sum);
        if (rc != LARIAT_OK) return rc;
        s.K = wk->K;
        s.nlambda = curve->nlambda;
        s.fold_done = wk->fold_done;
        s.fold_err = wk->err_sum;
    }
    return lariat_ckpt_write(wk->ck, &s, stop);
}

/* Collective. A boundary: the agreement, and a checkpoint if it asks for one. */
static int cv_boundary(lariat_ctx *ctx, cv_work *wk, const lariat_cv_curve *curve, int unit,
                       const lariat_path_pos *pos)
{
    int action;
    int rc = lariat_ckpt_poll(wk->ck, &action);
    if (rc != LARIAT_OK || action == LARIAT_CKPT_GO_ON) return rc;
    return cv_save(ctx, wk, curve, unit, pos, action == LARIAT_CKPT_STOP);
}

typedef struct cv_hook_arg {
    lariat_ctx *ctx;
    cv_work *wk;
    const lariat_cv_curve *curve;
    int unit;
} cv_hook_arg;

/* Collective. The hook of the paths that every rank shares. */
static int cv_hook(void *arg, const lariat_path_pos *pos)
{
    const cv_hook_arg *h = arg;
    return cv_boundary(h->ctx, h->wk, h->curve, h->unit, pos);
}

/* Collective. The end of a round of folds [first, first + count): with
** checkpoints, every rank agrees, the round's folds are done, and the
** boundary may save. Without, rc is returned as it is (the ranks agree
** after the last round). */
static int round_end(lariat_ctx *ctx, cv_work *wk, const lariat_cv_curve *curve, int first, int count, int rc)
{
    if (wk->ck == NULL) return rc;
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;
    for (int k = first; k < first + count && k < wk->K; k++) wk->fold_done[k] = 1;
    return cv_boundary(ctx, wk, curve, -1, NULL);
}

/* Not collective. Whether round [first, first + count) has a fold not done
** yet (the flags are the same on every rank). A round done before has no
** boundary: a resumed run's first boundary comes after new work. */
static int round_open(const cv_work *wk, int first, int count)
{
    for (int k = first; k < first + count && k < wk->K; k++) {
        if (!wk->fold_done[k]) return 1;
    }
    return 0;
}

/* Not collective. Whether every fold of the restored alpha in progress is done. */
static int folds_all_done(const lariat_ckpt_state *rs, int K)
{
    if (rs->K != K || rs->fold_done == NULL) return 0;
    for (int k = 0; k < K; k++) {
        if (!rs->fold_done[k]) return 0;
    }
    return 1;
}

/* Not collective. The folds done of a restored alpha: flagged, and their
** reduced sums on rank 0 (zeros elsewhere, as err already holds). */
static void restore_folds(lariat_ctx *ctx, cv_work *wk, const lariat_ckpt_state *rs, int nlam)
{
    const int K = wk->K;
    memset(wk->fold_done, 0, (size_t)K);
    if (rs == NULL || rs->K != K || rs->nlambda != nlam) return;
    for (int k = 0; k < K; k++) {
        if (!rs->fold_done[k]) continue;
        wk->fold_done[k] = 1;
        if (lariat_ctx_rank(ctx) != 0) continue;
        /* A double deposited alone comes back the same (rsum.h). */
        lariat_rsum_add(wk->err_acc + k * nlam, rs->fold_err + k * nlam, nlam);
        lariat_rsum_add(wk->err_acc + K * nlam + k, rs->fold_err + K * nlam + k, 1);
    }
}

/* Collective. One alpha's folds from the statistics: they are the same on
** every rank, so rank r fits the folds k = r + 1, r + 1 + P, ... alone (on
** its MPI_COMM_SELF context: no message inside a fit), one round of P folds
** at a time, and one reduction gathers the fold errors. */
static int cv_stats_alpha(lariat_ctx *ctx, const lariat_data *data, const lariat_problem *pb,
                          const lariat_settings *st, cv_work *wk, lariat_cv_curve *curve)
{
    const int64_t p = data->p, L = LARIAT_STATS_LEN(p);
    const int K = wk->K, nlam = curve->nlambda, P = lariat_ctx_size(ctx);
    lariat_settings fold_st = *st;
    fold_st.lambda = curve->lambda;
    fold_st.n_lambda_given = nlam;
    int rc = LARIAT_OK;
    for (int r = 0; r * P < K && rc == LARIAT_OK; r++) {
        const int k = r * P + lariat_ctx_rank(ctx);
        if (!round_open(wk, r * P, P)) continue;
        if (k < K && !wk->fold_done[k]) {
            lariat_stats_complement(p, K, wk->total, wk->sums, wk->ranges, k, wk->train, wk->train_ranges);
            lariat_prep *prep = NULL;
            lariat_fit *fit = NULL;
            rc = lariat_prep_from_stats(wk->self, data, pb, wk->train, wk->train_ranges, wk->shift, wk->yshift,
                                        &prep);
            if (rc == LARIAT_OK) rc = lariat_fit_prepared(wk->self, prep, &fold_st, &fit);
            for (int l = 0; rc == LARIAT_OK && l < nlam; l++) {
                wk->tile_err[l] = lariat_stats_sse(p, wk->sums + k * L, wk->shift, wk->yshift,
                                                   fit->path[l].intercept, fit->path[l].coef, wk->scratch);
            }
            if (rc == LARIAT_OK) lariat_rsum_add(wk->err_acc + k * nlam, wk->tile_err, nlam);
            lariat_rsum_add(wk->err_acc + K * nlam + k, wk->sums + k * L, 1);
            lariat_fit_destroy(fit);
            lariat_prep_destroy(prep);
            if (rc != LARIAT_OK) rc = lariat_error(ctx, rc, "%s", lariat_errmsg(wk->self));
        }
        rc = round_end(ctx, wk, curve, r * P, P, rc);
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = err_reduce(ctx, wk, K * nlam + K, wk->err);
    return rc;
}

/* Not collective. Fold k's errors from the predictions of its nrows
** held-out rows (wk->pred: row r's nlin predictors at lambda l at
** r (nlam nlin) + l nlin), for a measure that sums over the rows: err_kl +=
** w_i e_il, e the measure's row error (SPEC.md section 9), and W_k += w_i. */
static void score_rows(const cv_work *wk, const lariat_fit *fit, int k, int64_t nrows, int nlam)
{
    const lariat_data *gd = wk->gdata;
    const int K = wk->K, nlin = fit->nlin > 0 ? fit->nlin : 1;
    const int64_t cols = (int64_t)nlam * nlin, T = lariat_tile_rows(gd->n, gd->p);
    double *err = wk->tile_err;
    int64_t tile = -1;
    for (int64_t r = 0; r <= nrows; r++) {
        /* A tile's sums go to the accumulator when its last row is scored:
        ** the rows are in increasing order. */
        const int64_t i = r < nrows ? wk->rows[r] : -1, t = r < nrows ? (gd->row0 + i) / T : -1;
        if (t != tile) {
            if (tile >= 0) {
                lariat_rsum_add(wk->err_acc + (int64_t)(k - 1) * nlam, err, nlam);
                lariat_rsum_add(wk->err_acc + (int64_t)K * nlam + k - 1, err + nlam, 1);
            }
            memset(err, 0, (size_t)(nlam + 1) * sizeof(double));
            tile = t;
        }
        if (r == nrows) break;
        const double *pr = wk->pred + r * cols;
        if (wk->family == LARIAT_FAMILY_GAUSSIAN) {
            /* The squared error, or the absolute. */
            for (int l = 0; l < nlam; l++) {
                double e = gd->y[i] - fit->path[l].intercept - pr[l];
                if (wk->measure == LARIAT_MEASURE_MAE) err[l] += wk->gw[i] * fabs(e);
                else err[l] += wk->gw[i] * e * e;
            }
        } else {
            lariat_cv_row_labels(wk->family, fit->classes, fit->nclass, gd->y[i], wk->lab_row);
            for (int l = 0; l < nlam; l++) {
                const lariat_solution *sol = &fit->path[l];
                for (int c = 0; c < nlin; c++) {
                    wk->eta_row[c] = (nlin == 1 ? sol->intercept : sol->intercepts[c]) + pr[l * nlin + c];
                }
                err[l] += wk->gw[i] * lariat_cv_row_error(wk->fam, wk->measure, nlin, wk->eta_row, wk->lab_row);
            }
        }
        err[nlam] += wk->gw[i];
    }
}

/* Collective on the group. Fold k's AUC at every lambda (binomial): the
** held-out rows' probabilities, as cv.glmnet ranks them (1 / (1 + exp(-eta)),
** so that its ties are ours), go to lariat_cv_fold_auc; each lambda's
** W_k AUC_k lands on the one rank that computed it, W_k on the group's
** first rank, so that the reduction over all ranks counts each once. */
static int score_auc(cv_work *wk, const lariat_fit *fit, int k, int64_t nrows, int nlam)
{
    const lariat_data *gd = wk->gdata;
    const int K = wk->K;
    double *hy = wk->held, *hw = wk->held + (wk->max_rows > 0 ? wk->max_rows : 1);
    for (int64_t r = 0; r < nrows; r++) {
        const int64_t i = wk->rows[r];
        lariat_cv_row_labels(wk->family, fit->classes, fit->nclass, gd->y[i], hy + r);
        hw[r] = wk->gw[i];
        double *pr = wk->pred + r * nlam;
        for (int l = 0; l < nlam; l++) pr[l] = 1.0 / (1.0 + exp(-(fit->path[l].intercept + pr[l])));
    }
    double Wk = 0.0;
    int rc = lariat_cv_fold_auc(wk->sub, &wk->aw, nrows, nlam, wk->pred, hy, hw, wk->auc, wk->owned, &Wk);
    if (rc != LARIAT_OK) return rc;
    for (int l = 0; l < nlam; l++) {
        const double v = Wk * wk->auc[l];
        if (wk->owned[l]) lariat_rsum_add(wk->err_acc + (int64_t)(k - 1) * nlam + l, &v, 1);
    }
    if (lariat_ctx_rank(wk->sub) == 0) lariat_rsum_add(wk->err_acc + (int64_t)K * nlam + k - 1, &Wk, 1);
    return LARIAT_OK;
}

/* Collective on the group. Fold k's path (fit) scored on the fold's nrows
** held-out rows (wk->rows): the error sums into wk->err. */
static int score_fold(cv_work *wk, const lariat_fit *fit, int k, int64_t nrows, int nlam)
{
    const lariat_data *gd = wk->gdata;
    const int64_t p = gd->p;
    int rc;
    /* B: p x (nlam nlin), column l nlin + c the coefficients of predictor c at lambda l. */
    const int nlin = fit->nlin > 0 ? fit->nlin : 1;
    const int64_t cols = (int64_t)nlam * nlin;
    for (int64_t j = 0; j < p; j++) {
        for (int l = 0; l < nlam; l++) {
            for (int c = 0; c < nlin; c++) wk->B[j * cols + l * nlin + c] = fit->path[l].coef[c * p + j];
        }
    }
    /* One product per tile's held-out rows: a row's prediction then comes
    ** from the same DGEMM call at any rank count (a DGEMM's last bits can
    ** depend on a row's place in its block). */
    const int64_t T = lariat_tile_rows(gd->n, gd->p);
    rc = LARIAT_OK;
    for (int64_t r0 = 0, r1; rc == LARIAT_OK && r0 < nrows; r0 = r1) {
        const int64_t tile = (gd->row0 + wk->rows[r0]) / T;
        for (r1 = r0 + 1; r1 < nrows && (gd->row0 + wk->rows[r1]) / T == tile; r1++) {
        }
        rc = lariat_matrix_mult_rows(wk->sub, gd->X, wk->rows + r0, r1 - r0, wk->B, cols, wk->pred + r0 * cols);
    }
    if (wk->measure == LARIAT_MEASURE_AUC) {
        /* The exchange is the group's: it goes on only if every member can. */
        rc = lariat_agree(wk->sub, rc);
        if (rc == LARIAT_OK) rc = score_auc(wk, fit, k, nrows, nlam);
    } else if (rc == LARIAT_OK) {
        score_rows(wk, fit, k, nrows, nlam);
    }
    return rc;
}

/* Collective on the group. Fold k's path on the group's rows with the
** fold's rows masked out, scored on them (error sums into wk->err). With
** checkpoints and one group, the path is every rank's: it is resumed from
** start and saves at its lambdas. The cross-entropy families fit with the
** all-rows classes (lariat_glm_fit_path). */
static int cv_fold(lariat_ctx *ctx, const lariat_problem *pb, const lariat_settings *fold_st, cv_work *wk,
                   const lariat_cv_curve *curve, int k, const lariat_path_pos *start)
{
    const lariat_data *gd = wk->gdata;
    const int64_t nl = gd->n_local;
    const int nlam = curve->nlambda;
    int64_t nrows = 0;
    for (int64_t i = 0; i < nl; i++) {
        wk->wmask[i] = (wk->gfold[i] == k) ? 0.0 : wk->gw[i];
        if (wk->gfold[i] == k) wk->rows[nrows++] = i;
    }
    lariat_fit *fit = NULL;
    int rc;
    if (wk->family != LARIAT_FAMILY_GAUSSIAN) {
        rc = lariat_glm_fit_path(wk->sub, gd, wk->wmask, pb, fold_st, curve->fit->classes, curve->fit->nclass, 1, &fit);
    } else if (wk->ck != NULL && wk->G == 1) {
        lariat_prep *prep = NULL;
        cv_hook_arg h = {ctx, wk, curve, k};
        rc = lariat_prep_create(ctx, gd, wk->wmask, pb, &prep);
        if (rc == LARIAT_OK) rc = lariat_path_run(ctx, prep, fold_st, start, cv_hook, &h, &fit);
        lariat_prep_destroy(prep);
    } else {
        rc = lariat_fit_path(wk->sub, gd, wk->wmask, pb, fold_st, &fit);
    }
    if (rc != LARIAT_OK) return rc;
    rc = score_fold(wk, fit, k, nrows, nlam);
    lariat_fit_destroy(fit);
    return rc;
}

/* Collective. The lockstep mode's paths (lariat_glm_batch_paths): model 0
** on all rows, model k on the rows outside fold k; wk->bfits[k] receives
** model k's path. */
static int batch_paths(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       const lariat_settings *st, cv_work *wk)
{
    const int K = wk->K;
    const int64_t nl = data->n_local > 0 ? data->n_local : 1;
    const double **ws = lariat_malloc(ctx, (size_t)(K + 1), sizeof(*ws), "fold weights");
    double *masks = lariat_malloc(ctx, (size_t)(K * nl), sizeof(double), "fold weights");
    int *excl = lariat_malloc(ctx, (size_t)(K + 1), sizeof(int), "fold sets");
    wk->bfits = lariat_calloc(ctx, (size_t)(K + 1), sizeof(lariat_fit *), "fold paths");
    int rc = ws && masks && excl && wk->bfits ? LARIAT_OK : LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        ws[0] = w;
        excl[0] = 0;
        for (int k = 1; k <= K; k++) {
            double *mk = masks + (int64_t)(k - 1) * nl;
            for (int64_t i = 0; i < data->n_local; i++) mk[i] = wk->fold[i] == k ? 0.0 : w[i];
            ws[k] = mk;
            excl[k] = k;
        }
        rc = lariat_glm_batch_paths(ctx, data, (const double *const *)ws, K + 1, wk->fold, K, excl, pb, st,
                                    wk->classes, wk->nclass, wk->bfits);
    }
    free(ws);
    free(masks);
    free(excl);
    return rc;
}

/* Not collective. The lockstep mode's fold paths, freed. */
static void batch_free_folds(cv_work *wk)
{
    if (wk->bfits == NULL) return;
    for (int k = 1; k <= wk->K; k++) lariat_fit_destroy(wk->bfits[k]);
    free(wk->bfits);
    wk->bfits = NULL;
}

/* Collective. The lockstep mode's folds scored on their held-out rows. */
static int batch_score(cv_work *wk, int nlam)
{
    int rc = LARIAT_OK;
    for (int k = 1; k <= wk->K && rc == LARIAT_OK; k++) {
        int64_t nrows = 0;
        for (int64_t i = 0; i < wk->gdata->n_local; i++) {
            if (wk->gfold[i] == k) wk->rows[nrows++] = i;
        }
        rc = lariat_agree(wk->sub, score_fold(wk, wk->bfits[k], k, nrows, nlam));
    }
    return rc;
}

/* Collective. One alpha: the path on all rows, then every fold's path on the
** same lambdas, scored on its held-out rows. rs is the restored state when
** this alpha was in progress in the checkpoint (else NULL). */
static int cv_one_alpha(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                        const lariat_settings *st, cv_work *wk, lariat_cv_curve *curve, double t0,
                        lariat_ckpt_state *rs)
{
    const int64_t p = data->p;
    const int K = wk->K;
    int rc;
    /* The lockstep solves the all-rows path and every fold together: it
    ** continues an alpha only when the checkpoint holds it whole (saved
    ** after its folds), and otherwise solves it anew (a checkpoint of a
    ** run whose folds went one by one: another --cv-groups). */
    if (wk->batch && rs != NULL && rs->alpha_fit != NULL && !folds_all_done(rs, K)) rs = NULL;
    const int restored = rs != NULL && rs->alpha_fit != NULL;
    if (restored) {
        curve->fit = rs->alpha_fit;
        rs->alpha_fit = NULL;
        rc = LARIAT_OK;
    } else if (wk->sums != NULL) {
        /* Every rank computes the same all-rows path from the same statistics. */
        lariat_prep *prep = NULL;
        rc = lariat_prep_from_stats(wk->self, data, pb, wk->total, wk->total_ranges, wk->shift, wk->yshift, &prep);
        if (rc == LARIAT_OK) rc = lariat_fit_prepared(wk->self, prep, st, &curve->fit);
        if (rc != LARIAT_OK) rc = lariat_error(ctx, rc, "%s", lariat_errmsg(wk->self));
        rc = lariat_agree(ctx, rc);
        lariat_prep_destroy(prep);
    } else if (wk->batch) {
        rc = batch_paths(ctx, data, w, pb, st, wk);
        if (rc == LARIAT_OK) curve->fit = wk->bfits[0];
    } else if (wk->ck != NULL && wk->family != LARIAT_FAMILY_GAUSSIAN) {
        /* The same for the cross-entropy families, with the all-rows classes. */
        lariat_glm *g = NULL;
        cv_hook_arg h = {ctx, wk, curve, 0};
        const lariat_path_pos *start = (rs != NULL && rs->unit == 0) ? &rs->path : NULL;
        rc = lariat_glm_create(ctx, data, w, pb, wk->classes, wk->nclass, &g);
        if (rc == LARIAT_OK) rc = lariat_glm_path_run(ctx, g, st, start, cv_hook, &h, &curve->fit);
        lariat_glm_destroy(g);
    } else if (wk->ck != NULL) {
        /* The all-rows path with its checkpoints, resumed if it was in progress. */
        lariat_prep *prep = NULL;
        cv_hook_arg h = {ctx, wk, curve, 0};
        const lariat_path_pos *start = (rs != NULL && rs->unit == 0) ? &rs->path : NULL;
        rc = lariat_prep_create(ctx, data, w, pb, &prep);
        if (rc == LARIAT_OK) rc = lariat_path_run(ctx, prep, st, start, cv_hook, &h, &curve->fit);
        lariat_prep_destroy(prep);
    } else {
        rc = lariat_fit_path(ctx, data, w, pb, st, &curve->fit);
    }
    if (rc != LARIAT_OK) {
        batch_free_folds(wk);
        return rc;
    }
    const int nlam = curve->fit->nlambda, nlin = curve->fit->nlin > 0 ? curve->fit->nlin : 1;
    const int64_t cols = (int64_t)nlam * nlin, prow = wk->max_rows > 0 ? wk->max_rows : 1;
    curve->alpha = pb->alpha;
    curve->nlambda = nlam;
    curve->lambda = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "cv lambda");
    curve->cvm = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "cvm");
    curve->cvsd = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "cvsd");
    curve->nonzero = lariat_malloc(ctx, (size_t)nlam, sizeof(int64_t), "cv nonzero");
    free(wk->B);
    free(wk->pred);
    free(wk->err);
    free(wk->err_sum);
    free(wk->err_acc);
    free(wk->err_red);
    free(wk->tile_err);
    free(wk->eta_row);
    free(wk->lab_row);
    free(wk->held);
    free(wk->auc);
    free(wk->owned);
    wk->held = NULL;
    wk->auc = NULL;
    wk->owned = NULL;
    lariat_cv_auc_free(&wk->aw);
    wk->B = lariat_malloc(ctx, (size_t)(p * cols), sizeof(double), "cv coefficients");
    wk->pred = lariat_malloc(ctx, (size_t)(prow * cols), sizeof(double), "cv predictions");
    wk->err = lariat_calloc(ctx, (size_t)(K * nlam + K), sizeof(double), "cv errors");
    wk->err_acc = lariat_malloc(ctx, (size_t)(K * nlam + K), sizeof(lariat_rsum_entry), "cv error sums");
    wk->err_red = lariat_malloc(ctx, (size_t)(K * nlam + K), sizeof(lariat_rsum_entry), "cv error sums");
    wk->tile_err = lariat_malloc(ctx, (size_t)(nlam + 1), sizeof(double), "a tile's cv errors");
    if (wk->err_acc != NULL) lariat_rsum_clear(wk->err_acc, K * nlam + K);
    wk->err_sum = wk->ck != NULL ? lariat_malloc(ctx, (size_t)(K * nlam + K), sizeof(double), "cv errors") : NULL;
    wk->eta_row = lariat_malloc(ctx, (size_t)nlin, sizeof(double), "row predictors");
    wk->lab_row = lariat_malloc(ctx, (size_t)nlin, sizeof(double), "row labels");
    if (!curve->lambda || !curve->cvm || !curve->cvsd || !curve->nonzero || !wk->B || !wk->pred || !wk->err ||
        !wk->err_acc || !wk->err_red || !wk->tile_err ||
        (wk->ck != NULL && !wk->err_sum) || !wk->eta_row || !wk->lab_row) {
        rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && wk->measure == LARIAT_MEASURE_AUC) {
        wk->held = lariat_malloc(ctx, (size_t)(2 * prow), sizeof(double), "held-out labels");
        wk->auc = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "fold auc");
        wk->owned = lariat_malloc(ctx, (size_t)nlam, 1, "fold auc owners");
        if (!wk->held || !wk->auc || !wk->owned) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && wk->measure == LARIAT_MEASURE_AUC) {
        rc = lariat_agree(ctx, from_group(ctx, wk, lariat_cv_auc_alloc(wk->sub, wk->max_fold_rows, wk->max_rows,
                                                                       nlam, &wk->aw)));
    }
    if (rc != LARIAT_OK) return rc;
    for (int l = 0; l < nlam; l++) {
        curve->lambda[l] = curve->fit->path[l].lambda;
        curve->nonzero[l] = curve->fit->path[l].nonzero;
    }
    restore_folds(ctx, wk, rs, nlam);
    /* The all-rows path is a unit: a boundary before the folds (unless it
    ** was restored, and no work was done since the resume; or the lockstep
    ** solved the folds with it: its boundary comes after their scores). */
    if (!restored && !wk->batch) rc = cv_boundary(ctx, wk, curve, -1, NULL);
    if (rc != LARIAT_OK) return rc;
    if (wk->sums != NULL) {
        rc = cv_stats_alpha(ctx, data, pb, st, wk, curve);
        return rc == LARIAT_OK ? finish_curve(ctx, wk->err, K, 1, curve) : rc;
    }
    if (wk->batch) {
        if (!restored) {
            rc = batch_score(wk, nlam);
            batch_free_folds(wk);
            if (rc == LARIAT_OK) {
                memset(wk->fold_done, 1, (size_t)K);
                rc = cv_boundary(ctx, wk, curve, -1, NULL);
            }
        }
        if (rc == LARIAT_OK) rc = err_reduce(ctx, wk, K * nlam + K, wk->err);
        return rc == LARIAT_OK ? finish_curve(ctx, wk->err, K, lariat_measure_minimized(wk->measure), curve) : rc;
    }
    lariat_settings fold_st = *st;
    fold_st.lambda = curve->lambda;
    fold_st.n_lambda_given = nlam;

    /* Round r: group g trains fold r G + g + 1. Groups run different numbers
    ** of folds: without checkpoints only the group agrees after a fold, and
    ** all ranks agree after the last round. */
    const int G = wk->G;
    for (int r = 0; r * G < K && rc == LARIAT_OK; r++) {
        const int k = r * G + wk->group + 1;
        if (!round_open(wk, r * G, G)) continue;
        if (k <= K && !wk->fold_done[k - 1]) {
            const lariat_path_pos *start = (rs != NULL && rs->unit == k) ? &rs->path : NULL;
            rc = from_group(ctx, wk, lariat_agree(wk->sub, cv_fold(ctx, pb, &fold_st, wk, curve, k, start)));
            if (lariat_now() - t0 > 2.0) {
                lariat_log(ctx, LARIAT_LOG_NORMAL, "cv: alpha %g, fold %d/%d done (%.1f s)", pb->alpha, k, K,
                           lariat_now() - t0);
            }
        }
        rc = round_end(ctx, wk, curve, r * G, G, rc);
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = err_reduce(ctx, wk, K * nlam + K, wk->err);
    if (rc != LARIAT_OK) return rc;

    return finish_curve(ctx, wk->err, K, lariat_measure_minimized(wk->measure), curve);
}

/* Collective. The family and its measure, resolved and checked. */
static int setup_measure(lariat_ctx *ctx, const lariat_problem *pb, const lariat_cv_settings *cv, cv_work *wk)
{
    wk->family = pb->family;
    wk->fam = lariat_family_of(pb->family);
    if (wk->fam == NULL) {
        return lariat_agree(ctx, lariat_error(ctx, LARIAT_EUSAGE, "unknown family %d", (int)pb->family));
    }
    return lariat_agree(ctx, lariat_cv_measure(ctx, pb, cv->measure, &wk->measure));
}

/* Collective. For the cross-entropy families, the classes of the rows in
** use (those the all-rows fit finds) and the folds' checks, before any fit
** (score.h). */
static int setup_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                         cv_work *wk)
{
    if (wk->family == LARIAT_FAMILY_GAUSSIAN) return LARIAT_OK;
    int rc = lariat_glm_classes(ctx, data, w, pb->family, &wk->classes, &wk->nclass);
    if (rc == LARIAT_OK) {
        rc = lariat_cv_check_folds(ctx, data, w, wk->fold, wk->K, wk->family, wk->measure, wk->classes, wk->nclass,
                                   &wk->max_fold_rows);
    }
    return lariat_agree(ctx, rc);
}

static int cross_validate(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                          const lariat_problem *pb, const lariat_settings *st, const lariat_cv_settings *cv,
                          lariat_cv_result **out);

/* Collective. Whether the folds are given, the same on every rank: a rank
** without rows may pass no foldid where the others pass theirs (it then
** takes an empty one, *none); a rank with rows and none is a usage error.
** Every later branch on foldid (here, in regroup.c, in assign_folds)
** holds MPI calls. */
static int agree_foldid(lariat_ctx *ctx, const lariat_data *data, const lariat_cv_settings *cv,
                        lariat_cv_settings *local, const int *none)
{
    *local = *cv;
    int given[2] = {cv->foldid != NULL, -(cv->foldid != NULL || data->n_local == 0)}; /* max of both */
    if (MPI_Allreduce(MPI_IN_PLACE, given, 2, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the foldid's presence failed");
    }
    if (given[0] && given[1] != -1) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "foldid is given on some ranks and not on others (each rank with rows needs its own)");
    }
    if (given[0] && local->foldid == NULL) local->foldid = none;
    return LARIAT_OK;
}

int lariat_cv(lariat_ctx *ctx, const lariat_data *data, const double *row_weights, const lariat_problem *pb,
              const lariat_settings *st, const lariat_cv_settings *cv_caller, lariat_cv_result **out)
{
    *out = NULL;
    static const int none[1] = {0};
    lariat_cv_settings local;
    int rc = agree_foldid(ctx, data, cv_caller, &local, none);
    if (rc != LARIAT_OK) return rc;
    const lariat_cv_settings *cv = &local;
    /* A caller's rows off tile boundaries are cross-validated from an aligned
    ** copy, their fold ids with them (data/tiles.h). */
    lariat_data *aligned = NULL;
    double *aligned_w = NULL;
    int *aligned_fold = NULL;
    rc = lariat_data_align(ctx, data, row_weights, cv->foldid, &aligned, &aligned_w, &aligned_fold);
    if (rc == LARIAT_OK && aligned != NULL) {
        lariat_cv_settings cv_aligned = *cv;
        cv_aligned.foldid = aligned_fold;
        rc = cross_validate(ctx, aligned, aligned_w, pb, st, &cv_aligned, out);
    } else if (rc == LARIAT_OK) {
        rc = cross_validate(ctx, data, row_weights, pb, st, cv, out);
    }
    lariat_data_destroy(aligned);
    free(aligned_w);
    free(aligned_fold);
    return rc;
}

static int cross_validate(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                          const lariat_problem *pb, const lariat_settings *st, const lariat_cv_settings *cv,
                          lariat_cv_result **out)
{
    *out = NULL;
    const double *w = row_weights ? row_weights : data->w;
    const double t0 = lariat_now();
    cv_work wk;
    memset(&wk, 0, sizeof(wk));
    const int nalpha = cv->alphas ? cv->nalpha : 1;
    lariat_cv_result *res = lariat_calloc(ctx, 1, sizeof(*res), "cv result");
    int rc = res ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        res->curves = lariat_calloc(ctx, (size_t)nalpha, sizeof(lariat_cv_curve), "cv curves");
        if (res->curves == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    /* The paths inside make no checkpoints of their own: the CV's hold them. */
    lariat_settings st_run = *st;
    st_run.checkpoint = NULL;
    st_run.resume = 0;
    wk.res = res;
    /* Before the folds are known: the measure (and before any file is touched). */
    if (rc == LARIAT_OK) rc = setup_measure(ctx, pb, cv, &wk);
    if (rc == LARIAT_OK && st->checkpoint != NULL) {
        const lariat_ckpt_run run = {LARIAT_CKPT_CV, data, row_weights, pb, st, cv};
        rc = lariat_ckpt_open(ctx, &run, &wk.ck);
    }
    int use_stats = 0;
    if (rc == LARIAT_OK) rc = assign_folds(ctx, data, w, cv, &wk);
    if (rc == LARIAT_OK) rc = setup_classes(ctx, data, w, pb, &wk);
    if (rc == LARIAT_OK) rc = setup_stats(ctx, data, w, pb, &st_run, &wk, &use_stats);
    if (rc == LARIAT_OK) rc = setup_groups(ctx, data, w, pb, &st_run, cv, use_stats, &wk);
    lariat_ckpt_state *rs = lariat_ckpt_restored(wk.ck);
    if (rc == LARIAT_OK) {
        wk.fold_done = lariat_calloc(ctx, (size_t)wk.K, 1, "folds done");
        rc = wk.fold_done != NULL ? LARIAT_OK : LARIAT_ENOMEM;
        if (rc == LARIAT_OK && rs != NULL && (rs->nalpha_done > nalpha || (rs->K != 0 && rs->K != wk.K))) {
            rc = lariat_error(ctx, LARIAT_EDATA, "checkpoint %s does not match this cross-validation", st->checkpoint);
        }
        rc = lariat_agree(ctx, rc);
    }
    if (rc == LARIAT_OK) {
        res->nfolds = wk.K;
        res->seed = cv->seed;
        res->select = cv->select;
        res->groups = wk.G;
        res->nalpha = nalpha;
        res->measure = wk.measure;
    }
    for (int a = 0; rc == LARIAT_OK && a < nalpha; a++) {
        lariat_problem pa = *pb;
        if (cv->alphas) pa.alpha = cv->alphas[a];
        if (rs != NULL && a < rs->nalpha_done) {
            /* Complete in the checkpoint: its curve is taken over as it is. */
            res->curves[a] = rs->curves[a];
            memset(&rs->curves[a], 0, sizeof(rs->curves[a]));
            continue;
        }
        const double ta = lariat_now();
        wk.alpha = a;
        rc = cv_one_alpha(ctx, data, w, &pa, &st_run, &wk, &res->curves[a], t0,
                          rs != NULL && a == rs->nalpha_done ? rs : NULL);
        if (rc == LARIAT_OK) {
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "cv: alpha %g: all-rows path and %d folds in %.3f s", pa.alpha, wk.K,
                       lariat_now() - ta);
        }
    }
    if (rc == LARIAT_OK) {
        /* The (alpha, lambda) of best cvm (smallest; largest for auc); the
        ** first alpha on ties. */
        const int minimize = lariat_measure_minimized(wk.measure);
        int best = 0;
        for (int a = 1; a < nalpha; a++) {
            const lariat_cv_curve *c = &res->curves[a], *b = &res->curves[best];
            const double cm = c->cvm[c->index_min], bm = b->cvm[b->index_min];
            if (minimize ? cm < bm : cm > bm) best = a;
        }
        const lariat_cv_curve *c = &res->curves[best];
        res->best = best;
        res->alpha_min = c->alpha;
        res->lambda_min = c->lambda[c->index_min];
        res->lambda_1se = c->lambda[c->index_1se];
        res->selected = cv->select == LARIAT_SELECT_MIN ? c->index_min : c->index_1se;
    }
    work_free(ctx, &wk);
    if (rc != LARIAT_OK) {
        lariat_cv_destroy(res);
        return rc;
    }
    *out = res;
    return LARIAT_OK;
}
