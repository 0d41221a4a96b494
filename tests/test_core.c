/*
** The context: error agreement across ranks and the status table; and the
** reproducible sums' reductions over the ranks.
*/
#include "core/core.h"
#include "core/memory.h"
#include "harness.h"
#include "linalg/rsum.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Not collective. lariat_malloc_aligned: every block starts on a 64-byte
** boundary (the CD kernels' loads rely on it, linalg/cd_update.h) and is
** usable to its last byte, sizes that are not multiples of 64 included; a
** size past SIZE_MAX is refused with ENOMEM and a message naming it. */
static void test_malloc_aligned(void)
{
    lariat_ctx *ctx = lt_ctx();
    static const size_t counts[] = {0, 1, 3, 7, 1000, 4001};
    static const size_t sizes[] = {1, 4, 8, 24};
    int ok = 1;
    for (size_t a = 0; a < sizeof(counts) / sizeof(counts[0]); a++) {
        for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
            unsigned char *m = lariat_malloc_aligned(ctx, counts[a], sizes[b], "test block");
            ok &= m != NULL && (uintptr_t)m % 64 == 0;
            if (m != NULL) memset(m, 0xA5, counts[a] * sizes[b]);
            free(m);
        }
    }
    ok &= lariat_malloc_aligned(ctx, SIZE_MAX / 8, 16, "huge block") == NULL;
    ok &= strstr(lariat_errmsg(ctx), "huge block") != NULL;
    LT_ASSERT_ALL(ok);
}

/* Workspaces of lariat_malloc_huge: below LARIAT_HUGE_PAGE plain blocks;
** from it on a mapping on a 2 MiB boundary, writable to its last byte
** (the unmapped slack before and after it must not reach into it); sizes
** that are not multiples of 4 KiB included; a size no mapping can hold is
** NULL with the message naming it. */
static void test_malloc_huge(void)
{
    lariat_ctx *ctx = lt_ctx();
    const size_t sizes[] = {1, 4096, LARIAT_HUGE_PAGE - 1, LARIAT_HUGE_PAGE, 2101600, 3 * LARIAT_HUGE_PAGE + 5};
    int ok = 1;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned char *m = lariat_malloc_huge(ctx, sizes[k], "test workspace");
        ok &= m != NULL && (sizes[k] < LARIAT_HUGE_PAGE || (uintptr_t)m % LARIAT_HUGE_PAGE == 0);
        if (m == NULL) continue;
        memset(m, 0x5A, sizes[k]);
        ok &= m[0] == 0x5A && m[sizes[k] - 1] == 0x5A;
        lariat_free_huge(m, sizes[k]);
    }
    lariat_free_huge(NULL, LARIAT_HUGE_PAGE);
    ok &= lariat_malloc_huge(ctx, SIZE_MAX / 4, "too large a workspace") == NULL;
    ok &= strstr(lariat_errmsg(ctx), "too large a workspace") != NULL;
    LT_ASSERT_ALL(ok);
}

/* Only the last rank fails: every rank must return its status and message. */
static void test_agree_one_rank_fails(void)
{
    lariat_ctx *ctx = lt_ctx();
    int last = lt_size() - 1;
    int rc = LARIAT_OK;
    if (lt_rank() == last) rc = lariat_error(ctx, LARIAT_EDATA, "bad row on rank %d", last);
    rc = lariat_agree(ctx, rc);
    char want[64];
    snprintf(want, sizeof(want), "bad row on rank %d", last);
    LT_ASSERT_ALL(rc == LARIAT_EDATA);
    LT_ASSERT_ALL(strcmp(lariat_errmsg(ctx), want) == 0);
}

/* The most severe status wins; ties go to the lowest rank's message. */
static void test_agree_severity(void)
{
    lariat_ctx *ctx = lt_ctx();
    int rc = lariat_error(ctx, LARIAT_EUSAGE, "usage from %d", lt_rank());
    if (lt_rank() == lt_size() - 1) rc = lariat_error(ctx, LARIAT_EIO, "io from %d", lt_rank());
    rc = lariat_agree(ctx, rc);
    char want[64];
    if (lt_size() == 1) snprintf(want, sizeof(want), "io from 0");
    else snprintf(want, sizeof(want), "io from %d", lt_size() - 1);
    LT_ASSERT_ALL(rc == LARIAT_EIO);
    LT_ASSERT_ALL(strcmp(lariat_errmsg(ctx), want) == 0);
    LT_ASSERT_ALL(lariat_agree(ctx, LARIAT_OK) == LARIAT_OK);
}

