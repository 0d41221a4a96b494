/*
** lariat_loadbench: the loaders against the page cache, for jobs/bench.sh
** and docs/performance.md. Not part of the library.
**
**   mpirun -n P lariat_loadbench [--reps R] FILE...
**
** For each FILE (its format from the extension, as lariat reads it), every
** rank at once, each phase between barriers and timed as the slowest rank:
**
** - pagecache: rank r reads its share [r size / P, (r + 1) size / P) of the
**   file with pread in 4 MiB chunks into one buffer, as `cat FILE >
**   /dev/null` or `dd bs=4M` do for the whole file: the rate at which the
**   bytes leave the page cache, with nothing done to them.
** - fresh: the same reads into a newly allocated array as large as the share
**   (huge pages advised, as the readers do), freed again: what a loader
**   that fills fresh memory cannot beat (the kernel zeroes every new page;
**   on a virtual machine the hypervisor may back it too).
** - load: lariat_data_read of the file, and the dataset destroyed again.
**
** Rank 0 prints one line per file:
**   FILE bytes B pagecache_mb_s_per_rank X load_mb_s_per_rank Y load_over_pagecache Z
**        pagecache_cpu_mb_s_per_rank X' load_cpu_mb_s_per_rank Y'
**        fresh_mb_s_per_rank F load_over_fresh Z'
** where the rates are file bytes / seconds / P (each rank's share), the
** median of R runs (R = 5 by default) in which the phases alternate, so
** that a busy moment slows them alike; Z = X / Y, the load's time over the
** time of merely reading its bytes, and Z' = F / Y over the time of reading
** them into fresh memory. X' and Y' divide by the CPU time of the
** slowest rank (user and system, CLOCK_PROCESS_CPUTIME_ID) instead of the
** wall time: on a machine shared with other work they move less, as the
** time the rank waits for a core is not in them (the time it waits for the
** other ranks is, as MPI's collectives spin). The first run of the first file also
** warms the page cache (run the tool twice, or `cat` the files first, to
** time a warm cache only). MPI_COMM_WORLD appears here because this is a
** main program, like src/cli.
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK ((size_t)4 << 20)
#define MAX_REPS 101

/* Collective. The largest of the ranks' values. */
static double max_over_ranks(double t)
{
    MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return t;
}

/* Not collective. CPU seconds of this process so far. */
static double cpu_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Collective. Wall seconds of one phase: a barrier, then this rank's time;
** *cpu0 is the CPU time at the start. */
static double phase_start(double *cpu0)
{
    MPI_Barrier(MPI_COMM_WORLD);
    *cpu0 = cpu_now();
    return MPI_Wtime();
}

/* Not collective. Reads bytes [a, b) of fd with pread in CHUNK pieces into
** buf, each to the same place (advance = 0) or each after the last (1); 0
** on success. */
static int read_share(int fd, char *buf, int64_t a, int64_t b, int advance)
{
    while (a < b) {
        size_t n = (size_t)(b - a) < CHUNK ? (size_t)(b - a) : CHUNK;
        ssize_t got = pread(fd, buf, n, (off_t)a);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        a += got;
        if (advance) buf += got;
    }
    return 0;
}

/* Not collective. Reads bytes [a, b) of fd into a new array; 0 on success. */
static int read_fresh(int fd, int64_t a, int64_t b)
{
    char *dst = malloc((size_t)(b - a) + 1);
    if (dst == NULL) return -1;
    lariat_advise_huge(dst, (size_t)(b - a));
    int bad = read_share(fd, dst, a, b, 1);
    free(dst);
    return bad;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Collective. Times one file; rank 0 prints its line. */
static int bench_file(lariat_ctx *ctx, const char *path, int reps, char *buf, int rank, int size)
{
    struct stat sb;
    int fd = open(path, O_RDONLY);
    int rc = lariat_agree(ctx, fd >= 0 && fstat(fd, &sb) == 0
                                   ? LARIAT_OK
                                   : lariat_error(ctx, LARIAT_EDATA, "%s: cannot open: %s", path, strerror(errno)));
    if (rc != LARIAT_OK) {
        if (fd >= 0) close(fd);
        return rc;
    }
    const int64_t bytes = (int64_t)sb.st_size;
    const int64_t a = bytes / size * rank + bytes % size * rank / size;
    const int64_t b = bytes / size * (rank + 1) + bytes % size * (rank + 1) / size;
    double cache_s[MAX_REPS], load_s[MAX_REPS], cache_cpu[MAX_REPS], load_cpu[MAX_REPS], fresh_s[MAX_REPS], c0;
    for (int r = 0; r < reps && rc == LARIAT_OK; r++) {
        double t0 = phase_start(&c0);
        int bad = read_share(fd, buf, a, b, 0);
        double t = MPI_Wtime() - t0;
        cache_cpu[r] = max_over_ranks(cpu_now() - c0);
        cache_s[r] = max_over_ranks(t);
        t0 = phase_start(&c0);
        bad |= read_fresh(fd, a, b);
        fresh_s[r] = max_over_ranks(MPI_Wtime() - t0);
        rc = lariat_agree(ctx, bad ? lariat_error(ctx, LARIAT_EIO, "%s: read failed", path) : LARIAT_OK);
        if (rc != LARIAT_OK) break;
        lariat_data *d = NULL;
        t0 = phase_start(&c0);
        rc = lariat_data_read(ctx, path, NULL, &d);
        t = MPI_Wtime() - t0;
        load_cpu[r] = max_over_ranks(cpu_now() - c0);
        load_s[r] = max_over_ranks(t);
        lariat_data_destroy(d);
    }
    close(fd);
    if (rc != LARIAT_OK) return rc;
    const double mb = (double)bytes / 1e6 / size;
    const double cache = mb / median(cache_s, reps), load = mb / median(load_s, reps);
    const double cache_c = mb / median(cache_cpu, reps), load_c = mb / median(load_cpu, reps);
    const double fresh = mb / median(fresh_s, reps);
    if (rank == 0) {
        printf("%s bytes %lld pagecache_mb_s_per_rank %.4g load_mb_s_per_rank %.4g load_over_pagecache %.4g "
               "pagecache_cpu_mb_s_per_rank %.4g load_cpu_mb_s_per_rank %.4g fresh_mb_s_per_rank %.4g "
               "load_over_fresh %.4g\n",
               path, (long long)bytes, cache, load, cache / load, cache_c, load_c, fresh, fresh / load);
        fflush(stdout);
    }
    return LARIAT_OK;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, reps = 5, first = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc > 2 && strcmp(argv[1], "--reps") == 0) {
        reps = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || reps < 1 || reps > MAX_REPS) {
        if (rank == 0) fprintf(stderr, "usage: lariat_loadbench [--reps R (1..%d)] FILE...\n", MAX_REPS);
        MPI_Finalize();
        return 1;
    }
    lariat_ctx *ctx = NULL;
    int rc = lariat_ctx_create(MPI_COMM_WORLD, &ctx);
    char *buf = malloc(CHUNK);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, buf != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    for (int i = first; i < argc && rc == LARIAT_OK; i++) rc = bench_file(ctx, argv[i], reps, buf, rank, size);
    if (rc != LARIAT_OK && rank == 0) fprintf(stderr, "lariat_loadbench: %s\n", ctx ? lariat_errmsg(ctx) : "no context");
    free(buf);
    lariat_ctx_destroy(ctx);
    MPI_Finalize();
    return rc == LARIAT_OK ? 0 : 1;
}
