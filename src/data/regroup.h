/*
** Redistribution of a dataset onto a group of ranks: for cross-validation
** with rank groups (--cv-groups), every group must hold ALL rows, spread
** evenly over its own members on tile boundaries (data/tiles.h), in file order.
*/
#ifndef LARIAT_REGROUP_H
#define LARIAT_REGROUP_H

#include "lariat.h"

/* Collective on ctx. sub is this rank's group (a context on a sub-communicator
** of ctx's, as from MPI_Comm_split; or ctx itself). Member m of a group of
** size S receives its even share of whole tiles of rows (lariat_tile_split),
** with their labels, weights and the per-row extras: row_w (weights in use, or NULL) and foldid (or NULL),
** returned in *out_w and *out_foldid (malloc'ed; NULL when not given).
** Dense stays dense, CSR stays CSR. Errors are agreed on ctx. */
int lariat_data_regroup(lariat_ctx *ctx, const lariat_data *data, const double *row_w, const int *foldid,
                        lariat_ctx *sub, lariat_data **out, double **out_w, int **out_foldid);

#endif /* LARIAT_REGROUP_H */
