/*
** The file readers: CSV and LIBSVM content read at the running rank count
** against the known content, exact number parsing, the tiling of byte
** ranges, and one agreed message naming file, line and field for each kind
** of bad input.
*/
#include "core/rng.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "harness.h"
#include "io/byterange.h"
#include "io/numparse.h"
#include "io/numparse_fast.h"
#include "io/read.h"
#include "testdata.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* Collective. Writes text to a fresh file `name` in the test folder and reads it. */
static int write_and_read(const char *name, const char *text, const lariat_read_options *opt, lariat_data **d,
                          char *path, size_t path_size)
{
    snprintf(path, path_size, "%s", lt_path(name));
    lt_write_file(path, text);
    return lariat_data_read(lt_ctx(), path, opt, d);
}

/* Collective. 1 on every rank when d holds exactly rows 0..n-1 of (X, y, w)
** (n x p row-major; w NULL = all 1) in file order: bit for bit on each rank's
** own rows (so the sign of -0.0 counts), the ranks' blocks tiling [0, n) in
** rank order, and the same through lt_gather_all. */
static int content_ok(const lariat_data *d, int64_t n, int64_t p, const double *X, const double *y,
                      const double *w)
{
    int ok = (d != NULL && d->n == n && d->p == p && d->n_local >= 0 && d->row0 >= 0 && d->row0 + d->n_local <= n &&
              d->X != NULL && lariat_matrix_rows(d->X) == d->n_local && lariat_matrix_cols(d->X) == p);
    if (ok) {
        double *row = malloc((size_t)p * sizeof(double));
        for (int64_t i = 0; i < d->n_local && ok; i++) {
            int64_t g = d->row0 + i;
            double wi = w != NULL ? w[g] : 1.0;
            lariat_matrix_get_row(d->X, i, row);
            ok = memcmp(row, X + g * p, (size_t)p * sizeof(double)) == 0 && memcmp(&d->y[i], &y[g], sizeof(double)) == 0 &&
                 memcmp(&d->w[i], &wi, sizeof(double)) == 0;
        }
        free(row);
        ok = ok && d->has_weights == (w != NULL);
    }
    /* The blocks tile the rows in rank order. */
    long long mine[2] = {ok ? (long long)d->row0 : -1, ok ? (long long)d->n_local : -1};
    long long *all = malloc(2 * (size_t)lt_size() * sizeof(long long));
    MPI_Allgather(mine, 2, MPI_LONG_LONG, all, 2, MPI_LONG_LONG, lt_comm());
    long long next = 0;
    for (int r = 0; r < lt_size(); r++) {
        if (all[2 * r] != next) ok = 0;
        next += all[2 * r + 1];
    }
    ok = ok && next == n;
    free(all);
    if (!lt_all(ok)) return 0;

    /* The same content gathered on every rank. */
    double *Xa, *ya, *wa;
    lt_gather_all(d, &Xa, &ya, &wa);
    for (int64_t k = 0; k < n * p && ok; k++) ok = (Xa[k] == X[k]);
    for (int64_t i = 0; i < n && ok; i++) ok = (ya[i] == y[i] && wa[i] == (w != NULL ? w[i] : 1.0));
    free(Xa);
    free(ya);
    free(wa);
    return lt_all(ok);
}

/* Collective. 1 on every rank when the read failed with status `want`, *out
** stayed NULL, and the message holds each of the given substrings. */
static int failed_with(int rc, const lariat_data *d, int want, const char *s1, const char *s2)
{
    const char *msg = lariat_errmsg(lt_ctx());
    int ok = rc == want && d == NULL && (s1 == NULL || strstr(msg, s1) != NULL) &&
             (s2 == NULL || strstr(msg, s2) != NULL);
    if (!ok) fprintf(stderr, "rank %d: status %d, message \"%s\"; wanted %d with \"%s\", \"%s\"\n", lt_rank(), rc, msg,
                     want, s1, s2 ? s2 : "");
    return lt_all(ok);
}

/* Collective. Reads text as CSV file `name` and checks that it fails with
** LARIAT_EDATA and a message holding "name:where" and what. */
static int csv_fails(const char *name, const char *text, const lariat_read_options *opt, const char *where,
                     const char *what)
{
    char path[512], loc[600];
    lariat_data *d = NULL;
    int rc = write_and_read(name, text, opt, &d, path, sizeof(path));
    snprintf(loc, sizeof(loc), "%s%s", path, where);
    int ok = failed_with(rc, d, LARIAT_EDATA, loc, what);
    lariat_data_destroy(d);
    return ok;
}

/* ---- CSV content ---- */

static void test_csv_header_modes(void)
{
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    char path[512];
    lariat_data *d = NULL;
    const double X[] = {2, 3, 5, 6}, y[] = {1, 4};

    /* auto with names: a header. */
    int rc = write_and_read("h1.csv", "y,a,b\n1,2,3\n4,5,6\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 2, 2, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[0], "a") == 0 && strcmp(d->feature_names[1], "b") == 0);
    lariat_data_destroy(d);

    /* auto with numbers only: no header, names x1..xp. */
    rc = write_and_read("h2.csv", "1,2,3\n4,5,6\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 2, 2, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[1], "x2") == 0);
    lariat_data_destroy(d);

    /* yes: the numeric first line is a header. */
    opt.header = LARIAT_HEADER_YES;
    rc = write_and_read("h3.csv", "1,2,3\n4,5,6\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 1, 2, X + 2, y + 1, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[0], "2") == 0);
    lariat_data_destroy(d);

    /* no: names are data, and not numbers. */
    opt.header = LARIAT_HEADER_NO;
    LT_ASSERT_ALL(csv_fails("h4.csv", "y,a,b\n1,2,3\n", &opt, ":1:1:", "not a number: 'y'"));

    /* Quoted names (as R's write.csv writes them), a delimiter inside quotes,
    ** and blank lines before the header, in the middle and at the end. */
    opt.header = LARIAT_HEADER_AUTO;
    rc = write_and_read("h5.csv", "\n\r\n\"y\",\"x 1\",\"x,\"\"2\"\"\"\n1,2,3\n\n4,5,6\n\n\n", &opt, &d, path,
                        sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 2, 2, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[0], "x 1") == 0 && strcmp(d->feature_names[1], "x,\"2\"") == 0);
    lariat_data_destroy(d);
}

static void test_csv_label_and_weights(void)
{
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    char path[512];
    lariat_data *d = NULL;
    const char *text = "a,w,y,b\n1,0.5,10,2\n3,2,20,4\n5,0,30,6\n";
    const double X[] = {1, 2, 3, 4, 5, 6}, y[] = {10, 20, 30}, w[] = {0.5, 2, 0};

    /* By name, the label in the middle and a weights column. */
    opt.label = "y";
    opt.weights = "w";
    int rc = write_and_read("l1.csv", text, &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, w));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[0], "a") == 0 && strcmp(d->feature_names[1], "b") == 0);
    lariat_data_destroy(d);

    /* By 0-based index. */
    opt.label = "2";
    opt.weights = "1";
    rc = write_and_read("l2.csv", text, &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, w));
    lariat_data_destroy(d);

    /* The last column as label, no weights: w becomes a feature. */
    opt.label = "3";
    opt.weights = NULL;
    const double X2[] = {1, 0.5, 10, 3, 2, 20, 5, 0, 30}, y2[] = {2, 4, 6};
    rc = write_and_read("l3.csv", text, &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 3, X2, y2, NULL));
    lariat_data_destroy(d);
}

