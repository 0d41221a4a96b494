/*
** Reliability: a failure that only one rank sees, after the data are in,
** reaches every rank before the next collective call, and all return the
** same status with that rank's message (SPEC.md section 8). The failures are
** real ones, not injected through a hook: the last rank's address space is
** capped (setrlimit RLIMIT_AS) just above what it uses, so its next large
** allocation fails while the other ranks' succeed and they go on to the
** collective that follows; one rank's rows hold a NaN; rank 0, the only
** writer, cannot create the model file. After each failure the context
** still works: the same call without the fault succeeds.
*/
#include "core/core.h"
#include "harness.h"
#include "io/model.h"
#include "testdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Room left above the current address space: enough for MPI's and the
** solvers' small allocations, below the 11.5 MB of a 1200 x 1200 matrix. */
#define HEADROOM_BYTES ((rlim_t)8 << 20)

/* Not collective. Caps this process's address space at its current size
** plus HEADROOM_BYTES, saving the old limit; 0 if that cannot be done. */
static int cap_address_space(struct rlimit *saved)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    int ok = f != NULL && fscanf(f, "%lu", &pages) == 1;
    if (f != NULL) fclose(f);
    if (!ok || getrlimit(RLIMIT_AS, saved) != 0) return 0;
    struct rlimit cap = *saved;
    cap.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + HEADROOM_BYTES;
    if (saved->rlim_max != RLIM_INFINITY && cap.rlim_cur > saved->rlim_max) return 0;
    return setrlimit(RLIMIT_AS, &cap) == 0;
}

/* Collective. Fits (gram, admm) or cross-validates (cv): once on small data
** so that lazy allocations (OpenBLAS's buffers) are made; then on data whose
** p x p matrices are larger than the headroom, with the last rank's address
** space capped (it alone fails, in the middle of the solver's set-up, while
** the others go on to the next collective); then on the same data freely.
** The last rank holds the most rows: 1536 or more of the 5000 at every rank
** count up to 4 once they sit on tile boundaries of 512 rows (data/tiles.h),
** so admm factors a p x p matrix there too. */
static void check_alloc_fails_on_last_rank(const char *what)
{
    lariat_ctx *ctx = lt_ctx();
    const lt_spec small = {.n = 60, .p = 8, .seed = 11}, big = {.n = 5000, .p = 1200, .seed = 11};
    lariat_data *ds = lt_make_data(&small), *d = lt_make_data(&big);
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.alpha = 0.5;
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = strcmp(what, "admm") == 0 ? LARIAT_SOLVER_ADMM : LARIAT_SOLVER_GRAM;
    st.max_iter = 20;
    const double lambda = 0.3;
    st.lambda = &lambda;
    st.n_lambda_given = 1;
    lariat_cv_settings cvs;
    lariat_cv_settings_default(&cvs);
    cvs.nfolds = 3;
    const int last = lt_rank() == lt_size() - 1;

    for (int phase = 0; phase < 3; phase++) {
        const int capped = phase == 1;
        const lariat_data *data = phase == 0 ? ds : d;
        struct rlimit saved;
        int was_capped = capped && last && cap_address_space(&saved);
        int rc;
        lariat_fit *fit = NULL;
        lariat_cv_result *res = NULL;
        if (strcmp(what, "cv") == 0) rc = lariat_cv(ctx, data, NULL, &pb, &st, &cvs, &res);
        else rc = lariat_fit_path(ctx, data, NULL, &pb, &st, &fit);
        if (was_capped) setrlimit(RLIMIT_AS, &saved);
        if (capped) {
            /* Every rank: the failing rank's status and message. */
            LT_ASSERT_ALL(was_capped || !last);
            LT_ASSERT_ALL(rc == LARIAT_ENOMEM);
            LT_ASSERT_ALL(strstr(lariat_errmsg(ctx), "out of memory") != NULL);
            LT_ASSERT_ALL(fit == NULL && res == NULL);
        } else {
            LT_ASSERT_ALL(rc == LARIAT_OK);
        }
        lariat_fit_destroy(fit);
        lariat_cv_destroy(res);
    }
    lariat_data_destroy(ds);
    lariat_data_destroy(d);
}

