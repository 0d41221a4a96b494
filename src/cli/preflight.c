/*
** The checks before reading (see preflight.h): outputs that can be created,
** and a memory estimate that fits the limit per rank.
**
** The estimate counts the large arrays only, from the file's size and what
** its first MiB shows (rows per byte, fields per row, entries per row); the
** process itself (MPI, BLAS, the code) adds a few tens of MiB on top. Per
** rank, with P ranks, n_loc = ceil(n / P) rows and nnz_loc = ceil(nnz / P)
** entries:
**
**   data    dense (CSV): n_loc (p + 2) 8          X, y and w as doubles
**           CSR (LIBSVM): nnz_loc 12 + n_loc 24   value and int32 column per
**                                                  entry; row offset, y, w
**           HDF5: file size / P                   X is most of the file
**           and 40 p                              every rank's p feature names
**                                                  (a pointer and a short string)
**   reader  min(4 MiB, file size)                 the byte-range buffer
**   gram    p^2 8 (1 + r)                         the Gram, and the ridge
**                                                  system when some alpha is 0
**                                                  (r = 1)
**           2 p^2 8 / P when spread               a Gram above a quarter of a
**                                                  rank's memory is spread over
**                                                  the ranks (choose.c, pgram.c):
**                                                  its share and as much again
**                                                  for its factor or eigenvectors
**   admm    2 p^2 8 when n_loc >= p               local Gram and its factor
**           (n_loc p + 2 n_loc^2) 8 otherwise     densified rows, B B', factor
**   fista   (6 p + 4 n_loc) 8                     vectors only
**   auto    the cheapest of the three: auto picks a solver that fits
**   cv      gram on dense rows with (K + 3) L 8 <= 1 GiB, L = p^2 + 2p + 4:
**             (K + 3) L 8 + p^2 8                 every fold's statistics
**           otherwise: (n_loc + p) nlambda 8      held-out predictions and
**                                                  the path's coefficients
**           and G n_loc-shares of data with --cv-groups G > 1 (the rows a
**           group spreads over its members)
**   binomial and multinomial, with k linear predictors (1; multinomial:
**   the classes are not known before reading, so k = 3, the fewest, and
**   the estimate is a lower bound):
**     solver  11 k n_loc 8                        the per-row arrays of the
**                                                  solvers (glm.h's work,
**                                                  labels, weights, the step)
**             + k^2 p^2 8 (gram)                  the curvature's blocks
**     cv      binomial on dense rows, gram or auto, one group, (K + 1) p^2
**             <= 32 Mi doubles (the lockstep mode, glm_batch.c):
**             (K + 1)(17 n_loc + p^2) 8 + K n_loc 8  every model's arrays
**                                                  and curvature, the folds'
**                                                  weights
**
** The suggestion of a rank count solves estimate(P') <= limit for the
** smallest P' (the estimate is not linear in 1/P: admm's wide factor is
** quadratic in n_loc).
*/
#include "cli/preflight.h"

#include "cli/setup.h"
#include "core/core.h"
#include "io/atomic.h"
#include "solvers/solver.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* How much of the file rank 0 looks at, and how far it follows a first line
** longer than that. */
#define SAMPLE_BYTES ((size_t)1 << 20)
#define FIRST_LINE_MAX ((int64_t)1 << 28)
/* The reader's chunk (byterange.c's default). */
#define READER_CHUNK (4.0 * 1048576.0)
/* cv.c's limit on the fold statistics of its one-pass mode. */
#define CV_STATS_MAX_BYTES (1073741824.0)

enum { FMT_CSV = 1, FMT_LIBSVM, FMT_HDF5 };

/* What rank 0 learned about the file, broadcast as long longs. */
enum { SH_KNOWN, SH_FORMAT, SH_SIZE, SH_ROWS, SH_P, SH_NNZ, SH_COUNT };

