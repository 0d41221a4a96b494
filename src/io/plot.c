/*
** The CV curve as SVG, drawn by hand: a picture of a few hundred elements
** needs no plotting library, and SVG renders in any browser.
*/
#include "io/plot.h"

#include "core/core.h"
#include "family/family.h"
#include "io/atomic.h"

#include <math.h>
#include <stdio.h>

/* Plot area within a 760 x 500 picture: room for the title and the nonzero
** axis above, the axis labels left and below, the legend at the right. */
enum { WIDTH = 760, HEIGHT = 500, LEFT = 78, RIGHT = 600, TOP = 92, BOTTOM = 440 };

/* Colours for up to eight alphas (Okabe & Ito's colour-blind-safe palette). */
static const char *palette[] = {"#D55E00", "#0072B2", "#009E73", "#CC79A7",
                                "#E69F00", "#56B4E9", "#000000", "#F0E442"};

typedef struct scale {
    double lo, hi;   /* data range */
    double a, b;     /* pixel range */
} scale;

static double to_px(const scale *s, double v) { return s->a + (v - s->lo) / (s->hi - s->lo) * (s->b - s->a); }

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
}

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

static void axes(FILE *f, const scale *sx, const scale *sy, const char *ylabel)
{
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='white' stroke='#444' stroke-width='1'/>\n", LEFT,
            TOP, RIGHT - LEFT, BOTTOM - TOP);
    double step = nice_step(sx->hi - sx->lo, 6);
    for (double t = ceil(sx->lo / step) * step; t <= sx->hi + 1e-9 * step; t += step) {
        double x = to_px(sx, t);
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#eee'/>\n", x, TOP, x, BOTTOM);
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>\n", x, BOTTOM, x, BOTTOM + 5);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%g</text>\n", x, BOTTOM + 20, fabs(t) < 1e-12 ? 0.0 : t);
    }
    step = nice_step(sy->hi - sy->lo, 6);
    for (double t = ceil(sy->lo / step) * step; t <= sy->hi + 1e-9 * step; t += step) {
        double y = to_px(sy, t);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>\n", LEFT, y, RIGHT, y);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#444'/>\n", LEFT - 5, y, LEFT, y);
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>%g</text>\n", LEFT - 8, y,
                fabs(t) < 1e-12 * step ? 0.0 : t);
    }
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>log(\xce\xbb)</text>\n", (LEFT + RIGHT) / 2, BOTTOM + 44);
    fprintf(f, "<text transform='translate(22 %d) rotate(-90)' text-anchor='middle'>%s</text>\n",
            (TOP + BOTTOM) / 2, ylabel);
}

/* The nonzero counts of the best curve along the top, at about ten lambdas. */
static void nonzero_axis(FILE *f, const lariat_cv_curve *c, const scale *sx)
{
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle' fill='#555'>nonzero coefficients</text>\n",
            (LEFT + RIGHT) / 2, TOP - 30);
    int every = c->nlambda > 10 ? (c->nlambda + 9) / 10 : 1;
    for (int l = 0; l < c->nlambda; l += every) {
        double x = to_px(sx, log(c->lambda[l]));
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>\n", x, TOP - 5, x, TOP);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle' fill='#555'>%lld</text>\n", x, TOP - 10,
                (long long)c->nonzero[l]);
    }
}

static void curve(FILE *f, const lariat_cv_curve *c, const scale *sx, const scale *sy, const char *colour)
{
    for (int l = 0; l < c->nlambda; l++) {
        double x = to_px(sx, log(c->lambda[l]));
        double y0 = to_px(sy, c->cvm[l] - c->cvsd[l]), y1 = to_px(sy, c->cvm[l] + c->cvsd[l]);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x, y0, x, y1);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x - 2.5, y0, x + 2.5, y0);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#9a9a9a'/>\n", x - 2.5, y1, x + 2.5, y1);
    }
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1' stroke-opacity='0.5' points='", colour);
    for (int l = 0; l < c->nlambda; l++) {
        fprintf(f, "%.1f,%.1f ", to_px(sx, log(c->lambda[l])), to_px(sy, c->cvm[l]));
    }
    fprintf(f, "'/>\n");
    for (int l = 0; l < c->nlambda; l++) {
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='2.8' fill='%s'/>\n", to_px(sx, log(c->lambda[l])),
                to_px(sy, c->cvm[l]), colour);
    }
}

static void marker(FILE *f, const scale *sx, double lambda, const char *label, int row)
{
    double x = to_px(sx, log(lambda));
    fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#333' stroke-dasharray='5,4'/>\n", x, TOP, x,
            BOTTOM);
    fprintf(f, "<text x='%.1f' y='%d' text-anchor='start' font-size='11' fill='#333'>%s</text>\n", x + 4,
            TOP + 14 + 14 * row, label);
}

static void write_svg(FILE *f, const lariat_cv_result *res)
{
    scale sx = {INFINITY, -INFINITY, LEFT + 10, RIGHT - 10}, sy = {INFINITY, -INFINITY, BOTTOM - 10, TOP + 10};
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
    if (!(sx.hi > sx.lo)) {
        sx.lo -= 1.0;
        sx.hi += 1.0;
    }
    if (!(sy.hi > sy.lo)) {
        sy.lo -= 1.0;
        sy.hi += 1.0;
    }
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' "
               "font-family='Helvetica, Arial, sans-serif' font-size='13'>\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
    fprintf(f, "<text x='%d' y='24' text-anchor='middle' font-size='16' font-weight='bold'>%d-fold "
               "cross-validation</text>\n",
            (LEFT + RIGHT) / 2, res->nfolds);
    axes(f, &sx, &sy, measure_label(res));
    const lariat_cv_curve *best = &res->curves[res->best];
    nonzero_axis(f, best, &sx);
    for (int a = 0; a < res->nalpha; a++) curve(f, &res->curves[a], &sx, &sy, palette[a % 8]);
    char label[64];
    snprintf(label, sizeof(label), "\xce\xbb min = %.3g", res->lambda_min);
    marker(f, &sx, res->lambda_min, label, 0);
    snprintf(label, sizeof(label), "\xce\xbb 1se = %.3g", res->lambda_1se);
    marker(f, &sx, res->lambda_1se, label, 1);
    fprintf(f, "<text x='%d' y='%d' font-weight='bold'>alpha</text>\n", RIGHT + 20, TOP + 10);
    for (int a = 0; a < res->nalpha; a++) {
        int y = TOP + 32 + 22 * a;
        fprintf(f, "<circle cx='%d' cy='%d' r='5' fill='%s'/>\n", RIGHT + 26, y - 4, palette[a % 8]);
        fprintf(f, "<text x='%d' y='%d'>%g%s</text>\n", RIGHT + 38, y, res->curves[a].alpha,
                a == res->best ? "  (best)" : "");
    }
    fprintf(f, "<text x='%d' y='%d' font-size='11' fill='#555'>bars: cvm \xc2\xb1 cvsd</text>\n", RIGHT + 20,
            TOP + 48 + 22 * res->nalpha);
    fprintf(f, "</svg>\n");
}

int lariat_cv_plot_svg(lariat_ctx *ctx, const lariat_cv_result *res, const char *path)
{
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) {
        lariat_atomic_file w;
        rc = lariat_atomic_open(ctx, path, &w);
        if (rc == LARIAT_OK) {
            write_svg(w.fp, res);
            rc = lariat_atomic_commit(ctx, &w);
        }
    }
    return lariat_agree(ctx, rc);
}
