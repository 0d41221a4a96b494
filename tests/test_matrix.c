/*
** The design-matrix kernels: dense and CSR storage of the same rows agree
** with each other and with naive loops, with and without a shift.
*/
#include "data/matrix.h"
#include "data/skinny.h"
#include "data/stats.h"
#include "data/tiles.h"
#include "harness.h"
#include "linalg/blas.h"
#include "linalg/cd_update.h"
#include "linalg/gemm_tn.h"
#include "linalg/syrk.h"
#include "testdata.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same local rows as dense and as CSR, and the raw array. */
typedef struct pair {
    lariat_data *dense, *sparse;
    double *X; /* n_local x p */
} pair;

static pair make_pair(int64_t n, int64_t p, double density)
{
    lt_spec s = {.n = n, .p = p, .seed = 11, .corr = 0.3, .weighted = 1, .density = density, .offset = 0.7};
    pair pr;
    pr.sparse = lt_make_data(&s);
    s.density = 0.0;
    pr.dense = lt_make_data(&s); /* dense of different entries: rebuild from the sparse rows */
    int64_t nl = pr.sparse->n_local;
    pr.X = calloc((size_t)(nl * p + 1), sizeof(double));
    for (int64_t i = 0; i < nl; i++) lariat_matrix_get_row(pr.sparse->X, i, pr.X + i * p);
    lariat_matrix_destroy(pr.dense->X);
    double *copy = malloc((size_t)(nl * p + 1) * sizeof(double));
    memcpy(copy, pr.X, (size_t)(nl * p) * sizeof(double));
    lariat_matrix_wrap_dense(lt_ctx(), nl, p, copy, &pr.dense->X);
    memcpy(pr.dense->w, pr.sparse->w, (size_t)nl * sizeof(double));
    memcpy(pr.dense->y, pr.sparse->y, (size_t)nl * sizeof(double));
    return pr;
}

static void free_pair(pair *pr)
{
    lariat_data_destroy(pr->dense);
    lariat_data_destroy(pr->sparse);
    free(pr->X);
}

/* Not collective. lariat_matrix_resid_grad on M (whose rows are the
** n_local x p array X) against naive loops: r, g and the three sums. */
static int sweep_ok(const lariat_matrix *M, const double *X, int64_t nl, int64_t p, const double *shift,
                    const double *v, const double *y, const double *w)
{
    int ok = 1;
    double sums[3], c = 0.25;
    double *r = malloc((size_t)(nl + 1) * sizeof(double)), *g = malloc((size_t)p * sizeof(double));
    lariat_matrix_resid_grad(M, shift, v, c, y, w, r, g, sums);
    double rr = 0, qs = 0, qy = 0;
    for (int64_t i = 0; i < nl; i++) {
        double z = 0;
        for (int64_t j = 0; j < p; j++) z += (X[i * p + j] - shift[j]) * v[j];
        double ri = y[i] - c - z;
        ok &= fabs(r[i] - ri) <= 1e-12 * (1 + fabs(ri));
        rr += w[i] * ri * ri;
        qs += w[i] * ri;
        qy += w[i] * ri * y[i];
    }
    ok &= fabs(sums[0] - rr) <= 1e-10 * (1 + rr) && fabs(sums[1] - qs) <= 1e-10 * (1 + fabs(qs)) &&
          fabs(sums[2] - qy) <= 1e-10 * (1 + fabs(qy));
    for (int64_t j = 0; j < p; j++) {
        double s = 0;
        for (int64_t i = 0; i < nl; i++) s += w[i] * r[i] * (X[i * p + j] - shift[j]);
        ok &= fabs(g[j] - s) <= 1e-10 * (1 + fabs(s));
    }
    free(r);
    free(g);
    return ok;
}

static void check_kernels(int64_t n, int64_t p, double density)
{
    pair pr = make_pair(n, p, density);
    const int64_t nl = pr.dense->n_local;
    const double *X = pr.X, *w = pr.dense->w, *y = pr.dense->y;
    double *shift = malloc((size_t)p * sizeof(double)), *v = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        shift[j] = 0.1 * (double)j - 0.3;
        v[j] = sin((double)j + 1.0);
    }
    int ok = 1;
    const lariat_matrix *M[2] = {pr.dense->X, pr.sparse->X};
    for (int k = 0; k < 2; k++) {
        CU_ASSERT_EQUAL(lariat_matrix_is_sparse(M[k]), k);
        /* mult and mult_t against naive loops */
        double *out = malloc((size_t)(nl + 1) * sizeof(double)), *g = malloc((size_t)p * sizeof(double));
        lariat_matrix_mult(M[k], shift, v, out);
        for (int64_t i = 0; i < nl; i++) {
            double s = 0;
            for (int64_t j = 0; j < p; j++) s += (X[i * p + j] - shift[j]) * v[j];
            ok &= fabs(out[i] - s) <= 1e-12 * (1 + fabs(s));
        }
        lariat_matrix_mult_t(M[k], shift, w, g);
        for (int64_t j = 0; j < p; j++) {
            double s = 0;
            for (int64_t i = 0; i < nl; i++) s += (X[i * p + j] - shift[j]) * w[i];
            ok &= fabs(g[j] - s) <= 1e-11 * (1 + fabs(s));
        }
        /* gram */
        double *G = malloc((size_t)(p * p) * sizeof(double));
        ok &= lariat_matrix_gram(lt_ctx(), M[k], w, shift, G) == LARIAT_OK;
        for (int64_t a = 0; a < p; a++) {
            for (int64_t b = 0; b < p; b++) {
                double s = 0;
                for (int64_t i = 0; i < nl; i++) s += w[i] * (X[i * p + a] - shift[a]) * (X[i * p + b] - shift[b]);
                ok &= fabs(G[a * p + b] - s) <= 1e-10 * (1 + fabs(s));
            }
        }
        /* colstats and colrange */
        double *s1 = malloc((size_t)p * sizeof(double)), *s2 = malloc((size_t)p * sizeof(double));
        double *lo = malloc((size_t)p * sizeof(double)), *hi = malloc((size_t)p * sizeof(double));
        ok &= lariat_matrix_colstats(lt_ctx(), M[k], w, shift, s1, s2) == LARIAT_OK;
        ok &= lariat_matrix_colrange(lt_ctx(), M[k], w, lo, hi) == LARIAT_OK;
        for (int64_t j = 0; j < p; j++) {
            double a = 0, b = 0, mn = INFINITY, mx = -INFINITY;
            for (int64_t i = 0; i < nl; i++) {
                double d = X[i * p + j] - shift[j];
                a += w[i] * d;
                b += w[i] * d * d;
                mn = fmin(mn, X[i * p + j]);
                mx = fmax(mx, X[i * p + j]);
            }
            ok &= fabs(s1[j] - a) <= 1e-11 * (1 + fabs(a)) && fabs(s2[j] - b) <= 1e-11 * (1 + fabs(b));
            ok &= lo[j] == mn && hi[j] == mx;
        }
        /* wsum_range = X'w and colrange, with some weights zero (their rows
        ** out of the ranges); on dense rows each sum is the fma chain in row
        ** order, bit for bit */
        double *w0 = malloc((size_t)(nl + 1) * sizeof(double)), *xw = malloc((size_t)p * sizeof(double));
        double *lo0 = malloc((size_t)p * sizeof(double)), *hi0 = malloc((size_t)p * sizeof(double));
        for (int64_t i = 0; i < nl; i++) w0[i] = i % 3 == 1 ? 0.0 : w[i];
        ok &= lariat_matrix_wsum_range(lt_ctx(), M[k], w0, xw, lo, hi) == LARIAT_OK;
        ok &= lariat_matrix_colrange(lt_ctx(), M[k], w0, lo0, hi0) == LARIAT_OK;
        for (int64_t j = 0; j < p; j++) {
            double a = 0, f = 0;
            for (int64_t i = 0; i < nl; i++) {
                a += w0[i] * X[i * p + j];
                f = fma(w0[i], X[i * p + j], f);
            }
            ok &= k == 0 ? xw[j] == f : fabs(xw[j] - a) <= 1e-11 * (1 + fabs(a));
            ok &= lo[j] == lo0[j] && hi[j] == hi0[j];
        }
        free(w0);
        free(xw);
        free(lo0);
        free(hi0);
        /* the fused sweep */
        ok &= sweep_ok(M[k], X, nl, p, shift, v, y, w);
        free(out);
        free(g);
        free(G);
        free(s1);
        free(s2);
        free(lo);
        free(hi);
    }
    LT_ASSERT_ALL(ok);
    free(shift);
    free(v);
    free_pair(&pr);
}

