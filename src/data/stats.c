#include "data/stats.h"

#include "core/core.h"
#include "core/memory.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "linalg/rsum.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One tile's sets: moments_by_set on the tile's rows into part. */
typedef struct by_fold_tile {
    lariat_ctx *ctx;
    const lariat_data *data;
    const double *w, *shift;
    const int *fold;
    int K, single;
    double yshift;
    double *ranges; /* K * 2p: the local ranges, accumulated over tiles */
    double *full;   /* K * LARIAT_STATS_LEN(p): one tile's sets before packing (not single) */
    void *ws;       /* lariat_matrix_moments_by_set's workspace, kept over the tiles */
    int rc;
} by_fold_tile;

/* A set's length with sxx's upper triangle only (packed by rows). */
static int64_t packed_len(int64_t p) { return LARIAT_STATS_PACKED_LEN(p); }

/* Packs (or unpacks, mirroring sxx) one set between its full and packed forms. */
static void set_pack(int64_t p, const double *full, double *packed)
{
    memcpy(packed, full, (size_t)(4 + 2 * p) * sizeof(double));
    const double *sxx = full + 4 + 2 * p;
    double *out = packed + 4 + 2 * p;
    for (int64_t j = 0; j < p; j++) {
        for (int64_t l = j; l < p; l++) *out++ = sxx[j * p + l];
    }
}

static void set_unpack(int64_t p, const double *packed, double *full)
{
    memcpy(full, packed, (size_t)(4 + 2 * p) * sizeof(double));
    const double *in = packed + 4 + 2 * p;
    double *sxx = full + 4 + 2 * p;
    for (int64_t j = 0; j < p; j++) {
        for (int64_t l = j; l < p; l++, in++) sxx[j * p + l] = sxx[l * p + j] = *in;
    }
}

static void by_fold_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    by_fold_tile *a = arg;
    const int64_t p = a->data->p, L = LARIAT_STATS_LEN(p), Lp = packed_len(p);
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    /* In single precision the sets are summed packed, straight into part
    ** (on 100,000 x 100 binomial rows, 10 folds, clearing the full sets and
    ** packing them took about 3% of the lockstep CV's samples). */
    double *sets = a->single ? part : a->full;
    memset(sets, 0, (size_t)(a->K * (a->single ? Lp : L)) * sizeof(double));
    int rc = lariat_matrix_moments_by_set(a->ctx, &tile, a->fold + i0, a->K, a->w + i0, a->data->y + i0, a->shift,
                                          a->yshift, a->single, a->single, a->ws, sets, a->ranges);
    if (rc != LARIAT_OK) a->rc = rc;
    if (!a->single) {
        for (int k = 0; k < a->K; k++) set_pack(p, a->full + k * L, part + k * Lp);
    }
}

int lariat_stats_by_fold(lariat_ctx *ctx, const lariat_data *data, const double *w, const int *fold, int K,
                         const double *shift, double yshift, int single, double *sums, double *ranges)
{
    const int64_t p = data->p, L = LARIAT_STATS_LEN(p), Lp = packed_len(p);
    for (int64_t t = 0; ranges != NULL && t < (int64_t)K * 2 * p; t++) ranges[t] = -INFINITY;
    by_fold_tile arg = {ctx, data, w, shift, fold, K, single, yshift, ranges, NULL, NULL, LARIAT_OK};
    /* Sums over tiles of rows (data/tiles.h): the same at any rank count.
    ** Only sxx's upper triangle travels (packed), then it is mirrored. */
    int rc = lariat_matrix_is_sparse(data->X)
                 ? lariat_error(ctx, LARIAT_EUSAGE, "fold statistics need dense rows")
                 : LARIAT_OK;
    if (!single) arg.full = lariat_malloc(ctx, (size_t)(K * L), sizeof(double), "a tile's fold statistics");
    double *packed = lariat_malloc(ctx, (size_t)(K * Lp), sizeof(double), "packed fold statistics");
    arg.ws = lariat_malloc(ctx, lariat_matrix_moments_ws_bytes(p, K), 1, "row moments workspace");
    if (rc == LARIAT_OK && ((!single && arg.full == NULL) || packed == NULL || arg.ws == NULL)) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, data, K * Lp, by_fold_fn, &arg, packed);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, arg.rc);
    for (int k = 0; rc == LARIAT_OK && k < K; k++) set_unpack(p, packed + k * Lp, sums + k * L);
    free(arg.full);
    free(arg.ws);
    free(packed);
    if (rc == LARIAT_OK && ranges != NULL &&
        MPI_Allreduce(MPI_IN_PLACE, ranges, (int)(K * 2 * p), MPI_DOUBLE, MPI_MAX,
                                         lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of fold column ranges failed");
    }
    return rc;
}

