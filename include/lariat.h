/*
** lariat: distributed ridge, lasso and elastic-net regression on MPI.
**
** This header is the whole public API. Every object is created from an MPI
** communicator (through a context) and every function says whether it is
** Collective (every rank of the context's communicator must call it, in the
** same order) or Not collective.
**
** Errors: functions return a status (lariat_status). The message lives in the
** context (lariat_errmsg). Collective functions return the SAME status on every
** rank: a failure detected on one rank is agreed on before the next collective
** call, and the message of the failing rank is copied to all ranks.
**
** The problem solved (see SPEC.md section 1), for local rows (x_i, y_i, w_i):
**
**   minimize  1/(2W) sum_i w_i (y_i - b0 - x_i'b)^2
**             + lambda sum_j f_j ((1-alpha)/2 (s_j b_j)^2 + alpha |s_j b_j|)
**   subject to lower_j <= b_j <= upper_j
**
** with s_j the weighted standard deviation of column j when standardizing
** (root mean square without intercept) and s_j = 1 otherwise. That is the
** gaussian family; the binomial and multinomial families (SPEC.md section 9)
** replace the squared error by the cross-entropy of K linear predictors
** eta_ik = b0k + x_i'b_k with the same penalty, bounds and standardization.
*/
#ifndef LARIAT_H
#define LARIAT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version; CMakeLists.txt checks that it equals the project's. */
#define LARIAT_VERSION "0.1.0"

/* LARIAT_API marks the functions the shared library exports. The library is
** compiled with hidden visibility, so only what this header declares is
** visible to programs that link it; its internal functions (src/) are not.
** Define LARIAT_API yourself to override it. */
#ifndef LARIAT_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define LARIAT_API __attribute__((visibility("default")))
#else
#define LARIAT_API
#endif
#endif

/* ------------------------------------------------------------------------- */
/* Status codes. One table: name, exit status of the CLI (SPEC.md section 8),
** and the generic message. Order is severity: when ranks disagree, the
** largest code wins. */
#define LARIAT_STATUS_TABLE(X)                                   \
    X(OK, 0, "success")                                          \
    X(EUSAGE, 1, "bad usage or configuration")                   \
    X(EDATA, 2, "bad input data")                                \
    X(ENUMERIC, 3, "numerical failure")                          \
    X(EIO, 3, "I/O failure")                                     \
    X(ENOMEM, 3, "out of memory")                                \
    X(EMPI, 3, "MPI failure")                                    \
    X(ESIGNAL, 4, "stopped by a signal after writing a checkpoint")

typedef enum {
#define LARIAT_X_ENUM(name, code, msg) LARIAT_##name,
    LARIAT_STATUS_TABLE(LARIAT_X_ENUM)
#undef LARIAT_X_ENUM
    LARIAT_STATUS_COUNT
} lariat_status;

/* The CLI exit status for a status code. Not collective. */
LARIAT_API int lariat_status_exit_code(int status);
/* The generic message for a status code ("bad input data"). Not collective. */
LARIAT_API const char *lariat_status_string(int status);

/* ------------------------------------------------------------------------- */
/* Context: a duplicate of the caller's communicator, the error message and the
** verbosity. */
typedef struct lariat_ctx lariat_ctx;

enum { LARIAT_LOG_QUIET = 0, LARIAT_LOG_NORMAL = 1, LARIAT_LOG_VERBOSE = 2 };

