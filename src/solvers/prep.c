/*
** The prepared problem: weighted standardization (SPEC.md section 1, as
** glmnet), lambda_max (section 2), the duality-gap certificate and the
** proximal map of the penalty with bounds, shared by every solver.
*/
#include "solvers/prep.h"

#include "core/core.h"
#include "data/matrix.h"
#include "data/stats.h"
#include "data/tiles.h"
#include "linalg/blas.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lariat_prep_destroy(lariat_prep *prep)
{
    if (prep == NULL) return;
    free(prep->mean);
    free(prep->scale);
    free(prep->inv_scale);
    free(prep->pf);
    free(prep->lo);
    free(prep->hi);
    free(prep->blo);
    free(prep->bhi);
    free(prep->xy);
    free(prep->xx);
    free(prep->gram);
    free(prep->U);
    free(prep->HU);
    free(prep->LU);
    free(prep->Usel);
    free(prep->gap_work);
    free(prep);
}

/* Not collective. Checks the problem's scalars and per-feature arrays. */
static int check_problem(lariat_ctx *ctx, const lariat_problem *pb, int64_t p)
{
    if (!(pb->alpha >= 0.0 && pb->alpha <= 1.0)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "alpha must be in [0, 1], not %g", pb->alpha);
    }
    int penalized = p == 0 || pb->penalty_factor == NULL;
    for (int64_t j = 0; j < p; j++) {
        double f = pb->penalty_factor ? pb->penalty_factor[j] : 1.0;
        penalized |= f > 0.0;
        double lo = pb->lower ? pb->lower[j] : -INFINITY;
        double hi = pb->upper ? pb->upper[j] : INFINITY;
        if (!(f >= 0.0 && isfinite(f))) {
            return lariat_error(ctx, LARIAT_EUSAGE, "penalty factor %lld must be finite and >= 0, not %g",
                                (long long)(j + 1), f);
        }
        /* As glmnet: b = 0 must be feasible, since the path starts there. */
        if (!(lo <= 0.0) || !(hi >= 0.0)) {
            return lariat_error(ctx, LARIAT_EUSAGE,
                                "bounds of coefficient %lld must satisfy lower <= 0 <= upper (got %g, %g)",
                                (long long)(j + 1), lo, hi);
        }
    }
    /* As glmnet ("All penalty factors are <= 0"): lambda would then change
    ** nothing, and lambda_max, a maximum over the penalized features, has
    ** none to range over. */
    if (!penalized) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "every penalty factor is 0: nothing is penalized, so lambda has no effect (glmnet refuses "
                            "this too); give at least one feature a positive factor");
    }
    return LARIAT_OK;
}

static int alloc_arrays(lariat_ctx *ctx, lariat_prep *prep, int64_t p)
{
    double **arrays[] = {&prep->mean, &prep->scale, &prep->inv_scale, &prep->pf, &prep->lo,
                         &prep->hi,   &prep->blo,   &prep->bhi,       &prep->xy, &prep->xx};
    for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
        *arrays[k] = lariat_calloc(ctx, (size_t)p, sizeof(double), "problem statistics");
        if (*arrays[k] == NULL) return LARIAT_ENOMEM;
    }
    return LARIAT_OK;
}

/* Not collective. Everything that follows from the centered moments, once W,
** ybar and the means are set: s2_j = sum w (x_ij - m_j)^2, xyraw_j =
** sum w (x_ij - m_j)(y_i - ybar), the column ranges (neg_min = -min, max).
**
** Scales (SPEC.md section 1): the weighted population standard deviation, or
** with no intercept the weighted root mean square (m = 0), both sqrt(s2 / W).
** A column constant over the rows in use (or all zero without intercept)
** cannot be identified: it is fixed at 0. Reads ranges before it overwrites
** lo and hi, so they may alias prep->lo and prep->hi. */
static void prep_finish(lariat_prep *prep, const lariat_problem *pb, const double *s2, const double *xyraw,
                        const double *neg_min, const double *max)
{
    const int64_t p = prep->p;
    const double W = prep->W;
    for (int64_t j = 0; j < p; j++) {
        double mn = -neg_min[j], mx = max[j];
        int constant = pb->intercept ? (mn == mx) : (mn == 0.0 && mx == 0.0);
        if (constant || !(s2[j] > 0.0)) {
            prep->scale[j] = 0.0;
            prep->inv_scale[j] = 0.0;
            prep->xx[j] = 0.0;
            prep->xy[j] = 0.0;
            prep->n_constant++;
            continue;
        }
        double s = pb->standardize ? sqrt(s2[j] / W) : 1.0;
        prep->scale[j] = s;
        prep->inv_scale[j] = 1.0 / s;
        prep->xx[j] = s2[j] / (W * s * s);
        prep->xy[j] = xyraw[j] / (W * s);
    }
    for (int64_t j = 0; j < p; j++) {
        prep->pf[j] = pb->penalty_factor ? pb->penalty_factor[j] : 1.0;
        double s = prep->scale[j];
        prep->blo[j] = pb->lower ? pb->lower[j] : -INFINITY;
        prep->bhi[j] = pb->upper ? pb->upper[j] : INFINITY;
        if (s == 0.0) {
            prep->lo[j] = prep->hi[j] = 0.0;
            prep->blo[j] = prep->bhi[j] = 0.0;
            lariat_log(prep->ctx, LARIAT_LOG_NORMAL, "warning: column %lld (%s) is constant: its coefficient is 0",
                       (long long)(j + 1), prep->data->feature_names ? prep->data->feature_names[j] : "?");
        } else {
            prep->lo[j] = pb->lower ? pb->lower[j] * s : -INFINITY;
            prep->hi[j] = pb->upper ? pb->upper[j] * s : INFINITY;
        }
    }
}

