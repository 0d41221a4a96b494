/*
** A part of a text file aligned to line starts, read in chunks with pread
** (see byterange.h), and the agreement on the first parse error.
*/
#include "io/byterange.h"

#include "core/core.h"
#include "core/memory.h"
#include "io/numparse_fast.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DEFAULT_CHUNK ((size_t)4 << 20)

/* Readable bytes around the buffer's contents (byterange.h): the fast
** number parser's padding, zeros where no file bytes are. */
#define PAD_BEFORE LARIAT_NUMPARSE_PAD_BEFORE
#define PAD_AFTER LARIAT_NUMPARSE_PAD_AFTER

struct lariat_byterange {
    const char *path; /* the caller's string, for messages */
    int fd;
    int64_t size;
    int64_t begin, end; /* this part's lines are the bytes [begin, end) */
    int64_t next;       /* file offset of the next byte to read into buf */
    char *mem;          /* PAD_BEFORE + cap + PAD_AFTER bytes */
    char *buf;          /* mem + PAD_BEFORE: cap bytes */
    size_t cap;
    size_t head, fill;  /* unread bytes are buf[head, fill) */
    size_t scanned;     /* buf[head, scanned) holds no '\n' */
    int64_t buf_offset; /* file offset of buf[0] */
    int64_t lines;
};

/* Not collective. Reads exactly n bytes at offset off, retrying short reads. */
static int read_at(lariat_ctx *ctx, const lariat_byterange *br, char *dst, size_t n, int64_t off)
{
    while (n > 0) {
        ssize_t got = pread(br->fd, dst, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return lariat_error(ctx, LARIAT_EIO, "%s: read failed: %s", br->path, strerror(errno));
        if (got == 0) return lariat_error(ctx, LARIAT_EIO, "%s: file shrank while being read", br->path);
        dst += got;
        n -= (size_t)got;
        off += got;
    }
    return LARIAT_OK;
}

/* Not collective. The first line start at or after byte a: 0 for a = 0, else
** one past the first '\n' at or after byte a - 1, or the file size. Reads
** through buf (its contents are not kept). */
static int line_start(lariat_ctx *ctx, lariat_byterange *br, int64_t a, int64_t *out)
{
    if (a <= 0 || a >= br->size) {
        *out = a <= 0 ? 0 : br->size;
        return LARIAT_OK;
    }
    for (int64_t pos = a - 1; pos < br->size;) {
        size_t n = br->cap;
        if ((int64_t)n > br->size - pos) n = (size_t)(br->size - pos);
        int rc = read_at(ctx, br, br->buf, n, pos);
        if (rc != LARIAT_OK) return rc;
        const char *nl = memchr(br->buf, '\n', n);
        if (nl != NULL) {
            *out = pos + (nl - br->buf) + 1;
            return LARIAT_OK;
        }
        pos += (int64_t)n;
    }
    *out = br->size;
    return LARIAT_OK;
}

int lariat_byterange_open(lariat_ctx *ctx, const char *path, int part, int nparts, size_t chunk,
                          lariat_byterange **out)
{
    *out = NULL;
    int rc = LARIAT_OK;
    lariat_byterange *br = lariat_calloc(ctx, 1, sizeof(*br), "file reader");
    if (br == NULL) return LARIAT_ENOMEM;
    br->path = path;
    br->fd = open(path, O_RDONLY);
    struct stat sb;
    if (br->fd < 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    if (fstat(br->fd, &sb) != 0) {
        rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: not a regular file", path);
        goto cleanup;
    }
    br->size = (int64_t)sb.st_size;

    /* A small file needs no more buffer than its size (plus one byte so that
    ** the buffer is never empty); a long line grows the buffer later. */
    br->cap = chunk > 0 ? chunk : DEFAULT_CHUNK;
    if ((int64_t)br->cap > br->size + 1) br->cap = (size_t)br->size + 1;
    br->mem = lariat_malloc(ctx, PAD_BEFORE + br->cap + PAD_AFTER, 1, "file buffer");
    if (br->mem == NULL) {
        rc = LARIAT_ENOMEM;
        goto cleanup;
    }
    lariat_advise_huge(br->mem, PAD_BEFORE + br->cap + PAD_AFTER);
    memset(br->mem, 0, PAD_BEFORE);
    br->buf = br->mem + PAD_BEFORE;

    /* Nominal bounds floor(r * size / P), computed without overflowing. */
    int64_t q = br->size / nparts, r = br->size % nparts;
    int64_t a = part * q + (int64_t)part * r / nparts;
    int64_t b = (part + 1) * q + (int64_t)(part + 1) * r / nparts;
    rc = line_start(ctx, br, a, &br->begin);
    if (rc == LARIAT_OK) rc = line_start(ctx, br, b, &br->end);
    if (rc != LARIAT_OK) goto cleanup;
    br->next = br->buf_offset = br->begin;

cleanup:
    if (rc != LARIAT_OK) {
        lariat_byterange_close(br);
        return rc;
    }
    *out = br;
    return LARIAT_OK;
}

void lariat_byterange_close(lariat_byterange *br)
{
    if (br == NULL) return;
    if (br->fd >= 0) close(br->fd);
    free(br->mem);
    free(br);
}

int lariat_byterange_next(lariat_ctx *ctx, lariat_byterange *br, const char **line, size_t *len,
                          int64_t *offset)
{
    *line = NULL;
    *len = 0;
    for (;;) {
        char *nl = memchr(br->buf + br->scanned, '\n', br->fill - br->scanned);
        if (nl != NULL || (br->next >= br->end && br->head < br->fill)) {
            /* A whole line, or the last line of the file without its '\n'. */
            char *start = br->buf + br->head;
            char *stop = nl != NULL ? nl : br->buf + br->fill;
            if (offset != NULL) *offset = br->buf_offset + (int64_t)br->head;
            br->head = br->scanned = (size_t)(stop - br->buf) + (nl != NULL);
            if (stop > start && stop[-1] == '\r') stop--;
            /* A UTF-8 byte order mark (spreadsheet exports) is not data. */
            if (br->buf_offset + (int64_t)(start - br->buf) == 0 && stop - start >= 3 &&
                memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
                start += 3;
            }
            *line = start;
            *len = (size_t)(stop - start);
            br->lines++;
            return LARIAT_OK;
        }
        if (br->next >= br->end) return LARIAT_OK; /* no more lines */

        /* Move the partial line to the front, grow the buffer if the line
        ** fills it, and read the next chunk behind it. */
        size_t keep = br->fill - br->head;
        if (br->head > 0) {
            memmove(br->buf, br->buf + br->head, keep);
            br->buf_offset += (int64_t)br->head;
            br->head = 0;
            br->fill = keep;
        }
        br->scanned = br->fill;
        if (br->fill == br->cap) {
            if (br->cap > SIZE_MAX / 2) return lariat_error(ctx, LARIAT_ENOMEM, "%s: line too long", br->path);
            char *bigger = realloc(br->mem, PAD_BEFORE + br->cap * 2 + PAD_AFTER);
            if (bigger == NULL) {
                return lariat_error(ctx, LARIAT_ENOMEM, "%s: out of memory buffering a line of more than %zu bytes",
                                    br->path, br->cap);
            }
            br->mem = bigger;
            br->buf = bigger + PAD_BEFORE;
            br->cap *= 2;
        }
        size_t want = br->cap - br->fill;
        if ((int64_t)want > br->end - br->next) want = (size_t)(br->end - br->next);
        int rc = read_at(ctx, br, br->buf + br->fill, want, br->next);
        if (rc != LARIAT_OK) return rc;
        br->fill += want;
        br->next += (int64_t)want;
        /* Zeros after the contents: the last line may end there, and its
        ** reader may look a little beyond it. */
        memset(br->buf + br->fill, 0, PAD_AFTER);
    }
}

int64_t lariat_byterange_estimate(const lariat_byterange *br, char c)
{
    /* The buffer holds bytes [buf_offset, buf_offset + fill) of the part. */
    const int64_t part = br->end - br->begin;
    const int64_t seen = br->fill < ((size_t)1 << 20) ? (int64_t)br->fill : (int64_t)1 << 20;
    if (seen == 0) return 0;
    int64_t count = 0, i = 0;
#if defined(__SSE2__)
    /* 16 bytes at a time: each match subtracts -1 from its byte's counter,
    ** and the counters are summed before they can overflow. */
    const __m128i key = _mm_set1_epi8(c), zero = _mm_setzero_si128();
    while (seen - i >= 16) {
        __m128i acc = zero;
        for (int k = 0; k < 255 && seen - i >= 16; k++, i += 16) {
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const void *)(br->buf + i)), key));
        }
        const __m128i sums = _mm_sad_epu8(acc, zero);
        count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#endif
    for (; i < seen; i++) count += br->buf[i] == c;
    if (seen >= part || count == 0) return count;
    /* Extrapolate from the bytes through the last c counted, not from all
    ** of them: the bytes after it are part of the next line, which the
    ** count leaves out. With long lines that is a large part of the
    ** sample: a MiB of 200 KB rows holds 5.2 of them and counts 5, and the
    ** array sized 4% short then grew, moved by mremap (data/tiles.h: on
    ** this VM every moved page faults again, and the moved block lost its
    ** huge pages), which made the first passes over it 3-6x slower. */
    int64_t last = seen - 1;
    while (br->buf[last] != c) last--;
    return (int64_t)((double)count * ((double)part / (double)(last + 1)));
}