static void test_exit_codes(void)
{
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_OK), 0);
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_EUSAGE), 1);
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_EDATA), 2);
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_ENUMERIC), 3);
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_EMPI), 3);
    CU_ASSERT_EQUAL(lariat_status_exit_code(LARIAT_ESIGNAL), 4);
}

/* A context made on a sub-communicator works on it alone. */
static void test_ctx_on_split(void)
{
    MPI_Comm half;
    MPI_Comm_split(lt_comm(), lt_rank() % 2, lt_rank(), &half);
    lariat_ctx *ctx = NULL;
    int rc = lariat_ctx_create(half, &ctx);
    int expect = (lt_size() + 1 - lt_rank() % 2) / 2;
    LT_ASSERT_ALL(rc == LARIAT_OK && lariat_ctx_size(ctx) == expect);
    double v = 1.0;
    rc = lariat_allreduce_sum(ctx, &v, 1);
    LT_ASSERT_ALL(rc == LARIAT_OK && v == (double)expect);
    lariat_ctx_destroy(ctx);
    MPI_Comm_free(&half);
}

/* lariat_ctx_create_f: a communicator passed as its Fortran handle (what
** mpi4py's comm.py2f() gives Python) makes a context on that communicator;
** the handle of MPI_COMM_NULL is refused on every rank. */
static void test_ctx_from_fortran_handle(void)
{
    MPI_Comm half;
    MPI_Comm_split(lt_comm(), lt_rank() % 2, lt_rank(), &half);
    lariat_ctx *ctx = NULL;
    int rc = lariat_ctx_create_f(MPI_Comm_c2f(half), &ctx);
    int expect = (lt_size() + 1 - lt_rank() % 2) / 2, rank = -1;
    MPI_Comm_rank(half, &rank);
    LT_ASSERT_ALL(rc == LARIAT_OK && lariat_ctx_size(ctx) == expect && lariat_ctx_rank(ctx) == rank);
    double v = 1.0;
    rc = ctx != NULL ? lariat_allreduce_sum(ctx, &v, 1) : LARIAT_EMPI;
    LT_ASSERT_ALL(rc == LARIAT_OK && v == (double)expect);
    lariat_ctx_destroy(ctx);
    MPI_Comm_free(&half);
    ctx = NULL;
    rc = lariat_ctx_create_f(MPI_Comm_c2f(MPI_COMM_NULL), &ctx);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE && ctx == NULL);
}

/* Term g of entry t: magnitudes over 40 binades, both signs, exact zeros,
** and one entry with an infinite term. */
static double rsum_term(int64_t t, int g)
{
    if (t == 3 && g == 5) return INFINITY;
    if ((t + g) % 7 == 0) return 0.0;
    const double m = ldexp(1.0 + 0.37 * (double)((t * 31 + g * 17) % 101), (int)((t * 13 + g * 7) % 41) - 20);
    return (t + 2 * g) % 3 == 0 ? -m : m;
}

/* lariat_rsum_allreduce_value over count entries (below and above the
** ring's threshold, in several messages, blocks not a multiple of the
** ranks): the 12 terms of each entry dealt round-robin to the ranks give the
** bits of all 12 deposited on one rank, at any rank count. */
static void check_rsum_split(int64_t count)
{
    const int P = lt_size(), me = lt_rank(), G = 12;
    lariat_rsum_entry *acc = malloc((size_t)count * sizeof(*acc)), *one = malloc((size_t)count * sizeof(*one));
    double *out = malloc((size_t)count * sizeof(double)), *want = malloc((size_t)count * sizeof(double));
    double *v = malloc((size_t)count * sizeof(double));
    LT_ASSERT_ALL(acc && one && out && want && v);
    if (!acc || !one || !out || !want || !v) goto done;
    lariat_rsum_clear(acc, count);
    lariat_rsum_clear(one, count);
    for (int g = 0; g < G; g++) {
        for (int64_t t = 0; t < count; t++) v[t] = rsum_term(t, g);
        if (g % P == me) lariat_rsum_add(acc, v, count);
        lariat_rsum_add(one, v, count);
    }
    lariat_rsum_value(one, want, count);
    int rc = lariat_rsum_allreduce_value(lt_ctx(), acc, count, out);
    LT_ASSERT_ALL(rc == LARIAT_OK && memcmp(out, want, (size_t)count * sizeof(double)) == 0);
    LT_ASSERT_ALL(isnan(out[3]));
done:
    free(acc);
    free(one);
    free(out);
    free(want);
    free(v);
}

