/*
** The design matrix: dense row-major or CSR storage of this rank's rows.
**
** Dense kernels work on blocks of rows small enough to stay in cache, so that
** the fused residual-gradient sweep reads X from memory once (X*d and X'q on
** the same block back to back) and the Gram pass is a sequence of SYRK
** updates (linalg/syrk.h) on centered, weight-scaled copies of the blocks.
*/
#include "data/matrix.h"

#include "core/core.h"
#include "core/memory.h"
#include "data/skinny.h"
#include "data/sweep.h"
#include "linalg/blas.h"
#include "linalg/gemm_tn.h"
#include "linalg/syrk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows per block of the dense kernels: about 256 KiB of X, at most
** BLOCK_MAX rows (the fused sweep keeps one block's X*d on the stack). */
#define BLOCK_MAX 256
static int64_t block_rows(int64_t cols)
{
    int64_t b = (32768 + cols - 1) / (cols > 0 ? cols : 1);
    if (b < 1) b = 1;
    return b > BLOCK_MAX ? BLOCK_MAX : b;
}

int lariat_matrix_wrap_dense(lariat_ctx *ctx, int64_t rows, int64_t cols, double *val, lariat_matrix **out)
{
    *out = NULL;
    if (!lariat_blas_fits(cols, 1) || rows < 0) {
        free(val);
        return lariat_error(ctx, LARIAT_EUSAGE, "matrix of %lld x %lld is beyond BLAS's int dimensions",
                            (long long)rows, (long long)cols);
    }
    lariat_matrix *X = lariat_calloc(ctx, 1, sizeof(*X), "matrix");
    if (X == NULL) {
        free(val);
        return LARIAT_ENOMEM;
    }
    X->kind = MATRIX_DENSE;
    X->rows = rows;
    X->cols = cols;
    X->val = val;
    *out = X;
    return LARIAT_OK;
}

int lariat_matrix_wrap_mapped(lariat_ctx *ctx, int64_t rows, int64_t cols, const double *val, lariat_file_map *map,
                              lariat_matrix **out)
{
    /* wrap_dense frees what it is given on failure; a mapping is unmapped. */
    int rc = lariat_matrix_wrap_dense(ctx, rows, cols, NULL, out);
    if (rc != LARIAT_OK) {
        lariat_file_unmap(map);
        return rc;
    }
    (*out)->val = (double *)val; /* read-only: see matrix.h */
    (*out)->map = *map;
    memset(map, 0, sizeof(*map));
    return LARIAT_OK;
}

int lariat_matrix_own_values(lariat_ctx *ctx, lariat_matrix *X)
{
    if (X->map.base == NULL) return LARIAT_OK;
    const size_t count = (size_t)(X->rows * X->cols);
    double *copy = lariat_malloc(ctx, count > 0 ? count : 1, sizeof(double), "the rows of X");
    if (copy == NULL) return LARIAT_ENOMEM;
    memcpy(copy, X->val, count * sizeof(double));
    lariat_file_unmap(&X->map);
    X->val = copy;
    return LARIAT_OK;
}

int lariat_matrix_wrap_csr(lariat_ctx *ctx, int64_t rows, int64_t cols, int64_t *rowptr, int32_t *colind,
                           double *val, lariat_matrix **out)
{
    *out = NULL;
    lariat_matrix *X = lariat_calloc(ctx, 1, sizeof(*X), "matrix");
    if (X == NULL) {
        free(rowptr);
        free(colind);
        free(val);
        return LARIAT_ENOMEM;
    }
    X->kind = MATRIX_CSR;
    X->rows = rows;
    X->cols = cols;
    X->rowptr = rowptr;
    X->colind = colind;
    X->val = val;
    *out = X;
    return LARIAT_OK;
}

lariat_matrix lariat_matrix_row_view(const lariat_matrix *X, int64_t i0, int64_t m)
{
    lariat_matrix v = *X;
    v.rows = m;
    if (X->kind == MATRIX_DENSE) v.val = X->val + i0 * X->cols;
    else v.rowptr = X->rowptr + i0; /* offsets stay absolute into val and colind */
    return v;
}

void lariat_matrix_destroy(lariat_matrix *X)
{
    if (X == NULL) return;
    if (X->map.base != NULL) lariat_file_unmap(&X->map);
    else free(X->val);
    free(X->rowptr);
    free(X->colind);
    free(X);
}

int64_t lariat_matrix_rows(const lariat_matrix *X) { return X->rows; }
int64_t lariat_matrix_cols(const lariat_matrix *X) { return X->cols; }
int lariat_matrix_is_sparse(const lariat_matrix *X) { return X->kind == MATRIX_CSR; }

int64_t lariat_matrix_nnz(const lariat_matrix *X)
{
    return X->kind == MATRIX_CSR ? X->rowptr[X->rows] - X->rowptr[0] : X->rows * X->cols;
}

size_t lariat_matrix_bytes(const lariat_matrix *X)
{
    if (X->kind == MATRIX_DENSE) return (size_t)(X->rows * X->cols) * sizeof(double);
    return (size_t)(X->rowptr[X->rows] - X->rowptr[0]) * (sizeof(double) + sizeof(int32_t)) +
           (size_t)(X->rows + 1) * sizeof(int64_t);
}

static double dot_shift(const double *shift, const double *v, int64_t n)
{
    if (shift == NULL) return 0.0;
    double s = 0.0;
    for (int64_t j = 0; j < n; j++) s += shift[j] * v[j];
    return s;
}

void lariat_matrix_mult(const lariat_matrix *X, const double *shift, const double *v, double *out)
{
    const double sv = dot_shift(shift, v, X->cols);
    if (X->kind == MATRIX_DENSE) {
        const int64_t chunk = 1 << 20;
        for (int64_t i0 = 0; i0 < X->rows; i0 += chunk) {
            int m = (int)(X->rows - i0 < chunk ? X->rows - i0 : chunk);
            cblas_dgemv(CblasRowMajor, CblasNoTrans, m, (int)X->cols, 1.0, X->val + i0 * X->cols, (int)X->cols,
                        v, 1, 0.0, out + i0, 1);
        }
    } else {
        for (int64_t i = 0; i < X->rows; i++) {
            double s = 0.0;
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) s += X->val[k] * v[X->colind[k]];
            out[i] = s;
        }
    }
    if (sv != 0.0) {
        for (int64_t i = 0; i < X->rows; i++) out[i] -= sv;
    }
}

/* (X - 1 shift')'r = X'r - shift * sum(r). */
void lariat_matrix_mult_t(const lariat_matrix *X, const double *shift, const double *r, double *out)
{
    memset(out, 0, (size_t)X->cols * sizeof(double));
    double rsum = 0.0;
    if (X->kind == MATRIX_DENSE) {
        const int64_t chunk = 1 << 20;
        for (int64_t i0 = 0; i0 < X->rows; i0 += chunk) {
            int m = (int)(X->rows - i0 < chunk ? X->rows - i0 : chunk);
            cblas_dgemv(CblasRowMajor, CblasTrans, m, (int)X->cols, 1.0, X->val + i0 * X->cols, (int)X->cols,
                        r + i0, 1, 1.0, out, 1);
        }
    } else {
        for (int64_t i = 0; i < X->rows; i++) {
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) out[X->colind[k]] += X->val[k] * r[i];
        }
    }
    if (shift != NULL) {
        for (int64_t i = 0; i < X->rows; i++) rsum += r[i];
        for (int64_t j = 0; j < X->cols; j++) out[j] -= shift[j] * rsum;
    }
}

