/*
** Writing the model file (model.h): a streaming JSON writer on rank 0, into
** an atomic temporary. Reading it back is in model_read.c.
**
** The writer does not build a cJSON tree: a path of 100 lambdas over p
** features would cost a tree node per coefficient (about 64 bytes each) on
** top of the text, and cJSON 1.7.15 does not print doubles bit-exact
** (numfmt.h).
*/
#include "io/model.h"

#include "core/core.h"
#include "core/memory.h"
#include "family/family.h"
#include "io/atomic.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------- */
/* A minimal JSON emitter: nested containers, each either one item per line
** (indented) or all items on one line. */

#define EMIT_MAX_DEPTH 8

typedef struct emitter {
    FILE *fp;
    int depth;
    int count[EMIT_MAX_DEPTH];     /* items so far in each open container */
    int multiline[EMIT_MAX_DEPTH]; /* one item per line */
    char close[EMIT_MAX_DEPTH];    /* '}' or ']' */
    const char *bad_key;           /* the first key that got a non-finite number */
} emitter;

/* Writes s as a JSON string: quotes, backslashes and control characters
** escaped (RFC 8259 section 7); other bytes (UTF-8) pass through. */
static void emit_string_text(emitter *e, const char *s)
{
    fputc('"', e->fp);
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            fputc('\\', e->fp);
            fputc(*c, e->fp);
        } else if (*c < 0x20) {
            fprintf(e->fp, "\\u%04x", (unsigned)*c);
        } else {
            fputc(*c, e->fp);
        }
    }
    fputc('"', e->fp);
}

/* The separator, line break and key before an item of the current container. */
static void emit_prefix(emitter *e, const char *key)
{
    int d = e->depth - 1;
    if (d >= 0) {
        if (e->count[d] > 0) fputc(',', e->fp);
        if (e->multiline[d]) {
            fputc('\n', e->fp);
            for (int k = 0; k <= d; k++) fputs("  ", e->fp);
        } else if (e->count[d] > 0) {
            fputc(' ', e->fp);
        }
        e->count[d]++;
    }
    if (key != NULL) {
        emit_string_text(e, key);
        fputs(": ", e->fp);
    }
}

/* Depth is bounded by the fixed shape of the model file (at most 4). */
static void emit_open(emitter *e, const char *key, char open, int multiline)
{
    emit_prefix(e, key);
    fputc(open, e->fp);
    e->count[e->depth] = 0;
    e->multiline[e->depth] = multiline;
    e->close[e->depth] = open == '{' ? '}' : ']';
    e->depth++;
}

static void emit_close(emitter *e)
{
    int d = --e->depth;
    if (e->multiline[d] && e->count[d] > 0) {
        fputc('\n', e->fp);
        for (int k = 0; k < d; k++) fputs("  ", e->fp);
    }
    fputc(e->close[d], e->fp);
}

static void emit_number(emitter *e, const char *key, double x)
{
    char buf[LARIAT_DOUBLE_CHARS];
    if (!isfinite(x) && e->bad_key == NULL) e->bad_key = key != NULL ? key : "(array element)";
    lariat_format_double(buf, x);
    emit_prefix(e, key);
    fputs(buf, e->fp);
}

static void emit_int(emitter *e, const char *key, long long v)
{
    emit_prefix(e, key);
    fprintf(e->fp, "%lld", v);
}

static void emit_string(emitter *e, const char *key, const char *s)
{
    emit_prefix(e, key);
    emit_string_text(e, s);
}

static void emit_bool(emitter *e, const char *key, int b)
{
    emit_prefix(e, key);
    fputs(b ? "true" : "false", e->fp);
}

static void emit_vector(emitter *e, const char *key, const double *v, int64_t n)
{
    emit_open(e, key, '[', 0);
    for (int64_t j = 0; j < n; j++) emit_number(e, NULL, v[j]);
    emit_close(e);
    /* Name the vector, not "(array element)", in the error message. */
    if (e->bad_key != NULL && strcmp(e->bad_key, "(array element)") == 0) e->bad_key = key;
}

static void emit_null(emitter *e, const char *key)
{
    emit_prefix(e, key);
    fputs("null", e->fp);
}

/* K vectors of p numbers as a list of K lists (multinomial "coef"). */
static void emit_matrix(emitter *e, const char *key, const double *v, int K, int64_t p)
{
    emit_open(e, key, '[', 0);
    for (int k = 0; k < K; k++) emit_vector(e, NULL, v + (int64_t)k * p, p);
    emit_close(e);
    if (e->bad_key != NULL && strcmp(e->bad_key, "(array element)") == 0) e->bad_key = key;
}