/* Collective on comm. Duplicates comm; *out is NULL on failure. */
LARIAT_API int lariat_ctx_create(MPI_Comm comm, lariat_ctx **out);
/* Collective on comm. lariat_ctx_create for a communicator given as its
** Fortran handle (MPI_Comm_c2f, mpi4py's comm.py2f(), a Fortran INTEGER),
** converted with MPI_Comm_f2c. This is the entry for language bindings that
** reach the library through a foreign-function interface (Python's ctypes,
** python/lariat): an MPI_Comm is a pointer in Open MPI and an int in MPICH,
** so a binding cannot pass one without knowing which MPI the library was
** built with, while a Fortran handle is an integer in every MPI. The handle
** of MPI_COMM_NULL is LARIAT_EUSAGE (there is no context to hold a message). */
LARIAT_API int lariat_ctx_create_f(MPI_Fint comm, lariat_ctx **out);
/* Collective. Frees the duplicate communicator. NULL is a no-op. */
LARIAT_API void lariat_ctx_destroy(lariat_ctx *ctx);
/* Not collective. */
LARIAT_API MPI_Comm lariat_ctx_comm(const lariat_ctx *ctx);
LARIAT_API int lariat_ctx_rank(const lariat_ctx *ctx);
LARIAT_API int lariat_ctx_size(const lariat_ctx *ctx);
LARIAT_API void lariat_ctx_set_verbosity(lariat_ctx *ctx, int level);
LARIAT_API int lariat_ctx_verbosity(const lariat_ctx *ctx);
/* Not collective. The last error message recorded (or agreed) on this rank;
** "" when there is none. Owned by the context. */
LARIAT_API const char *lariat_errmsg(const lariat_ctx *ctx);

/* ------------------------------------------------------------------------- */
/* Distributed data: each rank holds a contiguous block of rows, in file order.
** Global row counts and indices are int64_t. */
typedef struct lariat_matrix lariat_matrix; /* see src/data/matrix.h */

typedef struct lariat_data {
    int64_t n;            /* global number of rows */
    int64_t row0;         /* global index of this rank's first row */
    int64_t n_local;      /* rows held by this rank (may be 0) */
    int64_t p;            /* number of features */
    lariat_matrix *X;     /* this rank's rows: dense row-major or CSR */
    double *y;            /* n_local labels */
    double *w;            /* n_local observation weights (all 1 if none given) */
    int has_weights;      /* 1 when weights came from the input */
    char **feature_names; /* p names (always set: from the header or x1..xp) */
} lariat_data;

typedef enum { LARIAT_FORMAT_AUTO = 0, LARIAT_FORMAT_CSV, LARIAT_FORMAT_LIBSVM, LARIAT_FORMAT_HDF5 } lariat_format;
typedef enum { LARIAT_HEADER_AUTO = 0, LARIAT_HEADER_YES, LARIAT_HEADER_NO } lariat_header;

typedef struct lariat_read_options {
    lariat_format format;  /* AUTO: from the file name's extension */
    const char *label;     /* CSV label column: header name or 0-based index; NULL = "0" */
    const char *weights;   /* CSV weights column: name or index; NULL = none */
    lariat_header header;  /* CSV header line */
    char delimiter;        /* CSV field separator, default ',' */
    int64_t n_features;    /* LIBSVM: number of features, 0 = max index seen */
} lariat_read_options;

/* Not collective. Fills the defaults of SPEC.md section 4. */
LARIAT_API void lariat_read_options_default(lariat_read_options *opt);

/* Collective. Reads the file: each rank reads only its own byte range, aligned
** to line starts (text), or its even share of the rows with collective
** hyperslab reads (HDF5: /X, /y, optional /w and /feature_names; see
** src/io/hdf5_io.h); rows stay in file order (opt NULL = the defaults), and
** every rank's block starts on a boundary of the fixed tiles of rows that
** make sums the same at any rank count (text: the few rows before it move to
** the rank before, once; HDF5 reads whole tiles). Errors
** are agreed on every rank; *out is NULL then. Anything wrong with the file
** (missing or unreadable, no data rows, a bad field, NaN/Inf/overflow, a
** ragged row, a negative weight or all-zero weights, a label or weights
** column not in the file, a bad LIBSVM index) is LARIAT_EDATA with ONE
** message "FILE:LINE:FIELD: text" (LINE 1-based in the whole file, FIELD the
** 1-based CSV column or LIBSVM token; "FILE:LINE: text" or "FILE: text" when
** they do not apply), the first error in file order. Options that cannot work
** (unknown extension without a format, a delimiter that can occur in
** numbers, label = weights, weights or label for LIBSVM or HDF5) are
** LARIAT_EUSAGE. HDF5 errors name the dataset instead of a line ("FILE: /X:
** text"; a NaN or infinity as "FILE: /X[ROW,COL] ...", 0-based). Blank
** lines are skipped anywhere. */
LARIAT_API int lariat_data_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt,
                                lariat_data **out);