/* Loops over one dense row that GCC leaves scalar at -O2, eight entries at a
** time where the CPU has AVX-512, the same operations entry by entry (the
** same bits): a row of the Gram's block, b = sw (x - shift) (or sw x); a
** row of a set's single-precision buffer, b = (float)(sw (x - shift)); a
** row's part in the column ranges (min_pd(x, lo) is x < lo ? x :
** lo, as the plain loop; the readers admit no NaN); a row's part in the
** column moments (s1 += w d, s2 += (w d) d with d = x - shift, no FMA). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static __attribute__((target("avx512f"))) void center_row_avx512(const double *x, const double *shift, double sw,
                                                                 int64_t p, double *b)
{
    const __m512d s = _mm512_set1_pd(sw);
    int64_t j = 0;
    if (shift != NULL) {
        for (; j + 8 <= p; j += 8) {
            const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(x + j), _mm512_loadu_pd(shift + j));
            _mm512_storeu_pd(b + j, _mm512_mul_pd(s, d));
        }
        for (; j < p; j++) b[j] = sw * (x[j] - shift[j]);
    } else {
        for (; j + 8 <= p; j += 8) _mm512_storeu_pd(b + j, _mm512_mul_pd(s, _mm512_loadu_pd(x + j)));
        for (; j < p; j++) b[j] = sw * x[j];
    }
}

static __attribute__((target("avx512f"))) void center_row_f_avx512(const double *x, const double *shift, double sw,
                                                                   int64_t p, float *b)
{
    const __m512d s = _mm512_set1_pd(sw);
    int64_t j = 0;
    for (; j + 8 <= p; j += 8) {
        const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(x + j), _mm512_loadu_pd(shift + j));
        _mm256_storeu_ps(b + j, _mm512_cvtpd_ps(_mm512_mul_pd(s, d)));
    }
    for (; j < p; j++) b[j] = (float)(sw * (x[j] - shift[j]));
}

static __attribute__((target("avx512f"))) void range_row_avx512(const double *x, int64_t p, double *lo, double *hi)
{
    int64_t j = 0;
    for (; j + 8 <= p; j += 8) {
        const __m512d v = _mm512_loadu_pd(x + j);
        _mm512_storeu_pd(lo + j, _mm512_min_pd(v, _mm512_loadu_pd(lo + j)));
        _mm512_storeu_pd(hi + j, _mm512_max_pd(v, _mm512_loadu_pd(hi + j)));
    }
    for (; j < p; j++) {
        if (x[j] < lo[j]) lo[j] = x[j];
        if (x[j] > hi[j]) hi[j] = x[j];
    }
}

static __attribute__((target("avx512f"))) void colstats_row_avx512(const double *x, const double *shift, double wi,
                                                                   int64_t p, double *s1, double *s2)
{
    const __m512d w8 = _mm512_set1_pd(wi);
    int64_t j = 0;
    for (; j + 8 <= p; j += 8) {
        const __m512d sh = shift != NULL ? _mm512_loadu_pd(shift + j) : _mm512_setzero_pd();
        const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(x + j), sh), t = _mm512_mul_pd(w8, d);
        _mm512_storeu_pd(s1 + j, _mm512_add_pd(_mm512_loadu_pd(s1 + j), t));
        _mm512_storeu_pd(s2 + j, _mm512_add_pd(_mm512_loadu_pd(s2 + j), _mm512_mul_pd(t, d)));
    }
    for (; j < p; j++) {
        double d = x[j] - (shift != NULL ? shift[j] : 0.0);
        s1[j] += wi * d;
        s2[j] += wi * d * d;
    }
}

/* One row's terms of lariat_matrix_wsum_range: xw += wi x, and the ranges
** when the row counts (in_range). */
static __attribute__((target("avx512f,fma"))) void wsum_range_row_avx512(const double *x, int64_t p, double wi,
                                                                          int in_range, double *xw, double *lo,
                                                                          double *hi)
{
    const __m512d w8 = _mm512_set1_pd(wi);
    int64_t j = 0;
    for (; j + 8 <= p; j += 8) {
        const __m512d v = _mm512_loadu_pd(x + j);
        _mm512_storeu_pd(xw + j, _mm512_fmadd_pd(w8, v, _mm512_loadu_pd(xw + j)));
        if (in_range) {
            _mm512_storeu_pd(lo + j, _mm512_min_pd(v, _mm512_loadu_pd(lo + j)));
            _mm512_storeu_pd(hi + j, _mm512_max_pd(v, _mm512_loadu_pd(hi + j)));
        }
    }
    for (; j < p; j++) {
        xw[j] = __builtin_fma(wi, x[j], xw[j]);
        if (in_range && x[j] < lo[j]) lo[j] = x[j];
        if (in_range && x[j] > hi[j]) hi[j] = x[j];
    }
}

static int has_avx512(void)
{
    static int has = -1;
    if (has < 0) has = __builtin_cpu_supports("avx512f");
    return has;
}
#else
static int has_avx512(void) { return 0; }
static void center_row_avx512(const double *x, const double *shift, double sw, int64_t p, double *b)
{
    (void)x, (void)shift, (void)sw, (void)p, (void)b;
}
static void center_row_f_avx512(const double *x, const double *shift, double sw, int64_t p, float *b)
{
    (void)x, (void)shift, (void)sw, (void)p, (void)b;
}
static void range_row_avx512(const double *x, int64_t p, double *lo, double *hi) { (void)x, (void)p, (void)lo, (void)hi; }
static void wsum_range_row_avx512(const double *x, int64_t p, double wi, int in_range, double *xw, double *lo,
                                  double *hi)
{
    (void)x, (void)p, (void)wi, (void)in_range, (void)xw, (void)lo, (void)hi;
}
static void colstats_row_avx512(const double *x, const double *shift, double wi, int64_t p, double *s1, double *s2)
{
    (void)x, (void)shift, (void)wi, (void)p, (void)s1, (void)s2;
}
#endif

/* Dense: G = sum over blocks of B'B with B = diag(sqrt(w)) (X_blk - 1 shift'),
** one SYRK per block into the upper triangle (linalg/syrk.h), mirrored at
** the end.
** CSR: G = X'WX - s a' - a s' + W s s' with a = X'w (the centering would
** destroy sparsity). */
int lariat_matrix_gram(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift, double *G)
{
    const int64_t p = X->cols;
    memset(G, 0, (size_t)(p * p) * sizeof(double));
    if (X->kind == MATRIX_DENSE) {
        const int64_t nb = block_rows(p) * 4; /* SYRK wants taller blocks than the sweep */
        double *B = lariat_malloc(ctx, (size_t)(nb * p), sizeof(double), "Gram block");
        if (B == NULL) return LARIAT_ENOMEM;
        for (int64_t i0 = 0; i0 < X->rows; i0 += nb) {
            int64_t m = X->rows - i0 < nb ? X->rows - i0 : nb;
            for (int64_t i = 0; i < m; i++) {
                const double *x = X->val + (i0 + i) * p;
                double *b = B + i * p;
                double sw = sqrt(w[i0 + i]);
                if (has_avx512()) {
                    center_row_avx512(x, shift, sw, p, b);
                } else if (shift != NULL) {
                    for (int64_t j = 0; j < p; j++) b[j] = sw * (x[j] - shift[j]);
                } else {
                    for (int64_t j = 0; j < p; j++) b[j] = sw * x[j];
                }
            }
            lariat_syrk_upper(p, m, B, p, G, p);
        }
        free(B);
    } else {
        double *a = NULL;
        double W = 0.0;
        if (shift != NULL) {
            a = lariat_calloc(ctx, (size_t)p, sizeof(double), "Gram correction");
            if (a == NULL) return LARIAT_ENOMEM;
        }
        for (int64_t i = 0; i < X->rows; i++) {
            const double wi = w[i];
            W += wi;
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
                const int64_t j = X->colind[k];
                const double wx = wi * X->val[k];
                if (a != NULL) a[j] += wx;
                for (int64_t l = k; l < X->rowptr[i + 1]; l++) G[j * p + X->colind[l]] += wx * X->val[l];
            }
        }
        if (a != NULL) {
            for (int64_t j = 0; j < p; j++) {
                for (int64_t l = j; l < p; l++) G[j * p + l] += -shift[j] * a[l] - a[j] * shift[l] + W * shift[j] * shift[l];
            }
            free(a);
        }
    }
    for (int64_t j = 0; j < p; j++) {
        for (int64_t l = j + 1; l < p; l++) G[l * p + j] = G[j * p + l];
    }
    return LARIAT_OK;
}

/* The first entry in [e0, e1) of a row (columns increasing) whose column is
** at least j; e1 if none. */
static inline int64_t first_at_least(const int32_t *ci, int64_t e0, int64_t e1, int64_t j)
{
    if (j <= 0) return e0;
    while (e0 < e1) {
        const int64_t mid = e0 + (e1 - e0) / 2;
        if (ci[mid] < j) e0 = mid + 1;
        else e1 = mid;
    }
    return e0;
}

/* The first of row i's entries in column j0 or after: from skip[i] when
** given, else found by bisection (the row's columns increase). */
static inline int64_t run_start(const lariat_matrix *X, int64_t i, int64_t j0, const int32_t *skip)
{
    if (skip != NULL) return X->rowptr[i] + skip[i];
    return first_at_least(X->colind, X->rowptr[i], X->rowptr[i + 1], j0);
}

