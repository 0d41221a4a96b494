/*
** The shared MPI-aware CUnit harness (STYLE.md, PLATFORM.md).
**
** Every rank runs the same suites. Assertions about collective results are
** agreed first (LT_ASSERT_ALL: a local flag, then an allreduce), so a failure
** on one rank is seen by all and cannot strand the others in a collective.
*/
#ifndef LARIAT_TEST_HARNESS_H
#define LARIAT_TEST_HARNESS_H

#include "lariat.h"

#include <CUnit/CUnit.h>

/* The communicator every test runs on (the world: tests are a front end). */
MPI_Comm lt_comm(void);
int lt_rank(void);
int lt_size(void);
/* A context on lt_comm(), made once, verbosity quiet. */
lariat_ctx *lt_ctx(void);

/* Collective. 1 on every rank when cond holds on every rank. */
int lt_all(int cond);
#define LT_ASSERT_ALL(cond) CU_ASSERT(lt_all((cond) ? 1 : 0))

/* Collective. A fresh directory shared by all ranks (same path), removed at
** exit; and a path inside it (static buffer rotation, valid for a few calls). */
const char *lt_tmpdir(void);
const char *lt_path(const char *name);
/* Collective. Rank 0 writes text to path; every rank returns after it exists. */
void lt_write_file(const char *path, const char *text);
/* The folder of committed fixtures (tests/fixtures). */
const char *lt_fixtures_dir(void);

/* Not collective. max_i |a_i - b_i| / max(1, max_i |b_i|): scale-free difference. */
double lt_rel_diff(const double *a, const double *b, int64_t n);

/* The suites: one line per test file, X(name) for a function
** void lt_register_<name>(void) that adds its CUnit suite. */
#define LT_SUITES(X) \
    X(core)          \
    X(matrix)        \
    X(prep)          \
    X(solvers)       \
    X(admm)          \
    X(cv)            \
    X(cv_class)      \
    X(checkpoint)    \
    X(model)         \
    X(io)            \
    X(hdf5)          \
    X(pgram)         \
    X(wsgram)        \
    X(reliability)   \
    X(reference)     \
    X(glm)

#define LT_DECLARE(name) void lt_register_##name(void);
LT_SUITES(LT_DECLARE)
#undef LT_DECLARE

#endif /* LARIAT_TEST_HARNESS_H */