/* One tile's Gram, its upper triangle packed by rows (dense rows). */
typedef struct gram_tile {
    lariat_ctx *ctx;
    const lariat_data *data;
    const double *w, *shift;
    double *G; /* p x p scratch */
    int rc;
} gram_tile;

static void gram_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    gram_tile *a = arg;
    const int64_t p = a->data->p;
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    int rc = lariat_matrix_gram(a->ctx, &tile, a->w + i0, a->shift, a->G);
    if (rc != LARIAT_OK) a->rc = rc;
    for (int64_t j = 0, t = 0; j < p; j++) {
        for (int64_t l = j; l < p; l++) part[t++] = a->G[j * p + l];
    }
}

/* Fixed-point Grams of CSR rows (lariat_stats_gram_fixed, and
** lariat_stats_gram_slab on CSR rows). Every product w_i x_ij x_il is
** scaled by powers of two, 2^(B - ew - ex_j - ex_l), with w_i < 2^ew and
** |x_ij| < 2^ex_j over the rows of positive weight, so that each term is
** below 2^B in size; the terms are rounded to integers (in one 64-bit limb,
** or two for a finer grid) and summed. Integer sums are exact in any
** order: the same integers at any rank count, with no tiles and no binned
** sums, at an integer addition or two a product and 8 or 16 bytes an
** accumulated value, where the tiles took a binned deposit of every value
** of the triangle a tile and 32 bytes a value. B is chosen so that the
** sum of n terms cannot overflow a limb. */

/* Collective. The scales: ex[j] and colscale[j] = 2^-ex[j] for each column,
** and *ew for the weights (w >= 0; kept above -900; INT_MIN when every
** weight is 0, and then nothing is to be summed). Errors are agreed. */
static int fixed_scales(lariat_ctx *ctx, const lariat_data *data, const double *w, int *ex, double *colscale,
                        int *ew)
{
    const int64_t p = data->p;
    /* [lo (p) | hi (p) | w_max], then [|x_j|_max (p) | w_max]. */
    double *bound = lariat_malloc(ctx, (size_t)(2 * p + 1), sizeof(double), "Gram scales");
    int rc = lariat_agree(ctx, bound != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, lariat_matrix_colrange(ctx, data->X, w, bound, bound + p));
    if (rc == LARIAT_OK) {
        /* Rows of weight 0 add nothing, so the bounds are over the others. */
        for (int64_t j = 0; j < p; j++) bound[j] = fmax(fmax(-bound[j], bound[p + j]), 0.0);
        double wmax = 0.0;
        for (int64_t i = 0; i < data->n_local; i++) wmax = fmax(wmax, w[i]);
        bound[p] = wmax;
        if (MPI_Allreduce(MPI_IN_PLACE, bound, (int)(p + 1), MPI_DOUBLE, MPI_MAX, lariat_ctx_comm(ctx)) !=
            MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of a Gram's scales failed");
        }
    }
    if (rc == LARIAT_OK) {
        /* frexp: v = f 2^e with f in [0.5, 1), so v < 2^e; a column's
        ** exponent is kept above -1000, where 2^-ex is still a double. */
        for (int64_t j = 0; j < p; j++) {
            int e = 0;
            (void)frexp(bound[j], &e);
            ex[j] = e < -1000 ? -1000 : e;
            colscale[j] = ldexp(1.0, -ex[j]);
        }
        int e = 0;
        (void)frexp(bound[p], &e);
        *ew = bound[p] > 0.0 && isfinite(bound[p]) ? (e < -900 ? -900 : e) : INT_MIN;
    }
    free(bound);
    return rc;
}

/* L with 2^L > n: n terms below 2^B sum to below 2^(B + L). */
static int fixed_log2_rows(int64_t n)
{
    int L = 1;
    while (L < 60 && ((int64_t)1 << L) <= n) L++;
    return L;
}

/* The sum hi 2^split + lo of two limbs as one double (two roundings at
** most); unit = 2^split (the product by it is exact: ldexp's bits, without
** its call). */
static inline double limbs_value(int64_t hi, int64_t lo, int split, double unit)
{
    /* lo's multiples of 2^split go into hi (floor division), so that 0 <= lo < 2^split. */
    const int64_t q = lo >= 0 ? lo >> split : -((-(lo + 1)) >> split) - 1;
    return (double)(hi + q) * unit + (double)(lo - q * ((int64_t)1 << split));
}

