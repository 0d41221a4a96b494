/*
** From options to the library's structs (see setup.h).
*/
#include "cli/setup.h"
#include "data/split.h"

#include "cli/preflight.h"
#include "core/core.h"
#include "family/family.h"
#include "io/read.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reading data is worth a progress line on stderr when it takes longer than this. */
#define LC_PROGRESS_SECONDS 2.0

void lc_read_options(const lc_options *o, lariat_read_options *ropt)
{
    lariat_read_options_default(ropt);
    const char *format = lc_text(o, LC_OPT_FORMAT);
    if (format != NULL) {
        if (strcmp(format, "csv") == 0) ropt->format = LARIAT_FORMAT_CSV;
        else if (strcmp(format, "libsvm") == 0) ropt->format = LARIAT_FORMAT_LIBSVM;
        else if (strcmp(format, "hdf5") == 0) ropt->format = LARIAT_FORMAT_HDF5;
    }
    if (lc_text(o, LC_OPT_LABEL) != NULL) ropt->label = lc_text(o, LC_OPT_LABEL);
    if (lc_text(o, LC_OPT_WEIGHTS) != NULL) ropt->weights = lc_text(o, LC_OPT_WEIGHTS);
    const char *header = lc_text(o, LC_OPT_HEADER);
    if (strcmp(header, "yes") == 0) ropt->header = LARIAT_HEADER_YES;
    else if (strcmp(header, "no") == 0) ropt->header = LARIAT_HEADER_NO;
    else ropt->header = LARIAT_HEADER_AUTO;
    ropt->delimiter = lc_char(o, LC_OPT_DELIMITER);
}

int lc_load_data(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt, lariat_data **data,
                 double *seconds)
{
    *data = NULL;
    *seconds = 0.0;
    int rc = lc_require(ctx, o, LC_OPT_DATA);
    if (rc != LARIAT_OK) return rc; /* the same on every rank: options are */
    const char *path = lc_text(o, LC_OPT_DATA);
    double t0 = lariat_now();
    /* Outputs that cannot be written and data that cannot fit fail now,
    ** before the reading and the fit they would waste. */
    rc = lc_preflight(ctx, o, ropt);
    if (rc != LARIAT_OK) return rc;
    rc = lariat_data_read(ctx, path, ropt, data);
    *seconds = lariat_now() - t0;
    /* The reader says as much at --verbose; a long read is worth a line at
    ** the normal level too. */
    if (rc == LARIAT_OK && *seconds >= LC_PROGRESS_SECONDS) {
        lariat_log(ctx, LARIAT_LOG_NORMAL, "read %s: %lld rows x %lld features in %.1f s", path,
                   (long long)(*data)->n, (long long)(*data)->p, *seconds);
    }
    return rc;
}

void lc_problem_arrays_free(lc_problem_arrays *arrays)
{
    free(arrays->penalty_factor);
    free(arrays->lower);
    free(arrays->upper);
    memset(arrays, 0, sizeof(*arrays));
}

/* Not collective. A p-vector filled with value. */
static double *filled(lariat_ctx *ctx, int64_t p, double value, const char *what)
{
    double *v = lariat_malloc(ctx, (size_t)p, sizeof(double), what);
    if (v != NULL) {
        for (int64_t j = 0; j < p; j++) v[j] = value;
    }
    return v;
}

