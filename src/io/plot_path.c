/*
** The coefficient paths as SVG (`fit --plot`, src/io/plot.h), after glmnet's
** plot(fit, xvar = "lambda") (plotCoef in glmnet's R sources): log(lambda)
** across, increasing to the right as in glmnet and in the CV plot, so the
** path starts (lambda_max, every penalized coefficient 0) at the right and
** ends, fully grown, at the left. The frame, ticks, the nonzero axis and the
** file are src/io/svg.c's.
**
** The names go where the lines end, at the smallest lambda: in a margin
** inside the frame, left of the lines' ends, for the largest few
** coefficients there whose labels can be laid out without overlapping
** (glmnet's label = TRUE puts every name there, overlapping or not). Named
** lines get colours of their own, the rest are grey; every line carries
** its feature's name as a tooltip.
*/
#include "io/plot.h"

#include "core/core.h"
#include "family/family.h"
#include "io/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* One panel is 760 x 500, as the CV plot, with the plot area wider since
** there is no legend at the right; a multinomial fit stacks K panels. */
enum { WIDTH = 760, PANEL_HEIGHT = 500, LEFT = 78, RIGHT = 730, TOP = 100, BOTTOM = 440 };

/* Labels: at most LABEL_MAX names, cut to LABEL_CHARS characters, at least
** LABEL_GAP pixels apart vertically and at most LABEL_SHIFT pixels above or
** below their line's end (inside the 10 pixels between the data and the
** frame); CHAR_PX estimates the width of one character at the labels' 11 px
** (Helvetica's average advance is about 0.55 em; a little more keeps wide
** letters inside the margin). */
enum { LABEL_MAX = 6, LABEL_CHARS = 16, LABEL_GAP = 12, LABEL_SHIFT = 8 };
static const double CHAR_PX = 6.4;

/* The named lines take six distinct colours of the shared palette (not its
** yellow, too pale for thin lines and small text on white), in order of
** size; the others are grey, so that a colour names one line. */
static const int LABEL_COLOURS[LABEL_MAX] = {0, 1, 2, 3, 6, 5};
static const char *const OTHER_COLOUR = "#aaaaaa";

typedef struct path_plot {
    const lariat_fit *fit;
    char *const *names; /* p names, or NULL */
} path_plot;

/* A coefficient that may get a label: its size at the end of the path. */
typedef struct candidate {
    double size;
    int64_t j;
} candidate;

/* What the panels need, allocated once for all of them. */
typedef struct panel_work {
    double *lambda;        /* nlambda: the lambdas, for the nonzero axis */
    int64_t *count;        /* nlambda: the panel's nonzero coefficients at each lambda */
    unsigned char *drawn;  /* p: coefficient j is nonzero somewhere on the path */
    candidate *cand;       /* p: the coefficients drawn, sorted as label candidates */
} panel_work;

