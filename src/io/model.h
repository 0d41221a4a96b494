/*
** The model file (`--out`, JSON; SPEC.md section 5): writing it from a fitted
** path, and reading it back for `lariat predict`.
**
** Keys are written in the order of SPEC.md section 5, with the keys of
** section 9 where they belong:
**   format, version, family, [classes], [multinomial], alpha, lambda,
**   intercept, coef, feature_names, standardize, fit_intercept, n_samples,
**   n_features, ranks, solver, iterations, converged, duality_gap,
**   objective, dev_ratio, [path_stop], [path], [cv], [test_metrics],
**   timings_s, peak_rss_mb
** The top-level fit fields describe one entry of the path: the selected one
** (after cv) or the last. "classes" is written for binomial and
** multinomial, "multinomial" ("ungrouped" or "grouped") for multinomial,
** whose "intercept" is then a list of K numbers and "coef" a list of K lists
** of p numbers, in class order, at the top level and in every path entry.
** "path_stop" (an object: after_lambda, the 0-based index of the last
** lambda, its lambda and dev_ratio, and the reason) when the default path
** stopped at glmnet's devmax. "path" is written when more than one lambda
** was fit; its entries are lambda, intercept, coef, nonzero, objective,
** duality_gap, iterations, dev_ratio. "cv" when a CV summary is given,
** "test_metrics" when metrics are given (gaussian: mse, rmse, mae, r2;
** binomial: deviance, class_error, auc, brier; multinomial: the same but
** auc; an AUC that does not exist, held-out rows of one class, is null).
** Every number is written with lariat_format_double (bit-exact on reading
** back); a non-finite number is an error (JSON has no inf/nan).
*/
#ifndef LARIAT_MODEL_H
#define LARIAT_MODEL_H

#include "lariat.h"
#include "data/split.h"

#include <stdint.h>

/* Wall seconds on rank 0 ("timings_s"). */
typedef struct lariat_timings {
    double load;    /* reading and parsing */
    double prepare; /* statistics and standardization */
    double solve;   /* the fit or the path */
    double cv;      /* the folds */
    double write;   /* writing the output */
    double total;   /* the whole run */
} lariat_timings;

/* What the model file needs beyond the lariat_fit. Fields marked (out) are
** set by lariat_model_write. */
typedef struct lariat_model_info {
    int selected;                 /* path index of the top-level fields; < 0 = the last */
    char *const *feature_names;   /* p names, or NULL = "x1".."xp" */
    int standardize, fit_intercept;
    int64_t n_samples;            /* training rows */
    int ranks;                    /* <= 0 = the size of the context */
    const char *solver;           /* NULL = fit->solver_name */
    const lariat_metrics *test;   /* NULL = no "test_metrics" */
    const lariat_cv_result *cv;   /* NULL = no "cv"; else its block: nfolds, seed,
                                     select, type_measure (the measure, DEFAULT
                                     resolved for the fit's family), lambda_min,
                                     lambda_1se, alpha_min and
                                     the table of every curve (alpha in the order
                                     given, lambda decreasing) */
    lariat_timings timings;       /* load, prepare, solve, cv as measured by the caller;
                                     write and total: see measure */
    int measure;                  /* 1: timings.write (out) becomes the time spent in
                                     lariat_model_write up to the finished text, and
                                     timings.total (out) = now - t_start; 0: both are
                                     written as given */
    double t_start;               /* lariat_now() on rank 0 when the run began */
    double peak_rss_mb;           /* (out) max over ranks of the peak RSS, MiB */
} lariat_model_info;

/* Not collective. Zeroes info, with selected = -1, standardize = fit_intercept = 1. */
void lariat_model_info_default(lariat_model_info *info);

/* Collective. Every rank measures its peak RSS (the max goes to
** info->peak_rss_mb); rank 0 builds the JSON from fit (which only rank 0 needs
** to hold; other ranks may pass the same fit or NULL) and writes it to path
** atomically (src/io/atomic.h). The status is agreed on all ranks: EUSAGE for
** a bad selected index, ENUMERIC for a non-finite number (naming the key),
** EIO naming the path, ENOMEM. */
int lariat_model_write(lariat_ctx *ctx, const char *path, const lariat_fit *fit, lariat_model_info *info);

/* A model read back: what prediction needs. The top-level solution, and a
** one-lambda lariat_fit of it (fit, whose path is &sol, pointing into this
** model's arrays), so that predictions of a model read back are those of
** lariat_predict_solution on a fit: one function for both. */
typedef struct lariat_model {
    int64_t p;             /* n_features */
    double alpha, lambda;
    double intercept;      /* when nlin == 1 */
    double *coef;          /* nlin * p values, original scale (class k at coef + k p) */
    char **feature_names;  /* p names ("x1".. when the file has none) */
    int standardize, fit_intercept;
    int64_t n_samples;
    lariat_family_kind family; /* "family", default gaussian (files before section 9) */
    int nlin;              /* linear predictors: 1, or K for multinomial */
    int grouped;           /* multinomial: "multinomial": "grouped" */
    int nclass;            /* 0 for gaussian */
    double *classes;       /* nclass label values, ascending; NULL for gaussian */
    double *intercepts;    /* multinomial: K intercepts; NULL otherwise */
    lariat_solution sol;   /* the solution above (not owning its arrays) */
    lariat_fit fit;        /* a fit of that one solution (not owning) */
} lariat_model;

/* Collective. Rank 0 reads the file and broadcasts its text; every rank parses
** and checks it, so every rank returns the same model: "format" must be
** "lariat-model", "version" 1, "n_features" a positive integer, "family"
** (optional, default "gaussian") a family name; "classes" for binomial (2)
** and multinomial (K >= 2) ascending finite numbers; "multinomial"
** (optional) "ungrouped" or "grouped"; "coef" an array of n_features finite
** numbers (multinomial: an array of K such arrays), "alpha", "lambda" finite
** numbers, "intercept" a finite number (multinomial: an array of K),
** "feature_names" (optional) n_features strings, "standardize" and
** "fit_intercept" (optional, default true) booleans. Errors (agreed):
** LARIAT_EDATA naming the file and the key (also a missing file or bad JSON),
** LARIAT_ENOMEM, LARIAT_EMPI. *out is NULL on failure. */
int lariat_model_read(lariat_ctx *ctx, const char *path, lariat_model **out);

/* Not collective. NULL is a no-op. */
void lariat_model_destroy(lariat_model *model);

#endif /* LARIAT_MODEL_H */