static void test_csv_delimiter_crlf_final_newline(void)
{
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    char path[512];
    lariat_data *d = NULL;
    const double X[] = {2, 3, 5, 6, -1.5, 1e-3}, y[] = {1, 4, 7};

    opt.delimiter = ';';
    int rc = write_and_read("d1.csv", "y;a;b\n1;2;3\n4; 5 ;6\n7;-1.5;1e-3\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);

    opt.delimiter = ',';
    rc = write_and_read("d2.csv", "y,a,b\r\n1,2,3\r\n4,5,6\r\n7,-1.5,1e-3\r\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[1], "b") == 0);
    lariat_data_destroy(d);

    rc = write_and_read("d3.csv", "1,2,3\n4,5,6\n7,-1.5,1e-3", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);

    rc = write_and_read("d4.csv", "1,2,3\r\n4,5,6\r\n7,-1.5,1e-3\r", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);

    /* A UTF-8 byte order mark, before numbers and before a header. */
    rc = write_and_read("d6.csv", "\xEF\xBB\xBF" "1,2,3\n4,5,6\n7,-1.5,1e-3\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);
    opt.label = "y";
    rc = write_and_read("d7.csv", "\xEF\xBB\xBF" "a,y,b\n2,1,3\n5,4,6\n-1.5,7,1e-3\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && strcmp(d->feature_names[0], "a") == 0);
    lariat_data_destroy(d);
    opt.label = NULL;

    /* Tab-separated. */
    opt.delimiter = '\t';
    rc = write_and_read("d5.txt", "1\t2\t3\n4\t5\t6\n7\t-1.5\t1e-3\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);
}

/* Fewer rows than ranks, and rows of very different lengths: a 200 kB
** first row (leading zeros) puts the nominal starts of the other ranks
** inside it, so most ranks hold no row or only the short rows after it. */
static void test_csv_uneven_ranges(void)
{
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    char path[512];
    lariat_data *d = NULL;
    const double X[] = {2, 3, 5, 6, 8, 9}, y[] = {1, 4, 7};

    int rc = write_and_read("u1.csv", "1,2,3\n4,5,6\n7,8,9\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);

    size_t pad = 200000;
    char *text = malloc(2 * pad + 100);
    char *t = text;
    t += sprintf(t, "1,");
    memset(t, '0', pad);
    t += pad;
    t += sprintf(t, "2,3\n4,5,6\n7,");
    memset(t, '0', pad / 10);
    t += pad / 10;
    sprintf(t, "8.0,9\n");
    rc = write_and_read("u2.csv", text, &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 3, 2, X, y, NULL));
    lariat_data_destroy(d);
    free(text);
}

/* One double of a varied set: random bit patterns (any exponent), random
** subnormals, and fixed hard cases. */
static double tricky_double(uint64_t i)
{
    static const double fixed[] = {-0.0, 0.0, 1e-300, -1e300, DBL_MIN, DBL_TRUE_MIN, DBL_MAX, -DBL_MAX, 0.1,
                                   1.0 / 3.0, 9007199254740993.0, 2.2250738585072009e-308, 4.9406564584124654e-324,
                                   1e22, 1e23, 123456789012345678.0, 5e-324};
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    if (i < nfixed) return fixed[i];
    uint64_t bits = lariat_hash(77, LARIAT_STREAM_GEN_X, i, 0);
    if (i % 5 == 0) bits &= 0x800fffffffffffffULL; /* subnormal */
    double v;
    memcpy(&v, &bits, sizeof(v));
    return isfinite(v) ? v : (double)i;
}

static void test_csv_exact_round_trip(void)
{
    const int64_t n = 301, p = 6;
    double *X = malloc((size_t)(n * p) * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    char *text = malloc((size_t)(n * (p + 1) * 32 + 1));
    char *t = text;
    for (int64_t i = 0; i < n; i++) {
        y[i] = tricky_double((uint64_t)(i * (p + 1)));
        t += sprintf(t, "%.17g", y[i]);
        for (int64_t j = 0; j < p; j++) {
            X[i * p + j] = tricky_double((uint64_t)(i * (p + 1) + j + 1));
            t += sprintf(t, ",%.17g", X[i * p + j]);
        }
        *t++ = '\n';
    }
    *t = '\0';
    char path[512];
    lariat_data *d = NULL;
    int rc = write_and_read("r1.csv", text, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, n, p, X, y, NULL));
    lariat_data_destroy(d);
    free(X);
    free(y);
    free(text);
}

/* ---- LIBSVM ---- */

static void test_libsvm_content(void)
{
    const char *text = "# a comment line\n"
                       "1.5 1:2 3:-4e-2\n"
                       "-1 qid:3 2:1e300 # trailing comment\n"
                       "+2\n"
                       "\n"
                       "0 1:5 2:6 5:0.25\r\n"
                       "3 4:7";
    const double X[] = {2, 0, -4e-2, 0, 0, 0, 1e300, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 0, 0, 0.25, 0, 0, 0, 7, 0},
                 y[] = {1.5, -1, 2, 0, 3};
    char path[512];
    lariat_data *d = NULL;
    int rc = write_and_read("s1.svm", text, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 5, 5, X, y, NULL));
    LT_ASSERT_ALL(d != NULL && lariat_matrix_is_sparse(d->X));
    long long nnz = d != NULL ? (long long)lariat_matrix_nnz(d->X) : -1;
    MPI_Allreduce(MPI_IN_PLACE, &nnz, 1, MPI_LONG_LONG, MPI_SUM, lt_comm());
    LT_ASSERT_ALL(nnz == 7);
    lariat_data_destroy(d);

    /* More features than the largest index, as given. */
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    opt.n_features = 7;
    double X7[5 * 7] = {0};
    for (int i = 0; i < 5; i++) memcpy(X7 + i * 7, X + i * 5, 5 * sizeof(double));
    rc = write_and_read("s2.libsvm", text, &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 5, 7, X7, y, NULL));
    lariat_data_destroy(d);

    opt.n_features = 4;
    lariat_data *bad = NULL;
    rc = lariat_data_read(lt_ctx(), path, &opt, &bad);
    LT_ASSERT_ALL(failed_with(rc, bad, LARIAT_EDATA, ":6:4:", "above the number of features (4)"));
}

/* Rows of very different lengths (the first nlong long, the rest one
** entry), split by bytes and moved onto tile boundaries
** (lariat_data_shift_to_tiles: tiles of 64 rows here, each block from the
** boundary nearest its start): in order and whole, every block on tile
** boundaries, CSR and the same rows as CSV. */
static void check_shift(int64_t nlong)
{
    const int64_t n = 1000, p = 6;
    double *X = calloc((size_t)(n * p), sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    char *svm = malloc((size_t)n * 200), *csv = malloc((size_t)n * 200), *a = svm, *b = csv;
    for (int64_t i = 0; i < n; i++) {
        y[i] = (double)(i % 3);
        a += sprintf(a, "%g", y[i]);
        b += sprintf(b, "%g", y[i]);
        for (int64_t j = 0; j < p; j++) {
            if (i < nlong || j == i % p) X[i * p + j] = (double)((i * 7 + j * 3) % 11) - 5.25;
            if (X[i * p + j] != 0.0) a += sprintf(a, " %lld:%.17g", (long long)(j + 1), X[i * p + j]);
            b += sprintf(b, ",%.17g", X[i * p + j]);
        }
        *a++ = '\n';
        *b++ = '\n';
    }
    *a = *b = '\0';
    char path[512];
    lariat_data *d = NULL;
    int rc = write_and_read("shift.svm", svm, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, n, p, X, y, NULL));
    LT_ASSERT_ALL(rc == LARIAT_OK && lariat_matrix_is_sparse(d->X) && lariat_tiles_local_aligned(d));
    lariat_data_destroy(d);
    rc = write_and_read("shift.csv", csv, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, n, p, X, y, NULL));
    LT_ASSERT_ALL(rc == LARIAT_OK && lariat_tiles_local_aligned(d));
    lariat_data_destroy(d);
    free(X);
    free(y);
    free(svm);
    free(csv);
}

/* Four places of the long rows' end: the byte split then falls before and
** after the nearest boundaries, and rows travel both ways at 2 to 4 ranks. */
static void test_shift_both_ways(void)
{
    for (int64_t nlong = 450; nlong <= 720; nlong += 90) check_shift(nlong);
}

static void test_libsvm_errors(void)
{
    const struct {
        const char *text, *where, *what;
    } cases[] = {
        {"1 1:2\n2 0:1\n", ":2:2:", "index 0"},
        {"1 1:2\n2 1:1 3:1\n3 1:1 4:1 2:5\n", ":3:4:", "indices must increase"},
        {"1 1:2\n2 2:1 2:1\n", ":2:3:", "indices must increase"},
        {"1 1:2\n2 x:1\n", ":2:2:", "not a positive integer"},
        {"1 1:2\n2 -3:1\n", ":2:2:", "not a positive integer"},
        {"1 1:2\n2 1:abc\n", ":2:2:", "not a number"},
        {"1 1:2\n2 1:nan\n", ":2:2:", "NaN"},
        {"1 1:2\n2 1\n", ":2:2:", "expected index:value"},
        {"1 1:2\nyes 1:1\n", ":2:1:", "label: not a number"},
        {"1 1:2\n1e999 1:1\n", ":2:1:", "too large"},
        {"1\n2\n", "", "no features"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char name[32], path[512], loc[600];
        snprintf(name, sizeof(name), "se%zu.svm", k);
        lariat_data *d = NULL;
        int rc = write_and_read(name, cases[k].text, NULL, &d, path, sizeof(path));
        snprintf(loc, sizeof(loc), "%s%s", path, cases[k].where);
        LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, loc, cases[k].what));
        lariat_data_destroy(d);
    }
}

/* ---- CSV errors ---- */

static void test_csv_errors(void)
{
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    LT_ASSERT_ALL(csv_fails("e1.csv", "1,2,3\n4,5\n", &opt, ":2:3:", "expected 3 fields, found 2"));
    LT_ASSERT_ALL(csv_fails("e2.csv", "1,2\n3,4,5\n", &opt, ":2:3:", "expected 2 fields, found 3"));
    LT_ASSERT_ALL(csv_fails("e3.csv", "1,2\n3,abc\n", &opt, ":2:2:", "not a number: 'abc'"));
    LT_ASSERT_ALL(csv_fails("e4.csv", "1,2\n3,NaN\n", &opt, ":2:2:", "NaN or infinity"));
    LT_ASSERT_ALL(csv_fails("e5.csv", "1,2\n-inf,4\n", &opt, ":2:1:", "NaN or infinity"));
    LT_ASSERT_ALL(csv_fails("e6.csv", "1,2\n3,1e999\n", &opt, ":2:2:", "too large"));
    LT_ASSERT_ALL(csv_fails("e7.csv", "1,2,3\n4,,6\n", &opt, ":2:2:", "empty field"));
    LT_ASSERT_ALL(csv_fails("e8.csv", "1,2\n3,4x\n", &opt, ":2:2:", "'4x'"));
    LT_ASSERT_ALL(csv_fails("e9.csv", "", &opt, ":", "no data rows"));
    LT_ASSERT_ALL(csv_fails("e10.csv", "\n\r\n\n", &opt, ":", "no data rows"));
    LT_ASSERT_ALL(csv_fails("e11.csv", "y,a,b\n", &opt, ":", "no data rows"));
    LT_ASSERT_ALL(csv_fails("e12.csv", "y\n1\n", &opt, ":1:", "no feature columns"));

    opt.label = "target";
    LT_ASSERT_ALL(csv_fails("e13.csv", "y,a\n1,2\n", &opt, ":1:", "no column named 'target'"));
    opt.label = "5";
    LT_ASSERT_ALL(csv_fails("e14.csv", "y,a\n1,2\n", &opt, ":1:", "out of range"));
    opt.label = "y";
    LT_ASSERT_ALL(csv_fails("e15.csv", "1,2\n3,4\n", &opt, ":1:", "no header"));
    opt.label = NULL;
    opt.weights = "w";
    LT_ASSERT_ALL(csv_fails("e16.csv", "y,w,a\n1,1,2\n3,-1,4\n", &opt, ":3:2:", "negative weight"));
    LT_ASSERT_ALL(csv_fails("e17.csv", "y,w,a\n1,0,2\n3,0,4\n", &opt, "", "weights are all zero"));
    LT_ASSERT_ALL(csv_fails("e18.csv", "y,a\n1,2\n", &opt, ":1:", "no column named 'w'"));
}

/* Errors on different ranks: line numbers are global and the first error in
** the file wins, whichever rank found it. */
static void test_csv_error_order(void)
{
    const int n = 400;
    char *text = malloc((size_t)n * 32);
    char *t = text;
    for (int i = 1; i <= n; i++) {
        if (i == 123) t += sprintf(t, "%d,oops\n", i);
        else if (i == 321) t += sprintf(t, "%d\n", i);
        else t += sprintf(t, "%d,%d.5\n", i, i);
    }
    LT_ASSERT_ALL(csv_fails("o1.csv", text, NULL, ":123:2:", "not a number: 'oops'"));
    free(text);

    t = text = malloc((size_t)n * 32);
    for (int i = 1; i <= n; i++) t += sprintf(t, i == 321 ? "%d\n" : "%d,1\n", i);
    LT_ASSERT_ALL(csv_fails("o2.csv", text, NULL, ":321:2:", "expected 2 fields, found 1"));
    free(text);
}

static void test_read_usage_errors(void)
{
    lariat_data *d = NULL;
    char missing[512];
    snprintf(missing, sizeof(missing), "%s", lt_path("no-such-file.csv"));
    int rc = lariat_data_read(lt_ctx(), missing, NULL, &d);
    LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, missing, "cannot open"));

    snprintf(missing, sizeof(missing), "%s", lt_path("no-such-file.h5"));
    rc = lariat_data_read(lt_ctx(), missing, NULL, &d);
    LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, missing, "cannot open"));
    rc = lariat_data_read(lt_ctx(), "data.parquet", NULL, &d);
    LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EUSAGE, "--format", NULL));

    lariat_read_options opt;
    lariat_read_options_default(&opt);
    opt.delimiter = '.';
    rc = lariat_data_read(lt_ctx(), "data.csv", &opt, &d);
    LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EUSAGE, "delimiter", NULL));
    lariat_read_options_default(&opt);
    opt.label = "1";
    opt.weights = "1";
    char path[512];
    rc = write_and_read("x1.csv", "1,2,3\n", &opt, &d, path, sizeof(path));
    LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EUSAGE, "same column", NULL));

    /* An explicit format overrides the extension. */
    lariat_read_options_default(&opt);
    opt.format = LARIAT_FORMAT_LIBSVM;
    rc = write_and_read("x2.dat", "1 2:3\n", &opt, &d, path, sizeof(path));
    const double X[] = {0, 3}, y[] = {1};
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, 1, 2, X, y, NULL));
    lariat_data_destroy(d);
}