static void test_gram_alloc_fails_on_one_rank(void) { check_alloc_fails_on_last_rank("gram"); }
static void test_admm_alloc_fails_on_one_rank(void) { check_alloc_fails_on_last_rank("admm"); }
static void test_cv_alloc_fails_on_one_rank(void) { check_alloc_fails_on_last_rank("cv"); }

/* A NaN in the last rank's labels, handed to the library directly (the
** readers reject it in files): every rank gets LARIAT_EDATA naming the row. */
static void test_nonfinite_rows_on_one_rank(void)
{
    lariat_ctx *ctx = lt_ctx();
    const int64_t nl = 3, p = 2;
    double X[6] = {1, 2, 3, 4, 5, 7}, y[3] = {1, 2, 4}, w[3] = {1, 1, 1};
    const int last = lt_rank() == lt_size() - 1;
    for (int k = 0; k < 3; k++) {
        double yk[3], wk[3], Xk[6];
        memcpy(yk, y, sizeof(y));
        memcpy(wk, w, sizeof(w));
        memcpy(Xk, X, sizeof(X));
        if (last && k == 0) yk[2] = NAN;
        if (last && k == 1) Xk[3] = INFINITY;
        if (last && k == 2) wk[1] = -1.0;
        lariat_data *d = NULL;
        int rc = lariat_data_from_dense(ctx, nl, p, Xk, yk, wk, &d);
        char want[32];
        snprintf(want, sizeof(want), "row %lld (global", (long long)(3 * (lt_size() - 1) + (k == 0 ? 2 : 1)));
        LT_ASSERT_ALL(rc == LARIAT_EDATA && d == NULL);
        LT_ASSERT_ALL(strstr(lariat_errmsg(ctx), want) != NULL);
        lariat_data_destroy(d);
    }
    lariat_data *d = NULL;
    LT_ASSERT_ALL(lariat_data_from_dense(ctx, nl, p, X, y, w, &d) == LARIAT_OK);
    lariat_data_destroy(d);
}

/* Rank 0 alone writes the model; when it cannot, every rank returns
** LARIAT_EIO with its message, and nothing is left in the folder. */
static void test_model_write_fails_on_rank0(void)
{
    lariat_ctx *ctx = lt_ctx();
    const lt_spec spec = {.n = 50, .p = 4, .seed = 5};
    lariat_data *d = lt_make_data(&spec);
    lariat_problem pb;
    lariat_problem_default(&pb);
    lariat_settings st;
    lariat_settings_default(&st);
    st.nlambda = 5;
    lariat_fit *fit = NULL;
    LT_ASSERT_ALL(lariat_fit_path(ctx, d, NULL, &pb, &st, &fit) == LARIAT_OK);
    /* A regular file where a folder should be: creating anything below it fails. */
    const char *blocker = lt_path("not-a-folder");
    lt_write_file(blocker, "x");
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/model.json", blocker);
    lariat_model_info info;
    lariat_model_info_default(&info);
    info.selected = fit != NULL ? fit->nlambda - 1 : 0;
    int rc = lariat_model_write(ctx, bad, fit, &info);
    LT_ASSERT_ALL(rc == LARIAT_EIO);
    LT_ASSERT_ALL(strstr(lariat_errmsg(ctx), "not-a-folder/model.json") != NULL);
    const char *good = lt_path("model-after-failure.json");
    LT_ASSERT_ALL(lariat_model_write(ctx, good, fit, &info) == LARIAT_OK);
    LT_ASSERT_ALL(access(good, F_OK) == 0);
    lariat_fit_destroy(fit);
    lariat_data_destroy(d);
}

void lt_register_reliability(void)
{
    CU_pSuite s = CU_add_suite("reliability", NULL, NULL);
    CU_add_test(s, "gram: an allocation fails on one rank", test_gram_alloc_fails_on_one_rank);
    CU_add_test(s, "admm: an allocation fails on one rank", test_admm_alloc_fails_on_one_rank);
    CU_add_test(s, "cv: an allocation fails on one rank", test_cv_alloc_fails_on_one_rank);
    CU_add_test(s, "non-finite rows or a negative weight on one rank", test_nonfinite_rows_on_one_rank);
    CU_add_test(s, "the model file cannot be written on rank 0", test_model_write_fails_on_rank0);
}
