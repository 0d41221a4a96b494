/*
** The prepared problem of the cross-entropy families (SPEC.md section 9),
** and the interface of the solvers that serve them.
**
** Solvers work in the standardized coordinates of prep.h: c_jk = s_j b_jk on
** the columns xs_ij = (x_ij - m_j) / s_j (centred when there is an
** intercept), with K linear predictors
**
**   eta_ik = a_k + xs_i'c_k,
**   P(a, c) = (1/W) sum_i w_i l_i(eta_i) + lambda sum_j f_j pen_j(c_j),
**
** pen_j the elastic net of each c_jk (ungrouped) or of the vector c_j
** (grouped: (1-alpha)/2 ||c_j||^2 + alpha ||c_j||_2), c_jk in [lo_j, hi_j].
** On the original scale b_jk = c_jk / s_j and b0_k = a_k - m'b_k.
**
** The standardization, penalty factors, bounds and the scalar prox come from
** a lariat_prep made on the same rows (its gaussian fields are unused); the
** family (family/family.h) answers everything about the loss. Nothing here
** asks which family it is.
*/
#ifndef LARIAT_GLM_H
#define LARIAT_GLM_H

#include "family/family.h"
#include "lariat.h"
#include "solvers/path.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

typedef struct lariat_glm {
    lariat_ctx *ctx;
    const lariat_data *data;
    const lariat_family *fam;
    lariat_prep *std;   /* standardization, penalty factors, bounds on c, prox */
    const double *w;    /* row weights in use (std->w) */
    int64_t p, n;       /* features; this rank's rows */
    int K;              /* linear predictors */
    int grouped;        /* multinomial: the grouped penalty */
    /* A cross-validation fold's model, scored on its held-out rows: gram
    ** (glm_newton.c, glm_batch.c, the working set's inner solves) takes one
    ** step past the step that certified it. A held-out measure is first
    ** order in the coefficients' error, which goes as the square root of the
    ** gap: at the default target (1e-12 N0) the held-out deviance of random
    ** data was up to 4e-8 (relative) from its value at the optimum, and
    ** cv.glmnet's cvsd, a spread of close fold values, up to 8.5e-6
    ** (docs/classification.md). One more Newton step squares the error (or,
    ** on a stale curvature, divides it by about ten): in the lockstep
    ** (glm_batch.c) for no pass, the step reported unevaluated; fold by fold
    ** for one product with X and a line search, the pass after it left to
    ** the next lambda's start. */
    int heldout;
    double alpha, W;
    int nclass;
    double *classes;    /* nclass label values, ascending */
    double *Y;          /* K x n labels, class-major (family.h) */
    double *ybar;       /* K weighted label means */
    double *a_null;     /* K intercepts of the null model */
    double N0;          /* the loss of the null model (SPEC.md 9) */
    double *v_null;     /* K x p: -dL/dc at c = 0 with a = a_null */
    double lambda_max;
    /* The sums over rows, tile by tile (data/tiles.h): every work's passes
    ** share it (one solve at a time), sized for K p + K^2 + K + 1 values
    ** and the certificate's refit. */
    struct lariat_tilesum *ts;
    /* This rank's rows of the unpenalized standardized columns (prep's U),
    ** column-major n x nU, for the certificate's refit (lariat_glm_gap);
    ** NULL when there are none or more than LARIAT_GLM_REFIT_MAX
    ** coordinates (the certificate then projects linearly). */
    double *XU;
} lariat_glm;

/* The most coordinates (K times the intercept and the unpenalized columns)
** the certificate refits (lariat_glm_gap): its curvature is a dense square
** of that order, formed from the rows and reduced at each refit step. */
#define LARIAT_GLM_REFIT_MAX 256

/* Collective. The problem of family pb->family on the rows of data with
** positive weight in w (NULL = data->w): prep_create's two passes, the
** classes (ascending label values, one allgather of each rank's distinct
** values), the labels Y, the null model and lambda_max (one more pass).
** classes (nclass values) fixes the class values instead of finding them
** (cross-validation folds use the all-rows classes); NULL = find them.
** Errors, agreed: LARIAT_EDATA naming the global row (0-based) and value of
** a label that is not a class (a third value for binomial, a non-integer for
** multinomial), or a class with fewer than two rows of positive weight;
** those of lariat_prep_create. */
int lariat_glm_create(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                      const double *classes, int nclass, lariat_glm **out);
void lariat_glm_destroy(lariat_glm *g);