/* Collective. Builds a dataset from this rank's rows, copying them: X is
** n_local x p row-major, y has n_local values, w n_local values or NULL (all 1).
** Row order is rank order. A non-finite value or a negative weight on any
** rank is LARIAT_EDATA on every rank, naming the global row (0-based). */
LARIAT_API int lariat_data_from_dense(lariat_ctx *ctx, int64_t n_local, int64_t p, const double *X,
                                      const double *y, const double *w, lariat_data **out);

/* Collective. As lariat_data_from_dense, for this rank's rows in compressed
** sparse row form (scipy.sparse's csr_matrix, LIBSVM's storage), copied and
** kept sparse: the entries of local row i are colind[k], val[k] for k from
** rowptr[i] to rowptr[i + 1] - 1 (rowptr has n_local + 1 values; rowptr[0]
** need not be 0), column indices 0-based and strictly increasing within a
** row (sorted, no duplicates); missing entries are zeros. Column indices
** outside [0, p), indices not increasing, a rowptr that decreases, and the
** non-finite values of lariat_data_from_dense are LARIAT_EDATA on every
** rank, naming the global row (0-based). p must be below 2^31. */
LARIAT_API int lariat_data_from_csr(lariat_ctx *ctx, int64_t n_local, int64_t p, const int64_t *rowptr,
                                    const int32_t *colind, const double *val, const double *y, const double *w,
                                    lariat_data **out);

/* Not collective. NULL is a no-op. */
LARIAT_API void lariat_data_destroy(lariat_data *data);

/* ------------------------------------------------------------------------- */
/* The problem, the settings and the result. */

typedef enum { LARIAT_SOLVER_AUTO = 0, LARIAT_SOLVER_GRAM, LARIAT_SOLVER_ADMM, LARIAT_SOLVER_FISTA } lariat_solver_kind;

/* The loss (SPEC.md section 9; glmnet's family names). */
typedef enum { LARIAT_FAMILY_GAUSSIAN = 0, LARIAT_FAMILY_BINOMIAL, LARIAT_FAMILY_MULTINOMIAL } lariat_family_kind;

typedef struct lariat_problem {
    double alpha;                 /* in [0, 1] */
    const double *penalty_factor; /* p values >= 0, or NULL = all 1 */
    const double *lower;          /* p lower bounds (may be -INFINITY), or NULL = none */
    const double *upper;          /* p upper bounds (may be +INFINITY), or NULL = none */
    int standardize;              /* default 1 */
    int intercept;                /* default 1 */
    lariat_family_kind family;    /* default GAUSSIAN */
    int grouped;                  /* multinomial: 1 = a feature enters for all classes at once (glmnet's
                                     type.multinomial = "grouped"); default 0 */
} lariat_problem;

/* The curvature of gram's quadratic model for the cross-entropy families
** (SPEC.md section 9): the IRLS weights at each outer step (one Gram pass
** per step), or the fixed bound X'WX/4 (binomial; Bohning's X'WX/2 for
** multinomial) formed once. AUTO chooses. */
typedef enum { LARIAT_CURVATURE_AUTO = 0, LARIAT_CURVATURE_EXACT, LARIAT_CURVATURE_BOUND } lariat_curvature;