int64_t lariat_byterange_file_size(const lariat_byterange *br) { return br->size; }
int64_t lariat_byterange_begin(const lariat_byterange *br) { return br->begin; }
int64_t lariat_byterange_end(const lariat_byterange *br) { return br->end; }
int64_t lariat_byterange_lines(const lariat_byterange *br) { return br->lines; }

int lariat_line_error_set(const lariat_byterange *br, lariat_line_error *err, int64_t field, const char *fmt, ...)
{
    err->line = br->lines;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return LARIAT_EDATA;
}

int lariat_byterange_agree(lariat_ctx *ctx, const char *path, const lariat_byterange *br, int rc,
                           const lariat_line_error *err)
{
    long long mine = br != NULL ? (long long)br->lines : 0, before = 0;
    if (MPI_Exscan(&mine, &before, 1, MPI_LONG_LONG, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Exscan failed while numbering the lines of %s", path);
    }
    if (lariat_ctx_rank(ctx) == 0) before = 0; /* MPI_Exscan leaves rank 0's result undefined */
    if (rc == LARIAT_EDATA && err != NULL && err->line > 0) {
        long long line = before + (long long)err->line;
        if (err->field > 0) {
            lariat_error(ctx, rc, "%s:%lld:%lld: %s", path, line, (long long)err->field, err->text);
        } else {
            lariat_error(ctx, rc, "%s:%lld: %s", path, line, err->text);
        }
    }
    return lariat_agree(ctx, rc);
}