/* Not collective. U holds the unpenalized (f_j = 0) columns that are not
** constant: lariat_prep_gap projects some of them out of the dual point. */
static int in_unpenalized_set(const lariat_prep *prep, int64_t j)
{
    return prep->pf[j] == 0.0 && prep->scale[j] > 0.0;
}

/* Not collective. Lists U and allocates its Gram columns and the gap's scratch. */
static int unpenalized_alloc(lariat_ctx *ctx, lariat_prep *prep)
{
    const int64_t p = prep->p;
    prep->nU = 0;
    for (int64_t j = 0; j < p; j++) {
        if (in_unpenalized_set(prep, j)) prep->nU++;
    }
    prep->gap_work = lariat_malloc(ctx, (size_t)(p + prep->nU), sizeof(double), "gap scratch");
    if (prep->gap_work == NULL) return LARIAT_ENOMEM;
    if (prep->nU == 0) return LARIAT_OK;
    prep->U = lariat_malloc(ctx, (size_t)prep->nU, sizeof(int64_t), "unpenalized columns");
    prep->HU = lariat_calloc(ctx, (size_t)(p * prep->nU), sizeof(double), "unpenalized Gram columns");
    prep->LU = lariat_malloc(ctx, (size_t)(prep->nU * prep->nU), sizeof(double), "unpenalized factor");
    prep->Usel = lariat_malloc(ctx, (size_t)prep->nU, sizeof(int64_t), "projected columns");
    if (prep->U == NULL || prep->HU == NULL || prep->LU == NULL || prep->Usel == NULL) return LARIAT_ENOMEM;
    int64_t k = 0;
    for (int64_t j = 0; j < p; j++) {
        if (in_unpenalized_set(prep, j)) prep->U[k++] = j;
    }
    return LARIAT_OK;
}

/* One tile's part of HU: for each column u of U, z = Xs e_u on the tile's
** rows, then Xs'(w .* z): part[a p + j], made with the tile's scratch z. */
typedef struct unpenalized_tile {
    const lariat_prep *prep;
    double *d, *z; /* p unit vector, T rows of scratch */
} unpenalized_tile;

static void unpenalized_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    unpenalized_tile *a = arg;
    const lariat_prep *prep = a->prep;
    const int64_t p = prep->p;
    const double *shift = prep->intercept ? prep->mean : NULL;
    const lariat_matrix tile = lariat_matrix_row_view(prep->data->X, i0, m);
    for (int64_t k = 0; k < prep->nU; k++) {
        const int64_t u = prep->U[k];
        a->d[u] = prep->inv_scale[u];
        lariat_matrix_mult(&tile, shift, a->d, a->z);
        a->d[u] = 0.0;
        for (int64_t i = 0; i < m; i++) a->z[i] *= prep->w[i0 + i];
        lariat_matrix_mult_t(&tile, shift, a->z, part + k * p);
    }
}

