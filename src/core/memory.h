/*
** Memory use of the processes: the peak resident set size reported in the
** model file ("peak_rss_mb", SPEC.md section 5) and the summary.
*/
#ifndef LARIAT_MEMORY_H
#define LARIAT_MEMORY_H

#include "lariat.h"

/* Not collective. This process's peak resident set size in MiB
** (getrusage(RUSAGE_SELF).ru_maxrss, which Linux reports in KiB); 0 if
** getrusage fails. */
double lariat_peak_rss_local_mb(void);

/* Collective. The maximum over the ranks of the context of their peak
** resident set size, in MiB, on every rank. Returns LARIAT_EMPI on MPI
** failure (agreed: the reduction either fails everywhere or nowhere). */
int lariat_peak_rss_mb(lariat_ctx *ctx, double *mb);

#endif /* LARIAT_MEMORY_H */