typedef struct lariat_settings {
    lariat_solver_kind solver; /* default AUTO */
    double tol;                /* duality-gap tolerance relative to N0, default 1e-7 */
    int max_iter;              /* default 10000 */
    double rho;                /* ADMM penalty, <= 0 = automatic */
    int adapt_rho;             /* ADMM residual balancing, default 1 */
    int nlambda;               /* default 100 */
    double lambda_min_ratio;   /* <= 0 = 1e-4 if n >= p else 1e-2 */
    const double *lambda;      /* explicit lambda values, or NULL = the path */
    int n_lambda_given;        /* length of lambda */
    /* Checkpoints (SPEC.md section 7) of lariat_fit_path and lariat_cv: the
    ** file (NULL = none) is written at most every checkpoint_every seconds
    ** (default 60; 0 = at every boundary) and when a stop is requested
    ** (lariat_request_stop); with resume the run first continues from it. */
    const char *checkpoint;
    double checkpoint_every;
    int resume;
    int distributed_gram;      /* gram: 1 = spread the Gram over the ranks (ScaLAPACK); 0 (default) =
                                  only when a replicated Gram would take over 1/4 of a rank's memory */
    double max_memory;         /* bytes a rank may use (--max-memory); <= 0 (default) = the node's
                                  MemAvailable over its ranks */
    lariat_curvature curvature; /* binomial and multinomial gram (proximal Newton): its quadratic model */
} lariat_settings;

/* Not collective. */
LARIAT_API void lariat_problem_default(lariat_problem *pb);
LARIAT_API void lariat_settings_default(lariat_settings *st);

/* One solution: on the ORIGINAL scale of the data. A fit has nlin linear
** predictors (lariat_fit.nlin): 1 for gaussian and binomial, K for
** multinomial. */
typedef struct lariat_solution {
    double lambda;
    double intercept;   /* the intercept when nlin == 1 (0 for multinomial) */
    double *coef;       /* nlin * p values: predictor k's coefficients at coef + k p */
    int64_t nonzero;    /* coefficients != 0 (multinomial: features with any class != 0) */
    double objective;   /* the SPEC objective at (intercept, coef) */
    double duality_gap; /* its certificate */
    int iterations;
    int converged;      /* gap <= tol * N0 */
    double dev_ratio;   /* 1 - L(b) / L(0), L(0) the loss of the intercept-only model (SPEC.md 9) */
    double *intercepts; /* multinomial: nlin intercepts, centred (they sum to 0); NULL when nlin == 1 */
} lariat_solution;

/* A fitted path (one entry per lambda, in decreasing lambda order). */
typedef struct lariat_fit {
    int64_t p;
    double alpha;
    int nlambda;
    lariat_solution *path;   /* nlambda entries */
    double null_objective;   /* N0 */
    double lambda_max;
    const char *solver_name; /* "gram", "admm" or "fista" (static string) */
    char solver_reason[160]; /* why auto chose it ("" when given) */
    int n_zero_variance;     /* columns with s_j = 0, fixed at 0 */
    lariat_family_kind family;
    int nlin;                /* linear predictors: 1, or K for multinomial (0 is read as 1) */
    int grouped;             /* multinomial penalty grouped over the classes */
    int nclass;              /* classes (2 for binomial, K for multinomial; 0 for gaussian) */
    double *classes;         /* nclass label values, ascending (NULL for gaussian) */
    int path_stopped;        /* 1 when the default path stopped after its last lambda because
                                dev_ratio exceeded 0.999 (glmnet's devmax; SPEC.md 9) */
} lariat_fit;

/* Collective. Fits the lambda path of SPEC.md section 2 (or the explicit
** lambda list) for one alpha on the rows of data whose weight in row_weights is
** positive; row_weights (n_local values, or NULL = data->w) lets
** cross-validation mask held-out rows with zeros. Warm starts along the path.
** Non-convergence is recorded in each solution, not an error. With
** st->checkpoint, the path is saved after a lambda when a stop was requested
** (then the status is LARIAT_ESIGNAL) or checkpoint_every seconds passed,
** and st->resume continues it from the file: the result equals an
** uninterrupted run's. A checkpoint of other data or settings is
** LARIAT_EUSAGE naming what differs. */
LARIAT_API int lariat_fit_path(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                               const lariat_problem *pb, const lariat_settings *st, lariat_fit **out);

