/*
** Exact decimal-to-double conversion with two fast paths and strtod behind
** them (see numparse.h).
**
** A decimal number is w * 10^q with w an integer of at most 19 significant
** digits (so it fits in 64 bits). Three ways to round it to a double:
**
** 1. Clinger's fast path (Clinger, "How to read floating point numbers
**    accurately", PLDI 1990, section 3): when w <= 2^53 and |q| <= 22, both w
**    and 10^|q| are exact doubles, so one IEEE multiplication or division,
**    which rounds correctly, gives the answer.
**
** 2. A 128-bit product in the manner of Eisel and Lemire (Lemire, "Number
**    parsing at a gigabyte per second", Software: Practice and Experience 51,
**    2021, section 5): 5^q is kept as a 128-bit truncation T with a binary
**    exponent, the 192-bit product of w (normalized) and T gives the leading
**    bits of w * 10^q, and the error of T (less than one unit in its last
**    place) moves the product by less than 2^64. When the bits that decide the
**    rounding cannot be changed by such an error, the result is exact;
**    otherwise (about one number in 2^70, and exact ties) we fall back. This
**    is what makes "%.17g" text fast: its 17-digit w is above 2^53.
**
** 3. strtod, for everything else: more than 19 significant digits, results
**    that are subnormal or overflow, and the undecided cases above.
**
** The table of 128-bit powers of five is computed once, at first use, with
** exact multi-word integer arithmetic (for 5^-k: floor(2^N / 5^k) by repeated
** short division, since floor(floor(a / b) / c) = floor(a / (b c))).
*/
#include "io/numparse.h"

#include "io/numparse_fast.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The decimal exponents of the table. Outside it a result is either zero or
** subnormal (q < -342 with w < 2^64 gives less than 2^-1074 / 2, and q a
** little above it is subnormal) or infinite (q > 308), all left to strtod. */
#define POW5_MIN LARIAT_POW5_MIN
#define POW5_MAX LARIAT_POW5_MAX
#define POW5_COUNT (POW5_MAX - POW5_MIN + 1)

/* Bits of the dividend 2^N used for negative powers: 5^342 < 2^795, and the
** quotient must keep at least 128 bits. */
#define POW5_NEG_BITS 960
#define BIG_LIMBS (POW5_NEG_BITS / 64 + 1)

/* Entry q - POW5_MIN: 5^q = T_true 2^exp, T_true in [2^127, 2^128), T = (hi, lo) its truncation. */
static lariat_pow5 pow5_table[POW5_COUNT];
static pthread_once_t pow5_once = PTHREAD_ONCE_INIT;

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;
#endif

