/*
** Embedding lariat in an MPI program.
**
**   mpirun -n 4 ./lariat_embed [GROUPS]
**
** The program owns MPI_COMM_WORLD and splits it into GROUPS groups of ranks
** (default 1) with MPI_Comm_split; lariat only ever sees a group's
** communicator, so the groups work side by side without knowing of each
** other. Each group makes its own synthetic regression problem in memory,
** every rank building only its share of the rows, then
**
**   1. fits the elastic-net path (lariat_fit_path) and checks the
**      certificate of every solution on it: the duality gap, at most
**      tol * N0 when a fit has converged;
**   2. cross-validates it (lariat_cv, 5 folds) and reports the model refit
**      at lambda_1se, its error against the true coefficients and its gap.
**
** Every value comes from (seed, global row, column), so the answers do not
** depend on how many ranks a group has: one group of 4 ranks and four
** groups of 1 give group 0 the same model.
**
** lariat's collective functions return the same status on every rank of the
** group, with the message in the context (lariat_errmsg): a failure is
** printed once and every rank of the group leaves together.
*/
#include <lariat.h>

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    N_ROWS = 4000,  /* rows of each group's problem, over all its ranks */
    N_FEATURES = 30,
    N_TRUE = 5,     /* the first N_TRUE coefficients are nonzero */
    REPORT = 1024   /* bytes of one group's report */
};
static const double true_coef[N_TRUE] = {3.0, -2.0, 1.5, -1.0, 0.5};
static const double noise_sd = 0.5;

/* A uniform number in [0, 1) from (seed, row, column): SplitMix64's
** finalizer over the three, so any rank can make any row on its own. */
static double uniform(uint64_t seed, int64_t row, int64_t col)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull ^ (uint64_t)row * 0xBF58476D1CE4E5B9ull ^
                 (uint64_t)(col + 1) * 0x94D049BB133111EBull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* This rank's rows [row0, row0 + n_local) of the problem of seed: x_ij
** uniform on [-sqrt 3, sqrt 3] (variance 1), y_i = 1 + x_i'b + noise. */
static void make_rows(uint64_t seed, int64_t row0, int64_t n_local, double *X, double *y)
{
    for (int64_t i = 0; i < n_local; i++) {
        double *x = X + i * N_FEATURES, eta = 1.0;
        for (int j = 0; j < N_FEATURES; j++) {
            x[j] = sqrt(3.0) * (2.0 * uniform(seed, row0 + i, j) - 1.0);
            if (j < N_TRUE) eta += true_coef[j] * x[j];
        }
        y[i] = eta + noise_sd * sqrt(3.0) * (2.0 * uniform(seed, row0 + i, -2) - 1.0);
    }
}