/* ---- the pieces ---- */

/* Every split of a file into parts, with tiny and default chunks, returns
** each line once, in order, whatever the line lengths. */
static void test_byterange_tiling(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s", lt_path("lines.txt"));
    char text[4096], *t = text;
    int nlines = 0;
    for (int i = 0; i < 40; i++, nlines++) {
        int len = (i * 37) % 23 + (i == 7 ? 900 : 0);
        if (i % 9 == 4) len = 0; /* blank lines */
        else t += sprintf(t, "%d:", i);
        for (int k = 0; k < len; k++) *t++ = (char)('a' + k % 26);
        t += sprintf(t, i % 3 == 0 ? "\r\n" : "\n");
    }
    t += sprintf(t, "last");
    nlines++;
    lt_write_file(path, text);

    int ok = 1;
    const size_t chunks[] = {1, 2, 7, 64, 0};
    for (int parts = 1; parts <= 9 && ok; parts++) {
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]) && ok; c++) {
            const char *expect = text;
            int64_t total = 0, prev_end = 0;
            for (int part = 0; part < parts && ok; part++) {
                lariat_byterange *br = NULL;
                ok = lariat_byterange_open(lt_ctx(), path, part, parts, chunks[c], &br) == LARIAT_OK;
                /* It starts at the first line start at or after its nominal first byte. */
                int64_t size = (int64_t)strlen(text), a = (int64_t)part * size / parts, start = a;
                while (start > 0 && start < size && text[start - 1] != '\n') start++;
                ok = ok && lariat_byterange_begin(br) == prev_end && lariat_byterange_begin(br) == start;
                for (;;) {
                    const char *line;
                    size_t len;
                    int64_t off;
                    if (!ok || lariat_byterange_next(lt_ctx(), br, &line, &len, &off) != LARIAT_OK || line == NULL) break;
                    size_t elen = strcspn(expect, "\r\n");
                    ok = off == expect - text && len == elen && memcmp(line, expect, len) == 0;
                    expect += elen;
                    if (*expect == '\r') expect++;
                    if (*expect == '\n') expect++;
                }
                if (br != NULL) {
                    total += lariat_byterange_lines(br);
                    prev_end = lariat_byterange_end(br);
                }
                lariat_byterange_close(br);
            }
            ok = ok && total == nlines && *expect == '\0' && prev_end == (int64_t)strlen(text);
        }
    }
    LT_ASSERT_ALL(ok);
}

