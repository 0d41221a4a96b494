/*
** Proximal Newton on a working set of features, for wide problems of the
** cross-entropy families (lariat_glm_solver_workset, glm.h).
**
** The Newton solvers' quadratic model is the K p x K p curvature X'VX,
** formed and reduced whole: p^2 / 2 sums a tile of rows and a descent over
** all of it, whatever the number of rows. On 300 x 1,000 binomial rows the
** 100-lambda path took 2.75 s against glmnet's 0.036 s, on 300 x 3,000
** 44 s against 0.46 s (docs/performance.md, Wide classification). The
** solution is sparse, so the model is formed on a working set W of
** features only (Tibshirani et al. 2012, "Strong rules for discarding
** predictors in lasso-type problems", JRSS B 74, section 7, as glmnet and
** the gaussian wsgram do):
**   1. W = the features with a nonzero coefficient, the unpenalized ones,
**      and the sequential strong set, |v_j| > alpha f_j (2 lambda -
**      lambda_prev) (the 2-norm over the classes when grouped), from the
**      gradient v at the warm start, counting only the part of v_j that
**      the bounds let move c_j off 0;
**   2. the problem restricted to the columns of W (its own rows' copy of
**      those columns and the standardization of the full problem, so that
**      it is the full problem with the other coefficients held at 0) is
**      solved by the Newton solver, warm started;
**   3. one pass of the full problem at the answer gives the gradient of
**      every feature; a feature outside W whose proximal step from 0 is
**      not 0 violates the optimality conditions and joins W (back to 2).
**      Otherwise the answer is optimal for the full problem to the inner
**      tolerance, and its certificate is the full problem's duality gap.
** Every rank holds the same W (made from reduced values), so the path is the
** same at any rank count.
**
** On taller binomial problems on sparse rows (glm_path.c's screened) it
** serves the start of the path only: once W would hold more than
** HANDOFF_FRACTION of the features, the solver hands the rest of the path
** to the Newton solver on the whole problem (lariat_glm_newton_for) and
** drops the problem on W. Early on the path W is a few dozen features, and
** a Newton step on their columns costs a small fraction of a pass over
** all rows' entries; later the columns of W are most of the entries, and
** rebuilding the problem on W as it grows costs more than it saves.
*/
#include "solvers/glm.h"

#include "core/core.h"
#include "data/dataset.h"
#include "data/matrix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* The largest share of the features W may hold before a taller problem's
** path goes on on the whole problem (see above). On 100,000 x 2,000
** binomial rows at 1% (alpha 0.5, 100 lambdas, one rank), two rounds of
** the path's solve time: handed off past 1/32, 1/16, 1/8 and 1/4 of the
** features (at 74, 136, 263 and 525 of them) 2.80/2.36, 2.50/2.12,
** 2.52/2.18 and 2.42/2.22 s, the whole problem throughout 2.65/2.56 s;
** then three alternated pairs at 1/8 2.24-2.48 s against 2.78-2.83 s, the
** same objectives to 1.7e-13. The working set alone took 9.7-10.0 s: W grew
** at nearly every lambda, and each problem on W was made anew. */
#define HANDOFF_FRACTION 0.125

typedef struct wset_ws {
    const lariat_glm *g; /* the full problem */
    lariat_settings st;
    int K;
    int64_t p, m;       /* features, and of them in W */
    char *in;           /* p: in W */
    int64_t *cols;      /* m: W's features, ascending */
    lariat_data *dW;    /* the rows' columns of W */
    lariat_glm *gW;     /* the problem on W */
    const lariat_glm_solver_ops *ops;
    void *ows;          /* ops' workspace on gW */
    lariat_glm_work wk; /* the full problem's passes */
    double *g0, *v;     /* the full gradient at the last point: K, K p */
    double *aW, *cW;    /* K, K p: the point on W */
    double lambda_prev;
    double *state;      /* get_state's copy: [lambda_prev | in (p) | v (K p) | the inner solver's],
                        ** or after the handoff [-1 | the whole problem's solver's] */
    /* A taller problem's handoff (see above): W's largest share of the
    ** features (0: never), and once handed off the whole problem's solver. */
    double handoff;
    const lariat_glm_solver_ops *full_ops;
    void *full_ws;
} wset_ws;