int lc_problem_from_options(lariat_ctx *ctx, const lc_options *o, int64_t p, lariat_problem *pb,
                            lc_problem_arrays *arrays)
{
    memset(arrays, 0, sizeof(*arrays));
    lariat_problem_default(pb);
    int nalpha = 0;
    pb->alpha = lc_list(o, LC_OPT_ALPHA, &nalpha)[0];
    pb->standardize = !lc_flag(o, LC_OPT_NO_STANDARDIZE);
    pb->intercept = !lc_flag(o, LC_OPT_NO_INTERCEPT);
    pb->family = lc_family(o);
    pb->grouped = pb->family == LARIAT_FAMILY_MULTINOMIAL && strcmp(lc_text(o, LC_OPT_MULTINOMIAL), "grouped") == 0;

    int rc = LARIAT_OK;
    if (lc_given(o, LC_OPT_LOWER)) {
        arrays->lower = filled(ctx, p, lc_real(o, LC_OPT_LOWER), "lower bounds");
        if (arrays->lower == NULL) rc = LARIAT_ENOMEM;
    }
    if (lc_given(o, LC_OPT_UPPER)) {
        arrays->upper = filled(ctx, p, lc_real(o, LC_OPT_UPPER), "upper bounds");
        if (arrays->upper == NULL) rc = LARIAT_ENOMEM;
    }
    const char *pf_path = lc_text(o, LC_OPT_PENALTY_FACTOR);
    if (pf_path != NULL) {
        arrays->penalty_factor = lariat_malloc(ctx, (size_t)p, sizeof(double), "penalty factors");
        if (arrays->penalty_factor == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && pf_path != NULL) {
        rc = lc_read_numbers(ctx, pf_path, "penalty-factor", p, arrays->penalty_factor);
        /* Blank lines come only at the end, so number j is on line j + 1. The
        ** check is on values every rank holds: no agreement needed. */
        int penalized = p == 0;
        for (int64_t j = 0; rc == LARIAT_OK && j < p; j++) {
            if (arrays->penalty_factor[j] < 0.0) {
                rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: penalty factor %g is negative", pf_path,
                                  (long long)(j + 1), arrays->penalty_factor[j]);
            }
            penalized |= arrays->penalty_factor[j] > 0.0;
        }
        /* The library refuses this too (prep.c), but cannot name the file. */
        if (rc == LARIAT_OK && !penalized) {
            rc = lariat_error(ctx, LARIAT_EUSAGE,
                              "%s (--penalty-factor): every penalty factor is 0: nothing is penalized, so lambda has "
                              "no effect (glmnet refuses this too); give at least one feature a positive factor",
                              pf_path);
        }
    }
    if (rc != LARIAT_OK) {
        lc_problem_arrays_free(arrays);
        return rc;
    }
    pb->penalty_factor = arrays->penalty_factor;
    pb->lower = arrays->lower;
    pb->upper = arrays->upper;
    return LARIAT_OK;
}

/* Not collective. An option's whole number as an int. */
static int as_int(lariat_ctx *ctx, const lc_options *o, int id, int *out)
{
    int64_t v = lc_int(o, id);
    if (v > INT_MAX) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s: %lld is too large (at most %d)", lc_origin(o, id), (long long)v,
                            INT_MAX);
    }
    *out = (int)v;
    return LARIAT_OK;
}

lariat_family_kind lc_family(const lc_options *o)
{
    const char *f = (lc_option_commands(LC_OPT_FAMILY) & o->command) ? lc_text(o, LC_OPT_FAMILY) : NULL;
    if (f != NULL && strcmp(f, "binomial") == 0) return LARIAT_FAMILY_BINOMIAL;
    if (f != NULL && strcmp(f, "multinomial") == 0) return LARIAT_FAMILY_MULTINOMIAL;
    return LARIAT_FAMILY_GAUSSIAN;
}

lariat_measure lc_measure(const lc_options *o)
{
    static const struct {
        const char *name;
        lariat_measure m;
    } names[] = {{"mse", LARIAT_MEASURE_MSE},
                 {"mae", LARIAT_MEASURE_MAE},
                 {"deviance", LARIAT_MEASURE_DEVIANCE},
                 {"class", LARIAT_MEASURE_CLASS},
                 {"auc", LARIAT_MEASURE_AUC}};
    const char *t = (lc_option_commands(LC_OPT_TYPE_MEASURE) & o->command) ? lc_text(o, LC_OPT_TYPE_MEASURE) : NULL;
    for (size_t k = 0; t != NULL && k < sizeof(names) / sizeof(names[0]); k++) {
        if (strcmp(t, names[k].name) == 0) return names[k].m;
    }
    return LARIAT_MEASURE_DEFAULT;
}

