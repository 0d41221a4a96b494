/*
** lariat_bench: the machine's limits next to lariat's kernels, on one data
** file, for jobs/bench.sh (docs/performance.md). Not part of the library.
**
**   mpirun -n P lariat_bench --data FILE [--format csv|libsvm] [--iters K]
**                            [--reps R] [--gram 0|1] [--model-rows N --model-cols P]
**
** Rank 0 prints one "key value" line per figure (seconds, bytes, ratios):
**
** - load: lariat_data_read of FILE, and the loader's MB/s per rank
**   (file bytes / load seconds / ranks).
** - the one-pass floor: the time to stream this rank's block of X once
**   (the bytes lariat_matrix_bytes reports, read by BLAS's DASUM, every rank
**   at once so that ranks sharing a memory bus share it here too). The
**   floor of a fista iteration is one such pass: X*b and X'r fused in one
**   sweep of each row block.
** - fista: the solver's time per iteration at lambda = lambda_max / 10 with
**   tol = 0 (so it runs exactly --iters iterations), one allreduce each,
**   and the fused sweep alone (lariat_matrix_resid_grad); both divided by
**   the floor.
** - gram (dense data, unless --gram 0): the local pass of the gram solver
**   (lariat_matrix_gram: centering, weighting and DSYRK by blocks) divided by
**   one DSYRK of the same n_local x p block, the BLAS-3 floor of that pass.
** - allreduce: seconds per MPI_Allreduce of 8 B to 8 MiB, and the
**   latency + bytes / bandwidth line through the smallest and the largest;
**   with it, a prediction of the fista time per iteration at 16 to 1024
**   ranks for an N x P dense problem (Boyd et al. 2011, section 11:
**   400,000 x 8,000), see model_prediction.
**
** Every time is the largest over the ranks (each phase starts at a barrier)
** and the best of --reps repetitions, except the load, which is timed once.
** MPI_COMM_WORLD appears here because this is a main program, like src/cli.
*/
#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"
#include "solvers/prep.h"
#include "solvers/solver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct bench_args {
    const char *data;
    const char *format;
    int iters;
    int reps;
    int gram;
    double model_rows, model_cols;
} bench_args;

/* The number of allreduce sizes timed: 8 B, 64 B, ..., 8 MiB (powers of 8). */
#define N_SIZES 8

static int parse_args(int argc, char **argv, bench_args *a)
{
    a->data = NULL;
    a->format = NULL;
    a->iters = 20;
    a->reps = 3;
    a->gram = 1;
    a->model_rows = 400000.0;
    a->model_cols = 8000.0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) return 1;
        if (strcmp(argv[i], "--data") == 0) a->data = v;
        else if (strcmp(argv[i], "--format") == 0) a->format = v;
        else if (strcmp(argv[i], "--iters") == 0) a->iters = atoi(v);
        else if (strcmp(argv[i], "--reps") == 0) a->reps = atoi(v);
        else if (strcmp(argv[i], "--gram") == 0) a->gram = atoi(v);
        else if (strcmp(argv[i], "--model-rows") == 0) a->model_rows = atof(v);
        else if (strcmp(argv[i], "--model-cols") == 0) a->model_cols = atof(v);
        else return 1;
        i++;
    }
    return a->data == NULL || a->iters < 1 || a->reps < 1 || !(a->model_rows >= 1.0) || !(a->model_cols >= 1.0);
}

/* Collective. The largest of the ranks' values. */
static double max_over_ranks(double t)
{
    MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return t;
}

/* Collective. Wall seconds of one phase: a barrier, then this rank's time. */
static double phase_start(void)
{
    MPI_Barrier(MPI_COMM_WORLD);
    return MPI_Wtime();
}

