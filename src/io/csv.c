/*
** The CSV reader: numbers only, one row per line, an optional header.
**
** Rank 0 reads the first non-blank line and broadcasts it; every rank then
** derives the same layout from it (is it a header, how many fields, which
** are the label and the weights, the feature names), so options that do not
** fit the file fail identically everywhere. Each rank then parses the lines
** of its own byte range into dense row-major storage, stopping at its first
** error, and the ranks agree on the first error in file order.
**
** Decisions where SPEC.md is silent: blank lines (empty, or only "\r") are
** skipped anywhere, as pandas and numpy.loadtxt do; spaces and tabs around a
** field are ignored unless one of them is the delimiter; header names may be
** double-quoted ("" is a quote) but numbers may not; a label or weights
** option made only of digits is a 0-based index, anything else a header name.
*/
#include "core/core.h"
#include "core/memory.h"
#include "data/dataset.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "io/byterange.h"
#include "io/numparse.h"
#include "io/numparse_fast.h"
#include "io/read.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Where each field goes: a feature index >= 0, or one of these. */
enum { DEST_LABEL = -1, DEST_WEIGHT = -2 };

typedef struct csv_layout {
    char delim;
    int trim;              /* skip spaces and tabs around fields */
    int header;            /* the first non-blank line is a header */
    int64_t first_offset;  /* byte offset of the first non-blank line */
    int64_t first_line;    /* its 1-based line number */
    int64_t nfields;
    int64_t label, weights; /* field indices; weights -1 = none */
    int64_t p;
    int64_t *dest;         /* nfields entries */
    char **fields;         /* nfields texts of the first line, unquoted */
} csv_layout;

static void layout_free(csv_layout *lay)
{
    if (lay->fields != NULL) {
        for (int64_t f = 0; f < lay->nfields; f++) free(lay->fields[f]);
        free(lay->fields);
    }
    free(lay->dest);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Not collective. Rank 0's look at the file: the first non-blank line
** (malloc'ed in *text) with its length, byte offset and line number in meta;
** meta[0] = -1 when the file has no such line. */
static int read_first_line(lariat_ctx *ctx, const char *path, char **text, long long meta[3])
{
    lariat_byterange *br = NULL;
    /* A small buffer: only the first line is wanted (a longer one grows it). */
    int rc = lariat_byterange_open(ctx, path, 0, 1, (size_t)64 << 10, &br);
    meta[0] = -1;
    meta[1] = meta[2] = 0;
    while (rc == LARIAT_OK) {
        const char *line;
        size_t len;
        int64_t offset;
        rc = lariat_byterange_next(ctx, br, &line, &len, &offset);
        if (rc != LARIAT_OK || line == NULL) break;
        if (len == 0) continue;
        if (len >= INT_MAX) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s:%lld: first line longer than %d bytes", path,
                              (long long)lariat_byterange_lines(br), INT_MAX);
            break;
        }
        *text = lariat_malloc(ctx, len, 1, "first line");
        if (*text == NULL) {
            rc = LARIAT_ENOMEM;
            break;
        }
        memcpy(*text, line, len);
        meta[0] = (long long)len;
        meta[1] = (long long)offset;
        meta[2] = (long long)lariat_byterange_lines(br);
        break;
    }
    lariat_byterange_close(br);
    return rc;
}

/* Not collective. Splits the first line into trimmed, unquoted fields. */
static int split_first_line(lariat_ctx *ctx, csv_layout *lay, const char *s, size_t len)
{
    int64_t count = 1;
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') quoted = !quoted;
        else if (s[i] == lay->delim && !quoted) count++;
    }
    lay->nfields = count;
    lay->fields = lariat_calloc(ctx, (size_t)count, sizeof(char *), "header fields");
    char *field = lariat_malloc(ctx, len + 1, 1, "header field");
    int rc = (lay->fields == NULL || field == NULL) ? LARIAT_ENOMEM : LARIAT_OK;
    const char *p = s, *end = s + len;
    for (int64_t f = 0; f < count && rc == LARIAT_OK; f++) {
        size_t n = 0, kept = 0; /* kept: the length without trailing spaces outside quotes */
        if (lay->trim) {
            while (p < end && is_space(*p)) p++;
        }
        quoted = 0;
        for (; p < end && (quoted || *p != lay->delim); p++) {
            if (*p == '"') {
                if (quoted && p + 1 < end && p[1] == '"') field[n++] = *++p;
                else quoted = !quoted;
                kept = n;
                continue;
            }
            field[n++] = *p;
            if (quoted || !lay->trim || !is_space(*p)) kept = n;
        }
        if (p < end) p++; /* the delimiter */
        lay->fields[f] = lariat_malloc(ctx, kept + 1, 1, "header field");
        if (lay->fields[f] == NULL) {
            rc = LARIAT_ENOMEM;
            break;
        }
        memcpy(lay->fields[f], field, kept);
        lay->fields[f][kept] = '\0';
    }
    free(field);
    return rc;
}

