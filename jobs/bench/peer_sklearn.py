"""scikit-learn's side of jobs/bench.sh: times one fit on data already in memory.

    python3 peer_sklearn.py fit|cv PREFIX ALPHA NFOLDS TOL FAMILY

PREFIX.* are the arrays of to_binary.py; PREFIX.lambda holds lariat's lambda
sequence; FAMILY is gaussian or binomial. scikit-learn's objective is
lariat's without standardization, so the columns are scaled to unit
population standard deviation first (and, for the gaussian paths, which fit
no intercept, x and y centered), outside the timing: then it solves lariat's
problem at the same lambda values.

gaussian (alpha = lambda, l1_ratio = alpha):

- fit, alpha > 0: enet_path over the lambda sequence (Gram-based when n > p,
  as scikit-learn chooses).
- cv, alpha > 0: ElasticNetCV(l1_ratio=alpha, alphas=lambda, cv=NFOLDS).
- fit, alpha = 0 (ridge, which enet_path does not do reliably):
  Ridge(alpha = n lambda, solver="cholesky").fit for each lambda (Ridge
  minimizes ||y - Xb||^2 + a ||b||^2, i.e. 2n times lariat's objective).
- cv, alpha = 0: RidgeCV(alphas = n lambda), scikit-learn's efficient
  leave-one-out over all lambdas at once (its 10-fold GridSearch would refit
  1000 times).

TOL is passed to the coordinate descent as is: scikit-learn stops when its
duality gap, which is n times lariat's, is below TOL ||y - mean(y)||^2, i.e.
when lariat's gap is below 2 TOL N0; jobs/bench.sh passes half of lariat's tol.

binomial (labels: the larger of the two values is class 1, as in lariat):
LogisticRegression with solver="saga", penalty="elasticnet", l1_ratio =
alpha. Its objective is a SUM over the rows,
    C sum_i log(1 + exp(-y_i eta_i)) + l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2,
and lariat's (SPEC section 9) a MEAN, (1/n) sum_i loss_i + lambda (alpha
||b||_1 + (1 - alpha)/2 ||b||^2): dividing scikit-learn's by C n gives
lariat's with lambda = 1 / (C n), so C = 1 / (n lambda). The intercept is not
penalized by saga, as in lariat. The columns are scaled, not centered (the
intercept absorbs the means; sparse columns stay sparse), and given to saga
as CSR, which it would otherwise copy inside the timing.
- fit: one LogisticRegression(warm_start=True) refit at C = 1 / (n lambda)
  for each lambda of the sequence in order, each fit starting from the last.
- cv: LogisticRegressionCV(Cs=10, cv=NFOLDS, l1_ratios=[alpha]): its own
  default grid of C, logspace(-4, 4, 10), that is lambda = 1 / (C n) from
  1e4 / n down to 1e-4 / n (not lariat's lambdas; a fold's fit on 9/10 of
  the rows has a lambda 10/9 times that at the same C), scored by the log loss
  (lariat's and cv.glmnet's measure is the deviance, twice the log loss),
  then the refit on all rows at the best C.
saga has no duality gap: it stops when an epoch changes the coefficients by
at most TOL times their largest magnitude (max |w_new - w_old| <= TOL max |w|).
It gets the same TOL as the coordinate descent, as a number, not as an equal
accuracy; max_iter (epochs) is 100000, so that TOL, or PEER_TIMEOUT, stops it.

Prints "seconds S" (time.perf_counter around the call) and "nonzero K" (at
the last lambda of a path; for the CV, the refit at the chosen alpha or C),
and for the paths "nonzero_path S", the nonzero counts summed over the
lambdas (a wrong lambda scale shows there, not at the last, densest lambda).
"""
import sys
import time
import warnings

import numpy as np


def load(prefix):
    n, p, nnz, sparse = (int(v) for v in open(prefix + ".meta").read().split())
    y = np.fromfile(prefix + ".y", dtype=np.float64, count=n)
    if sparse:
        import scipy.sparse as sp

        indptr = np.fromfile(prefix + ".indptr", dtype=np.int32, count=n + 1)
        indices = np.fromfile(prefix + ".indices", dtype=np.int32, count=nnz)
        data = np.fromfile(prefix + ".data", dtype=np.float64, count=nnz)
        X = sp.csr_matrix((data, indices, indptr), shape=(n, p))
    else:
        X = np.fromfile(prefix + ".X", dtype=np.float64, count=n * p).reshape(n, p)
    return X, y, bool(sparse)