/* lariat_rsum_ring_int64 over count entries: this rank's block holds the
** sums over the ranks. The counts include blocks of 0 and 1 entries and
** blocks one entry past a whole number of messages, where ranks whose
** exchanges were counted from their own blocks waited for each other. */
static void check_ring_int64(int64_t count)
{
    const int P = lt_size(), me = lt_rank();
    int64_t *v = malloc((size_t)(count > 0 ? count : 1) * sizeof(int64_t));
    int *counts = malloc(2 * (size_t)P * sizeof(int));
    LT_ASSERT_ALL(v && counts);
    if (!v || !counts) goto done;
    for (int64_t t = 0; t < count; t++) v[t] = (t % 1000 - 500) * (me + 1) + t;
    int rc = lariat_rsum_ring_int64(lt_ctx(), v, count);
    lariat_rsum_ring_counts(count, P, counts, counts + P);
    int ok = rc == LARIAT_OK;
    for (int64_t t = counts[P + me]; ok && t < counts[P + me] + counts[me]; t++) {
        ok = v[t] == (t % 1000 - 500) * (int64_t)P * (P + 1) / 2 + (int64_t)P * t;
    }
    LT_ASSERT_ALL(ok);
done:
    free(v);
    free(counts);
}

/* lariat_rsum_add over many entries (four at a time where the CPU has
** AVX2) leaves every entry's bits as depositing its values one entry at a
** time does (the scalar path), with empty, poisoned and shifting windows,
** and first values (which open an entry's window) at the ends of the
** range: subnormal, below the finest bin, at the largest exponent taken,
** past it, and not a number. */
static double rsum_first_term(int64_t t)
{
    switch (t % 11) {
    case 1: return ldexp(1.5, -1060);
    case 2: return ldexp(1.25, 999);
    case 4: return ldexp(1.0, 1000);
    case 6: return ldexp(1.1, -1015);
    case 8: return NAN;
    case 9: return -ldexp(1.7, 998);
    case 10: return -ldexp(1.0, -1022);
    default: return rsum_term(t, 0);
    }
}

static void check_rsum_add_vector(int t_specials)
{
    const int64_t count = 1003;
    lariat_rsum_entry *a = malloc((size_t)count * sizeof(*a)), *b = malloc((size_t)count * sizeof(*b));
    double *v = malloc((size_t)count * sizeof(double));
    LT_ASSERT_ALL(a && b && v);
    if (a && b && v) {
        int same = 1;
        lariat_rsum_clear(a, count);
        lariat_rsum_clear(b, count);
        for (int g = 0; g < 40; g++) {
            /* Later rounds reach larger binades, so windows move up. */
            for (int64_t t = 0; t < count; t++) v[t] = rsum_term(t, g) * ldexp(1.0, (int)(g * (t % 5)));
            if (g == 0 && t_specials) {
                for (int64_t t = 0; t < count; t++) v[t] = rsum_first_term(t);
            }
            lariat_rsum_add(a, v, count);
            for (int64_t t = 0; t < count; t++) lariat_rsum_add(b + t, v + t, 1);
            /* After every round: later windows drop what the first held. */
            same &= memcmp(a, b, (size_t)count * sizeof(*a)) == 0;
        }
        LT_ASSERT_ALL(same);
    }
    free(a);
    free(b);
    free(v);
}

static void test_rsum_add_vector(void)
{
    check_rsum_add_vector(0);
    check_rsum_add_vector(1);
}

static void test_rsum_split(void)
{
    check_rsum_split(10);
    check_rsum_split(65536 * 4 + 7);
    check_rsum_split(300001);
    /* The binned ring's messages are 32,768 entries: a block one past three. */
    if (lt_size() > 2) check_rsum_split(98304 * (int64_t)lt_size() + 1);
    for (int64_t count = 0; count <= 9; count++) check_ring_int64(count);
    /* Its 1 MiB messages of integers: blocks of 131,072 and 131,073 entries. */
    check_ring_int64(131072 * (int64_t)lt_size() + 1);
    check_ring_int64(131072 * (int64_t)lt_size() - 1);
}

void lt_register_core(void)
{
    CU_pSuite s = CU_add_suite("core", NULL, NULL);
    CU_add_test(s, "aligned allocation: 64-byte boundary, overflow refused", test_malloc_aligned);
    CU_add_test(s, "huge-page workspaces: 2 MiB boundary, every byte writable", test_malloc_huge);
    CU_add_test(s, "agree when one rank fails", test_agree_one_rank_fails);
    CU_add_test(s, "agree on the most severe status", test_agree_severity);
    CU_add_test(s, "exit codes of SPEC section 8", test_exit_codes);
    CU_add_test(s, "context on a sub-communicator", test_ctx_on_split);
    CU_add_test(s, "context from a Fortran handle", test_ctx_from_fortran_handle);
    CU_add_test(s, "binned sums reduced round a ring = on one rank", test_rsum_split);
    CU_add_test(s, "binned deposits four at a time = one at a time", test_rsum_add_vector);
}