/* Collective. HU = (1/W) Xs'W Xs_U, summed over tiles of rows (data/tiles.h). */
static int unpenalized_gram(lariat_ctx *ctx, lariat_prep *prep)
{
    const lariat_data *data = prep->data;
    const int64_t p = prep->p, nU = prep->nU;
    if (nU == 0) return LARIAT_OK;
    unpenalized_tile arg = {prep, NULL, NULL};
    arg.d = lariat_calloc(ctx, (size_t)p, sizeof(double), "unit vector");
    arg.z = lariat_malloc(ctx, (size_t)lariat_tile_rows(data->n, data->p), sizeof(double), "column");
    double *cols = lariat_malloc(ctx, (size_t)(p * nU), sizeof(double), "Gram columns");
    int rc = lariat_agree(ctx, (arg.d && arg.z && cols) ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, data, p * nU, unpenalized_tile_fn, &arg, cols);
    for (int64_t a = 0; rc == LARIAT_OK && a < nU; a++) {
        for (int64_t j = 0; j < p; j++) prep->HU[j * nU + a] = cols[a * p + j] * prep->inv_scale[j] / prep->W;
    }
    free(arg.d);
    free(arg.z);
    free(cols);
    return rc;
}

/* Pass 1 of lariat_prep_create on one tile: [W, sum w y, rows with w > 0,
** X'w (p)], and the column ranges into a->neg_min and a->max. */
typedef struct moments_tile {
    lariat_ctx *ctx;
    const lariat_data *data;
    const double *w, *shift, *ybar;
    double *q;          /* T rows of scratch */
    double *s1;         /* p of scratch */
    double *neg_min;    /* pass 1: -min and max of each column over this rank's rows of w > 0 */
    double *max;
    double *tlo, *thi;  /* pass 1: p each of scratch, one tile's ranges */
    double *G;          /* pass 2 with the Gram: p x p scratch, one tile's */
    int rc;
} moments_tile;

static void first_moments_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    moments_tile *a = arg;
    const double *w = a->w + i0, *y = a->data->y + i0;
    double W = 0.0, wy = 0.0, npos = 0.0;
    for (int64_t i = 0; i < m; i++) {
        W += w[i];
        wy += w[i] * y[i];
        npos += (w[i] > 0);
    }
    part[0] = W;
    part[1] = wy;
    part[2] = npos;
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    /* X'w and the tile's column ranges in one read of its rows, the ranges
    ** merged into the rank's: a maximum is exact in any order. */
    const int64_t p = a->data->p;
    int rc = lariat_matrix_wsum_range(a->ctx, &tile, w, part + 3, a->tlo, a->thi);
    if (rc != LARIAT_OK) a->rc = rc;
    for (int64_t j = 0; j < p; j++) {
        if (-a->tlo[j] > a->neg_min[j]) a->neg_min[j] = -a->tlo[j];
        if (a->thi[j] > a->max[j]) a->max[j] = a->thi[j];
    }
}

/* Pass 2's labels on one tile: q = w (y - ybar) into a->q; returns
** sum w (y - ybar)^2. */
static double tile_labels(moments_tile *a, int64_t i0, int64_t m)
{
    const double *w = a->w + i0, *y = a->data->y + i0;
    double yy = 0.0;
    for (int64_t i = 0; i < m; i++) {
        double yc = y[i] - *a->ybar;
        a->q[i] = w[i] * yc;
        yy += a->q[i] * yc;
    }
    return yy;
}

/* Pass 2 on one tile: [sum w (y - ybar)^2, 0, 0, s2 (p), xyraw (p)]. */
static void second_moments_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    moments_tile *a = arg;
    const double *w = a->w + i0;
    const int64_t p = a->data->p;
    const double yy = tile_labels(a, i0, m);
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    int rc = lariat_matrix_colstats(a->ctx, &tile, w, a->shift, a->s1, part + 3);
    if (rc != LARIAT_OK) a->rc = rc;
    lariat_matrix_mult_t(&tile, a->shift, a->q, part + 3 + p);
    part[0] = yy;
    part[1] = part[2] = 0.0;
}

/* Pass 2 with the Gram (lariat_prep_create_gram) on one tile: [sum w (y -
** ybar)^2, 0, 0, xyraw (p), the centered Gram's upper triangle packed by
** rows (p (p + 1) / 2)], whose diagonal is s2. The Gram is the gram solver's
** own (lariat_matrix_gram, as data/stats.c's lariat_stats_gram sums it). */
static void gram_moments_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    moments_tile *a = arg;
    const double *w = a->w + i0;
    const int64_t p = a->data->p;
    const double yy = tile_labels(a, i0, m);
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    lariat_matrix_mult_t(&tile, a->shift, a->q, part + 3);
    int rc = lariat_matrix_gram(a->ctx, &tile, w, a->shift, a->G);
    if (rc != LARIAT_OK) a->rc = rc;
    double *t = part + 3 + p;
    for (int64_t j = 0; j < p; j++) {
        for (int64_t l = j; l < p; l++) *t++ = a->G[j * p + l];
    }
    part[0] = yy;
    part[1] = part[2] = 0.0;
}