/* The 128-bit product of a and b. */
static inline void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    u128 p = (u128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

static inline int clz64(uint64_t x)
{
#if defined(__GNUC__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x & ((uint64_t)1 << 63))) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* ---- multi-word integers, only for building the table ---- */

static uint64_t big_limb(const uint64_t *b, int n, int i) { return (i >= 0 && i < n) ? b[i] : 0; }

/* Bits [pos, pos + 64) of b (pos may be negative: bits below 0 are zero). */
static uint64_t big_bits64(const uint64_t *b, int n, int pos)
{
    int i = pos >= 0 ? pos / 64 : -((-pos + 63) / 64);
    int off = pos - 64 * i;
    uint64_t v = big_limb(b, n, i) >> off;
    if (off != 0) v |= big_limb(b, n, i + 1) << (64 - off);
    return v;
}

static int big_bitlen(const uint64_t *b, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        if (b[i] != 0) return 64 * i + 64 - clz64(b[i]);
    }
    return 0;
}

/* Records entry q: the leading 128 bits of b (truncated) and the exponent
** that, with extra_exp (the 2^-N of negative powers), restores the scale. */
static void pow5_store(int q, const uint64_t *b, int n, int extra_exp)
{
    int len = big_bitlen(b, n);
    lariat_pow5 *t = &pow5_table[q - POW5_MIN];
    t->hi = big_bits64(b, n, len - 64);
    t->lo = big_bits64(b, n, len - 128);
    t->exp = len - 128 + extra_exp;
    t->bias = t->exp + q + 1204;
}

static void pow5_build(void)
{
    uint64_t b[BIG_LIMBS];
    /* Positive powers: b = 5^q exactly, multiplied up. */
    memset(b, 0, sizeof(b));
    b[0] = 1;
    for (int q = 0; q <= POW5_MAX; q++) {
        pow5_store(q, b, BIG_LIMBS, 0);
        uint64_t carry = 0;
        for (int i = 0; i < BIG_LIMBS; i++) {
            uint64_t hi, lo;
            mul64(b[i], 5, &hi, &lo);
            lo += carry;
            hi += (lo < carry);
            b[i] = lo;
            carry = hi;
        }
    }
    /* Negative powers: b = floor(2^N / 5^k), divided down; 5^-k = b * 2^-N
    ** up to the truncation, which only lowers the stored value. */
    memset(b, 0, sizeof(b));
    b[POW5_NEG_BITS / 64] = (uint64_t)1 << (POW5_NEG_BITS % 64);
    for (int k = 1; k <= -POW5_MIN; k++) {
        uint64_t rem = 0;
        for (int i = BIG_LIMBS - 1; i >= 0; i--) {
            /* (rem * 2^64 + b[i]) / 5 in two 32-bit steps, rem < 5. */
            uint64_t hi = (rem << 32) | (b[i] >> 32);
            uint64_t qh = hi / 5;
            rem = hi % 5;
            uint64_t lo = (rem << 32) | (b[i] & 0xffffffffu);
            uint64_t ql = lo / 5;
            rem = lo % 5;
            b[i] = (qh << 32) | ql;
        }
        pow5_store(-k, b, BIG_LIMBS, -POW5_NEG_BITS);
    }
}

const lariat_pow5 *lariat_pow5_table(void)
{
    pthread_once(&pow5_once, pow5_build);
    return pow5_table;
}

/* ---- the three conversions ---- */

/* Powers of ten that are exact doubles: 10^k = 5^k 2^k and 5^k < 2^53 for k <= 22. */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Path 2 (Lemire 2021, section 5): returns 1 and sets *out when the 128-bit
** product decides the rounding of w * 10^q (w > 0) to a normal double; 0
** when it cannot, and the caller falls back to strtod.
**
** With wn = w 2^lz in [2^63, 2^64) and 5^q = T_true 2^e5, T the stored
** truncation (T <= T_true < T + 1, T = (th, tl) in [2^127, 2^128)), the
** exact product X = wn T_true lies in [P, P + 2^64) for P = wn T, a 192-bit
** integer. Only the top word of X matters when it is settled: its leading 54
** bits m (53 for the significand and the round bit, the shift sh being 9 or
** 10 as X's top bit is at 2^190 or 2^191) and whether anything below the
** round bit is non-zero.
**
** Most numbers need only the upper half of the product. With Q = wn th =
** (hi, lo), P = Q 2^64 + wn tl and wn tl < 2^128 - 2^65, so that
** X < Q 2^64 + 2^128: the top word of X is hi or hi + 1. When the bits of
** hi below m (rem) are not all ones, adding one cannot reach m; and when
** rem is not zero either, something below the round bit is certainly
** non-zero, while with the round bit clear it does not matter. That leaves
** 2 or 3 values of rem in 512 or 1024 for the full product, which is then
** decided unless a carry from below could still reach m (P's bits below m
** all ones: X may carry across them) or P is an exact tie (round bit set,
** everything below zero: only an exact product can tell), about one number
** in 2^70 besides the true ties; those go to strtod. */
static int convert_wide(uint64_t w, int64_t q, int negative, double *out)
{
    if (q < POW5_MIN || q > POW5_MAX) return 0;
    const int lz = clz64(w);
    const uint64_t wn = w << lz;
    const lariat_pow5 *t = &pow5_table[q - POW5_MIN];
    uint64_t hi, lo;
    mul64(wn, t->hi, &hi, &lo);
    const int sh = 9 + (int)(hi >> 63);
    const uint64_t mask = ((uint64_t)1 << sh) - 1;
    uint64_t m = hi >> sh, rem = hi & mask;
    if (rem == mask || (rem == 0 && (m & 1))) {
        /* The full 192-bit P = (p2, p1, p0). */
        uint64_t a1, a0;
        mul64(wn, t->lo, &a1, &a0);
        const uint64_t p1 = lo + a1, p0 = a0;
        const uint64_t p2 = hi + (p1 < a1);
        /* A carry out of the top word moves the leading bit: m is then
        ** 2^54 and rem 0, and the carry check below sends it to strtod. */
        m = p2 >> sh;
        rem = p2 & mask;
        if (rem == mask && p1 == UINT64_MAX) return 0;
        if ((m & 1) && rem == 0 && p1 == 0 && p0 == 0) return 0;
        if (hi >> 63 != p2 >> 63) return 0;
    }
    /* Round to nearest: the round bit decides, what lies below it being
    ** known non-zero whenever the round bit is set. */
    uint64_t mant = (m >> 1) + (m & 1);
    /* w 10^q = wn 2^-lz T_true 2^(e5 + q) and m = floor(X / 2^(128 + sh)),
    ** so the value is about mant 2^(129 + sh + e5 + q - lz). */
    int64_t e2 = 129 + sh + t->exp + q - lz;
    if (mant == ((uint64_t)1 << 53)) {
        mant >>= 1;
        e2++;
    }
    const int64_t biased = e2 + 52 + 1023;
    if (biased < 1 || biased > 2046) return 0; /* subnormal or infinite: strtod */
    const uint64_t bits = ((uint64_t)negative << 63) | ((uint64_t)biased << 52) | (mant & (((uint64_t)1 << 52) - 1));
    memcpy(out, &bits, sizeof(bits));
    return 1;
}

/* Path 3: strtod on a NUL-terminated copy of [s, stop), which the caller
** has checked against the grammar. */
static int convert_strtod(const char *s, const char *stop, double *out)
{
    char small[128];
    size_t len = (size_t)(stop - s);
    char *copy = len < sizeof(small) ? small : malloc(len + 1);
    if (copy == NULL) return LARIAT_NUM_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    double v = strtod(copy, NULL);
    if (copy != small) free(copy);
    if (isinf(v)) return LARIAT_NUM_RANGE;
    *out = v;
    return LARIAT_NUM_OK;
}

/* ---- scanning the digits ---- */

static inline int is_digit(char c) { return (unsigned)(c - '0') < 10; }

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HAVE_SWAR 1
/* Eight bytes at a time (SWAR, "SIMD within a register") on a little-endian
** load x, the first byte in the lowest 8 bits. */
#define ONES 0x0101010101010101ULL

/* Non-zero exactly from the first byte of x that is not an ASCII digit
** on: byte k is a digit when its high nibble is 3 and still 3 after adding
** 6 (a low nibble above 9 carries into it). Adding 6 carries out of a byte
** only when it is not a digit, and carries move towards later bytes, so
** the flags of the bytes up to the first non-digit are exact. */
static inline uint64_t nondigit_bytes(uint64_t x)
{
    const uint64_t hi = 0xf0 * ONES, three = 0x30 * ONES;
    return ((x & hi) ^ three) | (((x + 0x06 * ONES) & hi) ^ three);
}

/* The value of eight digits d_0 (most significant, lowest byte) .. d_7,
** given as x - '0' in every byte (each 0..9). Each step joins neighbouring
** lanes, the lower-addressed one weighing more: 10 d_k + d_{k+1} (at most
** 99) in 16-bit lanes, 100 a + b (at most 9999) in 32-bit lanes, then
** 10^4 a + b. Leading zero bytes are leading zero digits. */
static inline uint64_t eight_value(uint64_t x)
{
    x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffULL;
    x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffULL;
    return (x * 10000 + (x >> 32)) & 0xffffffffULL;
}

static const uint64_t pow10_u64[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
#endif

/* Accumulates the run of digits at p into *w (w = 10 w + d for each, modulo
** 2^64: the caller counts the digits and does not trust w beyond 19); returns
** the position after the run. Eight digits cost one multiply-add; a shorter
** run, up to the first non-digit of an 8-byte load, one more. */
static inline const char *digit_run(const char *p, const char *end, uint64_t *w)
{
    uint64_t v = *w;
#ifdef HAVE_SWAR
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        const uint64_t bad = nondigit_bytes(x);
        if (bad == 0) {
            v = v * 100000000u + eight_value(x - 0x30 * ONES);
            p += 8;
            continue;
        }
        /* k < 8 digits, then a non-digit: shift the digits to the top of
        ** the word (the bytes after them fall off, zeros come in before).
        ** Subtracting '0' borrows only out of the non-digits, upwards. */
        const int k = __builtin_ctzll(bad) >> 3;
        if (k > 0) {
            v = v * pow10_u64[k] + eight_value((x - 0x30 * ONES) << (64 - 8 * k));
            p += k;
        }
        *w = v;
        return p;
    }
#endif
    while (p < end && is_digit(*p)) v = v * 10 + (unsigned)(*p++ - '0');
    *w = v;
    return p;
}

/* The digits of a decimal number before its exponent, when they have more
** than 19 significant ones: the value is w * 10^shift, exactly unless
** dropped (a non-zero digit after the 19th significant one was cut off). */
typedef struct long_significand {
    uint64_t w;
    int64_t shift;
    int dropped;
} long_significand;

/* Scans the digits at p (integer part, point, fraction) one at a time,
** keeping the first 19 significant ones. */
static void scan_long(const char *p, const char *end, long_significand *sg)
{
    uint64_t w = 0;
    int ndigits = 0, point = 0;
    sg->shift = 0;
    sg->dropped = 0;
    for (; p < end; p++) {
        if (*p == '.' && !point) {
            point = 1;
            continue;
        }
        if (!is_digit(*p)) break;
        unsigned d = (unsigned)(*p - '0');
        if (ndigits < 19) {
            if (w != 0 || d != 0) {
                w = w * 10 + d;
                ndigits++;
            }
            sg->shift -= point;
        } else {
            sg->shift += !point;
            sg->dropped |= (d != 0);
        }
    }
    sg->w = w;
}

/* Case-insensitive match of a lower-case word at [s, end). */
static int match_word(const char *s, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] | 0x20) != word[i]) return 0;
    }
    return 1;
}

