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
    double *full;   /* K * LARIAT_STATS_LEN(p): one tile's sets before packing */
    void *ws;       /* lariat_matrix_moments_by_set's workspace, kept over the tiles */
    int rc;
} by_fold_tile;

/* A set's length with sxx's upper triangle only (packed by rows). */
static int64_t packed_len(int64_t p) { return 4 + 2 * p + p * (p + 1) / 2; }

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
    memset(a->full, 0, (size_t)(a->K * L) * sizeof(double));
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    int rc = lariat_matrix_moments_by_set(a->ctx, &tile, a->fold + i0, a->K, a->w + i0, a->data->y + i0, a->shift,
                                          a->yshift, a->single, a->ws, a->full, a->ranges);
    if (rc != LARIAT_OK) a->rc = rc;
    for (int k = 0; k < a->K; k++) set_pack(p, a->full + k * L, part + k * Lp);
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
    arg.full = lariat_malloc(ctx, (size_t)(K * L), sizeof(double), "a tile's fold statistics");
    double *packed = lariat_malloc(ctx, (size_t)(K * Lp), sizeof(double), "packed fold statistics");
    arg.ws = lariat_malloc(ctx, lariat_matrix_moments_ws_bytes(p, K), 1, "row moments workspace");
    if (rc == LARIAT_OK && (arg.full == NULL || packed == NULL || arg.ws == NULL)) rc = LARIAT_ENOMEM;
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

/* One tile's Gram, its upper triangle packed by rows. */
typedef struct gram_tile {
    lariat_ctx *ctx;
    const lariat_data *data;
    const double *w, *shift;
    double *G; /* p x p scratch (dense rows) */
    int64_t *piece_row, *piece_value; /* CSR: the pieces' first rows and values, then the ends */
    int32_t *skip;                    /* CSR: each local row's entries before the piece's columns */
    int rc;
} gram_tile;

/* CSR: the tile's raw products of stored entries in the packed rows of one
** piece (lariat_matrix_gram_packed_csr; the last piece also holds the
** weighted column sums and the weight sum). The centering is made once,
** after the sum (lariat_stats_gram): a tile touches few entries, and a
** dense p x p pass per tile would cost more than its products. */
static void gram_csr_fn(void *arg, int64_t i0, int64_t m, int64_t t0, int64_t t1, double *part)
{
    gram_tile *a = arg;
    (void)t1;
    int q = 0;
    while (a->piece_value[q] != t0) q++;
    const lariat_matrix tile = lariat_matrix_row_view(a->data->X, i0, m);
    int rc = lariat_matrix_gram_packed_csr(a->ctx, &tile, a->w + i0, a->piece_row[q], a->piece_row[q + 1],
                                           a->skip + i0, part);
    if (rc != LARIAT_OK) a->rc = rc;
}

/* The pieces of a CSR Gram's sum (lariat_tile_sum_pieces): whole packed
** rows, about GRAM_PIECE values each (a binned accumulator of 8 MiB),
** the last ending with the p + 1 sums after the triangle. Sets the rows
** and values where each piece starts, and the ends; returns the count. */
#define GRAM_PIECE ((int64_t)1 << 18)

static int gram_pieces(int64_t p, int64_t *row, int64_t *value)
{
    int n = 0;
    int64_t j = 0;
    row[0] = value[0] = 0;
    do {
        int64_t j1 = j + 1, size = p - j;
        while (j1 < p && size + (p - j1) <= GRAM_PIECE) size += p - j1++;
        row[++n] = j1;
        value[n] = value[n - 1] + size + (j1 == p ? p + 1 : 0);
        j = j1;
    } while (j < p);
    return n;
}

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

int lariat_stats_gram(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, double *G)
{
    return lariat_stats_gram_slab(ctx, data, w, shift, 1, 0, G);
}

