/*
** The fingerprint of a run: what a checkpoint must agree with before its
** state may be resumed.
**
** Data. The labels and the weights in use (which carry --weights and the
** --test-fraction split) are hashed exactly: each row contributes
** h(global index, bits of y_i, bits of w_i), and the contributions are added
** modulo 2^64, which is associative, so the hash does not depend on how the
** rows are split over the ranks. The columns of X are summarized by
** floating-point checksums, which cost one pass through the matrix interface
** whatever the storage (CSR stays sparse):
**
**   s1_j = sum_i r_i x_ij,   s2_j = sum_i r_i x_ij^2,   R = sum_i r_i,
**   xsum1 = sum_j a_j s1_j,  xsum2 = sum_j b_j s2_j,
**
** with r_i, a_j, b_j in [1, 2) drawn from (global index) and (column), so
** that permuted rows or columns change them. Round-off depends on the split,
** so they are compared with a relative tolerance: xsum2 against itself (a sum
** of non-negative terms), xsum1 against xscale = sum_j a_j sqrt(s2_j R),
** which bounds sum_j a_j |s1_j| (Cauchy-Schwarz).
**
** Settings: every one that changes the saved state (the family, with the
** multinomial grouping and the curvature of the cross-entropy gram solver;
** alphas, the lambda sequence, standardization, intercept, penalty factors,
** bounds, tol, max-iter, solver, rho, adapt-rho, the folds, the CV
** measure, on which the saved fold errors depend). --select and
** --cv-groups are not in it: the state does not depend on them (the
** selection is made after the last fold; groups change the fold errors by
** round-off only).
*/
#include "ckpt/internal.h"
#include "core/core.h"
#include "core/rng.h"
#include "family/family.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key and streams of the fingerprint's hashes (any fixed values). */
#define FP_KEY 0x6c61726961742d63ULL
enum { FP_ROWS = 1, FP_FOLDS, FP_ROW_WEIGHTS, FP_COLUMNS, FP_PENALTY, FP_BOUNDS };

/* The relative tolerance of the column checksums: far above the round-off
** of summing in another order (about sqrt(n) eps), far below any change of
** the data that matters. */
#define FP_XTOL 1e-9

/* Not collective. The bits of a double, with -0 as +0. */
static uint64_t bits(double v)
{
    uint64_t u;
    if (v == 0.0) v = 0.0;
    memcpy(&u, &v, sizeof(u));
    return u;
}

void ckpt_fp_free(ckpt_fp *fp)
{
    free(fp->alpha);
    free(fp->lambda);
    fp->alpha = fp->lambda = NULL;
}

static int cmp_decreasing(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* One tile's column checksums: [sum r x (p) | sum r x^2 (p) | sum r]. */
typedef struct column_tile {
    lariat_ctx *ctx;
    const lariat_data *d;
    const double *r;
    int rc;
} column_tile;

static void column_sums_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    column_tile *a = arg;
    const int64_t p = a->d->p;
    const lariat_matrix tile = lariat_matrix_row_view(a->d->X, i0, m);
    int rc = lariat_matrix_colstats(a->ctx, &tile, a->r + i0, NULL, part, part + p);
    if (rc != LARIAT_OK) a->rc = rc;
    part[2 * p] = 0.0;
    for (int64_t i = 0; i < m; i++) part[2 * p] += a->r[i0 + i];
}

