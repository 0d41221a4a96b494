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
} lariat_solver_ops;

extern const lariat_solver_ops lariat_solver_gram;
extern const lariat_solver_ops lariat_solver_admm;
extern const lariat_solver_ops lariat_solver_fista;

/* Not collective (all inputs are global): the solver for a kind; for AUTO,
** chosen from n, p, density and memory per rank, with the reason written to
** reason (size len). */
const lariat_solver_ops *lariat_solver_choose(const lariat_prep *prep, lariat_solver_kind kind, char *reason,
                                              size_t len);

#endif /* LARIAT_SOLVER_H */