int lariat_matrix_gram_packed_csr(lariat_ctx *ctx, const lariat_matrix *X, const double *w, int64_t j0, int64_t j1,
                                  int32_t *skip, double *part)
{
    const int64_t p = X->cols, m = X->rows;
    const int64_t off0 = j0 * p - j0 * (j0 - 1) / 2; /* where packed row j0 starts */
    /* The block's entries in columns [j0, j1) by column, each column's in
    ** row order: row_of and at hold the row and the position in colind and
    ** val. A row's entries in [j0, j1) are a run from run_start. */
    int64_t *colptr = lariat_calloc(ctx, (size_t)(j1 - j0 + 1), sizeof(int64_t), "Gram column pointers");
    if (colptr == NULL) return LARIAT_ENOMEM;
    int64_t nnz = 0;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t k = run_start(X, i, j0, skip); k < X->rowptr[i + 1] && X->colind[k] < j1; k++, nnz++) {
            colptr[X->colind[k] - j0 + 1]++;
        }
    }
    int64_t *row_of = lariat_malloc(ctx, (size_t)(nnz > 0 ? nnz : 1), sizeof(int64_t), "Gram column rows");
    int64_t *at = lariat_malloc(ctx, (size_t)(nnz > 0 ? nnz : 1), sizeof(int64_t), "Gram column entries");
    if (row_of == NULL || at == NULL) {
        free(colptr);
        free(row_of);
        free(at);
        return LARIAT_ENOMEM;
    }
    for (int64_t j = 0; j < j1 - j0; j++) colptr[j + 1] += colptr[j];
    for (int64_t i = 0; i < m; i++) {
        int64_t k = run_start(X, i, j0, skip);
        for (; k < X->rowptr[i + 1] && X->colind[k] < j1; k++) {
            const int64_t d = colptr[X->colind[k] - j0]++;
            row_of[d] = i;
            at[d] = k;
        }
        if (skip != NULL) skip[i] = (int32_t)(k - X->rowptr[i]);
    }
    for (int64_t j = j1 - j0; j > 0; j--) colptr[j] = colptr[j - 1];
    colptr[0] = 0;
    for (int64_t j = j0; j < j1; j++) {
        double *row = part + (j * p - j * (j - 1) / 2 - off0) - j; /* row[l] is entry (j, l), l >= j */
        memset(row + j, 0, (size_t)(p - j) * sizeof(double));
        for (int64_t d = colptr[j - j0]; d < colptr[j - j0 + 1]; d++) {
            const int64_t i = row_of[d], k = at[d];
            const double wx = w[i] * X->val[k];
            for (int64_t t = k; t < X->rowptr[i + 1]; t++) row[X->colind[t]] += wx * X->val[t];
        }
    }
    if (j1 == p) {
        /* Each column's sum in row order, as the rows come. */
        const int64_t len = p * (p + 1) / 2;
        double *s1 = part + (len - off0), W = 0.0;
        memset(s1, 0, (size_t)p * sizeof(double));
        for (int64_t i = 0; i < m; i++) {
            W += w[i];
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) s1[X->colind[k]] += w[i] * X->val[k];
        }
        s1[p] = W;
    }
    free(colptr);
    free(row_of);
    free(at);
    return LARIAT_OK;
}

/* The nearest integer to x (ties to even, as the default rounding mode
** rounds): one conversion instruction on x86-64, where llrint can be a
** library call. |x| < 2^62 here. */
static inline int64_t nearest_int(double x)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    return _mm_cvtsd_si64(_mm_set_sd(x));
#else
    return (int64_t)llrint(x);
#endif
}

/* Entries of a block of rows that lariat_matrix_gram_fixed_csr gathers by
** column at once (its index takes 8 bytes an entry), by the size of the
** packed rows it adds into. Each block's visits add into all of those rows:
** into a whole triangle of 16 MB (one limb at p = 2,000), blocks of 2^20
** entries (12 MB of rows) were the fastest, 62 ms a pass against 67 ms at
** 2^19 and 80 ms at 2^16; into one band of 4 MiB (two limbs, data/stats.c)
** blocks of 2^16, 83 ms a pass against 87 ms at 2^20, their rows (768 KB)
** staying in the second cache level while their columns visit them
** (100,000 x 2,000 rows at 1%, a test program timing the sizes in turn
** within one process, medians of 9 passes). */
#define FIXED_BLOCK_SMALL ((int64_t)1 << 16)
#define FIXED_BLOCK_LARGE ((int64_t)1 << 20)
#define FIXED_SMALL_TARGET ((int64_t)1 << 22)
/* How many entries of a column ahead their rows are asked for: the rows of
** a column are far apart, and each visit began with a cache miss. Each
** entry's row end and weight are asked for FIXED_AHEAD + FIXED_AHEAD_ROW
** entries ahead, and then, FIXED_AHEAD entries ahead, every line of its
** run of indices and values (a run of 10 entries spans 2-3 lines of
** values): 83 against 91 ms a pass in bands, where the first line of each
** alone was asked for FIXED_AHEAD entries ahead (in a whole triangle, 62
** against 60.5 ms: no gain there, and no loss worth a second loop). */
#define FIXED_AHEAD 16
#define FIXED_AHEAD_ROW 8

/* One entry's products from it on in its row (lariat_matrix_gram_fixed_csr):
** each term s into row[l] in one limb, or as h = nearest(s / 2^split) into
** row[l] and nearest(s - h 2^split) (exact: s's bits below 2^split) into
** rowlo[l]. h 2^split is s rounded to a multiple of 2^split, (s + C) - C
** with C = 1.5 2^(52 + split) for |s| < 2^(51 + split) (round to nearest
** even, as the conversions round): converting h back to a double instead
** (cvtsi2sd, which keeps the register's upper half and so waits on its last
** writer) chained every term to the one before, 3x the time. */
static inline void fixed_terms(const int32_t *ci, const double *val, const double *colscale, int64_t e, int64_t e1,
                               double zj, double magic, double inv, int64_t *row, int64_t *rowlo)
{
    if (rowlo == NULL) {
        for (int64_t f = e; f < e1; f++) row[ci[f]] += nearest_int(zj * (val[f] * colscale[ci[f]]));
        return;
    }
    for (int64_t f = e; f < e1; f++) {
        const double t = zj * (val[f] * colscale[ci[f]]), hs = (t + magic) - magic;
        row[ci[f]] += nearest_int(hs * inv);
        rowlo[ci[f]] += nearest_int(t - hs);
    }
}

/* Not collective. Asks for every cache line of [a, b). */
static inline void prefetch_span(const void *a, const void *b)
{
    const char *c = a, *end = b;
    for (; c < end; c += 64) __builtin_prefetch(c);
    if (end > (const char *)a) __builtin_prefetch(end - 1);
}