/* Fits and cross-validates the problem of seed on comm (collective on
** comm) and writes what it found into report (REPORT bytes; every rank
** writes the same, main prints rank 0's). Returns a lariat status, the same
** on every rank of comm. */
static int fit_group(MPI_Comm comm, uint64_t seed, char *report)
{
    lariat_ctx *ctx = NULL;
    lariat_data *data = NULL;
    lariat_fit *fit = NULL;
    lariat_cv_result *cv = NULL;
    double *X = NULL, *y = NULL;
    int at = 0;

    int rc = lariat_ctx_create(comm, &ctx); /* lariat keeps its own duplicate of comm */
    if (rc != LARIAT_OK) {
        snprintf(report, REPORT, "  cannot create a context: %s\n", lariat_status_string(rc));
        return rc;
    }
    int rank = lariat_ctx_rank(ctx), size = lariat_ctx_size(ctx);
    /* lariat reports progress and its choices on stderr unless told not to. */
    lariat_ctx_set_verbosity(ctx, LARIAT_LOG_QUIET);

    /* This rank's contiguous block of rows; lariat numbers rows in rank order. */
    int64_t n_local = N_ROWS / size + (rank < N_ROWS % size);
    int64_t row0 = (int64_t)rank * (N_ROWS / size) + (rank < N_ROWS % size ? rank : N_ROWS % size);
    X = malloc((size_t)(n_local * N_FEATURES + 1) * sizeof(double));
    y = malloc((size_t)(n_local + 1) * sizeof(double));
    if (X != NULL && y != NULL) make_rows(seed, row0, n_local, X, y);
    /* A failed malloc on one rank passes n_local = -1, which every rank of
    ** the group then hears about from lariat_data_from_dense. */
    rc = lariat_data_from_dense(ctx, X != NULL && y != NULL ? n_local : -1, N_FEATURES, X, y, NULL, &data);
    free(X);
    free(y);
    if (rc != LARIAT_OK) goto done;

    /* The problem and the solver settings: an elastic net (alpha = 0.5),
    ** standardized, with an intercept; the default path of 100 lambdas. */
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.alpha = 0.5;
    lariat_settings st;
    lariat_settings_default(&st);

    /* 1. The path, and the certificate of each solution on it. */
    rc = lariat_fit_path(ctx, data, NULL, &pb, &st, &fit);
    if (rc != LARIAT_OK) goto done;
    double worst = 0.0;
    int converged = 0;
    for (int k = 0; k < fit->nlambda; k++) {
        double rel = fit->path[k].duality_gap / fit->null_objective;
        worst = rel > worst ? rel : worst;
        converged += fit->path[k].converged;
    }
    at += snprintf(report + at, REPORT - at,
                   "  path: %d lambdas from %.4g, solver %s%s%s\n"
                   "  path certificate: largest gap/N0 %.2e (tol %.0e), %d of %d converged\n",
                   fit->nlambda, fit->lambda_max, fit->solver_name, fit->solver_reason[0] ? ": " : "",
                   fit->solver_reason, worst, st.tol, converged, fit->nlambda);

    /* 2. Cross-validation: 5 folds drawn from the seed and the global row
    ** index, the path refit on all rows, the model at lambda_1se. */
    lariat_cv_settings cvs;
    lariat_cv_settings_default(&cvs);
    cvs.nfolds = 5;
    rc = lariat_cv(ctx, data, NULL, &pb, &st, &cvs, &cv);
    if (rc != LARIAT_OK) goto done;
    const lariat_fit *refit = cv->curves[cv->best].fit;
    const lariat_solution *sol = &refit->path[cv->selected];
    double err = 0.0;
    for (int j = 0; j < N_FEATURES; j++) {
        double d = fabs(sol->coef[j] - (j < N_TRUE ? true_coef[j] : 0.0));
        err = d > err ? d : err;
    }
    at += snprintf(report + at, REPORT - at,
                   "  cv: %d folds, lambda_min %.6g, lambda_1se %.6g\n"
                   "  model at lambda_1se: %lld nonzero, intercept %.3f, max |b - b_true| %.3f\n"
                   "  model certificate: gap %.3e, N0 %.4g, gap/N0 %.2e (tol %.0e): %s\n",
                   cv->nfolds, cv->lambda_min, cv->lambda_1se, (long long)sol->nonzero, sol->intercept, err,
                   sol->duality_gap, refit->null_objective, sol->duality_gap / refit->null_objective, st.tol,
                   sol->converged ? "converged" : "NOT converged");

done:
    if (rc != LARIAT_OK) snprintf(report + at, REPORT - at, "  error: %s\n", lariat_errmsg(ctx));
    lariat_cv_destroy(cv);
    lariat_fit_destroy(fit);
    lariat_data_destroy(data);
    lariat_ctx_destroy(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    int groups = argc > 1 ? atoi(argv[1]) : 1;
    if (groups < 1 || groups > world_size) {
        if (world_rank == 0) fprintf(stderr, "usage: %s [GROUPS], 1 <= GROUPS <= ranks (%d)\n", argv[0], world_size);
        MPI_Finalize();
        return 1;
    }

    /* Ranks round-robin into groups; group g solves the problem of seed g + 1. */
    int color = world_rank % groups;
    MPI_Comm group;
    MPI_Comm_split(MPI_COMM_WORLD, color, world_rank, &group);
    int group_size;
    MPI_Comm_size(group, &group_size);

    char report[REPORT];
    int at = snprintf(report, REPORT, "group %d: %d rank%s, %d rows, %d features, seed %d\n", color, group_size,
                      group_size > 1 ? "s" : "", N_ROWS, N_FEATURES, color + 1);
    int rc = fit_group(group, (uint64_t)color + 1, report + at);
    MPI_Comm_free(&group);

    /* The groups' reports, printed in group order by world rank 0 (each
    ** group's rank 0 is world rank `color`), and one exit status for all. */
    char *all = world_rank == 0 ? malloc((size_t)world_size * REPORT) : NULL;
    if (world_rank == 0 && all == NULL) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Gather(report, REPORT, MPI_CHAR, all, REPORT, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (world_rank == 0) {
        for (int g = 0; g < groups; g++) fputs(all + (size_t)g * REPORT, stdout);
        free(all);
    }
    int failed = rc != LARIAT_OK, any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any_failed ? 1 : 0;
}
