/*
** Checkpoints on the command line (SPEC.md section 7).
*/
#ifndef LARIAT_CLI_CHECKPOINT_H
#define LARIAT_CLI_CHECKPOINT_H

#include "cli/options.h"
#include "lariat.h"

/* Not collective (every rank reaches the same result). Sets st's checkpoint,
** checkpoint_every and resume from --checkpoint, --checkpoint-every and
** --resume and, with a checkpoint file, installs the handlers of SIGTERM,
** SIGUSR1 and SIGINT that ask the library to stop at its next boundary
** (lariat_request_stop). --resume without --checkpoint is LARIAT_EUSAGE; a
** handler that cannot be installed is LARIAT_EIO. */
int lc_checkpoint_setup(lariat_ctx *ctx, const lc_options *o, lariat_settings *st);

#endif /* LARIAT_CLI_CHECKPOINT_H */
