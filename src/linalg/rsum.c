/*
** The binned accumulator of rsum.h. Bin j holds multiples of 2^u_j with
** u_j = U0 - j W; a value x belongs first to its natural bin
**   j(x) = the largest j with |x| < 2^(u_j + W - 1),
** where rounding it onto any coarser bin gives 0, so its pieces in the
** bins above j(x) are zero by construction. Its piece in a bin is taken with
** the rounding trick q = (r + C) - C, C = 1.5 * 2^(u + 52) (exact for
** |r| < 2^(u + 51): the sum's unit in the last place is 2^u), and r - q is
** exact. U0 is the largest u for which C is a double; values of 2^1000 and
** more, and non-finite ones, make the entry NAN.
*/
#include "linalg/rsum.h"

#include "core/core.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    RSUM_W = 30,                  /* bits per bin */
    RSUM_U0 = 1023 - 52,          /* u_0: the top bin's unit is 2^971 */
    RSUM_JMAX = 66,               /* the finest natural bin: u = -1009 */
    RSUM_EMAX = RSUM_U0 + RSUM_W - 2 /* values with exponent above this are too large */
};

/* An entry's window is named by P = 2^(u_top + 52), a power of two: the
** bins' rounding constants are then exact multiples of it, C_k = 1.5 P 2^(-W k),
** and "x fits below the top bin" is |x| 2^(52 - W + 1) < P, both without
** leaving floating point. P = 0 marks an empty entry, NAN a poisoned one. */
static double bin_power(int j)
{
    const uint64_t bits = (uint64_t)(RSUM_U0 - j * RSUM_W + 52 + 1023) << 52;
    double c;
    memcpy(&c, &bits, sizeof(c));
    return c;
}

/* The bin index of a window power P (inverse of bin_power). */
static int bin_index(double P)
{
    uint64_t bits;
    memcpy(&bits, &P, sizeof(bits));
    return (RSUM_U0 + 52 + 1023 - (int)(bits >> 52)) / RSUM_W;
}

/* The exponent e of x (2^e <= |x| < 2^(e+1) for normal x; subnormals
** report -1023, which only matters through the clamp to RSUM_JMAX). */
static int exponent_of(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof(bits));
    return (int)((bits >> 52) & 0x7ff) - 1023;
}

/* Moves the window up to the bin of power P (at least as high as a's). */
static void shift_to(lariat_rsum_entry *a, double P)
{
    if (a->top == 0.0) {
        a->top = P;
        for (int k = 0; k < LARIAT_RSUM_K; k++) a->bin[k] = 0.0;
        return;
    }
    const int d = bin_index(a->top) - bin_index(P);
    for (int k = LARIAT_RSUM_K - 1; k >= 0; k--) a->bin[k] = (k - d >= 0) ? a->bin[k - d] : 0.0;
    a->top = P;
}

/* The pieces of x in the window of power P (x below its top bin). */
static inline void split_into(lariat_rsum_entry *a, double x)
{
    const double C0 = 1.5 * a->top, C1 = C0 * 0x1p-30, C2 = C0 * 0x1p-60;
    double q = (x + C0) - C0, r = x - q;
    a->bin[0] += q;
    q = (r + C1) - C1;
    r -= q;
    a->bin[1] += q;
    a->bin[2] += (r + C2) - C2;
}

/* The rare case: an empty or poisoned entry, or x above the window, or x
** not finite or too large. */
static void deposit_slow(lariat_rsum_entry *a, double x)
{
    if (x == 0.0 || isnan(a->top)) return;
    const int e = exponent_of(x);
    if (!isfinite(x) || e > RSUM_EMAX) {
        a->top = NAN;
        return;
    }
    int j = (RSUM_EMAX - e) / RSUM_W; /* the natural bin: see the file comment */
    if (j > RSUM_JMAX) j = RSUM_JMAX;
    const double P = bin_power(j);
    if (P > a->top) shift_to(a, P);
    split_into(a, x);
}

/* Pieces in the bins above x's natural bin are zero, so splitting x from
** the window's top bin gives the same pieces as from its own. */
static inline void deposit(lariat_rsum_entry *a, double x)
{
    if (fabs(x) * 0x1p23 < a->top) split_into(a, x);
    else deposit_slow(a, x);
}

