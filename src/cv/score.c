/*
** Scoring the folds (score.h): the measure's checks, the rows' labels, and
** the fold AUC from the fold's held-out rows brought together.
*/
#include "cv/score.h"

#include "core/core.h"
#include "family/family.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A fold with fewer held-out rows has no AUC worth the name (SPEC.md 9;
** cv.glmnet's own threshold, which it applies to n / K). */
#define AUC_MIN_ROWS 10

int lariat_cv_measure(lariat_ctx *ctx, const lariat_problem *pb, lariat_measure asked, lariat_measure *out)
{
    const lariat_measure m = lariat_measure_resolve(pb->family, asked);
    *out = m;
    const char *family = lariat_family_name(pb->family);
    switch (m) {
    case LARIAT_MEASURE_MSE:
    case LARIAT_MEASURE_MAE:
    case LARIAT_MEASURE_DEVIANCE: return LARIAT_OK;
    case LARIAT_MEASURE_CLASS:
        if (pb->family != LARIAT_FAMILY_GAUSSIAN) return LARIAT_OK;
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "type-measure class serves the binomial and multinomial families, not %s", family);
    case LARIAT_MEASURE_AUC:
        if (pb->family == LARIAT_FAMILY_BINOMIAL) return LARIAT_OK;
        return lariat_error(ctx, LARIAT_EUSAGE, "type-measure auc serves the binomial family only, not %s", family);
    case LARIAT_MEASURE_DEFAULT: break;
    }
    return lariat_error(ctx, LARIAT_EUSAGE, "unknown type-measure %d", (int)asked);
}

