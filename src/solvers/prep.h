/*
** The prepared problem: what every solver needs after one look at the data.
**
** Solvers work in standardized coordinates c_j = s_j b_j on centered data,
** with the intercept profiled out (SPEC.md section 1):
**
**   xs_ij = (x_ij - m_j) / s_j,   yc_i = y_i - ybar,
**   P(c)  = 1/(2W) sum_i w_i (yc_i - xs_i'c)^2
**           + lambda sum_j f_j ((1-alpha)/2 c_j^2 + alpha |c_j|),
**   lo_j <= c_j <= hi_j   (the original bounds times s_j),
**
** and b_j = c_j / s_j, b0 = ybar - m'b on the original scale. Without an
** intercept m = 0 and ybar = 0; without standardization s = 1. A column with
** s_j = 0 is fixed at c_j = 0 (lo = hi = 0) and named in a warning.
*/
#ifndef LARIAT_PREP_H
#define LARIAT_PREP_H

#include "lariat.h"

typedef struct lariat_prep {
    lariat_ctx *ctx;
    const lariat_data *data;
    const double *w;   /* row weights in use (n_local); zero masks a row out */
    int64_t p;
    int intercept;
    int standardize;
    double alpha;
    int64_t n_rows;    /* global count of rows with positive weight */
    double W;          /* sum of the weights */
    double ybar;       /* weighted mean of y (0 without intercept) */
    double *mean;      /* p weighted column means m_j (0 without intercept) */
    double *scale;     /* p: s_j (1 without standardization; 0 = constant column) */
    double *inv_scale; /* p: 1/s_j, and 0 for constant columns */
    double *pf;        /* p penalty factors f_j */
    double *lo, *hi;   /* p bounds on c_j */
    double *blo, *bhi; /* p bounds on b_j as given (0 for a constant column): lariat_prep_unscale */
    int n_constant;    /* columns with s_j = 0 */
    double yy;         /* (1/W) sum_i w_i yc_i^2 */
    double N0;         /* yy / 2: the objective at b = 0 */
    double *xy;        /* p: (1/W) sum_i w_i xs_ij yc_i */
    double *xx;        /* p: (1/W) sum_i w_i xs_ij^2 (1 when standardized, 0 if constant) */
    /* The unpenalized columns U (f_j = 0, not constant): lariat_prep_gap
    ** projects those it must out of the dual point (Xs_S'theta = 0). */
    int64_t nU;
    int64_t *U;        /* nU column indices */
    double *HU;        /* p x nU: (1/W) Xs'W Xs_U, row-major */
    double *LU;        /* nU x nU scratch: the projected columns' Gram, factored */
    int64_t *Usel;     /* nU scratch: positions in U of the projected columns */
    double *gap_work;  /* p + nU doubles of scratch for lariat_prep_gap */
    double *gram;      /* NULL, or (from sufficient statistics, or lariat_prep_create_gram) the
                          p x p centered, unscaled sum_i w_i (x_i - m)(x_i - m)': the gram
                          solver then makes no pass */
} lariat_prep;

/* Collective. Two passes over the local rows (means and ranges, then
** centered second moments and correlations), three allreduces. w = NULL uses data->w.
** Errors (no rows of positive weight, bad penalty factors or bounds) are
** agreed on all ranks. */
int lariat_prep_create(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                       lariat_prep **out);
/* Collective. lariat_prep_create on dense rows with prep->gram filled in
** by its second pass, which sums the centered Gram (the gram solver's,
** data/stats.h) in place of the second moments: its diagonal. Any solver
** can use the problem; the gram solver then makes no pass of its own.
** Two passes over X instead of three (lariat_fit_prepare, path.h).
** LARIAT_EUSAGE on CSR rows. */
int lariat_prep_create_gram(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                            lariat_prep **out);
void lariat_prep_destroy(lariat_prep *prep);

/* Not collective (the statistics are global, so every rank builds the same).
** The prepared problem of a row set from its sufficient statistics
** (data/stats.h: set and range about the shift (c, cy), which must be 0
** without intercept), with prep->gram filled in and prep->w = NULL: only the
** gram solver can use it. data is only read for its names and n. */
int lariat_prep_from_stats(lariat_ctx *ctx, const lariat_data *data, const lariat_problem *pb, const double *set,
                           const double *range, const double *shift, double yshift, lariat_prep **out);

/* Not collective. The original-scale coefficient b_j = c_j / s_j of a
** standardized c_j, clamped to b_j's bounds as given: c_j at its bound
** s_j bound_j can unscale to an ulp outside it (30.000000000000004 for an
** upper bound of 30). */
double lariat_prep_unscale(const lariat_prep *prep, int64_t j, double c);

