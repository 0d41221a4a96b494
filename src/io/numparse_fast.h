/*
** The text readers' inline fast path of lariat_numparse (numparse.h), for
** numbers in a line buffer that may be read a little beyond the number.
**
** lariat_numparse_fast either gives exactly what lariat_numparse gives (the
** value and the stop position) or declines (returns 0), and the caller then
** calls lariat_numparse, which handles everything: errors, NaN and infinity,
** more than 19 significant digits, results that are subnormal or overflow,
** and the roundings that the upper half of the 128-bit product cannot
** decide. It takes the common numbers in one pass with no call: "%.17g"
** text ("-0.33965576823551163", "1.2345678901234567e-05") and short
** decimals.
**
** The padding contract: the byte at `end` is not part of a number (it is
** '\n', '\r', '#', ' ' or '\0': anything but a digit, '.', 'e', 'E', '+' or
** '-'), LARIAT_NUMPARSE_PAD_BEFORE bytes before the field and
** LARIAT_NUMPARSE_PAD_AFTER bytes after `end` are readable (the byte-range
** buffer guarantees both for its lines, byterange.h). Digits are never
** taken from beyond `end`: the scan of a number stops at the first byte that
** cannot continue it, at `end` at the latest.
**
** Digits are classified and converted 16 at a time with SSE2 (every x86-64
** has it); elsewhere, or with LARIAT_NO_SIMD defined (to test that code on
** x86-64), 8 at a time in a 64-bit word, or one at a time.
*/
#ifndef LARIAT_NUMPARSE_FAST_H
#define LARIAT_NUMPARSE_FAST_H

#include "io/numparse.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(LARIAT_NO_SIMD)
#include <emmintrin.h>
#define LARIAT_NUMPARSE_SSE2 1
#endif
#if defined(__SIZEOF_INT128__) && defined(__GNUC__) && FLT_EVAL_METHOD == 0
#define LARIAT_NUMPARSE_FAST 1
#endif

#define LARIAT_NUMPARSE_PAD_BEFORE 16
#define LARIAT_NUMPARSE_PAD_AFTER 32

/* 5^q as a 128-bit truncation T = (hi, lo) in [2^127, 2^128) with 5^q =
** T_true 2^exp, T <= T_true < T + 1 (exact for 0 <= q <= 55); bias is
** exp + q + 1204, the part of a result's biased exponent that depends on q
** only (see lariat_numparse_fast). */
typedef struct lariat_pow5 {
    uint64_t hi, lo;
    int64_t exp, bias;
} lariat_pow5;

/* The decimal exponents of the table (numparse.c says why these). */
#define LARIAT_POW5_MIN (-342)
#define LARIAT_POW5_MAX 308

/* Not collective. The table, entry q - LARIAT_POW5_MIN for 5^q, built at
** the first call. Thread-safe. */
const lariat_pow5 *lariat_pow5_table(void);

#ifdef LARIAT_NUMPARSE_FAST

/* 10^k, k = 0..19. */
static const uint64_t lariat_pow10_u64[20] = {1ULL,
                                              10ULL,
                                              100ULL,
                                              1000ULL,
                                              10000ULL,
                                              100000ULL,
                                              1000000ULL,
                                              10000000ULL,
                                              100000000ULL,
                                              1000000000ULL,
                                              10000000000ULL,
                                              100000000000ULL,
                                              1000000000000ULL,
                                              10000000000000ULL,
                                              100000000000000ULL,
                                              1000000000000000ULL,
                                              10000000000000000ULL,
                                              100000000000000000ULL,
                                              1000000000000000000ULL,
                                              10000000000000000000ULL};

/* Powers of ten that are exact doubles (5^k < 2^53 for k <= 22). */
static const double lariat_exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline int lariat_is_digit(char c) { return (unsigned)(c - '0') < 10; }

#ifdef LARIAT_NUMPARSE_SSE2
/* Eight bytes in a word (x86 is little-endian: the first byte lowest). Non-
** zero from the first byte that is not an ASCII digit on: a digit's high
** nibble is 3 and stays 3 when 6 is added (a low nibble above 9 carries
** into it); adding 6 carries out of a byte only when it is not a digit,
** and carries go towards later bytes, so the flags up to the first
** non-digit are exact. */
static inline uint64_t lariat_nondigit_bytes(uint64_t x)
{
    const uint64_t hi = 0xf0f0f0f0f0f0f0f0ULL, three = 0x3030303030303030ULL;
    return ((x & hi) ^ three) | (((x + 0x0606060606060606ULL) & hi) ^ three);
}

