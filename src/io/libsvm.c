/*
** The LIBSVM/svmlight reader: "label idx:value idx:value ...", one row per
** line, 1-based strictly increasing indices, kept sparse (CSR with 0-based
** int32 column indices and int64 row pointers).
**
** Each rank parses the lines of its own byte range, stopping at its first
** error; the ranks agree on the first error in file order, then on p (the
** largest index anywhere, unless the caller gives the number of features).
** As in svmlight, "#" starts a comment and a "qid:N" token is ignored; blank
** and comment-only lines are skipped. Fields in messages are the 1-based
** whitespace-separated tokens of the line, the label being field 1.
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

#include <stdlib.h>
#include <string.h>

/* Growable CSR storage for this rank. */
typedef struct svm_rows {
    int64_t n, cap;      /* rows, and room for rows (y has cap, rowptr cap + 1) */
    int64_t nnz, nnz_cap;
    int64_t max_index;   /* largest 1-based index seen */
    double *y;
    int64_t *rowptr;
    int32_t *colind;
    double *val;
} svm_rows;

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Not collective. The entries that the rows moved onto tile boundaries
** (room_rows of them, data/tiles.h) may bring, for a part of n rows and nnz
** entries: twice their average, as rows vary. */
static int64_t room_entries(int64_t room_rows, int64_t n, int64_t nnz)
{
    return n > 0 ? room_rows * 2 * (nnz / n + 1) : 0;
}

/* Not collective. Room for one more row and for nnz_more more entries; the
** first call sizes both for the whole part, from the lines and the colons
** in its first MiB (lariat_byterange_estimate) plus a margin plus the room
** of the move onto tile boundaries, and later ones grow them by half: each
** growth may copy what was read so far. */
static int rows_reserve(lariat_ctx *ctx, const lariat_byterange *br, svm_rows *r, int64_t nnz_more)
{
    if (r->n == r->cap) {
        const int64_t lines = lariat_byterange_estimate(br, '\n') + 1;
        const int64_t room = lariat_tile_shift_room(lines, 0, lariat_ctx_size(ctx));
        int64_t cap = r->cap == 0 ? lines + lines / 64 + 64 + room : r->cap + r->cap / 2;
        double *y = realloc(r->y, (size_t)cap * sizeof(double));
        if (y != NULL) r->y = y;
        int64_t *rowptr = realloc(r->rowptr, (size_t)(cap + 1) * sizeof(int64_t));
        if (rowptr != NULL) r->rowptr = rowptr;
        if (y == NULL || rowptr == NULL) return lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading rows");
        if (r->cap == 0) r->rowptr[0] = 0;
        r->cap = cap;
    }
    if (r->nnz + nnz_more > r->nnz_cap) {
        const int64_t colons = lariat_byterange_estimate(br, ':');
        const int64_t lines = lariat_byterange_estimate(br, '\n') + 1;
        const int64_t room = lariat_tile_shift_room(lines, 0, lariat_ctx_size(ctx));
        int64_t cap = r->nnz_cap == 0 ? colons + colons / 64 + 1024 + room_entries(room, lines, colons)
                                      : r->nnz_cap + r->nnz_cap / 2;
        if (cap < r->nnz + nnz_more) cap = r->nnz + nnz_more;
        int32_t *colind = realloc(r->colind, (size_t)cap * sizeof(int32_t));
        if (colind != NULL) r->colind = colind;
        double *val = realloc(r->val, (size_t)cap * sizeof(double));
        if (val != NULL) r->val = val;
        /* Before the entries are written: fresh pages cost a fault each (core/memory.h). */
        lariat_advise_huge(colind, (size_t)cap * sizeof(int32_t));
        lariat_advise_huge(val, (size_t)cap * sizeof(double));
        if (colind == NULL || val == NULL) {
            return lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading %lld nonzeros", (long long)cap);
        }
        r->nnz_cap = cap;
    }
    return LARIAT_OK;
}

/* Not collective. The end of the whitespace-delimited token at p. */
static const char *token_end(const char *p, const char *end)
{
    while (p < end && !is_space(*p)) p++;
    return p;
}

/* Not collective. The 1-based field of the token that starts at t on the
** line that starts at s: one more than the tokens before it (the label is
** field 1). Only for messages: the parser does not count as it goes. */
static int64_t field_of(const char *s, const char *t)
{
    int64_t tokens = 0;
    for (const char *p = s; p < t; p++) tokens += !is_space(*p) && (p == s || is_space(p[-1]));
    return tokens + 1;
}

/* Not collective. Records what is wrong with the token at t (field `field`)
** whose index part did not parse: not index:value at all, or a bad index. */
static int index_error(const lariat_byterange *br, lariat_line_error *err, int64_t field, const char *t,
                       const char *end)
{
    char quote[48];
    const char *te = token_end(t, end);
    const char *colon = memchr(t, ':', (size_t)(te - t));
    if (colon == NULL || colon == t) {
        return lariat_line_error_set(br, err, field, "expected index:value, found '%s'",
                                     lariat_read_excerpt(quote, t, (size_t)(te - t)));
    }
    return lariat_line_error_set(br, err, field, "feature index is not a positive integer: '%s'",
                                 lariat_read_excerpt(quote, t, (size_t)(colon - t)));
}

