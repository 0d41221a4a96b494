/*
** From options to the library's structs: reading options, the data, the
** problem (with its penalty-factor file and bounds) and the solver settings.
** Shared by the commands that read data and fit models.
*/
#ifndef LARIAT_CLI_SETUP_H
#define LARIAT_CLI_SETUP_H

#include "cli/options.h"
#include "lariat.h"

#include <stdint.h>

/* Not collective. The reader's options from --format, --label, --weights,
** --header and --delimiter; n_features stays 0 (the caller may set it). */
void lc_read_options(const lc_options *o, lariat_read_options *ropt);

/* Collective. Reads --data (required) with ropt, logging the time it took
** when that is long enough to be worth saying; *seconds is the wall time.
** Errors (agreed) are the reader's: LARIAT_EDATA naming file, line, column. */
int lc_load_data(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt, lariat_data **data,
                 double *seconds);

/* The arrays a lariat_problem points to. */
typedef struct lc_problem_arrays {
    double *penalty_factor, *lower, *upper;
} lc_problem_arrays;

/* Collective. The problem of SPEC.md section 1 for p features, with alpha
** (the first of --alpha: the caller checks how many it accepts), the
** --penalty-factor file, --lower and --upper applied to every coefficient,
** --no-standardize and --no-intercept. pb points into arrays, which the
** caller frees with lc_problem_arrays_free. Errors (agreed): LARIAT_EDATA for
** a bad penalty-factor file, naming file and line; LARIAT_ENOMEM. */
int lc_problem_from_options(lariat_ctx *ctx, const lc_options *o, int64_t p, lariat_problem *pb,
                            lc_problem_arrays *arrays);
/* Not collective. */
void lc_problem_arrays_free(lc_problem_arrays *arrays);

/* Not collective. The settings from --solver, --tol, --max-iter, --rho,
** --no-adapt-rho, --nlambda, --lambda-min-ratio, --lambda and --curvature
** (st->lambda points into o), after lc_check_family_options.
** LARIAT_EUSAGE naming the option when a count does not fit an int or the
** family check fails. */
int lc_settings_from_options(lariat_ctx *ctx, const lc_options *o, lariat_settings *st);

/* Not collective. The family of --family (gaussian for commands without it). */
lariat_family_kind lc_family(const lc_options *o);

/* Not collective. The CV measure of --type-measure (DEFAULT when not given). */
lariat_measure lc_measure(const lc_options *o);

/* Not collective. The options that only some families take, checked before
** any data is read (LARIAT_EUSAGE naming the option):
** - --multinomial given with a family other than multinomial (rejected
**   rather than ignored: it says the user meant a multinomial fit);
** - --solver admm with multinomial (gram and fista serve it, SPEC.md 9);
** - --type-measure auc with a family other than binomial, and mae or class
**   where SPEC.md 9 gives them no meaning (class with gaussian);
** - --checkpoint with binomial or multinomial: their path is not
**   checkpointed, and a run that ignored the option would not stop with
**   status 4 when the scheduler asks. */
int lc_check_family_options(lariat_ctx *ctx, const lc_options *o);

/* Collective. For binomial and multinomial, checks the labels of every row
** of --data with positive weight (lariat_classes): a label that is not a
** class is LARIAT_EDATA with ONE message "FILE:LINE: label V is ..." (the
** line found by lariat_data_row_where; "FILE: /y[ROW] ..." for HDF5), at
** any rank count; an error that no one row causes (a single class) gets
** "FILE: " in front. *classes and *nclass (NULL, 0 for gaussian) are the
** classes of all rows, malloc'ed, the caller's. */
int lc_check_labels(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt, const lariat_data *data,
                    lariat_family_kind family, double **classes, int *nclass);

/* Not collective (the message is agreed). For a binomial or multinomial
** fit, a LARIAT_EDATA from the library (a class with too few rows in the
** training rows or in a fold) is about the rows of --data: its message gets
** "FILE: " in front unless it already names the file. Returns rc. Gaussian
** errors pass unchanged. */
int lc_data_error(lariat_ctx *ctx, const lc_options *o, lariat_family_kind family, int rc);

/* Collective. Rank 0 reads exactly count numbers, one per line (blank lines
** only at the end), from path and broadcasts them into out (count values on
** every rank). what names the file's role in messages ("penalty-factor").
** Errors (agreed): LARIAT_EDATA for a missing file, a field that is not a
** finite number (naming file and line), or another count of numbers. */
int lc_read_numbers(lariat_ctx *ctx, const char *path, const char *what, int64_t count, double *out);

/* Collective. The --test-fraction split (src/data/split.h) with --seed: with
** a fraction > 0, *train_w and *test_w (malloc'ed, n_local each) are the
** weights of the training and the held-out rows and the counts are set; with
** none, both stay NULL, *n_train = n and *n_test = 0. Errors are agreed. */
int lc_test_split(lariat_ctx *ctx, const lc_options *o, const lariat_data *data, double **train_w, double **test_w,
                  int64_t *n_train, int64_t *n_test);

/* Not collective. A size for people: "812.5 MB", "3.2 KB". buf of at least 32. */
const char *lc_bytes_text(double bytes, char *buf);

#endif /* LARIAT_CLI_SETUP_H */