/* ------------------------------------------------------------------------- */
/* Writing. */

/* The linear predictors of a fit (0 in a fit made before section 9 means 1). */
static int fit_nlin(const lariat_fit *fit) { return fit->nlin > 0 ? fit->nlin : 1; }

/* "intercept" and "coef" of one solution: numbers and p values, or for
** multinomial K intercepts and K lists of p values. */
static void emit_solution_coef(emitter *e, const lariat_fit *fit, const lariat_solution *s)
{
    const int K = fit_nlin(fit);
    if (K > 1) {
        emit_vector(e, "intercept", s->intercepts, K);
        emit_matrix(e, "coef", s->coef, K, fit->p);
    } else {
        emit_number(e, "intercept", s->intercept);
        emit_vector(e, "coef", s->coef, fit->p);
    }
}

void lariat_model_info_default(lariat_model_info *info)
{
    memset(info, 0, sizeof(*info));
    info->selected = -1;
    info->standardize = 1;
    info->fit_intercept = 1;
}

static void emit_cv(emitter *e, const lariat_cv_result *cv, lariat_family_kind family)
{
    emit_open(e, "cv", '{', 1);
    emit_int(e, "nfolds", cv->nfolds);
    emit_prefix(e, "seed");
    fprintf(e->fp, "%llu", (unsigned long long)cv->seed);
    emit_string(e, "select", cv->select == LARIAT_SELECT_MIN ? "min" : "1se");
    emit_string(e, "type_measure", lariat_measure_name(lariat_measure_resolve(family, cv->measure)));
    emit_number(e, "lambda_min", cv->lambda_min);
    emit_number(e, "lambda_1se", cv->lambda_1se);
    emit_number(e, "alpha_min", cv->alpha_min);
    emit_open(e, "table", '[', 1);
    for (int a = 0; a < cv->nalpha; a++) {
        const lariat_cv_curve *c = &cv->curves[a];
        for (int k = 0; k < c->nlambda; k++) {
            emit_open(e, NULL, '{', 0);
            emit_number(e, "alpha", c->alpha);
            emit_number(e, "lambda", c->lambda[k]);
            emit_number(e, "cvm", c->cvm[k]);
            emit_number(e, "cvsd", c->cvsd[k]);
            emit_int(e, "nonzero", (long long)c->nonzero[k]);
            emit_close(e);
        }
    }
    emit_close(e);
    emit_close(e);
}