int lc_check_family_options(lariat_ctx *ctx, const lc_options *o)
{
    const lariat_family_kind family = lc_family(o);
    const char *name = lariat_family_name(family);
    if (family != LARIAT_FAMILY_MULTINOMIAL && lc_given(o, LC_OPT_MULTINOMIAL)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s %s applies to --family multinomial only (the family is %s)",
                            lc_origin(o, LC_OPT_MULTINOMIAL), lc_text(o, LC_OPT_MULTINOMIAL), name);
    }
    if (family == LARIAT_FAMILY_MULTINOMIAL && strcmp(lc_text(o, LC_OPT_SOLVER), "admm") == 0) {
        return lariat_error(ctx, LARIAT_EUSAGE,
                            "%s admm does not serve the multinomial family: use --solver gram or --solver fista "
                            "(or auto)", lc_origin(o, LC_OPT_SOLVER));
    }
    const lariat_measure m = lc_measure(o);
    if (m == LARIAT_MEASURE_AUC && family != LARIAT_FAMILY_BINOMIAL) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s auc needs --family binomial (the family is %s)",
                            lc_origin(o, LC_OPT_TYPE_MEASURE), name);
    }
    if (m == LARIAT_MEASURE_CLASS && family == LARIAT_FAMILY_GAUSSIAN) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s class needs --family binomial or multinomial (the family is %s)",
                            lc_origin(o, LC_OPT_TYPE_MEASURE), name);
    }
    return LARIAT_OK;
}

