/*
** Peak resident set size, per rank and over the ranks; huge-page advice.
*/
/* madvise's MADV_HUGEPAGE is a Linux extension, outside strict POSIX. */
#define _DEFAULT_SOURCE 1

#include "core/memory.h"

#include "core/core.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

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

void lariat_advise_huge(void *ptr, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    if (ptr == NULL || bytes < LARIAT_HUGE_MIN_BYTES) return;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    /* madvise wants page boundaries. Rounding outwards stays inside memory
    ** the process has mapped (the pages that hold the range's ends), and the
    ** advice changes no contents. It must: malloc serves a large array with a
    ** mapping of its own that begins a few bytes before the array, and
    ** advice on part of a mapping splits it in two, after which realloc can
    ** no longer move it with mremap and copies the array instead. */
    const uintptr_t mask = (uintptr_t)page - 1;
    uintptr_t a = (uintptr_t)ptr & ~mask, b = ((uintptr_t)ptr + bytes + mask) & ~mask;
    (void)madvise((void *)a, (size_t)(b - a), MADV_HUGEPAGE);
#else
    (void)ptr;
    (void)bytes;
#endif
}

/* A mapping of its own needs anonymous mappings and the advice. */
#if defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS)
#define HUGE_MAPPING 1
#endif

/* Whether a huge workspace of `bytes` is a mapping of its own (else malloc's):
** from one 2 MiB page on, and not so large that the slack would overflow. */
static int own_mapping(size_t bytes)
{
#ifdef HUGE_MAPPING
    return bytes >= LARIAT_HUGE_PAGE && bytes <= SIZE_MAX - 2 * LARIAT_HUGE_PAGE;
#else
    (void)bytes;
    return 0;
#endif
}

void *lariat_malloc_huge(lariat_ctx *ctx, size_t bytes, const char *what)
{
#ifdef HUGE_MAPPING
    if (own_mapping(bytes)) {
        /* Map a page more than asked, then unmap what lies before the first
        ** 2 MiB boundary and after the last 4 KiB page of the workspace. */
        const size_t small = (size_t)sysconf(_SC_PAGESIZE), len = (bytes + small - 1) / small * small;
        char *map = mmap(NULL, len + LARIAT_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            lariat_error(ctx, LARIAT_ENOMEM, "out of memory allocating %s (%.1f MB)", what, (double)bytes / 1e6);
            return NULL;
        }
        const uintptr_t huge = LARIAT_HUGE_PAGE - 1;
        char *ptr = (char *)(((uintptr_t)map + huge) & ~huge), *map_end = map + len + LARIAT_HUGE_PAGE;
        if (ptr > map) (void)munmap(map, (size_t)(ptr - map));
        if (map_end > ptr + len) (void)munmap(ptr + len, (size_t)(map_end - (ptr + len)));
        (void)madvise(ptr, bytes / LARIAT_HUGE_PAGE * LARIAT_HUGE_PAGE, MADV_HUGEPAGE);
        return ptr;
    }
#endif
    return lariat_malloc(ctx, bytes, 1, what);
}

void *lariat_calloc_huge(lariat_ctx *ctx, size_t bytes, const char *what)
{
    return own_mapping(bytes) ? lariat_malloc_huge(ctx, bytes, what) : lariat_calloc(ctx, bytes, 1, what);
}

void lariat_free_huge(void *ptr, size_t bytes)
{
    if (ptr == NULL) return;
#ifdef HUGE_MAPPING
    if (own_mapping(bytes)) {
        const size_t small = (size_t)sysconf(_SC_PAGESIZE);
        (void)munmap(ptr, (bytes + small - 1) / small * small);
        return;
    }
#endif
    free(ptr);
}