/* Collective. The row hashes and the column checksums. */
static int fingerprint_data(lariat_ctx *ctx, const lariat_ckpt_run *run, ckpt_fp *fp)
{
    const lariat_data *d = run->data;
    const double *w = run->w != NULL ? run->w : d->w;
    const int *foldid = run->cv != NULL ? run->cv->foldid : NULL;
    const int64_t p = d->p, nl = d->n_local;
    double *r = lariat_malloc(ctx, (size_t)nl, sizeof(double), "checkpoint row weights");
    double *sums = lariat_calloc(ctx, (size_t)(2 * p + 1), sizeof(double), "checkpoint column sums");
    int rc = (r != NULL && sums != NULL) ? LARIAT_OK : LARIAT_ENOMEM;
    uint64_t hashes[2] = {0, 0};
    for (int64_t i = 0; rc == LARIAT_OK && i < nl; i++) {
        const uint64_t gi = (uint64_t)(d->row0 + i);
        hashes[0] += lariat_hash(FP_KEY, FP_ROWS, gi, bits(d->y[i]) ^ lariat_mix64(bits(w[i])));
        if (foldid != NULL) hashes[1] += lariat_hash(FP_KEY, FP_FOLDS, gi, (uint64_t)foldid[i]);
        r[i] = 1.0 + lariat_uniform(FP_KEY, FP_ROW_WEIGHTS, gi, 0);
    }
    rc = lariat_agree(ctx, rc);
    /* Summed over tiles of rows (data/tiles.h): the same at any rank count. */
    column_tile arg = {ctx, d, r, LARIAT_OK};
    if (rc == LARIAT_OK) rc = lariat_tile_sum(ctx, d, 2 * p + 1, column_sums_fn, &arg, sums);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, arg.rc);
    if (rc == LARIAT_OK &&
        MPI_Allreduce(MPI_IN_PLACE, hashes, 2, MPI_UINT64_T, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the checkpoint's row hashes failed");
    }
    if (rc == LARIAT_OK) {
        fp->rows_hash = hashes[0];
        fp->foldid_hash = foldid != NULL ? (hashes[1] | 1) : 0;
        const double R = sums[2 * p];
        for (int64_t j = 0; j < p; j++) {
            const double a = 1.0 + lariat_uniform(FP_KEY, FP_COLUMNS, (uint64_t)j, 0);
            const double b = 1.0 + lariat_uniform(FP_KEY, FP_COLUMNS, (uint64_t)j, 1);
            fp->xsum1 += a * sums[j];
            fp->xsum2 += b * sums[p + j];
            fp->xscale += a * sqrt(sums[p + j] * R);
        }
    }
    free(r);
    free(sums);
    return rc;
}

/* Not collective. Sum over j of h(j, bits of v_j), v_j = dflt when v is NULL. */
static uint64_t hash_vector(uint64_t stream, const double *v, double dflt, int64_t p)
{
    uint64_t h = 0;
    for (int64_t j = 0; j < p; j++) h += lariat_hash(FP_KEY, stream, (uint64_t)j, bits(v != NULL ? v[j] : dflt));
    return h;
}

