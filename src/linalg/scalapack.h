/*
** BLACS and ScaLAPACK for lariat: the prototypes of the routines lariat
** calls (Debian ships the libraries without headers, PLATFORM.md), the
** block-cyclic index arithmetic, and a process grid made from a context's
** communicator.
**
** Layout (the ScaLAPACK Users' Guide, section 4.3): a p x p matrix is cut
** into nb x nb blocks; block (I, J) lives on process (I mod nprow,
** J mod npcol) of the grid, which stores its blocks column-major with
** leading dimension lld = max(1, local rows). Every matrix here starts on
** process (0, 0).
**
** Fortran routines take every argument by address. Character arguments
** are followed, at the end of the argument list, by their hidden lengths
** (gfortran passes them as size_t): passing them keeps the calls correct
** under compilers that rely on them.
*/
#ifndef LARIAT_SCALAPACK_H
#define LARIAT_SCALAPACK_H

#include "lariat.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------- */
/* BLACS (C interface). */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);
int Cblacs_pnum(int ctxt, int prow, int pcol);

/* ------------------------------------------------------------------------- */
/* ScaLAPACK tools and solvers (Fortran interface). */
enum { LARIAT_DLEN = 9 }; /* descriptor length; CTXT_ = 1, M_ = 2, N_ = 3, MB_ = 4, NB_ = 5, LLD_ = 8 (0-based) */

void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *ictxt, const int *lld, int *info);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);

/* Cholesky factorization and solve of a symmetric positive definite matrix. */
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info,
              size_t uplo_len);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia, const int *ja,
              const int *desca, double *b, const int *ib, const int *jb, const int *descb, int *info,
              size_t uplo_len);

/* Every eigenvalue and eigenvector of a symmetric matrix by divide and
** conquer (a is destroyed). */
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, double *w, double *z, const int *iz, const int *jz, const int *descz, double *work,
              const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len, size_t uplo_len);

/* Reduction of a symmetric matrix to tridiagonal form, A = Q T Q' (a is
** overwritten by T's two diagonals and the Householder vectors of Q), and
** the product of Q or Q' with a distributed matrix c. */
void pdsytrd_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, double *d,
              double *e, double *tau, double *work, const int *lwork, int *info, size_t uplo_len);
void pdormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n, const double *a,
              const int *ia, const int *ja, const int *desca, const double *tau, double *c, const int *ic,
              const int *jc, const int *descc, double *work, const int *lwork, int *info, size_t side_len,
              size_t uplo_len, size_t trans_len);

/* ------------------------------------------------------------------------- */
/* Block-cyclic index arithmetic for a dimension cut into blocks of nb over np
** processes, starting on process 0. Not collective. */

/* The process that owns global index g. */
static inline int lariat_bc_owner(int64_t g, int nb, int np) { return (int)((g / nb) % np); }

/* Its index in the owner's local storage. */
static inline int64_t lariat_bc_local(int64_t g, int nb, int np) { return (g / ((int64_t)nb * np)) * nb + g % nb; }

/* The global index of local index l on process proc. */
static inline int64_t lariat_bc_global(int64_t l, int nb, int proc, int np)
{
    return ((l / nb) * np + proc) * nb + l % nb;
}

/* ------------------------------------------------------------------------- */
/* A BLACS process grid over every rank of a context's communicator. */
typedef struct lariat_grid {
    MPI_Comm comm;   /* the grid's own duplicate of the context's communicator */
    int handle;      /* BLACS system handle of comm; -1 = none */
    int ctxt;        /* the grid's BLACS context; -1 = none */
    int nprow, npcol;
    int myrow, mycol;
    int nb;          /* the square block size of every matrix on the grid */
} lariat_grid;

/* Collective. An nprow x npcol grid (row-major: rank r is process
** (r / npcol, r mod npcol)) over every rank of ctx's communicator, built with
** Csys2blacs_handle from a duplicate of it (never the world's context):
** BLACS hands out one handle per communicator, so two grids alive on the
** same context would otherwise share, and free, one handle. nprow = npcol
** = 0 chooses the most nearly square grid with nprow <= npcol; nb <= 0
** chooses the default block size. A shape that does not use exactly the
** ranks of the communicator is LARIAT_EUSAGE (agreed). */
int lariat_grid_create(lariat_ctx *ctx, int nprow, int npcol, int nb, lariat_grid *grid);

/* Collective. Releases the grid, the system handle and the duplicate
** communicator (Cblacs_gridexit, Cfree_blacs_system_handle, MPI_Comm_free;
** never Cblacs_exit, which would end MPI). A grid that was never made (handle
** and ctxt -1, comm MPI_COMM_NULL) is a no-op. */
void lariat_grid_destroy(lariat_grid *grid);

/* Not collective. The local rows (row = 1) or columns (row = 0) of an
** n x n matrix on this process. */
int lariat_grid_local(const lariat_grid *grid, int n, int row);

/* Not collective. Fills the descriptor of an n x n matrix on the grid, with
** leading dimension max(1, local rows). LARIAT_EUSAGE if ScaLAPACK refuses. */
int lariat_grid_desc(lariat_ctx *ctx, const lariat_grid *grid, int n, int *desc);

#endif /* LARIAT_SCALAPACK_H */
