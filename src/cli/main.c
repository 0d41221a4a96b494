/*
** The `lariat` program: starts MPI, makes a context on MPI_COMM_WORLD,
** dispatches to a command, and turns its status into the exit status of
** SPEC.md section 8. The message of a failure is printed once, by rank 0,
** and every rank exits with the same status (the status is agreed first).
*/
#include "cli/commands.h"
#include "cli/man.h"
#include "cli/options.h"
#include "cli/version.h"
#include "core/core.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The commands: X(bit, function, usage, summary). */
#define LC_COMMAND_TABLE(X)                                                                            \
    X(LC_FIT, lc_cmd_fit, "--data FILE [options]", "fit one lambda or a whole path")                   \
    X(LC_CV, lc_cmd_cv, "--data FILE [options]", "K-fold cross-validation, then refit")                \
    X(LC_PREDICT, lc_cmd_predict, "--model FILE --data FILE [--out FILE]", "predict from a model")     \
    X(LC_GEN, lc_cmd_gen, "--rows N --features P --out FILE [options]", "write synthetic data")        \
    X(LC_INFO, lc_cmd_info, "--data FILE", "rows, columns, nonzeros and memory per rank of a data set")

typedef int (*lc_command_fn)(lariat_ctx *ctx, const lc_options *o, double t_start);

static const struct {
    int bit;
    lc_command_fn run;
    const char *usage;
    const char *summary;
} command_table[] = {
#define LC_X_CMD(bit, fn, usage, summary) {bit, fn, usage, summary},
    LC_COMMAND_TABLE(LC_X_CMD)
#undef LC_X_CMD
};
#define N_COMMANDS ((int)(sizeof(command_table) / sizeof(command_table[0])))

static void print_usage(FILE *f)
{
    fprintf(f, "lariat %s: distributed ridge, lasso and elastic-net regression on MPI\n\nusage:\n", LARIAT_VERSION);
    for (int k = 0; k < N_COMMANDS; k++) {
        fprintf(f, "  lariat %-8s %s\n", lc_command_name(command_table[k].bit), command_table[k].usage);
    }
    fprintf(f, "  lariat --help | --version;  lariat COMMAND --help\n\ncommands:\n");
    for (int k = 0; k < N_COMMANDS; k++) {
        fprintf(f, "  %-8s %s\n", lc_command_name(command_table[k].bit), command_table[k].summary);
    }
    fprintf(f, "\nLaunch with any MPI launcher (mpirun -n 8 lariat fit --data big.csv, srun lariat ...)\n"
               "or run it plainly (one rank). Exit status: 0 success, 1 bad usage or config,\n"
               "2 bad input data, 3 runtime failure, 4 stopped by a signal.\n"
               "\nResults are the same bytes at any rank count and with any --cv-groups for the gram\n"
               "and fista solvers (admm: the same to its tolerance; the distributed Gram: to\n"
               "round-off across grid shapes), given the same build, the same BLAS and the same\n"
               "number of BLAS threads per rank on the same kind of CPU (docs/reproducibility.md).\n");
}

static void print_command_help(FILE *f, int k)
{
    const char *name = lc_command_name(command_table[k].bit);
    const char *summary = command_table[k].summary;
    fprintf(f, "usage: lariat %s %s\n\n%c%s.\n\noptions (each is also a config key: `key = value` in --config FILE):\n",
            name, command_table[k].usage, toupper((unsigned char)summary[0]), summary + 1);
    lc_help_options(f, command_table[k].bit);
    fprintf(f, "  --help                      this text\n");
}

/* `lariat help-options --markdown` or `--man`: docs/cli.md's options table,
** or the manual page lariat(1) (hidden; man/lariat.1 is its copy). */
static int help_options(lariat_ctx *ctx, int argc, char **argv)
{
    int markdown = argc == 1 && strcmp(argv[0], "--markdown") == 0;
    int man = argc == 1 && strcmp(argv[0], "--man") == 0;
    if (!markdown && !man) {
        return lariat_error(ctx, LARIAT_EUSAGE, "usage: lariat help-options --markdown | --man");
    }
    if (lariat_ctx_rank(ctx) != 0) return LARIAT_OK;
    if (markdown) {
        lc_help_markdown(stdout);
    } else {
        lc_command_doc docs[N_COMMANDS];
        for (int k = 0; k < N_COMMANDS; k++) {
            docs[k] = (lc_command_doc){lc_command_name(command_table[k].bit), command_table[k].usage,
                                       command_table[k].summary};
        }
        lc_man_page(stdout, docs, N_COMMANDS);
    }
    return LARIAT_OK;
}

