/*
** The design matrix: this rank's rows of X behind one small interface, stored
** dense row-major or as CSR. Solvers ask it for products, Gram blocks and
** column statistics and never look inside, so a new storage layout touches
** only this module.
**
** All functions are Not collective: they work on local rows only; callers sum
** the results across ranks.
**
** Centering: several operations take a `shift` vector (length cols, or NULL
** for zero) and act on (X - 1 shift') without forming it, so that sparse
** storage stays sparse and the Gram of centered data avoids the cancellation
** of X'WX - W m m' where the storage allows (dense).
*/
#ifndef LARIAT_MATRIX_H
#define LARIAT_MATRIX_H

#include "lariat.h"

#include "core/filemap.h"

#include <stdint.h>

/* The fields are private to matrix.c; the type is complete here only so
** that row views (below) can live on the stack. */
typedef enum { MATRIX_DENSE, MATRIX_CSR } lariat_matrix_kind; /* internal header: short names */
struct lariat_matrix {
    lariat_matrix_kind kind;
    int64_t rows, cols;
    double *val;     /* dense: rows*cols row-major; CSR: the values */
    int64_t *rowptr; /* CSR only: rows + 1 offsets into val and colind (absolute: a
                        row view's first offset need not be 0) */
    int32_t *colind; /* CSR only: column indices */
    lariat_file_map map; /* dense only: the read-only mapping val lies in, or
                            zeroed when val was malloc'ed (lariat_matrix_wrap_mapped) */
};

/* Takes ownership of val (rows * cols doubles, row-major, malloc'ed). */
int lariat_matrix_wrap_dense(lariat_ctx *ctx, int64_t rows, int64_t cols, double *val,
                             lariat_matrix **out);
/* Takes ownership of rowptr (rows + 1), colind and val (rowptr[rows] each);
** column indices 0-based and strictly increasing within a row. */
int lariat_matrix_wrap_csr(lariat_ctx *ctx, int64_t rows, int64_t cols, int64_t *rowptr,
                           int32_t *colind, double *val, lariat_matrix **out);
/* Takes ownership of *map (core/filemap.h), a read-only mapping of a file
** holding the rows * cols doubles at val, row-major; destroy unmaps it. The
** values must not be written: code that would change them in place calls
** lariat_matrix_own_values first. On failure the mapping is unmapped. */
int lariat_matrix_wrap_mapped(lariat_ctx *ctx, int64_t rows, int64_t cols, const double *val, lariat_file_map *map,
                              lariat_matrix **out);
/* Not collective. Makes X's values a malloc'ed copy when they lie in a
** mapped file (a no-op otherwise), so that they may be changed, moved or
** realloc'ed. Returns LARIAT_ENOMEM (X unchanged) if the copy cannot be had. */
int lariat_matrix_own_values(lariat_ctx *ctx, lariat_matrix *X);
void lariat_matrix_destroy(lariat_matrix *X);

/* Not collective. Rows [i0, i0 + m) of X as a matrix of their own that shares
** X's storage: valid while X lives, never destroyed. Every operation below
** works on it as on X (the per-tile passes of data/tiles.h). */
lariat_matrix lariat_matrix_row_view(const lariat_matrix *X, int64_t i0, int64_t m);

int64_t lariat_matrix_rows(const lariat_matrix *X);
int64_t lariat_matrix_cols(const lariat_matrix *X);
int64_t lariat_matrix_nnz(const lariat_matrix *X);   /* rows*cols when dense */
int lariat_matrix_is_sparse(const lariat_matrix *X);
size_t lariat_matrix_bytes(const lariat_matrix *X);  /* memory held */

/* out[i] = (x_i - shift)'v, i < rows (overwrites out). */
void lariat_matrix_mult(const lariat_matrix *X, const double *shift, const double *v, double *out);
/* out[j] = sum_i r_i (x_ij - shift_j), j < cols (overwrites out). */
void lariat_matrix_mult_t(const lariat_matrix *X, const double *shift, const double *r, double *out);

/* G (cols x cols, row-major, both triangles) = (X - 1 shift')' diag(w) (X - 1 shift').
** Overwrites G. w has rows entries (>= 0). Returns LARIAT_ENOMEM if its
** small scratch buffer cannot be had (message in ctx). */
int lariat_matrix_gram(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift,
                       double *G);

