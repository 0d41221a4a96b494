/*
** The parts of the SVG pictures that every picture shares (src/io/svg.h).
*/
#include "io/svg.h"

#include "core/core.h"
#include "io/atomic.h"

#include <math.h>

const char *const lariat_svg_palette[LARIAT_SVG_NCOLOUR] = {"#D55E00", "#0072B2", "#009E73", "#CC79A7",
                                                            "#E69F00", "#56B4E9", "#000000", "#F0E442"};

double lariat_svg_px(const lariat_svg_scale *s, double v) { return s->a + (v - s->lo) / (s->hi - s->lo) * (s->b - s->a); }

void lariat_svg_scale_fix(lariat_svg_scale *s)
{
    if (!isfinite(s->lo) || !isfinite(s->hi)) {
        s->lo = -1.0;
        s->hi = 1.0;
    } else if (!(s->hi > s->lo)) {
        s->lo -= 1.0;
        s->hi = s->lo + 2.0;
    }
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
}

void lariat_svg_begin(FILE *f, int width, int height)
{
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' "
               "font-family='Helvetica, Arial, sans-serif' font-size='13'>\n",
            width, height, width, height);
    fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
}

void lariat_svg_end(FILE *f) { fprintf(f, "</svg>\n"); }

/* The length (1 to 4) of the UTF-8 sequence at s if it encodes a character
** XML 1.0 allows (no control characters, surrogates, U+FFFE or U+FFFF, and
** no overlong forms: RFC 3629's table of well-formed byte sequences); else 0. */
static int utf8_length(const unsigned char *s)
{
    const unsigned c = s[0];
    if (c < 0x80) return c >= 0x20 && c != 0x7F ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) return 0; /* U+FFFE, U+FFFF */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

/* Writes the character of n bytes at s (n = 0: U+FFFD for one bad byte). */
static void put_char(FILE *f, const unsigned char *s, int n)
{
    if (n == 0) {
        fputs("\xef\xbf\xbd", f);
        return;
    }
    switch (s[0]) {
    case '&': fputs("&amp;", f); return;
    case '<': fputs("&lt;", f); return;
    case '>': fputs("&gt;", f); return;
    case '\'': fputs("&apos;", f); return;
    case '"': fputs("&quot;", f); return;
    default: fwrite(s, 1, (size_t)n, f);
    }
}

int lariat_svg_put_text(FILE *f, const char *text, int max_chars)
{
    const unsigned char *s = (const unsigned char *)text;
    int total = 0;
    for (const unsigned char *t = s; *t != '\0'; total++) {
        int n = utf8_length(t);
        t += n > 0 ? n : 1;
    }
    const int cut = max_chars > 0 && total > max_chars;
    const int keep = cut ? max_chars - 1 : total;
    for (int k = 0; k < keep; k++) {
        int n = utf8_length(s);
        if (f != NULL) put_char(f, s, n);
        s += n > 0 ? n : 1;
    }
    if (cut && f != NULL) fputs("\xe2\x80\xa6", f);
    return cut ? max_chars : total;
}

void lariat_svg_axes(FILE *f, const lariat_svg_frame *fr, const lariat_svg_scale *sx, const lariat_svg_scale *sy,
                     const char *xlabel, const char *ylabel)
{
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='white' stroke='#444' stroke-width='1'/>\n", fr->left,
            fr->top, fr->right - fr->left, fr->bottom - fr->top);
    double step = nice_step(sx->hi - sx->lo, 6);
    for (double t = ceil(sx->lo / step) * step; t <= sx->hi + 1e-9 * step; t += step) {
        double x = lariat_svg_px(sx, t);
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#eee'/>\n", x, fr->top, x, fr->bottom);
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>\n", x, fr->bottom, x, fr->bottom + 5);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%g</text>\n", x, fr->bottom + 20,
                fabs(t) < 1e-12 ? 0.0 : t);
    }
    step = nice_step(sy->hi - sy->lo, 6);
    for (double t = ceil(sy->lo / step) * step; t <= sy->hi + 1e-9 * step; t += step) {
        double y = lariat_svg_px(sy, t);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>\n", fr->left, y, fr->right, y);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#444'/>\n", fr->left - 5, y, fr->left, y);
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>%g</text>\n", fr->left - 8, y,
                fabs(t) < 1e-12 * step ? 0.0 : t);
    }
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>", (fr->left + fr->right) / 2, fr->bottom + 44);
    lariat_svg_put_text(f, xlabel, 0);
    fprintf(f, "</text>\n<text transform='translate(22 %d) rotate(-90)' text-anchor='middle'>", (fr->top + fr->bottom) / 2);
    lariat_svg_put_text(f, ylabel, 0);
    fprintf(f, "</text>\n");
}

void lariat_svg_nonzero_axis(FILE *f, const lariat_svg_frame *fr, const lariat_svg_scale *sx, int n,
                             const double *lambda, const int64_t *count)
{
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle' fill='#555'>nonzero coefficients</text>\n",
            (fr->left + fr->right) / 2, fr->top - 30);
    fprintf(f, "<g class='nonzero-axis'>\n");
    int every = n > 10 ? (n + 9) / 10 : 1;
    for (int l = 0; l < n; l += every) {
        if (!(lambda[l] > 0)) continue;
        double x = lariat_svg_px(sx, log(lambda[l]));
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>\n", x, fr->top - 5, x, fr->top);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle' fill='#555' data-index='%d'>%lld</text>\n", x,
                fr->top - 10, l, (long long)count[l]);
    }
    fprintf(f, "</g>\n");
}

int lariat_svg_write(lariat_ctx *ctx, const char *path, lariat_svg_draw_fn draw, const void *arg)
{
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) {
        lariat_atomic_file w;
        rc = lariat_atomic_open(ctx, path, &w);
        if (rc == LARIAT_OK) {
            rc = draw(ctx, w.fp, arg);
            if (rc == LARIAT_OK) rc = lariat_atomic_commit(ctx, &w);
            else lariat_atomic_abort(&w);
        }
    }
    return lariat_agree(ctx, rc);
}