/* Not collective. The format from the option or the file name's extension
** (as read.c decides; an unknown extension is left to the reader's error). */
static int file_format(const char *path, const lariat_read_options *ropt)
{
    if (ropt->format == LARIAT_FORMAT_LIBSVM) return FMT_LIBSVM;
    if (ropt->format == LARIAT_FORMAT_HDF5) return FMT_HDF5;
    if (ropt->format == LARIAT_FORMAT_CSV) return FMT_CSV;
    const char *dot = strrchr(path, '.');
    if (dot != NULL && (strcasecmp(dot, ".svm") == 0 || strcasecmp(dot, ".libsvm") == 0 ||
                        strcasecmp(dot, ".svmlight") == 0)) {
        return FMT_LIBSVM;
    }
    if (dot != NULL && (strcasecmp(dot, ".h5") == 0 || strcasecmp(dot, ".hdf5") == 0)) return FMT_HDF5;
    return FMT_CSV;
}

/* A running count over the bytes of a text file, chunk after chunk: lines
** that are not blank, the fields of the first such line (CSV, with
** double-quoted names), LIBSVM's index:value entries and largest index (a
** "#" starts a comment), and the same counts at the last line end seen. */
typedef struct text_scan {
    int libsvm;
    char delim;
    int64_t pos;            /* bytes scanned */
    int64_t lines, entries; /* so far */
    int64_t span, span_lines, span_entries; /* at the last '\n' */
    int64_t fields;         /* of the first non-blank line; 0 until it ends */
    int64_t first_fields;   /* running count on the first non-blank line */
    int64_t index, max_index;
    int digits, quoted, comment, nonblank, first_done;
} text_scan;

/* Not collective. Feeds n bytes to the scan. */
static void scan_bytes(text_scan *sc, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        sc->pos++;
        if (c == '\n') {
            sc->lines += sc->nonblank;
            if (sc->nonblank && !sc->first_done) {
                sc->fields = sc->first_fields + 1;
                sc->first_done = 1;
            }
            sc->span = sc->pos;
            sc->span_lines = sc->lines;
            sc->span_entries = sc->entries;
            sc->nonblank = sc->comment = sc->quoted = sc->digits = 0;
            sc->index = 0;
            continue;
        }
        if (sc->comment) continue;
        if (sc->libsvm && c == '#') {
            sc->comment = 1;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\r') sc->nonblank = 1;
        if (sc->libsvm) {
            /* Saturating well above INT32_MAX: the reader rejects such indices. */
            if (c >= '0' && c <= '9') {
                if (sc->index < ((int64_t)1 << 40)) sc->index = sc->index * 10 + (c - '0');
                sc->digits = 1;
                continue;
            }
            if (c == ':' && sc->digits) {
                sc->entries++;
                if (sc->index > sc->max_index) sc->max_index = sc->index;
            }
            sc->digits = 0;
            sc->index = 0;
        } else if (!sc->first_done) {
            if (c == '"') sc->quoted = !sc->quoted;
            else if (c == sc->delim && !sc->quoted) sc->first_fields++;
        }
    }
}

/* Not collective. Reads n bytes at offset off into buf; 0 on failure. */
static int read_exact(int fd, char *buf, size_t n, int64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + (int64_t)got));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        got += (size_t)k;
    }
    return 1;
}

