/*
** The pictures of the command line, as SVG (the shared parts are in
** src/io/svg.h):
**
** `cv --plot FILE.svg`, after glmnet's plot(cv.glmnet): log(lambda) across,
** the CV measure up (named as plot.cv.glmnet names it; mean squared error for
** gaussian), cvm with +/- cvsd bars, dashed lines at lambda_min and
** lambda_1se, the number of nonzero coefficients along the top; one curve per
** alpha with a legend.
**
** `fit --plot FILE.svg`, after glmnet's plot(fit, xvar = "lambda"): every
** coefficient that is nonzero somewhere on the path as one line against
** log(lambda), on the original scale (the numbers of the model file), a
** dotted line at zero, the number of nonzero coefficients along the top, and
** the names of the largest few at the end of the path. Multinomial: one panel
** per class, stacked, each with its own count of nonzeros (glmnet's dfmat
** row; the model's "nonzero" counts features nonzero in any class).
*/
#ifndef LARIAT_PLOT_H
#define LARIAT_PLOT_H

#include "lariat.h"

/* Collective. Rank 0 writes the CV curve to path atomically; the status is agreed. */
int lariat_cv_plot_svg(lariat_ctx *ctx, const lariat_cv_result *res, const char *path);

/* Collective. Rank 0 writes the coefficient paths of fit to path atomically
** (only rank 0 needs to hold fit; the others may pass NULL); feature_names
** are fit->p names, or NULL for "x1".."xp". The status is agreed: EIO naming
** path, ENOMEM. */
int lariat_path_plot_svg(lariat_ctx *ctx, const lariat_fit *fit, char *const *feature_names, const char *path);

#endif /* LARIAT_PLOT_H */