void lariat_rsum_clear(lariat_rsum_entry *acc, int64_t count)
{
    for (int64_t t = 0; t < count; t++) {
        acc[t].top = 0.0;
        for (int k = 0; k < LARIAT_RSUM_K; k++) acc[t].bin[k] = 0.0;
    }
}

/* Four entries at a time on AVX2: the entries (top, bin0, bin1, bin2 each)
** transposed into one vector per field, split_into's operations lane by
** lane (the same adds in the same order, so the same bits), and back; a
** group with an entry off the fast path (deposit's test) goes entry by
** entry. The Gram of a CSR curvature pass deposits p^2 / 2 values a tile:
** on the sparse binomial fit (100,000 x 2,000 at 1%) these deposits were
** an eighth of the time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
_Static_assert(sizeof(lariat_rsum_entry) == 4 * sizeof(double), "an entry is one four-lane vector");
#define RSUM_AVX2 __attribute__((target("avx2")))

/* rows r0..r3 (4 doubles each) -> columns, in place. */
RSUM_AVX2 static inline void transpose4(__m256d *r0, __m256d *r1, __m256d *r2, __m256d *r3)
{
    const __m256d t0 = _mm256_unpacklo_pd(*r0, *r1), t1 = _mm256_unpackhi_pd(*r0, *r1);
    const __m256d t2 = _mm256_unpacklo_pd(*r2, *r3), t3 = _mm256_unpackhi_pd(*r2, *r3);
    *r0 = _mm256_permute2f128_pd(t0, t2, 0x20);
    *r1 = _mm256_permute2f128_pd(t1, t3, 0x20);
    *r2 = _mm256_permute2f128_pd(t0, t2, 0x31);
    *r3 = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* top with the lanes of open that hold an x of exponent e <= RSUM_EMAX set
** to their window's power (the file comment's j(x), clamped to RSUM_JMAX).
** The division by RSUM_W = 30 of a = RSUM_EMAX - e in [0, 2022] is
** (a 2185) >> 16: 2185 / 2^16 exceeds 1 / 30 by 7.0e-6, which moves a / 30
** by less than 0.015, and a / 30 is at least 1 / 30 below the next integer. */
RSUM_AVX2 static inline __m256d open_window(__m256d x, __m256d top, __m256d open)
{
    _Static_assert(RSUM_W == 30 && RSUM_EMAX + 1023 <= 4700, "open_window's division by 30");
    const __m256i bits = _mm256_castpd_si256(x);
    const __m256i e = _mm256_sub_epi64(_mm256_and_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x7ff)),
                                       _mm256_set1_epi64x(1023));
    const __m256i small = _mm256_cmpgt_epi64(_mm256_set1_epi64x(RSUM_EMAX + 1), e);
    const __m256i a = _mm256_and_si256(_mm256_sub_epi64(_mm256_set1_epi64x(RSUM_EMAX), e), small);
    __m256i j = _mm256_srli_epi64(_mm256_mul_epu32(a, _mm256_set1_epi64x(2185)), 16);
    j = _mm256_min_epu32(j, _mm256_set1_epi64x(RSUM_JMAX));
    /* bin_power(j): the exponent field RSUM_U0 - 30 j + 52 + 1023. */
    const __m256i field = _mm256_sub_epi64(_mm256_set1_epi64x(RSUM_U0 + 52 + 1023),
                                           _mm256_mul_epu32(j, _mm256_set1_epi64x(RSUM_W)));
    const __m256d P = _mm256_castsi256_pd(_mm256_slli_epi64(field, 52));
    return _mm256_blendv_pd(top, P, _mm256_and_pd(open, _mm256_castsi256_pd(small)));
}