static void drop_subproblem(wset_ws *ws)
{
    if (ws->ops != NULL) ws->ops->destroy(ws->ows);
    ws->ops = NULL;
    ws->ows = NULL;
    lariat_glm_destroy(ws->gW);
    ws->gW = NULL;
    lariat_data_destroy(ws->dW);
    ws->dW = NULL;
}

static void wset_destroy(void *wsv)
{
    wset_ws *ws = wsv;
    if (ws == NULL) return;
    drop_subproblem(ws);
    if (ws->full_ops != NULL) ws->full_ops->destroy(ws->full_ws);
    lariat_glm_work_free(&ws->wk);
    free(ws->in);
    free(ws->cols);
    free(ws->g0);
    free(ws->v);
    free(ws->aW);
    free(ws->cW);
    free(ws->state);
    free(ws);
}

static int wset_create(const lariat_glm *g, const lariat_settings *st, void **out)
{
    *out = NULL;
    lariat_ctx *ctx = g->ctx;
    const int64_t p = g->p, Kp = (int64_t)g->K * p;
    wset_ws *ws = lariat_calloc(ctx, 1, sizeof(*ws), "working-set solver");
    int rc = ws != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        ws->g = g;
        ws->st = *st;
        ws->K = g->K;
        ws->p = p;
        rc = lariat_glm_work_alloc(g, 0, &ws->wk);
        ws->in = lariat_calloc(ctx, (size_t)p, 1, "working set");
        ws->cols = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "working set");
        ws->g0 = lariat_malloc(ctx, (size_t)g->K, sizeof(double), "gradient");
        ws->v = lariat_malloc(ctx, (size_t)Kp, sizeof(double), "gradient");
        ws->aW = lariat_malloc(ctx, (size_t)g->K, sizeof(double), "intercepts");
        ws->cW = lariat_malloc(ctx, (size_t)(Kp > 0 ? Kp : 1), sizeof(double), "coefficients");
        if (!ws->in || !ws->cols || !ws->g0 || !ws->v || !ws->aW || !ws->cW) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        wset_destroy(ws);
        return rc;
    }
    /* The gradient at the path's start, c = 0 with the null intercepts. */
    memcpy(ws->v, g->v_null, (size_t)Kp * sizeof(double));
    ws->lambda_prev = g->lambda_max;
    ws->handoff = g->p > g->data->n ? 0.0 : HANDOFF_FRACTION;
    *out = ws;
    return LARIAT_OK;
}

/* Not collective. A copy of the full problem's standardization restricted
** to W (the same doubles), for lariat_glm_create_ex. */
static int prep_subset(const wset_ws *ws, const lariat_data *dW, lariat_prep **out)
{
    const lariat_prep *s = ws->g->std;
    lariat_ctx *ctx = ws->g->ctx;
    const int64_t m = ws->m;
    lariat_prep *t = lariat_calloc(ctx, 1, sizeof(*t), "working-set problem");
    if (t == NULL) return LARIAT_ENOMEM;
    *t = *s;
    t->data = dW;
    t->p = m;
    t->gram = NULL;
    t->U = NULL;
    t->HU = t->LU = NULL;
    t->Usel = NULL;
    t->gap_work = NULL;
    double **arrays[] = {&t->mean, &t->scale, &t->inv_scale, &t->pf, &t->lo, &t->hi, &t->blo, &t->bhi, &t->xy, &t->xx};
    const double *from[] = {s->mean, s->scale, s->inv_scale, s->pf, s->lo, s->hi, s->blo, s->bhi, s->xy, s->xx};
    int rc = LARIAT_OK;
    for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) *arrays[a] = NULL;
    for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
        *arrays[a] = lariat_malloc(ctx, (size_t)m, sizeof(double), "working-set problem");
        if (*arrays[a] == NULL) {
            rc = LARIAT_ENOMEM;
            continue;
        }
        for (int64_t i = 0; i < m; i++) (*arrays[a])[i] = from[a][ws->cols[i]];
    }
    t->n_constant = 0;
    t->gap_work = lariat_malloc(ctx, (size_t)(m + s->nU), sizeof(double), "gap scratch");
    if (t->gap_work == NULL) rc = LARIAT_ENOMEM;
    if (rc == LARIAT_OK && s->nU > 0) {
        /* Every unpenalized column is in W; its position there, and HU's rows of W. */
        t->U = lariat_malloc(ctx, (size_t)s->nU, sizeof(int64_t), "unpenalized columns");
        t->HU = lariat_malloc(ctx, (size_t)(m * s->nU), sizeof(double), "unpenalized Gram columns");
        t->LU = lariat_malloc(ctx, (size_t)(s->nU * s->nU), sizeof(double), "unpenalized factor");
        t->Usel = lariat_malloc(ctx, (size_t)s->nU, sizeof(int64_t), "projected columns");
        if (!t->U || !t->HU || !t->LU || !t->Usel) rc = LARIAT_ENOMEM;
        for (int64_t u = 0; rc == LARIAT_OK && u < s->nU; u++) {
            int64_t pos = 0;
            while (ws->cols[pos] != s->U[u]) pos++;
            t->U[u] = pos;
        }
        for (int64_t i = 0; rc == LARIAT_OK && i < m; i++) {
            memcpy(t->HU + i * s->nU, s->HU + ws->cols[i] * s->nU, (size_t)s->nU * sizeof(double));
        }
    }
    if (rc != LARIAT_OK) {
        lariat_prep_destroy(t);
        return rc;
    }
    *out = t;
    return LARIAT_OK;
}