/* Rank 0. Scans the first SAMPLE_BYTES of the file and extrapolates rows
** (and entries) per byte to the whole file; when no line ends within them,
** scans on to the end of the first line (at most FIRST_LINE_MAX bytes), so
** that a wide file's p is counted, not guessed. Anything unreadable leaves
** shape[SH_KNOWN] = 0: the reader will name the problem. */
static void sample_file(lariat_ctx *ctx, const char *path, const lariat_read_options *ropt, long long shape[SH_COUNT])
{
    memset(shape, 0, SH_COUNT * sizeof(long long));
    shape[SH_FORMAT] = file_format(path, ropt);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) goto done;
    const int64_t size = (int64_t)sb.st_size;
    shape[SH_SIZE] = (long long)size;
    if (shape[SH_FORMAT] == FMT_HDF5) {
        shape[SH_KNOWN] = 1;
        goto done;
    }
    buf = lariat_malloc(ctx, SAMPLE_BYTES, 1, "file sample");
    if (buf == NULL) goto done;
    text_scan sc = {0};
    sc.libsvm = shape[SH_FORMAT] == FMT_LIBSVM;
    sc.delim = ropt->delimiter != '\0' ? ropt->delimiter : ',';
    while (sc.pos < size && (sc.pos < (int64_t)SAMPLE_BYTES || (sc.span == 0 && sc.pos < FIRST_LINE_MAX))) {
        size_t n = size - sc.pos < (int64_t)SAMPLE_BYTES ? (size_t)(size - sc.pos) : SAMPLE_BYTES;
        if (!read_exact(fd, buf, n, sc.pos)) goto done;
        scan_bytes(&sc, buf, n);
    }
    if (sc.pos == size && sc.span < size) {
        /* The whole file was scanned: its last line needs no '\n'. */
        scan_bytes(&sc, "\n", 1);
        sc.span = size;
    }
    int64_t span = sc.span, lines = sc.span_lines, entries = sc.span_entries, fields = sc.fields;
    if (span == 0) {
        /* One line longer than FIRST_LINE_MAX: assume it is the whole file. */
        span = sc.pos;
        lines = 1;
        entries = sc.entries;
        fields = sc.first_fields + 1;
    }
    const double per_byte = span > 0 ? (double)size / (double)span : 0.0;
    shape[SH_ROWS] = (long long)ceil((double)lines * per_byte);
    if (sc.libsvm) {
        shape[SH_NNZ] = (long long)ceil((double)entries * per_byte);
        shape[SH_P] = ropt->n_features > 0 ? (long long)ropt->n_features : (long long)sc.max_index;
    } else {
        int64_t p = fields - 1 - (ropt->weights != NULL);
        shape[SH_P] = p > 0 ? (long long)p : 1;
    }
    shape[SH_KNOWN] = 1;
done:
    free(buf);
    close(fd);
}

/* What one rank is expected to hold, in bytes, and the shape of the file
** it was estimated from. */
typedef struct memory_estimate {
    int sparse;       /* LIBSVM: CSR storage */
    int64_t rows;     /* estimated data rows of the whole file */
    int64_t p;        /* features (CSV: from the first line; LIBSVM: the largest index sampled) */
    int64_t nnz;      /* LIBSVM: estimated entries of the whole file */
    int ranks;
    double data;      /* this rank's rows (X, y and w) and the feature names */
    double reader;    /* the reader's buffer */
    double solver;    /* the solver's matrices (fit, cv) */
    double cv;        /* what cross-validation adds (cv) */
    const char *solver_name;
} memory_estimate;

/* The inputs of the formulas, fixed once the file is sampled. */
typedef struct estimate_inputs {
    int format;
    double size, rows, p, nnz;
    int command;
    lariat_solver_kind solver;
    int ridge;       /* some alpha is 0 */
    double limit;    /* bytes per rank, for the spread-Gram rule */
    double K, nlam;  /* cv folds and path length */
    double groups;   /* --cv-groups (0 or 1: none) */
    lariat_family_kind family;
} estimate_inputs;

/* The lockstep CV's limit (cv.c's LOCKSTEP_MAX_DOUBLES). */
#define LOCKSTEP_MAX_DOUBLES (32.0 * 1024 * 1024)

/* Not collective. The solver's matrices for one kind with n_loc rows per rank. */
static double solver_bytes(const estimate_inputs *in, lariat_solver_kind kind, double ranks, double n_loc)
{
    const double p = in->p, p2 = 8.0 * p * p;
    switch (kind) {
    case LARIAT_SOLVER_GRAM: return ranks > 1 && p2 > in->limit / 4.0 ? 2.0 * p2 / ranks : p2 * (1.0 + in->ridge);
    case LARIAT_SOLVER_ADMM: return n_loc >= p ? 2.0 * p2 : 8.0 * (n_loc * p + 2.0 * n_loc * n_loc);
    case LARIAT_SOLVER_FISTA: return 8.0 * (6.0 * p + 4.0 * n_loc);
    case LARIAT_SOLVER_AUTO: break;
    }
    double g = solver_bytes(in, LARIAT_SOLVER_GRAM, ranks, n_loc), a = solver_bytes(in, LARIAT_SOLVER_ADMM, ranks, n_loc),
           f = solver_bytes(in, LARIAT_SOLVER_FISTA, ranks, n_loc);
    return fmin(g, fmin(a, f));
}