static void test_kernels_tall(void) { check_kernels(700, 7, 0.3); }
static void test_kernels_wide(void) { check_kernels(20, 300, 0.1); }
/* More rows than a dense block (the fused sweep works in blocks). */
static void test_kernels_blocks(void) { check_kernels(3000, 130, 0.05); }
/* Rows long enough for the sweep to read four side by side
** (src/data/sweep.c, 8192 columns or more), groups of four and a remainder on
** every rank, a column count that is no multiple of the vector width. */
static void test_sweep_long_rows(void)
{
    const int64_t n = 4 * lt_size() + 3, p = 8197;
    pair pr = make_pair(n, p, 0.02);
    double *shift = malloc((size_t)p * sizeof(double)), *v = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) {
        shift[j] = 0.1 * sin((double)j) - 0.3;
        v[j] = sin((double)j + 1.0);
    }
    const lariat_data *d = pr.dense;
    LT_ASSERT_ALL(sweep_ok(d->X, pr.X, d->n_local, p, shift, v, d->y, d->w) &&
                  sweep_ok(pr.sparse->X, pr.X, d->n_local, p, shift, v, d->y, d->w));
    free(shift);
    free(v);
    free_pair(&pr);
}

/* Fewer rows than ranks: some ranks hold none. */
static void test_kernels_tiny(void) { check_kernels(2, 5, 0.5); }

/* The fused pass's block function of the test below: RB = y_i XB - XB^2 / 2
** (a function of the block's products that every lane must see right). */
typedef struct fused_check {
    const double *y;
    double *prod; /* n x k, the products seen, row-major */
    int64_t k;
} fused_check;

static void fused_rows(void *argv, int64_t i0, int64_t m, const double *XB, double *RB, int64_t ld)
{
    fused_check *fc = argv;
    for (int64_t r = 0; r < m; r++) {
        for (int64_t l = 0; l < fc->k; l++) {
            const double z = XB[r * ld + l];
            fc->prod[(i0 + r) * fc->k + l] = z;
            RB[r * ld + l] = fc->y[i0 + r] * z - 0.5 * z * z;
        }
    }
}

/* Not collective. lariat_matrix_fused_multi on the rows of M (X, nl x p)
** against naive loops for k vectors of which every third row is zero (the
** kernels skip rows of B zero in every vector). */
static int fused_ok(const lariat_matrix *M, const double *X, const double *y, int64_t nl, int64_t p, int64_t k)
{
    double *B = malloc((size_t)(p * k) * sizeof(double)), *G = malloc((size_t)(p * k) * sizeof(double));
    double *prod = malloc((size_t)(nl * k + 1) * sizeof(double));
    for (int64_t l = 0; l < k; l++) {
        for (int64_t j = 0; j < p; j++) B[l * p + j] = j % 3 == 1 ? 0.0 : sin(1.0 + (double)(l * p + j)) / (1.0 + j);
    }
    fused_check fc = {y, prod, k};
    int ok = lariat_matrix_fused_multi(M, B, k, fused_rows, &fc, G) == LARIAT_OK;
    double *g = calloc((size_t)(p * k), sizeof(double));
    for (int64_t i = 0; i < nl; i++) {
        for (int64_t l = 0; l < k; l++) {
            double z = 0.0, az = 0.0;
            for (int64_t j = 0; j < p; j++) {
                z += X[i * p + j] * B[l * p + j];
                az += fabs(X[i * p + j] * B[l * p + j]);
            }
            ok &= fabs(prod[i * k + l] - z) <= 1e-14 * (1.0 + az);
            const double q = y[i] * z - 0.5 * z * z;
            for (int64_t j = 0; j < p; j++) g[l * p + j] += X[i * p + j] * q;
        }
    }
    for (int64_t t = 0; t < p * k; t++) ok &= fabs(G[t] - g[t]) <= 1e-11 * (1.0 + fabs(g[t]));
    free(B);
    free(G);
    free(prod);
    free(g);
    return ok;
}

/* Collective. The fused pass, dense (our kernels for up to 48 vectors and
** p 48 <= 6144, BLAS beyond) and CSR, against naive loops: row counts and
** vector counts around the kernels' widths (4 rows, 12 vectors, 64-row
** blocks), and a rank without rows. */
static void test_fused_multi(void)
{
    static const int64_t shapes[][2] = {{300, 7}, {131, 100}, {67, 5}, {2, 3}, {70, 600}};
    static const int64_t ks[] = {1, 4, 11, 12, 13, 25, 48, 49};
    int ok = 1;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        pair pr = make_pair(shapes[c][0], shapes[c][1], 0.4);
        const int64_t nl = pr.dense->n_local, p = shapes[c][1];
        for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
            ok &= fused_ok(pr.dense->X, pr.X, pr.dense->y, nl, p, ks[t]);
            ok &= fused_ok(pr.sparse->X, pr.X, pr.dense->y, nl, p, ks[t]);
        }
        free_pair(&pr);
    }
    LT_ASSERT_ALL(ok);
}

/* Not collective. The fused pass through the kernels isa on the dense rows
** X (nl x p, k vectors as fused_ok's); the products seen into prod (nl x k)
** and the gradients into G (p x k). 0 when the CPU lacks them. */
static int fused_isa(int isa, const double *X, const double *y, int64_t nl, int64_t p, int64_t k, double *prod,
                     double *G)
{
    double *B = malloc((size_t)(p * k) * sizeof(double));
    for (int64_t l = 0; l < k; l++) {
        for (int64_t j = 0; j < p; j++) B[l * p + j] = j % 3 == 1 ? 0.0 : sin(1.0 + (double)(l * p + j)) / (1.0 + j);
    }
    fused_check fc = {y, prod, k};
    int done = lariat_skinny_fused_isa(isa, nl, p, X, B, k, fused_rows, &fc, G);
    free(B);
    return done;
}