/* Not collective. Records what is wrong with the number at t (field
** `field`, the label when what is "label: "). */
static int number_error(const lariat_byterange *br, lariat_line_error *err, int64_t field, const char *what,
                        const char *t, const char *end)
{
    char quote[48];
    const char *te = token_end(t, end);
    double v;
    int code = lariat_numparse_field(t, (size_t)(te - t), &v);
    return lariat_line_error_set(br, err, field, "%s%s: '%s'", what,
                                 lariat_numparse_strerror(code == LARIAT_NUM_OK ? LARIAT_NUM_SYNTAX : code),
                                 lariat_read_excerpt(quote, t, (size_t)(te - t)));
}

/* Not collective. The number at p (p < end) through the inline fast path,
** or lariat_numparse when it declines; 1 when it is a number that ends at a
** space or the end of the line. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int svm_number(const lariat_pow5 *pow5, const char *p, const char *end, double *v, const char **stop)
{
    if (!lariat_numparse_fast(pow5, p, end, v, stop) && lariat_numparse(p, end, v, stop) != LARIAT_NUM_OK) return 0;
    return *stop == end || is_space(**stop);
}

/* Not collective. Parses one non-blank line (comment removed; padded,
** byterange.h) as a row. One pass: each number is parsed where it starts
** and must end at a space or the end of the line; the slow paths above
** only word the errors. */
static int parse_row(lariat_ctx *ctx, const lariat_pow5 *pow5, const lariat_byterange *br, int64_t n_features,
                     const char *s, size_t len, svm_rows *r, lariat_line_error *err)
{
    const char *p = s, *end = s + len, *stop;
    /* At most one entry per two bytes ("1:2 " is the shortest but for "i:v"). */
    int rc = rows_reserve(ctx, br, r, (int64_t)(len / 2) + 1);
    if (rc != LARIAT_OK) return rc;

    while (p < end && is_space(*p)) p++;
    double label;
    if (p == end || !svm_number(pow5, p, end, &label, &stop)) return number_error(br, err, 1, "label: ", p, end);
    int64_t nnz = r->nnz, prev = 0;
    int32_t *const colind = r->colind;
    double *const val = r->val;
    /* Indices above this are errors (the caller's number of features, or
    ** what an int32 column index holds). */
    const uint64_t most = n_features > 0 ? (uint64_t)n_features : (uint64_t)INT32_MAX + 1;
    p = stop;
    for (;;) {
        while (p < end && is_space(*p)) p++;
        if (p == end) break;
        /* The index: decimal digits only (the byte at the line's end is not
        ** one), saturated far above INT32_MAX when longer than 10. */
        const char *t = p;
        uint64_t index = 0;
#ifdef LARIAT_NUMPARSE_SSE2
        /* Up to 7 digits from one 8-byte load (the padding makes it
        ** readable), shifted to the top of the word: numparse_fast.h. */
        uint64_t x;
        memcpy(&x, p, 8);
        const uint64_t bad = lariat_nondigit_bytes(x);
        const int k = bad != 0 ? __builtin_ctzll(bad) >> 3 : 8;
        if (k > 0 && k < 8) {
            index = lariat_eight_value((x - 0x3030303030303030ULL) << (64 - 8 * k));
            p += k;
        }
#endif
        if (p == t) {
            for (; (unsigned)(*p - '0') < 10; p++) index = index * 10 + (unsigned)(*p - '0');
            if (p - t > 10) index = (uint64_t)INT32_MAX + 2;
        }
        if (p == t || *p != ':') {
            if (end - t >= 4 && memcmp(t, "qid:", 4) == 0) { /* svmlight's query id: not a feature */
                p = token_end(t, end);
                continue;
            }
            return index_error(br, err, field_of(s, t), t, end);
        }
        if (index - 1 >= most || (int64_t)index <= prev) {
            /* index - 1 wraps for index 0. */
            const int64_t field = field_of(s, t);
            if (index == 0) return lariat_line_error_set(br, err, field, "feature index 0: indices start at 1");
            if ((int64_t)index <= prev) {
                return lariat_line_error_set(br, err, field, "feature index %lld after %lld: indices must increase",
                                             (long long)index, (long long)prev);
            }
            if (index > (uint64_t)INT32_MAX + 1) {
                return lariat_line_error_set(br, err, field, "feature index %.*s is too large (at most %lld)",
                                             (int)(p - t), t, (long long)INT32_MAX + 1);
            }
            return lariat_line_error_set(br, err, field, "feature index %lld is above the number of features (%lld)",
                                         (long long)index, (long long)n_features);
        }
        double v;
        p++; /* the colon */
        if (p == end || !svm_number(pow5, p, end, &v, &stop)) return number_error(br, err, field_of(s, t), "", p, end);
        colind[nnz] = (int32_t)(index - 1);
        val[nnz++] = v;
        prev = (int64_t)index;
        p = stop;
    }
    if (prev > r->max_index) r->max_index = prev;
    r->y[r->n++] = label;
    r->nnz = nnz;
    r->rowptr[r->n] = nnz;
    return LARIAT_OK;
}