/* Collective. lariat_prep_create, and lariat_prep_create_gram when gram is
** set: its second pass then sums the centered Gram in place of the
** second moments (the Gram's diagonal), into prep->gram. */
static int prep_create(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb, int gram,
                       lariat_prep **out)
{
    *out = NULL;
    const int64_t p = data->p;
    if (w == NULL) w = data->w;
    double *buf = NULL, *q = NULL;
    lariat_tilesum *ts = NULL;
    lariat_prep *prep = lariat_calloc(ctx, 1, sizeof(*prep), "problem");
    int rc = prep ? check_problem(ctx, pb, p) : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) rc = alloc_arrays(ctx, prep, p);
    /* One reduction buffer serves both passes: 3 + 2p doubles, or with
    ** the Gram 3 + p + p (p + 1) / 2. */
    const int64_t len2 = gram ? 3 + p + p * (p + 1) / 2 : 3 + 2 * p, len = len2 > 3 + 2 * p ? len2 : 3 + 2 * p;
    double *G = NULL;
    if (rc == LARIAT_OK) {
        buf = lariat_malloc(ctx, (size_t)len, sizeof(double), "reduction buffer");
        q = lariat_malloc(ctx, (size_t)lariat_tile_rows(data->n, data->p), sizeof(double), "weighted labels");
        if (buf == NULL || q == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && gram) {
        prep->gram = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "Gram matrix");
        G = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "a tile's Gram matrix");
        if (prep->gram == NULL || G == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    prep->ctx = ctx;
    prep->data = data;
    prep->w = w;
    prep->p = p;
    prep->alpha = pb->alpha;
    prep->intercept = pb->intercept;
    prep->standardize = pb->standardize;

    /* Pass 1: the weight sum, the weighted means of y and of each column
    ** (one tiled sum), and in the same pass each column's range over the
    ** rows of positive weight (one max-reduction of [-min, max]: a maximum
    ** is exact in any order), which detects constant columns exactly rather
    ** than by a variance threshold. One tile's ranges go to scale and xx,
    ** which prep_finish sets after. */
    double *range_lo = prep->lo, *range_hi = prep->hi; /* borrowed as scratch until bounds are set */
    for (int64_t j = 0; j < p; j++) range_lo[j] = range_hi[j] = -INFINITY;
    moments_tile mt = {ctx, data, w, NULL, &prep->ybar, q, prep->xy, range_lo, range_hi, prep->scale, prep->xx,
                       G, LARIAT_OK};
    rc = lariat_tilesum_create(ctx, data, len, &ts);
    if (rc == LARIAT_OK) rc = lariat_tilesum_run(ts, 3 + p, first_moments_fn, &mt, buf);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, mt.rc);
    if (rc == LARIAT_OK && MPI_Allreduce(MPI_IN_PLACE, range_hi, (int)p, MPI_DOUBLE, MPI_MAX,
                                         lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of column ranges failed");
    }
    if (rc == LARIAT_OK && MPI_Allreduce(MPI_IN_PLACE, range_lo, (int)p, MPI_DOUBLE, MPI_MAX,
                                         lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of column ranges failed");
    }
    if (rc != LARIAT_OK) goto done;
    prep->W = buf[0];
    prep->n_rows = (int64_t)buf[2];
    if (!(prep->W > 0.0) || !isfinite(prep->W)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "no rows with positive weight (weight sum %g)", prep->W);
        goto done;
    }
    const double W = prep->W;
    prep->ybar = pb->intercept ? buf[1] / W : 0.0;
    for (int64_t j = 0; j < p; j++) prep->mean[j] = pb->intercept ? buf[3 + j] / W : 0.0;

    /* Pass 2: centered second moments s2_j = sum w (x - m)^2, the centered
    ** label's sum of squares and the correlations sum w (x - m)(y - ybar),
    ** in one tiled sum. */
    mt.shift = pb->intercept ? prep->mean : NULL;
    rc = lariat_tilesum_run(ts, len2, gram ? gram_moments_fn : second_moments_fn, &mt, buf);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, mt.rc);
    if (rc != LARIAT_OK) goto done;
    prep->yy = buf[0] / W;
    prep->N0 = 0.5 * prep->yy;
    const double *s2 = buf + 3, *xyraw = buf + 3 + p;
    if (gram) {
        /* The triangle mirrored into prep->gram; s2 is its diagonal, copied
        ** into G (the tiles' scratch, free now). */
        const double *t = buf + 3 + p;
        for (int64_t j = 0; j < p; j++) {
            for (int64_t l = j; l < p; l++, t++) prep->gram[j * p + l] = prep->gram[l * p + j] = *t;
        }
        for (int64_t j = 0; j < p; j++) G[j] = prep->gram[j * p + j];
        s2 = G;
        xyraw = buf + 3;
    }

    /* range_lo holds -min after its max-reduction. */
    prep_finish(prep, pb, s2, xyraw, range_lo, range_hi);
    rc = lariat_agree(ctx, unpenalized_alloc(ctx, prep));
    if (rc == LARIAT_OK) rc = unpenalized_gram(ctx, prep);