/* The value of eight digits given as their bytes minus '0' (each 0..9, the
** first the most significant; leading zero bytes are leading zeros): 10 a +
** b in 16-bit lanes, 100 a + b in 32-bit lanes, then 10^4 a + b. To take
** k < 8 digits, shift them to the top of the word first (x << 8 (8 - k)):
** subtracting '0' borrows only out of the non-digits after them, upwards,
** and those fall off. */
static inline uint64_t lariat_eight_value(uint64_t x)
{
    x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffULL;
    x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffULL;
    return (x * 10000 + (x >> 32)) & 0xffffffffULL;
}

/* Sixteen 0x00 then sixteen 0xff: 16 bytes loaded from k keep the last k lanes. */
static const unsigned char lariat_keep_last[32] = {0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
                                                   0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Bit k set when byte k of v is an ASCII digit. */
static inline unsigned lariat_digit_mask16(__m128i v)
{
    const __m128i ge = _mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), le = _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1));
    return (unsigned)_mm_movemask_epi8(_mm_and_si128(ge, le));
}

/* The value of 16 digits (each byte 0..9, the first the most significant).
** Each multiply-add joins neighbouring lanes, the first weighing more:
** 10 a + b (two digits, at most 99) in 32-bit lanes packed back to 16, then
** 100 a + b (four digits), then 10^4 a + b (eight digits, below 2^31), and
** the two halves 10^8 a + b in 64 bits. */
static inline uint64_t lariat_value16(__m128i d)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi8(d, zero), _mm_set_epi16(1, 10, 1, 10, 1, 10, 1, 10));
    __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), _mm_set_epi16(1, 10, 1, 10, 1, 10, 1, 10));
    __m128i t = _mm_madd_epi16(_mm_packs_epi32(lo, hi), _mm_set_epi16(1, 100, 1, 100, 1, 100, 1, 100));
    t = _mm_madd_epi16(_mm_packs_epi32(t, t), _mm_set_epi16(1, 10000, 1, 10000, 1, 10000, 1, 10000));
    const uint64_t a = (uint32_t)_mm_cvtsi128_si32(t), b = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(t, 4));
    return a * 100000000u + b;
}
#endif

/* The run of digits at p (at most 19 of them taken: *count says how many
** there are, and *value is exact when *count <= 19); returns its end. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline const char *lariat_digits_fast(const char *p, uint64_t *value, int64_t *count)
{
    const char *start = p;
    uint64_t v;
#ifdef LARIAT_NUMPARSE_SSE2
    const __m128i zeros = _mm_set1_epi8('0');
    const __m128i x = _mm_loadu_si128((const void *)p);
    const int k = __builtin_ctz(~lariat_digit_mask16(x)); /* 0..16 digits in this load */
    if (k == 16) {
        /* "%.17g" has up to 17 digits after "0.": one or two more here. */
        v = lariat_value16(_mm_sub_epi8(x, zeros));
        p += 16;
        if (lariat_is_digit(p[0])) {
            v = v * 10 + (unsigned)(p[0] - '0');
            p++;
            if (lariat_is_digit(p[0])) {
                v = v * 10 + (unsigned)(p[0] - '0');
                p++;
                if (lariat_is_digit(p[0])) {
                    v = v * 10 + (unsigned)(p[0] - '0');
                    p++;
                    while (lariat_is_digit(*p)) p++; /* over 19: the caller declines */
                }
            }
        }
    } else {
        /* The k digits end the 16 bytes loaded from p + k - 16 (the padding
        ** makes them readable); the lanes before them are masked to zero,
        ** which are leading zeros. */
        v = 0;
        if (k > 0) {
            const __m128i y = _mm_loadu_si128((const void *)(p + k - 16));
            const __m128i keep = _mm_loadu_si128((const void *)(lariat_keep_last + k));
            v = lariat_value16(_mm_and_si128(_mm_sub_epi8(y, zeros), keep));
            p += k;
        }
    }
#else
    v = 0;
    for (; lariat_is_digit(*p); p++) {
        if (p - start < 19) v = v * 10 + (unsigned)(*p - '0');
    }
#endif
    *value = v;
    *count = p - start;
    return p;
}