/* Not collective. The formulas of the file comment at `ranks` ranks. */
static void estimate_at(const estimate_inputs *in, lariat_solver_kind kind, double ranks, memory_estimate *est)
{
    const double n_loc = ceil(in->rows / ranks), p = in->p;
    if (in->format == FMT_HDF5) est->data = in->size / ranks + 16.0 * n_loc;
    else if (in->format == FMT_LIBSVM) est->data = 12.0 * ceil(in->nnz / ranks) + 24.0 * n_loc;
    else est->data = 8.0 * n_loc * (p + 2.0);
    est->data += 40.0 * p;
    est->reader = in->format == FMT_HDF5 ? 0.0 : fmin(READER_CHUNK, in->size);
    est->solver = 0.0;
    est->cv = 0.0;
    if (in->p <= 0 || !(in->command & LC_TRAIN)) {
        if (in->command == LC_PREDICT) est->solver = 8.0 * n_loc; /* the predictions */
        return;
    }
    est->solver = solver_bytes(in, kind, ranks, n_loc);
    if (in->family != LARIAT_FAMILY_GAUSSIAN) {
        const double k = in->family == LARIAT_FAMILY_MULTINOMIAL ? 3.0 : 1.0;
        est->solver = 11.0 * k * n_loc * 8.0 + (kind == LARIAT_SOLVER_FISTA ? 8.0 * 6.0 * k * p : 8.0 * k * k * p * p);
        const int lockstep = in->family == LARIAT_FAMILY_BINOMIAL && in->format != FMT_LIBSVM &&
                             (kind == LARIAT_SOLVER_GRAM || kind == LARIAT_SOLVER_AUTO) && in->groups <= 1.0 &&
                             (in->K + 1.0) * p * p <= LOCKSTEP_MAX_DOUBLES;
        if (in->command == LC_CV && lockstep) {
            est->cv = (in->K + 1.0) * (17.0 * n_loc + p * p) * 8.0 + in->K * n_loc * 8.0;
            return;
        }
    }
    if (in->command == LC_CV) {
        const double L = p * p + 2.0 * p + 4.0;
        if (kind == LARIAT_SOLVER_GRAM && in->format == FMT_CSV && (in->K + 3.0) * L * 8.0 <= CV_STATS_MAX_BYTES) {
            est->cv = (in->K + 3.0) * L * 8.0 + 8.0 * p * p;
        } else {
            est->cv = 8.0 * (n_loc + p) * in->nlam;
        }
        if (in->groups > 1.0) est->cv += in->groups * est->data;
    }
}

static double estimate_total(const memory_estimate *est) { return est->data + est->reader + est->solver + est->cv; }

/* Not collective. The inputs from the options and the broadcast shape. */
static void make_inputs(const lc_options *o, const long long shape[SH_COUNT], double limit, estimate_inputs *in)
{
    memset(in, 0, sizeof(*in));
    in->format = (int)shape[SH_FORMAT];
    in->size = (double)shape[SH_SIZE];
    in->rows = (double)shape[SH_ROWS];
    in->p = (double)shape[SH_P];
    in->nnz = (double)shape[SH_NNZ];
    in->command = o->command;
    in->limit = limit;
    in->solver = LARIAT_SOLVER_AUTO;
    if (!(o->command & LC_TRAIN)) return;
    const char *solver = lc_text(o, LC_OPT_SOLVER);
    if (strcmp(solver, "gram") == 0) in->solver = LARIAT_SOLVER_GRAM;
    else if (strcmp(solver, "admm") == 0) in->solver = LARIAT_SOLVER_ADMM;
    else if (strcmp(solver, "fista") == 0) in->solver = LARIAT_SOLVER_FISTA;
    int nalpha = 0;
    const double *alpha = lc_list(o, LC_OPT_ALPHA, &nalpha);
    for (int k = 0; k < nalpha; k++) in->ridge |= (alpha[k] == 0.0);
    int nlambda = 0;
    if (lc_given(o, LC_OPT_LAMBDA)) lc_list(o, LC_OPT_LAMBDA, &nlambda);
    in->nlam = nlambda > 0 ? (double)nlambda : (double)lc_int(o, LC_OPT_NLAMBDA);
    const char *family = lc_text(o, LC_OPT_FAMILY);
    in->family = strcmp(family, "binomial") == 0      ? LARIAT_FAMILY_BINOMIAL
                 : strcmp(family, "multinomial") == 0 ? LARIAT_FAMILY_MULTINOMIAL
                                                      : LARIAT_FAMILY_GAUSSIAN;
    if (o->command == LC_CV) {
        in->K = (double)lc_int(o, LC_OPT_NFOLDS);
        in->groups = (double)lc_int(o, LC_OPT_CV_GROUPS);
    }
}