/* Not collective. NULL is a no-op. */
LARIAT_API void lariat_fit_destroy(lariat_fit *fit);

/* Collective. The classes of SPEC.md section 9 for the labels of the rows
** with positive weight in row_weights (NULL = data->w): binomial {0, 1}
** when every label lies in [0, 1] (proportions allowed), else the two
** distinct values; multinomial the distinct values, which must be integers;
** gaussian none (*classes NULL, *nclass 0). *classes (malloc'ed, ascending)
** is the caller's. Errors, agreed: LARIAT_EDATA with *bad_row the global row
** (0-based, file order) of the first label that is not a class (a third
** binomial value, a non-integer multinomial label), or -1 when no one row is
** at fault (a single class, too many classes); LARIAT_ENOMEM, LARIAT_EMPI. */
LARIAT_API int lariat_classes(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                              lariat_family_kind family, double **classes, int *nclass, int64_t *bad_row);

/* Not collective, and async-signal-safe: it only sets a flag, so a signal
** handler may call it. Asks the running lariat_fit_path or lariat_cv with a
** checkpoint file (lariat_settings.checkpoint) to write it at its next
** boundary (after a lambda or a cross-validation fold, never inside a solve)
** and to return LARIAT_ESIGNAL on every rank, with the message "stopped by
** SIGxxx after writing checkpoint FILE". signo names the signal (0: a request
** without one). A request on any one rank stops every rank. A run without a
** checkpoint file never looks at the request: it waits for one that has. */
LARIAT_API void lariat_request_stop(int signo);

/* Collective. lambda_max of SPEC.md section 2 (section 9 for the
** cross-entropy families) for these rows. */
LARIAT_API int lariat_lambda_max(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                                 const lariat_problem *pb, double *lambda_max);

/* ------------------------------------------------------------------------- */
/* Cross-validation (SPEC.md section 3). */

typedef enum { LARIAT_SELECT_1SE = 0, LARIAT_SELECT_MIN } lariat_select;

/* The CV measure (SPEC.md section 9, glmnet's type.measure). DEFAULT is mse
** for gaussian and deviance for binomial and multinomial; AUC is binomial's
** only and is maximized. */
typedef enum {
    LARIAT_MEASURE_DEFAULT = 0,
    LARIAT_MEASURE_MSE,
    LARIAT_MEASURE_MAE,
    LARIAT_MEASURE_DEVIANCE,
    LARIAT_MEASURE_CLASS,
    LARIAT_MEASURE_AUC
} lariat_measure;

typedef struct lariat_cv_settings {
    int nfolds;           /* K, default 10 (ignored when foldid is given: K = its max) */
    uint64_t seed;        /* default 1 */
    const int *foldid;    /* n_local folds in 1..K for this rank's rows, or NULL = from the seed
                          ** (given on every rank or on none; a rank without rows may pass NULL) */
    int groups;           /* rank groups training folds at once; 0 = automatic */
    lariat_select select; /* the refit's lambda: lambda_1se (default) or lambda_min */
    const double *alphas; /* alphas to cross-validate, or NULL = the problem's alpha */
    int nalpha;
    lariat_measure measure; /* default DEFAULT (see lariat_measure) */
} lariat_cv_settings;

/* The CV curve of one alpha, over its own lambda path (decreasing). */
typedef struct lariat_cv_curve {
    double alpha;
    int nlambda;
    double *lambda, *cvm, *cvsd;
    int64_t *nonzero;   /* nonzeros of the fit on all rows (as cv.glmnet's nzero) */
    int index_min;      /* smallest cvm (auc: largest), the largest lambda on ties */
    int index_1se;      /* largest lambda with cvm <= cvm[min] + cvsd[min] (auc: cvm >= cvm[min] - cvsd[min]) */
    lariat_fit *fit;    /* the path fit on all (training) rows */
} lariat_cv_curve;