int ckpt_fingerprint(lariat_ctx *ctx, const lariat_ckpt_run *run, ckpt_fp *fp)
{
    memset(fp, 0, sizeof(*fp));
    const lariat_problem *pb = run->pb;
    const lariat_settings *st = run->st;
    const lariat_cv_settings *cv = run->cv;
    const int64_t p = run->data->p;
    fp->kind = run->kind;
    fp->n = run->data->n;
    fp->p = p;
    fp->ranks = lariat_ctx_size(ctx);
    fp->nalpha = (cv != NULL && cv->alphas != NULL) ? cv->nalpha : 1;
    fp->nlambda_given = st->lambda != NULL ? st->n_lambda_given : 0;
    fp->alpha = lariat_malloc(ctx, (size_t)fp->nalpha, sizeof(double), "checkpoint alphas");
    fp->lambda = lariat_malloc(ctx, (size_t)fp->nlambda_given, sizeof(double), "checkpoint lambdas");
    int rc = (fp->alpha != NULL && fp->lambda != NULL) ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        for (int64_t a = 0; a < fp->nalpha; a++) {
            fp->alpha[a] = (cv != NULL && cv->alphas != NULL) ? cv->alphas[a] : pb->alpha;
        }
        if (fp->nlambda_given > 0) memcpy(fp->lambda, st->lambda, (size_t)fp->nlambda_given * sizeof(double));
        qsort(fp->lambda, (size_t)fp->nlambda_given, sizeof(double), cmp_decreasing);
        fp->nlambda = st->lambda != NULL ? 0 : st->nlambda;
        fp->lambda_min_ratio = st->lambda != NULL ? 0.0 : st->lambda_min_ratio;
        fp->standardize = pb->standardize != 0;
        fp->intercept = pb->intercept != 0;
        fp->pf_hash = hash_vector(FP_PENALTY, pb->penalty_factor, 1.0, p);
        fp->bounds_hash = hash_vector(FP_BOUNDS, pb->lower, -INFINITY, p) ^
                          lariat_mix64(hash_vector(FP_BOUNDS, pb->upper, INFINITY, p));
        fp->tol = st->tol;
        fp->max_iter = st->max_iter;
        fp->solver = st->solver;
        fp->rho = st->rho > 0.0 ? st->rho : 0.0;
        fp->adapt_rho = st->adapt_rho != 0;
        fp->family = pb->family;
        fp->grouped = pb->family == LARIAT_FAMILY_MULTINOMIAL && pb->grouped;
        fp->curvature = pb->family != LARIAT_FAMILY_GAUSSIAN ? st->curvature : LARIAT_CURVATURE_AUTO;
        if (cv != NULL) {
            fp->nfolds = cv->foldid != NULL ? 0 : cv->nfolds;
            fp->seed = cv->foldid != NULL ? 0 : cv->seed;
            fp->measure = cv->measure;
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = fingerprint_data(ctx, run, fp);
    if (rc != LARIAT_OK) ckpt_fp_free(fp);
    return rc;
}

/* Not collective. A list of numbers for a message: "0.2,0.5,1" (the first
** eight, then "..."), or "auto" for a value <= 0 when auto_ok. */
static const char *list_text(const double *v, int64_t n, int auto_ok, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (n == 1 && auto_ok && !(v[0] > 0.0)) {
        snprintf(buf, len, "auto");
        return buf;
    }
    for (int64_t k = 0; k < n && k < 8 && used + LARIAT_DOUBLE_CHARS + 2 < len; k++) {
        char num[LARIAT_DOUBLE_CHARS];
        lariat_format_double(num, v[k]);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", k > 0 ? "," : "", num);
    }
    if (n > 8 && used + 4 < len) snprintf(buf + used, len - used, ",...");
    return buf;
}

static int same_list(const double *a, int64_t na, const double *b, int64_t nb)
{
    if (na != nb) return 0;
    for (int64_t k = 0; k < na; k++) {
        if (bits(a[k]) != bits(b[k])) return 0;
    }
    return 1;
}

/* Not collective. The message of a setting that differs. */
static int differ(lariat_ctx *ctx, const char *path, const char *what, const char *there, const char *here)
{
    return lariat_error(ctx, LARIAT_EUSAGE,
                        "checkpoint %s was made with %s %s, but this run has %s %s: resume with the same data and "
                        "options, or start again without --resume",
                        path, what, there, what, here);
}

/* Not collective. The message of a setting known by its hash only. */
static int other(lariat_ctx *ctx, const char *path, const char *what)
{
    return lariat_error(ctx, LARIAT_EUSAGE,
                        "checkpoint %s was made with other %s: resume with the same data and options, or start "
                        "again without --resume",
                        path, what);
}

static const char *family_text(int64_t kind)
{
    switch (kind) {
    case LARIAT_FAMILY_GAUSSIAN: return "gaussian";
    case LARIAT_FAMILY_BINOMIAL: return "binomial";
    case LARIAT_FAMILY_MULTINOMIAL: return "multinomial";
    default: return "unknown";
    }
}

static const char *curvature_text(int64_t kind)
{
    switch (kind) {
    case LARIAT_CURVATURE_EXACT: return "exact";
    case LARIAT_CURVATURE_BOUND: return "bound";
    default: return "auto";
    }
}

static const char *measure_text(int64_t m)
{
    return lariat_measure_name((lariat_measure)m);
}

static const char *solver_text(int64_t kind)
{
    switch (kind) {
    case LARIAT_SOLVER_GRAM: return "gram";
    case LARIAT_SOLVER_ADMM: return "admm";
    case LARIAT_SOLVER_FISTA: return "fista";
    default: return "auto";
    }
}

int ckpt_fp_compare(lariat_ctx *ctx, const char *path, const ckpt_fp *a, const ckpt_fp *b)
{
    char x[256], y[256];
    if (a->kind != b->kind) {
        return lariat_error(ctx, LARIAT_EUSAGE, "checkpoint %s was written by lariat %s, not by lariat %s", path,
                            a->kind == LARIAT_CKPT_CV ? "cv" : "fit", b->kind == LARIAT_CKPT_CV ? "cv" : "fit");
    }
    if (a->family != b->family) return differ(ctx, path, "family", family_text(a->family), family_text(b->family));
    if (a->grouped != b->grouped) {
        return differ(ctx, path, "multinomial", a->grouped ? "grouped" : "ungrouped",
                      b->grouped ? "grouped" : "ungrouped");
    }
    if (a->n != b->n || a->p != b->p) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "checkpoint %s is for data of %lld rows and %lld features, but this data has %lld rows "
                            "and %lld features",
                            path, (long long)a->n, (long long)a->p, (long long)b->n, (long long)b->p);
    }
    if (a->rows_hash != b->rows_hash) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "checkpoint %s is for other data: the labels or the weights of the rows in use differ "
                            "(another data file, --weights or --test-fraction)",
                            path);
    }
    if (!(fabs(a->xsum1 - b->xsum1) <= FP_XTOL * fmax(a->xscale, b->xscale)) ||
        !(fabs(a->xsum2 - b->xsum2) <= FP_XTOL * fmax(a->xsum2, b->xsum2))) {
        return lariat_error(ctx, LARIAT_EUSAGE, "checkpoint %s is for other data: the columns of X differ", path);
    }
    if (!same_list(a->alpha, a->nalpha, b->alpha, b->nalpha)) {
        return differ(ctx, path, "alpha", list_text(a->alpha, a->nalpha, 0, x, sizeof(x)),
                      list_text(b->alpha, b->nalpha, 0, y, sizeof(y)));
    }
    if (!same_list(a->lambda, a->nlambda_given, b->lambda, b->nlambda_given)) {
        return differ(ctx, path, "lambda",
                      a->nlambda_given ? list_text(a->lambda, a->nlambda_given, 0, x, sizeof(x)) : "the path",
                      b->nlambda_given ? list_text(b->lambda, b->nlambda_given, 0, y, sizeof(y)) : "the path");
    }
    if (a->nlambda != b->nlambda) {
        snprintf(x, sizeof(x), "%lld", (long long)a->nlambda);
        snprintf(y, sizeof(y), "%lld", (long long)b->nlambda);
        return differ(ctx, path, "nlambda", x, y);
    }
    if (bits(a->lambda_min_ratio) != bits(b->lambda_min_ratio)) {
        return differ(ctx, path, "lambda-min-ratio", list_text(&a->lambda_min_ratio, 1, 1, x, sizeof(x)),
                      list_text(&b->lambda_min_ratio, 1, 1, y, sizeof(y)));
    }
    if (a->standardize != b->standardize) {
        return differ(ctx, path, "standardize", a->standardize ? "on" : "off", b->standardize ? "on" : "off");
    }
    if (a->intercept != b->intercept) {
        return differ(ctx, path, "intercept", a->intercept ? "on" : "off", b->intercept ? "on" : "off");
    }
    if (a->pf_hash != b->pf_hash) return other(ctx, path, "penalty factors (--penalty-factor)");
    if (a->bounds_hash != b->bounds_hash) return other(ctx, path, "bounds (--lower, --upper)");
    if (bits(a->tol) != bits(b->tol)) {
        return differ(ctx, path, "tol", list_text(&a->tol, 1, 0, x, sizeof(x)),
                      list_text(&b->tol, 1, 0, y, sizeof(y)));
    }
    if (a->max_iter != b->max_iter) {
        snprintf(x, sizeof(x), "%lld", (long long)a->max_iter);
        snprintf(y, sizeof(y), "%lld", (long long)b->max_iter);
        return differ(ctx, path, "max-iter", x, y);
    }
    if (a->solver != b->solver) return differ(ctx, path, "solver", solver_text(a->solver), solver_text(b->solver));
    if (a->curvature != b->curvature) {
        return differ(ctx, path, "curvature", curvature_text(a->curvature), curvature_text(b->curvature));
    }
    if (bits(a->rho) != bits(b->rho)) {
        return differ(ctx, path, "rho", list_text(&a->rho, 1, 1, x, sizeof(x)),
                      list_text(&b->rho, 1, 1, y, sizeof(y)));
    }
    if (a->adapt_rho != b->adapt_rho) {
        return differ(ctx, path, "adapt-rho", a->adapt_rho ? "on" : "off", b->adapt_rho ? "on" : "off");
    }
    if (a->measure != b->measure) {
        return differ(ctx, path, "type-measure", measure_text(a->measure), measure_text(b->measure));
    }
    if (a->foldid_hash != b->foldid_hash) return other(ctx, path, "folds (--foldid)");
    if (a->nfolds != b->nfolds) {
        snprintf(x, sizeof(x), "%lld", (long long)a->nfolds);
        snprintf(y, sizeof(y), "%lld", (long long)b->nfolds);
        return differ(ctx, path, "nfolds", x, y);
    }
    if (a->seed != b->seed) {
        snprintf(x, sizeof(x), "%llu", (unsigned long long)a->seed);
        snprintf(y, sizeof(y), "%llu", (unsigned long long)b->seed);
        return differ(ctx, path, "seed", x, y);
    }
    if (a->ranks != b->ranks) {
        lariat_log(ctx, LARIAT_LOG_NORMAL,
                   "checkpoint %s was written at %lld ranks and is resumed at %lld: the result agrees with an "
                   "uninterrupted run to round-off, not bit for bit",
                   path, (long long)a->ranks, (long long)b->ranks);
    }
    return LARIAT_OK;
}