/* Not collective. The AVX-512 kernels give the AVX2 kernels' bits (the same
** sums in the same order, data/skinny.c), products and gradients, for
** vector counts around their widths (8 lanes a vector, groups of up to
** three, 12 lanes for AVX2) and row and column counts around their blocks
** (8 or 4 rows, 8 or 4 columns, 64-row blocks). Without AVX-512 on this CPU
** there is nothing to compare, and the test says so. */
static void test_fused_avx512_bits(void)
{
    static const int64_t shapes[][2] = {{300, 7}, {131, 100}, {67, 5}, {2, 3}, {70, 510}, {203, 17}};
    static const int64_t ks[] = {1, 2, 7, 8, 9, 11, 16, 17, 24, 25, 33, 48};
    int ok = 1, compared = 0;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        pair pr = make_pair(shapes[c][0], shapes[c][1], 0.4);
        const int64_t nl = pr.dense->n_local, p = shapes[c][1];
        for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
            const int64_t k = ks[t];
            double *prod2 = calloc((size_t)(nl * k + 1), sizeof(double)), *prod5 = calloc((size_t)(nl * k + 1), sizeof(double));
            double *G2 = calloc((size_t)(p * k), sizeof(double)), *G5 = calloc((size_t)(p * k), sizeof(double));
            const int d2 = fused_isa(LARIAT_SKINNY_AVX2, pr.X, pr.dense->y, nl, p, k, prod2, G2);
            const int d5 = fused_isa(LARIAT_SKINNY_AVX512, pr.X, pr.dense->y, nl, p, k, prod5, G5);
            if (d2 && d5) {
                compared++;
                ok &= memcmp(prod2, prod5, (size_t)(nl * k) * sizeof(double)) == 0;
                ok &= memcmp(G2, G5, (size_t)(p * k) * sizeof(double)) == 0;
            }
            /* Where the AVX2 kernels apply, so do the AVX-512 ones (their buffers). */
#if defined(__x86_64__) && defined(__GNUC__)
            if (d2 && !d5) ok &= !__builtin_cpu_supports("avx512f");
#endif
            free(prod2);
            free(prod5);
            free(G2);
            free(G5);
        }
        free_pair(&pr);
    }
    if (compared == 0 && lt_rank() == 0) printf("\n  (no AVX-512 on this CPU: the kernels were not compared) ");
    LT_ASSERT_ALL(ok);
}

/* Not collective. The CSR fused pass's AVX-512 kernels give the AVX2
** kernels' bits (data/matrix.c: the same chains per lane), products and
** gradients, for 1 to 12 vectors (widths 1, 4, 8 and 12) on rows with odd
** and even counts of stored entries. Without AVX-512 on this CPU there is
** nothing to compare, and the test says so. */
static void test_fused_csr_avx512_bits(void)
{
    static const int64_t shapes[][2] = {{300, 7}, {131, 100}, {67, 5}, {2, 3}, {1100, 40}};
    int ok = 1, compared = 0;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        pair pr = make_pair(shapes[c][0], shapes[c][1], 0.4);
        const int64_t nl = pr.dense->n_local, p = shapes[c][1];
        for (int64_t k = 1; k <= 12; k++) {
            double *B = malloc((size_t)(p * k) * sizeof(double));
            for (int64_t t = 0; t < p * k; t++) B[t] = sin(1.0 + (double)t) / (1.0 + (double)(t % p));
            double *prod[2], *G[2];
            int done[2];
            for (int v = 0; v < 2; v++) {
                prod[v] = calloc((size_t)(nl * k + 1), sizeof(double));
                G[v] = calloc((size_t)(p * k), sizeof(double));
                fused_check fc = {pr.dense->y, prod[v], k};
                done[v] = lariat_matrix_fused_multi_csr_isa(v ? LARIAT_SKINNY_AVX512 : LARIAT_SKINNY_AVX2,
                                                            pr.sparse->X, B, k, fused_rows, &fc, G[v]);
            }
            if (done[0] && done[1]) {
                compared++;
                ok &= memcmp(prod[0], prod[1], (size_t)(nl * k) * sizeof(double)) == 0;
                ok &= memcmp(G[0], G[1], (size_t)(p * k) * sizeof(double)) == 0;
            }
            for (int v = 0; v < 2; v++) {
                free(prod[v]);
                free(G[v]);
            }
            free(B);
        }
        free_pair(&pr);
    }
    if (compared == 0 && lt_rank() == 0) printf("\n  (no AVX-512 on this CPU: the kernels were not compared) ");
    LT_ASSERT_ALL(ok);
}

/* Not collective. lariat_syrk_upper and lariat_ssyrk_upper on an m x p
** block (leading dimension p + 3) against naive sums: the upper triangle
** within 1e-13 (double) or 1e-5 (single) of each entry's sum of absolute
** terms, added to what C held, and the strict lower triangle untouched. */
static int syrk_ok(int64_t p, int64_t m)
{
    const int64_t ld = p + 3, ldc = p + 1;
    double *B = malloc((size_t)(m * ld) * sizeof(double)), *C = malloc((size_t)(p * ldc) * sizeof(double));
    float *Bf = malloc((size_t)(m * ld) * sizeof(float)), *Cf = malloc((size_t)(p * ldc) * sizeof(float));
    for (int64_t t = 0; t < m * ld; t++) {
        B[t] = sin(0.7 * (double)t + 0.3) * (1.0 + (double)(t % 5));
        Bf[t] = (float)B[t];
    }
    for (int64_t t = 0; t < p * ldc; t++) Cf[t] = (float)(C[t] = (double)(t % 11) - 5.0);
    lariat_syrk_upper(p, m, B, ld, C, ldc);
    lariat_ssyrk_upper(p, m, Bf, ld, Cf, ldc);
    int ok = 1;
    for (int64_t j = 0; j < p; j++) {
        for (int64_t l = 0; l < ldc; l++) {
            const double c0 = (double)((j * ldc + l) % 11) - 5.0;
            if (l < j || l >= p) {
                ok &= C[j * ldc + l] == c0 && Cf[j * ldc + l] == (float)c0;
                continue;
            }
            double sum = c0, mag = fabs(c0), sumf = c0, magf = fabs(c0);
            for (int64_t i = 0; i < m; i++) {
                sum += B[i * ld + j] * B[i * ld + l];
                mag += fabs(B[i * ld + j] * B[i * ld + l]);
                sumf += (double)Bf[i * ld + j] * (double)Bf[i * ld + l];
                magf += fabs((double)Bf[i * ld + j] * (double)Bf[i * ld + l]);
            }
            ok &= fabs(C[j * ldc + l] - sum) <= 1e-13 * mag;
            ok &= fabs((double)Cf[j * ldc + l] - sumf) <= 1e-5 * magf;
        }
    }
    free(B);
    free(C);
    free(Bf);
    free(Cf);
    return ok;
}

/* Not collective. The SYRK of linalg/syrk.h (our kernel where the CPU has
** AVX-512, BLAS otherwise) for column counts around its tiles (8 rows, 1 or
** 3 vectors of 8 doubles or 16 floats) and row counts from one. */
static void test_syrk(void)
{
    static const int64_t ps[] = {1, 2, 7, 8, 9, 13, 16, 17, 23, 24, 25, 31, 33, 47, 48, 49, 100, 130};
    static const int64_t ms[] = {1, 5, 333};
    int ok = 1;
    for (size_t a = 0; a < sizeof(ps) / sizeof(ps[0]); a++) {
        for (size_t b = 0; b < sizeof(ms) / sizeof(ms[0]); b++) ok &= syrk_ok(ps[a], ms[b]);
    }
    if (lt_rank() == 0 && !lariat_syrk_own(100)) printf("\n  (no AVX-512 on this CPU: BLAS's SYRK was checked) ");
    LT_ASSERT_ALL(ok);
}