RSUM_AVX2 static void rsum_add_avx2(lariat_rsum_entry *acc, const double *v, int64_t count)
{
    const __m256d two23 = _mm256_set1_pd(0x1p23), k1 = _mm256_set1_pd(0x1p-30), k2 = _mm256_set1_pd(0x1p-60);
    const __m256d three_halves = _mm256_set1_pd(1.5), sign = _mm256_set1_pd(-0.0);
    int64_t t = 0;
    for (; t + 4 <= count; t += 4) {
        double *a = (double *)(acc + t);
        const __m256d x = _mm256_loadu_pd(v + t);
        /* Loaded as the four entries, transposed into their fields. */
        __m256d top = _mm256_loadu_pd(a), b0 = _mm256_loadu_pd(a + 4), b1 = _mm256_loadu_pd(a + 8),
                b2 = _mm256_loadu_pd(a + 12);
        transpose4(&top, &b0, &b1, &b2);
        /* A zero into an empty entry adds zeros (C = 0): fast too. Most of a
        ** sparse Gram tile's entries are zero, and they would otherwise send
        ** their group entry by entry until the entry's first value. */
        const __m256d zero = _mm256_setzero_pd();
        /* The first value of an empty entry opens its window here, as
        ** deposit_slow would (the first tile of every sum: on the wide
        ** gram solver's columns deposit_slow had 30% of the deposits'
        ** samples): P = bin_power(min(RSUM_JMAX, (RSUM_EMAX - e) / 30)) from
        ** x's exponent bits (subnormals read as e = -1023, as exponent_of
        ** does), for x of exponent at most RSUM_EMAX (larger and non-finite
        ** x stay on the slow path, which poisons the entry). */
        const __m256d open = _mm256_andnot_pd(_mm256_cmp_pd(x, zero, _CMP_EQ_OQ), _mm256_cmp_pd(top, zero, _CMP_EQ_OQ));
        if (_mm256_movemask_pd(open) != 0) top = open_window(x, top, open);
        const __m256d fast = _mm256_or_pd(
            _mm256_cmp_pd(_mm256_mul_pd(_mm256_andnot_pd(sign, x), two23), top, _CMP_LT_OQ),
            _mm256_and_pd(_mm256_cmp_pd(x, zero, _CMP_EQ_OQ), _mm256_cmp_pd(top, zero, _CMP_EQ_OQ)));
        if (_mm256_movemask_pd(fast) != 0xf) {
            for (int k = 0; k < 4; k++) deposit(acc + t + k, v[t + k]);
            continue;
        }
        const __m256d C0 = _mm256_mul_pd(three_halves, top), C1 = _mm256_mul_pd(C0, k1), C2 = _mm256_mul_pd(C0, k2);
        __m256d q = _mm256_sub_pd(_mm256_add_pd(x, C0), C0), r = _mm256_sub_pd(x, q);
        b0 = _mm256_add_pd(b0, q);
        q = _mm256_sub_pd(_mm256_add_pd(r, C1), C1);
        r = _mm256_sub_pd(r, q);
        b1 = _mm256_add_pd(b1, q);
        b2 = _mm256_add_pd(b2, _mm256_sub_pd(_mm256_add_pd(r, C2), C2));
        transpose4(&top, &b0, &b1, &b2);
        _mm256_storeu_pd(a, top);
        _mm256_storeu_pd(a + 4, b0);
        _mm256_storeu_pd(a + 8, b1);
        _mm256_storeu_pd(a + 12, b2);
    }
    for (; t < count; t++) deposit(acc + t, v[t]);
}

static int rsum_avx2(void)
{
    static int has = -1;
    if (has < 0) has = __builtin_cpu_supports("avx2");
    return has;
}
#endif

void lariat_rsum_add(lariat_rsum_entry *acc, const double *v, int64_t count)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (count >= 4 && rsum_avx2()) {
        rsum_add_avx2(acc, v, count);
        return;
    }
#endif
    for (int64_t t = 0; t < count; t++) deposit(acc + t, v[t]);
}

void lariat_rsum_merge(lariat_rsum_entry *acc, const lariat_rsum_entry *other, int64_t count)
{
    for (int64_t t = 0; t < count; t++) {
        lariat_rsum_entry *a = acc + t, b = other[t];
        if (b.top == 0.0 || isnan(a->top)) continue;
        if (isnan(b.top)) {
            a->top = NAN;
            continue;
        }
        if (b.top > a->top) shift_to(a, b.top);
        if (a->top > b.top) shift_to(&b, a->top);
        for (int k = 0; k < LARIAT_RSUM_K; k++) a->bin[k] += b.bin[k];
    }
}