/* Rank 0. One output can be created: a temporary in its folder is made and
** removed (atomic.h), so a bad folder fails now rather than after the fit. */
static int check_output(lariat_ctx *ctx, const char *origin, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return lariat_error(ctx, LARIAT_EIO, "%s: cannot write '%s': it is a folder", origin, path);
    }
    lariat_atomic_file w;
    int rc = lariat_atomic_open(ctx, path, &w);
    if (rc != LARIAT_OK) {
        char why[512];
        snprintf(why, sizeof(why), "%s", lariat_errmsg(ctx));
        return lariat_error(ctx, rc, "%s: %s", origin, why);
    }
    lariat_atomic_abort(&w);
    return LARIAT_OK;
}

/* Collective. Every output of the command can be created (rank 0 writes them all). */
static int check_outputs(lariat_ctx *ctx, const lc_options *o)
{
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) {
        if (o->command & LC_TRAIN) {
            const char *out = lc_text(o, LC_OPT_OUT) != NULL ? lc_text(o, LC_OPT_OUT) : "model.json";
            rc = check_output(ctx, lc_origin(o, LC_OPT_OUT), out);
        } else if (o->command == LC_PREDICT && lc_text(o, LC_OPT_OUT) != NULL) {
            rc = check_output(ctx, lc_origin(o, LC_OPT_OUT), lc_text(o, LC_OPT_OUT));
        }
        /* --cv-out is cv's; --plot is fit's and cv's (unset for the others). */
        const int extra[] = {LC_OPT_CV_OUT, LC_OPT_PLOT};
        for (int k = 0; k < 2 && rc == LARIAT_OK && (o->command & LC_TRAIN); k++) {
            if (lc_text(o, extra[k]) != NULL) rc = check_output(ctx, lc_origin(o, extra[k]), lc_text(o, extra[k]));
        }
    }
    return lariat_agree(ctx, rc);
}