/* No digits at p: "nan", "inf", "infinity" (any case) or not a number. */
static int no_digits(const char *p, const char *end, const char **stop)
{
    if (match_word(p, end, "nan")) {
        *stop = p + 3;
        return LARIAT_NUM_NONFINITE;
    }
    if (match_word(p, end, "infinity")) {
        *stop = p + 8;
        return LARIAT_NUM_NONFINITE;
    }
    if (match_word(p, end, "inf")) {
        *stop = p + 3;
        return LARIAT_NUM_NONFINITE;
    }
    return LARIAT_NUM_SYNTAX;
}

int lariat_numparse(const char *s, const char *end, double *out, const char **stop)
{
    const char *p = s;
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) negative = (*p++ == '-');

    /* The significand: w is its digits as one integer (exact when there are
    ** at most 19 of them), its value w * 10^-nfrac. */
    const char *digits = p;
    uint64_t w = 0;
    p = digit_run(p, end, &w);
    int64_t ndigits = p - digits, nfrac = 0;
    if (p < end && *p == '.') {
        const char *frac = ++p;
        p = digit_run(p, end, &w);
        nfrac = p - frac;
        ndigits += nfrac;
    }
    if (ndigits == 0) return no_digits(digits, end, stop);
    const char *digits_end = p;

    /* The exponent, taken only when digits follow the 'e' ("1e" is 1 then junk). */
    int64_t ex = 0;
    if (p < end && (*p | 0x20) == 'e') {
        const char *e = p + 1;
        int eneg = 0;
        if (e < end && (*e == '+' || *e == '-')) eneg = (*e++ == '-');
        if (e < end && is_digit(*e)) {
            while (e < end && is_digit(*e)) {
                if (ex < 1000000) ex = ex * 10 + (*e - '0'); /* beyond any double: saturate */
                e++;
            }
            if (eneg) ex = -ex;
            p = e;
        }
    }
    *stop = p;
    int64_t shift = ex - nfrac;

    if (ndigits > 19) {
        /* Leading zeros do not count: with at most 19 digits after them w
        ** is exact (it never exceeded 10^19). Otherwise keep the first 19. */
        int64_t zeros = 0;
        for (const char *z = digits; z < digits_end && (*z == '0' || *z == '.'); z++) zeros += *z == '0';
        if (ndigits - zeros > 19) {
            long_significand sg;
            scan_long(digits, digits_end, &sg);
            if (sg.dropped) return convert_strtod(s, p, out);
            w = sg.w;
            shift = ex + sg.shift;
        }
    }
    if (w == 0) {
        *out = negative ? -0.0 : 0.0;
        return LARIAT_NUM_OK;
    }