/* lariat_byterange_estimate with lines longer than a fifth of the MiB it
** counts: 20 lines of 300,000 bytes, of which the MiB holds 3 and part of a
** fourth. Counting the 3 against the whole MiB gave 17 (the CSV reader then
** sized its rows short and moved them all to grow); at the rate of the bytes
** through the third, the estimate is the 20 the file has. A part that is
** all in the buffer is counted exactly. */
static void test_byterange_estimate_long_lines(void)
{
    enum { NLINES = 20, LEN = 300000 };
    char path[512];
    snprintf(path, sizeof(path), "%s", lt_path("long_lines.txt"));
    char *text = malloc((size_t)NLINES * LEN + 1);
    LT_ASSERT_ALL(text != NULL);
    if (text == NULL) return;
    for (int i = 0; i < NLINES; i++) {
        memset(text + (size_t)i * LEN, 'a' + i % 26, LEN - 1);
        text[(size_t)i * LEN + LEN - 1] = '\n';
    }
    text[(size_t)NLINES * LEN] = '\0';
    lt_write_file(path, text);
    free(text);

    int ok = 1;
    const size_t chunks[] = {0, (size_t)8 << 20};
    for (int c = 0; c < 2 && ok; c++) {
        lariat_byterange *br = NULL;
        const char *line = NULL;
        size_t len = 0;
        ok = lariat_byterange_open(lt_ctx(), path, 0, 1, chunks[c], &br) == LARIAT_OK &&
             lariat_byterange_next(lt_ctx(), br, &line, &len, NULL) == LARIAT_OK && line != NULL &&
             len == LEN - 1 && lariat_byterange_estimate(br, '\n') == NLINES;
        lariat_byterange_close(br);
    }
    LT_ASSERT_ALL(ok);
}