/* One tile's [sum w x (p) | sum w] (the raw column sums for the centring). */
static void colsum_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const gram_tile *a = arg;
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    lariat_matrix_mult_t(&tile, NULL, a->w + i0, part);
    double sw = 0.0;
    for (int64_t i = 0; i < m; i++) sw += a->w[i0 + i];
    part[a->data->p] = sw;
}

/* How gram_slab_fixed turns a band's sums (doubles of the integers) into
** the Gram's entries: back to the sums' own scale, v 2^(ew + ex_j + ex_l -
** B), by two multiplications by powers of two (exact, so ldexp's bits,
** where every exponent is moderate: the products can neither overflow nor
** fall below the normal range; else by ldexp), then centred. */
typedef struct slab_conv {
    int huge;              /* an exponent beyond SLAB_EXP: ldexp */
    int ew, B;
    const int *ex;
    const double *pj;      /* p: 2^(ew + ex_j - B) (0 when every weight is 0) */
    const double *colinv;  /* p: 2^ex_l */
    const double *shift, *s1;
    double W;
} slab_conv;

#define SLAB_EXP 300

static inline double slab_value(const slab_conv *cv, double v, int64_t j, int64_t l)
{
    double g = cv->huge ? ldexp(v, cv->ew + cv->ex[j] + cv->ex[l] - cv->B) : v * cv->pj[j] * cv->colinv[l];
    const double *shift = cv->shift, *s1 = cv->s1;
    if (shift != NULL) g += -shift[j] * s1[l] - s1[j] * shift[l] + cv->W * shift[j] * shift[l];
    return g;
}

/* Values of one band of packed rows of lariat_stats_gram_slab's fixed-point
** sum (two limbs of 8 bytes each: 4 MiB a band; a band holds one packed row
** at least, so more when p is larger). */
#define FIXED_BAND ((int64_t)1 << 18)