done:
    lariat_tilesum_destroy(ts);
    free(buf);
    free(q);
    free(G);
    if (rc != LARIAT_OK) {
        lariat_prep_destroy(prep);
        return rc;
    }
    *out = prep;
    return LARIAT_OK;
}

int lariat_prep_create(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       lariat_prep **out)
{
    return prep_create(ctx, data, w, pb, 0, out);
}

int lariat_prep_create_gram(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                            lariat_prep **out)
{
    *out = NULL;
    if (lariat_matrix_is_sparse(data->X)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "lariat_prep_create_gram needs dense rows");
    }
    return prep_create(ctx, data, w, pb, 1, out);
}

int lariat_prep_from_stats(lariat_ctx *ctx, const lariat_data *data, const lariat_problem *pb, const double *set,
                           const double *range, const double *shift, double yshift, lariat_prep **out)
{
    *out = NULL;
    const int64_t p = data->p;
    double *s2 = NULL, *xyraw = NULL;
    lariat_prep *prep = lariat_calloc(ctx, 1, sizeof(*prep), "problem");
    int rc = prep ? check_problem(ctx, pb, p) : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) rc = alloc_arrays(ctx, prep, p);
    if (rc == LARIAT_OK) {
        prep->gram = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "Gram matrix");
        s2 = lariat_malloc(ctx, (size_t)p, sizeof(double), "second moments");
        xyraw = lariat_malloc(ctx, (size_t)p, sizeof(double), "correlations");
        if (prep->gram == NULL || s2 == NULL || xyraw == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && !(set[0] > 0.0)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "no rows with positive weight (weight sum %g)", set[0]);
    }
    if (rc == LARIAT_OK) {
        const double W = set[0], sy = set[2], syy = set[3];
        const double *sx = set + 4, *sxy = set + 4 + p, *sxx = set + 4 + 2 * p;
        const int c = pb->intercept;
        prep->ctx = ctx;
        prep->data = data;
        prep->p = p;
        prep->alpha = pb->alpha;
        prep->intercept = pb->intercept;
        prep->standardize = pb->standardize;
        prep->W = W;
        prep->n_rows = (int64_t)set[1];
        /* About the set's own means: m = c + sx/W, ybar = cy + sy/W, and
        ** sum w (x - m)(x - m)' = sxx - sx sx'/W (likewise for xy and yy). */
        prep->ybar = c ? yshift + sy / W : 0.0;
        for (int64_t j = 0; j < p; j++) {
            prep->mean[j] = c ? shift[j] + sx[j] / W : 0.0;
            xyraw[j] = c ? sxy[j] - sx[j] * sy / W : sxy[j];
            for (int64_t l = 0; l < p; l++) {
                prep->gram[j * p + l] = c ? sxx[j * p + l] - sx[j] * sx[l] / W : sxx[j * p + l];
            }
            s2[j] = prep->gram[j * p + j];
        }
        prep->yy = (c ? syy - sy * sy / W : syy) / W;
        prep->N0 = 0.5 * prep->yy;
        prep_finish(prep, pb, s2, xyraw, range, range + p);
        rc = unpenalized_alloc(ctx, prep);
    }
    for (int64_t a = 0; rc == LARIAT_OK && a < prep->nU; a++) {
        const int64_t u = prep->U[a];
        for (int64_t j = 0; j < p; j++) {
            prep->HU[j * prep->nU + a] = prep->gram[j * p + u] * prep->inv_scale[j] * prep->inv_scale[u] / prep->W;
        }
    }
    free(s2);
    free(xyraw);
    if (rc != LARIAT_OK) {
        lariat_prep_destroy(prep);
        return rc;
    }
    *out = prep;
    return LARIAT_OK;
}

double lariat_prep_lambda_max(const lariat_prep *prep)
{
    /* glmnet's definition: the smallest lambda with b = 0 for alpha > 0;
    ** alpha = 0 uses 1e-3 in the denominator. */
    double lmax = 0.0, a = prep->alpha > 1e-3 ? prep->alpha : 1e-3;
    for (int64_t j = 0; j < prep->p; j++) {
        if (prep->pf[j] > 0.0 && prep->scale[j] > 0.0) {
            double l = fabs(prep->xy[j]) / (a * prep->pf[j]);
            if (l > lmax) lmax = l;
        }
    }
    return lmax;
}

