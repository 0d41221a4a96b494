/*
** The distributed dataset: construction from caller's arrays and destruction.
** Readers (src/io) build it from files.
*/
#include "core/core.h"
#include "data/dataset.h"
#include "data/matrix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lariat_data_destroy(lariat_data *data)
{
    if (data == NULL) return;
    lariat_matrix_destroy(data->X);
    free(data->y);
    free(data->w);
    if (data->feature_names != NULL) {
        for (int64_t j = 0; j < data->p; j++) free(data->feature_names[j]);
        free(data->feature_names);
    }
    free(data);
}

/* Not collective. Names x1..xp. */
static char **default_names(lariat_ctx *ctx, int64_t p)
{
    char **names = lariat_calloc(ctx, (size_t)p, sizeof(char *), "feature names");
    if (names == NULL) return NULL;
    for (int64_t j = 0; j < p; j++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "x%lld", (long long)(j + 1));
        names[j] = strdup(buf);
        if (names[j] == NULL) {
            for (int64_t k = 0; k < j; k++) free(names[k]);
            free(names);
            lariat_error(ctx, LARIAT_ENOMEM, "out of memory allocating feature names");
            return NULL;
        }
    }
    return names;
}

int lariat_data_alloc(lariat_ctx *ctx, int64_t n_local, int64_t p, lariat_data **out)
{
    *out = NULL;
    lariat_data *d = lariat_calloc(ctx, 1, sizeof(*d), "dataset");
    if (d == NULL) return LARIAT_ENOMEM;
    d->n_local = n_local;
    d->p = p;
    d->y = lariat_malloc(ctx, (size_t)n_local, sizeof(double), "labels");
    d->w = lariat_malloc(ctx, (size_t)n_local, sizeof(double), "weights");
    d->feature_names = default_names(ctx, p);
    if (d->y == NULL || d->w == NULL || d->feature_names == NULL) {
        lariat_data_destroy(d);
        return LARIAT_ENOMEM;
    }
    for (int64_t i = 0; i < n_local; i++) d->w[i] = 1.0;
    *out = d;
    return LARIAT_OK;
}

int lariat_data_set_global_rows(lariat_ctx *ctx, lariat_data *d)
{
    long long local = (long long)d->n_local, before = 0, total = 0;
    MPI_Comm comm = lariat_ctx_comm(ctx);
    if (MPI_Exscan(&local, &before, 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS ||
        MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI failed while counting rows");
    }
    if (lariat_ctx_rank(ctx) == 0) before = 0; /* MPI_Exscan leaves rank 0's result undefined */
    d->row0 = before;
    d->n = total;
    return LARIAT_OK;
}

/* Not collective. The checks the readers make on files, for a caller's
** labels and weights: finite labels, finite weights >= 0. row0 is the
** global index of the first row, for the message. */
static int check_labels(lariat_ctx *ctx, int64_t row0, int64_t n_local, const double *y, const double *w)
{
    for (int64_t i = 0; i < n_local; i++) {
        const long long row = (long long)(row0 + i);
        if (!isfinite(y[i])) {
            return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): the label is %g; it must be finite",
                                row, y[i]);
        }
        if (w != NULL && !(w[i] >= 0.0 && isfinite(w[i]))) {
            return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): the weight is %g; it must be finite "
                                "and >= 0", row, w[i]);
        }
    }
    return LARIAT_OK;
}

/* Not collective. Finite features of dense row-major rows. */
static int check_dense(lariat_ctx *ctx, int64_t row0, int64_t n_local, int64_t p, const double *X)
{
    for (int64_t i = 0; i < n_local; i++) {
        for (int64_t j = 0; j < p; j++) {
            if (!isfinite(X[i * p + j])) {
                return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): feature %lld is %g; it must be "
                                    "finite", (long long)(row0 + i), (long long)j, X[i * p + j]);
            }
        }
    }
    return LARIAT_OK;
}

/* Not collective. The structure and the values of CSR rows: row pointers that never decrease, column indices in [0, p) and
** strictly increasing within each row, finite values. */
static int check_csr(lariat_ctx *ctx, int64_t row0, int64_t n_local, int64_t p, const int64_t *rowptr,
                     const int32_t *colind, const double *val)
{
    for (int64_t i = 0; i < n_local; i++) {
        const long long row = (long long)(row0 + i);
        if (rowptr[i + 1] < rowptr[i]) {
            return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): the row pointers decrease (%lld, then "
                                "%lld)", row, (long long)rowptr[i], (long long)rowptr[i + 1]);
        }
        for (int64_t k = rowptr[i]; k < rowptr[i + 1]; k++) {
            if (colind[k] < 0 || colind[k] >= p) {
                return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): column index %d is outside "
                                    "[0, %lld)", row, (int)colind[k], (long long)p);
            }
            if (k > rowptr[i] && colind[k] <= colind[k - 1]) {
                return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): column indices must increase "
                                    "within a row (%d after %d; sort them and sum duplicates)", row,
                                    (int)colind[k], (int)colind[k - 1]);
            }
            if (!isfinite(val[k])) {
                return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): feature %d is %g; it must be "
                                    "finite", row, (int)colind[k], val[k]);
            }
        }
    }
    return LARIAT_OK;
}

/* Collective. What every constructor from a caller's arrays does once its
** rank has built (or failed to build, rc) its part d: agree on the failure,
** on p and on has_weights, number the rows, and check the labels, the
** weights and (check_x, not collective, called with the global index of
** the first row) the features. A NaN on one rank would poison every rank's
** sums: it stops every rank, with that rank's message. On failure d is
** destroyed and *out stays NULL. */
typedef int (*check_x_fn)(lariat_ctx *ctx, int64_t row0, const void *arg);

