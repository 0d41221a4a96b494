/*
** The checkpoint file's layout. Numbers are stored as the machine holds them
** (the header's byte-order mark refuses a file from another kind of
** machine), doubles bit for bit, so that a resumed run continues from
** exactly the values an uninterrupted run holds. Counts read back are
** checked against the bytes left before anything is allocated for them.
**
**   fingerprint  kind n p ranks rows_hash xsum1 xsum2 xscale
**                nalpha alpha[] nlambda_given lambda[] nlambda lambda_min_ratio
**                standardize intercept pf_hash bounds_hash tol max_iter solver
**                rho adapt_rho nfolds seed foldid_hash family grouped curvature measure
**   state        nalpha_done, per complete alpha: alpha fit cvm[] cvsd[] index_min index_1se
**                has_alpha_fit [fit]  K nlambda [fold_done[K] fold_err[K*nlambda+K]]
**                unit [solver fit nc c[nc] nstate state[]]
**   fit          p alpha nlambda null_objective lambda_max solver_name solver_reason
**                n_zero_variance family nlin grouped nclass classes[nclass]
**                path_stopped, per lambda: lambda intercept nonzero objective
**                duality_gap iterations converged dev_ratio
**                [intercepts[nlin] when nlin > 1] coef[max(nlin, 1) p]
**
** A path's solver is numbered in one list of the gaussian and the
** cross-entropy solvers; its c is the gaussian path's p standardized
** coefficients or the cross-entropy path's [a (K) | c (K p)], and its state
** what the solver carries from one lambda to the next (for the Newton
** solver with the IRLS curvature, the kept curvature: K (p^2 + p + 1)
** values once formed).
*/
#include "ckpt/internal.h"
#include "core/core.h"
#include "solvers/glm.h"

#include <stdlib.h>
#include <string.h>