/* Collective. lariat_stats_gram_slab on CSR rows, in double precision: two
** limbs, the low one of units 1 and the high one of units 2^K, K = 63 - L,
** each term below 2^B with B = min(123 - 2L, 113 - L) (the high limb's sum
** then stays below 2^60, the low one's below 2^62, and a term below 2^(51
** + K), as the split asks). On 100,000 rows (L = 17) a unit is
** 2^-89 of w_max |x_j|_max |x_l|_max, and every term of at least 2^-36 of
** that bound is summed exactly. The triangle goes in bands of packed rows,
** in column order, each row's entries of a band starting where the last
** band's ended (one cursor a row, 4 bytes); each band's integers are
** summed round the ring, each rank turns its block of them into doubles,
** and the doubles are gathered. */
static int gram_slab_fixed(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, int s,
                           int r, double *G)
{
    const int64_t p = data->p;
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    const int64_t a = lariat_slab_start(p, s, r), b = lariat_slab_start(p, s, r + 1), wid = b - a;
    const int L = fixed_log2_rows(data->n), K = 63 - L, B = 123 - 2 * L < 113 - L ? 123 - 2 * L : 113 - L;
    double *s1 = lariat_malloc(ctx, (size_t)(p + 1), sizeof(double), "Gram column sums");
    double *colscale = lariat_malloc(ctx, (size_t)p, sizeof(double), "Gram scales");
    int *ex = lariat_malloc(ctx, (size_t)p, sizeof(int), "Gram scales");
    const int64_t band = p > FIXED_BAND ? p : FIXED_BAND;
    /* Zero from the start, and zeroed again by each band's reading of it;
    ** 2 MiB pages (8 MB at p = 2,000: 2,048 faults in 4 KiB pages, with a
    ** fold's Gram in every fold of a CV). */
    const size_t hi_bytes = (size_t)(2 * band) * sizeof(int64_t);
    int64_t *hi = lariat_calloc_huge(ctx, hi_bytes, "fixed-point Gram");
    double *val = lariat_malloc(ctx, (size_t)band, sizeof(double), "fixed-point Gram values");
    int *counts = lariat_malloc(ctx, 2 * (size_t)P, sizeof(int), "fixed-point Gram counts");
    /* Where each row's entries of the next band start (the bands go in
    ** column order). */
    int32_t *skip = lariat_calloc(ctx, (size_t)(data->X->rows > 0 ? data->X->rows : 1), sizeof(int32_t),
                                  "fixed-point Gram cursors");
    /* The conversion's powers of two, and each band row's first value. */
    double *pj = lariat_malloc(ctx, (size_t)(2 * p), sizeof(double), "Gram scales");
    int64_t *boff = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram band offsets");
    int rc = lariat_agree(ctx, s1 && colscale && ex && hi && val && counts && skip && pj && boff ? LARIAT_OK
                                                                                                  : LARIAT_ENOMEM);
    int64_t *lo = hi + band;
    int ew = INT_MIN;
    gram_tile arg = {ctx, data, w, shift, NULL, LARIAT_OK};
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, data, p + 1, colsum_fn, &arg, s1);
    if (rc == LARIAT_OK) rc = fixed_scales(ctx, data, w, ex, colscale, &ew);
    const double wscale = ew != INT_MIN ? ldexp(1.0, B - ew) : 0.0, W = s1 != NULL ? s1[p] : 0.0;
    slab_conv cv = {ew != INT_MIN && abs(ew - B) > SLAB_EXP, ew, B, ex, pj, pj + p, shift, s1, W};
    for (int64_t j = 0; rc == LARIAT_OK && j < p; j++) {
        cv.huge |= abs(ex[j]) > SLAB_EXP;
        pj[j] = ew != INT_MIN ? ldexp(1.0, ew + ex[j] - B) : 0.0;
        pj[p + j] = ldexp(1.0, ex[j]);
    }
    /* Every weight 0: every sum is 0, and so is every product (no ldexp of ew). */
    if (ew == INT_MIN) cv.huge = 0;
    for (int64_t j0 = 0, j1; rc == LARIAT_OK && j0 < p; j0 = j1) {
        /* The band: packed rows [j0, j1), at most band values. */
        int64_t size = p - j0;
        for (j1 = j0 + 1; j1 < p && size + (p - j1) <= band; j1++) size += p - j1;
        if (wscale > 0.0) rc = lariat_matrix_gram_fixed_csr(ctx, data->X, w, wscale, colscale, j0, j1, K, skip, hi, lo);
        rc = lariat_agree(ctx, rc);
        if (rc == LARIAT_OK && P > 1) rc = lariat_rsum_ring_int64(ctx, hi, size);
        if (rc == LARIAT_OK && P > 1) rc = lariat_rsum_ring_int64(ctx, lo, size);
        if (rc != LARIAT_OK) break;
        int *displs = counts + P;
        lariat_rsum_ring_counts(size, P, counts, displs);
        /* This rank's block of the sums into doubles, each integer zeroed
        ** as it is read (a separate clearing of the band's 4 MiB took 1.5
        ** ms a band); the other ranks' blocks (the ring's partial sums)
        ** cleared whole. */
        const double unit = ldexp(1.0, K);
        const int64_t u0 = displs[me], u1 = u0 + counts[me];
        for (int64_t u = u0; u < u1; u++) {
            val[u] = limbs_value(hi[u], lo[u], K, unit);
            hi[u] = lo[u] = 0;
        }
        memset(hi, 0, (size_t)u0 * sizeof(int64_t));
        memset(lo, 0, (size_t)u0 * sizeof(int64_t));
        memset(hi + u1, 0, (size_t)(size - u1) * sizeof(int64_t));
        memset(lo + u1, 0, (size_t)(size - u1) * sizeof(int64_t));
        if (P > 1 && MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, val, counts, displs, MPI_DOUBLE,
                                    lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of a fixed-point Gram failed");
            break;
        }
        /* Back to the sums' own scale, centred (sum w (x - c)(x - c)' = sum
        ** w x x' - c s1' - s1 c' + W c c'), into the slab: entry (j, l) at
        ** G[j (b - a) + l - a] for l in [a, b), row by row, then the
        ** mirrors (l, j), l > j, for j in [a, b), also row by row of G
        ** (written a column at a time, each of the mirrors' 2 million
        ** stores went to another line of G at p = 2,000). */
        for (int64_t j = j0, u = 0; j < j1; u += p - j, j++) boff[j - j0] = u;
        for (int64_t j = j0; G != NULL && j < j1; j++) {
            const int64_t base = boff[j - j0] - j; /* (j, l) at val[base + l] */
            for (int64_t l = j > a ? j : a; l < b; l++) G[j * wid + l - a] = slab_value(&cv, val[base + l], j, l);
        }
        const int64_t m0 = j0 > a ? j0 : a;
        for (int64_t l = j0 + 1; G != NULL && l < p; l++) {
            const int64_t m1 = j1 < b ? (j1 < l ? j1 : l) : (b < l ? b : l);
            for (int64_t j = m0; j < m1; j++) G[l * wid + j - a] = slab_value(&cv, val[boff[j - j0] + l - j], j, l);
        }
    }
    rc = lariat_agree(ctx, rc);
    free(s1);
    free(colscale);
    free(ex);
    lariat_free_huge(hi, hi_bytes);
    free(val);
    free(counts);
    free(skip);
    free(pj);
    free(boff);
    return rc;
}

