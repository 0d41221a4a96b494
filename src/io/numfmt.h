/*
** Decimal text for doubles that reads back bit-exact, for every file lariat
** writes (model JSON, generated data, tables). The installed cJSON (1.7.15)
** does NOT guarantee this: it prints "%1.15g" whenever the value read back is
** within a relative DBL_EPSILON of the original, which loses the last bit of,
** for example, the double after 0.1. So numbers are formatted here.
*/
#ifndef LARIAT_NUMFMT_H
#define LARIAT_NUMFMT_H

#include <stddef.h>

/* Enough for any "%.17g" of a double, with the terminating NUL. */
#define LARIAT_DOUBLE_CHARS 32

/* Not collective. Writes the shortest of "%.15g", "%.16g", "%.17g" that
** strtod reads back to exactly x (17 significant digits always suffice,
** IEEE 754 section 5.12.2), into buf (at least LARIAT_DOUBLE_CHARS bytes);
** returns its length. Non-finite x gives "nan", "inf" or "-inf" (callers
** writing JSON must reject those first). Uses the C locale's '.' as the
** decimal point, as every lariat reader expects (no setlocale is called). */
int lariat_format_double(char *buf, double x);

#endif /* LARIAT_NUMFMT_H */