void lariat_rsum_value(const lariat_rsum_entry *acc, double *out, int64_t count)
{
    for (int64_t t = 0; t < count; t++) {
        const lariat_rsum_entry *a = acc + t;
        if (isnan(a->top)) out[t] = NAN;
        else out[t] = (a->bin[0] + a->bin[1]) + a->bin[2];
    }
}

/* The MPI user operation: inout[t] += in[t], entries of 1 + K doubles. */
static void merge_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    lariat_rsum_merge((lariat_rsum_entry *)inout, (const lariat_rsum_entry *)in, *len);
}

/* The binned entry as an MPI type and the binned sum as a commutative
** MPI operation, made for one reduction and freed after it. */
static int rsum_type_op(lariat_ctx *ctx, MPI_Datatype *type, MPI_Op *op)
{
    if (MPI_Type_contiguous(1 + LARIAT_RSUM_K, MPI_DOUBLE, type) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Type_contiguous failed for the binned sum");
    }
    MPI_Type_commit(type);
    if (MPI_Op_create(merge_op, 1, op) != MPI_SUCCESS) {
        MPI_Type_free(type);
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Op_create failed for the binned sum");
    }
    return LARIAT_OK;
}

/* MPI counts are int: large vectors go in chunks. */
#define RSUM_CHUNK ((int64_t)1 << 26)

int lariat_rsum_allreduce(lariat_ctx *ctx, lariat_rsum_entry *acc, int64_t count)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    if (lariat_ctx_size(ctx) == 1) return LARIAT_OK;
    MPI_Datatype type;
    MPI_Op op;
    int rc = rsum_type_op(ctx, &type, &op);
    if (rc != LARIAT_OK) return rc;
    for (int64_t off = 0; rc == LARIAT_OK && off < count; off += RSUM_CHUNK) {
        int len = (int)(count - off < RSUM_CHUNK ? count - off : RSUM_CHUNK);
        if (MPI_Allreduce(MPI_IN_PLACE, acc + off, len, type, op, comm) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of %d binned sums failed", len);
        }
    }
    MPI_Op_free(&op);
    MPI_Type_free(&type);
    return rc;
}

/* lariat_rsum_allreduce_value's ring from this many entries a rank (below,
** the reduction is latency, which one allreduce pays once) up to INT_MAX
** entries (MPI's counts; beyond, the chunked allreduce), and the entries of
** one of its messages (1 MiB: the ring's only buffer). */
#define RSUM_RING_MIN 65536
#define RSUM_RING_MSG 32768

/* Block b of count entries over P ranks: [lo, hi). */
static void ring_block(int64_t count, int P, int b, int64_t *lo, int64_t *hi)
{
    *lo = count * b / P;
    *hi = count * (b + 1) / P;
}

/* The entries of [lo, hi) in the ring's message of msg entries from lo + k. */
static int ring_part(int64_t lo, int64_t hi, int64_t k, int64_t msg)
{
    const int64_t left = hi - lo - k;
    return (int)(left < 0 ? 0 : (left < msg ? left : msg));
}

void lariat_rsum_ring_counts(int64_t count, int P, int *counts, int *displs)
{
    for (int r = 0; r < P; r++) {
        int64_t lo, hi;
        ring_block(count, P, r, &lo, &hi);
        displs[r] = (int)lo;
        counts[r] = (int)(hi - lo);
    }
}

/* Merges n entries of in into dst (the ring's reduction of one message). */
typedef void (*ring_merge_fn)(void *dst, const void *in, int n);