/* Not collective. Records the refusal: what the estimate is made of, the
** limit and where it comes from, and what would fit. */
static int refuse(lariat_ctx *ctx, const lc_options *o, const estimate_inputs *in, const memory_estimate *est,
                  double limit)
{
    char total[32], data[32], reader[32], solver[32], cv[32], lim[32];
    const int ranks = est->ranks;
    /* The smallest rank count that fits, by doubling then bisection. */
    long long fit_ranks = 0;
    memory_estimate at;
    for (long long hi = ranks; hi <= (1LL << 24); hi *= 2) {
        estimate_at(in, in->solver, (double)hi, &at);
        if (estimate_total(&at) <= limit) {
            long long lo = hi / 2 > ranks ? hi / 2 : ranks;
            while (lo < hi) {
                long long mid = lo + (hi - lo) / 2;
                estimate_at(in, in->solver, (double)mid, &at);
                if (estimate_total(&at) <= limit) hi = mid;
                else lo = mid + 1;
            }
            fit_ranks = hi;
            break;
        }
    }
    estimate_at(in, LARIAT_SOLVER_FISTA, (double)ranks, &at);
    const int fista_fits = in->solver != LARIAT_SOLVER_FISTA && in->solver != LARIAT_SOLVER_AUTO &&
                           estimate_total(&at) <= limit;
    char advice[200];
    if (fit_ranks > 0 && fista_fits) {
        snprintf(advice, sizeof(advice), "use %lld ranks or more (on more nodes), or --solver fista", fit_ranks);
    } else if (fit_ranks > 0) {
        snprintf(advice, sizeof(advice), "use %lld ranks or more (on more nodes)", fit_ranks);
    } else if (fista_fits) {
        snprintf(advice, sizeof(advice), "use --solver fista (more ranks do not shrink this solver's matrices)");
    } else {
        snprintf(advice, sizeof(advice), "more ranks do not help: what does not shrink with more ranks (the "
                 "solver's matrices, the reader's buffer) exceeds it%s",
                 in->solver == LARIAT_SOLVER_FISTA || in->solver == LARIAT_SOLVER_AUTO ? "" : "; try --solver fista");
    }
    char limit_text[160];
    if (lc_given(o, LC_OPT_MAX_MEMORY)) {
        snprintf(limit_text, sizeof(limit_text), "the %s allowed by %s", lc_bytes_text(limit, lim),
                 lc_origin(o, LC_OPT_MAX_MEMORY));
    } else {
        snprintf(limit_text, sizeof(limit_text),
                 "the %s available per rank (the node's MemAvailable over its ranks; --max-memory sets another limit)",
                 lc_bytes_text(limit, lim));
    }
    char shape[96];
    if (est->sparse) {
        snprintf(shape, sizeof(shape), "about %lld rows with %lld entries", (long long)est->rows, (long long)est->nnz);
    } else if (in->format == FMT_HDF5) {
        snprintf(shape, sizeof(shape), "%.0f bytes of HDF5", in->size);
    } else {
        snprintf(shape, sizeof(shape), "about %lld rows x %lld features", (long long)est->rows, (long long)est->p);
    }
    char parts[200];
    int n = snprintf(parts, sizeof(parts), "its rows %s, the reader %s", lc_bytes_text(est->data, data),
                     lc_bytes_text(est->reader, reader));
    if (in->command & LC_TRAIN) {
        n += snprintf(parts + n, sizeof(parts) - (size_t)n, ", the %s solver %s", est->solver_name,
                      lc_bytes_text(est->solver, solver));
    }
    if (in->command == LC_CV) {
        snprintf(parts + n, sizeof(parts) - (size_t)n, ", cross-validation %s", lc_bytes_text(est->cv, cv));
    }
    return lariat_error(ctx, LARIAT_EUSAGE, "not enough memory for %s: %s needs about %s per rank on %d rank%s (%s), "
                        "more than %s; %s",
                        lc_text(o, LC_OPT_DATA), shape, lc_bytes_text(estimate_total(est), total), ranks,
                        ranks == 1 ? "" : "s", parts, limit_text, advice);
}

/* Collective. The memory estimate against the limit. */
static int check_memory(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt)
{
    double limit = INFINITY;
    int rc = LARIAT_OK;
    if (lc_given(o, LC_OPT_MAX_MEMORY)) limit = (double)lc_int(o, LC_OPT_MAX_MEMORY);
    else rc = lariat_solver_memory(ctx, &limit);
    if (rc != LARIAT_OK) return rc;
    long long shape[SH_COUNT] = {0};
    if (lariat_ctx_rank(ctx) == 0) sample_file(ctx, lc_text(o, LC_OPT_DATA), ropt, shape);
    if (MPI_Bcast(shape, SH_COUNT, MPI_LONG_LONG, 0, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the data file's shape failed"));
    }
    if (!shape[SH_KNOWN] || !isfinite(limit)) return LARIAT_OK; /* the same on every rank */
    estimate_inputs in;
    make_inputs(o, shape, limit, &in);
    memory_estimate est = {0};
    est.sparse = in.format == FMT_LIBSVM;
    est.rows = (int64_t)shape[SH_ROWS];
    est.p = (int64_t)shape[SH_P];
    est.nnz = (int64_t)shape[SH_NNZ];
    est.ranks = lariat_ctx_size(ctx);
    est.solver_name = (o->command & LC_TRAIN) ? lc_text(o, LC_OPT_SOLVER) : "";
    estimate_at(&in, in.solver, (double)est.ranks, &est);
    const double need = estimate_total(&est);
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "memory estimate per rank: %.0f bytes (limit %.0f)", need, limit);
    /* Every rank has the same estimate and limit (the default limit is the
    ** smallest over the ranks), so the verdict needs no agreement. */
    if (need > limit) return refuse(ctx, o, &in, &est, limit);
    return LARIAT_OK;
}

int lc_preflight(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt)
{
    int rc = check_outputs(ctx, o);
    if (rc == LARIAT_OK) rc = check_memory(ctx, o, ropt);
    return lariat_agree(ctx, rc);
}