/* Not collective. The fast path of lariat_numparse at s (no leading space)
** under the padding contract above: returns 1 with *out and *stop exactly
** as lariat_numparse would set them for LARIAT_NUM_OK, or 0 when it leaves
** the number to lariat_numparse. pow5 is lariat_pow5_table(). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int lariat_numparse_fast(const lariat_pow5 *pow5, const char *s, const char *end, double *out,
                                       const char **stop)
{
    const char *p = s;
    const int negative = *p == '-';
    p += (*p == '-') | (*p == '+');

    /* The integer part one digit at a time (it is short in most data), then
    ** the fraction by the block: w is all the digits as one integer. */
    uint64_t w = 0;
    const char *digits = p;
    while (lariat_is_digit(*p)) w = w * 10 + (unsigned)(*p++ - '0');
    const int64_t nint = p - digits;
    if (nint > 19) return 0; /* w may have wrapped */
    int64_t nfrac = 0;
    if (*p == '.') {
        uint64_t f;
        p = lariat_digits_fast(p + 1, &f, &nfrac);
        /* At most 19 digits in all, not counting an integer part of zeros
        ** ("0."): w then stays below 10^19 < 2^64. */
        if (nfrac > 19 || (w != 0 && nint + nfrac > 19)) return 0;
        w = w * lariat_pow10_u64[nfrac] + f;
    }
    if (nint + nfrac == 0) return 0;

    /* The exponent: "e", a sign and at most 4 digits here; "1e" (junk
    ** after the 1) and longer exponents are lariat_numparse's. */
    int64_t q = -nfrac;
    if ((*p | 0x20) == 'e') {
        const char *e = p + 1;
        const int eneg = *e == '-';
        e += (*e == '-') | (*e == '+');
        if (!lariat_is_digit(*e)) return 0;
        int64_t ex = 0;
        const char *e0 = e;
        for (; lariat_is_digit(*e); e++) {
            if (ex < 100000) ex = ex * 10 + (*e - '0'); /* no overflow: longer ones are declined */
        }
        if (e - e0 > 4) return 0;
        q += eneg ? -ex : ex;
        p = e;
    }
    if (p > end) return 0; /* cannot happen under the contract; be safe */
    *stop = p;

    if (w == 0) {
        *out = negative ? -0.0 : 0.0;
        return 1;
    }
    /* Clinger's fast path (numparse.c, path 1). */
    if (w <= ((uint64_t)1 << 53) && q >= -22 && q <= 22) {
        double v = (double)w;
        v = q < 0 ? v / lariat_exact_pow10[-q] : v * lariat_exact_pow10[q];
        *out = negative ? -v : v;
        return 1;
    }
    /* The upper half of the 128-bit product (numparse.c, path 2; Lemire,
    ** "Number parsing at a gigabyte per second", Software: Practice and
    ** Experience 51, 2021, section 5): decided when the bits below the
    ** leading 54 are neither all ones nor, with the round bit set, all
    ** zeros. The rest, and subnormal or infinite results, are declined. */
    if (q < LARIAT_POW5_MIN || q > LARIAT_POW5_MAX) return 0;
    const lariat_pow5 *t = pow5 + (q - LARIAT_POW5_MIN);
    const int lz = __builtin_clzll(w);
    __extension__ const unsigned __int128 prod = (unsigned __int128)(w << lz) * t->hi;
    const uint64_t hi = (uint64_t)(prod >> 64);
    const int top = (int)(hi >> 63), sh = 9 + top;
    const uint64_t mask = ((uint64_t)top << 9) | 0x1ff, rem = hi & mask, m = hi >> sh;
    if (rem == mask || (rem == 0 && (m & 1))) return 0;
    /* The significand rounded, in [2^52, 2^53], and the biased exponent of
    ** mant 2^(129 + sh + exp + q - lz) as a double whose significand is
    ** mant / 2^52: 129 + sh + exp + q - lz + 52 + 1023 = bias + sh - lz.
    ** Adding (biased - 1) 2^52 to mant puts the exponent above the 52
    ** fraction bits, and a mant rounded up to 2^53 carries into it. */
    const uint64_t mant = (m >> 1) + (m & 1);
    const int64_t biased = t->bias + sh - lz;
    if (biased < 1 || biased + (int64_t)(mant >> 53) > 2046) return 0;
    const uint64_t bits = ((uint64_t)negative << 63) | (mant + ((uint64_t)(biased - 1) << 52));
    memcpy(out, &bits, sizeof(bits));
    return 1;
}

#else /* no 128-bit integers or excess precision: always the full parser */

static inline int lariat_numparse_fast(const lariat_pow5 *pow5, const char *s, const char *end, double *out,
                                       const char **stop)
{
    (void)pow5;
    (void)s;
    (void)end;
    (void)out;
    (void)stop;
    return 0;
}

#endif
#endif /* LARIAT_NUMPARSE_FAST_H */
