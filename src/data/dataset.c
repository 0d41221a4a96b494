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
** arrays: finite features and labels, finite weights >= 0. row0 is the
** global index of the first row, for the message. */
static int check_values(lariat_ctx *ctx, int64_t row0, int64_t n_local, int64_t p, const double *X, const double *y,
                        const double *w)
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
        for (int64_t j = 0; j < p; j++) {
            if (!isfinite(X[i * p + j])) {
                return lariat_error(ctx, LARIAT_EDATA, "row %lld (global, 0-based): feature %lld is %g; it must be "
                                    "finite", row, (long long)j, X[i * p + j]);
            }
        }
    }
    return LARIAT_OK;
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
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        /* Every rank must pass the same p and agree on has_weights. */
        long long pp[2] = {(long long)p, -(long long)p}, pr[2];
        if (MPI_Allreduce(pp, pr, 2, MPI_LONG_LONG, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI failed");
        } else if (pr[0] != -pr[1]) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "ranks passed different feature counts");
        }
        int hw = d->has_weights, any = 0;
        MPI_Allreduce(&hw, &any, 1, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx));
        d->has_weights = any;
    }
    if (rc == LARIAT_OK) rc = lariat_data_set_global_rows(ctx, d);
    /* A NaN on one rank would poison every rank's sums: it stops every rank
    ** here, with that rank's message. */
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, check_values(ctx, d->row0, n_local, p, X, y, w));
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        return rc;
    }
    *out = d;
    return LARIAT_OK;
}
