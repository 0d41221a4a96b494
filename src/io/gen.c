/*
** `lariat gen`: synthetic data written in parallel, byte-identical for any
** rank count (the model and the formats are described in gen.h).
*/
#include "io/gen.h"

#include "core/core.h"
#include "core/rng.h"
#include "io/atomic.h"
#include "io/hdf5_io.h"
#include "io/numfmt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Text buffered per rank before it is written: the rows of one round
** (write_rounds) must surely fit, so memory stays bounded whatever the size
** of the data set. */
#define GEN_BUFFER_BYTES ((size_t)32 << 20)

/* The longest "%.17g" of a double ("-1.2345678901234567e-308") plus a separator. */
#define GEN_NUMBER_MAX 25
/* The longest LIBSVM index ("9223372036854775807") plus ':'. */
#define GEN_INDEX_MAX 20

void lariat_gen_options_default(lariat_gen_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->nonzero = -1;
    opt->corr = 0.0;
    opt->noise = 1.0;
    opt->density = 1.0;
    opt->seed = 1;
    opt->format = LARIAT_FORMAT_AUTO;
    opt->family = LARIAT_FAMILY_GAUSSIAN;
    opt->classes = 3;
}

/* Not collective. The coefficient vectors of the options: K for
** multinomial, else 1. */
static int gen_nlin(const lariat_gen_options *o)
{
    return o->family == LARIAT_FAMILY_MULTINOMIAL ? o->classes : 1;
}

/* Not collective. 1 when name ends with suffix, in any case (as the readers
** tell formats apart). */
static int ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    if (n < s) return 0;
    for (size_t i = 0; i < s; i++) {
        if (tolower((unsigned char)name[n - s + i]) != suffix[i]) return 0;
    }
    return 1;
}

/* Not collective. Checks the options; the format (AUTO resolved) and k. */
static int check_options(lariat_ctx *ctx, const lariat_gen_options *o, const char *path, lariat_format *format,
                         int64_t *k)
{
    if (o->rows < 1) return lariat_error(ctx, LARIAT_EUSAGE, "--rows %lld: must be at least 1", (long long)o->rows);
    if (o->features < 1) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--features %lld: must be at least 1", (long long)o->features);
    }
    if (o->nonzero > o->features) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--nonzero %lld: more than the %lld features", (long long)o->nonzero,
                            (long long)o->features);
    }
    if (!(o->corr >= 0.0 && o->corr < 1.0)) return lariat_error(ctx, LARIAT_EUSAGE, "--corr %g: not in [0, 1)", o->corr);
    if (!(o->noise >= 0.0 && isfinite(o->noise))) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--noise %g: not a finite value >= 0", o->noise);
    }
    if (!(o->density > 0.0 && o->density <= 1.0)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--density %g: not in (0, 1]", o->density);
    }
    if (o->family != LARIAT_FAMILY_GAUSSIAN && o->family != LARIAT_FAMILY_BINOMIAL &&
        o->family != LARIAT_FAMILY_MULTINOMIAL) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--family: unknown family code %d", (int)o->family);
    }
    if (o->family == LARIAT_FAMILY_MULTINOMIAL && o->classes < 2) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--classes %d: a multinomial needs at least 2", o->classes);
    }
    *k = o->nonzero < 0 ? (o->features < 10 ? o->features : 10) : o->nonzero;
    *format = o->format;
    /* Without a path (only the coefficients are wanted) the format does not matter. */
    if (*format == LARIAT_FORMAT_AUTO && path != NULL) {
        if (ends_with(path, ".svm") || ends_with(path, ".libsvm") || ends_with(path, ".svmlight")) {
            *format = LARIAT_FORMAT_LIBSVM;
        } else if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) {
            *format = LARIAT_FORMAT_HDF5;
        } else {
            *format = LARIAT_FORMAT_CSV;
        }
    } else if (*format == LARIAT_FORMAT_AUTO) {
        *format = LARIAT_FORMAT_CSV;
    }
    if (*format != LARIAT_FORMAT_CSV && *format != LARIAT_FORMAT_LIBSVM && *format != LARIAT_FORMAT_HDF5) {
        return lariat_error(ctx, LARIAT_EUSAGE, "--format: gen writes csv, libsvm or hdf5 (format code %d)",
                            (int)*format);
    }
    return LARIAT_OK;
}

