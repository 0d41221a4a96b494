# glmnet's side of jobs/bench.sh: times glmnet (a path) or cv.glmnet (K-fold
# cross-validation over the same path) on data already in memory.
#
#   Rscript peer_glmnet.R fit|cv PREFIX ALPHA NFOLDS THRESH FAMILY
#
# PREFIX.* are the arrays of to_binary.py; PREFIX.lambda holds lariat's lambda
# sequence (one value per line), passed to glmnet as its `lambda`. FAMILY is
# gaussian or binomial. Prints "seconds S" (system.time's elapsed of the one
# call), "nonzero K" (at the last lambda of the fit on all rows) and
# "nonzero_path S" (the nonzero counts of that fit summed over the lambdas):
# a check that the same problem was solved.
#
# gaussian: glmnet standardizes x as lariat does; for alpha < 1 it also scales
# y to unit variance, so its ridge term is lambda (1 - alpha) / sd(y) on
# lariat's scale (docs/problem.md): the same data, lambda values and
# folds count, a slightly different elastic net. For alpha = 1 it is the same
# problem.
# binomial: the same problem as lariat's at every alpha (SPEC section 9 is
# glmnet's objective; y is not scaled). The two label values (0/1 from CSV,
# -1/+1 from LIBSVM) become a factor whose second level, the larger value, is
# class 1, as lariat's smaller label is class 0. cv.glmnet's measure is its
# default, the deviance, as lariat's.
suppressMessages(library(glmnet))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 6 || !(args[1] %in% c("fit", "cv")) || !(args[6] %in% c("gaussian", "binomial"))) {
  stop("usage: Rscript peer_glmnet.R fit|cv PREFIX ALPHA NFOLDS THRESH gaussian|binomial")
}
task <- args[1]
prefix <- args[2]
alpha <- as.numeric(args[3])
nfolds <- as.integer(args[4])
thresh <- as.numeric(args[5])
family <- args[6]

meta <- scan(paste0(prefix, ".meta"), quiet = TRUE)
n <- meta[1]
p <- meta[2]
nnz <- meta[3]
sparse <- meta[4] == 1
y <- readBin(paste0(prefix, ".y"), "double", n)
if (sparse) {
  # CSR rows of X are the CSC columns of t(X).
  indptr <- readBin(paste0(prefix, ".indptr"), "integer", n + 1, size = 4)
  indices <- readBin(paste0(prefix, ".indices"), "integer", nnz, size = 4)
  values <- readBin(paste0(prefix, ".data"), "double", nnz)
  X <- t(Matrix::sparseMatrix(i = indices + 1, p = indptr, x = values, dims = c(p, n)))
} else {
  X <- matrix(readBin(paste0(prefix, ".X"), "double", n * p), nrow = n, ncol = p, byrow = TRUE)
}
lambda <- scan(paste0(prefix, ".lambda"), quiet = TRUE)
if (family == "binomial") {
  y <- factor(y)
  if (nlevels(y) != 2) stop(sprintf("binomial labels take %d values, not 2", nlevels(y)))
}

if (task == "fit") {
  secs <- system.time(f <- glmnet(X, y, family = family, alpha = alpha, lambda = lambda, thresh = thresh,
                                  maxit = 1e6))[["elapsed"]]
} else {
  secs <- system.time(cvf <- cv.glmnet(X, y, family = family, alpha = alpha, lambda = lambda, nfolds = nfolds,
                                       thresh = thresh, maxit = 1e6))[["elapsed"]]
  f <- cvf$glmnet.fit
}
cat(sprintf("seconds %.6f\nnonzero %d\nnonzero_path %d\n", secs, f$df[length(f$df)], sum(f$df)))
