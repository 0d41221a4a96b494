/*
** HDF5 input and output through parallel HDF5 (SPEC.md section 5): the file
** is opened with the MPI-IO driver on the context's communicator, and every
** rank reads or writes only its own rows, by hyperslab transfers
** (collective when writing, independent when reading, straight into the
** rank's rows: hdf5.c says why), so no rank ever holds the whole data set. (Named hdf5_io.h so
** that it can never shadow the library's own <hdf5.h>.)
**
** The layout, as h5py or any HDF5 tool writes it:
**   /X              n x p, floating point (float64; float32 is widened exactly)
**   /y              n values (or n x 1), floating point
**   /w              optional: n observation weights >= 0
**   /feature_names  optional: p strings, fixed or variable length
** Rows are split evenly (byte ranges aligned to lines are for text): rank r
** of P holds rows [r q + min(r, m), (r + 1) q + min(r + 1, m)) with
** q = n / P and m = n mod P, in file order.
**
** Errors are LARIAT_EDATA with one message naming the file and the dataset
** ("FILE: /X: ..."); a value that is NaN or infinite is named by its global
** row and column, 0-based as HDF5 indexes them ("FILE: /X[12,3] (row 12,
** column 3, 0-based): NaN"), the first in row order. HDF5's own error
** printing is silenced while lariat calls it (and restored after): the
** message in the context says what went wrong, once, from one rank.
*/
#ifndef LARIAT_HDF5_IO_H
#define LARIAT_HDF5_IO_H

#include "lariat.h"

#include <stddef.h>
#include <stdint.h>

/* Collective. Reads an HDF5 file of the layout above into a dense dataset
** (the reader behind lariat_data_read; the CSV options in opt do not apply,
** and lariat_data_read refuses the ones that would be ignored). Errors are
** agreed on every rank; *out is NULL then. */
int lariat_hdf5_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out);

/* Fills count rows of a data set being written, from global row first on:
** X (count x p, row-major) and y (count). Not collective: called on each
** rank for its own rows. Returns a status (with its message in ctx). */
typedef int (*lariat_hdf5_fill_fn)(lariat_ctx *ctx, void *arg, int64_t first, int64_t count, double *X, double *y);

/* Collective. Creates path (replacing any file of that name) holding /X
** (n x p) and /y (n) as float64, without weights or names. Each rank fills
** and writes its even share of the rows in collective rounds of at most
** buffer_bytes of rows (0 = 64 MiB; at least one row), so memory stays
** bounded whatever n is. Not atomic by itself: callers write to a temporary
** name and rename it (gen.c does). Errors agreed: LARIAT_EUSAGE (n or p < 1),
** LARIAT_EIO naming the file, LARIAT_ENOMEM, or fill's status. */
int lariat_hdf5_write(lariat_ctx *ctx, const char *path, int64_t n, int64_t p, size_t buffer_bytes,
                      lariat_hdf5_fill_fn fill, void *arg);

#endif /* LARIAT_HDF5_IO_H */