/* Collective. The first class with exactly one row of positive weight in
** the data (SPEC.md section 9: a class needs two), its index in *which and
** that row (global, 0-based) in *row; *which = -1 when there is none. A
** binomial row is in class 1 when y > 0 and in class 0 when y < 1 when the
** classes are 0 and 1 (proportions: a row can be in both), as the library
** counts them; otherwise in the class equal to its label. */
static int lone_class_row(lariat_ctx *ctx, const lariat_data *data, lariat_family_kind family,
                          const double *classes, int nclass, int *which, int64_t *row)
{
    *which = -1;
    if (nclass < 2) return LARIAT_OK; /* lariat_classes refused the data already */
    int64_t *cnt = lariat_calloc(ctx, 2 * (size_t)nclass, sizeof(int64_t), "class counts");
    int rc = lariat_agree(ctx, cnt != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) {
        free(cnt);
        return rc;
    }
    int64_t *first = cnt + nclass;
    const int int01 = family == LARIAT_FAMILY_BINOMIAL && classes[0] == 0.0 && classes[1] == 1.0;
    for (int k = 0; k < nclass; k++) first[k] = -INT64_MAX; /* max of -row: the smallest row */
    for (int64_t i = 0; i < data->n_local; i++) {
        if (!(data->w[i] > 0.0)) continue;
        const double y = data->y[i];
        for (int k = 0; k < nclass; k++) {
            const int in = int01 ? (k == 1 ? y > 0.0 : y < 1.0) : y == classes[k];
            if (!in) continue;
            if (cnt[k]++ == 0) first[k] = -(data->row0 + i);
        }
    }
    if (MPI_Allreduce(MPI_IN_PLACE, cnt, nclass, MPI_INT64_T, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, first, nclass, MPI_INT64_T, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the class counts failed");
    }
    for (int k = 0; rc == LARIAT_OK && *which < 0 && k < nclass; k++) {
        if (cnt[k] == 1) {
            *which = k;
            *row = -first[k];
        }
    }
    free(cnt);
    return rc;
}

int lc_check_labels(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt, const lariat_data *data,
                    lariat_family_kind family, double **classes, int *nclass)
{
    const char *path = lc_text(o, LC_OPT_DATA);
    int64_t bad = -1;
    int rc = lariat_classes(ctx, data, NULL, family, classes, nclass, &bad);
    if (rc == LARIAT_OK && family != LARIAT_FAMILY_GAUSSIAN) {
        /* The library refuses such a class too (glm.c), but it cannot name
        ** the row's line: the file is scanned again, on this error path only. */
        int which = -1;
        int64_t row = -1;
        rc = lone_class_row(ctx, data, family, *classes, *nclass, &which, &row);
        if (rc == LARIAT_OK && which >= 0) {
            char where[1024];
            rc = lariat_data_row_where(ctx, path, ropt, row, where, sizeof(where));
            if (rc == LARIAT_OK) {
                rc = lariat_error(ctx, LARIAT_EDATA, "%s: class %.17g has 1 row of positive weight; a class needs two",
                                  where, (*classes)[which]);
            }
        }
        if (rc != LARIAT_OK) {
            free(*classes);
            *classes = NULL;
            *nclass = 0;
        }
        return rc;
    }
    if (rc != LARIAT_EDATA) return rc;
    /* The library names the row ("row R: label V is ..."), which the data
    ** layer cannot turn into a line: the file is scanned again, on this
    ** error path only, for the line of that row. bad is the same on every
    ** rank (the library agreed on it), and so is the message. */
    char msg[1024], where[1024];
    snprintf(msg, sizeof(msg), "%s", lariat_errmsg(ctx));
    const char *text = msg;
    if (bad >= 0) {
        char prefix[64];
        int len = snprintf(prefix, sizeof(prefix), "row %lld: ", (long long)bad);
        if (strncmp(msg, prefix, (size_t)len) == 0) text = msg + len;
        rc = lariat_data_row_where(ctx, path, ropt, bad, where, sizeof(where));
        if (rc != LARIAT_OK) return rc;
    } else {
        snprintf(where, sizeof(where), "%s", path);
    }
    return lariat_error(ctx, LARIAT_EDATA, "%s: %s", where, text);
}

int lc_data_error(lariat_ctx *ctx, const lc_options *o, lariat_family_kind family, int rc)
{
    const char *path = lc_text(o, LC_OPT_DATA);
    if (rc != LARIAT_EDATA || family == LARIAT_FAMILY_GAUSSIAN || path == NULL) return rc;
    const char *msg = lariat_errmsg(ctx);
    if (strncmp(msg, path, strlen(path)) == 0) return rc;
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", msg);
    /* A class's rows are counted among the rows fit on: with a test split,
    ** the file holds more of them than the message's count. */
    const double fraction = lc_real(o, LC_OPT_TEST_FRACTION);
    if (fraction > 0.0 && strncmp(copy, "class ", 6) == 0) {
        return lariat_error(ctx, rc, "%s: %s (counted in the training rows: %s %g holds the others out)", path, copy,
                            lc_origin(o, LC_OPT_TEST_FRACTION), fraction);
    }
    return lariat_error(ctx, rc, "%s: %s", path, copy);
}

int lc_settings_from_options(lariat_ctx *ctx, const lc_options *o, lariat_settings *st)
{
    lariat_settings_default(st);
    const char *curvature = lc_text(o, LC_OPT_CURVATURE);
    if (strcmp(curvature, "exact") == 0) st->curvature = LARIAT_CURVATURE_EXACT;
    else if (strcmp(curvature, "bound") == 0) st->curvature = LARIAT_CURVATURE_BOUND;
    else st->curvature = LARIAT_CURVATURE_AUTO;
    const char *solver = lc_text(o, LC_OPT_SOLVER);
    if (strcmp(solver, "gram") == 0) st->solver = LARIAT_SOLVER_GRAM;
    else if (strcmp(solver, "admm") == 0) st->solver = LARIAT_SOLVER_ADMM;
    else if (strcmp(solver, "fista") == 0) st->solver = LARIAT_SOLVER_FISTA;
    else st->solver = LARIAT_SOLVER_AUTO;
    st->tol = lc_real(o, LC_OPT_TOL);
    st->rho = lc_real(o, LC_OPT_RHO); /* 0 for auto */
    st->adapt_rho = !lc_flag(o, LC_OPT_NO_ADAPT_RHO);
    st->distributed_gram = lc_flag(o, LC_OPT_DISTRIBUTED_GRAM);
    if (lc_given(o, LC_OPT_MAX_MEMORY)) st->max_memory = (double)lc_int(o, LC_OPT_MAX_MEMORY);
    if (lc_given(o, LC_OPT_LAMBDA_MIN_RATIO)) st->lambda_min_ratio = lc_real(o, LC_OPT_LAMBDA_MIN_RATIO);
    if (lc_given(o, LC_OPT_LAMBDA)) st->lambda = lc_list(o, LC_OPT_LAMBDA, &st->n_lambda_given);
    int rc = lc_check_family_options(ctx, o);
    if (rc == LARIAT_OK) rc = as_int(ctx, o, LC_OPT_MAX_ITER, &st->max_iter);
    if (rc == LARIAT_OK) rc = as_int(ctx, o, LC_OPT_NLAMBDA, &st->nlambda);
    return rc;
}

/* Rank 0: the numbers of the file (see lc_read_numbers). */
static int read_numbers_local(lariat_ctx *ctx, const char *path, const char *what, int64_t count, double *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) return lariat_error(ctx, LARIAT_EDATA, "cannot open %s file %s: %s", what, path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long long lineno = 0, blank = 0;
    int64_t got = 0;
    int rc = LARIAT_OK;
    while (rc == LARIAT_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        size_t len = strlen(s);
        while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL) s[--len] = '\0';
        if (len == 0) {
            if (blank == 0) blank = lineno;
            continue;
        }
        char *end = NULL;
        double v = strtod(s, &end);
        if (blank != 0) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: blank line in the %s file (one number per line)", path,
                              blank, what);
        } else if (got >= count) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: more than the %lld numbers expected in the %s file", path,
                              lineno, (long long)count, what);
        } else if (end == s || *end != '\0' || !isfinite(v)) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: '%s' is not a finite number", path, lineno, s);
        } else {
            out[got++] = v;
        }
    }
    if (rc == LARIAT_OK && ferror(f)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "cannot read %s file %s: %s", what, path, strerror(errno));
    }
    if (rc == LARIAT_OK && got < count) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: the %s file has %lld numbers; %lld are needed (one per line)", path,
                          what, (long long)got, (long long)count);
    }
    free(line);
    fclose(f);
    return rc;
}

