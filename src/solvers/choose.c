/*
** Which solver: by name, or for `auto` by the shape of the problem, and
** whether the gram solver keeps its Gram replicated or distributed.
**
** gram costs one pass of n p^2 / ranks flops and p^2 doubles on every rank,
** then every lambda is cheap; fista costs about one pass over X (2 nnz flops)
** per iteration and no p x p storage. So gram wins while its p x p matrix is
** affordable and the pass is not much more than the iterations fista would
** need; fista takes very wide and very sparse problems.
**
** A replicated Gram may take a quarter of the memory a rank can have (the
** rest is for the data, the factor and everything else). Beyond that the
** gram solver spreads the matrix over the ranks on a BLACS grid (pgram.c),
** where each rank holds p^2 / ranks of it, and says so in the reason.
*/
#include "core/core.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

/* The largest p for which auto keeps a replicated p x p Gram (128 MiB). */
#define AUTO_GRAM_MAX_P 4096
/* wsgram.c needs a path whose first lambda is at least this fraction of
** lambda_max (see lariat_solver_choose). */
#define WSG_FIRST_LAMBDA 0.8
/* The share of a rank's memory a Gram (or its share of a distributed one) may take. */
#define GRAM_MEMORY_SHARE 0.25
/* LARIAT_AUTO_WIDE_FISTA_ALPHA (solver.h) for the gaussian family: from it
** on, wsgram at any p > n. Default 100-lambda paths on 300 x 3,000 rows
** (lariat gen, one rank, 2026-12-07), seconds, replicated Gram / wsgram /
** fista: alpha 0.01 1.30 / 2.08 / 0.27; 0.1 0.99 / 0.79 / 0.77; 0.5 1.01 /
** 0.16; 1 1.39 / 0.13. Ridge itself (alpha 0) keeps the Gram's exact
** Cholesky solution (21.7 s there, one factorization a lambda; fista 0.16 s,
** to the tolerance). */

/* Not collective. MemAvailable of /proc/meminfo in bytes (the kernel's
** estimate of what can be allocated without swapping); the free pages when
** that cannot be read; infinity when neither can. */
static double available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f != NULL) {
        char line[256];
        double kib = -1.0;
        while (fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
        }
        fclose(f);
        if (kib >= 0.0) return kib * 1024.0;
    }
#if defined(_SC_AVPHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) return (double)pages * (double)page;
#endif
    return INFINITY;
}