/* Collective. Seconds for one streaming read of `bytes` by every rank at
** once, the best of reps; buf holds at least bytes (its values matter not). */
static double stream_floor(const double *buf, size_t bytes, int reps, double *sink)
{
    const int64_t count = (int64_t)(bytes / sizeof(double));
    const int64_t chunk = 1 << 30;
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = phase_start();
        for (int64_t i = 0; i < count; i += chunk) {
            int m = (int)(count - i < chunk ? count - i : chunk);
            *sink += cblas_dasum(m, buf + i, 1);
        }
        double t = max_over_ranks(MPI_Wtime() - t0);
        if (t < best) best = t;
    }
    return best;
}

/* Collective. Seconds per fista iteration (best of reps) at lambda_max / 10,
** tol 0 and max_iter iterations, and seconds per fused sweep. */
static int time_fista(lariat_ctx *ctx, const lariat_data *data, const bench_args *a, double *iter_s,
                      double *sweep_s)
{
    lariat_problem pb;
    lariat_settings st;
    lariat_problem_default(&pb);
    lariat_settings_default(&st);
    pb.alpha = 1.0;
    st.tol = 0.0;
    st.max_iter = a->iters;
    lariat_prep *prep = NULL;
    void *ws = NULL;
    double *c = NULL, *r = NULL, *g = NULL;
    int rc = lariat_prep_create(ctx, data, NULL, &pb, &prep);
    if (rc == LARIAT_OK) rc = lariat_solver_fista.create(prep, &st, &ws);
    if (rc == LARIAT_OK) {
        c = lariat_calloc(ctx, (size_t)data->p, sizeof(double), "coefficients");
        g = lariat_calloc(ctx, (size_t)data->p, sizeof(double), "gradient");
        r = lariat_calloc(ctx, (size_t)(data->n_local > 0 ? data->n_local : 1), sizeof(double), "residuals");
        rc = lariat_agree(ctx, c && g && r ? LARIAT_OK : LARIAT_ENOMEM);
    }
    *iter_s = *sweep_s = INFINITY;
    const double lambda = prep != NULL ? 0.1 * lariat_prep_lambda_max(prep) : 0.0;
    for (int rep = 0; rc == LARIAT_OK && rep < a->reps; rep++) {
        lariat_solve_info info;
        memset(c, 0, (size_t)data->p * sizeof(double));
        double t0 = phase_start();
        rc = lariat_solver_fista.solve(ws, lambda, c, &info);
        double t = max_over_ranks(MPI_Wtime() - t0) / (info.iterations > 0 ? info.iterations : 1);
        if (t < *iter_s) *iter_s = t;
        double sums[3];
        t0 = phase_start();
        lariat_matrix_resid_grad(data->X, prep->mean, c, prep->ybar, data->y, data->w, r, g, sums);
        t = max_over_ranks(MPI_Wtime() - t0);
        if (t < *sweep_s) *sweep_s = t;
    }
    if (ws != NULL) lariat_solver_fista.destroy(ws);
    lariat_prep_destroy(prep);
    free(c);
    free(g);
    free(r);
    return rc;
}

/* Collective. The gram pass (lariat_matrix_gram on this rank's rows) and one
** DSYRK of a copy of the same block, best of reps each. Dense data only. */
static int time_gram(lariat_ctx *ctx, const lariat_data *data, const double *B, int reps, double *pass_s,
                     double *dsyrk_s)
{
    const int64_t p = data->p, n = data->n_local;
    double *G = lariat_malloc(ctx, (size_t)(p * p), sizeof(double), "Gram");
    double *mean = lariat_calloc(ctx, (size_t)p, sizeof(double), "means");
    int rc = lariat_agree(ctx, G != NULL && mean != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    *pass_s = *dsyrk_s = INFINITY;
    for (int rep = 0; rc == LARIAT_OK && rep < reps; rep++) {
        double t0 = phase_start();
        rc = lariat_agree(ctx, lariat_matrix_gram(ctx, data->X, data->w, mean, G));
        double t = max_over_ranks(MPI_Wtime() - t0);
        if (t < *pass_s) *pass_s = t;
        t0 = phase_start();
        if (n > 0) cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)n, 1.0, B, (int)p, 0.0, G, (int)p);
        t = max_over_ranks(MPI_Wtime() - t0);
        if (t < *dsyrk_s) *dsyrk_s = t;
    }
    free(G);
    free(mean);
    return rc;
}

