/*
** Peak resident set size, per rank and over the ranks.
*/
#include "core/memory.h"

#include "core/core.h"

#include <sys/resource.h>

double lariat_peak_rss_local_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    /* Linux reports ru_maxrss in KiB (getrusage(2)). */
    return (double)ru.ru_maxrss / 1024.0;
}

int lariat_peak_rss_mb(lariat_ctx *ctx, double *mb)
{
    double local = lariat_peak_rss_local_mb();
    *mb = local;
    if (MPI_Allreduce(&local, mb, 1, MPI_DOUBLE, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the peak memory failed");
    }
    return LARIAT_OK;
}