int lariat_solver_memory(lariat_ctx *ctx, double *bytes)
{
    MPI_Comm node = MPI_COMM_NULL;
    int on_node = 1, rc = LARIAT_OK;
    if (MPI_Comm_split_type(lariat_ctx_comm(ctx), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS ||
        MPI_Comm_size(node, &on_node) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI failed while counting the ranks on this node");
    }
    if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    /* The ranks of a node share its memory; the smallest share decides, so
    ** that every rank makes the same choice. */
    *bytes = available_bytes() / (double)on_node;
    if (rc == LARIAT_OK &&
        MPI_Allreduce(MPI_IN_PLACE, bytes, 1, MPI_DOUBLE, MPI_MIN, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the memory per rank failed");
    }
    return lariat_agree(ctx, rc);
}

/* Not collective. Whether pb's ridge would be the kernel's from its rows:
** every penalty factor positive and no bound (a constant column, fixed at 0,
** cannot be told from pb: a zero factor says no). */
static int kernel_ridge_problem(int64_t p, const lariat_problem *pb)
{
    if (pb->alpha != 0.0) return 0;
    for (int64_t j = 0; j < p; j++) {
        if ((pb->penalty_factor != NULL && !(pb->penalty_factor[j] > 0.0)) ||
            (pb->lower != NULL && isfinite(pb->lower[j])) || (pb->upper != NULL && isfinite(pb->upper[j]))) {
            return 0;
        }
    }
    return 1;
}

int lariat_solver_never_gram(int64_t n, int64_t p, const lariat_problem *pb, const lariat_settings *st)
{
    if (st->solver == LARIAT_SOLVER_FISTA || st->solver == LARIAT_SOLVER_ADMM || st->distributed_gram) return 1;
    if (st->solver != LARIAT_SOLVER_AUTO || n >= p) return 0;
    /* Below: fista (0 < alpha < LARIAT_AUTO_WIDE_FISTA_ALPHA), or wsgram from a
    ** first lambda of infinity (the default path) when its n columns fit,
    ** or the kernel for ridge when its n rows fit, else a Gram larger still
    ** (p > n) that fits even less: the distributed Gram or fista. A given
    ** list may start far below lambda_max: gram. */
    if (pb->alpha > 0.0) return pb->alpha < LARIAT_AUTO_WIDE_FISTA_ALPHA || st->lambda == NULL;
    return kernel_ridge_problem(p, pb);
}

const lariat_solver_ops *lariat_solver_choose(const lariat_prep *prep, const lariat_settings *st, double memory,
                                              char *reason, size_t len)
{
    reason[0] = '\0';
    const int64_t p = prep->p;
    const int ranks = lariat_ctx_size(prep->ctx);
    if (st->max_memory > 0.0) memory = st->max_memory; /* --max-memory overrides what was measured */
    const double mb = (double)p * (double)p * 8e-6, budget_mb = GRAM_MEMORY_SHARE * memory * 1e-6;
    /* Spreading helps only over several ranks; distributed_gram asks for it anyway. */
    const int replicated_fits = mb <= budget_mb, spread_fits = ranks > 1 && mb / ranks <= budget_mb;
    switch (st->solver) {
    case LARIAT_SOLVER_GRAM: break;
    case LARIAT_SOLVER_FISTA: return &lariat_solver_fista;
    case LARIAT_SOLVER_ADMM: return &lariat_solver_admm;
    case LARIAT_SOLVER_AUTO: break;
    default: snprintf(reason, len, "unknown solver kind %d", (int)st->solver); return NULL;
    }
    if (st->distributed_gram) {
        snprintf(reason, len, "distributed Gram as asked: %.3g of its %.3g MB on each of %d rank%s", mb / ranks, mb,
                 ranks, ranks == 1 ? "" : "s");
        return &lariat_solver_pgram;
    }
    /* Ridge on wide data: the n x n kernel factored once, where
    ** gram.c factors the p x p system at every lambda. On 300 x 3,000 rows
    ** (`lariat gen`, the default 100-lambda path, one rank, 2026-12-07) the
    ** solve took 21.2-23.9 s so and 0.063-0.076 s now (glmnet 0.11-0.12 s),
    ** peak RSS 373 -> 43 MB; the 10-fold CV of 300 x 1,000, 11.6-12.0 s ->
    ** 0.18-0.19 s (cv.glmnet 0.82 s); docs/solvers.md has the rest. Its
    ** rows (fewer doubles than the Gram) must fit. */
    const double kernel_mb = (double)lariat_kernel_ridge_bytes(prep->n_rows, p) * 1e-6;
    if (st->solver == LARIAT_SOLVER_AUTO && prep->n_rows < p && lariat_kernel_ridge_applies(prep) &&
        kernel_mb <= budget_mb) {
        snprintf(reason, len,
                 "ridge on p = %lld > n = %lld: one factorization of the n x n kernel serves every lambda "
                 "(%.0f MB for the rows and the kernel)",
                 (long long)p, (long long)prep->n_rows, kernel_mb);
        return &lariat_solver_kernel_ridge;
    }
    /* auto leaves the widest problems (p > AUTO_GRAM_MAX_P) to fista whatever the memory;
    ** below that, and whenever gram is asked for, a Gram too large to
    ** replicate is spread (on one rank there is nothing to spread it over). */
    const int gram_wanted = st->solver == LARIAT_SOLVER_GRAM || p <= AUTO_GRAM_MAX_P;
    if (gram_wanted && !replicated_fits && (spread_fits || (st->solver == LARIAT_SOLVER_GRAM && ranks > 1))) {
        snprintf(reason, len,
                 "distributed Gram: the %.3g MB Gram exceeds a quarter of the %.3g MB per rank; %.3g MB on each of %d "
                 "ranks", mb, memory * 1e-6, mb / ranks, ranks);
        return &lariat_solver_pgram;
    }
    if (st->solver == LARIAT_SOLVER_GRAM) return &lariat_solver_gram;
    /* Wide (p > n) with an l1 term: the lasso keeps at most n features
    ** active and the strong sets few more, and wsgram.c forms only their Gram
    ** columns (2 n p flops and p doubles each); n of them must fit. With
    ** n >= p the path can end with every feature active, where coordinate
    ** descent on the Gram costs p^2 per cycle: fista's passes are cheaper. */
    /* Only along a path that starts near lambda_max (the default path, or
    ** given values whose largest is at least WSG_FIRST_LAMBDA lambda_max, as
    ** cross-validation passes each fold the path of all rows): the strong
    ** sets then grow a few features at a time, while a first lambda far
    ** below lambda_max keeps nearly every feature in its first strong set
    ** (threshold 2 lambda - lambda_max: all p columns). */
    double first = INFINITY;
    if (st->lambda != NULL) {
        first = 0.0;
        for (int k = 0; k < st->n_lambda_given; k++) first = fmax(first, st->lambda[k]);
    }
    const double cols_mb = (double)p * (double)prep->n_rows * 8e-6;
    if (prep->n_rows < p && prep->alpha > 0.0 && prep->alpha < LARIAT_AUTO_WIDE_FISTA_ALPHA) {
        snprintf(reason, len, "alpha %g on p = %lld > n: the strong sets would hold nearly every feature; first-order "
                 "steps from one pass each", prep->alpha, (long long)p);
        return &lariat_solver_fista;
    }
    if (prep->alpha > 0.0 && prep->n_rows < p && cols_mb <= budget_mb &&
        first >= WSG_FIRST_LAMBDA * lariat_prep_lambda_max(prep)) {
        snprintf(reason, len, "p = %lld > n: coordinate descent on the Gram columns of the strong sets only (%.0f MB "
                 "for n of them)", (long long)p, cols_mb);
        return &lariat_solver_wsgram;
    }
    if (p > AUTO_GRAM_MAX_P || !replicated_fits) {
        snprintf(reason, len, "p = %lld: a replicated %lld x %lld Gram would take %.0f MB per rank", (long long)p,
                 (long long)p, (long long)p, mb);
        return &lariat_solver_fista;
    }
    snprintf(reason, len, "p = %lld: one pass builds the %.1f MB Gram, then every lambda is cheap", (long long)p, mb);
    return &lariat_solver_gram;
}
