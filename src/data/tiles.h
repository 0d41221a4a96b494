/*
** Tiles of rows: what makes every sum over rows the same at any rank count.
**
** The global rows are cut into tiles of T consecutive rows (T a power of two
** fixed by the data's shape alone, lariat_tile_rows), and every rank's
** block of rows starts on a tile boundary, so that a tile never straddles two
** ranks. A sum over rows is then the sum over tiles of each tile's partial
** sum; a tile's partial is computed by the same code on the same rows
** wherever the tile lives, so it is the same double at any rank count, and
** the partials are combined by the binned sum of linalg/rsum.h, whose result
** does not depend on the order. Sums over rows go through lariat_tilesum_run
** and nothing else (docs/reproducibility.md; tests/reductions.sh checks it).
**
** Readers leave their rows on tile boundaries (lariat_data_shift_to_tiles,
** or the HDF5 reader's tile split); a data set a caller built with another
** split is copied onto them (lariat_data_align) by the entry points.
*/
#ifndef LARIAT_TILES_H
#define LARIAT_TILES_H

#include "lariat.h"
#include "linalg/rsum.h"

#include <stdint.h>

/* Not collective. Rows per tile for n rows of p features: the largest power
** of two up to max(n / 32, 16 p), but at most n / 8 and 32768. Big enough
** that a tile's work (a Gram block is T p^2 / 2 multiply-adds, sparse or
** not) dwarfs the binned deposit of its partial (p^2 / 2 values at about
** 2 ns each); small enough that at least 8 tiles spread over a few ranks. */
int64_t lariat_tile_rows(int64_t n, int64_t p);

/* Not collective. Rows a reader should leave room for after the about
** local_rows rows of its part (p features, or p <= 0 when not known yet) at
** nranks ranks: lariat_data_shift_to_tiles adds fewer than T rows to a
** block (fewer than T / 2 at each end), and a block with that room takes
** them in place. Without it realloc
** moves the block (mremap), and on a virtual machine whose hypervisor sees
** page faults every page of a moved block faults again at its next touch:
** measured on the development machine, the first pass over a moved 41 MB
** block ran at 0.8 GB/s, the next at 16 GB/s (docs/reproducibility.md, Cost).
** The room is address space only: pages never touched take no memory.
** 0 at one rank (nothing moves). */
int64_t lariat_tile_shift_room(int64_t local_rows, int64_t p, int nranks);

/* Not collective. Member m of s ranks sharing n rows of p features on tile
** boundaries owns [*row0, *row0 + *count): the tiles spread as evenly as whole tiles allow
** (ranks may hold no row when there are fewer tiles than ranks). */
void lariat_tile_split(int64_t n, int64_t p, int s, int m, int64_t *row0, int64_t *count);

/* Not collective. Whether this rank's block starts on a tile boundary and
** ends on one (or at row n). */
int lariat_tiles_local_aligned(const lariat_data *d);

/* Collective. When some rank's block is not on tile boundaries, moves the
** rows onto the even tile split (data/regroup.h, with the per-row extras
** row_w and foldid, either NULL) and returns the new set in *out (with
** *out_w and *out_foldid, malloc'ed or NULL); otherwise *out = NULL and the
** caller keeps its own. Errors are agreed on every rank. */
int lariat_data_align(lariat_ctx *ctx, const lariat_data *d, const double *row_w, const int *foldid,
                      lariat_data **out, double **out_w, int **out_foldid);

/* Collective. Moves d's rows onto tile boundaries in place: each rank's
** block then starts at the tile boundary nearest its old start, so the
** blocks are as even as whole tiles allow, fewer than T / 2 rows travel at
** each end of a block (to the neighbouring ranks), and no rank holds a
** second copy. For readers, whose byte ranges split rows anywhere. Errors
** are agreed on every rank (d is then unusable). */
int lariat_data_shift_to_tiles(lariat_ctx *ctx, lariat_data *d);

/* The partial sum of one tile: fills part[0, len) with the sum over the
** local rows [i0, i0 + m) (overwrite): one whole tile when the rows are on
** tile boundaries (else the part of a tile this rank holds). */
typedef void (*lariat_tile_fn)(void *arg, int64_t i0, int64_t m, double *part);

/* A workspace for sums of up to len_max values: a tile's partial and the
** binned accumulator. */
typedef struct lariat_tilesum {
    lariat_ctx *ctx;
    const lariat_data *data;
    int64_t len_max;
    double *part;
    lariat_rsum_entry *acc;
} lariat_tilesum;

/* Collective. Allocates the workspace for sums over data's rows of up to
** len_max values. Rows off tile boundaries (a caller that did not align
** them: see lariat_data_align) give sums as accurate, but not the same at
** every rank count. Errors are agreed. */
int lariat_tilesum_create(lariat_ctx *ctx, const lariat_data *data, int64_t len_max, lariat_tilesum **out);
void lariat_tilesum_destroy(lariat_tilesum *ts);

/* Collective. out[0, len) = the sum over every tile of the global rows of
** fn's partials: the same doubles at any rank count and in any run (for
** rows on tile boundaries). Costs
** one pass of fn over the local tiles, one binned deposit of len values per
** tile and one MPI_Allreduce of 4 len doubles. LARIAT_EUSAGE when len >
** len_max (a caller's bug, the same on every rank). */
int lariat_tilesum_run(lariat_tilesum *ts, int64_t len, lariat_tile_fn fn, void *arg, double *out);

/* Collective. lariat_tilesum_run with a workspace of its own, for sums made
** once (setup, not iterations). Errors are agreed. */
int lariat_tile_sum(lariat_ctx *ctx, const lariat_data *data, int64_t len, lariat_tile_fn fn, void *arg,
                    double *out);

/* The partial sum of one tile over the values [t0, t1) of a longer sum:
** fills part[0, t1 - t0) with the sum over the local rows [i0, i0 + m). */
typedef void (*lariat_tile_piece_fn)(void *arg, int64_t i0, int64_t m, int64_t t0, int64_t t1, double *part);

/* Collective. lariat_tile_sum in npieces pieces: out[bounds[q], bounds[q +
** 1]) for each q, each piece its own pass of fn over the local tiles and
** its own reduction. The workspace holds the largest piece, not the whole
** sum: the binned accumulator takes four doubles a value, 64 MB for a
** 2,000 x 2,000 Gram's triangle, and on this kind of machine the first
** touch of fresh memory is the dearest part of a sum made once. The same
** doubles as lariat_tile_sum (every value is its own binned sum). Errors
** are agreed. */
int lariat_tile_sum_pieces(lariat_ctx *ctx, const lariat_data *data, int npieces, const int64_t *bounds,
                           lariat_tile_piece_fn fn, void *arg, double *out);

#endif /* LARIAT_TILES_H */