double lariat_prep_penalty(const lariat_prep *prep, double lambda, const double *c)
{
    double sq = 0.0, ab = 0.0;
    for (int64_t j = 0; j < prep->p; j++) {
        sq += prep->pf[j] * c[j] * c[j];
        ab += prep->pf[j] * fabs(c[j]);
    }
    return lambda * (0.5 * (1.0 - prep->alpha) * sq + prep->alpha * ab);
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static double soft(double z, double t) { return z > t ? z - t : (z < -t ? z + t : 0.0); }

double lariat_prep_prox(const lariat_prep *prep, int64_t j, double z, double t, double lambda)
{
    /* argmin (c - z)^2/(2t) + q c^2/2 + tau |c| on [lo, hi], q = lambda f (1 - alpha),
    ** tau = lambda f alpha: the unconstrained minimizer S(z, t tau) / (1 + t q),
    ** clipped (a convex function of one variable is minimized over an interval
    ** at the clipped unconstrained minimizer). */
    const double f = prep->pf[j];
    const double q = lambda * f * (1.0 - prep->alpha), tau = lambda * f * prep->alpha;
    return clip(soft(z, t * tau) / (1.0 + t * q), prep->lo[j], prep->hi[j]);
}

int lariat_prep_free_newton_step(const lariat_prep *prep, int64_t p, double lambda, lariat_prep_hrows_fn rows,
                                 void *harg, const double *h0, double h00, int intercept, double m2_max,
                                 double sign, const double *c, const double *g, const double *g0, double *A, double *r,
                                 int64_t *F, int64_t *mp)
{
    const double a = prep->alpha;
    int64_t m = 0;
    *mp = 0;
    for (int64_t j = 0; j < p; j++) {
        if (c[j] != 0.0 && c[j] > prep->lo[j] && c[j] < prep->hi[j]) F[m++] = j;
    }
    const int64_t ic = intercept != 0, n = m + ic;
    if (n == 0 || (double)m * (double)m > m2_max) return 0;
    if (ic) {
        A[0] = h00;
        r[0] = -(sign * *g0);
        for (int64_t t = 0; t < m; t++) A[t + 1] = A[(t + 1) * n] = h0[F[t]];
    }
    rows(harg, F, m, A + ic * n + ic, n);
    for (int64_t t = 0; t < m; t++) {
        const int64_t j = F[t];
        const double q = lambda * (1.0 - a) * prep->pf[j], tau = lambda * a * prep->pf[j];
        r[t + ic] = -(sign * g[j] + q * c[j] + tau * (c[j] > 0.0 ? 1.0 : -1.0));
        A[(t + ic) * n + t + ic] += q;
    }
    /* Symmetric: row-major storage is the column-major matrix itself. */
    if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, A, (lapack_int)n, r, (lapack_int)n) != 0) {
        return 0;
    }
    if (!lariat_prep_step_to_kink(prep, p, F, m, (int)ic, c, r)) return 0;
    *mp = m;
    return 1;
}

int lariat_prep_step_to_kink(const lariat_prep *prep, int64_t p, const int64_t *F, int64_t m, int ic, const double *c,
                             double *d)
{
    /* Where a coordinate would leave its piece (change sign or cross a
    ** bound), the step stops at the first such kink: the model is convex
    ** and falls along the whole step, so it falls to there too, and that
    ** coordinate lands exactly on 0 or its bound (leaving the free set).
    ** Coordinate descent then goes on from a better point with a smaller
    ** free set, where before the step was dropped: on breast cancer rows
    ** unstandardized (scales 1e-3 to 1e3) the lasso at lambda 5e-4 crept
    ** to max_iter, its Newton steps each changing one sign. */
    double frac = 1.0, hit_at = 0.0;
    int64_t hit = -1;
    for (int64_t t = 0; t < m; t++) {
        const int64_t j = F[t] % p;
        const double x = c[F[t]], nx = x + d[t + ic];
        double stop;
        if ((nx > 0.0) != (x > 0.0) || nx == 0.0) stop = 0.0;
        else if (!(nx > prep->lo[j])) stop = prep->lo[j];
        else if (!(nx < prep->hi[j])) stop = prep->hi[j];
        else continue;
        const double at = (stop - x) / d[t + ic];
        if (at < frac) frac = at, hit = t, hit_at = stop;
    }
    if (hit < 0) return 1;
    if (!(frac > 0.0)) return 0;
    for (int64_t t = 0; t < m + ic; t++) d[t] *= frac;
    d[hit + ic] = hit_at - c[F[hit]];
    return 1;
}