/* Not collective. Parses this rank's lines into r. */
static int parse_part(lariat_ctx *ctx, lariat_byterange *br, int64_t n_features, svm_rows *r,
                      lariat_line_error *err)
{
    const lariat_pow5 *pow5 = lariat_pow5_table();
    int rc = LARIAT_OK;
    while (rc == LARIAT_OK) {
        const char *line;
        size_t len;
        rc = lariat_byterange_next(ctx, br, &line, &len, NULL);
        if (rc != LARIAT_OK || line == NULL) break;
        const char *hash = memchr(line, '#', len);
        if (hash != NULL) len = (size_t)(hash - line);
        size_t k = 0;
        while (k < len && is_space(line[k])) k++;
        if (k == len) continue; /* blank or comment only */
        rc = parse_row(ctx, pow5, br, n_features, line, len, r, err);
    }
    /* A part without rows still has its arrays (and rowptr[0] = 0). */
    if (rc == LARIAT_OK && r->cap == 0) rc = rows_reserve(ctx, br, r, 1);
    /* Give back the spare room for entries but the room of the move onto
    ** tile boundaries (shrinking keeps the data in place). */
    const int64_t room = lariat_tile_shift_room(r->n, 0, lariat_ctx_size(ctx));
    const int64_t keep = r->nnz + room_entries(room, r->n, r->nnz);
    if (rc == LARIAT_OK && r->nnz > 0 && keep < r->nnz_cap) {
        int32_t *colind = realloc(r->colind, (size_t)keep * sizeof(int32_t));
        if (colind != NULL) r->colind = colind;
        double *val = realloc(r->val, (size_t)keep * sizeof(double));
        if (val != NULL) r->val = val;
        if (colind != NULL && val != NULL) r->nnz_cap = keep;
    }
    return rc;
}

int lariat_libsvm_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out)
{
    *out = NULL;
    svm_rows rows = {0};
    lariat_byterange *br = NULL;
    lariat_data *d = NULL;
    lariat_line_error err = {0};
    MPI_Comm comm = lariat_ctx_comm(ctx);

    int rc = lariat_byterange_open(ctx, path, lariat_ctx_rank(ctx), lariat_ctx_size(ctx), 0, &br);
    if (rc == LARIAT_OK) rc = parse_part(ctx, br, opt->n_features, &rows, &err);
    rc = lariat_byterange_agree(ctx, path, br, rc, &err);
    if (rc != LARIAT_OK) goto cleanup;

    /* p: the largest index on any rank, unless given; and the row count,
    ** to tell "no rows" from "no features". */
    long long mine[2] = {(long long)rows.max_index, (long long)rows.n}, all[2];
    if (MPI_Allreduce(&mine[0], &all[0], 1, MPI_LONG_LONG, MPI_MAX, comm) != MPI_SUCCESS ||
        MPI_Allreduce(&mine[1], &all[1], 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce failed while sizing %s", path);
        goto cleanup;
    }
    int64_t p = opt->n_features > 0 ? opt->n_features : (int64_t)all[0];
    if (all[1] == 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: no data rows", path);
        goto cleanup;
    }
    if (p == 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: no features: every row is empty", path);
        goto cleanup;
    }

    rc = lariat_data_alloc(ctx, rows.n, p, &d);
    if (rc == LARIAT_OK) {
        free(d->y);
        d->y = rows.y;
        rows.y = NULL;
        rc = lariat_matrix_wrap_csr(ctx, rows.n, p, rows.rowptr, rows.colind, rows.val, &d->X);
        rows.rowptr = NULL; /* owned by the matrix, or freed on its failure */
        rows.colind = NULL;
        rows.val = NULL;
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_read_finish(ctx, path, d);

cleanup:
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        d = NULL;
    }
    free(rows.y);
    free(rows.rowptr);
    free(rows.colind);
    free(rows.val);
    lariat_byterange_close(br);
    *out = d;
    return rc;
}

int lariat_libsvm_row_line(lariat_ctx *ctx, const char *path, int64_t row, int64_t *line)
{
    *line = 0;
    lariat_byterange *br = NULL;
    int rc = lariat_byterange_open(ctx, path, 0, 1, 0, &br);
    /* The data rows are the lines with more than blanks before any '#', as
    ** parse_part counts them. */
    int64_t seen = 0;
    while (rc == LARIAT_OK) {
        const char *text;
        size_t len;
        rc = lariat_byterange_next(ctx, br, &text, &len, NULL);
        if (rc != LARIAT_OK || text == NULL) break;
        const char *hash = memchr(text, '#', len);
        if (hash != NULL) len = (size_t)(hash - text);
        size_t k = 0;
        while (k < len && is_space(text[k])) k++;
        if (k == len) continue;
        if (seen++ == row) {
            *line = lariat_byterange_lines(br);
            break;
        }
    }
    if (rc == LARIAT_OK && *line == 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: has no data row %lld (0-based)", path, (long long)row);
    }
    lariat_byterange_close(br);
    return rc;
}