/* lariat_data_row_where: the line of a data row as the readers count rows
** (a CSV header, blank lines, LIBSVM comment-only lines skipped), the same on
** every rank; HDF5 names /y[ROW]; a row the file does not have falls back to
** the row number. */
static void test_row_where(void)
{
    lariat_ctx *ctx = lt_ctx();
    char path[512], where[1024], want[1100];
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    snprintf(path, sizeof(path), "%s", lt_path("where.csv"));
    lt_write_file(path, "\ny,a,b\n1,2,3\n\n\n4,5,6\r\n7,8,9\n\n10,11,12");
    static const int64_t csv_lines[] = {3, 6, 7, 9};
    for (int64_t r = 0; r < 4; r++) {
        int rc = lariat_data_row_where(ctx, path, &opt, r, where, sizeof(where));
        snprintf(want, sizeof(want), "%s:%lld", path, (long long)csv_lines[r]);
        LT_ASSERT_ALL(rc == LARIAT_OK && strcmp(where, want) == 0);
    }
    /* Without a header (forced), the first non-blank line is row 0. */
    opt.header = LARIAT_HEADER_NO;
    snprintf(path, sizeof(path), "%s", lt_path("where_nohead.csv"));
    lt_write_file(path, "\n1,2\n3,4\n");
    int rc = lariat_data_row_where(ctx, path, &opt, 1, where, sizeof(where));
    snprintf(want, sizeof(want), "%s:3", path);
    LT_ASSERT_ALL(rc == LARIAT_OK && strcmp(where, want) == 0);
    rc = lariat_data_row_where(ctx, path, &opt, 5, where, sizeof(where));
    snprintf(want, sizeof(want), "%s: row 5 (0-based)", path);
    LT_ASSERT_ALL(rc == LARIAT_OK && strcmp(where, want) == 0);

    lariat_read_options_default(&opt);
    snprintf(path, sizeof(path), "%s", lt_path("where.svm"));
    lt_write_file(path, "# a comment\n1 1:2\n   # another\n\n-1 2:3 # trailing\n1\n");
    static const int64_t svm_lines[] = {2, 5, 6};
    for (int64_t r = 0; r < 3; r++) {
        rc = lariat_data_row_where(ctx, path, &opt, r, where, sizeof(where));
        snprintf(want, sizeof(want), "%s:%lld", path, (long long)svm_lines[r]);
        LT_ASSERT_ALL(rc == LARIAT_OK && strcmp(where, want) == 0);
    }
    rc = lariat_data_row_where(ctx, "data.h5", NULL, 12, where, sizeof(where));
    LT_ASSERT_ALL(rc == LARIAT_OK && strcmp(where, "data.h5: /y[12] (row 12, 0-based)") == 0);
}