/* CSR only. The raw (uncentred) weighted products of X's rows, with the
** upper triangle packed by rows (entry (j, l), l >= j, at j p - j (j - 1) / 2
** + l - j), in the layout [sum_i w_i x_i x_i' (p (p + 1) / 2) | sum_i w_i x_i
** (p) | sum_i w_i]: part receives the packed rows j0 <= j < j1 (overwritten,
** from part[0]), and when j1 = p the column sums and the weight sum after
** them; every entry a sum in row order, the same whatever rows are asked
** for (so a triangle made in pieces, to bound the memory of its sums,
** equals one made whole). Only stored entries are multiplied, and the
** triangle is written one packed row at a time (the block's entries in the
** asked columns gathered by column first), so that the scattered additions
** stay within one row of at most p doubles: row by row over X, they spread
** over the whole triangle (a binomial curvature on 100,000 x 2,000 rows at
** 1% took 0.19-0.20 s so, 0.16-0.17 s now). Centring about c afterwards,
** G - c s1' - s1 c' + W c c' and s1 - W c, is one p^2 / 2 pass for all the
** blocks of rows together (a dense p x p centring per block cost more than
** its products: lariat_matrix_gram). skip (NULL, or one count a row) holds
** how many of each row's entries lie before column j0, and is advanced to
** j1: pieces asked for in order then find their entries without reading
** the rows' earlier ones again (NULL: each row's first entry in column j0
** or after is found by bisection).
** Returns LARIAT_ENOMEM if its scratch (three arrays of j1 - j0 + 1 or nnz
** integers) cannot be had. */
int lariat_matrix_gram_packed_csr(lariat_ctx *ctx, const lariat_matrix *X, const double *w, int64_t j0, int64_t j1,
                                  int32_t *skip, double *part);

/* CSR only. The weighted products of X's rows in fixed point, added into
** the packed rows j0 <= j < j1 of the upper triangle (packed by rows as
** lariat_matrix_gram_packed_csr's: entry (j, l), l >= j, at j p - j (j -
** 1) / 2 + l - j, here less that of (j0, j0)): for each row i and each
** pair of its stored entries j <= l, j in [j0, j1), the term
**   s = ((w_i wscale) (x_ij colscale_j)) (x_il colscale_l)
** is added as its nearest integer to hi (split 0: lo unused), or in two
** limbs (split > 0; |s| < 2^(51 + split)), h = nearest(s / 2^split) to hi
** and the nearest integer to s - h 2^split (s's bits below 2^split, exact)
** to lo, for sums finer than one 64-bit integer holds. Integer sums do not depend on
** their order, so any split of the rows over ranks, added up, gives the
** same integers (data/stats.c chooses the scales so that no sum
** overflows). skip is as lariat_matrix_gram_packed_csr's (NULL: each row's
** entries from column j0 are found by bisection). Returns LARIAT_ENOMEM if
** its scratch (8 bytes an entry of up to 2^20 entries, and j1 - j0 + 1
** integers) cannot be had (message in ctx). */
int lariat_matrix_gram_fixed_csr(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double wscale,
                                 const double *colscale, int64_t j0, int64_t j1, int split, int32_t *skip,
                                 int64_t *hi, int64_t *lo);

/* Weighted column sums: s1[j] = sum_i w_i (x_ij - shift_j),
** s2[j] = sum_i w_i (x_ij - shift_j)^2 (overwrite). Returns LARIAT_ENOMEM
** if its scratch (CSR only) cannot be had. */
int lariat_matrix_colstats(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift,
                           double *s1, double *s2);

/* lo[j] = min and hi[j] = max of column j over the rows with w_i > 0,
** implicit zeros of CSR rows included (overwrite); +inf / -inf when no row has
** positive weight. Returns LARIAT_ENOMEM if its scratch (CSR only) cannot be had. */
int lariat_matrix_colrange(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double *lo, double *hi);

/* xw = X'w and lariat_matrix_colrange's lo and hi (all three overwritten):
** on dense rows in one pass that reads each row once, each column's sum a
** chain of fused multiply-adds in row order (the same bits on any CPU with
** FMA); on CSR rows lariat_matrix_mult_t then lariat_matrix_colrange. */
int lariat_matrix_wsum_range(lariat_ctx *ctx, const lariat_matrix *X, const double *w, double *xw, double *lo,
                             double *hi);

/* The fused residual-gradient sweep (one pass over the rows), for
** first-order solvers: with r_i = y_i - c - (x_i - shift)'d and q_i = w_i r_i,
**   g[j] = sum_i q_i (x_ij - shift_j)       (overwrites g, cols entries)
**   sums[0] = sum_i w_i r_i^2,  sums[1] = sum_i q_i,  sums[2] = sum_i q_i y_i.
** r (rows entries) receives the residuals when not NULL. */
void lariat_matrix_resid_grad(const lariat_matrix *X, const double *shift, const double *d, double c,
                              const double *y, const double *w, double *r, double *g, double sums[3]);

/* Predictions of several coefficient vectors on a subset of rows:
** out[r * k + l] = x_{rows[r]}' B[:, l] for r < nrows, l < k, with B p x k
** row-major (column l is one coefficient vector). Dense storage gathers the
** rows in blocks and uses one DGEMM per block. Returns LARIAT_ENOMEM if its
** block buffer cannot be had. */
int lariat_matrix_mult_rows(lariat_ctx *ctx, const lariat_matrix *X, const int64_t *rows, int64_t nrows,
                            const double *B, int64_t k, double *out);