/* For qsort of the label candidates: larger first, then the lower feature
** index (a total order, so the picture does not depend on qsort). */
static int by_size(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* Lays out n <= LABEL_MAX label heights: at[r] as close to want[r] as can
** be (least squares) with neighbours at least LABEL_GAP apart, by pooling
** adjacent violators (each run of touching labels is centred on its wants).
** Returns the largest |at[r] - want[r]|. */
static double spread(const double *want, double *at, int n)
{
    int idx[LABEL_MAX];
    for (int r = 0; r < n; r++) {
        int i = r;
        while (i > 0 && want[idx[i - 1]] > want[r]) {
            idx[i] = idx[i - 1];
            i--;
        }
        idx[i] = r;
    }
    /* Runs: the first sorted label, the count, and the sum of want - k gap
    ** over the run's k-th label, whose mean is where the run starts. */
    int first[LABEL_MAX], count[LABEL_MAX], runs = 0;
    double sum[LABEL_MAX];
    for (int i = 0; i < n; i++) {
        first[runs] = i;
        count[runs] = 1;
        sum[runs] = want[idx[i]];
        runs++;
        while (runs > 1 && sum[runs - 2] / count[runs - 2] + count[runs - 2] * (double)LABEL_GAP >
                               sum[runs - 1] / count[runs - 1]) {
            sum[runs - 2] += sum[runs - 1] - (double)count[runs - 1] * count[runs - 2] * LABEL_GAP;
            count[runs - 2] += count[runs - 1];
            runs--;
        }
    }
    double worst = 0.0;
    for (int u = 0; u < runs; u++) {
        for (int k = 0; k < count[u]; k++) {
            const int r = idx[first[u] + k];
            at[r] = sum[u] / count[u] + k * (double)LABEL_GAP;
            worst = fmax(worst, fabs(at[r] - want[r]));
        }
    }
    return worst;
}

/* Coefficient j of predictor c at path entry k (the model file's numbers). */
static double coef_at(const lariat_fit *fit, int k, int c, int64_t j) { return fit->path[k].coef[(int64_t)c * fit->p + j]; }

/* The feature's name as the model file gives it ("x1".."xp" without names). */
static const char *feature_name(const path_plot *pp, int64_t j, char *buf, size_t len)
{
    if (pp->names != NULL && pp->names[j] != NULL) return pp->names[j];
    snprintf(buf, len, "x%lld", (long long)(j + 1));
    return buf;
}

/* The title lines of panel c: what is drawn, the family and alpha. */
static void titles(FILE *f, const lariat_fit *fit, int c, int K)
{
    const int mid = (LEFT + RIGHT) / 2;
    fprintf(f, "<text x='%d' y='24' text-anchor='middle' font-size='16' font-weight='bold'>Coefficient paths", mid);
    if (K > 1 && fit->classes != NULL) fprintf(f, ": class %g", fit->classes[c]);
    else if (K > 1) fprintf(f, ": predictor %d", c + 1);
    fprintf(f, "</text>\n<text x='%d' y='46' text-anchor='middle' font-size='12' fill='#555'>", mid);
    if (fit->family == LARIAT_FAMILY_BINOMIAL && fit->nclass == 2 && fit->classes != NULL) {
        fprintf(f, "binomial: log-odds of class %g against %g", fit->classes[1], fit->classes[0]);
    } else if (K > 1) {
        fprintf(f, "multinomial (%s), %d classes, one panel each", fit->grouped ? "grouped" : "ungrouped", K);
    } else {
        fprintf(f, "%s", lariat_family_name(fit->family));
    }
    fprintf(f, ", alpha = %g, %d lambda%s</text>\n", fit->alpha, fit->nlambda, fit->nlambda == 1 ? "" : "s");
}

/* Where a panel's lines go: the scales, the points (lambdas > 0) and the
** index of the smallest lambda. */
typedef struct line_geom {
    const lariat_svg_scale *sx, *sy;
    int npoints, last;
} line_geom;

/* Coefficient j of predictor c along the path, one <polyline> whose tooltip
** (<title>) is the feature's name; a path of one point gets a dot as well,
** since a line of one point shows nothing. */
static void line(FILE *f, const path_plot *pp, int c, int64_t j, const line_geom *g, const char *colour, double width)
{
    const lariat_fit *fit = pp->fit;
    char buf[32];
    fprintf(f, "<polyline class='coef' data-feature='%lld' fill='none' stroke='%s' stroke-width='%g' points='",
            (long long)j, colour, width);
    for (int k = 0; k < fit->nlambda; k++) {
        if (!(fit->path[k].lambda > 0)) continue;
        fprintf(f, "%.1f,%.1f ", lariat_svg_px(g->sx, log(fit->path[k].lambda)), lariat_svg_px(g->sy, coef_at(fit, k, c, j)));
    }
    fprintf(f, "'><title>");
    lariat_svg_put_text(f, feature_name(pp, j, buf, sizeof(buf)), 0);
    fprintf(f, "</title></polyline>\n");
    if (g->npoints == 1) {
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", lariat_svg_px(g->sx, log(fit->path[g->last].lambda)),
                lariat_svg_px(g->sy, coef_at(fit, g->last, c, j)), colour);
    }
}