/* Not collective. This rank's rows of the columns of W. */
static int data_subset(const wset_ws *ws, lariat_data **out)
{
    lariat_ctx *ctx = ws->g->ctx;
    const lariat_data *d = ws->g->data;
    const int64_t n = d->n_local, m = ws->m, p = ws->p;
    lariat_data *dW = NULL;
    int rc = lariat_data_alloc(ctx, n, m, &dW);
    if (rc != LARIAT_OK) return rc;
    dW->n = d->n;
    dW->row0 = d->row0;
    dW->has_weights = d->has_weights;
    memcpy(dW->y, d->y, (size_t)n * sizeof(double));
    memcpy(dW->w, d->w, (size_t)n * sizeof(double));
    int64_t *pos = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "column map");
    if (pos == NULL) {
        lariat_data_destroy(dW);
        return LARIAT_ENOMEM;
    }
    for (int64_t j = 0; j < p; j++) pos[j] = -1;
    for (int64_t i = 0; i < m; i++) pos[ws->cols[i]] = i;
    const lariat_matrix *X = d->X;
    if (lariat_matrix_is_sparse(X)) {
        int64_t nnz = 0;
        for (int64_t t = X->rowptr[0]; t < X->rowptr[n]; t++) nnz += pos[X->colind[t]] >= 0;
        int64_t *rowptr = malloc((size_t)(n + 1) * sizeof(int64_t));
        int32_t *colind = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int32_t));
        double *val = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
        if (rowptr == NULL || colind == NULL || val == NULL) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory copying the working set's columns");
            free(rowptr);
            free(colind);
            free(val);
        } else {
            int64_t e = 0;
            rowptr[0] = 0;
            for (int64_t i = 0; i < n; i++) {
                for (int64_t t = X->rowptr[i]; t < X->rowptr[i + 1]; t++) {
                    if (pos[X->colind[t]] < 0) continue;
                    colind[e] = (int32_t)pos[X->colind[t]];
                    val[e++] = X->val[t];
                }
                rowptr[i + 1] = e;
            }
            rc = lariat_matrix_wrap_csr(ctx, n, m, rowptr, colind, val, &dW->X);
        }
    } else {
        double *val = malloc((size_t)((n > 0 ? n : 1) * (m > 0 ? m : 1)) * sizeof(double));
        if (val == NULL) {
            rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory copying the working set's columns");
        } else {
            for (int64_t i = 0; i < n; i++) {
                for (int64_t c = 0; c < m; c++) val[i * m + c] = X->val[i * p + ws->cols[c]];
            }
            rc = lariat_matrix_wrap_dense(ctx, n, m, val, &dW->X);
        }
    }
    free(pos);
    if (rc != LARIAT_OK) {
        lariat_data_destroy(dW);
        return rc;
    }
    *out = dW;
    return LARIAT_OK;
}

