/*
** The CV curve as SVG (src/io/plot.h); frame, ticks, the nonzero axis and the
** file are src/io/svg.c's.
*/
#include "io/plot.h"

#include "family/family.h"
#include "io/svg.h"

#include <math.h>
#include <stdio.h>

/* Plot area within a 760 x 500 picture: room for the title and the nonzero
** axis above, the axis labels left and below, the legend at the right. */
enum { WIDTH = 760, HEIGHT = 500, LEFT = 78, RIGHT = 600, TOP = 92, BOTTOM = 440 };

/* The measure's name on the vertical axis, as plot.cv.glmnet labels it. */
static const char *measure_label(const lariat_cv_result *res)
{
    const lariat_fit *fit = res->curves[res->best].fit;
    const lariat_family_kind family = fit != NULL ? fit->family : LARIAT_FAMILY_GAUSSIAN;
    switch (lariat_measure_resolve(family, res->measure)) {
    case LARIAT_MEASURE_MAE: return "Mean absolute error";
    case LARIAT_MEASURE_CLASS: return "Misclassification error";
    case LARIAT_MEASURE_AUC: return "AUC";
    case LARIAT_MEASURE_DEVIANCE:
        if (family == LARIAT_FAMILY_BINOMIAL) return "Binomial deviance";
        if (family == LARIAT_FAMILY_MULTINOMIAL) return "Multinomial deviance";
        return "Mean-squared error";
    default: return "Mean-squared error";
    }
}

static void curve(FILE *f, const lariat_cv_curve *c, const lariat_svg_scale *sx, const lariat_svg_scale *sy,
                  const char *colour)
{
    for (int l = 0; l < c->nlambda; l++) {
        double x = lariat_svg_px(sx, log(c->lambda[l]));
        double y0 = lariat_svg_px(sy, c->cvm[l] - c->cvsd[l]), y1 = lariat_svg_px(sy, c->cvm[l] + c->cvsd[l]);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x, y0, x, y1);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x - 2.5, y0, x + 2.5, y0);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x - 2.5, y1, x + 2.5, y1);
    }
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1' stroke-opacity='0.5' points='", colour);
    for (int l = 0; l < c->nlambda; l++) {
        fprintf(f, "%.1f,%.1f ", lariat_svg_px(sx, log(c->lambda[l])), lariat_svg_px(sy, c->cvm[l]));
    }
    fprintf(f, "'/>\n");
    for (int l = 0; l < c->nlambda; l++) {
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='2.8' fill='%s'/>\n", lariat_svg_px(sx, log(c->lambda[l])),
                lariat_svg_px(sy, c->cvm[l]), colour);
    }
}

static void marker(FILE *f, const lariat_svg_scale *sx, double lambda, const char *label, int row)
{
    double x = lariat_svg_px(sx, log(lambda));
    fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#333' stroke-dasharray='5,4'/>\n", x, TOP, x,
            BOTTOM);
    fprintf(f, "<text x='%.1f' y='%d' text-anchor='start' font-size='11' fill='#333'>%s</text>\n", x + 4,
            TOP + 14 + 14 * row, label);
}

/* Draws the picture (a lariat_svg_draw_fn; arg is the lariat_cv_result). */
static int draw_cv(lariat_ctx *ctx, FILE *f, const void *arg)
{
    (void)ctx;
    const lariat_cv_result *res = arg;
    const lariat_svg_frame fr = {LEFT, RIGHT, TOP, BOTTOM};
    lariat_svg_scale sx = {INFINITY, -INFINITY, LEFT + 10, RIGHT - 10}, sy = {INFINITY, -INFINITY, BOTTOM - 10, TOP + 10};
    for (int a = 0; a < res->nalpha; a++) {
        const lariat_cv_curve *c = &res->curves[a];
        for (int l = 0; l < c->nlambda; l++) {
            if (c->lambda[l] > 0) {
                sx.lo = fmin(sx.lo, log(c->lambda[l]));
                sx.hi = fmax(sx.hi, log(c->lambda[l]));
            }
            sy.lo = fmin(sy.lo, c->cvm[l] - c->cvsd[l]);
            sy.hi = fmax(sy.hi, c->cvm[l] + c->cvsd[l]);
        }
    }
    lariat_svg_scale_fix(&sx);
    lariat_svg_scale_fix(&sy);
    lariat_svg_begin(f, WIDTH, HEIGHT);
    fprintf(f, "<text x='%d' y='24' text-anchor='middle' font-size='16' font-weight='bold'>%d-fold "
               "cross-validation</text>\n",
            (LEFT + RIGHT) / 2, res->nfolds);
    lariat_svg_axes(f, &fr, &sx, &sy, "log(\xce\xbb)", measure_label(res));
    const lariat_cv_curve *best = &res->curves[res->best];
    lariat_svg_nonzero_axis(f, &fr, &sx, best->nlambda, best->lambda, best->nonzero);
    for (int a = 0; a < res->nalpha; a++) {
        curve(f, &res->curves[a], &sx, &sy, lariat_svg_palette[a % LARIAT_SVG_NCOLOUR]);
    }
    char label[64];
    snprintf(label, sizeof(label), "\xce\xbb min = %.3g", res->lambda_min);
    marker(f, &sx, res->lambda_min, label, 0);
    snprintf(label, sizeof(label), "\xce\xbb 1se = %.3g", res->lambda_1se);
    marker(f, &sx, res->lambda_1se, label, 1);
    fprintf(f, "<text x='%d' y='%d' font-weight='bold'>alpha</text>\n", RIGHT + 20, TOP + 10);
    for (int a = 0; a < res->nalpha; a++) {
        int y = TOP + 32 + 22 * a;
        fprintf(f, "<circle cx='%d' cy='%d' r='5' fill='%s'/>\n", RIGHT + 26, y - 4,
                lariat_svg_palette[a % LARIAT_SVG_NCOLOUR]);
        fprintf(f, "<text x='%d' y='%d'>%g%s</text>\n", RIGHT + 38, y, res->curves[a].alpha,
                a == res->best ? "  (best)" : "");
    }
    fprintf(f, "<text x='%d' y='%d' font-size='11' fill='#555'>bars: cvm \xc2\xb1 cvsd</text>\n", RIGHT + 20,
            TOP + 48 + 22 * res->nalpha);
    lariat_svg_end(f);
    return LARIAT_OK;
}

int lariat_cv_plot_svg(lariat_ctx *ctx, const lariat_cv_result *res, const char *path)
{
    return lariat_svg_write(ctx, path, draw_cv, res);
}