static void test_numparse(void)
{
    const char *good[] = {"0", "-0", "+1", ".5", "5.", "1e5", "1E+05", "1e-5", "0.000123", "00012",
                          "123456789012345678901234567890", "1.7976931348623157e308", "4.9406564584124654e-324",
                          "2.4703282292062328e-324", "1e-400", "9007199254740993", "0.30000000000000004",
                          "2.2250738585072011e-308", "7.2057594037927933e16"};
    int ok = 1;
    for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
        double v = 1.0, ref = strtod(good[k], NULL);
        ok = ok && lariat_numparse_field(good[k], strlen(good[k]), &v) == LARIAT_NUM_OK &&
             memcmp(&v, &ref, sizeof(v)) == 0;
    }
    const struct {
        const char *text;
        int code;
    } bad[] = {{"", LARIAT_NUM_SYNTAX},      {"-", LARIAT_NUM_SYNTAX},     {".", LARIAT_NUM_SYNTAX},
               {"e5", LARIAT_NUM_SYNTAX},    {"1e", LARIAT_NUM_SYNTAX},    {"1e+", LARIAT_NUM_SYNTAX},
               {"0x10", LARIAT_NUM_SYNTAX},  {"1.2.3", LARIAT_NUM_SYNTAX}, {"--1", LARIAT_NUM_SYNTAX},
               {" 1", LARIAT_NUM_SYNTAX},    {"1 ", LARIAT_NUM_SYNTAX},    {"nan", LARIAT_NUM_NONFINITE},
               {"-Inf", LARIAT_NUM_NONFINITE}, {"INFINITY", LARIAT_NUM_NONFINITE}, {"1e999", LARIAT_NUM_RANGE},
               {"-1.8e308", LARIAT_NUM_RANGE}};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        double v;
        ok = ok && lariat_numparse_field(bad[k].text, strlen(bad[k].text), &v) == bad[k].code;
    }
    /* Random doubles at 17, 16 and 15 digits and random short decimals agree with strtod bit for bit. */
    char buf[64];
    for (uint64_t i = 0; i < 200000 && ok; i++) {
        double x = tricky_double(i), v, ref;
        const char *fmt = i % 3 == 0 ? "%.17g" : i % 3 == 1 ? "%.16g" : "%.15g";
        snprintf(buf, sizeof(buf), fmt, x);
        ref = strtod(buf, NULL);
        int code = lariat_numparse_field(buf, strlen(buf), &v);
        /* 16 digits of DBL_MAX round up past it: infinite, so out of range. */
        ok = isinf(ref) ? code == LARIAT_NUM_RANGE : code == LARIAT_NUM_OK && memcmp(&v, &ref, sizeof(v)) == 0;
        if (ok && i % 3 == 0) ok = memcmp(&v, &x, sizeof(v)) == 0;
        uint64_t h = lariat_hash(5, LARIAT_STREAM_GEN_X, i, 1);
        snprintf(buf, sizeof(buf), "%llue%d", (unsigned long long)(h >> (h % 64)), (int)(h % 700) - 360);
        ref = strtod(buf, NULL);
        code = lariat_numparse_field(buf, strlen(buf), &v);
        ok = ok && (isinf(ref) ? code == LARIAT_NUM_RANGE : code == LARIAT_NUM_OK && memcmp(&v, &ref, sizeof(v)) == 0);
    }
    LT_ASSERT_ALL(ok);
}

/* The field a LIBSVM message names counts every token before it (a qid,
** tabs and runs of spaces between them), wherever the error is found. */
static void test_libsvm_error_fields(void)
{
    const struct {
        const char *text, *where, *what;
    } cases[] = {
        {"1 1:2\n2 qid:7\t 2:1  \t5:x\n", ":2:4:", "not a number: 'x'"},
        {"1 1:2\n2\t1:1 99999999999:1\n", ":2:3:", "too large"},
        {"1 1:2\n2 qid:1 3:1 3:2\n", ":2:4:", "indices must increase"},
        {"1 1:2\n  2   qid:1   0:1\n", ":2:3:", "index 0"},
        {"1 1:2\n2 1:1 qid:2 7#:1\n", ":2:4:", "expected index:value, found '7'"},
        {"1 1:2 # note\n2 1:1 4:2.5.1 # 3:x\n", ":2:3:", "not a number: '2.5.1'"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char name[32], path[512], loc[600];
        snprintf(name, sizeof(name), "sf%zu.svm", k);
        lariat_data *d = NULL;
        int rc = write_and_read(name, cases[k].text, NULL, &d, path, sizeof(path));
        snprintf(loc, sizeof(loc), "%s%s", path, cases[k].where);
        LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, loc, cases[k].what));
        lariat_data_destroy(d);
    }
}

/* ---- numbers against strtod ---- */

/* Not collective. 1 when text reads as strtod reads it, bit for bit (and as
** out of range when strtod overflows), both through lariat_numparse_field
** and, when it takes the number, through the readers' fast path on the text
** placed as in a line buffer: digits before it and after the byte that ends
** it (the previous and next fields), which neither may take. Counts the
** numbers the fast path took in *fast. */
static int reads_as_strtod(const char *text, char terminator, int64_t *fast)
{
    const size_t len = strlen(text);
    double ref = strtod(text, NULL), v = 0.0;
    int code = lariat_numparse_field(text, len, &v);
    int ok = isinf(ref) ? code == LARIAT_NUM_RANGE : code == LARIAT_NUM_OK && memcmp(&v, &ref, sizeof(v)) == 0;
    char buf[LARIAT_NUMPARSE_PAD_BEFORE + 512 + LARIAT_NUMPARSE_PAD_AFTER];
    if (len > 512 - 1) return ok;
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (char)('0' + i % 10);
    char *s = buf + LARIAT_NUMPARSE_PAD_BEFORE;
    memcpy(s, text, len);
    s[len] = terminator;
    double fv = 0.0;
    const char *stop = NULL;
    if (lariat_numparse_fast(lariat_pow5_table(), s, s + len, &fv, &stop)) {
        (*fast)++;
        ok = ok && code == LARIAT_NUM_OK && stop == s + len && memcmp(&fv, &ref, sizeof(fv)) == 0;
    }
    return ok;
}

/* Not collective. A finite double from the random bits of i, every kind
** often: subnormals, the smallest and largest exponents, and the rest. */
static double random_double(uint64_t i)
{
    uint64_t bits = lariat_hash(11, LARIAT_STREAM_GEN_X, i, 0);
    uint64_t kind = lariat_hash(11, LARIAT_STREAM_GEN_X, i, 1) % 8;
    if (kind == 0) bits &= 0x800fffffffffffffULL;                                    /* subnormal */
    if (kind == 1) bits = (bits & 0x800fffffffffffffULL) | ((uint64_t)(1 + i % 60) << 52); /* tiny */
    if (kind == 2) bits = (bits & 0x800fffffffffffffULL) | ((uint64_t)(2046 - i % 60) << 52); /* huge */
    if (kind == 3) bits = (bits & 0x800fffffffffffffULL) | ((uint64_t)(1023 - 30 + i % 60) << 52); /* near 1 */
    double x;
    memcpy(&x, &bits, sizeof(x));
    return isfinite(x) ? x : 1.5;
}