/* Not collective. lariat_matrix_moments_by_set on M (rows X, nl x p) in
** double and in single precision, with a workspace and without, against
** naive sums: the counts and weight sums exact, sx, sxy and sxx's upper
** triangle within 1e-12 (double) or 1e-4 (single) of their sums of
** absolute terms, and the ranges exact; single precision packed equal to
** it, bit for bit. */
static int moments_ok(const lariat_matrix *M, const double *X, const double *y, const double *w, int64_t nl,
                      int64_t p)
{
    enum { K = 3 };
    const int64_t L = 4 + 2 * p + p * p;
    int *set = malloc((size_t)(nl + 1) * sizeof(int));
    double *shift = malloc((size_t)p * sizeof(double)), *ref = calloc((size_t)(K * L), sizeof(double));
    double *mag = calloc((size_t)(K * L), sizeof(double)), *ranges = malloc((size_t)(K * 2 * p) * sizeof(double));
    for (int64_t i = 0; i < nl; i++) set[i] = (int)((i * 7) % (K + 1)); /* 0: in no set */
    for (int64_t j = 0; j < p; j++) shift[j] = 0.1 * (double)j;
    const double yshift = 0.3;
    for (int64_t i = 0; i < nl; i++) {
        if (set[i] == 0) continue;
        double *r = ref + (set[i] - 1) * L, *a = mag + (set[i] - 1) * L;
        const double yc = y[i] - yshift;
        r[0] += w[i];
        r[1] += w[i] > 0;
        r[2] += w[i] * yc;
        r[3] += w[i] * yc * yc;
        a[2] += fabs(w[i] * yc);
        a[3] += w[i] * yc * yc;
        for (int64_t j = 0; j < p; j++) {
            const double bj = X[i * p + j] - shift[j];
            r[4 + j] += w[i] * bj;
            a[4 + j] += fabs(w[i] * bj);
            r[4 + p + j] += w[i] * bj * yc;
            a[4 + p + j] += fabs(w[i] * bj * yc);
            for (int64_t l = j; l < p; l++) {
                r[4 + 2 * p + j * p + l] += w[i] * bj * (X[i * p + l] - shift[l]);
                a[4 + 2 * p + j * p + l] += fabs(w[i] * bj * (X[i * p + l] - shift[l]));
            }
        }
    }
    int ok = 1;
    void *ws = malloc(lariat_matrix_moments_ws_bytes(p, K));
    for (int single = 0; single <= 1; single++) {
        for (int own = 0; own <= 1; own++) {
            double *got = calloc((size_t)(K * L), sizeof(double));
            for (int64_t t = 0; t < K * 2 * p; t++) ranges[t] = -INFINITY;
            ok &= lariat_matrix_moments_by_set(lt_ctx(), M, set, K, w, y, shift, yshift, single, 0, own ? NULL : ws,
                                               got, ranges) == LARIAT_OK;
            if (single) {
                /* Packed: the same sums, bit for bit, sxx's upper triangle row by row. */
                const int64_t Lp = LARIAT_STATS_PACKED_LEN(p);
                double *pk = calloc((size_t)(K * Lp), sizeof(double));
                ok &= lariat_matrix_moments_by_set(lt_ctx(), M, set, K, w, y, shift, yshift, 1, 1, own ? NULL : ws,
                                                   pk, NULL) == LARIAT_OK;
                for (int k = 0; k < K; k++) {
                    const double *g = got + k * L, *q = pk + k * Lp;
                    ok &= memcmp(g, q, (size_t)(4 + 2 * p) * sizeof(double)) == 0;
                    q += 4 + 2 * p;
                    for (int64_t j = 0; j < p; j++) {
                        for (int64_t l = j; l < p; l++) ok &= g[4 + 2 * p + j * p + l] == *q++;
                    }
                }
                free(pk);
            }
            /* Single: up to 1,012 rows summed in float, about 6e-8 each. */
            const double tol = single ? 1e-4 : 1e-12;
            for (int k = 0; k < K; k++) {
                const double *g = got + k * L, *r = ref + k * L, *a = mag + k * L;
                ok &= fabs(g[0] - r[0]) <= 1e-12 * r[0] && g[1] == r[1];
                for (int64_t t = 2; t < L; t++) {
                    const int64_t q = t - 4 - 2 * p;
                    if (t >= 4 + 2 * p && q % p < q / p) continue; /* the lower triangle is not summed */
                    ok &= fabs(g[t] - r[t]) <= tol * (a[t] + 1e-300);
                }
                for (int64_t j = 0; j < p; j++) {
                    double mx = -INFINITY, nmn = -INFINITY;
                    for (int64_t i = 0; i < nl; i++) {
                        if (set[i] != k + 1 || !(w[i] > 0)) continue;
                        mx = fmax(mx, X[i * p + j]);
                        nmn = fmax(nmn, -X[i * p + j]);
                    }
                    ok &= ranges[k * 2 * p + j] == nmn && ranges[k * 2 * p + p + j] == mx;
                }
            }
            free(got);
        }
    }
    free(ws);
    free(set);
    free(shift);
    free(ref);
    free(mag);
    free(ranges);
    return ok;
}

/* The row moments by set (the CV's one-pass statistics; in single
** precision the lockstep's curvature), dense rows only, across the set
** buffers' flushes (3,000 rows of 130 columns fill a buffer of 1,012 rows
** more than once) and with few rows. */
static void test_moments_by_set(void)
{
    static const int64_t shapes[][2] = {{3000, 130}, {300, 7}, {5, 3}};
    int ok = 1;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        pair pr = make_pair(shapes[c][0], shapes[c][1], 0.4);
        ok &= moments_ok(pr.dense->X, pr.X, pr.dense->y, pr.dense->w, pr.dense->n_local, shapes[c][1]);
        free_pair(&pr);
    }
    LT_ASSERT_ALL(ok);
}

/* lariat_data_from_csr: the same rows given as CSR arrays (rowptr not
** starting at 0, as a slice of a larger matrix) and as a dense array make
** datasets with the same products and the same fitted path. */
static void test_from_csr(void)
{
    const int64_t n = 23, p = 6;
    pair pr = make_pair(n, p, 0.4);
    const int64_t nl = pr.sparse->n_local;
    const int64_t base = 3; /* rowptr starts here: entries before it are not ours */
    int64_t *rowptr = malloc((size_t)(nl + 1) * sizeof(int64_t));
    int32_t *colind = malloc((size_t)(nl * p + base + 1) * sizeof(int32_t));
    double *val = malloc((size_t)(nl * p + base + 1) * sizeof(double));
    int64_t k = base;
    for (int64_t i = 0; i < nl; i++) {
        rowptr[i] = k;
        for (int64_t j = 0; j < p; j++) {
            if (pr.X[i * p + j] != 0.0) {
                colind[k] = (int32_t)j;
                val[k++] = pr.X[i * p + j];
            }
        }
    }
    rowptr[nl] = k;
    lariat_data *fromcsr = NULL, *fromdense = NULL;
    int rc = lariat_data_from_csr(lt_ctx(), nl, p, rowptr, colind, val, pr.sparse->y, pr.sparse->w, &fromcsr);
    int rd = lariat_data_from_dense(lt_ctx(), nl, p, pr.X, pr.sparse->y, pr.sparse->w, &fromdense);
    LT_ASSERT_ALL(rc == LARIAT_OK && rd == LARIAT_OK);
    if (rc == LARIAT_OK && rd == LARIAT_OK) {
        LT_ASSERT_ALL(fromcsr->n == n && fromcsr->n_local == nl && fromcsr->row0 == fromdense->row0 &&
                      fromcsr->has_weights && lariat_matrix_is_sparse(fromcsr->X) &&
                      lariat_matrix_nnz(fromcsr->X) == k - base);
        lariat_problem pb;
        lariat_problem_default(&pb);
        pb.alpha = 0.5;
        lariat_settings st;
        lariat_settings_default(&st);
        st.nlambda = 10;
        lariat_fit *fs = NULL, *fd = NULL;
        rc = lariat_fit_path(lt_ctx(), fromcsr, NULL, &pb, &st, &fs);
        rd = lariat_fit_path(lt_ctx(), fromdense, NULL, &pb, &st, &fd);
        LT_ASSERT_ALL(rc == LARIAT_OK && rd == LARIAT_OK && fs->nlambda == fd->nlambda);
        if (rc == LARIAT_OK && rd == LARIAT_OK && fs->nlambda == fd->nlambda) {
            double worst = 0.0;
            for (int l = 0; l < fs->nlambda; l++) {
                double d = lt_rel_diff(fs->path[l].coef, fd->path[l].coef, p);
                worst = d > worst ? d : worst;
            }
            LT_ASSERT_ALL(worst < 1e-6);
        }
        lariat_fit_destroy(fs);
        lariat_fit_destroy(fd);
    }
    lariat_data_destroy(fromcsr);
    lariat_data_destroy(fromdense);

    /* A column index out of range, then indices out of order, then a NaN, on
    ** the last rank only: the same status and message on every rank, naming
    ** the global row. */
    const char *want[3] = {"column index 6 is outside [0, 6)", "column indices must increase", "feature 1 is nan"};
    for (int t = 0; t < 3; t++) {
        int64_t rp[2] = {0, 2};
        int32_t ci[2] = {0, 1};
        double v[2] = {1.0, 2.0}, y = 1.0;
        int mine = lt_rank() == lt_size() - 1;
        if (mine && t == 0) ci[1] = 6;
        if (mine && t == 1) ci[1] = 0;
        if (mine && t == 2) v[1] = NAN;
        lariat_data *bad = NULL;
        rc = lariat_data_from_csr(lt_ctx(), 1, p, rp, ci, v, &y, NULL, &bad);
        char row[64];
        snprintf(row, sizeof(row), "row %d (global, 0-based)", lt_size() - 1);
        const char *msg = lariat_errmsg(lt_ctx());
        LT_ASSERT_ALL(rc == LARIAT_EDATA && bad == NULL && strstr(msg, want[t]) != NULL && strstr(msg, row) != NULL);
    }
    free(rowptr);
    free(colind);
    free(val);
    free_pair(&pr);
}