/* Collective. lariat_glm_create with two shortcuts for callers that have
** done the work (the lockstep CV's fold models): std (NULL = prepared here)
** is the rows' prepared problem, with std->w = w, which the problem takes
** over (destroyed with it, also on failure); without the null model's pass
** when null_pass is 0: v_null is then 0 and lambda_max 0 until the caller,
** which evaluates the null point itself, sets them with
** lariat_glm_set_null_gradient. */
int lariat_glm_create_ex(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                         const double *classes, int nclass, lariat_prep *std, int null_pass, lariat_glm **out);

/* Not collective. v (K x p, -dL/dc at c = 0 with a = a_null) becomes g's
** v_null, and lambda_max follows from it (SPEC.md section 9). */
void lariat_glm_set_null_gradient(lariat_glm *g, const double *v);

/* Collective. The classes of the labels of rows with positive weight in w
** (NULL = data->w) for family kind: binomial the two values (or 0 and 1
** when every label is in [0, 1]), multinomial the distinct values. Errors,
** agreed, as lariat_glm_create. *classes is malloc'ed. */
int lariat_glm_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, lariat_family_kind kind,
                       double **classes, int *nclass);

/* Everything one pass over the rows gives at a point (a, c), after its one
** allreduce (lariat_glm_pass). */
typedef struct lariat_glm_point {
    double loss;   /* L = (1/W) sum_i w_i l_i */
    double *g0;    /* K: dL/da = (1/W) sum_i R_ik (R of family.h) */
    double *v;     /* K x p: -dL/dc = -(1/W) Xs'R_k */
} lariat_glm_point;

/* Not collective. The work arrays of one solver: eta, mu, R and V (K x n
** each, V only when with_V) and the reduction buffer. */
typedef struct lariat_glm_work {
    double *eta, *mu, *R, *V;
    double *col;   /* n: one column */
    double *d;     /* p: scaled coefficients */
    double *buf;   /* K p + K + 1 */
    double *pen_v; /* K p: the gap's scratch */
    double *mu_adj; /* K n: the gap's projected means */
    double *mu_sh;  /* K n: the gap's means shifted along the curvature (see lariat_glm_gap) */
    double *v_sh;   /* K p: the gradient that goes with them */
    double *kk;     /* K K: their system */
    /* The certificate's refit of the intercepts and unpenalized columns
    ** (only when g->XU): m = K (intercept + nU) coordinates. */
    double *rf_eta, *rf_mu, *rf_t; /* K n: its point, means, and step per row */
    double *rf_buf;                /* m + m m + 1: gradient, curvature, loss (reduced) */
    double *rf_M, *rf_d, *rf_z;    /* m m, m, intercept + nU */
    int64_t *rf_idx;               /* m: the coordinates refitted */
    int *rf_act;                   /* intercept + nU: which of them */
} lariat_glm_work;

int lariat_glm_work_alloc(const lariat_glm *g, int with_V, lariat_glm_work *wk);
void lariat_glm_work_free(lariat_glm_work *wk);

/* Not collective. eta = a + Xs c for this rank's rows (K products with X). */
void lariat_glm_eta(const lariat_glm *g, const double *a, const double *c, lariat_glm_work *wk, double *eta);

/* Collective. At eta (already in wk->eta): mu, R (and V when wk->V), then
** the gradient with one allreduce into pt (g0 and v are the caller's K and
** K p arrays), summed over tiles of rows (data/tiles.h). */
int lariat_glm_pass(const lariat_glm *g, lariat_glm_work *wk, lariat_glm_point *pt);