/* Not collective. 1 when the first line's field f reads as a number (or as
** NaN, infinity or an overflowing number: data, though bad data) or is
** empty (a missing value in a data row, not a name). */
static int looks_numeric(const csv_layout *lay, int64_t f)
{
    const char *t = lay->fields[f];
    double v;
    int code = lariat_numparse_field(t, strlen(t), &v);
    return code != LARIAT_NUM_SYNTAX || t[0] == '\0';
}

/* Not collective. Sets *index to the field that spec names (a 0-based index
** or a header name); an index out of range or an unknown name is
** LARIAT_EDATA naming the option. */
static int resolve_column(lariat_ctx *ctx, const char *path, const csv_layout *lay, const char *spec,
                          const char *option, int64_t *index)
{
    size_t digits = strspn(spec, "0123456789");
    if (spec[0] != '\0' && spec[digits] == '\0') {
        long long k = digits > 18 ? LLONG_MAX : atoll(spec);
        if (k >= lay->nfields) {
            return lariat_error(ctx, LARIAT_EDATA, "%s:%lld: %s column %s is out of range: the file has %lld columns",
                                path, (long long)lay->first_line, option, spec, (long long)lay->nfields);
        }
        *index = (int64_t)k;
        return LARIAT_OK;
    }
    if (!lay->header) {
        return lariat_error(ctx, LARIAT_EDATA, "%s:%lld: %s column '%s' is a name, but the file has no header line",
                            path, (long long)lay->first_line, option, spec);
    }
    for (int64_t f = 0; f < lay->nfields; f++) {
        if (strcmp(lay->fields[f], spec) == 0) {
            *index = f;
            return LARIAT_OK;
        }
    }
    return lariat_error(ctx, LARIAT_EDATA, "%s:%lld: no column named '%s' for the %s", path,
                        (long long)lay->first_line, spec, option);
}

/* Not collective. The layout from the first line (the same on every rank). */
static int make_layout(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, const char *first,
                       size_t len, csv_layout *lay)
{
    int rc = split_first_line(ctx, lay, first, len);
    if (rc != LARIAT_OK) return rc;
    if (opt->header == LARIAT_HEADER_AUTO) {
        for (int64_t f = 0; f < lay->nfields && !lay->header; f++) {
            lay->header = !looks_numeric(lay, f);
        }
    } else {
        lay->header = (opt->header == LARIAT_HEADER_YES);
    }
    lay->weights = -1;
    rc = resolve_column(ctx, path, lay, opt->label != NULL ? opt->label : "0", "label", &lay->label);
    if (rc == LARIAT_OK && opt->weights != NULL) {
        rc = resolve_column(ctx, path, lay, opt->weights, "weights", &lay->weights);
    }
    if (rc != LARIAT_OK) return rc;
    if (lay->label == lay->weights) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s: the label and the weights are the same column (%lld)", path,
                            (long long)lay->label);
    }
    lay->p = lay->nfields - 1 - (lay->weights >= 0);
    if (lay->p < 1) {
        return lariat_error(ctx, LARIAT_EDATA, "%s:%lld: no feature columns: the file has %lld columns", path,
                            (long long)lay->first_line, (long long)lay->nfields);
    }
    lay->dest = lariat_malloc(ctx, (size_t)lay->nfields, sizeof(int64_t), "column map");
    if (lay->dest == NULL) return LARIAT_ENOMEM;
    for (int64_t f = 0, j = 0; f < lay->nfields; f++) {
        lay->dest[f] = f == lay->label ? DEST_LABEL : f == lay->weights ? DEST_WEIGHT : j++;
    }
    return LARIAT_OK;
}

