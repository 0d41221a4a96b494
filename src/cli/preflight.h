/*
** Checks made before the data are read, so that a run that cannot finish
** fails in seconds instead of after hours of work (SPEC.md section 8): every
** output file of the command can be created, and the memory the command will
** need on each rank fits --max-memory (by default the node's available
** memory shared by its ranks).
*/
#ifndef LARIAT_CLI_PREFLIGHT_H
#define LARIAT_CLI_PREFLIGHT_H

#include "cli/options.h"
#include "lariat.h"

/* Collective. The checks before reading --data: every output of the command
** (--out, --cv-out, --plot) can be created (a temporary is made and removed
** in its folder; LARIAT_EIO naming the option and the path otherwise), and
** the memory estimate fits --max-memory, or the available memory of the node
** divided by its ranks when --max-memory is not given (LARIAT_EUSAGE, naming
** the limit and suggesting more ranks or another solver). Agreed. */
int lc_preflight(lariat_ctx *ctx, const lc_options *o, const lariat_read_options *ropt);

#endif /* LARIAT_CLI_PREFLIGHT_H */
