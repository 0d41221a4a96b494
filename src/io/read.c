/*
** lariat_data_read: picks the reader from --format or the file name's
** extension, and the checks every reader shares once the rows are in.
*/
#include "core/core.h"
#include "data/dataset.h"
#include "data/tiles.h"
#include "io/hdf5_io.h"
#include "io/read.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lariat_read_options_default(lariat_read_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->format = LARIAT_FORMAT_AUTO;
    opt->label = NULL;
    opt->weights = NULL;
    opt->header = LARIAT_HEADER_AUTO;
    opt->delimiter = ',';
    opt->n_features = 0;
}

/* Not collective. 1 when path ends in ext (which starts with '.'), in any case. */
static int has_extension(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    if (n <= k) return 0;
    for (size_t i = 0; i < k; i++) {
        if (tolower((unsigned char)path[n - k + i]) != ext[i]) return 0;
    }
    return 1;
}

/* Not collective. The format of path from its extension, or AUTO when unknown. */
static lariat_format format_from_name(const char *path)
{
    if (has_extension(path, ".csv") || has_extension(path, ".txt")) return LARIAT_FORMAT_CSV;
    if (has_extension(path, ".svm") || has_extension(path, ".libsvm") || has_extension(path, ".svmlight")) {
        return LARIAT_FORMAT_LIBSVM;
    }
    if (has_extension(path, ".h5") || has_extension(path, ".hdf5")) return LARIAT_FORMAT_HDF5;
    return LARIAT_FORMAT_AUTO;
}

/* Not collective. Options that cannot work whatever the file holds. */
static int check_options(lariat_ctx *ctx, const char *path, lariat_format format, const lariat_read_options *opt)
{
    if (format == LARIAT_FORMAT_CSV) {
        /* The delimiter must not be something a number or a line can contain. */
        char c = opt->delimiter;
        if (c == '\0' || c == '\n' || c == '\r' || c == '"' || strchr("0123456789.+-eE", c) != NULL) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: '%c' (code %d) cannot be a CSV delimiter", path,
                                isprint((unsigned char)c) ? c : '?', (int)(unsigned char)c);
        }
        if (opt->header != LARIAT_HEADER_AUTO && opt->header != LARIAT_HEADER_YES &&
            opt->header != LARIAT_HEADER_NO) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: bad header option %d", path, (int)opt->header);
        }
    }
    if (format == LARIAT_FORMAT_HDF5) {
        /* The datasets have fixed names (io/hdf5_io.h): a column option would be ignored. */
        if (opt->weights != NULL) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: the weights of an HDF5 file are its dataset /w; "
                                "the weights option applies to CSV only", path);
        }
        if (opt->label != NULL && strcmp(opt->label, "0") != 0) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: the label of an HDF5 file is its dataset /y; "
                                "the label option applies to CSV only", path);
        }
    }
    if (format == LARIAT_FORMAT_LIBSVM) {
        if (opt->weights != NULL) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: LIBSVM files have no weights column", path);
        }
        if (opt->label != NULL && strcmp(opt->label, "0") != 0) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: the label of a LIBSVM file is its first field; "
                                "the label option applies to CSV only", path);
        }
        if (opt->n_features < 0 || opt->n_features > (int64_t)INT32_MAX + 1) {
            return lariat_error(ctx, LARIAT_EUSAGE, "%s: bad number of features %lld", path,
                                (long long)opt->n_features);
        }
    }
    return LARIAT_OK;
}