/* Collective. The problem on W and its Newton solver. */
static int make_subproblem(wset_ws *ws)
{
    const lariat_glm *g = ws->g;
    lariat_ctx *ctx = g->ctx;
    drop_subproblem(ws);
    ws->m = 0;
    for (int64_t j = 0; j < ws->p; j++) {
        if (ws->in[j]) ws->cols[ws->m++] = j;
    }
    int rc = data_subset(ws, &ws->dW);
    lariat_prep *sW = NULL;
    if (rc == LARIAT_OK) rc = prep_subset(ws, ws->dW, &sW);
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        lariat_problem pb;
        lariat_problem_default(&pb);
        pb.family = g->fam->kind;
        pb.grouped = g->grouped;
        pb.alpha = g->alpha;
        pb.intercept = g->std->intercept;
        pb.standardize = g->std->standardize;
        /* No null pass: nothing on W reads its lambda_max or null gradient
        ** (the full problem's make the path), and it cost a pass over the
        ** rows and a set of arrays of n every time W changed. */
        rc = lariat_glm_create_ex(ctx, ws->dW, g->w, &pb, g->classes, g->nclass, sW, 0, &ws->gW);
        if (rc == LARIAT_OK) ws->gW->heldout = g->heldout;
        sW = NULL; /* taken over, or freed */
    }
    lariat_prep_destroy(sW);
    if (rc == LARIAT_OK) {
        ws->ops = lariat_glm_newton_for(ws->gW, &ws->st);
        rc = ws->ops->create(ws->gW, &ws->st, &ws->ows);
        if (rc != LARIAT_OK) ws->ops = NULL;
    }
    return rc;
}

/* Not collective. The part of v_jk (the loss's descent direction) that can
** move c_jk off 0 within its bounds: a feature held at lo = 0 can only
** rise, so a negative v_jk cannot bring it into the model however large;
** the strong rule weighs this part only (unbounded: |v_jk|). */
static double movable(const lariat_prep *s, int64_t j, double v)
{
    if (v > 0.0) return s->hi[j] > 0.0 ? v : 0.0;
    return s->lo[j] < 0.0 ? -v : 0.0;
}

/* Not collective. Whether feature j, at 0, moves under the proximal step
** along the full gradient v (any class): then it violates the optimality
** conditions of the problem with it held at 0. */
static int moves(const wset_ws *ws, int64_t j, double lambda)
{
    const lariat_glm *g = ws->g;
    const int64_t p = ws->p;
    if (lariat_prep_is_fixed(g->std, j)) return 0;
    if (g->grouped) {
        double z[LARIAT_GLM_MAX_GROUP], nw[LARIAT_GLM_MAX_GROUP];
        for (int k = 0; k < ws->K; k++) z[k] = ws->v[k * p + j];
        lariat_glm_prox_group(g, j, z, 1.0, lambda, nw);
        for (int k = 0; k < ws->K; k++) {
            if (nw[k] != 0.0) return 1;
        }
        return 0;
    }
    for (int k = 0; k < ws->K; k++) {
        if (lariat_prep_prox(g->std, j, ws->v[k * p + j], 1.0, lambda) != 0.0) return 1;
    }
    return 0;
}

/* Collective. The handoff: the problem on W and the passes' arrays
** dropped (their memory first), the whole problem's Newton solver made; the
** rest of the path is its. */
static int hand_off(wset_ws *ws)
{
    drop_subproblem(ws);
    lariat_glm_work_free(&ws->wk);
#if defined(__GLIBC__)
    /* The problem on W, made anew at most lambdas, freed arrays of n doubles
    ** that glibc had mapped, which raises its threshold for mapping (up to 32
    ** MB): the whole problem's arrays then came from the heap between the
    ** freed ones, and the fit's peak RSS rose from 95 to 104-108 MiB on
    ** 100,000 x 2,000 rows at 1%. Released here, the peak is 95 MiB. */
    malloc_trim(0);
#endif
    const lariat_glm_solver_ops *ops = lariat_glm_newton_for(ws->g, &ws->st);
    int rc = ops->create(ws->g, &ws->st, &ws->full_ws);
    if (rc == LARIAT_OK) ws->full_ops = ops;
    return rc;
}