/* Collective (one allreduce of a scalar; with unpenalized columns, a few
** more and one transposed product per predictor). The primal objective at
** (a, c) and its duality gap (family.h, Ndiaye et al. 2017) from the
** point's quantities, wk->eta and wk->mu (which it leaves unchanged).
** +INFINITY when the dual point is not feasible yet. */
int lariat_glm_gap(const lariat_glm *g, double lambda, const double *c, const lariat_glm_point *pt,
                   lariat_glm_work *wk, double *primal, double *gap);

/* The duality gap's own round-off, relative to the objective: the loss and
** the conjugate are sums of O(1) terms that cancel to the gap. Solvers stop
** at max(target, LARIAT_GLM_GAP_FLOOR * objective). */
#define LARIAT_GLM_GAP_FLOOR 1e-12

/* How far inside the requested gap the solvers aim. path.c's 1e-3 gives
** the gaussian coefficients many digits; here, with a ridge part, the
** probabilities' error goes as the square root of the gap over the
** curvature, which is small on nearly separated rows: 1e-3 left them 6e-6
** from glmnet's on the iris and wine fixtures. 1e-5 (a gap of 1e-12 N0 at
** the default tol, near the certificate's own round-off) leaves them under
** 1e-7; Newton's quadratic convergence makes the margin cheap. */
#define LARIAT_GLM_TOL_MARGIN 1e-5
/* glmnet's devmax: the default path ends after the first lambda whose
** fraction of deviance explained exceeds it. */
#define LARIAT_GLM_DEVMAX 0.999

/* Not collective. The penalty lambda sum_j f_j pen_j(c_j). */
double lariat_glm_penalty(const lariat_glm *g, double lambda, const double *c);

/* The most classes (linear predictors) a problem may have. */
#define LARIAT_GLM_MAX_GROUP 1000

/* Not collective. The grouped penalty's proximal map for feature j, on its
** K coefficients at once: z (K values) -> out (K values),
** argmin ||c - z||^2 / (2 t) + lambda f_j ((1-alpha)/2 ||c||^2 + alpha ||c||)
** subject to the feature's bounds on every c_k. (Ungrouped coefficients use
** lariat_prep_prox one at a time.) */
void lariat_glm_prox_group(const lariat_glm *g, int64_t j, const double *z, double t, double lambda, double *out);

/* A solver of the cross-entropy families: as solver.h's, with the
** intercepts a (K values) solved for alongside c (K p values). */
typedef struct lariat_glm_solver_ops {
    const char *name;
    int (*create)(const lariat_glm *g, const lariat_settings *st, void **ws);
    int (*solve)(void *ws, double lambda, double *a, double *c, lariat_solve_info *info);
    void (*destroy)(void *ws);
    /* Not collective. The state one solve() leaves to the next besides
    ** (a, c), the same on every rank, so that a path resumed from a
    ** checkpoint repeats an uninterrupted one exactly (it may be large:
    ** the kept IRLS curvature; NULL for a solver whose state is per rank). get_state points *values at the
    ** workspace's own copy (valid until the next solve()) and returns
    ** their count; set_state copies n values into a fresh workspace and is
    ** LARIAT_EUSAGE when n is not a count this workspace holds. */
    int64_t (*get_state)(const void *ws, const double **values);
    int (*set_state)(void *ws, const double *values, int64_t n);
} lariat_glm_solver_ops;

/* Proximal Newton with the IRLS curvature (glm_newton.c; its name is "gram"). */
extern const lariat_glm_solver_ops lariat_glm_solver_newton;
/* The same with the fixed curvature bound, formed once. */
extern const lariat_glm_solver_ops lariat_glm_solver_newton_bound;
/* Proximal Newton with the IRLS curvature for the binomial family on dense
** rows, by the lockstep engine on one model (glm_batch.c: one fused pass
** per step, the curvature's moments in single precision, the path
** predictor); its name is "gram" too. LARIAT_EUSAGE on another problem. */
extern const lariat_glm_solver_ops lariat_glm_solver_lockstep;
/* Proximal Newton on a working set of features (glm_workset.c): the
** problem restricted to the nonzero, unpenalized and strong features is
** solved by the Newton solvers above, and features whose optimality
** conditions the full gradient violates join it; for wide problems, and
** for the start of a taller binomial path on sparse rows, which it hands
** to lariat_glm_newton_for's solver once W holds an eighth of the
** features. Its name is "gram" too. */
extern const lariat_glm_solver_ops lariat_glm_solver_workset;
/* Not collective. The Newton solver that gram (or auto) takes for g under
** st's curvature, working set aside: the fixed bound, the lockstep engine
** (binomial) or glm_newton.c's (multinomial). */
const lariat_glm_solver_ops *lariat_glm_newton_for(const lariat_glm *g, const lariat_settings *st);
extern const lariat_glm_solver_ops lariat_glm_solver_fista;
/* Consensus ADMM over the row blocks whose x-update is each rank's own
** L2-regularized logistic fit (glm_admm.c); binomial only (K = 1). */
extern const lariat_glm_solver_ops lariat_glm_solver_admm;

