/*
** The context: a duplicate of the caller's communicator (PETSc's rule: a
** library never talks on its caller's communicator), the last error message,
** and the verbosity.
*/
#include "core/core.h"
#include "core/memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LARIAT_ERRMSG_MAX 1024

struct lariat_ctx {
    MPI_Comm comm;
    int rank;
    int size;
    int verbosity;
    char errmsg[LARIAT_ERRMSG_MAX];
    void *scratch;        /* lariat_scratch's buffer, kept between calls */
    size_t scratch_bytes;
};

static const struct {
    int exit_code;
    const char *message;
} status_table[] = {
#define LARIAT_X_ROW(name, code, msg) {code, msg},
    LARIAT_STATUS_TABLE(LARIAT_X_ROW)
#undef LARIAT_X_ROW
};

int lariat_status_exit_code(int status)
{
    if (status < 0 || status >= LARIAT_STATUS_COUNT) return 3;
    return status_table[status].exit_code;
}

const char *lariat_status_string(int status)
{
    if (status < 0 || status >= LARIAT_STATUS_COUNT) return "unknown status";
    return status_table[status].message;
}

int lariat_ctx_create(MPI_Comm comm, lariat_ctx **out)
{
    *out = NULL;
    lariat_ctx *ctx = calloc(1, sizeof(*ctx));
    /* Every rank must reach MPI_Comm_dup; agree on the allocation first. */
    int failed = (ctx == NULL), any_failed = 0;
    if (MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS || any_failed) {
        free(ctx);
        return any_failed ? LARIAT_ENOMEM : LARIAT_EMPI;
    }
    if (MPI_Comm_dup(comm, &ctx->comm) != MPI_SUCCESS) {
        free(ctx);
        return LARIAT_EMPI;
    }
    MPI_Comm_rank(ctx->comm, &ctx->rank);
    MPI_Comm_size(ctx->comm, &ctx->size);
    ctx->verbosity = LARIAT_LOG_NORMAL;
    *out = ctx;
    return LARIAT_OK;
}

int lariat_ctx_create_f(MPI_Fint comm, lariat_ctx **out)
{
    *out = NULL;
    /* MPI-2 (section 4.12.4) lets MPI_Comm_f2c return "an invalid C
    ** handle" for a Fortran handle that names no communicator: Open MPI's is
    ** a null pointer, hence the second test (0 in MPICH, where handles are
    ** ints, names no communicator either). MPI_COMM_NULL has nothing to
    ** duplicate. */
    MPI_Comm c = MPI_Comm_f2c(comm);
    if (c == MPI_COMM_NULL || c == (MPI_Comm)0) return LARIAT_EUSAGE;
    return lariat_ctx_create(c, out);
}

void lariat_ctx_destroy(lariat_ctx *ctx)
{
    if (ctx == NULL) return;
    MPI_Comm_free(&ctx->comm);
    lariat_free_huge(ctx->scratch, ctx->scratch_bytes);
    free(ctx);
}

void *lariat_scratch(lariat_ctx *ctx, size_t bytes, const char *what)
{
    if (bytes <= ctx->scratch_bytes) return ctx->scratch;
    lariat_free_huge(ctx->scratch, ctx->scratch_bytes);
    ctx->scratch_bytes = 0;
    /* Large scratch (a Gram's binned sums, data/tiles.h: 64 MB at p = 2,000;
    ** 2.1 MB for the fold statistics of 10 folds at p = 100) is written
    ** right away and reused: 2 MiB pages (core/memory.h). */
    ctx->scratch = lariat_malloc_huge(ctx, bytes, what);
    if (ctx->scratch != NULL) ctx->scratch_bytes = bytes;
    return ctx->scratch;
}

