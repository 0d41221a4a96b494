/*
** Checkpoint and restart (SPEC.md section 7).
**
** A run with a checkpoint file (lariat_settings.checkpoint) stops only at
** boundaries: after a lambda of a path whose ranks all take part in it (the
** path of `fit`, cross-validation's all-rows path, a fold's path when every
** rank trains every fold), and after each cross-validation unit (an alpha's
** all-rows path, a round of folds). Never inside a solve. At each boundary
** the ranks agree, with one allreduce of two integers, on whether a stop was
** requested on any rank (lariat_request_stop, from a signal handler of the
** embedding program) and whether checkpoint_every seconds have passed on
** rank 0 since the last write; then rank 0 writes the state, which every
** rank holds alike, to a temporary file renamed over the checkpoint
** (io/atomic.h), and a stop returns LARIAT_ESIGNAL on every rank.
**
** The file: a header (magic, version, byte order), the fingerprint of the
** data and of every setting that changes the state (fingerprint.c), the
** state (below) and a 64-bit checksum of everything before it. Resuming
** checks the fingerprint and refuses, naming what differs, a checkpoint of
** other data or settings. Nothing in the state is per rank (fold errors are
** saved reduced), so a checkpoint may be resumed at another rank count; the
** result then agrees with an uninterrupted run to round-off rather than bit
** for bit, as runs at two rank counts do.
**
** Everything is Collective on the session's context unless said otherwise.
*/
#ifndef LARIAT_CKPT_H
#define LARIAT_CKPT_H

#include "lariat.h"
#include "solvers/glm.h"
#include "solvers/path.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

typedef struct lariat_ckpt lariat_ckpt;

enum { LARIAT_CKPT_FIT = 1, LARIAT_CKPT_CV = 2 };

/* What a boundary asks for (lariat_ckpt_poll). */
enum { LARIAT_CKPT_GO_ON = 0, LARIAT_CKPT_SAVE, LARIAT_CKPT_STOP };

/* A run, as the fingerprint sees it. */
typedef struct lariat_ckpt_run {
    int kind;                     /* LARIAT_CKPT_FIT or LARIAT_CKPT_CV */
    const lariat_data *data;
    const double *w;              /* row weights in use (NULL = data->w) */
    const lariat_problem *pb;
    const lariat_settings *st;    /* checkpoint, checkpoint_every, resume */
    const lariat_cv_settings *cv; /* CV only (alphas, folds) */
} lariat_ckpt_run;

/* The state saved: the same on every rank. Arrays are the caller's when
** writing, and the session's when restored (a caller may take any of the
** curves, alpha_fit, fold_done and fold_err over, setting the member to NULL;
** the path's arrays stay the session's). */
typedef struct lariat_ckpt_state {
    /* Cross-validation: the alphas complete, with their curves (fit, cvm,
    ** cvsd, index_min, index_1se; lambda and nonzero follow from the fit). */
    int nalpha_done;
    lariat_cv_curve *curves;
    /* The alpha in progress: its all-rows path once complete (else NULL),
    ** and then its K folds, those done flagged, with the error sums and
    ** fold weights of cv.c (K * nlambda + K values) reduced over all ranks
    ** (the rows of folds not done are 0). K = 0 before the folds began. */
    lariat_fit *alpha_fit;
    int K, nlambda;
    char *fold_done;
    double *fold_err;
    /* The path in progress, or unit -1 for none: unit 0 is the path of fit
    ** or the all-rows path of the alpha in progress, unit k >= 1 fold k's. */
    int unit;
    lariat_path_pos path;
} lariat_ckpt_state;

/* Not collective. Frees the curves, alpha_fit, fold_done and fold_err of a
** restored state (not the struct, nor the path's arrays). */
void lariat_ckpt_state_free(lariat_ckpt_state *s);

/* Collective. Opens the checkpoint session of a run with
** run->st->checkpoint set: computes the fingerprint (one pass over the local
** rows and two small allreduces) and, with run->st->resume, reads the file
** on rank 0, broadcasts it, checks its checksum and fingerprint and keeps
** its state (lariat_ckpt_restored). A missing or damaged file is
** LARIAT_EDATA naming it; a checkpoint of other data or settings is
** LARIAT_EUSAGE naming what differs. */
int lariat_ckpt_open(lariat_ctx *ctx, const lariat_ckpt_run *run, lariat_ckpt **out);
/* Not collective. NULL is a no-op. */
void lariat_ckpt_close(lariat_ckpt *ck);

/* Not collective. The state read when resuming (owned by the session), or
** NULL when not resuming. */
lariat_ckpt_state *lariat_ckpt_restored(lariat_ckpt *ck);

/* Collective. The agreement of a boundary: *action is LARIAT_CKPT_STOP when
** a stop was requested on any rank, LARIAT_CKPT_SAVE when checkpoint_every
** seconds have passed on rank 0 since the last write (or the start), else
** LARIAT_CKPT_GO_ON. One allreduce of two integers; none when ck is NULL
** (then *action is GO_ON). */
int lariat_ckpt_poll(lariat_ckpt *ck, int *action);

/* Collective. Rank 0 writes state (the same on every rank) to the
** checkpoint atomically. With stop, the stop request is consumed and the
** status is LARIAT_ESIGNAL with the message "stopped by SIGxxx after writing
** checkpoint FILE". Write errors are LARIAT_EIO naming the file. */
int lariat_ckpt_write(lariat_ckpt *ck, const lariat_ckpt_state *state, int stop);

/* Collective. The path of prep (made from pb on the rows of prep->data with
** weights prep->w) as lariat_fit_prepared, with the checkpoints of
** st->checkpoint: resumed from the file with st->resume, saved after every
** lambda when the boundary asks for it. Without st->checkpoint it is
** lariat_fit_prepared. */
int lariat_ckpt_fit(lariat_ctx *ctx, const lariat_prep *prep, const lariat_problem *pb, const lariat_settings *st,
                    lariat_fit **out);

/* Collective. The same for the cross-entropy families: the path of g (made
** from pb on its rows, which the caller keeps) as lariat_glm_path, with the
** checkpoints of st->checkpoint. The saved position holds [a | c] and the
** solver's state (the Newton solver's kept IRLS curvature, K (p^2 + p + 1)
** values), so the resumed path equals an uninterrupted one bit for bit at
** the same rank count. */
int lariat_ckpt_glm_fit(lariat_ctx *ctx, const lariat_glm *g, const lariat_problem *pb, const lariat_settings *st,
                        lariat_fit **out);

/* Not collective. FOR TESTS ONLY: makes this process request a stop, as
** lariat_request_stop(0) would, at the boundaries-th boundary polled from now
** (0 cancels). Lets a test interrupt a run at a chosen lambda or fold. */
void lariat_ckpt_test_stop_after(int boundaries);

#endif /* LARIAT_CKPT_H */
