/*
** Memory use of the processes: the peak resident set size reported in the
** model file ("peak_rss_mb", SPEC.md section 5) and the summary; and advice
** to the kernel on how to back the large arrays.
*/
#ifndef LARIAT_MEMORY_H
#define LARIAT_MEMORY_H

#include "lariat.h"

#include <stddef.h>

/* Not collective. This process's peak resident set size in MiB
** (getrusage(RUSAGE_SELF).ru_maxrss, which Linux reports in KiB); 0 if
** getrusage fails. */
double lariat_peak_rss_local_mb(void);

/* Collective. The maximum over the ranks of the context of their peak
** resident set size, in MiB, on every rank. Returns LARIAT_EMPI on MPI
** failure (agreed: the reduction either fails everywhere or nowhere). */
int lariat_peak_rss_mb(lariat_ctx *ctx, double *mb);

/* Not collective. Asks the kernel to back the pages that hold [ptr, ptr +
** bytes) with transparent huge pages (Linux madvise MADV_HUGEPAGE) when the
** range spans at least LARIAT_HUGE_MIN_BYTES; a no-op for smaller ranges, on
** other systems, and when the kernel refuses (the advice is only advice).
** Call it on a freshly allocated (or grown) array before writing to it: each
** first touch of a 4 KiB page is a page fault, and a 2 MiB page takes one
** fault for 512 of them. Where page faults are dear (a virtual machine whose
** hypervisor sees each one) this is most of the cost of filling the array;
** measured on the development machine (README "Performance"), 80 MiB of
** fresh memory took 240 ms to fill in 4 KiB pages and 15 ms in 2 MiB pages.
** The memory is freed with free() as usual. */
#define LARIAT_HUGE_MIN_BYTES ((size_t)4 << 20)
void lariat_advise_huge(void *ptr, size_t bytes);

/* Not collective. Like lariat_malloc (core/core.h: NULL and the context's
** message when out of memory), for a workspace of `bytes` that is written in
** full right after: from LARIAT_HUGE_PAGE bytes on, a mapping of its own
** that begins on a 2 MiB boundary, its whole 2 MiB pages advised huge, so
** that each takes one fault where it took 512 (the tail stays in 4 KiB
** pages, so the resident size is what is written). malloc places a block
** of a few MiB anywhere, where it holds few or no whole 2 MiB pages, and
** lariat_advise_huge leaves blocks under LARIAT_HUGE_MIN_BYTES alone: the
** binned sums of a 10-fold CV's fold statistics (100,000 x 100: 2.1 MB)
** took 404 faults of about 10 us each on the development machine, 4 ms of
** a 0.06 s CV at two ranks (docs/performance.md). A mapping of its own also
** keeps the advice off every other block, and is returned at free. Free
** with lariat_free_huge and the same bytes. */
#define LARIAT_HUGE_PAGE ((size_t)2 << 20)
void *lariat_malloc_huge(lariat_ctx *ctx, size_t bytes, const char *what);
void lariat_free_huge(void *ptr, size_t bytes);

/* Not collective. lariat_malloc_huge's workspace, zeroed (a fresh mapping
** is zero already: nothing is written before the caller's first touch). */
void *lariat_calloc_huge(lariat_ctx *ctx, size_t bytes, const char *what);

#endif /* LARIAT_MEMORY_H */
