/* The path driver's internal entry, for callers that prepare the problem
** themselves (cross-validation from sufficient statistics). */
#ifndef LARIAT_PATH_H
#define LARIAT_PATH_H

#include "solvers/prep.h"

/* Collective. lariat_fit_path for an already prepared problem, which the
** caller keeps. A prep with a Gram (lariat_prep_from_stats) uses the gram
** solver whatever st->solver says. */
int lariat_fit_prepared(lariat_ctx *ctx, const lariat_prep *prep, const lariat_settings *st, lariat_fit **out);

#endif /* LARIAT_PATH_H */