void ckpt_put(ckpt_buf *b, const void *src, size_t n)
{
    /* n = 0 may come with src NULL (a gaussian fit's classes): memcpy must not see it. */
    if (b->nomem || n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->nomem = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

void ckpt_put_i64(ckpt_buf *b, int64_t v) { ckpt_put(b, &v, sizeof(v)); }
void ckpt_put_f64(ckpt_buf *b, double v) { ckpt_put(b, &v, sizeof(v)); }
void ckpt_put_f64s(ckpt_buf *b, const double *v, int64_t n) { ckpt_put(b, v, (size_t)n * sizeof(double)); }

void ckpt_put_str(ckpt_buf *b, const char *s)
{
    const int64_t n = s != NULL ? (int64_t)strlen(s) : 0;
    ckpt_put_i64(b, n);
    ckpt_put(b, s != NULL ? s : "", (size_t)n);
}

void ckpt_get(ckpt_reader *r, void *dst, size_t n)
{
    if (n == 0) return; /* dst may be NULL then (ckpt_put) */
    if (r->bad || n > r->len - r->pos) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->data + r->pos, n);
    r->pos += n;
}

int64_t ckpt_get_i64(ckpt_reader *r)
{
    int64_t v;
    ckpt_get(r, &v, sizeof(v));
    return v;
}

double ckpt_get_f64(ckpt_reader *r)
{
    double v;
    ckpt_get(r, &v, sizeof(v));
    return v;
}

void ckpt_get_f64s(ckpt_reader *r, double *v, int64_t n) { ckpt_get(r, v, (size_t)n * sizeof(double)); }

int64_t ckpt_get_count(ckpt_reader *r, int64_t max)
{
    const int64_t n = ckpt_get_i64(r);
    /* Every counted item takes at least one byte of what is left. */
    if (r->bad || n < 0 || n > max || (uint64_t)n > r->len - r->pos) {
        r->bad = 1;
        return 0;
    }
    return n;
}

void ckpt_get_str(ckpt_reader *r, char *s, size_t cap)
{
    const int64_t n = ckpt_get_count(r, (int64_t)cap - 1);
    ckpt_get(r, s, (size_t)n);
    s[r->bad ? 0 : n] = '\0';
}

uint64_t ckpt_checksum(const unsigned char *data, size_t len)
{
    /* FNV-1a (Fowler, Noll and Vo): offset basis and prime of the 64-bit variant. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void ckpt_fp_put(ckpt_buf *b, const ckpt_fp *fp)
{
    const int64_t ints[] = {fp->kind, fp->n, fp->p, fp->ranks};
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) ckpt_put_i64(b, ints[k]);
    ckpt_put(b, &fp->rows_hash, sizeof(fp->rows_hash));
    ckpt_put_f64(b, fp->xsum1);
    ckpt_put_f64(b, fp->xsum2);
    ckpt_put_f64(b, fp->xscale);
    ckpt_put_i64(b, fp->nalpha);
    ckpt_put_f64s(b, fp->alpha, fp->nalpha);
    ckpt_put_i64(b, fp->nlambda_given);
    ckpt_put_f64s(b, fp->lambda, fp->nlambda_given);
    ckpt_put_i64(b, fp->nlambda);
    ckpt_put_f64(b, fp->lambda_min_ratio);
    ckpt_put_i64(b, fp->standardize);
    ckpt_put_i64(b, fp->intercept);
    ckpt_put(b, &fp->pf_hash, sizeof(fp->pf_hash));
    ckpt_put(b, &fp->bounds_hash, sizeof(fp->bounds_hash));
    ckpt_put_f64(b, fp->tol);
    ckpt_put_i64(b, fp->max_iter);
    ckpt_put_i64(b, fp->solver);
    ckpt_put_f64(b, fp->rho);
    ckpt_put_i64(b, fp->adapt_rho);
    ckpt_put_i64(b, fp->nfolds);
    ckpt_put(b, &fp->seed, sizeof(fp->seed));
    ckpt_put(b, &fp->foldid_hash, sizeof(fp->foldid_hash));
    ckpt_put_i64(b, fp->family);
    ckpt_put_i64(b, fp->grouped);
    ckpt_put_i64(b, fp->curvature);
    ckpt_put_i64(b, fp->measure);
}

int ckpt_fp_get(lariat_ctx *ctx, ckpt_reader *r, ckpt_fp *fp)
{
    memset(fp, 0, sizeof(*fp));
    fp->kind = ckpt_get_i64(r);
    fp->n = ckpt_get_i64(r);
    fp->p = ckpt_get_i64(r);
    fp->ranks = ckpt_get_i64(r);
    ckpt_get(r, &fp->rows_hash, sizeof(fp->rows_hash));
    fp->xsum1 = ckpt_get_f64(r);
    fp->xsum2 = ckpt_get_f64(r);
    fp->xscale = ckpt_get_f64(r);
    fp->nalpha = ckpt_get_count(r, INT32_MAX);
    fp->alpha = lariat_malloc(ctx, (size_t)fp->nalpha, sizeof(double), "checkpoint alphas");
    if (fp->alpha == NULL) return LARIAT_ENOMEM;
    ckpt_get_f64s(r, fp->alpha, fp->nalpha);
    fp->nlambda_given = ckpt_get_count(r, INT32_MAX);
    fp->lambda = lariat_malloc(ctx, (size_t)fp->nlambda_given, sizeof(double), "checkpoint lambdas");
    if (fp->lambda == NULL) return LARIAT_ENOMEM;
    ckpt_get_f64s(r, fp->lambda, fp->nlambda_given);
    fp->nlambda = ckpt_get_i64(r);
    fp->lambda_min_ratio = ckpt_get_f64(r);
    fp->standardize = ckpt_get_i64(r);
    fp->intercept = ckpt_get_i64(r);
    ckpt_get(r, &fp->pf_hash, sizeof(fp->pf_hash));
    ckpt_get(r, &fp->bounds_hash, sizeof(fp->bounds_hash));
    fp->tol = ckpt_get_f64(r);
    fp->max_iter = ckpt_get_i64(r);
    fp->solver = ckpt_get_i64(r);
    fp->rho = ckpt_get_f64(r);
    fp->adapt_rho = ckpt_get_i64(r);
    fp->nfolds = ckpt_get_i64(r);
    ckpt_get(r, &fp->seed, sizeof(fp->seed));
    ckpt_get(r, &fp->foldid_hash, sizeof(fp->foldid_hash));
    fp->family = ckpt_get_i64(r);
    fp->grouped = ckpt_get_i64(r);
    fp->curvature = ckpt_get_i64(r);
    fp->measure = ckpt_get_i64(r);
    return LARIAT_OK;
}

/* Not collective. A count of doubles read from the file: in [0, max], and
** no more than the bytes left hold (checked before anything is allocated). */
static int64_t get_f64_count(ckpt_reader *r, int64_t max)
{
    const int64_t n = ckpt_get_count(r, max);
    if ((uint64_t)n > (r->len - r->pos) / sizeof(double)) {
        r->bad = 1;
        return 0;
    }
    return n;
}

/* Not collective. The linear predictors of a fit (nlin 0 is read as 1). */
static int64_t fit_nlin(const lariat_fit *f) { return f->nlin > 1 ? f->nlin : 1; }

static void put_fit(ckpt_buf *b, const lariat_fit *f, int64_t p)
{
    ckpt_put_i64(b, f->p);
    ckpt_put_f64(b, f->alpha);
    ckpt_put_i64(b, f->nlambda);
    ckpt_put_f64(b, f->null_objective);
    ckpt_put_f64(b, f->lambda_max);
    ckpt_put_str(b, f->solver_name);
    ckpt_put_str(b, f->solver_reason);
    ckpt_put_i64(b, f->n_zero_variance);
    ckpt_put_i64(b, f->family);
    ckpt_put_i64(b, f->nlin);
    ckpt_put_i64(b, f->grouped);
    ckpt_put_i64(b, f->nclass);
    ckpt_put_f64s(b, f->classes, f->nclass);
    ckpt_put_i64(b, f->path_stopped);
    const int64_t nlin = fit_nlin(f);
    for (int k = 0; k < f->nlambda; k++) {
        const lariat_solution *s = &f->path[k];
        ckpt_put_f64(b, s->lambda);
        ckpt_put_f64(b, s->intercept);
        ckpt_put_i64(b, s->nonzero);
        ckpt_put_f64(b, s->objective);
        ckpt_put_f64(b, s->duality_gap);
        ckpt_put_i64(b, s->iterations);
        ckpt_put_i64(b, s->converged);
        ckpt_put_f64(b, s->dev_ratio);
        if (nlin > 1) ckpt_put_f64s(b, s->intercepts, nlin);
        ckpt_put_f64s(b, s->coef, nlin * p);
    }
}

/* The solvers as the file numbers them (a path's position names its
** solver): the gaussian ones, then those of the cross-entropy families. */
static const lariat_solver_ops *const solvers[] = {&lariat_solver_gram, &lariat_solver_pgram, &lariat_solver_admm,
                                                   &lariat_solver_fista, &lariat_solver_wsgram,
                                                   &lariat_solver_kernel_ridge};
/* New solvers go at the end: a checkpoint records the index. */
static const lariat_glm_solver_ops *const glm_solvers[] = {&lariat_glm_solver_newton, &lariat_glm_solver_newton_bound,
                                                           &lariat_glm_solver_fista, &lariat_glm_solver_admm,
                                                           &lariat_glm_solver_lockstep, &lariat_glm_solver_workset};
enum {
    N_SOLVERS = sizeof(solvers) / sizeof(solvers[0]),
    N_GLM_SOLVERS = sizeof(glm_solvers) / sizeof(glm_solvers[0])
};

/* Not collective. The solver's static name for a name read back, or NULL. */
static const char *solver_name(const char *name)
{
    for (int k = 0; k < N_SOLVERS; k++) {
        if (strcmp(name, solvers[k]->name) == 0) return solvers[k]->name;
    }
    for (int k = 0; k < N_GLM_SOLVERS; k++) {
        if (strcmp(name, glm_solvers[k]->name) == 0) return glm_solvers[k]->name;
    }
    return NULL;
}

/* Not collective. The file's number of a position's solver. */
static int64_t solver_index(const lariat_path_pos *pos)
{
    int64_t k = 0;
    if (pos->ops != NULL) {
        while (k < N_SOLVERS && solvers[k] != pos->ops) k++;
        return k;
    }
    while (k < N_GLM_SOLVERS && glm_solvers[k] != pos->glm_ops) k++;
    return N_SOLVERS + k;
}

static int get_fit(lariat_ctx *ctx, ckpt_reader *r, int64_t p, lariat_fit **out)
{
    char name[32];
    *out = NULL;
    lariat_fit *f = lariat_calloc(ctx, 1, sizeof(*f), "checkpoint fit");
    if (f == NULL) return LARIAT_ENOMEM;
    f->p = ckpt_get_i64(r);
    f->alpha = ckpt_get_f64(r);
    const int64_t nlam = ckpt_get_count(r, INT32_MAX);
    f->null_objective = ckpt_get_f64(r);
    f->lambda_max = ckpt_get_f64(r);
    ckpt_get_str(r, name, sizeof(name));
    ckpt_get_str(r, f->solver_reason, sizeof(f->solver_reason));
    f->n_zero_variance = (int)ckpt_get_i64(r);
    const int64_t family = ckpt_get_i64(r);
    f->nlin = (int)ckpt_get_count(r, LARIAT_GLM_MAX_GROUP);
    f->grouped = (int)ckpt_get_i64(r);
    f->solver_name = solver_name(name);
    if (f->p != p || f->solver_name == NULL || family < LARIAT_FAMILY_GAUSSIAN || family > LARIAT_FAMILY_MULTINOMIAL) {
        r->bad = 1;
    }
    f->family = (lariat_family_kind)family;
    const int64_t nclass = get_f64_count(r, LARIAT_GLM_MAX_GROUP);
    int rc = LARIAT_OK;
    if (!r->bad && nclass > 0) {
        f->classes = lariat_malloc(ctx, (size_t)nclass, sizeof(double), "checkpoint classes");
        if (f->classes == NULL) rc = LARIAT_ENOMEM;
        else ckpt_get_f64s(r, f->classes, nclass);
        f->nclass = f->classes != NULL ? (int)nclass : 0;
    }
    f->path_stopped = (int)ckpt_get_i64(r);
    const int64_t nlin = fit_nlin(f);
    if (rc == LARIAT_OK && !r->bad) {
        f->path = lariat_calloc(ctx, (size_t)nlam, sizeof(lariat_solution), "checkpoint path");
        if (f->path == NULL) rc = LARIAT_ENOMEM;
    }
    for (int64_t k = 0; rc == LARIAT_OK && !r->bad && k < nlam; k++) {
        lariat_solution *s = &f->path[k];
        s->lambda = ckpt_get_f64(r);
        s->intercept = ckpt_get_f64(r);
        s->nonzero = ckpt_get_i64(r);
        s->objective = ckpt_get_f64(r);
        s->duality_gap = ckpt_get_f64(r);
        s->iterations = (int)ckpt_get_i64(r);
        s->converged = (int)ckpt_get_i64(r);
        s->dev_ratio = ckpt_get_f64(r);
        f->nlambda = (int)k + 1;
        if ((uint64_t)(nlin * p + (nlin > 1 ? nlin : 0)) > (r->len - r->pos) / sizeof(double)) {
            r->bad = 1;
            break;
        }
        if (nlin > 1) {
            s->intercepts = lariat_malloc(ctx, (size_t)nlin, sizeof(double), "checkpoint intercepts");
            if (s->intercepts == NULL) {
                rc = LARIAT_ENOMEM;
                break;
            }
            ckpt_get_f64s(r, s->intercepts, nlin);
        }
        s->coef = lariat_malloc(ctx, (size_t)(nlin * p), sizeof(double), "checkpoint coefficients");
        if (s->coef == NULL) {
            rc = LARIAT_ENOMEM;
            break;
        }
        ckpt_get_f64s(r, s->coef, nlin * p);
    }
    if (rc != LARIAT_OK || r->bad) {
        lariat_fit_destroy(f);
        return rc;
    }
    *out = f;
    return LARIAT_OK;
}

void ckpt_state_put(ckpt_buf *b, const lariat_ckpt_state *s, int64_t p)
{
    ckpt_put_i64(b, s->nalpha_done);
    for (int a = 0; a < s->nalpha_done; a++) {
        const lariat_cv_curve *c = &s->curves[a];
        ckpt_put_f64(b, c->alpha);
        put_fit(b, c->fit, p);
        ckpt_put_f64s(b, c->cvm, c->nlambda);
        ckpt_put_f64s(b, c->cvsd, c->nlambda);
        ckpt_put_i64(b, c->index_min);
        ckpt_put_i64(b, c->index_1se);
    }
    ckpt_put_i64(b, s->alpha_fit != NULL);
    if (s->alpha_fit != NULL) put_fit(b, s->alpha_fit, p);
    ckpt_put_i64(b, s->K);
    ckpt_put_i64(b, s->nlambda);
    if (s->K > 0) {
        ckpt_put(b, s->fold_done, (size_t)s->K);
        ckpt_put_f64s(b, s->fold_err, (int64_t)s->K * s->nlambda + s->K);
    }
    ckpt_put_i64(b, s->unit);
    if (s->unit >= 0) {
        ckpt_put_i64(b, solver_index(&s->path));
        put_fit(b, s->path.fit, p);
        ckpt_put_i64(b, s->path.nc);
        ckpt_put_f64s(b, s->path.c, s->path.nc);
        ckpt_put_i64(b, s->path.nstate);
        ckpt_put_f64s(b, s->path.state, s->path.nstate);
    }
}

void lariat_ckpt_state_free(lariat_ckpt_state *s)
{
    if (s == NULL) return;
    for (int a = 0; a < s->nalpha_done && s->curves != NULL; a++) {
        lariat_cv_curve *c = &s->curves[a];
        free(c->lambda);
        free(c->cvm);
        free(c->cvsd);
        free(c->nonzero);
        lariat_fit_destroy(c->fit);
    }
    free(s->curves);
    lariat_fit_destroy(s->alpha_fit);
    free(s->fold_done);
    free(s->fold_err);
    s->curves = NULL;
    s->alpha_fit = NULL;
    s->fold_done = NULL;
    s->fold_err = NULL;
    s->nalpha_done = 0;
}

void ckpt_restored_free(ckpt_restored *rs)
{
    if (rs == NULL) return;
    lariat_ckpt_state_free(&rs->state);
    lariat_fit_destroy(rs->path_fit);
    free(rs->path_c);
    free(rs->path_state);
    rs->path_fit = NULL;
    rs->path_c = NULL;
    rs->path_state = NULL;
    rs->state.unit = -1;
}

/* Not collective. One complete alpha's curve; lambda and nonzero from its fit. */
static int get_curve(lariat_ctx *ctx, ckpt_reader *r, int64_t p, lariat_cv_curve *c)
{
    c->alpha = ckpt_get_f64(r);
    int rc = get_fit(ctx, r, p, &c->fit);
    if (rc != LARIAT_OK || c->fit == NULL) return rc;
    const int nlam = c->fit->nlambda;
    c->nlambda = nlam;
    c->lambda = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "checkpoint cv lambda");
    c->cvm = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "checkpoint cvm");
    c->cvsd = lariat_malloc(ctx, (size_t)nlam, sizeof(double), "checkpoint cvsd");
    c->nonzero = lariat_malloc(ctx, (size_t)nlam, sizeof(int64_t), "checkpoint cv nonzero");
    if (!c->lambda || !c->cvm || !c->cvsd || !c->nonzero) return LARIAT_ENOMEM;
    ckpt_get_f64s(r, c->cvm, nlam);
    ckpt_get_f64s(r, c->cvsd, nlam);
    c->index_min = (int)ckpt_get_i64(r);
    c->index_1se = (int)ckpt_get_i64(r);
    if (c->index_min < 0 || c->index_min >= nlam || c->index_1se < 0 || c->index_1se >= nlam) r->bad = 1;
    for (int l = 0; l < nlam; l++) {
        c->lambda[l] = c->fit->path[l].lambda;
        c->nonzero[l] = c->fit->path[l].nonzero;
    }
    return LARIAT_OK;
}