/* Not collective. lambda_max of SPEC.md section 2:
** max_j |xy_j| / (max(alpha, 1e-3) f_j) over f_j > 0 (0 if there is none). */
double lariat_prep_lambda_max(const lariat_prep *prep);

/* Not collective. The primal objective and the duality gap at c, from
** global quantities every solver has after its reduction:
**   v_j = (1/W) sum_i w_i xs_ij r_i   (p values; the negative gradient of the loss),
**   rr  = (1/W) sum_i w_i r_i^2,   ry = (1/W) sum_i w_i r_i yc_i,
** with r = yc - Xs c. The dual point is theta = -kappa W^-1 diag(w) r, with
** kappa in (0, 1] the largest value that makes it feasible (see prep.c). */
void lariat_prep_gap(const lariat_prep *prep, double lambda, const double *c, const double *v, double rr,
                     double ry, double *primal, double *gap);

/* Not collective. The penalty sum_j f_j ((1-alpha)/2 c_j^2 + alpha |c_j|) times lambda. */
double lariat_prep_penalty(const lariat_prep *prep, double lambda, const double *c);

/* Not collective. The proximal map of the penalty plus bounds for coordinate j:
** argmin_c  (1/(2 t)) (c - z)^2 + lambda f_j ((1-alpha)/2 c^2 + alpha |c|),  lo_j <= c <= hi_j. */
double lariat_prep_prox(const lariat_prep *prep, int64_t j, double z, double t, double lambda);

/* Not collective. Newton's step for a quadratic model of the smooth part
** plus the penalty, on its free set F (the coordinates with c_j != 0
** strictly inside their bounds) and, with intercept, the unpenalized
** intercept: with the signs s of c held the objective is quadratic there,
** and its minimizer over F and the intercept (the others fixed) solves
**   [ h00   h0_F'              ] [d0 ]     [ q0                                      ]
**   [ h0_F  H_FF + diag(q_pen) ] [d_F] = - [ q_F + q_pen c_F + lambda alpha f_F s_F ],
** q_pen = lambda (1 - alpha) f_F, q the model's gradient at c (H p x p and
** symmetric, h0 its intercept column, h00 its corner). g holds sign * q
** (sign -1: the negative gradient, as gram.c keeps it), g0 likewise for the
** intercept; h0, c0 and g0 may be NULL without intercept terms. Where
** every c_j + d_j keeps its sign and stays inside its bounds the step is the
** exact minimizer on this piece; otherwise it stops at the first kink
** (lariat_prep_step_to_kink). Only for m free coordinates with m^2 <=
** m2_max (its Cholesky factor costs m^3 / 3 flops);
** g and g0 follow with one row of H per coordinate. A, r and F are scratch
** of (m + 1)^2, m + 1 and p entries. Returns 1 if the step was taken. */
int lariat_prep_free_newton(const lariat_prep *prep, int64_t p, double lambda, const double *H, const double *h0,
                            double h00, int intercept, double m2_max, double sign, double *c, double *c0, double *g,
                            double *g0, double *A, double *r, int64_t *F);

/* Not collective. Cuts a Newton step on the free coordinates c[F[t]], t <
** m (feature F[t] % p: K predictors' coefficients share a feature's
** bounds), whose steps are d[ic + t] after ic others (the intercepts, cut
** alike), back to the first kink: where some c + d would change sign or
** cross a bound, all of d is scaled to stop there and that coordinate's
** step lands it exactly on 0 or the bound. Returns 0 if nothing of the
** step remains. */
int lariat_prep_step_to_kink(const lariat_prep *prep, int64_t p, const int64_t *F, int64_t m, int ic, const double *c,
                             double *d);

/* Fills A[t lda + u] = H_{F[t], F[u]} for t, u < m, from wherever the
** caller keeps H (collective if the caller's H is spread over ranks). */
typedef void (*lariat_prep_hrows_fn)(void *harg, const int64_t *F, int64_t m, double *A, int64_t lda);

/* Not collective. lariat_prep_free_newton's step without taking it, for a
** caller that keeps H its own way (gram.c's slabs) and updates its g
** itself: H's entries come from rows(harg, ...), and on success (1) *m is
** the number of free coordinates F[0 .. m), their steps are r[ic ..
** ic + m) and the intercept's r[0] (ic = 1 with intercept), and nothing
** else is changed. 0: no step (c, g untouched). */
int lariat_prep_free_newton_step(const lariat_prep *prep, int64_t p, double lambda, lariat_prep_hrows_fn rows,
                                 void *harg, const double *h0, double h00, int intercept, double m2_max,
                                 double sign, const double *c, const double *g, const double *g0, double *A, double *r,
                                 int64_t *F, int64_t *m);

