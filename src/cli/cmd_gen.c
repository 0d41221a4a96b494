/*
** `lariat gen`: synthetic regression or classification data (the generator
** is io/gen.h); every rank formats its share of the rows, and the file is the
** same bytes for any number of ranks. --classes belongs to --family
** multinomial (binomial takes --classes 2, its own count) and --noise to
** gaussian: given with another family they are bad usage (a user who gives
** them expects them to act).
*/
#include "cli/commands.h"
#include "cli/setup.h"
#include "core/core.h"
#include "family/family.h"
#include "io/gen.h"

#include <stdio.h>
#include <string.h>

int lc_cmd_gen(lariat_ctx *ctx, const lc_options *o, double t_start)
{
    int rc = lc_require(ctx, o, LC_OPT_ROWS);
    if (rc == LARIAT_OK) rc = lc_require(ctx, o, LC_OPT_FEATURES);
    if (rc == LARIAT_OK) rc = lc_require(ctx, o, LC_OPT_OUT);
    if (rc != LARIAT_OK) return rc; /* options are the same on every rank */

    lariat_gen_options g;
    lariat_gen_options_default(&g);
    g.rows = lc_int(o, LC_OPT_ROWS);
    g.features = lc_int(o, LC_OPT_FEATURES);
    if (lc_given(o, LC_OPT_NONZERO)) g.nonzero = lc_int(o, LC_OPT_NONZERO);
    g.corr = lc_real(o, LC_OPT_CORR);
    g.noise = lc_real(o, LC_OPT_NOISE);
    g.density = lc_real(o, LC_OPT_DENSITY);
    g.seed = (uint64_t)lc_int(o, LC_OPT_SEED);
    g.family = lc_family(o);
    if (g.family == LARIAT_FAMILY_BINOMIAL && lc_given(o, LC_OPT_CLASSES) && lc_int(o, LC_OPT_CLASSES) != 2) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s %lld: binomial data has two classes (--family multinomial "
                            "for more)", lc_origin(o, LC_OPT_CLASSES), (long long)lc_int(o, LC_OPT_CLASSES));
    }
    if (g.family == LARIAT_FAMILY_GAUSSIAN && lc_given(o, LC_OPT_CLASSES)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s applies to --family multinomial (and binomial, 2) only (the "
                            "family is %s)", lc_origin(o, LC_OPT_CLASSES), lariat_family_name(g.family));
    }
    if (g.family != LARIAT_FAMILY_GAUSSIAN && lc_given(o, LC_OPT_NOISE)) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s applies to --family gaussian only: %s labels are drawn from "
                            "the model's probabilities", lc_origin(o, LC_OPT_NOISE), lariat_family_name(g.family));
    }
    if (lc_int(o, LC_OPT_CLASSES) > 1000) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%s %lld: at most 1000 classes (what a multinomial fit takes)",
                            lc_origin(o, LC_OPT_CLASSES), (long long)lc_int(o, LC_OPT_CLASSES));
    }
    g.classes = (int)lc_int(o, LC_OPT_CLASSES);
    const char *format = lc_text(o, LC_OPT_FORMAT);
    if (format == NULL) g.format = LARIAT_FORMAT_AUTO;
    else if (strcmp(format, "csv") == 0) g.format = LARIAT_FORMAT_CSV;
    else if (strcmp(format, "libsvm") == 0) g.format = LARIAT_FORMAT_LIBSVM;
    else if (strcmp(format, "hdf5") == 0) g.format = LARIAT_FORMAT_HDF5;
    else return lariat_error(ctx, LARIAT_EUSAGE, "%s: gen writes csv, libsvm or hdf5, not %s", lc_origin(o, LC_OPT_FORMAT), format);
    const char *out = lc_text(o, LC_OPT_OUT);
    char coef_path[4096];
    rc = lariat_gen_coef_path(ctx, out, coef_path, sizeof(coef_path));
    if (rc == LARIAT_OK) rc = lariat_gen_write(ctx, &g, out, coef_path);
    if (rc == LARIAT_OK && lariat_ctx_rank(ctx) == 0) {
        printf("lariat gen: wrote %lld rows x %lld features to %s in %.3f s\n", (long long)g.rows,
               (long long)g.features, out, lariat_now() - t_start);
        if (g.family == LARIAT_FAMILY_MULTINOMIAL) {
            printf("  multinomial labels 0..%d; true coefficients in %s (one column per class)\n", g.classes - 1,
                   coef_path);
        } else if (g.family == LARIAT_FAMILY_BINOMIAL) {
            printf("  binomial labels 0/1 (-1/+1 in LIBSVM files); true coefficients in %s (intercept %g)\n",
                   coef_path, LARIAT_GEN_INTERCEPT);
        } else {
            printf("  true coefficients in %s (intercept %g)\n", coef_path, LARIAT_GEN_INTERCEPT);
        }
        fflush(stdout);
    }
    return rc;
}