int ckpt_state_get(lariat_ctx *ctx, ckpt_reader *r, int64_t p, ckpt_restored *out)
{
    memset(out, 0, sizeof(*out));
    lariat_ckpt_state *s = &out->state;
    s->unit = -1;
    int rc = LARIAT_OK;
    const int64_t nalpha = ckpt_get_count(r, INT32_MAX);
    s->curves = lariat_calloc(ctx, (size_t)nalpha, sizeof(lariat_cv_curve), "checkpoint curves");
    if (s->curves == NULL) rc = LARIAT_ENOMEM;
    for (int64_t a = 0; rc == LARIAT_OK && !r->bad && a < nalpha; a++) {
        s->nalpha_done = (int)a + 1;
        rc = get_curve(ctx, r, p, &s->curves[a]);
    }
    if (rc == LARIAT_OK && !r->bad && ckpt_get_i64(r) != 0) rc = get_fit(ctx, r, p, &s->alpha_fit);
    if (rc == LARIAT_OK && !r->bad) {
        s->K = (int)ckpt_get_count(r, INT32_MAX);
        s->nlambda = (int)ckpt_get_count(r, INT32_MAX);
        const int64_t nerr = (int64_t)s->K * s->nlambda + s->K;
        if (s->K > 0 && !r->bad && (uint64_t)nerr <= (r->len - r->pos) / sizeof(double)) {
            s->fold_done = lariat_malloc(ctx, (size_t)s->K, 1, "checkpoint folds");
            s->fold_err = lariat_malloc(ctx, (size_t)nerr, sizeof(double), "checkpoint fold errors");
            if (s->fold_done == NULL || s->fold_err == NULL) rc = LARIAT_ENOMEM;
            if (rc == LARIAT_OK) {
                ckpt_get(r, s->fold_done, (size_t)s->K);
                ckpt_get_f64s(r, s->fold_err, nerr);
            }
        } else if (s->K > 0) {
            r->bad = 1;
        }
    }
    if (rc == LARIAT_OK && !r->bad) {
        s->unit = (int)ckpt_get_i64(r);
        if (s->unit >= 0) {
            const int64_t solver = ckpt_get_count(r, N_SOLVERS + N_GLM_SOLVERS - 1);
            const int glm = solver >= N_SOLVERS;
            if (!r->bad && !glm) s->path.ops = solvers[solver];
            if (!r->bad && glm) s->path.glm_ops = glm_solvers[solver - N_SOLVERS];
            rc = get_fit(ctx, r, p, &out->path_fit);
            if (rc == LARIAT_OK && !r->bad) {
                /* The gaussian path's c and small state, or the cross-entropy path's [a | c] and state. */
                const int64_t K = fit_nlin(out->path_fit);
                s->path.nc = get_f64_count(r, glm ? K + K * p : p);
                if (s->path.nc != (glm ? K + K * p : p)) r->bad = 1;
            }
            if (rc == LARIAT_OK && !r->bad) {
                out->path_c = lariat_malloc(ctx, (size_t)s->path.nc, sizeof(double), "checkpoint coefficients");
                if (out->path_c == NULL) rc = LARIAT_ENOMEM;
                else ckpt_get_f64s(r, out->path_c, s->path.nc);
            }
            if (rc == LARIAT_OK && !r->bad) {
                s->path.nstate = get_f64_count(r, glm ? INT64_MAX : LARIAT_SOLVER_STATE_MAX(p));
                out->path_state = lariat_malloc(ctx, (size_t)s->path.nstate, sizeof(double), "checkpoint solver state");
                if (out->path_state == NULL) rc = LARIAT_ENOMEM;
                else ckpt_get_f64s(r, out->path_state, s->path.nstate);
            }
            if (rc == LARIAT_OK && !r->bad) {
                s->path.fit = out->path_fit;
                s->path.c = out->path_c;
                s->path.state = out->path_state;
            }
        }
    }
    if (rc == LARIAT_OK && (r->bad || r->pos != r->len)) rc = LARIAT_EDATA;
    if (rc != LARIAT_OK) ckpt_restored_free(out);
    return rc;
}
