/*
** BLAS and LAPACK through OpenBLAS's CBLAS and LAPACKE headers, and checked
** narrowing of dimensions: BLAS takes int, lariat counts in int64_t.
*/
#ifndef LARIAT_BLAS_H
#define LARIAT_BLAS_H

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdint.h>

/* Not collective. 1 when every dimension fits a BLAS int. */
static inline int lariat_blas_fits(int64_t a, int64_t b)
{
    return a >= 0 && b >= 0 && a <= INT_MAX && b <= INT_MAX && (b == 0 || a <= INT64_MAX / b);
}

#endif /* LARIAT_BLAS_H */