int lariat_matrix_gram_fixed_csr(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double wscale,
                                 const double *colscale, int64_t j0, int64_t j1, int split, int32_t *skip,
                                 int64_t *hi, int64_t *lo)
{
    const int64_t p = X->cols, *rp = X->rowptr, nnz = rp[X->rows] - rp[0], nb = j1 - j0;
    const int32_t *ci = X->colind;
    const double *val = X->val;
    const double magic = 1.5 * ldexp(1.0, 52 + split), inv = ldexp(1.0, -split);
    const int64_t t0 = j0 * p - j0 * (j0 - 1) / 2; /* packed entry (j0, j0) */
    const int64_t target = (j1 * p - j1 * (j1 - 1) / 2 - t0) * (lo != NULL ? 2 : 1) * (int64_t)sizeof(int64_t);
    const int64_t block = target <= FIXED_SMALL_TARGET ? FIXED_BLOCK_SMALL : FIXED_BLOCK_LARGE;
    const int64_t cap = nnz < block ? nnz : block;
    int64_t *colptr = lariat_malloc(ctx, (size_t)(nb + 1), sizeof(int64_t), "fixed-point Gram index");
    /* Written whole by a block of rows (cap entries, or all of them): 2 MiB
    ** pages (core/memory.h). At 2^20 entries it is 8 MB, taken anew by each
    ** call: every band of a Gram and every curvature pass (on 100,000 x
    ** 2,000 binomial rows at 1%, about 4,500 of the fit's page faults). */
    const size_t at_bytes = (size_t)(2 * (cap > 0 ? cap : 1)) * sizeof(int32_t);
    int32_t *at = lariat_malloc_huge(ctx, at_bytes, "fixed-point Gram index");
    if (colptr == NULL || at == NULL) {
        free(colptr);
        lariat_free_huge(at, at_bytes);
        return LARIAT_ENOMEM;
    }
    for (int64_t r0 = 0; r0 < X->rows;) {
        /* Rows [r0, r1) with at most cap entries (or one longer row alone). */
        int64_t r1 = r0 + 1;
        while (r1 < X->rows && rp[r1 + 1] - rp[r0] <= cap) r1++;
        const int64_t base = rp[r0], m = rp[r1] - base;
        int32_t *idx = at;
        if (m > cap) {
            idx = lariat_malloc(ctx, (size_t)(2 * m), sizeof(int32_t), "fixed-point Gram index");
            if (idx == NULL) {
                free(colptr);
                lariat_free_huge(at, at_bytes);
                return LARIAT_ENOMEM;
            }
        }
        /* The block's entries in columns [j0, j1) by column: (row - r0,
        ** entry - base) pairs. Each row's run of columns [j0, j1) starts
        ** where the last band's ended (skip), or is found by bisection: a
        ** triangle made in bands of packed rows (data/stats.c: eight bands
        ** at p = 2,000) looked over every entry of every row for every
        ** band: with the cursors a pass in bands took 87 ms, against 124 ms. */
        memset(colptr, 0, (size_t)(nb + 1) * sizeof(int64_t));
        for (int64_t i = r0; i < r1; i++) {
            for (int64_t e = run_start(X, i, j0, skip); e < rp[i + 1] && ci[e] < j1; e++) colptr[ci[e] - j0 + 1]++;
        }
        for (int64_t j = 0; j < nb; j++) colptr[j + 1] += colptr[j];
        const int64_t mb = colptr[nb];
        for (int64_t i = r0; i < r1; i++) {
            int64_t e = run_start(X, i, j0, skip);
            for (; e < rp[i + 1] && ci[e] < j1; e++) {
                const int64_t t = colptr[ci[e] - j0]++;
                idx[2 * t] = (int32_t)(i - r0);
                idx[2 * t + 1] = (int32_t)(e - base);
            }
            if (skip != NULL) skip[i] = (int32_t)(e - rp[i]);
        }
        /* Packed row j takes every product of an entry in column j with its
        ** row's entries from it on: its at most p integers stay in the first
        ** cache level while the rows are read, where row by row the
        ** additions spread over the whole triangle (7 ns each on 100,000 x
        ** 2,000 rows at 1%). */
        for (int64_t j = j0, t = 0; j < j1; j++) {
            const int64_t off = j * p - j * (j - 1) / 2 - j - t0; /* entry (j, l) is hi[off + l] */
            int64_t *row = hi + off, *rowlo = lo != NULL ? lo + off : NULL;
            for (; t < colptr[j - j0]; t++) {
                if (t + FIXED_AHEAD + FIXED_AHEAD_ROW < mb) {
                    const int64_t ia = r0 + idx[2 * (t + FIXED_AHEAD + FIXED_AHEAD_ROW)];
                    __builtin_prefetch(rp + ia + 1);
                    __builtin_prefetch(w + ia);
                }
                if (t + FIXED_AHEAD < mb) {
                    const int64_t ia = r0 + idx[2 * (t + FIXED_AHEAD)], ea = base + idx[2 * (t + FIXED_AHEAD) + 1];
                    prefetch_span(val + ea, val + rp[ia + 1]);
                    prefetch_span(ci + ea, ci + rp[ia + 1]);
                }
                const int64_t i = r0 + idx[2 * t], e = base + idx[2 * t + 1];
                const double a = w[i] * wscale;
                if (a == 0.0) continue;
                fixed_terms(ci, val, colscale, e, rp[i + 1], a * (val[e] * colscale[j]), magic, inv, row, rowlo);
            }
        }
        if (idx != at) free(idx);
        r0 = r1;
    }
    free(colptr);
    lariat_free_huge(at, at_bytes);
    return LARIAT_OK;
}

int lariat_matrix_colstats(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift,
                           double *s1, double *s2)
{
    const int64_t p = X->cols;
    memset(s1, 0, (size_t)p * sizeof(double));
    memset(s2, 0, (size_t)p * sizeof(double));
    if (X->kind == MATRIX_DENSE) {
        for (int64_t i = 0; i < X->rows; i++) {
            const double *x = X->val + i * p;
            const double wi = w[i];
            if (has_avx512()) {
                colstats_row_avx512(x, shift, wi, p, s1, s2);
                continue;
            }
            for (int64_t j = 0; j < p; j++) {
                double d = x[j] - (shift != NULL ? shift[j] : 0.0);
                s1[j] += wi * d;
                s2[j] += wi * d * d;
            }
        }
        return LARIAT_OK;
    }
    /* CSR: the implicit zeros contribute w_i (0 - shift_j) each; summing the
    ** stored entries' weights gives their total without cancellation. */
    double W = 0.0;
    double *wnz = lariat_calloc(ctx, (size_t)p, sizeof(double), "column statistics");
    if (wnz == NULL) return LARIAT_ENOMEM;
    for (int64_t i = 0; i < X->rows; i++) {
        W += w[i];
        for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
            const int64_t j = X->colind[k];
            double d = X->val[k] - (shift != NULL ? shift[j] : 0.0);
            s1[j] += w[i] * d;
            s2[j] += w[i] * d * d;
            wnz[j] += w[i];
        }
    }
    if (shift != NULL) {
        for (int64_t j = 0; j < p; j++) {
            double wz = W - wnz[j];
            s1[j] -= wz * shift[j];
            s2[j] += wz * shift[j] * shift[j];
        }
    }
    free(wnz);
    return LARIAT_OK;
}

int lariat_matrix_wsum_range(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double *xw, double *lo,
                             double *hi)
{
    const int64_t p = X->cols;
    if (X->kind != MATRIX_DENSE) {
        lariat_matrix_mult_t(X, NULL, w, xw);
        return lariat_matrix_colrange(ctx, X, w, lo, hi);
    }
    for (int64_t j = 0; j < p; j++) {
        xw[j] = 0.0;
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    /* Row by row, in order: each column's sum is one chain of fused
    ** multiply-adds, the same on every CPU with FMA. */
    const int avx512 = has_avx512();
    for (int64_t i = 0; i < X->rows; i++) {
        const double *x = X->val + i * p, wi = w[i];
        const int in_range = wi > 0;
        if (avx512) {
            wsum_range_row_avx512(x, p, wi, in_range, xw, lo, hi);
            continue;
        }
        for (int64_t j = 0; j < p; j++) {
            xw[j] = fma(wi, x[j], xw[j]);
            if (in_range && x[j] < lo[j]) lo[j] = x[j];
            if (in_range && x[j] > hi[j]) hi[j] = x[j];
        }
    }
    return LARIAT_OK;
}

int lariat_matrix_colrange(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double *lo, double *hi)
{
    const int64_t p = X->cols;
    for (int64_t j = 0; j < p; j++) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    if (X->kind == MATRIX_DENSE) {
        for (int64_t i = 0; i < X->rows; i++) {
            if (!(w[i] > 0)) continue;
            const double *x = X->val + i * p;
            if (has_avx512()) {
                range_row_avx512(x, p, lo, hi);
                continue;
            }
            for (int64_t j = 0; j < p; j++) {
                if (x[j] < lo[j]) lo[j] = x[j];
                if (x[j] > hi[j]) hi[j] = x[j];
            }
        }
        return LARIAT_OK;
    }
    /* CSR: a column has an implicit zero unless every counted row stores it. */
    int64_t *stored = lariat_calloc(ctx, (size_t)p, sizeof(int64_t), "column ranges");
    if (stored == NULL) return LARIAT_ENOMEM;
    int64_t rows = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        if (!(w[i] > 0)) continue;
        rows++;
        for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) {
            const int64_t j = X->colind[k];
            stored[j]++;
            if (X->val[k] < lo[j]) lo[j] = X->val[k];
            if (X->val[k] > hi[j]) hi[j] = X->val[k];
        }
    }
    for (int64_t j = 0; j < p; j++) {
        if (stored[j] < rows) {
            if (lo[j] > 0.0) lo[j] = 0.0;
            if (hi[j] < 0.0) hi[j] = 0.0;
        }
    }
    free(stored);
    return LARIAT_OK;
}

/* One sweep: r = y - c - (X d - shift'd), q = w r, g = X'q, each row read
** once (dense: lariat_sweep_dense, src/data/sweep.c). The shift enters g once
** at the end: (X - 1 s')'q = X'q - s sum(q). */
void lariat_matrix_resid_grad(const lariat_matrix *X, const double *shift, const double *d, double c,
                              const double *y, const double *w, double *r, double *g, double sums[3])
{
    const int64_t p = X->cols;
    const double sd = dot_shift(shift, d, p);
    double rr = 0.0, qs = 0.0, qy = 0.0;
    memset(g, 0, (size_t)p * sizeof(double));
    if (X->kind == MATRIX_DENSE) {
        double s[3] = {0.0, 0.0, 0.0};
        lariat_sweep_dense(X->val, X->rows, p, d, c - sd, y, w, r, g, s);
        rr = s[0];
        qs = s[1];
        qy = s[2];
    } else {
        for (int64_t i = 0; i < X->rows; i++) {
            double zi = 0.0;
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) zi += X->val[k] * d[X->colind[k]];
            double ri = y[i] - c - (zi - sd);
            double qi = w[i] * ri;
            rr += qi * ri;
            qs += qi;
            qy += qi * y[i];
            if (r != NULL) r[i] = ri;
            for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) g[X->colind[k]] += qi * X->val[k];
        }
    }
    if (shift != NULL) {
        for (int64_t j = 0; j < p; j++) g[j] -= shift[j] * qs;
    }
    sums[0] = rr;
    sums[1] = qs;
    sums[2] = qy;
}