static int finish_from_arrays(lariat_ctx *ctx, int rc, int64_t p, lariat_data *d, const double *y, const double *w,
                              check_x_fn check_x, const void *arg, lariat_data **out)
{
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        /* Every rank must pass the same p and agree on has_weights. */
        long long pp[2] = {(long long)p, -(long long)p}, pr[2];
        int hw = d->has_weights, any = 0;
        if (MPI_Allreduce(pp, pr, 2, MPI_LONG_LONG, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS ||
            MPI_Allreduce(&hw, &any, 1, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI failed");
        } else if (pr[0] != -pr[1]) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "ranks passed different feature counts");
        }
        d->has_weights = any;
    }
    if (rc == LARIAT_OK) rc = lariat_data_set_global_rows(ctx, d);
    if (rc == LARIAT_OK) {
        int bad = check_labels(ctx, d->row0, d->n_local, y, w);
        if (bad == LARIAT_OK) bad = check_x(ctx, d->row0, arg);
        rc = lariat_agree(ctx, bad);
    }
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        return rc;
    }
    *out = d;
    return LARIAT_OK;
}

struct dense_arg {
    int64_t n_local, p;
    const double *X;
};

static int check_dense_arg(lariat_ctx *ctx, int64_t row0, const void *arg)
{
    const struct dense_arg *a = arg;
    return check_dense(ctx, row0, a->n_local, a->p, a->X);
}

int lariat_data_from_dense(lariat_ctx *ctx, int64_t n_local, int64_t p, const double *X, const double *y,
                           const double *w, lariat_data **out)
{
    *out = NULL;
    lariat_data *d = NULL;
    int rc = (n_local < 0 || p < 1) ? lariat_error(ctx, LARIAT_EUSAGE, "bad dimensions %lld x %lld",
                                                   (long long)n_local, (long long)p)
                                    : lariat_data_alloc(ctx, n_local, p, &d);
    double *val = NULL;
    if (rc == LARIAT_OK) {
        val = lariat_malloc(ctx, (size_t)(n_local * p), sizeof(double), "design matrix");
        if (val == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        if (n_local > 0) {
            memcpy(val, X, (size_t)(n_local * p) * sizeof(double));
            memcpy(d->y, y, (size_t)n_local * sizeof(double));
            if (w != NULL) memcpy(d->w, w, (size_t)n_local * sizeof(double));
        }
        d->has_weights = (w != NULL);
        rc = lariat_matrix_wrap_dense(ctx, n_local, p, val, &d->X);
        val = NULL;
    }
    free(val);
    const struct dense_arg arg = {n_local, p, X};
    return finish_from_arrays(ctx, rc, p, d, y, w, check_dense_arg, &arg, out);
}

struct csr_arg {
    int64_t n_local, p;
    const int64_t *rowptr;
    const int32_t *colind;
    const double *val;
};

static int check_csr_arg(lariat_ctx *ctx, int64_t row0, const void *arg)
{
    const struct csr_arg *a = arg;
    return check_csr(ctx, row0, a->n_local, a->p, a->rowptr, a->colind, a->val);
}

int lariat_data_from_csr(lariat_ctx *ctx, int64_t n_local, int64_t p, const int64_t *rowptr, const int32_t *colind,
                         const double *val, const double *y, const double *w, lariat_data **out)
{
    *out = NULL;
    lariat_data *d = NULL;
    int64_t *rp = NULL, nnz = 0;
    int32_t *ci = NULL;
    double *v = NULL;
    int rc = LARIAT_OK;
    if (n_local < 0 || p < 1 || p > INT32_MAX) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "bad dimensions %lld x %lld (CSR needs 1 <= p < 2^31)",
                          (long long)n_local, (long long)p);
    } else if ((nnz = rowptr[n_local] - rowptr[0]) < 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "the row pointers of this rank's %lld rows end (%lld) before they start "
                          "(%lld)", (long long)n_local, (long long)rowptr[n_local], (long long)rowptr[0]);
    }
    if (rc == LARIAT_OK) rc = lariat_data_alloc(ctx, n_local, p, &d);
    if (rc == LARIAT_OK) {
        rp = lariat_malloc(ctx, (size_t)n_local + 1, sizeof(int64_t), "CSR row pointers");
        ci = lariat_malloc(ctx, (size_t)nnz, sizeof(int32_t), "CSR column indices");
        v = lariat_malloc(ctx, (size_t)nnz, sizeof(double), "CSR values");
        if (rp == NULL || ci == NULL || v == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        for (int64_t i = 0; i <= n_local; i++) rp[i] = rowptr[i] - rowptr[0];
        if (nnz > 0) {
            memcpy(ci, colind + rowptr[0], (size_t)nnz * sizeof(int32_t));
            memcpy(v, val + rowptr[0], (size_t)nnz * sizeof(double));
        }
        if (n_local > 0) {
            memcpy(d->y, y, (size_t)n_local * sizeof(double));
            if (w != NULL) memcpy(d->w, w, (size_t)n_local * sizeof(double));
        }
        d->has_weights = (w != NULL);
        rc = lariat_matrix_wrap_csr(ctx, n_local, p, rp, ci, v, &d->X); /* owns them, even on failure */
        rp = NULL;
        ci = NULL;
        v = NULL;
    }
    free(rp);
    free(ci);
    free(v);
    /* The caller's arrays are checked (not the copies): the entries of row
    ** i are at the same offsets rowptr[i].. in both. */
    const struct csr_arg arg = {n_local, p, rowptr, colind, val};
    return finish_from_arrays(ctx, rc, p, d, y, w, check_csr_arg, &arg, out);
}