/* Collective. Every row of d on one process (a context on MPI_COMM_SELF,
** returned in *self), as CSR: the reference of the bit-for-bit tests. */
static lariat_data *gather_csr_self(const lariat_data *d, lariat_ctx **self)
{
    const int64_t n = d->n, p = d->p;
    double *X, *y, *w;
    lt_gather_all(d, &X, &y, &w);
    int64_t *rowptr = malloc((size_t)(n + 1) * sizeof(int64_t)), k = 0;
    int32_t *colind = malloc((size_t)(n * p + 1) * sizeof(int32_t));
    double *val = malloc((size_t)(n * p + 1) * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        rowptr[i] = k;
        for (int64_t j = 0; j < p; j++) {
            if (X[i * p + j] != 0.0) colind[k] = (int32_t)j, val[k++] = X[i * p + j];
        }
    }
    rowptr[n] = k;
    lariat_data *all = NULL;
    *self = NULL;
    if (lariat_ctx_create(MPI_COMM_SELF, self) == LARIAT_OK) {
        (void)lariat_data_from_csr(*self, n, p, rowptr, colind, val, y, w, &all);
    }
    free(rowptr);
    free(colind);
    free(val);
    free(X);
    free(y);
    free(w);
    return all;
}

/* A tile's whole CSR triangle and sums (lariat_tile_fn). */
static void packed_whole_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const lariat_data *d = arg;
    const lariat_matrix tile = lariat_matrix_row_view(d->X, i0, m);
    (void)lariat_matrix_gram_packed_csr(lt_ctx(), &tile, d->w + i0, 0, d->p, NULL, part);
}

/* The same as pieces: each piece [t0, t1) starts at a packed row (found by
** walking the rows), the last one ends with the sums (lariat_tile_piece_fn). */
static void packed_piece_fn(void *arg, int64_t i0, int64_t m, int64_t t0, int64_t t1, double *part)
{
    const lariat_data *d = arg;
    const int64_t p = d->p;
    int64_t j0 = 0, j1, off = 0;
    while (off < t0) off += p - j0++;
    for (j1 = j0; off < t1 && j1 < p; j1++) off += p - j1;
    const lariat_matrix tile = lariat_matrix_row_view(d->X, i0, m);
    (void)lariat_matrix_gram_packed_csr(lt_ctx(), &tile, d->w + i0, j0, j1, NULL, part);
}