int lariat_matrix_mult_rows(lariat_ctx *ctx, const lariat_matrix *X, const int64_t *rows, int64_t nrows,
                            const double *B, int64_t k, double *out)
{
    const int64_t p = X->cols;
    if (nrows == 0 || k == 0) return LARIAT_OK;
    if (!lariat_blas_fits(k, p)) return lariat_error(ctx, LARIAT_EUSAGE, "too many coefficient vectors (%lld)", (long long)k);
    if (X->kind == MATRIX_CSR) {
        for (int64_t r = 0; r < nrows; r++) {
            double *o = out + r * k;
            memset(o, 0, (size_t)k * sizeof(double));
            const int64_t i = rows[r];
            for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) {
                cblas_daxpy((int)k, X->val[t], B + (int64_t)X->colind[t] * k, 1, o, 1);
            }
        }
        return LARIAT_OK;
    }
    const int64_t nb = block_rows(p) * 4;
    double *blk = lariat_malloc(ctx, (size_t)(nb * p), sizeof(double), "prediction block");
    if (blk == NULL) return LARIAT_ENOMEM;
    for (int64_t r0 = 0; r0 < nrows; r0 += nb) {
        int64_t m = nrows - r0 < nb ? nrows - r0 : nb;
        for (int64_t r = 0; r < m; r++) memcpy(blk + r * p, X->val + rows[r0 + r] * p, (size_t)p * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)k, (int)p, 1.0, blk, (int)p, B, (int)k,
                    0.0, out + r0 * k, (int)k);
    }
    free(blk);
    return LARIAT_OK;
}

void lariat_matrix_mult_multi(const lariat_matrix *X, const double *B, int64_t k, double *out)
{
    const int64_t n = X->rows, p = X->cols;
    if (n == 0 || k == 0) return;
    if (X->kind == MATRIX_DENSE) {
        /* Row-major X is X' in column-major: out = (X')' B, one DGEMM per
        ** block of rows, so that BLAS packs a block that is still in cache
        ** (one DGEMM over all rows packs X in a copy as large as X: two
        ** passes more over memory when k is small). */
        const int64_t nb = block_rows(p) * 4;
        for (int64_t i0 = 0; i0 < n; i0 += nb) {
            const int64_t m = n - i0 < nb ? n - i0 : nb;
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)k, (int)p, 1.0, X->val + i0 * p,
                        (int)p, B, (int)p, 0.0, out + i0, (int)n);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t l = 0; l < k; l++) {
            const double *b = B + l * p;
            double s = 0.0;
            for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) s += X->val[t] * b[X->colind[t]];
            out[l * n + i] = s;
        }
    }
}

void lariat_matrix_mult_t_multi(const lariat_matrix *X, const double *R, int64_t k, double *out)
{
    const int64_t n = X->rows, p = X->cols;
    memset(out, 0, (size_t)(p * k) * sizeof(double));
    if (n == 0 || k == 0) return;
    if (X->kind == MATRIX_DENSE) {
        const int64_t nb = block_rows(p) * 4;
        for (int64_t i0 = 0; i0 < n; i0 += nb) {
            const int64_t m = n - i0 < nb ? n - i0 : nb;
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)k, (int)m, 1.0, X->val + i0 * p,
                        (int)p, R + i0, (int)n, 1.0, out, (int)p);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t l = 0; l < k; l++) {
            const double r = R[l * n + i];
            double *o = out + l * p;
            for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) o[X->colind[t]] += X->val[t] * r;
        }
    }
}

/* The CSR fused pass's row loops for up to CSR_KW vectors on AVX2 and FMA:
** a row's k products build in four-lane accumulators (the vectors padded
** with zeros to w = 4, 8 or CSR_KW lanes, the fewest that hold k), and a
** stored entry's k gradient terms are w / 4 fused multiply-adds; one vector
** (a path's fit) runs on scalar fused multiply-adds. Every lane is the same
** sum at any width: two chains of fused multiply-adds, over a row's even
** and odd entries in row order, added at its end (one chain waited on each
** multiply-add's latency: on the sparse CV, perf gave the product loop 12%
** fewer samples with two, 2.25 s against 2.56 s). The width changes the
** traffic (a fit's vector padded to twelve lanes read twelve times the
** bytes; half its time was these loops), not the bits. */
#define CSR_KW 12
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSR_AVX2 __attribute__((target("avx2,fma")))
#define CSR_INLINE __attribute__((always_inline, target("avx2,fma"))) static inline
/* nv four-lane vectors a row (w = 4 nv), nv a constant where inlined. */
CSR_INLINE void csr_xb_lanes(const lariat_matrix *X, int64_t i0, int64_t m, const double *Bt, double *XB, int nv)
{
    const int64_t w = 4 * nv;
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        __m256d acc[CSR_KW / 4], acc2[CSR_KW / 4];
        for (int q = 0; q < nv; q++) acc[q] = acc2[q] = _mm256_setzero_pd();
        int64_t t = X->rowptr[i];
        const int64_t te = X->rowptr[i + 1];
        for (; t + 2 <= te; t += 2) {
            const __m256d v = _mm256_broadcast_sd(X->val + t), v2 = _mm256_broadcast_sd(X->val + t + 1);
            const double *b = Bt + (int64_t)X->colind[t] * w, *b2 = Bt + (int64_t)X->colind[t + 1] * w;
            for (int q = 0; q < nv; q++) {
                acc[q] = _mm256_fmadd_pd(v, _mm256_loadu_pd(b + 4 * q), acc[q]);
                acc2[q] = _mm256_fmadd_pd(v2, _mm256_loadu_pd(b2 + 4 * q), acc2[q]);
            }
        }
        if (t < te) {
            const __m256d v = _mm256_broadcast_sd(X->val + t);
            const double *b = Bt + (int64_t)X->colind[t] * w;
            for (int q = 0; q < nv; q++) acc[q] = _mm256_fmadd_pd(v, _mm256_loadu_pd(b + 4 * q), acc[q]);
        }
        for (int q = 0; q < nv; q++) _mm256_storeu_pd(XB + r * w + 4 * q, _mm256_add_pd(acc[q], acc2[q]));
    }
}

CSR_INLINE void csr_grad_lanes(const lariat_matrix *X, int64_t i0, int64_t m, const double *RB, double *Gt, int nv)
{
    const int64_t w = 4 * nv;
    /* Locals, as in csr_grad_512 (the vector stores may alias anything). */
    const int64_t *rowptr = X->rowptr;
    const int32_t *colind = X->colind;
    const double *val = X->val;
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        __m256d rv[CSR_KW / 4];
        for (int q = 0; q < nv; q++) rv[q] = _mm256_loadu_pd(RB + r * w + 4 * q);
        const int64_t te = rowptr[i + 1];
        for (int64_t t = rowptr[i]; t < te; t++) {
            const __m256d v = _mm256_broadcast_sd(val + t);
            double *o = Gt + (int64_t)colind[t] * w;
            for (int q = 0; q < nv; q++) {
                _mm256_storeu_pd(o + 4 * q, _mm256_fmadd_pd(v, rv[q], _mm256_loadu_pd(o + 4 * q)));
            }
        }
    }
}

static CSR_AVX2 void csr_xb1(const lariat_matrix *X, int64_t i0, int64_t m, const double *b, double *xb)
{
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        double acc = 0.0, acc2 = 0.0;
        int64_t t = X->rowptr[i];
        const int64_t te = X->rowptr[i + 1];
        for (; t + 2 <= te; t += 2) {
            acc = __builtin_fma(X->val[t], b[X->colind[t]], acc);
            acc2 = __builtin_fma(X->val[t + 1], b[X->colind[t + 1]], acc2);
        }
        if (t < te) acc = __builtin_fma(X->val[t], b[X->colind[t]], acc);
        xb[r] = acc + acc2;
    }
}

static CSR_AVX2 void csr_grad1(const lariat_matrix *X, int64_t i0, int64_t m, const double *rb, double *g)
{
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        const double v = rb[r];
        for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) {
            g[X->colind[t]] = __builtin_fma(X->val[t], v, g[X->colind[t]]);
        }
    }
}