#if FLT_EVAL_METHOD == 0
    /* Path 1 (Clinger 1990, section 3): w and 10^|shift| are exact doubles,
    ** and one IEEE operation rounds their product or quotient correctly. */
    if (w <= ((uint64_t)1 << 53) && shift >= -22 && shift <= 22) {
        double v = (double)w;
        v = shift < 0 ? v / exact_pow10[-shift] : v * exact_pow10[shift];
        *out = negative ? -v : v;
        return LARIAT_NUM_OK;
    }
#endif
    pthread_once(&pow5_once, pow5_build);
    if (convert_wide(w, shift, negative, out)) return LARIAT_NUM_OK;
    return convert_strtod(s, p, out);
}
int lariat_numparse_field(const char *s, size_t len, double *out)
{
    const char *stop = s;
    int rc = lariat_numparse(s, s + len, out, &stop);
    if (rc != LARIAT_NUM_NOMEM && stop != s + len) return LARIAT_NUM_SYNTAX;
    return rc;
}

const char *lariat_numparse_strerror(int code)
{
    switch (code) {
    case LARIAT_NUM_OK: return "a number";
    case LARIAT_NUM_SYNTAX: return "not a number";
    case LARIAT_NUM_NONFINITE: return "NaN or infinity is not allowed";
    case LARIAT_NUM_RANGE: return "number too large for a double";
    case LARIAT_NUM_NOMEM: return "out of memory parsing a number";
    default: return "unknown number error";
    }
}