MPI_Comm lariat_ctx_comm(const lariat_ctx *ctx) { return ctx->comm; }
int lariat_ctx_rank(const lariat_ctx *ctx) { return ctx->rank; }
int lariat_ctx_size(const lariat_ctx *ctx) { return ctx->size; }
void lariat_ctx_set_verbosity(lariat_ctx *ctx, int level) { ctx->verbosity = level; }
int lariat_ctx_verbosity(const lariat_ctx *ctx) { return ctx->verbosity; }
const char *lariat_errmsg(const lariat_ctx *ctx) { return ctx->errmsg; }

int lariat_error(lariat_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
    return status;
}

int lariat_agree(lariat_ctx *ctx, int status)
{
    /* MAXLOC on (status, rank) picks the most severe status and, among the
    ** ranks that share it, the lowest rank: that rank's message is the one
    ** everyone reports. */
    struct {
        int value;
        int rank;
    } in = {status, ctx->rank}, out = {0, 0};
    if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MAXLOC, ctx->comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce failed while agreeing on an error");
    }
    if (out.value == LARIAT_OK) return LARIAT_OK;
    if (MPI_Bcast(ctx->errmsg, LARIAT_ERRMSG_MAX, MPI_CHAR, out.rank, ctx->comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast failed while agreeing on an error");
    }
    ctx->errmsg[LARIAT_ERRMSG_MAX - 1] = '\0';
    return out.value;
}

void lariat_log(const lariat_ctx *ctx, int level, const char *fmt, ...)
{
    if (ctx->rank != 0 || ctx->verbosity < level) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lariat: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void lariat_warn_local(const lariat_ctx *ctx, const char *fmt, ...)
{
    if (ctx->verbosity < LARIAT_LOG_NORMAL) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lariat: warning (rank %d): ", ctx->rank);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double lariat_now(void) { return MPI_Wtime(); }

void *lariat_malloc(lariat_ctx *ctx, size_t count, size_t size, const char *what)
{
    if (count == 0 || size == 0) count = size = 1; /* a valid, freeable pointer */
    if (count > SIZE_MAX / size) {
        lariat_error(ctx, LARIAT_ENOMEM, "size overflow allocating %s", what);
        return NULL;
    }
    void *ptr = malloc(count * size);
    if (ptr == NULL) {
        lariat_error(ctx, LARIAT_ENOMEM, "out of memory allocating %s (%.1f MB)", what,
                     (double)count * (double)size / 1e6);
    }
    return ptr;
}

void *lariat_malloc_aligned(lariat_ctx *ctx, size_t count, size_t size, const char *what)
{
    enum { LINE = 64 };
    if (count == 0 || size == 0) count = size = 1;
    if (count > (SIZE_MAX - LINE) / size) {
        lariat_error(ctx, LARIAT_ENOMEM, "size overflow allocating %s", what);
        return NULL;
    }
    /* aligned_alloc asks for a multiple of the alignment. */
    void *ptr = aligned_alloc(LINE, (count * size + LINE - 1) / LINE * LINE);
    if (ptr == NULL) {
        lariat_error(ctx, LARIAT_ENOMEM, "out of memory allocating %s (%.1f MB)", what,
                     (double)count * (double)size / 1e6);
    }
    return ptr;
}

void *lariat_calloc(lariat_ctx *ctx, size_t count, size_t size, const char *what)
{
    if (count == 0 || size == 0) count = size = 1;
    void *ptr = calloc(count, size);
    if (ptr == NULL) {
        lariat_error(ctx, LARIAT_ENOMEM, "out of memory allocating %s (%.1f MB)", what,
                     (double)count * (double)size / 1e6);
    }
    return ptr;
}

int lariat_allreduce_sum(lariat_ctx *ctx, double *buf, int64_t count)
{
    /* MPI counts are int: large vectors go in chunks. */
    const int64_t chunk = (int64_t)1 << 30;
    for (int64_t off = 0; off < count; off += chunk) {
        int len = (int)(count - off < chunk ? count - off : chunk);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, len, MPI_DOUBLE, MPI_SUM, ctx->comm) != MPI_SUCCESS) {
            return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of %d doubles failed", len);
        }
    }
    return LARIAT_OK;
}
