/*
** The context: error agreement across ranks and the status table.
*/
#include "core/core.h"
#include "harness.h"

#include <string.h>

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

void lt_register_core(void)
{
    CU_pSuite s = CU_add_suite("core", NULL, NULL);
    CU_add_test(s, "agree when one rank fails", test_agree_one_rank_fails);
    CU_add_test(s, "agree on the most severe status", test_agree_severity);
    CU_add_test(s, "exit codes of SPEC section 8", test_exit_codes);
    CU_add_test(s, "context on a sub-communicator", test_ctx_on_split);
    CU_add_test(s, "context from a Fortran handle", test_ctx_from_fortran_handle);
}
