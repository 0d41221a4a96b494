/*
** The distributed-Gram solver's extra entry points, for tests and
** benchmarks: a chosen process grid and block size, and what the solver did.
** The path driver uses lariat_solver_pgram (solver.h) with the defaults.
*/
#ifndef LARIAT_PGRAM_H
#define LARIAT_PGRAM_H

#include "solvers/solver.h"

/* The process grid and block size (0 = automatic: a near-square grid over
** every rank, blocks of 64); eigen = 1 takes a ridge path by one
** eigendecomposition (PDSYEVD) instead of the tridiagonal reduction, for
** comparison. */
typedef struct lariat_pgram_layout {
    int nprow, npcol, nb;
    int eigen;
} lariat_pgram_layout;

/* What a workspace has done so far. */
typedef struct lariat_pgram_stats {
    int grams;         /* Gram matrices formed (a pass over the rows each) */
    int choleskys;     /* Cholesky factorizations */
    int eigens;        /* eigendecompositions */
    int tridiags;      /* reductions to tridiagonal form */
    int q_products;    /* products with the tridiagonal reduction's Q (PDORMTR calls) */
    int admm_solves;   /* lambdas solved by ADMM */
    double rho;        /* the ADMM penalty in use */
    /* Seconds spent forming the Gram, in PDPOTRF, reducing it (PDSYTRD or
    ** PDSYEVD, with Q' xy), and in the per-lambda products with Q. */
    double t_gram, t_factor, t_reduce, t_path;
} lariat_pgram_stats;

/* Collective. lariat_solver_pgram's create() with a given layout (NULL =
** automatic). A layout that does not use exactly the ranks of the context
** is LARIAT_EUSAGE (agreed). */
int lariat_pgram_create(const lariat_prep *prep, const lariat_settings *st, const lariat_pgram_layout *layout,
                        void **ws);

/* Not collective. */
void lariat_pgram_get_stats(const void *ws, lariat_pgram_stats *out);

#endif /* LARIAT_PGRAM_H */
