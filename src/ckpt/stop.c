/*
** The stop request and the agreement at a boundary.
**
** A signal handler may only touch objects of type volatile sig_atomic_t
** (C11 7.14.1.1), so the request is one such flag per process, set by
** lariat_request_stop and read at the next boundary. The ranks then agree
** with one allreduce (MAX) on the flag and on rank 0's timer, so that a
** signal delivered to some ranks only (or at slightly different times)
** still stops every rank at the same boundary.
*/
#include "ckpt/internal.h"
#include "core/core.h"

#include <signal.h>
#include <stdio.h>

/* 0: no request; 1: a request without a signal; 1 + signo: that signal. */
static volatile sig_atomic_t stop_flag;
/* Tests: boundaries to poll before a request is made (0: none pending). */
static int test_countdown;

void lariat_request_stop(int signo) { stop_flag = signo > 0 ? 1 + signo : 1; }

void lariat_ckpt_test_stop_after(int boundaries) { test_countdown = boundaries > 0 ? boundaries : 0; }

int ckpt_stop_code(void)
{
    if (test_countdown > 0 && --test_countdown == 0) stop_flag = 1;
    return (int)stop_flag;
}

void ckpt_stop_clear(void) { stop_flag = 0; }

const char *ckpt_stop_name(int code, char *buf, size_t len)
{
    switch (code - 1) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: break;
    }
    if (code <= 1) return "a stop request";
    snprintf(buf, len, "signal %d", code - 1);
    return buf;
}

int lariat_ckpt_poll(lariat_ckpt *ck, int *action)
{
    *action = LARIAT_CKPT_GO_ON;
    if (ck == NULL) return LARIAT_OK;
    int flags[2] = {ckpt_stop_code(), 0};
    if (lariat_ctx_rank(ck->ctx) == 0) flags[1] = lariat_now() - ck->t_last >= ck->every;
    if (MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, lariat_ctx_comm(ck->ctx)) != MPI_SUCCESS) {
        return lariat_error(ck->ctx, LARIAT_EMPI, "MPI_Allreduce failed at a checkpoint boundary");
    }
    ck->stop_code = flags[0];
    if (flags[0] != 0) *action = LARIAT_CKPT_STOP;
    else if (flags[1] != 0) *action = LARIAT_CKPT_SAVE;
    return LARIAT_OK;
}