int lariat_stats_gram(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, double *G)
{
    return lariat_stats_gram_slab(ctx, data, w, shift, 1, 0, G);
}

int lariat_stats_gram_slab(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, int s,
                           int r, double *G)
{
    if (lariat_matrix_is_sparse(data->X)) return gram_slab_fixed(ctx, data, w, shift, s, r, G);
    const int64_t p = data->p, len = p * (p + 1) / 2;
    gram_tile arg = {ctx, data, w, shift, NULL, LARIAT_OK};
    double *packed = lariat_malloc(ctx, (size_t)len, sizeof(double), "packed Gram matrix");
    arg.G = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "a tile's Gram matrix");
    /* Written whole by the sum and by every tile: 2 MiB pages (core/memory.h). */
    lariat_advise_huge(packed, (size_t)len * sizeof(double));
    lariat_advise_huge(arg.G, (size_t)(p * p) * sizeof(double));
    int rc = lariat_agree(ctx, packed != NULL && arg.G != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, data, len, gram_fn, &arg, packed);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, arg.rc);
    if (rc == LARIAT_OK && G != NULL) {
        /* Entry (j, l), l in [a, b), is at G[j (b - a) + l - a]; the packed
        ** triangle holds (min, max) of each pair. */
        const int64_t a = lariat_slab_start(p, s, r), b = lariat_slab_start(p, s, r + 1), wid = b - a;
        for (int64_t j = 0; j < p; j++) {
            for (int64_t l = a; l < b; l++) {
                const int64_t lo = j < l ? j : l, hi = j < l ? l : j;
                G[j * wid + l - a] = packed[lo * p - lo * (lo - 1) / 2 + hi - lo];
            }
        }
    }
    rc = lariat_agree(ctx, rc);
    free(packed);
    free(arg.G);
    return rc;
}

