/*
** The pictures of the command line, as SVG (the shared parts are in
** src/io/svg.h):
**
** `cv --plot FILE.svg`, after glmnet's plot(cv.glmnet): log(lambda) across,
** the CV measure up (named as plot.cv.glmnet names it; mean squared error for
** gaussian), cvm with +/- cvsd bars, dashed lines at lambda_min and
** lambda_1se, the number of nonzero coefficients along the top; one curve per
** alpha with a legend.
*/
#ifndef LARIAT_PLOT_H
#define LARIAT_PLOT_H

#include "lariat.h"

/* Collective. Rank 0 writes the CV curve to path atomically; the status is agreed. */
int lariat_cv_plot_svg(lariat_ctx *ctx, const lariat_cv_result *res, const char *path);

#endif /* LARIAT_PLOT_H */