/* Not collective. The slow path for a row that did not parse cleanly at
** field f: works out what is wrong and records it. */
static int row_error(const csv_layout *lay, const lariat_byterange *br, const char *s, size_t len, int64_t f,
                     lariat_line_error *err)
{
    /* Count the fields and find field f. */
    const char *end = s + len, *fs = NULL, *fe = NULL, *p = s;
    int64_t count = 0;
    for (;;) {
        const char *q = memchr(p, lay->delim, (size_t)(end - p));
        if (q == NULL) q = end;
        if (count == f) {
            fs = p;
            fe = q;
        }
        count++;
        if (q == end) break;
        p = q + 1;
    }
    if (fs != NULL) {
        if (lay->trim) {
            while (fs < fe && is_space(*fs)) fs++;
            while (fe > fs && is_space(fe[-1])) fe--;
        }
        double v;
        int code = fs == fe ? LARIAT_NUM_SYNTAX : lariat_numparse_field(fs, (size_t)(fe - fs), &v);
        char quote[48];
        if (fs == fe) return lariat_line_error_set(br, err, f + 1, "empty field");
        if (code != LARIAT_NUM_OK) {
            return lariat_line_error_set(br, err, f + 1, "%s: '%s'", lariat_numparse_strerror(code),
                                         lariat_read_excerpt(quote, fs, (size_t)(fe - fs)));
        }
    }
    return lariat_line_error_set(br, err, count < lay->nfields ? count + 1 : lay->nfields + 1,
                                 "expected %lld fields, found %lld", (long long)lay->nfields, (long long)count);
}

/* Not collective. Field f of a data line, from p, the general way: spaces
** around it (unless one of them is the delimiter), the numbers that
** lariat_numparse_fast leaves to lariat_numparse, and every error. Sets *v
** and *next, the start of the next field. */
static int parse_field(const csv_layout *lay, const lariat_byterange *br, const char *s, size_t len, int64_t f,
                       const char *p, double *v, const char **next, lariat_line_error *err)
{
    const char *end = s + len, *stop;
    if (lay->trim) {
        while (p < end && is_space(*p)) p++;
    }
    if (lariat_numparse(p, end, v, &stop) != LARIAT_NUM_OK) return row_error(lay, br, s, len, f, err);
    if (lay->trim) {
        while (stop < end && is_space(*stop)) stop++;
    }
    /* Every field but the last ends at a delimiter, the last at the line's end. */
    if (f + 1 < lay->nfields ? (stop == end || *stop != lay->delim) : stop != end) {
        return row_error(lay, br, s, len, f, err);
    }
    *next = stop + (stop < end); /* past the delimiter */
    return LARIAT_OK;
}

/* Not collective. Parses one data line (padded: byterange.h) into xrow (p
** values), *y and *w. A field that is a number right at its start and ends
** at the delimiter (the last at the line's end) takes the inline fast path;
** any other goes to parse_field, which gives the same value or the error. */
static int parse_row(const csv_layout *lay, const lariat_pow5 *pow5, const lariat_byterange *br, const char *s,
                     size_t len, double *xrow, double *y, double *w, lariat_line_error *err)
{
    const char *p = s, *end = s + len;
    const char delim = lay->delim;
    const int64_t last = lay->nfields - 1;
    for (int64_t f = 0; f <= last; f++) {
        double v;
        const char *stop;
        /* The byte at the line's end is never the delimiter, so a field
        ** that ends at one is not the line's last. */
        if (p < end && lariat_numparse_fast(pow5, p, end, &v, &stop) && (f < last ? *stop == delim : stop == end)) {
            p = stop + 1;
        } else {
            int rc = parse_field(lay, br, s, len, f, p, &v, &p, err);
            if (rc != LARIAT_OK) return rc;
        }
        int64_t d = lay->dest[f];
        if (d >= 0) {
            xrow[d] = v;
        } else if (d == DEST_LABEL) {
            *y = v;
        } else {
            if (v < 0) return lariat_line_error_set(br, err, f + 1, "negative weight %.17g", v);
            *w = v;
        }
    }
    return LARIAT_OK;
}

