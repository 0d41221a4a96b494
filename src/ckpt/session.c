/*
** The checkpoint session: opening (the fingerprint, and the file read back
** when resuming), writing, and the path of `fit` with its checkpoints.
**
** The file is read by rank 0 alone and broadcast, so that every rank parses
** the same bytes and restores the same state; it is written by rank 0
** alone, through a temporary renamed over it (io/atomic.h), so that a kill
** during the write leaves the previous checkpoint intact.
*/
#include "ckpt/internal.h"
#include "core/core.h"
#include "io/atomic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_MAGIC "LARIATCK"
/* 2: the family's fit (classes, K intercepts and K p coefficients per
** solution, dev_ratio, the devmax stop), a position's c counted, and the
** fingerprint's family, grouping and curvature. */
/* 3: the fingerprint holds the CV measure (the fold errors depend on it). */
enum { CKPT_VERSION = 3 };
/* Read back as another value on a machine of another byte order. */
#define CKPT_BYTE_ORDER 0x0102030405060708ULL
/* Magic, version and byte-order mark; the checksum trails the file. */
enum { CKPT_HEADER = 24, CKPT_TRAILER = 8 };

void lariat_ckpt_close(lariat_ckpt *ck)
{
    if (ck == NULL) return;
    ckpt_fp_free(&ck->fp);
    ckpt_restored_free(ck->restored);
    free(ck->restored);
    free(ck->path);
    free(ck);
}

lariat_ckpt_state *lariat_ckpt_restored(lariat_ckpt *ck)
{
    return ck != NULL && ck->restored != NULL ? &ck->restored->state : NULL;
}

/* Not collective. Rank 0 reads the whole file. */
static int read_file(lariat_ctx *ctx, const char *path, unsigned char **out, int64_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return lariat_error(ctx, LARIAT_EDATA, "cannot resume from checkpoint %s: %s", path, strerror(errno));
    }
    int rc = LARIAT_OK;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "cannot resume from checkpoint %s: %s", path, strerror(errno));
    }
    unsigned char *bytes = NULL;
    if (rc == LARIAT_OK) {
        bytes = lariat_malloc(ctx, (size_t)size, 1, "checkpoint file");
        if (bytes == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        rc = lariat_error(ctx, LARIAT_EDATA, "cannot read checkpoint %s: %s", path,
                          ferror(f) ? strerror(errno) : "it ended early");
    }
    fclose(f);
    if (rc != LARIAT_OK) {
        free(bytes);
        return rc;
    }
    *out = bytes;
    *len = size;
    return LARIAT_OK;
}

