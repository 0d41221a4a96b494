/*
** The human summary that rank 0 prints on standard output after a fit
** (SPEC.md section 4): the data (n, p, ranks), the solver and why, the chosen
** alpha and lambda, nonzeros, metrics, and the time spent in load / prepare /
** solve / cv / write. For binomial and multinomial (SPEC.md section 9) also
** the family and its classes, the deviance explained by the reported
** solution, its accuracy on the training rows (and on the test rows of
** --test-fraction), and where and why the default path stopped early.
*/
#ifndef LARIAT_CLI_SUMMARY_H
#define LARIAT_CLI_SUMMARY_H

#include "data/split.h"
#include "io/model.h"
#include "lariat.h"

#include <stdint.h>

typedef struct lc_summary {
    const char *command;           /* "fit", "cv" */
    const char *data_path;
    const lariat_data *data;       /* n, p and storage */
    int64_t n_train, n_test;       /* training and held-out rows (n_test 0: no split) */
    const lariat_fit *fit;
    int selected;                  /* the reported entry of fit->path */
    double tol;                    /* for the convergence line */
    int max_iter;                  /* and its advice when a solution did not converge */
    const lariat_model_info *info; /* test metrics, timings, peak RSS (after lariat_model_write) */
    const char *out;               /* the model file written */
    const lariat_cv_result *cv;    /* cv only (NULL for fit): folds, alphas, lambda_min and lambda_1se */
    int nlambda_planned;           /* lambdas the default path would have had (where a devmax stop came) */
    const lariat_metrics *train;   /* classification: the reported model on the training rows (NULL: none) */
} lc_summary;

/* Not collective. Rank 0 prints the summary on stdout (other ranks print
** nothing); at verbose level it adds one line per lambda of the path. */
void lc_summary_print(const lariat_ctx *ctx, const lc_summary *s);

#endif /* LARIAT_CLI_SUMMARY_H */
