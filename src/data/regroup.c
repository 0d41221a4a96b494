/*
** Rows travel as packed doubles, one record per row:
**   dense: y, w, row weight, fold, x_1..x_p
**   CSR:   y, w, row weight, fold, nnz, (column, value) * nnz
** (column indices and folds are small integers, exact in a double). One
** MPI_Alltoall of counts and one MPI_Alltoallv of records; rows arrive in
** source-rank order, which is global row order.
*/
#include "data/regroup.h"

#include "core/core.h"
#include "core/memory.h"
#include "data/dataset.h"
#include "data/matrix.h"
#include "data/tiles.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { HEAD = 4 }; /* y, w, row weight, fold */

/* Not collective. Packs local row i at out (when out != NULL); returns its
** length. CSR rows go entry by entry from their storage (a stored zero is
** left out: the records once came from the row made dense). */
static int64_t pack(const lariat_data *d, const double *row_w, const int *foldid, int64_t i, double *out)
{
    const lariat_matrix *X = d->X;
    const int sparse = lariat_matrix_is_sparse(X);
    int64_t len = HEAD;
    if (sparse) {
        int64_t nnz = 0;
        for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) nnz += (X->val[k] != 0.0);
        len += 1 + 2 * nnz;
    } else {
        len += d->p;
    }
    if (out == NULL) return len;
    out[0] = d->y[i];
    out[1] = d->w[i];
    out[2] = row_w ? row_w[i] : d->w[i];
    out[3] = foldid ? (double)foldid[i] : 0.0;
    if (sparse) {
        int64_t k = HEAD + 1;
        for (int64_t e = X->rowptr[i]; e < X->rowptr[i + 1]; e++) {
            if (X->val[e] != 0.0) {
                out[k++] = (double)X->colind[e];
                out[k++] = X->val[e];
            }
        }
        out[HEAD] = (double)((k - HEAD - 1) / 2);
    } else {
        memcpy(out + HEAD, X->val + i * d->p, (size_t)d->p * sizeof(double));
    }
    return len;
}

