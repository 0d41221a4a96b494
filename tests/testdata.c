#include "testdata.h"

#include "core/rng.h"
#include "data/dataset.h"
#include "data/matrix.h"
#include "harness.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_split(int64_t n, int rank, int size, int64_t *begin, int64_t *end)
{
    /* Boundaries at n * r(r+1) / (P(P+1)): rank r holds a share growing with r. */
    double denom = (double)size * (double)(size + 1);
    *begin = (int64_t)((double)n * (double)rank * (double)(rank + 1) / denom);
    *end = (rank == size - 1) ? n : (int64_t)((double)n * (double)(rank + 1) * (double)(rank + 2) / denom);
}

static double true_coef(const lt_spec *s, int64_t j)
{
    int k = s->nonzero > 0 ? s->nonzero : (int)(s->p / 3 + 1);
    if (j >= k) return 0.0;
    return (j % 2 ? -1.0 : 1.0) * (1.0 + (double)j / (double)k);
}

static double entry(const lt_spec *s, int64_t i, int64_t j)
{
    if (s->density > 0 && s->density < 1 &&
        lariat_uniform(s->seed, LARIAT_STREAM_GEN_SPARSE, (uint64_t)i, (uint64_t)j) > s->density) {
        return 0.0;
    }
    double z = lariat_normal(s->seed, LARIAT_STREAM_GEN_X, (uint64_t)i, (uint64_t)j + 1);
    double f = lariat_normal(s->seed, LARIAT_STREAM_GEN_X, (uint64_t)i, 0);
    double x = sqrt(1.0 - s->corr) * z + sqrt(s->corr) * f;
    if (s->scale_range > 0) x *= pow(10.0, s->scale_range * (double)j / (double)(s->p > 1 ? s->p - 1 : 1));
    return x + s->offset;
}

lariat_data *lt_make_data(const lt_spec *s)
{
    lariat_ctx *ctx = lt_ctx();
    int64_t begin, end;
    lt_split(s->n, lt_rank(), lt_size(), &begin, &end);
    int64_t nl = end - begin, p = s->p;
    lariat_data *d = NULL;
    if (lariat_data_alloc(ctx, nl, p, &d) != LARIAT_OK) return NULL;
    double *row = malloc((size_t)p * sizeof(double));
    int sparse = (s->density > 0 && s->density < 1);
    int64_t *rowptr = sparse ? malloc((size_t)(nl + 1) * sizeof(int64_t)) : NULL;
    int64_t cap = sparse ? nl * p + 1 : nl * p;
    double *val = malloc((size_t)(cap > 0 ? cap : 1) * sizeof(double));
    int32_t *col = sparse ? malloc((size_t)(cap > 0 ? cap : 1) * sizeof(int32_t)) : NULL;
    int64_t nnz = 0;
    if (sparse) rowptr[0] = 0;
    for (int64_t i = 0; i < nl; i++) {
        int64_t gi = begin + i;
        double eta = 0.0;
        for (int64_t j = 0; j < p; j++) {
            row[j] = entry(s, gi, j);
            double scale = s->scale_range > 0 ? pow(10.0, s->scale_range * (double)j / (double)(p > 1 ? p - 1 : 1)) : 1;
            eta += (row[j] - s->offset) * true_coef(s, j) / scale;
        }
        double sd = s->noise > 0 ? s->noise : 1.0;
        d->y[i] = 2.0 + eta + sd * lariat_normal(s->seed, LARIAT_STREAM_GEN_NOISE, (uint64_t)gi, 0);
        d->w[i] = s->weighted ? 0.5 + 2.0 * lariat_uniform(s->seed, LARIAT_STREAM_GEN_NOISE, (uint64_t)gi, 7) : 1.0;
        if (sparse) {
            for (int64_t j = 0; j < p; j++) {
                if (row[j] != 0.0) {
                    val[nnz] = row[j];
                    col[nnz++] = (int32_t)j;
                }
            }
            rowptr[i + 1] = nnz;
        } else {
            memcpy(val + i * p, row, (size_t)p * sizeof(double));
        }
    }
    free(row);
    d->has_weights = s->weighted;
    int rc = sparse ? lariat_matrix_wrap_csr(ctx, nl, p, rowptr, col, val, &d->X)
                    : lariat_matrix_wrap_dense(ctx, nl, p, val, &d->X);
    if (rc == LARIAT_OK) rc = lariat_data_set_global_rows(ctx, d);
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        return NULL;
    }
    return d;
}

