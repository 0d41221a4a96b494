/*
** The format readers behind lariat_data_read (read.c) and the steps they
** share. Each reader reads this rank's byte range of the file (byterange.h),
** agrees on the first error, and hands a dataset of this rank's rows to
** lariat_read_finish.
**
** Data errors are LARIAT_EDATA with one message "FILE:LINE:FIELD: text", LINE
** the 1-based line number in the whole file and FIELD the 1-based field on
** that line (CSV: the column; LIBSVM: the whitespace-separated token, the
** label being 1), or "FILE:LINE: text" or "FILE: text" when no field or line
** applies.
*/
#ifndef LARIAT_READ_H
#define LARIAT_READ_H

#include "lariat.h"

/* Collective. Reads a CSV file of numbers (SPEC.md section 5): the header,
** the field count and the label and weights columns come from the first
** non-blank line, read by rank 0 and broadcast; blank lines are skipped
** everywhere. X is dense. */
int lariat_csv_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out);

/* Collective. Reads a LIBSVM/svmlight file ("label idx:value ...", 1-based
** strictly increasing indices; "#" starts a comment, "qid:N" is ignored) into
** CSR storage; p is opt->n_features or else the largest index on any rank. */
int lariat_libsvm_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out);

/* Not collective. The 1-based line (in the whole file) of data row `row`
** (0-based, in file order, as the reader numbers rows) of a CSV file read
** with opt, or of a LIBSVM file: a scan from the start that skips the
** header and the blank (LIBSVM: also comment-only) lines as the readers do.
** For messages on an error path: it reads the file up to that row.
** LARIAT_EDATA when the file has no such row (it changed), or the errors of
** reading it. */
int lariat_csv_row_line(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, int64_t row,
                        int64_t *line);
int lariat_libsvm_row_line(lariat_ctx *ctx, const char *path, int64_t row, int64_t *line);

/* Collective. Where data row `row` (global, 0-based, file order) of path is,
** for a message about that row, into buf (len bytes): "PATH:LINE" for CSV and
** LIBSVM, LINE found by rank 0 (lariat_csv_row_line, lariat_libsvm_row_line)
** and broadcast; "PATH: /y[ROW] (row ROW, 0-based)" for HDF5, as the HDF5
** reader names a value of /y. When the line cannot be found (the file
** changed or cannot be read again), "PATH: row ROW (0-based)": the caller is
** already reporting an error, which this one must not replace. Returns
** LARIAT_OK, or LARIAT_EMPI when the broadcast fails. opt NULL = defaults. */
int lariat_data_row_where(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, int64_t row, char *buf,
                          size_t len);

/* Collective. Every rank passes its dataset (n_local and p set): numbers the
** rows globally and checks that there are rows and that the weights sum to
** more than zero. The caller destroys d on failure. */
int lariat_read_finish(lariat_ctx *ctx, const char *path, lariat_data *d);

/* Not collective. Writes at most 40 characters of [s, s + len) into buf
** (at least 48 bytes), with "..." when cut, for quoting a field in messages. */
const char *lariat_read_excerpt(char *buf, const char *s, size_t len);

#endif /* LARIAT_READ_H */