/* Not collective. When an inner solve whose active-set sweeps have not
** settled after `inner` of them tries a Newton step on its free set: after
** `after` sweeps and again after 2, 4, 8, ... times as many, so that a
** descent that creeps meets lariat_prep_newton_m2's growing budget. */
static inline int lariat_prep_newton_due(int inner, int after)
{
    const int k = inner / after;
    return inner % after == 0 && k > 0 && (k & (k - 1)) == 0;
}

/* Not collective. The largest m^2 for a Newton step on m free coordinates
** of p: its Cholesky factor costs m^3 / 3 flops and a sweep of them at most
** m p, so the step may cost as many sweeps as the solve has already spent
** (rent, then buy: the sweeps and the steps together cost at most twice
** what the better of the two alone would), and at least min_sweeps. A
** fixed budget of 64 sweeps left coordinate descent creeping for
** thousands of sweeps on 370 free coordinates of 700 correlated 0.9
** (docs/performance.md, 2026-12-07).
** The sweeps spent are priced in time, not flops: the factor's flops are
** BLAS-3 and a sweep's are one axpy a move through a matrix larger than the
** cache, and one core here ran dpotrf's flops 1.3 times as fast as the
** sweep's daxpy flops at m = 80 (p = 100), 3.6 times at m = 400-500
** (p = 700-2,000) and 8.7-10 times at m = 1,000-1,500 (p = 1,200-2,000)
** (OpenBLAS 0.3.21, docs/performance.md). So m^3 / 3 is divided by
** rate(m) = m / 128 clamped to [1, 8] for the rent: m^2 / rate(m) <=
** 3 spent p, whose left side grows with m, solved for m^2. The floor of
** min_sweeps stays in flops, so solves that settle in a few sweeps take
** the steps they took before. */
static inline double lariat_prep_newton_m2(double min_sweeps, double spent, int64_t p)
{
    const double least = 3.0 * min_sweeps * (double)p, b = 3.0 * spent * (double)p;
    double rent = b;                                              /* m <= 128: rate 1 */
    if (b > 128.0 * 1024.0) rent = 8.0 * b;                       /* m >= 1,024: rate 8 */
    else if (b > 128.0 * 128.0) rent = (b / 128.0) * (b / 128.0); /* m^2 / (m / 128) = b */
    return rent > least ? rent : least;
}

/* Not collective. The conjugate of g(c) = q c^2/2 + tau |c| + indicator[lo, hi]
** at u: sup_c u c - g(c), attained at the clipped maximizer. Only for u
** where it is finite (q > 0, or |u| <= tau towards an unbounded side). */
double lariat_prep_conj(double u, double q, double tau, double lo, double hi);

/* Not collective. Whether coefficient j's bounds leave it one value (a
** constant column, or equal bounds). Inline: the solvers ask in their
** per-coordinate loops. */
static inline int lariat_prep_is_fixed(const lariat_prep *prep, int64_t j) { return prep->lo[j] == prep->hi[j]; }

/* Not collective. Whether ridge can be solved directly: no l1 term and no
** bound but on fixed coefficients, so that the optimality condition is the
** linear system (H + lambda diag(f)) c = xy. */
int lariat_prep_ridge_applies(const lariat_prep *prep);

/* Not collective. The first-order solvers' diagonal metric (fista): the
** step of coordinate j is lariat_prep_step_scale(prep, j) / L, with L the
** Lipschitz constant of the loss's gradient in the coordinates
** u_j = c_j / sqrt(step scale), whose Hessian has a unit diagonal. This is
** Jacobi preconditioning, which is what standardization does: standardized
** columns get 1 (exactly, so their iterates keep their bits); unstandardized
** ones 1 / xx_j, without which one step 1/L fits the widest column and the
** narrow ones crawl (the breast cancer columns, scales 0.05 to 1,000:
** 10,000 iterations and a gap of 0.1 at lambda 5e-4). A constant column,
** fixed at 0, gets 1. */
static inline double lariat_prep_step_scale(const lariat_prep *prep, int64_t j)
{
    return prep->standardize || !(prep->xx[j] > 0.0) ? 1.0 : 1.0 / prep->xx[j];
}

/* Coordinate descent (gram.c, wsgram.c): a cycle whose largest move
** changes the objective by at most this fraction of N0 moved coefficients
** by about 1e-15 of sqrt(N0 / H_jj), by round-off only. Two such cycles in
** a row end a solve that the gap cannot certify: they would repeat. */
#define LARIAT_PREP_STILL_MOVE 1e-30

/* Not collective. Did the gap certify convergence: gap <= tol * N0. */
int lariat_prep_converged(const lariat_prep *prep, double gap, double tol);

#endif /* LARIAT_PREP_H */