int lariat_gen_coef_path(lariat_ctx *ctx, const char *path, char *buf, size_t len)
{
    /* The extension is the part after the last '.' of the last path component. */
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot != NULL && dot != base ? (size_t)(dot - path) : strlen(path);
    if (stem + sizeof(".coef.csv") > len) {
        return lariat_error(ctx, LARIAT_EUSAGE, "file name too long: '%s'", path);
    }
    memcpy(buf, path, stem);
    strcpy(buf + stem, ".coef.csv");
    return LARIAT_OK;
}

int lariat_gen_coef(lariat_ctx *ctx, const lariat_gen_options *opt, double *coef)
{
    lariat_format format;
    int64_t k = 0, p = opt->features;
    int rc = check_options(ctx, opt, NULL, &format, &k);
    if (rc != LARIAT_OK) return rc;
    int64_t *idx = lariat_malloc(ctx, (size_t)p, sizeof(int64_t), "coefficient positions");
    if (idx == NULL) return LARIAT_ENOMEM;
    /* The first k steps of a Fisher-Yates shuffle (Knuth, TAOCP vol. 2,
    ** 3.4.2, algorithm P) pick k positions uniformly without replacement;
    ** step t draws from stream GEN_COEF at index t. */
    for (int64_t j = 0; j < p; j++) idx[j] = j;
    for (int64_t t = 0; t < k; t++) {
        double u = lariat_uniform(opt->seed, LARIAT_STREAM_GEN_COEF, (uint64_t)t, 0);
        int64_t r = t + (int64_t)(u * (double)(p - t));
        if (r >= p) r = p - 1; /* u < 1, but (p - t) u may round up to p - t */
        int64_t tmp = idx[t];
        idx[t] = idx[r];
        idx[r] = tmp;
    }
    /* Class c's sign and size of coefficient j come from slots 2c + 1 and
    ** 2c + 2: class 0 is the gaussian b of the same seed. */
    const int K = gen_nlin(opt);
    for (int64_t j = 0; j < (int64_t)K * p; j++) coef[j] = 0.0;
    for (int c = 0; c < K; c++) {
        const uint64_t slot = 2 * (uint64_t)c;
        for (int64_t t = 0; t < k; t++) {
            uint64_t j = (uint64_t)idx[t];
            double sign = lariat_uniform(opt->seed, LARIAT_STREAM_GEN_COEF, j, slot + 1) < 0.5 ? -1.0 : 1.0;
            coef[c * p + (int64_t)j] = sign * (1.0 + lariat_uniform(opt->seed, LARIAT_STREAM_GEN_COEF, j, slot + 2));
        }
    }
    free(idx);
    return LARIAT_OK;
}

/* What formatting a row needs; x is scratch for one row. */
typedef struct gen_rows {
    const lariat_gen_options *opt;
    int libsvm;
    const double *coef;   /* K p values (class-major) */
    double *x;
    double *eta;          /* K values: one row's linear predictors */
    double a, c; /* sqrt(1 - rho), sqrt(rho) */
    size_t max_line;
} gen_rows;