/* Index of v in the ascending classes, or -1. */
static int class_index(const double *classes, int nclass, double v)
{
    int lo = 0, hi = nclass - 1;
    while (lo <= hi) {
        const int mid = lo + (hi - lo) / 2;
        if (classes[mid] == v) return mid;
        if (classes[mid] < v) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

void lariat_cv_row_labels(lariat_family_kind family, const double *classes, int nclass, double y, double *lab)
{
    switch (family) {
    case LARIAT_FAMILY_GAUSSIAN: lab[0] = y; return;
    case LARIAT_FAMILY_BINOMIAL:
        /* The same mapping as the fit's (solvers/glm.c). */
        if (classes[0] == 0.0 && classes[1] == 1.0) lab[0] = (y >= 0.0 && y <= 1.0) ? y : 0.0;
        else lab[0] = y == classes[1] ? 1.0 : 0.0;
        return;
    case LARIAT_FAMILY_MULTINOMIAL: {
        const int k = class_index(classes, nclass, y);
        for (int c = 0; c < nclass; c++) lab[c] = c == k ? 1.0 : 0.0;
        return;
    }
    }
}

double lariat_cv_row_error(const lariat_family *fam, lariat_measure m, int nlin, const double *eta, const double *lab)
{
    return lariat_family_row_error(fam, m, nlin, eta, 1, lab, 1);
}

int lariat_cv_check_folds(lariat_ctx *ctx, const lariat_data *data, const double *w, const int *fold, int K,
                          lariat_family_kind family, lariat_measure m, const double *classes, int nclass,
                          int64_t *max_rows)
{
    *max_rows = 0;
    const int64_t width = nclass + 1; /* per fold: nclass class counts, then the rows */
    double *cnt = lariat_calloc(ctx, (size_t)(K * width), sizeof(double), "fold class counts");
    double *lab = lariat_malloc(ctx, (size_t)nclass, sizeof(double), "row labels");
    int rc = lariat_agree(ctx, cnt != NULL && lab != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    for (int64_t i = 0; rc == LARIAT_OK && i < data->n_local; i++) {
        if (fold[i] < 1 || !(w[i] > 0.0)) continue;
        double *c = cnt + (fold[i] - 1) * width;
        /* A class's rows as the fit counts them (solvers/glm.c): binomial
        ** class 1 the rows with y > 0, class 0 those with y < 1 (a
        ** proportion is in both); multinomial the row's class. */
        if (family == LARIAT_FAMILY_BINOMIAL) {
            lariat_cv_row_labels(family, classes, nclass, data->y[i], lab);
            c[1] += lab[0] > 0.0;
            c[0] += lab[0] < 1.0;
        } else {
            const int k = class_index(classes, nclass, data->y[i]);
            if (k >= 0) c[k] += 1.0;
        }
        c[nclass] += 1.0;
    }
    if (rc == LARIAT_OK) rc = lariat_allreduce_sum(ctx, cnt, K * width);
    int short_class = 0;
    for (int c = 0; rc == LARIAT_OK && c < nclass; c++) {
        double total = 0.0;
        for (int k = 0; k < K; k++) total += cnt[k * width + c];
        short_class |= total < 2.0;
    }
    /* Every rank holds the same counts: the checks need no agreement. */
    for (int k = 0; rc == LARIAT_OK && !short_class && k < K; k++) {
        for (int c = 0; c < nclass; c++) {
            double train = 0.0;
            for (int q = 0; q < K; q++) train += q != k ? cnt[q * width + c] : 0.0;
            if (train < 2.0) {
                rc = lariat_error(ctx, LARIAT_EDATA,
                                  "fold %d: class %.17g has %.0f row%s of positive weight in its training rows; a "
                                  "class needs two",
                                  k + 1, classes[c], train, train == 1.0 ? "" : "s");
                break;
            }
        }
    }
    for (int k = 0; rc == LARIAT_OK && k < K; k++) {
        const double *c = cnt + k * width;
        if ((int64_t)c[nclass] > *max_rows) *max_rows = (int64_t)c[nclass];
        if (c[nclass] == 0.0) {
            /* As the curve's formulas would find after every fit (cv.c). */
            rc = lariat_error(ctx, LARIAT_EDATA, "fold %d has no rows of positive weight", k + 1);
            break;
        }
        if (m != LARIAT_MEASURE_AUC) continue;
        if (c[nclass] < AUC_MIN_ROWS) {
            rc = lariat_error(ctx, LARIAT_EUSAGE,
                              "fold %d has %.0f held-out row%s of positive weight; type-measure auc needs at least %d "
                              "in every fold",
                              k + 1, c[nclass], c[nclass] == 1.0 ? "" : "s", AUC_MIN_ROWS);
        } else if (c[0] == 0.0 || c[1] == 0.0) {
            rc = lariat_error(ctx, LARIAT_EUSAGE,
                              "fold %d: its held-out rows are all of class %.17g; type-measure auc needs both classes "
                              "in every fold",
                              k + 1, classes[c[0] == 0.0 ? 1 : 0]);
        }
    }
    free(cnt);
    free(lab);
    return rc;
}

int lariat_cv_auc_alloc(lariat_ctx *gctx, int64_t max_rows, int64_t rows, int nlam, lariat_cv_auc_work *aw)
{
    memset(aw, 0, sizeof(*aw));
    const int P = lariat_ctx_size(gctx);
    const int64_t own = (nlam + P - 1) / P, m = max_rows > 0 ? max_rows : 1;
    /* MPI counts and displacements are int. */
    if ((double)m * (double)own > (double)INT_MAX || (double)rows * (double)nlam > (double)INT_MAX) {
        return lariat_agree(gctx, lariat_error(gctx, LARIAT_EUSAGE,
                                               "type-measure auc: a fold of %lld held-out rows at %d lambdas is "
                                               "beyond the exchange's int counts; use more folds",
                                               (long long)max_rows, nlam));
    }
    aw->send = lariat_malloc(gctx, (size_t)(rows * nlam > 0 ? rows * nlam : 1), sizeof(double), "auc scores");
    aw->recv = lariat_malloc(gctx, (size_t)(m * (own > 0 ? own : 1)), sizeof(double), "auc scores");
    aw->col = lariat_malloc(gctx, (size_t)m, sizeof(double), "auc column");
    aw->y = lariat_malloc(gctx, (size_t)m, sizeof(double), "auc labels");
    aw->w = lariat_malloc(gctx, (size_t)m, sizeof(double), "auc weights");
    aw->idx = lariat_malloc(gctx, (size_t)m, sizeof(int64_t), "auc order");
    aw->counts = lariat_malloc(gctx, (size_t)(6 * P), sizeof(int), "auc counts");
    const int ok = aw->send && aw->recv && aw->col && aw->y && aw->w && aw->idx && aw->counts;
    return lariat_agree(gctx, ok ? LARIAT_OK : LARIAT_ENOMEM);
}

void lariat_cv_auc_free(lariat_cv_auc_work *aw)
{
    free(aw->send);
    free(aw->recv);
    free(aw->col);
    free(aw->y);
    free(aw->w);
    free(aw->idx);
    free(aw->counts);
    memset(aw, 0, sizeof(*aw));
}

/* The lambdas rank q of P owns: l = q, q + P, ... below nlam. */
static int owned_count(int q, int P, int nlam) { return q < nlam ? (nlam - 1 - q) / P + 1 : 0; }

int lariat_cv_fold_auc(lariat_ctx *gctx, lariat_cv_auc_work *aw, int64_t nrows, int nlam, const double *score,
                       const double *y, const double *w, double *auc, char *owned, double *Wk)
{
    MPI_Comm comm = lariat_ctx_comm(gctx);
    const int P = lariat_ctx_size(gctx), me = lariat_ctx_rank(gctx);
    int *rows = aw->counts, *row0 = rows + P, *scnt = row0 + P, *sdsp = scnt + P, *rcnt = sdsp + P,
        *rdsp = rcnt + P;
    const int nr = (int)nrows, mine = owned_count(me, P, nlam);
    int rc = MPI_Allgather(&nr, 1, MPI_INT, rows, 1, MPI_INT, comm) == MPI_SUCCESS ? LARIAT_OK : LARIAT_EMPI;
    int ntot = 0;
    for (int s = 0; s < P; s++) {
        row0[s] = ntot;
        ntot += rows[s];
        rcnt[s] = rows[s] * mine;
        rdsp[s] = row0[s] * mine;
    }
    /* Every rank of the group gets the fold's labels and weights. */
    if (rc == LARIAT_OK && (MPI_Allgatherv(y, nr, MPI_DOUBLE, aw->y, rows, row0, MPI_DOUBLE, comm) != MPI_SUCCESS ||
                            MPI_Allgatherv(w, nr, MPI_DOUBLE, aw->w, rows, row0, MPI_DOUBLE, comm) != MPI_SUCCESS)) {
        rc = LARIAT_EMPI;
    }
    /* Rank q receives every row's scores at its lambdas, row by row. */
    int pos = 0;
    for (int q = 0; q < P; q++) {
        sdsp[q] = pos;
        for (int64_t r = 0; r < nrows; r++) {
            for (int l = q; l < nlam; l += P) aw->send[pos++] = score[r * nlam + l];
        }
        scnt[q] = pos - sdsp[q];
    }
    if (rc == LARIAT_OK &&
        MPI_Alltoallv(aw->send, scnt, sdsp, MPI_DOUBLE, aw->recv, rcnt, rdsp, MPI_DOUBLE, comm) != MPI_SUCCESS) {
        rc = LARIAT_EMPI;
    }
    if (rc != LARIAT_OK) return lariat_error(gctx, rc, "MPI exchange of the fold AUC's scores failed");
    double W = 0.0;
    for (int r = 0; r < ntot; r++) W += aw->w[r];
    *Wk = W;
    for (int l = 0; l < nlam; l++) {
        auc[l] = 0.0;
        owned[l] = l % P == me;
    }
    for (int t = 0; t < mine; t++) {
        for (int s = 0; s < P; s++) {
            const double *from = aw->recv + rdsp[s];
            for (int r = 0; r < rows[s]; r++) aw->col[row0[s] + r] = from[r * mine + t];
        }
        auc[me + t * P] = lariat_auc(ntot, aw->col, aw->y, aw->w, aw->idx);
    }
    return LARIAT_OK;
}