int lariat_stats_gram_slab(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift, int s,
                           int r, double *G)
{
    const int64_t p = data->p, len = p * (p + 1) / 2;
    const int sparse = lariat_matrix_is_sparse(data->X);
    gram_tile arg = {ctx, data, w, shift, NULL, NULL, NULL, NULL, LARIAT_OK};
    double *packed = lariat_malloc(ctx, (size_t)(len + p + 1), sizeof(double), "packed Gram matrix");
    if (!sparse) arg.G = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "a tile's Gram matrix");
    /* At most p pieces (one packed row each), and their ends. */
    if (sparse) arg.piece_row = lariat_malloc(ctx, (size_t)(2 * (p + 1)), sizeof(int64_t), "Gram pieces");
    /* The pieces come in order: each row's place in them is kept. */
    if (sparse) arg.skip = lariat_calloc(ctx, (size_t)data->n_local + 1, sizeof(int32_t), "Gram row places");
    /* Written whole by the sum and by every tile: 2 MiB pages (core/memory.h). */
    lariat_advise_huge(packed, (size_t)(len + p + 1) * sizeof(double));
    lariat_advise_huge(arg.G, (size_t)(p * p) * sizeof(double));
    const int have = packed != NULL && (sparse ? arg.piece_row != NULL && arg.skip != NULL : arg.G != NULL);
    int rc = lariat_agree(ctx, have ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK && sparse) {
        arg.piece_value = arg.piece_row + p + 1;
        const int npieces = gram_pieces(p, arg.piece_row, arg.piece_value);
        rc = lariat_tile_sum_pieces(ctx, data, npieces, arg.piece_value, gram_csr_fn, &arg, packed);
    } else if (rc == LARIAT_OK) {
        rc = lariat_tile_sum(ctx, data, len, gram_fn, &arg, packed);
    }
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, arg.rc);
    if (rc == LARIAT_OK && G != NULL) {
        /* CSR: sum w (x - c)(x - c)' = sum w x x' - c s1' - s1 c' + W c c'. */
        const double *s1 = packed + len, W = sparse ? packed[len + p] : 0.0;
        /* Entry (j, l), l in [a, b), is at G[j (b - a) + l - a]; the packed
        ** triangle holds (min, max) of each pair. */
        const int64_t a = lariat_slab_start(p, s, r), b = lariat_slab_start(p, s, r + 1), wid = b - a;
        for (int64_t j = 0; j < p; j++) {
            for (int64_t l = a; l < b; l++) {
                const int64_t lo = j < l ? j : l, hi = j < l ? l : j;
                double g = packed[lo * p - lo * (lo - 1) / 2 + hi - lo];
                if (sparse && shift != NULL) g += -shift[lo] * s1[hi] - s1[lo] * shift[hi] + W * shift[lo] * shift[hi];
                G[j * wid + l - a] = g;
            }
        }
    }
    rc = lariat_agree(ctx, rc);
    free(packed);
    free(arg.G);
    free(arg.piece_row);
    free(arg.skip);
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
    double unit;          /* w_max / 2^B */
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
    float *pf = lariat_malloc(ctx, (size_t)len, sizeof(float), "packed Gram");
    int *counts = lariat_malloc(ctx, 2 * (size_t)P, sizeof(int), "packed Gram counts");
    int rc = lariat_agree(ctx, pf != NULL && counts != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_rsum_ring_int64(ctx, acc, len);
    if (rc == LARIAT_OK) {
        int *displs = counts + P;
        for (int r = 0; r < P; r++) {
            int64_t lo, hi;
            lariat_rsum_ring_block(len, P, r, &lo, &hi);
            displs[r] = (int)lo;
            counts[r] = (int)(hi - lo);
        }
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
    free(pf);
    free(counts);
    return rc;
}

int lariat_stats_gram_fixed(lariat_ctx *ctx, const lariat_data *data, const double *w, const double *shift,
                            const double *sx, double W, float *G)
{
    const int64_t p = data->p, len = p * (p + 1) / 2;
    const lariat_matrix *X = data->X;
    /* bound: [lo (p) | hi (p) | w_max], then [|x_j|_max (p) | w_max]. */
    double *bound = lariat_malloc(ctx, (size_t)(2 * p + 1), sizeof(double), "Gram scales");
    double *colscale = lariat_malloc(ctx, (size_t)p, sizeof(double), "Gram scales");
    int *ex = lariat_malloc(ctx, (size_t)p, sizeof(int), "Gram scales");
    int64_t *acc = lariat_malloc(ctx, (size_t)len, sizeof(int64_t), "fixed-point Gram");
    int rc = lariat_matrix_is_sparse(X) ? LARIAT_OK
                                        : lariat_error(ctx, LARIAT_EUSAGE, "a fixed-point Gram needs CSR rows");
    if (rc == LARIAT_OK && (!bound || !colscale || !ex || !acc)) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, lariat_matrix_colrange(ctx, X, w, bound, bound + p));
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
        /* |x_ij| < 2^ex_j, so |x_ij colscale_j| < 1 (a power of two: exact). */
        for (int64_t j = 0; j < p; j++) {
            int e = 0;
            (void)frexp(bound[j], &e);
            ex[j] = e < -1000 ? -1000 : e;
            colscale[j] = ldexp(1.0, -ex[j]);
        }
        int L = 1;
        while (L < 60 && ((int64_t)1 << L) <= data->n) L++;
        const int B = 61 - L;
        const double wmax = bound[p];
        const double wscale = wmax > 0.0 && isfinite(wmax) ? ldexp(1.0, B) / wmax : 0.0;
        lariat_advise_huge(acc, (size_t)len * sizeof(int64_t));
        memset(acc, 0, (size_t)len * sizeof(int64_t));
        if (wscale > 0.0) rc = lariat_matrix_gram_fixed_csr(ctx, X, w, wscale, colscale, acc);
        rc = lariat_agree(ctx, rc);
        /* Back to the sums' own scale (powers of two apart from w_max: exact
        ** unless a sum is beyond double's range), centred, in single precision. */
        fixed_scale fs = {p, ldexp(wmax, -B), colscale, ex, 0, shift, sx, W};
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
    free(bound);
    free(colscale);
    free(ex);
    free(acc);
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
