/*
** Reproducible sums: a sum of many doubles whose result does not depend on
** the order in which they are added, nor on how they are split over ranks,
** bit for bit.
**
** Each value is split exactly into pieces on a fixed grid of bins (bin j
** holds multiples of 2^u_j, u_j = U0 - j W): the piece of x in bin j is x's
** remainder after the bins above, rounded to a multiple of 2^u_j. Pieces
** depend only on x and j, and the sum of the pieces in one bin is exact
** (each is below 2^(W-1) units of its bin, so 2^(54-W) of them fit in 53
** bits), so bin sums are exact whatever the order. An accumulator keeps the
** K bins below the highest bin any of its values reached, and drops what
** falls below them; since that window is fixed by the largest value seen,
** what is dropped is the same in any order. This is the binned summation of
** Demmel and Nguyen ("Parallel reproducible summation", IEEE Trans.
** Computers 64(7), 2015; ReproBLAS), here with K = 3 bins of W = 30 bits: at
** least 59 bits below the largest value survive, more than a double holds.
**
** The caller deposits partial sums (for example one per fixed tile of rows,
** data/tiles.h), the accumulators of all ranks are combined with one
** MPI_Allreduce under a commutative user operation, and each entry is
** rounded to a double once, in a fixed order.
*/
#ifndef LARIAT_RSUM_H
#define LARIAT_RSUM_H

#include "lariat.h"

#include <stdint.h>

/* Bins per accumulator entry. */
#define LARIAT_RSUM_K 3
/* Values summed into one entry, at most (the headroom of a bin). */
#define LARIAT_RSUM_MAX_TERMS ((int64_t)1 << 24)

/* One entry: its window, named by the power of two 2^(u + 52) of its highest
** bin (0 while empty, NAN once a non-finite or huge value came), and the
** bins' sums. */
typedef struct lariat_rsum_entry {
    double top;
    double bin[LARIAT_RSUM_K];
} lariat_rsum_entry;

/* Not collective. Empties count entries. */
void lariat_rsum_clear(lariat_rsum_entry *acc, int64_t count);

/* Not collective. acc[t] += v[t] for t < count. */
void lariat_rsum_add(lariat_rsum_entry *acc, const double *v, int64_t count);

/* Not collective. acc[t] += other[t]: exactly what depositing other's values
** into acc would give. */
void lariat_rsum_merge(lariat_rsum_entry *acc, const lariat_rsum_entry *other, int64_t count);

/* Not collective. out[t] = the entry rounded to a double: (bin0 + bin1) + bin2.
** NAN for an entry that took a non-finite value (or one of 2^1000 or more);
** 0 for an empty one. */
void lariat_rsum_value(const lariat_rsum_entry *acc, double *out, int64_t count);

/* Collective. Combines every rank's count entries (in place) with one
** MPI_Allreduce (in chunks for large counts) under the binned sum, which is
** exact and therefore associative and commutative. */
int lariat_rsum_allreduce(lariat_ctx *ctx, lariat_rsum_entry *acc, int64_t count);

/* Collective. lariat_rsum_allreduce and then lariat_rsum_value into out,
** bit for bit, with less traffic for large counts: the entries are merged
** round a ring of the ranks, each rank merging only its 1/P of them (a
** reduce-scatter in messages of 1 MiB, the only buffer), and the doubles
** are gathered (MPI_Allgatherv), a quarter of the entries' bytes. acc is
** left partly merged. */
int lariat_rsum_allreduce_value(lariat_ctx *ctx, lariat_rsum_entry *acc, int64_t count, double *out);

/* Not collective. The blocks of count values cut among P ranks, as the
** ring leaves them: rank r's is [displs[r], displs[r] + counts[r]) (MPI's
** counts: count <= INT_MAX). */
void lariat_rsum_ring_counts(int64_t count, int P, int *counts, int *displs);

/* Collective. Integer sums (exact in any order: data/stats.h's fixed-point
** Gram) of v's count values over the ranks, reduced round the ring in 1 MiB
** messages as lariat_rsum_allreduce_value reduces its binned sums: on
** return this rank's block (lariat_rsum_ring_counts) of v holds the sums
** over every rank, and the rest of v is scratch. The sums must not
** overflow (the caller's scales). count <= INT_MAX (MPI's counts). */
int lariat_rsum_ring_int64(lariat_ctx *ctx, int64_t *v, int64_t count);

#endif /* LARIAT_RSUM_H */
