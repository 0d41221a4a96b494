/* The path driver's internal entries: for callers that prepare the problem
** themselves (cross-validation from sufficient statistics), and for
** checkpoints, which resume a path where an earlier run left it and look at
** it after every lambda. */
#ifndef LARIAT_PATH_H
#define LARIAT_PATH_H

#include "solvers/prep.h"
#include "solvers/solver.h"

/* Collective. The prepared problem of a gaussian fit with settings st:
** lariat_prep_create's, or lariat_prep_create_gram's on dense rows whose
** Gram the gram solver will keep whole on every rank (st's solver auto or
** gram, p^2 doubles within 4 MiB): the Gram is then summed in the pass of
** the second moments, two passes over X instead of three. w = NULL uses
** data->w. */
int lariat_fit_prepare(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       const lariat_settings *st, lariat_prep **out);

/* Collective. lariat_fit_path for an already prepared problem, which the
** caller keeps. A prep from sufficient statistics alone
** (lariat_prep_from_stats) uses the gram solver whatever st->solver says.
** st->checkpoint is not looked at here (lariat_ckpt_fit, ckpt/ckpt.h, is
** the entry with checkpoints). */
int lariat_fit_prepared(lariat_ctx *ctx, const lariat_prep *prep, const lariat_settings *st, lariat_fit **out);

/* Not collective. The lambda values, decreasing: the explicit st->lambda
** sorted, or st->nlambda values log-spaced from lmax down to
** lmax * lambda_min_ratio (glmnet's sequence; the ratio's default 1e-4 when
** n >= p, else 1e-2). *out is malloc'ed. */
int lariat_path_lambdas(lariat_ctx *ctx, int64_t n, int64_t p, const lariat_settings *st, double lmax, double **out,
                        int *count);

/* A path's position: the solutions so far, the coefficients after the last
** of them (the next lambda's warm start) and the state the solver carries
** to the next lambda (solver.h, glm.h). Together they determine the rest of
** the path, so a path continued from them repeats an uninterrupted one
** exactly. The gaussian path (ops) holds its p standardized coefficients;
** the cross-entropy path (glm_ops, glm.h) its intercepts and coefficients
** [a (K) | c (K p)]. */
struct lariat_glm_solver_ops;
typedef struct lariat_path_pos {
    const lariat_solver_ops *ops;                /* gaussian: the solver that made it (else NULL) */
    const struct lariat_glm_solver_ops *glm_ops; /* cross-entropy: the solver that made it (else NULL) */
    const lariat_fit *fit; /* fit->nlambda solutions: the first ones of the sequence */
    const double *c;       /* nc values */
    int64_t nc;
    const double *state;   /* nstate values */
    int64_t nstate;
} lariat_path_pos;

/* Collective on the path's context. Called after each lambda with the path
** so far. LARIAT_OK goes on; any other status, which must be the same on
** every rank, ends the path with it (LARIAT_ESIGNAL: stopped after writing a
** checkpoint). */
typedef int (*lariat_path_hook)(void *arg, const lariat_path_pos *pos);

/* Collective. lariat_fit_prepared from a position and with a hook. start
** (NULL = from the beginning) is a position saved by an earlier run of the
** same path: its solutions are copied, the solver starts from its c and
** state, and only the remaining lambdas are solved (none, and no solver
** workspace is made, when start holds them all). A start made by another
** solver (auto chooses by the memory available, which changes) gives its
** solutions and c but not its state, and the rest of the path agrees with
** an uninterrupted run to the tolerance only; a start longer than this path
** is LARIAT_EUSAGE. hook (NULL = none) is called with arg after each lambda
** solved. */
int lariat_path_run(lariat_ctx *ctx, const lariat_prep *prep, const lariat_settings *st, const lariat_path_pos *start,
                    lariat_path_hook hook, void *arg, lariat_fit **out);

#endif /* LARIAT_PATH_H */