/* The same rows on AVX-512 for w = 8 and CSR_KW: a row's lanes in one
** eight-lane vector and, for twelve, a four-lane one (2 FMAs an entry
** where AVX2 takes 3). Every lane is the same chain as csr_xb_lanes' and
** csr_grad_lanes', so the bits are AVX2's. */
#define CSR_AVX512_INLINE __attribute__((always_inline, target("avx512f,avx512vl,fma"))) static inline
CSR_AVX512_INLINE void csr_xb_512(const lariat_matrix *X, int64_t i0, int64_t m, const double *Bt, double *XB, int w)
{
    const int hi = w > 8; /* lanes 8 .. 11 too */
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        __m512d a = _mm512_setzero_pd(), a2 = _mm512_setzero_pd();
        __m256d h = _mm256_setzero_pd(), h2 = _mm256_setzero_pd();
        int64_t t = X->rowptr[i];
        const int64_t te = X->rowptr[i + 1];
        for (; t + 2 <= te; t += 2) {
            const double *b = Bt + (int64_t)X->colind[t] * w, *b2 = Bt + (int64_t)X->colind[t + 1] * w;
            a = _mm512_fmadd_pd(_mm512_set1_pd(X->val[t]), _mm512_loadu_pd(b), a);
            a2 = _mm512_fmadd_pd(_mm512_set1_pd(X->val[t + 1]), _mm512_loadu_pd(b2), a2);
            if (hi) {
                h = _mm256_fmadd_pd(_mm256_set1_pd(X->val[t]), _mm256_loadu_pd(b + 8), h);
                h2 = _mm256_fmadd_pd(_mm256_set1_pd(X->val[t + 1]), _mm256_loadu_pd(b2 + 8), h2);
            }
        }
        if (t < te) {
            const double *b = Bt + (int64_t)X->colind[t] * w;
            a = _mm512_fmadd_pd(_mm512_set1_pd(X->val[t]), _mm512_loadu_pd(b), a);
            if (hi) h = _mm256_fmadd_pd(_mm256_set1_pd(X->val[t]), _mm256_loadu_pd(b + 8), h);
        }
        _mm512_storeu_pd(XB + r * w, _mm512_add_pd(a, a2));
        if (hi) _mm256_storeu_pd(XB + r * w + 8, _mm256_add_pd(h, h2));
    }
}

CSR_AVX512_INLINE void csr_grad_512(const lariat_matrix *X, int64_t i0, int64_t m, const double *RB, double *Gt,
                                    int w)
{
    const int hi = w > 8;
    /* The arrays in locals: the stores below (may-alias vector types) would
    ** otherwise make the compiler read X's fields again for every entry. */
    const int64_t *rowptr = X->rowptr;
    const int32_t *colind = X->colind;
    const double *val = X->val;
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = i0 + r;
        const __m512d rv = _mm512_loadu_pd(RB + r * w);
        const __m256d rh = hi ? _mm256_loadu_pd(RB + r * w + 8) : _mm256_setzero_pd();
        const int64_t te = rowptr[i + 1];
        for (int64_t t = rowptr[i]; t < te; t++) {
            double *o = Gt + (int64_t)colind[t] * w;
            const double x = val[t];
            _mm512_storeu_pd(o, _mm512_fmadd_pd(_mm512_set1_pd(x), rv, _mm512_loadu_pd(o)));
            if (hi) _mm256_storeu_pd(o + 8, _mm256_fmadd_pd(_mm256_set1_pd(x), rh, _mm256_loadu_pd(o + 8)));
        }
    }
}

static __attribute__((target("avx512f,avx512vl,fma"))) void csr_xb_w512(const lariat_matrix *X, int64_t i0, int64_t m,
                                                                        const double *Bt, double *XB, int64_t w)
{
    if (w == 8) csr_xb_512(X, i0, m, Bt, XB, 8);
    else csr_xb_512(X, i0, m, Bt, XB, CSR_KW);
}

static __attribute__((target("avx512f,avx512vl,fma"))) void csr_grad_w512(const lariat_matrix *X, int64_t i0,
                                                                          int64_t m, const double *RB, double *Gt,
                                                                          int64_t w)
{
    if (w == 8) csr_grad_512(X, i0, m, RB, Gt, 8);
    else csr_grad_512(X, i0, m, RB, Gt, CSR_KW);
}

/* The rows' products and gradient terms at width w (1, 4, 8 or CSR_KW). */
static CSR_AVX2 void csr_xb_w(const lariat_matrix *X, int64_t i0, int64_t m, const double *Bt, double *XB, int64_t w)
{
    switch (w) {
    case 1: csr_xb1(X, i0, m, Bt, XB); break;
    case 4: csr_xb_lanes(X, i0, m, Bt, XB, 1); break;
    case 8: csr_xb_lanes(X, i0, m, Bt, XB, 2); break;
    default: csr_xb_lanes(X, i0, m, Bt, XB, 3); break;
    }
}

static CSR_AVX2 void csr_grad_w(const lariat_matrix *X, int64_t i0, int64_t m, const double *RB, double *Gt,
                                int64_t w)
{
    switch (w) {
    case 1: csr_grad1(X, i0, m, RB, Gt); break;
    case 4: csr_grad_lanes(X, i0, m, RB, Gt, 1); break;
    case 8: csr_grad_lanes(X, i0, m, RB, Gt, 2); break;
    default: csr_grad_lanes(X, i0, m, RB, Gt, 3); break;
    }
}

static int csr_avx2(void)
{
    static int has = -1;
    if (has < 0) has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

static int csr_avx512(void)
{
    static int has = -1;
    if (has < 0) has = csr_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    return has;
}
#else
static int csr_avx2(void) { return 0; }
static int csr_avx512(void) { return 0; }
static void csr_xb_w512(const lariat_matrix *X, int64_t i0, int64_t m, const double *Bt, double *XB, int64_t w)
{
    (void)X, (void)i0, (void)m, (void)Bt, (void)XB, (void)w;
}
static void csr_grad_w512(const lariat_matrix *X, int64_t i0, int64_t m, const double *RB, double *Gt, int64_t w)
{
    (void)X, (void)i0, (void)m, (void)RB, (void)Gt, (void)w;
}
static void csr_xb_w(const lariat_matrix *X, int64_t i0, int64_t m, const double *Bt, double *XB, int64_t w)
{
    (void)X, (void)i0, (void)m, (void)Bt, (void)XB, (void)w;
}
static void csr_grad_w(const lariat_matrix *X, int64_t i0, int64_t m, const double *RB, double *Gt, int64_t w)
{
    (void)X, (void)i0, (void)m, (void)RB, (void)Gt, (void)w;
}
#endif

/* lariat_matrix_fused_multi on CSR rows. The k vectors are transposed
** into Bt (p x w row-major) and the gradients summed in Gt (p x w
** row-major): a stored entry x_ij then meets its k values contiguous (one
** cache line holds eight), where column-major B and G sent each of its k
** products to a different line, p apart, and read the row's indices k
** times. Up to CSR_KW vectors on a CPU with AVX2 and FMA, w is 1, 4, 8 or
** CSR_KW and the rows run on csr_xb_w and csr_grad_w (the products then
** round as fused multiply-adds do), or at 8 and CSR_KW on their AVX-512
** forms where the CPU has it (isa: data/skinny.h's LARIAT_SKINNY_*, the
** same bits); otherwise w = k and each sum is taken in the order of the
** column-major loops (rows in order). */
static int fused_multi_csr(int isa, const lariat_matrix *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                           void *arg, double *G)
{
    const int64_t n = X->rows, p = X->cols, nb = 1024;
    const int wide = k <= CSR_KW && csr_avx2();
    const int avx512 = isa != LARIAT_SKINNY_AVX2 && csr_avx512();
    const int64_t w = !wide ? k : k == 1 ? 1 : k <= 4 ? 4 : k <= 8 ? 8 : CSR_KW;
    /* [Bt | Gt | XB | RB] on a cache line's boundary: rows of w = 8 values
    ** then lie on one line, and those of 12 start on a line or half way
    ** (from malloc's 16-byte boundary, every 64-byte load of them was split
    ** over two lines: about 3% of these loops' time on the sparse binomial
    ** CV, same bits). Bt's padded lanes past k, Gt and RB are zeroed (fn
    ** writes only the first k of a row; the products fill XB). */
    const size_t len = (size_t)(2 * (p + nb) * w), bytes = (len * sizeof(double) + 63) & ~(size_t)63;
    double *mem = aligned_alloc(64, bytes);
    if (mem == NULL) return LARIAT_ENOMEM;
    double *Bt = mem, *Gt = Bt + p * w, *XB = Gt + p * w, *RB = XB + nb * w;
    if (w > k) memset(Bt, 0, (size_t)(p * w) * sizeof(double));
    memset(Gt, 0, (size_t)(p * w) * sizeof(double));
    memset(RB, 0, (size_t)(nb * w) * sizeof(double));
    for (int64_t l = 0; l < k; l++) {
        for (int64_t j = 0; j < p; j++) Bt[j * w + l] = B[l * p + j];
    }
    for (int64_t i0 = 0; i0 < n; i0 += nb) {
        const int64_t m = n - i0 < nb ? n - i0 : nb;
        if (wide && w >= 8 && avx512) {
            csr_xb_w512(X, i0, m, Bt, XB, w);
            fn(arg, i0, m, XB, RB, w);
            csr_grad_w512(X, i0, m, RB, Gt, w);
            continue;
        }
        if (wide) {
            csr_xb_w(X, i0, m, Bt, XB, w);
            fn(arg, i0, m, XB, RB, w);
            csr_grad_w(X, i0, m, RB, Gt, w);
            continue;
        }
        for (int64_t r = 0; r < m; r++) {
            const int64_t i = i0 + r;
            double *xb = XB + r * k;
            for (int64_t l = 0; l < k; l++) xb[l] = 0.0;
            for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) {
                const double v = X->val[t], *b = Bt + (int64_t)X->colind[t] * k;
                for (int64_t l = 0; l < k; l++) xb[l] += v * b[l];
            }
        }
        fn(arg, i0, m, XB, RB, k);
        for (int64_t r = 0; r < m; r++) {
            const int64_t i = i0 + r;
            const double *rb = RB + r * k;
            for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) {
                const double v = X->val[t];
                double *o = Gt + (int64_t)X->colind[t] * k;
                for (int64_t l = 0; l < k; l++) o[l] += v * rb[l];
            }
        }
    }
    for (int64_t l = 0; l < k; l++) {
        for (int64_t j = 0; j < p; j++) G[l * p + j] = Gt[j * w + l];
    }
    free(mem);
    return LARIAT_OK;
}

