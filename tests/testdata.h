/*
** Synthetic data for tests, generated from (seed, global row index) so that
** every rank count sees the same global data set, split unevenly across ranks
** (rank r holds about (r+1)/sum of the rows; with n < ranks some hold none).
*/
#ifndef LARIAT_TESTDATA_H
#define LARIAT_TESTDATA_H

#include "lariat.h"

typedef struct lt_spec {
    int64_t n, p;
    uint64_t seed;
    double corr;        /* correlation between columns (a shared factor) */
    int weighted;       /* weights in (0.5, 2.5) */
    int nonzero;        /* true nonzero coefficients (0 = p / 3 + 1) */
    double noise;       /* noise standard deviation (default 0 = 1.0) */
    double scale_range; /* column scales from 1 to 10^scale_range, 0 = all 1 */
    double density;     /* fraction of nonzero entries, 0 = dense storage; < 1 = CSR */
    double offset;      /* added to every column (tests centering) */
} lt_spec;

/* Collective. Builds this rank's rows of the spec'd data set. */
lariat_data *lt_make_data(const lt_spec *spec);

/* Collective. The same rows as d (labels, weights and the numbers of X),
** with X stored as CSR (its nonzero entries). */
lariat_data *lt_sparse_copy(const lariat_data *d);

/* Collective. Every row on every rank (for reference computations on a
** single process): Xall (n x p row-major), yall, wall, each malloc'ed. */
void lt_gather_all(const lariat_data *d, double **Xall, double **yall, double **wall);

/* The uneven row range [begin, end) of rank r out of size for n rows. */
void lt_split(int64_t n, int rank, int size, int64_t *begin, int64_t *end);

/* Not collective: every rank reads tests/fixtures/<name>.json itself.
** NULL when it cannot be read or parsed. The caller deletes it. */
struct cJSON;
struct cJSON *lt_fixture_json(const char *name);

/* Not collective. The numbers of a JSON array (malloc'ed), *n of them. */
double *lt_json_numbers(const struct cJSON *a, int *n);

#endif /* LARIAT_TESTDATA_H */
