#include "data/stats.h"

#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lariat_stats_by_fold(lariat_ctx *ctx, const lariat_data *data, const double *w, const int *fold, int K,
                         const double *shift, double yshift, double *sums, double *ranges)
{
    const int64_t p = data->p, L = LARIAT_STATS_LEN(p);
    memset(sums, 0, (size_t)(K * L) * sizeof(double));
    for (int64_t t = 0; t < (int64_t)K * 2 * p; t++) ranges[t] = -INFINITY;
    int rc = lariat_matrix_moments_by_set(ctx, data->X, fold, K, w, data->y, shift, yshift, sums, ranges);
    for (int k = 0; rc == LARIAT_OK && k < K; k++) {
        double *sxx = sums + k * L + 4 + 2 * p;
        for (int64_t j = 0; j < p; j++) {
            for (int64_t l = j + 1; l < p; l++) sxx[l * p + j] = sxx[j * p + l];
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_allreduce_sum(ctx, sums, K * L);
    if (rc == LARIAT_OK && MPI_Allreduce(MPI_IN_PLACE, ranges, (int)(K * 2 * p), MPI_DOUBLE, MPI_MAX,
                                         lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of fold column ranges failed");
    }
    return rc;
}

void lariat_stats_complement(int64_t p, int K, const double *total, const double *sums, const double *ranges, int k,
                             double *out_sums, double *out_ranges)
{
    const int64_t L = LARIAT_STATS_LEN(p);
    const double *set = sums + k * L;
    for (int64_t t = 0; t < L; t++) out_sums[t] = total[t] - set[t];
    for (int64_t t = 0; t < 2 * p; t++) out_ranges[t] = -INFINITY;
    for (int o = 0; o < K; o++) {
        if (o == k) continue;
        const double *r = ranges + (int64_t)o * 2 * p;
        for (int64_t t = 0; t < 2 * p; t++) out_ranges[t] = fmax(out_ranges[t], r[t]);
    }
}

double lariat_stats_sse(int64_t p, const double *set, const double *shift, double yshift, double b0, const double *b,
                        double *scratch)
{
    const double W = set[0], sy = set[2], syy = set[3];
    const double *sx = set + 4, *sxy = set + 4 + p, *sxx = set + 4 + 2 * p;
    double a = b0 - yshift, sxyb = 0.0, sxb = 0.0;
    for (int64_t j = 0; j < p; j++) {
        a += shift[j] * b[j];
        sxyb += sxy[j] * b[j];
        sxb += sx[j] * b[j];
    }
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)p, 1.0, sxx, (int)p, b, 1, 0.0, scratch, 1);
    double bsb = 0.0;
    for (int64_t j = 0; j < p; j++) bsb += b[j] * scratch[j];
    return syy - 2.0 * a * sy + a * a * W - 2.0 * (sxyb - a * sxb) + bsb;
}