/* Not collective. Generates global row i of gen.h's model: its p features
** into x, and returns its label. */
static double generate_row(const gen_rows *g, int64_t i, double *x)
{
    const lariat_gen_options *o = g->opt;
    uint64_t seed = o->seed, row = (uint64_t)i;
    int64_t p = o->features;
    double f = lariat_normal(seed, LARIAT_STREAM_GEN_X, row, 0);
    double eta = LARIAT_GEN_INTERCEPT;
    for (int64_t j = 0; j < p; j++) {
        /* x_ij = m_ij (sqrt(1 - rho) z_ij + sqrt(rho) f_i): the mask draw comes
        ** first so that masked entries cost no normal draw. */
        int kept = o->density >= 1.0 || lariat_uniform(seed, LARIAT_STREAM_GEN_SPARSE, row, (uint64_t)j) < o->density;
        x[j] = kept ? g->a * lariat_normal(seed, LARIAT_STREAM_GEN_X, row, (uint64_t)j + 1) + g->c * f : 0.0;
        eta += x[j] * g->coef[j];
    }
    if (o->family == LARIAT_FAMILY_GAUSSIAN) return eta + o->noise * lariat_normal(seed, LARIAT_STREAM_GEN_NOISE, row, 0);
    /* The label's uniform: slot 2 of the noise stream (the gaussian noise
    ** takes slots 0 and 1). */
    const double u = lariat_uniform(seed, LARIAT_STREAM_GEN_NOISE, row, 2);
    if (o->family == LARIAT_FAMILY_BINOMIAL) {
        const double prob = eta >= 0.0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta));
        const int one = u < prob;
        return g->libsvm ? (one ? 1.0 : -1.0) : (one ? 1.0 : 0.0);
    }
    /* Multinomial: the K predictors (the common intercept cancels in the
    ** softmax), then the class whose cumulative probability first passes u. */
    const int K = o->classes;
    g->eta[0] = eta - LARIAT_GEN_INTERCEPT;
    double mx = g->eta[0];
    for (int c = 1; c < K; c++) {
        const double *b = g->coef + (int64_t)c * p;
        double e = 0.0;
        for (int64_t j = 0; j < p; j++) e += x[j] * b[j];
        g->eta[c] = e;
        mx = e > mx ? e : mx;
    }
    double z = 0.0;
    for (int c = 0; c < K; c++) z += exp(g->eta[c] - mx);
    double cum = 0.0;
    for (int c = 0; c < K - 1; c++) {
        cum += exp(g->eta[c] - mx) / z;
        if (u < cum) return (double)c;
    }
    return (double)(K - 1);
}

/* Not collective. A lariat_hdf5_fill_fn: rows [first, first + count) as
** numbers, the same values the text formats print. */
static int fill_rows(lariat_ctx *ctx, void *arg, int64_t first, int64_t count, double *X, double *y)
{
    (void)ctx; /* generating cannot fail */
    const gen_rows *g = arg;
    int64_t p = g->opt->features;
    for (int64_t r = 0; r < count; r++) y[r] = generate_row(g, first + r, X + r * p);
    return LARIAT_OK;
}

/* Not collective. Generates global row i and formats it at out, which has
** room for g->max_line bytes; returns the bytes written. */
static size_t format_row(const gen_rows *g, int64_t i, char *out)
{
    int64_t p = g->opt->features;
    double y = generate_row(g, i, g->x);
    char *s = out;
    size_t room = g->max_line;
    int len = snprintf(s, room, "%.17g", y);
    s += len;
    room -= (size_t)len;
    for (int64_t j = 0; j < p; j++) {
        if (g->libsvm) {
            if (g->x[j] == 0.0) continue;
            len = snprintf(s, room, " %lld:%.17g", (long long)(j + 1), g->x[j]);
        } else {
            len = snprintf(s, room, ",%.17g", g->x[j]);
        }
        s += len;
        room -= (size_t)len;
    }
    *s++ = '\n';
    return (size_t)(s - out);
}

/* Not collective. The CSV header "y,x1,...,xp\n" at out (room: max_line). */
static size_t format_header(const gen_rows *g, char *out)
{
    char *s = out;
    s += snprintf(s, g->max_line, "y");
    for (int64_t j = 0; j < g->opt->features; j++) {
        s += snprintf(s, g->max_line - (size_t)(s - out), ",x%lld", (long long)(j + 1));
    }
    *s++ = '\n';
    return (size_t)(s - out);
}

