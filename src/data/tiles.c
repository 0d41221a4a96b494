#include "data/tiles.h"

#include "core/core.h"
#include "data/regroup.h"

#include <stdlib.h>

int64_t lariat_tile_rows(int64_t n, int64_t p)
{
    const int64_t want = n / 32 > 4 * p ? n / 32 : 4 * p;
    int64_t t = 1;
    while (t < 8192 && 2 * t <= want) t *= 2;
    return t;
}

void lariat_tile_split(int64_t n, int64_t p, int s, int m, int64_t *row0, int64_t *count)
{
    const int64_t T = lariat_tile_rows(n, p), tiles = (n + T - 1) / T;
    int64_t a = (tiles * m / s) * T, b = (tiles * (m + 1) / s) * T;
    if (a > n) a = n;
    if (b > n) b = n;
    *row0 = a;
    *count = b - a;
}

int lariat_tiles_local_aligned(const lariat_data *d)
{
    const int64_t T = lariat_tile_rows(d->n, d->p), end = d->row0 + d->n_local;
    if (d->n_local == 0) return 1;
    return d->row0 % T == 0 && (end % T == 0 || end == d->n);
}

int lariat_data_align(lariat_ctx *ctx, const lariat_data *d, const double *row_w, const int *foldid,
                      lariat_data **out, double **out_w, int **out_foldid)
{
    *out = NULL;
    *out_w = NULL;
    *out_foldid = NULL;
    int bad = !lariat_tiles_local_aligned(d), any = 0;
    if (MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce failed while checking the row tiles");
    }
    if (!any) return LARIAT_OK;
    /* One group of every rank: regroup moves the rows onto the even tile split. */
    return lariat_data_regroup(ctx, d, row_w, foldid, ctx, out, out_w, out_foldid);
}

int lariat_tilesum_create(lariat_ctx *ctx, const lariat_data *data, int64_t len_max, lariat_tilesum **out)
{
    *out = NULL;
    int rc = LARIAT_OK;
    lariat_tilesum *ts = lariat_calloc(ctx, 1, sizeof(*ts), "tile sum workspace");
    if (ts != NULL) {
        ts->ctx = ctx;
        ts->data = data;
        ts->len_max = len_max;
        ts->part = lariat_malloc(ctx, (size_t)len_max, sizeof(double), "a tile's partial sums");
        ts->acc = lariat_malloc(ctx, (size_t)len_max, sizeof(lariat_rsum_entry), "binned sums");
        if (ts->part == NULL || ts->acc == NULL) rc = LARIAT_ENOMEM;
    } else {
        rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        lariat_tilesum_destroy(ts);
        return rc;
    }
    *out = ts;
    return LARIAT_OK;
}

void lariat_tilesum_destroy(lariat_tilesum *ts)
{
    if (ts == NULL) return;
    free(ts->part);
    free(ts->acc);
    free(ts);
}

int lariat_tilesum_run(lariat_tilesum *ts, int64_t len, lariat_tile_fn fn, void *arg, double *out)
{
    if (len > ts->len_max) {
        return lariat_error(ts->ctx, LARIAT_EUSAGE, "a tile sum of %lld values in a workspace of %lld",
                            (long long)len, (long long)ts->len_max);
    }
    const lariat_data *d = ts->data;
    const int64_t T = lariat_tile_rows(d->n, d->p);
    lariat_rsum_clear(ts->acc, len);
    /* The global tiles, cut to the local block: whole tiles when the block
    ** is on tile boundaries; otherwise the sum is as accurate, but its last
    ** bits depend on where the block starts. */
    for (int64_t i0 = 0; i0 < d->n_local;) {
        const int64_t end = ((d->row0 + i0) / T + 1) * T - d->row0;
        const int64_t m = (end < d->n_local ? end : d->n_local) - i0;
        fn(arg, i0, m, ts->part);
        lariat_rsum_add(ts->acc, ts->part, len);
        i0 += m;
    }
    int rc = lariat_rsum_allreduce(ts->ctx, ts->acc, len);
    if (rc == LARIAT_OK) lariat_rsum_value(ts->acc, out, len);
    return rc;
}

int lariat_tile_sum(lariat_ctx *ctx, const lariat_data *data, int64_t len, lariat_tile_fn fn, void *arg,
                    double *out)
{
    lariat_tilesum *ts = NULL;
    int rc = lariat_tilesum_create(ctx, data, len, &ts);
    if (rc == LARIAT_OK) rc = lariat_tilesum_run(ts, len, fn, arg, out);
    lariat_tilesum_destroy(ts);
    return rc;
}