/* Products with several vectors at once, for solvers that advance several
** models on the same rows together: a pass over X then serves them all, and
** on dense storage it is one DGEMM (compute-bound) where one DGEMV per
** model would be bound by memory bandwidth. Column-major blocks:
**   mult_multi:   out[l rows + i] = x_i' B[l cols .. l cols + cols - 1],
**   mult_t_multi: out[l cols + j] = sum_i x_ij R[l rows + i],
** for l < k (overwrite out). No centering: callers shift with column sums. */
void lariat_matrix_mult_multi(const lariat_matrix *X, const double *B, int64_t k, double *out);
void lariat_matrix_mult_t_multi(const lariat_matrix *X, const double *R, int64_t k, double *out);

/* The fused pass of several models' steps: block by block of rows (a block
** of X stays in cache between its two products), for l < k,
**   XB[r ld + l] = x_{i0+r}' B[l cols ..]        (r < m: the block's rows),
**   fn(arg, i0, m, XB, RB, ld)                   (the caller's work on rows
**                                                 i0 .. i0 + m - 1, which fills
**                                                 RB[r ld + l] from XB),
**   G[l cols + j] += sum_r x_{i0+r,j} RB[r ld + l],
** with G overwritten first. One pass over X for both products; XB and RB are
** the pass's own block buffers (row-major, ld >= k), so that the k vectors'
** products and residuals never go through arrays as long as X. Dense rows
** and few vectors run on kernels of our own (data/skinny.h), the others on
** BLAS (dense) or loops (CSR). Returns LARIAT_ENOMEM if the block buffers
** of the latter cannot be had. */
typedef void (*lariat_matrix_blockfn)(void *arg, int64_t i0, int64_t m, const double *XB, double *RB, int64_t ld);
int lariat_matrix_fused_multi(const lariat_matrix *X, const double *B, int64_t k, lariat_matrix_blockfn fn,
                              void *arg, double *G);

/* Not collective. lariat_matrix_fused_multi on CSR rows through the kernels
** isa (data/skinny.h's LARIAT_SKINNY_AVX2 or LARIAT_SKINNY_AVX512, which give
** the same bits): 1 when done; 0 when X is not CSR, k is not 1 to 12 or
** the CPU lacks the kernels (G untouched), or when memory for the pass's
** buffers ran out (the tests compare the two kernels). */
int lariat_matrix_fused_multi_csr_isa(int isa, const lariat_matrix *X, const double *B, int64_t k,
                                      lariat_matrix_blockfn fn, void *arg, double *G);

/* Not collective. The sufficient statistics of K sets of rows (data/stats.h's
** layout, added to sets, K of LARIAT_STATS_LEN(p) doubles, and ranges, K of
** 2p): row i belongs to set set_of[i] in 1..K (0: none). With b_i = x_i -
** shift and yc_i = y_i - yshift, for each set:
**   set[0] += sum w, set[1] += rows with w > 0, set[2] += sum w yc,
**   set[3] += sum w yc^2, sx += sum w b, sxy += sum w b yc, sxx += sum w b b'
** (upper triangle only: the caller mirrors it), and range = [-min | max] over
** rows with w > 0 (ranges NULL: not computed). single: the products in
** single precision (about 7 digits, for approximations such as a Newton
** curvature; the counts and weight sums stay exact). packed (single only,
** else LARIAT_EUSAGE): each set is LARIAT_STATS_PACKED_LEN(p) doubles, sxx
** its upper triangle row by row (data/stats.c's tile sums carry that form:
** filling it directly spares them clearing and copying the full sets, the
** same bits). One pass over X in memory order. Dense storage only
** (LARIAT_EUSAGE for CSR). ws: lariat_matrix_moments_ws_bytes(p, K) bytes
** of workspace, aligned as malloc's (a caller that calls it tile by tile
** keeps one: a fresh one at every tile cost the lockstep CV about 2%,
** medians of three alternated runs), or NULL:
** allocated here, and LARIAT_ENOMEM if it cannot be had. */
int lariat_matrix_moments_by_set(lariat_ctx *ctx, const lariat_matrix *X, const int *set_of, int K, const double *w,
                                 const double *y, const double *shift, double yshift, int single, int packed,
                                 void *ws, double *sets, double *ranges);

/* Bytes of lariat_matrix_moments_by_set's workspace for p columns and K sets. */
size_t lariat_matrix_moments_ws_bytes(int64_t p, int K);

/* Columns of the centered weighted Gram for the k column indices in idx:
**   out[t * cols + j] = sum_i w_i (x_ij - shift_j)(x_{i,idx[t]} - shift_{idx[t]}),
** j < cols, t < k (column t of the result is contiguous; overwrites out;
** shift NULL = 0). Dense storage: one DGEMM of X' with a centered,
** weighted copy of the k columns per block of rows; CSR: products of stored
** entries, then the centering from column sums. Returns LARIAT_ENOMEM if
** its scratch cannot be had. */
int lariat_matrix_gram_cols(lariat_ctx *ctx, const lariat_matrix *X, const double *w, const double *shift,
                            const int64_t *idx, int64_t k, double *out);

/* Copies row i into out (cols doubles, dense). */
void lariat_matrix_get_row(const lariat_matrix *X, int64_t i, double *out);

#endif /* LARIAT_MATRIX_H */
