/*
** The options of the command line (SPEC.md sections 4 and 6): ONE table that
** names every option, its argument, default, help text and the commands that
** take it. The same table parses the command line and config files, checks
** values, prints `lariat CMD --help`, the options table of docs/cli.md
** (`lariat help-options --markdown`) and the manual page's options
** (`lariat help-options --man`), so they cannot drift apart (the
** libuv/Redis practice of one table of configuration keys).
**
** Everything here is Not collective unless said otherwise: argv is the same
** on every rank, and config text is broadcast before it is parsed, so every
** rank reaches the same result and the same error without talking.
*/
#ifndef LARIAT_CLI_OPTIONS_H
#define LARIAT_CLI_OPTIONS_H

#include "lariat.h"

#include <stdint.h>
#include <stdio.h>

/* Commands as bits, so that an option can belong to several. */
enum { LC_FIT = 1 << 0, LC_CV = 1 << 1, LC_PREDICT = 1 << 2, LC_GEN = 1 << 3, LC_INFO = 1 << 4 };
#define LC_TRAIN (LC_FIT | LC_CV)
#define LC_READ (LC_FIT | LC_CV | LC_PREDICT | LC_INFO)
#define LC_ALL (LC_FIT | LC_CV | LC_PREDICT | LC_GEN | LC_INFO)

/* What an option's argument is. */
typedef enum {
    LC_FLAG,  /* no argument on the command line; true/false/yes/no/on/off/1/0 in a config */
    LC_INT,   /* a whole number (1000, or 1e6 when exact) */
    LC_REAL,  /* a finite number */
    LC_REALS, /* a comma-separated list of numbers */
    LC_WORD,  /* a string (a choice when the check is LC_CHOICE) */
    LC_PATH,  /* a file name: relative names in a config are relative to its folder */
    LC_CHAR,  /* one character; "tab" or "\t" for a tab */
    LC_BYTES  /* a size in bytes, with an optional suffix K, M, G or T (powers of 1024) */
} lc_kind;

/* The values an option accepts. */
typedef enum {
    LC_ANY,
    LC_CHOICE,     /* one of the |-separated words of the metavariable */
    LC_UNIT,       /* [0, 1] */
    LC_OPEN_UNIT,  /* (0, 1) */
    LC_FRACTION,   /* [0, 1) */
    LC_DENSITY,    /* (0, 1] */
    LC_POS,        /* > 0 */
    LC_NONNEG,     /* >= 0 */
    LC_LOWER,      /* <= 0, -inf allowed (glmnet's lower.limits) */
    LC_UPPER,      /* >= 0, +inf allowed (glmnet's upper.limits) */
    LC_GE1,        /* >= 1 */
    LC_GE2,        /* >= 2 */
    LC_POS_AUTO,   /* > 0 or "auto" (stored as 0) */
    LC_GE1_AUTO    /* >= 1 or "auto" (stored as 0) */
} lc_check;