int lariat_matrix_fused_multi_csr_isa(int isa, const lariat_matrix *X, const double *B, int64_t k,
                                      lariat_matrix_blockfn fn, void *arg, double *G)
{
    if (X->kind != MATRIX_CSR || k < 1 || k > CSR_KW || !csr_avx2()) return 0;
    if (isa == LARIAT_SKINNY_AVX512 && !csr_avx512()) return 0;
    memset(G, 0, (size_t)(X->cols * k) * sizeof(double));
    if (X->rows == 0) return 1;
    return fused_multi_csr(isa, X, B, k, fn, arg, G) == LARIAT_OK;
}

int lariat_matrix_fused_multi(const lariat_matrix *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                              void *arg, double *G)
{
    const int64_t n = X->rows, p = X->cols;
    /* Few vectors on dense rows: our own kernels (data/skinny.h). */
    if (X->kind == MATRIX_DENSE && lariat_skinny_fused(n, p, X->val, B, k, fn, arg, G)) return LARIAT_OK;
    memset(G, 0, (size_t)(p * k) * sizeof(double));
    if (n == 0 || k == 0) return LARIAT_OK;
    if (X->kind == MATRIX_CSR) return fused_multi_csr(LARIAT_SKINNY_BEST, X, B, k, fn, arg, G);
    const int64_t nb = block_rows(p) * 4;
    double *XB = malloc((size_t)(nb * k) * sizeof(double)), *RB = malloc((size_t)(nb * k) * sizeof(double));
    if (XB == NULL || RB == NULL) {
        free(XB);
        free(RB);
        return LARIAT_ENOMEM;
    }
    /* Dense rows: B (p x k column-major) is k x p row-major, so per block
    ** XB = X_blk B' and G' (k x p row-major) += RB' X_blk. */
    for (int64_t i0 = 0; i0 < n; i0 += nb) {
        const int64_t m = n - i0 < nb ? n - i0 : nb;
        const double *Xb = X->val + i0 * p;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)p, 1.0, Xb, (int)p, B, (int)p, 0.0,
                    XB, (int)k);
        fn(arg, i0, m, XB, RB, k);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)p, (int)m, 1.0, RB, (int)k, Xb, (int)p, 1.0,
                    G, (int)p);
    }
    free(XB);
    free(RB);
    return LARIAT_OK;
}

/* One set's full buffer of m rows B (already diag(sqrt w)(x - shift)) and
** v = [sqrt w | sqrt w .* yc] into its sums: one SYRK into sxx and one
** DGEMV of B' with each half of v for sx and sxy. */
static void moments_flush(int64_t p, int64_t m, int64_t nb, const double *B, const double *v, double *set)
{
    double *sx = set + 4, *sxy = set + 4 + p, *sxx = set + 4 + 2 * p;
    lariat_syrk_upper(p, m, B, p, sxx, p);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0, B, (int)p, v, 1, 1.0, sx, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0, B, (int)p, v + nb, 1, 1.0, sxy, 1);
}

/* moments_flush in single precision: one SYRK and two SGEMV into the
** scratch (p^2 + 2p floats), then added to the set's doubles (sxx full, or
** its upper triangle packed by rows). */
static void moments_flush_single(int64_t p, int64_t m, int64_t nb, const float *B, const float *v, double *set,
                                 int packed, float *scratch)
{
    double *sx = set + 4, *sxy = set + 4 + p, *sxx = set + 4 + 2 * p;
    float *c = scratch, *cx = scratch + p * p, *cxy = cx + p;
    memset(c, 0, (size_t)(p * p) * sizeof(float));
    lariat_ssyrk_upper(p, m, B, p, c, p);
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0f, B, (int)p, v, 1, 0.0f, cx, 1);
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0f, B, (int)p, v + nb, 1, 0.0f, cxy, 1);
    for (int64_t j = 0; j < p; j++) {
        sx[j] += cx[j];
        sxy[j] += cxy[j];
        /* Row j's upper part: from (j, j) at j p (full) or at j p - j (j - 1) / 2 (packed). */
        double *row = sxx + (packed ? j * p - j * (j - 1) / 2 : j * p + j);
        const float *cr = c + j * p + j;
        for (int64_t l = 0; l < p - j; l++) row[l] += cr[l];
    }
}

/* Set k's buffer (of m rows) in B and v into its sums, in the precision asked. */
static void flush(int64_t p, int64_t m, int64_t nb, const void *B, const void *v, int k, int single, int packed,
                  float *scratch, double *set)
{
    if (single) {
        moments_flush_single(p, m, nb, (const float *)B + (int64_t)k * nb * p, (const float *)v + (int64_t)k * 2 * nb,
                             set, packed, scratch);
    } else {
        moments_flush(p, m, nb, (const double *)B + (int64_t)k * nb * p, (const double *)v + (int64_t)k * 2 * nb, set);
    }
}

static void center_row_f(const double *x, const double *shift, double sw, int64_t p, float *b)
{
    if (has_avx512()) {
        center_row_f_avx512(x, shift, sw, p, b);
        return;
    }
    for (int64_t j = 0; j < p; j++) b[j] = (float)(sw * (x[j] - shift[j]));
}

/* The rows per set buffer of lariat_matrix_moments_by_set (SYRK wants
** taller blocks than the sweep). */
static int64_t moments_rows(int64_t p) { return block_rows(p) * 4; }

size_t lariat_matrix_moments_ws_bytes(int64_t p, int K)
{
    const int64_t nb = moments_rows(p);
    return (size_t)K * (size_t)(nb * p + 2 * nb) * sizeof(double) + (size_t)(p * p + 2 * p) * sizeof(float) +
           (size_t)K * sizeof(int64_t);
}

