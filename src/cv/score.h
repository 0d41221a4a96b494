/*
** Scoring the folds of cross-validation for every family (SPEC.md sections 3
** and 9): the measure's checks before any fit, each held-out row's labels,
** and the fold AUC, which is not a sum over rows and so is computed from the
** fold's held-out rows brought together.
*/
#ifndef LARIAT_CV_SCORE_H
#define LARIAT_CV_SCORE_H

#include "family/family.h"
#include "lariat.h"

#include <stdint.h>

/* Not collective (its inputs are the same on every rank). The measure for
** the family (lariat_measure_resolve), or LARIAT_EUSAGE when the family has
** no such measure: class for gaussian, auc for any family but binomial. */
int lariat_cv_measure(lariat_ctx *ctx, const lariat_problem *pb, lariat_measure asked, lariat_measure *out);

/* Collective. For binomial and multinomial, from one reduction of the
** K x (nclass + 1) counts of held-out rows of positive weight per fold
** (fold[i] in 1..K; 0 = in no fold) and class: a class with fewer than two
** rows of positive weight in a fold's training rows, or a fold without
** rows, is LARIAT_EDATA naming the fold (and the class); with auc, a fold of
** fewer than 10 held-out rows or whose held-out rows have one class is
** LARIAT_EUSAGE naming the fold. When a class has fewer than two rows in
** all, that is left to the all-rows fit (its message names the class
** alone). *max_rows: the most held-out rows of positive weight in one fold,
** over all ranks. */
int lariat_cv_check_folds(lariat_ctx *ctx, const lariat_data *data, const double *w, const int *fold, int K,
                          lariat_family_kind family, lariat_measure m, const double *classes, int nclass,
                          int64_t *max_rows);

/* Not collective. The family's labels of a row with label y (family.h's
** per-row values, nlin of them): binomial y itself when the classes are
** {0, 1} (proportions allowed), else 1 for class 1 and 0 otherwise;
** multinomial the indicator of y's class. Gaussian y. */
void lariat_cv_row_labels(lariat_family_kind family, const double *classes, int nclass, double y, double *lab);

/* Not collective. The measure's error of one held-out row (not auc) from
** its nlin linear predictors eta and labels lab (stride 1): the family's
** lariat_family_row_error, except mse and mae of the cross-entropy
** families, which cv.glmnet computes from the probabilities as they are
** (cv.lognet, cv.multnet: only deviance clamps them to [1e-5, 1 - 1e-5]). */
double lariat_cv_row_error(const lariat_family *fam, lariat_measure m, int nlin, const double *eta, const double *lab);

/* The scratch of the fold AUC: every buffer sized once per lambda path for
** folds of at most max_rows held-out rows in all and rows local ones. */
typedef struct lariat_cv_auc_work {
    double *send;     /* rows x nlam: the scores by destination rank */
    double *recv;     /* max_rows x ceil(nlam / P): the owned lambdas' scores */
    double *col;      /* max_rows: one lambda's scores in fold row order */
    double *y, *w;    /* max_rows: the fold's labels and weights, every rank */
    int64_t *idx;     /* max_rows: lariat_auc's sort */
    int *counts;      /* 4 P: MPI counts and displacements */
} lariat_cv_auc_work;

/* Collective on gctx (its ranks hold the fold's held-out rows between them).
** Allocates the scratch for folds of at most max_rows held-out rows in all,
** rows of them on this rank, and nlam lambdas. */
int lariat_cv_auc_alloc(lariat_ctx *gctx, int64_t max_rows, int64_t rows, int nlam, lariat_cv_auc_work *aw);
void lariat_cv_auc_free(lariat_cv_auc_work *aw);

/* Collective on gctx. The AUC of one fold at every lambda (SPEC.md 9,
** lariat_auc: weighted, ties one half) from this rank's nrows held-out rows:
** score (nrows x nlam, row-major; cv.glmnet's probabilities), labels y in
** [0, 1] and weights w. One allgather of the labels and weights and one
** all-to-all of the scores give rank q of the group every row's score at the
** lambdas l = q, q + P, ...: the sorts are shared out over the lambdas and
** no rank holds more than its share of the scores. On return auc[l] (nlam
** values) is the fold's AUC at the lambdas this rank owns and 0 at the
** others, owned[l] says which, and *Wk is the fold's weight sum (the same on
** every rank of the group). */
int lariat_cv_fold_auc(lariat_ctx *gctx, lariat_cv_auc_work *aw, int64_t nrows, int nlam, const double *score,
                       const double *y, const double *w, double *auc, char *owned, double *Wk);

#endif /* LARIAT_CV_SCORE_H */
