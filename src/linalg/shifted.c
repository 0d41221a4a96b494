#include "linalg/shifted.h"

#include "core/core.h"
#include "linalg/blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lariat_shifted_free(lariat_shifted *f)
{
    free(f->d);
    free(f->work);
    memset(f, 0, sizeof(*f));
}

int lariat_shifted_factor(lariat_ctx *ctx, double *a, int64_t n, int64_t max_cols, lariat_shifted *f)
{
    memset(f, 0, sizeof(*f));
    if (!lariat_blas_fits(n, n) || !lariat_blas_fits(n, max_cols) || n < 1 || max_cols < 1) {
        return lariat_error(ctx, LARIAT_EUSAGE, "a shifted factorization of order %lld for %lld columns",
                            (long long)n, (long long)max_cols);
    }
    f->n = n;
    f->a = a;
    f->max_cols = max_cols;
    /* d, e, tau, dd, ee in one block: 5 n doubles. */
    f->d = lariat_malloc(ctx, (size_t)(5 * n), sizeof(double), "tridiagonal factors");
    if (f->d == NULL) return LARIAT_ENOMEM;
    f->e = f->d + n;
    f->tau = f->e + n;
    f->dd = f->tau + n;
    f->ee = f->dd + n;
    /* One workspace for DSYTRD and DORMTR: the larger of their queries. */
    double q1 = 0.0, q2 = 0.0;
    lapack_int info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, a, (lapack_int)n, f->d, f->e, f->tau,
                                          &q1, -1);
    if (info == 0) {
        info = LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 'L', 'U', 'N', (lapack_int)n, (lapack_int)max_cols, a,
                                   (lapack_int)n, f->tau, a, (lapack_int)n, &q2, -1);
    }
    f->lwork = (int64_t)fmax(fmax(q1, q2), 1.0);
    f->work = info == 0 ? lariat_malloc(ctx, (size_t)f->lwork, sizeof(double), "tridiagonal workspace") : NULL;
    if (info == 0 && f->work == NULL) {
        lariat_shifted_free(f);
        return LARIAT_ENOMEM;
    }
    if (info == 0) {
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, a, (lapack_int)n, f->d, f->e, f->tau, f->work,
                                   (lapack_int)f->lwork);
    }
    if (info != 0) {
        lariat_shifted_free(f);
        return lariat_error(ctx, LARIAT_ENUMERIC, "the tridiagonal reduction of order %lld failed (info %d)",
                            (long long)n, (int)info);
    }
    return LARIAT_OK;
}

static void apply(lariat_shifted *f, char trans, double *x, int64_t k)
{
    if (f->n < 2 || k < 1) return;
    LAPACKE_dormtr_work(LAPACK_COL_MAJOR, 'L', 'U', trans, (lapack_int)f->n, (lapack_int)k, f->a, (lapack_int)f->n,
                        f->tau, x, (lapack_int)f->n, f->work, (lapack_int)f->lwork);
}

void lariat_shifted_to_tri(lariat_shifted *f, double *x, int64_t k) { apply(f, 'T', x, k); }

void lariat_shifted_from_tri(lariat_shifted *f, double *x, int64_t k) { apply(f, 'N', x, k); }

int lariat_shifted_tri_solve(lariat_shifted *f, double lambda, double *y)
{
    const int64_t n = f->n;
    for (int64_t i = 0; i < n; i++) f->dd[i] = f->d[i] + lambda;
    if (n > 1) memcpy(f->ee, f->e, (size_t)(n - 1) * sizeof(double));
    return LAPACKE_dptsv_work(LAPACK_COL_MAJOR, (lapack_int)n, 1, f->dd, f->ee, y, (lapack_int)n) == 0;
}

double lariat_shifted_scale(const lariat_shifted *f)
{
    double s = 0.0;
    for (int64_t i = 0; i < f->n; i++) s = fmax(s, fabs(f->d[i]));
    return s;
}