/* Random bit patterns printed with "%.17g" (which reads back to the same
** double), with fewer digits, in exponent and fixed forms, with a '+' or
** an upper-case 'E': every one as strtod reads it, and most through the
** fast path. */
static void test_numparse_random(void)
{
    int ok = 1;
    int64_t fast = 0, total = 0;
    char text[600];
    for (uint64_t i = 0; i < 120000 && ok; i++) {
        const double x = random_double(i);
        const uint64_t h = lariat_hash(12, LARIAT_STREAM_GEN_X, i, 0);
        const int digits = 1 + (int)(h % 17);
        switch ((h >> 8) % 6) {
        case 0:
        case 1: snprintf(text, sizeof(text), "%.17g", x); break;
        case 2: snprintf(text, sizeof(text), "%.*g", digits, x); break;
        case 3: snprintf(text, sizeof(text), (h >> 16) % 2 ? "%.*E" : "%+.*e", digits + 2, x); break;
        case 4: snprintf(text, sizeof(text), "%.*f", (int)(h >> 20) % 25, fabs(x) < 1e22 ? x : x * 1e-300); break;
        default: snprintf(text, sizeof(text), "%.*g", digits, x * 1e-3); break;
        }
        ok = reads_as_strtod(text, (h >> 24) % 2 ? '\n' : ',', &fast);
        if (ok && (h >> 8) % 6 < 2) { /* "%.17g" is exact */
            double v = 0.0;
            ok = lariat_numparse_field(text, strlen(text), &v) == LARIAT_NUM_OK && memcmp(&v, &x, sizeof(v)) == 0;
        }
        total++;
    }
    if (!ok) fprintf(stderr, "numparse: '%s' does not read as strtod reads it\n", text);
    LT_ASSERT_ALL(ok);
    LT_ASSERT_ALL(fast > total / 2);
}

/* Not collective. Checks the decimal integer m (a u64) scaled by 10^-point
** (its last `point` digits are a fraction), in plain and exponent form, and
** its neighbours m - 1 and m + 1 in the last digit. */
static int tie_reads_as_strtod(uint64_t m, int point, int64_t *fast)
{
    int ok = 1;
    for (int d = -1; d <= 1 && ok; d++) {
        char digits[32], text[64];
        snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(m + (uint64_t)(int64_t)d));
        size_t n = strlen(digits);
        if (point > 0 && (size_t)point < n) {
            snprintf(text, sizeof(text), "%.*s.%s", (int)(n - (size_t)point), digits, digits + n - (size_t)point);
        } else {
            snprintf(text, sizeof(text), "%s", digits);
        }
        ok = reads_as_strtod(text, '\n', fast);
        snprintf(text, sizeof(text), "%se-%d", digits, point);
        ok = ok && reads_as_strtod(text, ',', fast);
        snprintf(text, sizeof(text), "-0.%se%d", digits, (int)n - point);
        ok = ok && reads_as_strtod(text, '\n', fast);
    }
    return ok;
}

/* Halfway cases: the midpoint of two neighbouring doubles, which rounds to
** the even one, and its neighbours in the last decimal digit, which do not
** tie. Those with at most 19 digits (midpoints of doubles between 2^50 and
** 2^63: 9007199254740993 = 2^53 + 1 is one) test the fast paths' refusal
** to round a tie they cannot see; the exact midpoints of random doubles
** (hundreds of digits) test the path for long numbers. */
static void test_numparse_halfway(void)
{
    int ok = tie_reads_as_strtod(9007199254740993ULL, 0, &(int64_t){0});
    int64_t fast = 0;
    for (uint64_t i = 0; i < 20000 && ok; i++) {
        const uint64_t h = lariat_hash(13, LARIAT_STREAM_GEN_X, i, 0);
        /* Neighbours k 2^u and (k + 1) 2^u, k in [2^52, 2^53), meet at
        ** (2k + 1) 2^(u - 1); u - 1 from -3 (a fraction in eighths,
        ** written exactly with 3 decimals) to 9. */
        const uint64_t k = ((uint64_t)1 << 52) | (h >> 12);
        const int e = (int)((h & 0xff) % 13) - 3;
        if (e >= 0) {
            ok = tie_reads_as_strtod((2 * k + 1) << e, 0, &fast);
        } else {
            uint64_t m = 2 * k + 1;
            for (int j = 0; j < -e; j++) m *= 5; /* (2k + 1) / 2^-e = (2k + 1) 5^-e / 10^-e */
            ok = tie_reads_as_strtod(m, -e, &fast);
        }
    }
    LT_ASSERT_ALL(ok);
#if LDBL_MANT_DIG >= 64
    /* Long double holds the midpoint of two doubles exactly; "%.800Le"
    ** prints it exactly (every double is a finite binary fraction). */
    char text[900];
    for (uint64_t i = 0; i < 3000 && ok; i++) {
        const double x = fabs(random_double(i + 1000000));
        const double y = nextafter(x, INFINITY);
        if (!isfinite(y)) continue;
        const long double mid = ((long double)x + (long double)y) / 2;
        snprintf(text, sizeof(text), "%.800Le", mid);
        /* Drop the zeros that pad the digits. */
        char *e = strchr(text, 'e'), *z = e;
        while (z[-1] == '0') z--;
        memmove(z, e, strlen(e) + 1);
        ok = reads_as_strtod(text, '\n', &fast);
    }
    if (!ok) fprintf(stderr, "numparse: '%.60s...' does not read as strtod reads it\n", text);
    LT_ASSERT_ALL(ok);
#endif
    /* Edges: the largest double and the first beyond, the smallest normal
    ** and subnormal, underflow to zero, saturated exponents, zeros that
    ** lead or trail beyond 19 digits. */
    static const char *edges[] = {"1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
                                  "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9406564584124654e-324",
                                  "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
                                  "0e99999999999999999999", "1e-99999999999999999999", "123.456e-99999",
                                  "1e18446744073709551626", "1e-18446744073709551606", "1e00005", "1e-0000022",
                                  "0.000000000000000000000000000012345678901234567", "1.00000000000000000000000000",
                                  "00000000000000000000000000000000001.5", "18446744073709551616.5",
                                  "18446744073709551615", "9999999999999999999", "99999999999999999999",
                                  "0.1e1", "5e-1", "1e22", "1e23", "8.98846567431158e307", "4.4501477170144023e-308",
                                  "2.225073858507201136057409796709131975934819546351645648e-308"};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]) && ok; i++) ok = reads_as_strtod(edges[i], ',', &fast);
    LT_ASSERT_ALL(ok);
}

