/*
** A BLACS process grid over a context's communicator (see scalapack.h).
**
** The grid comes from Csys2blacs_handle on a duplicate of the context's own
** communicator, so that it works on any sub-communicator (cross-validation
** groups, a caller's MPI program); the world's BLACS context is never used
** and Cblacs_exit is never called, since it finalizes MPI.
*/
#include "linalg/scalapack.h"

#include "core/core.h"

/* The default block size: large enough that the local BLAS-3 kernels of
** ScaLAPACK run near peak, small enough that a few thousand columns still
** spread over every process. At p = 4000 on 4 ranks, blocks of 32, 64 and
** 128 were within the machine's noise of each other (PDSYEVD 28.8, 30.4,
** 27.9 s; PDPOTRF 1.9, 1.0, 0.8 s in one run). */
#define LARIAT_GRID_DEFAULT_NB 64

/* Not collective. The most nearly square factorization size = r * c with
** r <= c: r is the largest divisor of size not above its square root. */
static void square_shape(int size, int *nprow, int *npcol)
{
    int r = 1;
    for (int d = 1; (int64_t)d * d <= size; d++) {
        if (size % d == 0) r = d;
    }
    *nprow = r;
    *npcol = size / r;
}

int lariat_grid_create(lariat_ctx *ctx, int nprow, int npcol, int nb, lariat_grid *grid)
{
    const int size = lariat_ctx_size(ctx), rank = lariat_ctx_rank(ctx);
    grid->comm = MPI_COMM_NULL;
    grid->handle = -1;
    grid->ctxt = -1;
    if (nprow <= 0 && npcol <= 0) square_shape(size, &nprow, &npcol);
    grid->nprow = nprow;
    grid->npcol = npcol;
    grid->nb = nb > 0 ? nb : LARIAT_GRID_DEFAULT_NB;
    /* The shape is the same on every rank (arguments and size are), so the
    ** check needs no agreement. */
    if (nprow <= 0 || npcol <= 0 || (int64_t)nprow * npcol != size) {
        return lariat_error(ctx, LARIAT_EUSAGE, "a %d x %d process grid does not use the %d ranks", nprow, npcol,
                            size);
    }
    if (MPI_Comm_dup(lariat_ctx_comm(ctx), &grid->comm) != MPI_SUCCESS) {
        grid->comm = MPI_COMM_NULL;
        return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Comm_dup for the BLACS grid failed"));
    }
    grid->handle = Csys2blacs_handle(grid->comm);
    grid->ctxt = grid->handle;
    Cblacs_gridinit(&grid->ctxt, "Row", nprow, npcol);
    int pr = -1, pc = -1, myrow = -1, mycol = -1;
    Cblacs_gridinfo(grid->ctxt, &pr, &pc, &myrow, &mycol);
    grid->myrow = myrow;
    grid->mycol = mycol;
    /* lariat addresses the grid's processes by their ranks in the
    ** communicator (reduce-scatter counts are in rank order): check that
    ** BLACS numbered them so. */
    int rc = LARIAT_OK;
    if (pr != nprow || pc != npcol || myrow < 0 || Cblacs_pnum(grid->ctxt, myrow, mycol) != rank ||
        myrow * npcol + mycol != rank) {
        rc = lariat_error(ctx, LARIAT_EMPI, "BLACS did not build the %d x %d grid in rank order", nprow, npcol);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) lariat_grid_destroy(grid);
    return rc;
}

void lariat_grid_destroy(lariat_grid *grid)
{
    if (grid->ctxt >= 0 && grid->myrow >= 0) Cblacs_gridexit(grid->ctxt);
    if (grid->handle >= 0) Cfree_blacs_system_handle(grid->handle);
    if (grid->comm != MPI_COMM_NULL) MPI_Comm_free(&grid->comm);
    grid->ctxt = -1;
    grid->handle = -1;
}

int lariat_grid_local(const lariat_grid *grid, int n, int row)
{
    const int zero = 0;
    return row ? numroc_(&n, &grid->nb, &grid->myrow, &zero, &grid->nprow)
               : numroc_(&n, &grid->nb, &grid->mycol, &zero, &grid->npcol);
}

int lariat_grid_desc(lariat_ctx *ctx, const lariat_grid *grid, int n, int *desc)
{
    const int zero = 0;
    int lld = lariat_grid_local(grid, n, 1), info = 0;
    if (lld < 1) lld = 1;
    descinit_(desc, &n, &n, &grid->nb, &grid->nb, &zero, &zero, &grid->ctxt, &lld, &info);
    if (info != 0) {
        return lariat_error(ctx, LARIAT_EUSAGE, "ScaLAPACK refused the descriptor of a %d x %d matrix (argument %d)",
                            n, n, -info);
    }
    return LARIAT_OK;
}