lariat_data *lt_sparse_copy(const lariat_data *d)
{
    lariat_ctx *ctx = lt_ctx();
    const int64_t nl = d->n_local, p = d->p;
    lariat_data *s = NULL;
    if (lariat_data_alloc(ctx, nl, p, &s) != LARIAT_OK) return NULL;
    int64_t *rowptr = malloc((size_t)(nl + 1) * sizeof(int64_t));
    double *val = malloc((size_t)(nl * p + 1) * sizeof(double)), *row = malloc((size_t)(p + 1) * sizeof(double));
    int32_t *col = malloc((size_t)(nl * p + 1) * sizeof(int32_t));
    int64_t nnz = 0;
    rowptr[0] = 0;
    for (int64_t i = 0; i < nl; i++) {
        lariat_matrix_get_row(d->X, i, row);
        for (int64_t j = 0; j < p; j++) {
            if (row[j] != 0.0) {
                val[nnz] = row[j];
                col[nnz++] = (int32_t)j;
            }
        }
        rowptr[i + 1] = nnz;
        s->y[i] = d->y[i];
        s->w[i] = d->w[i];
    }
    free(row);
    s->has_weights = d->has_weights;
    int rc = lariat_matrix_wrap_csr(ctx, nl, p, rowptr, col, val, &s->X);
    if (rc == LARIAT_OK) rc = lariat_data_set_global_rows(ctx, s);
    if (rc != LARIAT_OK) {
        lariat_data_destroy(s);
        return NULL;
    }
    return s;
}

void lt_gather_all(const lariat_data *d, double **Xall, double **yall, double **wall)
{
    int64_t n = d->n, p = d->p;
    *Xall = calloc((size_t)(n * p + 1), sizeof(double));
    *yall = calloc((size_t)(n + 1), sizeof(double));
    *wall = calloc((size_t)(n + 1), sizeof(double));
    /* Each rank writes its rows into zeroed global arrays, then a sum fills them in. */
    double *row = malloc((size_t)p * sizeof(double));
    for (int64_t i = 0; i < d->n_local; i++) {
        lariat_matrix_get_row(d->X, i, row);
        memcpy(*Xall + (d->row0 + i) * p, row, (size_t)p * sizeof(double));
        (*yall)[d->row0 + i] = d->y[i];
        (*wall)[d->row0 + i] = d->w[i];
    }
    free(row);
    MPI_Allreduce(MPI_IN_PLACE, *Xall, (int)(n * p), MPI_DOUBLE, MPI_SUM, lt_comm());
    MPI_Allreduce(MPI_IN_PLACE, *yall, (int)n, MPI_DOUBLE, MPI_SUM, lt_comm());
    MPI_Allreduce(MPI_IN_PLACE, *wall, (int)n, MPI_DOUBLE, MPI_SUM, lt_comm());
}

cJSON *lt_fixture_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.json", lt_fixtures_dir(), name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    cJSON *root = NULL;
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
        root = cJSON_Parse(text);
    }
    free(text);
    fclose(f);
    return root;
}

double *lt_json_numbers(const cJSON *a, int *n)
{
    *n = cJSON_GetArraySize(a);
    double *v = malloc((size_t)(*n > 0 ? *n : 1) * sizeof(double));
    for (int i = 0; i < *n; i++) v[i] = cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}
