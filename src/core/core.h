/*
** Internal services of the context: recording errors, agreeing on them across
** ranks, logging from rank 0, and wall-clock timing.
*/
#ifndef LARIAT_CORE_H
#define LARIAT_CORE_H

#include "lariat.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define LARIAT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LARIAT_PRINTF(a, b)
#endif

/* Not collective. Records a message on this rank and returns status, so that
** callers can write `return lariat_error(ctx, LARIAT_EDATA, "...")`. */
int lariat_error(lariat_ctx *ctx, int status, const char *fmt, ...) LARIAT_PRINTF(3, 4);

/* Collective. Every rank passes its local status; all ranks return the most
** severe one, and every rank's message becomes the message of the lowest rank
** that reported it. Costs one allreduce when every rank is fine (HPL's
** max-reduce of an error flag), plus one broadcast when some rank failed. */
int lariat_agree(lariat_ctx *ctx, int status);

/* Not collective. Prints on rank 0's stderr when the context's verbosity is at
** least level; prefixed "lariat: ". */
void lariat_log(const lariat_ctx *ctx, int level, const char *fmt, ...) LARIAT_PRINTF(3, 4);
/* Not collective. Prints on this rank's stderr, whatever its rank (warnings
** that only one rank can know). */
void lariat_warn_local(const lariat_ctx *ctx, const char *fmt, ...) LARIAT_PRINTF(2, 3);

/* Not collective. Wall-clock seconds (MPI_Wtime). */
double lariat_now(void);

/* Not collective. Checked allocation helpers: on failure record ENOMEM with
** what was being allocated and return NULL. Sizes are checked for overflow. */
void *lariat_malloc(lariat_ctx *ctx, size_t count, size_t size, const char *what);
void *lariat_calloc(lariat_ctx *ctx, size_t count, size_t size, const char *what);
/* The same, not zeroed, starting on a 64-byte boundary (a cache line, and
** one AVX-512 vector: vector loads that straddle two lines cost about twice
** one); free() frees it. */
void *lariat_malloc_aligned(lariat_ctx *ctx, size_t count, size_t size, const char *what);

/* Not collective. A scratch buffer of at least bytes that the context keeps
** (and frees with itself), so that a large workspace made once per call does
** not cost fresh pages every call; NULL (ENOMEM recorded) if it cannot be
** had. One user at a time: its contents last until the next call. */
void *lariat_scratch(lariat_ctx *ctx, size_t bytes, const char *what);

/* Collective. MPI_Allreduce(MPI_SUM) of doubles in place, with its result
** checked: returns LARIAT_EMPI (on every rank) if MPI failed. Its last bits
** depend on how MPI orders the ranks' terms, so it serves only where that
** cannot change a bit (counts below 2^53; vectors whose every entry comes
** from one rank) or where the answer depends on the row blocks by design
** (admm, the distributed Gram). Sums over rows go through data/tiles.h;
** tests/reductions.sh names the files allowed to call this. */
int lariat_allreduce_sum(lariat_ctx *ctx, double *buf, int64_t count);

#endif /* LARIAT_CORE_H */