static int wset_solve(void *wsv, double lambda, double *a, double *c, lariat_solve_info *info)
{
    wset_ws *ws = wsv;
    const lariat_glm *g = ws->g;
    const lariat_prep *s = g->std;
    const int K = ws->K;
    const int64_t p = ws->p;
    if (ws->full_ops != NULL) return ws->full_ops->solve(ws->full_ws, lambda, a, c, info);
    /* 1. The working set: nonzero, unpenalized, and the strong set. */
    const double cut = g->alpha * (2.0 * lambda - ws->lambda_prev);
    int changed = ws->gW == NULL;
    /* The unpenalized columns (prep's U, which the problem on W keeps whole). */
    for (int64_t u = 0; u < s->nU; u++) {
        changed |= !ws->in[s->U[u]];
        ws->in[s->U[u]] = 1;
    }
    for (int64_t j = 0; j < p; j++) {
        if (ws->in[j] || lariat_prep_is_fixed(s, j)) continue;
        int nonzero = 0;
        double v2 = 0.0, vmax = 0.0;
        for (int k = 0; k < K; k++) {
            const double m = movable(s, j, ws->v[k * p + j]);
            nonzero |= c[k * p + j] != 0.0;
            v2 += m * m;
            vmax = fmax(vmax, m);
        }
        const double size = g->grouped ? sqrt(v2) : vmax;
        if (nonzero || s->pf[j] == 0.0 || size > cut * s->pf[j]) {
            ws->in[j] = 1;
            changed = 1;
        }
    }
    lariat_glm_point pt = {0.0, ws->g0, ws->v};
    int iterations = 0, rc = LARIAT_OK;
    double primal = INFINITY, gap = INFINITY;
    for (;;) {
        int64_t m = 0;
        for (int64_t j = 0; j < p; j++) m += ws->in[j];
        if (ws->handoff > 0.0 && (double)m > ws->handoff * (double)p) {
            lariat_log(g->ctx, LARIAT_LOG_VERBOSE,
                       "working set: lambda %.6g, %lld of %lld features; the path goes on on all of them", lambda,
                       (long long)m, (long long)p);
            rc = hand_off(ws);
            if (rc != LARIAT_OK) return rc;
            return ws->full_ops->solve(ws->full_ws, lambda, a, c, info);
        }
        if (changed && m > 0) rc = make_subproblem(ws);
        if (rc != LARIAT_OK) break;
        if (m == 0) {
            /* No feature: the intercepts' own optimum (the null model). */
            memcpy(a, g->a_null, (size_t)K * sizeof(double));
            memset(c, 0, (size_t)(K * p) * sizeof(double));
        } else {
            /* 2. The problem on W from the point restricted to it. */
            memcpy(ws->aW, a, (size_t)K * sizeof(double));
            for (int k = 0; k < K; k++) {
                for (int64_t i = 0; i < m; i++) ws->cW[k * m + i] = c[k * p + ws->cols[i]];
            }
            lariat_solve_info sub = {0, 0, 0.0, 0.0};
            rc = ws->ops->solve(ws->ows, lambda, ws->aW, ws->cW, &sub);
            if (rc != LARIAT_OK) break;
            iterations += sub.iterations;
            memcpy(a, ws->aW, (size_t)K * sizeof(double));
            memset(c, 0, (size_t)(K * p) * sizeof(double));
            for (int k = 0; k < K; k++) {
                for (int64_t i = 0; i < m; i++) c[k * p + ws->cols[i]] = ws->cW[k * m + i];
            }
        }
        /* 3. The full gradient and certificate at the answer. Its eta from
        ** the columns of W, which hold its every nonzero coefficient: the
        ** same sums without the zero terms (on CSR rows bit for bit, the
        ** sparse binomial path was the same bytes; dense rows' BLAS may add
        ** in another order; row by row either way, so the same at any rank
        ** count), and one pass over the stored entries of W, not all. */
        if (m > 0) lariat_glm_eta(ws->gW, a, ws->cW, &ws->wk, ws->wk.eta);
        else lariat_glm_eta(g, a, c, &ws->wk, ws->wk.eta);
        rc = lariat_glm_pass(g, &ws->wk, &pt);
        if (rc == LARIAT_OK) rc = lariat_glm_gap(g, lambda, c, &pt, &ws->wk, &primal, &gap);
        if (rc != LARIAT_OK) break;
        changed = 0;
        for (int64_t j = 0; j < p; j++) {
            if (!ws->in[j] && moves(ws, j, lambda)) {
                ws->in[j] = 1;
                changed = 1;
            }
        }
        if (!changed) break;
        lariat_log(g->ctx, LARIAT_LOG_VERBOSE, "working set: lambda %.6g, %lld features, violators added", lambda,
                   (long long)m);
    }
    ws->lambda_prev = lambda;
    info->iterations = iterations;
    info->gap = gap;
    info->primal = primal;
    info->converged = gap <= fmax(ws->st.tol * g->N0, LARIAT_GLM_GAP_FLOOR * fabs(primal));
    return rc;
}

