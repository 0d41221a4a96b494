#include "data/tiles.h"

#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "data/regroup.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int64_t lariat_tile_rows(int64_t n, int64_t p)
{
    int64_t want = n / 32 > 16 * p ? n / 32 : 16 * p;
    if (want > n / 8) want = n / 8;
    int64_t t = 1;
    while (t < 32768 && 2 * t <= want) t *= 2;
    return t;
}

int64_t lariat_tile_shift_room(int64_t local_rows, int64_t p, int nranks)
{
    if (nranks <= 1 || local_rows <= 0) return 0;
    /* T grows with n: room for twice the rows covers parts uneven by up to
    ** half. Without p, the bound from n alone (T <= n / 8). */
    const int64_t n = 2 * local_rows * nranks;
    return lariat_tile_rows(n, p > 0 ? p : n);
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
        /* Both are written by every sum: 2 MiB pages (core/memory.h). */
        lariat_advise_huge(ts->part, (size_t)len_max * sizeof(double));
        lariat_advise_huge(ts->acc, (size_t)len_max * sizeof(lariat_rsum_entry));
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

/* Collective. out[0, t1 - t0) = the sum over the global tiles of fn's
** partials of the values [t0, t1), in the workspace part and acc. */
static int sum_over_tiles(lariat_ctx *ctx, const lariat_data *d, int64_t t0, int64_t t1, lariat_tile_piece_fn fn,
                          void *arg, double *part, lariat_rsum_entry *acc, double *out)
{
    const int64_t T = lariat_tile_rows(d->n, d->p);
    lariat_rsum_clear(acc, t1 - t0);
    /* The global tiles, cut to the local block: whole tiles when the block
    ** is on tile boundaries; otherwise the sum is as accurate, but its last
    ** bits depend on where the block starts. */
    for (int64_t i0 = 0; i0 < d->n_local;) {
        const int64_t end = ((d->row0 + i0) / T + 1) * T - d->row0;
        const int64_t m = (end < d->n_local ? end : d->n_local) - i0;
        fn(arg, i0, m, t0, t1, part);
        lariat_rsum_add(acc, part, t1 - t0);
        i0 += m;
    }
    return lariat_rsum_allreduce_value(ctx, acc, t1 - t0, out);
}

/* A whole-sum tile function seen as one piece. */
typedef struct whole_sum {
    lariat_tile_fn fn;
    void *arg;
} whole_sum;

static void whole_piece(void *arg, int64_t i0, int64_t m, int64_t t0, int64_t t1, double *part)
{
    const whole_sum *a = arg;
    (void)t0;
    (void)t1;
    a->fn(a->arg, i0, m, part);
}

int lariat_tilesum_run(lariat_tilesum *ts, int64_t len, lariat_tile_fn fn, void *arg, double *out)
{
    if (len > ts->len_max) {
        return lariat_error(ts->ctx, LARIAT_EUSAGE, "a tile sum of %lld values in a workspace of %lld",
                            (long long)len, (long long)ts->len_max);
    }
    whole_sum whole = {fn, arg};
    return sum_over_tiles(ts->ctx, ts->data, 0, len, whole_piece, &whole, ts->part, ts->acc, out);
}

int lariat_tile_sum(lariat_ctx *ctx, const lariat_data *data, int64_t len, lariat_tile_fn fn, void *arg,
                    double *out)
{
    whole_sum whole = {fn, arg};
    const int64_t bounds[2] = {0, len};
    return lariat_tile_sum_pieces(ctx, data, 1, bounds, whole_piece, &whole, out);
}

int lariat_tile_sum_pieces(lariat_ctx *ctx, const lariat_data *data, int npieces, const int64_t *bounds,
                           lariat_tile_piece_fn fn, void *arg, double *out)
{
    int64_t most = 1;
    for (int q = 0; q < npieces; q++) {
        if (bounds[q + 1] - bounds[q] > most) most = bounds[q + 1] - bounds[q];
    }
    /* The workspace lives in the context's scratch: a large sum (a Gram) made
    ** again and again (the folds of a CV) then reuses its pages. */
    const size_t bytes = (size_t)most * (sizeof(double) + sizeof(lariat_rsum_entry));
    char *mem = lariat_scratch(ctx, bytes, "tile sum workspace");
    int rc = lariat_agree(ctx, mem != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    double *part = (double *)mem;
    lariat_rsum_entry *acc = (lariat_rsum_entry *)(mem + (size_t)most * sizeof(double));
    for (int q = 0; rc == LARIAT_OK && q < npieces; q++) {
        rc = sum_over_tiles(ctx, data, bounds[q], bounds[q + 1], fn, arg, part, acc, out + bounds[q]);
    }
    return rc;
}

/* The rows that move in lariat_data_shift_to_tiles travel as records of
** doubles: dense [y, w, x_1..x_p]; CSR [y, w, nnz, (column, value) * nnz]. */
static int64_t record_len(const lariat_matrix *X, int64_t i)
{
    if (X->kind == MATRIX_DENSE) return 2 + X->cols;
    return 3 + 2 * (X->rowptr[i + 1] - X->rowptr[i]);
}

static double *record_pack(const lariat_data *d, int64_t i, double *out)
{
    const lariat_matrix *X = d->X;
    *out++ = d->y[i];
    *out++ = d->w[i];
    if (X->kind == MATRIX_DENSE) {
        memcpy(out, X->val + i * X->cols, (size_t)X->cols * sizeof(double));
        return out + X->cols;
    }
    *out++ = (double)(X->rowptr[i + 1] - X->rowptr[i]);
    for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
        *out++ = (double)X->colind[k];
        *out++ = X->val[k];
    }
    return out;
}

static int64_t clamp_rows(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Resizes *a to count doubles (at least one); 0 if growing failed (a
** shrink that fails keeps the block). */
static int resize(double **a, int64_t count)
{
    double *b = realloc(*a, (size_t)(count > 0 ? count : 1) * sizeof(double));
    if (b != NULL) *a = b;
    return b != NULL;
}

/* The new block of dense rows (lariat_data_shift_to_tiles): the local rows
** [lead, lead + keep) move to [before, before + keep), grown first and
** shrunk after, and the received records fill [0, before) and the rest. */
static int place_dense(lariat_data *d, int64_t lead, int64_t keep, int64_t before, int64_t newn, const double *rbuf)
{
    lariat_matrix *X = d->X;
    const int64_t p = d->p, nl = d->n_local, cap = newn > nl ? newn : nl;
    int ok = resize(&d->y, cap) && resize(&d->w, cap) && resize(&X->val, cap * p);
    if (!ok) return 0;
    memmove(d->y + before, d->y + lead, (size_t)keep * sizeof(double));
    memmove(d->w + before, d->w + lead, (size_t)keep * sizeof(double));
    memmove(X->val + before * p, X->val + lead * p, (size_t)(keep * p) * sizeof(double));
    const double *t = rbuf;
    for (int64_t i = 0; i < newn; i++) {
        if (i == before) i += keep;
        if (i >= newn) break;
        d->y[i] = t[0];
        d->w[i] = t[1];
        memcpy(X->val + i * p, t + 2, (size_t)p * sizeof(double));
        t += 2 + p;
    }
    resize(&d->y, newn);
    resize(&d->w, newn);
    resize(&X->val, newn * p);
    return 1;
}

/* The same for CSR rows: the kept entries move to follow the received
** rows' entries, and the row pointers are made anew. */
static int place_csr(lariat_data *d, int64_t lead, int64_t keep, int64_t before, int64_t newn, const double *rbuf)
{
    lariat_matrix *X = d->X;
    const int64_t nl = d->n_local, cap = newn > nl ? newn : nl;
    /* The entries received before the kept rows, and in all. */
    int64_t nz_before = 0, nz_in = 0;
    for (int64_t t = 0, i = 0; i < newn - keep; i++) {
        const int64_t c = (int64_t)rbuf[t + 2];
        if (i < before) nz_before += c;
        nz_in += c;
        t += 3 + 2 * c;
    }
    const int64_t base = X->rowptr[lead], nz_keep = X->rowptr[lead + keep] - base, nz_old = X->rowptr[nl];
    const int64_t nz = nz_keep + nz_in, nz_cap = nz > nz_old ? nz : nz_old;
    int ok = resize(&d->y, cap) && resize(&d->w, cap) && resize(&X->val, nz_cap);
    int32_t *col = realloc(X->colind, (size_t)(nz_cap > 0 ? nz_cap : 1) * sizeof(int32_t));
    if (col != NULL) X->colind = col;
    int64_t *ptr = realloc(X->rowptr, (size_t)(cap + 1) * sizeof(int64_t));
    if (ptr != NULL) X->rowptr = ptr;
    if (!ok || col == NULL || ptr == NULL) return 0;
    memmove(d->y + before, d->y + lead, (size_t)keep * sizeof(double));
    memmove(d->w + before, d->w + lead, (size_t)keep * sizeof(double));
    memmove(X->val + nz_before, X->val + base, (size_t)nz_keep * sizeof(double));
    memmove(X->colind + nz_before, X->colind + base, (size_t)nz_keep * sizeof(int32_t));
    memmove(X->rowptr + before, X->rowptr + lead, (size_t)(keep + 1) * sizeof(int64_t));
    for (int64_t i = before; i <= before + keep; i++) X->rowptr[i] += nz_before - base;
    const double *t = rbuf;
    X->rowptr[0] = 0;
    for (int64_t i = 0; i < newn; i++) {
        if (i == before) i += keep;
        if (i >= newn) break;
        const int64_t c = (int64_t)t[2];
        int64_t k = X->rowptr[i];
        d->y[i] = t[0];
        d->w[i] = t[1];
        for (int64_t e = 0; e < c; e++, k++) {
            X->colind[k] = (int32_t)t[3 + 2 * e];
            X->val[k] = t[4 + 2 * e];
        }
        X->rowptr[i + 1] = k;
        t += 3 + 2 * c;
    }
    resize(&d->y, newn);
    resize(&d->w, newn);
    resize(&X->val, nz);
    col = realloc(X->colind, (size_t)(nz > 0 ? nz : 1) * sizeof(int32_t));
    if (col != NULL) X->colind = col;
    ptr = realloc(X->rowptr, (size_t)(newn + 1) * sizeof(int64_t));
    if (ptr != NULL) X->rowptr = ptr;
    return 1;
}

int lariat_data_shift_to_tiles(lariat_ctx *ctx, lariat_data *d)
{
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    const int64_t n = d->n, T = lariat_tile_rows(d->n, d->p), nl = d->n_local;
    lariat_matrix *X = d->X;
    const int dense = X->kind == MATRIX_DENSE;
    int64_t *r0 = lariat_malloc(ctx, (size_t)(2 * P + 2), sizeof(int64_t), "row blocks");
    int *scnt = lariat_calloc(ctx, (size_t)(4 * P), sizeof(int), "row exchange counts");
    int rc = lariat_agree(ctx, r0 && scnt ? LARIAT_OK : LARIAT_ENOMEM);
    double *sbuf = NULL, *rbuf = NULL;
    if (rc != LARIAT_OK) goto done;
    int *sdsp = scnt + P, *rcnt = scnt + 2 * P, *rdsp = scnt + 3 * P;
    int64_t *s = r0 + P + 1, mine = d->row0;
    if (MPI_Allgather(&mine, 1, MPI_INT64_T, r0, 1, MPI_INT64_T, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgather of the row blocks failed");
        goto done;
    }
    r0[P] = n;
    /* Rank r's block becomes [s_r, s_{r+1}): from the tile boundary nearest
    ** its old start, so that the blocks stay as even as whole tiles allow
    ** (the first boundary at or after it gave rank 0 of two 57,344 of
    ** 100,000 rows in tiles of 8,192, and the lockstep CV's passes waited on
    ** it), and fewer than T / 2 rows move at each end of a block, to the
    ** rank before or after. Every rank computes the same s. */
    int moved = 0;
    for (int r = 0; r <= P; r++) {
        s[r] = r == P ? n : ((r0[r] + T / 2) / T) * T;
        if (s[r] > n) s[r] = n;
        moved |= s[r] != r0[r];
    }
    if (!moved) goto done;
    /* What leaves: this rank's rows before s_me (local [0, lead)) and from
    ** s_{me+1} on (local [tail, nl)), to the ranks q whose new blocks hold
    ** them, in row order; local [lead, tail) stays. */
    const int64_t o0 = r0[me], o1 = r0[me + 1], n0 = s[me], n1 = s[me + 1];
    const int64_t lead = clamp_rows((n0 < o1 ? n0 : o1) - o0, 0, nl);
    const int64_t tail = clamp_rows((n1 > o0 ? n1 : o0) - o0, lead, nl);
    int64_t stotal = 0;
    for (int64_t i = 0; i < nl; i++) stotal += i < lead || i >= tail ? record_len(X, i) : 0;
    if (stotal > INT_MAX) rc = lariat_error(ctx, LARIAT_EUSAGE, "too many rows to move onto tile boundaries");
    sbuf = lariat_malloc(ctx, (size_t)(stotal > 0 ? stotal : 1), sizeof(double), "rows to move");
    if (rc == LARIAT_OK && sbuf == NULL) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    {
        double *o = sbuf;
        int q = 0;
        for (int64_t i = 0; i < nl; i++) {
            if (i == lead) i = tail;
            if (i >= nl) break;
            const int64_t g = o0 + i;
            while (!(g >= s[q] && g < s[q + 1])) q++;
            double *start = o;
            o = record_pack(d, i, o);
            scnt[q] += (int)(o - start);
        }
    }
    if (MPI_Alltoall(scnt, 1, MPI_INT, rcnt, 1, MPI_INT, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Alltoall of the row exchange failed");
    }
    int64_t rtotal = 0;
    for (int r = 0; r < P; r++) {
        sdsp[r] = r ? sdsp[r - 1] + scnt[r - 1] : 0;
        rdsp[r] = r ? rdsp[r - 1] + rcnt[r - 1] : 0;
        rtotal += rcnt[r];
    }
    if (rc == LARIAT_OK && rtotal > INT_MAX) rc = lariat_error(ctx, LARIAT_EUSAGE, "too many rows to receive");
    rbuf = lariat_malloc(ctx, (size_t)(rtotal > 0 ? rtotal : 1), sizeof(double), "rows moved in");
    if (rc == LARIAT_OK && rbuf == NULL) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && MPI_Alltoallv(sbuf, scnt, sdsp, MPI_DOUBLE, rbuf, rcnt, rdsp, MPI_DOUBLE,
                                         lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Alltoallv of the rows moved onto tile boundaries failed");
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    /* The new block: the rows received from earlier ranks (rbuf's first
    ** records, in row order), the rows kept, then those from later ranks. */
    const int64_t keep = tail - lead, newn = n1 - n0, before = clamp_rows((o0 < n1 ? o0 : n1) - n0, 0, newn);
    int ok = 1;
    if (dense) {
        /* Rows read in place from a mapped file (io/hdf5.c) are read-only. */
        ok = lariat_matrix_own_values(ctx, X) == LARIAT_OK && place_dense(d, lead, keep, before, newn, rbuf);
    } else {
        ok = place_csr(d, lead, keep, before, newn, rbuf);
    }
    if (!ok) rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory moving rows onto tile boundaries");
    X->rows = newn;
    d->n_local = newn;
    d->row0 = n0;
    rc = lariat_agree(ctx, rc);
done:
    free(r0);
    free(scnt);
    free(sbuf);
    free(rbuf);
    return rc;
}