int lc_read_numbers(lariat_ctx *ctx, const char *path, const char *what, int64_t count, double *out)
{
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) rc = read_numbers_local(ctx, path, what, count, out);
    rc = lariat_agree(ctx, rc);
    /* MPI counts are int: long vectors go in chunks. */
    const int64_t chunk = (int64_t)1 << 28;
    for (int64_t off = 0; rc == LARIAT_OK && off < count; off += chunk) {
        int len = (int)(count - off < chunk ? count - off : chunk);
        if (MPI_Bcast(out + off, len, MPI_DOUBLE, 0, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the %s file failed", what);
        }
    }
    return rc;
}

const char *lc_bytes_text(double bytes, char *buf)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) bytes /= 1024.0, u++;
    snprintf(buf, 32, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

int lc_test_split(lariat_ctx *ctx, const lc_options *o, const lariat_data *data, double **train_w, double **test_w,
                  int64_t *n_train, int64_t *n_test)
{
    const double fraction = lc_real(o, LC_OPT_TEST_FRACTION);
    *train_w = *test_w = NULL;
    *n_train = data->n;
    *n_test = 0;
    if (!(fraction > 0.0)) return LARIAT_OK;
    *train_w = lariat_malloc(ctx, (size_t)data->n_local, sizeof(double), "training weights");
    *test_w = lariat_malloc(ctx, (size_t)data->n_local, sizeof(double), "test weights");
    int rc = lariat_agree(ctx, *train_w == NULL || *test_w == NULL ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc == LARIAT_OK) {
        rc = lariat_split_weights(ctx, data, (uint64_t)lc_int(o, LC_OPT_SEED), fraction, *train_w, *test_w, n_test,
                                  n_train);
    }
    return rc;
}