/* Numbers in every form the fast path takes or leaves, with spaces around
** some, in a CSV and a LIBSVM file read at the running rank count: each
** value as strtod reads it. */
static void test_number_forms_in_files(void)
{
    static const char *forms[] = {"%.17g", "%.3e", " %.17g ", "%+.10g", "%.0f.", "%.12E", "\t%.1f", "%.25g",
                                  "%.5g", "%025.17g"};
    const int nforms = (int)(sizeof(forms) / sizeof(forms[0]));
    const int64_t n = 97, p = 7;
    double *X = malloc((size_t)(n * p) * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    char *csv = malloc((size_t)(n * (p + 1) * 48 + 1)), *svm = malloc((size_t)(n * (p + 1) * 56 + 1));
    char *c = csv, *v = svm, field[64];
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j <= p; j++) {
            const uint64_t k = (uint64_t)(i * (p + 1) + j);
            const char *fmt = forms[k % (uint64_t)nforms];
            double x = random_double(k + 777);
            if (k % 3 == 0) x = x * 1e-300 * 1e300; /* keep the magnitude sane but the bits random */
            if (strstr(fmt, ".0f") != NULL) x = fmod(x, 1e15);
            snprintf(field, sizeof(field), fmt, x);
            const double val = strtod(field, NULL);
            if (j == 0) y[i] = val;
            else X[i * p + j - 1] = val;
            c += sprintf(c, j == 0 ? "%s" : ",%s", field);
            /* LIBSVM: no space inside index:value, so the spaces go before it. */
            const char *t = field + strspn(field, " \t");
            const int tn = (int)strcspn(t, " \t");
            if (j == 0) v += sprintf(v, "%.*s", tn, t);
            else v += sprintf(v, "%s%lld:%.*s", k % 4 ? " " : " \t ", (long long)j, tn, t);
        }
        *c++ = '\n';
        v += sprintf(v, i % 2 ? "\n" : "\r\n");
    }
    *c = *v = '\0';
    for (int64_t k = 0; k < n * p; k++) {
        if (!isfinite(X[k])) X[k] = 0.0;
    }
    char path[512];
    lariat_data *d = NULL;
    int rc = write_and_read("forms.csv", csv, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && content_ok(d, n, p, X, y, NULL));
    lariat_data_destroy(d);
    d = NULL;
    rc = write_and_read("forms.svm", svm, NULL, &d, path, sizeof(path));
    LT_ASSERT_ALL(rc == LARIAT_OK && d != NULL && d->n == n);
    if (d != NULL && rc == LARIAT_OK) {
        /* Zeros are kept as entries: compare the rows densely. */
        double *row = malloc((size_t)p * sizeof(double));
        int same = row != NULL;
        for (int64_t i = 0; same && i < d->n_local; i++) {
            const int64_t g = d->row0 + i;
            lariat_matrix_get_row(d->X, i, row);
            same = memcmp(&d->y[i], &y[g], sizeof(double)) == 0;
            for (int64_t j = 0; same && j < p; j++) same = row[j] == X[g * p + j];
        }
        free(row);
        LT_ASSERT_ALL(same);
    }
    lariat_data_destroy(d);
    free(X);
    free(y);
    free(csv);
    free(svm);
}

void lt_register_io(void)
{
    CU_pSuite s = CU_add_suite("io", NULL, NULL);
    CU_add_test(s, "numparse: exact, strict", test_numparse);
    CU_add_test(s, "numparse: random doubles and forms agree with strtod", test_numparse_random);
    CU_add_test(s, "numparse: halfway cases and edges agree with strtod", test_numparse_halfway);
    CU_add_test(s, "csv, libsvm: every number form, fast path or not", test_number_forms_in_files);
    CU_add_test(s, "libsvm: the field of an error counts every token", test_libsvm_error_fields);
    CU_add_test(s, "byterange: parts tile the lines", test_byterange_tiling);
    CU_add_test(s, "byterange: the line estimate with lines of 300 KB", test_byterange_estimate_long_lines);
    CU_add_test(s, "csv: header yes/no/auto, quoted names, blank lines", test_csv_header_modes);
    CU_add_test(s, "csv: label and weights by name and index", test_csv_label_and_weights);
    CU_add_test(s, "csv: delimiter, CRLF, no final newline, BOM", test_csv_delimiter_crlf_final_newline);
    CU_add_test(s, "csv: fewer rows than ranks, uneven ranges", test_csv_uneven_ranges);
    CU_add_test(s, "csv: %.17g round trip is exact", test_csv_exact_round_trip);
    CU_add_test(s, "csv: bad input names file, line, field", test_csv_errors);
    CU_add_test(s, "csv: first error in file order wins", test_csv_error_order);
    CU_add_test(s, "read: usage errors and format choice", test_read_usage_errors);
    CU_add_test(s, "libsvm: sparse content", test_libsvm_content);
    CU_add_test(s, "rows moved onto tiles both ways, in order", test_shift_both_ways);
    CU_add_test(s, "libsvm: bad input names file, line, field", test_libsvm_errors);
    CU_add_test(s, "read: the line of a data row", test_row_where);
}