/* Collective. Seconds per MPI_Allreduce (sum) of 8^k doubles' bytes,
** k = 0..N_SIZES-1, each the best of reps rounds of enough calls to take
** about a millisecond. */
static int time_allreduce(lariat_ctx *ctx, int reps, double *bytes, double *secs)
{
    const int64_t most = (int64_t)1 << (3 * (N_SIZES - 1));
    double *buf = lariat_calloc(ctx, (size_t)most, sizeof(double), "allreduce buffer");
    int rc = lariat_agree(ctx, buf != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    int64_t count = 1;
    for (int k = 0; rc == LARIAT_OK && k < N_SIZES; k++, count *= 8) {
        int calls = (int)(1000000 / (count + 100));
        if (calls < 3) calls = 3;
        secs[k] = INFINITY;
        bytes[k] = (double)count * sizeof(double);
        for (int rep = 0; rep < reps; rep++) {
            double t0 = phase_start();
            for (int c = 0; c < calls && rc == LARIAT_OK; c++) rc = lariat_allreduce_sum(ctx, buf, count);
            double t = max_over_ranks(MPI_Wtime() - t0) / calls;
            if (t < secs[k]) secs[k] = t;
        }
    }
    free(buf);
    return rc;
}

/* Not collective. The communication model and its prediction for an
** N x P dense problem with one fista allreduce of P + 4 doubles per
** iteration:
**   allreduce(m bytes, R ranks) = ceil(log2 R) a + 2 (R - 1) / R * m / b,
** the cost of recursive doubling's latency with a ring's bandwidth term
** (Thakur, Rabenseifner and Gropp 2005, Int. J. High Perform. Comput. Appl.
** 19(1)), with a and b from the two-rank measurement (where both terms are
** one message: log2 2 = 1, 2 (2-1)/2 = 1), and
**   compute(R) = (N / R) P 8 bytes / bandwidth_per_rank * fista_ratio,
** one pass over the local block at the measured per-rank bandwidth times the
** measured overhead of lariat's iteration over that floor. */
static void model_prediction(const bench_args *a, double lat, double inv_bw, double rank_bw, double fista_ratio)
{
    const double m = (a->model_cols + 4.0) * sizeof(double);
    for (int R = 16; R <= 1024; R *= 2) {
        const double comp = a->model_rows / R * a->model_cols * sizeof(double) / rank_bw * fista_ratio;
        const double comm = ceil(log2((double)R)) * lat + 2.0 * (R - 1.0) / R * m * inv_bw;
        printf("model_ranks_%d compute_s %.6g allreduce_s %.6g iteration_s %.6g comm_share %.3f\n", R, comp, comm,
               comp + comm, comm / (comp + comm));
    }
}

static int bench(lariat_ctx *ctx, const bench_args *a, int rank, int size)
{
    lariat_read_options ro;
    lariat_read_options_default(&ro);
    if (a->format != NULL && strcmp(a->format, "libsvm") == 0) ro.format = LARIAT_FORMAT_LIBSVM;
    lariat_data *data = NULL;
    double t0 = phase_start();
    int rc = lariat_data_read(ctx, a->data, &ro, &data);
    const double load_s = max_over_ranks(MPI_Wtime() - t0);
    if (rc != LARIAT_OK) return rc;
    struct stat sb;
    const double file_bytes = stat(a->data, &sb) == 0 ? (double)sb.st_size : 0.0;
    const int dense = !lariat_matrix_is_sparse(data->X);
    const size_t block = lariat_matrix_bytes(data->X);
    if (rank == 0) {
        printf("ranks %d\nrows %lld\ncols %lld\ndense %d\n", size, (long long)data->n, (long long)data->p, dense);
        printf("file_bytes %.0f\nload_s %.6g\nload_mb_s_per_rank %.4g\n", file_bytes, load_s,
               file_bytes / 1e6 / load_s / size);
    }

    /* A copy of the block: the DSYRK operand (dense) and the streamed bytes. */
    const size_t copy_bytes = block > sizeof(double) ? block : sizeof(double);
    double *B = lariat_malloc(ctx, copy_bytes / sizeof(double) + 1, sizeof(double), "block copy");
    rc = lariat_agree(ctx, B != NULL ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        if (dense) {
            for (int64_t i = 0; i < data->n_local; i++) lariat_matrix_get_row(data->X, i, B + i * data->p);
        } else {
            memset(B, 0, copy_bytes);
        }
    }
    double sink = 0.0, floor_s = 0.0;
    if (rc == LARIAT_OK) {
        floor_s = stream_floor(B, block, a->reps, &sink);
        const double block_max = max_over_ranks((double)block);
        if (rank == 0) {
            printf("block_bytes_max %.0f\nfloor_s %.6g\nbandwidth_gb_s_per_rank %.4g\n", block_max, floor_s,
                   block_max / floor_s / 1e9);
        }
    }
    double iter_s = 0.0, sweep_s = 0.0;
    if (rc == LARIAT_OK) rc = time_fista(ctx, data, a, &iter_s, &sweep_s);
    if (rc == LARIAT_OK && rank == 0) {
        printf("fista_iter_s %.6g\nfista_ratio %.4g\nsweep_s %.6g\nsweep_ratio %.4g\n", iter_s, iter_s / floor_s,
               sweep_s, sweep_s / floor_s);
    }
    if (rc == LARIAT_OK && dense && a->gram) {
        double pass_s, dsyrk_s;
        rc = time_gram(ctx, data, B, a->reps, &pass_s, &dsyrk_s);
        if (rc == LARIAT_OK && rank == 0) {
            const double flops = (double)data->n * (double)data->p * (double)(data->p + 1) / size;
            printf("gram_pass_s %.6g\ndsyrk_s %.6g\ngram_ratio %.4g\ndsyrk_gflops %.4g\n", pass_s, dsyrk_s,
                   pass_s / dsyrk_s, flops / dsyrk_s / 1e9);
        }
    }
    double bytes[N_SIZES], secs[N_SIZES];
    if (rc == LARIAT_OK) rc = time_allreduce(ctx, a->reps, bytes, secs);
    if (rc == LARIAT_OK && rank == 0) {
        for (int k = 0; k < N_SIZES; k++) printf("allreduce_%.0f_s %.4g\n", bytes[k], secs[k]);
        const double lat = secs[0], inv_bw = fmax(secs[N_SIZES - 1] - secs[0], 0.0) / bytes[N_SIZES - 1];
        printf("allreduce_latency_s %.4g\nallreduce_gb_s %.4g\n", lat, inv_bw > 0.0 ? 1e-9 / inv_bw : INFINITY);
        if (size > 1) model_prediction(a, lat, inv_bw, (double)block / floor_s, iter_s / floor_s);
    }
    /* Keeps the streamed sums alive without printing them. */
    if (sink == -1.0 && rank == 0) printf("sink %g\n", sink);
    free(B);
    lariat_data_destroy(data);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    bench_args a;
    if (parse_args(argc, argv, &a) != 0) {
        if (rank == 0) {
            fprintf(stderr, "usage: lariat_bench --data FILE [--format csv|libsvm] [--iters K] [--reps R] "
                            "[--gram 0|1] [--model-rows N --model-cols P]\n");
        }
        MPI_Finalize();
        return 1;
    }
    lariat_ctx *ctx = NULL;
    int rc = lariat_ctx_create(MPI_COMM_WORLD, &ctx);
    if (rc == LARIAT_OK) rc = bench(ctx, &a, rank, size);
    if (rc != LARIAT_OK && rank == 0) fprintf(stderr, "lariat_bench: %s\n", ctx ? lariat_errmsg(ctx) : "no context");
    lariat_ctx_destroy(ctx);
    MPI_Finalize();
    return rc == LARIAT_OK ? 0 : 1;
}