/* Panel c: predictor c's coefficients (the only one unless multinomial),
** drawn at vertical offset c * PANEL_HEIGHT. */
static void panel(FILE *f, const path_plot *pp, int c, int K, panel_work *w)
{
    const lariat_fit *fit = pp->fit;
    const int64_t p = fit->p;
    const int n = fit->nlambda;
    char buf[32];

    /* The points are the lambdas > 0 (a given lambda of 0 has no logarithm);
    ** the smallest of them, `last`, is where the lines end. The vertical
    ** range always holds 0, for the zero line. */
    lariat_svg_scale sx = {INFINITY, -INFINITY, LEFT + 10, RIGHT - 10}, sy = {0.0, 0.0, BOTTOM - 10, TOP + 10};
    int last = -1;
    for (int k = 0; k < n; k++) {
        const lariat_solution *s = &fit->path[k];
        w->lambda[k] = s->lambda;
        int64_t nz = 0;
        for (int64_t j = 0; j < p; j++) nz += coef_at(fit, k, c, j) != 0.0;
        /* The model's count for one predictor; a class's own for multinomial. */
        w->count[k] = K > 1 ? nz : s->nonzero;
        if (!(s->lambda > 0)) continue;
        sx.lo = fmin(sx.lo, log(s->lambda));
        sx.hi = fmax(sx.hi, log(s->lambda));
        if (last < 0 || s->lambda < fit->path[last].lambda) last = k;
    }
    int64_t ndrawn = 0;
    for (int64_t j = 0; j < p; j++) {
        w->drawn[j] = 0;
        for (int k = 0; k < n; k++) {
            const double b = coef_at(fit, k, c, j);
            if (!(fit->path[k].lambda > 0) || b == 0.0 || !isfinite(b)) continue;
            w->drawn[j] = 1;
            sy.lo = fmin(sy.lo, b);
            sy.hi = fmax(sy.hi, b);
        }
        /* A drawn coefficient has a point at lambda > 0, so last >= 0. */
        if (w->drawn[j]) w->cand[ndrawn++] = (candidate){fabs(coef_at(fit, last, c, j)), j};
    }
    lariat_svg_scale_fix(&sx);
    lariat_svg_scale_fix(&sy);

    /* The labels first: their widths make the margin the lines start after.
    ** The candidates are the 2 LABEL_MAX largest at the end of the path (a
    ** coefficient that ends at 0 has nothing to name there); each is taken
    ** if the labels taken so far and it can be laid out LABEL_GAP apart with
    ** none more than LABEL_SHIFT from its line's end. */
    qsort(w->cand, (size_t)ndrawn, sizeof(candidate), by_size);
    int nplaced = 0, chars = 0;
    int64_t label_of[LABEL_MAX];
    double want[LABEL_MAX], placed[LABEL_MAX], trial[LABEL_MAX];
    for (int64_t q = 0; q < ndrawn && q < 2 * LABEL_MAX && nplaced < LABEL_MAX; q++) {
        const int64_t j = w->cand[q].j;
        if (!(w->cand[q].size > 0) || !isfinite(w->cand[q].size)) break;
        want[nplaced] = lariat_svg_px(&sy, coef_at(fit, last, c, j));
        if (spread(want, trial, nplaced + 1) > LABEL_SHIFT) continue;
        for (int r = 0; r <= nplaced; r++) placed[r] = trial[r];
        const int m = lariat_svg_put_text(NULL, feature_name(pp, j, buf, sizeof(buf)), LABEL_CHARS);
        chars = m > chars ? m : chars;
        label_of[nplaced++] = j;
    }
    if (nplaced > 0) sx.a += ceil(chars * CHAR_PX) + 6;

    fprintf(f, "<g class='panel' data-class='%d' transform='translate(0 %d)'>\n", c, c * PANEL_HEIGHT);
    titles(f, fit, c, K);
    const lariat_svg_frame fr = {LEFT, RIGHT, TOP, BOTTOM};
    lariat_svg_axes(f, &fr, &sx, &sy, "log(\xce\xbb)", "coefficients");
    lariat_svg_nonzero_axis(f, &fr, &sx, n, w->lambda, w->count);
    const double y0 = lariat_svg_px(&sy, 0.0);
    fprintf(f, "<line class='zero' x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#444' stroke-dasharray='2,3'/>\n",
            LEFT, y0, RIGHT, y0);

    /* One line per coefficient that is nonzero somewhere: the named ones in
    ** colours of their own, drawn last (on top); the others in grey. */
    int npoints = 0;
    for (int k = 0; k < n; k++) npoints += fit->path[k].lambda > 0;
    const line_geom g = {&sx, &sy, npoints, last};
    for (int64_t j = 0; j < p; j++) {
        int named = 0;
        for (int r = 0; r < nplaced; r++) named |= label_of[r] == j;
        if (w->drawn[j] && !named) line(f, pp, c, j, &g, OTHER_COLOUR, 1.0);
    }
    for (int r = 0; r < nplaced; r++) {
        const int64_t j = label_of[r];
        const char *colour = lariat_svg_palette[LABEL_COLOURS[r]];
        line(f, pp, c, j, &g, colour, 1.75);
        fprintf(f, "<text class='label' x='%.1f' y='%.1f' text-anchor='end' dominant-baseline='middle' "
                   "font-size='11' fill='%s'>",
                lariat_svg_px(&sx, log(fit->path[last].lambda)) - 6, placed[r], colour);
        lariat_svg_put_text(f, feature_name(pp, j, buf, sizeof(buf)), LABEL_CHARS);
        fprintf(f, "</text>\n");
    }
    if (npoints == 0) {
        fprintf(f, "<text x='%d' y='%d' text-anchor='middle' fill='#555'>no lambda &gt; 0 to draw on a log scale</text>\n",
                (LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2);
    }
    fprintf(f, "</g>\n");
}

/* Draws the picture (a lariat_svg_draw_fn; arg is the path_plot). */
static int draw_paths(lariat_ctx *ctx, FILE *f, const void *arg)
{
    const path_plot *pp = arg;
    const lariat_fit *fit = pp->fit;
    const int K = fit->nlin > 1 ? fit->nlin : 1;
    const size_t n = fit->nlambda > 0 ? (size_t)fit->nlambda : 1, p = (size_t)fit->p;
    panel_work w;
    w.lambda = lariat_malloc(ctx, n, sizeof(double), "the plot's lambdas");
    w.count = lariat_malloc(ctx, n, sizeof(int64_t), "the plot's nonzero counts");
    w.drawn = lariat_malloc(ctx, p > 0 ? p : 1, 1, "the plot's coefficients");
    w.cand = lariat_malloc(ctx, p > 0 ? p : 1, sizeof(candidate), "the plot's labels");
    int rc = w.lambda && w.count && w.drawn && w.cand ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK) {
        lariat_svg_begin(f, WIDTH, K * PANEL_HEIGHT);
        for (int c = 0; c < K; c++) panel(f, pp, c, K, &w);
        lariat_svg_end(f);
    }
    free(w.lambda);
    free(w.count);
    free(w.drawn);
    free(w.cand);
    return rc;
}

int lariat_path_plot_svg(lariat_ctx *ctx, const lariat_fit *fit, char *const *feature_names, const char *path)
{
    const path_plot pp = {fit, feature_names};
    return lariat_svg_write(ctx, path, draw_paths, &pp);
}