/* Collective. Rank 0's bytes on every rank. */
static int broadcast_bytes(lariat_ctx *ctx, unsigned char **bytes, int64_t *len)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    if (MPI_Bcast(len, 1, MPI_INT64_T, 0, comm) != MPI_SUCCESS) {
        return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the checkpoint's size failed"));
    }
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) != 0) {
        *bytes = lariat_malloc(ctx, (size_t)*len, 1, "checkpoint file");
        if (*bytes == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    /* MPI counts are int: a large file goes in chunks. */
    const int64_t chunk = (int64_t)1 << 30;
    for (int64_t off = 0; rc == LARIAT_OK && off < *len; off += chunk) {
        const int n = (int)(*len - off < chunk ? *len - off : chunk);
        if (MPI_Bcast(*bytes + off, n, MPI_BYTE, 0, comm) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the checkpoint failed");
        }
    }
    return rc;
}

/* Not collective. Checks the header and the checksum, compares the
** fingerprint with this run's and reads the state. */
static int parse(lariat_ckpt *ck, const unsigned char *bytes, int64_t len)
{
    lariat_ctx *ctx = ck->ctx;
    if (len < CKPT_HEADER + CKPT_TRAILER || memcmp(bytes, CKPT_MAGIC, 8) != 0) {
        return lariat_error(ctx, LARIAT_EDATA, "%s is not a lariat checkpoint", ck->path);
    }
    ckpt_reader r = {bytes, (size_t)(len - CKPT_TRAILER), 8, 0};
    const int64_t version = ckpt_get_i64(&r);
    uint64_t order = 0, sum = 0;
    ckpt_get(&r, &order, sizeof(order));
    if (order != CKPT_BYTE_ORDER) {
        return lariat_error(ctx, LARIAT_EDATA, "checkpoint %s was written on a machine of another byte order",
                            ck->path);
    }
    if (version != CKPT_VERSION) {
        return lariat_error(ctx, LARIAT_EDATA, "checkpoint %s has format version %lld; this lariat reads version %d",
                            ck->path, (long long)version, CKPT_VERSION);
    }
    memcpy(&sum, bytes + len - CKPT_TRAILER, sizeof(sum));
    if (sum != ckpt_checksum(bytes, (size_t)(len - CKPT_TRAILER))) {
        return lariat_error(ctx, LARIAT_EDATA, "checkpoint %s is damaged (its checksum does not match)", ck->path);
    }
    ckpt_fp saved;
    int rc = ckpt_fp_get(ctx, &r, &saved);
    if (rc == LARIAT_OK && r.bad) rc = lariat_error(ctx, LARIAT_EDATA, "checkpoint %s is damaged", ck->path);
    if (rc == LARIAT_OK) rc = ckpt_fp_compare(ctx, ck->path, &saved, &ck->fp);
    ckpt_fp_free(&saved);
    if (rc != LARIAT_OK) return rc;
    ck->restored = lariat_calloc(ctx, 1, sizeof(*ck->restored), "checkpoint state");
    if (ck->restored == NULL) return LARIAT_ENOMEM;
    rc = ckpt_state_get(ctx, &r, ck->fp.p, ck->restored);
    if (rc != LARIAT_OK) {
        free(ck->restored);
        ck->restored = NULL;
    }
    if (rc == LARIAT_EDATA) rc = lariat_error(ctx, LARIAT_EDATA, "checkpoint %s is damaged", ck->path);
    return rc;
}

/* Not collective. Says where the run resumes: "at alpha 0.5 (2 of 3): the
** all-rows path done, 4 of 10 folds done, fold 5's path at lambda 13". */
static void log_resume(const lariat_ckpt *ck, const lariat_ckpt_state *s)
{
    char where[256];
    size_t n = 0;
    where[0] = '\0';
    if (ck->fp.kind == LARIAT_CKPT_CV && s->nalpha_done < ck->fp.nalpha) {
        n += (size_t)snprintf(where + n, sizeof(where) - n, " at alpha %g (%d of %lld)", ck->fp.alpha[s->nalpha_done],
                              s->nalpha_done + 1, (long long)ck->fp.nalpha);
        if (s->alpha_fit != NULL) {
            int folds = 0;
            for (int k = 0; k < s->K; k++) folds += s->fold_done[k] != 0;
            n += (size_t)snprintf(where + n, sizeof(where) - n, ": the all-rows path done, %d of %d folds done", folds,
                                  s->K);
        }
    }
    if (s->unit >= 0 && n < sizeof(where)) {
        char unit[32] = "the path";
        if (ck->fp.kind == LARIAT_CKPT_CV) {
            if (s->unit == 0) snprintf(unit, sizeof(unit), "the all-rows path");
            else snprintf(unit, sizeof(unit), "fold %d's path", s->unit);
        }
        snprintf(where + n, sizeof(where) - n, "%s%s at lambda %d", n > 0 ? ", " : " with ", unit,
                 s->path.fit->nlambda + 1);
    }
    lariat_log(ck->ctx, LARIAT_LOG_NORMAL, "resuming from checkpoint %s%s", ck->path, where);
}

int lariat_ckpt_open(lariat_ctx *ctx, const lariat_ckpt_run *run, lariat_ckpt **out)
{
    *out = NULL;
    const lariat_settings *st = run->st;
    lariat_ckpt *ck = lariat_calloc(ctx, 1, sizeof(*ck), "checkpoint session");
    int rc = ck != NULL ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        ck->ctx = ctx;
        ck->every = st->checkpoint_every;
        ck->path = strdup(st->checkpoint);
        if (ck->path == NULL) rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory for the checkpoint's name");
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = ckpt_fingerprint(ctx, run, &ck->fp);
    if (rc == LARIAT_OK && st->resume) {
        unsigned char *bytes = NULL;
        int64_t len = 0;
        if (lariat_ctx_rank(ctx) == 0) rc = read_file(ctx, ck->path, &bytes, &len);
        rc = lariat_agree(ctx, rc);
        if (rc == LARIAT_OK) rc = broadcast_bytes(ctx, &bytes, &len);
        if (rc == LARIAT_OK) rc = lariat_agree(ctx, parse(ck, bytes, len));
        free(bytes);
    }
    if (rc != LARIAT_OK) {
        lariat_ckpt_close(ck);
        return rc;
    }
    if (ck->restored != NULL) log_resume(ck, &ck->restored->state);
    ck->t_last = lariat_now();
    *out = ck;
    return LARIAT_OK;
}

/* Not collective. Rank 0: the whole file into a buffer, then atomically to disk. */
static int write_file(lariat_ckpt *ck, const lariat_ckpt_state *state)
{
    ckpt_buf b = {NULL, 0, 0, 0};
    const int64_t version = CKPT_VERSION;
    const uint64_t order = CKPT_BYTE_ORDER;
    ckpt_put(&b, CKPT_MAGIC, 8);
    ckpt_put_i64(&b, version);
    ckpt_put(&b, &order, sizeof(order));
    ckpt_fp_put(&b, &ck->fp);
    ckpt_state_put(&b, state, ck->fp.p);
    const uint64_t sum = b.nomem ? 0 : ckpt_checksum(b.data, b.len);
    ckpt_put(&b, &sum, sizeof(sum));
    int rc = LARIAT_OK;
    if (b.nomem) {
        rc = lariat_error(ck->ctx, LARIAT_ENOMEM, "out of memory writing checkpoint %s", ck->path);
    } else {
        lariat_atomic_file w;
        rc = lariat_atomic_open(ck->ctx, ck->path, &w);
        if (rc == LARIAT_OK && fwrite(b.data, 1, b.len, w.fp) != b.len) {
            rc = lariat_error(ck->ctx, LARIAT_EIO, "cannot write checkpoint %s: %s", ck->path, strerror(errno));
            lariat_atomic_abort(&w);
        } else if (rc == LARIAT_OK) {
            rc = lariat_atomic_commit(ck->ctx, &w);
        }
    }
    free(b.data);
    return rc;
}

int lariat_ckpt_write(lariat_ckpt *ck, const lariat_ckpt_state *state, int stop)
{
    lariat_ctx *ctx = ck->ctx;
    const double t0 = lariat_now();
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) rc = write_file(ck, state);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;
    ck->t_last = lariat_now();
    lariat_log(ctx, LARIAT_LOG_VERBOSE, "checkpoint written to %s in %.3f s", ck->path, ck->t_last - t0);
    if (!stop) return LARIAT_OK;
    char buf[32];
    const char *why = ckpt_stop_name(ck->stop_code, buf, sizeof(buf));
    ckpt_stop_clear();
    return lariat_error(ctx, LARIAT_ESIGNAL, "stopped by %s after writing checkpoint %s", why, ck->path);
}