/* Growable row storage for this rank. */
typedef struct csv_rows {
    int64_t n, cap, p;
    double *x, *y, *w;
} csv_rows;

/* Not collective. Resizes r to cap rows (cap >= r->n). */
static int rows_resize(lariat_ctx *ctx, csv_rows *r, int64_t cap)
{
    if (cap < 1) cap = 1;
    if ((uint64_t)cap > SIZE_MAX / sizeof(double) / (uint64_t)r->p) {
        return lariat_error(ctx, LARIAT_ENOMEM, "too many rows for memory");
    }
    double *x = realloc(r->x, (size_t)cap * (size_t)r->p * sizeof(double));
    if (x != NULL) r->x = x;
    /* Before the rows are written: fresh pages cost a fault each (core/memory.h). */
    if (x != NULL && cap > r->cap) lariat_advise_huge(x, (size_t)cap * (size_t)r->p * sizeof(double));
    double *y = realloc(r->y, (size_t)cap * sizeof(double));
    if (y != NULL) r->y = y;
    double *w = realloc(r->w, (size_t)cap * sizeof(double));
    if (w != NULL) r->w = w;
    if (x == NULL || y == NULL || w == NULL) {
        return lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading rows (%.1f MB)",
                            (double)cap * (double)(r->p + 2) * 8e-6);
    }
    r->cap = cap;
    return LARIAT_OK;
}

/* Not collective. Parses this rank's lines into r. */
static int parse_part(lariat_ctx *ctx, const csv_layout *lay, lariat_byterange *br, csv_rows *r,
                      lariat_line_error *err)
{
    /* The storage is sized once, at the first data line, for the lines the
    ** part holds (estimated from the first MiB of it, plus a margin, plus the
    ** room of the move onto tile boundaries, data/tiles.h), and grows by half
    ** when that was short: each growth may copy the rows read so far. */
    const int nranks = lariat_ctx_size(ctx);
    int rc = LARIAT_OK;
    const lariat_pow5 *pow5 = lariat_pow5_table();
    for (;;) {
        const char *line;
        size_t len;
        int64_t offset;
        rc = lariat_byterange_next(ctx, br, &line, &len, &offset);
        if (rc != LARIAT_OK || line == NULL) break;
        if (len == 0 || (lay->header && offset == lay->first_offset)) continue;
        if (r->n == r->cap) {
            int64_t lines = lariat_byterange_estimate(br, '\n') + 1;
            rc = rows_resize(ctx, r,
                             r->cap > 0 ? r->cap + r->cap / 2
                                        : lines + lines / 64 + 16 + lariat_tile_shift_room(lines, r->p, nranks));
            if (rc != LARIAT_OK) break;
        }
        r->w[r->n] = 1.0;
        rc = parse_row(lay, pow5, br, line, len, r->x + r->n * r->p, r->y + r->n, r->w + r->n, err);
        if (rc != LARIAT_OK) break;
        r->n++;
    }
    /* Give back the spare capacity but the room of the move onto tile
    ** boundaries (realloc to a smaller size keeps the data in place). */
    const int64_t keep = r->n + lariat_tile_shift_room(r->n, r->p, nranks);
    if (rc == LARIAT_OK && keep < r->cap) rc = rows_resize(ctx, r, keep);
    return rc;
}