/* A CSR Gram made in pieces: each piece of packed rows is bit for bit
** that part of the whole triangle, locally and summed over the ranks'
** tiles, and lariat_stats_gram (whose fixed-point sum goes in three bands
** of packed rows at p = 1,100) agrees with naive loops, holds the same
** bits as one process's from every row (MPI_COMM_SELF), and in column slabs
** holds the same bits. Fails when a piece or a band is cut or placed
** wrong, or a rank's share of the integers is. */
static void test_gram_pieces(void)
{
    const int64_t p = 1100, len = p * (p + 1) / 2, total = len + p + 1;
    pair pr = make_pair(300, p, 0.03);
    const lariat_data *d = pr.sparse;
    const int64_t nl = d->n_local;
    double *whole = malloc((size_t)total * sizeof(double)), *piece = malloc((size_t)total * sizeof(double));
    int ok = 1;
    /* Local: rows [j0, j1) for cuts at the edges and inside. */
    static const int64_t cuts[][2] = {{0, 1}, {0, 1100}, {1, 2}, {5, 400}, {400, 1099}, {1099, 1100}, {700, 1100}};
    ok &= lariat_matrix_gram_packed_csr(lt_ctx(), d->X, d->w, 0, p, NULL, whole) == LARIAT_OK;
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        const int64_t j0 = cuts[c][0], j1 = cuts[c][1];
        const int64_t t0 = j0 * p - j0 * (j0 - 1) / 2, t1 = j1 == p ? total : j1 * p - j1 * (j1 - 1) / 2;
        ok &= lariat_matrix_gram_packed_csr(lt_ctx(), d->X, d->w, j0, j1, NULL, piece) == LARIAT_OK;
        ok &= memcmp(piece, whole + t0, (size_t)(t1 - t0) * sizeof(double)) == 0;
    }
    /* The same in order with each row's place kept (skip). */
    int32_t *skip = calloc((size_t)nl + 1, sizeof(int32_t));
    for (int64_t j0 = 0, j1; j0 < p; j0 = j1) {
        j1 = j0 + 1 + j0 % 300;
        if (j1 > p) j1 = p;
        const int64_t t0 = j0 * p - j0 * (j0 - 1) / 2, t1 = j1 == p ? total : j1 * p - j1 * (j1 - 1) / 2;
        ok &= lariat_matrix_gram_packed_csr(lt_ctx(), d->X, d->w, j0, j1, skip, piece) == LARIAT_OK;
        ok &= memcmp(piece, whole + t0, (size_t)(t1 - t0) * sizeof(double)) == 0;
    }
    free(skip);
    /* Summed over tiles and ranks: uneven pieces (one a single packed row). */
    const int64_t rows[] = {0, 1, 2, 300, 301, 1100};
    int64_t bounds[6];
    for (int q = 0; q < 6; q++) bounds[q] = rows[q] == p ? total : rows[q] * p - rows[q] * (rows[q] - 1) / 2;
    ok &= lariat_tile_sum(lt_ctx(), d, total, packed_whole_fn, (void *)d, whole) == LARIAT_OK;
    ok &= lariat_tile_sum_pieces(lt_ctx(), d, 5, bounds, packed_piece_fn, (void *)d, piece) == LARIAT_OK;
    ok &= memcmp(piece, whole, (size_t)total * sizeof(double)) == 0;
    /* The centred Gram against naive loops, summed over the ranks. */
    double *shift = malloc((size_t)p * sizeof(double)), *G = malloc((size_t)(p * p) * sizeof(double));
    double *naive = calloc((size_t)(p * p), sizeof(double));
    for (int64_t j = 0; j < p; j++) shift[j] = 0.01 * (double)(j % 7);
    ok &= lariat_stats_gram(lt_ctx(), d, d->w, shift, G) == LARIAT_OK;
    for (int64_t i = 0; i < nl; i++) {
        const double *x = pr.X + i * p;
        for (int64_t a = 0; a < p; a++) {
            const double wa = d->w[i] * (x[a] - shift[a]);
            for (int64_t b = 0; b < p; b++) naive[a * p + b] += wa * (x[b] - shift[b]);
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, naive, (int)(p * p), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    for (int64_t t = 0; t < p * p; t++) ok &= fabs(G[t] - naive[t]) <= 1e-10 * (1 + fabs(naive[t]));
    {
        /* Uncentred: these rows are not on tile boundaries (lt_make_data's
        ** uneven split), so the column sums of the centring, summed over
        ** tiles, may round otherwise at another rank count; the integers may not. */
        double *Graw = malloc((size_t)(p * p) * sizeof(double)), *Gself = malloc((size_t)(p * p) * sizeof(double));
        lariat_ctx *self = NULL;
        lariat_data *all = gather_csr_self(d, &self);
        ok &= lariat_stats_gram(lt_ctx(), d, d->w, NULL, Graw) == LARIAT_OK && all != NULL;
        if (all != NULL) {
            ok &= lariat_stats_gram(self, all, all->w, NULL, Gself) == LARIAT_OK;
            ok &= memcmp(Graw, Gself, (size_t)(p * p) * sizeof(double)) == 0;
        }
        lariat_data_destroy(all);
        lariat_ctx_destroy(self);
        free(Graw);
        free(Gself);
    }
    /* Each slab of 2 and 3 (solvers/gram.c's layout), every rank keeping a
    ** different one: the same numbers, each where its slab keeps it. */
    double *S = malloc((size_t)(p * p) * sizeof(double));
    for (int s = 2; s <= 3; s++) {
        for (int shift_r = 0; shift_r < s; shift_r++) {
            const int r = (lt_rank() + shift_r) % s;
            const int64_t a = lariat_slab_start(p, s, r), b = lariat_slab_start(p, s, r + 1);
            ok &= lariat_stats_gram_slab(lt_ctx(), d, d->w, shift, s, r, S) == LARIAT_OK;
            for (int64_t j = 0; j < p; j++) {
                ok &= memcmp(S + j * (b - a), G + j * p + a, (size_t)(b - a) * sizeof(double)) == 0;
            }
        }
    }
    free(S);
    LT_ASSERT_ALL(ok);
    free(whole);
    free(piece);
    free(shift);
    free(G);
    free(naive);
    free_pair(&pr);
}

/* lariat_matrix_gram_fixed_csr's integers, two limbs, on one rank's CSR rows
** of 90,000 entries (made here, the same on every rank): the whole triangle
** in one call (one block of rows: it adds into more than 4 MiB), then in
** bands of packed rows in column order with each row's place kept (skip;
** bands of at most 4 MiB go in blocks of 2^16 entries, two blocks here),
** each equal to naive loops over every pair of every row, term by term as
** the header gives it. Fails when a block, a band's first entry or a
** prefetched row is cut wrong, or a term is lost or added twice. */
static void test_gram_fixed_blocks(void)
{
    enum { N = 6000, P = 1100, PER_ROW = 15 };
    const int64_t len = (int64_t)P * (P + 1) / 2;
    const int split = 20;
    const double wscale = ldexp(1.0, 40), magic = 1.5 * ldexp(1.0, 52 + split), inv = ldexp(1.0, -split);
    int64_t *rowptr = malloc((N + 1) * sizeof(int64_t));
    int32_t *colind = malloc((size_t)N * PER_ROW * sizeof(int32_t));
    double *val = malloc((size_t)N * PER_ROW * sizeof(double)), *w = malloc(N * sizeof(double));
    double *colscale = malloc(P * sizeof(double));
    uint64_t z = 88172645463325252ull;
    int64_t nnz = 0;
    rowptr[0] = 0;
    for (int64_t i = 0; i < N; i++) {
        /* PER_ROW distinct columns in order: one in each of PER_ROW spans, some rows shorter. */
        const int k = i % 7 == 0 ? 1 + (int)(i % PER_ROW) : PER_ROW;
        for (int t = 0; t < k; t++) {
            z ^= z << 13, z ^= z >> 7, z ^= z << 17;
            colind[nnz] = (int32_t)(t * (P / k) + (int64_t)(z % (uint64_t)(P / k)));
            val[nnz++] = ((double)(z >> 11) * 0x1p-53 - 0.5) * 2.0;
        }
        rowptr[i + 1] = nnz;
        w[i] = 0.25 + 0.75 * (double)(i % 11) / 11.0;
    }
    for (int64_t j = 0; j < P; j++) colscale[j] = j % 3 == 0 ? 0.5 : 1.0;
    lariat_matrix *X = NULL;
    int ok = lariat_matrix_wrap_csr(lt_ctx(), N, P, rowptr, colind, val, &X) == LARIAT_OK;
    int64_t *want = calloc((size_t)(2 * len), sizeof(int64_t)), *got = calloc((size_t)(2 * len), sizeof(int64_t));
    for (int64_t i = 0; ok && i < N; i++) {
        const double a = w[i] * wscale;
        for (int64_t e = rowptr[i]; e < rowptr[i + 1]; e++) {
            const int64_t j = colind[e], row = j * P - j * (j - 1) / 2 - j;
            const double zj = a * (val[e] * colscale[j]);
            for (int64_t f = e; f < rowptr[i + 1]; f++) {
                const double t = zj * (val[f] * colscale[colind[f]]), hs = (t + magic) - magic;
                want[row + colind[f]] += llrint(hs * inv);
                want[len + row + colind[f]] += llrint(t - hs);
            }
        }
    }
    ok = ok && lariat_matrix_gram_fixed_csr(lt_ctx(), X, w, wscale, colscale, 0, P, split, NULL, got, got + len) ==
                   LARIAT_OK;
    ok = ok && memcmp(got, want, (size_t)(2 * len) * sizeof(int64_t)) == 0;
    int32_t *skip = calloc(N, sizeof(int32_t));
    static const int64_t cuts[] = {0, 1, 2, 40, 300, 700, 1099, 1100};
    for (size_t c = 0; ok && c + 1 < sizeof(cuts) / sizeof(cuts[0]); c++) {
        const int64_t j0 = cuts[c], j1 = cuts[c + 1];
        const int64_t t0 = j0 * P - j0 * (j0 - 1) / 2, size = j1 * P - j1 * (j1 - 1) / 2 - t0;
        memset(got, 0, (size_t)(2 * size) * sizeof(int64_t));
        ok = lariat_matrix_gram_fixed_csr(lt_ctx(), X, w, wscale, colscale, j0, j1, split, skip, got, got + size) ==
             LARIAT_OK;
        ok = ok && memcmp(got, want + t0, (size_t)size * sizeof(int64_t)) == 0 &&
             memcmp(got + size, want + len + t0, (size_t)size * sizeof(int64_t)) == 0;
    }
    LT_ASSERT_ALL(ok);
    lariat_matrix_destroy(X);
    free(skip);
    free(want);
    free(got);
    free(w);
    free(colscale);
}

/* The fixed-point Gram (lariat_stats_gram_fixed) of uneven ranks' CSR rows,
** with a row of weight 0 and a column of large values: within single
** precision of naive loops summed over the ranks (an entry within 1e-7 of
** sqrt(G_jj G_ll), which bounds a centred Gram's entry), symmetric, and the
** same bits as one process's from every row (MPI_COMM_SELF), whose integers
** are summed in another order. At p = 150 the ring's blocks of the triangle
** start inside packed rows at 3 and 4 ranks. Fails when a scale, a block's
** first entry or the centring is wrong. */
static void test_gram_fixed(void)
{
    const int64_t p = 150;
    pair pr = make_pair(700, p, 0.05);
    lariat_data *d = pr.sparse;
    const int64_t nl = d->n_local;
    if (d->row0 == 0 && nl > 0) d->w[0] = 0.0;
    /* Column 5 in units of 1e15, column 6 of 1e-15: each column its own scale. */
    for (int64_t e = d->X->rowptr[0]; e < d->X->rowptr[nl]; e++) {
        if (d->X->colind[e] == 5) d->X->val[e] *= 1e15;
        if (d->X->colind[e] == 6) d->X->val[e] *= 1e-15;
    }
    for (int64_t i = 0; i < nl; i++) pr.X[i * p + 5] *= 1e15, pr.X[i * p + 6] *= 1e-15;
    double *shift = malloc((size_t)p * sizeof(double)), *sx = calloc((size_t)p, sizeof(double));
    double *naive = calloc((size_t)(p * p), sizeof(double)), W = 0.0;
    float *G = malloc((size_t)(p * p) * sizeof(float)), *Gself = malloc((size_t)(p * p) * sizeof(float));
    for (int64_t j = 0; j < p; j++) shift[j] = 0.01 * (double)(j % 7);
    for (int64_t i = 0; i < nl; i++) {
        const double *x = pr.X + i * p, wi = d->w[i];
        W += wi;
        for (int64_t a = 0; a < p; a++) {
            sx[a] += wi * (x[a] - shift[a]);
            for (int64_t b = 0; b < p; b++) naive[a * p + b] += wi * (x[a] - shift[a]) * (x[b] - shift[b]);
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, naive, (int)(p * p), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, sx, (int)p, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &W, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    int ok = lariat_stats_gram_fixed(lt_ctx(), d, d->w, shift, sx, W, G) == LARIAT_OK;
    for (int64_t a = 0; a < p; a++) {
        for (int64_t b = 0; b < p; b++) {
            const double want = naive[a * p + b], scale = sqrt(naive[a * p + a] * naive[b * p + b]);
            ok &= fabs((double)G[a * p + b] - want) <= 1e-7 * scale && G[a * p + b] == G[b * p + a];
        }
    }
    /* Every row on one process. */
    lariat_ctx *self = NULL;
    lariat_data *all = gather_csr_self(d, &self);
    ok &= all != NULL;
    if (all != NULL) {
        ok &= lariat_stats_gram_fixed(self, all, all->w, shift, sx, W, Gself) == LARIAT_OK;
        ok &= memcmp(G, Gself, (size_t)(p * p) * sizeof(float)) == 0;
    }
    LT_ASSERT_ALL(ok);
    lariat_data_destroy(all);
    lariat_ctx_destroy(self);
    free(shift);
    free(sx);
    free(naive);
    free(G);
    free(Gself);
    free_pair(&pr);
}

/* Not collective. The coordinate descent's updates (linalg/cd_update.h) on
** spans [a, b) around the kernels' vectors (8, 16, 32, 64 entries) with
** both ends moving: the block update of the AVX-512 and AVX2 kernels equal,
** bit for bit, to the chain the header names, formed here with fmaf; every
** kernel's (the scalar loop's too) within 1e-6 of each entry's sum of
** absolute terms of the naive sum in long double (the sums are in single
** precision: eight terms, each within 2^-24 after c's rounding, and the
** chain's seven roundings), the column update within 1e-15; entries outside
** [a, b) untouched. Without AVX-512 (or AVX2) on this CPU that kernel's
** comparison is skipped and the test says so. */
static void test_cd_update(void)
{
    enum { N = 150 };
    float gs[LARIAT_CD_BLOCK][N];
    const float *g[LARIAT_CD_BLOCK];
    double c[LARIAT_CD_BLOCK], u0[N];
    for (int k = 0; k < LARIAT_CD_BLOCK; k++) {
        for (int i = 0; i < N; i++) gs[k][i] = (float)(sin(1.3 * i + 0.7 * k) * (1 + k % 3));
        g[k] = gs[k];
        c[k] = cos(0.9 * k + 0.2) * (k == 3 ? 0.0 : 1.0); /* a coordinate that did not move */
    }
    for (int i = 0; i < N; i++) u0[i] = 0.25 * (double)(i % 9) - 1.0;
    int ok = 1, compared = 0;
    for (int64_t a = 0; a < 20; a++) {
        for (int64_t b = a; b <= N; b += (b < 80 ? 1 : 7)) {
            double u[3][N], v[3][N];
            int ran[3];
            for (int isa = 0; isa < 3; isa++) {
                memcpy(u[isa], u0, sizeof u0);
                memcpy(v[isa], u0, sizeof u0);
                ran[isa] = lariat_cd_block_update_isa(isa, u[isa], g, c, a, b);
                ran[isa] &= lariat_cd_col_update_isa(isa, v[isa], g[1], c[1], a, b);
            }
            ok &= ran[LARIAT_CD_SCALAR];
            for (int isa = 0; isa < 3; isa++) {
                if (!ran[isa]) continue;
                for (int64_t i = 0; i < N; i++) {
                    long double s = u0[i], mag = fabs(u0[i]);
                    if (i >= a && i < b) {
                        for (int k = 0; k < LARIAT_CD_BLOCK; k++) {
                            s += (long double)c[k] * g[k][i];
                            mag += fabsl((long double)c[k] * g[k][i]);
                        }
                    }
                    ok &= fabsl(u[isa][i] - s) <= 1e-6L * mag;
                    if (isa != LARIAT_CD_SCALAR && i >= a && i < b) {
                        float t = (float)c[0] * g[0][i];
                        for (int k = 1; k < LARIAT_CD_BLOCK; k++) t = fmaf((float)c[k], g[k][i], t);
                        ok &= u[isa][i] == u0[i] + (double)t;
                    }
                    const long double t = u0[i] + (i >= a && i < b ? (long double)c[1] * g[1][i] : 0.0L);
                    ok &= fabsl(v[isa][i] - t) <= 1e-15L * (fabs(u0[i]) + fabsl((long double)c[1] * g[1][i]));
                    if (i < a || i >= b) ok &= u[isa][i] == u0[i] && v[isa][i] == u0[i];
                }
            }
            if (ran[LARIAT_CD_AVX2] && ran[LARIAT_CD_AVX512]) {
                compared++;
                ok &= memcmp(u[LARIAT_CD_AVX2], u[LARIAT_CD_AVX512], sizeof u[0]) == 0;
                ok &= memcmp(v[LARIAT_CD_AVX2], v[LARIAT_CD_AVX512], sizeof v[0]) == 0;
            }
        }
    }
    if (compared == 0 && lt_rank() == 0) printf("\n  (no AVX-512 on this CPU: the kernels were not compared) ");
    LT_ASSERT_ALL(ok);
}

/* Not collective. The Gram descent's double updates (linalg/cd_update.h):
** every kernel this CPU runs gives each entry of [a, b) exactly fma(c, g_i,
** u_i), as libm's correctly rounded fma does (so the slabs of gram.c's
** ranks add up to one rank's bits), entries outside untouched. Fails when
** a kernel rounds the product before adding it. */
/* linalg/gemm_tn.h: the scalar loop's sums are the chains the header
** documents, and within 1e-15 (relative to the terms) of long double
** sums; the AVX-512 kernel, where it runs, gives the scalar loop's bits
** for every shape (p past a multiple of 32 and not a multiple of 8, k past
** and below a group of six, m = 1), into an out that is not zero and has a
** leading dimension larger than p. */
static void test_gemm_tn(void)
{
    enum { M = 37, P = 77, LDX = 80, K = 13, LDO = 81 };
    static double X[M * LDX], B[M * K], out0[K * LDO], a[K * LDO], b[K * LDO];
    for (int i = 0; i < M * LDX; i++) X[i] = sin(0.37 * i + 0.1) * (1.0 + (i % 5));
    for (int i = 0; i < M * K; i++) B[i] = cos(0.91 * i) - 0.25;
    for (int i = 0; i < K * LDO; i++) out0[i] = 0.01 * (i % 17) - 0.05;
    const int64_t ms[] = {1, 5, M}, ps[] = {1, 8, 9, 31, 32, 33, 40, P}, ks[] = {1, 5, 6, 7, K};
    int ok = 1, compared = 0;
    for (size_t im = 0; im < sizeof ms / sizeof ms[0]; im++) {
        for (size_t ip = 0; ip < sizeof ps / sizeof ps[0]; ip++) {
            for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
                const int64_t m = ms[im], p = ps[ip], k = ks[ik];
                /* B's rows are k apart: the first m rows of a k-column B. */
                memcpy(a, out0, sizeof a);
                memcpy(b, out0, sizeof b);
                lariat_gemm_tn_scalar(m, p, k, X, LDX, B, a, LDO);
                for (int64_t t = 0; t < K; t++) {
                    for (int64_t j = 0; j < LDO; j++) {
                        if (t >= k || j >= p) {
                            ok &= a[t * LDO + j] == out0[t * LDO + j];
                            continue;
                        }
                        long double s = 0.0L, mag = 0.0L;
                        for (int64_t i = 0; i < m; i++) {
                            s += (long double)X[i * LDX + j] * B[i * k + t];
                            mag += fabsl((long double)X[i * LDX + j] * B[i * k + t]);
                        }
                        ok &= fabsl((long double)a[t * LDO + j] - (s + out0[t * LDO + j])) <=
                              1e-15L * (mag + fabsl((long double)out0[t * LDO + j]));
                    }
                }
                if (lariat_gemm_tn_available()) {
                    lariat_gemm_tn(m, p, k, X, LDX, B, b, LDO);
                    ok &= memcmp(a, b, sizeof a) == 0;
                    compared++;
                }
            }
        }
    }
    LT_ASSERT_ALL(ok);
    LT_ASSERT_ALL(compared == 0 || compared == 3 * 8 * 5);
}

/* One move of the Gram descent: u[i] = fma(c, g[i], u[i]) for a <= i < b. */
static void fma_move(double *u, const double *g, double c, int64_t a, int64_t b)
{
    for (int64_t i = a; i < b; i++) u[i] = fma(c, g[i], u[i]);
}

/* A chain of nk moves (linalg/cd_update.h) gives the bits of nk moves of
** fma() in order, on every kernel (the scalar loop always runs), every nk
** up to a block, every span (the AVX-512 kernel's unrolled full block, its
** vectors and its masked end), rows at any offset from a cache line; and
** chain_entry gives each entry's value before the chain runs. */
static void test_cd_axpy_chain(void)
{
    enum { N = 101 };
    double rows[LARIAT_CD_BLOCK][N + 3], u0[N], c[LARIAT_CD_BLOCK];
    for (int k = 0; k < LARIAT_CD_BLOCK; k++) {
        for (int i = 0; i < N + 3; i++) rows[k][i] = sin(0.37 * i + 1.1 * k) * (1.0 + 1e-7 * k) - 0.1 * k;
        c[k] = (k % 2 ? -1.0 : 1.0) * (0.3 + 0.123456789012345 * k);
    }
    for (int i = 0; i < N; i++) u0[i] = cos(0.6 * i) / 3.0;
    int ok = 1, ran = 0;
    for (int nk = 1; nk <= LARIAT_CD_BLOCK; nk++) {
        const double *g[LARIAT_CD_BLOCK];
        for (int k = 0; k < nk; k++) g[k] = rows[k] + k % 4; /* rows at different offsets */
        double whole[N];
        memcpy(whole, u0, sizeof whole);
        for (int k = 0; k < nk; k++) fma_move(whole, g[k], c[k], 0, N);
        for (int i = 0; i < N; i++) ok &= lariat_cd_chain_entry(u0[i], g, c, nk, i) == whole[i];
        for (int64_t a = 0; a < 5; a++) {
            for (int64_t b = a; b <= N; b++) {
                double want[N];
                memcpy(want, u0, sizeof want);
                for (int k = 0; k < nk; k++) fma_move(want, g[k], c[k], a, b);
                for (int isa = 0; isa < 3; isa++) {
                    double u[N];
                    memcpy(u, u0, sizeof u);
                    if (!lariat_cd_axpy_chain_isa(isa, u, g, c, nk, a, b)) {
                        ok &= isa != LARIAT_CD_SCALAR;
                        continue;
                    }
                    ran++;
                    ok &= memcmp(u, want, sizeof u) == 0;
                }
            }
        }
    }
    LT_ASSERT_ALL(ok && ran > 0);
}

void lt_register_matrix(void)
{
    CU_pSuite s = CU_add_suite("matrix", NULL, NULL);
    CU_add_test(s, "dense = CSR = naive, tall", test_kernels_tall);
    CU_add_test(s, "dense = CSR = naive, wide", test_kernels_wide);
    CU_add_test(s, "dense = CSR = naive, many blocks", test_kernels_blocks);
    CU_add_test(s, "dense = CSR = naive, ranks without rows", test_kernels_tiny);
    CU_add_test(s, "fused pass of several vectors = naive", test_fused_multi);
    CU_add_test(s, "fused pass: AVX-512 kernels = AVX2 kernels, bit for bit", test_fused_avx512_bits);
    CU_add_test(s, "CSR fused pass: AVX-512 kernels = AVX2 kernels, bit for bit", test_fused_csr_avx512_bits);
    CU_add_test(s, "SYRK of a block = naive, lower triangle untouched", test_syrk);
    CU_add_test(s, "coordinate descent updates: AVX-512 = AVX2 = the single-precision chain, bit for bit; = naive", test_cd_update);
    CU_add_test(s, "Gram descent updates in chains = one at a time, bit for bit", test_cd_axpy_chain);
    CU_add_test(s, "row moments by set, double and single = naive", test_moments_by_set);
    CU_add_test(s, "fused sweep = naive, rows of 8197 columns", test_sweep_long_rows);
    CU_add_test(s, "out += X'B without packing: the scalar chains, the AVX-512 kernel's bits", test_gemm_tn);
    CU_add_test(s, "lariat_data_from_csr = lariat_data_from_dense; bad CSR agreed", test_from_csr);
    CU_add_test(s, "CSR Gram in pieces = whole, bit for bit; = naive; = one process's", test_gram_pieces);
    CU_add_test(s, "fixed-point CSR Gram = naive in single precision; = one process's, bit for bit", test_gram_fixed);
    CU_add_test(s, "fixed-point CSR Gram's integers in blocks and bands = naive, exactly", test_gram_fixed_blocks);
}