typedef struct lariat_cv_result {
    int nfolds;
    uint64_t seed;
    lariat_select select;
    int groups;                 /* the number of rank groups used */
    int nalpha;
    lariat_cv_curve *curves;    /* one per alpha, in the order given */
    int best;                   /* the curve of the smallest cvm (auc: largest) */
    double alpha_min, lambda_min, lambda_1se;
    int selected;               /* index into curves[best].fit->path of the refit model */
    lariat_measure measure;     /* the measure used (never DEFAULT) */
} lariat_cv_result;

/* Not collective. */
LARIAT_API void lariat_cv_settings_default(lariat_cv_settings *cv);

/* Collective. K-fold cross-validation of the path for each alpha on the rows
** whose weight in row_weights is positive (NULL = data->w; rows of weight 0,
** such as a held-out test set, are in no fold's training or scoring). The
** lambda path is computed on all rows and shared by every fold; each fold's
** model is standardized with its training rows' own statistics. The refit is
** the fit on all rows at the selected lambda. The curves are of cv->measure
** (SPEC.md section 9; res->measure is the one used): each held-out row's
** error weighted by its weight, or for auc each fold's weighted AUC,
** through cv.glmnet's grouped formulas. Binomial and multinomial folds are
** fit with the all-rows classes. Errors, agreed, before any fit: a measure
** the family lacks (class for gaussian, auc but for binomial), an auc fold
** with fewer than 10 held-out rows or with one class, and a checkpoint file
** with binomial or multinomial (not yet supported) are LARIAT_EUSAGE; a
** class with fewer than two rows of positive weight in a fold's training
** rows is LARIAT_EDATA naming the fold and the class. With st->checkpoint
** (gaussian), as lariat_fit_path: the boundaries are the lambdas of the
** paths that every rank takes part in, each alpha's all-rows path and each
** round of folds. */
LARIAT_API int lariat_cv(lariat_ctx *ctx, const lariat_data *data, const double *row_weights,
                         const lariat_problem *pb, const lariat_settings *st, const lariat_cv_settings *cv,
                         lariat_cv_result **out);

/* Not collective. NULL is a no-op. */
LARIAT_API void lariat_cv_destroy(lariat_cv_result *res);

/* Not collective. The fold (1..K) of global row i of n under seed. */
LARIAT_API int lariat_fold_of(uint64_t seed, int64_t n, int K, int64_t i);

/* Not collective. pred[i] = intercept + x_i'coef for this rank's rows. */
LARIAT_API void lariat_predict(const lariat_data *data, double intercept, const double *coef, double *pred);

/* What a prediction returns (SPEC.md section 9, `predict --type`). */
typedef enum { LARIAT_PREDICT_RESPONSE = 0, LARIAT_PREDICT_LINK, LARIAT_PREDICT_CLASS } lariat_predict_type;

/* Not collective. The number of values per row lariat_predict_solution
** writes: 1 for gaussian, for binomial and for CLASS; K (nlin) for
** multinomial RESPONSE and LINK. */
LARIAT_API int lariat_predict_width(const lariat_fit *fit, lariat_predict_type type);

/* Not collective. Predictions of solution sol of fit for this rank's rows,
** out[i * width + k] (width of lariat_predict_width): LINK the linear
** predictors eta; RESPONSE the mean (gaussian eta; binomial the probability
** of class 1; multinomial the K class probabilities); CLASS the label value
** of the most probable class (binomial: class 1 when p > 0.5; gaussian: eta).
** Returns LARIAT_ENOMEM (recorded in ctx) if its row buffer cannot be had. */
LARIAT_API int lariat_predict_solution(lariat_ctx *ctx, const lariat_data *data, const lariat_fit *fit,
                                       const lariat_solution *sol, lariat_predict_type type, double *out);

#ifdef __cplusplus
}
#endif
#endif /* LARIAT_H */