/* Collective. The command line, dispatched. */
static int run(lariat_ctx *ctx, int argc, char **argv, double t_start)
{
    int rank = lariat_ctx_rank(ctx);
    if (argc < 2) return lariat_error(ctx, LARIAT_EUSAGE, "no command given (see lariat --help)");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (rank == 0) print_usage(stdout);
        return LARIAT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        if (rank == 0) lc_print_version(stdout);
        return LARIAT_OK;
    }
    if (strcmp(name, "help-options") == 0) return help_options(ctx, argc - 2, argv + 2);

    int k = 0;
    while (k < N_COMMANDS && strcmp(name, lc_command_name(command_table[k].bit)) != 0) k++;
    if (k == N_COMMANDS) {
        if (name[0] == '-') {
            return lariat_error(ctx, LARIAT_EUSAGE, "'%s' before a command: write lariat COMMAND [options] (see lariat --help)",
                                name);
        }
        return lariat_error(ctx, LARIAT_EUSAGE, "unknown command '%s' (see lariat --help)", name);
    }
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            if (rank == 0) print_command_help(stdout, k);
            return LARIAT_OK;
        }
    }

    lc_options o;
    int rc = lc_options_init(ctx, &o, command_table[k].bit);
    if (rc == LARIAT_OK) rc = lc_options_parse_argv(ctx, &o, argc - 2, argv + 2);
    /* argv is the same on every rank, hence the outcome; agreeing costs one
    ** allreduce and covers a launcher that passed different arguments. */
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        lariat_ctx_set_verbosity(ctx, lc_flag(&o, LC_OPT_QUIET)     ? LARIAT_LOG_QUIET
                                      : lc_flag(&o, LC_OPT_VERBOSE) ? LARIAT_LOG_VERBOSE
                                                                    : LARIAT_LOG_NORMAL);
        rc = lc_config_load(ctx, &o);
    }
    if (rc == LARIAT_OK && lc_flag(&o, LC_OPT_QUIET) && lc_flag(&o, LC_OPT_VERBOSE)) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "quiet (%s) and verbose (%s) exclude each other",
                          lc_origin(&o, LC_OPT_QUIET), lc_origin(&o, LC_OPT_VERBOSE));
    }
    if (rc == LARIAT_OK) {
        lariat_ctx_set_verbosity(ctx, lc_flag(&o, LC_OPT_QUIET)     ? LARIAT_LOG_QUIET
                                      : lc_flag(&o, LC_OPT_VERBOSE) ? LARIAT_LOG_VERBOSE
                                                                    : LARIAT_LOG_NORMAL);
        rc = command_table[k].run(ctx, &o, t_start);
    }
    lc_options_free(&o);
    return rc;
}

int main(int argc, char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "lariat: error: MPI_Init failed\n");
        return lariat_status_exit_code(LARIAT_EMPI);
    }
    double t_start = lariat_now();
    lariat_ctx *ctx = NULL;
    int rc = lariat_ctx_create(MPI_COMM_WORLD, &ctx);
    if (rc != LARIAT_OK) {
        int rank = 0;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (rank == 0) fprintf(stderr, "lariat: error: cannot create a context: %s\n", lariat_status_string(rc));
        MPI_Finalize();
        return lariat_status_exit_code(rc);
    }
    rc = run(ctx, argc, argv, t_start);
    /* Every command returns an agreed status; this last agreement makes the
    ** exit status the same on every rank whatever path led here. */
    rc = lariat_agree(ctx, rc);
    fflush(stdout);
    if (rc != LARIAT_OK && lariat_ctx_rank(ctx) == 0) {
        const char *msg = lariat_errmsg(ctx);
        /* A stop on a signal after a checkpoint is planned, not an error. */
        fprintf(stderr, "lariat: %s%s\n", rc == LARIAT_ESIGNAL ? "" : "error: ",
                msg[0] != '\0' ? msg : lariat_status_string(rc));
    }
    lariat_ctx_destroy(ctx);
    MPI_Finalize();
    return lariat_status_exit_code(rc);
}