/* The table: X(ID, name, kind, check, default value, default as documented,
** metavariable, commands, help). The name is the long option without "--" and
** the config key. The default value is parsed like a given value (NULL: not
** set); the documented default is what help prints. */
#define LC_OPTION_TABLE(X)                                                                                       \
    X(CONFIG, "config", LC_PATH, LC_ANY, NULL, "", "FILE", LC_ALL,                                               \
      "read options from FILE (lines `key = value`, `#` comments); command-line options override it")           \
    X(DATA, "data", LC_PATH, LC_ANY, NULL, "required", "FILE", LC_READ,                                          \
      "the data: training rows (fit, cv), rows to predict (predict), or to describe (info)")                    \
    X(MODEL, "model", LC_PATH, LC_ANY, NULL, "required", "FILE", LC_PREDICT, "model JSON written by fit or cv")  \
    X(OUT, "out", LC_PATH, LC_ANY, NULL, "model.json (fit, cv), stdout (predict), required (gen)", "FILE",       \
      LC_TRAIN | LC_PREDICT | LC_GEN, "model file (fit, cv), predictions (predict) or generated data (gen)")     \
    X(FORMAT, "format", LC_WORD, LC_CHOICE, NULL, "from the file name's extension", "csv|libsvm|hdf5",           \
      LC_READ | LC_GEN, "file format (HDF5: datasets /X, /y, optional /w and /feature_names)")                 \
    X(LABEL, "label", LC_WORD, LC_ANY, NULL, "0", "NAME|INDEX", LC_READ,                                         \
      "CSV label column, by header name or 0-based index")                                                       \
    X(WEIGHTS, "weights", LC_WORD, LC_ANY, NULL, "none", "NAME|INDEX", LC_READ,                                  \
      "CSV column of observation weights")                                                                       \
    X(HEADER, "header", LC_WORD, LC_CHOICE, "auto", "auto: yes if any field is not a number", "auto|yes|no",     \
      LC_READ, "CSV first line is a header")                                                                     \
    X(DELIMITER, "delimiter", LC_CHAR, LC_ANY, ",", "`,`", "C", LC_READ, "CSV field separator (`tab` for a tab)") \
    X(ALPHA, "alpha", LC_REALS, LC_UNIT, "1", "1", "A[,A...]", LC_TRAIN,                                         \
      "elastic-net mixing in [0, 1]: 1 = lasso, 0 = ridge; several values only with cv")                         \
    X(LAMBDA, "lambda", LC_REALS, LC_NONNEG, NULL, "the path of SPEC section 2", "L[,L...]", LC_TRAIN,           \
      "explicit lambda value(s) >= 0")                                                                           \
    X(NLAMBDA, "nlambda", LC_INT, LC_GE1, "100", "100", "N", LC_TRAIN, "number of lambda values on the path")     \
    X(LAMBDA_MIN_RATIO, "lambda-min-ratio", LC_REAL, LC_OPEN_UNIT, NULL, "1e-4 if n >= p, else 1e-2", "R",        \
      LC_TRAIN, "smallest lambda on the path as a fraction of lambda_max, in (0, 1)")                            \
    X(PENALTY_FACTOR, "penalty-factor", LC_PATH, LC_ANY, NULL, "all 1", "FILE", LC_TRAIN,                        \
      "penalty factors: p numbers >= 0, one per line (0 = never penalized; not all 0)")                        \
    X(LOWER, "lower", LC_REAL, LC_LOWER, NULL, "none", "V", LC_TRAIN,                                            \
      "lower bound <= 0 on every coefficient (`--lower 0` = non-negative)")                                      \
    X(UPPER, "upper", LC_REAL, LC_UPPER, NULL, "none", "V", LC_TRAIN, "upper bound >= 0 on every coefficient")   \
    X(NO_STANDARDIZE, "no-standardize", LC_FLAG, LC_ANY, NULL, "standardize", "", LC_TRAIN,                       \
      "penalize the coefficients as given instead of scaled by their column's standard deviation")             \
    X(NO_INTERCEPT, "no-intercept", LC_FLAG, LC_ANY, NULL, "fit an intercept", "", LC_TRAIN,                      \
      "fix the intercept at 0")                                                                                  \
    X(FAMILY, "family", LC_WORD, LC_CHOICE, "gaussian", "gaussian", "gaussian|binomial|multinomial",            \
      LC_TRAIN | LC_GEN, "the loss (glmnet's family): squared error, or the cross-entropy of two classes or of K " \
      "classes (SPEC section 9); gen draws the labels from that model")                                         \
    X(MULTINOMIAL, "multinomial", LC_WORD, LC_CHOICE, "ungrouped", "ungrouped", "ungrouped|grouped", LC_TRAIN,    \
      "multinomial penalty: each class's coefficient on its own, or a feature in or out for all classes at once " \
      "(glmnet's type.multinomial); an error with another family")                                              \
    X(SOLVER, "solver", LC_WORD, LC_CHOICE, "auto", "auto", "auto|gram|admm|fista", LC_TRAIN,                    \
      "algorithm; auto picks by n, p, sparsity and memory and says why (multinomial: gram or fista)")            \
    X(CURVATURE, "curvature", LC_WORD, LC_CHOICE, "auto", "auto", "auto|exact|bound", LC_TRAIN,                  \
      "binomial and multinomial gram: the IRLS curvature (refreshed when steps slow), or a fixed bound formed once")    \
    X(DISTRIBUTED_GRAM, "distributed-gram", LC_FLAG, LC_ANY, NULL, "when a copy would take 1/4 of a rank's memory", \
      "", LC_TRAIN, "gram: spread the p x p Gram over the ranks (ScaLAPACK) instead of a copy on every rank")   \
    X(TOL, "tol", LC_REAL, LC_POS, "1e-7", "1e-7", "T", LC_TRAIN,                                                \
      "converged when the duality gap <= T times the objective at b = 0")                                        \
    X(MAX_ITER, "max-iter", LC_INT, LC_GE1, "10000", "10000", "N", LC_TRAIN, "iteration cap per lambda")          \
    X(STRICT, "strict", LC_FLAG, LC_ANY, NULL, "off", "", LC_TRAIN,                                              \
      "exit with status 3 (after writing the model) when a fit did not converge")                                \
    X(RHO, "rho", LC_REAL, LC_POS_AUTO, "auto", "auto", "R", LC_TRAIN, "ADMM penalty parameter > 0")              \
    X(NO_ADAPT_RHO, "no-adapt-rho", LC_FLAG, LC_ANY, NULL, "adapt", "", LC_TRAIN,                                \
      "keep the ADMM penalty parameter fixed (no residual balancing)")                                           \
    X(NFOLDS, "nfolds", LC_INT, LC_GE2, "10", "10", "K", LC_CV, "number of cross-validation folds")              \
    X(FOLDID, "foldid", LC_PATH, LC_ANY, NULL, "none", "FILE", LC_CV,                                            \
      "fold of each row: one integer 1..K per line, in row order")                                               \
    X(SEED, "seed", LC_INT, LC_NONNEG, "1", "1", "S", LC_TRAIN | LC_GEN,                                         \
      "seed of the folds, the --test-fraction split and generated data")                                         \
    X(SELECT, "select", LC_WORD, LC_CHOICE, "1se", "1se", "min|1se", LC_CV,                                      \
      "refit at lambda_min or lambda_1se")                                                                       \
    X(TYPE_MEASURE, "type-measure", LC_WORD, LC_CHOICE, NULL, "mse (gaussian), deviance (binomial, multinomial)", \
      "mse|mae|deviance|class|auc", LC_CV,                                                                       \
      "cross-validation error (glmnet's type.measure); auc for binomial only")                                   \
    X(CV_GROUPS, "cv-groups", LC_INT, LC_GE1_AUTO, "auto", "auto", "G", LC_CV,                                   \
      "groups of ranks that train different folds at the same time")                                             \
    X(TEST_FRACTION, "test-fraction", LC_REAL, LC_FRACTION, "0", "0", "F", LC_TRAIN,                             \
      "hold out a seeded fraction of rows in [0, 1) and report test metrics")                                    \
    X(CV_OUT, "cv-out", LC_PATH, LC_ANY, NULL, "none", "FILE", LC_CV,                                            \
      "CV table (CSV: alpha,lambda,cvm,cvsd,nonzero)")                                                           \
    X(PLOT, "plot", LC_PATH, LC_ANY, NULL, "none", "FILE.svg", LC_TRAIN,                                         \
      "SVG picture: the coefficient paths against log(lambda) (fit) or the CV curve (cv)")                      \
    X(CHECKPOINT, "checkpoint", LC_PATH, LC_ANY, NULL, "none", "FILE", LC_TRAIN,                                 \
      "save the solver state to FILE every --checkpoint-every seconds and on SIGTERM, SIGUSR1 or SIGINT, "       \
      "then exit with status 4")                                                                                 \
    X(CHECKPOINT_EVERY, "checkpoint-every", LC_REAL, LC_NONNEG, "60", "60", "S", LC_TRAIN,                       \
      "seconds between checkpoints (0: at every lambda and fold)")                                               \
    X(RESUME, "resume", LC_FLAG, LC_ANY, NULL, "off", "", LC_TRAIN,                                              \
      "continue from the --checkpoint file (same data and options); the result equals an uninterrupted run's")   \
    X(ROWS, "rows", LC_INT, LC_GE1, NULL, "required", "N", LC_GEN, "rows to generate")                           \
    X(FEATURES, "features", LC_INT, LC_GE1, NULL, "required", "P", LC_GEN, "features to generate")               \
    X(NONZERO, "nonzero", LC_INT, LC_NONNEG, NULL, "min(P, 10)", "K", LC_GEN,                          \
      "nonzero coefficients of the true model")                                                                  \
    X(CORR, "corr", LC_REAL, LC_FRACTION, "0", "0", "R", LC_GEN, "correlation between features, in [0, 1)")      \
    X(NOISE, "noise", LC_REAL, LC_NONNEG, "1", "1", "S", LC_GEN,                                                 \
      "standard deviation of the noise (gaussian; the other families draw their labels)")                       \
    X(DENSITY, "density", LC_REAL, LC_DENSITY, "1", "1", "D", LC_GEN,                                            \
      "fraction of nonzero entries of X, in (0, 1]")                                                             \
    X(CLASSES, "classes", LC_INT, LC_GE2, "3", "3", "K", LC_GEN,                                                 \
      "classes of --family multinomial (labels 0..K-1); binomial takes only 2")                                  \
    X(TYPE, "type", LC_WORD, LC_CHOICE, "response", "response", "response|link|class", LC_PREDICT,              \
      "what to predict: the mean (probabilities), the linear predictor, or the label of the most probable class") \
    X(MAX_MEMORY, "max-memory", LC_BYTES, LC_POS, NULL, "the node's available memory / its ranks", "BYTES",     \
      LC_READ, "refuse before reading when the estimated memory per rank (data, Gram, factors) exceeds BYTES "    \
      "(512M, 4G: powers of 1024)")                                                                            \
    X(QUIET, "quiet", LC_FLAG, LC_ANY, NULL, "", "", LC_ALL, "no progress or warnings on stderr")               \
    X(VERBOSE, "verbose", LC_FLAG, LC_ANY, NULL, "", "", LC_ALL, "more detail on stderr")