def standardized(X, sparse):
    """Columns scaled to unit population standard deviation; dense columns
    also centered. Constant columns are left as they are."""
    if sparse:
        import scipy.sparse as sp

        mean = np.asarray(X.mean(axis=0)).ravel()
        var = np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean**2
        s = np.sqrt(np.maximum(var, 0.0))
        s[s == 0.0] = 1.0
        return sp.csc_matrix(X @ sp.diags(1.0 / s))
    s = X.std(axis=0)
    s[s == 0.0] = 1.0
    return np.asfortranarray((X - X.mean(axis=0)) / s)


def binomial(task, X, y, sparse, lam, alpha, nfolds, tol):
    """Times the binomial path or CV (see the module's comment) and prints it."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    classes = np.unique(y)
    if classes.size != 2:
        sys.exit("peer_sklearn.py: binomial labels take %d values, not 2" % classes.size)
    y01 = (y == classes[1]).astype(np.float64)
    n = X.shape[0]
    if sparse:
        mean = np.asarray(X.mean(axis=0)).ravel()
        s = np.sqrt(np.maximum(np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean**2, 0.0))
        s[s == 0.0] = 1.0
        Xs = sp.csr_matrix(X @ sp.diags(1.0 / s))
    else:
        s = X.std(axis=0)
        s[s == 0.0] = 1.0
        Xs = np.ascontiguousarray(X / s)
    common = dict(penalty="elasticnet", solver="saga", tol=tol, max_iter=100000)
    warnings.simplefilter("ignore")  # convergence warnings are reported by "nonzero", not here
    start = time.perf_counter()
    path_nz = 0
    if task == "fit":
        model = LogisticRegression(l1_ratio=alpha, warm_start=True, **common)
        for a in lam:
            model.set_params(C=1.0 / (n * a))
            model.fit(Xs, y01)
            path_nz += int(np.count_nonzero(model.coef_))
    else:
        model = LogisticRegressionCV(Cs=10, cv=nfolds, l1_ratios=[alpha], scoring="neg_log_loss", **common)
        model.fit(Xs, y01)
    secs = time.perf_counter() - start
    print("seconds %.6f\nnonzero %d" % (secs, int(np.count_nonzero(model.coef_))))
    if task == "fit":
        print("nonzero_path %d" % path_nz)
    else:
        print("lambda %.6g" % (1.0 / (n * model.C_[0])))


def main():
    if len(sys.argv) != 7 or sys.argv[1] not in ("fit", "cv") or sys.argv[6] not in ("gaussian", "binomial"):
        sys.exit("usage: peer_sklearn.py fit|cv PREFIX ALPHA NFOLDS TOL gaussian|binomial")
    task, prefix = sys.argv[1], sys.argv[2]
    alpha, nfolds, tol = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    family = sys.argv[6]
    from sklearn.linear_model import ElasticNetCV, Ridge, RidgeCV, enet_path

    X, y, sparse = load(prefix)
    lam = np.loadtxt(prefix + ".lambda", ndmin=1)
    if family == "binomial":
        binomial(task, X, y, sparse, lam, alpha, nfolds, tol)
        return
    n = X.shape[0]
    Xs = standardized(X, sparse)
    yc = y - y.mean()
    warnings.simplefilter("ignore")  # convergence warnings are reported by "nonzero", not here
    start = time.perf_counter()
    # Sparse columns cannot be centered in place: the path takes their means.
    offset = {}
    if sparse:
        offset = {"X_offset": np.asarray(Xs.mean(axis=0)).ravel(), "X_scale": np.ones(Xs.shape[1])}
    if alpha > 0 and task == "fit":
        _, coefs, _ = enet_path(Xs, yc, l1_ratio=alpha, alphas=lam, tol=tol, max_iter=10000, **offset)
        last = coefs[:, -1]
        path_nz = int(np.count_nonzero(coefs))
    elif alpha > 0:
        path_nz = None
        model = ElasticNetCV(l1_ratio=alpha, alphas=lam, cv=nfolds, tol=tol, max_iter=10000).fit(Xs, y)
        last = model.coef_
    elif task == "fit":
        path_nz = 0
        for a in lam:
            model = Ridge(alpha=n * a, solver="cholesky").fit(Xs, y)
            path_nz += int(np.count_nonzero(model.coef_))
        last = model.coef_
    else:
        path_nz = None
        model = RidgeCV(alphas=n * lam).fit(Xs, y)
        last = model.coef_
    secs = time.perf_counter() - start
    print("seconds %.6f\nnonzero %d" % (secs, int(np.count_nonzero(last))))
    if path_nz is not None:
        print("nonzero_path %d" % path_nz)


if __name__ == "__main__":
    main()