int lariat_data_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out)
{
    *out = NULL;
    lariat_read_options defaults;
    if (opt == NULL) {
        lariat_read_options_default(&defaults);
        opt = &defaults;
    }
    double start = lariat_now();
    int rc = LARIAT_OK;
    lariat_format format = opt->format;
    if (path == NULL || path[0] == '\0') {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "no data file given");
    } else if (format == LARIAT_FORMAT_AUTO) {
        format = format_from_name(path);
        if (format == LARIAT_FORMAT_AUTO) {
            rc = lariat_error(ctx, LARIAT_EUSAGE,
                              "%s: cannot tell the format from the file name (.csv, .txt, .svm, .libsvm, "
                              ".svmlight, .h5, .hdf5); give it with --format csv|libsvm|hdf5", path);
        }
    }
    if (rc == LARIAT_OK && format != LARIAT_FORMAT_CSV && format != LARIAT_FORMAT_LIBSVM &&
        format != LARIAT_FORMAT_HDF5) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: unknown format code %d", path, (int)format);
    }
    if (rc == LARIAT_OK) rc = check_options(ctx, path, format, opt);
    /* The same arguments give the same verdict on every rank; agreeing costs
    ** one allreduce and protects against callers that pass different ones. */
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;

    if (format == LARIAT_FORMAT_CSV) rc = lariat_csv_read(ctx, path, opt, out);
    else if (format == LARIAT_FORMAT_LIBSVM) rc = lariat_libsvm_read(ctx, path, opt, out);
    else rc = lariat_hdf5_read(ctx, path, opt, out);
    if (rc == LARIAT_OK) {
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "read %lld rows x %lld features from %s in %.3f s", (long long)(*out)->n,
                   (long long)(*out)->p, path, lariat_now() - start);
    }
    return rc;
}

/* One tile's weight sum. */
static void weight_sum_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const lariat_data *d = arg;
    double sum = 0.0;
    for (int64_t i = 0; i < m; i++) sum += d->w[i0 + i];
    part[0] = sum;
}

int lariat_read_finish(lariat_ctx *ctx, const char *path, lariat_data *d)
{
    int rc = lariat_data_set_global_rows(ctx, d);
    if (rc != LARIAT_OK) return rc;
    if (d->n == 0) return lariat_error(ctx, LARIAT_EDATA, "%s: no data rows", path);
    /* Rows split by bytes move once onto tile boundaries (data/tiles.h), so
    ** that every sum over them is the same at any rank count. */
    rc = lariat_data_shift_to_tiles(ctx, d);
    if (rc != LARIAT_OK) return rc;
    if (d->has_weights) {
        /* Each weight is finite and >= 0 (checked while parsing); their sum must
        ** be positive for the weighted means of SPEC.md section 1 to exist. */
        double sum = 0.0;
        rc = lariat_tile_sum(ctx, d, 1, weight_sum_fn, d, &sum);
        if (rc != LARIAT_OK) return rc;
        if (!(sum > 0.0)) return lariat_error(ctx, LARIAT_EDATA, "%s: the weights are all zero", path);
    }
    return LARIAT_OK;
}

const char *lariat_read_excerpt(char *buf, const char *s, size_t len)
{
    /* Binary junk would garble the terminal: show it as '?'. */
    size_t n = len > 40 ? 37 : len;
    for (size_t i = 0; i < n; i++) buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    strcpy(buf + n, len > 40 ? "..." : "");
    return buf;
}

int lariat_data_row_where(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, int64_t row, char *buf,
                          size_t len)
{
    lariat_read_options defaults;
    if (opt == NULL) {
        lariat_read_options_default(&defaults);
        opt = &defaults;
    }
    lariat_format format = opt->format != LARIAT_FORMAT_AUTO ? opt->format : format_from_name(path);
    if (format == LARIAT_FORMAT_HDF5) {
        snprintf(buf, len, "%s: /y[%lld] (row %lld, 0-based)", path, (long long)row, (long long)row);
        return LARIAT_OK;
    }
    /* Rank 0 rescans the file; the other ranks wait for its answer. The
    ** message of a failed rescan is dropped: the error being reported is the
    ** caller's, and the row number still names the place. */
    long long line = 0;
    if (lariat_ctx_rank(ctx) == 0) {
        int64_t found = 0;
        char saved[1024];
        snprintf(saved, sizeof(saved), "%s", lariat_errmsg(ctx));
        int rc = format == LARIAT_FORMAT_LIBSVM ? lariat_libsvm_row_line(ctx, path, row, &found)
                                                : lariat_csv_row_line(ctx, path, opt, row, &found);
        if (rc == LARIAT_OK) line = (long long)found;
        else lariat_error(ctx, LARIAT_OK, "%s", saved);
    }
    if (MPI_Bcast(&line, 1, MPI_LONG_LONG, 0, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the line of row %lld of %s failed", (long long)row, path);
    }
    if (line > 0) snprintf(buf, len, "%s:%lld", path, line);
    else snprintf(buf, len, "%s: row %lld (0-based)", path, (long long)row);
    return LARIAT_OK;
}