int lariat_csv_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out)
{
    *out = NULL;
    csv_layout lay = {.delim = opt->delimiter, .trim = !is_space(opt->delimiter)};
    csv_rows rows = {0};
    lariat_byterange *br = NULL;
    lariat_data *d = NULL;
    lariat_line_error err = {0};
    char *first = NULL;
    long long meta[3] = {-1, 0, 0};
    MPI_Comm comm = lariat_ctx_comm(ctx);

    /* Every rank opens its part; rank 0 also reads the first non-blank line. */
    int rc = lariat_byterange_open(ctx, path, lariat_ctx_rank(ctx), lariat_ctx_size(ctx), 0, &br);
    if (rc == LARIAT_OK && lariat_ctx_rank(ctx) == 0) rc = read_first_line(ctx, path, &first, meta);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto cleanup;
    if (MPI_Bcast(meta, 3, MPI_LONG_LONG, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the first line of %s failed", path);
        goto cleanup;
    }
    if (meta[0] < 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: no data rows", path);
        goto cleanup;
    }
    if (lariat_ctx_rank(ctx) != 0) {
        first = lariat_malloc(ctx, (size_t)meta[0], 1, "first line");
        if (first == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto cleanup;
    if (MPI_Bcast(first, (int)meta[0], MPI_CHAR, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the first line of %s failed", path);
        goto cleanup;
    }
    lay.first_offset = meta[1];
    lay.first_line = meta[2];

    /* The same layout on every rank; only memory can fail differently. */
    rc = make_layout(ctx, path, opt, first, (size_t)meta[0], &lay);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto cleanup;

    rows.p = lay.p;
    rc = parse_part(ctx, &lay, br, &rows, &err);
    rc = lariat_byterange_agree(ctx, path, br, rc, &err);
    if (rc != LARIAT_OK) goto cleanup;

    /* Hand the rows to a dataset (a rank without rows still has arrays). */
    /* Made for no rows, then given the rows' y and w: arrays of n_local
    ** made only to be freed would cost a page fault per 4 KiB. */
    rc = lariat_data_alloc(ctx, 0, lay.p, &d);
    if (rc == LARIAT_OK && rows.cap == 0) rc = rows_resize(ctx, &rows, 1);
    if (rc == LARIAT_OK) {
        free(d->y);
        free(d->w);
        d->n_local = rows.n;
        d->y = rows.y;
        d->w = rows.w;
        rows.y = rows.w = NULL;
        d->has_weights = (lay.weights >= 0);
        for (int64_t f = 0; lay.header && f < lay.nfields && rc == LARIAT_OK; f++) {
            int64_t j = lay.dest[f];
            if (j < 0 || lay.fields[f][0] == '\0') continue;
            free(d->feature_names[j]);
            d->feature_names[j] = lay.fields[f];
            lay.fields[f] = NULL;
        }
        rc = lariat_matrix_wrap_dense(ctx, rows.n, lay.p, rows.x, &d->X);
        rows.x = NULL; /* owned by the matrix, or freed on its failure */
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_read_finish(ctx, path, d);

cleanup:
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        d = NULL;
    }
    free(rows.x);
    free(rows.y);
    free(rows.w);
    free(first);
    layout_free(&lay);
    lariat_byterange_close(br);
    *out = d;
    return rc;
}

int lariat_csv_row_line(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, int64_t row,
                        int64_t *line)
{
    *line = 0;
    csv_layout lay = {.delim = opt->delimiter, .trim = !is_space(opt->delimiter)};
    lariat_byterange *br = NULL;
    char *first = NULL;
    long long meta[3] = {-1, 0, 0};
    /* The header is decided as lariat_csv_read decides it, from the first
    ** non-blank line and the same options. */
    int rc = read_first_line(ctx, path, &first, meta);
    if (rc == LARIAT_OK && meta[0] < 0) rc = lariat_error(ctx, LARIAT_EDATA, "%s: no data rows", path);
    if (rc == LARIAT_OK) {
        lay.first_offset = meta[1];
        rc = make_layout(ctx, path, opt, first, (size_t)meta[0], &lay);
    }
    if (rc == LARIAT_OK) rc = lariat_byterange_open(ctx, path, 0, 1, 0, &br);
    /* The data rows are the non-blank lines but the header, as parse_part counts them. */
    int64_t seen = 0;
    while (rc == LARIAT_OK) {
        const char *text;
        size_t len;
        int64_t offset;
        rc = lariat_byterange_next(ctx, br, &text, &len, &offset);
        if (rc != LARIAT_OK || text == NULL) break;
        if (len == 0 || (lay.header && offset == lay.first_offset)) continue;
        if (seen++ == row) {
            *line = lariat_byterange_lines(br);
            break;
        }
    }
    if (rc == LARIAT_OK && *line == 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: has no data row %lld (0-based)", path, (long long)row);
    }
    lariat_byterange_close(br);
    free(first);
    layout_free(&lay);
    return rc;
}