/* X is read once, in memory order (a gather of each set's rows defeats the
** hardware prefetcher and cost twice the time): each row is centered,
** weighted and copied into its set's buffer, and a full buffer goes to
** moments_flush. The per-entry work is one subtraction, one product and the
** range test; the flops are one SYRK of all rows (single precision twice
** as fast, on rows rounded to float). */
int lariat_matrix_moments_by_set(lariat_ctx *ctx, const lariat_matrix *X, const int *set_of, int K, const double *w,
                                 const double *y, const double *shift, double yshift, int single, int packed,
                                 void *ws, double *sets, double *ranges)
{
    const int64_t p = X->cols, L = packed ? 4 + 2 * p + p * (p + 1) / 2 : 4 + 2 * p + p * p;
    if (X->kind != MATRIX_DENSE) return lariat_error(ctx, LARIAT_EUSAGE, "row moments need dense storage");
    if (packed && !single) return lariat_error(ctx, LARIAT_EUSAGE, "packed row moments are single precision only");
    const int64_t nb = moments_rows(p);
    void *own = NULL;
    if (ws == NULL) {
        ws = own = lariat_malloc(ctx, lariat_matrix_moments_ws_bytes(p, K), 1, "row moments workspace");
        if (ws == NULL) return LARIAT_ENOMEM;
    }
    /* The workspace: the fill counts (K), then B (K nb p) and v (K 2 nb) in
    ** doubles or floats, then the single-precision scratch. */
    const size_t elem = single ? sizeof(float) : sizeof(double);
    int64_t *fill = ws;
    char *B = (char *)(fill + K), *v = B + (size_t)(K * nb * p) * elem;
    float *scratch = (float *)(v + (size_t)(K * 2 * nb) * elem);
    memset(fill, 0, (size_t)K * sizeof(int64_t));
    for (int64_t i = 0; i < X->rows; i++) {
        if (set_of[i] <= 0) continue;
        const int k = set_of[i] - 1;
        double *set = sets + k * L;
        const int64_t r = fill[k]++;
        const double wi = w[i], yc = y[i] - yshift, sw = sqrt(wi);
        const double *x = X->val + i * p;
        set[0] += wi;
        set[1] += wi > 0;
        set[2] += wi * yc;
        set[3] += wi * yc * yc;
        if (single) {
            float *vk = (float *)v + (int64_t)k * 2 * nb, *b = (float *)B + ((int64_t)k * nb + r) * p;
            vk[r] = (float)sw;
            vk[nb + r] = (float)(sw * yc);
            center_row_f(x, shift, sw, p, b);
        } else {
            double *vk = (double *)v + (int64_t)k * 2 * nb, *b = (double *)B + ((int64_t)k * nb + r) * p;
            vk[r] = sw;
            vk[nb + r] = sw * yc;
            for (int64_t j = 0; j < p; j++) b[j] = sw * (x[j] - shift[j]);
        }
        if (wi > 0 && ranges != NULL) {
            /* Plain comparisons (not fmax) so that the loop vectorizes; the
            ** readers admit no NaN. */
            double *nmin = ranges + (int64_t)k * 2 * p, *max = nmin + p;
            for (int64_t j = 0; j < p; j++) {
                nmin[j] = -x[j] > nmin[j] ? -x[j] : nmin[j];
                max[j] = x[j] > max[j] ? x[j] : max[j];
            }
        }
        if (fill[k] == nb) {
            flush(p, nb, nb, B, v, k, single, packed, scratch, set);
            fill[k] = 0;
        }
    }
    for (int k = 0; k < K; k++) {
        if (fill[k] > 0) flush(p, fill[k], nb, B, v, k, single, packed, scratch, sets + k * L);
    }
    free(own);
    return LARIAT_OK;
}

/* Rows per block of lariat_matrix_gram_cols (dense): the centered weighted
** copy of k columns of a block is GRAM_COLS_ROWS x k doubles. */
#define GRAM_COLS_ROWS 2048

/* Dense: per block of rows, B = diag(w)(X_blk[:, idx] - 1 shift_idx') is
** gathered row by row (each row's k entries are read while the row is in
** cache), then out += X_blk' B: linalg/gemm_tn.h's kernel where the CPU has
** AVX-512 (B row-major), else one DGEMM (column-major: X_blk is a cols x m
** matrix with leading dimension cols, B m x k). The shift of the other
** factor enters once at the end: (X - 1 s')' B = X'B - s (1'B).
** CSR: S = X' W X[:, idx] from the stored entries of each row that holds
** some of the k columns, then
**   out[:, t] = S[:, t] - s bw_t - a s_t + W s s_t,
** with a = X'w, bw_t = sum_i w_i x_{i,idx[t]} and W = sum w. */
int lariat_matrix_gram_cols(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift,
                            const int64_t *idx, int64_t k, double *out)
{
    const int64_t p = X->cols;
    memset(out, 0, (size_t)(p * k) * sizeof(double));
    if (k == 0) return LARIAT_OK;
    if (!lariat_blas_fits(k, GRAM_COLS_ROWS)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "too many Gram columns at once (%lld)", (long long)k);
    }
    double *bsum = lariat_calloc(ctx, (size_t)k, sizeof(double), "Gram column sums");
    if (bsum == NULL) return LARIAT_ENOMEM;
    if (X->kind == MATRIX_DENSE) {
        /* No taller than the rows: the callers pass tiles of 128 rows and
        ** more, and a block of GRAM_COLS_ROWS would be fresh memory (a
        ** fault a page) on every call, its columns 16 KB apart. */
        const int64_t nb = X->rows < GRAM_COLS_ROWS ? (X->rows > 0 ? X->rows : 1) : GRAM_COLS_ROWS;
        double *B = lariat_malloc(ctx, (size_t)(nb * k), sizeof(double), "Gram columns block");
        if (B == NULL) {
            free(bsum);
            return LARIAT_ENOMEM;
        }
        /* B row-major for the kernel (stride k between rows), column-major
        ** for DGEMM (stride nb between columns). */
        const int own = lariat_gemm_tn_available();
        const int64_t row_step = own ? k : 1, col_step = own ? 1 : nb;
        for (int64_t i0 = 0; i0 < X->rows; i0 += nb) {
            const int64_t m = X->rows - i0 < nb ? X->rows - i0 : nb;
            for (int64_t i = 0; i < m; i++) {
                const double *x = X->val + (i0 + i) * p;
                const double wi = w[i0 + i];
                for (int64_t t = 0; t < k; t++) {
                    const double b = wi * (x[idx[t]] - (shift != NULL ? shift[idx[t]] : 0.0));
                    B[i * row_step + t * col_step] = b;
                    bsum[t] += b;
                }
            }
            if (own) {
                lariat_gemm_tn(m, p, k, X->val + i0 * p, p, B, out, p);
            } else {
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)k, (int)m, 1.0, X->val + i0 * p,
                            (int)p, B, (int)nb, 1.0, out, (int)p);
            }
        }
        free(B);
        if (shift != NULL) {
            for (int64_t t = 0; t < k; t++) cblas_daxpy((int)p, -bsum[t], shift, 1, out + t * p, 1);
        }
        free(bsum);
        return LARIAT_OK;
    }
    /* CSR. pos[j] = t when column j is idx[t], else -1; hit and hv list the
    ** row's entries in the k columns. */
    int64_t *pos = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "Gram column positions");
    int64_t *hit = lariat_malloc(ctx, (size_t)k, sizeof(int64_t), "Gram column hits");
    double *hv = lariat_malloc(ctx, (size_t)k, sizeof(double), "Gram column values");
    double *a = shift != NULL ? lariat_calloc(ctx, (size_t)p, sizeof(double), "Gram column correction") : NULL;
    int rc = (pos && hit && hv && (shift == NULL || a)) ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        for (int64_t j = 0; j < p; j++) pos[j] = -1;
        for (int64_t t = 0; t < k; t++) pos[idx[t]] = t;
        double W = 0.0;
        for (int64_t i = 0; i < X->rows; i++) {
            const double wi = w[i];
            int64_t nh = 0;
            W += wi;
            for (int64_t e = X->rowptr[i]; e < X->rowptr[i + 1]; e++) {
                const int64_t j = X->colind[e];
                if (a != NULL) a[j] += wi * X->val[e];
                if (pos[j] >= 0) {
                    hit[nh] = pos[j];
                    hv[nh++] = wi * X->val[e];
                }
            }
            for (int64_t h = 0; h < nh; h++) {
                double *o = out + hit[h] * p;
                bsum[hit[h]] += hv[h];
                for (int64_t e = X->rowptr[i]; e < X->rowptr[i + 1]; e++) o[X->colind[e]] += hv[h] * X->val[e];
            }
        }
        if (shift != NULL) {
            for (int64_t t = 0; t < k; t++) {
                const double st = shift[idx[t]];
                double *o = out + t * p;
                for (int64_t j = 0; j < p; j++) o[j] += -shift[j] * bsum[t] - a[j] * st + W * shift[j] * st;
            }
        }
    }
    free(pos);
    free(hit);
    free(hv);
    free(a);
    free(bsum);
    return rc;
}

void lariat_matrix_get_row(const lariat_matrix *X, int64_t i, double *out)
{
    if (X->kind == MATRIX_DENSE) {
        memcpy(out, X->val + i * X->cols, (size_t)X->cols * sizeof(double));
        return;
    }
    memset(out, 0, (size_t)X->cols * sizeof(double));
    for (int64_t k = X->rowptr[i]; k < X->rowptr[i + 1]; k++) out[X->colind[k]] = X->val[k];
}