/* The integer sums of lariat_stats_gram_fixed over the ranks, in pieces whose
** counts fit an int. */
static int allreduce_int64(lariat_ctx *ctx, int64_t *v, int64_t len)
{
    const int64_t piece = (int64_t)1 << 28;
    for (int64_t t = 0; t < len; t += piece) {
        const int cnt = (int)(len - t < piece ? len - t : piece);
        if (MPI_Allreduce(MPI_IN_PLACE, v + t, cnt, MPI_INT64_T, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of a fixed-point Gram failed");
        }
    }
    return LARIAT_OK;
}

/* How lariat_stats_gram_fixed's integers become the Gram's entries. */
typedef struct fixed_scale {
    int64_t p;
    double unit;          /* 2^(ew - B) */
    const double *colinv; /* 2^ex_j */
    const int *ex;
    int huge;             /* some ex_j > 1000: 2^ex_j overflows, ldexp instead */
    const double *shift, *sx;
    double W;
} fixed_scale;

/* Entry (j, l) of the centred Gram from its integer sum, in single precision. */
static float fixed_value(const fixed_scale *fs, int64_t v, int64_t j, int64_t l)
{
    const double *c = fs->shift, *sx = fs->sx;
    double g = fs->huge ? ldexp((double)v * fs->unit, fs->ex[j] + fs->ex[l])
                        : (double)v * fs->unit * fs->colinv[j] * fs->colinv[l];
    /* sum w (x - c)(x - c)' = sum w x x' - c sx' - sx c' - W c c', sx about c. */
    if (c != NULL) g -= c[j] * sx[l] + sx[j] * c[l] + fs->W * c[j] * c[l];
    return (float)g;
}

/* Collective. The ring's way of lariat_stats_gram_fixed: acc's len
** integers summed round the ring, this rank's block rounded to floats
** (packed as acc), the floats gathered by every rank and unpacked into G. */
static int gram_fixed_gather(lariat_ctx *ctx, const fixed_scale *fs, int64_t *acc, int64_t len, float *G)
{
    const int64_t p = fs->p;
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    /* Written whole (this rank's block, then the gather): 2 MiB pages, as
    ** the integers' (8 MB at p = 2,000, taken anew by every curvature pass). */
    const size_t pf_bytes = (size_t)len * sizeof(float);
    float *pf = lariat_malloc_huge(ctx, pf_bytes, "packed Gram");
    int *counts = lariat_malloc(ctx, 2 * (size_t)P, sizeof(int), "packed Gram counts");
    int rc = lariat_agree(ctx, pf != NULL && counts != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_rsum_ring_int64(ctx, acc, len);
    if (rc == LARIAT_OK) {
        int *displs = counts + P;
        lariat_rsum_ring_counts(len, P, counts, displs);
        const int64_t lo = displs[me], hi = lo + counts[me];
        /* The packed row j and column l of entry lo. */
        int64_t j = 0, t = 0;
        while (t + (p - j) <= lo) t += p - j++;
        for (int64_t l = j + (lo - t), u = lo; u < hi; u++) {
            pf[u] = fixed_value(fs, acc[u], j, l);
            if (++l == p) l = ++j;
        }
        if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, pf, counts, displs, MPI_FLOAT,
                           lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of a packed Gram failed");
        }
    }
    for (int64_t j = 0, u = 0; rc == LARIAT_OK && j < p; j++) {
        for (int64_t l = j; l < p; l++, u++) G[j * p + l] = G[l * p + j] = pf[u];
    }
    lariat_free_huge(pf, pf_bytes);
    free(counts);
    return rc;
}

int lariat_stats_gram_fixed(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift,
                            const double *sx, double W, float *G)
{
    const int64_t p = data->p, len = p * (p + 1) / 2;
    const lariat_matrix *X = data->X;
    double *colscale = lariat_malloc(ctx, (size_t)p, sizeof(double), "Gram scales");
    int *ex = lariat_malloc(ctx, (size_t)p, sizeof(int), "Gram scales");
    int64_t *acc = lariat_malloc_huge(ctx, (size_t)len * sizeof(int64_t), "fixed-point Gram");
    int rc = lariat_matrix_is_sparse(X) ? LARIAT_OK
                                        : lariat_error(ctx, LARIAT_EUSAGE, "a fixed-point Gram needs CSR rows");
    if (rc == LARIAT_OK && (!colscale || !ex || !acc)) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    int ew = INT_MIN;
    if (rc == LARIAT_OK) rc = fixed_scales(ctx, data, w, ex, colscale, &ew);
    if (rc == LARIAT_OK) {
        /* One limb: terms below 2^B, B = 61 - L, their sum below 2^61. */
        const int B = 61 - fixed_log2_rows(data->n);
        memset(acc, 0, (size_t)len * sizeof(int64_t));
        if (ew != INT_MIN) {
            rc = lariat_matrix_gram_fixed_csr(ctx, X, w, ldexp(1.0, B - ew), colscale, 0, p, 0, NULL, acc, NULL);
        }
        rc = lariat_agree(ctx, rc);
        /* Back to the sums' own scale (powers of two: exact unless a sum is
        ** beyond double's range), centred, in single precision. */
        fixed_scale fs = {p, ew != INT_MIN ? ldexp(1.0, ew - B) : 0.0, colscale, ex, 0, shift, sx, W};
        for (int64_t j = 0; j < p; j++) {
            fs.huge |= ex[j] > 1000;
            colscale[j] = ldexp(1.0, ex[j]); /* now 1 / colscale */
        }
        const int P = lariat_ctx_size(ctx);
        if (rc == LARIAT_OK && P > 1 && len <= INT_MAX) {
            /* Each rank sums its block of the triangle round the ring and
            ** rounds it; the floats, half the integers' bytes, are gathered
            ** (the ring: 16 MB of integers at p = 2,000 went through one
            ** MPI_Allreduce at 0.4 GB/s on two ranks of this machine). */
            rc = gram_fixed_gather(ctx, &fs, acc, len, G);
        } else if (rc == LARIAT_OK) {
            if (P > 1) rc = allreduce_int64(ctx, acc, len);
            for (int64_t j = 0, t = 0; rc == LARIAT_OK && j < p; j++) {
                for (int64_t l = j; l < p; l++, t++) G[j * p + l] = G[l * p + j] = fixed_value(&fs, acc[t], j, l);
            }
        }
    }
    rc = lariat_agree(ctx, rc);
    free(colscale);
    free(ex);
    lariat_free_huge(acc, (size_t)len * sizeof(int64_t));
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