/* Collective. The path of SPEC.md sections 2 and 9 on a prepared problem:
** the lambda sequence from g->lambda_max (or st->lambda), warm starts, the
** devmax stop on the default path, each solution on the original scale. */
int lariat_glm_path(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st, lariat_fit **out);

/* Collective. lariat_glm_path from a position and with a hook, as
** lariat_path_run (path.h): start (NULL = from the beginning) is a position
** saved by an earlier run of the same path (pos->glm_ops set, pos->c the
** K + K p values [a | c]); its solutions are copied and only the remaining
** lambdas are solved (none when it holds them all or its path stopped at
** devmax). A start that does not fit this path is LARIAT_EUSAGE. hook
** (NULL = none) is called with arg after each lambda solved. */
int lariat_glm_path_run(lariat_ctx *ctx, const lariat_glm *g, const lariat_settings *st, const lariat_path_pos *start,
                        lariat_path_hook hook, void *arg, lariat_fit **out);

/* Not collective. A fit of g's shape (family, classes, alpha, N0, lambda_max)
** with room for nlam solutions and none made yet. On failure *out may be
** partly made: the caller destroys it. */
int lariat_glm_fit_new(lariat_ctx *ctx, const lariat_glm *g, int nlam, lariat_fit **out);

/* Not collective. The solution at lambda on the original scale: b_jk =
** c_jk / s_j (clamped to the bounds: lariat_prep_unscale), b0_k = a_k - m'b_k,
** multinomial intercepts centred to sum 0 (SPEC.md section 9), with info's
** objective, gap and iterations. */
int lariat_glm_solution(lariat_ctx *ctx, const lariat_glm *g, double lambda, const double *a, const double *c,
                        const lariat_solve_info *info, lariat_solution *sol);

/* Collective. The paths of M binomial models on the same rows that differ
** in their row weights (w[m]: model m is lariat_glm_create's on w[m]), at
** the lambdas of model 0's path (st as lariat_glm_path; the devmax stop of
** model 0 ends every path), solved in lockstep by proximal Newton steps
** whose passes over X serve all models at once (glm_batch.c). The models'
** IRLS curvatures come from one pass of weighted moments by row set:
** set_of[i] in 1..nsets (0: the row is in no model), model m trains on
** every set but excl[m] (0: all), and the weights are model 0's (on CSR
** rows, one Gram of all rows for every model: glm_batch.c's
** refresh_sparse). fits[m] receive the paths. Models 1 to M - 1 are
** cross-validation folds (lariat_glm.heldout). */
int lariat_glm_batch_paths(lariat_ctx *ctx, const lariat_data *data, const double *const *w, int M,
                           const int *set_of, int nsets, const int *excl, const lariat_problem *pb,
                           const lariat_settings *st, const double *classes, int nclass, lariat_fit **fits);

/* Collective. lariat_fit_path for the cross-entropy families with the
** classes fixed (classes NULL: found from the rows, as lariat_fit_path
** does): cross-validation fits every fold with the all-rows classes, so
** that a class missing from a fold's training rows is an error naming it
** rather than a different model; heldout marks such a fold's model
** (lariat_glm.heldout). */
int lariat_glm_fit_path(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                        const lariat_settings *st, const double *classes, int nclass, int heldout,
                        lariat_fit **out);

#endif /* LARIAT_GLM_H */
