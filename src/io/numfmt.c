/*
** Exact decimal text for doubles (see numfmt.h for why cJSON's is not used).
*/
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lariat_format_double(char *buf, double x)
{
    if (!isfinite(x)) return snprintf(buf, LARIAT_DOUBLE_CHARS, "%s", isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf"));
    /* Zero is common (a lasso path is mostly zeros) and needs no search. */
    if (x == 0.0) return snprintf(buf, LARIAT_DOUBLE_CHARS, "%s", signbit(x) ? "-0" : "0");
    /* The shortest of 15, 16 and 17 significant digits that reads back: 17
    ** always does (IEEE 754-2008, 5.12.2). Trying 16 first costs at most two
    ** conversions for the values a solver produces, most of which need 16
    ** or 17; values a person typed (0.5, 1e-07) come out short. */
    int len = snprintf(buf, LARIAT_DOUBLE_CHARS, "%.16g", x);
    if (strtod(buf, NULL) != x) return snprintf(buf, LARIAT_DOUBLE_CHARS, "%.17g", x);
    char shorter[LARIAT_DOUBLE_CHARS];
    int len15 = snprintf(shorter, sizeof(shorter), "%.15g", x);
    if (strtod(shorter, NULL) == x) {
        memcpy(buf, shorter, (size_t)len15 + 1);
        len = len15;
    }
    return len;
}
