/*
** `lariat info`: what a data file holds once read, and what it costs each
** rank: rows, columns, nonzeros and density, and memory per rank.
*/
#include "cli/commands.h"
#include "cli/setup.h"
#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"

#include <stdio.h>
#include <stdlib.h>

/* Ranks listed one per line; beyond this only the extremes are shown
** (unless --verbose). */
#define LC_INFO_RANK_LINES 16

/* Rank 0: the per-rank rows and bytes (2 values per rank). */
static void print_info(const lariat_ctx *ctx, const lc_options *o, const lariat_data *d, int64_t nnz,
                       const double *per_rank, double peak_mb, double load_s)
{
    int size = lariat_ctx_size(ctx);
    char b1[32], b2[32], b3[32];
    printf("lariat info: %s\n", lc_text(o, LC_OPT_DATA));
    printf("  rows      %lld\n", (long long)d->n);
    printf("  features  %lld", (long long)d->p);
    int shown = d->p < 8 ? (int)d->p : 8;
    for (int j = 0; j < shown; j++) printf("%s%s", j == 0 ? " (" : ", ", d->feature_names[j]);
    printf("%s\n", d->p > shown ? ", ...)" : ")");
    double cells = (double)d->n * (double)d->p;
    printf("  nonzeros  %lld (density %.4g%%), stored %s\n", (long long)nnz, cells > 0 ? 100.0 * (double)nnz / cells : 0.0,
           lariat_matrix_is_sparse(d->X) ? "sparse (CSR)" : "dense");
    printf("  weights   %s\n", d->has_weights ? "from the data" : "none (all 1)");
    double lo = per_rank[1], hi = per_rank[1], sum = 0.0;
    for (int r = 0; r < size; r++) {
        double b = per_rank[2 * r + 1];
        lo = b < lo ? b : lo;
        hi = b > hi ? b : hi;
        sum += b;
    }
    printf("  ranks     %d; data held per rank (X, y, w): min %s, max %s, total %s\n", size, lc_bytes_text(lo, b1),
           lc_bytes_text(hi, b2), lc_bytes_text(sum, b3));
    if (size <= LC_INFO_RANK_LINES || lariat_ctx_verbosity(ctx) >= LARIAT_LOG_VERBOSE) {
        for (int r = 0; r < size; r++) {
            printf("    rank %-4d %12.0f rows  %s\n", r, per_rank[2 * r], lc_bytes_text(per_rank[2 * r + 1], b1));
        }
    }
    printf("  memory    peak RSS %.1f MiB (max over ranks)\n", peak_mb);
    printf("  time      load %.3f s\n", load_s);
    fflush(stdout);
}

int lc_cmd_info(lariat_ctx *ctx, const lc_options *o, double t_start)
{
    (void)t_start;
    lariat_data *data = NULL;
    double *per_rank = NULL, load_s = 0.0, peak_mb = 0.0;
    lariat_read_options ropt;
    lc_read_options(o, &ropt);
    int rc = lc_load_data(ctx, o, &ropt, &data, &load_s);
    if (rc != LARIAT_OK) return rc;

    MPI_Comm comm = lariat_ctx_comm(ctx);
    int rank = lariat_ctx_rank(ctx);
    double mine[2] = {(double)data->n_local,
                      (double)lariat_matrix_bytes(data->X) + 2.0 * (double)data->n_local * sizeof(double)};
    long long nnz = (long long)lariat_matrix_nnz(data->X);
    if (rank == 0) {
        per_rank = lariat_malloc(ctx, 2 * (size_t)lariat_ctx_size(ctx), sizeof(double), "per-rank sizes");
        if (per_rank == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && (MPI_Allreduce(MPI_IN_PLACE, &nnz, 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS ||
                            MPI_Gather(mine, 2, MPI_DOUBLE, per_rank, 2, MPI_DOUBLE, 0, comm) != MPI_SUCCESS)) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI failed while counting the data");
    }
    if (rc == LARIAT_OK) rc = lariat_peak_rss_mb(ctx, &peak_mb);
    if (rc == LARIAT_OK && rank == 0) print_info(ctx, o, data, (int64_t)nnz, per_rank, peak_mb, load_s);
    free(per_rank);
    lariat_data_destroy(data);
    return rc;
}
