/*
** One rank's share of a text file, read line by line.
**
** Part r of P nominally owns the bytes [r*size/P, (r+1)*size/P) and reads the
** lines whose first byte lies there. A line starts at byte 0 or just after a
** '\n', so each part finds its first line and the first line of the next part
** on its own, with a few small reads, and the parts tile the file exactly
** without talking to each other. A part whose bytes all belong to one long
** line that started before it holds no lines.
**
** The lines are read with pread in chunks (4 MiB by default), so no rank ever
** holds more than a chunk plus the longest line, never the whole file.
**
** Parse errors are found where a rank knows only its local line numbers; they
** are recorded in a lariat_line_error and turned into "FILE:LINE:FIELD: text"
** by lariat_byterange_agree, which learns the global line numbers from the
** other parts.
*/
#ifndef LARIAT_BYTERANGE_H
#define LARIAT_BYTERANGE_H

#include "lariat.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lariat_byterange lariat_byterange;

/* Not collective. Opens path and finds the lines of part `part` of `nparts`.
** chunk is the read size in bytes (0 = the default). A missing, unreadable or
** non-regular file is LARIAT_EDATA ("FILE: cannot open: reason"); read
** failures are LARIAT_EIO. *out is NULL on failure. */
int lariat_byterange_open(lariat_ctx *ctx, const char *path, int part, int nparts, size_t chunk,
                          lariat_byterange **out);

/* Not collective. Closes the file and frees the buffer. NULL is a no-op. */
void lariat_byterange_close(lariat_byterange *br);

/* Not collective. The next line of this part, without its '\n' and without a
** '\r' before it (CRLF files), in *line (valid until the next call) and *len;
** *line is NULL after the last line. The last line of the file may lack its
** '\n'; a UTF-8 byte order mark at the start of the file is dropped.
** *offset (may be NULL) receives the line's first byte in the file.
** Returns LARIAT_EIO on a read failure, LARIAT_ENOMEM when a long line
** cannot be buffered.
** The line is padded for the fast number parser (io/numparse_fast.h): the
** LARIAT_NUMPARSE_PAD_BEFORE bytes before it and LARIAT_NUMPARSE_PAD_AFTER
** after its end are readable, and the byte at its end is '\n', '\r' or
** '\0' (a last line without its '\n'). */
int lariat_byterange_next(lariat_ctx *ctx, lariat_byterange *br, const char **line, size_t *len,
                          int64_t *offset);

/* Not collective. The size of the file in bytes; the first and one past the
** last byte of this part's lines (equal when it holds none); the number of
** lines returned so far by lariat_byterange_next. */
int64_t lariat_byterange_file_size(const lariat_byterange *br);
int64_t lariat_byterange_begin(const lariat_byterange *br);
int64_t lariat_byterange_end(const lariat_byterange *br);
int64_t lariat_byterange_lines(const lariat_byterange *br);

/* Not collective. An estimate of how many bytes equal to c this part holds
** (c = '\n': its lines, give or take the last), extrapolated from the bytes
** lariat_byterange_next has buffered (at most a MiB of them is counted) at
** the rate of the bytes through the last c counted: exact when the whole
** part is in the buffer, 0 before the first call.
** For sizing the readers' arrays once, instead of growing them as rows come
** (each growth may copy everything read so far). */
int64_t lariat_byterange_estimate(const lariat_byterange *br, char c);

/* A data error found on this rank: where (the local 1-based line number, as
** counted by lariat_byterange_lines, and the 1-based field, 0 = no field) and
** what, without the location. line == 0 means no error. */
typedef struct lariat_line_error {
    int64_t line;
    int64_t field;
    char text[400];
} lariat_line_error;

/* Not collective. Records the error of the line just returned by
** lariat_byterange_next (field 0 = the whole line) and returns LARIAT_EDATA. */
int lariat_line_error_set(const lariat_byterange *br, lariat_line_error *err, int64_t field,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Collective. Every rank passes its status (rc) after reading its part. Adds
** the lines of the parts before this one (an exclusive scan of the local line
** counts) to make err's line global, formats the message "PATH:LINE:FIELD:
** text" (or "PATH:LINE: text") when rc is LARIAT_EDATA and err->line > 0, and
** agrees on the status (lariat_agree). Parts are in file order, so the lowest
** failing rank, whose message lariat_agree keeps, holds the error with the
** smallest line number; the ranks before it read all their lines, so its
** line number is exact. br may be NULL on a rank that could not open the file
** (it counts no lines). */
int lariat_byterange_agree(lariat_ctx *ctx, const char *path, const lariat_byterange *br, int rc,
                           const lariat_line_error *err);

#endif /* LARIAT_BYTERANGE_H */
