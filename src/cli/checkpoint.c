/*
** Checkpoints on the command line: the options into the settings, and the
** signal handlers. The front end is the only code that installs handlers;
** each only calls lariat_request_stop, which sets a flag (all a handler may
** safely do), and the library stops every rank at its next boundary after
** writing the checkpoint. The signals are those a scheduler sends before it
** kills a job: SIGTERM (Slurm at the time limit, and on preemption), SIGUSR1
** (the batch scripts of jobs/ ask for it with --signal=USR1@60; mpirun
** forwards it to the ranks, while SIGTERM to mpirun kills them within a
** second) and SIGINT (Ctrl-C of a plain run).
*/
#include "cli/checkpoint.h"

#include "core/core.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static void on_signal(int signo) { lariat_request_stop(signo); }

int lc_checkpoint_setup(lariat_ctx *ctx, const lc_options *o, lariat_settings *st)
{
    st->checkpoint = lc_text(o, LC_OPT_CHECKPOINT);
    st->checkpoint_every = lc_real(o, LC_OPT_CHECKPOINT_EVERY);
    st->resume = lc_flag(o, LC_OPT_RESUME);
    if (st->resume && st->checkpoint == NULL) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s needs --checkpoint FILE, the file to resume from",
                            lc_origin(o, LC_OPT_RESUME));
    }
    if (st->checkpoint == NULL) return LARIAT_OK;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Reads and writes interrupted by the signal go on: the stop waits for
    ** the next boundary anyway. */
    sa.sa_flags = SA_RESTART;
    const int signals[] = {SIGTERM, SIGUSR1, SIGINT};
    for (size_t k = 0; k < sizeof(signals) / sizeof(signals[0]); k++) {
        if (sigaction(signals[k], &sa, NULL) != 0) {
            return lariat_error(ctx, LARIAT_EIO, "cannot install the handler of signal %d for --checkpoint: %s",
                                signals[k], strerror(errno));
        }
    }
    return LARIAT_OK;
}