typedef enum {
#define LC_X_ID(id, name, kind, check, def, doc, meta, cmds, help) LC_OPT_##id,
    LC_OPTION_TABLE(LC_X_ID)
#undef LC_X_ID
    LC_OPT_COUNT
} lc_option_id;

/* One option's value. origin names where it came from ("--alpha" or
** "run.conf:3: alpha"), for messages that must name the option at fault. */
typedef struct lc_value {
    int given;        /* 1 when set on the command line or in a config */
    int from_argv;    /* 1 when set on the command line (a config does not override it) */
    char origin[300];
    char *text;       /* the value as text (paths resolved); NULL when unset */
    int64_t i;        /* LC_INT, LC_FLAG (0/1), LC_BYTES */
    double d;         /* LC_REAL */
    char c;           /* LC_CHAR */
    double *list;     /* LC_REALS */
    int nlist;
} lc_value;

typedef struct lc_options {
    int command; /* one LC_ bit */
    lc_value v[LC_OPT_COUNT];
} lc_options;

/* Not collective. "fit", "cv", ... for one command bit; NULL for none. */
const char *lc_command_name(int command);

/* Not collective. Fills the defaults of the table for a command. Returns
** LARIAT_ENOMEM (message in ctx) if a default cannot be stored. */
int lc_options_init(lariat_ctx *ctx, lc_options *o, int command);
/* Not collective. Frees the values. */
void lc_options_free(lc_options *o);

