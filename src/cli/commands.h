/*
** The commands of the front end. Each is Collective on the context (every
** rank runs it with the same options) and returns a status agreed by every
** rank; rank 0 prints whatever goes to standard output. t_start is
** lariat_now() when the program started (for the "total" time).
*/
#ifndef LARIAT_CLI_COMMANDS_H
#define LARIAT_CLI_COMMANDS_H

#include "cli/options.h"
#include "lariat.h"

/* `lariat fit`: reads --data, optionally holds out --test-fraction rows,
** fits the path or the given lambda(s), writes the model JSON to --out
** (default model.json) and prints the summary. */
int lc_cmd_fit(lariat_ctx *ctx, const lc_options *o, double t_start);

/* `lariat cv`: reads --data, optionally holds out --test-fraction rows,
** cross-validates the path for each --alpha (folds from --nfolds and --seed,
** or --foldid), writes the refit model with its "cv" block to --out, the CV
** table to --cv-out and the CV curve to --plot, and prints the summary. */
int lc_cmd_cv(lariat_ctx *ctx, const lc_options *o, double t_start);

/* `lariat predict`: reads --model and --data (same reading options as the
** fit) and writes the CSV of predictions (header `prediction`, one row per
** input row, in input order) to --out, or to stdout. */
int lc_cmd_predict(lariat_ctx *ctx, const lc_options *o, double t_start);

/* `lariat gen`: writes --rows x --features synthetic data to --out (src/io/gen.h). */
int lc_cmd_gen(lariat_ctx *ctx, const lc_options *o, double t_start);

/* `lariat info`: rows, columns, nonzeros and memory per rank of --data. */
int lc_cmd_info(lariat_ctx *ctx, const lc_options *o, double t_start);

#endif /* LARIAT_CLI_COMMANDS_H */