/* Not collective (rank 0). The document, in the key order of SPEC.md section 5. */
static void emit_model(emitter *e, lariat_ctx *ctx, const lariat_fit *fit, lariat_model_info *info, int sel,
                       double t_entry)
{
    const lariat_solution *s = &fit->path[sel];
    emit_open(e, NULL, '{', 1);
    emit_string(e, "format", "lariat-model");
    emit_int(e, "version", 1);
    emit_string(e, "family", lariat_family_name(fit->family));
    if (fit->family != LARIAT_FAMILY_GAUSSIAN) emit_vector(e, "classes", fit->classes, fit->nclass);
    if (fit->family == LARIAT_FAMILY_MULTINOMIAL) emit_string(e, "multinomial", fit->grouped ? "grouped" : "ungrouped");
    emit_number(e, "alpha", fit->alpha);
    emit_number(e, "lambda", s->lambda);
    emit_solution_coef(e, fit, s);
    emit_open(e, "feature_names", '[', 0);
    for (int64_t j = 0; j < fit->p; j++) {
        if (info->feature_names != NULL) {
            emit_string(e, NULL, info->feature_names[j]);
        } else {
            char name[32];
            snprintf(name, sizeof(name), "x%lld", (long long)(j + 1));
            emit_string(e, NULL, name);
        }
    }
    emit_close(e);
    emit_bool(e, "standardize", info->standardize);
    emit_bool(e, "fit_intercept", info->fit_intercept);
    emit_int(e, "n_samples", (long long)info->n_samples);
    emit_int(e, "n_features", (long long)fit->p);
    emit_int(e, "ranks", info->ranks > 0 ? info->ranks : lariat_ctx_size(ctx));
    emit_string(e, "solver", info->solver != NULL ? info->solver : (fit->solver_name ? fit->solver_name : ""));
    emit_int(e, "iterations", s->iterations);
    emit_bool(e, "converged", s->converged);
    emit_number(e, "duality_gap", s->duality_gap);
    emit_number(e, "objective", s->objective);
    emit_number(e, "dev_ratio", s->dev_ratio);
    if (fit->path_stopped) {
        /* The default path ended early at its last lambda (SPEC.md 9). */
        const lariat_solution *last = &fit->path[fit->nlambda - 1];
        emit_open(e, "path_stop", '{', 0);
        emit_int(e, "after_lambda", fit->nlambda - 1);
        emit_number(e, "lambda", last->lambda);
        emit_number(e, "dev_ratio", last->dev_ratio);
        emit_string(e, "reason", "deviance ratio above 0.999 (glmnet's devmax)");
        emit_close(e);
    }
    if (fit->nlambda > 1) {
        emit_open(e, "path", '[', 1);
        for (int k = 0; k < fit->nlambda; k++) {
            const lariat_solution *q = &fit->path[k];
            emit_open(e, NULL, '{', 0);
            emit_number(e, "lambda", q->lambda);
            emit_solution_coef(e, fit, q);
            emit_int(e, "nonzero", (long long)q->nonzero);
            emit_number(e, "objective", q->objective);
            emit_number(e, "duality_gap", q->duality_gap);
            emit_int(e, "iterations", q->iterations);
            emit_number(e, "dev_ratio", q->dev_ratio);
            emit_close(e);
        }
        emit_close(e);
    }
    if (info->cv != NULL) emit_cv(e, info->cv, fit->family);
    const lariat_metrics *m = info->test;
    if (m != NULL && m->family == LARIAT_FAMILY_GAUSSIAN) {
        emit_open(e, "test_metrics", '{', 0);
        emit_number(e, "mse", m->mse);
        emit_number(e, "rmse", m->rmse);
        emit_number(e, "mae", m->mae);
        emit_number(e, "r2", m->r2);
        emit_close(e);
    } else if (m != NULL) {
        emit_open(e, "test_metrics", '{', 0);
        emit_number(e, "deviance", m->deviance);
        emit_number(e, "class_error", m->class_error);
        /* Held-out rows of one class have no ROC curve: null, not an error. */
        if (m->family == LARIAT_FAMILY_BINOMIAL && isfinite(m->auc)) emit_number(e, "auc", m->auc);
        else if (m->family == LARIAT_FAMILY_BINOMIAL) emit_null(e, "auc");
        emit_number(e, "brier", m->brier);
        emit_close(e);
    }
    /* The file cannot hold the time of its own final sync: "write" is the
    ** time spent here until the timings themselves are written. */
    if (info->measure) {
        double now = lariat_now();
        info->timings.write = now - t_entry;
        info->timings.total = now - info->t_start;
    }
    const lariat_timings *t = &info->timings;
    emit_open(e, "timings_s", '{', 0);
    emit_number(e, "load", t->load);
    emit_number(e, "prepare", t->prepare);
    emit_number(e, "solve", t->solve);
    emit_number(e, "cv", t->cv);
    emit_number(e, "write", t->write);
    emit_number(e, "total", t->total);
    emit_close(e);
    emit_number(e, "peak_rss_mb", info->peak_rss_mb);
    emit_close(e);
    fputc('\n', e->fp);
}

int lariat_model_write(lariat_ctx *ctx, const char *path, const lariat_fit *fit, lariat_model_info *info)
{
    double t_entry = lariat_now();
    int rc = lariat_peak_rss_mb(ctx, &info->peak_rss_mb);
    if (rc != LARIAT_OK || lariat_ctx_rank(ctx) != 0) return lariat_agree(ctx, rc);

    if (fit == NULL || fit->nlambda < 1 || fit->path == NULL) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "no fitted model to write to '%s'", path);
    } else if (info->selected >= fit->nlambda) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "selected lambda index %d is outside the path of %d values",
                          info->selected, fit->nlambda);
    }
    lariat_atomic_file w;
    if (rc == LARIAT_OK) rc = lariat_atomic_open(ctx, path, &w);
    if (rc == LARIAT_OK) {
        int sel = info->selected >= 0 ? info->selected : fit->nlambda - 1;
        emitter e;
        memset(&e, 0, sizeof(e));
        e.fp = w.fp;
        emit_model(&e, ctx, fit, info, sel, t_entry);
        if (e.bad_key != NULL) {
            lariat_atomic_abort(&w);
            rc = lariat_error(ctx, LARIAT_ENUMERIC, "cannot write '%s': \"%s\" is not a finite number", path,
                              e.bad_key);
        } else {
            rc = lariat_atomic_commit(ctx, &w);
        }
    }
    return lariat_agree(ctx, rc);
}