/* H row-major, p x p: the row function of lariat_prep_free_newton. */
typedef struct dense_rows {
    const double *H;
    int64_t p;
} dense_rows;

static void dense_rows_fill(void *harg, const int64_t *F, int64_t m, double *A, int64_t lda)
{
    const dense_rows *d = harg;
    for (int64_t t = 0; t < m; t++) {
        const double *row = d->H + F[t] * d->p;
        for (int64_t u = 0; u < m; u++) A[t * lda + u] = row[F[u]];
    }
}

int lariat_prep_free_newton(const lariat_prep *prep, int64_t p, double lambda, const double *H, const double *h0,
                            double h00, int intercept, double m2_max, double sign, double *c, double *c0, double *g,
                            double *g0, double *A, double *r, int64_t *F)
{
    dense_rows rows = {H, p};
    const int64_t ic = intercept != 0;
    int64_t m;
    if (!lariat_prep_free_newton_step(prep, p, lambda, dense_rows_fill, &rows, h0, h00, intercept, m2_max, sign, c, g, g0, A,
                                      r, F, &m)) {
        return 0;
    }
    for (int64_t t = 0; t < m; t++) {
        const int64_t j = F[t];
        const double d = r[t + ic];
        c[j] += d;
        cblas_daxpy((int)p, sign * d, H + j * p, 1, g, 1);
        if (g0 != NULL) *g0 += sign * d * h0[j];
    }
    if (ic) {
        *c0 += r[0];
        cblas_daxpy((int)p, sign * r[0], h0, 1, g, 1);
        *g0 += sign * r[0] * h00;
    }
    return 1;
}

int lariat_prep_converged(const lariat_prep *prep, double gap, double tol)
{
    /* N0 = 0 (a constant label) makes b = 0 exact: accept round-off there. */
    return gap <= tol * fmax(prep->N0, DBL_MIN);
}

double lariat_prep_conj(double u, double q, double tau, double lo, double hi)
{
    double c;
    if (q > 0.0) {
        c = clip(soft(u, tau) / q, lo, hi);
    } else {
        c = u > tau ? hi : (u < -tau ? lo : 0.0);
    }
    return u * c - 0.5 * q * c * c - tau * fabs(c);
}

double lariat_prep_unscale(const lariat_prep *prep, int64_t j, double c)
{
    /* Only a value outside is changed: within the bounds (and without
    ** any) b is c / s_j bit for bit, as before. */
    const double b = c * prep->inv_scale[j];
    if (b > prep->bhi[j]) return prep->bhi[j];
    if (b < prep->blo[j]) return prep->blo[j];
    return b;
}

/* Not collective. The unpenalized columns whose dual constraint theta must
** meet exactly: g_j* (u) = sup of u c over [lo_j, hi_j] is infinite when u
** points to an unbounded side. Projecting them out of theta (v_S = 0) keeps
** it feasible; a column resting on a bound it is pushed against needs no
** projection (its term u * bound is finite). Returns |S| in prep->Usel. */
static int64_t select_projected(const lariat_prep *prep, const double *v)
{
    int64_t m = 0;
    for (int64_t k = 0; k < prep->nU; k++) {
        const int64_t j = prep->U[k];
        if ((v[j] > 0.0 && isinf(prep->hi[j])) || (v[j] < 0.0 && isinf(prep->lo[j])) ||
            (isinf(prep->lo[j]) && isinf(prep->hi[j]))) {
            prep->Usel[m++] = k;
        }
    }
    return m;
}