int lariat_data_regroup(lariat_ctx *ctx, const lariat_data *data, const double *row_w, const int *foldid,
                        lariat_ctx *sub, lariat_data **out, double **out_w, int **out_foldid)
{
    *out = NULL;
    *out_w = NULL;
    *out_foldid = NULL;
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int P = lariat_ctx_size(ctx);
    const int64_t n = data->n, p = data->p, nl = data->n_local;
    const int sparse = lariat_matrix_is_sparse(data->X);
    int *where = NULL, *scount = NULL, *rcount = NULL, *sdisp = NULL, *rdisp = NULL;
    double *sbuf = NULL, *rbuf = NULL;
    int64_t *span = NULL; /* every rank's new rows: [span[2r], span[2r + 1]) */
    lariat_data *nd = NULL;

    /* Who is who: (group leader's world rank as the group's name, member
    ** index, group size) for every world rank. */
    int me[3], sub_rank = lariat_ctx_rank(sub), sub_size = lariat_ctx_size(sub), world_rank = lariat_ctx_rank(ctx);
    int leader = world_rank;
    MPI_Bcast(&leader, 1, MPI_INT, 0, lariat_ctx_comm(sub));
    me[0] = leader;
    me[1] = sub_rank;
    me[2] = sub_size;
    int rc = LARIAT_OK;
    where = lariat_malloc(ctx, (size_t)(3 * P), sizeof(int), "group map");
    scount = lariat_calloc(ctx, (size_t)P, sizeof(int), "send counts");
    rcount = lariat_calloc(ctx, (size_t)P, sizeof(int), "receive counts");
    sdisp = lariat_calloc(ctx, (size_t)P, sizeof(int), "send offsets");
    rdisp = lariat_calloc(ctx, (size_t)P, sizeof(int), "receive offsets");
    span = lariat_malloc(ctx, (size_t)(2 * P), sizeof(int64_t), "row spans");
    if (!where || !scount || !rcount || !sdisp || !rdisp || !span) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    MPI_Allgather(me, 3, MPI_INT, where, 3, MPI_INT, comm);

    /* Each local row goes to one member of every group: member m of a group
    ** of size s owns its even share of whole tiles of rows (data/tiles.h), so
    ** that every group's sums are the same as the whole set's. Count, then pack. */
    for (int r = 0; r < P; r++) {
        lariat_tile_split(n, p, where[3 * r + 2], where[3 * r + 1], &span[2 * r], &span[2 * r + 1]);
        span[2 * r + 1] += span[2 * r];
    }
    int64_t total = 0;
    for (int64_t i = 0; i < nl; i++) {
        const int64_t gi = data->row0 + i, len = pack(data, row_w, foldid, i, NULL);
        for (int r = 0; r < P; r++) {
            if (gi >= span[2 * r] && gi < span[2 * r + 1]) {
                if ((int64_t)scount[r] + len > INT_MAX) rc = lariat_error(ctx, LARIAT_EUSAGE, "regroup message too large");
                scount[r] += (int)len;
                total += len;
            }
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, comm);
    int64_t rtotal = 0;
    for (int r = 0; r < P; r++) {
        sdisp[r] = r ? sdisp[r - 1] + scount[r - 1] : 0;
        rdisp[r] = r ? rdisp[r - 1] + rcount[r - 1] : 0;
        rtotal += rcount[r];
    }
    sbuf = lariat_malloc(ctx, (size_t)total, sizeof(double), "regroup send buffer");
    rbuf = lariat_malloc(ctx, (size_t)rtotal, sizeof(double), "regroup receive buffer");
    /* Every array of the move is fresh and written whole: 2 MiB pages
    ** (core/memory.h). */
    lariat_advise_huge(sbuf, (size_t)total * sizeof(double));
    lariat_advise_huge(rbuf, (size_t)rtotal * sizeof(double));
    rc = lariat_agree(ctx, (sbuf && rbuf) ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) goto done;
    {
        int *pos = lariat_calloc(ctx, (size_t)P, sizeof(int), "pack positions");
        if (pos == NULL) rc = LARIAT_ENOMEM;
        for (int64_t i = 0; rc == LARIAT_OK && i < nl; i++) {
            const int64_t gi = data->row0 + i;
            for (int r = 0; r < P; r++) {
                if (gi >= span[2 * r] && gi < span[2 * r + 1]) {
                    pos[r] += (int)pack(data, row_w, foldid, i, sbuf + sdisp[r] + pos[r]);
                }
            }
        }
        free(pos);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    if (MPI_Alltoallv(sbuf, scount, sdisp, MPI_DOUBLE, rbuf, rcount, rdisp, MPI_DOUBLE, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Alltoallv failed while regrouping rows");
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;

    /* Unpack: count the records, then build the new block. */
    const int64_t m = span[2 * world_rank + 1] - span[2 * world_rank];
    rc = lariat_data_alloc(ctx, m, p, &nd);
    double *val = NULL;
    int64_t *rowptr = NULL;
    int32_t *colind = NULL;
    int64_t nnz = 0;
    if (rc == LARIAT_OK && sparse) {
        for (int64_t off = 0, i = 0; i < m; i++) {
            nnz += (int64_t)rbuf[off + HEAD];
            off += HEAD + 1 + 2 * (int64_t)rbuf[off + HEAD];
        }
    }
    if (rc == LARIAT_OK) {
        val = lariat_malloc(ctx, (size_t)(sparse ? nnz : m * p), sizeof(double), "regrouped rows");
        if (sparse) {
            rowptr = lariat_malloc(ctx, (size_t)(m + 1), sizeof(int64_t), "regrouped row offsets");
            colind = lariat_malloc(ctx, (size_t)nnz, sizeof(int32_t), "regrouped columns");
        }
        lariat_advise_huge(val, (size_t)(sparse ? nnz : m * p) * sizeof(double));
        lariat_advise_huge(colind, (size_t)nnz * sizeof(int32_t));
        *out_w = lariat_malloc(ctx, (size_t)m, sizeof(double), "regrouped weights");
        if (foldid) *out_foldid = lariat_malloc(ctx, (size_t)m, sizeof(int), "regrouped folds");
        if (!val || (sparse && (!rowptr || !colind)) || !*out_w || (foldid && !*out_foldid)) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        int64_t off = 0, k = 0;
        if (sparse) rowptr[0] = 0;
        for (int64_t i = 0; i < m; i++) {
            const double *rec = rbuf + off;
            nd->y[i] = rec[0];
            nd->w[i] = rec[1];
            (*out_w)[i] = rec[2];
            if (foldid) (*out_foldid)[i] = (int)rec[3];
            if (sparse) {
                const int64_t cnt = (int64_t)rec[HEAD];
                for (int64_t t = 0; t < cnt; t++) {
                    colind[k] = (int32_t)rec[HEAD + 1 + 2 * t];
                    val[k++] = rec[HEAD + 2 + 2 * t];
                }
                rowptr[i + 1] = k;
                off += HEAD + 1 + 2 * cnt;
            } else {
                memcpy(val + i * p, rec + HEAD, (size_t)p * sizeof(double));
                off += HEAD + p;
            }
        }
        nd->has_weights = data->has_weights;
        for (int64_t j = 0; j < p && data->feature_names; j++) {
            char *copy = strdup(data->feature_names[j]);
            if (copy == NULL) {
                rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory copying feature names");
                break;
            }
            free(nd->feature_names[j]);
            nd->feature_names[j] = copy;
        }
        rc = (rc == LARIAT_OK) ? (sparse ? lariat_matrix_wrap_csr(ctx, m, p, rowptr, colind, val, &nd->X)
                                         : lariat_matrix_wrap_dense(ctx, m, p, val, &nd->X))
                               : rc;
        val = NULL;
        rowptr = NULL;
        colind = NULL;
    }
    free(val);
    free(rowptr);
    free(colind);
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_data_set_global_rows(sub, nd);

done:
    free(where);
    free(scount);
    free(rcount);
    free(sdisp);
    free(rdisp);
    free(sbuf);
    free(rbuf);
    free(span);
    if (rc != LARIAT_OK) {
        lariat_data_destroy(nd);
        free(*out_w);
        free(*out_foldid);
        *out_w = NULL;
        *out_foldid = NULL;
        return rc;
    }
    *out = nd;
    return LARIAT_OK;
}