/* Collective. Formats and writes every row at its place in the file fd.
** Rows are dealt in rounds: in round t rank r formats the `block` rows from
** (t P + r) block on, so every rank holds one buffer of text and formats each
** row once; one allgather of (bytes, status) per round tells each rank where
** its text goes (after the ranks before it in this round) and lets every
** rank stop together after a failure. The CSV header (formatted on every rank
** to know its length; written by rank 0) comes first. */
static int write_rounds(lariat_ctx *ctx, const gen_rows *g, int fd, char *buf, int64_t block, int64_t *counts,
                        const char *what)
{
    int rank = lariat_ctx_rank(ctx), size = lariat_ctx_size(ctx);
    int64_t n = g->opt->rows, base = 0;
    int rc = LARIAT_OK;
    if (!g->libsvm) {
        size_t len = format_header(g, buf);
        if (rank == 0) rc = lariat_pwrite_all(ctx, fd, buf, len, 0, what);
        base = (int64_t)len;
    }
    for (int64_t first = 0; first < n; first += block * size) {
        int64_t lo = first + block * rank, hi = lo + block < n ? lo + block : n;
        size_t used = 0;
        for (int64_t i = lo; rc == LARIAT_OK && i < hi; i++) used += format_row(g, i, buf + used);
        int64_t mine[2] = {(int64_t)used, rc};
        if (MPI_Allgather(mine, 2, MPI_INT64_T, counts, 2, MPI_INT64_T, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            return lariat_error(ctx, LARIAT_EMPI, "MPI_Allgather of the text sizes failed");
        }
        int64_t offset = base, failed = 0;
        for (int q = 0; q < size; q++) {
            if (q < rank) offset += counts[2 * q];
            base += counts[2 * q];
            failed |= counts[2 * q + 1] != LARIAT_OK;
        }
        if (failed) break; /* the caller agrees on the status and the message */
        if (used > 0) rc = lariat_pwrite_all(ctx, fd, buf, used, offset, what);
    }
    return rc;
}

/* Not collective (rank 0). The true coefficients, one per line, atomically
** staged: opened and written here, committed by the caller. */
static int write_coef(lariat_ctx *ctx, const char *coef_path, const double *coef, int64_t p, int K,
                      lariat_atomic_file *w)
{
    int rc = lariat_atomic_open(ctx, coef_path, w);
    if (rc != LARIAT_OK) return rc;
    for (int64_t j = 0; j < p; j++) {
        for (int c = 0; c < K; c++) fprintf(w->fp, c == 0 ? "%.17g" : ",%.17g", coef[c * p + j]);
        fputc('\n', w->fp);
    }
    if (fflush(w->fp) != 0 || ferror(w->fp)) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", coef_path, strerror(errno));
        lariat_atomic_abort(w);
    }
    return rc;
}