/* Fenchel duality for P(c) = F(Xs c) + sum_j g_j(c_j) with
** F(z) = 1/(2W) sum w_i (yc_i - z_i)^2 (Bauschke & Combettes, Convex Analysis
** and Monotone Operator Theory, section 15.3; the construction of
** scikit-learn's enet gap, extended to bounds and penalty factors):
**   D(theta) = -F*(theta) - sum_j g_j*(-Xs_j'theta),
** at theta = -kappa W^-1 diag(w) r this is
**   D = kappa ry - kappa^2 rr / 2 - sum_j g_j*(kappa v_j),
** and G = P - D >= 0 bounds the suboptimality P(c) - P*.
**
** Feasibility of theta: (1) for the unpenalized columns S of
** select_projected, r is first replaced by r - Xs_S a with H_SS a = v_S,
** which makes v_S = 0 (a projection: v, rr and ry change by H_:S a, a'v_S
** and a'xy_S); (2) a penalized column without a quadratic part needs
** |kappa v_j| <= tau_j on each side without a bound: kappa in (0, 1] is the
** largest value that gives it. A column left with an infinite conjugate
** (lambda = 0 with f_j > 0, or collinear unpenalized columns) enters through
** the decrease one exact coordinate step would still make, v_j^2 / (2 xx_j),
** added to the rest of G taken at least 0: zero at the optimum, but then G
** is an estimate, not a bound (docs/problem.md, Certificate). */
void lariat_prep_gap(const lariat_prep *prep, double lambda, const double *c, const double *v, double rr, double ry,
                     double *primal, double *gap)
{
    const double alpha = prep->alpha;
    const int64_t p = prep->p, nU = prep->nU;
    const double rr_true = rr; /* the primal keeps the true residual */
    const int64_t m = nU > 0 ? select_projected(prep, v) : 0;
    if (m > 0) {
        double *vp = prep->gap_work, *a = prep->gap_work + p, av = 0.0, axy = 0.0;
        for (int64_t r = 0; r < m; r++) {
            const int64_t kr = prep->Usel[r];
            a[r] = v[prep->U[kr]];
            for (int64_t t = 0; t < m; t++) prep->LU[r * m + t] = prep->HU[prep->U[kr] * nU + prep->Usel[t]];
        }
        /* Symmetric, so the row-major array is its own column-major form:
        ** column-major LAPACKE makes no transposed copy (no allocation). */
        if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, prep->LU, (lapack_int)m, a, (lapack_int)m) ==
            0) {
            memcpy(vp, v, (size_t)p * sizeof(double));
            for (int64_t r = 0; r < m; r++) {
                const int64_t kr = prep->Usel[r], j = prep->U[kr];
                av += a[r] * v[j];
                axy += a[r] * prep->xy[j];
                cblas_daxpy((int)p, -a[r], prep->HU + kr, (int)nU, vp, 1);
            }
            for (int64_t r = 0; r < m; r++) vp[prep->U[prep->Usel[r]]] = 0.0; /* exactly, not to round-off */
            v = vp;
            rr -= av;
            ry -= axy;
        }
    }
    double kappa = 1.0;
    for (int64_t j = 0; j < p; j++) {
        const double f = prep->pf[j], q = lambda * f * (1.0 - alpha), tau = lambda * f * alpha;
        if (prep->scale[j] == 0.0 || q > 0.0 || tau <= 0.0) continue;
        if (v[j] > tau && isinf(prep->hi[j])) kappa = fmin(kappa, tau / v[j]);
        if (v[j] < -tau && isinf(prep->lo[j])) kappa = fmin(kappa, tau / -v[j]);
    }
    double pen = 0.0, conj = 0.0, free_terms = 0.0;
    for (int64_t j = 0; j < p; j++) {
        if (prep->scale[j] == 0.0) continue;
        const double f = prep->pf[j], q = lambda * f * (1.0 - alpha), tau = lambda * f * alpha;
        pen += 0.5 * q * c[j] * c[j] + tau * fabs(c[j]);
        double u = kappa * v[j];
        /* kappa makes |u| <= tau towards an unbounded side, but (tau / v_j) v_j
        ** can round one ulp above tau, where the conjugate is infinite. */
        if (q == 0.0 && tau > 0.0 && u > tau && isinf(prep->hi[j])) u = tau;
        if (q == 0.0 && tau > 0.0 && u < -tau && isinf(prep->lo[j])) u = -tau;
        if (q == 0.0 && tau == 0.0 && ((u > 0 && isinf(prep->hi[j])) || (u < 0 && isinf(prep->lo[j])))) {
            free_terms += v[j] * v[j] / (2.0 * prep->xx[j]);
            continue;
        }
        conj += lariat_prep_conj(u, q, tau, prep->lo[j], prep->hi[j]);
    }
    *primal = 0.5 * rr_true + pen;
    *gap = *primal - (kappa * ry - 0.5 * kappa * kappa * rr - conj);
    /* With a free column's gradient nonzero the dual point is infeasible,
    ** and primal - dual above means nothing: at lambda = 0 it is -c'v, which
    ** the warm start from the lambda before makes negative (-1.52 with N0 =
    ** 9.3 on 300 x 1,000 rows, where gram then took the lambda before's
    ** solution for lambda = 0's, certified in no iteration). It may not lower
    ** the estimate. */
    if (free_terms > 0.0) *gap = fmax(*gap, 0.0) + free_terms;
}

int lariat_prep_ridge_applies(const lariat_prep *prep)
{
    if (prep->alpha != 0.0) return 0;
    for (int64_t j = 0; j < prep->p; j++) {
        if (!lariat_prep_is_fixed(prep, j) && (isfinite(prep->lo[j]) || isfinite(prep->hi[j]))) return 0;
    }
    return 1;
}
