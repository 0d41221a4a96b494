/*
** Internals of the checkpoint module shared by its files: the session, the
** fingerprint, the stop request and the byte buffers of the file format.
*/
#ifndef LARIAT_CKPT_INTERNAL_H
#define LARIAT_CKPT_INTERNAL_H

#include "ckpt/ckpt.h"

#include <stddef.h>
#include <stdint.h>

/* The fingerprint of a run (see fingerprint.c): the data, exactly where the
** arithmetic allows (row hashes) and to round-off where it does not (column
** checksums), and every setting that changes the saved state. */
typedef struct ckpt_fp {
    int64_t kind, n, p, ranks;
    uint64_t rows_hash;             /* labels and weights in use, by global row */
    double xsum1, xsum2, xscale;    /* checksums of X's columns and the scale of xsum1 */
    int64_t nalpha, nlambda_given;  /* lengths of alpha and lambda */
    double *alpha, *lambda;         /* the alphas; the explicit lambdas, decreasing */
    int64_t nlambda;
    double lambda_min_ratio;
    int64_t standardize, intercept;
    uint64_t pf_hash, bounds_hash;  /* penalty factors; lower and upper bounds */
    double tol;
    int64_t max_iter, solver;
    double rho;
    int64_t adapt_rho;
    int64_t nfolds;                 /* CV: K as given, 0 for fit */
    uint64_t seed, foldid_hash;     /* CV: the seed; the foldid (0 = none) */
    int64_t family;                 /* lariat_family_kind */
    int64_t grouped;                /* multinomial: the grouped penalty (0 otherwise) */
    int64_t curvature;              /* binomial and multinomial: the gram solver's curvature (0 for gaussian) */
    int64_t measure;                /* cross-validation: --type-measure as given (0 = the family's default) */
} ckpt_fp;

/* A restored state with the storage its path position points to. */
typedef struct ckpt_restored {
    lariat_ckpt_state state;
    lariat_fit *path_fit;
    double *path_c;     /* the position's nc values */
    double *path_state; /* its nstate values */
} ckpt_restored;

struct lariat_ckpt {
    lariat_ctx *ctx;
    char *path;
    double every;              /* seconds between saves (checkpoint_every) */
    double t_last;             /* when the last save (or the session) began */
    int stop_code;             /* the stop agreed at the last poll (stop.c's code) */
    ckpt_fp fp;                /* this run's */
    ckpt_restored *restored;   /* NULL when not resuming */
};

/* Collective. The fingerprint of a run (fingerprint.c). */
int ckpt_fingerprint(lariat_ctx *ctx, const lariat_ckpt_run *run, ckpt_fp *fp);
/* Not collective. */
void ckpt_fp_free(ckpt_fp *fp);
/* Not collective. LARIAT_EUSAGE naming the first difference that refuses a
** resume ("was made with alpha 0.5; this run has 1"), LARIAT_OK otherwise;
** a different rank count is logged, not refused. */
int ckpt_fp_compare(lariat_ctx *ctx, const char *path, const ckpt_fp *saved, const ckpt_fp *now);

/* The stop request (stop.c): 0 none, 1 a request without a signal, 1 + signo. */
int ckpt_stop_code(void);
void ckpt_stop_clear(void);
/* Not collective. "SIGTERM", ... for a code > 1, "a stop request" for 1. */
const char *ckpt_stop_name(int code, char *buf, size_t len);

/* A growing byte buffer (write) and a cursor over bytes (read). A failed
** allocation or a read past the end sets the flag; later calls do nothing,
** so the flag is checked once at the end. */
typedef struct ckpt_buf {
    unsigned char *data;
    size_t len, cap;
    int nomem;
} ckpt_buf;

typedef struct ckpt_reader {
    const unsigned char *data;
    size_t len, pos;
    int bad;
} ckpt_reader;

void ckpt_put(ckpt_buf *b, const void *src, size_t n);
void ckpt_put_i64(ckpt_buf *b, int64_t v);
void ckpt_put_f64(ckpt_buf *b, double v);
void ckpt_put_f64s(ckpt_buf *b, const double *v, int64_t n);
void ckpt_put_str(ckpt_buf *b, const char *s);
void ckpt_get(ckpt_reader *r, void *dst, size_t n);
int64_t ckpt_get_i64(ckpt_reader *r);
double ckpt_get_f64(ckpt_reader *r);
void ckpt_get_f64s(ckpt_reader *r, double *v, int64_t n);
void ckpt_get_str(ckpt_reader *r, char *s, size_t cap);
/* Not collective. A count read from the file, in [0, max]; else the reader is bad and 0. */
int64_t ckpt_get_count(ckpt_reader *r, int64_t max);

/* Not collective. The fingerprint and the state in the file's layout (format.c). */
void ckpt_fp_put(ckpt_buf *b, const ckpt_fp *fp);
int ckpt_fp_get(lariat_ctx *ctx, ckpt_reader *r, ckpt_fp *fp);
void ckpt_state_put(ckpt_buf *b, const lariat_ckpt_state *s, int64_t p);
int ckpt_state_get(lariat_ctx *ctx, ckpt_reader *r, int64_t p, ckpt_restored *out);
/* Not collective. Frees everything a restored state holds (not the struct). */
void ckpt_restored_free(ckpt_restored *rs);

/* Not collective. FNV-1a, 64 bits: the file's checksum. */
uint64_t ckpt_checksum(const unsigned char *data, size_t len);

#endif /* LARIAT_CKPT_INTERNAL_H */