/* Not collective. What the next solve() starts from besides (a, c): the
** strong rule's lambda and gradient, W, and the inner solver's own state
** (its kept curvature), so that a resumed path repeats an uninterrupted
** one. NULL-safe: 0 values when out of memory (the path then keeps none). */
static int64_t wset_get_state(const void *wsv, const double **values)
{
    wset_ws *ws = (wset_ws *)wsv;
    const int64_t p = ws->p, Kp = (int64_t)ws->K * p;
    const double *inner = NULL;
    if (ws->full_ops != NULL) {
        /* Handed off: [-1 | the whole problem's solver's] (lambda_prev is
        ** positive, so the mark tells the two apart). */
        const int64_t nf = ws->full_ops->get_state != NULL ? ws->full_ops->get_state(ws->full_ws, &inner) : 0;
        double *st = realloc(ws->state, (size_t)(1 + nf) * sizeof(double));
        *values = NULL;
        if (st == NULL) return 0;
        ws->state = st;
        st[0] = -1.0;
        if (nf > 0) memcpy(st + 1, inner, (size_t)nf * sizeof(double));
        *values = st;
        return 1 + nf;
    }
    const int64_t ni = ws->ops != NULL && ws->ops->get_state != NULL ? ws->ops->get_state(ws->ows, &inner) : 0;
    double *st = realloc(ws->state, (size_t)(1 + p + Kp + ni) * sizeof(double));
    *values = NULL;
    if (st == NULL) return 0;
    ws->state = st;
    st[0] = ws->lambda_prev;
    for (int64_t j = 0; j < p; j++) st[1 + j] = ws->in[j];
    memcpy(st + 1 + p, ws->v, (size_t)Kp * sizeof(double));
    if (ni > 0) memcpy(st + 1 + p + Kp, inner, (size_t)ni * sizeof(double));
    *values = st;
    return 1 + p + Kp + ni;
}

/* Collective (it forms the problem on W). */
static int wset_set_state(void *wsv, const double *values, int64_t n)
{
    wset_ws *ws = wsv;
    const int64_t p = ws->p, Kp = (int64_t)ws->K * p;
    if (n >= 1 && values[0] < 0.0 && ws->handoff > 0.0) {
        int rc = hand_off(ws);
        if (rc == LARIAT_OK && n > 1) {
            rc = ws->full_ops->set_state != NULL
                     ? ws->full_ops->set_state(ws->full_ws, values + 1, n - 1)
                     : lariat_error(ws->g->ctx, LARIAT_EUSAGE, "the checkpoint's solver state does not fit");
        }
        return rc;
    }
    if (n < 1 + p + Kp) {
        return lariat_error(ws->g->ctx, LARIAT_EUSAGE,
                            "the checkpoint's working set (%lld values) does not fit this problem (at least %lld)",
                            (long long)n, (long long)(1 + p + Kp));
    }
    ws->lambda_prev = values[0];
    int64_t m = 0;
    for (int64_t j = 0; j < p; j++) m += ws->in[j] = values[1 + j] != 0.0;
    memcpy(ws->v, values + 1 + p, (size_t)Kp * sizeof(double));
    const int64_t ni = n - (1 + p + Kp);
    int rc = m > 0 ? make_subproblem(ws) : LARIAT_OK;
    if (rc == LARIAT_OK && ni > 0) {
        rc = ws->ops->set_state != NULL ? ws->ops->set_state(ws->ows, values + 1 + p + Kp, ni)
                                        : lariat_error(ws->g->ctx, LARIAT_EUSAGE, "the checkpoint's solver state does not fit");
    }
    return rc;
}

const lariat_glm_solver_ops lariat_glm_solver_workset = {"gram", wset_create, wset_solve, wset_destroy,
                                                         wset_get_state, wset_set_state};
