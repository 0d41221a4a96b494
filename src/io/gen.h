/*
** `lariat gen`: synthetic regression or classification data, written as
** CSV, LIBSVM or HDF5, and its true coefficients beside it.
**
** Every value is a pure function of (seed, global row index, column), drawn
** from src/core/rng.h, so the file is byte-identical for any rank count. The
** model, for rows i = 0..n-1 and columns j = 0..p-1:
**
**     f_i  ~ N(0, 1)                      (a factor shared by the row's columns)
**     z_ij ~ N(0, 1)
**     x_ij = m_ij (sqrt(1 - rho) z_ij + sqrt(rho) f_i),
**            m_ij = 1 with probability `density`, else 0 (a stored zero),
**     y_i  = LARIAT_GEN_INTERCEPT + sum_j x_ij b_j + noise * e_i,  e_i ~ N(0, 1),
**
** so that with density 1 the columns have unit variance and pairwise
** correlation rho (the equicorrelated design of Friedman, Hastie and
** Tibshirani 2010, section 5). k = `nonzero` coefficients, at positions drawn
** uniformly without replacement, are b_j = s_j (1 + u_j) with a random sign
** s_j and u_j ~ U(0, 1); the others are 0.
**
** Classification (--family binomial or multinomial, SPEC.md section 9): the
** same x_ij, and labels drawn from the model's probabilities instead of the
** noise (`noise` is not used), with u_i ~ U(0, 1) from the noise stream:
**
**     binomial     eta_i = LARIAT_GEN_INTERCEPT + x_i'b,
**                  y_i = 1 when u_i < 1 / (1 + exp(-eta_i)), else 0
**                  (LIBSVM files write -1 and +1, the labels LIBSVM tools use)
**     multinomial  eta_ik = x_i'b_k for the K classes (every class's
**                  intercept LARIAT_GEN_INTERCEPT, which the softmax does not
**                  see), y_i = the first k with u_i < sum_{l <= k} p_il,
**                  p_i = softmax(eta_i); labels 0..K-1
**
** Class k's coefficients b_k have their nonzeros at the same positions as
** b (the positions drawn once), with a sign and a size of their own; class
** 0's are b itself, so binomial and gaussian data of one seed share b.
**
** Output formats:
** - CSV: header "y,x1,...,xp", then one row per line, y first.
** - LIBSVM: "y idx:value ..." with 1-based increasing indices and only the
**   nonzero entries (a row may have none).
** - HDF5: /X (n x p) and /y (n), float64, each rank writing its even share
**   of the rows collectively (io/hdf5_io.h); the same values as the text.
** Numbers are "%.17g" (read back bit-exact). Lines end in "\n".
** The true coefficients go to coef_path, default: the data path with its
** extension replaced by ".coef.csv" ("data.csv" -> "data.coef.csv"); one
** value per line, p lines, no header (the format of --penalty-factor);
** multinomial: K comma-separated values per line, the classes in order.
** The intercept is not in that file: it is always LARIAT_GEN_INTERCEPT.
*/
#ifndef LARIAT_GEN_H
#define LARIAT_GEN_H

#include "lariat.h"

#include <stddef.h>
#include <stdint.h>

/* The intercept of every generated data set. */
#define LARIAT_GEN_INTERCEPT 1.0

typedef struct lariat_gen_options {
    int64_t rows;         /* n >= 1 (required) */
    int64_t features;     /* p >= 1 (required) */
    int64_t nonzero;      /* k in [0, p]; < 0 = min(p, 10) (default) */
    double corr;          /* rho in [0, 1), default 0 */
    double noise;         /* standard deviation of e, >= 0, default 1 */
    double density;       /* fraction of nonzero x_ij, in (0, 1], default 1 */
    uint64_t seed;        /* default 1 */
    lariat_format format; /* CSV, LIBSVM or HDF5; AUTO (default): LIBSVM for
                             names ending ".svm", ".libsvm" or ".svmlight" (any
                             case), HDF5 for ".h5" or ".hdf5", else CSV */
    size_t buffer_bytes;  /* text buffered per rank; 0 = 32 MiB (default). Small
                             values give many rounds (tests use that). */
    lariat_family_kind family; /* how the labels are drawn; default GAUSSIAN */
    int classes;          /* K >= 2 for MULTINOMIAL (default 3); unused otherwise */
} lariat_gen_options;

/* Not collective. rows = features = 0 (to be set), the defaults above. */
void lariat_gen_options_default(lariat_gen_options *opt);

/* Not collective. The default coefficient file name for data path `path`
** (see above) into buf of size len. LARIAT_EUSAGE if it does not fit. */
int lariat_gen_coef_path(lariat_ctx *ctx, const char *path, char *buf, size_t len);

/* Not collective. The true coefficients of these options into coef
** (caller-allocated): b (p values), or for multinomial the K vectors b_k,
** class k at coef + k p (K p values). LARIAT_EUSAGE on bad options. */
int lariat_gen_coef(lariat_ctx *ctx, const lariat_gen_options *opt, double *coef);

/* Collective. Writes the data set to path and its true coefficients to
** coef_path (NULL = the default name). Rank 0 creates temporaries next to
** both; rows are then dealt to the ranks in rounds of as many consecutive rows
** per rank as surely fit the text buffer (in round t, rank r formats rows
** from (t P + r) B on), one allgather of byte counts per round gives each
** rank the offset of its text, and every rank writes it there (pwrite). After
** all ranks agree, rank 0 renames the temporaries over coef_path and path: no
** partial file is left on failure. Each row is formatted once and each rank
** holds one buffer (buffer_bytes), whatever the size of the data set. HDF5
** goes through the same temporary and rename, written by lariat_hdf5_write.
** Errors, agreed: LARIAT_EUSAGE (bad options; the message names the option
** as `lariat gen` spells it: --rows, --features, --nonzero, --corr, --noise,
** --density, --format, --classes), LARIAT_EIO (naming the file), LARIAT_ENOMEM,
** LARIAT_EMPI. */
int lariat_gen_write(lariat_ctx *ctx, const lariat_gen_options *opt, const char *path, const char *coef_path);

#endif /* LARIAT_GEN_H */