/* Collective. Rank 0's temporary name on every rank (malloc'ed in *name). */
static int bcast_name(lariat_ctx *ctx, const char *mine, char **name)
{
    int len = lariat_ctx_rank(ctx) == 0 ? (int)strlen(mine) : 0;
    MPI_Comm comm = lariat_ctx_comm(ctx);
    if (MPI_Bcast(&len, 1, MPI_INT, 0, comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of a file name failed");
    }
    *name = lariat_malloc(ctx, (size_t)len + 1, 1, "a file name");
    int rc = lariat_agree(ctx, *name == NULL ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc != LARIAT_OK) return rc;
    if (lariat_ctx_rank(ctx) == 0) memcpy(*name, mine, (size_t)len);
    if (MPI_Bcast(*name, len, MPI_CHAR, 0, comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of a file name failed");
    }
    (*name)[len] = '\0';
    return LARIAT_OK;
}

int lariat_gen_write(lariat_ctx *ctx, const lariat_gen_options *opt, const char *path, const char *coef_path)
{
    int rank = lariat_ctx_rank(ctx), size = lariat_ctx_size(ctx);
    lariat_format format = LARIAT_FORMAT_CSV;
    int64_t k = 0, p = opt->features;
    char coef_name[4096];
    double *coef = NULL, *x = NULL, *eta = NULL;
    char *buf = NULL, *tmp_name = NULL;
    int64_t *counts = NULL;
    lariat_atomic_file data_w = {NULL, -1, NULL, NULL}, coef_w = {NULL, -1, NULL, NULL};
    int fd = -1;
    gen_rows g;
    size_t buffer = opt->buffer_bytes > 0 ? opt->buffer_bytes : GEN_BUFFER_BYTES;

    int rc = check_options(ctx, opt, path, &format, &k);
    if (rc == LARIAT_OK && coef_path == NULL) rc = lariat_gen_coef_path(ctx, path, coef_name, sizeof(coef_name));
    if (rc == LARIAT_OK && coef_path != NULL) {
        if (strlen(coef_path) >= sizeof(coef_name)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "file name too long: '%s'", coef_path);
        } else {
            strcpy(coef_name, coef_path);
        }
    }
    if (rc == LARIAT_OK && strcmp(coef_name, path) == 0) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "the coefficient file '%s' is the data file", path);
    }
    memset(&g, 0, sizeof(g));
    if (rc == LARIAT_OK) {
        g.opt = opt;
        g.libsvm = (format == LARIAT_FORMAT_LIBSVM);
        g.a = sqrt(1.0 - opt->corr);
        g.c = sqrt(opt->corr);
        g.max_line = (size_t)(p + 1) * (GEN_NUMBER_MAX + GEN_INDEX_MAX) + 2;
        coef = lariat_malloc(ctx, (size_t)gen_nlin(opt), (size_t)p * sizeof(double), "coefficients");
        x = lariat_malloc(ctx, (size_t)p, sizeof(double), "a generated row");
        eta = lariat_malloc(ctx, (size_t)gen_nlin(opt), sizeof(double), "a row's linear predictors");
        /* At least one row fits, whatever the buffer size asked for. */
        if (buffer < g.max_line) buffer = g.max_line;
        buf = lariat_malloc(ctx, buffer, 1, "the text buffer");
        counts = lariat_malloc(ctx, 2 * (size_t)size, sizeof(int64_t), "the text sizes");
        if (coef == NULL || x == NULL || eta == NULL || buf == NULL || counts == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) rc = lariat_gen_coef(ctx, opt, coef);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto cleanup;
    g.coef = coef;
    g.x = x;
    g.eta = eta;

    /* Rank 0 stages both temporaries; the others open the data one by name. */
    if (rank == 0) rc = lariat_atomic_open(ctx, path, &data_w);
    if (rank == 0 && rc == LARIAT_OK) rc = write_coef(ctx, coef_name, coef, p, gen_nlin(opt), &coef_w);
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = bcast_name(ctx, data_w.tmp, &tmp_name);
    /* HDF5 opens the temporary itself (collectively, through MPI-IO); rank 0's
    ** descriptor stays open only for the fsync and rename of the commit. */
    if (rc == LARIAT_OK && format != LARIAT_FORMAT_HDF5) {
        fd = rank == 0 ? data_w.fd : open(tmp_name, O_WRONLY);
        if (fd < 0) rc = lariat_error(ctx, LARIAT_EIO, "cannot open '%s': %s", tmp_name, strerror(errno));
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && format == LARIAT_FORMAT_HDF5) {
        rc = lariat_hdf5_write(ctx, tmp_name, opt->rows, p, opt->buffer_bytes, fill_rows, &g);
    } else if (rc == LARIAT_OK) {
        /* Rows per rank and round: as many as surely fit the buffer. */
        int64_t block = (int64_t)(buffer / g.max_line);
        rc = write_rounds(ctx, &g, fd, buf, block > 0 ? block : 1, counts, path);
    }
    /* Other ranks close their descriptor before agreeing, so that their bytes
    ** have reached the file (close-to-open on network file systems) by the
    ** time rank 0 syncs and renames it. */
    if (rank != 0 && fd >= 0 && close(fd) != 0 && rc == LARIAT_OK) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    rc = lariat_agree(ctx, rc);
    if (rank == 0) {
        if (rc == LARIAT_OK) {
            rc = lariat_atomic_commit(ctx, &coef_w);
            if (rc == LARIAT_OK) {
                rc = lariat_atomic_commit(ctx, &data_w);
                /* Both files or neither: the coefficients without their data would mislead. */
                if (rc != LARIAT_OK) unlink(coef_name);
            }
        }
        lariat_atomic_abort(&coef_w);
        lariat_atomic_abort(&data_w);
    }
    rc = lariat_agree(ctx, rc);

cleanup:
    free(counts);
    free(tmp_name);
    free(buf);
    free(x);
    free(eta);
    free(coef);
    return rc;
}
