/*
** Decimal text to double, exact and fast, for the file readers.
**
** Every result is the double nearest to the decimal value (ties to even), as
** strtod gives in the C locale, so that numbers written with "%.17g" read back
** bit-exact. Most numbers take a fast path that needs no big arithmetic
** (Clinger 1990; Lemire 2021); the rare ones it cannot decide go to strtod.
**
** The grammar is strict: [+-] digits [. digits] [(e|E) [+-] digits], with at
** least one mantissa digit on either side of the point. No spaces, no hex, no
** "nan" or "inf" (recognized, to be named in messages, and rejected), no
** values that overflow to infinity. Values below the smallest subnormal round
** to zero, as in strtod. The decimal point is always '.', whatever the locale.
*/
#ifndef LARIAT_NUMPARSE_H
#define LARIAT_NUMPARSE_H

#include <stddef.h>

/* Outcomes of parsing. */
enum {
    LARIAT_NUM_OK = 0,
    LARIAT_NUM_SYNTAX,    /* not a number */
    LARIAT_NUM_NONFINITE, /* "nan", "inf" or "infinity" (any case, optional sign) */
    LARIAT_NUM_RANGE,     /* a decimal number too large for a double (1e999) */
    LARIAT_NUM_NOMEM      /* no memory for the copy handed to strtod (numbers > 127 chars) */
};

/* Not collective. Parses the number at the start of [s, end) (no leading
** space) and sets *stop to the first byte after it. On LARIAT_NUM_OK *out is
** the value; on LARIAT_NUM_NONFINITE *stop is after the word; on other codes
** *out and *stop are unspecified. The caller checks that *stop is where the
** field ends: "1.5x" parses as 1.5 with *stop at 'x'. Thread-safe. */
int lariat_numparse(const char *s, const char *end, double *out, const char **stop);

/* Not collective. The whole of [s, s + len) must be one number:
** LARIAT_NUM_SYNTAX when anything follows it. */
int lariat_numparse_field(const char *s, size_t len, double *out);

/* Not collective. A short description of an outcome, for messages
** ("not a number", "NaN or infinity is not allowed", ...). */
const char *lariat_numparse_strerror(int code);

#endif /* LARIAT_NUMPARSE_H */