/* Collective, P > 1. The reduce-scatter round the ring of the ranks: at step
** s this rank sends its partial sums of block me - s - 1 to the next rank
** and merges the previous rank's of block me - s - 2 into its own, so that
** after P - 1 steps it holds block me summed over every rank. v holds
** count entries of size bytes, each per values of type; messages carry at
** most msg entries, received into in.
**
** Every rank makes the same number of exchanges a step, enough for the
** largest block, some of them empty: the blocks differ by an entry, and
** each rank's exchange pairs what it sends to the next rank with what it
** receives from the previous, so a count of exchanges taken from the
** rank's own two blocks could differ from its neighbours' and leave one
** waiting for a message never sent (count 1 on 3 ranks: blocks of 0, 0
** and 1 entries; or blocks of msg and msg + 1 entries). */
static int ring_reduce_scatter(lariat_ctx *ctx, void *v, int64_t count, size_t size, MPI_Datatype type, int per,
                               int64_t msg, ring_merge_fn merge, void *in, const char *what)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    const int next = (me + 1) % P, prev = (me + P - 1) % P;
    const int64_t largest = (count + P - 1) / P; /* no block is longer (ring_block) */
    char *base = v;
    for (int s = 0; s < P - 1; s++) {
        int64_t slo, shi, rlo, rhi;
        ring_block(count, P, ((me - s - 1) % P + P) % P, &slo, &shi);
        ring_block(count, P, ((me - s - 2) % P + P) % P, &rlo, &rhi);
        for (int64_t k = 0; k < largest; k += msg) {
            const int ns = ring_part(slo, shi, k, msg), nr = ring_part(rlo, rhi, k, msg);
            if (MPI_Sendrecv(base + (size_t)(slo + k) * size, ns * per, type, next, 0, in, nr * per, type, prev, 0,
                             comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
                return lariat_error(ctx, LARIAT_EMPI, "MPI_Sendrecv of %d %s failed", ns, what);
            }
            merge(base + (size_t)(rlo + k) * size, in, nr);
        }
    }
    return LARIAT_OK;
}

static void merge_binned(void *dst, const void *in, int n) { lariat_rsum_merge(dst, in, n); }

static void merge_int64(void *dst, const void *in, int n)
{
    int64_t *d = dst;
    const int64_t *a = in;
    for (int t = 0; t < n; t++) d[t] += a[t];
}

/* 1 MiB of integers. */
#define RING_MSG_INT64 131072

int lariat_rsum_ring_int64(lariat_ctx *ctx, int64_t *v, int64_t count)
{
    if (lariat_ctx_size(ctx) == 1) return LARIAT_OK;
    int64_t *in = lariat_malloc(ctx, RING_MSG_INT64, sizeof(int64_t), "reduction buffer");
    int rc = lariat_agree(ctx, in != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        rc = ring_reduce_scatter(ctx, v, count, sizeof(int64_t), MPI_INT64_T, 1, RING_MSG_INT64, merge_int64, in,
                                 "integer sums");
    }
    free(in);
    return rc;
}

int lariat_rsum_allreduce_value(lariat_ctx *ctx, lariat_rsum_entry *acc, int64_t count, double *out)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int P = lariat_ctx_size(ctx), me = lariat_ctx_rank(ctx);
    if (P == 1 || count < (int64_t)RSUM_RING_MIN * P || count > INT_MAX) {
        int rc = lariat_rsum_allreduce(ctx, acc, count);
        if (rc == LARIAT_OK) lariat_rsum_value(acc, out, count);
        return rc;
    }
    lariat_rsum_entry *in = lariat_malloc(ctx, RSUM_RING_MSG, sizeof(*in), "reduction buffer");
    int *counts = lariat_malloc(ctx, 2 * (size_t)P, sizeof(int), "reduction counts");
    int rc = lariat_agree(ctx, in != NULL && counts != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        rc = ring_reduce_scatter(ctx, acc, count, sizeof(*acc), MPI_DOUBLE, 1 + LARIAT_RSUM_K, RSUM_RING_MSG,
                                 merge_binned, in, "binned sums");
    }
    /* Then the doubles: each rank's block rounded, gathered by all. */
    if (rc == LARIAT_OK) {
        int *displs = counts + P;
        lariat_rsum_ring_counts(count, P, counts, displs);
        lariat_rsum_value(acc + displs[me], out + displs[me], counts[me]);
        if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts, displs, MPI_DOUBLE, comm) !=
                   MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of %lld sums failed", (long long)count);
        }
    }
    free(in);
    free(counts);
    return rc;
}
