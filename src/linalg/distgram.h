/*
** The distributed Gram: a symmetric p x p matrix in 2D block-cyclic layout
** on a BLACS grid (linalg/scalapack.h), built from the rows that each rank
** holds, and the few operations the pgram solver needs on it: Cholesky
** factors and solves, a reduction to tridiagonal form and products with
** its orthogonal factor, a full eigendecomposition, and products with
** vectors that every rank holds whole. No rank ever holds the whole matrix:
** each has its about p^2 / ranks entries (twice that with a kept factor or
** while an eigendecomposition runs).
**
** Only the lower triangle is formed and referenced (ScaLAPACK's uplo = 'L').
*/
#ifndef LARIAT_DISTGRAM_H
#define LARIAT_DISTGRAM_H

#include "lariat.h"
#include "linalg/scalapack.h"

#include <stdint.h>

typedef struct lariat_dgram {
    lariat_grid grid;
    int n;              /* the order p */
    int desc[LARIAT_DLEN];
    int mloc, nloc;     /* local rows and columns */
    int lld;            /* leading dimension of a: max(1, mloc) */
    double *a;          /* mloc x nloc, column-major: the matrix, its factor, its tridiagonal form or its
                           eigenvectors */
    double *tau;        /* NULL, or nloc + 1: the Householder scalars of a tridiagonal reduction */
    double *f;          /* NULL, or the same shape: a Cholesky factor kept beside the matrix */
    int factor_in_a;    /* the last factor was made in place, over a */
    int *grow, *gcol;   /* the global index of each local row and column */
    double *bin, *bout; /* scratch of the vector products: (max(mloc, nloc)) x 2 each */
    double *rhs;        /* the local part of a right-hand side (mloc) */
} lariat_dgram;

/* Collective. A zero n x n matrix on an nprow x npcol grid with blocks of nb
** (0, 0, 0: a near-square grid and the default block size) over the ranks
** of ctx. Errors (agreed): LARIAT_EUSAGE for a grid that does not fit the
** ranks, LARIAT_ENOMEM. On failure g holds nothing to free. */
int lariat_dgram_create(lariat_ctx *ctx, int n, int nprow, int npcol, int nb, lariat_dgram *g);

/* Collective. Frees the matrix and releases the grid. */
void lariat_dgram_destroy(lariat_dgram *g);

/* Collective. The lower triangle of
**   A = sum_i (w_i / W) a_i a_i',   a_ij = (x_ij - shift_j) colscale_j,
** over every rank's rows of X (shift NULL = 0), overwriting the matrix.
** Each rank multiplies its rows into one column panel at a time (DGEMM on a
** few hundred rows at a time) and one ring reduce-scatter per panel sums
** the panel and delivers each block to its owner. Errors (agreed): ENOMEM, EMPI. */
int lariat_dgram_form(lariat_ctx *ctx, lariat_dgram *g, const lariat_matrix *X, const double *w,
                      const double *shift, const double *colscale, double W);

/* Collective. The Cholesky factor (PDPOTRF) of M = A + diag(d), d with n
** values on every rank: with keep, into storage of its own (allocated on
** first use), so that A stays; otherwise in place, over A. *pd is 0 when M
** is not positive definite (the factor is then partial and unusable).
** Errors (agreed): ENOMEM, EMPI, ENUMERIC for an argument ScaLAPACK refused. */
int lariat_dgram_factor(lariat_ctx *ctx, lariat_dgram *g, const double *d, int keep, int *pd);

/* Collective. x = M^-1 b with the last factor (PDPOTRS); b and x hold n
** values on every rank (they may not alias). One allreduce gathers x.
** Errors (agreed): EMPI, ENUMERIC. */
int lariat_dgram_solve(lariat_ctx *ctx, lariat_dgram *g, const double *b, double *x);

/* Collective. out = A in for the symmetric A whose lower triangle is held
** (not after an in-place factor or an eigendecomposition); in and out hold
** n values on every rank. One allreduce of n doubles. Errors (agreed): EMPI. */
int lariat_dgram_symv(lariat_ctx *ctx, lariat_dgram *g, const double *in, double *out);

/* Collective. The reduction of M = A + diag(shift) (shift: n values on
** every rank, or NULL for none) to tridiagonal form M = Q T Q' (PDSYTRD,
** Householder reflections, 4/3 n^3 flops, half of them in matrix-vector
** products): the matrix is replaced by T's two diagonals and the
** Householder vectors of Q, whose scalars are kept in g->tau. d (n values)
** and e (n - 1 values, NULL when n = 1 is allowed only for e) receive the
** diagonal and subdiagonal of T, read back from the matrix and summed over
** the ranks, so they are bit for bit the same on every rank. Scratch:
** PDSYTRD's workspace, about nb (local rows + 3) doubles. Errors (agreed):
** ENOMEM, ENUMERIC for an argument ScaLAPACK refused. */
int lariat_dgram_tridiag(lariat_ctx *ctx, lariat_dgram *g, const double *shift, double *d, double *e);

/* Collective. inout = Q inout (trans = 0) or Q' inout (trans = 1) for k
** vectors, Q from the last lariat_dgram_tridiag; inout is n x k,
** column-major, on every rank. The k vectors are spread block-cyclically
** like the matrix and PDORMTR applies Q's block reflectors to all of them
** at once (BLAS-3 when k is large); one allreduce of n k doubles brings
** them back whole to every rank. Allocates the local part of the n x k
** matrix and PDORMTR's workspace for the call. Errors (agreed): ENOMEM,
** EMPI, ENUMERIC for an argument ScaLAPACK refused. */
int lariat_dgram_qmult(lariat_ctx *ctx, lariat_dgram *g, int trans, int k, double *inout);

/* Collective. Every eigenvalue (e, n values, ascending, bit for bit the same
** on every rank) and eigenvector of A by divide and conquer (PDSYEVD): the
** matrix is replaced by Q, whose columns are the eigenvectors,
** A = Q diag(e) Q'. Needs about two more local matrices of scratch while it
** runs. Errors (agreed): ENOMEM, ENUMERIC when PDSYEVD fails. */
int lariat_dgram_eigen(lariat_ctx *ctx, lariat_dgram *g, double *e);

/* Collective. out = M in (trans = 0) or M' in (trans = 1) for k <= 2 vectors,
** M the full matrix held (every entry is used, so M must not be a
** lower-triangle-only A: call it on eigenvectors); in and out are n x k,
** column-major, on every rank. One local DGEMM and one allreduce of n k
** doubles. Errors (agreed): EMPI. */
int lariat_dgram_mult(lariat_ctx *ctx, lariat_dgram *g, int trans, int k, const double *in, double *out);

#endif /* LARIAT_DISTGRAM_H */
