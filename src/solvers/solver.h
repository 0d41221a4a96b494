/*
** One interface for every solver, so the path driver and cross-validation
** treat them alike (GSL's set-up / iterate / test, OSQP's workspace and info).
**
** A solver works on a prepared problem (prep.h) in standardized coordinates.
** create() allocates every workspace it will need (no allocation inside
** iterations); solve() is called once per lambda, in decreasing order, with
** the previous solution as warm start; destroy() frees.
*/
#ifndef LARIAT_SOLVER_H
#define LARIAT_SOLVER_H

#include "lariat.h"
#include "solvers/prep.h"

typedef struct lariat_solve_info {
    int iterations;
    int converged; /* lariat_prep_converged(gap) */
    double gap;    /* duality gap at the returned c */
    double primal; /* objective at the returned c */
} lariat_solve_info;

/* The most values a solver carries from one solve() to the next besides c,
** on p features: a few scalars and up to two p-vectors. */
#define LARIAT_SOLVER_STATE_MAX(p) (4 + 2 * (int64_t)(p))

typedef struct lariat_solver_ops {
    const char *name;
    /* Collective. Allocates the workspace (gram: the one pass over the data). */
    int (*create)(const lariat_prep *prep, const lariat_settings *st, void **ws);
    /* Collective. Solves at lambda from the warm start c (p values,
    ** standardized coordinates), overwriting c with the solution. Not
    ** converging within st->max_iter is info->converged = 0, not an error. */
    int (*solve)(void *ws, double lambda, double *c, lariat_solve_info *info);
    /* Not collective. NULL is a no-op. */
    void (*destroy)(void *ws);
    /* Not collective. The state one solve() leaves to the next besides c
    ** (the same on every rank), so that a path resumed from a checkpoint
    ** repeats an uninterrupted one exactly: get_state writes at most
    ** LARIAT_SOLVER_STATE_MAX(p) values and returns how many; set_state
    ** puts them into a fresh workspace. Both NULL when a solve() depends on
    ** (lambda, c) alone. */
    int (*get_state)(const void *ws, double *state);
    void (*set_state)(void *ws, const double *state, int n);
} lariat_solver_ops;

extern const lariat_solver_ops lariat_solver_gram;
extern const lariat_solver_ops lariat_solver_admm;
extern const lariat_solver_ops lariat_solver_fista;
/* The gram solver with its Gram spread over the ranks on a BLACS grid
** (pgram.c; its name is "gram"). */
extern const lariat_solver_ops lariat_solver_pgram;
/* The gram solver for wide data (wsgram.c; its name is "gram"): it forms
** only the Gram columns of the features that enter a strong set. */
extern const lariat_solver_ops lariat_solver_wsgram;
/* The gram solver for ridge on wide data (kernel_ridge.c; its name is
** "gram"): one factorization of the n x n kernel serves every lambda. */
extern const lariat_solver_ops lariat_solver_kernel_ridge;

/* Not collective. Whether lariat_solver_kernel_ridge can solve the problem:
** its rows at hand (prep->w set), alpha 0, no bounds, and every coefficient
** either a constant column's (fixed at 0) or penalized (f_j > 0). */
int lariat_kernel_ridge_applies(const lariat_prep *prep);
/* Not collective. The bytes its workspace takes per rank for n rows of
** positive weight and p features: the rows, the kernel and its eigenvectors. */
size_t lariat_kernel_ridge_bytes(int64_t n, int64_t p);

/* Collective. The memory a rank can use, in bytes, the same on every rank:
** the smallest over the ranks of MemAvailable (/proc/meminfo) divided by the
** number of ranks on that node. Errors (agreed): LARIAT_EMPI. */
int lariat_solver_memory(lariat_ctx *ctx, double *bytes);

/* Below this alpha auto leaves problems with more features than rows to
** fista (gaussian: above 0 only, its ridge keeping the exact solution):
** with little l1 the strong sets hold nearly every feature, and a working
** set's (or wsgram's) model is the whole p x p one again. The measured
** crossovers are in choose.c (gaussian) and glm_path.c (binomial,
** multinomial). */
#define LARIAT_AUTO_WIDE_FISTA_ALPHA 0.15

/* Not collective (all inputs are global): the solver for st->solver; for
** AUTO, chosen from n, p, density and memory per rank (st->max_memory when
** set, else memory, from lariat_solver_memory), with the reason written to
** reason (size len); auto's ridge on p > n is lariat_solver_kernel_ridge
** when it applies and fits. For gram (asked for, or chosen by auto), the
** distributed lariat_solver_pgram when st->distributed_gram is set or a
** replicated Gram would take more than a quarter of that memory, with the
** reason saying so. */
const lariat_solver_ops *lariat_solver_choose(const lariat_prep *prep, const lariat_settings *st, double memory,
                                              char *reason, size_t len);

/* Not collective. 1 when lariat_solver_choose cannot return the replicated
** lariat_solver_gram for a problem pb of n rows (at least its prep's n_rows)
** and p features, whatever its data: fista or admm asked for, the
** distributed Gram asked for, auto on p > n with an l1 term (wsgram or
** fista) along the default path, or auto on p > n for ridge with positive
** penalty factors and no bounds (the kernel, or a Gram larger than its rows
** that fits even less). Cross-validation's statistics mode asks before its
** pass builds every fold's sums (cv.c). */
int lariat_solver_never_gram(int64_t n, int64_t p, const lariat_problem *pb, const lariat_settings *st);

#endif /* LARIAT_SOLVER_H */