/* Not collective. The option named name (without "--"); -1 if there is none. */
int lc_option_find(const char *name);
/* Not collective. The table's name, kind and commands of an option. */
const char *lc_option_name(int id);
lc_kind lc_option_kind(int id);
int lc_option_commands(int id);

/* Not collective. Parses text as the value of option id and stores it, with
** origin for later messages; base_dir (or NULL) is prefixed to relative
** paths. A bad value is LARIAT_EUSAGE with a message starting with origin. */
int lc_option_set(lariat_ctx *ctx, lc_options *o, int id, const char *text, const char *origin,
                  const char *base_dir);

/* Not collective. Checks text as a value of option id without storing it
** (LARIAT_EUSAGE naming origin when bad). */
int lc_option_check(lariat_ctx *ctx, int id, const char *text, const char *origin);

/* Not collective. Records LARIAT_EUSAGE "<where>unknown <what> '<prefix><name>'",
** suggesting the nearest option of command when one is within two edits. */
int lc_unknown_option(lariat_ctx *ctx, int command, const char *where, const char *what, const char *prefix,
                      const char *name);

/* Not collective. Parses argv[0..argc) (the arguments after the command
** name): `--name VALUE`, `--name=VALUE`, and `--flag`. Unknown options,
** options of other commands, missing and bad values are LARIAT_EUSAGE
** naming the option. */
int lc_options_parse_argv(lariat_ctx *ctx, lc_options *o, int argc, char **argv);

/* Collective. If --config was given, rank 0 reads the file and broadcasts
** its text; every rank then parses it (config.c). Keys already given on the
** command line keep their command-line values. Unknown keys and bad values
** are LARIAT_EUSAGE naming file and line; an unreadable file is LARIAT_EUSAGE. */
int lc_config_load(lariat_ctx *ctx, lc_options *o);

/* Not collective. Typed access to a value (the table's default when not given). */
int lc_given(const lc_options *o, int id);
int lc_flag(const lc_options *o, int id);
int64_t lc_int(const lc_options *o, int id);
double lc_real(const lc_options *o, int id);
const char *lc_text(const lc_options *o, int id); /* NULL when unset */
const double *lc_list(const lc_options *o, int id, int *n);
char lc_char(const lc_options *o, int id);
const char *lc_origin(const lc_options *o, int id); /* "--name" when not given */

/* Not collective. Records LARIAT_EUSAGE "<option> is required" unless id is set. */
int lc_require(lariat_ctx *ctx, const lc_options *o, int id);

/* Not collective. Prints the options of a command, wrapped, to f. */
void lc_help_options(FILE *f, int command);
/* Not collective. Prints the markdown table of every option (docs/cli.md). */
void lc_help_markdown(FILE *f);
/* Not collective. Prints every option as a roff .TP entry (for lariat(1), cli/man.h). */
void lc_help_man_options(FILE *f);

#endif /* LARIAT_CLI_OPTIONS_H */
