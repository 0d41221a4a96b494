/*
** Which solver: by name, or for `auto` by the shape of the problem.
**
** gram costs one pass of n p^2 / ranks flops and p^2 doubles on every rank,
** then every lambda is cheap; fista costs about one pass over X (2 nnz flops)
** per iteration and no p x p storage. So gram wins while its p x p matrix is
** affordable and the pass is not much more than the iterations fista would
** need; fista takes very wide and very sparse problems.
*/
#include "solvers/solver.h"

#include <stdio.h>

/* The largest p for which auto keeps a replicated p x p Gram (128 MiB). */
#define AUTO_GRAM_MAX_P 4096

const lariat_solver_ops *lariat_solver_choose(const lariat_prep *prep, lariat_solver_kind kind, char *reason,
                                              size_t len)
{
    reason[0] = '\0';
    switch (kind) {
    case LARIAT_SOLVER_GRAM: return &lariat_solver_gram;
    case LARIAT_SOLVER_FISTA: return &lariat_solver_fista;
    case LARIAT_SOLVER_ADMM: return &lariat_solver_admm;
    case LARIAT_SOLVER_AUTO: break;
    default: snprintf(reason, len, "unknown solver kind %d", (int)kind); return NULL;
    }
    const int64_t p = prep->p;
    if (p > AUTO_GRAM_MAX_P) {
        snprintf(reason, len, "p = %lld: a replicated %lld x %lld Gram would take %.0f MB per rank",
                 (long long)p, (long long)p, (long long)p, (double)p * (double)p * 8e-6);
        return &lariat_solver_fista;
    }
    snprintf(reason, len, "p = %lld: one pass builds the %.1f MB Gram, then every lambda is cheap", (long long)p,
             (double)p * (double)p * 8e-6);
    return &lariat_solver_gram;
}
