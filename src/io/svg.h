/*
** What the SVG pictures share (`cv --plot`, `fit --plot`; src/io/plot.h):
** the linear scales, the framed plot area with its grid, ticks and axis
** labels, the count of nonzero coefficients along the top (glmnet's df axis),
** the colours, escaped text, and writing the file atomically from rank 0.
** One place, so that the pictures keep one look.
**
** A picture is drawn by hand: a few thousand elements need no plotting
** library, and SVG renders in any browser. Everything here is Not collective
** except lariat_svg_write.
*/
#ifndef LARIAT_SVG_H
#define LARIAT_SVG_H

#include "lariat.h"

#include <stdint.h>
#include <stdio.h>

/* A linear map from the data range [lo, hi] to the pixel range [a, b]. */
typedef struct lariat_svg_scale {
    double lo, hi;
    double a, b;
} lariat_svg_scale;

/* The plot area, in pixels of the picture. */
typedef struct lariat_svg_frame {
    int left, right, top, bottom;
} lariat_svg_frame;

/* Colours for curves (Okabe and Ito's colour-blind-safe palette); index it
** modulo LARIAT_SVG_NCOLOUR. */
enum { LARIAT_SVG_NCOLOUR = 8 };
extern const char *const lariat_svg_palette[LARIAT_SVG_NCOLOUR];

/* The pixel of data value v. */
double lariat_svg_px(const lariat_svg_scale *s, double v);

/* Widens an empty or unset range (lo >= hi, or infinite) to one unit either
** side of lo (or to [-1, 1]), so that lariat_svg_px never divides by zero. */
void lariat_svg_scale_fix(lariat_svg_scale *s);

/* The opening <svg> element of a width x height picture (fonts, white
** background). lariat_svg_end closes it. */
void lariat_svg_begin(FILE *f, int width, int height);
void lariat_svg_end(FILE *f);

/* Writes s as XML character data or attribute text: & < > ' " escaped,
** control characters and bytes that are not UTF-8 replaced by U+FFFD (so a
** feature name from a CSV header cannot make the file ill-formed). At most
** max_chars characters (<= 0: all), the last one an ellipsis when cut.
** Returns the characters written; with f NULL it only counts them (to
** estimate a label's width). */
int lariat_svg_put_text(FILE *f, const char *s, int max_chars);

/* The frame with its grid, the ticks of both scales at "nice" steps (1, 2 or
** 5 times a power of ten) and their numbers, and the axis labels (plain
** text, escaped) below and to the left. */
void lariat_svg_axes(FILE *f, const lariat_svg_frame *fr, const lariat_svg_scale *sx, const lariat_svg_scale *sy,
                     const char *xlabel, const char *ylabel);

/* The count of nonzero coefficients along the top of the frame (glmnet's
** df axis): "nonzero coefficients" above it and count[l] at log(lambda[l])
** for about ten of the n lambdas, every ceil(n / 10)-th from the first; a
** lambda <= 0 (no logarithm) is passed over. The numbers are one
** <g class='nonzero-axis'>, each <text> carrying data-index='l', so that a
** test can match them to the model's path. */
void lariat_svg_nonzero_axis(FILE *f, const lariat_svg_frame *fr, const lariat_svg_scale *sx, int n,
                             const double *lambda, const int64_t *count);

/* Draws the picture into an open file; returns a status (message in ctx). */
typedef int (*lariat_svg_draw_fn)(lariat_ctx *ctx, FILE *f, const void *arg);

/* Collective. Rank 0 writes the picture that draw makes to path atomically
** (src/io/atomic.h: a temporary renamed into place, nothing left behind on
** failure); the other ranks only wait for the agreed status. Errors name
** path (LARIAT_EIO) or what could not be allocated (LARIAT_ENOMEM). */
int lariat_svg_write(lariat_ctx *ctx, const char *path, lariat_svg_draw_fn draw, const void *arg);

#endif /* LARIAT_SVG_H */