/* Collective. The hook of fit's path: a checkpoint of the path so far when
** the boundary asks for one. */
static int fit_hook(void *arg, const lariat_path_pos *pos)
{
    lariat_ckpt *ck = arg;
    int action;
    int rc = lariat_ckpt_poll(ck, &action);
    if (rc != LARIAT_OK || action == LARIAT_CKPT_GO_ON) return rc;
    lariat_ckpt_state state;
    memset(&state, 0, sizeof(state));
    state.unit = 0;
    state.path = *pos;
    return lariat_ckpt_write(ck, &state, action == LARIAT_CKPT_STOP);
}

int lariat_ckpt_fit(lariat_ctx *ctx, const lariat_prep *prep, const lariat_problem *pb, const lariat_settings *st,
                    lariat_fit **out)
{
    *out = NULL;
    if (st->checkpoint == NULL) return lariat_fit_prepared(ctx, prep, st, out);
    lariat_ckpt *ck = NULL;
    const lariat_ckpt_run run = {LARIAT_CKPT_FIT, prep->data, prep->w, pb, st, NULL};
    int rc = lariat_ckpt_open(ctx, &run, &ck);
    if (rc != LARIAT_OK) return rc;
    const lariat_ckpt_state *s = lariat_ckpt_restored(ck);
    const lariat_path_pos *start = (s != NULL && s->unit == 0) ? &s->path : NULL;
    rc = lariat_path_run(ctx, prep, st, start, fit_hook, ck, out);
    lariat_ckpt_close(ck);
    return rc;
}

int lariat_ckpt_glm_fit(lariat_ctx *ctx, const lariat_glm *g, const lariat_problem *pb, const lariat_settings *st,
                        lariat_fit **out)
{
    *out = NULL;
    if (st->checkpoint == NULL) return lariat_glm_path(ctx, g, st, out);
    lariat_ckpt *ck = NULL;
    const lariat_ckpt_run run = {LARIAT_CKPT_FIT, g->data, g->w, pb, st, NULL};
    int rc = lariat_ckpt_open(ctx, &run, &ck);
    if (rc != LARIAT_OK) return rc;
    const lariat_ckpt_state *s = lariat_ckpt_restored(ck);
    const lariat_path_pos *start = (s != NULL && s->unit == 0) ? &s->path : NULL;
    rc = lariat_glm_path_run(ctx, g, st, start, fit_hook, ck, out);
    lariat_ckpt_close(ck);
    return rc;
}
